// Thread settings, CPU feature dispatch and wall-clock time.
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

double tk_wall_seconds(void) { return omp_get_wtime(); }

#include <malloc.h>

void tk_retain_freed_memory(void) {
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 0x7fffffff);
    mallopt(M_TOP_PAD, 256 << 20);
}

#include <sys/resource.h>

int64_t tk_peak_resident_bytes(void) {
    struct rusage usage;
    if (getrusage(RUSAGE_SELF, &usage) != 0) return -1;
    return (int64_t)usage.ru_maxrss * 1024; /* Linux reports KiB */
}
