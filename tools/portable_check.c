/* Accuracy of the portable (scalar) kernels on the machine this is compiled for,
 * without Python: a strided sweep of float32 bit patterns against libm in double.
 * Used to check the build for CPUs other than x86-64 (tools/check_aarch64.sh runs
 * it under qemu); prints the max ulp error of sigmoid and tanh per mode, and
 * exits 1 above the registry's bounds (accurate: 1 ulp, fused gradient 2 ulp). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fastact.h"

static double ulp_err(float y, double ref) {
    double a = fabs(ref);
    int e;
    frexp(a < 0x1p-126 ? 0x1p-126 : a, &e); /* a = m 2^e, m in [0.5, 1) */
    return fabs((double)y - ref) / ldexp(1.0, e - 24);
}

int main(void) {
    enum { N = 1 << 20 };
    static float x[N], y[N], g[N], gx[N];
    int n = 0;
    for (uint64_t b = 0; b < (1ull << 32) && n < N; b += 4099) {
        uint32_t u = (uint32_t)b;
        float f;
        memcpy(&f, &u, 4);
        if (isfinite(f)) x[n++] = f;
    }
    printf("active ISA: %s (best: %s)\n", fa_isa_name(fa_isa_active()), fa_isa_name(fa_isa_best()));
    int bad = 0;
    /* sigmoid and tanh, whose references are below (the family's parameters and
     * references are the Python tests' business) */
    const int acts[] = {FA_ACT_sigmoid, FA_ACT_tanh};
    for (int k = 0; k < 2; ++k)
        for (int mode = 0; mode < FA_MODE_COUNT; ++mode) {
            const int act = acts[k];
            void *fwd[] = {x, y};
            void *fused[] = {x, g, y, gx};
            for (int i = 0; i < n; ++i) g[i] = 1.0f;
            fa_call(FA_ISA_SCALAR, act, FA_OP_FWD, mode, FA_F32, fwd, n);
            double worst = 0, wx = 0;
            for (int i = 0; i < n; ++i) {
                double xd = x[i];
                double ref = act == FA_ACT_sigmoid ? 1.0 / (1.0 + exp(-xd)) : tanh(xd);
                if (mode == FA_MODE_FAST && fabs(ref) < 0x1p-126) continue; /* flushed */
                double e = mode == FA_MODE_FAST ? fabs((double)y[i] - ref) / fabs(ref) : ulp_err(y[i], ref);
                if (e > worst) worst = e, wx = xd;
            }
            fa_call(FA_ISA_SCALAR, act, FA_OP_FUSED, mode, FA_F32, fused, n);
            double gworst = 0;
            for (int i = 0; i < n && mode == FA_MODE_ACCURATE; ++i) {
                double xd = fabs((double)x[i]);
                double e1 = exp(-xd), e2 = exp(-2 * xd);
                double ref = act == FA_ACT_sigmoid ? e1 / ((1 + e1) * (1 + e1)) : 4 * e2 / ((1 + e2) * (1 + e2));
                double e = ulp_err(gx[i], ref);
                if (e > gworst) gworst = e;
            }
            const char *unit = mode == FA_MODE_FAST ? "relative" : "ulp";
            printf("%-8s %-8s forward max %.4g %s at x = %.9g", fa_act_name(act),
                   mode == FA_MODE_FAST ? "fast" : "accurate", worst, unit, wx);
            if (mode == FA_MODE_ACCURATE) printf("; fused gradient max %.4g ulp", gworst);
            printf("\n");
            if (mode == FA_MODE_ACCURATE && (worst > 1.0 || gworst > 2.0)) bad = 1;
            if (mode == FA_MODE_FAST && worst > 1e-6) bad = 1;
        }
    return bad;
}
