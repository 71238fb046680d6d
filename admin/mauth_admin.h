/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mauth_admin.h: private to the mauth-admin tool.  Reading PEM files and
 * the checks a certificate passes before it may be uploaded.
 */
#ifndef MAUTH_ADMIN_H
#define MAUTH_ADMIN_H

#include <apr_pools.h>
#include <openssl/x509.h>

#include "mauth_core.h"
#include "mauth_store_admin.h"

/* What a PEM file holds.  The certificates are freed with the pool. */
typedef struct {
    STACK_OF(X509) *certs;             /* in file order */
    int private_keys;                  /* any "... PRIVATE KEY" block */
    int other_blocks;                  /* CRLs, requests, ... */
} mauth_pem_file_t;

/* 0 on success; otherwise *err says why (unreadable file, bad PEM). */
int mauth_pem_read(apr_pool_t *p, const char *path, mauth_pem_file_t *pem,
                   const char **err);

/* Unix seconds of an ASN1_TIME; 0 when it cannot be read. */
apr_int64_t mauth_asn1_time_unix(const ASN1_TIME *when);

/* A certificate that may be uploaded. */
typedef struct {
    X509 *leaf;                        /* freed with the pool */
    mauth_cert_info_t info;
    apr_int64_t not_before;
    apr_int64_t not_after;
    const char *pem;                   /* the leaf alone, re-encoded */
} mauth_upload_t;

/*
 * Applies every refusal to the certificate in path: no certificate, a
 * private key, more than one certificate (a chain), a CA certificate, a
 * self-signed one, outside its validity at now, no client-auth purpose, or
 * one that fails mauth_verify_chain against trust (intermediates may come
 * from chain_path, which may be NULL; they are used for the check only).
 * Returns 0 and fills *upload when the certificate may be uploaded, else 1
 * with one sentence in *why.
 */
int mauth_upload_check(apr_pool_t *p, const char *path, const char *chain_path,
                       const mauth_trust_t *trust, apr_time_t now,
                       const mauth_logger_t *log,
                       mauth_upload_t *upload, const char **why);

/* A time in seconds since the epoch as ISO 8601 UTC, e.g. 2026-01-31T12:00:00Z. */
const char *mauth_iso_time(apr_pool_t *p, apr_int64_t when);

/* `import users|certs|sessions FILE` ("-": stdin) into an open store whose
 * schema was checked; returns the tool's exit status. */
int mauth_admin_import(apr_pool_t *p, mauth_admin_store_t *store, const char *kind,
                       const char *path);

#endif /* MAUTH_ADMIN_H */
