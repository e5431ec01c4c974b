/* dooh/arena.h — bump allocation for one request.
 *
 * A request's allocations come from an arena of chained blocks. The first block is kept
 * across resets, so a steady stream of small requests allocates nothing from malloc.
 */
#ifndef DOOH_ARENA_H
#define DOOH_ARENA_H

#include <stddef.h>

typedef struct dooh_arena_block dooh_arena_block;

typedef struct dooh_arena {
    dooh_arena_block *head;   /* block being filled */
    dooh_arena_block *first;  /* kept across resets */
    size_t used;              /* bytes used in head */
} dooh_arena;

/* Initialise with a first block of `initial` bytes (0 picks 16 KiB). Returns 0, or -1 on OOM. */
int dooh_arena_init(dooh_arena *a, size_t initial);
/* Allocate n bytes aligned to 16. NULL only when malloc fails. */
void *dooh_arena_alloc(dooh_arena *a, size_t n);
/* Free every block but the first and rewind. */
void dooh_arena_reset(dooh_arena *a);
void dooh_arena_free(dooh_arena *a);

#endif
