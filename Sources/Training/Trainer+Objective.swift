import Encoder
import Foundation

extension Trainer {
    /// The loss of the configuration: MultipleNegativesRankingLoss, or GISTEmbedLoss with a guide, each
    /// optionally inside MatryoshkaLoss.
    func objective() -> any ContrastiveObjective {
        let base: any ContrastiveObjective
        if configuration.guide != nil {
            base = GISTEmbedLoss(
                scale: configuration.scale, margin: configuration.guideMargin ?? 0,
                marginStrategy: configuration.guideMarginStrategy ?? .absolute, symmetric: configuration.symmetric)
        } else {
            base = InfoNCELoss(scale: configuration.scale, symmetric: configuration.symmetric)
        }
        guard let dims = configuration.matryoshkaDimensions else { return base }
        return MatryoshkaLoss(base: base, dimensions: dims, weights: configuration.matryoshkaWeights)
    }

    /// The base model's embeddings (weights as loaded, before any checkpoint is read into them) of every
    /// distinct training text, by key.
    func baseEmbeddings(threads: Int) -> GuideEmbeddings {
        var tokensByKey = [[Int32]](repeating: [], count: pairs.keyCount)
        for p in 0..<pairs.count {
            tokensByKey[pairs.anchorKeys[p]] = tokens.anchors[p]
            tokensByKey[pairs.positiveKeys[p]] = tokens.positives[p]
            for h in 0..<pairs.negativeCount { tokensByKey[pairs.negativeKeys[h][p]] = tokens.negatives[h][p] }
        }
        let encoder = SentenceEncoder(directory: directory, parameters: model.parameters)
        return GuideEmbeddings(encoder: encoder, tokens: tokensByKey, threads: threads)
    }

    /// The guide's embeddings of every distinct training text, or nil without a guide. `base` embeds the
    /// training tokens with the base weights as loaded (call before any checkpoint is read into them);
    /// another directory embeds the texts with its own tokenizer, truncated like the training texts.
    func guideEmbeddings(threads: Int) throws -> GuideEmbeddings? {
        guard let guide = configuration.guide else { return nil }
        let count = pairs.keyCount
        switch guide {
        case .base:
            return baseEmbeddings(threads: threads)
        case .directory(let path):
            let guideDirectory: ModelDirectory
            do { guideDirectory = try ModelDirectory(url: URL(fileURLWithPath: path)) } catch {
                throw TrainingError.invalidConfiguration("--guide \(path): \(error)")
            }
            let encoder = SentenceEncoder(directory: guideDirectory, parameters: try guideDirectory.loadParameters())
            let length = min(configuration.maxLength, guideDirectory.config.maxPositionEmbeddings)
            var tokensByKey = [[Int32]](repeating: [], count: count)
            for (p, pair) in pairs.pairs.enumerated() {
                tokensByKey[pairs.anchorKeys[p]] = encoder.tokenizer.encodeIDs(pair.anchor, maxLength: length)
                tokensByKey[pairs.positiveKeys[p]] = encoder.tokenizer.encodeIDs(pair.positive, maxLength: length)
                for h in 0..<pairs.negativeCount {
                    tokensByKey[pairs.negativeKeys[h][p]] = encoder.tokenizer.encodeIDs(pair.negatives[h], maxLength: length)
                }
            }
            return GuideEmbeddings(encoder: encoder, tokens: tokensByKey, threads: threads)
        }
    }
}
