/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mauth_expiry.c: the expiry warnings (MAuthExpiryWarning) without the
 * scheduling.  A round looks at each trust and each store once, however
 * many vhosts share it, under the most days any of them asks for; a store
 * look lists the uploads ending by then.  The trust's own look is
 * mauth_trust_warn_expiring (mauth_trust.c).
 */
#include <apr_hash.h>
#include <apr_strings.h>

#include "mauth_store.h"

#define DAY apr_time_from_sec(86400)

typedef struct {
    int days;
    mauth_expiry_look_fn *look;
    void *baton;
} look_t;

struct mauth_expiry_round {
    apr_pool_t *pool;
    apr_hash_t *looks;                 /* key -> look_t */
};

mauth_expiry_round_t *mauth_expiry_round_create(apr_pool_t *p)
{
    mauth_expiry_round_t *round = apr_palloc(p, sizeof(*round));

    round->pool = p;
    round->looks = apr_hash_make(p);
    return round;
}

void mauth_expiry_round_add(mauth_expiry_round_t *round, const char *key, int days,
                            mauth_expiry_look_fn *look, void *baton)
{
    look_t *l = apr_hash_get(round->looks, key, APR_HASH_KEY_STRING);

    if (l == NULL) {
        l = apr_palloc(round->pool, sizeof(*l));
        l->days = days;
        l->look = look;
        l->baton = baton;
        apr_hash_set(round->looks, apr_pstrdup(round->pool, key), APR_HASH_KEY_STRING, l);
    }
    else if (days > l->days) {
        l->days = days;
    }
}

void mauth_expiry_round_run(mauth_expiry_round_t *round, apr_time_t now)
{
    apr_hash_index_t *hi;

    for (hi = apr_hash_first(round->pool, round->looks); hi; hi = apr_hash_next(hi)) {
        look_t *l = apr_hash_this_val(hi);
        l->look(l->baton, round->pool, now, now + l->days * DAY);
    }
}

/* A CRL is near its nextUpdate a day before it: it is normally replaced
 * well before, so a day left means its publisher has stopped. */
void mauth_expiry_trust_look(void *baton, apr_pool_t *p, apr_time_t now, apr_time_t deadline)
{
    mauth_expiry_trust_t *look = baton;
    mauth_trust_t *trust = mauth_trust_acquire(look->entry);

    mauth_trust_warn_expiring(p, trust, look->owner, now, deadline, now + DAY, &look->logger);
    mauth_trust_release(look->entry, trust);
}

int mauth_expiry_due(apr_time_t *next, apr_time_t now)
{
    if (now < *next) {
        return 0;
    }
    *next = now + DAY;
    return 1;
}

void mauth_store_warn_expiring(apr_pool_t *p, const apr_dbd_driver_t *driver,
                               apr_dbd_t *handle, apr_hash_t *prepared, apr_time_t now,
                               apr_time_t deadline, const mauth_logger_t *log)
{
    apr_array_header_t *certs;
    const char *err = NULL;
    char date[APR_RFC822_DATE_LEN];
    int i, more;

    if (mauth_store_certificates_expiring(p, driver, handle, prepared, now, deadline, &certs,
                                          &more, &err) != MAUTH_STORE_OK) {
        mauth_log(log, MAUTH_LOG_WARNING, "MAUTH00112",
                  "expiry warnings: the identity store failed: %s", err);
        return;
    }
    for (i = 0; i < certs->nelts; i++) {
        const mauth_store_expiring_t *c = &APR_ARRAY_IDX(certs, i, mauth_store_expiring_t);
        apr_rfc822_date(date, c->not_after);
        mauth_log(log, MAUTH_LOG_WARNING, "MAUTH00113",
                  "uploaded client certificate %s (SHA-256 %s) of %s %s",
                  c->subject, c->sha256,
                  c->username ? apr_psprintf(p, "user '%s' of organisation '%s'",
                                             c->username, c->org_name)
                              : apr_psprintf(p, "organisation '%s'", c->org_name),
                  apr_pstrcat(p, c->not_after <= now ? "expired " : "expires ", date, NULL));
    }
    if (more) {
        apr_rfc822_date(date, deadline);
        mauth_log(log, MAUTH_LOG_WARNING, "MAUTH00114",
                  "more uploaded client certificates end by %s than the %d above: "
                  "mauth-admin cert list --expiring DAYS lists them all",
                  date, MAUTH_STORE_EXPIRING_MAX);
    }
}
