/* needs: arena.c buf.c rt.c str.c json.c validate.c http_parse.c router.c request.c response.c server.c ratelimit.c cors.c rules.c db.c dbquery.c crud.c auth.c jwt.c crypto_sha256.c crypto_blake2b.c crypto_argon2.c crypto_base64.c crypto_util.c */
/* links: sqlite3 */
/* demo_auth.c — a hand-written stand-in for a compiled Doo program that uses auth, rate limits
 * and CORS, for poking them with curl and for tests/e2e/test_auth.py. As Doo:
 *
 *   struct User { @primary @auto id: Int, @email @unique Email: Str, @hash @min(8) Password: Str,
 *                 @min(1) @max(100) Name: Str, @readOnly @default("user") Role: Str }
 *   struct Task { @primary @auto id: Int, @min(1) @max(200) Title: Str,
 *                 @default(false) Done: Bool, @owner @foreign(User) OwnerId: Int }
 *   app.auth("/auth/signup", "/auth/login", User, db)   // + GET /auth/me
 *   app.crud("/tasks", Task, db)
 *   app.get("/limited", RateLimit(3, 60), Limited)     // {"ok":true}
 *   app.get("/private", Jwt(), Private)                 // {"id":…,"email":…,"role":…}
 *   app.ratelimit({ max: $DEMO_RL_MAX (100), window: 60, trustProxy: $DEMO_TRUST_PROXY })
 *   app.cors({ origins: $DEMO_CORS_ORIGINS (comma-separated; unset: any),
 *              credentials: $DEMO_CORS_CREDENTIALS, maxAge: $DEMO_CORS_MAX_AGE })
 *
 * Build: see tests/e2e/test_auth.py (gcc, the sources above, the system libsqlite3).
 * Run:   JWT_SECRET=$(head -c 48 /dev/urandom | base64) DATABASE_URL=sqlite:/tmp/a.db \
 *        PORT=8080 ./demo_auth
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth_fixture.h"
#include "dooh/dooh.h"

#define CRUD(name, table)                                                                      \
    static void name##_list(dooh_ctx *c, dooh_request *q, dooh_response *r) { dooh_crud_list(c, q, r, &table); }     \
    static void name##_create(dooh_ctx *c, dooh_request *q, dooh_response *r) { dooh_crud_create(c, q, r, &table); } \
    static void name##_get(dooh_ctx *c, dooh_request *q, dooh_response *r) { dooh_crud_get(c, q, r, &table); }       \
    static void name##_put(dooh_ctx *c, dooh_request *q, dooh_response *r) { dooh_crud_replace(c, q, r, &table); }   \
    static void name##_patch(dooh_ctx *c, dooh_request *q, dooh_response *r) { dooh_crud_update(c, q, r, &table); }  \
    static void name##_delete(dooh_ctx *c, dooh_request *q, dooh_response *r) { dooh_crud_delete(c, q, r, &table); }

CRUD(tasks, ax_tasks)

static void h_limited(dooh_ctx *ctx, dooh_request *req, dooh_response *res) {
    (void)ctx;
    (void)req;
    dooh_res_set(res, 200, "application/json", DOOH_LIT("{\"ok\":true}"));
}

/* What `Jwt()` plus a `user: AuthUser` parameter compile to. */
static void h_private(dooh_ctx *ctx, dooh_request *req, dooh_response *res) {
    dooh_auth_user u;
    if (!dooh_auth_require(ctx, req, res, &u)) return;
    dooh_res_json(res, 200);
    dooh_buf_lit(res->body, "{\"id\":");
    dooh_json_i64(res->body, u.id);
    dooh_buf_lit(res->body, ",\"email\":");
    dooh_json_str(res->body, u.email);
    dooh_buf_lit(res->body, ",\"role\":");
    dooh_json_str(res->body, u.role);
    dooh_buf_putc(res->body, '}');
}

static const dooh_route routes[] = {
    { DOOH_POST, "/auth/signup", dooh_auth_signup }, { DOOH_POST, "/auth/login", dooh_auth_login },
    { DOOH_GET, "/auth/me", dooh_auth_me },
    { DOOH_GET, "/tasks", tasks_list },              { DOOH_POST, "/tasks", tasks_create },
    { DOOH_GET, "/tasks/:id", tasks_get },           { DOOH_PUT, "/tasks/:id", tasks_put },
    { DOOH_PATCH, "/tasks/:id", tasks_patch },       { DOOH_DELETE, "/tasks/:id", tasks_delete },
    { DOOH_GET, "/limited", h_limited },             { DOOH_GET, "/private", h_private },
};
enum { NROUTES = (int)(sizeof routes / sizeof routes[0]) };

static const dooh_ratelimit limited_route = { 3, 60, false };

static long env_long(const char *name, long def) {
    const char *s = getenv(name);
    return s && *s ? strtol(s, NULL, 10) : def;
}

int main(void) {
    static dooh_ratelimit app_limit;
    static const dooh_ratelimit *route_limits[NROUTES];
    static const char *origins[8];
    static char origin_text[512];
    static dooh_cors cors;

    bool trust = env_long("DEMO_TRUST_PROXY", 0) != 0;
    app_limit = (dooh_ratelimit){ env_long("DEMO_RL_MAX", 100), 60, trust };
    route_limits[9] = &limited_route;
    cors.credentials = env_long("DEMO_CORS_CREDENTIALS", 0) != 0;
    cors.max_age = env_long("DEMO_CORS_MAX_AGE", 0);
    const char *list = getenv("DEMO_CORS_ORIGINS");
    if (list && *list) {
        snprintf(origin_text, sizeof origin_text, "%s", list);
        for (char *tok = strtok(origin_text, ","); tok && cors.norigins < 8; tok = strtok(NULL, ","))
            origins[cors.norigins++] = tok;
        cors.origins = origins;
    }
    dooh_app app = {
        .addr = "127.0.0.1:8080",
        .routes = routes,
        .nroutes = NROUTES,
        .build_info = "demo_auth",
        .ratelimit = env_long("DEMO_RL_MAX", 100) > 0 ? &app_limit : NULL,
        .route_limits = route_limits,
        .cors = &cors,
    };
    if (!dooh_db_open(NULL, ax_tables, 2)) return 1;
    if (!dooh_auth_open(&ax_auth)) return 1;
    return dooh_app_run(&app);
}
