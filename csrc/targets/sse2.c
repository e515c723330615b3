/* The sse2 target: the vocabulary of vec/sse2.h under the one kernel body. */
#include "../vec/sse2.h"
#define FA_TARGET sse2
#include "../kernels-inl.h"
