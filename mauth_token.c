/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mauth_token.c: finding the session token a request carries, from the
 * places the seeds' API clients put it: an Authorization header (Bearer or
 * OAuth), a cookie, a header of the operator's choosing, or the SOAP
 * SessionHeader.  Only finds; the store says whose it is.
 */
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_xml.h>

#include "mauth_core.h"

/* Tokens are opaque but printable; anything else is not a token we look up. */
static const char *clean_token(apr_pool_t *p, const char *start, apr_size_t len)
{
    apr_size_t i;

    while (len && apr_isspace(*start)) {
        start++;
        len--;
    }
    while (len && apr_isspace(start[len - 1])) {
        len--;
    }
    if (len == 0 || len > MAUTH_TOKEN_MAX_LEN) {
        return NULL;
    }
    for (i = 0; i < len; i++) {
        if (!apr_isprint(start[i]) || start[i] == ' ') {
            return NULL;
        }
    }
    return apr_pstrmemdup(p, start, len);
}

const char *mauth_token_from_authorization(apr_pool_t *p, const char *header,
                                           const char *scheme)
{
    apr_size_t scheme_len = strlen(scheme);

    if (header == NULL) {
        return NULL;
    }
    while (apr_isspace(*header)) {
        header++;
    }
    if (strncasecmp(header, scheme, scheme_len) != 0 || !apr_isspace(header[scheme_len])) {
        return NULL;
    }
    header += scheme_len;
    return clean_token(p, header, strlen(header));
}

const char *mauth_token_from_cookie(apr_pool_t *p, const char *header, const char *name)
{
    apr_size_t name_len = strlen(name);
    const char *s = header;

    while (s && *s) {
        const char *end = strchr(s, ';');
        apr_size_t len = end ? (apr_size_t)(end - s) : strlen(s);
        while (len && apr_isspace(*s)) {
            s++;
            len--;
        }
        if (len > name_len && strncmp(s, name, name_len) == 0 && s[name_len] == '=') {
            const char *value = s + name_len + 1;
            apr_size_t value_len = len - name_len - 1;
            if (value_len >= 2 && value[0] == '"' && value[value_len - 1] == '"') {
                value++;
                value_len -= 2;
            }
            return clean_token(p, value, value_len);
        }
        s = end ? end + 1 : NULL;
    }
    return NULL;
}

static const apr_xml_elem *child_named(const apr_xml_elem *parent, const char *name)
{
    const apr_xml_elem *e;

    for (e = parent ? parent->first_child : NULL; e; e = e->next) {
        if (strcmp(e->name, name) == 0) {
            return e;
        }
    }
    return NULL;
}

mauth_soap_e mauth_token_from_soap(apr_pool_t *p, const char *body, apr_size_t len,
                                   int complete, const char **token)
{
    apr_xml_parser *parser;
    apr_xml_doc *doc = NULL;
    const apr_xml_elem *id;
    const char *text;
    apr_size_t text_len;

    *token = NULL;
    if (!complete) {
        /* The header may lie beyond what we read: we cannot say who this is. */
        return MAUTH_SOAP_UNDECIDED;
    }
    parser = apr_xml_parser_create(p);
    if (parser == NULL
        || apr_xml_parser_feed(parser, body, len) != APR_SUCCESS
        || apr_xml_parser_done(parser, &doc) != APR_SUCCESS || doc == NULL) {
        return MAUTH_SOAP_MALFORMED;
    }
    if (doc->root == NULL || strcmp(doc->root->name, "Envelope") != 0) {
        return MAUTH_SOAP_ABSENT;
    }
    id = child_named(child_named(child_named(doc->root, "Header"), "SessionHeader"),
                     "sessionId");
    if (id == NULL) {
        return MAUTH_SOAP_ABSENT;
    }
    apr_xml_to_text(p, id, APR_XML_X2T_INNER, NULL, NULL, &text, &text_len);
    /* the size it reports counts the terminating NUL */
    *token = clean_token(p, text, strlen(text));
    return *token ? MAUTH_SOAP_FOUND : MAUTH_SOAP_ABSENT;
}
