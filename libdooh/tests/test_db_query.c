/* needs: arena.c buf.c rt.c str.c json.c validate.c response.c db.c dbquery.c */
/* links: sqlite3 */
/* test_db_query.c — the list grammar of generated CRUD compiled into SQL: the exact statement
 * and bound parameters for every operator, `not.`, order, select, paging, LIKE escaping, and
 * the 400 detail for each kind of mistake. No database is opened. */
#include "check.h"
#include "db_fixture.h"
#include "../src/db_internal.h"

static dooh_ctx ctx;
static dooh__listq q;
static dooh_str err;

static bool compile(const dooh_table *t, const char *query) {
    dooh_ctx_reset(&ctx);
    memset(&q, 0, sizeof q);
    err = DOOH_NULL_STR;
    return dooh__list_compile(&ctx, t, dooh_str_from_cstr(query), &q, &err);
}

#define TASK_COLS "SELECT \"id\", \"title\", \"notes\", \"priority\", \"done\", \"owner_id\", " \
    "\"estimate\" FROM \"tasks\""
#define RANK "CASE \"priority\" WHEN 'Low' THEN 0 WHEN 'Medium' THEN 1 WHEN 'High' THEN 2 END"

static void check_int(int i, int64_t v) {
    CHECK(i < q.nparams);
    if (i >= q.nparams) return;
    CHECK_EQ_INT(q.params[i].type, DOOH_DBV_INT);
    CHECK_EQ_INT(q.params[i].i, v);
}

static void check_text(int i, const char *v) {
    CHECK(i < q.nparams);
    if (i >= q.nparams) return;
    CHECK_EQ_INT(q.params[i].type, DOOH_DBV_TEXT);
    CHECK_EQ_MEM(q.params[i].s.ptr, q.params[i].s.len, v);
}

static void check_err(const char *query, const char *detail) {
    CHECK(!compile(&fx_tasks, query));
    CHECK_EQ_MEM(err.ptr, err.len, detail);
}

static void no_query_should_list_every_shown_column_by_key(void) {
    CHECK(compile(&fx_tasks, ""));
    CHECK(strcmp(q.sql, TASK_COLS " ORDER BY \"id\" LIMIT ?1 OFFSET ?2") == 0);
    CHECK(strcmp(q.count_sql, "SELECT count(*) FROM \"tasks\"") == 0);
    CHECK_EQ_INT(q.nparams, 2);
    CHECK_EQ_INT(q.nfilter, 0);
    check_int(0, 100);
    check_int(1, 0);
    CHECK_EQ_INT(q.ncols, 7);
}

static void the_contract_example_should_compile_to_one_statement(void) {
    CHECK(compile(&fx_tasks, "Done=eq.false&Priority=in.(High,Medium)&Title=ilike.*report*"));
    CHECK(strcmp(q.sql, TASK_COLS " WHERE \"done\" = ?1 AND \"priority\" IN (?2, ?3) AND "
                 "\"title\" LIKE ?4 ESCAPE '\\' ORDER BY \"id\" LIMIT ?5 OFFSET ?6") == 0);
    CHECK(strcmp(q.count_sql, "SELECT count(*) FROM \"tasks\" WHERE \"done\" = ?1 AND "
                 "\"priority\" IN (?2, ?3) AND \"title\" LIKE ?4 ESCAPE '\\'") == 0);
    check_int(0, 0);
    check_text(1, "High");
    check_text(2, "Medium");
    check_text(3, "%report%");
    CHECK_EQ_INT(q.nfilter, 4);
}

static void each_comparison_should_map_to_its_sql_operator(void) {
    static const struct { const char *q, *sql; } cases[] = {
        { "id=eq.3", "\"id\" = ?1" },   { "id=neq.3", "\"id\" <> ?1" },
        { "id=gt.3", "\"id\" > ?1" },   { "id=gte.3", "\"id\" >= ?1" },
        { "id=lt.3", "\"id\" < ?1" },   { "id=lte.3", "\"id\" <= ?1" },
        { "id=not.eq.3", "NOT (\"id\" = ?1)" },
        { "Notes=is.null", "\"notes\" IS NULL" },
        { "Notes=not.is.null", "NOT (\"notes\" IS NULL)" },
        { "Done=is.true", "\"done\" IS 1" }, { "Done=is.false", "\"done\" IS 0" },
        { "owner_id=eq.3", "\"owner_id\" = ?1" },
        { "Priority=gte.Medium", RANK " >= ?1" },
        { "Priority=eq.Medium", "\"priority\" = ?1" },
        { "Estimate=lt.1.5", "\"estimate\" < ?1" },
        { "id=in.()", "\"id\" IN ()" },
        { "id=not.in.(1,2)", "NOT (\"id\" IN (?1, ?2))" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char want[512];
        snprintf(want, sizeof want, TASK_COLS " WHERE %s ORDER BY \"id\" LIMIT ?%d OFFSET ?%d",
                 cases[i].sql, q.nfilter + 1, q.nfilter + 2);
        CHECK(compile(&fx_tasks, cases[i].q));
        snprintf(want, sizeof want, TASK_COLS " WHERE %s ORDER BY \"id\" LIMIT ?%d OFFSET ?%d",
                 cases[i].sql, q.nfilter + 1, q.nfilter + 2);
        if (strcmp(q.sql, want) != 0) {
            fprintf(stderr, "%s:\n  got  %s\n  want %s\n", cases[i].q, q.sql, want);
            CHECK(0);
        }
    }
    CHECK(compile(&fx_tasks, "Priority=gte.Medium"));
    check_int(0, 1); /* enums compare by declaration order */
    CHECK(compile(&fx_tasks, "Estimate=lt.1.5"));
    CHECK_EQ_INT(q.params[0].type, DOOH_DBV_FLOAT);
    CHECK(q.params[0].f == 1.5);
    CHECK(compile(&fx_tasks, "Done=eq.true"));
    check_int(0, 1);
}

static void like_should_treat_star_as_the_only_wildcard(void) {
    /* like: case-sensitive GLOB; ? and [ made literal, % and _ are literal there anyway. */
    CHECK(compile(&fx_tasks, "Title=like.*50%25_a?[b]*"));
    CHECK(strstr(q.sql, "WHERE \"title\" GLOB ?1 ORDER BY") != NULL);
    check_text(0, "*50%_a[?][[]b]*");
    /* ilike: LIKE with ESCAPE '\': %, _ and \ escaped, * becomes %. */
    CHECK(compile(&fx_tasks, "Title=ilike.*100%25_\\x*"));
    check_text(0, "%100\\%\\_\\\\x%");
    CHECK(compile(&fx_tasks, "Title=not.like.a*"));
    CHECK(strstr(q.sql, "WHERE NOT (\"title\" GLOB ?1) ORDER BY") != NULL);
}

static void in_should_accept_quoted_items(void) {
    CHECK(compile(&fx_tasks, "Title=in.(\"a,b\",c,\"d\\\"e\")"));
    CHECK(strstr(q.sql, "\"title\" IN (?1, ?2, ?3)") != NULL);
    check_text(0, "a,b");
    check_text(1, "c");
    check_text(2, "d\"e");
}

static void values_should_be_percent_decoded(void) {
    CHECK(compile(&fx_tasks, "Title=eq.a%20b+c&Notes=eq.%27%3B%20DROP%20TABLE%20tasks%3B--"));
    check_text(0, "a b c");
    check_text(1, "'; DROP TABLE tasks;--");
    CHECK(strstr(q.sql, "DROP") == NULL);
    check_err("Title=eq.%zz", "bad percent-encoding in the query string");
    check_err("Title=eq.%4", "bad percent-encoding in the query string");
}

static void order_should_allow_direction_and_nulls(void) {
    CHECK(compile(&fx_tasks, "order=Priority.desc,id.asc"));
    CHECK(strcmp(q.sql, TASK_COLS " ORDER BY " RANK " DESC, \"id\" ASC LIMIT ?1 OFFSET ?2") == 0);
    CHECK(compile(&fx_tasks, "order=Notes.nullsfirst,title.desc.nullslast"));
    CHECK(strstr(q.sql, "ORDER BY \"notes\" ASC NULLS FIRST, \"title\" DESC NULLS LAST LIMIT") != NULL);
    check_err("order=Nope.desc", "unknown column Nope in order");
    check_err("order=id.sideways", "unknown ordering sideways (use asc, desc, nullsfirst, nullslast)");
}

static void select_should_pick_and_order_columns(void) {
    CHECK(compile(&fx_tasks, "select=Title,id,Title"));
    CHECK(strcmp(q.sql, "SELECT \"title\", \"id\" FROM \"tasks\" ORDER BY \"id\" LIMIT ?1 OFFSET ?2") == 0);
    CHECK_EQ_INT(q.ncols, 2);
    CHECK_EQ_INT(q.cols[0], 1);
    CHECK_EQ_INT(q.cols[1], 0);
    check_err("select=id,Bogus", "unknown column Bogus in select");
}

static void hidden_fields_should_be_unknown_everywhere(void) {
    CHECK(!compile(&fx_users, "select=Secret"));
    CHECK_EQ_MEM(err.ptr, err.len, "unknown column Secret in select");
    CHECK(!compile(&fx_users, "Secret=like.a*"));
    CHECK_EQ_MEM(err.ptr, err.len, "unknown column Secret in filter");
    CHECK(!compile(&fx_users, "order=secret"));
    CHECK_EQ_MEM(err.ptr, err.len, "unknown column secret in order");
    CHECK(compile(&fx_users, ""));
    CHECK(strcmp(q.sql, "SELECT \"id\", \"email\", \"name\" FROM \"users\" ORDER BY \"id\" "
                 "LIMIT ?1 OFFSET ?2") == 0);
}

static void limit_should_default_clamp_and_reject_garbage(void) {
    CHECK(compile(&fx_tasks, "limit=5000&offset=20"));
    check_int(0, 1000);
    check_int(1, 20);
    CHECK_EQ_INT(q.limit, 1000);
    CHECK(compile(&fx_tasks, "limit=0"));
    check_int(0, 0);
    check_err("limit=abc", "limit must be a non-negative integer");
    check_err("limit=-1", "limit must be a non-negative integer");
    check_err("offset=1.5", "offset must be a non-negative integer");
    check_err("limit=1&limit=2", "limit is given twice");
}

static void mistakes_should_name_what_is_wrong(void) {
    check_err("Foo=eq.1", "unknown column Foo in filter");
    check_err("id=foo.1", "unknown operator foo (use eq, neq, gt, gte, lt, lte, like, ilike, in, "
              "is, optionally after not.)");
    check_err("id=eq", "filter on id needs operator.value, e.g. eq.1");
    check_err("id=eq.x", "invalid value for id: x (must be an integer)");
    check_err("Done=eq.yes", "invalid value for Done: yes (must be true or false)");
    check_err("Estimate=gt.big", "invalid value for Estimate: big (must be a number)");
    check_err("Priority=eq.Urgent", "invalid value for Priority: Urgent (must be one of: Low, "
              "Medium, High)");
    check_err("Priority=in.(Low,Urgent)", "invalid value for Priority: Urgent (must be one of: "
              "Low, Medium, High)");
    check_err("id=like.1*", "operator like needs a text column");
    check_err("Title=is.true", "is on Title accepts only null");
    check_err("Done=is.maybe", "is on Done accepts null, true or false");
    check_err("id=in.1,2", "in on id needs a list in parentheses: in.(a,b)");
    /* A long name is cut in the message. */
    char longq[300];
    memset(longq, 'x', 200);
    strcpy(longq + 200, "=eq.1");
    CHECK(!compile(&fx_tasks, longq));
    CHECK_EQ_INT(err.len, (int64_t)strlen("unknown column ") + 64 + (int64_t)strlen(" in filter"));
}

static void empty_pairs_should_be_ignored(void) {
    CHECK(compile(&fx_tasks, "&&id=eq.1&"));
    CHECK_EQ_INT(q.nfilter, 1);
}

int main(void) {
    dooh_ctx_init(&ctx);
    RUN(no_query_should_list_every_shown_column_by_key);
    RUN(the_contract_example_should_compile_to_one_statement);
    RUN(each_comparison_should_map_to_its_sql_operator);
    RUN(like_should_treat_star_as_the_only_wildcard);
    RUN(in_should_accept_quoted_items);
    RUN(values_should_be_percent_decoded);
    RUN(order_should_allow_direction_and_nulls);
    RUN(select_should_pick_and_order_columns);
    RUN(hidden_fields_should_be_unknown_everywhere);
    RUN(limit_should_default_clamp_and_reject_garbage);
    RUN(mistakes_should_name_what_is_wrong);
    RUN(empty_pairs_should_be_ignored);
    dooh_ctx_free(&ctx);
    return check_report();
}
