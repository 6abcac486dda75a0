import Foundation
import Testing

/// `merge` and `train` never write over what they read, and write into a non-empty directory only when
/// it is their own earlier output or with --overwrite; a refused command leaves every file as it was.
@Suite struct OutputDirectoryTests {
    func merge(model: String, adapter: String, output: String, _ extra: [String] = []) throws -> ProcessResult {
        try runEmbedTune(["merge", "--model", model, "--adapter", adapter, "--output", output] + extra)
    }

    @Test(arguments: ["", "/..", "/1_Pooling"])
    func mergeRefusesAnOutputOverlappingTheModel(_ suffix: String) throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let model = try HostileInput.tinyModel(in: dir)
        let adapter = try HostileInput.tinyAdapter(in: dir)
        let before = try HostileInput.snapshot(dir.url.path)
        let result = try merge(model: model, adapter: adapter, output: model + suffix)
        result.expectRefusal(naming: "--model")
        #expect(try HostileInput.snapshot(dir.url.path) == before)
    }

    @Test func mergeRefusesAnOutputThatIsTheAdapter() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let model = try HostileInput.tinyModel(in: dir)
        let adapter = try HostileInput.tinyAdapter(in: dir)
        let before = try HostileInput.snapshot(dir.url.path)
        let result = try merge(model: model, adapter: adapter, output: adapter, ["--overwrite"])
        result.expectRefusal(naming: "--adapter")
        #expect(try HostileInput.snapshot(dir.url.path) == before)
    }

    @Test func mergeIntoAForeignNonEmptyDirectoryNeedsOverwrite() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let adapter = try HostileInput.tinyAdapter(in: dir)
        let foreign = dir.url.appendingPathComponent("notes")
        try FileManager.default.createDirectory(at: foreign, withIntermediateDirectories: true)
        try Data("my notes\n".utf8).write(to: foreign.appendingPathComponent("README.md"))
        try Data("{\"mine\": true}\n".utf8).write(to: foreign.appendingPathComponent("config.json"))
        let before = try HostileInput.snapshot(foreign.path)
        let refused = try merge(model: Repository.tinyModel.path, adapter: adapter, output: foreign.path)
        refused.expectRefusal(naming: "--overwrite")
        #expect(try HostileInput.snapshot(foreign.path) == before)

        let merged = try merge(model: Repository.tinyModel.path, adapter: adapter, output: foreign.path, ["--overwrite"])
        #expect(merged.status == 0, "\(merged.stderr)")
        // The model's files replace their namesakes; other files stay; no temporary directory is left.
        #expect(try String(contentsOf: foreign.appendingPathComponent("README.md"), encoding: .utf8) == "my notes\n")
        #expect(try Data(contentsOf: foreign.appendingPathComponent("config.json"))
                == Data(contentsOf: Repository.tinyModel.appendingPathComponent("config.json")))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.url.path).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty, "\(leftovers)")
        let embedded = try runEmbedTune(["embed", "--model", foreign.path, "--threads", "1"], lines: "a river\n")
        #expect(embedded.status == 0, "\(embedded.stderr)")
    }

    @Test func mergeIntoANewDirectoryWritesALoadableModel() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let adapter = try HostileInput.tinyAdapter(in: dir)
        let result = try merge(model: Repository.tinyModel.path, adapter: adapter, output: dir.path("merged/deep"))
        #expect(result.status == 0, "\(result.stderr)")
        let embedded = try runEmbedTune(["embed", "--model", dir.path("merged/deep"), "--threads", "1"], lines: "a river\n")
        #expect(embedded.status == 0, "\(embedded.stderr)")
    }

    @Test func mergeAgainIntoItsOwnOutputNeedsNoOverwrite() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let adapter = try HostileInput.tinyAdapter(in: dir)
        let output = dir.path("merged")
        let first = try merge(model: Repository.tinyModel.path, adapter: adapter, output: output)
        #expect(first.status == 0, "\(first.stderr)")
        let record = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output + "/embedtune_merge.json")))
        #expect((record as? [String: String]) == ["base_model": Repository.tinyModel.path, "adapter": adapter])
        let before = try HostileInput.snapshot(output)
        let again = try merge(model: Repository.tinyModel.path, adapter: adapter, output: output)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try HostileInput.snapshot(output) == before)  // the same merge writes the same bytes
    }

    @Test(arguments: [["--full"], []])
    func trainRefusesTheModelDirectoryAsOutput(_ extra: [String]) throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let model = try HostileInput.tinyModel(in: dir)
        let data = try dir.write("pairs.jsonl", HostileInputTests.pairs)
        let before = try HostileInput.snapshot(model)
        let result = try runEmbedTune(["train", "--model", model, "--data", data, "--output", model, "--threads", "1",
                                       "--batch-size", "2", "--max-steps", "1", "--overwrite"] + extra)
        result.expectRefusal(naming: "--model")
        #expect(try HostileInput.snapshot(model) == before)
    }

    @Test func trainRefusesAForeignNonEmptyOutputButReusesItsOwn() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let data = try dir.write("pairs.jsonl", HostileInputTests.pairs)
        let arguments = ["train", "--model", Repository.tinyModel.path, "--data", data, "--threads", "1",
                         "--batch-size", "2", "--max-steps", "1"]
        try FileManager.default.createDirectory(atPath: dir.path("foreign"), withIntermediateDirectories: true)
        _ = try dir.write("foreign/README.md", "keep me\n")
        let refused = try runEmbedTune(arguments + ["--output", dir.path("foreign")])
        refused.expectRefusal(naming: "--overwrite")
        #expect(try String(contentsOfFile: dir.path("foreign/README.md"), encoding: .utf8) == "keep me\n")
        #expect(!FileManager.default.fileExists(atPath: dir.path("foreign/adapter_config.json")))

        let first = try runEmbedTune(arguments + ["--output", dir.path("run")])
        #expect(first.status == 0, "\(first.stderr)")
        let again = try runEmbedTune(arguments + ["--output", dir.path("run")])
        #expect(again.status == 0, "\(again.stderr)")
    }
}
