/* CPU detection and the active ISA. The level is chosen once, at the first
 * query: the best level this CPU supports, capped by FASTACT_ISA if set
 * (scalar|sse2|avx2|avx512). fa_isa_set changes it later (tests, benchmarks). */
#include <stdlib.h>
#include <string.h>

#include "fastact.h"

#if defined(FA_HAVE_TARGET_SSE2)
extern const fa_kernel_table fa_table_sse2;
#endif
#if defined(FA_HAVE_TARGET_AVX2)
extern const fa_kernel_table fa_table_avx2;
#endif
#if defined(FA_HAVE_TARGET_AVX512)
extern const fa_kernel_table fa_table_avx512;
#endif
extern const fa_kernel_table fa_table_scalar;

const fa_kernel_table *const fa_tables[FA_ISA_COUNT] = {
    [FA_ISA_SCALAR] = &fa_table_scalar,
#if defined(FA_HAVE_TARGET_SSE2)
    [FA_ISA_SSE2] = &fa_table_sse2,
#endif
#if defined(FA_HAVE_TARGET_AVX2)
    [FA_ISA_AVX2] = &fa_table_avx2,
#endif
#if defined(FA_HAVE_TARGET_AVX512)
    [FA_ISA_AVX512] = &fa_table_avx512,
#endif
};

static const char *const isa_names[FA_ISA_COUNT] = {"scalar", "sse2", "avx2", "avx512"};

const char *fa_isa_name(fa_isa isa) {
    return (unsigned)isa < FA_ISA_COUNT ? isa_names[isa] : "?";
}

int fa_isa_compiled(fa_isa isa) { return (unsigned)isa < FA_ISA_COUNT && fa_tables[isa] != NULL; }

static int cpu_runs(fa_isa isa) {
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    switch (isa) {
    case FA_ISA_SCALAR:
    case FA_ISA_SSE2: return 1;
    /* F16C (float16 conversion) comes with every AVX2 CPU; NumPy's AVX2 level
     * implies it too */
    case FA_ISA_AVX2:
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
               __builtin_cpu_supports("f16c");
    case FA_ISA_AVX512:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
               __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
               __builtin_cpu_supports("f16c");
    default: return 0;
    }
#else
    return isa == FA_ISA_SCALAR;
#endif
}

int fa_isa_supported(fa_isa isa) { return fa_isa_compiled(isa) && cpu_runs(isa); }

fa_isa fa_isa_best(void) {
    for (int i = FA_ISA_COUNT - 1; i > 0; --i)
        if (fa_isa_supported((fa_isa)i)) return (fa_isa)i;
    return FA_ISA_SCALAR;
}

static int active = -1;

static fa_isa initial_isa(void) {
    fa_isa best = fa_isa_best();
    const char *env = getenv("FASTACT_ISA");
    if (env == NULL || *env == '\0') return best;
    for (int i = 0; i < FA_ISA_COUNT; ++i)
        if (strcmp(env, isa_names[i]) == 0) {
            /* a cap: the forced level, or the best below it this CPU runs */
            for (int j = i < (int)best ? i : (int)best; j > 0; --j)
                if (fa_isa_supported((fa_isa)j)) return (fa_isa)j;
            return FA_ISA_SCALAR;
        }
    return best; /* unknown names are reported by the Python layer */
}

fa_isa fa_isa_active(void) {
    if (active < 0) active = (int)initial_isa();
    return (fa_isa)active;
}

int fa_isa_set(fa_isa isa) {
    if (!fa_isa_supported(isa)) return -1;
    active = (int)isa;
    return 0;
}

const char *fa_act_name(fa_act act) {
    static const char *const names[FA_ACT_COUNT] = {
#define FA_ACT(name, nparams, nmodes, streams) #name,
#include "activations.def"
#undef FA_ACT
    };
    return (unsigned)act < FA_ACT_COUNT ? names[act] : "?";
}

int fa_act_nparams(fa_act act) {
    static const int n[FA_ACT_COUNT] = {
#define FA_ACT(name, nparams, nmodes, streams) nparams,
#include "activations.def"
#undef FA_ACT
    };
    return (unsigned)act < FA_ACT_COUNT ? n[act] : 0;
}

int fa_act_nmodes(fa_act act) {
    static const int n[FA_ACT_COUNT] = {
#define FA_ACT(name, nparams, nmodes, streams) nmodes,
#include "activations.def"
#undef FA_ACT
    };
    return (unsigned)act < FA_ACT_COUNT ? n[act] : 0;
}

int fa_act_streams(fa_act act, fa_op op) {
    enum { NONE = 0, BWD = 1 << FA_OP_BWD, ALL = (1 << FA_OP_COUNT) - 1 };
    static const int s[FA_ACT_COUNT] = {
#define FA_ACT(name, nparams, nmodes, streams) streams,
#include "activations.def"
#undef FA_ACT
    };
    return (unsigned)act < FA_ACT_COUNT && (unsigned)op < FA_OP_COUNT && (s[act] >> op & 1);
}

int fa_op_nin(fa_op op) { return op == FA_OP_FWD ? 1 : 2; }
int fa_op_nout(fa_op op) { return op == FA_OP_FUSED ? 2 : 1; }

int fa_call(fa_isa isa, fa_act act, fa_op op, fa_mode mode, fa_dtype dt, void *const *args,
            ptrdiff_t n) {
    if (!fa_isa_supported(isa) || (unsigned)act >= FA_ACT_COUNT || (unsigned)op >= FA_OP_COUNT ||
        (unsigned)mode >= FA_MODE_COUNT || (unsigned)dt >= FA_DTYPE_COUNT || n < 0 ||
        n >= FA_N_STREAM) /* the bit is loops.c's (fastact.h) */
        return -1;
    (*fa_tables[isa])[act][op][mode][dt][FA_PARAMS_SCALAR](args, n);
    return 0;
}

/* ---- Row kernels (softmax, log_softmax): the per-target tables ---- */
#if defined(FA_HAVE_TARGET_SSE2)
extern const fa_rows_table fa_rows_table_sse2;
#endif
#if defined(FA_HAVE_TARGET_AVX2)
extern const fa_rows_table fa_rows_table_avx2;
#endif
#if defined(FA_HAVE_TARGET_AVX512)
extern const fa_rows_table fa_rows_table_avx512;
#endif
extern const fa_rows_table fa_rows_table_scalar;

const fa_rows_table *const fa_rows_tables[FA_ISA_COUNT] = {
    [FA_ISA_SCALAR] = &fa_rows_table_scalar,
#if defined(FA_HAVE_TARGET_SSE2)
    [FA_ISA_SSE2] = &fa_rows_table_sse2,
#endif
#if defined(FA_HAVE_TARGET_AVX2)
    [FA_ISA_AVX2] = &fa_rows_table_avx2,
#endif
#if defined(FA_HAVE_TARGET_AVX512)
    [FA_ISA_AVX512] = &fa_rows_table_avx512,
#endif
};

/* ---- float16 conversion: the targets built with F16C export one (kernels-inl.h) ---- */
#if defined(FA_HAVE_TARGET_SSE2)
extern const fa_half_cvt *const fa_half_cvt_sse2;
#endif
#if defined(FA_HAVE_TARGET_AVX2)
extern const fa_half_cvt *const fa_half_cvt_avx2;
#endif
#if defined(FA_HAVE_TARGET_AVX512)
extern const fa_half_cvt *const fa_half_cvt_avx512;
#endif
extern const fa_half_cvt *const fa_half_cvt_scalar;

const fa_half_cvt *fa_half_cvt_active(void) {
    switch (fa_isa_active()) {
#if defined(FA_HAVE_TARGET_SSE2)
    case FA_ISA_SSE2: return fa_half_cvt_sse2;
#endif
#if defined(FA_HAVE_TARGET_AVX2)
    case FA_ISA_AVX2: return fa_half_cvt_avx2;
#endif
#if defined(FA_HAVE_TARGET_AVX512)
    case FA_ISA_AVX512: return fa_half_cvt_avx512;
#endif
    default: return fa_half_cvt_scalar;
    }
}

int fa_rows_call(int isa, fa_rows_fn fn, fa_op op, fa_mode mode, fa_dtype dt, void *const *args,
                 ptrdiff_t nrows, ptrdiff_t n) {
    fa_isa i = isa < 0 ? fa_isa_active() : (fa_isa)isa;
    if (!fa_isa_supported(i) || (unsigned)fn >= FA_ROWS_COUNT || (unsigned)op >= FA_OP_COUNT ||
        (unsigned)mode >= FA_MODE_COUNT || (unsigned)dt >= FA_DTYPE_COUNT || nrows < 0 || n < 1)
        return -1;
    (*fa_rows_tables[i])[fn][op][mode][dt](args, nrows, n);
    return 0;
}
