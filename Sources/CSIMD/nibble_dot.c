// See include/nibble_dot.h. Each SIMD path is compiled for its own target with a function
// attribute, so the binary still runs on CPUs without it.
#include "nibble_dot.h"
#include "cpu_features.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

void embedtune_nibble_pack(const int8_t *codes, long stride, uint8_t *row) {
    for (long j = 0; j < stride / 64; j++) {
        for (long b = 0; b < 64; b++) {
            const uint8_t low = (uint8_t)(codes[128 * j + b] + 8) & 0x0F;
            const uint8_t high = (uint8_t)(codes[128 * j + 64 + b] + 8) & 0x0F;
            row[64 * j + b] = (uint8_t)(low | (high << 4));
        }
    }
}

// 8 * sum_d q8[d]: the dot of the query with the offset 8 that the nibbles carry.
static int32_t offset_dot(const int8_t *q8, long stride) {
    int32_t sum = 0;
    for (long d = 0; d < 2 * stride; d++) sum += q8[d];
    return 8 * sum;
}

static void dots_portable(const int8_t *q8, const uint8_t *codes, long stride, long rows, int32_t *out) {
    const int32_t offset = offset_dot(q8, stride);
    for (long r = 0; r < rows; r++) {
        const uint8_t *c = codes + r * stride;
        int32_t acc = 0;
        for (long j = 0; j < stride / 64; j++) {
            for (long b = 0; b < 64; b++) {
                const uint8_t v = c[64 * j + b];
                acc += (int32_t)q8[128 * j + b] * (v & 0x0F) + (int32_t)q8[128 * j + 64 + b] * (v >> 4);
            }
        }
        out[r] = acc - offset;
    }
}

#if defined(__x86_64__)

// 32 bytes (64 dimensions) per step: the nibbles as unsigned bytes times the signed query bytes,
// pairs summed to int16 (|sum| <= 2 * 15 * 127, no saturation), then pairs to int32.
__attribute__((target("avx2")))
static void dots_avx2(const int8_t *q8, const uint8_t *codes, long stride, long rows, int32_t *out) {
    const int32_t offset = offset_dot(q8, stride);
    const __m256i nibble = _mm256_set1_epi8(0x0F), ones = _mm256_set1_epi16(1);
    for (long r = 0; r < rows; r++) {
        const uint8_t *c = codes + r * stride;
        __m256i acc = _mm256_setzero_si256();
        for (long j = 0; j < stride / 64; j++) {
            for (long h = 0; h < 2; h++) {
                const __m256i v = _mm256_loadu_si256((const __m256i *)(c + 64 * j + 32 * h));
                const __m256i lo = _mm256_and_si256(v, nibble);
                const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble);
                const __m256i qlo = _mm256_loadu_si256((const __m256i *)(q8 + 128 * j + 32 * h));
                const __m256i qhi = _mm256_loadu_si256((const __m256i *)(q8 + 128 * j + 64 + 32 * h));
                const __m256i pairs = _mm256_add_epi16(_mm256_maddubs_epi16(lo, qlo), _mm256_maddubs_epi16(hi, qhi));
                acc = _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, ones));
            }
        }
        __m128i s = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
        s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
        s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
        out[r] = _mm_cvtsi128_si32(s) - offset;
    }
}

// Each row prefetches the row PREFETCH_AHEAD bytes further on into L2, as the int8 scan does: without
// it the reads and the arithmetic do not overlap on an Intel Xeon. A prefetch past the end is harmless.
#define PREFETCH_AHEAD 4096

// One chunk (64 bytes, 128 dimensions): vpdpbusd multiplies unsigned bytes (the nibbles) by signed
// bytes (the query), four products per int32 lane.
#define NIBBLE_CHUNK(acc, c, j, qlo, qhi, nibble)                                               \
    do {                                                                                        \
        const __m512i v_ = _mm512_loadu_si512((const void *)((c) + 64 * (j)));                  \
        acc = _mm512_dpbusd_epi32(acc, _mm512_and_si512(v_, nibble), qlo);                     \
        acc = _mm512_dpbusd_epi32(acc, _mm512_and_si512(_mm512_srli_epi16(v_, 4), nibble), qhi); \
    } while (0)

// The scan stays memory-bound when the query is in registers: strides of 64 * CHUNKS bytes
// (CHUNKS <= 6, i.e. up to 768 dimensions) load it once into 2 * CHUNKS vector registers.
#define EMBEDTUNE_NIBBLE_VNNI_FIXED(CHUNKS)                                                      \
    __attribute__((target("avx512f,avx512bw,avx512vnni")))                                    \
    static void dots_vnni_##CHUNKS(const int8_t *q8, const uint8_t *codes, long rows, int32_t *out, \
                                   int32_t offset) {                                          \
        const __m512i nibble = _mm512_set1_epi8(0x0F);                                        \
        __m512i qlo[CHUNKS], qhi[CHUNKS];                                                     \
        for (int j = 0; j < CHUNKS; j++) {                                                    \
            qlo[j] = _mm512_loadu_si512((const void *)(q8 + 128 * j));                        \
            qhi[j] = _mm512_loadu_si512((const void *)(q8 + 128 * j + 64));                   \
        }                                                                                     \
        for (long r = 0; r < rows; r++) {                                                     \
            const uint8_t *c = codes + r * (64 * CHUNKS);                                     \
            for (int j = 0; j < CHUNKS; j++)                                                  \
                _mm_prefetch((const char *)c + PREFETCH_AHEAD + 64 * j, _MM_HINT_T1);         \
            __m512i acc = _mm512_setzero_si512();                                             \
            for (int j = 0; j < CHUNKS; j++) NIBBLE_CHUNK(acc, c, j, qlo[j], qhi[j], nibble); \
            out[r] = _mm512_reduce_add_epi32(acc) - offset;                                   \
        }                                                                                     \
    }

EMBEDTUNE_NIBBLE_VNNI_FIXED(1)
EMBEDTUNE_NIBBLE_VNNI_FIXED(2)
EMBEDTUNE_NIBBLE_VNNI_FIXED(3)
EMBEDTUNE_NIBBLE_VNNI_FIXED(4)
EMBEDTUNE_NIBBLE_VNNI_FIXED(5)
EMBEDTUNE_NIBBLE_VNNI_FIXED(6)

__attribute__((target("avx512f,avx512bw,avx512vnni")))
static void dots_vnni(const int8_t *q8, const uint8_t *codes, long stride, long rows, int32_t *out) {
    const int32_t offset = offset_dot(q8, stride);
    switch (stride) {
    case 64: dots_vnni_1(q8, codes, rows, out, offset); return;
    case 128: dots_vnni_2(q8, codes, rows, out, offset); return;
    case 192: dots_vnni_3(q8, codes, rows, out, offset); return;
    case 256: dots_vnni_4(q8, codes, rows, out, offset); return;
    case 320: dots_vnni_5(q8, codes, rows, out, offset); return;
    case 384: dots_vnni_6(q8, codes, rows, out, offset); return;
    default: break;
    }
    const __m512i nibble = _mm512_set1_epi8(0x0F);
    for (long r = 0; r < rows; r++) {
        const uint8_t *c = codes + r * stride;
        __m512i acc = _mm512_setzero_si512();
        for (long j = 0; j < stride / 64; j++) {
            const __m512i qlo = _mm512_loadu_si512((const void *)(q8 + 128 * j));
            const __m512i qhi = _mm512_loadu_si512((const void *)(q8 + 128 * j + 64));
            NIBBLE_CHUNK(acc, c, j, qlo, qhi, nibble);
        }
        out[r] = _mm512_reduce_add_epi32(acc) - offset;
    }
}

#endif

int embedtune_nibble_available_paths(void) {
    const int cpu = embedtune_cpu_features();
    int paths = EMBEDTUNE_NIBBLE_PORTABLE;
    if (cpu & EMBEDTUNE_CPU_AVX2) paths |= EMBEDTUNE_NIBBLE_AVX2;
    if (cpu & EMBEDTUNE_CPU_AVX512_VNNI) paths |= EMBEDTUNE_NIBBLE_AVX512_VNNI;
    return paths;
}

int embedtune_nibble_best_path(void) {
    const int p = embedtune_nibble_available_paths();
    if (p & EMBEDTUNE_NIBBLE_AVX512_VNNI) return EMBEDTUNE_NIBBLE_AVX512_VNNI;
    if (p & EMBEDTUNE_NIBBLE_AVX2) return EMBEDTUNE_NIBBLE_AVX2;
    return EMBEDTUNE_NIBBLE_PORTABLE;
}

void embedtune_nibble_dots_with(int path, const int8_t *q8, const uint8_t *codes, long stride, long rows,
                                int32_t *out) {
#if defined(__x86_64__)
    const int available = embedtune_nibble_available_paths();
    if (path == EMBEDTUNE_NIBBLE_AVX512_VNNI && (available & path)) {
        dots_vnni(q8, codes, stride, rows, out);
        return;
    }
    if (path == EMBEDTUNE_NIBBLE_AVX2 && (available & path)) {
        dots_avx2(q8, codes, stride, rows, out);
        return;
    }
#endif
    (void)path;
    dots_portable(q8, codes, stride, rows, out);
}

void embedtune_nibble_dots(const int8_t *q8, const uint8_t *codes, long stride, long rows, int32_t *out) {
    embedtune_nibble_dots_with(embedtune_nibble_best_path(), q8, codes, stride, rows, out);
}
