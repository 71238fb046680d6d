/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * test_cache.c: the bounded caches (store answers, chain verdicts) and the
 * verdict carried inside a TLS session.
 */
#include <stdint.h>
#include <stdio.h>

#include <apr_thread_proc.h>

#include "unit.h"

/* The allocator's live total under AddressSanitizer (weak: absent without). */
size_t __sanitizer_get_current_allocated_bytes(void) __attribute__((weak));

#define T0 apr_time_from_sec(1893456000)
#define SEC(n) apr_time_from_sec(n)

/* A key from a number, spread over all its bytes (the cache hashes the first 4). */
static void key_of(uint64_t n, unsigned char key[MAUTH_FINGERPRINT_LEN])
{
    int i;

    for (i = 0; i < MAUTH_FINGERPRINT_LEN; i++) {
        n = n * 6364136223846793005ULL + 1442695040888963407ULL;
        key[i] = (unsigned char)(n >> 56);
    }
}

UNIT_TEST(get_returns_what_was_put)
{
    mauth_cache_t *c = mauth_cache_create(p, 64, 32);
    unsigned char key[MAUTH_FINGERPRINT_LEN];
    char value[32];
    apr_size_t len = 0;

    key_of(1, key);
    mauth_cache_put(c, key, "alice", 6, T0 + SEC(60), T0);
    CHECK(mauth_cache_get(c, key, T0, value, &len));
    CHECK_INT(len, 6);
    CHECK_STR(value, "alice");
    key_of(2, key);
    CHECK(!mauth_cache_get(c, key, T0, value, &len));
}

UNIT_TEST(entry_expires_at_its_time)
{
    mauth_cache_t *c = mauth_cache_create(p, 64, 8);
    unsigned char key[MAUTH_FINGERPRINT_LEN];
    char value[8];
    apr_size_t len;

    key_of(1, key);
    mauth_cache_put(c, key, "v", 2, T0 + SEC(10), T0);
    CHECK(mauth_cache_get(c, key, T0 + SEC(10) - 1, value, &len));
    CHECK(!mauth_cache_get(c, key, T0 + SEC(10), value, &len));
    CHECK(!mauth_cache_get(c, key, T0 + SEC(3600), value, &len));
}

UNIT_TEST(put_already_expired_or_too_large_is_ignored)
{
    mauth_cache_t *c = mauth_cache_create(p, 64, 8);
    unsigned char key[MAUTH_FINGERPRINT_LEN];
    char value[16];
    apr_size_t len;

    key_of(1, key);
    mauth_cache_put(c, key, "v", 2, T0, T0);
    CHECK(!mauth_cache_get(c, key, T0 - 1, value, &len));
    mauth_cache_put(c, key, "123456789", 10, T0 + SEC(10), T0);
    CHECK(!mauth_cache_get(c, key, T0, value, &len));
    mauth_cache_put(c, key, "12345678", 8, T0 + SEC(10), T0);
    CHECK(mauth_cache_get(c, key, T0, value, &len));
    CHECK_INT(len, 8);
}

UNIT_TEST(put_replaces_the_value_under_a_key)
{
    mauth_cache_t *c = mauth_cache_create(p, 64, 8);
    unsigned char key[MAUTH_FINGERPRINT_LEN];
    char value[8];
    apr_size_t len;

    key_of(1, key);
    mauth_cache_put(c, key, "old", 4, T0 + SEC(100), T0);
    mauth_cache_put(c, key, "new", 4, T0 + SEC(10), T0);
    CHECK(mauth_cache_get(c, key, T0, value, &len));
    CHECK_STR(value, "new");
    CHECK(!mauth_cache_get(c, key, T0 + SEC(50), value, &len));
}

/*
 * Keys that share their first four bytes compete for one probe window.
 * Once a slot earlier in the window is free, a new value for a key stored
 * further on must still replace the old one: when the new value expires,
 * the old must not come back.
 */
UNIT_TEST(replaced_value_never_resurfaces)
{
    mauth_cache_t *c = mauth_cache_create(p, 8, 8);
    unsigned char keys[8][MAUTH_FINGERPRINT_LEN];
    char value[8];
    apr_size_t len;
    int i;

    for (i = 0; i < 8; i++) {
        memset(keys[i], 0, MAUTH_FINGERPRINT_LEN);
        keys[i][MAUTH_FINGERPRINT_LEN - 1] = (unsigned char)(i + 1);
        /* keys[2] runs out first, freeing a slot before keys[5]'s */
        mauth_cache_put(c, keys[i], "old", 4, T0 + SEC(i == 2 ? 5 : 100), T0);
    }
    for (i = 0; i < 8; i++) {
        CHECK(mauth_cache_get(c, keys[i], T0, value, &len));
    }
    mauth_cache_put(c, keys[5], "new", 4, T0 + SEC(10), T0 + SEC(6));
    CHECK(mauth_cache_get(c, keys[5], T0 + SEC(6), value, &len));
    CHECK_STR(value, "new");
    CHECK_MSG(!mauth_cache_get(c, keys[5], T0 + SEC(50), value, &len),
              "after the new value expired, get returned \"%s\"", value);
}

UNIT_TEST(stays_bounded_and_keeps_recent_entries)
{
    enum { CAPACITY = 1024, INSERTS = 100000, RECENT = 32 };
    mauth_cache_t *c = mauth_cache_create(p, CAPACITY, 16);
    unsigned char key[MAUTH_FINGERPRINT_LEN];
    char value[16];
    apr_size_t len, before = 0, after = 0;
    int i, kept = 0, wrong = 0;

    if (__sanitizer_get_current_allocated_bytes) {
        before = __sanitizer_get_current_allocated_bytes();
    }
    for (i = 0; i < INSERTS; i++) {
        key_of((uint64_t)i, key);
        snprintf(value, sizeof(value), "%d", i);
        /* each entry lives a little longer than the one before */
        mauth_cache_put(c, key, value, strlen(value) + 1, T0 + SEC(3600) + i, T0 + i);
    }
    if (__sanitizer_get_current_allocated_bytes) {
        after = __sanitizer_get_current_allocated_bytes();
        CHECK_MSG(after == before, "%lu bytes more allocated after %d puts",
                  (unsigned long)(after - before), INSERTS);
    }
    for (i = 0; i < INSERTS; i++) {
        char want[16];
        key_of((uint64_t)i, key);
        if (mauth_cache_get(c, key, T0 + INSERTS, value, &len)) {
            kept++;
            snprintf(want, sizeof(want), "%d", i);
            wrong += strcmp(value, want) != 0;
        }
        else {
            CHECK_MSG(i < INSERTS - RECENT, "entry %d of the last %d is gone", i, RECENT);
        }
    }
    CHECK_MSG(kept <= CAPACITY, "%d entries kept in a cache of %d", kept, CAPACITY);
    CHECK_MSG(kept >= CAPACITY / 2, "only %d entries kept in a cache of %d", kept, CAPACITY);
    CHECK_INT(wrong, 0);
}

typedef struct {
    mauth_cache_t *cache;
    int id;
    int wrong;
} worker_t;

static void *APR_THREAD_FUNC worker(apr_thread_t *thread, void *data)
{
    worker_t *w = data;
    unsigned char key[MAUTH_FINGERPRINT_LEN], value[MAUTH_FINGERPRINT_LEN];
    apr_size_t len;
    int i;

    for (i = 0; i < 20000; i++) {
        key_of((uint64_t)(w->id * 1000 + i % 1000), key);
        mauth_cache_put(w->cache, key, key, sizeof(key), T0 + SEC(60), T0);
        key_of((uint64_t)((w->id + 1) % 4 * 1000 + i % 1000), key);
        if (mauth_cache_get(w->cache, key, T0, value, &len)) {
            w->wrong += len != sizeof(key) || memcmp(value, key, sizeof(key)) != 0;
        }
    }
    return NULL;       /* not apr_thread_exit: pthread_exit upsets gcc 12's ASan */
}

UNIT_TEST(threads_never_see_torn_values)
{
    mauth_cache_t *c = mauth_cache_create(p, 512, MAUTH_FINGERPRINT_LEN);
    apr_thread_t *threads[4];
    worker_t workers[4];
    apr_status_t rv;
    int i, wrong = 0;

    for (i = 0; i < 4; i++) {
        workers[i].cache = c;
        workers[i].id = i;
        workers[i].wrong = 0;
        CHECK(apr_thread_create(&threads[i], NULL, worker, &workers[i], p) == APR_SUCCESS);
    }
    for (i = 0; i < 4; i++) {
        apr_thread_join(&rv, threads[i]);
        wrong += workers[i].wrong;
    }
    CHECK_INT(wrong, 0);
}

/* ------------------------------------------------------ verdict cache */

static mauth_verdict_t success_verdict(uint64_t n, apr_time_t valid_until)
{
    mauth_verdict_t v;

    memset(&v, 0, sizeof(v));
    v.status = MAUTH_VERIFY_SUCCESS;
    v.reason = MAUTH_REASON_OK;
    v.error_depth = -1;
    v.valid_until = valid_until;
    v.reason_after = MAUTH_REASON_EXPIRED;
    key_of(n, v.chain_key);
    memset(v.trust_id, (int)(n & 0xff) ^ 0x3c, sizeof(v.trust_id));
    return v;
}

UNIT_TEST(verdict_cache_returns_verdict_until_ttl)
{
    mauth_verdict_cache_t *vc = mauth_verdict_cache_create(p, 64, SEC(60));
    mauth_verdict_t v = success_verdict(1, T0 + SEC(86400)), got;

    mauth_verdict_cache_put(vc, &v, T0);
    CHECK(mauth_verdict_cache_get(vc, v.chain_key, T0 + SEC(59), &got));
    CHECK(memcmp(&got, &v, sizeof(v)) == 0);
    CHECK(!mauth_verdict_cache_get(vc, v.chain_key, T0 + SEC(60), &got));
}

UNIT_TEST(verdict_cache_expires_at_valid_until_before_ttl)
{
    mauth_verdict_cache_t *vc = mauth_verdict_cache_create(p, 64, SEC(3600));
    mauth_verdict_t v = success_verdict(1, T0 + SEC(10)), got;

    mauth_verdict_cache_put(vc, &v, T0);
    CHECK(mauth_verdict_cache_get(vc, v.chain_key, T0 + SEC(9), &got));
    CHECK(!mauth_verdict_cache_get(vc, v.chain_key, T0 + SEC(10), &got));
}

UNIT_TEST(verdict_cache_skips_verdict_already_run_out)
{
    mauth_verdict_cache_t *vc = mauth_verdict_cache_create(p, 64, SEC(3600));
    mauth_verdict_t v = success_verdict(1, T0 - SEC(1)), got;

    mauth_verdict_cache_put(vc, &v, T0);
    CHECK(!mauth_verdict_cache_get(vc, v.chain_key, T0 - SEC(2), &got));
}

UNIT_TEST(verdict_cache_keeps_failures_for_ttl)
{
    mauth_verdict_cache_t *vc = mauth_verdict_cache_create(p, 64, SEC(60));
    mauth_verdict_t v = success_verdict(1, 0), got;

    v.status = MAUTH_VERIFY_FAILED;
    v.reason = MAUTH_REASON_UNTRUSTED;
    v.error_depth = 1;
    mauth_verdict_cache_put(vc, &v, T0);
    CHECK(mauth_verdict_cache_get(vc, v.chain_key, T0 + SEC(30), &got));
    CHECK_VERDICT(&got, MAUTH_VERIFY_FAILED, MAUTH_REASON_UNTRUSTED);
    CHECK_INT(got.error_depth, 1);
    CHECK(!mauth_verdict_cache_get(vc, v.chain_key, T0 + SEC(60), &got));
}

/* ------------------------------------------------- verdict on the wire */

UNIT_TEST(verdict_survives_encode_decode)
{
    mauth_verdict_t in[3], out;
    unsigned char wire[MAUTH_VERDICT_WIRE_LEN];
    int i;

    in[0] = success_verdict(7, T0 + SEC(86400));
    in[1] = success_verdict(8, 0);
    in[1].status = MAUTH_VERIFY_FAILED;
    in[1].reason = MAUTH_REASON_ISSUER_REVOKED;
    in[1].error_depth = 3;
    in[2] = success_verdict(9, 0);
    in[2].status = MAUTH_VERIFY_NONE;
    in[2].reason = MAUTH_REASON_NO_CERTIFICATE;
    in[2].reason_after = MAUTH_REASON_STORE_UNAVAILABLE;
    for (i = 0; i < 3; i++) {
        mauth_verdict_encode(&in[i], wire);
        memset(&out, 0xa5, sizeof(out));
        CHECK(mauth_verdict_decode(wire, sizeof(wire), &out));
        CHECK_INT(out.status, in[i].status);
        CHECK_INT(out.reason, in[i].reason);
        CHECK_INT(out.reason_after, in[i].reason_after);
        CHECK_INT(out.error_depth, in[i].error_depth);
        CHECK_INT(out.valid_until, in[i].valid_until);
        CHECK(memcmp(out.chain_key, in[i].chain_key, MAUTH_FINGERPRINT_LEN) == 0);
        CHECK(memcmp(out.trust_id, in[i].trust_id, MAUTH_TRUST_ID_LEN) == 0);
    }
}

UNIT_TEST(verdict_decode_rejects_bad_input)
{
    mauth_verdict_t v = success_verdict(7, T0), out;
    unsigned char wire[MAUTH_VERDICT_WIRE_LEN], bad[MAUTH_VERDICT_WIRE_LEN + 1];

    mauth_verdict_encode(&v, wire);
    CHECK(mauth_verdict_decode(wire, sizeof(wire), &out));
    CHECK(!mauth_verdict_decode(wire, 0, &out));
    CHECK(!mauth_verdict_decode(wire, sizeof(wire) - 1, &out));
    memcpy(bad, wire, sizeof(wire));
    bad[sizeof(wire)] = 0;
    CHECK(!mauth_verdict_decode(bad, sizeof(bad), &out));
    memcpy(bad, wire, sizeof(wire));
    bad[0] ^= 0x20;                                   /* magic */
    CHECK(!mauth_verdict_decode(bad, sizeof(wire), &out));
    memcpy(bad, wire, sizeof(wire));
    bad[3] = 1;                                       /* an older format version */
    CHECK(!mauth_verdict_decode(bad, sizeof(wire), &out));
    memcpy(bad, wire, sizeof(wire));
    bad[12] = MAUTH_VERIFY_FAILED + 1;                /* status */
    CHECK(!mauth_verdict_decode(bad, sizeof(wire), &out));
    memcpy(bad, wire, sizeof(wire));
    bad[13] = MAUTH_REASON_COUNT;                     /* reason */
    CHECK(!mauth_verdict_decode(bad, sizeof(wire), &out));
    memcpy(bad, wire, sizeof(wire));
    bad[14] = 0xff;                                   /* reason after */
    CHECK(!mauth_verdict_decode(bad, sizeof(wire), &out));
}

UNIT_TEST(verdict_age_fails_success_after_valid_until)
{
    mauth_verdict_t v = success_verdict(1, T0 + SEC(10));

    v.reason_after = MAUTH_REASON_REVOCATION_UNAVAILABLE;
    mauth_verdict_age(&v, T0 + SEC(10) - 1);
    CHECK_VERDICT(&v, MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);
    mauth_verdict_age(&v, T0 + SEC(10));
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_REVOCATION_UNAVAILABLE);
    CHECK_STR(mauth_verdict_text(p, &v), "FAILED:revocation-unavailable");

    v = success_verdict(2, T0 + SEC(10));
    mauth_verdict_age(&v, T0 + SEC(3600));
    CHECK_STR(mauth_verdict_text(p, &v), "FAILED:expired");
}

UNIT_TEST(verdict_age_leaves_others_alone)
{
    mauth_verdict_t v = success_verdict(1, 0);

    mauth_verdict_age(&v, T0 + SEC(86400 * 365));      /* no valid_until: never ages */
    CHECK_VERDICT(&v, MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);
    v = success_verdict(1, T0);
    v.status = MAUTH_VERIFY_FAILED;
    v.reason = MAUTH_REASON_WRONG_PURPOSE;
    mauth_verdict_age(&v, T0 + SEC(1));
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_WRONG_PURPOSE);
    v = success_verdict(1, T0);
    v.status = MAUTH_VERIFY_NONE;
    v.reason = MAUTH_REASON_NO_CERTIFICATE;
    mauth_verdict_age(&v, T0 + SEC(1));
    CHECK_VERDICT(&v, MAUTH_VERIFY_NONE, MAUTH_REASON_NO_CERTIFICATE);
}

UNIT_TEST(decoded_verdict_ages_like_the_original)
{
    mauth_verdict_t v = success_verdict(1, T0 + SEC(10)), out;
    unsigned char wire[MAUTH_VERDICT_WIRE_LEN];

    mauth_verdict_encode(&v, wire);
    CHECK(mauth_verdict_decode(wire, sizeof(wire), &out));
    mauth_verdict_age(&out, T0 + SEC(11));
    CHECK_STR(mauth_verdict_text(p, &out), "FAILED:expired");
}

static const unit_test_t tests[] = {
    UNIT(get_returns_what_was_put),
    UNIT(entry_expires_at_its_time),
    UNIT(put_already_expired_or_too_large_is_ignored),
    UNIT(put_replaces_the_value_under_a_key),
    UNIT(replaced_value_never_resurfaces),
    UNIT(stays_bounded_and_keeps_recent_entries),
    UNIT(threads_never_see_torn_values),
    UNIT(verdict_cache_returns_verdict_until_ttl),
    UNIT(verdict_cache_expires_at_valid_until_before_ttl),
    UNIT(verdict_cache_skips_verdict_already_run_out),
    UNIT(verdict_cache_keeps_failures_for_ttl),
    UNIT(verdict_survives_encode_decode),
    UNIT(verdict_decode_rejects_bad_input),
    UNIT(verdict_age_fails_success_after_valid_until),
    UNIT(verdict_age_leaves_others_alone),
    UNIT(decoded_verdict_ages_like_the_original),
};

UNIT_MAIN("cache", tests)
