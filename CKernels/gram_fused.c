// Packed, register-blocked Gram with a fused Hadamard epilogue (the NTK's inner loop):
//
//     Θ[i, j] += alpha · F[i, j] · Σ_p D[i, p]·D[j, p]      for j ≥ i   (F = NULL: Θ[i, j] += alpha·Σ_p …)
//
// D is n × k (row stride ldd). Only the upper triangle of Θ is written; callers mirror it once at the end.
// The Gram is never stored: each k-slice of TK_FKC columns is reduced by a 6 × (2·lanes) AVX2 micro-kernel over
// packed panels (BLIS-style: B = all rows packed once per slice and shared by the threads, A = a block of TK_FMC
// rows packed per thread), and its partial sums go straight through the epilogue into Θ.
#include "tangent_kernels.h"
#include "internal.h"
#include <stdlib.h>
#include <string.h>

#define TK_FMR 6
#define TK_FMC 96   /* rows per A block: a multiple of TK_FMR */
#define TK_FKC 1024 /* reduction slice: the widths of typical layers in one pass, so the epilogue runs once per tile */

#define TK_FUSED(REAL, SUFFIX, LANES)                                                                           \
    typedef REAL tk_fv_##SUFFIX __attribute__((ext_vector_type(LANES)));                                       \
    enum { TK_FNR_##SUFFIX = 2 * LANES };                                                                       \
                                                                                                                \
    static inline tk_fv_##SUFFIX tk_fload_##SUFFIX(const REAL *p) {                                             \
        tk_fv_##SUFFIX v;                                                                                       \
        __builtin_memcpy(&v, p, sizeof v);                                                                      \
        return v;                                                                                               \
    }                                                                                                           \
                                                                                                                \
    /* acc (6 × NR, row-major) = Σ_p ap[p·6 + r]·bp[p·NR + c] */                                               \
    static void tk_fmicro_##SUFFIX(int64_t kc, const REAL *ap, const REAL *bp, REAL *acc) {                     \
        typedef tk_fv_##SUFFIX V;                                                                               \
        V c00 = 0, c01 = 0, c10 = 0, c11 = 0, c20 = 0, c21 = 0, c30 = 0, c31 = 0, c40 = 0, c41 = 0, c50 = 0,   \
          c51 = 0;                                                                                              \
        _Pragma("clang loop unroll_count(4)") for (int64_t p = 0; p < kc; p++) {                              \
            V b0 = tk_fload_##SUFFIX(bp), b1 = tk_fload_##SUFFIX(bp + LANES);                                   \
            V a;                                                                                                \
            a = ap[0]; c00 = __builtin_elementwise_fma(a, b0, c00); c01 = __builtin_elementwise_fma(a, b1, c01); \
            a = ap[1]; c10 = __builtin_elementwise_fma(a, b0, c10); c11 = __builtin_elementwise_fma(a, b1, c11); \
            a = ap[2]; c20 = __builtin_elementwise_fma(a, b0, c20); c21 = __builtin_elementwise_fma(a, b1, c21); \
            a = ap[3]; c30 = __builtin_elementwise_fma(a, b0, c30); c31 = __builtin_elementwise_fma(a, b1, c31); \
            a = ap[4]; c40 = __builtin_elementwise_fma(a, b0, c40); c41 = __builtin_elementwise_fma(a, b1, c41); \
            a = ap[5]; c50 = __builtin_elementwise_fma(a, b0, c50); c51 = __builtin_elementwise_fma(a, b1, c51); \
            ap += TK_FMR;                                                                                       \
            bp += TK_FNR_##SUFFIX;                                                                              \
        }                                                                                                       \
        V out[12] = {c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51};                               \
        __builtin_memcpy(acc, out, sizeof out);                                                                 \
    }                                                                                                           \
                                                                                                                \
    /* Packs rows [r0, r0 + rows) × columns [p0, p0 + kc) of D into panels of `width` rows interleaved by p,  */ \
    /* zero-padding the last panel.                                                                          */ \
    static void tk_fpack_##SUFFIX(const REAL *d, int64_t ldd, int64_t r0, int64_t rows, int64_t p0, int64_t kc, \
                                  int64_t width, REAL *out) {                                                   \
        for (int64_t panel = 0; panel * width < rows; panel++) {                                                \
            REAL *dst = out + panel * width * kc;                                                               \
            int64_t live = tk_min64(width, rows - panel * width);                                               \
            for (int64_t r = 0; r < width; r++) {                                                               \
                if (r < live) {                                                                                 \
                    const REAL *src = d + (r0 + panel * width + r) * ldd + p0;                                  \
                    for (int64_t p = 0; p < kc; p++) dst[p * width + r] = src[p];                               \
                } else {                                                                                        \
                    for (int64_t p = 0; p < kc; p++) dst[p * width + r] = 0;                                    \
                }                                                                                               \
            }                                                                                                   \
        }                                                                                                       \
    }                                                                                                           \
                                                                                                                \
    int tk_gram_hadamard_accumulate_##SUFFIX(int64_t n, int64_t k, const REAL *d, int64_t ldd, const REAL *f,  \
                                               int64_t ldf, REAL alpha, REAL *theta, int64_t ldt) {             \
        const int64_t nr = TK_FNR_##SUFFIX;                                                                     \
        if (n <= 0 || k <= 0) return 0;                                                                         \
        int64_t bpanels = (n + nr - 1) / nr;                                                                    \
        REAL *bpack = (REAL *)malloc((size_t)(bpanels * nr * TK_FKC) * sizeof(REAL));                          \
        if (!bpack) return -1;                                                                                  \
        int failed = 0;                                                                                         \
        int64_t iblocks = (n + TK_FMC - 1) / TK_FMC;                                                            \
        for (int64_t p0 = 0; p0 < k; p0 += TK_FKC) {                                                            \
            int64_t kc = tk_min64(TK_FKC, k - p0);                                                              \
            _Pragma("omp parallel for schedule(static) if (n * kc > TK_PARALLEL_THRESHOLD)")                   \
            for (int64_t panel = 0; panel < bpanels; panel++)                                                   \
                tk_fpack_##SUFFIX(d, ldd, panel * nr, tk_min64(nr, n - panel * nr), p0, kc, nr,                 \
                                  bpack + panel * nr * kc);                                                     \
            _Pragma("omp parallel if (n * kc > TK_PARALLEL_THRESHOLD)") {                                      \
                REAL *apack = (REAL *)malloc((size_t)(TK_FMC * kc) * sizeof(REAL));                             \
                if (!apack) {                                                                                   \
                    _Pragma("omp atomic write") failed = 1;                                                    \
                }                                                                                               \
                REAL acc[TK_FMR * 2 * LANES];                                                                   \
                _Pragma("omp for schedule(dynamic, 1)") for (int64_t ib = 0; ib < iblocks; ib++) {              \
                    if (!apack) continue;                                                                       \
                    int64_t i0 = ib * TK_FMC, mrows = tk_min64(TK_FMC, n - i0);                                 \
                    tk_fpack_##SUFFIX(d, ldd, i0, mrows, p0, kc, TK_FMR, apack);                                \
                    /* B micro-panel outer (it stays in L1), A micro-panels inner (the packed A block is in L2). */  \
                    for (int64_t jp = i0 / nr; jp < bpanels; jp++) {                                            \
                        int64_t j = jp * nr, ncols = tk_min64(nr, n - j);                                       \
                        const REAL *bp = bpack + jp * nr * kc;                                                  \
                        for (int64_t ir = 0; ir < mrows; ir += TK_FMR) {                                        \
                            int64_t i = i0 + ir, mr = tk_min64(TK_FMR, mrows - ir);                             \
                            if (j + ncols <= i) continue; /* tile entirely below the diagonal */                \
                            /* Prefetch the tile's rows of Θ and F: the micro-kernel hides their latency. */    \
                            for (int64_t r = 0; r < mr; r++) {                                                  \
                                __builtin_prefetch(theta + (i + r) * ldt + j, 1, 3);                            \
                                __builtin_prefetch(theta + (i + r) * ldt + j + ncols - 1, 1, 3);                \
                                if (f) {                                                                        \
                                    __builtin_prefetch(f + (i + r) * ldf + j, 0, 3);                            \
                                    __builtin_prefetch(f + (i + r) * ldf + j + ncols - 1, 0, 3);                \
                                }                                                                               \
                            }                                                                                   \
                            tk_fmicro_##SUFFIX(kc, apack + (ir / TK_FMR) * TK_FMR * kc, bp, acc);               \
                            for (int64_t r = 0; r < mr; r++) {                                                  \
                                int64_t row = i + r;                                                            \
                                int64_t cstart = row > j ? row - j : 0;                                         \
                                REAL *t = theta + row * ldt + j;                                                \
                                const REAL *a = acc + r * nr;                                                   \
                                if (f) {                                                                        \
                                    const REAL *fr = f + row * ldf + j;                                         \
                                    for (int64_t cc = cstart; cc < ncols; cc++) t[cc] += alpha * fr[cc] * a[cc]; \
                                } else {                                                                        \
                                    for (int64_t cc = cstart; cc < ncols; cc++) t[cc] += alpha * a[cc];         \
                                }                                                                               \
                            }                                                                                   \
                        }                                                                                       \
                    }                                                                                           \
                }                                                                                               \
                free(apack);                                                                                    \
            }                                                                                                   \
        }                                                                                                       \
        free(bpack);                                                                                            \
        return failed ? -1 : 0;                                                                                 \
    }

TK_FUSED(double, f64, 4)
TK_FUSED(float, f32, 8)
