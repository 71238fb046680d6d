/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * unit.h: the unit tests' own assertions and runner; nothing beyond libc
 * and APR.  Each t/unit/test_*.c is one binary:
 *
 *   UNIT_TEST(refuses_expired_leaf) { ...CHECK(...)...; }
 *   static const unit_test_t tests[] = {UNIT(refuses_expired_leaf), ...};
 *   UNIT_MAIN("chain", tests)
 *
 * A test gets a fresh pool p, destroyed after it (so everything the test
 * helpers make is freed with it).  A failed CHECK prints where and why and
 * ends the test.  The runner prints one line per test and a summary, and
 * exits non-zero when a test failed.  `binary NAME...` runs only those.
 */
#ifndef MAUTH_UNIT_H
#define MAUTH_UNIT_H

#include <stddef.h>
#include <string.h>

#include <apr_pools.h>
#include <apr_tables.h>

#include "mauth_core.h"

typedef void unit_fn(apr_pool_t *p);
typedef struct {
    const char *name;
    unit_fn *fn;
} unit_test_t;

#define UNIT_TEST(name) static void name(apr_pool_t *p)

/* Records a failure of the running test (printf-style detail). */
void unit_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Whether the running test has failed so far (for helpers that return). */
int unit_failed(void);

#define CHECK_MSG(cond, ...) do {                                          \
        if (!(cond)) {                                                      \
            unit_fail(__FILE__, __LINE__, __VA_ARGS__);                     \
            return;                                                         \
        }                                                                   \
    } while (0)
#define CHECK(cond) CHECK_MSG(cond, "%s", #cond)
#define CHECK_INT(got, want) do {                                          \
        long long got_ = (long long)(got), want_ = (long long)(want);       \
        CHECK_MSG(got_ == want_, "%s is %lld, expected %s (%lld)",          \
                  #got, got_, #want, want_);                                \
    } while (0)
#define CHECK_STR(got, want) do {                                          \
        const char *got_ = (got), *want_ = (want);                          \
        CHECK_MSG(got_ != NULL && strcmp(got_, want_) == 0,                 \
                  "%s is\n    \"%s\"\n  expected\n    \"%s\"", #got,        \
                  got_ ? got_ : "(null)", want_);                           \
    } while (0)
#define CHECK_CONTAINS(haystack, needle) do {                              \
        const char *hay_ = (haystack), *needle_ = (needle);                 \
        CHECK_MSG(hay_ != NULL && strstr(hay_, needle_) != NULL,            \
                  "%s is \"%s\", which lacks \"%s\"", #haystack,            \
                  hay_ ? hay_ : "(null)", needle_);                         \
    } while (0)
/* A verdict's status and reason, printed as MAUTH_CLIENT_VERIFY shows them. */
#define CHECK_VERDICT(v, want_status, want_reason) do {                    \
        const mauth_verdict_t *v_ = (v);                                    \
        CHECK_MSG(v_->status == (want_status) && v_->reason == (want_reason), \
                  "verdict is %s (reason %s), expected %s with reason %s",  \
                  unit_verdict_text(v_), mauth_reason_token(v_->reason),    \
                  #want_status, mauth_reason_token(want_reason));           \
    } while (0)

const char *unit_verdict_text(const mauth_verdict_t *v);

/* A logger that keeps every core message (any level), for assertions. */
typedef struct {
    mauth_logger_t logger;
    apr_array_header_t *lines;         /* "TAG message" (const char *) */
} unit_log_t;
const mauth_logger_t *unit_log_capture(apr_pool_t *p, unit_log_t *log);
/* Whether a captured line contains text. */
int unit_log_has(const unit_log_t *log, const char *text);

int unit_run(const char *suite, const unit_test_t *tests, size_t count,
             int argc, char **argv);

/* static const unit_test_t tests[] = {UNIT(a), UNIT(b)}; UNIT_MAIN("suite", tests) */
#define UNIT(fn) {#fn, fn}
#define UNIT_MAIN(suite, table)                                             \
    int main(int argc, char **argv)                                         \
    {                                                                       \
        return unit_run(suite, table, sizeof(table) / sizeof(table[0]),     \
                        argc, argv);                                        \
    }

#endif /* MAUTH_UNIT_H */
