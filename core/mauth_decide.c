/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mauth_decide.c: the decision of both layers, from facts to an answer.
 *
 * The glue gathers what the request carries (the connection's verdict under
 * this vhost's trust, the users its credentials name, whether the leaf is
 * registered) and sends what comes out.  Nothing here reads a request, asks
 * the store or writes a response, so every row of the README's decision
 * table is a unit test.  Anything not known for certain refuses.
 */
#include <string.h>

#include <apr_strings.h>

#include "mauth_core.h"

void mauth_identity_add(mauth_identity_t *id, int store_error, const char *user_id,
                        int enforced)
{
    id->credentials++;
    switch (id->state) {
    case MAUTH_IDENTITY_NONE:
        if (store_error) {
            id->state = MAUTH_IDENTITY_STORE_ERROR;
        }
        else if (user_id) {
            id->state = MAUTH_IDENTITY_USER;
            id->user_id = user_id;
            id->enforced = enforced;
        }
        break;
    case MAUTH_IDENTITY_USER:
        if (store_error) {
            id->state = MAUTH_IDENTITY_STORE_ERROR;
        }
        else if (user_id && strcmp(user_id, id->user_id) != 0) {
            id->state = MAUTH_IDENTITY_CONFLICT;
        }
        break;
    case MAUTH_IDENTITY_STORE_ERROR:
        /* a conflict is certain whatever the store would have said */
        break;
    default:
        /* CONFLICT, UNREADABLE, UNDECODABLE, TOO_LARGE are final */
        break;
    }
}

/* token NULL: the reason's own token */
static void answer(mauth_decision_t *d, mauth_answer_e a, mauth_reason_e reason,
                   const char *token, const char *why)
{
    d->answer = a;
    d->reason = reason;
    d->token = token ? token : mauth_reason_token(reason);
    d->why = why;
}

/* The chain layer: a mutual vhost refuses a chain it did not accept, and a
 * missing one where a certificate is required, whoever the user. */
static int decide_chain(const mauth_facts_t *f, mauth_decision_t *d)
{
    if (!f->mutual) {
        return 0;
    }
    if (f->other_trust) {
        answer(d, MAUTH_ANSWER_MISDIRECTED, MAUTH_REASON_OTHER_TRUST, NULL,
               "the session's verdict was made under another trust");
        return 1;
    }
    if (f->verdict.status == MAUTH_VERIFY_FAILED) {
        answer(d, MAUTH_ANSWER_PAGE, f->verdict.reason, NULL, "the chain failed validation");
        return 1;
    }
    if (f->verdict.status == MAUTH_VERIFY_NONE && f->require_certificate) {
        answer(d, MAUTH_ANSWER_PAGE, MAUTH_REASON_NO_CERTIFICATE, NULL,
               "a certificate is required here");
        return 1;
    }
    return 0;
}

/* Credentials that do not name one user for certain. */
static int decide_identity(const mauth_facts_t *f, mauth_decision_t *d)
{
    switch (f->identity.state) {
    case MAUTH_IDENTITY_NONE:
        answer(d, MAUTH_ANSWER_PASS, MAUTH_REASON_OK, NULL,
               "no credential names a known user; the application decides");
        return 1;
    case MAUTH_IDENTITY_CONFLICT:
        answer(d, MAUTH_ANSWER_BAD_REQUEST, MAUTH_REASON_OK, "conflicting-users",
               "credentials name different users");
        return 1;
    case MAUTH_IDENTITY_UNREADABLE:
        answer(d, MAUTH_ANSWER_BAD_REQUEST, MAUTH_REASON_OK, "unreadable-credential",
               "a credential is present but cannot be read");
        return 1;
    case MAUTH_IDENTITY_UNDECODABLE:
        answer(d, MAUTH_ANSWER_UNSUPPORTED_ENCODING, MAUTH_REASON_OK, "body-encoding",
               "the body's content coding hides what credentials it holds");
        return 1;
    case MAUTH_IDENTITY_TOO_LARGE:
        answer(d, MAUTH_ANSWER_TOO_LARGE, MAUTH_REASON_OK, "body-too-large",
               "an XML body longer than MAuthSOAPPeekLimit");
        return 1;
    case MAUTH_IDENTITY_STORE_ERROR:
        answer(d, MAUTH_ANSWER_UNAVAILABLE, MAUTH_REASON_STORE_UNAVAILABLE, NULL,
               "the store did not answer");
        return 1;
    case MAUTH_IDENTITY_USER:
        break;
    }
    if (!f->identity.enforced) {
        answer(d, MAUTH_ANSWER_PASS, MAUTH_REASON_OK, NULL, "user not enforced");
        return 1;
    }
    return 0;
}

/* An enforced user: no fallback to the standard vhost, and on the mutual
 * one a valid chain whose leaf is registered for the user or its org. */
static void decide_enforced(const mauth_facts_t *f, mauth_decision_t *d)
{
    if (!f->mutual) {
        answer(d, MAUTH_ANSWER_FAULT, MAUTH_REASON_OK, "mutual-authentication-failed",
               "enforced user on the standard vhost");
        return;
    }
    if (f->verdict.status != MAUTH_VERIFY_SUCCESS) {
        answer(d, MAUTH_ANSWER_PAGE, MAUTH_REASON_NO_CERTIFICATE, NULL,
               "enforced user without a certificate");
        return;
    }
    switch (f->match) {
    case MAUTH_MATCH_UNASKED:
        answer(d, MAUTH_ANSWER_MATCH_CERTIFICATE, MAUTH_REASON_OK, NULL,
               "enforced user with a valid chain");
        break;
    case MAUTH_MATCH_USER:
        answer(d, MAUTH_ANSWER_PASS, MAUTH_REASON_OK, NULL, "certificate registered for the user");
        break;
    case MAUTH_MATCH_ORG:
        answer(d, MAUTH_ANSWER_PASS, MAUTH_REASON_OK, NULL,
               "certificate registered for the organisation");
        break;
    case MAUTH_MATCH_NONE:
        answer(d, MAUTH_ANSWER_PAGE, MAUTH_REASON_NOT_REGISTERED, NULL,
               "certificate not registered for the user");
        break;
    case MAUTH_MATCH_STORE_ERROR:
        answer(d, MAUTH_ANSWER_UNAVAILABLE, MAUTH_REASON_STORE_UNAVAILABLE, NULL,
               "the store did not answer the certificate match");
        break;
    }
}

void mauth_decide(const mauth_facts_t *f, mauth_decision_t *d)
{
    if (decide_chain(f, d)) {
        return;
    }
    if (!f->enforce) {
        answer(d, MAUTH_ANSWER_PASS, MAUTH_REASON_OK, NULL, "no identity verification here");
        return;
    }
    if (decide_identity(f, d)) {
        return;
    }
    decide_enforced(f, d);
}

int mauth_answer_status(mauth_answer_e a, int soap_fault)
{
    switch (a) {
    case MAUTH_ANSWER_PAGE:
        return 403;
    case MAUTH_ANSWER_FAULT:
        return soap_fault ? 500 : 401;
    case MAUTH_ANSWER_MISDIRECTED:
        return 421;
    case MAUTH_ANSWER_BAD_REQUEST:
        return 400;
    case MAUTH_ANSWER_UNSUPPORTED_ENCODING:
        return 415;
    case MAUTH_ANSWER_TOO_LARGE:
        return 413;
    case MAUTH_ANSWER_UNAVAILABLE:
        return 503;
    default:
        return 0;
    }
}

const char *mauth_refusal_text(apr_pool_t *p, const mauth_decision_t *d, const char *method,
                               const char *uri, const char *client, const char *user,
                               const mauth_cert_info_t *leaf)
{
    return apr_psprintf(p, "refused (%s) %s %s from %s%s%s: %s%s", d->token, method, uri,
                        client, user ? " as user " : "", user ? user : "", d->why,
                        leaf ? apr_psprintf(p, "; certificate subject '%s', issuer '%s', "
                                            "serial %s, SHA-256 %s", leaf->subject_dn,
                                            leaf->issuer_dn, leaf->serial, leaf->fingerprint)
                             : "; no client certificate");
}

int mauth_body_announced(const char *content_length, const char *transfer_encoding)
{
    return transfer_encoding != NULL
           || (content_length && strspn(content_length, "0") != strlen(content_length));
}
