/* http_internal.h — the pieces of libdooh's HTTP server that talk to each other
 * (not installed, not API).
 *
 *   http_parse.c  request-head parser and chunked-body decoder (pure functions over bytes)
 *   router.c      route table compiled into a segment tree, matching and Allow lists
 *   request.c     request accessors and percent-decoding
 *   response.c    response builders, problem details and wire serialisation
 *   server.c      sockets, epoll workers, connections, deadlines, signals
 *
 * Everything here is used by one worker thread at a time and holds no global state, so the
 * parser and router can be unit-tested without a socket.
 */
#ifndef DOOH_HTTP_INTERNAL_H
#define DOOH_HTTP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dooh/buf.h"
#include "dooh/http.h"
#include "dooh/rt.h"

/* ---- limits (reliability.md §1) ---- */

typedef struct dooh_http_limits {
    size_t request_line;       /* bytes of the request line without CRLF (414 beyond) */
    size_t header_line;        /* bytes of one header line without CRLF (431 beyond) */
    size_t headers_size;       /* all header lines with their CRLFs and the final CRLF (431) */
    size_t headers;            /* number of header fields (431 beyond) */
    size_t body;               /* body bytes, declared or de-chunked (413 beyond) */
    size_t chunk_ext;          /* bytes of one chunk extension (400 beyond) */
    size_t chunk_overhead;     /* chunk framing bytes after which more than 80 % framing is 400 */
    int header_timeout;        /* seconds from a request's first byte to its complete head */
    int body_timeout;          /* seconds without progress while reading a body or writing */
    int keepalive_timeout;     /* seconds an idle keep-alive connection is kept */
    int drain_timeout;         /* seconds in-flight requests get after SIGTERM */
    long max_requests_per_conn;
    long max_conns;
    int json_depth;            /* nesting depth of JSON bodies (400 beyond) */
} dooh_http_limits;

/* Fill *l with the defaults of reliability.md §1. */
void dooh_http_limits_default(dooh_http_limits *l);
/* Apply the DOO_MAX_* and DOO_*_TIMEOUT environment variables on top of *l. Returns NULL, or
 * the name of the first variable whose value is not a plain decimal number in its range
 * (then *l is partly updated and the caller should stop). */
const char *dooh_http_limits_from_env(dooh_http_limits *l);

/* ---- request head parser (http_parse.c) ---- */

enum { DOOH_BODY_NONE = 0, DOOH_BODY_LENGTH = 1, DOOH_BODY_CHUNKED = 2 };

typedef struct dooh_http_head {
    int method;                /* DOOH_GET…; 0 for a syntactically valid but unknown method */
    int version_minor;         /* 0 or 1 */
    dooh_str method_name;      /* as sent */
    dooh_str target, path, query;
    dooh_header *headers;      /* caller-provided array with room for lim->headers entries */
    int nheaders;
    int body_kind;             /* DOOH_BODY_* */
    uint64_t content_length;   /* DOOH_BODY_LENGTH only */
    bool conn_close;           /* "Connection: close" was sent */
    bool conn_keep_alive;      /* "Connection: keep-alive" was sent */
    bool expect_continue;      /* HTTP/1.1 "Expect: 100-continue" */
    dooh_str request_id;       /* a valid client X-Request-Id, or .ptr == NULL */
    const char *error;         /* on -1: a short static description of what was wrong */
} dooh_http_head;

/* Incremental-parse memo: zero it before the first call for a request and pass the same
 * struct on every later call for that request. It lets a call return "partial" without
 * re-scanning the lines already known to be complete, so a client trickling bytes costs
 * linear, not quadratic, work. It holds offsets only, so the buffer may be moved between
 * calls as long as the request still starts at buf[0]. */
typedef struct dooh_http_scan {
    size_t scanned;            /* bytes examined by the last call that returned -2 */
    size_t limit_at;           /* re-parse once len reaches this, even without a new LF */
} dooh_http_scan;

/* Parse the request head at the start of buf[0..len).
 * Returns the head's length (through the empty line) when it is complete and valid; -2 when
 * more bytes are needed; -1 when the request must be refused, with *status set to the code to
 * answer (400, 413, 414, 417, 431, 501 or 505) and h->error to a description. Header values
 * and all other slices point into buf. The outcome for a given byte sequence does not depend
 * on how it was split across calls. `scan` may be NULL (then every call parses from the
 * start). Never reads outside buf[0..len). */
int dooh_http_parse_head(const char *buf, size_t len, const dooh_http_limits *lim,
                         dooh_http_scan *scan, dooh_http_head *h, int *status);

/* ---- chunked body decoder (http_parse.c) ---- */

typedef struct dooh_chunked {
    int state;
    int ndigits;               /* hex digits of the current size line */
    uint64_t size;             /* size being read, then data bytes left in the chunk */
    size_t src;                /* raw bytes consumed (offset into the body region) */
    size_t dst;                /* decoded bytes written at the start of the region */
    size_t line;               /* bytes of the current chunk extension or trailer line */
    bool ext_semi;             /* the extension's ';' has been seen */
    size_t overhead;           /* framing bytes seen so far */
    size_t trailer_bytes;
    size_t ntrailers;
} dooh_chunked;

/* Decode a chunked body in place. buf[0..len) is the body region (the bytes after the head);
 * the caller may append to it between calls and must keep the prefix as the decoder left it.
 * Decoded data is written to buf[0..c->dst), never past c->src.
 * Returns 1 when the body is complete (c->src is the raw length to consume, c->dst the body
 * length), 0 when more bytes are needed, -1 on error with *status = 400, 413 or 431. */
int dooh_http_chunked_decode(dooh_chunked *c, char *buf, size_t len,
                             const dooh_http_limits *lim, int *status);

/* ---- percent-decoding (request.c) ---- */

enum { DOOH_PCT_NUL = 1, DOOH_PCT_SLASH = 2 };

/* Decode %XX escapes of s[0..n) into out (room for n bytes; out may equal s). With
 * plus_space, '+' becomes ' '. Returns the decoded length, or -1 on a bad escape ('%' not
 * followed by two hex digits). *flags gets DOOH_PCT_NUL / DOOH_PCT_SLASH when a decoded byte
 * was NUL or '/'. */
long dooh_http_pct_decode(const char *s, size_t n, char *out, bool plus_space, unsigned *flags);

/* True when s[0..n) is valid UTF-8 (no overlongs, surrogates or code points past U+10FFFF). */
bool dooh_http_utf8_ok(const char *s, size_t n);

/* ---- router (router.c) ---- */

typedef struct dooh_router dooh_router;

enum {
    DOOH_ROUTE_FOUND = 0,      /* req->route and params set */
    DOOH_ROUTE_NOT_FOUND,      /* 404 */
    DOOH_ROUTE_BAD_METHOD,     /* 405; *allow set */
    DOOH_ROUTE_OPTIONS,        /* OPTIONS on a known path without an OPTIONS route: 204 */
    DOOH_ROUTE_BAD_PATH        /* 400: bad escape, %00, or an encoded '/' or invalid UTF-8 in a param */
};

/* Compile the route table. Returns NULL and writes a message to err on a malformed pattern,
 * an unknown method, too many params or a duplicate route (those are compiler bugs). */
dooh_router *dooh_router_build(const dooh_route *routes, int n, char *err, size_t errlen);
void dooh_router_free(dooh_router *r);

/* Match req->method and req->path. On DOOH_ROUTE_FOUND sets req->route, req->params and
 * req->nparams (decoded params live in ctx's arena or borrow the path). HEAD falls back to the
 * GET route. *allow gets the DOOH_* method mask of the path for 405 and OPTIONS. */
int dooh_router_match(const dooh_router *r, dooh_ctx *ctx, dooh_request *req, int *allow);

/* Write the Allow value for a method mask ("GET, HEAD, POST") into out (room for 64 bytes);
 * returns its length. */
size_t dooh_router_allow_str(int mask, char *out);

/* ---- response serialisation (response.c) ---- */

enum { DOOH_CONN_DEFAULT = 0, DOOH_CONN_CLOSE = 1, DOOH_CONN_KEEP_ALIVE = 2 };

typedef struct dooh_http_wire {
    const char *date;          /* 29-byte IMF-fixdate */
    dooh_str request_id;
    bool head;                 /* HEAD: headers as for GET, no body bytes */
    int connection;            /* DOOH_CONN_*: which Connection header to send, if any */
} dooh_http_wire;

#define DOOH_HTTP_DATE_LEN 29

/* Append the whole response (status line, standard headers, extra headers, body) to out.
 * Extra headers whose value holds CR, LF or another control byte are dropped. */
void dooh_http_serialize(dooh_buf *out, const dooh_response *res, const dooh_http_wire *w);

/* Render t (Unix seconds) as "Sun, 06 Nov 1994 08:49:37 GMT" into out (29 bytes, no NUL). */
void dooh_http_format_date(char *out, int64_t t);

/* ---- rate limiting (ratelimit.c) ----
 * Token buckets keyed by (scope, client key) in one bounded table shared by every worker:
 * a fixed array of shards, each a small open-addressing table behind its own mutex, so two
 * workers only ever wait for each other when their keys hash to the same shard. A key that
 * finds no room in its probe window replaces an entry whose bucket has refilled completely
 * (forgetting it changes nothing) or else the least recently used one: memory is fixed at
 * start-up, however many addresses are seen. */

enum {
    DOOH_RL_SCOPE_APP = 1,          /* app.ratelimit */
    DOOH_RL_SCOPE_SIGNUP_ADDR = 2,  /* signup, per client address (auth.c) */
    DOOH_RL_SCOPE_LOGIN_ADDR = 3,   /* login, per client address (auth.c) */
    DOOH_RL_SCOPE_LOGIN_ACCOUNT = 4,/* login failures, per e-mail (auth.c) */
    DOOH_RL_SCOPE_ROUTE = 16,       /* + route index: a route's RateLimit(n, s) */
};

#define DOOH_RL_KEY_LEN 16
#define DOOH_RL_DEFAULT_ENTRIES 65536

typedef struct dooh_rl_verdict {
    bool allowed;
    int64_t limit;             /* the bucket's size (requests per window) */
    int64_t window_s;
    int64_t remaining;         /* whole requests left after this one */
    int64_t reset_s;           /* seconds until the bucket is full again */
    int64_t retry_after_s;     /* refused: seconds until one request is allowed (>= 1) */
} dooh_rl_verdict;

/* Start-up (dooh_app_run, before workers): read DOO_RATELIMIT_ENTRIES (table size, rounded
 * up to a power of two, 1024..16777216) and remember whether X-Forwarded-For is trusted.
 * Returns NULL, or the name of the variable whose value is bad. The table itself is
 * allocated on first use. */
const char *dooh_rl_configure(bool trust_proxy);
/* The client key of a request: the peer address (IPv4 as ::ffff:a.b.c.d, IPv6 cut to its
 * /64, since one host can own a whole /64), or with trust_proxy the leftmost valid address of
 * X-Forwarded-For (the peer when none is valid). */
void dooh_rl_client_key(const dooh_request *req, uint8_t key[DOOH_RL_KEY_LEN]);
/* Take `cost` requests (0: only look) from the bucket (scope, key) of size max per window_s
 * seconds at monotonic time now_ms; refused (nothing taken) when fewer than max(cost, 1)
 * remain. Fills *v; returns v->allowed. */
bool dooh_rl_take(uint32_t scope, const uint8_t key[DOOH_RL_KEY_LEN], int64_t max,
                  int64_t window_s, int cost, int64_t now_ms, dooh_rl_verdict *v);
/* Add RateLimit-Limit/Remaining/Reset/Policy (and Retry-After when refused) to res. */
void dooh_rl_headers(dooh_ctx *ctx, dooh_response *res, const dooh_rl_verdict *v);
/* Answer 429 problem + the headers above. */
void dooh_rl_refuse(dooh_ctx *ctx, dooh_response *res, const dooh_rl_verdict *v);
/* Monotonic milliseconds (the clock the buckets use). */
int64_t dooh_rl_now_ms(void);
/* Tests: drop every bucket (the table size is kept). */
void dooh_rl_reset_for_tests(void);

/* ---- CORS (cors.c) ---- */

/* Add the CORS headers to a routed response. `preflight_allow` is the path's method mask
 * when the router answered an OPTIONS without a route of its own (then a request with
 * Origin and Access-Control-Request-Method is a preflight and gets the Access-Control-Allow-*
 * headers); 0 for every other response, which gets Access-Control-Allow-Origin and
 * Access-Control-Expose-Headers when its Origin is allowed. A disallowed or missing Origin
 * gets no CORS headers (a preflight then still answers 204, which the browser refuses). */
void dooh_cors_apply(dooh_ctx *ctx, const dooh_cors *cors, const dooh_request *req,
                     int preflight_allow, dooh_response *res);

#endif
