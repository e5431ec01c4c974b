/* response.c — response builders for handlers, RFC 9457 problem bodies, reason phrases and
 * the wire form of a response (see dooh/http.h and http_internal.h).
 *
 * Input: a dooh_response filled by a handler (status, content type, body buffer, extra
 * headers) plus the per-connection facts the server decides (Date, request id, HEAD,
 * Connection). Output: the response bytes appended to a connection's output buffer.
 *
 * Serialisation reserves the whole response once and then copies constant fragments into
 * place, so a response costs one capacity check and a handful of memcpy calls
 * (performance.md §4).
 */
#include "http_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dooh/json.h"
#include "rt_internal.h"

/* RFC 9110 reason phrase (RFC 6585/7725/4918 for 428, 429, 431, 451, 507); "Unknown" otherwise. */
const char *dooh_status_reason(int status) {
    switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 203: return "Non-Authoritative Information";
    case 204: return "No Content";
    case 205: return "Reset Content";
    case 206: return "Partial Content";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 305: return "Use Proxy";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 421: return "Misdirected Request";
    case 422: return "Unprocessable Content";
    case 426: return "Upgrade Required";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 451: return "Unavailable For Legal Reasons";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    case 507: return "Insufficient Storage";
    default: return "Unknown";
    }
}

/* ---- builders ---- */

static const char text_plain[] = "text/plain; charset=utf-8";
static const char app_json[] = "application/json";
static const char problem_json[] = "application/problem+json";

/* Status, text/plain; charset=utf-8, and a copy of body (dooh/http.h). */
void dooh_res_text(dooh_response *res, int status, dooh_str body) {
    res->status = status;
    res->content_type = text_plain;
    dooh_buf_clear(res->body);
    dooh_buf_put(res->body, body.ptr, (size_t)body.len);
}

/* Status and application/json with an empty body for the caller to write (dooh/http.h). */
void dooh_res_json(dooh_response *res, int status) {
    res->status = status;
    res->content_type = app_json;
    dooh_buf_clear(res->body);
}

/* Status, content type and a copy of body; a NULL type means no body (dooh/http.h). */
void dooh_res_set(dooh_response *res, int status, const char *content_type, dooh_str body) {
    res->status = status;
    res->content_type = content_type;
    dooh_buf_clear(res->body);
    if (content_type) dooh_buf_put(res->body, body.ptr, (size_t)body.len);
}

/* Add an extra header; ignored past DOOH_MAX_EXTRA_HEADERS (dooh/http.h). */
void dooh_res_header(dooh_response *res, const char *name, dooh_str value) {
    if (res->nextra >= DOOH_MAX_EXTRA_HEADERS) return;
    res->extra[res->nextra++] = (dooh_header){ dooh_str_from_cstr(name), value };
}

/* Replace the response with an RFC 9457 problem body (dooh/http.h). */
void dooh_res_problem(dooh_ctx *ctx, dooh_response *res, int status, dooh_str detail) {
    dooh_buf *b = res->body;
    res->status = status;
    res->content_type = problem_json;
    res->nextra = 0;
    dooh_buf_clear(b);
    dooh_buf_lit(b, "{\"type\":\"about:blank\",\"title\":");
    dooh_json_str(b, dooh_str_from_cstr(dooh_status_reason(status)));
    dooh_buf_lit(b, ",\"status\":");
    dooh_buf_put_i64(b, status);
    dooh_buf_lit(b, ",\"detail\":");
    dooh_json_str(b, detail);
    if (ctx->req && ctx->req->path.ptr) {
        dooh_buf_lit(b, ",\"instance\":");
        dooh_json_str(b, ctx->req->path);
    }
    if (ctx->nverrs > 0) {
        dooh_buf_lit(b, ",\"errors\":[");
        for (int i = 0; i < ctx->nverrs; i++) {
            const dooh_verr *e = &ctx->verrs[i];
            if (i) dooh_buf_putc(b, ',');
            dooh_buf_lit(b, "{\"field\":");
            dooh_json_str(b, dooh_str_from_cstr(e->field ? e->field : ""));
            dooh_buf_lit(b, ",\"code\":");
            dooh_json_str(b, dooh_str_from_cstr(e->code ? e->code : ""));
            dooh_buf_lit(b, ",\"detail\":");
            dooh_json_str(b, e->detail);
            if (e->extra_key) {
                dooh_buf_putc(b, ',');
                dooh_json_str(b, dooh_str_from_cstr(e->extra_key));
                dooh_buf_putc(b, ':');
                dooh_buf_put_i64(b, e->extra_val);
            }
            dooh_buf_putc(b, '}');
        }
        dooh_buf_putc(b, ']');
    }
    dooh_buf_putc(b, '}');
}

/* ---- wire form ---- */

void dooh_http_format_date(char *out, int64_t t) {
    static const char days[] = "SunMonTueWedThuFriSat";
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    char tmp[40];
    snprintf(tmp, sizeof tmp, "%.3s, %02d %.3s %04d %02d:%02d:%02d GMT",
             days + 3 * tm.tm_wday, tm.tm_mday, months + 3 * tm.tm_mon,
             (tm.tm_year + 1900) % 10000, tm.tm_hour, tm.tm_min, tm.tm_sec);
    memcpy(out, tmp, DOOH_HTTP_DATE_LEN);
}

/* A header name or value we may put on the wire: no CR, LF or other control byte, so that no
 * value, whatever its origin, can split the header block. */
static bool header_bytes_ok(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
    }
    return true;
}

#define PUT(p, lit) (memcpy((p), (lit), sizeof(lit) - 1), (p) += sizeof(lit) - 1)

/* Append the response's wire form to out (http_internal.h). */
void dooh_http_serialize(dooh_buf *out, const dooh_response *res, const dooh_http_wire *w) {
    int st = res->status;
    if (st < 100 || st > 999) st = 500;
    /* RFC 9110 §6.4.1: 1xx, 204 and 304 never carry content (nor, for 204, a length). */
    bool bodiless = st < 200 || st == 204 || st == 304;
    const char *ct = bodiless ? NULL : res->content_type;
    size_t blen = (ct && res->body) ? res->body->len : 0;
    size_t ctlen = ct ? strlen(ct) : 0;
    const char *reason = dooh_status_reason(st);
    size_t rlen = strlen(reason);

    size_t need = 16 + rlen + 16 + 8 + DOOH_HTTP_DATE_LEN + 18 + ctlen + 20 + DOOH__I64_MAX_CHARS +
                  18 + (size_t)w->request_id.len + 26 + 2 + (w->head ? 0 : blen);
    for (int i = 0; i < res->nextra; i++)
        need += (size_t)res->extra[i].name.len + (size_t)res->extra[i].value.len + 4;
    if (!dooh_buf_reserve(out, need)) {
        fputs("libdooh: out of memory writing a response\n", stderr);
        abort();
    }
    char *p = out->p + out->len;

    if (st == 200) {
        PUT(p, "HTTP/1.1 200 OK\r\nServer: doo\r\nDate: ");
    } else {
        PUT(p, "HTTP/1.1 ");
        p[0] = (char)('0' + st / 100);
        p[1] = (char)('0' + st / 10 % 10);
        p[2] = (char)('0' + st % 10);
        p[3] = ' ';
        p += 4;
        memcpy(p, reason, rlen);
        p += rlen;
        PUT(p, "\r\nServer: doo\r\nDate: ");
    }
    memcpy(p, w->date, DOOH_HTTP_DATE_LEN);
    p += DOOH_HTTP_DATE_LEN;
    if (ct) {
        PUT(p, "\r\nContent-Type: ");
        memcpy(p, ct, ctlen);
        p += ctlen;
    }
    if (!bodiless) {
        PUT(p, "\r\nContent-Length: ");
        p += dooh__fmt_u64(p, blen);
    }
    PUT(p, "\r\nX-Request-Id: ");
    memcpy(p, w->request_id.ptr, (size_t)w->request_id.len);
    p += w->request_id.len;
    if (w->connection == DOOH_CONN_CLOSE) PUT(p, "\r\nConnection: close");
    else if (w->connection == DOOH_CONN_KEEP_ALIVE) PUT(p, "\r\nConnection: keep-alive");
    for (int i = 0; i < res->nextra; i++) {
        const dooh_header *h = &res->extra[i];
        if (!h->name.ptr || (!h->value.ptr && h->value.len)) continue;
        if (!header_bytes_ok(h->name.ptr, (size_t)h->name.len) ||
            !header_bytes_ok(h->value.ptr, (size_t)h->value.len))
            continue;
        PUT(p, "\r\n");
        memcpy(p, h->name.ptr, (size_t)h->name.len);
        p += h->name.len;
        PUT(p, ": ");
        if (h->value.len) memcpy(p, h->value.ptr, (size_t)h->value.len);
        p += h->value.len;
    }
    PUT(p, "\r\n\r\n");
    if (!w->head && blen) {
        memcpy(p, res->body->p, blen);
        p += blen;
    }
    out->len = (size_t)(p - out->p);
}
