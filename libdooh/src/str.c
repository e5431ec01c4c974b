/* str.c — Str values: comparison, building, code-point methods, conversions to and from
 * text (see dooh/rt.h).
 *
 * Positions and lengths count code points; an invalid UTF-8 byte counts as one code point,
 * so every byte string has a well-defined length and every index maps to a byte offset.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dooh/rt.h"
#include "rt_internal.h"

/* ---- basics ---- */

bool dooh_str_eq(dooh_str a, dooh_str b) {
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, (size_t)a.len) == 0);
}

int dooh_str_cmp(dooh_str a, dooh_str b) {
    size_t n = (size_t)(a.len < b.len ? a.len : b.len);
    int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
    if (c) return c;
    return (a.len > b.len) - (a.len < b.len);
}

dooh_str dooh_str_cat(dooh_ctx *ctx, int n, const dooh_str *parts) {
    int64_t total = 0;
    for (int i = 0; i < n; i++) total = dooh_i64_add(ctx, total, parts[i].len, NULL);
    char *out = dooh_alloc(ctx, (size_t)total ? (size_t)total : 1);
    char *w = out;
    for (int i = 0; i < n; i++) {
        if (parts[i].len) memcpy(w, parts[i].ptr, (size_t)parts[i].len);
        w += parts[i].len;
    }
    return (dooh_str){ out, total };
}

dooh_str dooh_str_from_cstr(const char *s) {
    return (dooh_str){ s, (int64_t)strlen(s) };
}

const char *dooh_str_cstr(dooh_ctx *ctx, dooh_str s) {
    char *out = dooh_alloc(ctx, (size_t)s.len + 1);
    if (s.len) memcpy(out, s.ptr, (size_t)s.len);
    out[s.len] = '\0';
    return out;
}

dooh_str dooh_str_copy(dooh_ctx *ctx, const char *p, size_t n) {
    char *out = dooh_alloc(ctx, n ? n : 1);
    if (n) memcpy(out, p, n);
    return (dooh_str){ out, (int64_t)n };
}

/* ---- conversions to text ---- */

dooh_str dooh_i64_to_str(dooh_ctx *ctx, int64_t v) {
    char tmp[DOOH__I64_MAX_CHARS];
    return dooh_str_copy(ctx, tmp, dooh__fmt_i64(tmp, v));
}

/* Drop leading zeros of the exponent that printf insists on ("1e-07" -> "1e-7"). */
static size_t trim_exponent(char *s, size_t n) {
    char *e = memchr(s, 'e', n);
    if (!e) return n;
    char *d = e + 2; /* after the sign, which %g always prints */
    char *z = d;
    while (z < s + n - 1 && *z == '0') z++;
    memmove(d, z, (size_t)(s + n - z));
    return n - (size_t)(z - d);
}

size_t dooh__fmt_f64(char *out, double v) {
    char tmp[40];
    int n = 0;
    /* Why 15..17: a normal double carries more than 15 significant digits, so when its
     * shortest round-trip text has <= 15 digits, %.15g prints exactly that text (trailing
     * zeros dropped); otherwise 16 or 17 digits are needed and the first that reads back
     * is shortest. Subnormals carry fewer digits ("5e-324"), so they search from 1. */
    int first = (v != 0 && fabs(v) < DBL_MIN) ? 1 : 15;
    for (int prec = first; prec <= 17; prec++) {
        n = snprintf(tmp, sizeof tmp, "%.*g", prec, v);
        if (prec == 17 || strtod(tmp, NULL) == v) break;
    }
    size_t len = trim_exponent(tmp, (size_t)n);
    memcpy(out, tmp, len);
    return len;
}

dooh_str dooh_f64_to_str(dooh_ctx *ctx, double v) {
    if (isnan(v)) return DOOH_LIT("NaN");
    if (isinf(v)) return v > 0 ? DOOH_LIT("+Inf") : DOOH_LIT("-Inf");
    char tmp[DOOH__F64_MAX_CHARS];
    return dooh_str_copy(ctx, tmp, dooh__fmt_f64(tmp, v));
}

dooh_str dooh_bool_to_str(bool v) {
    return v ? DOOH_LIT("true") : DOOH_LIT("false");
}

/* ---- code-point helpers ---- */

/* Number of code points in p[0..n). */
static int64_t cp_count(const char *p, size_t n) {
    const unsigned char *s = (const unsigned char *)p;
    int64_t count = 0;
    size_t i = 0;
    while (i < n) {
        /* ASCII fast path: most text is ASCII. */
        if (s[i] < 0x80) i++;
        else i += dooh__utf8_step(s + i, n - i);
        count++;
    }
    return count;
}

/* Byte offset of code point index k (k <= code point count); returns -1 past the end. */
static int64_t cp_offset(dooh_str s, int64_t k) {
    const unsigned char *p = (const unsigned char *)s.ptr;
    size_t i = 0, n = (size_t)s.len;
    for (int64_t c = 0; c < k; c++) {
        if (i >= n) return -1;
        i += dooh__utf8_step(p + i, n - i);
    }
    return (int64_t)i;
}

/* Byte offset of the first occurrence of sub in s at or after `from`, or -1. */
static int64_t find_bytes(dooh_str s, dooh_str sub, int64_t from) {
    if (sub.len == 0) return from;
    if (sub.len > s.len - from) return -1;
    const char *p = s.ptr + from, *end = s.ptr + s.len - sub.len + 1;
    while (p < end) {
        p = memchr(p, sub.ptr[0], (size_t)(end - p));
        if (!p) return -1;
        if (memcmp(p, sub.ptr, (size_t)sub.len) == 0) return p - s.ptr;
        p++;
    }
    return -1;
}

/* ---- Str methods ---- */

int64_t dooh_str_len(dooh_str s) {
    return cp_count(s.ptr, (size_t)s.len);
}

bool dooh_str_contains(dooh_str s, dooh_str sub) {
    return find_bytes(s, sub, 0) >= 0;
}

bool dooh_str_starts_with(dooh_str s, dooh_str prefix) {
    return prefix.len <= s.len && (prefix.len == 0 || memcmp(s.ptr, prefix.ptr, (size_t)prefix.len) == 0);
}

bool dooh_str_ends_with(dooh_str s, dooh_str suffix) {
    return suffix.len <= s.len &&
           (suffix.len == 0 || memcmp(s.ptr + s.len - suffix.len, suffix.ptr, (size_t)suffix.len) == 0);
}

int64_t dooh_str_index_of(dooh_str s, dooh_str sub) {
    int64_t at = find_bytes(s, sub, 0);
    return at < 0 ? -1 : cp_count(s.ptr, (size_t)at);
}

/* Borrows: strings are immutable, so a slice of s is a valid Str. */
dooh_str dooh_str_substring(dooh_ctx *ctx, dooh_str s, int64_t a, int64_t b, const char *loc) {
    int64_t from = a >= 0 ? cp_offset(s, a) : -1;
    int64_t to = (from >= 0 && b >= a) ? cp_offset(s, b) : -1;
    if (to < 0) {
        char msg[128];
        int k = snprintf(msg, sizeof msg, "substring bounds %lld..%lld out of range for length %lld",
                         (long long)a, (long long)b, (long long)dooh_str_len(s));
        dooh_panic(ctx, loc, dooh_str_copy(ctx, msg, (size_t)k));
    }
    return (dooh_str){ s.ptr + from, to - from };
}

/* Copy of s with every ASCII byte in [lo, lo+25] shifted by `delta`. */
static dooh_str ascii_map(dooh_ctx *ctx, dooh_str s, char lo, int delta) {
    char *out = dooh_alloc(ctx, s.len ? (size_t)s.len : 1);
    for (int64_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        out[i] = (c >= lo && c <= lo + 25) ? (char)(c + delta) : c;
    }
    return (dooh_str){ out, s.len };
}

dooh_str dooh_str_to_upper(dooh_ctx *ctx, dooh_str s) {
    return ascii_map(ctx, s, 'a', 'A' - 'a');
}

dooh_str dooh_str_to_lower(dooh_ctx *ctx, dooh_str s) {
    return ascii_map(ctx, s, 'A', 'a' - 'A');
}

static bool is_ascii_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

dooh_str dooh_str_trim(dooh_str s) {
    while (s.len && is_ascii_space(s.ptr[0])) { s.ptr++; s.len--; }
    while (s.len && is_ascii_space(s.ptr[s.len - 1])) s.len--;
    return s;
}

dooh_str dooh_str_replace(dooh_ctx *ctx, dooh_str s, dooh_str from, dooh_str to) {
    if (from.len == 0) return s;
    /* Two passes: count matches to size the result exactly, then copy. */
    int64_t count = 0;
    for (int64_t at = find_bytes(s, from, 0); at >= 0; at = find_bytes(s, from, at + from.len))
        count++;
    if (count == 0) return s;
    int64_t grow = dooh_i64_mul(ctx, count, to.len - from.len, NULL);
    int64_t total = dooh_i64_add(ctx, s.len, grow, NULL);
    char *out = dooh_alloc(ctx, total ? (size_t)total : 1), *w = out;
    int64_t prev = 0;
    for (int64_t at = find_bytes(s, from, 0); at >= 0; at = find_bytes(s, from, prev)) {
        memcpy(w, s.ptr + prev, (size_t)(at - prev));
        w += at - prev;
        if (to.len) memcpy(w, to.ptr, (size_t)to.len);
        w += to.len;
        prev = at + from.len;
    }
    memcpy(w, s.ptr + prev, (size_t)(s.len - prev));
    return (dooh_str){ out, total };
}

/* Split into one Str per code point (the empty-separator case). */
static dooh_arr split_code_points(dooh_ctx *ctx, dooh_str s) {
    dooh_arr out = { NULL, 0, 0 };
    const unsigned char *p = (const unsigned char *)s.ptr;
    size_t i = 0, n = (size_t)s.len;
    while (i < n) {
        size_t k = dooh__utf8_step(p + i, n - i);
        dooh_str *slot = dooh_arr_push(ctx, &out, sizeof(dooh_str));
        *slot = (dooh_str){ s.ptr + i, (int64_t)k };
        i += k;
    }
    return out;
}

/* Parts borrow from s. "" split by "," is [""]; "" split by "" is []. */
dooh_arr dooh_str_split(dooh_ctx *ctx, dooh_str s, dooh_str sep) {
    if (sep.len == 0) return split_code_points(ctx, s);
    dooh_arr out = { NULL, 0, 0 };
    int64_t prev = 0;
    for (;;) {
        int64_t at = find_bytes(s, sep, prev);
        int64_t end = at < 0 ? s.len : at;
        dooh_str *slot = dooh_arr_push(ctx, &out, sizeof(dooh_str));
        *slot = (dooh_str){ s.ptr + prev, end - prev };
        if (at < 0) return out;
        prev = at + sep.len;
    }
}

dooh_str dooh_str_repeat(dooh_ctx *ctx, dooh_str s, int64_t n, const char *loc) {
    if (n < 0) dooh_panic(ctx, loc, DOOH_LIT("repeat count must not be negative"));
    int64_t total = dooh_i64_mul(ctx, s.len, n, loc);
    char *out = dooh_alloc(ctx, total ? (size_t)total : 1);
    for (int64_t i = 0; i < n && s.len; i++) memcpy(out + i * s.len, s.ptr, (size_t)s.len);
    return (dooh_str){ out, total };
}

/* ---- strict parses ---- */

bool dooh_parse_i64(dooh_str s, int64_t *out) {
    const char *p = s.ptr, *end = s.ptr + s.len;
    bool neg = p < end && *p == '-';
    if (neg) p++;
    if (p == end) return false;
    /* Accumulate as a negative number: its range includes INT64_MIN. */
    int64_t v = 0;
    for (; p < end; p++) {
        if (*p < '0' || *p > '9') return false;
        int d = *p - '0';
        if (v < (INT64_MIN + d) / 10) return false;
        v = v * 10 - d;
    }
    if (!neg && v == INT64_MIN) return false;
    *out = neg ? v : -v;
    return true;
}

/* Index of the first non-digit at or after i. */
static size_t skip_digits(const char *s, size_t n, size_t i) {
    while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    return i;
}

size_t dooh__json_number_len(const char *s, size_t n, bool *is_int) {
    size_t i = 0;
    if (i < n && s[i] == '-') i++;
    if (i >= n || s[i] < '0' || s[i] > '9') return 0;
    /* A leading 0 stands alone: "01" is a 0 followed by garbage. */
    i = s[i] == '0' ? i + 1 : skip_digits(s, n, i);
    *is_int = true;
    if (i < n && s[i] == '.') {
        size_t d = i + 1;
        i = skip_digits(s, n, d);
        if (i == d) return 0;
        *is_int = false;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        size_t d = i;
        i = skip_digits(s, n, d);
        if (i == d) return 0;
        *is_int = false;
    }
    return i;
}

bool dooh_parse_f64(dooh_str s, double *out) {
    bool is_int;
    if (s.len <= 0 || dooh__json_number_len(s.ptr, (size_t)s.len, &is_int) != (size_t)s.len)
        return false;
    /* strtod needs a NUL terminator; short numbers (nearly all) avoid the heap. */
    char small[64];
    char *tmp = (size_t)s.len < sizeof small ? small : malloc((size_t)s.len + 1);
    if (!tmp) return false;
    memcpy(tmp, s.ptr, (size_t)s.len);
    tmp[s.len] = '\0';
    double v = strtod(tmp, NULL);
    if (tmp != small) free(tmp);
    if (!isfinite(v)) return false;
    *out = v;
    return true;
}

bool dooh_parse_bool(dooh_str s, bool *out) {
    if (dooh_str_eq(s, DOOH_LIT("true"))) { *out = true; return true; }
    if (dooh_str_eq(s, DOOH_LIT("false"))) { *out = false; return true; }
    return false;
}
