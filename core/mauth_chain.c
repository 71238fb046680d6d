/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mauth_chain.c: the first layer of the seeds, certificate chain validation.
 *
 * The chain the client sent is built and checked by OpenSSL against our own
 * roots (signatures, validity times, client-auth purpose, depth).  CRLs are
 * checked against the compact index of mauth_crl.c once the chain stands,
 * unless a configured CRL needs OpenSSL's extended CRL handling (indirect,
 * delta, distribution-point scoped): then every CRL goes to OpenSSL's
 * verification context with X509_V_FLAG_EXTENDED_CRL_SUPPORT, correct but
 * as slow as mod_ssl.
 */
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "mauth_trust.h"

static mauth_reason_e reason_of(int error, int depth)
{
    switch (error) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
        return MAUTH_REASON_EXPIRED;
    case X509_V_ERR_CERT_NOT_YET_VALID:
        return MAUTH_REASON_NOT_YET_VALID;
    case X509_V_ERR_CERT_REVOKED:
        return depth == 0 ? MAUTH_REASON_REVOKED : MAUTH_REASON_ISSUER_REVOKED;
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
        return MAUTH_REASON_SELF_SIGNED;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_UNTRUSTED:
    case X509_V_ERR_CERT_REJECTED:
        return MAUTH_REASON_UNTRUSTED;
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
    case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
        return MAUTH_REASON_BAD_SIGNATURE;
    case X509_V_ERR_INVALID_PURPOSE:
        return MAUTH_REASON_WRONG_PURPOSE;
    case X509_V_ERR_CERT_CHAIN_TOO_LONG:
    case X509_V_ERR_PATH_LENGTH_EXCEEDED:
        return MAUTH_REASON_CHAIN_TOO_LONG;
    case X509_V_ERR_UNABLE_TO_GET_CRL:
    case X509_V_ERR_CRL_HAS_EXPIRED:
    case X509_V_ERR_CRL_NOT_YET_VALID:
    case X509_V_ERR_CRL_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
    case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
    case X509_V_ERR_KEYUSAGE_NO_CRL_SIGN:
    case X509_V_ERR_DIFFERENT_CRL_SCOPE:
    case X509_V_ERR_UNHANDLED_CRITICAL_CRL_EXTENSION:
    case X509_V_ERR_CRL_PATH_VALIDATION_ERROR:
    case X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD:
    case X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD:
        return MAUTH_REASON_REVOCATION_UNAVAILABLE;
    default:
        return MAUTH_REASON_INVALID;
    }
}

/* Lowers the verdict's expiry to when, remembering why it would fail then. */
static void expire_by(mauth_verdict_t *v, apr_time_t when, mauth_reason_e why)
{
    if (when > 0 && (v->valid_until == 0 || when < v->valid_until)) {
        v->valid_until = when;
        v->reason_after = why;
    }
}

/* The certificates whose revocation the mode checks: the leaf only, or
 * every one but the trust anchor. */
static int last_checked(const mauth_trust_t *t, STACK_OF(X509) *chain)
{
    return t->crl_check == MAUTH_CRL_CHECK_LEAF ? 0 : sk_X509_num(chain) - 2;
}

/* When OpenSSL checked the CRLs, the verdict still ends at the earliest
 * nextUpdate of the CRLs it may have consulted: those of the issuers, and
 * the indirect ones, which speak for issuers of other names. */
static void expire_by_crl_updates(const mauth_trust_t *t, STACK_OF(X509) *chain,
                                  mauth_verdict_t *v)
{
    int i, j;

    for (i = 0; i <= last_checked(t, chain) && i + 1 < sk_X509_num(chain); i++) {
        const X509_NAME *issuer = X509_get_subject_name(sk_X509_value(chain, i + 1));
        for (j = 0; j < t->crls->nelts; j++) {
            mauth_crl_t *crl = APR_ARRAY_IDX(t->crls, j, mauth_crl_t *);
            if (crl->indirect || X509_NAME_cmp(crl->issuer, issuer) == 0) {
                expire_by(v, crl->next_update, MAUTH_REASON_REVOCATION_UNAVAILABLE);
            }
        }
    }
}

/* How deep the search for a CRL's signer may recurse: the signer's own
 * revocation may need a CRL from yet another signer, and no further. */
#define MAUTH_CRL_SIGNER_LEVELS 2
/* At most this many other certificates are tried as one CRL's signer, so a
 * client sending many certificates under an issuer's name costs little. */
#define MAUTH_CRL_SIGNER_TRIES 8

typedef enum { SIGNER_NONE = 0, SIGNER_OK, SIGNER_REVOKED } signer_e;

static mauth_reason_e check_revocation(const mauth_trust_t *t, STACK_OF(X509) *chain,
                                       STACK_OF(X509) *untrusted, int level, apr_time_t now,
                                       const mauth_logger_t *log, mauth_verdict_t *v);

/* Whether cert may sign CRLs: a keyUsage naming cRLSign, or none at all
 * (RFC 5280 4.2.1.3) when required is not set. */
static int may_sign_crls(X509 *cert, int required)
{
    if (!(X509_get_extension_flags(cert) & EXFLAG_KUSAGE)) {
        return !required;
    }
    return (X509_get_key_usage(cert) & KU_CRL_SIGN) != 0;
}

/*
 * Whether candidate, another certificate than the checked one's issuer,
 * signed crl and may: RFC 5280 6.3.3 (f) accepts a CRL signed by any
 * certificate with the CRL issuer's name and cRLSign (a separate
 * CRL-signing key, the other key of a self-issued rollover) whose own path
 * validates to the same trust anchor, its revocation included.
 */
static signer_e try_crl_signer(const mauth_trust_t *t, mauth_crl_t *crl, X509 *candidate,
                               X509 *anchor, STACK_OF(X509) *untrusted, int level,
                               apr_time_t now, const mauth_logger_t *log, mauth_verdict_t *v)
{
    X509_STORE_CTX *ctx;
    STACK_OF(X509) *path;
    mauth_verdict_t scratch;
    signer_e answer = SIGNER_NONE;
    int i;

    if (!mauth_crl_signed_by(crl, candidate)) {
        return SIGNER_NONE;
    }
    ctx = X509_STORE_CTX_new();
    if (ctx == NULL || X509_STORE_CTX_init(ctx, t->store, candidate, untrusted) != 1) {
        X509_STORE_CTX_free(ctx);
        return SIGNER_NONE;
    }
    X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), (time_t)apr_time_sec(now));
    X509_VERIFY_PARAM_set_depth(X509_STORE_CTX_get0_param(ctx), t->depth > 0 ? t->depth - 1 : 0);
    path = X509_verify_cert(ctx) == 1 ? X509_STORE_CTX_get0_chain(ctx) : NULL;
    if (path == NULL) {
        mauth_log(log, MAUTH_LOG_DEBUG, "MAUTH00008",
                  "%s: the certificate that signed the CRL does not validate: %s",
                  crl->source, X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
    }
    else if (X509_cmp(sk_X509_value(path, sk_X509_num(path) - 1), anchor) != 0) {
        mauth_log(log, MAUTH_LOG_DEBUG, "MAUTH00008",
                  "%s: the certificate that signed the CRL chains to another root",
                  crl->source);
    }
    else {
        memset(&scratch, 0, sizeof(scratch));
        switch (check_revocation(t, path, untrusted, level + 1, now, log, &scratch)) {
        case MAUTH_REASON_OK:
            answer = SIGNER_OK;
            /* the CRL is usable while its signer's path is */
            for (i = 0; i < sk_X509_num(path); i++) {
                expire_by(v, mauth_asn1_time(X509_get0_notAfter(sk_X509_value(path, i))),
                          MAUTH_REASON_REVOCATION_UNAVAILABLE);
            }
            expire_by(v, scratch.valid_until, MAUTH_REASON_REVOCATION_UNAVAILABLE);
            break;
        case MAUTH_REASON_REVOKED:
        case MAUTH_REASON_ISSUER_REVOKED:
            answer = SIGNER_REVOKED;
            mauth_log(log, MAUTH_LOG_DEBUG, "MAUTH00008",
                      "%s: the certificate that signed the CRL is revoked", crl->source);
            break;
        default:
            mauth_log(log, MAUTH_LOG_DEBUG, "MAUTH00008",
                      "%s: the revocation of the certificate that signed the CRL "
                      "is unavailable", crl->source);
            break;
        }
    }
    X509_STORE_CTX_free(ctx);
    ERR_clear_error();
    return answer;
}

/* A certificate of the CRL issuer's name other than issuer that signed crl:
 * sought among the chain, what the client sent and the roots. */
static signer_e find_crl_signer(const mauth_trust_t *t, mauth_crl_t *crl, X509 *issuer,
                                STACK_OF(X509) *chain, STACK_OF(X509) *untrusted,
                                int level, apr_time_t now, const mauth_logger_t *log,
                                mauth_verdict_t *v)
{
    STACK_OF(X509) *sources[3];
    X509 *tried[MAUTH_CRL_SIGNER_TRIES];
    X509 *anchor = sk_X509_value(chain, sk_X509_num(chain) - 1);
    signer_e answer = SIGNER_NONE;
    int s, i, j, ntried = 0;

    if (level >= MAUTH_CRL_SIGNER_LEVELS) {
        return SIGNER_NONE;
    }
    sources[0] = chain;
    sources[1] = untrusted;
    sources[2] = t->roots;
    for (s = 0; s < 3; s++) {
        for (i = 0; i < sk_X509_num(sources[s]); i++) {
            X509 *candidate = sk_X509_value(sources[s], i);
            signer_e found;
            if (X509_NAME_cmp(X509_get_subject_name(candidate), crl->issuer) != 0
                || !may_sign_crls(candidate, 1)
                || EVP_PKEY_eq(X509_get0_pubkey(candidate), X509_get0_pubkey(issuer)) == 1) {
                continue;
            }
            for (j = 0; j < ntried && X509_cmp(tried[j], candidate) != 0; j++) {
            }
            if (j < ntried) {
                continue;
            }
            if (ntried == MAUTH_CRL_SIGNER_TRIES) {
                return answer;
            }
            tried[ntried++] = candidate;
            found = try_crl_signer(t, crl, candidate, anchor, untrusted, level, now, log, v);
            if (found == SIGNER_OK) {
                return SIGNER_OK;
            }
            if (found == SIGNER_REVOKED) {
                answer = SIGNER_REVOKED;
            }
        }
    }
    return answer;
}

/*
 * Revocation of chain[0 .. last] against the indexed CRLs.  The trust anchor
 * itself is never checked: it is trusted by configuration.  A certificate
 * that needs a CRL and has no current, correctly signed one from its issuer
 * fails closed.  The CRL is signed by the issuer's key, or else by another
 * certificate of the issuer's name allowed to sign CRLs (find_crl_signer);
 * that search costs nothing while the issuer's key verifies the CRL.
 */
static mauth_reason_e check_revocation(const mauth_trust_t *t, STACK_OF(X509) *chain,
                                       STACK_OF(X509) *untrusted, int level, apr_time_t now,
                                       const mauth_logger_t *log, mauth_verdict_t *v)
{
    int i, j;

    for (i = 0; i <= last_checked(t, chain) && i + 1 < sk_X509_num(chain); i++) {
        X509 *cert = sk_X509_value(chain, i);
        X509 *issuer = sk_X509_value(chain, i + 1);
        const X509_NAME *issuer_name = X509_get_subject_name(issuer);
        int issuer_signs = may_sign_crls(issuer, 0);
        int usable = 0, revoked = 0, signer_revoked = 0;

        if (!issuer_signs) {
            mauth_log(log, MAUTH_LOG_DEBUG, "MAUTH00003",
                      "issuer at depth %d may not sign CRLs (keyUsage)", i + 1);
        }
        for (j = 0; j < t->crls->nelts; j++) {
            mauth_crl_t *crl = APR_ARRAY_IDX(t->crls, j, mauth_crl_t *);
            signer_e signer = SIGNER_NONE;
            if (X509_NAME_cmp(crl->issuer, issuer_name) != 0) {
                continue;
            }
            if (now < crl->this_update
                || (crl->next_update && now >= crl->next_update)) {
                mauth_log(log, MAUTH_LOG_DEBUG, "MAUTH00004",
                          "%s: CRL for depth %d is outside its validity window",
                          crl->source, i);
                continue;
            }
            if (issuer_signs && mauth_crl_signed_by(crl, issuer)) {
                signer = SIGNER_OK;
            }
            else {
                signer = find_crl_signer(t, crl, issuer, chain, untrusted, level, now, log, v);
            }
            if (signer == SIGNER_REVOKED) {
                signer_revoked = 1;
                continue;
            }
            if (signer != SIGNER_OK) {
                mauth_log(log, MAUTH_LOG_DEBUG, "MAUTH00005",
                          "%s: CRL for depth %d verifies neither with the issuer's key "
                          "nor with another certificate that may sign it", crl->source, i);
                continue;
            }
            usable = 1;
            expire_by(v, crl->next_update, MAUTH_REASON_REVOCATION_UNAVAILABLE);
            revoked |= mauth_crl_lists(crl, cert);
        }
        if (!usable && signer_revoked) {
            /* the CRL that would say is signed by a revoked certificate */
            v->error_depth = i;
            return MAUTH_REASON_ISSUER_REVOKED;
        }
        if (!usable) {
            mauth_log(log, MAUTH_LOG_DEBUG, "MAUTH00006",
                      "no current, correctly signed CRL for the certificate at depth %d", i);
            v->error_depth = i;
            return MAUTH_REASON_REVOCATION_UNAVAILABLE;
        }
        if (revoked) {
            v->error_depth = i;
            return i == 0 ? MAUTH_REASON_REVOKED : MAUTH_REASON_ISSUER_REVOKED;
        }
    }
    return MAUTH_REASON_OK;
}

int mauth_trust_crl_lists(const mauth_trust_t *t, X509 *cert, X509 *issuer, apr_time_t now)
{
    const X509_NAME *issuer_name = X509_get_subject_name(issuer);
    int j;

    for (j = 0; j < t->crls->nelts; j++) {
        mauth_crl_t *crl = APR_ARRAY_IDX(t->crls, j, mauth_crl_t *);
        if (X509_NAME_cmp(crl->issuer, issuer_name) == 0 && now >= crl->this_update
            && (!crl->next_update || now < crl->next_update)
            && mauth_crl_signed_by(crl, issuer) && mauth_crl_lists(crl, cert)) {
            return 1;
        }
    }
    return 0;
}

void mauth_verify_chain(const mauth_trust_t *t, X509 *leaf, STACK_OF(X509) *untrusted,
                        apr_time_t now, const mauth_logger_t *log,
                        mauth_verdict_t *v)
{
    X509_STORE_CTX *ctx;
    X509_VERIFY_PARAM *param;
    mauth_reason_e reason = MAUTH_REASON_OK;
    int i;

    memset(v, 0, sizeof(*v));
    v->status = MAUTH_VERIFY_FAILED;
    v->reason = MAUTH_REASON_INVALID;
    if (leaf == NULL) {
        v->status = MAUTH_VERIFY_NONE;
        v->reason = MAUTH_REASON_NO_CERTIFICATE;
        return;
    }
    memcpy(v->trust_id, t->id, sizeof(v->trust_id));

    ctx = X509_STORE_CTX_new();
    if (ctx == NULL || X509_STORE_CTX_init(ctx, t->store, leaf, untrusted) != 1) {
        X509_STORE_CTX_free(ctx);
        ERR_clear_error();
        return;
    }
    param = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_time(param, (time_t)apr_time_sec(now));
    /* mod_ssl counts the root, OpenSSL counts intermediates only */
    X509_VERIFY_PARAM_set_depth(param, t->depth > 0 ? t->depth - 1 : 0);
    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT);
    if (t->extended_crls && t->crl_check != MAUTH_CRL_CHECK_NONE) {
        /* read only from here on, shared by every thread like the store */
        X509_STORE_CTX_set0_crls(ctx, t->x509_crls);
        X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_CRL_CHECK
                                    | X509_V_FLAG_EXTENDED_CRL_SUPPORT
                                    | X509_V_FLAG_USE_DELTAS
                                    | (t->crl_check == MAUTH_CRL_CHECK_CHAIN
                                       ? X509_V_FLAG_CRL_CHECK_ALL : 0));
    }

    if (X509_verify_cert(ctx) != 1) {
        int error = X509_STORE_CTX_get_error(ctx);
        v->error_depth = X509_STORE_CTX_get_error_depth(ctx);
        v->reason = reason_of(error, v->error_depth);
        mauth_log(log, MAUTH_LOG_DEBUG, "MAUTH00007",
                  "chain verification failed at depth %d: %s", v->error_depth,
                  X509_verify_cert_error_string(error));
    }
    else {
        STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);
        for (i = 0; i < sk_X509_num(chain); i++) {
            expire_by(v, mauth_asn1_time(X509_get0_notAfter(sk_X509_value(chain, i))),
                      MAUTH_REASON_EXPIRED);
        }
        if (t->crl_check != MAUTH_CRL_CHECK_NONE) {
            if (t->extended_crls) {
                expire_by_crl_updates(t, chain, v);
            }
            else {
                reason = check_revocation(t, chain, untrusted, 0, now, log, v);
            }
        }
        if (reason == MAUTH_REASON_OK) {
            v->status = MAUTH_VERIFY_SUCCESS;
            v->reason = MAUTH_REASON_OK;
            v->error_depth = -1;
        }
        else {
            v->reason = reason;
        }
    }
    X509_STORE_CTX_free(ctx);
    ERR_clear_error();
}
