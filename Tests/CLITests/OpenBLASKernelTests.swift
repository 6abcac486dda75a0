import Foundation
import Testing

/// The CLI's OpenBLAS runs kernels fit for the CPU: on a CPU with AVX2 and FMA, never a generic set
/// (OpenBLAS 0.3.21 takes `Prescott`, SSE3, for CPUs newer than it knows, unless the CLI restarts it
/// with `OPENBLAS_CORETYPE`), and a value the user sets is kept.
struct OpenBLASKernelTests {
    static let generic: Set<String> = [
        "Prescott", "Katmai", "Coppermine", "Northwood", "Banias", "Core2", "Penryn", "Dunnington", "Nehalem",
        "Atom", "Sandybridge", "Unknown", "",
    ]

    /// The `blas_core` of `embed --benchmark-repeats 1` on one line.
    func core(environment: [String: String] = [:], removing: [String] = []) throws -> String {
        let result = try runEmbedTune(
            ["embed", "--model", Repository.tinyModel.path, "--benchmark-repeats", "1"], input: Data("a line\n".utf8),
            environment: environment, removing: removing)
        try #require(result.status == 0, "embed failed: \(result.stderr)")
        let line = try #require(result.stdoutText.split(separator: "\n").last.map(String.init))
        let record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        return try #require(record["blas_core"] as? String, "no blas_core in \(line)")
    }

    @Test func theKernelsFitTheCPU() throws {
        let flags = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
            .split(separator: "\n").first { $0.hasPrefix("flags") }.map { Set($0.split(separator: " ").map(String.init)) }
        let chosen = try core(removing: ["OPENBLAS_CORETYPE", "EMBEDTUNE_CPU"])
        if let flags, flags.contains("avx2") && flags.contains("fma") {
            #expect(!Self.generic.contains(chosen), "OpenBLAS runs its generic \(chosen) kernels on an AVX2 CPU")
        } else {
            #expect(!chosen.isEmpty)
        }
    }

    @Test func theUsersChoiceIsKept() throws {
        #expect(try core(environment: ["OPENBLAS_CORETYPE": "Prescott"], removing: ["EMBEDTUNE_CPU"]) == "Prescott")
    }
}
