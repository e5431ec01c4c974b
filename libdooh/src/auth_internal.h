/* auth_internal.h — the pieces of auth.c that its unit tests reach directly (not API). */
#ifndef DOOH_AUTH_INTERNAL_H
#define DOOH_AUTH_INTERNAL_H

#include <stdbool.h>

/* The password-hash gate (reliability.md §1): at most DOO_MAX_HASHES (default 2 × cores)
 * hashes at once. acquire waits up to DOO_HASH_WAIT_MS (default 1000) for a free slot,
 * sleeping on a condition variable, and returns false when none came (the caller answers
 * 503 + Retry-After). Every successful acquire must be followed by one release. */
bool dooh__auth_hash_acquire(void);
void dooh__auth_hash_release(void);
/* The gate's size as configured by dooh_auth_open. */
int dooh__auth_max_hashes(void);
/* Forget the configuration (tests: open again with other settings). */
void dooh__auth_reset_for_tests(void);

#endif
