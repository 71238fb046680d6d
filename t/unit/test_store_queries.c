/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * test_store_queries.c: the store's runtime lookups, as the module makes
 * them, against an in-memory SQLite database made from the shipped schema
 * (store/schema-sqlite.sql): who is enforced, which session is live, which
 * certificate matches whom; and the answer cache in front of them.
 */
#include <stdio.h>

#include <apr_dbd.h>
#include <apr_file_io.h>
#include <apr_strings.h>

#include "unit.h"
#include "mauth_store.h"

#define AA "aa00000000000000000000000000000000000000000000000000000000000000"
#define BB "bb00000000000000000000000000000000000000000000000000000000000000"
#define CC "cc00000000000000000000000000000000000000000000000000000000000000"
#define DD "dd00000000000000000000000000000000000000000000000000000000000000"

/* Organisation A has the switch on, B off.  alice has the permission,
 * bob through a profile, carol none; dave (of B) has it, but B's switch is
 * off.  alice's certificate AA, A's certificate BB; CC withdrawn, DD
 * expired. */
static const char *const fixtures =
    "INSERT INTO mauth_org (id, name, mutual_auth_enabled) VALUES (1, 'A', 1), (2, 'B', 0);\n"
    "INSERT INTO mauth_profile (id, org_id, name, enforce_mutual_auth) VALUES (1, 1, 'api', 1);\n"
    "INSERT INTO mauth_user (id, org_id, username, enforce_mutual_auth) VALUES"
    " (1, 1, 'alice', 1), (2, 1, 'bob', 0), (3, 1, 'carol', 0), (4, 2, 'dave', 1);\n"
    "INSERT INTO mauth_user_profile (user_id, profile_id) VALUES (2, 1);\n"
    "INSERT INTO mauth_session (token, user_id, expires, created) VALUES"
    " ('tok-alice', 1, 4102444800, 0), ('tok-old', 1, 1000, 0);\n"
    "INSERT INTO mauth_certificate (org_id, user_id, sha256, subject, issuer, serial,"
    " not_before, not_after, pem, active, created) VALUES"
    " (1, 1, '" AA "', 's', 'i', '1', 0, 4102444800, 'p', 1, 0),"
    " (1, NULL, '" BB "', 's', 'i', '2', 0, 4102444800, 'p', 1, 0),"
    " (1, 1, '" CC "', 's', 'i', '3', 0, 4102444800, 'p', 0, 0),"
    " (1, 1, '" DD "', 's', 'i', '4', 0, 1000, 'p', 1, 0);\n";

typedef struct {
    const apr_dbd_driver_t *driver;
    apr_dbd_t *handle;
    apr_hash_t *prepared;
} store_t;

/* apr_dbd_sqlite3 runs one statement a query: a script is split where a
 * ';' ends a line, as the schema files promise. */
static int run_script(apr_pool_t *p, store_t *s, const char *script)
{
    char *copy = apr_pstrdup(p, script), *statement = copy, *end;
    int nrows;

    while ((end = strstr(statement, ";\n")) != NULL) {
        end[1] = '\0';
        if (apr_dbd_query(s->driver, s->handle, &nrows, statement) != 0) {
            return 0;
        }
        statement = end + 2;
    }
    return 1;
}

static apr_status_t close_store(void *data)
{
    store_t *s = data;

    apr_dbd_close(s->driver, s->handle);
    return APR_SUCCESS;
}

static store_t *open_store(apr_pool_t *p)
{
    store_t *s = apr_pcalloc(p, sizeof(*s));
    const char *schema_path = getenv("MAUTH_SCHEMA_SQLITE"), *err = NULL;
    apr_file_t *file;
    apr_finfo_t finfo;
    apr_size_t len;
    char *schema;

    schema_path = schema_path ? schema_path : "store/schema-sqlite.sql";
    if (apr_file_open(&file, schema_path, APR_FOPEN_READ, 0, p) != APR_SUCCESS
        || apr_file_info_get(&finfo, APR_FINFO_SIZE, file) != APR_SUCCESS) {
        unit_fail(__FILE__, __LINE__, "cannot read %s (run from the tree's top)", schema_path);
        return NULL;
    }
    len = (apr_size_t)finfo.size;
    schema = apr_pcalloc(p, len + 1);
    apr_file_read_full(file, schema, len, NULL);
    apr_file_close(file);
    apr_dbd_init(p);
    s->prepared = apr_hash_make(p);
    if (apr_dbd_get_driver(p, "sqlite3", &s->driver) != APR_SUCCESS
        || apr_dbd_open_ex(s->driver, p, ":memory:", &s->handle, &err) != APR_SUCCESS) {
        unit_fail(__FILE__, __LINE__, "no in-memory SQLite: %s", err ? err : "no driver");
        return NULL;
    }
    apr_pool_cleanup_register(p, s, close_store, apr_pool_cleanup_null);
    if (!run_script(p, s, schema) || !run_script(p, s, fixtures)
        || mauth_store_prepare_all(p, s->driver, s->handle, s->prepared, &err)
           != MAUTH_STORE_OK) {
        unit_fail(__FILE__, __LINE__, "in-memory store: %s",
                  err ? err : apr_dbd_error(s->driver, s->handle, 1));
        return NULL;
    }
    return s;
}

static const char *who(apr_pool_t *p, store_t *s, const char *name)
{
    mauth_store_user_t user;
    const char *err = NULL;

    switch (mauth_store_user_by_name(p, s->driver, s->handle, s->prepared, NULL, name,
                                     &user, &err)) {
    case MAUTH_STORE_OK:
        return apr_psprintf(p, "%s of %s, %s", user.username, user.org_name,
                            user.enforced ? "enforced" : "not enforced");
    case MAUTH_STORE_NOT_FOUND:
        return "not found";
    default:
        return apr_pstrcat(p, "error: ", err, NULL);
    }
}

static const char *session_of(apr_pool_t *p, store_t *s, const char *token)
{
    mauth_store_user_t user;
    const char *err = NULL;

    switch (mauth_store_user_by_session(p, s->driver, s->handle, s->prepared, NULL, token,
                                        apr_time_from_sec(1700000000), &user, &err)) {
    case MAUTH_STORE_OK:
        return user.username;
    case MAUTH_STORE_NOT_FOUND:
        return "not found";
    default:
        return apr_pstrcat(p, "error: ", err, NULL);
    }
}

static const char *match_of(apr_pool_t *p, store_t *s, const char *name, const char *sha)
{
    mauth_store_user_t user;
    mauth_store_match_t match;
    const char *err = NULL;

    if (mauth_store_user_by_name(p, s->driver, s->handle, s->prepared, NULL, name, &user,
                                 &err) != MAUTH_STORE_OK) {
        return "no such user";
    }
    switch (mauth_store_certificate_matches(p, s->driver, s->handle, s->prepared, &user, sha,
                                            apr_time_from_sec(1700000000), &match, &err)) {
    case MAUTH_STORE_OK:
        return match.org_wide ? "organisation" : "user";
    case MAUTH_STORE_NOT_FOUND:
        return "none";
    default:
        return apr_pstrcat(p, "error: ", err, NULL);
    }
}

UNIT_TEST(enforced_needs_the_switch_and_the_permission_direct_or_by_profile)
{
    store_t *s = open_store(p);

    CHECK(s != NULL);
    CHECK_STR(who(p, s, "alice"), "alice of A, enforced");
    CHECK_STR(who(p, s, "bob"), "bob of A, enforced");
    CHECK_STR(who(p, s, "carol"), "carol of A, not enforced");
    CHECK_STR(who(p, s, "dave"), "dave of B, not enforced");
    CHECK_STR(who(p, s, "nobody"), "not found");
    CHECK_STR(who(p, s, "alice' OR '1'='1"), "not found");
}

UNIT_TEST(only_a_live_session_names_its_user)
{
    store_t *s = open_store(p);

    CHECK(s != NULL);
    CHECK_STR(session_of(p, s, "tok-alice"), "alice");
    CHECK_STR(session_of(p, s, "tok-old"), "not found");
    CHECK_STR(session_of(p, s, "tok-unknown"), "not found");
}

UNIT_TEST(a_certificate_matches_its_user_or_its_whole_organisation_only)
{
    store_t *s = open_store(p);

    CHECK(s != NULL);
    CHECK_STR(match_of(p, s, "alice", AA), "user");
    CHECK_STR(match_of(p, s, "alice", BB), "organisation");
    CHECK_STR(match_of(p, s, "bob", BB), "organisation");
    CHECK_STR(match_of(p, s, "carol", AA), "none");     /* alice's, not carol's */
    CHECK_STR(match_of(p, s, "alice", CC), "none");     /* withdrawn */
    CHECK_STR(match_of(p, s, "alice", DD), "none");     /* expired */
    CHECK_STR(match_of(p, s, "dave", BB), "none");      /* another organisation's */
}

UNIT_TEST(expiring_lists_active_uploads_ending_by_the_deadline_upcoming_first)
{
    store_t *s = open_store(p);
    apr_array_header_t *certs = NULL;
    const mauth_store_expiring_t *c;
    const char *err = NULL;
    int more = -1;

    CHECK(s != NULL);
    /* only DD (ended at 1000) by 2000; CC, withdrawn, never */
    CHECK_INT(mauth_store_certificates_expiring(p, s->driver, s->handle, s->prepared,
                                                apr_time_from_sec(2000), apr_time_from_sec(2000),
                                                &certs, &more, &err), MAUTH_STORE_OK);
    CHECK_INT(certs->nelts, 1);
    CHECK_INT(more, 0);
    c = &APR_ARRAY_IDX(certs, 0, mauth_store_expiring_t);
    CHECK_STR(c->sha256, DD);
    CHECK_STR(c->username, "alice");
    CHECK_STR(c->org_name, "A");
    CHECK(c->not_after == apr_time_from_sec(1000));
    /* by 2100: the ones still valid first, AA (alice's) and BB (the
     * organisation's), then DD, ended, so leftovers never hide them */
    CHECK_INT(mauth_store_certificates_expiring(p, s->driver, s->handle, s->prepared,
                                                apr_time_from_sec(2000),
                                                apr_time_from_sec(4102444800LL), &certs,
                                                &more, &err), MAUTH_STORE_OK);
    CHECK_INT(certs->nelts, 3);
    CHECK_STR(APR_ARRAY_IDX(certs, 0, mauth_store_expiring_t).sha256, AA);
    CHECK_STR(APR_ARRAY_IDX(certs, 1, mauth_store_expiring_t).sha256, BB);
    CHECK(APR_ARRAY_IDX(certs, 1, mauth_store_expiring_t).username == NULL);
    CHECK_STR(APR_ARRAY_IDX(certs, 2, mauth_store_expiring_t).sha256, DD);
    CHECK_INT(mauth_store_certificates_expiring(p, s->driver, s->handle, s->prepared,
                                                apr_time_from_sec(0), apr_time_from_sec(999),
                                                &certs, &more, &err), MAUTH_STORE_OK);
    CHECK_INT(certs->nelts, 0);
}

UNIT_TEST(expiring_uploads_are_warned_of_with_owner_and_date)
{
    store_t *s = open_store(p);
    unit_log_t log;
    const mauth_logger_t *logger = unit_log_capture(p, &log);

    CHECK(s != NULL);
    mauth_store_warn_expiring(p, s->driver, s->handle, s->prepared, apr_time_from_sec(2000),
                              apr_time_from_sec(4102444800LL), logger);
    CHECK_INT(log.lines->nelts, 3);
    CHECK(unit_log_has(&log, "MAUTH00113 uploaded client certificate s (SHA-256 " DD
                             ") of user 'alice' of organisation 'A' expired Thu, 01 Jan 1970"));
    CHECK(unit_log_has(&log, BB ") of organisation 'A' expires Fri, 01 Jan 2100"));
}

typedef struct {
    int looks, days;
} counted_t;

static void count_look(void *baton, apr_pool_t *p, apr_time_t now, apr_time_t deadline)
{
    counted_t *c = baton;

    c->looks++;
    c->days = (int)apr_time_sec(deadline - now) / 86400;
}

UNIT_TEST(a_round_looks_once_per_key_under_the_most_days)
{
    mauth_expiry_round_t *round = mauth_expiry_round_create(p);
    counted_t a = {0, 0}, b = {0, 0};
    apr_time_t next = 0;

    mauth_expiry_round_add(round, "store x", 30, count_look, &a);
    mauth_expiry_round_add(round, "store x", 90, count_look, &a);
    mauth_expiry_round_add(round, "store x", 10, count_look, &a);
    mauth_expiry_round_add(round, "trust y", 30, count_look, &b);
    mauth_expiry_round_run(round, apr_time_from_sec(1000));
    CHECK_INT(a.looks, 1);
    CHECK_INT(a.days, 90);
    CHECK_INT(b.looks, 1);
    CHECK_INT(b.days, 30);
    /* due the first time, then a day later */
    CHECK(mauth_expiry_due(&next, apr_time_from_sec(1000)));
    CHECK(!mauth_expiry_due(&next, apr_time_from_sec(1000 + 86399)));
    CHECK(mauth_expiry_due(&next, apr_time_from_sec(1000 + 86400)));
}

/* ------------------------------------------------- the answer cache */

typedef struct {
    int asked;
    mauth_store_status_e answer;
} asker_t;

static mauth_store_status_e ask(void *baton, apr_pool_t *p, mauth_store_user_t *user)
{
    asker_t *a = baton;

    a->asked++;
    if (a->answer == MAUTH_STORE_OK) {
        user->user_id = "1";
        user->username = "alice";
        user->org_id = "1";
        user->org_name = "A";
        user->org_mutual_auth = user->user_permission = user->enforced = 1;
    }
    return a->answer;
}

UNIT_TEST(answers_are_asked_once_per_store_and_errors_never_kept)
{
    mauth_answer_cache_t *c = mauth_answer_cache_create(p, 64, apr_time_from_sec(60),
                                                        apr_time_from_sec(60));
    asker_t found = {0, MAUTH_STORE_OK}, missing = {0, MAUTH_STORE_NOT_FOUND};
    asker_t broken = {0, MAUTH_STORE_ERROR};
    mauth_store_user_t user;

    CHECK(c != NULL);
    CHECK_INT(mauth_answer_user(c, p, "store-1", 1, "tok", ask, &found, &user), MAUTH_STORE_OK);
    CHECK_INT(mauth_answer_user(c, p, "store-1", 1, "tok", ask, &found, &user), MAUTH_STORE_OK);
    CHECK_INT(found.asked, 1);
    CHECK_STR(user.username, "alice");
    CHECK_INT(user.enforced, 1);
    /* another store's answer for the same token is its own */
    CHECK_INT(mauth_answer_user(c, p, "store-2", 1, "tok", ask, &missing, &user),
              MAUTH_STORE_NOT_FOUND);
    CHECK_INT(mauth_answer_user(c, p, "store-2", 1, "tok", ask, &missing, &user),
              MAUTH_STORE_NOT_FOUND);
    CHECK_INT(missing.asked, 1);
    /* a user name is not a session token */
    CHECK_INT(mauth_answer_user(c, p, "store-1", 0, "tok", ask, &missing, &user),
              MAUTH_STORE_NOT_FOUND);
    CHECK_INT(missing.asked, 2);
    CHECK_INT(mauth_answer_user(c, p, "store-1", 1, "down", ask, &broken, &user),
              MAUTH_STORE_ERROR);
    CHECK_INT(mauth_answer_user(c, p, "store-1", 1, "down", ask, &broken, &user),
              MAUTH_STORE_ERROR);
    CHECK_INT(broken.asked, 2);
    /* no store named: whose answer it would be is unknown, so none is kept */
    CHECK_INT(mauth_answer_user(c, p, NULL, 1, "tok", ask, &found, &user), MAUTH_STORE_OK);
    CHECK_INT(mauth_answer_user(c, p, NULL, 1, "tok", ask, &found, &user), MAUTH_STORE_OK);
    CHECK_INT(found.asked, 3);
    /* no cache: every lookup asks */
    CHECK_INT(mauth_answer_user(NULL, p, "store-1", 1, "tok", ask, &found, &user),
              MAUTH_STORE_OK);
    CHECK_INT(found.asked, 4);
}

static const unit_test_t tests[] = {
    UNIT(enforced_needs_the_switch_and_the_permission_direct_or_by_profile),
    UNIT(only_a_live_session_names_its_user),
    UNIT(a_certificate_matches_its_user_or_its_whole_organisation_only),
    UNIT(expiring_lists_active_uploads_ending_by_the_deadline_upcoming_first),
    UNIT(expiring_uploads_are_warned_of_with_owner_and_date),
    UNIT(a_round_looks_once_per_key_under_the_most_days),
    UNIT(answers_are_asked_once_per_store_and_errors_never_kept),
};

UNIT_MAIN("store-queries", tests)
