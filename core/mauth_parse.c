/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mauth_parse.c: the one set of parsers for the arguments of the module's
 * directives and of mauth-admin's options: numbers within a range, seconds,
 * keywords.  Each answers NULL or one sentence naming the directive or
 * option and what it takes, so httpd's start-up and the tool say the same.
 * It never reads a configuration structure or decides a default: the
 * caller stores the value and resolves defaults once.
 */
#include <strings.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "mauth_core.h"

/*
 * A whole decimal number: an optional sign, then digits and nothing else
 * (no blanks, no "0x", no "1e3", no trailing text), within apr_int64_t.
 * strtol would take leading blanks and saturate on overflow, so a typo
 * could pass for the largest number.
 */
static int read_number(const char *arg, apr_int64_t *out)
{
    const char *c = arg;
    apr_uint64_t value = 0, limit = APR_INT64_MAX;
    int negative = 0;

    if (c == NULL) {
        return 0;
    }
    if (*c == '+' || *c == '-') {
        negative = *c == '-';
        c++;
    }
    if (!apr_isdigit(*c)) {
        return 0;
    }
    if (negative) {
        limit = (apr_uint64_t)APR_INT64_MAX + 1;   /* -APR_INT64_MIN */
    }
    for (; apr_isdigit(*c); c++) {
        unsigned digit = (unsigned)(*c - '0');
        if (value > (limit - digit) / 10) {
            return 0;
        }
        value = value * 10 + digit;
    }
    if (*c != '\0') {
        return 0;
    }
    *out = !negative ? (apr_int64_t)value
         : value == 0 ? 0 : -(apr_int64_t)(value - 1) - 1;
    return 1;
}

const char *mauth_parse_number(apr_pool_t *p, const char *what, const char *arg,
                               apr_int64_t min, apr_int64_t max, apr_int64_t *out)
{
    apr_int64_t value;

    if (!read_number(arg, &value) || value < min || value > max) {
        return apr_psprintf(p, "%s must be a number from %" APR_INT64_T_FMT
                            " to %" APR_INT64_T_FMT, what, min, max);
    }
    *out = value;
    return NULL;
}

const char *mauth_parse_seconds(apr_pool_t *p, const char *what, const char *arg,
                                apr_int64_t max_seconds, apr_interval_time_t *out)
{
    apr_int64_t value;

    /* beyond this, microseconds no longer fit an apr_interval_time_t */
    if (max_seconds > APR_INT64_MAX / APR_USEC_PER_SEC) {
        max_seconds = APR_INT64_MAX / APR_USEC_PER_SEC;
    }
    if (!read_number(arg, &value) || value < 0 || value > max_seconds) {
        return apr_psprintf(p, "%s: '%s' is not a number of seconds from 0 to %"
                            APR_INT64_T_FMT, what, arg ? arg : "", max_seconds);
    }
    *out = apr_time_from_sec(value);
    return NULL;
}

const char *mauth_parse_keyword(apr_pool_t *p, const char *what, const char *arg,
                                const char *const *words, int *out)
{
    const char *list = NULL;
    int i;

    for (i = 0; arg && words[i]; i++) {
        if (strcasecmp(arg, words[i]) == 0) {
            *out = i;
            return NULL;
        }
    }
    for (i = 0; words[i]; i++) {
        list = list ? apr_pstrcat(p, list, ", ", words[i], NULL) : words[i];
    }
    return apr_psprintf(p, "%s must be one of %s", what, list ? list : "(nothing)");
}
