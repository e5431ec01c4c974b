/* crud.c — the six endpoints of `app.crud(path, T, db)` (http.md §3), driven by the table's
 * descriptor.
 *
 *   GET    /tasks      200 {"data":[…]} + Content-Range       (dbquery.c compiles the query)
 *   POST   /tasks      201 {"data":{…}} + Location: /tasks/7  (absent @default fields: SQLite's)
 *   GET    /tasks/:id  200 {"data":{…}} | 404
 *   PUT    /tasks/:id  200 | 404   full replacement: what is absent becomes its default/null
 *   PATCH  /tasks/:id  200 | 404   only the fields sent
 *   DELETE /tasks/:id  204 | 404
 *
 * A write reads the body as JSON (415 if it is not declared JSON, 400 if it is malformed or
 * not an object), checks every field with the same rules as generated decoders and answers
 * all failures in one 422. Statements end in RETURNING, so a write and the row it answers
 * with are one statement. Failures: unique and foreign-key violations are 409 naming the
 * field, busy 503, full 507, anything else 500 logged with the request id.
 */
#include <stdio.h>
#include <string.h>

#include "db_internal.h"
#include "dooh/json.h"


enum { W_SKIP, W_VALUE, W_DEFAULT }; /* what a write does with a column */
enum { MODE_CREATE, MODE_REPLACE, MODE_UPDATE };

typedef dooh__wcol wcol;

/* Auth's hook (db_internal.h): NULL until dooh_auth_open succeeds. */
dooh__crud_auth_fn dooh__crud_auth;

/* ---- rows ---- */

void dooh__row_json(dooh_buf *b, sqlite3_stmt *st, const dooh_table *t, const int *cols, int n) {
    dooh_buf_putc(b, '{');
    for (int i = 0; i < n; i++) {
        const dooh_column *c = &t->cols[cols[i]];
        if (i) dooh_buf_putc(b, ',');
        dooh_json_str(b, dooh_str_from_cstr(c->field));
        dooh_buf_putc(b, ':');
        if (sqlite3_column_type(st, i) == SQLITE_NULL) {
            dooh_json_null(b);
            continue;
        }
        switch (c->type) {
        case DOOH_COL_INT: dooh_json_i64(b, sqlite3_column_int64(st, i)); break;
        case DOOH_COL_FLOAT: dooh_json_f64(b, sqlite3_column_double(st, i)); break;
        case DOOH_COL_BOOL: dooh_json_bool(b, sqlite3_column_int64(st, i) != 0); break;
        default: {
            const unsigned char *p = sqlite3_column_text(st, i);
            int len = sqlite3_column_bytes(st, i);
            dooh_json_str(b, (dooh_str){ p ? (const char *)p : "", len });
        }
        }
    }
    dooh_buf_putc(b, '}');
}

/* The columns a response shows (declaration order), then the key if it is hidden; *nout is
 * the count shown. */
static int *output_cols(dooh_ctx *ctx, const dooh_table *t, int *nout, int *nall) {
    int *cols = dooh_alloc(ctx, sizeof *cols * (size_t)(t->ncols + 1));
    int n = 0;
    bool pk_shown = false;
    for (int i = 0; i < t->ncols; i++)
        if (!(t->cols[i].flags & DOOH_COL_NO_OUTPUT)) {
            cols[n++] = i;
            pk_shown |= i == t->pk;
        }
    *nout = n;
    if (!pk_shown) cols[n++] = t->pk;
    *nall = n;
    return cols;
}

int *dooh__crud_output_cols(dooh_ctx *ctx, const dooh_table *t, int *nout, int *nall) {
    return output_cols(ctx, t, nout, nall);
}

static void append_returning(dooh_buf *b, const dooh_table *t, const int *cols, int n) {
    dooh_buf_lit(b, " RETURNING ");
    dooh__sql_select_list(b, t, cols, n);
}

static const char *buf_cstr(dooh_ctx *ctx, dooh_buf *b) {
    const char *s = dooh_str_cstr(ctx, (dooh_str){ b->p, (int64_t)b->len });
    dooh_buf_free(b);
    return s;
}

/* ---- request pieces ---- */

/* The row id from the route's last path parameter; 400 when it is not an int64. */
static bool row_id(dooh_ctx *ctx, dooh_request *req, dooh_response *res, int64_t *id) {
    dooh_str s = req->nparams > 0 ? req->params[req->nparams - 1] : DOOH_LIT("");
    if (dooh_parse_i64(s, id)) return true;
    dooh_res_problem(ctx, res, 400, DOOH_LIT("id must be an integer"));
    return false;
}

static void type_error(dooh_ctx *ctx, const dooh_column *c, const char *code, const char *msg) {
    dooh_verr_add(ctx, c->field, code, dooh_str_from_cstr(msg), NULL, 0);
}

/* "must be one of: Low, Medium, High" */
static dooh_str enum_message(dooh_ctx *ctx, const dooh_column *c) {
    dooh_buf b;
    dooh_buf_init(&b);
    dooh_buf_lit(&b, "must be one of: ");
    for (int k = 0; k < c->nvariants; k++) {
        if (k) dooh_buf_lit(&b, ", ");
        dooh_buf_put(&b, c->variants[k], strlen(c->variants[k]));
    }
    return dooh_str_from_cstr(buf_cstr(ctx, &b));
}

/* Decode and check one present, non-null JSON value for column c. */
static void decode_value(dooh_ctx *ctx, const dooh_column *c, const dooh_jv *v, wcol *w) {
    w->state = W_VALUE;
    w->v = (dooh_dbv){ DOOH_DBV_NULL, 0, 0.0, DOOH_NULL_STR };
    switch (c->type) {
    case DOOH_COL_INT:
        if (v->type != DOOH_JNUM || !v->is_int) type_error(ctx, c, "type", "must be an integer");
        else if (!dooh_jv_as_i64(v, &w->v.i))
            type_error(ctx, c, "range", "is out of range for a 64-bit integer");
        else {
            w->v.type = DOOH_DBV_INT;
            dooh_check_i64(ctx, c->field, w->v.i, &c->rules);
        }
        break;
    case DOOH_COL_FLOAT:
        if (v->type != DOOH_JNUM) type_error(ctx, c, "type", "must be a number");
        else if (!dooh_jv_as_f64(v, &w->v.f))
            type_error(ctx, c, "range", "is out of range for a 64-bit float");
        else {
            w->v.type = DOOH_DBV_FLOAT;
            dooh_check_f64(ctx, c->field, w->v.f, &c->rules);
        }
        break;
    case DOOH_COL_BOOL:
        if (v->type != DOOH_JBOOL) type_error(ctx, c, "type", "must be true or false");
        else w->v = (dooh_dbv){ DOOH_DBV_INT, v->b, 0.0, DOOH_NULL_STR };
        break;
    case DOOH_COL_ENUM: {
        bool known = false;
        for (int k = 0; v->type == DOOH_JSTR && k < c->nvariants; k++)
            known |= dooh_str_eq(v->s, dooh_str_from_cstr(c->variants[k]));
        if (!known)
            dooh_verr_add(ctx, c->field, v->type == DOOH_JSTR ? "enum" : "type",
                          enum_message(ctx, c), NULL, 0);
        else w->v = (dooh_dbv){ DOOH_DBV_TEXT, 0, 0.0, v->s };
        break;
    }
    default:
        if (v->type != DOOH_JSTR) type_error(ctx, c, "type", "must be a string");
        else {
            w->v = (dooh_dbv){ DOOH_DBV_TEXT, 0, 0.0, v->s };
            dooh_check_str(ctx, c->field, v->s, &c->rules);
        }
    }
}

/* What a write does with a column the body leaves out (or sends as null). */
static void absent(dooh_ctx *ctx, const dooh_column *c, int mode, bool sent_null, wcol *w) {
    bool optional = (c->flags & DOOH_COL_OPTIONAL) != 0;
    w->v = (dooh_dbv){ DOOH_DBV_NULL, 0, 0.0, DOOH_NULL_STR };
    if (mode == MODE_UPDATE && !sent_null) w->state = W_SKIP;
    else if (optional && (sent_null || !c->default_sql)) w->state = W_VALUE;
    else if (c->default_sql && !(mode == MODE_UPDATE && sent_null))
        w->state = mode == MODE_CREATE ? W_SKIP : W_DEFAULT;
    else if (sent_null) type_error(ctx, c, "type", "must not be null");
    else type_error(ctx, c, "required", "is required");
}

/* The password of a signup (the @hash column, read only `with_hash`): present, a string,
 * not empty and at most DOOH_PASSWORD_MAX bytes, checked before the column's own rules so a
 * huge one costs nothing more. */
static void decode_password(dooh_ctx *ctx, const dooh_column *c, const dooh_jv *v, wcol *w) {
    if (v->type == DOOH_JSTR && v->s.len == 0) {
        type_error(ctx, c, "required", "must not be empty");
    } else if (v->type == DOOH_JSTR && v->s.len > DOOH_PASSWORD_MAX) {
        dooh_verr_add(ctx, c->field, "max", DOOH_LIT("must be at most 1024 bytes"), "max",
                      DOOH_PASSWORD_MAX);
    } else {
        decode_value(ctx, c, v, w);
    }
}

/* Read the JSON body into w[] (one per column). On failure the response is set (415, 400 or
 * 422 listing every failing field) and false returned. */
static bool read_body(dooh_ctx *ctx, dooh_request *req, dooh_response *res, const dooh_table *t,
                      int mode, bool with_hash, wcol *w) {
    dooh_jv *obj = NULL;
    dooh_str err;
    if (!dooh_req_is_json(req)) {
        dooh_res_problem(ctx, res, 415, DOOH_LIT("Content-Type must be application/json"));
        return false;
    }
    if (dooh_json_parse(ctx, req->body.ptr ? req->body.ptr : "", (size_t)req->body.len,
                        dooh_json_max_depth(), &obj, &err) != 0) {
        dooh_str parts[2] = { DOOH_LIT("malformed JSON: "), err };
        dooh_res_problem(ctx, res, 400, dooh_str_cat(ctx, 2, parts));
        return false;
    }
    if (obj->type != DOOH_JOBJ) {
        dooh_res_problem(ctx, res, 400, DOOH_LIT("the body must be a JSON object"));
        return false;
    }
    for (int64_t k = 0; k < obj->n; k++) {
        bool known = false;
        for (int i = 0; i < t->ncols && !known; i++)
            known = dooh_str_eq(obj->keys[k], dooh_str_from_cstr(t->cols[i].field));
        if (!known) {
            dooh_str parts[2] = { DOOH_LIT("is not a field of "),
                                  dooh_str_from_cstr(t->struct_name) };
            dooh_verr_add(ctx, dooh_str_cstr(ctx, obj->keys[k]), "unknown",
                          dooh_str_cat(ctx, 2, parts), NULL, 0);
        }
    }
    for (int i = 0; i < t->ncols; i++) {
        const dooh_column *c = &t->cols[i];
        w[i] = (wcol){ W_SKIP, { DOOH_DBV_NULL, 0, 0.0, DOOH_NULL_STR } };
        /* @hash fields are set by the auth layer (Argon2id), never stored as sent: only
         * signup reads them (with_hash), and hashes the value before it is stored. */
        if (c->flags & DOOH_COL_NO_INPUT) continue;
        if ((c->flags & DOOH_COL_HASH) && !with_hash) continue;
        const dooh_jv *v = dooh_jv_get(obj, c->field, strlen(c->field));
        if (v == NULL || v->type == DOOH_JNULL) absent(ctx, c, mode, v != NULL, &w[i]);
        else if (c->flags & DOOH_COL_HASH) decode_password(ctx, c, v, &w[i]);
        else decode_value(ctx, c, v, &w[i]);
    }
    if (ctx->nverrs == 0) return true;
    dooh_str d = ctx->nverrs == 1 ? DOOH_LIT("1 field failed validation")
        : dooh_str_cat(ctx, 2, (dooh_str[]){ dooh_i64_to_str(ctx, ctx->nverrs),
                                             DOOH_LIT(" fields failed validation") });
    dooh_res_problem(ctx, res, 422, d);
    return false;
}

/* ---- failures ---- */

/* UNIQUE: SQLite names the column ("UNIQUE constraint failed: tasks.title"). */
static int unique_col(const dooh_table *t, const char *msg) {
    const char *p = msg ? strstr(msg, "failed: ") : NULL;
    if (p == NULL) return -1;
    p += 8;
    size_t tl = strlen(t->name);
    if (strncmp(p, t->name, tl) == 0 && p[tl] == '.') p += tl + 1;
    size_t n = strcspn(p, ", ");
    for (int i = 0; i < t->ncols; i++)
        if (strlen(t->cols[i].column) == n && strncmp(t->cols[i].column, p, n) == 0) return i;
    return -1;
}

/* FOREIGN KEY: SQLite does not say which; look up each foreign value written. Returns the
 * first column whose referenced row is missing, or -1. */
static int missing_foreign(dooh_ctx *ctx, const dooh_table *t, const wcol *w) {
    for (int i = 0; i < t->ncols; i++) {
        const dooh_column *c = &t->cols[i];
        if (!c->foreign_table || w[i].state != W_VALUE || w[i].v.type == DOOH_DBV_NULL) continue;
        const dooh_table *ft = dooh__db_table(c->foreign_table);
        dooh_buf b;
        int rc;
        dooh_buf_init(&b);
        dooh_buf_lit(&b, "SELECT 1 FROM ");
        dooh__sql_ident(&b, c->foreign_table);
        dooh_buf_lit(&b, " WHERE ");
        dooh__sql_ident(&b, ft ? ft->cols[ft->pk].column : "rowid");
        dooh_buf_lit(&b, " = ?1");
        sqlite3_stmt *st = dooh__db_prepare(ctx, buf_cstr(ctx, &b), false, &rc);
        if (st == NULL) return -1;
        dooh__db_bind(st, 1, &w[i].v);
        rc = sqlite3_step(st);
        dooh__db_done(st);
        if (rc == SQLITE_DONE) return i;
    }
    return -1;
}

static void conflict(dooh_ctx *ctx, dooh_response *res, const char *field, const char *code,
                     dooh_str field_detail, dooh_str detail) {
    if (field) dooh_verr_add(ctx, field, code, field_detail, NULL, 0);
    dooh_res_problem(ctx, res, 409, detail);
}

/* A write failed with rc: 409 naming the field when it is a constraint we can explain. */
static void write_failed(dooh_ctx *ctx, dooh_response *res, const dooh_table *t, const wcol *w,
                         sqlite3_stmt *st, int rc) {
    int orc;
    sqlite3 *db = dooh__db_conn(&orc);
    const char *errmsg = dooh_str_cstr(ctx, dooh_str_from_cstr(db ? sqlite3_errmsg(db) : ""));
    dooh__db_done(st);
    if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        int ci = unique_col(t, errmsg);
        const char *field = ci >= 0 ? t->cols[ci].field : NULL;
        dooh_str parts[4] = { dooh_str_from_cstr(field ? field : "a field"),
                              DOOH_LIT(" must be unique: another "),
                              dooh_str_from_cstr(t->struct_name), DOOH_LIT(" has this value") };
        conflict(ctx, res, field, "unique", DOOH_LIT("is already taken"),
                 dooh_str_cat(ctx, 4, parts));
        return;
    }
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY && w != NULL) {
        int ci = missing_foreign(ctx, t, w);
        if (ci >= 0) {
            const dooh_table *ft = dooh__db_table(t->cols[ci].foreign_table);
            dooh_str what = dooh_str_cat(ctx, 2, (dooh_str[]){
                DOOH_LIT("refers to a "),
                dooh_str_from_cstr(ft ? ft->struct_name : t->cols[ci].foreign_table) });
            dooh_str parts[4] = { dooh_str_from_cstr(t->cols[ci].field), DOOH_LIT(" "), what,
                                  DOOH_LIT(" that does not exist") };
            conflict(ctx, res, t->cols[ci].field, "foreign",
                     dooh_str_cat(ctx, 2, (dooh_str[]){ what, DOOH_LIT(" that does not exist") }),
                     dooh_str_cat(ctx, 4, parts));
            return;
        }
        conflict(ctx, res, NULL, NULL, DOOH_NULL_STR,
                 DOOH_LIT("the change refers to a row that does not exist"));
        return;
    }
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
        /* A delete of a row others point at: name who points at it. */
        dooh_buf b;
        dooh_buf_init(&b);
        dooh_buf_lit(&b, "this ");
        dooh_buf_put(&b, t->struct_name, strlen(t->struct_name));
        dooh_buf_lit(&b, " is still referenced");
        const char *sep = " by ";
        for (int k = 0; dooh__db_table_at(k); k++) {
            const dooh_table *o = dooh__db_table_at(k);
            for (int i = 0; i < o->ncols; i++)
                if (o->cols[i].foreign_table && strcmp(o->cols[i].foreign_table, t->name) == 0) {
                    dooh_buf_put(&b, sep, strlen(sep));
                    dooh_buf_put(&b, o->struct_name, strlen(o->struct_name));
                    dooh_buf_putc(&b, '.');
                    dooh_buf_put(&b, o->cols[i].field, strlen(o->cols[i].field));
                    sep = ", ";
                }
        }
        conflict(ctx, res, NULL, NULL, DOOH_NULL_STR, dooh_str_from_cstr(buf_cstr(ctx, &b)));
        return;
    }
    if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED && (rc & 0xff) != SQLITE_FULL)
        dooh__db_log(ctx, "database error", rc, errmsg);
    dooh__db_fail(ctx, res, rc);
}

void dooh__crud_write_failed(dooh_ctx *ctx, dooh_response *res, const dooh_table *t,
                             const dooh__wcol *w, sqlite3_stmt *st, int rc) {
    write_failed(ctx, res, t, w, st, rc);
}

bool dooh__crud_read_body(dooh_ctx *ctx, dooh_request *req, dooh_response *res,
                          const dooh_table *t, bool with_hash, dooh__wcol *w) {
    return read_body(ctx, req, res, t, MODE_CREATE, with_hash, w);
}

/* ---- auth: who may see which rows ---- */

/* With app.auth declared (dooh__crud_auth set), writes need a token, and a table with an
 * @owner column needs one for every access and shows each caller only their own rows: the
 * owner becomes one more bound condition of every statement, so another user's row is
 * simply not found (404, never 403: its existence is not revealed). Returns false after the
 * hook answered 401. *ocol is the owner column when rows are filtered (then *owner is the
 * caller's id), else -1. */
static bool caller(dooh_ctx *ctx, dooh_request *req, dooh_response *res, const dooh_table *t,
                   bool write, int *ocol, int64_t *owner) {
    *ocol = -1;
    *owner = 0;
    if (!dooh__crud_auth) return true;
    int oc = -1;
    for (int i = 0; i < t->ncols; i++)
        if (t->cols[i].flags & DOOH_COL_OWNER) oc = i;
    if (!write && oc < 0) return true;
    int64_t uid;
    if (!dooh__crud_auth(ctx, req, res, &uid)) return false;
    *ocol = oc;
    *owner = uid;
    return true;
}

/* Append " AND <owner> = ?n" and its value when rows are filtered. */
static void and_owner(dooh_buf *b, const dooh_table *t, int ocol, int64_t owner,
                      dooh_dbv *params, int *n) {
    if (ocol < 0) return;
    dooh_buf_lit(b, " AND ");
    dooh__sql_ident(b, t->cols[ocol].column);
    dooh_buf_lit(b, " = ");
    params[(*n)++] = (dooh_dbv){ DOOH_DBV_INT, owner, 0.0, DOOH_NULL_STR };
    dooh__sql_param(b, *n);
}

/* ---- running one row statement ---- */

/* Bind, step once and answer: a row → `status` with {"data":row} (and Location when
 * `location`), no row → 404, failure → write_failed. A write (w given) joins the worker's
 * group commit (group.h). */
static void run_row(dooh_ctx *ctx, dooh_response *res, const dooh_table *t, const char *sql,
                    const dooh_dbv *params, int n, const wcol *w, int status, bool location) {
    int rc, nout, nall;
    int *cols = output_cols(ctx, t, &nout, &nall);
    if (w) dooh__db_group_join(ctx);
    else dooh__db_read_shared();
    sqlite3_stmt *st = dooh__db_prepare(ctx, sql, false, &rc);
    if (st == NULL) {
        if (w) dooh__db_group_stepped(rc);
        dooh__db_fail(ctx, res, rc);
        return;
    }
    for (int i = 0; i < n; i++) dooh__db_bind(st, i + 1, &params[i]);
    rc = sqlite3_step(st);
    if (w) dooh__db_group_stepped(rc);
    if (rc == SQLITE_DONE) {
        dooh__db_done(st);
        dooh_res_problem(ctx, res, 404, DOOH_LIT("no such row"));
        return;
    }
    if (rc == SQLITE_ROW) {
        dooh_res_json(res, status);
        dooh_buf_lit(res->body, "{\"data\":");
        dooh__row_json(res->body, st, t, cols, nout);
        dooh_buf_putc(res->body, '}');
        if (location) {
            int64_t id = 0;
            for (int i = 0; i < nall; i++)
                if (cols[i] == t->pk) id = sqlite3_column_int64(st, i);
            dooh_str parts[3] = { t->path ? dooh_str_from_cstr(t->path) : ctx->req->path,
                                  DOOH_LIT("/"), dooh_i64_to_str(ctx, id) };
            dooh_res_header(res, "Location", dooh_str_cat(ctx, 3, parts));
        }
        /* One row by key; stepping to the end completes the statement. */
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {}
        if (rc == SQLITE_DONE) {
            dooh__db_done(st);
            return;
        }
    }
    write_failed(ctx, res, t, w, st, rc);
}

/* SELECT <output columns> FROM t WHERE <key> = ?1 [AND <owner> = ?2]; params[0] must hold
 * the key, params[1] gets the owner; *n is the parameter count. */
static const char *select_by_key(dooh_ctx *ctx, const dooh_table *t, int ocol, int64_t owner,
                                 dooh_dbv *params, int *n) {
    int nout, nall;
    int *cols = output_cols(ctx, t, &nout, &nall);
    dooh_buf b;
    dooh_buf_init(&b);
    dooh_buf_lit(&b, "SELECT ");
    dooh__sql_select_list(&b, t, cols, nall);
    dooh_buf_lit(&b, " FROM ");
    dooh__sql_ident(&b, t->name);
    dooh_buf_lit(&b, " WHERE ");
    dooh__sql_ident(&b, t->cols[t->pk].column);
    dooh_buf_lit(&b, " = ?1");
    *n = 1;
    and_owner(&b, t, ocol, owner, params, n);
    return buf_cstr(ctx, &b);
}

/* Does the Prefer header ask for count=exact? */
static bool wants_count(const dooh_request *req) {
    dooh_str p = dooh_req_header(req, "Prefer");
    static const char needle[] = "count=exact";
    for (int64_t i = 0; p.ptr && i + (int64_t)sizeof needle - 1 <= p.len; i++)
        if (memcmp(p.ptr + i, needle, sizeof needle - 1) == 0) return true;
    return false;
}

/* Step a list statement, writing every row into the response body. */
static int list_rows(dooh_ctx *ctx, dooh_response *res, const dooh_table *t,
                     const dooh__listq *q, int64_t *n) {
    int rc;
    dooh__db_read_shared();
    sqlite3_stmt *st = dooh__db_prepare(ctx, q->sql, false, &rc);
    if (st == NULL) return rc;
    for (int i = 0; i < q->nparams; i++) dooh__db_bind(st, i + 1, &q->params[i]);
    dooh_res_json(res, 200);
    dooh_buf_lit(res->body, "{\"data\":[");
    *n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if ((*n)++) dooh_buf_putc(res->body, ',');
        dooh__row_json(res->body, st, t, q->cols, q->ncols);
    }
    dooh_buf_lit(res->body, "]}");
    if (rc != SQLITE_DONE) {
        sqlite3 *db = dooh__db_conn(&(int){ 0 });
        dooh__db_log(ctx, "database error", rc, db ? sqlite3_errmsg(db) : NULL);
    }
    dooh__db_done(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* SELECT count(*) with the filter parameters. */
static int count_rows(dooh_ctx *ctx, const dooh__listq *q, int64_t *total) {
    int rc;
    sqlite3_stmt *st = dooh__db_prepare(ctx, q->count_sql, false, &rc);
    if (st == NULL) return rc;
    for (int i = 0; i < q->nfilter; i++) dooh__db_bind(st, i + 1, &q->params[i]);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *total = sqlite3_column_int64(st, 0);
    dooh__db_done(st);
    return rc == SQLITE_ROW ? SQLITE_OK : rc;
}

void dooh_crud_list(dooh_ctx *ctx, dooh_request *req, dooh_response *res, const dooh_table *t) {
    dooh__listq q;
    dooh_str err;
    int64_t n = 0, total = -1, owner;
    int rc, ocol;
    if (!caller(ctx, req, res, t, false, &ocol, &owner)) return;
    if (!dooh__list_compile_owned(ctx, t, req->query, ocol, owner, &q, &err)) {
        dooh_res_problem(ctx, res, 400, err);
        return;
    }
    bool count = wants_count(req);
    /* The page and the count read one snapshot. */
    if (count && (rc = dooh__db_simple(ctx, "BEGIN")) != SQLITE_OK) goto fail;
    if ((rc = list_rows(ctx, res, t, &q, &n)) != SQLITE_OK) goto fail;
    if (count && (rc = count_rows(ctx, &q, &total)) != SQLITE_OK) goto fail;
    if (count) dooh__db_simple(ctx, "COMMIT");
    char range[64];
    if (n > 0) snprintf(range, sizeof range, "%lld-%lld/", (long long)q.offset,
                        (long long)(q.offset + n - 1));
    else snprintf(range, sizeof range, "*/");
    if (total >= 0) snprintf(range + strlen(range), sizeof range - strlen(range), "%lld",
                             (long long)total);
    else strcat(range, "*");
    dooh_res_header(res, "Content-Range", dooh_str_copy(ctx, range, strlen(range)));
    return;
fail:
    if (count) dooh__db_simple(ctx, "ROLLBACK");
    dooh__db_fail(ctx, res, rc);
}

void dooh_crud_get(dooh_ctx *ctx, dooh_request *req, dooh_response *res, const dooh_table *t) {
    int64_t id, owner;
    int ocol, n;
    if (!caller(ctx, req, res, t, false, &ocol, &owner)) return;
    if (!row_id(ctx, req, res, &id)) return;
    dooh_dbv key[2] = { { DOOH_DBV_INT, id, 0.0, DOOH_NULL_STR } };
    const char *sql = select_by_key(ctx, t, ocol, owner, key, &n);
    run_row(ctx, res, t, sql, key, n, NULL, 200, false);
}

const char *dooh__crud_insert_sql(dooh_ctx *ctx, const dooh_table *t, const dooh__wcol *w,
                                  dooh_dbv *params, int *nparams, const int *cols, int nall) {
    int n = 0;
    dooh_buf b;
    dooh_buf_init(&b);
    dooh_buf_lit(&b, "INSERT INTO ");
    dooh__sql_ident(&b, t->name);
    for (int i = 0; i < t->ncols; i++) {
        if (w[i].state != W_VALUE) continue;
        if (n) dooh_buf_lit(&b, ", ");
        else dooh_buf_lit(&b, " (");
        dooh__sql_ident(&b, t->cols[i].column);
        params[n++] = w[i].v;
    }
    if (n == 0) {
        dooh_buf_lit(&b, " DEFAULT VALUES");
    } else {
        dooh_buf_lit(&b, ") VALUES (");
        for (int i = 1; i <= n; i++) {
            if (i > 1) dooh_buf_lit(&b, ", ");
            dooh__sql_param(&b, i);
        }
        dooh_buf_putc(&b, ')');
    }
    append_returning(&b, t, cols, nall);
    *nparams = n;
    return buf_cstr(ctx, &b);
}

void dooh_crud_create(dooh_ctx *ctx, dooh_request *req, dooh_response *res, const dooh_table *t) {
    int n = 0, nout, nall, ocol;
    int64_t owner;
    if (!caller(ctx, req, res, t, true, &ocol, &owner)) return;
    wcol *w = dooh_alloc(ctx, sizeof *w * (size_t)(t->ncols > 0 ? t->ncols : 1));
    dooh_dbv *params = dooh_alloc(ctx, sizeof *params * (size_t)(t->ncols > 0 ? t->ncols : 1));
    if (!read_body(ctx, req, res, t, MODE_CREATE, false, w)) return;
    /* @owner is never read from the body (NO_INPUT): it is the caller. */
    if (ocol >= 0) w[ocol] = (wcol){ W_VALUE, { DOOH_DBV_INT, owner, 0.0, DOOH_NULL_STR } };
    int *cols = output_cols(ctx, t, &nout, &nall);
    const char *sql = dooh__crud_insert_sql(ctx, t, w, params, &n, cols, nall);
    run_row(ctx, res, t, sql, params, n, w, 201, true);
}

/* PUT and PATCH: UPDATE … SET … WHERE key = ?n RETURNING …; 404 when no row has the key. */
static void update(dooh_ctx *ctx, dooh_request *req, dooh_response *res, const dooh_table *t,
                   int mode) {
    int64_t id, owner;
    int n = 0, nout, nall, ocol;
    if (!caller(ctx, req, res, t, true, &ocol, &owner)) return;
    if (!row_id(ctx, req, res, &id)) return;
    wcol *w = dooh_alloc(ctx, sizeof *w * (size_t)(t->ncols > 0 ? t->ncols : 1));
    dooh_dbv *params = dooh_alloc(ctx, sizeof *params * (size_t)(t->ncols + 2));
    if (!read_body(ctx, req, res, t, mode, false, w)) return;
    int *cols = output_cols(ctx, t, &nout, &nall);
    dooh_buf b;
    dooh_buf_init(&b);
    dooh_buf_lit(&b, "UPDATE ");
    dooh__sql_ident(&b, t->name);
    bool any = false;
    for (int i = 0; i < t->ncols; i++) {
        if (w[i].state == W_SKIP) continue;
        if (any) dooh_buf_lit(&b, ", ");
        else dooh_buf_lit(&b, " SET ");
        any = true;
        dooh__sql_ident(&b, t->cols[i].column);
        dooh_buf_lit(&b, " = ");
        if (w[i].state == W_DEFAULT) {
            /* The descriptor's literal (compiler-made), never client text. */
            dooh_buf_put(&b, t->cols[i].default_sql, strlen(t->cols[i].default_sql));
        } else {
            params[n++] = w[i].v;
            dooh__sql_param(&b, n);
        }
    }
    if (!any) {
        /* Nothing to change (an empty PATCH): answer with the row as it is. */
        dooh_buf_free(&b);
        dooh_dbv key[2] = { { DOOH_DBV_INT, id, 0.0, DOOH_NULL_STR } };
        const char *sql = select_by_key(ctx, t, ocol, owner, key, &n);
        run_row(ctx, res, t, sql, key, n, NULL, 200, false);
        return;
    }
    dooh_buf_lit(&b, " WHERE ");
    dooh__sql_ident(&b, t->cols[t->pk].column);
    dooh_buf_lit(&b, " = ");
    params[n++] = (dooh_dbv){ DOOH_DBV_INT, id, 0.0, DOOH_NULL_STR };
    dooh__sql_param(&b, n);
    and_owner(&b, t, ocol, owner, params, &n);
    append_returning(&b, t, cols, nall);
    run_row(ctx, res, t, buf_cstr(ctx, &b), params, n, w, 200, false);
}

void dooh_crud_replace(dooh_ctx *ctx, dooh_request *req, dooh_response *res, const dooh_table *t) {
    update(ctx, req, res, t, MODE_REPLACE);
}

void dooh_crud_update(dooh_ctx *ctx, dooh_request *req, dooh_response *res, const dooh_table *t) {
    update(ctx, req, res, t, MODE_UPDATE);
}

void dooh_crud_delete(dooh_ctx *ctx, dooh_request *req, dooh_response *res, const dooh_table *t) {
    int64_t id, owner;
    int rc, ocol, n = 1;
    dooh_dbv key[2] = { { DOOH_DBV_INT, 0, 0.0, DOOH_NULL_STR } };
    if (!caller(ctx, req, res, t, true, &ocol, &owner)) return;
    if (!row_id(ctx, req, res, &id)) return;
    key[0].i = id;
    dooh_buf b;
    dooh_buf_init(&b);
    dooh_buf_lit(&b, "DELETE FROM ");
    dooh__sql_ident(&b, t->name);
    dooh_buf_lit(&b, " WHERE ");
    dooh__sql_ident(&b, t->cols[t->pk].column);
    dooh_buf_lit(&b, " = ?1");
    and_owner(&b, t, ocol, owner, key, &n);
    const char *sql = buf_cstr(ctx, &b);
    dooh__db_group_join(ctx);
    sqlite3_stmt *st = dooh__db_prepare(ctx, sql, false, &rc);
    if (st == NULL) {
        dooh__db_group_stepped(rc);
        dooh__db_fail(ctx, res, rc);
        return;
    }
    for (int i = 0; i < n; i++) dooh__db_bind(st, i + 1, &key[i]);
    rc = sqlite3_step(st);
    dooh__db_group_stepped(rc);
    if (rc != SQLITE_DONE) {
        write_failed(ctx, res, t, NULL, st, rc);
        return;
    }
    dooh__db_done(st);
    sqlite3 *db = dooh__db_conn(&rc);
    if (db && sqlite3_changes(db) == 0) {
        dooh_res_problem(ctx, res, 404, DOOH_LIT("no such row"));
        return;
    }
    dooh_res_set(res, 204, NULL, DOOH_NULL_STR);
}
