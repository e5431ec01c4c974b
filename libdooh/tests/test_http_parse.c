/* needs: http_parse.c */
/* test_http_parse.c — the request-head parser and the chunked decoder.
 *
 * Every input is placed so that its last byte is the last byte before a PROT_NONE page: a
 * read past the end faults at once. Every case, valid or not, is also fed split at every
 * byte boundary and one byte at a time (through the incremental scan memo), and must give
 * exactly the answer of the whole input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "../src/http_internal.h"

/* ---- guard-page buffers ---- */

static char *guard_base;
static size_t guard_size; /* usable bytes before the guard page */

static void guard_init(void) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    guard_size = 40 * page;
    guard_base = mmap(NULL, guard_size + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (guard_base == MAP_FAILED || mprotect(guard_base + guard_size, page, PROT_NONE) != 0) {
        perror("guard page");
        exit(2);
    }
}

/* Copy s[0..n) so that it ends right at the guard page; returns the copy. */
static char *at_guard(const char *s, size_t n) {
    if (n > guard_size) {
        fprintf(stderr, "input too large for the guard buffer\n");
        exit(2);
    }
    char *p = guard_base + guard_size - n;
    memmove(p, s, n);
    return p;
}

/* ---- canonical description of a parse ---- */

static dooh_http_limits lim;
static dooh_header hdrs[200];

static void put_str(char *out, size_t cap, const char *label, dooh_str s) {
    size_t n = strlen(out);
    snprintf(out + n, cap - n, "%s=[%.*s] ", label, (int)s.len, s.ptr ? s.ptr : "");
}

/* Everything the parser reports, as one string, so two parses can be compared whole. */
static void describe(int r, int status, const dooh_http_head *h, char *out, size_t cap) {
    snprintf(out, cap, "r=%d ", r);
    if (r == -1) {
        size_t n = strlen(out);
        snprintf(out + n, cap - n, "status=%d error=%s", status, h->error ? h->error : "?");
        return;
    }
    if (r < 0) return;
    size_t n = strlen(out);
    snprintf(out + n, cap - n, "m=%d v=%d body=%d cl=%llu close=%d ka=%d exp=%d ", h->method,
             h->version_minor, h->body_kind, (unsigned long long)h->content_length, h->conn_close,
             h->conn_keep_alive, h->expect_continue);
    put_str(out, cap, "method", h->method_name);
    put_str(out, cap, "target", h->target);
    put_str(out, cap, "path", h->path);
    put_str(out, cap, "query", h->query);
    put_str(out, cap, "rid", h->request_id);
    for (int i = 0; i < h->nheaders; i++) {
        put_str(out, cap, "name", h->headers[i].name);
        put_str(out, cap, "value", h->headers[i].value);
    }
}

static int parse_whole(const char *s, size_t n, dooh_http_head *h, int *status) {
    h->headers = hdrs;
    *status = 0;
    return dooh_http_parse_head(at_guard(s, n), n, &lim, NULL, h, status);
}

static char whole_desc[65536], part_desc[65536];

/* Feed s in two pieces split at every boundary, and byte by byte; the first answer that is
 * not "partial" must equal the whole-input answer (and "partial" must only be returned when
 * the whole input is itself incomplete or the prefix is short). */
static void check_splits(const char *s, size_t n) {
    dooh_http_head h;
    int status;
    int r = parse_whole(s, n, &h, &status);
    describe(r, status, &h, whole_desc, sizeof whole_desc);

    for (size_t k = 0; k <= n; k++) {
        /* Long inputs (limit tests) sample the middle; short ones try every boundary. */
        if (n > 4096 && k > 64 && k + 64 < n && k % 61) continue;
        dooh_http_scan scan = { 0, 0 };
        h.headers = hdrs;
        status = 0;
        int r1 = dooh_http_parse_head(at_guard(s, k), k, &lim, &scan, &h, &status);
        if (r1 == -2) {
            status = 0;
            h.headers = hdrs;
            r1 = dooh_http_parse_head(at_guard(s, n), n, &lim, &scan, &h, &status);
        }
        describe(r1, status, &h, part_desc, sizeof part_desc);
        if (strcmp(whole_desc, part_desc) != 0) {
            fprintf(stderr, "split at %zu of %zu differs:\n  whole: %.300s\n  split: %.300s\n", k, n,
                    whole_desc, part_desc);
            check_failed_now = 1;
            return;
        }
    }
    dooh_http_scan scan = { 0, 0 };
    int rb = -2;
    for (size_t k = 0; k <= n && rb == -2; k++) {
        h.headers = hdrs;
        status = 0;
        rb = dooh_http_parse_head(at_guard(s, k), k, &lim, &scan, &h, &status);
    }
    describe(rb, status, &h, part_desc, sizeof part_desc);
    if (strcmp(whole_desc, part_desc) != 0) {
        fprintf(stderr, "byte-by-byte differs:\n  whole: %.300s\n  bytes: %.300s\n", whole_desc, part_desc);
        check_failed_now = 1;
    }
}

/* Parse a string literal whole, check splits too, and return the result code. */
static int P(const char *s, dooh_http_head *h, int *status) {
    size_t n = strlen(s);
    check_splits(s, n);
    return parse_whole(s, n, h, status);
}

/* Expect the request to be refused with `code`. */
#define REJECT(s, code) do { dooh_http_head _h; int _st = 0; int _r = P((s), &_h, &_st); \
    CHECK_EQ_INT(_r, -1); CHECK_EQ_INT(_st, (code)); } while (0)
/* Expect the request head to be accepted whole. */
#define ACCEPT(s) do { dooh_http_head _h; int _st = 0; int _r = P((s), &_h, &_st); \
    if (_r != (int)strlen(s)) fprintf(stderr, "  (%s)\n", _r == -1 ? _h.error : "partial"); \
    CHECK_EQ_INT(_r, (int)strlen(s)); } while (0)

/* ---- valid requests ---- */

static void parse_should_accept_simple_get(void) {
    dooh_http_head h;
    int st;
    const char *s = "GET /plaintext HTTP/1.1\r\nHost: localhost:8080\r\nAccept: */*\r\n\r\n";
    CHECK_EQ_INT(P(s, &h, &st), (int)strlen(s));
    CHECK_EQ_INT(h.method, DOOH_GET);
    CHECK_EQ_INT(h.version_minor, 1);
    CHECK_EQ_MEM(h.target.ptr, h.target.len, "/plaintext");
    CHECK_EQ_MEM(h.path.ptr, h.path.len, "/plaintext");
    CHECK_EQ_MEM(h.query.ptr, h.query.len, "");
    CHECK_EQ_INT(h.nheaders, 2);
    CHECK_EQ_MEM(h.headers[0].name.ptr, h.headers[0].name.len, "Host");
    CHECK_EQ_MEM(h.headers[0].value.ptr, h.headers[0].value.len, "localhost:8080");
    CHECK_EQ_MEM(h.headers[1].value.ptr, h.headers[1].value.len, "*/*");
    CHECK_EQ_INT(h.body_kind, DOOH_BODY_NONE);
    CHECK(!h.conn_close && !h.expect_continue && h.request_id.ptr == NULL);
}

static void parse_should_split_path_and_query(void) {
    dooh_http_head h;
    int st;
    CHECK(P("GET /tasks?done=eq.false&x=%20 HTTP/1.1\r\nHost: a\r\n\r\n", &h, &st) > 0);
    CHECK_EQ_MEM(h.path.ptr, h.path.len, "/tasks");
    CHECK_EQ_MEM(h.query.ptr, h.query.len, "done=eq.false&x=%20");
    CHECK(P("GET /?  HTTP/1.1\r\nHost: a\r\n\r\n", &h, &st) == -1); /* space in target */
    CHECK(P("GET /? HTTP/1.1\r\nHost: a\r\n\r\n", &h, &st) > 0);
    CHECK_EQ_MEM(h.path.ptr, h.path.len, "/");
    CHECK_EQ_MEM(h.query.ptr, h.query.len, "");
}

static void parse_should_trim_header_whitespace(void) {
    dooh_http_head h;
    int st;
    CHECK(P("GET / HTTP/1.1\r\nHost:a\r\nX-A: \t v a l \t \r\nX-B:\r\n\r\n", &h, &st) > 0);
    CHECK_EQ_INT(h.nheaders, 3);
    CHECK_EQ_MEM(h.headers[0].value.ptr, h.headers[0].value.len, "a");
    CHECK_EQ_MEM(h.headers[1].value.ptr, h.headers[1].value.len, "v a l");
    CHECK_EQ_MEM(h.headers[2].value.ptr, h.headers[2].value.len, "");
}

static void parse_should_accept_http10_without_host(void) {
    dooh_http_head h;
    int st;
    CHECK(P("GET / HTTP/1.0\r\n\r\n", &h, &st) > 0);
    CHECK_EQ_INT(h.version_minor, 0);
    CHECK(P("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &h, &st) > 0);
    CHECK(h.conn_keep_alive && !h.conn_close);
}

static void parse_should_read_connection_tokens(void) {
    dooh_http_head h;
    int st;
    CHECK(P("GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade, CLOSE\r\n\r\n", &h, &st) > 0);
    CHECK(h.conn_close);
    CHECK(P("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n", &h, &st) > 0);
    CHECK(h.conn_close && h.conn_keep_alive);
    CHECK(P("GET / HTTP/1.1\r\nHost: a\r\nConnection: , close,\r\n\r\n", &h, &st) > 0);
    CHECK(h.conn_close);
}

static void parse_should_report_body_framing(void) {
    dooh_http_head h;
    int st;
    const char *s = "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello";
    CHECK_EQ_INT(P(s, &h, &st), (int)strlen(s) - 5);
    CHECK_EQ_INT(h.body_kind, DOOH_BODY_LENGTH);
    CHECK_EQ_INT(h.content_length, 5);
    CHECK(P("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", &h, &st) > 0);
    CHECK_EQ_INT(h.body_kind, DOOH_BODY_NONE);
    CHECK(P("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\ncontent-length: 7\r\n\r\n", &h, &st) > 0);
    CHECK_EQ_INT(h.content_length, 7);
    CHECK(P("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n", &h, &st) > 0);
    CHECK_EQ_INT(h.body_kind, DOOH_BODY_CHUNKED);
    CHECK(P("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1048576\r\n\r\n", &h, &st) > 0);
}

static void parse_should_flag_expect_continue(void) {
    dooh_http_head h;
    int st;
    CHECK(P("POST /x HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n", &h, &st) > 0);
    CHECK(h.expect_continue);
    /* RFC 9110 §10.1.1: a 1.0 request's expectation is ignored. */
    CHECK(P("POST /x HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n", &h, &st) > 0);
    CHECK(!h.expect_continue);
}

static void parse_should_echo_only_valid_request_ids(void) {
    dooh_http_head h;
    int st;
    CHECK(P("GET / HTTP/1.1\r\nHost: a\r\nX-Request-Id: abc.DEF_1-2\r\n\r\n", &h, &st) > 0);
    CHECK_EQ_MEM(h.request_id.ptr, h.request_id.len, "abc.DEF_1-2");
    CHECK(P("GET / HTTP/1.1\r\nHost: a\r\nX-Request-Id: a b\r\n\r\n", &h, &st) > 0);
    CHECK(h.request_id.ptr == NULL);
    char buf[512];
    snprintf(buf, sizeof buf, "GET / HTTP/1.1\r\nHost: a\r\nX-Request-Id: %0129d\r\n\r\n", 0);
    CHECK(P(buf, &h, &st) > 0);
    CHECK(h.request_id.ptr == NULL);
    snprintf(buf, sizeof buf, "GET / HTTP/1.1\r\nHost: a\r\nX-Request-Id: %0128d\r\n\r\n", 0);
    CHECK(P(buf, &h, &st) > 0);
    CHECK_EQ_INT(h.request_id.len, 128);
}

static void parse_should_accept_methods_and_target_forms(void) {
    dooh_http_head h;
    int st;
    const char *ms[] = { "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS" };
    int ids[] = { DOOH_GET, DOOH_HEAD, DOOH_POST, DOOH_PUT, DOOH_PATCH, DOOH_DELETE, DOOH_OPTIONS };
    for (int i = 0; i < 7; i++) {
        char buf[128];
        snprintf(buf, sizeof buf, "%s / HTTP/1.1\r\nHost: a\r\n\r\n", ms[i]);
        CHECK(P(buf, &h, &st) > 0);
        CHECK_EQ_INT(h.method, ids[i]);
    }
    /* Unknown but well-formed methods parse (the server answers 501). */
    CHECK(P("get / HTTP/1.1\r\nHost: a\r\n\r\n", &h, &st) > 0);
    CHECK_EQ_INT(h.method, 0);
    CHECK(P("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", &h, &st) > 0);
    CHECK_EQ_MEM(h.path.ptr, h.path.len, "*");
    CHECK(P("GET http://example.com/a/b?c=d HTTP/1.1\r\nHost: example.com\r\n\r\n", &h, &st) > 0);
    CHECK_EQ_MEM(h.path.ptr, h.path.len, "/a/b");
    CHECK_EQ_MEM(h.query.ptr, h.query.len, "c=d");
    CHECK(P("GET HTTPS://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n", &h, &st) > 0);
    CHECK_EQ_MEM(h.path.ptr, h.path.len, "/");
}

static void parse_should_accept_host_forms(void) {
    ACCEPT("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n");
    ACCEPT("GET / HTTP/1.1\r\nHost: 127.0.0.1:65535\r\n\r\n");
    ACCEPT("GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n");
    ACCEPT("GET / HTTP/1.1\r\nHost: \r\n\r\n");
    ACCEPT("GET / HTTP/1.1\r\nHost: xn--bcher-kva.example\r\n\r\n");
}

static void parse_should_return_partial_until_the_empty_line(void) {
    dooh_http_head h;
    int st;
    h.headers = hdrs;
    const char *s = "GET / HTTP/1.1\r\nHost: a\r\n\r";
    CHECK_EQ_INT(dooh_http_parse_head(at_guard(s, strlen(s)), strlen(s), &lim, NULL, &h, &st), -2);
    CHECK_EQ_INT(dooh_http_parse_head(at_guard("", 0), 0, &lim, NULL, &h, &st), -2);
}

static void parse_should_stop_at_the_head_of_pipelined_requests(void) {
    dooh_http_head h;
    int st;
    const char *a = "GET /a HTTP/1.1\r\nHost: a\r\n\r\n";
    char buf[256];
    snprintf(buf, sizeof buf, "%sGET /b HTTP/1.1\r\nHost: a\r\n\r\n", a);
    CHECK_EQ_INT(P(buf, &h, &st), (int)strlen(a));
    CHECK_EQ_MEM(h.path.ptr, h.path.len, "/a");
}

/* ---- rejections ---- */

static void parse_should_reject_bad_line_endings(void) {
    REJECT("GET / HTTP/1.1\nHost: a\r\n\r\n", 400);
    REJECT("GET / HTTP/1.1\r\nHost: a\n\r\n", 400);
    REJECT("GET / HTTP/1.1\r\nHost: a\r\n\n", 400);
    REJECT("GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", 400);
    REJECT("GET / HTTP/1.1\r\nHost: a\r\n\r\r\n", 400);
    REJECT("GET / HTTP/1.1\r\r\nHost: a\r\n\r\n", 400);
    REJECT("\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

static void parse_should_reject_malformed_request_lines(void) {
    REJECT("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    REJECT(" GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    REJECT("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400);
    REJECT("GET /\r\nHost: a\r\n\r\n", 400);
    REJECT("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    REJECT("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    REJECT("GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    REJECT("GET /\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    REJECT("GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    REJECT("GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    REJECT("GET a/b HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    REJECT("GET ftp://x/ HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

static void parse_should_reject_bad_versions(void) {
    REJECT("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505);
    REJECT("GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505);
    REJECT("GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505);
    REJECT("GET / HTTP/1\r\nHost: a\r\n\r\n", 400);
    REJECT("GET / http/1.1\r\nHost: a\r\n\r\n", 400);
    REJECT("GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400);
    REJECT("GET / HTTX/1.1\r\nHost: a\r\n\r\n", 400);
}

static void parse_should_reject_malformed_header_fields(void) {
    REJECT("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400);
    REJECT("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", 400);
    REJECT("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n  folded\r\n\r\n", 400);
    REJECT("GET / HTTP/1.1\r\nHost: a\r\n\tX: a\r\n\r\n", 400);
    REJECT("GET / HTTP/1.1\r\nHost: a\r\n: a\r\n\r\n", 400);
    REJECT("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", 400);
    REJECT("GET / HTTP/1.1\r\nHost: a\r\nX(: a\r\n\r\n", 400);
    REJECT("GET / HTTP/1.1\r\nHost: a\r\nX\x01Y: a\r\n\r\n", 400);
    REJECT("GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n\r\n", 400);
    REJECT("GET / HTTP/1.1\r\nHost: a\r\nX: a\x1b[0m\r\n\r\n", 400);
    static const char nul[] = "GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n";
    dooh_http_head h;
    int st;
    check_splits(nul, sizeof nul - 1);
    CHECK_EQ_INT(parse_whole(nul, sizeof nul - 1, &h, &st), -1);
    CHECK_EQ_INT(st, 400);
}

static void parse_should_reject_bad_host(void) {
    REJECT("GET / HTTP/1.1\r\n\r\n", 400);
    REJECT("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400);
    REJECT("GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", 400);
    REJECT("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400);
    REJECT("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400);
    REJECT("GET / HTTP/1.1\r\nHost: a:123456\r\n\r\n", 400);
    REJECT("GET / HTTP/1.1\r\nHost: a:\r\n\r\n", 400);
    REJECT("GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n", 400);
    REJECT("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 400);
    REJECT("GET / HTTP/1.1\r\nHost: user@a\r\n\r\n", 400);
    REJECT("GET / HTTP/1.1\r\nHost: a%zz\r\n\r\n", 400);
    REJECT("GET / HTTP/1.1\r\nHost: :80\r\n\r\n", 400);
}

static void parse_should_reject_bad_content_length(void) {
    REJECT("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n", 400);
    REJECT("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400);
    REJECT("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5,5\r\n\r\n", 400);
    REJECT("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5 5\r\n\r\n", 400);
    REJECT("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n", 400);
    REJECT("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n", 400);
    REJECT("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400);
    REJECT("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400);
    REJECT("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400);
    REJECT("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n", 400);
}

static void parse_should_reject_bad_transfer_encoding(void) {
    REJECT("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 400);
    REJECT("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400);
    REJECT("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400);
    REJECT("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400);
    REJECT("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \r\n\r\n", 400);
    REJECT("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ,chunked\r\n\r\n", 400);
    REJECT("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;q=1\r\n\r\n", 400);
    REJECT("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400);
    REJECT("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501);
    REJECT("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: foo\r\nTransfer-Encoding: chunked\r\n\r\n", 501);
}

static void parse_should_reject_unknown_expectations(void) {
    REJECT("POST / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n", 417);
}

static void parse_should_refuse_large_bodies_before_reading_them(void) {
    REJECT("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1048577\r\n\r\n", 413);
    REJECT("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 99999999\r\n\r\n", 413);
}

/* Feed s[0..n) one byte at a time through the scan memo; returns the last answer. */
static int trickle(const char *s, size_t n, int *status) {
    dooh_http_scan scan = { 0, 0 };
    dooh_http_head h;
    int r = -2;
    for (size_t k = 1; k <= n && r == -2; k++) {
        h.headers = hdrs;
        r = dooh_http_parse_head(at_guard(s, k), k, &lim, &scan, &h, status);
    }
    return r;
}

/* Build "GET /aaa… HTTP/1.1" with a request line of exactly n bytes (without CRLF). */
static char *long_request_line(size_t n, const char *rest) {
    size_t fixed = strlen("GET / HTTP/1.1");
    char *s = malloc(n + strlen(rest) + 3);
    memcpy(s, "GET /", 5);
    memset(s + 5, 'a', n - fixed);
    memcpy(s + 5 + (n - fixed), " HTTP/1.1\r\n", 11);
    strcpy(s + n + 2, rest);
    return s;
}

static void parse_should_enforce_the_request_line_limit(void) {
    char *ok = long_request_line(8000, "Host: a\r\n\r\n");
    ACCEPT(ok);
    free(ok);
    char *edge = long_request_line(8192, "Host: a\r\n\r\n");
    dooh_http_head h;
    int st;
    CHECK(parse_whole(edge, strlen(edge), &h, &st) > 0);
    free(edge);
    char *over = long_request_line(8193, "Host: a\r\n\r\n");
    CHECK_EQ_INT(parse_whole(over, strlen(over), &h, &st), -1);
    CHECK_EQ_INT(st, 414);
    check_splits(over, strlen(over));
    /* Refused as soon as the line cannot fit, without waiting for its end. */
    CHECK_EQ_INT(parse_whole(over, 8194, &h, &st), -1);
    CHECK_EQ_INT(st, 414);
    CHECK_EQ_INT(parse_whole(over, 8193, &h, &st), -2);
    /* Trickled without any LF, the line is refused once it cannot fit any more. */
    CHECK_EQ_INT(trickle(over, 8194, &st), -1);
    CHECK_EQ_INT(st, 414);
    free(over);
}

static void parse_should_enforce_header_limits(void) {
    dooh_http_head h;
    int st;
    char *s = malloc(40000);
    /* One header line of exactly 8192 bytes is fine; 8193 is not. */
    strcpy(s, "GET / HTTP/1.1\r\nHost: a\r\nX: ");
    size_t n = strlen(s);
    memset(s + n, 'v', 8192 - 3);
    strcpy(s + n + 8192 - 3, "\r\n\r\n");
    CHECK(parse_whole(s, strlen(s), &h, &st) > 0);
    strcpy(s + n, "");
    memset(s + n, 'v', 8192 - 2);
    strcpy(s + n + 8192 - 2, "\r\n\r\n");
    CHECK_EQ_INT(parse_whole(s, strlen(s), &h, &st), -1);
    CHECK_EQ_INT(st, 431);
    check_splits(s, strlen(s));
    CHECK_EQ_INT(trickle(s, n + 8192, &st), -1);
    CHECK_EQ_INT(st, 431);

    /* All header lines together: 16 KiB. */
    strcpy(s, "GET / HTTP/1.1\r\nHost: a\r\n");
    for (int i = 0; i < 3; i++) {
        n = strlen(s);
        memcpy(s + n, "X: ", 3);
        memset(s + n + 3, 'v', 6000);
        strcpy(s + n + 6003, "\r\n");
    }
    strcat(s, "\r\n");
    CHECK_EQ_INT(parse_whole(s, strlen(s), &h, &st), -1);
    CHECK_EQ_INT(st, 431);
    check_splits(s, strlen(s));

    /* 100 header fields are fine, 101 are not. */
    strcpy(s, "GET / HTTP/1.1\r\nHost: a\r\n");
    for (int i = 1; i < 100; i++) strcat(s, "X: y\r\n");
    strcat(s, "\r\n");
    CHECK(parse_whole(s, strlen(s), &h, &st) > 0);
    CHECK_EQ_INT(h.nheaders, 100);
    s[strlen(s) - 2] = 0;
    strcat(s, "X: y\r\n\r\n");
    CHECK_EQ_INT(parse_whole(s, strlen(s), &h, &st), -1);
    CHECK_EQ_INT(st, 431);
    check_splits(s, strlen(s));
    /* Trickled, the 101st field is refused at its first byte, as a whole read would be
     * (a fuzz_http_parse find: the scan memo used to wait for a second byte). */
    size_t first = strlen(s) - strlen("X: y\r\n\r\n");
    CHECK_EQ_INT(trickle(s, first + 1, &st), -1);
    CHECK_EQ_INT(st, 431);
    free(s);
}

static void parse_should_honour_overridden_limits(void) {
    dooh_http_limits saved = lim;
    lim.request_line = 20;
    lim.headers = 2;
    REJECT("GET /123456789012345 HTTP/1.1\r\nHost: a\r\n\r\n", 414);
    ACCEPT("GET /1 HTTP/1.1\r\nHost: a\r\nX: 1\r\n\r\n");
    REJECT("GET /1 HTTP/1.1\r\nHost: a\r\nX: 1\r\nY: 2\r\n\r\n", 431);
    lim = saved;
    lim.body = 10;
    REJECT("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n", 413);
    ACCEPT("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n");
    lim = saved;
}

static void limits_should_read_the_environment(void) {
    dooh_http_limits l;
    dooh_http_limits_default(&l);
    CHECK_EQ_INT(l.request_line, 8192);
    CHECK_EQ_INT(l.body, 1 << 20);
    setenv("DOO_MAX_BODY", "123", 1);
    setenv("DOO_HEADER_TIMEOUT", "2", 1);
    CHECK(dooh_http_limits_from_env(&l) == NULL);
    CHECK_EQ_INT(l.body, 123);
    CHECK_EQ_INT(l.header_timeout, 2);
    setenv("DOO_MAX_HEADERS", "12x", 1);
    const char *bad = dooh_http_limits_from_env(&l);
    CHECK(bad && strcmp(bad, "DOO_MAX_HEADERS") == 0);
    setenv("DOO_MAX_HEADERS", "0", 1);
    bad = dooh_http_limits_from_env(&l);
    CHECK(bad && strcmp(bad, "DOO_MAX_HEADERS") == 0);
    unsetenv("DOO_MAX_HEADERS");
    unsetenv("DOO_MAX_BODY");
    unsetenv("DOO_HEADER_TIMEOUT");
    /* The chunk limits of reliability.md §1 are settable too. */
    CHECK_EQ_INT(l.chunk_ext, 4096);
    CHECK_EQ_INT(l.chunk_overhead, 100 * 1024);
    setenv("DOO_MAX_CHUNK_EXT", "16", 1);
    setenv("DOO_CHUNK_OVERHEAD_MIN", "2048", 1);
    CHECK(dooh_http_limits_from_env(&l) == NULL);
    CHECK_EQ_INT(l.chunk_ext, 16);
    CHECK_EQ_INT(l.chunk_overhead, 2048);
    setenv("DOO_CHUNK_OVERHEAD_MIN", "1023", 1);
    bad = dooh_http_limits_from_env(&l);
    CHECK(bad && strcmp(bad, "DOO_CHUNK_OVERHEAD_MIN") == 0);
    unsetenv("DOO_MAX_CHUNK_EXT");
    unsetenv("DOO_CHUNK_OVERHEAD_MIN");
}

/* ---- chunked bodies ---- */

typedef struct chunk_result {
    int r, status;
    size_t src;
    char body[4096];
    size_t body_len;
} chunk_result;

/* Decode s[0..n) fed in pieces of `step` bytes (0: whole), the buffer ending at the guard
 * page and growing at its front edge, as a connection's buffer would. */
static chunk_result decode(const char *s, size_t n, size_t step) {
    chunk_result res;
    memset(&res, 0, sizeof res);
    dooh_chunked c;
    memset(&c, 0, sizeof c);
    char *work = malloc(n + 1);
    memcpy(work, s, n);
    size_t have = step ? 0 : n;
    for (;;) {
        /* Present work[0..have) at the guard, then copy back what the decoder rewrote. */
        char *g = at_guard(work, have);
        res.status = 0;
        res.r = dooh_http_chunked_decode(&c, g, have, &lim, &res.status);
        memcpy(work, g, have);
        if (res.r != 0 || have == n) break;
        have = have + step > n ? n : have + step;
    }
    res.src = c.src;
    if (res.r == 1) {
        res.body_len = c.dst < sizeof res.body ? c.dst : sizeof res.body;
        memcpy(res.body, work, res.body_len);
    }
    free(work);
    return res;
}

/* Decode whole, byte by byte and at every two-piece split; all must agree. */
static chunk_result decode_all_ways(const char *s, size_t n) {
    chunk_result whole = decode(s, n, 0);
    for (size_t step = 1; step <= n; step++) {
        if (step > 3 && step < n - 3 && step % 7) continue; /* keep the run short */
        chunk_result part = decode(s, n, step);
        if (part.r != whole.r || part.status != whole.status || part.src != whole.src ||
            part.body_len != whole.body_len || memcmp(part.body, whole.body, whole.body_len) != 0) {
            fprintf(stderr, "chunked decode with step %zu differs (r %d/%d status %d/%d)\n", step,
                    part.r, whole.r, part.status, whole.status);
            check_failed_now = 1;
            break;
        }
    }
    return whole;
}

#define DECODES_TO(raw, expect) do { const char *_s = (raw); chunk_result _c = decode_all_ways(_s, strlen(_s)); \
    CHECK_EQ_INT(_c.r, 1); CHECK_EQ_INT(_c.src, strlen(_s)); CHECK_EQ_MEM(_c.body, _c.body_len, (expect)); } while (0)
#define CHUNK_REJECT(raw, code) do { const char *_s = (raw); chunk_result _c = decode_all_ways(_s, strlen(_s)); \
    CHECK_EQ_INT(_c.r, -1); CHECK_EQ_INT(_c.status, (code)); } while (0)

static void chunked_should_decode_valid_bodies(void) {
    DECODES_TO("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world");
    DECODES_TO("0\r\n\r\n", "");
    DECODES_TO("A\r\n0123456789\r\n0\r\n\r\n", "0123456789");
    DECODES_TO("a;name=val\r\n0123456789\r\n0;x\r\n\r\n", "0123456789");
    DECODES_TO("3 ;x=\"q\"\r\nabc\r\n0\r\n\r\n", "abc");
    DECODES_TO("0000000000000003\r\nabc\r\n0\r\n\r\n", "abc");
    DECODES_TO("3\r\nabc\r\n0\r\nTrailer: v\r\nX-T:\r\n\r\n", "abc");
    /* The decoder stops at the end of the body; what follows is the next request. */
    const char *s = "3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n";
    chunk_result c = decode(s, strlen(s), 0);
    CHECK_EQ_INT(c.r, 1);
    CHECK_EQ_INT(c.src, strlen("3\r\nabc\r\n0\r\n\r\n"));
}

static void chunked_should_wait_for_more(void) {
    chunk_result c = decode("5\r\nhel", 6, 0);
    CHECK_EQ_INT(c.r, 0);
    c = decode("0\r\n\r", 4, 0);
    CHECK_EQ_INT(c.r, 0);
}

static void chunked_should_reject_bad_framing(void) {
    CHUNK_REJECT("\r\n", 400);
    CHUNK_REJECT("x\r\n", 400);
    CHUNK_REJECT("-1\r\n", 400);
    CHUNK_REJECT("+1\r\na\r\n0\r\n\r\n", 400);
    CHUNK_REJECT("0x1\r\na\r\n0\r\n\r\n", 400);
    CHUNK_REJECT("00000000000000001\r\na\r\n0\r\n\r\n", 400);
    CHUNK_REJECT("1\na\r\n0\r\n\r\n", 400);
    CHUNK_REJECT("1\r\nab\r\n0\r\n\r\n", 400);
    CHUNK_REJECT("1\r\na\n0\r\n\r\n", 400);
    CHUNK_REJECT("1 x\r\na\r\n0\r\n\r\n", 400);
    CHUNK_REJECT("1;a\x01\r\na\r\n0\r\n\r\n", 400);
    CHUNK_REJECT("1\r\na\r\n0\r\nBad Name: v\r\n\r\n", 400);
    CHUNK_REJECT("1\r\na\r\n0\r\n folded\r\n\r\n", 400);
    CHUNK_REJECT("1\r\na\r\n0\r\nX: a\x01\r\n\r\n", 400);
    CHUNK_REJECT("1\r\na\r\n0\r\n\n", 400);
}

static void chunked_should_limit_extensions_size_and_overhead(void) {
    char *s = malloc(200000);
    strcpy(s, "1;");
    memset(s + 2, 'e', 4095);
    strcpy(s + 4097, "\r\na\r\n0\r\n\r\n");
    chunk_result c = decode(s, strlen(s), 0);
    CHECK_EQ_INT(c.r, 1);
    strcpy(s, "1;");
    memset(s + 2, 'e', 4096);
    strcpy(s + 4098, "\r\na\r\n0\r\n\r\n");
    c = decode(s, strlen(s), 0);
    CHECK_EQ_INT(c.r, -1);
    CHECK_EQ_INT(c.status, 400);

    /* Chunks declared over the body limit: refused on the size line, before any data. */
    CHUNK_REJECT("100001\r\n", 413);
    CHUNK_REJECT("FFFFFFFFFFFFFFFF\r\n", 413);
    dooh_http_limits saved = lim;
    lim.body = 8;
    CHUNK_REJECT("5\r\nhello\r\n4\r\nabcd\r\n0\r\n\r\n", 413);
    DECODES_TO("5\r\nhello\r\n3\r\nabc\r\n0\r\n\r\n", "helloabc");
    lim = saved;

    /* Tiny chunks: more than 100 KiB of framing making up over 80 % of the bytes. */
    size_t n = 0;
    while (n < 150000) {
        memcpy(s + n, "1\r\nx\r\n", 6);
        n += 6;
    }
    memcpy(s + n, "0\r\n\r\n", 6);
    c = decode(s, strlen(s), 0);
    CHECK_EQ_INT(c.r, -1);
    CHECK_EQ_INT(c.status, 400);
    free(s);
}

int main(void) {
    guard_init();
    dooh_http_limits_default(&lim);
    RUN(parse_should_accept_simple_get);
    RUN(parse_should_split_path_and_query);
    RUN(parse_should_trim_header_whitespace);
    RUN(parse_should_accept_http10_without_host);
    RUN(parse_should_read_connection_tokens);
    RUN(parse_should_report_body_framing);
    RUN(parse_should_flag_expect_continue);
    RUN(parse_should_echo_only_valid_request_ids);
    RUN(parse_should_accept_methods_and_target_forms);
    RUN(parse_should_accept_host_forms);
    RUN(parse_should_return_partial_until_the_empty_line);
    RUN(parse_should_stop_at_the_head_of_pipelined_requests);
    RUN(parse_should_reject_bad_line_endings);
    RUN(parse_should_reject_malformed_request_lines);
    RUN(parse_should_reject_bad_versions);
    RUN(parse_should_reject_malformed_header_fields);
    RUN(parse_should_reject_bad_host);
    RUN(parse_should_reject_bad_content_length);
    RUN(parse_should_reject_bad_transfer_encoding);
    RUN(parse_should_reject_unknown_expectations);
    RUN(parse_should_refuse_large_bodies_before_reading_them);
    RUN(parse_should_enforce_the_request_line_limit);
    RUN(parse_should_enforce_header_limits);
    RUN(parse_should_honour_overridden_limits);
    RUN(limits_should_read_the_environment);
    RUN(chunked_should_decode_valid_bodies);
    RUN(chunked_should_wait_for_more);
    RUN(chunked_should_reject_bad_framing);
    RUN(chunked_should_limit_extensions_size_and_overhead);
    return check_report();
}
