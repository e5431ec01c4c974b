/* needs: jwt.c json.c arena.c buf.c rt.c str.c crypto_sha256.c crypto_base64.c crypto_util.c */
/* fuzz_jwt.c — libFuzzer target for JWT verification (dooh_jwt_verify) and signing.
 *
 * Random bytes almost never carry a valid MAC, so the first input byte picks a mode that
 * lets the fuzzer reach every check:
 *   0  the rest is a token, verified as is: any result must be a documented code;
 *   1  the rest is "header-json.claims-json" (raw JSON, split at the first '.'), encoded
 *      and signed with the secret, then verified: this reaches the alg/crit/claims checks,
 *      and an accepted token must satisfy them (non-empty sub, exp and iat within the
 *      leeway) and must be refused under another secret;
 *   2  the rest is "sub\0email\0role": signed, then verified; a token dooh_jwt_sign issues
 *      must verify to the same claims;
 *   3  the rest is (position, xor) byte pairs applied to a valid token: a token that differs
 *      from a valid one in any byte must never verify (canonical base64url everywhere).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dooh/crypto.h"
#include "dooh/jwt.h"

static const char SECRET[] = "fuzz-secret-0123456789abcdefghijklmnop";
static const char OTHER[] = "fuzz-secret-0123456789abcdefghijklmnoq";
#define SECRETLEN (sizeof SECRET - 1)
#define NOW 1700000000LL
#define LEEWAY 30

static int verify(dooh_ctx *ctx, const char *t, size_t n, const char *secret,
                  dooh_jwt_claims *c) {
    int r = dooh_jwt_verify(ctx, t, n, secret, SECRETLEN, NOW, LEEWAY, c);
    if (r > 0 || r < DOOH_JWT_EINVAL || r == DOOH_JWT_ESECRET || r == DOOH_JWT_EINVAL) abort();
    if (r == DOOH_JWT_OK) {
        if (!c->sub.ptr || c->sub.len <= 0) abort();
        if (c->exp <= NOW - LEEWAY || c->iat > NOW + LEEWAY) abort();
    } else if (c->sub.ptr || c->exp || c->iat) {
        abort();
    }
    return r;
}

static void verify_raw(dooh_ctx *ctx, const uint8_t *d, size_t n) {
    dooh_jwt_claims c;
    verify(ctx, (const char *)d, n, SECRET, &c);
}

static void sign_json(dooh_ctx *ctx, const uint8_t *d, size_t n) {
    const uint8_t *dot = memchr(d, '.', n);
    size_t hn = dot ? (size_t)(dot - d) : n, pn = dot ? n - hn - 1 : 0;
    size_t he = dooh_b64_encoded_len(hn), pe = dooh_b64_encoded_len(pn);
    char *t = malloc(he + pe + 2 + 43);
    if (!t) abort();
    dooh_b64url_encode(d, hn, t);
    t[he] = '.';
    dooh_b64url_encode(dot ? dot + 1 : d, pn, t + he + 1);
    uint8_t mac[DOOH_SHA256_LEN];
    dooh_hmac_sha256(SECRET, SECRETLEN, t, he + 1 + pe, mac);
    t[he + 1 + pe] = '.';
    dooh_b64url_encode(mac, sizeof mac, t + he + pe + 2);
    size_t len = he + pe + 2 + 43;
    dooh_jwt_claims c;
    if (verify(ctx, t, len, SECRET, &c) == DOOH_JWT_OK &&
        verify(ctx, t, len, OTHER, &c) != DOOH_JWT_ESIG)
        abort();
    free(t);
}

static bool same(dooh_str a, dooh_str b) {
    return (a.ptr == NULL) == (b.ptr == NULL) && a.len == b.len &&
           (a.len == 0 || memcmp(a.ptr, b.ptr, (size_t)a.len) == 0);
}

/* The next NUL-separated field of d[*at..n), or a NULL string when there is none. */
static dooh_str field(const uint8_t *d, size_t n, size_t *at) {
    if (*at > n) return DOOH_NULL_STR;
    const uint8_t *p = d + *at;
    const uint8_t *z = memchr(p, 0, n - *at);
    size_t len = z ? (size_t)(z - p) : n - *at;
    *at += len + 1;
    return (dooh_str){ (const char *)p, (int64_t)len };
}

static void sign_round_trip(dooh_ctx *ctx, const uint8_t *d, size_t n) {
    size_t at = 0;
    dooh_jwt_claims in = { DOOH_NULL_STR, DOOH_NULL_STR, DOOH_NULL_STR, NOW, NOW + 3600 };
    in.sub = field(d, n, &at);
    in.email = field(d, n, &at);
    in.role = field(d, n, &at);
    if (!in.sub.ptr) in.sub = (dooh_str){ "", 0 };
    dooh_str tok;
    if (dooh_jwt_sign(ctx, &in, SECRET, SECRETLEN, &tok) != DOOH_JWT_OK) {
        if (tok.ptr) abort();
        return;
    }
    dooh_jwt_claims out;
    if (verify(ctx, tok.ptr, (size_t)tok.len, SECRET, &out) != DOOH_JWT_OK) abort();
    if (!same(in.sub, out.sub) || !same(in.email, out.email) || !same(in.role, out.role) ||
        out.iat != in.iat || out.exp != in.exp)
        abort();
}

static void mutate_valid(dooh_ctx *ctx, const uint8_t *d, size_t n) {
    dooh_jwt_claims in = { DOOH_LIT("42"), DOOH_LIT("ada@example.com"), DOOH_LIT("admin"),
                           NOW, NOW + 3600 };
    dooh_str tok;
    if (dooh_jwt_sign(ctx, &in, SECRET, SECRETLEN, &tok) != DOOH_JWT_OK) abort();
    size_t len = (size_t)tok.len;
    char *t = malloc(len);
    if (!t) abort();
    memcpy(t, tok.ptr, len);
    for (size_t i = 0; i + 1 < n; i += 2) t[d[i] * len / 256] ^= (char)d[i + 1];
    dooh_jwt_claims c;
    int r = verify(ctx, t, len, SECRET, &c);
    if ((r == DOOH_JWT_OK) != (memcmp(t, tok.ptr, len) == 0)) abort();
    free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    dooh_ctx ctx;
    dooh_ctx_init(&ctx);
    const uint8_t *d = data + 1;
    size_t n = size - 1;
    switch (data[0] & 3) {
    case 0: verify_raw(&ctx, d, n); break;
    case 1: sign_json(&ctx, d, n); break;
    case 2: sign_round_trip(&ctx, d, n); break;
    case 3: mutate_valid(&ctx, d, n); break;
    }
    dooh_ctx_free(&ctx);
    return 0;
}
