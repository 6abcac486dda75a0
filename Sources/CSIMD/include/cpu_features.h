// What the CPU (and the operating system, which must save the wider registers) can run, detected
// once with cpuid/xgetbv. The SIMD kernels of this target choose their path from it at run time.
#ifndef EMBEDTUNE_CPU_FEATURES_H
#define EMBEDTUNE_CPU_FEATURES_H

#ifdef __cplusplus
extern "C" {
#endif

enum {
    EMBEDTUNE_CPU_AVX2 = 1,         // AVX2 + FMA, ymm state enabled
    EMBEDTUNE_CPU_AVX512 = 2,       // AVX-512 F, DQ, BW, VL, zmm state enabled
    EMBEDTUNE_CPU_AVX512_VNNI = 4,  // the above plus AVX-512 VNNI
    EMBEDTUNE_CPU_AVX512_BF16 = 8,  // the above plus AVX512-BF16 (VDPBF16PS, VCVTNE2PS2BF16)
    EMBEDTUNE_CPU_ALL = 15,
};

/// Bit set of EMBEDTUNE_CPU_* features the kernels use: what the hardware has, limited by the
/// environment variable EMBEDTUNE_CPU (portable, avx2, avx512, avx512-vnni, avx512-bf16; unset or native = all)
/// or by embedtune_cpu_force. 0 on other architectures.
int embedtune_cpu_features(void);

/// Bit set of what the hardware and operating system offer, whatever EMBEDTUNE_CPU says.
int embedtune_cpu_detected(void);

/// The feature mask an EMBEDTUNE_CPU value allows, or -1 for an unknown name (NULL or "" = all).
int embedtune_cpu_level_mask(const char *name);

/// 1 when the CPU's VDPBF16PS (32 multiply-adds) runs at least as fast as two float32 FMAs (AMD Zen 4
/// and 5), 0 where it is slower (Intel's AVX512-BF16 parts: about one every 2.4 cycles on Emerald
/// Rapids, where two FMAs issue per cycle) or absent. The bf16 products use VDPBF16PS only when it is 1.
int embedtune_cpu_bf16_dot_is_fast(void);

/// Limits the kernels to `mask & embedtune_cpu_detected()` from now on (tests force each path with
/// it); returns the previous embedtune_cpu_features(). Not for use while kernels run on other threads.
int embedtune_cpu_force(int mask);

#ifdef __cplusplus
}
#endif

#endif
