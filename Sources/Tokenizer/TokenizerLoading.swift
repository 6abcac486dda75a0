import Foundation

/// Loading from the files of a Hugging Face model directory: `tokenizer.json` (the `tokenizers`
/// serialization), or `vocab.txt` + `tokenizer_config.json` (transformers' `BertTokenizer`), and the
/// sentence-transformers maximum length.
extension BertTokenizer {
    /// Loads `tokenizer.json`, or else `vocab.txt` (+ `tokenizer_config.json` when present), and sets the
    /// default truncation as sentence-transformers does: `sentence_bert_config.json`'s `max_seq_length`
    /// if present (256 for all-MiniLM-L6-v2, although its tokenizer.json says 128), else the smaller of
    /// `tokenizer_config.json`'s `model_max_length` and `config.json`'s `max_position_embeddings`, else 512.
    public static func load(modelDirectory: URL) throws -> BertTokenizer {
        let fm = FileManager.default
        let tokenizerJSON = modelDirectory.appendingPathComponent("tokenizer.json")
        let vocab = modelDirectory.appendingPathComponent("vocab.txt")
        let config = modelDirectory.appendingPathComponent("tokenizer_config.json")
        let hasConfig = fm.fileExists(atPath: config.path)
        let tokenizer: BertTokenizer
        if fm.fileExists(atPath: tokenizerJSON.path) {
            tokenizer = try BertTokenizer(tokenizerJSON: tokenizerJSON)
        } else if fm.fileExists(atPath: vocab.path) {
            tokenizer = try BertTokenizer(vocabTXT: vocab, tokenizerConfig: hasConfig ? config : nil)
        } else {
            var isDirectory: ObjCBool = false
            if !fm.fileExists(atPath: modelDirectory.path, isDirectory: &isDirectory) {
                throw TokenizerError.unreadableFile(path: modelDirectory.path, reason: "no such model directory")
            }
            if !isDirectory.boolValue {
                throw TokenizerError.unreadableFile(
                    path: modelDirectory.path, reason: "is a file; give the model's directory (the one holding vocab.txt)")
            }
            throw TokenizerError.noTokenizerFiles(directory: modelDirectory.path)
        }
        let sentenceBert = modelDirectory.appendingPathComponent("sentence_bert_config.json")
        if fm.fileExists(atPath: sentenceBert.path),
            let n = try JSONFile(sentenceBert).object().int("max_seq_length")
        {
            return tokenizer.withMaxLength(n)
        }
        var limits: [Int] = []
        if hasConfig, let n = try JSONFile(config).object().int("model_max_length"), n < 1_000_000 { limits.append(n) }
        let modelConfig = modelDirectory.appendingPathComponent("config.json")
        if fm.fileExists(atPath: modelConfig.path), let n = try JSONFile(modelConfig).object().int("max_position_embeddings") {
            limits.append(n)
        }
        return tokenizer.withMaxLength(limits.min() ?? 512)
    }

    /// Loads a `tokenizers` serialization with a `BertNormalizer`, `BertPreTokenizer`, `WordPiece` model
    /// and a BERT post-processor (`TemplateProcessing` "[CLS] $A [SEP]" or `BertProcessing`). The default
    /// max length is its `truncation.max_length`, else 512.
    public convenience init(tokenizerJSON url: URL) throws {
        let file = JSONFile(url)
        let root = try file.object()
        let model = try root.object("model") ?? { throw TokenizerError.missingField(path: url.path, field: "model") }()
        if let type = try model.string("type"), type != "WordPiece" {
            throw TokenizerError.unsupported(path: url.path, field: "model.type", value: type)
        }
        guard let rawVocab = try model.object("vocab")?.value else {
            throw TokenizerError.missingField(path: url.path, field: "model.vocab")
        }
        var vocabulary: [(token: String, id: Int32)] = []
        vocabulary.reserveCapacity(rawVocab.count)
        for (token, value) in rawVocab.entries {
            guard let id = value.int.flatMap(Int32.init(exactly:)) else {
                throw TokenizerError.malformedFile(path: url.path, reason: "model.vocab[\"\(token)\"] is not an integer")
            }
            vocabulary.append((token, id))
        }
        let wordPiece = try WordPiece(
            entries: vocabulary, unknownToken: try model.string("unk_token") ?? "[UNK]",
            continuingSubwordPrefix: try model.string("continuing_subword_prefix") ?? "##",
            maxInputCharsPerWord: try model.int("max_input_chars_per_word") ?? 100, source: url.path)

        var normalizer = BertNormalizer(cleanText: false, handleChineseChars: false, stripAccents: false, lowercase: false)
        if let n = try root.object("normalizer") {
            let type = try n.string("type") ?? ""
            guard type == "BertNormalizer" else {
                throw TokenizerError.unsupported(path: url.path, field: "normalizer.type", value: type)
            }
            normalizer = BertNormalizer(
                cleanText: try n.bool("clean_text") ?? true, handleChineseChars: try n.bool("handle_chinese_chars") ?? true,
                stripAccents: try n.bool("strip_accents"), lowercase: try n.bool("lowercase") ?? true)
        }
        let preType = try root.object("pre_tokenizer")?.string("type") ?? "null"
        guard preType == "BertPreTokenizer" else {
            throw TokenizerError.unsupported(path: url.path, field: "pre_tokenizer.type", value: preType)
        }

        var added: [AddedTokens.Token] = []
        for (i, entry) in (try root.array("added_tokens") ?? []).enumerated() {
            guard let token = entry.object, let content = token["content"]?.string,
                let id = token["id"]?.int.flatMap(Int32.init(exactly:))
            else { throw TokenizerError.malformedFile(path: url.path, reason: "added_tokens[\(i)] lacks content or id") }
            added.append(AddedTokens.Token(content: content, id: id, singleWord: token["single_word"]?.bool ?? false))
        }

        let (cls, sep) = try Self.specialIds(root: root, file: url.path, wordPiece: wordPiece)
        let padId = (try root.object("padding")?.int("pad_id")).map(Int32.init) ?? wordPiece.id(of: "[PAD]") ?? 0
        let maxLength = try root.object("truncation")?.int("max_length") ?? 512
        self.init(
            normalizer: normalizer, wordPiece: wordPiece, addedTokens: AddedTokens(added),
            postProcessor: BertPostProcessor(clsId: cls, sepId: sep), padId: padId, maxLength: maxLength)
    }

    /// [CLS] and [SEP] ids from the `post_processor`.
    private static func specialIds(root: JSONObject, file: String, wordPiece: WordPiece) throws -> (Int32, Int32) {
        guard let post = try root.object("post_processor") else {
            throw TokenizerError.unsupported(path: file, field: "post_processor", value: "null")
        }
        let type = try post.string("type") ?? ""
        switch type {
        case "BertProcessing":
            guard let clsId = try post.array("cls")?.last?.int.flatMap(Int32.init(exactly:)),
                let sepId = try post.array("sep")?.last?.int.flatMap(Int32.init(exactly:))
            else { throw TokenizerError.malformedFile(path: file, reason: "post_processor.cls/sep") }
            return (clsId, sepId)
        case "TemplateProcessing":
            // single must be [SpecialToken CLS, Sequence A, SpecialToken SEP].
            let single = (try post.array("single") ?? []).compactMap(\.object)
            guard single.count == 3, let firstName = single[0]["SpecialToken"]?.object?["id"]?.string,
                single[1]["Sequence"] != nil, let lastName = single[2]["SpecialToken"]?.object?["id"]?.string
            else { throw TokenizerError.unsupported(path: file, field: "post_processor.single", value: "not [CLS] $A [SEP]") }
            let specials = try post.object("special_tokens")?.value ?? [:]
            func id(_ name: String) throws -> Int32 {
                if let id = specials[name]?.object?["ids"]?.array?.first?.int.flatMap(Int32.init(exactly:)) {
                    return id
                }
                guard let id = wordPiece.id(of: name) else { throw TokenizerError.missingSpecialToken(path: file, token: name) }
                return id
            }
            return (try id(firstName), try id(lastName))
        default:
            throw TokenizerError.unsupported(path: file, field: "post_processor.type", value: type)
        }
    }

    /// Loads transformers' slow-tokenizer files: `vocab.txt` (one token per line, id = line number) and
    /// optionally `tokenizer_config.json` (`do_lower_case`, `strip_accents`, `tokenize_chinese_chars`,
    /// the special tokens), as `BertTokenizerFast` converts them. Default max length: `model_max_length`,
    /// else 512.
    public convenience init(vocabTXT url: URL, tokenizerConfig: URL?) throws {
        let data: Data
        do { data = try FileContents.read(url) } catch {
            throw TokenizerError.unreadableFile(path: url.path, reason: error.description)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw TokenizerError.malformedFile(path: url.path, reason: "not UTF-8")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }  // the newline ending the last line
        var vocabulary: [String: Int32] = [:]
        for (i, line) in lines.enumerated() { vocabulary[String(line)] = Int32(i) }  // a repeated token keeps its last line

        let config = try tokenizerConfig.map { try JSONFile($0).object() } ?? JSONObject(value: [:], file: url.path)
        let configPath = tokenizerConfig?.path ?? url.path
        func special(_ key: String, _ fallback: String) throws -> String {
            if let s = config.value[key]?.string { return s }
            if let s = config.value[key]?.object?["content"]?.string { return s }
            if let v = config.value[key], !v.isNull {
                throw TokenizerError.malformedFile(path: configPath, reason: "field '\(key)' is neither a string nor a token")
            }
            return fallback
        }
        let unk = try special("unk_token", "[UNK]")
        let names = [try special("cls_token", "[CLS]"), try special("sep_token", "[SEP]"), try special("pad_token", "[PAD]"),
                     try special("mask_token", "[MASK]"), unk]
        let wordPiece = try WordPiece(vocabulary: vocabulary, unknownToken: unk, source: url.path)
        guard let cls = vocabulary[names[0]] else { throw TokenizerError.missingSpecialToken(path: url.path, token: names[0]) }
        guard let sep = vocabulary[names[1]] else { throw TokenizerError.missingSpecialToken(path: url.path, token: names[1]) }
        var added = names.compactMap { name in vocabulary[name].map { AddedTokens.Token(content: name, id: $0) } }
        if let decoder = try config.object("added_tokens_decoder")?.value {
            for (key, entry) in decoder.dictionary.sorted(by: { $0.key < $1.key }) {
                guard let id = Int32(key), let token = entry.object, let content = token["content"]?.string else {
                    throw TokenizerError.malformedFile(path: configPath, reason: "added_tokens_decoder[\"\(key)\"]")
                }
                if !added.contains(where: { $0.content == content }) {
                    added.append(AddedTokens.Token(content: content, id: id, singleWord: token["single_word"]?.bool ?? false))
                }
            }
        }
        let lowercase = try config.bool("do_lower_case") ?? true
        let normalizer = BertNormalizer(
            cleanText: true, handleChineseChars: try config.bool("tokenize_chinese_chars") ?? true,
            stripAccents: try config.bool("strip_accents"), lowercase: lowercase)
        let maxLength = (try config.int("model_max_length")).flatMap { $0 < 1_000_000 ? $0 : nil } ?? 512
        self.init(
            normalizer: normalizer, wordPiece: wordPiece, addedTokens: AddedTokens(added),
            postProcessor: BertPostProcessor(clsId: cls, sepId: sep), padId: vocabulary[names[2]] ?? 0,
            maxLength: maxLength)
    }
}
