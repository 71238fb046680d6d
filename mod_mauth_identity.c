/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mod_mauth_identity.c: the second layer of the seeds, certificate identity
 * verification.
 *
 * A fixup finds the request's user (r->user, or a session token resolved
 * through the store), asks the store whether mutual authentication is
 * enforced for that user, and if so requires, on the mutual vhost, a valid
 * client certificate uploaded for the user or its organisation; on the
 * standard vhost the enforced user is refused with the seed's SOAP fault or
 * its JSON twin.  Store answers are cached per process for a bounded time.
 * The store is reached through mod_dbd (mod_mauth_dbd.c, which also gets past
 * a bad pooled connection); a store that does not answer refuses (503),
 * never lets through.
 */
#include "mod_mauth.h"

#include "apr_base64.h"
#include "apr_strings.h"
#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"
#include "mod_ssl_openssl.h"
#include "util_filter.h"


#define MAUTH_DEFAULT_STORE_TTL apr_time_from_sec(30)
#define MAUTH_DEFAULT_STORE_NEGATIVE_TTL apr_time_from_sec(5)
#define MAUTH_DEFAULT_STORE_CACHE_SIZE 4096
#define MAUTH_DEFAULT_SOAP_PEEK_LIMIT (64 * 1024)
#define MAUTH_STORED_USER_MAX 480
#define REPLAY_FILTER "MAUTH_BODY_REPLAY"

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
    if (!strcmp(which, MAUTH_LABEL_CUSTOM_USER)) {
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
    WHO_UNKNOWN,        /* a credential the store does not know */
    WHO_STORE_ERROR
} who_e;

/* The per-process cache serves every vhost: an answer is keyed by the
 * store that gave it (its mod_dbd configuration and queries), so one vhost's
 * "unknown session" is never another's. */
static void cache_key(const mauth_server_conf_t *sc, const char *kind, const char *a,
                      const char *b, unsigned char key[MAUTH_FINGERPRINT_LEN])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned int len = 0;

    /* NUL-separated, so no two inputs share a key */
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    /* no store_id: MAuthEnforce only in .htaccess, where nothing was
     * prepared; the lookups then fail closed */
    EVP_DigestUpdate(md, sc->store_id ? sc->store_id : "", sc->store_id ? strlen(sc->store_id) + 1 : 1);
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

/* The store calls, as mauth_dbd_run runs them on a connection. */
typedef struct {
    mauth_server_conf_t *sc;
    const char *credential;
    int token;
    mauth_store_user_t *user;
} user_call_t;

static mauth_store_status_e call_user(request_rec *r, const apr_dbd_driver_t *driver,
                                      apr_dbd_t *handle, apr_hash_t *prepared,
                                      void *baton, const char **err)
{
    user_call_t *c = baton;
    const char *label;

    if (c->token) {
        label = c->sc->session_query ? MAUTH_LABEL_CUSTOM_SESSION : NULL;
        return store->user_by_session(r->pool, driver, handle, prepared, label,
                                      c->credential, apr_time_now(), c->user, err);
    }
    label = c->sc->user_query ? MAUTH_LABEL_CUSTOM_USER : NULL;
    return store->user_by_name(r->pool, driver, handle, prepared, label,
                               c->credential, c->user, err);
}

typedef struct {
    const mauth_store_user_t *user;
    const char *fingerprint;
    mauth_store_match_t *match;
} cert_call_t;

static mauth_store_status_e call_certificate(request_rec *r, const apr_dbd_driver_t *driver,
                                             apr_dbd_t *handle, apr_hash_t *prepared,
                                             void *baton, const char **err)
{
    cert_call_t *c = baton;

    return store->certificate_matches(r->pool, driver, handle, prepared, c->user,
                                      c->fingerprint, apr_time_now(), c->match, err);
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
    user_call_t call;

    cache_key(sc, token ? "session" : "user", credential, "", key);
    if (store_cache && mauth_cache_get(store_cache, key, apr_time_now(), packed, &len)) {
        ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r, "store answer from cache");
        if (len == 1) {
            return WHO_UNKNOWN;
        }
        user_unpack(r->pool, packed, len, user);
        return WHO_FOUND;
    }
    call.sc = sc;
    call.credential = credential;
    call.token = token;
    call.user = user;
    status = mauth_dbd_run(r, call_user, &call, &err);
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

/* ------------------------------------------------- a request's family */

/*
 * What one client request has shown so far, shared by the request and every
 * internal redirect and subrequest made for it: the body bytes read to find
 * SOAP sessions (replayed to whichever handler reads the body) and the
 * store's answer for each credential, so each is read and looked up once.
 */
typedef struct {
    int soap_read;                     /* soap and soap_tokens are known */
    mauth_soap_e soap;
    const char *undecodable;           /* the body's content coding, when we
                                        * cannot read through it */
    apr_array_header_t *soap_tokens;   /* const char * */
    apr_bucket_brigade *kept;          /* body bytes read ahead of the handler */
    apr_hash_t *lookups;               /* "kind\0credential" -> lookup_t */
} family_t;

typedef struct {
    who_e who;
    mauth_store_user_t user;
} lookup_t;

static ap_filter_rec_t *replay_filter;

static request_rec *family_head(request_rec *r)
{
    while (r->main || r->prev) {
        r = r->main ? r->main : r->prev;
    }
    return r;
}

static family_t *family_of(request_rec *r)
{
    request_rec *head = family_head(r);
    family_t *family = ap_get_module_config(head->request_config, &mauth_module);

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
    family_t *family = f->ctx;
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

    if (!core->merge_trailers || !apr_table_get(r->headers_in, "Transfer-Encoding")) {
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
    family_t *family;

    if (r->main || mauth_server_conf(r->server)->engine != 1) {
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
static apr_status_t peek_body(request_rec *r, family_t *family, apr_off_t limit,
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

/* Whether the client sends a body, whatever the method: a HEAD or GET with
 * one reaches a CGI's stdin too (ap_request_has_body says no for HEAD). */
static int sends_body(request_rec *r)
{
    const char *length = apr_table_get(r->headers_in, "Content-Length");

    return apr_table_get(r->headers_in, "Transfer-Encoding") != NULL
           || (length && strspn(length, "0") != strlen(length));
}

/* The SOAP sessions of the family's body, read once, whatever its content
 * type: an application may parse any body as XML. */
static void read_soap(request_rec *r, mauth_dir_conf_t *dc, family_t *family)
{
    request_rec *owner = r;
    apr_off_t limit = dc->soap_peek_limit > 0 ? dc->soap_peek_limit
                                               : MAUTH_DEFAULT_SOAP_PEEK_LIMIT;
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
    if (!sends_body(owner)) {
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

/* ------------------------------------------------- who is the user */

static const mauth_user_source_t default_sources[] = {
    {MAUTH_SOURCE_REMOTE_USER, NULL},
    {MAUTH_SOURCE_BEARER, NULL},
    {MAUTH_SOURCE_OAUTH, NULL},
    {MAUTH_SOURCE_SOAP, NULL},
};

/* Credentials found so far, and whether one could not be read. */
typedef struct {
    apr_array_header_t *names;         /* const char *: user names (r->user) */
    apr_array_header_t *tokens;        /* const char *: session tokens */
    mauth_identity_e failed;           /* UNREADABLE, UNDECODABLE, TOO_LARGE or NONE */
    const char *failed_where;
} credentials_t;

static void cannot_read(credentials_t *cr, mauth_identity_e why, const char *where)
{
    if (cr->failed == MAUTH_IDENTITY_NONE) {
        cr->failed = why;
        cr->failed_where = where;
    }
}

/* found and token: what a finder said of one place */
static void take(credentials_t *cr, mauth_cred_e found, const char *token, const char *where)
{
    if (found == MAUTH_CRED_FOUND) {
        *(const char **)apr_array_push(cr->tokens) = token;
    }
    else if (found == MAUTH_CRED_UNREADABLE) {
        cannot_read(cr, MAUTH_IDENTITY_UNREADABLE, where);
    }
}

static void take_soap(request_rec *r, mauth_dir_conf_t *dc, credentials_t *cr)
{
    family_t *family = family_of(r);

    if (!family->soap_read) {
        read_soap(r, dc, family);
    }
    switch (family->soap) {
    case MAUTH_SOAP_FOUND:
        apr_array_cat(cr->tokens, family->soap_tokens);
        break;
    case MAUTH_SOAP_MALFORMED:
        if (family->undecodable) {
            cannot_read(cr, MAUTH_IDENTITY_UNDECODABLE, "request body (content coding)");
        }
        else {
            cannot_read(cr, MAUTH_IDENTITY_UNREADABLE, "request body (XML)");
        }
        break;
    case MAUTH_SOAP_UNDECIDED:
        cannot_read(cr, MAUTH_IDENTITY_TOO_LARGE, "request body (beyond MAuthSOAPPeekLimit)");
        break;
    default:
        break;
    }
}

typedef struct {
    request_rec *r;
    const char *name;
    credentials_t *cr;
} header_search_t;

static int take_header(void *baton, const char *key, const char *value)
{
    header_search_t *hs = baton;
    const char *token = NULL;
    mauth_cred_e found;

    if (mauth_same_header_name(key, hs->name)) {
        found = mauth_token_from_header(hs->r->pool, value, &token);
        take(hs->cr, found, token, "session header");
    }
    return 1;
}

/* Every credential the location's sources name, read in full: the
 * application may read any of them, so none is ignored. */
static void gather_credentials(request_rec *r, mauth_dir_conf_t *dc, credentials_t *cr)
{
    const mauth_user_source_t *sources = default_sources;
    int count = sizeof(default_sources) / sizeof(default_sources[0]), i;
    const char *token = NULL;
    mauth_cred_e found;

    cr->names = apr_array_make(r->pool, 1, sizeof(const char *));
    cr->tokens = apr_array_make(r->pool, 4, sizeof(const char *));
    cr->failed = MAUTH_IDENTITY_NONE;
    if (dc->user_sources) {
        sources = (const mauth_user_source_t *)dc->user_sources->elts;
        count = dc->user_sources->nelts;
    }
    /* the body first: reading it to its end merges a chunked body's
     * trailers (MergeTrailers) into the headers read below */
    for (i = 0; i < count; i++) {
        if (sources[i].kind == MAUTH_SOURCE_SOAP) {
            take_soap(r, dc, cr);
            break;
        }
    }
    for (i = 0; i < count; i++) {
        switch (sources[i].kind) {
        case MAUTH_SOURCE_REMOTE_USER:
            if (r->user && *r->user) {
                *(const char **)apr_array_push(cr->names) = r->user;
            }
            break;
        case MAUTH_SOURCE_BEARER:
        case MAUTH_SOURCE_OAUTH:
            found = mauth_token_from_authorization(
                r->pool, apr_table_getm(r->pool, r->headers_in, "Authorization"),
                sources[i].kind == MAUTH_SOURCE_BEARER ? "Bearer" : "OAuth", &token);
            take(cr, found, token, "Authorization header");
            break;
        case MAUTH_SOURCE_COOKIE:
            if (mauth_tokens_from_cookie(r->pool,
                                         apr_table_getm(r->pool, r->headers_in, "Cookie"),
                                         sources[i].name, cr->tokens)
                    == MAUTH_CRED_UNREADABLE) {
                cannot_read(cr, MAUTH_IDENTITY_UNREADABLE, "session cookie");
            }
            break;
        case MAUTH_SOURCE_HEADER: {
            /* X-Session-Id, and its X_Session_Id twin a back end reads alike;
             * httpd has merged repeats of one spelling with commas */
            header_search_t hs = {r, sources[i].name, cr};
            apr_table_do(take_header, &hs, r->headers_in, NULL);
            break;
        }
        case MAUTH_SOURCE_SOAP:
            break;
        }
    }
}

/* The store's answer for one credential, asked once per request family. */
static const lookup_t *look_up(request_rec *r, mauth_server_conf_t *sc, const char *credential,
                               int token)
{
    family_t *family = family_of(r);
    apr_pool_t *pool = family_head(r)->pool;
    const char *key = apr_pstrcat(r->pool, token ? "session:" : "user:", credential, NULL);
    lookup_t *found = apr_hash_get(family->lookups, key, APR_HASH_KEY_STRING);

    if (found == NULL) {
        found = apr_pcalloc(pool, sizeof(*found));
        found->who = lookup_user(r, sc, credential, token, &found->user);
        if (found->who == WHO_FOUND) {
            /* lookup_user answers from r->pool; the family outlives it */
            found->user.user_id = apr_pstrdup(pool, found->user.user_id);
            found->user.username = apr_pstrdup(pool, found->user.username);
            found->user.org_id = apr_pstrdup(pool, found->user.org_id);
            found->user.org_name = apr_pstrdup(pool, found->user.org_name);
        }
        apr_hash_set(family->lookups, apr_pstrdup(pool, key), APR_HASH_KEY_STRING, found);
    }
    return found;
}

static void fold(request_rec *r, mauth_identity_t *identity, const lookup_t *l,
                 const mauth_store_user_t **user)
{
    mauth_identity_add(identity, l->who == WHO_STORE_ERROR,
                       l->who == WHO_FOUND ? l->user.user_id : NULL, l->user.enforced);
    if (l->who == WHO_FOUND) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, MAUTHNO(00067)
                      "credential names user '%s' of '%s': mutual authentication %s",
                      l->user.username, l->user.org_name,
                      l->user.enforced ? "enforced"
                      : l->user.org_mutual_auth ? "not enforced (no permission)"
                      : "not enforced (organisation switch off)");
        if (*user == NULL || l->user.enforced) {
            *user = &l->user;
        }
    }
}

/* Who the request is, from every credential it carries. */
static void find_identity(request_rec *r, mauth_server_conf_t *sc, mauth_dir_conf_t *dc,
                          mauth_identity_t *identity, const mauth_store_user_t **user)
{
    credentials_t cr;
    int i;

    memset(identity, 0, sizeof(*identity));
    *user = NULL;
    gather_credentials(r, dc, &cr);
    if (cr.failed != MAUTH_IDENTITY_NONE) {
        identity->state = cr.failed;
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, MAUTHNO(00066)
                      "a credential cannot be read with certainty: %s", cr.failed_where);
        return;
    }
    for (i = 0; i < cr.names->nelts; i++) {
        fold(r, identity, look_up(r, sc, APR_ARRAY_IDX(cr.names, i, const char *), 0), user);
    }
    for (i = 0; i < cr.tokens->nelts; i++) {
        fold(r, identity, look_up(r, sc, APR_ARRAY_IDX(cr.tokens, i, const char *), 1), user);
    }
}

/* ------------------------------------------------- certificate match */

/* Whether the connection's leaf is uploaded for the user or its org. */
static mauth_match_e certificate_registered(request_rec *r, mauth_server_conf_t *sc,
                                            const mauth_store_user_t *user,
                                            const char *fingerprint)
{
    unsigned char key[MAUTH_FINGERPRINT_LEN];
    char answer[MAUTH_STORED_USER_MAX];
    apr_size_t len = 0;
    const char *err = NULL;
    mauth_store_match_t match = {NULL, 0};
    mauth_store_status_e status;
    cert_call_t call;

    cache_key(sc, "certificate", apr_pstrcat(r->pool, user->user_id, "/", user->org_id, NULL),
              fingerprint, key);
    if (store_cache && mauth_cache_get(store_cache, key, apr_time_now(), answer, &len)) {
        return answer[0] == 'N' ? MAUTH_MATCH_NONE
               : answer[0] == 'O' ? MAUTH_MATCH_ORG : MAUTH_MATCH_USER;
    }
    call.user = user;
    call.fingerprint = fingerprint;
    call.match = &match;
    status = mauth_dbd_run(r, call_certificate, &call, &err);
    switch (status) {
    case MAUTH_STORE_OK:
        cache_answer(sc, key, match.org_wide ? "O" : "U", 2, 1);
        return match.org_wide ? MAUTH_MATCH_ORG : MAUTH_MATCH_USER;
    case MAUTH_STORE_NOT_FOUND:
        cache_answer(sc, key, "N", 2, 0);
        return MAUTH_MATCH_NONE;
    default:
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, MAUTHNO(00064)
                      "identity store failed matching a certificate: %s",
                      err ? err : "unknown error");
        return MAUTH_MATCH_STORE_ERROR;
    }
}

/* RFC 9440 headers for a proxied back end, encoded once per connection. */
static void forward_client_cert(request_rec *r, mauth_conn_t *mc)
{
    const char *cert, *chain;

    mauth_ssl_client_cert_headers(mc, &cert, &chain);
    if (cert) {
        apr_table_setn(r->headers_in, "Client-Cert", cert);
    }
    if (chain) {
        apr_table_setn(r->headers_in, "Client-Cert-Chain", chain);
    }
}

static void set_user_environment(request_rec *r, const mauth_store_user_t *user,
                                 mauth_match_e match)
{
    if (user) {
        apr_table_setn(r->subprocess_env, "MAUTH_USER", user->username);
        apr_table_setn(r->subprocess_env, "MAUTH_ORG", user->org_name);
        apr_table_setn(r->subprocess_env, "MAUTH_ENFORCED", user->enforced ? "true" : "false");
    }
    if (match != MAUTH_MATCH_UNASKED && match != MAUTH_MATCH_STORE_ERROR) {
        apr_table_setn(r->subprocess_env, "MAUTH_CERT_MATCHED",
                       match == MAUTH_MATCH_USER ? "user"
                       : match == MAUTH_MATCH_ORG ? "organization" : "none");
    }
}

/* ------------------------------------------------- the decision */

/* The identity layer, after authentication (r->user is known): every
 * request, internal redirects and subrequests too, by the configuration
 * of the location it reaches. */
static int check_identity_layer(request_rec *r)
{
    mauth_server_conf_t *sc = mauth_server_conf(r->server);
    mauth_dir_conf_t *dc = ap_get_module_config(r->per_dir_config, &mauth_module);
    const mauth_store_user_t *user = NULL;
    mauth_decision_t decision;
    mauth_facts_t facts;
    mauth_conn_t *mc;

    if (sc->engine != 1) {
        return DECLINED;
    }
    mc = mauth_chain_facts(r, &facts);
    if (facts.enforce) {
        find_identity(r, sc, dc, &facts.identity, &user);
        /* a body read to its end may have brought trailer fields */
        mauth_strip_forged_headers(r);
    }
    if (mc && dc->forward_client_cert == 1 && facts.verdict.status == MAUTH_VERIFY_SUCCESS) {
        forward_client_cert(r, mc);
    }
    if (!facts.enforce) {
        /* httpd runs header_parser for no subrequest: the chain layer's
         * rules (MAuthRequireCertificate) are applied here for them */
        if (r->main) {
            mauth_decide(&facts, &decision);
            return mauth_answer(r, mc, &decision, NULL);
        }
        return DECLINED;
    }
    mauth_decide(&facts, &decision);
    if (decision.answer == MAUTH_ANSWER_MATCH_CERTIFICATE) {
        const mauth_cert_info_t *leaf = mauth_ssl_leaf_info(mc);
        /* a SUCCESS verdict has a leaf; without one, nothing is registered */
        facts.match = leaf ? certificate_registered(r, sc, user, leaf->fingerprint)
                           : MAUTH_MATCH_NONE;
        mauth_decide(&facts, &decision);
    }
    set_user_environment(r, user, facts.match);
    return mauth_answer(r, mc, &decision, user ? user->username : NULL);
}

void mauth_identity_register_hooks(apr_pool_t *p)
{
    ap_hook_child_init(create_store_cache, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_fixups(check_identity_layer, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_insert_filter(insert_body_filters, NULL, NULL, APR_HOOK_MIDDLE);
    replay_filter = ap_register_input_filter(REPLAY_FILTER, replay_body, NULL,
                                             AP_FTYPE_RESOURCE);
    trailer_guard_filter = ap_register_input_filter("MAUTH_TRAILER_GUARD", guard_trailers,
                                                    NULL, AP_FTYPE_RESOURCE);
}
