/* needs: jwt.c json.c arena.c buf.c rt.c str.c crypto_sha256.c crypto_blake2b.c crypto_argon2.c crypto_base64.c crypto_util.c */
/* crypto_cli.c — a small driver for the interop tests (tests/unit/test_jwt_interop.py and
 * test_argon2_interop.py), which check libdooh's JWT and PHC strings against pyjwt and
 * argon2-cffi. Secrets and passwords arrive on stdin, hex-encoded, one value per line,
 * never in argv:
 *
 *   crypto_cli jwt-sign     secret, sub, email|-, role|-, iat, exp  -> token
 *   crypto_cli jwt-verify   secret, now, leeway, token              -> claims JSON | error NAME
 *   crypto_cli phc-hash     password, m, t, p                        -> PHC string
 *   crypto_cli phc-verify   phc, password                            -> ok | mismatch | error NAME
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dooh/crypto.h"
#include "dooh/json.h"
#include "dooh/jwt.h"

#define LINE_MAX_LEN (256 * 1024)

static char lines[8][LINE_MAX_LEN];
static int nlines;

static char *read_line(void) {
    char *s = nlines < 8 ? lines[nlines++] : NULL;
    if (!s || !fgets(s, LINE_MAX_LEN, stdin)) {
        fprintf(stderr, "crypto_cli: missing input line\n");
        exit(2);
    }
    s[strcspn(s, "\n")] = '\0';
    return s;
}

/* Decode a hex line in place; returns the byte count. */
static size_t unhex(char *s) {
    size_t n = strlen(s) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1) exit(2);
        s[i] = (char)v;
    }
    return n;
}

static dooh_str opt(char *s) { return strcmp(s, "-") == 0 ? DOOH_NULL_STR : dooh_str_from_cstr(s); }

static const char *jwt_name(int r) {
    switch (r) {
    case DOOH_JWT_ETOOBIG: return "ETOOBIG";
    case DOOH_JWT_EFORMAT: return "EFORMAT";
    case DOOH_JWT_EALG: return "EALG";
    case DOOH_JWT_ECRIT: return "ECRIT";
    case DOOH_JWT_ESIG: return "ESIG";
    case DOOH_JWT_ECLAIMS: return "ECLAIMS";
    case DOOH_JWT_EEXPIRED: return "EEXPIRED";
    case DOOH_JWT_ENOTYET: return "ENOTYET";
    case DOOH_JWT_ESECRET: return "ESECRET";
    case DOOH_JWT_EINVAL: return "EINVAL";
    default: return "EUNKNOWN";
    }
}

static const char *crypto_name(int r) {
    switch (r) {
    case DOOH_CRYPTO_EINVAL: return "EINVAL";
    case DOOH_CRYPTO_ENOMEM: return "ENOMEM";
    case DOOH_CRYPTO_ERANDOM: return "ERANDOM";
    case DOOH_CRYPTO_EFORMAT: return "EFORMAT";
    default: return "EUNKNOWN";
    }
}

static void put_opt(dooh_buf *b, const char *key, dooh_str v) {
    dooh_buf_putc(b, ',');
    dooh_json_str(b, dooh_str_from_cstr(key));
    dooh_buf_putc(b, ':');
    if (v.ptr) dooh_json_str(b, v);
    else dooh_json_null(b);
}

static int jwt_sign(dooh_ctx *ctx) {
    char *secret = read_line();
    size_t sn = unhex(secret);
    char *sub = read_line(), *email = read_line(), *role = read_line();
    int64_t iat = strtoll(read_line(), NULL, 10), exp = strtoll(read_line(), NULL, 10);
    dooh_jwt_claims c = { dooh_str_from_cstr(sub), opt(email), opt(role), iat, exp };
    dooh_str tok;
    int r = dooh_jwt_sign(ctx, &c, secret, sn, &tok);
    if (r) {
        printf("error %s\n", jwt_name(r));
        return 1;
    }
    printf("%.*s\n", (int)tok.len, tok.ptr);
    return 0;
}

static int jwt_verify(dooh_ctx *ctx) {
    char *secret = read_line();
    size_t sn = unhex(secret);
    int64_t now = strtoll(read_line(), NULL, 10), leeway = strtoll(read_line(), NULL, 10);
    char *tok = read_line();
    dooh_jwt_claims c;
    int r = dooh_jwt_verify(ctx, tok, strlen(tok), secret, sn, now, leeway, &c);
    if (r) {
        printf("error %s\n", jwt_name(r));
        return 0;
    }
    dooh_buf b;
    dooh_buf_init(&b);
    dooh_buf_lit(&b, "{\"sub\":");
    dooh_json_str(&b, c.sub);
    put_opt(&b, "email", c.email);
    put_opt(&b, "role", c.role);
    dooh_buf_lit(&b, ",\"iat\":");
    dooh_buf_put_i64(&b, c.iat);
    dooh_buf_lit(&b, ",\"exp\":");
    dooh_buf_put_i64(&b, c.exp);
    dooh_buf_putc(&b, '}');
    printf("%.*s\n", (int)b.len, b.p);
    dooh_buf_free(&b);
    return 0;
}

static int phc_hash(void) {
    char *pw = read_line();
    size_t n = unhex(pw);
    unsigned long m = strtoul(read_line(), NULL, 10), t = strtoul(read_line(), NULL, 10),
                  p = strtoul(read_line(), NULL, 10);
    char out[DOOH_ARGON2_PHC_MAX];
    int r = dooh_argon2id_hash_phc(pw, n, (uint32_t)m, (uint32_t)t, (uint32_t)p, out, sizeof out);
    if (r) {
        printf("error %s\n", crypto_name(r));
        return 1;
    }
    printf("%s\n", out);
    return 0;
}

static int phc_verify(void) {
    char *phc = read_line();
    char *pw = read_line();
    size_t n = unhex(pw);
    int r = dooh_argon2id_verify_phc(phc, pw, n);
    if (r == 0) printf("ok\n");
    else if (r == DOOH_CRYPTO_EMISMATCH) printf("mismatch\n");
    else printf("error %s\n", crypto_name(r));
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    dooh_ctx ctx;
    dooh_ctx_init(&ctx);
    int r = 2;
    if (strcmp(argv[1], "jwt-sign") == 0) r = jwt_sign(&ctx);
    else if (strcmp(argv[1], "jwt-verify") == 0) r = jwt_verify(&ctx);
    else if (strcmp(argv[1], "phc-hash") == 0) r = phc_hash();
    else if (strcmp(argv[1], "phc-verify") == 0) r = phc_verify();
    dooh_ctx_free(&ctx);
    return r;
}
