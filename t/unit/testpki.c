/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/* testpki.c: see testpki.h. */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_strings.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "testpki.h"

static void need(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "testpki: %s failed\n", what);
        ERR_print_errors_fp(stderr);
        abort();
    }
}

static apr_status_t free_key(void *data)
{
    EVP_PKEY_free(data);
    return APR_SUCCESS;
}

static apr_status_t free_cert(void *data)
{
    X509_free(data);
    return APR_SUCCESS;
}

static apr_status_t free_crl(void *data)
{
    X509_CRL_free(data);
    return APR_SUCCESS;
}

static apr_status_t free_stack(void *data)
{
    sk_X509_free(data);
    return APR_SUCCESS;
}

static EVP_PKEY *owned_key(apr_pool_t *p, EVP_PKEY *key, const char *what)
{
    need(key != NULL, what);
    apr_pool_cleanup_register(p, key, free_key, apr_pool_cleanup_null);
    return key;
}

EVP_PKEY *tp_key_ec(apr_pool_t *p)
{
    return owned_key(p, EVP_EC_gen("P-256"), "EC key generation");
}

EVP_PKEY *tp_key_rsa(apr_pool_t *p)
{
    return owned_key(p, EVP_RSA_gen(2048), "RSA key generation");
}

static void add_ext(X509 *cert, X509V3_CTX *ctx, int nid, const char *value)
{
    X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);

    need(ext != NULL, OBJ_nid2sn(nid));
    need(X509_add_ext(cert, ext, -1), "X509_add_ext");
    X509_EXTENSION_free(ext);
}

static ASN1_INTEGER *serial_of(const char *hex)
{
    BIGNUM *bn = NULL;
    ASN1_INTEGER *serial;

    if (hex) {
        need(BN_hex2bn(&bn, hex) > 0, "serial");
    }
    else {
        bn = BN_new();
        need(bn && BN_rand(bn, 128, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY), "BN_rand");
    }
    serial = BN_to_ASN1_INTEGER(bn, NULL);
    need(serial != NULL, "BN_to_ASN1_INTEGER");
    BN_free(bn);
    return serial;
}

static void set_time(ASN1_TIME *field, time_t when)
{
    need(ASN1_TIME_set(field, when) != NULL, "ASN1_TIME_set");
}

/* GeneralNames holding one directoryName. */
static GENERAL_NAMES *directory_name(const X509_NAME *name)
{
    GENERAL_NAMES *names = GENERAL_NAMES_new();
    GENERAL_NAME *gn = GENERAL_NAME_new();
    X509_NAME *copy = X509_NAME_dup(name);

    need(names && gn && copy, "GENERAL_NAMES");
    GENERAL_NAME_set0_value(gn, GEN_DIRNAME, copy);
    need(sk_GENERAL_NAME_push(names, gn), "sk_GENERAL_NAME_push");
    return names;
}

tp_id_t tp_cert(apr_pool_t *p, const tp_cert_opts_t *o)
{
    tp_id_t id;
    X509 *cert = X509_new();
    X509_NAME *name = X509_NAME_new();
    ASN1_INTEGER *serial = serial_of(o->serial_hex);
    EVP_PKEY *sign_key;
    X509V3_CTX ctx;
    const char *key_usage = o->key_usage;

    need(cert && name, "X509_new");
    id.key = o->key ? o->key : tp_key_ec(p);
    sign_key = o->sign_key ? o->sign_key : o->issuer ? o->issuer->key : id.key;
    need(X509_set_version(cert, 2), "X509_set_version");
    need(X509_set_serialNumber(cert, serial), "X509_set_serialNumber");
    ASN1_INTEGER_free(serial);
    need(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                    (const unsigned char *)"mauth Unit Test", -1, -1, 0)
         && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                       (const unsigned char *)o->cn, -1, -1, 0),
         "subject name");
    need(X509_set_subject_name(cert, name), "X509_set_subject_name");
    need(X509_set_issuer_name(cert, o->issuer ? X509_get_subject_name(o->issuer->cert)
                                              : name), "X509_set_issuer_name");
    X509_NAME_free(name);
    set_time(X509_getm_notBefore(cert), o->not_before ? o->not_before : TP_NOW - TP_DAY);
    set_time(X509_getm_notAfter(cert), o->not_after ? o->not_after : TP_NOW + TP_YEAR);
    need(X509_set_pubkey(cert, id.key), "X509_set_pubkey");

    X509V3_set_ctx(&ctx, o->issuer ? o->issuer->cert : cert, cert, NULL, NULL, 0);
    if (o->basic_constraints || o->ca) {
        add_ext(cert, &ctx, NID_basic_constraints,
                o->basic_constraints ? o->basic_constraints : "critical,CA:TRUE");
    }
    if (key_usage == NULL) {
        key_usage = o->ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature";
    }
    if (*key_usage) {
        add_ext(cert, &ctx, NID_key_usage, key_usage);
    }
    if (o->eku) {
        add_ext(cert, &ctx, NID_ext_key_usage, o->eku);
    }
    if (o->crl_issuer) {
        STACK_OF(DIST_POINT) *points = sk_DIST_POINT_new_null();
        DIST_POINT *point = DIST_POINT_new();
        need(points && point && sk_DIST_POINT_push(points, point), "DIST_POINT");
        point->CRLissuer = directory_name(X509_get_subject_name(o->crl_issuer->cert));
        need(X509_add1_ext_i2d(cert, NID_crl_distribution_points, points, 0, 0) == 1,
             "crlDistributionPoints");
        sk_DIST_POINT_pop_free(points, DIST_POINT_free);
    }
    if (!o->no_key_ids) {
        add_ext(cert, &ctx, NID_subject_key_identifier, "hash");
        if (o->issuer) {
            add_ext(cert, &ctx, NID_authority_key_identifier, "keyid");
        }
    }
    need(X509_sign(cert, sign_key, EVP_sha256()) > 0, "X509_sign");
    apr_pool_cleanup_register(p, cert, free_cert, apr_pool_cleanup_null);
    id.cert = cert;
    return id;
}

tp_id_t tp_root(apr_pool_t *p, const char *cn)
{
    tp_cert_opts_t o = {.cn = cn, .ca = 1,
                        .not_before = TP_NOW - 10 * TP_YEAR,
                        .not_after = TP_NOW + 10 * TP_YEAR};
    return tp_cert(p, &o);
}

tp_id_t tp_ca(apr_pool_t *p, const char *cn, const tp_id_t *issuer)
{
    tp_cert_opts_t o = {.cn = cn, .ca = 1, .issuer = issuer,
                        .not_before = TP_NOW - 5 * TP_YEAR,
                        .not_after = TP_NOW + 5 * TP_YEAR};
    return tp_cert(p, &o);
}

tp_id_t tp_leaf(apr_pool_t *p, const char *cn, const tp_id_t *issuer)
{
    tp_cert_opts_t o = {.cn = cn, .issuer = issuer, .eku = "clientAuth"};
    return tp_cert(p, &o);
}

static ASN1_TIME *new_time(time_t when)
{
    ASN1_TIME *t = ASN1_TIME_new();

    need(t != NULL, "ASN1_TIME_new");
    set_time(t, when);
    return t;
}

void tp_crl_add_ext(X509_CRL *crl, const tp_id_t *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509_EXTENSION *ext;

    X509V3_set_ctx(&ctx, issuer ? issuer->cert : NULL, NULL, NULL, crl, 0);
    ext = X509V3_EXT_nconf_nid(NULL, &ctx, nid, value);
    need(ext != NULL, OBJ_nid2sn(nid));
    need(X509_CRL_add_ext(crl, ext, -1), "X509_CRL_add_ext");
    X509_EXTENSION_free(ext);
}

X509_CRL *tp_crl_new(apr_pool_t *p, const tp_crl_opts_t *o)
{
    X509_CRL *crl = X509_CRL_new();
    ASN1_INTEGER *number;
    ASN1_TIME *t;

    need(crl != NULL, "X509_CRL_new");
    apr_pool_cleanup_register(p, crl, free_crl, apr_pool_cleanup_null);
    need(X509_CRL_set_version(crl, 1), "X509_CRL_set_version");
    need(X509_CRL_set_issuer_name(crl, X509_get_subject_name(o->issuer->cert)),
         "X509_CRL_set_issuer_name");
    t = new_time(o->this_update ? o->this_update : TP_NOW - TP_HOUR);
    need(X509_CRL_set1_lastUpdate(crl, t), "X509_CRL_set1_lastUpdate");
    ASN1_TIME_free(t);
    if (o->next_update != -1) {
        t = new_time(o->next_update ? o->next_update : TP_NOW + 7 * TP_DAY);
        need(X509_CRL_set1_nextUpdate(crl, t), "X509_CRL_set1_nextUpdate");
        ASN1_TIME_free(t);
    }
    number = ASN1_INTEGER_new();
    need(number && ASN1_INTEGER_set(number, o->number ? o->number : 1)
         && X509_CRL_add1_ext_i2d(crl, NID_crl_number, number, 0, 0), "crlNumber");
    ASN1_INTEGER_free(number);
    tp_crl_add_ext(crl, o->issuer, NID_authority_key_identifier, "keyid");
    return crl;
}

X509_REVOKED *tp_crl_revoke_serial(X509_CRL *crl, const ASN1_INTEGER *serial)
{
    X509_REVOKED *entry = X509_REVOKED_new();
    ASN1_TIME *t = new_time(TP_NOW - 2 * TP_DAY);

    need(entry != NULL, "X509_REVOKED_new");
    need(X509_REVOKED_set_serialNumber(entry, (ASN1_INTEGER *)serial)
         && X509_REVOKED_set_revocationDate(entry, t), "revoked entry");
    ASN1_TIME_free(t);
    need(X509_CRL_add0_revoked(crl, entry), "X509_CRL_add0_revoked");
    return entry;
}

X509_REVOKED *tp_crl_revoke(X509_CRL *crl, X509 *cert)
{
    return tp_crl_revoke_serial(crl, X509_get0_serialNumber(cert));
}

void tp_crl_entry_issuer(X509_REVOKED *entry, const tp_id_t *issuer)
{
    GENERAL_NAMES *names = directory_name(X509_get_subject_name(issuer->cert));

    need(X509_REVOKED_add1_ext_i2d(entry, NID_certificate_issuer, names, 1, 0) == 1,
         "certificateIssuer");
    GENERAL_NAMES_free(names);
}

void tp_crl_sign(X509_CRL *crl, EVP_PKEY *key)
{
    need(X509_CRL_sign(crl, key, EVP_sha256()) > 0, "X509_CRL_sign");
}

X509_CRL *tp_crl(apr_pool_t *p, const tp_crl_opts_t *o)
{
    X509_CRL *crl = tp_crl_new(p, o);
    X509 *const *r;

    for (r = o->revoked; r && *r; r++) {
        tp_crl_revoke(crl, *r);
    }
    tp_crl_sign(crl, o->sign_key ? o->sign_key : o->issuer->key);
    return crl;
}

unsigned char *tp_crl_der(apr_pool_t *p, X509_CRL *crl, apr_size_t *len)
{
    int n = i2d_X509_CRL(crl, NULL);
    unsigned char *der, *d;

    need(n > 0, "i2d_X509_CRL");
    d = der = apr_palloc(p, (apr_size_t)n);
    i2d_X509_CRL(crl, &d);
    *len = (apr_size_t)n;
    return der;
}

unsigned char *tp_cert_der(apr_pool_t *p, X509 *cert, apr_size_t *len)
{
    int n = i2d_X509(cert, NULL);
    unsigned char *der, *d;

    need(n > 0, "i2d_X509");
    d = der = apr_palloc(p, (apr_size_t)n);
    i2d_X509(cert, &d);
    *len = (apr_size_t)n;
    return der;
}

X509 *tp_cert_with_serial(apr_pool_t *p, const ASN1_INTEGER *serial)
{
    X509 *cert = X509_new();

    need(cert && X509_set_serialNumber(cert, (ASN1_INTEGER *)serial), "serial-only cert");
    apr_pool_cleanup_register(p, cert, free_cert, apr_pool_cleanup_null);
    return cert;
}

STACK_OF(X509) *tp_stack(apr_pool_t *p, X509 *first, ...)
{
    STACK_OF(X509) *stack = sk_X509_new_null();
    va_list ap;
    X509 *cert;

    need(stack != NULL, "sk_X509_new_null");
    apr_pool_cleanup_register(p, stack, free_stack, apr_pool_cleanup_null);
    va_start(ap, first);
    for (cert = first; cert; cert = va_arg(ap, X509 *)) {
        need(sk_X509_push(stack, cert) > 0, "sk_X509_push");
    }
    va_end(ap);
    return stack;
}

/* Removes a directory the tests made, with what is inside (one level of
 * subdirectories is all they make, but any depth works). */
static void remove_tree(const char *path)
{
    DIR *dir = opendir(path);
    struct dirent *entry;
    char child[4096];
    struct stat st;

    if (dir == NULL) {
        return;
    }
    while ((entry = readdir(dir)) != NULL) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) {
            continue;
        }
        snprintf(child, sizeof(child), "%s/%s", path, entry->d_name);
        if (lstat(child, &st) == 0 && S_ISDIR(st.st_mode)) {
            remove_tree(child);
        }
        else {
            unlink(child);
        }
    }
    closedir(dir);
    rmdir(path);
}

static apr_status_t tmpdir_cleanup(void *data)
{
    remove_tree(data);
    return APR_SUCCESS;
}

const char *tp_tmpdir(apr_pool_t *p)
{
    const char *base = getenv("TMPDIR");
    char *path = apr_pstrcat(p, base && *base ? base : "/tmp", "/mauth-unit-XXXXXX", NULL);

    need(mkdtemp(path) != NULL, "mkdtemp");
    apr_pool_cleanup_register(p, path, tmpdir_cleanup, apr_pool_cleanup_null);
    return path;
}

static BIO *create_file(apr_pool_t *p, const char *dir, const char *name, const char **path)
{
    BIO *bio;

    *path = apr_pstrcat(p, dir, "/", name, NULL);
    bio = BIO_new_file(*path, "wb");
    need(bio != NULL, *path);
    return bio;
}

const char *tp_write_file(apr_pool_t *p, const char *dir, const char *name,
                          const void *data, apr_size_t len)
{
    const char *path;
    BIO *bio = create_file(p, dir, name, &path);

    need(len == 0 || BIO_write(bio, data, (int)len) == (int)len, path);
    BIO_free(bio);
    return path;
}

const char *tp_write_certs(apr_pool_t *p, const char *dir, const char *name,
                           X509 *first, ...)
{
    const char *path;
    BIO *bio = create_file(p, dir, name, &path);
    va_list ap;
    X509 *cert;

    va_start(ap, first);
    for (cert = first; cert; cert = va_arg(ap, X509 *)) {
        need(PEM_write_bio_X509(bio, cert), path);
    }
    va_end(ap);
    BIO_free(bio);
    return path;
}

const char *tp_write_crls(apr_pool_t *p, const char *dir, const char *name,
                          int der, X509_CRL *first, ...)
{
    const char *path;
    BIO *bio = create_file(p, dir, name, &path);
    va_list ap;
    X509_CRL *crl;

    va_start(ap, first);
    for (crl = first; crl; crl = va_arg(ap, X509_CRL *)) {
        need(der ? i2d_X509_CRL_bio(bio, crl) : PEM_write_bio_X509_CRL(bio, crl), path);
    }
    va_end(ap);
    BIO_free(bio);
    return path;
}

mauth_trust_t *tp_trust(apr_pool_t *p, mauth_crl_check_e check, X509 *const *roots,
                        X509_CRL *const *crls, const mauth_logger_t *log,
                        const char **err)
{
    return tp_trust_of_generation(p, check, roots, crls, NULL, log, err);
}

mauth_trust_t *tp_trust_of_generation(apr_pool_t *p, mauth_crl_check_e check,
                                      X509 *const *roots, X509_CRL *const *crls,
                                      const unsigned char *generation,
                                      const mauth_logger_t *log, const char **err)
{
    mauth_trust_t *trust = mauth_trust_create(p);
    const char *dir = tp_tmpdir(p), *path;
    BIO *bio;
    int i;

    if (generation) {
        mauth_trust_set_generation(trust, generation);
    }
    mauth_trust_set_crl_check(trust, check);
    bio = create_file(p, dir, "roots.pem", &path);
    for (i = 0; roots && roots[i]; i++) {
        need(PEM_write_bio_X509(bio, roots[i]), path);
    }
    BIO_free(bio);
    if (mauth_trust_add_roots_file(trust, path, err) != APR_SUCCESS) {
        return NULL;
    }
    for (i = 0; crls && crls[i]; i++) {
        path = tp_write_crls(p, dir, apr_psprintf(p, "crl-%d.pem", i), 0, crls[i], NULL);
        if (mauth_trust_add_crl_file(trust, path, err) != APR_SUCCESS) {
            return NULL;
        }
    }
    if (mauth_trust_finish(trust, log, err) != APR_SUCCESS) {
        return NULL;
    }
    return trust;
}

void tp_crl_world(apr_pool_t *p, tp_crl_world_t *w, int with_cache)
{
    X509_CRL *inter_crl;

    w->root = tp_root(p, "Root CA");
    w->inter = tp_ca(p, "Intermediate CA", &w->root);
    w->leaf = tp_leaf(p, "alice", &w->inter);
    w->root_crl = tp_crl(p, &(tp_crl_opts_t){.issuer = &w->root});
    inter_crl = tp_crl(p, &(tp_crl_opts_t){.issuer = &w->inter});
    w->dir = tp_tmpdir(p);
    w->cache = with_cache ? tp_tmpdir(p) : NULL;
    w->roots = tp_write_certs(p, w->dir, "root.pem", w->root.cert, NULL);
    w->crls = tp_write_crls(p, w->dir, "crls.pem", 0, w->root_crl, inter_crl, NULL);
    memset(&w->spec, 0, sizeof(w->spec));
    memset(w->gen, 7, sizeof(w->gen));
    w->spec.ca_file = w->roots;
    w->spec.crl_file = w->crls;
    w->spec.crl_check = MAUTH_CRL_CHECK_CHAIN;
    w->spec.depth = -1;
    w->spec.generation = w->gen;
    w->spec.crl_cache_dir = w->cache;
}
