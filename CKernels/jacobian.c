// Per-sample Jacobians of dense layers (the generic, materializing NTK path).
#include "tangent_kernels.h"
#include "internal.h"

void tk_dense_jacobian_f64(int64_t n, int64_t fan_out, int64_t fan_in, double alpha, double bias_alpha,
                           const double *delta, int64_t ldd, const double *x, int64_t ldx, double *j, int64_t ldj,
                           int64_t col0) {
#pragma omp parallel for schedule(static) if (n * fan_out * fan_in > TK_PARALLEL_THRESHOLD)
    for (int64_t mu = 0; mu < n; mu++) {
        const double *d = delta + mu * ldd;
        const double *xm = x + mu * ldx;
        double *row = j + mu * ldj + col0;
        for (int64_t i = 0; i < fan_out; i++) {
            double s = alpha * d[i];
            double *out = row + i * fan_in;
#pragma omp simd
            for (int64_t k = 0; k < fan_in; k++) out[k] = s * xm[k];
        }
        if (bias_alpha != 0) {
            double *b = row + fan_out * fan_in;
            for (int64_t i = 0; i < fan_out; i++) b[i] = bias_alpha * d[i];
        }
    }
}
