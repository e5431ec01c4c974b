/* dooh/crypto.h — the primitives behind passwords and tokens, written for libdooh from the
 * standards and checked against their published test vectors:
 *
 *   SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104, vectors RFC 4231)   crypto_sha256.c
 *   BLAKE2b (RFC 7693) and Argon2's variable-length hash H' (RFC 9106)  crypto_blake2b.c
 *   Argon2id, version 0x13 only (RFC 9106), and its PHC string form     crypto_argon2.c
 *   base64url and standard base64, both without padding (RFC 4648)      crypto_base64.c
 *   constant-time comparison, wiping, random bytes from the OS          crypto_util.c
 *
 * Conventions: functions that can fail return 0 or a negative DOOH_CRYPTO_E* code and never
 * abort on bad input. Byte strings are (pointer, length); nothing here needs NUL
 * termination except the PHC string functions, which document it.
 */
#ifndef DOOH_CRYPTO_H
#define DOOH_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    DOOH_CRYPTO_OK = 0,
    DOOH_CRYPTO_EINVAL = -1,    /* a parameter is out of range (sizes, costs, lengths) */
    DOOH_CRYPTO_ENOMEM = -2,    /* malloc failed */
    DOOH_CRYPTO_ERANDOM = -3,   /* the OS could not supply random bytes */
    DOOH_CRYPTO_EFORMAT = -4,   /* malformed input: base64, a PHC string */
    DOOH_CRYPTO_EMISMATCH = -5, /* a well-formed PHC string that the password does not match */
};

/* ---- SHA-256 ---- */
#define DOOH_SHA256_LEN 32
#define DOOH_SHA256_BLOCK 64

typedef struct dooh_sha256_state {
    uint32_t h[8];
    uint64_t nbytes;           /* message length so far */
    uint8_t buf[DOOH_SHA256_BLOCK];
    size_t nbuf;               /* bytes waiting in buf */
} dooh_sha256_state;

void dooh_sha256_init(dooh_sha256_state *s);
void dooh_sha256_update(dooh_sha256_state *s, const void *p, size_t n);
/* Writes the 32-byte digest; the state must be re-initialised before reuse. */
void dooh_sha256_final(dooh_sha256_state *s, uint8_t out[DOOH_SHA256_LEN]);
/* One-shot digest of n bytes at p. */
void dooh_sha256(const void *p, size_t n, uint8_t out[DOOH_SHA256_LEN]);

/* ---- HMAC-SHA256 ---- */
typedef struct dooh_hmac_sha256_state {
    dooh_sha256_state inner, outer;
} dooh_hmac_sha256_state;

/* Keys longer than the 64-byte block are hashed first (RFC 2104). Any key length works,
 * including zero; choosing a strong key is the caller's job. */
void dooh_hmac_sha256_init(dooh_hmac_sha256_state *h, const void *key, size_t keylen);
void dooh_hmac_sha256_update(dooh_hmac_sha256_state *h, const void *p, size_t n);
void dooh_hmac_sha256_final(dooh_hmac_sha256_state *h, uint8_t out[DOOH_SHA256_LEN]);
void dooh_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t n,
                      uint8_t out[DOOH_SHA256_LEN]);

/* ---- BLAKE2b ---- */
#define DOOH_BLAKE2B_OUTMAX 64
#define DOOH_BLAKE2B_KEYMAX 64
#define DOOH_BLAKE2B_BLOCK 128

typedef struct dooh_blake2b_state {
    uint64_t h[8];
    uint64_t t[2];             /* 128-bit byte counter */
    uint8_t buf[DOOH_BLAKE2B_BLOCK];
    size_t nbuf;
    size_t outlen;
} dooh_blake2b_state;

/* outlen 1..64, keylen 0..64 (key may be NULL when keylen is 0). Returns 0 or EINVAL. */
int dooh_blake2b_init(dooh_blake2b_state *s, size_t outlen, const void *key, size_t keylen);
void dooh_blake2b_update(dooh_blake2b_state *s, const void *p, size_t n);
/* Writes s->outlen bytes. */
void dooh_blake2b_final(dooh_blake2b_state *s, uint8_t *out);
int dooh_blake2b(uint8_t *out, size_t outlen, const void *key, size_t keylen,
                 const void *in, size_t inlen);
/* Argon2's variable-length hash H'^outlen (RFC 9106 §3.3): any outlen from 1 to 2^32-1. */
int dooh_blake2b_long(uint8_t *out, size_t outlen, const void *in, size_t inlen);

/* ---- Argon2id (RFC 9106, version 0x13) ---- */
#define DOOH_ARGON2_VERSION 0x13
/* OWASP's recommendation (Password Storage Cheat Sheet): 19 MiB, 2 passes, 1 lane. */
#define DOOH_ARGON2_OWASP_M_KIB 19456u
#define DOOH_ARGON2_OWASP_T 2u
#define DOOH_ARGON2_OWASP_P 1u
#define DOOH_ARGON2_SALT_LEN 16  /* what dooh_argon2id_hash_phc generates */
#define DOOH_ARGON2_TAG_LEN 32
/* Bounds for costs (both for hashing and for a stored PHC string being verified, so a
 * hostile string cannot make verification allocate or compute without limit). */
#define DOOH_ARGON2_MAX_M_KIB 262144u /* 256 MiB */
#define DOOH_ARGON2_MAX_T 16u
#define DOOH_ARGON2_MAX_P 16u
/* A PHC string with 16-byte salt and 32-byte tag is 97 chars; this fits up to 64/64 bytes. */
#define DOOH_ARGON2_PHC_MAX 200

/* The raw function: tag = Argon2id(P = pw, S = salt, K = secret, X = ad, m, t, p).
 * Memory (m KiB, rounded down to a multiple of 4p blocks) is malloc'ed and freed here.
 * Lanes are computed one after another on the calling thread.
 * Bounds: 8p <= m <= MAX_M_KIB, 1 <= t <= MAX_T, 1 <= p <= MAX_P, saltlen >= 8,
 * taglen 4..1024. Returns 0, EINVAL or ENOMEM. */
int dooh_argon2id(const void *pw, size_t pwlen, const void *salt, size_t saltlen,
                  const void *secret, size_t secretlen, const void *ad, size_t adlen,
                  uint32_t m_kib, uint32_t t, uint32_t p, uint8_t *tag, size_t taglen);

/* Hash a password with a fresh 16-byte salt from the OS and a 32-byte tag, and write the
 * NUL-terminated PHC string "$argon2id$v=19$m=<m>,t=<t>,p=<p>$<salt>$<tag>" (standard base64
 * without padding) to out. Returns 0, EINVAL (bad costs, or outlen too small: 128 is
 * always enough), ENOMEM or ERANDOM. out is an empty string on failure. */
int dooh_argon2id_hash_phc(const char *pw, size_t pwlen, uint32_t m_kib, uint32_t t,
                           uint32_t p, char *out, size_t outlen);

/* Check a password against a NUL-terminated PHC string. Returns 0 on a match,
 * EMISMATCH when the password is wrong, EFORMAT when the string is not a canonical
 * argon2id v=19 PHC string (no optional parameters, decimal costs without leading zeros,
 * salt 8..64 and tag 16..64 bytes in unpadded canonical base64) or its costs are outside the
 * bounds above, ENOMEM when memory ran out. The tag comparison is constant-time. */
int dooh_argon2id_verify_phc(const char *phc, const char *pw, size_t pwlen);

/* ---- base64 (RFC 4648) without padding ----
 * Encoders write exactly dooh_b64_encoded_len(n) chars, no NUL, and return that count.
 * Decoders are strict: they reject '=', whitespace, characters outside the alphabet, a
 * length of 4k+1, and non-zero unused bits in the last character (so every byte string has
 * exactly one accepted encoding). They return 0 and set *outlen, or EFORMAT, or EINVAL
 * when out has less than dooh_b64_decoded_len(n) bytes of room. */
size_t dooh_b64_encoded_len(size_t n);
size_t dooh_b64_decoded_len(size_t n); /* an upper bound, exact for canonical input */
size_t dooh_b64url_encode(const void *in, size_t n, char *out); /* URL-safe alphabet §5 */
int dooh_b64url_decode(const char *in, size_t n, uint8_t *out, size_t cap, size_t *outlen);
size_t dooh_b64std_encode(const void *in, size_t n, char *out); /* standard alphabet §4 */
int dooh_b64std_decode(const char *in, size_t n, uint8_t *out, size_t cap, size_t *outlen);

/* ---- utilities ---- */
/* True when the n bytes at a and b are equal. The time depends only on n. */
bool dooh_ct_eq(const void *a, const void *b, size_t n);
/* Zero n bytes in a way the compiler cannot drop (for keys and passwords). */
void dooh_wipe(void *p, size_t n);
/* Fill out with n bytes from getrandom(2), or from /dev/urandom where getrandom is missing.
 * Returns 0, or ERANDOM when neither works; out is then zeroed and must not be used. */
int dooh_random_bytes(void *out, size_t n);

#endif
