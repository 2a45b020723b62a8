// Fused activation pass: φ(h) and φ'(h) in one sweep over memory.
#include "tangent_kernels.h"
#include "internal.h"
#include <math.h>

#define TK_INV_SQRT2 0.70710678118654752440
#define TK_INV_SQRT_2PI 0.39894228040143267794
#define TK_TWO_OVER_SQRT_PI 1.12837916709551257390

#define TK_ACTIVATION(REAL, SUFFIX, TANH, ERF, EXP)                                                          \
    void tk_activation_##SUFFIX(tk_activation kind, int64_t count, const REAL *h, REAL *phi, REAL *dphi) {  \
        switch (kind) {                                                                                     \
        case TK_ACTIVATION_RELU:                                                                            \
            _Pragma("omp parallel for simd schedule(static) if (count > TK_PARALLEL_THRESHOLD)")           \
            for (int64_t i = 0; i < count; i++) {                                                           \
                REAL x = h[i];                                                                              \
                if (dphi) dphi[i] = x > 0 ? (REAL)1 : (REAL)0;                                              \
                phi[i] = x > 0 ? x : (REAL)0;                                                               \
            }                                                                                               \
            break;                                                                                          \
        case TK_ACTIVATION_TANH:                                                                            \
            _Pragma("omp parallel for schedule(static) if (count > TK_PARALLEL_THRESHOLD / 8)")            \
            for (int64_t i = 0; i < count; i++) {                                                           \
                REAL t = TANH(h[i]);                                                                        \
                if (dphi) dphi[i] = (REAL)1 - t * t;                                                        \
                phi[i] = t;                                                                                 \
            }                                                                                               \
            break;                                                                                          \
        case TK_ACTIVATION_ERF:                                                                             \
            _Pragma("omp parallel for schedule(static) if (count > TK_PARALLEL_THRESHOLD / 8)")            \
            for (int64_t i = 0; i < count; i++) {                                                           \
                REAL x = h[i];                                                                              \
                if (dphi) dphi[i] = (REAL)TK_TWO_OVER_SQRT_PI * EXP(-x * x);                                \
                phi[i] = ERF(x);                                                                            \
            }                                                                                               \
            break;                                                                                          \
        case TK_ACTIVATION_GELU:                                                                            \
            _Pragma("omp parallel for schedule(static) if (count > TK_PARALLEL_THRESHOLD / 8)")            \
            for (int64_t i = 0; i < count; i++) {                                                           \
                REAL x = h[i];                                                                              \
                REAL cdf = (REAL)0.5 * ((REAL)1 + ERF(x * (REAL)TK_INV_SQRT2));                            \
                if (dphi) dphi[i] = cdf + x * (REAL)TK_INV_SQRT_2PI * EXP((REAL)-0.5 * x * x);             \
                phi[i] = x * cdf;                                                                           \
            }                                                                                               \
            break;                                                                                          \
        default: /* TK_ACTIVATION_LINEAR */                                                                 \
            _Pragma("omp parallel for simd schedule(static) if (count > TK_PARALLEL_THRESHOLD)")           \
            for (int64_t i = 0; i < count; i++) {                                                           \
                if (dphi) dphi[i] = (REAL)1;                                                                \
                phi[i] = h[i];                                                                              \
            }                                                                                               \
            break;                                                                                          \
        }                                                                                                   \
    }                                                                                                       \
    void tk_activation_inplace_##SUFFIX(tk_activation kind, int64_t count, REAL *h, REAL *dphi) {           \
        tk_activation_##SUFFIX(kind, count, h, h, dphi);                                                    \
    }

TK_ACTIVATION(double, f64, tanh, erf, exp)
TK_ACTIVATION(float, f32, tanhf, erff, expf)
