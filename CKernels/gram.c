// Blocked OpenMP + SIMD Gram kernel G = A·Aᵀ (upper triangle of tiles, then mirrored).
//
// Work is split into TK_TILE × TK_TILE output tiles on or above the diagonal; threads take tiles
// dynamically. Each tile accumulates over p in slices of TK_KC elements so that the 2·TK_TILE rows it reads
// stay in L2, and within a slice 3×4 micro-blocks run a SIMD dot-product micro-kernel (AVX2 + FMA, the
// x86-64-v3 baseline). There is no AVX-512 variant: none could be measured on the machines this was tuned on.
#include "tangent_kernels.h"
#include "internal.h"
#include <string.h>

#define TK_TILE 48 /* a multiple of the 3×4 micro-block; two 48-row slices of TK_KC doubles fit in L2 */
#define TK_KC 512
#define TK_MR 3
#define TK_NR 4

#define TK_REAL double
#define TK_LANES 4
#define TK_NAME tk_gram_micro_f64
#include "gram_micro.h"

#define TK_REAL float
#define TK_LANES 8
#define TK_NAME tk_gram_micro_f32
#include "gram_micro.h"

// The tile driver, written once per element type.
#define TK_GRAM_DRIVER(REAL, SUFFIX)                                                                        \
    static REAL tk_dot_tail_##SUFFIX(const REAL *x, const REAL *y, int64_t k) {                            \
        REAL s = 0;                                                                                         \
        _Pragma("omp simd reduction(+ : s)") for (int64_t t = 0; t < k; t++) s += x[t] * y[t];             \
        return s;                                                                                           \
    }                                                                                                       \
                                                                                                            \
    static void tk_gram_driver_##SUFFIX(const REAL *a, int64_t n, int64_t p, int64_t lda, REAL *g,         \
                                        int64_t ldg) {                             \
        if (n <= 0) return;                                                                                 \
        int64_t nb = (n + TK_TILE - 1) / TK_TILE;                                                           \
        int64_t ntiles = nb * (nb + 1) / 2;                                                                 \
        _Pragma("omp parallel if (n * p > TK_PARALLEL_THRESHOLD)") {                                       \
            REAL tile[TK_TILE * TK_TILE];                                                                   \
            _Pragma("omp for schedule(dynamic, 1)") for (int64_t t = 0; t < ntiles; t++) {                 \
                int64_t bi = 0, rest = t;                                                                   \
                while (rest >= nb - bi) { rest -= nb - bi; bi++; }                                         \
                int64_t bj = bi + rest;                                                                     \
                int64_t i0 = bi * TK_TILE, j0 = bj * TK_TILE;                                               \
                int64_t mi = tk_min64(TK_TILE, n - i0), mj = tk_min64(TK_TILE, n - j0);                     \
                int64_t mi4 = mi - mi % TK_MR, mj4 = mj - mj % TK_NR;                                    \
                memset(tile, 0, sizeof tile);                                                               \
                for (int64_t k0 = 0; k0 < p; k0 += TK_KC) {                                                 \
                    int64_t kc = tk_min64(TK_KC, p - k0);                                                   \
                    for (int64_t i = 0; i < mi4; i += TK_MR) {                                                  \
                        int64_t jstart = (bi == bj) ? i - i % TK_NR : 0;                                            \
                        for (int64_t j = jstart; j < mj4; j += TK_NR)                                         \
                            tk_gram_micro_##SUFFIX(a + (i0 + i) * lda + k0, a + (j0 + j) * lda + k0, lda, kc,               \
                                  tile + i * TK_TILE + j, TK_TILE);                                         \
                    }                                                                                       \
                    for (int64_t i = 0; i < mi; i++) {                                                      \
                        int64_t jfrom = (i < mi4) ? mj4 : 0;                                                \
                        for (int64_t j = jfrom; j < mj; j++) {                                              \
                            if (bi == bj && j < i) continue;                                                \
                            tile[i * TK_TILE + j] +=                                                        \
                                tk_dot_tail_##SUFFIX(a + (i0 + i) * lda + k0, a + (j0 + j) * lda + k0, kc); \
                        }                                                                                   \
                    }                                                                                       \
                }                                                                                           \
                for (int64_t i = 0; i < mi; i++)                                                            \
                    for (int64_t j = (bi == bj ? i : 0); j < mj; j++)                                       \
                        g[(i0 + i) * ldg + j0 + j] = tile[i * TK_TILE + j];                                 \
            }                                                                                               \
        }                                                                                                   \
    }

TK_GRAM_DRIVER(double, f64)
TK_GRAM_DRIVER(float, f32)

void tk_gram_f64(const double *a, int64_t n, int64_t p, int64_t lda, double *g, int64_t ldg) {
    tk_gram_driver_f64(a, n, p, lda, g, ldg);
    tk_symmetrize_upper_f64(g, n, ldg);
}

void tk_gram_f32(const float *a, int64_t n, int64_t p, int64_t lda, float *g, int64_t ldg) {
    tk_gram_driver_f32(a, n, p, lda, g, ldg);
    tk_symmetrize_upper_f32(g, n, ldg);
}
