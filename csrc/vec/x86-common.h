/* Operations spelled the same way on SSE2, AVX2 and AVX-512: P is the
 * intrinsic prefix (_mm, _mm256, _mm512), X the element suffix (ps, pd). */
#ifndef FA_VEC_X86_COMMON_H
#define FA_VEC_X86_COMMON_H
#include "../fastact.h"
#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* vD_stream: non-temporal stores (kernels-inl.h's loops for FA_N_STREAM) */
#define FA_HAS_STREAM 1

#define FA_X86_COMMON(D, S, V, P, X)                                                   \
    FA_INLINE V v##D##_set1(S s) { return P##_set1_##X(s); }                       \
    FA_INLINE V v##D##_loadu(const S *p) { return P##_loadu_##X(p); }              \
    FA_INLINE void v##D##_storeu(S *p, V v) { P##_storeu_##X(p, v); }              \
    /* non-temporal, p aligned to the vector */                                   \
    FA_INLINE void v##D##_stream(S *p, V v) { P##_stream_##X(p, v); }              \
    FA_INLINE V v##D##_add(V a, V b) { return P##_add_##X(a, b); }                 \
    FA_INLINE V v##D##_sub(V a, V b) { return P##_sub_##X(a, b); }                 \
    FA_INLINE V v##D##_mul(V a, V b) { return P##_mul_##X(a, b); }                 \
    FA_INLINE V v##D##_div(V a, V b) { return P##_div_##X(a, b); }                 \
    FA_INLINE V v##D##_min(V a, V b) { return P##_min_##X(a, b); }                 \
    FA_INLINE V v##D##_max(V a, V b) { return P##_max_##X(a, b); }                 \
    FA_INLINE V v##D##_and(V a, V b) { return P##_and_##X(a, b); }                 \
    FA_INLINE V v##D##_or(V a, V b) { return P##_or_##X(a, b); }                   \
    FA_INLINE V v##D##_xor(V a, V b) { return P##_xor_##X(a, b); }                 \
    FA_INLINE V v##D##_andnot(V a, V b) { return P##_andnot_##X(a, b); }

/* Masks held as vectors (SSE2, AVX2; AVX-512 has mask registers): W is the
 * vector width in bits, E the element width, FULL the movemask of every lane. */
#define FA_X86_VECTOR_MASKS(D, V, P, X, W, E, FULL)                                    \
    FA_INLINE V m##D##_and(V a, V b) { return P##_and_##X(a, b); }                  \
    FA_INLINE int m##D##_any(V m) { return P##_movemask_##X(m) != 0; }              \
    FA_INLINE int m##D##_all(V m) { return P##_movemask_##X(m) == (FULL); }         \
    FA_INLINE V v##D##_sub_bits(V a, V b) {                                         \
        return P##_castsi##W##_##X(                                                    \
            P##_sub_epi##E(P##_cast##X##_si##W(a), P##_cast##X##_si##W(b)));           \
    }

/* Tails through a zero-padded stack buffer: the same vector code as the body. */
#define FA_BUFFER_TAIL(D, S, V, N)                                                     \
    FA_INLINE V v##D##_load_tail(const S *p, ptrdiff_t n) {                        \
        S buf[N] = {0};                                                                \
        memcpy(buf, p, (size_t)n * sizeof(S));                                         \
        return v##D##_loadu(buf);                                                      \
    }                                                                                  \
    FA_INLINE void v##D##_store_tail(S *p, V v, ptrdiff_t n) {                     \
        S buf[N];                                                                      \
        v##D##_storeu(buf, v);                                                         \
        memcpy(p, buf, (size_t)n * sizeof(S));                                         \
    }
#endif
