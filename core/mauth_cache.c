/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mauth_cache.c: answers remembered for a while (chain verdicts, store
 * lookups), and verdicts carried inside TLS sessions.
 *
 * A cache is a fixed table of slots addressed by a SHA-256 key, probed over
 * a short window: bounded memory, O(1), no allocation after creation.  A
 * full window evicts the entry that expires first.
 */
#include <string.h>

#include <apr_thread_mutex.h>

#include "mauth_core.h"

#define PROBE_WINDOW 8

typedef struct {
    unsigned char key[MAUTH_FINGERPRINT_LEN];
    apr_time_t expires;               /* 0: empty */
    apr_size_t len;
    /* value_size bytes follow */
} cache_slot_t;

struct mauth_cache {
    apr_thread_mutex_t *lock;
    unsigned char *slots;
    apr_size_t slot_size;
    apr_size_t value_size;
    unsigned count;
};

mauth_cache_t *mauth_cache_create(apr_pool_t *p, int max_entries, apr_size_t value_size)
{
    mauth_cache_t *c = apr_pcalloc(p, sizeof(*c));

    c->count = max_entries > PROBE_WINDOW ? (unsigned)max_entries : PROBE_WINDOW;
    c->value_size = value_size;
    /* keep every slot aligned for the header that starts it */
    c->slot_size = APR_ALIGN_DEFAULT(sizeof(cache_slot_t) + value_size);
    c->slots = apr_pcalloc(p, c->count * c->slot_size);
    if (apr_thread_mutex_create(&c->lock, APR_THREAD_MUTEX_DEFAULT, p) != APR_SUCCESS) {
        return NULL;
    }
    return c;
}

static cache_slot_t *slot_at(const mauth_cache_t *c, const unsigned char *key, unsigned i)
{
    unsigned h = ((unsigned)key[0] << 24) | ((unsigned)key[1] << 16)
                 | ((unsigned)key[2] << 8) | key[3];
    return (cache_slot_t *)(c->slots + ((h + i) % c->count) * c->slot_size);
}

int mauth_cache_get(mauth_cache_t *c, const unsigned char key[MAUTH_FINGERPRINT_LEN],
                    apr_time_t now, void *value, apr_size_t *len)
{
    unsigned i;
    int found = 0;

    apr_thread_mutex_lock(c->lock);
    for (i = 0; i < PROBE_WINDOW; i++) {
        cache_slot_t *slot = slot_at(c, key, i);
        if (slot->expires > now && memcmp(slot->key, key, MAUTH_FINGERPRINT_LEN) == 0) {
            memcpy(value, slot + 1, slot->len);
            *len = slot->len;
            found = 1;
            break;
        }
    }
    apr_thread_mutex_unlock(c->lock);
    return found;
}

void mauth_cache_put(mauth_cache_t *c, const unsigned char key[MAUTH_FINGERPRINT_LEN],
                     const void *value, apr_size_t len, apr_time_t expires, apr_time_t now)
{
    cache_slot_t *victim = NULL;
    unsigned i;

    if (expires <= now || len > c->value_size) {
        return;
    }
    apr_thread_mutex_lock(c->lock);
    /* the key's own slot first, so no older copy of it survives elsewhere;
     * else a free one; else the one that would expire first */
    for (i = 0; i < PROBE_WINDOW && victim == NULL; i++) {
        cache_slot_t *slot = slot_at(c, key, i);
        if (slot->expires && memcmp(slot->key, key, MAUTH_FINGERPRINT_LEN) == 0) {
            victim = slot;
        }
    }
    for (i = 0; i < PROBE_WINDOW && victim == NULL; i++) {
        cache_slot_t *slot = slot_at(c, key, i);
        if (slot->expires <= now) {
            victim = slot;
        }
    }
    if (victim == NULL) {
        victim = slot_at(c, key, 0);
        for (i = 1; i < PROBE_WINDOW; i++) {
            cache_slot_t *slot = slot_at(c, key, i);
            if (slot->expires < victim->expires) {
                victim = slot;
            }
        }
    }
    memcpy(victim->key, key, MAUTH_FINGERPRINT_LEN);
    memcpy(victim + 1, value, len);
    victim->len = len;
    victim->expires = expires;
    apr_thread_mutex_unlock(c->lock);
}

struct mauth_verdict_cache {
    mauth_cache_t *cache;
    apr_interval_time_t ttl;
};

mauth_verdict_cache_t *mauth_verdict_cache_create(apr_pool_t *p, int max_entries,
                                                  apr_interval_time_t ttl)
{
    mauth_verdict_cache_t *vc = apr_pcalloc(p, sizeof(*vc));

    vc->ttl = ttl;
    vc->cache = mauth_cache_create(p, max_entries, sizeof(mauth_verdict_t));
    return vc->cache ? vc : NULL;
}

int mauth_verdict_cache_get(mauth_verdict_cache_t *vc,
                            const unsigned char key[MAUTH_FINGERPRINT_LEN],
                            apr_time_t now, mauth_verdict_t *out)
{
    apr_size_t len = 0;

    return mauth_cache_get(vc->cache, key, now, out, &len) && len == sizeof(*out);
}

void mauth_verdict_cache_put(mauth_verdict_cache_t *vc, const mauth_verdict_t *v, apr_time_t now)
{
    apr_time_t expires = now + vc->ttl;

    if (v->valid_until && v->valid_until < expires) {
        expires = v->valid_until;
    }
    mauth_cache_put(vc->cache, v->chain_key, v, sizeof(*v), expires, now);
}

static const unsigned char wire_magic[4] = {'M', 'A', 'V', 2};

void mauth_verdict_encode(const mauth_verdict_t *v, unsigned char out[MAUTH_VERDICT_WIRE_LEN])
{
    apr_uint64_t until = (apr_uint64_t)v->valid_until;
    int i;

    memcpy(out, wire_magic, 4);
    for (i = 0; i < 8; i++) {
        out[4 + i] = (unsigned char)(until >> (56 - 8 * i));
    }
    out[12] = (unsigned char)v->status;
    out[13] = (unsigned char)v->reason;
    out[14] = (unsigned char)v->reason_after;
    out[15] = (unsigned char)(v->error_depth < 0 ? 0xff : v->error_depth);
    memcpy(out + 16, v->chain_key, MAUTH_FINGERPRINT_LEN);
    memcpy(out + 16 + MAUTH_FINGERPRINT_LEN, v->trust_id, MAUTH_TRUST_ID_LEN);
}

int mauth_verdict_decode(const unsigned char *in, apr_size_t len, mauth_verdict_t *v)
{
    apr_uint64_t until = 0;
    int i;

    if (len != MAUTH_VERDICT_WIRE_LEN || memcmp(in, wire_magic, 4) != 0
        || in[12] > MAUTH_VERIFY_FAILED || in[13] >= MAUTH_REASON_COUNT
        || in[14] >= MAUTH_REASON_COUNT) {
        return 0;
    }
    for (i = 0; i < 8; i++) {
        until = (until << 8) | in[4 + i];
    }
    memset(v, 0, sizeof(*v));
    v->valid_until = (apr_time_t)until;
    v->status = (mauth_verify_status_e)in[12];
    v->reason = (mauth_reason_e)in[13];
    v->reason_after = (mauth_reason_e)in[14];
    v->error_depth = in[15] == 0xff ? -1 : in[15];
    memcpy(v->chain_key, in + 16, MAUTH_FINGERPRINT_LEN);
    memcpy(v->trust_id, in + 16 + MAUTH_FINGERPRINT_LEN, MAUTH_TRUST_ID_LEN);
    return 1;
}

int mauth_verdict_is_for(const mauth_verdict_t *v, const unsigned char *trust_id)
{
    return v->status == MAUTH_VERIFY_NONE
           || memcmp(v->trust_id, trust_id, MAUTH_TRUST_ID_LEN) == 0;
}

void mauth_verdict_age(mauth_verdict_t *v, apr_time_t now)
{
    if (v->status == MAUTH_VERIFY_SUCCESS && v->valid_until && now >= v->valid_until) {
        v->status = MAUTH_VERIFY_FAILED;
        v->reason = v->reason_after;
    }
}
