/* needs: arena.c buf.c rt.c str.c json.c */
/* fuzz_json.c — libFuzzer target for the strict JSON reader (dooh_json_parse).
 *
 * Any input must be parsed or refused without a crash, leak or over-read. When it is
 * accepted, the tree is written back with the JSON writer and that text must parse again to
 * a tree with the same shape (types, counts, string bytes): reader and writer agree.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dooh/json.h"

/* Write v as JSON (numbers by their source text). Depth is bounded by the reader's 64. */
static void write_jv(dooh_buf *b, const dooh_jv *v) {
    switch (v->type) {
    case DOOH_JNULL: dooh_json_null(b); break;
    case DOOH_JBOOL: dooh_json_bool(b, v->b); break;
    case DOOH_JNUM: dooh_buf_put(b, v->s.ptr, (size_t)v->s.len); break;
    case DOOH_JSTR: dooh_json_str(b, v->s); break;
    case DOOH_JARR:
        dooh_buf_putc(b, '[');
        for (int64_t i = 0; i < v->n; i++) {
            if (i) dooh_buf_putc(b, ',');
            write_jv(b, &v->items[i]);
        }
        dooh_buf_putc(b, ']');
        break;
    case DOOH_JOBJ:
        dooh_buf_putc(b, '{');
        for (int64_t i = 0; i < v->n; i++) {
            if (i) dooh_buf_putc(b, ',');
            dooh_json_str(b, v->keys[i]);
            dooh_buf_putc(b, ':');
            write_jv(b, &v->items[i]);
        }
        dooh_buf_putc(b, '}');
        break;
    }
}

/* Same shape and bytes. */
static bool same(const dooh_jv *a, const dooh_jv *b) {
    if (a->type != b->type || a->n != b->n || a->b != b->b) return false;
    if ((a->type == DOOH_JSTR || a->type == DOOH_JNUM) &&
        (a->s.len != b->s.len || memcmp(a->s.ptr, b->s.ptr, (size_t)a->s.len) != 0))
        return false;
    if (a->type == DOOH_JARR || a->type == DOOH_JOBJ)
        for (int64_t i = 0; i < a->n; i++) {
            if (!same(&a->items[i], &b->items[i])) return false;
            if (a->type == DOOH_JOBJ && (a->keys[i].len != b->keys[i].len ||
                memcmp(a->keys[i].ptr, b->keys[i].ptr, (size_t)a->keys[i].len) != 0))
                return false;
        }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    dooh_ctx ctx;
    dooh_ctx_init(&ctx);
    char *copy = malloc(size ? size : 1);
    if (!copy) abort();
    memcpy(copy, data, size);
    dooh_jv *v = NULL;
    dooh_str err = DOOH_NULL_STR;
    int r = dooh_json_parse(&ctx, copy, size, 64, &v, &err);
    if (r == 0) {
        if (!v) abort();
        dooh_buf out;
        dooh_buf_init(&out);
        write_jv(&out, v);
        dooh_jv *v2 = NULL;
        if (dooh_json_parse(&ctx, out.p, out.len, 64, &v2, &err) != 0) abort();
        if (!same(v, v2)) abort();
        dooh_buf_free(&out);
    } else if (r != -1 || !err.ptr) {
        abort();
    }
    free(copy);
    dooh_ctx_free(&ctx);
    return 0;
}
