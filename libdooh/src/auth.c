/* auth.c — `app.auth(signup, login, User, db)`: accounts, Argon2id passwords and HS256 tokens
 * (http.md §5, reliability.md §4; the API is dooh/auth.h).
 *
 * Input: the user table's descriptor (dooh_auth_config), JWT_SECRET / JWT_EXPIRY and
 * requests. Output: signup 201, login 200, me 200 with {"data":{"token":…, user}}, and the
 * 401 / 409 / 422 / 429 / 503 problems of the contract.
 *
 * Start-up (dooh_auth_open) reads and checks the environment, prepares the two statements
 * it needs as static strings (so each worker's statement cache keys them by pointer) and
 * hashes a random password once: login verifies against that dummy hash when the e-mail is
 * unknown, so an unknown user and a wrong password cost the same Argon2id work and get the
 * same 401 body.
 *
 * Signup reads its body with CRUD's own reader (crud.c, so validation and messages are the
 * same), with the @hash column read as the password: 1..1024 bytes, checked before any
 * hashing. The password is hashed with the OWASP parameters into a PHC string and only that
 * string is stored; neither the password nor the hash is ever logged or returned.
 *
 * Hashing takes ~19 MiB and tens of milliseconds of one core, so at most 2 × cores hashes
 * run at once (an atomic counter; DOO_MAX_HASHES overrides). A request that finds the gate
 * full sleeps on a condition variable for at most DOO_HASH_WAIT_MS (1000) and then answers
 * 503 + Retry-After: memory and CPU stay bounded however many logins arrive.
 *
 * Rate limits: signup and login are always limited per client address (10 per minute), and
 * failed logins per e-mail (10 per 15 minutes; a successful login costs nothing), through
 * the shared bucket table of ratelimit.c.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth_internal.h"
#include "db_internal.h"
#include "dooh/auth.h"
#include "dooh/crypto.h"
#include "dooh/json.h"
#include "dooh/jwt.h"
#include "http_internal.h"

#define LEEWAY_S 30
#define DEFAULT_EXPIRY_S 86400
#define MAX_EXPIRY_S 315360000  /* ten years */
#define ADDR_MAX 10             /* signups / logins per client address … */
#define ADDR_WINDOW_S 60        /* … per minute */
#define ACCOUNT_MAX 10          /* failed logins per e-mail … */
#define ACCOUNT_WINDOW_S 900    /* … per 15 minutes */
#define DEFAULT_HASH_WAIT_MS 1000

static struct {
    const dooh_auth_config *cfg;
    uint8_t *secret;
    size_t secretlen;
    int64_t expiry_s;
    char dummy_phc[DOOH_ARGON2_PHC_MAX];
    int *ucols;                /* user columns read back: the shown ones first */
    int nout;                  /* how many of them a response shows */
    int nuser;                 /* the shown ones plus the key, e-mail and role when hidden */
    int id_at, email_at, role_at; /* their positions in ucols (role_at -1: no role) */
    char *login_sql;           /* SELECT <ucols>, <hash> FROM users WHERE <email> = ?1 */
    char *me_sql;              /* SELECT <ucols> FROM users WHERE <key> = ?1 */
    int max_hashes;
    int64_t hash_wait_ms;
} g;

static _Atomic bool g_enabled;
static _Atomic int g_hashing;  /* hashes running now */
static _Atomic int g_waiters;  /* requests sleeping for a slot */
static pthread_mutex_t g_gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_gate_cond;
static pthread_once_t g_gate_once = PTHREAD_ONCE_INIT;

/* ---- the hash gate ---- */

static void gate_init(void) {
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&g_gate_cond, &a);
    pthread_condattr_destroy(&a);
}

static bool gate_try(void) {
    int n = atomic_load(&g_hashing);
    while (n < g.max_hashes)
        if (atomic_compare_exchange_weak(&g_hashing, &n, n + 1)) return true;
    return false;
}

bool dooh__auth_hash_acquire(void) {
    if (gate_try()) return true;
    pthread_once(&g_gate_once, gate_init);
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    dl.tv_sec += (time_t)(g.hash_wait_ms / 1000);
    dl.tv_nsec += (long)(g.hash_wait_ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    bool ok = false;
    pthread_mutex_lock(&g_gate_lock);
    /* Counted before the last try, so a release that follows it sees us and signals. */
    atomic_fetch_add(&g_waiters, 1);
    for (;;) {
        if ((ok = gate_try())) break;
        int r = pthread_cond_timedwait(&g_gate_cond, &g_gate_lock, &dl);
        if (r == ETIMEDOUT) {
            ok = gate_try();
            break;
        }
    }
    atomic_fetch_sub(&g_waiters, 1);
    pthread_mutex_unlock(&g_gate_lock);
    return ok;
}

void dooh__auth_hash_release(void) {
    atomic_fetch_sub(&g_hashing, 1);
    if (atomic_load(&g_waiters) > 0) {
        pthread_once(&g_gate_once, gate_init);
        pthread_mutex_lock(&g_gate_lock);
        pthread_cond_signal(&g_gate_cond);
        pthread_mutex_unlock(&g_gate_lock);
    }
}

int dooh__auth_max_hashes(void) { return g.max_hashes; }

/* ---- start-up ---- */

/* A decimal environment value in [lo, hi]; *out unchanged when unset. False when bad. */
static bool env_num(const char *name, int64_t lo, int64_t hi, int64_t *out) {
    const char *s = getenv(name);
    if (!s) return true;
    int64_t v = 0;
    if (!*s || strlen(s) > 12) return false;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9') return false;
        v = v * 10 + (*p - '0');
    }
    if (v < lo || v > hi) return false;
    *out = v;
    return true;
}

static int cpu_count(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
    return 1;
}

/* The user columns read back, and the two statements (static for the life of the process). */
static bool build_statements(const dooh_auth_config *cfg) {
    const dooh_table *t = cfg->users;
    int *cols = calloc((size_t)t->ncols + 4, sizeof *cols);
    if (!cols) return false;
    int n = 0;
    for (int i = 0; i < t->ncols; i++)
        if (!(t->cols[i].flags & DOOH_COL_NO_OUTPUT)) cols[n++] = i;
    g.nout = n;
    int want[3] = { t->pk, cfg->email_col, cfg->role_col };
    int *at[3] = { &g.id_at, &g.email_at, &g.role_at };
    for (int k = 0; k < 3; k++) {
        *at[k] = -1;
        if (want[k] < 0) continue;
        for (int i = 0; i < n; i++)
            if (cols[i] == want[k]) *at[k] = i;
        if (*at[k] < 0) {
            *at[k] = n;
            cols[n++] = want[k];
        }
    }
    g.nuser = n;
    g.ucols = cols;
    cols[n] = cfg->hash_col; /* login reads the hash after the user columns */

    dooh_buf b;
    dooh_buf_init(&b);
    dooh_buf_lit(&b, "SELECT ");
    dooh__sql_select_list(&b, t, cols, n + 1);
    dooh_buf_lit(&b, " FROM ");
    dooh__sql_ident(&b, t->name);
    dooh_buf_lit(&b, " WHERE ");
    dooh__sql_ident(&b, t->cols[cfg->email_col].column);
    dooh_buf_lit(&b, " = ?1");
    dooh_buf_putc(&b, '\0');
    g.login_sql = b.p; /* kept: the buffer's bytes are the statement's text */

    dooh_buf_init(&b);
    dooh_buf_lit(&b, "SELECT ");
    dooh__sql_select_list(&b, t, cols, n);
    dooh_buf_lit(&b, " FROM ");
    dooh__sql_ident(&b, t->name);
    dooh_buf_lit(&b, " WHERE ");
    dooh__sql_ident(&b, t->cols[t->pk].column);
    dooh_buf_lit(&b, " = ?1");
    dooh_buf_putc(&b, '\0');
    g.me_sql = b.p;
    return g.login_sql && g.me_sql;
}

void dooh__auth_reset_for_tests(void) {
    atomic_store(&g_enabled, false);
    dooh__crud_auth = NULL;
    if (g.secret) dooh_wipe(g.secret, g.secretlen);
    free(g.secret);
    free(g.ucols);
    free(g.login_sql);
    free(g.me_sql);
    memset(&g, 0, sizeof g);
}

static bool crud_hook(dooh_ctx *ctx, dooh_request *req, dooh_response *res, int64_t *uid) {
    dooh_auth_user u;
    if (!dooh_auth_require(ctx, req, res, &u)) return false;
    *uid = u.id;
    return true;
}

bool dooh_auth_open(const dooh_auth_config *cfg) {
    dooh__auth_reset_for_tests();
    const char *secret = getenv("JWT_SECRET");
    size_t slen = secret ? strlen(secret) : 0;
    if (!secret || slen == 0) {
        fprintf(stderr, "doo: JWT_SECRET is not set; a program that uses auth needs a secret of "
                        "at least %d bytes (e.g. `openssl rand -base64 48`)\n", DOOH_JWT_MIN_SECRET);
        return false;
    }
    if (slen < DOOH_JWT_MIN_SECRET) {
        fprintf(stderr, "doo: JWT_SECRET is too short (%zu bytes); it must be at least %d bytes\n",
                slen, DOOH_JWT_MIN_SECRET);
        return false;
    }
    int64_t expiry = DEFAULT_EXPIRY_S, max_hashes = 2 * (int64_t)cpu_count(),
            wait_ms = DEFAULT_HASH_WAIT_MS;
    if (!env_num("JWT_EXPIRY", 1, MAX_EXPIRY_S, &expiry)) {
        fprintf(stderr, "doo: invalid JWT_EXPIRY \"%.64s\" (expected seconds, 1 to %d)\n",
                getenv("JWT_EXPIRY"), MAX_EXPIRY_S);
        return false;
    }
    if (!env_num("DOO_MAX_HASHES", 1, 4096, &max_hashes)) {
        fprintf(stderr, "doo: invalid DOO_MAX_HASHES \"%.64s\" (expected 1 to 4096)\n",
                getenv("DOO_MAX_HASHES"));
        return false;
    }
    if (!env_num("DOO_HASH_WAIT_MS", 0, 60000, &wait_ms)) {
        fprintf(stderr, "doo: invalid DOO_HASH_WAIT_MS \"%.64s\" (expected 0 to 60000)\n",
                getenv("DOO_HASH_WAIT_MS"));
        return false;
    }
    const dooh_table *t = cfg ? cfg->users : NULL;
    if (!t || cfg->email_col < 0 || cfg->email_col >= t->ncols || cfg->hash_col < 0 ||
        cfg->hash_col >= t->ncols || cfg->role_col >= t->ncols ||
        !(t->cols[cfg->hash_col].flags & DOOH_COL_HASH)) {
        fprintf(stderr, "doo: auth: the user table has no @email or no @hash column\n");
        return false;
    }
    g.cfg = cfg;
    g.expiry_s = expiry;
    g.max_hashes = (int)max_hashes;
    g.hash_wait_ms = wait_ms;
    g.secret = malloc(slen);
    if (!g.secret || !build_statements(cfg)) {
        fprintf(stderr, "doo: auth: out of memory at start-up\n");
        dooh__auth_reset_for_tests();
        return false;
    }
    memcpy(g.secret, secret, slen);
    g.secretlen = slen;
    /* The dummy hash for unknown e-mails: a random password, the parameters of real ones. */
    uint8_t pw[16];
    if (dooh_random_bytes(pw, sizeof pw) != 0 ||
        dooh_argon2id_hash_phc((const char *)pw, sizeof pw, DOOH_ARGON2_OWASP_M_KIB,
                               DOOH_ARGON2_OWASP_T, DOOH_ARGON2_OWASP_P, g.dummy_phc,
                               sizeof g.dummy_phc) != 0) {
        fprintf(stderr, "doo: auth: cannot compute the start-up password hash (out of memory "
                        "or no random bytes)\n");
        dooh__auth_reset_for_tests();
        return false;
    }
    dooh_wipe(pw, sizeof pw);
    dooh__crud_auth = crud_hook;
    atomic_store(&g_enabled, true);
    return true;
}

bool dooh_auth_enabled(void) { return atomic_load(&g_enabled); }

/* ---- answers ---- */

static bool unauthorized(dooh_ctx *ctx, dooh_response *res, dooh_str detail) {
    dooh_res_problem(ctx, res, 401, detail);
    dooh_res_header(res, "WWW-Authenticate", DOOH_LIT("Bearer"));
    return false;
}

static void busy(dooh_ctx *ctx, dooh_response *res) {
    dooh_res_problem(ctx, res, 503, DOOH_LIT("too many password checks at once; retry shortly"));
    dooh_res_header(res, "Retry-After", DOOH_LIT("1"));
}

static void bad_credentials(dooh_ctx *ctx, dooh_response *res) {
    unauthorized(ctx, res, DOOH_LIT("invalid e-mail or password"));
}

/* {"data":{"token":"…",<the user's shown fields>}} from the row JSON `user` ("{…}"). */
static void token_body(dooh_ctx *ctx, dooh_response *res, int status, dooh_str token,
                       const dooh_buf *user) {
    dooh_res_json(res, status);
    dooh_buf_lit(res->body, "{\"data\":{\"token\":");
    dooh_json_str(res->body, token);
    if (user->len > 2) {
        dooh_buf_putc(res->body, ',');
        dooh_buf_put(res->body, user->p + 1, user->len - 1);
    } else {
        dooh_buf_putc(res->body, '}');
    }
    dooh_buf_putc(res->body, '}');
    (void)ctx;
}

/* Text of column i of the current row (arena copy); empty for NULL. */
static dooh_str col_text(dooh_ctx *ctx, sqlite3_stmt *st, int i) {
    const unsigned char *p = sqlite3_column_text(st, i);
    return p ? dooh_str_copy(ctx, (const char *)p, (size_t)sqlite3_column_bytes(st, i))
             : DOOH_LIT("");
}

/* The facts of a user row read with ucols: for the token, and its JSON. */
typedef struct user_row {
    int64_t id;
    dooh_str email, role;      /* role.ptr NULL when the table has none */
    dooh_buf json;             /* "{…}" of the shown fields (caller frees) */
} user_row;

static void read_user(dooh_ctx *ctx, sqlite3_stmt *st, user_row *u) {
    u->id = sqlite3_column_int64(st, g.id_at);
    u->email = col_text(ctx, st, g.email_at);
    u->role = g.role_at >= 0 ? col_text(ctx, st, g.role_at) : DOOH_NULL_STR;
    dooh_buf_init(&u->json);
    dooh__row_json(&u->json, st, g.cfg->users, g.ucols, g.nout);
}

/* Sign a token for u and answer status with {"data":{"token":…,…}}. */
static void answer_token(dooh_ctx *ctx, dooh_response *res, int status, user_row *u) {
    int64_t now = (int64_t)time(NULL);
    dooh_jwt_claims c = { dooh_i64_to_str(ctx, u->id), u->email, u->role, now, now + g.expiry_s };
    dooh_str token;
    if (dooh_jwt_sign(ctx, &c, g.secret, g.secretlen, &token) != DOOH_JWT_OK) {
        dooh_res_problem(ctx, res, 500, DOOH_LIT("internal server error"));
        return;
    }
    token_body(ctx, res, status, token, &u->json);
}

/* The per-address limit of signup and login; false after answering 429. */
static bool addr_limit(dooh_ctx *ctx, dooh_request *req, dooh_response *res, uint32_t scope,
                       dooh_rl_verdict *v) {
    uint8_t key[DOOH_RL_KEY_LEN];
    dooh_rl_client_key(req, key);
    if (dooh_rl_take(scope, key, ADDR_MAX, ADDR_WINDOW_S, 1, dooh_rl_now_ms(), v)) return true;
    dooh_rl_refuse(ctx, res, v);
    return false;
}

static bool enabled_or_500(dooh_ctx *ctx, dooh_response *res) {
    if (atomic_load(&g_enabled)) return true;
    dooh_res_problem(ctx, res, 500, DOOH_LIT("internal server error"));
    return false;
}

/* ---- signup ---- */

static void signup(dooh_ctx *ctx, dooh_request *req, dooh_response *res) {
    const dooh_table *t = g.cfg->users;
    int hc = g.cfg->hash_col, n = 0, rc;
    dooh__wcol *w = dooh_alloc(ctx, sizeof *w * (size_t)t->ncols);
    dooh_dbv *params = dooh_alloc(ctx, sizeof *params * (size_t)t->ncols);
    if (!dooh__crud_read_body(ctx, req, res, t, true, w)) return;
    if (w[hc].v.type != DOOH_DBV_TEXT) { /* an optional @hash left out: nothing to log in with */
        dooh_verr_add(ctx, t->cols[hc].field, "required", DOOH_LIT("is required"), NULL, 0);
        dooh_res_problem(ctx, res, 422, DOOH_LIT("1 field failed validation"));
        return;
    }
    char *phc = dooh_alloc(ctx, DOOH_ARGON2_PHC_MAX);
    if (!dooh__auth_hash_acquire()) {
        busy(ctx, res);
        return;
    }
    dooh_str pw = w[hc].v.s;
    rc = dooh_argon2id_hash_phc(pw.ptr, (size_t)pw.len, DOOH_ARGON2_OWASP_M_KIB,
                                DOOH_ARGON2_OWASP_T, DOOH_ARGON2_OWASP_P, phc, DOOH_ARGON2_PHC_MAX);
    dooh__auth_hash_release();
    if (rc != 0) {
        busy(ctx, res); /* out of memory or of random bytes: transient */
        return;
    }
    w[hc].v.s = dooh_str_from_cstr(phc);
    const char *sql = dooh__crud_insert_sql(ctx, t, w, params, &n, g.ucols, g.nuser);
    sqlite3_stmt *st = dooh__db_prepare(ctx, sql, false, &rc);
    if (st == NULL) {
        dooh__db_fail(ctx, res, rc);
        return;
    }
    for (int i = 0; i < n; i++) dooh__db_bind(st, i + 1, &params[i]);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        user_row u;
        read_user(ctx, st, &u);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {}
        if (rc == SQLITE_DONE) {
            dooh__db_done(st);
            answer_token(ctx, res, 201, &u);
            dooh_buf_free(&u.json);
            return;
        }
        dooh_buf_free(&u.json);
    }
    /* A duplicate e-mail is the UNIQUE violation: 409 naming the field. */
    dooh__crud_write_failed(ctx, res, t, w, st, rc);
}

void dooh_auth_signup(dooh_ctx *ctx, dooh_request *req, dooh_response *res) {
    dooh_rl_verdict v;
    if (!enabled_or_500(ctx, res)) return;
    if (!addr_limit(ctx, req, res, DOOH_RL_SCOPE_SIGNUP_ADDR, &v)) return;
    signup(ctx, req, res);
    dooh_rl_headers(ctx, res, &v);
}

/* ---- login ---- */

/* The two fields of a login body; false after answering 415, 400 or 422. */
static bool login_body(dooh_ctx *ctx, dooh_request *req, dooh_response *res, dooh_str *email,
                       dooh_str *pw) {
    const dooh_table *t = g.cfg->users;
    dooh_jv *obj = NULL;
    dooh_str err;
    if (!dooh_req_is_json(req)) {
        dooh_res_problem(ctx, res, 415, DOOH_LIT("Content-Type must be application/json"));
        return false;
    }
    if (dooh_json_parse(ctx, req->body.ptr ? req->body.ptr : "", (size_t)req->body.len,
                        dooh_json_max_depth(), &obj, &err) != 0 || obj->type != DOOH_JOBJ) {
        dooh_res_problem(ctx, res, 400, DOOH_LIT("the body must be a JSON object"));
        return false;
    }
    const char *names[2] = { t->cols[g.cfg->email_col].field, t->cols[g.cfg->hash_col].field };
    dooh_str *outs[2] = { email, pw };
    for (int k = 0; k < 2; k++) {
        const dooh_jv *v = dooh_jv_get(obj, names[k], strlen(names[k]));
        if (v && v->type == DOOH_JSTR) *outs[k] = v->s;
        else dooh_verr_add(ctx, names[k], v ? "type" : "required",
                           v ? DOOH_LIT("must be a string") : DOOH_LIT("is required"), NULL, 0);
    }
    if (ctx->nverrs == 0) return true;
    dooh_res_problem(ctx, res, 422, ctx->nverrs == 1 ? DOOH_LIT("1 field failed validation")
                                                     : DOOH_LIT("2 fields failed validation"));
    return false;
}

/* Returns the verdict whose headers the response shows (the per-e-mail one when it refused). */
static const dooh_rl_verdict *login(dooh_ctx *ctx, dooh_request *req, dooh_response *res,
                                    const dooh_rl_verdict *addr, dooh_rl_verdict *acct) {
    dooh_str email, pw;
    int rc;
    if (!login_body(ctx, req, res, &email, &pw)) return addr;
    /* No stored password is empty or longer than this: refuse without hashing. */
    if (pw.len == 0 || pw.len > DOOH_PASSWORD_MAX) {
        bad_credentials(ctx, res);
        return addr;
    }
    uint8_t digest[DOOH_SHA256_LEN];
    dooh_sha256(email.ptr, (size_t)email.len, digest);
    int64_t now = dooh_rl_now_ms();
    if (!dooh_rl_take(DOOH_RL_SCOPE_LOGIN_ACCOUNT, digest, ACCOUNT_MAX, ACCOUNT_WINDOW_S, 0, now,
                      acct)) {
        dooh_rl_refuse(ctx, res, acct);
        return NULL; /* headers already added */
    }

    sqlite3_stmt *st = dooh__db_prepare(ctx, g.login_sql, true, &rc);
    if (st == NULL) {
        dooh__db_fail(ctx, res, rc);
        return addr;
    }
    dooh_dbv key = { DOOH_DBV_TEXT, 0, 0.0, email };
    dooh__db_bind(st, 1, &key);
    rc = sqlite3_step(st);
    user_row u = { 0, DOOH_NULL_STR, DOOH_NULL_STR, { NULL, 0, 0 } };
    bool found = rc == SQLITE_ROW;
    const char *phc = g.dummy_phc;
    if (found) {
        read_user(ctx, st, &u);
        phc = dooh_str_cstr(ctx, col_text(ctx, st, g.nuser));
    }
    dooh__db_done(st);
    if (!found && rc != SQLITE_DONE) {
        dooh__db_fail(ctx, res, rc);
        return addr;
    }
    /* The same Argon2id work whether or not the e-mail is known. */
    if (!dooh__auth_hash_acquire()) {
        if (found) dooh_buf_free(&u.json);
        busy(ctx, res);
        return addr;
    }
    rc = dooh_argon2id_verify_phc(phc, pw.ptr, (size_t)pw.len);
    dooh__auth_hash_release();
    if (found && rc == 0) {
        answer_token(ctx, res, 200, &u);
        dooh_buf_free(&u.json);
        return addr;
    }
    if (found) dooh_buf_free(&u.json);
    if (rc == DOOH_CRYPTO_ENOMEM) {
        busy(ctx, res);
        return addr;
    }
    dooh_rl_take(DOOH_RL_SCOPE_LOGIN_ACCOUNT, digest, ACCOUNT_MAX, ACCOUNT_WINDOW_S, 1, now, acct);
    bad_credentials(ctx, res);
    return addr;
}

void dooh_auth_login(dooh_ctx *ctx, dooh_request *req, dooh_response *res) {
    dooh_rl_verdict addr, acct;
    if (!enabled_or_500(ctx, res)) return;
    if (!addr_limit(ctx, req, res, DOOH_RL_SCOPE_LOGIN_ADDR, &addr)) return;
    const dooh_rl_verdict *shown = login(ctx, req, res, &addr, &acct);
    if (shown) dooh_rl_headers(ctx, res, shown);
}

/* ---- tokens ---- */

/* The credentials of "Bearer <token>" (scheme case-insensitive, RFC 9110 §11.1). */
static bool bearer(dooh_str h, dooh_str *tok) {
    if (!h.ptr || h.len < 7) return false;
    static const char scheme[] = "bearer";
    for (int i = 0; i < 6; i++)
        if ((h.ptr[i] | 0x20) != scheme[i]) return false;
    if (h.ptr[6] != ' ') return false;
    int64_t a = 7, b = h.len;
    while (a < b && h.ptr[a] == ' ') a++;
    while (b > a && (h.ptr[b - 1] == ' ' || h.ptr[b - 1] == '\t')) b--;
    if (a == b) return false;
    *tok = (dooh_str){ h.ptr + a, b - a };
    return true;
}

bool dooh_auth_require(dooh_ctx *ctx, dooh_request *req, dooh_response *res,
                       dooh_auth_user *out) {
    dooh_str tok;
    if (!bearer(dooh_req_header(req, "Authorization"), &tok))
        return unauthorized(ctx, res, DOOH_LIT("a bearer token is required"));
    dooh_jwt_claims c;
    int64_t id;
    if (!atomic_load(&g_enabled) ||
        dooh_jwt_verify(ctx, tok.ptr, (size_t)tok.len, g.secret, g.secretlen,
                        (int64_t)time(NULL), LEEWAY_S, &c) != DOOH_JWT_OK ||
        !dooh_parse_i64(c.sub, &id))
        return unauthorized(ctx, res, DOOH_LIT("the token is invalid or has expired"));
    if (out) {
        out->id = id;
        out->email = c.email.ptr ? c.email : DOOH_LIT("");
        out->role = c.role.ptr ? c.role : DOOH_LIT("");
    }
    return true;
}

/* ---- me ---- */

void dooh_auth_me(dooh_ctx *ctx, dooh_request *req, dooh_response *res) {
    dooh_auth_user who;
    int rc;
    if (!dooh_auth_require(ctx, req, res, &who)) return;
    sqlite3_stmt *st = dooh__db_prepare(ctx, g.me_sql, true, &rc);
    if (st == NULL) {
        dooh__db_fail(ctx, res, rc);
        return;
    }
    dooh_dbv key = { DOOH_DBV_INT, who.id, 0.0, DOOH_NULL_STR };
    dooh__db_bind(st, 1, &key);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        dooh_res_json(res, 200);
        dooh_buf_lit(res->body, "{\"data\":");
        dooh__row_json(res->body, st, g.cfg->users, g.ucols, g.nout);
        dooh_buf_putc(res->body, '}');
        dooh__db_done(st);
        return;
    }
    dooh__db_done(st);
    if (rc == SQLITE_DONE) unauthorized(ctx, res, DOOH_LIT("the token's user no longer exists"));
    else dooh__db_fail(ctx, res, rc);
}
