/* dooh/gen.h — fixed helpers that every generated program uses.
 *
 * The C backend emits a program-specific translation unit; what is the same for every
 * program lives here, as static inline functions (unused ones cost nothing and, being in a
 * header, draw no unused-function warnings). Names start with doo_ like generated code.
 */
#ifndef DOOH_GEN_H
#define DOOH_GEN_H

#include <stdio.h>
#include <string.h>

#include "dooh/dooh.h"
#include "dooh/db.h"

typedef struct doo_Opt_Str { bool has; dooh_str val; } doo_Opt_Str;
typedef struct doo_Res_Int_Str { bool ok; int64_t val; dooh_str err; } doo_Res_Int_Str;
typedef struct doo_Response { int64_t status; const char *ctype; dooh_str body; } doo_Response;

static inline doo_Opt_Str doo_opt_str(bool has, dooh_str v) {
    doo_Opt_Str o = { has, v };
    return o;
}
static inline doo_Opt_Str doo_env(dooh_ctx *ctx, dooh_str name) {
    dooh_str v = DOOH_NULL_STR;
    bool has = dooh_env(ctx, name, &v);
    return doo_opt_str(has, v);
}
static inline doo_Opt_Str doo_req_header(dooh_ctx *ctx, dooh_request *req, dooh_str name) {
    dooh_str v = dooh_req_header(req, dooh_str_cstr(ctx, name));
    return doo_opt_str(v.ptr != NULL, v);
}
static inline doo_Opt_Str doo_req_query(dooh_ctx *ctx, dooh_request *req, dooh_str name) {
    dooh_str v = DOOH_NULL_STR;
    bool has = dooh_req_query(ctx, req, name, &v);
    return doo_opt_str(has, v);
}
static inline doo_Opt_Str doo_req_param(dooh_ctx *ctx, dooh_request *req, dooh_str name) {
    dooh_str v = DOOH_NULL_STR;
    (void)ctx;
    bool has = dooh_req_param(req, name, &v);
    return doo_opt_str(has, v);
}
static inline doo_Res_Int_Str doo_str_to_int(dooh_str s) {
    doo_Res_Int_Str r = { false, 0, DOOH_NULL_STR };
    r.ok = dooh_parse_i64(s, &r.val);
    if (!r.ok) r.err = DOOH_LIT("not an integer");
    return r;
}
static inline doo_Response doo_response_text(dooh_str body, int64_t status) {
    doo_Response r = { status, "text/plain; charset=utf-8", body };
    return r;
}
static inline doo_Response doo_response_status(int64_t status) {
    doo_Response r = { status, NULL, DOOH_NULL_STR };
    return r;
}
static inline dooh_str doo_buf_take(dooh_ctx *ctx, dooh_buf *b) {
    dooh_str s = dooh_str_copy(ctx, b->p, b->len);
    dooh_buf_free(b);
    return s;
}
static inline void doo_send(dooh_response *res, doo_Response r) {
    int status = (r.status >= 100 && r.status <= 599) ? (int)r.status : 500;
    dooh_res_set(res, status, r.ctype, r.body);
}
static inline const char *doo_path(dooh_ctx *ctx, const char *prefix, const char *name) {
    size_t a = strlen(prefix), b = strlen(name);
    char *p;
    if (a == 0) return name;
    p = dooh_alloc(ctx, a + b + 1);
    memcpy(p, prefix, a);
    memcpy(p + a, name, b + 1);
    return p;
}
static inline const char *doo_index_path(dooh_ctx *ctx, const char *prefix, int64_t i) {
    char *p = dooh_alloc(ctx, strlen(prefix) + 24);
    sprintf(p, "%s[%lld]", prefix, (long long)i);
    return p;
}
static inline void doo_problem_fields(dooh_ctx *ctx, dooh_response *res) {
    dooh_str d = ctx->nverrs == 1 ? DOOH_LIT("1 field failed validation")
        : dooh_str_cat(ctx, 2, (dooh_str[]){ dooh_i64_to_str(ctx, ctx->nverrs),
                                               DOOH_LIT(" fields failed validation") });
    dooh_res_problem(ctx, res, 422, d);
}
/* Answer a handler's `Err`: a 4xx carries the status text as detail; a 5xx a generic one,
 * with the error logged; 503 adds Retry-After. */
static inline void doo_log_error(dooh_request *req, dooh_str msg);
static inline void doo_send_error(dooh_ctx *ctx, dooh_request *req, dooh_response *res,
                                  int status, dooh_str what) {
    if (status >= 500) doo_log_error(req, what);
    dooh_res_problem(ctx, res, status, status >= 500 ? DOOH_LIT("internal server error")
                                                     : dooh_str_from_cstr(dooh_status_reason(status)));
    if (status == 503) dooh_res_header(res, "Retry-After", DOOH_LIT("1"));
}

/* Log a handler's error value (an `Err` that answers 500) with the request id. */
static inline void doo_log_error(dooh_request *req, dooh_str msg) {
    dooh_buf b;
    dooh_buf_init(&b);
    dooh_json_str(&b, msg);
    fprintf(stderr, "{\"level\":\"error\",\"request_id\":\"%.*s\",\"msg\":\"handler error\","
            "\"error\":%.*s}\n", (int)req->request_id.len, req->request_id.ptr,
            (int)b.len, b.p);
    dooh_buf_free(&b);
}

/* ---- the data layer: query parameters and result cells ---- */

static inline dooh_dbv doo_dbv_null(void) {
    dooh_dbv x = { DOOH_DBV_NULL, 0, 0.0, { NULL, 0 } };
    return x;
}
static inline dooh_dbv doo_dbv_Int(dooh_ctx *ctx, int64_t v) {
    dooh_dbv x = { DOOH_DBV_INT, v, 0.0, { NULL, 0 } };
    (void)ctx;
    return x;
}
static inline dooh_dbv doo_dbv_Float(dooh_ctx *ctx, double v) {
    dooh_dbv x = { DOOH_DBV_FLOAT, 0, v, { NULL, 0 } };
    (void)ctx;
    return x;
}
static inline dooh_dbv doo_dbv_Bool(dooh_ctx *ctx, bool v) {
    dooh_dbv x = { DOOH_DBV_INT, v ? 1 : 0, 0.0, { NULL, 0 } };
    (void)ctx;
    return x;
}
static inline dooh_dbv doo_dbv_Str(dooh_ctx *ctx, dooh_str v) {
    dooh_dbv x = { DOOH_DBV_TEXT, 0, 0.0, { NULL, 0 } };
    (void)ctx;
    x.s = v;
    return x;
}

/* A result cell that does not fit the Doo type it is read as: the request answers 500 and
 * the log says which field and what the database returned. */
_Noreturn static inline void doo_cell_fail(dooh_ctx *ctx, const dooh_dbv *v, const char *what,
                                           const char *want, const char *loc) {
    static const char *const kinds[] = { "NULL", "an integer", "a real", "text" };
    const char *got = (v->type >= 0 && v->type <= 3) ? kinds[v->type] : "?";
    dooh_str parts[6] = { dooh_str_from_cstr(what), DOOH_LIT(" is "), dooh_str_from_cstr(got),
                          DOOH_LIT(" in the query result, not "), dooh_str_from_cstr(want),
                          DOOH_LIT("") };
    dooh_panic(ctx, loc, dooh_str_cat(ctx, 6, parts));
}
static inline int64_t doo_cell_i64(dooh_ctx *ctx, const dooh_dbv *row, int col, const char *what,
                                   const char *loc) {
    const dooh_dbv *v = &row[col];
    if (v->type != DOOH_DBV_INT) doo_cell_fail(ctx, v, what, "an Int", loc);
    return v->i;
}
static inline double doo_cell_f64(dooh_ctx *ctx, const dooh_dbv *row, int col, const char *what,
                                  const char *loc) {
    const dooh_dbv *v = &row[col];
    if (v->type == DOOH_DBV_INT) return (double)v->i;
    if (v->type != DOOH_DBV_FLOAT) doo_cell_fail(ctx, v, what, "a Float", loc);
    return v->f;
}
static inline bool doo_cell_bool(dooh_ctx *ctx, const dooh_dbv *row, int col, const char *what,
                                 const char *loc) {
    const dooh_dbv *v = &row[col];
    if (v->type != DOOH_DBV_INT || (v->i != 0 && v->i != 1))
        doo_cell_fail(ctx, v, what, "a Bool (0 or 1)", loc);
    return v->i == 1;
}
static inline dooh_str doo_cell_str(dooh_ctx *ctx, const dooh_dbv *row, int col, const char *what,
                                    const char *loc) {
    const dooh_dbv *v = &row[col];
    if (v->type != DOOH_DBV_TEXT) doo_cell_fail(ctx, v, what, "a Str", loc);
    return v->s;
}
static inline int32_t doo_cell_enum(dooh_ctx *ctx, const dooh_dbv *row, int col,
                                    const char *const *names, int n, const char *what,
                                    const char *loc) {
    const dooh_dbv *v = &row[col];
    if (v->type == DOOH_DBV_TEXT)
        for (int i = 0; i < n; i++)
            if (dooh_str_eq(v->s, dooh_str_from_cstr(names[i]))) return (int32_t)i;
    doo_cell_fail(ctx, v, what, "one of the enum's variant names", loc);
}

#endif
