import Encoder
import Kernels
import Tensor
import Tokenizer

/// Compares the analytic gradients of the contrastive loss (`ContrastiveStep`'s backward) with central
/// finite differences, (L(w + h) − L(w − h)) / 2h, on a few seeded entries of every trainable tensor —
/// the check of cs231n's "Gradient checks" notes and llm.c's test_gpt2.c, for the whole model.
///
/// Everything runs on one thread so that each loss is computed in the same order every time, and the
/// model must have no dropout (`model(parameters:adapter:pooling:)` builds one). The forward runs in
/// Float32, so every loss carries rounding of about ε|L| (ε = 2⁻²³), and a difference quotient is only
/// resolved to about ε|L|/h. Hence:
/// - the step moves the loss by about `lossChange`: h = lossChange / |a|, kept within
///   [minimumStep, maximumStep], and the central differences at h and h/2 are combined by Richardson
///   extrapolation, so the truncation error is O(h⁴);
/// - the loss is taken in Double from the pooled embeddings (`preciseLoss`);
/// - each tensor's entries are drawn at random (seeded), eight candidates per sample, and the ones with
///   the largest analytic gradient are checked, so that the differences stand above the rounding;
/// - relative error per entry is |a − n| / max(|a| + |n|, floor) with floor = 1000 ε|L|/h unless set
///   (the rounding of the loss scales with the loss: a peaked softmax damps the scores' rounding):
///   gradients below it are compared in absolute terms instead of reporting rounding as error.
public enum GradientCheck {
    public struct Options: Sendable {
        /// Entries checked per tensor.
        public var samplesPerTensor = 4
        /// Check at most this many tensors (a seeded subset, in block order); nil checks all.
        public var maxTensors: Int?
        /// h = lossChange / |analytic gradient|, clamped to [minimumStep, maximumStep].
        public var lossChange: Float = 1e-3
        public var minimumStep: Float = 1e-4
        public var maximumStep: Float = 0.05
        /// Denominator floor of the relative error; nil: 1000 ε|L|/h (Float32 resolution of the quotient).
        public var floor: Float?
        public var seed: UInt64 = 0
        public init() {}
    }

    public struct Sample: Sendable {
        public var index: Int  // flat index within the tensor
        public var analytic: Float
        public var numeric: Float
        public var floor: Float  // denominator floor of this entry's relative error
        public var relativeError: Float
    }

    public struct TensorResult: Sendable {
        public var name: String
        public var samples: [Sample]
        /// The largest relative error; NaN when any sample's is NaN (a non-finite loss or gradient).
        public var maxRelativeError: Float {
            samples.map(\.relativeError).reduce(0) { $0.isNaN || $1.isNaN ? .nan : max($0, $1) }
        }
    }

    /// Four made-up (anchor, positive) pairs: the batch `embedtune gradcheck` uses.
    public static let pairs: [(anchor: String, positive: String)] = [
        ("how do vaccines train the immune system",
         "A vaccine shows the immune system a harmless part of a pathogen so that it learns to recognise it."),
        ("why is the sky blue during the day",
         "Air molecules scatter short blue wavelengths of sunlight far more than the longer red ones."),
        ("what does a compiler do",
         "A compiler translates source code written by people into machine code that a processor runs."),
        ("when did the city build its first university",
         "The national university was founded in the city in 1850, a year after the state was formed."),
    ]

    /// `pairs` tokenized, each text truncated at `maxLength` tokens.
    public static func batch(tokenizer: BertTokenizer, maxLength: Int) -> ContrastiveBatch {
        ContrastiveBatch(
            anchors: pairs.map { tokenizer.encodeIDs($0.anchor, maxLength: maxLength) },
            positives: pairs.map { tokenizer.encodeIDs($0.positive, maxLength: maxLength) })
    }

    /// A model to check, without any dropout: full fine-tuning when `adapter` is nil, else LoRA with a
    /// copy of `adapter`'s weights (its lora_dropout set to 0).
    public static func model(parameters: BertParameters, adapter: LoRAAdapter?, pooling: PoolingMode) -> TrainableBert {
        let copy = adapter.map { adapter in
            var config = adapter.config
            config.loraDropout = 0
            let copy = LoRAAdapter(config: config, bert: parameters)
            copy.block.copy(from: adapter.block)
            return copy
        }
        return TrainableBert(parameters: parameters, adapter: copy, pooling: pooling, hiddenDropout: 0)
    }

    /// Fills every LoRA B with uniform values in ±bound. A fresh adapter has B = 0, which makes every
    /// A gradient exactly zero and its check vacuous; random B gives both A and B real gradients.
    public static func randomiseB(_ adapter: LoRAAdapter, bound: Float = 0.05, rng: inout SplitMix64) {
        for pair in adapter.pairs.joined().compactMap({ $0 }) {
            for i in 0..<(pair.outFeatures * adapter.rank) { pair.b[i] = (2 * rng.nextUniform() - 1) * bound }
        }
    }

    /// Checks `model`'s trainable tensors on `batch`. The trainable weights are left as they were; the
    /// gradient block holds the analytic gradients afterwards.
    public static func run(
        model: TrainableBert, batch: ContrastiveBatch, loss: InfoNCELoss, options: Options = Options(),
        progress: (TensorResult) -> Void = { _ in }
    ) -> [TensorResult] {
        precondition(model.hiddenDropout == 0 && model.attentionDropout == 0 && (model.adapter?.config.loraDropout ?? 0) == 0,
                     "gradient checks need a model without dropout")
        precondition(options.samplesPerTensor > 0, "samplesPerTensor must be positive")
        model.zeroGradients()
        let baseLoss = ContrastiveStep.run(model: model, batch: batch, loss: loss, miniBatchSize: nil, seed: 0, threads: 1)
        var rng = SplitMix64(seed: options.seed)
        let trainable = model.trainable
        var entries = trainable.entries
        if let limit = options.maxTensors, limit < entries.count {
            var order = Array(entries.indices)
            order.shuffle(using: &rng)
            entries = order.prefix(max(limit, 1)).sorted().map { entries[$0] }
        }
        var results: [TensorResult] = []
        for entry in entries {
            let weights = trainable.pointer(entry.name), gradient = model.gradients.pointer(entry.name)
            var samples: [Sample] = []
            let candidates = sampleIndices(entry, batch: batch, count: options.samplesPerTensor * 8, rng: &rng)
            let indices = candidates.sorted { abs(gradient[$0]) > abs(gradient[$1]) }.prefix(options.samplesPerTensor)
            for index in indices {
                let w = weights[index]
                let analytic = gradient[index]
                let h = min(max(options.lossChange / abs(analytic), options.minimumStep), options.maximumStep)
                // Richardson extrapolation of central differences at h and h/2: error O(h⁴) instead of O(h²)
                func difference(_ step: Float) -> Double {
                    let plus = w + step, minus = w - step
                    weights[index] = plus
                    let lossPlus = lossValue(model: model, batch: batch, loss: loss)
                    weights[index] = minus
                    let lossMinus = lossValue(model: model, batch: batch, loss: loss)
                    weights[index] = w
                    return (lossPlus - lossMinus) / (Double(plus) - Double(minus))
                }
                let coarse = difference(h), fine = difference(h / 2)
                let numeric = Float(fine + (fine - coarse) / 3)
                let floor = max(options.floor ?? 1000 * Float.ulpOfOne * abs(baseLoss) / h, .leastNormalMagnitude)
                let error = abs(analytic - numeric) / max(abs(analytic) + abs(numeric), floor)
                samples.append(Sample(index: index, analytic: analytic, numeric: numeric, floor: floor, relativeError: error))
            }
            let result = TensorResult(name: entry.name, samples: samples)
            progress(result)
            results.append(result)
        }
        return results
    }

    /// The loss of `batch` without backward: `ContrastiveStep`'s forward (one chunk), the loss in Double.
    static func lossValue(model: TrainableBert, batch: ContrastiveBatch, loss: InfoNCELoss) -> Double {
        let pooled = model.forward(PackedBatch(sequences: batch.sequences), seed: 0, threads: 1)  // (S, C)
        return preciseLoss(pooled: pooled, batch: batch, loss: loss, dimension: model.dimension)
    }

    /// Distinct seeded entries of a tensor. In the embedding tables only rows the batch looks up can have
    /// a gradient, so samples come from those rows (word ids, positions, token types in use).
    static func sampleIndices(
        _ entry: ParameterBlock.Entry, batch: ContrastiveBatch, count: Int, rng: inout SplitMix64
    ) -> [Int] {
        let sequences = batch.sequences
        let rows: [Int]?
        switch entry.name {
        case "embeddings.word_embeddings.weight": rows = Set(sequences.joined().map { Int($0) }).sorted()
        case "embeddings.position_embeddings.weight": rows = Array(0..<(sequences.map(\.count).max() ?? 1))
        case "embeddings.token_type_embeddings.weight": rows = [0]
        default: rows = nil
        }
        let width = entry.shape.count == 2 ? entry.shape[1] : 1
        let candidates = rows.map { $0.count * width } ?? entry.count
        var chosen: [Int] = []
        var seen = Set<Int>()
        while chosen.count < min(count, candidates) {
            let k = Int(rng.next() % UInt64(candidates))
            guard seen.insert(k).inserted else { continue }
            chosen.append(rows.map { $0[k / width] * width + k % width } ?? k)
        }
        return chosen
    }
}
