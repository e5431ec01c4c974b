/* request.c — what a handler may ask of a request (see dooh/http.h), and the
 * percent-decoding shared with the router.
 *
 * Input: a dooh_request whose slices point into the connection's read buffer. Output:
 * borrowed slices, or decoded copies in the request's arena. Nothing here allocates unless a
 * value actually needs decoding.
 */
#include "http_internal.h"

#include <string.h>

#include "rt_internal.h"

/* Value of a hex digit, or -1. */
static int hex_digit(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* Percent-decode s into out; the length or -1 on a bad escape (http_internal.h). */
long dooh_http_pct_decode(const char *s, size_t n, char *out, bool plus_space, unsigned *flags) {
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            if (n - i < 3) return -1;
            int hi = hex_digit((unsigned char)s[i + 1]), lo = hex_digit((unsigned char)s[i + 2]);
            if (hi < 0 || lo < 0) return -1;
            c = (unsigned char)(hi << 4 | lo);
            if (c == 0) *flags |= DOOH_PCT_NUL;
            if (c == '/') *flags |= DOOH_PCT_SLASH;
            i += 2;
        } else if (c == '+' && plus_space) {
            c = ' ';
        }
        out[o++] = (char)c;
    }
    return (long)o;
}

bool dooh_http_utf8_ok(const char *s, size_t n) {
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        uint32_t cp;
        int k = dooh__utf8_decode(p + i, n - i, &cp);
        if (!k) return false;
        i += (size_t)k;
    }
    return true;
}

/* ASCII case-insensitive equality of two byte ranges. */
static bool ieq(const char *a, size_t an, const char *b, size_t bn) {
    if (an != bn) return false;
    for (size_t i = 0; i < an; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (x >= 'A' && x <= 'Z') x |= 0x20;
        if (y >= 'A' && y <= 'Z') y |= 0x20;
        if (x != y) return false;
    }
    return true;
}

/* First header named `name` (any case), borrowed; .ptr NULL when absent (dooh/http.h). */
dooh_str dooh_req_header(const dooh_request *req, const char *name) {
    size_t n = strlen(name);
    for (int i = 0; i < req->nheaders; i++) {
        const dooh_header *h = &req->headers[i];
        if (ieq(h->name.ptr, (size_t)h->name.len, name, n)) return h->value;
    }
    return DOOH_NULL_STR;
}

/* Decode a query component (key or value) into the arena, or borrow it when it holds no
 * escape and no '+'. Returns false on a bad escape or invalid UTF-8 after decoding. */
static bool query_decode(dooh_ctx *ctx, const char *s, size_t n, dooh_str *out) {
    if (!memchr(s, '%', n) && !memchr(s, '+', n)) {
        if (!dooh_http_utf8_ok(s, n)) return false;
        *out = (dooh_str){ s, (int64_t)n };
        return true;
    }
    char *d = dooh_alloc(ctx, n ? n : 1);
    unsigned flags = 0;
    long k = dooh_http_pct_decode(s, n, d, true, &flags);
    if (k < 0 || !dooh_http_utf8_ok(d, (size_t)k)) return false;
    *out = (dooh_str){ d, k };
    return true;
}

/* First query parameter `name`, decoded; false when absent or badly encoded (dooh/http.h). */
bool dooh_req_query(dooh_ctx *ctx, const dooh_request *req, dooh_str name, dooh_str *out) {
    const char *q = req->query.ptr;
    size_t n = (size_t)req->query.len, i = 0;
    while (q && i < n) {
        size_t a = i;
        while (i < n && q[i] != '&') i++;
        size_t b = i++;
        if (a == b) continue;
        const char *eq = memchr(q + a, '=', b - a);
        size_t kend = eq ? (size_t)(eq - q) : b;
        dooh_str key;
        if (!query_decode(ctx, q + a, kend - a, &key)) continue;
        if (!dooh_str_eq(key, name)) continue;
        if (!eq) {
            *out = DOOH_LIT("");
            return true;
        }
        return query_decode(ctx, eq + 1, b - kend - 1, out);
    }
    return false;
}

/* Path parameter by its name in the route pattern (dooh/http.h). */
bool dooh_req_param(const dooh_request *req, dooh_str name, dooh_str *out) {
    if (!req->route) return false;
    const char *p = req->route->pattern;
    int idx = 0;
    while (*p) {
        if (*p == '/') {
            p++;
            continue;
        }
        const char *seg = p;
        while (*p && *p != '/') p++;
        if (*seg != ':') continue;
        size_t len = (size_t)(p - seg - 1);
        if (idx < req->nparams && (int64_t)len == name.len && memcmp(seg + 1, name.ptr, len) == 0) {
            *out = req->params[idx];
            return true;
        }
        idx++;
    }
    return false;
}

/* Content-Type is application/json or application/<x>+json (dooh/http.h). */
bool dooh_req_is_json(const dooh_request *req) {
    dooh_str ct = dooh_req_header(req, "content-type");
    if (!ct.ptr) return false;
    const char *s = ct.ptr;
    size_t n = (size_t)ct.len;
    /* The media type ends at ';' (parameters) or trailing whitespace. */
    size_t end = 0;
    while (end < n && s[end] != ';' && s[end] != ' ' && s[end] != '\t') end++;
    for (size_t i = end; i < n && s[i] != ';'; i++)
        if (s[i] != ' ' && s[i] != '\t') return false;
    if (end < 12 || !ieq(s, 12, "application/", 12)) return false;
    const char *sub = s + 12;
    size_t subn = end - 12;
    if (ieq(sub, subn, "json", 4)) return true;
    /* application/<x>+json, e.g. problem+json or vnd.api+json. */
    return subn > 5 && ieq(sub + subn - 5, 5, "+json", 5);
}
