import Foundation
import Testing
import Tokenizer
@testable import Encoder

/// Each test breaks one thing in a copy of Fixtures/tiny_bert (issue 2 item 5: "a missing or malformed
/// file is an error naming the file") and checks the typed error and what its description names.
struct ModelDirectoryErrorTests {
    @Test func theUnbrokenCopyLoads() throws {
        let directory = try BrokenModelDirectory()
        #expect(directory.loadError() == nil)
    }

    @Test func aMissingDirectoryIsAMissingFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-model-\(UUID().uuidString)")
        #expect(throws: ModelLoadingError.missingFile(url.path)) { try SentenceEncoder(modelDirectory: url) }
    }

    // MARK: config.json

    @Test func aMissingConfigIsAMissingFile() throws {
        let directory = try BrokenModelDirectory()
        try directory.remove("config.json")
        let error = expectModelLoadingError(directory, file: "config.json")
        #expect(error == .missingFile(directory.path("config.json")))
    }

    @Test func aConfigThatIsNotJSONIsMalformed() throws {
        let directory = try BrokenModelDirectory()
        try directory.write("{\"hidden_size\": 32,", to: "config.json")
        let error = expectModelLoadingError(directory, file: "config.json", mentioning: ["not valid JSON"])
        guard case .malformedFile = error else { Issue.record("expected malformedFile, got \(String(describing: error))"); return }
    }

    @Test func aConfigWithoutHiddenSizeNamesTheField() throws {
        let directory = try BrokenModelDirectory()
        try directory.editJSON("config.json") { $0["hidden_size"] = nil }
        let error = expectModelLoadingError(directory, file: "config.json", mentioning: ["hidden_size"])
        #expect(error == .invalidField(file: directory.path("config.json"), field: "hidden_size", reason: "is missing"))
    }

    @Test func aHiddenSizeOfTheWrongTypeNamesTheField() throws {
        let directory = try BrokenModelDirectory()
        try directory.editJSON("config.json") { $0["hidden_size"] = "32" }
        let error = expectModelLoadingError(directory, file: "config.json", mentioning: ["hidden_size"])
        guard case .invalidField(_, "hidden_size", _) = error else {
            Issue.record("expected invalidField hidden_size, got \(String(describing: error))"); return
        }
    }

    @Test(arguments: ["relu", "gelu_new", "gelu_pytorch_tanh", "silu"])
    func anUnsupportedActivationNamesTheFieldAndValue(_ activation: String) throws {
        let directory = try BrokenModelDirectory()
        try directory.editJSON("config.json") { $0["hidden_act"] = activation }
        let error = expectModelLoadingError(directory, file: "config.json", mentioning: ["hidden_act", "\"\(activation)\""])
        guard case .invalidField(_, "hidden_act", _) = error else {
            Issue.record("expected invalidField hidden_act, got \(String(describing: error))"); return
        }
    }

    @Test func headsThatDoNotDivideTheHiddenSizeAreRejected() throws {
        let directory = try BrokenModelDirectory()
        try directory.editJSON("config.json") { $0["num_attention_heads"] = 5 }
        let error = expectModelLoadingError(directory, file: "config.json", mentioning: ["num_attention_heads"])
        guard case .invalidField(_, "num_attention_heads", _) = error else {
            Issue.record("expected invalidField num_attention_heads, got \(String(describing: error))"); return
        }
    }

    @Test(arguments: ["relative_key", "relative_key_query"])
    func relativePositionEmbeddingsAreRejected(_ kind: String) throws {
        let directory = try BrokenModelDirectory()
        try directory.editJSON("config.json") { $0["position_embedding_type"] = kind }
        let error = expectModelLoadingError(directory, file: "config.json", mentioning: ["position_embedding_type", kind])
        guard case .invalidField(_, "position_embedding_type", _) = error else {
            Issue.record("expected invalidField position_embedding_type, got \(String(describing: error))"); return
        }
    }

    @Test func aNonBertModelTypeIsRejected() throws {
        let directory = try BrokenModelDirectory()
        try directory.editJSON("config.json") { $0["model_type"] = "t5" }
        expectModelLoadingError(directory, file: "config.json", mentioning: ["model_type", "t5"])
    }

    @Test func aVocabularyLargerThanTheEmbeddingTableIsRejected() throws {
        let directory = try BrokenModelDirectory()
        try directory.editJSON("config.json") { $0["vocab_size"] = 999 }  // vocab.txt has 1,000 tokens
        let error = expectModelLoadingError(directory, file: "config.json", mentioning: ["vocab_size", "vocab.txt", "999"])
        guard case .invalidField(_, "vocab_size", _) = error else {
            Issue.record("expected invalidField vocab_size, got \(String(describing: error))"); return
        }
    }

    // MARK: modules.json and 1_Pooling/config.json

    @Test func malformedModulesAreRejected() throws {
        let directory = try BrokenModelDirectory()
        try directory.write("[{\"idx\": 0, \"path\": \"\", \"type\": ", to: "modules.json")
        let error = expectModelLoadingError(directory, file: "modules.json", mentioning: ["not valid JSON"])
        guard case .malformedFile = error else { Issue.record("expected malformedFile, got \(String(describing: error))"); return }
    }

    @Test func modulesThatAreNotAListAreRejected() throws {
        let directory = try BrokenModelDirectory()
        try directory.write("{\"0\": \"sentence_transformers.models.Transformer\"}", to: "modules.json")
        let error = expectModelLoadingError(directory, file: "modules.json")
        guard case .malformedFile = error else { Issue.record("expected malformedFile, got \(String(describing: error))"); return }
    }

    @Test func aModuleWithoutTypeNamesItsIndex() throws {
        let directory = try BrokenModelDirectory()
        try directory.write("[{\"idx\": 0, \"path\": \"\"}]", to: "modules.json")
        let error = expectModelLoadingError(directory, file: "modules.json", mentioning: ["[0].type"])
        #expect(error == .invalidField(file: directory.path("modules.json"), field: "[0].type", reason: "is missing"))
    }

    @Test func anUnknownModuleTypeIsNamed() throws {
        let directory = try BrokenModelDirectory()
        try directory.write(
            """
            [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
             {"idx": 1, "name": "1", "path": "1_LSTM", "type": "sentence_transformers.models.LSTM"}]
            """, to: "modules.json")
        let error = expectModelLoadingError(directory, file: "modules.json", mentioning: ["sentence_transformers.models.LSTM"])
        guard case .invalidField(_, "type", _) = error else {
            Issue.record("expected invalidField type, got \(String(describing: error))"); return
        }
    }

    @Test func aMissingPoolingConfigIsAMissingFile() throws {
        let directory = try BrokenModelDirectory()
        try directory.remove("1_Pooling/config.json")
        let error = expectModelLoadingError(directory, file: "1_Pooling/config.json")
        #expect(error == .missingFile(directory.path("1_Pooling/config.json")))
    }

    @Test func poolingThatSelectsTwoModesNamesThem() throws {
        let directory = try BrokenModelDirectory()
        try directory.editJSON("1_Pooling/config.json") { $0["pooling_mode_cls_token"] = true }
        let error = expectModelLoadingError(
            directory, file: "1_Pooling/config.json",
            mentioning: ["pooling_mode_cls_token", "pooling_mode_mean_tokens"])
        guard case .invalidField(_, "pooling_mode_*", _) = error else {
            Issue.record("expected invalidField pooling_mode_*, got \(String(describing: error))"); return
        }
    }

    @Test func poolingThatSelectsNoModeIsRejected() throws {
        let directory = try BrokenModelDirectory()
        try directory.editJSON("1_Pooling/config.json") { $0["pooling_mode_mean_tokens"] = false }
        let error = expectModelLoadingError(directory, file: "1_Pooling/config.json", mentioning: ["none"])
        guard case .invalidField(_, "pooling_mode_*", _) = error else {
            Issue.record("expected invalidField pooling_mode_*, got \(String(describing: error))"); return
        }
    }

    @Test func aPoolingFlagThatIsNotABooleanNamesTheField() throws {
        let directory = try BrokenModelDirectory()
        try directory.editJSON("1_Pooling/config.json") { $0["pooling_mode_max_tokens"] = "yes" }
        let error = expectModelLoadingError(directory, file: "1_Pooling/config.json", mentioning: ["pooling_mode_max_tokens"])
        guard case .invalidField(_, "pooling_mode_max_tokens", _) = error else {
            Issue.record("expected invalidField pooling_mode_max_tokens, got \(String(describing: error))"); return
        }
    }

    @Test func aPoolingDimensionOtherThanTheHiddenSizeIsRejected() throws {
        let directory = try BrokenModelDirectory()
        try directory.editJSON("1_Pooling/config.json") { $0["word_embedding_dimension"] = 384 }
        let error = expectModelLoadingError(directory, file: "1_Pooling/config.json", mentioning: ["word_embedding_dimension", "384"])
        guard case .invalidField(_, "word_embedding_dimension", _) = error else {
            Issue.record("expected invalidField word_embedding_dimension, got \(String(describing: error))"); return
        }
    }

    // MARK: sentence_bert_config.json

    @Test func aMalformedSentenceBertConfigIsRejected() throws {
        let directory = try BrokenModelDirectory()
        try directory.write("max_seq_length: 48", to: "sentence_bert_config.json")
        let error = expectModelLoadingError(directory, file: "sentence_bert_config.json", mentioning: ["not valid JSON"])
        guard case .malformedFile = error else { Issue.record("expected malformedFile, got \(String(describing: error))"); return }
    }

    @Test func aMaxSeqLengthThatIsNotANumberNamesTheField() throws {
        let directory = try BrokenModelDirectory()
        try directory.editJSON("sentence_bert_config.json") { $0["max_seq_length"] = "48" }
        let error = expectModelLoadingError(directory, file: "sentence_bert_config.json", mentioning: ["max_seq_length"])
        guard case .invalidField(_, "max_seq_length", _) = error else {
            Issue.record("expected invalidField max_seq_length, got \(String(describing: error))"); return
        }
    }

    @Test func aMaxSeqLengthBelowTwoIsRejected() throws {
        let directory = try BrokenModelDirectory()
        try directory.editJSON("sentence_bert_config.json") { $0["max_seq_length"] = 1 }
        let error = expectModelLoadingError(directory, file: "sentence_bert_config.json", mentioning: ["max_seq_length"])
        guard case .invalidField(_, "max_seq_length", _) = error else {
            Issue.record("expected invalidField max_seq_length, got \(String(describing: error))"); return
        }
    }

    // MARK: model.safetensors

    @Test func missingWeightsAreAMissingFile() throws {
        let directory = try BrokenModelDirectory()
        try directory.remove("model.safetensors")
        let error = expectModelLoadingError(directory, file: "model.safetensors")
        #expect(error == .missingFile(directory.path("model.safetensors")))
    }

    @Test func aPyTorchPickleAloneIsNamedAndNotRead() throws {
        let directory = try BrokenModelDirectory()
        try directory.remove("model.safetensors")
        try directory.write("PK\u{3}\u{4} not really a pickle", to: "pytorch_model.bin")
        let error = expectModelLoadingError(directory, file: "pytorch_model.bin", mentioning: ["model.safetensors"])
        guard case .malformedFile = error else { Issue.record("expected malformedFile, got \(String(describing: error))"); return }
    }

    @Test func aMissingTensorIsNamed() throws {
        let directory = try BrokenModelDirectory()
        let missing = "encoder.layer.1.attention.self.key.bias"
        try directory.editWeights { tensors in tensors.removeAll { $0.name == missing } }
        let error = expectModelLoadingError(directory, file: "model.safetensors", mentioning: [missing])
        #expect(error == .missingTensor(file: directory.path("model.safetensors"), tensor: missing))
    }

    @Test func aTensorOfTheWrongShapeIsNamedWithBothShapes() throws {
        let directory = try BrokenModelDirectory()
        let name = "encoder.layer.0.intermediate.dense.weight"  // (64, 32) stored as (32, 64): same byte count
        try directory.editWeights { tensors in
            for i in tensors.indices where tensors[i].name == name { tensors[i].shape = [32, 64] }
        }
        let error = expectModelLoadingError(directory, file: "model.safetensors", mentioning: [name, "[32, 64]", "[64, 32]"])
        #expect(error == .wrongShape(file: directory.path("model.safetensors"), tensor: name, expected: [64, 32], found: [32, 64]))
    }

    @Test func aTruncatedWeightsFileIsASafeTensorsErrorNamingIt() throws {
        let directory = try BrokenModelDirectory()
        let url = directory.url.appendingPathComponent("model.safetensors")
        let bytes = try Data(contentsOf: url)
        try bytes.prefix(bytes.count / 2).write(to: url)
        let error = directory.loadError()
        #expect(error is SafeTensorsError, "got \(String(describing: error))")
        #expect("\(error.map { "\($0)" } ?? "")".contains(url.path))
    }

    // MARK: tokenizer files

    @Test func missingTokenizerFilesNameWhatWasLookedFor() throws {
        let directory = try BrokenModelDirectory()
        try directory.remove("vocab.txt")
        let error = directory.loadError()
        #expect(error as? TokenizerError == .noTokenizerFiles(directory: directory.url.path))
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("vocab.txt") && text.contains("tokenizer.json") && text.contains(directory.url.path), "\(text)")
    }

    @Test func aMalformedTokenizerConfigIsNamed() throws {
        let directory = try BrokenModelDirectory()
        try directory.write("{\"do_lower_case\": tru", to: "tokenizer_config.json")
        let error = directory.loadError()
        guard case .malformedFile(let path, _) = error as? TokenizerError else {
            Issue.record("expected TokenizerError.malformedFile, got \(String(describing: error))"); return
        }
        #expect(path == directory.path("tokenizer_config.json"))
    }

    @Test func aVocabularyWithoutUnknownTokenIsNamed() throws {
        let directory = try BrokenModelDirectory()
        let vocab = try String(contentsOfFile: directory.path("vocab.txt"), encoding: .utf8)
        try directory.write(vocab.replacingOccurrences(of: "[UNK]\n", with: "[UNK-GONE]\n"), to: "vocab.txt")
        let error = directory.loadError()
        #expect(error as? TokenizerError == .missingUnknownToken(path: directory.path("vocab.txt"), token: "[UNK]"))
    }
}
