// The elementwise and reduction kernels of the model and of exact search (exp, GELU, softmax,
// LayerNorm, dot products, Adam, ...), each written once on 16-lane vectors and compiled for
// AVX-512, AVX2 + FMA and the baseline target; embedtune_cpu_features() picks one per call. All
// paths give bit-identical results (same lane-wise operations, fused multiply-adds where written).
// Sizes are counts of floats; pointers may not alias unless said.
#ifndef EMBEDTUNE_VECTOR_KERNELS_H
#define EMBEDTUNE_VECTOR_KERNELS_H

#ifdef __cplusplus
extern "C" {
#endif

/// out[i] = e^inp[i] (0 below -87.33; clamped above at 88.3). out may equal inp.
void embedtune_vec_exp(const float *inp, long count, float *out);
/// out[i] = x Φ(x), Φ from the piecewise normal tail of gelu_table.h: the project's one GELU, bit for
/// bit what gelu.h's AVX-512 kernel and the packed products' stores give. out may equal inp.
void embedtune_gelu_reference_forward(const float *inp, long count, float *out);
/// dinp[i] += dout[i] * GELU'(inp[i]) * fault (fault is 1 except in tests); with `overwrite`,
/// dinp[i] = dout[i] * GELU'(inp[i]) * fault (dinp is not read).
void embedtune_gelu_backward(float *dinp, const float *inp, const float *dout, long count, float fault, int overwrite);
/// out[i] = GELU(inp[i]) and derivative[i] = GELU'(inp[i]), the bits of the two functions above (for a
/// forward that keeps the derivative instead of its input). derivative may equal inp.
void embedtune_gelu_keeping_derivative(const float *inp, long count, float *out, float *derivative);
/// `embedtune_gelu_backward` from the kept derivative: dinp[i] (+)= dout[i] * derivative[i] * fault,
/// the same bits.
void embedtune_gelu_backward_saved(float *dinp, const float *derivative, const float *dout, long count, float fault,
                                   int overwrite);

/// Σ x[i] y[i]: four 16-lane accumulators, then the lanes in order, then the scalar tail.
float embedtune_vec_dot(const float *x, const float *y, long n);
/// Σ x[i]: two 16-lane accumulators, then the lanes in order, then the scalar tail.
float embedtune_vec_sum(const float *x, long n);
/// Index of the first NaN or infinity of x[0..<n], or n when every value is finite.
long embedtune_vec_first_nonfinite(const float *x, long n);
/// y += alpha x (fused on whole vectors).
void embedtune_vec_axpy(float alpha, const float *x, float *y, long n);
/// y += x.
void embedtune_vec_add(const float *x, float *y, long n);
/// y *= x.
void embedtune_vec_mul(const float *x, float *y, long n);
/// out = x * y.
void embedtune_vec_mul_to(const float *x, const float *y, float *out, long n);
/// y *= alpha.
void embedtune_vec_scale(float *y, float alpha, long n);
/// dinp += dout * mask (fused on whole vectors).
void embedtune_vec_fma_into(const float *dout, const float *mask, float *dinp, long n);

/// dot(q, row) over `stride` floats (a multiple of 16): four 16-lane accumulators and a fixed tree
/// sum, so a rescored score equals the scanned one bit for bit.
float embedtune_scan_dot(const float *q, const float *row, long stride);
/// out[i] = embedtune_scan_dot(q, rows + i * stride, stride) for i < count.
void embedtune_scan_dots(const float *q, const float *rows, long stride, long count, float *out);

/// Row-wise softmax of (rows, cols), the row maximum subtracted first. out may equal inp.
void embedtune_softmax_forward(float *out, const float *inp, long rows, long cols);
/// dinp += out * (dout - Σ out * dout), row by row; dinp must not alias dout.
void embedtune_softmax_backward(float *dinp, const float *dout, const float *out, long rows, long cols);
/// grad = out * (grad - Σ out * grad), row by row, in place.
void embedtune_softmax_backward_in_place(float *grad, const float *out, long rows, long cols);

/// LayerNorm over rows of c: two-pass mean and variance; mean and rstd (n each) saved when non-null.
/// out may equal inp.
void embedtune_layer_norm_reference_forward(const float *inp, const float *weight, const float *bias, long n, long c,
                                            float eps, float *mean, float *rstd, float *out);
/// LayerNorm's backward, ACCUMULATED into dinp, dweight and dbias (either may be null); with
/// `overwrite`, written over dinp (not read), still accumulated into dweight and dbias.
void embedtune_layer_norm_backward(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                                   const float *weight, const float *mean, const float *rstd, long n, long c,
                                   int overwrite);

/// LoRA's input dropout backward: dinp += dx * m, m = keep where `dropped` (= inp * m) kept the
/// element (same sign bit as inp), 0 where it was dropped.
void embedtune_lora_dropout_backward(float *dinp, const float *dx, const float *dropped, const float *inp, float keep,
                                     long count);
/// weight (oc, c) += scale * (b (oc, r) @ a (r, c)), each sum in the order k = 0..r-1 with fused
/// multiply-adds and then acc * scale + weight fused: the same bits on every path and CPU.
void embedtune_lora_merge(float *weight, const float *a, const float *b, float scale, long c, long oc, long r);

/// One Adam/AdamW step's per-value constants (torch.optim semantics; see Training's Adam).
struct embedtune_adam_rule {
    int decoupled, decays;
    float shrink, l2, average_weight, beta2, one_minus_beta2, correction2, epsilon, step_size;
};
/// Updates parameters p, first and second moments m and v from gradients g, lane by lane.
void embedtune_adam_update(float *p, const float *g, float *m, float *v, long count,
                           const struct embedtune_adam_rule *rule);

/// Each kernel above as NAME_on(cpu, ...): the path of the EMBEDTUNE_CPU_* mask `cpu` (limited to
/// what the CPU has) whatever EMBEDTUNE_CPU says, for tests that compare the paths.
void embedtune_vec_exp_on(int cpu, const float *inp, long count, float *out);
void embedtune_gelu_reference_forward_on(int cpu, const float *inp, long count, float *out);
void embedtune_gelu_backward_on(int cpu, float *dinp, const float *inp, const float *dout, long count, float fault, int overwrite);
void embedtune_gelu_keeping_derivative_on(int cpu, const float *inp, long count, float *out, float *derivative);
void embedtune_gelu_backward_saved_on(int cpu, float *dinp, const float *derivative, const float *dout, long count,
                                      float fault, int overwrite);
float embedtune_vec_dot_on(int cpu, const float *x, const float *y, long n);
float embedtune_vec_sum_on(int cpu, const float *x, long n);
long embedtune_vec_first_nonfinite_on(int cpu, const float *x, long n);
void embedtune_vec_axpy_on(int cpu, float alpha, const float *x, float *y, long n);
void embedtune_vec_add_on(int cpu, const float *x, float *y, long n);
void embedtune_vec_mul_on(int cpu, const float *x, float *y, long n);
void embedtune_vec_mul_to_on(int cpu, const float *x, const float *y, float *out, long n);
void embedtune_vec_scale_on(int cpu, float *y, float alpha, long n);
void embedtune_vec_fma_into_on(int cpu, const float *dout, const float *mask, float *dinp, long n);
float embedtune_scan_dot_on(int cpu, const float *q, const float *row, long stride);
void embedtune_scan_dots_on(int cpu, const float *q, const float *rows, long stride, long count, float *out);
void embedtune_softmax_forward_on(int cpu, float *out, const float *inp, long rows, long cols);
void embedtune_softmax_backward_on(int cpu, float *dinp, const float *dout, const float *out, long rows, long cols);
void embedtune_softmax_backward_in_place_on(int cpu, float *grad, const float *out, long rows, long cols);
void embedtune_layer_norm_reference_forward_on(int cpu, const float *inp, const float *weight, const float *bias, long n, long c, float eps, float *mean, float *rstd, float *out);
void embedtune_layer_norm_backward_on(int cpu, float *dinp, float *dweight, float *dbias, const float *dout, const float *inp, const float *weight, const float *mean, const float *rstd, long n, long c, int overwrite);
void embedtune_lora_dropout_backward_on(int cpu, float *dinp, const float *dx, const float *dropped, const float *inp, float keep, long count);
void embedtune_lora_merge_on(int cpu, float *weight, const float *a, const float *b, float scale, long c, long oc, long r);
void embedtune_adam_update_on(int cpu, float *p, const float *g, float *m, float *v, long count, const struct embedtune_adam_rule *rule);

#ifdef __cplusplus
}
#endif

#endif
