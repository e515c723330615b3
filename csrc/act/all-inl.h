/* Every activation's math, for the dtype being compiled (kernels-inl.h includes
 * this once per dtype, then expands activations.def into kernels). New
 * activation families add their file here. */
#include "../math/exp-inl.h"
#include "../math/div-inl.h"
#include "../math/expm1-inl.h"
#include "../math/log1p-inl.h"

/* Helpers every family uses. NaN lanes: the vector vocabulary's comparisons,
 * min and max are only defined on non-NaN data (x86's min/max and C's < raise
 * the invalid flag on NaN), so kernels compute on nan_clean(x) and put the
 * input NaN back with nan_through at the end. */
FA_INLINE VT FN(nan_through)(VT x, VT y) { return V(select)(V(isnan)(x), V(quiet)(x), y); }
FA_INLINE VT FN(nan_clean)(VT x) { return V(select)(V(isnan)(x), S(0), x); }
/* x > 0 for NaN-free x */
FA_INLINE MT FN(positive)(VT x) { return V(lt)(S(0), x); }

#include "sigmoid_tanh-inl.h"
#include "piecewise-inl.h"
#include "softmax-inl.h"
#include "exp_family-inl.h"
#include "gated-inl.h"
