/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mauth_http.c: a small HTTP/1.1 client over APR sockets (see mauth_http.h).
 * It must never hang a thread nor grow without bound on a server's word:
 * every socket wait is cut to what is left of one deadline, the head and
 * the body have caps, and the body buffer grows only as bytes arrive (a
 * Content-Length promising much reserves nothing).  Anything but 200 is a
 * failure; a redirect is never followed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_uri.h>

#include "mauth_http.h"

#define HEAD_MAX (16 * 1024)           /* status line and headers */
#define LINE_MAX_LEN 1024              /* a chunk-size or trailer line */

const char *mauth_http_url_parse(apr_pool_t *p, const char *url, mauth_http_url_t *out)
{
    apr_uri_t uri;

    /* no blank or control character: the path goes into a request line */
    if (url == NULL || url[strcspn(url, " \t\r\n\v\f\x7f")] != '\0'
        || apr_uri_parse(p, url, &uri) != APR_SUCCESS || uri.scheme == NULL
        || strcasecmp(uri.scheme, "http") != 0 || uri.hostname == NULL || !*uri.hostname
        || uri.user || uri.password) {
        return apr_psprintf(p, "'%s' is not an http:// URL", url ? url : "");
    }
    out->host = uri.hostname;
    out->port = uri.port ? uri.port : 80;
    out->path = uri.path && *uri.path ? uri.path : "/";
    if (uri.query) {
        out->path = apr_pstrcat(p, out->path, "?", uri.query, NULL);
    }
    return NULL;
}

/* ---------------------------------------------------------- the parser */

typedef enum {
    IN_HEAD, IN_BODY_LENGTH, IN_BODY_UNTIL_CLOSE, IN_CHUNK_SIZE, IN_CHUNK_DATA,
    IN_CHUNK_END, IN_TRAILERS, DONE
} parser_state_e;

struct mauth_http_parser {
    apr_pool_t *pool;
    apr_size_t max;
    parser_state_e state;
    char head[HEAD_MAX];
    apr_size_t head_len;
    char line[LINE_MAX_LEN];           /* the line being read (chunked) */
    apr_size_t line_len;
    apr_uint64_t remaining;            /* of the body or the chunk */
    unsigned char *body;
    apr_size_t body_len, body_cap;
};

mauth_http_parser_t *mauth_http_parser_create(apr_pool_t *p, apr_size_t max)
{
    mauth_http_parser_t *hp = apr_pcalloc(p, sizeof(*hp));

    hp->pool = p;
    hp->max = max;
    hp->state = IN_HEAD;
    return hp;
}

static apr_status_t too_large(mauth_http_parser_t *hp, const char **err)
{
    *err = apr_psprintf(hp->pool, "the answer is larger than %" APR_SIZE_T_FMT " bytes",
                        hp->max);
    return APR_ENOSPC;
}

/* Appends to the body, the buffer doubled as needed (never past max). */
static apr_status_t keep(mauth_http_parser_t *hp, const char *data, apr_size_t len,
                         const char **err)
{
    if (len > hp->max - hp->body_len) {
        return too_large(hp, err);
    }
    if (hp->body_len + len > hp->body_cap) {
        apr_size_t cap = hp->body_cap ? hp->body_cap : 16 * 1024;
        unsigned char *grown;
        while (cap < hp->body_len + len) {
            cap *= 2;
        }
        cap = cap > hp->max ? hp->max : cap;
        grown = apr_palloc(hp->pool, cap);
        if (hp->body_len) {
            memcpy(grown, hp->body, hp->body_len);
        }
        hp->body = grown;
        hp->body_cap = cap;
    }
    memcpy(hp->body + hp->body_len, data, len);
    hp->body_len += len;
    return APR_SUCCESS;
}

/* The value of header name in the head (the last one), or NULL. */
static const char *header(mauth_http_parser_t *hp, const char *head, const char *name)
{
    apr_size_t n = strlen(name);
    const char *at, *found = NULL;

    for (at = strchr(head, '\n'); at; at = strchr(at + 1, '\n')) {
        if (strncasecmp(at + 1, name, n) == 0 && at[1 + n] == ':') {
            found = at + 2 + n;
        }
    }
    if (found) {
        found += strspn(found, " \t");
        found = apr_pstrmemdup(hp->pool, found, strcspn(found, "\r\n"));
    }
    return found;
}

/* The head is whole (head_len bytes, the blank line included). */
static apr_status_t read_head(mauth_http_parser_t *hp, const char **err)
{
    char *head = apr_pstrmemdup(hp->pool, hp->head, hp->head_len);
    const char *length, *coding;
    char *end;

    if (strncmp(head, "HTTP/1.", 7) != 0 || strncmp(head + 8, " 200", 4) != 0
        || (head[12] != ' ' && head[12] != '\r')) {
        *err = apr_psprintf(hp->pool, "the server answered '%.60s'",
                            apr_pstrmemdup(hp->pool, head, strcspn(head, "\r\n")));
        return APR_EGENERAL;
    }
    coding = header(hp, head, "Transfer-Encoding");
    length = header(hp, head, "Content-Length");
    if (coding && strcasecmp(coding, "chunked") != 0) {
        *err = apr_psprintf(hp->pool, "the answer's Transfer-Encoding '%.40s' is not "
                            "supported", coding);
        return APR_ENOTIMPL;
    }
    if (coding) {
        hp->state = IN_CHUNK_SIZE;
        return APR_SUCCESS;
    }
    if (length == NULL) {
        hp->state = IN_BODY_UNTIL_CLOSE;
        return APR_SUCCESS;
    }
    errno = 0;
    hp->remaining = apr_strtoi64(length, &end, 10);
    if (!apr_isdigit(*length) || *end || errno == ERANGE) {
        *err = "the answer's Content-Length is not a number";
        return APR_EGENERAL;
    }
    if (hp->remaining > hp->max) {
        return too_large(hp, err);
    }
    hp->state = hp->remaining ? IN_BODY_LENGTH : DONE;
    return APR_SUCCESS;
}

/* Takes bytes of the head; *used says how many were its own. */
static apr_status_t feed_head(mauth_http_parser_t *hp, const char *data, apr_size_t len,
                              apr_size_t *used, const char **err)
{
    apr_size_t from = hp->head_len > 3 ? hp->head_len - 3 : 0, i;

    *used = len < HEAD_MAX - hp->head_len ? len : HEAD_MAX - hp->head_len;
    memcpy(hp->head + hp->head_len, data, *used);
    hp->head_len += *used;
    for (i = from; i + 4 <= hp->head_len; i++) {
        if (memcmp(hp->head + i, "\r\n\r\n", 4) == 0) {
            *used -= hp->head_len - (i + 4);
            hp->head_len = i + 4;
            return read_head(hp, err);
        }
    }
    if (hp->head_len == HEAD_MAX) {
        *err = "the answer's headers are too long";
        return APR_ENOSPC;
    }
    return APR_INCOMPLETE;
}

/* Takes bytes of a line of the chunked coding; 1 when the line is whole
 * (in hp->line, without its CRLF), 0 when more is needed, -1 too long. */
static int take_line(mauth_http_parser_t *hp, const char *data, apr_size_t len,
                     apr_size_t *used)
{
    const char *nl = memchr(data, '\n', len);
    apr_size_t n = nl ? (apr_size_t)(nl - data) + 1 : len;

    *used = n;
    if (hp->line_len + n >= LINE_MAX_LEN) {
        return -1;
    }
    memcpy(hp->line + hp->line_len, data, n);
    hp->line_len += n;
    if (!nl) {
        return 0;
    }
    hp->line_len -= hp->line_len > 1 && hp->line[hp->line_len - 2] == '\r' ? 2 : 1;
    hp->line[hp->line_len] = '\0';
    return 1;
}

/* A whole line of the chunked coding, in the state that expects it. */
static apr_status_t chunk_line(mauth_http_parser_t *hp, const char **err)
{
    char *end;

    if (hp->state == IN_CHUNK_END || hp->state == IN_TRAILERS) {
        if (hp->state == IN_CHUNK_END && hp->line_len) {
            *err = "the answer's chunked coding is malformed";
            return APR_EGENERAL;
        }
        hp->state = hp->state == IN_CHUNK_END ? IN_CHUNK_SIZE
                    : hp->line_len ? IN_TRAILERS : DONE;
        hp->line_len = 0;
        return APR_SUCCESS;
    }
    errno = 0;
    hp->remaining = (apr_uint64_t)apr_strtoi64(hp->line, &end, 16);
    hp->line_len = 0;
    if (!apr_isxdigit(hp->line[0]) || (*end && *end != ';' && *end != ' ')
        || errno == ERANGE) {
        *err = "the answer's chunked coding is malformed";
        return APR_EGENERAL;
    }
    if (hp->remaining > hp->max - hp->body_len) {
        return too_large(hp, err);
    }
    hp->state = hp->remaining ? IN_CHUNK_DATA : IN_TRAILERS;
    return APR_SUCCESS;
}

/* Takes body bytes in the current state; *used says how many. */
static apr_status_t feed_body(mauth_http_parser_t *hp, const char *data, apr_size_t len,
                              apr_size_t *used, const char **err)
{
    apr_status_t rv;
    int whole;

    if (hp->state == IN_BODY_UNTIL_CLOSE) {
        *used = len;
        return keep(hp, data, len, err);
    }
    if (hp->state == IN_BODY_LENGTH || hp->state == IN_CHUNK_DATA) {
        *used = hp->remaining < len ? (apr_size_t)hp->remaining : len;
        if ((rv = keep(hp, data, *used, err)) != APR_SUCCESS) {
            return rv;
        }
        hp->remaining -= *used;
        if (hp->remaining == 0) {
            hp->state = hp->state == IN_BODY_LENGTH ? DONE : IN_CHUNK_END;
        }
        return APR_SUCCESS;
    }
    if ((whole = take_line(hp, data, len, used)) < 0) {
        *err = "the answer's chunked coding has a line too long";
        return APR_ENOSPC;
    }
    return whole ? chunk_line(hp, err) : APR_SUCCESS;
}

apr_status_t mauth_http_parser_feed(mauth_http_parser_t *hp, const char *data, apr_size_t len,
                                    const char **err)
{
    apr_status_t rv;
    apr_size_t used;

    *err = NULL;
    while (len > 0 && hp->state != DONE) {
        rv = hp->state == IN_HEAD ? feed_head(hp, data, len, &used, err)
                                  : feed_body(hp, data, len, &used, err);
        if (rv != APR_SUCCESS && rv != APR_INCOMPLETE) {
            return rv;
        }
        data += used;
        len -= used;
    }
    return hp->state == DONE ? APR_SUCCESS : APR_INCOMPLETE;
}

apr_status_t mauth_http_parser_end(mauth_http_parser_t *hp, const char **err)
{
    *err = NULL;
    if (hp->state == DONE || hp->state == IN_BODY_UNTIL_CLOSE) {
        hp->state = DONE;
        return APR_SUCCESS;
    }
    *err = hp->state == IN_HEAD ? "the answer ends before its headers do"
                                : "the answer is cut short";
    return APR_EOF;
}

const unsigned char *mauth_http_parser_body(const mauth_http_parser_t *hp, apr_size_t *len)
{
    *len = hp->body_len;
    return hp->body ? hp->body : (const unsigned char *)"";
}

/* ---------------------------------------------------------- the client */

/* The time left before deadline as the socket's timeout; at least 1 ms. */
static apr_status_t until(apr_socket_t *sock, apr_time_t deadline)
{
    apr_interval_time_t left = deadline - apr_time_now();

    if (left <= 0) {
        return APR_TIMEUP;
    }
    return apr_socket_timeout_set(sock, left < 1000 ? 1000 : left);
}

static apr_status_t send_all(apr_socket_t *sock, const char *data, apr_size_t len,
                             apr_time_t deadline)
{
    apr_status_t rv;

    while (len > 0) {
        apr_size_t n = len;
        if ((rv = until(sock, deadline)) != APR_SUCCESS
            || (rv = apr_socket_send(sock, data, &n)) != APR_SUCCESS) {
            return rv;
        }
        data += n;
        len -= n;
    }
    return APR_SUCCESS;
}

static int is_timeout(apr_status_t rv)
{
    return APR_STATUS_IS_TIMEUP(rv) || APR_STATUS_IS_EAGAIN(rv);
}

/* Reads the answer into hp until it is whole, the deadline or a failure. */
static apr_status_t receive(apr_pool_t *p, apr_socket_t *sock, mauth_http_parser_t *hp,
                            apr_time_t deadline, apr_interval_time_t timeout,
                            const char **err)
{
    char buf[16 * 1024];
    apr_status_t rv;

    for (;;) {
        apr_size_t n = sizeof(buf);
        if ((rv = until(sock, deadline)) == APR_SUCCESS) {
            rv = apr_socket_recv(sock, buf, &n);
        }
        if (n > 0 && (rv == APR_SUCCESS || rv == APR_EOF)) {
            apr_status_t fed = mauth_http_parser_feed(hp, buf, n, err);
            if (fed != APR_INCOMPLETE) {
                return fed;
            }
        }
        if (rv == APR_EOF || (rv == APR_SUCCESS && n == 0)) {
            return mauth_http_parser_end(hp, err);
        }
        if (rv != APR_SUCCESS) {
            *err = is_timeout(rv)
                   ? apr_psprintf(p, "no whole answer within %" APR_TIME_T_FMT " s",
                                  apr_time_sec(timeout + APR_USEC_PER_SEC - 1))
                   : "reading the answer failed";
            return rv;
        }
    }
}

static const char *request_head(apr_pool_t *p, const mauth_http_url_t *u,
                                const char *content_type, const unsigned char *body,
                                apr_size_t len)
{
    const char *host = strchr(u->host, ':') ? apr_pstrcat(p, "[", u->host, "]", NULL)
                                            : u->host;
    const char *hostport = u->port == 80 ? host : apr_psprintf(p, "%s:%u", host, u->port);

    if (body == NULL) {
        return apr_psprintf(p, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n",
                            u->path, hostport);
    }
    return apr_psprintf(p, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\n"
                        "Content-Length: %" APR_SIZE_T_FMT "\r\nConnection: close\r\n\r\n",
                        u->path, hostport, content_type, len);
}

apr_status_t mauth_http_connect(apr_pool_t *p, apr_sockaddr_t *sa, apr_time_t deadline,
                                apr_socket_t **out)
{
    apr_status_t rv = APR_EINVAL;

    for (; sa; sa = sa->next) {
        apr_socket_t *sock;
        if ((rv = apr_socket_create(&sock, sa->family, SOCK_STREAM, APR_PROTO_TCP, p))
            != APR_SUCCESS) {
            continue;
        }
        if ((rv = until(sock, deadline)) == APR_SUCCESS
            && (rv = apr_socket_connect(sock, sa)) == APR_SUCCESS) {
            *out = sock;
            return rv;
        }
        apr_socket_close(sock);
        if (is_timeout(rv)) {
            break;
        }
    }
    return rv;
}

apr_status_t mauth_http_exchange(apr_pool_t *p, const char *url, const char *content_type,
                                 const unsigned char *body, apr_size_t len,
                                 apr_interval_time_t timeout, apr_size_t max,
                                 unsigned char **resp, apr_size_t *resp_len, const char **err)
{
    apr_time_t deadline = apr_time_now() + timeout;
    mauth_http_parser_t *hp = mauth_http_parser_create(p, max);
    mauth_http_url_t u;
    apr_sockaddr_t *sa;
    apr_socket_t *sock = NULL;
    const char *head;
    apr_status_t rv;

    if ((*err = mauth_http_url_parse(p, url, &u)) != NULL) {
        return APR_EINVAL;
    }
    if ((rv = apr_sockaddr_info_get(&sa, u.host, APR_UNSPEC, u.port, 0, p)) != APR_SUCCESS) {
        *err = apr_psprintf(p, "cannot resolve %s", u.host);
        return rv;
    }
    if ((rv = mauth_http_connect(p, sa, deadline, &sock)) != APR_SUCCESS) {
        *err = apr_psprintf(p, "cannot connect to %s:%u%s", u.host, u.port,
                            is_timeout(rv) ? " in time" : "");
        goto done;
    }
    head = request_head(p, &u, content_type, body, len);
    if ((rv = send_all(sock, head, strlen(head), deadline)) != APR_SUCCESS
        || (body && (rv = send_all(sock, (const char *)body, len, deadline)) != APR_SUCCESS)) {
        *err = apr_psprintf(p, "cannot send the request to %s:%u", u.host, u.port);
        goto done;
    }
    if ((rv = receive(p, sock, hp, deadline, timeout, err)) == APR_SUCCESS) {
        *resp = (unsigned char *)mauth_http_parser_body(hp, resp_len);
    }
done:
    if (sock) {
        apr_socket_close(sock);
    }
    if (rv != APR_SUCCESS && *err == NULL) {
        *err = "the exchange failed";
    }
    return rv;
}
