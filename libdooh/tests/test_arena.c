/* needs: arena.c buf.c */
/* Unit tests for the arena allocator (dooh/arena.h) and the byte buffer (dooh/buf.h). */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "dooh/arena.h"
#include "dooh/buf.h"

static void arena_alloc_should_return_16_byte_aligned_pointers(void) {
    dooh_arena a;
    CHECK_EQ_INT(dooh_arena_init(&a, 0), 0);
    for (size_t n = 0; n < 100; n++) {
        void *p = dooh_arena_alloc(&a, n);
        CHECK(p != NULL);
        CHECK_EQ_INT((uintptr_t)p % 16, 0);
    }
    dooh_arena_free(&a);
}

static void arena_alloc_should_give_disjoint_writable_memory(void) {
    dooh_arena a;
    CHECK_EQ_INT(dooh_arena_init(&a, 64), 0);
    unsigned char *ps[200];
    for (int i = 0; i < 200; i++) {
        ps[i] = dooh_arena_alloc(&a, 40);
        memset(ps[i], i, 40);
    }
    for (int i = 0; i < 200; i++)
        for (int j = 0; j < 40; j++) CHECK_EQ_INT(ps[i][j], (unsigned char)i);
    dooh_arena_free(&a);
}

static void arena_alloc_should_chain_blocks_when_first_is_full(void) {
    dooh_arena a;
    CHECK_EQ_INT(dooh_arena_init(&a, 128), 0);
    void *first = a.first;
    for (int i = 0; i < 100; i++) CHECK(dooh_arena_alloc(&a, 32) != NULL);
    CHECK(a.head != first);
    CHECK(a.first == first);
    dooh_arena_free(&a);
}

static void arena_alloc_should_give_large_requests_their_own_block(void) {
    dooh_arena a;
    CHECK_EQ_INT(dooh_arena_init(&a, 1024), 0);
    void *small1 = dooh_arena_alloc(&a, 16);
    void *head = a.head;
    size_t used = a.used;
    char *big = dooh_arena_alloc(&a, 1 << 20);
    CHECK(big != NULL);
    memset(big, 0xAB, 1 << 20);
    /* The partly used head block keeps serving small allocations. */
    CHECK(a.head == head);
    CHECK_EQ_INT(a.used, used);
    char *small2 = dooh_arena_alloc(&a, 16);
    CHECK(small2 == (char *)small1 + 16);
    dooh_arena_free(&a);
}

static void arena_reset_should_keep_first_block_and_reuse_it(void) {
    dooh_arena a;
    CHECK_EQ_INT(dooh_arena_init(&a, 256), 0);
    void *p1 = dooh_arena_alloc(&a, 10);
    for (int i = 0; i < 50; i++) dooh_arena_alloc(&a, 100);
    dooh_arena_alloc(&a, 100000);
    void *first = a.first;
    dooh_arena_reset(&a);
    CHECK(a.first == first);
    CHECK(a.head == first);
    CHECK_EQ_INT(a.used, 0);
    CHECK(dooh_arena_alloc(&a, 10) == p1);
    dooh_arena_free(&a);
}

static void arena_alloc_should_return_null_for_impossible_size(void) {
    dooh_arena a;
    CHECK_EQ_INT(dooh_arena_init(&a, 0), 0);
    CHECK(dooh_arena_alloc(&a, SIZE_MAX) == NULL);
    CHECK(dooh_arena_alloc(&a, SIZE_MAX - 8) == NULL);
    CHECK(dooh_arena_alloc(&a, 8) != NULL);
    dooh_arena_free(&a);
}

static void arena_should_work_from_zero_initialised_state(void) {
    dooh_arena a = { 0 };
    char *p = dooh_arena_alloc(&a, 100);
    CHECK(p != NULL);
    CHECK(a.first != NULL);
    dooh_arena_reset(&a);
    dooh_arena_free(&a);
    dooh_arena_free(&a); /* idempotent */
    CHECK(a.first == NULL);
}

static void buf_put_should_append_and_grow(void) {
    dooh_buf b;
    dooh_buf_init(&b);
    for (int i = 0; i < 1000; i++) dooh_buf_lit(&b, "abc");
    CHECK_EQ_INT(b.len, 3000);
    CHECK(b.cap >= 3000);
    CHECK(memcmp(b.p + 2997, "abc", 3) == 0);
    dooh_buf_putc(&b, 'z');
    CHECK_EQ_INT(b.p[3000], 'z');
    dooh_buf_put(&b, NULL, 0);
    CHECK_EQ_INT(b.len, 3001);
    dooh_buf_free(&b);
}

static void buf_clear_should_keep_capacity(void) {
    dooh_buf b;
    dooh_buf_init(&b);
    dooh_buf_lit(&b, "hello");
    size_t cap = b.cap;
    char *p = b.p;
    dooh_buf_clear(&b);
    CHECK_EQ_INT(b.len, 0);
    CHECK_EQ_INT(b.cap, cap);
    dooh_buf_lit(&b, "x");
    CHECK(b.p == p);
    dooh_buf_free(&b);
}

static void buf_reserve_should_fail_on_overflow_and_leave_buffer_unchanged(void) {
    dooh_buf b;
    dooh_buf_init(&b);
    dooh_buf_lit(&b, "ab");
    CHECK(!dooh_buf_reserve(&b, SIZE_MAX));
    CHECK_EQ_MEM(b.p, b.len, "ab");
    CHECK(dooh_buf_reserve(&b, 1000));
    CHECK(b.cap - b.len >= 1000);
    dooh_buf_free(&b);
}

static void expect_i64(int64_t v, const char *want) {
    dooh_buf b;
    dooh_buf_init(&b);
    dooh_buf_put_i64(&b, v);
    CHECK_EQ_MEM(b.p, b.len, want);
    dooh_buf_free(&b);
}

static void buf_put_i64_should_format_decimal_including_extremes(void) {
    expect_i64(0, "0");
    expect_i64(7, "7");
    expect_i64(10, "10");
    expect_i64(99, "99");
    expect_i64(100, "100");
    expect_i64(-1, "-1");
    expect_i64(1234567890123LL, "1234567890123");
    expect_i64(INT64_MAX, "9223372036854775807");
    expect_i64(INT64_MIN, "-9223372036854775808");
}

static void buf_put_u64_should_format_max(void) {
    dooh_buf b;
    dooh_buf_init(&b);
    dooh_buf_put_u64(&b, UINT64_MAX);
    dooh_buf_putc(&b, ' ');
    dooh_buf_put_u64(&b, 0);
    CHECK_EQ_MEM(b.p, b.len, "18446744073709551615 0");
    dooh_buf_free(&b);
}

static void buf_put_i64_should_match_snprintf_for_many_values(void) {
    char want[32];
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < 10000; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17; /* xorshift */
        int64_t v = (int64_t)(x >> (i % 64));
        if (i & 1) v = (int64_t)(0 - (uint64_t)v); /* wraps for INT64_MIN */
        snprintf(want, sizeof want, "%lld", (long long)v);
        expect_i64(v, want);
    }
}

int main(void) {
    RUN(arena_alloc_should_return_16_byte_aligned_pointers);
    RUN(arena_alloc_should_give_disjoint_writable_memory);
    RUN(arena_alloc_should_chain_blocks_when_first_is_full);
    RUN(arena_alloc_should_give_large_requests_their_own_block);
    RUN(arena_reset_should_keep_first_block_and_reuse_it);
    RUN(arena_alloc_should_return_null_for_impossible_size);
    RUN(arena_should_work_from_zero_initialised_state);
    RUN(buf_put_should_append_and_grow);
    RUN(buf_clear_should_keep_capacity);
    RUN(buf_reserve_should_fail_on_overflow_and_leave_buffer_unchanged);
    RUN(buf_put_i64_should_format_decimal_including_extremes);
    RUN(buf_put_u64_should_format_max);
    RUN(buf_put_i64_should_match_snprintf_for_many_values);
    return check_report();
}
