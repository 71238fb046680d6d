/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * test_parse.c: the parsers of directive arguments and mauth-admin's
 * options (mauth_parse_number, mauth_parse_seconds, mauth_parse_keyword):
 * ranges, signs, garbage, overflow, keywords in any case, and the sentence
 * each refusal says.
 */
#include "unit.h"

/* What mauth_parse_number answers for arg in [min, max]: NULL and *value,
 * or the sentence. */
static const char *number(apr_pool_t *p, const char *arg, apr_int64_t min, apr_int64_t max,
                          apr_int64_t *value)
{
    *value = 12345;                    /* a refusal leaves it alone */
    return mauth_parse_number(p, "MAuthVerifyDepth", arg, min, max, value);
}

#define CHECK_NUMBER(arg, min, max, want) do {                             \
        apr_int64_t v_;                                                     \
        const char *e_ = number(p, (arg), (min), (max), &v_);              \
        CHECK_MSG(e_ == NULL, "'%s' refused: %s", (arg), e_);               \
        CHECK_INT(v_, (want));                                              \
    } while (0)

#define CHECK_NOT_NUMBER(arg, min, max) do {                               \
        apr_int64_t v_;                                                     \
        const char *e_ = number(p, (arg), (min), (max), &v_);              \
        CHECK_MSG(e_ != NULL, "'%s' accepted as %lld", (arg) ? (arg) : "(null)", \
                  (long long)v_);                                           \
        CHECK_INT(v_, 12345);                                               \
    } while (0)

UNIT_TEST(number_within_range_is_read)
{
    CHECK_NUMBER("1", 1, 10, 1);
    CHECK_NUMBER("10", 1, 10, 10);
    CHECK_NUMBER("7", 1, 10, 7);
    CHECK_NUMBER("007", 1, 10, 7);
    CHECK_NUMBER("0", 0, 0, 0);
}

UNIT_TEST(number_outside_range_is_refused)
{
    CHECK_NOT_NUMBER("0", 1, 10);
    CHECK_NOT_NUMBER("11", 1, 10);
    CHECK_NOT_NUMBER("100000000000", 1, 10);
}

UNIT_TEST(number_takes_a_sign)
{
    CHECK_NUMBER("+5", 1, 10, 5);
    CHECK_NUMBER("-5", -10, 10, -5);
    CHECK_NUMBER("-0", 0, 10, 0);
    CHECK_NOT_NUMBER("-1", 0, 10);
    CHECK_NOT_NUMBER("+", 0, 10);
    CHECK_NOT_NUMBER("-", 0, 10);
    CHECK_NOT_NUMBER("--1", -10, 10);
    CHECK_NOT_NUMBER("+-1", -10, 10);
}

UNIT_TEST(number_with_anything_else_is_refused)
{
    CHECK_NOT_NUMBER(NULL, 0, 10);
    CHECK_NOT_NUMBER("", 0, 10);
    CHECK_NOT_NUMBER(" 5", 0, 10);
    CHECK_NOT_NUMBER("5 ", 0, 10);
    CHECK_NOT_NUMBER("5s", 0, 10);
    CHECK_NOT_NUMBER("x", 0, 10);
    CHECK_NOT_NUMBER("0x5", 0, 10);
    CHECK_NOT_NUMBER("1e1", 0, 100);
    CHECK_NOT_NUMBER("5.0", 0, 10);
    CHECK_NOT_NUMBER("1,000", 0, 10000);
    CHECK_NOT_NUMBER("\xd9\xa5", 0, 10);    /* ARABIC-INDIC DIGIT FIVE */
}

UNIT_TEST(number_at_the_limits_of_64_bits_is_read)
{
    CHECK_NUMBER("9223372036854775807", APR_INT64_MIN, APR_INT64_MAX, APR_INT64_MAX);
    CHECK_NUMBER("-9223372036854775808", APR_INT64_MIN, APR_INT64_MAX, APR_INT64_MIN);
}

UNIT_TEST(number_beyond_64_bits_is_refused_not_saturated)
{
    CHECK_NOT_NUMBER("9223372036854775808", APR_INT64_MIN, APR_INT64_MAX);
    CHECK_NOT_NUMBER("-9223372036854775809", APR_INT64_MIN, APR_INT64_MAX);
    CHECK_NOT_NUMBER("18446744073709551617", APR_INT64_MIN, APR_INT64_MAX);
    CHECK_NOT_NUMBER("99999999999999999999999999", APR_INT64_MIN, APR_INT64_MAX);
    /* would wrap to 5 in 64 bits */
    CHECK_NOT_NUMBER("18446744073709551621", 0, 10);
}

UNIT_TEST(number_refusal_names_the_setting_and_its_range)
{
    apr_int64_t v;

    CHECK_STR(mauth_parse_number(p, "MAuthVerifyDepth", "x", 1, 10, &v),
              "MAuthVerifyDepth must be a number from 1 to 10");
    CHECK_STR(mauth_parse_number(p, "--ttl", "soon", -86400, 86400, &v),
              "--ttl must be a number from -86400 to 86400");
}

UNIT_TEST(seconds_within_range_are_microseconds)
{
    apr_interval_time_t t = -1;

    CHECK(mauth_parse_seconds(p, "MAuthVerdictCacheTimeout", "0", 86400, &t) == NULL);
    CHECK_INT(t, 0);
    CHECK(mauth_parse_seconds(p, "MAuthVerdictCacheTimeout", "30", 86400, &t) == NULL);
    CHECK_INT(t, apr_time_from_sec(30));
    CHECK(mauth_parse_seconds(p, "MAuthVerdictCacheTimeout", "86400", 86400, &t) == NULL);
    CHECK_INT(t, apr_time_from_sec(86400));
    CHECK(mauth_parse_seconds(p, "MAuthVerdictCacheTimeout", "+5", 86400, &t) == NULL);
    CHECK_INT(t, apr_time_from_sec(5));
}

UNIT_TEST(seconds_negative_beyond_or_garbage_are_refused)
{
    static const char *const bad[] = {
        "-1", "86401", "", " 1", "1s", "1.5", "x", "9223372036854775808", NULL
    };
    apr_interval_time_t t = 77;
    int i;

    for (i = 0; bad[i]; i++) {
        CHECK_MSG(mauth_parse_seconds(p, "MAuthStoreCacheTimeout", bad[i], 86400, &t) != NULL,
                  "'%s' accepted as seconds", bad[i]);
        CHECK_INT(t, 77);
    }
    CHECK(mauth_parse_seconds(p, "MAuthStoreCacheTimeout", NULL, 86400, &t) != NULL);
}

UNIT_TEST(seconds_that_would_overflow_microseconds_are_refused)
{
    apr_interval_time_t t = 77;

    /* fits 64 bits as seconds, not as microseconds */
    CHECK(mauth_parse_seconds(p, "X", "9223372036854775", APR_INT64_MAX, &t) != NULL);
    CHECK_INT(t, 77);
    CHECK(mauth_parse_seconds(p, "X", "9223372036854", APR_INT64_MAX, &t) == NULL);
    CHECK_INT(t, apr_time_from_sec(APR_INT64_C(9223372036854)));
}

UNIT_TEST(seconds_refusal_quotes_the_argument_and_the_range)
{
    apr_interval_time_t t;

    CHECK_STR(mauth_parse_seconds(p, "MAuthStoreCacheTimeout", "x", 86400, &t),
              "MAuthStoreCacheTimeout: 'x' is not a number of seconds from 0 to 86400");
    CHECK_STR(mauth_parse_seconds(p, "MAuthVerdictCacheTimeout", "-1", 3600, &t),
              "MAuthVerdictCacheTimeout: '-1' is not a number of seconds from 0 to 3600");
}

static const char *const revocation_modes[] = {"chain", "leaf", "none", NULL};

#define CHECK_KEYWORD(arg, want) do {                                     \
        int i_ = -1;                                                        \
        const char *e_ = mauth_parse_keyword(p, "MAuthCARevocationCheck", (arg), \
                                             revocation_modes, &i_);        \
        CHECK_MSG(e_ == NULL, "'%s' refused: %s", (arg), e_);               \
        CHECK_INT(i_, (want));                                              \
    } while (0)

UNIT_TEST(keyword_gives_its_index)
{
    CHECK_KEYWORD("chain", 0);
    CHECK_KEYWORD("leaf", 1);
    CHECK_KEYWORD("none", 2);
}

UNIT_TEST(keyword_in_any_case_is_the_same_keyword)
{
    CHECK_KEYWORD("CHAIN", 0);
    CHECK_KEYWORD("Leaf", 1);
    CHECK_KEYWORD("nOnE", 2);
}

UNIT_TEST(keyword_not_among_the_words_is_refused)
{
    static const char *const bad[] = {"", "all", "chain ", " leaf", "chains", "lea", NULL};
    int i, out = 42;

    for (i = 0; bad[i]; i++) {
        CHECK_MSG(mauth_parse_keyword(p, "MAuthCARevocationCheck", bad[i], revocation_modes,
                                      &out) != NULL, "'%s' accepted", bad[i]);
        CHECK_INT(out, 42);
    }
    CHECK(mauth_parse_keyword(p, "MAuthCARevocationCheck", NULL, revocation_modes, &out) != NULL);
    CHECK_INT(out, 42);
}

UNIT_TEST(keyword_refusal_lists_the_words)
{
    static const char *const drivers[] = {"sqlite3", "pgsql", NULL};
    int i;

    CHECK_STR(mauth_parse_keyword(p, "MAuthCARevocationCheck", "all", revocation_modes, &i),
              "MAuthCARevocationCheck must be one of chain, leaf, none");
    CHECK_STR(mauth_parse_keyword(p, "--driver", "mysql", drivers, &i),
              "--driver must be one of sqlite3, pgsql");
}

static const unit_test_t tests[] = {
    UNIT(number_within_range_is_read),
    UNIT(number_outside_range_is_refused),
    UNIT(number_takes_a_sign),
    UNIT(number_with_anything_else_is_refused),
    UNIT(number_at_the_limits_of_64_bits_is_read),
    UNIT(number_beyond_64_bits_is_refused_not_saturated),
    UNIT(number_refusal_names_the_setting_and_its_range),
    UNIT(seconds_within_range_are_microseconds),
    UNIT(seconds_negative_beyond_or_garbage_are_refused),
    UNIT(seconds_that_would_overflow_microseconds_are_refused),
    UNIT(seconds_refusal_quotes_the_argument_and_the_range),
    UNIT(keyword_gives_its_index),
    UNIT(keyword_in_any_case_is_the_same_keyword),
    UNIT(keyword_not_among_the_words_is_refused),
    UNIT(keyword_refusal_lists_the_words),
};
UNIT_MAIN("parse", tests)
