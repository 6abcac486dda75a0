import Encoder
import Foundation

/// Dynamic batching in front of one frozen `SentenceEncoder`: requests from many connections are
/// queued, and one dedicated worker thread gathers them (see `BatchingPolicy`) into a single
/// forward pass, then answers each request with its own rows. The pass computes the model's full
/// embeddings; each request's rows are then truncated as it asked (`EmbeddingTruncation`), so
/// requests of different `dimensions` share a pass.
///
/// The encoder runs only on the worker thread — never on the NIO event loops or Swift's
/// cooperative pool — so one `InferenceWorkspace` per pass suffices (`BertModel.encode` is not
/// reentrant on a workspace) and the HTTP side stays responsive while a pass runs.
public final class EmbeddingBatcher: @unchecked Sendable {
    /// The encoder served: its truncation is the default of `embed(tokenIDs:)`.
    public let encoder: SentenceEncoder
    /// `encoder` without truncation: what the forward pass computes.
    private let fullEncoder: SentenceEncoder
    public let policy: BatchingPolicy
    let metrics: ServiceMetrics

    /// One request's inputs, waiting or in progress.
    private final class PendingJob: @unchecked Sendable {
        /// (count) token ids per input, truncated.
        let tokens: [[Int32]]
        /// nil: rows are the model's full embeddings.
        let truncation: EmbeddingTruncation?
        let enqueued: ContinuousClock.Instant
        let continuation: CheckedContinuation<[Float], any Error>
        /// First input not yet taken into a pass. Guarded by `condition`.
        var next = 0
        /// (count, N) embeddings written so far, and how many rows. Worker thread only.
        var output: [Float]
        var done = 0

        init(
            tokens: [[Int32]], truncation: EmbeddingTruncation?, dimension: Int,
            continuation: CheckedContinuation<[Float], any Error>
        ) {
            self.tokens = tokens
            self.truncation = truncation
            self.enqueued = .now
            self.continuation = continuation
            output = [Float](repeating: 0, count: tokens.count * (truncation?.dimensions ?? dimension))
        }
    }

    private typealias Item = (job: PendingJob, index: Int)

    // Everything below is guarded by `condition`.
    private let condition = NSCondition()
    private var queue: [PendingJob] = []
    private var queuedInputs = 0
    private var queuedTokens = 0
    private var stopping = false
    private var finished = false
    private var finishWaiters: [CheckedContinuation<Void, Never>] = []

    public init(encoder: SentenceEncoder, policy: BatchingPolicy, metrics: ServiceMetrics) {
        self.encoder = encoder
        self.fullEncoder = encoder.untruncated
        self.policy = policy
        self.metrics = metrics
        let thread = Thread { [self] in workerLoop() }
        thread.name = "embedtune-encoder"
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Embeddings (count, `encoder.dimension`) row-major for already tokenized inputs, in their
    /// order, truncated as `encoder` truncates. Throws a 503 `APIError` once `shutdown()` has begun.
    public func embed(tokenIDs: [[Int32]]) async throws -> [Float] {
        try await embed(tokenIDs: tokenIDs, truncation: encoder.truncation)
    }

    /// Embeddings (count, N) row-major: the model's full embeddings (N = its dimension) when
    /// `truncation` is nil, else truncated by it (N = its `dimensions`).
    public func embed(tokenIDs: [[Int32]], truncation: EmbeddingTruncation?) async throws -> [Float] {
        precondition(!tokenIDs.isEmpty, "embed needs at least one input")
        precondition(truncation.map { $0.modelDimension == encoder.modelDimension } ?? true,
                     "a truncation of another model's embeddings")
        return try await withCheckedThrowingContinuation { continuation in
            let job = PendingJob(
                tokens: tokenIDs, truncation: truncation, dimension: encoder.modelDimension, continuation: continuation)
            condition.lock()
            if stopping {
                condition.unlock()
                continuation.resume(throwing: APIError(.serviceUnavailable, .unavailable, "the server is shutting down"))
                return
            }
            queue.append(job)
            queuedInputs += tokenIDs.count
            queuedTokens += tokenIDs.reduce(0) { $0 + $1.count }
            condition.signal()
            condition.unlock()
        }
    }

    /// Refuses new requests, finishes every queued one, then stops the worker thread.
    public func shutdown() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            condition.lock()
            stopping = true
            condition.broadcast()
            if finished {
                condition.unlock()
                continuation.resume()
            } else {
                finishWaiters.append(continuation)
                condition.unlock()
            }
        }
    }

    private func workerLoop() {
        while let batch = nextBatch() { run(batch) }
        condition.lock()
        finished = true
        let waiters = finishWaiters
        finishWaiters = []
        condition.unlock()
        for waiter in waiters { waiter.resume() }
    }

    /// Waits for work, lets the window fill, and takes the inputs of the next pass; nil once
    /// stopping with nothing left.
    private func nextBatch() -> [Item]? {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty {
            if stopping { return nil }
            condition.wait()
        }
        let deadline = queue[0].enqueued + policy.window
        while !stopping, queuedInputs < policy.maxInputs, queuedTokens < policy.maxTokens {
            let remaining = ContinuousClock.now.duration(to: deadline)
            if remaining <= .zero { break }
            _ = condition.wait(until: Date(timeIntervalSinceNow: remaining.seconds))
        }
        var items: [Item] = []
        var tokens = 0
        let now = ContinuousClock.now
        gather: while let job = queue.first {
            while job.next < job.tokens.count {
                let n = job.tokens[job.next].count
                if !items.isEmpty, items.count >= policy.maxInputs || tokens + n > policy.maxTokens { break gather }
                if job.next == 0 { metrics.recordQueueTime(seconds: job.enqueued.duration(to: now).seconds) }
                items.append((job, job.next))
                tokens += n
                job.next += 1
            }
            queue.removeFirst()
        }
        queuedInputs -= items.count
        queuedTokens -= tokens
        return items
    }

    /// One forward pass over `batch`; answers every request whose last input it holds.
    private func run(_ batch: [Item]) {
        let ids = batch.map { $0.job.tokens[$0.index] }
        let start = ContinuousClock.now
        let embeddings = fullEncoder.encode(tokenIDs: ids, batchSize: ids.count, threads: policy.threads)  // (n, C)
        metrics.recordBatch(inputs: ids.count, tokens: ids.reduce(0) { $0 + $1.count },
                            seconds: start.duration(to: .now).seconds)
        let c = fullEncoder.dimension
        for (row, item) in batch.enumerated() {
            let job = item.job
            job.output.withUnsafeMutableBufferPointer { out in
                embeddings.withUnsafeBufferPointer { src in
                    guard let o = out.baseAddress, let s = src.baseAddress else { return }
                    if let truncation = job.truncation {
                        truncation.apply(out: o + item.index * truncation.dimensions, inp: s + row * c, rows: 1)
                    } else {
                        (o + item.index * c).update(from: s + row * c, count: c)
                    }
                }
            }
            job.done += 1
            if job.done == job.tokens.count { job.continuation.resume(returning: job.output) }
        }
    }
}

extension Duration {
    /// The duration in seconds as a Double.
    var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) * 1e-18
    }
}
