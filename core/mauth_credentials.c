/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mauth_credentials.c: every credential a request carries, gathered from
 * what the token finders say of each place, and whether one of them could
 * not be read with certainty.  Only gathers: the store says whose each is,
 * mauth_identity_add folds the answers, mauth_decide decides.
 */
#include "mauth_core.h"

void mauth_credentials_init(apr_pool_t *p, mauth_credentials_t *cr)
{
    cr->names = apr_array_make(p, 1, sizeof(const char *));
    cr->tokens = apr_array_make(p, 4, sizeof(const char *));
    cr->failed = MAUTH_IDENTITY_NONE;
    cr->failed_where = NULL;
}

void mauth_credentials_cannot_read(mauth_credentials_t *cr, mauth_identity_e why,
                                   const char *where)
{
    if (cr->failed == MAUTH_IDENTITY_NONE) {
        cr->failed = why;
        cr->failed_where = where;
    }
}

static void take(mauth_credentials_t *cr, mauth_cred_e found, const char *token,
                 const char *where)
{
    if (found == MAUTH_CRED_FOUND) {
        APR_ARRAY_PUSH(cr->tokens, const char *) = token;
    }
    else if (found == MAUTH_CRED_UNREADABLE) {
        mauth_credentials_cannot_read(cr, MAUTH_IDENTITY_UNREADABLE, where);
    }
}

void mauth_credentials_authorization(mauth_credentials_t *cr, apr_pool_t *p,
                                     const char *header, const char *scheme)
{
    const char *token = NULL;
    mauth_cred_e found = mauth_token_from_authorization(p, header, scheme, &token);

    take(cr, found, token, "Authorization header");
}

void mauth_credentials_cookie(mauth_credentials_t *cr, apr_pool_t *p, const char *header,
                              const char *name)
{
    if (mauth_tokens_from_cookie(p, header, name, cr->tokens) == MAUTH_CRED_UNREADABLE) {
        mauth_credentials_cannot_read(cr, MAUTH_IDENTITY_UNREADABLE, "session cookie");
    }
}

void mauth_credentials_header(mauth_credentials_t *cr, apr_pool_t *p, const char *value)
{
    const char *token = NULL;
    mauth_cred_e found = mauth_token_from_header(p, value, &token);

    take(cr, found, token, "session header");
}

void mauth_credentials_body(mauth_credentials_t *cr, mauth_soap_e soap,
                            const apr_array_header_t *tokens, int undecodable)
{
    switch (soap) {
    case MAUTH_SOAP_FOUND:
        apr_array_cat(cr->tokens, tokens);
        break;
    case MAUTH_SOAP_MALFORMED:
        if (undecodable) {
            mauth_credentials_cannot_read(cr, MAUTH_IDENTITY_UNDECODABLE,
                                          "request body (content coding)");
        }
        else {
            mauth_credentials_cannot_read(cr, MAUTH_IDENTITY_UNREADABLE, "request body (XML)");
        }
        break;
    case MAUTH_SOAP_UNDECIDED:
        mauth_credentials_cannot_read(cr, MAUTH_IDENTITY_TOO_LARGE,
                                      "request body (beyond MAuthSOAPPeekLimit)");
        break;
    default:
        break;
    }
}
