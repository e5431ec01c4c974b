/* buf.c — growable malloc-backed byte buffer (see dooh/buf.h) and integer formatting. */
#include "dooh/buf.h"

#include <stdio.h>
#include <stdlib.h>

#include "rt_internal.h"

#define BUF_MIN_CAP 256

void dooh_buf_init(dooh_buf *b) {
    b->p = NULL;
    b->len = 0;
    b->cap = 0;
}

void dooh_buf_free(dooh_buf *b) {
    free(b->p);
    dooh_buf_init(b);
}

bool dooh_buf_reserve(dooh_buf *b, size_t n) {
    if (n <= b->cap - b->len) return true;
    if (n > SIZE_MAX - b->len) return false;
    size_t need = b->len + n;
    size_t cap = b->cap ? b->cap : BUF_MIN_CAP;
    /* Doubling keeps appends amortised O(1); stop doubling before it would overflow. */
    while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = realloc(b->p, cap);
    if (!p) return false;
    b->p = p;
    b->cap = cap;
    return true;
}

/* Appends have no error channel: running out of memory here is fatal by contract. */
static void buf_grow_or_die(dooh_buf *b, size_t n) {
    if (dooh_buf_reserve(b, n)) return;
    fputs("libdooh: out of memory growing a buffer\n", stderr);
    abort();
}

void dooh_buf_put(dooh_buf *b, const void *p, size_t n) {
    if (n == 0) return;
    buf_grow_or_die(b, n);
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

void dooh_buf_putc(dooh_buf *b, char c) {
    if (b->len == b->cap) buf_grow_or_die(b, 1);
    b->p[b->len++] = c;
}

/* "00".."99": two digits per division halves the number of divisions. */
static const char digit_pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

size_t dooh__fmt_u64(char *out, uint64_t v) {
    char tmp[DOOH__I64_MAX_CHARS];
    char *e = tmp + sizeof tmp, *s = e;
    while (v >= 100) {
        unsigned d = (unsigned)(v % 100) * 2;
        v /= 100;
        *--s = digit_pairs[d + 1];
        *--s = digit_pairs[d];
    }
    if (v >= 10) {
        *--s = digit_pairs[v * 2 + 1];
        *--s = digit_pairs[v * 2];
    } else {
        *--s = (char)('0' + v);
    }
    size_t n = (size_t)(e - s);
    memcpy(out, s, n);
    return n;
}

size_t dooh__fmt_i64(char *out, int64_t v) {
    if (v >= 0) return dooh__fmt_u64(out, (uint64_t)v);
    /* Negate in unsigned arithmetic so INT64_MIN does not overflow. */
    out[0] = '-';
    return 1 + dooh__fmt_u64(out + 1, 0 - (uint64_t)v);
}

void dooh_buf_put_i64(dooh_buf *b, int64_t v) {
    buf_grow_or_die(b, DOOH__I64_MAX_CHARS);
    b->len += dooh__fmt_i64(b->p + b->len, v);
}

void dooh_buf_put_u64(dooh_buf *b, uint64_t v) {
    buf_grow_or_die(b, DOOH__I64_MAX_CHARS);
    b->len += dooh__fmt_u64(b->p + b->len, v);
}
