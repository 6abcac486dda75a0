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
        if r <= 0 { throw ModelLoadingError.invalidField(file: file, field: "r", reason: "must be positive") }
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
