// See include/dropout_mask.h.
#include "dropout_mask.h"
#include "cpu_features.h"

static const uint64_t golden = 0x9E3779B97F4A7C15ull;
static const uint64_t mix1 = 0xBF58476D1CE4E5B9ull, mix2 = 0x94D049BB133111EBull;

static inline float uniform_at(uint64_t s) {
    uint64_t z = s;
    z = (z ^ (z >> 30)) * mix1;
    z = (z ^ (z >> 27)) * mix2;
    z ^= z >> 31;
    return (float)(z >> 40) * 0x1p-24f;
}

static uint64_t mask_plain(uint64_t state, float p, float keep, const float *inp, float *out, float *mask, long count) {
    for (long i = 0; i < count; i++) {
        state += golden;
        const float m = uniform_at(state) < p ? 0.0f : keep;
        mask[i] = m;
        if (out) out[i] = inp[i] * m;
    }
    return state;
}

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq")))

// The low 64 bits of a * c in each lane (AVX512DQ's vpmullq).
TARGET static inline __m512i mul_low64(__m512i a, uint64_t c) {
    return _mm512_mullo_epi64(a, _mm512_set1_epi64((long long)c));
}

TARGET static uint64_t mask_avx512(uint64_t state, float p, float keep, const float *inp, float *out, float *mask,
                                   long count) {
    // Lane l holds the state of draw i + l + 1.
    __m512i s = _mm512_add_epi64(_mm512_set1_epi64((long long)state),
                                 mul_low64(_mm512_set_epi64(8, 7, 6, 5, 4, 3, 2, 1), golden));
    const __m512i step = _mm512_set1_epi64((long long)(golden * 8));
    const __m256 pV = _mm256_set1_ps(p), keepV = _mm256_set1_ps(keep), unit = _mm256_set1_ps(0x1p-24f);
    for (long i = 0; i < count; i += 8) {
        __m512i z = s;
        z = mul_low64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 30)), mix1);
        z = mul_low64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 27)), mix2);
        z = _mm512_xor_si512(z, _mm512_srli_epi64(z, 31));
        const __m256 u = _mm256_mul_ps(_mm512_cvtepi64_ps(_mm512_srli_epi64(z, 40)), unit);  // 24 bits: exact
        const __m256 m = _mm256_maskz_mov_ps(_mm256_cmp_ps_mask(u, pV, _CMP_NLT_UQ), keepV);
        const __mmask8 live = count - i >= 8 ? 0xFF : (__mmask8)((1u << (count - i)) - 1);
        _mm256_mask_storeu_ps(mask + i, live, m);
        if (out) _mm256_mask_storeu_ps(out + i, live, _mm256_mul_ps(_mm256_maskz_loadu_ps(live, inp + i), m));
        s = _mm512_add_epi64(s, step);
    }
    return state + golden * (uint64_t)count;
}
#endif

uint64_t embedtune_dropout_mask(uint64_t state, float p, float keep, const float *inp, float *out, float *mask,
                                long count) {
    if (count <= 0) return state;
#if defined(__x86_64__)
    if (embedtune_cpu_features() & EMBEDTUNE_CPU_AVX512) return mask_avx512(state, p, keep, inp, out, mask, count);
#endif
    return mask_plain(state, p, keep, inp, out, mask, count);
}
