/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mod_mauth_identity.c: the second layer of the seeds, certificate identity
 * verification, per request.
 *
 * A fixup reads every credential the location's sources name (r->user,
 * Authorization values, cookies, headers in every spelling, every SOAP
 * sessionId of the body), asks the store whose each is (mod_mauth_dbd.c,
 * once per request family), and hands the facts to the core's decision
 * (mauth_decide): an enforced user needs, on the mutual vhost, a valid
 * client certificate uploaded for the user or its organisation, and is
 * refused on the standard vhost.  Anything not known for certain refuses;
 * a store that does not answer refuses (503).
 */
#include "mod_mauth.h"

#include "apr_strings.h"
#include "http_request.h"

static void take_body(request_rec *r, mauth_dir_conf_t *dc, mauth_credentials_t *cr)
{
    mauth_family_t *family = mauth_family(r);

    if (!family->soap_read) {
        mauth_read_soap(r, dc->soap_peek_limit, family);
    }
    mauth_credentials_body(cr, family->soap, family->soap_tokens, family->undecodable != NULL);
}

typedef struct {
    request_rec *r;
    const char *name;
    mauth_credentials_t *cr;
} header_search_t;

static int take_header(void *baton, const char *key, const char *value)
{
    header_search_t *hs = baton;

    if (mauth_same_header_name(key, hs->name)) {
        mauth_credentials_header(hs->cr, hs->r->pool, value);
    }
    return 1;
}

/* Every credential the location's sources name, read in full: the
 * application may read any of them, so none is ignored. */
static void gather_credentials(request_rec *r, mauth_dir_conf_t *dc, mauth_credentials_t *cr)
{
    const mauth_user_source_t *sources = (const mauth_user_source_t *)dc->user_sources->elts;
    int count = dc->user_sources->nelts, i;
    const char *authorization;

    mauth_credentials_init(r->pool, cr);
    /* the body first: reading it to its end merges a chunked body's
     * trailers (MergeTrailers) into the headers read below */
    for (i = 0; i < count; i++) {
        if (sources[i].kind == MAUTH_SOURCE_SOAP) {
            take_body(r, dc, cr);
            break;
        }
    }
    authorization = apr_table_getm(r->pool, r->headers_in, "Authorization");
    for (i = 0; i < count; i++) {
        header_search_t hs = {r, sources[i].name, cr};
        switch (sources[i].kind) {
        case MAUTH_SOURCE_REMOTE_USER:
            if (r->user && *r->user) {
                APR_ARRAY_PUSH(cr->names, const char *) = r->user;
            }
            break;
        case MAUTH_SOURCE_BEARER:
        case MAUTH_SOURCE_OAUTH:
            mauth_credentials_authorization(cr, r->pool, authorization,
                                            sources[i].kind == MAUTH_SOURCE_BEARER
                                            ? "Bearer" : "OAuth");
            break;
        case MAUTH_SOURCE_COOKIE:
            mauth_credentials_cookie(cr, r->pool,
                                     apr_table_getm(r->pool, r->headers_in, "Cookie"),
                                     sources[i].name);
            break;
        case MAUTH_SOURCE_HEADER:
            /* X-Session-Id, and its X_Session_Id twin a back end reads alike;
             * httpd has merged repeats of one spelling with commas */
            apr_table_do(take_header, &hs, r->headers_in, NULL);
            break;
        case MAUTH_SOURCE_SOAP:
            break;
        }
    }
}

/* The store's answer for one credential, asked once per request family. */
static const mauth_lookup_t *look_up(request_rec *r, const char *credential, int token)
{
    mauth_family_t *family = mauth_family(r);
    const char *key = apr_pstrcat(r->pool, token ? "session:" : "user:", credential, NULL);
    mauth_lookup_t *found = apr_hash_get(family->lookups, key, APR_HASH_KEY_STRING);
    apr_pool_t *pool = apr_hash_pool_get(family->lookups);

    if (found == NULL) {
        /* from the family's pool: its internal redirects reuse it */
        found = apr_palloc(pool, sizeof(*found));
        mauth_store_lookup(r, pool, credential, token, found);
        apr_hash_set(family->lookups, apr_pstrdup(pool, key), APR_HASH_KEY_STRING, found);
    }
    return found;
}

static void fold(request_rec *r, mauth_identity_t *identity, const mauth_lookup_t *l,
                 const mauth_store_user_t **user)
{
    mauth_identity_add(identity, l->who == MAUTH_WHO_STORE_ERROR,
                       l->who == MAUTH_WHO_FOUND ? l->user.user_id : NULL, l->user.enforced);
    if (l->who == MAUTH_WHO_FOUND) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, MAUTHNO(00067)
                      "credential names user '%s' of '%s': mutual authentication %s",
                      l->user.username, l->user.org_name,
                      l->user.enforced ? "enforced"
                      : l->user.org_mutual_auth ? "not enforced (no permission)"
                      : "not enforced (organisation switch off)");
        if (*user == NULL || l->user.enforced) {
            *user = &l->user;
        }
    }
}

/* Who the request is, from every credential it carries. */
static void find_identity(request_rec *r, mauth_dir_conf_t *dc,
                          mauth_identity_t *identity, const mauth_store_user_t **user)
{
    mauth_credentials_t cr;
    int i;

    memset(identity, 0, sizeof(*identity));
    *user = NULL;
    gather_credentials(r, dc, &cr);
    if (cr.failed != MAUTH_IDENTITY_NONE) {
        identity->state = cr.failed;
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, MAUTHNO(00066)
                      "a credential cannot be read with certainty: %s", cr.failed_where);
        return;
    }
    for (i = 0; i < cr.names->nelts; i++) {
        fold(r, identity, look_up(r, APR_ARRAY_IDX(cr.names, i, const char *), 0), user);
    }
    for (i = 0; i < cr.tokens->nelts; i++) {
        fold(r, identity, look_up(r, APR_ARRAY_IDX(cr.tokens, i, const char *), 1), user);
    }
}

/* RFC 9440 headers for a proxied back end, encoded once per connection. */
static void forward_client_cert(request_rec *r, mauth_conn_t *mc)
{
    const char *cert, *chain;

    mauth_conn_client_cert_headers(mc->state, &cert, &chain);
    if (cert) {
        apr_table_setn(r->headers_in, "Client-Cert", cert);
    }
    if (chain) {
        apr_table_setn(r->headers_in, "Client-Cert-Chain", chain);
    }
}

static void set_user_environment(request_rec *r, const mauth_store_user_t *user,
                                 mauth_match_e match)
{
    if (user) {
        apr_table_setn(r->subprocess_env, "MAUTH_USER", user->username);
        apr_table_setn(r->subprocess_env, "MAUTH_ORG", user->org_name);
        apr_table_setn(r->subprocess_env, "MAUTH_ENFORCED", user->enforced ? "true" : "false");
    }
    if (match != MAUTH_MATCH_UNASKED && match != MAUTH_MATCH_STORE_ERROR) {
        apr_table_setn(r->subprocess_env, "MAUTH_CERT_MATCHED",
                       match == MAUTH_MATCH_USER ? "user"
                       : match == MAUTH_MATCH_ORG ? "organization" : "none");
    }
}

/* ------------------------------------------------- the decision */

/* The identity layer, after authentication (r->user is known): every
 * request, internal redirects and subrequests too, by the configuration
 * of the location it reaches. */
static int check_identity_layer(request_rec *r)
{
    mauth_dir_conf_t *dc = mauth_dir_conf(r);
    const mauth_store_user_t *user = NULL;
    mauth_decision_t decision;
    mauth_facts_t facts;
    mauth_conn_t *mc;

    if (!mauth_server_conf(r->server)->engine) {
        return DECLINED;
    }
    mc = mauth_chain_facts(r, &facts);
    if (facts.enforce) {
        find_identity(r, dc, &facts.identity, &user);
        /* a body read to its end may have brought trailer fields */
        mauth_strip_forged_headers(r);
    }
    if (mc && dc->forward_client_cert && facts.verdict.status == MAUTH_VERIFY_SUCCESS) {
        forward_client_cert(r, mc);
    }
    if (!facts.enforce) {
        /* httpd runs header_parser for no subrequest: the chain layer's
         * rules (MAuthRequireCertificate) are applied here for them */
        if (r->main) {
            mauth_decide(&facts, &decision);
            return mauth_answer(r, mc, &decision, NULL);
        }
        return DECLINED;
    }
    mauth_decide(&facts, &decision);
    if (decision.answer == MAUTH_ANSWER_MATCH_CERTIFICATE) {
        const mauth_cert_info_t *leaf = mauth_conn_leaf_info(mc->state);
        /* a SUCCESS verdict has a leaf; without one, nothing is registered */
        facts.match = leaf ? mauth_store_match(r, user, leaf->fingerprint)
                           : MAUTH_MATCH_NONE;
        mauth_decide(&facts, &decision);
    }
    set_user_environment(r, user, facts.match);
    return mauth_answer(r, mc, &decision, user ? user->username : NULL);
}

void mauth_identity_register_hooks(apr_pool_t *p)
{
    ap_hook_fixups(check_identity_layer, NULL, NULL, APR_HOOK_FIRST);
}
