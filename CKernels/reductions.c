// Deterministic reductions: fixed chunks reduced in parallel, chunk results combined in index order, so the
// result is bit-identical for any number of threads. Float inputs accumulate in double.
#include "tangent_kernels.h"
#include "internal.h"
#include <math.h>
#include <stdlib.h>

// Reduces fixed chunks to partial results (in parallel), then combines them in chunk order, so the result does
// not depend on the thread count. If the scratch array cannot be allocated the chunks run sequentially, in the
// same order, giving the same bits.
#define TK_CHUNKED(COUNT, PARTIAL_EXPR, COMBINE_INIT, COMBINE_STMT)                                         \
    int64_t nchunks = ((COUNT) + TK_REDUCTION_CHUNK - 1) / TK_REDUCTION_CHUNK;                              \
    double stack_parts[64];                                                                                 \
    double *parts = nchunks <= 64 ? stack_parts : (double *)malloc((size_t)nchunks * sizeof(double));      \
    double result = COMBINE_INIT;                                                                           \
    if (parts == NULL) {                                                                                    \
        for (int64_t c = 0; c < nchunks; c++) {                                                             \
            int64_t lo = c * TK_REDUCTION_CHUNK, hi = tk_min64(lo + TK_REDUCTION_CHUNK, COUNT);             \
            double part = (PARTIAL_EXPR);                                                                   \
            COMBINE_STMT;                                                                                   \
        }                                                                                                   \
    } else {                                                                                                \
        _Pragma("omp parallel for schedule(static) if (count > TK_PARALLEL_THRESHOLD)")                    \
        for (int64_t c = 0; c < nchunks; c++) {                                                             \
            int64_t lo = c * TK_REDUCTION_CHUNK, hi = tk_min64(lo + TK_REDUCTION_CHUNK, COUNT);             \
            parts[c] = (PARTIAL_EXPR);                                                                      \
        }                                                                                                   \
        for (int64_t c = 0; c < nchunks; c++) { double part = parts[c]; COMBINE_STMT; }                    \
        if (parts != stack_parts) free(parts);                                                              \
    }

#define TK_REDUCTIONS(REAL, SUFFIX)                                                                         \
    static double tk_sum_range_##SUFFIX(const REAL *x, int64_t lo, int64_t hi) {                           \
        double s = 0;                                                                                       \
        _Pragma("omp simd reduction(+ : s)") for (int64_t i = lo; i < hi; i++) s += (double)x[i];          \
        return s;                                                                                           \
    }                                                                                                       \
    static double tk_dot_range_##SUFFIX(const REAL *x, const REAL *y, int64_t lo, int64_t hi) {            \
        double s = 0;                                                                                       \
        _Pragma("omp simd reduction(+ : s)") for (int64_t i = lo; i < hi; i++) s += (double)x[i] * (double)y[i]; \
        return s;                                                                                           \
    }                                                                                                       \
    static double tk_max_abs_range_##SUFFIX(const REAL *x, int64_t lo, int64_t hi) {                       \
        double m = 0;                                                                                       \
        int nan = 0;                                                                                        \
        for (int64_t i = lo; i < hi; i++) {                                                                 \
            double v = fabs((double)x[i]);                                                                  \
            nan |= (v != v);                                                                                \
            m = v > m ? v : m;                                                                              \
        }                                                                                                   \
        return nan ? NAN : m;                                                                               \
    }                                                                                                       \
    static double tk_first_nonfinite_range_##SUFFIX(const REAL *x, int64_t lo, int64_t hi) {               \
        int bad = 0;                                                                                        \
        _Pragma("omp simd reduction(| : bad)") for (int64_t i = lo; i < hi; i++) bad |= !isfinite(x[i]);   \
        if (!bad) return -1;                                                                                \
        for (int64_t i = lo; i < hi; i++)                                                                   \
            if (!isfinite(x[i])) return (double)i;                                                          \
        return -1;                                                                                          \
    }                                                                                                       \
                                                                                                            \
    double tk_sum_##SUFFIX(int64_t count, const REAL *x) {                                                  \
        if (count <= TK_REDUCTION_CHUNK) return tk_sum_range_##SUFFIX(x, 0, count);                        \
        TK_CHUNKED(count, tk_sum_range_##SUFFIX(x, lo, hi), 0.0, result += part)                            \
        return result;                                                                                      \
    }                                                                                                       \
    double tk_dot_##SUFFIX(int64_t count, const REAL *x, const REAL *y) {                                   \
        if (count <= TK_REDUCTION_CHUNK) return tk_dot_range_##SUFFIX(x, y, 0, count);                     \
        TK_CHUNKED(count, tk_dot_range_##SUFFIX(x, y, lo, hi), 0.0, result += part)                         \
        return result;                                                                                      \
    }                                                                                                       \
    double tk_max_abs_##SUFFIX(int64_t count, const REAL *x) {                                              \
        if (count <= TK_REDUCTION_CHUNK) return tk_max_abs_range_##SUFFIX(x, 0, count);                    \
        TK_CHUNKED(count, tk_max_abs_range_##SUFFIX(x, lo, hi), 0.0,                                        \
                   result = (part != part || result != result) ? NAN : (part > result ? part : result))    \
        return result;                                                                                      \
    }                                                                                                       \
    int64_t tk_first_nonfinite_##SUFFIX(int64_t count, const REAL *x) {                                     \
        if (count <= TK_REDUCTION_CHUNK) return (int64_t)tk_first_nonfinite_range_##SUFFIX(x, 0, count);   \
        TK_CHUNKED(count, tk_first_nonfinite_range_##SUFFIX(x, lo, hi), -1.0,                               \
                   if (result < 0 && part >= 0) result = part)                                              \
        return (int64_t)result;                                                                             \
    }

TK_REDUCTIONS(double, f64)
TK_REDUCTIONS(float, f32)
