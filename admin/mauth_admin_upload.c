/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mauth_admin_upload.c: what mauth-admin checks before a certificate joins
 * the store.  The seeds ask for the client certificate alone, signed by a
 * CA under the trusted roots; anything else would either never match a
 * handshake or put secrets and CA material where they do not belong.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <apr_strings.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "mauth_admin.h"

static apr_status_t free_certs(void *data)
{
    sk_X509_pop_free(data, X509_free);
    return APR_SUCCESS;
}

static const char *openssl_error(apr_pool_t *p)
{
    char text[256];
    unsigned long code = ERR_peek_last_error();

    if (!code) {
        return "unknown error";
    }
    ERR_error_string_n(code, text, sizeof(text));
    return apr_pstrdup(p, text);
}

int mauth_pem_read(apr_pool_t *p, const char *path, mauth_pem_file_t *pem,
                   const char **err)
{
    BIO *bio;
    char *name = NULL, *header = NULL;
    unsigned char *data = NULL;
    const unsigned char *cursor;
    long length = 0;
    unsigned long last;
    X509 *cert;
    int failed = 0;

    memset(pem, 0, sizeof(*pem));
    pem->certs = sk_X509_new_null();
    apr_pool_cleanup_register(p, pem->certs, free_certs, apr_pool_cleanup_null);
    ERR_clear_error();
    bio = BIO_new_file(path, "r");
    if (!bio) {
        *err = apr_psprintf(p, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    /* Block by block, so keys and other objects are seen, not skipped. */
    while (!failed && PEM_read_bio(bio, &name, &header, &data, &length) == 1) {
        if (strcmp(name, "CERTIFICATE") == 0 || strcmp(name, "X509 CERTIFICATE") == 0
            || strcmp(name, "TRUSTED CERTIFICATE") == 0) {
            cursor = data;
            cert = strcmp(name, "TRUSTED CERTIFICATE") == 0
                 ? d2i_X509_AUX(NULL, &cursor, length)
                 : d2i_X509(NULL, &cursor, length);
            if (cert) {
                sk_X509_push(pem->certs, cert);
            }
            else {
                *err = apr_psprintf(p, "%s: certificate %d cannot be decoded: %s",
                                    path, sk_X509_num(pem->certs) + 1,
                                    openssl_error(p));
                failed = 1;
            }
        }
        else if (strstr(name, "PRIVATE KEY")) {
            pem->private_keys++;
        }
        else {
            pem->other_blocks++;
        }
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(data);
        name = header = NULL;
        data = NULL;
    }
    BIO_free(bio);
    if (failed) {
        return -1;
    }
    /* The loop ends with "no start line" at the end of the file; anything
     * else is a damaged block. */
    last = ERR_peek_last_error();
    if (last && ERR_GET_REASON(last) != PEM_R_NO_START_LINE) {
        *err = apr_psprintf(p, "%s: damaged PEM: %s", path, openssl_error(p));
        ERR_clear_error();
        return -1;
    }
    ERR_clear_error();
    return 0;
}

apr_int64_t mauth_asn1_time_unix(const ASN1_TIME *when)
{
    struct tm tm;

    memset(&tm, 0, sizeof(tm));
    if (!when || ASN1_TIME_to_tm(when, &tm) != 1) {
        return 0;
    }
    return (apr_int64_t)timegm(&tm);
}

const char *mauth_iso_time(apr_pool_t *p, apr_int64_t when)
{
    char text[32];
    time_t t = (time_t)when;
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return apr_pstrdup(p, text);
}

static const char *leaf_pem(apr_pool_t *p, X509 *leaf)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data = NULL;
    long length;
    const char *text = NULL;

    if (bio && PEM_write_bio_X509(bio, leaf) == 1) {
        length = BIO_get_mem_data(bio, &data);
        text = apr_pstrmemdup(p, data, length);
    }
    BIO_free(bio);
    return text;
}

/* The file holds one certificate and no key: *leaf. */
static int one_certificate(apr_pool_t *p, const char *path, X509 **leaf, const char **why)
{
    mauth_pem_file_t file;
    const char *err = NULL;
    int count;

    if (mauth_pem_read(p, path, &file, &err) != 0) {
        *why = err;
        return 0;
    }
    count = sk_X509_num(file.certs);
    if (file.private_keys > 0) {
        *why = apr_psprintf(p, "%s holds a private key: upload the client "
                            "certificate alone and keep the key with the client", path);
    }
    else if (count == 0) {
        *why = apr_psprintf(p, "%s holds no PEM certificate", path);
    }
    else if (count > 1) {
        *why = apr_psprintf(p, "%s holds %d certificates (a chain): upload the "
                            "client certificate alone (intermediates may be "
                            "given with --chain for the check)", path, count);
    }
    else {
        *leaf = sk_X509_value(file.certs, 0);
        return 1;
    }
    return 0;
}

/* The seed's rules for the certificate itself: a client certificate, not
 * a CA's nor self-signed, valid now, for client authentication. */
static int is_client_certificate(apr_pool_t *p, const mauth_upload_t *upload,
                                 apr_int64_t now_unix, const char **why)
{
    X509 *leaf = upload->leaf;
    const char *subject = upload->info.subject_dn;

    if (X509_get_extension_flags(leaf) & EXFLAG_CA) {
        *why = apr_psprintf(p, "%s is a CA certificate (basicConstraints CA:TRUE), "
                            "not a client certificate", subject);
    }
    else if (X509_self_signed(leaf, 0) == 1) {
        *why = apr_psprintf(p, "%s is self-signed: a client certificate must be "
                            "issued by a CA under the configured roots", subject);
    }
    else if (upload->not_before > now_unix) {
        *why = apr_psprintf(p, "%s is not yet valid: its validity starts %s", subject,
                            mauth_iso_time(p, upload->not_before));
    }
    else if (upload->not_after < now_unix) {
        *why = apr_psprintf(p, "%s has expired: its validity ended %s", subject,
                            mauth_iso_time(p, upload->not_after));
    }
    else if (X509_check_purpose(leaf, X509_PURPOSE_SSL_CLIENT, 0) != 1) {
        *why = apr_psprintf(p, "%s is not valid for client authentication "
                            "(its extendedKeyUsage or keyUsage excludes clientAuth)", subject);
    }
    else {
        return 1;
    }
    return 0;
}

/* The certificate chains to the configured roots, as the module judges. */
static int chains_to_roots(apr_pool_t *p, const mauth_upload_t *upload,
                           const char *chain_path, const mauth_trust_t *trust,
                           apr_time_t now, const mauth_logger_t *log, const char **why)
{
    mauth_pem_file_t chain;
    mauth_verdict_t verdict;
    const char *err = NULL;
    int unchained;

    memset(&chain, 0, sizeof(chain));
    if (chain_path && mauth_pem_read(p, chain_path, &chain, &err) != 0) {
        *why = err;
        return 0;
    }
    mauth_verify_chain(trust, upload->leaf, chain_path ? chain.certs : NULL, now, log,
                       &verdict);
    if (verdict.status == MAUTH_VERIFY_SUCCESS) {
        return 1;
    }
    unchained = verdict.reason == MAUTH_REASON_UNTRUSTED
                || verdict.reason == MAUTH_REASON_SELF_SIGNED
                || verdict.reason == MAUTH_REASON_BAD_SIGNATURE;
    *why = apr_psprintf(p, "%s %s: %s (%s)", upload->info.subject_dn,
                        unchained ? "does not chain to the configured roots"
                                  : "fails chain validation",
                        mauth_reason_sentence(verdict.reason),
                        mauth_reason_token(verdict.reason));
    return 0;
}

int mauth_upload_check(apr_pool_t *p, const char *path, const char *chain_path,
                       const mauth_trust_t *trust, apr_time_t now,
                       const mauth_logger_t *log,
                       mauth_upload_t *upload, const char **why)
{
    X509 *leaf = NULL;

    memset(upload, 0, sizeof(*upload));
    if (!one_certificate(p, path, &leaf, why)) {
        return 1;
    }
    mauth_cert_info(p, leaf, &upload->info);
    if (strlen(upload->info.fingerprint) != MAUTH_FINGERPRINT_HEX_LEN) {
        *why = apr_psprintf(p, "cannot compute the SHA-256 of %s: %s", path,
                            openssl_error(p));
        return 1;
    }
    upload->leaf = leaf;
    upload->not_before = mauth_asn1_time_unix(X509_get0_notBefore(leaf));
    upload->not_after = mauth_asn1_time_unix(X509_get0_notAfter(leaf));
    if (!is_client_certificate(p, upload, apr_time_sec(now), why)
        || !chains_to_roots(p, upload, chain_path, trust, now, log, why)) {
        return 1;
    }
    upload->pem = leaf_pem(p, leaf);
    if (!upload->pem) {
        *why = apr_psprintf(p, "cannot encode %s as PEM: %s",
                            upload->info.subject_dn, openssl_error(p));
        return 1;
    }
    return 0;
}
