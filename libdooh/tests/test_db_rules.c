/* needs: arena.c buf.c rt.c str.c validate.c rules.c */
/* test_db_rules.c — dooh_check_*: the value rules generated decoders and CRUD share
 * (dooh/db.h), with the contract's exact messages, codes and extra members. */
#include <math.h>

#include "check.h"
#include "dooh/db.h"

static dooh_ctx ctx;

static void reset(void) {
    dooh_ctx_reset(&ctx);
}

/* The i-th recorded error has this field, code, detail and extra. */
static void expect(int i, const char *field, const char *code, const char *detail,
                   const char *extra_key, int64_t extra_val) {
    CHECK(i < ctx.nverrs);
    if (i >= ctx.nverrs) return;
    const dooh_verr *e = &ctx.verrs[i];
    CHECK(strcmp(e->field, field) == 0);
    CHECK(strcmp(e->code, code) == 0);
    CHECK_EQ_MEM(e->detail.ptr, e->detail.len, detail);
    if (extra_key) {
        CHECK(e->extra_key && strcmp(e->extra_key, extra_key) == 0);
        CHECK_EQ_INT(e->extra_val, extra_val);
    } else {
        CHECK(e->extra_key == NULL);
    }
}

static void str_min_should_count_code_points_and_name_the_bound(void) {
    dooh_rules r = { DOOH_RULE_MIN | DOOH_RULE_MAX, 8, 10, NULL, NULL };
    reset();
    CHECK(dooh_check_str(&ctx, "password", DOOH_LIT("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                                                    "\xc3\xa9\xc3\xa9\xc3\xa9"), &r));
    CHECK(!dooh_check_str(&ctx, "password", DOOH_LIT("short"), &r));
    CHECK_EQ_INT(ctx.nverrs, 1);
    expect(0, "password", "min", "must be at least 8 characters", "min", 8);
    CHECK(!dooh_check_str(&ctx, "password", DOOH_LIT("elevenchars"), &r));
    expect(1, "password", "max", "must be at most 10 characters", "max", 10);
}

static void str_bound_of_one_should_be_singular(void) {
    dooh_rules r = { DOOH_RULE_MIN, 1, 0, NULL, NULL };
    reset();
    CHECK(!dooh_check_str(&ctx, "Title", DOOH_LIT(""), &r));
    expect(0, "Title", "min", "must be at least 1 character", "min", 1);
}

static void email_and_url_should_record_their_codes(void) {
    dooh_rules r = { DOOH_RULE_EMAIL, 0, 0, NULL, NULL };
    dooh_rules u = { DOOH_RULE_URL, 0, 0, NULL, NULL };
    reset();
    CHECK(dooh_check_str(&ctx, "email", DOOH_LIT("a@b.io"), &r));
    CHECK(!dooh_check_str(&ctx, "email", DOOH_LIT("nope"), &r));
    CHECK(!dooh_check_str(&ctx, "site", DOOH_LIT("ftp://x.io"), &u));
    CHECK(dooh_check_str(&ctx, "site", DOOH_LIT("https://x.io/a?b"), &u));
    CHECK_EQ_INT(ctx.nverrs, 2);
    expect(0, "email", "email", "must be a valid e-mail address", NULL, 0);
    expect(1, "site", "url", "must be an absolute http or https URL", NULL, 0);
}

static void pattern_should_full_match_and_quote_the_source(void) {
    dooh_regex *re = dooh_regex_compile("[a-z]+-[0-9]+");
    const dooh_regex *slot = re;
    dooh_rules r = { DOOH_RULE_PATTERN, 0, 0, (const dooh_regex *const *)&slot, "[a-z]+-[0-9]+" };
    reset();
    CHECK(dooh_check_str(&ctx, "code", DOOH_LIT("abc-12"), &r));
    CHECK(!dooh_check_str(&ctx, "code", DOOH_LIT("abc-12x"), &r));
    expect(0, "code", "pattern", "must match the pattern [a-z]+-[0-9]+", NULL, 0);
    dooh_regex_free(re);
}

static void every_failing_rule_should_be_recorded(void) {
    dooh_rules r = { DOOH_RULE_MIN | DOOH_RULE_EMAIL, 10, 0, NULL, NULL };
    reset();
    CHECK(!dooh_check_str(&ctx, "email", DOOH_LIT("a@b"), &r));
    CHECK_EQ_INT(ctx.nverrs, 2);
    expect(0, "email", "min", "must be at least 10 characters", "min", 10);
    expect(1, "email", "email", "must be a valid e-mail address", NULL, 0);
}

static void no_rules_should_pass_everything(void) {
    dooh_rules none = { 0, 0, 0, NULL, NULL };
    reset();
    CHECK(dooh_check_str(&ctx, "x", DOOH_LIT(""), &none));
    CHECK(dooh_check_str(&ctx, "x", DOOH_LIT(""), NULL));
    CHECK(dooh_check_i64(&ctx, "x", INT64_MIN, &none));
    CHECK(dooh_check_f64(&ctx, "x", -1e300, &none));
    CHECK(dooh_check_len(&ctx, "x", 0, NULL));
    CHECK_EQ_INT(ctx.nverrs, 0);
}

static void ints_should_compare_exactly_near_the_limits(void) {
    dooh_rules r = { DOOH_RULE_MIN | DOOH_RULE_MAX, 0, 9007199254740992.0, NULL, NULL };
    reset();
    CHECK(dooh_check_i64(&ctx, "n", 0, &r));
    CHECK(dooh_check_i64(&ctx, "n", 9007199254740992LL, &r));
    /* 2^53 + 1 rounds to 2^53 as a double; the check must still see it as too big. */
    CHECK(!dooh_check_i64(&ctx, "n", 9007199254740993LL, &r));
    expect(0, "n", "max", "must be at most 9007199254740992", "max", 9007199254740992LL);
    CHECK(!dooh_check_i64(&ctx, "n", -1, &r));
    expect(1, "n", "min", "must be at least 0", "min", 0);
    dooh_rules wide = { DOOH_RULE_MIN | DOOH_RULE_MAX, -1e30, 1e30, NULL, NULL };
    CHECK(dooh_check_i64(&ctx, "n", INT64_MIN, &wide));
    CHECK(dooh_check_i64(&ctx, "n", INT64_MAX, &wide));
    dooh_rules frac = { DOOH_RULE_MIN, 1.5, 0, NULL, NULL };
    CHECK(!dooh_check_i64(&ctx, "n", 1, &frac));
    CHECK(dooh_check_i64(&ctx, "n", 2, &frac));
    expect(2, "n", "min", "must be at least 1.5", NULL, 0);
}

static void floats_should_use_shortest_bounds_and_reject_nan(void) {
    dooh_rules r = { DOOH_RULE_MIN | DOOH_RULE_MAX, 0.5, 2, NULL, NULL };
    reset();
    CHECK(dooh_check_f64(&ctx, "w", 1.25, &r));
    CHECK(!dooh_check_f64(&ctx, "w", 0.25, &r));
    expect(0, "w", "min", "must be at least 0.5", NULL, 0);
    CHECK(!dooh_check_f64(&ctx, "w", 2.5, &r));
    expect(1, "w", "max", "must be at most 2", "max", 2);
    CHECK(!dooh_check_f64(&ctx, "w", NAN, &r));
    expect(2, "w", "type", "must be a number", NULL, 0);
}

static void lengths_should_talk_about_items(void) {
    dooh_rules r = { DOOH_RULE_MIN | DOOH_RULE_MAX, 1, 3, NULL, NULL };
    reset();
    CHECK(dooh_check_len(&ctx, "tags", 2, &r));
    CHECK(!dooh_check_len(&ctx, "tags", 0, &r));
    expect(0, "tags", "min", "must have at least 1 item", "min", 1);
    CHECK(!dooh_check_len(&ctx, "tags", 4, &r));
    expect(1, "tags", "max", "must have at most 3 items", "max", 3);
}

int main(void) {
    dooh_ctx_init(&ctx);
    RUN(str_min_should_count_code_points_and_name_the_bound);
    RUN(str_bound_of_one_should_be_singular);
    RUN(email_and_url_should_record_their_codes);
    RUN(pattern_should_full_match_and_quote_the_source);
    RUN(every_failing_rule_should_be_recorded);
    RUN(no_rules_should_pass_everything);
    RUN(ints_should_compare_exactly_near_the_limits);
    RUN(floats_should_use_shortest_bounds_and_reject_nan);
    RUN(lengths_should_talk_about_items);
    dooh_ctx_free(&ctx);
    return check_report();
}
