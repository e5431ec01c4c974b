/* needs: arena.c buf.c rt.c str.c json.c validate.c http_parse.c router.c request.c response.c server.c ratelimit.c cors.c rules.c db.c dbquery.c crud.c */
/* links: sqlite3 */
/* demo_db.c — a hand-written stand-in for a compiled Doo program that uses the database
 * (the tables of db_fixture.h: users and tasks), for poking the data layer with curl while
 * the compiler side is built, and for the durability test (tests/e2e/test_durability.py).
 *
 *   app.crud("/users", User, db); app.crud("/tasks", Task, db);
 *   GET /tasks/urgent     typed SQL: High tasks not done, as {"data":[{"id":…,"Title":…}]}
 *   GET /stats            {"total":N,"done":M} via one query
 *
 * Build: gcc -std=c11 -D_GNU_SOURCE -O2 -Ilibdooh/include -Ilibdooh/tests libdooh/src/{...}.c \
 *        libdooh/tests/demo_db.c /lib/x86_64-linux-gnu/libsqlite3.so.0 -lpthread -o /tmp/demo_db
 * Run:   DATABASE_URL=sqlite:/tmp/demo.db PORT=8080 /tmp/demo_db
 */
#include <stdio.h>

#include "db_fixture.h"
#include "dooh/dooh.h"

#define CRUD(name, table)                                                                      \
    static void name##_list(dooh_ctx *c, dooh_request *q, dooh_response *r) { dooh_crud_list(c, q, r, &table); }     \
    static void name##_create(dooh_ctx *c, dooh_request *q, dooh_response *r) { dooh_crud_create(c, q, r, &table); } \
    static void name##_get(dooh_ctx *c, dooh_request *q, dooh_response *r) { dooh_crud_get(c, q, r, &table); }       \
    static void name##_put(dooh_ctx *c, dooh_request *q, dooh_response *r) { dooh_crud_replace(c, q, r, &table); }   \
    static void name##_patch(dooh_ctx *c, dooh_request *q, dooh_response *r) { dooh_crud_update(c, q, r, &table); }  \
    static void name##_delete(dooh_ctx *c, dooh_request *q, dooh_response *r) { dooh_crud_delete(c, q, r, &table); }

CRUD(users, fx_users)
CRUD(tasks, fx_tasks)

/* What generated code does with an Err(DatabaseError::…) from a handler. */
static void db_error(dooh_ctx *ctx, dooh_response *res, int err) {
    if (err == DOOH_DBERR_UNAVAILABLE) {
        dooh_res_problem(ctx, res, 503, DOOH_LIT("the database is busy; retry shortly"));
        dooh_db_retry_after(res);
    } else {
        dooh_res_problem(ctx, res, err == DOOH_DBERR_NOT_FOUND ? 404 : 500,
                         DOOH_LIT("internal server error"));
    }
}

static void h_urgent(dooh_ctx *ctx, dooh_request *req, dooh_response *res) {
    static const char sql[] = "SELECT id, title FROM tasks WHERE priority = $1 AND done = $2 ORDER BY id";
    dooh_dbv params[2] = { { DOOH_DBV_TEXT, 0, 0, DOOH_LIT("High") },
                           { DOOH_DBV_INT, 0, 0, DOOH_NULL_STR } };
    dooh_rows rows;
    (void)req;
    int err = dooh_db_query(ctx, sql, params, 2, &rows);
    if (err != DOOH_DBERR_NONE) {
        db_error(ctx, res, err);
        return;
    }
    int cid = dooh_rows_col(&rows, "id"), ctitle = dooh_rows_col(&rows, "Title");
    dooh_res_json(res, 200);
    dooh_buf_lit(res->body, "{\"data\":[");
    for (int64_t i = 0; i < rows.nrows; i++) {
        const dooh_dbv *row = rows.cells + i * rows.ncols;
        if (i) dooh_buf_putc(res->body, ',');
        dooh_buf_lit(res->body, "{\"id\":");
        dooh_json_i64(res->body, row[cid].i);
        dooh_buf_lit(res->body, ",\"Title\":");
        dooh_json_str(res->body, row[ctitle].s);
        dooh_buf_putc(res->body, '}');
    }
    dooh_buf_lit(res->body, "]}");
}

static void h_stats(dooh_ctx *ctx, dooh_request *req, dooh_response *res) {
    static const char sql[] = "SELECT COUNT(*) AS total, COALESCE(SUM(done), 0) AS done FROM tasks";
    dooh_rows rows;
    (void)req;
    int err = dooh_db_query(ctx, sql, NULL, 0, &rows);
    if (err != DOOH_DBERR_NONE) {
        db_error(ctx, res, err);
        return;
    }
    dooh_res_json(res, 200);
    dooh_buf_lit(res->body, "{\"total\":");
    dooh_json_i64(res->body, rows.cells[0].i);
    dooh_buf_lit(res->body, ",\"done\":");
    dooh_json_i64(res->body, rows.cells[1].i);
    dooh_buf_putc(res->body, '}');
}

static const dooh_route routes[] = {
    { DOOH_GET, "/users", users_list },          { DOOH_POST, "/users", users_create },
    { DOOH_GET, "/users/:id", users_get },       { DOOH_PUT, "/users/:id", users_put },
    { DOOH_PATCH, "/users/:id", users_patch },   { DOOH_DELETE, "/users/:id", users_delete },
    { DOOH_GET, "/tasks", tasks_list },          { DOOH_POST, "/tasks", tasks_create },
    { DOOH_GET, "/tasks/:id", tasks_get },       { DOOH_PUT, "/tasks/:id", tasks_put },
    { DOOH_PATCH, "/tasks/:id", tasks_patch },   { DOOH_DELETE, "/tasks/:id", tasks_delete },
    { DOOH_GET, "/tasks/urgent", h_urgent },     { DOOH_GET, "/stats", h_stats },
};

int main(void) {
    dooh_app app = {
        .addr = "127.0.0.1:8080",
        .routes = routes,
        .nroutes = (int)(sizeof routes / sizeof routes[0]),
        .build_info = "demo_db",
        .init = NULL,
    };
    if (!dooh_db_open(NULL, fx_tables, 2)) return 1;
    return dooh_app_run(&app);
}
