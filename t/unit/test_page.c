/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * test_page.c: what a refused client reads: the "Certificate Error" page,
 * the SOAP fault and the JSON error, against the seed documents
 * (shared/seeds/003_e36aba5b7fd124fd.txt), and the verdict texts.
 */
#include <ctype.h>

#include <apr_strings.h>
#include <apr_xml.h>

#include "unit.h"

#define PAGE_HEAD "<html><head><title>Certificate Error</title></head>" \
                  "<body bgcolor=#ffffff text=#3198d8><center>"
#define PAGE_TAIL "</i></h3></center></body></html>"
#define SEED_IMAGE "http://www.sfdcstatic.com/common/assets/img/logo-company.png"

/* The seed's fault on port 443, verbatim, indentation included. */
static const char seed_fault[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" "
    "xmlns:sf=\"urn:fault.partner.soap.sforce.com\" "
    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n"
    "  <soapenv:Body>\n"
    "    <soapenv:Fault>\n"
    "      <faultcode>sf:MUTUAL_AUTHENTICATION_FAILED</faultcode>\n"
    "      <faultstring>MUTUAL_AUTHENTICATION_FAILED: This session could not be "
    "mutually authenticated for use with the API</faultstring>\n"
    "      <detail>\n"
    "        <sf:UnexpectedErrorFault xsi:type=\"sf:UnexpectedErrorFault\">\n"
    "          <sf:exceptionCode>MUTUAL_AUTHENTICATION_FAILED</sf:exceptionCode>\n"
    "          <sf:exceptionMessage>This session could not be mutually authenticated "
    "for use with the API</sf:exceptionMessage>\n"
    "        </sf:UnexpectedErrorFault>\n"
    "      </detail>\n"
    "    </soapenv:Fault>\n"
    "  </soapenv:Body>\n"
    "</soapenv:Envelope>\n";

UNIT_TEST(no_certificate_page_matches_seed)
{
    CHECK_STR(mauth_render_certificate_page(p, MAUTH_REASON_NO_CERTIFICATE, NULL),
              "<html><head><title>Certificate Error</title></head><body bgcolor=#ffffff "
              "text=#3198d8><center><p><h3>Client certificate error:<i>No client "
              "certificate provided.</i></h3></center></body></html>");
}

UNIT_TEST(no_certificate_page_with_image_matches_seed)
{
    /* the seed's line, byte for byte */
    CHECK_STR(mauth_render_certificate_page(p, MAUTH_REASON_NO_CERTIFICATE, SEED_IMAGE),
              "<html><head><title>Certificate Error</title></head><body bgcolor=#ffffff "
              "text=#3198d8><center><img src=\"http://www.sfdcstatic.com/common/assets/"
              "img/logo-company.png\"><p><h3>Client certificate error:<i>No client "
              "certificate provided.</i></h3></center></body></html>");
}

UNIT_TEST(empty_image_url_means_no_image)
{
    CHECK_STR(mauth_render_certificate_page(p, MAUTH_REASON_EXPIRED, ""),
              PAGE_HEAD "<p><h3>Client certificate error:<i>"
              "Client certificate has expired." PAGE_TAIL);
}

UNIT_TEST(image_url_cannot_break_out_of_attribute)
{
    CHECK_STR(mauth_render_certificate_page(p, MAUTH_REASON_NO_CERTIFICATE,
                                            "http://x/a.png?a=1&b=\"><script>"),
              PAGE_HEAD "<img src=\"http://x/a.png?a=1&amp;b=&quot;&gt;&lt;script&gt;\">"
              "<p><h3>Client certificate error:<i>No client certificate provided."
              PAGE_TAIL);
}

UNIT_TEST(every_reason_has_its_own_sentence_and_token)
{
    int i, j;

    for (i = 0; i < MAUTH_REASON_COUNT; i++) {
        const char *sentence = mauth_reason_sentence((mauth_reason_e)i);
        const char *token = mauth_reason_token((mauth_reason_e)i);
        const char *page = mauth_render_certificate_page(p, (mauth_reason_e)i, NULL);
        const char *s;
        CHECK_MSG(sentence && *sentence && sentence[strlen(sentence) - 1] == '.',
                  "reason %d has no sentence", i);
        CHECK_MSG(token && *token, "reason %d has no token", i);
        for (s = token; *s; s++) {
            CHECK_MSG(islower((unsigned char)*s) || *s == '-', "token \"%s\"", token);
        }
        CHECK_STR(page, apr_pstrcat(p, PAGE_HEAD "<p><h3>Client certificate error:<i>",
                                    sentence, PAGE_TAIL, NULL));
        for (j = 0; j < i; j++) {
            CHECK_MSG(strcmp(sentence, mauth_reason_sentence((mauth_reason_e)j)) != 0,
                      "reasons %d and %d share \"%s\"", i, j, sentence);
            CHECK_MSG(strcmp(token, mauth_reason_token((mauth_reason_e)j)) != 0,
                      "reasons %d and %d share \"%s\"", i, j, token);
        }
    }
}

UNIT_TEST(reason_sentences_say_what_happened)
{
    CHECK_STR(mauth_reason_sentence(MAUTH_REASON_NO_CERTIFICATE),
              "No client certificate provided.");
    CHECK_STR(mauth_reason_token(MAUTH_REASON_NO_CERTIFICATE), "no-certificate");
    CHECK_STR(mauth_reason_token(MAUTH_REASON_REVOKED), "revoked");
    CHECK_STR(mauth_reason_token(MAUTH_REASON_UNTRUSTED), "untrusted-issuer");
}

UNIT_TEST(unknown_reason_reads_as_invalid)
{
    CHECK_STR(mauth_reason_sentence(MAUTH_REASON_COUNT),
              mauth_reason_sentence(MAUTH_REASON_INVALID));
    CHECK_STR(mauth_reason_token((mauth_reason_e)-1), "invalid");
    CHECK_CONTAINS(mauth_render_certificate_page(p, (mauth_reason_e)200, NULL),
                   mauth_reason_sentence(MAUTH_REASON_INVALID));
}

UNIT_TEST(verdict_text_is_none_success_or_failed_token)
{
    mauth_verdict_t v;

    memset(&v, 0, sizeof(v));
    v.status = MAUTH_VERIFY_NONE;
    v.reason = MAUTH_REASON_NO_CERTIFICATE;
    CHECK_STR(mauth_verdict_text(p, &v), "NONE");
    v.status = MAUTH_VERIFY_SUCCESS;
    v.reason = MAUTH_REASON_OK;
    CHECK_STR(mauth_verdict_text(p, &v), "SUCCESS");
    v.status = MAUTH_VERIFY_FAILED;
    v.reason = MAUTH_REASON_NOT_REGISTERED;
    CHECK_STR(mauth_verdict_text(p, &v), "FAILED:not-registered");
}

/* The seed's text without the whitespace between tags. */
static const char *without_indentation(apr_pool_t *p, const char *xml)
{
    char *out = apr_palloc(p, strlen(xml) + 1), *o = out;
    const char *s;

    for (s = xml; *s; s++) {
        if (*s == '\n') {
            while (s[1] == ' ') {
                s++;
            }
            continue;
        }
        *o++ = *s;
    }
    *o = '\0';
    return out;
}

UNIT_TEST(soap_fault_has_each_element_of_the_seed)
{
    static const char *const parts[] = {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
        "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" "
        "xmlns:sf=\"urn:fault.partner.soap.sforce.com\" "
        "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">",
        "<soapenv:Body>",
        "<soapenv:Fault>",
        "<faultcode>sf:MUTUAL_AUTHENTICATION_FAILED</faultcode>",
        "<faultstring>MUTUAL_AUTHENTICATION_FAILED: This session could not be mutually "
        "authenticated for use with the API</faultstring>",
        "<detail>",
        "<sf:UnexpectedErrorFault xsi:type=\"sf:UnexpectedErrorFault\">",
        "<sf:exceptionCode>MUTUAL_AUTHENTICATION_FAILED</sf:exceptionCode>",
        "<sf:exceptionMessage>This session could not be mutually authenticated for use "
        "with the API</sf:exceptionMessage>",
        "</sf:UnexpectedErrorFault>",
        "</detail>",
        "</soapenv:Fault>",
        "</soapenv:Body>",
        "</soapenv:Envelope>",
    };
    const char *fault = mauth_render_soap_fault(p), *at = fault;
    size_t i;

    CHECK(fault != NULL);
    CHECK_MSG(strncmp(fault, parts[0], strlen(parts[0])) == 0, "fault starts \"%.40s\"", fault);
    for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        const char *found = strstr(at, parts[i]);
        CHECK_MSG(found != NULL, "after \"%.60s\" the fault lacks\n    %s", at, parts[i]);
        at = found + strlen(parts[i]);
    }
    CHECK_MSG(*at == '\0' || strspn(at, " \r\n") == strlen(at),
              "the fault goes on after the envelope: \"%s\"", at);
}

UNIT_TEST(soap_fault_equals_seed_but_for_indentation)
{
    CHECK_STR(without_indentation(p, mauth_render_soap_fault(p)),
              without_indentation(p, seed_fault));
}

/* The first child of parent named name in namespace uri ("" for none). */
static const apr_xml_elem *child(const apr_xml_doc *doc, const apr_xml_elem *parent,
                                 const char *uri, const char *name)
{
    const apr_xml_elem *e;

    for (e = parent ? parent->first_child : doc->root; e; e = e->next) {
        const char *ns = e->ns == APR_XML_NS_NONE ? ""
                         : APR_XML_GET_URI_ITEM(doc->namespaces, e->ns);
        if (strcmp(e->name, name) == 0 && strcmp(ns, uri) == 0) {
            return e;
        }
    }
    return NULL;
}

static const char *text_of(apr_pool_t *p, const apr_xml_elem *e)
{
    const char *text;

    apr_xml_to_text(p, e, APR_XML_X2T_INNER, NULL, NULL, &text, NULL);
    return text;
}

UNIT_TEST(soap_fault_parses_as_soap_1_1_fault)
{
    static const char env[] = "http://schemas.xmlsoap.org/soap/envelope/";
    static const char sf[] = "urn:fault.partner.soap.sforce.com";
    const char *fault = mauth_render_soap_fault(p);
    apr_xml_parser *parser = apr_xml_parser_create(p);
    apr_xml_doc *doc = NULL;
    const apr_xml_elem *envelope, *body, *f, *detail, *unexpected, *e;
    char error[200];

    if (apr_xml_parser_feed(parser, fault, strlen(fault)) != APR_SUCCESS
        || apr_xml_parser_done(parser, &doc) != APR_SUCCESS) {
        CHECK_MSG(0, "not well-formed: %s",
                  apr_xml_parser_geterror(parser, error, sizeof(error)));
    }
    CHECK((envelope = child(doc, NULL, env, "Envelope")) != NULL);
    CHECK((body = child(doc, envelope, env, "Body")) != NULL);
    CHECK((f = child(doc, body, env, "Fault")) != NULL);
    CHECK((e = child(doc, f, "", "faultcode")) != NULL);
    CHECK_STR(text_of(p, e), "sf:MUTUAL_AUTHENTICATION_FAILED");
    CHECK((e = child(doc, f, "", "faultstring")) != NULL);
    CHECK_STR(text_of(p, e), "MUTUAL_AUTHENTICATION_FAILED: This session could not be "
                             "mutually authenticated for use with the API");
    CHECK((detail = child(doc, f, "", "detail")) != NULL);
    CHECK((unexpected = child(doc, detail, sf, "UnexpectedErrorFault")) != NULL);
    CHECK((e = child(doc, unexpected, sf, "exceptionCode")) != NULL);
    CHECK_STR(text_of(p, e), "MUTUAL_AUTHENTICATION_FAILED");
    CHECK((e = child(doc, unexpected, sf, "exceptionMessage")) != NULL);
    CHECK_STR(text_of(p, e), "This session could not be mutually authenticated for use "
                             "with the API");
}

UNIT_TEST(json_error_carries_the_fault_code_and_message)
{
    CHECK_STR(mauth_render_json_error(p),
              "[{\"message\":\"This session could not be mutually authenticated for use "
              "with the API\",\"errorCode\":\"MUTUAL_AUTHENTICATION_FAILED\"}]");
}

static const unit_test_t tests[] = {
    UNIT(no_certificate_page_matches_seed),
    UNIT(no_certificate_page_with_image_matches_seed),
    UNIT(empty_image_url_means_no_image),
    UNIT(image_url_cannot_break_out_of_attribute),
    UNIT(every_reason_has_its_own_sentence_and_token),
    UNIT(reason_sentences_say_what_happened),
    UNIT(unknown_reason_reads_as_invalid),
    UNIT(verdict_text_is_none_success_or_failed_token),
    UNIT(soap_fault_has_each_element_of_the_seed),
    UNIT(soap_fault_equals_seed_but_for_indentation),
    UNIT(soap_fault_parses_as_soap_1_1_fault),
    UNIT(json_error_carries_the_fault_code_and_message),
};

UNIT_MAIN("page", tests)
