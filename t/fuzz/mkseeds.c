/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mkseeds.c: writes the fuzzers' seed corpora, DIR/crl/ (real CRLs, DER,
 * each under 5 KB) and DIR/verdict/ (encoded verdicts).  Run once by
 * `make -f Makefile.apxs fuzz-seeds`; the output is committed, so the
 * fuzzers never depend on it being rerun (keys differ at every run).
 */
#include <stdio.h>
#include <stdlib.h>

#include <apr_file_io.h>
#include <apr_general.h>
#include <apr_strings.h>
#include <openssl/bn.h>
#include <openssl/x509v3.h>

#include "testpki.h"

static apr_pool_t *pool;
static const char *crl_dir, *verdict_dir;

static void write_crl(const char *name, X509_CRL *crl)
{
    apr_size_t len;
    unsigned char *der = tp_crl_der(pool, crl, &len);

    if (len >= 5000) {
        fprintf(stderr, "mkseeds: %s is %lu bytes\n", name, (unsigned long)len);
        exit(1);
    }
    tp_write_file(pool, crl_dir, name, der, len);
    printf("%s/%s: %lu bytes\n", crl_dir, name, (unsigned long)len);
}

static void revoke_hex(X509_CRL *crl, const char *hex)
{
    BIGNUM *bn = NULL;
    ASN1_INTEGER *serial;

    BN_hex2bn(&bn, hex);
    serial = BN_to_ASN1_INTEGER(bn, NULL);
    tp_crl_revoke_serial(crl, serial);
    ASN1_INTEGER_free(serial);
    BN_free(bn);
}

static void crls(void)
{
    tp_id_t ec = tp_root(pool, "Seed EC CA");
    tp_id_t rsa = tp_cert(pool, &(tp_cert_opts_t){.cn = "Seed RSA CA", .ca = 1,
                                                  .key = tp_key_rsa(pool)});
    X509_CRL *crl;
    X509_REVOKED *entry;
    ASN1_ENUMERATED *reason = ASN1_ENUMERATED_new();
    GENERAL_NAMES *names = sk_GENERAL_NAME_new_null();
    GENERAL_NAME *name = GENERAL_NAME_new();
    int i;

    write_crl("empty-ec.der", tp_crl(pool, &(tp_crl_opts_t){.issuer = &ec}));

    crl = tp_crl_new(pool, &(tp_crl_opts_t){.issuer = &ec});
    revoke_hex(crl, "1");
    revoke_hex(crl, "80");
    revoke_hex(crl, "-80");
    revoke_hex(crl, "1001");
    revoke_hex(crl, "0102030405060708090A0B0C0D0E0F1011121314");
    revoke_hex(crl, "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF");
    entry = tp_crl_revoke(crl, ec.cert);
    ASN1_ENUMERATED_set(reason, 1);
    X509_REVOKED_add1_ext_i2d(entry, NID_crl_reason, reason, 0, 0);
    tp_crl_sign(crl, ec.key);
    write_crl("edge-serials-ec.der", crl);

    crl = tp_crl_new(pool, &(tp_crl_opts_t){.issuer = &rsa, .next_update = -1});
    revoke_hex(crl, "2A");
    revoke_hex(crl, "7F3C9E11");
    tp_crl_sign(crl, rsa.key);
    write_crl("rsa-no-next-update.der", crl);

    crl = tp_crl_new(pool, &(tp_crl_opts_t){.issuer = &ec,
                                            .next_update = (time_t)2556144000});
    tp_crl_add_ext(crl, &ec, NID_issuing_distribution_point,
                   "critical,fullname:URI:http://crl.example/ec.crl,onlyuser:TRUE");
    revoke_hex(crl, "99");
    tp_crl_sign(crl, ec.key);
    write_crl("idp-generalized-time-ec.der", crl);

    crl = tp_crl_new(pool, &(tp_crl_opts_t){.issuer = &ec});
    {
        ASN1_INTEGER *base = ASN1_INTEGER_new();
        ASN1_INTEGER_set(base, 7);
        X509_CRL_add1_ext_i2d(crl, NID_delta_crl, base, 1, 0);
        ASN1_INTEGER_free(base);
    }
    entry = tp_crl_revoke(crl, rsa.cert);
    name->type = GEN_DIRNAME;
    name->d.directoryName = X509_NAME_dup(X509_get_subject_name(rsa.cert));
    sk_GENERAL_NAME_push(names, name);
    X509_REVOKED_add1_ext_i2d(entry, NID_certificate_issuer, names, 1, 0);
    tp_crl_sign(crl, ec.key);
    write_crl("delta-indirect-ec.der", crl);

    crl = tp_crl_new(pool, &(tp_crl_opts_t){.issuer = &ec});
    for (i = 0; i < 100; i++) {
        char hex[48];
        snprintf(hex, sizeof(hex), "%X%08X", i * 7919 + 1, (unsigned)(i * 2654435761u));
        revoke_hex(crl, hex);
    }
    tp_crl_sign(crl, ec.key);
    write_crl("hundred-serials-ec.der", crl);

    ASN1_ENUMERATED_free(reason);
    GENERAL_NAMES_free(names);
}

static void write_verdict(const char *name, mauth_verify_status_e status,
                          mauth_reason_e reason, int depth, apr_time_t valid_until)
{
    mauth_verdict_t v;
    unsigned char wire[MAUTH_VERDICT_WIRE_LEN];
    int i;

    memset(&v, 0, sizeof(v));
    v.status = status;
    v.reason = reason;
    v.error_depth = depth;
    v.valid_until = valid_until;
    v.reason_after = valid_until ? MAUTH_REASON_EXPIRED : MAUTH_REASON_OK;
    for (i = 0; i < MAUTH_FINGERPRINT_LEN; i++) {
        v.chain_key[i] = (unsigned char)(i * 37 + (int)reason);
    }
    mauth_verdict_encode(&v, wire);
    tp_write_file(pool, verdict_dir, name, wire, sizeof(wire));
    printf("%s/%s: %lu bytes\n", verdict_dir, name, (unsigned long)sizeof(wire));
}

static void verdicts(void)
{
    write_verdict("success", MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK, -1,
                  apr_time_from_sec(TP_NOW + TP_YEAR));
    write_verdict("failed-revoked", MAUTH_VERIFY_FAILED, MAUTH_REASON_REVOKED, 0, 0);
    write_verdict("failed-issuer-revoked", MAUTH_VERIFY_FAILED,
                  MAUTH_REASON_ISSUER_REVOKED, 2, 0);
    write_verdict("none", MAUTH_VERIFY_NONE, MAUTH_REASON_NO_CERTIFICATE, 0, 0);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUSDIR\n", argv[0]);
        return 2;
    }
    apr_initialize();
    apr_pool_create(&pool, NULL);
    crl_dir = apr_pstrcat(pool, argv[1], "/crl", NULL);
    verdict_dir = apr_pstrcat(pool, argv[1], "/verdict", NULL);
    if (apr_dir_make_recursive(crl_dir, APR_FPROT_OS_DEFAULT, pool) != APR_SUCCESS
        || apr_dir_make_recursive(verdict_dir, APR_FPROT_OS_DEFAULT, pool) != APR_SUCCESS) {
        fprintf(stderr, "mkseeds: cannot create %s/{crl,verdict}\n", argv[1]);
        return 1;
    }
    crls();
    verdicts();
    apr_pool_destroy(pool);
    apr_terminate();
    return 0;
}
