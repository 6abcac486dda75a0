// A frozen nn.Linear with its weight re-laid out once for a matrix-product kernel (AVX-512 or AVX2):
// out (M, N) = act(inp (M, K) @ weight (N, K)^T + bias (N) [+ residual (M, N)]), bias and residual added
// in the kernel's accumulators, the activation (identity or GELU) applied to them before the store.
// The inference path packs every weight at load; then no product re-packs anything per call.
#ifndef EMBEDTUNE_PACKED_LINEAR_H
#define EMBEDTUNE_PACKED_LINEAR_H

#ifdef __cplusplus
extern "C" {
#endif

/// Input rows per block: they stay in L2 while every 32-column panel of weights passes over them.
/// Callers that split the rows among threads use blocks of this size too.
enum { EMBEDTUNE_PACKED_LINEAR_ROW_BLOCK = 240 };

/// What the kernel applies to each output before storing it.
enum {
    EMBEDTUNE_PACKED_LINEAR_IDENTITY = 0,
    /// The exact (erf) GELU, 0.5 x (1 + erf(x / sqrt 2)): the same function as `embedtune_gelu_forward`.
    EMBEDTUNE_PACKED_LINEAR_GELU = 1,
};

/// 1 when this CPU runs a kernel (AVX-512 F/BW/VL, or AVX2 + FMA); otherwise callers use their general
/// product.
int embedtune_packed_linear_available(void);

/// Floats of the packed form of an (n, k) weight: ceil(n / 32) panels of k rows of 32.
long embedtune_packed_linear_floats(long n, long k);

/// packed[(p * k + kk) * 32 + j] = weight[(p * 32 + j) * k + kk], zero for columns p * 32 + j >= n.
/// `packed` holds `embedtune_packed_linear_floats(n, k)` floats, 64-byte aligned.
void embedtune_packed_linear_pack(const float *weight, long n, long k, float *packed);

/// packed as `embedtune_packed_linear_pack` makes it from weight = weight_t^T, i.e. from weight_t (k, n)
/// row-major: packed[(p * k + kk) * 32 + j] = weight_t[kk * n + p * 32 + j].
void embedtune_packed_linear_pack_transposed(const float *weight_t, long n, long k, float *packed);

/// out (m, n) row-major = act(inp (m, k) row-major @ weight^T + bias (n; NULL for none) + residual (m, n
/// row-major; NULL for none; a residual connection added in the kernel, not in a later pass)), act
/// given by `activation` (EMBEDTUNE_PACKED_LINEAR_IDENTITY or _GELU). `residual` may equal `out`.
/// Where no kernel is available (`embedtune_packed_linear_available()` is 0) a portable loop runs: the
/// same bits, far slower.
void embedtune_packed_linear_forward(const float *inp, long m, long k, const float *packed, long n,
                                     const float *bias, const float *residual, int activation, float *out);

/// `embedtune_packed_linear_forward` plus a low-rank term in the same accumulators, before the
/// activation: out = act(inp @ weight^T + bias + residual + low (m, rank) row-major @ up^T), with
/// `low_packed` packed from up (n, rank) by `embedtune_packed_linear_pack` (k = rank). `low` NULL or
/// rank 0: no term.
void embedtune_packed_linear_forward_low_rank(const float *inp, long m, long k, const float *packed, long n,
                                              const float *bias, const float *residual, int activation,
                                              const float *low, long rank, const float *low_packed, float *out);

/// `embedtune_packed_linear_forward_low_rank` on the path of the EMBEDTUNE_CPU_* mask `cpu` (limited to
/// what the CPU has): AVX-512, AVX2 or the portable loop. Every path computes each output by the same
/// chain of fused multiply-adds, so all give the same bits.
void embedtune_packed_linear_forward_low_rank_on(int cpu, const float *inp, long m, long k, const float *packed,
                                                 long n, const float *bias, const float *residual, int activation,
                                                 const float *low, long rank, const float *low_packed, float *out);

#ifdef __cplusplus
}
#endif

#endif
