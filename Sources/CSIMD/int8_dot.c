// See include/int8_dot.h. Each SIMD path is compiled for its own target with a function attribute,
// so the package needs no global CPU flag for it and the binary still runs on CPUs without it.
#include "int8_dot.h"
#include "cpu_features.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

// Sums wrap modulo 2^32 (unsigned arithmetic, defined in C); since the true sum fits in int32,
// the wrapped value is the true one.
static void dots_portable(const int16_t *q16, const int8_t *codes, long stride, long rows, int32_t *out) {
    for (long r = 0; r < rows; r++) {
        const int8_t *c = codes + r * stride;
        uint32_t acc = 0;
        for (long d = 0; d < stride; d++) acc += (uint32_t)((int32_t)q16[d] * (int32_t)c[d]);
        out[r] = (int32_t)acc;
    }
}

#if defined(__x86_64__)

// 16 codes per step: sign-extend to int16, multiply-add pairs into int32 lanes.
__attribute__((target("avx2")))
static void dots_avx2(const int16_t *q16, const int8_t *codes, long stride, long rows, int32_t *out) {
    for (long r = 0; r < rows; r++) {
        const int8_t *c = codes + r * stride;
        __m256i a0 = _mm256_setzero_si256(), a1 = _mm256_setzero_si256();
        long d = 0;
        for (; d + 32 <= stride; d += 32) {
            __m256i c0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(c + d)));
            __m256i c1 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(c + d + 16)));
            a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(c0, _mm256_loadu_si256((const __m256i *)(q16 + d))));
            a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(c1, _mm256_loadu_si256((const __m256i *)(q16 + d + 16))));
        }
        if (d < stride) {
            __m256i c0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(c + d)));
            a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(c0, _mm256_loadu_si256((const __m256i *)(q16 + d))));
        }
        __m256i s = _mm256_add_epi32(a0, a1);
        __m128i h = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
        h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0x4E));
        h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0xB1));
        out[r] = _mm_cvtsi128_si32(h);
    }
}

// 64 codes per step. vpdpbusd multiplies unsigned bytes by signed bytes, so the query enters as the
// two bytes of u = q + 32768 (u = 256 hi + lo):
//   sum q c = 256 sum hi c + sum lo c - 32768 sum c,
// each sum one vpdpbusd per step (the last against a vector of ones). Lanes wrap modulo 2^32.
__attribute__((target("avx512f,avx512bw,avx512vnni")))
static inline __m512i row_lanes_vnni(const int8_t *c, const uint8_t *hi, const uint8_t *lo, long stride) {
    const __m512i ones = _mm512_set1_epi8(1);
    __m512i ah = _mm512_setzero_si512(), al = _mm512_setzero_si512(), a1 = _mm512_setzero_si512();
    long d = 0;
    for (; d + 64 <= stride; d += 64) {
        __m512i v = _mm512_loadu_si512((const void *)(c + d));
        ah = _mm512_dpbusd_epi32(ah, _mm512_loadu_si512((const void *)(hi + d)), v);
        al = _mm512_dpbusd_epi32(al, _mm512_loadu_si512((const void *)(lo + d)), v);
        a1 = _mm512_dpbusd_epi32(a1, ones, v);
    }
    if (d < stride) {
        const __mmask64 m = (~0ULL) >> (64 - (stride - d));
        __m512i v = _mm512_maskz_loadu_epi8(m, c + d);
        ah = _mm512_dpbusd_epi32(ah, _mm512_maskz_loadu_epi8(m, hi + d), v);
        al = _mm512_dpbusd_epi32(al, _mm512_maskz_loadu_epi8(m, lo + d), v);
        a1 = _mm512_dpbusd_epi32(a1, ones, v);
    }
    return _mm512_sub_epi32(_mm512_add_epi32(_mm512_slli_epi32(ah, 8), al), _mm512_slli_epi32(a1, 15));
}

// The scan is memory-bound only if the query stays in registers: for strides of 64 * CHUNKS bytes
// (CHUNKS <= 12, i.e. up to 768 dimensions) the query's bytes are loaded once into 2 * CHUNKS
// vector registers, and each row costs its own loads only. Other strides take the general loop.
// Each row also prefetches the row PREFETCH_AHEAD bytes further on into L2. Without that, on an Intel
// Xeon (Emerald Rapids) the memory reads and the vpdpbusd work did not overlap: 1M rows of 384 codes
// took ~37 ms, i.e. a ~24 ms plain read plus ~10 ms of arithmetic. With it they took ~25 ms. A prefetch
// is only a hint, so one past the end of the codes is harmless.
#define PREFETCH_AHEAD 4096
#define EMBEDTUNE_VNNI_FIXED(CHUNKS)                                                                   \
    __attribute__((target("avx512f,avx512bw,avx512vnni")))                                          \
    static void dots_vnni_##CHUNKS(const uint8_t *hi, const uint8_t *lo, const int8_t *codes, long rows, \
                                   int32_t *out) {                                                  \
        const __m512i ones = _mm512_set1_epi8(1);                                                   \
        __m512i h[CHUNKS], l[CHUNKS];                                                               \
        for (int j = 0; j < CHUNKS; j++) {                                                          \
            h[j] = _mm512_loadu_si512((const void *)(hi + 64 * j));                                 \
            l[j] = _mm512_loadu_si512((const void *)(lo + 64 * j));                                 \
        }                                                                                           \
        for (long r = 0; r < rows; r++) {                                                           \
            const int8_t *c = codes + r * (64 * CHUNKS);                                            \
            for (int j = 0; j < CHUNKS; j++)                                                        \
                _mm_prefetch((const char *)c + PREFETCH_AHEAD + 64 * j, _MM_HINT_T1);               \
            __m512i ah = _mm512_setzero_si512(), al = _mm512_setzero_si512(), a1 = _mm512_setzero_si512(); \
            for (int j = 0; j < CHUNKS; j++) {                                                      \
                __m512i v = _mm512_loadu_si512((const void *)(c + 64 * j));                         \
                ah = _mm512_dpbusd_epi32(ah, h[j], v);                                              \
                al = _mm512_dpbusd_epi32(al, l[j], v);                                              \
                a1 = _mm512_dpbusd_epi32(a1, ones, v);                                              \
            }                                                                                       \
            out[r] = _mm512_reduce_add_epi32(                                                       \
                _mm512_sub_epi32(_mm512_add_epi32(_mm512_slli_epi32(ah, 8), al), _mm512_slli_epi32(a1, 15))); \
        }                                                                                           \
    }

EMBEDTUNE_VNNI_FIXED(1)
EMBEDTUNE_VNNI_FIXED(2)
EMBEDTUNE_VNNI_FIXED(3)
EMBEDTUNE_VNNI_FIXED(4)
EMBEDTUNE_VNNI_FIXED(5)
EMBEDTUNE_VNNI_FIXED(6)
EMBEDTUNE_VNNI_FIXED(7)
EMBEDTUNE_VNNI_FIXED(8)
EMBEDTUNE_VNNI_FIXED(9)
EMBEDTUNE_VNNI_FIXED(10)
EMBEDTUNE_VNNI_FIXED(11)
EMBEDTUNE_VNNI_FIXED(12)

__attribute__((target("avx512f,avx512bw,avx512vnni")))
static void dots_vnni(const uint8_t *hi, const uint8_t *lo, const int8_t *codes, long stride, long rows,
                      int32_t *out) {
    switch (stride) {
    case 64: dots_vnni_1(hi, lo, codes, rows, out); return;
    case 128: dots_vnni_2(hi, lo, codes, rows, out); return;
    case 192: dots_vnni_3(hi, lo, codes, rows, out); return;
    case 256: dots_vnni_4(hi, lo, codes, rows, out); return;
    case 320: dots_vnni_5(hi, lo, codes, rows, out); return;
    case 384: dots_vnni_6(hi, lo, codes, rows, out); return;
    case 448: dots_vnni_7(hi, lo, codes, rows, out); return;
    case 512: dots_vnni_8(hi, lo, codes, rows, out); return;
    case 576: dots_vnni_9(hi, lo, codes, rows, out); return;
    case 640: dots_vnni_10(hi, lo, codes, rows, out); return;
    case 704: dots_vnni_11(hi, lo, codes, rows, out); return;
    case 768: dots_vnni_12(hi, lo, codes, rows, out); return;
    default: break;
    }
    for (long r = 0; r < rows; r++) out[r] = _mm512_reduce_add_epi32(row_lanes_vnni(codes + r * stride, hi, lo, stride));
}

#endif

int embedtune_int8_available_paths(void) {
    const int cpu = embedtune_cpu_features();
    int paths = EMBEDTUNE_INT8_PORTABLE;
    if (cpu & EMBEDTUNE_CPU_AVX2) paths |= EMBEDTUNE_INT8_AVX2;
    if (cpu & EMBEDTUNE_CPU_AVX512_VNNI) paths |= EMBEDTUNE_INT8_AVX512_VNNI;
    return paths;
}

int embedtune_int8_best_path(void) {
    const int p = embedtune_int8_available_paths();
    if (p & EMBEDTUNE_INT8_AVX512_VNNI) return EMBEDTUNE_INT8_AVX512_VNNI;
    if (p & EMBEDTUNE_INT8_AVX2) return EMBEDTUNE_INT8_AVX2;
    return EMBEDTUNE_INT8_PORTABLE;
}

void embedtune_int8_prepare(const int16_t *q16, long stride, uint8_t *hi, uint8_t *lo) {
    for (long d = 0; d < stride; d++) {
        const uint16_t u = (uint16_t)((int32_t)q16[d] + 32768);
        hi[d] = (uint8_t)(u >> 8);
        lo[d] = (uint8_t)(u & 0xFF);
    }
}

void embedtune_int8_dots_with(int path, const int16_t *q16, const uint8_t *hi, const uint8_t *lo,
                              const int8_t *codes, long stride, long rows, int32_t *out) {
#if defined(__x86_64__)
    const int available = embedtune_int8_available_paths();
    if (path == EMBEDTUNE_INT8_AVX512_VNNI && (available & path)) {
        dots_vnni(hi, lo, codes, stride, rows, out);
        return;
    }
    if (path == EMBEDTUNE_INT8_AVX2 && (available & path)) {
        dots_avx2(q16, codes, stride, rows, out);
        return;
    }
#else
    (void)hi;
    (void)lo;
#endif
    (void)path;
    dots_portable(q16, codes, stride, rows, out);
}

void embedtune_int8_dots(const int16_t *q16, const uint8_t *hi, const uint8_t *lo, const int8_t *codes,
                         long stride, long rows, int32_t *out) {
    embedtune_int8_dots_with(embedtune_int8_best_path(), q16, hi, lo, codes, stride, rows, out);
}
