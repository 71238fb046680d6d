/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * test_crl.c: the compact CRL index of mauth_crl.c: parsing DER, finding
 * serials, refusing malformed input, spotting CRLs that need OpenSSL.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "mauth_crl.h"
#include "testpki.h"
#include "unit.h"

/* A deterministic generator, so a failure repeats. */
static uint64_t rng_state;
static void rng_seed(uint64_t seed)
{
    rng_state = seed ? seed : 1;
}
static uint64_t rng_next(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

static ASN1_INTEGER *integer_from_bn(BIGNUM *bn)
{
    ASN1_INTEGER *serial = BN_to_ASN1_INTEGER(bn, NULL);

    BN_free(bn);
    return serial;
}

static apr_status_t free_integer(void *data)
{
    ASN1_INTEGER_free(data);
    return APR_SUCCESS;
}

/* A serial from hex ("-" for negative), freed with the pool. */
static ASN1_INTEGER *serial_hex(apr_pool_t *p, const char *hex)
{
    BIGNUM *bn = NULL;
    ASN1_INTEGER *serial;

    BN_hex2bn(&bn, hex);
    serial = integer_from_bn(bn);
    apr_pool_cleanup_register(p, serial, free_integer, apr_pool_cleanup_null);
    return serial;
}

/*
 * A random serial of 1 to 20 bytes, some with the high bit set (encoded
 * with a leading 0x00), some negative.  The last byte is even when listed
 * is set and odd otherwise, so listed and unlisted serials never meet.
 */
static ASN1_INTEGER *random_serial(int listed)
{
    unsigned char bytes[20];
    uint64_t r = rng_next();
    int len = 1 + (int)(r % 20), i;
    BIGNUM *bn;

    for (i = 0; i < len; i++) {
        bytes[i] = (unsigned char)(rng_next() >> 24);
    }
    if ((r >> 8) % 4 == 0) {
        bytes[0] |= 0x80;
    }
    bytes[len - 1] = (unsigned char)((bytes[len - 1] & 0xfe) | (listed ? 0 : 1));
    bn = BN_bin2bn(bytes, len, NULL);
    if ((r >> 16) % 16 == 0) {
        BN_set_negative(bn, 1);
    }
    return integer_from_bn(bn);
}

static int parse(apr_pool_t *p, const unsigned char *der, apr_size_t len, mauth_crl_t **crl,
                 const char **err)
{
    *err = NULL;
    return mauth_crl_parse(p, der, len, "test", crl, err) == APR_SUCCESS;
}

/* Whether the parsed CRL lists serial. */
static int lists(apr_pool_t *p, const mauth_crl_t *crl, const ASN1_INTEGER *serial)
{
    return mauth_crl_lists(crl, tp_cert_with_serial(p, serial));
}

/* A small, ordinary CRL: three entries, one with a reason code. */
static unsigned char *sample_crl(apr_pool_t *p, apr_size_t *len, tp_id_t *issuer)
{
    X509_CRL *crl;
    ASN1_ENUMERATED *reason = ASN1_ENUMERATED_new();
    X509_REVOKED *entry;

    *issuer = tp_root(p, "CRL Issuer");
    crl = tp_crl_new(p, &(tp_crl_opts_t){.issuer = issuer});
    tp_crl_revoke_serial(crl, serial_hex(p, "1001"));
    entry = tp_crl_revoke_serial(crl, serial_hex(p, "80"));
    ASN1_ENUMERATED_set(reason, 1);                 /* keyCompromise */
    X509_REVOKED_add1_ext_i2d(entry, NID_crl_reason, reason, 0, 0);
    ASN1_ENUMERATED_free(reason);
    tp_crl_revoke_serial(crl, serial_hex(p, "0102030405060708090A0B0C0D0E0F1011121314"));
    tp_crl_sign(crl, issuer->key);
    return tp_crl_der(p, crl, len);
}

UNIT_TEST(parses_crl_without_entries)
{
    tp_id_t issuer = tp_root(p, "CRL Issuer");
    X509_CRL *x = tp_crl(p, &(tp_crl_opts_t){.issuer = &issuer});
    apr_size_t len;
    unsigned char *der = tp_crl_der(p, x, &len);
    mauth_crl_t *crl;
    const char *err;

    CHECK_MSG(parse(p, der, len, &crl, &err), "%s", err);
    CHECK_INT(crl->revoked_count, 0);
    CHECK(crl->complex_why == NULL);
    CHECK_INT(apr_time_sec(crl->this_update), TP_NOW - TP_HOUR);
    CHECK_INT(apr_time_sec(crl->next_update), TP_NOW + 7 * TP_DAY);
    CHECK(X509_NAME_cmp(crl->issuer, X509_get_subject_name(issuer.cert)) == 0);
    CHECK(crl->der == der && crl->der_len == len);
    CHECK(!lists(p, crl, serial_hex(p, "1")));
    CHECK(mauth_crl_signed_by(crl, issuer.cert));
}

UNIT_TEST(parses_crl_with_one_entry)
{
    tp_id_t issuer = tp_root(p, "CRL Issuer"), leaf = tp_leaf(p, "alice", &issuer),
            other = tp_leaf(p, "bob", &issuer);
    X509_CRL *x = tp_crl(p, &(tp_crl_opts_t){.issuer = &issuer,
                                             .revoked = (X509 *[]){leaf.cert, NULL}});
    apr_size_t len;
    unsigned char *der = tp_crl_der(p, x, &len);
    mauth_crl_t *crl;
    const char *err;

    CHECK_MSG(parse(p, der, len, &crl, &err), "%s", err);
    CHECK_INT(crl->revoked_count, 1);
    CHECK(mauth_crl_lists(crl, leaf.cert));
    CHECK(!mauth_crl_lists(crl, other.cert));
}

/* How many of the COUNT serials of seed 1 crl misses, and how many of
 * seed 2 (never listed) it lists. */
static void count_misses(const mauth_crl_t *crl, apr_size_t count, apr_size_t *missed,
                         apr_size_t *extra)
{
    X509 *probe = X509_new();
    apr_size_t i;

    *missed = *extra = 0;
    for (rng_seed(1), i = 0; i < count; i++) {
        ASN1_INTEGER *serial = random_serial(1);
        X509_set_serialNumber(probe, serial);
        *missed += !mauth_crl_lists(crl, probe);
        ASN1_INTEGER_free(serial);
    }
    for (rng_seed(2), i = 0; i < count; i++) {
        ASN1_INTEGER *serial = random_serial(0);
        X509_set_serialNumber(probe, serial);
        *extra += mauth_crl_lists(crl, probe);
        ASN1_INTEGER_free(serial);
    }
    X509_free(probe);
}

/* A CRL of count random serials (seed 1) signed by issuer. */
static X509_CRL *random_crl(apr_pool_t *p, tp_id_t *issuer, apr_size_t count)
{
    X509_CRL *x = tp_crl_new(p, &(tp_crl_opts_t){.issuer = issuer});
    apr_size_t i;

    for (rng_seed(1), i = 0; i < count; i++) {
        ASN1_INTEGER *serial = random_serial(1);
        tp_crl_revoke_serial(x, serial);
        ASN1_INTEGER_free(serial);
    }
    tp_crl_sign(x, issuer->key);
    return x;
}

UNIT_TEST(finds_every_one_of_50000_random_serials_and_no_other)
{
    enum { COUNT = 50000 };
    tp_id_t issuer = tp_root(p, "Big CRL Issuer");
    apr_size_t len, missed, extra;
    unsigned char *der = tp_crl_der(p, random_crl(p, &issuer, COUNT), &len);
    mauth_crl_t *crl;
    const char *err;

    CHECK_MSG(parse(p, der, len, &crl, &err), "%s", err);
    count_misses(crl, COUNT, &missed, &extra);
    CHECK_INT(crl->revoked_count, COUNT);
    CHECK_INT(missed, 0);
    CHECK_INT(extra, 0);
    CHECK(mauth_crl_signed_by(crl, issuer.cert));
}

/* Serials whose encodings are easy to get wrong, next to their neighbours. */
UNIT_TEST(finds_edge_serials_and_not_their_neighbours)
{
    static const char *const listed[] = {
        "0", "1", "7F", "80", "FF", "100", "7FFF", "8000", "FFFF",
        "-1", "-80", "-81", "-FF",
        "8000000000000000000000000000000000000000",     /* 20 bytes, high bit */
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
        "0100000000000000000000000000000000000000",
        "7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
    };
    static const char *const unlisted[] = {
        "2", "7E", "81", "FE", "101", "10000", "80000", "-2", "-7F", "-100",
        "FF00", "FF80", "800000000000000000000000000000000000000000",
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFE",
        "01000000000000000000000000000000000000",
        "-8000000000000000000000000000000000000000",
    };
    tp_id_t issuer = tp_root(p, "CRL Issuer");
    X509_CRL *x = tp_crl_new(p, &(tp_crl_opts_t){.issuer = &issuer});
    apr_size_t len, i;
    unsigned char *der;
    mauth_crl_t *crl;
    const char *err;

    for (i = 0; i < sizeof(listed) / sizeof(listed[0]); i++) {
        tp_crl_revoke_serial(x, serial_hex(p, listed[i]));
    }
    tp_crl_sign(x, issuer.key);
    der = tp_crl_der(p, x, &len);
    CHECK_MSG(parse(p, der, len, &crl, &err), "%s", err);
    CHECK_INT(crl->revoked_count, sizeof(listed) / sizeof(listed[0]));
    for (i = 0; i < sizeof(listed) / sizeof(listed[0]); i++) {
        CHECK_MSG(lists(p, crl, serial_hex(p, listed[i])),
                  "serial %s is listed but not found", listed[i]);
    }
    for (i = 0; i < sizeof(unlisted) / sizeof(unlisted[0]); i++) {
        CHECK_MSG(!lists(p, crl, serial_hex(p, unlisted[i])),
                  "serial %s is not listed but found", unlisted[i]);
    }
}

/* ----------------------------------------------- DER made by hand */

typedef struct {
    const unsigned char *data;
    apr_size_t len;
} blob_t;

static blob_t bytes(const void *data, apr_size_t len)
{
    blob_t b = {data, len};
    return b;
}

/* tag, definite minimal length, contents */
static blob_t tlv(apr_pool_t *p, unsigned tag, blob_t content)
{
    unsigned char *out = apr_palloc(p, content.len + 6), *o = out;

    *o++ = (unsigned char)tag;
    if (content.len < 0x80) {
        *o++ = (unsigned char)content.len;
    }
    else if (content.len < 0x100) {
        *o++ = 0x81;
        *o++ = (unsigned char)content.len;
    }
    else if (content.len < 0x10000) {
        *o++ = 0x82;
        *o++ = (unsigned char)(content.len >> 8);
        *o++ = (unsigned char)content.len;
    }
    else {
        *o++ = 0x83;
        *o++ = (unsigned char)(content.len >> 16);
        *o++ = (unsigned char)(content.len >> 8);
        *o++ = (unsigned char)content.len;
    }
    memcpy(o, content.data, content.len);
    return bytes(out, (apr_size_t)(o - out) + content.len);
}

/* The concatenation of count blobs. */
static blob_t cat(apr_pool_t *p, int count, ...)
{
    va_list ap;
    apr_size_t total = 0;
    unsigned char *out;
    int i;

    va_start(ap, count);
    for (i = 0; i < count; i++) {
        total += va_arg(ap, blob_t).len;
    }
    va_end(ap);
    out = apr_palloc(p, total ? total : 1);
    total = 0;
    va_start(ap, count);
    for (i = 0; i < count; i++) {
        blob_t b = va_arg(ap, blob_t);
        memcpy(out + total, b.data, b.len);
        total += b.len;
    }
    va_end(ap);
    return bytes(out, total);
}

#define STR(s) bytes(s, sizeof(s) - 1)

/* ecdsa-with-SHA256 */
static const unsigned char ecdsa_sha256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
                                             0x3d, 0x04, 0x03, 0x02};

/* A CertificateList around the given entries (an unsigned, fake signature). */
static blob_t handmade_crl(apr_pool_t *p, blob_t entries, blob_t next_update)
{
    blob_t alg = tlv(p, 0x30, bytes(ecdsa_sha256, sizeof(ecdsa_sha256)));
    blob_t name = tlv(p, 0x30, tlv(p, 0x31, tlv(p, 0x30, cat(p, 2,
                      tlv(p, 0x06, STR("\x55\x04\x03")), tlv(p, 0x0c, STR("Handmade"))))));
    blob_t tbs = tlv(p, 0x30, cat(p, 6,
                     tlv(p, 0x02, STR("\x01")), alg, name,
                     tlv(p, 0x17, STR("291231000000Z")), next_update,
                     entries.len ? tlv(p, 0x30, entries) : bytes("", 0)));

    return tlv(p, 0x30, cat(p, 3, tbs, alg, tlv(p, 0x03, STR("\x00\x30\x00"))));
}

static blob_t entry(apr_pool_t *p, blob_t serial_content)
{
    return tlv(p, 0x30, cat(p, 2, tlv(p, 0x02, serial_content),
                            tlv(p, 0x17, STR("291201000000Z"))));
}

/* Some CAs pad serials with redundant sign octets; the certificate's own
 * (minimal) serial must still be found. */
UNIT_TEST(finds_serials_encoded_with_redundant_sign_octets)
{
    blob_t entries = cat(p, 3, entry(p, STR("\x00\x05")), entry(p, STR("\x00\x00\x80")),
                         entry(p, STR("\xff\xff\x80")));
    blob_t der = handmade_crl(p, entries, tlv(p, 0x17, STR("300101000000Z")));
    mauth_crl_t *crl;
    const char *err;

    CHECK_MSG(parse(p, der.data, der.len, &crl, &err), "%s", err);
    CHECK_INT(crl->revoked_count, 3);
    CHECK(lists(p, crl, serial_hex(p, "5")));
    CHECK(lists(p, crl, serial_hex(p, "80")));
    CHECK(lists(p, crl, serial_hex(p, "-80")));
    CHECK(!lists(p, crl, serial_hex(p, "8000")));
}

UNIT_TEST(parses_generalized_time_and_missing_next_update)
{
    blob_t der = handmade_crl(p, entry(p, STR("\x07")), tlv(p, 0x18, STR("20510101000000Z")));
    mauth_crl_t *crl;
    const char *err;

    CHECK_MSG(parse(p, der.data, der.len, &crl, &err), "%s", err);
    CHECK_INT(apr_time_sec(crl->this_update), 1893369600);     /* 2029-12-31 */
    CHECK_INT(apr_time_sec(crl->next_update), 2556144000);     /* 2051-01-01 */
    der = handmade_crl(p, bytes("", 0), bytes("", 0));
    CHECK_MSG(parse(p, der.data, der.len, &crl, &err), "%s", err);
    CHECK_INT(crl->next_update, 0);
    CHECK_INT(crl->revoked_count, 0);
}

UNIT_TEST(rejects_every_truncation)
{
    tp_id_t issuer;
    apr_size_t len, cut;
    unsigned char *der = sample_crl(p, &len, &issuer);
    mauth_crl_t *crl;
    const char *err;

    CHECK_MSG(parse(p, der, len, &crl, &err), "%s", err);
    for (cut = 0; cut < len; cut++) {
        /* a copy of exactly cut bytes, so ASan sees any read beyond */
        unsigned char *copy = malloc(cut ? cut : 1);
        int ok;
        memcpy(copy, der, cut);
        ok = parse(p, copy, cut, &crl, &err);
        free(copy);
        CHECK_MSG(!ok, "accepted the first %lu of %lu bytes", (unsigned long)cut,
                  (unsigned long)len);
        CHECK(err != NULL);
    }
}

UNIT_TEST(rejects_trailing_garbage)
{
    tp_id_t issuer;
    apr_size_t len;
    unsigned char *der = sample_crl(p, &len, &issuer);
    unsigned char *longer = apr_palloc(p, len + 1);
    mauth_crl_t *crl;
    const char *err;

    memcpy(longer, der, len);
    longer[len] = 0;
    CHECK(!parse(p, longer, len + 1, &crl, &err));
    CHECK_CONTAINS(err, "CertificateList");
}

UNIT_TEST(rejects_wrong_lengths)
{
    tp_id_t issuer;
    apr_size_t len;
    unsigned char *der = sample_crl(p, &len, &issuer);
    unsigned char *copy = apr_pmemdup(p, der, len);
    mauth_crl_t *crl;
    const char *err;
    int delta, last;

    /* the outer SEQUENCE has a two-octet length: 30 82 hi lo */
    CHECK_INT(der[1], 0x82);
    for (delta = -2; delta <= 2; delta++) {
        unsigned outer = ((unsigned)der[2] << 8 | der[3]) + delta;
        if (delta == 0) {
            continue;
        }
        copy[2] = (unsigned char)(outer >> 8);
        copy[3] = (unsigned char)outer;
        CHECK_MSG(!parse(p, copy, len, &crl, &err), "outer length off by %d accepted", delta);
    }
    /* the TBSCertList's length (30 81 len or 30 82 hi lo) one too long, then
     * one too short */
    memcpy(copy, der, len);
    CHECK_INT(copy[4], 0x30);
    CHECK(copy[5] == 0x81 || copy[5] == 0x82);
    last = copy[5] == 0x81 ? 6 : 7;
    copy[last] = (unsigned char)(copy[last] + 1);
    CHECK(!parse(p, copy, len, &crl, &err));
    copy[last] = (unsigned char)(copy[last] - 2);
    CHECK(!parse(p, copy, len, &crl, &err));
}

UNIT_TEST(rejects_indefinite_and_oversized_lengths)
{
    tp_id_t issuer;
    apr_size_t len;
    unsigned char *der = sample_crl(p, &len, &issuer);
    mauth_crl_t *crl;
    const char *err;
    /* 30 80 <contents> 00 00: BER's indefinite form */
    unsigned char *ber = apr_palloc(p, len + 2);
    /* 30 85 00 00 00 hi lo: five length octets */
    unsigned char *five = apr_palloc(p, len + 3);

    memcpy(ber, der, 2);
    ber[1] = 0x80;
    memcpy(ber + 2, der + 4, len - 4);
    ber[len - 2] = ber[len - 1] = 0;
    CHECK(!parse(p, ber, len, &crl, &err));
    five[0] = 0x30;
    five[1] = 0x85;
    five[2] = five[3] = five[4] = 0;
    memcpy(five + 5, der + 2, len - 2);
    CHECK(!parse(p, five, len + 3, &crl, &err));
    /* 30 84 ff ff ff ff: a length past the end */
    five[1] = 0x84;
    five[2] = five[3] = five[4] = five[5] = 0xff;
    CHECK(!parse(p, five, len + 3, &crl, &err));
}

UNIT_TEST(rejects_disagreeing_signature_algorithms)
{
    blob_t alg = tlv(p, 0x30, bytes(ecdsa_sha256, sizeof(ecdsa_sha256)));
    blob_t other = tlv(p, 0x30, tlv(p, 0x06, STR("\x2a\x86\x48\xce\x3d\x04\x03\x03")));
    blob_t name = tlv(p, 0x30, bytes("", 0));
    blob_t tbs = tlv(p, 0x30, cat(p, 3, alg, name, tlv(p, 0x17, STR("291231000000Z"))));
    blob_t der = tlv(p, 0x30, cat(p, 3, tbs, other, tlv(p, 0x03, STR("\x00\x30\x00"))));
    mauth_crl_t *crl;
    const char *err;

    CHECK(!parse(p, der.data, der.len, &crl, &err));
    CHECK_CONTAINS(err, "signature algorithms");
}

UNIT_TEST(rejects_malformed_entries)
{
    static const char *const bad[] = {
        "\x30\x03\x02\x01\x05",                        /* no revocationDate */
        "\x30\x05\x04\x01\x05\x17\x00",                /* serial not an INTEGER */
        "\x30\x04\x02\x00\x17\x00",                    /* empty serial */
    };
    mauth_crl_t *crl;
    const char *err;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        blob_t e = bytes(bad[i], (apr_size_t)bad[i][1] + 2);
        blob_t der = handmade_crl(p, e, bytes("", 0));
        CHECK_MSG(!parse(p, der.data, der.len, &crl, &err), "bad entry %lu accepted",
                  (unsigned long)i);
    }
    {
        /* entry extensions that are not a SEQUENCE of Extension */
        blob_t e = tlv(p, 0x30, cat(p, 3, tlv(p, 0x02, STR("\x05")),
                                    tlv(p, 0x17, STR("291201000000Z")),
                                    tlv(p, 0x30, tlv(p, 0x02, STR("\x01")))));
        blob_t der = handmade_crl(p, e, bytes("", 0));
        CHECK(!parse(p, der.data, der.len, &crl, &err));
    }
}

/* Every byte changed, one at a time: accepted or not, never a crash (the
 * sanitizers watch), and whatever is accepted can be searched. */
UNIT_TEST(survives_every_single_byte_change)
{
    tp_id_t issuer;
    apr_size_t len, i;
    unsigned char *der = sample_crl(p, &len, &issuer);
    unsigned char *copy = malloc(len);
    static const unsigned char changes[] = {0x00, 0x01, 0x7f, 0x80, 0xff};
    X509 *probe = tp_cert_with_serial(p, serial_hex(p, "80"));
    size_t c;

    for (i = 0; i < len; i++) {
        for (c = 0; c < sizeof(changes); c++) {
            apr_pool_t *sub;
            mauth_crl_t *crl;
            const char *err;
            memcpy(copy, der, len);
            copy[i] ^= changes[c];
            apr_pool_create(&sub, p);
            if (mauth_crl_parse(sub, copy, len, "mutant", &crl, &err) == APR_SUCCESS) {
                mauth_crl_lists(crl, probe);
                mauth_crl_signed_by(crl, issuer.cert);
            }
            apr_pool_destroy(sub);
        }
    }
    free(copy);
}

/* ------------------------------------------- CRLs that need OpenSSL */

static mauth_crl_t *parse_x509_crl(apr_pool_t *p, X509_CRL *x)
{
    apr_size_t len;
    unsigned char *der = tp_crl_der(p, x, &len);
    mauth_crl_t *crl;
    const char *err;

    if (!parse(p, der, len, &crl, &err)) {
        unit_fail(__FILE__, __LINE__, "parse: %s", err);
        return NULL;
    }
    return crl;
}

static void add_raw_ext(X509_CRL *crl, X509_REVOKED *entry, const char *oid, int critical)
{
    ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
    ASN1_OCTET_STRING *value = ASN1_OCTET_STRING_new();
    X509_EXTENSION *ext;

    ASN1_OCTET_STRING_set(value, (const unsigned char *)"\x05\x00", 2);
    ext = X509_EXTENSION_create_by_OBJ(NULL, obj, critical, value);
    if (entry) {
        X509_REVOKED_add_ext(entry, ext, -1);
    }
    else {
        X509_CRL_add_ext(crl, ext, -1);
    }
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(value);
    ASN1_OBJECT_free(obj);
}

UNIT_TEST(ordinary_extensions_keep_crl_simple)
{
    tp_id_t issuer;
    apr_size_t len;
    unsigned char *der = sample_crl(p, &len, &issuer);
    mauth_crl_t *crl;
    const char *err;
    X509_CRL *x;

    CHECK_MSG(parse(p, der, len, &crl, &err), "%s", err);
    CHECK_MSG(crl->complex_why == NULL, "complex: %s", crl->complex_why);
    /* a critical CRL number and non-critical unknown extensions are fine */
    x = tp_crl_new(p, &(tp_crl_opts_t){.issuer = &issuer});
    {
        int at = X509_CRL_get_ext_by_NID(x, NID_crl_number, -1);
        X509_EXTENSION_free(X509_CRL_delete_ext(x, at));
        X509_CRL_add1_ext_i2d(x, NID_crl_number, serial_hex(p, "2"), 1, 0);
    }
    add_raw_ext(x, NULL, "1.3.6.1.4.1.99999.1", 0);
    add_raw_ext(x, tp_crl_revoke(x, issuer.cert), "1.3.6.1.4.1.99999.2", 0);
    tp_crl_sign(x, issuer.key);
    CHECK((crl = parse_x509_crl(p, x)) != NULL);
    CHECK_MSG(crl->complex_why == NULL, "complex: %s", crl->complex_why);
}

UNIT_TEST(issuing_distribution_point_needs_openssl)
{
    tp_id_t issuer = tp_root(p, "CRL Issuer");
    X509_CRL *x = tp_crl_new(p, &(tp_crl_opts_t){.issuer = &issuer});
    mauth_crl_t *crl;

    tp_crl_add_ext(x, &issuer, NID_issuing_distribution_point,
                   "critical,fullname:URI:http://crl.example/ca.crl");
    tp_crl_sign(x, issuer.key);
    CHECK((crl = parse_x509_crl(p, x)) != NULL);
    CHECK_CONTAINS(crl->complex_why, "issuing distribution point");
}

UNIT_TEST(delta_crl_needs_openssl)
{
    tp_id_t issuer = tp_root(p, "CRL Issuer");
    X509_CRL *x = tp_crl_new(p, &(tp_crl_opts_t){.issuer = &issuer});
    mauth_crl_t *crl;

    X509_CRL_add1_ext_i2d(x, NID_delta_crl, serial_hex(p, "1"), 1, 0);
    tp_crl_sign(x, issuer.key);
    CHECK((crl = parse_x509_crl(p, x)) != NULL);
    CHECK_CONTAINS(crl->complex_why, "delta CRL");
}

UNIT_TEST(freshest_crl_pointer_needs_openssl)
{
    tp_id_t issuer = tp_root(p, "CRL Issuer");
    X509_CRL *x = tp_crl_new(p, &(tp_crl_opts_t){.issuer = &issuer});
    mauth_crl_t *crl;

    tp_crl_add_ext(x, &issuer, NID_freshest_crl, "URI:http://crl.example/delta.crl");
    tp_crl_sign(x, issuer.key);
    CHECK((crl = parse_x509_crl(p, x)) != NULL);
    CHECK_CONTAINS(crl->complex_why, "delta");
}

UNIT_TEST(indirect_crl_entry_needs_openssl)
{
    tp_id_t issuer = tp_root(p, "CRL Issuer"), other = tp_root(p, "Other CA");
    X509_CRL *x = tp_crl_new(p, &(tp_crl_opts_t){.issuer = &issuer});
    X509_REVOKED *e = tp_crl_revoke(x, other.cert);
    GENERAL_NAMES *names = sk_GENERAL_NAME_new_null();
    GENERAL_NAME *name = GENERAL_NAME_new();
    mauth_crl_t *crl;

    name->type = GEN_DIRNAME;
    name->d.directoryName = X509_NAME_dup(X509_get_subject_name(other.cert));
    sk_GENERAL_NAME_push(names, name);
    X509_REVOKED_add1_ext_i2d(e, NID_certificate_issuer, names, 1, 0);
    GENERAL_NAMES_free(names);
    tp_crl_sign(x, issuer.key);
    CHECK((crl = parse_x509_crl(p, x)) != NULL);
    CHECK_CONTAINS(crl->complex_why, "indirect");
}

UNIT_TEST(critical_unknown_extensions_need_openssl)
{
    tp_id_t issuer = tp_root(p, "CRL Issuer");
    X509_CRL *x = tp_crl_new(p, &(tp_crl_opts_t){.issuer = &issuer});
    mauth_crl_t *crl;

    add_raw_ext(x, NULL, "1.3.6.1.4.1.99999.1", 1);
    tp_crl_sign(x, issuer.key);
    CHECK((crl = parse_x509_crl(p, x)) != NULL);
    CHECK_CONTAINS(crl->complex_why, "critical extension");

    x = tp_crl_new(p, &(tp_crl_opts_t){.issuer = &issuer});
    add_raw_ext(x, tp_crl_revoke(x, issuer.cert), "1.3.6.1.4.1.99999.2", 1);
    tp_crl_sign(x, issuer.key);
    CHECK((crl = parse_x509_crl(p, x)) != NULL);
    CHECK_CONTAINS(crl->complex_why, "entry has a critical extension");
}

UNIT_TEST(rsa_crl_signature_verifies_and_pss_needs_openssl)
{
    EVP_PKEY *rsa = tp_key_rsa(p);
    tp_id_t issuer = tp_cert(p, &(tp_cert_opts_t){.cn = "RSA CA", .ca = 1, .key = rsa});
    tp_id_t ec_issuer = tp_cert(p, &(tp_cert_opts_t){.cn = "RSA CA", .ca = 1});
    X509_CRL *x = tp_crl(p, &(tp_crl_opts_t){.issuer = &issuer});
    EVP_MD_CTX *md;
    EVP_PKEY_CTX *pctx = NULL;
    mauth_crl_t *crl;
    int signed_ok;

    CHECK((crl = parse_x509_crl(p, x)) != NULL);
    CHECK(crl->complex_why == NULL);
    CHECK(mauth_crl_signed_by(crl, issuer.cert));
    CHECK(!mauth_crl_signed_by(crl, ec_issuer.cert));

    x = tp_crl_new(p, &(tp_crl_opts_t){.issuer = &issuer});
    md = EVP_MD_CTX_new();
    signed_ok = md && EVP_DigestSignInit(md, &pctx, EVP_sha256(), NULL, rsa) == 1
                && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1
                && X509_CRL_sign_ctx(x, md) > 0;
    EVP_MD_CTX_free(md);
    CHECK(signed_ok);
    CHECK((crl = parse_x509_crl(p, x)) != NULL);
    CHECK_CONTAINS(crl->complex_why, "signature scheme");
}

UNIT_TEST(signature_check_refuses_other_key)
{
    tp_id_t issuer, other;
    apr_size_t len;
    unsigned char *der = sample_crl(p, &len, &issuer);
    mauth_crl_t *crl;
    const char *err;

    other = tp_root(p, "CRL Issuer");
    CHECK_MSG(parse(p, der, len, &crl, &err), "%s", err);
    CHECK(!mauth_crl_signed_by(crl, other.cert));
    CHECK(mauth_crl_signed_by(crl, issuer.cert));
    /* remembered for the right key only */
    CHECK(!mauth_crl_signed_by(crl, other.cert));
    CHECK(mauth_crl_signed_by(crl, issuer.cert));
}

UNIT_TEST(signature_check_refuses_changed_contents)
{
    tp_id_t issuer;
    apr_size_t len;
    unsigned char *der = sample_crl(p, &len, &issuer);
    mauth_crl_t *crl;
    const char *err;
    /* 0x80 is a revoked serial; make it 0x81 */
    unsigned char needle[] = {0x02, 0x02, 0x00, 0x80};
    unsigned char *hit = memmem(der, len, needle, sizeof(needle));

    CHECK(hit != NULL);
    hit[3] = 0x81;
    CHECK_MSG(parse(p, der, len, &crl, &err), "%s", err);
    CHECK(!mauth_crl_signed_by(crl, issuer.cert));
}

/* PKITS 4.4.4: a signature BIT STRING that declares unused bits.  OpenSSL
 * parses the CRL and fails its signature; so does the index, and the CRL
 * loads (it is refused where it is used, it does not stop start-up). */
UNIT_TEST(signature_with_unused_bits_loads_but_never_verifies)
{
    tp_id_t issuer;
    apr_size_t len;
    unsigned char *der = sample_crl(p, &len, &issuer);
    const unsigned char *in;
    unsigned char *unused;
    mauth_crl_t *crl;
    const char *err;
    X509_CRL *x;

    CHECK_MSG(parse(p, der, len, &crl, &err), "%s", err);
    CHECK_INT(crl->signature_unused_bits, 0);
    unused = (unsigned char *)crl->signature - 1;
    CHECK_INT(unused[-2], 0x03);                   /* short form: 03 len 00 */
    *unused = 1;
    CHECK_MSG(parse(p, der, len, &crl, &err), "%s", err);
    CHECK_INT(crl->signature_unused_bits, 1);
    CHECK(!mauth_crl_signed_by(crl, issuer.cert));
    CHECK_INT(crl->revoked_count, 3);
    in = der;
    x = d2i_X509_CRL(NULL, &in, (long)len);
    CHECK(x != NULL);
    CHECK(X509_CRL_verify(x, X509_get0_pubkey(issuer.cert)) != 1);
    X509_CRL_free(x);
    ERR_clear_error();

    /* more than 7 unused bits is no BIT STRING, for OpenSSL either */
    *unused = 8;
    CHECK(!parse(p, der, len, &crl, &err));
    in = der;
    CHECK(d2i_X509_CRL(NULL, &in, (long)len) == NULL);
    ERR_clear_error();
}

/* ------------------------------------------------------------- files */

/* Every file test runs twice: CRLs kept in memory, and through a cache
 * directory (a shared file per CRL file). */
static const char *cache_dirs(apr_pool_t *p, int mode)
{
    return mode ? tp_tmpdir(p) : NULL;
}

UNIT_TEST(reads_der_file_and_pem_file_with_several_crls)
{
    tp_id_t a = tp_root(p, "CA A"), b = tp_root(p, "CA B");
    X509_CRL *ca = tp_crl(p, &(tp_crl_opts_t){.issuer = &a});
    X509_CRL *cb = tp_crl(p, &(tp_crl_opts_t){.issuer = &b});
    const char *dir = tp_tmpdir(p), *err = NULL;
    const char *der_path = tp_write_crls(p, dir, "a.crl", 1, ca, NULL);
    const char *pem_path = tp_write_crls(p, dir, "ab.pem", 0, ca, cb, NULL);
    int mode;

    for (mode = 0; mode < 2; mode++) {
        const char *cache = cache_dirs(p, mode);
        apr_array_header_t *crls = apr_array_make(p, 2, sizeof(mauth_crl_t *));
        CHECK_MSG(mauth_crl_read_file(p, der_path, cache, crls, &err) == APR_SUCCESS,
                  "%s", err);
        CHECK_INT(crls->nelts, 1);
        CHECK_STR(APR_ARRAY_IDX(crls, 0, mauth_crl_t *)->source, der_path);
        CHECK_MSG(mauth_crl_read_file(p, pem_path, cache, crls, &err) == APR_SUCCESS,
                  "%s", err);
        CHECK_INT(crls->nelts, 3);
        CHECK(X509_NAME_cmp(APR_ARRAY_IDX(crls, 2, mauth_crl_t *)->issuer,
                            X509_get_subject_name(b.cert)) == 0);
        CHECK(mauth_crl_signed_by(APR_ARRAY_IDX(crls, 2, mauth_crl_t *), b.cert));
    }
}

UNIT_TEST(file_with_certificates_only_is_no_crl)
{
    tp_id_t a = tp_root(p, "CA A");
    const char *dir = tp_tmpdir(p), *err = NULL;
    const char *pem = tp_write_certs(p, dir, "a.pem", a.cert, NULL);
    apr_size_t len;
    unsigned char *der = tp_cert_der(p, a.cert, &len);
    const char *der_path = tp_write_file(p, dir, "a.der", der, len);
    int mode;

    for (mode = 0; mode < 2; mode++) {
        const char *cache = cache_dirs(p, mode);
        apr_array_header_t *crls = apr_array_make(p, 2, sizeof(mauth_crl_t *));
        CHECK(mauth_crl_read_file(p, pem, cache, crls, &err) != APR_SUCCESS);
        CHECK_CONTAINS(err, pem);
        CHECK_CONTAINS(err, "no CRL");
        CHECK(mauth_crl_read_file(p, der_path, cache, crls, &err) != APR_SUCCESS);
        CHECK_CONTAINS(err, der_path);
        CHECK_INT(crls->nelts, 0);
    }
}

/* PEM as people keep it: explanatory text before a block, CRLF line ends,
 * certificates beside the CRLs; and as it breaks: no END line, a damaged
 * line, an empty file. */
UNIT_TEST(reads_pem_as_found_and_refuses_broken_pem)
{
    tp_id_t a = tp_root(p, "CA A");
    X509_CRL *ca = tp_crl(p, &(tp_crl_opts_t){.issuer = &a});
    const char *dir = tp_tmpdir(p), *err = NULL;
    BIO *mem = BIO_new(BIO_s_mem());
    char *pem, *crlf, *c;
    long len;
    apr_size_t i;
    int mode;

    PEM_write_bio_X509(mem, a.cert);
    PEM_write_bio_X509_CRL(mem, ca);
    len = BIO_get_mem_data(mem, &pem);
    pem = apr_pstrcat(p, "Certificate Revocation List (CRL):\n  text first\n",
                      apr_pstrmemdup(p, pem, (apr_size_t)len), NULL);
    BIO_free(mem);
    crlf = apr_palloc(p, strlen(pem) * 2 + 1);
    for (c = crlf, i = 0; pem[i]; i++) {
        if (pem[i] == '\n') {
            *c++ = '\r';
        }
        *c++ = pem[i];
    }
    *c = '\0';
    for (mode = 0; mode < 2; mode++) {
        const char *cache = cache_dirs(p, mode);
        apr_array_header_t *crls = apr_array_make(p, 2, sizeof(mauth_crl_t *));
        const char *unended = apr_pstrndup(p, pem, strstr(pem, "-----END X509 CRL") - pem);
        const char *damaged = apr_pstrdup(p, pem);
        ((char *)strstr(damaged, "-----END X509 CRL"))[-3] = '-';
        CHECK_MSG(mauth_crl_read_file(p, tp_write_file(p, dir, "text.pem", pem, strlen(pem)),
                                      cache, crls, &err) == APR_SUCCESS, "%s", err);
        CHECK_MSG(mauth_crl_read_file(p, tp_write_file(p, dir, "crlf.pem", crlf, strlen(crlf)),
                                      cache, crls, &err) == APR_SUCCESS, "%s", err);
        CHECK_INT(crls->nelts, 2);
        CHECK(mauth_crl_signed_by(APR_ARRAY_IDX(crls, 1, mauth_crl_t *), a.cert));
        CHECK(mauth_crl_read_file(p, tp_write_file(p, dir, "unended.pem", unended,
                                                   strlen(unended)), cache, crls, &err)
              != APR_SUCCESS);
        CHECK_CONTAINS(err, "no END line");
        CHECK(mauth_crl_read_file(p, tp_write_file(p, dir, "damaged.pem", damaged,
                                                   strlen(damaged)), cache, crls, &err)
              != APR_SUCCESS);
        CHECK_CONTAINS(err, "damaged.pem");
        CHECK(mauth_crl_read_file(p, tp_write_file(p, dir, "empty.pem", "", 0), cache, crls,
                                  &err) != APR_SUCCESS);
        CHECK(mauth_crl_read_file(p, apr_pstrcat(p, dir, "/absent.pem", NULL), cache, crls,
                                  &err) != APR_SUCCESS);
        CHECK_CONTAINS(err, "absent.pem");
        CHECK_INT(crls->nelts, 2);
    }
}

/* The cache directory's files: one per CRL file and content. */
static int cache_files(apr_pool_t *p, const char *dir, const char **last)
{
    apr_dir_t *handle;
    apr_finfo_t entry;
    int count = 0;

    if (apr_dir_open(&handle, dir, p) != APR_SUCCESS) {
        return -1;
    }
    while (apr_dir_read(&entry, APR_FINFO_NAME, handle) == APR_SUCCESS) {
        if (entry.name[0] != '.') {
            *last = apr_pstrcat(p, dir, "/", entry.name, NULL);
            count++;
        }
    }
    apr_dir_close(handle);
    return count;
}

/* A second reader of the same content maps the file the first one wrote
 * (the same bytes, not a copy); new content gets a new file and the old
 * one goes; every serial is found through the mapped index. */
UNIT_TEST(cache_file_is_shared_by_readers_of_the_same_content)
{
    enum { COUNT = 20000 };
    tp_id_t issuer = tp_root(p, "Shared CRL Issuer");
    const char *dir = tp_tmpdir(p), *cache = tp_tmpdir(p), *err = NULL, *file = NULL;
    const char *path = tp_write_crls(p, dir, "big.pem", 0, random_crl(p, &issuer, COUNT), NULL);
    apr_array_header_t *first = apr_array_make(p, 1, sizeof(mauth_crl_t *));
    apr_array_header_t *second = apr_array_make(p, 1, sizeof(mauth_crl_t *)), *third;
    mauth_crl_t *a, *b;
    apr_finfo_t before, after;
    apr_size_t missed, extra;

    CHECK_MSG(mauth_crl_read_file(p, path, cache, first, &err) == APR_SUCCESS, "%s", err);
    CHECK_INT(cache_files(p, cache, &file), 1);
    CHECK(apr_stat(&before, file, APR_FINFO_INODE | APR_FINFO_MTIME, p) == APR_SUCCESS);
    CHECK_MSG(mauth_crl_read_file(p, path, cache, second, &err) == APR_SUCCESS, "%s", err);
    CHECK(apr_stat(&after, file, APR_FINFO_INODE | APR_FINFO_MTIME, p) == APR_SUCCESS);
    CHECK(before.inode == after.inode);   /* not made again: mapped */
    a = APR_ARRAY_IDX(first, 0, mauth_crl_t *);
    b = APR_ARRAY_IDX(second, 0, mauth_crl_t *);
    CHECK_INT(b->revoked_count, COUNT);
    CHECK(a->der_len == b->der_len && memcmp(a->der, b->der, a->der_len) == 0);
    count_misses(b, COUNT, &missed, &extra);
    CHECK_INT(missed, 0);
    CHECK_INT(extra, 0);
    CHECK(mauth_crl_signed_by(b, issuer.cert));

    path = tp_write_crls(p, dir, "big.pem", 0, random_crl(p, &issuer, 10), NULL);
    third = apr_array_make(p, 1, sizeof(mauth_crl_t *));
    CHECK_MSG(mauth_crl_read_file(p, path, cache, third, &err) == APR_SUCCESS, "%s", err);
    CHECK_INT(APR_ARRAY_IDX(third, 0, mauth_crl_t *)->revoked_count, 10);
    /* the old copy stays until the new CRLs are the ones in use */
    CHECK_INT(cache_files(p, cache, &file), 2);
    mauth_crl_cache_settle(p, third);
    CHECK_INT(cache_files(p, cache, &file), 1);
    /* the first reader's mapping outlives the removal of its file */
    count_misses(a, COUNT, &missed, &extra);
    CHECK_INT(missed, 0);
}

/* A cache file someone damaged (cut short, its index reordered or pointed
 * outside the list) is not trusted: it is made again from the CRL file. */
UNIT_TEST(damaged_cache_file_is_made_again)
{
    enum { COUNT = 1000 };
    tp_id_t issuer = tp_root(p, "Damaged Cache Issuer");
    const char *dir = tp_tmpdir(p), *cache = tp_tmpdir(p), *err = NULL, *file = NULL;
    const char *path = tp_write_crls(p, dir, "c.crl", 1, random_crl(p, &issuer, COUNT), NULL);
    apr_array_header_t *crls = apr_array_make(p, 1, sizeof(mauth_crl_t *));
    apr_size_t missed, extra;
    int damage;

    for (damage = 0; damage < 4; damage++) {
        apr_file_t *f;
        apr_finfo_t info;
        uint32_t words[2];
        CHECK_MSG(mauth_crl_read_file(p, path, cache, crls, &err) == APR_SUCCESS, "%s", err);
        CHECK_INT(cache_files(p, cache, &file), 1);
        CHECK(apr_file_open(&f, file, APR_FOPEN_READ | APR_FOPEN_WRITE, 0, p) == APR_SUCCESS);
        CHECK(apr_file_info_get(&info, APR_FINFO_SIZE, f) == APR_SUCCESS);
        if (damage == 0) {
            CHECK(apr_file_trunc(f, info.size - 5) == APR_SUCCESS);
        }
        else {
            /* the index's first two offsets: just after the DER (padded) */
            apr_off_t at = (apr_off_t)((APR_ARRAY_IDX(crls, crls->nelts - 1,
                                                      mauth_crl_t *)->der_len + 7) / 8 * 8);
            apr_size_t n = sizeof(words);
            CHECK(apr_file_seek(f, APR_SET, &at) == APR_SUCCESS);
            CHECK(apr_file_read_full(f, words, n, NULL) == APR_SUCCESS);
            if (damage == 1) {
                uint32_t t = words[0];
                words[0] = words[1];
                words[1] = t;
            }
            else {
                words[0] = damage == 2 ? 3 : 0xfffffff0u;
            }
            at = (apr_off_t)((APR_ARRAY_IDX(crls, crls->nelts - 1, mauth_crl_t *)->der_len + 7)
                             / 8 * 8);
            CHECK(apr_file_seek(f, APR_SET, &at) == APR_SUCCESS);
            CHECK(apr_file_write_full(f, words, n, NULL) == APR_SUCCESS);
        }
        apr_file_close(f);
        CHECK_MSG(mauth_crl_read_file(p, path, cache, crls, &err) == APR_SUCCESS,
                  "damage %d: %s", damage, err);
        count_misses(APR_ARRAY_IDX(crls, crls->nelts - 1, mauth_crl_t *), COUNT, &missed,
                     &extra);
        CHECK_INT(missed, 0);
        CHECK_INT(extra, 0);
    }
}

/* A directory no file can be made in: an error naming it, nothing kept. */
UNIT_TEST(unwritable_cache_directory_is_an_error)
{
    tp_id_t a = tp_root(p, "CA A");
    const char *dir = tp_tmpdir(p), *err = NULL;
    const char *path = tp_write_crls(p, dir, "a.crl", 1,
                                     tp_crl(p, &(tp_crl_opts_t){.issuer = &a}), NULL);
    const char *missing = apr_pstrcat(p, dir, "/no-such-dir", NULL);
    apr_array_header_t *crls = apr_array_make(p, 1, sizeof(mauth_crl_t *));

    CHECK(mauth_crl_read_file(p, path, missing, crls, &err) != APR_SUCCESS);
    CHECK_CONTAINS(err, missing);
    CHECK_INT(crls->nelts, 0);
}

/* A child maps what the parent wrote and writes nothing: before the
 * parent made the shared copy it reads the CRL into memory and names the
 * file it waits for; once the copy is there it maps it. */
UNIT_TEST(a_reader_that_may_not_build_reads_into_memory_until_the_copy_exists)
{
    tp_id_t a = tp_root(p, "CA A");
    const char *dir = tp_tmpdir(p), *cache = tp_tmpdir(p), *err = NULL, *file = NULL;
    const char *path = tp_write_crls(p, dir, "a.crl", 1,
                                     tp_crl(p, &(tp_crl_opts_t){.issuer = &a}), NULL);
    apr_array_header_t *crls = apr_array_make(p, 1, sizeof(mauth_crl_t *));
    apr_array_header_t *pending = apr_array_make(p, 1, sizeof(const char *));

    CHECK_MSG(mauth_crl_map_file(p, path, cache, crls, pending, &err) == APR_SUCCESS,
              "%s", err);
    CHECK_INT(crls->nelts, 1);
    CHECK_INT(cache_files(p, cache, &file), 0);
    CHECK_INT(pending->nelts, 1);
    CHECK_MSG(mauth_crl_read_file(p, path, cache, crls, &err) == APR_SUCCESS, "%s", err);
    CHECK_INT(cache_files(p, cache, &file), 1);
    CHECK_STR(APR_ARRAY_IDX(pending, 0, const char *), file);
    apr_array_clear(pending);
    CHECK_MSG(mauth_crl_map_file(p, path, cache, crls, pending, &err) == APR_SUCCESS,
              "%s", err);
    CHECK_INT(pending->nelts, 0);
    CHECK(APR_ARRAY_IDX(crls, 2, mauth_crl_t *)->der_len
          == APR_ARRAY_IDX(crls, 0, mauth_crl_t *)->der_len);
    /* a damaged copy is not waited for (it would be read again at every
     * look): the reader keeps its own until the next change */
    {
        apr_file_t *f;
        CHECK(apr_file_open(&f, file, APR_FOPEN_WRITE | APR_FOPEN_TRUNCATE, 0, p)
              == APR_SUCCESS);
        apr_file_close(f);
    }
    CHECK_MSG(mauth_crl_map_file(p, path, cache, crls, pending, &err) == APR_SUCCESS,
              "%s", err);
    CHECK_INT(crls->nelts, 4);
    CHECK_INT(pending->nelts, 0);
}

/* What a configuration no longer reads goes from the cache directory at
 * the end of a load; what it read (a file just made or one mapped again)
 * stays, and so do files that are not the cache's. */
UNIT_TEST(prune_removes_the_copies_no_read_used_since_the_load_began)
{
    tp_id_t a = tp_root(p, "CA A"), b = tp_root(p, "CA B");
    const char *dir = tp_tmpdir(p), *cache = tp_tmpdir(p), *err = NULL, *file = NULL;
    const char *pa = tp_write_crls(p, dir, "a.crl", 1,
                                   tp_crl(p, &(tp_crl_opts_t){.issuer = &a}), NULL);
    const char *pb = tp_write_crls(p, dir, "b.crl", 1,
                                   tp_crl(p, &(tp_crl_opts_t){.issuer = &b}), NULL);
    const char *left = apr_pstrcat(p, cache, "/.x.crlx.AbC123", NULL);
    apr_array_header_t *crls = apr_array_make(p, 2, sizeof(mauth_crl_t *));
    apr_time_t load;
    apr_finfo_t info;

    CHECK_MSG(mauth_crl_read_file(p, pa, cache, crls, &err) == APR_SUCCESS, "%s", err);
    CHECK_MSG(mauth_crl_read_file(p, pb, cache, crls, &err) == APR_SUCCESS, "%s", err);
    tp_write_file(p, cache, ".x.crlx.AbC123", "x", 1);
    tp_write_file(p, cache, "README", "x", 1);
    CHECK(apr_file_mtime_set(left, apr_time_now() - apr_time_from_sec(60), p) == APR_SUCCESS);
    CHECK_INT(cache_files(p, cache, &file), 3);
    apr_sleep(apr_time_from_msec(20));
    /* the next load reads a.crl only */
    load = apr_time_now();
    CHECK_MSG(mauth_crl_read_file(p, pa, cache, crls, &err) == APR_SUCCESS, "%s", err);
    mauth_crl_cache_prune(p, cache, load);
    CHECK_INT(cache_files(p, cache, &file), 2);
    CHECK(apr_stat(&info, left, APR_FINFO_TYPE, p) != APR_SUCCESS);
    CHECK(apr_stat(&info, apr_pstrcat(p, cache, "/README", NULL), APR_FINFO_TYPE, p)
          == APR_SUCCESS);
    CHECK_MSG(mauth_crl_read_file(p, pa, cache, crls, &err) == APR_SUCCESS, "%s", err);
    CHECK_INT(crls->nelts, 4);
}

static const unit_test_t tests[] = {
    UNIT(parses_crl_without_entries),
    UNIT(parses_crl_with_one_entry),
    UNIT(finds_every_one_of_50000_random_serials_and_no_other),
    UNIT(finds_edge_serials_and_not_their_neighbours),
    UNIT(finds_serials_encoded_with_redundant_sign_octets),
    UNIT(parses_generalized_time_and_missing_next_update),
    UNIT(rejects_every_truncation),
    UNIT(rejects_trailing_garbage),
    UNIT(rejects_wrong_lengths),
    UNIT(rejects_indefinite_and_oversized_lengths),
    UNIT(rejects_disagreeing_signature_algorithms),
    UNIT(rejects_malformed_entries),
    UNIT(survives_every_single_byte_change),
    UNIT(ordinary_extensions_keep_crl_simple),
    UNIT(issuing_distribution_point_needs_openssl),
    UNIT(delta_crl_needs_openssl),
    UNIT(freshest_crl_pointer_needs_openssl),
    UNIT(indirect_crl_entry_needs_openssl),
    UNIT(critical_unknown_extensions_need_openssl),
    UNIT(rsa_crl_signature_verifies_and_pss_needs_openssl),
    UNIT(signature_check_refuses_other_key),
    UNIT(signature_check_refuses_changed_contents),
    UNIT(signature_with_unused_bits_loads_but_never_verifies),
    UNIT(reads_der_file_and_pem_file_with_several_crls),
    UNIT(file_with_certificates_only_is_no_crl),
    UNIT(reads_pem_as_found_and_refuses_broken_pem),
    UNIT(cache_file_is_shared_by_readers_of_the_same_content),
    UNIT(damaged_cache_file_is_made_again),
    UNIT(unwritable_cache_directory_is_an_error),
    UNIT(a_reader_that_may_not_build_reads_into_memory_until_the_copy_exists),
    UNIT(prune_removes_the_copies_no_read_used_since_the_load_began),
};

UNIT_MAIN("crl", tests)
