/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * test_chain.c: mauth_verify_chain and the trust store, the first layer of
 * the seeds.  Each test builds its own PKI at TP_NOW:
 *
 *   root ("Root CA", trusted) -> inter ("Intermediate CA") -> leaf (clientAuth)
 *   root_crl: issued by root (covers inter); inter_crl: issued by inter
 */
#include <apr_file_io.h>
#include <apr_strings.h>
#include <openssl/pem.h>

#include "testpki.h"
#include "unit.h"

typedef struct {
    tp_id_t root, inter, leaf;
    X509_CRL *root_crl, *inter_crl;
    STACK_OF(X509) *sent;              /* what the client sends besides the leaf */
} world_t;

static void world_make(apr_pool_t *p, world_t *w)
{
    w->root = tp_root(p, "Root CA");
    w->inter = tp_ca(p, "Intermediate CA", &w->root);
    w->leaf = tp_leaf(p, "alice", &w->inter);
    w->root_crl = tp_crl(p, &(tp_crl_opts_t){.issuer = &w->root});
    w->inter_crl = tp_crl(p, &(tp_crl_opts_t){.issuer = &w->inter});
    w->sent = tp_stack(p, w->inter.cert, NULL);
}

/* The trust of the world with both CRLs. */
static mauth_trust_t *world_trust(apr_pool_t *p, const world_t *w, mauth_crl_check_e check)
{
    const char *err = NULL;
    mauth_trust_t *t = tp_trust(p, check, (X509 *[]){w->root.cert, NULL},
                                (X509_CRL *[]){w->root_crl, w->inter_crl, NULL},
                                NULL, &err);
    if (t == NULL) {
        unit_fail(__FILE__, __LINE__, "trust: %s", err);
    }
    return t;
}

static void verify(const mauth_trust_t *t, X509 *leaf, STACK_OF(X509) *sent,
                   mauth_verdict_t *v)
{
    mauth_verify_chain(t, leaf, sent, TP_APR_NOW, NULL, v);
}

UNIT_TEST(accepts_good_ec_leaf)
{
    world_t w;
    mauth_trust_t *t;
    mauth_verdict_t v;

    world_make(p, &w);
    CHECK((t = world_trust(p, &w, MAUTH_CRL_CHECK_CHAIN)) != NULL);
    verify(t, w.leaf.cert, w.sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);
    CHECK_INT(v.error_depth, -1);
    CHECK_STR(mauth_verdict_text(p, &v), "SUCCESS");
}

UNIT_TEST(accepts_good_rsa_leaf)
{
    tp_id_t root = tp_root(p, "Root CA");
    EVP_PKEY *rsa = tp_key_rsa(p);
    tp_id_t inter = tp_cert(p, &(tp_cert_opts_t){.cn = "RSA Intermediate CA", .ca = 1,
                                                 .issuer = &root, .key = rsa});
    tp_id_t leaf = tp_cert(p, &(tp_cert_opts_t){.cn = "bob", .issuer = &inter,
                                                .key = tp_key_rsa(p), .eku = "clientAuth"});
    X509_CRL *root_crl = tp_crl(p, &(tp_crl_opts_t){.issuer = &root});
    X509_CRL *inter_crl = tp_crl(p, &(tp_crl_opts_t){.issuer = &inter});
    const char *err = NULL;
    mauth_trust_t *t = tp_trust(p, MAUTH_CRL_CHECK_CHAIN, (X509 *[]){root.cert, NULL},
                                (X509_CRL *[]){root_crl, inter_crl, NULL}, NULL, &err);
    mauth_verdict_t v;

    CHECK_MSG(t != NULL, "trust: %s", err);
    verify(t, leaf.cert, tp_stack(p, inter.cert, NULL), &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);
}

UNIT_TEST(accepts_peer_chain_that_repeats_the_leaf)
{
    world_t w;
    mauth_trust_t *t;
    mauth_verdict_t again;
    STACK_OF(X509) *with_leaf;
    unsigned char key[MAUTH_FINGERPRINT_LEN], key_again[MAUTH_FINGERPRINT_LEN];

    world_make(p, &w);
    CHECK((t = world_trust(p, &w, MAUTH_CRL_CHECK_CHAIN)) != NULL);
    with_leaf = tp_stack(p, w.leaf.cert, w.inter.cert, NULL);
    verify(t, w.leaf.cert, with_leaf, &again);
    CHECK_VERDICT(&again, MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);
    mauth_chain_key(w.leaf.cert, w.sent, key);
    mauth_chain_key(w.leaf.cert, with_leaf, key_again);
    CHECK_MSG(memcmp(key, key_again, MAUTH_FINGERPRINT_LEN) == 0,
              "the chain key depends on whether the peer chain repeats the leaf");
}

UNIT_TEST(chain_key_differs_between_chains)
{
    world_t w;
    tp_id_t other;
    unsigned char a[MAUTH_FINGERPRINT_LEN], b[MAUTH_FINGERPRINT_LEN],
                  c[MAUTH_FINGERPRINT_LEN];

    world_make(p, &w);
    other = tp_leaf(p, "alice", &w.inter);
    mauth_chain_key(w.leaf.cert, w.sent, a);
    mauth_chain_key(other.cert, w.sent, b);
    mauth_chain_key(w.leaf.cert, NULL, c);
    CHECK(memcmp(a, b, sizeof(a)) != 0);
    CHECK(memcmp(a, c, sizeof(a)) != 0);
}

UNIT_TEST(no_leaf_is_none)
{
    world_t w;
    mauth_trust_t *t;
    mauth_verdict_t v;

    world_make(p, &w);
    CHECK((t = world_trust(p, &w, MAUTH_CRL_CHECK_CHAIN)) != NULL);
    verify(t, NULL, NULL, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_NONE, MAUTH_REASON_NO_CERTIFICATE);
    CHECK_STR(mauth_verdict_text(p, &v), "NONE");
}

UNIT_TEST(refuses_expired_leaf)
{
    world_t w;
    tp_id_t leaf;
    mauth_trust_t *t;
    mauth_verdict_t v;

    world_make(p, &w);
    leaf = tp_cert(p, &(tp_cert_opts_t){.cn = "alice", .issuer = &w.inter,
                                        .eku = "clientAuth",
                                        .not_before = TP_NOW - TP_YEAR,
                                        .not_after = TP_NOW - TP_DAY});
    CHECK((t = world_trust(p, &w, MAUTH_CRL_CHECK_CHAIN)) != NULL);
    verify(t, leaf.cert, w.sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_EXPIRED);
    CHECK_INT(v.error_depth, 0);
    CHECK_STR(mauth_verdict_text(p, &v), "FAILED:expired");
}

UNIT_TEST(refuses_leaf_under_expired_intermediate)
{
    world_t w;
    tp_id_t inter, leaf;
    mauth_trust_t *t;
    mauth_verdict_t v;

    world_make(p, &w);
    inter = tp_cert(p, &(tp_cert_opts_t){.cn = "Intermediate CA", .ca = 1, .issuer = &w.root,
                                         .not_before = TP_NOW - 2 * TP_YEAR,
                                         .not_after = TP_NOW - TP_HOUR});
    leaf = tp_leaf(p, "alice", &inter);
    CHECK((t = world_trust(p, &w, MAUTH_CRL_CHECK_NONE)) != NULL);
    verify(t, leaf.cert, tp_stack(p, inter.cert, NULL), &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_EXPIRED);
    CHECK_INT(v.error_depth, 1);
}

UNIT_TEST(refuses_leaf_not_yet_valid)
{
    world_t w;
    tp_id_t leaf;
    mauth_trust_t *t;
    mauth_verdict_t v;

    world_make(p, &w);
    leaf = tp_cert(p, &(tp_cert_opts_t){.cn = "alice", .issuer = &w.inter,
                                        .eku = "clientAuth",
                                        .not_before = TP_NOW + TP_HOUR,
                                        .not_after = TP_NOW + TP_YEAR});
    CHECK((t = world_trust(p, &w, MAUTH_CRL_CHECK_CHAIN)) != NULL);
    verify(t, leaf.cert, w.sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_NOT_YET_VALID);
    CHECK_INT(v.error_depth, 0);
}

UNIT_TEST(refuses_revoked_leaf)
{
    world_t w;
    mauth_trust_t *t;
    mauth_verdict_t v;

    world_make(p, &w);
    w.inter_crl = tp_crl(p, &(tp_crl_opts_t){.issuer = &w.inter,
                                             .revoked = (X509 *[]){w.leaf.cert, NULL}});
    CHECK((t = world_trust(p, &w, MAUTH_CRL_CHECK_CHAIN)) != NULL);
    verify(t, w.leaf.cert, w.sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_REVOKED);
    CHECK_INT(v.error_depth, 0);
    CHECK_STR(mauth_verdict_text(p, &v), "FAILED:revoked");
}

UNIT_TEST(revoked_leaf_refused_in_leaf_mode_too)
{
    world_t w;
    mauth_trust_t *t;
    mauth_verdict_t v;

    world_make(p, &w);
    w.inter_crl = tp_crl(p, &(tp_crl_opts_t){.issuer = &w.inter,
                                             .revoked = (X509 *[]){w.leaf.cert, NULL}});
    CHECK((t = world_trust(p, &w, MAUTH_CRL_CHECK_LEAF)) != NULL);
    verify(t, w.leaf.cert, w.sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_REVOKED);
}

UNIT_TEST(other_serials_revoked_leaf_still_accepted)
{
    world_t w;
    tp_id_t bob;
    mauth_trust_t *t;
    mauth_verdict_t v;

    world_make(p, &w);
    bob = tp_leaf(p, "bob", &w.inter);
    w.inter_crl = tp_crl(p, &(tp_crl_opts_t){.issuer = &w.inter,
                                             .revoked = (X509 *[]){bob.cert, NULL}});
    CHECK((t = world_trust(p, &w, MAUTH_CRL_CHECK_CHAIN)) != NULL);
    verify(t, w.leaf.cert, w.sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);
    verify(t, bob.cert, w.sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_REVOKED);
}

UNIT_TEST(refuses_leaf_under_revoked_intermediate)
{
    world_t w;
    mauth_trust_t *t;
    mauth_verdict_t v;

    world_make(p, &w);
    w.root_crl = tp_crl(p, &(tp_crl_opts_t){.issuer = &w.root,
                                            .revoked = (X509 *[]){w.inter.cert, NULL}});
    CHECK((t = world_trust(p, &w, MAUTH_CRL_CHECK_CHAIN)) != NULL);
    verify(t, w.leaf.cert, w.sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_ISSUER_REVOKED);
    CHECK_INT(v.error_depth, 1);
    CHECK_STR(mauth_verdict_text(p, &v), "FAILED:issuer-revoked");
}

UNIT_TEST(revoked_intermediate_ignored_in_leaf_mode)
{
    world_t w;
    mauth_trust_t *t;
    mauth_verdict_t v;

    world_make(p, &w);
    w.root_crl = tp_crl(p, &(tp_crl_opts_t){.issuer = &w.root,
                                            .revoked = (X509 *[]){w.inter.cert, NULL}});
    CHECK((t = world_trust(p, &w, MAUTH_CRL_CHECK_LEAF)) != NULL);
    verify(t, w.leaf.cert, w.sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);
}

/* An untrusted CA with the trusted intermediate's exact subject. */
UNIT_TEST(refuses_impostor_ca_with_intermediate_subject)
{
    world_t w;
    tp_id_t impostor, leaf;
    mauth_trust_t *t;
    mauth_verdict_t v;

    world_make(p, &w);
    impostor = tp_cert(p, &(tp_cert_opts_t){.cn = "Intermediate CA", .ca = 1,
                                            .not_before = TP_NOW - TP_YEAR,
                                            .not_after = TP_NOW + TP_YEAR});
    CHECK(X509_NAME_cmp(X509_get_subject_name(impostor.cert),
                        X509_get_subject_name(w.inter.cert)) == 0);
    leaf = tp_leaf(p, "alice", &impostor);
    CHECK((t = world_trust(p, &w, MAUTH_CRL_CHECK_CHAIN)) != NULL);
    verify(t, leaf.cert, tp_stack(p, impostor.cert, NULL), &v);
    CHECK_MSG(v.status == MAUTH_VERIFY_FAILED
              && (v.reason == MAUTH_REASON_UNTRUSTED || v.reason == MAUTH_REASON_BAD_SIGNATURE),
              "impostor chain gave %s", unit_verdict_text(&v));
}

/* The impostor's leaf sent with the real intermediate, whose name it bears. */
UNIT_TEST(refuses_impostor_leaf_sent_with_real_intermediate)
{
    world_t w;
    tp_id_t impostor, leaf;
    mauth_trust_t *t;
    mauth_verdict_t v;
    int key_ids;

    world_make(p, &w);
    CHECK((t = world_trust(p, &w, MAUTH_CRL_CHECK_CHAIN)) != NULL);
    for (key_ids = 0; key_ids < 2; key_ids++) {
        impostor = tp_cert(p, &(tp_cert_opts_t){.cn = "Intermediate CA", .ca = 1,
                                                .no_key_ids = !key_ids});
        leaf = tp_cert(p, &(tp_cert_opts_t){.cn = "alice", .issuer = &impostor,
                                            .eku = "clientAuth", .no_key_ids = !key_ids});
        verify(t, leaf.cert, w.sent, &v);
        CHECK_MSG(v.status == MAUTH_VERIFY_FAILED
                  && (v.reason == MAUTH_REASON_UNTRUSTED
                      || v.reason == MAUTH_REASON_BAD_SIGNATURE),
                  "impostor leaf (key ids %s) gave %s", key_ids ? "on" : "off",
                  unit_verdict_text(&v));
    }
}

UNIT_TEST(refuses_leaf_signed_by_wrong_key)
{
    world_t w;
    tp_id_t leaf;
    mauth_trust_t *t;
    mauth_verdict_t v;

    world_make(p, &w);
    leaf = tp_cert(p, &(tp_cert_opts_t){.cn = "alice", .issuer = &w.inter,
                                        .sign_key = tp_key_ec(p), .eku = "clientAuth"});
    CHECK((t = world_trust(p, &w, MAUTH_CRL_CHECK_CHAIN)) != NULL);
    verify(t, leaf.cert, w.sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_BAD_SIGNATURE);
    CHECK_INT(v.error_depth, 0);
}

/* A client's own (valid) leaf used to issue another certificate. */
UNIT_TEST(refuses_certificate_issued_by_a_leaf)
{
    world_t w;
    tp_id_t forged;
    mauth_trust_t *t;
    mauth_verdict_t v;

    world_make(p, &w);
    forged = tp_leaf(p, "mallory", &w.leaf);
    CHECK((t = world_trust(p, &w, MAUTH_CRL_CHECK_NONE)) != NULL);
    verify(t, forged.cert, tp_stack(p, w.leaf.cert, w.inter.cert, NULL), &v);
    CHECK_MSG(v.status == MAUTH_VERIFY_FAILED && v.reason != MAUTH_REASON_OK,
              "a leaf-issued certificate gave %s", unit_verdict_text(&v));
    CHECK_INT(v.error_depth, 1);
}

UNIT_TEST(accepts_chain_with_root_and_unrelated_extras)
{
    world_t w, other;
    mauth_trust_t *t;
    mauth_verdict_t v;

    world_make(p, &w);
    world_make(p, &other);
    CHECK((t = world_trust(p, &w, MAUTH_CRL_CHECK_CHAIN)) != NULL);
    verify(t, w.leaf.cert, tp_stack(p, other.inter.cert, w.inter.cert, w.root.cert,
                                     other.root.cert, NULL), &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);
}

UNIT_TEST(refuses_self_signed_leaf)
{
    world_t w;
    tp_id_t self;
    mauth_trust_t *t;
    mauth_verdict_t v;

    world_make(p, &w);
    self = tp_cert(p, &(tp_cert_opts_t){.cn = "alice", .eku = "clientAuth"});
    CHECK((t = world_trust(p, &w, MAUTH_CRL_CHECK_CHAIN)) != NULL);
    verify(t, self.cert, NULL, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_SELF_SIGNED);
    CHECK_STR(mauth_verdict_text(p, &v), "FAILED:self-signed");
}

UNIT_TEST(refuses_server_auth_only_leaf)
{
    world_t w;
    tp_id_t leaf;
    mauth_trust_t *t;
    mauth_verdict_t v;

    world_make(p, &w);
    leaf = tp_cert(p, &(tp_cert_opts_t){.cn = "www.example.com", .issuer = &w.inter,
                                        .eku = "serverAuth"});
    CHECK((t = world_trust(p, &w, MAUTH_CRL_CHECK_CHAIN)) != NULL);
    verify(t, leaf.cert, w.sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_WRONG_PURPOSE);
    CHECK_INT(v.error_depth, 0);
}

UNIT_TEST(accepts_leaf_without_eku)
{
    world_t w;
    tp_id_t leaf;
    mauth_trust_t *t;
    mauth_verdict_t v;

    world_make(p, &w);
    leaf = tp_cert(p, &(tp_cert_opts_t){.cn = "alice", .issuer = &w.inter});
    CHECK((t = world_trust(p, &w, MAUTH_CRL_CHECK_CHAIN)) != NULL);
    verify(t, leaf.cert, w.sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);
}

UNIT_TEST(refuses_chain_missing_intermediate)
{
    world_t w;
    mauth_trust_t *t;
    mauth_verdict_t v;

    world_make(p, &w);
    CHECK((t = world_trust(p, &w, MAUTH_CRL_CHECK_CHAIN)) != NULL);
    verify(t, w.leaf.cert, NULL, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_UNTRUSTED);
    CHECK_STR(mauth_verdict_text(p, &v), "FAILED:untrusted-issuer");
    verify(t, w.leaf.cert, tp_stack(p, w.leaf.cert, NULL), &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_UNTRUSTED);
}

UNIT_TEST(refuses_chain_to_untrusted_root)
{
    world_t w, other;
    mauth_trust_t *t;
    mauth_verdict_t v;

    world_make(p, &w);
    world_make(p, &other);
    CHECK((t = world_trust(p, &w, MAUTH_CRL_CHECK_CHAIN)) != NULL);
    verify(t, other.leaf.cert, tp_stack(p, other.inter.cert, other.root.cert, NULL), &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_UNTRUSTED);
}

/* mod_ssl's SSLVerifyDepth counts the root: leaf -> inter -> root is 2. */
UNIT_TEST(depth_counts_like_mod_ssl)
{
    world_t w;
    tp_id_t direct;
    mauth_trust_t *t;
    mauth_verdict_t v;

    world_make(p, &w);
    direct = tp_leaf(p, "carol", &w.root);
    CHECK((t = world_trust(p, &w, MAUTH_CRL_CHECK_CHAIN)) != NULL);
    mauth_trust_set_depth(t, 1);
    verify(t, w.leaf.cert, w.sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_CHAIN_TOO_LONG);
    CHECK_STR(mauth_verdict_text(p, &v), "FAILED:chain-too-long");
    verify(t, direct.cert, NULL, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);
    mauth_trust_set_depth(t, 2);
    verify(t, w.leaf.cert, w.sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);
}

UNIT_TEST(depth_limits_longer_chains)
{
    world_t w;
    tp_id_t inter2, leaf;
    X509_CRL *crl2;
    const char *err = NULL;
    mauth_trust_t *t;
    mauth_verdict_t v;
    STACK_OF(X509) *sent;

    world_make(p, &w);
    inter2 = tp_ca(p, "Intermediate CA 2", &w.inter);
    leaf = tp_leaf(p, "dave", &inter2);
    crl2 = tp_crl(p, &(tp_crl_opts_t){.issuer = &inter2});
    t = tp_trust(p, MAUTH_CRL_CHECK_CHAIN, (X509 *[]){w.root.cert, NULL},
                 (X509_CRL *[]){w.root_crl, w.inter_crl, crl2, NULL}, NULL, &err);
    CHECK_MSG(t != NULL, "trust: %s", err);
    sent = tp_stack(p, inter2.cert, w.inter.cert, NULL);
    verify(t, leaf.cert, sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);
    mauth_trust_set_depth(t, 2);
    verify(t, leaf.cert, sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_CHAIN_TOO_LONG);
    mauth_trust_set_depth(t, 3);
    verify(t, leaf.cert, sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);
}

UNIT_TEST(path_length_constraint_refuses_chain)
{
    world_t w;
    tp_id_t inter, inter2, leaf;
    mauth_trust_t *t;
    mauth_verdict_t v;

    world_make(p, &w);
    inter = tp_cert(p, &(tp_cert_opts_t){.cn = "Intermediate CA", .ca = 1, .issuer = &w.root,
                                         .basic_constraints = "critical,CA:TRUE,pathlen:0"});
    inter2 = tp_ca(p, "Intermediate CA 2", &inter);
    leaf = tp_leaf(p, "dave", &inter2);
    CHECK((t = world_trust(p, &w, MAUTH_CRL_CHECK_NONE)) != NULL);
    verify(t, leaf.cert, tp_stack(p, inter2.cert, inter.cert, NULL), &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_CHAIN_TOO_LONG);
}

UNIT_TEST(refuses_leaf_when_issuer_crl_past_next_update)
{
    world_t w;
    mauth_trust_t *t;
    mauth_verdict_t v;

    world_make(p, &w);
    w.inter_crl = tp_crl(p, &(tp_crl_opts_t){.issuer = &w.inter,
                                             .this_update = TP_NOW - 8 * TP_DAY,
                                             .next_update = TP_NOW - TP_DAY});
    CHECK((t = world_trust(p, &w, MAUTH_CRL_CHECK_CHAIN)) != NULL);
    verify(t, w.leaf.cert, w.sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_REVOCATION_UNAVAILABLE);
    CHECK_INT(v.error_depth, 0);
    CHECK_STR(mauth_verdict_text(p, &v), "FAILED:revocation-unavailable");
}

UNIT_TEST(crl_expires_exactly_at_next_update)
{
    world_t w;
    mauth_trust_t *t;
    mauth_verdict_t v;

    world_make(p, &w);
    w.inter_crl = tp_crl(p, &(tp_crl_opts_t){.issuer = &w.inter,
                                             .next_update = TP_NOW + TP_HOUR});
    CHECK((t = world_trust(p, &w, MAUTH_CRL_CHECK_CHAIN)) != NULL);
    mauth_verify_chain(t, w.leaf.cert, w.sent,
                       apr_time_from_sec(TP_NOW + TP_HOUR) - 1, NULL, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);
    mauth_verify_chain(t, w.leaf.cert, w.sent, apr_time_from_sec(TP_NOW + TP_HOUR),
                       NULL, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_REVOCATION_UNAVAILABLE);
}

UNIT_TEST(refuses_leaf_when_crl_not_yet_valid)
{
    world_t w;
    mauth_trust_t *t;
    mauth_verdict_t v;

    world_make(p, &w);
    w.inter_crl = tp_crl(p, &(tp_crl_opts_t){.issuer = &w.inter,
                                             .this_update = TP_NOW + TP_HOUR,
                                             .next_update = TP_NOW + 7 * TP_DAY});
    CHECK((t = world_trust(p, &w, MAUTH_CRL_CHECK_CHAIN)) != NULL);
    verify(t, w.leaf.cert, w.sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_REVOCATION_UNAVAILABLE);
}

UNIT_TEST(accepts_crl_without_next_update)
{
    world_t w;
    mauth_trust_t *t;
    mauth_verdict_t v;

    world_make(p, &w);
    w.inter_crl = tp_crl(p, &(tp_crl_opts_t){.issuer = &w.inter, .next_update = -1});
    w.root_crl = tp_crl(p, &(tp_crl_opts_t){.issuer = &w.root, .next_update = -1});
    CHECK((t = world_trust(p, &w, MAUTH_CRL_CHECK_CHAIN)) != NULL);
    verify(t, w.leaf.cert, w.sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);
    CHECK_INT(apr_time_sec(v.valid_until), TP_NOW + TP_YEAR);
    CHECK_INT(v.reason_after, MAUTH_REASON_EXPIRED);
}

/* A stale CRL next to a current one from the same issuer: the current one counts. */
UNIT_TEST(stale_crl_beside_current_one_is_ignored)
{
    world_t w;
    X509_CRL *stale;
    const char *err = NULL;
    mauth_trust_t *t;
    mauth_verdict_t v;

    world_make(p, &w);
    stale = tp_crl(p, &(tp_crl_opts_t){.issuer = &w.inter,
                                       .this_update = TP_NOW - 30 * TP_DAY,
                                       .next_update = TP_NOW - 23 * TP_DAY});
    t = tp_trust(p, MAUTH_CRL_CHECK_CHAIN, (X509 *[]){w.root.cert, NULL},
                 (X509_CRL *[]){w.root_crl, stale, w.inter_crl, NULL}, NULL, &err);
    CHECK_MSG(t != NULL, "trust: %s", err);
    verify(t, w.leaf.cert, w.sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);
}

UNIT_TEST(missing_intermediate_crl_fails_closed_in_chain_mode)
{
    world_t w;
    const char *err = NULL;
    mauth_trust_t *t;
    mauth_verdict_t v;
    unit_log_t log;

    world_make(p, &w);
    /* only the intermediate's CRL (for the leaf); none from the root */
    t = tp_trust(p, MAUTH_CRL_CHECK_CHAIN, (X509 *[]){w.root.cert, NULL},
                 (X509_CRL *[]){w.inter_crl, NULL}, NULL, &err);
    CHECK_MSG(t != NULL, "trust: %s", err);
    mauth_verify_chain(t, w.leaf.cert, w.sent, TP_APR_NOW, unit_log_capture(p, &log), &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_REVOCATION_UNAVAILABLE);
    CHECK_INT(v.error_depth, 1);
    CHECK(unit_log_has(&log, "MAUTH00006"));
}

UNIT_TEST(missing_intermediate_crl_fine_in_leaf_mode)
{
    world_t w;
    const char *err = NULL;
    mauth_trust_t *t;
    mauth_verdict_t v;

    world_make(p, &w);
    t = tp_trust(p, MAUTH_CRL_CHECK_LEAF, (X509 *[]){w.root.cert, NULL},
                 (X509_CRL *[]){w.inter_crl, NULL}, NULL, &err);
    CHECK_MSG(t != NULL, "trust: %s", err);
    verify(t, w.leaf.cert, w.sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);
}

UNIT_TEST(missing_leaf_issuer_crl_fails_closed_in_leaf_mode)
{
    world_t w;
    const char *err = NULL;
    mauth_trust_t *t;
    mauth_verdict_t v;

    world_make(p, &w);
    t = tp_trust(p, MAUTH_CRL_CHECK_LEAF, (X509 *[]){w.root.cert, NULL},
                 (X509_CRL *[]){w.root_crl, NULL}, NULL, &err);
    CHECK_MSG(t != NULL, "trust: %s", err);
    verify(t, w.leaf.cert, w.sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_REVOCATION_UNAVAILABLE);
    CHECK_INT(v.error_depth, 0);
}

UNIT_TEST(badly_signed_crl_is_unusable)
{
    world_t w;
    mauth_trust_t *t;
    mauth_verdict_t v;
    unit_log_t log;

    world_make(p, &w);
    w.inter_crl = tp_crl(p, &(tp_crl_opts_t){.issuer = &w.inter, .sign_key = tp_key_ec(p)});
    CHECK((t = world_trust(p, &w, MAUTH_CRL_CHECK_CHAIN)) != NULL);
    mauth_verify_chain(t, w.leaf.cert, w.sent, TP_APR_NOW, unit_log_capture(p, &log), &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_REVOCATION_UNAVAILABLE);
    CHECK_INT(v.error_depth, 0);
    CHECK(unit_log_has(&log, "MAUTH00005"));
}

/* A forged CRL bearing the issuer's name cannot revoke anyone. */
UNIT_TEST(forged_crl_cannot_revoke)
{
    world_t w;
    X509_CRL *forged;
    const char *err = NULL;
    mauth_trust_t *t;
    mauth_verdict_t v;

    world_make(p, &w);
    forged = tp_crl(p, &(tp_crl_opts_t){.issuer = &w.inter, .sign_key = tp_key_ec(p),
                                        .revoked = (X509 *[]){w.leaf.cert, NULL}});
    t = tp_trust(p, MAUTH_CRL_CHECK_CHAIN, (X509 *[]){w.root.cert, NULL},
                 (X509_CRL *[]){w.root_crl, forged, w.inter_crl, NULL}, NULL, &err);
    CHECK_MSG(t != NULL, "trust: %s", err);
    verify(t, w.leaf.cert, w.sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);
}

UNIT_TEST(badly_signed_root_crl_fails_start_up)
{
    world_t w;
    const char *err = NULL;
    mauth_trust_t *t;

    world_make(p, &w);
    w.root_crl = tp_crl(p, &(tp_crl_opts_t){.issuer = &w.root, .sign_key = tp_key_ec(p)});
    t = tp_trust(p, MAUTH_CRL_CHECK_CHAIN, (X509 *[]){w.root.cert, NULL},
                 (X509_CRL *[]){w.root_crl, w.inter_crl, NULL}, NULL, &err);
    CHECK(t == NULL);
    CHECK_CONTAINS(err, "crl-0.pem");
    CHECK_CONTAINS(err, "does not verify");
}

/* Two intermediates with one name and two keys (a key rollover): a CRL
 * verified with one key is not taken as signed by the other. */
UNIT_TEST(crl_signature_memo_is_per_issuer_key)
{
    world_t w;
    tp_id_t old_inter, old_leaf;
    mauth_trust_t *t;
    mauth_verdict_t v;

    world_make(p, &w);
    old_inter = tp_ca(p, "Intermediate CA", &w.root);
    old_leaf = tp_leaf(p, "alice", &old_inter);
    CHECK((t = world_trust(p, &w, MAUTH_CRL_CHECK_CHAIN)) != NULL);
    verify(t, w.leaf.cert, w.sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);
    verify(t, old_leaf.cert, tp_stack(p, old_inter.cert, NULL), &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_REVOCATION_UNAVAILABLE);
    verify(t, w.leaf.cert, w.sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);
}

UNIT_TEST(issuer_without_crl_sign_usage_fails_closed)
{
    world_t w;
    tp_id_t inter, leaf;
    X509_CRL *crl;
    const char *err = NULL;
    mauth_trust_t *t;
    mauth_verdict_t v;

    world_make(p, &w);
    inter = tp_cert(p, &(tp_cert_opts_t){.cn = "No CRL Sign CA", .ca = 1, .issuer = &w.root,
                                         .key_usage = "critical,keyCertSign"});
    leaf = tp_leaf(p, "alice", &inter);
    crl = tp_crl(p, &(tp_crl_opts_t){.issuer = &inter});
    t = tp_trust(p, MAUTH_CRL_CHECK_CHAIN, (X509 *[]){w.root.cert, NULL},
                 (X509_CRL *[]){w.root_crl, crl, NULL}, NULL, &err);
    CHECK_MSG(t != NULL, "trust: %s", err);
    verify(t, leaf.cert, tp_stack(p, inter.cert, NULL), &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_REVOCATION_UNAVAILABLE);
}

/* ------------------------------------------- CRLs signed by another key */

/*
 * A CA that signs certificates with one key and CRLs with another: the
 * CRL-signing certificate has the CA's name and cRLSign only, is issued by
 * the root, and the client sends it along (PKITS 4.4.19 to 4.4.21).
 */
typedef struct {
    world_t w;
    tp_id_t ca, signer, leaf;
    X509_CRL *ca_crl;
    STACK_OF(X509) *sent;
} split_keys_t;

static void split_keys_make(apr_pool_t *p, split_keys_t *k, int revoke_leaf)
{
    world_make(p, &k->w);
    k->ca = tp_cert(p, &(tp_cert_opts_t){.cn = "Split Keys CA", .ca = 1, .issuer = &k->w.root,
                                         .key_usage = "critical,keyCertSign"});
    k->signer = tp_cert(p, &(tp_cert_opts_t){.cn = "Split Keys CA", .issuer = &k->w.root,
                                             .key_usage = "critical,cRLSign"});
    k->leaf = tp_leaf(p, "alice", &k->ca);
    k->ca_crl = tp_crl(p, &(tp_crl_opts_t){.issuer = &k->signer,
                                           .revoked = (X509 *[]){revoke_leaf ? k->leaf.cert
                                                                 : NULL, NULL}});
    k->sent = tp_stack(p, k->ca.cert, k->signer.cert, NULL);
}

static mauth_trust_t *split_keys_trust(apr_pool_t *p, const split_keys_t *k, X509_CRL *root_crl)
{
    const char *err = NULL;
    mauth_trust_t *t = tp_trust(p, MAUTH_CRL_CHECK_CHAIN, (X509 *[]){k->w.root.cert, NULL},
                                (X509_CRL *[]){root_crl ? root_crl : k->w.root_crl,
                                               k->ca_crl, NULL}, NULL, &err);
    if (t == NULL) {
        unit_fail(__FILE__, __LINE__, "trust: %s", err);
    }
    return t;
}

UNIT_TEST(accepts_crl_signed_by_separate_crl_signing_certificate)
{
    split_keys_t k;
    mauth_trust_t *t;
    mauth_verdict_t v;

    split_keys_make(p, &k, 0);
    CHECK((t = split_keys_trust(p, &k, NULL)) != NULL);
    verify(t, k.leaf.cert, k.sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);
    /* the verdict lasts while the CRL-signing certificate does too */
    CHECK_INT(apr_time_sec(v.valid_until), TP_NOW + 7 * TP_DAY);
    /* the same again: the signature is remembered, the answer the same */
    verify(t, k.leaf.cert, k.sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);
}

UNIT_TEST(separately_signed_crl_revokes)
{
    split_keys_t k;
    mauth_trust_t *t;
    mauth_verdict_t v;

    split_keys_make(p, &k, 1);
    CHECK((t = split_keys_trust(p, &k, NULL)) != NULL);
    verify(t, k.leaf.cert, k.sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_REVOKED);
    CHECK_INT(v.error_depth, 0);
}

/* The CRL-signing certificate revoked by the root: its CRL says nothing,
 * and the chain fails as revoked, not as unavailable. */
UNIT_TEST(crl_of_revoked_crl_signing_certificate_refuses_chain_as_revoked)
{
    split_keys_t k;
    X509_CRL *root_crl;
    mauth_trust_t *t;
    mauth_verdict_t v;
    unit_log_t log;

    split_keys_make(p, &k, 0);
    root_crl = tp_crl(p, &(tp_crl_opts_t){.issuer = &k.w.root,
                                          .revoked = (X509 *[]){k.signer.cert, NULL}});
    CHECK((t = split_keys_trust(p, &k, root_crl)) != NULL);
    mauth_verify_chain(t, k.leaf.cert, k.sent, TP_APR_NOW, unit_log_capture(p, &log), &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_ISSUER_REVOKED);
    CHECK_INT(v.error_depth, 0);
    CHECK(unit_log_has(&log, "MAUTH00008"));
}

UNIT_TEST(crl_signing_certificate_must_be_sent)
{
    split_keys_t k;
    mauth_trust_t *t;
    mauth_verdict_t v;

    split_keys_make(p, &k, 0);
    CHECK((t = split_keys_trust(p, &k, NULL)) != NULL);
    verify(t, k.leaf.cert, tp_stack(p, k.ca.cert, NULL), &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_REVOCATION_UNAVAILABLE);
}

/* Another certificate with the CA's name and the CRL-signing key, sent in
 * place of the real CRL-signing certificate. */
static void verify_with_signer(apr_pool_t *p, const mauth_trust_t *t, const split_keys_t *k,
                               const tp_id_t *issuer, const char *key_usage,
                               mauth_verdict_t *v)
{
    tp_id_t signer = tp_cert(p, &(tp_cert_opts_t){.cn = "Split Keys CA", .issuer = issuer,
                                                  .key = k->signer.key,
                                                  .key_usage = key_usage});

    verify(t, k->leaf.cert, tp_stack(p, k->ca.cert, signer.cert, NULL), v);
}

/* Another certificate of the CA's name signs no CRL without cRLSign. */
UNIT_TEST(crl_signing_certificate_needs_crl_sign_usage)
{
    split_keys_t k;
    mauth_trust_t *t;
    mauth_verdict_t v;

    split_keys_make(p, &k, 0);
    CHECK((t = split_keys_trust(p, &k, NULL)) != NULL);
    verify_with_signer(p, t, &k, &k.w.root, "critical,digitalSignature", &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_REVOCATION_UNAVAILABLE);
    /* nor without a keyUsage at all: a separate signer must say so */
    verify_with_signer(p, t, &k, &k.w.root, "", &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_REVOCATION_UNAVAILABLE);
    /* with it, the same key signs */
    verify_with_signer(p, t, &k, &k.w.root, "critical,cRLSign", &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);
}

/* A CRL-signing certificate must chain to the chain's own root: one from
 * another trusted root, or self-signed, signs nothing here. */
UNIT_TEST(crl_signing_certificate_must_chain_to_the_same_root)
{
    split_keys_t k;
    tp_id_t other_root;
    X509_CRL *other_crl;
    const char *err = NULL;
    mauth_trust_t *t;
    mauth_verdict_t v;

    split_keys_make(p, &k, 0);
    other_root = tp_root(p, "Other Root CA");
    other_crl = tp_crl(p, &(tp_crl_opts_t){.issuer = &other_root});
    t = tp_trust(p, MAUTH_CRL_CHECK_CHAIN, (X509 *[]){k.w.root.cert, other_root.cert, NULL},
                 (X509_CRL *[]){k.w.root_crl, other_crl, k.ca_crl, NULL}, NULL, &err);
    CHECK_MSG(t != NULL, "trust: %s", err);
    verify_with_signer(p, t, &k, &other_root, "critical,cRLSign", &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_REVOCATION_UNAVAILABLE);
    verify_with_signer(p, t, &k, NULL, "critical,cRLSign", &v);    /* self-signed */
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_REVOCATION_UNAVAILABLE);
}

/*
 * A self-issued key rollover (PKITS 4.5.1, 4.5.2): the CA's new key
 * certifies its old key (same name, self-issued), the client's certificate
 * is from the old key, and the CA now signs CRLs with the new key only.
 */
UNIT_TEST(accepts_crl_signed_by_the_new_key_of_a_rollover)
{
    world_t w;
    tp_id_t old_with_new, leaf, bob;
    X509_CRL *crl;
    const char *err = NULL;
    mauth_trust_t *t;
    mauth_verdict_t v;
    STACK_OF(X509) *sent;

    world_make(p, &w);
    old_with_new = tp_cert(p, &(tp_cert_opts_t){.cn = "Intermediate CA", .ca = 1,
                                                .issuer = &w.inter});
    leaf = tp_leaf(p, "alice", &old_with_new);
    bob = tp_leaf(p, "bob", &old_with_new);
    crl = tp_crl(p, &(tp_crl_opts_t){.issuer = &w.inter, .revoked = (X509 *[]){bob.cert, NULL}});
    t = tp_trust(p, MAUTH_CRL_CHECK_CHAIN, (X509 *[]){w.root.cert, NULL},
                 (X509_CRL *[]){w.root_crl, crl, NULL}, NULL, &err);
    CHECK_MSG(t != NULL, "trust: %s", err);
    sent = tp_stack(p, old_with_new.cert, w.inter.cert, NULL);
    verify(t, leaf.cert, sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);
    verify(t, bob.cert, sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_REVOKED);
}

UNIT_TEST(check_none_accepts_revoked_leaf)
{
    world_t w;
    mauth_trust_t *t;
    mauth_verdict_t v;

    world_make(p, &w);
    w.inter_crl = tp_crl(p, &(tp_crl_opts_t){.issuer = &w.inter,
                                             .revoked = (X509 *[]){w.leaf.cert, NULL}});
    CHECK((t = world_trust(p, &w, MAUTH_CRL_CHECK_NONE)) != NULL);
    verify(t, w.leaf.cert, w.sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);
}

UNIT_TEST(check_none_needs_no_crl)
{
    world_t w;
    const char *err = NULL;
    mauth_trust_t *t;
    mauth_verdict_t v;

    world_make(p, &w);
    t = tp_trust(p, MAUTH_CRL_CHECK_NONE, (X509 *[]){w.root.cert, NULL}, NULL, NULL, &err);
    CHECK_MSG(t != NULL, "trust: %s", err);
    CHECK_INT(mauth_trust_crl_count(t), 0);
    verify(t, w.leaf.cert, w.sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);
}

UNIT_TEST(valid_until_is_crl_next_update_when_earliest)
{
    world_t w;
    mauth_trust_t *t;
    mauth_verdict_t v;

    world_make(p, &w);
    w.root_crl = tp_crl(p, &(tp_crl_opts_t){.issuer = &w.root,
                                            .next_update = TP_NOW + 3 * TP_DAY});
    CHECK((t = world_trust(p, &w, MAUTH_CRL_CHECK_CHAIN)) != NULL);
    verify(t, w.leaf.cert, w.sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);
    CHECK_INT(apr_time_sec(v.valid_until), TP_NOW + 3 * TP_DAY);
    CHECK_INT(v.reason_after, MAUTH_REASON_REVOCATION_UNAVAILABLE);
}

UNIT_TEST(valid_until_is_leaf_not_after_when_earliest)
{
    world_t w;
    tp_id_t leaf;
    mauth_trust_t *t;
    mauth_verdict_t v;

    world_make(p, &w);
    leaf = tp_cert(p, &(tp_cert_opts_t){.cn = "alice", .issuer = &w.inter,
                                        .eku = "clientAuth",
                                        .not_after = TP_NOW + 2 * TP_DAY});
    CHECK((t = world_trust(p, &w, MAUTH_CRL_CHECK_CHAIN)) != NULL);
    verify(t, leaf.cert, w.sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);
    CHECK_INT(apr_time_sec(v.valid_until), TP_NOW + 2 * TP_DAY);
    CHECK_INT(v.reason_after, MAUTH_REASON_EXPIRED);
}

UNIT_TEST(valid_until_is_intermediate_not_after_when_earliest)
{
    world_t w;
    tp_id_t inter, leaf;
    mauth_trust_t *t;
    mauth_verdict_t v;

    world_make(p, &w);
    inter = tp_cert(p, &(tp_cert_opts_t){.cn = "Intermediate CA", .ca = 1, .issuer = &w.root,
                                         .not_after = TP_NOW + 30 * TP_DAY});
    leaf = tp_leaf(p, "alice", &inter);
    CHECK((t = world_trust(p, &w, MAUTH_CRL_CHECK_NONE)) != NULL);
    verify(t, leaf.cert, tp_stack(p, inter.cert, NULL), &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);
    CHECK_INT(apr_time_sec(v.valid_until), TP_NOW + 30 * TP_DAY);
    CHECK_INT(v.reason_after, MAUTH_REASON_EXPIRED);
}

UNIT_TEST(verdict_ages_into_its_reason_after)
{
    world_t w;
    mauth_trust_t *t;
    mauth_verdict_t v;

    world_make(p, &w);
    CHECK((t = world_trust(p, &w, MAUTH_CRL_CHECK_CHAIN)) != NULL);
    verify(t, w.leaf.cert, w.sent, &v);
    CHECK_INT(apr_time_sec(v.valid_until), TP_NOW + 7 * TP_DAY);
    mauth_verdict_age(&v, v.valid_until - 1);
    CHECK_VERDICT(&v, MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);
    mauth_verdict_age(&v, v.valid_until);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_REVOCATION_UNAVAILABLE);
    /* and the chain verified then gives the same answer */
    mauth_verify_chain(t, w.leaf.cert, w.sent, v.valid_until, NULL, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_REVOCATION_UNAVAILABLE);
}

/* A CRL that needs OpenSSL's extended handling (here an issuing
 * distribution point) switches every CRL to OpenSSL, with a warning;
 * verdicts stay the same. */
UNIT_TEST(extended_crl_mode_still_refuses_revoked)
{
    world_t w;
    X509_CRL *scoped;
    tp_id_t bob;
    const char *err = NULL;
    mauth_trust_t *t;
    mauth_verdict_t v;
    unit_log_t log;

    world_make(p, &w);
    bob = tp_leaf(p, "bob", &w.inter);
    scoped = tp_crl_new(p, &(tp_crl_opts_t){.issuer = &w.inter});
    tp_crl_add_ext(scoped, &w.inter, NID_issuing_distribution_point, "critical,onlyuser:TRUE");
    tp_crl_revoke(scoped, bob.cert);
    tp_crl_sign(scoped, w.inter.key);
    t = tp_trust(p, MAUTH_CRL_CHECK_CHAIN, (X509 *[]){w.root.cert, NULL},
                 (X509_CRL *[]){w.root_crl, scoped, NULL}, unit_log_capture(p, &log), &err);
    CHECK_MSG(t != NULL, "trust: %s", err);
    CHECK(unit_log_has(&log, "MAUTH00001"));
    CHECK(unit_log_has(&log, "issuing distribution point"));
    verify(t, w.leaf.cert, w.sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);
    verify(t, bob.cert, w.sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_REVOKED);
}

UNIT_TEST(extended_crl_mode_refuses_revoked_intermediate)
{
    world_t w;
    X509_CRL *scoped;
    const char *err = NULL;
    mauth_trust_t *t;
    mauth_verdict_t v;

    world_make(p, &w);
    w.root_crl = tp_crl(p, &(tp_crl_opts_t){.issuer = &w.root,
                                            .revoked = (X509 *[]){w.inter.cert, NULL}});
    scoped = tp_crl_new(p, &(tp_crl_opts_t){.issuer = &w.inter});
    tp_crl_add_ext(scoped, &w.inter, NID_issuing_distribution_point, "critical,onlyuser:TRUE");
    tp_crl_sign(scoped, w.inter.key);
    t = tp_trust(p, MAUTH_CRL_CHECK_CHAIN, (X509 *[]){w.root.cert, NULL},
                 (X509_CRL *[]){w.root_crl, scoped, NULL}, NULL, &err);
    CHECK_MSG(t != NULL, "trust: %s", err);
    verify(t, w.leaf.cert, w.sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_ISSUER_REVOKED);
    CHECK_INT(v.error_depth, 1);
}

UNIT_TEST(extended_crl_mode_refuses_expired_crl)
{
    world_t w;
    X509_CRL *scoped;
    const char *err = NULL;
    mauth_trust_t *t;
    mauth_verdict_t v;

    world_make(p, &w);
    scoped = tp_crl_new(p, &(tp_crl_opts_t){.issuer = &w.inter,
                                            .this_update = TP_NOW - 8 * TP_DAY,
                                            .next_update = TP_NOW - TP_DAY});
    tp_crl_add_ext(scoped, &w.inter, NID_issuing_distribution_point, "critical,onlyuser:TRUE");
    tp_crl_sign(scoped, w.inter.key);
    t = tp_trust(p, MAUTH_CRL_CHECK_CHAIN, (X509 *[]){w.root.cert, NULL},
                 (X509_CRL *[]){w.root_crl, scoped, NULL}, NULL, &err);
    CHECK_MSG(t != NULL, "trust: %s", err);
    verify(t, w.leaf.cert, w.sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_REVOCATION_UNAVAILABLE);
}

/* A forged CRL (the issuer's name and key id, another key's signature) next
 * to the real one: it must never revoke; OpenSSL may pick it and fail closed. */
UNIT_TEST(extended_crl_mode_forged_crl_cannot_revoke)
{
    world_t w;
    X509_CRL *scoped, *forged;
    const char *err = NULL;
    mauth_trust_t *t;
    mauth_verdict_t v;

    world_make(p, &w);
    scoped = tp_crl_new(p, &(tp_crl_opts_t){.issuer = &w.inter});
    tp_crl_add_ext(scoped, &w.inter, NID_issuing_distribution_point, "critical,onlyuser:TRUE");
    tp_crl_sign(scoped, w.inter.key);
    forged = tp_crl(p, &(tp_crl_opts_t){.issuer = &w.inter, .sign_key = tp_key_ec(p),
                                        .revoked = (X509 *[]){w.leaf.cert, NULL}});
    t = tp_trust(p, MAUTH_CRL_CHECK_CHAIN, (X509 *[]){w.root.cert, NULL},
                 (X509_CRL *[]){w.root_crl, forged, scoped, NULL}, NULL, &err);
    CHECK_MSG(t != NULL, "trust: %s", err);
    verify(t, w.leaf.cert, w.sent, &v);
    CHECK_MSG(v.status == MAUTH_VERIFY_SUCCESS
              || (v.status == MAUTH_VERIFY_FAILED
                  && v.reason == MAUTH_REASON_REVOCATION_UNAVAILABLE),
              "a forged CRL gave %s", unit_verdict_text(&v));
}

/* An indirect CRL: a separate CRL issuer ("CRL Issuer", issued by the root,
 * cRLSign only) publishes the revocations of the intermediate's
 * certificates, which name it as cRLIssuer in their distribution point.
 * OpenSSL finds it only among the CRLs handed to the verification context
 * (a store looks CRLs up by the certificate's issuer name); PKITS 4.14.24,
 * 4.14.25, 4.14.28, 4.14.29 and 4.14.33. */
UNIT_TEST(extended_crl_mode_finds_indirect_crl)
{
    world_t w;
    tp_id_t crl_issuer, alice, bob;
    X509_CRL *indirect;
    X509_REVOKED *entry;
    const char *err = NULL;
    mauth_trust_t *t;
    mauth_verdict_t v;
    STACK_OF(X509) *sent;

    world_make(p, &w);
    crl_issuer = tp_cert(p, &(tp_cert_opts_t){.cn = "CRL Issuer", .issuer = &w.root,
                                              .key_usage = "critical,cRLSign"});
    alice = tp_cert(p, &(tp_cert_opts_t){.cn = "alice", .issuer = &w.inter,
                                         .eku = "clientAuth", .crl_issuer = &crl_issuer});
    bob = tp_cert(p, &(tp_cert_opts_t){.cn = "bob", .issuer = &w.inter,
                                       .eku = "clientAuth", .crl_issuer = &crl_issuer});
    indirect = tp_crl_new(p, &(tp_crl_opts_t){.issuer = &crl_issuer,
                                              .next_update = TP_NOW + 2 * TP_DAY});
    tp_crl_add_ext(indirect, &crl_issuer, NID_issuing_distribution_point,
                   "critical,indirectCRL:TRUE");
    entry = tp_crl_revoke(indirect, bob.cert);
    tp_crl_entry_issuer(entry, &w.inter);
    tp_crl_sign(indirect, crl_issuer.key);
    /* the root's CRL covers the intermediate and the CRL issuer; the
     * intermediate publishes no CRL of its own */
    t = tp_trust(p, MAUTH_CRL_CHECK_CHAIN, (X509 *[]){w.root.cert, NULL},
                 (X509_CRL *[]){w.root_crl, indirect, NULL}, NULL, &err);
    CHECK_MSG(t != NULL, "trust: %s", err);
    sent = tp_stack(p, w.inter.cert, crl_issuer.cert, NULL);
    verify(t, alice.cert, sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);
    /* the verdict ends when the indirect CRL does, though it bears another name */
    CHECK_INT(apr_time_sec(v.valid_until), TP_NOW + 2 * TP_DAY);
    CHECK_INT(v.reason_after, MAUTH_REASON_REVOCATION_UNAVAILABLE);
    verify(t, bob.cert, sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_REVOKED);
    /* the indirect CRL speaks for the certificates that name its issuer */
    verify(t, w.leaf.cert, sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_REVOCATION_UNAVAILABLE);
}

/* After a key rollover the old key's CRL (same issuer name, its own key id)
 * is still configured: only the CRL of the chain's key counts, in both modes. */
UNIT_TEST(crl_of_rolled_over_key_is_ignored_in_both_modes)
{
    world_t w;
    tp_id_t old_inter;
    X509_CRL *old_crl, *scoped;
    const char *err = NULL;
    mauth_trust_t *t;
    mauth_verdict_t v;

    world_make(p, &w);
    old_inter = tp_ca(p, "Intermediate CA", &w.root);
    old_crl = tp_crl(p, &(tp_crl_opts_t){.issuer = &old_inter,
                                         .revoked = (X509 *[]){w.leaf.cert, NULL}});
    t = tp_trust(p, MAUTH_CRL_CHECK_CHAIN, (X509 *[]){w.root.cert, NULL},
                 (X509_CRL *[]){w.root_crl, old_crl, w.inter_crl, NULL}, NULL, &err);
    CHECK_MSG(t != NULL, "trust: %s", err);
    verify(t, w.leaf.cert, w.sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);

    scoped = tp_crl_new(p, &(tp_crl_opts_t){.issuer = &w.inter});
    tp_crl_add_ext(scoped, &w.inter, NID_issuing_distribution_point, "critical,onlyuser:TRUE");
    tp_crl_sign(scoped, w.inter.key);
    t = tp_trust(p, MAUTH_CRL_CHECK_CHAIN, (X509 *[]){w.root.cert, NULL},
                 (X509_CRL *[]){w.root_crl, old_crl, scoped, NULL}, NULL, &err);
    CHECK_MSG(t != NULL, "trust: %s", err);
    verify(t, w.leaf.cert, w.sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);
}

/* mauth_core.h: valid_until is the earliest notAfter and the earliest CRL
 * nextUpdate, whoever checks the CRLs. */
UNIT_TEST(extended_crl_mode_valid_until_counts_crl_next_update)
{
    world_t w;
    X509_CRL *scoped;
    const char *err = NULL;
    mauth_trust_t *t;
    mauth_verdict_t v;

    world_make(p, &w);
    scoped = tp_crl_new(p, &(tp_crl_opts_t){.issuer = &w.inter,
                                            .next_update = TP_NOW + 2 * TP_DAY});
    tp_crl_add_ext(scoped, &w.inter, NID_issuing_distribution_point, "critical,onlyuser:TRUE");
    tp_crl_sign(scoped, w.inter.key);
    t = tp_trust(p, MAUTH_CRL_CHECK_CHAIN, (X509 *[]){w.root.cert, NULL},
                 (X509_CRL *[]){w.root_crl, scoped, NULL}, NULL, &err);
    CHECK_MSG(t != NULL, "trust: %s", err);
    verify(t, w.leaf.cert, w.sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);
    CHECK_INT(apr_time_sec(v.valid_until), TP_NOW + 2 * TP_DAY);
    CHECK_INT(v.reason_after, MAUTH_REASON_REVOCATION_UNAVAILABLE);
}

/* ------------------------------------------------------ start-up errors */

UNIT_TEST(start_up_refuses_empty_root_file)
{
    mauth_trust_t *t = mauth_trust_create(p);
    const char *dir = tp_tmpdir(p), *err = NULL;
    const char *path = tp_write_file(p, dir, "empty.pem", "", 0);

    CHECK(mauth_trust_add_roots_file(t, path, &err) != APR_SUCCESS);
    CHECK_CONTAINS(err, path);
}

UNIT_TEST(start_up_refuses_unreadable_root_file)
{
    mauth_trust_t *t = mauth_trust_create(p);
    const char *dir = tp_tmpdir(p), *err = NULL;
    const char *path = apr_pstrcat(p, dir, "/missing.pem", NULL);

    CHECK(mauth_trust_add_roots_file(t, path, &err) != APR_SUCCESS);
    CHECK_CONTAINS(err, path);
    /* a directory where a file belongs */
    err = NULL;
    CHECK(mauth_trust_add_roots_file(t, dir, &err) != APR_SUCCESS);
    CHECK_CONTAINS(err, dir);
}

UNIT_TEST(start_up_refuses_unreadable_crl_file)
{
    mauth_trust_t *t = mauth_trust_create(p);
    const char *dir = tp_tmpdir(p), *err = NULL;
    const char *path = apr_pstrcat(p, dir, "/missing.crl", NULL);

    CHECK(mauth_trust_add_crl_file(t, path, &err) != APR_SUCCESS);
    CHECK_CONTAINS(err, path);
}

UNIT_TEST(start_up_refuses_crl_file_with_garbage)
{
    mauth_trust_t *t = mauth_trust_create(p);
    const char *dir = tp_tmpdir(p), *err = NULL;
    const char *path = tp_write_file(p, dir, "garbage.crl", "this is no CRL\n", 15);

    CHECK(mauth_trust_add_crl_file(t, path, &err) != APR_SUCCESS);
    CHECK_CONTAINS(err, path);
    path = tp_write_file(p, dir, "empty.crl", "", 0);
    err = NULL;
    CHECK(mauth_trust_add_crl_file(t, path, &err) != APR_SUCCESS);
    CHECK_CONTAINS(err, path);
    CHECK_INT(mauth_trust_crl_count(t), 0);
}

UNIT_TEST(start_up_refuses_pem_crl_with_bad_contents)
{
    static const char pem[] = "-----BEGIN X509 CRL-----\nMAMCAQA=\n-----END X509 CRL-----\n";
    mauth_trust_t *t = mauth_trust_create(p);
    const char *dir = tp_tmpdir(p), *err = NULL;
    const char *path = tp_write_file(p, dir, "bad.pem", pem, sizeof(pem) - 1);

    CHECK(mauth_trust_add_crl_file(t, path, &err) != APR_SUCCESS);
    CHECK_CONTAINS(err, path);
    CHECK_INT(mauth_trust_crl_count(t), 0);
}

/* A PEM block that does not decode, after good ones: mod_ssl refuses such a
 * file at start-up, and so must we, not load the blocks before it. */
static const char corrupt_block[] =
    "-----BEGIN %s-----\nMIIB!!!!not base64 at all!!!!\n-----END %s-----\n";

/* What mem holds (good PEM), then a corrupt block of type, as a file. */
static const char *with_corrupt_block(apr_pool_t *p, const char *dir, const char *name,
                                      BIO *mem, const char *type)
{
    char *data;
    long len = BIO_get_mem_data(mem, &data);
    const char *all = apr_pstrcat(p, apr_pstrmemdup(p, data, (apr_size_t)len),
                                  apr_psprintf(p, corrupt_block, type, type), NULL);

    BIO_free(mem);
    return tp_write_file(p, dir, name, all, strlen(all));
}

UNIT_TEST(start_up_refuses_root_bundle_with_corrupt_block)
{
    world_t w;
    mauth_trust_t *t = mauth_trust_create(p);
    const char *dir = tp_tmpdir(p), *err = NULL, *path;

    BIO *mem = BIO_new(BIO_s_mem());

    world_make(p, &w);
    PEM_write_bio_X509(mem, w.root.cert);
    path = with_corrupt_block(p, dir, "roots.pem", mem, "CERTIFICATE");
    CHECK_MSG(mauth_trust_add_roots_file(t, path, &err) != APR_SUCCESS,
              "%s loaded %d root(s) and ignored a corrupt block", path,
              mauth_trust_root_count(t));
    CHECK_CONTAINS(err, path);
}

UNIT_TEST(start_up_refuses_crl_bundle_with_corrupt_block)
{
    world_t w;
    mauth_trust_t *t = mauth_trust_create(p);
    const char *dir = tp_tmpdir(p), *err = NULL, *path;

    BIO *mem = BIO_new(BIO_s_mem());

    world_make(p, &w);
    PEM_write_bio_X509_CRL(mem, w.root_crl);
    path = with_corrupt_block(p, dir, "crls.pem", mem, "X509 CRL");
    CHECK_MSG(mauth_trust_add_crl_file(t, path, &err) != APR_SUCCESS,
              "%s loaded %d CRL(s) and ignored a corrupt block", path,
              mauth_trust_crl_count(t));
    CHECK_CONTAINS(err, path);
}

UNIT_TEST(start_up_refuses_crl_check_without_crl)
{
    world_t w;
    const char *err = NULL;
    mauth_trust_t *t;

    world_make(p, &w);
    t = tp_trust(p, MAUTH_CRL_CHECK_CHAIN, (X509 *[]){w.root.cert, NULL}, NULL, NULL, &err);
    CHECK(t == NULL);
    CHECK_CONTAINS(err, "no CRL");
    t = tp_trust(p, MAUTH_CRL_CHECK_LEAF, (X509 *[]){w.root.cert, NULL}, NULL, NULL, &err);
    CHECK(t == NULL);
}

UNIT_TEST(start_up_refuses_trust_without_roots)
{
    mauth_trust_t *t = mauth_trust_create(p);
    const char *err = NULL;

    mauth_trust_set_crl_check(t, MAUTH_CRL_CHECK_NONE);
    CHECK(mauth_trust_finish(t, NULL, &err) != APR_SUCCESS);
    CHECK_CONTAINS(err, "root");
}

UNIT_TEST(crl_loads_from_der_and_pem_files)
{
    world_t w;
    tp_id_t bob;
    mauth_trust_t *t = mauth_trust_create(p);
    const char *dir = tp_tmpdir(p), *err = NULL;
    mauth_verdict_t v;

    world_make(p, &w);
    bob = tp_leaf(p, "bob", &w.inter);
    w.inter_crl = tp_crl(p, &(tp_crl_opts_t){.issuer = &w.inter,
                                             .revoked = (X509 *[]){bob.cert, NULL}});
    CHECK(mauth_trust_add_roots_file(t, tp_write_certs(p, dir, "root.pem", w.root.cert, NULL),
                                     &err) == APR_SUCCESS);
    CHECK_MSG(mauth_trust_add_crl_file(t, tp_write_crls(p, dir, "root.crl", 1,
                                                        w.root_crl, NULL), &err)
              == APR_SUCCESS, "DER: %s", err);
    CHECK_MSG(mauth_trust_add_crl_file(t, tp_write_crls(p, dir, "inter.pem", 0,
                                                        w.inter_crl, NULL), &err)
              == APR_SUCCESS, "PEM: %s", err);
    CHECK_INT(mauth_trust_crl_count(t), 2);
    CHECK_MSG(mauth_trust_finish(t, NULL, &err) == APR_SUCCESS, "finish: %s", err);
    verify(t, w.leaf.cert, w.sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);
    verify(t, bob.cert, w.sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_REVOKED);
}

UNIT_TEST(der_crl_revokes_like_pem)
{
    world_t w;
    mauth_trust_t *t = mauth_trust_create(p);
    const char *dir = tp_tmpdir(p), *err = NULL;
    mauth_verdict_t v;

    world_make(p, &w);
    w.inter_crl = tp_crl(p, &(tp_crl_opts_t){.issuer = &w.inter,
                                             .revoked = (X509 *[]){w.leaf.cert, NULL}});
    CHECK(mauth_trust_add_roots_file(t, tp_write_certs(p, dir, "root.pem", w.root.cert, NULL),
                                     &err) == APR_SUCCESS);
    CHECK(mauth_trust_add_crl_file(t, tp_write_crls(p, dir, "root.crl", 1, w.root_crl, NULL),
                                   &err) == APR_SUCCESS);
    CHECK(mauth_trust_add_crl_file(t, tp_write_crls(p, dir, "inter.crl", 1, w.inter_crl, NULL),
                                   &err) == APR_SUCCESS);
    CHECK_MSG(mauth_trust_finish(t, NULL, &err) == APR_SUCCESS, "finish: %s", err);
    verify(t, w.leaf.cert, w.sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_REVOKED);
}

/* The DER of crl with its signature BIT STRING declaring one unused bit
 * (PKITS 4.4.4's BadCRLSignatureCACRL), as a DER file in dir. */
static const char *crl_with_unused_bits(apr_pool_t *p, const char *dir, const char *name,
                                        X509_CRL *crl)
{
    apr_size_t len;
    unsigned char *der = tp_crl_der(p, crl, &len);
    const ASN1_BIT_STRING *sig;
    unsigned char *at;

    X509_CRL_get0_signature(crl, &sig, NULL);
    /* the signature is the last element: 03 len 00 <sig>, short form */
    at = der + len - (apr_size_t)ASN1_STRING_length(sig) - 1;
    if (at[-2] != 0x03 || at[0] != 0x00) {
        unit_fail(__FILE__, __LINE__, "unexpected signature encoding");
    }
    at[0] = 0x01;
    return tp_write_file(p, dir, name, der, len);
}

/* A CRL OpenSSL parses does not stop start-up; with an unusable signature
 * it is a bad CRL like any other: refused where it is needed. */
UNIT_TEST(crl_with_unused_signature_bits_loads_and_fails_closed)
{
    world_t w;
    mauth_trust_t *t = mauth_trust_create(p);
    const char *dir = tp_tmpdir(p), *err = NULL;
    mauth_verdict_t v;
    unit_log_t log;

    world_make(p, &w);
    CHECK(mauth_trust_add_roots_file(t, tp_write_certs(p, dir, "root.pem", w.root.cert, NULL),
                                     &err) == APR_SUCCESS);
    CHECK(mauth_trust_add_crl_file(t, tp_write_crls(p, dir, "root.crl", 1, w.root_crl, NULL),
                                   &err) == APR_SUCCESS);
    CHECK_MSG(mauth_trust_add_crl_file(t, crl_with_unused_bits(p, dir, "inter.crl", w.inter_crl),
                                       &err) == APR_SUCCESS, "%s", err);
    CHECK_MSG(mauth_trust_finish(t, NULL, &err) == APR_SUCCESS, "finish: %s", err);
    mauth_verify_chain(t, w.leaf.cert, w.sent, TP_APR_NOW, unit_log_capture(p, &log), &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_REVOCATION_UNAVAILABLE);
    CHECK_INT(v.error_depth, 0);
    CHECK(unit_log_has(&log, "MAUTH00005"));

    /* a root's CRL is checked at start-up, and this one does not verify */
    t = mauth_trust_create(p);
    CHECK(mauth_trust_add_roots_file(t, tp_write_certs(p, dir, "root.pem", w.root.cert, NULL),
                                     &err) == APR_SUCCESS);
    CHECK(mauth_trust_add_crl_file(t, crl_with_unused_bits(p, dir, "bad-root.crl", w.root_crl),
                                   &err) == APR_SUCCESS);
    CHECK(mauth_trust_finish(t, NULL, &err) != APR_SUCCESS);
    CHECK_CONTAINS(err, "bad-root.crl");
    CHECK_CONTAINS(err, "does not verify");
}

UNIT_TEST(pem_file_with_several_crls_loads_all)
{
    world_t w;
    mauth_trust_t *t = mauth_trust_create(p);
    const char *dir = tp_tmpdir(p), *err = NULL;

    world_make(p, &w);
    CHECK_MSG(mauth_trust_add_crl_file(t, tp_write_crls(p, dir, "all.pem", 0, w.root_crl,
                                                        w.inter_crl, NULL), &err)
              == APR_SUCCESS, "%s", err);
    CHECK_INT(mauth_trust_crl_count(t), 2);
}

UNIT_TEST(roots_and_crls_load_from_directories)
{
    world_t w;
    tp_id_t other = tp_root(p, "Other Root CA");
    mauth_trust_t *t = mauth_trust_create(p);
    const char *dir = tp_tmpdir(p), *err = NULL;
    const char *roots = apr_pstrcat(p, dir, "/roots", NULL);
    const char *crls = apr_pstrcat(p, dir, "/crls", NULL);
    const char *empty = apr_pstrcat(p, dir, "/empty", NULL);
    mauth_verdict_t v;

    world_make(p, &w);
    CHECK(apr_dir_make(roots, APR_FPROT_OS_DEFAULT, p) == APR_SUCCESS);
    CHECK(apr_dir_make(crls, APR_FPROT_OS_DEFAULT, p) == APR_SUCCESS);
    CHECK(apr_dir_make(empty, APR_FPROT_OS_DEFAULT, p) == APR_SUCCESS);
    tp_write_certs(p, roots, "a.pem", w.root.cert, NULL);
    tp_write_certs(p, roots, "b.pem", other.cert, NULL);
    tp_write_crls(p, crls, "root.crl", 1, w.root_crl, NULL);
    tp_write_crls(p, crls, "inter.pem", 0, w.inter_crl, NULL);
    CHECK_MSG(mauth_trust_add_roots_path(t, roots, &err) == APR_SUCCESS, "%s", err);
    CHECK_MSG(mauth_trust_add_crl_path(t, crls, &err) == APR_SUCCESS, "%s", err);
    CHECK_INT(mauth_trust_root_count(t), 2);
    CHECK_INT(mauth_trust_crl_count(t), 2);
    CHECK(mauth_trust_add_crl_path(t, empty, &err) != APR_SUCCESS);
    CHECK_CONTAINS(err, empty);
    CHECK_MSG(mauth_trust_finish(t, NULL, &err) == APR_SUCCESS, "finish: %s", err);
    verify(t, w.leaf.cert, w.sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);
}

/* ------------------------------------------------- trust identity */

UNIT_TEST(verdict_names_the_trust_that_made_it)
{
    world_t w;
    mauth_trust_t *t;
    mauth_verdict_t v;

    world_make(p, &w);
    CHECK((t = world_trust(p, &w, MAUTH_CRL_CHECK_CHAIN)) != NULL);
    verify(t, w.leaf.cert, w.sent, &v);
    CHECK(memcmp(v.trust_id, mauth_trust_id(t), MAUTH_TRUST_ID_LEN) == 0);
    CHECK(mauth_verdict_is_for(&v, mauth_trust_id(t)));
    /* a refusal is bound too: another trust may accept the chain */
    verify(t, w.leaf.cert, NULL, &v);
    CHECK_INT(v.status, MAUTH_VERIFY_FAILED);
    CHECK(mauth_verdict_is_for(&v, mauth_trust_id(t)));
}

UNIT_TEST(trust_id_differs_by_roots_crls_policy_and_generation)
{
    world_t w;
    tp_id_t other_root;
    const char *err = NULL;
    unsigned char gen1[MAUTH_GENERATION_LEN], gen2[MAUTH_GENERATION_LEN];
    mauth_trust_t *base, *same, *roots, *crls, *policy, *g1, *g1_again, *g2;
    mauth_verdict_t v;

    world_make(p, &w);
    other_root = tp_root(p, "Other Root CA");
    memset(gen1, 1, sizeof(gen1));
    memset(gen2, 2, sizeof(gen2));
    base = world_trust(p, &w, MAUTH_CRL_CHECK_CHAIN);
    same = world_trust(p, &w, MAUTH_CRL_CHECK_CHAIN);
    roots = tp_trust(p, MAUTH_CRL_CHECK_CHAIN, (X509 *[]){other_root.cert, NULL},
                     (X509_CRL *[]){w.root_crl, w.inter_crl, NULL}, NULL, &err);
    crls = tp_trust(p, MAUTH_CRL_CHECK_CHAIN, (X509 *[]){w.root.cert, NULL},
                    (X509_CRL *[]){w.root_crl, NULL}, NULL, &err);
    policy = world_trust(p, &w, MAUTH_CRL_CHECK_LEAF);
    g1 = tp_trust_of_generation(p, MAUTH_CRL_CHECK_CHAIN, (X509 *[]){w.root.cert, NULL},
                                (X509_CRL *[]){w.root_crl, w.inter_crl, NULL}, gen1,
                                NULL, &err);
    g1_again = tp_trust_of_generation(p, MAUTH_CRL_CHECK_CHAIN,
                                      (X509 *[]){w.root.cert, NULL},
                                      (X509_CRL *[]){w.root_crl, w.inter_crl, NULL}, gen1,
                                      NULL, &err);
    g2 = tp_trust_of_generation(p, MAUTH_CRL_CHECK_CHAIN, (X509 *[]){w.root.cert, NULL},
                                (X509_CRL *[]){w.root_crl, w.inter_crl, NULL}, gen2,
                                NULL, &err);
    CHECK_MSG(base && same && roots && crls && policy && g1 && g1_again && g2,
              "a trust failed: %s", err ? err : "(see above)");
    CHECK(memcmp(mauth_trust_id(base), mauth_trust_id(same), MAUTH_TRUST_ID_LEN) == 0);
    CHECK(memcmp(mauth_trust_id(g1), mauth_trust_id(g1_again), MAUTH_TRUST_ID_LEN) == 0);
    CHECK(memcmp(mauth_trust_id(base), mauth_trust_id(roots), MAUTH_TRUST_ID_LEN) != 0);
    CHECK(memcmp(mauth_trust_id(base), mauth_trust_id(crls), MAUTH_TRUST_ID_LEN) != 0);
    CHECK(memcmp(mauth_trust_id(base), mauth_trust_id(policy), MAUTH_TRUST_ID_LEN) != 0);
    CHECK(memcmp(mauth_trust_id(base), mauth_trust_id(g1), MAUTH_TRUST_ID_LEN) != 0);
    CHECK(memcmp(mauth_trust_id(g1), mauth_trust_id(g2), MAUTH_TRUST_ID_LEN) != 0);
    /* a graceful restart's verdicts are not the previous generation's */
    verify(g1, w.leaf.cert, w.sent, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);
    CHECK(mauth_verdict_is_for(&v, mauth_trust_id(g1_again)));
    CHECK(!mauth_verdict_is_for(&v, mauth_trust_id(g2)));
    CHECK(!mauth_verdict_is_for(&v, mauth_trust_id(base)));
}

UNIT_TEST(no_certificate_verdict_holds_under_any_trust)
{
    world_t w;
    mauth_trust_t *t;
    mauth_verdict_t v;
    unsigned char elsewhere[MAUTH_TRUST_ID_LEN];

    world_make(p, &w);
    CHECK((t = world_trust(p, &w, MAUTH_CRL_CHECK_CHAIN)) != NULL);
    verify(t, NULL, NULL, &v);
    memset(elsewhere, 0x5a, sizeof(elsewhere));
    CHECK_VERDICT(&v, MAUTH_VERIFY_NONE, MAUTH_REASON_NO_CERTIFICATE);
    CHECK(mauth_verdict_is_for(&v, elsewhere));
}

static const unit_test_t tests[] = {
    UNIT(accepts_good_ec_leaf),
    UNIT(accepts_good_rsa_leaf),
    UNIT(accepts_peer_chain_that_repeats_the_leaf),
    UNIT(chain_key_differs_between_chains),
    UNIT(no_leaf_is_none),
    UNIT(refuses_expired_leaf),
    UNIT(refuses_leaf_under_expired_intermediate),
    UNIT(refuses_leaf_not_yet_valid),
    UNIT(refuses_revoked_leaf),
    UNIT(revoked_leaf_refused_in_leaf_mode_too),
    UNIT(other_serials_revoked_leaf_still_accepted),
    UNIT(refuses_leaf_under_revoked_intermediate),
    UNIT(revoked_intermediate_ignored_in_leaf_mode),
    UNIT(refuses_impostor_ca_with_intermediate_subject),
    UNIT(refuses_impostor_leaf_sent_with_real_intermediate),
    UNIT(refuses_leaf_signed_by_wrong_key),
    UNIT(refuses_certificate_issued_by_a_leaf),
    UNIT(accepts_chain_with_root_and_unrelated_extras),
    UNIT(refuses_self_signed_leaf),
    UNIT(refuses_server_auth_only_leaf),
    UNIT(accepts_leaf_without_eku),
    UNIT(refuses_chain_missing_intermediate),
    UNIT(refuses_chain_to_untrusted_root),
    UNIT(depth_counts_like_mod_ssl),
    UNIT(depth_limits_longer_chains),
    UNIT(path_length_constraint_refuses_chain),
    UNIT(refuses_leaf_when_issuer_crl_past_next_update),
    UNIT(crl_expires_exactly_at_next_update),
    UNIT(refuses_leaf_when_crl_not_yet_valid),
    UNIT(accepts_crl_without_next_update),
    UNIT(stale_crl_beside_current_one_is_ignored),
    UNIT(missing_intermediate_crl_fails_closed_in_chain_mode),
    UNIT(missing_intermediate_crl_fine_in_leaf_mode),
    UNIT(missing_leaf_issuer_crl_fails_closed_in_leaf_mode),
    UNIT(badly_signed_crl_is_unusable),
    UNIT(forged_crl_cannot_revoke),
    UNIT(badly_signed_root_crl_fails_start_up),
    UNIT(crl_signature_memo_is_per_issuer_key),
    UNIT(issuer_without_crl_sign_usage_fails_closed),
    UNIT(accepts_crl_signed_by_separate_crl_signing_certificate),
    UNIT(separately_signed_crl_revokes),
    UNIT(crl_of_revoked_crl_signing_certificate_refuses_chain_as_revoked),
    UNIT(crl_signing_certificate_must_be_sent),
    UNIT(crl_signing_certificate_needs_crl_sign_usage),
    UNIT(crl_signing_certificate_must_chain_to_the_same_root),
    UNIT(accepts_crl_signed_by_the_new_key_of_a_rollover),
    UNIT(check_none_accepts_revoked_leaf),
    UNIT(check_none_needs_no_crl),
    UNIT(valid_until_is_crl_next_update_when_earliest),
    UNIT(valid_until_is_leaf_not_after_when_earliest),
    UNIT(valid_until_is_intermediate_not_after_when_earliest),
    UNIT(verdict_ages_into_its_reason_after),
    UNIT(extended_crl_mode_still_refuses_revoked),
    UNIT(extended_crl_mode_refuses_revoked_intermediate),
    UNIT(extended_crl_mode_refuses_expired_crl),
    UNIT(extended_crl_mode_forged_crl_cannot_revoke),
    UNIT(extended_crl_mode_finds_indirect_crl),
    UNIT(crl_of_rolled_over_key_is_ignored_in_both_modes),
    UNIT(extended_crl_mode_valid_until_counts_crl_next_update),
    UNIT(start_up_refuses_empty_root_file),
    UNIT(start_up_refuses_unreadable_root_file),
    UNIT(start_up_refuses_unreadable_crl_file),
    UNIT(start_up_refuses_crl_file_with_garbage),
    UNIT(start_up_refuses_pem_crl_with_bad_contents),
    UNIT(start_up_refuses_root_bundle_with_corrupt_block),
    UNIT(start_up_refuses_crl_bundle_with_corrupt_block),
    UNIT(start_up_refuses_crl_check_without_crl),
    UNIT(start_up_refuses_trust_without_roots),
    UNIT(crl_loads_from_der_and_pem_files),
    UNIT(der_crl_revokes_like_pem),
    UNIT(crl_with_unused_signature_bits_loads_and_fails_closed),
    UNIT(pem_file_with_several_crls_loads_all),
    UNIT(roots_and_crls_load_from_directories),
    UNIT(verdict_names_the_trust_that_made_it),
    UNIT(trust_id_differs_by_roots_crls_policy_and_generation),
    UNIT(no_certificate_verdict_holds_under_any_trust),
};

UNIT_MAIN("chain", tests)
