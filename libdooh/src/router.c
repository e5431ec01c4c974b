/* router.c — the route table compiled into a segment tree, and request matching
 * (see http_internal.h).
 *
 * Input at start-up: the generated program's dooh_route array. Output per request: the
 * route to call and its decoded path parameters, or why there is none (404, 405 + Allow,
 * 400 for a bad escape, or the implicit OPTIONS answer).
 *
 * Each tree node is one path segment. Matching walks the request's segments depth-first,
 * trying a node's static children before its parameter child, and backtracks when a branch
 * dead-ends. So a static segment beats a parameter whatever the registration order, yet
 * "/a/b/d" still reaches "/:x/b/d" when the static branch "/a/b/c" does not fit. The search
 * keeps going until it finds a node with a route for the request's method, which gives each
 * method its own best match (DELETE "/tasks/urgent" can reach "/tasks/:id" even though
 * GET "/tasks/urgent" exists), and when it finds none the methods of every node it reached
 * form the Allow list.
 */
#include "http_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NMETHODS 7
/* Deeper paths cannot match any pattern: they are 404 without further work. */
#define MAX_SEGMENTS 64

typedef struct rchild {
    const char *seg;
    size_t len;
    int node;
} rchild;

typedef struct rnode {
    rchild *stat;                        /* static children */
    int nstat, capstat;
    int param;                           /* the :param child, or -1 */
    const dooh_route *route[NMETHODS];   /* by method bit */
    int mask;                            /* DOOH_* methods with a route here */
} rnode;

struct dooh_router {
    rnode *nodes;
    int n, cap;
    int max_depth;
};

/* A request path segment, percent-decoded when it held escapes. */
typedef struct seg {
    const char *p;
    size_t n;
    unsigned flags;                      /* DOOH_PCT_* */
} seg;

/* Bit index (0..6) of a single DOOH_* method flag. */
static int method_bit(int m) {
    return __builtin_ctz((unsigned)m);
}

/* ---- building ---- */

static int new_node(dooh_router *r) {
    if (r->n == r->cap) {
        int cap = r->cap ? r->cap * 2 : 16;
        rnode *nodes = realloc(r->nodes, (size_t)cap * sizeof *nodes);
        if (!nodes) return -1;
        r->nodes = nodes;
        r->cap = cap;
    }
    rnode *nd = &r->nodes[r->n];
    memset(nd, 0, sizeof *nd);
    nd->param = -1;
    return r->n++;
}

/* The child of `node` for the static segment s[0..n), created when absent; -1 on OOM. */
static int static_child(dooh_router *r, int node, const char *s, size_t n) {
    rnode *nd = &r->nodes[node];
    for (int i = 0; i < nd->nstat; i++)
        if (nd->stat[i].len == n && memcmp(nd->stat[i].seg, s, n) == 0) return nd->stat[i].node;
    int child = new_node(r);
    if (child < 0) return -1;
    nd = &r->nodes[node]; /* new_node may have moved the array */
    if (nd->nstat == nd->capstat) {
        int cap = nd->capstat ? nd->capstat * 2 : 4;
        rchild *st = realloc(nd->stat, (size_t)cap * sizeof *st);
        if (!st) return -1;
        nd->stat = st;
        nd->capstat = cap;
    }
    nd->stat[nd->nstat++] = (rchild){ s, n, child };
    return child;
}

/* A parameter name: [A-Za-z_][A-Za-z0-9_]*. */
static bool ident_ok(const char *s, size_t n) {
    if (n == 0 || (s[0] >= '0' && s[0] <= '9')) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return true;
}

/* Static pattern segments: unreserved and sub-delims, ':' and '@' (not first). Escapes are
 * not allowed, since requests are compared after decoding. */
static bool static_ok(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr("-._~!$&'()*+,;=:@", c)))
            return false;
    }
    return n > 0;
}

/* Insert one route; returns NULL or an error message (written into err). */
static const char *insert(dooh_router *r, const dooh_route *rt, char *err, size_t errlen) {
    const char *p = rt->pattern;
    int m = rt->method;
    if (m <= 0 || m > DOOH_OPTIONS || (m & (m - 1))) {
        snprintf(err, errlen, "route %s: invalid method %d", p ? p : "(null)", m);
        return err;
    }
    if (!p || p[0] != '/' || !rt->fn) {
        snprintf(err, errlen, "route %s: pattern must start with '/' and have a handler", p ? p : "(null)");
        return err;
    }
    int node = 0, depth = 0, nparams = 0;
    const char *names[DOOH_MAX_PARAMS];
    size_t namelen[DOOH_MAX_PARAMS];
    const char *s = p + 1;
    while (*s || (s > p + 1 && s[-1] == '/')) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n == 0) {
            snprintf(err, errlen, "route %s: empty segment", p);
            return err;
        }
        if (s[0] == ':') {
            if (!ident_ok(s + 1, n - 1)) {
                snprintf(err, errlen, "route %s: bad parameter name", p);
                return err;
            }
            if (nparams == DOOH_MAX_PARAMS) {
                snprintf(err, errlen, "route %s: more than %d parameters", p, DOOH_MAX_PARAMS);
                return err;
            }
            for (int i = 0; i < nparams; i++)
                if (namelen[i] == n - 1 && !memcmp(names[i], s + 1, n - 1)) {
                    snprintf(err, errlen, "route %s: repeated parameter name", p);
                    return err;
                }
            names[nparams] = s + 1;
            namelen[nparams++] = n - 1;
            if (r->nodes[node].param < 0) {
                int child = new_node(r);
                if (child < 0) goto oom;
                r->nodes[node].param = child;
            }
            node = r->nodes[node].param;
        } else {
            if (!static_ok(s, n)) {
                snprintf(err, errlen, "route %s: bad character in segment", p);
                return err;
            }
            node = static_child(r, node, s, n);
            if (node < 0) goto oom;
        }
        depth++;
        if (!e) break;
        s = e + 1;
    }
    if (depth > MAX_SEGMENTS) {
        snprintf(err, errlen, "route %s: deeper than %d segments", p, MAX_SEGMENTS);
        return err;
    }
    if (depth > r->max_depth) r->max_depth = depth;
    rnode *nd = &r->nodes[node];
    int bit = method_bit(m);
    if (nd->route[bit]) {
        snprintf(err, errlen, "route %s: duplicate of %s for the same method", p, nd->route[bit]->pattern);
        return err;
    }
    nd->route[bit] = rt;
    nd->mask |= m;
    return NULL;
oom:
    snprintf(err, errlen, "out of memory building routes");
    return err;
}

/* Compile the route table; NULL with a message in err (http_internal.h). */
dooh_router *dooh_router_build(const dooh_route *routes, int n, char *err, size_t errlen) {
    dooh_router *r = calloc(1, sizeof *r);
    if (!r || new_node(r) < 0) {
        snprintf(err, errlen, "out of memory building routes");
        dooh_router_free(r);
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        if (insert(r, &routes[i], err, errlen)) {
            dooh_router_free(r);
            return NULL;
        }
    }
    return r;
}

/* Release a router (NULL is fine). */
void dooh_router_free(dooh_router *r) {
    if (!r) return;
    for (int i = 0; i < r->n; i++) free(r->nodes[i].stat);
    free(r->nodes);
    free(r);
}

/* ---- matching ---- */

/* The route for method m at a node; HEAD is served by GET when it has no route of its own. */
static const dooh_route *route_for(const rnode *nd, int m) {
    const dooh_route *rt = nd->route[method_bit(m)];
    if (!rt && m == DOOH_HEAD) rt = nd->route[0];
    return rt;
}

/* Depth-first search from `node` for segments[i..]. Returns the route found for method m
 * (caps[] then holds the segment index of each parameter), or NULL; *allow accumulates the
 * method masks of every node the whole path reached. */
static const dooh_route *find(const dooh_router *r, int node, const seg *segs, int nseg,
                              int i, int m, int *caps, int ncaps, int *allow) {
    const rnode *nd = &r->nodes[node];
    if (i == nseg) {
        *allow |= nd->mask;
        return m ? route_for(nd, m) : NULL;
    }
    const seg *s = &segs[i];
    for (int k = 0; k < nd->nstat; k++) {
        const rchild *c = &nd->stat[k];
        if (c->len == s->n && memcmp(c->seg, s->p, s->n) == 0) {
            const dooh_route *rt = find(r, c->node, segs, nseg, i + 1, m, caps, ncaps, allow);
            if (rt) return rt;
            break; /* static segments are unique per node */
        }
    }
    if (nd->param >= 0 && s->n > 0 && ncaps < DOOH_MAX_PARAMS) {
        caps[ncaps] = i;
        return find(r, nd->param, segs, nseg, i + 1, m, caps, ncaps + 1, allow);
    }
    return NULL;
}

/* Match req->method and req->path; a DOOH_ROUTE_* code (http_internal.h). */
int dooh_router_match(const dooh_router *r, dooh_ctx *ctx, dooh_request *req, int *allow) {
    const char *p = req->path.ptr;
    size_t n = (size_t)req->path.len;
    *allow = 0;
    req->route = NULL;
    req->nparams = 0;
    if (n == 1 && p[0] == '*') {
        /* "OPTIONS *" asks about the server as a whole. */
        for (int i = 0; i < r->n; i++) *allow |= r->nodes[i].mask;
        if (*allow & DOOH_GET) *allow |= DOOH_HEAD;
        return req->method == DOOH_OPTIONS ? DOOH_ROUTE_OPTIONS : DOOH_ROUTE_NOT_FOUND;
    }
    if (n == 0 || p[0] != '/') return DOOH_ROUTE_NOT_FOUND;

    seg segs[MAX_SEGMENTS];
    int nseg = 0;
    if (n > 1) {
        size_t i = 1;
        for (;;) {
            const char *s = p + i;
            const char *e = memchr(s, '/', n - i);
            size_t len = e ? (size_t)(e - s) : n - i;
            if (nseg == r->max_depth) return DOOH_ROUTE_NOT_FOUND;
            seg *sg = &segs[nseg++];
            sg->p = s;
            sg->n = len;
            sg->flags = 0;
            if (memchr(s, '%', len)) {
                char *d = dooh_alloc(ctx, len);
                long k = dooh_http_pct_decode(s, len, d, false, &sg->flags);
                if (k < 0 || (sg->flags & DOOH_PCT_NUL)) return DOOH_ROUTE_BAD_PATH;
                sg->p = d;
                sg->n = (size_t)k;
            }
            if (!e) break;
            i += len + 1;
        }
    }

    int caps[DOOH_MAX_PARAMS];
    int m = req->method;
    const dooh_route *rt = find(r, 0, segs, nseg, 0, m, caps, 0, allow);
    if (*allow & DOOH_GET) *allow |= DOOH_HEAD;
    if (!rt) {
        if (!*allow) return DOOH_ROUTE_NOT_FOUND;
        return m == DOOH_OPTIONS ? DOOH_ROUTE_OPTIONS : DOOH_ROUTE_BAD_METHOD;
    }
    /* The number of captures equals the number of ':' segments in the pattern; count them
     * from the pattern rather than carry the depth out of the search. */
    int np = 0;
    for (const char *q = rt->pattern; *q; q++)
        if (*q == ':' && q[-1] == '/') np++;
    for (int k = 0; k < np; k++) {
        const seg *s = &segs[caps[k]];
        /* An encoded '/' would let a client smuggle a path separator into a value that
         * handlers treat as one segment; invalid UTF-8 would not be a valid Str. */
        if ((s->flags & DOOH_PCT_SLASH) || !dooh_http_utf8_ok(s->p, s->n)) return DOOH_ROUTE_BAD_PATH;
        req->params[k] = (dooh_str){ s->p, (int64_t)s->n };
    }
    req->nparams = np;
    req->route = rt;
    return DOOH_ROUTE_FOUND;
}

/* The Allow value for a method mask, in a fixed order; returns its length. */
size_t dooh_router_allow_str(int mask, char *out) {
    static const char *const names[NMETHODS] = {
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"
    };
    size_t n = 0;
    for (int b = 0; b < NMETHODS; b++) {
        if (!(mask & (1 << b))) continue;
        if (n) {
            memcpy(out + n, ", ", 2);
            n += 2;
        }
        size_t k = strlen(names[b]);
        memcpy(out + n, names[b], k);
        n += k;
    }
    return n;
}
