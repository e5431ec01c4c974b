/* crypto_blake2b.c — BLAKE2b (RFC 7693), keyed and with any output length from 1 to 64
 * bytes, and Argon2's variable-length hash H' built on it (RFC 9106 §3.3).
 *
 * Words are loaded little-endian byte by byte, so input alignment and host byte order do
 * not matter; compilers turn the loads into single moves on little-endian machines.
 */
#include <string.h>

#include "crypto_le.h"
#include "dooh/crypto.h"

static const uint64_t IV[8] = {
    0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
    0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL, 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL,
};

/* Message word schedule (RFC 7693 §2.7); rounds 10 and 11 reuse rows 0 and 1. */
static const uint8_t SIGMA[12][16] = {
    { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 },
    { 14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3 },
    { 11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4 },
    { 7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8 },
    { 9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13 },
    { 2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9 },
    { 12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11 },
    { 13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10 },
    { 6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5 },
    { 10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0 },
    { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 },
    { 14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3 },
};

#define G(a, b, c, d, x, y) do {                 \
        v[a] = v[a] + v[b] + (x);                \
        v[d] = rotr64(v[d] ^ v[a], 32);          \
        v[c] = v[c] + v[d];                      \
        v[b] = rotr64(v[b] ^ v[c], 24);          \
        v[a] = v[a] + v[b] + (y);                \
        v[d] = rotr64(v[d] ^ v[a], 16);          \
        v[c] = v[c] + v[d];                      \
        v[b] = rotr64(v[b] ^ v[c], 63);          \
    } while (0)

/* The compression function F (RFC 7693 §3.2); `last` sets the final-block flag. */
static void compress(dooh_blake2b_state *s, const uint8_t *block, bool last) {
    uint64_t m[16], v[16];
    for (int i = 0; i < 16; i++) m[i] = load_le64(block + 8 * i);
    for (int i = 0; i < 8; i++) {
        v[i] = s->h[i];
        v[i + 8] = IV[i];
    }
    v[12] ^= s->t[0];
    v[13] ^= s->t[1];
    if (last) v[14] = ~v[14];
    for (int r = 0; r < 12; r++) {
        const uint8_t *sg = SIGMA[r];
        G(0, 4, 8, 12, m[sg[0]], m[sg[1]]);
        G(1, 5, 9, 13, m[sg[2]], m[sg[3]]);
        G(2, 6, 10, 14, m[sg[4]], m[sg[5]]);
        G(3, 7, 11, 15, m[sg[6]], m[sg[7]]);
        G(0, 5, 10, 15, m[sg[8]], m[sg[9]]);
        G(1, 6, 11, 12, m[sg[10]], m[sg[11]]);
        G(2, 7, 8, 13, m[sg[12]], m[sg[13]]);
        G(3, 4, 9, 14, m[sg[14]], m[sg[15]]);
    }
    for (int i = 0; i < 8; i++) s->h[i] ^= v[i] ^ v[i + 8];
}

static void add_counter(dooh_blake2b_state *s, uint64_t n) {
    s->t[0] += n;
    if (s->t[0] < n) s->t[1]++;
}

int dooh_blake2b_init(dooh_blake2b_state *s, size_t outlen, const void *key, size_t keylen) {
    if (outlen == 0 || outlen > DOOH_BLAKE2B_OUTMAX || keylen > DOOH_BLAKE2B_KEYMAX ||
        (keylen && !key))
        return DOOH_CRYPTO_EINVAL;
    memcpy(s->h, IV, sizeof IV);
    /* Parameter block word 0: digest length, key length, fanout 1, depth 1. */
    s->h[0] ^= 0x01010000ULL ^ ((uint64_t)keylen << 8) ^ (uint64_t)outlen;
    s->t[0] = s->t[1] = 0;
    s->nbuf = 0;
    s->outlen = outlen;
    if (keylen) {
        /* The key, zero-padded to a full block, is the first block of the message. */
        memset(s->buf, 0, sizeof s->buf);
        memcpy(s->buf, key, keylen);
        s->nbuf = DOOH_BLAKE2B_BLOCK;
    }
    return DOOH_CRYPTO_OK;
}

void dooh_blake2b_update(dooh_blake2b_state *s, const void *p, size_t n) {
    const uint8_t *in = p;
    /* A full buffer is compressed only once more input arrives: the last block must be
     * compressed by final() with the final flag set. */
    while (n) {
        if (s->nbuf == DOOH_BLAKE2B_BLOCK) {
            add_counter(s, DOOH_BLAKE2B_BLOCK);
            compress(s, s->buf, false);
            s->nbuf = 0;
        }
        if (s->nbuf == 0) {
            while (n > DOOH_BLAKE2B_BLOCK) {
                add_counter(s, DOOH_BLAKE2B_BLOCK);
                compress(s, in, false);
                in += DOOH_BLAKE2B_BLOCK;
                n -= DOOH_BLAKE2B_BLOCK;
            }
        }
        size_t take = DOOH_BLAKE2B_BLOCK - s->nbuf;
        if (take > n) take = n;
        memcpy(s->buf + s->nbuf, in, take);
        s->nbuf += take;
        in += take;
        n -= take;
    }
}

void dooh_blake2b_final(dooh_blake2b_state *s, uint8_t *out) {
    add_counter(s, s->nbuf);
    memset(s->buf + s->nbuf, 0, DOOH_BLAKE2B_BLOCK - s->nbuf);
    compress(s, s->buf, true);
    uint8_t full[DOOH_BLAKE2B_OUTMAX];
    for (int i = 0; i < 8; i++) store_le64(full + 8 * i, s->h[i]);
    memcpy(out, full, s->outlen);
    dooh_wipe(full, sizeof full);
    dooh_wipe(s, sizeof *s);
}

int dooh_blake2b(uint8_t *out, size_t outlen, const void *key, size_t keylen,
                 const void *in, size_t inlen) {
    dooh_blake2b_state s;
    int r = dooh_blake2b_init(&s, outlen, key, keylen);
    if (r != DOOH_CRYPTO_OK) return r;
    dooh_blake2b_update(&s, in, inlen);
    dooh_blake2b_final(&s, out);
    return DOOH_CRYPTO_OK;
}

int dooh_blake2b_long(uint8_t *out, size_t outlen, const void *in, size_t inlen) {
    if (outlen == 0 || (uint64_t)outlen > UINT32_MAX) return DOOH_CRYPTO_EINVAL;
    uint8_t len32[4];
    store_le32(len32, (uint32_t)outlen);
    dooh_blake2b_state s;
    if (outlen <= DOOH_BLAKE2B_OUTMAX) {
        /* H'^T(A) = H^T(LE32(T) || A) */
        dooh_blake2b_init(&s, outlen, NULL, 0);
        dooh_blake2b_update(&s, len32, 4);
        dooh_blake2b_update(&s, in, inlen);
        dooh_blake2b_final(&s, out);
        return DOOH_CRYPTO_OK;
    }
    /* r = ceil(T/32) - 2 full 64-byte hashes V1..Vr, each contributing its first 32 bytes,
     * then V_{r+1} = H^{T-32r}(V_r) in full. */
    size_t r = (outlen + 31) / 32 - 2;
    uint8_t v[DOOH_BLAKE2B_OUTMAX];
    dooh_blake2b_init(&s, DOOH_BLAKE2B_OUTMAX, NULL, 0);
    dooh_blake2b_update(&s, len32, 4);
    dooh_blake2b_update(&s, in, inlen);
    dooh_blake2b_final(&s, v);
    memcpy(out, v, 32);
    for (size_t i = 1; i < r; i++) {
        dooh_blake2b(v, DOOH_BLAKE2B_OUTMAX, NULL, 0, v, DOOH_BLAKE2B_OUTMAX);
        memcpy(out + 32 * i, v, 32);
    }
    dooh_blake2b(out + 32 * r, outlen - 32 * r, NULL, 0, v, DOOH_BLAKE2B_OUTMAX);
    dooh_wipe(v, sizeof v);
    return DOOH_CRYPTO_OK;
}
