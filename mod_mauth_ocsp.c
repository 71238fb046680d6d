/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mod_mauth_ocsp.c: glue of OCSP for client certificates.
 *
 * Called from the verification callback (mod_mauth_ssl.c) once a chain's
 * signatures, times and CRLs passed: for the leaf (MAuthOCSP leaf) or every
 * certificate but the root (chain), the status comes from the responses
 * cache, shared by every child through mod_socache the way mod_ssl shares
 * its stapling cache, or else from the responder, in the handshake's own
 * thread, bounded by MAuthOCSPResponderTimeout.  Verified responses are
 * kept until their nextUpdate, at most MAuthOCSPCacheTimeout, so the
 * responder is asked once per certificate per validity window.
 *
 * Where to ask is configuration's, never a certificate's: the URL of its
 * authorityInfoAccess is followed only with
 * MAuthOCSPAllowCertificateResponder on (and not with
 * MAuthOCSPOverrideResponder on).  The judging is the core's
 * (core/mauth_ocsp.c).
 */
#include "mod_mauth.h"

#include "apr_strings.h"
#include "ap_provider.h"
#include "ap_socache.h"
#include "http_connection.h"
#include "util_mutex.h"

#define MUTEX_TYPE "mauth-ocsp-cache"

static const ap_socache_provider_t *cache_provider;
static ap_socache_instance_t *cache_instance;
static apr_global_mutex_t *cache_mutex;

/* ------------------------------------------------------------- the cache */

static int cache_get(server_rec *s, const unsigned char *key, apr_pool_t *p,
                     unsigned char **der, apr_size_t *len)
{
    unsigned int size = MAUTH_OCSP_MAX_RESPONSE;
    unsigned char *buf = apr_palloc(p, size);
    apr_status_t rv;

    if (cache_instance == NULL) {
        return 0;
    }
    if (cache_mutex) {
        apr_global_mutex_lock(cache_mutex);
    }
    rv = cache_provider->retrieve(cache_instance, s, key, MAUTH_FINGERPRINT_LEN, buf, &size, p);
    if (cache_mutex) {
        apr_global_mutex_unlock(cache_mutex);
    }
    if (rv != APR_SUCCESS) {
        return 0;
    }
    *der = buf;
    *len = size;
    return 1;
}

static void cache_put(server_rec *s, const unsigned char *key, apr_time_t expiry,
                      const unsigned char *der, apr_size_t len, apr_pool_t *p)
{
    apr_status_t rv;

    if (cache_instance == NULL) {
        return;
    }
    if (cache_mutex) {
        apr_global_mutex_lock(cache_mutex);
    }
    rv = cache_provider->store(cache_instance, s, key, MAUTH_FINGERPRINT_LEN, expiry,
                               (unsigned char *)der, (unsigned int)len, p);
    if (cache_mutex) {
        apr_global_mutex_unlock(cache_mutex);
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s, MAUTHNO(00104)
                     "cannot keep an OCSP response in the cache (MAuthOCSPCache)");
    }
}

/* ----------------------------------------------------------- a chain */

typedef struct {
    server_rec *s;
} cache_baton_t;

static int cache_get_cb(void *baton, const unsigned char *key, apr_pool_t *p,
                        unsigned char **der, apr_size_t *len)
{
    return cache_get(((cache_baton_t *)baton)->s, key, p, der, len);
}

static void cache_put_cb(void *baton, const unsigned char *key, apr_time_t expiry,
                         const unsigned char *der, apr_size_t len, apr_pool_t *p)
{
    cache_put(((cache_baton_t *)baton)->s, key, expiry, der, len, p);
}

void mauth_ocsp_verdict(server_rec *s, mauth_server_conf_t *sc, mauth_conn_t *mc, X509 *leaf,
                        STACK_OF(X509) *untrusted, mauth_verdict_t *verdict)
{
    mauth_ocsp_settings_t settings = {sc->ocsp_mode, sc->ocsp_responder, sc->ocsp_override,
                                      sc->ocsp_cert_responder, sc->ocsp_timeout,
                                      sc->ocsp_fail_open, sc->ocsp_cache_max,
                                      {sc->ocsp_skew, sc->ocsp_max_age, sc->ocsp_nonce}};
    cache_baton_t baton = {s};
    mauth_ocsp_cache_t cache = {cache_get_cb, cache_put_cb, &baton};
    mauth_trust_t *trust = mauth_trust_acquire(sc->trust);
    apr_pool_t *p;

    if (apr_pool_create(&p, mc->c->pool) != APR_SUCCESS) {
        verdict->status = MAUTH_VERIFY_FAILED;
        verdict->reason = MAUTH_REASON_REVOCATION_UNAVAILABLE;
    }
    else {
        mauth_ocsp_judge(p, trust, leaf, untrusted, &settings, &cache, &mc->log, verdict);
        apr_pool_destroy(p);
    }
    mauth_trust_release(sc->trust, trust);
}

/* -------------------------------------------------------------- start-up */

static int pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp)
{
    return ap_mutex_register(pconf, MUTEX_TYPE, NULL, APR_LOCK_DEFAULT, 0) == APR_SUCCESS
           ? OK : HTTP_INTERNAL_SERVER_ERROR;
}

static apr_status_t cache_cleanup(void *data)
{
    server_rec *s = data;

    if (cache_instance) {
        cache_provider->destroy(cache_instance, s);
    }
    cache_instance = NULL;
    cache_provider = NULL;
    cache_mutex = NULL;
    return APR_SUCCESS;
}

static int open_cache(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *base)
{
    const char *spec = mauth_server_conf(base)->ocsp_cache;
    const char *colon = strchr(spec, ':');
    const char *name = colon ? apr_pstrmemdup(ptemp, spec, colon - spec) : spec;
    struct ap_socache_hints hints = {MAUTH_FINGERPRINT_LEN, 2048, apr_time_from_sec(3600)};
    const char *err;
    apr_status_t rv;

    cache_provider = ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, name,
                                        AP_SOCACHE_PROVIDER_VERSION);
    if (cache_provider == NULL) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, base, MAUTHNO(00105)
                     "MAuthOCSPCache %s: no socache provider '%s' (LoadModule "
                     "socache_%s_module)", spec, name, name);
        return 0;
    }
    if ((err = cache_provider->create(&cache_instance, colon ? colon + 1 : NULL, ptemp,
                                      pconf)) != NULL) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, base, MAUTHNO(00105)
                     "MAuthOCSPCache %s: %s", spec, err);
        return 0;
    }
    if ((cache_provider->flags & AP_SOCACHE_FLAG_NOTMPSAFE)
        && (rv = ap_global_mutex_create(&cache_mutex, NULL, MUTEX_TYPE, NULL, base, pconf,
                                        0)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, base, MAUTHNO(00105)
                     "MAuthOCSPCache %s: cannot create its mutex", spec);
        return 0;
    }
    if ((rv = cache_provider->init(cache_instance, "mauth-ocsp", &hints, base, pconf))
        != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, base, MAUTHNO(00105)
                     "MAuthOCSPCache %s: cannot initialise the cache", spec);
        return 0;
    }
    apr_pool_cleanup_register(pconf, base, cache_cleanup, apr_pool_cleanup_null);
    return 1;
}

/* Every vhost asking OCSP has somewhere to ask; the cache exists when one does. */
static int post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                       server_rec *base)
{
    server_rec *s;
    int wanted = 0;

    cache_provider = NULL;
    cache_instance = NULL;
    cache_mutex = NULL;
    for (s = base; s; s = s->next) {
        mauth_server_conf_t *sc = mauth_server_conf(s);
        if (!mauth_is_mutual(sc) || sc->ocsp_mode == MAUTH_OCSP_MODE_OFF) {
            continue;
        }
        if (sc->ocsp_responder == NULL && !sc->ocsp_cert_responder) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, MAUTHNO(00106)
                         "MAuthOCSP (vhost %s:%u) needs MAuthOCSPResponder, or "
                         "MAuthOCSPAllowCertificateResponder on", s->defn_name,
                         s->defn_line_number);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        wanted = 1;
    }
    if (wanted && !open_cache(pconf, ptemp, base)) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

static void child_init(apr_pool_t *pchild, server_rec *base)
{
    apr_status_t rv;

    if (cache_mutex
        && (rv = apr_global_mutex_child_init(&cache_mutex,
                                             apr_global_mutex_lockfile(cache_mutex),
                                             pchild)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, base, MAUTHNO(00107)
                     "cannot attach to the OCSP cache's mutex");
        exit(APEXIT_CHILDSICK);
    }
}

void mauth_ocsp_register_hooks(apr_pool_t *p)
{
    ap_hook_pre_config(pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(child_init, NULL, NULL, APR_HOOK_MIDDLE);
}
