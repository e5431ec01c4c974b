/* ratelimit.c — token buckets per client address, shared by every worker thread
 * (http.md §6; the internal contract is in http_internal.h).
 *
 * Input: a scope (app-wide, a route, login, signup…), a 16-byte client key and the limit.
 * Output: allowed or not, and the numbers for the RateLimit-* headers.
 *
 * A bucket holds up to `max` requests and refills continuously at max / window per second,
 * so a client may burst `max` requests and then gets one more every window / max seconds.
 *
 * The table. Memory must not grow with the number of distinct clients, and no lock may be
 * shared by every request. So the table is allocated once (DOO_RATELIMIT_ENTRIES entries,
 * 65,536 by default, 48 bytes each: 3 MiB) and split into 64 shards, each an
 * open-addressing table behind its own mutex; a key's shard and slot come from a hash seeded
 * with random bytes at start-up, so clients cannot aim their keys at one slot. A lookup
 * examines at most PROBE consecutive slots. A new key takes an empty slot there, else one
 * whose bucket has refilled completely (it would behave exactly like a fresh one, so nothing
 * is lost), else the least recently used one. Evicting a partly drained bucket forgives that
 * client; with the default size an attacker needs tens of thousands of addresses in
 * flight to do it, and then the per-address limit is the lesser worry.
 */
#include "http_internal.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define NSHARDS 64
#define PROBE 8
#define MIN_ENTRIES 1024
#define MAX_ENTRIES (1L << 24)

typedef struct rl_entry {
    uint8_t key[DOOH_RL_KEY_LEN];
    uint32_t scope;            /* 0: the slot is empty */
    uint32_t unused;
    int64_t t_ms;              /* last use (and refill) */
    int64_t full_ms;           /* when the bucket will be full again: evictable from then */
    double tokens;
} rl_entry;

/* One cache line (or more) per shard, so workers on different shards share no line. */
typedef struct rl_shard {
    _Alignas(64) pthread_mutex_t lock;
    rl_entry *slots;
} rl_shard;

static long g_entries = DOOH_RL_DEFAULT_ENTRIES;
static bool g_trust_proxy;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static rl_shard *g_shards;
static size_t g_per_shard;     /* a power of two */
static uint64_t g_seed[2];

/* ---- set-up ---- */

const char *dooh_rl_configure(bool trust_proxy) {
    g_trust_proxy = trust_proxy;
    const char *s = getenv("DOO_RATELIMIT_ENTRIES");
    if (!s || !*s) return NULL;
    long v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9' || v > MAX_ENTRIES) return "DOO_RATELIMIT_ENTRIES";
        v = v * 10 + (*p - '0');
    }
    if (v < MIN_ENTRIES || v > MAX_ENTRIES) return "DOO_RATELIMIT_ENTRIES";
    g_entries = v;
    return NULL;
}

static void table_init(void) {
    size_t per = 1;
    while (per * NSHARDS < (size_t)g_entries) per <<= 1;
    if (per < PROBE) per = PROBE;
    g_per_shard = per;
    if (getrandom(g_seed, sizeof g_seed, 0) != (ssize_t)sizeof g_seed) {
        g_seed[0] = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ULL;
        g_seed[1] = (uint64_t)(uintptr_t)&g_seed ^ 0xda942042e4dd58b5ULL;
    }
    g_shards = aligned_alloc(64, NSHARDS * sizeof *g_shards);
    if (!g_shards) return;
    memset(g_shards, 0, NSHARDS * sizeof *g_shards);
    for (int i = 0; i < NSHARDS; i++) {
        pthread_mutex_init(&g_shards[i].lock, NULL);
        /* calloc maps zero pages lazily: a table nobody fills costs almost nothing. */
        g_shards[i].slots = calloc(per, sizeof(rl_entry));
        if (!g_shards[i].slots) {
            for (int k = 0; k < i; k++) free(g_shards[k].slots);
            free(g_shards);
            g_shards = NULL;
            return;
        }
    }
}

void dooh_rl_reset_for_tests(void) {
    pthread_once(&g_once, table_init);
    if (!g_shards) return;
    for (int i = 0; i < NSHARDS; i++) {
        pthread_mutex_lock(&g_shards[i].lock);
        memset(g_shards[i].slots, 0, g_per_shard * sizeof(rl_entry));
        pthread_mutex_unlock(&g_shards[i].lock);
    }
}

int64_t dooh_rl_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- client keys ---- */

/* Parse one address (IPv4 or IPv6 text, surrounding spaces and tabs allowed) into key. */
static bool parse_ip(const char *p, size_t n, uint8_t key[DOOH_RL_KEY_LEN]) {
    while (n && (*p == ' ' || *p == '\t')) p++, n--;
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t')) n--;
    char text[INET6_ADDRSTRLEN];
    if (n == 0 || n >= sizeof text) return false;
    memcpy(text, p, n);
    text[n] = '\0';
    uint8_t v4[4];
    if (inet_pton(AF_INET, text, v4) == 1) {
        memset(key, 0, 10);
        key[10] = key[11] = 0xff;
        memcpy(key + 12, v4, 4);
        return true;
    }
    return inet_pton(AF_INET6, text, key) == 1;
}

static bool is_v4_mapped(const uint8_t *k) {
    static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    return memcmp(k, prefix, sizeof prefix) == 0;
}

void dooh_rl_client_key(const dooh_request *req, uint8_t key[DOOH_RL_KEY_LEN]) {
    memcpy(key, req->peer, DOOH_RL_KEY_LEN);
    if (g_trust_proxy) {
        /* The leftmost entry that parses as an address: the client as the first proxy saw
         * it. Anything else in the header is ignored, never copied anywhere. */
        dooh_str xff = dooh_req_header(req, "X-Forwarded-For");
        const char *p = xff.ptr, *end = xff.ptr + xff.len;
        while (p && p < end) {
            const char *comma = memchr(p, ',', (size_t)(end - p));
            const char *stop = comma ? comma : end;
            if (parse_ip(p, (size_t)(stop - p), key)) break;
            p = comma ? comma + 1 : NULL;
        }
    }
    /* One IPv6 host commonly owns a whole /64: count it as one client. */
    if (!is_v4_mapped(key)) memset(key + 8, 0, 8);
}

/* ---- the table ---- */

/* Rounding of the non-negative quantities below, without libm. */
static int64_t floor_pos(double x) { return x <= 0 ? 0 : (int64_t)x; }
static int64_t ceil_pos(double x) {
    if (x <= 0) return 0;
    int64_t i = (int64_t)x;
    return (double)i < x ? i + 1 : i;
}

static uint64_t mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static uint64_t key_hash(uint32_t scope, const uint8_t *key) {
    uint64_t a, b;
    memcpy(&a, key, 8);
    memcpy(&b, key + 8, 8);
    uint64_t h = mix(a ^ g_seed[0]);
    h = mix(h ^ b ^ g_seed[1]);
    return mix(h ^ scope);
}

/* The entry for (scope, key) in its shard (locked by the caller): found, or a slot taken
 * over for it (*fresh set). */
static rl_entry *lookup(rl_shard *sh, uint64_t h, uint32_t scope, const uint8_t *key,
                        int64_t now_ms, bool *fresh) {
    size_t mask = g_per_shard - 1, start = (size_t)h & mask;
    rl_entry *victim = NULL;
    int victim_rank = 3; /* 0 empty, 1 refilled, 2 least recently used */
    for (size_t i = 0; i < PROBE; i++) {
        rl_entry *e = &sh->slots[(start + i) & mask];
        if (e->scope == scope && memcmp(e->key, key, DOOH_RL_KEY_LEN) == 0) {
            *fresh = false;
            return e;
        }
        int rank = e->scope == 0 ? 0 : e->full_ms <= now_ms ? 1 : 2;
        if (rank < victim_rank || (rank == 2 && victim_rank == 2 && e->t_ms < victim->t_ms)) {
            victim = e;
            victim_rank = rank;
        }
    }
    *fresh = true;
    return victim;
}

bool dooh_rl_take(uint32_t scope, const uint8_t key[DOOH_RL_KEY_LEN], int64_t max,
                  int64_t window_s, int cost, int64_t now_ms, dooh_rl_verdict *v) {
    if (max < 1) max = 1;
    if (window_s < 1) window_s = 1;
    double rate = (double)max / ((double)window_s * 1000.0); /* requests per ms */
    double need = cost > 0 ? cost : 1;
    double tokens = (double)max;
    *v = (dooh_rl_verdict){ .limit = max, .window_s = window_s };

    pthread_once(&g_once, table_init);
    if (g_shards) {
        uint64_t h = key_hash(scope, key);
        rl_shard *sh = &g_shards[h >> 58]; /* the top 6 bits pick one of 64 shards */
        bool fresh;
        pthread_mutex_lock(&sh->lock);
        rl_entry *e = lookup(sh, h, scope, key, now_ms, &fresh);
        if (!fresh) {
            int64_t dt = now_ms - e->t_ms;
            tokens = e->tokens + (dt > 0 ? (double)dt * rate : 0.0);
            if (tokens > (double)max) tokens = (double)max;
        }
        v->allowed = tokens >= need;
        if (v->allowed) tokens -= cost;
        if (!fresh || cost > 0) {
            /* A look (cost 0) at an unknown key stores nothing: a full bucket is no bucket. */
            memcpy(e->key, key, DOOH_RL_KEY_LEN);
            e->scope = scope;
            e->t_ms = now_ms;
            e->tokens = tokens;
            e->full_ms = now_ms + ceil_pos(((double)max - tokens) / rate);
        }
        pthread_mutex_unlock(&sh->lock);
    } else {
        /* Out of memory at first use: fail open rather than refuse everyone. */
        v->allowed = true;
    }
    v->remaining = floor_pos(tokens);
    if (v->remaining < 0) v->remaining = 0;
    v->reset_s = ceil_pos(((double)max - tokens) / rate / 1000.0);
    v->retry_after_s = v->allowed ? 0 : ceil_pos((need - tokens) / rate / 1000.0);
    if (!v->allowed && v->retry_after_s < 1) v->retry_after_s = 1;
    return v->allowed;
}

/* ---- headers ---- */

static dooh_str num(dooh_ctx *ctx, int64_t n) { return dooh_i64_to_str(ctx, n); }

void dooh_rl_headers(dooh_ctx *ctx, dooh_response *res, const dooh_rl_verdict *v) {
    char policy[48];
    int n = snprintf(policy, sizeof policy, "%lld;w=%lld", (long long)v->limit,
                     (long long)v->window_s);
    dooh_res_header(res, "RateLimit-Limit", num(ctx, v->limit));
    dooh_res_header(res, "RateLimit-Remaining", num(ctx, v->remaining));
    dooh_res_header(res, "RateLimit-Reset", num(ctx, v->reset_s));
    dooh_res_header(res, "RateLimit-Policy", dooh_str_copy(ctx, policy, (size_t)n));
    if (!v->allowed) dooh_res_header(res, "Retry-After", num(ctx, v->retry_after_s));
}

void dooh_rl_refuse(dooh_ctx *ctx, dooh_response *res, const dooh_rl_verdict *v) {
    dooh_res_problem(ctx, res, 429, DOOH_LIT("too many requests; retry after the time in Retry-After"));
    dooh_rl_headers(ctx, res, v);
}
