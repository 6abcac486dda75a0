import Foundation
import Kernels
import Tensor
import Tokenizer

/// Progress of a long encoding run, reported to a callback (library code never prints).
public struct EncodingProgress: Sendable {
    public var completed: Int
    public var total: Int
}

/// Texts in, embeddings out: the tokenizer, the frozen model (any adapter merged), pooling and
/// normalisation of a model directory, as `SentenceTransformer.encode` does; optionally truncated to
/// the first `dimensions` values and L2-normalised again (`EmbeddingTruncation`, OpenAI's `dimensions`).
public final class SentenceEncoder: @unchecked Sendable {
    public let directory: ModelDirectory
    public let model: BertModel
    /// nil: the model's full embedding.
    public let truncation: EmbeddingTruncation?
    /// The `WeightsStamp` of the weight files (model, adapter) taken before they were read, when
    /// loaded from directories: while the files keep it, they hold the weights of `fingerprint`.
    public private(set) var weightsStamp: String?
    public var tokenizer: BertTokenizer { directory.tokenizer }
    /// Values per embedding this encoder returns: the truncation's, else the model's.
    public var dimension: Int { truncation?.dimensions ?? model.dimension }
    /// Values per embedding the model produces, before any truncation.
    public var modelDimension: Int { model.dimension }
    public var maxLength: Int { directory.maxSequenceLength }

    /// Includes the truncation: truncated and full embeddings are different vectors. The hash of the
    /// weights is computed on the first use, once per model (encoding alone never needs it).
    public var fingerprint: ModelFingerprint { fingerprint(weightsHash: model.weightsHash) }

    /// `packing`: when the model's Linears are laid out for the packed kernel (`LinearPacking`);
    /// `precision`: the format of its matrix products (`InferencePrecision`).
    public init(
        directory: ModelDirectory, weights: FrozenBertWeights, packing: LinearPacking = .forLargeCalls,
        precision: InferencePrecision = .fp32
    ) {
        self.directory = directory
        self.model = BertModel(
            weights: weights, pooling: directory.pooling, normalize: directory.normalize, dense: directory.dense,
            packing: packing, precision: precision)
        truncation = nil
    }

    /// An encoder over `parameters`' block (a trainer's current weights), which must not change afterwards.
    public convenience init(
        directory: ModelDirectory, parameters: BertParameters, packing: LinearPacking = .forLargeCalls
    ) {
        self.init(directory: directory, weights: FrozenBertWeights(parameters), packing: packing)
    }

    private init(sharing other: SentenceEncoder, truncation: EmbeddingTruncation?) {
        directory = other.directory
        model = other.model
        self.truncation = truncation
        weightsStamp = other.weightsStamp
    }

    /// Loads a model directory, merges a peft LoRA adapter into its weights when one is given,
    /// optionally truncates inputs at `maxLength` tokens instead of the directory's length, and
    /// embeddings at `dimensions` values (see `truncated(to:)`). The weights are read in place from
    /// the safetensors mapping (`ModelDirectory.loadFrozenWeights`); `packing` says when the Linears
    /// are laid out for the packed kernel (`LinearPacking`: a long-lived encoder packs at load);
    /// `precision` the format of its matrix products (bf16 and int8 convert the weights at load).
    public convenience init(
        modelDirectory url: URL, adapterDirectory: URL? = nil, maxLength: Int? = nil, dimensions: Int? = nil,
        packing: LinearPacking = .forLargeCalls, precision: InferencePrecision = .fp32
    ) throws {
        var directory = try ModelDirectory(url: url)
        let stamp = WeightsStamp.of(directory.weightFiles + (adapterDirectory.map(LoRAAdapter.weightFiles(in:)) ?? []))
        if let maxLength { directory = directory.withMaxSequenceLength(maxLength) }
        var weights = try directory.loadFrozenWeights()
        if let adapterDirectory {
            weights = try LoRAAdapter(directory: adapterDirectory, weights: weights).merged(into: weights)
            directory = try LoRAAdapter.withProjection(of: adapterDirectory, on: directory)
        }
        let full = SentenceEncoder(directory: directory, weights: weights, packing: packing, precision: precision)
        full.weightsStamp = stamp
        self.init(sharing: full, truncation: try full.truncation(for: dimensions))
    }

    /// The same model (shared, not copied) returning the first `dimensions` values of each
    /// embedding, L2-normalised; nil, or all the values of a normalising model, gives the full
    /// embedding unchanged. Throws when `dimensions` is not in 1...`modelDimension`.
    public func truncated(to dimensions: Int?) throws(EmbeddingDimensionsError) -> SentenceEncoder {
        let asked = try self.truncation(for: dimensions)
        return asked == truncation ? self : SentenceEncoder(sharing: self, truncation: asked)
    }

    /// The same model returning its full embeddings.
    public var untruncated: SentenceEncoder {
        truncation == nil ? self : SentenceEncoder(sharing: self, truncation: nil)
    }

    /// The truncation `dimensions` asks of this model (`EmbeddingTruncation.requested`).
    public func truncation(for dimensions: Int?) throws(EmbeddingDimensionsError) -> EmbeddingTruncation? {
        try EmbeddingTruncation.requested(
            dimensions, modelDimension: model.dimension, modelNormalizes: directory.normalize)
    }

    /// Token ids of every text, truncated to the model's length.
    public func tokenize(_ texts: [String]) -> [[Int32]] {
        texts.map { tokenizer.encodeIDs($0, maxLength: maxLength) }
    }

    /// Embeddings (count, `dimension`) row-major, in the order of `texts`. Texts are sorted by length and cut
    /// into batches of at most `batchSize` sequences; sequences are packed, so no padding is computed.
    public func encode(
        _ texts: [String], batchSize: Int = 32, threads: Int = 1,
        progress: ((EncodingProgress) -> Void)? = nil
    ) -> [Float] {
        encode(tokenIDs: tokenize(texts), batchSize: batchSize, threads: threads, progress: progress)
    }

    /// With `threads` > 1 and more than one batch, each thread encodes whole batches on its own
    /// (one BLAS thread each, its own workspace): small matrix products scale better side by side
    /// than split across threads. A single batch uses all threads inside its matrix products.
    public func encode(
        tokenIDs: [[Int32]], batchSize: Int = 32, threads: Int = 1,
        progress: ((EncodingProgress) -> Void)? = nil
    ) -> [Float] {
        precondition(batchSize > 0, "batch size must be positive")
        // A batch never holds more than the texts: an option of 10^8 allocates for the texts given.
        let batchSize = min(batchSize, max(1, tokenIDs.count))
        let c = model.dimension, n = dimension
        let truncation = self.truncation
        var result = [Float](repeating: 0, count: tokenIDs.count * n)  // (count, N)
        let order = tokenIDs.indices.sorted {
            tokenIDs[$0].count < tokenIDs[$1].count || (tokenIDs[$0].count == tokenIDs[$1].count && $0 < $1)
        }
        let batchCount = (order.count + batchSize - 1) / batchSize
        let workers = max(1, min(threads, batchCount))
        let counter = ProgressCounter(total: order.count, report: progress)
        result.withUnsafeMutableBufferPointer { out in
            guard let base = out.baseAddress else { return }
            nonisolated(unsafe) let outBase = base
            // Workers take the next batch as they finish one, longest batches first: the last batch
            // anyone waits for is a short one (a fixed deal left one worker up to a long batch behind).
            let queue = BatchQueue(count: batchCount)
            parallelFor(workers, threads: workers) { _ in
                let workspace = InferenceWorkspace()
                let batchOutput = Tensor(zeros: [batchSize, c])  // (B, C)
                while let index = queue.next() {
                    let rows = order[(index * batchSize)..<min((index + 1) * batchSize, order.count)]
                    var batch = PackedBatch()
                    for i in rows { batch.append(tokenIDs[i]) }
                    self.model.encode(
                        batch, into: batchOutput.pointer, workspace: workspace, threads: workers > 1 ? 1 : threads)
                    for (row, i) in rows.enumerated() {
                        let source = batchOutput.pointer + row * c
                        if let truncation {
                            truncation.apply(out: outBase + i * n, inp: source, rows: 1)
                        } else {
                            (outBase + i * n).update(from: source, count: n)
                        }
                    }
                    counter.add(rows.count)
                }
            }
        }
        return result
    }
}

/// Hands out batch indices count-1, count-2, ..., 0 (batches are sorted by length, so the longest
/// first), each once, to whichever worker asks.
private final class BatchQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var remaining: Int

    init(count: Int) { remaining = count }

    func next() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard remaining > 0 else { return nil }
        remaining -= 1
        return remaining
    }
}

/// Completed-sequence count shared by the encoding workers; reports under a lock, so the callback
/// never runs twice at once.
private final class ProgressCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var done = 0
    private let total: Int
    private let report: ((EncodingProgress) -> Void)?

    init(total: Int, report: ((EncodingProgress) -> Void)?) {
        self.total = total
        self.report = report
    }

    func add(_ count: Int) {
        lock.lock()
        defer { lock.unlock() }
        done += count
        report?(EncodingProgress(completed: done, total: total))
    }
}

extension ModelDirectory {
    /// The same directory truncating at `n` tokens (capped by the position table).
    public func withMaxSequenceLength(_ n: Int) -> ModelDirectory {
        var copy = self
        copy.overrideMaxLength(min(n, config.maxPositionEmbeddings))
        return copy
    }
}
