/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mauth_store.c: the request-time queries of the identity store, over
 * apr_dbd.  Linked into the module and the admin tool; no httpd headers.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_strings.h>
#include <apr_tables.h>
#include <apr_lib.h>

#include "mauth_store.h"

/*
 * Integer parameters are cast in the SQL: apr_dbd_pgsql prepares "%s" as
 * varchar, and PostgreSQL has no bigint = varchar operator.  SQLite accepts
 * the same CAST.
 */
#define USER_COLUMNS \
    "SELECT u.id, u.username, o.id, o.name, o.mutual_auth_enabled," \
    " CASE WHEN u.enforce_mutual_auth <> 0 OR EXISTS (" \
    "   SELECT 1 FROM mauth_user_profile up" \
    "   JOIN mauth_profile p ON p.id = up.profile_id" \
    "   WHERE up.user_id = u.id AND p.enforce_mutual_auth <> 0)" \
    " THEN 1 ELSE 0 END"
#define USER_NCOLS 6

const mauth_store_query_t mauth_store_queries[] = {
    { MAUTH_STORE_Q_USER_BY_NAME,
      USER_COLUMNS
      " FROM mauth_user u JOIN mauth_org o ON o.id = u.org_id"
      " WHERE u.username = %s" },
    { MAUTH_STORE_Q_USER_BY_SESSION,
      USER_COLUMNS
      " FROM mauth_session s"
      " JOIN mauth_user u ON u.id = s.user_id"
      " JOIN mauth_org o ON o.id = u.org_id"
      " WHERE s.token = %s AND s.expires > CAST(%s AS BIGINT)" },
    { MAUTH_STORE_Q_CERT_MATCH,
      "SELECT c.id, CASE WHEN c.user_id IS NULL THEN 1 ELSE 0 END"
      " FROM mauth_certificate c"
      " WHERE c.sha256 = %s AND c.active <> 0"
      " AND c.not_before <= CAST(%s AS BIGINT)"
      " AND c.not_after >= CAST(%s AS BIGINT)"
      " AND (c.user_id = CAST(%s AS BIGINT)"
      "      OR (c.user_id IS NULL AND c.org_id = CAST(%s AS BIGINT)))"
      " ORDER BY c.id" },
    { MAUTH_STORE_Q_SCHEMA_VERSION,
      "SELECT MAX(version) FROM mauth_schema_version" },
    { MAUTH_STORE_Q_CERTS_EXPIRING,
      "SELECT c.sha256, c.subject, COALESCE(u.username, ''), o.name, c.not_after"
      " FROM mauth_certificate c"
      " JOIN mauth_org o ON o.id = c.org_id"
      " LEFT JOIN mauth_user u ON u.id = c.user_id"
      " WHERE c.active <> 0 AND c.not_after <= CAST(%s AS BIGINT)"
      " ORDER BY CASE WHEN c.not_after < CAST(%s AS BIGINT) THEN 1 ELSE 0 END,"
      " c.not_after, c.id"
      " LIMIT " APR_STRINGIFY(MAUTH_STORE_EXPIRING_MAX) " + 1" },
    { NULL, NULL }
};

const char *mauth_store_query_sql(const char *label)
{
    const mauth_store_query_t *q;

    for (q = mauth_store_queries; label && q->label; q++) {
        if (strcmp(q->label, label) == 0) {
            return q->sql;
        }
    }
    return NULL;
}

int mauth_store_bool(const char *value)
{
    static const char *const truths[] = { "1", "t", "true", "y", "yes", "on", NULL };
    int i;

    for (i = 0; value && truths[i]; i++) {
        if (strcasecmp(value, truths[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

/* sqlite3_errstr() of SQLite's primary result codes, 0 to 28. */
static const char *const sqlite_results[] = {
    "not an error", "SQL logic error", "unknown error", "access permission denied",
    "query aborted", "database is locked", "database table is locked",
    "out of memory", "attempt to write a readonly database", "interrupted",
    "disk I/O error", "database disk image is malformed", "unknown operation",
    "database or disk is full", "unable to open database file", "locking protocol",
    "unknown error", "database schema has changed", "string or blob too big",
    "constraint failed", "datatype mismatch", "bad parameter or other API misuse",
    "unknown error", "authorization denied", "unknown error",
    "column index out of range", "file is not a database",
    "notification message", "warning message"
};

const char *mauth_store_driver_error(apr_pool_t *p, const apr_dbd_driver_t *driver,
                                     apr_dbd_t *handle, int rv)
{
    const char *text = handle ? apr_dbd_error(driver, handle, rv) : NULL;

    /*
     * apr_dbd_sqlite3 answers with sqlite3_errmsg(): the connection's last
     * message, not necessarily the failed call's.  The driver prepares with
     * the legacy sqlite3_prepare(), so a statement that failed once (a
     * schema change, a database file rewritten under the connection) fails
     * again at every use inside sqlite3_reset(), which leaves no message:
     * the text then reads "not an error".  The result code the driver
     * returned is all that is left; name it.
     */
    if (rv != 0 && (!text || !*text || strcmp(text, "not an error") == 0)) {
        if (strcmp(apr_dbd_name(driver), "sqlite3") == 0 && rv > 0
            && rv < (int)(sizeof(sqlite_results) / sizeof(sqlite_results[0]))) {
            return apr_psprintf(p, "SQLite result code %d (%s) without a message: "
                                "a statement of this connection failed before and "
                                "stays failed", rv, sqlite_results[rv]);
        }
        return apr_psprintf(p, "the %s driver failed with code %d and gave no message",
                            apr_dbd_name(driver), rv);
    }
    return mauth_store_one_line(p, text);
}

const char *mauth_store_one_line(apr_pool_t *p, const char *text)
{
    char *line, *c, *end;

    if (!text || !*text) {
        return "no message";
    }
    line = apr_pstrdup(p, text);
    for (c = line; *c; c++) {
        if (*c == '\n' || *c == '\r' || *c == '\t') {
            *c = ' ';
        }
    }
    for (end = c; end > line && end[-1] == ' '; end--) {
        end[-1] = '\0';
    }
    return line;
}

static apr_dbd_prepared_t *find_statement(apr_pool_t *p, apr_hash_t *prepared,
                                          const char *label, const char **err)
{
    apr_dbd_prepared_t *statement = NULL;

    if (prepared && label) {
        statement = apr_hash_get(prepared, label, APR_HASH_KEY_STRING);
    }
    if (!statement && err) {
        *err = apr_psprintf(p, "statement %s is not prepared",
                            label ? label : "(null)");
    }
    return statement;
}

/*
 * Runs a prepared select and reads every row, so the driver's cursor is
 * always finished.  random = 1 on purpose: in sequential mode apr_dbd_pgsql
 * reports an execution error as "no rows" (we would fail open) and sleeps
 * 0.1 s on every empty result.
 */
mauth_store_status_e mauth_store_select(apr_pool_t *p,
        const apr_dbd_driver_t *driver, apr_dbd_t *handle,
        apr_dbd_prepared_t *statement, const char *what,
        int nargs, const char **args, int min_cols,
        mauth_store_rows_t *result, const char **err)
{
    apr_dbd_results_t *results = NULL;
    apr_dbd_row_t *row = NULL;     /* the pgsql driver reuses one row object */
    const char **values;
    const char *value;
    int rv, col;

    if (!driver || !handle) {
        if (err) {
            *err = "no database connection";
        }
        return MAUTH_STORE_ERROR;
    }
    rv = apr_dbd_pselect(driver, p, handle, &results, statement, 1, nargs, args);
    if (rv != 0) {
        if (err) {
            *err = apr_psprintf(p, "%s: %s", what,
                                mauth_store_driver_error(p, driver, handle, rv));
        }
        return MAUTH_STORE_ERROR;
    }
    result->ncols = apr_dbd_num_cols(driver, results);
    result->rows = apr_array_make(p, 1, sizeof(const char **));
    while (apr_dbd_get_row(driver, p, results, &row, -1) == 0) {
        if (result->ncols < min_cols) {
            continue;             /* keep draining; reported below */
        }
        values = apr_pcalloc(p, result->ncols * sizeof(*values));
        for (col = 0; col < result->ncols; col++) {
            value = apr_dbd_get_entry(driver, row, col);
            values[col] = value ? apr_pstrdup(p, value) : NULL;
        }
        APR_ARRAY_PUSH(result->rows, const char **) = values;
    }
    if (result->ncols < min_cols) {
        /* A replacement query with too few columns: an operator error, so
         * fail closed rather than guess. */
        if (err) {
            *err = apr_psprintf(p, "%s returns %d columns, %d expected",
                                what, result->ncols, min_cols);
        }
        return MAUTH_STORE_ERROR;
    }
    return MAUTH_STORE_OK;
}

static mauth_store_status_e select_rows(apr_pool_t *p,
        const apr_dbd_driver_t *driver, apr_dbd_t *handle, apr_hash_t *prepared,
        const char *label, int nargs, const char **args, int min_cols,
        mauth_store_rows_t *result, const char **err)
{
    apr_dbd_prepared_t *statement = find_statement(p, prepared, label, err);

    if (!statement) {
        return MAUTH_STORE_ERROR;
    }
    return mauth_store_select(p, driver, handle, statement, label, nargs, args,
                              min_cols, result, err);
}

static int is_empty(const char *value)
{
    return !value || !*value;
}

static mauth_store_status_e read_user(apr_pool_t *p, const mauth_store_rows_t *result,
        const char *label, mauth_store_user_t *user, const char **err)
{
    const char **row;

    if (result->rows->nelts == 0) {
        return MAUTH_STORE_NOT_FOUND;
    }
    row = APR_ARRAY_IDX(result->rows, 0, const char **);
    memset(user, 0, sizeof(*user));
    user->user_id = row[0];
    user->username = row[1] ? row[1] : "";
    user->org_id = row[2];
    user->org_name = row[3] ? row[3] : "";
    user->org_mutual_auth = mauth_store_bool(row[4]);
    user->user_permission = mauth_store_bool(row[5]);
    user->enforced = user->org_mutual_auth && user->user_permission;
    if (is_empty(user->user_id) || is_empty(user->org_id)) {
        /* The certificate lookup needs both: fail closed. */
        if (err) {
            *err = apr_psprintf(p, "%s: the row has no user id or no "
                                "organisation id", label);
        }
        return MAUTH_STORE_ERROR;
    }
    return MAUTH_STORE_OK;
}

mauth_store_status_e mauth_store_user_by_name(apr_pool_t *p,
        const apr_dbd_driver_t *driver, apr_dbd_t *handle, apr_hash_t *prepared,
        const char *label, const char *username,
        mauth_store_user_t *user, const char **err)
{
    mauth_store_rows_t result;
    const char *args[1];
    mauth_store_status_e status;

    if (!label) {
        label = MAUTH_STORE_Q_USER_BY_NAME;
    }
    args[0] = username;
    status = select_rows(p, driver, handle, prepared, label, 1, args,
                         USER_NCOLS, &result, err);
    if (status != MAUTH_STORE_OK) {
        return status;
    }
    return read_user(p, &result, label, user, err);
}

mauth_store_status_e mauth_store_user_by_session(apr_pool_t *p,
        const apr_dbd_driver_t *driver, apr_dbd_t *handle, apr_hash_t *prepared,
        const char *label, const char *token, apr_time_t now,
        mauth_store_user_t *user, const char **err)
{
    mauth_store_rows_t result;
    const char *args[2];
    mauth_store_status_e status;

    if (!label) {
        label = MAUTH_STORE_Q_USER_BY_SESSION;
    }
    args[0] = token;
    args[1] = apr_psprintf(p, "%" APR_TIME_T_FMT, apr_time_sec(now));
    status = select_rows(p, driver, handle, prepared, label, 2, args,
                         USER_NCOLS, &result, err);
    if (status != MAUTH_STORE_OK) {
        return status;
    }
    return read_user(p, &result, label, user, err);
}

mauth_store_status_e mauth_store_certificate_matches(apr_pool_t *p,
        const apr_dbd_driver_t *driver, apr_dbd_t *handle, apr_hash_t *prepared,
        const mauth_store_user_t *user, const char *sha256_hex, apr_time_t now,
        mauth_store_match_t *match, const char **err)
{
    mauth_store_rows_t result;
    const char **row;
    const char *args[5];
    const char *now_text;
    char *fingerprint;
    char *c;
    mauth_store_status_e status;

    if (!user || !user->user_id || !user->org_id || !sha256_hex) {
        if (err) {
            *err = "certificate lookup without a user or a fingerprint";
        }
        return MAUTH_STORE_ERROR;
    }
    /* The admin tool stores lowercase hex. */
    fingerprint = apr_pstrdup(p, sha256_hex);
    for (c = fingerprint; *c; c++) {
        *c = apr_tolower(*c);
    }
    now_text = apr_psprintf(p, "%" APR_TIME_T_FMT, apr_time_sec(now));
    args[0] = fingerprint;
    args[1] = now_text;
    args[2] = now_text;
    args[3] = user->user_id;
    args[4] = user->org_id;
    status = select_rows(p, driver, handle, prepared, MAUTH_STORE_Q_CERT_MATCH,
                         5, args, 2, &result, err);
    if (status != MAUTH_STORE_OK) {
        return status;
    }
    if (result.rows->nelts == 0) {
        return MAUTH_STORE_NOT_FOUND;
    }
    if (match) {
        row = APR_ARRAY_IDX(result.rows, 0, const char **);
        match->cert_id = row[0];
        match->org_wide = mauth_store_bool(row[1]);
    }
    return MAUTH_STORE_OK;
}

mauth_store_status_e mauth_store_certificates_expiring(apr_pool_t *p,
        const apr_dbd_driver_t *driver, apr_dbd_t *handle, apr_hash_t *prepared,
        apr_time_t now, apr_time_t deadline, apr_array_header_t **certs, int *more,
        const char **err)
{
    mauth_store_rows_t result;
    mauth_store_expiring_t *cert;
    const char **row;
    const char *args[2];
    mauth_store_status_e status;
    int i;

    args[0] = apr_psprintf(p, "%" APR_TIME_T_FMT, apr_time_sec(deadline));
    args[1] = apr_psprintf(p, "%" APR_TIME_T_FMT, apr_time_sec(now));
    status = select_rows(p, driver, handle, prepared, MAUTH_STORE_Q_CERTS_EXPIRING,
                         2, args, 5, &result, err);
    if (status != MAUTH_STORE_OK) {
        return status;
    }
    *certs = apr_array_make(p, result.rows->nelts, sizeof(mauth_store_expiring_t));
    *more = result.rows->nelts > MAUTH_STORE_EXPIRING_MAX;
    for (i = 0; i < result.rows->nelts && i < MAUTH_STORE_EXPIRING_MAX; i++) {
        row = APR_ARRAY_IDX(result.rows, i, const char **);
        cert = apr_array_push(*certs);
        cert->sha256 = row[0];
        cert->subject = row[1];
        cert->username = is_empty(row[2]) ? NULL : row[2];
        cert->org_name = row[3];
        cert->not_after = apr_time_from_sec(apr_atoi64(row[4]));
    }
    return MAUTH_STORE_OK;
}

mauth_store_status_e mauth_store_schema_version(apr_pool_t *p,
        const apr_dbd_driver_t *driver, apr_dbd_t *handle, apr_hash_t *prepared,
        int *version, const char **err)
{
    mauth_store_rows_t result;
    const char *value;
    mauth_store_status_e status;

    status = select_rows(p, driver, handle, prepared,
                         MAUTH_STORE_Q_SCHEMA_VERSION, 0, NULL, 1, &result, err);
    if (status != MAUTH_STORE_OK) {
        return status;
    }
    value = result.rows->nelts
          ? APR_ARRAY_IDX(result.rows, 0, const char **)[0] : NULL;
    if (is_empty(value)) {
        return MAUTH_STORE_NOT_FOUND;
    }
    *version = atoi(value);
    return MAUTH_STORE_OK;
}

const mauth_store_ops_t mauth_store_dbd_ops = {
    "dbd",
    mauth_store_user_by_name,
    mauth_store_user_by_session,
    mauth_store_certificate_matches
};

mauth_store_status_e mauth_store_prepare(apr_pool_t *p,
        const apr_dbd_driver_t *driver, apr_dbd_t *handle, apr_hash_t *prepared,
        const char *label, const char *sql, const char **err)
{
    apr_dbd_prepared_t *statement = NULL;
    int rv;

    if (!sql) {
        sql = mauth_store_query_sql(label);
    }
    if (!sql) {
        if (err) {
            *err = apr_psprintf(p, "no SQL for statement %s", label);
        }
        return MAUTH_STORE_ERROR;
    }
    rv = apr_dbd_prepare(driver, p, handle, sql, label, &statement);
    if (rv != 0) {
        if (err) {
            *err = apr_psprintf(p, "preparing %s: %s", label,
                                mauth_store_driver_error(p, driver, handle, rv));
        }
        return MAUTH_STORE_ERROR;
    }
    apr_hash_set(prepared, apr_pstrdup(p, label), APR_HASH_KEY_STRING, statement);
    return MAUTH_STORE_OK;
}

mauth_store_status_e mauth_store_prepare_all(apr_pool_t *p,
        const apr_dbd_driver_t *driver, apr_dbd_t *handle, apr_hash_t *prepared,
        const char **err)
{
    const mauth_store_query_t *q;

    for (q = mauth_store_queries; q->label; q++) {
        if (mauth_store_prepare(p, driver, handle, prepared, q->label, q->sql,
                                err) != MAUTH_STORE_OK) {
            return MAUTH_STORE_ERROR;
        }
    }
    return MAUTH_STORE_OK;
}
