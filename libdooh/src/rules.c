/* rules.c — the value rules of decorated fields (@min @max @email @url @pattern): the one
 * implementation that generated decoders and the CRUD endpoints both call (see dooh/db.h).
 *
 * Messages follow the HTTP contract (http.md §4): "must be at least 8 characters" with
 * code "min" and the extra member "min": 8, and so on. Every failing rule is recorded, so
 * a client sees all of a field's problems in one 422.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dooh/db.h"

/* Without libm (the runtime links none): is v a whole number of modest size? */
static bool is_whole(double v, double limit) {
    return v > -limit && v < limit && v == (double)(int64_t)v;
}

/* A bound as the message shows it: integers without a fraction, others shortest. */
static void fmt_bound(char *out, size_t n, double v) {
    if (is_whole(v, 9e18)) snprintf(out, n, "%lld", (long long)v);
    else {
        /* The shortest of %.15g … %.17g that reads back to v. */
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(out, n, "%.*g", prec, v);
            if (strtod(out, NULL) == v) break;
        }
    }
}

/* The integer to put in the error's extra member, when the bound is one. */
static int64_t bound_extra(double v, const char **key, const char *name) {
    if (is_whole(v, 9e18)) {
        *key = name;
        return (int64_t)v;
    }
    *key = NULL;
    return 0;
}

/* Record a min/max failure: "<verb> at least|most <bound>[ <unit>]". */
static void bound_fail(dooh_ctx *ctx, const char *path, bool is_min, double bound,
                       const char *verb, const char *unit_one, const char *unit_many) {
    char num[40], msg[128];
    const char *key;
    fmt_bound(num, sizeof num, bound);
    const char *unit = unit_one == NULL ? "" : (bound == 1 ? unit_one : unit_many);
    snprintf(msg, sizeof msg, "%s at %s %s%s%s", verb, is_min ? "least" : "most", num,
             unit[0] ? " " : "", unit);
    int64_t extra = bound_extra(bound, &key, is_min ? "min" : "max");
    dooh_verr_add(ctx, path, is_min ? "min" : "max", dooh_str_from_cstr(msg), key, extra);
}

/* Check a count (code points, items) or a number against r's bounds. */
static bool check_bounds(dooh_ctx *ctx, const char *path, double v, const dooh_rules *r,
                         const char *verb, const char *unit_one, const char *unit_many) {
    bool ok = true;
    if ((r->flags & DOOH_RULE_MIN) && v < r->min) {
        bound_fail(ctx, path, true, r->min, verb, unit_one, unit_many);
        ok = false;
    }
    if ((r->flags & DOOH_RULE_MAX) && v > r->max) {
        bound_fail(ctx, path, false, r->max, verb, unit_one, unit_many);
        ok = false;
    }
    return ok;
}

bool dooh_check_str(dooh_ctx *ctx, const char *path, dooh_str v, const dooh_rules *r) {
    if (r == NULL || r->flags == 0) return true;
    bool ok = true;
    if (r->flags & (DOOH_RULE_MIN | DOOH_RULE_MAX))
        ok = check_bounds(ctx, path, (double)dooh_utf8_len(v), r, "must be", "character",
                          "characters");
    if ((r->flags & DOOH_RULE_EMAIL) && !dooh_valid_email(v)) {
        dooh_verr_add(ctx, path, "email", DOOH_LIT("must be a valid e-mail address"), NULL, 0);
        ok = false;
    }
    if ((r->flags & DOOH_RULE_URL) && !dooh_valid_url(v)) {
        dooh_verr_add(ctx, path, "url", DOOH_LIT("must be an absolute http or https URL"), NULL, 0);
        ok = false;
    }
    if ((r->flags & DOOH_RULE_PATTERN) && r->pattern && *r->pattern &&
        !dooh_regex_full_match(ctx, *r->pattern, v)) {
        const char *src = r->pattern_src ? r->pattern_src : "";
        dooh_str parts[2] = { DOOH_LIT("must match the pattern "), dooh_str_from_cstr(src) };
        dooh_verr_add(ctx, path, "pattern", dooh_str_cat(ctx, 2, parts), NULL, 0);
        ok = false;
    }
    return ok;
}

/* v < min, exactly (the bound is a double, v may be beyond 2^53). */
static bool i64_below(int64_t v, double min) {
    const double two63 = 9223372036854775808.0;
    if (min >= two63) return true;
    if (min <= -two63) return false;
    int64_t c = (int64_t)min; /* toward zero; then up to the ceiling */
    if ((double)c < min) c++;
    return v < c;
}

/* v > max, exactly. */
static bool i64_above(int64_t v, double max) {
    const double two63 = 9223372036854775808.0;
    if (max >= two63) return false;
    if (max < -two63) return true;
    int64_t f = (int64_t)max; /* toward zero; then down to the floor */
    if ((double)f > max) f--;
    return v > f;
}

bool dooh_check_i64(dooh_ctx *ctx, const char *path, int64_t v, const dooh_rules *r) {
    if (r == NULL) return true;
    bool ok = true;
    if ((r->flags & DOOH_RULE_MIN) && i64_below(v, r->min)) {
        bound_fail(ctx, path, true, r->min, "must be", NULL, NULL);
        ok = false;
    }
    if ((r->flags & DOOH_RULE_MAX) && i64_above(v, r->max)) {
        bound_fail(ctx, path, false, r->max, "must be", NULL, NULL);
        ok = false;
    }
    return ok;
}

bool dooh_check_f64(dooh_ctx *ctx, const char *path, double v, const dooh_rules *r) {
    if (r == NULL || !(r->flags & (DOOH_RULE_MIN | DOOH_RULE_MAX))) return true;
    if (v != v) { /* NaN */
        dooh_verr_add(ctx, path, "type", DOOH_LIT("must be a number"), NULL, 0);
        return false;
    }
    return check_bounds(ctx, path, v, r, "must be", NULL, NULL);
}

bool dooh_check_len(dooh_ctx *ctx, const char *path, int64_t n, const dooh_rules *r) {
    if (r == NULL || !(r->flags & (DOOH_RULE_MIN | DOOH_RULE_MAX))) return true;
    return check_bounds(ctx, path, (double)n, r, "must have", "item", "items");
}
