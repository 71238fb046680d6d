/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * store_bench.c: the identity store at a million rows, through the module's
 * own store code (core/mauth_store.c, core/mauth_store_cache.c).  Not a
 * test; t/bench/store.sh drives it.
 *
 *   store_bench gen DIR N                 users.tsv, certs.tsv, sessions.tsv
 *                                         of N rows each, for mauth-admin import
 *   store_bench run DRIVER PARAMS N [SAMPLES]
 *                                         p50/p99 of each lookup the module
 *                                         makes, uncached and cached
 *   store_bench explain DRIVER PARAMS     the plan of each runtime query
 *
 * Row i: user "u<i>@bench.example" in organisation "org<i % 100>", its
 * session token the hex SHA-256 of "session:<i>", its certificate the hex
 * SHA-256 of "cert:<i>": random-looking keys, as real ones are, so the
 * indexes are filled in random order.  Never writes to the store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <apr_general.h>
#include <apr_strings.h>
#include <apr_dbd.h>
#include <openssl/evp.h>

#include "mauth_store.h"

#define ORGS 100
#define SQLITE_P99_NS   1000000.0      /* 1 ms */
#define PGSQL_P99_NS    2000000.0      /* 2 ms, over a local socket */
#define CACHED_P99_NS   5000.0         /* 5 us */

static void hex_sha256(const char *what, long i, char out[65])
{
    unsigned char md[32];
    char text[64];
    unsigned int len = 0;
    int k;

    snprintf(text, sizeof(text), "%s:%ld", what, i);
    EVP_Digest(text, strlen(text), md, &len, EVP_sha256(), NULL);
    for (k = 0; k < 32; k++) {
        sprintf(out + 2 * k, "%02x", md[k]);
    }
}

static int gen(const char *dir, long n)
{
    char path[4096], hex[65];
    FILE *users, *certs, *sessions;
    long i, now = (long)time(NULL);

    snprintf(path, sizeof(path), "%s/users.tsv", dir);
    users = fopen(path, "w");
    snprintf(path, sizeof(path), "%s/certs.tsv", dir);
    certs = fopen(path, "w");
    snprintf(path, sizeof(path), "%s/sessions.tsv", dir);
    sessions = fopen(path, "w");
    if (!users || !certs || !sessions) {
        perror(dir);
        return 2;
    }
    for (i = 0; i < n; i++) {
        fprintf(users, "org%02ld\tu%ld@bench.example\t%d\n", i % ORGS, i, (int)(i & 1));
        hex_sha256("cert", i, hex);
        fprintf(certs, "%s\tCN=u%ld@bench.example,O=org%02ld\tCN=Bench CA\t%lx\t%ld\t%ld"
                "\tuser:u%ld@bench.example\n", hex, i, i % ORGS, i + 4096, now - 86400,
                now + 365 * 86400L, i);
        hex_sha256("session", i, hex);
        fprintf(sessions, "%s\tu%ld@bench.example\t%ld\n", hex, i, now + 86400);
    }
    fclose(users);
    fclose(certs);
    fclose(sessions);
    return 0;
}

typedef struct {
    const apr_dbd_driver_t *driver;
    apr_dbd_t *handle;
    apr_hash_t *prepared;
    const char *token, *fingerprint;
    const mauth_store_user_t *user;
    apr_pool_t *pool;
    int errors;
} store_t;

static int open_store(apr_pool_t *p, const char *name, const char *params, store_t *s)
{
    const char *err = NULL;

    memset(s, 0, sizeof(*s));
    apr_dbd_init(p);
    if (apr_dbd_get_driver(p, name, &s->driver) != APR_SUCCESS
        || apr_dbd_open_ex(s->driver, p, params, &s->handle, &err) != APR_SUCCESS) {
        fprintf(stderr, "store_bench: cannot open %s %s: %s\n", name, params,
                err ? err : "no driver");
        return 0;
    }
    s->prepared = apr_hash_make(p);
    if (mauth_store_prepare_all(p, s->driver, s->handle, s->prepared, &err)
        != MAUTH_STORE_OK) {
        fprintf(stderr, "store_bench: %s\n", err);
        return 0;
    }
    return 1;
}

static double now_ns(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static int report(const char *what, double *ns, int n, double target)
{
    double p50, p99;

    qsort(ns, n, sizeof(*ns), by_value);
    p50 = ns[n / 2];
    p99 = ns[(int)(n * 0.99) < n ? (int)(n * 0.99) : n - 1];
    printf("%-34s n=%-6d p50 %9.1f us  p99 %9.1f us  target p99 <= %.0f us  %s\n",
           what, n, p50 / 1e3, p99 / 1e3, target / 1e3, p99 <= target ? "PASS" : "MISS");
    return p99 <= target;
}

static mauth_store_status_e ask_user(void *baton, apr_pool_t *p, mauth_store_user_t *user)
{
    store_t *s = baton;
    const char *err = NULL;
    mauth_store_status_e st = mauth_store_user_by_session(p, s->driver, s->handle, s->prepared,
                                                          NULL, s->token, apr_time_now(),
                                                          user, &err);

    if (st == MAUTH_STORE_ERROR) {
        fprintf(stderr, "store_bench: %s\n", err);
        s->errors++;
    }
    return st;
}

static mauth_store_status_e ask_match(void *baton, mauth_store_match_t *match)
{
    store_t *s = baton;
    const char *err = NULL;
    mauth_store_status_e st = mauth_store_certificate_matches(s->pool, s->driver, s->handle,
                                                              s->prepared, s->user,
                                                              s->fingerprint, apr_time_now(),
                                                              match, &err);

    if (st == MAUTH_STORE_ERROR) {
        fprintf(stderr, "store_bench: %s\n", err);
        s->errors++;
    }
    return st;
}

/* The keys one lookup asks with and the user it answers; the store_t
 * fields point here. */
typedef struct {
    char token[65], fingerprint[65];
    mauth_store_user_t user;
} probe_t;

/* The timings of one run, a sample each. */
typedef struct {
    double *session, *cert, *miss, *csession, *ccert;
} timings_t;

/* Uncached: what each request costs when the answer cache is cold. */
static int time_uncached(store_t *s, probe_t *probe, apr_pool_t *request, const long *keys,
                         int samples, timings_t *t)
{
    mauth_store_match_t match;
    double t0;
    int i, wrong = 0;

    for (i = 0; i < samples; i++) {
        hex_sha256("session", keys[i], probe->token);
        hex_sha256("cert", keys[i], probe->fingerprint);
        t0 = now_ns();
        wrong += ask_user(s, request, &probe->user) != MAUTH_STORE_OK;
        t->session[i] = now_ns() - t0;
        t0 = now_ns();
        wrong += probe->user.user_id && ask_match(s, &match) != MAUTH_STORE_OK;
        t->cert[i] = now_ns() - t0;
        hex_sha256("no-session", keys[i], probe->token);
        t0 = now_ns();
        wrong += ask_user(s, request, &probe->user) != MAUTH_STORE_NOT_FOUND;
        t->miss[i] = now_ns() - t0;
        apr_pool_clear(request);
    }
    return wrong;
}

/* Cached: the same keys through the module's answer cache, once to fill
 * it, then timed. */
static int time_cached(apr_pool_t *p, store_t *s, probe_t *probe, apr_pool_t *request,
                       const long *keys, int samples, timings_t *t)
{
    mauth_answer_cache_t *cache = mauth_answer_cache_create(p, samples * 4,
                                                            apr_time_from_sec(3600),
                                                            apr_time_from_sec(3600));
    mauth_store_match_t match;
    double t0;
    int i, pass, wrong = 0;

    for (pass = 0; pass < 2; pass++) {
        for (i = 0; i < samples; i++) {
            hex_sha256("session", keys[i], probe->token);
            hex_sha256("cert", keys[i], probe->fingerprint);
            t0 = now_ns();
            wrong += mauth_answer_user(cache, request, "bench", 1, s->token, ask_user, s,
                                       &probe->user) != MAUTH_STORE_OK;
            t->csession[i] = now_ns() - t0;
            t0 = now_ns();
            wrong += mauth_answer_match(cache, "bench", s->user, s->fingerprint, ask_match, s,
                                        &match) != MAUTH_STORE_OK;
            t->ccert[i] = now_ns() - t0;
            apr_pool_clear(request);
        }
    }
    return wrong;
}

static int run(apr_pool_t *p, const char *name, const char *params, long rows, int samples)
{
    store_t s;
    apr_pool_t *request;
    timings_t t;
    double target = strcmp(name, "pgsql") == 0 ? PGSQL_P99_NS : SQLITE_P99_NS;
    long *keys;
    probe_t probe;
    int i, wrong, ok = 1;

    if (!open_store(p, name, params, &s)) {
        return 3;
    }
    keys = apr_palloc(p, samples * sizeof(*keys));
    t.session = apr_palloc(p, samples * sizeof(double));
    t.cert = apr_palloc(p, samples * sizeof(double));
    t.miss = apr_palloc(p, samples * sizeof(double));
    t.csession = apr_palloc(p, samples * sizeof(double));
    t.ccert = apr_palloc(p, samples * sizeof(double));
    srandom(42);
    for (i = 0; i < samples; i++) {
        keys[i] = ((long)random() * 65536L + (random() & 0xffff)) % rows;
    }
    apr_pool_create(&request, p);
    s.pool = request;
    s.token = probe.token;
    s.fingerprint = probe.fingerprint;
    s.user = &probe.user;
    wrong = time_uncached(&s, &probe, request, keys, samples, &t)
            + time_cached(p, &s, &probe, request, keys, samples, &t);
    printf("store %s, %ld rows per table, %d random lookups each\n", name, rows, samples);
    ok &= report("session -> user, uncached", t.session, samples, target);
    ok &= report("certificate match, uncached", t.cert, samples, target);
    ok &= report("unknown session, uncached", t.miss, samples, target);
    ok &= report("session -> user, cached", t.csession, samples, CACHED_P99_NS);
    ok &= report("certificate match, cached", t.ccert, samples, CACHED_P99_NS);
    if (wrong || s.errors) {
        printf("WRONG: %d answers were not what the data says, %d store errors\n",
               wrong, s.errors);
        ok = 0;
    }
    apr_dbd_close(s.driver, s.handle);
    return ok ? 0 : 1;
}

/* The runtime queries with sample values in place of their parameters. */
static int explain(apr_pool_t *p, const char *name, const char *params)
{
    store_t s;
    const mauth_store_query_t *q;
    apr_dbd_results_t *res;
    apr_dbd_row_t *row;
    char token[65], fingerprint[65];
    const char *values[5] = { "", "", "", "", "" }, *sql, *prefix;
    int col, ncols, rv;

    if (!open_store(p, name, params, &s)) {
        return 3;
    }
    /* row 2: a user without the permission of its own (i & 1 == 0), so the
     * profile subquery runs; its id is 3 and so is org02's */
    hex_sha256("session", 2, token);
    hex_sha256("cert", 2, fingerprint);
    prefix = strcmp(name, "pgsql") == 0 ? "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) "
                                        : "EXPLAIN QUERY PLAN ";
    for (q = mauth_store_queries; q->label; q++) {
        if (strcmp(q->label, MAUTH_STORE_Q_USER_BY_NAME) == 0) {
            values[0] = "'u2@bench.example'";
        }
        else if (strcmp(q->label, MAUTH_STORE_Q_USER_BY_SESSION) == 0) {
            values[0] = apr_psprintf(p, "'%s'", token);
            values[1] = apr_ltoa(p, (long)time(NULL));
        }
        else if (strcmp(q->label, MAUTH_STORE_Q_CERTS_EXPIRING) == 0) {
            /* MAuthExpiryWarning's default: 30 days (once a day, a scan) */
            values[0] = apr_ltoa(p, (long)time(NULL) + 30 * 86400);
            values[1] = apr_ltoa(p, (long)time(NULL));
        }
        else {
            values[0] = apr_psprintf(p, "'%s'", fingerprint);
            values[1] = values[2] = apr_ltoa(p, (long)time(NULL));
            values[3] = "3";
            values[4] = "3";
        }
        sql = apr_psprintf(p, q->sql, values[0], values[1], values[2], values[3], values[4]);
        printf("-- %s\n", q->label);
        res = NULL;
        if ((rv = apr_dbd_select(s.driver, p, s.handle, &res,
                                 apr_pstrcat(p, prefix, sql, NULL), 1)) != 0) {
            printf("   error: %s\n", apr_dbd_error(s.driver, s.handle, rv));
            continue;
        }
        ncols = apr_dbd_num_cols(s.driver, res);
        row = NULL;
        while (apr_dbd_get_row(s.driver, p, res, &row, -1) == 0) {
            /* SQLite: id, parent, notused, detail; PostgreSQL: one line */
            col = ncols == 4 ? 3 : 0;
            printf("   %s%s\n", ncols == 4 && strcmp(apr_dbd_get_entry(s.driver, row, 1), "0")
                   ? "  " : "", apr_dbd_get_entry(s.driver, row, col));
        }
    }
    apr_dbd_close(s.driver, s.handle);
    return 0;
}

int main(int argc, const char *const *argv)
{
    apr_pool_t *p;
    int rv = 2;

    apr_app_initialize(&argc, &argv, NULL);
    apr_pool_create(&p, NULL);
    if (argc == 4 && strcmp(argv[1], "gen") == 0) {
        rv = gen(argv[2], atol(argv[3]));
    }
    else if ((argc == 5 || argc == 6) && strcmp(argv[1], "run") == 0) {
        rv = run(p, argv[2], argv[3], atol(argv[4]), argc == 6 ? atoi(argv[5]) : 20000);
    }
    else if (argc == 4 && strcmp(argv[1], "explain") == 0) {
        rv = explain(p, argv[2], argv[3]);
    }
    else {
        fprintf(stderr, "usage: store_bench gen DIR N | run DRIVER PARAMS N [SAMPLES]"
                " | explain DRIVER PARAMS\n");
    }
    apr_pool_destroy(p);
    apr_terminate();
    return rv;
}
