/* rt_internal.h — helpers shared by libdooh's runtime sources (not installed, not API).
 *
 * Names with a double underscore (dooh__*) are internal to libdooh: generated code and
 * the public headers never mention them.
 */
#ifndef DOOH_RT_INTERNAL_H
#define DOOH_RT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest outputs of the formatters below, without a terminating NUL. */
#define DOOH__I64_MAX_CHARS 20
#define DOOH__F64_MAX_CHARS 32

/* Decimal text of v into out (no NUL); returns the length. (buf.c) */
size_t dooh__fmt_u64(char *out, uint64_t v);
size_t dooh__fmt_i64(char *out, int64_t v);

/* Shortest "%.Ng" text (N = 15..17) that strtod reads back to exactly v, with the exponent's
 * leading zeros dropped ("1e-7", "1e+21"). v must be finite. Returns the length. (str.c) */
size_t dooh__fmt_f64(char *out, double v);

/* Length of the JSON number (RFC 8259 grammar) at the start of s[0..n), or 0 when s does
 * not start with one. *is_int: no fraction and no exponent. (str.c) */
size_t dooh__json_number_len(const char *s, size_t n, bool *is_int);

/* Decode one UTF-8 sequence at p (n > 0 bytes available). Returns its length (1..4) and sets
 * *cp, or 0 when the bytes there are not a valid sequence (overlong, surrogate, > U+10FFFF,
 * truncated or stray continuation byte). */
static inline int dooh__utf8_decode(const unsigned char *p, size_t n, uint32_t *cp) {
    unsigned c = p[0];
    if (c < 0x80) { *cp = c; return 1; }
    int len;
    uint32_t v, min;
    if (c >= 0xC2 && c <= 0xDF) { len = 2; v = c & 0x1F; min = 0x80; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; v = c & 0x0F; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; v = c & 0x07; min = 0x10000; }
    else return 0;
    if (n < (size_t)len) return 0;
    for (int i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (p[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    *cp = v;
    return len;
}

/* Bytes to step over one "code point" when counting: a valid sequence, or 1 invalid byte. */
static inline size_t dooh__utf8_step(const unsigned char *p, size_t n) {
    uint32_t cp;
    if (p[0] < 0x80) return 1;
    int k = dooh__utf8_decode(p, n, &cp);
    return k ? (size_t)k : 1;
}

#endif
