// A frozen nn.Linear in int8, with two guards against the outliers that cost int8 its accuracy:
// - Smoothing (from the weights alone): input channel j is multiplied by t_j = sqrt(m_j / mean(m)),
//   m_j = max_c |w[c, j]|, and the weight's column j divided by it (w' = w / t, x' = x t, the product
//   unchanged), so columns of large weights no longer set every output channel's scale.
// - Outliers: the OUTLIERS inputs of largest |x'| in each row are left out of the row's range — it
//   spans [max(min(x', 0), -T), min(max(x', 0), T)], T the next largest |x'| — and their residuals
//   r = x' - sx (u - z) are added back in float32 times w'.
// The smoothed weight is quantised once per output channel (symmetric, scale max|w'| / 127), each
// smoothed input row per call to unsigned 8 bits with its own scale and zero point, products summed
// in int32:
// out[r, c] = sx[r] sw[c] (sum_k u[r, k] q[c, k] - z[r] sum_k q[c, k]) + sum_o res[r, o] w'[c, idx[r, o]]
//             + bias[c] (+ residual[r, c]),
// then the activation. AVX-512 VNNI (VPDPBUSD: unsigned activations times signed weights) where the
// CPU has it, else AVX2 (VPMADDWD on the bytes split into 16-bit pairs), else plain C, all on the same
// layout; the integer sums are exact and the store's float operations the same, so every path gives
// the same bits (GELU included: the one table GELU).
#ifndef EMBEDTUNE_INT8_LINEAR_H
#define EMBEDTUNE_INT8_LINEAR_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Inputs per row kept out of the row's range and added back in float32.
#define EMBEDTUNE_INT8_LINEAR_OUTLIERS 4

/// Bytes of the packed form of an (n, k) weight: ceil(n / 32) panels of ceil(k / 4) quads of 32 columns.
long embedtune_int8_linear_bytes(long n, long k);

/// Floats of the smoothed weight's float32 transposed copy: k rows of n columns padded to a multiple of 32.
long embedtune_int8_linear_outlier_weights_count(long n, long k);

/// Smooths, quantises and packs `weight` (n, k) row-major: fills smooth (k) = t, outlier_weights
/// (k, n padded to 32) = w'^T (zero in the padding), scales (n) = max_k |w'[c, k]| / 127,
/// packed[((p * ceil(k/4) + kq) * 32 + j) * 4 + e] = round(w'[p * 32 + j, 4 * kq + e] / scales[p * 32 + j])
/// (zero outside the weight) and sums (n) = sum_k packed values of channel c.
void embedtune_int8_linear_pack(const float *weight, long n, long k, int8_t *packed, float *scales, int32_t *sums,
                                float *smooth, float *outlier_weights);

/// Bytes of scratch `embedtune_int8_linear_forward` needs for inputs of k values: one block of rows
/// quantised, with their scales, zero points and outliers, and one smoothed row.
long embedtune_int8_linear_scratch_bytes(long k);

/// out (m, n) = act(the int8 product above of inp (m, k) + bias (n; NULL for none) + residual (m, n;
/// NULL for none; may equal out)), act = EMBEDTUNE_PACKED_LINEAR_IDENTITY or _GELU; `smooth` and
/// `outlier_weights` as the pack filled them. A row holding a
/// NaN or an infinity gives NaN outputs. `scratch`: 64-byte aligned,
/// `embedtune_int8_linear_scratch_bytes(k)` bytes, not shared with a concurrent call.
void embedtune_int8_linear_forward(const float *inp, long m, long k, const int8_t *packed, const float *scales,
                                   const int32_t *sums, long n, const float *bias, const float *residual,
                                   int activation, float *out, void *scratch, const float *smooth,
                                   const float *outlier_weights);

/// `embedtune_int8_linear_forward` on the path of the EMBEDTUNE_CPU_* mask `cpu` (limited to what the
/// CPU has): VNNI, AVX2 (VPMADDWD on 16-bit pairs) or portable. The int32 sums are exact on every path
/// and the store does the same float operations, so all give the same bits.
void embedtune_int8_linear_forward_on(int cpu, const float *inp, long m, long k, const int8_t *packed,
                                      const float *scales, const int32_t *sums, long n, const float *bias,
                                      const float *residual, int activation, float *out, void *scratch,
                                      const float *smooth, const float *outlier_weights);

#ifdef __cplusplus
}
#endif

#endif
