/* fastact C API: the kernels, the ISA table and the NumPy-shaped loop.
 *
 * Plain C (no Python.h, no NumPy headers). The Cython binding in fastact/_core.pyx
 * builds one numpy.ufunc per (activation, op, mode) from what is declared here.
 *
 * Vocabulary:
 *   activation  one row of activations.def (sigmoid, tanh, ...)
 *   op          FWD   y  = f(x)                          1 input,  1 output
 *               BWD   gx = g * f'(.) from the cached y    2 inputs, 1 output
 *               FUSED (y, gx) from (x, g), reading x once 2 inputs, 2 outputs
 *   mode        ACCURATE (default) or FAST (opt-in approximation)
 *   dtype       F32 or F64 (float16 is widened to F32 by the loop)
 *   isa         the instruction-set level a kernel was compiled for
 */
#ifndef FASTACT_H
#define FASTACT_H

#include <stddef.h>

/* Kernel building blocks must inline into the loop body: a call per vector
 * would reload every constant. */
#if defined(__GNUC__) || defined(__clang__)
#define FA_INLINE static inline __attribute__((always_inline))
#define FA_NOINLINE __attribute__((noinline))
#else
#define FA_INLINE static inline
#define FA_NOINLINE
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
#define FA_ACT(name, nparams, nmodes, streams) FA_ACT_##name,
#include "activations.def"
#undef FA_ACT
    FA_ACT_COUNT
} fa_act;

typedef enum { FA_OP_FWD, FA_OP_BWD, FA_OP_FUSED, FA_OP_COUNT } fa_op;
typedef enum { FA_MODE_ACCURATE, FA_MODE_FAST, FA_MODE_COUNT } fa_mode;
typedef enum { FA_F32, FA_F64, FA_DTYPE_COUNT } fa_dtype;
/* How a kernel reads the activation's parameters: one value each, broadcast to
 * every element (the usual case, e.g. negative_slope=0.01), or one per element. */
typedef enum { FA_PARAMS_SCALAR, FA_PARAMS_ARRAY, FA_PARAMS_COUNT } fa_params;
enum { FA_MAX_PARAMS = 2 };

/* Ordered from least to most capable; a forced level is a cap. */
typedef enum {
    FA_ISA_SCALAR,  /* portable C, any architecture */
    FA_ISA_SSE2,    /* x86-64 baseline */
    FA_ISA_AVX2,    /* AVX2 + FMA + F16C (Haswell, Zen 1) */
    FA_ISA_AVX512,  /* AVX-512 F/DQ/BW/VL + F16C (Skylake-X, Zen 4) */
    FA_ISA_COUNT
} fa_isa;

/* A contiguous kernel. args holds the op's data inputs (see fa_op), then the
 * activation's parameters (FA_PARAMS_SCALAR: a pointer to one value each;
 * FA_PARAMS_ARRAY: n values each), then its outputs, each an array of n
 * elements of the kernel's dtype. Outputs may alias inputs
 * exactly (in-place). Kernels raise no overflow, invalid or divide-by-zero flag
 * for any input (underflow may be raised by correction terms of tiny results;
 * fa_ufunc_loop clears it), and give bit-identical results whatever n, the
 * alignment or the position of an element in the array. */
typedef void (*fa_kernel)(void *const *args, ptrdiff_t n);
/* n | FA_N_STREAM asks the kernel of a pass that streams (activations.def's
 * streams column, fa_act_streams) to write its whole vectors with non-temporal
 * stores (loops.c, for outputs larger than the caches); its outputs must then be
 * 64-byte aligned, and the caller fences (sfence) before the data is read. Only
 * those kernels take the bit: any other would read it as part of n. A bit above
 * any element count of a float array (bit 62 with 64-bit ptrdiff_t). */
#define FA_N_STREAM ((ptrdiff_t)1 << (sizeof(ptrdiff_t) * 8 - 2))

typedef fa_kernel
    fa_kernel_table[FA_ACT_COUNT][FA_OP_COUNT][FA_MODE_COUNT][FA_DTYPE_COUNT][FA_PARAMS_COUNT];

/* Per-target tables (NULL where the target is not compiled in). */
extern const fa_kernel_table *const fa_tables[FA_ISA_COUNT];

/* dispatch.c */
const char *fa_isa_name(fa_isa isa);
int fa_isa_compiled(fa_isa isa);     /* compiled into this build */
int fa_isa_supported(fa_isa isa);    /* compiled in and the CPU runs it */
fa_isa fa_isa_best(void);            /* best supported level */
fa_isa fa_isa_active(void);
int fa_isa_set(fa_isa isa);          /* 0 on success, -1 if not supported */
const char *fa_act_name(fa_act act);
int fa_act_nparams(fa_act act);
int fa_act_nmodes(fa_act act);
int fa_act_streams(fa_act act, fa_op op); /* activations.def's streams: 1 where op streams */
int fa_op_nin(fa_op op);             /* data inputs, parameters not counted */
int fa_op_nout(fa_op op);

/* loops.c: the numpy.ufunc inner loop (PyUFuncGenericFunction-shaped). data
 * points to a fa_loop_data. Contiguous runs go to the active ISA's kernel;
 * strided and float16 data go through small stack blocks. */
typedef struct {
    fa_act act;
    fa_op op;
    fa_mode mode;
    int half;        /* 1: float16 arrays, computed in float32 */
    fa_dtype dtype;  /* kernel dtype */
} fa_loop_data;

void fa_ufunc_loop(char **args, const ptrdiff_t *dims, const ptrdiff_t *steps, void *data);
/* loops.c: contiguous outputs of at least this many bytes are written
 * with non-temporal stores (x86-64; see loops.c). 32 MiB: past the last-level
 * cache of most CPUs a single thread runs on. */
#ifndef FA_STREAM_MIN_BYTES
#define FA_STREAM_MIN_BYTES ((ptrdiff_t)32 << 20)
#endif
/* Sets the threshold where bytes >= 0 (tests, benchmarks) and returns the one in
 * force before; -1 where this build never streams. */
ptrdiff_t fa_stream_min_bytes(ptrdiff_t bytes);
/* loops.c: a double rounded to the nearest float16 (its bit pattern; inf where
 * it rounds beyond the largest), as NumPy casts a parameter for float16 data.
 * *overflow is set to 1 where a finite d rounds to inf, else 0; no flag is raised. */
unsigned short fa_double_to_half(double d, int *overflow);

/* float16 <-> float32 over a block of n values, the float16 side at a byte
 * stride, the float32 side contiguous (loops.c's float16 path). */
typedef struct {
    void (*widen)(const char *src, ptrdiff_t stride, float *dst, ptrdiff_t n);
    void (*narrow)(const float *src, char *dst, ptrdiff_t stride, ptrdiff_t n);
} fa_half_cvt;
/* dispatch.c: the active ISA's vector conversion, or NULL where its target has
 * none (loops.c then converts one value at a time: the same bits). */
const fa_half_cvt *fa_half_cvt_active(void);

/* Direct contiguous call, for tests and benchmarks of one ISA (parameters as
 * FA_PARAMS_SCALAR). Returns -1 if the combination is not available. */
int fa_call(fa_isa isa, fa_act act, fa_op op, fa_mode mode, fa_dtype dt,
            void *const *args, ptrdiff_t n);

/* Row kernels: softmax and log_softmax along rows of n contiguous elements
 * (csrc/rows-inl.h). args: the op's inputs then its outputs (FWD x, y; BWD g,
 * y, gx; FUSED x, g, y, gx), each nrows * n elements, row r at offset r * n.
 * BWD has no mode (both entries are the same kernel). Forward y may be x and
 * backward gx may be g or y (element for element); fused outputs must not
 * overlap the inputs. A row's result depends only on that row and n. */
typedef enum { FA_ROWS_SOFTMAX, FA_ROWS_LOG_SOFTMAX, FA_ROWS_COUNT } fa_rows_fn;
typedef void (*fa_rows_kernel)(void *const *args, ptrdiff_t nrows, ptrdiff_t n);
typedef fa_rows_kernel fa_rows_table[FA_ROWS_COUNT][FA_OP_COUNT][FA_MODE_COUNT][FA_DTYPE_COUNT];
extern const fa_rows_table *const fa_rows_tables[FA_ISA_COUNT];

/* dispatch.c: run a row kernel of the active ISA (isa < 0) or of isa. Returns -1
 * if the combination is not available. */
int fa_rows_call(int isa, fa_rows_fn fn, fa_op op, fa_mode mode, fa_dtype dt, void *const *args,
                 ptrdiff_t nrows, ptrdiff_t n);

#ifdef __cplusplus
}
#endif
#endif
