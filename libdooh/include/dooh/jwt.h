/* dooh/jwt.h — JSON Web Tokens (RFC 7519) signed with HS256 (RFC 7515 compact form), the
 * only algorithm Doo issues or accepts (http.md §5, reliability.md §4).
 *
 * Tokens Doo issues have the header {"alg":"HS256","typ":"JWT"} and the claims
 * {"sub":…,"email":…,"role":…,"iat":…,"exp":…,"iss":"doo"} (email and role only when set).
 *
 * Verification refuses, before trusting anything in the token: more than
 * DOOH_JWT_MAX_LEN bytes (checked first, no work done), a segment count other than three,
 * segments that are not canonical unpadded base64url, a header that is not a JSON object,
 * an `alg` other than exactly "HS256", a `crit` member, a `typ` other than "JWT" (any case),
 * and a signature that is not exactly the 32-byte HMAC-SHA256 of "header.payload" (compared
 * in constant time; a cut, padded or re-encoded signature does not decode to it). Only then
 * the claims: they must be a JSON object with a non-empty string `sub`, an integer `exp` not
 * at or before now - leeway, `iat` and `nbf` (optional integers) not after now + leeway,
 * `iss` exactly "doo", no `aud` (Doo names no audience), and `email`/`role` strings if
 * present. Any failure is just a non-zero code: callers answer 401 for all of them.
 */
#ifndef DOOH_JWT_H
#define DOOH_JWT_H

#include <stddef.h>
#include <stdint.h>

#include "dooh/rt.h"

#define DOOH_JWT_MAX_LEN 8192     /* longer tokens are refused unread */
#define DOOH_JWT_MIN_SECRET 32    /* bytes; shorter secrets are refused by sign and verify */
#define DOOH_JWT_ISSUER "doo"

enum {
    DOOH_JWT_OK = 0,
    DOOH_JWT_ETOOBIG = -1,  /* empty, or longer than DOOH_JWT_MAX_LEN */
    DOOH_JWT_EFORMAT = -2,  /* segment count, base64url, or header/claims not a JSON object */
    DOOH_JWT_EALG = -3,     /* alg is not exactly "HS256", or typ is not JWT */
    DOOH_JWT_ECRIT = -4,    /* the header has a crit member */
    DOOH_JWT_ESIG = -5,     /* the signature does not match */
    DOOH_JWT_ECLAIMS = -6,  /* a missing, mistyped or unexpected claim (sub, exp, iss, aud, …) */
    DOOH_JWT_EEXPIRED = -7, /* exp <= now - leeway */
    DOOH_JWT_ENOTYET = -8,  /* nbf or iat > now + leeway */
    DOOH_JWT_ESECRET = -9,  /* the secret is shorter than DOOH_JWT_MIN_SECRET */
    DOOH_JWT_EINVAL = -10,  /* sign: sub missing, or the token would exceed DOOH_JWT_MAX_LEN */
};

/* Claims in and out. Strings live in the context's arena (verify) or are borrowed (sign);
 * an absent email or role has ptr == NULL. */
typedef struct dooh_jwt_claims {
    dooh_str sub;
    dooh_str email;
    dooh_str role;
    int64_t iat;   /* 0 when a verified token has none */
    int64_t exp;
} dooh_jwt_claims;

/* Build and sign a token for `claims` (sub required; iat and exp as given, iss "doo").
 * Sets *token to the compact JWS in ctx's arena. Returns 0, ESECRET or EINVAL. */
int dooh_jwt_sign(dooh_ctx *ctx, const dooh_jwt_claims *claims, const void *secret,
                  size_t secretlen, dooh_str *token);

/* Verify `len` bytes at `token` (no NUL needed) against the secret at time `now` (Unix
 * seconds) allowing `leeway_s` seconds of clock skew (Doo uses 30). Returns 0 and fills
 * *out, or a negative DOOH_JWT_E* code with *out zeroed. Allocates only in ctx's arena. */
int dooh_jwt_verify(dooh_ctx *ctx, const char *token, size_t len, const void *secret,
                    size_t secretlen, int64_t now, int64_t leeway_s, dooh_jwt_claims *out);

/* A short constant name for a code ("expired", "bad signature", …), for tests and logs. */
const char *dooh_jwt_strerror(int code);

#endif
