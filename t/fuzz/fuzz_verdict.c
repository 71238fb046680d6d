/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * fuzz_verdict.c: mauth_verdict_decode on arbitrary bytes (a TLS session's
 * stored verdict).  What it accepts must encode back to the same bytes,
 * and be usable: its text, its ageing, a cache round trip.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>

#include "mauth_core.h"

static apr_pool_t *root;
static mauth_verdict_cache_t *cache;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    apr_initialize();
    apr_pool_create(&root, NULL);
    cache = mauth_verdict_cache_create(root, 64, apr_time_from_sec(60));
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mauth_verdict_t v, cached;
    unsigned char again[MAUTH_VERDICT_WIRE_LEN];
    apr_time_t now = apr_time_from_sec(1893456000);
    apr_pool_t *p;

    if (!mauth_verdict_decode(data, size, &v)) {
        return 0;
    }
    mauth_verdict_encode(&v, again);
    if (size != sizeof(again) || memcmp(again, data, size) != 0) {
        fprintf(stderr, "a decoded verdict encodes to other bytes\n");
        abort();
    }
    apr_pool_create(&p, root);
    mauth_verdict_text(p, &v);
    mauth_reason_sentence(v.reason);
    mauth_verdict_cache_put(cache, &v, now);
    if (mauth_verdict_cache_get(cache, v.chain_key, now, &cached)
        && memcmp(cached.chain_key, v.chain_key, MAUTH_FINGERPRINT_LEN) != 0) {
        fprintf(stderr, "the cache returned another chain's verdict\n");
        abort();
    }
    mauth_verdict_age(&v, now);
    if (v.status == MAUTH_VERIFY_SUCCESS && v.valid_until && now >= v.valid_until) {
        fprintf(stderr, "a run-out verdict still succeeds\n");
        abort();
    }
    mauth_verdict_text(p, &v);
    apr_pool_destroy(p);
    return 0;
}
