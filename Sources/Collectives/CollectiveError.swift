/// Why a collective operation, or joining the job, failed.
public enum CollectiveError: Error, CustomStringConvertible, Equatable {
    /// Started by an MPI launcher (`variable` is set) but the MPI library could not be loaded.
    case libraryUnavailable(variable: String, library: String, reason: String)
    /// Several processes were started without the environment that lets them join one job.
    case launcherWithoutMPI(String)
    /// An MPI call returned an error.
    case mpi(call: String, code: Int32, message: String)
    /// An operation did not complete in time: another rank has failed or hangs.
    case timedOut(label: String, seconds: Double, rank: Int, size: Int)
    /// The ranks do not hold the same job (other data, options or weights).
    case disagreement(String)

    public var description: String {
        switch self {
        case .libraryUnavailable(let variable, let library, let reason):
            return "started by an MPI launcher (\(variable) is set), but \(library) could not be loaded: \(reason). "
                + "Install Open MPI (Debian: openmpi-bin libopenmpi-dev; scripts/setup.sh does it) or set "
                + "EMBEDTUNE_MPI_LIBRARY to the path of libmpi.so.40"
        case .mpi(let call, let code, let message):
            return "\(call) failed with MPI error \(code)" + (message.isEmpty ? "" : ": \(message)")
        case .timedOut(let label, let seconds, let rank, let size):
            return "rank \(rank) of \(size): exchanging \(label) did not complete within "
                + "\(seconds.formatted()) s; another rank has failed or hangs (raise --collective-timeout "
                + "if a rank legitimately needs longer between steps)"
        case .disagreement(let why), .launcherWithoutMPI(let why): return why
        }
    }
}

extension Double {
    /// "40" or "2.5": seconds as a person wrote them.
    fileprivate func formatted() -> String {
        self == rounded() && abs(self) < 1e15 ? String(Int(self)) : String(self)
    }
}
