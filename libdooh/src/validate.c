/* validate.c — decorator checks (@email, @url, @pattern, lengths) and the per-request
 * validation error list (see dooh/validate.h).
 */
#include "dooh/validate.h"

#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rt_internal.h"

/* ---- error list ---- */

static const char *arena_cstr(dooh_ctx *ctx, const char *s) {
    return s ? dooh_str_cstr(ctx, dooh_str_from_cstr(s)) : NULL;
}

void dooh_verr_add(dooh_ctx *ctx, const char *field, const char *code, dooh_str detail,
                   const char *extra_key, int64_t extra_val) {
    if (ctx->nverrs == ctx->verrs_cap) {
        int cap = ctx->verrs_cap ? ctx->verrs_cap * 2 : 8;
        dooh_verr *v = dooh_alloc(ctx, (size_t)cap * sizeof *v);
        /* The old array stays in the arena until the request ends. */
        if (ctx->nverrs) memcpy(v, ctx->verrs, (size_t)ctx->nverrs * sizeof *v);
        ctx->verrs = v;
        ctx->verrs_cap = cap;
    }
    ctx->verrs[ctx->nverrs++] = (dooh_verr){
        .field = arena_cstr(ctx, field ? field : ""),
        .code = arena_cstr(ctx, code ? code : ""),
        .detail = dooh_str_copy(ctx, detail.ptr, (size_t)detail.len),
        .extra_key = arena_cstr(ctx, extra_key),
        .extra_val = extra_val,
    };
}

/* ---- UTF-8 ---- */

int64_t dooh_utf8_len(dooh_str s) {
    return dooh_str_len(s);
}

bool dooh_utf8_valid(dooh_str s) {
    const unsigned char *p = (const unsigned char *)s.ptr;
    size_t n = (size_t)s.len, i = 0;
    uint32_t cp;
    while (i < n) {
        if (p[i] < 0x80) { i++; continue; }
        int k = dooh__utf8_decode(p + i, n - i, &cp);
        if (!k) return false;
        i += (size_t)k;
    }
    return true;
}

/* ---- @email ---- */

static bool is_ascii_alnum(unsigned char c) {
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* Approximation of "a UTF-8 letter" without Unicode tables: any code point from U+00C0 up,
 * except the ranges that hold spaces, punctuation and symbols rather than letters. */
static bool is_non_ascii_letter(uint32_t cp) {
    if (cp < 0xC0 || cp == 0xD7 || cp == 0xF7) return false;
    if (cp >= 0x2000 && cp <= 0x2BFF) return false; /* punctuation, symbols, arrows, … */
    if (cp >= 0x3000 && cp <= 0x303F) return false; /* CJK punctuation, ideographic space */
    if (cp >= 0xE000 && cp <= 0xF8FF) return false; /* private use */
    if (cp >= 0xFE00 && cp <= 0xFE6F) return false; /* variation selectors, small forms */
    if (cp == 0xFEFF || cp >= 0xFFF0) return false; /* BOM, specials, beyond the BMP letters */
    return true;
}

/* One domain label p[0..n): non-empty, no leading/trailing '-', letters/digits/'-'. */
static bool valid_label(const unsigned char *p, size_t n) {
    if (n == 0 || p[0] == '-' || p[n - 1] == '-') return false;
    for (size_t i = 0; i < n;) {
        if (p[i] < 0x80) {
            if (!is_ascii_alnum(p[i]) && p[i] != '-') return false;
            i++;
            continue;
        }
        uint32_t cp;
        int k = dooh__utf8_decode(p + i, n - i, &cp);
        if (!k || !is_non_ascii_letter(cp)) return false;
        i += (size_t)k;
    }
    return true;
}

static bool valid_domain(const unsigned char *p, size_t n) {
    size_t labels = 0, start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && p[i] != '.') continue;
        if (!valid_label(p + start, i - start)) return false;
        labels++;
        start = i + 1;
    }
    return labels >= 2;
}

bool dooh_valid_email(dooh_str s) {
    if (s.len <= 0 || s.len > 254 || !dooh_utf8_valid(s)) return false;
    const unsigned char *p = (const unsigned char *)s.ptr;
    size_t n = (size_t)s.len;
    const unsigned char *at = memchr(p, '@', n);
    if (!at || memchr(at + 1, '@', n - (size_t)(at - p) - 1)) return false;
    size_t local = (size_t)(at - p);
    if (local == 0) return false;
    for (size_t i = 0; i < local; i++)
        if (p[i] <= 0x20 || p[i] == 0x7F) return false;
    return valid_domain(at + 1, n - local - 1);
}

/* ---- @url ---- */

/* "http://" or "https://" (scheme case-insensitive); returns the prefix length or 0. */
static size_t url_scheme_len(const char *p, size_t n) {
    static const char *const schemes[] = { "http://", "https://" };
    for (int k = 0; k < 2; k++) {
        size_t m = strlen(schemes[k]);
        if (n < m) continue;
        size_t i = 0;
        while (i < m && (p[i] | (p[i] >= 'A' && p[i] <= 'Z' ? 0x20 : 0)) == schemes[k][i]) i++;
        if (i == m) return m;
    }
    return 0;
}

/* Host characters: ASCII letters/digits and "-._~%", or any non-ASCII (IDN) byte. */
static bool is_host_byte(unsigned char c) {
    return c >= 0x80 || is_ascii_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '%';
}

static bool hex_digit_or_sep(char c) {
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') || c == ':' || c == '.';
}

/* Bracketed IPv6 literal "[...]": hex digits, ':' and '.' inside. */
static bool valid_ip_literal(const char *p, size_t n) {
    if (n < 3 || p[0] != '[' || p[n - 1] != ']') return false;
    for (size_t i = 1; i + 1 < n; i++)
        if (!hex_digit_or_sep(p[i])) return false;
    return true;
}

static bool valid_port(const char *p, size_t n) {
    if (n == 0 || n > 5) return false;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return false;
        v = v * 10 + (p[i] - '0');
    }
    return v <= 65535;
}

/* authority = [userinfo "@"] host [":" port] */
static bool valid_authority(const char *p, size_t n) {
    const char *at = NULL;
    for (size_t i = 0; i < n; i++)
        if (p[i] == '@') at = p + i;
    if (at) {
        n -= (size_t)(at + 1 - p);
        p = at + 1;
    }
    /* The port starts at the last ':' unless that ':' is inside an IPv6 literal. */
    size_t host_len = n;
    for (size_t i = n; i > 0; i--) {
        if (p[i - 1] == ']') break;
        if (p[i - 1] == ':') { host_len = i - 1; break; }
    }
    if (host_len < n && !valid_port(p + host_len + 1, n - host_len - 1)) return false;
    if (host_len == 0) return false;
    if (p[0] == '[') return valid_ip_literal(p, host_len);
    for (size_t i = 0; i < host_len; i++)
        if (!is_host_byte((unsigned char)p[i])) return false;
    return true;
}

bool dooh_valid_url(dooh_str s) {
    if (s.len <= 0 || !dooh_utf8_valid(s)) return false;
    size_t n = (size_t)s.len;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s.ptr[i] <= 0x20 || s.ptr[i] == 0x7F) return false;
    size_t start = url_scheme_len(s.ptr, n);
    if (!start) return false;
    size_t end = start;
    while (end < n && s.ptr[end] != '/' && s.ptr[end] != '?' && s.ptr[end] != '#') end++;
    /* What follows the authority (path, query, fragment) only has to be free of
     * whitespace and control bytes, which was checked above. */
    return valid_authority(s.ptr + start, end - start);
}

/* ---- @pattern ---- */

struct dooh_regex {
    regex_t re;
};

/* Skip a bracket expression starting at p[i] == '['; returns the index after its ']',
 * or 0 when it is not closed. Handles "[]...]", "[^]...]" and "[:class:]" inside. */
static size_t skip_bracket(const char *p, size_t i) {
    i++;
    if (p[i] == '^') i++;
    if (p[i] == ']') i++;
    while (p[i] && p[i] != ']') {
        if (p[i] == '[' && (p[i + 1] == ':' || p[i + 1] == '.' || p[i + 1] == '=')) {
            char kind = p[i + 1];
            const char *close = p + i + 2;
            while (*close && !(close[0] == kind && close[1] == ']')) close++;
            if (!*close) return 0;
            i = (size_t)(close - p) + 2;
            continue;
        }
        i++;
    }
    return p[i] ? i + 1 : 0;
}

/* True when every ')' closes an earlier '(' outside brackets and escapes. Why: the pattern
 * is wrapped as "^(" P ")$"; a P such as "a)|(b" would otherwise escape the anchors and
 * turn the full match into a partial one. */
static bool parens_balanced(const char *p) {
    long depth = 0;
    for (size_t i = 0; p[i];) {
        if (p[i] == '\\') { i += p[i + 1] ? 2 : 1; continue; }
        if (p[i] == '[') {
            i = skip_bracket(p, i);
            if (!i) return false;
            continue;
        }
        if (p[i] == '(') depth++;
        if (p[i] == ')' && --depth < 0) return false;
        i++;
    }
    return depth == 0;
}

/* POSIX bracket equivalent of a Perl class escape (\d \w \s and negations), or NULL. */
static const char *class_escape(char c) {
    switch (c) {
    case 'd': return "[0-9]";
    case 'D': return "[^0-9]";
    case 'w': return "[A-Za-z0-9_]";
    case 'W': return "[^A-Za-z0-9_]";
    case 's': return "[ \t\n\r\f\v]";
    case 'S': return "[^ \t\n\r\f\v]";
    default: return NULL;
    }
}

/* Write "^(" pattern ")$" to out, rewriting \d \w \s (outside brackets) to POSIX classes.
 * Why: they are not POSIX ERE, and glibc reads "\d" as a literal 'd' while musl reads it as
 * a digit, so the same program would validate differently per build. out must hold
 * 7 * strlen(pattern) + 5 bytes (the longest rewrite turns 2 bytes into 13). */
static void wrap_pattern(const char *p, char *out) {
    char *w = out;
    memcpy(w, "^(", 2);
    w += 2;
    for (size_t i = 0; p[i];) {
        /* Copy bracket expressions and other escapes whole, so their contents ("[\d]",
         * "\[") are never rewritten or mistaken for structure. */
        size_t span = 1;
        const char *cls = p[i] == '\\' ? class_escape(p[i + 1]) : NULL;
        if (cls) {
            memcpy(w, cls, strlen(cls));
            w += strlen(cls);
            i += 2;
            continue;
        }
        if (p[i] == '[') span = skip_bracket(p, i) - i; /* closed: parens_balanced checked */
        else if (p[i] == '\\' && p[i + 1]) span = 2;
        memcpy(w, p + i, span);
        w += span;
        i += span;
    }
    memcpy(w, ")$", 3);
}

dooh_regex *dooh_regex_compile(const char *pattern) {
    if (!pattern || !parens_balanced(pattern)) return NULL;
    size_t n = strlen(pattern);
    char *full = n < (SIZE_MAX - 5) / 7 ? malloc(7 * n + 5) : NULL;
    dooh_regex *re = malloc(sizeof *re);
    int rc = -1;
    if (full && re) {
        wrap_pattern(pattern, full);
        rc = regcomp(&re->re, full, REG_EXTENDED | REG_NOSUB);
    }
    free(full);
    if (rc != 0) {
        free(re);
        return NULL;
    }
    return re;
}

void dooh_regex_free(dooh_regex *re) {
    if (!re) return;
    regfree(&re->re);
    free(re);
}

/* regexec only reads the compiled program, so one dooh_regex serves every worker. */
bool dooh_regex_full_match(dooh_ctx *ctx, const dooh_regex *re, dooh_str s) {
    if (!re || (s.len && memchr(s.ptr, '\0', (size_t)s.len))) return false;
    const char *text = dooh_str_cstr(ctx, s);
    return regexec(&re->re, text, 0, NULL, 0) == 0;
}
