import ArgumentParser
import Foundation
import Kernels
import Tensor

@main
struct EmbedTune: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embedtune",
        abstract: "Contrastive fine-tuning of text-embedding models, and semantic search over SQLite.",
        subcommands: [
            TokenizeCommand.self, EmbedCommand.self, MineCommand.self, TrainCommand.self, MergeCommand.self, EncodeCommand.self,
            MergeStoresCommand.self, SearchCommand.self, DeleteCommand.self, EvalCommand.self, ServeCommand.self, PlotCommand.self, GradcheckCommand.self,
        ])

    /// ArgumentParser's `main`, except that error messages — which may quote ids and texts from data
    /// files — reach the terminal with their control characters escaped (`TerminalText`).
    static func main() {
        restartWithBetterOpenBLASKernels()
        // Before anything else: OpenBLAS's idle pool spins on a core until stopped.
        ComputeContext.pinOpenBLAS()
        do {
            try CPUPath.validateEnvironment()
            var command = try parseAsRoot()
            try command.run()
        } catch let refusal as OptionRefusal {
            FileHandle.standardError.write(Data((TerminalText.escaped("Error: \(refusal)", keepNewlines: true) + "\n").utf8))
            Foundation.exit(OptionRefusal.exitCode)
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { print(message) }
            } else if !message.isEmpty {
                FileHandle.standardError.write(Data((TerminalText.escaped(message, keepNewlines: true) + "\n").utf8))
            }
            Foundation.exit(code.rawValue)
        }
    }

    /// OpenBLAS chose its kernels when it loaded; where it fell back to generic ones on a CPU with
    /// AVX2 or AVX-512 (`OpenBLASCore`), this process starts again as itself with `OPENBLAS_CORETYPE`
    /// set (same pid, arguments and environment otherwise). Never when the variable is already set —
    /// by the user or by the first start — so at most once; if the restart fails, it runs as it is.
    static func restartWithBetterOpenBLASKernels() {
        #if os(Linux)
        guard getenv("OPENBLAS_CORETYPE") == nil, let core = OpenBLASCore.better() else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        unsetenv("OPENBLAS_CORETYPE")
        #endif
    }
}
