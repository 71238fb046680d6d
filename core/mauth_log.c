/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/* mauth_log.c: the core's only way to speak, through the caller's callback. */
#include <stdarg.h>
#include <stdio.h>

#include "mauth_core.h"

void mauth_log_at(const mauth_logger_t *logger, const char *file, int line, int level,
                  const char *tag, const char *fmt, ...)
{
    char message[1024];
    va_list ap;

    if (!MAUTH_LOG_ON(logger, level)) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    logger->fn(logger->baton, file, line, level, tag, message);
}
