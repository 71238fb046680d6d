/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mod_mauth_dbd.c: the identity store's connections, through mod_dbd.
 *
 * Our statements are handed to mod_dbd at start-up (ap_dbd_prepare) and
 * every lookup runs first on the request's pooled connection
 * (ap_dbd_acquire).  mod_dbd drops a pooled connection only when the
 * driver's liveness check fails, and apr_dbd_sqlite3's never does: an
 * SQLite connection that saw its file truncated keeps failing whatever is
 * prepared on it, one whose file was replaced by a rename keeps reading the
 * old file, and a PostgreSQL connection the server dropped fails its next
 * query.  So a lookup that fails on the pooled connection (or finds its
 * SQLite file replaced) is asked once more on a new connection of our own:
 * when that one answers too, the database is whole and only the pooled
 * connection was bad, so it is reopened in place (a new handle, every
 * statement of its mod_dbd group prepared again, DBDInitSQL run again) and
 * the next request finds it healthy.  When the new connection fails as
 * well, the store is down: the caller refuses (503), and the log line
 * carries both drivers' messages.
 *
 * Never lets a lookup answer from a connection it could not run the query
 * on, and never touches a pooled connection other than the request's own
 * (mod_dbd lends it to one request at a time).
 */
#include "mod_mauth.h"

#include "apr_file_info.h"
#include "apr_optional_hooks.h"
#include "apr_strings.h"
#include "http_request.h"
#include "mod_dbd.h"

#include "mauth_store.h"

/* What we know of one of mod_dbd's pooled connections, kept in its pool. */
#define CONN_STATE_KEY "mauth-dbd-connection"

typedef struct {
    const dbd_cfg_t *cfg;     /* its mod_dbd group: params, statements, DBDInitSQL */
    int file_known;           /* sqlite3: the database file it opened */
    apr_dev_t device;
    apr_ino_t inode;
} pooled_state_t;

/* A connection of our own for one request, closed with its pool. */
typedef struct {
    const apr_dbd_driver_t *driver;
    apr_dbd_t *handle;
    apr_hash_t *prepared;
    apr_pool_t *pool;
} own_conn_t;

static APR_OPTIONAL_FN_TYPE(ap_dbd_acquire) *dbd_acquire;

static int is_sqlite(const apr_dbd_driver_t *driver)
{
    return strcmp(apr_dbd_name(driver), "sqlite3") == 0;
}

/* The device and inode of an SQLite database file, 0 when it has none. */
static int file_identity(apr_pool_t *p, const char *path, apr_finfo_t *finfo)
{
    return path && *path && apr_stat(finfo, path, APR_FINFO_IDENT, p) == APR_SUCCESS;
}

/* ------------------------------------------------------- start-up */

/*
 * mod_dbd's settings for server s (DBDriver, DBDParams, DBDInitSQL), for
 * the requests mod_dbd gives no connection at all: our own connection then
 * says why, in the driver's words.  mod_dbd shows its dbd_cfg_t (public,
 * mod_dbd.h) to post_connect hooks only; its per-server configuration is
 * private, but has begun with a pointer to the server's dbd_cfg_t since
 * httpd 2.2 (svr_cfg in mod_dbd.c: 2.2, 2.4 and trunk alike).  The pointer
 * is used only when it proves itself: a dbd_cfg_t names the server it was
 * made (or merged) for.
 */
static const dbd_cfg_t *dbd_settings(server_rec *s, module *dbd_module)
{
    void *conf = dbd_module ? ap_get_module_config(s->module_config, dbd_module) : NULL;
    const dbd_cfg_t *cfg = conf ? *(const dbd_cfg_t *const *)conf : NULL;

    return cfg && cfg->server == s && cfg->name && cfg->params ? cfg : NULL;
}

/* Hands our statements to mod_dbd.  Runs before mod_dbd's post_config,
 * which groups every server's prepared statements. */
static int prepare_statements(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                              server_rec *base)
{
    APR_OPTIONAL_FN_TYPE(ap_dbd_prepare) *dbd_prepare = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_prepare);
    module *dbd_module = ap_find_linked_module("mod_dbd.c");
    apr_hash_t *prepared_for = apr_hash_make(ptemp);
    const mauth_store_query_t *q;
    server_rec *s;

    for (s = base; s; s = s->next) {
        mauth_server_conf_t *sc = mauth_server_conf(s);
        void *dbd_conf;
        if (!sc->engine || !sc->uses_store) {
            continue;
        }
        sc->dbd_cfg = dbd_settings(s, dbd_module);
        if (dbd_prepare == NULL) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, MAUTHNO(00060)
                         "MAuthEnforce (%s:%u) needs mod_dbd: load it and set "
                         "DBDriver/DBDParams for the identity store",
                         s->defn_name, s->defn_line_number);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        /* vhosts without DBD directives share the main server's mod_dbd
         * configuration: prepare once for each distinct one */
        dbd_conf = dbd_module ? ap_get_module_config(s->module_config, dbd_module) : s;
        sc->store_id = apr_psprintf(pconf, "%pp\n%s\n%s", dbd_conf,
                                    sc->user_query ? sc->user_query : "",
                                    sc->session_query ? sc->session_query : "");
        if (apr_hash_get(prepared_for, &dbd_conf, sizeof(dbd_conf))) {
            continue;
        }
        apr_hash_set(prepared_for, apr_pmemdup(ptemp, &dbd_conf, sizeof(dbd_conf)),
                     sizeof(dbd_conf), s);
        for (q = mauth_store_queries; q->label; q++) {
            dbd_prepare(s, q->sql, q->label);
        }
        if (sc->user_query) {
            dbd_prepare(s, sc->user_query, MAUTH_LABEL_CUSTOM_USER);
        }
        if (sc->session_query) {
            dbd_prepare(s, sc->session_query, MAUTH_LABEL_CUSTOM_SESSION);
        }
    }
    return OK;
}

static void retrieve_optional_fns(void)
{
    dbd_acquire = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire);
}

/* mod_dbd's post_connect hook: every pooled connection, when it opens.
 * Remembers its group's settings (the only place mod_dbd shows them) and,
 * for SQLite, which file it opened. */
static apr_status_t remember_connection(apr_pool_t *pool, dbd_cfg_t *cfg, ap_dbd_t *dbd)
{
    pooled_state_t *state = apr_pcalloc(dbd->pool, sizeof(*state));
    apr_finfo_t finfo;

    state->cfg = cfg;
    /* Just after mod_dbd opened it: a rename in between goes unnoticed
     * until the connection fails, as it did before. */
    if (is_sqlite(dbd->driver) && file_identity(pool, cfg->params, &finfo)) {
        state->file_known = 1;
        state->device = finfo.device;
        state->inode = finfo.inode;
    }
    apr_pool_userdata_setn(state, CONN_STATE_KEY, NULL, dbd->pool);
    return OK;
}

static pooled_state_t *state_of(ap_dbd_t *dbd)
{
    void *state = NULL;

    apr_pool_userdata_get(&state, CONN_STATE_KEY, dbd->pool);
    return state;
}

/* ------------------------------------------------- our own connection */

/* Prepares this server's statements: ours, and the operators' own. */
static mauth_store_status_e prepare_ours(apr_pool_t *p, mauth_server_conf_t *sc,
                                         const apr_dbd_driver_t *driver, apr_dbd_t *handle,
                                         apr_hash_t *prepared, const char **err)
{
    if (mauth_store_prepare_all(p, driver, handle, prepared, err) != MAUTH_STORE_OK
        || (sc->user_query
            && mauth_store_prepare(p, driver, handle, prepared, MAUTH_LABEL_CUSTOM_USER,
                                   sc->user_query, err) != MAUTH_STORE_OK)
        || (sc->session_query
            && mauth_store_prepare(p, driver, handle, prepared, MAUTH_LABEL_CUSTOM_SESSION,
                                   sc->session_query, err) != MAUTH_STORE_OK)) {
        return MAUTH_STORE_ERROR;
    }
    return MAUTH_STORE_OK;
}

/* DBDInitSQL, as mod_dbd runs it on each new connection. */
static int run_init_sql(apr_pool_t *p, const dbd_cfg_t *cfg, const apr_dbd_driver_t *driver,
                        apr_dbd_t *handle, const char **err)
{
    int i, nrows, rv;

    for (i = 0; cfg->init_queries && i < cfg->init_queries->nelts; i++) {
        const char *sql = APR_ARRAY_IDX(cfg->init_queries, i, const char *);
        if ((rv = apr_dbd_query(driver, handle, &nrows, sql)) != 0) {
            *err = apr_psprintf(p, "DBDInitSQL '%s': %s", sql,
                                mauth_store_driver_error(p, driver, handle, rv));
            return 0;
        }
    }
    return 1;
}

static apr_status_t close_own(void *data)
{
    own_conn_t *own = data;

    apr_dbd_close(own->driver, own->handle);
    return APR_SUCCESS;
}

/* Opens a connection for this request only, in a pool of its own: nothing
 * of a failed attempt is left behind, however often the store fails. */
static int open_own(request_rec *r, const dbd_cfg_t *cfg, const apr_dbd_driver_t *driver,
                    int file_must_exist, own_conn_t *own, const char **err)
{
    mauth_server_conf_t *sc = mauth_server_conf(r->server);
    const char *open_error = NULL;
    apr_finfo_t finfo;
    apr_status_t rv;

    memset(own, 0, sizeof(*own));
    own->driver = driver;
    /* sqlite3_open() would create an empty database where the file went */
    if (file_must_exist && !file_identity(r->pool, cfg->params, &finfo)) {
        *err = apr_psprintf(r->pool, "the SQLite database %s is gone (not created "
                            "again)", cfg->params);
        return 0;
    }
    if ((rv = apr_pool_create(&own->pool, r->pool)) != APR_SUCCESS) {
        *err = "out of memory";
        return 0;
    }
    apr_pool_tag(own->pool, "mauth_dbd_own");
    rv = apr_dbd_open_ex(driver, own->pool, cfg->params, &own->handle, &open_error);
    if (rv != APR_SUCCESS || !own->handle) {
        *err = apr_psprintf(r->pool, "cannot connect: %s",
                            mauth_store_one_line(r->pool, open_error));
        apr_pool_destroy(own->pool);
        return 0;
    }
    apr_pool_cleanup_register(own->pool, own, close_own, apr_pool_cleanup_null);
    own->prepared = apr_hash_make(own->pool);
    if (!run_init_sql(r->pool, cfg, driver, own->handle, err)
        || prepare_ours(r->pool, sc, driver, own->handle, own->prepared, err)
           != MAUTH_STORE_OK) {
        apr_pool_destroy(own->pool);
        return 0;
    }
    return 1;
}

/* ------------------------------------------- healing a pooled one */

/*
 * Gives the pooled connection a new handle, with every statement of its
 * mod_dbd group (other modules' too) prepared on it, and closes the old
 * one.  mod_dbd closes whatever dbd->handle is when the connection ends
 * (its cleanup reads the field then), so the new handle must live as long
 * as dbd->pool: it is opened there.  That is a few hundred bytes that stay
 * in the pool per reopening, which happens only after the store failed and
 * came back; a failed attempt never gets this far (open_own answered
 * first), so an outage costs nothing here however long it lasts.
 */
static int reopen_pooled(request_rec *r, ap_dbd_t *dbd, pooled_state_t *state,
                         const char **err)
{
    const dbd_cfg_t *cfg = state->cfg;
    apr_dbd_t *handle = NULL, *old;
    apr_hash_t *prepared;
    apr_hash_index_t *hi;
    const char *open_error = NULL;
    apr_finfo_t finfo;
    int file_known, rv;

    /* Before opening: if the file is replaced in between, the next use
     * sees a difference and reopens once more, which is harmless. */
    file_known = is_sqlite(dbd->driver) && file_identity(r->pool, cfg->params, &finfo);
    rv = apr_dbd_open_ex(dbd->driver, dbd->pool, cfg->params, &handle, &open_error);
    if (rv != APR_SUCCESS || !handle) {
        *err = apr_psprintf(r->pool, "cannot connect: %s",
                            mauth_store_one_line(r->pool, open_error));
        return 0;
    }
    prepared = apr_hash_make(dbd->pool);
    for (hi = apr_hash_first(r->pool, cfg->queries); hi; hi = apr_hash_next(hi)) {
        const void *key;
        void *value;
        const char *label, *sql;
        apr_dbd_prepared_t *statement = NULL;

        apr_hash_this(hi, &key, NULL, &value);
        label = key;
        sql = value;
        if (!sql || !*sql) {
            continue;                  /* DBDPrepareSQL "" LABEL: none here */
        }
        rv = apr_dbd_prepare(dbd->driver, dbd->pool, handle, sql, label, &statement);
        if (rv == 0) {
            apr_hash_set(prepared, label, APR_HASH_KEY_STRING, statement);
        }
        else if (!strncmp(label, "mauth_", 6)) {
            *err = apr_psprintf(r->pool, "preparing %s: %s", label,
                                mauth_store_driver_error(r->pool, dbd->driver, handle, rv));
            apr_dbd_close(dbd->driver, handle);
            return 0;
        }
        else {
            /* another module's: it will find its statement missing, as
             * it would have found the old connection failing */
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, MAUTHNO(00083)
                          "reopened store connection: statement %s (not ours) "
                          "does not prepare: %s", label,
                          mauth_store_driver_error(r->pool, dbd->driver, handle, rv));
        }
    }
    if (!run_init_sql(r->pool, cfg, dbd->driver, handle, err)) {
        apr_dbd_close(dbd->driver, handle);
        return 0;
    }
    old = dbd->handle;
    dbd->handle = handle;
    dbd->prepared = prepared;
    apr_dbd_close(dbd->driver, old);
    state->file_known = file_known;
    if (file_known) {
        state->device = finfo.device;
        state->inode = finfo.inode;
    }
    return 1;
}

/* NULL while an SQLite connection's file is still the one at its path;
 * else why the connection cannot be trusted. */
static const char *file_replaced(request_rec *r, const pooled_state_t *state)
{
    apr_finfo_t finfo;

    if (!state || !state->file_known) {
        return NULL;
    }
    if (!file_identity(r->pool, state->cfg->params, &finfo)) {
        return apr_psprintf(r->pool, "the SQLite database %s is gone", state->cfg->params);
    }
    if (finfo.device != state->device || finfo.inode != state->inode) {
        return apr_psprintf(r->pool, "the SQLite database %s was replaced since this "
                            "connection opened it", state->cfg->params);
    }
    return NULL;
}

/* ----------------------------------------------------------- a lookup */

mauth_store_status_e mauth_dbd_run(request_rec *r, mauth_dbd_call_fn *call, void *baton,
                                   const char **err)
{
    mauth_server_conf_t *sc = mauth_server_conf(r->server);
    ap_dbd_t *dbd;
    pooled_state_t *state = NULL;
    const dbd_cfg_t *cfg;
    const apr_dbd_driver_t *driver;
    const char *first = NULL, *again = NULL, *heal_error = NULL;
    mauth_store_status_e status;
    own_conn_t own;

    if (!dbd_acquire) {
        *err = "mod_dbd is not loaded";
        return MAUTH_STORE_ERROR;
    }
    dbd = dbd_acquire(r);
    if (dbd) {
        state = state_of(dbd);
        if ((first = file_replaced(r, state)) == NULL) {
            status = call(r, dbd->driver, dbd->handle, dbd->prepared, baton, &first);
            if (status != MAUTH_STORE_ERROR) {
                return status;
            }
        }
        /* its group's settings; this vhost's are the same but for
         * DBDInitSQL, which a group takes from its first vhost */
        cfg = state ? state->cfg : sc->dbd_cfg;
        driver = dbd->driver;
    }
    else {
        first = "mod_dbd gave no connection (its own log line says why)";
        cfg = sc->dbd_cfg;
        driver = NULL;
        if (cfg && apr_dbd_get_driver(r->pool, cfg->name, &driver) != APR_SUCCESS) {
            cfg = NULL;
        }
    }
    if (!cfg) {
        *err = apr_pstrcat(r->pool, first, "; no new connection tried: mod_dbd's "
                           "settings for this vhost are not known", NULL);
        return MAUTH_STORE_ERROR;
    }

    /* Once more on a connection of our own: it tells a bad connection from
     * a store that is down. */
    if (!open_own(r, cfg, driver, state && state->file_known, &own, &again)) {
        *err = apr_pstrcat(r->pool, first, "; on a new connection: ", again, NULL);
        return MAUTH_STORE_ERROR;
    }
    status = call(r, own.driver, own.handle, own.prepared, baton, &again);
    if (status == MAUTH_STORE_ERROR) {
        apr_pool_destroy(own.pool);
        *err = apr_pstrcat(r->pool, first, "; on a new connection: ", again, NULL);
        return MAUTH_STORE_ERROR;
    }
    apr_pool_destroy(own.pool);

    /* The store answers: only the pooled connection was bad. */
    if (!dbd) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, MAUTHNO(00080)
                      "identity store: %s; a new connection answered", first);
    }
    else if (!state) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, MAUTHNO(00084)
                      "identity store: the pooled connection cannot be used (%s); a new "
                      "connection answered; the pooled one is left to mod_dbd "
                      "(its settings are not known)", first);
    }
    else if (reopen_pooled(r, dbd, state, &heal_error)) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, MAUTHNO(00081)
                      "identity store: the pooled connection cannot be used (%s); a new "
                      "connection answered, and the pooled one was reopened", first);
    }
    else {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, MAUTHNO(00082)
                      "identity store: the pooled connection cannot be used (%s); a new "
                      "connection answered, but reopening the pooled one failed: %s",
                      first, heal_error);
    }
    return status;
}

/* ------------------------------------------------- lookups, with cache */

/* The store's lookups; the DBD backend is the one there is. */
static const mauth_store_ops_t *const store = &mauth_store_dbd_ops;
static mauth_answer_cache_t *answers;      /* per child process */

static void create_answer_cache(apr_pool_t *pchild, server_rec *base)
{
    mauth_server_conf_t *sc = mauth_server_conf(base);

    if (sc->store_cache_size > 0) {
        answers = mauth_answer_cache_create(pchild, sc->store_cache_size, sc->store_ttl,
                                            sc->store_negative_ttl);
    }
}

typedef struct {
    mauth_server_conf_t *sc;
    const char *credential;
    int token;
    mauth_store_user_t *user;
    apr_pool_t *pool;
} user_call_t;

static mauth_store_status_e call_user(request_rec *r, const apr_dbd_driver_t *driver,
                                      apr_dbd_t *handle, apr_hash_t *prepared,
                                      void *baton, const char **err)
{
    user_call_t *c = baton;

    if (c->token) {
        return store->user_by_session(c->pool, driver, handle, prepared,
                                      c->sc->session_query ? MAUTH_LABEL_CUSTOM_SESSION : NULL,
                                      c->credential, apr_time_now(), c->user, err);
    }
    return store->user_by_name(c->pool, driver, handle, prepared,
                               c->sc->user_query ? MAUTH_LABEL_CUSTOM_USER : NULL,
                               c->credential, c->user, err);
}

void mauth_store_lookup(request_rec *r, apr_pool_t *pool, const char *credential, int token,
                        mauth_lookup_t *out)
{
    mauth_server_conf_t *sc = mauth_server_conf(r->server);
    user_call_t call = {sc, credential, token, &out->user, pool};
    const char *err = NULL;
    int found;

    memset(&out->user, 0, sizeof(out->user));
    if (answers && mauth_answer_cache_user(answers, pool, sc->store_id, token, credential,
                                           apr_time_now(), &out->user, &found)) {
        out->who = found ? MAUTH_WHO_FOUND : MAUTH_WHO_UNKNOWN;
        return;
    }
    switch (mauth_dbd_run(r, call_user, &call, &err)) {
    case MAUTH_STORE_OK:
        out->who = MAUTH_WHO_FOUND;
        break;
    case MAUTH_STORE_NOT_FOUND:
        out->who = MAUTH_WHO_UNKNOWN;
        break;
    default:
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, MAUTHNO(00061)
                      "identity store failed looking up a %s: %s",
                      token ? "session" : "user", err ? err : "unknown error");
        out->who = MAUTH_WHO_STORE_ERROR;
        return;
    }
    if (answers) {
        mauth_answer_cache_put_user(answers, sc->store_id, token, credential,
                                    out->who == MAUTH_WHO_FOUND ? &out->user : NULL,
                                    apr_time_now());
    }
}

typedef struct {
    const mauth_store_user_t *user;
    const char *fingerprint;
    mauth_store_match_t match;
} cert_call_t;

static mauth_store_status_e call_certificate(request_rec *r, const apr_dbd_driver_t *driver,
                                             apr_dbd_t *handle, apr_hash_t *prepared,
                                             void *baton, const char **err)
{
    cert_call_t *c = baton;

    return store->certificate_matches(r->pool, driver, handle, prepared, c->user,
                                      c->fingerprint, apr_time_now(), &c->match, err);
}

mauth_match_e mauth_store_match(request_rec *r, const mauth_store_user_t *user,
                                const char *fingerprint)
{
    mauth_server_conf_t *sc = mauth_server_conf(r->server);
    cert_call_t call = {user, fingerprint, {NULL, 0}};
    const char *err = NULL;
    int registered, org_wide;

    if (answers && mauth_answer_cache_match(answers, sc->store_id, user, fingerprint,
                                            apr_time_now(), &registered, &org_wide)) {
        return !registered ? MAUTH_MATCH_NONE : org_wide ? MAUTH_MATCH_ORG : MAUTH_MATCH_USER;
    }
    switch (mauth_dbd_run(r, call_certificate, &call, &err)) {
    case MAUTH_STORE_OK:
        registered = 1;
        break;
    case MAUTH_STORE_NOT_FOUND:
        registered = 0;
        break;
    default:
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, MAUTHNO(00064)
                      "identity store failed matching a certificate: %s",
                      err ? err : "unknown error");
        return MAUTH_MATCH_STORE_ERROR;
    }
    if (answers) {
        mauth_answer_cache_put_match(answers, sc->store_id, user, fingerprint, registered,
                                     call.match.org_wide, apr_time_now());
    }
    return !registered ? MAUTH_MATCH_NONE
           : call.match.org_wide ? MAUTH_MATCH_ORG : MAUTH_MATCH_USER;
}

void mauth_dbd_register_hooks(apr_pool_t *p)
{
    static const char *const before_dbd[] = {"mod_dbd.c", NULL};

    ap_hook_post_config(prepare_statements, NULL, before_dbd, APR_HOOK_FIRST);
    ap_hook_optional_fn_retrieve(retrieve_optional_fns, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(create_answer_cache, NULL, NULL, APR_HOOK_MIDDLE);
    /* after mod_dbd's own (DBDInitSQL), so a connection is remembered only
     * once it is whole */
    APR_OPTIONAL_HOOK(dbd, post_connect, remember_connection, NULL, NULL, APR_HOOK_LAST);
}
