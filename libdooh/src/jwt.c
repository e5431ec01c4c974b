/* jwt.c — HS256 JSON Web Tokens: signing the claims Doo issues and verifying tokens
 * strictly (the contract is in dooh/jwt.h).
 *
 * Verification order matters: the size cap comes first (no work for huge input), then the
 * header, whose alg must be exactly HS256 before anything else is considered, then the
 * signature, and only a token whose MAC matches has its claims parsed. Each decoded
 * segment goes into the request's arena, so nothing needs freeing on any path.
 */
#include <string.h>

#include "dooh/crypto.h"
#include "dooh/json.h"
#include "dooh/jwt.h"
#include "rt_internal.h"

/* base64url of {"alg":"HS256","typ":"JWT"} */
#define HEADER_B64 "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
#define SIG_B64_LEN 43 /* 32 bytes, unpadded */
#define JSON_DEPTH 16

static bool utf8_ok(dooh_str s) {
    const unsigned char *p = (const unsigned char *)s.ptr;
    size_t n = (size_t)s.len;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        int k = dooh__utf8_decode(p + i, n - i, &cp);
        if (k == 0) return false;
        i += (size_t)k;
    }
    return true;
}

static bool str_ok(dooh_str s) { return s.len >= 0 && (s.len == 0 || s.ptr) && utf8_ok(s); }

static void put_claim_str(dooh_buf *b, const char *key, dooh_str v) {
    dooh_buf_putc(b, ',');
    dooh_json_str(b, dooh_str_from_cstr(key));
    dooh_buf_putc(b, ':');
    dooh_json_str(b, v);
}

int dooh_jwt_sign(dooh_ctx *ctx, const dooh_jwt_claims *claims, const void *secret,
                  size_t secretlen, dooh_str *token) {
    *token = DOOH_NULL_STR;
    if (secretlen < DOOH_JWT_MIN_SECRET) return DOOH_JWT_ESECRET;
    if (!claims->sub.ptr || claims->sub.len <= 0 || !str_ok(claims->sub) ||
        (claims->email.ptr && !str_ok(claims->email)) ||
        (claims->role.ptr && !str_ok(claims->role)))
        return DOOH_JWT_EINVAL;

    dooh_buf payload;
    dooh_buf_init(&payload);
    dooh_buf_lit(&payload, "{\"sub\":");
    dooh_json_str(&payload, claims->sub);
    if (claims->email.ptr) put_claim_str(&payload, "email", claims->email);
    if (claims->role.ptr) put_claim_str(&payload, "role", claims->role);
    dooh_buf_lit(&payload, ",\"iat\":");
    dooh_buf_put_i64(&payload, claims->iat);
    dooh_buf_lit(&payload, ",\"exp\":");
    dooh_buf_put_i64(&payload, claims->exp);
    dooh_buf_lit(&payload, ",\"iss\":\"" DOOH_JWT_ISSUER "\"}");

    size_t head = sizeof HEADER_B64 - 1;
    size_t body = dooh_b64_encoded_len(payload.len);
    size_t total = head + 1 + body + 1 + SIG_B64_LEN;
    if (total > DOOH_JWT_MAX_LEN) {
        dooh_buf_free(&payload);
        return DOOH_JWT_EINVAL;
    }
    char *t = dooh_alloc(ctx, total);
    memcpy(t, HEADER_B64, head);
    t[head] = '.';
    dooh_b64url_encode(payload.p, payload.len, t + head + 1);
    dooh_buf_free(&payload);
    t[head + 1 + body] = '.';
    uint8_t mac[DOOH_SHA256_LEN];
    dooh_hmac_sha256(secret, secretlen, t, head + 1 + body, mac);
    dooh_b64url_encode(mac, sizeof mac, t + head + 1 + body + 1);
    *token = (dooh_str){ t, (int64_t)total };
    return DOOH_JWT_OK;
}

/* Decode one base64url segment and parse it as a JSON object; NULL when it is not one. */
static const dooh_jv *segment_object(dooh_ctx *ctx, const char *p, size_t n) {
    size_t cap = dooh_b64_decoded_len(n);
    uint8_t *bytes = dooh_alloc(ctx, cap ? cap : 1);
    size_t got;
    if (n == 0 || dooh_b64url_decode(p, n, bytes, cap, &got) != DOOH_CRYPTO_OK) return NULL;
    dooh_jv *v = NULL;
    dooh_str err;
    if (dooh_json_parse(ctx, (const char *)bytes, got, JSON_DEPTH, &v, &err) != 0) return NULL;
    return v->type == DOOH_JOBJ ? v : NULL;
}

static const dooh_jv *member(const dooh_jv *obj, const char *key) {
    return dooh_jv_get(obj, key, strlen(key));
}

static bool is_str(const dooh_jv *v, const char *want) {
    return v && v->type == DOOH_JSTR && dooh_str_eq(v->s, dooh_str_from_cstr(want));
}

static bool is_jwt_typ(const dooh_jv *v) {
    if (!v || v->type != DOOH_JSTR || v->s.len != 3) return false;
    static const char want[] = "jwt";
    for (int i = 0; i < 3; i++)
        if ((v->s.ptr[i] | 0x20) != want[i]) return false;
    return true;
}

/* An optional string claim: absent is fine (*out stays NULL), anything but a string is not. */
static bool opt_str(const dooh_jv *claims, const char *key, dooh_str *out) {
    const dooh_jv *v = member(claims, key);
    if (!v) return true;
    if (v->type != DOOH_JSTR) return false;
    *out = v->s;
    return true;
}

/* An optional integer claim. */
static bool opt_int(const dooh_jv *claims, const char *key, bool *present, int64_t *out) {
    const dooh_jv *v = member(claims, key);
    *present = v != NULL;
    return !v || dooh_jv_as_i64(v, out);
}

static int64_t sat_add(int64_t a, int64_t b) {
    int64_t r;
    if (__builtin_add_overflow(a, b, &r)) return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

static int check_claims(const dooh_jv *c, int64_t now, int64_t leeway, dooh_jwt_claims *out) {
    const dooh_jv *sub = member(c, "sub");
    if (!sub || sub->type != DOOH_JSTR || sub->s.len == 0) return DOOH_JWT_ECLAIMS;
    if (!is_str(member(c, "iss"), DOOH_JWT_ISSUER) || member(c, "aud")) return DOOH_JWT_ECLAIMS;
    dooh_jwt_claims got = { sub->s, DOOH_NULL_STR, DOOH_NULL_STR, 0, 0 };
    if (!opt_str(c, "email", &got.email) || !opt_str(c, "role", &got.role))
        return DOOH_JWT_ECLAIMS;
    bool has_exp, has_iat, has_nbf;
    int64_t nbf = 0;
    if (!opt_int(c, "exp", &has_exp, &got.exp) || !has_exp || !opt_int(c, "iat", &has_iat, &got.iat) ||
        !opt_int(c, "nbf", &has_nbf, &nbf))
        return DOOH_JWT_ECLAIMS;
    if (leeway < 0) leeway = 0;
    if (got.exp <= sat_add(now, -leeway)) return DOOH_JWT_EEXPIRED;
    int64_t latest = sat_add(now, leeway);
    if ((has_iat && got.iat > latest) || (has_nbf && nbf > latest)) return DOOH_JWT_ENOTYET;
    *out = got;
    return DOOH_JWT_OK;
}

int dooh_jwt_verify(dooh_ctx *ctx, const char *token, size_t len, const void *secret,
                    size_t secretlen, int64_t now, int64_t leeway_s, dooh_jwt_claims *out) {
    memset(out, 0, sizeof *out);
    if (secretlen < DOOH_JWT_MIN_SECRET) return DOOH_JWT_ESECRET;
    if (len == 0 || len > DOOH_JWT_MAX_LEN) return DOOH_JWT_ETOOBIG;

    const char *end = token + len;
    const char *d1 = memchr(token, '.', len);
    const char *d2 = d1 ? memchr(d1 + 1, '.', (size_t)(end - d1 - 1)) : NULL;
    if (!d2 || memchr(d2 + 1, '.', (size_t)(end - d2 - 1))) return DOOH_JWT_EFORMAT;

    const dooh_jv *header = segment_object(ctx, token, (size_t)(d1 - token));
    if (!header) return DOOH_JWT_EFORMAT;
    if (!is_str(member(header, "alg"), "HS256")) return DOOH_JWT_EALG;
    if (member(header, "crit")) return DOOH_JWT_ECRIT;
    const dooh_jv *typ = member(header, "typ");
    if (typ && !is_jwt_typ(typ)) return DOOH_JWT_EALG;

    /* Exactly 43 canonical characters decode to the 32 bytes; anything else cannot match. */
    uint8_t sig[DOOH_SHA256_LEN], mac[DOOH_SHA256_LEN];
    size_t siglen;
    if ((size_t)(end - d2 - 1) != SIG_B64_LEN ||
        dooh_b64url_decode(d2 + 1, SIG_B64_LEN, sig, sizeof sig, &siglen) != DOOH_CRYPTO_OK ||
        siglen != sizeof sig)
        return DOOH_JWT_ESIG;
    dooh_hmac_sha256(secret, secretlen, token, (size_t)(d2 - token), mac);
    bool ok = dooh_ct_eq(sig, mac, sizeof mac);
    dooh_wipe(mac, sizeof mac);
    if (!ok) return DOOH_JWT_ESIG;

    const dooh_jv *claims = segment_object(ctx, d1 + 1, (size_t)(d2 - d1 - 1));
    if (!claims) return DOOH_JWT_EFORMAT;
    return check_claims(claims, now, leeway_s, out);
}

const char *dooh_jwt_strerror(int code) {
    switch (code) {
    case DOOH_JWT_OK: return "ok";
    case DOOH_JWT_ETOOBIG: return "token empty or too long";
    case DOOH_JWT_EFORMAT: return "malformed token";
    case DOOH_JWT_EALG: return "unsupported algorithm or type";
    case DOOH_JWT_ECRIT: return "unsupported critical header";
    case DOOH_JWT_ESIG: return "bad signature";
    case DOOH_JWT_ECLAIMS: return "missing or invalid claims";
    case DOOH_JWT_EEXPIRED: return "token expired";
    case DOOH_JWT_ENOTYET: return "token not yet valid";
    case DOOH_JWT_ESECRET: return "secret too short";
    case DOOH_JWT_EINVAL: return "invalid claims to sign";
    default: return "unknown error";
    }
}
