/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * mauth_http.h: the core's one HTTP client (APR sockets, like mod_ssl's
 * OCSP code), for OCSP requests (POST) and CRL fetching (GET).  Plain
 * http:// only, one deadline for the whole exchange, a bounded body, no
 * redirect ever followed.  Where to connect is always the caller's choice
 * from configuration: nothing here reads a URL out of a certificate.
 */
#ifndef MAUTH_HTTP_H
#define MAUTH_HTTP_H

#include <apr_network_io.h>
#include <apr_pools.h>
#include <apr_time.h>

/* An http:// URL taken apart. */
typedef struct {
    const char *host;                  /* without IPv6 brackets */
    apr_port_t port;                   /* 80 when the URL names none */
    const char *path;                  /* path and query; "/" at least */
} mauth_http_url_t;

/* NULL when url is an http:// URL with a host (out filled), else why not. */
const char *mauth_http_url_parse(apr_pool_t *p, const char *url, mauth_http_url_t *out);

/* A response read as it arrives: status line and headers, then a body of
 * Content-Length bytes, in chunks, or up to the end of the connection. */
typedef struct mauth_http_parser mauth_http_parser_t;

/* A parser that takes only status 200 and a body of at most max bytes. */
mauth_http_parser_t *mauth_http_parser_create(apr_pool_t *p, apr_size_t max);
/* Feeds the next bytes.  APR_INCOMPLETE: more are needed; APR_SUCCESS: the
 * body is whole (bytes after it are ignored); else *err says why not. */
apr_status_t mauth_http_parser_feed(mauth_http_parser_t *hp, const char *data, apr_size_t len,
                                    const char **err);
/* The connection ended: APR_SUCCESS when the body is whole (a body without
 * length ends there), else APR_EOF and *err says what was cut short. */
apr_status_t mauth_http_parser_end(mauth_http_parser_t *hp, const char **err);
/* The body once whole (never NULL; len may be 0). */
const unsigned char *mauth_http_parser_body(const mauth_http_parser_t *hp, apr_size_t *len);

/* Connects to the first of a name's addresses (sa and its next ones) that
 * answers before the deadline: "localhost" is ::1 and 127.0.0.1, and a
 * server may listen on one only. */
apr_status_t mauth_http_connect(apr_pool_t *p, apr_sockaddr_t *sa, apr_time_t deadline,
                                apr_socket_t **out);

/*
 * One exchange with url: a POST of body as content_type when body is not
 * NULL, else a GET.  The body of a 200 answer, at most max bytes, into
 * *resp; the connection, the request and the whole answer within timeout.
 * On failure *err says why, in words fit for a log line.
 */
apr_status_t mauth_http_exchange(apr_pool_t *p, const char *url, const char *content_type,
                                 const unsigned char *body, apr_size_t len,
                                 apr_interval_time_t timeout, apr_size_t max,
                                 unsigned char **resp, apr_size_t *resp_len, const char **err);

#endif /* MAUTH_HTTP_H */
