// The exact GELU forward, gelu(x) = x Φ(x) = 0.5 x (1 + erf(x / sqrt 2)), on AVX-512: the FFN's
// activation, bit for bit embedtune_gelu_reference_forward (vector_kernels.h) with the table
// lookups done by permutes.
#ifndef EMBEDTUNE_GELU_H
#define EMBEDTUNE_GELU_H

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when this CPU runs the kernel (AVX-512 F/BW/VL); otherwise callers use their portable loop.
int embedtune_gelu_available(void);

/// out[i] = gelu(inp[i]) for i < count; `out` may equal `inp`. Requires `embedtune_gelu_available()`.
void embedtune_gelu_forward(const float *inp, long count, float *out);

#ifdef __cplusplus
}
#endif

#endif
