/* rt.c — execution context, allocation, panics, arrays and the small built-ins
 * (see dooh/rt.h). String functions live in str.c.
 */
#include "dooh/rt.h"
#include "group.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


/* Set by dooh_db_open (group.h); here because every program links rt.c. */
const dooh__group_ops *dooh__group;

/* ---- context ---- */

void dooh_ctx_init(dooh_ctx *ctx) {
    memset(ctx, 0, sizeof *ctx);
    /* A failed first block is not fatal: the arena creates it on the first allocation,
     * and dooh_alloc panics if that fails too. */
    (void)dooh_arena_init(&ctx->arena, 0);
}

void dooh_ctx_reset(dooh_ctx *ctx) {
    dooh_arena_reset(&ctx->arena);
    ctx->panic_msg = DOOH_NULL_STR;
    ctx->panic_loc = NULL;
    /* verrs lived in the arena that was just rewound. */
    ctx->verrs = NULL;
    ctx->nverrs = 0;
    ctx->verrs_cap = 0;
}

void dooh_ctx_free(dooh_ctx *ctx) {
    dooh_arena_free(&ctx->arena);
    ctx->verrs = NULL;
    ctx->nverrs = 0;
    ctx->verrs_cap = 0;
}

void *dooh_alloc(dooh_ctx *ctx, size_t n) {
    void *p = dooh_arena_alloc(&ctx->arena, n);
    if (!p) dooh_panic(ctx, NULL, DOOH_LIT("out of memory"));
    return p;
}

/* ---- panics ---- */

_Noreturn void dooh_panic(dooh_ctx *ctx, const char *loc, dooh_str msg) {
    ctx->panic_msg = msg;
    ctx->panic_loc = loc;
    if (ctx->panic_jmp) longjmp(*ctx->panic_jmp, 1);
    fflush(stdout);
    if (loc)
        fprintf(stderr, "panic at %s: %.*s\n", loc, (int)msg.len, msg.ptr ? msg.ptr : "");
    else
        fprintf(stderr, "panic: %.*s\n", (int)msg.len, msg.ptr ? msg.ptr : "");
    exit(1);
}

_Noreturn void dooh_panic_overflow(dooh_ctx *ctx, const char *loc) {
    dooh_panic(ctx, loc, DOOH_LIT("integer overflow"));
}

_Noreturn void dooh_panic_divzero(dooh_ctx *ctx, const char *loc) {
    dooh_panic(ctx, loc, DOOH_LIT("division by zero"));
}

int64_t dooh_f64_to_i64(dooh_ctx *ctx, double v, const char *loc) {
    if (isnan(v)) dooh_panic(ctx, loc, DOOH_LIT("cannot convert NaN to Int"));
    /* Both bounds are exact powers of two, so the comparisons are exact; the upper one is
     * exclusive because 2^63 itself does not fit. */
    if (!(v >= -9223372036854775808.0 && v < 9223372036854775808.0))
        dooh_panic(ctx, loc, DOOH_LIT("Float value out of Int range"));
    return (int64_t)v;
}

/* ---- arrays ---- */

/* Bytes for n elements of `size`, panicking instead of wrapping around. */
static size_t arr_bytes(dooh_ctx *ctx, int64_t n, size_t size) {
    if (n < 0 || (size && (uint64_t)n > SIZE_MAX / size)) dooh_panic_overflow(ctx, NULL);
    return (size_t)n * size;
}

void *dooh_arr_push(dooh_ctx *ctx, dooh_arr *a, size_t elem_size) {
    if (a->len == a->cap) {
        int64_t cap = a->cap < 4 ? 8 : dooh_i64_mul(ctx, a->cap, 2, NULL);
        void *data = dooh_alloc(ctx, arr_bytes(ctx, cap, elem_size));
        /* The old storage stays in the arena until reset: arrays never free. */
        if (a->len) memcpy(data, a->data, (size_t)a->len * elem_size);
        a->data = data;
        a->cap = cap;
    }
    char *slot = (char *)a->data + (size_t)a->len * elem_size;
    memset(slot, 0, elem_size);
    a->len++;
    return slot;
}

dooh_arr dooh_arr_from(dooh_ctx *ctx, const void *elems, int64_t n, size_t elem_size) {
    dooh_arr a = { NULL, 0, 0 };
    if (n <= 0) return a;
    size_t bytes = arr_bytes(ctx, n, elem_size);
    a.data = dooh_alloc(ctx, bytes);
    memcpy(a.data, elems, bytes);
    a.len = a.cap = n;
    return a;
}

int64_t dooh_arr_check(dooh_ctx *ctx, dooh_arr a, int64_t i, const char *loc) {
    if (i >= 0 && i < a.len) return i;
    char msg[96];
    int k = snprintf(msg, sizeof msg, "index %lld out of range for length %lld",
                     (long long)i, (long long)a.len);
    dooh_panic(ctx, loc, dooh_str_copy(ctx, msg, (size_t)k));
}

int64_t dooh_arr_index_of_i64(dooh_arr a, int64_t v) {
    const int64_t *d = a.data;
    for (int64_t i = 0; i < a.len; i++)
        if (d[i] == v) return i;
    return -1;
}

int64_t dooh_arr_index_of_i32(dooh_arr a, int32_t v) {
    const int32_t *d = a.data;
    for (int64_t i = 0; i < a.len; i++)
        if (d[i] == v) return i;
    return -1;
}

/* IEEE equality: NaN is never found, and -0.0 finds 0.0. */
int64_t dooh_arr_index_of_f64(dooh_arr a, double v) {
    const double *d = a.data;
    for (int64_t i = 0; i < a.len; i++)
        if (d[i] == v) return i;
    return -1;
}

int64_t dooh_arr_index_of_bool(dooh_arr a, bool v) {
    const bool *d = a.data;
    for (int64_t i = 0; i < a.len; i++)
        if (d[i] == v) return i;
    return -1;
}

int64_t dooh_arr_index_of_str(dooh_arr a, dooh_str v) {
    const dooh_str *d = a.data;
    for (int64_t i = 0; i < a.len; i++)
        if (dooh_str_eq(d[i], v)) return i;
    return -1;
}

/* Concatenate n strings with `sep` between them into the arena. */
static dooh_str join(dooh_ctx *ctx, const dooh_str *parts, int64_t n, dooh_str sep,
                     const char *tail, size_t tail_len) {
    int64_t total = (int64_t)tail_len;
    for (int64_t i = 0; i < n; i++) {
        total = dooh_i64_add(ctx, total, parts[i].len, NULL);
        if (i) total = dooh_i64_add(ctx, total, sep.len, NULL);
    }
    char *out = dooh_alloc(ctx, (size_t)total + 1);
    char *w = out;
    for (int64_t i = 0; i < n; i++) {
        if (i && sep.len) { memcpy(w, sep.ptr, (size_t)sep.len); w += sep.len; }
        if (parts[i].len) { memcpy(w, parts[i].ptr, (size_t)parts[i].len); w += parts[i].len; }
    }
    if (tail_len) memcpy(w, tail, tail_len);
    return (dooh_str){ out, total };
}

dooh_str dooh_arr_join_str(dooh_ctx *ctx, dooh_arr a, dooh_str sep) {
    return join(ctx, a.data, a.len, sep, NULL, 0);
}

/* ---- built-ins ---- */

void dooh_print(dooh_ctx *ctx, int n, const dooh_str *parts) {
    /* One fwrite per line keeps lines from concurrent workers from interleaving. */
    dooh_str line = join(ctx, parts, n, DOOH_LIT(" "), "\n", 1);
    fwrite(line.ptr, 1, (size_t)line.len, stdout);
    /* In a request (server), flush so logs appear promptly even when stdout is a pipe;
     * in main, keep stdio's buffering (exit and panics flush). */
    if (ctx->req) fflush(stdout);
}

bool dooh_env(dooh_ctx *ctx, dooh_str name, dooh_str *out) {
    if (name.len == 0 || memchr(name.ptr, '\0', (size_t)name.len)) return false;
    const char *v = getenv(dooh_str_cstr(ctx, name));
    if (!v) return false;
    /* Copy: a later setenv() may free the environment string. */
    *out = dooh_str_copy(ctx, v, strlen(v));
    return true;
}

int64_t dooh_now(void) {
    return (int64_t)time(NULL);
}
