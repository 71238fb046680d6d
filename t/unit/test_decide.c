/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * test_decide.c: the decision of both layers, row by row of the README's
 * decision table, and the ways around it an attacker tried: conflicting
 * and unreadable credentials, verdicts of another trust.
 */
#include "unit.h"

static mauth_verdict_t verdict(mauth_verify_status_e status, mauth_reason_e reason)
{
    mauth_verdict_t v;

    memset(&v, 0, sizeof(v));
    v.status = status;
    v.reason = reason;
    return v;
}

static const mauth_verdict_t *none(void)
{
    static mauth_verdict_t v;
    v = verdict(MAUTH_VERIFY_NONE, MAUTH_REASON_NO_CERTIFICATE);
    return &v;
}

static const mauth_verdict_t *valid(void)
{
    static mauth_verdict_t v;
    v = verdict(MAUTH_VERIFY_SUCCESS, MAUTH_REASON_OK);
    return &v;
}

/* facts for an enforce location, a user found by one credential */
static mauth_facts_t enforce_facts(int mutual, const mauth_verdict_t *v, int enforced)
{
    mauth_facts_t f;

    memset(&f, 0, sizeof(f));
    f.mutual = mutual;
    f.enforce = 1;
    f.verdict = *v;
    mauth_identity_add(&f.identity, 0, "u1", enforced);
    return f;
}

static mauth_answer_e decide(const mauth_facts_t *f, mauth_reason_e *reason)
{
    mauth_decision_t d;

    memset(&d, 0x5a, sizeof(d));
    mauth_decide(f, &d);
    if (reason) {
        *reason = d.reason;
    }
    return d.answer;
}

/* ------------------------------------------------- the README's table */

UNIT_TEST(enforced_on_mutual_with_registered_certificate_passes)
{
    mauth_facts_t f = enforce_facts(1, valid(), 1);

    CHECK_INT(decide(&f, NULL), MAUTH_ANSWER_MATCH_CERTIFICATE);
    f.match = MAUTH_MATCH_USER;
    CHECK_INT(decide(&f, NULL), MAUTH_ANSWER_PASS);
    f.match = MAUTH_MATCH_ORG;
    CHECK_INT(decide(&f, NULL), MAUTH_ANSWER_PASS);
}

UNIT_TEST(enforced_on_mutual_without_certificate_gets_the_page)
{
    mauth_facts_t f = enforce_facts(1, none(), 1);
    mauth_reason_e reason;

    CHECK_INT(decide(&f, &reason), MAUTH_ANSWER_PAGE);
    CHECK_INT(reason, MAUTH_REASON_NO_CERTIFICATE);
}

UNIT_TEST(enforced_on_mutual_with_unregistered_certificate_gets_the_page)
{
    mauth_facts_t f = enforce_facts(1, valid(), 1);
    mauth_reason_e reason;

    f.match = MAUTH_MATCH_NONE;
    CHECK_INT(decide(&f, &reason), MAUTH_ANSWER_PAGE);
    CHECK_INT(reason, MAUTH_REASON_NOT_REGISTERED);
}

UNIT_TEST(failed_chain_gets_its_reason_whoever_the_user)
{
    mauth_verdict_t revoked = verdict(MAUTH_VERIFY_FAILED, MAUTH_REASON_REVOKED);
    mauth_facts_t f = enforce_facts(1, &revoked, 1);
    mauth_reason_e reason;

    CHECK_INT(decide(&f, &reason), MAUTH_ANSWER_PAGE);
    CHECK_INT(reason, MAUTH_REASON_REVOKED);
    f = enforce_facts(1, &revoked, 0);
    CHECK_INT(decide(&f, &reason), MAUTH_ANSWER_PAGE);
    CHECK_INT(reason, MAUTH_REASON_REVOKED);
    f.enforce = 0;
    CHECK_INT(decide(&f, &reason), MAUTH_ANSWER_PAGE);
    CHECK_INT(reason, MAUTH_REASON_REVOKED);
}

UNIT_TEST(enforced_on_standard_gets_the_fault_whatever_the_certificate)
{
    mauth_facts_t f = enforce_facts(0, none(), 1);

    CHECK_INT(decide(&f, NULL), MAUTH_ANSWER_FAULT);
    f = enforce_facts(0, valid(), 1);
    CHECK_INT(decide(&f, NULL), MAUTH_ANSWER_FAULT);
    CHECK_INT(mauth_answer_status(MAUTH_ANSWER_FAULT, 1), 500);
    CHECK_INT(mauth_answer_status(MAUTH_ANSWER_FAULT, 0), 401);
}

UNIT_TEST(not_enforced_passes_with_or_without_certificate)
{
    mauth_facts_t f = enforce_facts(1, none(), 0);

    CHECK_INT(decide(&f, NULL), MAUTH_ANSWER_PASS);
    f = enforce_facts(1, valid(), 0);
    CHECK_INT(decide(&f, NULL), MAUTH_ANSWER_PASS);
    f = enforce_facts(0, none(), 0);
    CHECK_INT(decide(&f, NULL), MAUTH_ANSWER_PASS);
}

UNIT_TEST(no_known_user_lets_the_application_decide)
{
    mauth_facts_t f;

    memset(&f, 0, sizeof(f));
    f.enforce = 1;
    f.verdict = *none();
    CHECK_INT(decide(&f, NULL), MAUTH_ANSWER_PASS);
    /* credentials the store does not know name nobody */
    mauth_identity_add(&f.identity, 0, NULL, 0);
    mauth_identity_add(&f.identity, 0, NULL, 0);
    CHECK_INT(f.identity.state, MAUTH_IDENTITY_NONE);
    CHECK_INT(decide(&f, NULL), MAUTH_ANSWER_PASS);
}

UNIT_TEST(store_outage_refuses_with_503)
{
    mauth_facts_t f;
    mauth_reason_e reason;

    memset(&f, 0, sizeof(f));
    f.enforce = 1;
    mauth_identity_add(&f.identity, 1, NULL, 0);
    CHECK_INT(decide(&f, &reason), MAUTH_ANSWER_UNAVAILABLE);
    CHECK_INT(reason, MAUTH_REASON_STORE_UNAVAILABLE);
    CHECK_INT(mauth_answer_status(MAUTH_ANSWER_UNAVAILABLE, 0), 503);
    f = enforce_facts(1, valid(), 1);
    f.match = MAUTH_MATCH_STORE_ERROR;
    CHECK_INT(decide(&f, &reason), MAUTH_ANSWER_UNAVAILABLE);
}

UNIT_TEST(required_certificate_refuses_its_absence_for_anyone)
{
    mauth_facts_t f;
    mauth_reason_e reason;

    memset(&f, 0, sizeof(f));
    f.mutual = 1;
    f.require_certificate = 1;
    f.verdict = *none();
    CHECK_INT(decide(&f, &reason), MAUTH_ANSWER_PAGE);
    CHECK_INT(reason, MAUTH_REASON_NO_CERTIFICATE);
    f.verdict = *valid();
    CHECK_INT(decide(&f, NULL), MAUTH_ANSWER_PASS);
    /* not on the standard vhost: it asks for no certificate */
    f.mutual = 0;
    f.verdict = *none();
    CHECK_INT(decide(&f, NULL), MAUTH_ANSWER_PASS);
}

/* ------------------------------------------------- ways around it */

UNIT_TEST(any_enforced_credential_applies_its_requirement)
{
    mauth_facts_t f;

    memset(&f, 0, sizeof(f));
    f.enforce = 1;
    f.verdict = *none();
    /* Bearer garbage (unknown), then the enforced user's SOAP session */
    mauth_identity_add(&f.identity, 0, NULL, 0);
    mauth_identity_add(&f.identity, 0, "enforced", 1);
    mauth_identity_add(&f.identity, 0, NULL, 0);
    CHECK_INT(f.identity.state, MAUTH_IDENTITY_USER);
    CHECK_INT(decide(&f, NULL), MAUTH_ANSWER_FAULT);
    f.mutual = 1;
    CHECK_INT(decide(&f, NULL), MAUTH_ANSWER_PAGE);
}

UNIT_TEST(credentials_of_different_users_are_a_bad_request)
{
    mauth_facts_t f;

    memset(&f, 0, sizeof(f));
    f.enforce = 1;
    mauth_identity_add(&f.identity, 0, "free", 0);
    mauth_identity_add(&f.identity, 0, "enforced", 1);
    CHECK_INT(f.identity.state, MAUTH_IDENTITY_CONFLICT);
    CHECK_INT(decide(&f, NULL), MAUTH_ANSWER_BAD_REQUEST);
    CHECK_INT(mauth_answer_status(MAUTH_ANSWER_BAD_REQUEST, 0), 400);
    /* a later store error does not undo a certain conflict */
    mauth_identity_add(&f.identity, 1, NULL, 0);
    CHECK_INT(decide(&f, NULL), MAUTH_ANSWER_BAD_REQUEST);
}

UNIT_TEST(same_user_by_several_credentials_is_one_user)
{
    mauth_facts_t f = enforce_facts(1, valid(), 1);

    mauth_identity_add(&f.identity, 0, "u1", 1);
    mauth_identity_add(&f.identity, 0, NULL, 0);
    CHECK_INT(f.identity.state, MAUTH_IDENTITY_USER);
    CHECK_INT(f.identity.credentials, 3);
    CHECK_INT(decide(&f, NULL), MAUTH_ANSWER_MATCH_CERTIFICATE);
}

UNIT_TEST(store_error_on_any_credential_fails_closed)
{
    mauth_facts_t f;

    memset(&f, 0, sizeof(f));
    f.enforce = 1;
    mauth_identity_add(&f.identity, 0, "free", 0);
    mauth_identity_add(&f.identity, 1, NULL, 0);
    CHECK_INT(decide(&f, NULL), MAUTH_ANSWER_UNAVAILABLE);
}

UNIT_TEST(unreadable_undecodable_and_oversized_credentials_refuse)
{
    mauth_facts_t f;

    memset(&f, 0, sizeof(f));
    f.enforce = 1;
    f.identity.state = MAUTH_IDENTITY_UNREADABLE;
    CHECK_INT(decide(&f, NULL), MAUTH_ANSWER_BAD_REQUEST);
    f.identity.state = MAUTH_IDENTITY_UNDECODABLE;
    CHECK_INT(decide(&f, NULL), MAUTH_ANSWER_UNSUPPORTED_ENCODING);
    CHECK_INT(mauth_answer_status(MAUTH_ANSWER_UNSUPPORTED_ENCODING, 1), 415);
    f.identity.state = MAUTH_IDENTITY_TOO_LARGE;
    CHECK_INT(decide(&f, NULL), MAUTH_ANSWER_TOO_LARGE);
    CHECK_INT(mauth_answer_status(MAUTH_ANSWER_TOO_LARGE, 1), 413);
    /* final: a user found later does not undo them */
    mauth_identity_add(&f.identity, 0, "free", 0);
    CHECK_INT(f.identity.state, MAUTH_IDENTITY_TOO_LARGE);
}

UNIT_TEST(verdict_of_another_trust_is_misdirected)
{
    mauth_facts_t f;
    mauth_reason_e reason;

    memset(&f, 0, sizeof(f));
    f.mutual = 1;
    f.other_trust = 1;
    f.verdict = verdict(MAUTH_VERIFY_FAILED, MAUTH_REASON_OTHER_TRUST);
    CHECK_INT(decide(&f, &reason), MAUTH_ANSWER_MISDIRECTED);
    CHECK_INT(mauth_answer_status(MAUTH_ANSWER_MISDIRECTED, 0), 421);
    /* even where nothing else is checked */
    f.enforce = 0;
    CHECK_INT(decide(&f, NULL), MAUTH_ANSWER_MISDIRECTED);
    /* a SUCCESS never survives another trust */
    f.verdict = *valid();
    CHECK_INT(decide(&f, NULL), MAUTH_ANSWER_MISDIRECTED);
}

UNIT_TEST(identity_matters_only_where_enforced)
{
    mauth_facts_t f;

    memset(&f, 0, sizeof(f));
    f.identity.state = MAUTH_IDENTITY_UNREADABLE;
    CHECK_INT(decide(&f, NULL), MAUTH_ANSWER_PASS);
    CHECK_INT(mauth_answer_status(MAUTH_ANSWER_PASS, 0), 0);
}

/* The word logs and MAUTH_REASON carry for each kind of refusal. */
UNIT_TEST(every_refusal_names_its_reason_in_one_word)
{
    mauth_facts_t f;
    mauth_decision_t d;
    mauth_verdict_t revoked = verdict(MAUTH_VERIFY_FAILED, MAUTH_REASON_REVOKED);

    f = enforce_facts(1, &revoked, 1);
    mauth_decide(&f, &d);
    CHECK_STR(d.token, "revoked");
    f = enforce_facts(0, none(), 1);
    mauth_decide(&f, &d);
    CHECK_STR(d.token, "mutual-authentication-failed");
    f = enforce_facts(1, valid(), 1);
    f.match = MAUTH_MATCH_NONE;
    mauth_decide(&f, &d);
    CHECK_STR(d.token, "not-registered");
    mauth_identity_add(&f.identity, 0, "u2", 0);
    mauth_decide(&f, &d);
    CHECK_STR(d.token, "conflicting-users");
    f.identity.state = MAUTH_IDENTITY_UNREADABLE;
    mauth_decide(&f, &d);
    CHECK_STR(d.token, "unreadable-credential");
    f.identity.state = MAUTH_IDENTITY_UNDECODABLE;
    mauth_decide(&f, &d);
    CHECK_STR(d.token, "body-encoding");
    f.identity.state = MAUTH_IDENTITY_TOO_LARGE;
    mauth_decide(&f, &d);
    CHECK_STR(d.token, "body-too-large");
    f.identity.state = MAUTH_IDENTITY_STORE_ERROR;
    mauth_decide(&f, &d);
    CHECK_STR(d.token, "store-unavailable");
    f.other_trust = 1;
    mauth_decide(&f, &d);
    CHECK_STR(d.token, "other-trust");
}

UNIT_TEST(refusal_line_names_reason_request_client_user_and_certificate)
{
    mauth_facts_t f = enforce_facts(0, none(), 1);
    mauth_cert_info_t leaf = {"ab12", "CN=alice", "CN=Issuing CA", "07D3", "", ""};
    mauth_decision_t d;

    mauth_decide(&f, &d);
    CHECK_STR(mauth_refusal_text(p, &d, "POST", "/services/Soap?x=1", "192.0.2.7", "alice",
                                 NULL),
              "refused (mutual-authentication-failed) POST /services/Soap?x=1 from "
              "192.0.2.7 as user alice: enforced user on the standard vhost; "
              "no client certificate");
    CHECK_CONTAINS(mauth_refusal_text(p, &d, "GET", "/", "::1", NULL, &leaf),
                   "from ::1: enforced user on the standard vhost; certificate subject "
                   "'CN=alice', issuer 'CN=Issuing CA', serial 07D3, SHA-256 ab12");
}

UNIT_TEST(a_body_is_announced_by_length_or_chunks_whatever_the_method)
{
    CHECK(mauth_body_announced("12", NULL));
    CHECK(mauth_body_announced(NULL, "chunked"));
    CHECK(!mauth_body_announced("0", NULL));
    CHECK(!mauth_body_announced("000", NULL));
    CHECK(!mauth_body_announced(NULL, NULL));
}

static const unit_test_t tests[] = {
    UNIT(enforced_on_mutual_with_registered_certificate_passes),
    UNIT(enforced_on_mutual_without_certificate_gets_the_page),
    UNIT(enforced_on_mutual_with_unregistered_certificate_gets_the_page),
    UNIT(failed_chain_gets_its_reason_whoever_the_user),
    UNIT(enforced_on_standard_gets_the_fault_whatever_the_certificate),
    UNIT(not_enforced_passes_with_or_without_certificate),
    UNIT(no_known_user_lets_the_application_decide),
    UNIT(store_outage_refuses_with_503),
    UNIT(required_certificate_refuses_its_absence_for_anyone),
    UNIT(any_enforced_credential_applies_its_requirement),
    UNIT(credentials_of_different_users_are_a_bad_request),
    UNIT(same_user_by_several_credentials_is_one_user),
    UNIT(store_error_on_any_credential_fails_closed),
    UNIT(unreadable_undecodable_and_oversized_credentials_refuse),
    UNIT(verdict_of_another_trust_is_misdirected),
    UNIT(identity_matters_only_where_enforced),
    UNIT(every_refusal_names_its_reason_in_one_word),
    UNIT(refusal_line_names_reason_request_client_user_and_certificate),
    UNIT(a_body_is_announced_by_length_or_chunks_whatever_the_method),
};

UNIT_MAIN("decide", tests)
