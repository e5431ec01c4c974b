/* db_internal.h — what db.c (connections, statements, errors), dbquery.c (the list grammar)
 * and crud.c (the generated CRUD endpoints) share. Not part of the public API; the C unit
 * tests include it to test the pieces one by one.
 */
#ifndef DOOH_DB_INTERNAL_H
#define DOOH_DB_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "dooh/buf.h"
#include "dooh/db.h"
#include "sqlite_api.h"

/* ---- connections and statements (db.c) ---- */

/* The calling thread's statement for `sql`, prepared on first use and cached on the thread's
 * connection (opened lazily). `sql` is NUL-terminated; when `is_static` it has static storage
 * and the cache keys it by pointer, otherwise by its text (a copy is kept). Returns NULL and
 * sets *rc (an SQLite result code) on failure; the failure is logged with the request id.
 * After use the caller must call dooh__db_done(). */
sqlite3_stmt *dooh__db_prepare(dooh_ctx *ctx, const char *sql, bool is_static, int *rc);
/* Reset a statement from dooh__db_prepare and clear its bindings, ready for the next use. */
void dooh__db_done(sqlite3_stmt *st);
/* Run a static statement without parameters or results ("BEGIN", "COMMIT") once; its
 * SQLite code (SQLITE_OK when it completed). */
int dooh__db_simple(dooh_ctx *ctx, const char *sql);
/* Bind one value at 1-based index i. */
int dooh__db_bind(sqlite3_stmt *st, int i, const dooh_dbv *v);
/* The calling thread's connection (opened on first use), or NULL with *rc set. */
sqlite3 *dooh__db_conn(int *rc);
/* Close the calling thread's connection and its statements (worker threads do this on exit
 * through a thread-key destructor; tests call it directly). */
void dooh__db_thread_close(void);
/* Forget the opened database (tests: open another one afterwards). Closes this thread's
 * connection; other threads must have closed theirs. */
void dooh__db_reset_for_tests(void);

/* Group commit (group.h). A generated write calls dooh__db_group_join right before
 * preparing its statement: on a server worker it opens the thread's group if needed and
 * returns true, and the statement then runs inside it (the response waits for the commit).
 * After stepping that statement, dooh__db_group_stepped(rc) must be called with the last
 * code, whether or not join returned true. */
bool dooh__db_group_join(dooh_ctx *ctx);
/* A CRUD read calls this right before preparing its statement: while the server answers the
 * requests of one input buffer, such reads share one read transaction. */
void dooh__db_read_shared(void);
void dooh__db_group_stepped(int rc);

/* The DOOH_DBERR_* class of an SQLite result code. */
int dooh__db_errclass(int rc);
/* Log an SQLite failure on stderr as one JSON line with the request id (never the client). */
void dooh__db_log(dooh_ctx *ctx, const char *what, int rc, const char *msg);
/* The table registered by dooh_db_open under `name`, or NULL. */
const dooh_table *dooh__db_table(const char *name);
/* The i-th registered table, or NULL past the end. */
const dooh_table *dooh__db_table_at(int i);

/* Answer a failed statement for CRUD: 409 (unique/foreign key, naming the field found by
 * the caller), 503 + Retry-After (busy/locked), 507 + Retry-After (disk full), else 500. */
void dooh__db_fail(dooh_ctx *ctx, dooh_response *res, int rc);

/* ---- schema (db.c) ---- */

/* The CREATE TABLE statement for t (arena, NUL-terminated). */
const char *dooh__schema_sql(dooh_ctx *ctx, const dooh_table *t);
/* Append an SQL identifier, double-quoted. */
void dooh__sql_ident(dooh_buf *b, const char *name);
/* Append an SQL string literal, single-quoted. */
void dooh__sql_text(dooh_buf *b, const char *s);
/* Append ?n. */
void dooh__sql_param(dooh_buf *b, int n);

/* ---- the list grammar (dbquery.c) ---- */

typedef struct dooh__listq {
    const char *sql;        /* SELECT … FROM … [WHERE …] ORDER BY … LIMIT ?a OFFSET ?b */
    const char *count_sql;  /* SELECT count(*) FROM … [WHERE …] (same filter parameters) */
    dooh_dbv *params;       /* filter parameters, then limit and offset */
    int nparams;            /* all of them; the count statement binds the first nfilter */
    int nfilter;
    int64_t limit, offset;
    int *cols;              /* output columns: indexes into t->cols, in output order */
    int ncols;
} dooh__listq;

#define DOOH_LIST_DEFAULT_LIMIT 100
#define DOOH_LIST_MAX_LIMIT 1000

/* Compile the query string of a list request (raw, after '?') against t. Returns true and
 * fills *q (arena), or false with *err set to the 400 detail naming the bad column, operator
 * or value. Only columns of t that are not DOOH_COL_NO_OUTPUT can be filtered, ordered or
 * selected; client text only ever becomes bound parameters. */
bool dooh__list_compile(dooh_ctx *ctx, const dooh_table *t, dooh_str query, dooh__listq *q,
                        dooh_str *err);
/* Find a column by its field name, then by its SQL name; -1 if absent. */
int dooh__col_find(const dooh_table *t, dooh_str name);
/* Append the SELECT list for output columns cols[0..n). */
void dooh__sql_select_list(dooh_buf *b, const dooh_table *t, const int *cols, int n);

/* ---- rows (crud.c) ---- */

/* Write the current row of `st` as a JSON object: st's columns are t->cols[cols[i]] in order.
 * Keys are the Doo field names; Bool as true/false, enums as their name, NULL as null. */
void dooh__row_json(dooh_buf *b, sqlite3_stmt *st, const dooh_table *t, const int *cols, int n);

/* ---- what the auth layer reuses and sets (crud.c, dbquery.c) ---- */

/* One column of a write: skipped, a value, or its DEFAULT (crud.c's states). */
typedef struct dooh__wcol {
    int state;
    dooh_dbv v;
} dooh__wcol;

#define DOOH_PASSWORD_MAX 1024 /* bytes; longer passwords are refused before hashing */

/* Read and check a create body for t like POST does (415, 400 or one 422 answered, false
 * returned). With `with_hash` the DOOH_COL_HASH column is read too: it is the password, a
 * string of 1..DOOH_PASSWORD_MAX bytes that also passes the column's rules (signup). */
bool dooh__crud_read_body(dooh_ctx *ctx, dooh_request *req, dooh_response *res,
                          const dooh_table *t, bool with_hash, dooh__wcol *w);
/* INSERT INTO t (…) VALUES (?1, …) RETURNING <t->cols[ret[0..nret)]> for the W_VALUE columns
 * of w; their values go to params (room for t->ncols), their count to *n. */
const char *dooh__crud_insert_sql(dooh_ctx *ctx, const dooh_table *t, const dooh__wcol *w,
                                  dooh_dbv *params, int *n, const int *ret, int nret);
/* Answer a failed write statement (st is reset here): 409 naming the field, 503, 507, 500. */
void dooh__crud_write_failed(dooh_ctx *ctx, dooh_response *res, const dooh_table *t,
                             const dooh__wcol *w, sqlite3_stmt *st, int rc);
/* The columns a response shows, in declaration order (*nout of them), then the key when it
 * is hidden (*nall in all); arena. */
int *dooh__crud_output_cols(dooh_ctx *ctx, const dooh_table *t, int *nout, int *nall);

/* Set by dooh_auth_open (auth.c) while auth is configured, NULL otherwise. CRUD calls it for
 * writes and for every access to a table with a DOOH_COL_OWNER column: it answers 401 and
 * returns false, or returns true with the caller's user id. (A pointer rather than a call,
 * so the data layer links without the auth layer and its crypto.) */
typedef bool (*dooh__crud_auth_fn)(dooh_ctx *ctx, dooh_request *req, dooh_response *res,
                                   int64_t *user_id);
extern dooh__crud_auth_fn dooh__crud_auth;

/* dooh__list_compile with one more condition, `<owner column> = owner`, ANDed with the
 * client's filters as a bound parameter (owner_col < 0: none). */
bool dooh__list_compile_owned(dooh_ctx *ctx, const dooh_table *t, dooh_str query,
                              int owner_col, int64_t owner, dooh__listq *q, dooh_str *err);

#endif
