/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mauth_admin.c: mauth-admin, the command-line front of the identity store
 * (organisations and their mutual-authentication switch, profiles, users,
 * the enforce permission, uploaded certificates, sessions) and of the chain
 * validator (`verify`).  It shares the module's store code, trust builder
 * (with its defaults), validator and argument parsers, so what it accepts
 * and reports is what the module will decide.
 *
 * Exit status: 0 done, 1 refused or not found, 2 usage, 3 store error.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <apr_file_io.h>
#include <apr_general.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "mauth_core.h"
#include "mauth_store.h"
#include "mauth_store_admin.h"
#include "mauth_admin.h"

#define EXIT_DONE    0
#define EXIT_REFUSED 1
#define EXIT_USAGE   2
#define EXIT_STORE   3

#define DEFAULT_SESSION_TTL 7200       /* seconds; Salesforce's default too */
#define MAX_EXPIRING_DAYS 36500        /* a hundred years */
#define MAX_SESSION_TTL (366 * 86400)  /* either way: a negative one is expired */
#define MAX_VERIFY_DEPTH 100           /* MAuthVerifyDepth's range is 1 to 100 */
#define SESSION_TOKEN_BYTES 32

static const char usage_text[] =
"usage: mauth-admin [global options] COMMAND [ARGS] [options]\n"
"\n"
"Global options:\n"
"  --driver sqlite3|pgsql   apr_dbd driver of the store (default sqlite3)\n"
"  --params PARAMS          the database: a file for sqlite3, a libpq conninfo\n"
"                           for pgsql (\"host=/run/pg port=5432 dbname=mauth\")\n"
"  --ca-file FILE, --ca-path DIR     trusted roots (cert add, verify)\n"
"  --crl-file FILE, --crl-path DIR   CRLs (cert add, verify)\n"
"  --crl-check chain|leaf|none       revocation checking, as MAuthCARevocationCheck;\n"
"                                    default chain, as in the module: without a CRL,\n"
"                                    give --crl-check none\n"
"  --json                   list commands and `session create` print JSON\n"
"  --verbose                print the validator's log on stderr\n"
"  --help                   this text\n"
"\n"
"Commands:\n"
"  init [--schema FILE]             create the schema (idempotent); the built-in\n"
"                                   store/schema-<driver>.sql unless FILE is given\n"
"  org add NAME                     add an organisation, mutual auth off\n"
"  org list\n"
"  org enable NAME | org disable NAME   the organisation's mutual-auth switch\n"
"  profile add ORG NAME\n"
"  profile list\n"
"  user add ORG USERNAME [--profile PROFILE]...\n"
"  user list\n"
"  grant user USERNAME | revoke user USERNAME\n"
"                                   the Enforce Mutual Authentication permission\n"
"  grant profile ORG PROFILE | revoke profile ORG PROFILE\n"
"  cert add (--org ORG | --user USERNAME) FILE.pem [--chain INTERMEDIATES.pem]\n"
"                                   upload a client certificate (alone, no key,\n"
"                                   not a CA, not self-signed, valid now, for\n"
"                                   clientAuth, chaining to the roots)\n"
"  cert list [--org ORG] [--user USERNAME] [--expiring DAYS]\n"
"                                   --expiring: only the active ones whose validity\n"
"                                   ends within DAYS days (or has ended); exit 1\n"
"                                   when there is any, for a monitoring check\n"
"  cert remove SHA256               remove every upload of that fingerprint\n"
"  session create USERNAME [--ttl SECONDS] [--token TOKEN]\n"
"                                   print a new session token (default TTL %d s,\n"
"                                   at most a year; a negative TTL makes an expired\n"
"                                   one, for tests)\n"
"  session end TOKEN                end that session; exit 1 when no live session\n"
"                                   has that token\n"
"  session end --user USERNAME      end every session of the user; prints how\n"
"                                   many live ones were ended\n"
"                                   (httpd stops accepting an ended session within\n"
"                                   MAuthStoreCacheTimeout: 30 s by default)\n"
"  session list [--user USERNAME] [--show-tokens]\n"
"                                   the live sessions, oldest first; a token is a\n"
"                                   credential, so each is shown as the start of\n"
"                                   its SHA-256 (--json: the whole SHA-256) unless\n"
"                                   --show-tokens is given\n"
"  import users|certs|sessions FILE  bulk import of lines (\"-\": stdin), tab-\n"
"                                   or comma-separated, committed every 10000:\n"
"                                   users:    ORG USERNAME [ENFORCE 0|1]\n"
"                                   certs:    SHA256 SUBJECT ISSUER SERIAL NOT_BEFORE\n"
"                                             NOT_AFTER user:USERNAME|org:ORG\n"
"                                   sessions: TOKEN USERNAME EXPIRES [CREATED]\n"
"                                   (times in unix seconds; a bad line stops it)\n"
"  lookup (--user USERNAME | --session TOKEN) [--cert LEAF.pem] [--query SQL]\n"
"                                   resolve a user through the module's queries:\n"
"                                   organisation, enforcement, and whether the\n"
"                                   certificate is uploaded for them; --query\n"
"                                   tries a replacement user or session query\n"
"  verify --chain CHAIN.pem [--leaf LEAF.pem] [--depth N]\n"
"                                   validate a chain as the module would (--depth:\n"
"                                   MAuthVerifyDepth, 1 to 100, default %d); prints\n"
"                                   SUCCESS or FAILED:<token>: <sentence>, where\n"
"                                   the first word is the module's MAUTH_CLIENT_VERIFY\n"
"\n"
"Exit status: 0 done, 1 refused or not found, 2 usage error, 3 store error.\n";

/* ------------------------------------------------------------------ options */

typedef struct {
    const char *driver;
    const char *params;
    const char *ca_file;
    const char *ca_path;
    const char *crl_file;
    const char *crl_path;
    const char *crl_check;
    int json;
    int verbose;
    int help;
    /* command options */
    apr_array_header_t *profiles;      /* const char * */
    const char *org;
    const char *user;
    const char *chain;
    const char *leaf;
    const char *ttl;
    const char *depth;
    const char *expiring;
    const char *token;
    const char *session;
    const char *cert;
    const char *query;
    const char *schema;
    int show_tokens;
    apr_array_header_t *command_options; /* names given, checked per command */
    apr_array_header_t *words;         /* positional arguments */
} options_t;

typedef struct {
    const char *name;
    int takes_value;
    int is_command_option;             /* only some commands accept it */
} option_spec_t;

static const option_spec_t option_specs[] = {
    { "driver", 1, 0 }, { "params", 1, 0 },
    { "ca-file", 1, 0 }, { "ca-path", 1, 0 },
    { "crl-file", 1, 0 }, { "crl-path", 1, 0 }, { "crl-check", 1, 0 },
    { "json", 0, 1 }, { "verbose", 0, 0 }, { "help", 0, 0 },
    { "profile", 1, 1 }, { "org", 1, 1 }, { "user", 1, 1 },
    { "chain", 1, 1 }, { "leaf", 1, 1 }, { "ttl", 1, 1 }, { "depth", 1, 1 },
    { "expiring", 1, 1 },
    { "token", 1, 1 }, { "session", 1, 1 }, { "cert", 1, 1 },
    { "query", 1, 1 }, { "schema", 1, 1 }, { "show-tokens", 0, 1 },
    { NULL, 0, 0 }
};

static void complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void complain(const char *fmt, ...)
{
    va_list ap;

    fputs("mauth-admin: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;

    fputs("mauth-admin: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n(mauth-admin --help for usage)\n", stderr);
    return EXIT_USAGE;
}

static void set_option(options_t *o, const char *name, const char *value)
{
    if (strcmp(name, "driver") == 0) o->driver = value;
    else if (strcmp(name, "params") == 0) o->params = value;
    else if (strcmp(name, "ca-file") == 0) o->ca_file = value;
    else if (strcmp(name, "ca-path") == 0) o->ca_path = value;
    else if (strcmp(name, "crl-file") == 0) o->crl_file = value;
    else if (strcmp(name, "crl-path") == 0) o->crl_path = value;
    else if (strcmp(name, "crl-check") == 0) o->crl_check = value;
    else if (strcmp(name, "json") == 0) o->json = 1;
    else if (strcmp(name, "verbose") == 0) o->verbose = 1;
    else if (strcmp(name, "help") == 0) o->help = 1;
    else if (strcmp(name, "profile") == 0) APR_ARRAY_PUSH(o->profiles, const char *) = value;
    else if (strcmp(name, "org") == 0) o->org = value;
    else if (strcmp(name, "user") == 0) o->user = value;
    else if (strcmp(name, "chain") == 0) o->chain = value;
    else if (strcmp(name, "leaf") == 0) o->leaf = value;
    else if (strcmp(name, "ttl") == 0) o->ttl = value;
    else if (strcmp(name, "depth") == 0) o->depth = value;
    else if (strcmp(name, "expiring") == 0) o->expiring = value;
    else if (strcmp(name, "token") == 0) o->token = value;
    else if (strcmp(name, "session") == 0) o->session = value;
    else if (strcmp(name, "cert") == 0) o->cert = value;
    else if (strcmp(name, "query") == 0) o->query = value;
    else if (strcmp(name, "schema") == 0) o->schema = value;
    else if (strcmp(name, "show-tokens") == 0) o->show_tokens = 1;
}

/* Options may come anywhere; "--" ends them (for names that start "--"). */
static int parse_options(apr_pool_t *p, int argc, const char *const *argv,
                         options_t *o)
{
    const option_spec_t *spec;
    const char *arg, *name, *value, *equals;
    int i, options_done = 0;

    memset(o, 0, sizeof(*o));
    o->driver = "sqlite3";
    o->profiles = apr_array_make(p, 2, sizeof(const char *));
    o->command_options = apr_array_make(p, 2, sizeof(const char *));
    o->words = apr_array_make(p, 4, sizeof(const char *));
    for (i = 1; i < argc; i++) {
        arg = argv[i];
        if (options_done || arg[0] != '-' || arg[1] == '\0') {
            APR_ARRAY_PUSH(o->words, const char *) = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            options_done = 1;
            continue;
        }
        if (strcmp(arg, "-h") == 0) {
            o->help = 1;
            continue;
        }
        if (arg[1] != '-') {
            return usage_error("unknown option %s (a token or name that starts with "
                               "'-' goes after --)", arg);
        }
        equals = strchr(arg, '=');
        name = equals ? apr_pstrmemdup(p, arg + 2, equals - arg - 2) : arg + 2;
        for (spec = option_specs; spec->name && strcmp(spec->name, name); spec++)
            ;
        if (!spec->name) {
            return usage_error("unknown option --%s", name);
        }
        value = NULL;
        if (spec->takes_value) {
            if (equals) {
                value = equals + 1;
            }
            else if (i + 1 < argc) {
                value = argv[++i];
            }
            else {
                return usage_error("--%s needs a value", name);
            }
        }
        else if (equals) {
            return usage_error("--%s takes no value", name);
        }
        if (spec->is_command_option) {
            APR_ARRAY_PUSH(o->command_options, const char *) = spec->name;
        }
        set_option(o, name, value);
    }
    return EXIT_DONE;
}

/* ------------------------------------------------------------------ output */

static const char *yes_no(int value)
{
    return value ? "yes" : "no";
}

static const char *json_bool(int value)
{
    return value ? "true" : "false";
}

static void json_string(const char *text)
{
    const unsigned char *c;

    if (!text) {
        fputs("null", stdout);
        return;
    }
    putchar('"');
    for (c = (const unsigned char *)text; *c; c++) {
        if (*c == '"' || *c == '\\') {
            printf("\\%c", *c);
        }
        else if (*c < 0x20 || *c == 0x7f) {
            printf("\\u%04x", *c);
        }
        else {
            putchar(*c);
        }
    }
    putchar('"');
}

/* A plain text table: columns padded to their widest cell. */
typedef struct {
    int ncols;
    apr_array_header_t *rows;          /* const char ** */
} table_t;

static table_t *table_make(apr_pool_t *p, int ncols, ...)
{
    table_t *t = apr_pcalloc(p, sizeof(*t));
    const char **header = apr_palloc(p, ncols * sizeof(*header));
    va_list ap;
    int i;

    t->ncols = ncols;
    t->rows = apr_array_make(p, 8, sizeof(const char **));
    va_start(ap, ncols);
    for (i = 0; i < ncols; i++) {
        header[i] = va_arg(ap, const char *);
    }
    va_end(ap);
    APR_ARRAY_PUSH(t->rows, const char **) = header;
    return t;
}

static void table_add(apr_pool_t *p, table_t *t, ...)
{
    const char **row = apr_palloc(p, t->ncols * sizeof(*row));
    const char *cell;
    va_list ap;
    int i;

    va_start(ap, t);
    for (i = 0; i < t->ncols; i++) {
        cell = va_arg(ap, const char *);
        row[i] = cell ? cell : "";
    }
    va_end(ap);
    APR_ARRAY_PUSH(t->rows, const char **) = row;
}

static void table_print(const table_t *t)
{
    int widths[16] = { 0 };
    const char **row;
    int i, col, length;

    for (i = 0; i < t->rows->nelts; i++) {
        row = APR_ARRAY_IDX(t->rows, i, const char **);
        for (col = 0; col < t->ncols && col < 16; col++) {
            length = (int)strlen(row[col]);
            if (length > widths[col]) {
                widths[col] = length;
            }
        }
    }
    for (i = 0; i < t->rows->nelts; i++) {
        row = APR_ARRAY_IDX(t->rows, i, const char **);
        for (col = 0; col < t->ncols; col++) {
            if (col == t->ncols - 1) {
                printf("%s\n", row[col]);
            }
            else {
                printf("%-*s  ", widths[col < 16 ? col : 15], row[col]);
            }
        }
    }
}

/* ----------------------------------------------------------- store, trust */

static int exit_for(mauth_store_status_e status)
{
    switch (status) {
    case MAUTH_STORE_OK:
        return EXIT_DONE;
    case MAUTH_STORE_NOT_FOUND:
    case MAUTH_STORE_EXISTS:
        return EXIT_REFUSED;
    default:
        return EXIT_STORE;
    }
}

/* Reports a failed store call; returns the exit status. */
static int store_failed(mauth_admin_store_t *store, mauth_store_status_e status)
{
    if (status == MAUTH_STORE_ERROR) {
        complain("store error: %s", store->message);
    }
    else {
        complain("%s", store->message);
    }
    return exit_for(status);
}

static void log_to_stderr(void *baton, const char *file, int line, int level,
                          const char *tag, const char *message)
{
    static const char *const names[] = {
        "emerg", "alert", "crit", "error", "warn", "notice", "info", "debug"
    };

    fprintf(stderr, "mauth-admin: [%s] %s: %s\n",
            level >= 0 && level <= 7 ? names[level] : "trace", tag, message);
    (void)baton;                       /* stderr needs no state */
}

/* The module's directive of each setting mauth_trust_build names, as this
 * tool's option, with what to do where a setting is missing. */
static const struct {
    const char *directive, *option, *hint;
} trust_settings[] = {
    { "MAuthCACertificateFile/MAuthCACertificatePath", "--ca-file/--ca-path",
      "give --ca-file or --ca-path" },
    { "MAuthCARevocationFile/MAuthCARevocationCheck", "--crl-file/--crl-check",
      "give --crl-file or --crl-path, or --crl-check none to check no revocation" },
    { "MAuthCACertificateFile", "--ca-file", NULL },
    { "MAuthCACertificatePath", "--ca-path", NULL },
    { "MAuthCARevocationFile", "--crl-file", NULL },
    { "MAuthCARevocationPath", "--crl-path", NULL },
    { "MAuthCARevocationCheck", "--crl-check", NULL },
    { NULL, NULL, NULL }
};

/* --crl-check's words, in the order of their modes. */
static const char *const crl_check_words[] = { "chain", "leaf", "none", NULL };
static const mauth_crl_check_e crl_check_modes[] = {
    MAUTH_CRL_CHECK_CHAIN, MAUTH_CRL_CHECK_LEAF, MAUTH_CRL_CHECK_NONE
};

/*
 * The roots, CRLs and policy of the global options, through the module's
 * own builder with the module's defaults: revocation checking of the whole
 * chain unless --crl-check says otherwise, so with no CRL the tool refuses
 * to go on exactly where httpd would refuse to start.  depth -1: the
 * default.
 */
static int build_trust(apr_pool_t *p, const options_t *o, int depth,
                       const mauth_logger_t *log, mauth_trust_t **trust)
{
    mauth_trust_spec_t spec;
    const char *err = NULL, *what = NULL;
    int i, word;

    memset(&spec, 0, sizeof(spec));
    spec.ca_file = o->ca_file;
    spec.ca_path = o->ca_path;
    spec.crl_file = o->crl_file;
    spec.crl_path = o->crl_path;
    spec.crl_check = MAUTH_CRL_CHECK_UNSET;
    spec.depth = depth;
    if (o->crl_check) {
        if ((err = mauth_parse_keyword(p, "--crl-check", o->crl_check, crl_check_words,
                                       &word)) != NULL) {
            return usage_error("%s", err);
        }
        spec.crl_check = crl_check_modes[word];
    }
    if (mauth_trust_build(p, &spec, log, trust, &err, &what) == APR_SUCCESS) {
        return EXIT_DONE;
    }
    for (i = 0; trust_settings[i].directive && strcmp(trust_settings[i].directive, what); i++)
        ;
    if (!trust_settings[i].directive) {
        return usage_error("%s: %s", what, err);
    }
    return usage_error("%s (the module's %s): %s%s%s", trust_settings[i].option, what, err,
                       trust_settings[i].hint ? "; " : "",
                       trust_settings[i].hint ? trust_settings[i].hint : "");
}

/* ---------------------------------------------------------------- commands */

typedef struct {
    apr_pool_t *pool;
    options_t *options;
    const char **args;                 /* positional, after the command words */
    int nargs;
    mauth_admin_store_t *store;
    mauth_logger_t log;
} context_t;

typedef int command_fn(context_t *c);

/* The whole of a text file, NUL-terminated. */
static const char *read_text_file(apr_pool_t *p, const char *path, const char **err)
{
    apr_file_t *file;
    apr_finfo_t finfo;
    apr_size_t length;
    apr_status_t rv;
    char *text, message[120];

    rv = apr_file_open(&file, path, APR_FOPEN_READ, APR_OS_DEFAULT, p);
    if (rv == APR_SUCCESS) {
        rv = apr_file_info_get(&finfo, APR_FINFO_SIZE, file);
    }
    if (rv == APR_SUCCESS) {
        length = (apr_size_t)finfo.size;
        text = apr_palloc(p, length + 1);
        rv = apr_file_read_full(file, text, length, &length);
        text[length] = '\0';
        apr_file_close(file);
        if (rv == APR_SUCCESS || rv == APR_EOF) {
            return text;
        }
    }
    *err = apr_psprintf(p, "cannot read %s: %s", path,
                        apr_strerror(rv, message, sizeof(message)));
    return NULL;
}

static int cmd_init(context_t *c)
{
    mauth_store_status_e status;
    const char *schema = mauth_admin_schema_sql(c->store->driver_name);
    const char *err = NULL;

    if (c->options->schema
        && !(schema = read_text_file(c->pool, c->options->schema, &err))) {
        return usage_error("%s", err);
    }
    status = mauth_admin_create_schema(c->store, schema);
    if (status == MAUTH_STORE_OK) {
        status = mauth_admin_check_schema(c->store);
    }
    if (status != MAUTH_STORE_OK) {
        return store_failed(c->store, status);
    }
    printf("schema version %d ready (%s)\n", MAUTH_STORE_SCHEMA_VERSION,
           c->store->driver_name);
    return EXIT_DONE;
}

static int cmd_org_add(context_t *c)
{
    mauth_store_status_e status = mauth_admin_org_add(c->store, c->args[0]);

    if (status != MAUTH_STORE_OK) {
        return store_failed(c->store, status);
    }
    printf("organisation '%s' added (mutual authentication off)\n", c->args[0]);
    return EXIT_DONE;
}

static int org_switch(context_t *c, int on)
{
    mauth_store_status_e status;

    status = mauth_admin_org_set_mutual_auth(c->store, c->args[0], on);
    if (status != MAUTH_STORE_OK) {
        return store_failed(c->store, status);
    }
    printf("mutual authentication %s for organisation '%s'\n",
           on ? "enabled" : "disabled", c->args[0]);
    return EXIT_DONE;
}

static int cmd_org_enable(context_t *c)
{
    return org_switch(c, 1);
}

static int cmd_org_disable(context_t *c)
{
    return org_switch(c, 0);
}

static int cmd_org_list(context_t *c)
{
    apr_array_header_t *orgs;
    mauth_admin_org_t *org;
    table_t *table;
    mauth_store_status_e status;
    int i;

    if ((status = mauth_admin_org_list(c->store, &orgs)) != MAUTH_STORE_OK) {
        return store_failed(c->store, status);
    }
    if (c->options->json) {
        putchar('[');
        for (i = 0; i < orgs->nelts; i++) {
            org = &APR_ARRAY_IDX(orgs, i, mauth_admin_org_t);
            printf("%s{\"name\":", i ? "," : "");
            json_string(org->name);
            printf(",\"mutual_auth_enabled\":%s,\"users\":%d,\"certificates\":%d}",
                   json_bool(org->mutual_auth), org->users, org->certificates);
        }
        puts("]");
        return EXIT_DONE;
    }
    table = table_make(c->pool, 4, "ORGANISATION", "MUTUAL-AUTH", "USERS", "CERTIFICATES");
    for (i = 0; i < orgs->nelts; i++) {
        org = &APR_ARRAY_IDX(orgs, i, mauth_admin_org_t);
        table_add(c->pool, table, org->name, org->mutual_auth ? "on" : "off",
                  apr_itoa(c->pool, org->users), apr_itoa(c->pool, org->certificates));
    }
    table_print(table);
    return EXIT_DONE;
}

static int cmd_profile_add(context_t *c)
{
    mauth_store_status_e status;

    status = mauth_admin_profile_add(c->store, c->args[0], c->args[1]);
    if (status != MAUTH_STORE_OK) {
        return store_failed(c->store, status);
    }
    printf("profile '%s' added to organisation '%s'\n", c->args[1], c->args[0]);
    return EXIT_DONE;
}

static int cmd_profile_list(context_t *c)
{
    apr_array_header_t *profiles;
    mauth_admin_profile_t *profile;
    table_t *table;
    mauth_store_status_e status;
    int i;

    if ((status = mauth_admin_profile_list(c->store, &profiles)) != MAUTH_STORE_OK) {
        return store_failed(c->store, status);
    }
    if (c->options->json) {
        putchar('[');
        for (i = 0; i < profiles->nelts; i++) {
            profile = &APR_ARRAY_IDX(profiles, i, mauth_admin_profile_t);
            printf("%s{\"org\":", i ? "," : "");
            json_string(profile->org_name);
            fputs(",\"name\":", stdout);
            json_string(profile->name);
            printf(",\"enforce_mutual_auth\":%s,\"users\":%d}",
                   json_bool(profile->enforce), profile->users);
        }
        puts("]");
        return EXIT_DONE;
    }
    table = table_make(c->pool, 4, "ORGANISATION", "PROFILE", "ENFORCE", "USERS");
    for (i = 0; i < profiles->nelts; i++) {
        profile = &APR_ARRAY_IDX(profiles, i, mauth_admin_profile_t);
        table_add(c->pool, table, profile->org_name, profile->name,
                  yes_no(profile->enforce), apr_itoa(c->pool, profile->users));
    }
    table_print(table);
    return EXIT_DONE;
}

static int cmd_user_add(context_t *c)
{
    mauth_store_status_e status;

    if (!*c->args[1]) {
        return usage_error("a username cannot be empty");
    }
    status = mauth_admin_user_add(c->store, c->args[0], c->args[1],
                                  c->options->profiles);
    if (status != MAUTH_STORE_OK) {
        return store_failed(c->store, status);
    }
    printf("user '%s' added to organisation '%s'", c->args[1], c->args[0]);
    if (c->options->profiles->nelts) {
        printf(" with profile%s %s", c->options->profiles->nelts > 1 ? "s" : "",
               apr_array_pstrcat(c->pool, c->options->profiles, ','));
    }
    putchar('\n');
    return EXIT_DONE;
}

static const char *enforcement_text(const mauth_admin_user_t *user)
{
    if (user->enforced) {
        return "yes";
    }
    if (user->user_permission) {
        return "no (organisation switch off)";
    }
    return "no";
}

static int cmd_user_list(context_t *c)
{
    apr_array_header_t *users;
    mauth_admin_user_t *user;
    table_t *table;
    mauth_store_status_e status;
    char *profiles, *name, *state;
    int i, first;

    if ((status = mauth_admin_user_list(c->store, &users)) != MAUTH_STORE_OK) {
        return store_failed(c->store, status);
    }
    if (c->options->json) {
        putchar('[');
        for (i = 0; i < users->nelts; i++) {
            user = &APR_ARRAY_IDX(users, i, mauth_admin_user_t);
            printf("%s{\"org\":", i ? "," : "");
            json_string(user->org_name);
            fputs(",\"username\":", stdout);
            json_string(user->username);
            printf(",\"enforce_mutual_auth\":%s,\"profiles\":[",
                   json_bool(user->own_permission));
            profiles = apr_pstrdup(c->pool, user->profiles);
            first = 1;
            for (name = apr_strtok(profiles, ",", &state); name;
                 name = apr_strtok(NULL, ",", &state)) {
                if (!first) {
                    putchar(',');
                }
                json_string(name);
                first = 0;
            }
            printf("],\"permission\":%s,\"org_mutual_auth_enabled\":%s,"
                   "\"enforced\":%s}", json_bool(user->user_permission),
                   json_bool(user->org_mutual_auth), json_bool(user->enforced));
        }
        puts("]");
        return EXIT_DONE;
    }
    table = table_make(c->pool, 5, "ORGANISATION", "USERNAME", "OWN-PERMISSION",
                       "PROFILES", "ENFORCED");
    for (i = 0; i < users->nelts; i++) {
        user = &APR_ARRAY_IDX(users, i, mauth_admin_user_t);
        table_add(c->pool, table, user->org_name, user->username,
                  yes_no(user->own_permission),
                  *user->profiles ? user->profiles : "-", enforcement_text(user));
    }
    table_print(table);
    return EXIT_DONE;
}

static int user_permission(context_t *c, int on)
{
    mauth_store_status_e status;

    status = mauth_admin_user_set_enforce(c->store, c->args[0], on);
    if (status != MAUTH_STORE_OK) {
        return store_failed(c->store, status);
    }
    printf("Enforce Mutual Authentication %s user '%s'\n",
           on ? "granted to" : "revoked from", c->args[0]);
    return EXIT_DONE;
}

static int cmd_grant_user(context_t *c)
{
    return user_permission(c, 1);
}

static int cmd_revoke_user(context_t *c)
{
    return user_permission(c, 0);
}

static int profile_permission(context_t *c, int on)
{
    mauth_store_status_e status;

    status = mauth_admin_profile_set_enforce(c->store, c->args[0], c->args[1], on);
    if (status != MAUTH_STORE_OK) {
        return store_failed(c->store, status);
    }
    printf("Enforce Mutual Authentication %s profile '%s' of organisation '%s'\n",
           on ? "granted to" : "revoked from", c->args[1], c->args[0]);
    return EXIT_DONE;
}

static int cmd_grant_profile(context_t *c)
{
    return profile_permission(c, 1);
}

static int cmd_revoke_profile(context_t *c)
{
    return profile_permission(c, 0);
}

static int cmd_cert_add(context_t *c)
{
    options_t *o = c->options;
    mauth_trust_t *trust = NULL;
    mauth_upload_t upload;
    mauth_admin_cert_t cert;
    mauth_store_status_e status;
    apr_time_t now = apr_time_now();
    const char *why = NULL;
    int rv;

    if ((o->org != NULL) == (o->user != NULL)) {
        return usage_error("cert add needs exactly one owner: --org ORG or --user USERNAME");
    }
    if ((rv = build_trust(c->pool, o, -1, &c->log, &trust)) != EXIT_DONE) {
        return rv;
    }
    if (mauth_upload_check(c->pool, c->args[0], o->chain, trust, now, &c->log,
                           &upload, &why) != 0) {
        complain("refused: %s", why);
        return EXIT_REFUSED;
    }
    memset(&cert, 0, sizeof(cert));
    cert.sha256 = upload.info.fingerprint;
    cert.subject = upload.info.subject_dn;
    cert.issuer = upload.info.issuer_dn;
    cert.serial = upload.info.serial;
    cert.not_before = upload.not_before;
    cert.not_after = upload.not_after;
    cert.pem = upload.pem;
    status = mauth_admin_cert_add(c->store, o->org, o->user, &cert, apr_time_sec(now));
    if (status == MAUTH_STORE_EXISTS) {
        complain("refused: %s", c->store->message);
        return EXIT_REFUSED;
    }
    if (status != MAUTH_STORE_OK) {
        return store_failed(c->store, status);
    }
    printf("uploaded %s for %s '%s'\n  subject %s\n  issuer  %s\n  valid   %s .. %s\n",
           cert.sha256, o->user ? "user" : "organisation", o->user ? o->user : o->org,
           cert.subject, cert.issuer, mauth_iso_time(c->pool, cert.not_before),
           mauth_iso_time(c->pool, cert.not_after));
    return EXIT_DONE;
}

static const char *cert_state(const mauth_admin_cert_t *cert, apr_int64_t now)
{
    if (!cert->active) {
        return "inactive";
    }
    if (cert->not_before > now) {
        return "not-yet-valid";
    }
    if (cert->not_after < now) {
        return "expired";
    }
    return "valid";
}

/* The active certificates whose validity ends before the deadline. */
static apr_array_header_t *only_expiring(apr_pool_t *p, const apr_array_header_t *certs,
                                         apr_int64_t deadline)
{
    apr_array_header_t *kept = apr_array_make(p, 4, sizeof(mauth_admin_cert_t));
    const mauth_admin_cert_t *cert;
    int i;

    for (i = 0; i < certs->nelts; i++) {
        cert = &APR_ARRAY_IDX(certs, i, mauth_admin_cert_t);
        if (cert->active && cert->not_after <= deadline) {
            APR_ARRAY_PUSH(kept, mauth_admin_cert_t) = *cert;
        }
    }
    return kept;
}

/* --expiring is a monitoring check: exit 1 when it found any. */
static int expiring_exit(const context_t *c, const apr_array_header_t *certs)
{
    return c->options->expiring && certs->nelts ? EXIT_REFUSED : EXIT_DONE;
}

static int cmd_cert_list(context_t *c)
{
    apr_array_header_t *certs;
    mauth_admin_cert_t *cert;
    mauth_store_status_e status;
    apr_int64_t now = apr_time_sec(apr_time_now()), days = 0;
    const char *err;
    int i;

    if (c->options->expiring
        && (err = mauth_parse_number(c->pool, "--expiring", c->options->expiring, 0,
                                     MAX_EXPIRING_DAYS, &days)) != NULL) {
        return usage_error("%s", err);
    }
    status = mauth_admin_cert_list(c->store, c->options->org, c->options->user, &certs);
    if (status != MAUTH_STORE_OK) {
        return store_failed(c->store, status);
    }
    if (c->options->expiring) {
        certs = only_expiring(c->pool, certs, now + days * 86400);
    }
    if (c->options->json) {
        putchar('[');
        for (i = 0; i < certs->nelts; i++) {
            cert = &APR_ARRAY_IDX(certs, i, mauth_admin_cert_t);
            printf("%s{\"sha256\":", i ? "," : "");
            json_string(cert->sha256);
            fputs(",\"org\":", stdout);
            json_string(cert->org_name);
            fputs(",\"user\":", stdout);
            json_string(cert->username);
            fputs(",\"subject\":", stdout);
            json_string(cert->subject);
            fputs(",\"issuer\":", stdout);
            json_string(cert->issuer);
            fputs(",\"serial\":", stdout);
            json_string(cert->serial);
            printf(",\"not_before\":\"%s\",\"not_after\":\"%s\","
                   "\"not_before_unix\":%" APR_INT64_T_FMT ","
                   "\"not_after_unix\":%" APR_INT64_T_FMT ","
                   "\"active\":%s,\"state\":\"%s\",\"created\":\"%s\"}",
                   mauth_iso_time(c->pool, cert->not_before),
                   mauth_iso_time(c->pool, cert->not_after),
                   cert->not_before, cert->not_after, json_bool(cert->active),
                   cert_state(cert, now), mauth_iso_time(c->pool, cert->created));
        }
        puts("]");
        return expiring_exit(c, certs);
    }
    if (certs->nelts == 0) {
        if (c->options->expiring) {
            printf("no certificates expire within %" APR_INT64_T_FMT " days\n", days);
        }
        else {
            puts("no certificates");
        }
    }
    for (i = 0; i < certs->nelts; i++) {
        cert = &APR_ARRAY_IDX(certs, i, mauth_admin_cert_t);
        printf("%ssha256   %s\n", i ? "\n" : "", cert->sha256);
        if (cert->username) {
            printf("owner    user '%s' of organisation '%s'\n", cert->username,
                   cert->org_name);
        }
        else {
            printf("owner    organisation '%s'\n", cert->org_name);
        }
        printf("subject  %s\nissuer   %s\nserial   %s\n"
               "valid    %s .. %s (%s)\nuploaded %s\n",
               cert->subject, cert->issuer, cert->serial,
               mauth_iso_time(c->pool, cert->not_before), mauth_iso_time(c->pool, cert->not_after),
               cert_state(cert, now), mauth_iso_time(c->pool, cert->created));
    }
    return expiring_exit(c, certs);
}

/* Accepts 64 hex digits, with or without the colons openssl prints. */
static const char *normalise_fingerprint(apr_pool_t *p, const char *text)
{
    char *hex = apr_palloc(p, strlen(text) + 1);
    apr_size_t n = 0;

    for (; *text; text++) {
        if (*text == ':') {
            continue;
        }
        if (!apr_isxdigit(*text)) {
            return NULL;
        }
        hex[n++] = apr_tolower(*text);
    }
    hex[n] = '\0';
    return n == MAUTH_FINGERPRINT_HEX_LEN ? hex : NULL;
}

static int cmd_cert_remove(context_t *c)
{
    const char *fingerprint = normalise_fingerprint(c->pool, c->args[0]);
    mauth_store_status_e status;
    int removed = 0;

    if (!fingerprint) {
        return usage_error("'%s' is not a SHA-256 fingerprint (64 hex digits)",
                           c->args[0]);
    }
    status = mauth_admin_cert_remove(c->store, fingerprint, &removed);
    if (status != MAUTH_STORE_OK) {
        return store_failed(c->store, status);
    }
    printf("removed %d upload%s of %s\n", removed, removed == 1 ? "" : "s",
           fingerprint);
    return EXIT_DONE;
}

/* 32 random bytes, base64url without padding: safe in headers and cookies.
 * Never starting with '-', which command lines would take for an option. */
static const char *new_session_token(apr_pool_t *p)
{
    unsigned char random[SESSION_TOKEN_BYTES];
    unsigned char encoded[4 * ((SESSION_TOKEN_BYTES + 2) / 3) + 1];
    char *c;
    int length;

    do {
        if (RAND_bytes(random, sizeof(random)) != 1) {
            return NULL;
        }
    } while ((random[0] >> 2) == 62);  /* the first character would be '-' */
    length = EVP_EncodeBlock(encoded, random, sizeof(random));
    while (length > 0 && encoded[length - 1] == '=') {
        length--;
    }
    encoded[length] = '\0';
    for (c = (char *)encoded; *c; c++) {
        if (*c == '+') {
            *c = '-';
        }
        else if (*c == '/') {
            *c = '_';
        }
    }
    return apr_pstrdup(p, (const char *)encoded);
}

static int cmd_session_create(context_t *c)
{
    options_t *o = c->options;
    apr_int64_t ttl = DEFAULT_SESSION_TTL;
    apr_int64_t now = apr_time_sec(apr_time_now());
    const char *token = o->token, *err = NULL;
    mauth_store_status_e status;

    if (o->ttl && (err = mauth_parse_number(c->pool, "--ttl", o->ttl, -MAX_SESSION_TTL,
                                            MAX_SESSION_TTL, &ttl)) != NULL) {
        return usage_error("%s", err);
    }
    if (token && !*token) {
        return usage_error("--token cannot be empty");
    }
    if (!token && !(token = new_session_token(c->pool))) {
        complain("the random generator failed");
        return EXIT_STORE;
    }
    status = mauth_admin_session_create(c->store, c->args[0], token, now + ttl, now);
    if (status != MAUTH_STORE_OK) {
        return store_failed(c->store, status);
    }
    if (o->json) {
        fputs("{\"token\":", stdout);
        json_string(token);
        fputs(",\"username\":", stdout);
        json_string(c->args[0]);
        printf(",\"expires\":\"%s\",\"expires_unix\":%" APR_INT64_T_FMT "}\n",
               mauth_iso_time(c->pool, now + ttl), now + ttl);
    }
    else {
        puts(token);
    }
    return EXIT_DONE;
}

/* What a session is called where its token must not be shown: the first
 * 16 hex digits of its SHA-256 (whole when full is set).  The token itself
 * is a credential; its hash is not. */
static const char *session_name(apr_pool_t *p, const char *token, int full)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0, i;
    char *hex;

    if (!EVP_Digest(token, strlen(token), digest, &length, EVP_sha256(), NULL)) {
        return "?";
    }
    hex = apr_palloc(p, 2 * length + 1);
    for (i = 0; i < length; i++) {
        apr_snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    }
    if (!full) {
        hex[16] = '\0';
    }
    return hex;
}

static int cmd_session_end(context_t *c)
{
    options_t *o = c->options;
    apr_int64_t now = apr_time_sec(apr_time_now());
    mauth_store_status_e status;
    const char *username = NULL;
    int ended = 0;

    if ((c->nargs == 1) == (o->user != NULL)) {
        return usage_error("session end takes a TOKEN or --user USERNAME (one of them)");
    }
    if (o->user) {
        status = mauth_admin_session_end_user(c->store, o->user, now, &ended);
        if (status != MAUTH_STORE_OK) {
            return store_failed(c->store, status);
        }
        printf("ended %d live session%s of user '%s'\n", ended, ended == 1 ? "" : "s",
               o->user);
        return EXIT_DONE;
    }
    if (!*c->args[0]) {
        return usage_error("a session token cannot be empty");
    }
    status = mauth_admin_session_end(c->store, c->args[0], now, &username);
    if (status != MAUTH_STORE_OK) {
        return store_failed(c->store, status);
    }
    printf("ended session %s of user '%s'\n", session_name(c->pool, c->args[0], 0),
           username);
    return EXIT_DONE;
}

static int cmd_session_list(context_t *c)
{
    options_t *o = c->options;
    apr_int64_t now = apr_time_sec(apr_time_now());
    apr_array_header_t *sessions;
    mauth_admin_session_t *session;
    mauth_store_status_e status;
    table_t *table;
    int i;

    status = mauth_admin_session_list(c->store, o->user, now, &sessions);
    if (status != MAUTH_STORE_OK) {
        return store_failed(c->store, status);
    }
    if (o->json) {
        putchar('[');
        for (i = 0; i < sessions->nelts; i++) {
            session = &APR_ARRAY_IDX(sessions, i, mauth_admin_session_t);
            printf("%s{\"token_sha256\":\"%s\"", i ? "," : "",
                   session_name(c->pool, session->token, 1));
            if (o->show_tokens) {
                fputs(",\"token\":", stdout);
                json_string(session->token);
            }
            fputs(",\"username\":", stdout);
            json_string(session->username);
            fputs(",\"org\":", stdout);
            json_string(session->org_name);
            printf(",\"created\":\"%s\",\"created_unix\":%" APR_INT64_T_FMT
                   ",\"expires\":\"%s\",\"expires_unix\":%" APR_INT64_T_FMT "}",
                   mauth_iso_time(c->pool, session->created), session->created,
                   mauth_iso_time(c->pool, session->expires), session->expires);
        }
        puts("]");
        return EXIT_DONE;
    }
    if (sessions->nelts == 0) {
        puts("no live sessions");
        return EXIT_DONE;
    }
    table = table_make(c->pool, 5, o->show_tokens ? "TOKEN" : "SESSION (SHA-256)",
                       "USER", "ORGANISATION", "CREATED", "EXPIRES");
    for (i = 0; i < sessions->nelts; i++) {
        session = &APR_ARRAY_IDX(sessions, i, mauth_admin_session_t);
        table_add(c->pool, table,
                  o->show_tokens ? session->token : session_name(c->pool, session->token, 0),
                  session->username, session->org_name,
                  mauth_iso_time(c->pool, session->created), mauth_iso_time(c->pool, session->expires));
    }
    table_print(table);
    return EXIT_DONE;
}

/* What the module would find for a user: the same queries, the same now. */
/* What lookup prints: the user, and the certificate's match when asked. */
static void print_lookup(const options_t *o, const mauth_store_user_t *user,
                         const mauth_cert_info_t *info, mauth_store_status_e cert_status,
                         const mauth_store_match_t *match)
{
    if (o->json) {
        fputs("{\"username\":", stdout);
        json_string(user->username);
        fputs(",\"org\":", stdout);
        json_string(user->org_name);
        printf(",\"org_mutual_auth_enabled\":%s,\"permission\":%s,\"enforced\":%s",
               json_bool(user->org_mutual_auth), json_bool(user->user_permission),
               json_bool(user->enforced));
        if (o->cert) {
            fputs(",\"certificate\":", stdout);
            json_string(info->fingerprint);
            printf(",\"registered\":%s", json_bool(cert_status == MAUTH_STORE_OK));
            if (cert_status == MAUTH_STORE_OK) {
                printf(",\"registered_for\":\"%s\"", match->org_wide ? "org" : "user");
            }
        }
        puts("}");
        return;
    }
    printf("user         %s\norganisation %s (mutual authentication %s)\n"
           "permission   %s\nenforced     %s\n", user->username, user->org_name,
           user->org_mutual_auth ? "on" : "off", yes_no(user->user_permission),
           yes_no(user->enforced));
    if (o->cert) {
        printf("certificate  %s: %s\n", info->fingerprint,
               cert_status != MAUTH_STORE_OK ? "not registered for this user"
               : match->org_wide ? "registered for the organisation"
               : "registered for the user");
    }
}

/* The facts of --cert LEAF.pem's first certificate. */
static int read_lookup_cert(context_t *c, mauth_cert_info_t *info)
{
    mauth_pem_file_t pem;
    const char *err = NULL;

    memset(info, 0, sizeof(*info));
    if (!c->options->cert) {
        return EXIT_DONE;
    }
    if (mauth_pem_read(c->pool, c->options->cert, &pem, &err) != 0) {
        return usage_error("%s", err);
    }
    if (sk_X509_num(pem.certs) == 0) {
        return usage_error("%s holds no certificate", c->options->cert);
    }
    mauth_cert_info(c->pool, sk_X509_value(pem.certs, 0), info);
    return EXIT_DONE;
}

static int cmd_lookup(context_t *c)
{
    options_t *o = c->options;
    mauth_admin_store_t *s = c->store;
    mauth_store_user_t user;
    mauth_store_match_t match;
    mauth_store_status_e status, cert_status = MAUTH_STORE_NOT_FOUND;
    mauth_cert_info_t info;
    apr_time_t now = apr_time_now();
    const char *label = NULL;          /* the default query */
    const char *err = NULL;
    int rc;

    if ((o->user != NULL) == (o->session != NULL)) {
        return usage_error("lookup needs exactly one of --user USERNAME or --session TOKEN");
    }
    if ((rc = read_lookup_cert(c, &info)) != EXIT_DONE) {
        return rc;
    }
    if (o->query) {
        /* An operator's replacement query, under a label of its own as the
         * module would prepare it. */
        label = "mauth_lookup_query";
        if (mauth_store_prepare(c->pool, s->driver, s->handle, s->prepared, label,
                                o->query, &err) != MAUTH_STORE_OK) {
            complain("store error: %s", err);
            return EXIT_STORE;
        }
    }
    status = o->user
           ? mauth_store_user_by_name(c->pool, s->driver, s->handle, s->prepared,
                                      label, o->user, &user, &err)
           : mauth_store_user_by_session(c->pool, s->driver, s->handle, s->prepared,
                                         label, o->session, now, &user, &err);
    if (status == MAUTH_STORE_NOT_FOUND) {
        complain(o->user ? "no user named '%s'" : "no live session with token '%s'",
                 o->user ? o->user : o->session);
        return EXIT_REFUSED;
    }
    if (status == MAUTH_STORE_OK && o->cert) {
        status = cert_status = mauth_store_certificate_matches(
            c->pool, s->driver, s->handle, s->prepared, &user, info.fingerprint, now, &match,
            &err);
    }
    if (status == MAUTH_STORE_ERROR) {
        complain("store error: %s", err);
        return EXIT_STORE;
    }
    print_lookup(o, &user, &info, cert_status, &match);
    return o->cert && cert_status != MAUTH_STORE_OK ? EXIT_REFUSED : EXIT_DONE;
}

static int cmd_import(context_t *c)
{
    return mauth_admin_import(c->pool, c->store, c->args[0], c->args[1]);
}

static int cmd_verify(context_t *c)
{
    options_t *o = c->options;
    mauth_trust_t *trust = NULL;
    mauth_pem_file_t chain, leaf_file;
    mauth_verdict_t verdict;
    apr_int64_t depth = -1;
    const char *err = NULL;
    X509 *leaf;
    int rv;

    if (!o->chain) {
        return usage_error("verify needs --chain CHAIN.pem");
    }
    if (o->depth && (err = mauth_parse_number(c->pool, "--depth", o->depth, 1,
                                              MAX_VERIFY_DEPTH, &depth)) != NULL) {
        return usage_error("%s", err);
    }
    if ((rv = build_trust(c->pool, o, (int)depth, &c->log, &trust)) != EXIT_DONE) {
        return rv;
    }
    if (mauth_pem_read(c->pool, o->chain, &chain, &err) != 0) {
        return usage_error("%s", err);
    }
    if (o->leaf) {
        if (mauth_pem_read(c->pool, o->leaf, &leaf_file, &err) != 0) {
            return usage_error("%s", err);
        }
        if (sk_X509_num(leaf_file.certs) == 0) {
            return usage_error("%s holds no certificate", o->leaf);
        }
        leaf = sk_X509_value(leaf_file.certs, 0);
    }
    else {
        if (sk_X509_num(chain.certs) == 0) {
            return usage_error("%s holds no certificate", o->chain);
        }
        leaf = sk_X509_value(chain.certs, 0);   /* the untrusted list may hold it */
    }
    mauth_verify_chain(trust, leaf, chain.certs, apr_time_now(), &c->log, &verdict);
    /* The first word is MAUTH_CLIENT_VERIFY's value for this chain. */
    if (verdict.status == MAUTH_VERIFY_SUCCESS) {
        puts(mauth_verdict_text(c->pool, &verdict));
        return EXIT_DONE;
    }
    printf("%s: %s\n", mauth_verdict_text(c->pool, &verdict),
           mauth_reason_sentence(verdict.reason));
    return EXIT_REFUSED;
}

/* ---------------------------------------------------------------- dispatch */

typedef enum { NO_STORE, OPEN_STORE, CREATE_STORE } store_use_e;

/* --driver's words: the apr_dbd drivers the store has a schema for. */
static const char *const drivers[] = { "sqlite3", "pgsql", NULL };

typedef struct {
    const char *word1;
    const char *word2;                 /* NULL: a one-word command */
    int nargs;                         /* -1: none or one, checked by fn */
    const char *options;               /* command options it accepts */
    store_use_e store;
    command_fn *fn;
} command_t;

static const command_t commands[] = {
    { "init", NULL, 0, " schema ", CREATE_STORE, cmd_init },
    { "org", "add", 1, "", OPEN_STORE, cmd_org_add },
    { "org", "list", 0, " json ", OPEN_STORE, cmd_org_list },
    { "org", "enable", 1, "", OPEN_STORE, cmd_org_enable },
    { "org", "disable", 1, "", OPEN_STORE, cmd_org_disable },
    { "profile", "add", 2, "", OPEN_STORE, cmd_profile_add },
    { "profile", "list", 0, " json ", OPEN_STORE, cmd_profile_list },
    { "user", "add", 2, " profile ", OPEN_STORE, cmd_user_add },
    { "user", "list", 0, " json ", OPEN_STORE, cmd_user_list },
    { "grant", "user", 1, "", OPEN_STORE, cmd_grant_user },
    { "revoke", "user", 1, "", OPEN_STORE, cmd_revoke_user },
    { "grant", "profile", 2, "", OPEN_STORE, cmd_grant_profile },
    { "revoke", "profile", 2, "", OPEN_STORE, cmd_revoke_profile },
    { "cert", "add", 1, " org user chain ", OPEN_STORE, cmd_cert_add },
    { "cert", "list", 0, " org user expiring json ", OPEN_STORE, cmd_cert_list },
    { "cert", "remove", 1, "", OPEN_STORE, cmd_cert_remove },
    { "session", "create", 1, " ttl token json ", OPEN_STORE, cmd_session_create },
    { "session", "end", -1, " user ", OPEN_STORE, cmd_session_end },
    { "session", "list", 0, " user show-tokens json ", OPEN_STORE, cmd_session_list },
    { "import", NULL, 2, "", OPEN_STORE, cmd_import },
    { "lookup", NULL, 0, " user session cert query json ", OPEN_STORE, cmd_lookup },
    { "verify", NULL, 0, " chain leaf depth ", NO_STORE, cmd_verify },
    { NULL, NULL, 0, NULL, NO_STORE, NULL }
};

/* The command the words name, its arguments and options checked. */
static int find_command(apr_pool_t *p, const options_t *options, const command_t **found,
                        int *used)
{
    const char **words = (const char **)options->words->elts;
    int nwords = options->words->nelts, i;
    const command_t *command;
    const char *name;

    for (command = commands; command->word1; command++) {
        if (strcmp(command->word1, words[0]) == 0
            && (!command->word2 || (nwords > 1 && strcmp(command->word2, words[1]) == 0))) {
            break;
        }
    }
    if (!command->word1) {
        return usage_error("unknown command '%s%s%s'", words[0],
                           nwords > 1 ? " " : "", nwords > 1 ? words[1] : "");
    }
    *used = command->word2 ? 2 : 1;
    name = apr_pstrcat(p, command->word1, command->word2 ? " " : "",
                       command->word2 ? command->word2 : "", NULL);
    if (command->nargs < 0 && nwords - *used > 1) {
        return usage_error("'%s' takes at most 1 argument, %d given", name, nwords - *used);
    }
    if (command->nargs >= 0 && nwords - *used != command->nargs) {
        return usage_error("'%s' takes %d argument%s, %d given", name, command->nargs,
                           command->nargs == 1 ? "" : "s", nwords - *used);
    }
    for (i = 0; i < options->command_options->nelts; i++) {
        const char *option = APR_ARRAY_IDX(options->command_options, i, const char *);
        if (!strstr(command->options, apr_pstrcat(p, " ", option, " ", NULL))) {
            return usage_error("--%s does not apply to '%s'", option, name);
        }
    }
    *found = command;
    return EXIT_DONE;
}

/* The store a command needs, opened (and its schema checked). */
static int open_store(context_t *context, const command_t *command)
{
    const options_t *options = context->options;
    const char *err = NULL;
    mauth_store_status_e status;
    int driver, rv;

    if ((err = mauth_parse_keyword(context->pool, "--driver", options->driver, drivers,
                                   &driver)) != NULL) {
        return usage_error("%s", err);
    }
    if (!options->params) {
        return usage_error("--params is required: the database file (sqlite3) "
                           "or connection string (pgsql)");
    }
    status = mauth_admin_open(context->pool, drivers[driver], options->params,
                              command->store == CREATE_STORE, &context->store, &err);
    if (status != MAUTH_STORE_OK) {
        complain("%s", err);
        return EXIT_STORE;
    }
    if (command->store == OPEN_STORE
        && (status = mauth_admin_check_schema(context->store)) != MAUTH_STORE_OK) {
        rv = store_failed(context->store, status);
        mauth_admin_close(context->store);
        context->store = NULL;
        return rv;
    }
    return EXIT_DONE;
}

static int run(apr_pool_t *p, int argc, const char *const *argv)
{
    options_t options;
    context_t context;
    const command_t *command = NULL;
    int used = 0, rv;

    if ((rv = parse_options(p, argc, argv, &options)) != EXIT_DONE) {
        return rv;
    }
    if (options.help || (options.words->nelts == 1
                         && strcmp(APR_ARRAY_IDX(options.words, 0, const char *), "help") == 0)) {
        printf(usage_text, DEFAULT_SESSION_TTL, MAUTH_DEFAULT_VERIFY_DEPTH);
        return EXIT_DONE;
    }
    if (options.words->nelts == 0) {
        fprintf(stderr, usage_text, DEFAULT_SESSION_TTL, MAUTH_DEFAULT_VERIFY_DEPTH);
        return EXIT_USAGE;
    }
    if ((rv = find_command(p, &options, &command, &used)) != EXIT_DONE) {
        return rv;
    }
    memset(&context, 0, sizeof(context));
    context.pool = p;
    context.options = &options;
    context.args = (const char **)options.words->elts + used;
    context.nargs = options.words->nelts - used;
    context.log.fn = log_to_stderr;
    context.log.level = options.verbose ? MAUTH_LOG_DEBUG : MAUTH_LOG_WARNING;
    if (command->store != NO_STORE && (rv = open_store(&context, command)) != EXIT_DONE) {
        return rv;
    }
    rv = command->fn(&context);
    if (context.store) {
        mauth_admin_close(context.store);
    }
    return rv;
}

int main(int argc, const char *const *argv)
{
    apr_pool_t *pool;
    int rv;

    if (apr_app_initialize(&argc, &argv, NULL) != APR_SUCCESS) {
        fputs("mauth-admin: cannot initialise APR\n", stderr);
        return EXIT_STORE;
    }
    apr_pool_create(&pool, NULL);
    rv = run(pool, argc, argv);
    fflush(stdout);
    apr_pool_destroy(pool);
    apr_terminate();
    return rv;
}
