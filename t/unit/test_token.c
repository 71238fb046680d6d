/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * test_token.c: finding the session token in Authorization, Cookie and the
 * SOAP SessionHeader, and refusing what is not a token.
 */
#include <string.h>

#include <apr_strings.h>

#include "mauth_core.h"
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

static mauth_soap_e soap(apr_pool_t *p, const char *body, const char **token)
{
    return mauth_token_from_soap(p, body, strlen(body), 1, token);
}

UNIT_TEST(bearer_token_is_taken_from_authorization)
{
    CHECK_STR(mauth_token_from_authorization(p, "Bearer 00Dx!AQ.abc", "Bearer"),
              "00Dx!AQ.abc");
    CHECK_STR(mauth_token_from_authorization(p, "  bearer\tabc  ", "Bearer"), "abc");
}

UNIT_TEST(oauth_token_is_taken_from_authorization)
{
    CHECK_STR(mauth_token_from_authorization(p, "OAuth 00D!xyz", "OAuth"), "00D!xyz");
    CHECK(mauth_token_from_authorization(p, "OAuth 00D!xyz", "Bearer") == NULL);
}

UNIT_TEST(other_schemes_and_garbage_give_no_token)
{
    CHECK(mauth_token_from_authorization(p, NULL, "Bearer") == NULL);
    CHECK(mauth_token_from_authorization(p, "Basic dXNlcjpwYXNz", "Bearer") == NULL);
    CHECK(mauth_token_from_authorization(p, "Bearer", "Bearer") == NULL);
    CHECK(mauth_token_from_authorization(p, "Bearer ", "Bearer") == NULL);
    CHECK(mauth_token_from_authorization(p, "Bearerabc", "Bearer") == NULL);
    CHECK(mauth_token_from_authorization(p, "Bearer two words", "Bearer") == NULL);
    CHECK(mauth_token_from_authorization(p, "Bearer a\001b", "Bearer") == NULL);
}

UNIT_TEST(oversized_token_is_refused)
{
    char *header = apr_palloc(p, MAUTH_TOKEN_MAX_LEN + 16);

    strcpy(header, "Bearer ");
    memset(header + 7, 'a', MAUTH_TOKEN_MAX_LEN);
    header[7 + MAUTH_TOKEN_MAX_LEN] = '\0';
    CHECK(mauth_token_from_authorization(p, header, "Bearer") != NULL);
    strcat(header, "a");
    CHECK(mauth_token_from_authorization(p, header, "Bearer") == NULL);
}

UNIT_TEST(sql_metacharacters_pass_through_unchanged)
{
    /* the store binds tokens as parameters: they are data, not SQL */
    CHECK_STR(mauth_token_from_authorization(p, "Bearer '--;DROP", "Bearer"), "'--;DROP");
}

UNIT_TEST(named_cookie_is_found_among_others)
{
    CHECK_STR(mauth_token_from_cookie(p, "a=1; sid=tok123; b=2", "sid"), "tok123");
    CHECK_STR(mauth_token_from_cookie(p, "sid=\"quoted\"", "sid"), "quoted");
    CHECK_STR(mauth_token_from_cookie(p, "xsid=no; sid=yes", "sid"), "yes");
}

UNIT_TEST(missing_or_empty_cookie_gives_no_token)
{
    CHECK(mauth_token_from_cookie(p, NULL, "sid") == NULL);
    CHECK(mauth_token_from_cookie(p, "a=1; b=2", "sid") == NULL);
    CHECK(mauth_token_from_cookie(p, "sid=", "sid") == NULL);
    CHECK(mauth_token_from_cookie(p, "sid", "sid") == NULL);
}

UNIT_TEST(soap_session_header_of_the_seed_is_found)
{
    const char *token = NULL;

    CHECK_INT(soap(p, SEED_GETUSERINFO("00D36000000bLGT!AQQAQMlp30Zpiy6_gSeP1c"), &token),
              MAUTH_SOAP_FOUND);
    CHECK_STR(token, "00D36000000bLGT!AQQAQMlp30Zpiy6_gSeP1c");
}

UNIT_TEST(soap_session_id_whitespace_is_trimmed)
{
    const char *token = NULL;

    CHECK_INT(soap(p, SEED_GETUSERINFO("\n   abc\n  "), &token), MAUTH_SOAP_FOUND);
    CHECK_STR(token, "abc");
}

UNIT_TEST(soap_without_session_header_is_absent)
{
    const char *token = (const char *)1;

    CHECK_INT(soap(p, "<Envelope><Body><login/></Body></Envelope>", &token),
              MAUTH_SOAP_ABSENT);
    CHECK(token == NULL);
    /* a sessionId elsewhere in the body is not the header */
    CHECK_INT(soap(p, "<e:Envelope xmlns:e=\"urn:x\"><e:Body><sessionId>x</sessionId>"
                      "</e:Body></e:Envelope>", &token), MAUTH_SOAP_ABSENT);
    CHECK_INT(soap(p, "<NotEnvelope><Header><SessionHeader><sessionId>x</sessionId>"
                      "</SessionHeader></Header></NotEnvelope>", &token), MAUTH_SOAP_ABSENT);
    CHECK_INT(soap(p, SEED_GETUSERINFO(""), &token), MAUTH_SOAP_ABSENT);
}

UNIT_TEST(malformed_xml_is_reported_as_malformed)
{
    const char *token = NULL;

    CHECK_INT(soap(p, "<Envelope><Header>", &token), MAUTH_SOAP_MALFORMED);
    CHECK_INT(soap(p, "not xml at all", &token), MAUTH_SOAP_MALFORMED);
    CHECK_INT(soap(p, "<a></b>", &token), MAUTH_SOAP_MALFORMED);
}

UNIT_TEST(truncated_body_is_undecided)
{
    const char *body = SEED_GETUSERINFO("abc");
    const char *token = NULL;

    CHECK_INT(mauth_token_from_soap(p, body, strlen(body), 0, &token), MAUTH_SOAP_UNDECIDED);
    CHECK(token == NULL);
}

static const unit_test_t tests[] = {
    UNIT(bearer_token_is_taken_from_authorization),
    UNIT(oauth_token_is_taken_from_authorization),
    UNIT(other_schemes_and_garbage_give_no_token),
    UNIT(oversized_token_is_refused),
    UNIT(sql_metacharacters_pass_through_unchanged),
    UNIT(named_cookie_is_found_among_others),
    UNIT(missing_or_empty_cookie_gives_no_token),
    UNIT(soap_session_header_of_the_seed_is_found),
    UNIT(soap_session_id_whitespace_is_trimmed),
    UNIT(soap_without_session_header_is_absent),
    UNIT(malformed_xml_is_reported_as_malformed),
    UNIT(truncated_body_is_undecided),
};

UNIT_MAIN("token", tests)
