/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * fuzz_token.c: the token finders on arbitrary request data.  The input is
 * used as an Authorization header, a Cookie header and a SOAP body; any
 * token found must be printable, without spaces, and no longer than the
 * limit, since it goes to the store as it is.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "mauth_core.h"

static apr_pool_t *root;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    apr_initialize();
    apr_pool_create(&root, NULL);
    return 0;
}

static void check_token(const char *token, const char *where)
{
    const char *c;

    if (token == NULL) {
        return;
    }
    if (*token == '\0' || strlen(token) > MAUTH_TOKEN_MAX_LEN) {
        fprintf(stderr, "%s: token of bad length\n", where);
        abort();
    }
    for (c = token; *c; c++) {
        if (*c <= ' ' || *c == 0x7f) {
            fprintf(stderr, "%s: token holds a blank or control byte\n", where);
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    const char *header, *token = NULL;
    mauth_soap_e found;

    apr_pool_create(&p, root);
    header = apr_pstrmemdup(p, (const char *)data, size);
    check_token(mauth_token_from_authorization(p, header, "Bearer"), "bearer");
    check_token(mauth_token_from_authorization(p, header, "OAuth"), "oauth");
    check_token(mauth_token_from_cookie(p, header, "sid"), "cookie");
    found = mauth_token_from_soap(p, (const char *)data, size, 1, &token);
    if ((found == MAUTH_SOAP_FOUND) != (token != NULL)) {
        fprintf(stderr, "soap: status and token disagree\n");
        abort();
    }
    check_token(token, "soap");
    apr_pool_destroy(p);
    return 0;
}
