/* dooh/validate.h — decorator checks and the validation error list.
 *
 * Generated code validates a decoded struct field by field and records every failure with
 * dooh_verr_add(); the dispatcher-side helper dooh_res_problem() (dooh/http.h) then lists
 * them all in one 422 problem+json body.
 */
#ifndef DOOH_VALIDATE_H
#define DOOH_VALIDATE_H

#include <stdbool.h>

#include "dooh/rt.h"

/* Record one failing field (copied into the arena). extra_key may be NULL. */
void dooh_verr_add(dooh_ctx *ctx, const char *field, const char *code, dooh_str detail,
                   const char *extra_key, int64_t extra_val);

/* @email: exactly one '@', non-empty local part without spaces/control bytes, a domain of
 * at least two non-empty dot-separated labels of letters, digits, '-' (no leading/trailing
 * '-'), or any UTF-8 letters; total length <= 254. */
bool dooh_valid_email(dooh_str s);
/* @url: absolute http:// or https:// URL with a non-empty host, no whitespace or control
 * bytes, optional :port (digits, <= 65535), then optional path/query/fragment. */
bool dooh_valid_url(dooh_str s);
/* Counts code points for @min/@max on Str (same as dooh_str_len). */
int64_t dooh_utf8_len(dooh_str s);
/* True when s is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
bool dooh_utf8_valid(dooh_str s);

/* @pattern: POSIX extended regex, full match. Patterns are compiled once at start-up
 * (dooh_regex_compile returns NULL for an invalid pattern) and matched from any thread. */
typedef struct dooh_regex dooh_regex;
dooh_regex *dooh_regex_compile(const char *pattern);
bool dooh_regex_full_match(dooh_ctx *ctx, const dooh_regex *re, dooh_str s); /* NUL inside s: no match */
/* Release a compiled pattern (programs never need to; tests and tools do). NULL is a no-op. */
void dooh_regex_free(dooh_regex *re);

#endif
