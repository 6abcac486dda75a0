import Foundation
import Testing

/// The index file's faults as the commands report them: a directory in the index file's place makes
/// `encode` fail after its documents are committed, naming the index file and the rename; `search`
/// then says why it cannot use or write the file and answers from the database.
@Suite struct IndexFileFaultTests {
    @Test func aDirectoryInTheIndexFilesPlaceFailsEncodeAndSearchReadsTheDatabase() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let lines = generatedLines(20)
        let input = try dir.write("corpus.txt", lines)
        let db = dir.path("v.db")
        let index = db + ".vectors"
        try FileManager.default.createDirectory(atPath: index, withIntermediateDirectories: false)
        try Data("not ours".utf8).write(to: URL(fileURLWithPath: index + "/inside"))

        let encode = try runEmbedTune(["encode", "--model", Repository.tinyModel.path, "--input", input, "--db", db])
        #expect(encode.status != 0)
        #expect(encode.stderr.contains("\(index): cannot write the index file: rename: "), "\(encode.stderr)")
        #expect(try SQLiteFile(path: db).integer("SELECT COUNT(*) FROM documents") == 20, "the documents are committed")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path).allSatisfy { !$0.contains(".tmp-") })

        let query = String(lines.split(separator: "\n")[3])
        let search = try runEmbedTune(["search", "--db", db, "--json", "-k", "1", query])
        #expect(search.status == 0, "\(search.stderr)")
        let note = "\(index): cannot read the index file: not a regular file; searching the vectors read from the database"
        #expect(search.stderr.contains(note), "\(search.stderr)")
        let hits = try jsonObject(search.stdoutText)["results"] as? [[String: Any]] ?? []
        #expect(hits.first?["id"] as? String == "4", "\(search.stdoutText)")

        // With the directory gone, the next search writes the index file and maps it.
        try FileManager.default.removeItem(atPath: index)
        let rebuilt = try runEmbedTune(["search", "--db", db, "--json", "-k", "1", query])
        #expect(rebuilt.status == 0 && rebuilt.stdout == search.stdout, "\(rebuilt.stderr)")
        #expect(rebuilt.stderr.contains("\(index): no index file; written again"), "\(rebuilt.stderr)")
        #expect(FileManager.default.fileExists(atPath: index))
    }
}
