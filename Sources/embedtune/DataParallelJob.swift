import ArgumentParser
import Collectives
import Foundation

/// A command run by every rank of an MPI job (`mpirun -np N embedtune train ...`, or `srun`): joins the
/// job, runs the body, and makes any rank's failure end the whole job with its message — a rank that
/// fails writes the message and calls MPI_Abort, so the others never wait for it; a rank that the
/// launcher ends (SIGTERM, because another rank died) says so before it exits. Without a launcher the body
/// runs as one process and errors go the usual way.
enum DataParallelJob {
    static func run(command: String, timeout: Double, _ body: (any Collective) throws -> Void) throws {
        let collective = try MPILaunch.join(environment: ProcessInfo.processInfo.environment, timeout: timeout)
        guard let mpi = collective as? MPICollective else {
            try body(collective)
            return
        }
        let who = "embedtune \(command) (rank \(mpi.rank) of \(mpi.size))"
        mpi.messageOnTermination("\(who): ended by the MPI launcher: another rank failed or the job was cancelled\n")
        do {
            try body(mpi)
            try mpi.finish()
        } catch {
            let message = EmbedTune.fullMessage(for: error)
            FileHandle.standardError.write(Data((TerminalText.escaped("\(who): \(message)", keepNewlines: true) + "\n").utf8))
            mpi.abort(code: error is ValidationError ? 64 : 1)
        }
    }

    /// The threads a rank uses by default: the cores shared among the ranks on this machine.
    static func defaultThreads() -> Int {
        let environment = ProcessInfo.processInfo.environment
        let cores = ProcessInfo.processInfo.activeProcessorCount
        guard MPILaunch.variable(in: environment) != nil else { return cores }
        return max(1, cores / (MPILaunch.ranksOnThisMachine(in: environment) ?? 1))
    }
}
