// See include/attention_head.h.
//
// Per sequence: K is transposed once into the scratch (hs rows of L padded to 16), so each query
// row's scores are hs broadcast-FMAs over contiguous vectors of keys (64 keys per step, 4 zmm).
// The row is then exponentiated (max subtracted), and out_i = (sum_j e_ij v_j) / sum_j e_ij, with
// v rows read directly (hs / 16 zmm per row).
#include "attention_head.h"
#include "cpu_features.h"

#include <math.h>

enum { KEYS = 64 };

static long padded(long l) { return (l + 15) / 16 * 16; }

int embedtune_attention_head_available(long hs) {
    return hs > 0 && hs % 16 == 0 && (embedtune_cpu_features() & EMBEDTUNE_CPU_AVX512) != 0;
}

long embedtune_attention_head_scratch_floats(long l, long hs) {
    // K^T (hs, Lp), the score row (Lp rounded up to a whole 64-key step).
    return hs * padded(l) + (padded(l) + KEYS);
}

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f,avx512bw,avx512vl")))

// e^x for x <= 0 (softmax after subtracting the row maximum): x = n ln2 + r, |r| <= ln2 / 2, e^r
// by its Taylor polynomial to degree 7 (relative error < 1e-8), times 2^n by vscalefps.
TARGET static inline __m512 exp_nonpositive(__m512 x) {
    x = _mm512_max_ps(x, _mm512_set1_ps(-104.0f));
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.0f / 5040.0f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 720.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n);
}

TARGET static void head_avx512(const float *q, const float *k, const float *v, long ld, long l, long hs,
                               float scale, float *scratch, float *out) {
    const long lp = padded(l);
    float *kt = scratch;            // (hs, lp)
    float *row = scratch + hs * lp; // (lp + KEYS)
    for (long d = 0; d < hs; d++) {
        for (long j = 0; j < l; j++) kt[d * lp + j] = k[j * ld + d];
        for (long j = l; j < lp; j++) kt[d * lp + j] = 0.0f;
    }
    const __m512 vscale = _mm512_set1_ps(scale);
    for (long i = 0; i < l; i++) {
        const float *qi = q + i * ld;
        // scores, 64 keys per step (the last step reads zero padding and scratch beyond it; only
        // the first l scores are used)
        for (long j0 = 0; j0 < lp; j0 += KEYS) {
            __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps(), s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
            const long left = lp - j0;
            for (long d = 0; d < hs; d++) {
                const __m512 x = _mm512_set1_ps(qi[d]);
                const float *kd = kt + d * lp + j0;
                s0 = _mm512_fmadd_ps(x, _mm512_loadu_ps(kd), s0);
                if (left > 16) s1 = _mm512_fmadd_ps(x, _mm512_loadu_ps(kd + 16), s1);
                if (left > 32) s2 = _mm512_fmadd_ps(x, _mm512_loadu_ps(kd + 32), s2);
                if (left > 48) s3 = _mm512_fmadd_ps(x, _mm512_loadu_ps(kd + 48), s3);
            }
            _mm512_storeu_ps(row + j0, _mm512_mul_ps(s0, vscale));
            _mm512_storeu_ps(row + j0 + 16, _mm512_mul_ps(s1, vscale));
            _mm512_storeu_ps(row + j0 + 32, _mm512_mul_ps(s2, vscale));
            _mm512_storeu_ps(row + j0 + 48, _mm512_mul_ps(s3, vscale));
        }
        // softmax numerator over the l real keys
        __m512 m = _mm512_set1_ps(-__builtin_inff());
        long j = 0;
        for (; j + 16 <= l; j += 16) m = _mm512_max_ps(m, _mm512_loadu_ps(row + j));
        const __mmask16 tail = (__mmask16)((1u << (l - j)) - 1);
        if (j < l) m = _mm512_mask_max_ps(m, tail, m, _mm512_loadu_ps(row + j));
        const __m512 vmax = _mm512_set1_ps(_mm512_reduce_max_ps(m));
        __m512 sum = _mm512_setzero_ps();
        for (j = 0; j + 16 <= l; j += 16) {
            const __m512 e = exp_nonpositive(_mm512_sub_ps(_mm512_loadu_ps(row + j), vmax));
            _mm512_storeu_ps(row + j, e);
            sum = _mm512_add_ps(sum, e);
        }
        if (j < l) {
            const __m512 e = _mm512_maskz_mov_ps(tail, exp_nonpositive(_mm512_sub_ps(_mm512_loadu_ps(row + j), vmax)));
            _mm512_storeu_ps(row + j, e);
            sum = _mm512_add_ps(sum, e);
        }
        const __m512 inverse = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(sum));
        // out_i = (sum_j e_j v_j) / sum, 32 output columns at a time
        float *oi = out + i * ld;
        for (long c0 = 0; c0 < hs; c0 += 32) {
            const int two = hs - c0 >= 32;
            __m512 o0 = _mm512_setzero_ps(), o1 = _mm512_setzero_ps();
            for (long jj = 0; jj < l; jj++) {
                const __m512 p = _mm512_set1_ps(row[jj]);
                const float *vj = v + jj * ld + c0;
                o0 = _mm512_fmadd_ps(p, _mm512_loadu_ps(vj), o0);
                if (two) o1 = _mm512_fmadd_ps(p, _mm512_loadu_ps(vj + 16), o1);
            }
            _mm512_storeu_ps(oi + c0, _mm512_mul_ps(o0, inverse));
            if (two) _mm512_storeu_ps(oi + c0 + 16, _mm512_mul_ps(o1, inverse));
        }
    }
}
#endif

void embedtune_attention_head(const float *q, const float *k, const float *v, long ld, long l, long hs,
                              float scale, float *scratch, float *out) {
#if defined(__x86_64__)
    if (embedtune_attention_head_available(hs)) {
        head_avx512(q, k, v, ld, l, hs, scale, scratch, out);
        return;
    }
#endif
    // Not reached when callers check availability; a plain version keeps the function total.
    float *row = scratch;
    for (long i = 0; i < l; i++) {
        float m = -__builtin_inff();
        for (long j = 0; j < l; j++) {
            float s = 0.0f;
            for (long d = 0; d < hs; d++) s += q[i * ld + d] * k[j * ld + d];
            row[j] = s * scale;
            m = row[j] > m ? row[j] : m;
        }
        float sum = 0.0f;
        for (long j = 0; j < l; j++) {
            row[j] = expf(row[j] - m);
            sum += row[j];
        }
        for (long d = 0; d < hs; d++) {
            float o = 0.0f;
            for (long j = 0; j < l; j++) o += row[j] * v[j * ld + d];
            out[i * ld + d] = o / sum;
        }
    }
}
