// Fused element-wise passes: one sweep over memory instead of several BLAS-1 calls.
#include "tangent_kernels.h"
#include "internal.h"

#define TK_ELEMENTWISE(REAL, SUFFIX)                                                                        \
    void tk_hadamard_accumulate_##SUFFIX(int64_t count, REAL alpha, const REAL *a, const REAL *b,          \
                                         REAL *c) {                                                         \
        _Pragma("omp parallel for simd schedule(static) if (count > TK_PARALLEL_THRESHOLD)")               \
        for (int64_t i = 0; i < count; i++) c[i] += alpha * a[i] * b[i];                                    \
    }                                                                                                       \
                                                                                                            \
    void tk_add_scaled_##SUFFIX(int64_t count, REAL alpha, const REAL *x, REAL *y) {                        \
        _Pragma("omp parallel for simd schedule(static) if (count > TK_PARALLEL_THRESHOLD)")               \
        for (int64_t i = 0; i < count; i++) y[i] += alpha * x[i];                                           \
    }                                                                                                       \
                                                                                                            \
    void tk_fill_##SUFFIX(int64_t count, REAL c, REAL *y) {                                                 \
        _Pragma("omp parallel for simd schedule(static) if (count > TK_PARALLEL_THRESHOLD)")               \
        for (int64_t i = 0; i < count; i++) y[i] = c;                                                       \
    }                                                                                                       \
                                                                                                            \
    void tk_add_constant_##SUFFIX(int64_t count, REAL c, REAL *y) {                                         \
        _Pragma("omp parallel for simd schedule(static) if (count > TK_PARALLEL_THRESHOLD)")               \
        for (int64_t i = 0; i < count; i++) y[i] += c;                                                      \
    }                                                                                                       \
                                                                                                            \
    void tk_hadamard_product_##SUFFIX(int64_t count, const REAL *a, const REAL *b, REAL *c) {                \
        _Pragma("omp parallel for simd schedule(static) if (count > TK_PARALLEL_THRESHOLD)")               \
        for (int64_t i = 0; i < count; i++) c[i] = a[i] * b[i];                                             \
    }                                                                                                       \
                                                                                                            \
    void tk_hadamard_inplace_##SUFFIX(int64_t count, REAL *a, const REAL *b) {                              \
        _Pragma("omp parallel for simd schedule(static) if (count > TK_PARALLEL_THRESHOLD)")               \
        for (int64_t i = 0; i < count; i++) a[i] *= b[i];                                                   \
    }                                                                                                       \
                                                                                                            \
    void tk_add_row_vector_##SUFFIX(int64_t rows, int64_t cols, const REAL *v, REAL *a, int64_t lda) {     \
        _Pragma("omp parallel for schedule(static) if (rows * cols > TK_PARALLEL_THRESHOLD)")              \
        for (int64_t i = 0; i < rows; i++) {                                                                \
            REAL *row = a + i * lda;                                                                        \
            _Pragma("omp simd") for (int64_t j = 0; j < cols; j++) row[j] += v[j];                          \
        }                                                                                                   \
    }                                                                                                       \
                                                                                                            \
    void tk_scale_rows_##SUFFIX(int64_t rows, int64_t cols, const REAL *s, REAL *a, int64_t lda) {         \
        _Pragma("omp parallel for schedule(static) if (rows * cols > TK_PARALLEL_THRESHOLD)")              \
        for (int64_t i = 0; i < rows; i++) {                                                                \
            REAL si = s[i];                                                                                 \
            REAL *row = a + i * lda;                                                                        \
            _Pragma("omp simd") for (int64_t j = 0; j < cols; j++) row[j] *= si;                            \
        }                                                                                                   \
    }                                                                                                       \
                                                                                                            \
    void tk_scale_cols_##SUFFIX(int64_t rows, int64_t cols, const REAL *s, REAL *a, int64_t lda) {         \
        _Pragma("omp parallel for schedule(static) if (rows * cols > TK_PARALLEL_THRESHOLD)")              \
        for (int64_t i = 0; i < rows; i++) {                                                                \
            REAL *row = a + i * lda;                                                                        \
            _Pragma("omp simd") for (int64_t j = 0; j < cols; j++) row[j] *= s[j];                          \
        }                                                                                                   \
    }                                                                                                       \
                                                                                                            \
    void tk_transpose_##SUFFIX(int64_t rows, int64_t cols, const REAL *a, int64_t lda, REAL *b, int64_t ldb) {\
        const int64_t bs = 32;                                                                              \
        _Pragma("omp parallel for schedule(static) if (rows * cols > TK_PARALLEL_THRESHOLD)")              \
        for (int64_t jb = 0; jb < cols; jb += bs) {                                                         \
            int64_t je = tk_min64(jb + bs, cols);                                                           \
            for (int64_t ib = 0; ib < rows; ib += bs) {                                                     \
                int64_t ie = tk_min64(ib + bs, rows);                                                       \
                for (int64_t j = jb; j < je; j++)                                                           \
                    for (int64_t i = ib; i < ie; i++) b[j * ldb + i] = a[i * lda + j];                      \
            }                                                                                               \
        }                                                                                                   \
    }                                                                                                       \
                                                                                                            \
    void tk_symmetrize_upper_##SUFFIX(REAL *a, int64_t n, int64_t lda) {                                   \
        /* Row i of the lower triangle gathers column i of the upper one; blocked for cache reuse. */      \
        const int64_t bs = 64;                                                                              \
        _Pragma("omp parallel for schedule(dynamic, 1) if (n * n > TK_PARALLEL_THRESHOLD)")                \
        for (int64_t ib = 0; ib < n; ib += bs) {                                                            \
            int64_t ie = tk_min64(ib + bs, n);                                                              \
            for (int64_t jb = 0; jb <= ib; jb += bs) {                                                      \
                int64_t je = tk_min64(jb + bs, n);                                                          \
                for (int64_t i = ib; i < ie; i++)                                                           \
                    for (int64_t j = jb; j < je && j < i; j++) a[i * lda + j] = a[j * lda + i];             \
            }                                                                                               \
        }                                                                                                   \
    }

TK_ELEMENTWISE(double, f64)
TK_ELEMENTWISE(float, f32)
