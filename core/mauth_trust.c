/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mauth_trust.c: building a trust (roots, CRLs, policy, generation) from
 * files, checking the whole and sealing it, for the module and mauth-admin
 * alike.  It never validates a client's chain (mauth_chain.c does) and
 * never changes a trust once it is finished: a finished trust is shared by
 * every thread without a lock.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_file_info.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_time.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "mauth_trust.h"

static apr_status_t trust_cleanup(void *data)
{
    mauth_trust_t *t = data;

    X509_STORE_free(t->store);
    sk_X509_pop_free(t->roots, X509_free);
    sk_X509_CRL_pop_free(t->x509_crls, X509_CRL_free);
    return APR_SUCCESS;
}

mauth_trust_t *mauth_trust_create(apr_pool_t *p)
{
    mauth_trust_t *t = apr_pcalloc(p, sizeof(*t));

    t->pool = p;
    t->store = X509_STORE_new();
    t->roots = sk_X509_new_null();
    t->crls = apr_array_make(p, 4, sizeof(mauth_crl_t *));
    t->crl_cache_pending = apr_array_make(p, 1, sizeof(const char *));
    t->crl_check = MAUTH_DEFAULT_CRL_CHECK;
    t->depth = MAUTH_DEFAULT_VERIFY_DEPTH;
    apr_pool_cleanup_register(p, t, trust_cleanup, apr_pool_cleanup_null);
    return t;
}

apr_status_t mauth_trust_add_roots_file(mauth_trust_t *t, const char *path, const char **err)
{
    BIO *bio = BIO_new_file(path, "r");
    X509 *cert;
    int count = 0;

    if (bio == NULL) {
        *err = apr_psprintf(t->pool, "cannot read %s", path);
        ERR_clear_error();
        return APR_ENOENT;
    }
    while ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        X509_STORE_add_cert(t->store, cert);
        sk_X509_push(t->roots, cert);
        count++;
    }
    BIO_free(bio);
    if (!mauth_pem_ended_cleanly()) {
        *err = apr_psprintf(t->pool, "%s: a PEM block after certificate %d does not "
                            "decode", path, count);
        return APR_EINVAL;
    }
    if (count == 0) {
        *err = apr_psprintf(t->pool, "%s holds no PEM certificate", path);
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

/* qsort hands pointers to the array's elements, themselves pointers */
static int compare_paths(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void mauth_sort_paths(apr_array_header_t *paths)
{
    qsort(paths->elts, paths->nelts, sizeof(const char *), compare_paths);
}

/* Calls add for every regular file in dir, in a stable order. */
static apr_status_t for_each_file(mauth_trust_t *t, const char *dir, const char **err,
                                  apr_status_t (*add)(mauth_trust_t *, const char *,
                                                      const char **))
{
    apr_dir_t *handle;
    apr_finfo_t entry;
    apr_array_header_t *names = apr_array_make(t->pool, 16, sizeof(const char *));
    apr_status_t rv;
    int i;

    if ((rv = apr_dir_open(&handle, dir, t->pool)) != APR_SUCCESS) {
        *err = apr_psprintf(t->pool, "cannot read directory %s", dir);
        return rv;
    }
    while (apr_dir_read(&entry, APR_FINFO_TYPE | APR_FINFO_NAME, handle) == APR_SUCCESS) {
        if (entry.filetype == APR_REG || entry.filetype == APR_LNK) {
            if (entry.name[0] != '.') {
                APR_ARRAY_PUSH(names, const char *) =
                    apr_pstrcat(t->pool, dir, "/", entry.name, NULL);
            }
        }
    }
    apr_dir_close(handle);
    mauth_sort_paths(names);
    for (i = 0; i < names->nelts; i++) {
        if ((rv = add(t, APR_ARRAY_IDX(names, i, const char *), err)) != APR_SUCCESS) {
            return rv;
        }
    }
    if (names->nelts == 0) {
        *err = apr_psprintf(t->pool, "directory %s is empty", dir);
        return APR_ENOENT;
    }
    return APR_SUCCESS;
}

apr_status_t mauth_trust_add_roots_path(mauth_trust_t *t, const char *dir, const char **err)
{
    return for_each_file(t, dir, err, mauth_trust_add_roots_file);
}

apr_status_t mauth_trust_add_crl_file(mauth_trust_t *t, const char *path, const char **err)
{
    if (t->crl_cache_dir && t->crl_cache_readonly) {
        return mauth_crl_map_file(t->pool, path, t->crl_cache_dir, t->crls,
                                  t->crl_cache_pending, err);
    }
    return mauth_crl_read_file(t->pool, path, t->crl_cache_dir, t->crls, err);
}

apr_status_t mauth_trust_add_crl_path(mauth_trust_t *t, const char *dir, const char **err)
{
    return for_each_file(t, dir, err, mauth_trust_add_crl_file);
}

void mauth_trust_set_crl_check(mauth_trust_t *t, mauth_crl_check_e mode)
{
    t->crl_check = mode;
}

void mauth_trust_set_depth(mauth_trust_t *t, int depth)
{
    t->depth = depth;
}

void mauth_trust_set_generation(mauth_trust_t *t, const unsigned char gen[MAUTH_GENERATION_LEN])
{
    memcpy(t->generation, gen, MAUTH_GENERATION_LEN);
}

const unsigned char *mauth_trust_id(const mauth_trust_t *t)
{
    return t->id;
}

/* Every input of a verdict: roots and CRLs as DER, the policy, the
 * generation.  Lengths are hashed before contents so no two differ alike. */
static void compute_trust_id(mauth_trust_t *t)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned int len = 0;
    int i;

    EVP_DigestInit_ex(md, mauth_sha256(), NULL);
    EVP_DigestUpdate(md, "mauth-trust-1", 13);
    for (i = 0; i < sk_X509_num(t->roots); i++) {
        unsigned char fingerprint[MAUTH_FINGERPRINT_LEN];
        mauth_cert_fingerprint(sk_X509_value(t->roots, i), fingerprint);
        EVP_DigestUpdate(md, "R", 1);
        EVP_DigestUpdate(md, fingerprint, sizeof(fingerprint));
    }
    for (i = 0; i < t->crls->nelts; i++) {
        const mauth_crl_t *crl = APR_ARRAY_IDX(t->crls, i, mauth_crl_t *);
        EVP_DigestUpdate(md, "C", 1);
        EVP_DigestUpdate(md, crl->der_digest, sizeof(crl->der_digest));
    }
    EVP_DigestUpdate(md, &t->crl_check, sizeof(t->crl_check));
    EVP_DigestUpdate(md, &t->depth, sizeof(t->depth));
    EVP_DigestUpdate(md, t->generation, sizeof(t->generation));
    EVP_DigestFinal_ex(md, t->id, &len);
    EVP_MD_CTX_free(md);
}

int mauth_trust_root_count(const mauth_trust_t *t)
{
    return sk_X509_num(t->roots);
}

int mauth_trust_crl_count(const mauth_trust_t *t)
{
    return t->crls->nelts;
}

static const char *date_text(apr_pool_t *p, apr_time_t when)
{
    char *text = apr_palloc(p, APR_RFC822_DATE_LEN);

    apr_rfc822_date(text, when);
    return text;
}

int mauth_trust_warn_expiring(apr_pool_t *p, const mauth_trust_t *t, const char *owner,
                              apr_time_t now, apr_time_t cert_deadline,
                              apr_time_t crl_deadline, const mauth_logger_t *log)
{
    mauth_cert_info_t info;
    apr_time_t end;
    int i, warned = 0;

    for (i = 0; i < sk_X509_num(t->roots); i++) {
        X509 *cert = sk_X509_value(t->roots, i);
        end = mauth_asn1_time(X509_get0_notAfter(cert));
        if (end < cert_deadline) {
            mauth_cert_info(p, cert, &info);
            /* an ended one already refuses the chains through it */
            mauth_log(log, end <= now ? MAUTH_LOG_ERR : MAUTH_LOG_WARNING, "MAUTH00110",
                      "CA certificate %s of %s %s %s", info.subject_dn, owner,
                      end <= now ? "expired" : "expires", date_text(p, end));
            warned++;
        }
    }
    for (i = 0; i < t->crls->nelts; i++) {
        const mauth_crl_t *crl = APR_ARRAY_IDX(t->crls, i, mauth_crl_t *);
        if (crl->next_update && crl->next_update < crl_deadline) {
            mauth_log(log, crl->next_update <= now ? MAUTH_LOG_ERR : MAUTH_LOG_WARNING,
                      "MAUTH00111",
                      "CRL of %s for %s (%s): its nextUpdate %s %s",
                      mauth_name_text(p, crl->issuer), owner,
                      crl->source, crl->next_update <= now ? "passed" : "is",
                      date_text(p, crl->next_update));
            warned++;
        }
    }
    return warned;
}

/*
 * Parses every CRL the way OpenSSL parses it, for the verification context.
 * Not for the X509_STORE: OpenSSL looks a store's CRLs up by the checked
 * certificate's issuer name, so an indirect CRL (another issuer's name)
 * would never be found; CRLs handed to the context are all considered.
 */
static apr_status_t hand_crls_to_openssl(mauth_trust_t *t, const char **err, int *bad_crl)
{
    int i;

    t->x509_crls = sk_X509_CRL_new_null();
    for (i = 0; i < t->crls->nelts; i++) {
        mauth_crl_t *crl = APR_ARRAY_IDX(t->crls, i, mauth_crl_t *);
        const unsigned char *p = crl->der;
        X509_CRL *parsed = d2i_X509_CRL(NULL, &p, (long)crl->der_len);
        ISSUING_DIST_POINT *idp;
        *bad_crl = i;
        if (parsed == NULL) {
            *err = apr_psprintf(t->pool, "%s: OpenSSL cannot parse a CRL", crl->source);
            ERR_clear_error();
            return APR_EINVAL;
        }
        idp = X509_CRL_get_ext_d2i(parsed, NID_issuing_distribution_point, NULL, NULL);
        crl->indirect = idp != NULL && idp->indirectCRL;
        ISSUING_DIST_POINT_free(idp);
        if (t->x509_crls == NULL || !sk_X509_CRL_push(t->x509_crls, parsed)) {
            X509_CRL_free(parsed);
            *err = "out of memory";
            return APR_ENOMEM;
        }
    }
    *bad_crl = -1;
    return APR_SUCCESS;
}

/* The settings a trust is made from, as the module's directives name them. */
#define WHAT_CA_FILE "MAuthCACertificateFile"
#define WHAT_CA_PATH "MAuthCACertificatePath"
#define WHAT_CRL_FILE "MAuthCARevocationFile"
#define WHAT_CRL_PATH "MAuthCARevocationPath"
#define WHAT_CRL_CHECK "MAuthCARevocationCheck"
#define WHAT_NO_ROOTS WHAT_CA_FILE "/" WHAT_CA_PATH
#define WHAT_NO_CRL WHAT_CRL_FILE "/" WHAT_CRL_CHECK

int mauth_trust_root_signed(const mauth_trust_t *t, mauth_crl_t *crl, int *issued_by_root)
{
    int j, verified = 0;

    *issued_by_root = 0;
    for (j = 0; j < sk_X509_num(t->roots); j++) {
        X509 *root = sk_X509_value(t->roots, j);
        if (X509_NAME_cmp(X509_get_subject_name(root), crl->issuer) == 0) {
            *issued_by_root = 1;
            verified |= mauth_crl_signed_by(crl, root);
        }
    }
    return verified;
}

/* mauth_trust_finish, telling what is at fault: *what for the whole (no
 * roots, no CRL), or *bad_crl, the index of the CRL at fault (else -1). */
static apr_status_t finish(mauth_trust_t *t, const mauth_logger_t *log, const char **err,
                           const char **what, int *bad_crl)
{
    int i;

    *bad_crl = -1;
    if (sk_X509_num(t->roots) == 0) {
        *err = "no trusted root certificate is configured";
        *what = WHAT_NO_ROOTS;
        return APR_EINVAL;
    }
    if (t->crl_check != MAUTH_CRL_CHECK_NONE && t->crls->nelts == 0) {
        *err = "revocation checking is on but no CRL is configured";
        *what = WHAT_NO_CRL;
        return APR_EINVAL;
    }
    for (i = 0; i < t->crls->nelts; i++) {
        mauth_crl_t *crl = APR_ARRAY_IDX(t->crls, i, mauth_crl_t *);
        int issued_by_root = 0, verified = 0;
        if (crl->complex_why && !t->extended_crls) {
            t->extended_crls = 1;
            mauth_log(log, MAUTH_LOG_WARNING, "MAUTH00001",
                      "%s: a CRL needs OpenSSL's extended CRL handling because %s; "
                      "every CRL is now checked by OpenSSL, whose cost grows with CRL size",
                      crl->source, crl->complex_why);
        }
        /* CRLs of the roots can be verified now, once; those of
         * intermediates when the first chain through them arrives. */
        verified = mauth_trust_root_signed(t, crl, &issued_by_root);
        if (issued_by_root && !verified) {
            *err = apr_psprintf(t->pool, "%s: the CRL issued by a trusted root "
                                "does not verify with that root's key", crl->source);
            *bad_crl = i;
            return APR_EINVAL;
        }
        mauth_log(log, MAUTH_LOG_DEBUG, "MAUTH00002",
                  "%s: CRL with %lu revoked serials, %s", crl->source,
                  (unsigned long)crl->revoked_count,
                  verified ? "signature verified" : "signature verified on first use");
    }
    compute_trust_id(t);
    if (t->extended_crls) {
        return hand_crls_to_openssl(t, err, bad_crl);
    }
    return APR_SUCCESS;
}

apr_status_t mauth_trust_finish(mauth_trust_t *t, const mauth_logger_t *log, const char **err)
{
    const char *what = NULL;
    int bad_crl;

    return finish(t, log, err, &what, &bad_crl);
}

/*
 * The steps of the module's start-up, in its order: the roots are required,
 * then generation and policy (UNSET and a depth not above 0 leave the
 * defaults mauth_trust_create set), the roots, the CRLs, the whole checked.
 */
apr_status_t mauth_trust_build(apr_pool_t *p, const mauth_trust_spec_t *spec,
                               const mauth_logger_t *log, mauth_trust_t **trust,
                               const char **err, const char **what)
{
    mauth_trust_t *t;
    const char *at = NULL;
    apr_status_t rv = APR_SUCCESS;
    int from_crl_file, bad_crl = -1;

    *trust = NULL;
    if (!spec->ca_file && !spec->ca_path) {
        *err = "no trusted root certificate is configured";
        *what = WHAT_NO_ROOTS;
        return APR_EINVAL;
    }
    if (spec->crl_check != MAUTH_CRL_CHECK_UNSET && spec->crl_check != MAUTH_CRL_CHECK_NONE
        && spec->crl_check != MAUTH_CRL_CHECK_LEAF && spec->crl_check != MAUTH_CRL_CHECK_CHAIN) {
        *err = apr_psprintf(p, "no revocation checking mode %d", (int)spec->crl_check);
        *what = WHAT_CRL_CHECK;
        return APR_EINVAL;
    }
    t = mauth_trust_create(p);
    t->crl_cache_dir = spec->crl_cache_dir;
    t->crl_cache_readonly = spec->crl_cache_readonly;
    if (spec->generation) {
        mauth_trust_set_generation(t, spec->generation);
    }
    if (spec->crl_check != MAUTH_CRL_CHECK_UNSET) {
        mauth_trust_set_crl_check(t, spec->crl_check);
    }
    if (spec->depth > 0) {
        mauth_trust_set_depth(t, spec->depth);
    }
    if (spec->ca_file && rv == APR_SUCCESS) {
        at = WHAT_CA_FILE;
        rv = mauth_trust_add_roots_file(t, spec->ca_file, err);
    }
    if (spec->ca_path && rv == APR_SUCCESS) {
        at = WHAT_CA_PATH;
        rv = mauth_trust_add_roots_path(t, spec->ca_path, err);
    }
    if (spec->crl_file && rv == APR_SUCCESS) {
        at = WHAT_CRL_FILE;
        rv = mauth_trust_add_crl_file(t, spec->crl_file, err);
    }
    from_crl_file = t->crls->nelts;
    if (spec->crl_path && rv == APR_SUCCESS) {
        at = WHAT_CRL_PATH;
        rv = mauth_trust_add_crl_path(t, spec->crl_path, err);
    }
    if (rv == APR_SUCCESS && (rv = finish(t, log, err, &at, &bad_crl)) != APR_SUCCESS
        && bad_crl >= 0) {
        at = bad_crl < from_crl_file ? WHAT_CRL_FILE : WHAT_CRL_PATH;
    }
    if (rv != APR_SUCCESS) {
        *what = at;
        return rv;
    }
    *trust = t;
    return APR_SUCCESS;
}

struct mauth_trusts {
    apr_pool_t *pool;
    apr_hash_t *by_spec;               /* spec and cache settings -> entry */
};

mauth_trusts_t *mauth_trusts_create(apr_pool_t *p)
{
    mauth_trusts_t *trusts = apr_pcalloc(p, sizeof(*trusts));

    trusts->pool = p;
    trusts->by_spec = apr_hash_make(p);
    return trusts;
}

/* The configuration goes: so does a start-up trust no live state took. */
static apr_status_t entry_cleanup(void *data)
{
    mauth_trust_entry_t *entry = data;

    if (entry->pool) {
        apr_pool_destroy(entry->pool);
        entry->pool = NULL;
    }
    return APR_SUCCESS;
}

apr_status_t mauth_trusts_get(mauth_trusts_t *trusts, const mauth_trust_spec_t *spec,
                              int cache_size, apr_interval_time_t cache_ttl,
                              const mauth_logger_t *log, mauth_trust_entry_t **entry,
                              const char **err, const char **what)
{
    const char *label = apr_psprintf(trusts->pool, "%s|%s|%s|%s|%d|%d|%d|%" APR_TIME_T_FMT,
                                     spec->ca_file ? spec->ca_file : "",
                                     spec->ca_path ? spec->ca_path : "",
                                     spec->crl_file ? spec->crl_file : "",
                                     spec->crl_path ? spec->crl_path : "", spec->crl_check,
                                     spec->depth, cache_size, cache_ttl);
    apr_status_t rv;

    *entry = apr_hash_get(trusts->by_spec, label, APR_HASH_KEY_STRING);
    if (*entry) {
        return APR_SUCCESS;
    }
    *entry = apr_pcalloc(trusts->pool, sizeof(**entry));
    /* a pool of its own, not under the configuration's, so that a process
     * whose CRLs were refreshed can free it (and unmap its CRLs) */
    if (apr_pool_create_unmanaged_ex(&(*entry)->pool, NULL, NULL) != APR_SUCCESS) {
        *err = "out of memory";
        return APR_ENOMEM;
    }
    apr_pool_cleanup_register(trusts->pool, *entry, entry_cleanup, apr_pool_cleanup_null);
    rv = mauth_trust_build((*entry)->pool, spec, log, &(*entry)->trust, err, what);
    if (rv != APR_SUCCESS) {
        *err = apr_pstrdup(trusts->pool, *err);
        return rv;
    }
    (*entry)->cache_size = cache_size;
    (*entry)->cache_ttl = cache_ttl;
    apr_hash_set(trusts->by_spec, label, APR_HASH_KEY_STRING, *entry);
    mauth_log(log, MAUTH_LOG_DEBUG, "MAUTH00042", "trust: %d root(s), %d CRL(s)",
              mauth_trust_root_count((*entry)->trust), mauth_trust_crl_count((*entry)->trust));
    return APR_SUCCESS;
}

int mauth_trusts_child_init(mauth_trusts_t *trusts, apr_pool_t *pchild)
{
    apr_hash_index_t *hi;

    for (hi = apr_hash_first(pchild, trusts->by_spec); hi; hi = apr_hash_next(hi)) {
        mauth_trust_entry_t *entry = apr_hash_this_val(hi);
        entry->cache = mauth_verdict_cache_create(pchild, entry->cache_size, entry->cache_ttl);
        if (entry->cache == NULL) {
            return 0;
        }
    }
    return 1;
}
