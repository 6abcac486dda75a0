// A frozen nn.Linear in int8: the weight quantised once per output channel (symmetric, scale
// max|w| / 127), each input row quantised per call to unsigned 8 bits with its own scale and zero
// point (asymmetric over [min(x, 0), max(x, 0)]), products summed in int32:
// out[r, c] = sx[r] sw[c] (sum_k u[r, k] q[c, k] - z[r] sum_k q[c, k]) + bias[c] (+ residual[r, c]),
// then the activation. AVX-512 VNNI (VPDPBUSD: unsigned activations times signed weights) where the
// CPU has it, else plain C (compiled for AVX-512, AVX2 and the baseline) on the same layout; the
// integer sums are exact, so every path gives the same bits (GELU aside: the table GELU on the VNNI
// path, the erf GELU of the vector kernels otherwise).
#ifndef EMBEDTUNE_INT8_LINEAR_H
#define EMBEDTUNE_INT8_LINEAR_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Bytes of the packed form of an (n, k) weight: ceil(n / 32) panels of ceil(k / 4) quads of 32 columns.
long embedtune_int8_linear_bytes(long n, long k);

/// Quantises and packs `weight` (n, k) row-major: packed[((p * ceil(k/4) + kq) * 32 + j) * 4 + e] =
/// round(weight[(p * 32 + j) * k + 4 * kq + e] / scales[p * 32 + j]) (zero outside the weight), and
/// fills scales (n) = max_k |weight[c, k]| / 127 and sums (n) = sum_k packed values of channel c.
void embedtune_int8_linear_pack(const float *weight, long n, long k, int8_t *packed, float *scales, int32_t *sums);

/// Bytes of scratch `embedtune_int8_linear_forward` needs for inputs of k values: one block of rows
/// quantised, with their scales and zero points.
long embedtune_int8_linear_scratch_bytes(long k);

/// out (m, n) = act(the int8 product above of inp (m, k) + bias (n; NULL for none) + residual (m, n;
/// NULL for none; may equal out)), act = EMBEDTUNE_PACKED_LINEAR_IDENTITY or _GELU. A row holding a
/// NaN or an infinity gives NaN outputs. `scratch`: 64-byte aligned,
/// `embedtune_int8_linear_scratch_bytes(k)` bytes, not shared with a concurrent call.
void embedtune_int8_linear_forward(const float *inp, long m, long k, const int8_t *packed, const float *scales,
                                   const int32_t *sums, long n, const float *bias, const float *residual,
                                   int activation, float *out, void *scratch);

#ifdef __cplusplus
}
#endif

#endif
