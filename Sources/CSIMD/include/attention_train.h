// Scaled dot-product attention of one head of one sequence for training, forward and backward side
// by side: the probabilities are kept for backward and BERT's attention dropout (a mask on them) is
// applied before the product with V. AVX-512 and AVX2 kernels in place of six small OpenBLAS products
// and the softmax, mask and product passes around them; every path (and the plain loops) gives the
// same bits.
//   forward   P = softmax(scale Q K^T);            out = (P · M) V
//   backward  dV = (P · M)^T dout;  dP = (dout V^T) · M;  dS = scale P (dP - rowsum(P dP));
//             dQ = dS K;  dK = dS^T Q
// M is the dropout mask (NULL: none). Sizes: l tokens, hs channels of the head.
#ifndef EMBEDTUNE_ATTENTION_TRAIN_H
#define EMBEDTUNE_ATTENTION_TRAIN_H

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when this CPU runs the kernels (AVX-512 F/BW/VL, or AVX2 + FMA) for head size `hs` (a multiple of 16).
int embedtune_attention_train_available(long hs);

/// Floats of scratch either function needs for a sequence of `l` tokens.
long embedtune_attention_train_scratch_floats(long l, long hs);

/// q, k, v, out: (l, hs) blocks of rows `ld` floats apart (one head's columns of packed (N, C)
/// buffers). probs: (l, l) contiguous, written. mask: (l, l) contiguous or NULL. out is written over.
/// Without `embedtune_attention_train_available(hs)` a plain C loop runs.
void embedtune_attention_train_forward(const float *q, const float *k, const float *v, long ld, long l, long hs,
                                       float scale, const float *mask, float *probs, float *scratch, float *out);

/// The gradients of the forward from dout (ld as q): dq, dk, dv written over (`overwrite`) or
/// accumulated into. probs: the forward's; mask: the forward's (or NULL).
void embedtune_attention_train_backward(const float *q, const float *k, const float *v, const float *dout, long ld,
                                        long l, long hs, float scale, const float *probs, const float *mask,
                                        float *scratch, float *dq, float *dk, float *dv, int overwrite);
/// The two on the path `cpu` (EMBEDTUNE_CPU_* bits, limited to what the CPU has; 0: the plain loops).
void embedtune_attention_train_forward_on(int cpu, const float *q, const float *k, const float *v, long ld, long l,
                                          long hs, float scale, const float *mask, float *probs, float *scratch,
                                          float *out);
void embedtune_attention_train_backward_on(int cpu, const float *q, const float *k, const float *v, const float *dout,
                                           long ld, long l, long hs, float scale, const float *probs,
                                           const float *mask, float *scratch, float *dq, float *dk, float *dv,
                                           int overwrite);

#ifdef __cplusplus
}
#endif

#endif
