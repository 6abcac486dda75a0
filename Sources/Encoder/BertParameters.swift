import Foundation
import Tensor

/// Views of one `nn.Linear`: weight (OC, C) as Hugging Face stores it, bias (OC).
public struct LinearParameters: @unchecked Sendable {
    public let name: String
    public let weight: UnsafeMutablePointer<Float>  // (OC, C)
    public let bias: UnsafeMutablePointer<Float>  // (OC)
    public let inFeatures: Int
    public let outFeatures: Int
}

/// Views of one LayerNorm: weight and bias (C).
public struct LayerNormParameters: @unchecked Sendable {
    public let name: String
    public let weight: UnsafeMutablePointer<Float>  // (C)
    public let bias: UnsafeMutablePointer<Float>  // (C)
}

/// Views of one `BertLayer`, by the Hugging Face module names under `encoder.layer.{i}`.
public struct BertLayerParameters: @unchecked Sendable {
    public let query, key, value: LinearParameters  // attention.self.{query,key,value}
    public let attentionOutput: LinearParameters  // attention.output.dense
    public let attentionLayerNorm: LayerNormParameters  // attention.output.LayerNorm
    public let intermediate: LinearParameters  // intermediate.dense
    public let output: LinearParameters  // output.dense
    public let outputLayerNorm: LayerNormParameters  // output.LayerNorm

    /// One Linear by name.
    public subscript(_ linear: BertLinear) -> LinearParameters {
        switch linear {
        case .query: query
        case .key: key
        case .value: value
        case .attentionOutput: attentionOutput
        case .intermediate: intermediate
        case .output: output
        }
    }

    /// The linear layers in Hugging Face order; LoRA targets are chosen among these by name.
    public var linears: BertLinears<LinearParameters> { BertLinears { self[$0] } }
}

/// All parameters of a `BertModel` (transformers' modeling_bert.py), named exactly as in its state dict
/// without the optional "bert." prefix. The pooler is not part of the sentence-embedding path and is not
/// loaded. Views point into `block`, which this struct keeps alive.
public struct BertParameters: @unchecked Sendable {
    public let config: BertConfig
    public let block: ParameterBlock
    public let wordEmbeddings: UnsafeMutablePointer<Float>  // (V, C)
    public let positionEmbeddings: UnsafeMutablePointer<Float>  // (maxP, C)
    public let tokenTypeEmbeddings: UnsafeMutablePointer<Float>  // (typeV, C)
    public let embeddingsLayerNorm: LayerNormParameters
    public let layers: [BertLayerParameters]

    /// Names and shapes of every tensor, in the order of the flat block.
    public static func layout(_ config: BertConfig) -> [(name: String, shape: [Int])] {
        let c = config.hiddenSize, i = config.intermediateSize
        var layout: [(name: String, shape: [Int])] = [
            ("embeddings.word_embeddings.weight", [config.vocabSize, c]),
            ("embeddings.position_embeddings.weight", [config.maxPositionEmbeddings, c]),
            ("embeddings.token_type_embeddings.weight", [config.typeVocabSize, c]),
            ("embeddings.LayerNorm.weight", [c]),
            ("embeddings.LayerNorm.bias", [c]),
        ]
        for l in 0..<config.numHiddenLayers {
            let p = "encoder.layer.\(l)."
            func linear(_ linear: BertLinear) {
                let outF = linear.outFeatures(hidden: c, intermediate: i), inF = linear.inFeatures(hidden: c, intermediate: i)
                layout.append((p + linear.moduleName + ".weight", [outF, inF]))
                layout.append((p + linear.moduleName + ".bias", [outF]))
            }
            func norm(_ name: String) {
                layout.append((p + name + ".weight", [c]))
                layout.append((p + name + ".bias", [c]))
            }
            linear(.query)
            linear(.key)
            linear(.value)
            linear(.attentionOutput)
            norm("attention.output.LayerNorm")
            linear(.intermediate)
            linear(.output)
            norm("output.LayerNorm")
        }
        return layout
    }

    /// Zero-valued parameters for a config (to be filled by loading or initialisation).
    public init(config: BertConfig) {
        self.init(config: config, block: ParameterBlock(layout: BertParameters.layout(config)))
    }

    /// Views over an existing block laid out by `layout(config)` (e.g. a gradient block).
    public init(config: BertConfig, block: ParameterBlock) {
        self.config = config
        self.block = block
        wordEmbeddings = block.pointer("embeddings.word_embeddings.weight")
        positionEmbeddings = block.pointer("embeddings.position_embeddings.weight")
        tokenTypeEmbeddings = block.pointer("embeddings.token_type_embeddings.weight")
        embeddingsLayerNorm = LayerNormParameters(name: "embeddings.LayerNorm", tensor: block.pointer)
        layers = (0..<config.numHiddenLayers).map { BertLayerParameters(layer: $0, config: config, tensor: block.pointer) }
    }

    /// Loads every tensor from a safetensors file (`storedNames` says which).
    public init(config: BertConfig, safetensors file: SafeTensorsFile, path: String) throws {
        let stored = try BertParameters.storedNames(config: config, safetensors: file, path: path)
        self.init(config: config)
        for (entry, name) in zip(block.entries, stored) {
            let values = block.buffer(entry.name)
            try file.read(name, into: values)
            try BertParameters.checkFinite(UnsafeBufferPointer(values), tensor: name, path: path)
        }
    }

    /// The file's name of every tensor of `layout(config)`, in layout order, each checked present and of
    /// its shape. Checkpoints saved from `BertFor...` heads carry a "bert." prefix, and old ones name
    /// LayerNorm parameters gamma/beta; both are accepted. Nothing is read or allocated, so a config.json
    /// with wrong (e.g. huge) sizes is refused by the first tensor that disagrees.
    static func storedNames(config: BertConfig, safetensors file: SafeTensorsFile, path: String) throws -> [String] {
        let names = Set(file.names)
        let prefix = names.contains("embeddings.word_embeddings.weight") ? "" :
            names.contains("bert.embeddings.word_embeddings.weight") ? "bert." : ""
        var stored: [String] = []
        for (name, shape) in BertParameters.layout(config) {
            var candidate = prefix + name
            if !names.contains(candidate), name.contains("LayerNorm.") {
                candidate = prefix + name
                    .replacingOccurrences(of: "LayerNorm.weight", with: "LayerNorm.gamma")
                    .replacingOccurrences(of: "LayerNorm.bias", with: "LayerNorm.beta")
            }
            guard let info = file.info(candidate) else {
                throw ModelLoadingError.missingTensor(file: path, tensor: prefix + name)
            }
            guard info.shape == shape else {
                throw ModelLoadingError.wrongShape(file: path, tensor: candidate, expected: shape, found: info.shape)
            }
            stored.append(candidate)
        }
        return stored
    }

    /// Every weight must be finite: a NaN or infinity is refused when the model loads.
    static func checkFinite(_ values: UnsafeBufferPointer<Float>, tensor name: String, path: String) throws {
        guard let bad = VectorOps.firstNonFinite(values) else { return }
        throw ModelLoadingError.malformedFile(
            file: path, reason: "tensor \"\(name)\" holds \(bad); every weight must be finite")
    }
}

extension LinearParameters {
    /// Views of `encoder.layer.{l}.<linear>`, each tensor found by its name in `BertParameters.layout`.
    init(_ linear: BertLinear, layer l: Int, config: BertConfig, tensor: (String) -> UnsafeMutablePointer<Float>) {
        let name = "encoder.layer.\(l)." + linear.moduleName
        let c = config.hiddenSize, i = config.intermediateSize
        self.init(
            name: name, weight: tensor(name + ".weight"), bias: tensor(name + ".bias"),
            inFeatures: linear.inFeatures(hidden: c, intermediate: i),
            outFeatures: linear.outFeatures(hidden: c, intermediate: i))
    }
}

extension LayerNormParameters {
    /// Views of the LayerNorm `name`, each tensor found by its name in `BertParameters.layout`.
    init(name: String, tensor: (String) -> UnsafeMutablePointer<Float>) {
        self.init(name: name, weight: tensor(name + ".weight"), bias: tensor(name + ".bias"))
    }
}

extension BertLayerParameters {
    /// Views of `encoder.layer.{l}`, each tensor found by its name in `BertParameters.layout`.
    init(layer l: Int, config: BertConfig, tensor: (String) -> UnsafeMutablePointer<Float>) {
        let p = "encoder.layer.\(l)."
        self.init(
            query: LinearParameters(.query, layer: l, config: config, tensor: tensor),
            key: LinearParameters(.key, layer: l, config: config, tensor: tensor),
            value: LinearParameters(.value, layer: l, config: config, tensor: tensor),
            attentionOutput: LinearParameters(.attentionOutput, layer: l, config: config, tensor: tensor),
            attentionLayerNorm: LayerNormParameters(name: p + "attention.output.LayerNorm", tensor: tensor),
            intermediate: LinearParameters(.intermediate, layer: l, config: config, tensor: tensor),
            output: LinearParameters(.output, layer: l, config: config, tensor: tensor),
            outputLayerNorm: LayerNormParameters(name: p + "output.LayerNorm", tensor: tensor))
    }
}
