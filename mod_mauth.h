/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mod_mauth.h: private header of the httpd glue (mod_mauth.c, mauth_ssl.c).
 * The decisions themselves live in the httpd-free core, mauth_core.h.
 */
#ifndef MOD_MAUTH_H
#define MOD_MAUTH_H

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"

#include "mauth_core.h"

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

/* A trust and its verdict cache, shared by every vhost configured alike. */
typedef struct {
    const char *label;                 /* the settings it was built from */
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

    /* set at start-up */
    server_rec *server;
    mauth_trust_entry_t *trust;
    int tls_ready;                     /* mod_ssl handed us this vhost's SSL_CTX */
} mauth_server_conf_t;

typedef struct {
    int require_certificate;
    const char *error_image;
    int error_status;
} mauth_dir_conf_t;

/* What one client connection proved in its TLS handshake. */
typedef struct {
    conn_rec *c;
    SSL *ssl;
    int settled;                       /* verdict is known */
    mauth_verdict_t verdict;
    mauth_cert_info_t *leaf_info;      /* computed on first use */
} mauth_conn_t;

#define mauth_server_conf(s) \
    ((mauth_server_conf_t *)ap_get_module_config((s)->module_config, &mauth_module))

int mauth_is_mutual(const mauth_server_conf_t *sc);

/* mauth_ssl.c */
void mauth_ssl_register_hooks(apr_pool_t *p);
mauth_conn_t *mauth_ssl_conn(conn_rec *c);
/* Makes the connection's verdict final (resumed sessions, no certificate)
 * and ages it to now. */
void mauth_ssl_settle(mauth_conn_t *mc, apr_time_t now);
X509 *mauth_ssl_leaf(const mauth_conn_t *mc);
void mauth_conn_logger(conn_rec *c, mauth_logger_t *logger);

#endif /* MOD_MAUTH_H */
