import Collectives
import Encoder
import Foundation

/// The data-parallel side of `Trainer.run`: what the ranks of a job must agree on before the first step
/// and at every evaluation. Rank 0 reads the checkpoint and decides; the others receive.
extension Trainer {
    /// What rank 0 sends the other ranks before the first step.
    struct RunStart: Codable {
        var globalStep: Int
        var optimizerStep: Int
        var selection: ModelSelection
        var hasBestWeights: Bool
        /// (outFeatures, inFeatures, has a bias) of the Matryoshka rotation, when there is one.
        var rotation: [Int]?
        var configuration: TrainingConfiguration
        var baseFingerprint: UInt64
        var dataFingerprint: String
    }

    /// Every rank of a job needs the global batch to split into whole, equal shares.
    func checkSharding(ranks: Int) throws {
        guard ranks > 1 else { return }
        let batch = configuration.batchSize
        guard batch % ranks == 0 else {
            throw TrainingError.invalidConfiguration(
                "--batch-size \(batch) is not a multiple of the \(ranks) ranks: under MPI it is the global batch, "
                + "and each rank embeds batch-size / ranks pairs of it")
        }
        guard pairs.count >= batch else {
            throw TrainingError.invalidConfiguration(
                "--batch-size \(batch) exceeds the \(pairs.count) training pairs; under MPI every batch must be whole")
        }
    }

    /// Makes every rank start where rank 0 starts: its weights (initial or read from the checkpoint), optimizer
    /// state, step, evaluations, kept best weights and rotation. Fails on a rank whose options, base weights
    /// or data differ from rank 0's.
    func synchronise(
        collective: any Collective, optimizer: any Optimizer, globalStep: inout Int, selection: inout ModelSelection,
        bestWeights: inout [Float]?
    ) throws {
        let local = RunStart(
            globalStep: globalStep, optimizerStep: optimizer.stepCount, selection: selection,
            hasBestWeights: bestWeights != nil,
            rotation: rotation.map { [$0.outFeatures, $0.inFeatures, $0.bias == nil ? 0 : 1] },
            configuration: configuration, baseFingerprint: baseFingerprint, dataFingerprint: dataFingerprint)
        let start = try collective.broadcast(local, label: "the run's starting state")
        if !collective.isRoot {
            let rank = "rank \(collective.rank) of \(collective.size)"
            guard start.configuration == configuration else {
                throw CollectiveError.disagreement("\(rank) was started with other training options than rank 0")
            }
            guard start.baseFingerprint == baseFingerprint else {
                throw CollectiveError.disagreement("\(rank) loaded other base weights (--model) than rank 0")
            }
            guard start.dataFingerprint == dataFingerprint else {
                throw CollectiveError.disagreement("\(rank) read other training pairs (--data, --split) than rank 0")
            }
        }
        try collective.broadcast(model.trainable.storage.buffer, label: "the weights")
        let state = optimizer.state
        for (_, buffer) in state.buffers.sorted(by: { $0.key < $1.key }) {
            try collective.broadcast(
                UnsafeMutableBufferPointer(start: buffer.pointer, count: buffer.count), label: "the optimizer state")
        }
        try optimizer.restore(OptimizerState(step: start.optimizerStep, buffers: state.buffers))
        globalStep = start.globalStep
        selection = start.selection
        if start.hasBestWeights {
            var best = bestWeights ?? [Float](repeating: 0, count: model.trainable.storage.count)
            try best.withUnsafeMutableBufferPointer { try collective.broadcast($0, label: "the best weights") }
            bestWeights = best
        } else {
            bestWeights = nil
        }
        if let shape = start.rotation, shape.count == 3 {
            var weight = rotation?.weight ?? [Float](repeating: 0, count: shape[0] * shape[1])
            var bias = rotation?.bias ?? [Float](repeating: 0, count: shape[2] == 1 ? shape[0] : 0)
            try weight.withUnsafeMutableBufferPointer { try collective.broadcast($0, label: "the rotation") }
            try bias.withUnsafeMutableBufferPointer { try collective.broadcast($0, label: "the rotation") }
            let agreed = DenseModule(
                inFeatures: shape[1], outFeatures: shape[0], weight: weight, bias: shape[2] == 1 ? bias : nil,
                activation: .identity)
            rotation = agreed
            model.dense = directory.dense + [agreed]
        }
    }

    /// Rank 0's evaluation on every rank, so that keep-best and early stopping decide alike everywhere.
    /// (Every rank evaluates: the others would otherwise only wait for rank 0 to finish.)
    static func agreed(metrics: [String: Double], collective: any Collective) throws -> [String: Double] {
        guard collective.size > 1 else { return metrics }
        let names = metrics.keys.sorted()
        // bit patterns: JSON has no NaN
        let sent = try collective.broadcast(
            names.map { [$0: metrics[$0, default: .nan].bitPattern] }, label: "the evaluation")
        var agreed: [String: Double] = [:]
        for entry in sent { for (name, bits) in entry { agreed[name] = Double(bitPattern: bits) } }
        return agreed
    }
}
