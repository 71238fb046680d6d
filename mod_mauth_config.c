/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mod_mauth_config.c: the module's directives, their create and merge
 * functions, and their defaults, resolved once at start-up the way mod_ssl
 * does: after mauth_config_resolve every setting holds its value, so the
 * rest of the glue reads fields and never asks whether they were set.
 * Arguments are parsed by the core's parsers (mauth_parse_*).
 */
#include "mod_mauth.h"

#include "apr_strings.h"
#include "http_core.h"

#define MERGE(field, unset) (add->field != (unset) ? add->field : base->field)
#define DEFAULT(c, field, unset, value) \
    do { if ((c)->field == (unset)) (c)->field = (value); } while (0)

void *mauth_create_server_conf(apr_pool_t *p, server_rec *s)
{
    mauth_server_conf_t *sc = apr_pcalloc(p, sizeof(*sc));

    sc->engine = MAUTH_UNSET;
    sc->role = MAUTH_ROLE_UNSET;
    sc->crl_check = MAUTH_CRL_CHECK_UNSET;
    sc->verify_depth = MAUTH_UNSET;
    sc->crl_refresh = MAUTH_UNSET;
    sc->crl_fetch = MAUTH_UNSET;
    sc->crl_fetch_timeout = MAUTH_UNSET;
    sc->crl_fetch_max = MAUTH_UNSET;
    sc->cache_size = MAUTH_UNSET;
    sc->cache_ttl = MAUTH_UNSET;
    sc->expiry_warning = MAUTH_UNSET;
    sc->uses_store = MAUTH_UNSET;
    sc->store_ttl = MAUTH_UNSET;
    sc->store_negative_ttl = MAUTH_UNSET;
    sc->store_cache_size = MAUTH_UNSET;
    sc->ocsp_mode = MAUTH_OCSP_MODE_UNSET;
    sc->ocsp_override = MAUTH_UNSET;
    sc->ocsp_cert_responder = MAUTH_UNSET;
    sc->ocsp_timeout = MAUTH_UNSET;
    sc->ocsp_nonce = MAUTH_UNSET;
    sc->ocsp_max_age = MAUTH_OCSP_AGE_UNSET;
    sc->ocsp_skew = MAUTH_UNSET;
    sc->ocsp_fail_open = MAUTH_UNSET;
    sc->ocsp_cache_max = MAUTH_UNSET;
    return sc;
}

void *mauth_merge_server_conf(apr_pool_t *p, void *basev, void *addv)
{
    mauth_server_conf_t *base = basev, *add = addv;
    mauth_server_conf_t *sc = apr_pcalloc(p, sizeof(*sc));

    sc->engine = MERGE(engine, MAUTH_UNSET);
    sc->role = MERGE(role, MAUTH_ROLE_UNSET);
    sc->ca_file = MERGE(ca_file, NULL);
    sc->ca_path = MERGE(ca_path, NULL);
    sc->crl_file = MERGE(crl_file, NULL);
    sc->crl_path = MERGE(crl_path, NULL);
    sc->crl_check = MERGE(crl_check, MAUTH_CRL_CHECK_UNSET);
    sc->verify_depth = MERGE(verify_depth, MAUTH_UNSET);
    sc->crl_refresh = MERGE(crl_refresh, MAUTH_UNSET);
    sc->crl_fetch = MERGE(crl_fetch, MAUTH_UNSET);
    sc->crl_fetch_urls = MERGE(crl_fetch_urls, NULL);
    sc->crl_fetch_timeout = MERGE(crl_fetch_timeout, MAUTH_UNSET);
    sc->crl_fetch_max = MERGE(crl_fetch_max, MAUTH_UNSET);
    sc->cache_size = MERGE(cache_size, MAUTH_UNSET);
    sc->cache_ttl = MERGE(cache_ttl, MAUTH_UNSET);
    sc->expiry_warning = MERGE(expiry_warning, MAUTH_UNSET);
    /* a location of either enforces: the vhost needs the store */
    sc->uses_store = add->uses_store == 1 || base->uses_store == 1 ? 1 : MAUTH_UNSET;
    sc->user_query = MERGE(user_query, NULL);
    sc->session_query = MERGE(session_query, NULL);
    sc->store_ttl = MERGE(store_ttl, MAUTH_UNSET);
    sc->store_negative_ttl = MERGE(store_negative_ttl, MAUTH_UNSET);
    sc->store_cache_size = MERGE(store_cache_size, MAUTH_UNSET);
    sc->ocsp_mode = MERGE(ocsp_mode, MAUTH_OCSP_MODE_UNSET);
    sc->ocsp_responder = MERGE(ocsp_responder, NULL);
    sc->ocsp_override = MERGE(ocsp_override, MAUTH_UNSET);
    sc->ocsp_cert_responder = MERGE(ocsp_cert_responder, MAUTH_UNSET);
    sc->ocsp_timeout = MERGE(ocsp_timeout, MAUTH_UNSET);
    sc->ocsp_nonce = MERGE(ocsp_nonce, MAUTH_UNSET);
    sc->ocsp_max_age = MERGE(ocsp_max_age, MAUTH_OCSP_AGE_UNSET);
    sc->ocsp_skew = MERGE(ocsp_skew, MAUTH_UNSET);
    sc->ocsp_fail_open = MERGE(ocsp_fail_open, MAUTH_UNSET);
    sc->ocsp_cache = MERGE(ocsp_cache, NULL);
    sc->ocsp_cache_max = MERGE(ocsp_cache_max, MAUTH_UNSET);
    return sc;
}

void *mauth_create_dir_conf(apr_pool_t *p, char *dir)
{
    mauth_dir_conf_t *dc = apr_pcalloc(p, sizeof(*dc));

    dc->require_certificate = MAUTH_UNSET;
    dc->error_status = MAUTH_UNSET;
    dc->enforce = MAUTH_UNSET;
    dc->fault_format = MAUTH_FAULT_UNSET;
    dc->soap_peek_limit = MAUTH_UNSET;
    dc->forward_client_cert = MAUTH_UNSET;
    return dc;
}

void *mauth_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    mauth_dir_conf_t *base = basev, *add = addv;
    mauth_dir_conf_t *dc = apr_pcalloc(p, sizeof(*dc));

    dc->require_certificate = MERGE(require_certificate, MAUTH_UNSET);
    dc->error_image = MERGE(error_image, NULL);
    dc->error_status = MERGE(error_status, MAUTH_UNSET);
    dc->enforce = MERGE(enforce, MAUTH_UNSET);
    dc->user_sources = MERGE(user_sources, NULL);
    dc->fault_format = MERGE(fault_format, MAUTH_FAULT_UNSET);
    dc->soap_peek_limit = MERGE(soap_peek_limit, MAUTH_UNSET);
    dc->forward_client_cert = MERGE(forward_client_cert, MAUTH_UNSET);
    return dc;
}

/* The defaults, in this one place.  Per-directory settings are resolved in
 * each server's lookup_defaults, which every request's merged
 * configuration starts from. */
static void resolve_server(apr_pool_t *p, mauth_server_conf_t *sc)
{
    DEFAULT(sc, engine, MAUTH_UNSET, 0);
    DEFAULT(sc, role, MAUTH_ROLE_UNSET, MAUTH_ROLE_STANDARD);
    DEFAULT(sc, ca_file, NULL, NULL);
    DEFAULT(sc, ca_path, NULL, NULL);
    DEFAULT(sc, crl_file, NULL, NULL);
    DEFAULT(sc, crl_path, NULL, NULL);
    DEFAULT(sc, ocsp_mode, MAUTH_OCSP_MODE_UNSET, MAUTH_OCSP_MODE_OFF);
    /* with OCSP on, CRLs are checked only when asked for (README) */
    DEFAULT(sc, crl_check, MAUTH_CRL_CHECK_UNSET,
            sc->ocsp_mode == MAUTH_OCSP_MODE_OFF ? MAUTH_DEFAULT_CRL_CHECK
                                                 : MAUTH_CRL_CHECK_NONE);
    DEFAULT(sc, verify_depth, MAUTH_UNSET, MAUTH_DEFAULT_VERIFY_DEPTH);
    DEFAULT(sc, crl_refresh, MAUTH_UNSET, apr_time_from_sec(60));
    DEFAULT(sc, crl_fetch, MAUTH_UNSET, 0);
    DEFAULT(sc, crl_fetch_urls, NULL, NULL);
    DEFAULT(sc, crl_fetch_timeout, MAUTH_UNSET, apr_time_from_sec(10));
    /* a CRL of a million entries is about 23 MB */
    DEFAULT(sc, crl_fetch_max, MAUTH_UNSET, (apr_off_t)64 * 1024 * 1024);
    DEFAULT(sc, cache_size, MAUTH_UNSET, 4096);
    DEFAULT(sc, cache_ttl, MAUTH_UNSET, apr_time_from_sec(300));
    DEFAULT(sc, expiry_warning, MAUTH_UNSET, 30);
    DEFAULT(sc, uses_store, MAUTH_UNSET, 0);
    DEFAULT(sc, user_query, NULL, NULL);
    DEFAULT(sc, session_query, NULL, NULL);
    DEFAULT(sc, store_ttl, MAUTH_UNSET, apr_time_from_sec(30));
    DEFAULT(sc, store_negative_ttl, MAUTH_UNSET, apr_time_from_sec(5));
    DEFAULT(sc, store_cache_size, MAUTH_UNSET, 4096);
    DEFAULT(sc, ocsp_responder, NULL, NULL);
    DEFAULT(sc, ocsp_override, MAUTH_UNSET, 0);
    DEFAULT(sc, ocsp_cert_responder, MAUTH_UNSET, 0);
    DEFAULT(sc, ocsp_timeout, MAUTH_UNSET, apr_time_from_sec(10));
    DEFAULT(sc, ocsp_nonce, MAUTH_UNSET, 1);
    DEFAULT(sc, ocsp_max_age, MAUTH_OCSP_AGE_UNSET, -1);
    DEFAULT(sc, ocsp_skew, MAUTH_UNSET, apr_time_from_sec(300));
    DEFAULT(sc, ocsp_fail_open, MAUTH_UNSET, 0);
    DEFAULT(sc, ocsp_cache, NULL, "shmcb");
    DEFAULT(sc, ocsp_cache_max, MAUTH_UNSET, apr_time_from_sec(3600));
}

static const mauth_user_source_t default_sources[] = {
    {MAUTH_SOURCE_REMOTE_USER, NULL},
    {MAUTH_SOURCE_BEARER, NULL},
    {MAUTH_SOURCE_OAUTH, NULL},
    {MAUTH_SOURCE_SOAP, NULL},
};

static apr_array_header_t *default_user_sources(apr_pool_t *p)
{
    int i, n = sizeof(default_sources) / sizeof(default_sources[0]);
    apr_array_header_t *sources = apr_array_make(p, n, sizeof(mauth_user_source_t));

    for (i = 0; i < n; i++) {
        APR_ARRAY_PUSH(sources, mauth_user_source_t) = default_sources[i];
    }
    return sources;
}

static void resolve_dir(apr_pool_t *p, mauth_dir_conf_t *dc)
{
    DEFAULT(dc, require_certificate, MAUTH_UNSET, 0);
    DEFAULT(dc, error_image, NULL, NULL);
    DEFAULT(dc, error_status, MAUTH_UNSET, HTTP_FORBIDDEN);
    DEFAULT(dc, enforce, MAUTH_UNSET, 0);
    DEFAULT(dc, user_sources, NULL, default_user_sources(p));
    DEFAULT(dc, fault_format, MAUTH_FAULT_UNSET, MAUTH_FAULT_AUTO);
    DEFAULT(dc, soap_peek_limit, MAUTH_UNSET, 64 * 1024);
    DEFAULT(dc, forward_client_cert, MAUTH_UNSET, 0);
}

void mauth_config_resolve(apr_pool_t *p, server_rec *base)
{
    server_rec *s;

    for (s = base; s; s = s->next) {
        resolve_server(p, mauth_server_conf(s));
        resolve_dir(p, ap_get_module_config(s->lookup_defaults, &mauth_module));
    }
}

int mauth_is_mutual(const mauth_server_conf_t *sc)
{
    return sc->engine && sc->role == MAUTH_ROLE_MUTUAL;
}

/* ------------------------------------------------------------ directives */

#define SERVER_CONF(cmd) mauth_server_conf((cmd)->server)

static const char *server_only(cmd_parms *cmd)
{
    return ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT);
}

/* A file or directory directive: resolved against ServerRoot, checked now
 * so the error names the directive, the file and the config line. */
static const char *readable_path(cmd_parms *cmd, const char *arg, int want_dir,
                                 const char **out)
{
    const char *path = ap_server_root_relative(cmd->pool, arg);
    const char *err = server_only(cmd);
    apr_finfo_t info;
    apr_file_t *file;

    if (err) {
        return err;
    }
    if (path == NULL) {
        return apr_psprintf(cmd->pool, "%s: invalid path '%s'", cmd->cmd->name, arg);
    }
    if (apr_stat(&info, path, APR_FINFO_TYPE, cmd->temp_pool) != APR_SUCCESS
        || info.filetype != (want_dir ? APR_DIR : APR_REG)) {
        return apr_psprintf(cmd->pool, "%s: '%s' does not exist or is not a %s",
                            cmd->cmd->name, path, want_dir ? "directory" : "file");
    }
    if (!want_dir) {
        if (apr_file_open(&file, path, APR_FOPEN_READ, 0, cmd->temp_pool) != APR_SUCCESS) {
            return apr_psprintf(cmd->pool, "%s: cannot read '%s'", cmd->cmd->name, path);
        }
        apr_file_close(file);
    }
    *out = path;
    return NULL;
}

static const char *number(cmd_parms *cmd, const char *arg, apr_int64_t min, apr_int64_t max,
                          int *out)
{
    apr_int64_t value;
    const char *err = mauth_parse_number(cmd->pool, cmd->cmd->name, arg, min, max, &value);

    *out = err ? *out : (int)value;
    return err;
}

static const char *keyword(cmd_parms *cmd, const char *arg, const char *const *words,
                           int *out)
{
    return mauth_parse_keyword(cmd->pool, cmd->cmd->name, arg, words, out);
}

static const char *mauth_cmd_Engine(cmd_parms *cmd, void *dummy, int on)
{
    SERVER_CONF(cmd)->engine = on;
    return server_only(cmd);
}

static const char *mauth_cmd_Role(cmd_parms *cmd, void *dummy, const char *arg)
{
    static const char *const roles[] = {"standard", "mutual", NULL};
    int role;
    const char *err = server_only(cmd);

    if (err || (err = keyword(cmd, arg, roles, &role)) != NULL) {
        return err;
    }
    SERVER_CONF(cmd)->role = role == 1 ? MAUTH_ROLE_MUTUAL : MAUTH_ROLE_STANDARD;
    return NULL;
}

/* MAuthCACertificateFile, MAuthCARevocationFile (a file) and
 * MAuthCACertificatePath, MAuthCARevocationPath (a directory): the path
 * into the string at cmd->info's offset. */
static const char *mauth_cmd_file(cmd_parms *cmd, void *dummy, const char *arg)
{
    return readable_path(cmd, arg, 0, (const char **)((char *)SERVER_CONF(cmd)
                                                      + (apr_size_t)cmd->info));
}

static const char *mauth_cmd_dir(cmd_parms *cmd, void *dummy, const char *arg)
{
    return readable_path(cmd, arg, 1, (const char **)((char *)SERVER_CONF(cmd)
                                                      + (apr_size_t)cmd->info));
}

static const char *mauth_cmd_CARevocationCheck(cmd_parms *cmd, void *dummy, const char *arg)
{
    /* in the order of mauth_crl_check_e */
    static const char *const modes[] = {"none", "leaf", "chain", NULL};
    int mode;
    const char *err = server_only(cmd);

    if (err || (err = keyword(cmd, arg, modes, &mode)) != NULL) {
        return err;
    }
    SERVER_CONF(cmd)->crl_check = (mauth_crl_check_e)mode;
    return NULL;
}

static const char *mauth_cmd_VerifyDepth(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *err = server_only(cmd);

    return err ? err : number(cmd, arg, 1, 100, &SERVER_CONF(cmd)->verify_depth);
}

static const char *mauth_cmd_ExpiryWarning(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *err = server_only(cmd);

    return err ? err : number(cmd, arg, 0, 36500, &SERVER_CONF(cmd)->expiry_warning);
}

static const char *mauth_cmd_VerdictCacheSize(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *err = server_only(cmd);

    return err ? err : number(cmd, arg, 1, 1 << 24, &SERVER_CONF(cmd)->cache_size);
}

static const char *mauth_cmd_ErrorStatus(cmd_parms *cmd, void *dcv, const char *arg)
{
    return number(cmd, arg, 400, 599, &((mauth_dir_conf_t *)dcv)->error_status);
}

static const char *mauth_cmd_Enforce(cmd_parms *cmd, void *dcv, int on)
{
    ((mauth_dir_conf_t *)dcv)->enforce = on;
    if (on) {
        SERVER_CONF(cmd)->uses_store = 1;
    }
    return NULL;
}

static const char *mauth_cmd_UserSource(cmd_parms *cmd, void *dcv, const char *arg)
{
    /* in the order of mauth_source_e */
    static const char *const kinds[] = {"user", "bearer", "oauth", "cookie", "header",
                                        "soap", NULL};
    mauth_dir_conf_t *dc = dcv;
    const char *colon = strchr(arg, ':'), *err;
    mauth_user_source_t *source;
    int kind;

    err = keyword(cmd, colon ? apr_pstrmemdup(cmd->temp_pool, arg, colon - arg) : arg,
                  kinds, &kind);
    if (err) {
        return err;
    }
    if ((kind == MAUTH_SOURCE_COOKIE || kind == MAUTH_SOURCE_HEADER) != (colon && colon[1])) {
        return apr_psprintf(cmd->pool, "MAuthUserSource: '%s': cookie and header take a "
                            "name (cookie:NAME, header:NAME), the others none", arg);
    }
    if (dc->user_sources == NULL) {
        dc->user_sources = apr_array_make(cmd->pool, 4, sizeof(mauth_user_source_t));
    }
    source = apr_array_push(dc->user_sources);
    source->kind = (mauth_source_e)kind;
    source->name = colon ? colon + 1 : NULL;
    return NULL;
}

static const char *mauth_cmd_FaultFormat(cmd_parms *cmd, void *dcv, const char *arg)
{
    /* in the order of mauth_fault_format_e */
    static const char *const formats[] = {"auto", "soap", "json", NULL};
    int format;
    const char *err = keyword(cmd, arg, formats, &format);

    ((mauth_dir_conf_t *)dcv)->fault_format = err ? MAUTH_FAULT_UNSET
                                                  : (mauth_fault_format_e)format;
    return err;
}

static const char *mauth_cmd_SOAPPeekLimit(cmd_parms *cmd, void *dcv, const char *arg)
{
    apr_int64_t bytes;
    const char *err = mauth_parse_number(cmd->pool, cmd->cmd->name, arg, 1024,
                                         16 * 1024 * 1024, &bytes);

    if (err == NULL) {
        ((mauth_dir_conf_t *)dcv)->soap_peek_limit = (apr_off_t)bytes;
    }
    return err;
}

/* MAuthUserQuery, MAuthSessionQuery: cmd->info is the query's label; the SQL
 * replaces the default and returns the same columns. */
static const char *mauth_cmd_StoreQuery(cmd_parms *cmd, void *dummy, const char *sql)
{
    const char *err = server_only(cmd);

    if (err == NULL && !strcmp(cmd->info, MAUTH_LABEL_CUSTOM_USER)) {
        SERVER_CONF(cmd)->user_query = sql;
    }
    else if (err == NULL) {
        SERVER_CONF(cmd)->session_query = sql;
    }
    return err;
}

static const char *mauth_cmd_StoreCacheTimeout(cmd_parms *cmd, void *dummy,
                                               const char *positive, const char *negative)
{
    mauth_server_conf_t *sc = SERVER_CONF(cmd);
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);

    if (err || (err = mauth_parse_seconds(cmd->pool, cmd->cmd->name, positive, 86400,
                                          &sc->store_ttl)) != NULL) {
        return err;
    }
    sc->store_negative_ttl = sc->store_ttl;
    return negative ? mauth_parse_seconds(cmd->pool, cmd->cmd->name, negative, 86400,
                                          &sc->store_negative_ttl) : NULL;
}

static const char *mauth_cmd_StoreCacheSize(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);

    return err ? err : number(cmd, arg, 0, 1 << 22, &SERVER_CONF(cmd)->store_cache_size);
}

static const char *mauth_cmd_OCSP(cmd_parms *cmd, void *dummy, const char *arg)
{
    /* in the order of mauth_ocsp_mode_e */
    static const char *const modes[] = {"off", "leaf", "chain", NULL};
    int mode;
    const char *err = server_only(cmd);

    if (err || (err = keyword(cmd, arg, modes, &mode)) != NULL) {
        return err;
    }
    SERVER_CONF(cmd)->ocsp_mode = (mauth_ocsp_mode_e)mode;
    return NULL;
}

static const char *mauth_cmd_OCSPResponder(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *err = server_only(cmd);
    mauth_http_url_t url;

    if (err) {
        return err;
    }
    if (mauth_http_url_parse(cmd->temp_pool, arg, &url) != NULL) {
        return apr_psprintf(cmd->pool, "MAuthOCSPResponder: '%s' is not an http:// URL "
                            "(OCSP is asked over plain HTTP; responses are signed)", arg);
    }
    SERVER_CONF(cmd)->ocsp_responder = arg;
    return NULL;
}

static const char *mauth_cmd_CARevocationFetchURL(cmd_parms *cmd, void *dummy, const char *arg)
{
    mauth_server_conf_t *sc = SERVER_CONF(cmd);
    mauth_http_url_t url;
    const char *err = server_only(cmd);

    if (err == NULL && (err = mauth_http_url_parse(cmd->temp_pool, arg, &url)) != NULL) {
        return apr_psprintf(cmd->pool, "MAuthCARevocationFetchURL: %s (CRLs are fetched "
                            "over plain HTTP; they are signed)", err);
    }
    if (err == NULL && sc->crl_fetch_urls == NULL) {
        sc->crl_fetch_urls = apr_array_make(cmd->pool, 2, sizeof(const char *));
    }
    if (err == NULL) {
        APR_ARRAY_PUSH(sc->crl_fetch_urls, const char *) = arg;
    }
    return err;
}

static const char *mauth_cmd_CARevocationFetchMaxSize(cmd_parms *cmd, void *dummy,
                                                      const char *arg)
{
    apr_int64_t bytes;
    const char *err = server_only(cmd);

    if (err || (err = mauth_parse_number(cmd->pool, cmd->cmd->name, arg, 1024,
                                         (apr_int64_t)1 << 32, &bytes)) != NULL) {
        return err;
    }
    SERVER_CONF(cmd)->crl_fetch_max = (apr_off_t)bytes;
    return NULL;
}

/* MAuthOCSPOverrideResponder, MAuthOCSPAllowCertificateResponder,
 * MAuthOCSPUseNonce, MAuthCARevocationFetch: on/off into the int at
 * cmd->info's offset. */
static const char *mauth_cmd_OCSPFlag(cmd_parms *cmd, void *dummy, int on)
{
    *(int *)((char *)SERVER_CONF(cmd) + (apr_size_t)cmd->info) = on;
    return server_only(cmd);
}

/* MAuthCARevocationRefresh, MAuthVerdictCacheTimeout, MAuthOCSPResponderTimeout,
 * MAuthOCSPClockSkew, MAuthOCSPCacheTimeout, MAuthCARevocationFetchTimeout:
 * at most a week, into the
 * interval at cmd->info's offset. */
static const char *mauth_cmd_seconds(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *err = server_only(cmd);

    return err ? err : mauth_parse_seconds(cmd->pool, cmd->cmd->name, arg, 7 * 86400,
                                           (apr_interval_time_t *)((char *)SERVER_CONF(cmd)
                                           + (apr_size_t)cmd->info));
}

static const char *mauth_cmd_OCSPResponseMaxAge(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *err = server_only(cmd);

    if (err == NULL && !strcasecmp(arg, "none")) {
        SERVER_CONF(cmd)->ocsp_max_age = -1;
        return NULL;
    }
    return err ? err : mauth_parse_seconds(cmd->pool, cmd->cmd->name, arg, 365 * 86400,
                                           &SERVER_CONF(cmd)->ocsp_max_age);
}

static const char *mauth_cmd_OCSPFailure(cmd_parms *cmd, void *dummy, const char *arg)
{
    static const char *const policies[] = {"closed", "open", NULL};
    const char *err = server_only(cmd);

    return err ? err : keyword(cmd, arg, policies, &SERVER_CONF(cmd)->ocsp_fail_open);
}

static const char *mauth_cmd_OCSPCache(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);

    if (err == NULL) {
        SERVER_CONF(cmd)->ocsp_cache = arg;
    }
    return err;
}

const command_rec mauth_cmds[] = {
    AP_INIT_FLAG("MAuthEngine", mauth_cmd_Engine, NULL, RSRC_CONF,
                 "Turn mutual authentication on or off for this server"),
    AP_INIT_TAKE1("MAuthRole", mauth_cmd_Role, NULL, RSRC_CONF,
                  "'mutual' (the client-certificate port) or 'standard'"),
    AP_INIT_TAKE1("MAuthCACertificateFile", mauth_cmd_file,
                  (void *)APR_OFFSETOF(mauth_server_conf_t, ca_file), RSRC_CONF,
                  "PEM file of the trusted root certificates"),
    AP_INIT_TAKE1("MAuthCACertificatePath", mauth_cmd_dir,
                  (void *)APR_OFFSETOF(mauth_server_conf_t, ca_path), RSRC_CONF,
                  "Directory of PEM files of trusted root certificates"),
    AP_INIT_TAKE1("MAuthCARevocationFile", mauth_cmd_file,
                  (void *)APR_OFFSETOF(mauth_server_conf_t, crl_file), RSRC_CONF,
                  "File of CRLs (PEM or DER)"),
    AP_INIT_TAKE1("MAuthCARevocationPath", mauth_cmd_dir,
                  (void *)APR_OFFSETOF(mauth_server_conf_t, crl_path), RSRC_CONF,
                  "Directory of CRL files"),
    AP_INIT_TAKE1("MAuthCARevocationCheck", mauth_cmd_CARevocationCheck, NULL, RSRC_CONF,
                  "'chain' (default), 'leaf' or 'none'"),
    AP_INIT_TAKE1("MAuthCARevocationRefresh", mauth_cmd_seconds,
                  (void *)APR_OFFSETOF(mauth_server_conf_t, crl_refresh), RSRC_CONF,
                  "Seconds between looks at the CRL files for a change, taken "
                  "without a restart (default 60; 0: never)"),
    AP_INIT_FLAG("MAuthCARevocationFetch", mauth_cmd_OCSPFlag,
                 (void *)APR_OFFSETOF(mauth_server_conf_t, crl_fetch), RSRC_CONF,
                 "Fetch the CAs' CRLs from their http:// distribution points and "
                 "MAuthCARevocationFetchURL into MAuthCARevocationPath (default off)"),
    AP_INIT_TAKE1("MAuthCARevocationFetchTimeout", mauth_cmd_seconds,
                  (void *)APR_OFFSETOF(mauth_server_conf_t, crl_fetch_timeout), RSRC_CONF,
                  "Seconds one CRL fetch may take (default 10)"),
    AP_INIT_TAKE1("MAuthCARevocationFetchMaxSize", mauth_cmd_CARevocationFetchMaxSize, NULL,
                  RSRC_CONF, "Largest CRL fetched, in bytes (default 67108864)"),
    AP_INIT_ITERATE("MAuthCARevocationFetchURL", mauth_cmd_CARevocationFetchURL, NULL,
                    RSRC_CONF, "http:// URLs of CRLs fetched besides the CAs' own"),
    AP_INIT_TAKE1("MAuthExpiryWarning", mauth_cmd_ExpiryWarning, NULL, RSRC_CONF,
                  "Days before their end that CA certificates and uploaded client "
                  "certificates are warned of, at start-up and daily (default 30; 0: never)"),
    AP_INIT_TAKE1("MAuthVerifyDepth", mauth_cmd_VerifyDepth, NULL, RSRC_CONF,
                  "Maximum certificate chain depth, the root counted (default 5)"),
    AP_INIT_TAKE1("MAuthVerdictCacheSize", mauth_cmd_VerdictCacheSize, NULL, RSRC_CONF,
                  "Verdicts kept per process (default 4096)"),
    AP_INIT_TAKE1("MAuthVerdictCacheTimeout", mauth_cmd_seconds,
                  (void *)APR_OFFSETOF(mauth_server_conf_t, cache_ttl), RSRC_CONF,
                  "Seconds a verdict is kept (default 300)"),
    AP_INIT_FLAG("MAuthRequireCertificate", ap_set_flag_slot,
                 (void *)APR_OFFSETOF(mauth_dir_conf_t, require_certificate), ACCESS_CONF,
                 "Refuse requests without a valid client certificate here"),
    AP_INIT_TAKE1("MAuthErrorImage", ap_set_string_slot,
                  (void *)APR_OFFSETOF(mauth_dir_conf_t, error_image), ACCESS_CONF,
                  "URL of an image shown on the Certificate Error page"),
    AP_INIT_TAKE1("MAuthErrorStatus", mauth_cmd_ErrorStatus, NULL, ACCESS_CONF,
                  "HTTP status of a certificate refusal (default 403)"),
    AP_INIT_FLAG("MAuthEnforce", mauth_cmd_Enforce, NULL, ACCESS_CONF,
                 "Verify the user's identity here: enforced users need a registered "
                 "certificate on the mutual vhost and are refused on the standard one"),
    AP_INIT_ITERATE("MAuthUserSource", mauth_cmd_UserSource, NULL, ACCESS_CONF,
                    "Where credentials are read: user bearer oauth soap cookie:NAME "
                    "header:NAME"),
    AP_INIT_TAKE1("MAuthFaultFormat", mauth_cmd_FaultFormat, NULL, ACCESS_CONF,
                  "Refusal on the standard vhost: auto (default), soap or json"),
    AP_INIT_TAKE1("MAuthSOAPPeekLimit", mauth_cmd_SOAPPeekLimit, NULL, ACCESS_CONF,
                  "Bytes of a body read to find its SOAP sessions (default 65536)"),
    AP_INIT_FLAG("MAuthForwardClientCert", ap_set_flag_slot,
                 (void *)APR_OFFSETOF(mauth_dir_conf_t, forward_client_cert), ACCESS_CONF,
                 "Send the verified leaf and chain to back ends as RFC 9440 "
                 "Client-Cert and Client-Cert-Chain headers"),
    AP_INIT_TAKE1("MAuthUserQuery", mauth_cmd_StoreQuery, MAUTH_LABEL_CUSTOM_USER,
                  RSRC_CONF, "SQL replacing the user-by-name query (same columns)"),
    AP_INIT_TAKE1("MAuthSessionQuery", mauth_cmd_StoreQuery, MAUTH_LABEL_CUSTOM_SESSION,
                  RSRC_CONF, "SQL replacing the user-by-session-token query (same columns)"),
    AP_INIT_TAKE12("MAuthStoreCacheTimeout", mauth_cmd_StoreCacheTimeout, NULL, RSRC_CONF,
                   "Seconds store answers are kept: found [not found] (default 30 5)"),
    AP_INIT_TAKE1("MAuthStoreCacheSize", mauth_cmd_StoreCacheSize, NULL, RSRC_CONF,
                  "Store answers kept per process (default 4096; 0 turns caching off)"),
    AP_INIT_TAKE1("MAuthOCSP", mauth_cmd_OCSP, NULL, RSRC_CONF,
                  "OCSP for client certificates: off (default), leaf or chain"),
    AP_INIT_TAKE1("MAuthOCSPResponder", mauth_cmd_OCSPResponder, NULL, RSRC_CONF,
                  "http:// URL of the OCSP responder"),
    AP_INIT_FLAG("MAuthOCSPOverrideResponder", mauth_cmd_OCSPFlag,
                 (void *)APR_OFFSETOF(mauth_server_conf_t, ocsp_override), RSRC_CONF,
                 "Ask MAuthOCSPResponder even for certificates naming a responder"),
    AP_INIT_FLAG("MAuthOCSPAllowCertificateResponder", mauth_cmd_OCSPFlag,
                 (void *)APR_OFFSETOF(mauth_server_conf_t, ocsp_cert_responder), RSRC_CONF,
                 "Follow the OCSP URL a client certificate names (default off)"),
    AP_INIT_FLAG("MAuthOCSPUseNonce", mauth_cmd_OCSPFlag,
                 (void *)APR_OFFSETOF(mauth_server_conf_t, ocsp_nonce), RSRC_CONF,
                 "Send a nonce and require it echoed (default on)"),
    AP_INIT_TAKE1("MAuthOCSPResponderTimeout", mauth_cmd_seconds,
                  (void *)APR_OFFSETOF(mauth_server_conf_t, ocsp_timeout), RSRC_CONF,
                  "Seconds an OCSP exchange may take (default 10)"),
    AP_INIT_TAKE1("MAuthOCSPClockSkew", mauth_cmd_seconds,
                  (void *)APR_OFFSETOF(mauth_server_conf_t, ocsp_skew), RSRC_CONF,
                  "Seconds of clock difference allowed with the responder (default 300)"),
    AP_INIT_TAKE1("MAuthOCSPResponseMaxAge", mauth_cmd_OCSPResponseMaxAge, NULL, RSRC_CONF,
                  "Oldest thisUpdate accepted, in seconds, or none (default)"),
    AP_INIT_TAKE1("MAuthOCSPFailure", mauth_cmd_OCSPFailure, NULL, RSRC_CONF,
                  "No usable answer: closed (default, refuse) or open (pass, warn)"),
    AP_INIT_TAKE1("MAuthOCSPCache", mauth_cmd_OCSPCache, NULL, RSRC_CONF,
                  "socache for OCSP responses shared by all children (default shmcb)"),
    AP_INIT_TAKE1("MAuthOCSPCacheTimeout", mauth_cmd_seconds,
                  (void *)APR_OFFSETOF(mauth_server_conf_t, ocsp_cache_max), RSRC_CONF,
                  "Longest a response is kept, even with a later nextUpdate (default 3600)"),
    {NULL}
};
