// See include/gelu.h. The function is simd_math.h's gelu_avx512 (a piecewise-polynomial normal tail,
// gelu_table.h), the one the packed products apply before their store: the same bits as the vector
// kernels' GELU (embedtune_gelu_reference_forward), with faster lookups.
#include "gelu.h"
#include "cpu_features.h"
#include "vector_kernels.h"


int embedtune_gelu_available(void) { return (embedtune_cpu_features() & EMBEDTUNE_CPU_AVX512) != 0; }

#if defined(__x86_64__)
#include <immintrin.h>

#include "simd_math.h"

EMBEDTUNE_AVX512_TARGET static void forward_avx512(const float *inp, long count, float *out) {
    long i = 0;
    for (; i + 32 <= count; i += 32) {
        const __m512 y0 = gelu_avx512(_mm512_loadu_ps(inp + i)), y1 = gelu_avx512(_mm512_loadu_ps(inp + i + 16));
        _mm512_storeu_ps(out + i, y0);
        _mm512_storeu_ps(out + i + 16, y1);
    }
    for (; i < count; i += 16) {
        const long left = count - i;
        const __mmask16 m = (__mmask16)(left >= 16 ? 0xFFFF : (1u << left) - 1);
        _mm512_mask_storeu_ps(out + i, m, gelu_avx512(_mm512_maskz_loadu_ps(m, inp + i)));
    }
}
#endif

void embedtune_gelu_forward(const float *inp, long count, float *out) {
#if defined(__x86_64__)
    if (embedtune_gelu_available()) {
        forward_avx512(inp, count, out);
        return;
    }
#endif
    // Not reached when callers check availability; the vector kernels' GELU keeps the function total.
    embedtune_gelu_reference_forward(inp, count, out);
}
