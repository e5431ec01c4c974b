/* crypto_util.c — constant-time comparison, wiping and random bytes from the OS. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#if defined(__linux__)
#include <sys/random.h>
#endif

#include "dooh/crypto.h"

bool dooh_ct_eq(const void *a, const void *b, size_t n) {
    /* Accumulate the differences of every byte; the only branch is on n. The volatile
     * reads keep the compiler from turning this into an early-exit memcmp. */
    const volatile uint8_t *x = a, *y = b;
    uint8_t d = 0;
    for (size_t i = 0; i < n; i++) d |= (uint8_t)(x[i] ^ y[i]);
    return d == 0;
}

void dooh_wipe(void *p, size_t n) {
    if (n == 0) return;
#if defined(__GNUC__) || defined(__clang__)
    /* An empty asm that may read the memory keeps the compiler from dropping the memset
     * as a dead store, at memset's speed (Argon2 wipes megabytes). */
    memset(p, 0, n);
    __asm__ __volatile__("" : : "r"(p) : "memory");
#else
    /* Stores through a volatile pointer are observable behaviour, so they stay. */
    volatile uint8_t *v = p;
    for (size_t i = 0; i < n; i++) v[i] = 0;
#endif
}

/* Read exactly n bytes from /dev/urandom; 0 or -1. */
static int from_urandom(uint8_t *out, size_t n) {
    int fd;
    do fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) return -1;
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, out + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            close(fd);
            return -1;
        }
        got += (size_t)r;
    }
    close(fd);
    return 0;
}

int dooh_random_bytes(void *out, size_t n) {
    uint8_t *p = out;
    size_t got = 0;
#if defined(__linux__)
    /* getrandom(2) blocks only until the pool is first initialised and returns at most
     * 32 MiB per call (256 bytes are never cut short), so loop over partial reads. */
    while (got < n) {
        ssize_t r = getrandom(p + got, n - got, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) break; /* ENOSYS on old kernels or seccomp'd sandboxes: try the device */
        got += (size_t)r;
    }
#endif
    if (got < n && from_urandom(p + got, n - got) != 0) {
        dooh_wipe(out, n);
        return DOOH_CRYPTO_ERANDOM;
    }
    return DOOH_CRYPTO_OK;
}
