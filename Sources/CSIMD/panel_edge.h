// The edge of one 32-column panel of a packed product's output (packed_linear.c, bf16_linear.c,
// int8_linear.c): which of its columns exist (the last panel is masked) and their bias; and the lane
// masks of the AVX2 kernels. Only for x86-64 translation units that include <immintrin.h>.
#ifndef EMBEDTUNE_PANEL_EDGE_H
#define EMBEDTUNE_PANEL_EDGE_H

typedef struct {
    __mmask16 m0, m1;     // columns 0..15 and 16..31 of the panel that are < n
    __m512 bias0, bias1;  // their bias (zero without one, and in masked lanes)
} PanelEdge;

// Panel p (columns 32p ..< 32p + 32) of an output n columns wide, `bias` (n) or NULL.
__attribute__((target("avx512f,avx512bw,avx512vl"))) static inline PanelEdge panel_edge(long n, long p, const float *bias) {
    const long width = n - p * 32 < 32 ? n - p * 32 : 32;
    PanelEdge e;
    e.m0 = (__mmask16)(width >= 16 ? 0xFFFF : (1u << width) - 1);
    e.m1 = (__mmask16)(width >= 32 ? 0xFFFF : width <= 16 ? 0 : (1u << (width - 16)) - 1);
    e.bias0 = bias ? _mm512_maskz_loadu_ps(e.m0, bias + p * 32) : _mm512_setzero_ps();
    e.bias1 = bias ? _mm512_maskz_loadu_ps(e.m1, bias + p * 32 + 16) : _mm512_setzero_ps();
    return e;
}

// The AVX2 kernels' masks (packed_linear.c, int8_linear.c, low_rank.c): all ones in lanes j < count
// of a ymm (none for count <= 0, all eight from 8 on).
__attribute__((target("avx2"))) static inline __m256i lanes_below_avx2(long count) {
    const int w = count <= 0 ? 0 : count >= 8 ? 8 : (int)count;
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(w), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// One half-panel of an AVX2 kernel: output columns col0 ..< col0 + 16, those from n on masked.
typedef struct {
    __m256i m0, m1;       // lanes of columns col0 ..< col0 + 8 and col0 + 8 ..< col0 + 16 that are < n
    int full;             // all 16 columns are < n
    __m256 bias0, bias1;  // their bias (zero without one, and in masked lanes)
} HalfPanelEdge;

// Columns col0 ..< col0 + 16 of an output n columns wide (col0 < n), `bias` (n) or NULL.
__attribute__((target("avx2"))) static inline HalfPanelEdge half_panel_edge_avx2(long n, long col0,
                                                                                 const float *bias) {
    HalfPanelEdge e;
    e.m0 = lanes_below_avx2(n - col0);
    e.m1 = lanes_below_avx2(n - col0 - 8);
    e.full = col0 + 16 <= n;
    e.bias0 = _mm256_setzero_ps();
    e.bias1 = _mm256_setzero_ps();
    if (bias) {
        e.bias0 = e.full ? _mm256_loadu_ps(bias + col0) : _mm256_maskload_ps(bias + col0, e.m0);
        e.bias1 = e.full ? _mm256_loadu_ps(bias + col0 + 8) : _mm256_maskload_ps(bias + col0 + 8, e.m1);
    }
    return e;
}

// Calls TILE(rows, r) over the rows r0 ..< r1: 12 at a time (the kernels' tile), then 4, then 1.
#define EMBEDTUNE_FOR_EACH_TILE(r0, r1, TILE)               \
    do {                                                     \
        long r_ = (r0);                                      \
        for (; r_ + 12 <= (r1); r_ += 12) TILE(12, r_);      \
        for (; r_ + 4 <= (r1); r_ += 4) TILE(4, r_);         \
        for (; r_ < (r1); r_++) TILE(1, r_);                 \
    } while (0)

#endif
