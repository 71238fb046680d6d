/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mod_mauth_ssl.c: the mod_ssl wiring of the chain-validation layer.
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
 *
 * A verdict names the trust (roots, CRLs, policy, configuration
 * generation) that made it and counts only where that trust is in force:
 * a session made under another trust or an older generation is not resumed
 * (the client sends its chain again), and a request for a vhost of another
 * trust has the connection's chain judged again, or is misdirected when the
 * chain is not at hand.  HTTP/2 streams share the connection from other
 * threads: what they read is settled under the connection's lock (the
 * core's mauth_conn.c keeps all of it; this file is the wiring).
 */
#include "mod_mauth.h"

#include "http_connection.h"
#include "mod_ssl_openssl.h"

static int ssl_conn_index = -1;
/* The mutual vhost's server config on its SSL_CTX, for the session checks. */
static int ssl_ctx_index = -1;
/* mod_ssl's session cache lookup, which ours wraps (the same function for
 * every SSL_CTX mod_ssl makes). */
static SSL_SESSION *(*mod_ssl_get_session)(SSL *, const unsigned char *, int, int *);

/* The core's messages carry the core's own file and line. */
static void log_to_conn(void *baton, const char *file, int line, int level, const char *tag,
                        const char *message)
{
    conn_rec *c = baton;

    ap_log_cerror_(file, line, APLOG_MODULE_INDEX, level, 0, c, "%s: %s", tag, message);
}

mauth_conn_t *mauth_ssl_conn(conn_rec *c)
{
    /* HTTP/2 streams run on secondary connections of the TLS one */
    while (c->master) {
        c = c->master;
    }
    return ap_get_module_config(c->conn_config, &mauth_module);
}

/* OpenSSL's certificate verification for a mutual vhost's SSL_CTX. */
static int verify_client_chain(X509_STORE_CTX *store_ctx, void *arg)
{
    mauth_server_conf_t *sc = arg;
    SSL *ssl = X509_STORE_CTX_get_ex_data(store_ctx, SSL_get_ex_data_X509_STORE_CTX_idx());
    mauth_conn_t *mc = ssl ? SSL_get_ex_data(ssl, ssl_conn_index) : NULL;
    mauth_verdict_t verdict;
    mauth_trust_t *trust;

    if (mc == NULL) {
        /* not a connection we saw begin: refuse rather than guess */
        X509_STORE_CTX_set_error(store_ctx, X509_V_ERR_CERT_UNTRUSTED);
        return 1;
    }
    /* the handshake runs in the connection's own thread: its pool is ours */
    trust = mauth_trust_acquire(sc->trust);
    mauth_judge_chain(trust, sc->trust->cache, X509_STORE_CTX_get0_cert(store_ctx),
                      X509_STORE_CTX_get0_untrusted(store_ctx), apr_time_now(), &mc->log,
                      mc->c->pool, &verdict);
    mauth_trust_release(sc->trust, trust);
    if (verdict.status == MAUTH_VERIFY_SUCCESS && sc->ocsp_mode != MAUTH_OCSP_MODE_OFF) {
        /* only a chain whose signatures verified is asked about */
        mauth_ocsp_verdict(mc->c->base_server, sc, mc, X509_STORE_CTX_get0_cert(store_ctx),
                           X509_STORE_CTX_get0_untrusted(store_ctx), &verdict);
    }
    mauth_conn_judged(mc->state, &verdict);
    X509_STORE_CTX_set_error(store_ctx, verdict.status == MAUTH_VERIFY_SUCCESS
                                        ? X509_V_OK : X509_V_ERR_CERT_UNTRUSTED);
    return 1;
}

/* Whether a session offered for resumption may be resumed on ssl's current
 * vhost (after SNI): yes on vhosts that are not ours; on a mutual vhost as
 * the core says (mauth_session_resumable). */
static int resumable_here(SSL *ssl, SSL_SESSION *session)
{
    mauth_server_conf_t *sc = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ssl_ctx_index);
    mauth_conn_t *mc = SSL_get_ex_data(ssl, ssl_conn_index);
    mauth_trust_t *trust;
    int resumable;

    if (sc == NULL || sc->trust == NULL) {
        return 1;
    }
    trust = mauth_trust_acquire(sc->trust);
    resumable = mauth_session_resumable(session, trust, apr_time_now());
    mauth_trust_release(sc->trust, trust);
    if (resumable) {
        return 1;
    }
    if (mc) {
        ap_log_cerror(APLOG_MARK, APLOG_DEBUG, 0, mc->c, MAUTHNO(00023)
                      "session not resumed: its verdict is of another trust or "
                      "generation, or has run out; a full handshake follows");
    }
    return 0;
}

static SSL_TICKET_RETURN check_ticket(SSL *ssl, SSL_SESSION *session,
                                      const unsigned char *keyname, size_t keyname_len,
                                      SSL_TICKET_STATUS status, void *arg)
{
    if (status != SSL_TICKET_SUCCESS && status != SSL_TICKET_SUCCESS_RENEW) {
        mauth_conn_t *mc = SSL_get_ex_data(ssl, ssl_conn_index);
        if (mc) {
            ap_log_cerror(APLOG_MARK, APLOG_DEBUG, 0, mc->c, MAUTHNO(00024)
                          "session ticket %s: a full handshake follows",
                          status == SSL_TICKET_EMPTY ? "empty" : "not decrypted");
        }
        /* no session in it: a full handshake, and a new ticket */
        return SSL_TICKET_RETURN_IGNORE_RENEW;
    }
    if (!resumable_here(ssl, session)) {
        return SSL_TICKET_RETURN_IGNORE_RENEW;
    }
    return status == SSL_TICKET_SUCCESS ? SSL_TICKET_RETURN_USE : SSL_TICKET_RETURN_USE_RENEW;
}

static SSL_SESSION *get_session_checked(SSL *ssl, const unsigned char *id, int id_len,
                                        int *copy)
{
    SSL_SESSION *session = mod_ssl_get_session(ssl, id, id_len, copy);

    if (session && !resumable_here(ssl, session)) {
        if (*copy == 0) {
            /* handed to us to own */
            SSL_SESSION_free(session);
        }
        return NULL;
    }
    return session;
}

static int ssl_pre_handshake(conn_rec *c, SSL *ssl, int is_proxy)
{
    mauth_conn_t *mc;

    if (is_proxy) {
        return OK;
    }
    mc = apr_pcalloc(c->pool, sizeof(*mc));
    mc->c = c;
    mc->log.fn = log_to_conn;
    mc->log.baton = c;
    mc->log.level = ap_get_conn_module_loglevel(c, APLOG_MODULE_INDEX);
    /* still the connection's own thread: the state's pool is made here */
    if ((mc->state = mauth_conn_state_create(c->pool, ssl, &mc->log)) == NULL) {
        ap_log_cerror(APLOG_MARK, APLOG_ERR, 0, c, MAUTHNO(00022)
                      "cannot set up the connection's state");
        return DECLINED;
    }
    ap_set_module_config(c->conn_config, &mauth_module, mc);
    SSL_set_ex_data(ssl, ssl_conn_index, mc);
    return OK;
}

static int check_mutual_ctx(server_rec *s, SSL_CTX *ctx)
{
    STACK_OF(X509_NAME) *ca_names = SSL_CTX_get_client_CA_list(ctx);

    if (SSL_CTX_get_verify_mode(ctx) != SSL_VERIFY_PEER) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, MAUTHNO(00030)
                     "MAuthRole mutual (%s:%u) needs 'SSLVerifyClient optional_no_ca' "
                     "on this vhost; mod_ssl is set to %s", s->defn_name,
                     s->defn_line_number,
                     SSL_CTX_get_verify_mode(ctx) == SSL_VERIFY_NONE
                     ? "not request a certificate" : "require one itself");
        return 0;
    }
    if (sk_X509_NAME_num(ca_names) > 0) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, MAUTHNO(00031)
                     "MAuthRole mutual (%s:%u): mod_ssl would name %d CA(s) in the "
                     "certificate request; remove SSLCACertificateFile/"
                     "SSLCACertificatePath from this vhost (roots belong in "
                     "MAuthCACertificateFile)", s->defn_name, s->defn_line_number,
                     sk_X509_NAME_num(ca_names));
        return 0;
    }
    return 1;
}

/* Every SSL vhost's context gets the session checks: a session is offered
 * to the context of the port's first vhost, then resumed (after SNI) on the
 * one the client named, which may be a mutual vhost of another trust. */
static void check_resumption(server_rec *s, SSL_CTX *ctx)
{
    SSL_SESSION *(*get_session)(SSL *, const unsigned char *, int, int *) =
        SSL_CTX_sess_get_get_cb(ctx);

    SSL_CTX_set_session_ticket_cb(ctx, NULL, check_ticket, NULL);
    if (get_session == NULL || get_session == get_session_checked) {
        return;
    }
    if (mod_ssl_get_session == NULL) {
        mod_ssl_get_session = get_session;
    }
    if (get_session == mod_ssl_get_session) {
        SSL_CTX_sess_set_get_cb(ctx, get_session_checked);
        /* OpenSSL's own per-process cache would resume without asking it */
        SSL_CTX_set_session_cache_mode(ctx, SSL_CTX_get_session_cache_mode(ctx)
                                             | SSL_SESS_CACHE_NO_INTERNAL_LOOKUP);
    }
    else {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, MAUTHNO(00033)
                     "%s:%u: an unknown session cache lookup is in place; sessions "
                     "resumed here are judged per request (421 under another trust)",
                     s->defn_name, s->defn_line_number);
    }
}

static int ssl_init_server(server_rec *s, apr_pool_t *p, int is_proxy, SSL_CTX *ctx)
{
    mauth_server_conf_t *sc = mauth_server_conf(s);

    if (is_proxy) {
        return APR_SUCCESS;
    }
    if (ssl_conn_index < 0) {
        ssl_conn_index = SSL_get_ex_new_index(0, "mod_mauth connection", NULL, NULL, NULL);
        ssl_ctx_index = SSL_CTX_get_ex_new_index(0, "mod_mauth vhost", NULL, NULL, NULL);
    }
    check_resumption(s, ctx);
    if (!mauth_is_mutual(sc)) {
        return APR_SUCCESS;
    }
    if (!check_mutual_ctx(s, ctx)) {
        return APR_EGENERAL;
    }
    SSL_CTX_set_cert_verify_callback(ctx, verify_client_chain, sc);
    SSL_CTX_set_ex_data(ctx, ssl_ctx_index, sc);
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
