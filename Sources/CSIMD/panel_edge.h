// The edge of one 32-column panel of a packed product's output (packed_linear.c, bf16_linear.c,
// int8_linear.c): which of its columns exist (the last panel is masked) and their bias.
// Only for x86-64 translation units that include <immintrin.h>, in AVX-512 code.
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

// Calls TILE(rows, r) over the rows r0 ..< r1: 12 at a time (the kernels' tile), then 4, then 1.
#define EMBEDTUNE_FOR_EACH_TILE(r0, r1, TILE)               \
    do {                                                     \
        long r_ = (r0);                                      \
        for (; r_ + 12 <= (r1); r_ += 12) TILE(12, r_);      \
        for (; r_ + 4 <= (r1); r_ += 4) TILE(4, r_);         \
        for (; r_ < (r1); r_++) TILE(1, r_);                 \
    } while (0)

#endif
