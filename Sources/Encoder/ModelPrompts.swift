import Foundation

/// Which side of retrieval a text is embedded for; chooses the model's prompt when none is named.
public enum PromptRole: Sendable {
    case query, document
}

/// The prompts of a sentence-transformers model (`config_sentence_transformers.json`: `prompts`, a map
/// of name to text, and `default_prompt_name`), e.g. e5's {"query": "query: ", "passage": "passage: "}.
/// A prompt is prepended to the text before tokenization, as `SentenceTransformer.encode` does.
public struct ModelPrompts: Sendable, Equatable {
    public var prompts: [String: String]
    public var defaultPromptName: String?

    /// `prompts` over sentence-transformers' defaults {"query": "", "document": ""} (it adds them to every
    /// model, so a model whose prompts say "passage" but not "document" embeds documents with none).
    public init(prompts: [String: String] = [:], defaultPromptName: String? = nil) {
        self.prompts = prompts.merging(["query": "", "document": ""]) { given, _ in given }
        self.defaultPromptName = defaultPromptName
    }

    /// Names sentence-transformers' `encode_query` / `encode_document` look for, in order.
    static let roleNames: [PromptRole: [String]] = [.query: ["query"], .document: ["document", "passage", "corpus"]]

    /// Reads `config_sentence_transformers.json` of `directory` (no file, or no prompts: none).
    static func load(directory: URL) throws -> ModelPrompts {
        let url = directory.appendingPathComponent("config_sentence_transformers.json")
        guard FileManager.default.fileExists(atPath: url.path) else { return ModelPrompts() }
        let file = try decodeJSONFile(File.self, at: url)
        let loaded = ModelPrompts(prompts: file.prompts ?? [:], defaultPromptName: file.defaultPromptName)
        if let name = loaded.defaultPromptName, loaded.prompts[name] == nil {
            throw ModelLoadingError.invalidField(
                file: url.path, field: "default_prompt_name", reason: "names \"\(name)\", which \"prompts\" does not hold")
        }
        return loaded
    }

    private struct File: Decodable {
        var prompts: [String: String]?
        var defaultPromptName: String?
        enum CodingKeys: String, CodingKey { case prompts, defaultPromptName = "default_prompt_name" }
    }

    /// The prompt of one call, by sentence-transformers' rules (`encode`, `encode_query`,
    /// `encode_document`): an explicit `prompt` text wins, then the prompt called `name` (which must
    /// exist), then the first of the role's names the model has ("query"; "document", "passage",
    /// "corpus"), then `default_prompt_name`'s; nil when none applies or the prompt is empty.
    public func resolve(prompt: String?, name: String?, role: PromptRole?) throws(PromptError) -> String? {
        func nonEmpty(_ text: String?) -> String? { text?.isEmpty == false ? text : nil }
        if let prompt { return nonEmpty(prompt) }
        if let name {
            guard let text = prompts[name] else { throw .unknownName(name, available: prompts.keys.sorted()) }
            return nonEmpty(text)
        }
        if let role, let text = Self.roleNames[role]?.lazy.compactMap({ prompts[$0] }).first { return nonEmpty(text) }
        return nonEmpty(defaultPromptName.flatMap { prompts[$0] })
    }

    /// `texts` with `prompt` prepended to each (unchanged without one).
    public static func apply(_ prompt: String?, to texts: [String]) -> [String] {
        guard let prompt, !prompt.isEmpty else { return texts }
        return texts.map { prompt + $0 }
    }
}

/// A prompt name the model does not define.
public enum PromptError: Error, Equatable, CustomStringConvertible {
    case unknownName(String, available: [String])

    public var description: String {
        switch self {
        case let .unknownName(name, available):
            return "prompt name \"\(name)\" is not among the model's prompts (\(available.joined(separator: ", ")); "
                + "a model's prompts are in its config_sentence_transformers.json)"
        }
    }
}
