/* crypto_argon2.c — Argon2id, version 0x13 (RFC 9106), and its PHC string form.
 *
 * Memory is one malloc'ed array of 1 KiB blocks, p lanes of q columns each, split into
 * four slices; lanes are filled one after another on the calling thread (the result does
 * not depend on the order within a slice, only on slices being filled in sequence). The
 * block function works on 128 little-endian 64-bit words; bytes are converted only at the
 * edges (the first two blocks of each lane and the final block), so the code is
 * independent of the host's byte order and alignment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto_le.h"
#include "dooh/crypto.h"

#define BLOCK_WORDS 128
#define BLOCK_BYTES 1024
#define SLICES 4
#define ADDRESSES_PER_BLOCK 128
#define TYPE_ID 2 /* Argon2id */

typedef struct block {
    uint64_t v[BLOCK_WORDS];
} block;

/* BlaMka: addition plus twice the product of the low halves (RFC 9106 §3.6), which makes
 * the function harder to speed up in hardware than plain addition. */
static inline uint64_t blamka(uint64_t x, uint64_t y) {
    return x + y + 2 * (uint64_t)(uint32_t)x * (uint32_t)y;
}

#define GB(a, b, c, d) do {                   \
        a = blamka(a, b);                     \
        d = rotr64(d ^ a, 32);                \
        c = blamka(c, d);                     \
        b = rotr64(b ^ c, 24);                \
        a = blamka(a, b);                     \
        d = rotr64(d ^ a, 16);                \
        c = blamka(c, d);                     \
        b = rotr64(b ^ c, 63);                \
    } while (0)

/* The permutation P on sixteen words, given by their indices in w. */
#define P(w, i0, i1, i2, i3, i4, i5, i6, i7, i8, i9, i10, i11, i12, i13, i14, i15) do { \
        GB(w[i0], w[i4], w[i8], w[i12]);                                              \
        GB(w[i1], w[i5], w[i9], w[i13]);                                              \
        GB(w[i2], w[i6], w[i10], w[i14]);                                             \
        GB(w[i3], w[i7], w[i11], w[i15]);                                             \
        GB(w[i0], w[i5], w[i10], w[i15]);                                             \
        GB(w[i1], w[i6], w[i11], w[i12]);                                             \
        GB(w[i2], w[i7], w[i8], w[i13]);                                              \
        GB(w[i3], w[i4], w[i9], w[i14]);                                              \
    } while (0)

/* next = G(x, y), or next ^= G(x, y) when `xor` (passes after the first, version 0x13).
 * G: R = X ^ Y; P on each row of eight 16-byte registers (16 consecutive words), then on
 * each column (word pairs 2j, 2j+1 of every row); the result is R ^ that. */
static void fill_block(const block *x, const block *y, block *next, bool xor) {
    uint64_t r[BLOCK_WORDS], z[BLOCK_WORDS];
    for (int i = 0; i < BLOCK_WORDS; i++) r[i] = z[i] = x->v[i] ^ y->v[i];
    if (xor)
        for (int i = 0; i < BLOCK_WORDS; i++) z[i] ^= next->v[i];
    for (int i = 0; i < 8; i++) {
        uint64_t *w = r + 16 * i;
        P(w, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    }
    for (int j = 0; j < 8; j++) {
        uint64_t *w = r + 2 * j;
        P(w, 0, 1, 16, 17, 32, 33, 48, 49, 64, 65, 80, 81, 96, 97, 112, 113);
    }
    for (int i = 0; i < BLOCK_WORDS; i++) next->v[i] = z[i] ^ r[i];
}

typedef struct instance {
    block *mem;
    uint32_t lanes;      /* p */
    uint32_t lane_len;   /* q = m' / p columns */
    uint32_t seg_len;    /* q / 4 */
    uint32_t passes;     /* t */
    uint32_t m_blocks;   /* m' */
} instance;

/* The next 128 pseudo-random words for data-independent addressing: G(0, G(0, Z)) with
 * Z = (pass, lane, slice, m', t, type, counter, 0…) and the counter bumped first. */
static void next_addresses(block *addr, block *input, const block *zero) {
    input->v[6]++;
    fill_block(zero, input, addr, false);
    fill_block(zero, addr, addr, false);
}

/* Map the pseudo-random word to a block index in the reference lane (RFC 9106 §3.4.2). */
static uint32_t reference_index(const instance *in, uint32_t pass, uint32_t slice,
                                uint32_t index, bool same_lane, uint64_t rand) {
    uint64_t area;
    if (pass == 0) {
        /* First pass: only blocks already computed, never the immediately previous one
         * (it is the other input of G); other lanes only offer finished slices. */
        if (slice == 0)
            area = index - 1;
        else if (same_lane)
            area = (uint64_t)slice * in->seg_len + index - 1;
        else
            area = (uint64_t)slice * in->seg_len - (index == 0 ? 1 : 0);
    } else {
        /* Later passes: the last three slices' worth of blocks before this one. */
        if (same_lane)
            area = (uint64_t)in->lane_len - in->seg_len + index - 1;
        else
            area = (uint64_t)in->lane_len - in->seg_len - (index == 0 ? 1 : 0);
    }
    uint64_t j1 = rand & 0xffffffffu;
    uint64_t x = (j1 * j1) >> 32;
    uint64_t y = (area * x) >> 32;
    uint64_t rel = area - 1 - y;
    uint64_t start = 0;
    if (pass != 0 && slice != SLICES - 1) start = (uint64_t)(slice + 1) * in->seg_len;
    return (uint32_t)((start + rel) % in->lane_len);
}

static void fill_segment(const instance *in, uint32_t pass, uint32_t lane, uint32_t slice) {
    bool independent = pass == 0 && slice < SLICES / 2;
    block addr, input, zero;
    if (independent) {
        memset(&zero, 0, sizeof zero);
        memset(&input, 0, sizeof input);
        input.v[0] = pass;
        input.v[1] = lane;
        input.v[2] = slice;
        input.v[3] = in->m_blocks;
        input.v[4] = in->passes;
        input.v[5] = TYPE_ID;
    }
    uint32_t start = 0;
    if (pass == 0 && slice == 0) {
        start = 2; /* the first two columns come from H0 */
        if (independent) next_addresses(&addr, &input, &zero);
    }
    block *lane_mem = in->mem + (size_t)lane * in->lane_len;
    for (uint32_t i = start; i < in->seg_len; i++) {
        uint32_t col = slice * in->seg_len + i;
        uint32_t prev = col == 0 ? in->lane_len - 1 : col - 1;
        uint64_t rand;
        if (independent) {
            if (i % ADDRESSES_PER_BLOCK == 0) next_addresses(&addr, &input, &zero);
            rand = addr.v[i % ADDRESSES_PER_BLOCK];
        } else {
            rand = lane_mem[prev].v[0];
        }
        uint32_t ref_lane = (uint32_t)((rand >> 32) % in->lanes);
        if (pass == 0 && slice == 0) ref_lane = lane;
        uint32_t ref = reference_index(in, pass, slice, i, ref_lane == lane, rand);
        const block *refb = in->mem + (size_t)ref_lane * in->lane_len + ref;
        fill_block(&lane_mem[prev], refb, &lane_mem[col], pass != 0);
    }
    if (independent) {
        dooh_wipe(&addr, sizeof addr);
        dooh_wipe(&input, sizeof input);
    }
}

static void add_le32(dooh_blake2b_state *s, uint32_t v) {
    uint8_t b[4];
    store_le32(b, v);
    dooh_blake2b_update(s, b, 4);
}

static void add_bytes(dooh_blake2b_state *s, const void *p, size_t n) {
    add_le32(s, (uint32_t)n);
    if (n) dooh_blake2b_update(s, p, n);
}

int dooh_argon2id(const void *pw, size_t pwlen, const void *salt, size_t saltlen,
                  const void *secret, size_t secretlen, const void *ad, size_t adlen,
                  uint32_t m_kib, uint32_t t, uint32_t p, uint8_t *tag, size_t taglen) {
    if (p < 1 || p > DOOH_ARGON2_MAX_P || t < 1 || t > DOOH_ARGON2_MAX_T ||
        m_kib < 8 * p || m_kib > DOOH_ARGON2_MAX_M_KIB || saltlen < 8 || taglen < 4 ||
        taglen > 1024 || (uint64_t)pwlen > UINT32_MAX || (uint64_t)saltlen > UINT32_MAX ||
        (uint64_t)secretlen > UINT32_MAX || (uint64_t)adlen > UINT32_MAX)
        return DOOH_CRYPTO_EINVAL;

    instance in;
    in.lanes = p;
    in.passes = t;
    in.m_blocks = m_kib / (SLICES * p) * (SLICES * p);
    in.lane_len = in.m_blocks / p;
    in.seg_len = in.lane_len / SLICES;
    in.mem = malloc((size_t)in.m_blocks * sizeof(block));
    if (!in.mem) return DOOH_CRYPTO_ENOMEM;

    /* H0 (RFC 9106 §3.2), followed by room for the two LE32 words of each first block. */
    uint8_t h0[DOOH_BLAKE2B_OUTMAX + 8];
    dooh_blake2b_state s;
    dooh_blake2b_init(&s, DOOH_BLAKE2B_OUTMAX, NULL, 0);
    add_le32(&s, p);
    add_le32(&s, (uint32_t)taglen);
    add_le32(&s, m_kib);
    add_le32(&s, t);
    add_le32(&s, DOOH_ARGON2_VERSION);
    add_le32(&s, TYPE_ID);
    add_bytes(&s, pw, pwlen);
    add_bytes(&s, salt, saltlen);
    add_bytes(&s, secret, secretlen);
    add_bytes(&s, ad, adlen);
    dooh_blake2b_final(&s, h0);

    /* B[i][0] = H'(H0 || LE32(0) || LE32(i)), B[i][1] = H'(H0 || LE32(1) || LE32(i)). */
    uint8_t bytes[BLOCK_BYTES];
    for (uint32_t lane = 0; lane < p; lane++) {
        for (uint32_t col = 0; col < 2; col++) {
            store_le32(h0 + DOOH_BLAKE2B_OUTMAX, col);
            store_le32(h0 + DOOH_BLAKE2B_OUTMAX + 4, lane);
            dooh_blake2b_long(bytes, BLOCK_BYTES, h0, sizeof h0);
            block *b = in.mem + (size_t)lane * in.lane_len + col;
            for (int w = 0; w < BLOCK_WORDS; w++) b->v[w] = load_le64(bytes + 8 * w);
        }
    }

    for (uint32_t pass = 0; pass < t; pass++)
        for (uint32_t slice = 0; slice < SLICES; slice++)
            for (uint32_t lane = 0; lane < p; lane++) fill_segment(&in, pass, lane, slice);

    /* C = XOR of the last block of every lane; tag = H'^T(C). */
    block c = in.mem[in.lane_len - 1];
    for (uint32_t lane = 1; lane < p; lane++) {
        const block *last = in.mem + (size_t)lane * in.lane_len + in.lane_len - 1;
        for (int w = 0; w < BLOCK_WORDS; w++) c.v[w] ^= last->v[w];
    }
    for (int w = 0; w < BLOCK_WORDS; w++) store_le64(bytes + 8 * w, c.v[w]);
    dooh_blake2b_long(tag, taglen, bytes, BLOCK_BYTES);

    dooh_wipe(&c, sizeof c);
    dooh_wipe(bytes, sizeof bytes);
    dooh_wipe(h0, sizeof h0);
    dooh_wipe(in.mem, (size_t)in.m_blocks * sizeof(block));
    free(in.mem);
    return DOOH_CRYPTO_OK;
}

/* ---- PHC strings ---- */

#define PHC_PREFIX "$argon2id$v=19$"
#define PHC_SALT_MIN 8
#define PHC_SALT_MAX 64
#define PHC_TAG_MIN 16
#define PHC_TAG_MAX 64

static bool costs_ok(uint32_t m_kib, uint32_t t, uint32_t p) {
    return p >= 1 && p <= DOOH_ARGON2_MAX_P && t >= 1 && t <= DOOH_ARGON2_MAX_T &&
           m_kib >= 8 * p && m_kib <= DOOH_ARGON2_MAX_M_KIB;
}

int dooh_argon2id_hash_phc(const char *pw, size_t pwlen, uint32_t m_kib, uint32_t t,
                           uint32_t p, char *out, size_t outlen) {
    if (out && outlen) out[0] = '\0';
    if (!out || !costs_ok(m_kib, t, p)) return DOOH_CRYPTO_EINVAL;
    uint8_t salt[DOOH_ARGON2_SALT_LEN], tag[DOOH_ARGON2_TAG_LEN];
    char salt64[2 * DOOH_ARGON2_SALT_LEN], tag64[2 * DOOH_ARGON2_TAG_LEN];
    int r = dooh_random_bytes(salt, sizeof salt);
    if (r != DOOH_CRYPTO_OK) return r;
    r = dooh_argon2id(pw, pwlen, salt, sizeof salt, NULL, 0, NULL, 0, m_kib, t, p, tag,
                      sizeof tag);
    if (r != DOOH_CRYPTO_OK) return r;
    size_t ns = dooh_b64std_encode(salt, sizeof salt, salt64);
    size_t nt = dooh_b64std_encode(tag, sizeof tag, tag64);
    int n = snprintf(out, outlen, PHC_PREFIX "m=%u,t=%u,p=%u$%.*s$%.*s", (unsigned)m_kib,
                     (unsigned)t, (unsigned)p, (int)ns, salt64, (int)nt, tag64);
    dooh_wipe(tag, sizeof tag);
    dooh_wipe(tag64, sizeof tag64);
    if (n < 0 || (size_t)n >= outlen) {
        dooh_wipe(out, outlen);
        return DOOH_CRYPTO_EINVAL;
    }
    return DOOH_CRYPTO_OK;
}

/* A decimal without sign or leading zeros, at most 10 digits and <= UINT32_MAX, followed by
 * `end`. Advances *s past `end`. */
static bool parse_u32(const char **s, char end, uint32_t *out) {
    const char *p = *s;
    uint64_t v = 0;
    int digits = 0;
    while (*p >= '0' && *p <= '9') {
        if (++digits > 10) return false;
        v = v * 10 + (uint64_t)(*p - '0');
        p++;
    }
    if (digits == 0 || (digits > 1 && **s == '0') || v > UINT32_MAX || *p != end) return false;
    *out = (uint32_t)v;
    *s = p + 1;
    return true;
}

/* The base64 field from s up to `end` (a '$' or the NUL), decoded into out. */
static bool parse_b64(const char **s, char end, uint8_t *out, size_t min, size_t max,
                      size_t *outlen) {
    const char *stop = strchr(*s, end);
    if (!stop) return false;
    size_t n = (size_t)(stop - *s);
    if (n > dooh_b64_encoded_len(max) || n < dooh_b64_encoded_len(min)) return false;
    if (dooh_b64std_decode(*s, n, out, max, outlen) != DOOH_CRYPTO_OK) return false;
    if (*outlen < min || *outlen > max) return false;
    *s = stop + (end ? 1 : 0);
    return true;
}

int dooh_argon2id_verify_phc(const char *phc, const char *pw, size_t pwlen) {
    if (!phc) return DOOH_CRYPTO_EFORMAT;
    /* Everything after the prefix is bounded by DOOH_ARGON2_PHC_MAX, so strchr stays short. */
    if (strnlen(phc, DOOH_ARGON2_PHC_MAX + 1) > DOOH_ARGON2_PHC_MAX) return DOOH_CRYPTO_EFORMAT;
    if (strncmp(phc, PHC_PREFIX, sizeof PHC_PREFIX - 1) != 0) return DOOH_CRYPTO_EFORMAT;
    const char *s = phc + sizeof PHC_PREFIX - 1;
    uint32_t m_kib, t, p;
    if (strncmp(s, "m=", 2) != 0) return DOOH_CRYPTO_EFORMAT;
    s += 2;
    if (!parse_u32(&s, ',', &m_kib) || strncmp(s, "t=", 2) != 0) return DOOH_CRYPTO_EFORMAT;
    s += 2;
    if (!parse_u32(&s, ',', &t) || strncmp(s, "p=", 2) != 0) return DOOH_CRYPTO_EFORMAT;
    s += 2;
    if (!parse_u32(&s, '$', &p) || !costs_ok(m_kib, t, p)) return DOOH_CRYPTO_EFORMAT;
    uint8_t salt[PHC_SALT_MAX], want[PHC_TAG_MAX], got[PHC_TAG_MAX];
    size_t saltlen, taglen;
    if (!parse_b64(&s, '$', salt, PHC_SALT_MIN, PHC_SALT_MAX, &saltlen) ||
        !parse_b64(&s, '\0', want, PHC_TAG_MIN, PHC_TAG_MAX, &taglen))
        return DOOH_CRYPTO_EFORMAT;
    int r = dooh_argon2id(pw, pwlen, salt, saltlen, NULL, 0, NULL, 0, m_kib, t, p, got,
                          taglen);
    if (r != DOOH_CRYPTO_OK) return r;
    bool eq = dooh_ct_eq(got, want, taglen);
    dooh_wipe(got, sizeof got);
    return eq ? DOOH_CRYPTO_OK : DOOH_CRYPTO_EMISMATCH;
}
