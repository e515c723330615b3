/* The floor: the leanest AVX-512 float32 sigmoid and tanh loops we know how to
 * write, with none of the care the shipped kernels take (no NaN, clamp,
 * subnormal or accuracy handling: a few ulp, and tanh is poor near 0), to
 * bound from below what any kernel of those functions can take on a machine.
 * tools/floor.py builds this file and times it beside fastact, torch and NumPy
 * in one run. Not part of the package.
 *
 * sigmoid(x): e = exp(-|x|) (n = round(-|x| log2 e), r = -|x| - n ln2 in two
 * steps, e^r by a degree-5 Taylor-like polynomial, times 2^n by vscalefps),
 * d = 1 + e, q ~ 1/d (vrcp14ps and one Newton step), then e q or 1 - e q by
 * the sign of x: 16 vector operations per 16 floats. tanh(x) = sign(x) (1 - e)
 * q with e = exp(-2|x|), q ~ 1/(1 + e): the same count. The polynomial is the
 * Taylor series' coefficients as rounded by Cephes' expf (S. Moshier). */
#include <immintrin.h>
#include <stddef.h>

static inline __m512 floor_exp_neg(__m512 na) { /* e^na for na <= 0 */
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(na, _mm512_set1_ps(1.44269504f)), 8);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), na);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_scalef_ps(p, n);
}

static inline __m512 floor_recip(__m512 d) {
    __m512 q = _mm512_rcp14_ps(d);
    return _mm512_fmadd_ps(q, _mm512_fnmadd_ps(d, q, _mm512_set1_ps(1.0f)), q);
}

/* n a multiple of 16 */
void floor_sigmoid(const float *x, float *y, ptrdiff_t n) {
    const __m512 sgn = _mm512_set1_ps(-0.0f), one = _mm512_set1_ps(1.0f);
    for (ptrdiff_t i = 0; i < n; i += 16) {
        __m512 v = _mm512_loadu_ps(x + i);
        __m512 e = floor_exp_neg(_mm512_or_ps(v, sgn));
        __m512 q = floor_recip(_mm512_add_ps(one, e));
        __mmask16 pos = _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_GT_OQ);
        _mm512_storeu_ps(y + i, _mm512_mask_blend_ps(pos, _mm512_mul_ps(e, q), _mm512_fnmadd_ps(e, q, one)));
    }
}

void floor_tanh(const float *x, float *y, ptrdiff_t n) {
    const __m512 sgn = _mm512_set1_ps(-0.0f), one = _mm512_set1_ps(1.0f);
    for (ptrdiff_t i = 0; i < n; i += 16) {
        __m512 v = _mm512_loadu_ps(x + i);
        __m512 na = _mm512_or_ps(v, sgn);
        __m512 e = floor_exp_neg(_mm512_add_ps(na, na));
        __m512 t = _mm512_mul_ps(_mm512_sub_ps(one, e), floor_recip(_mm512_add_ps(one, e)));
        _mm512_storeu_ps(y + i, _mm512_or_ps(t, _mm512_and_ps(v, sgn)));
    }
}
