/* The avx2 target: the vocabulary of vec/avx2.h under the one kernel body. */
#include "../vec/avx2.h"
#define FA_TARGET avx2
#include "../kernels-inl.h"
