/// How the dynamic batcher gathers queued inputs into one forward pass.
///
/// A forward pass starts when the inputs queued reach `maxInputs` or `maxTokens`, or when the
/// oldest queued request has waited `window`; it then takes queued inputs in arrival order while
/// both budgets hold (always at least one). A request larger than the budget is split over
/// several passes and answered when its last input is done.
public struct BatchingPolicy: Sendable, Equatable {
    /// Longest a request waits for company before its pass starts.
    public var window: Duration
    /// Most sequences in one forward pass.
    public var maxInputs: Int
    /// Most tokens (after truncation, [CLS]/[SEP] included) in one forward pass.
    public var maxTokens: Int
    /// Threads the encoder uses for one pass (BLAS and attention heads).
    public var threads: Int

    public init(window: Duration = .milliseconds(2), maxInputs: Int = 256, maxTokens: Int = 8192, threads: Int = 1) {
        precondition(maxInputs > 0 && maxTokens > 0 && threads > 0, "batch budgets and threads must be positive")
        precondition(window >= .zero, "batch window must not be negative")
        self.window = window
        self.maxInputs = maxInputs
        self.maxTokens = maxTokens
        self.threads = threads
    }
}
