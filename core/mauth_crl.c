/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mauth_crl.c: the compact CRL index (see mauth_crl.h for why).
 *
 * OpenSSL's X509_CRL keeps about ten times the DER size in memory and
 * re-verifies the signature over the whole TBSCertList at every chain
 * verification, so a large CRL makes every handshake slower.  Here the CRL
 * is walked once: its DER stays as it is, and the index holds only the
 * offsets of the revoked serials, sorted (counted first, so it is one
 * block of its exact size).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE             /* qsort_r */
#endif
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <apr_strings.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include "mauth_crl.h"

#define DER_SEQUENCE      0x30
#define DER_INTEGER       0x02
#define DER_BIT_STRING    0x03
#define DER_OCTET_STRING  0x04
#define DER_OID           0x06
#define DER_BOOLEAN       0x01
#define DER_UTCTIME       0x17
#define DER_GENERALIZED   0x18
#define DER_CRL_EXTENSIONS 0xa0   /* [0] EXPLICIT, constructed */

typedef struct {
    const unsigned char *p;
    const unsigned char *end;
} der_reader_t;

typedef struct {
    unsigned tag;
    const unsigned char *start;       /* the header's first byte */
    const unsigned char *value;
    apr_size_t len;                   /* of value */
    apr_size_t total;                 /* header + value */
} der_item_t;

/* Reads one element with a single-byte tag and a definite length. */
static int der_read(der_reader_t *r, der_item_t *item)
{
    const unsigned char *p = r->p;
    apr_size_t len = 0;
    unsigned count;

    if (r->end - p < 2) {
        return 0;
    }
    item->start = p;
    item->tag = *p++;
    if ((item->tag & 0x1f) == 0x1f) {
        return 0;                     /* multi-byte tags never occur in a CRL */
    }
    if (*p < 0x80) {
        len = *p++;
    }
    else {
        count = *p++ & 0x7f;
        if (count == 0 || count > 4 || (apr_size_t)(r->end - p) < count) {
            return 0;                 /* indefinite or absurd length */
        }
        while (count--) {
            len = (len << 8) | *p++;
        }
    }
    if ((apr_size_t)(r->end - p) < len) {
        return 0;
    }
    item->value = p;
    item->len = len;
    item->total = (apr_size_t)(p - item->start) + len;
    r->p = p + len;
    return 1;
}

static int der_peek_tag(const der_reader_t *r)
{
    return r->p < r->end ? *r->p : -1;
}

static void der_enter(der_reader_t *inner, const der_item_t *item)
{
    inner->p = item->value;
    inner->end = item->value + item->len;
}

/* A serial number's content without redundant leading sign octets, so
 * that a lenient encoding still matches the certificate's. */
static void serial_trim(const unsigned char **bytes, apr_size_t *len)
{
    while (*len > 1
           && (((*bytes)[0] == 0x00 && !((*bytes)[1] & 0x80))
               || ((*bytes)[0] == 0xff && ((*bytes)[1] & 0x80)))) {
        (*bytes)++;
        (*len)--;
    }
}

static int serial_compare(const unsigned char *a, apr_size_t alen,
                          const unsigned char *b, apr_size_t blen)
{
    if (alen != blen) {
        return alen < blen ? -1 : 1;
    }
    return memcmp(a, b, alen);
}

/* The serial INTEGER whose content starts at der + offset. */
static void serial_at(const unsigned char *der, uint32_t offset,
                      const unsigned char **bytes, apr_size_t *len)
{
    const unsigned char *p = der + offset;

    /* offset points at the length octet(s) after the INTEGER tag */
    if (*p < 0x80) {
        *len = *p;
        *bytes = p + 1;
    }
    else {
        unsigned count = *p & 0x7f, i;
        apr_size_t n = 0;
        for (i = 1; i <= count; i++) {
            n = (n << 8) | p[i];
        }
        *len = n;
        *bytes = p + 1 + count;
    }
    serial_trim(bytes, len);
}

static int offset_compare(const void *a, const void *b, void *der)
{
    const unsigned char *abytes, *bbytes;
    apr_size_t alen, blen;

    serial_at(der, *(const uint32_t *)a, &abytes, &alen);
    serial_at(der, *(const uint32_t *)b, &bbytes, &blen);
    return serial_compare(abytes, alen, bbytes, blen);
}

static int der_time(const der_item_t *item, apr_time_t *when)
{
    const unsigned char *p = item->start;
    ASN1_TIME *t;
    struct tm tm;
    int ok;

    if (item->tag != DER_UTCTIME && item->tag != DER_GENERALIZED) {
        return 0;
    }
    t = d2i_ASN1_TIME(NULL, &p, (long)item->total);
    ok = t != NULL && ASN1_TIME_to_tm(t, &tm) == 1;
    ASN1_TIME_free(t);
    if (ok) {
        *when = apr_time_from_sec((apr_time_t)timegm(&tm));
    }
    return ok;
}

/* OIDs under id-ce (2.5.29) that decide how a CRL may be handled. */
static int is_id_ce(const der_item_t *oid, unsigned char last)
{
    return oid->len == 3 && oid->value[0] == 0x55 && oid->value[1] == 0x1d
           && oid->value[2] == last;
}
#define ID_CE_CRL_NUMBER            0x14
#define ID_CE_DELTA_CRL_INDICATOR   0x1b
#define ID_CE_ISSUING_DIST_POINT    0x1c
#define ID_CE_CERTIFICATE_ISSUER    0x1d
#define ID_CE_AUTHORITY_KEY_ID      0x23
#define ID_CE_FRESHEST_CRL          0x2e

/* Walks Extensions; returns 0 on bad DER, else sets *complex_why when an
 * extension calls for OpenSSL's extended CRL handling and, for the CRL's
 * own extensions (entry 0), crl's number. */
static int scan_extensions(const der_item_t *extensions, int entry, mauth_crl_t *crl,
                           const char **complex_why)
{
    der_reader_t list, ext;
    der_item_t item, oid, field;

    if (extensions->tag != DER_SEQUENCE) {
        return 0;
    }
    der_enter(&list, extensions);
    while (list.p < list.end) {
        int critical = 0;
        if (!der_read(&list, &item) || item.tag != DER_SEQUENCE) {
            return 0;
        }
        der_enter(&ext, &item);
        if (!der_read(&ext, &oid) || oid.tag != DER_OID) {
            return 0;
        }
        if (der_peek_tag(&ext) == DER_BOOLEAN) {
            if (!der_read(&ext, &field) || field.len != 1) {
                return 0;
            }
            critical = field.value[0] != 0;
        }
        if (!der_read(&ext, &field) || field.tag != DER_OCTET_STRING) {
            return 0;
        }
        if (entry) {
            if (is_id_ce(&oid, ID_CE_CERTIFICATE_ISSUER)) {
                *complex_why = "it is an indirect CRL (certificateIssuer entries)";
            }
            else if (critical) {
                *complex_why = "an entry has a critical extension";
            }
        }
        else if (is_id_ce(&oid, ID_CE_ISSUING_DIST_POINT)) {
            *complex_why = "it has an issuing distribution point";
        }
        else if (is_id_ce(&oid, ID_CE_DELTA_CRL_INDICATOR)) {
            *complex_why = "it is a delta CRL";
        }
        else if (is_id_ce(&oid, ID_CE_FRESHEST_CRL)) {
            *complex_why = "it points to delta CRLs";
        }
        else if (is_id_ce(&oid, ID_CE_CRL_NUMBER)) {
            der_reader_t in;
            der_item_t number;
            der_enter(&in, &field);
            if (!der_read(&in, &number) || number.tag != DER_INTEGER || number.len == 0) {
                return 0;
            }
            crl->number = number.value;
            crl->number_len = number.len;
        }
        else if (critical && !is_id_ce(&oid, ID_CE_AUTHORITY_KEY_ID)) {
            *complex_why = "it has a critical extension";
        }
    }
    return 1;
}

int mauth_crl_number_cmp(const mauth_crl_t *a, const mauth_crl_t *b)
{
    const unsigned char *x = a->number, *y = b->number;
    apr_size_t xl = a->number_len, yl = b->number_len;

    /* CRLNumber is 0..MAX: big-endian, compared without leading zeros */
    for (; xl > 1 && *x == 0; x++, xl--) {
    }
    for (; yl > 1 && *y == 0; y++, yl--) {
    }
    if (xl != yl) {
        return xl < yl ? -1 : 1;
    }
    return memcmp(x, y, xl);
}

static apr_status_t parse_fail(const char **err, const char *why)
{
    *err = why;
    return APR_EINVAL;
}

/* Whether a given index can be used: its offsets point at INTEGER serials
 * inside list, in ascending order (the binary search relies on both). */
static int given_index_fits(const mauth_crl_t *crl, const der_item_t *list,
                            const uint32_t *offsets, apr_size_t count, unsigned char *entry_at)
{
    apr_size_t i, first = (apr_size_t)(list->value - crl->der) + 1;
    apr_size_t end = (apr_size_t)(list->value + list->len - crl->der);

    for (i = 0; i < count; i++) {
        const unsigned char *bytes;
        apr_size_t len;
        if (offsets[i] < first || offsets[i] >= end || crl->der[offsets[i] - 1] != DER_INTEGER
            || (crl->der[offsets[i]] & 0x80)) {
            return 0;                 /* entries' serials are short-form (<= 126) */
        }
        serial_at(crl->der, offsets[i], &bytes, &len);
        if ((apr_size_t)(bytes + len - crl->der) > end
            || (i > 0 && offset_compare(&offsets[i - 1], &offsets[i], (void *)crl->der) > 0)) {
            return 0;
        }
    }
    /* sorted and in the list is not enough: each entry exactly once (an
     * offset named twice would hide another entry); entry_at marks them */
    for (i = 0; i < count; i++) {
        uint32_t at = offsets[i];
        if (!((entry_at[at / 8] >> (at % 8)) & 1)) {
            return 0;
        }
        entry_at[at / 8] &= (unsigned char)~(1u << (at % 8));
    }
    return 1;
}

/* Whether the serials at offsets ascend already (CAs often list them so):
 * one pass instead of a sort. */
static int in_order(const unsigned char *der, const uint32_t *offsets, apr_size_t count)
{
    apr_size_t i;

    for (i = 1; i < count; i++) {
        if (offset_compare(&offsets[i - 1], &offsets[i], (void *)der) > 0) {
            return 0;
        }
    }
    return 1;
}

void *mauth_pages_get(apr_size_t len)
{
    void *at = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    return at == MAP_FAILED ? NULL : at;
}

void mauth_pages_put(void *at, apr_size_t len)
{
    if (at) {
        munmap(at, len);
    }
}

typedef struct {
    void *at;
    apr_size_t len;
} pages_t;

static apr_status_t pages_cleanup(void *data)
{
    pages_t *pages = data;

    mauth_pages_put(pages->at, pages->len);
    return APR_SUCCESS;
}

void *mauth_pages_alloc(apr_pool_t *p, apr_size_t len)
{
    pages_t *pages = apr_palloc(p, sizeof(*pages));

    if ((pages->at = mauth_pages_get(len)) != NULL) {
        pages->len = len;
        apr_pool_cleanup_register(p, pages, pages_cleanup, apr_pool_cleanup_null);
    }
    return pages->at;
}

/* Reads the revokedCertificates list: counts and checks the entries, then
 * fills and sorts the offsets where index says (or takes the given ones). */
static apr_status_t index_revoked(apr_pool_t *p, mauth_crl_t *crl, const der_item_t *list,
                                  const mauth_crl_index_t *index, const char **err)
{
    der_reader_t entries, entry;
    der_item_t item, serial, when, extensions;
    apr_size_t count = 0;
    uint32_t *offsets = NULL;
    unsigned char *entry_at = NULL;    /* given index: a bit per DER byte, set
                                        * where an entry's serial starts */

    if (crl->der_len > UINT32_MAX) {
        return parse_fail(err, "CRL is larger than 4 GB");
    }
    if (index->how == MAUTH_CRL_INDEX_GIVEN && index->count > 0
        && (entry_at = mauth_pages_get(crl->der_len / 8 + 1)) == NULL) {
        return parse_fail(err, "out of memory");
    }
    der_enter(&entries, list);
    while (entries.p < entries.end) {
        if (!der_read(&entries, &item) || item.tag != DER_SEQUENCE) {
            mauth_pages_put(entry_at, crl->der_len / 8 + 1);
            return parse_fail(err, "malformed revoked certificate entry");
        }
        der_enter(&entry, &item);
        if (!der_read(&entry, &serial) || serial.tag != DER_INTEGER
            || serial.len == 0 || serial.len > 126
            || !der_read(&entry, &when)
            || (when.tag != DER_UTCTIME && when.tag != DER_GENERALIZED)) {
            mauth_pages_put(entry_at, crl->der_len / 8 + 1);
            return parse_fail(err, "malformed revoked certificate entry");
        }
        if (entry.p < entry.end
            && (!der_read(&entry, &extensions)
                || !scan_extensions(&extensions, 1, crl, &crl->complex_why))) {
            mauth_pages_put(entry_at, crl->der_len / 8 + 1);
            return parse_fail(err, "malformed entry extensions");
        }
        if (entry_at) {
            apr_size_t at = (apr_size_t)(serial.start + 1 - crl->der);
            entry_at[at / 8] |= (unsigned char)(1u << (at % 8));
        }
        if (offsets) {
            offsets[count] = (uint32_t)(serial.start + 1 - crl->der);
        }
        count++;
        if (entries.p == entries.end && offsets == NULL && index->how != MAUTH_CRL_INDEX_COUNT
            && index->how != MAUTH_CRL_INDEX_GIVEN) {
            /* counted: now fill, from the first entry again */
            if (index->how == MAUTH_CRL_INDEX_INTO && index->count < count) {
                return parse_fail(err, "CRL has more entries than its index has room for");
            }
            offsets = index->how == MAUTH_CRL_INDEX_INTO
                      ? index->at : mauth_pages_alloc(p, count * sizeof(*offsets) + 1);
            if (offsets == NULL) {
                return parse_fail(err, "out of memory");
            }
            der_enter(&entries, list);
            count = 0;
        }
    }
    crl->revoked_count = count;
    if (index->how == MAUTH_CRL_INDEX_GIVEN) {
        int fits = index->count == count
                   && given_index_fits(crl, list, index->at, count, entry_at);
        mauth_pages_put(entry_at, crl->der_len / 8 + 1);
        if (!fits) {
            return parse_fail(err, "its index does not match it");
        }
        offsets = index->at;
    }
    if (offsets && index->how != MAUTH_CRL_INDEX_GIVEN && !in_order(crl->der, offsets, count)) {
        qsort_r(offsets, count, sizeof(*offsets), offset_compare, (void *)crl->der);
    }
    crl->revoked = offsets;
    return APR_SUCCESS;
}

static apr_status_t crl_cleanup(void *data)
{
    mauth_crl_t *crl = data;

    X509_NAME_free(crl->issuer);
    X509_free(crl->verified_issuer);
    return APR_SUCCESS;
}

/* The outer CertificateList: TBSCertList, signature algorithm, signature. */
static apr_status_t parse_outer(mauth_crl_t *crl, der_item_t *tbs, const char **err)
{
    der_reader_t top = {crl->der, crl->der + crl->der_len}, outer;
    der_item_t whole, sig_alg, signature;

    if (!der_read(&top, &whole) || whole.tag != DER_SEQUENCE || top.p != top.end) {
        return parse_fail(err, "not a DER CertificateList");
    }
    der_enter(&outer, &whole);
    if (!der_read(&outer, tbs) || tbs->tag != DER_SEQUENCE
        || !der_read(&outer, &sig_alg) || sig_alg.tag != DER_SEQUENCE
        || !der_read(&outer, &signature) || signature.tag != DER_BIT_STRING
        || signature.len < 1 || signature.value[0] > 7 || outer.p != outer.end) {
        return parse_fail(err, "malformed CertificateList");
    }
    crl->tbs = tbs->start;
    crl->tbs_len = tbs->total;
    crl->sig_alg = sig_alg.start;
    crl->sig_alg_len = sig_alg.total;
    /* A signature whose BIT STRING declares unused bits is no signature any
     * scheme makes, but OpenSSL parses such a CRL and only fails its
     * signature: it is a bad CRL, refused where it is used, not a file
     * that stops httpd (PKITS 4.4.4). */
    crl->signature_unused_bits = signature.value[0];
    crl->signature = signature.value + 1;
    crl->signature_len = signature.len - 1;
    return APR_SUCCESS;
}

/* version, signature, issuer, thisUpdate, nextUpdate. */
static apr_status_t parse_tbs_head(apr_pool_t *p, mauth_crl_t *crl, der_reader_t *tbs,
                                   const char **err)
{
    der_item_t item;
    const unsigned char *name_p;

    if (der_peek_tag(tbs) == DER_INTEGER && !der_read(tbs, &item)) {
        return parse_fail(err, "malformed version");
    }
    /* the inner signature algorithm must repeat the outer one */
    if (!der_read(tbs, &item) || item.tag != DER_SEQUENCE
        || item.total != crl->sig_alg_len || memcmp(item.start, crl->sig_alg, item.total)) {
        return parse_fail(err, "signature algorithms disagree");
    }
    if (!der_read(tbs, &item) || item.tag != DER_SEQUENCE) {
        return parse_fail(err, "malformed issuer name");
    }
    name_p = item.start;
    crl->issuer = d2i_X509_NAME(NULL, &name_p, (long)item.total);
    if (crl->issuer == NULL) {
        return parse_fail(err, "malformed issuer name");
    }
    apr_pool_cleanup_register(p, crl, crl_cleanup, apr_pool_cleanup_null);
    if (!der_read(tbs, &item) || !der_time(&item, &crl->this_update)) {
        return parse_fail(err, "malformed thisUpdate");
    }
    if ((der_peek_tag(tbs) == DER_UTCTIME || der_peek_tag(tbs) == DER_GENERALIZED)
        && (!der_read(tbs, &item) || !der_time(&item, &crl->next_update))) {
        return parse_fail(err, "malformed nextUpdate");
    }
    return APR_SUCCESS;
}

/* revokedCertificates and crlExtensions, up to the end of the TBSCertList. */
static apr_status_t parse_tbs_tail(apr_pool_t *p, mauth_crl_t *crl, der_reader_t *tbs,
                                   const mauth_crl_index_t *index, const char **err)
{
    der_item_t item, extensions;
    der_reader_t explicit;
    apr_status_t rv;

    if (der_peek_tag(tbs) == DER_SEQUENCE) {
        if (!der_read(tbs, &item)) {
            return parse_fail(err, "malformed revoked certificates");
        }
        if ((rv = index_revoked(p, crl, &item, index, err)) != APR_SUCCESS) {
            return rv;
        }
    }
    else if (index->how == MAUTH_CRL_INDEX_GIVEN && index->count != 0) {
        return parse_fail(err, "its index does not match it");
    }
    if (der_peek_tag(tbs) == DER_CRL_EXTENSIONS) {
        if (!der_read(tbs, &item)) {
            return parse_fail(err, "malformed CRL extensions");
        }
        der_enter(&explicit, &item);
        if (!der_read(&explicit, &extensions)
            || !scan_extensions(&extensions, 0, crl, &crl->complex_why)) {
            return parse_fail(err, "malformed CRL extensions");
        }
    }
    if (tbs->p != tbs->end) {
        return parse_fail(err, "trailing data in TBSCertList");
    }
    return APR_SUCCESS;
}

/* A signature scheme with parameters (RSASSA-PSS) is OpenSSL's to check. */
static apr_status_t check_signature_scheme(mauth_crl_t *crl, const char **err)
{
    const unsigned char *alg_p = crl->sig_alg;
    X509_ALGOR *alg = d2i_X509_ALGOR(NULL, &alg_p, (long)crl->sig_alg_len);
    int md_nid, pkey_nid;

    if (alg == NULL) {
        return parse_fail(err, "malformed signature algorithm");
    }
    if (!OBJ_find_sigid_algs(OBJ_obj2nid(alg->algorithm), &md_nid, &pkey_nid)
        || pkey_nid == NID_rsassaPss) {
        crl->complex_why = "its signature scheme needs parameters";
    }
    X509_ALGOR_free(alg);
    return APR_SUCCESS;
}

apr_status_t mauth_crl_parse(apr_pool_t *p, const unsigned char *der, apr_size_t len,
                             const char *source, mauth_crl_t **out, const char **err)
{
    static const mauth_crl_index_t in_pool = {MAUTH_CRL_INDEX_POOL, NULL, 0, NULL};

    return mauth_crl_parse_indexed(p, der, len, source, &in_pool, out, err);
}

apr_status_t mauth_crl_parse_indexed(apr_pool_t *p, const unsigned char *der, apr_size_t len,
                                     const char *source, const mauth_crl_index_t *index,
                                     mauth_crl_t **out, const char **err)
{
    mauth_crl_t *crl = apr_pcalloc(p, sizeof(*crl));
    der_item_t tbs_item;
    der_reader_t tbs;
    apr_status_t rv;

    crl->source = source;
    crl->der = der;
    crl->der_len = len;
    if (index->der_digest) {
        memcpy(crl->der_digest, index->der_digest, sizeof(crl->der_digest));
    }
    else if (!EVP_Digest(der, len, crl->der_digest, NULL, mauth_sha256(), NULL)) {
        return parse_fail(err, "cannot hash the CRL");
    }
    if ((rv = parse_outer(crl, &tbs_item, err)) != APR_SUCCESS) {
        return rv;
    }
    der_enter(&tbs, &tbs_item);
    if ((rv = parse_tbs_head(p, crl, &tbs, err)) != APR_SUCCESS
        || (rv = parse_tbs_tail(p, crl, &tbs, index, err)) != APR_SUCCESS
        || (rv = check_signature_scheme(crl, err)) != APR_SUCCESS) {
        return rv;
    }
    if (apr_thread_mutex_create(&crl->memo_lock, APR_THREAD_MUTEX_DEFAULT, p) != APR_SUCCESS) {
        return parse_fail(err, "cannot create a mutex");
    }
    *out = crl;
    return APR_SUCCESS;
}

int mauth_pem_ended_cleanly(void)
{
    unsigned long error = ERR_peek_last_error();
    int clean = error == 0
                || (ERR_GET_LIB(error) == ERR_LIB_PEM
                    && ERR_GET_REASON(error) == PEM_R_NO_START_LINE);

    ERR_clear_error();
    return clean;
}

int mauth_crl_signed_by(mauth_crl_t *crl, X509 *issuer)
{
    unsigned char key_id[MAUTH_FINGERPRINT_LEN];
    unsigned int key_id_len = 0;
    EVP_PKEY *key = X509_get0_pubkey(issuer);
    const unsigned char *alg_p = crl->sig_alg;
    X509_ALGOR *alg;
    EVP_MD_CTX *md_ctx;
    int md_nid, pkey_nid, ok = 0;

    if (key == NULL || crl->signature_unused_bits != 0
        || !X509_pubkey_digest(issuer, mauth_sha256(), key_id, &key_id_len)) {
        return 0;
    }
    apr_thread_mutex_lock(crl->memo_lock);
    ok = crl->signature_verified && memcmp(crl->verified_key, key_id, sizeof(key_id)) == 0;
    apr_thread_mutex_unlock(crl->memo_lock);
    if (ok) {
        return 1;
    }

    alg = d2i_X509_ALGOR(NULL, &alg_p, (long)crl->sig_alg_len);
    if (alg == NULL
        || !OBJ_find_sigid_algs(OBJ_obj2nid(alg->algorithm), &md_nid, &pkey_nid)
        || !EVP_PKEY_is_a(key, OBJ_nid2sn(pkey_nid))) {
        X509_ALGOR_free(alg);
        return 0;
    }
    X509_ALGOR_free(alg);
    md_ctx = EVP_MD_CTX_new();
    ok = md_ctx != NULL
         && EVP_DigestVerifyInit(md_ctx, NULL,
                                 md_nid == NID_undef ? NULL : EVP_get_digestbynid(md_nid),
                                 NULL, key) == 1
         && EVP_DigestVerify(md_ctx, crl->signature, crl->signature_len,
                             crl->tbs, crl->tbs_len) == 1;
    EVP_MD_CTX_free(md_ctx);
    ERR_clear_error();
    if (ok) {
        apr_thread_mutex_lock(crl->memo_lock);
        memcpy(crl->verified_key, key_id, sizeof(key_id));
        crl->signature_verified = 1;
        if (crl->verified_issuer == NULL && X509_up_ref(issuer)) {
            crl->verified_issuer = issuer;
        }
        apr_thread_mutex_unlock(crl->memo_lock);
    }
    return ok;
}

void mauth_crl_take_memo(mauth_crl_t *crl, mauth_crl_t *same)
{
    X509 *issuer;

    if (memcmp(crl->der_digest, same->der_digest, sizeof(crl->der_digest)) != 0
        || (issuer = mauth_crl_verified_issuer(same)) == NULL) {
        return;
    }
    apr_thread_mutex_lock(same->memo_lock);
    memcpy(crl->verified_key, same->verified_key, sizeof(crl->verified_key));
    apr_thread_mutex_unlock(same->memo_lock);
    apr_thread_mutex_lock(crl->memo_lock);
    crl->signature_verified = 1;
    if (crl->verified_issuer == NULL) {
        crl->verified_issuer = issuer;
        issuer = NULL;
    }
    apr_thread_mutex_unlock(crl->memo_lock);
    X509_free(issuer);
}

X509 *mauth_crl_verified_issuer(mauth_crl_t *crl)
{
    X509 *issuer;

    apr_thread_mutex_lock(crl->memo_lock);
    issuer = crl->verified_issuer;
    if (issuer && !X509_up_ref(issuer)) {
        issuer = NULL;
    }
    apr_thread_mutex_unlock(crl->memo_lock);
    return issuer;
}

int mauth_crl_lists(const mauth_crl_t *crl, X509 *cert)
{
    const ASN1_INTEGER *serial = X509_get0_serialNumber(cert);
    unsigned char encoded[160], *e = encoded;
    const unsigned char *want;
    apr_size_t want_len, low = 0, high = crl->revoked_count;
    int len = i2d_ASN1_INTEGER(serial, NULL);
    der_reader_t r;
    der_item_t item;

    if (len <= 0 || len > (int)sizeof(encoded)) {
        return 0;
    }
    i2d_ASN1_INTEGER(serial, &e);
    r.p = encoded;
    r.end = encoded + len;
    if (!der_read(&r, &item)) {
        return 0;
    }
    want = item.value;
    want_len = item.len;
    serial_trim(&want, &want_len);
    while (low < high) {
        apr_size_t mid = low + (high - low) / 2;
        const unsigned char *have;
        apr_size_t have_len;
        int cmp;
        serial_at(crl->der, crl->revoked[mid], &have, &have_len);
        cmp = serial_compare(want, want_len, have, have_len);
        if (cmp == 0) {
            return 1;
        }
        if (cmp < 0) {
            high = mid;
        }
        else {
            low = mid + 1;
        }
    }
    return 0;
}
