/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mauth_cert.c: facts about one certificate (fingerprint, DNs, serial,
 * validity) and the key that names a presented chain.  Works on the parsed
 * X509 and its DER; nothing here goes through PEM.
 */
#include <string.h>
#include <time.h>

#include <apr_base64.h>
#include <apr_strings.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/evp.h>

#include "mauth_core.h"

const EVP_MD *mauth_sha256(void)
{
    static EVP_MD *fetched;
    EVP_MD *md = __atomic_load_n(&fetched, __ATOMIC_ACQUIRE);

    if (md == NULL && (md = EVP_MD_fetch(NULL, "SHA2-256", NULL)) != NULL) {
        EVP_MD *none = NULL;
        /* another thread may have fetched it meanwhile: one is kept */
        if (!__atomic_compare_exchange_n(&fetched, &none, md, 0, __ATOMIC_ACQ_REL,
                                         __ATOMIC_ACQUIRE)) {
            EVP_MD_free(md);
            md = none;
        }
    }
    return md ? md : EVP_sha256();
}

int mauth_cert_fingerprint(X509 *cert, unsigned char out[MAUTH_FINGERPRINT_LEN])
{
    unsigned int len = 0;

    return X509_digest(cert, mauth_sha256(), out, &len) == 1
           && len == MAUTH_FINGERPRINT_LEN;
}

void mauth_hex(const unsigned char *bytes, apr_size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    apr_size_t i;

    for (i = 0; i < len; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 0x0f];
    }
    out[2 * len] = '\0';
}

void mauth_chain_key(X509 *leaf, STACK_OF(X509) *untrusted,
                     unsigned char out[MAUTH_FINGERPRINT_LEN])
{
    unsigned char fingerprint[MAUTH_FINGERPRINT_LEN];
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned int len = 0;
    int i;

    memset(out, 0, MAUTH_FINGERPRINT_LEN);
    if (md == NULL || EVP_DigestInit_ex(md, mauth_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(md);
        return;
    }
    if (leaf && mauth_cert_fingerprint(leaf, fingerprint)) {
        EVP_DigestUpdate(md, fingerprint, sizeof(fingerprint));
    }
    /* OpenSSL's server-side peer chain may or may not repeat the leaf;
     * the key must not depend on which. */
    for (i = 0; untrusted && i < sk_X509_num(untrusted); i++) {
        X509 *cert = sk_X509_value(untrusted, i);
        if (leaf && X509_cmp(cert, leaf) == 0) {
            continue;
        }
        if (mauth_cert_fingerprint(cert, fingerprint)) {
            EVP_DigestUpdate(md, fingerprint, sizeof(fingerprint));
        }
    }
    EVP_DigestFinal_ex(md, out, &len);
    EVP_MD_CTX_free(md);
}

/* What print wrote into a memory BIO, as text from p ("" when it failed). */
static const char *printed(apr_pool_t *p, BIO *bio, int ok)
{
    const char *text = "";
    char *data;
    long len;

    if (bio && ok) {
        len = BIO_get_mem_data(bio, &data);
        text = apr_pstrmemdup(p, data, len);
    }
    BIO_free(bio);
    return text;
}

const char *mauth_name_text(apr_pool_t *p, const X509_NAME *name)
{
    BIO *bio = BIO_new(BIO_s_mem());

    return printed(p, bio, bio && X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253
                                                     & ~ASN1_STRFLGS_ESC_MSB) >= 0);
}

apr_time_t mauth_asn1_time(const ASN1_TIME *when)
{
    struct tm tm;

    if (when == NULL || ASN1_TIME_to_tm(when, &tm) != 1) {
        return 0;
    }
    return apr_time_from_sec((apr_time_t)timegm(&tm));
}

static const char *time_text(apr_pool_t *p, const ASN1_TIME *when)
{
    BIO *bio = BIO_new(BIO_s_mem());

    return printed(p, bio, bio && ASN1_TIME_print(bio, when));
}

static const char *serial_text(apr_pool_t *p, X509 *cert)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
    const char *text = "";
    char *hex;

    if (bn && (hex = BN_bn2hex(bn)) != NULL) {
        text = apr_pstrdup(p, hex);
        OPENSSL_free(hex);
    }
    BN_free(bn);
    return text;
}

void mauth_cert_info(apr_pool_t *p, X509 *cert, mauth_cert_info_t *info)
{
    unsigned char fingerprint[MAUTH_FINGERPRINT_LEN];
    char *hex = apr_palloc(p, MAUTH_FINGERPRINT_HEX_LEN + 1);

    if (mauth_cert_fingerprint(cert, fingerprint)) {
        mauth_hex(fingerprint, sizeof(fingerprint), hex);
    }
    else {
        hex[0] = '\0';
    }
    info->fingerprint = hex;
    info->subject_dn = mauth_name_text(p, X509_get_subject_name(cert));
    info->issuer_dn = mauth_name_text(p, X509_get_issuer_name(cert));
    info->serial = serial_text(p, cert);
    info->not_before = time_text(p, X509_get0_notBefore(cert));
    info->not_after = time_text(p, X509_get0_notAfter(cert));
}

/* RFC 9440 header values: the DER of each certificate as an RFC 8941
 * sf-binary item. */
static const char *sf_binary(apr_pool_t *p, X509 *cert)
{
    int der_len = i2d_X509(cert, NULL);
    unsigned char *der, *end;
    char *out;

    if (der_len <= 0) {
        return NULL;
    }
    der = end = apr_palloc(p, der_len);
    i2d_X509(cert, &end);
    out = apr_palloc(p, apr_base64_encode_len(der_len) + 2);
    out[0] = ':';
    apr_base64_encode_binary(out + 1, der, der_len);
    return apr_pstrcat(p, out, ":", NULL);
}

void mauth_cert_rfc9440(apr_pool_t *p, X509 *leaf, STACK_OF(X509) *sent,
                        const char **client_cert, const char **client_cert_chain)
{
    int i;

    *client_cert = sf_binary(p, leaf);
    *client_cert_chain = NULL;
    for (i = 0; sent && i < sk_X509_num(sent); i++) {
        X509 *cert = sk_X509_value(sent, i);
        const char *value;
        if (X509_cmp(cert, leaf) != 0 && (value = sf_binary(p, cert)) != NULL) {
            *client_cert_chain = *client_cert_chain
                ? apr_pstrcat(p, *client_cert_chain, ", ", value, NULL) : value;
        }
    }
}
