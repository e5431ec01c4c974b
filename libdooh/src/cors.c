/* cors.c — Cross-Origin Resource Sharing for `app.cors(…)` (http.md §6; contract in
 * http_internal.h).
 *
 * Input: the app's dooh_cors, the routed request, and for a preflight the path's methods
 * from the route table. Output: Access-Control-* headers added to the response.
 *
 * Rules. With no origin list any origin is allowed and answered with `*` (credentials are
 * never combined with `*`: the compiler refuses that configuration, and the runtime would
 * send `*` without the credentials header). With a list, an Origin is allowed only when it
 * equals a listed origin byte for byte; the header then carries the listed string (identical
 * bytes, so nothing the client sent is copied) and `Vary: Origin`. A disallowed or absent
 * Origin gets no Access-Control-* header at all. The only client text ever echoed is
 * Access-Control-Request-Headers, and only when every name in it is a valid token and the
 * list is short; otherwise the preflight simply omits Access-Control-Allow-Headers.
 */
#include "http_internal.h"

#include <string.h>

#include "dooh/auth.h"

#define MAX_ECHO_HEADERS 1024 /* bytes of Access-Control-Request-Headers echoed at most */
#define MAX_ECHO_NAMES 32

static const char expose[] =
    "Location, Content-Range, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, "
    "RateLimit-Policy, Retry-After, WWW-Authenticate, X-Request-Id";

/* The allowed origin to answer with for this request's Origin, or NULL. */
static const char *allowed_origin(const dooh_cors *cors, dooh_str origin, bool *any) {
    *any = cors->origins == NULL || cors->norigins <= 0;
    if (!origin.ptr) return NULL;
    if (*any) return "*";
    for (int i = 0; i < cors->norigins; i++)
        if (dooh_str_eq(origin, dooh_str_from_cstr(cors->origins[i]))) return cors->origins[i];
    return NULL;
}

/* RFC 9110 tchar. */
static bool is_tchar(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* True when s is a comma-separated list of tokens (optional spaces/tabs around each), at
 * most MAX_ECHO_NAMES names and MAX_ECHO_HEADERS bytes: safe to send back as it is. */
static bool token_list_ok(dooh_str s) {
    if (s.len <= 0 || s.len > MAX_ECHO_HEADERS) return false;
    int names = 0;
    int64_t i = 0;
    while (i < s.len) {
        while (i < s.len && (s.ptr[i] == ' ' || s.ptr[i] == '\t')) i++;
        int64_t start = i;
        while (i < s.len && is_tchar((unsigned char)s.ptr[i])) i++;
        if (i == start || ++names > MAX_ECHO_NAMES) return false;
        while (i < s.len && (s.ptr[i] == ' ' || s.ptr[i] == '\t')) i++;
        if (i < s.len && s.ptr[i++] != ',') return false;
        if (i == s.len && s.ptr[i - 1] == ',') return false;
    }
    return true;
}

static void origin_headers(dooh_response *res, const dooh_cors *cors, const char *allow, bool any) {
    dooh_res_header(res, "Access-Control-Allow-Origin", dooh_str_from_cstr(allow));
    if (!any) dooh_res_header(res, "Vary", DOOH_LIT("Origin"));
    if (cors->credentials && !any)
        dooh_res_header(res, "Access-Control-Allow-Credentials", DOOH_LIT("true"));
}

void dooh_cors_apply(dooh_ctx *ctx, const dooh_cors *cors, const dooh_request *req,
                     int preflight_allow, dooh_response *res) {
    bool any;
    const char *allow = allowed_origin(cors, dooh_req_header(req, "Origin"), &any);
    if (!allow) {
        /* The answer depends on Origin even when it carries nothing for this one. */
        if (!any) dooh_res_header(res, "Vary", DOOH_LIT("Origin"));
        return;
    }
    origin_headers(res, cors, allow, any);
    dooh_str method = dooh_req_header(req, "Access-Control-Request-Method");
    if (!preflight_allow || !method.ptr) {
        dooh_res_header(res, "Access-Control-Expose-Headers", DOOH_LIT(expose));
        return;
    }
    /* A preflight: the path's methods from the route table, never the requested one. */
    char *m = dooh_alloc(ctx, 64);
    dooh_res_header(res, "Access-Control-Allow-Methods",
                    (dooh_str){ m, (int64_t)dooh_router_allow_str(preflight_allow, m) });
    dooh_str hdrs = dooh_req_header(req, "Access-Control-Request-Headers");
    if (hdrs.ptr && token_list_ok(hdrs))
        dooh_res_header(res, "Access-Control-Allow-Headers", dooh_str_copy(ctx, hdrs.ptr, (size_t)hdrs.len));
    if (cors->max_age > 0)
        dooh_res_header(res, "Access-Control-Max-Age", dooh_i64_to_str(ctx, cors->max_age));
}
