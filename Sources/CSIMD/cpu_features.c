// See include/cpu_features.h.
#include "cpu_features.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <stdint.h>

// xgetbv without needing the xsave target feature.
static uint64_t read_xcr0(void) {
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((uint64_t)edx << 32) | eax;
}

static int detect(void) {
    int features = 0;
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    const int osxsave = (c >> 27) & 1, fma = (c >> 12) & 1;
    if (!osxsave) return 0;
    const uint64_t xcr0 = read_xcr0();
    const int ymm_state = (xcr0 & 0x6) == 0x6;
    const int zmm_state = (xcr0 & 0xE6) == 0xE6;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    const int avx2 = (b >> 5) & 1, avx512f = (b >> 16) & 1, avx512dq = (b >> 17) & 1, avx512bw = (b >> 30) & 1,
              avx512vl = (b >> 31) & 1;
    const int vnni = (c >> 11) & 1;
    unsigned a1 = 0, b1 = 0, c1 = 0, d1 = 0;
    const int bf16 = a >= 1 && __get_cpuid_count(7, 1, &a1, &b1, &c1, &d1) && ((a1 >> 5) & 1);
    if (ymm_state && avx2 && fma) features |= EMBEDTUNE_CPU_AVX2;
    if (zmm_state && avx512f && avx512dq && avx512bw && avx512vl) {
        features |= EMBEDTUNE_CPU_AVX512;
        if (vnni) features |= EMBEDTUNE_CPU_AVX512_VNNI;
        if (vnni && bf16) features |= EMBEDTUNE_CPU_AVX512_BF16;
    }
    return features;
}
#endif

// The features the hardware offers, then the subset the kernels may use: all of them unless
// EMBEDTUNE_CPU names a lower level (or a test forces one). Every kernel asks embedtune_cpu_features(),
// so this file is the one place that decides the CPU path.
static int detected = -1;
static int allowed = -1;

int embedtune_cpu_detected(void) {
    int f = __atomic_load_n(&detected, __ATOMIC_RELAXED);
    if (f < 0) {
#if defined(__x86_64__)
        f = detect();
#else
        f = 0;
#endif
        __atomic_store_n(&detected, f, __ATOMIC_RELAXED);
    }
    return f;
}

int embedtune_cpu_level_mask(const char *name) {
    if (name == 0 || name[0] == 0 || strcmp(name, "native") == 0) return EMBEDTUNE_CPU_ALL;
    if (strcmp(name, "portable") == 0) return 0;
    if (strcmp(name, "avx2") == 0) return EMBEDTUNE_CPU_AVX2;
    if (strcmp(name, "avx512") == 0) return EMBEDTUNE_CPU_AVX2 | EMBEDTUNE_CPU_AVX512;
    if (strcmp(name, "avx512-vnni") == 0) return EMBEDTUNE_CPU_AVX2 | EMBEDTUNE_CPU_AVX512 | EMBEDTUNE_CPU_AVX512_VNNI;
    if (strcmp(name, "avx512-bf16") == 0) return EMBEDTUNE_CPU_ALL;
    return -1;
}

int embedtune_cpu_features(void) {
    int f = __atomic_load_n(&allowed, __ATOMIC_RELAXED);
    if (f < 0) {
        int mask = embedtune_cpu_level_mask(getenv("EMBEDTUNE_CPU"));
        if (mask < 0) mask = EMBEDTUNE_CPU_ALL;  // the command line refuses unknown names before this
        f = embedtune_cpu_detected() & mask;
        __atomic_store_n(&allowed, f, __ATOMIC_RELAXED);
    }
    return f;
}

int embedtune_cpu_bf16_dot_is_fast(void) {
#if defined(__x86_64__)
    unsigned a, b, c, d;
    if (!(embedtune_cpu_detected() & EMBEDTUNE_CPU_AVX512_BF16) || !__get_cpuid(0, &a, &b, &c, &d)) return 0;
    return b == 0x68747541u && d == 0x69746E65u && c == 0x444D4163u;  // "AuthenticAMD"
#else
    return 0;
#endif
}

int embedtune_cpu_force(int mask) {
    const int previous = embedtune_cpu_features();
    __atomic_store_n(&allowed, embedtune_cpu_detected() & mask & EMBEDTUNE_CPU_ALL, __ATOMIC_RELAXED);
    return previous;
}
