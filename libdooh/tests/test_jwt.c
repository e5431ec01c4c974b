/* needs: jwt.c json.c arena.c buf.c rt.c str.c crypto_sha256.c crypto_base64.c crypto_util.c */
/* Unit tests for dooh/jwt.h: sign/verify round trips and hostile tokens. Most hostile tokens
 * carry a valid HMAC over their (hostile) header and claims, so each test shows that the one
 * property under test, not a bad signature, is what gets the token refused. */
#include <stdlib.h>

#include "check.h"
#include "dooh/crypto.h"
#include "dooh/jwt.h"

static const char SECRET[] = "test-secret-0123456789abcdefghijklmnop"; /* 38 bytes */
#define SECRETLEN (sizeof SECRET - 1)
#define NOW 1700000000LL
#define LEEWAY 30
#define HS256 "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"

static dooh_ctx ctx;

static char *b64url(const void *p, size_t n, size_t *outn) {
    char *s = dooh_alloc(&ctx, dooh_b64_encoded_len(n) + 1);
    *outn = dooh_b64url_encode(p, n, s);
    s[*outn] = '\0';
    return s;
}

/* "b64(header).b64(payload).b64(HMAC(key, first two parts))" as a NUL-terminated string. */
static const char *token_with_key(const char *header, const char *payload, const char *key,
                                  size_t keylen) {
    size_t hn, pn, sn;
    char *h = b64url(header, strlen(header), &hn);
    char *p = b64url(payload, strlen(payload), &pn);
    char *t = dooh_alloc(&ctx, hn + pn + 48);
    memcpy(t, h, hn);
    t[hn] = '.';
    memcpy(t + hn + 1, p, pn);
    uint8_t mac[32];
    dooh_hmac_sha256(key, keylen, t, hn + 1 + pn, mac);
    char *s = b64url(mac, 32, &sn);
    t[hn + 1 + pn] = '.';
    memcpy(t + hn + pn + 2, s, sn + 1);
    return t;
}

static const char *token(const char *header, const char *payload) {
    return token_with_key(header, payload, SECRET, SECRETLEN);
}

static int verify(const char *tok, dooh_jwt_claims *c) {
    return dooh_jwt_verify(&ctx, tok, strlen(tok), SECRET, SECRETLEN, NOW, LEEWAY, c);
}

static int verify_payload(const char *payload) {
    dooh_jwt_claims c;
    return verify(token(HS256, payload), &c);
}

static int verify_header(const char *header) {
    dooh_jwt_claims c;
    return verify(token(header, "{\"sub\":\"1\",\"exp\":1700000100,\"iss\":\"doo\"}"), &c);
}

/* A NUL-terminated arena copy of s with its bytes from `at` replaced by `with`. */
static const char *splice(const char *s, size_t at, size_t cut, const char *with) {
    size_t n = strlen(s), w = strlen(with);
    char *r = dooh_alloc(&ctx, n + w + 1);
    memcpy(r, s, at);
    memcpy(r + at, with, w);
    memcpy(r + at + w, s + at + cut, n - at - cut + 1);
    return r;
}

/* ---- sign and round trip ---- */

static void sign_then_verify_should_round_trip_every_claim(void) {
    dooh_jwt_claims in = { DOOH_LIT("42"), DOOH_LIT("ada@example.com"), DOOH_LIT("admin"),
                           NOW, NOW + 86400 };
    dooh_str tok;
    CHECK_EQ_INT(dooh_jwt_sign(&ctx, &in, SECRET, SECRETLEN, &tok), 0);
    CHECK(tok.len > 0 && strncmp(tok.ptr, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.", 37) == 0);
    dooh_jwt_claims out;
    CHECK_EQ_INT(dooh_jwt_verify(&ctx, tok.ptr, (size_t)tok.len, SECRET, SECRETLEN, NOW, LEEWAY,
                                 &out), 0);
    CHECK_EQ_MEM(out.sub.ptr, out.sub.len, "42");
    CHECK_EQ_MEM(out.email.ptr, out.email.len, "ada@example.com");
    CHECK_EQ_MEM(out.role.ptr, out.role.len, "admin");
    CHECK_EQ_INT(out.iat, NOW);
    CHECK_EQ_INT(out.exp, NOW + 86400);
}

static void sign_should_write_the_documented_claims_in_order(void) {
    dooh_jwt_claims in = { DOOH_LIT("7"), DOOH_LIT("b@x.io"), DOOH_NULL_STR, 10, 20 };
    dooh_str tok;
    CHECK_EQ_INT(dooh_jwt_sign(&ctx, &in, SECRET, SECRETLEN, &tok), 0);
    const char *d1 = memchr(tok.ptr, '.', (size_t)tok.len);
    const char *d2 = memchr(d1 + 1, '.', (size_t)(tok.ptr + tok.len - d1 - 1));
    uint8_t json[256];
    size_t n;
    CHECK_EQ_INT(dooh_b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), json, sizeof json, &n), 0);
    CHECK_EQ_MEM(json, n, "{\"sub\":\"7\",\"email\":\"b@x.io\",\"iat\":10,\"exp\":20,\"iss\":\"doo\"}");
    CHECK_EQ_INT(tok.ptr + tok.len - d2 - 1, 43);
}

static void sign_then_verify_should_keep_unicode_and_escapes_and_absent_claims(void) {
    dooh_jwt_claims in = { DOOH_LIT("a\"b\\c\n\xc3\xa9"), DOOH_NULL_STR, DOOH_NULL_STR, NOW, NOW + 60 };
    dooh_str tok;
    CHECK_EQ_INT(dooh_jwt_sign(&ctx, &in, SECRET, SECRETLEN, &tok), 0);
    dooh_jwt_claims out;
    CHECK_EQ_INT(dooh_jwt_verify(&ctx, tok.ptr, (size_t)tok.len, SECRET, SECRETLEN, NOW, LEEWAY,
                                 &out), 0);
    CHECK_EQ_MEM(out.sub.ptr, out.sub.len, "a\"b\\c\n\xc3\xa9");
    CHECK(out.email.ptr == NULL && out.role.ptr == NULL);
}

static void sign_should_refuse_a_short_secret_a_missing_sub_and_invalid_utf8(void) {
    dooh_jwt_claims in = { DOOH_LIT("1"), DOOH_NULL_STR, DOOH_NULL_STR, NOW, NOW + 60 };
    dooh_str tok;
    CHECK_EQ_INT(dooh_jwt_sign(&ctx, &in, SECRET, 31, &tok), DOOH_JWT_ESECRET);
    CHECK(tok.ptr == NULL);
    in.sub = DOOH_NULL_STR;
    CHECK_EQ_INT(dooh_jwt_sign(&ctx, &in, SECRET, SECRETLEN, &tok), DOOH_JWT_EINVAL);
    in.sub = DOOH_LIT("");
    CHECK_EQ_INT(dooh_jwt_sign(&ctx, &in, SECRET, SECRETLEN, &tok), DOOH_JWT_EINVAL);
    in.sub = DOOH_LIT("1");
    in.email = DOOH_LIT("\xff@x");
    CHECK_EQ_INT(dooh_jwt_sign(&ctx, &in, SECRET, SECRETLEN, &tok), DOOH_JWT_EINVAL);
}

static void sign_should_refuse_claims_that_would_exceed_the_size_cap(void) {
    char *big = malloc(7000);
    memset(big, 'x', 7000);
    dooh_jwt_claims in = { { big, 7000 }, DOOH_NULL_STR, DOOH_NULL_STR, NOW, NOW + 60 };
    dooh_str tok;
    CHECK_EQ_INT(dooh_jwt_sign(&ctx, &in, SECRET, SECRETLEN, &tok), DOOH_JWT_EINVAL);
    in.sub.len = 5000; /* fits: 5000 * 4/3 + overhead < 8192 */
    CHECK_EQ_INT(dooh_jwt_sign(&ctx, &in, SECRET, SECRETLEN, &tok), 0);
    dooh_jwt_claims out;
    CHECK_EQ_INT(dooh_jwt_verify(&ctx, tok.ptr, (size_t)tok.len, SECRET, SECRETLEN, NOW, LEEWAY,
                                 &out), 0);
    CHECK_EQ_INT(out.sub.len, 5000);
    free(big);
}

static void verify_should_accept_a_minimal_hand_made_token(void) {
    dooh_jwt_claims c;
    CHECK_EQ_INT(verify(token("{\"alg\":\"HS256\"}", "{\"sub\":\"9\",\"exp\":1700000001,\"iss\":\"doo\"}"), &c), 0);
    CHECK_EQ_MEM(c.sub.ptr, c.sub.len, "9");
    CHECK_EQ_INT(c.iat, 0);
    CHECK_EQ_INT(verify_header("{\"typ\":\"jwt\",\"alg\":\"HS256\",\"kid\":\"k1\"}"), 0);
}

/* ---- the header ---- */

static void verify_should_reject_alg_none_and_its_case_variants(void) {
    static const char *algs[] = { "none", "None", "NONE", "nOnE" };
    const char *payload = "{\"sub\":\"1\",\"exp\":1700000100,\"iss\":\"doo\"}";
    for (size_t i = 0; i < 4; i++) {
        char header[64];
        snprintf(header, sizeof header, "{\"alg\":\"%s\",\"typ\":\"JWT\"}", algs[i]);
        CHECK_EQ_INT(verify_header(header), DOOH_JWT_EALG);
        /* The classic unsigned form: an empty signature segment. */
        const char *t = token(header, payload);
        const char *unsigned_tok = splice(t, (size_t)(strrchr(t, '.') - t + 1), 43, "");
        dooh_jwt_claims c;
        CHECK_EQ_INT(verify(unsigned_tok, &c), DOOH_JWT_EALG);
    }
}

static void verify_should_reject_every_alg_but_exactly_HS256(void) {
    static const char *headers[] = {
        "{\"alg\":\"hs256\"}", "{\"alg\":\"Hs256\"}", "{\"alg\":\"HS256 \"}", "{\"alg\":\" HS256\"}",
        "{\"alg\":\"HS256\\u0000\"}", "{\"alg\":\"HS384\"}", "{\"alg\":\"HS512\"}",
        "{\"alg\":\"RS256\"}", "{\"alg\":\"ES256\"}", "{\"alg\":\"PS256\"}", "{\"alg\":\"\"}",
        "{\"typ\":\"JWT\"}", "{\"alg\":null}", "{\"alg\":256}", "{\"alg\":[\"HS256\"]}",
        "{\"alg\":{\"HS256\":1}}", "{\"alg\":\"HS256\",\"typ\":\"JWS\"}",
        "{\"alg\":\"HS256\",\"typ\":1}",
    };
    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
        int r = verify_header(headers[i]);
        if (r != DOOH_JWT_EALG) fprintf(stderr, "  header %s gave %d\n", headers[i], r);
        CHECK_EQ_INT(r, DOOH_JWT_EALG);
    }
}

static void verify_should_reject_a_crit_header(void) {
    CHECK_EQ_INT(verify_header("{\"alg\":\"HS256\",\"crit\":[\"exp\"]}"), DOOH_JWT_ECRIT);
    CHECK_EQ_INT(verify_header("{\"alg\":\"HS256\",\"crit\":[]}"), DOOH_JWT_ECRIT);
    CHECK_EQ_INT(verify_header("{\"alg\":\"HS256\",\"crit\":[\"b64\"],\"b64\":false}"),
                 DOOH_JWT_ECRIT);
}

static void verify_should_reject_a_header_that_is_not_a_json_object(void) {
    static const char *headers[] = { "[]", "\"HS256\"", "null", "{\"alg\":\"HS256\"", "",
                                     "{\"alg\":\"HS256\",\"alg\":\"HS256\"}",
                                     "{\"alg\":\"HS256\"} ", "{\"alg\":\"HS256\"}x", "\xff" };
    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
        int r = verify_header(headers[i]);
        if (i == 6) {
            /* Trailing whitespace is still one JSON object. */
            CHECK_EQ_INT(r, 0);
            continue;
        }
        if (r != DOOH_JWT_EFORMAT) fprintf(stderr, "  header #%zu gave %d\n", i, r);
        CHECK_EQ_INT(r, DOOH_JWT_EFORMAT);
    }
}

/* ---- the signature ---- */

static const char *good(void) {
    return token(HS256, "{\"sub\":\"1\",\"exp\":1700000100,\"iss\":\"doo\"}");
}

static size_t sig_at(const char *t) { return (size_t)(strrchr(t, '.') - t + 1); }

static void verify_should_reject_a_tampered_signature(void) {
    dooh_jwt_claims c;
    const char *t = good();
    CHECK_EQ_INT(verify(t, &c), 0);
    size_t s = sig_at(t);
    for (size_t i = s; i < strlen(t); i++) {
        char *m = (char *)splice(t, 0, 0, "");
        m[i] = m[i] == 'A' ? 'B' : 'A';
        CHECK_EQ_INT(verify(m, &c), DOOH_JWT_ESIG);
    }
}

static void verify_should_reject_cut_padded_or_re_encoded_signatures(void) {
    dooh_jwt_claims c;
    const char *t = good();
    size_t s = sig_at(t), n = strlen(t);
    CHECK_EQ_INT(verify(splice(t, n - 1, 1, ""), &c), DOOH_JWT_ESIG);      /* 42 chars */
    CHECK_EQ_INT(verify(splice(t, s + 22, 21, ""), &c), DOOH_JWT_ESIG);    /* 16 bytes */
    CHECK_EQ_INT(verify(splice(t, s, 43, ""), &c), DOOH_JWT_ESIG);         /* empty */
    CHECK_EQ_INT(verify(splice(t, n, 0, "="), &c), DOOH_JWT_ESIG);         /* padded */
    CHECK_EQ_INT(verify(splice(t, n, 0, "A"), &c), DOOH_JWT_ESIG);         /* one more char */
    CHECK_EQ_INT(verify(splice(t, n, 0, "AAAA"), &c), DOOH_JWT_ESIG);
    /* The last of 43 characters carries 4 bits and 2 unused ones: setting an unused bit
     * gives a different string for the same 32 bytes, which must not be accepted. */
    char *m = (char *)splice(t, 0, 0, "");
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    int v = (int)(strchr(alphabet, m[n - 1]) - alphabet);
    m[n - 1] = alphabet[v | 1];
    if (v & 1) m[n - 1] = alphabet[v & ~1];
    CHECK_EQ_INT(verify(m, &c), DOOH_JWT_ESIG);
    /* The same MAC in the standard alphabet, where it differs. */
    m = (char *)splice(t, 0, 0, "");
    bool changed = false;
    for (size_t i = s; i < n; i++) {
        if (m[i] == '-') { m[i] = '+'; changed = true; }
        if (m[i] == '_') { m[i] = '/'; changed = true; }
    }
    if (changed) CHECK_EQ_INT(verify(m, &c), DOOH_JWT_ESIG);
}

static void verify_should_reject_a_token_signed_with_another_secret(void) {
    dooh_jwt_claims c;
    const char *other = "test-secret-0123456789abcdefghijklmnoq";
    CHECK_EQ_INT(verify(token_with_key(HS256, "{\"sub\":\"1\",\"exp\":1700000100,\"iss\":\"doo\"}",
                                       other, strlen(other)), &c), DOOH_JWT_ESIG);
    /* RS256-style confusion: an HMAC under a "public key" string is still the wrong key. */
    CHECK_EQ_INT(verify(token_with_key("{\"alg\":\"RS256\"}", "{\"sub\":\"1\",\"exp\":1700000100,\"iss\":\"doo\"}",
                                       other, strlen(other)), &c), DOOH_JWT_EALG);
}

static void verify_should_reject_a_tampered_payload(void) {
    dooh_jwt_claims c;
    const char *t = good();
    const char *other = token(HS256, "{\"sub\":\"2\",\"exp\":1700000100,\"iss\":\"doo\"}");
    /* other's header.payload with t's signature */
    size_t s = sig_at(other);
    const char *mixed = splice(other, s, 43, t + sig_at(t));
    CHECK_EQ_INT(verify(mixed, &c), DOOH_JWT_ESIG);
}

static void verify_should_reject_wrong_segment_counts(void) {
    dooh_jwt_claims c;
    const char *t = good();
    size_t s = sig_at(t);
    CHECK_EQ_INT(verify(splice(t, s - 1, 44, ""), &c), DOOH_JWT_EFORMAT);  /* two segments */
    CHECK_EQ_INT(verify(splice(t, strlen(t), 0, ".x"), &c), DOOH_JWT_EFORMAT);
    CHECK_EQ_INT(verify(splice(t, strlen(t), 0, "."), &c), DOOH_JWT_EFORMAT);
    CHECK_EQ_INT(verify("..", &c), DOOH_JWT_EFORMAT);
    CHECK_EQ_INT(verify("abc", &c), DOOH_JWT_EFORMAT);
    CHECK_EQ_INT(verify(".", &c), DOOH_JWT_EFORMAT);
    CHECK_EQ_INT(verify("a.b.c.d.e", &c), DOOH_JWT_EFORMAT);
    CHECK_EQ_INT(verify("", &c), DOOH_JWT_ETOOBIG);
}

static void verify_should_reject_bad_base64url_in_header_or_payload(void) {
    dooh_jwt_claims c;
    const char *t = good();
    CHECK_EQ_INT(verify(splice(t, 0, 0, " "), &c), DOOH_JWT_EFORMAT);
    CHECK_EQ_INT(verify(splice(t, 3, 1, "+"), &c), DOOH_JWT_EFORMAT);
    const char *d1 = strchr(t, '.');
    size_t at = (size_t)(d1 - t);
    CHECK_EQ_INT(verify(splice(t, at, 0, "="), &c), DOOH_JWT_EFORMAT);
    /* a non-canonical last character in the header ("...fQ" -> "...fR") */
    char *m = (char *)splice(t, 0, 0, "");
    CHECK(m[at - 1] == '9'); /* HS256 header encodes to 36 chars ending in "J9" */
    m[at - 1] = '8';
    CHECK_EQ_INT(verify(m, &c), DOOH_JWT_EFORMAT);
}

static void verify_should_reject_oversized_tokens_before_any_work(void) {
    dooh_jwt_claims c;
    size_t big = 64 * 1024;
    char *t = malloc(big);
    memset(t, 'A', big);
    t[100] = '.';
    t[200] = '.';
    CHECK_EQ_INT(dooh_jwt_verify(&ctx, t, big, SECRET, SECRETLEN, NOW, LEEWAY, &c),
                 DOOH_JWT_ETOOBIG);
    CHECK_EQ_INT(dooh_jwt_verify(&ctx, t, DOOH_JWT_MAX_LEN + 1, SECRET, SECRETLEN, NOW, LEEWAY,
                                 &c), DOOH_JWT_ETOOBIG);
    free(t);
    /* A validly signed 64 KiB token is refused the same way. */
    char *pad = malloc(big);
    memset(pad, 'x', big);
    int n = snprintf(pad, big, "{\"sub\":\"1\",\"exp\":1700000100,\"iss\":\"doo\",\"pad\":\"");
    pad[n] = 'x'; /* snprintf's NUL */
    memcpy(pad + big - 3, "\"}", 3);
    const char *tok = token(HS256, pad);
    CHECK(strlen(tok) > big);
    CHECK_EQ_INT(verify(tok, &c), DOOH_JWT_ETOOBIG);
    free(pad);
}

static void verify_should_refuse_a_short_secret(void) {
    dooh_jwt_claims c;
    const char *t = good();
    CHECK_EQ_INT(dooh_jwt_verify(&ctx, t, strlen(t), SECRET, 31, NOW, LEEWAY, &c),
                 DOOH_JWT_ESECRET);
    CHECK_EQ_INT(dooh_jwt_verify(&ctx, t, strlen(t), "", 0, NOW, LEEWAY, &c), DOOH_JWT_ESECRET);
}

/* ---- the claims ---- */

static void verify_should_require_a_numeric_integer_exp(void) {
    CHECK_EQ_INT(verify_payload("{\"sub\":\"1\",\"iss\":\"doo\"}"), DOOH_JWT_ECLAIMS);
    CHECK_EQ_INT(verify_payload("{\"sub\":\"1\",\"exp\":\"1700000100\",\"iss\":\"doo\"}"), DOOH_JWT_ECLAIMS);
    CHECK_EQ_INT(verify_payload("{\"sub\":\"1\",\"exp\":null,\"iss\":\"doo\"}"), DOOH_JWT_ECLAIMS);
    CHECK_EQ_INT(verify_payload("{\"sub\":\"1\",\"exp\":true,\"iss\":\"doo\"}"), DOOH_JWT_ECLAIMS);
    CHECK_EQ_INT(verify_payload("{\"sub\":\"1\",\"exp\":[1700000100],\"iss\":\"doo\"}"), DOOH_JWT_ECLAIMS);
    CHECK_EQ_INT(verify_payload("{\"sub\":\"1\",\"exp\":1700000100.5,\"iss\":\"doo\"}"), DOOH_JWT_ECLAIMS);
    CHECK_EQ_INT(verify_payload("{\"sub\":\"1\",\"exp\":1.7e9,\"iss\":\"doo\"}"), DOOH_JWT_ECLAIMS);
    CHECK_EQ_INT(verify_payload("{\"sub\":\"1\",\"exp\":99999999999999999999,\"iss\":\"doo\"}"), DOOH_JWT_ECLAIMS);
    CHECK_EQ_INT(verify_payload("{\"sub\":\"1\",\"exp\":9223372036854775807,\"iss\":\"doo\"}"), 0);
}

static void verify_should_apply_the_leeway_to_exp(void) {
    /* Expired when exp <= now - leeway. */
    CHECK_EQ_INT(verify_payload("{\"sub\":\"1\",\"exp\":1699999969,\"iss\":\"doo\"}"), DOOH_JWT_EEXPIRED);
    CHECK_EQ_INT(verify_payload("{\"sub\":\"1\",\"exp\":1699999970,\"iss\":\"doo\"}"), DOOH_JWT_EEXPIRED);
    CHECK_EQ_INT(verify_payload("{\"sub\":\"1\",\"exp\":1699999971,\"iss\":\"doo\"}"), 0);
    CHECK_EQ_INT(verify_payload("{\"sub\":\"1\",\"exp\":0,\"iss\":\"doo\"}"), DOOH_JWT_EEXPIRED);
    CHECK_EQ_INT(verify_payload("{\"sub\":\"1\",\"exp\":-9223372036854775808,\"iss\":\"doo\"}"),
                 DOOH_JWT_EEXPIRED);
}

static void verify_should_reject_nbf_and_iat_in_the_future_beyond_the_leeway(void) {
    CHECK_EQ_INT(verify_payload("{\"sub\":\"1\",\"exp\":1700000100,\"nbf\":1700000031,\"iss\":\"doo\"}"), DOOH_JWT_ENOTYET);
    CHECK_EQ_INT(verify_payload("{\"sub\":\"1\",\"exp\":1700000100,\"nbf\":1700000030,\"iss\":\"doo\"}"), 0);
    CHECK_EQ_INT(verify_payload("{\"sub\":\"1\",\"exp\":1700000100,\"iat\":1700000031,\"iss\":\"doo\"}"), DOOH_JWT_ENOTYET);
    CHECK_EQ_INT(verify_payload("{\"sub\":\"1\",\"exp\":1700000100,\"iat\":1700000030,\"iss\":\"doo\"}"), 0);
    CHECK_EQ_INT(verify_payload("{\"sub\":\"1\",\"exp\":1700000100,\"iat\":9223372036854775807,\"iss\":\"doo\"}"), DOOH_JWT_ENOTYET);
    CHECK_EQ_INT(verify_payload("{\"sub\":\"1\",\"exp\":1700000100,\"nbf\":\"0\",\"iss\":\"doo\"}"), DOOH_JWT_ECLAIMS);
    CHECK_EQ_INT(verify_payload("{\"sub\":\"1\",\"exp\":1700000100,\"iat\":1.5,\"iss\":\"doo\"}"), DOOH_JWT_ECLAIMS);
}

static void verify_should_require_a_string_sub_and_the_doo_issuer(void) {
    CHECK_EQ_INT(verify_payload("{\"exp\":1700000100,\"iss\":\"doo\"}"), DOOH_JWT_ECLAIMS);
    CHECK_EQ_INT(verify_payload("{\"sub\":1,\"exp\":1700000100,\"iss\":\"doo\"}"), DOOH_JWT_ECLAIMS);
    CHECK_EQ_INT(verify_payload("{\"sub\":\"\",\"exp\":1700000100,\"iss\":\"doo\"}"), DOOH_JWT_ECLAIMS);
    CHECK_EQ_INT(verify_payload("{\"sub\":null,\"exp\":1700000100,\"iss\":\"doo\"}"), DOOH_JWT_ECLAIMS);
    CHECK_EQ_INT(verify_payload("{\"sub\":\"1\",\"exp\":1700000100}"), DOOH_JWT_ECLAIMS);
    CHECK_EQ_INT(verify_payload("{\"sub\":\"1\",\"exp\":1700000100,\"iss\":\"Doo\"}"), DOOH_JWT_ECLAIMS);
    CHECK_EQ_INT(verify_payload("{\"sub\":\"1\",\"exp\":1700000100,\"iss\":\"doo\",\"aud\":\"x\"}"), DOOH_JWT_ECLAIMS);
    CHECK_EQ_INT(verify_payload("{\"sub\":\"1\",\"exp\":1700000100,\"iss\":\"doo\",\"email\":5}"), DOOH_JWT_ECLAIMS);
    CHECK_EQ_INT(verify_payload("{\"sub\":\"1\",\"exp\":1700000100,\"iss\":\"doo\",\"role\":[\"admin\"]}"), DOOH_JWT_ECLAIMS);
}

static void verify_should_reject_claims_that_are_not_a_json_object(void) {
    CHECK_EQ_INT(verify_payload("[]"), DOOH_JWT_EFORMAT);
    CHECK_EQ_INT(verify_payload("\"sub\""), DOOH_JWT_EFORMAT);
    CHECK_EQ_INT(verify_payload("{\"sub\":\"1\",\"exp\":1700000100,\"iss\":\"doo\""), DOOH_JWT_EFORMAT);
    CHECK_EQ_INT(verify_payload("{\"sub\":\"1\",\"sub\":\"2\",\"exp\":1700000100,\"iss\":\"doo\"}"), DOOH_JWT_EFORMAT);
    CHECK_EQ_INT(verify_payload("{\"sub\":\"\xff\",\"exp\":1700000100,\"iss\":\"doo\"}"), DOOH_JWT_EFORMAT);
    CHECK_EQ_INT(verify_payload(""), DOOH_JWT_EFORMAT);
}

static void verify_failure_should_leave_the_claims_zeroed(void) {
    dooh_jwt_claims c;
    memset(&c, 0x5a, sizeof c);
    CHECK(verify("x.y.z", &c) != 0);
    CHECK(c.sub.ptr == NULL && c.sub.len == 0 && c.exp == 0 && c.iat == 0);
    CHECK(strcmp(dooh_jwt_strerror(DOOH_JWT_ESIG), "bad signature") == 0);
}

int main(void) {
    dooh_ctx_init(&ctx);
    RUN(sign_then_verify_should_round_trip_every_claim);
    RUN(sign_should_write_the_documented_claims_in_order);
    RUN(sign_then_verify_should_keep_unicode_and_escapes_and_absent_claims);
    RUN(sign_should_refuse_a_short_secret_a_missing_sub_and_invalid_utf8);
    RUN(sign_should_refuse_claims_that_would_exceed_the_size_cap);
    RUN(verify_should_accept_a_minimal_hand_made_token);
    RUN(verify_should_reject_alg_none_and_its_case_variants);
    RUN(verify_should_reject_every_alg_but_exactly_HS256);
    RUN(verify_should_reject_a_crit_header);
    RUN(verify_should_reject_a_header_that_is_not_a_json_object);
    RUN(verify_should_reject_a_tampered_signature);
    RUN(verify_should_reject_cut_padded_or_re_encoded_signatures);
    RUN(verify_should_reject_a_token_signed_with_another_secret);
    RUN(verify_should_reject_a_tampered_payload);
    RUN(verify_should_reject_wrong_segment_counts);
    RUN(verify_should_reject_bad_base64url_in_header_or_payload);
    RUN(verify_should_reject_oversized_tokens_before_any_work);
    RUN(verify_should_refuse_a_short_secret);
    RUN(verify_should_require_a_numeric_integer_exp);
    RUN(verify_should_apply_the_leeway_to_exp);
    RUN(verify_should_reject_nbf_and_iat_in_the_future_beyond_the_leeway);
    RUN(verify_should_require_a_string_sub_and_the_doo_issuer);
    RUN(verify_should_reject_claims_that_are_not_a_json_object);
    RUN(verify_failure_should_leave_the_claims_zeroed);
    dooh_ctx_free(&ctx);
    return check_report();
}
