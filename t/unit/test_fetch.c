/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * test_fetch.c: CRL fetching (mauth_fetch.c): when a URL is fetched next,
 * the file its CRL goes to, the checks a fetched CRL passes before it is
 * written (and that nothing is written when it fails them), where the URLs
 * come from, and a round against a port nobody listens on.
 *
 *   root ("Root CA") -> inter ("Intermediate CA"), both configured as CA
 *   certificates; in use: root's CRL and inter's (number 5).
 */
#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include <openssl/x509v3.h>

#include "mauth_fetch.h"
#include "testpki.h"
#include "unit.h"

#define SEC(n) apr_time_from_sec(n)
#define T0 SEC(TP_NOW)

static const mauth_fetch_timing_t timing = {SEC(60), SEC(3600)};

static apr_time_t next_after(apr_time_t this_update, apr_time_t next_update,
                             apr_time_t last_attempt, int failures)
{
    mauth_fetch_state_t st = {this_update, next_update, last_attempt, failures};

    return mauth_fetch_next(&st, &timing, last_attempt + SEC(1));
}

UNIT_TEST(a_url_never_tried_is_fetched_at_once)
{
    mauth_fetch_state_t st = {0, 0, 0, 0};

    CHECK(mauth_fetch_next(&st, &timing, T0) == T0);
}

UNIT_TEST(a_crl_got_is_sought_again_when_half_its_time_has_passed)
{
    CHECK(next_after(T0, T0 + SEC(10 * TP_DAY), T0 + SEC(TP_HOUR), 0) == T0 + SEC(5 * TP_DAY));
    /* got late in its life: half of what was left */
    CHECK(next_after(T0, T0 + SEC(10 * TP_DAY), T0 + SEC(8 * TP_DAY), 0)
          == T0 + SEC(9 * TP_DAY));
    /* near its end, or already past it: not sooner than the gap */
    CHECK(next_after(T0, T0 + SEC(600), T0 + SEC(590), 0) == T0 + SEC(650));
    CHECK(next_after(T0, T0 + SEC(600), T0 + SEC(900), 0) == T0 + SEC(960));
    /* no nextUpdate: on the longest interval */
    CHECK(next_after(T0, 0, T0 + SEC(10), 0) == T0 + SEC(3610));
}

UNIT_TEST(failures_back_off_doubling_up_to_a_bound)
{
    mauth_fetch_timing_t slow = {SEC(7200), SEC(3600)};
    mauth_fetch_state_t st = {0, 0, T0, 5};

    CHECK(next_after(0, 0, T0, 1) == T0 + SEC(60));
    CHECK(next_after(0, 0, T0, 2) == T0 + SEC(120));
    CHECK(next_after(0, 0, T0, 3) == T0 + SEC(240));
    CHECK(next_after(0, 0, T0, 40) == T0 + SEC(3600));
    /* a failure after a success waits the same, whatever the CRL's times */
    CHECK(next_after(T0, T0 + SEC(10 * TP_DAY), T0 + SEC(TP_DAY), 2) == T0 + SEC(TP_DAY + 120));
    /* the gap wins over a shorter bound */
    CHECK(mauth_fetch_next(&st, &slow, T0) == T0 + SEC(7200));
}

UNIT_TEST(each_url_gets_a_file_of_its_own_in_the_directory)
{
    const char *a = mauth_fetch_file_name(p, "/crls", "http://crl.example/ca/int1.crl");
    const char *b = mauth_fetch_file_name(p, "/crls", "http://crl.example/ca_int1.crl");

    CHECK_MSG(strncmp(a, "/crls/crl.example_80_ca_int1-", 29) == 0, "%s", a);
    CHECK_INT(strlen(a), 29 + 8 + 4);
    CHECK(strcmp(a + strlen(a) - 4, ".crl") == 0);
    CHECK(strncmp(b, "/crls/crl.example_80_ca_int1-", 29) == 0);
    CHECK(strcmp(a, b) != 0);
    CHECK_STR(mauth_fetch_file_name(p, "/d", "http://h:8080/x?y=1"),
              mauth_fetch_file_name(p, "/d", "http://h:8080/x?y=1"));
    CHECK(strncmp(mauth_fetch_file_name(p, "/d", "http://h:8080/x?y=1"), "/d/h_8080_x_y_1-", 16)
          == 0);
    /* a host starting with a dot would make a hidden file the refresh skips */
    CHECK(strncmp(mauth_fetch_file_name(p, "/d", "http://.h/x"), "/d/_h_80_x-", 11) == 0);
}

typedef struct {
    tp_id_t root, inter;
    mauth_trust_t *trust;
    const char *dir, *path;
} world_t;

static void world_make(apr_pool_t *p, world_t *w)
{
    const char *err = NULL;

    w->root = tp_root(p, "Root CA");
    w->inter = tp_ca(p, "Intermediate CA", &w->root);
    w->trust = tp_trust(p, MAUTH_CRL_CHECK_CHAIN, (X509 *[]){w->root.cert, w->inter.cert, NULL},
                        (X509_CRL *[]){tp_crl(p, &(tp_crl_opts_t){.issuer = &w->root}),
                                       tp_crl(p, &(tp_crl_opts_t){.issuer = &w->inter,
                                                                  .number = 5}), NULL},
                        NULL, &err);
    if (w->trust == NULL) {
        unit_fail(__FILE__, __LINE__, "trust: %s", err);
    }
    w->dir = tp_tmpdir(p);
    w->path = apr_pstrcat(p, w->dir, "/fetched.crl", NULL);
}

static int exists(apr_pool_t *p, const char *path)
{
    apr_finfo_t info;

    return apr_stat(&info, path, APR_FINFO_TYPE, p) == APR_SUCCESS;
}

/* The directory holds nothing but what was taken (no temporary file). */
static int files_in(apr_pool_t *p, const char *dir)
{
    apr_dir_t *d;
    apr_finfo_t entry;
    int n = 0;

    if (apr_dir_open(&d, dir, p) != APR_SUCCESS) {
        return -1;
    }
    while (apr_dir_read(&entry, APR_FINFO_NAME, d) == APR_SUCCESS) {
        n += strcmp(entry.name, ".") != 0 && strcmp(entry.name, "..") != 0;
    }
    apr_dir_close(d);
    return n;
}

static mauth_fetch_outcome_e take_crl(apr_pool_t *p, world_t *w, const tp_crl_opts_t *opts,
                                      const char **why)
{
    apr_size_t len;
    unsigned char *der = tp_crl_der(p, tp_crl(p, opts), &len);
    mauth_fetch_crl_info_t info;

    return mauth_fetch_take(p, w->trust, der, len, w->path, &info, why);
}

UNIT_TEST(a_newer_crl_of_a_configured_ca_is_written_whole)
{
    world_t w;
    mauth_fetch_crl_info_t info;
    apr_size_t len;
    unsigned char *der;
    const char *why = NULL;

    world_make(p, &w);
    der = tp_crl_der(p, tp_crl(p, &(tp_crl_opts_t){.issuer = &w.inter, .number = 6,
                                                   .this_update = TP_NOW - 60}), &len);
    CHECK_MSG(mauth_fetch_take(p, w.trust, der, len, w.path, &info, &why) == MAUTH_FETCH_TAKEN,
              "%s", why);
    CHECK_CONTAINS(info.issuer, "Intermediate CA");
    CHECK(info.this_update == SEC(TP_NOW - 60));
    CHECK(exists(p, w.path));
    CHECK_INT(files_in(p, w.dir), 1);
}

UNIT_TEST(the_crl_in_use_fetched_again_writes_nothing)
{
    world_t w;
    mauth_fetch_crl_info_t info;
    const char *why = NULL;
    world_make(p, &w);
    /* what the trust holds: the same bytes */
    {
        const char *err = NULL;
        X509_CRL *crl = tp_crl(p, &(tp_crl_opts_t){.issuer = &w.inter, .number = 7});
        apr_size_t len;
        unsigned char *der = tp_crl_der(p, crl, &len);
        w.trust = tp_trust(p, MAUTH_CRL_CHECK_CHAIN, (X509 *[]){w.root.cert, w.inter.cert, NULL},
                           (X509_CRL *[]){crl, NULL}, NULL, &err);
        CHECK_INT(mauth_fetch_take(p, w.trust, der, len, w.path, &info, &why),
                  MAUTH_FETCH_UNCHANGED);
    }
    CHECK(!exists(p, w.path));
    CHECK_INT(files_in(p, w.dir), 0);
}

UNIT_TEST(a_crl_failing_a_check_is_refused_and_nothing_is_written)
{
    world_t w;
    tp_id_t stranger;
    EVP_PKEY *other_key;
    const char *why = NULL;

    world_make(p, &w);
    stranger = tp_ca(p, "Stranger CA", &w.root);
    other_key = tp_key_ec(p);
    CHECK_INT(take_crl(p, &w, &(tp_crl_opts_t){.issuer = &w.inter, .number = 6,
                                               .sign_key = other_key}, &why),
              MAUTH_FETCH_REFUSED);
    CHECK_CONTAINS(why, "does not verify with that CA certificate's key");
    CHECK_INT(take_crl(p, &w, &(tp_crl_opts_t){.issuer = &stranger, .number = 6}, &why),
              MAUTH_FETCH_REFUSED);
    CHECK_CONTAINS(why, "none of the configured CA certificates");
    CHECK_INT(take_crl(p, &w, &(tp_crl_opts_t){.issuer = &w.inter, .number = 4}, &why),
              MAUTH_FETCH_REFUSED);
    CHECK_CONTAINS(why, "a lower CRL number");
    CHECK_INT(take_crl(p, &w, &(tp_crl_opts_t){.issuer = &w.inter, .number = 9,
                                               .this_update = TP_NOW - TP_DAY}, &why),
              MAUTH_FETCH_REFUSED);
    CHECK_CONTAINS(why, "older than the one in use");
    CHECK_INT(mauth_fetch_take(p, w.trust, (const unsigned char *)"<html>404</html>", 16,
                               w.path, &(mauth_fetch_crl_info_t){0}, &why),
              MAUTH_FETCH_REFUSED);
    CHECK_CONTAINS(why, "not a CRL");
    CHECK_INT(files_in(p, w.dir), 0);
}

UNIT_TEST(a_body_of_two_crls_is_refused)
{
    world_t w;
    const char *why = NULL, *two;
    apr_file_t *f;
    apr_finfo_t info;
    char *body;

    world_make(p, &w);
    two = tp_write_crls(p, w.dir, "two.pem", 0,
                        tp_crl(p, &(tp_crl_opts_t){.issuer = &w.inter, .number = 6}),
                        tp_crl(p, &(tp_crl_opts_t){.issuer = &w.root, .number = 6}), NULL);
    CHECK(apr_file_open(&f, two, APR_FOPEN_READ, 0, p) == APR_SUCCESS);
    CHECK(apr_file_info_get(&info, APR_FINFO_SIZE, f) == APR_SUCCESS);
    body = apr_palloc(p, (apr_size_t)info.size);
    CHECK(apr_file_read_full(f, body, (apr_size_t)info.size, NULL) == APR_SUCCESS);
    apr_file_close(f);
    CHECK_INT(mauth_fetch_take(p, w.trust, (unsigned char *)body, (apr_size_t)info.size,
                               w.path, &(mauth_fetch_crl_info_t){0}, &why),
              MAUTH_FETCH_REFUSED);
    CHECK_CONTAINS(why, "2 CRLs where one is expected");
}

/* root with a crlDistributionPoints extension naming uris, re-signed. */
static void add_cdp(tp_id_t *root, const char *uris)
{
    X509V3_CTX ctx;
    X509_EXTENSION *ext;

    X509V3_set_ctx(&ctx, root->cert, root->cert, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_crl_distribution_points, uris);
    X509_add_ext(root->cert, ext, -1);
    X509_EXTENSION_free(ext);
    X509_sign(root->cert, root->key, EVP_sha256());
}

UNIT_TEST(urls_are_the_cas_http_distribution_points_and_the_configured_ones)
{
    world_t w;
    mauth_trust_entry_t entry = {0};
    mauth_fetch_settings_t settings = {"/nonexistent", SEC(1), 1024, {SEC(60), SEC(3600)}};
    apr_array_header_t *urls = apr_array_make(p, 1, sizeof(const char *));
    mauth_crl_fetch_t *f = mauth_crl_fetch_create(p);
    const char *err = NULL;
    unit_log_t log;
    apr_pool_t *ptemp;

    world_make(p, &w);
    apr_pool_create(&ptemp, p);
    entry.trust = w.trust;
    CHECK_CONTAINS(mauth_crl_fetch_add(f, &entry, &settings, NULL, unit_log_capture(p, &log)),
                   "no URL to fetch from");
    CHECK(mauth_crl_fetch_empty(f));
    add_cdp(&w.root, "URI:ldap://ldap.example/cn=crl,URI:http://127.0.0.1:1/root.crl");
    entry.trust = tp_trust(p, MAUTH_CRL_CHECK_NONE, (X509 *[]){w.root.cert, NULL}, NULL, NULL,
                           &err);
    CHECK(entry.trust != NULL);
    CHECK(mauth_crl_fetch_add(f, &entry, &settings, NULL, &log.logger) == NULL);
    APR_ARRAY_PUSH(urls, const char *) = "http://127.0.0.1:1/root.crl";
    /* a second vhost of the same trust and URL: nothing new, no error */
    CHECK(mauth_crl_fetch_add(f, &entry, &settings, urls, &log.logger) == NULL);
    /* one round: the ldap URI is not asked, the http one once */
    mauth_crl_fetch_tick(f, T0, ptemp);
    CHECK(unit_log_has(&log, "MAUTH00117 CRL fetch from http://127.0.0.1:1/root.crl failed: "
                             "cannot connect to 127.0.0.1:1"));
    CHECK(unit_log_has(&log, "the CRL in use stays, next try in 60 s"));
    CHECK(!unit_log_has(&log, "ldap"));
    CHECK_INT(log.lines->nelts, 1);
    /* not due again at once */
    mauth_crl_fetch_tick(f, apr_time_now(), ptemp);
    CHECK_INT(log.lines->nelts, 1);
}

/* The start-up warning of a CRL directory the children cannot write. */
UNIT_TEST(a_directory_the_children_cannot_write_is_told)
{
    const char *dir = tp_tmpdir(p), *why;
    apr_finfo_t info;
    apr_uid_t other = 65534;

    CHECK(apr_stat(&info, dir, APR_FINFO_OWNER, p) == APR_SUCCESS);
    if (info.user == other) {
        other = 65533;
    }
    CHECK(apr_file_perms_set(dir, APR_FPROT_UREAD | APR_FPROT_UWRITE | APR_FPROT_UEXECUTE)
          == APR_SUCCESS);
    CHECK(mauth_fetch_dir_unwritable(p, dir, info.user, info.group) == NULL);
    CHECK(mauth_fetch_dir_unwritable(p, dir, 0, 0) == NULL);
    why = mauth_fetch_dir_unwritable(p, dir, other, info.group + 1);
    CHECK_CONTAINS(why, dir);
    CHECK_CONTAINS(why, "not writable");
    CHECK(apr_file_perms_set(dir, APR_FPROT_UREAD | APR_FPROT_UWRITE | APR_FPROT_UEXECUTE
                                  | APR_FPROT_GREAD | APR_FPROT_GWRITE | APR_FPROT_GEXECUTE)
          == APR_SUCCESS);
    CHECK(mauth_fetch_dir_unwritable(p, dir, other, info.group) == NULL);
    CHECK(mauth_fetch_dir_unwritable(p, dir, other, info.group + 1) != NULL);
    CHECK_CONTAINS(mauth_fetch_dir_unwritable(p, tp_write_file(p, dir, "f", "x", 1), other,
                                              info.group), "not a directory");
    CHECK_CONTAINS(mauth_fetch_dir_unwritable(p, apr_pstrcat(p, dir, "/none", NULL), other,
                                              info.group), "cannot be read");
}

static const unit_test_t tests[] = {
    UNIT(a_directory_the_children_cannot_write_is_told),
    UNIT(a_url_never_tried_is_fetched_at_once),
    UNIT(a_crl_got_is_sought_again_when_half_its_time_has_passed),
    UNIT(failures_back_off_doubling_up_to_a_bound),
    UNIT(each_url_gets_a_file_of_its_own_in_the_directory),
    UNIT(a_newer_crl_of_a_configured_ca_is_written_whole),
    UNIT(the_crl_in_use_fetched_again_writes_nothing),
    UNIT(a_crl_failing_a_check_is_refused_and_nothing_is_written),
    UNIT(a_body_of_two_crls_is_refused),
    UNIT(urls_are_the_cas_http_distribution_points_and_the_configured_ones),
};

UNIT_MAIN("fetch", tests)
