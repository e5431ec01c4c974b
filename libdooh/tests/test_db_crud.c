/* needs: arena.c buf.c rt.c str.c json.c validate.c request.c response.c rules.c db.c dbquery.c crud.c */
/* links: sqlite3 */
/* test_db_crud.c — the data layer against a real SQLite file: opening (DATABASE_URL, schema
 * creation, mismatch detection), the six CRUD endpoints with their exact bodies, statuses and
 * headers, constraint and busy/full failures, and typed SQL for handlers. Requests are built
 * in memory and handed to the dooh_crud_* functions as the server would. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "db_fixture.h"
#include "dooh/json.h"
#include "../src/db_internal.h"
#include "../src/group.h"

static char dir[64];
static char dbfile[128];
static dooh_ctx ctx;
static dooh_buf body;
static dooh_response res;
static dooh_request req;
static dooh_header hdrs[4];

typedef void (*crud_fn)(dooh_ctx *, dooh_request *, dooh_response *, const dooh_table *);

/* Run one CRUD handler like the server does; the response body as a C string. */
static const char *call(crud_fn fn, const dooh_table *t, int method, const char *id,
                        const char *query, const char *json, const char *ctype, const char *prefer) {
    dooh_ctx_reset(&ctx);
    dooh_buf_clear(&body);
    memset(&req, 0, sizeof req);
    memset(&res, 0, sizeof res);
    res.status = 200;
    res.body = &body;
    req.method = method;
    req.path = dooh_str_from_cstr(t->path);
    req.query = dooh_str_from_cstr(query ? query : "");
    req.request_id = DOOH_LIT("test-rid");
    req.headers = hdrs;
    req.nheaders = 0;
    if (ctype) hdrs[req.nheaders++] = (dooh_header){ DOOH_LIT("Content-Type"),
                                                      dooh_str_from_cstr(ctype) };
    if (prefer) hdrs[req.nheaders++] = (dooh_header){ DOOH_LIT("Prefer"),
                                                       dooh_str_from_cstr(prefer) };
    if (json) req.body = dooh_str_from_cstr(json);
    if (id) {
        req.params[0] = dooh_str_from_cstr(id);
        req.nparams = 1;
    }
    ctx.req = &req;
    fn(&ctx, &req, &res, t);
    dooh_buf_putc(&body, '\0');
    body.len--;
    return body.p ? body.p : "";
}

static const char *post(const dooh_table *t, const char *json) {
    return call(dooh_crud_create, t, DOOH_POST, NULL, NULL, json, "application/json", NULL);
}

static const char *header(const char *name) {
    for (int i = 0; i < res.nextra; i++)
        if (strcmp(res.extra[i].name.ptr, name) == 0)
            return dooh_str_cstr(&ctx, res.extra[i].value);
    return NULL;
}

#define CHECK_BODY(want) do { const char *_b = body.p ? body.p : ""; if (strcmp(_b, (want)) != 0) { \
    fprintf(stderr, "%s:%d: body\n  got  %s\n  want %s\n", __FILE__, __LINE__, _b, (want)); \
    check_failed_now = 1; } } while (0)

/* Capture what `fn` writes to stderr. */
static char captured[2048];
static void capture_stderr(bool (*fn)(void), bool *result) {
    char path[160];
    snprintf(path, sizeof path, "%s/stderr.txt", dir);
    fflush(stderr);
    int saved = dup(2), fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 2);
    *result = fn();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    lseek(fd, 0, SEEK_SET);
    ssize_t n = read(fd, captured, sizeof captured - 1);
    captured[n > 0 ? n : 0] = '\0';
    close(fd);
}

static bool open_fixture(void) {
    return dooh_db_open(NULL, fx_tables, 2);
}

static void open_db(void) {
    setenv("DATABASE_URL", "", 1);
    snprintf(dbfile, sizeof dbfile, "sqlite:%s/app.db", dir);
    setenv("DATABASE_URL", dbfile, 1);
    CHECK(open_fixture());
}

/* ---- opening ---- */

static void schema_sql_should_carry_every_constraint(void) {
    dooh_ctx_reset(&ctx);
    const char *sql = dooh__schema_sql(&ctx, &fx_tasks);
    CHECK(strcmp(sql, "CREATE TABLE IF NOT EXISTS \"tasks\" (\"id\" INTEGER PRIMARY KEY "
                 "AUTOINCREMENT, \"title\" TEXT NOT NULL UNIQUE, \"notes\" TEXT, \"priority\" TEXT "
                 "NOT NULL DEFAULT 'Medium' CHECK (\"priority\" IN ('Low', 'Medium', 'High')), "
                 "\"done\" INTEGER NOT NULL DEFAULT 0 CHECK (\"done\" IN (0, 1)), \"owner_id\" "
                 "INTEGER REFERENCES \"users\"(\"id\"), \"estimate\" REAL)") == 0);
}

static void open_should_create_tables_and_accept_them_again(void) {
    open_db();
    dooh__db_thread_close();
    CHECK(open_fixture()); /* same structs, existing tables */
    int64_t n = -1;
    dooh_rows rows;
    dooh_ctx_reset(&ctx);
    CHECK_EQ_INT(dooh_db_query(&ctx, "PRAGMA journal_mode", NULL, 0, &rows), DOOH_DBERR_NONE);
    CHECK_EQ_MEM(rows.cells[0].s.ptr, rows.cells[0].s.len, "wal");
    CHECK_EQ_INT(dooh_db_query(&ctx, "PRAGMA foreign_keys", NULL, 0, &rows), DOOH_DBERR_NONE);
    CHECK_EQ_INT(rows.cells[0].i, 1);
    CHECK_EQ_INT(dooh_db_query(&ctx, "PRAGMA synchronous", NULL, 0, &rows), DOOH_DBERR_NONE);
    CHECK_EQ_INT(rows.cells[0].i, 1); /* NORMAL, the default (DOO_DB_SYNC=full for 2) */
    CHECK_EQ_INT(dooh_db_exec(&ctx, "DELETE FROM tasks", NULL, 0, &n), DOOH_DBERR_NONE);
}

/* A table whose struct changed: each kind of difference is named. */
static const dooh_table *mismatch[2];
static bool open_mismatch(void) {
    return dooh_db_open(NULL, mismatch, 2);
}

static void changed_struct_should_stop_startup_naming_the_difference(void) {
    static dooh_column cols[8];
    static dooh_table t;
    bool ok = true;
    memcpy(cols, fx_task_cols, sizeof fx_task_cols);
    /* A field the table does not have. */
    t = fx_tasks;
    t.cols = cols;
    t.ncols = 8;
    cols[7] = (dooh_column){ "Archived", "archived", DOOH_COL_BOOL, DOOH_COL_OPTIONAL, NULL, 0,
                             { 0, 0, 0, NULL, NULL }, NULL, NULL };
    mismatch[0] = &fx_users;
    mismatch[1] = &t;
    capture_stderr(open_mismatch, &ok);
    CHECK(!ok);
    CHECK(strcmp(captured, "doo: database: table tasks has no column archived (struct Task has "
                 "field Archived); migrations are not supported yet\n") == 0);
    /* A column the struct lost. */
    t.ncols = 6;
    capture_stderr(open_mismatch, &ok);
    CHECK(!ok);
    CHECK(strcmp(captured, "doo: database: table tasks has a column estimate that struct Task "
                 "does not have; migrations are not supported yet\n") == 0);
    /* A retyped column. */
    t.ncols = 7;
    cols[6].type = DOOH_COL_TEXT;
    capture_stderr(open_mismatch, &ok);
    CHECK(strcmp(captured, "doo: database: column tasks.estimate is REAL but struct Task field "
                 "Estimate needs TEXT; migrations are not supported yet\n") == 0);
    /* Nullability, both ways. */
    cols[6].type = DOOH_COL_FLOAT;
    cols[2].flags = 0;
    capture_stderr(open_mismatch, &ok);
    CHECK(strcmp(captured, "doo: database: column tasks.notes allows NULL but struct Task field "
                 "Notes is required; migrations are not supported yet\n") == 0);
    cols[2].flags = DOOH_COL_OPTIONAL;
    cols[1].flags |= DOOH_COL_OPTIONAL;
    capture_stderr(open_mismatch, &ok);
    CHECK(strcmp(captured, "doo: database: column tasks.title is NOT NULL but struct Task field "
                 "Title is optional; migrations are not supported yet\n") == 0);
    CHECK(!ok);
    CHECK(open_fixture()); /* and the right structs still open */
}

static void database_url_should_be_checked(void) {
    bool ok = true;
    setenv("DATABASE_URL", "postgres://app:hunter2@db.internal/app", 1);
    capture_stderr(open_fixture, &ok);
    CHECK(!ok);
    CHECK(strcmp(captured, "doo: database: PostgreSQL is not supported yet "
                 "(DATABASE_URL=postgres://…); use sqlite:path\n") == 0);
    CHECK(strstr(captured, "hunter2") == NULL);
    setenv("DATABASE_URL", "mysql://x", 1);
    capture_stderr(open_fixture, &ok);
    CHECK(!ok);
    CHECK(strstr(captured, "DATABASE_URL must be sqlite:path") != NULL);
    setenv("DATABASE_URL", "sqlite:/nonexistent-dir/x/app.db", 1);
    capture_stderr(open_fixture, &ok);
    CHECK(!ok);
    CHECK(strncmp(captured, "doo: database: cannot open /nonexistent-dir/x/app.db: ", 54) == 0);
    setenv("DATABASE_URL", "sqlite::memory:", 1);
    capture_stderr(open_fixture, &ok);
    CHECK(!ok);
    setenv("DOO_DB_SYNC", "sometimes", 1);
    capture_stderr(open_fixture, &ok);
    CHECK(!ok);
    CHECK(strcmp(captured, "doo: database: DOO_DB_SYNC must be full or normal\n") == 0);
    unsetenv("DOO_DB_SYNC");
    open_db();
}

/* ---- CRUD ---- */

static void create_should_fill_defaults_and_answer_201_with_location(void) {
    post(&fx_tasks, "{\"Title\":\"Write report\"}");
    CHECK_EQ_INT(res.status, 201);
    CHECK_BODY("{\"data\":{\"id\":1,\"Title\":\"Write report\",\"Notes\":null,\"Priority\":"
               "\"Medium\",\"Done\":false,\"OwnerId\":null,\"Estimate\":null}}");
    CHECK(header("Location") && strcmp(header("Location"), "/tasks/1") == 0);
    CHECK(strcmp(res.content_type, "application/json") == 0);
    /* @auto fields are ignored; every other field is stored as sent. */
    post(&fx_users, "{\"Email\":\"ann@example.com\",\"Name\":\"Ann\",\"Secret\":\"s3cret\"}");
    CHECK_EQ_INT(res.status, 201);
    CHECK_BODY("{\"data\":{\"id\":1,\"Email\":\"ann@example.com\",\"Name\":\"Ann\"}}");
    post(&fx_tasks, "{\"id\":99,\"Title\":\"Ship\",\"Notes\":\"n\",\"Priority\":\"High\","
                    "\"Done\":true,\"OwnerId\":1,\"Estimate\":2.5}");
    CHECK_EQ_INT(res.status, 201);
    CHECK_BODY("{\"data\":{\"id\":2,\"Title\":\"Ship\",\"Notes\":\"n\",\"Priority\":\"High\","
               "\"Done\":true,\"OwnerId\":1,\"Estimate\":2.5}}");
    CHECK(strcmp(header("Location"), "/tasks/2") == 0);
}

static void invalid_bodies_should_list_every_failure(void) {
    post(&fx_tasks, "{\"Title\":\"\",\"Priority\":\"Urgent\",\"Done\":\"yes\",\"Estimate\":-1,"
                    "\"Colour\":\"red\"}");
    CHECK_EQ_INT(res.status, 422);
    CHECK_BODY("{\"type\":\"about:blank\",\"title\":\"Unprocessable Content\",\"status\":422,"
               "\"detail\":\"5 fields failed validation\",\"instance\":\"/tasks\",\"errors\":["
               "{\"field\":\"Colour\",\"code\":\"unknown\",\"detail\":\"is not a field of Task\"},"
               "{\"field\":\"Title\",\"code\":\"min\",\"detail\":\"must be at least 1 character\",\"min\":1},"
               "{\"field\":\"Priority\",\"code\":\"enum\",\"detail\":\"must be one of: Low, Medium, High\"},"
               "{\"field\":\"Done\",\"code\":\"type\",\"detail\":\"must be true or false\"},"
               "{\"field\":\"Estimate\",\"code\":\"min\",\"detail\":\"must be at least 0\",\"min\":0}]}");
    post(&fx_tasks, "{\"Notes\":null,\"OwnerId\":1.5}");
    CHECK_EQ_INT(res.status, 422);
    CHECK(strstr(body.p, "{\"field\":\"Title\",\"code\":\"required\",\"detail\":\"is required\"}"));
    CHECK(strstr(body.p, "{\"field\":\"OwnerId\",\"code\":\"type\",\"detail\":\"must be an integer\"}"));
    post(&fx_tasks, "{\"Title\":\"x\",\"OwnerId\":99999999999999999999}");
    CHECK(strstr(body.p, "\"code\":\"range\",\"detail\":\"is out of range for a 64-bit integer\""));
    post(&fx_users, "{\"Email\":\"not-an-email\",\"Name\":\"\"}");
    CHECK_EQ_INT(res.status, 422);
    CHECK(strstr(body.p, "\"detail\":\"2 fields failed validation\""));
}

static void wrong_shapes_should_be_400_or_415(void) {
    call(dooh_crud_create, &fx_tasks, DOOH_POST, NULL, NULL, "{\"Title\":\"x\"}", "text/plain", NULL);
    CHECK_EQ_INT(res.status, 415);
    call(dooh_crud_create, &fx_tasks, DOOH_POST, NULL, NULL, "{\"Title\":\"x\"}", NULL, NULL);
    CHECK_EQ_INT(res.status, 415);
    post(&fx_tasks, "{\"Title\":");
    CHECK_EQ_INT(res.status, 400);
    CHECK(strstr(body.p, "\"detail\":\"malformed JSON: "));
    post(&fx_tasks, "[{\"Title\":\"x\"}]");
    CHECK_EQ_INT(res.status, 400);
    CHECK(strstr(body.p, "\"detail\":\"the body must be a JSON object\""));
    post(&fx_tasks, "{\"Title\":\"a\",\"Title\":\"b\"}");
    CHECK_EQ_INT(res.status, 400);
    char deep[200];
    memset(deep, '[', 70);
    memset(deep + 70, ']', 70);
    deep[140] = '\0';
    char json[260];
    snprintf(json, sizeof json, "{\"Title\":%s}", deep);
    post(&fx_tasks, json);
    CHECK_EQ_INT(res.status, 400);
}

static void conflicts_should_be_409_naming_the_field(void) {
    post(&fx_tasks, "{\"Title\":\"Write report\"}");
    CHECK_EQ_INT(res.status, 409);
    CHECK_BODY("{\"type\":\"about:blank\",\"title\":\"Conflict\",\"status\":409,\"detail\":"
               "\"Title must be unique: another Task has this value\",\"instance\":\"/tasks\","
               "\"errors\":[{\"field\":\"Title\",\"code\":\"unique\",\"detail\":\"is already taken\"}]}");
    post(&fx_tasks, "{\"Title\":\"Orphan\",\"OwnerId\":42}");
    CHECK_EQ_INT(res.status, 409);
    CHECK_BODY("{\"type\":\"about:blank\",\"title\":\"Conflict\",\"status\":409,\"detail\":"
               "\"OwnerId refers to a User that does not exist\",\"instance\":\"/tasks\","
               "\"errors\":[{\"field\":\"OwnerId\",\"code\":\"foreign\",\"detail\":"
               "\"refers to a User that does not exist\"}]}");
    CHECK(strstr(body.p, "SQL") == NULL && strstr(body.p, "constraint") == NULL);
    call(dooh_crud_delete, &fx_users, DOOH_DELETE, "1", NULL, NULL, NULL, NULL);
    CHECK_EQ_INT(res.status, 409);
    CHECK(strstr(body.p, "\"detail\":\"this User is still referenced by Task.OwnerId\""));
    post(&fx_users, "{\"Email\":\"ann@example.com\",\"Name\":\"Ann 2\"}");
    CHECK_EQ_INT(res.status, 409);
    CHECK(strstr(body.p, "\"field\":\"Email\""));
}

static void get_should_answer_200_404_or_400(void) {
    call(dooh_crud_get, &fx_tasks, DOOH_GET, "2", NULL, NULL, NULL, NULL);
    CHECK_EQ_INT(res.status, 200);
    CHECK_BODY("{\"data\":{\"id\":2,\"Title\":\"Ship\",\"Notes\":\"n\",\"Priority\":\"High\","
               "\"Done\":true,\"OwnerId\":1,\"Estimate\":2.5}}");
    call(dooh_crud_get, &fx_tasks, DOOH_GET, "777", NULL, NULL, NULL, NULL);
    CHECK_EQ_INT(res.status, 404);
    static const char *const bad[] = { "x", "1.0", "", "99999999999999999999", "+1", "1 " };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        call(dooh_crud_get, &fx_tasks, DOOH_GET, bad[i], NULL, NULL, NULL, NULL);
        CHECK_EQ_INT(res.status, 400);
    }
    CHECK(strstr(body.p, "\"detail\":\"id must be an integer\""));
    /* Hidden fields never come back. */
    call(dooh_crud_get, &fx_users, DOOH_GET, "1", NULL, NULL, NULL, NULL);
    CHECK_BODY("{\"data\":{\"id\":1,\"Email\":\"ann@example.com\",\"Name\":\"Ann\"}}");
}

static void patch_should_change_only_what_is_sent(void) {
    call(dooh_crud_update, &fx_tasks, DOOH_PATCH, "2", NULL, "{\"Done\":false,\"Notes\":null}",
         "application/json", NULL);
    CHECK_EQ_INT(res.status, 200);
    CHECK_BODY("{\"data\":{\"id\":2,\"Title\":\"Ship\",\"Notes\":null,\"Priority\":\"High\","
               "\"Done\":false,\"OwnerId\":1,\"Estimate\":2.5}}");
    call(dooh_crud_update, &fx_tasks, DOOH_PATCH, "2", NULL, "{}", "application/json", NULL);
    CHECK_EQ_INT(res.status, 200);
    call(dooh_crud_update, &fx_tasks, DOOH_PATCH, "2", NULL, "{\"Title\":null,\"Priority\":\"x\"}",
         "application/json", NULL);
    CHECK_EQ_INT(res.status, 422);
    CHECK(strstr(body.p, "{\"field\":\"Title\",\"code\":\"type\",\"detail\":\"must not be null\"}"));
    call(dooh_crud_update, &fx_tasks, DOOH_PATCH, "777", NULL, "{\"Done\":true}", "application/json", NULL);
    CHECK_EQ_INT(res.status, 404);
    call(dooh_crud_update, &fx_tasks, DOOH_PATCH, "777", NULL, "{}", "application/json", NULL);
    CHECK_EQ_INT(res.status, 404);
    call(dooh_crud_update, &fx_tasks, DOOH_PATCH, "2", NULL, "{\"Title\":\"Write report\"}",
         "application/json", NULL);
    CHECK_EQ_INT(res.status, 409);
}

static void put_should_replace_the_whole_row(void) {
    call(dooh_crud_replace, &fx_tasks, DOOH_PUT, "2", NULL, "{\"Notes\":\"only notes\"}",
         "application/json", NULL);
    CHECK_EQ_INT(res.status, 422);
    CHECK(strstr(body.p, "{\"field\":\"Title\",\"code\":\"required\",\"detail\":\"is required\"}"));
    call(dooh_crud_replace, &fx_tasks, DOOH_PUT, "2", NULL, "{\"Title\":\"Ship it\"}",
         "application/json", NULL);
    CHECK_EQ_INT(res.status, 200);
    CHECK_BODY("{\"data\":{\"id\":2,\"Title\":\"Ship it\",\"Notes\":null,\"Priority\":\"Medium\","
               "\"Done\":false,\"OwnerId\":null,\"Estimate\":null}}");
    call(dooh_crud_replace, &fx_tasks, DOOH_PUT, "777", NULL, "{\"Title\":\"Nope\"}",
         "application/json", NULL);
    CHECK_EQ_INT(res.status, 404);
    call(dooh_crud_replace, &fx_tasks, DOOH_PUT, "x", NULL, "{\"Title\":\"Nope\"}",
         "application/json", NULL);
    CHECK_EQ_INT(res.status, 400);
}

static void values_should_round_trip_verbatim(void) {
    const char *injection = "{\"Title\":\"'); DROP TABLE tasks;--\",\"Notes\":\"a\\u0000b\\\"\\\\\"}";
    post(&fx_tasks, injection);
    CHECK_EQ_INT(res.status, 201);
    CHECK(strstr(body.p, "\"Title\":\"'); DROP TABLE tasks;--\",\"Notes\":\"a\\u0000b\\\"\\\\\""));
    post(&fx_tasks, "{\"Title\":\"100% done\"}");
    post(&fx_tasks, "{\"Title\":\"1000 done\"}");
    post(&fx_tasks, "{\"Title\":\"snake_case\"}");
    post(&fx_tasks, "{\"Title\":\"snakeXcase\"}");
    call(dooh_crud_list, &fx_tasks, DOOH_GET, NULL, "Title=ilike.*0%25*&select=Title", NULL, NULL, NULL);
    CHECK_BODY("{\"data\":[{\"Title\":\"100% done\"}]}");
    call(dooh_crud_list, &fx_tasks, DOOH_GET, NULL, "Title=like.snake_*&select=Title", NULL, NULL, NULL);
    CHECK_BODY("{\"data\":[{\"Title\":\"snake_case\"}]}");
    call(dooh_crud_list, &fx_tasks, DOOH_GET, NULL, "Title=ilike.SNAKE*&select=Title", NULL, NULL, NULL);
    CHECK_BODY("{\"data\":[{\"Title\":\"snake_case\"},{\"Title\":\"snakeXcase\"}]}");
    call(dooh_crud_list, &fx_tasks, DOOH_GET, NULL, "Title=like.SNAKE*&select=Title", NULL, NULL, NULL);
    CHECK_BODY("{\"data\":[]}");
}

static void list_should_filter_order_page_and_count(void) {
    call(dooh_crud_list, &fx_tasks, DOOH_GET, NULL, "", NULL, NULL, NULL);
    CHECK_EQ_INT(res.status, 200);
    CHECK(strcmp(header("Content-Range"), "0-6/*") == 0);
    call(dooh_crud_list, &fx_tasks, DOOH_GET, NULL, "select=id&limit=2&offset=1", NULL, NULL,
         "count=exact");
    CHECK_BODY("{\"data\":[{\"id\":2},{\"id\":3}]}");
    CHECK(strcmp(header("Content-Range"), "1-2/7") == 0);
    call(dooh_crud_list, &fx_tasks, DOOH_GET, NULL, "id=gt.1000", NULL, NULL, "count=exact");
    CHECK_BODY("{\"data\":[]}");
    CHECK(strcmp(header("Content-Range"), "*/0") == 0);
    call(dooh_crud_list, &fx_tasks, DOOH_GET, NULL, "id=gt.1000", NULL, NULL, NULL);
    CHECK(strcmp(header("Content-Range"), "*/*") == 0);
    /* Enums sort by declaration order; filters combine. */
    call(dooh_crud_update, &fx_tasks, DOOH_PATCH, "5", NULL, "{\"Priority\":\"Low\"}",
         "application/json", NULL);
    call(dooh_crud_update, &fx_tasks, DOOH_PATCH, "4", NULL, "{\"Priority\":\"High\",\"Done\":true}",
         "application/json", NULL);
    call(dooh_crud_list, &fx_tasks, DOOH_GET, NULL, "select=id,Priority&order=Priority.desc,id.asc&limit=3",
         NULL, NULL, NULL);
    CHECK_BODY("{\"data\":[{\"id\":4,\"Priority\":\"High\"},{\"id\":1,\"Priority\":\"Medium\"},"
               "{\"id\":2,\"Priority\":\"Medium\"}]}");
    call(dooh_crud_list, &fx_tasks, DOOH_GET, NULL,
         "select=id&Done=eq.false&Priority=in.(High,Low)&Title=ilike.*DONE*", NULL, NULL, NULL);
    CHECK_BODY("{\"data\":[{\"id\":5}]}");
    call(dooh_crud_list, &fx_tasks, DOOH_GET, NULL, "select=id&Priority=lt.Medium", NULL, NULL, NULL);
    CHECK_BODY("{\"data\":[{\"id\":5}]}");
    call(dooh_crud_list, &fx_tasks, DOOH_GET, NULL, "select=id&Priority=not.gte.Medium&Done=is.false",
         NULL, NULL, NULL);
    CHECK_BODY("{\"data\":[{\"id\":5}]}");
    call(dooh_crud_list, &fx_tasks, DOOH_GET, NULL, "Nope=eq.1", NULL, NULL, NULL);
    CHECK_EQ_INT(res.status, 400);
    CHECK(strstr(body.p, "\"detail\":\"unknown column Nope in filter\""));
    call(dooh_crud_list, &fx_tasks, DOOH_GET, NULL, "limit=abc", NULL, NULL, NULL);
    CHECK_EQ_INT(res.status, 400);
}

static void delete_should_answer_204_then_404(void) {
    call(dooh_crud_delete, &fx_tasks, DOOH_DELETE, "7", NULL, NULL, NULL, NULL);
    CHECK_EQ_INT(res.status, 204);
    CHECK(res.content_type == NULL);
    call(dooh_crud_delete, &fx_tasks, DOOH_DELETE, "7", NULL, NULL, NULL, NULL);
    CHECK_EQ_INT(res.status, 404);
    call(dooh_crud_delete, &fx_tasks, DOOH_DELETE, "abc", NULL, NULL, NULL, NULL);
    CHECK_EQ_INT(res.status, 400);
}

/* ---- failures of the database itself ---- */

static void locked_database_should_be_503_and_reads_keep_working(void) {
    sqlite3 *other = NULL;
    char path[160];
    snprintf(path, sizeof path, "%s/app.db", dir);
    setenv("DOO_DB_BUSY_TIMEOUT_MS", "20", 1);
    CHECK(open_fixture());
    CHECK_EQ_INT(sqlite3_open_v2(path, &other, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    post(&fx_tasks, "{\"Title\":\"blocked\"}");
    CHECK_EQ_INT(res.status, 503);
    CHECK(header("Retry-After") && strcmp(header("Retry-After"), "1") == 0);
    CHECK(strstr(body.p, "\"detail\":\"the database is busy; retry shortly\""));
    int64_t n;
    dooh_ctx_reset(&ctx);
    CHECK_EQ_INT(dooh_db_exec(&ctx, "UPDATE tasks SET done = 1", NULL, 0, &n), DOOH_DBERR_UNAVAILABLE);
    call(dooh_crud_get, &fx_tasks, DOOH_GET, "1", NULL, NULL, NULL, NULL);
    CHECK_EQ_INT(res.status, 200);
    call(dooh_crud_list, &fx_tasks, DOOH_GET, NULL, "", NULL, NULL, "count=exact");
    CHECK_EQ_INT(res.status, 200);
    CHECK_EQ_INT(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close_v2(other);
    unsetenv("DOO_DB_BUSY_TIMEOUT_MS");
    CHECK(open_fixture());
}

static void full_database_should_be_507(void) {
    dooh_rows rows;
    int64_t n;
    dooh_ctx_reset(&ctx);
    CHECK_EQ_INT(dooh_db_query(&ctx, "PRAGMA page_count", NULL, 0, &rows), DOOH_DBERR_NONE);
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA max_page_count = %lld", (long long)rows.cells[0].i);
    const char *sql = dooh_str_cstr(&ctx, dooh_str_from_cstr(pragma));
    CHECK_EQ_INT(dooh__db_prepare(&ctx, sql, false, &(int){ 0 }) != NULL, 1);
    CHECK_EQ_INT(dooh_db_exec(&ctx, sql, NULL, 0, &n), DOOH_DBERR_NONE);
    char big[4200];
    snprintf(big, sizeof big, "{\"Title\":\"big\",\"Notes\":\"%04000d\"}", 7);
    for (int i = 0; i < 3 && res.status != 507; i++) post(&fx_tasks, big);
    CHECK_EQ_INT(res.status, 507);
    CHECK(header("Retry-After") != NULL);
    CHECK(open_fixture()); /* a fresh connection, without the page limit */
}

/* ---- typed SQL ---- */

static void query_should_bind_dollar_params_and_copy_rows(void) {
    dooh_rows rows;
    dooh_dbv p[2] = { { DOOH_DBV_TEXT, 0, 0, DOOH_LIT("Medium") }, { DOOH_DBV_INT, 1, 0, DOOH_NULL_STR } };
    dooh_ctx_reset(&ctx);
    CHECK_EQ_INT(dooh_db_query(&ctx, "SELECT id, title AS Title, owner_id, estimate, notes FROM tasks "
                               "WHERE priority = $1 AND id > $2 AND id <> $2 ORDER BY id", p, 2, &rows),
                 DOOH_DBERR_NONE);
    CHECK_EQ_INT(rows.ncols, 5);
    CHECK(rows.nrows >= 2);
    CHECK_EQ_INT(rows.cells[0].type, DOOH_DBV_INT);
    CHECK_EQ_INT(rows.cells[0].i, 2);
    CHECK_EQ_INT(rows.cells[1].type, DOOH_DBV_TEXT);
    CHECK_EQ_INT(rows.cells[4].type, DOOH_DBV_NULL);
    CHECK_EQ_INT(dooh_rows_col(&rows, "Title"), 1);
    CHECK_EQ_INT(dooh_rows_col(&rows, "OwnerId"), 2);  /* snake_case */
    CHECK_EQ_INT(dooh_rows_col(&rows, "ID"), 0);       /* case-insensitive */
    CHECK_EQ_INT(dooh_rows_col(&rows, "Missing"), -1);
    CHECK_EQ_INT(dooh_db_query(&ctx, "SELECT count(*) FROM tasks WHERE title LIKE ?", (dooh_dbv[]){
        { DOOH_DBV_TEXT, 0, 0, DOOH_LIT("%done%") } }, 1, &rows), DOOH_DBERR_NONE);
    CHECK_EQ_INT(rows.cells[0].i, 2);
    /* Many rows grow the copy. */
    CHECK_EQ_INT(dooh_db_query(&ctx, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                               "WHERE x < 1000) SELECT x, 'row ' || x FROM c", NULL, 0, &rows),
                 DOOH_DBERR_NONE);
    CHECK_EQ_INT(rows.nrows, 1000);
    CHECK_EQ_INT(rows.cells[2 * 999].i, 1000);
    CHECK_EQ_MEM(rows.cells[2 * 999 + 1].s.ptr, rows.cells[2 * 999 + 1].s.len, "row 1000");
}

static void exec_should_count_changes_and_map_errors(void) {
    int64_t n = -1;
    dooh_ctx_reset(&ctx);
    CHECK_EQ_INT(dooh_db_exec(&ctx, "UPDATE tasks SET done = 1 WHERE priority = $1",
                              (dooh_dbv[]){ { DOOH_DBV_TEXT, 0, 0, DOOH_LIT("Medium") } }, 1, &n),
                 DOOH_DBERR_NONE);
    CHECK(n >= 2);
    CHECK_EQ_INT(dooh_db_exec(&ctx, "INSERT INTO tasks (title) VALUES ($1)",
                              (dooh_dbv[]){ { DOOH_DBV_TEXT, 0, 0, DOOH_LIT("Ship it") } }, 1, &n),
                 DOOH_DBERR_CONFLICT);
    /* Placeholder count and values must agree. */
    CHECK_EQ_INT(dooh_db_exec(&ctx, "UPDATE tasks SET done = $1 WHERE id = $2",
                              (dooh_dbv[]){ { DOOH_DBV_INT, 1, 0, DOOH_NULL_STR } }, 1, &n),
                 DOOH_DBERR_INTERNAL);
    CHECK_EQ_INT(dooh_db_exec(&ctx, "UPDATE tasks SET done = 1", (dooh_dbv[]){
        { DOOH_DBV_INT, 1, 0, DOOH_NULL_STR } }, 1, &n), DOOH_DBERR_INTERNAL);
    CHECK_EQ_INT(dooh_db_exec(&ctx, "UPDATE tasks SET done = :x", (dooh_dbv[]){
        { DOOH_DBV_INT, 1, 0, DOOH_NULL_STR } }, 1, &n), DOOH_DBERR_INTERNAL);
    CHECK_EQ_INT(dooh_db_exec(&ctx, "SELEC nonsense", NULL, 0, &n), DOOH_DBERR_INTERNAL);
    CHECK_EQ_INT(dooh_db_exec(&ctx, "DELETE FROM tasks; DROP TABLE tasks", NULL, 0, &n),
                 DOOH_DBERR_INTERNAL);
    dooh_rows rows;
    CHECK_EQ_INT(dooh_db_query(&ctx, "SELECT count(*) FROM tasks", NULL, 0, &rows), DOOH_DBERR_NONE);
    CHECK(rows.cells[0].i > 0);
}

static const dooh_column acct_cols[] = {
    { "id", "id", DOOH_COL_INT, DOOH_COL_PRIMARY | DOOH_COL_AUTO | DOOH_COL_NO_INPUT, NULL, 0,
      { 0, 0, 0, NULL, NULL }, NULL, NULL },
    { "Name", "name", DOOH_COL_TEXT, 0, NULL, 0, { 0, 0, 0, NULL, NULL }, NULL, NULL },
    { "Password", "password", DOOH_COL_TEXT, DOOH_COL_OPTIONAL | DOOH_COL_HASH | DOOH_COL_NO_OUTPUT,
      NULL, 0, { 0, 0, 0, NULL, NULL }, NULL, NULL },
};
static const dooh_table accounts = { "accounts", "Account", "/accounts", acct_cols, 3, 0 };

static void hash_fields_should_never_be_stored_as_sent(void) {
    static const dooh_table *const with_accounts[] = { &fx_users, &fx_tasks, &accounts };
    dooh_rows rows;
    CHECK(dooh_db_open(NULL, with_accounts, 3));
    post(&accounts, "{\"Name\":\"a\",\"Password\":\"plaintext\"}");
    CHECK_EQ_INT(res.status, 201);
    CHECK_BODY("{\"data\":{\"id\":1,\"Name\":\"a\"}}");
    dooh_ctx_reset(&ctx);
    CHECK_EQ_INT(dooh_db_query(&ctx, "SELECT password FROM accounts", NULL, 0, &rows), DOOH_DBERR_NONE);
    CHECK_EQ_INT(rows.cells[0].type, DOOH_DBV_NULL);
    CHECK(open_fixture());
}

static void statement_cache_should_stay_bounded(void) {
    dooh_rows rows;
    for (int i = 0; i < 300; i++) {
        char q[64];
        dooh_ctx_reset(&ctx);
        snprintf(q, sizeof q, "id=eq.%d&select=id&limit=%d", i, i + 1);
        call(dooh_crud_list, &fx_tasks, DOOH_GET, NULL, q, NULL, NULL, NULL);
        CHECK_EQ_INT(res.status, 200);
        snprintf(q, sizeof q, "SELECT %d", i);
        CHECK(dooh__db_prepare(&ctx, dooh_str_cstr(&ctx, dooh_str_from_cstr(q)), false, &(int){ 0 }));
    }
    dooh_ctx_reset(&ctx);
    CHECK_EQ_INT(dooh_db_query(&ctx, "SELECT 1", NULL, 0, &rows), DOOH_DBERR_NONE);
}

/* ---- group commit (group.h) ---- */

/* Rows with this title, counted on a second connection (sees only what is committed). */
static int committed(const char *title) {
    char path[160], sql[200];
    sqlite3 *other = NULL;
    sqlite3_stmt *st = NULL;
    int n = -1;
    snprintf(path, sizeof path, "%s/app.db", dir);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM tasks WHERE title = '%s'", title);
    if (sqlite3_open_v2(path, &other, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
        sqlite3_prepare_v3(other, sql, -1, 0, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = (int)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close_v2(other);
    return n;
}

static bool commit_round(void) {
    dooh__group->commit();
    return true;
}

static void writes_should_share_a_group_until_a_read_or_the_round_commits_it(void) {
    CHECK(open_fixture());
    CHECK(dooh__group != NULL);
    post(&fx_tasks, "{\"Title\":\"g-one\"}");
    CHECK_EQ_INT(res.status, 201);
    CHECK_EQ_INT((int)dooh__group->take(), 0); /* not a server worker: no group */
    CHECK_EQ_INT(committed("g-one"), 1);

    dooh__group->enable();
    post(&fx_tasks, "{\"Title\":\"g-two\"}");
    CHECK_EQ_INT(res.status, 201);
    uint64_t g = dooh__group->take();
    CHECK(g != 0);
    CHECK_EQ_INT(committed("g-two"), 0); /* answered, waiting for the commit */
    call(dooh_crud_update, &fx_tasks, DOOH_PATCH, "1", NULL, "{\"Done\":true}",
         "application/json", NULL);
    CHECK_EQ_INT(res.status, 200);
    CHECK(dooh__group->take() == g); /* the same group */
    call(dooh_crud_list, &fx_tasks, DOOH_GET, NULL, "Title=eq.g-two", NULL, NULL, NULL);
    CHECK_EQ_INT(res.status, 200);
    CHECK_EQ_INT((int)dooh__group->take(), 0); /* a read joins nothing … */
    CHECK_EQ_INT(committed("g-two"), 1);       /* … and commits the group before it runs */
    CHECK_EQ_INT(dooh__group->status(g), 0);

    post(&fx_tasks, "{\"Title\":\"g-three\"}");
    uint64_t g2 = dooh__group->take();
    CHECK(g2 != 0 && g2 != g);
    post(&fx_tasks, "{\"Title\":\"g-three\"}"); /* a conflict inside the group … */
    CHECK_EQ_INT(res.status, 409);
    CHECK(dooh__group->take() == g2);               /* … undoes only its own statement */
    dooh__group->commit();
    CHECK_EQ_INT(committed("g-three"), 1);
    CHECK_EQ_INT(dooh__group->status(g2), 0);
    dooh__group->forget();
}

/* The CRUD reads answered from one input buffer share one snapshot, from the second read
 * on; anything else ends it. */
static void reads_of_one_batch_should_share_a_snapshot(void) {
    int rc;
    char path[160];
    sqlite3 *other = NULL;
    snprintf(path, sizeof path, "%s/app.db", dir);
    CHECK_EQ_INT(sqlite3_open_v2(path, &other, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3 *db = dooh__db_conn(&rc);
    dooh__group->batch(true);
    call(dooh_crud_get, &fx_tasks, DOOH_GET, "1", NULL, NULL, NULL, NULL);
    CHECK_EQ_INT(res.status, 200);
    CHECK_EQ_INT(sqlite3_get_autocommit(db), 1); /* a lone read: no transaction */
    call(dooh_crud_list, &fx_tasks, DOOH_GET, NULL, "Title=eq.snap&select=Title", NULL, NULL, NULL);
    CHECK_EQ_INT(sqlite3_get_autocommit(db), 0); /* the second opened the shared snapshot */
    CHECK_EQ_INT(sqlite3_exec(other, "INSERT INTO tasks (title) VALUES ('snap')", NULL, NULL,
                              NULL), SQLITE_OK);
    call(dooh_crud_list, &fx_tasks, DOOH_GET, NULL, "Title=eq.snap&select=Title", NULL, NULL, NULL);
    CHECK_BODY("{\"data\":[]}"); /* same snapshot: the later commit is not in it */
    int64_t n = 0;
    dooh_ctx_reset(&ctx);
    CHECK_EQ_INT(dooh_db_exec(&ctx, "UPDATE tasks SET done = 0 WHERE title = 'snap'", NULL, 0, &n),
                 DOOH_DBERR_NONE); /* not a CRUD read: ends the snapshot, sees the row */
    CHECK_EQ_INT((int)n, 1);
    CHECK_EQ_INT(sqlite3_get_autocommit(db), 1);
    dooh__group->batch(false);
    dooh__group->batch(true);
    call(dooh_crud_list, &fx_tasks, DOOH_GET, NULL, "Title=eq.snap&select=Title", NULL, NULL, NULL);
    call(dooh_crud_list, &fx_tasks, DOOH_GET, NULL, "Title=eq.snap&select=Title", NULL, NULL, NULL);
    CHECK_BODY("{\"data\":[{\"Title\":\"snap\"}]}");
    post(&fx_tasks, "{\"Title\":\"snap-2\"}"); /* a write ends the snapshot, then joins */
    CHECK_EQ_INT(res.status, 201);
    CHECK(dooh__group->take() != 0);
    dooh__group->batch(false);
    dooh__group->commit();
    dooh__group->forget();
    CHECK_EQ_INT(sqlite3_get_autocommit(db), 1);
    CHECK_EQ_INT(committed("snap-2"), 1);
    sqlite3_close_v2(other);
}

/* A COMMIT that fails (here: a deferred foreign key, the only failure a test can force on
 * a healthy disk; the wire test uses a file-size limit) rolls back every write of the group
 * and reports it, so the server replaces the responses that waited for it. */
static void failed_commit_should_roll_back_the_group_and_report_it(void) {
    int rc;
    post(&fx_tasks, "{\"Title\":\"lost-one\"}");
    CHECK_EQ_INT(res.status, 201);
    post(&fx_tasks, "{\"Title\":\"lost-two\"}");
    CHECK_EQ_INT(res.status, 201);
    uint64_t g = dooh__group->take();
    CHECK(g != 0);
    sqlite3 *db = dooh__db_conn(&rc);
    CHECK_EQ_INT(sqlite3_exec(db, "PRAGMA defer_foreign_keys = ON; INSERT INTO tasks (title, "
                              "owner_id) VALUES ('dangling', 424242)", NULL, NULL, NULL), SQLITE_OK);
    bool ok = true;
    capture_stderr(commit_round, &ok);
    CHECK(strstr(captured, "\"msg\":\"cannot commit a group of writes\""));
    CHECK_EQ_INT(dooh__group->status(g), 500);
    CHECK_EQ_INT(committed("lost-one"), 0);
    CHECK_EQ_INT(committed("lost-two"), 0);
    CHECK_EQ_INT(committed("dangling"), 0);
    dooh__group->forget();
    CHECK_EQ_INT(dooh__group->status(g), 0); /* outcomes last one round */
    /* The connection is usable again: the next write starts a new group. */
    post(&fx_tasks, "{\"Title\":\"after\"}");
    CHECK_EQ_INT(res.status, 201);
    dooh__group->commit();
    CHECK_EQ_INT(committed("after"), 1);
    dooh__group->forget();
    dooh__db_reset_for_tests(); /* leaves group mode for the tests after this one */
    open_db();
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/doo-dbtest-XXXXXX");
    if (!mkdtemp(dir)) return 2;
    dooh_ctx_init(&ctx);
    dooh_buf_init(&body);
    unsetenv("DOO_DB_SYNC");
    unsetenv("DOO_DB_BUSY_TIMEOUT_MS");
    RUN(open_should_create_tables_and_accept_them_again);
    RUN(schema_sql_should_carry_every_constraint);
    RUN(changed_struct_should_stop_startup_naming_the_difference);
    RUN(database_url_should_be_checked);
    RUN(create_should_fill_defaults_and_answer_201_with_location);
    RUN(invalid_bodies_should_list_every_failure);
    RUN(wrong_shapes_should_be_400_or_415);
    RUN(conflicts_should_be_409_naming_the_field);
    RUN(get_should_answer_200_404_or_400);
    RUN(patch_should_change_only_what_is_sent);
    RUN(put_should_replace_the_whole_row);
    RUN(values_should_round_trip_verbatim);
    RUN(list_should_filter_order_page_and_count);
    RUN(delete_should_answer_204_then_404);
    RUN(locked_database_should_be_503_and_reads_keep_working);
    RUN(full_database_should_be_507);
    RUN(query_should_bind_dollar_params_and_copy_rows);
    RUN(exec_should_count_changes_and_map_errors);
    RUN(hash_fields_should_never_be_stored_as_sent);
    RUN(statement_cache_should_stay_bounded);
    RUN(writes_should_share_a_group_until_a_read_or_the_round_commits_it);
    RUN(reads_of_one_batch_should_share_a_snapshot);
    RUN(failed_commit_should_roll_back_the_group_and_report_it);
    dooh__db_reset_for_tests();
    dooh_buf_free(&body);
    dooh_ctx_free(&ctx);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) return 2;
    return check_report();
}
