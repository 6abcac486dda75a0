import Datasets
import Encoder

extension TrainingPairs {
    /// The pairs with `query` prepended to every anchor and `document` to every positive and negative
    /// (`ModelPrompts`), so that a model with prompts is trained on the texts it will embed.
    public func prompted(query: String?, document: String?) -> TrainingPairs {
        guard query?.isEmpty == false || document?.isEmpty == false else { return self }
        return TrainingPairs(pairs.map { pair in
            TrainingPair(
                anchor: ModelPrompts.apply(query, to: [pair.anchor])[0],
                positive: ModelPrompts.apply(document, to: [pair.positive])[0],
                negatives: ModelPrompts.apply(document, to: pair.negatives))
        })
    }
}
