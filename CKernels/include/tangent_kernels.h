// Tangent's C kernels: a small, flat, prefixed API (`tk_`) on raw row-major buffers.
//
// Rules for this layer:
//  - no allocation policy beyond short-lived scratch, no I/O, no global state except thread settings;
//  - every function is safe to call with count 0;
//  - reductions are deterministic: the result does not depend on the number of OpenMP threads
//    (work is split into fixed-size chunks whose partial sums are added in order);
//  - parallelism is OpenMP inside each call; callers must not call these from inside a BLAS call.
// The Swift layer (TangentCore) owns memory and is the only caller.
#ifndef TANGENT_KERNELS_H
#define TANGENT_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// ---- Threads and CPU features -------------------------------------------------------------------------
/// Number of OpenMP threads kernels will use.
int tk_max_threads(void);
/// Sets the number of OpenMP threads kernels will use (values < 1 are ignored).
void tk_set_max_threads(int threads);
/// 1 when the CPU supports AVX-512F (and the kernels dispatch to their AVX-512 variants), else 0.
int tk_cpu_has_avx512(void);
/// Disables (0) or re-enables (1) the AVX-512 variants, to measure both paths. Default 1.
void tk_set_avx512_enabled(int enabled);
/// 1 when the kernels dispatch to their AVX-512 variants (CPU support and not disabled), else 0.
int tk_use_avx512(void);

// ---- Gram ---------------------------------------------------------------------------------------------
/// G = A·Aᵀ for A of shape (n, p) (row-major, row stride lda >= p) into G of shape (n, n) (row stride ldg).
/// Blocked over output tiles (upper triangle only, then mirrored) and over p; OpenMP over tiles; SIMD
/// micro-kernels along p. The full symmetric result is written.
void tk_gram_f64(const double *a, int64_t n, int64_t p, int64_t lda, double *g, int64_t ldg);
void tk_gram_f32(const float *a, int64_t n, int64_t p, int64_t lda, float *g, int64_t ldg);

/// The fused Gram + Hadamard kernel of the NTK: Θ[i, j] = (C ? C[i, j] : Θ[i, j]) + alpha·F[i, j]·(A·Bᵀ)[i, j] for
/// A m × k and B n × k (row strides lda, ldb), F, C and Θ m × n (row strides ldf, ldc, ldt; F = NULL: no factor;
/// C = NULL: accumulate into Θ; C must not overlap Θ, which may then be uninitialized). The Gram A·Bᵀ is never
/// stored: packed panels and a register-blocked micro-kernel reduce slices of k, and the partial sums go through the
/// fused epilogue once. With upper = 1 (A and B the same rows, m = n) only j ≥ i is written (mirror it afterwards).
/// isa names the instruction set: 0 = AVX2, 1 = AVX-512, -1 = the process-wide choice (`tk_use_avx512`); tests
/// check both variants through it without touching that choice. Returns 0; -1 when scratch memory could not be
/// allocated (Θ is then incomplete); -2 for upper with m ≠ n; -3 for AVX-512 on a CPU without it.
int tk_cross_hadamard_isa_f64(int isa, int64_t m, int64_t n, int64_t k, const double *a, int64_t lda,
                              const double *b, int64_t ldb, const double *f, int64_t ldf, double alpha,
                              const double *c, int64_t ldc, double *theta, int64_t ldt, int upper);
int tk_cross_hadamard_isa_f32(int isa, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                              const float *b, int64_t ldb, const float *f, int64_t ldf, float alpha,
                              const float *c, int64_t ldc, float *theta, int64_t ldt, int upper);

/// B = Aᵀ for A rows × cols (row stride lda) into B cols × rows (row stride ldb); blocked, OpenMP over columns.
void tk_transpose_f64(int64_t rows, int64_t cols, const double *a, int64_t lda, double *b, int64_t ldb);
void tk_transpose_f32(int64_t rows, int64_t cols, const float *a, int64_t lda, float *b, int64_t ldb);

/// Copies the upper triangle of the square matrix A (n×n, row stride lda) onto its lower triangle.
void tk_symmetrize_upper_f64(double *a, int64_t n, int64_t lda);
void tk_symmetrize_upper_f32(float *a, int64_t n, int64_t lda);

// ---- Fused element-wise passes ------------------------------------------------------------------------
/// C[i] += alpha·A[i]·B[i] for i < count (Hadamard multiply-accumulate; one pass over three arrays).
void tk_hadamard_accumulate_f64(int64_t count, double alpha, const double *a, const double *b, double *c);
void tk_hadamard_accumulate_f32(int64_t count, float alpha, const float *a, const float *b, float *c);

/// A[i, j] *= s[i] for a (rows × cols) matrix with row stride lda.
void tk_scale_rows_f64(int64_t rows, int64_t cols, const double *s, double *a, int64_t lda);
void tk_scale_rows_f32(int64_t rows, int64_t cols, const float *s, float *a, int64_t lda);

/// A[i, j] *= s[j] for a (rows × cols) matrix with row stride lda.
void tk_scale_cols_f64(int64_t rows, int64_t cols, const double *s, double *a, int64_t lda);
void tk_scale_cols_f32(int64_t rows, int64_t cols, const float *s, float *a, int64_t lda);

/// C[i] = A[i]·B[i] for i < count (C may alias A or B).
void tk_hadamard_product_f64(int64_t count, const double *a, const double *b, double *c);
void tk_hadamard_product_f32(int64_t count, const float *a, const float *b, float *c);

/// A[i] *= B[i] for i < count (in place).
/// y[i] += alpha·x[i]; y[i] += c.
void tk_add_scaled_f64(int64_t count, double alpha, const double *x, double *y);
void tk_add_scaled_f32(int64_t count, float alpha, const float *x, float *y);
void tk_add_constant_f64(int64_t count, double c, double *y);
/// y[i] = c (parallel first touch of a new buffer).
void tk_fill_f64(int64_t count, double c, double *y);
void tk_fill_f32(int64_t count, float c, float *y);
void tk_add_constant_f32(int64_t count, float c, float *y);
void tk_hadamard_inplace_f64(int64_t count, double *a, const double *b);
void tk_hadamard_inplace_f32(int64_t count, float *a, const float *b);

/// A[i, j] += v[j] for a (rows × cols) matrix with row stride lda (adds a row vector to every row).
void tk_add_row_vector_f64(int64_t rows, int64_t cols, const double *v, double *a, int64_t lda);
void tk_add_row_vector_f32(int64_t rows, int64_t cols, const float *v, float *a, int64_t lda);

/// Activation kinds for tk_activation_*. A closed C enum with a fixed 32-bit underlying type: Swift imports it as a
/// frozen Swift enum `tk_activation: Int32` (cases `.TK_ACTIVATION_LINEAR`, …), so Swift callers cannot pass a stray
/// integer and their switches over it are checked for exhaustiveness.
typedef enum __attribute__((enum_extensibility(closed))) tk_activation : int32_t {
    TK_ACTIVATION_LINEAR = 0,
    TK_ACTIVATION_RELU = 1,
    TK_ACTIVATION_TANH = 2,
    TK_ACTIVATION_ERF = 3,
    TK_ACTIVATION_GELU = 4,
} tk_activation;

/// phi[i] = φ(h[i]) and, when dphi is not NULL, dphi[i] = φ'(h[i]), in one pass. phi may alias h.
/// φ per kind: linear x; relu max(x, 0); tanh; erf; gelu x·Φ(x) = (x/2)(1 + erf(x/√2)).
void tk_activation_f64(tk_activation kind, int64_t count, const double *h, double *phi, double *dphi);
void tk_activation_f32(tk_activation kind, int64_t count, const float *h, float *phi, float *dphi);
/// h[i] = φ(h[i]) in place, and dphi[i] = φ'(h[i]) (of the old value) when dphi is not NULL.
void tk_activation_inplace_f64(tk_activation kind, int64_t count, double *h, double *dphi);
void tk_activation_inplace_f32(tk_activation kind, int64_t count, float *h, float *dphi);

/// Per-sample Jacobian of a dense layer h = alpha·W·x (+ bias_alpha·b): for each sample μ < n, row μ of J
/// (row stride ldj) gets alpha·delta[μ, i]·x[μ, j] at column col0 + i·fan_in + j (the gradient with respect to W,
/// row-major), and, when bias_alpha != 0, bias_alpha·delta[μ, i] at column col0 + fan_out·fan_in + i.
/// delta is n × fan_out (row stride ldd), x is n × fan_in (row stride ldx).
void tk_dense_jacobian_f64(int64_t n, int64_t fan_out, int64_t fan_in, double alpha, double bias_alpha,
                           const double *delta, int64_t ldd, const double *x, int64_t ldx, double *j, int64_t ldj,
                           int64_t col0);

// ---- Reductions (deterministic for any thread count; f32 inputs accumulate in double) --------------------
/// Σ x[i]
double tk_sum_f64(int64_t count, const double *x);
double tk_sum_f32(int64_t count, const float *x);
/// Σ x[i]·y[i]
double tk_dot_f64(int64_t count, const double *x, const double *y);
double tk_dot_f32(int64_t count, const float *x, const float *y);
/// max |x[i]| (0 for count 0; NaN if any element is NaN)
double tk_max_abs_f64(int64_t count, const double *x);
double tk_max_abs_f32(int64_t count, const float *x);
/// Index of the first element that is NaN or ±inf, or -1 when all are finite.
int64_t tk_first_nonfinite_f64(int64_t count, const double *x);
int64_t tk_first_nonfinite_f32(int64_t count, const float *x);

// ---- Measurement --------------------------------------------------------------------------------------
/// Measured double-precision FMA throughput of this machine in GFLOP/s (1 FMA = 2 flops), using all
/// kernel threads, independent FMA chains in registers, the widest enabled vector ISA, for about
/// `seconds` seconds.
double tk_fma_peak_gflops_f64(double seconds);

#ifdef __cplusplus
}
#endif
#endif
