/* needs: arena.c buf.c rt.c str.c json.c request.c response.c router.c ratelimit.c cors.c */
/* test_ratelimit.c — the token buckets of ratelimit.c (refill, scopes, peeking, headers,
 * client keys with and without X-Forwarded-For, a bounded table under many keys, no lost
 * updates under threads) and the CORS headers of cors.c. */
#include <pthread.h>
#include <stdlib.h>

#include "check.h"
#include "dooh/auth.h"
#include "../src/http_internal.h"

static dooh_ctx ctx;
static dooh_buf body;
static dooh_response res;
static dooh_request req;
static dooh_header hdrs[8];

static void key_of(uint8_t key[16], uint32_t n) {
    memset(key, 0, 16);
    key[10] = key[11] = 0xff;
    key[12] = (uint8_t)(n >> 24);
    key[13] = (uint8_t)(n >> 16);
    key[14] = (uint8_t)(n >> 8);
    key[15] = (uint8_t)n;
}

static void new_request(void) {
    dooh_ctx_reset(&ctx);
    dooh_buf_clear(&body);
    memset(&req, 0, sizeof req);
    memset(&res, 0, sizeof res);
    res.status = 200;
    res.body = &body;
    req.path = DOOH_LIT("/tasks");
    req.headers = hdrs;
    ctx.req = &req;
}

static void add_header(const char *name, const char *value) {
    hdrs[req.nheaders++] = (dooh_header){ dooh_str_from_cstr(name), dooh_str_from_cstr(value) };
}

static const char *header(const char *name) {
    for (int i = 0; i < res.nextra; i++)
        if (strcmp(res.extra[i].name.ptr, name) == 0)
            return dooh_str_cstr(&ctx, res.extra[i].value);
    return NULL;
}

#define CHECK_HEADER(name, want) do { const char *_h = header(name); \
    if (!_h || strcmp(_h, (want)) != 0) { fprintf(stderr, "%s:%d: %s: got %s, want %s\n", \
    __FILE__, __LINE__, (name), _h ? _h : "(absent)", (want)); check_failed_now = 1; } } while (0)

/* ---- buckets ---- */

static void bucket_should_allow_max_then_refuse_with_retry_after(void) {
    uint8_t k[16];
    dooh_rl_verdict v;
    key_of(k, 1);
    for (int i = 0; i < 3; i++) {
        CHECK(dooh_rl_take(DOOH_RL_SCOPE_APP, k, 3, 60, 1, 1000, &v));
        CHECK_EQ_INT(v.remaining, 2 - i);
        CHECK_EQ_INT(v.limit, 3);
    }
    CHECK(!dooh_rl_take(DOOH_RL_SCOPE_APP, k, 3, 60, 1, 1000, &v));
    CHECK_EQ_INT(v.remaining, 0);
    CHECK_EQ_INT(v.retry_after_s, 20); /* one request every 60/3 s */
    CHECK_EQ_INT(v.reset_s, 60);       /* empty → full */
}

static void bucket_should_refill_continuously(void) {
    uint8_t k[16];
    dooh_rl_verdict v;
    key_of(k, 2);
    for (int i = 0; i < 3; i++) dooh_rl_take(DOOH_RL_SCOPE_APP, k, 3, 60, 1, 0, &v);
    CHECK(!dooh_rl_take(DOOH_RL_SCOPE_APP, k, 3, 60, 1, 19999, &v));
    CHECK_EQ_INT(v.retry_after_s, 1);
    CHECK(dooh_rl_take(DOOH_RL_SCOPE_APP, k, 3, 60, 1, 20000, &v));
    CHECK_EQ_INT(v.remaining, 0);
    CHECK(dooh_rl_take(DOOH_RL_SCOPE_APP, k, 3, 60, 1, 1000000, &v)); /* capped at max */
    CHECK_EQ_INT(v.remaining, 2);
    CHECK_EQ_INT(v.reset_s, 20);
}

static void scopes_and_keys_should_have_their_own_buckets(void) {
    uint8_t a[16], b[16];
    dooh_rl_verdict v;
    key_of(a, 3);
    key_of(b, 4);
    CHECK(dooh_rl_take(DOOH_RL_SCOPE_APP, a, 1, 60, 1, 0, &v));
    CHECK(!dooh_rl_take(DOOH_RL_SCOPE_APP, a, 1, 60, 1, 0, &v));
    CHECK(dooh_rl_take(DOOH_RL_SCOPE_APP, b, 1, 60, 1, 0, &v));
    CHECK(dooh_rl_take(DOOH_RL_SCOPE_ROUTE + 2, a, 1, 60, 1, 0, &v));
    CHECK(dooh_rl_take(DOOH_RL_SCOPE_ROUTE + 3, a, 1, 60, 1, 0, &v));
}

static void peek_should_take_nothing(void) {
    uint8_t k[16];
    dooh_rl_verdict v;
    key_of(k, 5);
    for (int i = 0; i < 5; i++) CHECK(dooh_rl_take(DOOH_RL_SCOPE_LOGIN_ACCOUNT, k, 2, 60, 0, 0, &v));
    CHECK_EQ_INT(v.remaining, 2);
    dooh_rl_take(DOOH_RL_SCOPE_LOGIN_ACCOUNT, k, 2, 60, 1, 0, &v);
    dooh_rl_take(DOOH_RL_SCOPE_LOGIN_ACCOUNT, k, 2, 60, 1, 0, &v);
    CHECK(!dooh_rl_take(DOOH_RL_SCOPE_LOGIN_ACCOUNT, k, 2, 60, 0, 0, &v));
}

static void headers_should_follow_the_ratelimit_draft(void) {
    uint8_t k[16];
    dooh_rl_verdict v;
    key_of(k, 6);
    new_request();
    dooh_rl_take(DOOH_RL_SCOPE_APP, k, 100, 60, 1, 0, &v);
    dooh_rl_headers(&ctx, &res, &v);
    CHECK_HEADER("RateLimit-Limit", "100");
    CHECK_HEADER("RateLimit-Remaining", "99");
    CHECK_HEADER("RateLimit-Reset", "1");
    CHECK_HEADER("RateLimit-Policy", "100;w=60");
    CHECK(header("Retry-After") == NULL);
    new_request();
    v.allowed = false;
    v.retry_after_s = 7;
    dooh_rl_refuse(&ctx, &res, &v);
    CHECK_EQ_INT(res.status, 429);
    CHECK_HEADER("Retry-After", "7");
    CHECK_HEADER("RateLimit-Policy", "100;w=60");
}

/* ---- the table stays bounded ---- */

static void table_should_evict_instead_of_growing(void) {
    uint8_t victim[16], k[16];
    dooh_rl_verdict v;
    key_of(victim, 0xfffffff0u);
    CHECK(dooh_rl_take(DOOH_RL_SCOPE_APP, victim, 1, 3600, 1, 0, &v));
    CHECK(!dooh_rl_take(DOOH_RL_SCOPE_APP, victim, 1, 3600, 1, 1, &v));
    /* 200,000 other drained buckets: far more than the 1,024 entries configured in main. */
    for (uint32_t i = 0; i < 200000; i++) {
        key_of(k, 0x10000000u + i);
        dooh_rl_take(DOOH_RL_SCOPE_APP, k, 1, 3600, 1, 2 + i, &v);
    }
    /* The victim was the least recently used: forgotten, so it starts full again. */
    CHECK(dooh_rl_take(DOOH_RL_SCOPE_APP, victim, 1, 3600, 1, 300000, &v));
    /* The most recent keys are still there. */
    key_of(k, 0x10000000u + 199999);
    CHECK(!dooh_rl_take(DOOH_RL_SCOPE_APP, k, 1, 3600, 1, 300000, &v));
}

static void refilled_buckets_should_be_evicted_before_drained_ones(void) {
    dooh_rl_reset_for_tests();
    uint8_t drained[16], k[16];
    dooh_rl_verdict v;
    key_of(drained, 0xeeeeeeeeu);
    CHECK(dooh_rl_take(DOOH_RL_SCOPE_APP, drained, 1, 3600, 1, 0, &v)); /* drained, 1 h to refill */
    /* Many keys used long ago whose buckets have refilled since: they make room first. */
    for (uint32_t i = 0; i < 5000; i++) {
        key_of(k, 0x20000000u + i);
        /* full again 10 ms later, so each is refilled when the next ones arrive */
        dooh_rl_take(DOOH_RL_SCOPE_APP, k, 100, 1, 1, 100 + (int64_t)i * 20, &v);
    }
    CHECK(!dooh_rl_take(DOOH_RL_SCOPE_APP, drained, 1, 3600, 1, 10000, &v));
}

/* ---- threads ---- */

#define THREADS 8
#define TAKES 20000

static void *taker(void *arg) {
    (void)arg;
    uint8_t k[16];
    dooh_rl_verdict v;
    key_of(k, 77);
    for (int i = 0; i < TAKES; i++) dooh_rl_take(DOOH_RL_SCOPE_ROUTE, k, 1000000000, 1000000, 1, 5, &v);
    return NULL;
}

static void concurrent_takes_should_lose_no_update(void) {
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) pthread_create(&th[i], NULL, taker, NULL);
    for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
    uint8_t k[16];
    dooh_rl_verdict v;
    key_of(k, 77);
    dooh_rl_take(DOOH_RL_SCOPE_ROUTE, k, 1000000000, 1000000, 0, 5, &v);
    CHECK_EQ_INT(v.remaining, 1000000000 - THREADS * TAKES);
}

/* ---- client keys ---- */

static void client_key_should_use_the_peer_and_cut_ipv6_to_64(void) {
    uint8_t k[16], want[16];
    new_request();
    key_of(req.peer, 0x7f000002u);
    add_header("X-Forwarded-For", "203.0.113.9");
    dooh_rl_configure(false);
    dooh_rl_client_key(&req, k);
    CHECK(memcmp(k, req.peer, 16) == 0); /* X-Forwarded-For ignored without trust_proxy */
    for (int i = 0; i < 16; i++) req.peer[i] = (uint8_t)(0x20 + i);
    dooh_rl_client_key(&req, k);
    memcpy(want, req.peer, 8);
    memset(want + 8, 0, 8);
    CHECK(memcmp(k, want, 16) == 0);
}

static void client_key_should_take_the_leftmost_valid_forwarded_address(void) {
    uint8_t k[16], want[16];
    dooh_rl_configure(true);
    new_request();
    key_of(req.peer, 0x7f000001u);
    add_header("X-Forwarded-For", " junk, 198.51.100.7 , 10.0.0.1");
    dooh_rl_client_key(&req, k);
    key_of(want, 0xc6336407u);
    CHECK(memcmp(k, want, 16) == 0);
    new_request();
    key_of(req.peer, 0x7f000001u);
    add_header("X-Forwarded-For", "not-an-address, 999.1.1.1");
    dooh_rl_client_key(&req, k);
    CHECK(memcmp(k, req.peer, 16) == 0); /* nothing valid: the peer */
    new_request();
    add_header("X-Forwarded-For", "2001:db8:1:2:3:4:5:6");
    dooh_rl_client_key(&req, k);
    static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2 };
    CHECK(memcmp(k, v6, 16) == 0);
    dooh_rl_configure(false);
}

/* ---- CORS ---- */

static const char *const listed[] = { "https://app.example", "http://localhost:5173" };

static void cors_any_origin_should_answer_star(void) {
    dooh_cors any = { NULL, 0, false, 0 };
    new_request();
    add_header("Origin", "https://evil.example");
    dooh_cors_apply(&ctx, &any, &req, 0, &res);
    CHECK_HEADER("Access-Control-Allow-Origin", "*");
    CHECK(header("Vary") == NULL);
    CHECK(header("Access-Control-Allow-Credentials") == NULL);
    CHECK(strstr(header("Access-Control-Expose-Headers"), "RateLimit-Remaining") != NULL);
    new_request(); /* no Origin: not a CORS request */
    dooh_cors_apply(&ctx, &any, &req, 0, &res);
    CHECK_EQ_INT(res.nextra, 0);
}

static void cors_preflight_should_list_the_route_methods(void) {
    dooh_cors any = { NULL, 0, false, 600 };
    new_request();
    add_header("Origin", "https://a.example");
    add_header("Access-Control-Request-Method", "DELETE");
    add_header("Access-Control-Request-Headers", "Content-Type, Authorization");
    dooh_cors_apply(&ctx, &any, &req, DOOH_GET | DOOH_HEAD | DOOH_POST, &res);
    CHECK_HEADER("Access-Control-Allow-Origin", "*");
    CHECK_HEADER("Access-Control-Allow-Methods", "GET, HEAD, POST");
    CHECK_HEADER("Access-Control-Allow-Headers", "Content-Type, Authorization");
    CHECK_HEADER("Access-Control-Max-Age", "600");
    CHECK(header("Access-Control-Expose-Headers") == NULL);
}

static void cors_should_not_echo_invalid_request_headers(void) {
    dooh_cors any = { NULL, 0, false, 0 };
    const char *bad[] = { "x-a, x\"b", "x-a,,x-b", "x-a,", "", "x-a\r\nSet-Cookie: a=b" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        new_request();
        add_header("Origin", "https://a.example");
        add_header("Access-Control-Request-Method", "POST");
        add_header("Access-Control-Request-Headers", bad[i]);
        dooh_cors_apply(&ctx, &any, &req, DOOH_POST, &res);
        CHECK(header("Access-Control-Allow-Headers") == NULL);
        CHECK_HEADER("Access-Control-Allow-Methods", "POST");
    }
    static char many[2048];
    memset(many, 'a', sizeof many - 1);
    new_request();
    add_header("Origin", "https://a.example");
    add_header("Access-Control-Request-Method", "POST");
    add_header("Access-Control-Request-Headers", many);
    dooh_cors_apply(&ctx, &any, &req, DOOH_POST, &res);
    CHECK(header("Access-Control-Allow-Headers") == NULL);
}

static void cors_listed_origins_should_echo_only_those_with_credentials(void) {
    dooh_cors list = { listed, 2, true, 0 };
    new_request();
    add_header("Origin", "http://localhost:5173");
    dooh_cors_apply(&ctx, &list, &req, 0, &res);
    CHECK_HEADER("Access-Control-Allow-Origin", "http://localhost:5173");
    CHECK(header("Access-Control-Allow-Origin") != listed[1]); /* the listed copy, not the request's bytes */
    CHECK_HEADER("Vary", "Origin");
    CHECK_HEADER("Access-Control-Allow-Credentials", "true");
    const char *refused[] = { "https://app.example.evil", "https://APP.example", "null",
                              "https://app.example/" };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        new_request();
        add_header("Origin", refused[i]);
        add_header("Access-Control-Request-Method", "GET");
        dooh_cors_apply(&ctx, &list, &req, DOOH_GET, &res);
        CHECK(header("Access-Control-Allow-Origin") == NULL);
        CHECK(header("Access-Control-Allow-Methods") == NULL);
        CHECK(header("Access-Control-Allow-Credentials") == NULL);
        CHECK_HEADER("Vary", "Origin");
    }
}

static void cors_credentials_should_never_pair_with_star(void) {
    dooh_cors bad = { NULL, 0, true, 0 };
    new_request();
    add_header("Origin", "https://a.example");
    dooh_cors_apply(&ctx, &bad, &req, 0, &res);
    CHECK_HEADER("Access-Control-Allow-Origin", "*");
    CHECK(header("Access-Control-Allow-Credentials") == NULL);
}

int main(void) {
    setenv("DOO_RATELIMIT_ENTRIES", "1024", 1);
    if (dooh_rl_configure(false) != NULL) return 2;
    setenv("DOO_RATELIMIT_ENTRIES", "12x", 1);
    if (dooh_rl_configure(false) == NULL) return 3;
    dooh_ctx_init(&ctx);
    dooh_buf_init(&body);
    RUN(bucket_should_allow_max_then_refuse_with_retry_after);
    RUN(bucket_should_refill_continuously);
    RUN(scopes_and_keys_should_have_their_own_buckets);
    RUN(peek_should_take_nothing);
    RUN(headers_should_follow_the_ratelimit_draft);
    RUN(table_should_evict_instead_of_growing);
    RUN(refilled_buckets_should_be_evicted_before_drained_ones);
    RUN(concurrent_takes_should_lose_no_update);
    RUN(client_key_should_use_the_peer_and_cut_ipv6_to_64);
    RUN(client_key_should_take_the_leftmost_valid_forwarded_address);
    RUN(cors_any_origin_should_answer_star);
    RUN(cors_preflight_should_list_the_route_methods);
    RUN(cors_should_not_echo_invalid_request_headers);
    RUN(cors_listed_origins_should_echo_only_those_with_credentials);
    RUN(cors_credentials_should_never_pair_with_star);
    dooh_buf_free(&body);
    dooh_ctx_free(&ctx);
    return check_report();
}
