import Foundation

/// The activation of the feed-forward block, by its Hugging Face name (`hidden_act`).
public enum HiddenAct: String, Codable, Sendable {
    /// Exact GELU, 0.5 x (1 + erf(x / √2)): what BERT checkpoints call "gelu".
    case gelu
}

/// `config.json` of a Hugging Face BERT-family checkpoint (transformers' `BertConfig`), the fields the
/// encoder uses. Unknown fields are ignored; unsupported choices are rejected when the model loads.
public struct BertConfig: Codable, Sendable, Equatable {
    public var vocabSize: Int
    public var hiddenSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var intermediateSize: Int
    public var hiddenAct: HiddenAct
    public var hiddenDropoutProb: Float
    public var attentionProbsDropoutProb: Float
    public var maxPositionEmbeddings: Int
    public var typeVocabSize: Int
    public var layerNormEps: Float
    public var padTokenId: Int
    public var positionEmbeddingType: String
    public var modelType: String?

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size", hiddenSize = "hidden_size", numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads", intermediateSize = "intermediate_size"
        case hiddenAct = "hidden_act", hiddenDropoutProb = "hidden_dropout_prob"
        case attentionProbsDropoutProb = "attention_probs_dropout_prob"
        case maxPositionEmbeddings = "max_position_embeddings", typeVocabSize = "type_vocab_size"
        case layerNormEps = "layer_norm_eps", padTokenId = "pad_token_id"
        case positionEmbeddingType = "position_embedding_type", modelType = "model_type"
    }

    public init(
        vocabSize: Int, hiddenSize: Int, numHiddenLayers: Int, numAttentionHeads: Int, intermediateSize: Int,
        hiddenAct: HiddenAct = .gelu, hiddenDropoutProb: Float = 0.1, attentionProbsDropoutProb: Float = 0.1,
        maxPositionEmbeddings: Int = 512, typeVocabSize: Int = 2, layerNormEps: Float = 1e-12, padTokenId: Int = 0
    ) {
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads
        self.intermediateSize = intermediateSize
        self.hiddenAct = hiddenAct
        self.hiddenDropoutProb = hiddenDropoutProb
        self.attentionProbsDropoutProb = attentionProbsDropoutProb
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.typeVocabSize = typeVocabSize
        self.layerNormEps = layerNormEps
        self.padTokenId = padTokenId
        self.positionEmbeddingType = "absolute"
        self.modelType = "bert"
    }

    /// Transformers' defaults apply to fields a config leaves out (as `BertConfig.__init__` does).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        vocabSize = try c.decode(Int.self, forKey: .vocabSize)
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        numHiddenLayers = try c.decode(Int.self, forKey: .numHiddenLayers)
        numAttentionHeads = try c.decode(Int.self, forKey: .numAttentionHeads)
        intermediateSize = try c.decode(Int.self, forKey: .intermediateSize)
        let act = try c.decodeIfPresent(String.self, forKey: .hiddenAct) ?? HiddenAct.gelu.rawValue
        guard let hiddenAct = HiddenAct(rawValue: act) else {
            throw DecodingError.dataCorruptedError(
                forKey: .hiddenAct, in: c, debugDescription: "\"\(act)\" is not supported (only \"gelu\" is)")
        }
        self.hiddenAct = hiddenAct
        hiddenDropoutProb = try c.decodeIfPresent(Float.self, forKey: .hiddenDropoutProb) ?? 0.1
        attentionProbsDropoutProb = try c.decodeIfPresent(Float.self, forKey: .attentionProbsDropoutProb) ?? 0.1
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? 512
        typeVocabSize = try c.decodeIfPresent(Int.self, forKey: .typeVocabSize) ?? 2
        layerNormEps = try c.decodeIfPresent(Float.self, forKey: .layerNormEps) ?? 1e-12
        padTokenId = try c.decodeIfPresent(Int.self, forKey: .padTokenId) ?? 0
        positionEmbeddingType = try c.decodeIfPresent(String.self, forKey: .positionEmbeddingType) ?? "absolute"
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType)
    }

    public var headSize: Int { hiddenSize / numAttentionHeads }

    /// The largest sizes `validate` accepts.
    public enum Limits {
        public static let hiddenSize = 16_384
        public static let layers = 256
        public static let intermediateSize = 65_536
        public static let vocabSize = 4_000_000
        public static let positions = 1 << 20
        public static let typeVocabSize = 1_024
    }

    /// Checks the choices this encoder implements; the message names the field at fault.
    public func validate(file: String) throws {
        func fail(_ field: String, _ why: String) -> ModelLoadingError {
            .invalidField(file: file, field: field, reason: why)
        }
        // Upper limits far above any BERT-family encoder, so that a corrupt size is refused before anything
        // is allocated (the weights file is then checked tensor by tensor against these sizes).
        func size(_ value: Int, _ field: String, _ range: ClosedRange<Int>) throws {
            if !range.contains(value) { throw fail(field, "is \(value), outside \(range.lowerBound)...\(range.upperBound)") }
        }
        try size(hiddenSize, "hidden_size", 1...Limits.hiddenSize)
        if numAttentionHeads <= 0 || hiddenSize % numAttentionHeads != 0 {
            throw fail("num_attention_heads", "must divide hidden_size \(hiddenSize)")
        }
        try size(numHiddenLayers, "num_hidden_layers", 1...Limits.layers)
        try size(intermediateSize, "intermediate_size", 1...Limits.intermediateSize)
        try size(vocabSize, "vocab_size", 1...Limits.vocabSize)
        try size(maxPositionEmbeddings, "max_position_embeddings", 2...Limits.positions)
        try size(typeVocabSize, "type_vocab_size", 1...Limits.typeVocabSize)
        if !(layerNormEps.isFinite && layerNormEps > 0) { throw fail("layer_norm_eps", "must be a positive finite number") }
        if !(0..<1).contains(hiddenDropoutProb) { throw fail("hidden_dropout_prob", "must lie in [0, 1)") }
        if !(0..<1).contains(attentionProbsDropoutProb) {
            throw fail("attention_probs_dropout_prob", "must lie in [0, 1)")
        }
        if padTokenId < 0 || padTokenId >= vocabSize { throw fail("pad_token_id", "must lie in 0..<vocab_size") }
        if positionEmbeddingType != "absolute" {
            throw fail("position_embedding_type", "only \"absolute\" is supported, found \"\(positionEmbeddingType)\"")
        }
        if let modelType, modelType != "bert" {
            throw fail("model_type", "\"\(modelType)\" is not a BERT-family encoder")
        }
    }
}
