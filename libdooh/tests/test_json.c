/* needs: arena.c buf.c rt.c str.c json.c */
/* Unit tests for the JSON writer and the strict reader (dooh/json.h). */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "dooh/json.h"

static dooh_ctx ctx;
static dooh_buf out;

#define S(lit) DOOH_LIT(lit)

/* Parse a literal with depth 64; returns the root or NULL (error left in last_err). */
static dooh_str last_err;
static dooh_jv *parse_n(const char *p, size_t n) {
    dooh_jv *v = NULL;
    last_err = DOOH_NULL_STR;
    if (dooh_json_parse(&ctx, p, n, 64, &v, &last_err) != 0) return NULL;
    return v;
}
#define PARSE(lit) parse_n((lit), sizeof(lit) - 1)

static void expect_reject(const char *p, size_t n, const char *why) {
    dooh_jv *v = parse_n(p, n);
    if (v) fprintf(stderr, "accepted but should reject (%s): %.*s\n", why, (int)n, p);
    CHECK(v == NULL);
    CHECK(last_err.len > 0);
}
#define REJECT(lit, why) expect_reject((lit), sizeof(lit) - 1, (why))

/* ---- writer ---- */

static void json_str_should_escape_quotes_backslashes_and_controls(void) {
    dooh_buf_clear(&out);
    dooh_json_str(&out, S("a\"b\\c\n\t\b\f\r\x01\x1f\x7f/\xc3\xa9\0z"));
    CHECK_EQ_MEM(out.p, out.len, "\"a\\\"b\\\\c\\n\\t\\b\\f\\r\\u0001\\u001f\x7f/\xc3\xa9\\u0000z\"");
}

static void json_str_should_write_empty_string(void) {
    dooh_buf_clear(&out);
    dooh_json_str(&out, DOOH_NULL_STR);
    CHECK_EQ_MEM(out.p, out.len, "\"\"");
}

static void json_scalars_should_write_rfc8259_text(void) {
    dooh_buf_clear(&out);
    dooh_json_i64(&out, INT64_MIN);
    dooh_buf_putc(&out, ',');
    dooh_json_f64(&out, 0.1);
    dooh_buf_putc(&out, ',');
    dooh_json_f64(&out, 1e21);
    dooh_buf_putc(&out, ',');
    dooh_json_f64(&out, 3.0);
    dooh_buf_putc(&out, ',');
    dooh_json_bool(&out, true);
    dooh_buf_putc(&out, ',');
    dooh_json_bool(&out, false);
    dooh_buf_putc(&out, ',');
    dooh_json_null(&out);
    CHECK_EQ_MEM(out.p, out.len, "-9223372036854775808,0.1,1e+21,3,true,false,null");
}

static void json_f64_should_write_null_for_nan_and_infinity(void) {
    dooh_buf_clear(&out);
    dooh_json_f64(&out, NAN);
    dooh_json_f64(&out, INFINITY);
    dooh_json_f64(&out, -INFINITY);
    CHECK_EQ_MEM(out.p, out.len, "nullnullnull");
}

/* ---- reader: accepted documents ---- */

static void parse_should_read_nested_document(void) {
    dooh_jv *v = PARSE(" {\"a\": [1, -2.5e3, true, false, null], \"b\": {\"c\": \"d\"}, \"e\": {}} ");
    CHECK(v != NULL);
    if (!v) return;
    CHECK_EQ_INT(v->type, DOOH_JOBJ);
    CHECK_EQ_INT(v->n, 3);
    CHECK_EQ_MEM(v->keys[1].ptr, v->keys[1].len, "b");
    const dooh_jv *a = dooh_jv_get(v, "a", 1);
    CHECK(a && a->type == DOOH_JARR && a->n == 5);
    if (!a) return;
    CHECK(a->items[0].type == DOOH_JNUM && a->items[0].is_int);
    CHECK(a->items[1].type == DOOH_JNUM && !a->items[1].is_int);
    CHECK_EQ_MEM(a->items[1].s.ptr, a->items[1].s.len, "-2.5e3");
    CHECK(a->items[2].type == DOOH_JBOOL && a->items[2].b);
    CHECK(a->items[3].type == DOOH_JBOOL && !a->items[3].b);
    CHECK(a->items[4].type == DOOH_JNULL);
    const dooh_jv *c = dooh_jv_get(dooh_jv_get(v, "b", 1), "c", 1);
    CHECK(c && c->type == DOOH_JSTR);
    if (c) CHECK_EQ_MEM(c->s.ptr, c->s.len, "d");
    const dooh_jv *e = dooh_jv_get(v, "e", 1);
    CHECK(e && e->type == DOOH_JOBJ && e->n == 0);
    CHECK(dooh_jv_get(v, "z", 1) == NULL);
    CHECK(dooh_jv_get(a, "a", 1) == NULL);
}

static void parse_should_accept_any_top_level_value(void) {
    dooh_jv *v = PARSE("42");
    CHECK(v && v->type == DOOH_JNUM);
    v = PARSE("\"x\"");
    CHECK(v && v->type == DOOH_JSTR);
    v = PARSE("null");
    CHECK(v && v->type == DOOH_JNULL);
    v = PARSE("[]");
    CHECK(v && v->type == DOOH_JARR && v->n == 0);
    v = PARSE("\t\r\n true \n");
    CHECK(v && v->type == DOOH_JBOOL && v->b);
}

static void parse_should_unescape_strings_including_nul_and_surrogates(void) {
    dooh_jv *v = PARSE("\"a\\u0000b\\n\\\"\\\\\\/\\u00e9\\ud83d\\ude00\\u20AC\"");
    CHECK(v != NULL);
    if (v) CHECK(v->s.len == 16 &&
                 memcmp(v->s.ptr, "a\0b\n\"\\/\xc3\xa9\xf0\x9f\x98\x80\xe2\x82\xac", 16) == 0);
    v = PARSE("{\"k\\u0000\":1}");
    CHECK(v && v->keys[0].len == 2);
    CHECK(v && dooh_jv_get(v, "k\0", 2) != NULL);
}

static void parse_should_pass_utf8_through(void) {
    dooh_jv *v = PARSE("\"h\xc3\xa9llo \xf0\x9f\x98\x80\"");
    CHECK(v != NULL);
    if (v) CHECK_EQ_MEM(v->s.ptr, v->s.len, "h\xc3\xa9llo \xf0\x9f\x98\x80");
}

static void parse_should_handle_escaped_quotes_and_backslash_runs(void) {
    dooh_jv *v = PARSE("[\"\\\\\", \"\\\\\\\"\"]");
    CHECK(v && v->n == 2);
    if (!v) return;
    CHECK_EQ_MEM(v->items[0].s.ptr, v->items[0].s.len, "\\");
    CHECK_EQ_MEM(v->items[1].s.ptr, v->items[1].s.len, "\\\"");
}

static void parse_should_accept_nesting_up_to_max_depth(void) {
    char doc[130];
    memset(doc, '[', 64);
    memset(doc + 64, ']', 64);
    CHECK(parse_n(doc, 128) != NULL);
    memset(doc, '[', 65);
    memset(doc + 65, ']', 65);
    CHECK(parse_n(doc, 130) == NULL);
    CHECK_EQ_MEM(last_err.ptr, last_err.len, "nesting too deep");
}

static void parse_with_zero_depth_should_accept_only_scalars(void) {
    dooh_jv *v = NULL;
    dooh_str err;
    CHECK_EQ_INT(dooh_json_parse(&ctx, "1", 1, 0, &v, &err), 0);
    CHECK_EQ_INT(dooh_json_parse(&ctx, "[]", 2, 0, &v, &err), -1);
}

static void parse_should_reject_deep_nesting_without_stack_overflow(void) {
    size_t n = 1000000;
    char *doc = malloc(n);
    memset(doc, '[', n);
    dooh_jv *v = NULL;
    dooh_str err;
    CHECK_EQ_INT(dooh_json_parse(&ctx, doc, n, 64, &v, &err), -1);
    /* Even with no real limit the reader is iterative: a million levels just works. */
    memset(doc + n / 2, ']', n / 2);
    CHECK_EQ_INT(dooh_json_parse(&ctx, doc, n, 1 << 30, &v, &err), 0);
    free(doc);
    dooh_ctx_reset(&ctx);
}

/* ---- reader: rejected documents ---- */

static void parse_should_reject_duplicate_keys(void) {
    REJECT("{\"a\":1,\"a\":2}", "duplicate");
    CHECK_EQ_MEM(last_err.ptr, last_err.len, "duplicate key \"a\"");
    REJECT("{\"a\":1,\"b\":{\"x\":1,\"x\":1}}", "nested duplicate");
    REJECT("{\"\\u0061\":1,\"a\":2}", "duplicate after unescaping");
    CHECK(PARSE("{\"a\":{\"a\":1},\"b\":[{\"a\":1},{\"a\":2}]}") != NULL);
}

static void parse_should_reject_duplicate_keys_in_big_objects(void) {
    /* Over 32 keys takes the sorted path; put the duplicate far apart. */
    dooh_buf doc;
    dooh_buf_init(&doc);
    dooh_buf_putc(&doc, '{');
    for (int i = 0; i < 5000; i++) {
        if (i) dooh_buf_putc(&doc, ',');
        dooh_buf_lit(&doc, "\"k");
        dooh_buf_put_i64(&doc, i);
        dooh_buf_lit(&doc, "\":1");
    }
    size_t unique_len = doc.len;
    dooh_buf_lit(&doc, "}");
    dooh_jv *v = parse_n(doc.p, doc.len);
    CHECK(v && v->n == 5000);
    CHECK(v && dooh_jv_get(v, "k4999", 5) != NULL);
    doc.len = unique_len;
    dooh_buf_lit(&doc, ",\"k17\":2}");
    CHECK(parse_n(doc.p, doc.len) == NULL);
    CHECK_EQ_MEM(last_err.ptr, last_err.len, "duplicate key \"k17\"");
    dooh_buf_free(&doc);
    dooh_ctx_reset(&ctx);
}

static void parse_number_should_reject_leading_plus(void) {
    REJECT("+1", "plus");
    REJECT("[1e+]", "exp sign without digits");
}

static void parse_number_should_reject_leading_zeros_and_bad_forms(void) {
    REJECT("01", "leading zero");
    REJECT("-01", "leading zero");
    REJECT("1.", "no fraction digits");
    REJECT(".1", "no integer part");
    REJECT("-", "sign only");
    REJECT("1e", "no exponent digits");
    REJECT("0x10", "hex");
    REJECT("NaN", "NaN");
    REJECT("Infinity", "Infinity");
    REJECT("-Infinity", "-Infinity");
}

static void parse_should_reject_structural_errors(void) {
    REJECT("", "empty");
    REJECT("   ", "whitespace only");
    REJECT("[1,]", "trailing comma");
    REJECT("{\"a\":1,}", "trailing comma in object");
    REJECT("[1 2]", "missing comma");
    REJECT("{\"a\" 1}", "missing colon");
    REJECT("{a:1}", "unquoted key");
    REJECT("{\"a\":1", "unclosed object");
    REJECT("[1}", "mismatched closer");
    REJECT("1 2", "trailing garbage");
    REJECT("[] x", "trailing garbage");
    REJECT("tru", "truncated literal");
    REJECT("nulll", "long literal");
    REJECT("\xef\xbb\xbf{}", "byte order mark");
    REJECT("[1]\0", "trailing NUL");
    REJECT("\x0c[]", "form feed is not JSON whitespace");
}

static void parse_should_reject_bad_strings(void) {
    REJECT("\"abc", "unterminated");
    REJECT("\"a\x01\"", "control char");
    REJECT("\"a\tb\"", "raw tab");
    REJECT("\"\\x41\"", "bad escape");
    REJECT("\"\\u12\"", "short \\u");
    REJECT("\"\\u12G4\"", "bad hex");
    REJECT("\"\\\"", "escaped closing quote");
    REJECT("'a'", "single quotes");
}

static void parse_should_reject_lone_and_misordered_surrogates(void) {
    REJECT("\"\\ud800\"", "lone high");
    REJECT("\"\\udc00\"", "lone low");
    REJECT("\"\\udc00\\ud800\"", "reversed pair");
    REJECT("\"\\ud800\\u0041\"", "high then non-low");
    REJECT("\"\\ud800x\"", "high then text");
}

static void parse_should_reject_invalid_utf8(void) {
    REJECT("\"\xff\"", "0xff");
    REJECT("\"\xc0\xaf\"", "overlong");
    REJECT("\"\xed\xa0\x80\"", "encoded surrogate");
    REJECT("\"\xf4\x90\x80\x80\"", "above U+10FFFF");
    REJECT("\"\xe2\x82\"", "truncated");
    REJECT("\"\x80\"", "stray continuation");
}

static void parse_errors_should_carry_offsets(void) {
    REJECT("[1,x]", "x");
    CHECK_EQ_MEM(last_err.ptr, last_err.len, "unexpected character at offset 3");
    REJECT("[1", "eof");
    CHECK_EQ_MEM(last_err.ptr, last_err.len, "unexpected end of input");
}

/* ---- number conversions ---- */

static void as_i64_should_accept_only_integers_in_range(void) {
    int64_t i;
    CHECK(dooh_jv_as_i64(PARSE("-9223372036854775808"), &i) && i == INT64_MIN);
    CHECK(dooh_jv_as_i64(PARSE("0"), &i) && i == 0);
    CHECK(!dooh_jv_as_i64(PARSE("9223372036854775808"), &i));
    CHECK(!dooh_jv_as_i64(PARSE("1.0"), &i));
    CHECK(!dooh_jv_as_i64(PARSE("1e2"), &i));
    CHECK(!dooh_jv_as_i64(PARSE("\"1\""), &i));
    CHECK(!dooh_jv_as_i64(NULL, &i));
}

static void as_f64_should_reject_overflow_to_infinity(void) {
    double d;
    CHECK(dooh_jv_as_f64(PARSE("1.5"), &d) && d == 1.5);
    CHECK(dooh_jv_as_f64(PARSE("7"), &d) && d == 7);
    CHECK(!dooh_jv_as_f64(PARSE("1e999"), &d));
    CHECK(!dooh_jv_as_f64(PARSE("-1e999"), &d));
    CHECK(!dooh_jv_as_f64(PARSE("true"), &d));
}

/* ---- robustness ---- */

/* Feed mutated documents; the reader must not crash or trip a sanitizer, whatever it says. */
static void parse_should_survive_random_mutations(void) {
    static const char seed[] = "{\"a\":[1,-2.5e3,true,null,\"\\u00e9\\ud83d\\ude00\"],\"b\":{\"c\":{}}}";
    char doc[sizeof seed];
    uint64_t x = 0x2545F4914F6CDD1DULL;
    for (int iter = 0; iter < 200000; iter++) {
        memcpy(doc, seed, sizeof seed);
        for (int k = 0; k < 3; k++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            doc[x % (sizeof seed - 1)] = (char)(x >> 32);
        }
        size_t n = (size_t)((x >> 16) % sizeof seed);
        dooh_jv *v;
        dooh_str err;
        (void)dooh_json_parse(&ctx, doc, n, 8, &v, &err);
        if (iter % 1000 == 0) dooh_ctx_reset(&ctx);
    }
}

/* Writer output read back by the reader gives the same string bytes. */
static void written_strings_should_read_back_identically(void) {
    char raw[256];
    for (int i = 0; i < 128; i++) raw[i] = (char)i;
    memcpy(raw + 128, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9);
    dooh_str s = { raw, 137 };
    dooh_buf_clear(&out);
    dooh_json_str(&out, s);
    dooh_jv *v = parse_n(out.p, out.len);
    CHECK(v && v->type == DOOH_JSTR && dooh_str_eq(v->s, s));
}

int main(void) {
    dooh_ctx_init(&ctx);
    dooh_buf_init(&out);
    RUN(json_str_should_escape_quotes_backslashes_and_controls);
    RUN(json_str_should_write_empty_string);
    RUN(json_scalars_should_write_rfc8259_text);
    RUN(json_f64_should_write_null_for_nan_and_infinity);
    RUN(parse_should_read_nested_document);
    RUN(parse_should_accept_any_top_level_value);
    RUN(parse_should_unescape_strings_including_nul_and_surrogates);
    RUN(parse_should_pass_utf8_through);
    RUN(parse_should_handle_escaped_quotes_and_backslash_runs);
    RUN(parse_should_accept_nesting_up_to_max_depth);
    RUN(parse_with_zero_depth_should_accept_only_scalars);
    RUN(parse_should_reject_deep_nesting_without_stack_overflow);
    RUN(parse_should_reject_duplicate_keys);
    RUN(parse_should_reject_duplicate_keys_in_big_objects);
    RUN(parse_number_should_reject_leading_plus);
    RUN(parse_number_should_reject_leading_zeros_and_bad_forms);
    RUN(parse_should_reject_structural_errors);
    RUN(parse_should_reject_bad_strings);
    RUN(parse_should_reject_lone_and_misordered_surrogates);
    RUN(parse_should_reject_invalid_utf8);
    RUN(parse_errors_should_carry_offsets);
    RUN(as_i64_should_accept_only_integers_in_range);
    RUN(as_f64_should_reject_overflow_to_infinity);
    RUN(parse_should_survive_random_mutations);
    RUN(written_strings_should_read_back_identically);
    dooh_buf_free(&out);
    dooh_ctx_free(&ctx);
    return check_report();
}
