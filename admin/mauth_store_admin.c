/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mauth_store_admin.c: the writes behind mauth-admin (organisations,
 * profiles, users, permissions, certificates, sessions) over apr_dbd.
 * The statements are one-off (prepared without a label): a command runs
 * each a handful of times at most.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <apr_file_info.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "mauth_store_admin.h"

static mauth_store_status_e fail(mauth_admin_store_t *s, mauth_store_status_e status,
                                 const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static mauth_store_status_e fail(mauth_admin_store_t *s, mauth_store_status_e status,
                                 const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    s->message = apr_pvsprintf(s->pool, fmt, ap);
    va_end(ap);
    return status;
}

static const char *i64(apr_pool_t *p, apr_int64_t value)
{
    return apr_psprintf(p, "%" APR_INT64_T_FMT, value);
}

static apr_int64_t to_i64(const char *value)
{
    return value && *value ? apr_atoi64(value) : 0;
}

static mauth_store_status_e prepare(mauth_admin_store_t *s, const char *sql,
                                    apr_dbd_prepared_t **statement)
{
    int rv;

    *statement = NULL;
    rv = apr_dbd_prepare(s->driver, s->pool, s->handle, sql, NULL, statement);
    if (rv != 0) {
        return fail(s, MAUTH_STORE_ERROR, "%s",
                    mauth_store_driver_error(s->pool, s->driver, s->handle, rv));
    }
    return MAUTH_STORE_OK;
}

static mauth_store_status_e run_select(mauth_admin_store_t *s, const char *sql,
                                       int nargs, const char **args, int min_cols,
                                       mauth_store_rows_t *rows)
{
    apr_dbd_prepared_t *statement;
    const char *err = NULL;

    if (prepare(s, sql, &statement) != MAUTH_STORE_OK) {
        return MAUTH_STORE_ERROR;
    }
    if (mauth_store_select(s->pool, s->driver, s->handle, statement, "query",
                           nargs, args, min_cols, rows, &err) != MAUTH_STORE_OK) {
        return fail(s, MAUTH_STORE_ERROR, "%s", err);
    }
    return MAUTH_STORE_OK;
}

/* The first column of the first row, or NULL when there is no row. */
static mauth_store_status_e select_value(mauth_admin_store_t *s, const char *sql,
                                         int nargs, const char **args,
                                         const char **value)
{
    mauth_store_rows_t rows;

    *value = NULL;
    if (run_select(s, sql, nargs, args, 1, &rows) != MAUTH_STORE_OK) {
        return MAUTH_STORE_ERROR;
    }
    if (rows.rows->nelts > 0) {
        *value = APR_ARRAY_IDX(rows.rows, 0, const char **)[0];
    }
    return MAUTH_STORE_OK;
}

static mauth_store_status_e run_query(mauth_admin_store_t *s, const char *sql,
                                      int nargs, const char **args, int *nrows)
{
    apr_dbd_prepared_t *statement;
    int rv, ignored;

    if (prepare(s, sql, &statement) != MAUTH_STORE_OK) {
        return MAUTH_STORE_ERROR;
    }
    rv = apr_dbd_pquery(s->driver, s->pool, s->handle, nrows ? nrows : &ignored,
                        statement, nargs, args);
    if (rv != 0) {
        return fail(s, MAUTH_STORE_ERROR, "%s",
                    mauth_store_driver_error(s->pool, s->driver, s->handle, rv));
    }
    return MAUTH_STORE_OK;
}

/* Ends a transaction: commit when status is OK, roll back otherwise. */
static mauth_store_status_e end_transaction(mauth_admin_store_t *s,
                                            apr_dbd_transaction_t *trans,
                                            mauth_store_status_e status)
{
    int rv;

    if (status != MAUTH_STORE_OK) {
        apr_dbd_transaction_mode_set(s->driver, trans, APR_DBD_TRANSACTION_ROLLBACK);
    }
    rv = apr_dbd_transaction_end(s->driver, s->pool, trans);
    if (rv != 0 && status == MAUTH_STORE_OK) {
        return fail(s, MAUTH_STORE_ERROR, "commit: %s",
                    mauth_store_driver_error(s->pool, s->driver, s->handle, rv));
    }
    return status;
}

static mauth_store_status_e begin_transaction(mauth_admin_store_t *s,
                                              apr_dbd_transaction_t **trans)
{
    int rv;

    *trans = NULL;
    rv = apr_dbd_transaction_start(s->driver, s->pool, s->handle, trans);
    if (rv != 0) {
        return fail(s, MAUTH_STORE_ERROR, "begin: %s",
                    mauth_store_driver_error(s->pool, s->driver, s->handle, rv));
    }
    return MAUTH_STORE_OK;
}

/* ------------------------------------------------------ connection, schema */

const char *mauth_admin_schema_sql(const char *driver_name)
{
    if (strcmp(driver_name, "sqlite3") == 0) {
        return mauth_schema_sqlite;
    }
    if (strcmp(driver_name, "pgsql") == 0) {
        return mauth_schema_pgsql;
    }
    return NULL;
}

mauth_store_status_e mauth_admin_open(apr_pool_t *p, const char *driver_name,
                                      const char *params, int create,
                                      mauth_admin_store_t **store,
                                      const char **err)
{
    mauth_admin_store_t *s;
    apr_finfo_t finfo;
    const char *open_error = NULL;
    apr_status_t rv;
    int nrows;

    *store = NULL;
    if (!mauth_admin_schema_sql(driver_name)) {
        *err = apr_psprintf(p, "unsupported driver '%s' (sqlite3 or pgsql)",
                            driver_name);
        return MAUTH_STORE_ERROR;
    }
    /* sqlite3_open would quietly create an empty database for a typo. */
    if (strcmp(driver_name, "sqlite3") == 0 && !create
        && apr_stat(&finfo, params, APR_FINFO_TYPE, p) != APR_SUCCESS) {
        *err = apr_psprintf(p, "no SQLite database at %s (create it with "
                            "`mauth-admin init`)", params);
        return MAUTH_STORE_ERROR;
    }
    s = apr_pcalloc(p, sizeof(*s));
    s->pool = p;
    s->driver_name = driver_name;
    s->prepared = apr_hash_make(p);
    apr_dbd_init(p);
    rv = apr_dbd_get_driver(p, driver_name, &s->driver);
    if (rv != APR_SUCCESS) {
        *err = apr_psprintf(p, "cannot load the apr_dbd %s driver%s", driver_name,
                            rv == APR_EDSOOPEN ? " (is libaprutil1-dbd-"
                            "sqlite3/-pgsql installed?)" : "");
        return MAUTH_STORE_ERROR;
    }
    rv = apr_dbd_open_ex(s->driver, p, params, &s->handle, &open_error);
    if (rv != APR_SUCCESS || !s->handle) {
        *err = apr_psprintf(p, "cannot open the %s store: %s", driver_name,
                            open_error ? open_error : "connection failed");
        return MAUTH_STORE_ERROR;
    }
    if (strcmp(driver_name, "sqlite3") == 0) {
        /* SQLite enforces REFERENCES only when asked, per connection. */
        apr_dbd_query(s->driver, s->handle, &nrows, "PRAGMA foreign_keys = ON");
    }
    *store = s;
    return MAUTH_STORE_OK;
}

void mauth_admin_close(mauth_admin_store_t *s)
{
    if (s && s->handle) {
        apr_dbd_close(s->driver, s->handle);
        s->handle = NULL;
    }
}

/* Whether a line holds only a "--" comment or blanks. */
static int comment_or_blank(const char *line, const char *end)
{
    while (line < end && apr_isspace(*line)) {
        line++;
    }
    return line == end || (end - line >= 2 && line[0] == '-' && line[1] == '-');
}

mauth_store_status_e mauth_admin_create_schema(mauth_admin_store_t *s,
                                               const char *schema_sql)
{
    apr_dbd_transaction_t *trans;
    const char *line, *eol, *last;
    char *statement;
    apr_size_t length = 0;
    mauth_store_status_e status = MAUTH_STORE_OK;
    int rv, nrows, count = 0;

    if (begin_transaction(s, &trans) != MAUTH_STORE_OK) {
        return MAUTH_STORE_ERROR;
    }
    /* apr_dbd_query runs one statement on SQLite: split on a ';' ending a
     * line, as the schema files promise. */
    statement = apr_palloc(s->pool, strlen(schema_sql) + 1);
    for (line = schema_sql; *line && status == MAUTH_STORE_OK; line = eol) {
        eol = strchr(line, '\n');
        eol = eol ? eol + 1 : line + strlen(line);
        if (comment_or_blank(line, eol)) {
            continue;
        }
        memcpy(statement + length, line, eol - line);
        length += eol - line;
        statement[length] = '\0';
        for (last = statement + length; last > statement && apr_isspace(last[-1]); last--)
            ;
        if (last > statement && last[-1] == ';') {
            statement[last - 1 - statement] = '\0';
            rv = apr_dbd_query(s->driver, s->handle, &nrows, statement);
            if (rv != 0) {
                status = fail(s, MAUTH_STORE_ERROR, "schema statement %d: %s",
                              count + 1,
                              mauth_store_driver_error(s->pool, s->driver, s->handle, rv));
            }
            count++;
            length = 0;
        }
    }
    if (status == MAUTH_STORE_OK && length > 0) {
        status = fail(s, MAUTH_STORE_ERROR, "the schema ends without ';'");
    }
    return end_transaction(s, trans, status);
}

mauth_store_status_e mauth_admin_check_schema(mauth_admin_store_t *s)
{
    const char *version = NULL;
    const char *err = NULL;

    if (select_value(s, "SELECT MAX(version) FROM mauth_schema_version",
                     0, NULL, &version) != MAUTH_STORE_OK) {
        return fail(s, MAUTH_STORE_ERROR, "the store has no mod_mauth schema "
                    "(create it with `mauth-admin init`): %s", s->message);
    }
    if (!version || !*version) {
        return fail(s, MAUTH_STORE_ERROR, "the store records no schema version "
                    "(run `mauth-admin init`)");
    }
    if (atoi(version) != MAUTH_STORE_SCHEMA_VERSION) {
        return fail(s, MAUTH_STORE_ERROR, "the store has schema version %s; this "
                    "tool knows version %d", version, MAUTH_STORE_SCHEMA_VERSION);
    }
    if (mauth_store_prepare_all(s->pool, s->driver, s->handle, s->prepared,
                                &err) != MAUTH_STORE_OK) {
        return fail(s, MAUTH_STORE_ERROR, "%s", err);
    }
    return MAUTH_STORE_OK;
}

/* ----------------------------------------------------------- organisations */

static mauth_store_status_e org_id(mauth_admin_store_t *s, const char *name,
                                   const char **id)
{
    const char *args[1] = { name };

    if (select_value(s, "SELECT id FROM mauth_org WHERE name = %s",
                     1, args, id) != MAUTH_STORE_OK) {
        return MAUTH_STORE_ERROR;
    }
    if (!*id) {
        return fail(s, MAUTH_STORE_NOT_FOUND, "no organisation named '%s'", name);
    }
    return MAUTH_STORE_OK;
}

mauth_store_status_e mauth_admin_org_add(mauth_admin_store_t *s, const char *name)
{
    const char *args[1] = { name };
    const char *id;
    mauth_store_status_e status = org_id(s, name, &id);

    if (status == MAUTH_STORE_OK) {
        return fail(s, MAUTH_STORE_EXISTS, "organisation '%s' already exists", name);
    }
    if (status == MAUTH_STORE_ERROR) {
        return status;
    }
    return run_query(s, "INSERT INTO mauth_org (name, mutual_auth_enabled)"
                     " VALUES (%s, 0)", 1, args, NULL);
}

mauth_store_status_e mauth_admin_org_list(mauth_admin_store_t *s,
                                          apr_array_header_t **orgs)
{
    mauth_store_rows_t rows;
    mauth_admin_org_t *org;
    const char **row;
    int i;

    if (run_select(s, "SELECT o.id, o.name, o.mutual_auth_enabled,"
                   " (SELECT COUNT(*) FROM mauth_user u WHERE u.org_id = o.id),"
                   " (SELECT COUNT(*) FROM mauth_certificate c WHERE c.org_id = o.id)"
                   " FROM mauth_org o ORDER BY o.name",
                   0, NULL, 5, &rows) != MAUTH_STORE_OK) {
        return MAUTH_STORE_ERROR;
    }
    *orgs = apr_array_make(s->pool, rows.rows->nelts, sizeof(mauth_admin_org_t));
    for (i = 0; i < rows.rows->nelts; i++) {
        row = APR_ARRAY_IDX(rows.rows, i, const char **);
        org = apr_array_push(*orgs);
        org->id = row[0];
        org->name = row[1];
        org->mutual_auth = mauth_store_bool(row[2]);
        org->users = atoi(row[3] ? row[3] : "0");
        org->certificates = atoi(row[4] ? row[4] : "0");
    }
    return MAUTH_STORE_OK;
}

mauth_store_status_e mauth_admin_org_set_mutual_auth(mauth_admin_store_t *s,
                                                     const char *name, int on)
{
    const char *args[1] = { name };
    int nrows = 0;

    if (run_query(s, on ? "UPDATE mauth_org SET mutual_auth_enabled = 1 WHERE name = %s"
                        : "UPDATE mauth_org SET mutual_auth_enabled = 0 WHERE name = %s",
                  1, args, &nrows) != MAUTH_STORE_OK) {
        return MAUTH_STORE_ERROR;
    }
    if (nrows == 0) {
        return fail(s, MAUTH_STORE_NOT_FOUND, "no organisation named '%s'", name);
    }
    return MAUTH_STORE_OK;
}

/* ---------------------------------------------------------------- profiles */

static mauth_store_status_e profile_id(mauth_admin_store_t *s, const char *org,
                                       const char *name, const char **id)
{
    const char *args[2] = { org, name };

    if (select_value(s, "SELECT p.id FROM mauth_profile p"
                     " JOIN mauth_org o ON o.id = p.org_id"
                     " WHERE o.name = %s AND p.name = %s",
                     2, args, id) != MAUTH_STORE_OK) {
        return MAUTH_STORE_ERROR;
    }
    if (!*id) {
        return fail(s, MAUTH_STORE_NOT_FOUND,
                    "no profile '%s' in organisation '%s'", name, org);
    }
    return MAUTH_STORE_OK;
}

mauth_store_status_e mauth_admin_profile_add(mauth_admin_store_t *s,
                                             const char *org, const char *name)
{
    const char *args[2] = { name, org };
    const char *id;
    mauth_store_status_e status;

    if ((status = org_id(s, org, &id)) != MAUTH_STORE_OK) {
        return status;
    }
    status = profile_id(s, org, name, &id);
    if (status == MAUTH_STORE_OK) {
        return fail(s, MAUTH_STORE_EXISTS,
                    "profile '%s' already exists in organisation '%s'", name, org);
    }
    if (status == MAUTH_STORE_ERROR) {
        return status;
    }
    return run_query(s, "INSERT INTO mauth_profile (org_id, name, enforce_mutual_auth)"
                     " SELECT id, %s, 0 FROM mauth_org WHERE name = %s",
                     2, args, NULL);
}

mauth_store_status_e mauth_admin_profile_list(mauth_admin_store_t *s,
                                              apr_array_header_t **profiles)
{
    mauth_store_rows_t rows;
    mauth_admin_profile_t *profile;
    const char **row;
    int i;

    if (run_select(s, "SELECT p.id, o.name, p.name, p.enforce_mutual_auth,"
                   " (SELECT COUNT(*) FROM mauth_user_profile up"
                   "  WHERE up.profile_id = p.id)"
                   " FROM mauth_profile p JOIN mauth_org o ON o.id = p.org_id"
                   " ORDER BY o.name, p.name",
                   0, NULL, 5, &rows) != MAUTH_STORE_OK) {
        return MAUTH_STORE_ERROR;
    }
    *profiles = apr_array_make(s->pool, rows.rows->nelts,
                               sizeof(mauth_admin_profile_t));
    for (i = 0; i < rows.rows->nelts; i++) {
        row = APR_ARRAY_IDX(rows.rows, i, const char **);
        profile = apr_array_push(*profiles);
        profile->id = row[0];
        profile->org_name = row[1];
        profile->name = row[2];
        profile->enforce = mauth_store_bool(row[3]);
        profile->users = atoi(row[4] ? row[4] : "0");
    }
    return MAUTH_STORE_OK;
}

mauth_store_status_e mauth_admin_profile_set_enforce(mauth_admin_store_t *s,
                                                     const char *org,
                                                     const char *name, int on)
{
    const char *args[1];
    const char *id;
    mauth_store_status_e status;

    if ((status = org_id(s, org, &id)) != MAUTH_STORE_OK
        || (status = profile_id(s, org, name, &id)) != MAUTH_STORE_OK) {
        return status;
    }
    args[0] = id;
    return run_query(s, on ? "UPDATE mauth_profile SET enforce_mutual_auth = 1"
                             " WHERE id = CAST(%s AS BIGINT)"
                           : "UPDATE mauth_profile SET enforce_mutual_auth = 0"
                             " WHERE id = CAST(%s AS BIGINT)",
                     1, args, NULL);
}

/* ------------------------------------------------------------------- users */

static mauth_store_status_e user_ids(mauth_admin_store_t *s, const char *username,
                                     const char **id, const char **org)
{
    mauth_store_rows_t rows;
    const char *args[1] = { username };
    const char **row;

    if (run_select(s, "SELECT id, org_id FROM mauth_user WHERE username = %s",
                   1, args, 2, &rows) != MAUTH_STORE_OK) {
        return MAUTH_STORE_ERROR;
    }
    if (rows.rows->nelts == 0) {
        return fail(s, MAUTH_STORE_NOT_FOUND, "no user named '%s'", username);
    }
    row = APR_ARRAY_IDX(rows.rows, 0, const char **);
    *id = row[0];
    if (org) {
        *org = row[1];
    }
    return MAUTH_STORE_OK;
}

mauth_store_status_e mauth_admin_user_add(mauth_admin_store_t *s,
                                          const char *org, const char *username,
                                          const apr_array_header_t *profiles)
{
    apr_dbd_transaction_t *trans;
    const char *args[2];
    const char *id;
    const char **profile_ids;
    mauth_store_status_e status;
    int i;

    if ((status = org_id(s, org, &id)) != MAUTH_STORE_OK) {
        return status;
    }
    status = user_ids(s, username, &id, NULL);
    if (status == MAUTH_STORE_OK) {
        return fail(s, MAUTH_STORE_EXISTS, "user '%s' already exists", username);
    }
    if (status == MAUTH_STORE_ERROR) {
        return status;
    }
    /* Every profile must exist before anything is written. */
    profile_ids = apr_pcalloc(s->pool, (profiles->nelts + 1) * sizeof(*profile_ids));
    for (i = 0; i < profiles->nelts; i++) {
        status = profile_id(s, org, APR_ARRAY_IDX(profiles, i, const char *),
                            &profile_ids[i]);
        if (status != MAUTH_STORE_OK) {
            return status;
        }
    }
    if (begin_transaction(s, &trans) != MAUTH_STORE_OK) {
        return MAUTH_STORE_ERROR;
    }
    args[0] = username;
    args[1] = org;
    status = run_query(s, "INSERT INTO mauth_user (org_id, username, enforce_mutual_auth)"
                       " SELECT id, %s, 0 FROM mauth_org WHERE name = %s",
                       2, args, NULL);
    for (i = 0; status == MAUTH_STORE_OK && i < profiles->nelts; i++) {
        args[0] = profile_ids[i];
        args[1] = username;
        /* NOT EXISTS: the same --profile given twice is harmless. */
        status = run_query(s, "INSERT INTO mauth_user_profile (user_id, profile_id)"
                           " SELECT u.id, p.id FROM mauth_user u, mauth_profile p"
                           " WHERE p.id = CAST(%s AS BIGINT) AND u.username = %s"
                           " AND NOT EXISTS (SELECT 1 FROM mauth_user_profile x"
                           "   WHERE x.user_id = u.id AND x.profile_id = p.id)",
                           2, args, NULL);
    }
    return end_transaction(s, trans, status);
}

mauth_store_status_e mauth_admin_user_list(mauth_admin_store_t *s,
                                           apr_array_header_t **users)
{
    mauth_store_rows_t rows, memberships;
    mauth_store_user_t decided;
    mauth_admin_user_t *user;
    const char **row;
    const char *err = NULL;
    mauth_store_status_e status;
    int i, j;

    if (run_select(s, "SELECT u.id, u.username, o.name, u.enforce_mutual_auth"
                   " FROM mauth_user u JOIN mauth_org o ON o.id = u.org_id"
                   " ORDER BY o.name, u.username",
                   0, NULL, 4, &rows) != MAUTH_STORE_OK
        || run_select(s, "SELECT up.user_id, p.name FROM mauth_user_profile up"
                      " JOIN mauth_profile p ON p.id = up.profile_id"
                      " ORDER BY p.name",
                      0, NULL, 2, &memberships) != MAUTH_STORE_OK) {
        return MAUTH_STORE_ERROR;
    }
    *users = apr_array_make(s->pool, rows.rows->nelts, sizeof(mauth_admin_user_t));
    for (i = 0; i < rows.rows->nelts; i++) {
        row = APR_ARRAY_IDX(rows.rows, i, const char **);
        user = apr_array_push(*users);
        memset(user, 0, sizeof(*user));
        user->id = row[0];
        user->username = row[1];
        user->org_name = row[2];
        user->own_permission = mauth_store_bool(row[3]);
        user->profiles = "";
        for (j = 0; j < memberships.rows->nelts; j++) {
            const char **m = APR_ARRAY_IDX(memberships.rows, j, const char **);
            if (strcmp(m[0], user->id) == 0) {
                user->profiles = *user->profiles
                               ? apr_pstrcat(s->pool, user->profiles, ",", m[1], NULL)
                               : m[1];
            }
        }
        /* Enforcement as the module computes it: through the runtime query. */
        status = mauth_store_user_by_name(s->pool, s->driver, s->handle, s->prepared,
                                          NULL, user->username, &decided, &err);
        if (status == MAUTH_STORE_ERROR) {
            return fail(s, MAUTH_STORE_ERROR, "%s", err);
        }
        if (status == MAUTH_STORE_OK) {
            user->org_mutual_auth = decided.org_mutual_auth;
            user->user_permission = decided.user_permission;
            user->enforced = decided.enforced;
        }
    }
    return MAUTH_STORE_OK;
}

mauth_store_status_e mauth_admin_user_set_enforce(mauth_admin_store_t *s,
                                                  const char *username, int on)
{
    const char *args[1] = { username };
    int nrows = 0;

    if (run_query(s, on ? "UPDATE mauth_user SET enforce_mutual_auth = 1 WHERE username = %s"
                        : "UPDATE mauth_user SET enforce_mutual_auth = 0 WHERE username = %s",
                  1, args, &nrows) != MAUTH_STORE_OK) {
        return MAUTH_STORE_ERROR;
    }
    if (nrows == 0) {
        return fail(s, MAUTH_STORE_NOT_FOUND, "no user named '%s'", username);
    }
    return MAUTH_STORE_OK;
}

/* ------------------------------------------------------------ certificates */

mauth_store_status_e mauth_admin_cert_add(mauth_admin_store_t *s,
                                          const char *org, const char *username,
                                          const mauth_admin_cert_t *cert,
                                          apr_int64_t now)
{
    const char *owner_org = NULL, *owner_user = NULL, *existing = NULL;
    const char *owner_text;
    const char *args[10];
    mauth_store_status_e status;

    if (username) {
        status = user_ids(s, username, &owner_user, &owner_org);
        owner_text = apr_psprintf(s->pool, "user '%s'", username);
    }
    else {
        status = org_id(s, org, &owner_org);
        owner_text = apr_psprintf(s->pool, "organisation '%s'", org);
    }
    if (status != MAUTH_STORE_OK) {
        return status;
    }
    args[0] = owner_org;
    args[1] = owner_user ? owner_user : "0";      /* 0: the org-wide owner */
    args[2] = cert->sha256;
    if (select_value(s, "SELECT id FROM mauth_certificate"
                     " WHERE org_id = CAST(%s AS BIGINT)"
                     " AND COALESCE(user_id, 0) = CAST(%s AS BIGINT) AND sha256 = %s",
                     3, args, &existing) != MAUTH_STORE_OK) {
        return MAUTH_STORE_ERROR;
    }
    if (existing) {
        return fail(s, MAUTH_STORE_EXISTS, "certificate %s is already uploaded "
                    "for %s", cert->sha256, owner_text);
    }
    args[0] = owner_org;
    args[1] = cert->sha256;
    args[2] = cert->subject;
    args[3] = cert->issuer;
    args[4] = cert->serial;
    args[5] = i64(s->pool, cert->not_before);
    args[6] = i64(s->pool, cert->not_after);
    args[7] = cert->pem;
    args[8] = i64(s->pool, now);
    args[9] = owner_user;
    /* Two texts rather than a NULL parameter, which not every apr_dbd
     * driver binds as SQL NULL. */
    if (owner_user) {
        return run_query(s, "INSERT INTO mauth_certificate (org_id, sha256, subject,"
                         " issuer, serial, not_before, not_after, pem, active, created,"
                         " user_id) VALUES (CAST(%s AS BIGINT), %s, %s, %s, %s,"
                         " CAST(%s AS BIGINT), CAST(%s AS BIGINT), %s, 1,"
                         " CAST(%s AS BIGINT), CAST(%s AS BIGINT))",
                         10, args, NULL);
    }
    return run_query(s, "INSERT INTO mauth_certificate (org_id, sha256, subject,"
                     " issuer, serial, not_before, not_after, pem, active, created)"
                     " VALUES (CAST(%s AS BIGINT), %s, %s, %s, %s,"
                     " CAST(%s AS BIGINT), CAST(%s AS BIGINT), %s, 1,"
                     " CAST(%s AS BIGINT))",
                     9, args, NULL);
}

mauth_store_status_e mauth_admin_cert_list(mauth_admin_store_t *s,
                                           const char *org, const char *username,
                                           apr_array_header_t **certs)
{
    mauth_store_rows_t rows;
    mauth_admin_cert_t *cert;
    const char *args[4];
    const char **row;
    int i;

    args[0] = args[1] = org ? org : "";
    args[2] = args[3] = username ? username : "";
    if (run_select(s, "SELECT c.id, o.name, u.username,"
                   " CASE WHEN c.user_id IS NULL THEN 1 ELSE 0 END,"
                   " c.sha256, c.subject, c.issuer, c.serial,"
                   " c.not_before, c.not_after, c.active, c.created"
                   " FROM mauth_certificate c"
                   " JOIN mauth_org o ON o.id = c.org_id"
                   " LEFT JOIN mauth_user u ON u.id = c.user_id"
                   " WHERE (CAST(%s AS TEXT) = '' OR o.name = %s)"
                   " AND (CAST(%s AS TEXT) = '' OR u.username = %s)"
                   " ORDER BY o.name, c.user_id, c.created, c.id",
                   4, args, 12, &rows) != MAUTH_STORE_OK) {
        return MAUTH_STORE_ERROR;
    }
    *certs = apr_array_make(s->pool, rows.rows->nelts, sizeof(mauth_admin_cert_t));
    for (i = 0; i < rows.rows->nelts; i++) {
        row = APR_ARRAY_IDX(rows.rows, i, const char **);
        cert = apr_array_push(*certs);
        memset(cert, 0, sizeof(*cert));
        cert->id = row[0];
        cert->org_name = row[1];
        cert->username = mauth_store_bool(row[3]) ? NULL : row[2];
        cert->sha256 = row[4];
        cert->subject = row[5];
        cert->issuer = row[6];
        cert->serial = row[7];
        cert->not_before = to_i64(row[8]);
        cert->not_after = to_i64(row[9]);
        cert->active = mauth_store_bool(row[10]);
        cert->created = to_i64(row[11]);
    }
    return MAUTH_STORE_OK;
}

mauth_store_status_e mauth_admin_cert_remove(mauth_admin_store_t *s,
                                             const char *sha256_hex, int *removed)
{
    const char *args[1];
    char *fingerprint = apr_pstrdup(s->pool, sha256_hex);
    char *c;

    for (c = fingerprint; *c; c++) {
        *c = apr_tolower(*c);
    }
    args[0] = fingerprint;
    *removed = 0;
    if (run_query(s, "DELETE FROM mauth_certificate WHERE sha256 = %s",
                  1, args, removed) != MAUTH_STORE_OK) {
        return MAUTH_STORE_ERROR;
    }
    if (*removed == 0) {
        return fail(s, MAUTH_STORE_NOT_FOUND, "no certificate with SHA-256 %s",
                    fingerprint);
    }
    return MAUTH_STORE_OK;
}

/* ---------------------------------------------------------------- sessions */

mauth_store_status_e mauth_admin_session_create(mauth_admin_store_t *s,
                                                const char *username,
                                                const char *token,
                                                apr_int64_t expires,
                                                apr_int64_t now)
{
    const char *args[4];
    const char *id, *existing = NULL;
    mauth_store_status_e status;

    if ((status = user_ids(s, username, &id, NULL)) != MAUTH_STORE_OK) {
        return status;
    }
    args[0] = token;
    if (select_value(s, "SELECT user_id FROM mauth_session WHERE token = %s",
                     1, args, &existing) != MAUTH_STORE_OK) {
        return MAUTH_STORE_ERROR;
    }
    if (existing) {
        return fail(s, MAUTH_STORE_EXISTS, "that session token is already in use");
    }
    args[0] = token;
    args[1] = id;
    args[2] = i64(s->pool, expires);
    args[3] = i64(s->pool, now);
    return run_query(s, "INSERT INTO mauth_session (token, user_id, expires, created)"
                     " VALUES (%s, CAST(%s AS BIGINT), CAST(%s AS BIGINT),"
                     " CAST(%s AS BIGINT))",
                     4, args, NULL);
}

mauth_store_status_e mauth_admin_session_end(mauth_admin_store_t *s,
                                             const char *token, apr_int64_t now,
                                             const char **username)
{
    apr_dbd_transaction_t *trans;
    mauth_store_rows_t rows;
    const char *args[1] = { token };
    const char **row = NULL;
    mauth_store_status_e status;

    *username = NULL;
    if (begin_transaction(s, &trans) != MAUTH_STORE_OK) {
        return MAUTH_STORE_ERROR;
    }
    status = run_select(s, "SELECT u.username, s.expires FROM mauth_session s"
                        " JOIN mauth_user u ON u.id = s.user_id WHERE s.token = %s",
                        1, args, 2, &rows);
    if (status == MAUTH_STORE_OK && rows.rows->nelts > 0) {
        row = APR_ARRAY_IDX(rows.rows, 0, const char **);
        status = run_query(s, "DELETE FROM mauth_session WHERE token = %s", 1, args, NULL);
    }
    status = end_transaction(s, trans, status);
    if (status != MAUTH_STORE_OK) {
        return status;
    }
    if (!row || to_i64(row[1]) <= now) {
        return fail(s, MAUTH_STORE_NOT_FOUND, "no live session has that token%s",
                    row ? " (an expired one was removed)" : "");
    }
    *username = row[0];
    return MAUTH_STORE_OK;
}

mauth_store_status_e mauth_admin_session_end_user(mauth_admin_store_t *s,
                                                  const char *username,
                                                  apr_int64_t now, int *ended)
{
    apr_dbd_transaction_t *trans;
    const char *args[2];
    const char *id, *live = NULL;
    mauth_store_status_e status;

    *ended = 0;
    if (begin_transaction(s, &trans) != MAUTH_STORE_OK) {
        return MAUTH_STORE_ERROR;
    }
    status = user_ids(s, username, &id, NULL);
    if (status == MAUTH_STORE_OK) {
        args[0] = id;
        args[1] = i64(s->pool, now);
        status = select_value(s, "SELECT COUNT(*) FROM mauth_session"
                              " WHERE user_id = CAST(%s AS BIGINT)"
                              " AND expires > CAST(%s AS BIGINT)", 2, args, &live);
    }
    if (status == MAUTH_STORE_OK) {
        status = run_query(s, "DELETE FROM mauth_session WHERE user_id = CAST(%s AS BIGINT)",
                           1, args, NULL);
    }
    status = end_transaction(s, trans, status);
    if (status == MAUTH_STORE_OK) {
        *ended = (int)to_i64(live);
    }
    return status;
}

mauth_store_status_e mauth_admin_session_list(mauth_admin_store_t *s,
                                              const char *username, apr_int64_t now,
                                              apr_array_header_t **sessions)
{
    mauth_store_rows_t rows;
    mauth_admin_session_t *session;
    const char *args[3];
    const char **row;
    const char *id;
    mauth_store_status_e status;
    int i;

    if (username && (status = user_ids(s, username, &id, NULL)) != MAUTH_STORE_OK) {
        return status;
    }
    args[0] = i64(s->pool, now);
    args[1] = args[2] = username ? username : "";
    if (run_select(s, "SELECT s.token, u.username, o.name, s.created, s.expires"
                   " FROM mauth_session s"
                   " JOIN mauth_user u ON u.id = s.user_id"
                   " JOIN mauth_org o ON o.id = u.org_id"
                   " WHERE s.expires > CAST(%s AS BIGINT)"
                   " AND (CAST(%s AS TEXT) = '' OR u.username = %s)"
                   " ORDER BY s.created, u.username, s.expires",
                   3, args, 5, &rows) != MAUTH_STORE_OK) {
        return MAUTH_STORE_ERROR;
    }
    *sessions = apr_array_make(s->pool, rows.rows->nelts, sizeof(mauth_admin_session_t));
    for (i = 0; i < rows.rows->nelts; i++) {
        row = APR_ARRAY_IDX(rows.rows, i, const char **);
        session = apr_array_push(*sessions);
        session->token = row[0];
        session->username = row[1];
        session->org_name = row[2];
        session->created = to_i64(row[3]);
        session->expires = to_i64(row[4]);
    }
    return MAUTH_STORE_OK;
}
