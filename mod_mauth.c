/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mod_mauth.c: Salesforce-style inbound mutual authentication for httpd.
 *
 * This file is the module's face to httpd: its directives, their
 * create/merge functions, start-up checks and the per-request decision of
 * the chain-validation layer.  The TLS wiring is in mod_mauth_ssl.c; the
 * decisions themselves are in the httpd-free core (mauth_core.h).
 */
#include "mod_mauth.h"

#include "apr_lib.h"
#include "apr_strings.h"
#include "ap_config.h"
#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_cfgtree.h"

#define MAUTH_DEFAULT_CACHE_SIZE 4096
#define MAUTH_DEFAULT_CACHE_TTL apr_time_from_sec(300)

/* ---------------------------------------------------------- configuration */

static void *create_server_conf(apr_pool_t *p, server_rec *s)
{
    mauth_server_conf_t *sc = apr_pcalloc(p, sizeof(*sc));

    sc->engine = MAUTH_UNSET;
    sc->role = MAUTH_ROLE_UNSET;
    sc->crl_check = MAUTH_CRL_CHECK_UNSET;
    sc->verify_depth = MAUTH_UNSET;
    sc->cache_size = MAUTH_UNSET;
    sc->cache_ttl = MAUTH_UNSET;
    sc->store_ttl = MAUTH_UNSET;
    sc->store_negative_ttl = MAUTH_UNSET;
    sc->store_cache_size = MAUTH_UNSET;
    return sc;
}

#define MERGE(field, unset) (add->field != (unset) ? add->field : base->field)

static void *merge_server_conf(apr_pool_t *p, void *basev, void *addv)
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
    sc->cache_size = MERGE(cache_size, MAUTH_UNSET);
    sc->cache_ttl = MERGE(cache_ttl, MAUTH_UNSET);
    sc->uses_store = add->uses_store || base->uses_store;
    sc->user_query = MERGE(user_query, NULL);
    sc->session_query = MERGE(session_query, NULL);
    sc->store_ttl = MERGE(store_ttl, MAUTH_UNSET);
    sc->store_negative_ttl = MERGE(store_negative_ttl, MAUTH_UNSET);
    sc->store_cache_size = MERGE(store_cache_size, MAUTH_UNSET);
    return sc;
}

static void *create_dir_conf(apr_pool_t *p, char *dir)
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

static void *merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
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

int mauth_is_mutual(const mauth_server_conf_t *sc)
{
    return sc->engine == 1 && sc->role == MAUTH_ROLE_MUTUAL;
}

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
    apr_finfo_t info;
    apr_file_t *file;

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

static const char *mauth_cmd_Engine(cmd_parms *cmd, void *dummy, int on)
{
    const char *err = server_only(cmd);

    mauth_server_conf(cmd->server)->engine = on;
    return err;
}

static const char *mauth_cmd_Role(cmd_parms *cmd, void *dummy, const char *arg)
{
    mauth_server_conf_t *sc = mauth_server_conf(cmd->server);
    const char *err = server_only(cmd);

    if (err) {
        return err;
    }
    if (!strcasecmp(arg, "mutual")) {
        sc->role = MAUTH_ROLE_MUTUAL;
    }
    else if (!strcasecmp(arg, "standard")) {
        sc->role = MAUTH_ROLE_STANDARD;
    }
    else {
        return "MAuthRole must be 'mutual' or 'standard'";
    }
    return NULL;
}

static const char *mauth_cmd_CACertificateFile(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *err = server_only(cmd);

    return err ? err : readable_path(cmd, arg, 0, &mauth_server_conf(cmd->server)->ca_file);
}

static const char *mauth_cmd_CACertificatePath(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *err = server_only(cmd);

    return err ? err : readable_path(cmd, arg, 1, &mauth_server_conf(cmd->server)->ca_path);
}

static const char *mauth_cmd_CARevocationFile(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *err = server_only(cmd);

    return err ? err : readable_path(cmd, arg, 0, &mauth_server_conf(cmd->server)->crl_file);
}

static const char *mauth_cmd_CARevocationPath(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *err = server_only(cmd);

    return err ? err : readable_path(cmd, arg, 1, &mauth_server_conf(cmd->server)->crl_path);
}

static const char *mauth_cmd_CARevocationCheck(cmd_parms *cmd, void *dummy, const char *arg)
{
    mauth_server_conf_t *sc = mauth_server_conf(cmd->server);
    const char *err = server_only(cmd);

    if (err) {
        return err;
    }
    if (!strcasecmp(arg, "chain")) {
        sc->crl_check = MAUTH_CRL_CHECK_CHAIN;
    }
    else if (!strcasecmp(arg, "leaf")) {
        sc->crl_check = MAUTH_CRL_CHECK_LEAF;
    }
    else if (!strcasecmp(arg, "none")) {
        sc->crl_check = MAUTH_CRL_CHECK_NONE;
    }
    else {
        return "MAuthCARevocationCheck must be 'chain', 'leaf' or 'none'";
    }
    return NULL;
}

static const char *positive_int(cmd_parms *cmd, const char *arg, int min, int max, int *out)
{
    char *end;
    long value = strtol(arg, &end, 10);

    if (*arg == '\0' || *end != '\0' || value < min || value > max) {
        return apr_psprintf(cmd->pool, "%s must be a number from %d to %d",
                            cmd->cmd->name, min, max);
    }
    *out = (int)value;
    return NULL;
}

static const char *mauth_cmd_VerifyDepth(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *err = server_only(cmd);

    return err ? err : positive_int(cmd, arg, 1, 100,
                                    &mauth_server_conf(cmd->server)->verify_depth);
}

static const char *mauth_cmd_VerdictCacheSize(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *err = server_only(cmd);

    return err ? err : positive_int(cmd, arg, 1, 1 << 24,
                                    &mauth_server_conf(cmd->server)->cache_size);
}

static const char *mauth_cmd_VerdictCacheTimeout(cmd_parms *cmd, void *dummy, const char *arg)
{
    int seconds = 0;
    const char *err = server_only(cmd);

    if (err || (err = positive_int(cmd, arg, 0, 86400, &seconds)) != NULL) {
        return err;
    }
    mauth_server_conf(cmd->server)->cache_ttl = apr_time_from_sec(seconds);
    return NULL;
}

static const char *mauth_cmd_RequireCertificate(cmd_parms *cmd, void *dcv, int on)
{
    ((mauth_dir_conf_t *)dcv)->require_certificate = on;
    return NULL;
}

static const char *mauth_cmd_ErrorImage(cmd_parms *cmd, void *dcv, const char *arg)
{
    ((mauth_dir_conf_t *)dcv)->error_image = arg;
    return NULL;
}

static const char *mauth_cmd_ErrorStatus(cmd_parms *cmd, void *dcv, const char *arg)
{
    mauth_dir_conf_t *dc = dcv;
    const char *err = positive_int(cmd, arg, 400, 599, &dc->error_status);

    if (err == NULL && !ap_is_HTTP_ERROR(dc->error_status)) {
        err = "MAuthErrorStatus must be an HTTP error status";
    }
    return err;
}

static const command_rec mauth_cmds[] = {
    AP_INIT_FLAG("MAuthEngine", mauth_cmd_Engine, NULL, RSRC_CONF,
                 "Turn mutual authentication on or off for this server"),
    AP_INIT_TAKE1("MAuthRole", mauth_cmd_Role, NULL, RSRC_CONF,
                  "'mutual' (the client-certificate port) or 'standard'"),
    AP_INIT_TAKE1("MAuthCACertificateFile", mauth_cmd_CACertificateFile, NULL, RSRC_CONF,
                  "PEM file of the trusted root certificates"),
    AP_INIT_TAKE1("MAuthCACertificatePath", mauth_cmd_CACertificatePath, NULL, RSRC_CONF,
                  "Directory of PEM files of trusted root certificates"),
    AP_INIT_TAKE1("MAuthCARevocationFile", mauth_cmd_CARevocationFile, NULL, RSRC_CONF,
                  "File of CRLs (PEM or DER)"),
    AP_INIT_TAKE1("MAuthCARevocationPath", mauth_cmd_CARevocationPath, NULL, RSRC_CONF,
                  "Directory of CRL files"),
    AP_INIT_TAKE1("MAuthCARevocationCheck", mauth_cmd_CARevocationCheck, NULL, RSRC_CONF,
                  "'chain' (default), 'leaf' or 'none'"),
    AP_INIT_TAKE1("MAuthVerifyDepth", mauth_cmd_VerifyDepth, NULL, RSRC_CONF,
                  "Maximum certificate chain depth, the root counted (default 5)"),
    AP_INIT_TAKE1("MAuthVerdictCacheSize", mauth_cmd_VerdictCacheSize, NULL, RSRC_CONF,
                  "Verdicts kept per process (default 4096)"),
    AP_INIT_TAKE1("MAuthVerdictCacheTimeout", mauth_cmd_VerdictCacheTimeout, NULL, RSRC_CONF,
                  "Seconds a verdict is kept (default 300)"),
    AP_INIT_FLAG("MAuthRequireCertificate", mauth_cmd_RequireCertificate, NULL, OR_AUTHCFG,
                 "Refuse requests without a valid client certificate here"),
    AP_INIT_TAKE1("MAuthErrorImage", mauth_cmd_ErrorImage, NULL, OR_AUTHCFG,
                  "URL of an image shown on the Certificate Error page"),
    AP_INIT_TAKE1("MAuthErrorStatus", mauth_cmd_ErrorStatus, NULL, OR_AUTHCFG,
                  "HTTP status of a certificate refusal (default 403)"),
    /* identity verification, mod_mauth_identity.c */
    AP_INIT_FLAG("MAuthEnforce", mauth_cmd_Enforce, NULL, OR_AUTHCFG,
                 "Verify the user's identity here: enforced users need a registered "
                 "certificate on the mutual vhost and are refused on the standard one"),
    AP_INIT_ITERATE("MAuthUserSource", mauth_cmd_UserSource, NULL, OR_AUTHCFG,
                    "Where the user comes from, in order: user bearer oauth soap "
                    "cookie:NAME header:NAME"),
    AP_INIT_TAKE1("MAuthFaultFormat", mauth_cmd_FaultFormat, NULL, OR_AUTHCFG,
                  "Refusal on the standard vhost: auto (default), soap or json"),
    AP_INIT_TAKE1("MAuthSOAPPeekLimit", mauth_cmd_SOAPPeekLimit, NULL, OR_AUTHCFG,
                  "Bytes of a SOAP body read to find its SessionHeader (default 65536)"),
    AP_INIT_FLAG("MAuthForwardClientCert", mauth_cmd_ForwardClientCert, NULL, OR_AUTHCFG,
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
    {NULL}
};

/* --------------------------------------------------------------- start-up */

/* The value of a directive as written for vhost s (or, when the vhost does
 * not set it, globally), read from the parsed configuration tree: mod_ssl's
 * own settings are private to it. */
static const char *find_directive(ap_directive_t *node, const char *name)
{
    const char *found = NULL;

    for (; node; node = node->next) {
        if (!strcasecmp(node->directive, name)) {
            found = node->args;
        }
        else if (node->first_child && !strncasecmp(node->directive, "<If", 3)) {
            const char *inner = find_directive(node->first_child, name);
            found = inner ? inner : found;
        }
    }
    return found;
}

static ap_directive_t *vhost_node(server_rec *s)
{
    ap_directive_t *node;

    for (node = ap_conftree; node && s->is_virtual; node = node->next) {
        if (!strcasecmp(node->directive, "<VirtualHost")
            && node->line_num == (int)s->defn_line_number
            && s->defn_name && !strcmp(node->filename, s->defn_name)) {
            return node;
        }
    }
    return NULL;
}

static const char *vhost_directive(server_rec *s, const char *name)
{
    ap_directive_t *vhost = vhost_node(s);
    const char *value = vhost ? find_directive(vhost->first_child, name) : NULL;

    return value ? value : find_directive(ap_conftree, name);
}

/* The core's start-up messages, with the core's own file and line. */
static void log_to_server(void *baton, const char *file, int line, int level,
                          const char *tag, const char *message)
{
    server_rec *s = baton;

    ap_log_error_(file, line, APLOG_MODULE_INDEX, level, 0, s, "%s: %s", tag, message);
}

/* Builds the trust a mutual vhost's settings describe; vhosts naming the
 * same roots, CRLs and policy share one, so a large CRL is loaded once. */
static mauth_trust_t *load_trust(apr_pool_t *p, server_rec *s, mauth_server_conf_t *sc,
                                 apr_hash_t *trusts, const unsigned char *generation)
{
    mauth_crl_check_e check = sc->crl_check == MAUTH_CRL_CHECK_UNSET
                              ? MAUTH_CRL_CHECK_CHAIN : sc->crl_check;
    const char *label = apr_psprintf(p, "%s|%s|%s|%s|%d|%d", sc->ca_file ? sc->ca_file : "",
                                     sc->ca_path ? sc->ca_path : "",
                                     sc->crl_file ? sc->crl_file : "",
                                     sc->crl_path ? sc->crl_path : "", check, sc->verify_depth);
    mauth_trust_t *trust = apr_hash_get(trusts, label, APR_HASH_KEY_STRING);
    mauth_logger_t logger = {log_to_server, s, 0};
    const char *err = NULL, *directive = NULL;
    apr_status_t rv = APR_SUCCESS;

    if (trust) {
        return trust;
    }
    logger.level = ap_get_server_module_loglevel(s, APLOG_MODULE_INDEX);
    if (!sc->ca_file && !sc->ca_path) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, MAUTHNO(00040)
                     "MAuthRole mutual (%s:%u) needs MAuthCACertificateFile or "
                     "MAuthCACertificatePath", s->defn_name, s->defn_line_number);
        return NULL;
    }
    trust = mauth_trust_create(p);
    mauth_trust_set_generation(trust, generation);
    mauth_trust_set_crl_check(trust, check);
    if (sc->verify_depth > 0) {
        mauth_trust_set_depth(trust, sc->verify_depth);
    }
    if (sc->ca_file && rv == APR_SUCCESS) {
        directive = "MAuthCACertificateFile";
        rv = mauth_trust_add_roots_file(trust, sc->ca_file, &err);
    }
    if (sc->ca_path && rv == APR_SUCCESS) {
        directive = "MAuthCACertificatePath";
        rv = mauth_trust_add_roots_path(trust, sc->ca_path, &err);
    }
    if (sc->crl_file && rv == APR_SUCCESS) {
        directive = "MAuthCARevocationFile";
        rv = mauth_trust_add_crl_file(trust, sc->crl_file, &err);
    }
    if (sc->crl_path && rv == APR_SUCCESS) {
        directive = "MAuthCARevocationPath";
        rv = mauth_trust_add_crl_path(trust, sc->crl_path, &err);
    }
    if (rv == APR_SUCCESS) {
        directive = check == MAUTH_CRL_CHECK_NONE ? "MAuthCACertificateFile"
                    : "MAuthCARevocationFile/MAuthCARevocationCheck";
        rv = mauth_trust_finish(trust, &logger, &err);
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s, MAUTHNO(00041)
                     "%s (vhost %s:%u): %s", directive, s->defn_name,
                     s->defn_line_number, err);
        return NULL;
    }
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, MAUTHNO(00042)
                 "trust for %s:%u: %d root(s), %d CRL(s), revocation check %s",
                 s->defn_name, s->defn_line_number, mauth_trust_root_count(trust),
                 mauth_trust_crl_count(trust),
                 check == MAUTH_CRL_CHECK_CHAIN ? "chain"
                 : check == MAUTH_CRL_CHECK_LEAF ? "leaf" : "none");
    apr_hash_set(trusts, label, APR_HASH_KEY_STRING, trust);
    return trust;
}

/* A trust with the vhost's verdict-cache settings; vhosts alike in both
 * share one verdict cache. */
static apr_status_t attach_trust(apr_pool_t *p, server_rec *s, mauth_server_conf_t *sc,
                                 apr_hash_t *trusts, apr_hash_t *entries,
                                 const unsigned char *generation)
{
    mauth_trust_t *trust = load_trust(p, s, sc, trusts, generation);
    int cache_size = sc->cache_size > 0 ? sc->cache_size : MAUTH_DEFAULT_CACHE_SIZE;
    apr_interval_time_t cache_ttl = sc->cache_ttl >= 0 ? sc->cache_ttl
                                                       : MAUTH_DEFAULT_CACHE_TTL;
    const char *label;
    mauth_trust_entry_t *entry;

    if (trust == NULL) {
        return APR_EINVAL;
    }
    label = apr_psprintf(p, "%pp|%d|%" APR_TIME_T_FMT, trust, cache_size, cache_ttl);
    entry = apr_hash_get(entries, label, APR_HASH_KEY_STRING);
    if (entry == NULL) {
        entry = apr_pcalloc(p, sizeof(*entry));
        entry->trust = trust;
        entry->cache_size = cache_size;
        entry->cache_ttl = cache_ttl;
        apr_hash_set(entries, label, APR_HASH_KEY_STRING, entry);
    }
    sc->trust = entry;
    return APR_SUCCESS;
}

/* Sections read at start-up whose contents apply as if written around them. */
static int is_transparent_section(const char *directive)
{
    return !strncasecmp(directive, "<If", 3) || !strcasecmp(directive, "<Else")
           || !strcasecmp(directive, "<ElseIf");
}

/* An SSLVerifyClient other than optional_no_ca inside a <Location>,
 * <Directory>, <Files>... of node's tree (other vhosts aside): there mod_ssl
 * would renegotiate and verify the client by its own rules. */
static const ap_directive_t *per_dir_verify_client(ap_directive_t *node, int in_section)
{
    for (; node; node = node->next) {
        const ap_directive_t *inner;
        if (in_section && !strcasecmp(node->directive, "SSLVerifyClient")
            && strcasecmp(node->args, "optional_no_ca")) {
            return node;
        }
        if (node->first_child && strcasecmp(node->directive, "<VirtualHost")
            && (inner = per_dir_verify_client(node->first_child,
                                              in_section
                                              || !is_transparent_section(node->directive)))) {
            return inner;
        }
    }
    return NULL;
}

static int check_mutual_vhost(server_rec *s, mauth_server_conf_t *sc)
{
    ap_directive_t *vhost = vhost_node(s);
    const ap_directive_t *per_dir = per_dir_verify_client(ap_conftree, 0);
    static const char *const ca_naming[] = {"SSLCADNRequestFile", "SSLCADNRequestPath", NULL};
    const char *verify_client = vhost_directive(s, "SSLVerifyClient");
    const char *const *name;

    if (!sc->tls_ready) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, MAUTHNO(00043)
                     "MAuthRole mutual (%s:%u) needs 'SSLEngine on' for this vhost",
                     s->defn_name, s->defn_line_number);
        return 0;
    }
    if (verify_client && strcasecmp(verify_client, "optional_no_ca")) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, MAUTHNO(00044)
                     "MAuthRole mutual (%s:%u) needs 'SSLVerifyClient optional_no_ca', "
                     "not '%s': mod_ssl would drop connections whose chain it "
                     "cannot verify itself", s->defn_name, s->defn_line_number,
                     verify_client);
        return 0;
    }
    if (per_dir == NULL && vhost) {
        per_dir = per_dir_verify_client(vhost->first_child, 0);
    }
    if (per_dir) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, MAUTHNO(00048)
                     "MAuthRole mutual (%s:%u): remove 'SSLVerifyClient %s' at %s:%d; "
                     "inside a section mod_ssl would renegotiate and verify the client "
                     "by its own rules there", s->defn_name, s->defn_line_number,
                     per_dir->args, per_dir->filename, per_dir->line_num);
        return 0;
    }
    for (name = ca_naming; *name; name++) {
        const char *value = vhost_directive(s, *name);
        if (value) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, MAUTHNO(00046)
                         "MAuthRole mutual (%s:%u): remove '%s %s'; the certificate "
                         "request of the mutual port names no CA", s->defn_name,
                         s->defn_line_number, *name, value);
            return 0;
        }
    }
    return 1;
}

static int post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                       server_rec *base)
{
    apr_hash_t *trusts = apr_hash_make(ptemp), *entries = apr_hash_make(ptemp);
    unsigned char generation[MAUTH_GENERATION_LEN];
    server_rec *s;

    /* each load of the configuration (a graceful restart) is a generation
     * of its own: no verdict of an earlier one is used, even inside a TLS
     * session resumed with a ticket key that outlived it */
    if (apr_generate_random_bytes(generation, sizeof(generation)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, base, MAUTHNO(00047)
                     "cannot draw random bytes for the trust generation");
        return HTTP_INTERNAL_SERVER_ERROR;
    }

    for (s = base; s; s = s->next) {
        mauth_server_conf_t *sc = mauth_server_conf(s);
        if (!mauth_is_mutual(sc)) {
            continue;
        }
        if (!check_mutual_vhost(s, sc)
            || attach_trust(pconf, s, sc, trusts, entries, generation) != APR_SUCCESS) {
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    return OK;
}

static void child_init(apr_pool_t *pchild, server_rec *base)
{
    server_rec *s;

    for (s = base; s; s = s->next) {
        mauth_server_conf_t *sc = mauth_server_conf(s);
        if (sc->trust && sc->trust->cache == NULL) {
            sc->trust->cache = mauth_verdict_cache_create(pchild, sc->trust->cache_size,
                                                          sc->trust->cache_ttl);
            if (sc->trust->cache == NULL) {
                ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, MAUTHNO(00045)
                             "cannot create the verdict cache");
                exit(APEXIT_CHILDSICK);
            }
        }
    }
}

/* ------------------------------------------------------------ per request */

static void set_environment(request_rec *r, mauth_conn_t *mc, const mauth_verdict_t *v)
{
    apr_table_t *env = r->subprocess_env;
    const mauth_cert_info_t *leaf;

    apr_table_setn(env, "MAUTH_CLIENT_VERIFY", mauth_verdict_text(r->pool, v));
    if (mc == NULL || (leaf = mauth_ssl_leaf_info(mc)) == NULL) {
        return;
    }
    apr_table_setn(env, "MAUTH_CLIENT_CERT_SHA256", leaf->fingerprint);
    apr_table_setn(env, "MAUTH_CLIENT_S_DN", leaf->subject_dn);
    apr_table_setn(env, "MAUTH_CLIENT_I_DN", leaf->issuer_dn);
    apr_table_setn(env, "MAUTH_CLIENT_M_SERIAL", leaf->serial);
    apr_table_setn(env, "MAUTH_CLIENT_V_START", leaf->not_before);
    apr_table_setn(env, "MAUTH_CLIENT_V_END", leaf->not_after);
}

mauth_conn_t *mauth_chain_facts(request_rec *r, mauth_facts_t *facts)
{
    mauth_server_conf_t *sc = mauth_server_conf(r->server);
    mauth_dir_conf_t *dc = ap_get_module_config(r->per_dir_config, &mauth_module);
    mauth_conn_t *mc = NULL;

    memset(facts, 0, sizeof(*facts));
    facts->mutual = mauth_is_mutual(sc);
    facts->require_certificate = dc->require_certificate == 1;
    facts->enforce = dc->enforce == 1;
    if (!facts->mutual) {
        return NULL;
    }
    mc = mauth_ssl_conn(r->connection);
    if (mc == NULL) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, MAUTHNO(00052)
                      "mutual vhost reached without a TLS connection mod_mauth saw begin");
        facts->verdict.status = MAUTH_VERIFY_FAILED;
        facts->verdict.reason = MAUTH_REASON_INVALID;
    }
    else {
        mauth_ssl_verdict_for(mc, sc->trust, apr_time_now(), &facts->verdict,
                              &facts->other_trust);
    }
    set_environment(r, mc, &facts->verdict);
    return mc;
}

/* One line per refusal, at a level the default LogLevel shows, with what
 * an operator needs to find the client (mod_auth_basic's AH01617 habit). */
static void log_refusal(request_rec *r, mauth_conn_t *mc, const mauth_decision_t *d,
                        const char *token, const char *user)
{
    const mauth_cert_info_t *leaf = mc ? mauth_ssl_leaf_info(mc) : NULL;

    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, MAUTHNO(00050)
                  "refused (%s) %s %s from %s%s%s: %s%s", token, r->method, r->unparsed_uri,
                  r->useragent_ip, user ? " as user " : "", user ? user : "", d->why,
                  leaf ? apr_psprintf(r->pool, "; certificate subject '%s', issuer '%s', "
                                      "serial %s, SHA-256 %s", leaf->subject_dn,
                                      leaf->issuer_dn, leaf->serial, leaf->fingerprint)
                       : "; no client certificate");
}

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
    mauth_dir_conf_t *dc = ap_get_module_config(r->per_dir_config, &mauth_module);
    int soap = wants_soap(r, dc);
    int status = mauth_answer_status(d->answer, soap);
    int page_status = dc->error_status != MAUTH_UNSET ? dc->error_status : HTTP_FORBIDDEN;

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
    log_refusal(r, mc, d, token, user);
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

/* The ErrorDocument of the chain layer's own page is not refused again by
 * it (the identity layer still judges its location); any other refusal's
 * ErrorDocument is judged like every request. */
static int is_our_error_document(request_rec *r)
{
    return r->prev && !r->main && ap_is_HTTP_ERROR(r->prev->status)
           && apr_table_get(r->prev->notes, "mauth-chain-refused");
}

/* The chain layer: runs early, before authentication, so a bad chain is
 * answered with the certificate page rather than a login prompt.  Every
 * request is judged, internal redirects and subrequests too, by the
 * configuration of the location it reaches. */
static int check_chain_layer(request_rec *r)
{
    mauth_facts_t facts;
    mauth_decision_t decision;
    mauth_conn_t *mc = mauth_chain_facts(r, &facts);

    if (!facts.mutual || is_our_error_document(r)) {
        return DECLINED;
    }
    facts.enforce = 0;    /* the identity layer comes after authentication */
    mauth_decide(&facts, &decision);
    if (decision.answer == MAUTH_ANSWER_PAGE) {
        apr_table_setn(r->notes, "mauth-chain-refused", decision.token);
    }
    return mauth_answer(r, mc, &decision, NULL);
}

static int header_char(char c)
{
    return c == '_' || c == '.' ? '-' : apr_tolower(c);
}

int mauth_same_header_name(const char *a, const char *b)
{
    while (*a && *b && header_char(*a) == header_char(*b)) {
        a++;
        b++;
    }
    return *a == '\0' && *b == '\0';
}

/* Whether a header name is one of the RFC 9440 headers we forward. */
static int is_client_cert_header(const char *name)
{
    return mauth_same_header_name(name, "Client-Cert")
           || mauth_same_header_name(name, "Client-Cert-Chain");
}

static int note_forged(void *names, const char *key, const char *value)
{
    if (is_client_cert_header(key)) {
        *(const char **)apr_array_push(names) = key;
    }
    return 1;
}

void mauth_strip_forged_headers(request_rec *r)
{
    apr_array_header_t *names = apr_array_make(r->pool, 2, sizeof(const char *));
    int i;

    apr_table_do(note_forged, names, r->headers_in, NULL);
    for (i = 0; i < names->nelts; i++) {
        const char *name = APR_ARRAY_IDX(names, i, const char *);
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, MAUTHNO(00054)
                      "removed client-sent request header '%s'", name);
        apr_table_unset(r->headers_in, name);
    }
}

static int strip_forged_headers(request_rec *r)
{
    if (mauth_server_conf(r->server)->engine == 1) {
        mauth_strip_forged_headers(r);
    }
    return DECLINED;
}

static void register_hooks(apr_pool_t *p)
{
    static const char *const after_ssl[] = {"mod_ssl.c", NULL};

    ap_hook_post_config(post_config, after_ssl, NULL, APR_HOOK_LAST);
    ap_hook_child_init(child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_read_request(strip_forged_headers, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_header_parser(check_chain_layer, NULL, NULL, APR_HOOK_FIRST);
    mauth_ssl_register_hooks(p);
    mauth_identity_register_hooks(p);
    mauth_dbd_register_hooks(p);
}

/* APLOG_USE_MODULE is in mod_mauth.h, so not AP_DECLARE_MODULE here */
module AP_MODULE_DECLARE_DATA mauth_module = {
    STANDARD20_MODULE_STUFF,
    create_dir_conf,
    merge_dir_conf,
    create_server_conf,
    merge_server_conf,
    mauth_cmds,
    register_hooks,
    AP_MODULE_FLAG_NONE
};
