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
        // Before anything else: OpenBLAS's idle pool spins on a core until stopped.
        ComputeContext.pinOpenBLAS()
        do {
            try CPUPath.validateEnvironment()
            var command = try parseAsRoot()
            try command.run()
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
}
