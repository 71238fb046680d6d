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
#include "mod_watchdog.h"

#define WATCHDOG_NAME "_mauth_expiry_"
#define DAY apr_time_from_sec(86400)
#define TICK apr_time_from_sec(1)

static APR_OPTIONAL_FN_TYPE(ap_dbd_open) *dbd_open;
static APR_OPTIONAL_FN_TYPE(ap_dbd_close) *dbd_close;
static server_rec *base_server;

/* A CRL is near its nextUpdate a day before it: it is normally replaced
 * well before, so a day left means its publisher has stopped. */
static void warn_trust(apr_pool_t *p, server_rec *s, mauth_server_conf_t *sc, int days,
                       apr_time_t now)
{
    mauth_trust_t *trust = mauth_trust_acquire(sc->trust);
    const char *owner = sc->ca_file
        ? apr_psprintf(p, "MAuthCACertificateFile %s", sc->ca_file)
        : apr_psprintf(p, "MAuthCACertificatePath %s", sc->ca_path);
    mauth_logger_t logger;

    mauth_server_logger(s, &logger);
    mauth_trust_warn_expiring(p, trust, owner, now, now + days * DAY, now + DAY,
                              &logger);
    mauth_trust_release(sc->trust, trust);
}

static void warn_store(apr_pool_t *p, server_rec *s, mauth_server_conf_t *sc, int days,
                       apr_time_t now)
{
    ap_dbd_t *dbd = dbd_open ? dbd_open(p, s) : NULL;
    apr_array_header_t *certs;
    const char *err = NULL;
    int i, more;

    if (dbd == NULL) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, MAUTHNO(00112)
                     "expiry warnings: the identity store does not answer; "
                     "the uploaded certificates are looked at again tomorrow");
        return;
    }
    if (mauth_store_certificates_expiring(p, dbd->driver, dbd->handle, dbd->prepared,
                                          now + days * DAY, &certs, &more,
                                          &err) != MAUTH_STORE_OK) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, MAUTHNO(00112)
                     "expiry warnings: the identity store failed: %s", err);
        dbd_close(s, dbd);
        return;
    }
    for (i = 0; i < certs->nelts; i++) {
        const mauth_store_expiring_t *c = &APR_ARRAY_IDX(certs, i, mauth_store_expiring_t);
        char date[APR_RFC822_DATE_LEN];
        apr_rfc822_date(date, c->not_after);
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, MAUTHNO(00113)
                     "uploaded client certificate %s (SHA-256 %s) of %s%s%s'%s' %s %s",
                     c->subject, c->sha256, c->username ? "user '" : "organisation",
                     c->username ? c->username : "", c->username ? "' of organisation " : " ",
                     c->org_name, c->not_after <= now ? "expired" : "expires", date);
    }
    if (more) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, MAUTHNO(00114)
                     "more uploaded client certificates expire within %d days than the %d "
                     "above: mauth-admin cert list --expiring %d lists them all",
                     days, MAUTH_STORE_EXPIRING_MAX, days);
    }
    dbd_close(s, dbd);
}

/* One look at a trust or a store, under the most days of the vhosts that
 * share it. */
typedef struct {
    server_rec *s;
    mauth_server_conf_t *sc;
    int days;
    void (*warn)(apr_pool_t *p, server_rec *s, mauth_server_conf_t *sc, int days,
                 apr_time_t now);
} look_t;

static void plan_look(apr_pool_t *p, apr_hash_t *looks, const char *key, server_rec *s,
                      mauth_server_conf_t *sc, look_t proto)
{
    look_t *look = apr_hash_get(looks, key, APR_HASH_KEY_STRING);

    if (look == NULL) {
        look = apr_pmemdup(p, &proto, sizeof(proto));
        look->s = s;
        look->sc = sc;
        apr_hash_set(looks, key, APR_HASH_KEY_STRING, look);
    }
    if (sc->expiry_warning > look->days) {
        look->days = sc->expiry_warning;
    }
}

/* Vhosts with DBD directives of their own that name the same database
 * share its look. */
static const char *store_key(apr_pool_t *p, const mauth_server_conf_t *sc)
{
    const dbd_cfg_t *cfg = sc->dbd_cfg;

    return cfg ? apr_pstrcat(p, "store ", cfg->name, "\n", cfg->params, NULL)
               : apr_pstrcat(p, "store ", sc->store_id, NULL);
}

/* Every trust and every store once, however many vhosts share them. */
static void warn_all(apr_pool_t *p)
{
    apr_hash_t *looks = apr_hash_make(p);
    apr_hash_index_t *hi;
    apr_time_t now = apr_time_now();
    server_rec *s;

    for (s = base_server; s; s = s->next) {
        mauth_server_conf_t *sc = mauth_server_conf(s);
        if (!sc->engine || sc->expiry_warning == 0) {
            continue;
        }
        if (mauth_is_mutual(sc) && sc->trust) {
            plan_look(p, looks, apr_psprintf(p, "trust %pp", sc->trust), s, sc,
                      (look_t){.warn = warn_trust});
        }
        if (sc->uses_store && sc->store_id) {
            plan_look(p, looks, store_key(p, sc), s, sc, (look_t){.warn = warn_store});
        }
    }
    for (hi = apr_hash_first(p, looks); hi; hi = apr_hash_next(hi)) {
        look_t *look = apr_hash_this_val(hi);
        look->warn(p, look->s, look->sc, look->days, now);
    }
}

/* mod_watchdog's thread may start before other modules' child_init (mod_dbd's
 * connection pool among them): the first look waits for the first tick. */
static apr_status_t watchdog_tick(int state, void *data, apr_pool_t *ptemp)
{
    static apr_time_t next_look;
    apr_time_t now = apr_time_now();

    if (state == AP_WATCHDOG_STATE_STARTING) {
        next_look = 0;
    }
    else if (state == AP_WATCHDOG_STATE_RUNNING && now >= next_look) {
        next_look = now + DAY;
        warn_all(ptemp);
    }
    return APR_SUCCESS;
}

/* As for the CRL refresh, mod_watchdog counts callbacks in its own
 * post_config (LAST): this one is registered before, at MIDDLE. */
static int expiry_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                              server_rec *base)
{
    APR_OPTIONAL_FN_TYPE(ap_watchdog_get_instance) *get_instance;
    APR_OPTIONAL_FN_TYPE(ap_watchdog_register_callback) *register_callback;
    ap_watchdog_t *wd;
    apr_status_t rv;
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
    get_instance = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_get_instance);
    register_callback = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_register_callback);
    if (!get_instance || !register_callback) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, base, MAUTHNO(00115)
                     "MAuthExpiryWarning needs mod_watchdog; load it, or set "
                     "'MAuthExpiryWarning 0' (mauth-admin cert list --expiring "
                     "can then do the looking)");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    /* a singleton: one process warns, not every child */
    if ((rv = get_instance(&wd, WATCHDOG_NAME, 0, 1, pconf)) != APR_SUCCESS
        || (rv = register_callback(wd, TICK, NULL, watchdog_tick)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, base, MAUTHNO(00116)
                     "cannot set up the expiry warning watchdog");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
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
