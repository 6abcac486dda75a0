// See include/layer_norm.h. Per row: the sum (four accumulators), then the sum of squared deviations
// from the mean (two-pass, as Kernels' LayerNorm.forward), then the normalised, scaled and shifted
// row; the row stays in L1 between the passes.
#include "layer_norm.h"
#include "cpu_features.h"

#include <math.h>

int embedtune_layer_norm_available(long c) {
    return c > 0 && c % 16 == 0 && (embedtune_cpu_features() & EMBEDTUNE_CPU_AVX512) != 0;
}

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f,avx512bw,avx512vl")))

TARGET static void forward_avx512(const float *inp, const float *weight, const float *bias, long n, long c,
                                  float eps, float *mean, float *rstd, float *out) {
    for (long row = 0; row < n; row++) {
        const float *x = inp + row * c;
        float *o = out + row * c;
        __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps(), s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
        long i = 0;
        for (; i + 64 <= c; i += 64) {
            s0 = _mm512_add_ps(s0, _mm512_loadu_ps(x + i));
            s1 = _mm512_add_ps(s1, _mm512_loadu_ps(x + i + 16));
            s2 = _mm512_add_ps(s2, _mm512_loadu_ps(x + i + 32));
            s3 = _mm512_add_ps(s3, _mm512_loadu_ps(x + i + 48));
        }
        for (; i < c; i += 16) s0 = _mm512_add_ps(s0, _mm512_loadu_ps(x + i));
        const float m = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3))) / (float)c;
        const __m512 mv = _mm512_set1_ps(m);
        __m512 v0 = _mm512_setzero_ps(), v1 = _mm512_setzero_ps();
        for (i = 0; i + 32 <= c; i += 32) {
            const __m512 d0 = _mm512_sub_ps(_mm512_loadu_ps(x + i), mv);
            const __m512 d1 = _mm512_sub_ps(_mm512_loadu_ps(x + i + 16), mv);
            v0 = _mm512_fmadd_ps(d0, d0, v0);
            v1 = _mm512_fmadd_ps(d1, d1, v1);
        }
        if (i < c) {
            const __m512 d = _mm512_sub_ps(_mm512_loadu_ps(x + i), mv);
            v0 = _mm512_fmadd_ps(d, d, v0);
        }
        const float variance = _mm512_reduce_add_ps(_mm512_add_ps(v0, v1)) / (float)c;
        const float s = 1.0f / sqrtf(variance + eps);
        if (mean) mean[row] = m;
        if (rstd) rstd[row] = s;
        const __m512 sv = _mm512_set1_ps(s);
        for (i = 0; i < c; i += 16) {
            const __m512 norm = _mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(x + i), mv), sv);
            _mm512_storeu_ps(o + i, _mm512_fmadd_ps(norm, _mm512_loadu_ps(weight + i), _mm512_loadu_ps(bias + i)));
        }
    }
}
#endif

void embedtune_layer_norm_forward(const float *inp, const float *weight, const float *bias, long n, long c,
                                  float eps, float *mean, float *rstd, float *out) {
#if defined(__x86_64__)
    if (embedtune_layer_norm_available(c)) {
        forward_avx512(inp, weight, bias, n, c, eps, mean, rstd, out);
        return;
    }
#endif
    // Not reached when callers check availability; a plain loop keeps the function total.
    for (long row = 0; row < n; row++) {
        const float *x = inp + row * c;
        float m = 0.0f, variance = 0.0f;
        for (long i = 0; i < c; i++) m += x[i];
        m /= (float)c;
        for (long i = 0; i < c; i++) variance += (x[i] - m) * (x[i] - m);
        const float s = 1.0f / sqrtf(variance / (float)c + eps);
        if (mean) mean[row] = m;
        if (rstd) rstd[row] = s;
        for (long i = 0; i < c; i++) out[row * c + i] = (x[i] - m) * s * weight[i] + bias[i];
    }
}
