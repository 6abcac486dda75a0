// The AVX2 + FMA attention kernels (attention_avx2.c), called by attention_head.c and
// attention_train.c when the CPU has AVX2 but not AVX-512: the same functions, the same scratch
// layout and, output by output, the same chain of operations as the AVX-512 kernels, so the same bits.
#ifndef EMBEDTUNE_ATTENTION_AVX2_H
#define EMBEDTUNE_ATTENTION_AVX2_H

#if defined(__x86_64__)
void embedtune_attention_head_avx2(const float *q, const float *k, const float *v, long ld, long l, long hs,
                                   float scale, float *scratch, float *out);
void embedtune_attention_train_forward_avx2(const float *q, const float *k, const float *v, long ld, long l, long hs,
                                            float scale, const float *mask, float *probs, float *scratch, float *out);
void embedtune_attention_train_backward_avx2(const float *q, const float *k, const float *v, const float *dout,
                                             long ld, long l, long hs, float scale, const float *probs,
                                             const float *mask, float *scratch, float *dq, float *dk, float *dv,
                                             int overwrite);
#endif

#endif
