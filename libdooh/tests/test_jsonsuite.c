/* needs: arena.c buf.c rt.c str.c json.c */
/* Runs dooh_json_parse (max_depth 64) over JSONTestSuite's test_parsing corpus
 * (https://github.com/nst/JSONTestSuite):
 *   y_*  must be accepted,  n_*  must be rejected,  i_*  may go either way but must not crash.
 * Usage: test_jsonsuite [DIR]   (default: ../shared/data/jsontestsuite/test_parsing, i.e.
 * relative to the repository root /work/main). Exits non-zero on any mismatch.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dooh/json.h"

#define DEFAULT_DIR "../shared/data/jsontestsuite/test_parsing"

/* Deliberate divergences: y_ files our reader rejects on purpose, so they are expected to
 * be rejected. Why: RFC 8259 only says names SHOULD be unique, and JSONTestSuite therefore
 * lists duplicate keys as valid; Doo rejects them because a request body with two values
 * for one field is ambiguous (parsers disagree on which wins), which is a classic source of
 * validation bypasses. */
static const char *const expected_reject[] = {
    "y_object_duplicated_key.json",
    "y_object_duplicated_key_and_value.json",
};

static bool is_expected_reject(const char *name) {
    for (size_t i = 0; i < sizeof expected_reject / sizeof *expected_reject; i++)
        if (strcmp(name, expected_reject[i]) == 0) return true;
    return false;
}

/* Whole file into a malloc'd buffer; NULL on error. */
static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) free(buf);
            buf = nb;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

typedef struct tally {
    int files, accepted, rejected, mismatches;
    int i_accepted, i_rejected;
} tally;

/* Parse one corpus file and compare with what its name prefix expects. */
static void run_one(dooh_ctx *ctx, const char *dir, const char *name, tally *t) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    size_t len = 0;
    char *doc = read_file(path, &len);
    if (!doc) {
        fprintf(stderr, "cannot read %s\n", path);
        t->mismatches++;
        return;
    }
    dooh_jv *v = NULL;
    dooh_str err = DOOH_NULL_STR;
    bool ok = dooh_json_parse(ctx, doc, len, 64, &v, &err) == 0;
    t->files++;
    if (ok) t->accepted++;
    else t->rejected++;
    if (name[0] == 'i') {
        if (ok) t->i_accepted++;
        else t->i_rejected++;
    } else {
        bool want = name[0] == 'y' && !is_expected_reject(name);
        if (ok != want) {
            t->mismatches++;
            fprintf(stderr, "MISMATCH %s: %s%.*s\n", name, ok ? "accepted" : "rejected: ",
                    (int)err.len, err.ptr ? err.ptr : "");
        }
    }
    free(doc);
    dooh_ctx_reset(ctx);
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : DEFAULT_DIR;
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "cannot open %s (run from the repository root or pass DIR)\n", dir);
        return 2;
    }
    dooh_ctx ctx;
    dooh_ctx_init(&ctx);
    tally t = { 0 };
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *n = e->d_name;
        if ((n[0] == 'y' || n[0] == 'n' || n[0] == 'i') && n[1] == '_') run_one(&ctx, dir, n, &t);
    }
    closedir(d);
    dooh_ctx_free(&ctx);
    printf("jsonsuite: %d files, %d accepted, %d rejected (i_: %d accepted, %d rejected), "
           "%d deliberate divergences, %d mismatches\n",
           t.files, t.accepted, t.rejected, t.i_accepted, t.i_rejected,
           (int)(sizeof expected_reject / sizeof *expected_reject), t.mismatches);
    /* The closing line every libdooh test prints: one case per corpus file. */
    printf("%d passed, %d failed\n", t.files - t.mismatches, t.mismatches);
    return t.mismatches != 0 || t.files == 0;
}
