/* The one kernel body, compiled once per target: a file in targets/ includes
 * its vec/ header, defines FA_TARGET, then includes this file. Everything here
 * is static except the target's table, fa_table_<target>.
 *
 * The math (math/, act/) is written once for both dtypes against the names below:
 *   VT, MT      vector and mask of the current dtype (vf32/mf32 or vf64/mf64)
 *   ST          its scalar type;  V(op) its operation (vf32_add ...);  S(c) a broadcast
 *   C(NAME)     NAME_f32 or NAME_f64 (constants);  FN(name) name_f32 or name_f64
 */
#include "fastact.h"
#include "math/constants.h"

#define FA_CAT_(a, b) a##b
#define FA_CAT(a, b) FA_CAT_(a, b)
#define VT FA_CAT(v, FA_D)
#define MT FA_CAT(m, FA_D)
#define V(op) FA_CAT(FA_CAT(v, FA_D), FA_CAT(_, op))
#define S(c) V(set1)((ST)(c))
#define C(name) FA_CAT(FA_CAT(name, _), FA_D)
#define FN(name) FA_CAT(FA_CAT(name, _), FA_D)
#define NL FA_CAT(FA_N_, FA_D)

/* Drivers: whole vectors, then the tail through the same code with masked or
 * buffered loads and stores, so every element is computed the same way. */
#define FA_DEFINE_FWD(kname, f)                                                           \
    static void FN(kname)(void *const *a, ptrdiff_t n) {                                  \
        const ST *x = (const ST *)a[0];                                                   \
        ST *y = (ST *)a[1];                                                               \
        ptrdiff_t i = 0;                                                                  \
        for (; i + NL <= n; i += NL) V(storeu)(y + i, FN(f)(V(loadu)(x + i)));           \
        if (i < n) V(store_tail)(y + i, FN(f)(V(load_tail)(x + i, n - i)), n - i);       \
    }
#define FA_DEFINE_BWD(kname, f)                                                           \
    static void FN(kname)(void *const *a, ptrdiff_t n) {                                  \
        const ST *g = (const ST *)a[0], *y = (const ST *)a[1];                            \
        ST *gx = (ST *)a[2];                                                              \
        ptrdiff_t i = 0;                                                                  \
        for (; i + NL <= n; i += NL)                                                      \
            V(storeu)(gx + i, FN(f)(V(loadu)(g + i), V(loadu)(y + i)));                   \
        if (i < n)                                                                        \
            V(store_tail)(gx + i,                                                         \
                          FN(f)(V(load_tail)(g + i, n - i), V(load_tail)(y + i, n - i)),  \
                          n - i);                                                         \
    }
#define FA_DEFINE_FUSED(kname, f)                                                         \
    static void FN(kname)(void *const *a, ptrdiff_t n) {                                  \
        const ST *x = (const ST *)a[0], *g = (const ST *)a[1];                            \
        ST *y = (ST *)a[2], *gx = (ST *)a[3];                                             \
        VT vy, vg;                                                                        \
        ptrdiff_t i = 0;                                                                  \
        for (; i + NL <= n; i += NL) {                                                    \
            FN(f)(V(loadu)(x + i), V(loadu)(g + i), &vy, &vg);                            \
            V(storeu)(y + i, vy);                                                         \
            V(storeu)(gx + i, vg);                                                        \
        }                                                                                 \
        if (i < n) {                                                                      \
            FN(f)(V(load_tail)(x + i, n - i), V(load_tail)(g + i, n - i), &vy, &vg);      \
            V(store_tail)(y + i, vy, n - i);                                              \
            V(store_tail)(gx + i, vg, n - i);                                             \
        }                                                                                 \
    }

/* Every activation of activations.def provides, per dtype, the bodies
 * <name>_fwd_acc, _fwd_fast, _bwd, _fused_acc, _fused_fast; this turns them
 * into kernels. */
#define FA_ACT(name)                                \
    FA_DEFINE_FWD(name##_k_fwd_acc, name##_fwd_acc)       \
    FA_DEFINE_FWD(name##_k_fwd_fast, name##_fwd_fast)     \
    FA_DEFINE_BWD(name##_k_bwd, name##_bwd)               \
    FA_DEFINE_FUSED(name##_k_fused_acc, name##_fused_acc) \
    FA_DEFINE_FUSED(name##_k_fused_fast, name##_fused_fast)

#define FA_D f32
#define ST float
#define FA_IS_F64 0
#include "math/exp-inl.h"
#include "math/div-inl.h"
#include "act/sigmoid_tanh-inl.h"
#include "activations.def"
#undef FA_D
#undef ST
#undef FA_IS_F64

#define FA_D f64
#define ST double
#define FA_IS_F64 1
#include "math/exp-inl.h"
#include "math/div-inl.h"
#include "act/sigmoid_tanh-inl.h"
#include "activations.def"
#undef FA_D
#undef ST
#undef FA_IS_F64
#undef FA_ACT

#define FA_PAIR(k) {k##_f32, k##_f64}
#define FA_ACT(name)                                                                       \
    [FA_ACT_##name] = {                                                                    \
        [FA_OP_FWD] = {FA_PAIR(name##_k_fwd_acc), FA_PAIR(name##_k_fwd_fast)},             \
        [FA_OP_BWD] = {FA_PAIR(name##_k_bwd), FA_PAIR(name##_k_bwd)},                      \
        [FA_OP_FUSED] = {FA_PAIR(name##_k_fused_acc), FA_PAIR(name##_k_fused_fast)},       \
    },
const fa_kernel_table FA_CAT(fa_table_, FA_TARGET) = {
#include "activations.def"
};
#undef FA_ACT
#undef FA_PAIR
