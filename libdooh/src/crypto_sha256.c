/* crypto_sha256.c — SHA-256 (FIPS 180-4 §6.2) and HMAC-SHA256 (RFC 2104).
 *
 * A straightforward, portable implementation: message words are read big-endian byte by
 * byte, so it works on any alignment and byte order. Used for JWT signatures, where the
 * input is at most a few kilobytes, so clarity beats unrolling here.
 */
#include <string.h>

#include "dooh/crypto.h"

/* The first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t rotr32(uint32_t x, unsigned n) { return (x >> n) | (x << (32 - n)); }

static inline uint32_t load_be32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline void store_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* One 64-byte block into the state (FIPS 180-4 §6.2.2). */
static void compress(uint32_t h[8], const uint8_t *block) {
    uint32_t w[64];
    for (int i = 0; i < 16; i++) w[i] = load_be32(block + 4 * i);
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = rotr32(w[i - 15], 7) ^ rotr32(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = rotr32(w[i - 2], 17) ^ rotr32(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t S1 = rotr32(e, 6) ^ rotr32(e, 11) ^ rotr32(e, 25);
        uint32_t ch = (e & f) ^ (~e & g);
        uint32_t t1 = hh + S1 + ch + K[i] + w[i];
        uint32_t S0 = rotr32(a, 2) ^ rotr32(a, 13) ^ rotr32(a, 22);
        uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
        uint32_t t2 = S0 + maj;
        hh = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
}

void dooh_sha256_init(dooh_sha256_state *s) {
    /* The first 32 bits of the fractional parts of the square roots of the first 8 primes. */
    static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
    memcpy(s->h, iv, sizeof iv);
    s->nbytes = 0;
    s->nbuf = 0;
}

void dooh_sha256_update(dooh_sha256_state *s, const void *p, size_t n) {
    const uint8_t *in = p;
    if (n == 0) return;
    s->nbytes += n;
    if (s->nbuf) {
        size_t take = DOOH_SHA256_BLOCK - s->nbuf;
        if (take > n) take = n;
        memcpy(s->buf + s->nbuf, in, take);
        s->nbuf += take;
        in += take;
        n -= take;
        if (s->nbuf < DOOH_SHA256_BLOCK) return;
        compress(s->h, s->buf);
        s->nbuf = 0;
    }
    for (; n >= DOOH_SHA256_BLOCK; in += DOOH_SHA256_BLOCK, n -= DOOH_SHA256_BLOCK)
        compress(s->h, in);
    if (n) {
        memcpy(s->buf, in, n);
        s->nbuf = n;
    }
}

void dooh_sha256_final(dooh_sha256_state *s, uint8_t out[DOOH_SHA256_LEN]) {
    /* Padding (§5.1.1): a 1 bit, zeros up to 56 mod 64, the bit length big-endian. */
    uint64_t bits = s->nbytes * 8;
    s->buf[s->nbuf++] = 0x80;
    if (s->nbuf > 56) {
        memset(s->buf + s->nbuf, 0, DOOH_SHA256_BLOCK - s->nbuf);
        compress(s->h, s->buf);
        s->nbuf = 0;
    }
    memset(s->buf + s->nbuf, 0, 56 - s->nbuf);
    store_be32(s->buf + 56, (uint32_t)(bits >> 32));
    store_be32(s->buf + 60, (uint32_t)bits);
    compress(s->h, s->buf);
    for (int i = 0; i < 8; i++) store_be32(out + 4 * i, s->h[i]);
    dooh_wipe(s, sizeof *s);
}

void dooh_sha256(const void *p, size_t n, uint8_t out[DOOH_SHA256_LEN]) {
    dooh_sha256_state s;
    dooh_sha256_init(&s);
    dooh_sha256_update(&s, p, n);
    dooh_sha256_final(&s, out);
}

void dooh_hmac_sha256_init(dooh_hmac_sha256_state *h, const void *key, size_t keylen) {
    uint8_t k[DOOH_SHA256_BLOCK] = { 0 };
    if (keylen > DOOH_SHA256_BLOCK)
        dooh_sha256(key, keylen, k);
    else if (keylen)
        memcpy(k, key, keylen);
    uint8_t pad[DOOH_SHA256_BLOCK];
    for (int i = 0; i < DOOH_SHA256_BLOCK; i++) pad[i] = k[i] ^ 0x36;
    dooh_sha256_init(&h->inner);
    dooh_sha256_update(&h->inner, pad, sizeof pad);
    for (int i = 0; i < DOOH_SHA256_BLOCK; i++) pad[i] = k[i] ^ 0x5c;
    dooh_sha256_init(&h->outer);
    dooh_sha256_update(&h->outer, pad, sizeof pad);
    dooh_wipe(k, sizeof k);
    dooh_wipe(pad, sizeof pad);
}

void dooh_hmac_sha256_update(dooh_hmac_sha256_state *h, const void *p, size_t n) {
    dooh_sha256_update(&h->inner, p, n);
}

void dooh_hmac_sha256_final(dooh_hmac_sha256_state *h, uint8_t out[DOOH_SHA256_LEN]) {
    uint8_t ih[DOOH_SHA256_LEN];
    dooh_sha256_final(&h->inner, ih);
    dooh_sha256_update(&h->outer, ih, sizeof ih);
    dooh_sha256_final(&h->outer, out);
    dooh_wipe(ih, sizeof ih);
}

void dooh_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t n,
                      uint8_t out[DOOH_SHA256_LEN]) {
    dooh_hmac_sha256_state h;
    dooh_hmac_sha256_init(&h, key, keylen);
    dooh_hmac_sha256_update(&h, msg, n);
    dooh_hmac_sha256_final(&h, out);
}
