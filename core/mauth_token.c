/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mauth_token.c: finding every session token a request carries, in the
 * places the seeds' API clients put them: an Authorization header (Bearer
 * or OAuth), a cookie, a header of the operator's choosing, or the SOAP
 * SessionHeader.  Only finds; the store says whose they are.  It never
 * guesses: a place that another parser could read differently (a merged
 * header, markup inside a sessionId, a DOCTYPE) is reported unreadable, and
 * nothing is pushed from it.  No httpd header here.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_xml.h>

#include "mauth_core.h"

static void trim(const char **start, apr_size_t *len)
{
    while (*len && apr_isspace(**start)) {
        (*start)++;
        (*len)--;
    }
    while (*len && apr_isspace((*start)[*len - 1])) {
        (*len)--;
    }
}

/* Tokens are opaque but printable; anything else is not a token we look up. */
static const char *clean_token(apr_pool_t *p, const char *start, apr_size_t len)
{
    apr_size_t i;

    trim(&start, &len);
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

/*
 * Pushes token onto tokens unless this call (which began pushing at index
 * first) already did; 0 when that makes more than MAUTH_TOKENS_MAX distinct
 * tokens.  Only the tokens of one place count, not what the caller collected
 * elsewhere into the same array.
 */
static int add_token(apr_array_header_t *tokens, int first, const char *token)
{
    int i;

    for (i = first; i < tokens->nelts; i++) {
        if (strcmp(APR_ARRAY_IDX(tokens, i, const char *), token) == 0) {
            return 1;
        }
    }
    if (tokens->nelts - first >= MAUTH_TOKENS_MAX) {
        return 0;
    }
    APR_ARRAY_PUSH(tokens, const char *) = token;
    return 1;
}

/* ------------------------------------------------------------ headers */

/* Whether an Authorization value (or one comma-separated part of a merged
 * one) names scheme: the scheme, then a blank or the end. */
static int names_scheme(const char *part, apr_size_t len, const char *scheme)
{
    apr_size_t scheme_len = strlen(scheme);

    trim(&part, &len);
    return len >= scheme_len && strncasecmp(part, scheme, scheme_len) == 0
           && (len == scheme_len || apr_isspace(part[scheme_len]));
}

/* httpd joins repeated Authorization headers with ", ": with one of ours
 * among them, the application may take any of them, so none is read.  Only a
 * part that names our scheme matters: Digest's own parameters hold commas. */
static int merged_with_scheme(const char *header, const char *scheme)
{
    const char *part, *comma;

    if (strchr(header, ',') == NULL) {
        return 0;
    }
    for (part = header;; part = comma + 1) {
        comma = strchr(part, ',');
        if (names_scheme(part, comma ? (apr_size_t)(comma - part) : strlen(part), scheme)) {
            return 1;
        }
        if (comma == NULL) {
            return 0;
        }
    }
}

mauth_cred_e mauth_token_from_authorization(apr_pool_t *p, const char *header,
                                            const char *scheme, const char **token)
{
    *token = NULL;
    if (header == NULL) {
        return MAUTH_CRED_ABSENT;
    }
    if (merged_with_scheme(header, scheme)) {
        return MAUTH_CRED_UNREADABLE;
    }
    if (!names_scheme(header, strlen(header), scheme)) {
        return MAUTH_CRED_ABSENT;
    }
    while (apr_isspace(*header)) {
        header++;
    }
    header += strlen(scheme);
    *token = clean_token(p, header, strlen(header));
    return *token ? MAUTH_CRED_FOUND : MAUTH_CRED_UNREADABLE;
}

mauth_cred_e mauth_token_from_header(apr_pool_t *p, const char *value, const char **token)
{
    *token = NULL;
    if (value == NULL) {
        return MAUTH_CRED_ABSENT;
    }
    /* a comma is what httpd puts between repeated headers */
    if (strchr(value, ',') == NULL) {
        *token = clean_token(p, value, strlen(value));
    }
    return *token ? MAUTH_CRED_FOUND : MAUTH_CRED_UNREADABLE;
}

/* A cookie name as PHP reads it: percent escapes undone, ' ', '.' and '['
 * made '_'; "?" for what cannot be a name.  Rack undoes the escapes too. */
static const char *framework_name(apr_pool_t *p, const char *name, apr_size_t len)
{
    char *out = apr_palloc(p, len + 1), *o = out;
    apr_size_t i;

    for (i = 0; i < len; i++) {
        char c = name[i];
        if (c == '%' && i + 2 < len && apr_isxdigit(name[i + 1])
            && apr_isxdigit(name[i + 2])) {
            char hex[3] = {name[i + 1], name[i + 2], 0};
            c = (char)strtol(hex, NULL, 16);
            i += 2;
        }
        *o++ = (c == ' ' || c == '.' || c == '[') ? '_' : c;
    }
    *o = '\0';
    return memchr(out, '\0', (apr_size_t)(o - out)) ? "?" : out;
}

typedef enum { COOKIE_OTHER, COOKIE_OURS, COOKIE_LOOKALIKE } cookie_name_e;

/* Whether the "name=value" pair (len bytes) is cookie name, or a name an
 * application's framework would read as it ("s%69d", "s.id" for s_id);
 * *value is then its value, NULL for a bare name. */
static cookie_name_e cookie_pair(apr_pool_t *p, const char *pair, apr_size_t len,
                                 const char *name, const char **value, apr_size_t *value_len)
{
    const char *eq = memchr(pair, '=', len);
    apr_size_t name_len = eq ? (apr_size_t)(eq - pair) : len;

    *value = eq ? eq + 1 : NULL;
    *value_len = eq ? len - name_len - 1 : 0;
    trim(&pair, &name_len);
    if (name_len == strlen(name) && strncmp(pair, name, name_len) == 0) {
        return COOKIE_OURS;
    }
    return strcmp(framework_name(p, pair, name_len), framework_name(p, name, strlen(name))) == 0
           ? COOKIE_LOOKALIKE : COOKIE_OTHER;
}

/* The token of one cookie value: unquoted, clean.  NULL for a bare name or
 * an empty value, which an application may still take for a cookie that is
 * there, and for a value that frameworks decode (PHP and Rack undo percent
 * escapes, Python's cookie parser backslash escapes): "sid=00D%21AQ" is
 * 00D!AQ to them and an unknown token to the store.  A '+' they turn into a
 * blank cannot make a clean token, so it is left alone. */
static const char *cookie_token(apr_pool_t *p, const char *value, apr_size_t len)
{
    apr_size_t i;

    if (value == NULL) {
        return NULL;
    }
    trim(&value, &len);
    if (len >= 2 && value[0] == '"' && value[len - 1] == '"') {
        value++;
        len -= 2;
    }
    for (i = 0; i < len; i++) {
        if (value[i] == '%' || value[i] == '\\' || value[i] == '"') {
            return NULL;
        }
    }
    return clean_token(p, value, len);
}

mauth_cred_e mauth_tokens_from_cookie(apr_pool_t *p, const char *header, const char *name,
                                      apr_array_header_t *tokens)
{
    int first = tokens->nelts;
    const char *pair = header;

    while (pair && *pair) {
        /* ',' where httpd merged several Cookie headers */
        apr_size_t len = strcspn(pair, ";,"), value_len;
        const char *value, *token;
        cookie_name_e which = cookie_pair(p, pair, len, name, &value, &value_len);

        if (which == COOKIE_LOOKALIKE) {
            /* the application may read it as ours: which one is it? */
            tokens->nelts = first;
            return MAUTH_CRED_UNREADABLE;
        }
        if (which == COOKIE_OURS) {
            token = cookie_token(p, value, value_len);
            if (token == NULL || !add_token(tokens, first, token)) {
                tokens->nelts = first;
                return MAUTH_CRED_UNREADABLE;
            }
        }
        pair = pair[len] ? pair + len + 1 : NULL;
    }
    return tokens->nelts > first ? MAUTH_CRED_FOUND : MAUTH_CRED_ABSENT;
}

/* ------------------------------------------------------------- SOAP */

static int is_xml_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int has_prefix(const char *body, apr_size_t len, const char *prefix,
                      apr_size_t prefix_len)
{
    return len >= prefix_len && memcmp(body, prefix, prefix_len) == 0;
}

/*
 * What the first bytes say: NOT_XML; MALFORMED for UTF-16, UTF-32 or EBCDIC
 * (a byte order mark, NUL bytes around the first '<', EBCDIC's "<?xm"),
 * which we do not read but the application's parser may (XML 1.0 appendix
 * F); UNDECIDED when it starts like XML, or when only blanks were read of a
 * longer body, and the rest decides.
 */
static mauth_soap_e how_body_starts(const char *body, apr_size_t len, int complete)
{
    apr_size_t i = 0;
    int nul = 0;

    if (has_prefix(body, len, "\xFE\xFF", 2) || has_prefix(body, len, "\xFF\xFE", 2)
        || has_prefix(body, len, "\0\0\xFE\xFF", 4)
        || has_prefix(body, len, "\x4C\x6F\xA7\x94", 4)) {
        return MAUTH_SOAP_MALFORMED;
    }
    if (has_prefix(body, len, "\xEF\xBB\xBF", 3)) {
        i = 3;
    }
    /* NULs are skipped, not refused, so that a binary body is not XML */
    for (; i < len && (is_xml_space(body[i]) || body[i] == '\0'); i++) {
        nul |= body[i] == '\0';
    }
    if (i == len) {
        /* blanks up to where we stopped reading: XML may follow them */
        return complete || len == 0 ? MAUTH_SOAP_NOT_XML : MAUTH_SOAP_UNDECIDED;
    }
    if (body[i] != '<') {
        return MAUTH_SOAP_NOT_XML;
    }
    if (nul || (i + 1 < len && body[i + 1] == '\0')) {
        return MAUTH_SOAP_MALFORMED;
    }
    return MAUTH_SOAP_UNDECIDED;
}

static int contains(const char *body, apr_size_t len, const char *needle)
{
    apr_size_t needle_len = strlen(needle);
    const char *end = body + len, *s = body;

    while ((s = memchr(s, needle[0], (apr_size_t)(end - s))) != NULL) {
        if ((apr_size_t)(end - s) >= needle_len && memcmp(s, needle, needle_len) == 0) {
            return 1;
        }
        s++;
    }
    return 0;
}

static apr_xml_doc *parse_xml(apr_pool_t *p, const char *body, apr_size_t len)
{
    apr_xml_parser *parser = apr_xml_parser_create(p);
    apr_xml_doc *doc = NULL;

    if (parser == NULL
        || apr_xml_parser_feed(parser, body, len) != APR_SUCCESS
        || apr_xml_parser_done(parser, &doc) != APR_SUCCESS) {
        return NULL;
    }
    return doc;
}

/* The element after e in document order without leaving top; NULL at the
 * end.  A walk without recursion, whatever depth the sender chose. */
static const apr_xml_elem *next_inside(const apr_xml_elem *e, const apr_xml_elem *top)
{
    if (e->first_child) {
        return e->first_child;
    }
    while (e != top && e->next == NULL) {
        e = e->parent;
    }
    return e == top ? NULL : e->next;
}

/* The text of an element without children, its pieces joined. */
static const char *element_text(apr_pool_t *p, const apr_xml_elem *e, apr_size_t *len)
{
    const apr_text *t;
    char *text, *at;

    *len = 0;
    for (t = e->first_cdata.first; t; t = t->next) {
        *len += strlen(t->text);
    }
    at = text = apr_palloc(p, *len + 1);
    for (t = e->first_cdata.first; t; t = t->next) {
        apr_size_t piece = strlen(t->text);
        memcpy(at, t->text, piece);
        at += piece;
    }
    *at = '\0';
    return text;
}

/* Pushes the token of every sessionId in the document, wherever it is: an
 * application may look for one anywhere (an XPath //sessionId).  0 when one
 * cannot be read with certainty, or there are too many. */
static int add_session_ids(apr_pool_t *p, const apr_xml_elem *root,
                           apr_array_header_t *tokens, int first, int *elements)
{
    const apr_xml_elem *e;

    *elements = 0;
    for (e = root; e; e = next_inside(e, root)) {
        const char *text, *token;
        apr_size_t len;

        if (strcmp(e->name, "sessionId") != 0) {
            continue;
        }
        ++*elements;
        /* <sessionId><x/>A</sessionId>: which text would the application take? */
        if (e->first_child) {
            return 0;
        }
        text = element_text(p, e, &len);
        token = clean_token(p, text, len);
        if (token == NULL || !add_token(tokens, first, token)) {
            return 0;
        }
    }
    return 1;
}

/* Whether name (up to name_end) is sessionId, with a prefix or without. */
static int is_session_id_name(const char *name, const char *name_end)
{
    const char *local = name_end;

    while (local > name && local[-1] != ':') {
        local--;
    }
    return name_end - local == 9 && memcmp(local, "sessionId", 9) == 0;
}

/* The '>' closing the start tag whose attributes begin at s, before limit;
 * a quoted attribute value may hold '>'. */
static const char *start_tag_end(const char *s, const char *limit)
{
    char quote = 0;

    for (; s < limit; s++) {
        if (quote) {
            quote = *s == quote ? 0 : quote;
        }
        else if (*s == '"' || *s == '\'') {
            quote = *s;
        }
        else if (*s == '>') {
            return s;
        }
    }
    return NULL;
}

/*
 * apr_xml keeps no trace of comments, processing instructions or CDATA
 * sections: "<sessionId>AB<!--x-->CD</sessionId>" reads as ABCD where a
 * DOM's first text node is AB.  So the raw text of the (well-formed) body
 * is searched for an element named sessionId whose content has any markup
 * before its end tag; *tags counts the sessionId start tags it saw, those
 * inside comments too.  Crude on purpose, since it can only refuse.
 * Linear: each '<' is looked at up to the next one.
 */
static int markup_in_session_id(const char *body, apr_size_t len, int *tags)
{
    const char *end = body + len, *s = body;

    *tags = 0;
    while ((s = memchr(s, '<', (apr_size_t)(end - s))) != NULL) {
        const char *name = ++s, *next, *tag_end;

        while (s < end && !is_xml_space(*s) && !strchr("/><", *s)) {
            s++;
        }
        /* s <= end here; said so the compiler sees a bounded size */
        next = s < end ? memchr(s, '<', (apr_size_t)(end - s)) : NULL;
        if (!is_session_id_name(name, s)) {
            continue;
        }
        ++*tags;
        tag_end = start_tag_end(s, next ? next : end);
        /* <sessionId/> has no content */
        if (tag_end == NULL || tag_end[-1] == '/') {
            continue;
        }
        if (next == NULL || next + 1 == end || next[1] != '/') {
            return 1;
        }
    }
    return 0;
}

mauth_soap_e mauth_tokens_from_soap(apr_pool_t *p, const char *body, apr_size_t len,
                                    int complete, apr_array_header_t *tokens)
{
    int first = tokens->nelts, elements, tags;
    mauth_soap_e start = how_body_starts(body, len, complete);
    const apr_xml_doc *doc;

    if (start != MAUTH_SOAP_UNDECIDED || !complete) {
        /* the header may lie beyond what we read: we cannot say who this is */
        return start;
    }
    /* apr_xml refuses internal entities, but the application's parser may
     * expand any DOCTYPE its own way */
    if (contains(body, len, "<!DOCTYPE") || (doc = parse_xml(p, body, len)) == NULL) {
        return MAUTH_SOAP_MALFORMED;
    }
    if (doc->root == NULL) {
        return MAUTH_SOAP_ABSENT;
    }
    /* a sessionId the parser does not see as an element (inside a comment,
     * CDATA or a processing instruction) is one a careless reader may take */
    if (!add_session_ids(p, doc->root, tokens, first, &elements)
        || markup_in_session_id(body, len, &tags) || tags != elements) {
        tokens->nelts = first;
        return MAUTH_SOAP_MALFORMED;
    }
    return tokens->nelts > first ? MAUTH_SOAP_FOUND : MAUTH_SOAP_ABSENT;
}

/* ------------------------------------------------- multipart/related */

/* needle in the len bytes at hay, or NULL. */
static const char *find_bytes(const char *hay, apr_size_t len, const char *needle,
                              apr_size_t needle_len)
{
    const char *end = hay + len, *s = hay;

    while (s < end && (s = memchr(s, needle[0], (apr_size_t)(end - s))) != NULL) {
        if ((apr_size_t)(end - s) >= needle_len && memcmp(s, needle, needle_len) == 0) {
            return s;
        }
        s++;
    }
    return NULL;
}

/* The boundary of a multipart/related Content-Type (SOAP with attachments,
 * MTOM): NULL for another type, "" when it names none. */
static const char *related_boundary(apr_pool_t *p, const char *content_type)
{
    const char *b, *end;

    if (content_type == NULL || strncasecmp(content_type, "multipart/related", 17) != 0) {
        return NULL;
    }
    for (b = content_type + 17; *b; b++) {
        if ((b[-1] == ';' || apr_isspace(b[-1])) && strncasecmp(b, "boundary=", 9) == 0) {
            break;
        }
    }
    if (*b == '\0') {
        return "";
    }
    b += 9;
    end = *b == '"' ? strchr(++b, '"') : b + strcspn(b, "; \t");
    return end ? apr_pstrmemdup(p, b, (apr_size_t)(end - b)) : "";
}

/* Where a part's content starts, after its headers; NULL when the headers
 * do not end within len. */
static const char *part_content(const char *part, apr_size_t len)
{
    const char *crlf = find_bytes(part, len, "\r\n\r\n", 4);
    const char *lf = find_bytes(part, len, "\n\n", 2);

    if (crlf && (!lf || crlf < lf)) {
        return crlf + 4;
    }
    return lf ? lf + 2 : NULL;
}

/* The sessionIds of every XML part; the envelope may be any of them. */
static mauth_soap_e tokens_from_related(apr_pool_t *p, const char *boundary, const char *body,
                                        apr_size_t len, int complete,
                                        apr_array_header_t *tokens)
{
    int first = tokens->nelts;
    const char *delim = apr_pstrcat(p, "--", boundary, NULL);
    apr_size_t delim_len = strlen(delim);
    const char *end = body + len, *at = find_bytes(body, len, delim, delim_len);
    mauth_soap_e part_says = MAUTH_SOAP_ABSENT;

    if (*boundary == '\0' || delim_len > 72) {
        return MAUTH_SOAP_MALFORMED;
    }
    while (at != NULL) {
        const char *part = at + delim_len, *next, *content, *content_end;
        if (end - part >= 2 && part[0] == '-' && part[1] == '-') {
            return tokens->nelts > first ? MAUTH_SOAP_FOUND : MAUTH_SOAP_ABSENT;
        }
        next = find_bytes(part, (apr_size_t)(end - part), delim, delim_len);
        content = part_content(part, (apr_size_t)((next ? next : end) - part));
        if (content == NULL) {
            part_says = MAUTH_SOAP_MALFORMED;
            break;
        }
        if (next == NULL) {
            /* the last part read: an attachment cut short is no envelope */
            part_says = how_body_starts(content, (apr_size_t)(end - content), 0)
                        == MAUTH_SOAP_NOT_XML && !complete ? MAUTH_SOAP_ABSENT
                        : MAUTH_SOAP_MALFORMED;
            if (part_says == MAUTH_SOAP_MALFORMED && !complete) {
                part_says = MAUTH_SOAP_UNDECIDED;
            }
            break;
        }
        content_end = next;
        if (content_end > content && content_end[-1] == '\n') {
            content_end--;
        }
        if (content_end > content && content_end[-1] == '\r') {
            content_end--;
        }
        part_says = mauth_tokens_from_soap(p, content, (apr_size_t)(content_end - content), 1,
                                           tokens);
        if (part_says == MAUTH_SOAP_MALFORMED || part_says == MAUTH_SOAP_UNDECIDED) {
            break;
        }
        at = next;
    }
    if (at == NULL) {
        part_says = complete ? MAUTH_SOAP_MALFORMED : MAUTH_SOAP_UNDECIDED;
    }
    if (part_says == MAUTH_SOAP_ABSENT && tokens->nelts > first) {
        return MAUTH_SOAP_FOUND;
    }
    if (part_says != MAUTH_SOAP_ABSENT) {
        tokens->nelts = first;
    }
    return part_says;
}

mauth_soap_e mauth_tokens_from_body(apr_pool_t *p, const char *content_type, const char *body,
                                    apr_size_t len, int complete, apr_array_header_t *tokens)
{
    const char *boundary = related_boundary(p, content_type);

    return boundary ? tokens_from_related(p, boundary, body, len, complete, tokens)
                    : mauth_tokens_from_soap(p, body, len, complete, tokens);
}

static int header_char(char c)
{
    return c == '_' || c == '.' ? '-' : apr_tolower(c);
}

int mauth_same_header_name(const char *a, const char *b)
{
    while (*a && *b && header_char(*a) == header_char(*b)) {
        a++;
        b++;
    }
    return *a == '\0' && *b == '\0';
}

static int note_forwarded(void *names, const char *key, const char *value)
{
    if (mauth_same_header_name(key, "Client-Cert")
        || mauth_same_header_name(key, "Client-Cert-Chain")) {
        APR_ARRAY_PUSH((apr_array_header_t *)names, const char *) = key;
    }
    return 1;
}

const apr_array_header_t *mauth_remove_forwarded_headers(apr_pool_t *p, apr_table_t *headers)
{
    apr_array_header_t *names = apr_array_make(p, 2, sizeof(const char *));
    int i;

    apr_table_do(note_forwarded, names, headers, NULL);
    for (i = 0; i < names->nelts; i++) {
        apr_table_unset(headers, APR_ARRAY_IDX(names, i, const char *));
    }
    return names;
}
