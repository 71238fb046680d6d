/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * test_crl_attack.c: what a writer of MAuthCARevocationPath (the
 * children's User when fetching: a web application running as www-data, a
 * CGI) or a damaged CRL cache file can make the readers of those files
 * believe or do, and how the HTTP client takes a hostile server's numbers.
 * (The cache directory itself is written by httpd's parent alone: no
 * child can cut short a file the parent maps.)
 *
 *  - a cache file named for a CRL's content but holding another (an older
 *    CRL of the same issuer, validly signed) must not be taken for it;
 *  - a cache file whose index names one entry many times (sorted, every
 *    offset at an INTEGER of the list) must not hide the other entries;
 *  - a CRL file that is a link to a FIFO or to an endless device must not
 *    hold the reader (the parent's monitor hook, as root) for ever.
 */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "mauth_crl.h"
#include "mauth_http.h"
#include "testpki.h"
#include "unit.h"

/* The layout of a cache file's trailer and directory (mauth_crl_file.c). */
typedef struct {
    uint64_t der_off, der_len, index_off, index_count;
    unsigned char der_digest[32];
} cached_crl_t;

typedef struct {
    char magic[8];
    uint64_t count, directory_off, file_size;
    unsigned char source_digest[32];
} cache_trailer_t;

static const char *hex(apr_pool_t *p, const unsigned char *b, apr_size_t n)
{
    char *out = apr_palloc(p, n * 2 + 1);
    apr_size_t i;

    for (i = 0; i < n; i++) {
        apr_snprintf(out + 2 * i, 3, "%02x", b[i]);
    }
    return out;
}

/* The name the readers give the cache file of path's present content. */
static const char *cache_name(apr_pool_t *p, const char *cache, const char *path)
{
    unsigned char of_path[32], content[32];
    char *data;
    apr_size_t len;
    apr_file_t *f;
    apr_finfo_t info;

    EVP_Digest(path, strlen(path), of_path, NULL, EVP_sha256(), NULL);
    if (apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY, 0, p) != APR_SUCCESS
        || apr_file_info_get(&info, APR_FINFO_SIZE, f) != APR_SUCCESS) {
        return NULL;
    }
    len = (apr_size_t)info.size;
    data = apr_palloc(p, len + 1);
    apr_file_read_full(f, data, len, NULL);
    apr_file_close(f);
    EVP_Digest(data, len, content, NULL, EVP_sha256(), NULL);
    return apr_pstrcat(p, cache, "/", hex(p, of_path, 8), "-", hex(p, content, 32), ".crlx",
                       NULL);
}

static int copy_file(apr_pool_t *p, const char *from, const char *to)
{
    return apr_file_copy(from, to, APR_FPROT_FILE_SOURCE_PERMS, p) == APR_SUCCESS;
}

/* A www-data writer who sees a new CRL arrive (a fetch wrote it into
 * MAuthCARevocationPath, an operator copied it in) copies the cache file of
 * the CRL in use to the name of the new content before any reader built
 * it.  Every process then maps the old CRL under the new content's name:
 * the certificate the new CRL revokes is accepted, across graceful
 * restarts, for as long as that content stays. */
UNIT_TEST(cache_file_named_for_new_content_but_holding_the_old_crl_is_not_used)
{
    tp_id_t ca = tp_root(p, "Cache Swap CA");
    tp_id_t leaf = tp_leaf(p, "victim", &ca);
    X509 *revoked[] = {leaf.cert, NULL};
    X509_CRL *old = tp_crl(p, &(tp_crl_opts_t){.issuer = &ca, .this_update = TP_NOW - 7200,
                                               .number = 1});
    X509_CRL *newer = tp_crl(p, &(tp_crl_opts_t){.issuer = &ca, .this_update = TP_NOW - 3600,
                                                 .number = 2, .revoked = revoked});
    const char *dir = tp_tmpdir(p), *cache = tp_tmpdir(p), *err = NULL;
    const char *path = tp_write_crls(p, dir, "ca.crl", 0, old, NULL);
    const char *old_cache = cache_name(p, cache, path), *new_cache;
    apr_array_header_t *crls = apr_array_make(p, 1, sizeof(mauth_crl_t *));
    mauth_crl_t *crl;

    CHECK_MSG(mauth_crl_read_file(p, path, cache, crls, &err) == APR_SUCCESS, "%s", err);
    CHECK(!mauth_crl_lists(APR_ARRAY_IDX(crls, 0, mauth_crl_t *), leaf.cert));
    CHECK(apr_stat(&(apr_finfo_t){0}, old_cache, APR_FINFO_SIZE, p) == APR_SUCCESS);

    /* the new CRL arrives; the attacker is first to its cache name */
    path = tp_write_crls(p, dir, "ca.crl", 0, newer, NULL);
    new_cache = cache_name(p, cache, path);
    CHECK(copy_file(p, old_cache, new_cache));

    crls = apr_array_make(p, 1, sizeof(mauth_crl_t *));
    CHECK_MSG(mauth_crl_read_file(p, path, cache, crls, &err) == APR_SUCCESS, "%s", err);
    CHECK_INT(crls->nelts, 1);
    crl = APR_ARRAY_IDX(crls, 0, mauth_crl_t *);
    CHECK_MSG(crl->this_update == apr_time_from_sec(TP_NOW - 3600),
              "the reader took the CRL of thisUpdate %" APR_TIME_T_FMT " (the old one) for "
              "the new content", apr_time_sec(crl->this_update));
    CHECK_MSG(mauth_crl_lists(crl, leaf.cert),
              "the certificate the new CRL revokes is not listed");
}

/* A cache file whose index points every slot at the first entry's serial:
 * sorted (equal neighbours), each offset at an INTEGER inside the list, the
 * count right.  The other entries must still be found. */
UNIT_TEST(cache_index_naming_one_entry_many_times_is_not_trusted)
{
    tp_id_t ca = tp_root(p, "Cache Index CA");
    tp_id_t a = tp_leaf(p, "a", &ca), b = tp_leaf(p, "b", &ca), c = tp_leaf(p, "c", &ca);
    X509 *revoked[] = {a.cert, b.cert, c.cert, NULL};
    X509_CRL *x = tp_crl(p, &(tp_crl_opts_t){.issuer = &ca, .revoked = revoked});
    const char *dir = tp_tmpdir(p), *cache = tp_tmpdir(p), *err = NULL;
    const char *path = tp_write_crls(p, dir, "ca.crl", 1, x, NULL);
    const char *file = cache_name(p, cache, path);
    apr_array_header_t *crls = apr_array_make(p, 1, sizeof(mauth_crl_t *));
    cache_trailer_t trailer;
    cached_crl_t entry;
    uint32_t offsets[3];
    apr_file_t *f;
    apr_finfo_t info;
    apr_off_t at;
    mauth_crl_t *crl;

    CHECK_MSG(mauth_crl_read_file(p, path, cache, crls, &err) == APR_SUCCESS, "%s", err);
    CHECK(apr_file_open(&f, file, APR_FOPEN_READ | APR_FOPEN_WRITE, 0, p) == APR_SUCCESS);
    CHECK(apr_file_info_get(&info, APR_FINFO_SIZE, f) == APR_SUCCESS);
    at = info.size - (apr_off_t)sizeof(trailer);
    CHECK(apr_file_seek(f, APR_SET, &at) == APR_SUCCESS);
    CHECK(apr_file_read_full(f, &trailer, sizeof(trailer), NULL) == APR_SUCCESS);
    CHECK_INT(trailer.count, 1);
    at = (apr_off_t)trailer.directory_off;
    CHECK(apr_file_seek(f, APR_SET, &at) == APR_SUCCESS);
    CHECK(apr_file_read_full(f, &entry, sizeof(entry), NULL) == APR_SUCCESS);
    CHECK_INT(entry.index_count, 3);
    at = (apr_off_t)entry.index_off;
    CHECK(apr_file_seek(f, APR_SET, &at) == APR_SUCCESS);
    CHECK(apr_file_read_full(f, offsets, sizeof(offsets), NULL) == APR_SUCCESS);
    offsets[1] = offsets[2] = offsets[0];
    at = (apr_off_t)entry.index_off;
    CHECK(apr_file_seek(f, APR_SET, &at) == APR_SUCCESS);
    CHECK(apr_file_write_full(f, offsets, sizeof(offsets), NULL) == APR_SUCCESS);
    apr_file_close(f);

    crls = apr_array_make(p, 1, sizeof(mauth_crl_t *));
    CHECK_MSG(mauth_crl_read_file(p, path, cache, crls, &err) == APR_SUCCESS, "%s", err);
    crl = APR_ARRAY_IDX(crls, 0, mauth_crl_t *);
    CHECK_MSG(mauth_crl_lists(crl, a.cert) && mauth_crl_lists(crl, b.cert)
              && mauth_crl_lists(crl, c.cert),
              "a revoked serial is hidden by the crafted index (a %d, b %d, c %d)",
              mauth_crl_lists(crl, a.cert), mauth_crl_lists(crl, b.cert),
              mauth_crl_lists(crl, c.cert));
}

/* Reads path (through cache when given) in a child process that SIGALRM
 * kills after 5 s.  0: the read came back (with an error); -1: it hung;
 * 1: it succeeded. */
static int read_in_child(apr_pool_t *p, const char *path, const char *cache)
{
    int status;
    pid_t pid = fork();

    if (pid == 0) {
        apr_array_header_t *crls = apr_array_make(p, 1, sizeof(mauth_crl_t *));
        const char *err = NULL;
        alarm(5);
        _exit(mauth_crl_read_file(p, path, cache, crls, &err) == APR_SUCCESS);
    }
    if (pid < 0 || waitpid(pid, &status, 0) != pid) {
        return -2;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* MAuthCARevocationPath must be writable by the children's User when
 * fetching is on; the parent (root) reads it at its monitor tick.  A link
 * there to a FIFO or to /dev/zero (the directory listing takes links) must
 * be refused at once, not block or spin the reader. */
UNIT_TEST(crl_file_linked_to_a_fifo_or_an_endless_device_does_not_hold_the_reader)
{
    const char *dir = tp_tmpdir(p), *cache = tp_tmpdir(p);
    const char *fifo = apr_pstrcat(p, dir, "/.fifo", NULL);
    const char *to_fifo = apr_pstrcat(p, dir, "/fifo.crl", NULL);
    const char *to_zero = apr_pstrcat(p, dir, "/zero.crl", NULL);
    int mode;

    CHECK(mkfifo(fifo, 0666) == 0);
    CHECK(symlink(fifo, to_fifo) == 0);
    CHECK(symlink("/dev/zero", to_zero) == 0);
    for (mode = 0; mode < 2; mode++) {
        const char *c = mode ? cache : NULL;
        int got = read_in_child(p, to_fifo, c);
        CHECK_MSG(got == 0, "a link to a FIFO (cache %s): %s", c ? c : "none",
                  got == -1 ? "the reader waited on it (killed after 5 s)" : "not refused");
        got = read_in_child(p, to_zero, c);
        CHECK_MSG(got == 0, "a link to /dev/zero (cache %s): %s", c ? c : "none",
                  got == -1 ? "the reader read it for ever (killed after 5 s)"
                            : "not refused");
    }
}

/* Chunk sizes and lengths past 64 bits, negative or over the bound are
 * refused, not wrapped. */
UNIT_TEST(hostile_lengths_are_refused_not_wrapped)
{
    static const char *const answers[] = {
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000001\r\nx",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFF\r\nx",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\nx",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n7FFFFFFFFFFFFFFF\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551617\r\n\r\nx",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nx",
        "HTTP/1.1 200 OK\r\nContent-Length: 1025\r\n\r\nx",
        NULL};
    int i;

    for (i = 0; answers[i]; i++) {
        mauth_http_parser_t *hp = mauth_http_parser_create(p, 1024);
        const char *err = NULL;
        apr_status_t rv = mauth_http_parser_feed(hp, answers[i], strlen(answers[i]), &err);
        CHECK_MSG(rv != APR_SUCCESS && rv != APR_INCOMPLETE && err != NULL,
                  "answer %d was taken (%d)", i, rv);
    }
}

/* Endless trailer lines or chunk extensions cost no memory: each line is
 * bounded and dropped. */
UNIT_TEST(endless_trailers_and_long_lines_are_bounded)
{
    mauth_http_parser_t *hp = mauth_http_parser_create(p, 1024);
    const char *head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n";
    const char *err = NULL;
    char longline[2048];
    int i;

    CHECK_INT(mauth_http_parser_feed(hp, head, strlen(head), &err), APR_INCOMPLETE);
    for (i = 0; i < 100000; i++) {
        CHECK_INT(mauth_http_parser_feed(hp, "X-T: y\r\n", 8, &err), APR_INCOMPLETE);
    }
    memset(longline, 'a', sizeof(longline));
    CHECK(mauth_http_parser_feed(hp, longline, sizeof(longline), &err) == APR_ENOSPC);
}

/* A sparse file of 2 GB in the CRL directory is refused by its size, not
 * read through by the parent. */
UNIT_TEST(huge_sparse_crl_file_is_refused_without_being_read)
{
    const char *dir = tp_tmpdir(p), *err = NULL;
    const char *path = apr_pstrcat(p, dir, "/huge.crl", NULL);
    apr_array_header_t *crls = apr_array_make(p, 1, sizeof(mauth_crl_t *));
    apr_file_t *f;

    CHECK(apr_file_open(&f, path, APR_FOPEN_CREATE | APR_FOPEN_WRITE, APR_FPROT_OS_DEFAULT, p)
          == APR_SUCCESS);
    CHECK(apr_file_trunc(f, (apr_off_t)2 << 30) == APR_SUCCESS);
    apr_file_close(f);
    CHECK(mauth_crl_read_file(p, path, NULL, crls, &err) != APR_SUCCESS);
    CHECK_CONTAINS(err, "larger than 1 GB");
}

static const unit_test_t tests[] = {
    UNIT(cache_file_named_for_new_content_but_holding_the_old_crl_is_not_used),
    UNIT(cache_index_naming_one_entry_many_times_is_not_trusted),
    UNIT(crl_file_linked_to_a_fifo_or_an_endless_device_does_not_hold_the_reader),
    UNIT(huge_sparse_crl_file_is_refused_without_being_read),
    UNIT(hostile_lengths_are_refused_not_wrapped),
    UNIT(endless_trailers_and_long_lines_are_bounded),
};

UNIT_MAIN("crl_attack", tests)
