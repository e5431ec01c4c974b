/* needs: crypto_sha256.c crypto_blake2b.c crypto_argon2.c crypto_base64.c crypto_util.c */
/* Unit tests for dooh/crypto.h against the standards' published test vectors:
 * FIPS 180-4 examples (SHA-256), RFC 4231 (HMAC-SHA256), RFC 7693 Appendix A (BLAKE2b),
 * RFC 9106 §5.3 (Argon2id), RFC 4648 §10 (base64). Further BLAKE2b/H' values were computed
 * with Python's hashlib and the RFC's H' definition; the PHC string at the end was made by
 * argon2-cffi. */
#include <stdlib.h>

#include "check.h"
#include "dooh/crypto.h"

/* Lower-case hex of n bytes, in a static buffer (tests only). */
static const char *hex(const uint8_t *p, size_t n) {
    static char s[2 * 256 + 1];
    for (size_t i = 0; i < n && i < 256; i++) snprintf(s + 2 * i, 3, "%02x", p[i]);
    s[2 * (n < 256 ? n : 256)] = '\0';
    return s;
}

#define CHECK_HEX(bytes, n, want) CHECK_EQ_MEM(hex((bytes), (n)), strlen(hex((bytes), (n))), want)

static void fill(uint8_t *p, uint8_t v, size_t n) { memset(p, v, n); }

/* ---- SHA-256 ---- */

static void check_sha256(const char *msg, const char *want) {
    uint8_t d[32];
    dooh_sha256(msg, strlen(msg), d);
    CHECK_HEX(d, 32, want);
}

static void sha256_should_match_fips_abc(void) {
    check_sha256("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void sha256_should_match_fips_empty_message(void) {
    check_sha256("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void sha256_should_match_fips_448_bit_message(void) {
    check_sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void sha256_should_match_fips_896_bit_message(void) {
    check_sha256("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqk"
                 "lmnopqrlmnopqrsmnopqrstnopqrstu",
                 "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static void sha256_should_match_fips_million_a(void) {
    /* Fed in uneven pieces so the block buffering is exercised too. */
    char chunk[997];
    memset(chunk, 'a', sizeof chunk);
    dooh_sha256_state s;
    dooh_sha256_init(&s);
    size_t left = 1000000;
    while (left) {
        size_t n = left < sizeof chunk ? left : sizeof chunk;
        dooh_sha256_update(&s, chunk, n);
        left -= n;
    }
    uint8_t d[32];
    dooh_sha256_final(&s, d);
    CHECK_HEX(d, 32, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void sha256_incremental_should_equal_one_shot_at_every_split(void) {
    uint8_t msg[200], whole[32], parts[32];
    for (size_t i = 0; i < sizeof msg; i++) msg[i] = (uint8_t)(i * 7 + 3);
    dooh_sha256(msg, sizeof msg, whole);
    for (size_t cut = 0; cut <= sizeof msg; cut++) {
        dooh_sha256_state s;
        dooh_sha256_init(&s);
        dooh_sha256_update(&s, msg, cut);
        dooh_sha256_update(&s, msg + cut, sizeof msg - cut);
        dooh_sha256_final(&s, parts);
        CHECK(memcmp(whole, parts, 32) == 0);
    }
}

/* ---- HMAC-SHA256, RFC 4231 §4 ---- */

static void check_hmac(const uint8_t *key, size_t keylen, const void *msg, size_t n,
                       size_t outlen, const char *want) {
    uint8_t mac[32];
    dooh_hmac_sha256(key, keylen, msg, n, mac);
    CHECK_HEX(mac, outlen, want);
}

static void hmac_sha256_should_match_rfc4231_case_1(void) {
    uint8_t key[20];
    fill(key, 0x0b, 20);
    check_hmac(key, 20, "Hi There", 8, 32,
               "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

static void hmac_sha256_should_match_rfc4231_case_2(void) {
    const char *m = "what do ya want for nothing?";
    check_hmac((const uint8_t *)"Jefe", 4, m, strlen(m), 32,
               "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static void hmac_sha256_should_match_rfc4231_case_3(void) {
    uint8_t key[20], msg[50];
    fill(key, 0xaa, 20);
    fill(msg, 0xdd, 50);
    check_hmac(key, 20, msg, 50, 32,
               "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
}

static void hmac_sha256_should_match_rfc4231_case_4(void) {
    uint8_t key[25], msg[50];
    for (int i = 0; i < 25; i++) key[i] = (uint8_t)(i + 1);
    fill(msg, 0xcd, 50);
    check_hmac(key, 25, msg, 50, 32,
               "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
}

static void hmac_sha256_should_match_rfc4231_case_5_truncated_to_128_bits(void) {
    uint8_t key[20];
    fill(key, 0x0c, 20);
    check_hmac(key, 20, "Test With Truncation", 20, 16, "a3b6167473100ee06e0c796c2955552b");
}

static void hmac_sha256_should_match_rfc4231_case_6(void) {
    uint8_t key[131];
    fill(key, 0xaa, 131);
    const char *m = "Test Using Larger Than Block-Size Key - Hash Key First";
    check_hmac(key, 131, m, strlen(m), 32,
               "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

static void hmac_sha256_should_match_rfc4231_case_7(void) {
    uint8_t key[131];
    fill(key, 0xaa, 131);
    const char *m = "This is a test using a larger than block-size key and a larger than "
                    "block-size data. The key needs to be hashed before being used by the HMAC "
                    "algorithm.";
    check_hmac(key, 131, m, strlen(m), 32,
               "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

static void hmac_sha256_streaming_should_equal_one_shot(void) {
    const char *m = "what do ya want for nothing?";
    uint8_t a[32], b[32];
    dooh_hmac_sha256("Jefe", 4, m, strlen(m), a);
    dooh_hmac_sha256_state h;
    dooh_hmac_sha256_init(&h, "Jefe", 4);
    dooh_hmac_sha256_update(&h, m, 5);
    dooh_hmac_sha256_update(&h, m + 5, strlen(m) - 5);
    dooh_hmac_sha256_final(&h, b);
    CHECK(memcmp(a, b, 32) == 0);
}

/* ---- BLAKE2b ---- */

static void blake2b_should_match_rfc7693_abc_vector(void) {
    uint8_t d[64];
    CHECK_EQ_INT(dooh_blake2b(d, 64, NULL, 0, "abc", 3), 0);
    CHECK_HEX(d, 64,
              "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
              "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923");
}

static void blake2b_keyed_and_short_outputs_should_match_hashlib(void) {
    uint8_t key[64], msg[256], d[64];
    for (int i = 0; i < 64; i++) key[i] = (uint8_t)i;
    for (int i = 0; i < 256; i++) msg[i] = (uint8_t)i;
    CHECK_EQ_INT(dooh_blake2b(d, 20, key, 64, msg, 256), 0);
    CHECK_HEX(d, 20, "6e350170bfb6c4ba331ba6d3c25db40395af2916");
    CHECK_EQ_INT(dooh_blake2b(d, 64, key, 64, NULL, 0), 0);
    CHECK_HEX(d, 64,
              "10ebb67700b1868efb4417987acf4690ae9d972fb7a590c2f02871799aaa4786"
              "b5e996e8f0f4eb981fc214b005f42d2ff4233499391653df7aefcbc13fc51568");
    memset(key, 'k', 64);
    CHECK_EQ_INT(dooh_blake2b(d, 32, key, 64, "abc", 3), 0);
    CHECK_HEX(d, 32, "4a9b8eebf030157d4f2557cb8622b862409af5c9e9ad2ef4a69abf180a30c13b");
}

static void blake2b_should_handle_an_exact_block_message(void) {
    /* 128 bytes: the only block must be compressed as the final one. */
    uint8_t msg[128], d[64];
    memset(msg, 'x', sizeof msg);
    dooh_blake2b(d, 64, NULL, 0, msg, sizeof msg);
    CHECK_HEX(d, 64,
              "082b91ea2e15d1556d2ceefdd5af5d64d31b4e01aff1959724578876293825b2"
              "36ee8079173a0a38160d7d6685d6bca0bfb62c177b3599b8727d9173e2115b91");
}

static void blake2b_streaming_should_equal_one_shot_at_every_split(void) {
    uint8_t msg[300], whole[64], parts[64];
    for (size_t i = 0; i < sizeof msg; i++) msg[i] = (uint8_t)(i * 13 + 1);
    dooh_blake2b(whole, 64, "key", 3, msg, sizeof msg);
    for (size_t cut = 0; cut <= sizeof msg; cut += 1) {
        dooh_blake2b_state s;
        dooh_blake2b_init(&s, 64, "key", 3);
        dooh_blake2b_update(&s, msg, cut);
        dooh_blake2b_update(&s, msg + cut, sizeof msg - cut);
        dooh_blake2b_final(&s, parts);
        CHECK(memcmp(whole, parts, 64) == 0);
    }
}

static void blake2b_should_reject_bad_lengths(void) {
    dooh_blake2b_state s;
    uint8_t key[65] = { 0 };
    CHECK_EQ_INT(dooh_blake2b_init(&s, 0, NULL, 0), DOOH_CRYPTO_EINVAL);
    CHECK_EQ_INT(dooh_blake2b_init(&s, 65, NULL, 0), DOOH_CRYPTO_EINVAL);
    CHECK_EQ_INT(dooh_blake2b_init(&s, 64, key, 65), DOOH_CRYPTO_EINVAL);
    uint8_t d[8];
    CHECK_EQ_INT(dooh_blake2b_long(d, 0, "abc", 3), DOOH_CRYPTO_EINVAL);
}

/* H'^T("abc") for T on both sides of the 64-byte boundary; the expected values are the
 * SHA-256 of the output, computed from RFC 9106 §3.3's definition with hashlib. */
static void blake2b_long_should_match_rfc9106_definition(void) {
    static const struct { size_t t; const char *sha; } cases[] = {
        { 32, "89d538e817d00792ece04f861540858640a8fac01ccc5ecfc483c751d5b2f4d5" },
        { 64, "2125b68abb0293d9f8085e33734eb4d913c8c933c5c30a262dd191e58eaeef45" },
        { 65, "ec8005f06d24d5395c00ccd5533dd5122bcd3927a95e25ab3104d38606415e9c" },
        { 100, "97aa90af9e8cd4353ba0421579ba51207c9563a8db5bd3f27bb642e19b3eeefc" },
        { 1024, "6492df1f721b3aeb51184792d6408cdea912bd4b74ba8113ae617acbeb874a1d" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t out[1024], d[32];
        CHECK_EQ_INT(dooh_blake2b_long(out, cases[i].t, "abc", 3), 0);
        dooh_sha256(out, cases[i].t, d);
        CHECK_HEX(d, 32, cases[i].sha);
    }
}

/* ---- Argon2id ---- */

static void argon2id_should_match_rfc9106_test_vector(void) {
    uint8_t pw[32], salt[16], secret[8], ad[12], tag[32];
    fill(pw, 0x01, sizeof pw);
    fill(salt, 0x02, sizeof salt);
    fill(secret, 0x03, sizeof secret);
    fill(ad, 0x04, sizeof ad);
    CHECK_EQ_INT(dooh_argon2id(pw, sizeof pw, salt, sizeof salt, secret, sizeof secret, ad,
                               sizeof ad, 32, 3, 4, tag, sizeof tag), 0);
    CHECK_HEX(tag, 32, "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659");
}

static void argon2id_should_reject_out_of_range_costs(void) {
    uint8_t salt[16] = { 0 }, tag[32];
    CHECK_EQ_INT(dooh_argon2id("pw", 2, salt, 16, NULL, 0, NULL, 0, 15, 1, 2, tag, 32),
                 DOOH_CRYPTO_EINVAL); /* m < 8p */
    CHECK_EQ_INT(dooh_argon2id("pw", 2, salt, 16, NULL, 0, NULL, 0, 64, 0, 1, tag, 32),
                 DOOH_CRYPTO_EINVAL);
    CHECK_EQ_INT(dooh_argon2id("pw", 2, salt, 16, NULL, 0, NULL, 0, 64, 1, 0, tag, 32),
                 DOOH_CRYPTO_EINVAL);
    CHECK_EQ_INT(dooh_argon2id("pw", 2, salt, 16, NULL, 0, NULL, 0, 64, 1, 17, tag, 32),
                 DOOH_CRYPTO_EINVAL);
    CHECK_EQ_INT(dooh_argon2id("pw", 2, salt, 16, NULL, 0, NULL, 0,
                               DOOH_ARGON2_MAX_M_KIB + 1, 1, 1, tag, 32), DOOH_CRYPTO_EINVAL);
    CHECK_EQ_INT(dooh_argon2id("pw", 2, salt, 7, NULL, 0, NULL, 0, 64, 1, 1, tag, 32),
                 DOOH_CRYPTO_EINVAL); /* salt < 8 bytes */
    CHECK_EQ_INT(dooh_argon2id("pw", 2, salt, 16, NULL, 0, NULL, 0, 64, 1, 1, tag, 3),
                 DOOH_CRYPTO_EINVAL); /* tag < 4 bytes */
}

static void argon2id_hash_phc_should_produce_a_verifiable_string(void) {
    char phc[DOOH_ARGON2_PHC_MAX];
    CHECK_EQ_INT(dooh_argon2id_hash_phc("hunter2", 7, 64, 1, 1, phc, sizeof phc), 0);
    CHECK(strncmp(phc, "$argon2id$v=19$m=64,t=1,p=1$", 28) == 0);
    /* 22 chars of salt, '$', 43 chars of tag. */
    CHECK_EQ_INT(strlen(phc), 28 + 22 + 1 + 43);
    CHECK_EQ_INT(dooh_argon2id_verify_phc(phc, "hunter2", 7), 0);
    CHECK_EQ_INT(dooh_argon2id_verify_phc(phc, "hunter3", 7), DOOH_CRYPTO_EMISMATCH);
    CHECK_EQ_INT(dooh_argon2id_verify_phc(phc, "hunter2", 6), DOOH_CRYPTO_EMISMATCH);
    CHECK_EQ_INT(dooh_argon2id_verify_phc(phc, "", 0), DOOH_CRYPTO_EMISMATCH);
}

static void argon2id_hash_phc_should_use_a_fresh_salt_each_time(void) {
    char a[DOOH_ARGON2_PHC_MAX], b[DOOH_ARGON2_PHC_MAX];
    CHECK_EQ_INT(dooh_argon2id_hash_phc("same", 4, 32, 1, 1, a, sizeof a), 0);
    CHECK_EQ_INT(dooh_argon2id_hash_phc("same", 4, 32, 1, 1, b, sizeof b), 0);
    CHECK(strcmp(a, b) != 0);
}

static void argon2id_hash_phc_should_refuse_a_small_buffer_or_bad_costs(void) {
    char out[64] = "x";
    CHECK_EQ_INT(dooh_argon2id_hash_phc("pw", 2, 64, 1, 1, out, sizeof out), DOOH_CRYPTO_EINVAL);
    CHECK_EQ_INT(out[0], '\0');
    char phc[DOOH_ARGON2_PHC_MAX];
    CHECK_EQ_INT(dooh_argon2id_hash_phc("pw", 2, 4, 1, 1, phc, sizeof phc), DOOH_CRYPTO_EINVAL);
    CHECK_EQ_INT(dooh_argon2id_hash_phc("pw", 2, 64, 99, 1, phc, sizeof phc),
                 DOOH_CRYPTO_EINVAL);
}

static void argon2id_verify_phc_should_accept_an_argon2_cffi_string(void) {
    const char *phc = "$argon2id$v=19$m=64,t=2,p=2$rWdzn3LIAwU0N6tRdY8DiQ$"
                      "bsGOkdz86LTQR/SCBtfTtNN6skKu4AJiqiQ//UMO3pk";
    CHECK_EQ_INT(dooh_argon2id_verify_phc(phc, "correct horse", 13), 0);
    CHECK_EQ_INT(dooh_argon2id_verify_phc(phc, "correct horsE", 13), DOOH_CRYPTO_EMISMATCH);
}

static void argon2id_verify_phc_should_reject_malformed_or_hostile_strings(void) {
    static const char *bad[] = {
        "",
        "$argon2i$v=19$m=64,t=2,p=2$rWdzn3LIAwU0N6tRdY8DiQ$bsGOkdz86LTQR/SCBtfTtNN6skKu4AJiqiQ//UMO3pk",
        "$argon2d$v=19$m=64,t=2,p=2$rWdzn3LIAwU0N6tRdY8DiQ$bsGOkdz86LTQR/SCBtfTtNN6skKu4AJiqiQ//UMO3pk",
        "$argon2id$v=16$m=64,t=2,p=2$rWdzn3LIAwU0N6tRdY8DiQ$bsGOkdz86LTQR/SCBtfTtNN6skKu4AJiqiQ//UMO3pk",
        "$argon2id$m=64,t=2,p=2$rWdzn3LIAwU0N6tRdY8DiQ$bsGOkdz86LTQR/SCBtfTtNN6skKu4AJiqiQ//UMO3pk",
        "$argon2id$v=19$m=064,t=2,p=2$rWdzn3LIAwU0N6tRdY8DiQ$bsGOkdz86LTQR/SCBtfTtNN6skKu4AJiqiQ//UMO3pk",
        "$argon2id$v=19$m=+64,t=2,p=2$rWdzn3LIAwU0N6tRdY8DiQ$bsGOkdz86LTQR/SCBtfTtNN6skKu4AJiqiQ//UMO3pk",
        "$argon2id$v=19$t=2,m=64,p=2$rWdzn3LIAwU0N6tRdY8DiQ$bsGOkdz86LTQR/SCBtfTtNN6skKu4AJiqiQ//UMO3pk",
        "$argon2id$v=19$m=64,t=2,p=2,keyid=abc$rWdzn3LIAwU0N6tRdY8DiQ$bsGOkdz86LTQR/SCBtfTtNN6skKu4AJiqiQ//UMO3pk",
        /* hostile costs: 4 TiB of memory, 4 billion passes, 0 or 255 lanes */
        "$argon2id$v=19$m=4294967295,t=2,p=2$rWdzn3LIAwU0N6tRdY8DiQ$bsGOkdz86LTQR/SCBtfTtNN6skKu4AJiqiQ//UMO3pk",
        "$argon2id$v=19$m=99999999999,t=2,p=2$rWdzn3LIAwU0N6tRdY8DiQ$bsGOkdz86LTQR/SCBtfTtNN6skKu4AJiqiQ//UMO3pk",
        "$argon2id$v=19$m=64,t=4294967295,p=2$rWdzn3LIAwU0N6tRdY8DiQ$bsGOkdz86LTQR/SCBtfTtNN6skKu4AJiqiQ//UMO3pk",
        "$argon2id$v=19$m=64,t=2,p=0$rWdzn3LIAwU0N6tRdY8DiQ$bsGOkdz86LTQR/SCBtfTtNN6skKu4AJiqiQ//UMO3pk",
        "$argon2id$v=19$m=2048,t=2,p=255$rWdzn3LIAwU0N6tRdY8DiQ$bsGOkdz86LTQR/SCBtfTtNN6skKu4AJiqiQ//UMO3pk",
        /* base64: padding, a non-canonical last character, the URL alphabet, whitespace */
        "$argon2id$v=19$m=64,t=2,p=2$rWdzn3LIAwU0N6tRdY8DiQ==$bsGOkdz86LTQR/SCBtfTtNN6skKu4AJiqiQ//UMO3pk",
        "$argon2id$v=19$m=64,t=2,p=2$rWdzn3LIAwU0N6tRdY8DiR$bsGOkdz86LTQR/SCBtfTtNN6skKu4AJiqiQ//UMO3pk",
        "$argon2id$v=19$m=64,t=2,p=2$rWdzn3LIAwU0N6tRdY8DiQ$bsGOkdz86LTQR_SCBtfTtNN6skKu4AJiqiQ__UMO3pk",
        "$argon2id$v=19$m=64,t=2,p=2$rWdzn3LIAwU0N6tRdY8DiQ$bsGOkdz86LTQR/SCBtfTtNN6skKu4AJiqiQ//UMO3pk ",
        /* a salt of 4 bytes, a tag of 8 bytes, no tag, an extra field */
        "$argon2id$v=19$m=64,t=2,p=2$rWdznw$bsGOkdz86LTQR/SCBtfTtNN6skKu4AJiqiQ//UMO3pk",
        "$argon2id$v=19$m=64,t=2,p=2$rWdzn3LIAwU0N6tRdY8DiQ$bsGOkdz86LQ",
        "$argon2id$v=19$m=64,t=2,p=2$rWdzn3LIAwU0N6tRdY8DiQ",
        "$argon2id$v=19$m=64,t=2,p=2$rWdzn3LIAwU0N6tRdY8DiQ$bsGOkdz86LTQR/SCBtfTtNN6skKu4AJiqiQ//UMO3pk$",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int r = dooh_argon2id_verify_phc(bad[i], "correct horse", 13);
        if (r != DOOH_CRYPTO_EFORMAT) fprintf(stderr, "  accepted bad PHC #%zu: %s\n", i, bad[i]);
        CHECK_EQ_INT(r, DOOH_CRYPTO_EFORMAT);
    }
    CHECK_EQ_INT(dooh_argon2id_verify_phc(NULL, "x", 1), DOOH_CRYPTO_EFORMAT);
}

/* ---- base64 ---- */

static void b64_should_match_rfc4648_vectors_without_padding(void) {
    static const char *in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
    static const char *want[] = { "", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy" };
    for (int i = 0; i < 7; i++) {
        char enc[16];
        size_t n = dooh_b64std_encode(in[i], strlen(in[i]), enc);
        CHECK_EQ_INT(n, dooh_b64_encoded_len(strlen(in[i])));
        CHECK_EQ_MEM(enc, n, want[i]);
        uint8_t dec[16];
        size_t m = 99;
        CHECK_EQ_INT(dooh_b64url_decode(enc, n, dec, sizeof dec, &m), 0);
        CHECK_EQ_MEM(dec, m, in[i]);
    }
}

static void b64url_should_use_the_url_safe_alphabet(void) {
    const uint8_t in[] = { 0xfb, 0xff, 0xbf };
    char enc[4];
    CHECK_EQ_INT(dooh_b64url_encode(in, 3, enc), 4);
    CHECK_EQ_MEM(enc, 4, "-_-_");
    CHECK_EQ_INT(dooh_b64std_encode(in, 3, enc), 4);
    CHECK_EQ_MEM(enc, 4, "+/+/");
    uint8_t out[3];
    size_t n;
    CHECK_EQ_INT(dooh_b64url_decode("+/+/", 4, out, 3, &n), DOOH_CRYPTO_EFORMAT);
    CHECK_EQ_INT(dooh_b64std_decode("-_-_", 4, out, 3, &n), DOOH_CRYPTO_EFORMAT);
    CHECK_EQ_INT(dooh_b64url_decode("-_-_", 4, out, 3, &n), 0);
    CHECK(n == 3 && memcmp(out, in, 3) == 0);
}

static void b64url_decode_should_reject_padding_junk_and_non_canonical_bits(void) {
    static const char *bad[] = { "Zg==", "Zg=", "Z", "Zh", "Zm9", "Zm9v!", " Zm9v", "Zm9v\n",
                                 "Zm 9v", "Zm9vY", "Zm9vYh", "Zm8=", "Zm\0v" };
    static const size_t len[] = { 4, 3, 1, 2, 3, 5, 5, 5, 5, 5, 6, 4, 4 };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t out[8];
        size_t n;
        int r = dooh_b64url_decode(bad[i], len[i], out, sizeof out, &n);
        if (r == 0) fprintf(stderr, "  accepted bad base64 #%zu\n", i);
        CHECK_EQ_INT(r, DOOH_CRYPTO_EFORMAT);
    }
    /* "Zm9" is non-canonical ("Zm8" is "fo"), so only one of them decodes. */
    uint8_t out[4];
    size_t n;
    CHECK_EQ_INT(dooh_b64url_decode("Zm8", 3, out, sizeof out, &n), 0);
}

static void b64_decode_should_refuse_a_short_output_buffer(void) {
    uint8_t out[5];
    size_t n;
    CHECK_EQ_INT(dooh_b64url_decode("Zm9vYmFy", 8, out, sizeof out, &n), DOOH_CRYPTO_EINVAL);
}

static void b64_should_round_trip_every_length(void) {
    uint8_t in[70], dec[70];
    char enc[100];
    for (size_t i = 0; i < sizeof in; i++) in[i] = (uint8_t)(255 - i * 11);
    for (size_t n = 0; n <= sizeof in; n++) {
        size_t e = dooh_b64url_encode(in, n, enc), d = 0;
        CHECK_EQ_INT(dooh_b64_decoded_len(e), n);
        CHECK_EQ_INT(dooh_b64url_decode(enc, e, dec, sizeof dec, &d), 0);
        CHECK(d == n && memcmp(in, dec, n) == 0);
    }
}

/* ---- utilities ---- */

static void ct_eq_should_compare_every_byte(void) {
    uint8_t a[32], b[32];
    memset(a, 7, 32);
    memset(b, 7, 32);
    CHECK(dooh_ct_eq(a, b, 32));
    CHECK(dooh_ct_eq(a, b, 0));
    for (int i = 0; i < 32; i++) {
        b[i] ^= 0x80;
        CHECK(!dooh_ct_eq(a, b, 32));
        b[i] ^= 0x80;
    }
}

static void random_bytes_should_fill_distinct_nonzero_buffers(void) {
    uint8_t a[32], b[32], zero[32] = { 0 };
    CHECK_EQ_INT(dooh_random_bytes(a, 32), 0);
    CHECK_EQ_INT(dooh_random_bytes(b, 32), 0);
    CHECK(memcmp(a, zero, 32) != 0);
    CHECK(memcmp(a, b, 32) != 0);
    /* More than getrandom's 256-byte atomic size: still filled to the end. */
    size_t big = 1 << 20;
    uint8_t *p = calloc(1, big);
    CHECK_EQ_INT(dooh_random_bytes(p, big), 0);
    CHECK(memcmp(p + big - 32, zero, 32) != 0);
    free(p);
}

static void wipe_should_zero_the_buffer(void) {
    uint8_t a[40];
    memset(a, 0xaa, sizeof a);
    dooh_wipe(a, sizeof a);
    for (size_t i = 0; i < sizeof a; i++) CHECK_EQ_INT(a[i], 0);
}

int main(void) {
    RUN(sha256_should_match_fips_abc);
    RUN(sha256_should_match_fips_empty_message);
    RUN(sha256_should_match_fips_448_bit_message);
    RUN(sha256_should_match_fips_896_bit_message);
    RUN(sha256_should_match_fips_million_a);
    RUN(sha256_incremental_should_equal_one_shot_at_every_split);
    RUN(hmac_sha256_should_match_rfc4231_case_1);
    RUN(hmac_sha256_should_match_rfc4231_case_2);
    RUN(hmac_sha256_should_match_rfc4231_case_3);
    RUN(hmac_sha256_should_match_rfc4231_case_4);
    RUN(hmac_sha256_should_match_rfc4231_case_5_truncated_to_128_bits);
    RUN(hmac_sha256_should_match_rfc4231_case_6);
    RUN(hmac_sha256_should_match_rfc4231_case_7);
    RUN(hmac_sha256_streaming_should_equal_one_shot);
    RUN(blake2b_should_match_rfc7693_abc_vector);
    RUN(blake2b_keyed_and_short_outputs_should_match_hashlib);
    RUN(blake2b_should_handle_an_exact_block_message);
    RUN(blake2b_streaming_should_equal_one_shot_at_every_split);
    RUN(blake2b_should_reject_bad_lengths);
    RUN(blake2b_long_should_match_rfc9106_definition);
    RUN(argon2id_should_match_rfc9106_test_vector);
    RUN(argon2id_should_reject_out_of_range_costs);
    RUN(argon2id_hash_phc_should_produce_a_verifiable_string);
    RUN(argon2id_hash_phc_should_use_a_fresh_salt_each_time);
    RUN(argon2id_hash_phc_should_refuse_a_small_buffer_or_bad_costs);
    RUN(argon2id_verify_phc_should_accept_an_argon2_cffi_string);
    RUN(argon2id_verify_phc_should_reject_malformed_or_hostile_strings);
    RUN(b64_should_match_rfc4648_vectors_without_padding);
    RUN(b64url_should_use_the_url_safe_alphabet);
    RUN(b64url_decode_should_reject_padding_junk_and_non_canonical_bits);
    RUN(b64_decode_should_refuse_a_short_output_buffer);
    RUN(b64_should_round_trip_every_length);
    RUN(ct_eq_should_compare_every_byte);
    RUN(random_bytes_should_fill_distinct_nonzero_buffers);
    RUN(wipe_should_zero_the_buffer);
    return check_report();
}
