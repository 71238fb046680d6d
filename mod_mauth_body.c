/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mod_mauth_body.c: the request body, read ahead of the handler.
 *
 * A request and every internal redirect and subrequest made for it are one
 * family: its body is read once (at most MAuthSOAPPeekLimit bytes, whatever
 * the method or content type) to find SOAP sessions, and whichever member
 * runs a handler reads it byte for byte through the bytes kept, in every
 * read mode.  With MergeTrailers on, trailer fields never join the headers
 * that were checked.  Never decides anything: mod_mauth_identity.c does.
 */
#include "mod_mauth.h"

#include "apr_strings.h"
#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_filter.h"

#define REPLAY_FILTER "MAUTH_BODY_REPLAY"

static ap_filter_rec_t *replay_filter;

static request_rec *family_head(request_rec *r)
{
    while (r->main || r->prev) {
        r = r->main ? r->main : r->prev;
    }
    return r;
}

mauth_family_t *mauth_family(request_rec *r)
{
    request_rec *head = family_head(r);
    mauth_family_t *family = ap_get_module_config(head->request_config, &mauth_module);

    if (family == NULL) {
        family = apr_pcalloc(head->pool, sizeof(*family));
        family->lookups = apr_hash_make(head->pool);
        family->soap_tokens = apr_array_make(head->pool, 2, sizeof(const char *));
        family->kept = apr_brigade_create(head->pool, head->connection->bucket_alloc);
        ap_set_module_config(head->request_config, &mauth_module, family);
    }
    return family;
}

/* ------------------------------------------------- request body */

/* Gives the handler the bytes we read before it, then steps aside: in
 * every mode a reader may ask for. */
static apr_status_t replay_body(ap_filter_t *f, apr_bucket_brigade *bb,
                                ap_input_mode_t mode, apr_read_type_e block,
                                apr_off_t readbytes)
{
    mauth_family_t *family = f->ctx;
    apr_bucket_brigade *kept = family->kept;
    apr_bucket *b, *copy, *split;
    apr_status_t rv;

    if (APR_BRIGADE_EMPTY(kept)) {
        ap_remove_input_filter(f);
        return ap_get_brigade(f->next, bb, mode, block, readbytes);
    }
    switch (mode) {
    case AP_MODE_READBYTES:
        if ((rv = apr_brigade_partition(kept, readbytes, &split)) != APR_SUCCESS
            && rv != APR_INCOMPLETE) {
            return rv;
        }
        while ((b = APR_BRIGADE_FIRST(kept)) != split && b != APR_BRIGADE_SENTINEL(kept)) {
            APR_BUCKET_REMOVE(b);
            APR_BRIGADE_INSERT_TAIL(bb, b);
        }
        return APR_SUCCESS;
    case AP_MODE_SPECULATIVE:
        for (b = APR_BRIGADE_FIRST(kept); b != APR_BRIGADE_SENTINEL(kept);
             b = APR_BUCKET_NEXT(b)) {
            if ((rv = apr_bucket_copy(b, &copy)) != APR_SUCCESS) {
                return rv;
            }
            APR_BRIGADE_INSERT_TAIL(bb, copy);
        }
        if (apr_brigade_partition(bb, readbytes, &split) == APR_SUCCESS) {
            while (split != APR_BRIGADE_SENTINEL(bb)) {
                b = split;
                split = APR_BUCKET_NEXT(split);
                apr_bucket_delete(b);
            }
        }
        return APR_SUCCESS;
    case AP_MODE_GETLINE:
        return apr_brigade_split_line(bb, kept, block, HUGE_STRING_LEN);
    case AP_MODE_EXHAUSTIVE:
        APR_BRIGADE_CONCAT(bb, kept);
        return ap_get_brigade(f->next, bb, mode, block, readbytes);
    default:
        /* EATCRLF, INIT: nothing of the body */
        return ap_get_brigade(f->next, bb, mode, block, readbytes);
    }
}

/* With MergeTrailers on, httpd adds a chunked body's trailer fields to the
 * request headers once the body is read: after the checks, before a proxied
 * back end or CGI may see them ("Authorization" or "Client-Cert" sent as a
 * trailer).  On our vhosts the headers stay those that were checked. */
static ap_filter_rec_t *trailer_guard_filter;

static apr_status_t guard_trailers(ap_filter_t *f, apr_bucket_brigade *bb,
                                   ap_input_mode_t mode, apr_read_type_e block,
                                   apr_off_t readbytes)
{
    apr_table_t *checked = f->ctx;
    apr_status_t rv = ap_get_brigade(f->next, bb, mode, block, readbytes);

    if (rv == APR_SUCCESS && !APR_BRIGADE_EMPTY(bb)
        && APR_BUCKET_IS_EOS(APR_BRIGADE_LAST(bb))) {
        const apr_array_header_t *now = apr_table_elts(f->r->headers_in);
        const apr_array_header_t *then = apr_table_elts(checked);
        int i, changed = now->nelts != then->nelts;
        for (i = 0; !changed && i < now->nelts; i++) {
            const apr_table_entry_t *e = &APR_ARRAY_IDX(now, i, apr_table_entry_t);
            const char *before = apr_table_get(checked, e->key);
            changed = before == NULL || strcmp(before, e->val) != 0;
        }
        if (changed) {
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, f->r, MAUTHNO(00073)
                          "trailer fields merged into the request headers after the "
                          "checks were dropped (MergeTrailers)");
            apr_table_clear(f->r->headers_in);
            apr_table_overlap(f->r->headers_in, checked, APR_OVERLAP_TABLES_SET);
        }
        ap_remove_input_filter(f);
    }
    return rv;
}

static void insert_trailer_guard(request_rec *r)
{
    core_server_config *core = ap_get_core_module_config(r->server->module_config);
    ap_filter_t *f;

    /* any request: HTTP/2 may bring trailers without Transfer-Encoding */
    if (!core->merge_trailers) {
        return;
    }
    for (f = r->input_filters; f; f = f->next) {
        if (f->frec == trailer_guard_filter) {
            return;
        }
    }
    ap_add_input_filter_handle(trailer_guard_filter,
                               apr_table_copy(r->pool, r->headers_in), r, r->connection);
}

static int has_replay_filter(request_rec *r)
{
    ap_filter_t *f;

    for (f = r->input_filters; f; f = f->next) {
        if (f->frec == replay_filter) {
            return 1;
        }
    }
    return 0;
}

/* Whichever request of the family runs a handler reads the body through
 * the bytes we kept (an internal redirect starts a new filter chain), and
 * past the trailer guard. */
static void insert_body_filters(request_rec *r)
{
    mauth_family_t *family;

    if (r->main || !mauth_server_conf(r->server)->engine) {
        return;
    }
    insert_trailer_guard(r);
    family = ap_get_module_config(family_head(r)->request_config, &mauth_module);
    if (family && !APR_BRIGADE_EMPTY(family->kept) && !has_replay_filter(r)) {
        ap_add_input_filter_handle(replay_filter, family, r, r->connection);
    }
}

/* Reads at most limit bytes of the body into the family's kept brigade;
 * the handler still gets all of it. */
static apr_status_t peek_body(request_rec *r, mauth_family_t *family, apr_off_t limit,
                              char **body, apr_size_t *len, int *complete)
{
    apr_bucket_brigade *bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    apr_off_t have = 0;
    apr_status_t rv = APR_SUCCESS;

    *complete = 0;
    while (have <= limit && !*complete) {
        rv = ap_get_brigade(r->input_filters, bb, AP_MODE_READBYTES, APR_BLOCK_READ,
                            limit + 1 - have);
        if (rv != APR_SUCCESS) {
            break;
        }
        if (APR_BRIGADE_EMPTY(bb)) {
            *complete = 1;
            break;
        }
        *complete = APR_BUCKET_IS_EOS(APR_BRIGADE_LAST(bb));
        if ((rv = ap_save_brigade(NULL, &family->kept, &bb, family_head(r)->pool))
                != APR_SUCCESS) {
            break;
        }
        apr_brigade_cleanup(bb);
        apr_brigade_length(family->kept, 1, &have);
    }
    /* one byte over the limit was read only to learn that it is over */
    if (have > limit) {
        *complete = 0;
    }
    if (!has_replay_filter(r)) {
        ap_add_input_filter_handle(replay_filter, family, r, r->connection);
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    return apr_brigade_pflatten(family->kept, body, len, r->pool);
}


/* The SOAP sessions of the family's body, read once, whatever its content
 * type: an application may parse any body as XML. */
void mauth_read_soap(request_rec *r, apr_off_t limit, mauth_family_t *family)
{
    request_rec *owner = r;
    const char *coding;
    char *body;
    apr_size_t len;
    int complete;

    /* a subrequest carries no body of its own: its main request's is it */
    while (owner->main) {
        owner = owner->main;
    }
    family->soap_read = 1;
    family->soap = MAUTH_SOAP_NOT_XML;
    if (!mauth_body_announced(apr_table_get(owner->headers_in, "Content-Length"),
                              apr_table_get(owner->headers_in, "Transfer-Encoding"))) {
        return;
    }
    coding = apr_table_get(owner->headers_in, "Content-Encoding");
    if (coding && *coding && strcasecmp(coding, "identity") != 0) {
        family->soap = MAUTH_SOAP_MALFORMED;
        family->undecodable = coding;
        return;
    }
    if (peek_body(owner, family, limit, &body, &len, &complete) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, MAUTHNO(00062)
                      "could not read the request body to look for SOAP sessions");
        family->soap = MAUTH_SOAP_MALFORMED;
        return;
    }
    family->soap = mauth_tokens_from_body(owner->pool,
                                          apr_table_get(owner->headers_in, "Content-Type"),
                                          body, len, complete, family->soap_tokens);
}

void mauth_body_register_hooks(apr_pool_t *p)
{
    ap_hook_insert_filter(insert_body_filters, NULL, NULL, APR_HOOK_MIDDLE);
    replay_filter = ap_register_input_filter(REPLAY_FILTER, replay_body, NULL,
                                             AP_FTYPE_RESOURCE);
    trailer_guard_filter = ap_register_input_filter("MAUTH_TRAILER_GUARD", guard_trailers,
                                                    NULL, AP_FTYPE_RESOURCE);
}
