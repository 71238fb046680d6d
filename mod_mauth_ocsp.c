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

/* ---------------------------------------------------- one certificate */

/* Where to ask about cert: the configured responder, or the certificate's
 * own when configuration allows it. */
static const char *responder_for(apr_pool_t *p, const mauth_server_conf_t *sc, X509 *cert)
{
    const char *aia = NULL;

    if (sc->ocsp_cert_responder && !sc->ocsp_override) {
        aia = mauth_ocsp_aia_url(p, cert);
    }
    return aia ? aia : sc->ocsp_responder;
}

/* The status of cert (issued by issuer): cached, else asked. */
static void status_of(server_rec *s, const mauth_server_conf_t *sc, conn_rec *c, X509 *cert,
                      X509 *issuer, apr_pool_t *p, mauth_ocsp_result_t *out)
{
    mauth_ocsp_policy_t policy = {sc->ocsp_skew, sc->ocsp_max_age, sc->ocsp_nonce};
    unsigned char key[MAUTH_FINGERPRINT_LEN];
    unsigned char *der, *resp;
    apr_size_t len, resp_len;
    OCSP_REQUEST *req;
    const char *url, *err = NULL;
    apr_time_t now = apr_time_now(), expiry;
    int keyed = mauth_ocsp_cache_key(cert, issuer, key);

    if (keyed && cache_get(s, key, p, &resp, &resp_len)) {
        mauth_ocsp_check(p, cert, issuer, NULL, resp, resp_len, now, &policy, out);
        if (out->status != MAUTH_OCSP_UNAVAILABLE) {
            ap_log_cerror(APLOG_MARK, APLOG_DEBUG, 0, c, MAUTHNO(00100)
                          "OCSP status from the cache: %s", out->why);
            return;
        }
    }
    memset(out, 0, sizeof(*out));
    out->status = MAUTH_OCSP_UNAVAILABLE;
    if ((url = responder_for(p, sc, cert)) == NULL) {
        out->why = "no responder is configured (MAuthOCSPResponder) and the certificate's "
                   "own is not followed";
        return;
    }
    if (mauth_ocsp_request(p, cert, issuer, sc->ocsp_nonce, &req, &der, &len) != APR_SUCCESS) {
        out->why = "cannot build the OCSP request";
        return;
    }
    if (mauth_ocsp_http_post(p, url, der, len, sc->ocsp_timeout, MAUTH_OCSP_MAX_RESPONSE,
                             &resp, &resp_len, &err) != APR_SUCCESS) {
        out->why = apr_psprintf(p, "%s: %s", url, err);
        return;
    }
    mauth_ocsp_check(p, cert, issuer, req, resp, resp_len, apr_time_now(), &policy, out);
    ap_log_cerror(APLOG_MARK, APLOG_DEBUG, 0, c, MAUTHNO(00101)
                  "OCSP status from %s: %s", url, out->why);
    if (out->status == MAUTH_OCSP_UNAVAILABLE || !keyed) {
        out->why = apr_psprintf(p, "%s: %s", url, out->why);
        return;
    }
    expiry = now + sc->ocsp_cache_max;
    if (out->next_update && out->next_update < expiry) {
        expiry = out->next_update;
    }
    if (sc->ocsp_max_age >= 0 && out->this_update + sc->ocsp_max_age < expiry) {
        expiry = out->this_update + sc->ocsp_max_age;
    }
    if (expiry > now) {
        cache_put(s, key, expiry, resp, resp_len, p);
    }
}

static void lower_until(mauth_verdict_t *v, apr_time_t when)
{
    if (v->valid_until == 0 || when < v->valid_until) {
        v->valid_until = when;
        v->reason_after = MAUTH_REASON_REVOCATION_UNAVAILABLE;
    }
}

void mauth_ocsp_verdict(server_rec *s, mauth_server_conf_t *sc, mauth_conn_t *mc, X509 *leaf,
                        STACK_OF(X509) *untrusted, mauth_verdict_t *verdict)
{
    const mauth_trust_t *trust = sc->trust->trust;
    apr_pool_t *p;
    X509 *cert = leaf;
    int depth;

    if (apr_pool_create(&p, mc->c->pool) != APR_SUCCESS) {
        verdict->status = MAUTH_VERIFY_FAILED;
        verdict->reason = MAUTH_REASON_REVOCATION_UNAVAILABLE;
        return;
    }
    for (depth = 0; cert && !mauth_ocsp_is_root(trust, cert); depth++) {
        mauth_ocsp_result_t r;
        int issuer_is_root;
        X509 *issuer = mauth_ocsp_issuer(trust, cert, untrusted, &issuer_is_root);

        if (issuer == NULL) {
            memset(&r, 0, sizeof(r));
            r.status = MAUTH_OCSP_UNAVAILABLE;
            r.why = "the certificate's issuer is not at hand";
        }
        else {
            status_of(s, sc, mc->c, cert, issuer, p, &r);
        }
        if (r.status == MAUTH_OCSP_REVOKED) {
            verdict->status = MAUTH_VERIFY_FAILED;
            verdict->reason = depth == 0 ? MAUTH_REASON_REVOKED : MAUTH_REASON_ISSUER_REVOKED;
            verdict->error_depth = depth;
            ap_log_cerror(APLOG_MARK, APLOG_INFO, 0, mc->c, MAUTHNO(00102)
                          "OCSP: the certificate at depth %d is revoked", depth);
            break;
        }
        if (r.status != MAUTH_OCSP_GOOD) {
            if (!sc->ocsp_fail_open) {
                verdict->status = MAUTH_VERIFY_FAILED;
                verdict->reason = MAUTH_REASON_REVOCATION_UNAVAILABLE;
                verdict->error_depth = depth;
                ap_log_cerror(APLOG_MARK, APLOG_WARNING, 0, mc->c, MAUTHNO(00103)
                              "OCSP: no usable status for the certificate at depth %d "
                              "(MAuthOCSPFailure closed refuses it): %s", depth, r.why);
                break;
            }
            ap_log_cerror(APLOG_MARK, APLOG_WARNING, 0, mc->c, MAUTHNO(00103)
                          "OCSP: no usable status for the certificate at depth %d, "
                          "accepted under MAuthOCSPFailure open: %s", depth, r.why);
            /* asked again at the next full handshake, not a whole window later */
            lower_until(verdict, apr_time_now() + apr_time_from_sec(60));
        }
        else {
            lower_until(verdict, r.next_update ? r.next_update
                                               : apr_time_now() + sc->ocsp_cache_max);
        }
        if (sc->ocsp_mode != MAUTH_OCSP_MODE_CHAIN || issuer_is_root) {
            break;
        }
        cert = issuer;
    }
    apr_pool_destroy(p);
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
