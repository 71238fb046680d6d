/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * test_token.c: finding every session token in Authorization, a cookie, a
 * header and the SOAP Header, and saying "unreadable" wherever another
 * parser could read a different token than we do.
 *
 * Each finder's outcome is written as one string, "STATUS token...", so a
 * test states what the glue would get, tokens in the order pushed.
 */
#include <string.h>

#include <apr_strings.h>

#include "unit.h"

#define SEED_GETUSERINFO(id)                                                 \
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"                           \
    "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"\n" \
    " xmlns:urn=\"urn:partner.soap.sforce.com\">\n"                          \
    "  <soapenv:Header>\n    <urn:SessionHeader>\n"                          \
    "      <urn:sessionId>" id "</urn:sessionId>\n"                          \
    "    </urn:SessionHeader>\n  </soapenv:Header>\n"                        \
    "  <soapenv:Body>\n    <urn:getUserInfo />\n  </soapenv:Body>\n"         \
    "</soapenv:Envelope>\n"

/* An envelope whose soapenv:Header holds header_xml; urn: is the partner
 * namespace, other: a decoy one. */
#define ENVELOPE(header_xml)                                                 \
    "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"" \
    " xmlns:urn=\"urn:partner.soap.sforce.com\" xmlns:other=\"urn:decoy\">"  \
    "<soapenv:Header>" header_xml "</soapenv:Header>"                        \
    "<soapenv:Body><urn:getUserInfo/></soapenv:Body></soapenv:Envelope>"

#define SESSION_HEADER(id) \
    "<urn:SessionHeader><urn:sessionId>" id "</urn:sessionId></urn:SessionHeader>"

static const char *cred_name(mauth_cred_e status)
{
    switch (status) {
    case MAUTH_CRED_ABSENT:
        return "ABSENT";
    case MAUTH_CRED_FOUND:
        return "FOUND";
    case MAUTH_CRED_UNREADABLE:
        return "UNREADABLE";
    }
    return "?";
}

static const char *soap_name(mauth_soap_e status)
{
    switch (status) {
    case MAUTH_SOAP_NOT_XML:
        return "NOT_XML";
    case MAUTH_SOAP_ABSENT:
        return "ABSENT";
    case MAUTH_SOAP_FOUND:
        return "FOUND";
    case MAUTH_SOAP_MALFORMED:
        return "MALFORMED";
    case MAUTH_SOAP_UNDECIDED:
        return "UNDECIDED";
    }
    return "?";
}

/* "STATUS token token..." from what a finder returned. */
static const char *outcome(apr_pool_t *p, const char *status, const apr_array_header_t *tokens)
{
    const char *joined = apr_array_pstrcat(p, tokens, ' ');

    return *joined ? apr_pstrcat(p, status, " ", joined, NULL) : status;
}

static apr_array_header_t *no_tokens(apr_pool_t *p)
{
    return apr_array_make(p, 4, sizeof(const char *));
}

/* The outcome of a finder of one token. */
static const char *one_token(apr_pool_t *p, mauth_cred_e status, const char *token)
{
    apr_array_header_t *tokens = no_tokens(p);

    if (token) {
        APR_ARRAY_PUSH(tokens, const char *) = token;
    }
    return outcome(p, cred_name(status), tokens);
}

static const char *authorization(apr_pool_t *p, const char *header, const char *scheme)
{
    const char *token = "(untouched)";
    mauth_cred_e status = mauth_token_from_authorization(p, header, scheme, &token);

    return one_token(p, status, token);
}

static const char *bearer(apr_pool_t *p, const char *header)
{
    return authorization(p, header, "Bearer");
}

static const char *header(apr_pool_t *p, const char *value)
{
    const char *token = "(untouched)";
    mauth_cred_e status = mauth_token_from_header(p, value, &token);

    return one_token(p, status, token);
}

static const char *cookies(apr_pool_t *p, const char *header, const char *name)
{
    apr_array_header_t *tokens = no_tokens(p);

    return outcome(p, cred_name(mauth_tokens_from_cookie(p, header, name, tokens)), tokens);
}

static const char *soap_bytes(apr_pool_t *p, const char *body, apr_size_t len, int complete)
{
    apr_array_header_t *tokens = no_tokens(p);

    return outcome(p, soap_name(mauth_tokens_from_soap(p, body, len, complete, tokens)),
                   tokens);
}

static const char *soap(apr_pool_t *p, const char *body)
{
    return soap_bytes(p, body, strlen(body), 1);
}

static const char *body_of(apr_pool_t *p, const char *content_type, const char *body,
                           int complete)
{
    apr_array_header_t *tokens = no_tokens(p);

    return outcome(p, soap_name(mauth_tokens_from_body(p, content_type, body, strlen(body),
                                                       complete, tokens)), tokens);
}

/* n copies of s, joined. */
static const char *repeated(apr_pool_t *p, const char *s, apr_size_t n)
{
    apr_size_t len = strlen(s), i;
    char *all = apr_palloc(p, len * n + 1);

    for (i = 0; i < n; i++) {
        memcpy(all + i * len, s, len);
    }
    all[len * n] = '\0';
    return all;
}

/* n distinct tokens t0 .. t(n-1), each wrapped as before%safter, joined. */
static const char *numbered(apr_pool_t *p, int n, const char *before, const char *after)
{
    const char *all = "";
    int i;

    for (i = 0; i < n; i++) {
        all = apr_psprintf(p, "%s%st%d%s", all, before, i, after);
    }
    return all;
}

/* ------------------------------------------------------- Authorization */

UNIT_TEST(bearer_token_is_taken_from_authorization)
{
    CHECK_STR(bearer(p, "Bearer 00Dx!AQ.abc"), "FOUND 00Dx!AQ.abc");
    CHECK_STR(bearer(p, "  bearer\tabc  "), "FOUND abc");
    CHECK_STR(bearer(p, "BEARER abc"), "FOUND abc");
}

UNIT_TEST(oauth_token_is_taken_only_when_oauth_is_asked_for)
{
    CHECK_STR(authorization(p, "OAuth 00D!xyz", "OAuth"), "FOUND 00D!xyz");
    CHECK_STR(authorization(p, "OAuth 00D!xyz", "Bearer"), "ABSENT");
}

UNIT_TEST(no_authorization_or_another_scheme_alone_is_absent)
{
    CHECK_STR(bearer(p, NULL), "ABSENT");
    CHECK_STR(bearer(p, ""), "ABSENT");
    CHECK_STR(bearer(p, "Basic dXNlcjpwYXNz"), "ABSENT");
    CHECK_STR(bearer(p, "Bearerabc"), "ABSENT");
}

UNIT_TEST(digest_parameters_with_commas_are_not_a_merged_header)
{
    CHECK_STR(bearer(p, "Digest username=\"a\", realm=\"b\", nonce=\"c\", uri=\"/\""),
              "ABSENT");
}

UNIT_TEST(bearer_without_one_clean_token_is_unreadable)
{
    CHECK_STR(bearer(p, "Bearer"), "UNREADABLE");
    CHECK_STR(bearer(p, "Bearer   "), "UNREADABLE");
    CHECK_STR(bearer(p, "Bearer two words"), "UNREADABLE");
    CHECK_STR(bearer(p, "Bearer a\001b"), "UNREADABLE");
    CHECK_STR(bearer(p, "Bearer a\177b"), "UNREADABLE");
    CHECK_STR(bearer(p, "Bearer caf\303\251"), "UNREADABLE");
}

UNIT_TEST(merged_authorization_holding_our_scheme_is_unreadable)
{
    /* httpd joins repeated headers with ", ": which one would the app take? */
    CHECK_STR(bearer(p, "Bearer a, Bearer b"), "UNREADABLE");
    CHECK_STR(bearer(p, "Bearer a, Bearer a"), "UNREADABLE");
    CHECK_STR(bearer(p, "Basic x, Bearer y"), "UNREADABLE");
    CHECK_STR(bearer(p, "Basic x,bearer\ty"), "UNREADABLE");
    CHECK_STR(bearer(p, "Bearer a,b"), "UNREADABLE");
    CHECK_STR(bearer(p, "Bearer a,"), "UNREADABLE");
    CHECK_STR(bearer(p, "Basic x, Bearer"), "UNREADABLE");
}

UNIT_TEST(merged_authorization_without_our_scheme_is_absent)
{
    CHECK_STR(authorization(p, "Basic x, Bearer y", "OAuth"), "ABSENT");
    CHECK_STR(bearer(p, "Basic x, Basic y"), "ABSENT");
    CHECK_STR(bearer(p, "Basic x, Bearerish y"), "ABSENT");
}

UNIT_TEST(oversized_bearer_token_is_unreadable)
{
    const char *longest = repeated(p, "a", MAUTH_TOKEN_MAX_LEN);

    CHECK_STR(bearer(p, apr_pstrcat(p, "Bearer ", longest, NULL)),
              apr_pstrcat(p, "FOUND ", longest, NULL));
    CHECK_STR(bearer(p, apr_pstrcat(p, "Bearer a", longest, NULL)), "UNREADABLE");
}

UNIT_TEST(sql_metacharacters_pass_through_unchanged)
{
    /* the store binds tokens as parameters: they are data, not SQL */
    CHECK_STR(bearer(p, "Bearer '--;DROP"), "FOUND '--;DROP");
}

/* ------------------------------------------------------------- header */

UNIT_TEST(header_token_is_the_whole_value)
{
    CHECK_STR(header(p, "00D!abc"), "FOUND 00D!abc");
    CHECK_STR(header(p, " \tabc  "), "FOUND abc");
}

UNIT_TEST(missing_header_is_absent)
{
    CHECK_STR(header(p, NULL), "ABSENT");
}

UNIT_TEST(header_not_one_clean_token_is_unreadable)
{
    CHECK_STR(header(p, ""), "UNREADABLE");
    CHECK_STR(header(p, "   "), "UNREADABLE");
    CHECK_STR(header(p, "a b"), "UNREADABLE");
    CHECK_STR(header(p, "a\001b"), "UNREADABLE");
    CHECK_STR(header(p, repeated(p, "a", MAUTH_TOKEN_MAX_LEN + 1)), "UNREADABLE");
    /* two headers merged by httpd, even with the same value */
    CHECK_STR(header(p, "a, b"), "UNREADABLE");
    CHECK_STR(header(p, "a,a"), "UNREADABLE");
}

/* ------------------------------------------------------------- cookies */

UNIT_TEST(named_cookie_is_found_among_others)
{
    CHECK_STR(cookies(p, "a=1; sid=tok123; b=2", "sid"), "FOUND tok123");
    CHECK_STR(cookies(p, "sid=\"quoted\"", "sid"), "FOUND quoted");
    CHECK_STR(cookies(p, "xsid=no; sid=yes; sidx=no", "sid"), "FOUND yes");
    CHECK_STR(cookies(p, "a=1;sid = spaced ;b=2", "sid"), "FOUND spaced");
}

UNIT_TEST(every_value_of_the_cookie_is_found_in_order)
{
    CHECK_STR(cookies(p, "sid=a; sid=b", "sid"), "FOUND a b");
    /* several Cookie headers merged by httpd */
    CHECK_STR(cookies(p, "sid=a, sid=b", "sid"), "FOUND a b");
    CHECK_STR(cookies(p, "x=1; sid=b, sid=a; y=2", "sid"), "FOUND b a");
    CHECK_STR(cookies(p, "sid=a; sid=\"a\"", "sid"), "FOUND a");
}

UNIT_TEST(cookie_name_is_matched_exactly)
{
    CHECK_STR(cookies(p, "SID=a", "sid"), "ABSENT");
    CHECK_STR(cookies(p, "Sid=a; sid=b", "sid"), "FOUND b");
    CHECK_STR(cookies(p, "sid=a", "MAUTHSID"), "ABSENT");
}

UNIT_TEST(missing_cookie_is_absent)
{
    CHECK_STR(cookies(p, NULL, "sid"), "ABSENT");
    CHECK_STR(cookies(p, "", "sid"), "ABSENT");
    CHECK_STR(cookies(p, "a=1; b=2", "sid"), "ABSENT");
    CHECK_STR(cookies(p, "a=sid; b=sid=x", "sid"), "ABSENT");
}

UNIT_TEST(empty_or_bare_cookie_is_unreadable)
{
    /* an application may take "sid=" for a cookie that is there */
    CHECK_STR(cookies(p, "sid=", "sid"), "UNREADABLE");
    CHECK_STR(cookies(p, "sid=  ", "sid"), "UNREADABLE");
    CHECK_STR(cookies(p, "sid=\"\"", "sid"), "UNREADABLE");
    CHECK_STR(cookies(p, "sid", "sid"), "UNREADABLE");
    CHECK_STR(cookies(p, "a=1; sid=; b=2", "sid"), "UNREADABLE");
    CHECK_STR(cookies(p, "sid=a; sid=", "sid"), "UNREADABLE");
}

UNIT_TEST(unclean_cookie_value_is_unreadable)
{
    CHECK_STR(cookies(p, "sid=a b", "sid"), "UNREADABLE");
    CHECK_STR(cookies(p, "sid=\"a b\"", "sid"), "UNREADABLE");
    CHECK_STR(cookies(p, "sid=a\001", "sid"), "UNREADABLE");
    CHECK_STR(cookies(p, "sid=good; sid=a\tb", "sid"), "UNREADABLE");
    CHECK_STR(cookies(p, apr_pstrcat(p, "sid=", repeated(p, "a", MAUTH_TOKEN_MAX_LEN + 1),
                                     NULL), "sid"), "UNREADABLE");
}

UNIT_TEST(cookie_value_a_framework_would_decode_is_unreadable)
{
    /* PHP and Rack read 00D!AQ, which the store would never be asked */
    CHECK_STR(cookies(p, "sid=00D%21AQ", "sid"), "UNREADABLE");
    /* Python unescapes "\041" in a quoted value */
    CHECK_STR(cookies(p, "sid=\"00D\\041AQ\"", "sid"), "UNREADABLE");
    /* stray quotes: unquoted or not, depending on who reads */
    CHECK_STR(cookies(p, "sid=\"abc", "sid"), "UNREADABLE");
    CHECK_STR(cookies(p, "sid=abc\"", "sid"), "UNREADABLE");
    CHECK_STR(cookies(p, "sid=\"a\"b\"", "sid"), "UNREADABLE");
    /* '+' decoded to a blank cannot make a token */
    CHECK_STR(cookies(p, "sid=a+b", "sid"), "FOUND a+b");
}

UNIT_TEST(more_cookie_values_than_the_limit_are_unreadable)
{
    const char *most = numbered(p, MAUTH_TOKENS_MAX, "sid=", "; ");
    apr_array_header_t *tokens = no_tokens(p);

    CHECK_INT(mauth_tokens_from_cookie(p, most, "sid", tokens), MAUTH_CRED_FOUND);
    CHECK_INT(tokens->nelts, MAUTH_TOKENS_MAX);
    CHECK_STR(cookies(p, apr_pstrcat(p, most, "sid=over", NULL), "sid"), "UNREADABLE");
    /* the limit counts distinct values */
    CHECK_STR(cookies(p, apr_pstrcat(p, most, "sid=t0", NULL), "sid"),
              outcome(p, "FOUND", tokens));
}

UNIT_TEST(tokens_of_a_place_are_added_to_what_the_caller_holds)
{
    const char *spoilt = ENVELOPE(SESSION_HEADER("c") SESSION_HEADER("d e"));
    apr_array_header_t *tokens = no_tokens(p);

    APR_ARRAY_PUSH(tokens, const char *) = "a";
    CHECK_INT(mauth_tokens_from_cookie(p, "sid=a; sid=b", "sid", tokens), MAUTH_CRED_FOUND);
    CHECK_STR(outcome(p, "", tokens), " a a b");
    /* what an unreadable place pushed is taken back */
    CHECK_INT(mauth_tokens_from_cookie(p, "sid=c; sid=d e", "sid", tokens),
              MAUTH_CRED_UNREADABLE);
    CHECK_STR(outcome(p, "", tokens), " a a b");
    CHECK_INT(mauth_tokens_from_soap(p, spoilt, strlen(spoilt), 1, tokens),
              MAUTH_SOAP_MALFORMED);
    CHECK_STR(outcome(p, "", tokens), " a a b");
}

/* --------------------------------------------------------------- SOAP */

UNIT_TEST(soap_session_header_of_the_seed_is_found)
{
    CHECK_STR(soap(p, SEED_GETUSERINFO("00D36000000bLGT!AQQAQMlp30Zpiy6_gSeP1c")),
              "FOUND 00D36000000bLGT!AQQAQMlp30Zpiy6_gSeP1c");
}

UNIT_TEST(soap_session_id_whitespace_is_trimmed)
{
    CHECK_STR(soap(p, SEED_GETUSERINFO("\n   abc\n  ")), "FOUND abc");
}

UNIT_TEST(blanks_and_utf8_bom_before_the_envelope_are_read)
{
    CHECK_STR(soap(p, "  \n\t<Envelope><Header><sessionId>a</sessionId></Header></Envelope>"),
              "FOUND a");
    CHECK_STR(soap(p, "\xEF\xBB\xBF<Envelope><Header><sessionId>a</sessionId></Header>"
                      "</Envelope>"), "FOUND a");
}

UNIT_TEST(body_that_does_not_start_like_xml_is_not_xml)
{
    CHECK_STR(soap(p, "{\"sessionId\": \"<Envelope>\"}"), "NOT_XML");
    CHECK_STR(soap(p, "sessionId=abc&x=<y>"), "NOT_XML");
    CHECK_STR(soap(p, ""), "NOT_XML");
    CHECK_STR(soap(p, " \r\n\t"), "NOT_XML");
    CHECK_STR(soap(p, "\xEF\xBB\xBF"), "NOT_XML");
    /* a binary body, gzip's header holds a NUL */
    CHECK_STR(soap_bytes(p, "\x1f\x8b\x08\x00<", 5, 1), "NOT_XML");
}

UNIT_TEST(utf16_and_utf32_bodies_are_malformed)
{
    /* an application's parser may read these; apr_xml does not */
    CHECK_STR(soap_bytes(p, "\xFE\xFF\0<\0E", 6, 1), "MALFORMED");
    CHECK_STR(soap_bytes(p, "\xFF\xFE<\0E\0", 6, 1), "MALFORMED");
    CHECK_STR(soap_bytes(p, "\0\0\xFE\xFF\0\0\0<", 8, 1), "MALFORMED");
    CHECK_STR(soap_bytes(p, "\xFE\xFF", 2, 1), "MALFORMED");
    /* the same without a byte order mark */
    CHECK_STR(soap_bytes(p, "<\0E\0", 4, 1), "MALFORMED");
    CHECK_STR(soap_bytes(p, "\0<\0E", 4, 1), "MALFORMED");
    CHECK_STR(soap_bytes(p, "\0\0\0<", 4, 1), "MALFORMED");
    CHECK_STR(soap_bytes(p, " \0<\0", 4, 1), "MALFORMED");
    /* whole or not */
    CHECK_STR(soap_bytes(p, "\xFF\xFE<\0E\0", 6, 0), "MALFORMED");
}

UNIT_TEST(truncated_xml_is_undecided)
{
    const char *body = SEED_GETUSERINFO("abc");

    CHECK_STR(soap_bytes(p, body, strlen(body), 0), "UNDECIDED");
    CHECK_STR(soap_bytes(p, "<Envelope><Hea", 14, 0), "UNDECIDED");
    /* what is not XML stays so however long it is */
    CHECK_STR(soap_bytes(p, "{\"a\": 1", 7, 0), "NOT_XML");
}

UNIT_TEST(xml_without_any_session_id_is_absent)
{
    CHECK_STR(soap(p, "<Envelope><Body><login/></Body></Envelope>"), "ABSENT");
    CHECK_STR(soap(p, "<Envelope/>"), "ABSENT");
    CHECK_STR(soap(p, ENVELOPE("")), "ABSENT");
    CHECK_STR(soap(p, "<?xml version=\"1.0\"?><html><body>hello</body></html>"), "ABSENT");
    /* names are case-sensitive in XML, as in the application's parser */
    CHECK_STR(soap(p, "<Envelope><Header><SessionID>x</SessionID></Header></Envelope>"),
              "ABSENT");
}

/* An application may look for a sessionId anywhere (an XPath //sessionId):
 * outside the SOAP header it is still a credential. */
UNIT_TEST(session_id_outside_the_soap_header_counts_too)
{
    CHECK_STR(soap(p, "<e:Envelope xmlns:e=\"urn:x\"><e:Body><sessionId>x</sessionId>"
                      "</e:Body></e:Envelope>"), "FOUND x");
    CHECK_STR(soap(p, "<Envelope><Body><Header><sessionId>x</sessionId></Header></Body>"
                      "</Envelope>"), "FOUND x");
    CHECK_STR(soap(p, "<NotEnvelope><Header><SessionHeader><sessionId>x</sessionId>"
                      "</SessionHeader></Header></NotEnvelope>"), "FOUND x");
    CHECK_STR(soap(p, "<sessionId>x</sessionId>"), "FOUND x");
    CHECK_STR(soap(p, "<Envelope><Header><sessionId>a</sessionId></Header><Body>"
                      "<sessionId>b</sessionId></Body></Envelope>"), "FOUND a b");
}

UNIT_TEST(session_id_in_any_namespace_and_at_any_depth_is_found)
{
    CHECK_STR(soap(p, "<Envelope><Header><sessionId>a</sessionId></Header></Envelope>"),
              "FOUND a");
    CHECK_STR(soap(p, "<e:Envelope xmlns:e=\"urn:one\"><e:Header><x:Wrap xmlns:x=\"urn:two\">"
                      "<x:Deeper><y:sessionId xmlns:y=\"urn:three\">a</y:sessionId>"
                      "</x:Deeper></x:Wrap></e:Header></e:Envelope>"), "FOUND a");
    CHECK_STR(soap(p, "<Envelope xmlns=\"urn:default\"><Header><SessionHeader>"
                      "<sessionId>a</sessionId></SessionHeader></Header></Envelope>"),
              "FOUND a");
}

UNIT_TEST(decoy_session_header_first_gives_both_tokens)
{
    CHECK_STR(soap(p, ENVELOPE(SESSION_HEADER("decoy") SESSION_HEADER("real"))),
              "FOUND decoy real");
}

UNIT_TEST(decoy_session_header_in_another_namespace_gives_both_tokens)
{
    CHECK_STR(soap(p, ENVELOPE("<other:SessionHeader><other:sessionId>decoy</other:sessionId>"
                               "</other:SessionHeader>" SESSION_HEADER("real"))),
              "FOUND decoy real");
}

UNIT_TEST(two_session_ids_in_one_session_header_give_both_tokens)
{
    CHECK_STR(soap(p, ENVELOPE("<urn:SessionHeader><urn:sessionId>one</urn:sessionId>"
                               "<urn:sessionId>two</urn:sessionId></urn:SessionHeader>")),
              "FOUND one two");
}

UNIT_TEST(every_header_of_the_envelope_is_read)
{
    CHECK_STR(soap(p, "<Envelope><Header><sessionId>one</sessionId></Header><Body/>"
                      "<h:Header xmlns:h=\"urn:h\"><sessionId>two</sessionId></h:Header>"
                      "</Envelope>"), "FOUND one two");
}

UNIT_TEST(repeated_session_id_is_given_once)
{
    CHECK_STR(soap(p, ENVELOPE(SESSION_HEADER("same") SESSION_HEADER(" same "))),
              "FOUND same");
}

UNIT_TEST(markup_inside_session_id_is_malformed)
{
    CHECK_STR(soap(p, SEED_GETUSERINFO("<x/>TOKEN")), "MALFORMED");
    CHECK_STR(soap(p, SEED_GETUSERINFO("TOK<x/>EN")), "MALFORMED");
    CHECK_STR(soap(p, SEED_GETUSERINFO("TOKEN<x>y</x>")), "MALFORMED");
    CHECK_STR(soap(p, SEED_GETUSERINFO("<urn:sessionId>TOKEN</urn:sessionId>")),
              "MALFORMED");
}

UNIT_TEST(comment_pi_or_cdata_inside_session_id_is_malformed)
{
    /* apr_xml reads ABCD; a DOM's first text node is AB */
    CHECK_STR(soap(p, SEED_GETUSERINFO("AB<!--x-->CD")), "MALFORMED");
    CHECK_STR(soap(p, SEED_GETUSERINFO("AB<?pi x?>CD")), "MALFORMED");
    CHECK_STR(soap(p, SEED_GETUSERINFO("AB<![CDATA[CD]]>")), "MALFORMED");
    CHECK_STR(soap(p, SEED_GETUSERINFO("<![CDATA[ABCD]]>")), "MALFORMED");
    CHECK_STR(soap(p, SEED_GETUSERINFO("ABCD<!---->")), "MALFORMED");
    /* an attribute value holding '>' or "/>" does not end the start tag */
    CHECK_STR(soap(p, "<Envelope><Header><sessionId a=\">\">AB<!--x-->CD</sessionId>"
                      "</Header></Envelope>"), "MALFORMED");
    CHECK_STR(soap(p, "<Envelope><Header><sessionId a='/>'>AB<!--x-->CD</sessionId>"
                      "</Header></Envelope>"), "MALFORMED");
}

UNIT_TEST(comments_around_session_ids_are_harmless)
{
    CHECK_STR(soap(p, "<!-- request --><Envelope><!--h--><Header><!--s-->"
                      "<sessionId a=\"1\">AB</sessionId><!--after--></Header>"
                      "<Body><login/><!--x--></Body></Envelope>"), "FOUND AB");
}

UNIT_TEST(empty_or_unclean_session_id_is_malformed)
{
    CHECK_STR(soap(p, SEED_GETUSERINFO("")), "MALFORMED");
    CHECK_STR(soap(p, SEED_GETUSERINFO(" \n ")), "MALFORMED");
    CHECK_STR(soap(p, ENVELOPE("<urn:SessionHeader><urn:sessionId/></urn:SessionHeader>")),
              "MALFORMED");
    CHECK_STR(soap(p, SEED_GETUSERINFO("two words")), "MALFORMED");
    CHECK_STR(soap(p, SEED_GETUSERINFO("a&#x20;b")), "MALFORMED");
    CHECK_STR(soap(p, SEED_GETUSERINFO("caf\303\251")), "MALFORMED");
    CHECK_STR(soap(p, apr_pstrcat(p, "<Envelope><Header><sessionId>",
                                  repeated(p, "a", MAUTH_TOKEN_MAX_LEN + 1),
                                  "</sessionId></Header></Envelope>", NULL)), "MALFORMED");
    /* one bad sessionId spoils the good ones */
    CHECK_STR(soap(p, ENVELOPE(SESSION_HEADER("good") SESSION_HEADER(""))), "MALFORMED");
}

UNIT_TEST(longest_session_id_is_found)
{
    const char *longest = repeated(p, "a", MAUTH_TOKEN_MAX_LEN);

    CHECK_STR(soap(p, apr_pstrcat(p, "<Envelope><Header><sessionId>", longest,
                                  "</sessionId></Header></Envelope>", NULL)),
              apr_pstrcat(p, "FOUND ", longest, NULL));
}

UNIT_TEST(session_id_is_read_as_an_xml_parser_reads_it)
{
    CHECK_STR(soap(p, SEED_GETUSERINFO("00D&#33;AQ&amp;x")), "FOUND 00D!AQ&x");
}

UNIT_TEST(doctype_is_malformed)
{
    CHECK_STR(soap(p, "<?xml version=\"1.0\"?>\n"
                      "<!DOCTYPE Envelope [<!ENTITY unused \"x\">]>\n"
                      ENVELOPE(SESSION_HEADER("a"))), "MALFORMED");
    CHECK_STR(soap(p, "<!DOCTYPE Envelope>" ENVELOPE(SESSION_HEADER("a"))), "MALFORMED");
    CHECK_STR(soap(p, "<!DOCTYPE Envelope [<!ELEMENT Envelope ANY>]>"
                      "<Envelope><Header><sessionId>a</sessionId></Header></Envelope>"),
              "MALFORMED");
}

UNIT_TEST(xml_that_is_not_well_formed_is_malformed)
{
    CHECK_STR(soap(p, "<Envelope><Header>"), "MALFORMED");
    CHECK_STR(soap(p, "<a></b>"), "MALFORMED");
    CHECK_STR(soap(p, "<x:Envelope><x:Header/></x:Envelope>"), "MALFORMED");
    CHECK_STR(soap(p, "<Envelope/><Envelope/>"), "MALFORMED");
    CHECK_STR(soap_bytes(p, "<Envelope>\0</Envelope>", 22, 1), "MALFORMED");
}

UNIT_TEST(more_session_ids_than_the_limit_are_malformed)
{
    const char *most = numbered(p, MAUTH_TOKENS_MAX, "<sessionId>", "</sessionId>");
    apr_array_header_t *tokens = no_tokens(p);
    const char *body = apr_pstrcat(p, "<Envelope><Header>", most, "</Header></Envelope>", NULL);

    CHECK_INT(mauth_tokens_from_soap(p, body, strlen(body), 1, tokens), MAUTH_SOAP_FOUND);
    CHECK_INT(tokens->nelts, MAUTH_TOKENS_MAX);
    CHECK_STR(soap(p, apr_pstrcat(p, "<Envelope><Header>", most,
                                  "<sessionId>over</sessionId></Header></Envelope>", NULL)),
              "MALFORMED");
}

/* An envelope whose sessionId lies depth elements deep inside its Header. */
static const char *nested(apr_pool_t *p, int depth)
{
    return apr_pstrcat(p, "<Envelope><Header>", repeated(p, "<a>", depth),
                       "<sessionId>deep</sessionId>", repeated(p, "</a>", depth),
                       "</Header></Envelope>", NULL);
}

UNIT_TEST(nesting_is_read_to_the_depth_apr_xml_allows)
{
    /* apr_xml stops at 256 elements deep, Envelope and Header included */
    CHECK_STR(soap(p, nested(p, 250)), "FOUND deep");
    CHECK_STR(soap(p, nested(p, 300)), "MALFORMED");
}

/* ------------------------------------------------- found in review */

UNIT_TEST(blanks_up_to_the_peek_limit_leave_the_body_undecided)
{
    CHECK_STR(soap_bytes(p, "      ", 6, 0), "UNDECIDED");
    CHECK_STR(soap_bytes(p, "\n\t  ", 4, 0), "UNDECIDED");
    CHECK_STR(soap_bytes(p, "      ", 6, 1), "NOT_XML");
    CHECK_STR(soap_bytes(p, "", 0, 1), "NOT_XML");
    /* something else than blanks decides at once */
    CHECK_STR(soap_bytes(p, "   {\"a\"", 8, 0), "NOT_XML");
}

UNIT_TEST(ebcdic_xml_is_an_encoding_we_do_not_read)
{
    /* "<?xm" in IBM037, what libxml2 detects */
    CHECK_STR(soap_bytes(p, "\x4C\x6F\xA7\x94\x93\x40", 6, 1), "MALFORMED");
}

UNIT_TEST(lookalike_cookie_names_are_unreadable)
{
    /* PHP undoes escapes and makes '.', ' ' and '[' into '_' */
    CHECK_STR(cookies(p, "s%69d=tok", "sid"), "UNREADABLE");
    CHECK_STR(cookies(p, "s.id=tok", "s_id"), "UNREADABLE");
    CHECK_STR(cookies(p, "s id=tok; s_id=tok", "s_id"), "UNREADABLE");
    CHECK_STR(cookies(p, "sidx=tok; xsid=a", "sid"), "ABSENT");
    CHECK_STR(cookies(p, "s%6=a; %=b; sid=tok", "sid"), "FOUND tok");
}

#define MTOM_TYPE "multipart/related; type=\"application/xop+xml\"; " \
                  "boundary=\"uuid:b1\"; start=\"<root>\""
#define MTOM_ROOT(id) "--uuid:b1\r\nContent-Type: application/xop+xml\r\n" \
                      "Content-ID: <root>\r\n\r\n" ENVELOPE(SESSION_HEADER(id)) "\r\n"

UNIT_TEST(soap_in_multipart_related_is_read_part_by_part)
{
    CHECK_STR(body_of(p, MTOM_TYPE, MTOM_ROOT("tok") "--uuid:b1--\r\n", 1), "FOUND tok");
    /* an attachment, then the envelope */
    CHECK_STR(body_of(p, "Multipart/Related;boundary=uuid:b1",
                      "preamble\r\n--uuid:b1\r\nContent-Type: image/png\r\n\r\n\x89PNG"
                      "\r\n" MTOM_ROOT("tok") "--uuid:b1--", 1), "FOUND tok");
    /* an attachment cut short at the peek limit is no envelope */
    CHECK_STR(body_of(p, MTOM_TYPE, MTOM_ROOT("tok") "--uuid:b1\r\n"
                      "Content-Type: application/octet-stream\r\n\r\n\x01\x02", 0),
              "FOUND tok");
    /* but an envelope cut short is undecided, and a bad one malformed */
    CHECK_STR(body_of(p, MTOM_TYPE, "--uuid:b1\r\n\r\n<Envelope><Header>", 0), "UNDECIDED");
    CHECK_STR(body_of(p, MTOM_TYPE, "--uuid:b1\r\n\r\n<Envelope><x/>\r\n--uuid:b1--", 1),
              "MALFORMED");
    CHECK_STR(body_of(p, MTOM_TYPE, "--uuid:b1\r\n\r\n<Envelope/>\r\n--uuid:b1--", 1),
              "ABSENT");
    CHECK_STR(body_of(p, "multipart/related", MTOM_ROOT("tok"), 1), "MALFORMED");
    CHECK_STR(body_of(p, MTOM_TYPE, "no delimiter at all", 1), "MALFORMED");
    /* other types are read as one body */
    CHECK_STR(body_of(p, "text/xml", ENVELOPE(SESSION_HEADER("tok")), 1), "FOUND tok");
    CHECK_STR(body_of(p, NULL, ENVELOPE(SESSION_HEADER("tok")), 1), "FOUND tok");
}

UNIT_TEST(session_id_hidden_from_the_parser_is_malformed)
{
    /* a reader scanning the raw text takes what a parser does not see */
    CHECK_STR(soap(p, "<Envelope><!-- <sessionId>tok</sessionId> --><Header/></Envelope>"),
              "MALFORMED");
    CHECK_STR(soap(p, "<Envelope><Body><![CDATA[<x:sessionId>tok</x:sessionId>]]></Body>"
                      "</Envelope>"), "MALFORMED");
    CHECK_STR(soap(p, "<Envelope><?pi <sessionId>tok</sessionId>?><Body/></Envelope>"),
              "MALFORMED");
    /* comments elsewhere stay harmless */
    CHECK_STR(soap(p, "<Envelope><!-- a comment --><Body/></Envelope>"), "ABSENT");
}

static const unit_test_t tests[] = {
    UNIT(bearer_token_is_taken_from_authorization),
    UNIT(oauth_token_is_taken_only_when_oauth_is_asked_for),
    UNIT(no_authorization_or_another_scheme_alone_is_absent),
    UNIT(digest_parameters_with_commas_are_not_a_merged_header),
    UNIT(bearer_without_one_clean_token_is_unreadable),
    UNIT(merged_authorization_holding_our_scheme_is_unreadable),
    UNIT(merged_authorization_without_our_scheme_is_absent),
    UNIT(oversized_bearer_token_is_unreadable),
    UNIT(sql_metacharacters_pass_through_unchanged),
    UNIT(header_token_is_the_whole_value),
    UNIT(missing_header_is_absent),
    UNIT(header_not_one_clean_token_is_unreadable),
    UNIT(named_cookie_is_found_among_others),
    UNIT(every_value_of_the_cookie_is_found_in_order),
    UNIT(cookie_name_is_matched_exactly),
    UNIT(missing_cookie_is_absent),
    UNIT(empty_or_bare_cookie_is_unreadable),
    UNIT(unclean_cookie_value_is_unreadable),
    UNIT(cookie_value_a_framework_would_decode_is_unreadable),
    UNIT(more_cookie_values_than_the_limit_are_unreadable),
    UNIT(tokens_of_a_place_are_added_to_what_the_caller_holds),
    UNIT(soap_session_header_of_the_seed_is_found),
    UNIT(soap_session_id_whitespace_is_trimmed),
    UNIT(blanks_and_utf8_bom_before_the_envelope_are_read),
    UNIT(body_that_does_not_start_like_xml_is_not_xml),
    UNIT(utf16_and_utf32_bodies_are_malformed),
    UNIT(truncated_xml_is_undecided),
    UNIT(xml_without_any_session_id_is_absent),
    UNIT(session_id_outside_the_soap_header_counts_too),
    UNIT(blanks_up_to_the_peek_limit_leave_the_body_undecided),
    UNIT(ebcdic_xml_is_an_encoding_we_do_not_read),
    UNIT(lookalike_cookie_names_are_unreadable),
    UNIT(soap_in_multipart_related_is_read_part_by_part),
    UNIT(session_id_hidden_from_the_parser_is_malformed),
    UNIT(session_id_in_any_namespace_and_at_any_depth_is_found),
    UNIT(decoy_session_header_first_gives_both_tokens),
    UNIT(decoy_session_header_in_another_namespace_gives_both_tokens),
    UNIT(two_session_ids_in_one_session_header_give_both_tokens),
    UNIT(every_header_of_the_envelope_is_read),
    UNIT(repeated_session_id_is_given_once),
    UNIT(markup_inside_session_id_is_malformed),
    UNIT(comment_pi_or_cdata_inside_session_id_is_malformed),
    UNIT(comments_around_session_ids_are_harmless),
    UNIT(empty_or_unclean_session_id_is_malformed),
    UNIT(longest_session_id_is_found),
    UNIT(session_id_is_read_as_an_xml_parser_reads_it),
    UNIT(doctype_is_malformed),
    UNIT(xml_that_is_not_well_formed_is_malformed),
    UNIT(more_session_ids_than_the_limit_are_malformed),
    UNIT(nesting_is_read_to_the_depth_apr_xml_allows),
};

UNIT_MAIN("token", tests)
