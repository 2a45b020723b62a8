// Thread settings and CPU feature dispatch.
#include "tangent_kernels.h"
#include "internal.h"
#include <omp.h>

static int tk_avx512_enabled = 1;

int tk_max_threads(void) { return omp_get_max_threads(); }

void tk_set_max_threads(int threads) {
    if (threads >= 1) omp_set_num_threads(threads);
}

int tk_cpu_has_avx512(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512dq");
}

void tk_set_avx512_enabled(int enabled) { tk_avx512_enabled = enabled ? 1 : 0; }

int tk_use_avx512(void) { return tk_avx512_enabled && tk_cpu_has_avx512(); }
