/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mauth_ocsp.h: OCSP for client certificates (core: APR and OpenSSL only).
 * See mauth_ocsp.c.  The glue (mod_mauth_ocsp.c) decides when to ask, where
 * (a configured responder, a certificate's own only when allowed) and keeps
 * the answers in a cache shared by every child.
 */
#ifndef MAUTH_OCSP_H
#define MAUTH_OCSP_H

#include <openssl/ocsp.h>

#include "mauth_core.h"

typedef enum {
    MAUTH_OCSP_MODE_UNSET = -1,
    MAUTH_OCSP_MODE_OFF = 0,
    MAUTH_OCSP_MODE_LEAF,              /* the client certificate only */
    MAUTH_OCSP_MODE_CHAIN              /* every certificate but the root */
} mauth_ocsp_mode_e;

typedef enum {
    MAUTH_OCSP_GOOD = 0,
    MAUTH_OCSP_REVOKED,
    MAUTH_OCSP_UNKNOWN,                /* the responder does not know the certificate */
    MAUTH_OCSP_UNAVAILABLE             /* no usable answer: see why */
} mauth_ocsp_status_e;

typedef struct {
    mauth_ocsp_status_e status;
    const char *why;                   /* a short sentence for the log */
    apr_time_t this_update;
    apr_time_t next_update;            /* 0: the response names none */
} mauth_ocsp_result_t;

/* How a response is judged. */
typedef struct {
    apr_interval_time_t skew;          /* allowed clock difference */
    apr_interval_time_t max_age;       /* thisUpdate no older than this; -1: any */
    int nonce;                         /* the response must echo the request's nonce */
} mauth_ocsp_policy_t;

/* The certificate that issued cert, among untrusted and the trust's roots:
 * the one whose name and key signed it (the chain already verified).  NULL
 * when none does.  *is_root says the issuer is a configured root. */
X509 *mauth_ocsp_issuer(const mauth_trust_t *t, X509 *cert, STACK_OF(X509) *untrusted,
                        int *is_root);

/* Whether cert is one of the trust's roots (never asked about). */
int mauth_ocsp_is_root(const mauth_trust_t *t, X509 *cert);

/* SHA-256 over the CertID (SHA-1 issuer name and key hashes, serial): the
 * cache key of cert's status.  0 on failure. */
int mauth_ocsp_cache_key(X509 *cert, X509 *issuer, unsigned char out[MAUTH_FINGERPRINT_LEN]);

/* A DER OCSP request for cert (with a nonce when nonce is set); *req is
 * kept for the nonce check and freed with p. */
apr_status_t mauth_ocsp_request(apr_pool_t *p, X509 *cert, X509 *issuer, int nonce,
                                OCSP_REQUEST **req, unsigned char **der, apr_size_t *len);

/*
 * Judges a DER response about cert at now: a successful response, signed by
 * the issuer itself or by a responder certificate the issuer issued with
 * id-kp-OCSPSigning (valid at now), whose single response for cert's CertID
 * is current (thisUpdate not in the future, nextUpdate not past, both with
 * skew; thisUpdate no older than max_age).  req: the request it answers,
 * whose nonce must be echoed when the policy asks; NULL for a response
 * taken from the cache (checked when it was fetched, times checked again).
 * trust: whose CRLs a delegated responder certificate without
 * id-pkix-ocsp-nocheck must not be listed in (NULL: not looked at).
 */
void mauth_ocsp_check(apr_pool_t *p, X509 *cert, X509 *issuer, const mauth_trust_t *trust,
                      OCSP_REQUEST *req, const unsigned char *der, apr_size_t len, apr_time_t now,
                      const mauth_ocsp_policy_t *policy, mauth_ocsp_result_t *out);

/* The first http:// OCSP URL of cert's authorityInfoAccess, or NULL. */
const char *mauth_ocsp_aia_url(apr_pool_t *p, X509 *cert);

/* Upper bound of a response's size: larger ones are unavailable. */
#define MAUTH_OCSP_MAX_RESPONSE (64 * 1024)

/* What the operator configured for OCSP on a vhost. */
typedef struct {
    mauth_ocsp_mode_e mode;
    const char *responder;             /* MAuthOCSPResponder, or NULL */
    int override;                      /* the configured responder even where a
                                        * certificate names one */
    int cert_responder;                /* a certificate's AIA URL may be asked */
    apr_interval_time_t timeout;
    int fail_open;                     /* MAuthOCSPFailure open */
    apr_interval_time_t cache_max;     /* a response is kept at most this long */
    mauth_ocsp_policy_t policy;
} mauth_ocsp_settings_t;

/* The responses cache the caller keeps (shared by processes, say). */
typedef struct {
    int (*get)(void *baton, const unsigned char *key, apr_pool_t *p, unsigned char **der,
               apr_size_t *len);
    void (*put)(void *baton, const unsigned char *key, apr_time_t expiry,
                const unsigned char *der, apr_size_t len, apr_pool_t *p);
    void *baton;
} mauth_ocsp_cache_t;

/*
 * Lowers a SUCCESS verdict on leaf (+ untrusted, judged under trust) by
 * what the responders say of the leaf, or of every certificate but the
 * root in chain mode: revoked refuses; no usable answer refuses unless
 * fail_open; the verdict's valid_until ends at the responses' nextUpdate.
 * Responses come from cache, else from the responder, and are kept there.
 */
void mauth_ocsp_judge(apr_pool_t *p, const mauth_trust_t *trust, X509 *leaf,
                      STACK_OF(X509) *untrusted, const mauth_ocsp_settings_t *settings,
                      const mauth_ocsp_cache_t *cache, const mauth_logger_t *log,
                      mauth_verdict_t *verdict);

#endif /* MAUTH_OCSP_H */
