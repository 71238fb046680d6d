/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mauth_store_conn.c: store connections that a failure does not outlive.
 *
 * A pooled connection can keep failing after the database is whole again
 * (an SQLite connection that saw its file truncated, one whose file was
 * replaced by a rename and still reads the old one, a PostgreSQL
 * connection the server dropped), and nothing but a new connection
 * recovers.  Here: a connection of our own for one lookup, which tells a
 * bad connection from a store that is down; reopening a pooled connection
 * in place, with every statement of its group prepared again and its
 * initial SQL run again; and an SQLite file's identity, to notice a
 * replacement before reading from it.  APR DBD only; which connection to
 * use is the glue's business.
 */
#include <string.h>

#include <apr_file_info.h>
#include <apr_strings.h>

#include "mauth_core.h"
#include "mauth_store.h"

int mauth_store_file_now(apr_pool_t *p, const apr_dbd_driver_t *driver, const char *params,
                         mauth_store_file_t *file)
{
    apr_finfo_t finfo;

    memset(file, 0, sizeof(*file));
    if (strcmp(apr_dbd_name(driver), "sqlite3") != 0 || !params || !*params
        || apr_stat(&finfo, params, APR_FINFO_IDENT, p) != APR_SUCCESS) {
        return 0;
    }
    file->known = 1;
    file->device = finfo.device;
    file->inode = finfo.inode;
    return 1;
}

const char *mauth_store_file_changed(apr_pool_t *p, const char *params,
                                     const mauth_store_file_t *file)
{
    apr_finfo_t finfo;

    if (!file->known) {
        return NULL;
    }
    if (apr_stat(&finfo, params, APR_FINFO_IDENT, p) != APR_SUCCESS) {
        return apr_psprintf(p, "the SQLite database %s is gone", params);
    }
    if (finfo.device != file->device || finfo.inode != file->inode) {
        return apr_psprintf(p, "the SQLite database %s was replaced since this connection "
                            "opened it", params);
    }
    return NULL;
}

/* The initial SQL (DBDInitSQL), as mod_dbd runs it on each new connection. */
static int run_init_sql(apr_pool_t *p, const mauth_store_conn_spec_t *spec,
                        const apr_dbd_driver_t *driver, apr_dbd_t *handle, const char **err)
{
    int i, nrows, rv;

    for (i = 0; spec->init_queries && i < spec->init_queries->nelts; i++) {
        const char *sql = APR_ARRAY_IDX(spec->init_queries, i, const char *);
        if ((rv = apr_dbd_query(driver, handle, &nrows, sql)) != 0) {
            *err = apr_psprintf(p, "DBDInitSQL '%s': %s", sql,
                                mauth_store_driver_error(p, driver, handle, rv));
            return 0;
        }
    }
    return 1;
}

/* Our statements, and the operators' own queries. */
static int prepare_ours(apr_pool_t *p, const mauth_store_conn_spec_t *spec,
                        const apr_dbd_driver_t *driver, apr_dbd_t *handle,
                        apr_hash_t *prepared, const char **err)
{
    return mauth_store_prepare_all(p, driver, handle, prepared, err) == MAUTH_STORE_OK
           && (!spec->user_query
               || mauth_store_prepare(p, driver, handle, prepared, spec->user_label,
                                      spec->user_query, err) == MAUTH_STORE_OK)
           && (!spec->session_query
               || mauth_store_prepare(p, driver, handle, prepared, spec->session_label,
                                      spec->session_query, err) == MAUTH_STORE_OK);
}

static apr_status_t close_conn(void *data)
{
    mauth_store_conn_t *conn = data;

    apr_dbd_close(conn->driver, conn->handle);
    return APR_SUCCESS;
}

static apr_dbd_t *open_handle(apr_pool_t *pool, apr_pool_t *scratch,
                              const apr_dbd_driver_t *driver, const char *params,
                              const char **err)
{
    apr_dbd_t *handle = NULL;
    const char *open_error = NULL;

    if (apr_dbd_open_ex(driver, pool, params, &handle, &open_error) != APR_SUCCESS || !handle) {
        *err = apr_psprintf(scratch, "cannot connect: %s",
                            mauth_store_one_line(scratch, open_error));
        return NULL;
    }
    return handle;
}

int mauth_store_conn_open(apr_pool_t *parent, const apr_dbd_driver_t *driver,
                          const mauth_store_conn_spec_t *spec, int file_must_exist,
                          mauth_store_conn_t *conn, const char **err)
{
    apr_finfo_t finfo;

    memset(conn, 0, sizeof(*conn));
    conn->driver = driver;
    /* sqlite3_open() would create an empty database where the file went */
    if (file_must_exist && apr_stat(&finfo, spec->params, APR_FINFO_IDENT, parent)
                           != APR_SUCCESS) {
        *err = apr_psprintf(parent, "the SQLite database %s is gone (not created again)",
                            spec->params);
        return 0;
    }
    /* a pool of its own: nothing of a failed attempt is left behind,
     * however long the store is down */
    if (apr_pool_create(&conn->pool, parent) != APR_SUCCESS) {
        *err = "out of memory";
        return 0;
    }
    apr_pool_tag(conn->pool, "mauth_store_conn");
    if ((conn->handle = open_handle(conn->pool, parent, driver, spec->params, err)) == NULL) {
        apr_pool_destroy(conn->pool);
        return 0;
    }
    apr_pool_cleanup_register(conn->pool, conn, close_conn, apr_pool_cleanup_null);
    conn->prepared = apr_hash_make(conn->pool);
    if (!run_init_sql(parent, spec, driver, conn->handle, err)
        || !prepare_ours(parent, spec, driver, conn->handle, conn->prepared, err)) {
        apr_pool_destroy(conn->pool);
        return 0;
    }
    return 1;
}

/* Every statement of the group on a new handle: ours must prepare; another
 * module's that does not is only reported (it finds its statement missing,
 * as it would have found the old connection failing). */
static int prepare_group(apr_pool_t *pool, apr_pool_t *scratch,
                         const apr_dbd_driver_t *driver, apr_dbd_t *handle,
                         apr_hash_t *queries, apr_hash_t *prepared,
                         const mauth_logger_t *log, const char **err)
{
    apr_hash_index_t *hi;

    for (hi = apr_hash_first(scratch, queries); hi; hi = apr_hash_next(hi)) {
        const void *key;
        void *sql;
        apr_dbd_prepared_t *statement = NULL;
        int rv;

        apr_hash_this(hi, &key, NULL, &sql);
        if (!sql || !*(const char *)sql) {
            continue;                  /* DBDPrepareSQL "" LABEL: none here */
        }
        rv = apr_dbd_prepare(driver, pool, handle, sql, key, &statement);
        if (rv == 0) {
            apr_hash_set(prepared, key, APR_HASH_KEY_STRING, statement);
        }
        else if (!strncmp(key, "mauth_", 6)) {
            *err = apr_psprintf(scratch, "preparing %s: %s", (const char *)key,
                                mauth_store_driver_error(scratch, driver, handle, rv));
            return 0;
        }
        else {
            mauth_log(log, MAUTH_LOG_WARNING, "MAUTH00083",
                      "reopened store connection: statement %s (not ours) does not "
                      "prepare: %s", (const char *)key,
                      mauth_store_driver_error(scratch, driver, handle, rv));
        }
    }
    return 1;
}

int mauth_store_conn_reopen(apr_pool_t *pool, apr_pool_t *scratch,
                            const apr_dbd_driver_t *driver, const mauth_store_conn_spec_t *spec,
                            apr_dbd_t **handle, apr_hash_t **prepared,
                            mauth_store_file_t *file, const mauth_logger_t *log,
                            const char **err)
{
    mauth_store_file_t opened;
    apr_hash_t *now_prepared;
    apr_dbd_t *fresh;

    /* before opening: if the file is replaced in between, the next use sees
     * a difference and reopens once more, which is harmless */
    mauth_store_file_now(scratch, driver, spec->params, &opened);
    if ((fresh = open_handle(pool, scratch, driver, spec->params, err)) == NULL) {
        return 0;
    }
    now_prepared = apr_hash_make(pool);
    if (!prepare_group(pool, scratch, driver, fresh, spec->queries, now_prepared, log, err)
        || !run_init_sql(scratch, spec, driver, fresh, err)) {
        apr_dbd_close(driver, fresh);
        return 0;
    }
    apr_dbd_close(driver, *handle);
    *handle = fresh;
    *prepared = now_prepared;
    *file = opened;
    return 1;
}

void mauth_store_conn_heal(apr_pool_t *pool, apr_pool_t *scratch,
                           const apr_dbd_driver_t *driver, const mauth_store_conn_spec_t *spec,
                           apr_dbd_t **handle, apr_hash_t **prepared,
                           mauth_store_file_t *file, const char *why,
                           const mauth_logger_t *log)
{
    const char *err = NULL;

    if (mauth_store_conn_reopen(pool, scratch, driver, spec, handle, prepared, file, log,
                                &err)) {
        mauth_log(log, MAUTH_LOG_WARNING, "MAUTH00081",
                  "identity store: the pooled connection cannot be used (%s); a new "
                  "connection answered, and the pooled one was reopened", why);
    }
    else {
        mauth_log(log, MAUTH_LOG_WARNING, "MAUTH00082",
                  "identity store: the pooled connection cannot be used (%s); a new "
                  "connection answered, but reopening the pooled one failed: %s", why, err);
    }
}
