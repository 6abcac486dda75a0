import Foundation

/// `adapter_config.json` of a peft LoRA adapter (peft's `LoraConfig`), the fields EmbedTune reads and
/// writes. Written files carry the fields peft needs to load them with `PeftModel.from_pretrained`.
public struct LoRAConfig: Codable, Sendable, Equatable {
    public var peftType: String
    public var r: Int
    public var loraAlpha: Float
    public var loraDropout: Float
    public var targetModules: [String]
    public var useRslora: Bool
    public var baseModelNameOrPath: String?
    public var bias: String
    public var fanInFanOut: Bool
    /// peft options present in a read file with a non-default value that this implementation does not
    /// apply (DoRA, per-layer ranks, layer subsets, ...): `validate` refuses them by name.
    public var unsupportedOptions: [String] = []

    /// The largest rank accepted (the widest BERT-family Linear is far below it).
    public static let maximumRank = 4096

    enum CodingKeys: String, CodingKey {
        case peftType = "peft_type", r, loraAlpha = "lora_alpha", loraDropout = "lora_dropout"
        case targetModules = "target_modules", useRslora = "use_rslora"
        case baseModelNameOrPath = "base_model_name_or_path", bias, fanInFanOut = "fan_in_fan_out"
    }

    public init(
        r: Int = 8, alpha: Float = 16, dropout: Float = 0.1,
        targetModules: [String] = ["query", "key", "value", "dense"], useRslora: Bool = false,
        baseModelNameOrPath: String? = nil
    ) {
        peftType = "LORA"
        self.r = r
        loraAlpha = alpha
        loraDropout = dropout
        self.targetModules = targetModules
        self.useRslora = useRslora
        self.baseModelNameOrPath = baseModelNameOrPath
        bias = "none"
        fanInFanOut = false
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        peftType = try c.decodeIfPresent(String.self, forKey: .peftType) ?? "LORA"
        r = try c.decode(Int.self, forKey: .r)
        loraAlpha = try c.decodeIfPresent(Float.self, forKey: .loraAlpha) ?? 8
        loraDropout = try c.decodeIfPresent(Float.self, forKey: .loraDropout) ?? 0
        // peft accepts a list of names or one regular expression; EmbedTune takes the list form.
        if let list = try? c.decode([String].self, forKey: .targetModules) {
            targetModules = list
        } else {
            let single = try c.decode(String.self, forKey: .targetModules)
            targetModules = [single]
        }
        useRslora = try c.decodeIfPresent(Bool.self, forKey: .useRslora) ?? false
        baseModelNameOrPath = try c.decodeIfPresent(String.self, forKey: .baseModelNameOrPath)
        bias = try c.decodeIfPresent(String.self, forKey: .bias) ?? "none"
        fanInFanOut = try c.decodeIfPresent(Bool.self, forKey: .fanInFanOut) ?? false
        unsupportedOptions = try Self.unsupportedOptions(in: decoder)
    }

    /// Keys of peft's `LoraConfig` that change the model when set and that EmbedTune does not implement,
    /// with the check that their value is peft's default (false, null, {} or []).
    private static func unsupportedOptions(in decoder: Decoder) throws -> [String] {
        let c = try decoder.container(keyedBy: AnyKey.self)
        let names = ["use_dora", "layers_to_transform", "rank_pattern", "alpha_pattern", "modules_to_save",
                     "layer_replication", "use_qalora", "lora_bias", "trainable_token_indices", "exclude_modules",
                     "target_parameters", "alora_invocation_tokens", "use_bdlora"]
        return try names.filter { name in
            guard let key = AnyKey(stringValue: name), c.contains(key), try !c.decodeNil(forKey: key) else { return false }
            if let flag = try? c.decode(Bool.self, forKey: key) { return flag }
            if let object = try? c.decode([String: Double].self, forKey: key) { return !object.isEmpty }
            if let list = try? c.decode([String].self, forKey: key) { return !list.isEmpty }
            if let list = try? c.decode([Int].self, forKey: key) { return !list.isEmpty }
            return true
        }
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// alpha / r, or alpha / √r with rank-stabilised LoRA (peft `LoraLayer.update_layer`).
    public var scale: Float { useRslora ? loraAlpha / Float(r).squareRoot() : loraAlpha / Float(r) }

    /// peft's `check_target_module_exists` for a list: the module's name equals a target or ends with
    /// "." + target. "dense" thus covers attention.output.dense, intermediate.dense and output.dense.
    public func targets(moduleName: String) -> Bool {
        targetModules.contains { moduleName == $0 || moduleName.hasSuffix("." + $0) }
    }

    public func validate(file: String) throws {
        if peftType != "LORA" {
            throw ModelLoadingError.invalidField(file: file, field: "peft_type", reason: "must be \"LORA\", found \"\(peftType)\"")
        }
        if r <= 0 || r > Self.maximumRank {
            throw ModelLoadingError.invalidField(file: file, field: "r", reason: "must lie in 1...\(Self.maximumRank)")
        }
        if !loraAlpha.isFinite {
            throw ModelLoadingError.invalidField(file: file, field: "lora_alpha", reason: "must be a finite number")
        }
        if let option = unsupportedOptions.first {
            throw ModelLoadingError.invalidField(
                file: file, field: option, reason: "is set, and EmbedTune does not implement it (only plain LoRA)")
        }
        if !(0..<1).contains(loraDropout) {
            throw ModelLoadingError.invalidField(file: file, field: "lora_dropout", reason: "must lie in [0, 1)")
        }
        if bias != "none" {
            throw ModelLoadingError.invalidField(file: file, field: "bias", reason: "only \"none\" is supported")
        }
        if fanInFanOut {
            throw ModelLoadingError.invalidField(file: file, field: "fan_in_fan_out", reason: "must be false for BERT")
        }
        if targetModules.isEmpty {
            throw ModelLoadingError.invalidField(file: file, field: "target_modules", reason: "must name at least one module")
        }
    }
}
