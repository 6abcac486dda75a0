// Sixteen-float vectors written once with the compiler's vector extensions and compiled three times
// (AVX-512, AVX2 + FMA, and the target's baseline) by EMBEDTUNE_VARIANTS below: every kernel of
// vector_kernels.c does the same lane-wise arithmetic on every path, so the paths agree bit for bit
// and only their speed differs. Multiply-adds are fused only where written (v16_fma; the file that
// includes this turns floating-point contraction off), as in the Swift code these kernels replace.
#ifndef EMBEDTUNE_VECTOR16_H
#define EMBEDTUNE_VECTOR16_H

#include "cpu_features.h"

// The helpers below take and return whole vectors but are always inlined: no call, no ABI.
#pragma clang diagnostic ignored "-Wpsabi"

typedef float v16f __attribute__((vector_size(64)));
typedef int v16i __attribute__((vector_size(64)));
typedef float v8f __attribute__((vector_size(32)));
typedef float v4f __attribute__((vector_size(16)));
typedef float v2f __attribute__((vector_size(8)));

#define V16 static inline __attribute__((always_inline))

V16 v16f v16_load(const float *p) {
    v16f v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}

V16 void v16_store(float *p, v16f v) { __builtin_memcpy(p, &v, sizeof v); }

V16 v16f v16_splat(float x) { return (v16f){0} + x; }

/// Elements p[0..<count] (count < 16), the other lanes `fill`.
V16 v16f v16_load_tail(const float *p, long count, float fill) {
    v16f v = v16_splat(fill);
    for (long j = 0; j < count; j++) v[j] = p[j];
    return v;
}

V16 void v16_store_tail(float *p, v16f v, long count) {
    for (long j = 0; j < count; j++) p[j] = v[j];
}

/// a * b + c with one rounding.
V16 v16f v16_fma(v16f a, v16f b, v16f c) { return __builtin_elementwise_fma(a, b, c); }

V16 v16f v16_sqrt(v16f a) { return __builtin_elementwise_sqrt(a); }

/// Lanes of `a` where `mask` is set (all ones), of `b` elsewhere.
V16 v16f v16_select(v16i mask, v16f a, v16f b) { return (v16f)((mask & (v16i)a) | (~mask & (v16i)b)); }

/// Pairwise halving sum (16 -> 8 -> 4 -> 2 -> 1), a fixed order.
V16 float v16_tree_sum(v16f v) {
    const v8f h8 = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) +
                   __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
    const v4f h4 = __builtin_shufflevector(h8, h8, 0, 1, 2, 3) + __builtin_shufflevector(h8, h8, 4, 5, 6, 7);
    const v2f h2 = __builtin_shufflevector(h4, h4, 0, 1) + __builtin_shufflevector(h4, h4, 2, 3);
    return h2[0] + h2[1];
}

/// Lane 0 + lane 1 + ... + lane 15, in order.
V16 float v16_ordered_sum(v16f v) {
    float s = v[0];
    for (int j = 1; j < 16; j++) s += v[j];
    return s;
}

/// Largest lane by pairwise halving (NaN lanes lose every comparison).
V16 float v16_tree_max(v16f v) {
    v8f a = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7), b = __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
    typedef int v8i __attribute__((vector_size(32)));
    typedef int v4i __attribute__((vector_size(16)));
    v8i m8 = b > a;
    a = (v8f)((m8 & (v8i)b) | (~m8 & (v8i)a));
    v4f c = __builtin_shufflevector(a, a, 0, 1, 2, 3), d = __builtin_shufflevector(a, a, 4, 5, 6, 7);
    v4i m4 = d > c;
    c = (v4f)((m4 & (v4i)d) | (~m4 & (v4i)c));
    // Swift.max(x, y): y >= x ? y : x
    const float x = c[1] >= c[0] ? c[1] : c[0], y = c[3] >= c[2] ? c[3] : c[2];
    return y >= x ? y : x;
}

#define EMBEDTUNE_UNPAREN(...) __VA_ARGS__

#if defined(__x86_64__)
#define EMBEDTUNE_V16_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx2,fma")))
#define EMBEDTUNE_V16_AVX2 __attribute__((target("avx2,fma")))

/// For a kernel name##_body with parameters `...` called as `args`: name##_avx512, name##_avx2,
/// name##_on(cpu, ...) (the path of an EMBEDTUNE_CPU_* mask, limited to what the CPU has) and name
/// (the path of embedtune_cpu_features()).
#define EMBEDTUNE_VARIANTS(ret, name, args, ...) EMBEDTUNE_VARIANTS_OF(ret, name, name##_body, args, __VA_ARGS__)

/// The same, the AVX-512 variant calling avx512_body instead (the same arithmetic spelled with
/// AVX-512 operations the generic vectors cannot name, such as permutes).
#define EMBEDTUNE_VARIANTS_OF(ret, name, avx512_body, args, ...)                            \
    EMBEDTUNE_V16_AVX512 static ret name##_avx512(__VA_ARGS__) { return avx512_body args; } \
    EMBEDTUNE_V16_AVX2 static ret name##_avx2(__VA_ARGS__) { return name##_body args; }     \
    ret name##_on(int cpu, __VA_ARGS__) {                                                  \
        cpu &= embedtune_cpu_detected();                                                   \
        if (cpu & EMBEDTUNE_CPU_AVX512) return name##_avx512 args;                         \
        if (cpu & EMBEDTUNE_CPU_AVX2) return name##_avx2 args;                             \
        return name##_body args;                                                           \
    }                                                                                      \
    ret name(__VA_ARGS__) { return name##_on(embedtune_cpu_features(), EMBEDTUNE_UNPAREN args); }
#else
#define EMBEDTUNE_VARIANTS(ret, name, args, ...)                                           \
    ret name##_on(int cpu, __VA_ARGS__) { (void)cpu; return name##_body args; }           \
    ret name(__VA_ARGS__) { return name##_body args; }
#define EMBEDTUNE_VARIANTS_OF(ret, name, avx512_body, args, ...) EMBEDTUNE_VARIANTS(ret, name, args, __VA_ARGS__)
#endif

#endif
