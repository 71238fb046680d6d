/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mauth_conn.c: what one TLS connection proved, and for which trust.
 *
 * The verdict of the handshake is settled once: made by the verify
 * callback, or brought by a resumed session (inside which it travels), or
 * NONE without a certificate.  A request for a vhost of another trust gets
 * the connection's chain judged again under that trust; a resumed session
 * has no chain left to judge, so it is misdirected.  HTTP/2 streams ask
 * from other threads: everything is written under the connection's lock,
 * allocated from its own pool (never the connection's), and each stream
 * ages a copy.  Sessions made under another trust, an older generation or
 * with a verdict that ran out are not resumed at all.
 */
#include <string.h>

#include <apr_strings.h>
#include <apr_thread_mutex.h>

#include "mauth_conn.h"

struct mauth_conn_state {
    SSL *ssl;
    apr_thread_mutex_t *lock;
    apr_pool_t *pool;
    mauth_logger_t log;
    int settled;                       /* verdict is known */
    mauth_verdict_t verdict;           /* the handshake's, under its vhost's trust */
    const mauth_trust_t *rejudged_for; /* the chain judged again for a vhost */
    mauth_verdict_t rejudged;          /* of another trust */
    const mauth_cert_info_t *leaf_info;
    const char *client_cert, *client_cert_chain;
};

mauth_conn_state_t *mauth_conn_state_create(apr_pool_t *p, SSL *ssl,
                                            const mauth_logger_t *log)
{
    mauth_conn_state_t *cs = apr_pcalloc(p, sizeof(*cs));

    cs->ssl = ssl;
    cs->log = *log;
    if (apr_pool_create(&cs->pool, p) != APR_SUCCESS
        || apr_thread_mutex_create(&cs->lock, APR_THREAD_MUTEX_DEFAULT, p) != APR_SUCCESS) {
        return NULL;
    }
    apr_pool_tag(cs->pool, "mauth_conn");
    return cs;
}

static void log_verdict(const mauth_logger_t *log, apr_pool_t *pool, X509 *leaf,
                        const mauth_verdict_t *v, const char *how)
{
    mauth_cert_info_t info;

    if (!MAUTH_LOG_ON(log, MAUTH_LOG_DEBUG)) {
        return;
    }
    mauth_cert_info(pool, leaf, &info);
    mauth_log(log, MAUTH_LOG_DEBUG, "MAUTH00020",
              "%s for subject '%s', issuer '%s', serial %s, valid %s to %s: %s%s", how,
              info.subject_dn, info.issuer_dn, info.serial, info.not_before,
              info.not_after, mauth_verdict_text(pool, v),
              v->error_depth > 0 ? apr_psprintf(pool, " (at depth %d)", v->error_depth)
                                 : "");
}

void mauth_judge_chain(const mauth_trust_t *trust, mauth_verdict_cache_t *cache, X509 *leaf,
                       STACK_OF(X509) *untrusted, apr_time_t now, const mauth_logger_t *log,
                       apr_pool_t *pool, mauth_verdict_t *out)
{
    unsigned char chain_key[MAUTH_FINGERPRINT_LEN];

    mauth_chain_key(leaf, untrusted, chain_key);
    if (mauth_verdict_cache_get(cache, chain_key, now, out)
        && mauth_verdict_is_for(out, mauth_trust_id(trust))) {
        log_verdict(log, pool, leaf, out, "verdict from cache");
        return;
    }
    mauth_verify_chain(trust, leaf, untrusted, now, log, out);
    memcpy(out->chain_key, chain_key, sizeof(chain_key));
    mauth_verdict_cache_put(cache, out, now);
    log_verdict(log, pool, leaf, out, "validated chain");
}

void mauth_conn_judged(mauth_conn_state_t *cs, const mauth_verdict_t *v)
{
    unsigned char wire[MAUTH_VERDICT_WIRE_LEN];

    /* a renegotiation or TLS 1.3 post-handshake authentication may bring
     * another certificate: nothing computed from the previous one stays */
    apr_thread_mutex_lock(cs->lock);
    cs->verdict = *v;
    cs->settled = 1;
    cs->rejudged_for = NULL;
    cs->leaf_info = NULL;
    cs->client_cert = cs->client_cert_chain = NULL;
    apr_thread_mutex_unlock(cs->lock);
    mauth_verdict_encode(v, wire);
    SSL_SESSION_set1_ticket_appdata(SSL_get0_session(cs->ssl), wire, sizeof(wire));
}

int mauth_session_verdict(SSL_SESSION *session, mauth_verdict_t *v)
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

int mauth_session_resumable(SSL_SESSION *session, const mauth_trust_t *trust, apr_time_t now)
{
    mauth_verdict_t v, aged;

    if (!mauth_session_verdict(session, &v) || !mauth_verdict_is_for(&v, mauth_trust_id(trust))) {
        return 0;
    }
    /* one that has run out is judged afresh, for the reason of today */
    aged = v;
    mauth_verdict_age(&aged, now);
    return aged.status == v.status;
}

static void set_verdict(mauth_verdict_t *v, mauth_verify_status_e status, mauth_reason_e reason)
{
    memset(v, 0, sizeof(*v));
    v->status = status;
    v->reason = reason;
}

/* Makes the handshake's verdict final.  Under the lock. */
static void settle(mauth_conn_state_t *cs, X509 *leaf)
{
    if (cs->settled) {
        return;
    }
    if (leaf == NULL) {
        set_verdict(&cs->verdict, MAUTH_VERIFY_NONE, MAUTH_REASON_NO_CERTIFICATE);
    }
    else if (SSL_session_reused(cs->ssl)
             && mauth_session_verdict(SSL_get0_session(cs->ssl), &cs->verdict)) {
        log_verdict(&cs->log, cs->pool, leaf, &cs->verdict, "verdict from resumed session");
    }
    else {
        /* a certificate we never judged: fail closed */
        set_verdict(&cs->verdict, MAUTH_VERIFY_FAILED, MAUTH_REASON_INVALID);
        mauth_log(&cs->log, MAUTH_LOG_WARNING, "MAUTH00021",
                  "client certificate present but no verdict for it (session %s); refusing",
                  SSL_session_reused(cs->ssl) ? "resumed without one" : "not verified");
    }
    cs->settled = 1;
}

void mauth_conn_verdict_for(mauth_conn_state_t *cs, const mauth_trust_t *trust,
                            mauth_verdict_cache_t *cache, apr_time_t now,
                            mauth_verdict_t *out, int *other_trust)
{
    const unsigned char *trust_id = mauth_trust_id(trust);
    X509 *leaf = SSL_get0_peer_certificate(cs->ssl);

    *other_trust = 0;
    apr_thread_mutex_lock(cs->lock);
    settle(cs, leaf);
    if (leaf == NULL) {
        /* a renegotiation may end with no certificate: no verdict stands */
        set_verdict(out, MAUTH_VERIFY_NONE, MAUTH_REASON_NO_CERTIFICATE);
    }
    else if (mauth_verdict_is_for(&cs->verdict, trust_id)) {
        *out = cs->verdict;
    }
    else if (cs->rejudged_for == trust && mauth_verdict_is_for(&cs->rejudged, trust_id)) {
        *out = cs->rejudged;
    }
    else if (!SSL_session_reused(cs->ssl)) {
        /* a vhost of another trust on this connection (name-based vhosts
         * share the port): the chain it sent, under this vhost's trust */
        mauth_judge_chain(trust, cache, leaf, SSL_get_peer_cert_chain(cs->ssl), now, &cs->log,
                          cs->pool, &cs->rejudged);
        cs->rejudged_for = trust;
        *out = cs->rejudged;
    }
    else {
        /* resumed: the chain is not here to judge again */
        set_verdict(out, MAUTH_VERIFY_FAILED, MAUTH_REASON_OTHER_TRUST);
        *other_trust = 1;
    }
    apr_thread_mutex_unlock(cs->lock);
    /* aged on the copy: streams never write what others read */
    mauth_verdict_age(out, now);
}

const mauth_cert_info_t *mauth_conn_leaf_info(mauth_conn_state_t *cs)
{
    X509 *leaf = SSL_get0_peer_certificate(cs->ssl);

    if (leaf == NULL) {
        return NULL;
    }
    apr_thread_mutex_lock(cs->lock);
    if (cs->leaf_info == NULL) {
        mauth_cert_info_t *info = apr_palloc(cs->pool, sizeof(*info));
        mauth_cert_info(cs->pool, leaf, info);
        cs->leaf_info = info;
    }
    apr_thread_mutex_unlock(cs->lock);
    return cs->leaf_info;
}

void mauth_conn_client_cert_headers(mauth_conn_state_t *cs, const char **cert,
                                    const char **chain)
{
    X509 *leaf = SSL_get0_peer_certificate(cs->ssl);

    *cert = *chain = NULL;
    if (leaf == NULL) {
        return;
    }
    apr_thread_mutex_lock(cs->lock);
    if (cs->client_cert == NULL) {
        mauth_cert_rfc9440(cs->pool, leaf, SSL_get_peer_cert_chain(cs->ssl),
                           &cs->client_cert, &cs->client_cert_chain);
    }
    *cert = cs->client_cert;
    *chain = cs->client_cert_chain;
    apr_thread_mutex_unlock(cs->lock);
}
