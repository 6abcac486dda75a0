// LayerNorm forward over rows on AVX-512 (torch.nn.LayerNorm over the last dimension, biased
// variance): out = (x - mean) / sqrt(var + eps) * weight + bias. Kernels' LayerNorm.forward calls it
// when the CPU has AVX-512 and C is a multiple of 16.
#ifndef EMBEDTUNE_LAYER_NORM_H
#define EMBEDTUNE_LAYER_NORM_H

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when this CPU runs the kernel (AVX-512 F/BW/VL) for rows of `c` floats (c > 0, c % 16 == 0).
int embedtune_layer_norm_available(long c);

/// For each of the n rows of inp (n, c): out row = normalised row * weight (c) + bias (c); the row's
/// mean and 1 / sqrt(var + eps) go to mean[row] and rstd[row] when those are not NULL. `out` may
/// equal `inp`. Requires `embedtune_layer_norm_available(c)`.
void embedtune_layer_norm_forward(const float *inp, const float *weight, const float *bias, long n, long c,
                                  float eps, float *mean, float *rstd, float *out);

#ifdef __cplusplus
}
#endif

#endif
