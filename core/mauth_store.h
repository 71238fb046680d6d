/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mauth_store.h: the identity store of mod_mauth ("Certificate Identity
 * Verification" in the seeds): who a user or a session token is, whether
 * mutual authentication is enforced for that user, and whether a leaf
 * certificate was uploaded for the user or its organisation.
 *
 * httpd-free (APR, apr_dbd): the module calls it with a pooled connection
 * from mod_dbd, the admin tool with one it opened itself.  Either side
 * prepares every statement of mauth_store_queries[] under its label first
 * (ap_dbd_prepare at configuration time, mauth_store_prepare in the tool);
 * the functions below only look statements up by label.
 *
 * Parameters are apr_dbd "%s" placeholders, booleans are integers 0/1 and
 * times are unix seconds, so one text serves SQLite and PostgreSQL.
 */
#ifndef MAUTH_STORE_H
#define MAUTH_STORE_H

#include <apr_pools.h>
#include <apr_hash.h>
#include <apr_tables.h>
#include <apr_time.h>
#include <apr_dbd.h>
#include <apr_file_info.h>

#include "mauth_core.h"

#define MAUTH_STORE_SCHEMA_VERSION 1

typedef enum {
    MAUTH_STORE_OK = 0,
    MAUTH_STORE_NOT_FOUND,   /* no such user/session, or no matching certificate */
    MAUTH_STORE_ERROR,       /* the database failed: fail closed */
    MAUTH_STORE_EXISTS       /* admin only: the row is already there */
} mauth_store_status_e;

/*
 * Query labels.  Each label is also the PostgreSQL statement name, hence
 * plain identifiers.  An operator's replacement query (a directive, in the
 * style of AuthDBDUserPWQuery) takes the same parameters and returns the
 * same columns in the same order; the glue prepares it under a label of its
 * own and passes that label to the function.
 *
 * MAUTH_STORE_Q_USER_BY_NAME     params: username
 * MAUTH_STORE_Q_USER_BY_SESSION  params: token, now (unix seconds; a session
 *                                counts while expires > now)
 *   both return, first row only:
 *     1 user id             (integer, used by the certificate query)
 *     2 username
 *     3 organisation id     (integer)
 *     4 organisation name
 *     5 organisation switch: mutual authentication turned on (boolean)
 *     6 enforce permission: on the user or one of its profiles (boolean)
 *   Booleans read as true: 1, t, true, y, yes, on (any case); anything else
 *   and NULL read as false, so native PostgreSQL booleans work too.
 *
 * MAUTH_STORE_Q_CERT_MATCH  params: sha256 (64 lowercase hex), now, now,
 *                           user id, organisation id
 *   returns one row per active certificate with that fingerprint, valid at
 *   now, uploaded for the user or for the organisation as a whole:
 *     1 certificate id
 *     2 organisation-wide (boolean: 1 when uploaded for the organisation)
 *
 * MAUTH_STORE_Q_SCHEMA_VERSION  no params; returns 1 column: the version.
 *
 * MAUTH_STORE_Q_CERTS_EXPIRING  params: deadline, now (unix seconds)
 *   the active certificates whose validity ends by the deadline: those
 *   still valid at now first (soonest first), then those already ended, so
 *   old leftovers never hide what is about to end; at most
 *   MAUTH_STORE_EXPIRING_MAX + 1 rows:
 *     1 sha256  2 subject  3 username ('' when organisation-wide)
 *     4 organisation name  5 not after (unix seconds)
 */
#define MAUTH_STORE_Q_USER_BY_NAME     "mauth_user_by_name"
#define MAUTH_STORE_Q_USER_BY_SESSION  "mauth_user_by_session"
#define MAUTH_STORE_Q_CERT_MATCH       "mauth_cert_match"
#define MAUTH_STORE_Q_SCHEMA_VERSION   "mauth_schema_version"
#define MAUTH_STORE_Q_CERTS_EXPIRING   "mauth_certs_expiring"
#define MAUTH_STORE_EXPIRING_MAX       100

typedef struct {
    const char *label;
    const char *sql;
} mauth_store_query_t;

/* Every runtime query, ending with {NULL, NULL}. */
extern const mauth_store_query_t mauth_store_queries[];

/* The default SQL for a label, or NULL. */
const char *mauth_store_query_sql(const char *label);

/* Who a user is, as the user queries return it (allocated from the pool
 * given to the lookup). */
typedef struct {
    const char *user_id;
    const char *username;
    const char *org_id;
    const char *org_name;
    int org_mutual_auth;    /* column 5 */
    int user_permission;    /* column 6 */
    int enforced;           /* org_mutual_auth && user_permission: the seed's
                             * "Enforce SSL/TLS Mutual Authentication" */
} mauth_store_user_t;

/* Which uploaded certificate matched. */
typedef struct {
    const char *cert_id;
    int org_wide;
} mauth_store_match_t;

/*
 * Runtime lookups.  driver/handle/prepared come from ap_dbd_acquire (or
 * mauth_store_open in the tool); label NULL selects the default query.
 * Returns OK, NOT_FOUND or ERROR; on ERROR *err says what failed, with
 * apr_dbd_error's text when the database answered.  err may be NULL.
 */
mauth_store_status_e mauth_store_user_by_name(apr_pool_t *p,
        const apr_dbd_driver_t *driver, apr_dbd_t *handle, apr_hash_t *prepared,
        const char *label, const char *username,
        mauth_store_user_t *user, const char **err);

mauth_store_status_e mauth_store_user_by_session(apr_pool_t *p,
        const apr_dbd_driver_t *driver, apr_dbd_t *handle, apr_hash_t *prepared,
        const char *label, const char *token, apr_time_t now,
        mauth_store_user_t *user, const char **err);

/* OK when an active certificate with fingerprint sha256_hex (either case),
 * valid at now, is uploaded for user or for user's organisation as a whole
 * (a certificate bound to another user of the organisation does not count);
 * NOT_FOUND otherwise.  match may be NULL. */
mauth_store_status_e mauth_store_certificate_matches(apr_pool_t *p,
        const apr_dbd_driver_t *driver, apr_dbd_t *handle, apr_hash_t *prepared,
        const mauth_store_user_t *user, const char *sha256_hex, apr_time_t now,
        mauth_store_match_t *match, const char **err);

/* The schema version recorded in the database. */
mauth_store_status_e mauth_store_schema_version(apr_pool_t *p,
        const apr_dbd_driver_t *driver, apr_dbd_t *handle, apr_hash_t *prepared,
        int *version, const char **err);

/* An uploaded certificate whose validity ends soon. */
typedef struct {
    const char *sha256;
    const char *subject;
    const char *username;              /* NULL: uploaded for the organisation */
    const char *org_name;
    apr_time_t not_after;
} mauth_store_expiring_t;

/* The active uploads whose validity ends by deadline (or has ended), in
 * the query's order, into *certs (mauth_store_expiring_t); at most
 * MAUTH_STORE_EXPIRING_MAX of them, *more set when there were others. */
mauth_store_status_e mauth_store_certificates_expiring(apr_pool_t *p,
        const apr_dbd_driver_t *driver, apr_dbd_t *handle, apr_hash_t *prepared,
        apr_time_t now, apr_time_t deadline, apr_array_header_t **certs, int *more,
        const char **err);

/* Warns (MAUTH00113) of each of those ending by deadline, naming subject,
 * owner and date, MAUTH00114 when there were more, and MAUTH00112 when the
 * store failed. */
void mauth_store_warn_expiring(apr_pool_t *p, const apr_dbd_driver_t *driver,
                               apr_dbd_t *handle, apr_hash_t *prepared, apr_time_t now,
                               apr_time_t deadline, const mauth_logger_t *log);

/* The same lookups as a table of functions, so the module and the unit tests
 * can put another backend behind them. */
typedef struct {
    const char *name;
    mauth_store_status_e (*user_by_name)(apr_pool_t *p,
        const apr_dbd_driver_t *driver, apr_dbd_t *handle, apr_hash_t *prepared,
        const char *label, const char *username,
        mauth_store_user_t *user, const char **err);
    mauth_store_status_e (*user_by_session)(apr_pool_t *p,
        const apr_dbd_driver_t *driver, apr_dbd_t *handle, apr_hash_t *prepared,
        const char *label, const char *token, apr_time_t now,
        mauth_store_user_t *user, const char **err);
    mauth_store_status_e (*certificate_matches)(apr_pool_t *p,
        const apr_dbd_driver_t *driver, apr_dbd_t *handle, apr_hash_t *prepared,
        const mauth_store_user_t *user, const char *sha256_hex, apr_time_t now,
        mauth_store_match_t *match, const char **err);
} mauth_store_ops_t;

extern const mauth_store_ops_t mauth_store_dbd_ops;

/* ------------------------------------------------- for the admin tool */

/* Prepares the statement for label (default SQL when sql is NULL) into
 * prepared, allocated from p. */
mauth_store_status_e mauth_store_prepare(apr_pool_t *p,
        const apr_dbd_driver_t *driver, apr_dbd_t *handle, apr_hash_t *prepared,
        const char *label, const char *sql, const char **err);

/* Prepares every statement of mauth_store_queries[]. */
mauth_store_status_e mauth_store_prepare_all(apr_pool_t *p,
        const apr_dbd_driver_t *driver, apr_dbd_t *handle, apr_hash_t *prepared,
        const char **err);

/* The rows of one select, every value copied out of the driver (NULL for
 * SQL NULL on SQLite; PostgreSQL gives "" instead). */
typedef struct {
    int ncols;
    apr_array_header_t *rows;          /* of const char ** (ncols values) */
} mauth_store_rows_t;

/* Runs statement with args and reads every row into *rows; ERROR (with the
 * apr_dbd_error text, prefixed by what) when the database fails or the
 * statement returns fewer than min_cols columns. */
mauth_store_status_e mauth_store_select(apr_pool_t *p,
        const apr_dbd_driver_t *driver, apr_dbd_t *handle,
        apr_dbd_prepared_t *statement, const char *what,
        int nargs, const char **args, int min_cols,
        mauth_store_rows_t *rows, const char **err);

/* The driver's own message for the call on handle that returned rv, on
 * one line; never SQLite's "not an error" for a call that failed. */
const char *mauth_store_driver_error(apr_pool_t *p, const apr_dbd_driver_t *driver,
                                     apr_dbd_t *handle, int rv);

/* A driver's message on one line: libpq's end in a newline and may run
 * to several lines. */
const char *mauth_store_one_line(apr_pool_t *p, const char *text);

/* Reads a store boolean (see above). */
int mauth_store_bool(const char *value);

/* ------------------------------------------------ connections that heal */

/* What a store connection is made of (mod_dbd's DBDParams, DBDInitSQL and
 * its group's prepared SQL), with the operators' own queries. */
typedef struct {
    const char *params;
    const apr_array_header_t *init_queries;    /* const char *, or NULL */
    apr_hash_t *queries;                       /* label -> SQL of the group */
    const char *user_label, *user_query;       /* the operators' own, or NULL */
    const char *session_label, *session_query;
} mauth_store_conn_spec_t;

/* Which file an SQLite connection opened (known 0 for other drivers). */
typedef struct {
    int known;
    apr_dev_t device;
    apr_ino_t inode;
} mauth_store_file_t;
int mauth_store_file_now(apr_pool_t *p, const apr_dbd_driver_t *driver, const char *params,
                         mauth_store_file_t *file);
/* NULL while the file at params is still file; else why it is not. */
const char *mauth_store_file_changed(apr_pool_t *p, const char *params,
                                     const mauth_store_file_t *file);

/* A connection of our own for one lookup: ours and the operators' queries
 * prepared, the initial SQL run; in a pool of its own (under parent) that
 * closes it.  0 with *err (the driver's words) when that cannot be. */
typedef struct {
    const apr_dbd_driver_t *driver;
    apr_dbd_t *handle;
    apr_hash_t *prepared;
    apr_pool_t *pool;
} mauth_store_conn_t;
int mauth_store_conn_open(apr_pool_t *parent, const apr_dbd_driver_t *driver,
                          const mauth_store_conn_spec_t *spec, int file_must_exist,
                          mauth_store_conn_t *conn, const char **err);

/* Reopens a pooled connection in place: a new handle in pool (the pooled
 * connection's, which outlives it), every statement of spec->queries
 * prepared, the initial SQL run; then the old handle closed and *handle,
 * *prepared and *file replaced.  On failure nothing changes. */
int mauth_store_conn_reopen(apr_pool_t *pool, apr_pool_t *scratch,
                            const apr_dbd_driver_t *driver, const mauth_store_conn_spec_t *spec,
                            apr_dbd_t **handle, apr_hash_t **prepared,
                            mauth_store_file_t *file, const mauth_logger_t *log,
                            const char **err);

/* After a new connection answered where the pooled one (why) failed: the
 * pooled one reopened in place, and the operator told either way
 * (MAUTH00081 reopened, MAUTH00082 not). */
void mauth_store_conn_heal(apr_pool_t *pool, apr_pool_t *scratch,
                           const apr_dbd_driver_t *driver, const mauth_store_conn_spec_t *spec,
                           apr_dbd_t **handle, apr_hash_t **prepared,
                           mauth_store_file_t *file, const char *why,
                           const mauth_logger_t *log);

/* ------------------------------------------------ store answers, cached */

/* A bounded, thread-safe cache of the store's answers for one process:
 * users by name or session token, and certificate matches.  Each answer is
 * kept under the identity of the store that gave it (its settings and
 * queries), found answers for found_ttl, "not found" for not_found_ttl. */
typedef struct mauth_answer_cache mauth_answer_cache_t;
mauth_answer_cache_t *mauth_answer_cache_create(apr_pool_t *p, int max_entries,
                                                apr_interval_time_t found_ttl,
                                                apr_interval_time_t not_found_ttl);
/* 1 when the answer for credential (a session token when by_token, else a
 * user name) is cached: *found says whether it named a user, then *user
 * (allocated from p). */
int mauth_answer_cache_user(mauth_answer_cache_t *c, apr_pool_t *p, const char *store_id,
                            int by_token, const char *credential, apr_time_t now,
                            mauth_store_user_t *user, int *found);
/* user NULL: the store knows no such credential. */
void mauth_answer_cache_put_user(mauth_answer_cache_t *c, const char *store_id, int by_token,
                                 const char *credential, const mauth_store_user_t *user,
                                 apr_time_t now);
/* 1 when it is cached whether fingerprint is registered for user or its
 * organisation: *org_wide and *registered say how. */
int mauth_answer_cache_match(mauth_answer_cache_t *c, const char *store_id,
                             const mauth_store_user_t *user, const char *fingerprint,
                             apr_time_t now, int *registered, int *org_wide);
void mauth_answer_cache_put_match(mauth_answer_cache_t *c, const char *store_id,
                                  const mauth_store_user_t *user, const char *fingerprint,
                                  int registered, int org_wide, apr_time_t now);

/* The store's answer through the cache: cached (c may be NULL), else
 * ask(baton, ...) asks the store on whatever connection the caller has, and
 * an OK or NOT_FOUND is remembered.  ERROR is never cached. */
typedef mauth_store_status_e mauth_ask_user_fn(void *baton, apr_pool_t *p,
                                               mauth_store_user_t *user);
mauth_store_status_e mauth_answer_user(mauth_answer_cache_t *c, apr_pool_t *p,
                                       const char *store_id, int by_token,
                                       const char *credential, mauth_ask_user_fn *ask,
                                       void *baton, mauth_store_user_t *user);
typedef mauth_store_status_e mauth_ask_match_fn(void *baton, mauth_store_match_t *match);
mauth_store_status_e mauth_answer_match(mauth_answer_cache_t *c, const char *store_id,
                                        const mauth_store_user_t *user,
                                        const char *fingerprint, mauth_ask_match_fn *ask,
                                        void *baton, mauth_store_match_t *match);

#endif /* MAUTH_STORE_H */
