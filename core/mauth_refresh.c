/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mauth_refresh.c: live CRL refresh (see mauth_refresh.h).  A refresh
 * builds a whole new trust with the one builder (mauth_trust_build),
 * checks it against the trust in use, and swaps the entry's pointer under
 * the entry's lock.  It never changes a trust in place: a finished trust
 * stays read-only and lock-free for its readers, who only count themselves
 * in and out.  A replaced trust is freed when its last reader leaves.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_file_info.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "mauth_refresh.h"
#include "mauth_trust.h"

/* One trust this process holds: the one in use, or a replaced one that a
 * thread still uses. */
typedef struct held {
    mauth_trust_t *trust;
    apr_pool_t *pool;                  /* its own, freed with it; NULL: another
                                        * process's (or the configuration's) */
    int refs;                          /* readers, plus one while in use */
    struct held *next;
} held_t;

struct mauth_trust_live {
    apr_pool_t *pool;
    apr_thread_mutex_t *lock;
    mauth_trust_entry_t *entry;
    mauth_trust_spec_t spec;
    unsigned char generation[MAUTH_GENERATION_LEN];   /* the configuration's */
    unsigned char state[MAUTH_FILES_STATE_LEN];       /* of the trust in use */
    unsigned char refused[MAUTH_FILES_STATE_LEN];     /* last change refused */
    int has_refused;
    held_t *current;
    held_t *replaced;                  /* still held by some reader */
};

/* ------------------------------------------------------- the files' state */

/* A directory counts by its identity only: its times change with every
 * hidden file written and removed in it (a temporary name renamed into
 * place, a CRL fetch that failed its checks), and its files' own facts
 * say what changed. */
static void state_of_file(EVP_MD_CTX *md, apr_pool_t *p, const char *path, int is_dir)
{
    apr_finfo_t info;
    apr_int64_t facts[5] = {0, 0, 0, 0, 0};

    EVP_DigestUpdate(md, path, strlen(path) + 1);
    if (apr_stat(&info, path, APR_FINFO_INODE | APR_FINFO_SIZE | APR_FINFO_MTIME
                 | APR_FINFO_CTIME | APR_FINFO_TYPE, p) == APR_SUCCESS) {
        facts[0] = 1;
        facts[1] = (apr_int64_t)info.inode;
        facts[2] = is_dir ? 0 : (apr_int64_t)info.size;
        facts[3] = is_dir ? 0 : (apr_int64_t)info.mtime;
        facts[4] = is_dir ? 0 : (apr_int64_t)info.ctime;
    }
    EVP_DigestUpdate(md, facts, sizeof(facts));
}

void mauth_crl_files_state(apr_pool_t *p, const mauth_trust_spec_t *spec,
                           unsigned char state[MAUTH_FILES_STATE_LEN])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned int len = 0;

    EVP_DigestInit_ex(md, mauth_sha256(), NULL);
    if (spec->crl_file) {
        EVP_DigestUpdate(md, "F", 1);
        state_of_file(md, p, spec->crl_file, 0);
    }
    if (spec->crl_path) {
        apr_dir_t *dir;
        apr_finfo_t entry;
        apr_array_header_t *names = apr_array_make(p, 16, sizeof(const char *));
        int i;

        EVP_DigestUpdate(md, "D", 1);
        state_of_file(md, p, spec->crl_path, 1);
        if (apr_dir_open(&dir, spec->crl_path, p) == APR_SUCCESS) {
            while (apr_dir_read(&entry, APR_FINFO_NAME, dir) == APR_SUCCESS) {
                if (entry.name[0] != '.') {
                    APR_ARRAY_PUSH(names, const char *) =
                        apr_pstrcat(p, spec->crl_path, "/", entry.name, NULL);
                }
            }
            apr_dir_close(dir);
        }
        mauth_sort_paths(names);
        for (i = 0; i < names->nelts; i++) {
            state_of_file(md, p, APR_ARRAY_IDX(names, i, const char *), 0);
        }
    }
    EVP_DigestFinal_ex(md, state, &len);
    EVP_MD_CTX_free(md);
}

/* ------------------------------------------------------- the new trust */

/* Whether a is a later CRL than b of the same issuer. */
static int later(const mauth_crl_t *a, const mauth_crl_t *b)
{
    return a->this_update > b->this_update
           || (a->this_update == b->this_update && a->number && b->number
               && mauth_crl_number_cmp(a, b) > 0);
}

/* Whether crls holds a later CRL of crl's issuer than crl. */
static int superseded(const apr_array_header_t *crls, const mauth_crl_t *crl)
{
    int i;

    for (i = 0; i < crls->nelts; i++) {
        const mauth_crl_t *other = APR_ARRAY_IDX(crls, i, mauth_crl_t *);
        if (other != crl && X509_NAME_cmp(other->issuer, crl->issuer) == 0
            && later(other, crl)) {
            return 1;
        }
    }
    return 0;
}

int mauth_crl_replaces(apr_pool_t *p, mauth_crl_t *crl, int check_age, mauth_trust_t *old,
                       const char **err)
{
    char then[APR_RFC822_DATE_LEN], now[APR_RFC822_DATE_LEN];
    int i, ok = 1;

    for (i = 0; ok && i < old->crls->nelts; i++) {
        mauth_crl_t *in_use = APR_ARRAY_IDX(old->crls, i, mauth_crl_t *);
        X509 *issuer;

        if (X509_NAME_cmp(in_use->issuer, crl->issuer) != 0) {
            continue;
        }
        if (check_age && crl->this_update < in_use->this_update) {
            apr_rfc822_date(now, crl->this_update);
            apr_rfc822_date(then, in_use->this_update);
            *err = apr_psprintf(p, "%s: the CRL of %s is older than the one in use "
                                "(thisUpdate %s, in use %s)", crl->source,
                                mauth_name_text(p, crl->issuer), now, then);
            ok = 0;
            break;
        }
        if (check_age && crl->number && in_use->number
            && mauth_crl_number_cmp(crl, in_use) < 0) {
            *err = apr_psprintf(p, "%s: the CRL of %s is older than the one in use "
                                "(a lower CRL number)", crl->source,
                                mauth_name_text(p, crl->issuer));
            ok = 0;
        }
        /* the issuer's key is known once a chain through it verified its
         * CRL: the replacement must verify with the same key */
        issuer = ok ? mauth_crl_verified_issuer(in_use) : NULL;
        if (issuer && !mauth_crl_signed_by(crl, issuer)) {
            *err = apr_psprintf(p, "%s: the CRL of %s does not verify with its issuer's "
                                "key", crl->source, mauth_name_text(p, crl->issuer));
            ok = 0;
        }
        X509_free(issuer);
    }
    return ok;
}

apr_status_t mauth_trust_rebuild(apr_pool_t *p, mauth_trust_t *old,
                                 const mauth_trust_spec_t *spec,
                                 const unsigned char state[MAUTH_FILES_STATE_LEN],
                                 const mauth_logger_t *log, mauth_trust_t **out,
                                 const char **err)
{
    mauth_trust_spec_t next = *spec;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    const char *what = NULL, *why = NULL;
    mauth_trust_t *t;
    apr_status_t rv;
    int i;

    /* a new generation for each state of the files, the same in every
     * process that sees them */
    EVP_DigestInit_ex(md, mauth_sha256(), NULL);
    EVP_DigestUpdate(md, "mauth-refresh-1", 15);
    if (spec->generation) {
        EVP_DigestUpdate(md, spec->generation, MAUTH_GENERATION_LEN);
    }
    EVP_DigestUpdate(md, state, MAUTH_FILES_STATE_LEN);
    EVP_DigestFinal_ex(md, digest, &len);
    EVP_MD_CTX_free(md);
    next.generation = digest;

    *out = NULL;
    rv = mauth_trust_build(p, &next, log, &t, &why, &what);
    if (rv != APR_SUCCESS) {
        *err = apr_psprintf(p, "%s: %s", what ? what : "CRL", why ? why : "cannot build");
        return rv;
    }
    for (i = 0; i < t->crls->nelts; i++) {
        mauth_crl_t *crl = APR_ARRAY_IDX(t->crls, i, mauth_crl_t *);
        int j;
        /* a CRL the trust in use already holds was verified there */
        for (j = 0; j < old->crls->nelts; j++) {
            mauth_crl_take_memo(crl, APR_ARRAY_IDX(old->crls, j, mauth_crl_t *));
        }
        /* an issuer's CRL kept beside a later one of it (a fetched CRL
         * beside the one first put there) is no step back: the later
         * one's age is what counts */
        if (!mauth_crl_replaces(p, crl, !superseded(t->crls, crl), old, err)) {
            return APR_EINVAL;
        }
    }
    *out = t;
    return APR_SUCCESS;
}

/* ------------------------------------------------------- the swap */

/* The process ends (its pool is destroyed once its threads are gone): every
 * trust a refresh made goes. */
static apr_status_t live_cleanup(void *data)
{
    mauth_trust_live_t *live = data;
    held_t *h, *next;

    live->current->next = live->replaced;
    for (h = live->current; h; h = next) {
        next = h->next;
        if (h->pool) {
            apr_pool_destroy(h->pool);
        }
        free(h);
    }
    return APR_SUCCESS;
}

/* The pool of the trust in use becomes live's, to free once a refresh
 * replaced it: the start-up trust's, or, in a child, the one the parent's
 * live state held when it forked (the parent refreshes too, so a child may
 * start with a trust of the parent's making).  Trusts the parent had
 * replaced are no use to this process: freed now. */
static void take_over(mauth_trust_live_t *live, mauth_trust_entry_t *entry)
{
    mauth_trust_live_t *parent = entry->live;
    held_t *h;

    if (parent == NULL) {
        live->current->pool = entry->pool;
        entry->pool = NULL;
        return;
    }
    live->current->pool = parent->current->pool;
    parent->current->pool = NULL;
    for (h = parent->replaced; h; h = h->next) {
        if (h->pool) {
            apr_pool_destroy(h->pool);
            h->pool = NULL;
        }
    }
}

mauth_trust_live_t *mauth_trust_live_create(apr_pool_t *p, mauth_trust_entry_t *entry,
                                            const mauth_trust_spec_t *spec,
                                            const unsigned char state[MAUTH_FILES_STATE_LEN])
{
    mauth_trust_live_t *live = apr_pcalloc(p, sizeof(*live));

    live->pool = p;
    live->entry = entry;
    live->spec = *spec;
    if (spec->generation) {
        memcpy(live->generation, spec->generation, MAUTH_GENERATION_LEN);
        live->spec.generation = live->generation;
    }
    memcpy(live->state, state, MAUTH_FILES_STATE_LEN);
    /* malloc'd like every holder: drop frees them alike */
    if ((live->current = calloc(1, sizeof(held_t))) == NULL
        || apr_thread_mutex_create(&live->lock, APR_THREAD_MUTEX_DEFAULT, p) != APR_SUCCESS) {
        free(live->current);
        return NULL;
    }
    live->current->trust = entry->trust;
    live->current->refs = 1;
    take_over(live, entry);
    entry->live = live;
    apr_pool_cleanup_register(p, live, live_cleanup, apr_pool_cleanup_null);
    return live;
}

mauth_trust_t *mauth_trust_acquire(mauth_trust_entry_t *entry)
{
    mauth_trust_live_t *live = entry->live;
    mauth_trust_t *t;

    if (live == NULL) {
        return entry->trust;
    }
    apr_thread_mutex_lock(live->lock);
    live->current->refs++;
    t = live->current->trust;
    apr_thread_mutex_unlock(live->lock);
    return t;
}

/* Under the lock: one reference less; a replaced trust nobody holds is freed. */
static void drop(mauth_trust_live_t *live, mauth_trust_t *t)
{
    held_t **at;

    if (live->current->trust == t) {
        live->current->refs--;
        return;
    }
    for (at = &live->replaced; *at; at = &(*at)->next) {
        held_t *h = *at;
        if (h->trust == t) {
            if (--h->refs == 0) {
                *at = h->next;
                if (h->pool) {
                    apr_pool_destroy(h->pool);
                }
                free(h);
            }
            return;
        }
    }
}

void mauth_trust_release(mauth_trust_entry_t *entry, mauth_trust_t *trust)
{
    mauth_trust_live_t *live = entry->live;

    if (live == NULL || trust == NULL) {
        return;
    }
    apr_thread_mutex_lock(live->lock);
    drop(live, trust);
    apr_thread_mutex_unlock(live->lock);
}

int mauth_trust_live_held(mauth_trust_live_t *live)
{
    held_t *h;
    int n = 1;

    apr_thread_mutex_lock(live->lock);
    for (h = live->replaced; h; h = h->next) {
        n++;
    }
    apr_thread_mutex_unlock(live->lock);
    return n;
}

/* Whether a shared copy of a CRL t holds in memory (a child read it before
 * the parent wrote the copy) exists now. */
static int shared_copy_ready(const mauth_trust_t *t, apr_pool_t *ptemp)
{
    apr_finfo_t info;
    int i;

    for (i = 0; i < t->crl_cache_pending->nelts; i++) {
        if (apr_stat(&info, APR_ARRAY_IDX(t->crl_cache_pending, i, const char *),
                     APR_FINFO_TYPE, ptemp) == APR_SUCCESS) {
            return 1;
        }
    }
    return 0;
}

/* Under live's lock: t (in pool, held by h) becomes the trust in use. */
static void swap_in(mauth_trust_live_t *live, mauth_trust_t *t, apr_pool_t *pool, held_t *h)
{
    mauth_trust_t *old;

    h->trust = t;
    h->pool = pool;
    h->refs = 1;
    apr_thread_mutex_lock(live->lock);
    old = live->current->trust;
    live->current->next = live->replaced;
    live->replaced = live->current;
    live->current = h;
    live->entry->trust = t;
    /* the reference the trust in use had */
    drop(live, old);
    apr_thread_mutex_unlock(live->lock);
}

int mauth_trust_live_check(mauth_trust_live_t *live, apr_pool_t *ptemp,
                           const mauth_logger_t *log)
{
    unsigned char state[MAUTH_FILES_STATE_LEN];
    apr_pool_t *pool = NULL;
    mauth_trust_t *old, *t = NULL;
    held_t *h;
    const char *err = NULL;
    apr_status_t rv;
    int to_shared;

    mauth_crl_files_state(ptemp, &live->spec, state);
    /* only the checking thread writes state, refused and current; the same
     * files again are read again only to take their shared copy (the same
     * trust id: no verdict is lost) */
    to_shared = memcmp(state, live->state, sizeof(state)) == 0;
    if (to_shared ? !shared_copy_ready(live->current->trust, ptemp)
                  : live->has_refused && memcmp(state, live->refused, sizeof(state)) == 0) {
        return 0;
    }
    /* a pool of its own, freed from whichever thread releases it last */
    if (apr_pool_create_unmanaged_ex(&pool, NULL, NULL) != APR_SUCCESS
        || (h = calloc(1, sizeof(*h))) == NULL) {
        if (pool) {
            apr_pool_destroy(pool);
        }
        mauth_log(log, MAUTH_LOG_ERR, "MAUTH00091",
                  "out of memory refreshing the CRLs; the CRLs in use stay");
        return -1;
    }
    old = mauth_trust_acquire(live->entry);
    rv = mauth_trust_rebuild(pool, old, &live->spec, state, log, &t, &err);
    mauth_trust_release(live->entry, old);
    if (rv != APR_SUCCESS) {
        mauth_log(log, MAUTH_LOG_ERR, "MAUTH00090",
                  "CRL refresh refused: %s; the CRLs in use stay", err);
        apr_pool_destroy(pool);
        free(h);
        if (to_shared) {
            apr_array_clear(live->current->trust->crl_cache_pending);
            return -1;
        }
        memcpy(live->refused, state, sizeof(state));
        live->has_refused = 1;
        return -1;
    }
    swap_in(live, t, pool, h);
    if (!live->spec.crl_cache_readonly) {
        /* taken: the copies of what it replaced go (not before: a refused
         * CRL must not take the copy in use away) */
        mauth_crl_cache_settle(ptemp, t->crls);
    }
    memcpy(live->state, state, sizeof(state));
    live->has_refused = 0;
    mauth_log(log, to_shared ? MAUTH_LOG_DEBUG : MAUTH_LOG_INFO, to_shared ? "MAUTH00141"
              : "MAUTH00092", to_shared ? "CRLs of %s%s%s: the shared copy taken, %d CRL(s)"
              : "CRLs refreshed from %s%s%s: %d CRL(s), a new trust generation",
              live->spec.crl_file ? live->spec.crl_file : "",
              live->spec.crl_file && live->spec.crl_path ? " and " : "",
              live->spec.crl_path ? live->spec.crl_path : "", mauth_trust_crl_count(t));
    return 1;
}

/* ------------------------------------------------------- the watch list */

typedef struct {
    mauth_trust_entry_t *entry;
    mauth_trust_spec_t spec;
    unsigned char state[MAUTH_FILES_STATE_LEN];
    apr_interval_time_t interval;      /* the shortest of its vhosts' */
    apr_time_t last;                   /* when it was last looked at */
} watched_t;

struct mauth_crl_watch {
    apr_pool_t *pool;
    apr_array_header_t *watched;       /* watched_t */
    volatile int ready;                /* every entry has its live state */
};

mauth_crl_watch_t *mauth_crl_watch_create(apr_pool_t *p)
{
    mauth_crl_watch_t *w = apr_pcalloc(p, sizeof(*w));

    w->pool = p;
    w->watched = apr_array_make(p, 4, sizeof(watched_t));
    return w;
}

void mauth_crl_watch_add(mauth_crl_watch_t *w, mauth_trust_entry_t *entry,
                         const mauth_trust_spec_t *spec,
                         const unsigned char state[MAUTH_FILES_STATE_LEN],
                         apr_interval_time_t interval)
{
    watched_t *it;
    int i;

    for (i = 0; i < w->watched->nelts; i++) {
        it = &APR_ARRAY_IDX(w->watched, i, watched_t);
        if (it->entry == entry) {
            it->interval = interval < it->interval ? interval : it->interval;
            return;
        }
    }
    it = apr_array_push(w->watched);
    memset(it, 0, sizeof(*it));
    it->entry = entry;
    it->spec = *spec;
    if (spec->generation) {
        it->spec.generation = apr_pmemdup(w->pool, spec->generation, MAUTH_GENERATION_LEN);
    }
    memcpy(it->state, state, MAUTH_FILES_STATE_LEN);
    it->interval = interval;
}

int mauth_crl_watch_empty(const mauth_crl_watch_t *w)
{
    return w == NULL || w->watched->nelts == 0;
}

static void look(watched_t *it, apr_time_t now, apr_pool_t *ptemp, const mauth_logger_t *log)
{
    it->last = now;
    mauth_trust_live_check(it->entry->live, ptemp, log);
    apr_pool_clear(ptemp);
}

int mauth_crl_watch_start(mauth_crl_watch_t *w, apr_pool_t *pprocess, int cache_readonly,
                          const mauth_logger_t *log)
{
    apr_pool_t *ptemp;
    int i;

    if (apr_pool_create(&ptemp, pprocess) != APR_SUCCESS) {
        return 0;
    }
    for (i = 0; i < w->watched->nelts; i++) {
        watched_t *it = &APR_ARRAY_IDX(w->watched, i, watched_t);
        mauth_trust_spec_t spec = it->spec;
        spec.crl_cache_readonly = cache_readonly;
        if (mauth_trust_live_create(pprocess, it->entry, &spec, it->state) == NULL) {
            return 0;
        }
        look(it, apr_time_now(), ptemp, log);
    }
    apr_pool_destroy(ptemp);
    w->ready = 1;
    return 1;
}

void mauth_crl_watch_tick(mauth_crl_watch_t *w, apr_time_t now, apr_pool_t *ptemp,
                          const mauth_logger_t *log)
{
    int i;

    for (i = 0; w->ready && i < w->watched->nelts; i++) {
        watched_t *it = &APR_ARRAY_IDX(w->watched, i, watched_t);
        /* a tick comes every slice of the shortest interval */
        if (now - it->last >= it->interval - apr_time_from_msec(100)) {
            look(it, now, ptemp, log);
        }
    }
}
