/// The processes of one job and the collective operations among them, as data-parallel training needs
/// them: every rank must call the same operations, in the same order, with the same sizes (MPI's rule).
/// `SingleProcess` is the job of one process (every operation is the identity); `MPICollective` runs
/// the operations over MPI_COMM_WORLD with a deadline, so that a rank that died or hangs ends the job
/// instead of leaving the others waiting.
public protocol Collective: AnyObject {
    /// This process's index in 0..<size. Rank 0 alone writes the job's files.
    var rank: Int { get }
    /// Processes in the job.
    var size: Int { get }
    /// Seconds spent in each kind of operation so far, waiting for slower ranks included.
    var timings: CollectiveTimings { get }
    /// Seconds an operation may wait for the other ranks before it fails.
    var timeout: Double { get set }

    /// (size × local.count) every rank's `local`, in rank order; `local.count` must agree on every rank.
    /// `label` names the data in error messages ("the embeddings").
    func allGather(_ local: [Float], label: String) throws(CollectiveError) -> [Float]

    /// buffer = the sum over ranks of every rank's buffer, in place.
    func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>, label: String) throws(CollectiveError)

    /// bytes = rank `root`'s bytes, on every rank.
    func broadcast(_ bytes: UnsafeMutableRawBufferPointer, root: Int, label: String) throws(CollectiveError)
}

extension Collective {
    /// Rank 0: the one that writes.
    public var isRoot: Bool { rank == 0 }

    /// Runs `body` with the timeout raised by `seconds`: for the exchange after work whose length may vary
    /// between ranks by as much as it took here (embedding the guide's view of the data, an evaluation).
    public func allowing<T>(extra seconds: Double, _ body: () throws -> T) rethrows -> T {
        let usual = timeout
        timeout = usual + max(0, seconds)
        defer { timeout = usual }
        return try body()
    }
}

/// Cumulative seconds in each kind of collective operation.
public struct CollectiveTimings: Sendable, Equatable {
    public var allGather = 0.0
    public var allReduce = 0.0
    public var broadcast = 0.0

    public init() {}

    public var total: Double { allGather + allReduce + broadcast }
}

/// The job of one process: rank 0 of 1, every operation the identity.
public final class SingleProcess: Collective {
    public init() {}

    public var rank: Int { 0 }
    public var size: Int { 1 }
    public var timings: CollectiveTimings { CollectiveTimings() }
    public var timeout = Double.infinity

    public func allGather(_ local: [Float], label: String) -> [Float] { local }
    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>, label: String) {}
    public func broadcast(_ bytes: UnsafeMutableRawBufferPointer, root: Int, label: String) {}
}
