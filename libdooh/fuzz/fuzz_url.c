/* needs: arena.c buf.c rt.c str.c router.c request.c */
/* fuzz_url.c — libFuzzer target for URL decoding: the percent-decoder, query-parameter
 * lookup and the router's path matching (which percent-decodes path parameters).
 *
 * Input layout: one byte of flags, then a target "path?query". Checks: no crash or
 * over-read; a decoded string is never longer than its source; a matched route's
 * parameters hold no NUL, no '/' and only valid UTF-8 (reliability.md §2: %00, bad escapes
 * and encoded '/' inside a parameter are refused); query values are valid UTF-8.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/http_internal.h"

static void nop(dooh_ctx *ctx, dooh_request *req, dooh_response *res) {
    (void)ctx;
    (void)req;
    (void)res;
}

static const dooh_route routes[] = {
    { DOOH_GET, "/hello/:name", nop },
    { DOOH_GET, "/items/:id", nop },
    { DOOH_DELETE, "/items/:id", nop },
    { DOOH_GET, "/a/:x/b/:y", nop },
    { DOOH_GET, "/a/static/b/c", nop },
    { DOOH_POST, "/signup", nop },
    { DOOH_GET, "/", nop },
};

static dooh_router *router;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!router) {
        char err[256];
        router = dooh_router_build(routes, (int)(sizeof routes / sizeof routes[0]), err, sizeof err);
        if (!router) abort();
    }
    if (size < 1) return 0;
    uint8_t flags = data[0];
    size_t n = size - 1;
    char *s = malloc(n ? n : 1);
    char *out = malloc(n ? n : 1);
    if (!s || !out) abort();
    memcpy(s, data + 1, n);

    /* The raw decoder, both ways. */
    unsigned pf = 0;
    long k = dooh_http_pct_decode(s, n, out, (flags & 1) != 0, &pf);
    if (k > (long)n || k < -1) abort();
    (void)dooh_http_utf8_ok(out, k > 0 ? (size_t)k : 0);

    /* The head parser lets only visible ASCII but '#' into a target: the router's promises
     * are checked for such targets only (others still must not crash it). */
    bool target_ok = true;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x21 || s[i] > 0x7e || s[i] == '#') target_ok = false;
    dooh_ctx ctx;
    dooh_ctx_init(&ctx);
    dooh_request req;
    memset(&req, 0, sizeof req);
    const char *q = memchr(s, '?', n);
    req.path = (dooh_str){ s, (int64_t)(q ? (size_t)(q - s) : n) };
    req.query = q ? (dooh_str){ q + 1, (int64_t)(n - (size_t)(q - s) - 1) } : DOOH_LIT("");
    static const int methods[] = { DOOH_GET, DOOH_HEAD, DOOH_POST, DOOH_DELETE, DOOH_OPTIONS };
    req.method = methods[(flags >> 1) % 5];
    ctx.req = &req;

    /* Query lookup: a few fixed names and one taken from the query itself. */
    static const char *names[] = { "q", "limit", "a b", "" };
    for (int i = 0; i < 4; i++) {
        dooh_str v;
        if (dooh_req_query(&ctx, &req, dooh_str_from_cstr(names[i]), &v) && target_ok &&
            !dooh_http_utf8_ok(v.ptr, (size_t)v.len))
            abort();
    }

    if (req.path.len > 0 && req.path.ptr[0] == '/') {
        int allow = 0;
        int m = dooh_router_match(router, &ctx, &req, &allow);
        if (m == DOOH_ROUTE_FOUND && target_ok) {
            if (!req.route) abort();
            for (int i = 0; i < req.nparams; i++) {
                dooh_str p = req.params[i];
                if (memchr(p.ptr, 0, (size_t)p.len) || memchr(p.ptr, '/', (size_t)p.len) ||
                    !dooh_http_utf8_ok(p.ptr, (size_t)p.len))
                    abort();
            }
        }
    }
    dooh_ctx_free(&ctx);
    free(s);
    free(out);
    return 0;
}
