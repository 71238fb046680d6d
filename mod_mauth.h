/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mod_mauth.h: private header of the httpd glue (mod_mauth.c, mod_mauth_ssl.c,
 * mod_mauth_identity.c, mod_mauth_dbd.c).
 * The decisions themselves live in the httpd-free core, mauth_core.h.
 */
#ifndef MOD_MAUTH_H
#define MOD_MAUTH_H

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"

#include "apr_thread_mutex.h"

#include "mauth_core.h"
#include "mauth_store.h"

APLOG_USE_MODULE(mauth);
extern module AP_MODULE_DECLARE_DATA mauth_module;

/* Our own message tags, in the style of httpd's APLOGNO. */
#define MAUTHNO(n) "MAUTH" #n ": "

#define MAUTH_UNSET (-1)

typedef enum {
    MAUTH_ROLE_UNSET = -1,
    MAUTH_ROLE_STANDARD = 0,
    MAUTH_ROLE_MUTUAL
} mauth_role_e;

/* A trust and a verdict cache, shared by every vhost configured alike. */
typedef struct {
    mauth_trust_t *trust;
    mauth_verdict_cache_t *cache;      /* per child process */
    int cache_size;
    apr_interval_time_t cache_ttl;
} mauth_trust_entry_t;

typedef struct {
    int engine;
    mauth_role_e role;
    const char *ca_file;
    const char *ca_path;
    const char *crl_file;
    const char *crl_path;
    mauth_crl_check_e crl_check;
    int verify_depth;
    int cache_size;
    apr_interval_time_t cache_ttl;
    /* identity verification (mod_mauth_identity.c) */
    int uses_store;                    /* some location enforces */
    const char *user_query;            /* operators' own SQL, or NULL */
    const char *session_query;
    apr_interval_time_t store_ttl;
    apr_interval_time_t store_negative_ttl;
    int store_cache_size;
    const char *store_id;              /* set at start-up: which store answers */
    /* mod_dbd's settings for this vhost (a dbd_cfg_t; mod_mauth_dbd.c), set at
     * start-up: what our own connection needs when mod_dbd has none */
    const void *dbd_cfg;

    /* set at start-up */
    mauth_trust_entry_t *trust;
    int tls_ready;                     /* mod_ssl handed us this vhost's SSL_CTX */
} mauth_server_conf_t;

/* Where the identity layer looks for the request's user, in order. */
typedef enum {
    MAUTH_SOURCE_REMOTE_USER,          /* r->user, from any authn module */
    MAUTH_SOURCE_BEARER,               /* Authorization: Bearer <token> */
    MAUTH_SOURCE_OAUTH,                /* Authorization: OAuth <token> */
    MAUTH_SOURCE_COOKIE,               /* a named cookie */
    MAUTH_SOURCE_HEADER,               /* a named request header */
    MAUTH_SOURCE_SOAP                  /* SOAP SessionHeader/sessionId */
} mauth_source_e;

typedef struct {
    mauth_source_e kind;
    const char *name;                  /* cookie or header name */
} mauth_user_source_t;

typedef enum {
    MAUTH_FAULT_UNSET = -1,
    MAUTH_FAULT_AUTO = 0,
    MAUTH_FAULT_SOAP,
    MAUTH_FAULT_JSON
} mauth_fault_format_e;

typedef struct {
    int require_certificate;
    const char *error_image;
    int error_status;
    int enforce;
    apr_array_header_t *user_sources;  /* mauth_user_source_t */
    mauth_fault_format_e fault_format;
    apr_off_t soap_peek_limit;
    int forward_client_cert;
} mauth_dir_conf_t;

/* What one client connection proved in its TLS handshake.  HTTP/2 streams
 * read it from other threads: everything but c and ssl is written under
 * lock, and allocated from pool, never from the connection's pool. */
typedef struct {
    conn_rec *c;
    SSL *ssl;
    apr_thread_mutex_t *lock;
    apr_pool_t *pool;
    int settled;                       /* verdict is known */
    mauth_verdict_t verdict;           /* the handshake's, under its vhost's trust */
    const mauth_trust_entry_t *rejudged_for; /* the chain judged again for a */
    mauth_verdict_t rejudged;          /* vhost of another trust */
    const mauth_cert_info_t *leaf_info;/* computed on first use */
    const char *client_cert;           /* RFC 9440 header values, likewise */
    const char *client_cert_chain;
} mauth_conn_t;

#define mauth_server_conf(s) \
    ((mauth_server_conf_t *)ap_get_module_config((s)->module_config, &mauth_module))

int mauth_is_mutual(const mauth_server_conf_t *sc);

/* mod_mauth.c */
/* Whether two header names are one to a back end: any case, with '-', '_'
 * and '.' alike (CGI, WSGI and Rack map them together). */
int mauth_same_header_name(const char *a, const char *b);
/* Client-sent copies of the headers this module forwards, in any spelling,
 * never reach a back end: removed when the request is read, and again when
 * its body was (trailers). */
void mauth_strip_forged_headers(request_rec *r);
/* The chain layer's facts for r (role, location settings, the connection's
 * verdict under this vhost's trust), with the MAUTH_CLIENT_* environment
 * set; returns the connection, NULL on a standard vhost. */
mauth_conn_t *mauth_chain_facts(request_rec *r, mauth_facts_t *facts);
/* Sends a decision: DECLINED for a pass, else the status, with the page or
 * the fault written where the answer has one (never in a subrequest). */
int mauth_answer(request_rec *r, mauth_conn_t *mc, const mauth_decision_t *d,
                 const char *user);

/* mod_mauth_identity.c: the second layer of the seeds */
const char *mauth_cmd_Enforce(cmd_parms *cmd, void *dcv, int on);
const char *mauth_cmd_UserSource(cmd_parms *cmd, void *dcv, const char *arg);
const char *mauth_cmd_FaultFormat(cmd_parms *cmd, void *dcv, const char *arg);
const char *mauth_cmd_SOAPPeekLimit(cmd_parms *cmd, void *dcv, const char *arg);
const char *mauth_cmd_ForwardClientCert(cmd_parms *cmd, void *dcv, int on);
const char *mauth_cmd_StoreQuery(cmd_parms *cmd, void *dummy, const char *sql);
const char *mauth_cmd_StoreCacheTimeout(cmd_parms *cmd, void *dummy,
                                        const char *positive, const char *negative);
const char *mauth_cmd_StoreCacheSize(cmd_parms *cmd, void *dummy, const char *arg);
void mauth_identity_register_hooks(apr_pool_t *p);

/* mod_mauth_dbd.c: the store's connections, through mod_dbd */
/* Labels of the operators' own queries; ours are mauth_store_queries[]. */
#define MAUTH_LABEL_CUSTOM_USER "mauth_custom_user_by_name"
#define MAUTH_LABEL_CUSTOM_SESSION "mauth_custom_user_by_session"
/* One store lookup on one connection. */
typedef mauth_store_status_e mauth_dbd_call_fn(request_rec *r,
        const apr_dbd_driver_t *driver, apr_dbd_t *handle, apr_hash_t *prepared,
        void *baton, const char **err);
/* Runs call on the request's pooled connection; when it fails, once more on
 * a new connection, and when that answers, reopens the pooled one.  ERROR
 * only when no connection answered; *err then carries the drivers' own
 * messages. */
mauth_store_status_e mauth_dbd_run(request_rec *r, mauth_dbd_call_fn *call, void *baton,
                                   const char **err);
void mauth_dbd_register_hooks(apr_pool_t *p);

/* mod_mauth_ssl.c */
void mauth_ssl_register_hooks(apr_pool_t *p);
mauth_conn_t *mauth_ssl_conn(conn_rec *c);
/* The connection's verdict for a vhost of trust entry, aged to now: the
 * handshake's when made under that trust, else the chain judged again;
 * *other_trust when the chain is not at hand (a resumed session).
 * Thread-safe. */
void mauth_ssl_verdict_for(mauth_conn_t *mc, mauth_trust_entry_t *entry, apr_time_t now,
                           mauth_verdict_t *out, int *other_trust);
/* The leaf's facts, or NULL without a certificate; computed once. */
const mauth_cert_info_t *mauth_ssl_leaf_info(mauth_conn_t *mc);
/* RFC 9440 values of the connection's certificates (NULL when none). */
void mauth_ssl_client_cert_headers(mauth_conn_t *mc, const char **cert, const char **chain);
void mauth_conn_logger(conn_rec *c, mauth_logger_t *logger);

#endif /* MOD_MAUTH_H */
