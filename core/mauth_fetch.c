/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mauth_fetch.c: CRLs fetched from their distribution points (see
 * mauth_fetch.h).  It writes files and nothing else: the trust in use is
 * only read, and only the live refresh swaps it, with its own checks, so
 * a fetched CRL passes the same gate as one an operator copies in.  A
 * failed fetch writes nothing, so the CRL in use stays.  The URLs come
 * from configuration and the configured CA certificates, never from a
 * client: a certificate cannot make the server connect anywhere.
 */
#include <string.h>

#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "mauth_fetch.h"
#include "mauth_http.h"
#include "mauth_refresh.h"
#include "mauth_trust.h"

apr_time_t mauth_fetch_next(const mauth_fetch_state_t *st, const mauth_fetch_timing_t *timing,
                            apr_time_t now)
{
    apr_interval_time_t longest = timing->max_wait > timing->min_gap ? timing->max_wait
                                                                     : timing->min_gap;
    apr_interval_time_t wait = timing->min_gap;
    apr_time_t due;
    int i;

    if (st->last_attempt == 0) {
        return now;
    }
    if (st->failures > 0) {
        for (i = 1; i < st->failures && wait < longest; i++) {
            wait *= 2;
        }
        return st->last_attempt + (wait < longest ? wait : longest);
    }
    if (st->next_update == 0) {
        return st->last_attempt + longest;
    }
    due = st->this_update + (st->next_update - st->this_update) / 2;
    if (due <= st->last_attempt) {
        due = st->last_attempt + (st->next_update - st->last_attempt) / 2;
    }
    return due > st->last_attempt + timing->min_gap ? due
                                                    : st->last_attempt + timing->min_gap;
}

const char *mauth_fetch_file_name(apr_pool_t *p, const char *dir, const char *url)
{
    mauth_http_url_t u;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    char *name;
    apr_size_t i;

    if (mauth_http_url_parse(p, url, &u) != NULL) {
        u.host = "url";
        u.port = 0;
        u.path = "";
    }
    name = apr_psprintf(p, "%.60s_%u_%.80s", u.host, u.port, u.path + (*u.path == '/'));
    for (i = 0; name[i]; i++) {
        /* a leading dot would hide it from the refresh */
        if (!apr_isalnum(name[i]) && ((name[i] != '.' && name[i] != '-') || i == 0)) {
            name[i] = '_';
        }
    }
    if ((i = strlen(name)) > 4 && strcasecmp(name + i - 4, ".crl") == 0) {
        name[i - 4] = '\0';
    }
    EVP_Digest(url, strlen(url), digest, &len, mauth_sha256(), NULL);
    return apr_psprintf(p, "%s/%s-%02x%02x%02x%02x.crl", dir, name, digest[0], digest[1],
                        digest[2], digest[3]);
}

/* ------------------------------------------------------- the checks */

/* Writes body to a new file named from template (its XXXXXX made unique:
 * nothing put at a fixed name beforehand is followed or overwritten). */
static apr_status_t write_file(apr_pool_t *p, char *template, const unsigned char *body,
                               apr_size_t len)
{
    apr_file_t *file;
    apr_status_t rv;

    rv = apr_file_mktemp(&file, template, APR_FOPEN_CREATE | APR_FOPEN_WRITE | APR_FOPEN_EXCL
                         | APR_FOPEN_BINARY, p);
    if (rv == APR_SUCCESS) {
        apr_file_perms_set(template, APR_FPROT_UREAD | APR_FPROT_UWRITE | APR_FPROT_GREAD
                                     | APR_FPROT_WREAD);
        rv = apr_file_write_full(file, body, len, NULL);
        if (apr_file_close(file) != APR_SUCCESS && rv == APR_SUCCESS) {
            rv = APR_EGENERAL;
        }
    }
    return rv;
}

/* A reason without the file name it starts with ("FILE: why"). */
static const char *about(const char *why, const char *file)
{
    apr_size_t n = strlen(file);

    return why && strncmp(why, file, n) == 0 && why[n] == ':' ? why + n + 2 : why;
}

/* Why crl (read from a fetched body) may not replace the trust's CRLs, or
 * NULL; *same says it is the very CRL in use. */
static const char *refusal(apr_pool_t *p, mauth_trust_t *in_use, mauth_crl_t *crl, int *same)
{
    const char *why = NULL;
    int i, issued_by_ca;

    *same = 0;
    if (!mauth_trust_root_signed(in_use, crl, &issued_by_ca)) {
        return apr_psprintf(p, issued_by_ca ? "the CRL of %s does not verify with that CA "
                            "certificate's key" : "its issuer %s is none of the configured "
                            "CA certificates", mauth_name_text(p, crl->issuer));
    }
    for (i = 0; i < in_use->crls->nelts; i++) {
        const mauth_crl_t *used = APR_ARRAY_IDX(in_use->crls, i, mauth_crl_t *);
        if (used->der_len == crl->der_len && memcmp(used->der, crl->der, crl->der_len) == 0) {
            *same = 1;
            return NULL;
        }
    }
    return mauth_crl_replaces(p, crl, 1, in_use, &why) ? NULL : why;
}

mauth_fetch_outcome_e mauth_fetch_take(apr_pool_t *p, mauth_trust_t *in_use,
                                       const unsigned char *body, apr_size_t len,
                                       const char *path, mauth_fetch_crl_info_t *info,
                                       const char **why)
{
    /* hidden: neither the trust builder nor the refresh's look at the
     * directory sees a file half-written or not yet checked */
    const char *slash = strrchr(path, '/');
    char *temp = apr_psprintf(p, "%.*s/.%s.fetching.XXXXXX", slash ? (int)(slash - path) : 1,
                              slash ? path : ".", slash ? slash + 1 : path);
    apr_array_header_t *crls = apr_array_make(p, 1, sizeof(mauth_crl_t *));
    mauth_crl_t *crl;
    const char *err = NULL;
    int same = 0;

    *why = NULL;
    if (write_file(p, temp, body, len) != APR_SUCCESS) {
        *why = apr_psprintf(p, "cannot write %s", temp);
    }
    else if (mauth_crl_read_file(p, temp, NULL, crls, &err) != APR_SUCCESS) {
        *why = apr_psprintf(p, "not a CRL (%s)", about(err, temp));
    }
    else if (crls->nelts != 1) {
        *why = apr_psprintf(p, "%d CRLs where one is expected", crls->nelts);
    }
    else {
        crl = APR_ARRAY_IDX(crls, 0, mauth_crl_t *);
        crl->source = path;
        /* the reasons name no file: nothing was written */
        if ((*why = about(refusal(p, in_use, crl, &same), path)) == NULL && !same
            && apr_file_rename(temp, path, p) != APR_SUCCESS) {
            *why = apr_psprintf(p, "cannot rename %s to %s", temp, path);
        }
        info->issuer = mauth_name_text(p, crl->issuer);
        info->this_update = crl->this_update;
        info->next_update = crl->next_update;
        info->entries = crl->revoked_count;
    }
    if (*why || same) {
        apr_file_remove(temp, p);
    }
    return *why ? MAUTH_FETCH_REFUSED : same ? MAUTH_FETCH_UNCHANGED : MAUTH_FETCH_TAKEN;
}

/* ------------------------------------------------------- the URLs */

typedef struct {
    const char *url;
    const char *path;                  /* the file its CRL is written to */
    mauth_trust_entry_t *entry;
    const mauth_fetch_settings_t *settings;
    mauth_logger_t log;
    mauth_fetch_state_t state;
} fetched_t;

struct mauth_crl_fetch {
    apr_pool_t *pool;
    apr_array_header_t *fetched;       /* fetched_t */
};

const char *mauth_fetch_dir_unwritable(apr_pool_t *p, const char *dir, apr_uid_t uid,
                                       apr_gid_t gid)
{
    apr_finfo_t info;
    apr_fileperms_t need;

    if (apr_stat(&info, dir, APR_FINFO_TYPE | APR_FINFO_OWNER | APR_FINFO_PROT, p)
        != APR_SUCCESS) {
        return apr_psprintf(p, "%s cannot be read", dir);
    }
    if (info.filetype != APR_DIR) {
        return apr_psprintf(p, "%s is not a directory", dir);
    }
    need = uid == 0 ? 0
           : info.user == uid ? APR_FPROT_UWRITE | APR_FPROT_UEXECUTE
           : info.group == gid ? APR_FPROT_GWRITE | APR_FPROT_GEXECUTE
           : APR_FPROT_WWRITE | APR_FPROT_WEXECUTE;
    if ((info.protection & need) != need) {
        return apr_psprintf(p, "%s is not writable by the user the children run as "
                            "(uid %ld)", dir, (long)uid);
    }
    return NULL;
}

mauth_crl_fetch_t *mauth_crl_fetch_create(apr_pool_t *p)
{
    mauth_crl_fetch_t *f = apr_pcalloc(p, sizeof(*f));

    f->pool = p;
    f->fetched = apr_array_make(p, 4, sizeof(fetched_t));
    return f;
}

int mauth_crl_fetch_empty(const mauth_crl_fetch_t *f)
{
    return f == NULL || f->fetched->nelts == 0;
}

static void add_url(mauth_crl_fetch_t *f, mauth_trust_entry_t *entry,
                    const mauth_fetch_settings_t *settings, const char *url,
                    const mauth_logger_t *log)
{
    fetched_t *it;
    int i;

    for (i = 0; i < f->fetched->nelts; i++) {
        it = &APR_ARRAY_IDX(f->fetched, i, fetched_t);
        if (it->entry == entry && strcmp(it->url, url) == 0) {
            return;
        }
    }
    it = apr_array_push(f->fetched);
    memset(it, 0, sizeof(*it));
    it->url = apr_pstrdup(f->pool, url);
    it->path = mauth_fetch_file_name(f->pool, settings->dir, url);
    it->entry = entry;
    it->settings = settings;
    it->log = *log;
}

/* The http:// URIs of cert's CRL distribution points (full names only). */
static void add_distribution_points(mauth_crl_fetch_t *f, mauth_trust_entry_t *entry,
                                    const mauth_fetch_settings_t *settings, X509 *cert,
                                    const mauth_logger_t *log)
{
    STACK_OF(DIST_POINT) *points = X509_get_ext_d2i(cert, NID_crl_distribution_points, NULL,
                                                    NULL);
    int i, j;

    for (i = 0; i < sk_DIST_POINT_num(points); i++) {
        DIST_POINT_NAME *name = sk_DIST_POINT_value(points, i)->distpoint;
        for (j = 0; name && name->type == 0 && j < sk_GENERAL_NAME_num(name->name.fullname);
             j++) {
            GENERAL_NAME *gn = sk_GENERAL_NAME_value(name->name.fullname, j);
            const char *uri = gn->type == GEN_URI
                ? apr_pstrmemdup(f->pool, (const char *)ASN1_STRING_get0_data(gn->d.ia5),
                                 (apr_size_t)ASN1_STRING_length(gn->d.ia5)) : NULL;
            if (uri && strncasecmp(uri, "http://", 7) == 0 && !strchr(uri, '\n')) {
                add_url(f, entry, settings, uri, log);
            }
        }
    }
    sk_DIST_POINT_pop_free(points, DIST_POINT_free);
}

const char *mauth_crl_fetch_add(mauth_crl_fetch_t *f, mauth_trust_entry_t *entry,
                                const mauth_fetch_settings_t *settings,
                                const apr_array_header_t *urls, const mauth_logger_t *log)
{
    mauth_trust_t *t = mauth_trust_acquire(entry);
    int i, known = 0;

    for (i = 0; i < sk_X509_num(t->roots); i++) {
        add_distribution_points(f, entry, settings, sk_X509_value(t->roots, i), log);
    }
    mauth_trust_release(entry, t);
    for (i = 0; urls && i < urls->nelts; i++) {
        add_url(f, entry, settings, APR_ARRAY_IDX(urls, i, const char *), log);
    }
    for (i = 0; i < f->fetched->nelts; i++) {
        known += APR_ARRAY_IDX(f->fetched, i, fetched_t).entry == entry;
    }
    if (known == 0) {
        return "no URL to fetch from: the CA certificates name no http:// CRL distribution "
               "point and no MAuthCARevocationFetchURL is given";
    }
    return NULL;
}

/* ------------------------------------------------------- a round */

static const char *date_text(apr_pool_t *p, apr_time_t when)
{
    char *text = apr_palloc(p, APR_RFC822_DATE_LEN);

    if (when == 0) {
        return "none";
    }
    apr_rfc822_date(text, when);
    return text;
}

static void fetch_one(fetched_t *it, apr_time_t now, apr_pool_t *p)
{
    const mauth_fetch_settings_t *s = it->settings;
    mauth_fetch_crl_info_t info;
    mauth_fetch_outcome_e outcome = MAUTH_FETCH_REFUSED;
    unsigned char *body;
    apr_size_t len;
    const char *why = NULL;

    it->state.last_attempt = now;
    if (mauth_http_exchange(p, it->url, NULL, NULL, 0, s->timeout, s->max_size, &body, &len,
                            &why) == APR_SUCCESS) {
        mauth_trust_t *in_use = mauth_trust_acquire(it->entry);
        outcome = mauth_fetch_take(p, in_use, body, len, it->path, &info, &why);
        mauth_trust_release(it->entry, in_use);
    }
    if (outcome == MAUTH_FETCH_REFUSED) {
        it->state.failures++;
        mauth_log(&it->log, MAUTH_LOG_ERR, "MAUTH00117",
                  "CRL fetch from %s failed: %s; the CRL in use stays, next try in %"
                  APR_TIME_T_FMT " s", it->url, why, apr_time_sec(
                      mauth_fetch_next(&it->state, &s->timing, now) - now));
        return;
    }
    it->state.failures = 0;
    it->state.this_update = info.this_update;
    it->state.next_update = info.next_update;
    mauth_log(&it->log, outcome == MAUTH_FETCH_TAKEN ? MAUTH_LOG_INFO : MAUTH_LOG_DEBUG,
              outcome == MAUTH_FETCH_TAKEN ? "MAUTH00118" : "MAUTH00119",
              "CRL of %s fetched from %s%s%s (thisUpdate %s, nextUpdate %s, %lu entries)%s",
              info.issuer, it->url, outcome == MAUTH_FETCH_TAKEN ? " into " : "",
              outcome == MAUTH_FETCH_TAKEN ? it->path : ": the one in use",
              date_text(p, info.this_update), date_text(p, info.next_update),
              (unsigned long)info.entries,
              outcome == MAUTH_FETCH_TAKEN ? "; the CRL refresh takes it" : "");
}

void mauth_crl_fetch_tick(mauth_crl_fetch_t *f, apr_time_t now, apr_pool_t *ptemp)
{
    int i;

    for (i = 0; f && i < f->fetched->nelts; i++) {
        fetched_t *it = &APR_ARRAY_IDX(f->fetched, i, fetched_t);
        if (now >= mauth_fetch_next(&it->state, &it->settings->timing, now)) {
            /* a slow fetch before this one moved the clock on */
            fetch_one(it, apr_time_now(), ptemp);
            apr_pool_clear(ptemp);
        }
    }
}
