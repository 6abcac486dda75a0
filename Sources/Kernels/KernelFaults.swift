/// Deliberate faults in backward kernels, for tests only: they show that a gradient check notices a
/// wrong derivative. Every default leaves the kernels exact (x · 1 == x in IEEE arithmetic).
///
/// The switches are task-local, so a test that corrupts a kernel inside
/// `KernelFaults.$scaleGELUBackward.withValue(1.1) { ... }` affects only its own work (run it with
/// `threads: 1` so the kernel runs on the test's task) while other tests run in parallel.
public enum KernelFaults {
    /// Multiplies the derivative in `GELU.backward`; 1 in every real run.
    @TaskLocal public static var scaleGELUBackward: Float = 1
}
