// See include/vector_kernels.h. Each kernel is a `_body` function on 16-lane vectors (vector16.h),
// compiled for AVX-512, AVX2 + FMA and the baseline target and chosen at run time.
#pragma clang fp contract(off)

#include "vector_kernels.h"
#include "vector16.h"
#include "vector16_math.h"

// exp or GELU over count floats (which 0 or 1), and GELU's backward, as NAME##SUFFIX with the GELU
// functions GELU, DERIVATIVE and CDF (vector16_math.h): once with indexed lookups for
// every path, once with permutes for the AVX-512 one (called only from it); the same bits.
#define EMBEDTUNE_GELU_KERNELS(SUFFIX, GELU, DERIVATIVE, CDF)                                                   \
    V16 void map##SUFFIX(const float *inp, long count, float *out, int which) {                              \
        long i = 0;                                                                                         \
        for (; i + 16 <= count; i += 16) {                                                                  \
            const v16f x = v16_load(inp + i);                                                               \
            v16_store(out + i, which == 0 ? v16_exp(x) : GELU(x));                                          \
        }                                                                                                   \
        if (i < count) {                                                                                    \
            const v16f x = v16_load_tail(inp + i, count - i, 0);                                            \
            v16_store_tail(out + i, which == 0 ? v16_exp(x) : GELU(x), count - i);                          \
        }                                                                                                   \
    }                                                                                                       \
    V16 void gelu_backward##SUFFIX(float *dinp, const float *inp, const float *dout, long count,            \
                                   float fault, int overwrite) {                                            \
        long i = 0;                                                                                         \
        const v16f zero = v16_splat(0.0f);                                                                  \
        for (; i + 16 <= count; i += 16) {                                                                  \
            const v16f d = DERIVATIVE(v16_load(inp + i)) * fault;                                           \
            const v16f old = overwrite ? zero : v16_load(dinp + i);                                         \
            v16_store(dinp + i, v16_fma(v16_load(dout + i), d, old));                                       \
        }                                                                                                   \
        if (i < count) {                                                                                    \
            const long r = count - i;                                                                       \
            const v16f d = DERIVATIVE(v16_load_tail(inp + i, r, 0)) * fault;                                \
            const v16f old = overwrite ? zero : v16_load_tail(dinp + i, r, 0);                              \
            v16_store_tail(dinp + i, v16_fma(v16_load_tail(dout + i, r, 0), d, old), r);                    \
        }                                                                                                   \
    }                                                                                                       \
    V16 void gelu_keeping_derivative##SUFFIX(const float *inp, long count, float *out, float *derivative) {   \
        long i = 0;                                                                                         \
        for (; i + 16 <= count; i += 16) {                                                                  \
            const v16f x = v16_load(inp + i), cdf = CDF(x);                                                 \
            v16_store(out + i, x * cdf);                                                                    \
            v16_store(derivative + i, DERIVATIVE##_at(x, cdf));                                             \
        }                                                                                                   \
        if (i < count) {                                                                                    \
            const v16f x = v16_load_tail(inp + i, count - i, 0), cdf = CDF(x);                              \
            v16_store_tail(out + i, x * cdf, count - i);                                                    \
            v16_store_tail(derivative + i, DERIVATIVE##_at(x, cdf), count - i);                             \
        }                                                                                                   \
    }

EMBEDTUNE_GELU_KERNELS(_body, v16_gelu, v16_gelu_derivative, v16_normal_cdf)
#if defined(__x86_64__)
EMBEDTUNE_GELU_KERNELS(_permuted, v16_gelu_avx512, v16_gelu_derivative_avx512, v16_normal_cdf_avx512)
#else
#define map_permuted map_body
#define gelu_backward_permuted gelu_backward_body
#define gelu_keeping_derivative_permuted gelu_keeping_derivative_body
#endif

#define embedtune_vec_exp_body(inp, count, out) map_body(inp, count, out, 0)
#define embedtune_gelu_reference_forward_body(inp, count, out) map_body(inp, count, out, 1)
#define embedtune_gelu_backward_body gelu_backward_body
#define gelu_forward_permuted(inp, count, out) map_permuted(inp, count, out, 1)
EMBEDTUNE_VARIANTS(void, embedtune_vec_exp, (inp, count, out),
                   const float *inp, long count, float *out)
EMBEDTUNE_VARIANTS_OF(void, embedtune_gelu_reference_forward, gelu_forward_permuted, (inp, count, out),
                      const float *inp, long count, float *out)
EMBEDTUNE_VARIANTS_OF(void, embedtune_gelu_backward, gelu_backward_permuted, (dinp, inp, dout, count, fault, overwrite),
                      float *dinp, const float *inp, const float *dout, long count, float fault, int overwrite)
#define embedtune_gelu_keeping_derivative_body gelu_keeping_derivative_body
EMBEDTUNE_VARIANTS_OF(void, embedtune_gelu_keeping_derivative, gelu_keeping_derivative_permuted,
                      (inp, count, out, derivative), const float *inp, long count, float *out, float *derivative)

// GELU's backward from the derivative its forward kept: the multiply-add of gelu_backward with d given.
V16 void embedtune_gelu_backward_saved_body(float *dinp, const float *derivative, const float *dout, long count,
                                            float fault, int overwrite) {
    long i = 0;
    const v16f zero = v16_splat(0.0f);
    for (; i + 16 <= count; i += 16) {
        const v16f d = v16_load(derivative + i) * fault;
        const v16f old = overwrite ? zero : v16_load(dinp + i);
        v16_store(dinp + i, v16_fma(v16_load(dout + i), d, old));
    }
    if (i < count) {
        const long r = count - i;
        const v16f d = v16_load_tail(derivative + i, r, 0) * fault;
        const v16f old = overwrite ? zero : v16_load_tail(dinp + i, r, 0);
        v16_store_tail(dinp + i, v16_fma(v16_load_tail(dout + i, r, 0), d, old), r);
    }
}
EMBEDTUNE_VARIANTS(void, embedtune_gelu_backward_saved, (dinp, derivative, dout, count, fault, overwrite),
                   float *dinp, const float *derivative, const float *dout, long count, float fault, int overwrite)

// MARK: reductions and elementwise products

/// The 16-lane products of x and y over the whole vectors of n (n - n % 16 floats): four accumulators
/// over steps of 64, the rest into the first, then (a0 + a1) + (a2 + a3).
V16 v16f dot_lanes(const float *x, const float *y, long n) {
    v16f a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
    long i = 0;
    for (; i + 64 <= n; i += 64) {
        a0 = v16_fma(v16_load(x + i), v16_load(y + i), a0);
        a1 = v16_fma(v16_load(x + i + 16), v16_load(y + i + 16), a1);
        a2 = v16_fma(v16_load(x + i + 32), v16_load(y + i + 32), a2);
        a3 = v16_fma(v16_load(x + i + 48), v16_load(y + i + 48), a3);
    }
    for (; i + 16 <= n; i += 16) a0 = v16_fma(v16_load(x + i), v16_load(y + i), a0);
    return (a0 + a1) + (a2 + a3);
}

V16 float embedtune_vec_dot_body(const float *x, const float *y, long n) {
    float s = v16_ordered_sum(dot_lanes(x, y, n));
    for (long i = n - n % 16; i < n; i++) s += x[i] * y[i];
    return s;
}
EMBEDTUNE_VARIANTS(float, embedtune_vec_dot, (x, y, n),
                   const float *x, const float *y, long n)

V16 float embedtune_vec_sum_body(const float *x, long n) {
    v16f a0 = {0}, a1 = {0};
    long i = 0;
    for (; i + 32 <= n; i += 32) {
        a0 += v16_load(x + i);
        a1 += v16_load(x + i + 16);
    }
    float s = v16_ordered_sum(a0 + a1);
    for (; i < n; i++) s += x[i];
    return s;
}
EMBEDTUNE_VARIANTS(float, embedtune_vec_sum, (x, n),
                   const float *x, long n)

V16 void embedtune_vec_axpy_body(float alpha, const float *x, float *y, long n) {
    long i = 0;
    for (; i + 16 <= n; i += 16) v16_store(y + i, v16_fma(v16_splat(alpha), v16_load(x + i), v16_load(y + i)));
    for (; i < n; i++) y[i] += alpha * x[i];
}
EMBEDTUNE_VARIANTS(void, embedtune_vec_axpy, (alpha, x, y, n),
                   float alpha, const float *x, float *y, long n)

/// y op= x for op 0 (+) and 1 (*); y *= alpha for op 2.
V16 void elementwise_body(const float *x, float alpha, float *y, long n, int op) {
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        const v16f v = v16_load(y + i);
        v16_store(y + i, op == 0 ? v + v16_load(x + i) : op == 1 ? v * v16_load(x + i) : v * alpha);
    }
    for (; i < n; i++) y[i] = op == 0 ? y[i] + x[i] : op == 1 ? y[i] * x[i] : y[i] * alpha;
}
#define embedtune_vec_add_body(x, y, n) elementwise_body(x, 0, y, n, 0)
#define embedtune_vec_mul_body(x, y, n) elementwise_body(x, 0, y, n, 1)
#define embedtune_vec_scale_body(y, alpha, n) elementwise_body(0, alpha, y, n, 2)
EMBEDTUNE_VARIANTS(void, embedtune_vec_add, (x, y, n),
                   const float *x, float *y, long n)
EMBEDTUNE_VARIANTS(void, embedtune_vec_mul, (x, y, n),
                   const float *x, float *y, long n)
EMBEDTUNE_VARIANTS(void, embedtune_vec_scale, (y, alpha, n),
                   float *y, float alpha, long n)

/// out = x * y, elementwise (the bits of `embedtune_vec_mul` on a copy).
V16 void embedtune_vec_mul_to_body(const float *x, const float *y, float *out, long n) {
    long i = 0;
    for (; i + 16 <= n; i += 16) v16_store(out + i, v16_load(x + i) * v16_load(y + i));
    for (; i < n; i++) out[i] = x[i] * y[i];
}
EMBEDTUNE_VARIANTS(void, embedtune_vec_mul_to, (x, y, out, n),
                   const float *x, const float *y, float *out, long n)

/// dinp += dout * mask (dropout's backward).
V16 void embedtune_vec_fma_into_body(const float *dout, const float *mask, float *dinp, long n) {
    long i = 0;
    for (; i + 16 <= n; i += 16) v16_store(dinp + i, v16_fma(v16_load(dout + i), v16_load(mask + i), v16_load(dinp + i)));
    for (; i < n; i++) dinp[i] += dout[i] * mask[i];
}
EMBEDTUNE_VARIANTS(void, embedtune_vec_fma_into, (dout, mask, dinp, n),
                   const float *dout, const float *mask, float *dinp, long n)

/// Index of the first NaN or infinity of x[0..<n], or n: whole blocks of 64 are tested on the exponent
/// bits, and only a block holding one is searched element by element.
V16 long embedtune_vec_first_nonfinite_body(const float *x, long n) {
    const v16i exponent = (v16i){0} + 0x7F800000;
    long i = 0;
    for (; i + 64 <= n; i += 64) {
        v16i any = {0};
        for (int u = 0; u < 4; u++) any |= ((v16i)v16_load(x + i + 16 * u) & exponent) == exponent;
        int hit = 0;
        for (int j = 0; j < 16; j++) hit |= any[j];
        if (hit) break;
    }
    for (; i < n; i++) {
        unsigned bits;
        __builtin_memcpy(&bits, x + i, sizeof bits);
        if ((bits & 0x7F800000u) == 0x7F800000u) return i;
    }
    return n;
}
EMBEDTUNE_VARIANTS(long, embedtune_vec_first_nonfinite, (x, n),
                   const float *x, long n)

// MARK: exact search

/// stride is a multiple of 16: no scalar tail; a fixed tree sum.
V16 float scan_dot(const float *q, const float *row, long stride) { return v16_tree_sum(dot_lanes(q, row, stride)); }

V16 float embedtune_scan_dot_body(const float *q, const float *row, long stride) { return scan_dot(q, row, stride); }
EMBEDTUNE_VARIANTS(float, embedtune_scan_dot, (q, row, stride),
                   const float *q, const float *row, long stride)

V16 void embedtune_scan_dots_body(const float *q, const float *rows, long stride, long count, float *out) {
    for (long i = 0; i < count; i++) out[i] = scan_dot(q, rows + i * stride, stride);
}
EMBEDTUNE_VARIANTS(void, embedtune_scan_dots, (q, rows, stride, count, out),
                   const float *q, const float *rows, long stride, long count, float *out)

// MARK: softmax

V16 void softmax_row(float *o, const float *x, long n) {
    if (n < 16) {
        const v16f v = v16_load_tail(x, n, -__builtin_inff());
        const v16f e = v16_exp(v - v16_tree_max(v));
        v16_store_tail(o, e * (1 / v16_tree_sum(e)), n);
        return;
    }
    const long full = n - n % 16, rem = n % 16;
    const v16f last = v16_load(x + n - 16);
    v16f m0 = last, m1 = last;
    long i = 0;
    for (; i + 32 <= full; i += 32) {
        const v16f v0 = v16_load(x + i), v1 = v16_load(x + i + 16);
        m0 = v16_select(v0 > m0, v0, m0);
        m1 = v16_select(v1 > m1, v1, m1);
    }
    if (i < full) {
        const v16f v = v16_load(x + i);
        m0 = v16_select(v > m0, v, m0);
    }
    m0 = v16_select(m1 > m0, m1, m0);
    const v16f mb = v16_splat(v16_tree_max(m0));
    const v16f e_last = v16_exp(last - mb);
    // lanes below 16 - rem of the last vector repeat earlier elements: out of the sum
    v16f keep = {0};
    for (int j = 0; j < 16; j++) keep[j] = j >= 16 - rem ? 1.0f : 0.0f;
    v16f s0 = e_last * keep, s1 = {0};
    for (i = 0; i + 32 <= full; i += 32) {
        const v16f e0 = v16_exp(v16_load(x + i) - mb), e1 = v16_exp(v16_load(x + i + 16) - mb);
        v16_store(o + i, e0);
        v16_store(o + i + 16, e1);
        s0 += e0;
        s1 += e1;
    }
    if (i < full) {
        const v16f e = v16_exp(v16_load(x + i) - mb);
        v16_store(o + i, e);
        s0 += e;
    }
    const v16f inv = v16_splat(1 / v16_tree_sum(s0 + s1));
    for (i = 0; i < full; i += 16) v16_store(o + i, v16_load(o + i) * inv);
    if (rem > 0) v16_store(o + n - 16, e_last * inv);
}

V16 void embedtune_softmax_forward_body(float *out, const float *inp, long rows, long cols) {
    for (long r = 0; r < rows; r++) softmax_row(out + r * cols, inp + r * cols, cols);
}
EMBEDTUNE_VARIANTS(void, embedtune_softmax_forward, (out, inp, rows, cols),
                   float *out, const float *inp, long rows, long cols)

V16 void embedtune_softmax_backward_body(float *dinp, const float *dout, const float *out, long rows, long cols) {
    for (long r = 0; r < rows; r++) {
        const float *y = out + r * cols, *g = dout + r * cols;
        float *dx = dinp + r * cols;
        const float dot = embedtune_vec_dot_body(y, g, cols);
        const v16f dv = v16_splat(dot);
        long i = 0;
        for (; i + 16 <= cols; i += 16) v16_store(dx + i, v16_fma(v16_load(y + i), v16_load(g + i) - dv, v16_load(dx + i)));
        for (; i < cols; i++) dx[i] += y[i] * (g[i] - dot);
    }
}
EMBEDTUNE_VARIANTS(void, embedtune_softmax_backward, (dinp, dout, out, rows, cols),
                   float *dinp, const float *dout, const float *out, long rows, long cols)

V16 void embedtune_softmax_backward_in_place_body(float *grad, const float *out, long rows, long cols) {
    for (long r = 0; r < rows; r++) {
        const float *y = out + r * cols;
        float *g = grad + r * cols;
        const float dot = embedtune_vec_dot_body(y, g, cols);
        const v16f dv = v16_splat(dot);
        if (cols < 16) {
            for (long i = 0; i < cols; i++) g[i] = y[i] * (g[i] - dot);
            continue;
        }
        // The last 16 elements are read before any write (they may overlap the last full vector).
        const v16f last = v16_load(y + cols - 16) * (v16_load(g + cols - 16) - dv);
        long i = 0;
        for (; i + 16 <= cols; i += 16) v16_store(g + i, v16_load(y + i) * (v16_load(g + i) - dv));
        if (i < cols) v16_store(g + cols - 16, last);
    }
}
EMBEDTUNE_VARIANTS(void, embedtune_softmax_backward_in_place, (grad, out, rows, cols),
                   float *grad, const float *out, long rows, long cols)

// MARK: LayerNorm

V16 void embedtune_layer_norm_reference_forward_body(const float *inp, const float *weight, const float *bias, long n,
                                                      long c, float eps, float *mean, float *rstd, float *out) {
    const long vector_end = c - c % 16;
    for (long row = 0; row < n; row++) {
        const float *x = inp + row * c;
        float *o = out + row * c;
        const float m = embedtune_vec_sum_body(x, c) / (float)c;
        const v16f mv = v16_splat(m);
        v16f a0 = {0}, a1 = {0};
        long i = 0;
        for (; i + 32 <= c; i += 32) {
            const v16f d0 = v16_load(x + i) - mv, d1 = v16_load(x + i + 16) - mv;
            a0 = v16_fma(d0, d0, a0);
            a1 = v16_fma(d1, d1, a1);
        }
        if (i < vector_end) {
            const v16f d = v16_load(x + i) - mv;
            a0 = v16_fma(d, d, a0);
            i += 16;
        }
        float variance = v16_tree_sum(a0 + a1);
        for (; i < c; i++) {
            const float d = x[i] - m;
            variance += d * d;
        }
        variance /= (float)c;
        const float s = 1 / __builtin_sqrtf(variance + eps);
        if (mean) mean[row] = m;
        if (rstd) rstd[row] = s;
        const v16f sv = v16_splat(s);
        for (i = 0; i < vector_end; i += 16) {
            const v16f norm = (v16_load(x + i) - mv) * sv;
            v16_store(o + i, v16_fma(norm, v16_load(weight + i), v16_load(bias + i)));
        }
        for (; i < c; i++) o[i] = (x[i] - m) * s * weight[i] + bias[i];
    }
}
EMBEDTUNE_VARIANTS(void, embedtune_layer_norm_reference_forward, (inp, weight, bias, n, c, eps, mean, rstd, out),
                   const float *inp, const float *weight, const float *bias, long n, long c, float eps, float *mean, float *rstd, float *out)

V16 void embedtune_layer_norm_backward_body(float *dinp, float *dweight, float *dbias, const float *dout,
                                             const float *inp, const float *weight, const float *mean,
                                             const float *rstd, long n, long c, int overwrite) {
    const long vector_end = c - c % 16;
    for (long row = 0; row < n; row++) {
        const float *x = inp + row * c, *g = dout + row * c;
        float *dx = dinp + row * c;
        const float m = mean[row], s = rstd[row];
        const v16f mv = v16_splat(m), sv = v16_splat(s);
        v16f sum_d = {0}, sum_dn = {0};
        long i = 0;
        for (; i < vector_end; i += 16) {
            const v16f norm = (v16_load(x + i) - mv) * sv;
            const v16f dnorm = v16_load(weight + i) * v16_load(g + i);
            sum_d += dnorm;
            sum_dn = v16_fma(dnorm, norm, sum_dn);
        }
        float d_mean = v16_tree_sum(sum_d), dn_mean = v16_tree_sum(sum_dn);
        for (; i < c; i++) {
            const float norm = (x[i] - m) * s;
            const float dnorm = weight[i] * g[i];
            d_mean += dnorm;
            dn_mean += dnorm * norm;
        }
        d_mean /= (float)c;
        dn_mean /= (float)c;
        const v16f dmv = v16_splat(d_mean), dnmv = v16_splat(dn_mean);
        for (i = 0; i < vector_end; i += 16) {
            const v16f norm = (v16_load(x + i) - mv) * sv;
            const v16f gv = v16_load(g + i);
            const v16f dnorm = v16_load(weight + i) * gv;
            const v16f term = (dnorm - dmv - norm * dnmv) * sv;
            v16_store(dx + i, overwrite ? term : v16_load(dx + i) + term);
            if (dweight) v16_store(dweight + i, v16_fma(norm, gv, v16_load(dweight + i)));
            if (dbias) v16_store(dbias + i, v16_load(dbias + i) + gv);
        }
        for (; i < c; i++) {
            const float norm = (x[i] - m) * s;
            const float dnorm = weight[i] * g[i];
            const float term = (dnorm - d_mean - norm * dn_mean) * s;
            dx[i] = overwrite ? term : dx[i] + term;
            if (dweight) dweight[i] += norm * g[i];
            if (dbias) dbias[i] += g[i];
        }
    }
}
EMBEDTUNE_VARIANTS(void, embedtune_layer_norm_backward, (dinp, dweight, dbias, dout, inp, weight, mean, rstd, n, c, overwrite),
                   float *dinp, float *dweight, float *dbias, const float *dout, const float *inp, const float *weight, const float *mean, const float *rstd, long n, long c, int overwrite)

// MARK: LoRA dropout

V16 void embedtune_lora_dropout_backward_body(float *dinp, const float *dx, const float *dropped, const float *inp,
                                               float keep, long count) {
    // dropped = inp * m with m = keep for kept elements and -0 for dropped ones: a kept element has
    // inp's sign bit, a dropped one the opposite (see Kernels' LoRA).
    typedef unsigned v16u __attribute__((vector_size(64)));
    long i = 0;
    for (; i < count; i += 16) {
        const long lanes = count - i < 16 ? count - i : 16;
        const v16f xd = lanes == 16 ? v16_load(dropped + i) : v16_load_tail(dropped + i, lanes, 0);
        const v16f xi = lanes == 16 ? v16_load(inp + i) : v16_load_tail(inp + i, lanes, 0);
        const v16i same_sign = (v16i)(((v16u)xd ^ (v16u)xi) < 0x80000000u);
        const v16f m = v16_select(same_sign, v16_splat(keep), v16_splat(0));
        const v16f g = lanes == 16 ? v16_load(dx + i) : v16_load_tail(dx + i, lanes, 0);
        const v16f d = lanes == 16 ? v16_load(dinp + i) : v16_load_tail(dinp + i, lanes, 0);
        const v16f result = v16_fma(g, m, d);
        if (lanes == 16) v16_store(dinp + i, result); else v16_store_tail(dinp + i, result, lanes);
    }
}
EMBEDTUNE_VARIANTS(void, embedtune_lora_dropout_backward, (dinp, dx, dropped, inp, keep, count),
                   float *dinp, const float *dx, const float *dropped, const float *inp, float keep, long count)

/// weight (oc, c) += scale * (b (oc, r) @ a (r, c)): each output's r products summed by fused
/// multiply-adds in order k = 0, 1, ..., then folded in by one more, acc * scale + weight. A fixed
/// order on every path and CPU, so a merged adapter (and the fingerprint of its weights) is the same
/// everywhere; a BLAS product's order depends on the CPU's kernel.
V16 void embedtune_lora_merge_body(float *weight, const float *a, const float *b, float scale, long c, long oc,
                                   long r) {
    for (long o = 0; o < oc; o++) {
        float *row = weight + o * c;
        const float *bo = b + o * r;
        for (long j = 0; j < c; j += 16) {
            const long lanes = c - j < 16 ? c - j : 16;
            v16f acc = v16_splat(0);
            for (long k = 0; k < r; k++)
                acc = v16_fma(v16_splat(bo[k]), lanes == 16 ? v16_load(a + k * c + j) : v16_load_tail(a + k * c + j, lanes, 0), acc);
            const v16f w = lanes == 16 ? v16_load(row + j) : v16_load_tail(row + j, lanes, 0);
            const v16f result = v16_fma(acc, v16_splat(scale), w);
            if (lanes == 16) v16_store(row + j, result); else v16_store_tail(row + j, result, lanes);
        }
    }
}
EMBEDTUNE_VARIANTS(void, embedtune_lora_merge, (weight, a, b, scale, c, oc, r),
                   float *weight, const float *a, const float *b, float scale, long c, long oc, long r)

// MARK: Adam

V16 void adam_lanes(v16f *p, v16f grad, v16f *m, v16f *v, const struct embedtune_adam_rule *rule) {
    if (rule->decays) {
        if (rule->decoupled) *p = *p * rule->shrink;
        else grad = v16_fma(*p, v16_splat(rule->l2), grad);
    }
    // torch.lerp: self + w (end - self) when w < 0.5, else end - (end - self)(1 - w), fused as torch's CPU kernels
    const float w = rule->average_weight;
    *m = w < 0.5f ? v16_fma(v16_splat(w), grad - *m, *m) : v16_fma(v16_splat(w - 1), grad - *m, grad);
    *v = v16_fma(grad * rule->one_minus_beta2, grad, *v * rule->beta2);
    const v16f denominator = v16_sqrt(*v) / rule->correction2 + rule->epsilon;
    *p = *p + rule->step_size * *m / denominator;
}

V16 void embedtune_adam_update_body(float *p, const float *g, float *m, float *v, long count,
                                     const struct embedtune_adam_rule *rule) {
    long i = 0;
    for (; i + 16 <= count; i += 16) {
        v16f pv = v16_load(p + i), mv = v16_load(m + i), vv = v16_load(v + i);
        adam_lanes(&pv, v16_load(g + i), &mv, &vv, rule);
        v16_store(p + i, pv);
        v16_store(m + i, mv);
        v16_store(v + i, vv);
    }
    if (i < count) {
        const long r = count - i;
        v16f pv = v16_load_tail(p + i, r, 0), mv = v16_load_tail(m + i, r, 0), vv = v16_load_tail(v + i, r, 0);
        adam_lanes(&pv, v16_load_tail(g + i, r, 0), &mv, &vv, rule);
        v16_store_tail(p + i, pv, r);
        v16_store_tail(m + i, mv, r);
        v16_store_tail(v + i, vv, r);
    }
}
EMBEDTUNE_VARIANTS(void, embedtune_adam_update, (p, g, m, v, count, rule),
                   float *p, const float *g, float *m, float *v, long count, const struct embedtune_adam_rule *rule)
