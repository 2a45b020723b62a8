// Internal helpers shared by the kernel files. Not part of the public API.
#ifndef TANGENT_KERNELS_INTERNAL_H
#define TANGENT_KERNELS_INTERNAL_H

#include <stdint.h>

/// Work smaller than this many elements runs on one thread (thread start-up would dominate).
#define TK_PARALLEL_THRESHOLD (1 << 15)
/// Reductions add fixed chunks of this many elements, then the chunk sums in order: thread-count independent.
#define TK_REDUCTION_CHUNK 8192

#define TK_AVX512 __attribute__((target("avx512f,avx512vl,avx512dq,fma")))

static inline int64_t tk_min64(int64_t a, int64_t b) { return a < b ? a : b; }

#endif
