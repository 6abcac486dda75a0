// The bf16 packed product's AVX2 + FMA kernel (bf16_linear_avx2.c), called by bf16_linear.c when the
// CPU has AVX2 but not AVX-512: the widened kernel in ymm, on the same packed layout, each output the
// same chain of operations as the plain C loop's, so the same bits.
#ifndef EMBEDTUNE_BF16_LINEAR_AVX2_H
#define EMBEDTUNE_BF16_LINEAR_AVX2_H

#include <stdint.h>

#if defined(__x86_64__)
/// embedtune_bf16_linear_forward_low_rank's arguments, `scratch` the caller's
/// (embedtune_bf16_linear_scratch_bytes(k) bytes): a block of rows rounded to bf16 and kept as float32,
/// (EMBEDTUNE_PACKED_LINEAR_ROW_BLOCK, k rounded up to even), then half a panel widened to float32.
void embedtune_bf16_linear_forward_widened_avx2(const float *inp, long m, long k, const uint16_t *packed, long n,
                                                const float *bias, const float *residual, int activation,
                                                const float *low, long rank, const float *low_packed, float *out,
                                                float *scratch);
#endif

#endif
