/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mod_mauth_chain.c: the first layer of the seeds, certificate chain
 * validation, per request.  Early (header_parser, before authentication),
 * every request that is not a subrequest gets the verdict of its
 * connection under the trust of the vhost serving it
 * (mod_mauth_ssl.c), the MAUTH_CLIENT_* environment, and the core's
 * decision; client-sent copies of the headers this module forwards are
 * removed in every spelling.
 */
#include "mod_mauth.h"

#include "apr_strings.h"
#include "http_protocol.h"
#include "http_request.h"

/* ------------------------------------------------------------ per request */

static void set_environment(request_rec *r, mauth_conn_t *mc, const mauth_verdict_t *v)
{
    apr_table_t *env = r->subprocess_env;
    const mauth_cert_info_t *leaf;

    apr_table_setn(env, "MAUTH_CLIENT_VERIFY", mauth_verdict_text(r->pool, v));
    if (mc == NULL || (leaf = mauth_conn_leaf_info(mc->state)) == NULL) {
        return;
    }
    apr_table_setn(env, "MAUTH_CLIENT_CERT_SHA256", leaf->fingerprint);
    apr_table_setn(env, "MAUTH_CLIENT_S_DN", leaf->subject_dn);
    apr_table_setn(env, "MAUTH_CLIENT_I_DN", leaf->issuer_dn);
    apr_table_setn(env, "MAUTH_CLIENT_M_SERIAL", leaf->serial);
    apr_table_setn(env, "MAUTH_CLIENT_V_START", leaf->not_before);
    apr_table_setn(env, "MAUTH_CLIENT_V_END", leaf->not_after);
}

mauth_conn_t *mauth_chain_facts(request_rec *r, mauth_facts_t *facts)
{
    mauth_server_conf_t *sc = mauth_server_conf(r->server);
    mauth_dir_conf_t *dc = mauth_dir_conf(r);
    mauth_conn_t *mc = NULL;

    memset(facts, 0, sizeof(*facts));
    facts->mutual = mauth_is_mutual(sc);
    facts->require_certificate = dc->require_certificate;
    facts->enforce = dc->enforce;
    if (!facts->mutual) {
        return NULL;
    }
    mc = mauth_ssl_conn(r->connection);
    if (mc == NULL) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, MAUTHNO(00052)
                      "mutual vhost reached without a TLS connection mod_mauth saw begin");
        facts->verdict.status = MAUTH_VERIFY_FAILED;
        facts->verdict.reason = MAUTH_REASON_INVALID;
    }
    else {
        mauth_trust_t *trust = mauth_trust_acquire(sc->trust);
        mauth_conn_verdict_for(mc->state, trust, sc->trust->cache, apr_time_now(),
                               &facts->verdict, &facts->other_trust);
        mauth_trust_release(sc->trust, trust);
    }
    set_environment(r, mc, &facts->verdict);
    return mc;
}

/* The ErrorDocument of the chain layer's own page is not refused again by
 * it (the identity layer still judges its location); any other refusal's
 * ErrorDocument is judged like every request. */
static int is_our_error_document(request_rec *r)
{
    return r->prev && !r->main && ap_is_HTTP_ERROR(r->prev->status)
           && apr_table_get(r->prev->notes, "mauth-chain-refused");
}

/* The chain layer: runs early, before authentication, so a bad chain is
 * answered with the certificate page rather than a login prompt.  Every
 * request is judged, internal redirects and subrequests too, by the
 * configuration of the location it reaches. */
static int check_chain_layer(request_rec *r)
{
    mauth_facts_t facts;
    mauth_decision_t decision;
    mauth_conn_t *mc = mauth_chain_facts(r, &facts);

    if (!facts.mutual || is_our_error_document(r)) {
        return DECLINED;
    }
    facts.enforce = 0;    /* the identity layer comes after authentication */
    mauth_decide(&facts, &decision);
    if (decision.answer == MAUTH_ANSWER_PAGE) {
        apr_table_setn(r->notes, "mauth-chain-refused", decision.token);
    }
    return mauth_answer(r, mc, &decision, NULL);
}

/* Whether a header name is one of the RFC 9440 headers we forward. */
void mauth_strip_forged_headers(request_rec *r)
{
    const apr_array_header_t *removed = mauth_remove_forwarded_headers(r->pool, r->headers_in);
    int i;

    for (i = 0; i < removed->nelts; i++) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, MAUTHNO(00054)
                      "removed client-sent request header '%s'",
                      APR_ARRAY_IDX(removed, i, const char *));
    }
}

static int strip_forged_headers(request_rec *r)
{
    if (mauth_server_conf(r->server)->engine) {
        mauth_strip_forged_headers(r);
    }
    return DECLINED;
}

void mauth_chain_register_hooks(apr_pool_t *p)
{
    ap_hook_post_read_request(strip_forged_headers, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_header_parser(check_chain_layer, NULL, NULL, APR_HOOK_FIRST);
}
