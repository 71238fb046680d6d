/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/* unit.c: the runner and the assertion support of unit.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <apr_general.h>
#include <apr_strings.h>
#include <apr_time.h>

#include "unit.h"

static int current_failed;

void unit_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;

    current_failed = 1;
    fprintf(stdout, "    %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
}

int unit_failed(void)
{
    return current_failed;
}

const char *unit_verdict_text(const mauth_verdict_t *v)
{
    static char text[64];

    switch (v->status) {
    case MAUTH_VERIFY_SUCCESS:
        return "SUCCESS";
    case MAUTH_VERIFY_NONE:
        return "NONE";
    default:
        snprintf(text, sizeof(text), "FAILED:%s", mauth_reason_token(v->reason));
        return text;
    }
}

static void capture(void *baton, const char *file, int line, int level, const char *tag,
                    const char *message)
{
    unit_log_t *log = baton;

    APR_ARRAY_PUSH(log->lines, const char *) =
        apr_pstrcat(log->lines->pool, tag, " ", message, NULL);
}

const mauth_logger_t *unit_log_capture(apr_pool_t *p, unit_log_t *log)
{
    log->logger.fn = capture;
    log->logger.baton = log;
    log->logger.level = MAUTH_LOG_DEBUG;
    log->lines = apr_array_make(p, 8, sizeof(const char *));
    return &log->logger;
}

int unit_log_has(const unit_log_t *log, const char *text)
{
    int i;

    for (i = 0; i < log->lines->nelts; i++) {
        if (strstr(APR_ARRAY_IDX(log->lines, i, const char *), text)) {
            return 1;
        }
    }
    return 0;
}

static int selected(const char *name, int argc, char **argv)
{
    int i;

    if (argc < 2) {
        return 1;
    }
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], name) == 0) {
            return 1;
        }
    }
    return 0;
}

int unit_run(const char *suite, const unit_test_t *tests, size_t count,
             int argc, char **argv)
{
    apr_pool_t *root, *p;
    size_t i, ran = 0, failed = 0;

    if (apr_initialize() != APR_SUCCESS || apr_pool_create(&root, NULL) != APR_SUCCESS) {
        fprintf(stderr, "%s: cannot initialise APR\n", suite);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (i = 0; i < count; i++) {
        apr_time_t start;
        if (!selected(tests[i].name, argc, argv)) {
            continue;
        }
        current_failed = 0;
        apr_pool_create(&p, root);
        start = apr_time_now();
        tests[i].fn(p);
        apr_pool_destroy(p);
        ran++;
        failed += current_failed;
        printf("%s %s: %s (%ld ms)\n", current_failed ? "FAIL" : "ok  ", suite,
               tests[i].name, (long)apr_time_as_msec(apr_time_now() - start));
    }
    printf("%s: %lu tests, %lu passed, %lu failed\n", suite, (unsigned long)ran,
           (unsigned long)(ran - failed), (unsigned long)failed);
    apr_pool_destroy(root);
    apr_terminate();
    if (ran == 0) {
        fprintf(stderr, "%s: no test matched\n", suite);
        return 2;
    }
    return failed ? 1 : 0;
}
