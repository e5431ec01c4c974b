/* loadgen: Doo's HTTP/1.1 load generator.
 *
 * Role: put a bounded, measured load on one HTTP/1.1 server on this machine and report what it
 * saw as JSON lines on stdout, so that `doo bench`, the bench suite and the workbench can draw it.
 *
 * Input (argv): the server's IPv4 address and port, the number of keep-alive connections, the
 * duration (and optionally a total request count), the pipelining depth, and one or more
 * request templates ("weight method path [body-file]") chosen per request by weight.
 *
 * Output: one JSON object per tick interval (requests and latency percentiles of that interval,
 * cumulative totals) and one final summary object with "summary":true. Diagnostics go to stderr.
 * Exit status 0 after a run (even one full of errors: they are counted), 2 on bad arguments.
 *
 * Shape. One thread, one epoll instance, level-triggered. Every connection writes a batch of
 * `pipeline` requests in one send, then reads until every response of the batch has arrived,
 * then writes the next batch, as wrk does. The latency of a response is the time from the send
 * of its batch to the moment its last byte was parsed. Latencies go into an HDR-style histogram:
 * exact below 128 µs, then 64 buckets per power of two (under 1.6 % relative error).
 * A response that says `Connection: close` (or an orderly EOF) ends the connection; it is then
 * reopened, and requests that were written but never answered are not counted as errors only
 * when the server announced the close.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SUB_BITS 7
#define HIST_BUCKETS (64 * 64)
#define MAX_TEMPLATES 16
#define MAX_PIPELINE 256
#define RBUF_SIZE (64 * 1024)

typedef struct {
    uint64_t counts[HIST_BUCKETS];
    uint64_t total;
    uint64_t max_us;
} hist_t;

typedef struct {
    char *bytes; /* the whole request: line, headers, body */
    size_t len;
    unsigned weight;
} tmpl_t;

typedef enum { RS_HEAD, RS_BODY, RS_CHUNK_SIZE, RS_CHUNK_DATA, RS_CHUNK_CRLF, RS_TRAILER } rstate_t;

typedef struct {
    int fd;
    bool connecting;
    bool want_write;
    char *wbuf;            /* the current batch */
    size_t wlen, woff;
    unsigned outstanding;  /* requests of the batch not yet answered */
    uint64_t sent_ns;      /* when the batch was written */
    char rbuf[RBUF_SIZE];
    size_t rlen;
    rstate_t state;
    uint64_t body_left;
    bool close_after;      /* the current response said Connection: close */
    bool server_closing;   /* a completed response said so: the rest of the batch is void */
} conn_t;

static struct {
    struct sockaddr_in addr;
    const char *host_header;
    unsigned conns, pipeline;
    double duration, tick;
    uint64_t max_requests; /* 0: no bound but time */
    tmpl_t tmpl[MAX_TEMPLATES];
    unsigned ntmpl, weight_sum;
    char extra_headers[4096];
    size_t extra_len;
} cfg = {.conns = 64, .pipeline = 1, .duration = 10.0, .tick = 0.25};

static struct {
    uint64_t requests, errors, non2xx, issued, bytes;
    uint64_t i_requests, i_errors, i_non2xx;
    hist_t all, interval;
    uint64_t rng;
} st;

static int g_epoll;
static volatile sig_atomic_t g_stop;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* --- histogram ----------------------------------------------------------------------- */

static unsigned hist_index(uint64_t v) {
    if (v < (1u << SUB_BITS)) return (unsigned)v;
    unsigned msb = 63u - (unsigned)__builtin_clzll(v);
    unsigned shift = msb - SUB_BITS + 1;
    unsigned idx = (shift << (SUB_BITS - 1)) + (unsigned)(v >> shift);
    return idx < HIST_BUCKETS ? idx : HIST_BUCKETS - 1;
}

/* The upper bound of a bucket's values (a percentile is never reported below the truth). */
static uint64_t hist_value(unsigned idx) {
    if (idx < (1u << SUB_BITS)) return idx;
    unsigned shift = (idx >> (SUB_BITS - 1)) - 1;
    uint64_t m = idx - ((uint64_t)shift << (SUB_BITS - 1));
    return ((m + 1) << shift) - 1;
}

static void hist_add(hist_t *h, uint64_t us) {
    h->counts[hist_index(us)]++;
    h->total++;
    if (us > h->max_us) h->max_us = us;
}

static double hist_pct_ms(const hist_t *h, double pct) {
    if (h->total == 0) return 0.0;
    uint64_t want = (uint64_t)((double)h->total * pct / 100.0 + 0.5);
    if (want == 0) want = 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < HIST_BUCKETS; i++) {
        seen += h->counts[i];
        if (seen >= want) {
            uint64_t v = hist_value(i);
            if (v > h->max_us) v = h->max_us;
            return (double)v / 1000.0;
        }
    }
    return (double)h->max_us / 1000.0;
}

/* --- requests ------------------------------------------------------------------------ */

static uint64_t rng_next(void) {
    st.rng ^= st.rng << 13;
    st.rng ^= st.rng >> 7;
    st.rng ^= st.rng << 17;
    return st.rng;
}

static const tmpl_t *pick_template(void) {
    if (cfg.ntmpl == 1) return &cfg.tmpl[0];
    unsigned r = (unsigned)(rng_next() % cfg.weight_sum);
    for (unsigned i = 0; i < cfg.ntmpl; i++) {
        if (r < cfg.tmpl[i].weight) return &cfg.tmpl[i];
        r -= cfg.tmpl[i].weight;
    }
    return &cfg.tmpl[cfg.ntmpl - 1];
}

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *bigger = realloc(buf, cap *= 2);
            if (!bigger) { free(buf); buf = NULL; }
            else buf = bigger;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

static bool add_template(const char *spec) {
    /* "weight method path [body-file]" */
    char method[16], path[2048], file[1024] = "";
    unsigned weight;
    int n = sscanf(spec, "%u %15s %2047s %1023s", &weight, method, path, file);
    if (n < 3 || weight == 0 || cfg.ntmpl == MAX_TEMPLATES) return false;
    size_t body_len = 0;
    char *body = NULL;
    if (n == 4) {
        body = read_file(file, &body_len);
        if (!body) { fprintf(stderr, "loadgen: cannot read %s\n", file); return false; }
    }
    size_t cap = strlen(path) + cfg.extra_len + body_len + 512;
    char *req = malloc(cap);
    if (!req) return false;
    int len = snprintf(req, cap, "%s %s HTTP/1.1\r\nHost: %s\r\n%.*s", method, path,
                       cfg.host_header, (int)cfg.extra_len, cfg.extra_headers);
    if (n == 4 || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
        strcmp(method, "PATCH") == 0)
        len += snprintf(req + len, cap - (size_t)len, "Content-Length: %zu\r\n", body_len);
    len += snprintf(req + len, cap - (size_t)len, "\r\n");
    if (body_len) memcpy(req + len, body, body_len);
    free(body);
    cfg.tmpl[cfg.ntmpl++] = (tmpl_t){.bytes = req, .len = (size_t)len + body_len, .weight = weight};
    cfg.weight_sum += weight;
    return true;
}

/* --- connections --------------------------------------------------------------------- */

static void conn_open(conn_t *c);

static void conn_arm(conn_t *c, bool write) {
    struct epoll_event ev = {.events = EPOLLIN | (write ? EPOLLOUT : 0u), .data.ptr = c};
    c->want_write = write;
    epoll_ctl(g_epoll, EPOLL_CTL_MOD, c->fd, &ev);
}

static void conn_close(conn_t *c) {
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
}

/* Build and send the next batch; false when the request budget is spent. */
static bool conn_next_batch(conn_t *c) {
    unsigned n = cfg.pipeline;
    if (cfg.max_requests) {
        if (st.issued >= cfg.max_requests) return false;
        if (st.issued + n > cfg.max_requests) n = (unsigned)(cfg.max_requests - st.issued);
    }
    c->wlen = 0;
    for (unsigned i = 0; i < n; i++) {
        const tmpl_t *t = pick_template();
        memcpy(c->wbuf + c->wlen, t->bytes, t->len);
        c->wlen += t->len;
    }
    st.issued += n;
    c->woff = 0;
    c->outstanding = n;
    c->sent_ns = now_ns();
    return true;
}

static void conn_flush(conn_t *c) {
    while (c->woff < c->wlen) {
        ssize_t w = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EAGAIN) { if (!c->want_write) conn_arm(c, true); return; }
            st.errors++; st.i_errors++;
            conn_close(c);
            conn_open(c);
            return;
        }
        c->woff += (size_t)w;
    }
    if (c->want_write) conn_arm(c, false);
}

static void conn_open(conn_t *c) {
    if (g_stop) return;
    c->rlen = 0;
    c->state = RS_HEAD;
    c->close_after = c->server_closing = false;
    c->outstanding = 0;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) { st.errors++; st.i_errors++; return; }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int r = connect(c->fd, (struct sockaddr *)&cfg.addr, sizeof cfg.addr);
    if (r < 0 && errno != EINPROGRESS) {
        st.errors++; st.i_errors++;
        conn_close(c);
        return;
    }
    c->connecting = true;
    c->want_write = true;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
    epoll_ctl(g_epoll, EPOLL_CTL_ADD, c->fd, &ev);
}

/* A response ended: record it; start the next batch when this one is complete. */
static void response_done(conn_t *c, int status) {
    uint64_t us = (now_ns() - c->sent_ns) / 1000u;
    st.requests++; st.i_requests++;
    if (status < 200 || status > 299) { st.non2xx++; st.i_non2xx++; }
    hist_add(&st.all, us);
    hist_add(&st.interval, us);
    if (c->outstanding) c->outstanding--;
    if (c->close_after) c->server_closing = true;
}

static const char *find_crlf2(const char *p, size_t n) {
    const char *e = memmem(p, n, "\r\n\r\n", 4);
    return e;
}

/* Parse a response head in rbuf[off..]; returns bytes consumed, 0 if incomplete, -1 if bad. */
static long parse_head(conn_t *c, size_t off, int *status) {
    const char *p = c->rbuf + off, *end = find_crlf2(p, c->rlen - off);
    if (!end) return c->rlen - off >= RBUF_SIZE / 2 ? -1 : 0;
    if (end - p < 12 || memcmp(p, "HTTP/1.", 7) != 0) return -1;
    *status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
    bool chunked = false, has_len = false;
    uint64_t clen = 0;
    c->close_after = false;
    const char *line = memchr(p, '\n', (size_t)(end - p)) + 1;
    while (line < end + 2) {
        const char *eol = memchr(line, '\n', (size_t)(end + 4 - line));
        size_t ll = (size_t)(eol - line);
        if (ll > 15 && strncasecmp(line, "content-length:", 15) == 0) {
            has_len = true;
            clen = strtoull(line + 15, NULL, 10);
        } else if (ll > 18 && strncasecmp(line, "transfer-encoding:", 18) == 0) {
            chunked = memmem(line, ll, "chunked", 7) != NULL;
        } else if (ll > 11 && strncasecmp(line, "connection:", 11) == 0) {
            c->close_after = memmem(line, ll, "close", 5) != NULL;
        }
        line = eol + 1;
    }
    bool no_body = *status == 204 || *status == 304 || (*status >= 100 && *status < 200);
    if (no_body) c->state = RS_HEAD;
    else if (chunked) c->state = RS_CHUNK_SIZE;
    else if (has_len) { c->state = clen ? RS_BODY : RS_HEAD; c->body_left = clen; }
    else return -1; /* a body delimited by EOF: not a benchmark response */
    return (end + 4) - p;
}

static int g_status_cache;

/* Consume what rbuf holds; false when the connection must be dropped. */
static bool conn_parse(conn_t *c) {
    size_t off = 0;
    for (;;) {
        size_t avail = c->rlen - off;
        if (c->state == RS_HEAD) {
            if (avail == 0) break;
            int status = 0;
            long n = parse_head(c, off, &status);
            if (n < 0) return false;
            if (n == 0) break;
            off += (size_t)n;
            g_status_cache = status;
            if (c->state == RS_HEAD) response_done(c, status);
        } else if (c->state == RS_BODY) {
            size_t take = avail < c->body_left ? avail : (size_t)c->body_left;
            off += take;
            c->body_left -= take;
            if (c->body_left == 0) { c->state = RS_HEAD; response_done(c, g_status_cache); }
            else break;
        } else if (c->state == RS_CHUNK_SIZE || c->state == RS_TRAILER) {
            const char *p = c->rbuf + off, *eol = memmem(p, avail, "\r\n", 2);
            if (!eol) break;
            off += (size_t)(eol - p) + 2;
            if (c->state == RS_TRAILER) {
                if (eol == p) { c->state = RS_HEAD; response_done(c, g_status_cache); }
            } else {
                uint64_t size = strtoull(p, NULL, 16);
                if (size == 0) c->state = RS_TRAILER;
                else { c->state = RS_CHUNK_DATA; c->body_left = size; }
            }
        } else if (c->state == RS_CHUNK_DATA) {
            size_t take = avail < c->body_left ? avail : (size_t)c->body_left;
            off += take;
            c->body_left -= take;
            if (c->body_left == 0) c->state = RS_CHUNK_CRLF; else break;
        } else { /* RS_CHUNK_CRLF */
            if (avail < 2) break;
            off += 2;
            c->state = RS_CHUNK_SIZE;
        }
    }
    memmove(c->rbuf, c->rbuf + off, c->rlen - off);
    c->rlen -= off;
    return true;
}

static void conn_reopen(conn_t *c, bool error) {
    if (error) { st.errors++; st.i_errors++; }
    st.issued -= c->outstanding; /* unanswered requests go back into the budget */
    epoll_ctl(g_epoll, EPOLL_CTL_DEL, c->fd, NULL);
    conn_close(c);
    conn_open(c);
}

static void conn_event(conn_t *c, uint32_t events) {
    if (c->connecting) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err || (events & (EPOLLERR | EPOLLHUP))) {
            st.errors++; st.i_errors++;
            epoll_ctl(g_epoll, EPOLL_CTL_DEL, c->fd, NULL);
            conn_close(c);
            return; /* refused: the server is gone; do not spin reconnecting */
        }
        c->connecting = false;
        if (!conn_next_batch(c)) { conn_arm(c, false); return; }
        conn_flush(c);
        return;
    }
    if (events & EPOLLOUT) conn_flush(c);
    if (c->fd < 0) return;
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
        for (;;) {
            ssize_t r = recv(c->fd, c->rbuf + c->rlen, RBUF_SIZE - c->rlen, 0);
            if (r > 0) {
                st.bytes += (uint64_t)r;
                c->rlen += (size_t)r;
                if (!conn_parse(c)) { conn_reopen(c, true); return; }
                if (c->server_closing) { conn_reopen(c, false); return; }
                if (c->outstanding == 0 && c->state == RS_HEAD && c->rlen == 0) {
                    if (g_stop || !conn_next_batch(c)) return;
                    conn_flush(c);
                    return;
                }
                if ((size_t)r < RBUF_SIZE - c->rlen) return; /* drained for now */
                continue;
            }
            if (r == 0) { conn_reopen(c, c->outstanding > 0 || c->rlen > 0); return; }
            if (errno == EAGAIN || errno == EINTR) return;
            conn_reopen(c, true);
            return;
        }
    }
}

/* --- reporting ----------------------------------------------------------------------- */

static void print_stats(const char *kind, double t, double span, uint64_t total, uint64_t n,
                        const hist_t *h, uint64_t errors, uint64_t non2xx) {
    printf("{\"type\":\"%s\",\"t\":%.3f,\"requests\":%" PRIu64 ",\"n\":%" PRIu64
           ",\"rps\":%.1f,\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f"
           ",\"errors\":%" PRIu64 ",\"non2xx\":%" PRIu64 ",\"bytes\":%" PRIu64 "}\n",
           kind, t, total, n, span > 0 ? (double)n / span : 0.0, hist_pct_ms(h, 50),
           hist_pct_ms(h, 90), hist_pct_ms(h, 99), (double)h->max_us / 1000.0, errors, non2xx,
           st.bytes);
    fflush(stdout);
}

static void on_signal(int sig) { (void)sig; g_stop = 1; }

static void usage(void) {
    fprintf(stderr,
            "usage: loadgen -a HOST -p PORT [-c CONNS] [-d SECONDS] [-n MAX_REQUESTS]\n"
            "               [-P PIPELINE] [-i TICK_SECONDS] [-H 'Name: value']...\n"
            "               -r 'WEIGHT METHOD PATH [BODY_FILE]'...\n");
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1";
    int port = 0, opt;
    const char *specs[MAX_TEMPLATES];
    unsigned nspecs = 0;
    while ((opt = getopt(argc, argv, "a:p:c:d:n:P:i:H:r:")) != -1) {
        switch (opt) {
        case 'a': host = optarg; break;
        case 'p': port = atoi(optarg); break;
        case 'c': cfg.conns = (unsigned)atoi(optarg); break;
        case 'd': cfg.duration = atof(optarg); break;
        case 'n': cfg.max_requests = strtoull(optarg, NULL, 10); break;
        case 'P': cfg.pipeline = (unsigned)atoi(optarg); break;
        case 'i': cfg.tick = atof(optarg); break;
        case 'H': {
            size_t l = strlen(optarg);
            if (cfg.extra_len + l + 2 >= sizeof cfg.extra_headers) { usage(); return 2; }
            memcpy(cfg.extra_headers + cfg.extra_len, optarg, l);
            memcpy(cfg.extra_headers + cfg.extra_len + l, "\r\n", 2);
            cfg.extra_len += l + 2;
            break;
        }
        case 'r':
            if (nspecs == MAX_TEMPLATES) { usage(); return 2; }
            specs[nspecs++] = optarg;
            break;
        default: usage(); return 2;
        }
    }
    if (port <= 0 || port > 65535 || cfg.conns == 0 || cfg.conns > 60000 || cfg.pipeline == 0 ||
        cfg.pipeline > MAX_PIPELINE || !(cfg.duration > 0) || !(cfg.tick > 0) || nspecs == 0) {
        usage();
        return 2;
    }
    cfg.addr.sin_family = AF_INET;
    cfg.addr.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &cfg.addr.sin_addr) != 1) {
        fprintf(stderr, "loadgen: %s is not an IPv4 address\n", host);
        return 2;
    }
    static char host_header[128];
    snprintf(host_header, sizeof host_header, "%s:%d", host, port);
    cfg.host_header = host_header;
    for (unsigned i = 0; i < nspecs; i++)
        if (!add_template(specs[i])) {
            fprintf(stderr, "loadgen: bad request template \"%s\"\n", specs[i]);
            usage();
            return 2;
        }
    size_t max_req = 0;
    for (unsigned i = 0; i < cfg.ntmpl; i++)
        if (cfg.tmpl[i].len > max_req) max_req = cfg.tmpl[i].len;

    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    st.rng = 0x9E3779B97F4A7C15ull;
    g_epoll = epoll_create1(EPOLL_CLOEXEC);
    conn_t *conns = calloc(cfg.conns, sizeof *conns);
    if (!conns || g_epoll < 0) { perror("loadgen"); return 1; }
    for (unsigned i = 0; i < cfg.conns; i++) {
        conns[i].wbuf = malloc(max_req * cfg.pipeline);
        if (!conns[i].wbuf) { perror("loadgen"); return 1; }
        conns[i].fd = -1;
    }
    uint64_t start = now_ns(), tick_ns = (uint64_t)(cfg.tick * 1e9);
    uint64_t end = start + (uint64_t)(cfg.duration * 1e9), next_tick = start + tick_ns;
    uint64_t last_tick = start;
    for (unsigned i = 0; i < cfg.conns; i++) conn_open(&conns[i]);

    struct epoll_event events[256];
    for (;;) {
        uint64_t now = now_ns();
        if (now >= next_tick || now >= end || g_stop) {
            double span = (double)(now - last_tick) / 1e9;
            if (span > 0.001)
                print_stats("tick", (double)(now - start) / 1e9, span, st.requests, st.i_requests,
                            &st.interval, st.i_errors, st.i_non2xx);
            memset(&st.interval, 0, sizeof st.interval);
            st.i_requests = st.i_errors = st.i_non2xx = 0;
            last_tick = now;
            next_tick = now + tick_ns;
        }
        bool done = cfg.max_requests && st.requests >= cfg.max_requests;
        if (now >= end || g_stop || done) break;
        uint64_t wake = next_tick < end ? next_tick : end;
        int timeout = (int)((wake - now) / 1000000u) + 1;
        int n = epoll_wait(g_epoll, events, 256, timeout);
        for (int i = 0; i < n; i++) {
            conn_t *c = events[i].data.ptr;
            if (c->fd >= 0) conn_event(c, events[i].events);
        }
        bool any_open = false;
        for (unsigned i = 0; i < cfg.conns && !any_open; i++) any_open = conns[i].fd >= 0;
        if (!any_open) break; /* every connection was refused: nothing is listening */
    }
    double elapsed = (double)(now_ns() - start) / 1e9;
    print_stats("summary", elapsed, elapsed, st.requests, st.requests, &st.all, st.errors,
                st.non2xx);
    return 0;
}
