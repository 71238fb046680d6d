/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mauth_conn.h: a TLS connection's verdicts and the sessions that carry
 * them (core: APR and OpenSSL only).  See mauth_conn.c.
 */
#ifndef MAUTH_CONN_H
#define MAUTH_CONN_H

#include <openssl/ssl.h>

#include "mauth_core.h"

typedef struct mauth_conn_state mauth_conn_state_t;

/* In the connection's own thread, before its handshake; log carries the
 * connection's messages from any thread. NULL when out of resources. */
mauth_conn_state_t *mauth_conn_state_create(apr_pool_t *p, SSL *ssl,
                                            const mauth_logger_t *log);

/* The verdict on leaf + untrusted under trust: from cache, else validated
 * now and remembered there. pool: for the debug trace. */
void mauth_judge_chain(const mauth_trust_t *trust, mauth_verdict_cache_t *cache, X509 *leaf,
                       STACK_OF(X509) *untrusted, apr_time_t now, const mauth_logger_t *log,
                       apr_pool_t *pool, mauth_verdict_t *out);

/* The handshake's verdict (the verify callback's), kept on the connection
 * and inside its TLS session; forgets what came of an earlier certificate. */
void mauth_conn_judged(mauth_conn_state_t *cs, const mauth_verdict_t *v);

/* The connection's verdict for a vhost of trust, aged to now: the
 * handshake's when made under that trust, else the chain judged again
 * (cache: that trust's); *other_trust when the chain is not at hand (a
 * resumed session).  Thread-safe. */
void mauth_conn_verdict_for(mauth_conn_state_t *cs, const mauth_trust_t *trust,
                            mauth_verdict_cache_t *cache, apr_time_t now,
                            mauth_verdict_t *out, int *other_trust);

/* The leaf's facts, or NULL without a certificate; computed once. */
const mauth_cert_info_t *mauth_conn_leaf_info(mauth_conn_state_t *cs);
/* RFC 9440 values of the connection's certificates (NULL when none). */
void mauth_conn_client_cert_headers(mauth_conn_state_t *cs, const char **cert,
                                    const char **chain);

/* The verdict a session carries; 0 when it holds a certificate but no
 * verdict of ours (another version's, or never judged). */
int mauth_session_verdict(SSL_SESSION *session, mauth_verdict_t *v);
/* Whether a session may be resumed where trust is in force: its verdict
 * was made under that very trust (and generation) and has not run out.
 * Otherwise the client makes a full handshake and sends its chain again. */
int mauth_session_resumable(SSL_SESSION *session, const mauth_trust_t *trust, apr_time_t now);

#endif /* MAUTH_CONN_H */
