/* dooh/db.h — the data layer: embedded SQLite, generated CRUD, typed SQL for handlers.
 *
 * The compiler describes every table with a dooh_table (one dooh_column per struct field, in
 * declaration order) and emits them in one static array. At start-up `Database::open()` calls
 * dooh_db_open(), which reads DATABASE_URL, opens the file, sets WAL mode, a busy timeout and
 * foreign keys, and creates or checks every table (a struct that no longer matches its table
 * stops start-up with a message naming the difference). Each worker thread then opens its own
 * connection lazily on first use and keeps its prepared statements for the life of the thread.
 *
 * CRUD: `app.crud("/tasks", Task, db)` becomes six routes whose handlers call the dooh_crud_*
 * functions below with the table. They read and validate JSON bodies against the column
 * rules, compile the list query grammar (filters, order, limit/offset, select) into one
 * parameterised statement, and answer with http.md §3's statuses and shapes. No SQL text
 * and no client input ever becomes SQL text; errors never reveal SQL.
 *
 * Typed SQL: handlers call dooh_db_query()/dooh_db_exec() with `$n` placeholders and bound
 * values; the generated code decodes the rows into the annotated Doo type.
 */
#ifndef DOOH_DB_H
#define DOOH_DB_H

#include <stdbool.h>
#include <stdint.h>

#include "dooh/http.h"
#include "dooh/rt.h"
#include "dooh/validate.h"

/* ---- value rules shared by generated decoders and CRUD (one implementation) ---- */

enum {
    DOOH_RULE_MIN = 1,      /* min is set */
    DOOH_RULE_MAX = 2,      /* max is set */
    DOOH_RULE_EMAIL = 4,
    DOOH_RULE_URL = 8,
    DOOH_RULE_PATTERN = 16, /* pattern is set */
};

typedef struct dooh_rules {
    int flags;               /* DOOH_RULE_* */
    double min, max;         /* Str: code points; Int/Float: value; arrays: elements */
    const dooh_regex *const *pattern; /* points at the compiled regex (filled at start-up) */
    const char *pattern_src; /* the pattern as written, for the message */
} dooh_rules;

/* Each check records its failures with dooh_verr_add(ctx, path, code, detail, extra…) using
 * the messages of the HTTP contract: "must be at least 8 characters" (code "min", extra
 * "min": 8), "must be at most …", "must be a valid e-mail address" (code "email"),
 * "must be an absolute http or https URL" (code "url"), "must match the pattern …"
 * (code "pattern"), for numbers "must be at least N" / "must be at most N". Returns true when
 * the value passed every rule. */
bool dooh_check_str(dooh_ctx *ctx, const char *path, dooh_str v, const dooh_rules *r);
bool dooh_check_i64(dooh_ctx *ctx, const char *path, int64_t v, const dooh_rules *r);
bool dooh_check_f64(dooh_ctx *ctx, const char *path, double v, const dooh_rules *r);
bool dooh_check_len(dooh_ctx *ctx, const char *path, int64_t n, const dooh_rules *r); /* arrays */

/* ---- tables ---- */

enum { DOOH_COL_INT, DOOH_COL_FLOAT, DOOH_COL_BOOL, DOOH_COL_TEXT, DOOH_COL_ENUM };

enum {
    DOOH_COL_PRIMARY = 1,   /* the key (Int) */
    DOOH_COL_AUTO = 2,      /* assigned by the database */
    DOOH_COL_UNIQUE = 4,
    DOOH_COL_OPTIONAL = 8,  /* nullable; absent/null allowed */
    DOOH_COL_NO_OUTPUT = 16,/* @hash, @writeOnly, @internal: never in responses */
    DOOH_COL_NO_INPUT = 32, /* @auto, @readOnly, @internal, @owner: ignored on writes */
    DOOH_COL_HASH = 64,     /* @hash: stored as an Argon2id PHC string (auth layer) */
    DOOH_COL_OWNER = 128,   /* @owner (auth layer) */
};

typedef struct dooh_column {
    const char *field;        /* Doo/JSON name: "AuthorId" */
    const char *column;       /* SQL name: "author_id" */
    int type;                 /* DOOH_COL_INT … */
    int flags;                /* DOOH_COL_* */
    const char *const *variants; /* DOOH_COL_ENUM: variant names, stored as text */
    int nvariants;
    dooh_rules rules;         /* @min @max @email @url @pattern */
    const char *default_sql;  /* @default as an SQL literal ("'Medium'", "0", "'x'"), or NULL */
    const char *foreign_table;/* @foreign(T): T's table name, or NULL */
} dooh_column;

typedef struct dooh_table {
    const char *name;         /* "tasks" */
    const char *struct_name;  /* "Task" */
    const char *path;         /* the CRUD path ("/api/v1/tasks"), for Location; NULL if none */
    const dooh_column *cols;
    int ncols;
    int pk;                   /* index of the primary key column */
} dooh_table;

/* Open the database named by DATABASE_URL ("sqlite:path", default "sqlite:app.db";
 * "postgres://…" is refused with a clear message) or by `path` when not NULL (Database::sqlite),
 * then create missing tables and check existing ones against `tables`. On failure prints one line
 * to stderr ("doo: database: …") and returns false. Call once, from main, before
 * dooh_app_run. The tables array must live for the life of the process. */
bool dooh_db_open(const char *path, const dooh_table *const *tables, int ntables);

/* ---- CRUD handlers (route handlers call these with their table) ---- */
void dooh_crud_list(dooh_ctx *ctx, dooh_request *req, dooh_response *res, const dooh_table *t);
void dooh_crud_create(dooh_ctx *ctx, dooh_request *req, dooh_response *res, const dooh_table *t);
void dooh_crud_get(dooh_ctx *ctx, dooh_request *req, dooh_response *res, const dooh_table *t);
void dooh_crud_replace(dooh_ctx *ctx, dooh_request *req, dooh_response *res, const dooh_table *t);
void dooh_crud_update(dooh_ctx *ctx, dooh_request *req, dooh_response *res, const dooh_table *t);
void dooh_crud_delete(dooh_ctx *ctx, dooh_request *req, dooh_response *res, const dooh_table *t);

/* ---- typed SQL for handlers ---- */

enum { DOOH_DBV_NULL, DOOH_DBV_INT, DOOH_DBV_FLOAT, DOOH_DBV_TEXT };

typedef struct dooh_dbv {
    int type;                 /* DOOH_DBV_* */
    int64_t i;
    double f;
    dooh_str s;               /* TEXT (enums bind as their variant name) */
} dooh_dbv;

typedef struct dooh_rows {
    int ncols;
    const dooh_str *names;    /* column names as SQLite reports them */
    int64_t nrows;
    const dooh_dbv *cells;    /* nrows * ncols values, row-major, copied into the arena */
} dooh_rows;

/* Errors of the data layer, as the std enum DatabaseError (variant order is fixed: the
 * compiler declares `enum DatabaseError { NotFound, Conflict, ServiceUnavailable,
 * InternalError, BadRequest }` with these values). */
enum {
    DOOH_DBERR_NONE = -1,
    DOOH_DBERR_NOT_FOUND = 0,
    DOOH_DBERR_CONFLICT = 1,
    DOOH_DBERR_UNAVAILABLE = 2,  /* busy/locked: the handler's response gets Retry-After */
    DOOH_DBERR_INTERNAL = 3,
    DOOH_DBERR_BAD_REQUEST = 4,
};

/* Run `sql` (with $1…$n placeholders; `sql` must be a string with static storage — it keys
 * the thread's prepared-statement cache) with n bound values. Returns DOOH_DBERR_NONE and
 * fills *out (query) or *changes (exec), or an error code; the SQLite message is logged to
 * stderr with the request id, never returned to the client. A placeholder count that does
 * not match n is DOOH_DBERR_INTERNAL. */
int dooh_db_query(dooh_ctx *ctx, const char *sql, const dooh_dbv *params, int n, dooh_rows *out);
int dooh_db_exec(dooh_ctx *ctx, const char *sql, const dooh_dbv *params, int n, int64_t *changes);

/* For decoding rows into structs: the index of the column named `name` (exact, then
 * snake_case of name, then case-insensitive), or -1. */
int dooh_rows_col(const dooh_rows *r, const char *name);

/* After a handler returned Err(DatabaseError::ServiceUnavailable): add Retry-After. */
void dooh_db_retry_after(dooh_response *res);

#endif
