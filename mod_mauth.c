/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mod_mauth.c: Salesforce-style inbound mutual authentication for httpd.
 *
 * The module's face to httpd: its hooks, and the start-up of a mutual
 * vhost (the mod_ssl settings it needs, its trust built by the core's one
 * builder, a new trust generation at each start).  The layers' work per
 * request is in mod_mauth_chain.c and mod_mauth_identity.c, the settings in
 * mod_mauth_config.c, the TLS wiring in mod_mauth_ssl.c, the store's in
 * mod_mauth_dbd.c; the decisions are the httpd-free core's (core/).
 */
#include "mod_mauth.h"

#include "apr_strings.h"
#include "ap_config.h"
#include "http_request.h"
#include "util_cfgtree.h"

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

/* The core's messages about a server, with the core's own file and line. */
static void log_to_server(void *baton, const char *file, int line, int level,
                          const char *tag, const char *message)
{
    server_rec *s = baton;

    ap_log_error_(file, line, APLOG_MODULE_INDEX, level, 0, s, "%s: %s", tag, message);
}

void mauth_server_logger(server_rec *s, mauth_logger_t *logger)
{
    logger->fn = log_to_server;
    logger->baton = s;
    logger->level = ap_get_server_module_loglevel(s, APLOG_MODULE_INDEX);
}

int mauth_watchdog_start(apr_pool_t *pconf, server_rec *base, const char *name,
                         int singleton, apr_interval_time_t interval,
                         ap_watchdog_callback_fn_t *callback, const char *directive)
{
    APR_OPTIONAL_FN_TYPE(ap_watchdog_get_instance) *get_instance
        = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_get_instance);
    APR_OPTIONAL_FN_TYPE(ap_watchdog_register_callback) *register_callback
        = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_register_callback);
    ap_watchdog_t *wd;
    apr_status_t rv;

    if (!get_instance || !register_callback) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, base, MAUTHNO(00093)
                     "%s needs mod_watchdog: load it, or set '%s 0'", directive, directive);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if ((rv = get_instance(&wd, name, 0, singleton, pconf)) != APR_SUCCESS
        || (rv = register_callback(wd, interval, NULL, callback)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, base, MAUTHNO(00094)
                     "cannot set up the watchdog of %s", directive);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

/* Every trust of the current configuration; the children's verdict caches
 * hang from them. */
static mauth_trusts_t *trusts;

/* The trust a mutual vhost's settings describe, built by the core's one
 * builder (mauth-admin's too) and shared by vhosts configured alike. */
static apr_status_t attach_trust(server_rec *s, mauth_server_conf_t *sc,
                                 const unsigned char *generation, const char *crl_cache_dir)
{
    mauth_trust_spec_t spec = {sc->ca_file, sc->ca_path, sc->crl_file, sc->crl_path,
                               sc->crl_check, sc->verify_depth, generation, crl_cache_dir, 0};
    mauth_logger_t logger;
    const char *err = NULL, *what = NULL;
    unsigned char state[MAUTH_FILES_STATE_LEN];
    apr_status_t rv;

    mauth_server_logger(s, &logger);
    /* the files as they are before they are read: a change while they are
     * read is seen by the next refresh */
    mauth_crl_files_state(s->process->pconf, &spec, state);
    rv = mauth_trusts_get(trusts, &spec, sc->cache_size, sc->cache_ttl, &logger, &sc->trust,
                          &err, &what);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s, MAUTHNO(00041)
                     "%s (vhost %s:%u): %s", what, s->defn_name, s->defn_line_number, err);
        return rv;
    }
    mauth_refresh_watch(s, sc, &spec, state);
    return mauth_fetch_watch(s, sc);
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

/* Where the CRLs' one shared copy lives (see mauth_crl_read_file): under
 * DefaultRuntimeDir, written by this process alone (the parent) and
 * readable by the children, so nothing a child does can change what the
 * parent reads.  NULL (each process keeps its own copy, with a warning)
 * when it is not a directory of this process's user. */
static const char *crl_cache_dir(apr_pool_t *pconf, server_rec *base)
{
    const char *dir = ap_runtime_dir_relative(pconf, "mauth-crl");
    apr_fileperms_t mode = APR_FPROT_UREAD | APR_FPROT_UWRITE | APR_FPROT_UEXECUTE
                           | APR_FPROT_GREAD | APR_FPROT_GEXECUTE | APR_FPROT_WREAD
                           | APR_FPROT_WEXECUTE;
    apr_status_t rv = apr_dir_make(dir, mode, pconf);
    apr_finfo_t found;

    if ((rv == APR_SUCCESS || APR_STATUS_IS_EEXIST(rv))
        && (rv = apr_stat(&found, dir, APR_FINFO_LINK | APR_FINFO_TYPE | APR_FINFO_USER,
                          pconf)) == APR_SUCCESS
        && (found.filetype != APR_DIR || found.user != geteuid())) {
        rv = APR_EACCES;
    }
    if (rv == APR_SUCCESS) {
        rv = apr_file_perms_set(dir, mode);
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, base, MAUTHNO(00140)
                     "%s is not a directory of httpd's own (remove it): every process "
                     "keeps a copy of each CRL of its own", dir);
        return NULL;
    }
    return dir;
}

static int post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                       server_rec *base)
{
    unsigned char generation[MAUTH_GENERATION_LEN];
    const char *crl_dir = NULL;
    int crl_dir_made = 0;
    apr_time_t load_started = apr_time_now();
    server_rec *s;

    /* each load of the configuration (a graceful restart) is a generation
     * of its own: no verdict of an earlier one is used, even inside a TLS
     * session resumed with a ticket key that outlived it */
    if (apr_generate_random_bytes(generation, sizeof(generation)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, base, MAUTHNO(00047)
                     "cannot draw random bytes for the trust generation");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    /* in pconf: a graceful restart frees the last configuration's trusts */
    trusts = mauth_trusts_create(pconf);
    for (s = base; s; s = s->next) {
        mauth_server_conf_t *sc = mauth_server_conf(s);
        if (!mauth_is_mutual(sc)) {
            continue;
        }
        if ((sc->crl_file || sc->crl_path) && !crl_dir_made++) {
            crl_dir = crl_cache_dir(pconf, base);
        }
        if (!check_mutual_vhost(s, sc)
            || attach_trust(s, sc, generation, crl_dir) != APR_SUCCESS) {
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    if (crl_dir) {
        /* copies no vhost of this configuration read */
        mauth_crl_cache_prune(ptemp, crl_dir, load_started);
    }
    return mauth_refresh_parent_start(pconf, base) ? OK : HTTP_INTERNAL_SERVER_ERROR;
}

static void child_init(apr_pool_t *pchild, server_rec *base)
{
    if (trusts && !mauth_trusts_child_init(trusts, pchild)) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, base, MAUTHNO(00045)
                     "cannot create the verdict caches");
        exit(APEXIT_CHILDSICK);
    }
}

/* Before any reader of the configuration: mod_ssl's post_config calls our
 * ssl_init_server, mod_mauth_dbd.c's prepares statements. */
static int resolve_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                          server_rec *base)
{
    mauth_config_resolve(pconf, base);
    return OK;
}

static void register_hooks(apr_pool_t *p)
{
    static const char *const after_ssl[] = {"mod_ssl.c", NULL};

    ap_hook_post_config(resolve_config, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_post_config(post_config, after_ssl, NULL, APR_HOOK_LAST);
    ap_hook_child_init(child_init, NULL, NULL, APR_HOOK_MIDDLE);
    mauth_chain_register_hooks(p);
    mauth_ssl_register_hooks(p);
    mauth_identity_register_hooks(p);
    mauth_body_register_hooks(p);
    mauth_dbd_register_hooks(p);
    mauth_refresh_register_hooks(p);
    mauth_fetch_register_hooks(p);
    mauth_expiry_register_hooks(p);
    mauth_ocsp_register_hooks(p);
}

/* APLOG_USE_MODULE is in mod_mauth.h, so not AP_DECLARE_MODULE here */
module AP_MODULE_DECLARE_DATA mauth_module = {
    STANDARD20_MODULE_STUFF,
    mauth_create_dir_conf,
    mauth_merge_dir_conf,
    mauth_create_server_conf,
    mauth_merge_server_conf,
    mauth_cmds,
    register_hooks,
    AP_MODULE_FLAG_NONE
};
