/* needs: arena.c buf.c rt.c str.c request.c */
/* test_request.c — request accessors: headers, query parameters, Content-Type checks, and
 * the percent-decoder they share with the router.
 */
#include <string.h>

#include "check.h"
#include "../src/http_internal.h"

static dooh_ctx ctx;

static void header_lookup_should_ignore_case(void) {
    dooh_header hs[] = {
        { DOOH_LIT("Host"), DOOH_LIT("a") },
        { DOOH_LIT("X-Thing"), DOOH_LIT("one") },
        { DOOH_LIT("x-thing"), DOOH_LIT("two") },
    };
    dooh_request req = { 0 };
    req.headers = hs;
    req.nheaders = 3;
    dooh_str v = dooh_req_header(&req, "x-THING");
    CHECK_EQ_MEM(v.ptr, v.len, "one");
    CHECK(dooh_req_header(&req, "missing").ptr == NULL);
    CHECK(dooh_req_header(&req, "Hos").ptr == NULL);
}

static bool q(const char *query, const char *name, dooh_str *out) {
    dooh_request req = { 0 };
    req.query = dooh_str_from_cstr(query);
    dooh_ctx_reset(&ctx);
    return dooh_req_query(&ctx, &req, dooh_str_from_cstr(name), out);
}

static void query_should_decode_the_first_match(void) {
    dooh_str v;
    CHECK(q("a=1&b=2&a=3", "a", &v));
    CHECK_EQ_MEM(v.ptr, v.len, "1");
    CHECK(q("a=1&b=2", "b", &v));
    CHECK_EQ_MEM(v.ptr, v.len, "2");
    CHECK(q("name=J%C3%BCrgen+M%20x", "name", &v));
    CHECK_EQ_MEM(v.ptr, v.len, "J\xc3\xbcrgen M x");
    CHECK(q("flag&x=1", "flag", &v));
    CHECK_EQ_INT(v.len, 0);
    CHECK(q("x=", "x", &v));
    CHECK_EQ_INT(v.len, 0);
    CHECK(q("my%20key=v", "my key", &v));
    CHECK_EQ_MEM(v.ptr, v.len, "v");
    CHECK(q("&&a=b=c&", "a", &v));
    CHECK_EQ_MEM(v.ptr, v.len, "b=c");
    CHECK(!q("", "a", &v));
    CHECK(!q("ab=1", "a", &v));
    CHECK(!q("a=%zz", "a", &v));
    CHECK(!q("a=%", "a", &v));
    CHECK(!q("a=%FF", "a", &v));
    /* A bad key elsewhere does not hide a good match. */
    CHECK(q("%zz=1&a=2", "a", &v));
    CHECK_EQ_MEM(v.ptr, v.len, "2");
}

static void is_json_should_accept_json_media_types(void) {
    const char *yes[] = { "application/json", "Application/JSON", "application/json; charset=utf-8",
                          "application/json ;charset=utf-8", "application/problem+json",
                          "application/vnd.api+json" };
    const char *no[] = { "text/json", "application/jsonx", "application/xml", "application/+json",
                         "application/json x", "json", "" };
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        dooh_header h = { DOOH_LIT("Content-Type"), dooh_str_from_cstr(yes[i]) };
        dooh_request req = { 0 };
        req.headers = &h;
        req.nheaders = 1;
        if (!dooh_req_is_json(&req)) fprintf(stderr, "rejected %s\n", yes[i]);
        CHECK(dooh_req_is_json(&req));
    }
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        dooh_header h = { DOOH_LIT("content-type"), dooh_str_from_cstr(no[i]) };
        dooh_request req = { 0 };
        req.headers = &h;
        req.nheaders = 1;
        if (dooh_req_is_json(&req)) fprintf(stderr, "accepted %s\n", no[i]);
        CHECK(!dooh_req_is_json(&req));
    }
    dooh_request none = { 0 };
    CHECK(!dooh_req_is_json(&none));
}

static void pct_decode_should_report_nul_and_slash(void) {
    char out[32];
    unsigned flags = 0;
    CHECK_EQ_INT(dooh_http_pct_decode("a%2Fb", 5, out, false, &flags), 3);
    CHECK_EQ_MEM(out, 3, "a/b");
    CHECK(flags == DOOH_PCT_SLASH);
    flags = 0;
    CHECK_EQ_INT(dooh_http_pct_decode("%00", 3, out, false, &flags), 1);
    CHECK(flags == DOOH_PCT_NUL);
    CHECK_EQ_INT(dooh_http_pct_decode("%0", 2, out, false, &flags), -1);
    CHECK_EQ_INT(dooh_http_pct_decode("%g0", 3, out, false, &flags), -1);
    CHECK_EQ_INT(dooh_http_pct_decode("a+b", 3, out, true, &flags), 3);
    CHECK_EQ_MEM(out, 3, "a b");
}

int main(void) {
    dooh_ctx_init(&ctx);
    RUN(header_lookup_should_ignore_case);
    RUN(query_should_decode_the_first_match);
    RUN(is_json_should_accept_json_media_types);
    RUN(pct_decode_should_report_nul_and_slash);
    dooh_ctx_free(&ctx);
    return check_report();
}
