@testable import Datasets
import Foundation
import Testing
@testable import Retrieval

@Suite struct CorpusReaderTests {
    func read(_ text: String, name: String = "c.jsonl", skipInvalid: Bool = false) throws -> ([CorpusDocument], [DataError]) {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let path = try dir.write(name, text)
        var skipped: [DataError] = []
        let docs = try CorpusReader(path: path, skipInvalid: skipInvalid) { skipped.append($0) }.readAll()
        return (docs, skipped)
    }

    /// The error thrown for `text`, with the file name reduced to its last component.
    func failure(_ text: String, name: String = "c.jsonl") throws -> DataError? {
        do {
            _ = try read(text, name: name)
            return nil
        } catch let error as DataError {
            return error
        }
    }

    @Test func readsBEIRAndPlainJSONLAndCRLF() throws {
        let (docs, _) = try read("""
            {"_id": "a1", "title": "T", "text": "first"}\r
            {"id": 7, "text": "second"}\r

            {"id": "x", "title": null, "text": "", "extra": [1]}
            """)
        #expect(docs == [CorpusDocument(id: "a1", title: "T", text: "first", line: 1),
                         CorpusDocument(id: "7", title: nil, text: "second", line: 2),
                         CorpusDocument(id: "x", title: nil, text: "", line: 4)])
    }

    @Test func plainTextIdsAreLineNumbers() throws {
        let (docs, _) = try read("alpha\r\nbeta\n\n  \ngamma\n", name: "c.txt")
        #expect(docs.map(\.id) == ["1", "2", "5"])
        #expect(docs.map(\.text) == ["alpha", "beta", "gamma"])
    }

    @Test func invalidJSONNamesTheLine() throws {
        let e = try failure("{\"id\": \"a\", \"text\": \"ok\"}\n{\"id\": \"b\", \"text\": \n")
        guard case .invalidJSON(_, 2, _)? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(String(describing: e!).contains("c.jsonl:2"))
    }

    @Test func notAnObjectIsInvalidJSON() throws {
        let e = try failure("[1, 2]\n")
        guard case .invalidJSON(_, 1, _)? = e else { Issue.record("got \(String(describing: e))"); return }
    }

    @Test func missingIdNamesTheLineAndField() throws {
        let e = try failure("{\"id\": \"a\", \"text\": \"ok\"}\n{\"text\": \"no id\"}\n")
        #expect(e?.line == 2)
        guard case .missingField(_, 2, "_id or id")? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(String(describing: e!).contains(":2: missing field"))
    }

    @Test func missingTextNamesTheLineAndField() throws {
        let e = try failure("\n\n{\"_id\": \"a\", \"title\": \"only a title\"}\n")
        guard case .missingField(_, 3, "text")? = e else { Issue.record("got \(String(describing: e))"); return }
    }

    @Test func wrongTypesAreErrors() throws {
        guard case .wrongType(_, 1, "text", _)? = try failure("{\"id\": \"a\", \"text\": 5}\n") else {
            Issue.record("text: 5 accepted"); return
        }
        guard case .wrongType(_, 1, "id", _)? = try failure("{\"id\": true, \"text\": \"t\"}\n") else {
            Issue.record("id: true accepted"); return
        }
    }

    @Test func anEmptyIdNamesTheLineAndField() throws {
        guard case .emptyField(_, 2, "_id")? = try failure("{\"_id\": \"a\", \"text\": \"t\"}\n{\"_id\": \"\", \"text\": \"t\"}\n") else {
            Issue.record("_id \"\" accepted"); return
        }
    }

    @Test func repeatedIdNamesBothLines() throws {
        let e = try failure("{\"id\": \"a\", \"text\": \"1\"}\n{\"id\": \"b\", \"text\": \"2\"}\n{\"id\": \"a\", \"text\": \"3\"}\n")
        #expect(e == .repeatedID(file: e?.file ?? "", line: 3, id: "a", firstLine: 1))
        #expect(String(describing: e!).contains("first at line 1"))
    }

    @Test func invalidUTF8InPlainTextNamesTheLine() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let path = dir.path("c.txt")
        try Data([0x6F, 0x6B, 0x0A, 0xFF, 0xFE, 0x0A]).write(to: URL(fileURLWithPath: path))
        #expect(throws: DataError.invalidUTF8(file: path, line: 2)) { try CorpusReader(path: path).readAll() }
    }

    @Test func skipInvalidReportsAndSkipsEveryBadLine() throws {
        let (docs, skipped) = try read("""
            {"id": "a", "text": "1"}
            {"id": "b", "text":
            {"text": "no id"}
            {"id": "a", "text": "again"}
            {"id": "c", "text": "3"}
            """, skipInvalid: true)
        #expect(docs.map(\.id) == ["a", "c"])
        #expect(docs[0].text == "1")  // the first occurrence of a repeated id is kept
        #expect(skipped.map(\.line) == [2, 3, 4])
    }

    @Test func missingFileIsAnError() {
        #expect(throws: DataError.self) { try CorpusReader(path: "/nonexistent/corpus.jsonl") }
    }

    @Test func batchesStreamInOrder() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let path = try dir.write("c.txt", (1...7).map { "line \($0)" }.joined(separator: "\n"))
        let reader = try CorpusReader(path: path)
        #expect(try reader.next(batch: 3).map(\.id) == ["1", "2", "3"])
        #expect(try reader.next(batch: 3).map(\.id) == ["4", "5", "6"])
        #expect(try reader.next(batch: 3).map(\.id) == ["7"])
        #expect(try reader.next(batch: 3).isEmpty)
    }
}

@Suite struct BEIRDatasetTests {
    func makeDataset(qrels: String) throws -> TempDirectory {
        let dir = try TempDirectory()
        _ = try dir.write("corpus.jsonl", """
            {"_id": "d1", "title": "One", "text": "first doc"}
            {"_id": "d2", "title": "", "text": "second doc"}
            """)
        _ = try dir.write("queries.jsonl", """
            {"_id": "q1", "text": "query one", "metadata": {}}
            {"_id": "q2", "text": "query two"}
            {"_id": "q3", "text": "not judged in this split"}
            """)
        _ = try dir.write("qrels/test.tsv", qrels)
        return dir
    }

    @Test func loadsCorpusQueriesAndQrelsWithHeaderAndCRLF() throws {
        let dir = try makeDataset(qrels: "query-id\tcorpus-id\tscore\r\nq2\td1\t1\r\nq1\td2\t2\r\nq1\td1\t0\r\n")
        defer { dir.cleanup() }
        let ds = try BEIRDataset.load(directory: dir.url, split: "test")
        #expect(ds.corpus.map(\.id) == ["d1", "d2"])
        #expect(ds.corpus[0].title == "One")
        #expect(ds.queries == [BEIRQuery(id: "q1", text: "query one"), BEIRQuery(id: "q2", text: "query two")])
        #expect(ds.qrels == ["q1": ["d2": 2, "d1": 0], "q2": ["d1": 1]])
    }

    @Test func badQrelsRowNamesFileAndLine() throws {
        let dir = try makeDataset(qrels: "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2 d1 1\n")
        defer { dir.cleanup() }
        do {
            _ = try BEIRDataset.load(directory: dir.url, split: "test")
            Issue.record("accepted a row without tabs")
        } catch {
            let e = error
            #expect(e.line == 3 && e.file.hasSuffix("qrels/test.tsv"))
        }
    }

    @Test func nonIntegerScoreIsAnError() throws {
        let dir = try makeDataset(qrels: "query-id\tcorpus-id\tscore\nq1\td1\thigh\n")
        defer { dir.cleanup() }
        #expect(throws: DataError.self) { try BEIRDataset.load(directory: dir.url, split: "test") }
    }

    @Test func qrelsQueryWithoutTextIsAnError() throws {
        let dir = try makeDataset(qrels: "query-id\tcorpus-id\tscore\nq1\td1\t1\nq9\td1\t1\n")
        defer { dir.cleanup() }
        #expect(throws: DataError.unknownQuery(file: dir.path("qrels/test.tsv"), line: 3, id: "q9")) {
            try BEIRDataset.load(directory: dir.url, split: "test")
        }
    }

    @Test func missingSplitNamesTheFile() throws {
        let dir = try makeDataset(qrels: "query-id\tcorpus-id\tscore\n")
        defer { dir.cleanup() }
        do {
            _ = try BEIRDataset.load(directory: dir.url, split: "dev")
            Issue.record("loaded a missing split")
        } catch {
            let e = error
            #expect(e.file.hasSuffix("qrels/dev.tsv"))
        }
    }
}
