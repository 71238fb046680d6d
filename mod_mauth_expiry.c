/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mod_mauth_expiry.c: glue of the expiry warnings (MAuthExpiryWarning).
 * One process of the server (a singleton mod_watchdog) looks a second after
 * its children start, at start-up and after each restart, then once a day:
 * at the CA certificates and CRLs of every mutual vhost's trust in use (the
 * refreshed one, if a refresh swapped it) and at the certificates uploaded
 * to each identity store.  Each one found is a warning naming it, its owner
 * and the date; what counts as near is the core's.
 */
#include "mod_mauth.h"

#include "apr_strings.h"
#include "mod_dbd.h"

#define WATCHDOG_NAME "_mauth_expiry_"
#define TICK apr_time_from_sec(1)

static APR_OPTIONAL_FN_TYPE(ap_dbd_open) *dbd_open;
static APR_OPTIONAL_FN_TYPE(ap_dbd_close) *dbd_close;
static server_rec *base_server;

static void look_at_store(void *baton, apr_pool_t *p, apr_time_t now, apr_time_t deadline)
{
    server_rec *s = baton;
    ap_dbd_t *dbd = dbd_open ? dbd_open(p, s) : NULL;
    mauth_logger_t logger;

    if (dbd == NULL) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, MAUTHNO(00115)
                     "expiry warnings: the identity store does not answer; "
                     "the uploaded certificates are looked at again tomorrow");
        return;
    }
    mauth_server_logger(s, &logger);
    mauth_store_warn_expiring(p, dbd->driver, dbd->handle, dbd->prepared, now, deadline,
                              &logger);
    dbd_close(s, dbd);
}

/* Vhosts with DBD directives of their own that name the same database
 * share its look. */
static const char *store_key(apr_pool_t *p, const mauth_server_conf_t *sc)
{
    const dbd_cfg_t *cfg = sc->dbd_cfg;

    return cfg ? apr_pstrcat(p, "store ", cfg->name, "\n", cfg->params, NULL)
               : apr_pstrcat(p, "store ", sc->store_id, NULL);
}

/* Every trust and every store once, under the most days of the vhosts
 * that share it. */
static void warn_all(apr_pool_t *p)
{
    mauth_expiry_round_t *round = mauth_expiry_round_create(p);
    server_rec *s;

    for (s = base_server; s; s = s->next) {
        mauth_server_conf_t *sc = mauth_server_conf(s);
        mauth_expiry_trust_t *trust = apr_palloc(p, sizeof(*trust));
        if (!sc->engine || sc->expiry_warning == 0) {
            continue;
        }
        if (mauth_is_mutual(sc) && sc->trust) {
            trust->entry = sc->trust;
            trust->owner = apr_pstrcat(p, sc->ca_file ? "MAuthCACertificateFile "
                                       : "MAuthCACertificatePath ",
                                       sc->ca_file ? sc->ca_file : sc->ca_path, NULL);
            mauth_server_logger(s, &trust->logger);
            mauth_expiry_round_add(round, apr_psprintf(p, "trust %pp", sc->trust),
                                   sc->expiry_warning, mauth_expiry_trust_look, trust);
        }
        if (sc->uses_store && sc->store_id) {
            mauth_expiry_round_add(round, store_key(p, sc), sc->expiry_warning,
                                   look_at_store, s);
        }
    }
    mauth_expiry_round_run(round, apr_time_now());
}

/* mod_watchdog's thread may start before other modules' child_init (mod_dbd's
 * connection pool among them): the first round waits for the first tick. */
static apr_status_t watchdog_tick(int state, void *data, apr_pool_t *ptemp)
{
    static apr_time_t next_round;

    if (state == AP_WATCHDOG_STATE_STARTING) {
        next_round = 0;
    }
    else if (state == AP_WATCHDOG_STATE_RUNNING && mauth_expiry_due(&next_round, apr_time_now())) {
        warn_all(ptemp);
    }
    return APR_SUCCESS;
}

/* As for the CRL refresh, mod_watchdog counts callbacks in its own
 * post_config (LAST): this one is registered before, at MIDDLE. */
static int expiry_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                              server_rec *base)
{
    server_rec *s;

    base_server = NULL;
    for (s = base; s && !base_server; s = s->next) {
        mauth_server_conf_t *sc = mauth_server_conf(s);
        if (sc->engine && sc->expiry_warning > 0 && (mauth_is_mutual(sc) || sc->uses_store)) {
            base_server = base;
        }
    }
    if (base_server == NULL) {
        return OK;
    }
    /* warnings are not worth refusing to start for (the default is on) */
    if (!APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_get_instance)) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, base, MAUTHNO(00116)
                     "MAuthExpiryWarning: mod_watchdog is not loaded, so nothing warns of "
                     "ending certificates; load it, or look with mauth-admin cert list "
                     "--expiring DAYS");
        base_server = NULL;
        return OK;
    }
    /* a singleton: one process warns, not every child */
    return mauth_watchdog_start(pconf, base, WATCHDOG_NAME, 1, TICK, watchdog_tick,
                                "MAuthExpiryWarning");
}

static void retrieve_optional_fns(void)
{
    dbd_open = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_open);
    dbd_close = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_close);
}

void mauth_expiry_register_hooks(apr_pool_t *p)
{
    ap_hook_post_config(expiry_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_optional_fn_retrieve(retrieve_optional_fns, NULL, NULL, APR_HOOK_MIDDLE);
}
