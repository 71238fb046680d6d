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

#include "apr_optional_hooks.h"
#include "apr_strings.h"
#include "http_request.h"
#include "mod_dbd.h"

#include "mauth_store.h"

/* What we know of one of mod_dbd's pooled connections, kept in its pool. */
#define CONN_STATE_KEY "mauth-dbd-connection"

typedef struct {
    const dbd_cfg_t *cfg;     /* its mod_dbd group: params, statements, DBDInitSQL */
    mauth_store_file_t file;  /* sqlite3: the database file it opened */
} pooled_state_t;

static APR_OPTIONAL_FN_TYPE(ap_dbd_acquire) *dbd_acquire;

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

    state->cfg = cfg;
    /* just after mod_dbd opened it: a rename in between goes unnoticed
     * until the connection fails, as it did before */
    mauth_store_file_now(pool, dbd->driver, cfg->params, &state->file);
    apr_pool_userdata_setn(state, CONN_STATE_KEY, NULL, dbd->pool);
    return OK;
}

static pooled_state_t *state_of(ap_dbd_t *dbd)
{
    void *state = NULL;

    apr_pool_userdata_get(&state, CONN_STATE_KEY, dbd->pool);
    return state;
}

/* The core's messages about the request, with the core's file and line. */
static void log_to_request(void *baton, const char *file, int line, int level,
                           const char *tag, const char *message)
{
    ap_log_rerror_(file, line, APLOG_MODULE_INDEX, level, 0, baton, "%s: %s", tag, message);
}

/* What the core needs of mod_dbd's settings, and of ours. */
static mauth_store_conn_spec_t conn_spec(const mauth_server_conf_t *sc, const dbd_cfg_t *cfg)
{
    mauth_store_conn_spec_t spec = {cfg->params, cfg->init_queries, cfg->queries,
                                    MAUTH_LABEL_CUSTOM_USER, sc->user_query,
                                    MAUTH_LABEL_CUSTOM_SESSION, sc->session_query};
    return spec;
}

/* The store answers on a new connection: only the pooled one was bad, so
 * it is reopened in place, and the operator told. */
static void heal_pooled(request_rec *r, ap_dbd_t *dbd, pooled_state_t *state,
                        const char *first)
{
    mauth_store_conn_spec_t spec;
    mauth_logger_t log = {log_to_request, r,
                          ap_get_request_module_loglevel(r, APLOG_MODULE_INDEX)};

    if (!dbd) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, MAUTHNO(00080)
                      "identity store: %s; a new connection answered", first);
        return;
    }
    if (!state) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, MAUTHNO(00084)
                      "identity store: the pooled connection cannot be used (%s); a new "
                      "connection answered; the pooled one is left to mod_dbd "
                      "(its settings are not known)", first);
        return;
    }
    spec = conn_spec(mauth_server_conf(r->server), state->cfg);
    mauth_store_conn_heal(dbd->pool, r->pool, dbd->driver, &spec, &dbd->handle, &dbd->prepared,
                          &state->file, first, &log);
}

/* ----------------------------------------------------------- a lookup */

/* Once more on a connection of our own: it tells a bad connection from a
 * store that is down. */
static mauth_store_status_e run_on_own(request_rec *r, const dbd_cfg_t *cfg,
                                       const apr_dbd_driver_t *driver, int file_must_exist,
                                       mauth_dbd_call_fn *call, void *baton,
                                       const char *first, const char **err)
{
    mauth_store_conn_spec_t spec = conn_spec(mauth_server_conf(r->server), cfg);
    mauth_store_status_e status = MAUTH_STORE_ERROR;
    mauth_store_conn_t own;
    const char *again = NULL;

    if (mauth_store_conn_open(r->pool, driver, &spec, file_must_exist, &own, &again)) {
        status = call(r, own.driver, own.handle, own.prepared, baton, &again);
        apr_pool_destroy(own.pool);
    }
    if (status == MAUTH_STORE_ERROR) {
        *err = apr_pstrcat(r->pool, first, "; on a new connection: ", again, NULL);
    }
    return status;
}

mauth_store_status_e mauth_dbd_run(request_rec *r, mauth_dbd_call_fn *call, void *baton,
                                   const char **err)
{
    mauth_server_conf_t *sc = mauth_server_conf(r->server);
    ap_dbd_t *dbd = dbd_acquire ? dbd_acquire(r) : NULL;
    pooled_state_t *state = dbd ? state_of(dbd) : NULL;
    const dbd_cfg_t *cfg = state ? state->cfg : sc->dbd_cfg;
    const apr_dbd_driver_t *driver = dbd ? dbd->driver : NULL;
    const char *first = NULL;
    mauth_store_status_e status;

    if (dbd) {
        first = state ? mauth_store_file_changed(r->pool, cfg->params, &state->file) : NULL;
        if (first == NULL) {
            status = call(r, dbd->driver, dbd->handle, dbd->prepared, baton, &first);
            if (status != MAUTH_STORE_ERROR) {
                return status;
            }
        }
    }
    else {
        first = dbd_acquire ? "mod_dbd gave no connection (its own log line says why)"
                            : "mod_dbd is not loaded";
        if (cfg && apr_dbd_get_driver(r->pool, cfg->name, &driver) != APR_SUCCESS) {
            cfg = NULL;
        }
    }
    if (!cfg) {
        *err = apr_pstrcat(r->pool, first, "; no new connection tried: mod_dbd's "
                           "settings for this vhost are not known", NULL);
        return MAUTH_STORE_ERROR;
    }
    status = run_on_own(r, cfg, driver, state && state->file.known, call, baton, first, err);
    if (status != MAUTH_STORE_ERROR) {
        heal_pooled(r, dbd, state, first);
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

/* A lookup, as mauth_dbd_run runs it on a connection. */
typedef struct {
    request_rec *r;
    const char *credential;
    int token;
    apr_pool_t *pool;
    mauth_store_user_t *user;
    const char *fingerprint;
    mauth_store_match_t *match;
    const char *err;
} lookup_call_t;

static mauth_store_status_e call_user(request_rec *r, const apr_dbd_driver_t *driver,
                                      apr_dbd_t *handle, apr_hash_t *prepared,
                                      void *baton, const char **err)
{
    lookup_call_t *c = baton;
    mauth_server_conf_t *sc = mauth_server_conf(r->server);

    if (c->token) {
        return store->user_by_session(c->pool, driver, handle, prepared,
                                      sc->session_query ? MAUTH_LABEL_CUSTOM_SESSION : NULL,
                                      c->credential, apr_time_now(), c->user, err);
    }
    return store->user_by_name(c->pool, driver, handle, prepared,
                               sc->user_query ? MAUTH_LABEL_CUSTOM_USER : NULL,
                               c->credential, c->user, err);
}

static mauth_store_status_e call_certificate(request_rec *r, const apr_dbd_driver_t *driver,
                                             apr_dbd_t *handle, apr_hash_t *prepared,
                                             void *baton, const char **err)
{
    lookup_call_t *c = baton;

    return store->certificate_matches(r->pool, driver, handle, prepared, c->user,
                                      c->fingerprint, apr_time_now(), c->match, err);
}

static mauth_store_status_e ask_user(void *baton, apr_pool_t *p, mauth_store_user_t *user)
{
    lookup_call_t *c = baton;

    c->user = user;
    return mauth_dbd_run(c->r, call_user, c, &c->err);
}

static mauth_store_status_e ask_match(void *baton, mauth_store_match_t *match)
{
    lookup_call_t *c = baton;

    c->match = match;
    return mauth_dbd_run(c->r, call_certificate, c, &c->err);
}

void mauth_store_lookup(request_rec *r, apr_pool_t *pool, const char *credential, int token,
                        mauth_lookup_t *out)
{
    lookup_call_t call = {r, credential, token, pool, NULL, NULL, NULL, NULL};

    switch (mauth_answer_user(answers, pool, mauth_server_conf(r->server)->store_id, token,
                              credential, ask_user, &call, &out->user)) {
    case MAUTH_STORE_OK:
        out->who = MAUTH_WHO_FOUND;
        break;
    case MAUTH_STORE_NOT_FOUND:
        out->who = MAUTH_WHO_UNKNOWN;
        break;
    default:
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, MAUTHNO(00061)
                      "identity store failed looking up a %s: %s",
                      token ? "session" : "user", call.err ? call.err : "unknown error");
        out->who = MAUTH_WHO_STORE_ERROR;
    }
}

mauth_match_e mauth_store_match(request_rec *r, const mauth_store_user_t *user,
                                const char *fingerprint)
{
    lookup_call_t call = {r, NULL, 0, r->pool, (mauth_store_user_t *)user, fingerprint,
                          NULL, NULL};
    mauth_store_match_t match;

    switch (mauth_answer_match(answers, mauth_server_conf(r->server)->store_id, user,
                               fingerprint, ask_match, &call, &match)) {
    case MAUTH_STORE_OK:
        return match.org_wide ? MAUTH_MATCH_ORG : MAUTH_MATCH_USER;
    case MAUTH_STORE_NOT_FOUND:
        return MAUTH_MATCH_NONE;
    default:
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, MAUTHNO(00064)
                      "identity store failed matching a certificate: %s",
                      call.err ? call.err : "unknown error");
        return MAUTH_MATCH_STORE_ERROR;
    }
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
