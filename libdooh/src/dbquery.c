/* dbquery.c — the list query grammar of generated CRUD (http.md §3), compiled into one
 * parameterised SELECT (and its count).
 *
 *   ?Done=eq.false&Priority=in.(High,Medium)&Title=ilike.*report*   filters, ANDed
 *   &order=Priority.desc,id.asc   &limit=20&offset=40   &select=id,Title
 *
 * Names are a struct's field names or their snake_case column names, looked up in the table's
 * descriptor: the SQL text is made only of descriptor names, operators from a fixed table and
 * `?n` placeholders; every client value is a bound parameter. Fields that are never output
 * (@hash, @writeOnly, @internal) are unknown here too, so no filter can probe them.
 *
 * Operators: eq neq gt gte lt lte like ilike in is, each optionally prefixed by `not.`.
 * `like` is case-sensitive (compiled to GLOB), `ilike` ignores ASCII case (LIKE … ESCAPE '\');
 * in both `*` is the wildcard and every other character, `%` and `_` included, matches itself.
 * Enum columns compare and sort by declaration order, as Doo enums (and PostgreSQL's) do.
 */
#include <stdio.h>
#include <string.h>

#include "db_internal.h"

/* The compilation in progress. */
typedef struct lq {
    dooh_ctx *ctx;
    const dooh_table *t;
    dooh_buf where, order;
    dooh_dbv *params;
    int nparams, cap;
    int *cols;
    int ncols;
    bool have_select, have_order, have_limit, have_offset;
    dooh_str err;
} lq;

/* Set the error: the parts joined, each client-supplied part cut at 64 bytes. */
static bool fail(lq *q, const char *a, dooh_str name, const char *b) {
    dooh_str cut = name;
    if (cut.len > 64) cut.len = 64;
    dooh_str parts[3] = { dooh_str_from_cstr(a), cut, dooh_str_from_cstr(b) };
    q->err = dooh_str_cat(q->ctx, 3, parts);
    return false;
}

static int add_param(lq *q, dooh_dbv v) {
    if (q->nparams == q->cap) {
        int cap = q->cap ? q->cap * 2 : 8;
        dooh_dbv *p = dooh_alloc(q->ctx, sizeof *p * (size_t)cap);
        if (q->nparams) memcpy(p, q->params, sizeof *p * (size_t)q->nparams);
        q->params = p;
        q->cap = cap;
    }
    q->params[q->nparams++] = v;
    return q->nparams;
}

static dooh_dbv dbv_int(int64_t i) {
    return (dooh_dbv){ DOOH_DBV_INT, i, 0.0, DOOH_NULL_STR };
}

static dooh_dbv dbv_text(dooh_str s) {
    return (dooh_dbv){ DOOH_DBV_TEXT, 0, 0.0, s };
}

/* ---- query-string decoding ---- */

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') return (c | 0x20) - 'a' + 10;
    return -1;
}

/* Percent-decode p[0..n) ('+' is a space) into the arena; false on a bad escape. */
static bool qdecode(dooh_ctx *ctx, const char *p, size_t n, dooh_str *out) {
    char *o = dooh_alloc(ctx, n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '+') {
            o[k++] = ' ';
        } else if (p[i] == '%') {
            if (i + 2 >= n) return false;
            int hi = hexval(p[i + 1]), lo = hexval(p[i + 2]);
            if (hi < 0 || lo < 0) return false;
            o[k++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            o[k++] = p[i];
        }
    }
    o[k] = '\0';
    *out = (dooh_str){ o, (int64_t)k };
    return true;
}

/* ---- names ---- */

int dooh__col_find(const dooh_table *t, dooh_str name) {
    for (int i = 0; i < t->ncols; i++)
        if (dooh_str_eq(name, dooh_str_from_cstr(t->cols[i].field))) return i;
    for (int i = 0; i < t->ncols; i++)
        if (dooh_str_eq(name, dooh_str_from_cstr(t->cols[i].column))) return i;
    return -1;
}

/* A column the client may name: known and not hidden from output. */
static int visible_col(const dooh_table *t, dooh_str name) {
    int i = dooh__col_find(t, name);
    return (i >= 0 && !(t->cols[i].flags & DOOH_COL_NO_OUTPUT)) ? i : -1;
}

void dooh__sql_select_list(dooh_buf *b, const dooh_table *t, const int *cols, int n) {
    for (int i = 0; i < n; i++) {
        if (i) dooh_buf_lit(b, ", ");
        dooh__sql_ident(b, t->cols[cols[i]].column);
    }
}

/* An enum column as its variant index: CASE "c" WHEN 'A' THEN 0 … END. */
static void enum_rank(dooh_buf *b, const dooh_column *c) {
    dooh_buf_lit(b, "CASE ");
    dooh__sql_ident(b, c->column);
    for (int k = 0; k < c->nvariants; k++) {
        dooh_buf_lit(b, " WHEN ");
        dooh__sql_text(b, c->variants[k]);
        dooh_buf_lit(b, " THEN ");
        dooh_buf_put_i64(b, k);
    }
    dooh_buf_lit(b, " END");
}

/* ---- values ---- */

static int variant_index(const dooh_column *c, dooh_str s) {
    for (int k = 0; k < c->nvariants; k++)
        if (dooh_str_eq(s, dooh_str_from_cstr(c->variants[k]))) return k;
    return -1;
}

/* Convert one filter value for column c. `rank`: enums as their index (for ordering). */
static bool to_dbv(lq *q, const dooh_column *c, dooh_str s, bool rank, dooh_dbv *out) {
    const char *why = NULL;
    switch (c->type) {
    case DOOH_COL_INT:
        if (!dooh_parse_i64(s, &out->i)) why = " (must be an integer)";
        out->type = DOOH_DBV_INT;
        break;
    case DOOH_COL_FLOAT:
        if (!dooh_parse_f64(s, &out->f)) why = " (must be a number)";
        out->type = DOOH_DBV_FLOAT;
        break;
    case DOOH_COL_BOOL: {
        bool v = false;
        if (!dooh_parse_bool(s, &v)) why = " (must be true or false)";
        *out = dbv_int(v);
        break;
    }
    case DOOH_COL_ENUM: {
        int k = variant_index(c, s);
        if (k < 0) {
            dooh_buf b;
            dooh_buf_init(&b);
            dooh_buf_lit(&b, " (must be one of: ");
            for (int i = 0; i < c->nvariants; i++) {
                if (i) dooh_buf_lit(&b, ", ");
                dooh_buf_put(&b, c->variants[i], strlen(c->variants[i]));
            }
            dooh_buf_putc(&b, ')');
            dooh_buf_putc(&b, '\0');
            why = dooh_str_cstr(q->ctx, dooh_str_from_cstr(b.p));
            dooh_buf_free(&b);
        }
        *out = rank ? dbv_int(k) : dbv_text(s);
        break;
    }
    default:
        *out = dbv_text(s);
        break;
    }
    if (why == NULL) return true;
    dooh_str parts[5] = { DOOH_LIT("invalid value for "), dooh_str_from_cstr(c->field),
                          DOOH_LIT(": "), s, dooh_str_from_cstr(why) };
    if (parts[3].len > 64) parts[3].len = 64;
    q->err = dooh_str_cat(q->ctx, 5, parts);
    return false;
}

/* A `like` pattern as a GLOB pattern: `*` stays the wildcard; `?` and `[` are made literal. */
static dooh_str glob_pattern(dooh_ctx *ctx, dooh_str s) {
    char *o = dooh_alloc(ctx, (size_t)s.len * 3 + 1);
    size_t k = 0;
    for (int64_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        if (c == '?' || c == '[') {
            o[k++] = '[';
            o[k++] = c;
            o[k++] = ']';
        } else {
            o[k++] = c;
        }
    }
    return (dooh_str){ o, (int64_t)k };
}

/* An `ilike` pattern as a LIKE pattern with ESCAPE '\': `*` → `%`; `%`, `_`, `\` literal. */
static dooh_str like_pattern(dooh_ctx *ctx, dooh_str s) {
    char *o = dooh_alloc(ctx, (size_t)s.len * 2 + 1);
    size_t k = 0;
    for (int64_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        if (c == '*') {
            o[k++] = '%';
        } else {
            if (c == '%' || c == '_' || c == '\\') o[k++] = '\\';
            o[k++] = c;
        }
    }
    return (dooh_str){ o, (int64_t)k };
}

/* ---- filters ---- */

typedef enum { OP_EQ, OP_NEQ, OP_GT, OP_GTE, OP_LT, OP_LTE, OP_LIKE, OP_ILIKE, OP_IN, OP_IS } op_t;

static const struct { const char *name; op_t op; const char *sql; } OPS[] = {
    { "eq", OP_EQ, " = " },     { "neq", OP_NEQ, " <> " }, { "gt", OP_GT, " > " },
    { "gte", OP_GTE, " >= " },  { "lt", OP_LT, " < " },    { "lte", OP_LTE, " <= " },
    { "like", OP_LIKE, " GLOB " }, { "ilike", OP_ILIKE, " LIKE " },
    { "in", OP_IN, " IN " },    { "is", OP_IS, " IS " },
};

/* `in.(a,b,"c,d")`: the items, unquoted; false on bad syntax. */
static bool in_items(lq *q, dooh_str v, dooh_str **items, int *n) {
    if (v.len < 2 || v.ptr[0] != '(' || v.ptr[v.len - 1] != ')') return false;
    const char *p = v.ptr + 1, *end = v.ptr + v.len - 1;
    int cap = 1;
    for (const char *s = p; s < end; s++) cap += *s == ',';
    *items = dooh_alloc(q->ctx, sizeof **items * (size_t)cap);
    *n = 0;
    if (p == end) return true;
    for (;;) {
        char *o = dooh_alloc(q->ctx, (size_t)(end - p) + 1);
        size_t k = 0;
        if (p < end && *p == '"') {
            for (p++; p < end && *p != '"'; p++) {
                if (*p == '\\' && p + 1 < end) p++;
                o[k++] = *p;
            }
            if (p == end) return false;
            p++;
            if (p < end && *p != ',') return false;
        } else {
            for (; p < end && *p != ','; p++) o[k++] = *p;
        }
        (*items)[(*n)++] = (dooh_str){ o, (int64_t)k };
        if (p == end) return true;
        p++; /* ',' */
    }
}

static bool add_filter(lq *q, dooh_str key, dooh_str val) {
    int ci = visible_col(q->t, key);
    if (ci < 0) return fail(q, "unknown column ", key, " in filter");
    const dooh_column *c = &q->t->cols[ci];
    bool neg = false;
    if (val.len >= 4 && memcmp(val.ptr, "not.", 4) == 0) {
        neg = true;
        val.ptr += 4;
        val.len -= 4;
    }
    const char *dot = memchr(val.ptr, '.', (size_t)val.len);
    dooh_str opname = { val.ptr, dot ? dot - val.ptr : val.len };
    dooh_str arg = dot ? (dooh_str){ dot + 1, val.len - (opname.len + 1) } : DOOH_NULL_STR;
    int oi = -1;
    for (int i = 0; i < (int)(sizeof OPS / sizeof OPS[0]); i++)
        if (dooh_str_eq(opname, dooh_str_from_cstr(OPS[i].name))) oi = i;
    if (oi < 0) return fail(q, "unknown operator ", opname, " (use eq, neq, gt, gte, lt, lte, "
                            "like, ilike, in, is, optionally after not.)");
    if (!dot) return fail(q, "filter on ", key, " needs operator.value, e.g. eq.1");
    op_t op = OPS[oi].op;
    bool is_text = c->type == DOOH_COL_TEXT || c->type == DOOH_COL_ENUM;
    bool ordered = op == OP_GT || op == OP_GTE || op == OP_LT || op == OP_LTE;
    bool rank = ordered && c->type == DOOH_COL_ENUM;
    dooh_buf *w = &q->where;

    if (w->len) dooh_buf_lit(w, " AND ");
    if (neg) dooh_buf_lit(w, "NOT (");
    if (rank) enum_rank(w, c);
    else dooh__sql_ident(w, c->column);
    dooh_buf_put(w, OPS[oi].sql, strlen(OPS[oi].sql));

    dooh_dbv v = dbv_int(0);
    switch (op) {
    case OP_LIKE: case OP_ILIKE:
        if (!is_text) return fail(q, "operator ", opname, " needs a text column");
        v = dbv_text(op == OP_LIKE ? glob_pattern(q->ctx, arg) : like_pattern(q->ctx, arg));
        dooh__sql_param(w, add_param(q, v));
        if (op == OP_ILIKE) dooh_buf_lit(w, " ESCAPE '\\'");
        break;
    case OP_IN: {
        dooh_str *items;
        int n;
        if (!in_items(q, arg, &items, &n))
            return fail(q, "in on ", key, " needs a list in parentheses: in.(a,b)");
        dooh_buf_putc(w, '(');
        for (int i = 0; i < n; i++) {
            if (!to_dbv(q, c, items[i], false, &v)) return false;
            if (i) dooh_buf_lit(w, ", ");
            dooh__sql_param(w, add_param(q, v));
        }
        dooh_buf_putc(w, ')');
        break;
    }
    case OP_IS:
        if (dooh_str_eq(arg, DOOH_LIT("null"))) dooh_buf_lit(w, "NULL");
        else if (c->type == DOOH_COL_BOOL && dooh_str_eq(arg, DOOH_LIT("true"))) dooh_buf_lit(w, "1");
        else if (c->type == DOOH_COL_BOOL && dooh_str_eq(arg, DOOH_LIT("false"))) dooh_buf_lit(w, "0");
        else return fail(q, "is on ", key, c->type == DOOH_COL_BOOL
                         ? " accepts null, true or false" : " accepts only null");
        break;
    default:
        if (!to_dbv(q, c, arg, rank, &v)) return false;
        dooh__sql_param(w, add_param(q, v));
        break;
    }
    if (neg) dooh_buf_putc(w, ')');
    return true;
}

/* ---- order, select, paging ---- */

/* Split s at commas; calls fn on every item (empty items are an error for the caller). */
static bool each_item(lq *q, dooh_str s, bool (*fn)(lq *, dooh_str)) {
    const char *p = s.ptr, *end = s.ptr + s.len;
    for (;;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma ? comma : end;
        if (!fn(q, (dooh_str){ p, stop - p })) return false;
        if (!comma) return true;
        p = comma + 1;
    }
}

static bool order_item(lq *q, dooh_str item) {
    const char *dot = memchr(item.ptr, '.', (size_t)item.len);
    dooh_str name = { item.ptr, dot ? dot - item.ptr : item.len };
    int ci = visible_col(q->t, name);
    if (ci < 0) return fail(q, "unknown column ", name, " in order");
    const char *dir = "ASC", *nulls = "";
    while (dot) {
        const char *p = dot + 1, *end = item.ptr + item.len;
        dot = memchr(p, '.', (size_t)(end - p));
        dooh_str m = { p, (dot ? dot : end) - p };
        if (dooh_str_eq(m, DOOH_LIT("asc"))) dir = "ASC";
        else if (dooh_str_eq(m, DOOH_LIT("desc"))) dir = "DESC";
        else if (dooh_str_eq(m, DOOH_LIT("nullsfirst"))) nulls = " NULLS FIRST";
        else if (dooh_str_eq(m, DOOH_LIT("nullslast"))) nulls = " NULLS LAST";
        else return fail(q, "unknown ordering ", m, " (use asc, desc, nullsfirst, nullslast)");
    }
    const dooh_column *c = &q->t->cols[ci];
    if (q->order.len) dooh_buf_lit(&q->order, ", ");
    if (c->type == DOOH_COL_ENUM) enum_rank(&q->order, c);
    else dooh__sql_ident(&q->order, c->column);
    dooh_buf_putc(&q->order, ' ');
    dooh_buf_put(&q->order, dir, strlen(dir));
    dooh_buf_put(&q->order, nulls, strlen(nulls));
    return true;
}

static bool select_item(lq *q, dooh_str item) {
    if (dooh_str_eq(item, DOOH_LIT("*"))) {
        for (int i = 0; i < q->t->ncols; i++)
            if (!(q->t->cols[i].flags & DOOH_COL_NO_OUTPUT)) {
                bool dup = false;
                for (int j = 0; j < q->ncols; j++) dup |= q->cols[j] == i;
                if (!dup) q->cols[q->ncols++] = i;
            }
        return true;
    }
    int ci = visible_col(q->t, item);
    if (ci < 0) return fail(q, "unknown column ", item, " in select");
    for (int j = 0; j < q->ncols; j++)
        if (q->cols[j] == ci) return true; /* named twice: once is enough */
    q->cols[q->ncols++] = ci;
    return true;
}

static bool paging(lq *q, dooh_str key, dooh_str val, int64_t *out) {
    if (!dooh_parse_i64(val, out) || *out < 0)
        return fail(q, "", key, " must be a non-negative integer");
    return true;
}

/* Handle one key=value pair of the query string. */
static bool pair(lq *q, dooh_str key, dooh_str val, int64_t *limit, int64_t *offset) {
    bool *seen = NULL;
    if (dooh_str_eq(key, DOOH_LIT("select"))) seen = &q->have_select;
    else if (dooh_str_eq(key, DOOH_LIT("order"))) seen = &q->have_order;
    else if (dooh_str_eq(key, DOOH_LIT("limit"))) seen = &q->have_limit;
    else if (dooh_str_eq(key, DOOH_LIT("offset"))) seen = &q->have_offset;
    else return add_filter(q, key, val);
    if (*seen) return fail(q, "", key, " is given twice");
    *seen = true;
    if (seen == &q->have_select) return each_item(q, val, select_item);
    if (seen == &q->have_order) return each_item(q, val, order_item);
    if (seen == &q->have_limit) {
        if (!paging(q, key, val, limit)) return false;
        if (*limit > DOOH_LIST_MAX_LIMIT) *limit = DOOH_LIST_MAX_LIMIT;
        return true;
    }
    return paging(q, key, val, offset);
}

/* Walk the raw query string. */
static bool parse_query(lq *q, dooh_str query, int64_t *limit, int64_t *offset) {
    const char *p = query.ptr, *end = query.ptr + query.len;
    while (p && p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        if (stop > p) {
            const char *eq = memchr(p, '=', (size_t)(stop - p));
            dooh_str key, val = DOOH_LIT("");
            if (!qdecode(q->ctx, p, (size_t)((eq ? eq : stop) - p), &key) ||
                (eq && !qdecode(q->ctx, eq + 1, (size_t)(stop - eq - 1), &val))) {
                q->err = DOOH_LIT("bad percent-encoding in the query string");
                return false;
            }
            if (!pair(q, key, val, limit, offset)) return false;
        }
        p = amp ? amp + 1 : NULL;
    }
    return true;
}

bool dooh__list_compile(dooh_ctx *ctx, const dooh_table *t, dooh_str query, dooh__listq *out,
                        dooh_str *err) {
    return dooh__list_compile_owned(ctx, t, query, -1, 0, out, err);
}

bool dooh__list_compile_owned(dooh_ctx *ctx, const dooh_table *t, dooh_str query,
                              int owner_col, int64_t owner, dooh__listq *out, dooh_str *err) {
    lq q = { .ctx = ctx, .t = t };
    int64_t limit = DOOH_LIST_DEFAULT_LIMIT, offset = 0;
    bool ok = false;
    dooh_buf b;
    dooh_buf_init(&q.where);
    dooh_buf_init(&q.order);
    dooh_buf_init(&b);
    q.cols = dooh_alloc(ctx, sizeof *q.cols * (size_t)(t->ncols > 0 ? t->ncols : 1));
    if (!parse_query(&q, query, &limit, &offset)) goto done;
    if (!q.have_select) select_item(&q, DOOH_LIT("*"));
    if (owner_col >= 0) {
        /* Auth: only the caller's rows. Each client filter is a complete AND term (negations
         * are parenthesised), so one more AND term restricts all of them. */
        if (q.where.len) dooh_buf_lit(&q.where, " AND ");
        dooh__sql_ident(&q.where, t->cols[owner_col].column);
        dooh_buf_lit(&q.where, " = ");
        dooh__sql_param(&q.where, add_param(&q, dbv_int(owner)));
    }
    int nfilter = q.nparams;

    dooh_buf_lit(&b, "SELECT count(*) FROM ");
    dooh__sql_ident(&b, t->name);
    if (q.where.len) {
        dooh_buf_lit(&b, " WHERE ");
        dooh_buf_put(&b, q.where.p, q.where.len);
    }
    out->count_sql = dooh_str_cstr(ctx, (dooh_str){ b.p, (int64_t)b.len });

    dooh_buf_clear(&b);
    dooh_buf_lit(&b, "SELECT ");
    dooh__sql_select_list(&b, t, q.cols, q.ncols);
    dooh_buf_lit(&b, " FROM ");
    dooh__sql_ident(&b, t->name);
    if (q.where.len) {
        dooh_buf_lit(&b, " WHERE ");
        dooh_buf_put(&b, q.where.p, q.where.len);
    }
    dooh_buf_lit(&b, " ORDER BY ");
    if (q.order.len) dooh_buf_put(&b, q.order.p, q.order.len);
    else dooh__sql_ident(&b, t->cols[t->pk].column);
    dooh_buf_lit(&b, " LIMIT ");
    dooh__sql_param(&b, add_param(&q, dbv_int(limit)));
    dooh_buf_lit(&b, " OFFSET ");
    dooh__sql_param(&b, add_param(&q, dbv_int(offset)));
    out->sql = dooh_str_cstr(ctx, (dooh_str){ b.p, (int64_t)b.len });
    out->params = q.params;
    out->nparams = q.nparams;
    out->nfilter = nfilter;
    out->limit = limit;
    out->offset = offset;
    out->cols = q.cols;
    out->ncols = q.ncols;
    ok = true;
done:
    if (!ok) *err = q.err;
    dooh_buf_free(&q.where);
    dooh_buf_free(&q.order);
    dooh_buf_free(&b);
    return ok;
}
