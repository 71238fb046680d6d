/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mauth_refresh.h: live CRL refresh.  A trust entry whose CRL files change
 * gets a new trust (same roots and policy, the CRLs read again, a new
 * generation) swapped in while requests go on; a replacement that is not
 * parseable, not signed by its issuer or older than the CRL in use is not
 * used.  Readers hold the trust they use (mauth_trust_acquire/_release),
 * so a replaced trust is freed only once no thread uses it.  APR and
 * OpenSSL only, like all of core/; the glue (mod_mauth_refresh.c) only
 * decides when to look.
 */
#ifndef MAUTH_REFRESH_H
#define MAUTH_REFRESH_H

#include "mauth_core.h"

#define MAUTH_FILES_STATE_LEN 32

/* A digest of what the file system says of spec's CRL file and every file
 * of its CRL directory (inode, size, modification and change times): it
 * changes whenever one of them is written, replaced, added or removed. */
void mauth_crl_files_state(apr_pool_t *p, const mauth_trust_spec_t *spec,
                           unsigned char state[MAUTH_FILES_STATE_LEN]);

/* The trust that replaces old: spec's files as they are now, with the
 * generation derived from spec's (the configuration's) and state, so every
 * process that sees the same files makes the same trust id.  Refused, with
 * *err naming the file and why, when a CRL does not parse, a CRL of a root
 * does not verify with the root's key, a CRL does not verify with the key
 * that verified the CRL of the same issuer in old, or a CRL is older (by
 * thisUpdate or CRL number) than old's CRL of the same issuer (a CRL with a
 * later one of its issuer beside it is not compared by age). */
apr_status_t mauth_trust_rebuild(apr_pool_t *p, mauth_trust_t *old,
                                 const mauth_trust_spec_t *spec,
                                 const unsigned char state[MAUTH_FILES_STATE_LEN],
                                 const mauth_logger_t *log, mauth_trust_t **out,
                                 const char **err);

/* Makes entry's trust refreshable in this process: spec as the trust was
 * built from, state as the files were just before.  NULL when out of memory. */
mauth_trust_live_t *mauth_trust_live_create(apr_pool_t *p, mauth_trust_entry_t *entry,
                                            const mauth_trust_spec_t *spec,
                                            const unsigned char state[MAUTH_FILES_STATE_LEN]);

/* Looks at the files once: when they changed since the trust in use (or
 * since the last refused change), rebuilds and swaps.  1: swapped (logged at
 * info), 0: nothing to do, -1: refused (logged at error, once per change;
 * the trust in use stays).  ptemp is cleared by the caller. */
int mauth_trust_live_check(mauth_trust_live_t *live, apr_pool_t *ptemp,
                           const mauth_logger_t *log);

/* How many trusts this process holds for entry: the one in use and the
 * replaced ones some thread still uses. */
int mauth_trust_live_held(mauth_trust_live_t *live);

/* The trusts whose CRL files a process watches, each at its interval. */
typedef struct mauth_crl_watch mauth_crl_watch_t;
mauth_crl_watch_t *mauth_crl_watch_create(apr_pool_t *p);
/* Watches entry (built from spec, its files as state says) every interval;
 * vhosts sharing entry get the shortest of their intervals. */
void mauth_crl_watch_add(mauth_crl_watch_t *w, mauth_trust_entry_t *entry,
                         const mauth_trust_spec_t *spec,
                         const unsigned char state[MAUTH_FILES_STATE_LEN],
                         apr_interval_time_t interval);
int mauth_crl_watch_empty(const mauth_crl_watch_t *w);
/* In the parent once the configuration is read, then in each new child:
 * each trust made refreshable in this process (pprocess: pconf, pchild)
 * and its files looked at once (a child born after a change starts with
 * the files of now); cache_readonly: this process does not write the CRL
 * cache directory (a child), it maps what the parent wrote.  0 when out of
 * memory. */
int mauth_crl_watch_start(mauth_crl_watch_t *w, apr_pool_t *pprocess, int cache_readonly,
                          const mauth_logger_t *log);
/* Looks at each trust whose interval has passed (not before start). */
void mauth_crl_watch_tick(mauth_crl_watch_t *w, apr_time_t now, apr_pool_t *ptemp,
                          const mauth_logger_t *log);

#endif /* MAUTH_REFRESH_H */
