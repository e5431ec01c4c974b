/* dooh/http.h — the HTTP/1.1 server that a compiled Doo program runs.
 *
 * The generated program fills a dooh_app (address, route table) and calls dooh_app_run().
 * The server runs one worker per CPU in the process's affinity mask (DOO_THREADS overrides),
 * each with its own SO_REUSEPORT listener and epoll loop; a request is parsed, routed,
 * handled and answered on the thread that read it, with no lock on that path.
 *
 * For each request the worker resets its dooh_ctx, clears the response body buffer, sets a
 * panic jump point and calls the route's handler. The handler reads the request through
 * the accessors below and sets the response with the dooh_res_* calls. If the handler
 * panics the response is replaced with a 500 problem and the panic is logged with the
 * request id. The server then writes status line, `Server: doo`, `Date`, `Content-Type`
 * (when there is a body), `Content-Length`, `X-Request-Id`, extra headers and the body.
 *
 * Routing is done by the server: static segments beat `:param` segments, unknown path 404,
 * known path with other method 405 + Allow, HEAD answered for every GET route without a body.
 * Path parameters are percent-decoded before the handler runs (a bad escape, %00 or an
 * encoded '/' answers 400 without calling the handler).
 */
#ifndef DOOH_HTTP_H
#define DOOH_HTTP_H

#include <stdbool.h>
#include <stdint.h>

#include "dooh/buf.h"
#include "dooh/rt.h"

enum {
    DOOH_GET = 1, DOOH_HEAD = 2, DOOH_POST = 4, DOOH_PUT = 8,
    DOOH_PATCH = 16, DOOH_DELETE = 32, DOOH_OPTIONS = 64
};

#define DOOH_MAX_PARAMS 16
#define DOOH_MAX_EXTRA_HEADERS 16

typedef struct dooh_header {
    dooh_str name;
    dooh_str value;
} dooh_header;

typedef struct dooh_route dooh_route;

struct dooh_request {
    int method;                 /* DOOH_GET, … */
    int version_minor;          /* 0 for HTTP/1.0, 1 for HTTP/1.1 */
    dooh_str target;            /* request-target as sent */
    dooh_str path;              /* target up to '?', not decoded */
    dooh_str query;             /* after '?', not decoded, without the '?' ("" if none) */
    dooh_header *headers;       /* borrowed slices of the read buffer */
    int nheaders;
    dooh_str body;              /* the whole body (de-chunked); empty when none */
    const dooh_route *route;    /* the matched route */
    dooh_str params[DOOH_MAX_PARAMS]; /* decoded path params, in pattern order */
    int nparams;
    dooh_str request_id;        /* echoed X-Request-Id or a generated one */
    uint8_t peer[16];           /* the TCP peer's address, IPv4 as ::ffff:a.b.c.d (rate limits);
                                   all zero when unknown */
};

typedef struct dooh_response {
    int status;                 /* 200 by default */
    const char *content_type;   /* static string; NULL means no body and no Content-Type */
    dooh_buf *body;             /* the worker's body buffer, cleared before the handler */
    dooh_header extra[DOOH_MAX_EXTRA_HEADERS]; /* e.g. Location; values must be arena/static */
    int nextra;
} dooh_response;

typedef void (*dooh_handler_fn)(dooh_ctx *ctx, dooh_request *req, dooh_response *res);

struct dooh_route {
    int method;                 /* one DOOH_* method */
    const char *pattern;        /* "/tasks/:id"; static segments and :name params */
    dooh_handler_fn fn;
};

typedef struct dooh_ratelimit dooh_ratelimit; /* dooh/auth.h */
typedef struct dooh_cors dooh_cors;           /* dooh/auth.h */

typedef struct dooh_app {
    const char *addr;           /* as written in Server::new: ":3000", "127.0.0.1:8080" */
    const dooh_route *routes;
    int nroutes;
    const char *build_info;     /* printed on the start-up line, e.g. "doo 0.1.0 debug" */
    void (*init)(void);         /* optional: called once before workers start (regex compile) */
    const dooh_ratelimit *ratelimit; /* `app.ratelimit({…})`: every route, per client address */
    const dooh_ratelimit *const *route_limits; /* per-route `RateLimit(n, s)`, parallel to
                                                  routes (entries may be NULL), or NULL */
    const dooh_cors *cors;      /* `app.cors(…)`: preflights and Access-Control-* headers */
} dooh_app;

/* Run the server until SIGTERM/SIGINT; returns the process exit status.
 * Address: PORT (digits) replaces the port; DOO_ADDR ("host:port" or ":port") replaces both.
 * A bad value, or a failure to bind, prints one line to stderr and returns 1. */
int dooh_app_run(const dooh_app *app);

/* ---- request accessors ---- */
/* Header value by case-insensitive name; .ptr == NULL when absent. */
dooh_str dooh_req_header(const dooh_request *req, const char *name);
/* First query parameter `name` (decoded: '+' is space, %XX); false when absent or when its
 * encoding is bad. */
bool dooh_req_query(dooh_ctx *ctx, const dooh_request *req, dooh_str name, dooh_str *out);
/* Path parameter by its name in the route pattern. */
bool dooh_req_param(const dooh_request *req, dooh_str name, dooh_str *out);
/* Content-Type is application/json or application/<x>+json (parameters allowed). */
bool dooh_req_is_json(const dooh_request *req);

/* ---- response builders (for handlers) ---- */
/* Body bytes copied into res->body; content type text/plain; charset=utf-8. */
void dooh_res_text(dooh_response *res, int status, dooh_str body);
/* Set status and application/json; the caller then writes the body into res->body. */
void dooh_res_json(dooh_response *res, int status);
/* Status and content type with the given body (copied). content_type NULL: no body. */
void dooh_res_set(dooh_response *res, int status, const char *content_type, dooh_str body);
/* Add one header (name static, value arena or static). Silently ignored past the limit. */
void dooh_res_header(dooh_response *res, const char *name, dooh_str value);
/* Replace the response with an RFC 9457 problem (application/problem+json):
 * {"type":"about:blank","title":<reason phrase>,"status":N,"detail":<detail>,
 *  "instance":<request path>[,"errors":[{"field":…,"code":…,"detail":…[,<extra_key>:n]}…]]}
 * `errors` is present when ctx->nverrs > 0. */
void dooh_res_problem(dooh_ctx *ctx, dooh_response *res, int status, dooh_str detail);

/* The standard reason phrase of a status ("Unprocessable Content" for 422); "Unknown" otherwise. */
const char *dooh_status_reason(int status);

#endif
