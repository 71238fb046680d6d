/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mod_mauth_refresh.c: glue of the live CRL refresh.  Every child process
 * looks at the CRL files of each refreshed trust every
 * MAuthCARevocationRefresh seconds, from a mod_watchdog thread of its own
 * (a child watchdog, not a singleton: each process swaps its own pointer),
 * and once when it starts, so a child born after a change never serves
 * with the CRLs of the start-up.  The parent looks too, from the MPM's
 * monitor hook: it forks new children with the CRLs of now, and lets go of
 * the replaced ones, so the server holds one copy of a CRL, not two.  What a change is, what is checked and
 * how the swap keeps every request going is the core's (mauth_refresh.c);
 * this file only says when.  It never touches a trust itself.
 */
#include "mod_mauth.h"

#include "apr_strings.h"
#include "mpm_common.h"           /* the monitor hook */

#define WATCHDOG_NAME "_mauth_crl_refresh_"

/* The trusts this configuration (pconf) watches. */
static mauth_crl_watch_t *watch;
static server_rec *watch_server;
static apr_pool_t *monitor_pool;       /* the parent's, once it watches */

static apr_status_t forget_watch(void *data)
{
    watch = NULL;
    monitor_pool = NULL;
    return APR_SUCCESS;
}

void mauth_refresh_watch(server_rec *s, mauth_server_conf_t *sc, const mauth_trust_spec_t *spec,
                         const unsigned char state[MAUTH_FILES_STATE_LEN])
{
    apr_pool_t *pconf = s->process->pconf;

    if (sc->crl_refresh <= 0 || (!spec->crl_file && !spec->crl_path)) {
        return;
    }
    if (watch == NULL) {
        /* each load of the configuration watches its own trusts */
        watch = mauth_crl_watch_create(pconf);
        watch_server = s;
        apr_pool_cleanup_register(pconf, NULL, forget_watch, apr_pool_cleanup_null);
    }
    mauth_crl_watch_add(watch, sc->trust, spec, state, sc->crl_refresh);
}

static apr_status_t watchdog_tick(int state, void *data, apr_pool_t *ptemp)
{
    mauth_logger_t logger;

    if (state == AP_WATCHDOG_STATE_RUNNING && watch) {
        mauth_server_logger(watch_server, &logger);
        mauth_crl_watch_tick(watch, apr_time_now(), ptemp, &logger);
    }
    return APR_SUCCESS;
}

/*
 * mod_watchdog starts a child watchdog's thread only when a callback was
 * registered before its own post_config (at LAST) counted them, so the
 * watchdog is set up here, at MIDDLE, from the settings alone; the trusts
 * it watches are built later (mod_mauth.c's post_config, after mod_ssl's)
 * and found by the thread in watch.
 */
static int refresh_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                               server_rec *base)
{
    apr_interval_time_t tick = 0;
    server_rec *s;

    for (s = base; s; s = s->next) {
        mauth_server_conf_t *sc = mauth_server_conf(s);
        if (mauth_is_mutual(sc) && sc->crl_refresh > 0 && (sc->crl_file || sc->crl_path)
            && (tick == 0 || sc->crl_refresh < tick)) {
            tick = sc->crl_refresh;
        }
    }
    if (tick == 0) {
        return OK;
    }
    /* a child watchdog, in every child: each process swaps its own trust */
    return mauth_watchdog_start(pconf, base, WATCHDOG_NAME, 0, tick, watchdog_tick,
                                "MAuthCARevocationRefresh");
}

static int start_watching(apr_pool_t *pprocess, int cache_readonly, server_rec *base)
{
    mauth_logger_t logger;

    if (mauth_crl_watch_empty(watch)) {
        return 1;
    }
    mauth_server_logger(watch_server, &logger);
    if (!mauth_crl_watch_start(watch, pprocess, cache_readonly, &logger)) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, base, MAUTHNO(00095)
                     "cannot set up the CRL refresh");
        return 0;
    }
    return 1;
}

int mauth_refresh_parent_start(apr_pool_t *pconf, server_rec *base)
{
    return start_watching(pconf, 0, base)
           && (mauth_crl_watch_empty(watch)
               || apr_pool_create(&monitor_pool, pconf) == APR_SUCCESS);
}

static int refresh_monitor(apr_pool_t *p, server_rec *s)
{
    mauth_logger_t logger;

    if (monitor_pool && watch) {
        mauth_server_logger(watch_server, &logger);
        mauth_crl_watch_tick(watch, apr_time_now(), monitor_pool, &logger);
    }
    return DECLINED;
}

static void refresh_child_init(apr_pool_t *pchild, server_rec *base)
{
    monitor_pool = NULL;
    /* the parent alone writes the CRL copies the children map: a child
     * cannot alter what the parent (root) reads */
    if (!start_watching(pchild, 1, base)) {
        exit(APEXIT_CHILDSICK);
    }
}

void mauth_refresh_register_hooks(apr_pool_t *p)
{
    static const char *const before_watchdog[] = {"mod_watchdog.c", NULL};

    ap_hook_post_config(refresh_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    /* the live state should exist before the watchdog's thread first runs
     * (the thread waits for it anyway: watch->ready) */
    ap_hook_child_init(refresh_child_init, NULL, before_watchdog, APR_HOOK_MIDDLE);
    ap_hook_monitor(refresh_monitor, NULL, NULL, APR_HOOK_MIDDLE);
}
