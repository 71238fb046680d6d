/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mauth_ssl.c: the mod_ssl wiring of the chain-validation layer.
 *
 * On a mutual vhost mod_ssl asks for a client certificate without naming
 * CAs (SSLVerifyClient optional_no_ca).  Its own verification would abort
 * the handshake for an expired or revoked chain, so no page could be sent;
 * we replace the certificate verification of that vhost's SSL_CTX with ours.
 * Ours never fails the handshake: it records the verdict on the connection
 * and in the TLS session (a resumed session has no peer chain to check),
 * and reports to mod_ssl X509_V_OK for an accepted chain and
 * X509_V_ERR_CERT_UNTRUSTED for a refused one, an error optional_no_ca
 * tolerates, so SSL_CLIENT_VERIFY reads FAILED and never SUCCESS.
 */
#include "mod_mauth.h"

#include "apr_strings.h"
#include "http_connection.h"
#include "mod_ssl_openssl.h"

static int ssl_conn_index = -1;

static void log_to_conn(void *baton, int level, const char *tag, const char *message)
{
    conn_rec *c = baton;

    ap_log_cerror(APLOG_MARK, level, 0, c, "%s: %s", tag, message);
}

void mauth_conn_logger(conn_rec *c, mauth_logger_t *logger)
{
    logger->fn = log_to_conn;
    logger->baton = c;
    logger->level = ap_get_conn_module_loglevel(c, APLOG_MODULE_INDEX);
}

mauth_conn_t *mauth_ssl_conn(conn_rec *c)
{
    /* HTTP/2 streams run on secondary connections of the TLS one */
    while (c->master) {
        c = c->master;
    }
    return ap_get_module_config(c->conn_config, &mauth_module);
}

X509 *mauth_ssl_leaf(const mauth_conn_t *mc)
{
    return SSL_get0_peer_certificate(mc->ssl);
}

static void log_validation(mauth_conn_t *mc, X509 *leaf, const mauth_verdict_t *v,
                           const char *how)
{
    if (APLOGcdebug(mc->c)) {
        mauth_cert_info_t info;
        mauth_cert_info(mc->c->pool, leaf, &info);
        ap_log_cerror(APLOG_MARK, APLOG_DEBUG, 0, mc->c, MAUTHNO(00020)
                      "%s for subject '%s', issuer '%s', serial %s, valid %s to %s: %s%s",
                      how, info.subject_dn, info.issuer_dn, info.serial,
                      info.not_before, info.not_after, mauth_verdict_text(mc->c->pool, v),
                      v->error_depth > 0 ? apr_psprintf(mc->c->pool, " (at depth %d)",
                                                        v->error_depth) : "");
    }
}

/* OpenSSL's certificate verification for a mutual vhost's SSL_CTX. */
static int verify_client_chain(X509_STORE_CTX *store_ctx, void *arg)
{
    mauth_server_conf_t *sc = arg;
    SSL *ssl = X509_STORE_CTX_get_ex_data(store_ctx, SSL_get_ex_data_X509_STORE_CTX_idx());
    mauth_conn_t *mc = ssl ? SSL_get_ex_data(ssl, ssl_conn_index) : NULL;
    X509 *leaf = X509_STORE_CTX_get0_cert(store_ctx);
    STACK_OF(X509) *untrusted = X509_STORE_CTX_get0_untrusted(store_ctx);
    unsigned char chain_key[MAUTH_FINGERPRINT_LEN];
    unsigned char wire[MAUTH_VERDICT_WIRE_LEN];
    apr_time_t now = apr_time_now();
    mauth_verdict_t verdict;
    mauth_logger_t logger;

    if (mc == NULL) {
        /* not a connection we saw begin: refuse rather than guess */
        X509_STORE_CTX_set_error(store_ctx, X509_V_ERR_CERT_UNTRUSTED);
        return 1;
    }
    mauth_chain_key(leaf, untrusted, chain_key);
    if (mauth_verdict_cache_get(sc->trust->cache, chain_key, now, &verdict)) {
        log_validation(mc, leaf, &verdict, "verdict from cache");
    }
    else {
        mauth_conn_logger(mc->c, &logger);
        mauth_verify_chain(sc->trust->trust, leaf, untrusted, now, &logger, &verdict);
        memcpy(verdict.chain_key, chain_key, sizeof(chain_key));
        mauth_verdict_cache_put(sc->trust->cache, &verdict, now);
        log_validation(mc, leaf, &verdict, "validated chain");
    }
    mc->verdict = verdict;
    mc->settled = 1;
    mauth_verdict_encode(&verdict, wire);
    SSL_SESSION_set1_ticket_appdata(SSL_get0_session(ssl), wire, sizeof(wire));
    X509_STORE_CTX_set_error(store_ctx, verdict.status == MAUTH_VERIFY_SUCCESS
                                        ? X509_V_OK : X509_V_ERR_CERT_UNTRUSTED);
    return 1;
}

void mauth_ssl_settle(mauth_conn_t *mc, apr_time_t now)
{
    if (!mc->settled) {
        SSL_SESSION *session = SSL_get0_session(mc->ssl);
        void *data = NULL;
        size_t len = 0;

        memset(&mc->verdict, 0, sizeof(mc->verdict));
        if (mauth_ssl_leaf(mc) == NULL) {
            mc->verdict.status = MAUTH_VERIFY_NONE;
            mc->verdict.reason = MAUTH_REASON_NO_CERTIFICATE;
        }
        else if (SSL_session_reused(mc->ssl) && session
                 && SSL_SESSION_get0_ticket_appdata(session, &data, &len) == 1
                 && mauth_verdict_decode(data, len, &mc->verdict)) {
            log_validation(mc, mauth_ssl_leaf(mc), &mc->verdict, "verdict from resumed session");
        }
        else {
            /* a certificate we never judged: fail closed */
            mc->verdict.status = MAUTH_VERIFY_FAILED;
            mc->verdict.reason = MAUTH_REASON_INVALID;
            ap_log_cerror(APLOG_MARK, APLOG_WARNING, 0, mc->c, MAUTHNO(00021)
                          "client certificate present but no verdict for it "
                          "(session %s); refusing", SSL_session_reused(mc->ssl)
                          ? "resumed without one" : "not verified");
        }
        mc->settled = 1;
    }
    mauth_verdict_age(&mc->verdict, now);
}

static int ssl_pre_handshake(conn_rec *c, SSL *ssl, int is_proxy)
{
    mauth_conn_t *mc;

    if (is_proxy) {
        return OK;
    }
    mc = apr_pcalloc(c->pool, sizeof(*mc));
    mc->c = c;
    mc->ssl = ssl;
    ap_set_module_config(c->conn_config, &mauth_module, mc);
    SSL_set_ex_data(ssl, ssl_conn_index, mc);
    return OK;
}

static int ssl_init_server(server_rec *s, apr_pool_t *p, int is_proxy, SSL_CTX *ctx)
{
    mauth_server_conf_t *sc = mauth_server_conf(s);
    STACK_OF(X509_NAME) *ca_names;

    if (is_proxy || !mauth_is_mutual(sc)) {
        return APR_SUCCESS;
    }
    if (SSL_CTX_get_verify_mode(ctx) != SSL_VERIFY_PEER) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, MAUTHNO(00030)
                     "MAuthRole mutual (%s:%u) needs 'SSLVerifyClient optional_no_ca' "
                     "on this vhost; mod_ssl is set to %s", s->defn_name,
                     s->defn_line_number,
                     SSL_CTX_get_verify_mode(ctx) == SSL_VERIFY_NONE
                     ? "not request a certificate" : "require one itself");
        return APR_EGENERAL;
    }
    ca_names = SSL_CTX_get_client_CA_list(ctx);
    if (sk_X509_NAME_num(ca_names) > 0) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, MAUTHNO(00031)
                     "MAuthRole mutual (%s:%u): mod_ssl would name %d CA(s) in the "
                     "certificate request; remove SSLCACertificateFile/"
                     "SSLCACertificatePath from this vhost (roots belong in "
                     "MAuthCACertificateFile)", s->defn_name, s->defn_line_number,
                     sk_X509_NAME_num(ca_names));
        return APR_EGENERAL;
    }
    if (ssl_conn_index < 0) {
        ssl_conn_index = SSL_get_ex_new_index(0, "mod_mauth connection", NULL, NULL, NULL);
    }
    SSL_CTX_set_cert_verify_callback(ctx, verify_client_chain, sc);
    sc->tls_ready = 1;
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, MAUTHNO(00032)
                 "taking over client certificate verification for %s:%u",
                 s->defn_name, s->defn_line_number);
    return APR_SUCCESS;
}

void mauth_ssl_register_hooks(apr_pool_t *p)
{
    APR_OPTIONAL_HOOK(ssl, init_server, ssl_init_server, NULL, NULL, APR_HOOK_MIDDLE);
    APR_OPTIONAL_HOOK(ssl, pre_handshake, ssl_pre_handshake, NULL, NULL, APR_HOOK_MIDDLE);
}
