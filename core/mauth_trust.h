/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mauth_trust.h: what a trust is made of, shared by the file that builds it
 * (mauth_trust.c) and the one that validates chains against it
 * (mauth_chain.c).  Private to the core: everyone else holds an opaque
 * mauth_trust_t and goes through mauth_core.h.  Nothing here is written
 * once mauth_trust_finish has sealed the trust.
 */
#ifndef MAUTH_TRUST_H
#define MAUTH_TRUST_H

#include "mauth_crl.h"

struct mauth_trust {
    apr_pool_t *pool;
    X509_STORE *store;
    STACK_OF(X509) *roots;
    apr_array_header_t *crls;          /* mauth_crl_t * */
    STACK_OF(X509_CRL) *x509_crls;     /* the same, parsed by OpenSSL, when it checks them */
    mauth_crl_check_e crl_check;
    int depth;                         /* mod_ssl's meaning: the root's index */
    int extended_crls;                 /* hand CRLs to OpenSSL */
    const char *crl_cache_dir;         /* the spec's, or NULL */
    int crl_cache_readonly;            /* the spec's */
    apr_array_header_t *crl_cache_pending;  /* const char *: shared copies of
                                             * CRLs this trust holds in memory,
                                             * not made yet */
    unsigned char generation[MAUTH_GENERATION_LEN];
    unsigned char id[MAUTH_TRUST_ID_LEN];
};

/* Whether a current CRL of t, signed by issuer's key, lists cert (for
 * certificates outside a chain being judged: an OCSP responder's). */
int mauth_trust_crl_lists(const mauth_trust_t *t, X509 *cert, X509 *issuer, apr_time_t now);

/* Sorts an array of file names (const char *) by name: a directory's
 * files are read, and their state taken, in one order in every process. */
void mauth_sort_paths(apr_array_header_t *paths);

/* Whether crl verifies with the key of a configured CA certificate (a
 * root) of its issuer's name; *issued_by_root says whether one has that
 * name.  Start-up checks the roots' CRLs with it, CRL fetching every
 * CRL it fetches. */
int mauth_trust_root_signed(const mauth_trust_t *t, mauth_crl_t *crl, int *issued_by_root);

#endif /* MAUTH_TRUST_H */
