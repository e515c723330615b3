/* Times the softmax / log_softmax row kernels of one ISA (csrc/rows-inl.h) straight
 * from its object file: the same N elements (float32, or float64) as rows of several lengths,
 * min of REPS runs, printed as ns per element and per row. What a row costs beyond
 * its elements (the difference between short and long rows) is the per-row chain:
 * the max/min reductions, the compensated totals, log_softmax's log, the passes.
 *
 *   gcc -O2 -Icsrc -DTABLE=fa_rows_table_avx512 tools/rows_cycles.c \
 *       build/temp.<platform>/csrc/targets/avx512.o -o /tmp/rc -lm
 *   taskset -c 1 /tmp/rc [-f] [-b] [-d f64] [-r REPS]
 *   (-f: fast mode; -b: the backward, from the forward's output; -d f64: float64 rows)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fastact.h"

#ifndef TABLE
#define TABLE fa_rows_table_avx512
#endif
extern const fa_rows_table TABLE;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    enum { N = 65536 };
    static const ptrdiff_t lengths[] = {16, 64, 256, 1024};
    fa_mode mode = FA_MODE_ACCURATE;
    int reps = 300, f64 = 0, bwd = 0;
    for (int i = 1; i < argc; ++i) {
        if (!strcmp(argv[i], "-f")) mode = FA_MODE_FAST;
        else if (!strcmp(argv[i], "-b")) bwd = 1;
        else if (!strcmp(argv[i], "-r") && i + 1 < argc) reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-d") && i + 1 < argc) f64 = !strcmp(argv[++i], "f64");
        else {
            fprintf(stderr, "usage: %s [-f] [-b] [-d f32|f64] [-r REPS]\n", argv[0]);
            return 2;
        }
    }
    float *x = aligned_alloc(64, N * sizeof(double)), *y = aligned_alloc(64, N * sizeof(double));
    float *gx = aligned_alloc(64, N * sizeof(double));
    if (!x || !y || !gx) return 1;
    srand(1);
    for (ptrdiff_t i = 0; i < N; ++i) {
        double v = 6.0 * ((double)rand() / (double)RAND_MAX) - 3.0;
        if (f64) ((double *)x)[i] = v;
        else x[i] = (float)v;
    }
    static const char *const names[FA_ROWS_COUNT] = {"softmax", "log_softmax"};
    for (int fn = 0; fn < FA_ROWS_COUNT; ++fn) {
        printf("%-12s", names[fn]);
        for (size_t k = 0; k < sizeof lengths / sizeof *lengths; ++k) {
            const ptrdiff_t n = lengths[k], nrows = N / n;
            void *a[3] = {x, y, gx}; /* forward x -> y; backward g = x, y -> gx */
            const fa_dtype dt = f64 ? FA_F64 : FA_F32;
            TABLE[fn][FA_OP_FWD][mode][dt](a, nrows, n);
            double best = 1e30;
            for (int r = 0; r < reps; ++r) {
                double t = now();
                if (bwd) TABLE[fn][FA_OP_BWD][FA_MODE_ACCURATE][dt](a, nrows, n);
                else TABLE[fn][FA_OP_FWD][mode][dt](a, nrows, n);
                t = now() - t;
                if (t < best) best = t;
            }
            printf("  rows of %4ld: %.3f ns/element %6.1f ns/row", (long)n, best / N * 1e9,
                   best / (double)nrows * 1e9);
        }
        printf("\n");
    }
    free(x);
    free(y);
    free(gx);
    return 0;
}
