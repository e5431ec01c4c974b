/* needs: arena.c buf.c rt.c str.c router.c request.c */
/* test_router.c — route compilation and matching: precedence, 404/405/OPTIONS, HEAD, and
 * percent-decoding of path parameters.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "../src/http_internal.h"

/* Handlers are never called here; distinct functions tell routes apart. */
static void h_a(dooh_ctx *c, dooh_request *q, dooh_response *r) { (void)c; (void)q; (void)r; }
static void h_b(dooh_ctx *c, dooh_request *q, dooh_response *r) { (void)c; (void)q; (void)r; }
static void h_c(dooh_ctx *c, dooh_request *q, dooh_response *r) { (void)c; (void)q; (void)r; }
static void h_d(dooh_ctx *c, dooh_request *q, dooh_response *r) { (void)c; (void)q; (void)r; }

static dooh_ctx ctx;

/* Match method + path against r; fills *req and returns the DOOH_ROUTE_* code. */
static int match(const dooh_router *r, int method, const char *path, dooh_request *req, int *allow) {
    memset(req, 0, sizeof *req);
    req->method = method;
    req->path = dooh_str_from_cstr(path);
    dooh_ctx_reset(&ctx);
    return dooh_router_match(r, &ctx, req, allow);
}

static dooh_router *build(const dooh_route *routes, int n) {
    char err[200];
    dooh_router *r = dooh_router_build(routes, n, err, sizeof err);
    if (!r) fprintf(stderr, "build failed: %s\n", err);
    return r;
}

static void static_should_beat_param_in_either_order(void) {
    const dooh_route one[] = {
        { DOOH_GET, "/tasks/:id", h_a },
        { DOOH_GET, "/tasks/urgent", h_b },
    };
    const dooh_route two[] = {
        { DOOH_GET, "/tasks/urgent", h_b },
        { DOOH_GET, "/tasks/:id", h_a },
    };
    const dooh_route *tables[] = { one, two };
    for (int t = 0; t < 2; t++) {
        dooh_router *r = build(tables[t], 2);
        CHECK(r != NULL);
        dooh_request req;
        int allow;
        CHECK_EQ_INT(match(r, DOOH_GET, "/tasks/urgent", &req, &allow), DOOH_ROUTE_FOUND);
        CHECK(req.route && req.route->fn == h_b);
        CHECK_EQ_INT(req.nparams, 0);
        CHECK_EQ_INT(match(r, DOOH_GET, "/tasks/42", &req, &allow), DOOH_ROUTE_FOUND);
        CHECK(req.route && req.route->fn == h_a);
        CHECK_EQ_INT(req.nparams, 1);
        CHECK_EQ_MEM(req.params[0].ptr, req.params[0].len, "42");
        dooh_router_free(r);
    }
}

static void match_should_backtrack_from_a_dead_static_branch(void) {
    const dooh_route routes[] = {
        { DOOH_GET, "/a/b/c", h_a },
        { DOOH_GET, "/:x/b/d", h_b },
    };
    dooh_router *r = build(routes, 2);
    dooh_request req;
    int allow;
    CHECK_EQ_INT(match(r, DOOH_GET, "/a/b/d", &req, &allow), DOOH_ROUTE_FOUND);
    CHECK(req.route->fn == h_b);
    CHECK_EQ_MEM(req.params[0].ptr, req.params[0].len, "a");
    CHECK_EQ_INT(match(r, DOOH_GET, "/a/b/c", &req, &allow), DOOH_ROUTE_FOUND);
    CHECK(req.route->fn == h_a);
    dooh_router_free(r);
}

static void match_should_find_each_methods_best_route(void) {
    const dooh_route routes[] = {
        { DOOH_GET, "/tasks/urgent", h_a },
        { DOOH_DELETE, "/tasks/:id", h_b },
    };
    dooh_router *r = build(routes, 2);
    dooh_request req;
    int allow;
    CHECK_EQ_INT(match(r, DOOH_DELETE, "/tasks/urgent", &req, &allow), DOOH_ROUTE_FOUND);
    CHECK(req.route->fn == h_b);
    CHECK_EQ_INT(match(r, DOOH_PUT, "/tasks/urgent", &req, &allow), DOOH_ROUTE_BAD_METHOD);
    CHECK_EQ_INT(allow, DOOH_GET | DOOH_HEAD | DOOH_DELETE);
    dooh_router_free(r);
}

static void unknown_paths_should_be_404(void) {
    const dooh_route routes[] = {
        { DOOH_GET, "/", h_a },
        { DOOH_GET, "/tasks", h_b },
        { DOOH_GET, "/tasks/:id", h_c },
    };
    dooh_router *r = build(routes, 3);
    dooh_request req;
    int allow;
    CHECK_EQ_INT(match(r, DOOH_GET, "/", &req, &allow), DOOH_ROUTE_FOUND);
    CHECK(req.route->fn == h_a);
    CHECK_EQ_INT(match(r, DOOH_GET, "/nope", &req, &allow), DOOH_ROUTE_NOT_FOUND);
    CHECK_EQ_INT(match(r, DOOH_GET, "/tasks/", &req, &allow), DOOH_ROUTE_NOT_FOUND);
    CHECK_EQ_INT(match(r, DOOH_GET, "//tasks", &req, &allow), DOOH_ROUTE_NOT_FOUND);
    CHECK_EQ_INT(match(r, DOOH_GET, "/tasks/1/2", &req, &allow), DOOH_ROUTE_NOT_FOUND);
    CHECK_EQ_INT(match(r, DOOH_GET, "/Tasks", &req, &allow), DOOH_ROUTE_NOT_FOUND);
    CHECK_EQ_INT(match(r, DOOH_GET, "/a/b/c/d/e/f/g/h", &req, &allow), DOOH_ROUTE_NOT_FOUND);
    CHECK_EQ_INT(match(r, DOOH_POST, "/nope", &req, &allow), DOOH_ROUTE_NOT_FOUND);
    dooh_router_free(r);
}

static void other_methods_should_be_405_with_allow(void) {
    const dooh_route routes[] = {
        { DOOH_POST, "/tasks", h_a },
        { DOOH_GET, "/tasks", h_b },
        { DOOH_DELETE, "/tasks/:id", h_c },
    };
    dooh_router *r = build(routes, 3);
    dooh_request req;
    int allow;
    char buf[64];
    CHECK_EQ_INT(match(r, DOOH_PUT, "/tasks", &req, &allow), DOOH_ROUTE_BAD_METHOD);
    size_t n = dooh_router_allow_str(allow, buf);
    CHECK_EQ_MEM(buf, n, "GET, HEAD, POST");
    CHECK_EQ_INT(match(r, DOOH_GET, "/tasks/3", &req, &allow), DOOH_ROUTE_BAD_METHOD);
    n = dooh_router_allow_str(allow, buf);
    CHECK_EQ_MEM(buf, n, "DELETE");
    n = dooh_router_allow_str(0x7f, buf);
    CHECK_EQ_MEM(buf, n, "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
    dooh_router_free(r);
}

static void head_should_use_the_get_route(void) {
    const dooh_route routes[] = {
        { DOOH_GET, "/a", h_a },
        { DOOH_POST, "/b", h_b },
        { DOOH_GET, "/c", h_c },
        { DOOH_HEAD, "/c", h_d },
    };
    dooh_router *r = build(routes, 4);
    dooh_request req;
    int allow;
    CHECK_EQ_INT(match(r, DOOH_HEAD, "/a", &req, &allow), DOOH_ROUTE_FOUND);
    CHECK(req.route->fn == h_a);
    CHECK_EQ_INT(match(r, DOOH_HEAD, "/b", &req, &allow), DOOH_ROUTE_BAD_METHOD);
    CHECK_EQ_INT(allow, DOOH_POST);
    CHECK_EQ_INT(match(r, DOOH_HEAD, "/c", &req, &allow), DOOH_ROUTE_FOUND);
    CHECK(req.route->fn == h_d);
    dooh_router_free(r);
}

static void options_should_answer_for_known_paths(void) {
    const dooh_route routes[] = {
        { DOOH_GET, "/a", h_a },
        { DOOH_PATCH, "/a", h_b },
        { DOOH_OPTIONS, "/o", h_c },
    };
    dooh_router *r = build(routes, 3);
    dooh_request req;
    int allow;
    CHECK_EQ_INT(match(r, DOOH_OPTIONS, "/a", &req, &allow), DOOH_ROUTE_OPTIONS);
    CHECK_EQ_INT(allow, DOOH_GET | DOOH_HEAD | DOOH_PATCH);
    CHECK_EQ_INT(match(r, DOOH_OPTIONS, "/o", &req, &allow), DOOH_ROUTE_FOUND);
    CHECK(req.route->fn == h_c);
    CHECK_EQ_INT(match(r, DOOH_OPTIONS, "/zzz", &req, &allow), DOOH_ROUTE_NOT_FOUND);
    CHECK_EQ_INT(match(r, DOOH_OPTIONS, "*", &req, &allow), DOOH_ROUTE_OPTIONS);
    CHECK_EQ_INT(allow, DOOH_GET | DOOH_HEAD | DOOH_PATCH | DOOH_OPTIONS);
    dooh_router_free(r);
}

static void params_should_be_percent_decoded(void) {
    const dooh_route routes[] = {
        { DOOH_GET, "/echo/:name", h_a },
        { DOOH_GET, "/u/:a/x/:b", h_b },
        { DOOH_GET, "/static/seg", h_c },
    };
    dooh_router *r = build(routes, 3);
    dooh_request req;
    int allow;
    CHECK_EQ_INT(match(r, DOOH_GET, "/echo/b%C3%B6b", &req, &allow), DOOH_ROUTE_FOUND);
    CHECK_EQ_MEM(req.params[0].ptr, req.params[0].len, "b\xc3\xb6" "b");
    CHECK_EQ_INT(match(r, DOOH_GET, "/echo/a+b%20c%2b", &req, &allow), DOOH_ROUTE_FOUND);
    CHECK_EQ_MEM(req.params[0].ptr, req.params[0].len, "a+b c+");
    CHECK_EQ_INT(match(r, DOOH_GET, "/u/1/x/two", &req, &allow), DOOH_ROUTE_FOUND);
    CHECK_EQ_INT(req.nparams, 2);
    CHECK_EQ_MEM(req.params[1].ptr, req.params[1].len, "two");
    dooh_str v;
    CHECK(dooh_req_param(&req, DOOH_LIT("b"), &v));
    CHECK_EQ_MEM(v.ptr, v.len, "two");
    CHECK(dooh_req_param(&req, DOOH_LIT("a"), &v));
    CHECK_EQ_MEM(v.ptr, v.len, "1");
    CHECK(!dooh_req_param(&req, DOOH_LIT("x"), &v));
    /* Static segments compare after decoding. */
    CHECK_EQ_INT(match(r, DOOH_GET, "/st%61tic/seg", &req, &allow), DOOH_ROUTE_FOUND);
    CHECK(req.route->fn == h_c);
    dooh_router_free(r);
}

static void bad_escapes_should_be_400(void) {
    const dooh_route routes[] = { { DOOH_GET, "/echo/:name", h_a } };
    dooh_router *r = build(routes, 1);
    dooh_request req;
    int allow;
    CHECK_EQ_INT(match(r, DOOH_GET, "/echo/a%2Fb", &req, &allow), DOOH_ROUTE_BAD_PATH);
    CHECK_EQ_INT(match(r, DOOH_GET, "/echo/a%2fb", &req, &allow), DOOH_ROUTE_BAD_PATH);
    CHECK_EQ_INT(match(r, DOOH_GET, "/echo/a%00b", &req, &allow), DOOH_ROUTE_BAD_PATH);
    CHECK_EQ_INT(match(r, DOOH_GET, "/echo/%zz", &req, &allow), DOOH_ROUTE_BAD_PATH);
    CHECK_EQ_INT(match(r, DOOH_GET, "/echo/%4", &req, &allow), DOOH_ROUTE_BAD_PATH);
    CHECK_EQ_INT(match(r, DOOH_GET, "/echo/%", &req, &allow), DOOH_ROUTE_BAD_PATH);
    CHECK_EQ_INT(match(r, DOOH_GET, "/echo/%FF", &req, &allow), DOOH_ROUTE_BAD_PATH);
    CHECK_EQ_INT(match(r, DOOH_GET, "/echo/%C0%AF", &req, &allow), DOOH_ROUTE_BAD_PATH);
    CHECK(req.route == NULL);
    dooh_router_free(r);
}

static void build_should_reject_bad_tables(void) {
    char err[200];
    const dooh_route dup[] = { { DOOH_GET, "/t/:id", h_a }, { DOOH_GET, "/t/:other", h_b } };
    CHECK(dooh_router_build(dup, 2, err, sizeof err) == NULL);
    CHECK(strstr(err, "duplicate") != NULL);
    const dooh_route ok[] = { { DOOH_GET, "/t/:id", h_a }, { DOOH_PUT, "/t/:other", h_b } };
    dooh_router *r = dooh_router_build(ok, 2, err, sizeof err);
    CHECK(r != NULL);
    dooh_router_free(r);
    const char *bad[] = { "", "x", "/a//b", "/a/", "/:", "/:1x", "/a b", "/%41", "/:a/:a" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        dooh_route one = { DOOH_GET, bad[i], h_a };
        r = dooh_router_build(&one, 1, err, sizeof err);
        if (r) fprintf(stderr, "accepted bad pattern \"%s\"\n", bad[i]);
        CHECK(r == NULL);
        dooh_router_free(r);
    }
    dooh_route badm = { DOOH_GET | DOOH_POST, "/a", h_a };
    CHECK(dooh_router_build(&badm, 1, err, sizeof err) == NULL);
}

int main(void) {
    dooh_ctx_init(&ctx);
    RUN(static_should_beat_param_in_either_order);
    RUN(match_should_backtrack_from_a_dead_static_branch);
    RUN(match_should_find_each_methods_best_route);
    RUN(unknown_paths_should_be_404);
    RUN(other_methods_should_be_405_with_allow);
    RUN(head_should_use_the_get_route);
    RUN(options_should_answer_for_known_paths);
    RUN(params_should_be_percent_decoded);
    RUN(bad_escapes_should_be_400);
    RUN(build_should_reject_bad_tables);
    dooh_ctx_free(&ctx);
    return check_report();
}
