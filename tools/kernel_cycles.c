/* Times the kernels of one ISA's table straight from its object file, without
 * Python or NumPy in the way: min of REPS runs over N elements (in cache),
 * printed as ns per element and cycles per vector at the clock given.
 *
 *   gcc -O2 -Icsrc -DTABLE=fa_table_avx2 tools/kernel_cycles.c \
 *       build/temp.<platform>/csrc/targets/avx2.o -o /tmp/kc -lm
 *   /tmp/kc [-d f32|f64] [-n N] [-r REPS] [-g GHZ] [-l LANES] [-x LO:HI] [-p P0:P1] [NAME ...]
 *
 * -x LO:HI draws x uniformly in [LO, HI] instead of 3 * standard normal (for
 * example -x -103:-88 for sigmoid's subnormal results). The first parameter is
 * 0.01 and the second 20 unless -p gives them (celu's alpha = 0.01 puts x/alpha
 * in the exp's far tail: -p 1:20 times torch's default): for timing only. The minimum of many runs
 * is robust to other load on the machine; llvm-mca -mcpu=<cpu> on a kernel's
 * inner loop (objdump -d) gives the same picture without any timing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fastact.h"

#ifndef TABLE
#define TABLE fa_table_avx2
#endif
extern const fa_kernel_table TABLE;

static const char *const names[] = {
#define FA_ACT(name, np, nm, sm) #name,
#include "activations.def"
#undef FA_ACT
};
static const int nparams[] = {
#define FA_ACT(name, np, nm, sm) np,
#include "activations.def"
#undef FA_ACT
};

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv) {
    long n = 65536, reps = 300;
    double ghz = 3.2, lo = 0, hi = 0, p0 = 0.01, p1 = 20.0;
    int f64 = 0, lanes = 0, first = argc;
    for (int i = 1; i < argc; ++i) {
        if (!strcmp(argv[i], "-d") && i + 1 < argc) f64 = !strcmp(argv[++i], "f64");
        else if (!strcmp(argv[i], "-n") && i + 1 < argc) n = atol(argv[++i]);
        else if (!strcmp(argv[i], "-r") && i + 1 < argc) reps = atol(argv[++i]);
        else if (!strcmp(argv[i], "-g") && i + 1 < argc) ghz = atof(argv[++i]);
        else if (!strcmp(argv[i], "-l") && i + 1 < argc) lanes = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-x") && i + 1 < argc) sscanf(argv[++i], "%lf:%lf", &lo, &hi);
        else if (!strcmp(argv[i], "-p") && i + 1 < argc) sscanf(argv[++i], "%lf:%lf", &p0, &p1);
        else { first = i; break; }
    }
    if (!lanes) lanes = f64 ? 4 : 8;
    size_t es = f64 ? sizeof(double) : sizeof(float);
    /* each array in its own 4 KiB-offset slot (no false load/store aliasing) */
    char *mem[4];
    void *arr[4];
    for (int k = 0; k < 4; ++k) {
        mem[k] = malloc((size_t)n * es + 8192);
        arr[k] = mem[k] + ((576 * k - (long)(size_t)mem[k]) & 4095);
    }
    srand(1);
    for (long i = 0; i < n; ++i) {
        double u1 = (rand() + 1.0) / ((double)RAND_MAX + 2), u2 = rand() / (double)RAND_MAX;
        double v = hi > lo ? lo + (hi - lo) * u2 : 3 * sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2);
        if (f64) ((double *)arr[0])[i] = v, ((double *)arr[1])[i] = 1.0;
        else ((float *)arr[0])[i] = (float)v, ((float *)arr[1])[i] = 1.0f;
    }
    float pf[2] = {(float)p0, (float)p1};
    double pd[2] = {p0, p1};
    static const char *const opname[] = {"fwd", "bwd", "fused"}, *const modename[] = {"acc", "fast"};
    for (int a = 0; a < FA_ACT_COUNT; ++a) {
        int want = first >= argc;
        for (int i = first; i < argc; ++i) want |= !strcmp(argv[i], names[a]);
        if (!want) continue;
        for (int op = 0; op < FA_OP_COUNT; ++op)
            for (int m = 0; m < FA_MODE_COUNT; ++m) {
                if (op == FA_OP_BWD && m == FA_MODE_FAST) continue; /* one backward */
                fa_kernel k = TABLE[a][op][m][f64 ? FA_F64 : FA_F32][FA_PARAMS_SCALAR];
                void *args[8];
                int j = 0;
                args[j++] = op == FA_OP_BWD ? arr[1] : arr[0];
                if (op != FA_OP_FWD) args[j++] = op == FA_OP_BWD ? arr[0] : arr[1];
                for (int q = 0; q < nparams[a]; ++q) args[j++] = f64 ? (void *)&pd[q] : (void *)&pf[q];
                args[j++] = arr[2];
                args[j++] = arr[3];
                double best = 1e30;
                for (long r = 0; r < reps; ++r) {
                    double t0 = now();
                    k(args, n);
                    double t = now() - t0;
                    if (t < best) best = t;
                }
                double ns = best / (double)n * 1e9;
                printf("%-12s %-5s %-4s %7.3f ns/element %7.1f cycles per %d lanes\n", names[a],
                       opname[op], modename[m], ns, ns * ghz * lanes, lanes);
            }
    }
    for (int k = 0; k < 4; ++k) free(mem[k]);
    return 0;
}
