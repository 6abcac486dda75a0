// What the CPU (and the operating system, which must save the wider registers) can run, detected
// once with cpuid/xgetbv. The SIMD kernels of this target choose their path from it at run time.
#ifndef EMBEDTUNE_CPU_FEATURES_H
#define EMBEDTUNE_CPU_FEATURES_H

#ifdef __cplusplus
extern "C" {
#endif

enum {
    EMBEDTUNE_CPU_AVX2 = 1,         // AVX2 + FMA, ymm state enabled
    EMBEDTUNE_CPU_AVX512 = 2,       // AVX-512 F, BW, VL, zmm state enabled
    EMBEDTUNE_CPU_AVX512_VNNI = 4,  // the above plus AVX-512 VNNI
};

/// Bit set of EMBEDTUNE_CPU_* features; 0 on other architectures.
int embedtune_cpu_features(void);

#ifdef __cplusplus
}
#endif

#endif
