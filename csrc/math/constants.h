/* Constants of the float32 (_f32) and float64 (_f64) math, selected in the
 * templated code by C(NAME). Coefficient sources: tools/fit.py (float32 fits,
 * rerun it to reproduce them) and the Taylor series 1/k! (float64). */
#ifndef FA_MATH_CONSTANTS_H
#define FA_MATH_CONSTANTS_H
#include <math.h> /* INFINITY */

/* k = z*log2(e) + MAGIC rounds n = round(z/ln2) into k's low mantissa bits with
 * the exponent bias already added, so vD_pow2(k) = 2^n (see math/exp-inl.h). */
#define FA_MAGIC_f32 (0x1.8p23f + 127.0f)
#define FA_MAGIC_f64 (0x1.8p52 + 1023.0)
#define FA_LOG2E_f32 0x1.715476p+0f
#define FA_LOG2E_f64 0x1.71547652b82fep+0
/* Cody-Waite ln2 = HI + LO, HI with trailing zero bits so n*HI is exact
 * (|n| < 2^8 for float32, < 2^11 for float64). */
#define FA_LN2_HI_f32 0x1.62e4p-1f
#define FA_LN2_LO_f32 0x1.7f7d1cp-20f
#define FA_LN2_HI_f64 0x1.62e42feep-1
#define FA_LN2_LO_f64 0x1.a39ef35793c76p-33
/* Veltkamp splitter 2^ceil(p/2) + 1 for exact products without FMA. */
#define FA_SPLIT_f32 4097.0f
#define FA_SPLIT_f64 134217729.0

/* e^t = 1 + t + t^2 * P(t) on |t| <= ln2/2 * 1.01. Accurate mode: float32 degree 6
 * (max rel err 4.7e-9 = 0.08 * 2^-24, tools/fit.py), float64 Taylor degree 13
 * (remainder < 4.3e-18 = 0.04 * 2^-53). */
static const float FA_EXP_P_f32[] = {0x1.fffffcp-2f, 0x1.55548ap-3f, 0x1.555916p-5f,
                                     0x1.123fd2p-7f, 0x1.6a1a5ep-10f};
static const double FA_EXP_P_f64[] = {
    1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040, 1.0 / 40320,
    1.0 / 362880, 1.0 / 3628800, 1.0 / 39916800, 1.0 / 479001600, 1.0 / 6227020800.0};
/* Fast mode: float32 degree 5 (1.1e-7 = 1.9 * 2^-24), float64 Taylor degree 10
 * (remainder < 5e-13). */
static const float FA_EXPF_P_f32[] = {0x1.fffde8p-2f, 0x1.5557c8p-3f, 0x1.573334p-5f,
                                      0x1.105e7ep-7f};
static const double FA_EXPF_P_f64[] = {1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720,
                                       1.0 / 5040, 1.0 / 40320, 1.0 / 362880,
                                       1.0 / 3628800};

/* Subnormal results without subnormal arithmetic (math/exp-inl.h,
 * FN(exp_neg_pair_split) and FN(scale_down)): below 2^EXP_NMIN everything is
 * carried scaled up by 2^EXP_LB. SPLIT is the a up to which exp(-a) keeps
 * n >= NMIN (SPLIT / ln2 < -NMIN - 1/2): e^-70 = 2^-101.0, e^-600 = 2^-865.6.
 * Up to there the plain sigmoid costs no more than elsewhere (measured on Zen 3:
 * 21.6 cycles per 8 floats in [-70, -59] and [-8, -1]).
 * LB keeps 2^LB e^-a normal down to the subnormal limit (and 4 times it). */
#define FA_EXP_SPLIT_f32 70.0f
#define FA_EXP_SPLIT_f64 600.0
#define FA_EXP_NMIN_f32 -102.0f
#define FA_EXP_NMIN_f64 -866.0
#define FA_EXP_LB_f32 40.0f
#define FA_EXP_LB_f64 100.0
#define FA_EXP_IB_f32 0x1p-40f   /* 2^-LB */
#define FA_EXP_IB_f64 0x1p-100
#define FA_MINNORM_f32 0x1p-126f /* the smallest normal numbers */
#define FA_MINNORM_f64 0x1p-1022
#endif
