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
/// normalisation of a model directory, as `SentenceTransformer.encode` does.
public final class SentenceEncoder: @unchecked Sendable {
    public let directory: ModelDirectory
    public let model: BertModel
    public let fingerprint: ModelFingerprint
    public var tokenizer: BertTokenizer { directory.tokenizer }
    public var dimension: Int { model.dimension }
    public var maxLength: Int { directory.maxSequenceLength }

    public init(directory: ModelDirectory, parameters: BertParameters) {
        self.directory = directory
        self.model = BertModel(parameters: parameters, pooling: directory.pooling, normalize: directory.normalize)
        let storage = parameters.block.storage
        let hash = ModelFingerprint.hash(
            UnsafeRawBufferPointer(start: storage.pointer, count: storage.count * MemoryLayout<Float>.stride))
        fingerprint = ModelFingerprint(
            weightsHash: hash, pooling: directory.pooling.rawValue, normalize: directory.normalize,
            maxLength: directory.maxSequenceLength, dimension: parameters.config.hiddenSize)
    }

    /// Loads a model directory, merges a peft LoRA adapter into its weights when one is given, and
    /// optionally truncates at `maxLength` instead of the directory's length.
    public convenience init(modelDirectory url: URL, adapterDirectory: URL? = nil, maxLength: Int? = nil) throws {
        var directory = try ModelDirectory(url: url)
        if let maxLength { directory = directory.withMaxSequenceLength(maxLength) }
        let parameters = try directory.loadParameters()
        if let adapterDirectory {
            try LoRAAdapter(directory: adapterDirectory, bert: parameters).merge(into: parameters)
        }
        self.init(directory: directory, parameters: parameters)
    }

    /// Token ids of every text, truncated to the model's length.
    public func tokenize(_ texts: [String]) -> [[Int32]] {
        texts.map { tokenizer.encodeIDs($0, maxLength: maxLength) }
    }

    /// Embeddings (count, dim) row-major, in the order of `texts`. Texts are sorted by length and cut
    /// into batches of at most `batchSize` sequences; sequences are packed, so no padding is computed.
    public func encode(
        _ texts: [String], batchSize: Int = 32, threads: Int = 1,
        progress: ((EncodingProgress) -> Void)? = nil
    ) -> [Float] {
        encode(tokenIDs: tokenize(texts), batchSize: batchSize, threads: threads, progress: progress)
    }

    public func encode(
        tokenIDs: [[Int32]], batchSize: Int = 32, threads: Int = 1,
        progress: ((EncodingProgress) -> Void)? = nil
    ) -> [Float] {
        precondition(batchSize > 0, "batch size must be positive")
        let d = dimension
        var result = [Float](repeating: 0, count: tokenIDs.count * d)
        let order = tokenIDs.indices.sorted { tokenIDs[$0].count < tokenIDs[$1].count || (tokenIDs[$0].count == tokenIDs[$1].count && $0 < $1) }
        let workspace = InferenceWorkspace()
        let batchOutput = Tensor(zeros: [batchSize, d])
        BLASThreads.set(threads)
        var done = 0
        result.withUnsafeMutableBufferPointer { out in
            guard let outBase = out.baseAddress else { return }
            var start = 0
            while start < order.count {
                let end = min(start + batchSize, order.count)
                var batch = PackedBatch()
                for i in order[start..<end] { batch.append(tokenIDs[i]) }
                model.encode(batch, into: batchOutput.pointer, workspace: workspace, threads: threads)
                for (row, i) in order[start..<end].enumerated() {
                    (outBase + i * d).update(from: batchOutput.pointer + row * d, count: d)
                }
                done += end - start
                progress?(EncodingProgress(completed: done, total: order.count))
                start = end
            }
        }
        return result
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
