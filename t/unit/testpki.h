/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * testpki.h: certificates, keys and CRLs made at run time with the OpenSSL
 * C API, for the unit tests and the fuzzers.  No files, no openssl command:
 * every test builds exactly the PKI it needs in a few milliseconds.
 *
 * Everything returned lives as long as the pool it was made from (the
 * OpenSSL objects are freed by pool cleanups).  Times are seconds since the
 * epoch; tests use TP_NOW as "now" so nothing depends on the clock.
 * Failures of OpenSSL here are bugs of the test setup: they abort.
 */
#ifndef MAUTH_TESTPKI_H
#define MAUTH_TESTPKI_H

#include <time.h>

#include <apr_pools.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "mauth_core.h"

#define TP_NOW ((time_t)1893456000)       /* 2030-01-01T00:00:00Z */
#define TP_HOUR ((time_t)3600)
#define TP_DAY ((time_t)86400)
#define TP_YEAR (365 * TP_DAY)
#define TP_APR_NOW apr_time_from_sec(TP_NOW)

EVP_PKEY *tp_key_ec(apr_pool_t *p);       /* P-256 */
EVP_PKEY *tp_key_rsa(apr_pool_t *p);      /* 2048 bits */

/* A certificate and the key it certifies. */
typedef struct {
    X509 *cert;
    EVP_PKEY *key;
} tp_id_t;

typedef struct {
    const char *cn;                   /* subject: O=mauth Unit Test, CN=cn */
    EVP_PKEY *key;                    /* subject key; NULL: a new EC key */
    const tp_id_t *issuer;            /* NULL: self-signed */
    EVP_PKEY *sign_key;               /* NULL: the issuer's key (or own) */
    time_t not_before;                /* 0: TP_NOW - 1 day */
    time_t not_after;                 /* 0: TP_NOW + 1 year */
    int ca;                           /* a CA: basicConstraints, keyUsage */
    const char *basic_constraints;    /* NULL: "critical,CA:TRUE" for a CA,
                                       * none otherwise */
    const char *key_usage;            /* NULL: keyCertSign,cRLSign for a CA,
                                       * digitalSignature otherwise; "": none */
    const char *eku;                  /* extendedKeyUsage; NULL: none */
    const char *serial_hex;           /* NULL: 16 random bytes; "-5" works */
    int no_key_ids;                   /* leave out subject/authority key ids */
    const tp_id_t *crl_issuer;        /* crlDistributionPoints naming it as the
                                       * cRLIssuer (an indirect CRL's issuer) */
} tp_cert_opts_t;

tp_id_t tp_cert(apr_pool_t *p, const tp_cert_opts_t *opts);

/* The usual shapes, with a new EC key each and default validity. */
tp_id_t tp_root(apr_pool_t *p, const char *cn);
tp_id_t tp_ca(apr_pool_t *p, const char *cn, const tp_id_t *issuer);
tp_id_t tp_leaf(apr_pool_t *p, const char *cn, const tp_id_t *issuer);  /* clientAuth */

typedef struct {
    const tp_id_t *issuer;            /* whose name the CRL carries */
    EVP_PKEY *sign_key;               /* NULL: issuer->key; else a bad signature */
    time_t this_update;               /* 0: TP_NOW - 1 hour */
    time_t next_update;               /* 0: TP_NOW + 7 days; -1: none */
    X509 *const *revoked;             /* NULL-terminated; NULL: none */
    long number;                      /* CRLNumber; 0: 1 */
} tp_crl_opts_t;

/* An unsigned CRL (v2, CRL number, authority key id) for the steps below. */
X509_CRL *tp_crl_new(apr_pool_t *p, const tp_crl_opts_t *opts);
X509_REVOKED *tp_crl_revoke_serial(X509_CRL *crl, const ASN1_INTEGER *serial);
X509_REVOKED *tp_crl_revoke(X509_CRL *crl, X509 *cert);
/* The certificateIssuer entry extension of an indirect CRL: entry and the
 * entries after it are certificates of issuer. */
void tp_crl_entry_issuer(X509_REVOKED *entry, const tp_id_t *issuer);
/* A CRL extension from an openssl.cnf-style value, e.g. "critical,onlyuser". */
void tp_crl_add_ext(X509_CRL *crl, const tp_id_t *issuer, int nid, const char *value);
void tp_crl_sign(X509_CRL *crl, EVP_PKEY *key);
/* tp_crl_new, every revoked certificate, signed. */
X509_CRL *tp_crl(apr_pool_t *p, const tp_crl_opts_t *opts);

unsigned char *tp_crl_der(apr_pool_t *p, X509_CRL *crl, apr_size_t *len);
unsigned char *tp_cert_der(apr_pool_t *p, X509 *cert, apr_size_t *len);
/* A certificate of no value but its serial, for mauth_crl_lists. */
X509 *tp_cert_with_serial(apr_pool_t *p, const ASN1_INTEGER *serial);
/* NULL-terminated certificates as a stack (the certificates are not owned). */
STACK_OF(X509) *tp_stack(apr_pool_t *p, X509 *first, ...);

/* A new directory, removed with everything in it when p is destroyed. */
const char *tp_tmpdir(apr_pool_t *p);
const char *tp_write_file(apr_pool_t *p, const char *dir, const char *name,
                          const void *data, apr_size_t len);
/* PEM of NULL-terminated certificates. */
const char *tp_write_certs(apr_pool_t *p, const char *dir, const char *name,
                           X509 *first, ...);
/* CRLs, NULL-terminated: PEM, or DER (one CRL) when der is set. */
const char *tp_write_crls(apr_pool_t *p, const char *dir, const char *name,
                          int der, X509_CRL *first, ...);

/*
 * A trust as the module builds it from SSLCACertificateFile-like files:
 * roots and CRLs (NULL-terminated arrays; crls may be NULL) written to a
 * temporary directory and read back through the API, then finished.
 * Returns NULL with *err set when any step fails.
 */
mauth_trust_t *tp_trust(apr_pool_t *p, mauth_crl_check_e check, X509 *const *roots,
                        X509_CRL *const *crls, const mauth_logger_t *log,
                        const char **err);
/* The same, for a given configuration generation (MAUTH_GENERATION_LEN bytes). */
mauth_trust_t *tp_trust_of_generation(apr_pool_t *p, mauth_crl_check_e check,
                                      X509 *const *roots, X509_CRL *const *crls,
                                      const unsigned char *generation,
                                      const mauth_logger_t *log, const char **err);

/*
 * The files of a live CRL refresh: root ("Root CA", trusted) -> inter
 * ("Intermediate CA") -> leaf ("alice"); root.pem, and crls.pem holding
 * root's and inter's CRLs (revoking nothing), in a new directory; spec
 * reading them (chain checking, a fixed generation), with a CRL cache
 * directory of its own (cache) when with_cache.
 */
typedef struct {
    tp_id_t root, inter, leaf;
    X509_CRL *root_crl;
    const char *dir, *roots, *crls, *cache;
    mauth_trust_spec_t spec;
    unsigned char gen[MAUTH_GENERATION_LEN];
} tp_crl_world_t;

void tp_crl_world(apr_pool_t *p, tp_crl_world_t *w, int with_cache);

#endif /* MAUTH_TESTPKI_H */
