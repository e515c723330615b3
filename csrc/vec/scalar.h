/* Portable C, one lane: the reference path and the build for non-x86 CPUs.
 * Masks are all-ones / all-zero integers so that select stays branch-free. */
#ifndef FA_VEC_SCALAR_H
#define FA_VEC_SCALAR_H
#include "../fastact.h"
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(FP_FAST_FMA) && defined(FP_FAST_FMAF)
#define FA_HAS_FMA 1
#else
#define FA_HAS_FMA 0
#endif
/* Newton steps after vD_rcp for a full-precision reciprocal (fast mode) */
#define FA_RCP_STEPS_f32 0
#define FA_RCP_STEPS_f64 0
/* ... enough for a correction term in math/div-inl.h (error squared) */
#define FA_RCP_DIV_STEPS_f32 0
#define FA_RCP_DIV_STEPS_f64 0
#define FA_HAS_SCALEF 0
#define FA_DIV_SLOW 0
#define FA_HAS_LUT32 1 /* a table lookup is one load */
#define FA_HAS_LUT8 0
#define FA_LUT32_GATHER 0
#define FA_HAS_STREAM 0 /* no non-temporal store: plain ones throughout */
#define FA_N_f32 1
#define FA_N_f64 1
typedef float vf32;
typedef uint32_t mf32;
typedef double vf64;
typedef uint64_t mf64;

#define FA_SCALAR_OPS(D, S, U, FMA, SHIFT)                                              \
    FA_INLINE U D##_bits(S a) { U u; memcpy(&u, &a, sizeof u); return u; }          \
    FA_INLINE S D##_from_bits(U u) { S a; memcpy(&a, &u, sizeof a); return a; }     \
    FA_INLINE S v##D##_set1(S s) { return s; }                                      \
    FA_INLINE S v##D##_loadu(const S *p) { return *p; }                             \
    FA_INLINE void v##D##_storeu(S *p, S v) { *p = v; }                             \
    FA_INLINE S v##D##_load_tail(const S *p, ptrdiff_t n) { (void)n; return *p; }   \
    FA_INLINE void v##D##_store_tail(S *p, S v, ptrdiff_t n) { (void)n; *p = v; }   \
    FA_INLINE S v##D##_add(S a, S b) { return a + b; }                              \
    FA_INLINE S v##D##_sub(S a, S b) { return a - b; }                              \
    FA_INLINE S v##D##_mul(S a, S b) { return a * b; }                              \
    FA_INLINE S v##D##_div(S a, S b) { return a / b; }                              \
    FA_INLINE S v##D##_min(S a, S b) { return a < b ? a : b; }                     \
    FA_INLINE S v##D##_max(S a, S b) { return a > b ? a : b; }                      \
    FA_INLINE S v##D##_fma(S a, S b, S c) { return FA_HAS_FMA ? FMA(a, b, c) : a * b + c; } \
    FA_INLINE S v##D##_fnma(S a, S b, S c) { return FA_HAS_FMA ? FMA(-a, b, c) : c - a * b; } \
    FA_INLINE S v##D##_fms(S a, S b, S c) { return FA_HAS_FMA ? FMA(a, b, -c) : a * b - c; }     \
    FA_INLINE S v##D##_fnms(S a, S b, S c) { return FA_HAS_FMA ? -FMA(a, b, c) : -(a * b) - c; } \
    FA_INLINE S v##D##_abs_clamp(S a, S lo, S hi) { /* on the bit patterns: NaN -> hi */ \
        U ax = D##_bits(a) & ~((U)1 << (SHIFT + (sizeof(U) == 4 ? 8 : 11)));             \
        ax = ax < D##_bits(lo) ? D##_bits(lo) : ax;                                      \
        return D##_from_bits(ax > D##_bits(hi) ? D##_bits(hi) : ax);                     \
    }                                                                                   \
    FA_INLINE S v##D##_and(S a, S b) { return D##_from_bits(D##_bits(a) & D##_bits(b)); } \
    FA_INLINE S v##D##_or(S a, S b) { return D##_from_bits(D##_bits(a) | D##_bits(b)); } \
    FA_INLINE S v##D##_xor(S a, S b) { return D##_from_bits(D##_bits(a) ^ D##_bits(b)); } \
    FA_INLINE S v##D##_andnot(S a, S b) { return D##_from_bits(~D##_bits(a) & D##_bits(b)); } \
    FA_INLINE U v##D##_isnan(S a) { /* on the bit pattern: quiet for signalling NaNs */ \
        U inf = (U)((((U)1 << (sizeof(U) == 4 ? 8 : 11)) - 1) << SHIFT);                 \
        return (U)0 - (U)((D##_bits(a) & ~((U)1 << (SHIFT + (sizeof(U) == 4 ? 8 : 11)))) > inf); \
    }                                                                                   \
    FA_INLINE S v##D##_quiet(S a) { return D##_from_bits(D##_bits(a) | ((U)1 << (SHIFT - 1))); } \
    FA_INLINE U v##D##_lt(S a, S b) { return (U)0 - (U)(a < b); }                   \
    FA_INLINE U v##D##_signmask(S a) { return (U)0 - (D##_bits(a) >> (SHIFT + (sizeof(U) == 4 ? 8 : 11))); } \
    FA_INLINE S v##D##_select(U m, S t, S f) {                                      \
        return D##_from_bits((m & D##_bits(t)) | (~m & D##_bits(f)));                   \
    }                                                                                   \
    FA_INLINE U m##D##_or(U a, U b) { return a | b; }                               \
    FA_INLINE U m##D##_and(U a, U b) { return a & b; }                              \
    FA_INLINE U v##D##_abs_gt(S a, S c) {                                           \
        return (U)0 - (U)((D##_bits(a) & ~((U)1 << (SHIFT + (sizeof(U) == 4 ? 8 : 11)))) > D##_bits(c)); \
    }                                                                                   \
    FA_INLINE int m##D##_any(U m) { return m != 0; }                                \
    FA_INLINE int m##D##_all(U m) { return m == (U)-1; }                            \
    FA_INLINE S v##D##_sub_bits(S a, S b) { return D##_from_bits(D##_bits(a) - D##_bits(b)); } \
    FA_INLINE S v##D##_pow2(S k) { return D##_from_bits(D##_bits(k) << SHIFT); }    \
    FA_INLINE S v##D##_rcp(S a) { return (S)1 / a; }

FA_SCALAR_OPS(f32, float, uint32_t, fmaf, 23)
FA_INLINE float vf32_lut32(const float *tab, float a, int shift) {
    return tab[(f32_bits(a) >> shift) & 31u];
}
FA_SCALAR_OPS(f64, double, uint64_t, fma, 52)
/* one lane: there is nothing to exchange */
FA_INLINE float vf32_xlane(float v, int w) { (void)w; return v; }
FA_INLINE double vf64_xlane(double v, int w) { (void)w; return v; }
FA_INLINE float vf32_lane0(float v) { return v; }
FA_INLINE double vf64_lane0(double v) { return v; }
FA_INLINE void vf32_widen(float v, double *lo, double *hi) { *lo = v, *hi = 0; }
#endif
