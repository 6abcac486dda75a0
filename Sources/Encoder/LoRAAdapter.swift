import Foundation
import Kernels
import Tensor

/// Views of the LoRA pair attached to one Linear: A (R, C) and B (OC, R).
public struct LoRAPair: @unchecked Sendable {
    public let module: String  // e.g. "encoder.layer.0.attention.self.query"
    public let a: UnsafeMutablePointer<Float>  // (R, C) lora_A.weight
    public let b: UnsafeMutablePointer<Float>  // (OC, R) lora_B.weight
    public let inFeatures: Int
    public let outFeatures: Int
}

/// A LoRA adapter over a BERT encoder in peft's layout (Hu et al. 2021; peft/tuners/lora): one (A, B)
/// pair per targeted Linear, stored in `adapter_model.safetensors` under
/// `base_model.model.<module>.lora_{A,B}.weight` next to `adapter_config.json`.
public final class LoRAAdapter: @unchecked Sendable {
    public let config: LoRAConfig
    public let block: ParameterBlock
    /// Per layer, the pair of each Linear by name (`pairs[l][.query]`), nil where not targeted.
    public let pairs: [BertLinears<LoRAPair?>]
    public var scale: Float { config.scale }
    public var rank: Int { config.r }

    static let filePrefix = "base_model.model."
    /// The weights file in an adapter directory (peft's name).
    public static let weightsFileName = "adapter_model.safetensors"

    /// Names and shapes of every A and B, in block order.
    static func layout(_ config: LoRAConfig, layers: [BertLayerParameters]) -> [(name: String, shape: [Int])] {
        var layout: [(name: String, shape: [Int])] = []
        for layer in layers {
            for linear in layer.linears where config.targets(moduleName: linear.name) {
                layout.append((linear.name + ".lora_A.weight", [config.r, linear.inFeatures]))
                layout.append((linear.name + ".lora_B.weight", [linear.outFeatures, config.r]))
            }
        }
        return layout
    }

    /// The entries of `config.targetModules` that name no Linear of `bert` (peft's "target modules not
    /// found"; EmbedTune refuses each one, so that a misspelt target never trains silently less).
    public static func unmatchedTargets(_ config: LoRAConfig, bert: BertParameters) -> [String] {
        let names = bert.layers.flatMap { $0.linears.map(\.name) }
        return config.targetModules.filter { target in
            !names.contains { LoRAConfig(targetModules: [target]).targets(moduleName: $0) }
        }
    }

    /// A zeroed adapter (or views over `block`, e.g. gradients) for the Linears `config` targets.
    public convenience init(config: LoRAConfig, bert: BertParameters, block: ParameterBlock? = nil) {
        self.init(config: config, layers: bert.layers, block: block)
    }

    /// A zeroed adapter (or views over `block`) for the Linears of `layers` that `config` targets.
    init(config: LoRAConfig, layers: [BertLayerParameters], block: ParameterBlock? = nil) {
        self.config = config
        let block = block ?? ParameterBlock(layout: LoRAAdapter.layout(config, layers: layers))
        self.block = block
        pairs = layers.map { layer in
            BertLinears { name in
                let linear = layer[name]
                guard config.targets(moduleName: linear.name) else { return nil }
                return LoRAPair(
                    module: linear.name, a: block.pointer(linear.name + ".lora_A.weight"),
                    b: block.pointer(linear.name + ".lora_B.weight"),
                    inFeatures: linear.inFeatures, outFeatures: linear.outFeatures)
            }
        }
    }

    /// A new adapter initialised as peft does: A Kaiming-uniform, B zero.
    public static func initialised(config: LoRAConfig, bert: BertParameters, rng: inout SplitMix64) -> LoRAAdapter {
        let adapter = LoRAAdapter(config: config, bert: bert)
        for pair in adapter.pairs.joined().compactMap({ $0 }) {
            LoRA.initialise(a: pair.a, b: pair.b, rng: &rng, c: pair.inFeatures, oc: pair.outFeatures, r: config.r)
        }
        return adapter
    }

    /// A zeroed block of the same layout, seen as an adapter (the gradients of this one).
    public func zerosLike(bert: BertParameters) -> LoRAAdapter {
        LoRAAdapter(config: config, bert: bert, block: block.zerosLike())
    }

    /// Number of Linears this adapter changes.
    public var targetCount: Int { pairs.joined().compactMap { $0 }.count }

    /// Loads a peft adapter directory. Every targeted Linear must have its A and B with the right
    /// shapes; a missing file, tensor or a wrong shape is an error naming the file.
    public convenience init(directory: URL, bert: BertParameters) throws {
        try self.init(directory: directory, layers: bert.layers)
    }

    /// Loads a peft adapter directory for frozen weights (to merge them, `merged(into:)`).
    public convenience init(directory: URL, weights: FrozenBertWeights) throws {
        try self.init(directory: directory, layers: weights.layers)
    }

    convenience init(directory: URL, layers: [BertLayerParameters]) throws {
        let configURL = directory.appendingPathComponent("adapter_config.json")
        let config = try decodeJSONFile(LoRAConfig.self, at: configURL)
        try config.validate(file: configURL.path)
        self.init(config: config, layers: layers)
        if targetCount == 0 {
            throw ModelLoadingError.invalidField(
                file: configURL.path, field: "target_modules", reason: "matches no Linear of this model")
        }
        let weightsURL = directory.appendingPathComponent(LoRAAdapter.weightsFileName)
        guard FileManager.default.fileExists(atPath: weightsURL.path) else {
            throw ModelLoadingError.missingFile(weightsURL.path)
        }
        let file = try SafeTensorsFile(url: weightsURL)
        let names = Set(file.names)
        for entry in block.entries {
            // peft ≥ 0.7 writes "...lora_A.weight"; older adapters may carry an adapter name ("lora_A.default.weight").
            let candidates = [
                LoRAAdapter.filePrefix + entry.name,
                LoRAAdapter.filePrefix + entry.name.replacingOccurrences(of: ".weight", with: ".default.weight"),
            ]
            guard let stored = candidates.first(where: names.contains) else {
                throw ModelLoadingError.missingTensor(file: weightsURL.path, tensor: candidates[0])
            }
            let shape = file.info(stored)?.shape ?? []
            guard shape == entry.shape else {
                throw ModelLoadingError.wrongShape(file: weightsURL.path, tensor: stored, expected: entry.shape, found: shape)
            }
            let values = block.buffer(entry.name)
            try file.read(stored, into: values)
            try BertParameters.checkFinite(UnsafeBufferPointer(values), tensor: stored, path: weightsURL.path)
        }
        let expected = Set(block.entries.flatMap { entry in
            [LoRAAdapter.filePrefix + entry.name,
             LoRAAdapter.filePrefix + entry.name.replacingOccurrences(of: ".weight", with: ".default.weight")]
        })
        // peft wraps every Linear its targets match, and `transformers.AutoModel` has a pooler
        // ("pooler.dense" matches "dense"); sentence embeddings pool the last hidden states and never run
        // the pooler, so its pairs change nothing here and are not read.
        let pooler = LoRAAdapter.filePrefix + "pooler."
        if let extra = file.names.sorted().first(where: { !expected.contains($0) && !$0.hasPrefix(pooler) }) {
            throw ModelLoadingError.malformedFile(
                file: weightsURL.path,
                reason: "holds \(extra), which adapter_config.json does not describe (only LoRA A and B of its target_modules are read)")
        }
    }

    /// Writes `adapter_config.json` and `adapter_model.safetensors` (peft's names), atomically each.
    public func save(directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        var json = try JSONSerialization.jsonObject(with: encoder.encode(config)) as? [String: Any] ?? [:]
        // Fields peft's LoraConfig reads with these values for a plain adapter over a BertModel.
        json["task_type"] = NSNull()
        json["inference_mode"] = true
        json["init_lora_weights"] = true
        json["modules_to_save"] = NSNull()
        json["layers_to_transform"] = NSNull()
        json["layers_pattern"] = NSNull()
        json["rank_pattern"] = [String: Any]()
        json["alpha_pattern"] = [String: Any]()
        json["use_dora"] = false
        json["revision"] = NSNull()
        let data = try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: directory.appendingPathComponent("adapter_config.json"), options: .atomic)
        let storage = block.storage
        let tensors: [SafeTensorsWriter.Entry] = block.entries.map { entry in
            (LoRAAdapter.filePrefix + entry.name, entry.shape,
             UnsafeBufferPointer(start: storage.pointer + entry.offset, count: entry.count))
        }
        try SafeTensorsWriter.write(
            tensors, metadata: ["format": "pt"], to: directory.appendingPathComponent(LoRAAdapter.weightsFileName))
    }

    /// W += scale · B A for every targeted Linear (peft `merge_and_unload`).
    public func merge(into bert: BertParameters) {
        for (layer, layerPairs) in zip(bert.layers, pairs) {
            for (linear, pair) in zip(layer.linears, layerPairs) {
                guard let pair else { continue }
                LoRA.merge(
                    weight: linear.weight, a: pair.a, b: pair.b, scale: scale,
                    c: linear.inFeatures, oc: linear.outFeatures, r: rank)
            }
        }
    }

    /// `weights` with W + scale · B A for every targeted Linear (peft `merge_and_unload`): the changed
    /// weights are copies of their own, every other tensor stays shared.
    public func merged(into weights: FrozenBertWeights) -> FrozenBertWeights {
        let targets = Dictionary(uniqueKeysWithValues: pairs.joined().compactMap { $0 }.map { ($0.module + ".weight", $0) })
        return weights.copying(targets.keys.sorted()) { name, weight in
            guard let pair = targets[name] else { return }
            LoRA.merge(
                weight: weight, a: pair.a, b: pair.b, scale: scale, c: pair.inFeatures, oc: pair.outFeatures, r: rank)
        }
    }
}
