/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mauth_store_cache.c: the store's answers remembered for a while, per
 * process, so a keep-alive client costs the database one lookup per cache
 * timeout.  An answer is keyed by the store that gave it: the module serves
 * vhosts with different stores from one cache, and one store's "unknown
 * session" must never be another's.  Never asks the store itself.
 */
#include <string.h>

#include <apr_strings.h>
#include <openssl/evp.h>

#include "mauth_core.h"
#include "mauth_store.h"

/* a user as kept: two flags, then four NUL-ended strings */
#define STORED_ANSWER_MAX 480
#define NOT_FOUND "N"

struct mauth_answer_cache {
    mauth_cache_t *cache;
    apr_interval_time_t found_ttl;
    apr_interval_time_t not_found_ttl;
};

mauth_answer_cache_t *mauth_answer_cache_create(apr_pool_t *p, int max_entries,
                                                apr_interval_time_t found_ttl,
                                                apr_interval_time_t not_found_ttl)
{
    mauth_answer_cache_t *c = apr_pcalloc(p, sizeof(*c));

    c->found_ttl = found_ttl;
    c->not_found_ttl = not_found_ttl;
    c->cache = mauth_cache_create(p, max_entries, STORED_ANSWER_MAX);
    return c->cache ? c : NULL;
}

/* NUL-separated parts (NULL-terminated), so no two inputs share a key. */
static void answer_key(const char *const *parts, unsigned char key[MAUTH_FINGERPRINT_LEN])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned int len = 0;

    EVP_DigestInit_ex(md, mauth_sha256(), NULL);
    for (; *parts; parts++) {
        EVP_DigestUpdate(md, *parts, strlen(*parts) + 1);
    }
    EVP_DigestFinal_ex(md, key, &len);
    EVP_MD_CTX_free(md);
}

static void put(mauth_answer_cache_t *c, const unsigned char *key, const void *value,
                apr_size_t len, int found, apr_time_t now)
{
    if (len) {
        mauth_cache_put(c->cache, key, value, len,
                        now + (found ? c->found_ttl : c->not_found_ttl), now);
    }
}

static apr_size_t user_pack(const mauth_store_user_t *u, char *out)
{
    const char *parts[4] = {u->user_id, u->username, u->org_id, u->org_name};
    apr_size_t len = 2, i, n;

    out[0] = u->org_mutual_auth ? '1' : '0';
    out[1] = u->user_permission ? '1' : '0';
    for (i = 0; i < 4; i++) {
        n = strlen(parts[i] ? parts[i] : "") + 1;
        if (len + n > STORED_ANSWER_MAX) {
            return 0;               /* too long to keep: asked again next time */
        }
        memcpy(out + len, parts[i] ? parts[i] : "", n);
        len += n;
    }
    return len;
}

static void user_unpack(apr_pool_t *p, const char *in, mauth_store_user_t *u)
{
    const char **parts[4] = {&u->user_id, &u->username, &u->org_id, &u->org_name};
    const char *s = in + 2;
    int i;

    u->org_mutual_auth = in[0] == '1';
    u->user_permission = in[1] == '1';
    u->enforced = u->org_mutual_auth && u->user_permission;
    for (i = 0; i < 4; i++) {
        *parts[i] = apr_pstrdup(p, s);
        s += strlen(s) + 1;
    }
}

int mauth_answer_cache_user(mauth_answer_cache_t *c, apr_pool_t *p, const char *store_id,
                            int by_token, const char *credential, apr_time_t now,
                            mauth_store_user_t *user, int *found)
{
    unsigned char key[MAUTH_FINGERPRINT_LEN];
    char packed[STORED_ANSWER_MAX];
    apr_size_t len = 0;

    const char *parts[] = {store_id ? store_id : "", by_token ? "session" : "user",
                           credential, NULL};

    answer_key(parts, key);
    if (!mauth_cache_get(c->cache, key, now, packed, &len)) {
        return 0;
    }
    *found = !(len == 1 && packed[0] == NOT_FOUND[0]);
    if (*found) {
        user_unpack(p, packed, user);
    }
    return 1;
}

void mauth_answer_cache_put_user(mauth_answer_cache_t *c, const char *store_id, int by_token,
                                 const char *credential, const mauth_store_user_t *user,
                                 apr_time_t now)
{
    unsigned char key[MAUTH_FINGERPRINT_LEN];
    char packed[STORED_ANSWER_MAX];

    const char *parts[] = {store_id ? store_id : "", by_token ? "session" : "user",
                           credential, NULL};

    answer_key(parts, key);
    if (user) {
        put(c, key, packed, user_pack(user, packed), 1, now);
    }
    else {
        put(c, key, NOT_FOUND, 1, 0, now);
    }
}

/* keyed by the user and its organisation: a match for one is not one for
 * another user of the same organisation */
static void match_key(const char *store_id, const mauth_store_user_t *user,
                      const char *fingerprint, unsigned char key[MAUTH_FINGERPRINT_LEN])
{
    const char *parts[] = {store_id ? store_id : "", "certificate",
                           user->user_id ? user->user_id : "",
                           user->org_id ? user->org_id : "", fingerprint, NULL};

    answer_key(parts, key);
}

int mauth_answer_cache_match(mauth_answer_cache_t *c, const char *store_id,
                             const mauth_store_user_t *user, const char *fingerprint,
                             apr_time_t now, int *registered, int *org_wide)
{
    unsigned char key[MAUTH_FINGERPRINT_LEN];
    char answer[STORED_ANSWER_MAX];
    apr_size_t len = 0;

    match_key(store_id, user, fingerprint, key);
    if (!mauth_cache_get(c->cache, key, now, answer, &len) || len != 1) {
        return 0;
    }
    *registered = answer[0] != NOT_FOUND[0];
    *org_wide = answer[0] == 'O';
    return 1;
}

void mauth_answer_cache_put_match(mauth_answer_cache_t *c, const char *store_id,
                                  const mauth_store_user_t *user, const char *fingerprint,
                                  int registered, int org_wide, apr_time_t now)
{
    unsigned char key[MAUTH_FINGERPRINT_LEN];

    match_key(store_id, user, fingerprint, key);
    put(c, key, !registered ? NOT_FOUND : org_wide ? "O" : "U", 1, registered, now);
}

mauth_store_status_e mauth_answer_user(mauth_answer_cache_t *c, apr_pool_t *p,
                                       const char *store_id, int by_token,
                                       const char *credential, mauth_ask_user_fn *ask,
                                       void *baton, mauth_store_user_t *user)
{
    mauth_store_status_e status;
    int found;

    memset(user, 0, sizeof(*user));
    c = store_id ? c : NULL;          /* whose answer it is must be known */
    if (c && mauth_answer_cache_user(c, p, store_id, by_token, credential, apr_time_now(),
                                     user, &found)) {
        return found ? MAUTH_STORE_OK : MAUTH_STORE_NOT_FOUND;
    }
    status = ask(baton, p, user);
    if (c && status != MAUTH_STORE_ERROR) {
        mauth_answer_cache_put_user(c, store_id, by_token, credential,
                                    status == MAUTH_STORE_OK ? user : NULL, apr_time_now());
    }
    return status;
}

mauth_store_status_e mauth_answer_match(mauth_answer_cache_t *c, const char *store_id,
                                        const mauth_store_user_t *user,
                                        const char *fingerprint, mauth_ask_match_fn *ask,
                                        void *baton, mauth_store_match_t *match)
{
    mauth_store_status_e status;
    int registered;

    memset(match, 0, sizeof(*match));
    c = store_id ? c : NULL;          /* whose answer it is must be known */
    if (c && mauth_answer_cache_match(c, store_id, user, fingerprint, apr_time_now(),
                                      &registered, &match->org_wide)) {
        return registered ? MAUTH_STORE_OK : MAUTH_STORE_NOT_FOUND;
    }
    status = ask(baton, match);
    if (c && status != MAUTH_STORE_ERROR) {
        mauth_answer_cache_put_match(c, store_id, user, fingerprint, status == MAUTH_STORE_OK,
                                     match->org_wide, apr_time_now());
    }
    return status;
}
