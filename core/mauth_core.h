/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mauth_core.h: the httpd-free core of mod_mauth.
 *
 * Everything declared here uses APR and OpenSSL only, so it links into the
 * module, the admin tool (store/mauth_admin), the C unit tests and the
 * fuzzers alike.  The core never logs by itself: it calls the log callback
 * the caller hands in, which the module forwards to ap_log_error.
 */
#ifndef MAUTH_CORE_H
#define MAUTH_CORE_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>
#include <openssl/x509.h>

#define MAUTH_FINGERPRINT_LEN 32          /* SHA-256 */
#define MAUTH_FINGERPRINT_HEX_LEN 64
#define MAUTH_TRUST_ID_LEN 32             /* SHA-256 */
#define MAUTH_GENERATION_LEN 16

/* Log levels, the same numbers as httpd's APLOG_* so the glue passes them on. */
#define MAUTH_LOG_ERR     3
#define MAUTH_LOG_WARNING 4
#define MAUTH_LOG_INFO    6
#define MAUTH_LOG_DEBUG   7

/* file and line are the core's own, where the message was written. */
typedef void mauth_log_fn(void *baton, const char *file, int line, int level,
                          const char *tag, const char *message);
typedef struct {
    mauth_log_fn *fn;
    void *baton;
    int level;                 /* messages above this level are not formatted */
} mauth_logger_t;

void mauth_log_at(const mauth_logger_t *logger, const char *file, int line, int level,
                  const char *tag, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
#define mauth_log(logger, level, tag, ...) \
    mauth_log_at((logger), __FILE__, __LINE__, (level), (tag), __VA_ARGS__)
#define MAUTH_LOG_ON(logger, lvl) ((logger) && (logger)->fn && (lvl) <= (logger)->level)

/* ---------------------------------------------------------------- verdict */

typedef enum {
    MAUTH_VERIFY_NONE = 0,     /* no client certificate was presented */
    MAUTH_VERIFY_SUCCESS,
    MAUTH_VERIFY_FAILED
} mauth_verify_status_e;

/* Why a certificate was refused; each has one sentence on the error page. */
typedef enum {
    MAUTH_REASON_OK = 0,
    MAUTH_REASON_NO_CERTIFICATE,
    MAUTH_REASON_EXPIRED,
    MAUTH_REASON_NOT_YET_VALID,
    MAUTH_REASON_REVOKED,
    MAUTH_REASON_ISSUER_REVOKED,
    MAUTH_REASON_UNTRUSTED,
    MAUTH_REASON_SELF_SIGNED,
    MAUTH_REASON_BAD_SIGNATURE,
    MAUTH_REASON_WRONG_PURPOSE,
    MAUTH_REASON_CHAIN_TOO_LONG,
    MAUTH_REASON_REVOCATION_UNAVAILABLE,
    MAUTH_REASON_INVALID,
    MAUTH_REASON_NOT_REGISTERED,       /* valid, but not uploaded for the user */
    MAUTH_REASON_STORE_UNAVAILABLE,
    MAUTH_REASON_OTHER_TRUST,          /* judged under another vhost's trust */
    MAUTH_REASON_COUNT
} mauth_reason_e;

/* The sentence shown on the page, e.g. "No client certificate provided." */
const char *mauth_reason_sentence(mauth_reason_e reason);
/* A short token for MAUTH_CLIENT_VERIFY=FAILED:<token>, e.g. "expired". */
const char *mauth_reason_token(mauth_reason_e reason);

typedef struct {
    mauth_verify_status_e status;
    mauth_reason_e reason;
    int error_depth;                   /* which certificate failed, 0 = leaf */
    apr_time_t valid_until;            /* verdict expires: earliest notAfter,
                                        * earliest CRL nextUpdate */
    mauth_reason_e reason_after;       /* the reason once valid_until passed */
    unsigned char chain_key[MAUTH_FINGERPRINT_LEN]; /* mauth_chain_key of the presented
                                                      * chain, set by whoever caches it */
    unsigned char trust_id[MAUTH_TRUST_ID_LEN];    /* mauth_trust_id of the trust that
                                                    * judged the chain; zero for NONE */
} mauth_verdict_t;

/* Whether v may be used where trust_id is in force: a verdict on a
 * certificate counts only under the trust (and generation) that made it. */
int mauth_verdict_is_for(const mauth_verdict_t *v, const unsigned char *trust_id);

/* NONE, SUCCESS or FAILED:<token>, as MAUTH_CLIENT_VERIFY shows it. */
const char *mauth_verdict_text(apr_pool_t *p, const mauth_verdict_t *v);

/* ---------------------------------------------------- certificate helpers */

/* SHA-256, fetched from OpenSSL's providers once for the process: named by
 * EVP_sha256() it is looked up again (under a lock) at every use, which
 * shows in the tail of a cached store lookup. */
const EVP_MD *mauth_sha256(void);

/* SHA-256 of the DER encoding; no PEM round trip. */
int mauth_cert_fingerprint(X509 *cert, unsigned char out[MAUTH_FINGERPRINT_LEN]);
void mauth_hex(const unsigned char *bytes, apr_size_t len, char *out /* 2*len+1 */);

/* Leaf facts for logs and environment variables, allocated from p. */
typedef struct {
    const char *fingerprint;           /* 64 lowercase hex digits */
    const char *subject_dn;            /* RFC 2253 */
    const char *issuer_dn;
    const char *serial;                /* upper-case hex, as mod_ssl prints it */
    const char *not_before;            /* "Mon DD HH:MM:SS YYYY GMT" like mod_ssl */
    const char *not_after;
} mauth_cert_info_t;
void mauth_cert_info(apr_pool_t *p, X509 *cert, mauth_cert_info_t *info);
/* A distinguished name in RFC 2253 form, as the leaf facts print it. */
const char *mauth_name_text(apr_pool_t *p, const X509_NAME *name);
/* An ASN.1 time as an apr_time_t; 0 when absent or unreadable. */
apr_time_t mauth_asn1_time(const ASN1_TIME *when);
/* RFC 9440 Client-Cert and Client-Cert-Chain values: the leaf, and every
 * certificate of sent but the leaf (NULL when none), as sf-binary. */
void mauth_cert_rfc9440(apr_pool_t *p, X509 *leaf, STACK_OF(X509) *sent,
                        const char **client_cert, const char **client_cert_chain);

/* ------------------------------------------------------------ trust store */

typedef enum {
    MAUTH_CRL_CHECK_UNSET = -1,
    MAUTH_CRL_CHECK_NONE = 0,
    MAUTH_CRL_CHECK_LEAF,
    MAUTH_CRL_CHECK_CHAIN
} mauth_crl_check_e;

/* Roots, CRLs and policy: built once at start-up, read-only afterwards and
 * shared by every thread (the CRL signature memo has its own lock). */
typedef struct mauth_trust mauth_trust_t;

mauth_trust_t *mauth_trust_create(apr_pool_t *p);
/* Each returns APR_SUCCESS or an error with *err naming the file and why. */
apr_status_t mauth_trust_add_roots_file(mauth_trust_t *t, const char *path, const char **err);
apr_status_t mauth_trust_add_roots_path(mauth_trust_t *t, const char *dir, const char **err);
apr_status_t mauth_trust_add_crl_file(mauth_trust_t *t, const char *path, const char **err);
apr_status_t mauth_trust_add_crl_path(mauth_trust_t *t, const char *dir, const char **err);
void mauth_trust_set_crl_check(mauth_trust_t *t, mauth_crl_check_e mode);
void mauth_trust_set_depth(mauth_trust_t *t, int depth);
/* The configuration load (or future CRL reload) this trust belongs to: any
 * new generation makes every verdict of the previous ones unusable. */
void mauth_trust_set_generation(mauth_trust_t *t, const unsigned char gen[MAUTH_GENERATION_LEN]);
/* Checks the whole (no roots; CRL checking with no CRL; a CRL issued by a
 * root whose signature fails) and seals the trust for use. */
apr_status_t mauth_trust_finish(mauth_trust_t *t, const mauth_logger_t *log, const char **err);
int mauth_trust_root_count(const mauth_trust_t *t);

/* The defaults of a trust, in this one place: the module's directives and
 * mauth-admin's options both resolve to these. */
#define MAUTH_DEFAULT_CRL_CHECK MAUTH_CRL_CHECK_CHAIN
#define MAUTH_DEFAULT_VERIFY_DEPTH 5

/* What a trust is made of, as configured: NULL and MAUTH_CRL_CHECK_UNSET /
 * -1 for what is not given. */
typedef struct {
    const char *ca_file, *ca_path;     /* the roots: at least one */
    const char *crl_file, *crl_path;
    mauth_crl_check_e crl_check;       /* UNSET: MAUTH_DEFAULT_CRL_CHECK */
    int depth;                         /* -1 (any value not above 0):
                                        * MAUTH_DEFAULT_VERIFY_DEPTH */
    const unsigned char *generation;   /* MAUTH_GENERATION_LEN bytes, or NULL */
    const char *crl_cache_dir;         /* where CRLs are kept to be shared by
                                        * processes (mauth_crl_read_file), or
                                        * NULL: in the trust's memory */
    int crl_cache_readonly;            /* this process only maps what is there
                                        * (a child: mauth_crl_map_file) */
} mauth_trust_spec_t;

/* Removes the files of a CRL cache directory (spec's crl_cache_dir) no
 * read has used since before (the process that writes the directory marks
 * each file it maps): the copies of CRL files no longer configured, and
 * what an interrupted build left. */
void mauth_crl_cache_prune(apr_pool_t *p, const char *cache_dir, apr_time_t before);

/* The one trust builder of the module and of mauth-admin: roots, CRLs,
 * policy and generation from spec, checked and sealed.  On failure returns
 * an error with *err saying why (naming the file), *what naming the
 * setting at fault, as its directive: "MAuthCACertificateFile", ... (a
 * root CRL whose signature fails is named by the setting it came from; no
 * roots at all: "MAuthCACertificateFile/MAuthCACertificatePath"; checking
 * on without a CRL: "MAuthCARevocationFile/MAuthCARevocationCheck"), and
 * *trust NULL. */
apr_status_t mauth_trust_build(apr_pool_t *p, const mauth_trust_spec_t *spec,
                               const mauth_logger_t *log, mauth_trust_t **trust,
                               const char **err, const char **what);

/* SHA-256 over the roots, the CRLs, the policy and the generation, set by
 * mauth_trust_finish: equal ids mean equal trust. */
const unsigned char *mauth_trust_id(const mauth_trust_t *t);
int mauth_trust_crl_count(const mauth_trust_t *t);
/* Warns (MAUTH00110, MAUTH00111) of each certificate of the trust's CA
 * files whose validity ends before cert_deadline and each CRL whose
 * nextUpdate comes before crl_deadline (either already past now counts);
 * owner says whose trust it is.  Returns how many it warned of. */
int mauth_trust_warn_expiring(apr_pool_t *p, const mauth_trust_t *t, const char *owner,
                              apr_time_t now, apr_time_t cert_deadline,
                              apr_time_t crl_deadline, const mauth_logger_t *log);

/*
 * Validates leaf + the intermediates the client sent (untrusted may be NULL
 * and may also contain the leaf, as OpenSSL's peer chain does) against the
 * trust at time now: signatures up to a root, validity times of every
 * certificate, client-auth purpose, depth, CRLs.  Fills *verdict.
 */
void mauth_verify_chain(const mauth_trust_t *t, X509 *leaf, STACK_OF(X509) *untrusted,
                        apr_time_t now, const mauth_logger_t *log,
                        mauth_verdict_t *verdict);

/* Hash of the presented chain (leaf first), the verdict cache key; the same
 * whether or not untrusted repeats the leaf. */
void mauth_chain_key(X509 *leaf, STACK_OF(X509) *untrusted,
                     unsigned char out[MAUTH_FINGERPRINT_LEN]);

/* ---------------------------------------------------------------- caches */

/* Bounded, thread-safe, per process: fixed-size values under SHA-256 keys. */
typedef struct mauth_cache mauth_cache_t;
mauth_cache_t *mauth_cache_create(apr_pool_t *p, int max_entries, apr_size_t value_size);
int mauth_cache_get(mauth_cache_t *c, const unsigned char key[MAUTH_FINGERPRINT_LEN],
                    apr_time_t now, void *value, apr_size_t *len);
void mauth_cache_put(mauth_cache_t *c, const unsigned char key[MAUTH_FINGERPRINT_LEN],
                     const void *value, apr_size_t len, apr_time_t expires, apr_time_t now);

/* Bounded, thread-safe, per process; entries expire at the verdict's
 * valid_until or after ttl, whichever is first. */
typedef struct mauth_verdict_cache mauth_verdict_cache_t;
mauth_verdict_cache_t *mauth_verdict_cache_create(apr_pool_t *p, int max_entries,
                                                  apr_interval_time_t ttl);
int mauth_verdict_cache_get(mauth_verdict_cache_t *c, const unsigned char key[MAUTH_FINGERPRINT_LEN],
                            apr_time_t now, mauth_verdict_t *out);
void mauth_verdict_cache_put(mauth_verdict_cache_t *c, const mauth_verdict_t *v, apr_time_t now);

/* A verdict carried inside a TLS session, so a resumed session (which has no
 * peer chain) keeps the verdict of its first handshake. */
#define MAUTH_VERDICT_WIRE_LEN (4 + 8 + 4 + MAUTH_FINGERPRINT_LEN + MAUTH_TRUST_ID_LEN)
void mauth_verdict_encode(const mauth_verdict_t *v, unsigned char out[MAUTH_VERDICT_WIRE_LEN]);
int mauth_verdict_decode(const unsigned char *in, apr_size_t len, mauth_verdict_t *v);
/* Applies valid_until: a verdict that has run out becomes FAILED:reason_after. */
void mauth_verdict_age(mauth_verdict_t *v, apr_time_t now);

/* A trust with its verdict cache, shared by every vhost configured alike:
 * a large CRL is loaded once, and chains judged once for all of them. */
typedef struct mauth_trust_live mauth_trust_live_t;    /* mauth_refresh.h */
typedef struct {
    mauth_trust_t *trust;              /* in use; read it through mauth_trust_acquire */
    mauth_verdict_cache_t *cache;      /* per child process: mauth_trusts_child_init */
    int cache_size;
    apr_interval_time_t cache_ttl;
    mauth_trust_live_t *live;          /* per process, when its CRLs are
                                        * refreshed (mauth_refresh.h); else NULL */
    apr_pool_t *pool;                  /* the start-up trust's own pool, until a
                                        * live state takes it over: the process
                                        * frees it once a refresh replaced it */
} mauth_trust_entry_t;
/* The trust in use for entry, held until mauth_trust_release: a CRL refresh
 * may replace it meanwhile, but never frees it while it is held. */
mauth_trust_t *mauth_trust_acquire(mauth_trust_entry_t *entry);
void mauth_trust_release(mauth_trust_entry_t *entry, mauth_trust_t *trust);

/* One round of expiry warnings: each thing (trust, store) named by key is
 * looked at once, until now + the most days any adder asked for. */
typedef struct mauth_expiry_round mauth_expiry_round_t;
typedef void mauth_expiry_look_fn(void *baton, apr_pool_t *p, apr_time_t now,
                                  apr_time_t deadline);
mauth_expiry_round_t *mauth_expiry_round_create(apr_pool_t *p);
void mauth_expiry_round_add(mauth_expiry_round_t *round, const char *key, int days,
                            mauth_expiry_look_fn *look, void *baton);
void mauth_expiry_round_run(mauth_expiry_round_t *round, apr_time_t now);
/* The look at the trust in use of entry (CRLs: a day before nextUpdate);
 * owner says whose it is. */
typedef struct {
    mauth_trust_entry_t *entry;
    const char *owner;
    mauth_logger_t logger;
} mauth_expiry_trust_t;
mauth_expiry_look_fn mauth_expiry_trust_look;
/* Whether a round is due at now: the first time asked, then a day after
 * the last; *next starts at 0. */
int mauth_expiry_due(apr_time_t *next, apr_time_t now);

typedef struct mauth_trusts mauth_trusts_t;
mauth_trusts_t *mauth_trusts_create(apr_pool_t *p);
/* The entry for spec and these cache settings: an existing one, or built
 * now by mauth_trust_build (its failure returned as it reports it). */
apr_status_t mauth_trusts_get(mauth_trusts_t *trusts, const mauth_trust_spec_t *spec,
                              int cache_size, apr_interval_time_t cache_ttl,
                              const mauth_logger_t *log, mauth_trust_entry_t **entry,
                              const char **err, const char **what);
/* Each entry's verdict cache, in a new child process; 0 when out of memory. */
int mauth_trusts_child_init(mauth_trusts_t *trusts, apr_pool_t *pchild);

/* --------------------------------------------------------- session tokens */

#define MAUTH_TOKEN_MAX_LEN 1024
/* At most this many distinct credentials are taken from one place (a Cookie
 * header, a SOAP envelope); more makes the place unreadable. */
#define MAUTH_TOKENS_MAX 16

/*
 * What one place in a request says about credentials.  UNREADABLE means a
 * credential could be there but cannot be read with certainty (a merged
 * header, markup or blanks inside a token, a token too long): the caller
 * refuses rather than guessing who the request is.
 */
typedef enum {
    MAUTH_CRED_ABSENT = 0,
    MAUTH_CRED_FOUND,
    MAUTH_CRED_UNREADABLE
} mauth_cred_e;

/* The credential of "Authorization: <scheme> <token>" (scheme in any case).
 * ABSENT: no header, or another scheme alone.  UNREADABLE: the scheme with
 * no single clean token after it, or a header merged from several values
 * (a comma) of which one is of this scheme. */
mauth_cred_e mauth_token_from_authorization(apr_pool_t *p, const char *header,
                                            const char *scheme, const char **token);
/* Every value of cookie name (exact case) in a Cookie header (pairs split at
 * ';', and at ',' where several Cookie headers were merged), unquoted,
 * pushed as const char * onto tokens.  UNREADABLE: a value that is not a
 * clean token (an empty value, a bare name "sid" too), one holding an
 * escape an application's framework would decode ('%', '\\') or a stray
 * '"', or more than MAUTH_TOKENS_MAX distinct values.
 * The finders of several tokens push each distinct token once, in order, and
 * push nothing unless they answer FOUND; what tokens held before is kept and
 * does not count towards the limit. */
mauth_cred_e mauth_tokens_from_cookie(apr_pool_t *p, const char *header, const char *name,
                                      apr_array_header_t *tokens);
/* A header whose whole value is the token.  UNREADABLE: not one clean token
 * (blanks, a comma from merged headers, control bytes, too long). */
mauth_cred_e mauth_token_from_header(apr_pool_t *p, const char *value, const char **token);

typedef enum {
    MAUTH_SOAP_NOT_XML = 0,    /* the body does not start like XML */
    MAUTH_SOAP_ABSENT,         /* well-formed XML without a sessionId */
    MAUTH_SOAP_FOUND,          /* one or more sessionId tokens */
    MAUTH_SOAP_MALFORMED,      /* XML that cannot be read with certainty:
                                * not well-formed, a DOCTYPE, markup (an
                                * element, a comment, a processing
                                * instruction, CDATA) or blanks inside
                                * sessionId, too many tokens,
                                * or UTF-16/UTF-32, which we do not read */
    MAUTH_SOAP_UNDECIDED       /* starts like XML, longer than what was read */
} mauth_soap_e;
/*
 * Every sessionId of an XML body: each element whose local name is
 * sessionId, in any namespace, anywhere in the document (the SOAP
 * Envelope/Header/SessionHeader is where clients put it, but an application
 * may look for it anywhere), pushed as const char * onto tokens in document
 * order.  body is len bytes; complete says it was read whole.
 * "Starts like XML": after an optional UTF-8 BOM and XML white space, '<'.
 */
mauth_soap_e mauth_tokens_from_soap(apr_pool_t *p, const char *body, apr_size_t len,
                                    int complete, apr_array_header_t *tokens);
/* The same for a request body of content_type (may be NULL): a
 * multipart/related body (SOAP with attachments, MTOM) is read part by part,
 * every XML part counting; any other body is read as above. */
mauth_soap_e mauth_tokens_from_body(apr_pool_t *p, const char *content_type, const char *body,
                                    apr_size_t len, int complete, apr_array_header_t *tokens);

/* ------------------------------------------------------ argument parsing */

/* One set of parsers for directive arguments and mauth-admin's options.
 * Each returns NULL, or an error sentence naming what (the directive or
 * option) and what it takes. */
const char *mauth_parse_number(apr_pool_t *p, const char *what, const char *arg,
                               apr_int64_t min, apr_int64_t max, apr_int64_t *out);
const char *mauth_parse_seconds(apr_pool_t *p, const char *what, const char *arg,
                                apr_int64_t max_seconds, apr_interval_time_t *out);
/* arg (any case) among the NULL-terminated words, *out its index. */
const char *mauth_parse_keyword(apr_pool_t *p, const char *what, const char *arg,
                                const char *const *words, int *out);

/* -------------------------------------------------------------- decision */

/* Who the request's credentials name, folded over every credential read. */
typedef enum {
    MAUTH_IDENTITY_NONE = 0,       /* no credential names a user the store knows */
    MAUTH_IDENTITY_USER,           /* every credential that names a user names this one */
    MAUTH_IDENTITY_CONFLICT,       /* credentials name different users */
    MAUTH_IDENTITY_UNREADABLE,     /* a credential could be there but cannot be read */
    MAUTH_IDENTITY_UNDECODABLE,    /* a body in a content coding we do not read */
    MAUTH_IDENTITY_TOO_LARGE,      /* an XML body longer than the peek limit */
    MAUTH_IDENTITY_STORE_ERROR     /* the store did not answer for a credential */
} mauth_identity_e;

typedef struct {
    mauth_identity_e state;
    const char *user_id;           /* USER: the store's id of the user */
    int enforced;                  /* USER: mutual authentication enforced */
    int credentials;               /* how many credentials were folded in */
} mauth_identity_t;

/* Folds one credential's store answer into id: found (user_id, enforced),
 * not known to the store (user_id NULL), or a store error. */
void mauth_identity_add(mauth_identity_t *id, int store_error, const char *user_id,
                        int enforced);

/* Whether the client certificate is registered for the enforced user. */
typedef enum {
    MAUTH_MATCH_UNASKED = 0,
    MAUTH_MATCH_USER,
    MAUTH_MATCH_ORG,
    MAUTH_MATCH_NONE,
    MAUTH_MATCH_STORE_ERROR
} mauth_match_e;

/* Everything the decision depends on, gathered by the glue. */
typedef struct {
    int mutual;                    /* the vhost's role */
    int require_certificate;       /* MAuthRequireCertificate here */
    int enforce;                   /* MAuthEnforce here */
    mauth_verdict_t verdict;       /* the connection's chain under this vhost's
                                    * trust, aged to now (mutual only) */
    int other_trust;               /* the chain was judged under another trust
                                    * and is not at hand to judge again */
    mauth_identity_t identity;     /* enforce only */
    mauth_match_e match;           /* enforced user with a valid chain only */
} mauth_facts_t;

typedef enum {
    MAUTH_ANSWER_PASS = 0,         /* let the request through */
    MAUTH_ANSWER_MATCH_CERTIFICATE,/* ask the store about the leaf, then decide again */
    MAUTH_ANSWER_PAGE,             /* the Certificate Error page with reason */
    MAUTH_ANSWER_FAULT,            /* the SOAP fault or JSON error (standard vhost) */
    MAUTH_ANSWER_MISDIRECTED,      /* 421: resumed under another trust */
    MAUTH_ANSWER_BAD_REQUEST,      /* 400: unreadable or conflicting credentials */
    MAUTH_ANSWER_UNSUPPORTED_ENCODING, /* 415: a body we cannot decode */
    MAUTH_ANSWER_TOO_LARGE,        /* 413: an XML body beyond the peek limit */
    MAUTH_ANSWER_UNAVAILABLE       /* 503: the store did not answer */
} mauth_answer_e;

typedef struct {
    mauth_answer_e answer;
    mauth_reason_e reason;         /* PAGE, UNAVAILABLE: the page's sentence */
    const char *token;             /* a word for logs and MAUTH_REASON, e.g.
                                    * "revoked", "conflicting-users" */
    const char *why;               /* a short trace for LogLevel debug */
} mauth_decision_t;

/* Every credential of a request, as the token finders saw each place. */
typedef struct {
    apr_array_header_t *names;         /* const char *: user names (r->user) */
    apr_array_header_t *tokens;        /* const char *: session tokens */
    mauth_identity_e failed;           /* UNREADABLE, UNDECODABLE, TOO_LARGE or NONE:
                                        * the first place that could not be read */
    const char *failed_where;
} mauth_credentials_t;
void mauth_credentials_init(apr_pool_t *p, mauth_credentials_t *cr);
void mauth_credentials_cannot_read(mauth_credentials_t *cr, mauth_identity_e why,
                                   const char *where);
/* An Authorization value (every header of the name, merged), for scheme. */
void mauth_credentials_authorization(mauth_credentials_t *cr, apr_pool_t *p,
                                     const char *header, const char *scheme);
/* Every value of cookie name in a Cookie value (merged). */
void mauth_credentials_cookie(mauth_credentials_t *cr, apr_pool_t *p, const char *header,
                              const char *name);
/* A header whose whole value is a token (each spelling of its name). */
void mauth_credentials_header(mauth_credentials_t *cr, apr_pool_t *p, const char *value);
/* What the body gave: mauth_tokens_from_body's answer and tokens, or that
 * its content coding hides it. */
void mauth_credentials_body(mauth_credentials_t *cr, mauth_soap_e soap,
                            const apr_array_header_t *tokens, int undecodable);

/* Whether a request announces a body, whatever its method: a HEAD or GET
 * with one reaches a CGI's stdin too. */
int mauth_body_announced(const char *content_length, const char *transfer_encoding);

/* The decision table of the README, as a function: facts in, answer out. */
void mauth_decide(const mauth_facts_t *facts, mauth_decision_t *decision);
/* The refusal's log line: its word, the request, the client, the user
 * (or NULL) and the certificate (or NULL). */
const char *mauth_refusal_text(apr_pool_t *p, const mauth_decision_t *d, const char *method,
                               const char *uri, const char *client, const char *user,
                               const mauth_cert_info_t *leaf);
/* The HTTP status of an answer (0 for PASS and MATCH_CERTIFICATE; the
 * page's own status is the operator's MAuthErrorStatus). */
int mauth_answer_status(mauth_answer_e answer, int soap_fault);

/* ---------------------------------------------------------- error bodies */

/* Whether two header names are one to a back end: any case, with '-', '_'
 * and '.' alike (CGI, WSGI and Rack map them together). */
int mauth_same_header_name(const char *a, const char *b);
/* Removes from headers every one a back end could read as Client-Cert or
 * Client-Cert-Chain (the RFC 9440 headers this module forwards), however
 * spelled; returns the names removed (const char *). */
const apr_array_header_t *mauth_remove_forwarded_headers(apr_pool_t *p, apr_table_t *headers);

typedef enum {
    MAUTH_FAULT_UNSET = -1,
    MAUTH_FAULT_AUTO = 0,
    MAUTH_FAULT_SOAP,
    MAUTH_FAULT_JSON
} mauth_fault_format_e;
/* Whether the standard vhost's refusal is the SOAP fault (else the JSON
 * error): as configured, or for AUTO a SOAPAction header or an XML type. */
int mauth_fault_is_soap(mauth_fault_format_e format, const char *content_type,
                        int has_soap_action);

/* The HTML "Certificate Error" page of the seeds; image_url may be NULL. */
const char *mauth_render_certificate_page(apr_pool_t *p, mauth_reason_e reason,
                                          const char *image_url);
/* The SOAP 1.1 fault sf:MUTUAL_AUTHENTICATION_FAILED: the seed's elements, texts
 * and namespaces exactly (the seed shows it indented by xmllint). */
const char *mauth_render_soap_fault(apr_pool_t *p);
/* The REST error body. */
const char *mauth_render_json_error(apr_pool_t *p);

#endif /* MAUTH_CORE_H */
