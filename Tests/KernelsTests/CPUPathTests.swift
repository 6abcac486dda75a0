import CSIMD
import Foundation
import Testing
@testable import Kernels

/// The one switch of the CPU path: names, validation, and that a run under EMBEDTUNE_CPU really
/// takes the path it names (CI runs the parity and gradient tests again under `portable`, `avx2` and the
/// AVX-512 levels below the CPU's best).
struct CPUPathTests {
    @Test func namesMapToNestedFeatureSets() {
        #expect(embedtune_cpu_level_mask("portable") == 0)
        #expect(embedtune_cpu_level_mask("avx2") == Int32(EMBEDTUNE_CPU_AVX2))
        #expect(embedtune_cpu_level_mask("avx512") == Int32(EMBEDTUNE_CPU_AVX2 | EMBEDTUNE_CPU_AVX512))
        #expect(
            embedtune_cpu_level_mask("avx512-vnni")
                == Int32(EMBEDTUNE_CPU_AVX2 | EMBEDTUNE_CPU_AVX512 | EMBEDTUNE_CPU_AVX512_VNNI))
        #expect(embedtune_cpu_level_mask("avx512-bf16") == Int32(EMBEDTUNE_CPU_ALL))
        #expect(embedtune_cpu_level_mask("native") == Int32(EMBEDTUNE_CPU_ALL))
        #expect(embedtune_cpu_level_mask("") == Int32(EMBEDTUNE_CPU_ALL))
        #expect(embedtune_cpu_level_mask("AVX2") == -1)
        #expect(embedtune_cpu_level_mask("sse") == -1)
    }

    @Test func validationRefusesUnknownNamesAndAcceptsPortable() throws {
        #expect(throws: CPUPath.Failure.self) { try CPUPath.validateEnvironment(["EMBEDTUNE_CPU": "fast"]) }
        try CPUPath.validateEnvironment(["EMBEDTUNE_CPU": "portable"])
        try CPUPath.validateEnvironment(["EMBEDTUNE_CPU": "native"])
        try CPUPath.validateEnvironment([:])
        let lacking = Self.firstPathThisCPULacks()
        if let lacking {
            #expect(throws: CPUPath.Failure.self) { try CPUPath.validateEnvironment(["EMBEDTUNE_CPU": lacking]) }
        }
    }

    /// The kernels' features are the detected ones limited by this process's EMBEDTUNE_CPU.
    @Test func theActivePathIsTheOneTheEnvironmentNames() {
        let value = ProcessInfo.processInfo.environment["EMBEDTUNE_CPU"] ?? ""
        let mask = embedtune_cpu_level_mask(value)
        #expect(mask >= 0, "EMBEDTUNE_CPU=\(value) is not a path name")
        #expect(embedtune_cpu_features() == embedtune_cpu_detected() & mask)
        if value == "portable" {
            #expect(CPUPath.active == "portable")
            #expect(!PackedLinear.isAvailable && !GELU.vectorKernel && embedtune_layer_norm_available(384) == 0)
        }
    }

    static func firstPathThisCPULacks() -> String? {
        ["avx2", "avx512", "avx512-vnni", "avx512-bf16"].first { name in
            let mask = embedtune_cpu_level_mask(name)
            return mask & embedtune_cpu_detected() != mask
        }
    }
}
