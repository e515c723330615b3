/* The scalar target: the vocabulary of vec/scalar.h under the one kernel body. */
#include "../vec/scalar.h"
#define FA_TARGET scalar
#include "../kernels-inl.h"
