/* needs: arena.c buf.c rt.c str.c json.c response.c */
/* test_response.c — response builders, problem bodies, reason phrases and the exact bytes a
 * response serialises to.
 */
#include <string.h>

#include "check.h"
#include "../src/http_internal.h"

static const char date[] = "Sun, 06 Nov 1994 08:49:37 GMT";

/* Serialise res with the given wire facts into a NUL-terminated string in out. */
static const char *wire(const dooh_response *res, bool head, int connection, dooh_buf *out) {
    dooh_http_wire w = { date, DOOH_LIT("rid-1"), head, connection };
    dooh_buf_clear(out);
    dooh_http_serialize(out, res, &w);
    dooh_buf_putc(out, 0);
    return out->p;
}

static void reasons_should_follow_rfc9110(void) {
    CHECK(strcmp(dooh_status_reason(200), "OK") == 0);
    CHECK(strcmp(dooh_status_reason(422), "Unprocessable Content") == 0);
    CHECK(strcmp(dooh_status_reason(413), "Content Too Large") == 0);
    CHECK(strcmp(dooh_status_reason(431), "Request Header Fields Too Large") == 0);
    CHECK(strcmp(dooh_status_reason(599), "Unknown") == 0);
}

static void date_should_be_imf_fixdate(void) {
    char out[DOOH_HTTP_DATE_LEN];
    dooh_http_format_date(out, 784111777);
    CHECK_EQ_MEM(out, DOOH_HTTP_DATE_LEN, date);
}

static void text_response_should_serialise_exactly(void) {
    dooh_buf body, out;
    dooh_buf_init(&body);
    dooh_buf_init(&out);
    dooh_response res = { .status = 200, .body = &body };
    dooh_res_text(&res, 200, DOOH_LIT("Hello, World!"));
    const char *s = wire(&res, false, DOOH_CONN_DEFAULT, &out);
    CHECK(strcmp(s, "HTTP/1.1 200 OK\r\nServer: doo\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                    "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 13\r\n"
                    "X-Request-Id: rid-1\r\n\r\nHello, World!") == 0);
    /* HEAD: same headers, Content-Length of the body, no body bytes. */
    s = wire(&res, true, DOOH_CONN_CLOSE, &out);
    CHECK(strcmp(s, "HTTP/1.1 200 OK\r\nServer: doo\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                    "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 13\r\n"
                    "X-Request-Id: rid-1\r\nConnection: close\r\n\r\n") == 0);
    dooh_buf_free(&body);
    dooh_buf_free(&out);
}

static void bodiless_statuses_should_have_no_length(void) {
    dooh_buf body, out;
    dooh_buf_init(&body);
    dooh_buf_init(&out);
    dooh_response res = { .status = 200, .body = &body };
    dooh_res_set(&res, 204, "text/plain", DOOH_LIT("ignored"));
    dooh_res_header(&res, "Allow", DOOH_LIT("GET, HEAD"));
    const char *s = wire(&res, false, DOOH_CONN_KEEP_ALIVE, &out);
    CHECK(strcmp(s, "HTTP/1.1 204 No Content\r\nServer: doo\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                    "X-Request-Id: rid-1\r\nConnection: keep-alive\r\nAllow: GET, HEAD\r\n\r\n") == 0);
    /* No content type: an empty body with Content-Length: 0. */
    dooh_res_set(&res, 202, NULL, DOOH_LIT(""));
    res.nextra = 0;
    s = wire(&res, false, DOOH_CONN_DEFAULT, &out);
    CHECK(strstr(s, "HTTP/1.1 202 Accepted\r\n") == s);
    CHECK(strstr(s, "\r\nContent-Length: 0\r\n") != NULL);
    CHECK(strstr(s, "Content-Type") == NULL);
    dooh_buf_free(&body);
    dooh_buf_free(&out);
}

static void unsafe_extra_headers_should_be_dropped(void) {
    dooh_buf body, out;
    dooh_buf_init(&body);
    dooh_buf_init(&out);
    dooh_response res = { .status = 200, .body = &body };
    dooh_res_set(&res, 201, NULL, DOOH_LIT(""));
    dooh_res_header(&res, "Location", DOOH_LIT("/tasks/7"));
    dooh_res_header(&res, "X-Evil", DOOH_LIT("a\r\nSet-Cookie: x=1"));
    dooh_res_header(&res, "X-Nul", (dooh_str){ "a\0b", 3 });
    const char *s = wire(&res, false, DOOH_CONN_DEFAULT, &out);
    CHECK(strstr(s, "\r\nLocation: /tasks/7\r\n") != NULL);
    CHECK(strstr(s, "Set-Cookie") == NULL);
    CHECK(strstr(s, "X-Nul") == NULL);
    for (int i = 0; i < 40; i++) dooh_res_header(&res, "X", DOOH_LIT("y"));
    CHECK_EQ_INT(res.nextra, DOOH_MAX_EXTRA_HEADERS);
    dooh_buf_free(&body);
    dooh_buf_free(&out);
}

static void problem_should_follow_rfc9457(void) {
    dooh_ctx ctx;
    dooh_ctx_init(&ctx);
    dooh_buf body;
    dooh_buf_init(&body);
    dooh_response res = { .status = 200, .body = &body };
    dooh_request req = { 0 };
    req.path = DOOH_LIT("/users");
    ctx.req = &req;
    dooh_res_header(&res, "X-Gone", DOOH_LIT("1"));
    dooh_res_problem(&ctx, &res, 404, DOOH_LIT("no \"such\" user"));
    CHECK_EQ_INT(res.status, 404);
    CHECK_EQ_INT(res.nextra, 0);
    CHECK(strcmp(res.content_type, "application/problem+json") == 0);
    CHECK_EQ_MEM(body.p, body.len,
                 "{\"type\":\"about:blank\",\"title\":\"Not Found\",\"status\":404,"
                 "\"detail\":\"no \\\"such\\\" user\",\"instance\":\"/users\"}");
    dooh_verr errs[2] = {
        { "email", "email", DOOH_LIT("must be a valid e-mail address"), NULL, 0 },
        { "password", "min", DOOH_LIT("must be at least 8 characters"), "min", 8 },
    };
    ctx.verrs = errs;
    ctx.nverrs = 2;
    dooh_res_problem(&ctx, &res, 422, DOOH_LIT("2 fields failed validation"));
    CHECK_EQ_MEM(body.p, body.len,
                 "{\"type\":\"about:blank\",\"title\":\"Unprocessable Content\",\"status\":422,"
                 "\"detail\":\"2 fields failed validation\",\"instance\":\"/users\","
                 "\"errors\":[{\"field\":\"email\",\"code\":\"email\",\"detail\":\"must be a valid e-mail address\"},"
                 "{\"field\":\"password\",\"code\":\"min\",\"detail\":\"must be at least 8 characters\",\"min\":8}]}");
    ctx.verrs = NULL;
    ctx.nverrs = 0;
    ctx.req = NULL;
    dooh_res_problem(&ctx, &res, 400, DOOH_LIT("bad"));
    CHECK_EQ_MEM(body.p, body.len, "{\"type\":\"about:blank\",\"title\":\"Bad Request\",\"status\":400,\"detail\":\"bad\"}");
    dooh_buf_free(&body);
    dooh_ctx_free(&ctx);
}

int main(void) {
    RUN(reasons_should_follow_rfc9110);
    RUN(date_should_be_imf_fixdate);
    RUN(text_response_should_serialise_exactly);
    RUN(bodiless_statuses_should_have_no_length);
    RUN(unsafe_extra_headers_should_be_dropped);
    RUN(problem_should_follow_rfc9457);
    return check_report();
}
