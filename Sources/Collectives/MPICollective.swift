import CMPI

/// The collective operations over MPI_COMM_WORLD of Open MPI, loaded at run time (`CMPI`). Each
/// operation is non-blocking (MPI_Iallgather, MPI_Iallreduce, MPI_Ibcast) and polled until `timeout`
/// seconds pass; then it throws `CollectiveError.timedOut`, and the caller reports it and calls
/// `abort`, which ends every rank (MPI_Abort). Only the thread that created it may use it
/// (MPI_THREAD_FUNNELED).
public final class MPICollective: Collective {
    public let rank: Int
    public let size: Int
    /// Seconds an operation may wait for the other ranks.
    public var timeout: Double
    public private(set) var timings = CollectiveTimings()

    /// Loads `library`, initialises MPI and joins MPI_COMM_WORLD. `launchedBy` is the launcher's
    /// environment variable, named in the error when the library is missing. MPI can be initialised
    /// once per process.
    public init(library: String, launchedBy variable: String, timeout: Double) throws(CollectiveError) {
        precondition(timeout > 0, "the collective timeout must be positive")
        var reason = [CChar](repeating: 0, count: 1024)
        if embedtune_mpi_load(library, &reason, reason.count) != 0 {
            throw .libraryUnavailable(variable: variable, library: library, reason: Self.string(reason))
        }
        var rank: Int32 = 0, size: Int32 = 0
        try Self.check(embedtune_mpi_init(&rank, &size), "MPI_Init_thread")
        self.rank = Int(rank)
        self.size = Int(size)
        self.timeout = timeout
    }

    public func allGather(_ local: [Float], label: String) throws(CollectiveError) -> [Float] {
        var gathered = [Float](repeating: 0, count: local.count * size)
        let count = try Self.count(local.count, label)
        try local.withUnsafeBufferPointer { (send) throws(CollectiveError) in
            try gathered.withUnsafeMutableBufferPointer { (receive) throws(CollectiveError) in
                var request: embedtune_mpi_request?
                try Self.check(embedtune_mpi_iallgather_float(send.baseAddress, receive.baseAddress, count, &request), "MPI_Iallgather")
                timings.allGather += try wait(&request, label: label)
            }
        }
        return gathered
    }

    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>, label: String) throws(CollectiveError) {
        var request: embedtune_mpi_request?
        try Self.check(embedtune_mpi_iallreduce_sum_float(buffer.baseAddress, try Self.count(buffer.count, label), &request), "MPI_Iallreduce")
        timings.allReduce += try wait(&request, label: label)
    }

    public func broadcast(_ bytes: UnsafeMutableRawBufferPointer, root: Int, label: String) throws(CollectiveError) {
        var request: embedtune_mpi_request?
        try Self.check(embedtune_mpi_ibcast_bytes(bytes.baseAddress, try Self.count(bytes.count, label), Int32(root), &request), "MPI_Ibcast")
        timings.broadcast += try wait(&request, label: label)
    }

    /// Ends every rank of the job with `code` (MPI_Abort); the launcher reports it.
    public func abort(code: Int32) -> Never {
        _ = embedtune_mpi_abort(code)
        fatalError("MPI_Abort returned")  // it does not: the launcher kills the job
    }

    /// What this rank writes to standard error when the launcher ends it with SIGTERM (another rank
    /// failed or the job was cancelled); it then exits with status 143.
    public func messageOnTermination(_ message: String) {
        embedtune_mpi_message_on_sigterm(message)
    }

    /// The end of a successful job: waits (with the deadline) until every rank has arrived, so that no
    /// rank leaves while another still works, then MPI_Finalize.
    public func finish() throws(CollectiveError) {
        var arrived: [Float] = [1]
        try arrived.withUnsafeMutableBufferPointer { (buffer) throws(CollectiveError) in
            try allReduceSum(buffer, label: "the end of the job")
        }
        try Self.check(embedtune_mpi_finalize(), "MPI_Finalize")
    }

    /// Polls `request` until it completes; returns the seconds it took.
    func wait(_ request: inout embedtune_mpi_request?, label: String) throws(CollectiveError) -> Double {
        var waited = 0.0
        let code = embedtune_mpi_wait(&request, timeout, &waited)
        if code == -1 { throw .timedOut(label: label, seconds: timeout, rank: rank, size: size) }
        try Self.check(code, "MPI_Test")
        return waited
    }

    static func check(_ code: Int32, _ call: String) throws(CollectiveError) {
        guard code != 0 else { return }
        var text = [CChar](repeating: 0, count: 512)
        embedtune_mpi_error_string(code, &text, text.count)
        throw .mpi(call: call, code: code, message: string(text))
    }

    /// MPI counts are Int32.
    static func count(_ n: Int, _ label: String) throws(CollectiveError) -> Int32 {
        guard let count = Int32(exactly: n) else {
            throw .mpi(call: "a collective over \(label)", code: -1, message: "\(n) elements exceed MPI's Int32 count")
        }
        return count
    }

    static func string(_ text: [CChar]) -> String {
        String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
