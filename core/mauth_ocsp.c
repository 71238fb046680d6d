/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mauth_ocsp.c: asking an OCSP responder about a client certificate whose
 * chain already verified, and judging its answer.
 *
 * A response counts only when signed by the certificate's issuer or by a
 * responder certificate that issuer issued for id-kp-OCSPSigning: never by
 * whatever certificate the response carries (OpenSSL's OCSP_TRUSTOTHER), so
 * a responder cannot speak for a CA that did not delegate to it.  Times are
 * checked against the caller's now, not the clock, so tests pin them.  The
 * exchange is mauth_http.c's (plain http://, one deadline, a bounded
 * response, no redirect followed).  Nothing
 * here decides where to ask: the glue does (a certificate must not be able
 * to make the server connect where it likes).
 */
#include <string.h>
#include <time.h>

#include <apr_strings.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "mauth_http.h"
#include "mauth_ocsp.h"
#include "mauth_trust.h"

int mauth_ocsp_is_root(const mauth_trust_t *t, X509 *cert)
{
    int i;

    for (i = 0; i < sk_X509_num(t->roots); i++) {
        if (X509_cmp(sk_X509_value(t->roots, i), cert) == 0) {
            return 1;
        }
    }
    return 0;
}

static X509 *issuer_in(STACK_OF(X509) *certs, X509 *cert)
{
    int i;

    for (i = 0; i < sk_X509_num(certs); i++) {
        X509 *candidate = sk_X509_value(certs, i);
        if (X509_cmp(candidate, cert) != 0
            && X509_check_issued(candidate, cert) == X509_V_OK
            && X509_verify(cert, X509_get0_pubkey(candidate)) == 1) {
            return candidate;
        }
    }
    ERR_clear_error();
    return NULL;
}

X509 *mauth_ocsp_issuer(const mauth_trust_t *t, X509 *cert, STACK_OF(X509) *untrusted,
                        int *is_root)
{
    /* a root first: a client may send a copy of it */
    X509 *issuer = issuer_in(t->roots, cert);

    *is_root = issuer != NULL;
    return issuer ? issuer : issuer_in(untrusted, cert);
}

int mauth_ocsp_cache_key(X509 *cert, X509 *issuer, unsigned char out[MAUTH_FINGERPRINT_LEN])
{
    OCSP_CERTID *id = OCSP_cert_to_id(NULL, cert, issuer);
    unsigned char *der = NULL;
    unsigned int md_len = 0;
    int len, ok;

    if (id == NULL) {
        ERR_clear_error();
        return 0;
    }
    len = i2d_OCSP_CERTID(id, &der);
    ok = len > 0 && EVP_Digest(der, (size_t)len, out, &md_len, mauth_sha256(), NULL) == 1;
    OPENSSL_free(der);
    OCSP_CERTID_free(id);
    return ok;
}

static apr_status_t request_cleanup(void *data)
{
    OCSP_REQUEST_free(data);
    return APR_SUCCESS;
}

apr_status_t mauth_ocsp_request(apr_pool_t *p, X509 *cert, X509 *issuer, int nonce,
                                OCSP_REQUEST **req, unsigned char **der, apr_size_t *len)
{
    OCSP_REQUEST *r = OCSP_REQUEST_new();
    OCSP_CERTID *id = OCSP_cert_to_id(NULL, cert, issuer);
    unsigned char *buf = NULL, *at;
    int n;

    *req = NULL;
    if (r == NULL || id == NULL || OCSP_request_add0_id(r, id) == NULL) {
        OCSP_CERTID_free(id);
        OCSP_REQUEST_free(r);
        ERR_clear_error();
        return APR_EGENERAL;
    }
    apr_pool_cleanup_register(p, r, request_cleanup, apr_pool_cleanup_null);
    if (nonce && OCSP_request_add1_nonce(r, NULL, -1) != 1) {
        ERR_clear_error();
        return APR_EGENERAL;
    }
    if ((n = i2d_OCSP_REQUEST(r, NULL)) <= 0) {
        ERR_clear_error();
        return APR_EGENERAL;
    }
    buf = apr_palloc(p, (apr_size_t)n);
    at = buf;
    i2d_OCSP_REQUEST(r, &at);
    *req = r;
    *der = buf;
    *len = (apr_size_t)n;
    return APR_SUCCESS;
}

static void unavailable(mauth_ocsp_result_t *out, const char *why)
{
    out->status = MAUTH_OCSP_UNAVAILABLE;
    out->why = why;
}

/* Whether signer may sign responses about issuer's certificates at now:
 * it is the issuer, or the issuer issued it for id-kp-OCSPSigning. */
static const char *signer_refused(X509 *signer, X509 *issuer, const mauth_trust_t *trust,
                                  apr_time_t now)
{
    time_t at = (time_t)apr_time_sec(now);

    if (X509_cmp(signer, issuer) == 0) {
        return NULL;
    }
    if (X509_check_issued(issuer, signer) != X509_V_OK
        || X509_verify(signer, X509_get0_pubkey(issuer)) != 1) {
        ERR_clear_error();
        return "the response is signed neither by the issuer nor by a responder it issued";
    }
    if (!(X509_get_extension_flags(signer) & EXFLAG_XKUSAGE)
        || !(X509_get_extended_key_usage(signer) & XKU_OCSP_SIGN)) {
        return "the responder certificate lacks id-kp-OCSPSigning";
    }
    if (X509_cmp_time(X509_get0_notBefore(signer), &at) > 0
        || X509_cmp_time(X509_get0_notAfter(signer), &at) < 0) {
        return "the responder certificate is outside its validity";
    }
    /* RFC 6960 4.2.2.2.1: unless the CA said not to check it (id-pkix-ocsp-
     * nocheck), a delegated responder revoked by the issuer's CRL speaks
     * for no one */
    if (trust && X509_get_ext_by_NID(signer, NID_id_pkix_OCSP_noCheck, -1) < 0
        && mauth_trust_crl_lists(trust, signer, issuer, now)) {
        return "the responder certificate is revoked by its issuer's CRL";
    }
    return NULL;
}

/* The basic response of a successful answer, or NULL with why not. */
static OCSP_BASICRESP *basic_response(apr_pool_t *p, OCSP_RESPONSE *resp, const char **why)
{
    OCSP_BASICRESP *basic;
    int status;

    if (resp == NULL) {
        *why = "the response does not parse";
        return NULL;
    }
    if ((status = OCSP_response_status(resp)) != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
        *why = apr_psprintf(p, "the responder answered '%s'", OCSP_response_status_str(status));
        return NULL;
    }
    if ((basic = OCSP_response_get1_basic(resp)) == NULL) {
        *why = "the response is not a basic OCSP response";
    }
    return basic;
}

/* The signature, by the issuer or a responder it delegated to; NULL when
 * it verifies, else why not. */
static const char *signature_refused(OCSP_BASICRESP *basic, X509 *issuer,
                                     const mauth_trust_t *trust, apr_time_t now)
{
    STACK_OF(X509) *candidates = sk_X509_new_null();
    X509 *signer = NULL;
    const char *refused = NULL;
    int i;

    /* the signer: the issuer, or one of the certificates the response carries */
    sk_X509_push(candidates, issuer);
    for (i = 0; i < sk_X509_num(OCSP_resp_get0_certs(basic)); i++) {
        sk_X509_push(candidates, sk_X509_value(OCSP_resp_get0_certs(basic), i));
    }
    if (OCSP_resp_get0_signer(basic, &signer, candidates) != 1 || signer == NULL) {
        refused = "the response's signer is not among its certificates";
    }
    else if ((refused = signer_refused(signer, issuer, trust, now)) == NULL) {
        /* the signature alone, with the signer chosen above: no chain
         * building by OpenSSL (NOVERIFY), no other certificate (NOINTERN) */
        sk_X509_zero(candidates);
        sk_X509_push(candidates, signer);
        if (OCSP_basic_verify(basic, candidates, NULL, OCSP_NOINTERN | OCSP_NOVERIFY) != 1) {
            refused = "the response's signature does not verify";
        }
    }
    sk_X509_free(candidates);
    return refused;
}

/* The times of the certificate's status against now and the policy. */
static const char *times_refused(mauth_ocsp_result_t *out, ASN1_GENERALIZEDTIME *this_update,
                                 ASN1_GENERALIZEDTIME *next_update, apr_time_t now,
                                 const mauth_ocsp_policy_t *policy)
{
    out->this_update = mauth_asn1_time(this_update);
    out->next_update = next_update ? mauth_asn1_time(next_update) : 0;
    if (out->this_update == 0 || (next_update && out->next_update == 0)) {
        return "the response's times do not parse";
    }
    if (out->this_update > now + policy->skew) {
        return "the response's thisUpdate is in the future";
    }
    if (out->next_update && out->next_update + policy->skew < now) {
        return "the response is past its nextUpdate";
    }
    if (policy->max_age >= 0 && out->this_update + policy->max_age + policy->skew < now) {
        return "the response is older than the allowed age";
    }
    return NULL;
}

static void set_status(mauth_ocsp_result_t *out, int status)
{
    switch (status) {
    case V_OCSP_CERTSTATUS_GOOD:
        out->status = MAUTH_OCSP_GOOD;
        out->why = "good";
        break;
    case V_OCSP_CERTSTATUS_REVOKED:
        out->status = MAUTH_OCSP_REVOKED;
        out->why = "revoked";
        break;
    default:
        out->status = MAUTH_OCSP_UNKNOWN;
        out->why = "the responder does not know the certificate";
        break;
    }
}

void mauth_ocsp_check(apr_pool_t *p, X509 *cert, X509 *issuer, const mauth_trust_t *trust,
                      OCSP_REQUEST *req,
                      const unsigned char *der, apr_size_t len, apr_time_t now,
                      const mauth_ocsp_policy_t *policy, mauth_ocsp_result_t *out)
{
    const unsigned char *at = der;
    OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &at, (long)len);
    OCSP_BASICRESP *basic = NULL;
    OCSP_CERTID *id = NULL;
    ASN1_GENERALIZEDTIME *this_update = NULL, *next_update = NULL, *revoked_at = NULL;
    const char *refused = NULL;
    int status, reason;

    memset(out, 0, sizeof(*out));
    if (resp && at != der + len) {
        refused = "the response does not parse";
    }
    else if ((basic = basic_response(p, resp, &refused)) == NULL
             || (refused = signature_refused(basic, issuer, trust, now)) != NULL) {
        /* refused says why */
    }
    else if (req && policy->nonce && OCSP_check_nonce(req, basic) != 1) {
        refused = "the response does not echo the request's nonce";
    }
    else if ((id = OCSP_cert_to_id(NULL, cert, issuer)) == NULL
             || OCSP_resp_find_status(basic, id, &status, &reason, &revoked_at, &this_update,
                                      &next_update) != 1) {
        refused = "the response says nothing of this certificate";
    }
    else {
        refused = times_refused(out, this_update, next_update, now, policy);
    }
    if (refused) {
        unavailable(out, refused);
    }
    else {
        set_status(out, status);
    }
    OCSP_CERTID_free(id);
    OCSP_BASICRESP_free(basic);
    OCSP_RESPONSE_free(resp);
    ERR_clear_error();
}

const char *mauth_ocsp_aia_url(apr_pool_t *p, X509 *cert)
{
    STACK_OF(OPENSSL_STRING) *urls = X509_get1_ocsp(cert);
    const char *found = NULL;
    int i;

    for (i = 0; i < sk_OPENSSL_STRING_num(urls) && found == NULL; i++) {
        const char *url = sk_OPENSSL_STRING_value(urls, i);
        if (strncasecmp(url, "http://", 7) == 0) {
            found = apr_pstrdup(p, url);
        }
    }
    X509_email_free(urls);
    return found;
}

/* --------------------------------------------------- judging a chain */

/* Where to ask about cert: the configured responder, or the certificate's
 * own when configuration allows it. */
static const char *responder_for(apr_pool_t *p, const mauth_ocsp_settings_t *settings,
                                 X509 *cert)
{
    const char *aia = NULL;

    if (settings->cert_responder && !settings->override) {
        aia = mauth_ocsp_aia_url(p, cert);
    }
    return aia ? aia : settings->responder;
}

/* How long a response may be kept: its nextUpdate, within the bounds. */
static apr_time_t keep_until(const mauth_ocsp_settings_t *settings,
                             const mauth_ocsp_result_t *r, apr_time_t now)
{
    apr_time_t expiry = now + settings->cache_max;

    if (r->next_update && r->next_update < expiry) {
        expiry = r->next_update;
    }
    if (settings->policy.max_age >= 0 && r->this_update + settings->policy.max_age < expiry) {
        expiry = r->this_update + settings->policy.max_age;
    }
    return expiry;
}

/* The status of cert (issued by issuer): cached, else asked. */
static void status_of(apr_pool_t *p, X509 *cert, X509 *issuer, const mauth_trust_t *trust,
                      const mauth_ocsp_settings_t *settings, const mauth_ocsp_cache_t *cache,
                      const mauth_logger_t *log, mauth_ocsp_result_t *out)
{
    unsigned char key[MAUTH_FINGERPRINT_LEN];
    unsigned char *der, *resp;
    apr_size_t len, resp_len;
    OCSP_REQUEST *req;
    const char *url, *err = NULL;
    apr_time_t now = apr_time_now();
    int keyed = mauth_ocsp_cache_key(cert, issuer, key);

    if (keyed && cache->get(cache->baton, key, p, &resp, &resp_len)) {
        mauth_ocsp_check(p, cert, issuer, trust, NULL, resp, resp_len, now, &settings->policy,
                         out);
        if (out->status != MAUTH_OCSP_UNAVAILABLE) {
            mauth_log(log, MAUTH_LOG_DEBUG, "MAUTH00100", "OCSP status from the cache: %s",
                      out->why);
            return;
        }
    }
    memset(out, 0, sizeof(*out));
    out->status = MAUTH_OCSP_UNAVAILABLE;
    if ((url = responder_for(p, settings, cert)) == NULL) {
        out->why = "no responder is configured (MAuthOCSPResponder) and the certificate's "
                   "own is not followed";
        return;
    }
    if (mauth_ocsp_request(p, cert, issuer, settings->policy.nonce, &req, &der, &len)
            != APR_SUCCESS) {
        out->why = "cannot build the OCSP request";
        return;
    }
    if (mauth_http_exchange(p, url, "application/ocsp-request", der, len, settings->timeout,
                             MAUTH_OCSP_MAX_RESPONSE, &resp, &resp_len, &err) != APR_SUCCESS) {
        out->why = apr_psprintf(p, "%s: %s", url, err);
        return;
    }
    mauth_ocsp_check(p, cert, issuer, trust, req, resp, resp_len, apr_time_now(),
                     &settings->policy,
                     out);
    mauth_log(log, MAUTH_LOG_DEBUG, "MAUTH00101", "OCSP status from %s: %s", url, out->why);
    if (out->status == MAUTH_OCSP_UNAVAILABLE || !keyed) {
        out->why = apr_psprintf(p, "%s: %s", url, out->why);
        return;
    }
    if (keep_until(settings, out, now) > now) {
        cache->put(cache->baton, key, keep_until(settings, out, now), resp, resp_len, p);
    }
}

static void lower_until(mauth_verdict_t *v, apr_time_t when)
{
    if (v->valid_until == 0 || when < v->valid_until) {
        v->valid_until = when;
        v->reason_after = MAUTH_REASON_REVOCATION_UNAVAILABLE;
    }
}

static void refuse(mauth_verdict_t *v, mauth_reason_e reason, int depth)
{
    v->status = MAUTH_VERIFY_FAILED;
    v->reason = reason;
    v->error_depth = depth;
}

/* One certificate's answer applied to the verdict; 0 when it refused. */
static int apply(const mauth_ocsp_settings_t *settings, const mauth_logger_t *log,
                 const mauth_ocsp_result_t *r, int depth, mauth_verdict_t *verdict)
{
    if (r->status == MAUTH_OCSP_REVOKED) {
        refuse(verdict, depth == 0 ? MAUTH_REASON_REVOKED : MAUTH_REASON_ISSUER_REVOKED, depth);
        mauth_log(log, MAUTH_LOG_INFO, "MAUTH00102",
                  "OCSP: the certificate at depth %d is revoked", depth);
        return 0;
    }
    if (r->status == MAUTH_OCSP_GOOD) {
        lower_until(verdict, r->next_update ? r->next_update
                                            : apr_time_now() + settings->cache_max);
        return 1;
    }
    if (!settings->fail_open) {
        refuse(verdict, MAUTH_REASON_REVOCATION_UNAVAILABLE, depth);
        mauth_log(log, MAUTH_LOG_WARNING, "MAUTH00103",
                  "OCSP: no usable status for the certificate at depth %d "
                  "(MAuthOCSPFailure closed refuses it): %s", depth, r->why);
        return 0;
    }
    mauth_log(log, MAUTH_LOG_WARNING, "MAUTH00103",
              "OCSP: no usable status for the certificate at depth %d, accepted under "
              "MAuthOCSPFailure open: %s", depth, r->why);
    /* asked again at the next full handshake, not a whole window later */
    lower_until(verdict, apr_time_now() + apr_time_from_sec(60));
    return 1;
}

void mauth_ocsp_judge(apr_pool_t *p, const mauth_trust_t *trust, X509 *leaf,
                      STACK_OF(X509) *untrusted, const mauth_ocsp_settings_t *settings,
                      const mauth_ocsp_cache_t *cache, const mauth_logger_t *log,
                      mauth_verdict_t *verdict)
{
    X509 *cert = leaf;
    int depth;

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
            status_of(p, cert, issuer, trust, settings, cache, log, &r);
        }
        if (!apply(settings, log, &r, depth, verdict)
            || settings->mode != MAUTH_OCSP_MODE_CHAIN || issuer_is_root) {
            break;
        }
        cert = issuer;
    }
}
