/* needs: http_parse.c */
/* fuzz_http_parse.c — libFuzzer target for the request-head parser (dooh_http_parse_head).
 *
 * Besides "never crash, never read outside the input", it checks the parser's central
 * promise: the outcome for a byte sequence does not depend on how it was split across reads.
 * The input is parsed whole, then fed again as growing prefixes (split points taken from the
 * input itself) through the incremental scan memo; both must give the same answer. Every
 * prefix is copied into a buffer of exactly its size so that AddressSanitizer catches any
 * read past its end. The first byte picks the limits: the defaults, or tiny ones that reach
 * every 414/431/413 path with short inputs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/http_internal.h"

#define MAX_HDRS 128

/* Parse a heap copy of data[0..n) so that over-reads fault under ASan. */
static int parse_copy(const uint8_t *data, size_t n, const dooh_http_limits *lim,
                      dooh_http_scan *scan, dooh_http_head *h, int *status) {
    char *buf = malloc(n ? n : 1);
    if (!buf) abort();
    memcpy(buf, data, n);
    int r = dooh_http_parse_head(buf, n, lim, scan, h, status);
    /* Slices point into buf; keep only the facts compared below. */
    free(buf);
    return r;
}

/* The facts that must agree between a whole and a split parse. */
typedef struct facts {
    int r, status, method, version_minor, nheaders, body_kind;
    uint64_t content_length;
    bool conn_close, conn_keep_alive, expect_continue;
} facts;

static facts *facts_of(int r, int status, const dooh_http_head *h) {
    static facts f;
    memset(&f, 0, sizeof f);
    f.r = r;
    if (r == -1) f.status = status;
    if (r >= 0) {
        f.method = h->method;
        f.version_minor = h->version_minor;
        f.nheaders = h->nheaders;
        f.body_kind = h->body_kind;
        f.content_length = h->content_length;
        f.conn_close = h->conn_close;
        f.conn_keep_alive = h->conn_keep_alive;
        f.expect_continue = h->expect_continue;
    }
    return &f;
}

static bool facts_eq(const facts *a, const facts *b) {
    return a->r == b->r && a->status == b->status && a->method == b->method &&
           a->version_minor == b->version_minor && a->nheaders == b->nheaders &&
           a->body_kind == b->body_kind && a->content_length == b->content_length &&
           a->conn_close == b->conn_close && a->conn_keep_alive == b->conn_keep_alive &&
           a->expect_continue == b->expect_continue;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 3) return 0;
    dooh_http_limits lim;
    dooh_http_limits_default(&lim);
    if (data[0] & 1) {
        lim.request_line = 40;
        lim.header_line = 40;
        lim.headers_size = 120;
        lim.headers = 4;
        lim.body = 100;
    }
    size_t split_seed = (size_t)data[1] << 8 | data[2];
    data += 3;
    size -= 3;

    static dooh_header hdrs[MAX_HDRS];
    dooh_http_head h = { .headers = hdrs };
    int status = 0;
    int r = parse_copy(data, size, &lim, NULL, &h, &status);
    if (r != -1 && r != -2 && (r <= 0 || (size_t)r > size)) abort();
    if (r == -1 && status != 400 && status != 413 && status != 414 && status != 417 &&
        status != 431 && status != 501 && status != 505)
        abort();
    facts whole = *facts_of(r, status, &h);

    /* The same bytes arriving in pieces: stop at the first prefix that is not "partial",
     * exactly as the server does. */
    dooh_http_scan scan = { 0, 0 };
    size_t len = 0;
    int ri = -2, st = 0;
    size_t step = split_seed % 7 + 1;
    while (ri == -2 && len < size) {
        len += step;
        if (len > size) len = size;
        step = (step * 5 + split_seed) % 13 + 1;
        ri = parse_copy(data, len, &lim, &scan, &h, &st);
    }
    if (ri == -2 && len < size) abort();
    /* A prefix that is already complete (or already refused) decides the whole input. */
    if (!facts_eq(&whole, &facts_of(ri, st, &h)[0])) abort();
    return 0;
}
