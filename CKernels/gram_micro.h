// Gram micro-kernel template: C[r][s] += Σ_k A_i[r][k]·A_j[s][k] for a 3×4 block of row pairs.
// Instantiated by gram.c once per element type with these macros:
//   TK_REAL  element type     TK_LANES  SIMD lanes (AVX2: 4 doubles or 8 floats)     TK_NAME  function name
// The reduction runs along k with one SIMD accumulator per output entry, lanes summed at the end.
// 3×4 is the largest block whose 12 accumulators, 3 row vectors and 1 streamed vector fit AVX2's 16 registers.

#define TK_CAT_(a, b) a##b
#define TK_CAT(a, b) TK_CAT_(a, b)
#define TK_VEC TK_CAT(TK_NAME, _vec)
#define TK_LOAD TK_CAT(TK_NAME, _load)

typedef TK_REAL TK_VEC __attribute__((ext_vector_type(TK_LANES)));

static inline TK_VEC TK_LOAD(const TK_REAL *p) {
    TK_VEC v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}

static void TK_NAME(const TK_REAL *ai, const TK_REAL *aj, int64_t lda, int64_t kc, TK_REAL *c, int64_t ldc) {
    const TK_REAL *i0 = ai, *i1 = ai + lda, *i2 = ai + 2 * lda;
    const TK_REAL *j0 = aj, *j1 = aj + lda, *j2 = aj + 2 * lda, *j3 = aj + 3 * lda;
    TK_VEC c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
    TK_VEC c20 = 0, c21 = 0, c22 = 0, c23 = 0;
    int64_t k = 0;
    for (; k + TK_LANES <= kc; k += TK_LANES) {
        TK_VEC x0 = TK_LOAD(i0 + k), x1 = TK_LOAD(i1 + k), x2 = TK_LOAD(i2 + k);
        TK_VEC y = TK_LOAD(j0 + k);
        c00 = __builtin_elementwise_fma(x0, y, c00);
        c10 = __builtin_elementwise_fma(x1, y, c10);
        c20 = __builtin_elementwise_fma(x2, y, c20);
        y = TK_LOAD(j1 + k);
        c01 = __builtin_elementwise_fma(x0, y, c01);
        c11 = __builtin_elementwise_fma(x1, y, c11);
        c21 = __builtin_elementwise_fma(x2, y, c21);
        y = TK_LOAD(j2 + k);
        c02 = __builtin_elementwise_fma(x0, y, c02);
        c12 = __builtin_elementwise_fma(x1, y, c12);
        c22 = __builtin_elementwise_fma(x2, y, c22);
        y = TK_LOAD(j3 + k);
        c03 = __builtin_elementwise_fma(x0, y, c03);
        c13 = __builtin_elementwise_fma(x1, y, c13);
        c23 = __builtin_elementwise_fma(x2, y, c23);
    }
    TK_VEC acc[12] = {c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23};
    const TK_REAL *rows_i[3] = {i0, i1, i2};
    const TK_REAL *rows_j[4] = {j0, j1, j2, j3};
    for (int r = 0; r < 3; r++) {
        for (int s = 0; s < 4; s++) {
            TK_REAL sum = 0;
            for (int l = 0; l < TK_LANES; l++) sum += acc[r * 4 + s][l];
            for (int64_t t = k; t < kc; t++) sum += rows_i[r][t] * rows_j[s][t];
            c[r * ldc + s] += sum;
        }
    }
}

#undef TK_VEC
#undef TK_LOAD
#undef TK_CAT
#undef TK_CAT_
#undef TK_NAME
#undef TK_LANES
#undef TK_REAL
