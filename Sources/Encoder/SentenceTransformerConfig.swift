import Foundation
import Kernels
import Tokenizer

/// `1_Pooling/config.json` of a sentence-transformers model directory (`sentence_transformers.models.Pooling`).
public struct PoolingConfig: Codable, Sendable, Equatable {
    public var wordEmbeddingDimension: Int?
    public var poolingModeClsToken: Bool
    public var poolingModeMeanTokens: Bool
    public var poolingModeMaxTokens: Bool
    public var poolingModeMeanSqrtLenTokens: Bool
    /// Whether prompt tokens take part in pooling (sentence-transformers' default true; false is not
    /// implemented here and refused by `mode(file:)`).
    public var includePrompt: Bool = true

    enum CodingKeys: String, CodingKey {
        case wordEmbeddingDimension = "word_embedding_dimension"
        case poolingModeClsToken = "pooling_mode_cls_token"
        case poolingModeMeanTokens = "pooling_mode_mean_tokens"
        case poolingModeMaxTokens = "pooling_mode_max_tokens"
        case poolingModeMeanSqrtLenTokens = "pooling_mode_mean_sqrt_len_tokens"
        case includePrompt = "include_prompt"
    }

    public init(mode: PoolingMode, dimension: Int? = nil) {
        wordEmbeddingDimension = dimension
        poolingModeClsToken = mode == .cls
        poolingModeMeanTokens = mode == .mean
        poolingModeMaxTokens = mode == .max
        poolingModeMeanSqrtLenTokens = mode == .meanSqrtLength
    }

    /// The keys sentence-transformers 5.2 and later write instead of the flags: `"pooling_mode": "mean"`
    /// (or a list of modes) and `embedding_dimension`.
    enum CurrentKeys: String, CodingKey {
        case poolingMode = "pooling_mode", embeddingDimension = "embedding_dimension"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let current = try decoder.container(keyedBy: CurrentKeys.self)
        if current.contains(.poolingMode) {
            let modes: [String]
            if let one = try? current.decode(String.self, forKey: .poolingMode) {
                modes = [one]
            } else {
                modes = try current.decode([String].self, forKey: .poolingMode)
            }
            let known: [String: PoolingMode] = [
                "cls": .cls, "mean": .mean, "max": .max, "mean_sqrt_len_tokens": .meanSqrtLength,
            ]
            guard modes.count == 1, let mode = known[modes[0]] else {
                throw DecodingError.dataCorruptedError(
                    forKey: .poolingMode, in: current,
                    debugDescription: "\(modes) is not supported (one of cls, mean, max, mean_sqrt_len_tokens is)")
            }
            wordEmbeddingDimension = try current.decodeIfPresent(Int.self, forKey: .embeddingDimension)
            poolingModeClsToken = mode == .cls
            poolingModeMeanTokens = mode == .mean
            poolingModeMaxTokens = mode == .max
            poolingModeMeanSqrtLenTokens = mode == .meanSqrtLength
            includePrompt = try c.decodeIfPresent(Bool.self, forKey: .includePrompt) ?? true
            return
        }
        wordEmbeddingDimension = try c.decodeIfPresent(Int.self, forKey: .wordEmbeddingDimension)
        poolingModeClsToken = try c.decodeIfPresent(Bool.self, forKey: .poolingModeClsToken) ?? false
        poolingModeMeanTokens = try c.decodeIfPresent(Bool.self, forKey: .poolingModeMeanTokens) ?? false
        poolingModeMaxTokens = try c.decodeIfPresent(Bool.self, forKey: .poolingModeMaxTokens) ?? false
        poolingModeMeanSqrtLenTokens =
            try c.decodeIfPresent(Bool.self, forKey: .poolingModeMeanSqrtLenTokens) ?? false
        includePrompt = try c.decodeIfPresent(Bool.self, forKey: .includePrompt) ?? true
    }

    /// The one pooling mode this config selects. sentence-transformers can concatenate several modes;
    /// EmbedTune supports exactly one, and says so naming the file.
    public func mode(file: String) throws -> PoolingMode {
        let flags: [(key: CodingKeys, set: Bool, mode: PoolingMode)] = [
            (.poolingModeClsToken, poolingModeClsToken, .cls),
            (.poolingModeMeanTokens, poolingModeMeanTokens, .mean),
            (.poolingModeMaxTokens, poolingModeMaxTokens, .max),
            (.poolingModeMeanSqrtLenTokens, poolingModeMeanSqrtLenTokens, .meanSqrtLength),
        ]
        if !includePrompt {
            throw ModelLoadingError.invalidField(
                file: file, field: "include_prompt", reason: "false (prompt tokens left out of pooling) is not supported")
        }
        let selected = flags.filter(\.set)
        guard selected.count == 1, let mode = selected.first?.mode else {
            let found = selected.isEmpty ? "none" : selected.map(\.key.stringValue).joined(separator: ", ")
            throw ModelLoadingError.invalidField(
                file: file, field: "pooling_mode_*",
                reason: "must select exactly one pooling mode (found: \(found))")
        }
        return mode
    }
}

/// One entry of `modules.json`: the sentence-transformers pipeline of a model directory.
public struct SentenceTransformerModule: Codable, Sendable, Equatable {
    public var idx: Int?
    public var name: String?
    public var path: String
    public var type: String
}

/// `sentence_bert_config.json`.
public struct SentenceBertConfig: Codable, Sendable, Equatable {
    public var maxSeqLength: Int?
    public var doLowerCase: Bool?

    enum CodingKeys: String, CodingKey {
        case maxSeqLength = "max_seq_length", doLowerCase = "do_lower_case"
    }
}

/// Reads and decodes a JSON file; a missing or malformed file is an error naming it, and a missing or
/// ill-typed field is an `invalidField` naming the field (as a dotted path, array indices in brackets).
func decodeJSONFile<T: Decodable>(_ type: T.Type, at url: URL) throws -> T {
    guard FileManager.default.fileExists(atPath: url.path) else {
        throw ModelLoadingError.missingFile(url.path)
    }
    let data: Data
    do { data = try FileContents.read(url) } catch {
        throw ModelLoadingError.malformedFile(file: url.path, reason: error.description)
    }
    do { return try JSONDecoder().decode(T.self, from: data) } catch let error as DecodingError {
        throw loadingError(error, file: url.path, syntaxError: { syntaxErrorDetail(data) })
    } catch {
        throw ModelLoadingError.malformedFile(file: url.path, reason: "\(error)")
    }
}

/// Where JSON text is malformed, as `JSONSerialization` explains it ("Invalid value around character 0."):
/// `JSONDecoder`'s own message does not say.
private func syntaxErrorDetail(_ data: Data) -> String? {
    do {
        _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        return nil
    } catch {
        return (error as NSError).userInfo["NSDebugDescription"] as? String
    }
}

private func loadingError(_ error: DecodingError, file: String, syntaxError: () -> String?) -> ModelLoadingError {
    func path(_ keys: [CodingKey]) -> String {
        var text = ""
        for key in keys {
            if let index = key.intValue { text += "[\(index)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
        }
        return text
    }
    func field(_ c: DecodingError.Context, _ reason: String) -> ModelLoadingError {
        let p = path(c.codingPath)
        return p.isEmpty ? .malformedFile(file: file, reason: reason) : .invalidField(file: file, field: p, reason: reason)
    }
    switch error {
    case .keyNotFound(let key, let c):
        return .invalidField(file: file, field: path(c.codingPath + [key]), reason: "is missing")
    case .typeMismatch(_, let c), .valueNotFound(_, let c):
        return field(c, "is invalid: \(c.debugDescription)")
    case .dataCorrupted(let c) where c.codingPath.isEmpty:
        let detail = syntaxError() ?? c.underlyingError.map { "\($0)" } ?? c.debugDescription
        return .malformedFile(file: file, reason: "is not valid JSON: \(detail)")
    case .dataCorrupted(let c):
        return field(c, "is invalid: \(c.debugDescription)")
    @unknown default:
        return .malformedFile(file: file, reason: "\(error)")
    }
}
