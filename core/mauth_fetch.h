/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mauth_fetch.h: CRLs fetched from their distribution points
 * (MAuthCARevocationFetch).  The URLs are the http:// CRL distribution
 * points of the configured CA certificates and the configured ones, never
 * a client certificate's.  A fetched CRL passes the checks of the refresh
 * (parses, a configured CA's key verifies it, not older than the CRL of
 * its issuer in use) before it is written, atomically, into the CRL
 * directory; the live refresh (mauth_refresh.h) then takes it like any
 * other change of the files.  APR and OpenSSL only; the glue
 * (mod_mauth_fetch.c) only says when a round runs.
 */
#ifndef MAUTH_FETCH_H
#define MAUTH_FETCH_H

#include "mauth_core.h"

/* What is known of one URL. */
typedef struct {
    apr_time_t this_update;            /* of the CRL last got from it; 0: none yet */
    apr_time_t next_update;            /* 0: that CRL names none (or none got) */
    apr_time_t last_attempt;           /* 0: never tried */
    int failures;                      /* in a row since the last success */
} mauth_fetch_state_t;

typedef struct {
    apr_interval_time_t min_gap;       /* never sooner after an attempt (the
                                        * refresh interval: sooner is no use) */
    apr_interval_time_t max_wait;      /* longest backoff after failures, and
                                        * the interval for a CRL without
                                        * nextUpdate */
} mauth_fetch_timing_t;

/*
 * When to fetch a URL next: at once when never tried; after a failure,
 * min_gap doubled for each failure in a row, at most max_wait; after a
 * success, when half of the CRL's thisUpdate..nextUpdate has passed (when
 * that was already past, half of what was left before nextUpdate), so a
 * new CRL is sought well before the one in use goes stale; never sooner
 * than min_gap after the last attempt.
 */
apr_time_t mauth_fetch_next(const mauth_fetch_state_t *st, const mauth_fetch_timing_t *timing,
                            apr_time_t now);

/* The file a URL's CRL is written to: dir/<host>_<port>_<path>-<hash>.crl,
 * every character but letters, digits, '.' and '-' made '_', the hash the
 * first 8 hex digits of the URL's SHA-256 (two URLs never share a file). */
const char *mauth_fetch_file_name(apr_pool_t *p, const char *dir, const char *url);

typedef enum {
    MAUTH_FETCH_TAKEN,                 /* checked and written */
    MAUTH_FETCH_UNCHANGED,             /* the very CRL in use: nothing written */
    MAUTH_FETCH_REFUSED                /* see why; nothing written */
} mauth_fetch_outcome_e;

typedef struct {
    const char *issuer;                /* the CRL's issuer, as text */
    apr_time_t this_update, next_update;
    apr_size_t entries;
} mauth_fetch_crl_info_t;

/*
 * Checks a fetched body against the trust in use and, when it passes,
 * writes it to path through a hidden temporary file in the same directory
 * renamed over path: one CRL, PEM or DER; its issuer one of the trust's CA
 * certificates whose key verifies it; not older than the trust's CRL of
 * that issuer.  info is filled for TAKEN and UNCHANGED; *why for REFUSED.
 */
mauth_fetch_outcome_e mauth_fetch_take(apr_pool_t *p, mauth_trust_t *in_use,
                                       const unsigned char *body, apr_size_t len,
                                       const char *path, mauth_fetch_crl_info_t *info,
                                       const char **why);

/* How one vhost's trust is fetched for. */
typedef struct {
    const char *dir;                   /* MAuthCARevocationPath */
    apr_interval_time_t timeout;       /* one fetch, connection to last byte */
    apr_size_t max_size;               /* of one CRL */
    mauth_fetch_timing_t timing;
} mauth_fetch_settings_t;

/* NULL when the user uid (group gid) may write files into dir, as its
 * mode bits say (ACLs and supplementary groups aside); else why not. */
const char *mauth_fetch_dir_unwritable(apr_pool_t *p, const char *dir, apr_uid_t uid,
                                       apr_gid_t gid);

/* Every URL one process fetches, each on its own schedule. */
typedef struct mauth_crl_fetch mauth_crl_fetch_t;
mauth_crl_fetch_t *mauth_crl_fetch_create(apr_pool_t *p);
/* Adds the URLs of entry's trust: the http:// CRL distribution points of
 * its CA certificates, then urls (const char *; may be NULL).  A URL
 * already added for the entry is not added again.  NULL, or why nothing
 * can be fetched (no URL at all). */
const char *mauth_crl_fetch_add(mauth_crl_fetch_t *f, mauth_trust_entry_t *entry,
                                const mauth_fetch_settings_t *settings,
                                const apr_array_header_t *urls, const mauth_logger_t *log);
int mauth_crl_fetch_empty(const mauth_crl_fetch_t *f);
/* Fetches each URL whose time has come, one after the other (a slow server
 * holds only the caller's thread, at most the timeout); ptemp is cleared
 * after each. */
void mauth_crl_fetch_tick(mauth_crl_fetch_t *f, apr_time_t now, apr_pool_t *ptemp);

#endif /* MAUTH_FETCH_H */
