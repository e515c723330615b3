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
 * buffered loads and stores, so every element is computed the same way.
 * With parameters read once, the body runs on two independent vectors per
 * iteration: the kernels are long dependency chains, and two of them side by
 * side (interleaved by the compiler's scheduler, see setup.py) keep the FMA
 * units busier than one (measured on Zen 3 / AVX2: 10-35% fewer cycles for the
 * transcendental kernels). Same operations per element, so the same bits.
 * NI data inputs, then NP parameters (PER 0: one value each, broadcast once
 * before the loop; PER 1: one per element), then the outputs. NP and PER are
 * constants, so the parameter loops unroll and the vectors stay in registers. */
#define FA_PARAMS_ONCE(NI, NP, PER)                                                        \
    VT p[(NP) > 0 ? (NP) : 1];                                                             \
    if (!(PER))                                                                            \
        for (int k = 0; k < (NP); ++k) p[k] = S(*(const ST *)a[(NI) + k]);
#define FA_PARAMS_AT(NI, NP, PER, i, LOAD)                                                 \
    if (PER)                                                                               \
        for (int k = 0; k < (NP); ++k) p[k] = LOAD((const ST *)a[(NI) + k] + (i));
#define FA_TAIL_LOAD(ptr) V(load_tail)(ptr, n - i)
/* The loops over a contiguous run. The passes that stream (activations.def) are
 * compiled twice: with plain stores (FN(kname), the one the table holds) and with
 * non-temporal ones (FN(kname##_nt), not inlined), to which FN(kname) hands a run
 * whose n carries FA_N_STREAM (fastact.h). Two functions rather than a test at
 * each store or two loops in one function: with either of those gcc laid out the
 * plain loop differently, and the accurate sigmoid's fused pass took 8% longer in
 * cache (Zen 4, tools/kernel_cycles.c). */
#define FA_LOOP_FWD(kname, f, NP, PER) FA_LOOP_FWD_(static, kname, f, NP, PER, V(storeu), )
#define FA_LOOP_BWD(kname, f, NP, PER) FA_LOOP_BWD_(static, kname, f, NP, PER, V(storeu), )
#define FA_LOOP_FUSED(kname, f, NP, PER) FA_LOOP_FUSED_(static, kname, f, NP, PER, V(storeu), )
#if FA_HAS_STREAM
#define FA_TO_NT(kname)                                                                    \
    if (n & FA_N_STREAM) {                                                                 \
        FN(kname##_nt)(a, n & ~FA_N_STREAM);                                               \
        return;                                                                            \
    }
#define FA_LOOPS_NT(OP, kname, f, NP, PER)                                                 \
    FA_LOOP_##OP##_(static FA_NOINLINE, kname##_nt, f, NP, PER, V(stream), )               \
    FA_LOOP_##OP##_(static, kname, f, NP, PER, V(storeu), FA_TO_NT(kname))
#else /* no non-temporal store: one loop, plain stores */
#define FA_LOOPS_NT(OP, kname, f, NP, PER)                                                 \
    FA_LOOP_##OP##_(static, kname, f, NP, PER, V(storeu), n &= ~FA_N_STREAM;)
#endif

#define FA_LOOP_FWD_(SPEC, kname, f, NP, PER, STORE, PRE)                                  \
    SPEC void FN(kname)(void *const *a, ptrdiff_t n) {                                     \
        PRE                                                                                \
        const ST *x = (const ST *)a[0];                                                    \
        ST *y = (ST *)a[1 + (NP)];                                                         \
        ptrdiff_t i = 0;                                                                   \
        FA_PARAMS_ONCE(1, NP, PER)                                                         \
        if (!(PER))                                                                        \
            for (; i + 2 * NL <= n; i += 2 * NL) {                                         \
                VT y0 = FN(f)(V(loadu)(x + i), p), y1 = FN(f)(V(loadu)(x + i + NL), p);    \
                STORE(y + i, y0);                                                          \
                STORE(y + i + NL, y1);                                                     \
            }                                                                              \
        for (; i + NL <= n; i += NL) {                                                     \
            FA_PARAMS_AT(1, NP, PER, i, V(loadu))                                          \
            STORE(y + i, FN(f)(V(loadu)(x + i), p));                                       \
        }                                                                                  \
        if (i < n) {                                                                       \
            FA_PARAMS_AT(1, NP, PER, i, FA_TAIL_LOAD)                                      \
            V(store_tail)(y + i, FN(f)(V(load_tail)(x + i, n - i), p), n - i);             \
        }                                                                                  \
    }
#define FA_LOOP_BWD_(SPEC, kname, f, NP, PER, STORE, PRE)                                  \
    SPEC void FN(kname)(void *const *a, ptrdiff_t n) {                                     \
        PRE                                                                                \
        const ST *g = (const ST *)a[0], *z = (const ST *)a[1];                             \
        ST *gx = (ST *)a[2 + (NP)];                                                        \
        ptrdiff_t i = 0;                                                                   \
        FA_PARAMS_ONCE(2, NP, PER)                                                         \
        if (!(PER))                                                                        \
            for (; i + 2 * NL <= n; i += 2 * NL) {                                         \
                VT r0 = FN(f)(V(loadu)(g + i), V(loadu)(z + i), p);                        \
                VT r1 = FN(f)(V(loadu)(g + i + NL), V(loadu)(z + i + NL), p);              \
                STORE(gx + i, r0);                                                         \
                STORE(gx + i + NL, r1);                                                    \
            }                                                                              \
        for (; i + NL <= n; i += NL) {                                                     \
            FA_PARAMS_AT(2, NP, PER, i, V(loadu))                                          \
            STORE(gx + i, FN(f)(V(loadu)(g + i), V(loadu)(z + i), p));                     \
        }                                                                                  \
        if (i < n) {                                                                       \
            FA_PARAMS_AT(2, NP, PER, i, FA_TAIL_LOAD)                                      \
            V(store_tail)(gx + i,                                                          \
                          FN(f)(V(load_tail)(g + i, n - i), V(load_tail)(z + i, n - i), p), \
                          n - i);                                                          \
        }                                                                                  \
    }
#define FA_LOOP_FUSED_(SPEC, kname, f, NP, PER, STORE, PRE)                                \
    SPEC void FN(kname)(void *const *a, ptrdiff_t n) {                                     \
        PRE                                                                                \
        const ST *x = (const ST *)a[0], *g = (const ST *)a[1];                             \
        ST *y = (ST *)a[2 + (NP)], *gx = (ST *)a[3 + (NP)];                                \
        VT vy, vg;                                                                         \
        ptrdiff_t i = 0;                                                                   \
        FA_PARAMS_ONCE(2, NP, PER)                                                         \
        if (!(PER))                                                                        \
            for (; i + 2 * NL <= n; i += 2 * NL) {                                         \
                VT vy1, vg1;                                                               \
                FN(f)(V(loadu)(x + i), V(loadu)(g + i), p, &vy, &vg);                      \
                FN(f)(V(loadu)(x + i + NL), V(loadu)(g + i + NL), p, &vy1, &vg1);          \
                STORE(y + i, vy);                                                          \
                STORE(gx + i, vg);                                                         \
                STORE(y + i + NL, vy1);                                                    \
                STORE(gx + i + NL, vg1);                                                   \
            }                                                                              \
        for (; i + NL <= n; i += NL) {                                                     \
            FA_PARAMS_AT(2, NP, PER, i, V(loadu))                                          \
            FN(f)(V(loadu)(x + i), V(loadu)(g + i), p, &vy, &vg);                          \
            STORE(y + i, vy);                                                              \
            STORE(gx + i, vg);                                                             \
        }                                                                                  \
        if (i < n) {                                                                       \
            FA_PARAMS_AT(2, NP, PER, i, FA_TAIL_LOAD)                                      \
            FN(f)(V(load_tail)(x + i, n - i), V(load_tail)(g + i, n - i), p, &vy, &vg);    \
            V(store_tail)(y + i, vy, n - i);                                               \
            V(store_tail)(gx + i, vg, n - i);                                              \
        }                                                                                  \
    }

/* Guarded kernels. Where a body's plain form would do subnormal arithmetic in
 * some lanes (a microcode assist on many x86 CPUs: about 30 cycles per vector
 * on Zen 3, more than a whole sigmoid), its act file computes those lanes
 * apart, without it (math/exp-inl.h, FN(exp_neg_pair_split)): it names them
 * with a mask FN(f##_is_tail)(x) (false at x = 0, raising no flag), gives a
 * body FN(f##_tail) that is right in those lanes, and declares this by
 *   #define FA_GUARD_<f> FA_GUARDED
 * The driver then walks the data in blocks of FA_GUARD_BLOCK, testing each (in
 * L1 by then) for tail lanes: a block with none runs the plain body, a block of
 * tail lanes only the _tail body, a mixed block FA_MIXED_BODY below, which takes
 * each lane from the body that is right for it. A lane's result so never
 * depends on its neighbours, the inner loops stay branch-free, and the common
 * case pays for one test per vector (about 1.3 cycles per vector on Zen 3,
 * against 20 for the accurate sigmoid). Data inputs and outputs advance with
 * the block, broadcast parameters (PER 0) stay put. */
#define FA_GUARD_BLOCK 512
#define FA_GUARDED ~, 1
#define FA_SECOND_(a, b, ...) b
#define FA_SECOND(...) FA_SECOND_(__VA_ARGS__)
#define FA_IS_GUARDED(f) FA_SECOND(FA_CAT(FA_GUARD_, f), 0, ~)
#define FA_M(op) FA_CAT(MT, _##op)
#define FA_GUARDED_DRIVER(kname, f, NI, NP, PER, NO, XI)                                   \
    static void FN(kname)(void *const *a, ptrdiff_t n) {                                   \
        for (ptrdiff_t i = 0; i < n; i += FA_GUARD_BLOCK) {                                \
            ptrdiff_t m = n - i < FA_GUARD_BLOCK ? n - i : FA_GUARD_BLOCK, j = 0;          \
            void *b[(NI) + (NP) + (NO)];                                                   \
            for (int k = 0; k < (NI) + (NP) + (NO); ++k)                                   \
                b[k] = (k < (NI) || k >= (NI) + (NP) || (PER))                             \
                           ? (void *)((ST *)a[k] + i) : a[k];                              \
            const ST *x = (const ST *)b[XI]; /* the input the tail test reads */           \
            MT any = V(lt)(S(1), S(0)), all = V(lt)(S(0), S(1)); /* none, every lane */    \
            for (; j + NL <= m; j += NL) any = FA_M(or)(any, FN(f##_is_tail)(V(loadu)(x + j))); \
            if (j < m) any = FA_M(or)(any, FN(f##_is_tail)(V(load_tail)(x + j, m - j)));   \
            if (!FA_M(any)(any)) {                                                         \
                FN(kname##_plain)(b, m);                                                   \
                continue;                                                                  \
            }                                                                              \
            /* a partial last vector is mixed: its padding (0) is no tail lane */         \
            for (j = 0; j + NL <= m; j += NL) all = FA_M(and)(all, FN(f##_is_tail)(V(loadu)(x + j))); \
            (j == m && FA_M(all)(all) ? FN(kname##_tail) : FN(kname##_safe))(b, m);         \
        }                                                                                  \
    }
/* the body for mixed blocks, named b. The plain body gets 0 in the tail lanes
 * (its results there are dropped), so it need not stay flag-free on inputs it
 * never sees in a plain block (NaN, inf, huge |x|). */
#define FA_MIXED_BODY_FWD(b, f)                                                            \
    FA_INLINE VT FN(b)(VT x, const VT *p) {                                                \
        MT tail = FN(f##_is_tail)(x);                                                      \
        return V(select)(tail, FN(f##_tail)(x, p), FN(f)(V(select)(tail, S(0), x), p));    \
    }
#define FA_MIXED_BODY_FUSED(b, f)                                                          \
    FA_INLINE void FN(b)(VT x, VT g, const VT *p, VT *y, VT *gx) {                         \
        VT yt, gt;                                                                         \
        MT tail = FN(f##_is_tail)(x);                                                      \
        FN(f)(V(select)(tail, S(0), x), g, p, y, gx);                                      \
        FN(f##_tail)(x, g, p, &yt, &gt);                                                   \
        *y = V(select)(tail, yt, *y);                                                      \
        *gx = V(select)(tail, gt, *gx);                                                    \
    }
#define FA_MIXED_BODY_BWD(b, f)                                                            \
    FA_INLINE VT FN(b)(VT g, VT x, const VT *p) {                                          \
        MT tail = FN(f##_is_tail)(x);                                                      \
        return V(select)(tail, FN(f##_tail)(g, x, p), FN(f)(g, V(select)(tail, S(0), x), p)); \
    }
/* f's three guarded bodies (f, f_tail, f_is_tail) as those of g, where an act
 * file picks between two guarded forms at compile time */
#define FA_GUARDED_ALIAS_FWD(f, g)                                                         \
    FA_INLINE MT FN(f##_is_tail)(VT x) { return FN(g##_is_tail)(x); }                      \
    FA_INLINE VT FN(f)(VT x, const VT *p) { return FN(g)(x, p); }                          \
    FA_INLINE VT FN(f##_tail)(VT x, const VT *p) { return FN(g##_tail)(x, p); }
#define FA_GUARDED_ALIAS_FUSED(f, g)                                                       \
    FA_INLINE MT FN(f##_is_tail)(VT x) { return FN(g##_is_tail)(x); }                      \
    FA_INLINE void FN(f)(VT x, VT g_, const VT *p, VT *y, VT *gx) { FN(g)(x, g_, p, y, gx); } \
    FA_INLINE void FN(f##_tail)(VT x, VT g_, const VT *p, VT *y, VT *gx) {                 \
        FN(g##_tail)(x, g_, p, y, gx);                                                     \
    }
/* OP is FWD, FUSED or BWD; NI and NO its numbers of data inputs and outputs, XI
 * the input that holds x (1 for BWD: g comes first) */
#define FA_GUARDED_REST(OP, NI, NO, XI, kname, f, NP, PER)                                 \
    FA_MIXED_BODY_##OP(kname##_mixed, f)                                                   \
    FA_LOOP_##OP(kname##_plain, f, NP, PER)                                                \
    FA_LOOP_##OP(kname##_safe, kname##_mixed, NP, PER)                                     \
    FA_GUARDED_DRIVER(kname, f, NI, NP, PER, NO, XI)
/* A guarded body whose tail is itself a guarded form g (its per-lane f##_tail being
 * g's mixed body) declares
 *   #define FA_TAIL_GUARD_<f> FA_TAILED(g)
 * and its all-tail blocks then run g's own guarded driver, so a block wholly in
 * g's plain range or wholly in g's tail computes one body, not both. */
#define FA_TAILED(g) ~, 1, g
#define FA_THIRD_(a, b, c, ...) c
#define FA_THIRD(...) FA_THIRD_(__VA_ARGS__)
#define FA_IS_TAIL_GUARDED(f) FA_SECOND(FA_CAT(FA_TAIL_GUARD_, f), 0, ~)
#define FA_TAIL_KERNEL_0(OP, NI, NO, XI, kname, f, NP, PER)                                \
    FA_LOOP_##OP(kname##_tail, f##_tail, NP, PER)
#define FA_TAIL_KERNEL_1(OP, NI, NO, XI, kname, f, NP, PER)                                \
    FA_ONE_GUARD(OP, NI, NO, XI, kname##_tail, FA_THIRD(FA_CAT(FA_TAIL_GUARD_, f), ~, ~), NP, PER)
#define FA_ONE_GUARD(OP, NI, NO, XI, kname, g, NP, PER)                                    \
    FA_TAIL_KERNEL_0(OP, NI, NO, XI, kname, g, NP, PER)                                    \
    FA_GUARDED_REST(OP, NI, NO, XI, kname, g, NP, PER)
#define FA_GUARDED_KERNEL(OP, NI, NO, XI, kname, f, NP, PER)                               \
    FA_CAT(FA_TAIL_KERNEL_, FA_IS_TAIL_GUARDED(f))(OP, NI, NO, XI, kname, f, NP, PER)      \
    FA_GUARDED_REST(OP, NI, NO, XI, kname, f, NP, PER)

/* Specialised kernels. Where one value of a broadcast parameter makes a body
 * much cheaper (softplus's beta = 1, torch's default), its act file gives the
 * test FN(f##_is_special)(p) (p: the broadcast parameters), a body
 * FN(f##_special) that is right when it holds, and declares
 *   #define FA_SPECIAL_<f> FA_SPECIALISED
 * The driver tests the parameters once per call and runs the one loop or the
 * other, so neither inner loop holds a test (a test inside the body, left to
 * the compiler to hoist, slowed the general case by half: measured). Per-element
 * parameters (PER 1) always take the general body. Not combined with guards. */
#define FA_SPECIALISED ~, 1
#define FA_IS_SPECIAL(f) FA_SECOND(FA_CAT(FA_SPECIAL_, f), 0, ~)
#define FA_SPECIAL_KERNEL(OP, NI, kname, f, NP, PER)                                       \
    FA_LOOP_##OP(kname##_any, f, NP, PER)                                                  \
    FA_LOOP_##OP(kname##_sp, f##_special, NP, PER)                                         \
    static void FN(kname)(void *const *a, ptrdiff_t n) {                                   \
        FA_PARAMS_ONCE(NI, NP, PER)                                                        \
        (!(PER) && FN(f##_is_special)(p) ? FN(kname##_sp) : FN(kname##_any))(a, n);        \
    }
#define FA_UNGUARDED_FWD_0 FA_LOOP_FWD
#define FA_UNGUARDED_FWD_1(kname, f, NP, PER) FA_SPECIAL_KERNEL(FWD, 1, kname, f, NP, PER)
#define FA_UNGUARDED_BWD_0 FA_LOOP_BWD
#define FA_UNGUARDED_BWD_1(kname, f, NP, PER) FA_SPECIAL_KERNEL(BWD, 2, kname, f, NP, PER)
#define FA_UNGUARDED_FUSED_0 FA_LOOP_FUSED
#define FA_UNGUARDED_FUSED_1(kname, f, NP, PER) FA_SPECIAL_KERNEL(FUSED, 2, kname, f, NP, PER)

#define FA_DEFINE_FWD_0(kname, f, NP, PER) FA_CAT(FA_UNGUARDED_FWD_, FA_IS_SPECIAL(f))(kname, f, NP, PER)
#define FA_DEFINE_FWD_1(kname, f, NP, PER) FA_GUARDED_KERNEL(FWD, 1, 1, 0, kname, f, NP, PER)
#define FA_DEFINE_FUSED_0(kname, f, NP, PER)                                               \
    FA_CAT(FA_UNGUARDED_FUSED_, FA_IS_SPECIAL(f))(kname, f, NP, PER)
#define FA_DEFINE_FUSED_1(kname, f, NP, PER) FA_GUARDED_KERNEL(FUSED, 2, 2, 0, kname, f, NP, PER)
#define FA_DEFINE_FWD(kname, f, NP, PER) FA_CAT(FA_DEFINE_FWD_, FA_IS_GUARDED(f))(kname, f, NP, PER)
#define FA_DEFINE_FUSED(kname, f, NP, PER)                                                 \
    FA_CAT(FA_DEFINE_FUSED_, FA_IS_GUARDED(f))(kname, f, NP, PER)
#define FA_DEFINE_BWD_0(kname, f, NP, PER) FA_CAT(FA_UNGUARDED_BWD_, FA_IS_SPECIAL(f))(kname, f, NP, PER)
#define FA_DEFINE_BWD_1(kname, f, NP, PER) FA_GUARDED_KERNEL(BWD, 2, 1, 1, kname, f, NP, PER)
#define FA_DEFINE_BWD(kname, f, NP, PER) FA_CAT(FA_DEFINE_BWD_, FA_IS_GUARDED(f))(kname, f, NP, PER)

/* An exact activation (nmodes 1) defines its accurate bodies only; this gives
 * the fast names the table expects (never called: the table reuses the
 * accurate kernels). */
#define FA_NO_FAST_MODE(name)                                                              \
    FA_INLINE VT FN(name##_fwd_fast)(VT x, const VT *p) { return FN(name##_fwd_acc)(x, p); } \
    FA_INLINE void FN(name##_fused_fast)(VT x, VT g, const VT *p, VT *y, VT *gx) {          \
        FN(name##_fused_acc)(x, g, p, y, gx);                                              \
    }

/* Kernels of one activation, for both ways of reading parameters
 * (with no parameters the table uses the SCALAR ones for both). A pass that
 * streams (activations.def) takes FA_DEFINE_NT: a plain body (neither guarded
 * nor specialised: arithmetic that cheap needs neither), compiled both ways. */
#define FA_DEFINE_NT(OP, kname, f, NP, PER)                                                \
    _Static_assert(!FA_IS_GUARDED(f) && !FA_IS_SPECIAL(f), #f ": a streamed pass takes a plain body"); \
    FA_LOOPS_NT(OP, kname, f, NP, PER)
#define FA_DEFINE_NT_FWD_ALL(kname, f, NP, PER) FA_DEFINE_NT(FWD, kname, f, NP, PER)
#define FA_DEFINE_NT_FWD_BWD FA_DEFINE_FWD
#define FA_DEFINE_NT_FWD_NONE FA_DEFINE_FWD
#define FA_DEFINE_NT_BWD_ALL(kname, f, NP, PER) FA_DEFINE_NT(BWD, kname, f, NP, PER)
#define FA_DEFINE_NT_BWD_BWD(kname, f, NP, PER) FA_DEFINE_NT(BWD, kname, f, NP, PER)
#define FA_DEFINE_NT_BWD_NONE FA_DEFINE_BWD
#define FA_DEFINE_NT_FUSED_ALL(kname, f, NP, PER) FA_DEFINE_NT(FUSED, kname, f, NP, PER)
#define FA_DEFINE_NT_FUSED_BWD FA_DEFINE_FUSED
#define FA_DEFINE_NT_FUSED_NONE FA_DEFINE_FUSED
#define FA_KERNELS_EW_(name, NP, PER, s, SM)                                              \
    FA_DEFINE_NT_FWD_##SM(name##_k_fwd_acc##s, name##_fwd_acc, NP, PER)                    \
    FA_DEFINE_NT_FWD_##SM(name##_k_fwd_fast##s, name##_fwd_fast, NP, PER)                  \
    FA_DEFINE_NT_BWD_##SM(name##_k_bwd##s, name##_bwd, NP, PER)                            \
    FA_DEFINE_NT_FUSED_##SM(name##_k_fused_acc##s, name##_fused_acc, NP, PER)              \
    FA_DEFINE_NT_FUSED_##SM(name##_k_fused_fast##s, name##_fused_fast, NP, PER)
#define FA_ACT(name, NP, NM, SM) FA_KERNELS_EW_(name, NP, 0, _ps, SM) FA_KERNELS_EW_(name, NP, 1, _pa, SM)

#define FA_D f32
#define ST float
#define FA_IS_F64 0
#include "act/all-inl.h"
#include "activations.def"
#include "rows-inl.h"
#undef FA_D
#undef ST
#undef FA_IS_F64

#define FA_D f64
#define ST double
#define FA_IS_F64 1
#include "act/all-inl.h"
#include "activations.def"
#include "rows-inl.h"
#undef FA_D
#undef ST
#undef FA_IS_F64
#undef FA_ACT

/* The table. Exact activations (NM 1) serve the fast mode with the accurate
 * kernels; activations without parameters serve FA_PARAMS_ARRAY with the
 * SCALAR kernels (the same code). */
#define FA_K(name, opm, d, NP, pa) ((pa) && (NP) ? name##_k_##opm##_pa_##d : name##_k_##opm##_ps_##d)
#define FA_KM(name, op, d, NP, NM, pa) \
    ((NM) > 1 ? FA_K(name, op##_fast, d, NP, pa) : FA_K(name, op##_acc, d, NP, pa))
#define FA_BYD(name, opm, NP)                                                              \
    {{FA_K(name, opm, f32, NP, 0), FA_K(name, opm, f32, NP, 1)},                            \
     {FA_K(name, opm, f64, NP, 0), FA_K(name, opm, f64, NP, 1)}}
#define FA_BYD_FAST(name, op, NP, NM)                                                      \
    {{FA_KM(name, op, f32, NP, NM, 0), FA_KM(name, op, f32, NP, NM, 1)},                    \
     {FA_KM(name, op, f64, NP, NM, 0), FA_KM(name, op, f64, NP, NM, 1)}}
#define FA_ACT(name, NP, NM, SM)                                                           \
    [FA_ACT_##name] = {                                                                    \
        [FA_OP_FWD] = {FA_BYD(name, fwd_acc, NP), FA_BYD_FAST(name, fwd, NP, NM)},          \
        [FA_OP_BWD] = {FA_BYD(name, bwd, NP), FA_BYD(name, bwd, NP)},                       \
        [FA_OP_FUSED] = {FA_BYD(name, fused_acc, NP), FA_BYD_FAST(name, fused, NP, NM)},    \
    },
const fa_kernel_table FA_CAT(fa_table_, FA_TARGET) = {
#include "activations.def"
};
#undef FA_ACT

/* ---- The row kernels' table: softmax and log_softmax over contiguous rows
 * (rows-inl.h, compiled per dtype above, after the element-wise math they use). ---- */

#define FA_ROWS_BYD(name, k) {name##_rk_##k##_f32, name##_rk_##k##_f64}
#define FA_ROWS_ENTRY(name)                                                                \
    {                                                                                      \
        [FA_OP_FWD] = {FA_ROWS_BYD(name, fwd_acc), FA_ROWS_BYD(name, fwd_fast)},           \
        [FA_OP_BWD] = {FA_ROWS_BYD(name, bwd), FA_ROWS_BYD(name, bwd)},                    \
        [FA_OP_FUSED] = {FA_ROWS_BYD(name, fused_acc), FA_ROWS_BYD(name, fused_fast)},     \
    }
const fa_rows_table FA_CAT(fa_rows_table_, FA_TARGET) = {
    [FA_ROWS_SOFTMAX] = FA_ROWS_ENTRY(softmax),
    [FA_ROWS_LOG_SOFTMAX] = FA_ROWS_ENTRY(log_softmax),
};
#undef FA_ROWS_ENTRY
#undef FA_ROWS_BYD

/* ---- float16 <-> float32 for the ufunc loop's float16 blocks (loops.c) ----
 * On targets built with F16C, 8 values per instruction. Both directions are
 * IEEE's conversions (exact widening; narrowing rounds to nearest even, and a
 * finite value that rounds to inf raises overflow), so the bits are those of
 * loops.c's one-at-a-time conversion. A signalling NaN is quieted, payload
 * kept, as there; vcvtph2ps raises invalid on it, which fa_ufunc_loop clears
 * (quieting it beforehand in the integer domain cost 15% of float16 relu). The
 * float16 side has a byte stride, the float32 side is a contiguous block;
 * partial groups go through a small zero-padded buffer (zeros raise nothing). */
#ifdef __F16C__
/* Contiguous float16 (stride 2) takes a tight loop of whole groups: with the
 * general loop's per-group tests and buffer, the two conversions cost more than
 * float32 relu itself (0.44 ns/element for float16 relu at 65,536, Zen 3). */
static void half_widen(const char *src, ptrdiff_t stride, float *dst, ptrdiff_t n) {
    ptrdiff_t i = 0;
    if (stride == 2)
        for (; i + 8 <= n; i += 8)
            _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(src + 2 * i))));
    for (; i < n; i += 8) {
        const ptrdiff_t m = n - i < 8 ? n - i : 8;
        uint16_t t[8] = {0};
        float o[8];
        for (ptrdiff_t k = 0; k < m; ++k) memcpy(&t[k], src + (i + k) * stride, 2);
        _mm256_storeu_ps(o, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)t)));
        memcpy(dst + i, o, (size_t)m * sizeof(float));
    }
}
static void half_narrow(const float *src, char *dst, ptrdiff_t stride, ptrdiff_t n) {
    ptrdiff_t i = 0;
    if (stride == 2)
        for (; i + 8 <= n; i += 8)
            _mm_storeu_si128((__m128i *)(dst + 2 * i),
                             _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; i += 8) {
        const ptrdiff_t m = n - i < 8 ? n - i : 8;
        float o[8] = {0};
        uint16_t t[8];
        memcpy(o, src + i, (size_t)m * sizeof(float));
        _mm_storeu_si128((__m128i *)t, _mm256_cvtps_ph(_mm256_loadu_ps(o), _MM_FROUND_TO_NEAREST_INT));
        for (ptrdiff_t k = 0; k < m; ++k) memcpy(dst + (i + k) * stride, &t[k], 2);
    }
}
static const fa_half_cvt half_cvt = {half_widen, half_narrow};
const fa_half_cvt *const FA_CAT(fa_half_cvt_, FA_TARGET) = &half_cvt;
#else
const fa_half_cvt *const FA_CAT(fa_half_cvt_, FA_TARGET) = NULL;
#endif
