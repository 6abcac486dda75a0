@testable import Datasets
import Encoder
import Foundation
@testable import Store
import Testing
@testable import Retrieval

@Suite struct EncodeJobTests {
    @Test func aStoppedRunResumesToTheSameDatabaseAsAnUninterruptedOne() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let input = try dir.write("corpus.jsonl", jsonl(generatedCorpus(300)))

        let whole = try encodeJob(input, dir.path("whole.db")).run()
        #expect(whole.new == 300 && whole.committed == 300 && whole.chunks == 10 && !whole.stopped)

        var chunks = 0
        let first = try encodeJob(input, dir.path("resumed.db")).run(
            onEvent: { if case .committed = $0 { chunks += 1 } }, shouldStop: { chunks >= 3 })
        #expect(first.stopped && first.committed == 96 && first.stored == 96)

        let second = try encodeJob(input, dir.path("resumed.db")).run()
        #expect(second.unchanged == 96 && second.new == 204 && second.updated == 0)
        #expect(second.committed == 204 && second.stored == 300 && !second.stopped)

        let expected = try StoreDump(path: dir.path("whole.db"))
        #expect(expected.rows.count == 300)
        #expect(try StoreDump(path: dir.path("resumed.db")) == expected)
    }

    @Test func syncDeletesWhatTheInputNoLongerHoldsAndOnlyAfterReadingAllOfIt() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let corpus = generatedCorpus(50)
        let input = try dir.write("corpus.jsonl", jsonl(corpus))
        _ = try encodeJob(input, dir.path("v.db")).run()
        // A bad line: the run fails before anything is deleted.
        _ = try dir.write("corpus.jsonl", jsonl(Array(corpus.prefix(10))) + "{\"_id\": \"broken\"\n")
        var failing = try encodeJob(input, dir.path("v.db"))
        failing.sync = true
        #expect(throws: DataError.self) { _ = try failing.run() }
        #expect(try VectorStore(path: dir.path("v.db"), readOnly: true).count() == 50)
        // Without sync nothing is deleted; with it, the 40 absent documents go, the rest stay untouched.
        _ = try dir.write("corpus.jsonl", jsonl(Array(corpus.prefix(10))))
        let before = try StoreDump(path: dir.path("v.db"))
        #expect(try encodeJob(input, dir.path("v.db")).run().stored == 50)
        var job = try encodeJob(input, dir.path("v.db"))
        job.sync = true
        let run = try job.run()
        #expect(run.deleted == 40 && run.unchanged == 10 && run.committed == 0 && run.stored == 10)
        #expect(try StoreDump(path: dir.path("v.db")).rows == before.rows.filter { corpus.prefix(10).map(\.id).contains($0.id) })
        let store = try VectorStore(path: dir.path("v.db"), readOnly: true)
        #expect(try store.lexicalSearch(corpus[20].text, k: 50).allSatisfy { corpus.prefix(10).map(\.id).contains($0.id) })
    }

    /// --sync cannot tell what a skipped line or an empty input holds: it refuses before any write.
    @Test func syncRefusesSkippedLinesAndAnEmptyInputAndKeepsEveryDocument() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let corpus = generatedCorpus(20)
        let input = try dir.write("corpus.jsonl", jsonl(corpus))
        _ = try encodeJob(input, dir.path("v.db")).run()
        let before = try StoreDump(path: dir.path("v.db"))
        // Document 3's line broken: skipped with --skip-invalid, but its document is not absent.
        let lines = try jsonl(corpus).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let broken = lines.enumerated().map { $0.offset == 3 ? String($0.element.dropLast(3)) : $0.element }
        _ = try dir.write("corpus.jsonl", broken.joined(separator: "\n"))
        var skipping = try encodeJob(input, dir.path("v.db"))
        skipping.sync = true
        skipping.skipInvalid = true
        #expect(throws: SyncRefusal.skippedLines(input: input, count: 1)) { _ = try skipping.run() }
        #expect(try StoreDump(path: dir.path("v.db")) == before)
        // Without --sync the same input is fine: the skipped line's document stays.
        var plain = try encodeJob(input, dir.path("v.db"))
        plain.skipInvalid = true
        #expect(try plain.run().stored == 20)
        _ = try dir.write("corpus.jsonl", "")
        var empty = try encodeJob(input, dir.path("v.db"))
        empty.sync = true
        #expect(throws: SyncRefusal.emptyInput(input: input, stored: 20)) { _ = try empty.run() }
        #expect(try StoreDump(path: dir.path("v.db")) == before)
    }

    @Test func aSecondRunOnTheSameInputEncodesNothing() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let input = try dir.write("corpus.jsonl", jsonl(generatedCorpus(100)))
        _ = try encodeJob(input, dir.path("v.db")).run()
        let before = try StoreDump(path: dir.path("v.db"))
        var committedEvents = 0
        let again = try encodeJob(input, dir.path("v.db")).run(onEvent: { if case .committed = $0 { committedEvents += 1 } })
        #expect(again.unchanged == 100 && again.new == 0 && again.updated == 0 && again.committed == 0)
        #expect(committedEvents == 0)
        #expect(try StoreDump(path: dir.path("v.db")) == before)
    }

    @Test func changingOneDocumentReencodesExactlyThatOne() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        var corpus = generatedCorpus(100)
        let input = try dir.write("corpus.jsonl", jsonl(corpus))
        _ = try encodeJob(input, dir.path("v.db")).run()
        let before = try StoreDump(path: dir.path("v.db"))

        corpus[41].text = "a wholly different text about rivers and islands"
        _ = try dir.write("corpus.jsonl", jsonl(corpus))
        let run = try encodeJob(input, dir.path("v.db")).run()
        #expect(run.updated == 1 && run.unchanged == 99 && run.new == 0 && run.committed == 1 && run.stored == 100)

        let after = try StoreDump(path: dir.path("v.db"))
        #expect(after.rows.map(\.id) == before.rows.map(\.id), "an update keeps the row in place")
        for (a, b) in zip(before.rows, after.rows) where a.id != "doc-41" { #expect(a == b, "\(a.id)") }
        let changed = try #require(after.rows.first { $0.id == "doc-41" })
        let doc = corpus[41]
        #expect(changed.text == doc.text)
        #expect(changed.contentHash == ContentHash.of(id: doc.id, title: doc.title, text: doc.text))
        let fresh = try TestModels.tiny().encode([
            CorpusDocument(id: doc.id, title: doc.title, text: doc.text, line: 42).passage])
        #expect(zip(changed.bits, fresh).allSatisfy { abs(Float(bitPattern: $0) - $1) <= 1e-5 })
        #expect(changed.bits != before.rows[41].bits)
    }

    @Test(arguments: ["adapter", "max-length"])
    func anotherFingerprintIsRefusedAndTheDatabaseIsUntouched(_ change: String) throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let input = try dir.write("corpus.jsonl", jsonl(generatedCorpus(40)))
        _ = try encodeJob(input, dir.path("v.db")).run()
        let before = try StoreDump(path: dir.path("v.db"))

        let other = change == "adapter" ? try TestModels.tiny(adapter: true) : try TestModels.tiny(maxLength: 16)
        let stored = try TestModels.tiny().fingerprint.description
        #expect(other.fingerprint.description != stored)
        let changed = try dir.write("corpus.jsonl", jsonl(generatedCorpus(60, seed: 99)))
        #expect(throws: StoreError.fingerprintMismatch(stored: stored, given: other.fingerprint.description, path: dir.path("v.db"))) {
            _ = try encodeJob(changed, dir.path("v.db"), encoder: other).run()
        }
        #expect(try StoreDump(path: dir.path("v.db")) == before)
    }

    /// Each bad line, placed at line 4 of 6.
    static let badLines: [(name: String, line: String, expected: @Sendable (String) -> DataError)] = [
        ("invalid JSON", "{\"_id\": \"x\", \"text\": ", { .invalidJSON(file: $0, line: 4, reason: "") }),
        ("missing id", "{\"text\": \"no id here\"}", { .missingField(file: $0, line: 4, field: "_id or id") }),
        ("missing text", "{\"_id\": \"x\", \"title\": \"t\"}", { .missingField(file: $0, line: 4, field: "text") }),
        ("repeated id", "{\"_id\": \"doc-1\", \"text\": \"again\"}", { .repeatedID(file: $0, line: 4, id: "doc-1", firstLine: 2) }),
    ]

    @Test(arguments: 0..<4)
    func aBadLineStopsTheRunNamingItsLineAndTouchesNothing(_ which: Int) throws {
        let bad = Self.badLines[which]
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let stored = try dir.write("stored.jsonl", jsonl(generatedCorpus(20, seed: 3)))
        _ = try encodeJob(stored, dir.path("v.db")).run()
        let before = try StoreDump(path: dir.path("v.db"))

        var lines = try jsonl(generatedCorpus(5, seed: 4)).split(separator: "\n").map(String.init)
        lines.insert(bad.line, at: 3)
        let input = try dir.write("input.jsonl", lines.joined(separator: "\n") + "\n")
        let expected = bad.expected(input)
        do {
            _ = try encodeJob(input, dir.path("v.db")).run()
            Issue.record("\(bad.name): the run did not fail")
        } catch let error as DataError {
            #expect(error.line == 4 && error.file == input, "\(bad.name): \(error)")
            #expect(String(describing: error).contains("\(input):4"), "\(error)")
            if case .invalidJSON = expected { if case .invalidJSON = error {} else { Issue.record("\(error)") } }
            else { #expect(error == expected) }
        }
        #expect(try StoreDump(path: dir.path("v.db")) == before, "\(bad.name): the database was touched")
        // A database that did not exist is not created.
        #expect(throws: DataError.self) { _ = try encodeJob(input, dir.path("new.db")).run() }
        #expect(!FileManager.default.fileExists(atPath: dir.path("new.db")))
    }

    @Test(arguments: 0..<4)
    func skipInvalidReportsTheBadLineAndStoresTheRest(_ which: Int) throws {
        let bad = Self.badLines[which]
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        var lines = try jsonl(generatedCorpus(5, seed: 4)).split(separator: "\n").map(String.init)
        lines.insert(bad.line, at: 3)
        let input = try dir.write("input.jsonl", lines.joined(separator: "\n") + "\n")
        var job = try encodeJob(input, dir.path("v.db"))
        job.skipInvalid = true
        var reported: [DataError] = []
        let summary = try job.run(onEvent: { if case .invalidLine(let e) = $0 { reported.append(e) } })
        #expect(reported.map(\.line) == [4], "\(bad.name)")
        #expect(summary.skippedInvalid == 1 && summary.new == 5 && summary.stored == 5)
        let ids = try StoreDump(path: dir.path("v.db")).rows.map(\.id)
        #expect(ids == (0..<5).map { "doc-\($0)" })
        // For a repeated id the first occurrence is kept.
        #expect(try StoreDump(path: dir.path("v.db")).rows[1].text == generatedCorpus(5, seed: 4)[1].text)
    }

    @Test func shardsSplitTheInputAndTogetherHoldEveryDocument() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let input = try dir.write("corpus.jsonl", jsonl(generatedCorpus(50)))
        var shardRows: [StoreDump.Row] = []
        for i in 0..<3 {
            var job = try encodeJob(input, dir.path("shard\(i).db"))
            job.shard = Shard(index: i, count: 3)
            let summary = try job.run()
            #expect(summary.new + summary.otherShards == 50)
            let rows = try StoreDump(path: dir.path("shard\(i).db")).rows
            #expect(rows.map(\.id) == stride(from: i, to: 50, by: 3).map { "doc-\($0)" })
            shardRows += rows
        }
        _ = try encodeJob(input, dir.path("all.db")).run()
        let all = Dictionary(uniqueKeysWithValues: try StoreDump(path: dir.path("all.db")).rows.map { ($0.id, $0) })
        #expect(shardRows.count == 50)
        for row in shardRows {
            let whole = try #require(all[row.id])
            #expect(row.contentHash == whole.contentHash)
            #expect(zip(row.bits, whole.bits).allSatisfy { abs(Float(bitPattern: $0) - Float(bitPattern: $1)) <= 1e-5 })
        }
        #expect(Shard(parsing: "2/3") == Shard(index: 2, count: 3))
        #expect(Shard(parsing: "3/3") == nil && Shard(parsing: "-1/2") == nil && Shard(parsing: "1") == nil)
    }

    @Test func quantizeWritesTheInt8CopyAndLaterRunsKeepItCurrent() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        var corpus = generatedCorpus(60)
        let input = try dir.write("corpus.jsonl", jsonl(corpus))
        var job = try encodeJob(input, dir.path("v.db"))
        job.quantize = true
        #expect(try job.run().quantized)
        let store = try VectorStore(path: dir.path("v.db"), readOnly: true)
        let scales = try #require(try store.int8Scales())
        #expect(scales == QuantizedMatrix.scales(of: try store.loadMatrix()))

        // Without --quantize, a run that writes vectors refreshes the existing copy; one that writes none leaves it.
        corpus.append((id: "extra", title: nil, text: String(repeating: "island music ", count: 30)))
        _ = try dir.write("corpus.jsonl", jsonl(corpus))
        #expect(try encodeJob(input, dir.path("v.db")).run().quantized)
        #expect(try store.int8Scales() == QuantizedMatrix.scales(of: try store.loadMatrix()))
        #expect(try !encodeJob(input, dir.path("v.db")).run().quantized)
    }
}
