/* The numpy.ufunc inner loop shared by every fastact ufunc.
 *
 * Contiguous runs go straight to the active ISA's kernel. Anything else
 * (strided, negative strides, broadcast stride 0, float16) goes through stack
 * blocks of FA_BLOCK elements: gather (widening float16 to float32, 8 values
 * per instruction on targets with F16C), one kernel call per block, scatter
 * (rounding back to float16). Operands already
 * contiguous in the block are used in place. The kernel is the same either
 * way, so results do not depend on the layout.
 *
 * Floating-point flags: the kernels raise no overflow, invalid or divide-by-zero
 * flag for any input. Their low-order correction terms can raise underflow where
 * the result itself is a normal number (e.g. sigmoid(-50)), which under
 * np.errstate(under="raise") would be a spurious error, so the loop clears the
 * underflow flag it set. Results below the normal range are still computed,
 * not flushed; they are just not reported.
 */
#include <fenv.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__) && (defined(__x86_64__) || defined(_M_X64))
#include <emmintrin.h>
#define FA_CAN_STREAM 1
#else
#define FA_CAN_STREAM 0
#endif

#include "fastact.h"

enum { FA_BLOCK = 512, FA_MAX_ARGS = 2 + FA_MAX_PARAMS + 2 };

/* Outputs larger than the caches (x86-64). A plain store to a line that is not in
 * the cache first reads it from memory (read for ownership), so a forward pass over
 * arrays that do not fit moves three arrays' bytes for one read and one write.
 * From fa_stream_min_bytes on, a contiguous run of a pass that streams (the
 * streams column of activations.def: the passes whose arithmetic is cheaper than
 * their memory traffic) is handed to its kernel with FA_N_STREAM (fastact.h): the
 * kernel writes its whole vectors with non-temporal stores, whole lines without
 * reading them. The arithmetic and its results are the same; only where the bytes
 * go changes. A fused pass streams only where its two outputs are equally aligned.
 * Measured on a Zen 4 at 16,777,216 float32, medians of 15 alternations pinned to
 * one core (`taskset -c 1 python bench/streaming.py`), time streamed / plain: relu
 * 0.58-0.71x, softsign and hardswish 0.93x, backward passes 0.63-0.80x, relu and
 * hardswish fused 0.58-0.77x; AVX2 forced alike. Where the arithmetic is the bound
 * (sigmoid, tanh, silu, gelu forward) streaming gained nothing (0.99-1.01x), and
 * sigmoid's and tanh's fused passes took 1.04-1.10x as long: those stay plain.
 * An earlier form (session 13) computed 4 KiB chunks into an L1 buffer and streamed
 * each out: on the Zen 4 it made sigmoid 1.2-1.46x slower, the burst of streamed
 * stores holding up the computation behind it; stored as the kernel goes, they
 * drain while it computes. Below the threshold plain stores keep the output in
 * cache for whatever reads it next. The threshold is conservative: on the Zen 4
 * (32 MiB L3) streamed relu took 1.05x (median) to 1.30x (min) as long at
 * 2,097,152 float32 (16 MiB of data) but 0.64-0.77x at 3,145,728, and backward
 * and fused passes gained from 1,572,864 on (0.59-0.86x); a timed loop that
 * alternates the two leaves each other's cache state, so near the cache's size
 * these figures say little about a pipeline whose next step reads the output. */
static ptrdiff_t stream_min_bytes = FA_STREAM_MIN_BYTES;

ptrdiff_t fa_stream_min_bytes(ptrdiff_t bytes) {
    const ptrdiff_t old = stream_min_bytes;
    if (bytes >= 0) stream_min_bytes = bytes;
    return FA_CAN_STREAM ? old : -1;
}

#if FA_CAN_STREAM
/* A contiguous run of n elements of size es of a pass that streams (its nout
 * outputs are the last arguments): the head up to the outputs' 64-byte boundary
 * with plain stores, the rest streamed. Outputs not aligned to their elements, or
 * not equally aligned (a fused pass), run plain. */
static void run_streamed(fa_kernel k, char **base, int nargs, int nout, const int *fixed,
                         ptrdiff_t n, ptrdiff_t es) {
    const ptrdiff_t r = (ptrdiff_t)((uintptr_t)base[nargs - 1] % 64);
    ptrdiff_t head = r ? (64 - r) / es : 0;
    int ok = r % es == 0;
    for (int j = nargs - nout; j < nargs - 1; ++j) ok &= (uintptr_t)base[j] % 64 == (uintptr_t)r;
    if (!ok) {
        k((void *const *)base, n);
        return;
    }
    if (head > n) head = n;
    if (head) k((void *const *)base, head);
    if (head == n) return;
    void *p[FA_MAX_ARGS];
    for (int j = 0; j < nargs; ++j) p[j] = fixed[j] ? base[j] : base[j] + head * es;
    k((void *const *)p, (n - head) | FA_N_STREAM);
    _mm_sfence(); /* the streamed lines are visible before the caller reads them */
}
#endif

/* IEEE binary16 <-> binary32, round to nearest even; NaN stays NaN (quieted).
 * One value at a time: for parameters, and for blocks on targets without a
 * vector conversion (fa_half_cvt_active). */
static float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu, bits;
    float f;
    if (e == 0x1f)
        bits = sign | 0x7f800000u | (m << 13) | (m ? 0x400000u : 0u); /* NaNs quieted */
    else if (e != 0)
        bits = sign | ((e + 112u) << 23) | (m << 13);
    else {
        f = (float)m * 0x1p-24f; /* exact: subnormal half */
        memcpy(&bits, &f, 4);
        bits |= sign;
    }
    memcpy(&f, &bits, 4);
    return f;
}

/* binary64 -> binary16, rounded once to nearest even, as NumPy casts a Python
 * float parameter for a float16 loop (the plain path, fastact/_core.pyx, does
 * the same). No flag is raised: a finite d that rounds to inf sets *overflow,
 * and the caller reports it or declines. */
unsigned short fa_double_to_half(double d, int *overflow) {
    uint64_t x, ax;
    memcpy(&x, &d, 8);
    const uint16_t sign = (uint16_t)((x >> 48) & 0x8000u);
    ax = x & 0x7fffffffffffffffull;
    *overflow = ax >= 0x40effe0000000000ull && ax < 0x7ff0000000000000ull;
    if (ax > 0x7ff0000000000000ull) return (uint16_t)(sign | 0x7e00u | ((ax >> 42) & 0x3ffu));
    if (ax >= 0x40effe0000000000ull) return (uint16_t)(sign | 0x7c00u); /* >= 65520: inf */
    if (ax >= 0x3f10000000000000ull) {                                   /* >= 2^-14: normal */
        uint64_t r = ax - ((uint64_t)(1023 - 15) << 52);
        r += ((uint64_t)1 << 41) - 1 + ((r >> 42) & 1u);
        return (uint16_t)(sign | (r >> 42));
    }
    /* subnormal (or 0): |d| 2^24 < 2^10 is exact; rounded to an integer by the
     * 2^52 shift (ties to even), which is the subnormal's bit pattern (1024:
     * the smallest normal, whose pattern it also is) */
    double t, a = d < 0 ? -d : d;
    volatile double big = 0x1p52; /* kept in double, never contracted or folded */
    t = (a * 0x1p24 + big) - big;
    return (uint16_t)(sign | (uint16_t)t);
}

static void widen_one_by_one(const char *src, ptrdiff_t stride, float *dst, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; ++i) {
        uint16_t h;
        memcpy(&h, src + i * stride, 2);
        dst[i] = half_to_float(h);
    }
}
/* a float is a double exactly, so rounding it to float16 from the double is
 * the one rounding; a finite value that rounds to inf is reported as NumPy's
 * float16 casts do (fa_double_to_half raises nothing) */
static void narrow_one_by_one(const float *src, char *dst, ptrdiff_t stride, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; ++i) {
        int overflow;
        uint16_t h = fa_double_to_half(src[i], &overflow);
        if (overflow) feraiseexcept(FE_OVERFLOW | FE_INEXACT);
        memcpy(dst + i * stride, &h, 2);
    }
}
static const fa_half_cvt one_by_one = {widen_one_by_one, narrow_one_by_one};

/* n elements of size (4 or 8) from src to dst, each at its byte stride. The
 * size is made a constant in each branch so that every copy is one load and
 * one store (a memcpy of a variable size is a library call per element: 1.5
 * ns/element for a strided float32 input, against np.copyto's 0.36). */
static void strided_copy(char *dst, ptrdiff_t dstep, const char *src, ptrdiff_t sstep,
                         ptrdiff_t n, ptrdiff_t size) {
    if (size == 4)
        for (ptrdiff_t i = 0; i < n; ++i) memcpy(dst + i * dstep, src + i * sstep, 4);
    else
        for (ptrdiff_t i = 0; i < n; ++i) memcpy(dst + i * dstep, src + i * sstep, 8);
}

static void run_loop(char **args, const ptrdiff_t *dims, const ptrdiff_t *steps, void *data) {
    const fa_loop_data *ld = (const fa_loop_data *)data;
    const int nd = fa_op_nin(ld->op), nin = nd + fa_act_nparams(ld->act);
    const int nargs = nin + fa_op_nout(ld->op);
    const ptrdiff_t n = dims[0];
    const ptrdiff_t ksize = ld->dtype == FA_F32 ? 4 : 8;   /* kernel element size */
    const ptrdiff_t asize = ld->half ? 2 : ksize;           /* array element size */
    /* parameters broadcast along this run (stride 0, the usual case) are read
     * once by the kernel; otherwise they are operands like the data */
    int per_element = 0;
    for (int j = nd; j < nin; ++j) per_element |= steps[j] != 0 && n > 1;
    const fa_kernel k = (*fa_tables[fa_isa_active()])[ld->act][ld->op][ld->mode][ld->dtype]
                                                     [per_element ? FA_PARAMS_ARRAY : FA_PARAMS_SCALAR];
    enum { GATHER, DIRECT, FIXED } how[FA_MAX_ARGS];
    char *base[FA_MAX_ARGS];
    float half_param[FA_MAX_PARAMS];
    int all_direct = 1;

    for (int j = 0; j < nargs; ++j) {
        base[j] = args[j];
        if (j >= nd && j < nin && !per_element) {
            how[j] = FIXED;
            if (ld->half) {
                uint16_t h;
                memcpy(&h, args[j], 2);
                half_param[j - nd] = half_to_float(h);
                base[j] = (char *)&half_param[j - nd];
            }
            continue;
        }
        how[j] = !ld->half && steps[j] == asize ? DIRECT : GATHER;
        all_direct &= how[j] == DIRECT;
    }
    if (all_direct) {
#if FA_CAN_STREAM
        if (n * ksize >= stream_min_bytes && fa_act_streams(ld->act, ld->op)) {
            int fixed[FA_MAX_ARGS];
            for (int j = 0; j < nargs; ++j) fixed[j] = how[j] == FIXED;
            run_streamed(k, base, nargs, nargs - nin, fixed, n, ksize);
            return;
        }
#endif
        k((void *const *)base, n);
        return;
    }

    const fa_half_cvt *cvt = ld->half ? fa_half_cvt_active() : NULL;
    if (ld->half && cvt == NULL) cvt = &one_by_one;
    union { float f[FA_BLOCK]; double d[FA_BLOCK]; } buf[FA_MAX_ARGS];
    void *p[FA_MAX_ARGS];
    for (ptrdiff_t off = 0; off < n; off += FA_BLOCK) {
        const ptrdiff_t m = n - off < FA_BLOCK ? n - off : FA_BLOCK;
        for (int j = 0; j < nargs; ++j) {
            char *src = base[j] + off * steps[j];
            if (how[j] != GATHER) {
                p[j] = how[j] == FIXED ? base[j] : src;
                continue;
            }
            p[j] = &buf[j];
            if (j >= nin) continue;
            if (ld->half) {
                cvt->widen(src, steps[j], buf[j].f, m);
            } else {
                strided_copy((char *)&buf[j], ksize, src, steps[j], m, ksize);
            }
        }
        k((void *const *)p, m);
        for (int j = nin; j < nargs; ++j) {
            char *dst = base[j] + off * steps[j];
            if (how[j] != GATHER) continue;
            if (ld->half) {
                cvt->narrow(buf[j].f, dst, steps[j], m);
            } else {
                strided_copy(dst, steps[j], (const char *)&buf[j], ksize, m, ksize);
            }
        }
    }
}

void fa_ufunc_loop(char **args, const ptrdiff_t *dims, const ptrdiff_t *steps, void *data) {
    /* float16: the vector widening (F16C) raises invalid on a signalling NaN
     * it quiets; the conversion is IEEE's, not arithmetic, and NumPy's casts
     * raise nothing there, so that flag is cleared too (the kernels raise none) */
    const int mine = FE_UNDERFLOW | (((const fa_loop_data *)data)->half ? FE_INVALID : 0);
    const int had = fetestexcept(mine);
    run_loop(args, dims, steps, data);
    /* testing is cheap, clearing is not (glibc reloads the x87 environment:
     * a quarter of a 1,000-element plain call when done every time) */
    const int added = fetestexcept(mine) & ~had;
    if (added) feclearexcept(added);
}
