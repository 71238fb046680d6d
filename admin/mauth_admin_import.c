/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mauth_admin_import.c: `mauth-admin import users|certs|sessions FILE`, the
 * store filled in bulk (a migration, a million rows for the benchmark).
 * One prepared INSERT per kind, run once per line, committed every
 * IMPORT_BATCH lines.  A bad line stops the import: its batch is rolled
 * back and the tool says which line and how many rows were committed
 * before it, so nothing is half-imported silently.  Certificates come as
 * fingerprints and facts, not PEM: the benchmark cannot make a million real
 * certificates, and a migration already has the fingerprints.  Never
 * checks a certificate against the roots: `cert add` does that.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "mauth_store_admin.h"
#include "mauth_admin.h"

#define IMPORT_BATCH 10000
#define MAX_FIELDS 8

typedef struct {
    const char *kind;                  /* the command's word */
    int min_fields, max_fields;
    const char *format;                /* for the error messages */
    const char *sql;
} import_kind_t;

/*
 * Each INSERT takes its owner by name through a SELECT, so an unknown
 * organisation or user inserts no row (reported as such) and no second
 * round trip is needed.  pem is '' for an imported certificate: the
 * runtime lookup goes by fingerprint alone.
 */
static const import_kind_t kinds[] = {
    { "users", 2, 3, "ORG USERNAME [ENFORCE 0|1]",
      "INSERT INTO mauth_user (org_id, username, enforce_mutual_auth)"
      " SELECT o.id, %s, CAST(%s AS INTEGER) FROM mauth_org o WHERE o.name = %s" },
    { "certs", 7, 7, "SHA256 SUBJECT ISSUER SERIAL NOT_BEFORE NOT_AFTER user:NAME|org:NAME",
      NULL },                          /* two statements: see owner_sql */
    { "sessions", 3, 4, "TOKEN USERNAME EXPIRES [CREATED]",
      "INSERT INTO mauth_session (token, user_id, expires, created)"
      " SELECT %s, u.id, CAST(%s AS BIGINT), CAST(%s AS BIGINT)"
      " FROM mauth_user u WHERE u.username = %s" },
    { NULL, 0, 0, NULL, NULL }
};

static const char cert_for_user_sql[] =
    "INSERT INTO mauth_certificate (org_id, user_id, sha256, subject, issuer, serial,"
    " not_before, not_after, pem, active, created)"
    " SELECT u.org_id, u.id, %s, %s, %s, %s, CAST(%s AS BIGINT), CAST(%s AS BIGINT),"
    " '', 1, CAST(%s AS BIGINT) FROM mauth_user u WHERE u.username = %s";
static const char cert_for_org_sql[] =
    "INSERT INTO mauth_certificate (org_id, user_id, sha256, subject, issuer, serial,"
    " not_before, not_after, pem, active, created)"
    " SELECT o.id, NULL, %s, %s, %s, %s, CAST(%s AS BIGINT), CAST(%s AS BIGINT),"
    " '', 1, CAST(%s AS BIGINT) FROM mauth_org o WHERE o.name = %s";

typedef struct {
    mauth_admin_store_t *store;
    const import_kind_t *kind;
    apr_dbd_prepared_t *statement, *org_statement;
    apr_dbd_transaction_t *trans;
    long imported;                     /* committed */
    long pending;                      /* in the open batch */
    long batch_first_line;
    int progress;                      /* stderr is a terminal */
    struct timespec started;
    char now[24];
} import_t;

static double seconds_since(const struct timespec *start)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - start->tv_sec) + (t.tv_nsec - start->tv_nsec) / 1e9;
}

static int all_digits(const char *s, int allow_sign)
{
    if (allow_sign && *s == '-') {
        s++;
    }
    if (!*s) {
        return 0;
    }
    for (; *s; s++) {
        if (!apr_isdigit(*s)) {
            return 0;
        }
    }
    return 1;
}

/* Splits line in place: on tabs when it holds one, else on commas. */
static int split(char *line, char **fields)
{
    char sep = strchr(line, '\t') ? '\t' : ',';
    int n = 0;
    char *c = line;

    for (;;) {
        if (n == MAX_FIELDS) {
            return MAX_FIELDS + 1;
        }
        fields[n++] = c;
        c = strchr(c, sep);
        if (!c) {
            return n;
        }
        *c++ = '\0';
    }
}

/* The arguments of one line for its statement, or a sentence on why not. */
static const char *line_args(import_t *im, apr_pool_t *p, char **f, int n,
                             const char **args, int *nargs, int *for_org)
{
    char *c;

    *for_org = 0;
    if (n < im->kind->min_fields || n > im->kind->max_fields) {
        return apr_psprintf(p, "%d field%s, expected %s", n, n == 1 ? "" : "s",
                            im->kind->format);
    }
    if (strcmp(im->kind->kind, "users") == 0) {
        if (!*f[0] || !*f[1]) {
            return "an empty organisation or username";
        }
        if (n == 3 && strcmp(f[2], "0") && strcmp(f[2], "1")) {
            return apr_psprintf(p, "ENFORCE is '%s', not 0 or 1", f[2]);
        }
        args[0] = f[1];
        args[1] = n == 3 ? f[2] : "0";
        args[2] = f[0];
        *nargs = 3;
        return NULL;
    }
    if (strcmp(im->kind->kind, "sessions") == 0) {
        if (!*f[0] || !*f[1]) {
            return "an empty token or username";
        }
        if (!all_digits(f[2], 0) || (n == 4 && !all_digits(f[3], 0))) {
            return "EXPIRES and CREATED are unix seconds";
        }
        args[0] = f[0];
        args[1] = f[2];
        args[2] = n == 4 ? f[3] : im->now;
        args[3] = f[1];
        *nargs = 4;
        return NULL;
    }
    /* certs */
    if (strlen(f[0]) != 64 || strspn(f[0], "0123456789abcdefABCDEF") != 64) {
        return "SHA256 is not 64 hexadecimal digits";
    }
    for (c = f[0]; *c; c++) {
        *c = apr_tolower(*c);          /* what the runtime lookup asks for */
    }
    if (!all_digits(f[4], 1) || !all_digits(f[5], 1)) {
        return "NOT_BEFORE and NOT_AFTER are unix seconds";
    }
    if (strncmp(f[6], "user:", 5) == 0 && f[6][5]) {
        *for_org = 0;
    }
    else if (strncmp(f[6], "org:", 4) == 0 && f[6][4]) {
        *for_org = 1;
    }
    else {
        return "the owner is user:USERNAME or org:ORGANISATION";
    }
    args[0] = f[0];
    args[1] = f[1];
    args[2] = f[2];
    args[3] = f[3];
    args[4] = f[4];
    args[5] = f[5];
    args[6] = im->now;
    args[7] = f[6] + (*for_org ? 4 : 5);
    *nargs = 8;
    return NULL;
}

static void show_progress(import_t *im, int done)
{
    double s;

    if (!im->progress) {
        return;
    }
    s = seconds_since(&im->started);
    fprintf(stderr, "\rmauth-admin: %ld %s imported, %.0f rows/s%s", im->imported,
            im->kind->kind, s > 0 ? im->imported / s : 0.0, done ? "\n" : "");
    fflush(stderr);
}

static const char *begin(import_t *im)
{
    int rv = apr_dbd_transaction_start(im->store->driver, im->store->pool,
                                       im->store->handle, &im->trans);

    return rv ? mauth_store_driver_error(im->store->pool, im->store->driver,
                                         im->store->handle, rv) : NULL;
}

/* Ends the batch: commits it when ok, else rolls it back. */
static const char *finish(import_t *im, int ok)
{
    int rv;

    if (!im->trans) {
        return NULL;
    }
    if (!ok) {
        apr_dbd_transaction_mode_set(im->store->driver, im->trans,
                                     APR_DBD_TRANSACTION_ROLLBACK);
    }
    rv = apr_dbd_transaction_end(im->store->driver, im->store->pool, im->trans);
    im->trans = NULL;
    if (rv) {
        return mauth_store_driver_error(im->store->pool, im->store->driver,
                                        im->store->handle, rv);
    }
    if (ok) {
        im->imported += im->pending;
    }
    im->pending = 0;
    return NULL;
}

static const char *prepare(import_t *im, const char *sql, apr_dbd_prepared_t **statement)
{
    int rv = apr_dbd_prepare(im->store->driver, im->store->pool, im->store->handle,
                             sql, NULL, statement);

    return rv ? mauth_store_driver_error(im->store->pool, im->store->driver,
                                         im->store->handle, rv) : NULL;
}

/* Says what was imported and why it stopped; returns the exit status. */
static int stopped(import_t *im, long line, const char *why, int status)
{
    show_progress(im, 1);
    fprintf(stderr, "mauth-admin: %s%s%ld: %s\n", im->kind->kind,
            line ? " line " : "", line, why);
    fprintf(stderr, "mauth-admin: %ld %s imported (committed); nothing from line %ld on\n",
            im->imported, im->kind->kind, im->batch_first_line);
    return status;
}

/* One data line inserted in the open batch (begun here when none is);
 * 0, or the status the import stops with (the reason reported). */
static int import_line(apr_pool_t *p, import_t *im, apr_pool_t *scratch, char *line,
                       long lineno)
{
    mauth_admin_store_t *store = im->store;
    char *fields[MAX_FIELDS + 1];
    const char *args[MAX_FIELDS], *why;
    int nargs = 0, for_org = 0, nrows = 0, rv;

    if (!im->trans) {
        im->batch_first_line = lineno;
        if ((why = begin(im)) != NULL) {
            return stopped(im, lineno, apr_pstrcat(p, "store error: ", why, NULL), 3);
        }
    }
    if ((why = line_args(im, scratch, fields, split(line, fields), args, &nargs, &for_org))) {
        finish(im, 0);
        return stopped(im, lineno, why, 1);
    }
    rv = apr_dbd_pquery(store->driver, scratch, store->handle, &nrows,
                        for_org ? im->org_statement : im->statement, nargs, args);
    if (rv != 0 || nrows != 1) {
        why = rv ? apr_pstrcat(p, "store error: ", mauth_store_driver_error(
                               p, store->driver, store->handle, rv), NULL)
            : apr_psprintf(p, "no %s named '%s'", for_org ? "organisation"
                           : strcmp(im->kind->kind, "users") == 0 ? "organisation" : "user",
                           args[nargs - 1]);
        finish(im, 0);
        return stopped(im, lineno, why, rv ? 3 : 1);
    }
    if (++im->pending == IMPORT_BATCH) {
        if ((why = finish(im, 1)) != NULL) {
            return stopped(im, lineno, apr_pstrcat(p, "commit: ", why, NULL), 3);
        }
        show_progress(im, 0);
    }
    return 0;
}

/* Every line of in; 0, or the status the import stopped with. */
static int import_lines(apr_pool_t *p, import_t *im, FILE *in)
{
    apr_pool_t *scratch;
    char *line = NULL;
    size_t size = 0;
    ssize_t length;
    long lineno = 0;
    int status = 0;
    const char *why;

    apr_pool_create(&scratch, p);
    im->batch_first_line = 1;
    while (status == 0 && (length = getline(&line, &size, in)) >= 0) {
        lineno++;
        while (length > 0 && (line[length - 1] == '\n' || line[length - 1] == '\r')) {
            line[--length] = '\0';
        }
        if (length > 0 && line[0] != '#') {
            status = import_line(p, im, scratch, line, lineno);
            apr_pool_clear(scratch);
        }
    }
    free(line);
    if (status == 0 && ferror(in)) {
        finish(im, 0);
        status = stopped(im, lineno + 1, apr_psprintf(p, "read error: %s", strerror(errno)), 2);
    }
    if (status == 0 && (why = finish(im, 1)) != NULL) {
        status = stopped(im, lineno, apr_pstrcat(p, "commit: ", why, NULL), 3);
    }
    return status;
}

int mauth_admin_import(apr_pool_t *p, mauth_admin_store_t *store, const char *kind,
                       const char *path)
{
    import_t im;
    FILE *in;
    const char *why;
    int status;

    memset(&im, 0, sizeof(im));
    im.store = store;
    for (im.kind = kinds; im.kind->kind && strcmp(im.kind->kind, kind); im.kind++)
        ;
    if (!im.kind->kind) {
        fprintf(stderr, "mauth-admin: import users, certs or sessions, not '%s'\n"
                "(mauth-admin --help for usage)\n", kind);
        return 2;
    }
    in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!in) {
        fprintf(stderr, "mauth-admin: cannot read %s: %s\n", path, strerror(errno));
        return 2;
    }
    apr_snprintf(im.now, sizeof(im.now), "%" APR_TIME_T_FMT, apr_time_sec(apr_time_now()));
    im.progress = isatty(STDERR_FILENO);
    clock_gettime(CLOCK_MONOTONIC, &im.started);
    if ((why = prepare(&im, im.kind->sql ? im.kind->sql : cert_for_user_sql,
                       &im.statement)) != NULL
        || (!im.kind->sql && (why = prepare(&im, cert_for_org_sql, &im.org_statement)))) {
        status = stopped(&im, 0, apr_pstrcat(p, "store error: ", why, NULL), 3);
    }
    else if ((status = import_lines(p, &im, in)) == 0) {
        double s = seconds_since(&im.started);
        show_progress(&im, 1);
        printf("%ld %s imported in %.1f s (%.0f rows/s)\n", im.imported, kind, s,
               s > 0 ? im.imported / s : 0.0);
    }
    if (in != stdin) {
        fclose(in);
    }
    return status;
}
