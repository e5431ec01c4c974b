/* needs: http_parse.c */
/* fuzz_chunked.c — libFuzzer target for the in-place chunked-body decoder.
 *
 * The body is decoded whole, then again with bytes appended in pieces (split points taken
 * from the input), as the server does between reads; both must agree on the outcome, the
 * raw length consumed and the decoded bytes. Decoded data must never be longer than what was
 * consumed. The buffer is exactly the input's size, so ASan catches reads past its end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/http_internal.h"

typedef struct outcome {
    int r, status;
    size_t src, dst;
    char *bytes;
} outcome;

/* Decode data[0..n) feeding `step`-sized growth (0: all at once). */
static outcome decode(const uint8_t *data, size_t n, const dooh_http_limits *lim, size_t seed) {
    outcome o = { 0, 0, 0, 0, malloc(n ? n : 1) };
    if (!o.bytes) abort();
    memcpy(o.bytes, data, n);
    dooh_chunked c;
    memset(&c, 0, sizeof c);
    size_t len = seed ? 0 : n;
    size_t step = seed % 11 + 1;
    for (;;) {
        if (seed) {
            len += step;
            if (len > n) len = n;
            step = (step * 7 + seed) % 17 + 1;
        }
        o.r = dooh_http_chunked_decode(&c, o.bytes, len, lim, &o.status);
        if (c.dst > c.src || c.src > len) abort();
        if (o.r != 0 || len == n) break;
    }
    o.src = c.src;
    o.dst = c.dst;
    if (o.r != -1) o.status = 0;
    return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    dooh_http_limits lim;
    dooh_http_limits_default(&lim);
    if (data[0] & 1) {
        lim.body = 64;
        lim.header_line = 32;
        lim.headers_size = 64;
        lim.headers = 3;
    }
    size_t seed = (size_t)data[1] + 1;
    data += 2;
    size -= 2;
    outcome whole = decode(data, size, &lim, 0);
    outcome split = decode(data, size, &lim, seed);
    if (whole.r != split.r || whole.status != split.status) abort();
    if (whole.r == 1) {
        if (whole.src != split.src || whole.dst != split.dst) abort();
        if (memcmp(whole.bytes, split.bytes, whole.dst) != 0) abort();
        if (whole.dst > lim.body) abort();
    }
    if (whole.r == -1 && whole.status != 400 && whole.status != 413 && whole.status != 431)
        abort();
    free(whole.bytes);
    free(split.bytes);
    return 0;
}
