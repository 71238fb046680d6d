/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * test_cert.c: the facts logged and exported about a certificate, and the
 * core's logging callback.
 */
#include <apr_strings.h>
#include <openssl/evp.h>

#include "testpki.h"
#include "unit.h"

UNIT_TEST(fingerprint_is_sha256_of_der)
{
    tp_id_t root = tp_root(p, "Root CA");
    apr_size_t len;
    unsigned char *der = tp_cert_der(p, root.cert, &len);
    unsigned char want[EVP_MAX_MD_SIZE], got[MAUTH_FINGERPRINT_LEN];
    unsigned int want_len = 0;
    char want_hex[MAUTH_FINGERPRINT_HEX_LEN + 1];
    mauth_cert_info_t info;

    CHECK(EVP_Digest(der, len, want, &want_len, EVP_sha256(), NULL) == 1);
    CHECK_INT(want_len, MAUTH_FINGERPRINT_LEN);
    CHECK(mauth_cert_fingerprint(root.cert, got));
    CHECK(memcmp(got, want, MAUTH_FINGERPRINT_LEN) == 0);
    mauth_hex(want, MAUTH_FINGERPRINT_LEN, want_hex);
    mauth_cert_info(p, root.cert, &info);
    CHECK_STR(info.fingerprint, want_hex);
}

UNIT_TEST(hex_is_lowercase_two_digits_a_byte)
{
    static const unsigned char bytes[] = {0x00, 0x0f, 0xa0, 0xff, 0x5c};
    char out[2 * sizeof(bytes) + 1];

    mauth_hex(bytes, sizeof(bytes), out);
    CHECK_STR(out, "000fa0ff5c");
    mauth_hex(bytes, 0, out);
    CHECK_STR(out, "");
}

UNIT_TEST(cert_info_prints_like_mod_ssl)
{
    tp_id_t root = tp_root(p, "Root CA");
    tp_id_t leaf = tp_cert(p, &(tp_cert_opts_t){.cn = "alice", .issuer = &root,
                                                .serial_hex = "0A1B2C3D4E5F",
                                                .not_before = TP_NOW - TP_DAY,
                                                .not_after = TP_NOW + 9 * TP_HOUR + 5});
    mauth_cert_info_t info;

    mauth_cert_info(p, leaf.cert, &info);
    CHECK_STR(info.subject_dn, "CN=alice,O=mauth Unit Test");
    CHECK_STR(info.issuer_dn, "CN=Root CA,O=mauth Unit Test");
    CHECK_STR(info.serial, "0A1B2C3D4E5F");
    CHECK_STR(info.not_before, "Dec 31 00:00:00 2029 GMT");
    CHECK_STR(info.not_after, "Jan  1 09:00:05 2030 GMT");
    CHECK_INT(strlen(info.fingerprint), MAUTH_FINGERPRINT_HEX_LEN);
}

UNIT_TEST(cert_info_keeps_utf8_names_readable)
{
    tp_id_t leaf = tp_cert(p, &(tp_cert_opts_t){.cn = "J\xc3\xa9r\xc3\xb4me, \"the\" + one"});
    mauth_cert_info_t info;

    mauth_cert_info(p, leaf.cert, &info);
    CHECK_STR(info.subject_dn, "CN=J\xc3\xa9r\xc3\xb4me\\, \\\"the\\\" \\+ one,O=mauth Unit Test");
}

static int calls;
static const char *last_file;
static void count_calls(void *baton, const char *file, int line, int level, const char *tag,
                        const char *message)
{
    apr_array_header_t *lines = baton;

    calls++;
    last_file = file;
    APR_ARRAY_PUSH(lines, const char *) = apr_pstrdup(lines->pool, message);
}

UNIT_TEST(log_calls_back_only_up_to_its_level)
{
    apr_array_header_t *lines = apr_array_make(p, 4, sizeof(const char *));
    mauth_logger_t logger = {count_calls, lines, MAUTH_LOG_INFO};
    char big[3000];

    calls = 0;
    mauth_log(&logger, MAUTH_LOG_DEBUG, "MAUTH99999", "hidden %d", 1);
    CHECK_INT(calls, 0);
    mauth_log(&logger, MAUTH_LOG_WARNING, "MAUTH99999", "shown %s %d", "x", 2);
    CHECK_INT(calls, 1);
    CHECK_STR(APR_ARRAY_IDX(lines, 0, const char *), "shown x 2");
    /* the place is the caller's, not the logger's */
    CHECK_CONTAINS(last_file, "test_cert.c");
    mauth_log(NULL, MAUTH_LOG_ERR, "MAUTH99999", "nobody listens");
    CHECK_INT(calls, 1);
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    mauth_log(&logger, MAUTH_LOG_ERR, "MAUTH99999", "%s", big);
    CHECK_INT(calls, 2);
    CHECK_INT(strlen(APR_ARRAY_IDX(lines, 1, const char *)), 1023);
}

static const unit_test_t tests[] = {
    UNIT(fingerprint_is_sha256_of_der),
    UNIT(hex_is_lowercase_two_digits_a_byte),
    UNIT(cert_info_prints_like_mod_ssl),
    UNIT(cert_info_keeps_utf8_names_readable),
    UNIT(log_calls_back_only_up_to_its_level),
};

UNIT_MAIN("cert", tests)
