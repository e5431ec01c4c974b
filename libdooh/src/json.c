/* json.c — JSON writer into a dooh_buf and strict, iterative reader into an arena DOM
 * (see dooh/json.h).
 *
 * The reader never recurses: open containers live on an explicit frame stack and the
 * values/keys parsed so far on explicit stacks (malloc'd scratch, freed before returning).
 * When a container closes, its children are copied into one exact-size arena array. Nesting
 * is bounded by max_depth, so no input can exhaust the C stack, and the reader never calls
 * anything that panics, so the scratch memory cannot leak through a longjmp.
 */
#include "dooh/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_internal.h"

/* ================================ writer ================================ */

/* Escape text for bytes below 0x20 and '"' '\\'; NULL means the byte is copied as is. */
static const char *escape_for(unsigned char c) {
    static const char *short_esc[32] = {
        ['\b'] = "\\b", ['\f'] = "\\f", ['\n'] = "\\n", ['\r'] = "\\r", ['\t'] = "\\t",
    };
    if (c == '"') return "\\\"";
    if (c == '\\') return "\\\\";
    if (c < 0x20) return short_esc[c];
    return NULL;
}

static void put_escaped_byte(dooh_buf *b, unsigned char c) {
    const char *e = escape_for(c);
    if (e) {
        dooh_buf_put(b, e, strlen(e));
        return;
    }
    /* A control character with no short form: \u00XX. */
    static const char hex[] = "0123456789abcdef";
    char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
    dooh_buf_put(b, u, sizeof u);
}

void dooh_json_str(dooh_buf *b, dooh_str s) {
    const unsigned char *p = (const unsigned char *)s.ptr;
    size_t n = (size_t)s.len, i = 0;
    dooh_buf_reserve(b, n + 2); /* a hint only: put grows as needed */
    dooh_buf_putc(b, '"');
    while (i < n) {
        /* Copy the longest run of bytes that need no escaping in one go. */
        size_t j = i;
        while (j < n && p[j] >= 0x20 && p[j] != '"' && p[j] != '\\') j++;
        dooh_buf_put(b, p + i, j - i);
        if (j < n) put_escaped_byte(b, p[j++]);
        i = j;
    }
    dooh_buf_putc(b, '"');
}

void dooh_json_i64(dooh_buf *b, int64_t v) {
    dooh_buf_put_i64(b, v);
}

void dooh_json_f64(dooh_buf *b, double v) {
    if (!isfinite(v)) {
        dooh_json_null(b);
        return;
    }
    char tmp[DOOH__F64_MAX_CHARS];
    dooh_buf_put(b, tmp, dooh__fmt_f64(tmp, v));
}

void dooh_json_bool(dooh_buf *b, bool v) {
    if (v) dooh_buf_lit(b, "true");
    else dooh_buf_lit(b, "false");
}

void dooh_json_null(dooh_buf *b) {
    dooh_buf_lit(b, "null");
}

/* ================================ reader ================================ */

typedef struct jframe {
    bool is_obj;
    size_t vstart; /* first child on the value stack */
    size_t kstart; /* first key on the key stack (objects) */
} jframe;

typedef struct jparser {
    dooh_ctx *ctx;
    const unsigned char *p;
    size_t n, i;
    size_t max_depth;
    dooh_str err;      /* set by the first failure */
    dooh_jv *vals;     /* scratch stacks (malloc) */
    size_t nvals, capvals;
    dooh_str *keys;
    size_t nkeys, capkeys;
    jframe *frames;
    size_t nframes, capframes;
} jparser;

/* Record a failure (the first one wins) and return false. */
static bool fail_msg(jparser *ps, const char *msg) {
    if (ps->err.ptr) return false;
    size_t n = strlen(msg);
    char *m = dooh_arena_alloc(&ps->ctx->arena, n ? n : 1);
    ps->err = m ? (dooh_str){ memcpy(m, msg, n), (int64_t)n } : DOOH_LIT("out of memory");
    return false;
}

static bool fail_at(jparser *ps, const char *what, size_t at) {
    char msg[96];
    snprintf(msg, sizeof msg, "%s at offset %zu", what, at);
    return fail_msg(ps, msg);
}

static bool fail_unexpected(jparser *ps) {
    if (ps->i >= ps->n) return fail_msg(ps, "unexpected end of input");
    return fail_at(ps, "unexpected character", ps->i);
}

/* Arena allocation that reports failure instead of panicking. */
static void *jalloc(jparser *ps, size_t n) {
    void *m = dooh_arena_alloc(&ps->ctx->arena, n ? n : 1);
    if (!m) fail_msg(ps, "out of memory");
    return m;
}

/* Make room for one more element in a scratch stack. */
static bool grow(jparser *ps, void **arr, size_t *cap, size_t len, size_t elem) {
    if (len < *cap) return true;
    size_t ncap = *cap ? *cap * 2 : 16;
    void *m = ncap <= SIZE_MAX / elem ? realloc(*arr, ncap * elem) : NULL;
    if (!m) return fail_msg(ps, "out of memory");
    *arr = m;
    *cap = ncap;
    return true;
}

static bool push_val(jparser *ps, dooh_jv v) {
    if (!grow(ps, (void **)&ps->vals, &ps->capvals, ps->nvals, sizeof v)) return false;
    ps->vals[ps->nvals++] = v;
    return true;
}

static void skip_ws(jparser *ps) {
    while (ps->i < ps->n) {
        unsigned char c = ps->p[ps->i];
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t') return;
        ps->i++;
    }
}

/* ---- strings ---- */

static int hex_val(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* The 4 hex digits at p[k..k+4) (within end), or -1. */
static long hex4(const unsigned char *p, size_t k, size_t end) {
    if (end - k < 4) return -1;
    long v = 0;
    for (int j = 0; j < 4; j++) {
        int h = hex_val(p[k + j]);
        if (h < 0) return -1;
        v = v * 16 + h;
    }
    return v;
}

static size_t utf8_encode(char *w, uint32_t cp) {
    if (cp < 0x80) { w[0] = (char)cp; return 1; }
    if (cp < 0x800) {
        w[0] = (char)(0xC0 | (cp >> 6));
        w[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        w[0] = (char)(0xE0 | (cp >> 12));
        w[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        w[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    w[0] = (char)(0xF0 | (cp >> 18));
    w[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    w[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    w[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* A \u escape at p[*k] (the backslash): one code point, or a surrogate pair written as two
 * consecutive escapes. Lone or mis-ordered surrogates are rejected. */
static bool unescape_u(jparser *ps, size_t *k, size_t end, uint32_t *cp) {
    size_t at = *k;
    long hi = hex4(ps->p, at + 2, end);
    if (hi < 0) return fail_at(ps, "invalid \\u escape", at);
    *k = at + 6;
    if (hi >= 0xDC00 && hi <= 0xDFFF) return fail_at(ps, "lone surrogate escape", at);
    if (hi < 0xD800 || hi > 0xDBFF) {
        *cp = (uint32_t)hi;
        return true;
    }
    long lo = (end - *k >= 2 && ps->p[*k] == '\\' && ps->p[*k + 1] == 'u')
                  ? hex4(ps->p, *k + 2, end) : -1;
    if (lo < 0xDC00 || lo > 0xDFFF) return fail_at(ps, "lone surrogate escape", at);
    *k += 6;
    *cp = 0x10000 + (((uint32_t)hi - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
    return true;
}

/* One escape sequence at p[*k] (the backslash) written to w; returns bytes written or 0. */
static size_t unescape(jparser *ps, size_t *k, size_t end, char *w) {
    if (end - *k < 2) return fail_at(ps, "invalid escape", *k), 0;
    unsigned char c = ps->p[*k + 1];
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *hit = c ? strchr(from, c) : NULL;
    if (hit) {
        *w = to[hit - from];
        *k += 2;
        return 1;
    }
    uint32_t cp;
    if (c != 'u') return fail_at(ps, "invalid escape", *k), 0;
    if (!unescape_u(ps, k, end, &cp)) return 0;
    return utf8_encode(w, cp);
}

/* Decode the raw string bytes p[k..end) into dst; returns the decoded length via *len. */
static bool decode_string(jparser *ps, size_t k, size_t end, char *dst, size_t *len) {
    const unsigned char *p = ps->p;
    size_t w = 0;
    while (k < end) {
        unsigned char c = p[k];
        if (c >= 0x20 && c < 0x80 && c != '\\') {
            dst[w++] = (char)c;
            k++;
        } else if (c == '\\') {
            size_t m = unescape(ps, &k, end, dst + w);
            if (!m) return false;
            w += m;
        } else if (c < 0x20) {
            return fail_at(ps, "control character in string", k);
        } else {
            uint32_t cp;
            int m = dooh__utf8_decode(p + k, end - k, &cp);
            if (!m) return fail_at(ps, "invalid UTF-8", k);
            memcpy(dst + w, p + k, (size_t)m);
            w += (size_t)m;
            k += (size_t)m;
        }
    }
    *len = w;
    return true;
}

/* The string whose opening quote is at p[i]; leaves i after the closing quote. */
static bool parse_string(jparser *ps, dooh_str *out) {
    size_t start = ps->i + 1, j = start;
    /* Find the closing quote first: an escape never decodes to more bytes than its source,
     * so the raw span length bounds the decoded length and one allocation suffices. */
    for (;;) {
        const unsigned char *q = j < ps->n ? memchr(ps->p + j, '"', ps->n - j) : NULL;
        if (!q) return fail_at(ps, "unterminated string", ps->i);
        j = (size_t)(q - ps->p);
        /* The quote is escaped when an odd number of backslashes precede it. */
        size_t bs = 0;
        while (j - bs > start && ps->p[j - bs - 1] == '\\') bs++;
        if (bs % 2 == 0) break;
        j++;
    }
    char *dst = jalloc(ps, j - start);
    size_t len;
    if (!dst || !decode_string(ps, start, j, dst, &len)) return false;
    *out = (dooh_str){ dst, (int64_t)len };
    ps->i = j + 1;
    return true;
}

/* ---- scalars ---- */

static bool parse_number(jparser *ps, dooh_jv *v) {
    bool is_int = false;
    size_t len = dooh__json_number_len((const char *)ps->p + ps->i, ps->n - ps->i, &is_int);
    if (!len) return fail_at(ps, "invalid number", ps->i);
    char *text = jalloc(ps, len);
    if (!text) return false;
    memcpy(text, ps->p + ps->i, len);
    v->type = DOOH_JNUM;
    v->is_int = is_int;
    v->s = (dooh_str){ text, (int64_t)len };
    ps->i += len;
    return true;
}

static bool match_word(jparser *ps, const char *w, size_t len) {
    if (ps->n - ps->i < len || memcmp(ps->p + ps->i, w, len) != 0) return fail_unexpected(ps);
    ps->i += len;
    return true;
}

/* A non-container value starting at p[i]. */
static bool parse_scalar(jparser *ps, dooh_jv *v) {
    memset(v, 0, sizeof *v);
    switch (ps->p[ps->i]) {
    case '"': v->type = DOOH_JSTR; return parse_string(ps, &v->s);
    case 't': v->type = DOOH_JBOOL; v->b = true; return match_word(ps, "true", 4);
    case 'f': v->type = DOOH_JBOOL; return match_word(ps, "false", 5);
    case 'n': v->type = DOOH_JNULL; return match_word(ps, "null", 4);
    case '-': case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9': return parse_number(ps, v);
    default: return fail_unexpected(ps);
    }
}

/* ---- containers ---- */

static int key_cmp(const void *a, const void *b) {
    return dooh_str_cmp(*(const dooh_str *)a, *(const dooh_str *)b);
}

static bool fail_duplicate(jparser *ps, dooh_str key) {
    /* Quote at most ~64 bytes of the key, cut on a code point boundary (keys are valid
     * UTF-8 here) so the message stays valid UTF-8. */
    size_t n = (size_t)key.len;
    if (n > 64) {
        n = 64;
        while (n > 0 && ((unsigned char)key.ptr[n] & 0xC0) == 0x80) n--;
    }
    char msg[128];
    snprintf(msg, sizeof msg, "duplicate key \"%.*s%s\"", (int)n, key.ptr,
             n < (size_t)key.len ? "..." : "");
    return fail_msg(ps, msg);
}

/* Reject an object whose keys repeat. Small objects compare pairwise; big ones sort a copy
 * of the keys, O(n log n) whatever the keys are (a hash could be flooded by a client). */
static bool check_duplicates(jparser *ps, const dooh_str *keys, size_t n) {
    if (n <= 32) {
        for (size_t a = 1; a < n; a++)
            for (size_t b = 0; b < a; b++)
                if (dooh_str_eq(keys[a], keys[b])) return fail_duplicate(ps, keys[a]);
        return true;
    }
    dooh_str *sorted = malloc(n * sizeof *sorted);
    if (!sorted) return fail_msg(ps, "out of memory");
    memcpy(sorted, keys, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, key_cmp);
    bool ok = true;
    for (size_t a = 1; a < n && ok; a++)
        if (dooh_str_eq(sorted[a], sorted[a - 1])) ok = fail_duplicate(ps, sorted[a]);
    free(sorted);
    return ok;
}

static bool open_container(jparser *ps, bool is_obj) {
    if (ps->nframes >= ps->max_depth) return fail_msg(ps, "nesting too deep");
    if (!grow(ps, (void **)&ps->frames, &ps->capframes, ps->nframes, sizeof(jframe))) return false;
    ps->frames[ps->nframes++] = (jframe){ is_obj, ps->nvals, ps->nkeys };
    ps->i++;
    return true;
}

/* Pop the innermost container: move its children into the arena and push it as a value. */
static bool close_container(jparser *ps) {
    jframe f = ps->frames[--ps->nframes];
    size_t count = ps->nvals - f.vstart;
    dooh_jv v;
    memset(&v, 0, sizeof v);
    v.type = f.is_obj ? DOOH_JOBJ : DOOH_JARR;
    v.n = (int64_t)count;
    if (count) {
        v.items = jalloc(ps, count * sizeof(dooh_jv));
        if (!v.items) return false;
        memcpy(v.items, ps->vals + f.vstart, count * sizeof(dooh_jv));
    }
    if (f.is_obj && count) {
        if (!check_duplicates(ps, ps->keys + f.kstart, count)) return false;
        v.keys = jalloc(ps, count * sizeof(dooh_str));
        if (!v.keys) return false;
        memcpy(v.keys, ps->keys + f.kstart, count * sizeof(dooh_str));
    }
    ps->nkeys = f.kstart;
    ps->nvals = f.vstart;
    ps->i++;
    return push_val(ps, v);
}

/* A member name and its ':' (whitespace allowed around both). */
static bool parse_key(jparser *ps) {
    dooh_str key;
    skip_ws(ps);
    if (ps->i >= ps->n || ps->p[ps->i] != '"') return fail_unexpected(ps);
    if (!parse_string(ps, &key)) return false;
    if (!grow(ps, (void **)&ps->keys, &ps->capkeys, ps->nkeys, sizeof key)) return false;
    ps->keys[ps->nkeys++] = key;
    skip_ws(ps);
    if (ps->i >= ps->n || ps->p[ps->i] != ':') return fail_unexpected(ps);
    ps->i++;
    return true;
}

/* At '[' or '{': open it; close it at once if empty. *more: a first child follows. */
static bool begin_container(jparser *ps, bool *more) {
    bool is_obj = ps->p[ps->i] == '{';
    if (!open_container(ps, is_obj)) return false;
    skip_ws(ps);
    if (ps->i < ps->n && ps->p[ps->i] == (is_obj ? '}' : ']')) {
        *more = false;
        return close_container(ps);
    }
    *more = true;
    return is_obj ? parse_key(ps) : true;
}

/* After a value inside containers: handle ',' / closers. *more: another value follows. */
static bool after_value(jparser *ps, bool *more) {
    while (ps->nframes > 0) {
        skip_ws(ps);
        if (ps->i >= ps->n) return fail_unexpected(ps);
        bool is_obj = ps->frames[ps->nframes - 1].is_obj;
        unsigned char c = ps->p[ps->i];
        if (c == ',') {
            ps->i++;
            *more = true;
            return is_obj ? parse_key(ps) : true;
        }
        if (c != (is_obj ? '}' : ']')) return fail_unexpected(ps);
        if (!close_container(ps)) return false;
    }
    *more = false;
    return true;
}

/* The whole document: an explicit loop over "expect a value" / "after a value". */
static bool parse_document(jparser *ps) {
    bool more = true;
    while (more) {
        skip_ws(ps);
        if (ps->i >= ps->n) return fail_unexpected(ps);
        unsigned char c = ps->p[ps->i];
        if (c == '[' || c == '{') {
            if (!begin_container(ps, &more)) return false;
            if (more) continue;
        } else {
            dooh_jv v;
            if (!parse_scalar(ps, &v) || !push_val(ps, v)) return false;
        }
        if (!after_value(ps, &more)) return false;
    }
    skip_ws(ps);
    if (ps->i < ps->n) return fail_at(ps, "unexpected character after the value", ps->i);
    return true;
}

int dooh_json_parse(dooh_ctx *ctx, const char *p, size_t n, int max_depth,
                    dooh_jv **out, dooh_str *err) {
    jparser ps;
    memset(&ps, 0, sizeof ps);
    ps.ctx = ctx;
    ps.p = (const unsigned char *)p;
    ps.n = n;
    ps.max_depth = max_depth > 0 ? (size_t)max_depth : 0;
    bool ok = parse_document(&ps);
    dooh_jv *root = ok ? jalloc(&ps, sizeof(dooh_jv)) : NULL;
    if (root) *root = ps.vals[0];
    free(ps.vals);
    free(ps.keys);
    free(ps.frames);
    if (!root) {
        if (err) *err = ps.err;
        return -1;
    }
    *out = root;
    return 0;
}

/* ---- DOM access ---- */

const dooh_jv *dooh_jv_get(const dooh_jv *obj, const char *key, size_t keylen) {
    if (!obj || obj->type != DOOH_JOBJ) return NULL;
    dooh_str k = { key, (int64_t)keylen };
    for (int64_t i = 0; i < obj->n; i++)
        if (dooh_str_eq(obj->keys[i], k)) return &obj->items[i];
    return NULL;
}

bool dooh_jv_as_i64(const dooh_jv *v, int64_t *out) {
    return v && v->type == DOOH_JNUM && v->is_int && dooh_parse_i64(v->s, out);
}

bool dooh_jv_as_f64(const dooh_jv *v, double *out) {
    return v && v->type == DOOH_JNUM && dooh_parse_f64(v->s, out);
}

/* ---- the body depth limit ---- */

/* Written once by the server before its workers start, then only read. */
static int g_max_depth = 64;

int dooh_json_max_depth(void) { return g_max_depth; }

void dooh_json_set_max_depth(int depth) {
    if (depth > 0) g_max_depth = depth;
}
