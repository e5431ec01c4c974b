/* needs: arena.c buf.c rt.c str.c json.c validate.c http_parse.c router.c request.c response.c server.c ratelimit.c cors.c */
/* demo_server.c — a hand-written stand-in for a compiled Doo program, for poking the server
 * with curl, a raw socket or wrk.
 *
 *   GET  /plaintext     text "Hello, World!"
 *   GET  /json          {"message":"Hello, World!"}
 *   GET  /panic         calls dooh_panic (answers 500, logs one line)
 *   POST /echo/:name    {"name":<param>,"body":<request body>}
 *   GET  /echo/:name    {"name":<param>}
 *   GET  /echo/static   text "static" (beats /echo/:name)
 *
 * Build: gcc -std=c11 -D_GNU_SOURCE -O2 -Ilibdooh/include -Ilibdooh/src libdooh/src/{...}.c \
 *        libdooh/tests/demo_server.c -o /tmp/demo -lpthread
 * Run:   PORT=8080 /tmp/demo
 */
#include "dooh/dooh.h"

static void h_plaintext(dooh_ctx *ctx, dooh_request *req, dooh_response *res) {
    (void)ctx;
    (void)req;
    dooh_res_text(res, 200, DOOH_LIT("Hello, World!"));
}

static void h_json(dooh_ctx *ctx, dooh_request *req, dooh_response *res) {
    (void)ctx;
    (void)req;
    dooh_res_json(res, 200);
    dooh_buf_lit(res->body, "{\"message\":");
    dooh_json_str(res->body, DOOH_LIT("Hello, World!"));
    dooh_buf_putc(res->body, '}');
}

static void h_panic(dooh_ctx *ctx, dooh_request *req, dooh_response *res) {
    (void)req;
    (void)res;
    dooh_panic(ctx, "demo.doo:3:5", DOOH_LIT("boom \"quoted\""));
}

static void h_echo(dooh_ctx *ctx, dooh_request *req, dooh_response *res) {
    (void)ctx;
    dooh_str name;
    if (!dooh_req_param(req, DOOH_LIT("name"), &name)) name = DOOH_LIT("?");
    dooh_res_json(res, 200);
    dooh_buf_lit(res->body, "{\"name\":");
    dooh_json_str(res->body, name);
    if (req->method == DOOH_POST) {
        dooh_buf_lit(res->body, ",\"body\":");
        dooh_json_str(res->body, req->body);
    }
    dooh_buf_putc(res->body, '}');
}

static void h_static(dooh_ctx *ctx, dooh_request *req, dooh_response *res) {
    (void)ctx;
    (void)req;
    dooh_res_text(res, 200, DOOH_LIT("static"));
}

static const dooh_route routes[] = {
    { DOOH_GET, "/plaintext", h_plaintext },
    { DOOH_GET, "/json", h_json },
    { DOOH_GET, "/panic", h_panic },
    { DOOH_GET, "/echo/:name", h_echo },
    { DOOH_POST, "/echo/:name", h_echo },
    { DOOH_GET, "/echo/static", h_static },
};

int main(void) {
    dooh_app app = {
        .addr = "127.0.0.1:8080",
        .routes = routes,
        .nroutes = (int)(sizeof routes / sizeof routes[0]),
        .build_info = "demo",
        .init = NULL,
    };
    return dooh_app_run(&app);
}
