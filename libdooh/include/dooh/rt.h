/* dooh/rt.h — the language runtime that generated code calls.
 *
 * Every value a Doo program manipulates maps to a C type declared here:
 *   Int -> int64_t, Float -> double, Bool -> bool, Str -> dooh_str,
 *   [T] -> dooh_arr (elements stored contiguously, element size known to the caller),
 *   enums -> int32_t (variant index), structs -> generated C structs.
 *
 * Memory: every allocation a program makes goes into the arena of its execution
 * context (one per request, one for `main`). The arena is reset after each response,
 * so generated code never frees anything.
 *
 * Failure: checked arithmetic, out-of-range indexing, `panic()` and a failed `?? panic`
 * call dooh_panic(), which jumps back to the dispatcher (the request answers 500 and
 * the server keeps serving) or, in `main`, prints the message and exits with status 1.
 */
#ifndef DOOH_RT_H
#define DOOH_RT_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dooh/arena.h"

/* An immutable UTF-8 byte string with a length. Not NUL-terminated; may contain NUL. */
typedef struct dooh_str {
    const char *ptr;
    int64_t len;
} dooh_str;

/* A string literal as a dooh_str (compile-time length). */
#define DOOH_LIT(s) ((dooh_str){ (s), (int64_t)(sizeof(s) - 1) })
#define DOOH_NULL_STR ((dooh_str){ NULL, 0 })

/* A growable array in the arena. `data` points at `len` elements of the element
 * size the caller knows; `cap` is the allocated element count. */
typedef struct dooh_arr {
    void *data;
    int64_t len;
    int64_t cap;
} dooh_arr;

typedef struct dooh_request dooh_request; /* dooh/http.h */

/* One field that failed validation (see dooh/validate.h). */
typedef struct dooh_verr {
    const char *field;     /* field path as the client sent it, e.g. "email" */
    const char *code;      /* decorator name: "min", "max", "email", "url", "pattern", "type", "required" */
    dooh_str detail;       /* human sentence, e.g. "must be at least 8 characters" */
    const char *extra_key; /* optional extra member of the error object ("min"), or NULL */
    int64_t extra_val;
} dooh_verr;

/* The execution context: passed as the first argument to every generated function. */
typedef struct dooh_ctx {
    dooh_arena arena;          /* reset after each request */
    jmp_buf *panic_jmp;        /* where dooh_panic jumps; NULL in main: print and exit(1) */
    dooh_str panic_msg;        /* set by dooh_panic before jumping */
    const char *panic_loc;     /* "main.doo:12:5" of the failing operation, or NULL */
    dooh_request *req;         /* the current request; NULL in main */
    dooh_verr *verrs;          /* validation errors collected for this request (arena) */
    int nverrs;
    int verrs_cap;
} dooh_ctx;

/* Initialise / release a context (its arena). Used by the server per worker and by main. */
void dooh_ctx_init(dooh_ctx *ctx);
void dooh_ctx_reset(dooh_ctx *ctx); /* arena reset, verrs cleared, panic state cleared */
void dooh_ctx_free(dooh_ctx *ctx);

/* Allocate n bytes, 16-byte aligned, from the context's arena. Never returns NULL
 * (out of memory panics). */
void *dooh_alloc(dooh_ctx *ctx, size_t n);

/* Abort the current request (or main). `loc` is a static "file:line:col" string or NULL. */
_Noreturn void dooh_panic(dooh_ctx *ctx, const char *loc, dooh_str msg);

/* ---- checked integer arithmetic (panic "integer overflow" / "division by zero") ---- */
_Noreturn void dooh_panic_overflow(dooh_ctx *ctx, const char *loc);
_Noreturn void dooh_panic_divzero(dooh_ctx *ctx, const char *loc);

static inline int64_t dooh_i64_add(dooh_ctx *ctx, int64_t a, int64_t b, const char *loc) {
    int64_t r;
    if (__builtin_add_overflow(a, b, &r)) dooh_panic_overflow(ctx, loc);
    return r;
}
static inline int64_t dooh_i64_sub(dooh_ctx *ctx, int64_t a, int64_t b, const char *loc) {
    int64_t r;
    if (__builtin_sub_overflow(a, b, &r)) dooh_panic_overflow(ctx, loc);
    return r;
}
static inline int64_t dooh_i64_mul(dooh_ctx *ctx, int64_t a, int64_t b, const char *loc) {
    int64_t r;
    if (__builtin_mul_overflow(a, b, &r)) dooh_panic_overflow(ctx, loc);
    return r;
}
static inline int64_t dooh_i64_div(dooh_ctx *ctx, int64_t a, int64_t b, const char *loc) {
    if (b == 0) dooh_panic_divzero(ctx, loc);
    if (a == INT64_MIN && b == -1) dooh_panic_overflow(ctx, loc);
    return a / b;
}
static inline int64_t dooh_i64_mod(dooh_ctx *ctx, int64_t a, int64_t b, const char *loc) {
    if (b == 0) dooh_panic_divzero(ctx, loc);
    if (b == -1) return 0;
    return a % b;
}
static inline int64_t dooh_i64_neg(dooh_ctx *ctx, int64_t a, const char *loc) {
    if (a == INT64_MIN) dooh_panic_overflow(ctx, loc);
    return -a;
}
/* Float -> Int conversion (`as Int`): truncates; NaN or out of range panics. */
int64_t dooh_f64_to_i64(dooh_ctx *ctx, double v, const char *loc);

/* ---- strings ---- */
bool dooh_str_eq(dooh_str a, dooh_str b);
int dooh_str_cmp(dooh_str a, dooh_str b);            /* bytewise, <0 / 0 / >0 */
dooh_str dooh_str_cat(dooh_ctx *ctx, int n, const dooh_str *parts); /* concatenation of n parts */
dooh_str dooh_str_from_cstr(const char *s);          /* borrows s */
const char *dooh_str_cstr(dooh_ctx *ctx, dooh_str s); /* NUL-terminated copy in the arena */
dooh_str dooh_str_copy(dooh_ctx *ctx, const char *p, size_t n);

/* Conversions to text (arena). Floats: shortest text that reads back to the same double
 * ("0.1", "1", "1e+21", "NaN", "+Inf", "-Inf"). */
dooh_str dooh_i64_to_str(dooh_ctx *ctx, int64_t v);
dooh_str dooh_f64_to_str(dooh_ctx *ctx, double v);
dooh_str dooh_bool_to_str(bool v);

/* Str methods. Lengths and positions count Unicode code points (like @min/@max),
 * not bytes. Out-of-range substring bounds panic. */
int64_t dooh_str_len(dooh_str s);                    /* code points (invalid bytes count 1 each) */
bool dooh_str_contains(dooh_str s, dooh_str sub);
bool dooh_str_starts_with(dooh_str s, dooh_str prefix);
bool dooh_str_ends_with(dooh_str s, dooh_str suffix);
int64_t dooh_str_index_of(dooh_str s, dooh_str sub); /* code point index, -1 if absent */
dooh_str dooh_str_substring(dooh_ctx *ctx, dooh_str s, int64_t a, int64_t b, const char *loc);
dooh_str dooh_str_to_upper(dooh_ctx *ctx, dooh_str s); /* ASCII letters only */
dooh_str dooh_str_to_lower(dooh_ctx *ctx, dooh_str s);
dooh_str dooh_str_trim(dooh_str s);                  /* ASCII whitespace both ends; borrows */
dooh_str dooh_str_replace(dooh_ctx *ctx, dooh_str s, dooh_str from, dooh_str to); /* all; empty `from` returns s */
dooh_arr dooh_str_split(dooh_ctx *ctx, dooh_str s, dooh_str sep); /* [Str]; empty sep splits into code points */
dooh_str dooh_str_repeat(dooh_ctx *ctx, dooh_str s, int64_t n, const char *loc); /* n < 0 panics */

/* Strict decimal parses used by Str.toInt() and by parameter binding.
 * Return false on empty input, any non-digit (a single leading '-' allowed for ints,
 * and '+' nowhere), or overflow. Floats: JSON number syntax, finite results only. */
bool dooh_parse_i64(dooh_str s, int64_t *out);
bool dooh_parse_f64(dooh_str s, double *out);
bool dooh_parse_bool(dooh_str s, bool *out);         /* exactly "true" or "false" */

/* ---- arrays ---- */
/* Append one zeroed element slot and return a pointer to it (grows in the arena). */
void *dooh_arr_push(dooh_ctx *ctx, dooh_arr *a, size_t elem_size);
/* Make an array of n elements copied from `elems` (array literals). */
dooh_arr dooh_arr_from(dooh_ctx *ctx, const void *elems, int64_t n, size_t elem_size);
/* Bounds check: returns i, or panics "index i out of range for length n". */
int64_t dooh_arr_check(dooh_ctx *ctx, dooh_arr a, int64_t i, const char *loc);
int64_t dooh_arr_index_of_i64(dooh_arr a, int64_t v);
int64_t dooh_arr_index_of_i32(dooh_arr a, int32_t v);
int64_t dooh_arr_index_of_f64(dooh_arr a, double v);
int64_t dooh_arr_index_of_bool(dooh_arr a, bool v);
int64_t dooh_arr_index_of_str(dooh_arr a, dooh_str v);
dooh_str dooh_arr_join_str(dooh_ctx *ctx, dooh_arr a, dooh_str sep);

/* ---- the rest of the built-in library ---- */
/* print(a, b, …): the parts joined by single spaces, then a newline, to stdout. */
void dooh_print(dooh_ctx *ctx, int n, const dooh_str *parts);
/* env(name) -> Str?: false when unset. */
bool dooh_env(dooh_ctx *ctx, dooh_str name, dooh_str *out);
/* now() -> Int: Unix time in seconds. */
int64_t dooh_now(void);

#endif
