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
#include "mod_watchdog.h"

#include "apr_thread_mutex.h"

#include "mauth_core.h"
#include "mauth_conn.h"
#include "mauth_fetch.h"
#include "mauth_http.h"
#include "mauth_refresh.h"
#include "mauth_ocsp.h"
#include "mauth_store.h"

APLOG_USE_MODULE(mauth);
extern module AP_MODULE_DECLARE_DATA mauth_module;

/* Our own message tags, in the style of httpd's APLOGNO. */
#define MAUTHNO(n) "MAUTH" #n ": "

#define MAUTH_UNSET (-1)
/* ocsp_max_age: -1 is a value there (no bound) */
#define MAUTH_OCSP_AGE_UNSET (-2)

typedef enum {
    MAUTH_ROLE_UNSET = -1,
    MAUTH_ROLE_STANDARD = 0,
    MAUTH_ROLE_MUTUAL
} mauth_role_e;


typedef struct {
    int engine;
    mauth_role_e role;
    const char *ca_file;
    const char *ca_path;
    const char *crl_file;
    const char *crl_path;
    mauth_crl_check_e crl_check;
    int verify_depth;
    apr_interval_time_t crl_refresh;   /* how often the CRL files are looked
                                        * at; 0: never (mod_mauth_refresh.c) */
    int crl_fetch;                     /* MAuthCARevocationFetch (mod_mauth_fetch.c) */
    apr_array_header_t *crl_fetch_urls;/* MAuthCARevocationFetchURL (const char *) */
    apr_interval_time_t crl_fetch_timeout;
    apr_off_t crl_fetch_max;           /* bytes of one fetched CRL */
    int cache_size;
    apr_interval_time_t cache_ttl;
    int expiry_warning;                /* days; 0: no warnings (mod_mauth_expiry.c) */
    int uses_store;                    /* some location enforces */
    const char *user_query;            /* operators' own SQL, or NULL */
    const char *session_query;
    apr_interval_time_t store_ttl;
    apr_interval_time_t store_negative_ttl;
    int store_cache_size;
    mauth_ocsp_mode_e ocsp_mode;       /* MAuthOCSP */
    const char *ocsp_responder;        /* MAuthOCSPResponder, or NULL */
    int ocsp_override;                 /* the configured responder even where
                                        * a certificate names its own */
    int ocsp_cert_responder;           /* a certificate's AIA URL may be asked */
    apr_interval_time_t ocsp_timeout;
    int ocsp_nonce;
    apr_interval_time_t ocsp_max_age;  /* -1: no bound but nextUpdate */
    apr_interval_time_t ocsp_skew;
    int ocsp_fail_open;                /* MAuthOCSPFailure open */
    const char *ocsp_cache;            /* socache "type[:args]" (global) */
    apr_interval_time_t ocsp_cache_max;/* a response is kept at most this long */

    /* set at start-up, not configured */
    const char *store_id;              /* which store answers (cache keys) */
    const void *dbd_cfg;               /* mod_dbd's settings (a dbd_cfg_t),
                                        * for our own connections */
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

/* Our side of one client TLS connection (its state is the core's). */
typedef struct {
    conn_rec *c;
    mauth_logger_t log;                /* to the connection's log, any thread */
    mauth_conn_state_t *state;         /* mauth_conn.h */
} mauth_conn_t;

#define mauth_server_conf(s) \
    ((mauth_server_conf_t *)ap_get_module_config((s)->module_config, &mauth_module))
#define mauth_dir_conf(r) \
    ((mauth_dir_conf_t *)ap_get_module_config((r)->per_dir_config, &mauth_module))

/* mod_mauth_config.c: directives, create/merge, defaults */
extern const command_rec mauth_cmds[];
void *mauth_create_server_conf(apr_pool_t *p, server_rec *s);
void *mauth_merge_server_conf(apr_pool_t *p, void *base, void *add);
void *mauth_create_dir_conf(apr_pool_t *p, char *dir);
void *mauth_merge_dir_conf(apr_pool_t *p, void *base, void *add);
/* Gives every setting not configured its default, once, first thing at
 * start-up: afterwards every field holds its value. */
void mauth_config_resolve(apr_pool_t *p, server_rec *base);
int mauth_is_mutual(const mauth_server_conf_t *sc);
/* The core's messages about s, at s's LogLevel for mauth (mod_mauth.c). */
void mauth_server_logger(server_rec *s, mauth_logger_t *logger);
/* Registers callback with a mod_watchdog instance (post_config, before
 * mod_watchdog's own at LAST counts them); a failure is logged, naming
 * the directive that asked for it, and returned as a post_config result. */
int mauth_watchdog_start(apr_pool_t *pconf, server_rec *base, const char *name,
                         int singleton, apr_interval_time_t interval,
                         ap_watchdog_callback_fn_t *callback, const char *directive);

/* mod_mauth_chain.c: the chain layer per request */
void mauth_chain_register_hooks(apr_pool_t *p);
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
                 const char *user);   /* mod_mauth_answer.c */

/* mod_mauth_identity.c: the second layer of the seeds */
void mauth_identity_register_hooks(apr_pool_t *p);

/* mod_mauth_body.c: the body read ahead of the handler, once per family */
/* What one client request has shown so far, shared by the request and every
 * internal redirect and subrequest made for it, so each is read and looked
 * up once. */
typedef struct {
    int soap_read;                     /* soap and soap_tokens are known */
    mauth_soap_e soap;
    const char *undecodable;           /* the body's content coding, when we
                                        * cannot read through it */
    apr_array_header_t *soap_tokens;   /* const char * */
    apr_bucket_brigade *kept;          /* body bytes read ahead of the handler */
    apr_hash_t *lookups;               /* "kind:credential" -> mauth_lookup_t */
} mauth_family_t;
mauth_family_t *mauth_family(request_rec *r);
/* Reads the family's body (at most limit bytes) for SOAP sessions, once. */
void mauth_read_soap(request_rec *r, apr_off_t limit, mauth_family_t *family);
void mauth_body_register_hooks(apr_pool_t *p);

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
/* What the store says of one credential. */
typedef struct {
    enum { MAUTH_WHO_FOUND, MAUTH_WHO_UNKNOWN, MAUTH_WHO_STORE_ERROR } who;
    mauth_store_user_t user;
} mauth_lookup_t;
/* The user a name (token 0) or a session token names, from the answer
 * cache or the store; allocated from pool. */
void mauth_store_lookup(request_rec *r, apr_pool_t *pool, const char *credential, int token,
                        mauth_lookup_t *out);
/* Whether fingerprint is registered for user or its organisation. */
mauth_match_e mauth_store_match(request_rec *r, const mauth_store_user_t *user,
                                const char *fingerprint);
void mauth_dbd_register_hooks(apr_pool_t *p);

/* mod_mauth_refresh.c: live CRL refresh */
/* Watches the CRL files of sc's trust (built from spec, the files as
 * state says), when MAuthCARevocationRefresh is not 0. */
void mauth_refresh_watch(server_rec *s, mauth_server_conf_t *sc, const mauth_trust_spec_t *spec,
                         const unsigned char state[MAUTH_FILES_STATE_LEN]);
/* After every trust is attached: the parent watches the files too (0 on
 * failure, logged). */
int mauth_refresh_parent_start(apr_pool_t *pconf, server_rec *base);
void mauth_refresh_register_hooks(apr_pool_t *p);

/* mod_mauth_fetch.c: CRLs fetched from their distribution points */
/* Fetches for sc's trust (just built), when MAuthCARevocationFetch is on;
 * a failure is logged, naming the vhost. */
apr_status_t mauth_fetch_watch(server_rec *s, mauth_server_conf_t *sc);
void mauth_fetch_register_hooks(apr_pool_t *p);

/* mod_mauth_expiry.c: warnings of CA certificates, CRLs and uploads ending */
void mauth_expiry_register_hooks(apr_pool_t *p);

/* mod_mauth_ocsp.c: OCSP for client certificates, after the chain verified */
void mauth_ocsp_register_hooks(apr_pool_t *p);
/* Asks about the certificates of a chain judged SUCCESS (the leaf, or all
 * but the root) and lowers *verdict: revoked, or unavailable under
 * MAuthOCSPFailure closed; valid_until bounded by the responses. */
void mauth_ocsp_verdict(server_rec *s, mauth_server_conf_t *sc, mauth_conn_t *mc, X509 *leaf,
                        STACK_OF(X509) *untrusted, mauth_verdict_t *verdict);

/* mod_mauth_ssl.c */
void mauth_ssl_register_hooks(apr_pool_t *p);
mauth_conn_t *mauth_ssl_conn(conn_rec *c);

#endif /* MOD_MAUTH_H */
