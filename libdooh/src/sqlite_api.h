/* sqlite_api.h — the few SQLite prototypes and constants libdooh uses, declared here so that
 * building a program needs no sqlite3.h (no -dev package): native builds link the system's
 * libsqlite3.so.0 by path, static builds link SQLite compiled from its amalgamation
 * (doo/backend_c/toolchain.py). The declarations are copied from SQLite's stable C API
 * (https://sqlite.org/c3ref/intro.html); every function here exists since 3.20 at the latest.
 */
#ifndef DOOH_SQLITE_API_H
#define DOOH_SQLITE_API_H

typedef struct sqlite3 sqlite3;
typedef struct sqlite3_stmt sqlite3_stmt;
typedef long long sqlite3_int64;

#define SQLITE_OK 0
#define SQLITE_ERROR 1
#define SQLITE_INTERNAL 2
#define SQLITE_NOMEM 7
#define SQLITE_BUSY 5
#define SQLITE_LOCKED 6
#define SQLITE_READONLY 8
#define SQLITE_IOERR 10
#define SQLITE_CORRUPT 11
#define SQLITE_FULL 13
#define SQLITE_CANTOPEN 14
#define SQLITE_PROTOCOL 15
#define SQLITE_CONSTRAINT 19
#define SQLITE_MISMATCH 20
#define SQLITE_RANGE 25
#define SQLITE_ROW 100
#define SQLITE_DONE 101
#define SQLITE_CONSTRAINT_FOREIGNKEY (SQLITE_CONSTRAINT | (3 << 8))
#define SQLITE_CONSTRAINT_PRIMARYKEY (SQLITE_CONSTRAINT | (6 << 8))
#define SQLITE_CONSTRAINT_UNIQUE (SQLITE_CONSTRAINT | (8 << 8))

#define SQLITE_OPEN_READWRITE 0x00000002
#define SQLITE_OPEN_CREATE 0x00000004
#define SQLITE_OPEN_NOMUTEX 0x00008000
#define SQLITE_PREPARE_PERSISTENT 0x01

#define SQLITE_INTEGER 1
#define SQLITE_FLOAT 2
#define SQLITE_TEXT 3
#define SQLITE_BLOB 4
#define SQLITE_NULL 5

#define SQLITE_TRANSIENT ((void (*)(void *))-1)

int sqlite3_libversion_number(void);
const char *sqlite3_libversion(void);
int sqlite3_open_v2(const char *filename, sqlite3 **db, int flags, const char *vfs);
int sqlite3_close_v2(sqlite3 *db);
int sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **),
                 void *arg, char **errmsg);
int sqlite3_busy_handler(sqlite3 *db, int (*fn)(void *, int), void *arg);
int sqlite3_extended_result_codes(sqlite3 *db, int onoff);
int sqlite3_prepare_v3(sqlite3 *db, const char *sql, int nbyte, unsigned int flags,
                       sqlite3_stmt **stmt, const char **tail);
int sqlite3_bind_parameter_count(sqlite3_stmt *st);
const char *sqlite3_bind_parameter_name(sqlite3_stmt *st, int i);
int sqlite3_bind_int64(sqlite3_stmt *st, int i, sqlite3_int64 v);
int sqlite3_bind_double(sqlite3_stmt *st, int i, double v);
int sqlite3_bind_text(sqlite3_stmt *st, int i, const char *v, int n, void (*destructor)(void *));
int sqlite3_bind_null(sqlite3_stmt *st, int i);
int sqlite3_step(sqlite3_stmt *st);
int sqlite3_reset(sqlite3_stmt *st);
int sqlite3_clear_bindings(sqlite3_stmt *st);
int sqlite3_finalize(sqlite3_stmt *st);
int sqlite3_column_count(sqlite3_stmt *st);
const char *sqlite3_column_name(sqlite3_stmt *st, int i);
int sqlite3_column_type(sqlite3_stmt *st, int i);
sqlite3_int64 sqlite3_column_int64(sqlite3_stmt *st, int i);
double sqlite3_column_double(sqlite3_stmt *st, int i);
const unsigned char *sqlite3_column_text(sqlite3_stmt *st, int i);
int sqlite3_column_bytes(sqlite3_stmt *st, int i);
int sqlite3_changes(sqlite3 *db);
int sqlite3_get_autocommit(sqlite3 *db);
const char *sqlite3_errmsg(sqlite3 *db);
const char *sqlite3_errstr(int rc);
int sqlite3_extended_errcode(sqlite3 *db);
void sqlite3_free(void *p);

#endif
