/* check.h — the tiny assertion kit of libdooh's C unit tests.
 *
 * Each test file is one program: `int main(void) { RUN(test_a); RUN(test_b); return check_report(); }`.
 * A failed CHECK prints file:line and the expression and marks the current test failed;
 * check_report() prints "N passed, M failed" and returns non-zero when anything failed.
 */
#ifndef DOOH_CHECK_H
#define DOOH_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failed_now;
static int check_passed, check_failed;

#define CHECK(cond) do { if (!(cond)) { \
    fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    check_failed_now = 1; } } while (0)
#define CHECK_EQ_INT(a, b) do { long long _a = (long long)(a), _b = (long long)(b); if (_a != _b) { \
    fprintf(stderr, "%s:%d: CHECK_EQ_INT failed: %s == %lld, expected %lld\n", __FILE__, __LINE__, #a, _a, _b); \
    check_failed_now = 1; } } while (0)
/* Compare a (ptr,len) byte range with a C string. */
#define CHECK_EQ_MEM(p, n, s) do { size_t _n = (size_t)(n); const char *_s = (s); \
    if (_n != strlen(_s) || memcmp((p), _s, _n) != 0) { \
    fprintf(stderr, "%s:%d: CHECK_EQ_MEM failed: got \"%.*s\", expected \"%s\"\n", __FILE__, __LINE__, (int)_n, (const char *)(p), _s); \
    check_failed_now = 1; } } while (0)
#define RUN(fn) do { check_failed_now = 0; fn(); if (check_failed_now) { check_failed++; \
    fprintf(stderr, "FAIL %s\n", #fn); } else check_passed++; } while (0)

static inline int check_report(void) {
    printf("%d passed, %d failed\n", check_passed, check_failed);
    return check_failed != 0;
}

#endif
