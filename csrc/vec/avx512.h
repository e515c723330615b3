/* AVX-512 F/DQ/BW/VL: mask registers, masked tails, vscalef, vrcp14. */
#ifndef FA_VEC_AVX512_H
#define FA_VEC_AVX512_H
#include "x86-common.h"

#define FA_HAS_FMA 1
/* Newton steps after vD_rcp for a full-precision reciprocal (fast mode) */
#define FA_RCP_STEPS_f32 1
#define FA_RCP_STEPS_f64 2
/* ... enough for a correction term in math/div-inl.h (error squared) */
#define FA_RCP_DIV_STEPS_f32 0
#define FA_RCP_DIV_STEPS_f64 1
#define FA_HAS_SCALEF 1
/* the divider is slow (a 16-lane vdivps every 8-10 cycles on recent Intel server
 * cores, the public instruction tables): math/div-inl.h's FN(recip_near) and
 * hardsigmoid's quotient by 6 use the estimate, Newton steps and FMAs instead */
#define FA_DIV_SLOW 1
/* 32-entry float32 table lookups in registers (vpermt2ps) */
#define FA_HAS_LUT32 1
#define FA_HAS_LUT8 0
#define FA_LUT32_GATHER 0
#define FA_N_f32 16
#define FA_N_f64 8
typedef __m512 vf32;
typedef __mmask16 mf32;
typedef __m512d vf64;
typedef __mmask8 mf64;

FA_X86_COMMON(f32, float, __m512, _mm512, ps)
FA_X86_COMMON(f64, double, __m512d, _mm512, pd)

FA_INLINE vf32 vf32_load_tail(const float *p, ptrdiff_t n) {
    return _mm512_maskz_loadu_ps((__mmask16)((1u << n) - 1u), p);
}
FA_INLINE void vf32_store_tail(float *p, vf32 v, ptrdiff_t n) {
    _mm512_mask_storeu_ps(p, (__mmask16)((1u << n) - 1u), v);
}
FA_INLINE vf64 vf64_load_tail(const double *p, ptrdiff_t n) {
    return _mm512_maskz_loadu_pd((__mmask8)((1u << n) - 1u), p);
}
FA_INLINE void vf64_store_tail(double *p, vf64 v, ptrdiff_t n) {
    _mm512_mask_storeu_pd(p, (__mmask8)((1u << n) - 1u), v);
}

FA_INLINE vf32 vf32_fma(vf32 a, vf32 b, vf32 c) { return _mm512_fmadd_ps(a, b, c); }
FA_INLINE vf32 vf32_fnma(vf32 a, vf32 b, vf32 c) { return _mm512_fnmadd_ps(a, b, c); }
FA_INLINE vf64 vf64_fma(vf64 a, vf64 b, vf64 c) { return _mm512_fmadd_pd(a, b, c); }
FA_INLINE vf64 vf64_fnma(vf64 a, vf64 b, vf64 c) { return _mm512_fnmadd_pd(a, b, c); }
FA_INLINE vf32 vf32_fms(vf32 a, vf32 b, vf32 c) { return _mm512_fmsub_ps(a, b, c); }
FA_INLINE vf64 vf64_fms(vf64 a, vf64 b, vf64 c) { return _mm512_fmsub_pd(a, b, c); }
FA_INLINE vf32 vf32_fnms(vf32 a, vf32 b, vf32 c) { return _mm512_fnmsub_ps(a, b, c); }
FA_INLINE vf64 vf64_fnms(vf64 a, vf64 b, vf64 c) { return _mm512_fnmsub_pd(a, b, c); }

/* NaN tests on the bit patterns: quiet even for signalling NaNs */
FA_INLINE mf32 vf32_isnan(vf32 a) {
    __m512i ax = _mm512_andnot_si512(_mm512_set1_epi32(INT32_MIN), _mm512_castps_si512(a));
    return _mm512_cmpgt_epu32_mask(ax, _mm512_set1_epi32(0x7f800000));
}
FA_INLINE mf64 vf64_isnan(vf64 a) {
    __m512i ax = _mm512_andnot_si512(_mm512_set1_epi64(INT64_MIN), _mm512_castpd_si512(a));
    return _mm512_cmpgt_epu64_mask(ax, _mm512_set1_epi64(0x7ff0000000000000));
}
FA_INLINE vf32 vf32_quiet(vf32 a) {
    return _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(a), _mm512_set1_epi32(0x400000)));
}
FA_INLINE vf64 vf64_quiet(vf64 a) {
    return _mm512_castsi512_pd(
        _mm512_or_si512(_mm512_castpd_si512(a), _mm512_set1_epi64(0x8000000000000)));
}
FA_INLINE mf32 vf32_lt(vf32 a, vf32 b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
FA_INLINE mf64 vf64_lt(vf64 a, vf64 b) { return _mm512_cmp_pd_mask(a, b, _CMP_LT_OQ); }
FA_INLINE mf32 vf32_signmask(vf32 a) { return _mm512_movepi32_mask(_mm512_castps_si512(a)); }
FA_INLINE mf64 vf64_signmask(vf64 a) { return _mm512_movepi64_mask(_mm512_castpd_si512(a)); }
FA_INLINE vf32 vf32_select(mf32 m, vf32 t, vf32 f) { return _mm512_mask_blend_ps(m, f, t); }
FA_INLINE vf64 vf64_select(mf64 m, vf64 t, vf64 f) { return _mm512_mask_blend_pd(m, f, t); }
/* min(max(|a|, lo), hi) on the bit patterns: integer ops raise no flag on NaN
 * (a NaN's pattern is above every finite one, so it clamps to hi). */
FA_INLINE vf32 vf32_abs_clamp(vf32 a, vf32 lo, vf32 hi) {
    __m512i ax = _mm512_andnot_si512(_mm512_set1_epi32(INT32_MIN), _mm512_castps_si512(a));
    ax = _mm512_max_epu32(ax, _mm512_castps_si512(lo));
    return _mm512_castsi512_ps(_mm512_min_epu32(ax, _mm512_castps_si512(hi)));
}
FA_INLINE vf64 vf64_abs_clamp(vf64 a, vf64 lo, vf64 hi) {
    __m512i ax = _mm512_andnot_si512(_mm512_set1_epi64(INT64_MIN), _mm512_castpd_si512(a));
    ax = _mm512_max_epu64(ax, _mm512_castpd_si512(lo));
    return _mm512_castsi512_pd(_mm512_min_epu64(ax, _mm512_castpd_si512(hi)));
}
FA_INLINE mf32 mf32_or(mf32 a, mf32 b) { return (mf32)(a | b); }
FA_INLINE mf64 mf64_or(mf64 a, mf64 b) { return (mf64)(a | b); }
/* |a| > c (c >= 0) on the bit patterns: no flag, NaN lanes true */
FA_INLINE mf32 vf32_abs_gt(vf32 a, vf32 c) {
    __m512i ax = _mm512_andnot_si512(_mm512_set1_epi32(INT32_MIN), _mm512_castps_si512(a));
    return _mm512_cmpgt_epi32_mask(ax, _mm512_castps_si512(c));
}
FA_INLINE mf64 vf64_abs_gt(vf64 a, vf64 c) {
    __m512i ax = _mm512_andnot_si512(_mm512_set1_epi64(INT64_MIN), _mm512_castpd_si512(a));
    return _mm512_cmpgt_epi64_mask(ax, _mm512_castpd_si512(c));
}
FA_INLINE mf32 mf32_and(mf32 a, mf32 b) { return (mf32)(a & b); }
FA_INLINE mf64 mf64_and(mf64 a, mf64 b) { return (mf64)(a & b); }
FA_INLINE int mf32_any(mf32 m) { return m != 0; }
FA_INLINE int mf64_any(mf64 m) { return m != 0; }
FA_INLINE int mf32_all(mf32 m) { return m == 0xffff; }
FA_INLINE int mf64_all(mf64 m) { return m == 0xff; }
FA_INLINE vf32 vf32_sub_bits(vf32 a, vf32 b) {
    return _mm512_castsi512_ps(_mm512_sub_epi32(_mm512_castps_si512(a), _mm512_castps_si512(b)));
}
FA_INLINE vf64 vf64_sub_bits(vf64 a, vf64 b) {
    return _mm512_castsi512_pd(_mm512_sub_epi64(_mm512_castpd_si512(a), _mm512_castpd_si512(b)));
}

FA_INLINE vf32 vf32_pow2(vf32 k) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_castps_si512(k), 23));
}
FA_INLINE vf64 vf64_pow2(vf64 k) {
    return _mm512_castsi512_pd(_mm512_slli_epi64(_mm512_castpd_si512(k), 52));
}
FA_INLINE vf32 vf32_rcp(vf32 a) { return _mm512_rcp14_ps(a); }
FA_INLINE vf64 vf64_rcp(vf64 a) { return _mm512_rcp14_pd(a); }
/* tab[(bits(a) >> shift) & 31] per lane; tab 64-byte aligned */
FA_INLINE vf32 vf32_lut32(const float *tab, vf32 a, int shift) {
    __m512i i = _mm512_srli_epi32(_mm512_castps_si512(a), (unsigned)shift);
    return _mm512_permutex2var_ps(_mm512_load_ps(tab), i, _mm512_load_ps(tab + 16));
}
FA_INLINE vf32 vf32_scalef(vf32 p, vf32 n) { return _mm512_scalef_ps(p, n); }
FA_INLINE vf64 vf64_scalef(vf64 p, vf64 n) { return _mm512_scalef_pd(p, n); }
/* lane k <- lane k ^ w (w = 1, 2, 4 or 8 for f32, up to 4 for f64; a constant
 * once inlined), and lane 0 */
FA_INLINE vf32 vf32_xlane(vf32 v, int w) {
    return w == 8   ? _mm512_shuffle_f32x4(v, v, 0x4E)
           : w == 4 ? _mm512_shuffle_f32x4(v, v, 0xB1)
           : w == 2 ? _mm512_permute_ps(v, 0x4E)
                    : _mm512_permute_ps(v, 0xB1);
}
FA_INLINE vf64 vf64_xlane(vf64 v, int w) {
    return w == 4   ? _mm512_shuffle_f64x2(v, v, 0x4E)
           : w == 2 ? _mm512_shuffle_f64x2(v, v, 0xB1)
                    : _mm512_permute_pd(v, 0x55);
}
FA_INLINE float vf32_lane0(vf32 v) { return _mm512_cvtss_f32(v); }
FA_INLINE double vf64_lane0(vf64 v) { return _mm512_cvtsd_f64(v); }
FA_INLINE void vf32_widen(vf32 v, vf64 *lo, vf64 *hi) {
    *lo = _mm512_cvtps_pd(_mm512_castps512_ps256(v));
    *hi = _mm512_cvtps_pd(_mm512_extractf32x8_ps(v, 1));
}
/* vf32_widen's inverse: lo's lanes then hi's, each rounded to float32 */
FA_INLINE vf32 vf32_narrow(vf64 lo, vf64 hi) {
    return _mm512_insertf32x8(_mm512_castps256_ps512(_mm512_cvtpd_ps(lo)), _mm512_cvtpd_ps(hi), 1);
}
/* v = m 2^k, m in [1, 2) returned, k (an integer, as a float64) in *k; v positive and normal */
FA_INLINE vf64 vf64_frexp(vf64 v, vf64 *k) {
    *k = _mm512_getexp_pd(v);
    return _mm512_getmant_pd(v, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_src);
}
#endif
