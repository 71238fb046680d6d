/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mod_mauth_answer.c: sending what the core decided.  A pass declines; a
 * refusal is logged once at warn (what an operator needs to find the
 * client) and answered with the Certificate Error page (unless an
 * ErrorDocument for its status is configured), the seed's SOAP fault or
 * its JSON twin (written by us, with their own content types), or a bare
 * status.  A subrequest's refusal is its status alone.
 */
#include "mod_mauth.h"

#include "apr_strings.h"
#include "http_core.h"
#include "http_protocol.h"


/* The Certificate Error page, unless an ErrorDocument for the status is
 * configured: the operator's page wins. */
static int refuse_with_page(request_rec *r, mauth_dir_conf_t *dc, mauth_reason_e reason,
                            int status)
{
    core_dir_config *core = ap_get_core_module_config(r->per_dir_config);
    int index = ap_index_of_response(status);

    /* httpd 2.4 keeps ErrorDocument in response_code_exprs, by index */
    if (!(core->response_code_exprs
          && apr_hash_get(core->response_code_exprs, &index, sizeof(index)))) {
        ap_custom_response(r, status,
                           mauth_render_certificate_page(r->pool, reason, dc->error_image));
    }
    return status;
}

/* The standard vhost's refusal: the seed's SOAP fault (500) or its JSON
 * form (401), written by us with its own content type. */
static int refuse_with_fault(request_rec *r, int soap, int status)
{
    const char *body = soap ? mauth_render_soap_fault(r->pool)
                            : mauth_render_json_error(r->pool);

    ap_discard_request_body(r);
    r->status = status;
    ap_set_content_type(r, soap ? "text/xml; charset=UTF-8" : "application/json;charset=UTF-8");
    ap_set_content_length(r, strlen(body));
    if (!r->header_only) {
        ap_rputs(body, r);
    }
    return DONE;
}

int mauth_answer(request_rec *r, mauth_conn_t *mc, const mauth_decision_t *d,
                 const char *user)
{
    mauth_dir_conf_t *dc = mauth_dir_conf(r);
    int soap = mauth_fault_is_soap(dc->fault_format,
                                   apr_table_get(r->headers_in, "Content-Type"),
                                   apr_table_get(r->headers_in, "SOAPAction") != NULL);
    int status = mauth_answer_status(d->answer, soap);
    int page_status = dc->error_status;

    const char *token = d->token;

    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, MAUTHNO(00053)
                  "%s: %s", d->answer == MAUTH_ANSWER_PASS ? "pass" : "refuse", d->why);
    /* for CustomLog: %{MAUTH_DECISION}e %{MAUTH_REASON}e */
    if (d->answer == MAUTH_ANSWER_PASS) {
        apr_table_setn(r->subprocess_env, "MAUTH_DECISION", "pass");
        return DECLINED;
    }
    apr_table_setn(r->subprocess_env, "MAUTH_DECISION", "refused");
    apr_table_setn(r->subprocess_env, "MAUTH_REASON", token);
    /* once, at a level the default LogLevel shows (mod_auth_basic's habit) */
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, MAUTHNO(00050) "%s",
                  mauth_refusal_text(r->pool, d, r->method, r->unparsed_uri, r->useragent_ip,
                                     user, mc ? mauth_conn_leaf_info(mc->state) : NULL));
    apr_table_setn(r->notes, "mauth-refused", token);
    if (d->answer == MAUTH_ANSWER_PAGE) {
        status = page_status;
    }
    if (r->main) {
        /* a subrequest's refusal is its status; its body would land in the
         * main response */
        return status;
    }
    switch (d->answer) {
    case MAUTH_ANSWER_PAGE:
        return refuse_with_page(r, dc, d->reason, status);
    case MAUTH_ANSWER_FAULT:
        return refuse_with_fault(r, soap, status);
    case MAUTH_ANSWER_UNAVAILABLE:
        return mauth_is_mutual(mauth_server_conf(r->server))
               ? refuse_with_page(r, dc, d->reason, status)
               : refuse_with_fault(r, soap, status);
    case MAUTH_ANSWER_UNSUPPORTED_ENCODING:
        apr_table_setn(r->err_headers_out, "Accept-Encoding", "identity");
        return status;
    default:
        return status;
    }
}
