/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * test_store.c: the store's error texts, on a real SQLite connection
 * (apr_dbd_sqlite3): a failed call is reported in the driver's words, and
 * a statement that stays failed after its file was rewritten is never
 * reported as SQLite's "not an error".
 */
#include <fcntl.h>
#include <unistd.h>

#include <apr_dbd.h>
#include <apr_file_io.h>
#include <apr_strings.h>

#include "unit.h"
#include "mauth_store.h"

typedef struct {
    const apr_dbd_driver_t *driver;
    apr_dbd_t *handle;
    const char *path;
} db_t;

/* A database file of its own with one table, or NULL (the failure noted). */
static db_t *open_db(apr_pool_t *p)
{
    db_t *db = apr_pcalloc(p, sizeof(*db));
    const char *tmp = NULL, *err = NULL;
    int nrows;

    apr_temp_dir_get(&tmp, p);
    db->path = apr_psprintf(p, "%s/mauth-test-store-%ld.db", tmp, (long)getpid());
    unlink(db->path);
    apr_dbd_init(p);
    if (apr_dbd_get_driver(p, "sqlite3", &db->driver) != APR_SUCCESS
        || apr_dbd_open_ex(db->driver, p, db->path, &db->handle, &err) != APR_SUCCESS
        || apr_dbd_query(db->driver, db->handle, &nrows,
                         "CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('a')") != 0) {
        unit_fail(__FILE__, __LINE__, "cannot make an SQLite database at %s: %s",
                  db->path, err ? err : "(apr_dbd_sqlite3 installed?)");
        return NULL;
    }
    return db;
}

static mauth_store_status_e select_x(apr_pool_t *p, db_t *db, apr_dbd_prepared_t *st,
                                     const char **err)
{
    mauth_store_rows_t rows;
    const char *args[1] = { "a" };

    return mauth_store_select(p, db->driver, db->handle, st, "select_x", 1, args, 1,
                              &rows, err);
}

UNIT_TEST(a_failed_statement_is_named_in_the_drivers_words_never_not_an_error)
{
    db_t *db = open_db(p);
    apr_dbd_prepared_t *st = NULL;
    const char *err = NULL;
    int fd;

    if (!db) {
        return;
    }
    CHECK_INT(apr_dbd_prepare(db->driver, p, db->handle, "SELECT x FROM t WHERE x = %s",
                              "select_x", &st), 0);
    CHECK_INT(select_x(p, db, st, &err), MAUTH_STORE_OK);
    /* the file truncated under the connection (cp backup.db over it) */
    fd = open(db->path, O_WRONLY | O_TRUNC);
    CHECK(fd >= 0);
    close(fd);
    CHECK_INT(select_x(p, db, st, &err), MAUTH_STORE_ERROR);
    CHECK_STR(err, "select_x: database schema has changed");
    /* the same statement again: the driver has no message left */
    CHECK_INT(select_x(p, db, st, &err), MAUTH_STORE_ERROR);
    CHECK_MSG(strstr(err, "not an error") == NULL, "error reads \"%s\"", err);
    CHECK_CONTAINS(err, "select_x: SQLite result code ");
    CHECK_CONTAINS(err, "failed before and stays failed");
    apr_dbd_close(db->driver, db->handle);
    unlink(db->path);
}

UNIT_TEST(a_statement_that_does_not_prepare_is_named_with_the_drivers_message)
{
    db_t *db = open_db(p);
    apr_hash_t *prepared = apr_hash_make(p);
    const char *err = NULL;

    if (!db) {
        return;
    }
    CHECK_INT(mauth_store_prepare_all(p, db->driver, db->handle, prepared, &err),
              MAUTH_STORE_ERROR);
    CHECK_CONTAINS(err, "preparing mauth_user_by_name: no such table: mauth_");
    apr_dbd_close(db->driver, db->handle);
    unlink(db->path);
}

UNIT_TEST(a_multi_line_message_becomes_one_line)
{
    CHECK_STR(mauth_store_one_line(p, "FATAL:  terminating connection\nserver closed"
                                      " the connection\n\tThis probably means\n"),
              "FATAL:  terminating connection server closed the connection  This "
              "probably means");
    CHECK_STR(mauth_store_one_line(p, ""), "no message");
    CHECK_STR(mauth_store_one_line(p, NULL), "no message");
}

static const unit_test_t tests[] = {
    UNIT(a_failed_statement_is_named_in_the_drivers_words_never_not_an_error),
    UNIT(a_statement_that_does_not_prepare_is_named_with_the_drivers_message),
    UNIT(a_multi_line_message_becomes_one_line),
};

UNIT_MAIN("store", tests)
