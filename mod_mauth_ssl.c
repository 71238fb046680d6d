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
 * threads: what they read is settled under the connection's lock.
 */
#include "mod_mauth.h"

#include "apr_strings.h"
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

static X509 *peer_leaf(const mauth_conn_t *mc)
{
    return SSL_get0_peer_certificate(mc->ssl);
}

/* pool: the connection's in its own thread, else mc->pool under lock */
static void log_validation(conn_rec *c, apr_pool_t *pool, X509 *leaf,
                           const mauth_verdict_t *v, const char *how)
{
    if (APLOGcdebug(c)) {
        mauth_cert_info_t info;
        mauth_cert_info(pool, leaf, &info);
        ap_log_cerror(APLOG_MARK, APLOG_DEBUG, 0, c, MAUTHNO(00020)
                      "%s for subject '%s', issuer '%s', serial %s, valid %s to %s: %s%s",
                      how, info.subject_dn, info.issuer_dn, info.serial,
                      info.not_before, info.not_after, mauth_verdict_text(pool, v),
                      v->error_depth > 0 ? apr_psprintf(pool, " (at depth %d)",
                                                        v->error_depth) : "");
    }
}

/* The verdict on leaf + untrusted under entry's trust: from its verdict
 * cache, else validated now and remembered. */
static void judge_chain(conn_rec *c, apr_pool_t *pool, mauth_trust_entry_t *entry,
                        X509 *leaf, STACK_OF(X509) *untrusted, apr_time_t now,
                        mauth_verdict_t *out)
{
    const unsigned char *trust_id = mauth_trust_id(entry->trust);
    unsigned char chain_key[MAUTH_FINGERPRINT_LEN];
    mauth_logger_t logger;

    mauth_chain_key(leaf, untrusted, chain_key);
    if (mauth_verdict_cache_get(entry->cache, chain_key, now, out)
        && mauth_verdict_is_for(out, trust_id)) {
        log_validation(c, pool, leaf, out, "verdict from cache");
        return;
    }
    mauth_conn_logger(c, &logger);
    mauth_verify_chain(entry->trust, leaf, untrusted, now, &logger, out);
    memcpy(out->chain_key, chain_key, sizeof(chain_key));
    mauth_verdict_cache_put(entry->cache, out, now);
    log_validation(c, pool, leaf, out, "validated chain");
}

/* OpenSSL's certificate verification for a mutual vhost's SSL_CTX. */
static int verify_client_chain(X509_STORE_CTX *store_ctx, void *arg)
{
    mauth_server_conf_t *sc = arg;
    SSL *ssl = X509_STORE_CTX_get_ex_data(store_ctx, SSL_get_ex_data_X509_STORE_CTX_idx());
    mauth_conn_t *mc = ssl ? SSL_get_ex_data(ssl, ssl_conn_index) : NULL;
    unsigned char wire[MAUTH_VERDICT_WIRE_LEN];
    mauth_verdict_t verdict;

    if (mc == NULL) {
        /* not a connection we saw begin: refuse rather than guess */
        X509_STORE_CTX_set_error(store_ctx, X509_V_ERR_CERT_UNTRUSTED);
        return 1;
    }
    judge_chain(mc->c, mc->c->pool, sc->trust, X509_STORE_CTX_get0_cert(store_ctx),
                X509_STORE_CTX_get0_untrusted(store_ctx), apr_time_now(), &verdict);
    /* a renegotiation or TLS 1.3 post-handshake authentication may bring
     * another certificate: nothing computed from the previous one stays */
    apr_thread_mutex_lock(mc->lock);
    mc->verdict = verdict;
    mc->settled = 1;
    mc->rejudged_for = NULL;
    mc->leaf_info = NULL;
    mc->client_cert = mc->client_cert_chain = NULL;
    apr_thread_mutex_unlock(mc->lock);
    mauth_verdict_encode(&verdict, wire);
    SSL_SESSION_set1_ticket_appdata(SSL_get0_session(ssl), wire, sizeof(wire));
    X509_STORE_CTX_set_error(store_ctx, verdict.status == MAUTH_VERIFY_SUCCESS
                                        ? X509_V_OK : X509_V_ERR_CERT_UNTRUSTED);
    return 1;
}

/* The verdict a session carries; 0 when it holds a certificate but no
 * verdict of ours (made by another version, or never judged). */
static int session_verdict(SSL_SESSION *session, mauth_verdict_t *v)
{
    void *data = NULL;
    size_t len = 0;

    memset(v, 0, sizeof(*v));
    if (SSL_SESSION_get0_peer(session) == NULL) {
        v->status = MAUTH_VERIFY_NONE;
        v->reason = MAUTH_REASON_NO_CERTIFICATE;
        return 1;
    }
    return SSL_SESSION_get0_ticket_appdata(session, &data, &len) == 1
           && mauth_verdict_decode(data, len, v);
}

/* Whether a session offered for resumption may be resumed on ssl's current
 * vhost (after SNI): yes on vhosts that are not ours; on a mutual vhost only
 * when its verdict was made under this very trust and has not run out.
 * Otherwise the client makes a full handshake and sends its chain again. */
static int resumable_here(SSL *ssl, SSL_SESSION *session)
{
    mauth_server_conf_t *sc = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ssl_ctx_index);
    mauth_verdict_t v;
    if (sc == NULL || sc->trust == NULL) {
        return 1;
    }
    mauth_verdict_t aged;

    if (!session_verdict(session, &v)
        || !mauth_verdict_is_for(&v, mauth_trust_id(sc->trust->trust))) {
        return 0;
    }
    /* one that has run out is judged afresh, for the reason of today */
    aged = v;
    mauth_verdict_age(&aged, apr_time_now());
    return aged.status == v.status;
}

static SSL_TICKET_RETURN check_ticket(SSL *ssl, SSL_SESSION *session,
                                      const unsigned char *keyname, size_t keyname_len,
                                      SSL_TICKET_STATUS status, void *arg)
{
    if (status != SSL_TICKET_SUCCESS && status != SSL_TICKET_SUCCESS_RENEW) {
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

/* Makes the handshake's verdict final: a resumed session brings the one its
 * first handshake made; no certificate is NONE.  Under mc->lock. */
static void settle(mauth_conn_t *mc)
{
    if (mc->settled) {
        return;
    }
    if (peer_leaf(mc) == NULL) {
        memset(&mc->verdict, 0, sizeof(mc->verdict));
        mc->verdict.status = MAUTH_VERIFY_NONE;
        mc->verdict.reason = MAUTH_REASON_NO_CERTIFICATE;
    }
    else if (SSL_session_reused(mc->ssl)
             && session_verdict(SSL_get0_session(mc->ssl), &mc->verdict)) {
        log_validation(mc->c, mc->pool, peer_leaf(mc), &mc->verdict,
                       "verdict from resumed session");
    }
    else {
        /* a certificate we never judged: fail closed */
        memset(&mc->verdict, 0, sizeof(mc->verdict));
        mc->verdict.status = MAUTH_VERIFY_FAILED;
        mc->verdict.reason = MAUTH_REASON_INVALID;
        ap_log_cerror(APLOG_MARK, APLOG_WARNING, 0, mc->c, MAUTHNO(00021)
                      "client certificate present but no verdict for it "
                      "(session %s); refusing", SSL_session_reused(mc->ssl)
                      ? "resumed without one" : "not verified");
    }
    mc->settled = 1;
}

void mauth_ssl_verdict_for(mauth_conn_t *mc, mauth_trust_entry_t *entry, apr_time_t now,
                           mauth_verdict_t *out, int *other_trust)
{
    const unsigned char *trust_id = mauth_trust_id(entry->trust);

    *other_trust = 0;
    apr_thread_mutex_lock(mc->lock);
    settle(mc);
    if (peer_leaf(mc) == NULL) {
        /* a renegotiation may end with no certificate: no verdict stands */
        memset(out, 0, sizeof(*out));
        out->status = MAUTH_VERIFY_NONE;
        out->reason = MAUTH_REASON_NO_CERTIFICATE;
    }
    else if (mauth_verdict_is_for(&mc->verdict, trust_id)) {
        *out = mc->verdict;
    }
    else if (mc->rejudged_for == entry
             && mauth_verdict_is_for(&mc->rejudged, trust_id)) {
        *out = mc->rejudged;
    }
    else if (!SSL_session_reused(mc->ssl)) {
        /* a vhost of another trust on this connection (name-based vhosts
         * share the port): the chain it sent, under this vhost's trust */
        judge_chain(mc->c, mc->pool, entry, peer_leaf(mc), SSL_get_peer_cert_chain(mc->ssl),
                    now, &mc->rejudged);
        mc->rejudged_for = entry;
        *out = mc->rejudged;
    }
    else {
        /* resumed: the chain is not here to judge again */
        memset(out, 0, sizeof(*out));
        out->status = MAUTH_VERIFY_FAILED;
        out->reason = MAUTH_REASON_OTHER_TRUST;
        *other_trust = 1;
    }
    apr_thread_mutex_unlock(mc->lock);
    /* aged on the copy: streams never write what others read */
    mauth_verdict_age(out, now);
}

const mauth_cert_info_t *mauth_ssl_leaf_info(mauth_conn_t *mc)
{
    X509 *leaf = peer_leaf(mc);

    if (leaf == NULL) {
        return NULL;
    }
    apr_thread_mutex_lock(mc->lock);
    if (mc->leaf_info == NULL) {
        mauth_cert_info_t *info = apr_palloc(mc->pool, sizeof(*info));
        mauth_cert_info(mc->pool, leaf, info);
        mc->leaf_info = info;
    }
    apr_thread_mutex_unlock(mc->lock);
    return mc->leaf_info;
}

void mauth_ssl_client_cert_headers(mauth_conn_t *mc, const char **cert, const char **chain)
{
    X509 *leaf = peer_leaf(mc);

    *cert = *chain = NULL;
    if (leaf == NULL) {
        return;
    }
    apr_thread_mutex_lock(mc->lock);
    if (mc->client_cert == NULL) {
        mauth_cert_rfc9440(mc->pool, leaf, SSL_get_peer_cert_chain(mc->ssl),
                           &mc->client_cert, &mc->client_cert_chain);
    }
    *cert = mc->client_cert;
    *chain = mc->client_cert_chain;
    apr_thread_mutex_unlock(mc->lock);
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
    /* still the connection's own thread: streams allocate from mc->pool
     * only, under mc->lock, never from c->pool */
    if (apr_pool_create(&mc->pool, c->pool) != APR_SUCCESS
        || apr_thread_mutex_create(&mc->lock, APR_THREAD_MUTEX_DEFAULT, c->pool)
           != APR_SUCCESS) {
        ap_log_cerror(APLOG_MARK, APLOG_ERR, 0, c, MAUTHNO(00022)
                      "cannot set up the connection's state");
        return DECLINED;
    }
    apr_pool_tag(mc->pool, "mauth_conn");
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
