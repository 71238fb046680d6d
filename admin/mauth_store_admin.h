/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mauth_store_admin.h: the administrative side of the identity store, used
 * by mauth-admin only (the module never writes).  Every function returns a
 * mauth_store_status_e; for anything but OK, store->message holds one
 * sentence for the operator ("no organisation named 'acme'", or the
 * database's own error text).
 */
#ifndef MAUTH_STORE_ADMIN_H
#define MAUTH_STORE_ADMIN_H

#include <apr_pools.h>
#include <apr_tables.h>

#include "mauth_store.h"

typedef struct {
    apr_pool_t *pool;
    const char *driver_name;           /* "sqlite3" or "pgsql" */
    const apr_dbd_driver_t *driver;
    apr_dbd_t *handle;
    apr_hash_t *prepared;              /* the runtime statements, by label */
    const char *message;               /* why the last call did not succeed */
} mauth_admin_store_t;

/* The schema texts, embedded at build time from store/schema-*.sql. */
extern const char mauth_schema_sqlite[];
extern const char mauth_schema_pgsql[];
/* The schema for a driver name, or NULL. */
const char *mauth_admin_schema_sql(const char *driver_name);

/* Opens a connection (params: a file for sqlite3, a libpq conninfo for
 * pgsql).  A missing SQLite file is created only when create is set. */
mauth_store_status_e mauth_admin_open(apr_pool_t *p, const char *driver_name,
                                      const char *params, int create,
                                      mauth_admin_store_t **store,
                                      const char **err);
void mauth_admin_close(mauth_admin_store_t *store);

/* Runs schema_sql statement by statement in one transaction; idempotent. */
mauth_store_status_e mauth_admin_create_schema(mauth_admin_store_t *store,
                                               const char *schema_sql);
/* Checks the schema version is ours and prepares the runtime statements. */
mauth_store_status_e mauth_admin_check_schema(mauth_admin_store_t *store);

/* ---------------------------------------------------------- organisations */
typedef struct {
    const char *id;
    const char *name;
    int mutual_auth;                   /* the switch */
    int users;
    int certificates;                  /* uploaded for the org or its users */
} mauth_admin_org_t;

mauth_store_status_e mauth_admin_org_add(mauth_admin_store_t *store, const char *name);
mauth_store_status_e mauth_admin_org_list(mauth_admin_store_t *store,
                                          apr_array_header_t **orgs);
mauth_store_status_e mauth_admin_org_set_mutual_auth(mauth_admin_store_t *store,
                                                     const char *name, int on);

/* --------------------------------------------------------------- profiles */
typedef struct {
    const char *id;
    const char *org_name;
    const char *name;
    int enforce;
    int users;
} mauth_admin_profile_t;

mauth_store_status_e mauth_admin_profile_add(mauth_admin_store_t *store,
                                             const char *org, const char *name);
mauth_store_status_e mauth_admin_profile_list(mauth_admin_store_t *store,
                                              apr_array_header_t **profiles);
mauth_store_status_e mauth_admin_profile_set_enforce(mauth_admin_store_t *store,
                                                     const char *org,
                                                     const char *name, int on);

/* ------------------------------------------------------------------ users */
typedef struct {
    const char *id;
    const char *username;
    const char *org_name;
    int own_permission;                /* the flag on the user itself */
    const char *profiles;              /* comma separated, "" when none */
    int org_mutual_auth;
    int user_permission;               /* own flag or a profile's */
    int enforced;                      /* what the module will decide */
} mauth_admin_user_t;

/* profiles: const char * names of profiles of org; all or nothing. */
mauth_store_status_e mauth_admin_user_add(mauth_admin_store_t *store,
                                          const char *org, const char *username,
                                          const apr_array_header_t *profiles);
mauth_store_status_e mauth_admin_user_list(mauth_admin_store_t *store,
                                           apr_array_header_t **users);
mauth_store_status_e mauth_admin_user_set_enforce(mauth_admin_store_t *store,
                                                  const char *username, int on);

/* ----------------------------------------------------------- certificates */
typedef struct {
    const char *id;
    const char *org_name;
    const char *username;              /* NULL: uploaded for the organisation */
    const char *sha256;                /* lowercase hex */
    const char *subject;
    const char *issuer;
    const char *serial;
    apr_int64_t not_before;            /* unix seconds */
    apr_int64_t not_after;
    const char *pem;                   /* set on add; not read back by list */
    int active;
    apr_int64_t created;
} mauth_admin_cert_t;

/* Exactly one of org and username names the owner; for a user the
 * certificate's organisation is the user's.  EXISTS when the same
 * fingerprint is already uploaded for that owner. */
mauth_store_status_e mauth_admin_cert_add(mauth_admin_store_t *store,
                                          const char *org, const char *username,
                                          const mauth_admin_cert_t *cert,
                                          apr_int64_t now);
/* Filters may be NULL; org also lists the certificates of the org's users. */
mauth_store_status_e mauth_admin_cert_list(mauth_admin_store_t *store,
                                           const char *org, const char *username,
                                           apr_array_header_t **certs);
/* Removes every upload of sha256_hex (either case); *removed counts them. */
mauth_store_status_e mauth_admin_cert_remove(mauth_admin_store_t *store,
                                             const char *sha256_hex, int *removed);

/* --------------------------------------------------------------- sessions */
mauth_store_status_e mauth_admin_session_create(mauth_admin_store_t *store,
                                                const char *username,
                                                const char *token,
                                                apr_int64_t expires,
                                                apr_int64_t now);

/* A live session; token is the credential itself. */
typedef struct {
    const char *token;
    const char *username;
    const char *org_name;
    apr_int64_t created;               /* unix seconds */
    apr_int64_t expires;
} mauth_admin_session_t;

/* Ends the session with that token (removes its row); *username is its
 * user.  NOT_FOUND when no live session has that token: an expired one is
 * removed all the same. */
mauth_store_status_e mauth_admin_session_end(mauth_admin_store_t *store,
                                             const char *token, apr_int64_t now,
                                             const char **username);
/* Ends every session of username, expired ones too; *ended counts the live
 * ones.  NOT_FOUND when there is no such user. */
mauth_store_status_e mauth_admin_session_end_user(mauth_admin_store_t *store,
                                                  const char *username,
                                                  apr_int64_t now, int *ended);
/* The live sessions (expires > now), of one user when username is not
 * NULL (NOT_FOUND when there is no such user), oldest first. */
mauth_store_status_e mauth_admin_session_list(mauth_admin_store_t *store,
                                              const char *username, apr_int64_t now,
                                              apr_array_header_t **sessions);

#endif /* MAUTH_STORE_ADMIN_H */
