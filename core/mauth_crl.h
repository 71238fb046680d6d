/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mauth_crl.h: a CRL kept as its DER plus a sorted index of the revoked
 * serials (4 bytes an entry), so a revocation check is a binary search and
 * costs the same for ten entries or a million.  The CRL's signature is
 * verified once per issuer key and remembered, never per handshake.
 * Private to the core (mauth_trust.c, mauth_chain.c and the tests).
 */
#ifndef MAUTH_CRL_H
#define MAUTH_CRL_H

#include <stdint.h>
#include <apr_thread_mutex.h>

#include "mauth_core.h"

typedef struct {
    const char *source;                /* the file it came from */
    const unsigned char *der;
    apr_size_t der_len;
    const unsigned char *tbs;          /* TBSCertList, header included */
    apr_size_t tbs_len;
    const unsigned char *sig_alg;      /* outer AlgorithmIdentifier */
    apr_size_t sig_alg_len;
    const unsigned char *signature;    /* BIT STRING bits */
    apr_size_t signature_len;
    unsigned signature_unused_bits;    /* not 0: no signature verifies (as in
                                        * OpenSSL), but the CRL still loads */
    X509_NAME *issuer;
    apr_time_t this_update;
    apr_time_t next_update;            /* 0: none given */
    unsigned char der_digest[32];      /* SHA-256 of der (the trust id's part) */
    const char *cache_file;            /* the shared copy it is mapped from, or NULL */
    const unsigned char *number;       /* CRLNumber's content octets, or NULL */
    apr_size_t number_len;
    uint32_t *revoked;                 /* offsets of serial contents, sorted */
    apr_size_t revoked_count;
    /* Needs OpenSSL's full CRL machinery: indirect, delta, scoped by an
     * issuing distribution point, or a signature scheme the index cannot
     * check on its own. */
    const char *complex_why;
    int indirect;                      /* speaks for other issuers (its issuing
                                        * distribution point says indirectCRL);
                                        * set when OpenSSL checks the CRLs */
    apr_thread_mutex_t *memo_lock;
    int signature_verified;
    unsigned char verified_key[MAUTH_FINGERPRINT_LEN];
    X509 *verified_issuer;             /* the certificate whose key verified it
                                        * (a refresh checks the next CRL of
                                        * the same issuer against it) */
} mauth_crl_t;

/* Zeroed memory in pages of its own, for a CRL's DER or index and the
 * large buffers that check them: given back to the system when freed (put,
 * or when p goes), not kept by the C library's allocator for a process
 * that will never need that much again. */
void *mauth_pages_get(apr_size_t len);
void mauth_pages_put(void *at, apr_size_t len);
void *mauth_pages_alloc(apr_pool_t *p, apr_size_t len);

/* Compares two CRLs' CRLNumbers (both must have one): <0, 0, >0. */
int mauth_crl_number_cmp(const mauth_crl_t *a, const mauth_crl_t *b);

/* Parses DER (kept by reference: it must outlive the CRL).  On error returns
 * non-success with *err saying what is wrong. */
apr_status_t mauth_crl_parse(apr_pool_t *p, const unsigned char *der, apr_size_t len,
                             const char *source, mauth_crl_t **crl, const char **err);

/* Where the sorted offsets of the revoked serials come from. */
typedef enum {
    MAUTH_CRL_INDEX_POOL,              /* built in the pool */
    MAUTH_CRL_INDEX_COUNT,             /* only counted: revoked_count set, revoked NULL */
    MAUTH_CRL_INDEX_INTO,              /* built into at, which has room for count */
    MAUTH_CRL_INDEX_GIVEN              /* at holds count offsets built before: checked
                                        * against the DER (in range, sorted), used */
} mauth_crl_index_how_e;

typedef struct {
    mauth_crl_index_how_e how;
    uint32_t *at;
    apr_size_t count;
    const unsigned char *der_digest;   /* the DER's SHA-256 when known (a cache
                                        * file's); NULL: computed */
} mauth_crl_index_t;

/* mauth_crl_parse with the index where index says. */
apr_status_t mauth_crl_parse_indexed(apr_pool_t *p, const unsigned char *der, apr_size_t len,
                                     const char *source, const mauth_crl_index_t *index,
                                     mauth_crl_t **crl, const char **err);

/*
 * Reads every CRL (PEM or DER) in a file.  Without cache_dir, the DER and
 * the index are kept in memory of p.  With it, they are kept in a file of
 * that directory named by the path and the content, built there once (by
 * the one process that may write the directory: httpd's parent) and mapped
 * read-only: every process reading the same CRL shares one copy, in the
 * page cache.
 */
apr_status_t mauth_crl_read_file(apr_pool_t *p, const char *path, const char *cache_dir,
                                 apr_array_header_t *crls, const char **err);
/* Once the CRLs crls were read from are the ones in use (a refresh taken):
 * the other copies of the same CRL files go from the cache directory. */
void mauth_crl_cache_settle(apr_pool_t *p, const apr_array_header_t *crls);

/* The same for a process that may not write cache_dir (a child): the file
 * is mapped when it is there; else the CRLs are read into memory of p and
 * the path of the file that will hold them is pushed on pending (const
 * char *), so the reader can take the shared copy once it exists. */
apr_status_t mauth_crl_map_file(apr_pool_t *p, const char *path, const char *cache_dir,
                                apr_array_header_t *crls, apr_array_header_t *pending,
                                const char **err);

/* After reading PEM blocks until none is left: whether the reading stopped
 * at the end of the file rather than at a block that does not decode.
 * Clears OpenSSL's error queue. */
int mauth_pem_ended_cleanly(void);

/* Whether the CRL's signature verifies with the issuer's key; remembered. */
int mauth_crl_signed_by(mauth_crl_t *crl, X509 *issuer);

/* The certificate that verified crl's signature so far (a new reference,
 * to X509_free), or NULL. */
X509 *mauth_crl_verified_issuer(mauth_crl_t *crl);

/* Whether crl may take the place of old's CRLs of the same issuer: it
 * verifies with the key that verified theirs (when one did), and, when
 * check_age is set, it is not older by thisUpdate or CRL number.  Else 0
 * and *err names crl's source and why.  (mauth_refresh.c: the refresh and
 * the CRL fetching both ask it.) */
int mauth_crl_replaces(apr_pool_t *p, mauth_crl_t *crl, int check_age, mauth_trust_t *old,
                       const char **err);

/* When same is the same CRL (equal DER digests) whose signature verified:
 * crl counts as verified by the same key, without verifying it again (a
 * refresh that reads unchanged CRLs, or a child taking the shared copy of
 * what it read alone). */
void mauth_crl_take_memo(mauth_crl_t *crl, mauth_crl_t *same);

/* Whether the serial of cert is listed. */
int mauth_crl_lists(const mauth_crl_t *crl, X509 *cert);

#endif /* MAUTH_CRL_H */
