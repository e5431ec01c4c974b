/* dooh/buf.h — a growable byte buffer (malloc-backed, reused across requests).
 *
 * Response bodies and connection output are written into dooh_buf. A buffer keeps its
 * capacity when cleared, so once warmed up it allocates nothing.
 */
#ifndef DOOH_BUF_H
#define DOOH_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct dooh_buf {
    char *p;
    size_t len;
    size_t cap;
} dooh_buf;

void dooh_buf_init(dooh_buf *b);
void dooh_buf_free(dooh_buf *b);
static inline void dooh_buf_clear(dooh_buf *b) { b->len = 0; }
/* Make room for n more bytes; returns false when malloc fails (the buffer is unchanged). */
bool dooh_buf_reserve(dooh_buf *b, size_t n);
/* Appends abort the process only if memory is exhausted (there is no sane recovery). */
void dooh_buf_put(dooh_buf *b, const void *p, size_t n);
void dooh_buf_putc(dooh_buf *b, char c);
void dooh_buf_put_i64(dooh_buf *b, int64_t v);   /* decimal */
void dooh_buf_put_u64(dooh_buf *b, uint64_t v);
#define dooh_buf_lit(b, s) dooh_buf_put((b), (s), sizeof(s) - 1)

#endif
