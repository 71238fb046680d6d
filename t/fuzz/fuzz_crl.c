/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * fuzz_crl.c: mauth_crl_parse on arbitrary bytes; whatever it accepts is
 * searched (mauth_crl_lists) with fixed certificates and its signature
 * checked.  When OpenSSL accepts the same bytes as a CRL, both must agree
 * on the revoked serials: every serial OpenSSL sees is found by the index.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <apr_general.h>
#include <openssl/bn.h>

#include "mauth_crl.h"
#include "testpki.h"

static apr_pool_t *root;
static tp_id_t issuer;
static X509 *probes[6];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static const char *const serials[] = {
        "1", "80", "1001", "-80", "0102030405060708090A0B0C0D0E0F1011121314",
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
    };
    size_t i;

    apr_initialize();
    apr_pool_create(&root, NULL);
    issuer = tp_root(root, "Fuzz CRL Issuer");
    for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
        BIGNUM *bn = NULL;
        ASN1_INTEGER *serial;
        BN_hex2bn(&bn, serials[i]);
        serial = BN_to_ASN1_INTEGER(bn, NULL);
        probes[i] = tp_cert_with_serial(root, serial);
        ASN1_INTEGER_free(serial);
        BN_free(bn);
    }
    return 0;
}

/* Every serial OpenSSL reads from the same bytes must be in the index. */
static void agree_with_openssl(apr_pool_t *p, const mauth_crl_t *crl,
                               const uint8_t *data, size_t size)
{
    const unsigned char *in = data;
    X509_CRL *x = d2i_X509_CRL(NULL, &in, (long)size);
    STACK_OF(X509_REVOKED) *revoked;
    int i, count;

    if (x == NULL || in != data + size) {
        X509_CRL_free(x);
        return;
    }
    revoked = X509_CRL_get_REVOKED(x);
    count = revoked ? sk_X509_REVOKED_num(revoked) : 0;
    if ((size_t)count != crl->revoked_count) {
        fprintf(stderr, "OpenSSL reads %d revoked entries, the index %lu\n",
                count, (unsigned long)crl->revoked_count);
        abort();
    }
    for (i = 0; i < count && i < 256; i++) {
        const ASN1_INTEGER *serial =
            X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revoked, i));
        if (!mauth_crl_lists(crl, tp_cert_with_serial(p, serial))) {
            fprintf(stderr, "OpenSSL's revoked entry %d is not in the index\n", i);
            abort();
        }
    }
    X509_CRL_free(x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    mauth_crl_t *crl;
    const char *err = NULL;
    size_t i;

    apr_pool_create(&p, root);
    if (mauth_crl_parse(p, data, size, "fuzz", &crl, &err) == APR_SUCCESS) {
        for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
            mauth_crl_lists(crl, probes[i]);
        }
        mauth_crl_signed_by(crl, issuer.cert);
        agree_with_openssl(p, crl, data, size);
    }
    else if (err == NULL) {
        fprintf(stderr, "mauth_crl_parse failed without saying why\n");
        abort();
    }
    apr_pool_destroy(p);
    return 0;
}
