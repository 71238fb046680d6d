/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mauth_crl_file.c: reading CRL files, and the shared copy of what they
 * hold.
 *
 * A file is read as a stream, PEM blocks decoded as they come: a 1 M-entry
 * CRL never sits in memory as text, nor twice as DER.  With a cache
 * directory the DER and the sorted index of every CRL of the file go into
 * one file there, named by the CRL file's path and content:
 *
 *     DER of CRL 1, padded to 8 | ... | index 1 (uint32 offsets) | ... |
 *     directory (one cached_crl_t per CRL) | trailer
 *
 * It is written under a temporary name and renamed, so it is whole or
 * absent, and mapped read-only.  Every process (the parent at start-up, each
 * child at a refresh) that reads the same content maps the same pages: the
 * server holds one copy, however many children and vhosts use it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_mmap.h>
#include <apr_portable.h>
#include <apr_strings.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>             /* SHA256_DIGEST_LENGTH */

#include "mauth_crl.h"

#define CACHE_MAGIC "MAUTHCR2"
#define CACHE_SUFFIX ".crlx"
#define READ_CHUNK (64 * 1024)
#define MAX_CRL_FILE ((apr_off_t)1 << 30)
#define MARKER_MAX 128                 /* longest PEM marker line kept */
#define NO_CRL "no CRL found (neither PEM nor DER)"
static const char CANNOT_READ[] = "cannot be read";

typedef struct {
    uint64_t der_off, der_len, index_off, index_count;
    unsigned char der_digest[SHA256_DIGEST_LENGTH];
} cached_crl_t;

typedef struct {
    char magic[8];
    uint64_t count, directory_off, file_size;
    unsigned char source_digest[SHA256_DIGEST_LENGTH];  /* of the CRL file it was
                                                          * made from: its name's */
} cache_trailer_t;

/* Where decoded DER goes: the cache file being built, or memory of p. */
typedef struct {
    apr_pool_t *p;
    apr_file_t *file;
    apr_off_t written;
    unsigned char *mem;                /* memory: the CRL being decoded */
    apr_size_t mem_len, mem_cap;
    apr_array_header_t *blobs;         /* cached_crl_t (file) / mauth_crl_t * (memory) */
    const char *path;
    uint64_t blob_start;
    int whole_file;                    /* no PEM block: the file taken as DER */
} der_sink_t;

static int sink_put(der_sink_t *sink, const unsigned char *data, apr_size_t len)
{
    if (len == 0) {
        return 1;
    }
    if (sink->file) {
        sink->written += (apr_off_t)len;
        return apr_file_write_full(sink->file, data, len, NULL) == APR_SUCCESS;
    }
    /* memory: reserved for the whole file before reading it */
    if (len > sink->mem_cap - sink->mem_len) {
        return 0;
    }
    memcpy(sink->mem + sink->mem_len, data, len);
    sink->mem_len += len;
    return 1;
}

/* Ends the CRL being decoded: in memory, parsed and kept; in the file,
 * padded to 8 and noted for the index. */
static apr_status_t sink_end_crl(der_sink_t *sink, const char **why)
{
    static const unsigned char pad[8];
    mauth_crl_t *crl;
    apr_status_t rv;

    if (sink->file) {
        cached_crl_t *blob = apr_array_push(sink->blobs);
        blob->der_off = sink->blob_start;
        blob->der_len = (uint64_t)sink->written - sink->blob_start;
        if (!sink_put(sink, pad, (8 - (apr_size_t)(sink->written % 8)) % 8)) {
            *why = "cannot write the cache file";
            return APR_EGENERAL;
        }
        sink->blob_start = (uint64_t)sink->written;
        return APR_SUCCESS;
    }
    rv = mauth_crl_parse(sink->p, sink->mem + sink->blob_start,
                         sink->mem_len - (apr_size_t)sink->blob_start, sink->path, &crl, why);
    sink->blob_start = sink->mem_len;
    if (rv == APR_SUCCESS) {
        APR_ARRAY_PUSH(sink->blobs, mauth_crl_t *) = crl;
    }
    return rv;
}

/* The state of reading PEM out of a stream of bytes. */
typedef struct {
    der_sink_t *sink;
    EVP_ENCODE_CTX *b64;
    int in_block;                      /* 1: a CRL block, 2: a block of another kind */
    int at_line_start;
    char marker[MARKER_MAX + 1];       /* a line starting with '-', as far as read */
    apr_size_t marker_len;
    int marker_line;                   /* reading one */
    unsigned line, block_line;
    int blocks;                        /* CRL blocks read */
    const char *why;
} pem_reader_t;

/* A whole line starting with '-' was read: BEGIN or END of a block. */
static int pem_marker(pem_reader_t *r)
{
    char *m = r->marker;

    m[r->marker_len] = '\0';
    while (r->marker_len && (m[r->marker_len - 1] == '\r' || m[r->marker_len - 1] == ' ')) {
        m[--r->marker_len] = '\0';
    }
    if (!r->in_block && strncmp(m, "-----BEGIN ", 11) == 0) {
        r->in_block = strcmp(m + 11, PEM_STRING_X509_CRL "-----") == 0 ? 1 : 2;
        r->block_line = r->line;
        if (r->in_block == 1) {
            EVP_DecodeInit(r->b64);
        }
        return 1;
    }
    if (r->in_block && strncmp(m, "-----END ", 9) == 0) {
        unsigned char out[80];
        int len = 0;
        if (r->in_block == 1
            && (EVP_DecodeFinal(r->b64, out, &len) < 0 || !sink_put(r->sink, out, len)
                || strcmp(m + 9, PEM_STRING_X509_CRL "-----") != 0
                || sink_end_crl(r->sink, &r->why) != APR_SUCCESS)) {
            r->why = r->why ? r->why : "a PEM CRL block does not decode";
            return 0;
        }
        r->blocks += r->in_block == 1;
        r->in_block = 0;
        return 1;
    }
    /* outside blocks any text may stand; inside, a '-' line is damage */
    if (r->in_block) {
        r->why = "a PEM block holds a line that is neither base64 nor its END";
        return 0;
    }
    return 1;
}

/* Feeds bytes [data, data + len), which hold no newline, of the current line. */
static int pem_segment(pem_reader_t *r, const unsigned char *data, apr_size_t len)
{
    if (len == 0) {
        return 1;
    }
    if (r->at_line_start) {
        r->marker_line = data[0] == '-';
        r->marker_len = 0;
        r->at_line_start = 0;
    }
    if (r->marker_line) {
        apr_size_t room = MARKER_MAX - r->marker_len;
        memcpy(r->marker + r->marker_len, data, len < room ? len : room);
        r->marker_len += len < room ? len : room;
        return 1;
    }
    if (r->in_block == 1) {
        unsigned char out[(READ_CHUNK / 4) * 3 + 80];
        int n = 0;
        if (EVP_DecodeUpdate(r->b64, out, &n, data, (int)len) < 0
            || !sink_put(r->sink, out, (apr_size_t)n)) {
            r->why = "a PEM CRL block does not decode";
            return 0;
        }
    }
    return 1;
}

static int pem_line_end(pem_reader_t *r)
{
    int ok = !r->marker_line || pem_marker(r);

    r->line++;
    r->at_line_start = 1;
    r->marker_line = 0;
    return ok;
}

static int pem_feed(pem_reader_t *r, const unsigned char *data, apr_size_t len)
{
    while (len > 0) {
        const unsigned char *nl = memchr(data, '\n', len);
        apr_size_t part = nl ? (apr_size_t)(nl - data) : len;
        if (!pem_segment(r, data, part) || (nl && !pem_line_end(r))) {
            return 0;
        }
        part += nl != NULL;
        data += part;
        len -= part;
    }
    return 1;
}

/*
 * Opens path for reading when it is a regular file (a link to one will
 * do, unless nofollow).  MAuthCARevocationPath and the cache directory are
 * written by the children's User, and the parent (root) reads them from
 * its monitor hook: a FIFO must not hold it, nor /dev/zero feed it for
 * ever, nor a device be opened at all (the stat before the open; the
 * fstat after it closes the race).  APR_EINVAL: not a regular file.
 */
static apr_status_t open_regular(apr_pool_t *p, const char *path, int nofollow,
                                 apr_file_t **file)
{
    struct stat st;
    int fd;

    if ((nofollow ? lstat(path, &st) : stat(path, &st)) != 0) {
        return errno;
    }
    if (!S_ISREG(st.st_mode)) {
        return APR_EINVAL;
    }
    fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));
    if (fd < 0) {
        return errno == ELOOP ? APR_EINVAL : errno;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return APR_EINVAL;
    }
    return apr_os_file_put(file, &fd, APR_FOPEN_READ | APR_FOPEN_BINARY, p);
}

/* Reads path through once, feeding its bytes to r (when not NULL) or, as
 * one DER CRL, to sink (when r is NULL; neither: only the digest); digest:
 * SHA-256 of the bytes. */
static apr_status_t stream_file(apr_pool_t *p, const char *path, pem_reader_t *r,
                                der_sink_t *sink, unsigned char digest[SHA256_DIGEST_LENGTH],
                                const char **why)
{
    apr_file_t *file;
    apr_finfo_t info;
    unsigned char *chunk = apr_palloc(p, READ_CHUNK);
    apr_size_t got;
    apr_status_t rv;
    EVP_MD_CTX *sha = EVP_MD_CTX_new();
    int ok = sha != NULL && EVP_DigestInit_ex(sha, mauth_sha256(), NULL);

    if (!ok) {
        EVP_MD_CTX_free(sha);
        *why = "out of memory";
        return APR_ENOMEM;
    }

    if ((rv = open_regular(p, path, 0, &file)) != APR_SUCCESS) {
        EVP_MD_CTX_free(sha);
        *why = rv == APR_EINVAL ? "is not a regular file" : CANNOT_READ;
        return rv;
    }
    /* a CRL's DER is under 4 GB (its index's offsets); a larger file, maybe
     * sparse, would only keep the reader (the parent) busy */
    if (apr_file_info_get(&info, APR_FINFO_SIZE, file) != APR_SUCCESS
        || info.size > MAX_CRL_FILE) {
        apr_file_close(file);
        EVP_MD_CTX_free(sha);
        *why = "is larger than 1 GB, or its size cannot be read";
        return APR_EINVAL;
    }
    do {
        got = READ_CHUNK;
        rv = apr_file_read(file, chunk, &got);
        if (rv != APR_SUCCESS && rv != APR_EOF) {
            *why = CANNOT_READ;
            break;
        }
        EVP_DigestUpdate(sha, chunk, got);
        ok = r ? pem_feed(r, chunk, got) : sink ? sink_put(sink, chunk, got) : 1;
    } while (ok && rv == APR_SUCCESS);
    apr_file_close(file);
    EVP_DigestFinal_ex(sha, digest, NULL);
    EVP_MD_CTX_free(sha);
    if (!ok) {
        *why = r && r->why ? r->why : "cannot write the cache file";
        return APR_EINVAL;
    }
    return rv == APR_EOF ? APR_SUCCESS : rv;
}

/* Decodes path's CRLs into sink: its PEM CRL blocks, or the whole file as
 * one DER CRL when it has no PEM block at all. */
static apr_status_t decode_file(apr_pool_t *p, const char *path, der_sink_t *sink,
                                unsigned char digest[SHA256_DIGEST_LENGTH], const char **why)
{
    pem_reader_t r = {.sink = sink, .b64 = EVP_ENCODE_CTX_new(), .at_line_start = 1};
    unsigned char again[SHA256_DIGEST_LENGTH];
    apr_status_t rv;

    if (r.b64 == NULL) {
        *why = "out of memory";
        return APR_ENOMEM;
    }
    rv = stream_file(p, path, &r, sink, digest, why);
    EVP_ENCODE_CTX_free(r.b64);
    if (rv == APR_SUCCESS && !pem_line_end(&r)) {
        *why = r.why;
        return APR_EINVAL;
    }
    if (rv == APR_SUCCESS && r.in_block) {
        *why = apr_psprintf(p, "the PEM block of line %u has no END line", r.block_line + 1);
        return APR_EINVAL;
    }
    if (rv != APR_SUCCESS || r.blocks > 0) {
        return rv;
    }
    sink->whole_file = 1;
    rv = stream_file(p, path, NULL, sink, again, why);
    if (rv == APR_SUCCESS && memcmp(again, digest, sizeof(again)) != 0) {
        *why = "it changed while it was read";
        return APR_EAGAIN;
    }
    if (rv == APR_SUCCESS && (rv = sink_end_crl(sink, why)) != APR_SUCCESS) {
        *why = NO_CRL;
    }
    return rv;
}

/* The file's DER, at most its size, goes into pages of its own, given back
 * to the system when p goes: a child's private copy of a large CRL leaves
 * nothing behind in the allocator. */
static apr_status_t read_into_memory(apr_pool_t *p, const char *path,
                                     apr_array_header_t *crls, const char **why)
{
    der_sink_t sink = {.p = p, .blobs = crls, .path = path};
    unsigned char digest[SHA256_DIGEST_LENGTH];
    apr_finfo_t info;

    if (apr_stat(&info, path, APR_FINFO_SIZE, p) != APR_SUCCESS) {
        *why = CANNOT_READ;
        return APR_ENOENT;
    }
    sink.mem_cap = info.size > 0 && info.size <= MAX_CRL_FILE ? (apr_size_t)info.size : 1;
    if ((sink.mem = mauth_pages_alloc(p, sink.mem_cap)) == NULL) {
        *why = "out of memory";
        return APR_ENOMEM;
    }
    return decode_file(p, path, &sink, digest, why);
}

/* ------------------------------------------------------------ cache file */

static int digest_matches(const unsigned char *der, apr_size_t len,
                          const unsigned char recorded[SHA256_DIGEST_LENGTH])
{
    unsigned char digest[SHA256_DIGEST_LENGTH];

    return EVP_Digest(der, len, digest, NULL, mauth_sha256(), NULL)
           && memcmp(digest, recorded, sizeof(digest)) == 0;
}

/* Maps an existing cache file and takes its CRLs, every index checked
 * against its DER.  APR_ENOENT when there is none. */
static apr_status_t map_cache_file(apr_pool_t *p, const char *cached, const char *path,
                                   const unsigned char source_digest[SHA256_DIGEST_LENGTH],
                                   int check_digests, apr_array_header_t *crls,
                                   const char **why)
{
    apr_file_t *file;
    apr_finfo_t info;
    apr_mmap_t *map;
    const unsigned char *base;
    const cache_trailer_t *trailer;
    const cached_crl_t *dir;
    apr_status_t rv;
    uint64_t i;

    /* a plain file, not a link, not a FIFO someone put in its place */
    if ((rv = open_regular(p, cached, 1, &file)) != APR_SUCCESS) {
        return APR_STATUS_IS_ENOENT(rv) ? APR_ENOENT : rv;
    }
    rv = apr_file_info_get(&info, APR_FINFO_SIZE | APR_FINFO_TYPE, file);
    if (rv == APR_SUCCESS
        && (info.filetype != APR_REG || (apr_size_t)info.size < sizeof(*trailer))) {
        rv = APR_EINVAL;
    }
    if (rv == APR_SUCCESS) {
        rv = apr_mmap_create(&map, file, 0, (apr_size_t)info.size, APR_MMAP_READ, p);
    }
    apr_file_close(file);
    if (rv != APR_SUCCESS) {
        *why = "its cache file cannot be mapped";
        return rv;
    }
    base = map->mm;
    trailer = (const cache_trailer_t *)(base + map->size - sizeof(*trailer));
    if (map->size % 8 || memcmp(trailer->magic, CACHE_MAGIC, 8) != 0
        || trailer->file_size != map->size
        || trailer->directory_off % 8 || trailer->count == 0
        || trailer->directory_off > map->size - sizeof(*trailer)
        || trailer->count > (map->size - sizeof(*trailer) - trailer->directory_off)
                            / sizeof(*dir)) {
        *why = "its cache file is damaged";
        return APR_EINVAL;
    }
    dir = (const cached_crl_t *)(base + trailer->directory_off);
    /* made from the content its name says, not another CRL (an older one of
     * the same issuer, validly signed) put under that name */
    if (memcmp(trailer->source_digest, source_digest, SHA256_DIGEST_LENGTH) != 0) {
        *why = "its cache file is damaged";
        return APR_EINVAL;
    }
    for (i = 0; i < trailer->count; i++) {
        mauth_crl_index_t index = {MAUTH_CRL_INDEX_GIVEN, NULL, (apr_size_t)dir[i].index_count,
                                   dir[i].der_digest};
        mauth_crl_t *crl;
        if (dir[i].der_off > map->size || dir[i].der_len > map->size - dir[i].der_off
            || dir[i].index_off % 4 || dir[i].index_off > map->size
            || dir[i].index_count > (map->size - dir[i].index_off) / 4) {
            *why = "its cache file is damaged";
            return APR_EINVAL;
        }
        index.at = (uint32_t *)(base + dir[i].index_off);
        /* the writer (the parent) does not take its own records on trust:
         * they make the trust id; the processes it starts inherit them */
        if (check_digests && !digest_matches(base + dir[i].der_off,
                                             (apr_size_t)dir[i].der_len, dir[i].der_digest)) {
            *why = "its cache file is damaged";
            return APR_EINVAL;
        }
        if ((rv = mauth_crl_parse_indexed(p, base + dir[i].der_off, (apr_size_t)dir[i].der_len,
                                          path, &index, &crl, why)) != APR_SUCCESS) {
            return rv;
        }
        crl->cache_file = cached;
        APR_ARRAY_PUSH(crls, mauth_crl_t *) = crl;
    }
    return APR_SUCCESS;
}

/* The DER is in the file: counts each CRL's entries, makes room for the
 * indexes, directory and trailer, and fills them in place. */
static apr_status_t write_indexes(apr_pool_t *p, der_sink_t *sink,
                                  const unsigned char source_digest[SHA256_DIGEST_LENGTH],
                                  const char **why)
{
    cached_crl_t *blobs = (cached_crl_t *)sink->blobs->elts;
    uint64_t at = (uint64_t)sink->written, directory_off;
    apr_size_t size;
    cache_trailer_t *trailer;
    apr_mmap_t *map;
    apr_status_t rv;
    int i, pass;

    for (pass = 0; pass < 2; pass++) {
        /* pass 0 counts in a read-only map of the DER; pass 1 fills */
        size = pass ? (apr_size_t)(directory_off + sink->blobs->nelts * sizeof(*blobs)
                                   + sizeof(*trailer))
                    : (apr_size_t)sink->written;
        if ((pass && (rv = apr_file_trunc(sink->file, (apr_off_t)size)) != APR_SUCCESS)
            || (rv = apr_mmap_create(&map, sink->file, 0, size,
                                     APR_MMAP_READ | (pass ? APR_MMAP_WRITE : 0), p))
               != APR_SUCCESS) {
            *why = "cannot write the cache file";
            return rv;
        }
        for (i = 0; i < sink->blobs->nelts; i++) {
            unsigned char *base = map->mm;
            mauth_crl_index_t index = {pass ? MAUTH_CRL_INDEX_INTO : MAUTH_CRL_INDEX_COUNT,
                                       pass ? (uint32_t *)(base + blobs[i].index_off) : NULL,
                                       (apr_size_t)blobs[i].index_count,
                                       pass ? blobs[i].der_digest : NULL};
            mauth_crl_t *crl;
            if ((rv = mauth_crl_parse_indexed(p, base + blobs[i].der_off,
                                              (apr_size_t)blobs[i].der_len, sink->path,
                                              &index, &crl, why)) != APR_SUCCESS) {
                apr_mmap_delete(map);
                return rv;
            }
            if (!pass) {
                memcpy(blobs[i].der_digest, crl->der_digest, sizeof(crl->der_digest));
                blobs[i].index_off = at;
                blobs[i].index_count = crl->revoked_count;
                at += crl->revoked_count * 4;
            }
        }
        directory_off = (at + 7) / 8 * 8;
        if (pass) {
            memcpy((unsigned char *)map->mm + directory_off, blobs,
                   sink->blobs->nelts * sizeof(*blobs));
            trailer = (cache_trailer_t *)((unsigned char *)map->mm + size - sizeof(*trailer));
            memcpy(trailer->magic, CACHE_MAGIC, 8);
            trailer->count = (uint64_t)sink->blobs->nelts;
            trailer->directory_off = directory_off;
            trailer->file_size = size;
            memcpy(trailer->source_digest, source_digest, SHA256_DIGEST_LENGTH);
        }
        apr_mmap_delete(map);
    }
    return APR_SUCCESS;
}

/* Removes the cache files of path other than keep (earlier contents). */
static void remove_stale(apr_pool_t *p, const char *dir, const char *prefix, const char *keep)
{
    apr_dir_t *handle;
    apr_finfo_t entry;
    apr_size_t len = strlen(prefix);

    if (apr_dir_open(&handle, dir, p) != APR_SUCCESS) {
        return;
    }
    while (apr_dir_read(&entry, APR_FINFO_NAME, handle) == APR_SUCCESS) {
        if (strncmp(entry.name, prefix, len) == 0 && strcmp(entry.name, keep) != 0) {
            apr_file_remove(apr_pstrcat(p, dir, "/", entry.name, NULL), p);
        }
    }
    apr_dir_close(handle);
}

/* Builds cached (dir/name) from path, whose content must still hash to
 * digest. */
static apr_status_t build_cache_file(apr_pool_t *p, const char *path, const char *dir,
                                     const char *name,
                                     const unsigned char digest[SHA256_DIGEST_LENGTH],
                                     const char **why)
{
    char *temp = apr_pstrcat(p, dir, "/.", name, ".XXXXXX", NULL);
    unsigned char read_digest[SHA256_DIGEST_LENGTH];
    apr_os_file_t fd;
    der_sink_t sink = {.p = p, .blobs = apr_array_make(p, 2, sizeof(cached_crl_t)),
                       .path = path};
    apr_status_t rv;

    /* not APR_FOPEN_BUFFERED: APR maps no buffered file (the writes are
     * of decoded chunks, large enough) */
    if ((rv = apr_file_mktemp(&sink.file, temp, APR_FOPEN_CREATE | APR_FOPEN_READ
                                                 | APR_FOPEN_WRITE | APR_FOPEN_EXCL
                                                 | APR_FOPEN_BINARY, p))
        != APR_SUCCESS) {
        *why = apr_psprintf(p, "cannot create a file in the CRL cache directory %s", dir);
        return rv;
    }
    /* readable by the children when the parent (root) made it: the
     * directory (0700, theirs) keeps everyone else out.  By descriptor:
     * the name is in a directory the children may write. */
    if (apr_os_file_get(&fd, sink.file) == APR_SUCCESS) {
        fchmod(fd, 0644);
    }
    rv = decode_file(p, path, &sink, read_digest, why);
    if (rv == APR_SUCCESS && memcmp(read_digest, digest, sizeof(read_digest)) != 0) {
        *why = "it changed while it was read";
        rv = APR_EAGAIN;
    }
    if (rv == APR_SUCCESS && (rv = write_indexes(p, &sink, digest, why)) != APR_SUCCESS
        && sink.whole_file) {
        *why = NO_CRL;
    }
    apr_file_close(sink.file);
    if (rv == APR_SUCCESS
        && apr_file_rename(temp, apr_pstrcat(p, dir, "/", name, NULL), p) != APR_SUCCESS) {
        *why = "cannot write the cache file";
        rv = APR_EGENERAL;
    }
    if (rv != APR_SUCCESS) {
        apr_file_remove(temp, p);
        return rv;
    }
    return APR_SUCCESS;
}

static const char *hex(apr_pool_t *p, const unsigned char *bytes, apr_size_t len)
{
    char *out = apr_palloc(p, len * 2 + 1);
    apr_size_t i;

    for (i = 0; i < len; i++) {
        apr_snprintf(out + i * 2, 3, "%02x", bytes[i]);
    }
    return out;
}

/* In use by the configuration being read: kept by mauth_crl_cache_prune.
 * Set to the clock, not left to the file system's coarser one, which may
 * stamp a file just written as older than the start of the load. */
static void mark_in_use(apr_pool_t *p, const char *cached)
{
    apr_file_mtime_set(cached, apr_time_now(), p);
}

static apr_status_t read_through_cache(apr_pool_t *p, const char *path, const char *dir,
                                       int may_build, apr_array_header_t *crls,
                                       apr_array_header_t *pending, const char **why)
{
    unsigned char content[SHA256_DIGEST_LENGTH], of_path[SHA256_DIGEST_LENGTH];
    const char *prefix, *name, *cached;
    apr_status_t rv;
    int first = crls->nelts;

    /* the content's digest names the file, and the file says it was made
     * from that content */
    if ((rv = stream_file(p, path, NULL, NULL, content, why)) != APR_SUCCESS) {
        return rv;
    }
    EVP_Digest(path, strlen(path), of_path, NULL, mauth_sha256(), NULL);
    prefix = apr_pstrcat(p, hex(p, of_path, 8), "-", NULL);
    name = apr_pstrcat(p, prefix, hex(p, content, sizeof(content)), CACHE_SUFFIX, NULL);
    cached = apr_pstrcat(p, dir, "/", name, NULL);
    if ((rv = map_cache_file(p, cached, path, content, may_build, crls, why)) == APR_SUCCESS) {
        if (may_build) {
            mark_in_use(p, cached);
        }
        return rv;
    }
    crls->nelts = first;
    if (!may_build) {
        /* the builder has not made it yet: a copy of this process's own
         * until it has (a damaged one is the builder's to make again, at
         * its next change: not waited for) */
        if (pending && rv == APR_ENOENT) {
            APR_ARRAY_PUSH(pending, const char *) = cached;
        }
        return read_into_memory(p, path, crls, why);
    }
    if (rv != APR_ENOENT) {
        apr_file_remove(cached, p);   /* damaged: made again */
    }
    if ((rv = build_cache_file(p, path, dir, name, content, why)) == APR_SUCCESS
        && (rv = map_cache_file(p, cached, path, content, 0, crls, why)) != APR_SUCCESS) {
        crls->nelts = first;
    }
    if (rv == APR_SUCCESS) {
        mark_in_use(p, cached);
    }
    return rv;
}

/* The message of a file that cannot be read, or of its content. */
static apr_status_t read_result(apr_pool_t *p, const char *path, apr_status_t rv,
                                const char *why, const char **err)
{
    if (rv != APR_SUCCESS) {
        /* as the roots' reader and mod_ssl say it */
        *err = why == NULL || why == CANNOT_READ ? apr_psprintf(p, "cannot read %s", path)
                                                 : apr_psprintf(p, "%s: %s", path, why);
    }
    return rv;
}

apr_status_t mauth_crl_read_file(apr_pool_t *p, const char *path, const char *cache_dir,
                                 apr_array_header_t *crls, const char **err)
{
    const char *why = NULL;
    apr_status_t rv = cache_dir ? read_through_cache(p, path, cache_dir, 1, crls, NULL, &why)
                                : read_into_memory(p, path, crls, &why);

    return read_result(p, path, rv, why, err);
}

apr_status_t mauth_crl_map_file(apr_pool_t *p, const char *path, const char *cache_dir,
                                apr_array_header_t *crls, apr_array_header_t *pending,
                                const char **err)
{
    const char *why = NULL;
    apr_status_t rv = read_through_cache(p, path, cache_dir, 0, crls, pending, &why);

    return read_result(p, path, rv, why, err);
}

void mauth_crl_cache_prune(apr_pool_t *p, const char *dir, apr_time_t before)
{
    apr_dir_t *handle;
    apr_finfo_t entry;
    apr_size_t suffix = strlen(CACHE_SUFFIX);

    if (apr_dir_open(&handle, dir, p) != APR_SUCCESS) {
        return;
    }
    while (apr_dir_read(&entry, APR_FINFO_NAME | APR_FINFO_MTIME | APR_FINFO_TYPE, handle)
           == APR_SUCCESS) {
        apr_size_t len = strlen(entry.name);
        /* a cache file, or one a build left behind (.NAME.crlx.XXXXXX) */
        int ours = (len > suffix && strcmp(entry.name + len - suffix, CACHE_SUFFIX) == 0)
                   || (entry.name[0] == '.' && strstr(entry.name, CACHE_SUFFIX ".") != NULL);
        if (ours && entry.filetype == APR_REG && entry.mtime < before) {
            apr_file_remove(apr_pstrcat(p, dir, "/", entry.name, NULL), p);
        }
    }
    apr_dir_close(handle);
}

void mauth_crl_cache_settle(apr_pool_t *p, const apr_array_header_t *crls)
{
    int i;

    for (i = 0; i < crls->nelts; i++) {
        const mauth_crl_t *crl = APR_ARRAY_IDX(crls, i, const mauth_crl_t *);
        const char *slash = crl->cache_file ? strrchr(crl->cache_file, '/') : NULL;
        const char *dash = slash ? strchr(slash, '-') : NULL;
        if (dash) {
            remove_stale(p, apr_pstrmemdup(p, crl->cache_file, (apr_size_t)(slash - crl->cache_file)),
                         apr_pstrmemdup(p, slash + 1, (apr_size_t)(dash + 1 - slash - 1)),
                         slash + 1);
        }
    }
}
