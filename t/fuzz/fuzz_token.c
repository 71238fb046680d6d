/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * fuzz_token.c: the token finders on arbitrary request data.  The input is
 * used as an Authorization header, a Cookie header, a token header and a
 * SOAP body, whole and cut short.  Every token found must be clean
 * (printable, no blanks, no longer than the limit), since it goes to the
 * store as it is; a place says FOUND exactly when it gave tokens, gives no
 * more than the limit, each once, and nothing for a body cut short; a body
 * starting with '<' after a UTF-8 byte order mark and blanks is never
 * NOT_XML, and any other is NOT_XML or (UTF-16, UTF-32) MALFORMED.
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

static void fail(const char *where, const char *what)
{
    fprintf(stderr, "%s: %s\n", where, what);
    abort();
}

static void check_token(const char *token, const char *where)
{
    const char *c;

    if (*token == '\0' || strlen(token) > MAUTH_TOKEN_MAX_LEN) {
        fail(where, "token of bad length");
    }
    for (c = token; *c; c++) {
        if (*c <= ' ' || *c >= 0x7f) {
            fail(where, "token holds a blank, a control byte or a non-ASCII byte");
        }
    }
}

/* A finder of one token: FOUND exactly when it gave one, a clean one taken
 * from the header as it is. */
static void check_one(mauth_cred_e found, const char *token, const char *header,
                      const char *where)
{
    if ((found == MAUTH_CRED_FOUND) != (token != NULL)) {
        fail(where, "status and token disagree");
    }
    if (token) {
        check_token(token, where);
        if (strstr(header, token) == NULL) {
            fail(where, "a token that is not in the header");
        }
    }
}

/* A finder of several: FOUND exactly when it gave some, each clean and once. */
static void check_many(int found, const apr_array_header_t *tokens, const char *where)
{
    int i, j;

    if (found != (tokens->nelts > 0)) {
        fail(where, "status and tokens disagree");
    }
    if (tokens->nelts > MAUTH_TOKENS_MAX) {
        fail(where, "more tokens than the limit");
    }
    for (i = 0; i < tokens->nelts; i++) {
        check_token(APR_ARRAY_IDX(tokens, i, const char *), where);
        for (j = 0; j < i; j++) {
            if (strcmp(APR_ARRAY_IDX(tokens, i, const char *),
                       APR_ARRAY_IDX(tokens, j, const char *)) == 0) {
                fail(where, "a token given twice");
            }
        }
    }
}

/* Whether the body starts with '<' after a UTF-8 byte order mark and XML
 * white space, said here without the finder's code. */
static int starts_with_markup(const uint8_t *data, size_t size)
{
    size_t i = size >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;

    while (i < size && memchr(" \t\r\n", data[i], 4)) {
        i++;
    }
    return i < size && data[i] == '<';
}

static void check_soap(apr_pool_t *p, const uint8_t *data, size_t size)
{
    apr_array_header_t *tokens = apr_array_make(p, 4, sizeof(const char *));
    mauth_soap_e whole, cut;

    whole = mauth_tokens_from_soap(p, (const char *)data, size, 1, tokens);
    check_many(whole == MAUTH_SOAP_FOUND, tokens, "soap");
    if (starts_with_markup(data, size) ? whole == MAUTH_SOAP_NOT_XML
                                       : whole != MAUTH_SOAP_NOT_XML
                                         && whole != MAUTH_SOAP_MALFORMED) {
        fail("soap", "NOT_XML disagrees with the first byte");
    }
    apr_array_clear(tokens);
    cut = mauth_tokens_from_soap(p, (const char *)data, size, 0, tokens);
    if (tokens->nelts != 0
        || (cut != MAUTH_SOAP_NOT_XML && cut != MAUTH_SOAP_MALFORMED
            && cut != MAUTH_SOAP_UNDECIDED)) {
        fail("soap", "a body cut short decided something");
    }
    if ((cut == MAUTH_SOAP_NOT_XML) != (whole == MAUTH_SOAP_NOT_XML)) {
        fail("soap", "NOT_XML depends on whether the body is whole");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    apr_array_header_t *tokens;
    const char *header, *token;
    mauth_cred_e found;

    apr_pool_create(&p, root);
    header = apr_pstrmemdup(p, (const char *)data, size);
    found = mauth_token_from_authorization(p, header, "Bearer", &token);
    check_one(found, token, header, "bearer");
    found = mauth_token_from_authorization(p, header, "OAuth", &token);
    check_one(found, token, header, "oauth");
    found = mauth_token_from_header(p, header, &token);
    check_one(found, token, header, "header");
    tokens = apr_array_make(p, 4, sizeof(const char *));
    found = mauth_tokens_from_cookie(p, header, "sid", tokens);
    check_many(found == MAUTH_CRED_FOUND, tokens, "cookie");
    check_soap(p, data, size);
    apr_pool_destroy(p);
    return 0;
}
