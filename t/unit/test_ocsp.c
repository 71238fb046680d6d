/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * test_ocsp.c: judging OCSP responses (mauth_ocsp_check), finding the
 * issuer, the cache key.  Responses are signed here with OpenSSL's
 * responder API at TP_NOW:
 *
 *   root -> inter -> leaf; responder: issued by inter for OCSPSigning
 */
#include <apr_strings.h>
#include <openssl/ocsp.h>

#include "mauth_ocsp.h"
#include "testpki.h"
#include "unit.h"

typedef struct {
    tp_id_t root, inter, leaf, responder;
} world_t;

static void world_make(apr_pool_t *p, world_t *w)
{
    w->root = tp_root(p, "Root CA");
    w->inter = tp_ca(p, "Intermediate CA", &w->root);
    w->leaf = tp_leaf(p, "alice", &w->inter);
    w->responder = tp_cert(p, &(tp_cert_opts_t){.cn = "OCSP responder", .issuer = &w->inter,
                                                .eku = "OCSPSigning"});
}

typedef struct {
    const tp_id_t *signer;             /* NULL: the issuer (inter) */
    int status;                        /* V_OCSP_CERTSTATUS_* */
    time_t this_update;                /* 0: TP_NOW - 1 hour */
    time_t next_update;                /* 0: TP_NOW + 1 day; -1: none */
    OCSP_REQUEST *nonce_of;            /* echo this request's nonce */
    int response_status;              /* 0: successful */
} resp_opts_t;

static const mauth_ocsp_policy_t default_policy = {apr_time_from_sec(300), -1, 1};

static unsigned char *make_response(apr_pool_t *p, const world_t *w, const resp_opts_t *o,
                                    apr_size_t *len)
{
    const tp_id_t *signer = o->signer ? o->signer : &w->inter;
    OCSP_BASICRESP *basic = OCSP_BASICRESP_new();
    OCSP_CERTID *id = OCSP_cert_to_id(NULL, w->leaf.cert, w->inter.cert);
    ASN1_TIME *this_update = ASN1_TIME_set(NULL, o->this_update ? o->this_update
                                                               : TP_NOW - TP_HOUR);
    ASN1_TIME *next_update = o->next_update == -1 ? NULL
        : ASN1_TIME_set(NULL, o->next_update ? o->next_update : TP_NOW + TP_DAY);
    ASN1_TIME *revoked_at = ASN1_TIME_set(NULL, TP_NOW - TP_DAY);
    OCSP_RESPONSE *resp;
    unsigned char *der = NULL, *out;
    int n;

    OCSP_basic_add1_status(basic, id, o->status, OCSP_REVOKED_STATUS_KEYCOMPROMISE,
                           o->status == V_OCSP_CERTSTATUS_REVOKED ? revoked_at : NULL,
                           this_update, next_update);
    if (o->nonce_of) {
        OCSP_copy_nonce(basic, o->nonce_of);
    }
    OCSP_basic_sign(basic, signer->cert, signer->key, EVP_sha256(),
                    signer == &w->inter ? NULL : tp_stack(p, signer->cert, NULL),
                    signer == &w->inter ? OCSP_NOCERTS : 0);
    resp = OCSP_response_create(o->response_status ? o->response_status
                                                  : OCSP_RESPONSE_STATUS_SUCCESSFUL,
                                o->response_status ? NULL : basic);
    n = i2d_OCSP_RESPONSE(resp, &der);
    out = apr_pmemdup(p, der, (apr_size_t)n);
    *len = (apr_size_t)n;
    OPENSSL_free(der);
    OCSP_RESPONSE_free(resp);
    OCSP_BASICRESP_free(basic);
    OCSP_CERTID_free(id);
    ASN1_TIME_free(this_update);
    ASN1_TIME_free(next_update);
    ASN1_TIME_free(revoked_at);
    return out;
}

static void judge(apr_pool_t *p, const world_t *w, const resp_opts_t *o,
                  OCSP_REQUEST *req, const mauth_ocsp_policy_t *policy,
                  mauth_ocsp_result_t *out)
{
    apr_size_t len;
    unsigned char *der = make_response(p, w, o, &len);

    mauth_ocsp_check(p, w->leaf.cert, w->inter.cert, NULL, req, der, len, TP_APR_NOW,
                     policy ? policy : &default_policy, out);
}

UNIT_TEST(good_answer_signed_by_the_issuer_is_good)
{
    world_t w;
    mauth_ocsp_result_t r;

    world_make(p, &w);
    judge(p, &w, &(resp_opts_t){.status = V_OCSP_CERTSTATUS_GOOD}, NULL, NULL, &r);
    CHECK_MSG(r.status == MAUTH_OCSP_GOOD, "status %d: %s", r.status, r.why);
    CHECK(r.next_update == apr_time_from_sec(TP_NOW + TP_DAY));
}

UNIT_TEST(revoked_and_unknown_answers_say_so)
{
    world_t w;
    mauth_ocsp_result_t r;

    world_make(p, &w);
    judge(p, &w, &(resp_opts_t){.status = V_OCSP_CERTSTATUS_REVOKED}, NULL, NULL, &r);
    CHECK_INT(r.status, MAUTH_OCSP_REVOKED);
    judge(p, &w, &(resp_opts_t){.status = V_OCSP_CERTSTATUS_UNKNOWN}, NULL, NULL, &r);
    CHECK_INT(r.status, MAUTH_OCSP_UNKNOWN);
}

UNIT_TEST(delegated_responder_issued_by_the_issuer_is_trusted)
{
    world_t w;
    mauth_ocsp_result_t r;

    world_make(p, &w);
    judge(p, &w, &(resp_opts_t){.signer = &w.responder, .status = V_OCSP_CERTSTATUS_REVOKED},
          NULL, NULL, &r);
    CHECK_MSG(r.status == MAUTH_OCSP_REVOKED, "status %d: %s", r.status, r.why);
}

/* RFC 6960 4.2.2.2.1: a delegated responder the issuer revoked (its CRL
 * in the trust lists it) speaks for no one, unless the CA marked it
 * id-pkix-ocsp-nocheck. */
UNIT_TEST(responder_revoked_by_the_issuers_crl_is_refused_unless_marked_nocheck)
{
    world_t w;
    mauth_ocsp_result_t r;
    apr_size_t len;
    unsigned char *der;
    const char *err = NULL;
    mauth_trust_t *t;
    X509_CRL *root_crl, *inter_crl;
    tp_id_t nocheck;

    world_make(p, &w);
    nocheck = tp_cert(p, &(tp_cert_opts_t){.cn = "OCSP responder, no check",
                                           .issuer = &w.inter, .eku = "OCSPSigning"});
    X509_add1_ext_i2d(nocheck.cert, NID_id_pkix_OCSP_noCheck, ASN1_NULL_new(), 0, 0);
    X509_sign(nocheck.cert, w.inter.key, EVP_sha256());
    root_crl = tp_crl(p, &(tp_crl_opts_t){.issuer = &w.root});
    inter_crl = tp_crl(p, &(tp_crl_opts_t){.issuer = &w.inter,
                                           .revoked = (X509 *[]){w.responder.cert,
                                                                 nocheck.cert, NULL}});
    t = tp_trust(p, MAUTH_CRL_CHECK_CHAIN, (X509 *[]){w.root.cert, NULL},
                 (X509_CRL *[]){root_crl, inter_crl, NULL}, NULL, &err);
    CHECK_MSG(t != NULL, "%s", err);

    der = make_response(p, &w, &(resp_opts_t){.signer = &w.responder,
                                               .status = V_OCSP_CERTSTATUS_GOOD}, &len);
    mauth_ocsp_check(p, w.leaf.cert, w.inter.cert, t, NULL, der, len, TP_APR_NOW,
                     &default_policy, &r);
    CHECK_INT(r.status, MAUTH_OCSP_UNAVAILABLE);
    CHECK_CONTAINS(r.why, "revoked");
    /* the issuer's own signature is never in question */
    der = make_response(p, &w, &(resp_opts_t){.status = V_OCSP_CERTSTATUS_GOOD}, &len);
    mauth_ocsp_check(p, w.leaf.cert, w.inter.cert, t, NULL, der, len, TP_APR_NOW,
                     &default_policy, &r);
    CHECK_MSG(r.status == MAUTH_OCSP_GOOD, "status %d: %s", r.status, r.why);
    der = make_response(p, &w, &(resp_opts_t){.signer = &nocheck,
                                               .status = V_OCSP_CERTSTATUS_GOOD}, &len);
    mauth_ocsp_check(p, w.leaf.cert, w.inter.cert, t, NULL, der, len, TP_APR_NOW,
                     &default_policy, &r);
    CHECK_MSG(r.status == MAUTH_OCSP_GOOD, "status %d: %s", r.status, r.why);
}

UNIT_TEST(responder_without_ocsp_signing_is_refused)
{
    world_t w;
    mauth_ocsp_result_t r;
    tp_id_t plain;

    world_make(p, &w);
    plain = tp_cert(p, &(tp_cert_opts_t){.cn = "not a responder", .issuer = &w.inter});
    judge(p, &w, &(resp_opts_t){.signer = &plain, .status = V_OCSP_CERTSTATUS_GOOD},
          NULL, NULL, &r);
    CHECK_INT(r.status, MAUTH_OCSP_UNAVAILABLE);
    CHECK_CONTAINS(r.why, "OCSPSigning");
}

UNIT_TEST(responder_of_another_ca_is_refused_even_with_ocsp_signing)
{
    world_t w;
    mauth_ocsp_result_t r;
    tp_id_t other;

    world_make(p, &w);
    /* issued by the root, which did not issue the leaf */
    other = tp_cert(p, &(tp_cert_opts_t){.cn = "root's responder", .issuer = &w.root,
                                         .eku = "OCSPSigning"});
    judge(p, &w, &(resp_opts_t){.signer = &other, .status = V_OCSP_CERTSTATUS_GOOD},
          NULL, NULL, &r);
    CHECK_INT(r.status, MAUTH_OCSP_UNAVAILABLE);
    CHECK_CONTAINS(r.why, "signed neither by the issuer");
}

UNIT_TEST(self_signed_responder_carried_in_the_response_is_refused)
{
    world_t w;
    mauth_ocsp_result_t r;
    tp_id_t self = {NULL, NULL};

    world_make(p, &w);
    self = tp_cert(p, &(tp_cert_opts_t){.cn = "Intermediate CA", .eku = "OCSPSigning"});
    judge(p, &w, &(resp_opts_t){.signer = &self, .status = V_OCSP_CERTSTATUS_GOOD},
          NULL, NULL, &r);
    CHECK_INT(r.status, MAUTH_OCSP_UNAVAILABLE);
}

UNIT_TEST(stale_and_future_responses_are_unavailable)
{
    world_t w;
    mauth_ocsp_result_t r;
    mauth_ocsp_policy_t aged = {apr_time_from_sec(300), apr_time_from_sec(600), 0};

    world_make(p, &w);
    judge(p, &w, &(resp_opts_t){.status = V_OCSP_CERTSTATUS_GOOD,
                                .this_update = TP_NOW - 2 * TP_DAY,
                                .next_update = TP_NOW - TP_DAY}, NULL, NULL, &r);
    CHECK_INT(r.status, MAUTH_OCSP_UNAVAILABLE);
    CHECK_CONTAINS(r.why, "nextUpdate");
    judge(p, &w, &(resp_opts_t){.status = V_OCSP_CERTSTATUS_GOOD,
                                .this_update = TP_NOW + TP_HOUR}, NULL, NULL, &r);
    CHECK_INT(r.status, MAUTH_OCSP_UNAVAILABLE);
    CHECK_CONTAINS(r.why, "future");
    /* within the skew: fine */
    judge(p, &w, &(resp_opts_t){.status = V_OCSP_CERTSTATUS_GOOD,
                                .this_update = TP_NOW + 60}, NULL, NULL, &r);
    CHECK_INT(r.status, MAUTH_OCSP_GOOD);
    /* no nextUpdate, thisUpdate an hour ago, at most 10 minutes allowed */
    judge(p, &w, &(resp_opts_t){.status = V_OCSP_CERTSTATUS_GOOD, .next_update = -1},
          NULL, &aged, &r);
    CHECK_INT(r.status, MAUTH_OCSP_UNAVAILABLE);
    CHECK_CONTAINS(r.why, "older");
}

UNIT_TEST(nonce_must_be_echoed_when_asked)
{
    world_t w;
    mauth_ocsp_result_t r;
    OCSP_REQUEST *req, *other;
    unsigned char *der;
    apr_size_t len;

    world_make(p, &w);
    CHECK(mauth_ocsp_request(p, w.leaf.cert, w.inter.cert, 1, &req, &der, &len) == APR_SUCCESS);
    CHECK(mauth_ocsp_request(p, w.leaf.cert, w.inter.cert, 1, &other, &der, &len)
          == APR_SUCCESS);
    judge(p, &w, &(resp_opts_t){.status = V_OCSP_CERTSTATUS_GOOD, .nonce_of = req}, req,
          NULL, &r);
    CHECK_MSG(r.status == MAUTH_OCSP_GOOD, "echoed nonce: %s", r.why);
    judge(p, &w, &(resp_opts_t){.status = V_OCSP_CERTSTATUS_GOOD, .nonce_of = other}, req,
          NULL, &r);
    CHECK_INT(r.status, MAUTH_OCSP_UNAVAILABLE);
    CHECK_CONTAINS(r.why, "nonce");
    judge(p, &w, &(resp_opts_t){.status = V_OCSP_CERTSTATUS_GOOD}, req, NULL, &r);
    CHECK_INT(r.status, MAUTH_OCSP_UNAVAILABLE);
    /* a cached response (no request at hand) is not asked for one */
    judge(p, &w, &(resp_opts_t){.status = V_OCSP_CERTSTATUS_GOOD}, NULL, NULL, &r);
    CHECK_INT(r.status, MAUTH_OCSP_GOOD);
}

UNIT_TEST(responder_errors_and_garbage_are_unavailable)
{
    world_t w;
    mauth_ocsp_result_t r;
    static const unsigned char garbage[] = "not DER";

    world_make(p, &w);
    judge(p, &w, &(resp_opts_t){.response_status = OCSP_RESPONSE_STATUS_TRYLATER}, NULL,
          NULL, &r);
    CHECK_INT(r.status, MAUTH_OCSP_UNAVAILABLE);
    CHECK_CONTAINS(r.why, "trylater");
    mauth_ocsp_check(p, w.leaf.cert, w.inter.cert, NULL, NULL, garbage, sizeof(garbage),
                     TP_APR_NOW, &default_policy, &r);
    CHECK_INT(r.status, MAUTH_OCSP_UNAVAILABLE);
}

UNIT_TEST(answer_about_another_certificate_is_unavailable)
{
    world_t w;
    mauth_ocsp_result_t r;
    apr_size_t len;
    unsigned char *der;
    tp_id_t bob;

    world_make(p, &w);
    bob = tp_leaf(p, "bob", &w.inter);
    der = make_response(p, &w, &(resp_opts_t){.status = V_OCSP_CERTSTATUS_GOOD}, &len);
    mauth_ocsp_check(p, bob.cert, w.inter.cert, NULL, NULL, der, len, TP_APR_NOW,
                     &default_policy, &r);
    CHECK_INT(r.status, MAUTH_OCSP_UNAVAILABLE);
}

UNIT_TEST(issuer_is_found_among_sent_certificates_and_roots)
{
    world_t w;
    const char *err = NULL;
    mauth_trust_t *t;
    int is_root = -1;
    unsigned char k1[MAUTH_FINGERPRINT_LEN], k2[MAUTH_FINGERPRINT_LEN];

    world_make(p, &w);
    t = tp_trust(p, MAUTH_CRL_CHECK_NONE, (X509 *[]){w.root.cert, NULL}, NULL, NULL, &err);
    CHECK_MSG(t != NULL, "%s", err);
    CHECK(mauth_ocsp_issuer(t, w.leaf.cert, tp_stack(p, w.inter.cert, NULL), &is_root)
          == w.inter.cert);
    CHECK_INT(is_root, 0);
    CHECK(mauth_ocsp_issuer(t, w.inter.cert, tp_stack(p, w.inter.cert, NULL), &is_root)
          != NULL);
    CHECK_INT(is_root, 1);
    CHECK(mauth_ocsp_issuer(t, w.leaf.cert, NULL, &is_root) == NULL);
    CHECK(mauth_ocsp_is_root(t, w.root.cert));
    CHECK(!mauth_ocsp_is_root(t, w.inter.cert));
    CHECK(mauth_ocsp_cache_key(w.leaf.cert, w.inter.cert, k1));
    CHECK(mauth_ocsp_cache_key(w.responder.cert, w.inter.cert, k2));
    CHECK(memcmp(k1, k2, sizeof(k1)) != 0);
    CHECK(mauth_ocsp_cache_key(w.leaf.cert, w.inter.cert, k2));
    CHECK(memcmp(k1, k2, sizeof(k1)) == 0);
}

static const unit_test_t tests[] = {
    UNIT(good_answer_signed_by_the_issuer_is_good),
    UNIT(revoked_and_unknown_answers_say_so),
    UNIT(delegated_responder_issued_by_the_issuer_is_trusted),
    UNIT(responder_revoked_by_the_issuers_crl_is_refused_unless_marked_nocheck),
    UNIT(responder_without_ocsp_signing_is_refused),
    UNIT(responder_of_another_ca_is_refused_even_with_ocsp_signing),
    UNIT(self_signed_responder_carried_in_the_response_is_refused),
    UNIT(stale_and_future_responses_are_unavailable),
    UNIT(nonce_must_be_echoed_when_asked),
    UNIT(responder_errors_and_garbage_are_unavailable),
    UNIT(answer_about_another_certificate_is_unavailable),
    UNIT(issuer_is_found_among_sent_certificates_and_roots),
};
UNIT_MAIN("ocsp", tests)
