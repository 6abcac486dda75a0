// Scaled dot-product attention of one head of one sequence, for the forward-only inference path
// (no probabilities kept, no dropout): out = softmax(scale * Q K^T) V, fused in one pass per query
// row with AVX-512 or AVX2, instead of two small matrix products and a softmax pass.
#ifndef EMBEDTUNE_ATTENTION_HEAD_H
#define EMBEDTUNE_ATTENTION_HEAD_H

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when this CPU runs a kernel (AVX-512 F/BW/VL, or AVX2 + FMA) for head size `hs` (a multiple of 16).
int embedtune_attention_head_available(long hs);

/// Floats of scratch `embedtune_attention_head` needs for a sequence of `l` tokens.
long embedtune_attention_head_scratch_floats(long l, long hs);

/// q, k, v: (l, hs) blocks of rows `ld` floats apart (one head's columns of packed (N, C) buffers);
/// out: the same layout. Without `embedtune_attention_head_available(hs)` a plain C loop runs. Every
/// path gives the same bits.
void embedtune_attention_head(const float *q, const float *k, const float *v, long ld, long l, long hs,
                              float scale, float *scratch, float *out);
/// The same on the path `cpu` (EMBEDTUNE_CPU_* bits, limited to what the CPU has; 0: the plain loop).
void embedtune_attention_head_on(int cpu, const float *q, const float *k, const float *v, long ld, long l, long hs,
                                 float scale, float *scratch, float *out);

#ifdef __cplusplus
}
#endif

#endif
