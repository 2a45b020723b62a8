// Measured FMA peak: independent FMA chains held in registers, on every kernel thread.
#include "tangent_kernels.h"
#include "internal.h"
#include <omp.h>

typedef double tk_v4d __attribute__((ext_vector_type(4)));
typedef double tk_v8d __attribute__((ext_vector_type(8)));

// 12 chains x 4 lanes: enough independent work to cover FMA latency (4 cycles) on two FMA pipes.
static double tk_chains_avx2(int64_t iters) {
    tk_v4d b = 0.999999999, c = 1e-9;
    tk_v4d a0 = 1.0, a1 = 1.1, a2 = 1.2, a3 = 1.3, a4 = 1.4, a5 = 1.5;
    tk_v4d a6 = 1.6, a7 = 1.7, a8 = 1.8, a9 = 1.9, a10 = 2.0, a11 = 2.1;
    for (int64_t i = 0; i < iters; i++) {
        a0 = __builtin_elementwise_fma(a0, b, c); a1 = __builtin_elementwise_fma(a1, b, c);
        a2 = __builtin_elementwise_fma(a2, b, c); a3 = __builtin_elementwise_fma(a3, b, c);
        a4 = __builtin_elementwise_fma(a4, b, c); a5 = __builtin_elementwise_fma(a5, b, c);
        a6 = __builtin_elementwise_fma(a6, b, c); a7 = __builtin_elementwise_fma(a7, b, c);
        a8 = __builtin_elementwise_fma(a8, b, c); a9 = __builtin_elementwise_fma(a9, b, c);
        a10 = __builtin_elementwise_fma(a10, b, c); a11 = __builtin_elementwise_fma(a11, b, c);
    }
    tk_v4d s = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11;
    return s[0] + s[1] + s[2] + s[3];
}

// 16 chains x 8 lanes for AVX-512.
TK_AVX512 static double tk_chains_avx512(int64_t iters) {
    tk_v8d b = 0.999999999, c = 1e-9;
    tk_v8d a0 = 1.0, a1 = 1.1, a2 = 1.2, a3 = 1.3, a4 = 1.4, a5 = 1.5, a6 = 1.6, a7 = 1.7;
    tk_v8d a8 = 1.8, a9 = 1.9, a10 = 2.0, a11 = 2.1, a12 = 2.2, a13 = 2.3, a14 = 2.4, a15 = 2.5;
    for (int64_t i = 0; i < iters; i++) {
        a0 = __builtin_elementwise_fma(a0, b, c); a1 = __builtin_elementwise_fma(a1, b, c);
        a2 = __builtin_elementwise_fma(a2, b, c); a3 = __builtin_elementwise_fma(a3, b, c);
        a4 = __builtin_elementwise_fma(a4, b, c); a5 = __builtin_elementwise_fma(a5, b, c);
        a6 = __builtin_elementwise_fma(a6, b, c); a7 = __builtin_elementwise_fma(a7, b, c);
        a8 = __builtin_elementwise_fma(a8, b, c); a9 = __builtin_elementwise_fma(a9, b, c);
        a10 = __builtin_elementwise_fma(a10, b, c); a11 = __builtin_elementwise_fma(a11, b, c);
        a12 = __builtin_elementwise_fma(a12, b, c); a13 = __builtin_elementwise_fma(a13, b, c);
        a14 = __builtin_elementwise_fma(a14, b, c); a15 = __builtin_elementwise_fma(a15, b, c);
    }
    tk_v8d s = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11 + a12 + a13 + a14 + a15;
    double r = 0;
    for (int l = 0; l < 8; l++) r += s[l];
    return r;
}

// Runs `iters` iterations on every thread; returns GFLOP/s.
static double tk_peak_run(int64_t iters, int wide) {
    volatile double sink = 0;
    int threads = 1;
    double t0 = omp_get_wtime();
#pragma omp parallel reduction(+ : sink)
    {
#pragma omp single
        threads = omp_get_num_threads();
        sink += wide ? tk_chains_avx512(iters) : tk_chains_avx2(iters);
    }
    double dt = omp_get_wtime() - t0;
    double flops_per_iter = wide ? 16.0 * 8.0 * 2.0 : 12.0 * 4.0 * 2.0;
    (void)sink;
    return (double)threads * (double)iters * flops_per_iter / dt * 1e-9;
}

static double tk_peak_isa(double seconds, int wide) {
    // Calibrate on a short run, then run for the requested time; report the best of three.
    int64_t iters = 1 << 16;
    double rate = tk_peak_run(iters, wide);
    double per_iter_seconds = (wide ? 256.0 : 96.0) / (rate * 1e9 / tk_max_threads());
    int64_t target = (int64_t)(seconds / 3.0 / per_iter_seconds);
    if (target < iters) target = iters;
    double best = 0;
    for (int rep = 0; rep < 3; rep++) {
        double r = tk_peak_run(target, wide);
        if (r > best) best = r;
    }
    return best;
}

double tk_fma_peak_gflops_f64(double seconds) {
    double best = tk_peak_isa(seconds, 0);
    if (tk_use_avx512()) {
        double wide = tk_peak_isa(seconds, 1);
        if (wide > best) best = wide;
    }
    return best;
}
