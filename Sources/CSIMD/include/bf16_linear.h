// A frozen nn.Linear in bfloat16: the weight converted once to bf16 and laid out in panels of 32
// output channels, the input rows converted to bf16 per call (round to nearest even), products summed
// in float32: out (M, N) = act(bf16(inp) (M, K) @ bf16(weight)^T (K, N) + bias (N) [+ residual (M, N)]).
// Kernels on the same layout, so a packed weight serves every path, giving the same bits (but for
// denormals, which VDPBF16PS flushes, products beyond float32's range and NaN payloads; bf16_linear.c):
// VDPBF16PS where the CPU has AVX512-BF16 and its dot is fast; the bf16 pairs widened to float32 for
// FMAs on other AVX-512 CPUs, and likewise in AVX2 + FMA on CPUs without AVX-512; plain C (compiled
// for AVX2 + FMA and the baseline) otherwise.
#ifndef EMBEDTUNE_BF16_LINEAR_H
#define EMBEDTUNE_BF16_LINEAR_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// bf16 values of the packed form of an (n, k) weight: ceil(n / 32) panels of ceil(k / 2) pairs of
/// 32 columns (k padded with zeros to even).
long embedtune_bf16_linear_elements(long n, long k);

/// Converts and packs `weight` (n, k) row-major: packed[((p * ceil(k/2) + kp) * 32 + j) * 2 + e] =
/// bf16(weight[(p * 32 + j) * k + 2 * kp + e]), zero outside the weight. 64-byte aligned.
void embedtune_bf16_linear_pack(const float *weight, long n, long k, uint16_t *packed);

/// Bytes of scratch `embedtune_bf16_linear_forward` needs for a call with inputs of k values: one
/// block of rows rounded to bf16 (kept as float32 by the widened kernels), and half a panel of the
/// weight widened to float32 (the AVX2 kernel).
long embedtune_bf16_linear_scratch_bytes(long k);

/// out (m, n) = act(bf16(inp) (m, k) @ W^T + bias (n; NULL for none) + residual (m, n; NULL for none;
/// may equal out)), act = EMBEDTUNE_PACKED_LINEAR_IDENTITY or _GELU. `scratch`: 64-byte aligned,
/// `embedtune_bf16_linear_scratch_bytes(k)` bytes, not shared with a concurrent call.
void embedtune_bf16_linear_forward(const float *inp, long m, long k, const uint16_t *packed, long n,
                                   const float *bias, const float *residual, int activation, float *out,
                                   void *scratch);

/// `embedtune_bf16_linear_forward` plus a float32 low-rank term in the same accumulators, before the
/// activation: out = act(bf16(inp) @ W^T + bias + residual + low (m, rank) row-major @ up^T), with
/// `low_packed` packed from up (n, rank) by `embedtune_packed_linear_pack` (k = rank), float32 FMAs.
/// `low` NULL or rank 0: no term.
void embedtune_bf16_linear_forward_low_rank(const float *inp, long m, long k, const uint16_t *packed, long n,
                                            const float *bias, const float *residual, int activation,
                                            const float *low, long rank, const float *low_packed, float *out,
                                            void *scratch);

/// The kernels, for `embedtune_bf16_linear_forward_with`.
enum {
    EMBEDTUNE_BF16_PLAIN = 0,         // plain C, baseline
    EMBEDTUNE_BF16_PLAIN_AVX2 = 1,    // plain C compiled for AVX2 + FMA (tests compare it; not dispatched)
    EMBEDTUNE_BF16_WIDENED = 2,       // AVX-512 F: bf16 pairs widened to float32, FMAs
    EMBEDTUNE_BF16_DOT = 3,           // AVX512-BF16: VDPBF16PS
    EMBEDTUNE_BF16_WIDENED_AVX2 = 4,  // AVX2 + FMA without AVX-512: the widened kernel in ymm
};

/// The kernel `embedtune_bf16_linear_forward` takes on this CPU under embedtune_cpu_features(): the
/// first it has of DOT (where VDPBF16PS is fast), WIDENED, WIDENED_AVX2, PLAIN.
int embedtune_bf16_linear_kernel(void);

/// embedtune_bf16_linear_forward through `kernel` (tests compare them); 0 without running when the
/// CPU lacks it, else 1.
int embedtune_bf16_linear_forward_with(int kernel, const float *inp, long m, long k, const uint16_t *packed, long n,
                                       const float *bias, const float *residual, int activation, float *out,
                                       void *scratch);

/// embedtune_bf16_linear_forward_low_rank through `kernel`; 0 without running when the CPU lacks it.
int embedtune_bf16_linear_forward_low_rank_with(int kernel, const float *inp, long m, long k, const uint16_t *packed,
                                                long n, const float *bias, const float *residual, int activation,
                                                const float *low, long rank, const float *low_packed, float *out,
                                                void *scratch);

/// float32 -> bfloat16, round to nearest even (NaN stays NaN): the conversion of every path.
uint16_t embedtune_bf16_from_float(float x);

#ifdef __cplusplus
}
#endif

#endif
