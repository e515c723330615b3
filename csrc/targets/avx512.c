/* The avx512 target: the vocabulary of vec/avx512.h under the one kernel body. */
#include "../vec/avx512.h"
#define FA_TARGET avx512
#include "../kernels-inl.h"
