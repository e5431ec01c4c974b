/* crypto_base64.c — base64 without padding (RFC 4648 §4 standard and §5 URL-safe
 * alphabets), with a strict decoder: one accepted encoding per byte string.
 *
 * JWT segments use base64url (RFC 7515 §2), PHC strings use the standard alphabet; both
 * omit '='. The decoder is table-driven and branches only on the validity of the input,
 * which is public (tokens and stored hashes are not secret-dependent in their encoding).
 */
#include "dooh/crypto.h"

static const char STD[65] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char URL[65] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t dooh_b64_encoded_len(size_t n) { return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0); }

size_t dooh_b64_decoded_len(size_t n) { return n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0); }

static size_t encode(const char alphabet[65], const uint8_t *in, size_t n, char *out) {
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8) | in[i + 2];
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = alphabet[(v >> 6) & 63];
        out[o++] = alphabet[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[(v >> 12) & 63];
    } else if (n - i == 2) {
        uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8);
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = alphabet[(v >> 6) & 63];
    }
    return o;
}

/* The 6-bit value of c in the alphabet, or -1. */
static int sextet(char c, bool url) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == (url ? '-' : '+')) return 62;
    if (c == (url ? '_' : '/')) return 63;
    return -1;
}

static int decode(bool url, const char *in, size_t n, uint8_t *out, size_t cap,
                  size_t *outlen) {
    if (n % 4 == 1) return DOOH_CRYPTO_EFORMAT;
    if (cap < dooh_b64_decoded_len(n)) return DOOH_CRYPTO_EINVAL;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = sextet(in[i], url);
        if (v < 0) return DOOH_CRYPTO_EFORMAT;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    /* 2 or 4 leftover bits must be zero, or another string would decode to the same bytes. */
    if (acc != 0) return DOOH_CRYPTO_EFORMAT;
    *outlen = o;
    return DOOH_CRYPTO_OK;
}

size_t dooh_b64url_encode(const void *in, size_t n, char *out) { return encode(URL, in, n, out); }

size_t dooh_b64std_encode(const void *in, size_t n, char *out) { return encode(STD, in, n, out); }

int dooh_b64url_decode(const char *in, size_t n, uint8_t *out, size_t cap, size_t *outlen) {
    return decode(true, in, n, out, cap, outlen);
}

int dooh_b64std_decode(const char *in, size_t n, uint8_t *out, size_t cap, size_t *outlen) {
    return decode(false, in, n, out, cap, outlen);
}
