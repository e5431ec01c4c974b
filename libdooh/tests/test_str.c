/* needs: arena.c buf.c rt.c str.c */
/* Unit tests for the runtime (dooh/rt.h): context, panics, checked arithmetic, strings,
 * conversions, strict parses, arrays and built-ins. */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "dooh/rt.h"

static dooh_ctx ctx;

/* Run `stmt` expecting a panic; leaves the message in ctx.panic_msg. */
#define EXPECT_PANIC(stmt) do { jmp_buf jb; ctx.panic_jmp = &jb; int _panicked = 0; \
    if (setjmp(jb) == 0) { stmt; } else { _panicked = 1; } \
    ctx.panic_jmp = NULL; CHECK(_panicked); } while (0)

#define S(lit) DOOH_LIT(lit)

/* ---- context, panics, arithmetic ---- */

static void alloc_should_be_aligned_and_reset_should_clear_state(void) {
    void *p = dooh_alloc(&ctx, 3);
    CHECK_EQ_INT((uintptr_t)p % 16, 0);
    ctx.panic_msg = S("x");
    ctx.panic_loc = "a:1:1";
    ctx.nverrs = 3;
    dooh_ctx_reset(&ctx);
    CHECK(ctx.panic_msg.ptr == NULL);
    CHECK(ctx.panic_loc == NULL);
    CHECK_EQ_INT(ctx.nverrs, 0);
    CHECK(ctx.verrs == NULL);
}

static void panic_should_jump_with_message_and_location(void) {
    EXPECT_PANIC(dooh_panic(&ctx, "main.doo:3:7", S("boom")));
    CHECK_EQ_MEM(ctx.panic_msg.ptr, ctx.panic_msg.len, "boom");
    CHECK(strcmp(ctx.panic_loc, "main.doo:3:7") == 0);
}

static void checked_arithmetic_should_panic_on_overflow(void) {
    EXPECT_PANIC(dooh_i64_add(&ctx, INT64_MAX, 1, "l"));
    CHECK_EQ_MEM(ctx.panic_msg.ptr, ctx.panic_msg.len, "integer overflow");
    EXPECT_PANIC(dooh_i64_sub(&ctx, INT64_MIN, 1, "l"));
    EXPECT_PANIC(dooh_i64_mul(&ctx, INT64_MAX, 2, "l"));
    EXPECT_PANIC(dooh_i64_div(&ctx, INT64_MIN, -1, "l"));
    EXPECT_PANIC(dooh_i64_neg(&ctx, INT64_MIN, "l"));
    CHECK_EQ_INT(dooh_i64_mod(&ctx, INT64_MIN, -1, "l"), 0);
    CHECK_EQ_INT(dooh_i64_add(&ctx, 2, 3, "l"), 5);
}

static void checked_division_should_panic_on_zero(void) {
    EXPECT_PANIC(dooh_i64_div(&ctx, 1, 0, "l"));
    CHECK_EQ_MEM(ctx.panic_msg.ptr, ctx.panic_msg.len, "division by zero");
    EXPECT_PANIC(dooh_i64_mod(&ctx, 1, 0, "l"));
    CHECK_EQ_INT(dooh_i64_div(&ctx, -7, 2, "l"), -3);
    CHECK_EQ_INT(dooh_i64_mod(&ctx, -7, 2, "l"), -1);
}

static void f64_to_i64_should_truncate_and_panic_out_of_range(void) {
    CHECK_EQ_INT(dooh_f64_to_i64(&ctx, 2.9, "l"), 2);
    CHECK_EQ_INT(dooh_f64_to_i64(&ctx, -2.9, "l"), -2);
    CHECK_EQ_INT(dooh_f64_to_i64(&ctx, -9223372036854775808.0, "l"), INT64_MIN);
    CHECK_EQ_INT(dooh_f64_to_i64(&ctx, 9223372036854774784.0, "l"), 9223372036854774784LL);
    EXPECT_PANIC(dooh_f64_to_i64(&ctx, 9223372036854775808.0, "l"));
    EXPECT_PANIC(dooh_f64_to_i64(&ctx, NAN, "l"));
    EXPECT_PANIC(dooh_f64_to_i64(&ctx, -INFINITY, "l"));
}

/* ---- strings ---- */

static void str_eq_and_cmp_should_compare_bytes_and_lengths(void) {
    CHECK(dooh_str_eq(S("abc"), S("abc")));
    CHECK(!dooh_str_eq(S("abc"), S("abd")));
    CHECK(dooh_str_eq(DOOH_NULL_STR, S("")));
    CHECK(dooh_str_cmp(S("ab"), S("abc")) < 0);
    CHECK(dooh_str_cmp(S("b"), S("abc")) > 0);
    CHECK(dooh_str_cmp(S("a\0b"), S("a\0b")) == 0);
    CHECK(dooh_str_cmp(S("\xff"), S("a")) > 0); /* unsigned bytes */
}

static void str_cat_should_concatenate_parts(void) {
    dooh_str parts[] = { S("a"), S(""), S("bc"), S("\0d") };
    dooh_str r = dooh_str_cat(&ctx, 4, parts);
    CHECK_EQ_INT(r.len, 5);
    CHECK(memcmp(r.ptr, "abc\0d", 5) == 0);
    CHECK_EQ_INT(dooh_str_cat(&ctx, 0, NULL).len, 0);
}

static void str_cstr_should_nul_terminate_a_copy(void) {
    const char *c = dooh_str_cstr(&ctx, S("hi"));
    CHECK(strcmp(c, "hi") == 0);
    dooh_str f = dooh_str_from_cstr("xyz");
    CHECK_EQ_MEM(f.ptr, f.len, "xyz");
}

static void str_len_should_count_code_points(void) {
    CHECK_EQ_INT(dooh_str_len(S("")), 0);
    CHECK_EQ_INT(dooh_str_len(S("abc")), 3);
    CHECK_EQ_INT(dooh_str_len(S("h\xc3\xa9llo")), 5);          /* é */
    CHECK_EQ_INT(dooh_str_len(S("\xe2\x82\xac\xf0\x9f\x98\x80")), 2); /* € 😀 */
    CHECK_EQ_INT(dooh_str_len(S("\xff\xfe")), 2);               /* invalid bytes count 1 */
    CHECK_EQ_INT(dooh_str_len(S("\xe2\x82")), 2);               /* truncated sequence */
}

static void str_search_should_find_substrings(void) {
    CHECK(dooh_str_contains(S("hello"), S("ll")));
    CHECK(dooh_str_contains(S("hello"), S("")));
    CHECK(!dooh_str_contains(S("hello"), S("lo!")));
    CHECK(dooh_str_contains(S("a\0b"), S("\0b")));
    CHECK(dooh_str_starts_with(S("hello"), S("he")));
    CHECK(!dooh_str_starts_with(S("he"), S("hello")));
    CHECK(dooh_str_ends_with(S("hello"), S("llo")));
    CHECK(dooh_str_ends_with(S("hello"), S("")));
    CHECK(!dooh_str_ends_with(S("hello"), S("hell")));
}

static void str_index_of_should_count_code_points(void) {
    CHECK_EQ_INT(dooh_str_index_of(S("h\xc3\xa9llo"), S("l")), 2);
    CHECK_EQ_INT(dooh_str_index_of(S("abc"), S("")), 0);
    CHECK_EQ_INT(dooh_str_index_of(S("abc"), S("d")), -1);
    CHECK_EQ_INT(dooh_str_index_of(S("aab"), S("ab")), 1);
}

static void str_substring_should_slice_by_code_points(void) {
    dooh_str s = S("h\xc3\xa9llo");
    dooh_str r = dooh_str_substring(&ctx, s, 1, 3, "l");
    CHECK_EQ_MEM(r.ptr, r.len, "\xc3\xa9l");
    r = dooh_str_substring(&ctx, s, 5, 5, "l");
    CHECK_EQ_INT(r.len, 0);
    r = dooh_str_substring(&ctx, s, 0, 5, "l");
    CHECK_EQ_INT(r.len, 6);
}

static void str_substring_should_panic_out_of_range(void) {
    EXPECT_PANIC(dooh_str_substring(&ctx, S("abc"), 0, 4, "l"));
    CHECK_EQ_MEM(ctx.panic_msg.ptr, ctx.panic_msg.len, "substring bounds 0..4 out of range for length 3");
    EXPECT_PANIC(dooh_str_substring(&ctx, S("abc"), -1, 2, "l"));
    EXPECT_PANIC(dooh_str_substring(&ctx, S("abc"), 2, 1, "l"));
    EXPECT_PANIC(dooh_str_substring(&ctx, S("abc"), INT64_MAX, INT64_MAX, "l"));
}

static void str_case_should_map_ascii_letters_only(void) {
    dooh_str u = dooh_str_to_upper(&ctx, S("abz-\xc3\xa9" "AZ"));
    CHECK_EQ_MEM(u.ptr, u.len, "ABZ-\xc3\xa9" "AZ");
    dooh_str l = dooh_str_to_lower(&ctx, S("ABZ@[`{az"));
    CHECK_EQ_MEM(l.ptr, l.len, "abz@[`{az");
}

static void str_trim_should_strip_ascii_whitespace(void) {
    dooh_str t = dooh_str_trim(S(" \t\r\n x y \v\f"));
    CHECK_EQ_MEM(t.ptr, t.len, "x y");
    CHECK_EQ_INT(dooh_str_trim(S("   ")).len, 0);
    CHECK_EQ_INT(dooh_str_trim(S("")).len, 0);
}

static void str_replace_should_replace_all_occurrences(void) {
    dooh_str r = dooh_str_replace(&ctx, S("a-b-c"), S("-"), S("+="));
    CHECK_EQ_MEM(r.ptr, r.len, "a+=b+=c");
    r = dooh_str_replace(&ctx, S("aaaa"), S("aa"), S("b"));
    CHECK_EQ_MEM(r.ptr, r.len, "bb");
    r = dooh_str_replace(&ctx, S("abc"), S(""), S("x"));
    CHECK_EQ_MEM(r.ptr, r.len, "abc");
    r = dooh_str_replace(&ctx, S("abc"), S("b"), S(""));
    CHECK_EQ_MEM(r.ptr, r.len, "ac");
    r = dooh_str_replace(&ctx, S("abc"), S("z"), S("y"));
    CHECK_EQ_MEM(r.ptr, r.len, "abc");
}

static void str_split_should_split_on_separator(void) {
    dooh_arr a = dooh_str_split(&ctx, S("a,,b"), S(","));
    dooh_str *p = a.data;
    CHECK_EQ_INT(a.len, 3);
    CHECK_EQ_MEM(p[0].ptr, p[0].len, "a");
    CHECK_EQ_INT(p[1].len, 0);
    CHECK_EQ_MEM(p[2].ptr, p[2].len, "b");
    a = dooh_str_split(&ctx, S(""), S(","));
    CHECK_EQ_INT(a.len, 1);
    a = dooh_str_split(&ctx, S("x--"), S("--"));
    CHECK_EQ_INT(a.len, 2);
}

static void str_split_with_empty_separator_should_split_code_points(void) {
    dooh_arr a = dooh_str_split(&ctx, S("a\xc3\xa9\xff"), S(""));
    dooh_str *p = a.data;
    CHECK_EQ_INT(a.len, 3);
    CHECK_EQ_MEM(p[1].ptr, p[1].len, "\xc3\xa9");
    CHECK_EQ_MEM(p[2].ptr, p[2].len, "\xff");
    CHECK_EQ_INT(dooh_str_split(&ctx, S(""), S("")).len, 0);
}

static void str_repeat_should_repeat_and_panic_on_negative(void) {
    dooh_str r = dooh_str_repeat(&ctx, S("ab"), 3, "l");
    CHECK_EQ_MEM(r.ptr, r.len, "ababab");
    CHECK_EQ_INT(dooh_str_repeat(&ctx, S("ab"), 0, "l").len, 0);
    EXPECT_PANIC(dooh_str_repeat(&ctx, S("ab"), -1, "l"));
    EXPECT_PANIC(dooh_str_repeat(&ctx, S("ab"), INT64_MAX, "l"));
}

/* ---- conversions ---- */

static void i64_to_str_should_format_extremes(void) {
    dooh_str s = dooh_i64_to_str(&ctx, INT64_MIN);
    CHECK_EQ_MEM(s.ptr, s.len, "-9223372036854775808");
    s = dooh_i64_to_str(&ctx, 0);
    CHECK_EQ_MEM(s.ptr, s.len, "0");
    s = dooh_bool_to_str(true);
    CHECK_EQ_MEM(s.ptr, s.len, "true");
}

static void expect_f64(double v, const char *want) {
    dooh_str s = dooh_f64_to_str(&ctx, v);
    CHECK_EQ_MEM(s.ptr, s.len, want);
}

static void f64_to_str_should_give_shortest_round_trip_text(void) {
    expect_f64(0.1, "0.1");
    expect_f64(1.0, "1");
    expect_f64(-2.5, "-2.5");
    expect_f64(1e21, "1e+21");
    expect_f64(1e-7, "1e-7");
    expect_f64(0.1 + 0.2, "0.30000000000000004");
    expect_f64(1.0 / 3.0, "0.3333333333333333");
    expect_f64(-0.0, "-0");
    expect_f64(DBL_MAX, "1.7976931348623157e+308");
    expect_f64(123456789.0, "123456789");
    expect_f64(5e-324, "5e-324");            /* smallest subnormal */
    expect_f64(DBL_MIN, "2.2250738585072014e-308");
    expect_f64(1e15, "1e+15");
    expect_f64(123456789012345.0, "123456789012345");
    expect_f64(9007199254740993.0, "9007199254740992");
}

static void f64_to_str_should_name_non_finite_values(void) {
    expect_f64(NAN, "NaN");
    expect_f64(INFINITY, "+Inf");
    expect_f64(-INFINITY, "-Inf");
}

static void f64_to_str_should_round_trip_many_values(void) {
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        double v;
        memcpy(&v, &x, sizeof v);
        if (!isfinite(v)) continue;
        dooh_str s = dooh_f64_to_str(&ctx, v);
        const char *c = dooh_str_cstr(&ctx, s);
        CHECK(strtod(c, NULL) == v);
        if (i % 1000 == 0) dooh_ctx_reset(&ctx);
    }
}

/* ---- strict parses ---- */

static void parse_i64_should_accept_plain_decimals(void) {
    int64_t v = 0;
    CHECK(dooh_parse_i64(S("0"), &v) && v == 0);
    CHECK(dooh_parse_i64(S("-42"), &v) && v == -42);
    CHECK(dooh_parse_i64(S("007"), &v) && v == 7);
    CHECK(dooh_parse_i64(S("9223372036854775807"), &v) && v == INT64_MAX);
    CHECK(dooh_parse_i64(S("-9223372036854775808"), &v) && v == INT64_MIN);
}

static void parse_i64_should_reject_leading_plus(void) {
    int64_t v;
    CHECK(!dooh_parse_i64(S("+1"), &v));
}

static void parse_i64_should_reject_junk_empty_and_overflow(void) {
    int64_t v;
    CHECK(!dooh_parse_i64(S(""), &v));
    CHECK(!dooh_parse_i64(S("-"), &v));
    CHECK(!dooh_parse_i64(S("--1"), &v));
    CHECK(!dooh_parse_i64(S(" 1"), &v));
    CHECK(!dooh_parse_i64(S("1 "), &v));
    CHECK(!dooh_parse_i64(S("1.0"), &v));
    CHECK(!dooh_parse_i64(S("1e3"), &v));
    CHECK(!dooh_parse_i64(S("0x10"), &v));
    CHECK(!dooh_parse_i64(S("1\0"), &v));
    CHECK(!dooh_parse_i64(S("9223372036854775808"), &v));
    CHECK(!dooh_parse_i64(S("-9223372036854775809"), &v));
    CHECK(!dooh_parse_i64(S("99999999999999999999999"), &v));
}

static void parse_f64_should_accept_json_numbers(void) {
    double v;
    CHECK(dooh_parse_f64(S("0"), &v) && v == 0);
    CHECK(dooh_parse_f64(S("-1.5"), &v) && v == -1.5);
    CHECK(dooh_parse_f64(S("1e3"), &v) && v == 1000);
    CHECK(dooh_parse_f64(S("1E-2"), &v) && v == 0.01);
    CHECK(dooh_parse_f64(S("2.5e+1"), &v) && v == 25);
    CHECK(dooh_parse_f64(S("1e-400"), &v) && v == 0); /* underflow is finite */
    char longnum[300];
    memset(longnum, '1', sizeof longnum);
    longnum[1] = '.';
    CHECK(dooh_parse_f64((dooh_str){ longnum, sizeof longnum }, &v) && v > 1.1 && v < 1.2);
}

static void parse_f64_should_reject_non_json_syntax_and_infinity(void) {
    double v;
    const char *bad[] = { "", "+1", "01", "1.", ".5", "1e", "1e+", "-", "inf", "NaN",
                          "Infinity", "0x1p3", " 1", "1 ", "1e400", "-1e400", "1.5f" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK(!dooh_parse_f64(dooh_str_from_cstr(bad[i]), &v));
}

static void parse_bool_should_accept_only_exact_words(void) {
    bool b;
    CHECK(dooh_parse_bool(S("true"), &b) && b);
    CHECK(dooh_parse_bool(S("false"), &b) && !b);
    CHECK(!dooh_parse_bool(S("True"), &b));
    CHECK(!dooh_parse_bool(S("1"), &b));
    CHECK(!dooh_parse_bool(S("true "), &b));
}

/* ---- arrays ---- */

static void arr_push_should_grow_and_zero_slots(void) {
    dooh_arr a = { 0 };
    for (int64_t i = 0; i < 1000; i++) {
        int64_t *slot = dooh_arr_push(&ctx, &a, sizeof(int64_t));
        CHECK_EQ_INT(*slot, 0);
        *slot = i * 3;
    }
    CHECK_EQ_INT(a.len, 1000);
    CHECK(a.cap >= 1000);
    CHECK_EQ_INT(((int64_t *)a.data)[999], 2997);
    CHECK_EQ_INT(dooh_arr_index_of_i64(a, 300), 100);
    CHECK_EQ_INT(dooh_arr_index_of_i64(a, 301), -1);
}

static void arr_from_should_copy_elements(void) {
    int32_t src[] = { 5, 6, 7 };
    dooh_arr a = dooh_arr_from(&ctx, src, 3, sizeof(int32_t));
    src[0] = 0;
    CHECK_EQ_INT(a.len, 3);
    CHECK_EQ_INT(((int32_t *)a.data)[0], 5);
    CHECK_EQ_INT(dooh_arr_index_of_i32(a, 7), 2);
    CHECK_EQ_INT(dooh_arr_from(&ctx, NULL, 0, 8).len, 0);
}

static void arr_check_should_panic_out_of_range(void) {
    int64_t src[] = { 1, 2 };
    dooh_arr a = dooh_arr_from(&ctx, src, 2, sizeof(int64_t));
    CHECK_EQ_INT(dooh_arr_check(&ctx, a, 1, "l"), 1);
    EXPECT_PANIC(dooh_arr_check(&ctx, a, 2, "l"));
    CHECK_EQ_MEM(ctx.panic_msg.ptr, ctx.panic_msg.len, "index 2 out of range for length 2");
    EXPECT_PANIC(dooh_arr_check(&ctx, a, -1, "l"));
}

static void arr_index_of_should_compare_by_value(void) {
    double d[] = { 1.5, NAN, 0.0 };
    dooh_arr a = { d, 3, 3 };
    CHECK_EQ_INT(dooh_arr_index_of_f64(a, -0.0), 2);
    CHECK_EQ_INT(dooh_arr_index_of_f64(a, NAN), -1);
    bool b[] = { false, true };
    dooh_arr ab = { b, 2, 2 };
    CHECK_EQ_INT(dooh_arr_index_of_bool(ab, true), 1);
    dooh_str s[] = { S("x"), S("yy") };
    dooh_arr as = { s, 2, 2 };
    CHECK_EQ_INT(dooh_arr_index_of_str(as, S("yy")), 1);
    CHECK_EQ_INT(dooh_arr_index_of_str(as, S("y")), -1);
}

static void arr_join_str_should_join_with_separator(void) {
    dooh_str s[] = { S("a"), S(""), S("c") };
    dooh_str r = dooh_arr_join_str(&ctx, (dooh_arr){ s, 3, 3 }, S(", "));
    CHECK_EQ_MEM(r.ptr, r.len, "a, , c");
    r = dooh_arr_join_str(&ctx, (dooh_arr){ NULL, 0, 0 }, S(", "));
    CHECK_EQ_INT(r.len, 0);
}

/* ---- built-ins ---- */

static void env_should_read_variables(void) {
    dooh_str v;
    setenv("DOOH_TEST_VAR", "hello", 1);
    CHECK(dooh_env(&ctx, S("DOOH_TEST_VAR"), &v));
    CHECK_EQ_MEM(v.ptr, v.len, "hello");
    CHECK(!dooh_env(&ctx, S("DOOH_TEST_VAR_UNSET_XYZ"), &v));
    CHECK(!dooh_env(&ctx, S("DOOH_TEST\0VAR"), &v));
    CHECK(!dooh_env(&ctx, S(""), &v));
}

static void now_should_be_recent_unix_time(void) {
    CHECK(dooh_now() > 1700000000);
}

static void print_should_not_crash_with_zero_parts(void) {
    dooh_str parts[] = { S("print"), S("test") };
    dooh_print(&ctx, 2, parts);
    dooh_print(&ctx, 0, NULL);
}

int main(void) {
    dooh_ctx_init(&ctx);
    RUN(alloc_should_be_aligned_and_reset_should_clear_state);
    RUN(panic_should_jump_with_message_and_location);
    RUN(checked_arithmetic_should_panic_on_overflow);
    RUN(checked_division_should_panic_on_zero);
    RUN(f64_to_i64_should_truncate_and_panic_out_of_range);
    RUN(str_eq_and_cmp_should_compare_bytes_and_lengths);
    RUN(str_cat_should_concatenate_parts);
    RUN(str_cstr_should_nul_terminate_a_copy);
    RUN(str_len_should_count_code_points);
    RUN(str_search_should_find_substrings);
    RUN(str_index_of_should_count_code_points);
    RUN(str_substring_should_slice_by_code_points);
    RUN(str_substring_should_panic_out_of_range);
    RUN(str_case_should_map_ascii_letters_only);
    RUN(str_trim_should_strip_ascii_whitespace);
    RUN(str_replace_should_replace_all_occurrences);
    RUN(str_split_should_split_on_separator);
    RUN(str_split_with_empty_separator_should_split_code_points);
    RUN(str_repeat_should_repeat_and_panic_on_negative);
    RUN(i64_to_str_should_format_extremes);
    RUN(f64_to_str_should_give_shortest_round_trip_text);
    RUN(f64_to_str_should_name_non_finite_values);
    RUN(f64_to_str_should_round_trip_many_values);
    RUN(parse_i64_should_accept_plain_decimals);
    RUN(parse_i64_should_reject_leading_plus);
    RUN(parse_i64_should_reject_junk_empty_and_overflow);
    RUN(parse_f64_should_accept_json_numbers);
    RUN(parse_f64_should_reject_non_json_syntax_and_infinity);
    RUN(parse_bool_should_accept_only_exact_words);
    RUN(arr_push_should_grow_and_zero_slots);
    RUN(arr_from_should_copy_elements);
    RUN(arr_check_should_panic_out_of_range);
    RUN(arr_index_of_should_compare_by_value);
    RUN(arr_join_str_should_join_with_separator);
    RUN(env_should_read_variables);
    RUN(now_should_be_recent_unix_time);
    RUN(print_should_not_crash_with_zero_parts);
    dooh_ctx_free(&ctx);
    return check_report();
}
