/* dooh/auth.h — accounts, tokens, rate limits and CORS for a compiled program.
 *
 * `app.auth(signup, login, User, db)` gives the program a dooh_auth_config naming the user
 * table and its @email / @hash (and optional role) columns. At start-up dooh_auth_open() reads
 * JWT_SECRET (at least 32 bytes; a program that uses auth refuses to start without it) and
 * JWT_EXPIRY (seconds, default 86400). The three handlers below serve signup, login and
 * `<prefix>/me`; `Jwt()` routes call dooh_auth_require() before their handler. Once auth is
 * configured, CRUD writes require a token, and tables with a DOOH_COL_OWNER column are
 * restricted to the caller's rows (libdooh's CRUD code asks dooh_auth_enabled()).
 *
 * Passwords: Argon2id (m = 19 MiB, t = 2, p = 1) as PHC strings; at most 2 × cores hashes run
 * at once, others wait briefly and then get 503 + Retry-After. Unknown e-mail and wrong
 * password give identical 401 bodies and take the same time (a dummy hash is verified).
 * Tokens: HS256 JWTs with sub, email, role, iat, exp, iss "doo" (dooh/jwt.h), 30 s leeway.
 *
 * Rate limits (`app.ratelimit`, per-route `RateLimit(n, s)`) and CORS (`app.cors`) are set on
 * dooh_app (dooh/http.h) and applied by the server to every request of the routes they cover.
 */
#ifndef DOOH_AUTH_H
#define DOOH_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "dooh/db.h"
#include "dooh/http.h"

typedef struct dooh_auth_config {
    const dooh_table *users;  /* the user table (also used by app.crud if the program does) */
    int email_col;            /* index of the @email column in users->cols */
    int hash_col;             /* index of the @hash column */
    int role_col;             /* index of a `@role`/`Role` Str or enum column, or -1 */
    const char *signup_path;  /* "/auth/signup" */
    const char *login_path;   /* "/auth/login" */
    const char *me_path;      /* "/auth/me" (common prefix of the two + "/me") */
} dooh_auth_config;

/* The caller of a request with a valid token. */
typedef struct dooh_auth_user {
    int64_t id;
    dooh_str email;
    dooh_str role;            /* empty when the user struct has no role */
} dooh_auth_user;

/* Start-up, from main after dooh_db_open: check JWT_SECRET / JWT_EXPIRY and remember cfg.
 * On a bad or missing secret prints one line to stderr naming JWT_SECRET and returns false. */
bool dooh_auth_open(const dooh_auth_config *cfg);
/* True once dooh_auth_open succeeded. */
bool dooh_auth_enabled(void);

/* POST signup: the user struct's fields as JSON (validated like CRUD; the @hash field is the
 * password, 1..1024 bytes, hashed before storing) → 201 {"data":{"token":…, <user fields
 * without @hash/@writeOnly/@internal>}}; duplicate e-mail 409. */
void dooh_auth_signup(dooh_ctx *ctx, dooh_request *req, dooh_response *res);
/* POST login {"<email field>":…, "<hash field>":…} → 200 same shape, or 401. */
void dooh_auth_login(dooh_ctx *ctx, dooh_request *req, dooh_response *res);
/* GET me with a token → 200 {"data":{user}}, or 401. */
void dooh_auth_me(dooh_ctx *ctx, dooh_request *req, dooh_response *res);

/* `Jwt()`: verify `Authorization: Bearer <token>`. On success fills *out (may be NULL) and
 * returns true; otherwise answers 401 problem + `WWW-Authenticate: Bearer` and returns false. */
bool dooh_auth_require(dooh_ctx *ctx, dooh_request *req, dooh_response *res,
                       dooh_auth_user *out);

/* ---- rate limiting and CORS (set by the compiler on dooh_app and dooh_route) ---- */

struct dooh_ratelimit {
    int64_t max;              /* requests per window per client address */
    int64_t window_s;         /* seconds */
    bool trust_proxy;         /* take the client address from X-Forwarded-For */
};

struct dooh_cors {
    const char *const *origins; /* allowed origins; NULL/0 means any origin ("*") */
    int norigins;
    bool credentials;         /* Access-Control-Allow-Credentials: true (never with "*") */
    int64_t max_age;          /* seconds for preflight caching; 0 omits the header */
};

#endif
