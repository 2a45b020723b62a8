// Fused activation pass: φ(h) and φ'(h) in one sweep over memory.
#include "tangent_kernels.h"
#include "internal.h"
#include <math.h>

#define TK_INV_SQRT2 0.70710678118654752440
#define TK_INV_SQRT_2PI 0.39894228040143267794
#define TK_TWO_OVER_SQRT_PI 1.12837916709551257390

void tk_activation_f64(int kind, int64_t count, const double *h, double *phi, double *dphi) {
    switch (kind) {
    case TK_ACTIVATION_RELU:
#pragma omp parallel for simd schedule(static) if (count > TK_PARALLEL_THRESHOLD)
        for (int64_t i = 0; i < count; i++) {
            double x = h[i];
            if (dphi) dphi[i] = x > 0 ? 1.0 : 0.0;
            phi[i] = x > 0 ? x : 0.0;
        }
        break;
    case TK_ACTIVATION_TANH:
#pragma omp parallel for schedule(static) if (count > TK_PARALLEL_THRESHOLD / 8)
        for (int64_t i = 0; i < count; i++) {
            double t = tanh(h[i]);
            if (dphi) dphi[i] = 1.0 - t * t;
            phi[i] = t;
        }
        break;
    case TK_ACTIVATION_ERF:
#pragma omp parallel for schedule(static) if (count > TK_PARALLEL_THRESHOLD / 8)
        for (int64_t i = 0; i < count; i++) {
            double x = h[i];
            if (dphi) dphi[i] = TK_TWO_OVER_SQRT_PI * exp(-x * x);
            phi[i] = erf(x);
        }
        break;
    case TK_ACTIVATION_GELU:
#pragma omp parallel for schedule(static) if (count > TK_PARALLEL_THRESHOLD / 8)
        for (int64_t i = 0; i < count; i++) {
            double x = h[i];
            double cdf = 0.5 * (1.0 + erf(x * TK_INV_SQRT2));
            if (dphi) dphi[i] = cdf + x * TK_INV_SQRT_2PI * exp(-0.5 * x * x);
            phi[i] = x * cdf;
        }
        break;
    default: /* linear */
#pragma omp parallel for simd schedule(static) if (count > TK_PARALLEL_THRESHOLD)
        for (int64_t i = 0; i < count; i++) {
            if (dphi) dphi[i] = 1.0;
            phi[i] = h[i];
        }
        break;
    }
}

void tk_activation_inplace_f64(int kind, int64_t count, double *h, double *dphi) {
    tk_activation_f64(kind, count, h, h, dphi);
}
