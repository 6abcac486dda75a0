/// How a process learns that an MPI launcher started it, from the environment the launcher sets:
/// Open MPI's `mpirun` (`OMPI_COMM_WORLD_SIZE`), a PMIx launcher such as Slurm's `srun --mpi=pmix`
/// (`PMIX_RANK`), or PMI-2 (`srun --mpi=pmi2`: `PMI_SIZE`). A process started any other way is a job of
/// one and never loads MPI.
public enum MPILaunch {
    /// The variables checked, in order.
    static let variables = ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"]

    /// The first launcher variable set in `environment`, or nil when no MPI launcher started the process.
    public static func variable(in environment: [String: String]) -> String? {
        variables.first { environment[$0] != nil }
    }

    /// Ranks started on this machine, when the launcher says (`OMPI_COMM_WORLD_LOCAL_SIZE`,
    /// `MPI_LOCALNRANKS`, Slurm's `SLURM_NTASKS_PER_NODE`): the share of the cores each rank may use.
    public static func ranksOnThisMachine(in environment: [String: String]) -> Int? {
        for name in ["OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS_PER_NODE"] {
            if let value = environment[name].flatMap({ Int($0) }), value > 0 { return value }
        }
        return nil
    }

    /// The job this process belongs to: `SingleProcess` unless an MPI launcher started it, then MPI
    /// (libmpi loaded now, from `EMBEDTUNE_MPI_LIBRARY` or `libmpi.so.40`), with `timeout` seconds as
    /// every operation's deadline.
    public static func join(environment: [String: String], timeout: Double) throws(CollectiveError) -> any Collective {
        guard let variable = variable(in: environment) else {
            // srun without an MPI plugin starts N copies that would each train alone into the same output
            if let tasks = environment["SLURM_STEP_NUM_TASKS"].flatMap({ Int($0) }), tasks > 1 {
                throw .launcherWithoutMPI(
                    "srun started \(tasks) tasks without MPI (no PMIx or PMI-2 environment); run `srun --mpi=pmix ...`, "
                    + "or mpirun inside the allocation")
            }
            return SingleProcess()
        }
        let library = environment["EMBEDTUNE_MPI_LIBRARY"] ?? "libmpi.so.40"
        return try MPICollective(library: library, launchedBy: variable, timeout: timeout)
    }
}
