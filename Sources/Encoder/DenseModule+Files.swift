import Foundation

/// A Dense module's directory as sentence-transformers writes it (`Dense.save`): `config.json` with
/// `in_features`, `out_features`, `bias` and `activation_function`, and `model.safetensors` holding
/// `linear.weight` (OC, C) and, with a bias, `linear.bias` (OC).
extension DenseModule {
    struct Config: Codable {
        var inFeatures: Int
        var outFeatures: Int
        var bias: Bool?
        var activationFunction: String?

        enum CodingKeys: String, CodingKey {
            case inFeatures = "in_features", outFeatures = "out_features", bias
            case activationFunction = "activation_function"
        }
    }

    /// Reads a Dense module directory. sentence-transformers' defaults apply to absent fields: a bias,
    /// and tanh.
    public init(directory: URL) throws {
        let configURL = directory.appendingPathComponent("config.json")
        let config = try decodeJSONFile(Config.self, at: configURL)
        for (field, value) in [("in_features", config.inFeatures), ("out_features", config.outFeatures)] where value <= 0 {
            throw ModelLoadingError.invalidField(file: configURL.path, field: field, reason: "must be positive (is \(value))")
        }
        let name = config.activationFunction ?? Activation.tanh.rawValue
        guard let activation = Activation(rawValue: name) else {
            throw ModelLoadingError.invalidField(
                file: configURL.path, field: "activation_function",
                reason: "\"\(name)\" is not supported (\(Activation.identity.rawValue) and \(Activation.tanh.rawValue) are)")
        }
        let weightsURL = directory.appendingPathComponent("model.safetensors")
        guard FileManager.default.fileExists(atPath: weightsURL.path) else {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("pytorch_model.bin").path) {
                throw ModelLoadingError.malformedFile(
                    file: directory.appendingPathComponent("pytorch_model.bin").path,
                    reason: "PyTorch pickles are not read and model.safetensors is missing; save the model with safetensors")
            }
            throw ModelLoadingError.missingFile(weightsURL.path)
        }
        let file = try SafeTensorsFile(url: weightsURL)
        func read(_ name: String, shape: [Int]) throws -> [Float] {
            guard let info = file.info(name) else {
                throw ModelLoadingError.missingTensor(file: weightsURL.path, tensor: name)
            }
            guard info.shape == shape else {
                throw ModelLoadingError.wrongShape(file: weightsURL.path, tensor: name, expected: shape, found: info.shape)
            }
            return try file.floats(name)
        }
        let weight = try read("linear.weight", shape: [config.outFeatures, config.inFeatures])
        let bias = (config.bias ?? true) ? try read("linear.bias", shape: [config.outFeatures]) : nil
        if let bad = (weight + (bias ?? [])).first(where: { !$0.isFinite }) {
            throw ModelLoadingError.malformedFile(file: weightsURL.path, reason: "holds a non-finite value (\(bad))")
        }
        self.init(
            inFeatures: config.inFeatures, outFeatures: config.outFeatures, weight: weight, bias: bias,
            activation: activation)
    }

    /// Writes `config.json` and `model.safetensors` into `directory` (created if needed), as
    /// sentence-transformers' `Dense.save` does, so `models.Dense.load` reads it.
    public func save(directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let config = Config(
            inFeatures: inFeatures, outFeatures: outFeatures, bias: bias != nil, activationFunction: activation.rawValue)
        try encoder.encode(config).write(to: directory.appendingPathComponent("config.json"), options: .atomic)
        try weight.withUnsafeBufferPointer { w in
            var entries: [SafeTensorsWriter.Entry] = [("linear.weight", [outFeatures, inFeatures], w)]
            try (bias ?? []).withUnsafeBufferPointer { b in
                if bias != nil { entries.append(("linear.bias", [outFeatures], b)) }
                try SafeTensorsWriter.write(
                    entries, metadata: ["format": "pt"], to: directory.appendingPathComponent("model.safetensors"))
            }
        }
    }

    /// A 64-bit hash of the module (sizes, activation, weights, bias), for model fingerprints.
    func hash(seed: UInt64) -> UInt64 {
        var header = "\(inFeatures)x\(outFeatures)-\(activation.rawValue)-\(bias != nil)"
        let headerHash = header.withUTF8 { ModelFingerprint.hash(UnsafeRawBufferPointer($0), seed: seed) }
        let weightHash = weight.withUnsafeBytes { ModelFingerprint.hash($0, seed: headerHash) }
        return (bias ?? []).withUnsafeBytes { ModelFingerprint.hash($0, seed: weightHash) }
    }
}
