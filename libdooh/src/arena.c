/* arena.c — chained-block bump allocator (see dooh/arena.h).
 *
 * Layout: every block is one malloc holding a small header followed by its bytes. All
 * blocks hang off `first` in one list (newest right after `first`), so reset only has to
 * walk `first->next`. `head` is the block small allocations are bumped from; `used` is the
 * offset of its first free byte. A zero-initialised dooh_arena is also valid: the first
 * block is then created on the first allocation.
 */
#include "dooh/arena.h"

#include <stdint.h>
#include <stdlib.h>

#define ARENA_ALIGN 16
#define ARENA_DEFAULT_FIRST (16u * 1024u)
/* New normal blocks double in size up to this cap; bigger requests get their own block. */
#define ARENA_MAX_BLOCK (1024u * 1024u)

struct dooh_arena_block {
    dooh_arena_block *next;
    size_t cap; /* usable bytes in data[], not counting alignment slack */
    /* Why the union: it pads the header to 16 bytes on every ABI so data[] starts at a
     * 16-byte offset; alloc still aligns the final address in case malloc gives less. */
    union { long double ld; void *p; long long ll; } align_;
};

static unsigned char *block_data(dooh_arena_block *b) {
    return (unsigned char *)(b + 1);
}

/* The 16-aligned address at or after data + off. */
static uintptr_t block_aligned(dooh_arena_block *b, size_t off) {
    uintptr_t p = (uintptr_t)(block_data(b) + off);
    return (p + (ARENA_ALIGN - 1)) & ~(uintptr_t)(ARENA_ALIGN - 1);
}

/* malloc a block that can serve `cap` bytes from any starting alignment. */
static dooh_arena_block *block_new(size_t cap) {
    if (cap > SIZE_MAX - sizeof(dooh_arena_block) - ARENA_ALIGN) return NULL;
    dooh_arena_block *b = malloc(sizeof(dooh_arena_block) + cap + ARENA_ALIGN);
    if (!b) return NULL;
    b->next = NULL;
    b->cap = cap + ARENA_ALIGN;
    return b;
}

int dooh_arena_init(dooh_arena *a, size_t initial) {
    a->first = block_new(initial ? initial : ARENA_DEFAULT_FIRST);
    a->head = a->first;
    a->used = 0;
    return a->first ? 0 : -1;
}

/* Try to carve n bytes from the head block; NULL when it does not fit. */
static void *bump(dooh_arena *a, size_t n) {
    dooh_arena_block *h = a->head;
    if (!h) return NULL;
    uintptr_t p = block_aligned(h, a->used);
    size_t off = (size_t)(p - (uintptr_t)block_data(h));
    if (off > h->cap || h->cap - off < n) return NULL;
    a->used = off + n;
    return (void *)p;
}

/* Link b into the list just after `first` (or make it first if there is none). */
static void link_block(dooh_arena *a, dooh_arena_block *b) {
    if (!a->first) {
        a->first = b;
        return;
    }
    b->next = a->first->next;
    a->first->next = b;
}

/* Size of the next normal block: double the current head, capped, at least `need`. */
static size_t next_block_size(const dooh_arena *a, size_t need) {
    size_t sz = a->head ? a->head->cap * 2 : ARENA_DEFAULT_FIRST;
    if (sz > ARENA_MAX_BLOCK) sz = ARENA_MAX_BLOCK;
    return sz < need ? need : sz;
}

void *dooh_arena_alloc(dooh_arena *a, size_t n) {
    void *p = bump(a, n);
    if (p) return p;
    size_t normal = next_block_size(a, 0);
    /* Why: a large request gets an exact-size block of its own and leaves `head` alone,
     * so the free tail of the current block is not wasted on a one-off big allocation. */
    int large = n > normal / 4;
    dooh_arena_block *b = block_new(large ? n : next_block_size(a, n));
    if (!b) return NULL;
    link_block(a, b);
    if (large && a->head) {
        uintptr_t q = block_aligned(b, 0);
        return (void *)q;
    }
    a->head = b;
    a->used = 0;
    return bump(a, n);
}

void dooh_arena_reset(dooh_arena *a) {
    if (!a->first) return;
    dooh_arena_block *b = a->first->next;
    while (b) {
        dooh_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->first->next = NULL;
    a->head = a->first;
    a->used = 0;
}

void dooh_arena_free(dooh_arena *a) {
    dooh_arena_reset(a);
    free(a->first);
    a->first = NULL;
    a->head = NULL;
    a->used = 0;
}
