/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mod_mauth_fetch.c: glue of CRL fetching (MAuthCARevocationFetch).  One
 * process of the server (a singleton mod_watchdog) fetches: its first
 * round a second after the children start, then each URL on the core's
 * schedule (mauth_fetch.c), into MAuthCARevocationPath; every child's live
 * refresh (mod_mauth_refresh.c) then takes the new file.  This file only
 * checks the settings at start-up and says when a round runs; it never
 * touches a trust.
 */
#include "mod_mauth.h"
#include "unixd.h"

#define WATCHDOG_NAME "_mauth_crl_fetch_"
#define TICK apr_time_from_sec(1)

/* The URLs this configuration (pconf) fetches from. */
static mauth_crl_fetch_t *fetch;

static apr_status_t forget_fetch(void *data)
{
    fetch = NULL;
    return APR_SUCCESS;
}

apr_status_t mauth_fetch_watch(server_rec *s, mauth_server_conf_t *sc)
{
    apr_pool_t *pconf = s->process->pconf;
    mauth_fetch_settings_t *settings = apr_palloc(pconf, sizeof(*settings));
    mauth_logger_t logger;
    const char *err;

    if (!sc->crl_fetch) {
        return APR_SUCCESS;
    }
    if (fetch == NULL) {
        fetch = mauth_crl_fetch_create(pconf);
        apr_pool_cleanup_register(pconf, NULL, forget_fetch, apr_pool_cleanup_null);
    }
    /* sooner than the refresh looks is no use */
    *settings = (mauth_fetch_settings_t){sc->crl_path, sc->crl_fetch_timeout,
        (apr_size_t)sc->crl_fetch_max, {sc->crl_refresh > 0 ? sc->crl_refresh
                                        : apr_time_from_sec(60), apr_time_from_sec(3600)}};
    mauth_server_logger(s, &logger);
    if ((err = mauth_crl_fetch_add(fetch, sc->trust, settings, sc->crl_fetch_urls, &logger))) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, MAUTHNO(00121)
                     "MAuthCARevocationFetch (vhost %s:%u): %s", s->defn_name,
                     s->defn_line_number, err);
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

static apr_status_t watchdog_tick(int state, void *data, apr_pool_t *ptemp)
{
    if (state == AP_WATCHDOG_STATE_RUNNING) {
        mauth_crl_fetch_tick(fetch, apr_time_now(), ptemp);
    }
    return APR_SUCCESS;
}

/* At MIDDLE, before mod_watchdog counts callbacks (see mod_mauth_refresh.c);
 * the URLs are added once the trusts are built (mod_mauth.c). */
static int fetch_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                             server_rec *base)
{
    server_rec *s, *wanted = NULL;
    /* the fetching process is a child: User's as root, else ours */
    apr_uid_t child_uid = geteuid() == 0 ? ap_unixd_config.user_id : geteuid();
    apr_gid_t child_gid = geteuid() == 0 ? ap_unixd_config.group_id : getegid();
    const char *why;

    for (s = base; s; s = s->next) {
        mauth_server_conf_t *sc = mauth_server_conf(s);
        if (mauth_is_mutual(sc) && sc->crl_fetch && !sc->crl_path) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, MAUTHNO(00121)
                         "MAuthCARevocationFetch on (vhost %s:%u) needs MAuthCARevocationPath, "
                         "the directory fetched CRLs are written to", s->defn_name,
                         s->defn_line_number);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        if (mauth_is_mutual(sc) && sc->crl_fetch
            && (why = mauth_fetch_dir_unwritable(ptemp, sc->crl_path, child_uid, child_gid))) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, MAUTHNO(00122)
                         "MAuthCARevocationFetch (vhost %s:%u): MAuthCARevocationPath %s; "
                         "fetched CRLs cannot be written", s->defn_name, s->defn_line_number,
                         why);
        }
        wanted = mauth_is_mutual(sc) && sc->crl_fetch ? s : wanted;
    }
    if (wanted && !APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_get_instance)) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, wanted, MAUTHNO(00120)
                     "MAuthCARevocationFetch: mod_watchdog is not loaded, so no CRL is "
                     "fetched; load it, or put new CRLs in MAuthCARevocationPath yourself");
        return OK;
    }
    /* a singleton: one process fetches, not every child */
    return wanted ? mauth_watchdog_start(pconf, base, WATCHDOG_NAME, 1, TICK, watchdog_tick,
                                         "MAuthCARevocationFetch") : OK;
}

void mauth_fetch_register_hooks(apr_pool_t *p)
{
    ap_hook_post_config(fetch_post_config, NULL, NULL, APR_HOOK_MIDDLE);
}
