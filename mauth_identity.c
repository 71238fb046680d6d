/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mauth_identity.c: the second layer of the seeds, certificate identity
 * verification.
 *
 * A fixup finds the request's user (r->user, or a session token resolved
 * through the store), asks the store whether mutual authentication is
 * enforced for that user, and if so requires, on the mutual vhost, a valid
 * client certificate uploaded for the user or its organisation; on the
 * standard vhost the enforced user is refused with the seed's SOAP fault or
 * its JSON twin.  Store answers are cached per process for a bounded time.
 * The store is reached through mod_dbd; a store that does not answer
 * refuses (503), never lets through.
 */
#include "mod_mauth.h"

#include "apr_base64.h"
#include "apr_strings.h"
#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"
#include "apr_dbd.h"
#include "mod_dbd.h"
#include "mod_ssl_openssl.h"
#include "util_filter.h"

#include "mauth_store.h"

#define MAUTH_DEFAULT_STORE_TTL apr_time_from_sec(30)
#define MAUTH_DEFAULT_STORE_NEGATIVE_TTL apr_time_from_sec(5)
#define MAUTH_DEFAULT_STORE_CACHE_SIZE 4096
#define MAUTH_DEFAULT_SOAP_PEEK_LIMIT (64 * 1024)
#define MAUTH_STORED_USER_MAX 480
#define REPLAY_FILTER "MAUTH_BODY_REPLAY"

/* Labels of the operators' own queries; ours are mauth_store_queries[]. */
#define LABEL_CUSTOM_USER "mauth_custom_user_by_name"
#define LABEL_CUSTOM_SESSION "mauth_custom_user_by_session"

static APR_OPTIONAL_FN_TYPE(ap_dbd_acquire) *dbd_acquire;
/* The store's lookups; the DBD backend is the one there is. */
static const mauth_store_ops_t *const store = &mauth_store_dbd_ops;
static mauth_cache_t *store_cache;         /* per child process */

/* ---------------------------------------------------------- directives */

const char *mauth_cmd_Enforce(cmd_parms *cmd, void *dcv, int on)
{
    ((mauth_dir_conf_t *)dcv)->enforce = on;
    if (on) {
        mauth_server_conf(cmd->server)->uses_store = 1;
    }
    return NULL;
}

const char *mauth_cmd_UserSource(cmd_parms *cmd, void *dcv, const char *arg)
{
    mauth_dir_conf_t *dc = dcv;
    mauth_user_source_t *source;
    const char *colon = strchr(arg, ':');
    const char *kind = colon ? apr_pstrmemdup(cmd->pool, arg, colon - arg) : arg;

    if (dc->user_sources == NULL) {
        dc->user_sources = apr_array_make(cmd->pool, 4, sizeof(mauth_user_source_t));
    }
    source = apr_array_push(dc->user_sources);
    source->name = colon ? colon + 1 : NULL;
    if (!strcasecmp(kind, "user")) {
        source->kind = MAUTH_SOURCE_REMOTE_USER;
    }
    else if (!strcasecmp(kind, "bearer")) {
        source->kind = MAUTH_SOURCE_BEARER;
    }
    else if (!strcasecmp(kind, "oauth")) {
        source->kind = MAUTH_SOURCE_OAUTH;
    }
    else if (!strcasecmp(kind, "soap")) {
        source->kind = MAUTH_SOURCE_SOAP;
    }
    else if (!strcasecmp(kind, "cookie") && source->name && *source->name) {
        source->kind = MAUTH_SOURCE_COOKIE;
    }
    else if (!strcasecmp(kind, "header") && source->name && *source->name) {
        source->kind = MAUTH_SOURCE_HEADER;
    }
    else {
        return apr_psprintf(cmd->pool, "MAuthUserSource: '%s' is not one of user, "
                            "bearer, oauth, soap, cookie:NAME, header:NAME", arg);
    }
    if (source->name && source->kind != MAUTH_SOURCE_COOKIE
        && source->kind != MAUTH_SOURCE_HEADER) {
        return apr_psprintf(cmd->pool, "MAuthUserSource: '%s' takes no name", kind);
    }
    return NULL;
}

const char *mauth_cmd_FaultFormat(cmd_parms *cmd, void *dcv, const char *arg)
{
    mauth_dir_conf_t *dc = dcv;

    if (!strcasecmp(arg, "auto")) {
        dc->fault_format = MAUTH_FAULT_AUTO;
    }
    else if (!strcasecmp(arg, "soap")) {
        dc->fault_format = MAUTH_FAULT_SOAP;
    }
    else if (!strcasecmp(arg, "json")) {
        dc->fault_format = MAUTH_FAULT_JSON;
    }
    else {
        return "MAuthFaultFormat must be 'auto', 'soap' or 'json'";
    }
    return NULL;
}

const char *mauth_cmd_SOAPPeekLimit(cmd_parms *cmd, void *dcv, const char *arg)
{
    mauth_dir_conf_t *dc = dcv;
    char *end;
    apr_int64_t bytes = apr_strtoi64(arg, &end, 10);

    if (*arg == '\0' || *end != '\0' || bytes < 1024 || bytes > 16 * 1024 * 1024) {
        return "MAuthSOAPPeekLimit must be a number of bytes from 1024 to 16777216";
    }
    dc->soap_peek_limit = (apr_off_t)bytes;
    return NULL;
}

const char *mauth_cmd_ForwardClientCert(cmd_parms *cmd, void *dcv, int on)
{
    ((mauth_dir_conf_t *)dcv)->forward_client_cert = on;
    return NULL;
}

/* MAuthUserQuery, MAuthSessionQuery: cmd->info says which; the SQL
 * replaces the default and returns the same columns. */
const char *mauth_cmd_StoreQuery(cmd_parms *cmd, void *dummy, const char *sql)
{
    mauth_server_conf_t *sc = mauth_server_conf(cmd->server);
    const char *err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT);
    const char *which = cmd->info;

    if (err) {
        return err;
    }
    if (!strcmp(which, LABEL_CUSTOM_USER)) {
        sc->user_query = sql;
    }
    else {
        sc->session_query = sql;
    }
    return NULL;
}

static const char *seconds(cmd_parms *cmd, const char *arg, apr_interval_time_t *out)
{
    char *end;
    long value = strtol(arg, &end, 10);

    if (*arg == '\0' || *end != '\0' || value < 0 || value > 86400) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a number of seconds "
                            "from 0 to 86400", cmd->cmd->name, arg);
    }
    *out = apr_time_from_sec(value);
    return NULL;
}

const char *mauth_cmd_StoreCacheTimeout(cmd_parms *cmd, void *dummy,
                                        const char *positive, const char *negative)
{
    mauth_server_conf_t *sc = mauth_server_conf(cmd->server);
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);

    if (err || (err = seconds(cmd, positive, &sc->store_ttl)) != NULL) {
        return err;
    }
    sc->store_negative_ttl = sc->store_ttl;
    return negative ? seconds(cmd, negative, &sc->store_negative_ttl) : NULL;
}

const char *mauth_cmd_StoreCacheSize(cmd_parms *cmd, void *dummy, const char *arg)
{
    mauth_server_conf_t *sc = mauth_server_conf(cmd->server);
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    char *end;
    long value = strtol(arg, &end, 10);

    if (err) {
        return err;
    }
    if (*arg == '\0' || *end != '\0' || value < 0 || value > (1 << 22)) {
        return "MAuthStoreCacheSize must be a number of entries from 0 to 4194304";
    }
    sc->store_cache_size = (int)value;
    return NULL;
}

/* ------------------------------------------------------- start-up */

/* Hands our statements to mod_dbd.  Runs before mod_dbd's post_config,
 * which groups every server's prepared statements. */
static int prepare_statements(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                              server_rec *base)
{
    APR_OPTIONAL_FN_TYPE(ap_dbd_prepare) *dbd_prepare = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_prepare);
    module *dbd_module = ap_find_linked_module("mod_dbd.c");
    apr_hash_t *prepared_for = apr_hash_make(ptemp);
    const mauth_store_query_t *q;
    server_rec *s;

    for (s = base; s; s = s->next) {
        mauth_server_conf_t *sc = mauth_server_conf(s);
        void *dbd_conf;
        if (sc->engine != 1 || !sc->uses_store) {
            continue;
        }
        if (dbd_prepare == NULL) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, MAUTHNO(00060)
                         "MAuthEnforce (%s:%u) needs mod_dbd: load it and set "
                         "DBDriver/DBDParams for the identity store",
                         s->defn_name, s->defn_line_number);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        /* vhosts without DBD directives share the main server's mod_dbd
         * configuration: prepare once for each distinct one */
        dbd_conf = dbd_module ? ap_get_module_config(s->module_config, dbd_module) : s;
        if (apr_hash_get(prepared_for, &dbd_conf, sizeof(dbd_conf))) {
            continue;
        }
        apr_hash_set(prepared_for, apr_pmemdup(ptemp, &dbd_conf, sizeof(dbd_conf)),
                     sizeof(dbd_conf), s);
        for (q = mauth_store_queries; q->label; q++) {
            dbd_prepare(s, q->sql, q->label);
        }
        if (sc->user_query) {
            dbd_prepare(s, sc->user_query, LABEL_CUSTOM_USER);
        }
        if (sc->session_query) {
            dbd_prepare(s, sc->session_query, LABEL_CUSTOM_SESSION);
        }
    }
    return OK;
}

static void retrieve_optional_fns(void)
{
    dbd_acquire = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire);
}

static void create_store_cache(apr_pool_t *pchild, server_rec *base)
{
    mauth_server_conf_t *sc = mauth_server_conf(base);
    int size = sc->store_cache_size >= 0 ? sc->store_cache_size
               : MAUTH_DEFAULT_STORE_CACHE_SIZE;

    if (size > 0) {
        store_cache = mauth_cache_create(pchild, size, MAUTH_STORED_USER_MAX);
    }
}

/* ------------------------------------------------- store, with cache */

typedef enum {
    WHO_FOUND,
    WHO_UNKNOWN,        /* no credential, or one the store does not know */
    WHO_UNDECIDED,      /* the SOAP body is larger than we may read */
    WHO_STORE_ERROR
} who_e;

static void cache_key(const char *kind, const char *a, const char *b,
                      unsigned char key[MAUTH_FINGERPRINT_LEN])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned int len = 0;

    /* NUL-separated, so no two inputs share a key */
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    EVP_DigestUpdate(md, kind, strlen(kind) + 1);
    EVP_DigestUpdate(md, a, strlen(a) + 1);
    EVP_DigestUpdate(md, b, strlen(b) + 1);
    EVP_DigestFinal_ex(md, key, &len);
    EVP_MD_CTX_free(md);
}

/* A user as the cache keeps it: two flags, then four NUL-ended strings;
 * a lone 'N' is a cached "not found". */
static apr_size_t user_pack(const mauth_store_user_t *u, char *out)
{
    const char *parts[4] = {u->user_id, u->username, u->org_id, u->org_name};
    apr_size_t len = 2, i, n;

    out[0] = u->org_mutual_auth ? '1' : '0';
    out[1] = u->user_permission ? '1' : '0';
    for (i = 0; i < 4; i++) {
        n = strlen(parts[i] ? parts[i] : "") + 1;
        if (len + n > MAUTH_STORED_USER_MAX) {
            return 0;
        }
        memcpy(out + len, parts[i] ? parts[i] : "", n);
        len += n;
    }
    return len;
}

static void user_unpack(apr_pool_t *p, const char *in, apr_size_t len, mauth_store_user_t *u)
{
    const char *s = in + 2;

    u->org_mutual_auth = in[0] == '1';
    u->user_permission = in[1] == '1';
    u->enforced = u->org_mutual_auth && u->user_permission;
    u->user_id = apr_pstrdup(p, s);
    s += strlen(s) + 1;
    u->username = apr_pstrdup(p, s);
    s += strlen(s) + 1;
    u->org_id = apr_pstrdup(p, s);
    s += strlen(s) + 1;
    u->org_name = apr_pstrdup(p, s);
}

static void cache_answer(mauth_server_conf_t *sc, const unsigned char *key,
                         const void *value, apr_size_t len, int positive)
{
    apr_time_t now = apr_time_now();
    apr_interval_time_t ttl = positive
        ? (sc->store_ttl >= 0 ? sc->store_ttl : MAUTH_DEFAULT_STORE_TTL)
        : (sc->store_negative_ttl >= 0 ? sc->store_negative_ttl
                                       : MAUTH_DEFAULT_STORE_NEGATIVE_TTL);

    if (store_cache && len) {
        mauth_cache_put(store_cache, key, value, len, now + ttl, now);
    }
}

/* A query failed: the server may have dropped this pooled connection (it
 * looks healthy until used) or lost the statements prepared on it
 * (PostgreSQL after a restart, SQLite after a schema change).  Reconnect if
 * needed and prepare ours again, once, before calling it an outage. */
static int prepare_again(request_rec *r, mauth_server_conf_t *sc, ap_dbd_t *dbd)
{
    const char *err = NULL;
    int rv = apr_dbd_check_conn(dbd->driver, dbd->pool, dbd->handle);

    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, MAUTHNO(00072)
                      "store connection is down and could not be reopened: %s",
                      apr_dbd_error(dbd->driver, dbd->handle, rv));
        return 0;
    }
    if (mauth_store_prepare_all(dbd->pool, dbd->driver, dbd->handle, dbd->prepared, &err)
            != MAUTH_STORE_OK
        || (sc->user_query
            && mauth_store_prepare(dbd->pool, dbd->driver, dbd->handle, dbd->prepared,
                                   LABEL_CUSTOM_USER, sc->user_query, &err) != MAUTH_STORE_OK)
        || (sc->session_query
            && mauth_store_prepare(dbd->pool, dbd->driver, dbd->handle, dbd->prepared,
                                   LABEL_CUSTOM_SESSION, sc->session_query, &err)
               != MAUTH_STORE_OK)) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, MAUTHNO(00070)
                      "re-preparing the store's statements failed: %s", err);
        return 0;
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, MAUTHNO(00071)
                  "store query failed; statements prepared again on this connection");
    return 1;
}

static ap_dbd_t *acquire_store(request_rec *r, const char **err)
{
    ap_dbd_t *dbd = dbd_acquire ? dbd_acquire(r) : NULL;

    if (dbd == NULL) {
        *err = dbd_acquire ? "mod_dbd has no database connection (see mod_dbd's log lines)"
                           : "mod_dbd is not loaded";
    }
    return dbd;
}

/* Looks up a user by name (token == 0) or by session token. */
static who_e lookup_user(request_rec *r, mauth_server_conf_t *sc, const char *credential,
                         int token, mauth_store_user_t *user)
{
    unsigned char key[MAUTH_FINGERPRINT_LEN];
    char packed[MAUTH_STORED_USER_MAX];
    apr_size_t len = 0;
    mauth_store_status_e status;
    const char *err = NULL;
    ap_dbd_t *dbd;

    cache_key(token ? "session" : "user", credential, "", key);
    if (store_cache && mauth_cache_get(store_cache, key, apr_time_now(), packed, &len)) {
        ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r, "store answer from cache");
        if (len == 1) {
            return WHO_UNKNOWN;
        }
        user_unpack(r->pool, packed, len, user);
        return WHO_FOUND;
    }
    status = MAUTH_STORE_ERROR;
    if ((dbd = acquire_store(r, &err)) != NULL) {
        int attempt;
        for (attempt = 0; attempt < 2; attempt++) {
            if (token) {
                status = store->user_by_session(
                    r->pool, dbd->driver, dbd->handle, dbd->prepared,
                    sc->session_query ? LABEL_CUSTOM_SESSION : NULL,
                    credential, apr_time_now(), user, &err);
            }
            else {
                status = store->user_by_name(
                    r->pool, dbd->driver, dbd->handle, dbd->prepared,
                    sc->user_query ? LABEL_CUSTOM_USER : NULL, credential, user, &err);
            }
            if (status != MAUTH_STORE_ERROR || attempt || !prepare_again(r, sc, dbd)) {
                break;
            }
        }
    }
    switch (status) {
    case MAUTH_STORE_OK:
        cache_answer(sc, key, packed, user_pack(user, packed), 1);
        return WHO_FOUND;
    case MAUTH_STORE_NOT_FOUND:
        cache_answer(sc, key, "N", 1, 0);
        return WHO_UNKNOWN;
    default:
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, MAUTHNO(00061)
                      "identity store failed looking up a %s: %s",
                      token ? "session" : "user", err ? err : "unknown error");
        return WHO_STORE_ERROR;
    }
}

/* ------------------------------------------------- request body */

/* Gives the handler the bytes we read before it, then steps aside. */
static apr_status_t replay_body(ap_filter_t *f, apr_bucket_brigade *bb,
                                ap_input_mode_t mode, apr_read_type_e block,
                                apr_off_t readbytes)
{
    apr_bucket_brigade *kept = f->ctx;
    apr_bucket *split;
    apr_status_t rv;

    if (APR_BRIGADE_EMPTY(kept)) {
        ap_remove_input_filter(f);
        return ap_get_brigade(f->next, bb, mode, block, readbytes);
    }
    if (mode == AP_MODE_SPECULATIVE) {
        apr_bucket *b, *copy;
        for (b = APR_BRIGADE_FIRST(kept); b != APR_BRIGADE_SENTINEL(kept);
             b = APR_BUCKET_NEXT(b)) {
            if ((rv = apr_bucket_copy(b, &copy)) != APR_SUCCESS) {
                return rv;
            }
            APR_BRIGADE_INSERT_TAIL(bb, copy);
        }
        return APR_SUCCESS;
    }
    if (mode == AP_MODE_READBYTES
        && apr_brigade_partition(kept, readbytes, &split) == APR_SUCCESS) {
        apr_bucket_brigade *rest = apr_brigade_split_ex(kept, split, NULL);
        APR_BRIGADE_CONCAT(bb, kept);
        APR_BRIGADE_CONCAT(kept, rest);
        apr_brigade_destroy(rest);
        return APR_SUCCESS;
    }
    APR_BRIGADE_CONCAT(bb, kept);
    return APR_SUCCESS;
}

/* Reads at most limit bytes of the body; the handler still gets all of it. */
static apr_status_t peek_body(request_rec *r, apr_off_t limit, char **body,
                              apr_size_t *len, int *complete)
{
    apr_bucket_brigade *kept = apr_brigade_create(r->pool, r->connection->bucket_alloc);
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
        if ((rv = ap_save_brigade(NULL, &kept, &bb, r->pool)) != APR_SUCCESS) {
            break;
        }
        apr_brigade_cleanup(bb);
        apr_brigade_length(kept, 1, &have);
    }
    /* one byte over the limit was read only to learn that it is over */
    if (have > limit) {
        *complete = 0;
    }
    ap_add_input_filter(REPLAY_FILTER, kept, r, r->connection);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    return apr_brigade_pflatten(kept, body, len, r->pool);
}

static const char *soap_token(request_rec *r, mauth_dir_conf_t *dc, who_e *why)
{
    const char *type = apr_table_get(r->headers_in, "Content-Type");
    apr_off_t limit = dc->soap_peek_limit > 0 ? dc->soap_peek_limit
                                               : MAUTH_DEFAULT_SOAP_PEEK_LIMIT;
    const char *token = NULL;
    char *body;
    apr_size_t len;
    int complete;

    if (!ap_request_has_body(r) || type == NULL
        || !(ap_strcasestr(type, "xml") || apr_table_get(r->headers_in, "SOAPAction"))) {
        return NULL;
    }
    if (peek_body(r, limit, &body, &len, &complete) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, MAUTHNO(00062)
                      "could not read the request body to look for a SOAP session");
        return NULL;
    }
    switch (mauth_token_from_soap(r->pool, body, len, complete, &token)) {
    case MAUTH_SOAP_FOUND:
        return token;
    case MAUTH_SOAP_UNDECIDED:
        *why = WHO_UNDECIDED;
        return NULL;
    case MAUTH_SOAP_MALFORMED:
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, MAUTHNO(00063)
                      "request body is not well-formed XML; no SOAP session in it");
        return NULL;
    default:
        return NULL;
    }
}

/* ------------------------------------------------- who is the user */

static const mauth_user_source_t default_sources[] = {
    {MAUTH_SOURCE_REMOTE_USER, NULL},
    {MAUTH_SOURCE_BEARER, NULL},
    {MAUTH_SOURCE_OAUTH, NULL},
    {MAUTH_SOURCE_SOAP, NULL},
};

static who_e find_user(request_rec *r, mauth_server_conf_t *sc, mauth_dir_conf_t *dc,
                       mauth_store_user_t *user, const char **how)
{
    const mauth_user_source_t *sources = default_sources;
    int count = sizeof(default_sources) / sizeof(default_sources[0]), i;
    who_e undecided = WHO_UNKNOWN;

    if (dc->user_sources) {
        sources = (const mauth_user_source_t *)dc->user_sources->elts;
        count = dc->user_sources->nelts;
    }
    for (i = 0; i < count; i++) {
        const char *credential = NULL;
        int token = 1;
        switch (sources[i].kind) {
        case MAUTH_SOURCE_REMOTE_USER:
            credential = r->user;
            token = 0;
            *how = "r->user";
            break;
        case MAUTH_SOURCE_BEARER:
            credential = mauth_token_from_authorization(
                r->pool, apr_table_get(r->headers_in, "Authorization"), "Bearer");
            *how = "Bearer token";
            break;
        case MAUTH_SOURCE_OAUTH:
            credential = mauth_token_from_authorization(
                r->pool, apr_table_get(r->headers_in, "Authorization"), "OAuth");
            *how = "OAuth token";
            break;
        case MAUTH_SOURCE_COOKIE:
            credential = mauth_token_from_cookie(
                r->pool, apr_table_get(r->headers_in, "Cookie"), sources[i].name);
            *how = "session cookie";
            break;
        case MAUTH_SOURCE_HEADER:
            credential = apr_table_get(r->headers_in, sources[i].name);
            *how = "session header";
            break;
        case MAUTH_SOURCE_SOAP:
            credential = soap_token(r, dc, &undecided);
            *how = "SOAP SessionHeader";
            break;
        }
        if (credential && *credential) {
            /* the first credential present decides, known or not */
            return lookup_user(r, sc, credential, token, user);
        }
    }
    return undecided;
}

/* ------------------------------------------------- answers */

static int wants_soap(request_rec *r, mauth_dir_conf_t *dc)
{
    const char *type;

    if (dc->fault_format == MAUTH_FAULT_SOAP || dc->fault_format == MAUTH_FAULT_JSON) {
        return dc->fault_format == MAUTH_FAULT_SOAP;
    }
    type = apr_table_get(r->headers_in, "Content-Type");
    return apr_table_get(r->headers_in, "SOAPAction") != NULL
           || (type && (ap_strcasestr(type, "text/xml")
                        || ap_strcasestr(type, "application/soap+xml")));
}

/* The standard vhost's refusal: the seed's SOAP fault (500) or its JSON
 * form (401), written by us with its own content type. */
static int refuse_with_fault(request_rec *r, mauth_dir_conf_t *dc, int status)
{
    int soap = wants_soap(r, dc);
    const char *body = soap ? mauth_render_soap_fault(r->pool)
                            : mauth_render_json_error(r->pool);

    apr_table_setn(r->notes, "mauth-refused", "mutual-authentication-failed");
    ap_discard_request_body(r);
    r->status = status ? status : (soap ? HTTP_INTERNAL_SERVER_ERROR : HTTP_UNAUTHORIZED);
    ap_set_content_type(r, soap ? "text/xml; charset=UTF-8" : "application/json;charset=UTF-8");
    ap_set_content_length(r, strlen(body));
    if (!r->header_only) {
        ap_rputs(body, r);
    }
    return DONE;
}

static int refuse_unavailable(request_rec *r, mauth_dir_conf_t *dc, mauth_conn_t *mc,
                              int mutual)
{
    if (mutual) {
        return mauth_refuse_with_page(r, mc, MAUTH_REASON_STORE_UNAVAILABLE,
                                      HTTP_SERVICE_UNAVAILABLE);
    }
    return refuse_with_fault(r, dc, HTTP_SERVICE_UNAVAILABLE);
}

/* Whether the connection's leaf is uploaded for the user or its org. */
static mauth_store_status_e certificate_registered(request_rec *r, mauth_server_conf_t *sc,
                                                   const mauth_store_user_t *user,
                                                   const char *fingerprint,
                                                   mauth_store_match_t *match)
{
    unsigned char key[MAUTH_FINGERPRINT_LEN];
    char answer[MAUTH_STORED_USER_MAX];
    apr_size_t len = 0;
    const char *err = NULL;
    mauth_store_status_e status;
    ap_dbd_t *dbd;

    cache_key("certificate", apr_pstrcat(r->pool, user->user_id, "/", user->org_id, NULL),
              fingerprint, key);
    if (store_cache && mauth_cache_get(store_cache, key, apr_time_now(), answer, &len)) {
        match->org_wide = answer[0] == 'O';
        match->cert_id = answer + 1;
        return answer[0] == 'N' ? MAUTH_STORE_NOT_FOUND : MAUTH_STORE_OK;
    }
    status = MAUTH_STORE_ERROR;
    if ((dbd = acquire_store(r, &err)) != NULL) {
        int attempt;
        for (attempt = 0; attempt < 2; attempt++) {
            status = store->certificate_matches(r->pool, dbd->driver, dbd->handle,
                                                dbd->prepared, user, fingerprint,
                                                apr_time_now(), match, &err);
            if (status != MAUTH_STORE_ERROR || attempt || !prepare_again(r, sc, dbd)) {
                break;
            }
        }
    }
    if (status == MAUTH_STORE_OK) {
        const char *packed = apr_pstrcat(r->pool, match->org_wide ? "O" : "U",
                                         match->cert_id ? match->cert_id : "", NULL);
        cache_answer(sc, key, packed, strlen(packed) + 1, 1);
    }
    else if (status == MAUTH_STORE_NOT_FOUND) {
        cache_answer(sc, key, "N", 2, 0);
    }
    else {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, MAUTHNO(00064)
                      "identity store failed matching a certificate: %s",
                      err ? err : "unknown error");
    }
    return status;
}

void mauth_identity_strip_headers(request_rec *r)
{
    apr_table_unset(r->headers_in, "Client-Cert");
    apr_table_unset(r->headers_in, "Client-Cert-Chain");
}

/* RFC 9440: the leaf and the intermediates as sf-binary, straight from DER. */
static const char *sf_binary(apr_pool_t *p, X509 *cert)
{
    int der_len = i2d_X509(cert, NULL);
    unsigned char *der, *end;
    char *out;

    if (der_len <= 0) {
        return NULL;
    }
    der = end = apr_palloc(p, der_len);
    i2d_X509(cert, &end);
    out = apr_palloc(p, apr_base64_encode_len(der_len) + 2);
    out[0] = ':';
    apr_base64_encode_binary(out + 1, der, der_len);
    return apr_pstrcat(p, out, ":", NULL);
}

/* The headers are the same for every request of the connection: encoded
 * once, from the connection's pool. */
static void forward_client_cert(request_rec *r, mauth_conn_t *mc)
{
    X509 *leaf = mauth_ssl_leaf(mc);
    int i;

    if (leaf == NULL) {
        return;
    }
    if (mc->client_cert == NULL) {
        STACK_OF(X509) *chain = SSL_get_peer_cert_chain(mc->ssl);
        const char *value;
        mc->client_cert = sf_binary(mc->c->pool, leaf);
        for (i = 0; chain && i < sk_X509_num(chain); i++) {
            X509 *cert = sk_X509_value(chain, i);
            if (X509_cmp(cert, leaf) != 0 && (value = sf_binary(mc->c->pool, cert)) != NULL) {
                mc->client_cert_chain = mc->client_cert_chain
                    ? apr_pstrcat(mc->c->pool, mc->client_cert_chain, ", ", value, NULL)
                    : value;
            }
        }
    }
    if (mc->client_cert) {
        apr_table_setn(r->headers_in, "Client-Cert", mc->client_cert);
    }
    if (mc->client_cert_chain) {
        apr_table_setn(r->headers_in, "Client-Cert-Chain", mc->client_cert_chain);
    }
}

/* ------------------------------------------------- the decision */

static int check_identity_layer(request_rec *r)
{
    mauth_server_conf_t *sc = mauth_server_conf(r->server);
    mauth_dir_conf_t *dc = ap_get_module_config(r->per_dir_config, &mauth_module);
    int mutual = mauth_is_mutual(sc);
    mauth_conn_t *mc = mutual ? mauth_ssl_conn(r->connection) : NULL;
    mauth_store_user_t user;
    mauth_store_match_t match = {NULL, 0};
    const char *how = "nothing";
    const char *fingerprint;

    if (sc->engine != 1 || !ap_is_initial_req(r)) {
        return DECLINED;
    }
    if (mutual && mc && dc->forward_client_cert == 1
        && mc->verdict.status == MAUTH_VERIFY_SUCCESS) {
        forward_client_cert(r, mc);
    }
    if (dc->enforce != 1) {
        return DECLINED;
    }
    memset(&user, 0, sizeof(user));
    switch (find_user(r, sc, dc, &user, &how)) {
    case WHO_STORE_ERROR:
        return refuse_unavailable(r, dc, mc, mutual);
    case WHO_UNDECIDED:
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, MAUTHNO(00065)
                      "refused: the SOAP body is larger than MAuthSOAPPeekLimit and "
                      "no other credential names the user");
        return HTTP_REQUEST_ENTITY_TOO_LARGE;
    case WHO_UNKNOWN:
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, MAUTHNO(00066)
                      "no user determined (%s); the application decides", how);
        return DECLINED;
    case WHO_FOUND:
        break;
    }
    apr_table_setn(r->subprocess_env, "MAUTH_USER", user.username);
    apr_table_setn(r->subprocess_env, "MAUTH_ORG", user.org_name);
    apr_table_setn(r->subprocess_env, "MAUTH_ENFORCED", user.enforced ? "true" : "false");
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, MAUTHNO(00067)
                  "user '%s' of '%s' from %s: mutual authentication %s",
                  user.username, user.org_name, how,
                  user.enforced ? "enforced"
                  : user.org_mutual_auth ? "not enforced (no permission)"
                  : "not enforced (organisation switch off)");
    if (!user.enforced) {
        return DECLINED;
    }
    if (!mutual) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, MAUTHNO(00068)
                      "refused user '%s' on the standard port: mutual authentication "
                      "is enforced for this user", user.username);
        return refuse_with_fault(r, dc, 0);
    }
    if (mc == NULL || mc->verdict.status == MAUTH_VERIFY_NONE) {
        return mauth_refuse_with_page(r, mc, MAUTH_REASON_NO_CERTIFICATE, 0);
    }
    if (mc->verdict.status != MAUTH_VERIFY_SUCCESS) {
        return mauth_refuse_with_page(r, mc, mc->verdict.reason, 0);
    }
    fingerprint = apr_table_get(r->subprocess_env, "MAUTH_CLIENT_CERT_SHA256");
    switch (certificate_registered(r, sc, &user, fingerprint ? fingerprint : "", &match)) {
    case MAUTH_STORE_OK:
        apr_table_setn(r->subprocess_env, "MAUTH_CERT_MATCHED",
                       match.org_wide ? "organization" : "user");
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, MAUTHNO(00069)
                      "certificate %s is registered for %s '%s': granted", fingerprint,
                      match.org_wide ? "organisation" : "user",
                      match.org_wide ? user.org_name : user.username);
        return DECLINED;
    case MAUTH_STORE_NOT_FOUND:
        apr_table_setn(r->subprocess_env, "MAUTH_CERT_MATCHED", "none");
        return mauth_refuse_with_page(r, mc, MAUTH_REASON_NOT_REGISTERED, 0);
    default:
        return refuse_unavailable(r, dc, mc, mutual);
    }
}

void mauth_identity_register_hooks(apr_pool_t *p)
{
    static const char *const before_dbd[] = {"mod_dbd.c", NULL};

    ap_hook_post_config(prepare_statements, NULL, before_dbd, APR_HOOK_FIRST);
    ap_hook_optional_fn_retrieve(retrieve_optional_fns, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(create_store_cache, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_fixups(check_identity_layer, NULL, NULL, APR_HOOK_FIRST);
    ap_register_input_filter(REPLAY_FILTER, replay_body, NULL, AP_FTYPE_RESOURCE);
}
