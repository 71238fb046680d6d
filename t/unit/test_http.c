/* Licensed under the Apache License, Version 2.0; see NOTICE. */

/*
 * test_http.c: the core's HTTP client (mauth_http.c): URLs taken apart,
 * answers read as they arrive (Content-Length, chunked, until the end),
 * bounds on size, answers cut short, and the client refusing what is not
 * http:// and reporting a port nobody listens on.
 */
#include <apr_strings.h>

#include "mauth_http.h"
#include "unit.h"

/* Feeds text n bytes at a time (every split of the stream must read alike);
 * ends the connection when end is set.  The result of the last call. */
static apr_status_t feed_in_pieces(mauth_http_parser_t *hp, const char *text, apr_size_t n,
                                   int end, const char **err)
{
    apr_size_t len = strlen(text), at = 0;
    apr_status_t rv = APR_INCOMPLETE;

    while (at < len && rv == APR_INCOMPLETE) {
        apr_size_t take = len - at < n ? len - at : n;
        rv = mauth_http_parser_feed(hp, text + at, take, err);
        at += take;
    }
    if (rv == APR_INCOMPLETE && end) {
        rv = mauth_http_parser_end(hp, err);
    }
    return rv;
}

static const char *body_text(apr_pool_t *p, mauth_http_parser_t *hp)
{
    apr_size_t len;
    const unsigned char *body = mauth_http_parser_body(hp, &len);

    return apr_pstrmemdup(p, (const char *)body, len);
}

UNIT_TEST(urls_are_taken_apart_and_only_http_is_accepted)
{
    mauth_http_url_t u;

    CHECK(mauth_http_url_parse(p, "http://crl.example/ca/int1.crl?x=1", &u) == NULL);
    CHECK_STR(u.host, "crl.example");
    CHECK_INT(u.port, 80);
    CHECK_STR(u.path, "/ca/int1.crl?x=1");
    CHECK(mauth_http_url_parse(p, "HTTP://127.0.0.1:8080", &u) == NULL);
    CHECK_INT(u.port, 8080);
    CHECK_STR(u.path, "/");
    CHECK(mauth_http_url_parse(p, "http://[::1]:81/a", &u) == NULL);
    CHECK_STR(u.host, "::1");
    CHECK_CONTAINS(mauth_http_url_parse(p, "https://crl.example/", &u), "not an http:// URL");
    CHECK(mauth_http_url_parse(p, "ldap://crl.example/cn=x", &u) != NULL);
    CHECK(mauth_http_url_parse(p, "file:///etc/passwd", &u) != NULL);
    CHECK(mauth_http_url_parse(p, "http:///nohost", &u) != NULL);
    CHECK(mauth_http_url_parse(p, "http://user:pw@crl.example/", &u) != NULL);
    CHECK(mauth_http_url_parse(p, "crl.example/int1.crl", &u) != NULL);
    /* nothing that would split or bend the request line */
    CHECK(mauth_http_url_parse(p, "http://crl.example/a\r\nX-Injected: 1", &u) != NULL);
    CHECK(mauth_http_url_parse(p, "http://crl.example/a b", &u) != NULL);
    CHECK(mauth_http_url_parse(p, "http://crl.example/a\tb", &u) != NULL);
}

/* answer read in pieces of every size gives want as the body. */
static void check_reads_alike(apr_pool_t *p, const char *answer, const char *want)
{
    apr_size_t n;

    for (n = 1; n <= strlen(answer); n++) {
        mauth_http_parser_t *hp = mauth_http_parser_create(p, 100);
        const char *err = NULL;
        CHECK_MSG(feed_in_pieces(hp, answer, n, 0, &err) == APR_SUCCESS, "pieces of %d: %s",
                  (int)n, err ? err : "incomplete");
        CHECK_STR(body_text(p, hp), want);
    }
}

UNIT_TEST(a_content_length_body_reads_alike_in_any_pieces)
{
    check_reads_alike(p, "HTTP/1.1 200 OK\r\nContent-Type: application/pkix-crl\r\n"
                      "content-length: 5\r\n\r\nhelloTRAILING", "hello");
}

UNIT_TEST(a_chunked_body_is_decoded_with_extensions_and_trailers)
{
    check_reads_alike(p, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "5;name=value\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n"
                      "0\r\nX-Trailer: 1\r\n\r\n", "hello 0123456789");
}

UNIT_TEST(a_body_without_length_ends_with_the_connection)
{
    mauth_http_parser_t *hp = mauth_http_parser_create(p, 100);
    const char *err = NULL;

    CHECK_INT(feed_in_pieces(hp, "HTTP/1.0 200 OK\r\n\r\nall of it", 3, 1, &err), APR_SUCCESS);
    CHECK_STR(body_text(p, hp), "all of it");
}

/* An answer the parser must refuse: fed in pieces of 3 bytes, the
 * connection ended after it when end is set. */
typedef struct {
    const char *answer;
    apr_size_t max;
    int end;
    const char *why;                   /* in the error */
} refused_t;

static void check_refused(apr_pool_t *p, const refused_t *cases, apr_size_t n)
{
    apr_size_t i;

    for (i = 0; i < n; i++) {
        const char *err = NULL;
        apr_status_t rv = feed_in_pieces(mauth_http_parser_create(p, cases[i].max),
                                         cases[i].answer, 3, cases[i].end, &err);
        CHECK_MSG(rv != APR_SUCCESS && rv != APR_INCOMPLETE, "case %d is not refused", (int)i);
        CHECK_MSG(err && strstr(err, cases[i].why), "case %d: '%s' lacks '%s'", (int)i,
                  err ? err : "(null)", cases[i].why);
    }
}

UNIT_TEST(an_answer_cut_short_is_refused)
{
    static const refused_t cases[] = {
        {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", 100, 1, "cut short"},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", 100, 1,
         "cut short"},
        {"HTTP/1.1 200 OK\r\nConte", 100, 1, "before its headers"},
    };

    check_refused(p, cases, sizeof(cases) / sizeof(cases[0]));
}

UNIT_TEST(an_answer_over_the_bound_is_refused_however_it_is_sent)
{
    static const refused_t cases[] = {
        /* announced: refused before any byte of the body */
        {"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", 8, 0, "larger than 8 bytes"},
        {"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", 8, 0,
         "Content-Length"},
        /* chunked, each chunk small */
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
         "5\r\nhello\r\n5\r\nhello\r\n0\r\n\r\n", 8, 0, "larger than 8 bytes"},
        /* until the end of the connection */
        {"HTTP/1.1 200 OK\r\n\r\n0123456789", 8, 1, "larger than 8 bytes"},
    };
    const char *err = NULL;

    check_refused(p, cases, sizeof(cases) / sizeof(cases[0]));
    /* exactly the bound passes */
    CHECK_INT(feed_in_pieces(mauth_http_parser_create(p, 8),
                             "HTTP/1.1 200 OK\r\n\r\n01234567", 3, 1, &err), APR_SUCCESS);
}

UNIT_TEST(a_status_other_than_200_or_a_strange_coding_is_refused)
{
    static const refused_t cases[] = {
        {"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", 100, 0,
         "answered 'HTTP/1.1 404 Not Found'"},
        /* a redirect is not followed */
        {"HTTP/1.1 302 Found\r\nLocation: http://elsewhere/\r\n\r\n", 100, 0, "302"},
        {"HTTP/1.1 2000 OK\r\n\r\n", 100, 1, "answered"},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 100, 0,
         "not supported"},
        {"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 100, 0, "not a number"},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 100, 0,
         "malformed"},
    };

    check_refused(p, cases, sizeof(cases) / sizeof(cases[0]));
}

UNIT_TEST(the_client_refuses_other_schemes_and_reports_a_closed_port)
{
    unsigned char *resp;
    apr_size_t len;
    const char *err = NULL;

    CHECK(mauth_http_exchange(p, "https://127.0.0.1/", NULL, NULL, 0, apr_time_from_sec(1),
                              1024, &resp, &len, &err) != APR_SUCCESS);
    CHECK_CONTAINS(err, "not an http:// URL");
    CHECK(mauth_http_exchange(p, "file:///etc/passwd", "x/y", (const unsigned char *)"x", 1,
                              apr_time_from_sec(1), 1024, &resp, &len, &err) != APR_SUCCESS);
    /* port 1 on loopback: nothing listens */
    CHECK(mauth_http_exchange(p, "http://127.0.0.1:1/", NULL, NULL, 0, apr_time_from_sec(1),
                              1024, &resp, &len, &err) != APR_SUCCESS);
    CHECK_CONTAINS(err, "cannot connect to 127.0.0.1:1");
}

/* A name with several addresses: the one nobody listens on is passed over
 * for the next, within the deadline. */
UNIT_TEST(every_address_of_a_name_is_tried_in_turn)
{
    apr_socket_t *server, *client = NULL;
    apr_sockaddr_t *bound, *closed, *open;
    apr_port_t port;

    CHECK(apr_sockaddr_info_get(&bound, "127.0.0.1", APR_INET, 0, 0, p) == APR_SUCCESS);
    CHECK(apr_socket_create(&server, APR_INET, SOCK_STREAM, APR_PROTO_TCP, p) == APR_SUCCESS);
    CHECK(apr_socket_bind(server, bound) == APR_SUCCESS);
    CHECK(apr_socket_listen(server, 1) == APR_SUCCESS);
    CHECK(apr_socket_addr_get(&bound, APR_LOCAL, server) == APR_SUCCESS);
    port = bound->port;
    CHECK(apr_sockaddr_info_get(&closed, "127.0.0.1", APR_INET, 1, 0, p) == APR_SUCCESS);
    CHECK(apr_sockaddr_info_get(&open, "127.0.0.1", APR_INET, port, 0, p) == APR_SUCCESS);
    closed->next = open;
    CHECK(mauth_http_connect(p, closed, apr_time_now() + apr_time_from_sec(2), &client)
          == APR_SUCCESS);
    CHECK(client != NULL);
    closed->next = NULL;
    CHECK(mauth_http_connect(p, closed, apr_time_now() + apr_time_from_sec(2), &client)
          != APR_SUCCESS);
    apr_socket_close(server);
}

static const unit_test_t tests[] = {
    UNIT(every_address_of_a_name_is_tried_in_turn),
    UNIT(urls_are_taken_apart_and_only_http_is_accepted),
    UNIT(a_content_length_body_reads_alike_in_any_pieces),
    UNIT(a_chunked_body_is_decoded_with_extensions_and_trailers),
    UNIT(a_body_without_length_ends_with_the_connection),
    UNIT(an_answer_cut_short_is_refused),
    UNIT(an_answer_over_the_bound_is_refused_however_it_is_sent),
    UNIT(a_status_other_than_200_or_a_strange_coding_is_refused),
    UNIT(the_client_refuses_other_schemes_and_reports_a_closed_port),
};

UNIT_MAIN("http", tests)
