// Packed, register-blocked cross-Gram with a fused Hadamard epilogue (the NTK's inner loop):
//
//     Θ[i, j] += alpha · F[i, j] · Σ_p A[i, p]·B[j, p]      (F = NULL: Θ[i, j] += alpha·Σ_p …)
//
// A is m × k, B is n × k (row strides lda, ldb). With `upper` (A and B the same rows, m = n) only j ≥ i is written;
// callers mirror it. The Gram is never stored. BLIS-style: B is packed whole once and shared by the threads, each
// thread packs a block of MC rows of A (in L2), and an MR × (2·lanes) micro-kernel reduces slices of KC columns of
// k with the B micro-panel's slice in L1; the partial sums of the block wait in a small buffer (MC × 2·lanes) and go
// through the epilogue into Θ once, after the last slice.
//
// Two instruction sets, chosen at run time (tk_use_avx512): AVX2 (the x86-64-v3 baseline: 6 × 2·4 doubles or
// 6 × 2·8 floats, 12 accumulators of 16 registers) and AVX-512 (12 × 2·8 doubles or 12 × 2·16 floats, 24 of 32).
// On an Emerald Rapids Xeon the AVX-512 variant is 1.9× the AVX2 one on the reference Gram (n 2048, k 1024): see
// docs/benchmarks.md. Each Θ entry is reduced by one thread in a fixed order, so results do not depend on the
// thread count (they do depend on the instruction set, by rounding).
#include "tangent_kernels.h"
#include "internal.h"
#include <stdlib.h>
#include <string.h>

#define TK_NOATTR

// NAME: function prefix; ATTR: target attribute; MR rows × 2·LANES columns per micro-tile; MC rows per A block
// (a multiple of MR); KC the reduction slice (the packed B micro-panel, KC × 2·LANES, stays in L2).
#define TK_FUSED(REAL, NAME, ATTR, LANES, MR, MC, KC)                                                            \
    typedef REAL NAME##_v __attribute__((ext_vector_type(LANES)));                                              \
                                                                                                                \
    ATTR static inline NAME##_v NAME##_load(const REAL *p) {                                                    \
        NAME##_v v;                                                                                             \
        __builtin_memcpy(&v, p, sizeof v);                                                                      \
        return v;                                                                                               \
    }                                                                                                           \
                                                                                                                \
    /* acc (MR × 2·LANES, row-major) = (first ? 0 : acc) + Σ_p ap[p·MR + r]·bp[p·2·LANES + c] */              \
    ATTR static void NAME##_micro(int64_t kc, const REAL *ap, const REAL *bp, REAL *acc, int first) {           \
        NAME##_v c[MR][2];                                                                                      \
        if (first) {                                                                                            \
            _Pragma("clang loop unroll(full)") for (int r = 0; r < MR; r++) c[r][0] = c[r][1] = 0;             \
        } else {                                                                                                \
            __builtin_memcpy(c, acc, sizeof c);                                                                 \
        }                                                                                                       \
        _Pragma("clang loop unroll_count(2)") for (int64_t p = 0; p < kc; p++) {                              \
            NAME##_v b0 = NAME##_load(bp), b1 = NAME##_load(bp + LANES);                                        \
            _Pragma("clang loop unroll(full)") for (int r = 0; r < MR; r++) {                                  \
                NAME##_v a = ap[r];                                                                             \
                c[r][0] = __builtin_elementwise_fma(a, b0, c[r][0]);                                            \
                c[r][1] = __builtin_elementwise_fma(a, b1, c[r][1]);                                            \
            }                                                                                                   \
            ap += MR;                                                                                           \
            bp += 2 * LANES;                                                                                    \
        }                                                                                                       \
        __builtin_memcpy(acc, c, sizeof c);                                                                     \
    }                                                                                                           \
                                                                                                                \
    /* t[r][c] = (c0 ? c0[r][c] : t[r][c]) + alpha·f[r][c]·acc[r][c] (f NULL: alpha·acc) over a whole        */ \
    /* MR × 2·LANES micro-tile.                                                                               */ \
    ATTR static inline void NAME##_epilogue(const REAL *acc, const REAL *f, int64_t ldf, REAL alpha,            \
                                            const REAL *c0, int64_t ldc, REAL *t, int64_t ldt) {                \
        for (int r = 0; r < MR; r++) {                                                                          \
            for (int h = 0; h < 2; h++) {                                                                       \
                NAME##_v s = NAME##_load(acc + r * 2 * LANES + h * LANES) * alpha;                              \
                if (f) s *= NAME##_load(f + r * ldf + h * LANES);                                               \
                NAME##_v out = NAME##_load(c0 ? c0 + r * ldc + h * LANES : t + r * ldt + h * LANES) + s;        \
                __builtin_memcpy(t + r * ldt + h * LANES, &out, sizeof out);                                    \
            }                                                                                                   \
        }                                                                                                       \
    }                                                                                                           \
                                                                                                                \
    /* Packs rows [r0, r0 + rows) × columns [p0, p0 + kc) of D into panels of `width` rows interleaved by p,  */ \
    /* zero-padding the last panel.                                                                          */ \
    static void NAME##_pack(const REAL *d, int64_t ldd, int64_t r0, int64_t rows, int64_t p0, int64_t kc,       \
                            int64_t width, REAL *out) {                                                         \
        for (int64_t panel = 0; panel * width < rows; panel++) {                                                \
            REAL *dst = out + panel * width * kc;                                                               \
            int64_t live = tk_min64(width, rows - panel * width);                                               \
            const REAL *src = d + (r0 + panel * width) * ldd + p0;                                              \
            /* p outer: the writes are contiguous and the `live` rows are read as parallel streams. */          \
            for (int64_t p = 0; p < kc; p++) {                                                                  \
                REAL *to = dst + p * width;                                                                     \
                for (int64_t r = 0; r < live; r++) to[r] = src[r * ldd + p];                                    \
                for (int64_t r = live; r < width; r++) to[r] = 0;                                               \
            }                                                                                                   \
        }                                                                                                       \
    }                                                                                                           \
                                                                                                                \
    ATTR static int NAME(int64_t m, int64_t n, int64_t k, const REAL *a, int64_t lda, const REAL *b,            \
                         int64_t ldb, const REAL *f, int64_t ldf, REAL alpha, const REAL *c0, int64_t ldc,      \
                         REAL *theta, int64_t ldt, int upper) {                                                 \
        const int64_t nr = 2 * LANES;                                                                           \
        if (m <= 0 || n <= 0 || k <= 0) return 0;                                                               \
        int64_t bpanels = (n + nr - 1) / nr;                                                                    \
        /* B packed whole (all k), once; each panel's slice [p0, p0 + KC) is contiguous. */                     \
        REAL *bpack = (REAL *)malloc((size_t)(bpanels * nr * k) * sizeof(REAL));                               \
        if (!bpack) return -1;                                                                                  \
        int failed = 0;                                                                                         \
        int64_t iblocks = (m + MC - 1) / MC;                                                                    \
        _Pragma("omp parallel if (m * k > TK_PARALLEL_THRESHOLD)") {                                           \
            _Pragma("omp for schedule(static)")                                                                \
            for (int64_t panel = 0; panel < bpanels; panel++)                                                   \
                NAME##_pack(b, ldb, panel * nr, tk_min64(nr, n - panel * nr), 0, k, nr, bpack + panel * nr * k); \
            REAL *apack = (REAL *)malloc((size_t)(MC * k) * sizeof(REAL));                                      \
            REAL *cbuf = (REAL *)malloc((size_t)(MC * nr) * sizeof(REAL));                                      \
            if (!apack || !cbuf) {                                                                              \
                _Pragma("omp atomic write") failed = 1;                                                        \
            }                                                                                                   \
            _Pragma("omp for schedule(dynamic, 1)") for (int64_t ib = 0; ib < iblocks; ib++) {                  \
                if (!apack || !cbuf) continue;                                                                  \
                int64_t i0 = ib * MC, mrows = tk_min64(MC, m - i0);                                             \
                NAME##_pack(a, lda, i0, mrows, 0, k, MR, apack);                                                \
                for (int64_t jp = upper ? i0 / nr : 0; jp < bpanels; jp++) {                                    \
                    int64_t j = jp * nr, ncols = tk_min64(nr, n - j);                                           \
                    /* Slices of k outer, so the B micro-panel's slice (KC × 2·LANES) stays in L1 while the A   */ \
                    /* micro-panels stream from L2; the block's partial sums wait in cbuf (MC × 2·LANES).       */ \
                    for (int64_t p0 = 0; p0 < k; p0 += KC) {                                                    \
                        int64_t kc = tk_min64(KC, k - p0);                                                      \
                        const REAL *bp = bpack + jp * nr * k + p0 * nr;                                         \
                        for (int64_t ir = 0; ir < mrows; ir += MR) {                                            \
                            int64_t i = i0 + ir;                                                                \
                            if (upper && j + ncols <= i) continue; /* tile entirely below the diagonal */       \
                            if (p0 + KC >= k) {                                                                 \
                                /* Last slice: prefetch the tile's rows of Θ and F for the epilogue. */         \
                                int64_t mr = tk_min64(MR, mrows - ir);                                          \
                                for (int64_t r = 0; r < mr; r++) {                                              \
                                    __builtin_prefetch(theta + (i + r) * ldt + j, 1, 3);                        \
                                    __builtin_prefetch(theta + (i + r) * ldt + j + ncols - 1, 1, 3);            \
                                    if (f) {                                                                    \
                                        __builtin_prefetch(f + (i + r) * ldf + j, 0, 3);                        \
                                        __builtin_prefetch(f + (i + r) * ldf + j + ncols - 1, 0, 3);            \
                                    }                                                                           \
                                }                                                                               \
                            }                                                                                   \
                            NAME##_micro(kc, apack + (ir / MR) * MR * k + p0 * MR, bp, cbuf + ir * nr, p0 == 0); \
                        }                                                                                       \
                    }                                                                                           \
                    for (int64_t ir = 0; ir < mrows; ir += MR) {                                                \
                        int64_t i = i0 + ir, mr = tk_min64(MR, mrows - ir);                                     \
                        if (upper && j + ncols <= i) continue;                                                  \
                        const REAL *acc = cbuf + ir * nr;                                                       \
                        if (mr == MR && ncols == nr && !(upper && i + MR - 1 > j)) {                            \
                            /* A whole micro-tile off the diagonal: the epilogue in vector registers. */        \
                            NAME##_epilogue(acc, f ? f + i * ldf + j : NULL, ldf, alpha,                        \
                                            c0 ? c0 + i * ldc + j : NULL, ldc, theta + i * ldt + j, ldt);       \
                            continue;                                                                           \
                        }                                                                                       \
                        for (int64_t r = 0; r < mr; r++) {                                                      \
                            int64_t row = i + r;                                                                \
                            int64_t cstart = upper && row > j ? row - j : 0;                                    \
                            REAL *t = theta + row * ldt + j;                                                    \
                            const REAL *base = c0 ? c0 + row * ldc + j : t;                                     \
                            const REAL *s = acc + r * nr;                                                       \
                            if (f) {                                                                            \
                                const REAL *fr = f + row * ldf + j;                                             \
                                for (int64_t cc = cstart; cc < ncols; cc++) t[cc] = base[cc] + alpha * fr[cc] * s[cc]; \
                            } else {                                                                            \
                                for (int64_t cc = cstart; cc < ncols; cc++) t[cc] = base[cc] + alpha * s[cc];   \
                            }                                                                                   \
                        }                                                                                       \
                    }                                                                                           \
                }                                                                                               \
            }                                                                                                   \
            free(apack);                                                                                        \
            free(cbuf);                                                                                         \
        }                                                                                                       \
        free(bpack);                                                                                            \
        return failed ? -1 : 0;                                                                                 \
    }

TK_FUSED(double, tk_fused_avx2_f64, TK_NOATTR, 4, 6, 96, 512)
TK_FUSED(float, tk_fused_avx2_f32, TK_NOATTR, 8, 6, 96, 512)
TK_FUSED(double, tk_fused_avx512_f64, TK_AVX512, 8, 12, 96, 256)
TK_FUSED(float, tk_fused_avx512_f32, TK_AVX512, 16, 12, 96, 256)

#define TK_FUSED_PUBLIC(REAL, SUFFIX)                                                                           \
    int tk_cross_hadamard_isa_##SUFFIX(int isa, int64_t m, int64_t n, int64_t k, const REAL *a, int64_t lda,    \
                                       const REAL *b, int64_t ldb, const REAL *f, int64_t ldf, REAL alpha,      \
                                       const REAL *c, int64_t ldc, REAL *theta, int64_t ldt, int upper) {       \
        if (upper && m != n) return -2;                                                                         \
        if (isa < 0) isa = tk_use_avx512();                                                                     \
        if (isa == 1) {                                                                                         \
            if (!tk_cpu_has_avx512()) return -3;                                                                \
            return tk_fused_avx512_##SUFFIX(m, n, k, a, lda, b, ldb, f, ldf, alpha, c, ldc, theta, ldt, upper); \
        }                                                                                                       \
        return tk_fused_avx2_##SUFFIX(m, n, k, a, lda, b, ldb, f, ldf, alpha, c, ldc, theta, ldt, upper);       \
    }

TK_FUSED_PUBLIC(double, f64)
TK_FUSED_PUBLIC(float, f32)
