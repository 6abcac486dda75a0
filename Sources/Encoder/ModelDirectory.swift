import Foundation
import Kernels
import Tokenizer

/// A Hugging Face / sentence-transformers model directory: `config.json`, `model.safetensors`, the
/// tokenizer files, and where present `modules.json`, `1_Pooling/config.json`, `sentence_bert_config.json`
/// any Dense modules after the pooling (`DenseModule`) and a Normalize module. Without `modules.json` the directory is a plain transformers checkpoint and,
/// as sentence-transformers does, gets mean pooling and no normalisation.
public struct ModelDirectory: Sendable {
    public let url: URL
    public let config: BertConfig
    public let pooling: PoolingMode
    public let normalize: Bool
    /// The Dense modules between Pooling and Normalize, in pipeline order (most models have none).
    public private(set) var dense: [DenseModule]
    /// Every file whose bytes are weights of this model: `model.safetensors`, then each Dense module's
    /// (what `WeightsStamp` watches).
    public private(set) var weightFiles: [String] = []
    /// Truncation length in tokens, [CLS] and [SEP] included: sentence_bert_config.json's
    /// `max_seq_length` wins over the tokenizer's and the config's, capped by the position table.
    public private(set) var maxSequenceLength: Int
    public private(set) var tokenizer: BertTokenizer
    /// The model's prompts (`config_sentence_transformers.json`), none for most models.
    public let prompts: ModelPrompts

    public init(url: URL) throws {
        self.url = url
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw ModelLoadingError.missingFile(url.path)
        }
        guard isDirectory.boolValue else {
            throw ModelLoadingError.malformedFile(
                file: url.path,
                reason: "is a file; give the model's directory (the one holding config.json and model.safetensors)")
        }
        let configURL = url.appendingPathComponent("config.json")
        config = try decodeJSONFile(BertConfig.self, at: configURL)
        try config.validate(file: configURL.path)

        var pooling = PoolingMode.mean
        var normalize = false
        var dense: [DenseModule] = []
        var denseFiles: [String] = []
        var bertSubdirectory = url
        let modulesURL = url.appendingPathComponent("modules.json")
        if FileManager.default.fileExists(atPath: modulesURL.path) {
            let modules = try decodeJSONFile([SentenceTransformerModule].self, at: modulesURL)
            for module in modules {
                switch module.type.split(separator: ".").last.map(String.init) ?? module.type {
                case "Transformer":
                    if !module.path.isEmpty { bertSubdirectory = url.appendingPathComponent(module.path) }
                case "Pooling":
                    let poolingURL = url.appendingPathComponent(module.path).appendingPathComponent("config.json")
                    let poolingConfig = try decodeJSONFile(PoolingConfig.self, at: poolingURL)
                    pooling = try poolingConfig.mode(file: poolingURL.path)
                    if let d = poolingConfig.wordEmbeddingDimension, d != config.hiddenSize {
                        throw ModelLoadingError.invalidField(
                            file: poolingURL.path, field: "word_embedding_dimension",
                            reason: "is \(d) but config.json's hidden_size is \(config.hiddenSize)")
                    }
                case "Dense":
                    if normalize {
                        throw ModelLoadingError.invalidField(
                            file: modulesURL.path, field: "type", reason: "a Dense module after Normalize is not supported")
                    }
                    let moduleURL = url.appendingPathComponent(module.path)
                    let module = try DenseModule(directory: moduleURL)
                    let expected = dense.last?.outFeatures ?? config.hiddenSize
                    guard module.inFeatures == expected else {
                        throw ModelLoadingError.invalidField(
                            file: moduleURL.appendingPathComponent("config.json").path, field: "in_features",
                            reason: "is \(module.inFeatures) but the embedding before it has \(expected) values")
                    }
                    dense.append(module)
                    denseFiles.append(moduleURL.appendingPathComponent("model.safetensors").path)
                case "Normalize":
                    normalize = true
                default:
                    throw ModelLoadingError.invalidField(
                        file: modulesURL.path, field: "type",
                        reason: "module \"\(module.type)\" is not supported (Transformer, Pooling, Dense and Normalize are)")
                }
            }
        }
        if bertSubdirectory != url {
            throw ModelLoadingError.invalidField(
                file: modulesURL.path, field: "path",
                reason: "the Transformer module must live at the top of the model directory")
        }
        self.pooling = pooling
        self.normalize = normalize
        self.dense = dense
        weightFiles = [url.appendingPathComponent("model.safetensors").path] + denseFiles

        // sentence_bert_config.json is read before the tokenizer (which also looks at it) so that a
        // malformed file is reported here, as a ModelLoadingError.
        let stConfigURL = url.appendingPathComponent("sentence_bert_config.json")
        var stMax: Int?
        if FileManager.default.fileExists(atPath: stConfigURL.path) {
            stMax = try decodeJSONFile(SentenceBertConfig.self, at: stConfigURL).maxSeqLength
            if let stMax, stMax < 2 {
                throw ModelLoadingError.invalidField(
                    file: stConfigURL.path, field: "max_seq_length", reason: "must be at least 2")
            }
        }
        let tokenizer = try BertTokenizer.load(modelDirectory: url)
        try ModelDirectory.checkVocabulary(of: tokenizer, fits: config, directory: url, configFile: configURL.path)
        if stMax == nil && tokenizer.maxLength < 2 {
            let file = FileManager.default.fileExists(atPath: url.appendingPathComponent("tokenizer.json").path)
                ? ("tokenizer.json", "truncation.max_length") : ("tokenizer_config.json", "model_max_length")
            throw ModelLoadingError.invalidField(
                file: url.appendingPathComponent(file.0).path, field: file.1,
                reason: "is \(tokenizer.maxLength) but must be at least 2 (room for [CLS] and [SEP])")
        }
        let maxLength = stMax ?? tokenizer.maxLength
        maxSequenceLength = min(maxLength, config.maxPositionEmbeddings)
        self.tokenizer = tokenizer.withMaxLength(maxSequenceLength)
        prompts = try ModelPrompts.load(directory: url)
    }

    /// Every token id the tokenizer can produce must index the word-embedding table of `config.json`
    /// (transformers raises an IndexError at run time otherwise); a smaller vocabulary is allowed.
    static func checkVocabulary(of tokenizer: BertTokenizer, fits config: BertConfig, directory: URL, configFile: String) throws {
        let largestId = max(tokenizer.vocabSize - 1, tokenizer.addedTokens.tokens.map { Int($0.id) }.max() ?? -1)
        guard largestId < config.vocabSize else {
            let source = FileManager.default.fileExists(atPath: directory.appendingPathComponent("tokenizer.json").path)
                ? "tokenizer.json" : "vocab.txt"
            throw ModelLoadingError.invalidField(
                file: configFile, field: "vocab_size",
                reason: "is \(config.vocabSize) but \(source) has token ids up to \(largestId)")
        }
    }

    /// The same directory with `module` after its Dense modules (before Normalize): an adapter's
    /// projection (`LoRAAdapter.projectionDirectoryName`), read from `moduleURL` (nil: made in memory).
    public func appendingDense(_ module: DenseModule, directory moduleURL: URL?) throws -> ModelDirectory {
        let file = moduleURL?.appendingPathComponent("config.json").path ?? "Dense module"
        guard module.inFeatures == embeddingDimension else {
            throw ModelLoadingError.invalidField(
                file: file, field: "in_features",
                reason: "is \(module.inFeatures) but the model's embeddings have \(embeddingDimension) values")
        }
        var copy = self
        copy.dense.append(module)
        if let moduleURL { copy.weightFiles.append(moduleURL.appendingPathComponent("model.safetensors").path) }
        return copy
    }

    mutating func overrideMaxLength(_ n: Int) {
        maxSequenceLength = n
        tokenizer = tokenizer.withMaxLength(n)
    }

    /// Values per embedding: the last Dense module's outputs, else the hidden size.
    public var embeddingDimension: Int { dense.last?.outFeatures ?? config.hiddenSize }

    public var weightsURL: URL { url.appendingPathComponent("model.safetensors") }

    /// Reads the weights of `model.safetensors` into a trainable `BertParameters` block.
    public func loadParameters() throws -> BertParameters {
        try BertParameters(config: config, safetensors: openWeights(), path: weightsURL.path)
    }

    /// The weights of `model.safetensors` for inference, read in place from the file's mapping
    /// (`FrozenBertWeights`): nothing is copied but tensors of another dtype than F32.
    public func loadFrozenWeights() throws -> FrozenBertWeights {
        try FrozenBertWeights(config: config, safetensors: openWeights(), path: weightsURL.path)
    }

    private func openWeights() throws -> SafeTensorsFile {
        guard FileManager.default.fileExists(atPath: weightsURL.path) else {
            let bin = url.appendingPathComponent("pytorch_model.bin")
            if FileManager.default.fileExists(atPath: bin.path) {
                throw ModelLoadingError.malformedFile(
                    file: bin.path,
                    reason: "PyTorch pickles are not read and model.safetensors is missing; "
                        + "save the model with safetensors (save_pretrained(..., safe_serialization=True))")
            }
            throw ModelLoadingError.missingFile(weightsURL.path)
        }
        return try SafeTensorsFile(url: weightsURL)
    }
}
