/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mauth_page.c: the texts a refused client sees.  The page, the SOAP fault
 * and the REST error reproduce the source documents (shared/seeds) exactly;
 * only the reason sentence varies.
 */
#include <string.h>

#include <apr_strings.h>

#include "mauth_core.h"

static const struct {
    const char *token;
    const char *sentence;
} reasons[MAUTH_REASON_COUNT] = {
    [MAUTH_REASON_OK] = {"ok", "Client certificate accepted."},
    [MAUTH_REASON_NO_CERTIFICATE] = {"no-certificate", "No client certificate provided."},
    [MAUTH_REASON_EXPIRED] = {"expired", "Client certificate has expired."},
    [MAUTH_REASON_NOT_YET_VALID] = {"not-yet-valid", "Client certificate is not yet valid."},
    [MAUTH_REASON_REVOKED] = {"revoked", "Client certificate has been revoked."},
    [MAUTH_REASON_ISSUER_REVOKED] = {"issuer-revoked",
        "A certificate in the client certificate chain has been revoked."},
    [MAUTH_REASON_UNTRUSTED] = {"untrusted-issuer",
        "Client certificate is not issued by a trusted certificate authority."},
    [MAUTH_REASON_SELF_SIGNED] = {"self-signed", "Client certificate is self-signed."},
    [MAUTH_REASON_BAD_SIGNATURE] = {"bad-signature",
        "Client certificate chain has an invalid signature."},
    [MAUTH_REASON_WRONG_PURPOSE] = {"wrong-purpose",
        "Client certificate is not valid for client authentication."},
    [MAUTH_REASON_CHAIN_TOO_LONG] = {"chain-too-long", "Client certificate chain is too long."},
    [MAUTH_REASON_REVOCATION_UNAVAILABLE] = {"revocation-unavailable",
        "Revocation status of the client certificate is unavailable."},
    [MAUTH_REASON_INVALID] = {"invalid", "Client certificate could not be verified."},
    [MAUTH_REASON_NOT_REGISTERED] = {"not-registered",
        "Client certificate is not registered for this user."},
    [MAUTH_REASON_STORE_UNAVAILABLE] = {"store-unavailable",
        "Mutual authentication is temporarily unavailable."},
    [MAUTH_REASON_OTHER_TRUST] = {"other-trust",
        "Client certificate was verified for another server; connect to this one."},
};

const char *mauth_reason_sentence(mauth_reason_e reason)
{
    if ((int)reason < 0 || reason >= MAUTH_REASON_COUNT) {
        reason = MAUTH_REASON_INVALID;
    }
    return reasons[reason].sentence;
}

const char *mauth_reason_token(mauth_reason_e reason)
{
    if ((int)reason < 0 || reason >= MAUTH_REASON_COUNT) {
        reason = MAUTH_REASON_INVALID;
    }
    return reasons[reason].token;
}

const char *mauth_verdict_text(apr_pool_t *p, const mauth_verdict_t *v)
{
    switch (v->status) {
    case MAUTH_VERIFY_SUCCESS:
        return "SUCCESS";
    case MAUTH_VERIFY_NONE:
        return "NONE";
    default:
        return apr_pstrcat(p, "FAILED:", mauth_reason_token(v->reason), NULL);
    }
}

/* Only an operator's URL reaches the page; quote what would end the attribute. */
static const char *attribute_escape(apr_pool_t *p, const char *text)
{
    apr_size_t extra = 0;
    const char *s;
    char *out, *o;

    for (s = text; *s; s++) {
        if (*s == '"' || *s == '<' || *s == '>' || *s == '&') {
            extra += 5;
        }
    }
    if (extra == 0) {
        return text;
    }
    o = out = apr_palloc(p, strlen(text) + extra + 1);
    for (s = text; *s; s++) {
        switch (*s) {
        case '"': memcpy(o, "&quot;", 6); o += 6; break;
        case '<': memcpy(o, "&lt;", 4); o += 4; break;
        case '>': memcpy(o, "&gt;", 4); o += 4; break;
        case '&': memcpy(o, "&amp;", 5); o += 5; break;
        default: *o++ = *s;
        }
    }
    *o = '\0';
    return out;
}

const char *mauth_render_certificate_page(apr_pool_t *p, mauth_reason_e reason,
                                          const char *image_url)
{
    const char *image = "";

    if (image_url && *image_url) {
        image = apr_pstrcat(p, "<img src=\"", attribute_escape(p, image_url), "\">", NULL);
    }
    return apr_pstrcat(p,
        "<html><head><title>Certificate Error</title></head>"
        "<body bgcolor=#ffffff text=#3198d8><center>", image,
        "<p><h3>Client certificate error:<i>", mauth_reason_sentence(reason),
        "</i></h3></center></body></html>", NULL);
}

#define MAUTH_FAILED_MESSAGE \
    "This session could not be mutually authenticated for use with the API"

const char *mauth_render_soap_fault(apr_pool_t *p)
{
    return
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
        "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\""
        " xmlns:sf=\"urn:fault.partner.soap.sforce.com\""
        " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">"
        "<soapenv:Body><soapenv:Fault>"
        "<faultcode>sf:MUTUAL_AUTHENTICATION_FAILED</faultcode>"
        "<faultstring>MUTUAL_AUTHENTICATION_FAILED: " MAUTH_FAILED_MESSAGE "</faultstring>"
        "<detail><sf:UnexpectedErrorFault xsi:type=\"sf:UnexpectedErrorFault\">"
        "<sf:exceptionCode>MUTUAL_AUTHENTICATION_FAILED</sf:exceptionCode>"
        "<sf:exceptionMessage>" MAUTH_FAILED_MESSAGE "</sf:exceptionMessage>"
        "</sf:UnexpectedErrorFault></detail>"
        "</soapenv:Fault></soapenv:Body></soapenv:Envelope>";
}

const char *mauth_render_json_error(apr_pool_t *p)
{
    return "[{\"message\":\"" MAUTH_FAILED_MESSAGE "\","
           "\"errorCode\":\"MUTUAL_AUTHENTICATION_FAILED\"}]";
}

int mauth_fault_is_soap(mauth_fault_format_e format, const char *content_type,
                        int has_soap_action)
{
    static const char *const soap_types[] = {"text/xml", "application/soap+xml", NULL};
    const char *const *t;

    if (format != MAUTH_FAULT_AUTO) {
        return format == MAUTH_FAULT_SOAP;
    }
    for (t = soap_types; content_type && *t; t++) {
        if (strncasecmp(content_type, *t, strlen(*t)) == 0) {
            return 1;
        }
    }
    return has_soap_action;
}
