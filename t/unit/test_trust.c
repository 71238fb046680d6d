/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * test_trust.c: mauth_trust_build, the one trust builder of the module and
 * of mauth-admin.  The defaults it applies, the setting it names for each
 * failure (as the module's directive), and the generation it carries.
 * Each test writes its own PKI at TP_NOW to a temporary directory:
 *
 *   root ("Root CA", trusted) -> inter ("Intermediate CA") -> leaf
 *                                inter -> inter2 ("Second CA") -> deep_leaf
 *   root.crl (revokes nothing), inter.crl (revokes revoked_leaf),
 *   inter2.crl
 */
#include <apr_file_io.h>
#include <apr_strings.h>

#include "testpki.h"
#include "unit.h"

typedef struct {
    tp_id_t root, inter, inter2, leaf, revoked_leaf, deep_leaf;
    const char *dir;
    const char *roots;                 /* root.pem */
    const char *crls;                  /* every CRL, one PEM file */
    const char *crl_dir;               /* the same, a file each */
} world_t;

static void world_make(apr_pool_t *p, world_t *w)
{
    X509_CRL *root_crl, *inter_crl, *inter2_crl;

    w->root = tp_root(p, "Root CA");
    w->inter = tp_ca(p, "Intermediate CA", &w->root);
    w->inter2 = tp_ca(p, "Second CA", &w->inter);
    w->leaf = tp_leaf(p, "alice", &w->inter);
    w->revoked_leaf = tp_leaf(p, "mallory", &w->inter);
    w->deep_leaf = tp_leaf(p, "bob", &w->inter2);
    root_crl = tp_crl(p, &(tp_crl_opts_t){.issuer = &w->root});
    inter_crl = tp_crl(p, &(tp_crl_opts_t){.issuer = &w->inter,
                                           .revoked = (X509 *[]){w->revoked_leaf.cert, NULL}});
    inter2_crl = tp_crl(p, &(tp_crl_opts_t){.issuer = &w->inter2});
    w->dir = tp_tmpdir(p);
    w->roots = tp_write_certs(p, w->dir, "root.pem", w->root.cert, NULL);
    w->crls = tp_write_crls(p, w->dir, "crls.pem", 0, root_crl, inter_crl, inter2_crl, NULL);
    w->crl_dir = apr_pstrcat(p, w->dir, "/crls", NULL);
    apr_dir_make(w->crl_dir, APR_FPROT_OS_DEFAULT, p);
    tp_write_crls(p, w->crl_dir, "1-root.crl", 1, root_crl, NULL);
    tp_write_crls(p, w->crl_dir, "2-inter.crl", 1, inter_crl, NULL);
    tp_write_crls(p, w->crl_dir, "3-inter2.crl", 1, inter2_crl, NULL);
}

/* A spec with nothing given: what the module has before any directive. */
static mauth_trust_spec_t spec_unset(void)
{
    mauth_trust_spec_t spec;

    memset(&spec, 0, sizeof(spec));
    spec.crl_check = MAUTH_CRL_CHECK_UNSET;
    spec.depth = -1;
    return spec;
}

/* The world made, and the spec most tests start from: its roots and every
 * CRL from one file each, nothing else set. */
static mauth_trust_spec_t world_spec(apr_pool_t *p, world_t *w)
{
    mauth_trust_spec_t spec = spec_unset();

    world_make(p, w);
    spec.ca_file = w->roots;
    spec.crl_file = w->crls;
    return spec;
}

/* Builds spec; a failure fails the test with the builder's words. */
static mauth_trust_t *build(apr_pool_t *p, const mauth_trust_spec_t *spec)
{
    mauth_trust_t *t = NULL;
    const char *err = NULL, *what = NULL;

    if (mauth_trust_build(p, spec, NULL, &t, &err, &what) != APR_SUCCESS) {
        unit_fail(__FILE__, __LINE__, "mauth_trust_build: %s: %s", what, err);
        return NULL;
    }
    if (t == NULL) {
        unit_fail(__FILE__, __LINE__, "mauth_trust_build succeeded without a trust");
    }
    return t;
}

/* The verdict on leaf sent with its intermediates (NULL-terminated). */
static mauth_verdict_t verdict_of(apr_pool_t *p, const mauth_trust_t *t, X509 *leaf,
                                  X509 *first, X509 *second)
{
    mauth_verdict_t v;

    mauth_verify_chain(t, leaf, tp_stack(p, first, second, NULL), TP_APR_NOW, NULL, &v);
    return v;
}

static int same_id(const mauth_trust_t *a, const mauth_trust_t *b)
{
    return memcmp(mauth_trust_id(a), mauth_trust_id(b), MAUTH_TRUST_ID_LEN) == 0;
}

/* A failure: its setting, its sentence, and no trust. */
typedef struct {
    apr_status_t rv;
    mauth_trust_t *trust;
    const char *err, *what;
} failure_t;

static failure_t build_failing(apr_pool_t *p, const mauth_trust_spec_t *spec)
{
    failure_t f = {APR_SUCCESS, (mauth_trust_t *)1, NULL, NULL};

    f.rv = mauth_trust_build(p, spec, NULL, &f.trust, &f.err, &f.what);
    return f;
}

#define CHECK_FAILS_AT(f, want_what, want_err) do {                        \
        CHECK_MSG((f).rv != APR_SUCCESS, "the build succeeded");           \
        CHECK_MSG((f).trust == NULL, "a failed build still gave a trust"); \
        CHECK_STR((f).what, want_what);                                    \
        CHECK_CONTAINS((f).err, want_err);                                 \
    } while (0)

UNIT_TEST(unset_settings_take_the_module_defaults)
{
    world_t w;
    mauth_trust_spec_t unset = spec_unset(), explicit_defaults = spec_unset();
    mauth_trust_t *by_default, *by_hand;

    world_make(p, &w);
    unset.ca_file = explicit_defaults.ca_file = w.roots;
    unset.crl_file = explicit_defaults.crl_file = w.crls;
    explicit_defaults.crl_check = MAUTH_DEFAULT_CRL_CHECK;
    explicit_defaults.depth = MAUTH_DEFAULT_VERIFY_DEPTH;
    CHECK((by_default = build(p, &unset)) != NULL);
    CHECK((by_hand = build(p, &explicit_defaults)) != NULL);
    CHECK_MSG(same_id(by_default, by_hand),
              "unset settings and the default values make different trusts");
    CHECK_INT(MAUTH_DEFAULT_CRL_CHECK, MAUTH_CRL_CHECK_CHAIN);
    CHECK_INT(MAUTH_DEFAULT_VERIFY_DEPTH, 5);
    CHECK_INT(mauth_trust_root_count(by_default), 1);
    CHECK_INT(mauth_trust_crl_count(by_default), 3);
}

UNIT_TEST(default_revocation_check_is_the_whole_chain)
{
    world_t w;
    mauth_trust_spec_t spec;
    mauth_trust_t *t;
    mauth_verdict_t v;

    spec = world_spec(p, &w);
    CHECK((t = build(p, &spec)) != NULL);
    v = verdict_of(p, t, w.revoked_leaf.cert, w.inter.cert, NULL);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_REVOKED);
    v = verdict_of(p, t, w.leaf.cert, w.inter.cert, NULL);
    CHECK_VERDICT(&v, MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);
}

UNIT_TEST(each_setting_given_makes_another_trust)
{
    world_t w;
    mauth_trust_spec_t spec;
    mauth_trust_t *base, *leaf_mode, *none_mode, *depth4;

    spec = world_spec(p, &w);
    CHECK((base = build(p, &spec)) != NULL);
    spec.crl_check = MAUTH_CRL_CHECK_LEAF;
    CHECK((leaf_mode = build(p, &spec)) != NULL);
    spec.crl_check = MAUTH_CRL_CHECK_NONE;
    CHECK((none_mode = build(p, &spec)) != NULL);
    spec.crl_check = MAUTH_CRL_CHECK_UNSET;
    spec.depth = 4;
    CHECK((depth4 = build(p, &spec)) != NULL);
    CHECK(!same_id(base, leaf_mode));
    CHECK(!same_id(base, none_mode));
    CHECK(!same_id(leaf_mode, none_mode));
    CHECK(!same_id(base, depth4));
}

UNIT_TEST(depth_not_above_zero_is_the_default)
{
    world_t w;
    mauth_trust_spec_t spec;
    mauth_trust_t *unset, *zero;

    spec = world_spec(p, &w);
    CHECK((unset = build(p, &spec)) != NULL);
    spec.depth = 0;
    CHECK((zero = build(p, &spec)) != NULL);
    CHECK_MSG(same_id(unset, zero), "depth 0 is not the default depth, as the module has it");
}

UNIT_TEST(depth_from_the_spec_is_enforced)
{
    world_t w;
    mauth_trust_spec_t spec;
    mauth_trust_t *t;
    mauth_verdict_t v;

    spec = world_spec(p, &w);
    spec.depth = 2;
    CHECK((t = build(p, &spec)) != NULL);
    v = verdict_of(p, t, w.leaf.cert, w.inter.cert, NULL);
    CHECK_VERDICT(&v, MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);
    v = verdict_of(p, t, w.deep_leaf.cert, w.inter2.cert, w.inter.cert);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_CHAIN_TOO_LONG);
    spec.depth = 3;
    CHECK((t = build(p, &spec)) != NULL);
    v = verdict_of(p, t, w.deep_leaf.cert, w.inter2.cert, w.inter.cert);
    CHECK_VERDICT(&v, MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);
}

UNIT_TEST(revocation_check_none_needs_no_crl_and_passes_a_revoked_leaf)
{
    world_t w;
    mauth_trust_spec_t spec;
    mauth_trust_t *t;
    mauth_verdict_t v;

    spec = world_spec(p, &w);
    spec.crl_file = NULL;
    spec.crl_check = MAUTH_CRL_CHECK_NONE;
    CHECK((t = build(p, &spec)) != NULL);
    CHECK_INT(mauth_trust_crl_count(t), 0);
    v = verdict_of(p, t, w.revoked_leaf.cert, w.inter.cert, NULL);
    CHECK_VERDICT(&v, MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);
}

UNIT_TEST(roots_from_a_directory_and_crls_from_a_directory)
{
    world_t w;
    mauth_trust_spec_t spec;
    mauth_trust_t *t;
    mauth_verdict_t v;
    const char *ca_dir;

    spec = world_spec(p, &w);
    spec.ca_file = NULL;
    spec.crl_file = NULL;
    ca_dir = apr_pstrcat(p, w.dir, "/ca", NULL);
    CHECK(apr_dir_make(ca_dir, APR_FPROT_OS_DEFAULT, p) == APR_SUCCESS);
    tp_write_certs(p, ca_dir, "root.pem", w.root.cert, NULL);
    spec.ca_path = ca_dir;
    spec.crl_path = w.crl_dir;
    CHECK((t = build(p, &spec)) != NULL);
    CHECK_INT(mauth_trust_crl_count(t), 3);
    v = verdict_of(p, t, w.revoked_leaf.cert, w.inter.cert, NULL);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_REVOKED);
}

UNIT_TEST(no_roots_given_names_both_root_directives)
{
    world_t w;
    mauth_trust_spec_t spec;
    failure_t f;

    spec = world_spec(p, &w);
    spec.ca_file = NULL;
    f = build_failing(p, &spec);
    CHECK_FAILS_AT(f, "MAuthCACertificateFile/MAuthCACertificatePath",
                   "no trusted root certificate is configured");
}

UNIT_TEST(default_revocation_check_without_a_crl_fails_like_the_module)
{
    world_t w;
    mauth_trust_spec_t spec;
    failure_t f;

    spec = world_spec(p, &w);
    spec.crl_file = NULL;
    f = build_failing(p, &spec);
    CHECK_FAILS_AT(f, "MAuthCARevocationFile/MAuthCARevocationCheck",
                   "revocation checking is on but no CRL is configured");
    spec.crl_check = MAUTH_CRL_CHECK_LEAF;
    f = build_failing(p, &spec);
    CHECK_FAILS_AT(f, "MAuthCARevocationFile/MAuthCARevocationCheck",
                   "revocation checking is on but no CRL is configured");
}

UNIT_TEST(unreadable_ca_file_names_MAuthCACertificateFile)
{
    world_t w;
    mauth_trust_spec_t spec;
    failure_t f;

    spec = world_spec(p, &w);
    spec.ca_file = apr_pstrcat(p, w.dir, "/missing.pem", NULL);
    f = build_failing(p, &spec);
    CHECK_FAILS_AT(f, "MAuthCACertificateFile", spec.ca_file);
    spec.ca_file = w.crls;             /* CRLs, no certificate */
    f = build_failing(p, &spec);
    CHECK_FAILS_AT(f, "MAuthCACertificateFile", "holds no PEM certificate");
}

UNIT_TEST(empty_ca_path_names_MAuthCACertificatePath)
{
    world_t w;
    mauth_trust_spec_t spec;
    failure_t f;
    const char *empty;

    spec = world_spec(p, &w);
    empty = apr_pstrcat(p, w.dir, "/empty", NULL);
    CHECK(apr_dir_make(empty, APR_FPROT_OS_DEFAULT, p) == APR_SUCCESS);
    spec.ca_path = empty;
    f = build_failing(p, &spec);
    CHECK_FAILS_AT(f, "MAuthCACertificatePath", "is empty");
}

UNIT_TEST(unreadable_crl_file_names_MAuthCARevocationFile)
{
    world_t w;
    mauth_trust_spec_t spec;
    failure_t f;

    spec = world_spec(p, &w);
    spec.crl_file = apr_pstrcat(p, w.dir, "/missing.crl", NULL);
    f = build_failing(p, &spec);
    CHECK_FAILS_AT(f, "MAuthCARevocationFile", spec.crl_file);
}

UNIT_TEST(crl_path_with_a_file_that_is_no_crl_names_MAuthCARevocationPath)
{
    world_t w;
    mauth_trust_spec_t spec;
    failure_t f;

    spec = world_spec(p, &w);
    tp_write_file(p, w.crl_dir, "4-junk.crl", "not a CRL\n", 10);
    spec.crl_path = w.crl_dir;
    f = build_failing(p, &spec);
    CHECK_FAILS_AT(f, "MAuthCARevocationPath", "4-junk.crl");
}

/* A root's CRL is checked when the trust is finished: the setting named is
 * the one the CRL came from, though the fault is found only then. */
UNIT_TEST(root_crl_with_a_bad_signature_names_where_it_came_from)
{
    world_t w;
    mauth_trust_spec_t spec;
    X509_CRL *forged;
    const char *forged_dir;
    failure_t f;

    spec = world_spec(p, &w);
    forged = tp_crl(p, &(tp_crl_opts_t){.issuer = &w.root, .sign_key = tp_key_ec(p)});
    forged_dir = apr_pstrcat(p, w.dir, "/forged", NULL);
    CHECK(apr_dir_make(forged_dir, APR_FPROT_OS_DEFAULT, p) == APR_SUCCESS);
    tp_write_crls(p, forged_dir, "root.crl", 0, forged, NULL);
    spec.crl_path = forged_dir;        /* after crl_file's good CRLs */
    f = build_failing(p, &spec);
    CHECK_FAILS_AT(f, "MAuthCARevocationPath", "does not verify with that root's key");
    spec.crl_file = tp_write_crls(p, w.dir, "forged.pem", 0, forged, NULL);
    spec.crl_path = w.crl_dir;
    f = build_failing(p, &spec);
    CHECK_FAILS_AT(f, "MAuthCARevocationFile", "does not verify with that root's key");
}

UNIT_TEST(unknown_revocation_mode_names_MAuthCARevocationCheck)
{
    world_t w;
    mauth_trust_spec_t spec;
    failure_t f;

    spec = world_spec(p, &w);
    spec.crl_check = (mauth_crl_check_e)7;
    f = build_failing(p, &spec);
    CHECK_FAILS_AT(f, "MAuthCARevocationCheck", "7");
}

UNIT_TEST(generation_is_part_of_the_trust)
{
    world_t w;
    mauth_trust_spec_t spec;
    unsigned char zero[MAUTH_GENERATION_LEN], one[MAUTH_GENERATION_LEN];
    mauth_trust_t *none, *of_zero, *of_one, *of_one_again;
    mauth_verdict_t v;

    spec = world_spec(p, &w);
    memset(zero, 0, sizeof(zero));
    memset(one, 0, sizeof(one));
    one[0] = 1;
    CHECK((none = build(p, &spec)) != NULL);
    spec.generation = zero;
    CHECK((of_zero = build(p, &spec)) != NULL);
    spec.generation = one;
    CHECK((of_one = build(p, &spec)) != NULL);
    CHECK((of_one_again = build(p, &spec)) != NULL);
    CHECK_MSG(same_id(none, of_zero), "no generation is not generation zero");
    CHECK_MSG(!same_id(of_zero, of_one), "the generation does not change the trust id");
    CHECK_MSG(same_id(of_one, of_one_again), "the same generation made different ids");
    v = verdict_of(p, of_zero, w.leaf.cert, w.inter.cert, NULL);
    CHECK(mauth_verdict_is_for(&v, mauth_trust_id(of_zero)));
    CHECK_MSG(!mauth_verdict_is_for(&v, mauth_trust_id(of_one)),
              "a verdict of one generation counts under the next");
}

UNIT_TEST(builder_and_the_step_by_step_calls_make_the_same_trust)
{
    world_t w;
    mauth_trust_spec_t spec;
    mauth_trust_t *built, *by_steps;
    unsigned char gen[MAUTH_GENERATION_LEN];
    const char *err = NULL;

    spec = world_spec(p, &w);
    memset(gen, 0x5a, sizeof(gen));
    spec.crl_check = MAUTH_CRL_CHECK_LEAF;
    spec.depth = 3;
    spec.generation = gen;
    CHECK((built = build(p, &spec)) != NULL);
    by_steps = mauth_trust_create(p);
    mauth_trust_set_generation(by_steps, gen);
    mauth_trust_set_crl_check(by_steps, MAUTH_CRL_CHECK_LEAF);
    mauth_trust_set_depth(by_steps, 3);
    CHECK(mauth_trust_add_roots_file(by_steps, w.roots, &err) == APR_SUCCESS);
    CHECK(mauth_trust_add_crl_file(by_steps, w.crls, &err) == APR_SUCCESS);
    CHECK_MSG(mauth_trust_finish(by_steps, NULL, &err) == APR_SUCCESS, "finish: %s", err);
    CHECK(same_id(built, by_steps));
}

#define DAYS(n) apr_time_from_sec((apr_time_t)(n) * 86400)

UNIT_TEST(expiring_ca_certificates_and_crls_are_warned_of_with_owner_and_date)
{
    world_t w;
    mauth_trust_spec_t spec = world_spec(p, &w);
    mauth_trust_t *t = build(p, &spec);
    unit_log_t log;
    const mauth_logger_t *logger = unit_log_capture(p, &log);

    /* the root ends in ten years, the CRLs' nextUpdate is in 7 days */
    CHECK_INT(mauth_trust_warn_expiring(p, t, "the owner", TP_APR_NOW, TP_APR_NOW + DAYS(30),
                                        TP_APR_NOW + DAYS(1), logger), 0);
    CHECK_INT(log.lines->nelts, 0);
    CHECK_INT(mauth_trust_warn_expiring(p, t, "the owner", TP_APR_NOW, TP_APR_NOW + DAYS(3651),
                                        TP_APR_NOW + DAYS(1), logger), 1);
    CHECK(unit_log_has(&log, "MAUTH00110 CA certificate CN=Root CA,O=mauth Unit Test of the "
                             "owner expires Fri, 30 Dec 2039"));
    CHECK_INT(mauth_trust_warn_expiring(p, t, "the owner", TP_APR_NOW, TP_APR_NOW + DAYS(30),
                                        TP_APR_NOW + DAYS(8), logger), 3);
    CHECK(unit_log_has(&log, "MAUTH00111 CRL of CN=Intermediate CA,O=mauth Unit Test for the "
                             "owner ("));
    CHECK(unit_log_has(&log, "crls.pem): its nextUpdate is Tue, 08 Jan 2030"));
    /* ten years and more later both have passed */
    CHECK_INT(mauth_trust_warn_expiring(p, t, "the owner", TP_APR_NOW + DAYS(3651),
                                        TP_APR_NOW + DAYS(3681), TP_APR_NOW + DAYS(3652),
                                        logger), 4);
    CHECK(unit_log_has(&log, "of the owner expired Fri, 30 Dec 2039"));
    CHECK(unit_log_has(&log, "its nextUpdate passed Tue, 08 Jan 2030"));
}

static const unit_test_t tests[] = {
    UNIT(expiring_ca_certificates_and_crls_are_warned_of_with_owner_and_date),
    UNIT(unset_settings_take_the_module_defaults),
    UNIT(default_revocation_check_is_the_whole_chain),
    UNIT(each_setting_given_makes_another_trust),
    UNIT(depth_not_above_zero_is_the_default),
    UNIT(depth_from_the_spec_is_enforced),
    UNIT(revocation_check_none_needs_no_crl_and_passes_a_revoked_leaf),
    UNIT(roots_from_a_directory_and_crls_from_a_directory),
    UNIT(no_roots_given_names_both_root_directives),
    UNIT(default_revocation_check_without_a_crl_fails_like_the_module),
    UNIT(unreadable_ca_file_names_MAuthCACertificateFile),
    UNIT(empty_ca_path_names_MAuthCACertificatePath),
    UNIT(unreadable_crl_file_names_MAuthCARevocationFile),
    UNIT(crl_path_with_a_file_that_is_no_crl_names_MAuthCARevocationPath),
    UNIT(root_crl_with_a_bad_signature_names_where_it_came_from),
    UNIT(unknown_revocation_mode_names_MAuthCARevocationCheck),
    UNIT(generation_is_part_of_the_trust),
    UNIT(builder_and_the_step_by_step_calls_make_the_same_trust),
};
UNIT_MAIN("trust", tests)
