/* needs: arena.c buf.c rt.c str.c validate.c */
/* Unit tests for decorator checks and the validation error list (dooh/validate.h). */
#include <pthread.h>
#include <stdlib.h>

#include "check.h"
#include "dooh/validate.h"

static dooh_ctx ctx;

#define S(lit) DOOH_LIT(lit)

/* ---- error list ---- */

static void verr_add_should_copy_fields_into_the_arena(void) {
    char field[] = "email";
    char detail[] = "must be an email";
    dooh_verr_add(&ctx, field, "email", (dooh_str){ detail, 16 }, NULL, 0);
    field[0] = 'X';
    detail[0] = 'X';
    dooh_verr_add(&ctx, "password", "min", S("must be at least 8 characters"), "min", 8);
    CHECK_EQ_INT(ctx.nverrs, 2);
    CHECK(strcmp(ctx.verrs[0].field, "email") == 0);
    CHECK(strcmp(ctx.verrs[0].code, "email") == 0);
    CHECK_EQ_MEM(ctx.verrs[0].detail.ptr, ctx.verrs[0].detail.len, "must be an email");
    CHECK(ctx.verrs[0].extra_key == NULL);
    CHECK(strcmp(ctx.verrs[1].extra_key, "min") == 0);
    CHECK_EQ_INT(ctx.verrs[1].extra_val, 8);
    dooh_ctx_reset(&ctx);
    CHECK_EQ_INT(ctx.nverrs, 0);
}

static void verr_add_should_grow_past_initial_capacity(void) {
    char name[16];
    for (int i = 0; i < 100; i++) {
        snprintf(name, sizeof name, "f%d", i);
        dooh_verr_add(&ctx, name, "type", S("bad"), NULL, 0);
    }
    CHECK_EQ_INT(ctx.nverrs, 100);
    CHECK(strcmp(ctx.verrs[0].field, "f0") == 0);
    CHECK(strcmp(ctx.verrs[99].field, "f99") == 0);
    dooh_ctx_reset(&ctx);
}

/* ---- UTF-8 ---- */

static void utf8_len_should_count_code_points(void) {
    CHECK_EQ_INT(dooh_utf8_len(S("")), 0);
    CHECK_EQ_INT(dooh_utf8_len(S("abc")), 3);
    CHECK_EQ_INT(dooh_utf8_len(S("\xc3\xa9t\xc3\xa9")), 3);
    CHECK_EQ_INT(dooh_utf8_len(S("\xf0\x9f\x98\x80")), 1);
}

static void utf8_valid_should_accept_well_formed_text(void) {
    CHECK(dooh_utf8_valid(S("")));
    CHECK(dooh_utf8_valid(S("plain ascii \0 with nul")));
    CHECK(dooh_utf8_valid(S("\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf")));
}

static void utf8_valid_should_reject_overlongs_surrogates_and_out_of_range(void) {
    CHECK(!dooh_utf8_valid(S("\xc0\x80")));         /* overlong NUL */
    CHECK(!dooh_utf8_valid(S("\xc1\xbf")));         /* overlong */
    CHECK(!dooh_utf8_valid(S("\xe0\x9f\xbf")));     /* overlong 3-byte */
    CHECK(!dooh_utf8_valid(S("\xf0\x8f\xbf\xbf"))); /* overlong 4-byte */
    CHECK(!dooh_utf8_valid(S("\xed\xa0\x80")));     /* U+D800 */
    CHECK(!dooh_utf8_valid(S("\xed\xbf\xbf")));     /* U+DFFF */
    CHECK(!dooh_utf8_valid(S("\xf4\x90\x80\x80"))); /* U+110000 */
    CHECK(!dooh_utf8_valid(S("\xf8\x88\x80\x80\x80")));
    CHECK(!dooh_utf8_valid(S("\x80")));
    CHECK(!dooh_utf8_valid(S("a\xe2\x82")));        /* truncated at end */
    CHECK(!dooh_utf8_valid(S("\xe2\x82z")));
    CHECK(!dooh_utf8_valid(S("\xff")));
}

/* ---- @email ---- */

static void valid_email_should_accept_common_addresses(void) {
    CHECK(dooh_valid_email(S("a@b.co")));
    CHECK(dooh_valid_email(S("first.last+tag@example.com")));
    CHECK(dooh_valid_email(S("x@sub-domain.example.org")));
    CHECK(dooh_valid_email(S("user@m\xc3\xbcnchen.de")));  /* ü */
    CHECK(dooh_valid_email(S("\xc3\xa9l\xc3\xa8ve@\xe4\xbe\x8b\xe3\x81\x88.jp")));
    CHECK(dooh_valid_email(S("a@1.2")));
}

static void valid_email_should_reject_malformed_addresses(void) {
    const char *bad[] = {
        "", "plain", "@b.co", "a@", "a@b", "a@@b.co", "a@b@c.co", "a b@c.co", "a@b .co",
        "a@.b.co", "a@b..co", "a@b.co.", "a@-b.co", "a@b-.co", "a@b_c.co", "a\t@b.co",
        "a@b.c\xe2\x80\x94o", /* em dash is not a letter */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (dooh_valid_email(dooh_str_from_cstr(bad[i]))) fprintf(stderr, "accepted: %s\n", bad[i]);
        CHECK(!dooh_valid_email(dooh_str_from_cstr(bad[i])));
    }
    CHECK(!dooh_valid_email(S("a\0b@c.co")));
    CHECK(!dooh_valid_email(S("a@b.c\xff")));
}

/* 64-byte local part, '@', three 60-byte labels and a last label of `last` bytes. */
static dooh_str long_email(char *buf, size_t last) {
    size_t n = 0;
    memset(buf, 'a', 64), n = 64;
    buf[n++] = '@';
    for (int l = 0; l < 3; l++) {
        memset(buf + n, 'b', 60), n += 60;
        buf[n++] = '.';
    }
    memset(buf + n, 'c', last), n += last;
    return (dooh_str){ buf, (int64_t)n };
}

static void valid_email_should_enforce_254_byte_limit(void) {
    char buf[300];
    dooh_str ok = long_email(buf, 6);
    CHECK_EQ_INT(ok.len, 254);
    CHECK(dooh_valid_email(ok));
    dooh_str too_long = long_email(buf, 7);
    CHECK(!dooh_valid_email(too_long));
}

/* ---- @url ---- */

static void valid_url_should_accept_http_and_https(void) {
    const char *good[] = {
        "http://example.com", "https://example.com/", "https://a.b/c/d?e=f&g#h",
        "http://localhost:8080/x", "HTTPS://Example.COM", "http://127.0.0.1:65535",
        "http://[::1]:3000/", "http://user:pw@host.com/", "https://ex.com?q", "https://ex.com#f",
        "https://b\xc3\xbc\x63her.de/p\xc3\xa4th",
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        if (!dooh_valid_url(dooh_str_from_cstr(good[i]))) fprintf(stderr, "rejected: %s\n", good[i]);
        CHECK(dooh_valid_url(dooh_str_from_cstr(good[i])));
    }
}

static void valid_url_should_reject_bad_urls(void) {
    const char *bad[] = {
        "", "example.com", "ftp://example.com", "http:/example.com", "http://", "http:///path",
        "http://exa mple.com", "http://example.com/a b", "http://ex.com:", "http://ex.com:65536",
        "http://ex.com:12a", "http://ex.com:123456", "http://ex.com\t", "mailto:a@b.co",
        "http://:80", "http://user@", "http://[::1", "http://[zz]/", "javascript:alert(1)",
        "http://ex<ample>.com",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (dooh_valid_url(dooh_str_from_cstr(bad[i]))) fprintf(stderr, "accepted: %s\n", bad[i]);
        CHECK(!dooh_valid_url(dooh_str_from_cstr(bad[i])));
    }
    CHECK(!dooh_valid_url(S("http://ex.com/\0")));
    CHECK(!dooh_valid_url(S("http://ex.com/\x7f")));
}

/* ---- @pattern ---- */

static void regex_should_match_the_whole_string(void) {
    dooh_regex *re = dooh_regex_compile("[a-z]+[0-9]*");
    CHECK(re != NULL);
    CHECK(dooh_regex_full_match(&ctx, re, S("abc123")));
    CHECK(dooh_regex_full_match(&ctx, re, S("abc")));
    CHECK(!dooh_regex_full_match(&ctx, re, S("abc123x")));
    CHECK(!dooh_regex_full_match(&ctx, re, S("1abc")));
    CHECK(!dooh_regex_full_match(&ctx, re, S("")));
    dooh_regex_free(re);
}

static void regex_should_anchor_every_alternative(void) {
    dooh_regex *re = dooh_regex_compile("cat|dog");
    CHECK(re != NULL);
    CHECK(dooh_regex_full_match(&ctx, re, S("dog")));
    CHECK(!dooh_regex_full_match(&ctx, re, S("cats")));
    CHECK(!dooh_regex_full_match(&ctx, re, S("hotdog")));
    dooh_regex_free(re);
}

static void regex_should_reject_nul_inside_subject(void) {
    dooh_regex *re = dooh_regex_compile("a.*");
    CHECK(re != NULL);
    CHECK(!dooh_regex_full_match(&ctx, re, S("a\0b")));
    dooh_regex_free(re);
}

static void regex_compile_should_return_null_for_invalid_patterns(void) {
    CHECK(dooh_regex_compile("a(") == NULL);
    CHECK(dooh_regex_compile("[a-") == NULL);
    /* Would break out of the "^(...)$" wrapper and match partially. */
    CHECK(dooh_regex_compile("a)|(b") == NULL);
    CHECK(dooh_regex_compile(")(") == NULL);
}

static void regex_should_treat_parens_in_brackets_and_escapes_as_literals(void) {
    dooh_regex *re = dooh_regex_compile("[)(]x\\)[[:digit:]]");
    CHECK(re != NULL);
    if (!re) return;
    CHECK(dooh_regex_full_match(&ctx, re, S(")x)7")));
    CHECK(!dooh_regex_full_match(&ctx, re, S(")x)a")));
    dooh_regex_free(re);
    re = dooh_regex_compile("[]a]+");
    CHECK(re != NULL);
    if (re) CHECK(dooh_regex_full_match(&ctx, re, S("]a]")));
    dooh_regex_free(re);
}

static void regex_should_support_perl_class_escapes_portably(void) {
    dooh_regex *re = dooh_regex_compile("\\d{3}-\\w+\\s\\S\\.");
    CHECK(re != NULL);
    if (!re) return;
    CHECK(dooh_regex_full_match(&ctx, re, S("123-ab_9 x.")));
    CHECK(!dooh_regex_full_match(&ctx, re, S("ddd-ab_9 x.")));
    CHECK(!dooh_regex_full_match(&ctx, re, S("123-ab_9 xy")));
    dooh_regex_free(re);
    re = dooh_regex_compile("\\[\\d]");
    CHECK(re != NULL);
    if (re) CHECK(dooh_regex_full_match(&ctx, re, S("[7]")));
    dooh_regex_free(re);
    re = dooh_regex_compile("\\D\\W");
    CHECK(re != NULL);
    if (re) CHECK(dooh_regex_full_match(&ctx, re, S("a-")) && !dooh_regex_full_match(&ctx, re, S("1-")));
    dooh_regex_free(re);
}

static const dooh_regex *shared_re;

static void *match_many(void *arg) {
    (void)arg;
    dooh_ctx c;
    dooh_ctx_init(&c);
    long ok = 1;
    for (int i = 0; i < 2000; i++) {
        ok &= dooh_regex_full_match(&c, shared_re, S("user_42-x"));
        ok &= !dooh_regex_full_match(&c, shared_re, S("user 42"));
        if (i % 100 == 0) dooh_ctx_reset(&c);
    }
    dooh_ctx_free(&c);
    return (void *)ok;
}

static void regex_should_match_from_several_threads(void) {
    dooh_regex *re = dooh_regex_compile("[a-z_]+[0-9]+(-[a-z])?");
    CHECK(re != NULL);
    shared_re = re;
    pthread_t t[4];
    for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, match_many, NULL);
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(t[i], &r);
        CHECK(r == (void *)1);
    }
    dooh_regex_free(re);
}

int main(void) {
    dooh_ctx_init(&ctx);
    RUN(verr_add_should_copy_fields_into_the_arena);
    RUN(verr_add_should_grow_past_initial_capacity);
    RUN(utf8_len_should_count_code_points);
    RUN(utf8_valid_should_accept_well_formed_text);
    RUN(utf8_valid_should_reject_overlongs_surrogates_and_out_of_range);
    RUN(valid_email_should_accept_common_addresses);
    RUN(valid_email_should_reject_malformed_addresses);
    RUN(valid_email_should_enforce_254_byte_limit);
    RUN(valid_url_should_accept_http_and_https);
    RUN(valid_url_should_reject_bad_urls);
    RUN(regex_should_match_the_whole_string);
    RUN(regex_should_anchor_every_alternative);
    RUN(regex_should_reject_nul_inside_subject);
    RUN(regex_compile_should_return_null_for_invalid_patterns);
    RUN(regex_should_treat_parens_in_brackets_and_escapes_as_literals);
    RUN(regex_should_support_perl_class_escapes_portably);
    RUN(regex_should_match_from_several_threads);
    dooh_ctx_free(&ctx);
    return check_report();
}
