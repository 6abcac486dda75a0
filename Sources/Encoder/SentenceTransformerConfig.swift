import Foundation
import Kernels

/// `1_Pooling/config.json` of a sentence-transformers model directory (`sentence_transformers.models.Pooling`).
public struct PoolingConfig: Codable, Sendable, Equatable {
    public var wordEmbeddingDimension: Int?
    public var poolingModeClsToken: Bool
    public var poolingModeMeanTokens: Bool
    public var poolingModeMaxTokens: Bool
    public var poolingModeMeanSqrtLenTokens: Bool

    enum CodingKeys: String, CodingKey {
        case wordEmbeddingDimension = "word_embedding_dimension"
        case poolingModeClsToken = "pooling_mode_cls_token"
        case poolingModeMeanTokens = "pooling_mode_mean_tokens"
        case poolingModeMaxTokens = "pooling_mode_max_tokens"
        case poolingModeMeanSqrtLenTokens = "pooling_mode_mean_sqrt_len_tokens"
    }

    public init(mode: PoolingMode, dimension: Int? = nil) {
        wordEmbeddingDimension = dimension
        poolingModeClsToken = mode == .cls
        poolingModeMeanTokens = mode == .mean
        poolingModeMaxTokens = mode == .max
        poolingModeMeanSqrtLenTokens = mode == .meanSqrtLength
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        wordEmbeddingDimension = try c.decodeIfPresent(Int.self, forKey: .wordEmbeddingDimension)
        poolingModeClsToken = try c.decodeIfPresent(Bool.self, forKey: .poolingModeClsToken) ?? false
        poolingModeMeanTokens = try c.decodeIfPresent(Bool.self, forKey: .poolingModeMeanTokens) ?? false
        poolingModeMaxTokens = try c.decodeIfPresent(Bool.self, forKey: .poolingModeMaxTokens) ?? false
        poolingModeMeanSqrtLenTokens =
            try c.decodeIfPresent(Bool.self, forKey: .poolingModeMeanSqrtLenTokens) ?? false
    }

    /// The one pooling mode this config selects. sentence-transformers can concatenate several modes;
    /// EmbedTune supports exactly one, and says so naming the file.
    public func mode(file: String) throws -> PoolingMode {
        var modes: [PoolingMode] = []
        if poolingModeClsToken { modes.append(.cls) }
        if poolingModeMeanTokens { modes.append(.mean) }
        if poolingModeMaxTokens { modes.append(.max) }
        if poolingModeMeanSqrtLenTokens { modes.append(.meanSqrtLength) }
        guard modes.count == 1, let mode = modes.first else {
            throw ModelLoadingError.invalidField(
                file: file, field: "pooling_mode_*",
                reason: "must select exactly one pooling mode (found \(modes.count))")
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

/// Reads and decodes a JSON file; a missing or malformed file is an error naming it.
func decodeJSONFile<T: Decodable>(_ type: T.Type, at url: URL) throws -> T {
    guard FileManager.default.fileExists(atPath: url.path) else {
        throw ModelLoadingError.missingFile(url.path)
    }
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
        throw ModelLoadingError.malformedFile(file: url.path, reason: "cannot be read: \(error.localizedDescription)")
    }
    do { return try JSONDecoder().decode(T.self, from: data) } catch let error as DecodingError {
        throw ModelLoadingError.malformedFile(file: url.path, reason: describe(error))
    } catch {
        throw ModelLoadingError.malformedFile(file: url.path, reason: "\(error)")
    }
}

private func describe(_ error: DecodingError) -> String {
    func path(_ c: DecodingError.Context) -> String {
        let p = c.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        return p.isEmpty ? "" : "field \"\(p)\": "
    }
    switch error {
    case .keyNotFound(let key, let c): return "\(path(c))missing field \"\(key.stringValue)\""
    case .typeMismatch(_, let c), .valueNotFound(_, let c): return "\(path(c))\(c.debugDescription)"
    case .dataCorrupted(let c): return "\(path(c))invalid JSON: \(c.underlyingError.map { "\($0)" } ?? c.debugDescription)"
    @unknown default: return "\(error)"
    }
}
