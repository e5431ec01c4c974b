/* server.c — dooh_app_run: listeners, epoll workers, connections, deadlines and shutdown
 * (see dooh/http.h for the contract and performance.md for the design).
 *
 * Input: the generated program's dooh_app and the environment. Output: HTTP responses on
 * the wire until SIGTERM/SIGINT, then the process exit status.
 *
 * Shape. The main thread parses configuration, compiles the routes, opens one SO_REUSEPORT
 * listener per worker and then only waits for signals. Each worker thread owns a listener,
 * an epoll instance, a flat table of connection slots, a read buffer, an output buffer, a
 * response body buffer and a dooh_ctx. A request is parsed, routed, handled and answered on
 * the thread that read it; nothing on that path takes a lock or allocates beyond the arena.
 *
 * Steady state per read: one recv into the worker's read buffer, every complete request in
 * it answered into one output buffer, one send. A round of events has two phases: first each
 * ready connection is read once into its own slice of the read buffer (gather), then their
 * requests are answered in event order (run_ready), so that database reads of one round can
 * share a snapshot (group.h). A connection owns memory only while it has
 * a partial request (`in`) or unsent output (`out`), so idle keep-alive connections cost
 * just their slot. Sockets are edge-triggered; EPOLLOUT is armed only after a partial send.
 *
 * Deadlines are checked by a sweep once a second over the slot table (a few microseconds
 * for thousands of connections), which keeps the per-request path free of timer work.
 *
 * Group commit (group.h). A response to a generated write that joined the worker's open
 * transaction is not sent when it is made: it waits on its connection (which reads nothing
 * more meanwhile) until the round of events is handled. Then settle() commits the group once
 * for all of them and sends them — or, when the commit failed, sends an error in their place
 * and closes. So a 201 still means the row is committed, at one WAL append per round.
 */
#include "http_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dooh/auth.h"
#include "dooh/json.h"
#include "group.h"

#define RBUF_SIZE (256 * 1024)
/* A read into the read buffer gets at least this much room; below it, it goes to the
 * connection's own buffer. */
#define RBUF_MIN (16 * 1024)
/* The first phase of a round stops to answer once this much input is gathered. */
#define GATHER_MAX (32 * 1024)
#define IN_CHUNK (16 * 1024)
#define MAX_EVENTS 256
/* Responses a group commit holds back at most: a round settles once this many wait, so the
 * client receives answers while the rest of the round is still being handled. */
#define GROUP_MAX 16
#define LINGER_MS 2000
#define ACCEPT_PAUSE_MS 100
#define MAX_THREADS 1024
#define WORKER_STACK (8u << 20)
/* Worker buffers above this size are released after use, so one huge response does not pin
 * its memory for the life of the process. */
#define KEEP_BUF_MAX (1u << 20)

#define TAG_LISTEN UINT64_MAX
#define TAG_STOP (UINT64_MAX - 1)

/* What a connection's deadline means when it passes. */
enum { T_IDLE, T_HEADER, T_BODY, T_WRITE, T_LINGER };

typedef struct conn {
    int fd;                    /* -1 when the slot is free */
    uint32_t gen;              /* bumped on reuse so stale epoll events are recognised */
    int next_free;
    uint8_t timer;             /* T_* */
    bool closing;              /* answer nothing more; close once output is flushed */
    bool lingering;            /* write side shut, discarding input until EOF or deadline */
    bool out_armed;            /* EPOLLOUT is registered */
    bool head_done;            /* the current request's head is complete, its body is not */
    bool expect;               /* the current request sent Expect: 100-continue */
    bool cont_sent;            /* and we answered it */
    bool unread;               /* input may remain in the socket (reading stopped for a commit) */
    bool rdhup;                /* … and the peer has half-closed */
    int body_kind;
    uint64_t content_length;
    size_t head_len;
    long nreq;                 /* requests answered */
    int64_t deadline;          /* monotonic ms */
    dooh_buf in;               /* unconsumed input, only while a request is incomplete */
    dooh_buf out;              /* unsent output, only after a partial send */
    size_t out_off;
    dooh_http_scan scan;
    dooh_chunked chunk;
    uint8_t peer[16];          /* the client's address (IPv4 v4-mapped), for rate limits */
} conn;

typedef struct server {
    const dooh_app *app;
    const dooh_route *routes;  /* the table the router was built from: app routes first */
    dooh_router *router;
    dooh_http_limits lim;
    bool access_log;
    int nworkers;
    int stop_fd;
    char addr_text[80];
} server;

/* A connection read in the first phase of a round: its bytes are w->rbuf[off, off + len),
 * or the tail of its own buffer c->in when `owned`. */
typedef struct ready {
    uint64_t tag;
    size_t off, len;
    bool owned;
} ready;

/* A response waiting for its group to commit: its connection, the group, and where the
 * response starts in the connection's out buffer. */
typedef struct waiting {
    uint64_t tag;
    uint64_t group;
    size_t off;
} waiting;

typedef struct worker {
    server *srv;
    pthread_t th;
    int lfd, epfd;
    bool accept_paused;
    int64_t accept_resume;
    bool draining;
    int64_t drain_deadline;
    conn *conns;
    int cap, hw, free_head, nconns;
    char *rbuf;
    dooh_buf obuf;             /* responses produced by one read, sent with one send */
    dooh_buf body;             /* the current response body */
    dooh_buf log;
    dooh_header *hdrs;
    dooh_http_head head;
    dooh_ctx ctx;
    dooh_request req;
    dooh_response res;
    jmp_buf jb;
    int64_t now_ms;
    int64_t date_sec;
    int64_t last_sweep;
    char date[DOOH_HTTP_DATE_LEN];
    uint64_t rid_counter;
    char rid[24];              /* 8 random hex digits, then a 12-digit hex counter */
    size_t rbuf_used;          /* bytes of rbuf holding this round's unprocessed input */
    ready ready[MAX_EVENTS];   /* connections read in this round, in event order */
    int nready;
    waiting *wait;             /* responses waiting for a group commit (settle) */
    int nwait, capwait;
} worker;

static _Atomic long g_nconns;
static _Atomic int g_running;
static _Atomic bool g_draining; /* set by the first SIGTERM/SIGINT; /ready answers 503 */

/* ---- clocks ---- */

static int64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Refresh the worker's clock and, when the second changed, its Date string. Called once per
 * loop iteration: two vDSO reads, no system call. */
static void tick(worker *w) {
    struct timespec ts;
    w->now_ms = mono_ms();
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    if (ts.tv_sec != w->date_sec) {
        w->date_sec = ts.tv_sec;
        dooh_http_format_date(w->date, ts.tv_sec);
    }
}

/* ---- connection slots ---- */

static conn *slot_alloc(worker *w) {
    int i;
    if (w->free_head >= 0) {
        i = w->free_head;
        w->free_head = w->conns[i].next_free;
    } else if (w->hw < w->cap) {
        i = w->hw++;
        w->conns[i].gen = 0;
    } else {
        return NULL;
    }
    conn *c = &w->conns[i];
    uint32_t gen = c->gen + 1;
    memset(c, 0, sizeof *c);
    c->gen = gen;
    c->next_free = -1;
    w->nconns++;
    return c;
}

/* Index of a slot in the worker's table. */
static int slot_index(const worker *w, const conn *c) {
    return (int)(c - w->conns);
}

static uint64_t conn_tag(const worker *w, const conn *c) {
    return (uint64_t)c->gen << 32 | (uint32_t)slot_index(w, c);
}

/* Close the socket at once, release the connection's buffers and free its slot. */
static void conn_close(worker *w, conn *c) {
    close(c->fd);
    c->fd = -1;
    dooh_buf_free(&c->in);
    dooh_buf_free(&c->out);
    c->next_free = w->free_head;
    w->free_head = slot_index(w, c);
    w->nconns--;
    atomic_fetch_sub_explicit(&g_nconns, 1, memory_order_relaxed);
}

/* Re-register c for input, plus output when want_out (only around partial sends). */
static void set_events(worker *w, conn *c, bool want_out) {
    struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.u64 = conn_tag(w, c) };
    if (want_out) ev.events |= EPOLLOUT;
    epoll_ctl(w->epfd, EPOLL_CTL_MOD, c->fd, &ev);
    c->out_armed = want_out;
}

/* Close after the last response: shut the write side and discard input until the peer
 * closes (or a short deadline). Closing at once with unread input would make the kernel send
 * a reset, which can destroy the response before the client reads it. */
static void conn_linger(worker *w, conn *c) {
    if (shutdown(c->fd, SHUT_WR) < 0) {
        conn_close(w, c);
        return;
    }
    c->lingering = true;
    c->timer = T_LINGER;
    c->deadline = w->now_ms + LINGER_MS;
    dooh_buf_free(&c->in);
}

/* Read and drop whatever a lingering connection sends. */
static void linger_read(worker *w, conn *c) {
    for (;;) {
        ssize_t n = recv(c->fd, w->rbuf, RBUF_SIZE, 0);
        if (n > 0) continue;
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        conn_close(w, c);
        return;
    }
}

/* ---- output ---- */

/* Send the worker's output buffer for c with one send. Returns false when c may not be read
 * now: it was closed, is lingering, or has output pending. */
static bool flush(worker *w, conn *c) {
    if (w->obuf.len) {
        size_t sent = 0;
        while (sent < w->obuf.len) {
            ssize_t n = send(c->fd, w->obuf.p + sent, w->obuf.len - sent, MSG_NOSIGNAL);
            if (n > 0) {
                sent += (size_t)n;
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
            dooh_buf_clear(&w->obuf);
            conn_close(w, c);
            return false;
        }
        if (sent < w->obuf.len) {
            /* The socket is full: keep the rest on the connection and wait for EPOLLOUT.
             * No more input is processed until it drains, which bounds what a client that
             * pipelines without reading can make us hold. */
            dooh_buf_put(&c->out, w->obuf.p + sent, w->obuf.len - sent);
            c->out_off = 0;
            c->timer = T_WRITE;
            c->deadline = w->now_ms + (int64_t)w->srv->lim.body_timeout * 1000;
            set_events(w, c, true);
        }
        dooh_buf_clear(&w->obuf);
        if (w->obuf.cap > KEEP_BUF_MAX) dooh_buf_free(&w->obuf);
        if (w->body.cap > KEEP_BUF_MAX) dooh_buf_free(&w->body);
    }
    if (c->out.len) return false;
    if (c->closing) {
        conn_linger(w, c);
        return false;
    }
    return true;
}

/* Continue sending c->out after EPOLLOUT. Returns false when c was closed. */
static bool send_pending(worker *w, conn *c) {
    while (c->out_off < c->out.len) {
        ssize_t n = send(c->fd, c->out.p + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
        if (n > 0) {
            c->out_off += (size_t)n;
            c->deadline = w->now_ms + (int64_t)w->srv->lim.body_timeout * 1000;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
        conn_close(w, c);
        return false;
    }
    dooh_buf_free(&c->out);
    c->out_off = 0;
    if (c->out_armed) set_events(w, c, false);
    return true;
}

/* ---- requests ---- */

static const char hexdig[] = "0123456789abcdef";

/* A fresh request id: the worker's random prefix and its counter, 20 hex digits. */
static dooh_str gen_request_id(worker *w) {
    uint64_t n = ++w->rid_counter;
    for (int i = 19; i >= 8; i--) {
        w->rid[i] = hexdig[n & 15];
        n >>= 4;
    }
    return (dooh_str){ w->rid, 20 };
}

/* Write one JSON log line to stderr with a single write, so lines from several workers do
 * not interleave. */
static void log_line(worker *w) {
    dooh_buf_putc(&w->log, '\n');
    ssize_t r = write(2, w->log.p, w->log.len);
    (void)r;
    dooh_buf_clear(&w->log);
}

/* The one error line for a handler panic, with the request id. */
static void log_panic(worker *w) {
    dooh_buf *b = &w->log;
    dooh_buf_lit(b, "{\"level\":\"error\",\"request_id\":");
    dooh_json_str(b, w->req.request_id);
    dooh_buf_lit(b, ",\"msg\":\"panic\",\"at\":");
    if (w->ctx.panic_loc) dooh_json_str(b, dooh_str_from_cstr(w->ctx.panic_loc));
    else dooh_buf_lit(b, "null");
    dooh_buf_lit(b, ",\"error\":");
    dooh_json_str(b, w->ctx.panic_msg.ptr ? w->ctx.panic_msg : DOOH_LIT(""));
    dooh_buf_putc(b, '}');
    log_line(w);
}

/* One access-log line (DOO_LOG=access) for the response just serialised. */
static void log_access(worker *w, const dooh_http_head *h, const dooh_response *res, size_t bytes) {
    dooh_buf *b = &w->log;
    dooh_buf_lit(b, "{\"level\":\"info\",\"msg\":\"request\",\"request_id\":");
    dooh_json_str(b, w->req.request_id);
    dooh_buf_lit(b, ",\"method\":");
    dooh_json_str(b, h && h->method_name.ptr ? h->method_name : DOOH_LIT(""));
    dooh_buf_lit(b, ",\"path\":");
    dooh_json_str(b, h && h->path.ptr ? h->path : DOOH_LIT(""));
    dooh_buf_lit(b, ",\"status\":");
    dooh_buf_put_i64(b, res->status);
    dooh_buf_lit(b, ",\"bytes\":");
    dooh_buf_put_u64(b, bytes);
    dooh_buf_putc(b, '}');
    log_line(w);
}

/* Reset the per-request state shared by every answer path. */
static void begin_response(worker *w) {
    dooh_ctx_reset(&w->ctx);
    dooh_buf_clear(&w->body);
    w->res.status = 200;
    w->res.content_type = NULL;
    w->res.body = &w->body;
    w->res.nextra = 0;
}

/* Serialise w->res into the output buffer; Connection: close marks c as closing. */
static void finish_response(worker *w, conn *c, const dooh_http_head *h, bool head, int connection) {
    dooh_http_wire wire = { w->date, w->req.request_id, head, connection };
    size_t before = w->obuf.len;
    dooh_http_serialize(&w->obuf, &w->res, &wire);
    if (connection == DOOH_CONN_CLOSE) c->closing = true;
    if (w->srv->access_log) log_access(w, h, &w->res, w->obuf.len - before);
}

/* Answer a request we refuse before routing (framing errors, limits, timeouts), then close. */
static void answer_error(worker *w, conn *c, int status, const char *why) {
    begin_response(w);
    memset(&w->req, 0, sizeof w->req);
    w->req.request_id = gen_request_id(w);
    w->ctx.req = NULL;
    dooh_res_problem(&w->ctx, &w->res, status, dooh_str_from_cstr(why ? why : dooh_status_reason(status)));
    finish_response(w, c, NULL, false, DOOH_CONN_CLOSE);
}

/* The 500 answer after a panic. A separate function: a compound literal built in the
 * function that called setjmp could be clobbered by the longjmp (gcc -Wclobbered). */
static void answer_panic(worker *w) {
    log_panic(w);
    w->ctx.nverrs = 0;
    dooh_res_problem(&w->ctx, &w->res, 500, DOOH_LIT("internal server error"));
}

/* Call the route's handler with a panic jump point. */
static void run_handler(worker *w) {
    dooh_ctx *ctx = &w->ctx;
    ctx->panic_jmp = &w->jb;
    if (setjmp(w->jb) == 0) {
        w->req.route->fn(ctx, &w->req, &w->res);
    } else {
        answer_panic(w);
    }
    ctx->panic_jmp = NULL;
}

/* Rate limits for a routed request (ratelimit.c): app.ratelimit and the route's own
 * RateLimit(n, s), both per client address. Returns false when one of them is exhausted;
 * *shown is the verdict for the headers (the refusing one, else the one with fewer requests
 * left) and *limited says whether any limit covers this route. Built-in routes (/health,
 * /ready) are never limited: probes must not be refused. */
static bool check_limits(worker *w, dooh_rl_verdict *shown, bool *limited) {
    const dooh_app *app = w->srv->app;
    long ri = w->req.route - w->srv->routes;
    const dooh_ratelimit *lims[2] = { NULL, NULL };
    *limited = false;
    if (ri < 0 || ri >= app->nroutes) return true;
    lims[0] = app->ratelimit;
    lims[1] = app->route_limits ? app->route_limits[ri] : NULL;
    if (!lims[0] && !lims[1]) return true;
    uint8_t key[DOOH_RL_KEY_LEN];
    dooh_rl_client_key(&w->req, key);
    int64_t now = dooh_rl_now_ms();
    for (int i = 0; i < 2; i++) {
        if (!lims[i]) continue;
        dooh_rl_verdict v;
        uint32_t scope = i == 0 ? DOOH_RL_SCOPE_APP : DOOH_RL_SCOPE_ROUTE + (uint32_t)ri;
        bool ok = dooh_rl_take(scope, key, lims[i]->max, lims[i]->window_s, 1, now, &v);
        if (!*limited || !ok || v.remaining < shown->remaining) *shown = v;
        *limited = true;
        if (!ok) return false;
    }
    return true;
}

/* True when the handler already set RateLimit headers of its own (login and signup). */
static bool has_ratelimit_headers(const dooh_response *res) {
    for (int i = 0; i < res->nextra; i++)
        if (dooh_str_eq(res->extra[i].name, DOOH_LIT("RateLimit-Limit"))) return true;
    return false;
}

/* Route and answer one complete request whose head is h and body `body`. */
static void dispatch(worker *w, conn *c, const dooh_http_head *h, dooh_str body) {
    dooh_ctx *ctx = &w->ctx;
    dooh_request *req = &w->req;
    begin_response(w);
    req->method = h->method;
    req->version_minor = h->version_minor;
    req->target = h->target;
    req->path = h->path;
    req->query = h->query;
    req->headers = h->headers;
    req->nheaders = h->nheaders;
    req->body = body;
    req->route = NULL;
    req->nparams = 0;
    req->request_id = h->request_id.ptr ? h->request_id : gen_request_id(w);
    memcpy(req->peer, c->peer, sizeof req->peer);
    ctx->req = req;
    int preflight_allow = 0; /* for CORS: the path's methods when the router answers OPTIONS */

    if (h->method == 0) {
        dooh_res_problem(ctx, &w->res, 501, DOOH_LIT("request method not implemented"));
    } else {
        int allow = 0;
        switch (dooh_router_match(w->srv->router, ctx, req, &allow)) {
        case DOOH_ROUTE_FOUND: {
            dooh_rl_verdict rl;
            bool limited;
            if (!check_limits(w, &rl, &limited)) dooh_rl_refuse(ctx, &w->res, &rl);
            else run_handler(w);
            /* After the handler, which may have replaced the response (and its headers). */
            if (limited && !has_ratelimit_headers(&w->res)) dooh_rl_headers(ctx, &w->res, &rl);
            break;
        }
        case DOOH_ROUTE_NOT_FOUND:
            dooh_res_problem(ctx, &w->res, 404, DOOH_LIT("no route matches this path"));
            break;
        case DOOH_ROUTE_BAD_PATH:
            dooh_res_problem(ctx, &w->res, 400, DOOH_LIT("malformed path segment"));
            break;
        case DOOH_ROUTE_BAD_METHOD:
        case DOOH_ROUTE_OPTIONS: {
            char *a = dooh_alloc(ctx, 64);
            dooh_str allow_s = { a, (int64_t)dooh_router_allow_str(allow, a) };
            if (req->method == DOOH_OPTIONS) w->res.status = 204;
            else dooh_res_problem(ctx, &w->res, 405, DOOH_LIT("method not allowed on this path"));
            dooh_res_header(&w->res, "Allow", allow_s);
            if (req->method == DOOH_OPTIONS) preflight_allow = allow;
            break;
        }
        }
        /* app.cors: Access-Control-* headers, and the preflight answer (cors.c). */
        if (w->srv->app->cors) dooh_cors_apply(ctx, w->srv->app->cors, req, preflight_allow, &w->res);
    }

    /* HTTP/1.1 keeps the connection unless told otherwise; HTTP/1.0 closes unless asked to
     * keep it, and then we say that we do. */
    bool keep = h->version_minor == 1 ? !h->conn_close : (h->conn_keep_alive && !h->conn_close);
    if (w->draining || c->nreq + 1 >= w->srv->lim.max_requests_per_conn) keep = false;
    int connection = !keep ? DOOH_CONN_CLOSE : h->version_minor == 0 ? DOOH_CONN_KEEP_ALIVE : DOOH_CONN_DEFAULT;
    finish_response(w, c, h, h->method == DOOH_HEAD, connection);
    c->nreq++;
}

/* Queue "100 Continue" once for a request that asked for it and whose body is not in yet. */
static void maybe_continue(worker *w, conn *c) {
    if (c->expect && !c->cont_sent) {
        dooh_buf_lit(&w->obuf, "HTTP/1.1 100 Continue\r\n\r\n");
        c->cont_sent = true;
    }
}

/* Handle the request at buf[0..len). Returns the bytes it used after answering it, 0 when
 * it is incomplete, or -1 after answering an error (c->closing is then set). */
static long handle_one(worker *w, conn *c, char *buf, size_t len) {
    const dooh_http_limits *lim = &w->srv->lim;
    dooh_http_head *h = &w->head;
    int status = 0;
    bool parsed = false;
    h->headers = w->hdrs;
    if (!c->head_done) {
        int r = dooh_http_parse_head(buf, len, lim, &c->scan, h, &status);
        if (r == -2) return 0;
        if (r < 0) {
            answer_error(w, c, status, h->error);
            return -1;
        }
        parsed = true;
        c->head_done = true;
        c->head_len = (size_t)r;
        c->body_kind = h->body_kind;
        c->content_length = h->content_length;
        c->expect = h->expect_continue;
        c->cont_sent = false;
        if (h->body_kind == DOOH_BODY_CHUNKED) memset(&c->chunk, 0, sizeof c->chunk);
    }

    size_t total;
    dooh_str body = DOOH_LIT("");
    if (c->body_kind == DOOH_BODY_NONE) {
        total = c->head_len;
    } else if (c->body_kind == DOOH_BODY_LENGTH) {
        total = c->head_len + (size_t)c->content_length;
        if (len < total) {
            maybe_continue(w, c);
            return 0;
        }
        body = (dooh_str){ buf + c->head_len, (int64_t)c->content_length };
    } else {
        int r = dooh_http_chunked_decode(&c->chunk, buf + c->head_len, len - c->head_len, lim, &status);
        if (r < 0) {
            answer_error(w, c, status, status == 413 ? "body too large" : "malformed chunked body");
            return -1;
        }
        if (r == 0) {
            maybe_continue(w, c);
            return 0;
        }
        total = c->head_len + c->chunk.src;
        body = (dooh_str){ buf + c->head_len, (int64_t)c->chunk.dst };
    }
    /* The head's slices are re-derived when its body arrived in a later read, since the
     * buffer may have moved; parsing the same bytes gives the same answer. */
    if (!parsed && dooh_http_parse_head(buf, c->head_len, lim, NULL, h, &status) != (int)c->head_len) {
        answer_error(w, c, 500, "internal server error");
        return -1;
    }
    dispatch(w, c, h, body);
    c->head_done = false;
    c->scan = (dooh_http_scan){ 0, 0 };
    c->timer = T_IDLE;
    return (long)total;
}

/* Park c's output until `group` commits (settle): the responses made by this read move to
 * c->out, the one that joined the group starting at `off`. Returns false: c is not read
 * until then. c->out is empty here, since a connection with pending output is not read. */
static bool wait_for_commit(worker *w, conn *c, uint64_t group, size_t off) {
    if (w->nwait == w->capwait) {
        int cap = w->capwait ? 2 * w->capwait : 64;
        waiting *p = realloc(w->wait, sizeof *p * (size_t)cap);
        if (p == NULL) {
            /* Cannot remember it: commit now and answer as usual. */
            dooh__group->commit();
            if (dooh__group->status(group) != 0) {
                dooh_buf_clear(&w->obuf);
                conn_close(w, c);
                return false;
            }
            return flush(w, c);
        }
        w->wait = p;
        w->capwait = cap;
    }
    w->wait[w->nwait++] = (waiting){ conn_tag(w, c), group, c->out.len + off };
    dooh_buf_put(&c->out, w->obuf.p, w->obuf.len);
    c->out_off = 0;
    dooh_buf_clear(&w->obuf);
    return false;
}

/* Answer every complete request in buf[0..len) and keep the incomplete rest on c. `owned`
 * says buf is c->in (else it is the worker's read buffer). Ends with one send. Returns false
 * when c must not be read now (closed, lingering or output pending). */
static bool process(worker *w, conn *c, char *buf, size_t len, bool owned) {
    const dooh_http_limits *lim = &w->srv->lim;
    size_t off = 0, wait_off = 0;
    uint64_t group = 0;
    while (off < len && !c->closing) {
        size_t before = w->obuf.len;
        long r = handle_one(w, c, buf + off, len - off);
        if (r <= 0) break;
        off += (size_t)r;
        if (dooh__group && (group = dooh__group->take()) != 0) {
            /* The rest waits until this response is committed and sent. */
            wait_off = before;
            break;
        }
    }
    if (c->closing) {
        dooh_buf_free(&c->in);
    } else if (off < len) {
        if (owned) {
            if (off) memmove(c->in.p, c->in.p + off, len - off);
            c->in.len = len - off;
        } else {
            dooh_buf_put(&c->in, buf + off, len - off);
        }
    } else if (owned) {
        dooh_buf_free(&c->in);
    }

    if (!c->closing) {
        if (c->in.len == 0) {
            c->timer = T_IDLE;
            c->deadline = w->now_ms + (int64_t)lim->keepalive_timeout * 1000;
        } else if (c->head_done) {
            c->timer = T_BODY;
            c->deadline = w->now_ms + (int64_t)lim->body_timeout * 1000;
        } else if (c->timer != T_HEADER) {
            c->timer = T_HEADER;
            c->deadline = w->now_ms + (int64_t)lim->header_timeout * 1000;
        }
    }
    if (group) return wait_for_commit(w, c, group, wait_off);
    return flush(w, c);
}

/* Make room in c->in for the next read. A declared Content-Length is not trusted for
 * allocation: the buffer grows geometrically as bytes arrive, never past what is missing. */
static bool in_reserve(conn *c) {
    size_t room = c->in.cap - c->in.len;
    size_t want = IN_CHUNK;
    if (c->head_done && c->body_kind == DOOH_BODY_LENGTH) {
        size_t total = c->head_len + (size_t)c->content_length;
        size_t missing = total > c->in.len ? total - c->in.len : 0;
        size_t grow = c->in.cap > IN_CHUNK ? c->in.cap : IN_CHUNK;
        want = missing < grow ? missing : grow;
        if (want < 4096) want = 4096; /* room for a pipelined request after the body */
    } else if (c->in.cap > IN_CHUNK) {
        want = c->in.cap;
    }
    if (room >= want / 2 && room >= 1024) return true;
    return dooh_buf_reserve(&c->in, want);
}

/* Where the next read from c goes: the tail of c->in when it holds a partial request (or
 * this round's input has used up the read buffer), else the free part of the worker's read
 * buffer. False when c->in cannot grow: c is closed then. */
static bool read_target(worker *w, conn *c, bool *owned, char **dst, size_t *room) {
    *owned = c->in.len > 0 || RBUF_SIZE - w->rbuf_used < RBUF_MIN;
    if (*owned) {
        if (!in_reserve(c)) {
            conn_close(w, c);
            return false;
        }
        *dst = c->in.p + c->in.len;
        *room = c->in.cap - c->in.len;
    } else {
        *dst = w->rbuf + w->rbuf_used;
        *room = RBUF_SIZE - w->rbuf_used;
    }
    return true;
}

/* Read snapshots (group.h): CRUD reads may share one only while every byte they answer was
 * received before it began, so any read from a socket ends the current one. */
static void reads_shared(bool on) {
    if (dooh__group) dooh__group->batch(on);
}

/* One recv from c into its read target (read_target), recorded on c (c->in's length when
 * owned, unread, rdhup). Returns the bytes read, or 0 when there is nothing more for now:
 * the socket is drained (a draining idle connection is then closed) or c was closed (EOF,
 * a socket error, no memory). *dst is where the bytes are. */
static size_t recv_some(worker *w, conn *c, bool rdhup, bool *owned, char **dst) {
    for (;;) {
        size_t room;
        if (!read_target(w, c, owned, dst, &room)) return 0;
        ssize_t n = recv(c->fd, *dst, room, 0);
        if (n > 0) {
            if (*owned) c->in.len += (size_t)n;
            c->unread = (size_t)n >= room || rdhup;
            c->rdhup = rdhup;
            return (size_t)n;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (w->draining && c->in.len == 0) conn_close(w, c);
            return 0;
        }
        /* EOF or a socket error. A partial request can never complete now. */
        conn_close(w, c);
        return 0;
    }
}

/* Read from c until the socket is drained (edge-triggered), answering as we go. */
static void conn_read(worker *w, conn *c, bool rdhup) {
    for (;;) {
        bool owned;
        char *dst;
        reads_shared(false);
        size_t n = recv_some(w, c, rdhup, &owned, &dst);
        if (n == 0) return;
        reads_shared(true);
        bool go = owned ? process(w, c, c->in.p, c->in.len, true) : process(w, c, dst, n, false);
        reads_shared(false);
        /* A short read drained the socket: the next byte will raise a new edge. After a
         * half-close we keep reading to see the EOF, which raises no further event. */
        if (!go || !c->unread) return;
    }
}

/* A round has two phases. First every ready connection is read once (gather), then their
 * requests are answered in event order (run_ready). Every request answered in the second
 * phase was received before any of them was handled, so their CRUD reads can share one
 * snapshot (group.h) — which saves SQLite's per-transaction locking calls on every read but
 * the first. A connection whose read filled its room is read on (conn_read) after its turn. */
static void gather(worker *w, conn *c, bool rdhup) {
    bool owned;
    char *dst;
    size_t n = recv_some(w, c, rdhup, &owned, &dst);
    if (n == 0) return;
    w->ready[w->nready++] = (ready){ conn_tag(w, c), owned ? 0 : (size_t)(dst - w->rbuf), n, owned };
    if (!owned) w->rbuf_used += n;
}

static void settle(worker *w);

static void run_ready(worker *w) {
    reads_shared(true);
    for (int i = 0; i < w->nready; i++) {
        ready e = w->ready[i];
        conn *c = &w->conns[(uint32_t)e.tag];
        if (c->fd < 0 || c->gen != (uint32_t)(e.tag >> 32)) continue;
        bool go = e.owned ? process(w, c, c->in.p, c->in.len, true)
                          : process(w, c, w->rbuf + e.off, e.len, false);
        if (go && c->unread) {
            conn_read(w, c, c->rdhup);
            reads_shared(true);
        }
        if (w->nwait >= GROUP_MAX) {
            reads_shared(false);
            settle(w);
            reads_shared(true);
        }
    }
    reads_shared(false);
    w->nready = 0;
    w->rbuf_used = 0;
}

/* Handle an epoll event for a connection: pending output first, then input. */
static void on_conn(worker *w, conn *c, uint32_t events) {
    if (c->lingering) {
        linger_read(w, c);
        return;
    }
    if (events & EPOLLERR) {
        conn_close(w, c);
        return;
    }
    if (c->out.len) {
        if (!(events & EPOLLOUT) || !send_pending(w, c)) return;
        if (c->out.len) return;
        if (c->closing) {
            conn_linger(w, c);
            return;
        }
        /* Input that arrived while we were blocked raised its edge already; read it now. */
    }
    gather(w, c, (events & (EPOLLRDHUP | EPOLLHUP)) != 0);
}

/* The answer that replaces a response whose group failed to commit (nothing of it was
 * written); the connection closes after it. */
static void answer_uncommitted(worker *w, conn *c, int status) {
    begin_response(w);
    memset(&w->req, 0, sizeof w->req);
    w->req.request_id = gen_request_id(w);
    w->ctx.req = NULL;
    dooh_res_problem(&w->ctx, &w->res, status,
                     DOOH_LIT("the change could not be saved; nothing was written"));
    if (status != 500) dooh_res_header(&w->res, "Retry-After", DOOH_LIT("1"));
    finish_response(w, c, NULL, false, DOOH_CONN_CLOSE);
}

/* End of a round: commit the worker's group, then send every waiting response (or its
 * replacement) and go on with what its connection sent after it. Responses that wait again
 * (a later write on the same connection) are settled next round, which then does not block
 * in epoll_wait. */
static void settle(worker *w) {
    if (w->nwait == 0 || dooh__group == NULL) return;
    dooh__group->commit();
    int n = w->nwait;
    for (int i = 0; i < n; i++) {
        waiting e = w->wait[i];
        conn *c = &w->conns[(uint32_t)e.tag];
        if (c->fd < 0 || c->gen != (uint32_t)(e.tag >> 32)) continue;
        int status = dooh__group->status(e.group);
        if (status != 0) {
            c->out.len = e.off;
            dooh_buf_free(&c->in);
            c->head_done = false;
            answer_uncommitted(w, c, status);
            dooh_buf_put(&c->out, w->obuf.p, w->obuf.len);
            dooh_buf_clear(&w->obuf);
        }
        if (!send_pending(w, c)) continue;
        if (c->out.len) {
            /* The socket is full: EPOLLOUT continues it, as after a partial flush. */
            c->timer = T_WRITE;
            c->deadline = w->now_ms + (int64_t)w->srv->lim.body_timeout * 1000;
            set_events(w, c, true);
            continue;
        }
        if (c->closing) {
            conn_linger(w, c);
            continue;
        }
        /* Requests that arrived behind the write, then whatever the socket holds (its edge
         * was consumed when we stopped reading). */
        if (c->in.len && !process(w, c, c->in.p, c->in.len, true)) continue;
        if (c->unread) conn_read(w, c, c->rdhup);
    }
    memmove(w->wait, w->wait + n, sizeof *w->wait * (size_t)(w->nwait - n));
    w->nwait -= n;
    dooh__group->forget();
}

/* ---- accepting ---- */

/* The peer address as 16 bytes: IPv6 as is, IPv4 as ::ffff:a.b.c.d (rate-limit keys). */
static void peer_key(const struct sockaddr_storage *sa, uint8_t out[16]) {
    memset(out, 0, 16);
    if (sa->ss_family == AF_INET6) {
        memcpy(out, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
    } else if (sa->ss_family == AF_INET) {
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
    }
}

static void pause_accept(worker *w) {
    epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->lfd, NULL);
    w->accept_paused = true;
    w->accept_resume = w->now_ms + ACCEPT_PAUSE_MS;
}

/* Accept every pending connection (until EAGAIN), enforcing the connection limit. */
static void on_accept(worker *w) {
    long max = w->srv->lim.max_conns;
    for (;;) {
        struct sockaddr_storage peer;
        socklen_t peerlen = sizeof peer;
        int fd = accept4(w->lfd, (struct sockaddr *)&peer, &peerlen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            /* Out of descriptors or memory: the pending connection stays queued and the
             * listener stays readable, so stop watching it for a moment instead of
             * spinning on it. */
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) pause_accept(w);
            return;
        }
        if (atomic_fetch_add_explicit(&g_nconns, 1, memory_order_relaxed) >= max) {
            atomic_fetch_sub_explicit(&g_nconns, 1, memory_order_relaxed);
            close(fd);
            continue;
        }
        conn *c = slot_alloc(w);
        if (!c) {
            atomic_fetch_sub_explicit(&g_nconns, 1, memory_order_relaxed);
            close(fd);
            continue;
        }
        c->fd = fd;
        peer_key(&peer, c->peer);
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.u64 = conn_tag(w, c) };
        if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
            conn_close(w, c);
            continue;
        }
        /* The first request's whole head must arrive within the header deadline. */
        c->timer = T_HEADER;
        c->deadline = w->now_ms + (int64_t)w->srv->lim.header_timeout * 1000;
    }
}

/* ---- deadlines and shutdown ---- */

static void expire(worker *w, conn *c) {
    switch (c->timer) {
    case T_HEADER:
    case T_BODY:
        /* Nothing received yet on this request: a silent close, as for an idle one. */
        if (c->in.len == 0 && c->timer == T_HEADER) {
            conn_close(w, c);
            return;
        }
        dooh_buf_free(&c->in);
        c->head_done = false;
        answer_error(w, c, 408, "request timed out");
        flush(w, c);
        return;
    default:
        conn_close(w, c);
        return;
    }
}

/* Expire every connection whose deadline has passed (called once a second). */
static void sweep(worker *w) {
    for (int i = 0; i < w->hw; i++) {
        conn *c = &w->conns[i];
        if (c->fd >= 0 && c->deadline <= w->now_ms) expire(w, c);
    }
}

/* SIGTERM: stop accepting at once, close idle connections, let the others finish their
 * current request (answered with Connection: close). */
static void begin_drain(worker *w) {
    atomic_store_explicit(&g_draining, true, memory_order_relaxed);
    w->draining = true;
    w->drain_deadline = w->now_ms + (int64_t)w->srv->lim.drain_timeout * 1000;
    epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->srv->stop_fd, NULL);
    close(w->lfd);
    w->lfd = -1;
    /* Requests gathered earlier in this round are in flight: answer them (with close) before
     * deciding which connections are idle. */
    run_ready(w);
    for (int i = 0; i < w->hw; i++) {
        conn *c = &w->conns[i];
        if (c->fd < 0 || c->lingering || c->out.len) continue;
        if (c->in.len) continue; /* mid-request: answered with close when it completes */
        /* An idle connection may have a request in its socket buffer that we have not seen;
         * answer it (with close) rather than drop it, and close the connection otherwise. */
        conn_read(w, c, false);
    }
}

/* A worker's event loop; returns when draining is over. */
static void *worker_main(void *arg) {
    worker *w = arg;
    struct epoll_event evs[MAX_EVENTS];
    if (dooh__group) dooh__group->enable();
    tick(w);
    w->last_sweep = w->now_ms / 1000;
    for (;;) {
        int timeout = -1;
        if (w->nconns > 0) timeout = 1000;
        if (w->draining) timeout = 100;
        if (w->accept_paused) {
            int64_t left = w->accept_resume - w->now_ms;
            if (left < 1) left = 1;
            if (timeout < 0 || left < timeout) timeout = (int)left;
        }
        if (w->nwait) timeout = 0;
        int n = epoll_wait(w->epfd, evs, MAX_EVENTS, timeout);
        tick(w);
        for (int i = 0; i < n; i++) {
            uint64_t tag = evs[i].data.u64;
            if (tag == TAG_LISTEN) {
                if (!w->draining) on_accept(w);
            } else if (tag == TAG_STOP) {
                if (!w->draining) begin_drain(w);
            } else {
                conn *c = &w->conns[(uint32_t)tag];
                if (c->fd >= 0 && c->gen == (uint32_t)(tag >> 32)) on_conn(w, c, evs[i].events);
                /* Answer what was gathered while it is still in the cache. */
                if (w->rbuf_used >= GATHER_MAX) run_ready(w);
            }
        }
        if (w->accept_paused && !w->draining && w->now_ms >= w->accept_resume) {
            struct epoll_event ev = { .events = EPOLLIN, .data.u64 = TAG_LISTEN };
            w->accept_paused = false;
            if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->lfd, &ev) == 0) on_accept(w);
        }
        run_ready(w);
        settle(w);
        if (w->now_ms / 1000 != w->last_sweep) {
            w->last_sweep = w->now_ms / 1000;
            sweep(w);
        }
        if (w->draining) {
            if (w->nconns == 0) break;
            if (w->now_ms >= w->drain_deadline) {
                for (int i = 0; i < w->hw; i++)
                    if (w->conns[i].fd >= 0) conn_close(w, &w->conns[i]);
                break;
            }
        }
    }
    /* A group left open by connections the drain deadline closed: end it, which also lets
     * another worker that waits for its turn go on. */
    if (dooh__group) dooh__group->commit();
    atomic_fetch_sub(&g_running, 1);
    return NULL;
}

/* ---- start-up ---- */

static void worker_free(worker *w) {
    if (w->lfd >= 0) close(w->lfd);
    if (w->epfd >= 0) close(w->epfd);
    free(w->conns);
    free(w->rbuf);
    free(w->hdrs);
    dooh_buf_free(&w->obuf);
    dooh_buf_free(&w->body);
    dooh_buf_free(&w->log);
    dooh_ctx_free(&w->ctx);
    free(w->wait);
}

/* Set up a worker around its listener; false when out of memory or descriptors. */
static bool worker_init(worker *w, server *srv, int lfd) {
    memset(w, 0, sizeof *w);
    w->srv = srv;
    w->lfd = lfd;
    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    w->cap = (int)srv->lim.max_conns;
    w->free_head = -1;
    /* calloc of a large table maps zero pages lazily: only slots ever used cost memory. */
    w->conns = calloc((size_t)w->cap, sizeof *w->conns);
    w->rbuf = malloc(RBUF_SIZE);
    w->hdrs = malloc(srv->lim.headers * sizeof *w->hdrs);
    dooh_ctx_init(&w->ctx);
    dooh_buf_init(&w->obuf);
    dooh_buf_init(&w->body);
    dooh_buf_init(&w->log);
    uint32_t r = 0;
    if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r) r = (uint32_t)time(NULL) ^ (uint32_t)(uintptr_t)w;
    for (int i = 7; i >= 0; i--) {
        w->rid[i] = hexdig[r & 15];
        r >>= 4;
    }
    if (w->epfd < 0 || !w->conns || !w->rbuf || !w->hdrs) return false;
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = TAG_LISTEN };
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, lfd, &ev) < 0) return false;
    ev.data.u64 = TAG_STOP;
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, srv->stop_fd, &ev) < 0) return false;
    return true;
}

/* Parse "host:port", ":port" or "[v6]:port" into *sa. Returns false when malformed. */
static bool parse_addr(const char *s, struct sockaddr_storage *sa, socklen_t *salen) {
    const char *colon = strrchr(s, ':');
    if (!colon || !colon[1] || strlen(colon + 1) > 5) return false;
    long port = 0;
    for (const char *p = colon + 1; *p; p++) {
        if (*p < '0' || *p > '9') return false;
        port = port * 10 + (*p - '0');
    }
    if (port > 65535) return false;
    char host[64];
    size_t hn = (size_t)(colon - s);
    if (hn >= sizeof host) return false;
    memcpy(host, s, hn);
    host[hn] = 0;
    memset(sa, 0, sizeof *sa);
    if (hn >= 2 && host[0] == '[' && host[hn - 1] == ']') {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)sa;
        host[hn - 1] = 0;
        if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1) return false;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        *salen = sizeof *a6;
        return true;
    }
    struct sockaddr_in *a4 = (struct sockaddr_in *)sa;
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    *salen = sizeof *a4;
    if (hn == 0) a4->sin_addr.s_addr = htonl(INADDR_ANY);
    else if (!strcmp(host, "localhost")) a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    else if (inet_pton(AF_INET, host, &a4->sin_addr) != 1) return false;
    return true;
}

/* Replace the port of an IPv4 or IPv6 address. */
static void set_port(struct sockaddr_storage *sa, int port) {
    if (sa->ss_family == AF_INET6) ((struct sockaddr_in6 *)sa)->sin6_port = htons((uint16_t)port);
    else ((struct sockaddr_in *)sa)->sin_port = htons((uint16_t)port);
}

/* "host:port" (IPv6 hosts in brackets) for messages and the start-up line. */
static void addr_text(const struct sockaddr_storage *sa, char *out, size_t n) {
    char host[INET6_ADDRSTRLEN];
    if (sa->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &a6->sin6_addr, host, sizeof host);
        snprintf(out, n, "[%s]:%u", host, ntohs(a6->sin6_port));
    } else {
        const struct sockaddr_in *a4 = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &a4->sin_addr, host, sizeof host);
        snprintf(out, n, "%s:%u", host, ntohs(a4->sin_port));
    }
}

/* Resolve the listening address from app->addr, DOO_ADDR and PORT. DOO_ADDR replaces the
 * whole address; otherwise PORT replaces the port. Returns false after printing why. */
static bool resolve_addr(const dooh_app *app, struct sockaddr_storage *sa, socklen_t *salen) {
    const char *env_addr = getenv("DOO_ADDR"), *env_port = getenv("PORT");
    if (env_addr) {
        if (!parse_addr(env_addr, sa, salen)) {
            fprintf(stderr, "doo: invalid DOO_ADDR \"%.64s\" (expected host:port or :port)\n", env_addr);
            return false;
        }
        return true;
    }
    if (!parse_addr(app->addr ? app->addr : ":3000", sa, salen)) {
        fprintf(stderr, "doo: invalid server address \"%.64s\" (expected host:port or :port)\n", app->addr);
        return false;
    }
    if (env_port) {
        long port = 0;
        size_t n = strlen(env_port);
        bool ok = n >= 1 && n <= 5;
        for (size_t i = 0; ok && i < n; i++) {
            if (env_port[i] < '0' || env_port[i] > '9') ok = false;
            else port = port * 10 + (env_port[i] - '0');
        }
        if (!ok || port > 65535) {
            fprintf(stderr, "doo: invalid PORT \"%.64s\" (expected a number from 0 to 65535)\n", env_port);
            return false;
        }
        set_port(sa, (int)port);
    }
    return true;
}

/* Worker count: DOO_THREADS, else the CPUs in the affinity mask; -1 after printing why. */
static int thread_count(void) {
    const char *s = getenv("DOO_THREADS");
    if (s) {
        long v = 0;
        size_t n = strlen(s);
        bool ok = n >= 1 && n <= 4;
        for (size_t i = 0; ok && i < n; i++) {
            if (s[i] < '0' || s[i] > '9') ok = false;
            else v = v * 10 + (s[i] - '0');
        }
        if (!ok || v < 1 || v > MAX_THREADS) {
            fprintf(stderr, "doo: invalid DOO_THREADS \"%.64s\" (expected a number from 1 to %d)\n", s, MAX_THREADS);
            return -1;
        }
        return (int)v;
    }
    /* The affinity mask, not the machine's CPU count: `taskset -c 0` means one worker. */
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n >= 1) return n > MAX_THREADS ? MAX_THREADS : n;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n >= 1 ? (int)(n > MAX_THREADS ? MAX_THREADS : n) : 1;
}

/* One listening socket per worker, all on the same address (SO_REUSEPORT), so the kernel
 * spreads connections across workers with no shared accept queue. */
static int open_listener(struct sockaddr_storage *sa, socklen_t salen) {
    int fd = socket(sa->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0 ||
        bind(fd, (struct sockaddr *)sa, salen) < 0 || listen(fd, 4096) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* SO_REUSEPORT would let us share a port that another server of the same user already
 * listens on, silently splitting its traffic. A bind without it fails in that case, so probe
 * once that way first; the probe also fixes the port when 0 asked for any free one. Returns
 * false after printing why. */
static bool probe_addr(struct sockaddr_storage *sa, socklen_t salen) {
    char at[80];
    int fd = socket(sa->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(fd, (struct sockaddr *)sa, salen) < 0) {
        int e = errno;
        if (fd >= 0) close(fd);
        addr_text(sa, at, sizeof at);
        fprintf(stderr, "doo: cannot listen on %s: %s\n", at, strerror(e));
        return false;
    }
    struct sockaddr_storage got;
    socklen_t gl = sizeof got;
    if (getsockname(fd, (struct sockaddr *)&got, &gl) == 0) {
        int port = ntohs(got.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&got)->sin6_port
                                                   : ((struct sockaddr_in *)&got)->sin_port);
        set_port(sa, port);
    }
    close(fd);
    return true;
}

/* ---- built-in routes: GET /health and GET /ready (http.md, "Always there") ---- */

/* Liveness: the process is up and its loop answers. */
static void health_handler(dooh_ctx *ctx, dooh_request *req, dooh_response *res) {
    (void)ctx;
    (void)req;
    dooh_res_set(res, 200, "application/json", DOOH_LIT("{\"status\":\"ok\"}"));
}

/* Readiness: 200 while serving, 503 once draining so that a load balancer stops sending
 * new traffic before the process exits. (Without a database there is nothing else to wait
 * for; the data layer adds its check here.) */
static void ready_handler(dooh_ctx *ctx, dooh_request *req, dooh_response *res) {
    (void)req;
    if (atomic_load_explicit(&g_draining, memory_order_relaxed)) {
        dooh_res_problem(ctx, res, 503, DOOH_LIT("the server is shutting down"));
        dooh_res_header(res, "Retry-After", DOOH_LIT("1"));
        return;
    }
    dooh_res_set(res, 200, "application/json", DOOH_LIT("{\"status\":\"ready\"}"));
}

static const dooh_route builtin_routes[] = {
    { DOOH_GET, "/health", health_handler },
    { DOOH_GET, "/ready", ready_handler },
};
enum { NBUILTIN = (int)(sizeof builtin_routes / sizeof builtin_routes[0]) };

/* A built-in route is added unless the program declares the same method and path: the
 * program's own /health wins. */
static bool app_has_route(const dooh_app *app, const dooh_route *b) {
    for (int i = 0; i < app->nroutes; i++)
        if (app->routes[i].method == b->method && strcmp(app->routes[i].pattern, b->pattern) == 0)
            return true;
    return false;
}

static int count_builtins(const dooh_app *app) {
    int n = 0;
    for (int i = 0; i < NBUILTIN; i++) n += !app_has_route(app, &builtin_routes[i]);
    return n;
}

/* The program's routes followed by the built-ins it does not override (allocated once at
 * start-up, freed by dooh_app_run after the router when the server stops). */
static dooh_route *with_builtin_routes(const dooh_app *app) {
    dooh_route *all = calloc((size_t)app->nroutes + NBUILTIN, sizeof *all);
    if (!all) return NULL;
    int n = 0;
    for (int i = 0; i < app->nroutes; i++) all[n++] = app->routes[i];
    for (int i = 0; i < NBUILTIN; i++)
        if (!app_has_route(app, &builtin_routes[i])) all[n++] = builtin_routes[i];
    return all;
}

/* Configure, listen, serve until SIGTERM/SIGINT, drain; the exit status (dooh/http.h). */
int dooh_app_run(const dooh_app *app) {
    server srv;
    memset(&srv, 0, sizeof srv);
    srv.app = app;
    srv.stop_fd = -1;
    dooh_http_limits_default(&srv.lim);
    const char *bad = dooh_http_limits_from_env(&srv.lim);
    if (bad) {
        fprintf(stderr, "doo: invalid %s \"%.64s\" (expected a plain decimal number in range)\n", bad, getenv(bad));
        return 1;
    }
    dooh_json_set_max_depth(srv.lim.json_depth);
    const char *log = getenv("DOO_LOG");
    if (log && *log && strcmp(log, "access") != 0) {
        fprintf(stderr, "doo: invalid DOO_LOG \"%.64s\" (expected \"access\")\n", log);
        return 1;
    }
    srv.access_log = log && !strcmp(log, "access");
    /* Rate-limit table size and whether X-Forwarded-For names the client (ratelimit.c). */
    bool trust_proxy = app->ratelimit && app->ratelimit->trust_proxy;
    for (int i = 0; app->route_limits && i < app->nroutes; i++)
        trust_proxy |= app->route_limits[i] && app->route_limits[i]->trust_proxy;
    if ((bad = dooh_rl_configure(trust_proxy)) != NULL) {
        fprintf(stderr, "doo: invalid %s \"%.64s\" (expected a plain decimal number in range)\n", bad, getenv(bad));
        return 1;
    }
    struct sockaddr_storage sa;
    socklen_t salen;
    if (!resolve_addr(app, &sa, &salen)) return 1;
    int nworkers = thread_count();
    if (nworkers < 0) return 1;
    char err[256];
    dooh_route *routes = with_builtin_routes(app);
    if (!routes) {
        fprintf(stderr, "doo: out of memory\n");
        return 1;
    }
    srv.routes = routes;
    srv.router = dooh_router_build(routes, app->nroutes + count_builtins(app), err, sizeof err);
    if (!srv.router) {
        fprintf(stderr, "doo: %s\n", err);
        free(routes);
        return 1;
    }

    /* Signals: SIGPIPE is ignored (sends use MSG_NOSIGNAL too); SIGTERM/SIGINT are blocked
     * in every thread and taken synchronously by the main thread below. Their disposition is
     * reset first: a shell starts background jobs with SIGINT ignored, and an ignored signal
     * is discarded instead of staying pending for sigwait. */
    signal(SIGPIPE, SIG_IGN);
    /* A file-size limit (ulimit -f) makes a database write fail with EFBIG, answered as an
     * error, instead of killing the process. */
    signal(SIGXFSZ, SIG_IGN);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    sigset_t stop_set, old_set;
    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGTERM);
    sigaddset(&stop_set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_set, &old_set);

    if (app->init) app->init();

    worker *ws = calloc((size_t)nworkers, sizeof *ws);
    int status = 1, started = 0, opened = 0, ninit = 0;
    int *lfds = calloc((size_t)nworkers, sizeof *lfds);
    srv.stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (!ws || !lfds || srv.stop_fd < 0) {
        fprintf(stderr, "doo: out of memory or descriptors at start-up\n");
        goto done;
    }
    if (!probe_addr(&sa, salen)) goto done;
    for (; opened < nworkers; opened++) {
        lfds[opened] = open_listener(&sa, salen);
        if (lfds[opened] < 0) {
            char at[80];
            addr_text(&sa, at, sizeof at);
            fprintf(stderr, "doo: cannot listen on %s: %s\n", at, strerror(errno));
            goto done;
        }
    }
    addr_text(&sa, srv.addr_text, sizeof srv.addr_text);
    srv.nworkers = nworkers;

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    /* musl's default thread stack is 128 KiB; handlers deserve what a main thread gets. */
    pthread_attr_setstacksize(&attr, WORKER_STACK);
    for (; ninit < nworkers; ninit++) {
        if (!worker_init(&ws[ninit], &srv, lfds[ninit])) {
            ws[ninit].lfd = -1; /* still owned by lfds[] */
            worker_free(&ws[ninit]);
            fprintf(stderr, "doo: cannot start worker %d: out of memory\n", ninit);
            goto stop;
        }
        lfds[ninit] = -1;
    }
    fprintf(stderr, "doo: listening on %s (%d thread%s, build %s)\n", srv.addr_text, nworkers,
            nworkers == 1 ? "" : "s", app->build_info ? app->build_info : "unknown");
    atomic_store(&g_running, nworkers);
    for (; started < nworkers; started++) {
        if (pthread_create(&ws[started].th, &attr, worker_main, &ws[started]) != 0) {
            atomic_fetch_sub(&g_running, nworkers - started);
            fprintf(stderr, "doo: cannot start worker thread %d\n", started);
            goto stop;
        }
    }

    /* Wait for the first signal, tell every worker through the eventfd, then wait for them
     * to drain; a second signal ends the process at once. */
    int sig;
    while (sigwait(&stop_set, &sig) != 0) {}
    status = 0;
stop: {
        uint64_t one = 1;
        ssize_t wr = write(srv.stop_fd, &one, sizeof one);
        (void)wr;
        struct timespec ts = { 0, 50 * 1000 * 1000 };
        while (atomic_load(&g_running) > 0) {
            if (sigtimedwait(&stop_set, NULL, &ts) > 0) _exit(0);
        }
        for (int i = 0; i < started; i++) pthread_join(ws[i].th, NULL);
        for (int i = 0; i < ninit; i++) worker_free(&ws[i]);
    }
    pthread_attr_destroy(&attr);
done:
    if (lfds)
        for (int i = 0; i < opened; i++)
            if (lfds[i] >= 0) close(lfds[i]);
    free(lfds);
    free(ws);
    if (srv.stop_fd >= 0) close(srv.stop_fd);
    dooh_router_free(srv.router);
    free(routes); /* after the router, which points into it (LeakSanitizer found it kept) */
    pthread_sigmask(SIG_SETMASK, &old_set, NULL);
    return status;
}
