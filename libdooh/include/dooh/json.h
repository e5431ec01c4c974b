/* dooh/json.h — JSON writer (into a dooh_buf) and reader (into an arena DOM).
 *
 * Writer: RFC 8259 output. Strings are escaped for '"', '\\' and control characters
 * (\b \f \n \r \t, others as \u00XX); non-ASCII bytes pass through as UTF-8. Floats are the
 * shortest text that reads back to the same double; NaN and infinities become null.
 *
 * Reader: strict RFC 8259. Rejects (returns -1 with a message): trailing garbage, invalid
 * UTF-8, lone or mis-ordered surrogate escapes, control characters in strings, leading
 * zeros, '+' signs, NaN/Infinity literals, trailing commas, duplicate object keys, nesting
 * deeper than max_depth. Accepts any top-level value. Strings are unescaped into the arena
 * and may contain NUL ("\u0000") — lengths are always carried.
 */
#ifndef DOOH_JSON_H
#define DOOH_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include "dooh/buf.h"
#include "dooh/rt.h"

void dooh_json_str(dooh_buf *b, dooh_str s);   /* "escaped" */
void dooh_json_i64(dooh_buf *b, int64_t v);
void dooh_json_f64(dooh_buf *b, double v);
void dooh_json_bool(dooh_buf *b, bool v);
void dooh_json_null(dooh_buf *b);

typedef enum dooh_jtype {
    DOOH_JNULL, DOOH_JBOOL, DOOH_JNUM, DOOH_JSTR, DOOH_JARR, DOOH_JOBJ
} dooh_jtype;

typedef struct dooh_jv dooh_jv;
struct dooh_jv {
    dooh_jtype type;
    bool b;            /* JBOOL */
    bool is_int;       /* JNUM: no fraction and no exponent */
    dooh_str s;        /* JSTR: unescaped value; JNUM: the number's source text */
    int64_t n;         /* JARR/JOBJ: element / member count */
    dooh_jv *items;    /* JARR: elements; JOBJ: member values, in source order */
    dooh_str *keys;    /* JOBJ: member names (unescaped), parallel to items */
};

/* Parse `n` bytes at `p`. Returns 0 and sets *out, or -1 and sets *err to a short message
 * ("unexpected character at offset 12", "duplicate key \"a\"", "nesting too deep", …). */
int dooh_json_parse(dooh_ctx *ctx, const char *p, size_t n, int max_depth,
                    dooh_jv **out, dooh_str *err);

/* The nesting depth request bodies may have (reliability.md §1: 64; DOO_MAX_JSON_DEPTH).
 * Set once at start-up by the server, read by every body reader. */
int dooh_json_max_depth(void);
void dooh_json_set_max_depth(int depth);

/* Member lookup in an object by exact key bytes; NULL if absent (or obj is not an object). */
const dooh_jv *dooh_jv_get(const dooh_jv *obj, const char *key, size_t keylen);

/* Number conversions. as_i64: false unless the number is an integer (is_int, or a value
 * with a zero fraction such as 1.0 is NOT accepted) that fits int64. as_f64: false when the
 * value overflows to infinity. */
bool dooh_jv_as_i64(const dooh_jv *v, int64_t *out);
bool dooh_jv_as_f64(const dooh_jv *v, double *out);

#endif
