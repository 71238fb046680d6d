/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * test_refresh.c: the live CRL refresh of the core (mauth_refresh.c): what
 * a replacement CRL must pass to be used, the new trust id it makes, and
 * the swap that never frees a trust a reader still holds.  Each test
 * writes its own PKI at TP_NOW:
 *
 *   root ("Root CA", trusted) -> inter ("Intermediate CA") -> leaf, other
 *   crls.pem: root's CRL and inter's (revokes nothing), rewritten by the
 *   tests.
 */
#include <apr_file_io.h>
#include <apr_strings.h>
#include <apr_time.h>

#include "mauth_refresh.h"
#include "mauth_trust.h"
#include "testpki.h"
#include "unit.h"

typedef tp_crl_world_t world_t;

static mauth_trust_t *build(apr_pool_t *p, world_t *w)
{
    mauth_trust_t *t = NULL;
    const char *err = NULL, *what = NULL;

    if (mauth_trust_build(p, &w->spec, NULL, &t, &err, &what) != APR_SUCCESS) {
        unit_fail(__FILE__, __LINE__, "build: %s", err);
    }
    return t;
}

/* Replaces inter's CRL in crls.pem. */
static void write_inter_crl(apr_pool_t *p, world_t *w, const tp_crl_opts_t *opts)
{
    X509_CRL *crl = tp_crl(p, opts);

    tp_write_crls(p, w->dir, "crls.pem", 0, w->root_crl, crl, NULL);
}

/* inter's CRL replaced as opts says, then the trust that would replace old;
 * its status, with *t and *err as mauth_trust_rebuild leaves them. */
static apr_status_t rebuild_with(apr_pool_t *p, world_t *w, mauth_trust_t *old,
                                 const tp_crl_opts_t *opts, mauth_trust_t **t,
                                 const char **err)
{
    unsigned char state[MAUTH_FILES_STATE_LEN];

    write_inter_crl(p, w, opts);
    mauth_crl_files_state(p, &w->spec, state);
    return mauth_trust_rebuild(p, old, &w->spec, state, NULL, t, err);
}

static void verdict_of(apr_pool_t *p, world_t *w, mauth_trust_t *t, mauth_verdict_t *v)
{
    mauth_verify_chain(t, w->leaf.cert, tp_stack(p, w->inter.cert, NULL), TP_APR_NOW, NULL, v);
}

UNIT_TEST(a_newer_crl_makes_a_new_trust_that_revokes)
{
    world_t w;
    mauth_trust_t *old, *t = NULL;
    mauth_verdict_t v;
    const char *err = NULL;

    tp_crl_world(p, &w, 0);
    old = build(p, &w);
    verdict_of(p, &w, old, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);
    CHECK_MSG(rebuild_with(p, &w, old, &(tp_crl_opts_t){.issuer = &w.inter,
                                                         .this_update = TP_NOW - 60,
                                                         .revoked = (X509 *[]){w.leaf.cert,
                                                                               NULL}},
                           &t, &err) == APR_SUCCESS, "rebuild: %s", err);
    CHECK(memcmp(mauth_trust_id(old), mauth_trust_id(t), MAUTH_TRUST_ID_LEN) != 0);
    verdict_of(p, &w, t, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_REVOKED);
    CHECK(!mauth_verdict_is_for(&v, mauth_trust_id(old)));
}

UNIT_TEST(the_same_files_make_the_same_trust_id_in_every_process)
{
    world_t w;
    mauth_trust_t *old, *a = NULL, *b = NULL;
    unsigned char state[MAUTH_FILES_STATE_LEN], again[MAUTH_FILES_STATE_LEN];
    const char *err = NULL;

    tp_crl_world(p, &w, 0);
    old = build(p, &w);
    mauth_crl_files_state(p, &w.spec, state);
    write_inter_crl(p, &w, &(tp_crl_opts_t){.issuer = &w.inter, .this_update = TP_NOW - 60});
    mauth_crl_files_state(p, &w.spec, again);
    CHECK(memcmp(state, again, sizeof(state)) != 0);
    CHECK(mauth_trust_rebuild(p, old, &w.spec, again, NULL, &a, &err) == APR_SUCCESS);
    CHECK(mauth_trust_rebuild(p, old, &w.spec, again, NULL, &b, &err) == APR_SUCCESS);
    CHECK(memcmp(mauth_trust_id(a), mauth_trust_id(b), MAUTH_TRUST_ID_LEN) == 0);
    /* the same CRLs written again: another generation */
    CHECK(mauth_trust_rebuild(p, old, &w.spec, state, NULL, &b, &err) == APR_SUCCESS);
    CHECK(memcmp(mauth_trust_id(a), mauth_trust_id(b), MAUTH_TRUST_ID_LEN) != 0);
}

UNIT_TEST(an_older_crl_is_refused)
{
    world_t w;
    mauth_trust_t *old, *t = NULL;
    const char *err = NULL;

    tp_crl_world(p, &w, 0);
    old = build(p, &w);
    CHECK(rebuild_with(p, &w, old, &(tp_crl_opts_t){.issuer = &w.inter,
                                                     .this_update = TP_NOW - 7200},
                       &t, &err) != APR_SUCCESS);
    CHECK(t == NULL);
    CHECK_CONTAINS(err, "older than the one in use");
    CHECK_CONTAINS(err, w.crls);
}

/* The CRL in use has number 1; numbers of several octets, one with the
 * leading zero DER needs (255 is 00 FF), compare by value. */
UNIT_TEST(a_crl_with_a_lower_number_is_refused_a_higher_one_taken)
{
    world_t w;
    mauth_trust_t *old, *t = NULL, *t2 = NULL, *t3 = NULL;
    const char *err = NULL;

    tp_crl_world(p, &w, 0);
    old = build(p, &w);
    CHECK_MSG(rebuild_with(p, &w, old, &(tp_crl_opts_t){.issuer = &w.inter,
                                                         .this_update = TP_NOW - 60,
                                                         .number = 256},
                           &t, &err) == APR_SUCCESS, "rebuild: %s", err);
    CHECK(rebuild_with(p, &w, t, &(tp_crl_opts_t){.issuer = &w.inter,
                                                   .this_update = TP_NOW - 30,
                                                   .number = 255},
                       &t2, &err) != APR_SUCCESS);
    CHECK_CONTAINS(err, "a lower CRL number");
    CHECK_MSG(rebuild_with(p, &w, t, &(tp_crl_opts_t){.issuer = &w.inter,
                                                       .this_update = TP_NOW - 30,
                                                       .number = 65536},
                           &t3, &err) == APR_SUCCESS, "rebuild: %s", err);
}

/* A fetched CRL lands beside the one first put in the directory: the
 * older one kept there is no step back, and the next CRL fetched over the
 * later one is taken. */
UNIT_TEST(an_older_crl_kept_beside_a_later_one_of_its_issuer_does_not_block_a_refresh)
{
    world_t w;
    mauth_trust_t *old, *t = NULL;
    unsigned char state[MAUTH_FILES_STATE_LEN];
    X509_CRL *first;
    const char *err = NULL;

    tp_crl_world(p, &w, 0);
    first = tp_crl(p, &(tp_crl_opts_t){.issuer = &w.inter, .this_update = TP_NOW - 600});
    tp_write_crls(p, w.dir, "crls.pem", 0, w.root_crl, first,
                  tp_crl(p, &(tp_crl_opts_t){.issuer = &w.inter, .this_update = TP_NOW - 300,
                                             .number = 2}), NULL);
    old = build(p, &w);
    tp_write_crls(p, w.dir, "crls.pem", 0, w.root_crl, first,
                  tp_crl(p, &(tp_crl_opts_t){.issuer = &w.inter, .this_update = TP_NOW - 60,
                                             .number = 3}), NULL);
    mauth_crl_files_state(p, &w.spec, state);
    CHECK_MSG(mauth_trust_rebuild(p, old, &w.spec, state, NULL, &t, &err) == APR_SUCCESS,
              "rebuild: %s", err);
    /* the later one going back is still refused */
    tp_write_crls(p, w.dir, "crls.pem", 0, w.root_crl, first, NULL);
    mauth_crl_files_state(p, &w.spec, state);
    CHECK(mauth_trust_rebuild(p, t, &w.spec, state, NULL, &t, &err) != APR_SUCCESS);
    CHECK_CONTAINS(err, "older than the one in use");
}

UNIT_TEST(a_crl_not_signed_by_the_key_that_signed_the_last_is_refused)
{
    world_t w;
    mauth_trust_t *old, *t = NULL;
    mauth_verdict_t v;
    const char *err = NULL;

    tp_crl_world(p, &w, 0);
    old = build(p, &w);
    /* a chain through inter verifies inter's CRL with inter's key */
    verdict_of(p, &w, old, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);
    CHECK(rebuild_with(p, &w, old, &(tp_crl_opts_t){.issuer = &w.inter,
                                                     .this_update = TP_NOW - 60,
                                                     .sign_key = tp_key_ec(p)},
                       &t, &err) != APR_SUCCESS);
    CHECK_CONTAINS(err, "does not verify with its issuer's key");
}

UNIT_TEST(a_root_crl_with_a_bad_signature_or_garbage_is_refused)
{
    world_t w;
    mauth_trust_t *old, *t = NULL;
    unsigned char state[MAUTH_FILES_STATE_LEN];
    const char *err = NULL;
    X509_CRL *bad;

    tp_crl_world(p, &w, 0);
    old = build(p, &w);
    bad = tp_crl(p, &(tp_crl_opts_t){.issuer = &w.root, .sign_key = tp_key_ec(p)});
    tp_write_crls(p, w.dir, "crls.pem", 0, bad, NULL);
    mauth_crl_files_state(p, &w.spec, state);
    CHECK(mauth_trust_rebuild(p, old, &w.spec, state, NULL, &t, &err) != APR_SUCCESS);
    CHECK_CONTAINS(err, "does not verify");
    tp_write_file(p, w.dir, "crls.pem", "garbage", 7);
    mauth_crl_files_state(p, &w.spec, state);
    CHECK(mauth_trust_rebuild(p, old, &w.spec, state, NULL, &t, &err) != APR_SUCCESS);
    CHECK_CONTAINS(err, w.crls);
}

UNIT_TEST(a_swap_keeps_the_old_trust_until_its_last_reader_leaves)
{
    world_t w;
    mauth_trust_entry_t entry;
    mauth_trust_live_t *live;
    mauth_trust_t *held, *now;
    unsigned char state[MAUTH_FILES_STATE_LEN];
    mauth_verdict_t v;
    apr_pool_t *ptemp;
    unit_log_t log;
    const mauth_logger_t *logger = unit_log_capture(p, &log);

    tp_crl_world(p, &w, 0);
    memset(&entry, 0, sizeof(entry));
    entry.trust = build(p, &w);
    mauth_crl_files_state(p, &w.spec, state);
    live = mauth_trust_live_create(p, &entry, &w.spec, state);
    CHECK(live != NULL);
    apr_pool_create(&ptemp, p);
    CHECK_INT(mauth_trust_live_check(live, ptemp, logger), 0);
    held = mauth_trust_acquire(&entry);
    write_inter_crl(p, &w, &(tp_crl_opts_t){.issuer = &w.inter, .this_update = TP_NOW - 60,
                                            .revoked = (X509 *[]){w.leaf.cert, NULL}});
    CHECK_INT(mauth_trust_live_check(live, ptemp, logger), 1);
    CHECK(unit_log_has(&log, "MAUTH00092"));
    now = mauth_trust_acquire(&entry);
    CHECK(now != held);
    CHECK_INT(mauth_trust_live_held(live), 2);
    /* the reader of before still judges under the trust it holds */
    verdict_of(p, &w, held, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);
    verdict_of(p, &w, now, &v);
    CHECK_VERDICT(&v, MAUTH_VERIFY_FAILED, MAUTH_REASON_REVOKED);
    mauth_trust_release(&entry, held);
    CHECK_INT(mauth_trust_live_held(live), 1);
    /* a refused change is logged once and the trust in use stays */
    write_inter_crl(p, &w, &(tp_crl_opts_t){.issuer = &w.inter, .this_update = TP_NOW - 7200});
    CHECK_INT(mauth_trust_live_check(live, ptemp, logger), -1);
    CHECK(unit_log_has(&log, "MAUTH00090"));
    CHECK_INT(mauth_trust_live_check(live, ptemp, logger), 0);
    CHECK(mauth_trust_acquire(&entry) == now);
    mauth_trust_release(&entry, now);
    mauth_trust_release(&entry, now);
    /* a second swap frees the replaced trust at once: nobody holds it */
    write_inter_crl(p, &w, &(tp_crl_opts_t){.issuer = &w.inter, .this_update = TP_NOW - 30});
    CHECK_INT(mauth_trust_live_check(live, ptemp, logger), 1);
    CHECK_INT(mauth_trust_live_held(live), 1);
}

static apr_status_t note_freed(void *data)
{
    (*(int *)data)++;
    return APR_SUCCESS;
}

/* The start-up trust is in a pool of its own (mauth_trusts_get); the
 * process that refreshes owns it and frees it once replaced.  A child
 * (here: a second live state on the same entry, as fork leaves it) takes
 * over from the parent's live state what that one held, and frees it at
 * its own swap: no process keeps a replaced CRL mapped. */
UNIT_TEST(the_replaced_trust_is_freed_in_the_parent_and_in_each_child)
{
    world_t w;
    mauth_trusts_t *trusts = mauth_trusts_create(p);
    mauth_trust_entry_t *entry;
    mauth_trust_live_t *parent, *child;
    unsigned char state[MAUTH_FILES_STATE_LEN];
    apr_pool_t *ptemp, *pchild;
    const char *err = NULL, *what = NULL;
    int startup_freed = 0, parent_made_freed = 0;

    tp_crl_world(p, &w, 0);
    CHECK_MSG(mauth_trusts_get(trusts, &w.spec, 16, 0, NULL, &entry, &err, &what)
              == APR_SUCCESS, "%s", err);
    CHECK(entry->pool != NULL);
    apr_pool_cleanup_register(entry->pool, &startup_freed, note_freed, apr_pool_cleanup_null);
    mauth_crl_files_state(p, &w.spec, state);
    apr_pool_create(&ptemp, p);

    /* the parent refreshes: its start-up trust goes */
    parent = mauth_trust_live_create(p, entry, &w.spec, state);
    CHECK(parent != NULL && entry->pool == NULL);
    write_inter_crl(p, &w, &(tp_crl_opts_t){.issuer = &w.inter, .this_update = TP_NOW - 60});
    CHECK_INT(mauth_trust_live_check(parent, ptemp, NULL), 1);
    CHECK_INT(startup_freed, 1);

    /* a child forked now takes over the parent's trust, and frees it when
     * it swaps in turn */
    apr_pool_create(&pchild, p);
    child = mauth_trust_live_create(pchild, entry, &w.spec, state);
    CHECK(child != NULL && entry->live == child);
    write_inter_crl(p, &w, &(tp_crl_opts_t){.issuer = &w.inter, .this_update = TP_NOW - 30});
    {
        mauth_trust_t *t = mauth_trust_acquire(entry);
        apr_pool_cleanup_register(t->pool, &parent_made_freed, note_freed,
                                  apr_pool_cleanup_null);
        mauth_trust_release(entry, t);
    }
    CHECK_INT(mauth_trust_live_check(child, ptemp, NULL), 1);
    CHECK_INT(parent_made_freed, 1);
    CHECK_INT(mauth_trust_live_held(child), 1);
    apr_pool_destroy(pchild);
}

/* A CRL fetch writes a hidden temporary file in the CRL directory and
 * renames or removes it: the directory's times change, the CRLs do not. */
UNIT_TEST(a_hidden_file_come_and_gone_in_the_crl_directory_is_no_change)
{
    world_t w;
    unsigned char before[MAUTH_FILES_STATE_LEN], after[MAUTH_FILES_STATE_LEN];

    tp_crl_world(p, &w, 0);
    w.spec.crl_file = NULL;
    w.spec.crl_path = w.dir;
    mauth_crl_files_state(p, &w.spec, before);
    apr_sleep(apr_time_from_msec(20));
    apr_file_remove(tp_write_file(p, w.dir, ".x.fetching", "x", 1), p);
    mauth_crl_files_state(p, &w.spec, after);
    CHECK(memcmp(before, after, sizeof(before)) == 0);
    tp_write_file(p, w.dir, "new.crl", "x", 1);
    mauth_crl_files_state(p, &w.spec, after);
    CHECK(memcmp(before, after, sizeof(before)) != 0);
}

/* A child (a live state that may not write the cache directory) that sees
 * a change before the parent wrote the shared copy reads the CRLs into
 * memory, then takes the shared copy once it is there: the same trust id,
 * the private copy gone. */
UNIT_TEST(a_child_reads_a_new_crl_alone_then_takes_the_parents_shared_copy)
{
    world_t w;
    mauth_trust_entry_t entry;
    mauth_trust_live_t *child;
    unsigned char state[MAUTH_FILES_STATE_LEN], id[MAUTH_TRUST_ID_LEN];
    apr_array_header_t *parent_reads = apr_array_make(p, 2, sizeof(mauth_crl_t *));
    const char *err = NULL;
    mauth_trust_t *t;
    apr_pool_t *ptemp;

    tp_crl_world(p, &w, 1);
    memset(&entry, 0, sizeof(entry));
    entry.trust = build(p, &w);
    mauth_crl_files_state(p, &w.spec, state);
    w.spec.crl_cache_readonly = 1;
    child = mauth_trust_live_create(p, &entry, &w.spec, state);
    apr_pool_create(&ptemp, p);
    write_inter_crl(p, &w, &(tp_crl_opts_t){.issuer = &w.inter, .this_update = TP_NOW - 60});
    CHECK_INT(mauth_trust_live_check(child, ptemp, NULL), 1);
    t = mauth_trust_acquire(&entry);
    CHECK_INT(t->crl_cache_pending->nelts, 1);
    memcpy(id, mauth_trust_id(t), sizeof(id));
    mauth_trust_release(&entry, t);
    CHECK_INT(mauth_trust_live_check(child, ptemp, NULL), 0);

    /* the parent reads the same files, writing the copy */
    CHECK_MSG(mauth_crl_read_file(p, w.crls, w.spec.crl_cache_dir, parent_reads, &err)
              == APR_SUCCESS, "%s", err);
    CHECK_INT(mauth_trust_live_check(child, ptemp, NULL), 1);
    t = mauth_trust_acquire(&entry);
    CHECK_INT(t->crl_cache_pending->nelts, 0);
    CHECK(memcmp(mauth_trust_id(t), id, sizeof(id)) == 0);
    mauth_trust_release(&entry, t);
    CHECK_INT(mauth_trust_live_held(child), 1);
    CHECK_INT(mauth_trust_live_check(child, ptemp, NULL), 0);
}

/* Names laid out b, a, c in memory: a sort by their addresses (what
 * strcmp on qsort's element pointers did) keeps that order. */
UNIT_TEST(a_directorys_files_are_taken_in_name_order_whatever_their_addresses)
{
    static const char buffer[] = "/d/b\0/d/a\0/d/c";
    apr_array_header_t *names = apr_array_make(p, 3, sizeof(const char *));

    APR_ARRAY_PUSH(names, const char *) = buffer;
    APR_ARRAY_PUSH(names, const char *) = buffer + 5;
    APR_ARRAY_PUSH(names, const char *) = buffer + 10;
    mauth_sort_paths(names);
    CHECK_STR(APR_ARRAY_IDX(names, 0, const char *), "/d/a");
    CHECK_STR(APR_ARRAY_IDX(names, 1, const char *), "/d/b");
    CHECK_STR(APR_ARRAY_IDX(names, 2, const char *), "/d/c");
}

static const unit_test_t tests[] = {
    UNIT(a_child_reads_a_new_crl_alone_then_takes_the_parents_shared_copy),
    UNIT(the_replaced_trust_is_freed_in_the_parent_and_in_each_child),
    UNIT(a_directorys_files_are_taken_in_name_order_whatever_their_addresses),
    UNIT(a_hidden_file_come_and_gone_in_the_crl_directory_is_no_change),
    UNIT(a_newer_crl_makes_a_new_trust_that_revokes),
    UNIT(the_same_files_make_the_same_trust_id_in_every_process),
    UNIT(an_older_crl_is_refused),
    UNIT(a_crl_with_a_lower_number_is_refused_a_higher_one_taken),
    UNIT(an_older_crl_kept_beside_a_later_one_of_its_issuer_does_not_block_a_refresh),
    UNIT(a_crl_not_signed_by_the_key_that_signed_the_last_is_refused),
    UNIT(a_root_crl_with_a_bad_signature_or_garbage_is_refused),
    UNIT(a_swap_keeps_the_old_trust_until_its_last_reader_leaves),
};
UNIT_MAIN("refresh", tests)
