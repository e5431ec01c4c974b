/* needs: arena.c buf.c rt.c str.c json.c validate.c request.c response.c rules.c db.c dbquery.c crud.c auth.c jwt.c ratelimit.c crypto_sha256.c crypto_blake2b.c crypto_argon2.c crypto_base64.c crypto_util.c */
/* links: sqlite3 */
/* test_auth.c — auth.c against a real SQLite file: start-up checks of JWT_SECRET / JWT_EXPIRY,
 * signup (201 + token, 409, 422 for empty / huge / short passwords, the stored PHC string),
 * login (200, identical 401s, per-e-mail limit), me, dooh_auth_require with hostile headers,
 * the hash gate, and CRUD with auth: tokens for writes, owner rows filtered and hidden. */
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "auth_fixture.h"
#include "check.h"
#include "dooh/crypto.h"
#include "dooh/json.h"
#include "dooh/jwt.h"
#include "../src/auth_internal.h"
#include "../src/db_internal.h"
#include "../src/http_internal.h"

static const char SECRET[] = "unit-test-secret-0123456789abcdefghijkl";
static char dir[64];
static dooh_ctx ctx;
static dooh_buf body;
static dooh_response res;
static dooh_request req;
static dooh_header hdrs[4];
static uint32_t next_peer = 0x0a000001u; /* each request its own address unless told */

typedef void (*handler)(dooh_ctx *, dooh_request *, dooh_response *);

static void set_peer(uint32_t a) {
    memset(req.peer, 0, 16);
    req.peer[10] = req.peer[11] = 0xff;
    req.peer[12] = (uint8_t)(a >> 24);
    req.peer[13] = (uint8_t)(a >> 16);
    req.peer[14] = (uint8_t)(a >> 8);
    req.peer[15] = (uint8_t)a;
}

static void prepare(int method, const char *path, const char *json, const char *token) {
    dooh_ctx_reset(&ctx);
    dooh_buf_clear(&body);
    memset(&req, 0, sizeof req);
    memset(&res, 0, sizeof res);
    res.status = 200;
    res.body = &body;
    req.method = method;
    req.path = dooh_str_from_cstr(path);
    req.query = DOOH_LIT("");
    req.request_id = DOOH_LIT("test-rid");
    req.headers = hdrs;
    set_peer(next_peer++);
    if (json) {
        hdrs[req.nheaders++] = (dooh_header){ DOOH_LIT("Content-Type"), DOOH_LIT("application/json") };
        req.body = dooh_str_from_cstr(json);
    }
    if (token) hdrs[req.nheaders++] = (dooh_header){ DOOH_LIT("Authorization"),
                                                      dooh_str_from_cstr(token) };
    ctx.req = &req;
}

static const char *finish(void) {
    dooh_buf_putc(&body, '\0');
    body.len--;
    return body.p ? body.p : "";
}

static const char *call(handler fn, int method, const char *path, const char *json,
                        const char *token) {
    prepare(method, path, json, token);
    fn(&ctx, &req, &res);
    return finish();
}

typedef void (*crud_fn)(dooh_ctx *, dooh_request *, dooh_response *, const dooh_table *);

static const char *crud(crud_fn fn, int method, const char *id, const char *json, const char *token) {
    prepare(method, "/tasks", json, token);
    if (id) {
        req.params[0] = dooh_str_from_cstr(id);
        req.nparams = 1;
    }
    fn(&ctx, &req, &res, &ax_tasks);
    return finish();
}

static const char *header(const char *name) {
    for (int i = 0; i < res.nextra; i++)
        if (strcmp(res.extra[i].name.ptr, name) == 0)
            return dooh_str_cstr(&ctx, res.extra[i].value);
    return NULL;
}

/* "Bearer <token>" from a signup/login body (static storage, one per slot). */
static const char *bearer_from(const char *json, int slot) {
    static char out[4][1024];
    const char *p = strstr(json, "\"token\":\"");
    if (!p) return "Bearer none";
    p += 9;
    size_t n = strcspn(p, "\"");
    snprintf(out[slot], sizeof out[slot], "Bearer %.*s", (int)n, p);
    return out[slot];
}

/* Capture what fn writes to stderr. */
static char captured[2048];
static bool capture_stderr(bool (*fn)(void)) {
    char path[160];
    snprintf(path, sizeof path, "%s/stderr.txt", dir);
    fflush(stderr);
    int saved = dup(2), fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 2);
    bool r = fn();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    lseek(fd, 0, SEEK_SET);
    ssize_t n = read(fd, captured, sizeof captured - 1);
    captured[n > 0 ? n : 0] = '\0';
    close(fd);
    return r;
}

static bool open_auth(void) { return dooh_auth_open(&ax_auth); }

static int lines(const char *s) {
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

/* ---- start-up ---- */

static void open_should_refuse_a_missing_or_short_secret_in_one_line(void) {
    unsetenv("JWT_SECRET");
    CHECK(!capture_stderr(open_auth));
    CHECK(strstr(captured, "JWT_SECRET") != NULL);
    CHECK_EQ_INT(lines(captured), 1);
    CHECK(!dooh_auth_enabled());
    setenv("JWT_SECRET", "short-secret-1234567890", 1);
    CHECK(!capture_stderr(open_auth));
    CHECK(strstr(captured, "JWT_SECRET") != NULL);
    CHECK(strstr(captured, "short-secret") == NULL); /* never the secret itself */
    CHECK_EQ_INT(lines(captured), 1);
    CHECK(dooh__crud_auth == NULL);
}

static void open_should_refuse_a_bad_expiry_or_hash_setting(void) {
    setenv("JWT_SECRET", SECRET, 1);
    const char *bad[] = { "0", "-5", "abc", "1e5", "99999999999" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        setenv("JWT_EXPIRY", bad[i], 1);
        CHECK(!capture_stderr(open_auth));
        CHECK(strstr(captured, "JWT_EXPIRY") != NULL);
        CHECK_EQ_INT(lines(captured), 1);
    }
    unsetenv("JWT_EXPIRY");
    setenv("DOO_MAX_HASHES", "0", 1);
    CHECK(!capture_stderr(open_auth));
    CHECK(strstr(captured, "DOO_MAX_HASHES") != NULL);
    unsetenv("DOO_MAX_HASHES");
    CHECK(capture_stderr(open_auth));
    CHECK_EQ_INT(captured[0], '\0');
    CHECK(dooh_auth_enabled());
    CHECK(dooh__auth_max_hashes() >= 2);
}

/* ---- signup ---- */

static void signup_should_answer_201_with_a_token_and_store_only_the_hash(void) {
    const char *b = call(dooh_auth_signup, DOOH_POST, "/auth/signup",
                         "{\"Email\":\"ann@example.com\",\"Password\":\"correct horse\","
                         "\"Name\":\"Ann\",\"Role\":\"admin\"}", NULL);
    CHECK_EQ_INT(res.status, 201);
    CHECK(strstr(b, "{\"data\":{\"token\":\"eyJ") == b);
    CHECK(strstr(b, "\",\"id\":1,\"Email\":\"ann@example.com\",\"Name\":\"Ann\",\"Role\":\"user\"}}") != NULL);
    CHECK(strstr(b, "correct horse") == NULL && strstr(b, "argon2") == NULL);
    CHECK(header("RateLimit-Limit") && strcmp(header("RateLimit-Limit"), "10") == 0);
    /* The token's claims. */
    const char *tok = bearer_from(b, 0) + 7;
    dooh_jwt_claims c;
    CHECK_EQ_INT(dooh_jwt_verify(&ctx, tok, strlen(tok), SECRET, sizeof SECRET - 1,
                                 (int64_t)time(NULL), 30, &c), DOOH_JWT_OK);
    CHECK_EQ_MEM(c.sub.ptr, c.sub.len, "1");
    CHECK_EQ_MEM(c.email.ptr, c.email.len, "ann@example.com");
    CHECK_EQ_MEM(c.role.ptr, c.role.len, "user");
    CHECK_EQ_INT(c.exp - c.iat, 86400);
    /* The stored value is a PHC string with the OWASP parameters that verifies. */
    static const char sql[] = "SELECT password FROM users WHERE id = 1";
    dooh_rows rows;
    CHECK_EQ_INT(dooh_db_query(&ctx, sql, NULL, 0, &rows), DOOH_DBERR_NONE);
    const char *phc = dooh_str_cstr(&ctx, rows.cells[0].s);
    CHECK(strncmp(phc, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0);
    CHECK_EQ_INT(dooh_argon2id_verify_phc(phc, "correct horse", 13), 0);
}

static void signup_should_refuse_duplicates_and_bad_passwords(void) {
    call(dooh_auth_signup, DOOH_POST, "/auth/signup",
         "{\"Email\":\"ann@example.com\",\"Password\":\"another one\",\"Name\":\"A2\"}", NULL);
    CHECK_EQ_INT(res.status, 409);
    CHECK(strstr(finish(), "\"field\":\"Email\",\"code\":\"unique\"") != NULL);

    const char *b = call(dooh_auth_signup, DOOH_POST, "/auth/signup",
                         "{\"Email\":\"bob@example.com\",\"Password\":\"\",\"Name\":\"Bob\"}", NULL);
    CHECK_EQ_INT(res.status, 422);
    CHECK(strstr(b, "{\"field\":\"Password\",\"code\":\"required\",\"detail\":\"must not be empty\"}") != NULL);

    b = call(dooh_auth_signup, DOOH_POST, "/auth/signup",
             "{\"Email\":\"bob@example.com\",\"Password\":\"short\",\"Name\":\"\"}", NULL);
    CHECK_EQ_INT(res.status, 422);
    CHECK(strstr(b, "\"detail\":\"2 fields failed validation\"") != NULL);
    CHECK(strstr(b, "\"field\":\"Password\",\"code\":\"min\"") != NULL);

    b = call(dooh_auth_signup, DOOH_POST, "/auth/signup",
             "{\"Email\":\"bob@example.com\",\"Name\":\"Bob\"}", NULL);
    CHECK_EQ_INT(res.status, 422);
    CHECK(strstr(b, "\"field\":\"Password\",\"code\":\"required\"") != NULL);

    /* 64 KiB: refused before hashing, so quickly. */
    size_t n = 65536;
    char *big = malloc(n + 100);
    int k = snprintf(big, 100, "{\"Email\":\"bob@example.com\",\"Name\":\"Bob\",\"Password\":\"");
    memset(big + k, 'x', n);
    strcpy(big + k + n, "\"}");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    b = call(dooh_auth_signup, DOOH_POST, "/auth/signup", big, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CHECK_EQ_INT(res.status, 422);
    CHECK(strstr(b, "\"field\":\"Password\",\"code\":\"max\",\"detail\":\"must be at most 1024 bytes\",\"max\":1024") != NULL);
    CHECK((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 50); /* a hash takes longer */
    free(big);

    call(dooh_auth_signup, DOOH_POST, "/auth/signup", "{\"Email\":1}", NULL);
    CHECK_EQ_INT(res.status, 422);
    call(dooh_auth_signup, DOOH_POST, "/auth/signup", "[1]", NULL);
    CHECK_EQ_INT(res.status, 400);
}

/* ---- login ---- */

static void login_should_answer_200_with_a_token(void) {
    const char *b = call(dooh_auth_login, DOOH_POST, "/auth/login",
                         "{\"Email\":\"ann@example.com\",\"Password\":\"correct horse\"}", NULL);
    CHECK_EQ_INT(res.status, 200);
    CHECK(strstr(b, "{\"data\":{\"token\":\"eyJ") == b);
    CHECK(strstr(b, "\"id\":1,\"Email\":\"ann@example.com\",\"Name\":\"Ann\",\"Role\":\"user\"}}") != NULL);
    const char *auth = bearer_from(b, 1);
    b = call(dooh_auth_me, DOOH_GET, "/auth/me", NULL, auth);
    CHECK_EQ_INT(res.status, 200);
    CHECK(strcmp(b, "{\"data\":{\"id\":1,\"Email\":\"ann@example.com\",\"Name\":\"Ann\",\"Role\":\"user\"}}") == 0);
}

static void login_failures_should_be_identical(void) {
    char unknown[512], wrong[512];
    call(dooh_auth_login, DOOH_POST, "/auth/login",
         "{\"Email\":\"nobody@example.com\",\"Password\":\"correct horse\"}", NULL);
    CHECK_EQ_INT(res.status, 401);
    snprintf(unknown, sizeof unknown, "%s", finish());
    call(dooh_auth_login, DOOH_POST, "/auth/login",
         "{\"Email\":\"ann@example.com\",\"Password\":\"wrong horse\"}", NULL);
    CHECK_EQ_INT(res.status, 401);
    snprintf(wrong, sizeof wrong, "%s", finish());
    CHECK(strcmp(unknown, wrong) == 0);
    CHECK(strcmp(header("WWW-Authenticate"), "Bearer") == 0);
    call(dooh_auth_login, DOOH_POST, "/auth/login",
         "{\"Email\":\"ann@example.com\",\"Password\":\"\"}", NULL);
    CHECK_EQ_INT(res.status, 401);
    CHECK(strcmp(finish(), wrong) == 0);
    call(dooh_auth_login, DOOH_POST, "/auth/login", "{\"Email\":\"ann@example.com\"}", NULL);
    CHECK_EQ_INT(res.status, 422);
}

static void login_should_be_limited_per_address_and_per_account(void) {
    dooh_rl_reset_for_tests();
    /* Per address: 10 a minute, whatever the outcome. */
    for (int i = 0; i < 11; i++) {
        prepare(DOOH_POST, "/auth/login", "{\"Email\":\"x@example.com\",\"Password\":\"nope\"}", NULL);
        set_peer(0x0b000001u);
        dooh_auth_login(&ctx, &req, &res);
        CHECK_EQ_INT(res.status, i < 10 ? 401 : 429);
    }
    CHECK(header("Retry-After") != NULL);
    CHECK(strcmp(header("RateLimit-Policy"), "10;w=60") == 0);
    /* Per account: failures only; the 11th failure in 15 minutes is refused from any address. */
    for (int i = 0; i < 10; i++) {
        call(dooh_auth_login, DOOH_POST, "/auth/login",
             "{\"Email\":\"ann@example.com\",\"Password\":\"guess\"}", NULL);
        CHECK_EQ_INT(res.status, 401);
    }
    call(dooh_auth_login, DOOH_POST, "/auth/login",
         "{\"Email\":\"ann@example.com\",\"Password\":\"correct horse\"}", NULL);
    CHECK_EQ_INT(res.status, 429);
    CHECK(strcmp(header("RateLimit-Policy"), "10;w=900") == 0);
    /* One failure is forgiven every 90 s; the ten hashes above may take a second or more
     * under sanitizers on a busy machine, which the bucket has already refilled. */
    int retry = atoi(header("Retry-After"));
    CHECK(retry >= 80 && retry <= 90);
    dooh_rl_reset_for_tests();
}

/* ---- tokens ---- */

static void require_should_refuse_missing_and_hostile_tokens(void) {
    dooh_str good;
    dooh_jwt_claims c = { DOOH_LIT("1"), DOOH_LIT("ann@example.com"), DOOH_NULL_STR,
                          (int64_t)time(NULL), (int64_t)time(NULL) + 600 };
    dooh_ctx_reset(&ctx);
    CHECK_EQ_INT(dooh_jwt_sign(&ctx, &c, SECRET, sizeof SECRET - 1, &good), 0);
    char ok[1024], lower[1024];
    snprintf(ok, sizeof ok, "Bearer %.*s", (int)good.len, good.ptr);
    snprintf(lower, sizeof lower, "bearer   %.*s ", (int)good.len, good.ptr);
    c.exp = (int64_t)time(NULL) - 31;
    dooh_str expired;
    dooh_jwt_sign(&ctx, &c, SECRET, sizeof SECRET - 1, &expired);
    char exp_h[1024];
    snprintf(exp_h, sizeof exp_h, "Bearer %.*s", (int)expired.len, expired.ptr);
    c.exp = (int64_t)time(NULL) + 600;
    c.sub = DOOH_LIT("not-a-number");
    dooh_str badsub;
    dooh_jwt_sign(&ctx, &c, SECRET, sizeof SECRET - 1, &badsub);
    char sub_h[1024];
    snprintf(sub_h, sizeof sub_h, "Bearer %.*s", (int)badsub.len, badsub.ptr);

    dooh_auth_user u;
    prepare(DOOH_GET, "/private", NULL, ok);
    CHECK(dooh_auth_require(&ctx, &req, &res, &u));
    CHECK_EQ_INT(u.id, 1);
    CHECK_EQ_MEM(u.email.ptr, u.email.len, "ann@example.com");
    CHECK_EQ_INT(u.role.len, 0);
    prepare(DOOH_GET, "/private", NULL, lower);
    CHECK(dooh_auth_require(&ctx, &req, &res, NULL));

    const char *bad[] = { NULL, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc",
                          "Bearer abc.def.ghi", exp_h, sub_h, "Bearerx abc" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        prepare(DOOH_GET, "/private", NULL, bad[i]);
        CHECK(!dooh_auth_require(&ctx, &req, &res, &u));
        CHECK_EQ_INT(res.status, 401);
        CHECK(header("WWW-Authenticate") && strcmp(header("WWW-Authenticate"), "Bearer") == 0);
    }
    /* A token signed with another secret. */
    dooh_str other;
    c.sub = DOOH_LIT("1");
    dooh_ctx_reset(&ctx);
    dooh_jwt_sign(&ctx, &c, "another-secret-0123456789abcdefghij", 35, &other);
    char other_h[1024];
    snprintf(other_h, sizeof other_h, "Bearer %.*s", (int)other.len, other.ptr);
    prepare(DOOH_GET, "/private", NULL, other_h);
    CHECK(!dooh_auth_require(&ctx, &req, &res, &u));
}

/* ---- CRUD with auth ---- */

static void crud_should_need_tokens_and_show_only_owned_rows(void) {
    const char *b = call(dooh_auth_signup, DOOH_POST, "/auth/signup",
                         "{\"Email\":\"bea@example.com\",\"Password\":\"bea's password\",\"Name\":\"Bea\"}", NULL);
    CHECK_EQ_INT(res.status, 201);
    const char *bea = bearer_from(b, 2);
    b = call(dooh_auth_login, DOOH_POST, "/auth/login",
             "{\"Email\":\"ann@example.com\",\"Password\":\"correct horse\"}", NULL);
    CHECK_EQ_INT(res.status, 200);
    const char *ann = bearer_from(b, 3);

    crud(dooh_crud_create, DOOH_POST, NULL, "{\"Title\":\"anonymous\"}", NULL);
    CHECK_EQ_INT(res.status, 401);
    CHECK(strcmp(header("WWW-Authenticate"), "Bearer") == 0);
    crud(dooh_crud_list, DOOH_GET, NULL, NULL, NULL);
    CHECK_EQ_INT(res.status, 401); /* an owner table: reads need a token too */

    b = crud(dooh_crud_create, DOOH_POST, NULL, "{\"Title\":\"ann's\",\"OwnerId\":2}", ann);
    CHECK_EQ_INT(res.status, 201);
    CHECK(strcmp(b, "{\"data\":{\"id\":1,\"Title\":\"ann's\",\"Done\":false,\"OwnerId\":1}}") == 0);
    b = crud(dooh_crud_create, DOOH_POST, NULL, "{\"Title\":\"bea's\"}", bea);
    CHECK(strcmp(b, "{\"data\":{\"id\":2,\"Title\":\"bea's\",\"Done\":false,\"OwnerId\":2}}") == 0);

    b = crud(dooh_crud_list, DOOH_GET, NULL, NULL, ann);
    CHECK(strcmp(b, "{\"data\":[{\"id\":1,\"Title\":\"ann's\",\"Done\":false,\"OwnerId\":1}]}") == 0);
    prepare(DOOH_GET, "/tasks", NULL, bea);
    req.query = DOOH_LIT("OwnerId=eq.1");
    dooh_crud_list(&ctx, &req, &res, &ax_tasks);
    CHECK(strcmp(finish(), "{\"data\":[]}") == 0); /* a filter cannot widen the owner's view */
    prepare(DOOH_GET, "/tasks", NULL, bea);
    req.query = DOOH_LIT("Title=not.eq.x");
    hdrs[req.nheaders++] = (dooh_header){ DOOH_LIT("Prefer"), DOOH_LIT("count=exact") };
    dooh_crud_list(&ctx, &req, &res, &ax_tasks);
    CHECK(strcmp(finish(), "{\"data\":[{\"id\":2,\"Title\":\"bea's\",\"Done\":false,\"OwnerId\":2}]}") == 0);
    CHECK(strcmp(header("Content-Range"), "0-0/1") == 0);

    crud(dooh_crud_get, DOOH_GET, "1", NULL, bea);
    CHECK_EQ_INT(res.status, 404);
    crud(dooh_crud_update, DOOH_PATCH, "1", "{\"Done\":true}", bea);
    CHECK_EQ_INT(res.status, 404);
    crud(dooh_crud_update, DOOH_PATCH, "1", "{}", bea);
    CHECK_EQ_INT(res.status, 404);
    crud(dooh_crud_replace, DOOH_PUT, "1", "{\"Title\":\"taken\"}", bea);
    CHECK_EQ_INT(res.status, 404);
    crud(dooh_crud_delete, DOOH_DELETE, "1", NULL, bea);
    CHECK_EQ_INT(res.status, 404);
    b = crud(dooh_crud_get, DOOH_GET, "1", NULL, ann);
    CHECK(strcmp(b, "{\"data\":{\"id\":1,\"Title\":\"ann's\",\"Done\":false,\"OwnerId\":1}}") == 0);
    b = crud(dooh_crud_update, DOOH_PATCH, "1", "{\"Done\":true,\"OwnerId\":2}", ann);
    CHECK(strcmp(b, "{\"data\":{\"id\":1,\"Title\":\"ann's\",\"Done\":true,\"OwnerId\":1}}") == 0);
    crud(dooh_crud_delete, DOOH_DELETE, "1", NULL, ann);
    CHECK_EQ_INT(res.status, 204);
    crud(dooh_crud_get, DOOH_GET, "1", NULL, ann);
    CHECK_EQ_INT(res.status, 404);
}

/* ---- the hash gate ---- */

static void hash_gate_should_admit_at_most_its_size_then_time_out(void) {
    setenv("DOO_MAX_HASHES", "2", 1);
    setenv("DOO_HASH_WAIT_MS", "50", 1);
    CHECK(dooh_auth_open(&ax_auth));
    CHECK(dooh__auth_hash_acquire());
    CHECK(dooh__auth_hash_acquire());
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK(!dooh__auth_hash_acquire());
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    CHECK(ms >= 45 && ms < 1000);
    /* A signup meanwhile waits, then answers 503 + Retry-After. */
    call(dooh_auth_signup, DOOH_POST, "/auth/signup",
         "{\"Email\":\"cy@example.com\",\"Password\":\"cy's password\",\"Name\":\"Cy\"}", NULL);
    CHECK_EQ_INT(res.status, 503);
    CHECK(strcmp(header("Retry-After"), "1") == 0);
    dooh__auth_hash_release();
    CHECK(dooh__auth_hash_acquire());
    dooh__auth_hash_release();
    dooh__auth_hash_release();
    unsetenv("DOO_MAX_HASHES");
    unsetenv("DOO_HASH_WAIT_MS");
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/doo-authtest-XXXXXX");
    if (!mkdtemp(dir)) return 2;
    char url[160];
    snprintf(url, sizeof url, "sqlite:%s/app.db", dir);
    setenv("DATABASE_URL", url, 1);
    unsetenv("JWT_EXPIRY");
    unsetenv("DOO_MAX_HASHES");
    unsetenv("DOO_HASH_WAIT_MS");
    dooh_ctx_init(&ctx);
    dooh_buf_init(&body);
    if (!dooh_db_open(NULL, ax_tables, 2)) return 3;
    RUN(open_should_refuse_a_missing_or_short_secret_in_one_line);
    RUN(open_should_refuse_a_bad_expiry_or_hash_setting);
    RUN(signup_should_answer_201_with_a_token_and_store_only_the_hash);
    RUN(signup_should_refuse_duplicates_and_bad_passwords);
    RUN(login_should_answer_200_with_a_token);
    RUN(login_failures_should_be_identical);
    RUN(login_should_be_limited_per_address_and_per_account);
    RUN(require_should_refuse_missing_and_hostile_tokens);
    RUN(crud_should_need_tokens_and_show_only_owned_rows);
    RUN(hash_gate_should_admit_at_most_its_size_then_time_out);
    dooh__auth_reset_for_tests();
    dooh__db_reset_for_tests();
    dooh_buf_free(&body);
    dooh_ctx_free(&ctx);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? check_report() : (check_report(), 1);
}
