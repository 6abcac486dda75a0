import CSIMD
import Foundation

/// The kernels' CPU path as the environment variable `EMBEDTUNE_CPU` selects it: `portable` (no
/// vector extensions in the C kernels), `avx2`, `avx512`, `avx512-vnni`, `avx512-bf16`, or `native` / unset (the
/// best the CPU has). The choice itself is made in one place, `embedtune_cpu_features()` (CSIMD),
/// which every kernel asks; this type checks the variable so that a typo or a path the CPU cannot
/// run is an error, not a silent fallback.
public enum CPUPath {
    public static let variable = "EMBEDTUNE_CPU"
    public static let names = ["portable", "avx2", "avx512", "avx512-vnni", "avx512-bf16", "native"]

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Throws when `EMBEDTUNE_CPU` names no path, or one this CPU lacks.
    public static func validateEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard let value = environment[variable], !value.isEmpty else { return }
        let mask = embedtune_cpu_level_mask(value)
        guard mask >= 0 else {
            throw Failure(description: "\(variable)=\(value): unknown CPU path (one of \(names.joined(separator: ", ")))")
        }
        let detected = embedtune_cpu_detected()
        guard mask & detected == mask || value == "native" else {
            throw Failure(description: "\(variable)=\(value): this CPU lacks it (it runs: \(name(of: detected)))")
        }
    }

    /// The name of the path the kernels take now.
    public static var active: String { name(of: embedtune_cpu_features()) }

    static func name(of features: Int32) -> String {
        if features & Int32(EMBEDTUNE_CPU_AVX512_BF16) != 0 { return "avx512-bf16" }
        if features & Int32(EMBEDTUNE_CPU_AVX512_VNNI) != 0 { return "avx512-vnni" }
        if features & Int32(EMBEDTUNE_CPU_AVX512) != 0 { return "avx512" }
        if features & Int32(EMBEDTUNE_CPU_AVX2) != 0 { return "avx2" }
        return "portable"
    }
}
