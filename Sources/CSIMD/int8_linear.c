// See include/int8_linear.h.
//
// Fast path (AVX-512 VNNI): 12 rows x 32 columns of int32 sums in 24 zmm accumulators; per quad of k
// it loads the panel's 2 x 16 column quads (two zmm of int8) and broadcasts one row's 4 unsigned
// bytes per row into VPDPBUSD, i.e. 24 instructions of 64 multiply-adds each per 2 loads + 12
// broadcasts — four times the float32 kernel's multiply-adds per instruction. A block of at most 240
// input rows is quantised into the caller's scratch first (it stays in L2 while every panel passes).
// The store turns the sums into floats: v = float(sum - z sums[c]); v = v * (sx sw[c]); v = v + bias;
// v = v + residual; then the activation — the same operations, in the same order, on every path.
// Sums never overflow: 255 * 127 * k < 2^31 for k < 66,000.
#include "int8_linear.h"
#include "cpu_features.h"
#include "packed_linear.h"
#include "vector_kernels.h"

#include <math.h>

#pragma clang fp contract(off)

enum { NR = 32, MR = 12, ROW_BLOCK = EMBEDTUNE_PACKED_LINEAR_ROW_BLOCK };

static long quads_of(long k) { return (k + 3) / 4; }

long embedtune_int8_linear_bytes(long n, long k) { return (n + NR - 1) / NR * NR * 4 * quads_of(k); }

long embedtune_int8_linear_scratch_bytes(long k) {
    return ROW_BLOCK * (4 * quads_of(k) + (long)sizeof(float) + (long)sizeof(int32_t));
}

void embedtune_int8_linear_pack(const float *weight, long n, long k, int8_t *packed, float *scales, int32_t *sums) {
    const long panels = (n + NR - 1) / NR, quads = quads_of(k);
    for (long col = 0; col < n; col++) {
        float largest = 0.0f;
        for (long kk = 0; kk < k; kk++) largest = fmaxf(largest, fabsf(weight[col * k + kk]));
        scales[col] = largest / 127.0f;
    }
    for (long p = 0; p < panels; p++)
        for (long kq = 0; kq < quads; kq++)
            for (long j = 0; j < NR; j++)
                for (long e = 0; e < 4; e++) {
                    const long col = p * NR + j, kk = 4 * kq + e;
                    float q = 0.0f;
                    if (col < n && kk < k && scales[col] > 0.0f) q = roundf(weight[col * k + kk] / scales[col]);
                    packed[((p * quads + kq) * NR + j) * 4 + e] = (int8_t)fmaxf(-127.0f, fminf(127.0f, q));
                }
    for (long col = 0; col < n; col++) {
        int32_t s = 0;
        const long p = col / NR, j = col % NR;
        for (long kq = 0; kq < quads; kq++)
            for (long e = 0; e < 4; e++) s += packed[((p * quads + kq) * NR + j) * 4 + e];
        sums[col] = s;
    }
}

// A row's scale and zero point from its range [lo, hi] (lo <= 0 <= hi): x ~ scale (u - z), u in 0...255.
// NaN scale for a row holding NaN or infinity, zero scale (all u = z = 0) for a row of zeros.
static inline void row_scale(float lo, float hi, int bad, float *scale, float *inv, int32_t *zero) {
    if (bad) {
        *scale = NAN;
        *inv = 0.0f;
        *zero = 0;
    } else if (hi - lo > 0.0f) {
        *scale = (hi - lo) / 255.0f;
        *inv = 255.0f / (hi - lo);
        *zero = (int32_t)nearbyintf(-lo * *inv);
    } else {
        *scale = 0.0f;
        *inv = 0.0f;
        *zero = 0;
    }
}

// Where a block's quantised rows (rows, lda), scales (rows) and zero points (rows) lie in the scratch.
typedef struct {
    uint8_t *u;
    float *scale;
    int32_t *zero;
} Block;

static Block block_in(void *scratch, long lda) {
    uint8_t *u = (uint8_t *)scratch;
    float *scale = (float *)(u + ROW_BLOCK * lda);
    return (Block){u, scale, (int32_t *)(scale + ROW_BLOCK)};
}

// ---- Plain C: quantise a row, then one row times one panel at a time.

static inline __attribute__((always_inline)) void forward_plain_body(
    const float *inp, long m, long k, const int8_t *packed, const float *scales, const int32_t *sums, long n,
    const float *bias, const float *residual, int activation, float *out, void *scratch) {
    const long quads = quads_of(k), lda = 4 * quads, panels = (n + NR - 1) / NR;
    const Block blk = block_in(scratch, lda);
    for (long r = 0; r < m; r++) {
        const float *x = inp + r * k;
        float lo = 0.0f, hi = 0.0f, scale, inv;
        int bad = 0;
        int32_t z;
        for (long kk = 0; kk < k; kk++) {
            lo = x[kk] < lo ? x[kk] : lo;
            hi = x[kk] > hi ? x[kk] : hi;
            bad |= (x[kk] - x[kk]) != 0.0f;
        }
        row_scale(lo, hi, bad, &scale, &inv, &z);
        for (long kk = 0; kk < lda; kk++) {
            int32_t q = (int32_t)nearbyintf((kk < k ? x[kk] : 0.0f) * inv) + z;
            blk.u[kk] = (uint8_t)(q < 0 ? 0 : q > 255 ? 255 : q);
        }
        for (long p = 0; p < panels; p++) {
            int32_t acc[NR] = {0};
            const int8_t *panel = packed + p * quads * NR * 4;
            for (long kq = 0; kq < quads; kq++)
                for (long j = 0; j < NR; j++)
                    for (long e = 0; e < 4; e++)
                        acc[j] += (int32_t)blk.u[4 * kq + e] * (int32_t)panel[(kq * NR + j) * 4 + e];
            for (long j = 0; j < NR && p * NR + j < n; j++) {
                const long col = p * NR + j;
                float v = (float)(acc[j] - z * sums[col]);
                v = v * (scale * scales[col]);
                v = v + (bias ? bias[col] : 0.0f);
                if (residual) v = v + residual[r * n + col];
                out[r * n + col] = v;
            }
        }
        if (activation == EMBEDTUNE_PACKED_LINEAR_GELU) embedtune_gelu_reference_forward(out + r * n, n, out + r * n);
    }
}

static void forward_plain(const float *inp, long m, long k, const int8_t *packed, const float *scales,
                          const int32_t *sums, long n, const float *bias, const float *residual, int activation,
                          float *out, void *scratch) {
    forward_plain_body(inp, m, k, packed, scales, sums, n, bias, residual, activation, out, scratch);
}

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx2,fma"))) static void forward_plain_avx2(
    const float *inp, long m, long k, const int8_t *packed, const float *scales, const int32_t *sums, long n,
    const float *bias, const float *residual, int activation, float *out, void *scratch) {
    forward_plain_body(inp, m, k, packed, scales, sums, n, bias, residual, activation, out, scratch);
}

__attribute__((target("avx512f,avx512bw,avx512vl"))) static void forward_plain_avx512(
    const float *inp, long m, long k, const int8_t *packed, const float *scales, const int32_t *sums, long n,
    const float *bias, const float *residual, int activation, float *out, void *scratch) {
    forward_plain_body(inp, m, k, packed, scales, sums, n, bias, residual, activation, out, scratch);
}

#define TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))
#include "simd_math.h"
#include "panel_edge.h"

// Rows (rows, k) -> the block's (rows, lda) bytes, scales and zero points, as the plain path does.
TARGET static void quantize_rows(const float *inp, long rows, long k, long lda, Block blk) {
    for (long i = 0; i < rows; i++) {
        const float *x = inp + i * k;
        __m512 lo = _mm512_setzero_ps(), hi = _mm512_setzero_ps();
        __mmask16 bad = 0;
        for (long kk = 0; kk < k; kk += 16) {
            const __mmask16 m = (__mmask16)(k - kk >= 16 ? 0xFFFF : (1u << (k - kk)) - 1);
            const __m512 v = _mm512_maskz_loadu_ps(m, x + kk);
            lo = _mm512_min_ps(lo, v);
            hi = _mm512_max_ps(hi, v);
            const __m512 d = _mm512_sub_ps(v, v);
            bad |= _mm512_cmp_ps_mask(d, d, _CMP_UNORD_Q);
        }
        float scale, inv;
        int32_t z;
        row_scale(_mm512_reduce_min_ps(lo), _mm512_reduce_max_ps(hi), bad != 0, &scale, &inv, &z);
        blk.scale[i] = scale;
        blk.zero[i] = z;
        const __m512 invs = _mm512_set1_ps(inv);
        const __m512i zs = _mm512_set1_epi32(z), top = _mm512_set1_epi32(255), none = _mm512_setzero_si512();
        for (long kk = 0; kk < lda; kk += 16) {
            const __mmask16 m = (__mmask16)(k - kk >= 16 ? 0xFFFF : k - kk <= 0 ? 0 : (1u << (k - kk)) - 1);
            const __mmask16 keep = (__mmask16)(lda - kk >= 16 ? 0xFFFF : (1u << (lda - kk)) - 1);
            __m512i q = _mm512_add_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + kk), invs)), zs);
            q = _mm512_min_epi32(_mm512_max_epi32(q, none), top);
            _mm512_mask_cvtepi32_storeu_epi8(blk.u + i * lda + kk, keep, q);
        }
    }
}

// ROWS (12, 4 or 1) quantised rows (row stride lda, their scales sx and zero points zs) times one
// panel, into `c` (row stride ldc) plus `res` (or NULL), columns under masks m0 (0..15) and m1 (16..31).
TARGET static inline __attribute__((always_inline)) void tile(
    const int rows, const uint8_t *a, long lda, const float *sx, const int32_t *zs, long quads, const int8_t *panel,
    PanelEdge e, const float *scales, const int32_t *sums, const float *res, float *c, long ldc, int gelu) {
    const __mmask16 m0 = e.m0, m1 = e.m1;
    const __m512 bias0 = e.bias0, bias1 = e.bias1;
    const __m512 sw0 = _mm512_maskz_loadu_ps(m0, scales), sw1 = _mm512_maskz_loadu_ps(m1, scales + 16);
    const __m512i sum0 = _mm512_maskz_loadu_epi32(m0, sums), sum1 = _mm512_maskz_loadu_epi32(m1, sums + 16);
    __m512i acc0[MR], acc1[MR];
    _Pragma("clang loop unroll(full)") for (int i = 0; i < rows; i++) acc0[i] = acc1[i] = _mm512_setzero_si512();
    for (long kq = 0; kq < quads; kq++) {
        const __m512i w0 = _mm512_loadu_si512(panel + kq * NR * 4), w1 = _mm512_loadu_si512(panel + kq * NR * 4 + 64);
        _Pragma("clang loop unroll(full)") for (int i = 0; i < rows; i++) {
            int32_t quad;
            __builtin_memcpy(&quad, a + i * lda + 4 * kq, sizeof quad);
            const __m512i x = _mm512_set1_epi32(quad);
            acc0[i] = _mm512_dpbusd_epi32(acc0[i], x, w0);
            acc1[i] = _mm512_dpbusd_epi32(acc1[i], x, w1);
        }
    }
    _Pragma("clang loop unroll(full)") for (int i = 0; i < rows; i++) {
        const __m512 s = _mm512_set1_ps(sx[i]);
        const __m512i z = _mm512_set1_epi32(zs[i]);
        __m512 v0 = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc0[i], _mm512_mullo_epi32(z, sum0)));
        __m512 v1 = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc1[i], _mm512_mullo_epi32(z, sum1)));
        v0 = _mm512_add_ps(_mm512_mul_ps(v0, _mm512_mul_ps(s, sw0)), bias0);
        v1 = _mm512_add_ps(_mm512_mul_ps(v1, _mm512_mul_ps(s, sw1)), bias1);
        if (res) {
            v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, res + i * ldc));
            v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, res + i * ldc + 16));
        }
        _mm512_mask_storeu_ps(c + i * ldc, m0, gelu ? gelu_avx512(v0) : v0);
        _mm512_mask_storeu_ps(c + i * ldc + 16, m1, gelu ? gelu_avx512(v1) : v1);
    }
}

TARGET static void forward_vnni(const float *inp, long m, long k, const int8_t *packed, const float *scales,
                                const int32_t *sums, long n, const float *bias, const float *residual,
                                int activation, float *out, void *scratch) {
    const int gelu = activation == EMBEDTUNE_PACKED_LINEAR_GELU;
    const long quads = quads_of(k), lda = 4 * quads, panels = (n + NR - 1) / NR;
    const Block blk = block_in(scratch, lda);
    for (long r0 = 0; r0 < m; r0 += ROW_BLOCK) {
        const long r1 = r0 + ROW_BLOCK < m ? r0 + ROW_BLOCK : m;
        quantize_rows(inp + r0 * k, r1 - r0, k, lda, blk);
        for (long p = 0; p < panels; p++) {
            const PanelEdge edge = panel_edge(n, p, bias);
            const int8_t *panel = packed + p * quads * NR * 4;
#define TILE(rows, r) tile(rows, blk.u + ((r) - r0) * lda, lda, blk.scale + ((r) - r0), blk.zero + ((r) - r0), quads, \
                           panel, edge, scales + p * NR, sums + p * NR, residual ? residual + (r) * n + p * NR : NULL, \
                           out + (r) * n + p * NR, n, gelu)
            EMBEDTUNE_FOR_EACH_TILE(r0, r1, TILE);
#undef TILE
        }
    }
}
#undef TARGET
#endif

void embedtune_int8_linear_forward(const float *inp, long m, long k, const int8_t *packed, const float *scales,
                                   const int32_t *sums, long n, const float *bias, const float *residual,
                                   int activation, float *out, void *scratch) {
#if defined(__x86_64__)
    const int features = embedtune_cpu_features();
    if (features & EMBEDTUNE_CPU_AVX512_VNNI) {
        forward_vnni(inp, m, k, packed, scales, sums, n, bias, residual, activation, out, scratch);
        return;
    }
    if (features & EMBEDTUNE_CPU_AVX512) {
        forward_plain_avx512(inp, m, k, packed, scales, sums, n, bias, residual, activation, out, scratch);
        return;
    }
    if (features & EMBEDTUNE_CPU_AVX2) {
        forward_plain_avx2(inp, m, k, packed, scales, sums, n, bias, residual, activation, out, scratch);
        return;
    }
#endif
    forward_plain(inp, m, k, packed, scales, sums, n, bias, residual, activation, out, scratch);
}
