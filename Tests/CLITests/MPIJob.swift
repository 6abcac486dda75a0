import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `embedtune` started by Open MPI's `mpirun` (as root it needs --allow-run-as-root; --oversubscribe lets
/// two ranks start on a machine that reports fewer slots). Fails, not skips, where mpirun is missing.
final class MPIJob {
    let process = Process()
    let stdoutURL: URL
    let stderrURL: URL
    private let handles: [FileHandle]

    /// The mpirun on PATH, or an error saying how to install it.
    static func mpirun() throws -> URL {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent("mpirun")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw CLITestError("mpirun is not installed: run scripts/setup.sh (it installs openmpi-bin and libopenmpi-dev)")
    }

    /// Starts `mpirun -np ranks [mpiOptions] embedtune arguments`, its output into files in `scratch`.
    init(ranks: Int, arguments: [String], mpiOptions: [String] = [], scratch: Scratch) throws {
        let name = "mpirun-\(UUID().uuidString)"
        stdoutURL = scratch.url.appendingPathComponent("\(name).stdout")
        stderrURL = scratch.url.appendingPathComponent("\(name).stderr")
        for url in [stdoutURL, stderrURL] { _ = FileManager.default.createFile(atPath: url.path, contents: nil) }
        let out = try FileHandle(forWritingTo: stdoutURL), err = try FileHandle(forWritingTo: stderrURL)
        handles = [out, err]
        process.executableURL = try Self.mpirun()
        // vader's single-copy (CMA) needs ptrace rights that containers often withhold
        process.arguments = ["--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "-np", String(ranks),
                             "--mca", "btl_vader_single_copy_mechanism", "none"]
            + mpiOptions + [try Repository.binary().path] + arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        for handle in handles { try? handle.close() }
    }

    /// Waits up to `seconds` for mpirun to exit; returns whether it did.
    @discardableResult
    func wait(seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        return !process.isRunning
    }

    var status: Int32 { process.terminationStatus }
    var stderr: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }
    var stdout: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }

    /// The process id of rank `rank`: a child of mpirun whose environment says OMPI_COMM_WORLD_RANK=rank.
    func pid(ofRank rank: Int) -> pid_t? {
        let parent = process.processIdentifier
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = pid_t(entry),
                  let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")")
            else { continue }
            // pid (comm) state ppid ...
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 1, pid_t(fields[1]) == parent,
                  let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ")
            else { continue }
            let variables = environ.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if variables.contains("OMPI_COMM_WORLD_RANK=\(rank)") { return pid }
        }
        return nil
    }
}

/// The float32 tensors of a .safetensors file (8-byte little-endian header length, a JSON header of
/// dtype, shape and data_offsets, then the data), read here from the format description.
func safeTensorsFloats(_ url: URL) throws -> [String: [Float]] {
    let bytes = [UInt8](try Data(contentsOf: url))
    guard bytes.count >= 8 else { throw CLITestError("\(url.path): shorter than a safetensors header") }
    let length = (0..<8).reduce(0) { $0 | Int(bytes[$1]) << (8 * $1) }
    guard 8 + length <= bytes.count,
          let header = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + length)])) as? [String: Any]
    else { throw CLITestError("\(url.path): unreadable safetensors header") }
    var tensors: [String: [Float]] = [:]
    for (name, value) in header where name != "__metadata__" {
        guard let info = value as? [String: Any], info["dtype"] as? String == "F32",
              let offsets = info["data_offsets"] as? [Int], offsets.count == 2
        else { throw CLITestError("\(url.path): \(name) is not an F32 tensor") }
        let start = 8 + length + offsets[0], end = 8 + length + offsets[1]
        tensors[name] = stride(from: start, to: end, by: 4).map { i in
            Float(bitPattern: UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24)
        }
    }
    return tensors
}
