/* db.c — the database: opening it, the schema, per-thread connections with their statement
 * caches, typed SQL for handlers and the mapping of SQLite failures to DatabaseError
 * (see dooh/db.h; the list grammar is in dbquery.c, the CRUD endpoints in crud.c).
 *
 * Threads: dooh_db_open() runs once in main, before the workers start, and only then writes
 * the globals below; afterwards they are read-only. Each thread (main and every worker) opens
 * its own connection on first use and keeps it, with its prepared statements, in a
 * thread-local; a thread-key destructor closes it when a worker exits. No lock is taken on
 * the request path: SQLite's own file locking (WAL: readers never block, one writer at a
 * time, others wait up to the busy timeout) is the only coordination.
 *
 * Durability: WAL with synchronous=NORMAL by default: a 201 means the row is in the WAL, so
 * it survives kill -9, panics and OOM kills; a power loss or kernel crash may roll back the
 * last transactions before it (never the file's integrity). DOO_DB_SYNC=full fsyncs every
 * commit, so a 201 also survives power loss, at one fsync per write.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db_internal.h"
#include "group.h"
#include "dooh/json.h"

#define STMT_CACHE_MAX 128 /* prepared statements kept per thread */
#define MIN_SQLITE 3035000 /* RETURNING */

/* ---- process-wide state, written once by dooh_db_open ---- */

static char *g_path;                       /* the database file; NULL until opened */
static const dooh_table *const *g_tables;  /* the program's tables */
static int g_ntables;
static int g_busy_ms = 5000;               /* DOO_DB_BUSY_TIMEOUT_MS */
static const char *g_sync = "NORMAL";      /* DOO_DB_SYNC */
static pthread_key_t g_key;
static pthread_once_t g_key_once = PTHREAD_ONCE_INIT;

/* ---- one thread's connection ---- */

typedef struct stmt_entry {
    const char *key;    /* static SQL, compared by pointer; NULL for owned text */
    char *text;         /* owned copy of dynamic SQL, compared by text */
    uint64_t hash;      /* of text */
    sqlite3_stmt *st;
    uint64_t used;      /* tick of the last use, for eviction */
} stmt_entry;

typedef struct dbconn {
    sqlite3 *db;
    stmt_entry e[STMT_CACHE_MAX];
    int n;
    uint64_t tick;
} dbconn;

static _Thread_local dbconn *tl_conn;

/* One worker thread's group. Groups are numbered; the outcome of a failed one is kept until
 * the server has answered the responses that waited for it (the end of the round). */
typedef struct group_state {
    bool enabled;      /* a server worker, group commit on */
    bool open;         /* BEGIN IMMEDIATE done, COMMIT pending */
    bool joining;      /* the next prepare is the write that joined: it runs inside */
    bool batch;        /* the server is answering requests of one read (one input buffer) */
    bool reading;      /* the next prepare is a CRUD read that may share the batch's snapshot */
    bool snap;         /* a read transaction (BEGIN) is open for the batch */
    int reads;         /* CRUD reads in this batch so far */
    uint64_t seq;      /* the open (or last) group */
    uint64_t joined;   /* the group the current request joined; 0 when none */
    uint64_t failed[8];/* groups of this round whose commit failed … */
    int failed_rc[8];  /* … and why */
    int nfailed;
} group_state;

static _Thread_local group_state tl_grp;
/* Held by the worker whose group is open, from BEGIN IMMEDIATE to COMMIT: another worker
 * with a write waits here (woken the moment it is released) instead of polling SQLite's
 * file lock. */
static pthread_mutex_t g_group_lock = PTHREAD_MUTEX_INITIALIZER;
static bool g_group = true;                /* DOO_DB_GROUP_COMMIT */

/* ---- errors and logging ---- */

int dooh__db_errclass(int rc) {
    switch (rc & 0xff) {
    case SQLITE_OK: case SQLITE_ROW: case SQLITE_DONE: return DOOH_DBERR_NONE;
    case SQLITE_BUSY: case SQLITE_LOCKED: case SQLITE_FULL: case SQLITE_CANTOPEN:
    case SQLITE_NOMEM: case SQLITE_PROTOCOL: case SQLITE_READONLY:
        return DOOH_DBERR_UNAVAILABLE;
    case SQLITE_CONSTRAINT: return DOOH_DBERR_CONFLICT;
    default: return DOOH_DBERR_INTERNAL;
    }
}

void dooh__db_log(dooh_ctx *ctx, const char *what, int rc, const char *msg) {
    dooh_buf b;
    dooh_str rid = (ctx && ctx->req) ? ctx->req->request_id : DOOH_LIT("-");
    dooh_buf_init(&b);
    dooh_buf_lit(&b, "{\"level\":\"error\",\"request_id\":");
    dooh_json_str(&b, rid);
    dooh_buf_lit(&b, ",\"msg\":");
    dooh_json_str(&b, dooh_str_from_cstr(what));
    dooh_buf_lit(&b, ",\"sqlite_code\":");
    dooh_buf_put_i64(&b, rc);
    dooh_buf_lit(&b, ",\"error\":");
    dooh_json_str(&b, dooh_str_from_cstr(msg ? msg : sqlite3_errstr(rc)));
    dooh_buf_lit(&b, "}\n");
    fwrite(b.p, 1, b.len, stderr);
    dooh_buf_free(&b);
}

void dooh_db_retry_after(dooh_response *res) {
    dooh_res_header(res, "Retry-After", DOOH_LIT("1"));
}

void dooh__db_fail(dooh_ctx *ctx, dooh_response *res, int rc) {
    int base = rc & 0xff;
    if (base == SQLITE_FULL) {
        dooh_res_problem(ctx, res, 507, DOOH_LIT("the database is out of space"));
        dooh_res_header(res, "Retry-After", DOOH_LIT("30"));
    } else if (dooh__db_errclass(rc) == DOOH_DBERR_UNAVAILABLE) {
        dooh_res_problem(ctx, res, 503, DOOH_LIT("the database is busy; retry shortly"));
        dooh_db_retry_after(res);
    } else if (base == SQLITE_CONSTRAINT) {
        dooh_res_problem(ctx, res, 409, DOOH_LIT("the change conflicts with existing data"));
    } else {
        dooh_res_problem(ctx, res, 500, DOOH_LIT("internal server error"));
    }
}

/* ---- SQL text helpers ---- */

void dooh__sql_ident(dooh_buf *b, const char *name) {
    dooh_buf_putc(b, '"');
    for (const char *p = name; *p; p++) {
        if (*p == '"') dooh_buf_putc(b, '"');
        dooh_buf_putc(b, *p);
    }
    dooh_buf_putc(b, '"');
}

void dooh__sql_text(dooh_buf *b, const char *s) {
    dooh_buf_putc(b, '\'');
    for (const char *p = s; *p; p++) {
        if (*p == '\'') dooh_buf_putc(b, '\'');
        dooh_buf_putc(b, *p);
    }
    dooh_buf_putc(b, '\'');
}

void dooh__sql_param(dooh_buf *b, int n) {
    dooh_buf_putc(b, '?');
    dooh_buf_put_i64(b, n);
}

/* A dooh_buf's text as a NUL-terminated arena string; frees the buffer. */
static const char *buf_take(dooh_ctx *ctx, dooh_buf *b) {
    const char *s = dooh_str_cstr(ctx, (dooh_str){ b->p ? b->p : "", (int64_t)b->len });
    dooh_buf_free(b);
    return s;
}

/* ---- connections ---- */

static void conn_free(dbconn *c) {
    if (c == NULL) return;
    for (int i = 0; i < c->n; i++) {
        sqlite3_finalize(c->e[i].st);
        free(c->e[i].text);
    }
    sqlite3_close_v2(c->db);
    free(c);
}

static void key_destructor(void *p) {
    conn_free(p);
}

static void make_key(void) {
    pthread_key_create(&g_key, key_destructor);
}

/* Run a pragma or other statement without results on a fresh connection. */
static int exec_simple(sqlite3 *db, const char *sql) {
    return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

/* SQLite calls this while another connection holds a lock this one needs. The holder is
 * almost always another worker finishing a group commit, which takes a fraction of a
 * millisecond, so the first waits are 100 µs (SQLite's own handler sleeps 1 ms and more from
 * the start, which stalls every connection of the waiting worker); after 2 ms it waits in
 * 1 ms steps, until DOO_DB_BUSY_TIMEOUT_MS has passed since the first call. */
static int busy_wait(void *arg, int count) {
    static _Thread_local struct timespec first;
    struct timespec now;
    (void)arg;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (count == 0) first = now;
    int64_t waited_us = (int64_t)(now.tv_sec - first.tv_sec) * 1000000 +
                        (now.tv_nsec - first.tv_nsec) / 1000;
    if (waited_us >= (int64_t)g_busy_ms * 1000) return 0;
    struct timespec nap = { 0, waited_us < 2000 ? 100000 : 1000000 };
    nanosleep(&nap, NULL);
    return 1;
}

/* Open g_path with this connection's settings. Returns an SQLite code; *db is set (possibly
 * to a handle that must be closed) either way. */
static int open_db(sqlite3 **db) {
    char pragmas[160];
    int rc = sqlite3_open_v2(g_path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                             SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) return rc;
    sqlite3_extended_result_codes(*db, 1);
    sqlite3_busy_handler(*db, busy_wait, NULL);
    snprintf(pragmas, sizeof pragmas, "PRAGMA foreign_keys=ON; PRAGMA synchronous=%s;", g_sync);
    return exec_simple(*db, pragmas);
}

sqlite3 *dooh__db_conn(int *rc) {
    if (tl_conn) return tl_conn->db;
    if (g_path == NULL) {
        *rc = SQLITE_CANTOPEN;
        return NULL;
    }
    dbconn *c = calloc(1, sizeof *c);
    if (c == NULL) {
        *rc = SQLITE_NOMEM;
        return NULL;
    }
    *rc = open_db(&c->db);
    if (*rc != SQLITE_OK) {
        conn_free(c);
        return NULL;
    }
    pthread_once(&g_key_once, make_key);
    pthread_setspecific(g_key, c);
    tl_conn = c;
    return c->db;
}

void dooh__db_thread_close(void) {
    if (tl_conn == NULL) return;
    pthread_once(&g_key_once, make_key);
    pthread_setspecific(g_key, NULL);
    conn_free(tl_conn);
    tl_conn = NULL;
}

void dooh__db_reset_for_tests(void) {
    dooh__db_thread_close();
    dooh__group = NULL;
    tl_grp = (group_state){ 0 };
    free(g_path);
    g_path = NULL;
    g_tables = NULL;
    g_ntables = 0;
}

const dooh_table *dooh__db_table(const char *name) {
    for (int i = 0; i < g_ntables; i++)
        if (strcmp(g_tables[i]->name, name) == 0) return g_tables[i];
    return NULL;
}

const dooh_table *dooh__db_table_at(int i) {
    return i >= 0 && i < g_ntables ? g_tables[i] : NULL;
}

/* ---- group commit (group.h) ---- */

static sqlite3_stmt *prepare_cached(dooh_ctx *ctx, const char *sql, bool is_static, int *rc);

/* Step a statement without parameters or results once; SQLITE_OK or the failure. `st` NULL:
 * its prepare failed with rc. */
static int step_simple(sqlite3_stmt *st, int rc) {
    if (st == NULL) return rc;
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int dooh__db_simple(dooh_ctx *ctx, const char *sql) {
    int rc;
    sqlite3_stmt *st = dooh__db_prepare(ctx, sql, true, &rc);
    return step_simple(st, rc);
}

/* Run BEGIN IMMEDIATE, COMMIT or ROLLBACK inside the group logic (never commits first). */
static int group_exec(dooh_ctx *ctx, const char *sql) {
    int rc;
    sqlite3_stmt *st = prepare_cached(ctx, sql, true, &rc);
    return step_simple(st, rc);
}

static void group_failed(uint64_t g, int rc) {
    /* More than eight failed groups in one round: the oldest outcome is overwritten by
     * failure too, which still answers an error rather than a success. */
    int i = tl_grp.nfailed < 8 ? tl_grp.nfailed++ : 7;
    tl_grp.failed[i] = g;
    tl_grp.failed_rc[i] = rc;
}

static void group_commit(dooh_ctx *ctx) {
    tl_grp.open = false;
    int rc = group_exec(ctx, "COMMIT");
    if (rc != SQLITE_OK) {
        sqlite3 *db = tl_conn ? tl_conn->db : NULL;
        dooh__db_log(ctx, "cannot commit a group of writes", rc, db ? sqlite3_errmsg(db) : NULL);
        if (db && !sqlite3_get_autocommit(db)) group_exec(ctx, "ROLLBACK");
        group_failed(tl_grp.seq, rc);
    }
    pthread_mutex_unlock(&g_group_lock);
}

/* End the batch's read transaction, if one is open. */
static void snap_end(dooh_ctx *ctx) {
    tl_grp.snap = false;
    if (tl_conn && !sqlite3_get_autocommit(tl_conn->db)) group_exec(ctx, "COMMIT");
}

bool dooh__db_group_join(dooh_ctx *ctx) {
    if (!tl_grp.enabled) return false;
    if (tl_grp.snap) snap_end(ctx);
    if (!tl_grp.open) {
        /* Not joining yet: the BEGIN itself must not commit anything. */
        pthread_mutex_lock(&g_group_lock);
        if (group_exec(ctx, "BEGIN IMMEDIATE") != SQLITE_OK) {
            pthread_mutex_unlock(&g_group_lock);
            return false;
        }
        tl_grp.open = true;
        tl_grp.seq++;
    }
    tl_grp.joined = tl_grp.seq;
    tl_grp.joining = true;
    return true;
}

void dooh__db_group_stepped(int rc) {
    tl_grp.joining = false;
    if (!tl_grp.open || rc == SQLITE_ROW || rc == SQLITE_DONE) return;
    /* Some failures (full, I/O, out of memory) roll back the whole transaction, and with it
     * the writes that already answered: the group has failed. Others (a constraint) undo
     * only the statement. */
    if (tl_conn && sqlite3_get_autocommit(tl_conn->db)) {
        tl_grp.open = false;
        group_failed(tl_grp.seq, rc);
        pthread_mutex_unlock(&g_group_lock);
    }
}

static void group_enable(void) {
    tl_grp.enabled = true;
}

static uint64_t group_take(void) {
    uint64_t g = tl_grp.joined;
    tl_grp.joined = 0;
    return g;
}

static void group_round_commit(void) {
    if (tl_grp.open) group_commit(NULL);
}

static int group_status(uint64_t g) {
    for (int i = 0; i < tl_grp.nfailed; i++) {
        if (tl_grp.failed[i] != g) continue;
        int base = tl_grp.failed_rc[i] & 0xff;
        if (base == SQLITE_FULL) return 507;
        return dooh__db_errclass(tl_grp.failed_rc[i]) == DOOH_DBERR_UNAVAILABLE ? 503 : 500;
    }
    return 0;
}

static void group_forget(void) {
    tl_grp.nfailed = 0;
}

/* Requests answered from one input buffer arrived before any of them is handled, so their
 * CRUD reads may share one snapshot: every commit acknowledged before they were sent is in
 * it. That saves the two fcntl calls (and an fstat) SQLite makes to start each read
 * transaction. Any other statement ends the snapshot first. */
static void group_batch(bool on) {
    tl_grp.batch = on;
    tl_grp.reads = 0;
    if (!on && tl_grp.snap) snap_end(NULL);
}

void dooh__db_read_shared(void) {
    tl_grp.reading = tl_grp.batch;
}

static const dooh__group_ops group_ops = { group_enable, group_take, group_round_commit,
                                           group_status, group_forget, group_batch };

/* ---- the statement cache ---- */

static uint64_t fnv1a(const char *s) {
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* True when only whitespace and ';' remain (one statement per call). */
static bool only_space(const char *p) {
    for (; p && *p; p++)
        if (!isspace((unsigned char)*p) && *p != ';') return false;
    return true;
}

static sqlite3_stmt *prepare_cached(dooh_ctx *ctx, const char *sql, bool is_static, int *rc) {
    sqlite3 *db = dooh__db_conn(rc);
    if (db == NULL) {
        dooh__db_log(ctx, g_path ? "cannot open the database" : "the database is not open",
                     *rc, NULL);
        return NULL;
    }
    dbconn *c = tl_conn;
    uint64_t h = is_static ? 0 : fnv1a(sql);
    c->tick++;
    for (int i = 0; i < c->n; i++) {
        stmt_entry *e = &c->e[i];
        if (is_static ? e->key == sql : (e->text && e->hash == h && strcmp(e->text, sql) == 0)) {
            e->used = c->tick;
            return e->st;
        }
    }
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    *rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, &tail);
    if (*rc != SQLITE_OK) {
        dooh__db_log(ctx, "cannot prepare a statement", *rc, sqlite3_errmsg(db));
        return NULL;
    }
    if (st == NULL || !only_space(tail)) {
        sqlite3_finalize(st);
        *rc = SQLITE_ERROR;
        dooh__db_log(ctx, "cannot prepare a statement", *rc,
                     st ? "only one statement per call" : "the statement is empty");
        return NULL;
    }
    char *text = NULL;
    if (!is_static && (text = strdup(sql)) == NULL) {
        sqlite3_finalize(st);
        *rc = SQLITE_NOMEM;
        return NULL;
    }
    int slot = c->n;
    if (c->n == STMT_CACHE_MAX) {
        /* Full: evict the least recently used statement. */
        slot = 0;
        for (int i = 1; i < c->n; i++)
            if (c->e[i].used < c->e[slot].used) slot = i;
        sqlite3_finalize(c->e[slot].st);
        free(c->e[slot].text);
    } else {
        c->n++;
    }
    c->e[slot] = (stmt_entry){ is_static ? sql : NULL, text, h, st, c->tick };
    return st;
}

sqlite3_stmt *dooh__db_prepare(dooh_ctx *ctx, const char *sql, bool is_static, int *rc) {
    if (tl_grp.open && !tl_grp.joining) group_commit(ctx);
    bool reading = tl_grp.reading;
    tl_grp.reading = false;
    if (tl_grp.snap && !reading) snap_end(ctx);
    /* From the second read on: a lone request pays no BEGIN and COMMIT. */
    if (reading && ++tl_grp.reads >= 2 && !tl_grp.snap && tl_conn &&
        sqlite3_get_autocommit(tl_conn->db) && group_exec(ctx, "BEGIN") == SQLITE_OK)
        tl_grp.snap = true;
    return prepare_cached(ctx, sql, is_static, rc);
}

void dooh__db_done(sqlite3_stmt *st) {
    if (st == NULL) return;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

int dooh__db_bind(sqlite3_stmt *st, int i, const dooh_dbv *v) {
    switch (v->type) {
    case DOOH_DBV_INT: return sqlite3_bind_int64(st, i, v->i);
    case DOOH_DBV_FLOAT: return sqlite3_bind_double(st, i, v->f);
    case DOOH_DBV_TEXT:
        if (v->s.len > 0x7fffffff) return SQLITE_RANGE;
        return sqlite3_bind_text(st, i, v->s.ptr ? v->s.ptr : "", (int)v->s.len,
                                 SQLITE_TRANSIENT);
    default: return sqlite3_bind_null(st, i);
    }
}

/* ---- typed SQL for handlers ---- */

/* Bind params[0..n) to `$k` (or `?k`, or anonymous `?` by position) placeholders. Every
 * placeholder must name a value and every value must be used; returns false otherwise. */
static bool bind_dollars(dooh_ctx *ctx, sqlite3_stmt *st, const dooh_dbv *params, int n) {
    int count = sqlite3_bind_parameter_count(st);
    bool *used = n > 0 ? dooh_alloc(ctx, (size_t)n) : NULL;
    if (n > 0) memset(used, 0, (size_t)n);
    for (int i = 1; i <= count; i++) {
        const char *name = sqlite3_bind_parameter_name(st, i);
        long k = i;
        if (name != NULL) {
            char *end;
            if ((name[0] != '$' && name[0] != '?') || !isdigit((unsigned char)name[1])) return false;
            k = strtol(name + 1, &end, 10);
            if (*end) return false;
        }
        if (k < 1 || k > n) return false;
        used[k - 1] = true;
        if (dooh__db_bind(st, i, &params[k - 1]) != SQLITE_OK) return false;
    }
    for (int k = 0; k < n; k++)
        if (!used[k]) return false;
    return true;
}

/* Prepare and bind a handler's statement; NULL with *err set (already logged) on failure. */
static sqlite3_stmt *handler_stmt(dooh_ctx *ctx, const char *sql, const dooh_dbv *params, int n,
                                  int *err) {
    int rc;
    sqlite3_stmt *st = dooh__db_prepare(ctx, sql, true, &rc);
    if (st == NULL) {
        *err = dooh__db_errclass(rc) == DOOH_DBERR_UNAVAILABLE ? DOOH_DBERR_UNAVAILABLE
                                                                : DOOH_DBERR_INTERNAL;
        return NULL;
    }
    if (n < 0 || !bind_dollars(ctx, st, params, n)) {
        dooh__db_done(st);
        dooh__db_log(ctx, "query parameters do not match its placeholders", SQLITE_RANGE,
                     "placeholder count mismatch");
        *err = DOOH_DBERR_INTERNAL;
        return NULL;
    }
    return st;
}

/* The class of a failed step, logged unless it is a plain constraint or busy signal. */
static int step_error(dooh_ctx *ctx, sqlite3_stmt *st, int rc) {
    int cls = dooh__db_errclass(rc);
    sqlite3 *db = tl_conn ? tl_conn->db : NULL;
    dooh__db_log(ctx, "database error", rc, db ? sqlite3_errmsg(db) : NULL);
    dooh__db_done(st);
    return cls;
}

/* Copy the current row's cells into out[0..ncols). */
static void copy_row(dooh_ctx *ctx, sqlite3_stmt *st, int ncols, dooh_dbv *out) {
    for (int j = 0; j < ncols; j++) {
        dooh_dbv *v = &out[j];
        *v = (dooh_dbv){ DOOH_DBV_NULL, 0, 0.0, DOOH_NULL_STR };
        switch (sqlite3_column_type(st, j)) {
        case SQLITE_INTEGER:
            v->type = DOOH_DBV_INT;
            v->i = sqlite3_column_int64(st, j);
            break;
        case SQLITE_FLOAT:
            v->type = DOOH_DBV_FLOAT;
            v->f = sqlite3_column_double(st, j);
            break;
        case SQLITE_TEXT:
        case SQLITE_BLOB: {
            const unsigned char *p = sqlite3_column_text(st, j);
            int len = sqlite3_column_bytes(st, j);
            v->type = DOOH_DBV_TEXT;
            v->s = dooh_str_copy(ctx, p ? (const char *)p : "", (size_t)len);
            break;
        }
        default:
            break;
        }
    }
}

int dooh_db_query(dooh_ctx *ctx, const char *sql, const dooh_dbv *params, int n, dooh_rows *out) {
    int err;
    *out = (dooh_rows){ 0, NULL, 0, NULL };
    sqlite3_stmt *st = handler_stmt(ctx, sql, params, n, &err);
    if (st == NULL) return err;
    int ncols = sqlite3_column_count(st);
    dooh_str *names = dooh_alloc(ctx, sizeof *names * (size_t)(ncols > 0 ? ncols : 1));
    for (int j = 0; j < ncols; j++) {
        const char *nm = sqlite3_column_name(st, j);
        names[j] = dooh_str_copy(ctx, nm ? nm : "", nm ? strlen(nm) : 0);
    }
    int64_t nrows = 0, cap = 0;
    dooh_dbv *cells = NULL;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (nrows == cap) {
            int64_t ncap = cap ? cap * 2 : 16;
            dooh_dbv *grown = dooh_alloc(ctx, sizeof *grown * (size_t)(ncap * (ncols ? ncols : 1)));
            if (nrows) memcpy(grown, cells, sizeof *grown * (size_t)(nrows * ncols));
            cells = grown;
            cap = ncap;
        }
        copy_row(ctx, st, ncols, cells + nrows * ncols);
        nrows++;
    }
    if (rc != SQLITE_DONE) return step_error(ctx, st, rc);
    dooh__db_done(st);
    *out = (dooh_rows){ ncols, names, nrows, cells };
    return DOOH_DBERR_NONE;
}

int dooh_db_exec(dooh_ctx *ctx, const char *sql, const dooh_dbv *params, int n, int64_t *changes) {
    int err, rc;
    *changes = 0;
    sqlite3_stmt *st = handler_stmt(ctx, sql, params, n, &err);
    if (st == NULL) return err;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {}
    if (rc != SQLITE_DONE) return step_error(ctx, st, rc);
    dooh__db_done(st);
    *changes = sqlite3_changes(tl_conn->db);
    return DOOH_DBERR_NONE;
}

/* "AuthorId" → "author_id", "HTTPCode" → "http_code" (as the compiler names columns). */
static const char *snake(char *out, size_t cap, const char *s) {
    size_t o = 0, n = strlen(s);
    for (size_t i = 0; i < n && o + 2 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isupper(c) && i > 0) {
            unsigned char p = (unsigned char)s[i - 1];
            bool next_lower = i + 1 < n && islower((unsigned char)s[i + 1]);
            if (islower(p) || isdigit(p) || (isupper(p) && next_lower)) out[o++] = '_';
        }
        out[o++] = (char)tolower(c);
    }
    out[o] = '\0';
    return out;
}

static bool str_eq_cstr(dooh_str a, const char *b, bool fold) {
    size_t n = strlen(b);
    if ((size_t)a.len != n) return false;
    if (!fold) return memcmp(a.ptr, b, n) == 0;
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)a.ptr[i]) != tolower((unsigned char)b[i])) return false;
    return true;
}

int dooh_rows_col(const dooh_rows *r, const char *name) {
    char sn[256];
    snake(sn, sizeof sn, name);
    for (int pass = 0; pass < 3; pass++)
        for (int j = 0; j < r->ncols; j++) {
            if (pass == 0 && str_eq_cstr(r->names[j], name, false)) return j;
            if (pass == 1 && str_eq_cstr(r->names[j], sn, false)) return j;
            if (pass == 2 && str_eq_cstr(r->names[j], name, true)) return j;
        }
    return -1;
}

/* ---- schema ---- */

static const char *col_sql_type(const dooh_column *c) {
    switch (c->type) {
    case DOOH_COL_FLOAT: return "REAL";
    case DOOH_COL_TEXT: case DOOH_COL_ENUM: return "TEXT";
    default: return "INTEGER";
    }
}

const char *dooh__schema_sql(dooh_ctx *ctx, const dooh_table *t) {
    dooh_buf b;
    dooh_buf_init(&b);
    dooh_buf_lit(&b, "CREATE TABLE IF NOT EXISTS ");
    dooh__sql_ident(&b, t->name);
    dooh_buf_lit(&b, " (");
    for (int i = 0; i < t->ncols; i++) {
        const dooh_column *c = &t->cols[i];
        if (i) dooh_buf_lit(&b, ", ");
        dooh__sql_ident(&b, c->column);
        dooh_buf_putc(&b, ' ');
        dooh_buf_put(&b, col_sql_type(c), strlen(col_sql_type(c)));
        if (i == t->pk) {
            dooh_buf_lit(&b, " PRIMARY KEY");
            if (c->flags & DOOH_COL_AUTO) dooh_buf_lit(&b, " AUTOINCREMENT");
            continue;
        }
        if (!(c->flags & DOOH_COL_OPTIONAL)) dooh_buf_lit(&b, " NOT NULL");
        if (c->flags & DOOH_COL_UNIQUE) dooh_buf_lit(&b, " UNIQUE");
        if (c->default_sql) {
            dooh_buf_lit(&b, " DEFAULT ");
            dooh_buf_put(&b, c->default_sql, strlen(c->default_sql));
        }
        if (c->type == DOOH_COL_BOOL) {
            dooh_buf_lit(&b, " CHECK (");
            dooh__sql_ident(&b, c->column);
            dooh_buf_lit(&b, " IN (0, 1))");
        } else if (c->type == DOOH_COL_ENUM) {
            dooh_buf_lit(&b, " CHECK (");
            dooh__sql_ident(&b, c->column);
            dooh_buf_lit(&b, " IN (");
            for (int k = 0; k < c->nvariants; k++) {
                if (k) dooh_buf_lit(&b, ", ");
                dooh__sql_text(&b, c->variants[k]);
            }
            dooh_buf_lit(&b, "))");
        }
        if (c->foreign_table) {
            const dooh_table *ft = dooh__db_table(c->foreign_table);
            dooh_buf_lit(&b, " REFERENCES ");
            dooh__sql_ident(&b, c->foreign_table);
            if (ft) {
                dooh_buf_putc(&b, '(');
                dooh__sql_ident(&b, ft->cols[ft->pk].column);
                dooh_buf_putc(&b, ')');
            }
        }
    }
    dooh_buf_putc(&b, ')');
    return buf_take(ctx, &b);
}

static bool ieq(const char *a, const char *b) {
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return false;
    return *a == *b;
}

/* One existing column as PRAGMA table_info reports it. */
typedef struct tcol {
    char name[128], type[32];
    bool notnull, pk, seen;
} tcol;

#define MAX_TCOLS 256

/* Compare an existing table with its struct; writes the first difference into msg. */
static bool schema_matches(const dooh_table *t, tcol *tc, int ntc, char *msg, size_t cap) {
    static const char *const tail = "; migrations are not supported yet";
    for (int i = 0; i < t->ncols; i++) {
        const dooh_column *c = &t->cols[i];
        tcol *x = NULL;
        for (int j = 0; j < ntc && !x; j++)
            if (ieq(tc[j].name, c->column)) x = &tc[j];
        if (x == NULL) {
            snprintf(msg, cap, "table %s has no column %s (struct %s has field %s)%s", t->name,
                     c->column, t->struct_name, c->field, tail);
            return false;
        }
        x->seen = true;
        if (!ieq(x->type, col_sql_type(c))) {
            snprintf(msg, cap, "column %s.%s is %s but struct %s field %s needs %s%s", t->name,
                     c->column, x->type[0] ? x->type : "untyped", t->struct_name, c->field,
                     col_sql_type(c), tail);
            return false;
        }
        if (x->pk != (i == t->pk)) {
            snprintf(msg, cap, "column %s.%s %s the primary key but struct %s field %s %s%s",
                     t->name, c->column, x->pk ? "is" : "is not", t->struct_name, c->field,
                     i == t->pk ? "is" : "is not", tail);
            return false;
        }
        bool optional = (c->flags & DOOH_COL_OPTIONAL) != 0;
        if (i != t->pk && x->notnull == optional) {
            snprintf(msg, cap, "column %s.%s %s but struct %s field %s is %s%s", t->name,
                     c->column, x->notnull ? "is NOT NULL" : "allows NULL", t->struct_name,
                     c->field, optional ? "optional" : "required", tail);
            return false;
        }
    }
    for (int j = 0; j < ntc; j++)
        if (!tc[j].seen) {
            snprintf(msg, cap, "table %s has a column %s that struct %s does not have%s",
                     t->name, tc[j].name, t->struct_name, tail);
            return false;
        }
    return true;
}

/* Read PRAGMA table_info for t into tc; returns the column count (0: no table) or -1. */
static int table_info(sqlite3 *db, const dooh_table *t, tcol *tc, char *msg, size_t cap) {
    dooh_buf b;
    sqlite3_stmt *st = NULL;
    int n = 0, rc;
    dooh_buf_init(&b);
    dooh_buf_lit(&b, "PRAGMA table_info(");
    dooh__sql_ident(&b, t->name);
    dooh_buf_lit(&b, ")");
    dooh_buf_putc(&b, '\0');
    rc = sqlite3_prepare_v3(db, b.p, -1, 0, &st, NULL);
    dooh_buf_free(&b);
    if (rc != SQLITE_OK) goto fail;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == MAX_TCOLS) continue;
        const char *name = (const char *)sqlite3_column_text(st, 1);
        const char *type = (const char *)sqlite3_column_text(st, 2);
        tc[n] = (tcol){ .notnull = sqlite3_column_int64(st, 3) != 0,
                        .pk = sqlite3_column_int64(st, 5) != 0 };
        snprintf(tc[n].name, sizeof tc[n].name, "%s", name ? name : "");
        snprintf(tc[n].type, sizeof tc[n].type, "%s", type ? type : "");
        n++;
    }
    if (rc != SQLITE_DONE) goto fail;
    sqlite3_finalize(st);
    return n;
fail:
    snprintf(msg, cap, "cannot read table %s: %s", t->name, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return -1;
}

/* Create every missing table and check every existing one, in one transaction. */
static bool ensure_schema(dooh_ctx *ctx, sqlite3 *db, char *msg, size_t cap) {
    tcol *tc = malloc(sizeof *tc * MAX_TCOLS);
    bool ok = false;
    int rc;
    if (tc == NULL) {
        snprintf(msg, cap, "out of memory");
        return false;
    }
    if ((rc = exec_simple(db, "BEGIN IMMEDIATE")) != SQLITE_OK) {
        snprintf(msg, cap, "cannot start a transaction: %s", sqlite3_errmsg(db));
        goto done;
    }
    for (int i = 0; i < g_ntables; i++) {
        const dooh_table *t = g_tables[i];
        int n = table_info(db, t, tc, msg, cap);
        if (n < 0) goto rollback;
        if (n > 0) {
            if (!schema_matches(t, tc, n, msg, cap)) goto rollback;
            continue;
        }
        if ((rc = exec_simple(db, dooh__schema_sql(ctx, t))) != SQLITE_OK) {
            snprintf(msg, cap, "cannot create table %s: %s", t->name, sqlite3_errmsg(db));
            goto rollback;
        }
    }
    if ((rc = exec_simple(db, "COMMIT")) != SQLITE_OK) {
        snprintf(msg, cap, "cannot create the tables: %s", sqlite3_errmsg(db));
        goto rollback;
    }
    ok = true;
    goto done;
rollback:
    exec_simple(db, "ROLLBACK");
done:
    free(tc);
    return ok;
}

/* ---- configuration ---- */

/* The database path from `path` or DATABASE_URL; NULL with msg set when refused. */
static char *db_path(const char *path, char *msg, size_t cap) {
    const char *url = path;
    if (url == NULL) {
        url = getenv("DATABASE_URL");
        if (url == NULL || url[0] == '\0') url = "sqlite:app.db";
        if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0) {
            /* The URL may carry a password: name only its scheme. */
            snprintf(msg, cap, "PostgreSQL is not supported yet (DATABASE_URL=%.*s…); "
                     "use sqlite:path", strncmp(url, "postgresql://", 13) == 0 ? 13 : 11, url);
            return NULL;
        }
        if (strncmp(url, "sqlite:", 7) != 0) {
            snprintf(msg, cap, "DATABASE_URL must be sqlite:path (or postgres://…, not "
                     "supported yet)");
            return NULL;
        }
        url += 7;
        if (strncmp(url, "//", 2) == 0) url += 2; /* sqlite://app.db, sqlite:///abs/app.db */
    }
    if (url[0] == '\0' || strcmp(url, ":memory:") == 0) {
        snprintf(msg, cap, "the database path must name a file (each thread would get its own "
                 "empty in-memory database)");
        return NULL;
    }
    char *p = strdup(url);
    if (p == NULL) snprintf(msg, cap, "out of memory");
    return p;
}

/* Read DOO_DB_BUSY_TIMEOUT_MS and DOO_DB_SYNC; false with msg naming a bad value. */
static bool read_settings(char *msg, size_t cap) {
    const char *v = getenv("DOO_DB_BUSY_TIMEOUT_MS");
    g_busy_ms = 5000;
    g_sync = "NORMAL";
    if (v != NULL) {
        char *end;
        long ms = strtol(v, &end, 10);
        if (!isdigit((unsigned char)v[0]) || *end || ms > 600000) {
            snprintf(msg, cap, "DOO_DB_BUSY_TIMEOUT_MS must be milliseconds from 0 to 600000");
            return false;
        }
        g_busy_ms = (int)ms;
    }
    v = getenv("DOO_DB_GROUP_COMMIT");
    g_group = true;
    if (v != NULL) {
        if (ieq(v, "on") || ieq(v, "1")) g_group = true;
        else if (ieq(v, "off") || ieq(v, "0")) g_group = false;
        else {
            snprintf(msg, cap, "DOO_DB_GROUP_COMMIT must be on or off");
            return false;
        }
    }
    v = getenv("DOO_DB_SYNC");
    if (v != NULL) {
        if (ieq(v, "full")) g_sync = "FULL";
        else if (ieq(v, "normal")) g_sync = "NORMAL";
        else {
            snprintf(msg, cap, "DOO_DB_SYNC must be full or normal");
            return false;
        }
    }
    return true;
}

/* Switch the file to WAL (persistent); false with msg if the file system refuses. */
static bool set_wal(sqlite3 *db, char *msg, size_t cap) {
    sqlite3_stmt *st = NULL;
    bool ok = false;
    int rc = sqlite3_prepare_v3(db, "PRAGMA journal_mode=WAL", -1, 0, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *mode = (const char *)sqlite3_column_text(st, 0);
        ok = mode && ieq(mode, "wal");
        if (!ok) snprintf(msg, cap, "cannot use WAL mode on %s (journal mode stays %s)", g_path,
                          mode ? mode : "unknown");
    } else {
        snprintf(msg, cap, "cannot open %s: %s", g_path, sqlite3_errmsg(db));
    }
    sqlite3_finalize(st);
    return ok;
}

bool dooh_db_open(const char *path, const dooh_table *const *tables, int ntables) {
    char msg[512] = "";
    int rc;
    dooh_ctx ctx;
    bool ok = false;
    dooh_ctx_init(&ctx);
    if (sqlite3_libversion_number() < MIN_SQLITE) {
        snprintf(msg, sizeof msg, "SQLite %s is too old: doo needs 3.35 or newer",
                 sqlite3_libversion());
        goto done;
    }
    if (!read_settings(msg, sizeof msg)) goto done;
    dooh__db_thread_close();
    free(g_path);
    if ((g_path = db_path(path, msg, sizeof msg)) == NULL) goto done;
    g_tables = tables;
    g_ntables = ntables;
    sqlite3 *db = dooh__db_conn(&rc);
    if (db == NULL) {
        snprintf(msg, sizeof msg, "cannot open %s: %s", g_path, sqlite3_errstr(rc));
        goto fail;
    }
    if (!set_wal(db, msg, sizeof msg)) goto fail;
    if (!ensure_schema(&ctx, db, msg, sizeof msg)) goto fail;
    ok = true;
    dooh__group = g_group ? &group_ops : NULL;
    goto done;
fail:
    dooh__db_thread_close();
    free(g_path);
    g_path = NULL;
done:
    if (!ok) fprintf(stderr, "doo: database: %s\n", msg);
    dooh_ctx_free(&ctx);
    return ok;
}
