// Dropout masks drawn from SplitMix64 (the project's generator, Tensor/SplitMix64.swift) eight
// draws at a time: SplitMix64's draw i from a state s is a mix of s + i * 0x9E3779B97F4A7C15 alone,
// so the draws of a mask are independent and come out the same bits as one after another.
#ifndef EMBEDTUNE_DROPOUT_MASK_H
#define EMBEDTUNE_DROPOUT_MASK_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// mask[i] = 0 if u_i < p else keep, for i in 0..<count, where u_i is the (i + 1)-th uniform
/// SplitMix64 draws from `state` (its top 24 bits times 2^-24, as `nextUniform`); and, when `out`
/// is not NULL, out[i] = inp[i] * mask[i] (`out` may be `inp`). Returns the generator's state after
/// the count draws.
uint64_t embedtune_dropout_mask(uint64_t state, float p, float keep, const float *inp, float *out, float *mask,
                                long count);

#ifdef __cplusplus
}
#endif

#endif
