import Foundation
import Testing

/// Damage inside the index file's sections, which its header checksum does not cover: `search` finds
/// it when a damaged row becomes a hit, deletes the file, writes it again from the database (with a
/// note) and answers as from the undamaged file; where it cannot write beside the database, it fails
/// naming the file.
@Suite struct DamagedIndexFileTests {
    /// (offset, length) of the float32 rows, the first of the ten sections: the first (offset, length)
    /// UInt64 pair of the header, at byte 176 (the layout documented in VectorIndexFile.swift).
    static func rowsSection(of file: Data, path: String) throws -> (offset: Int, length: Int) {
        guard file.count >= 4096, file.prefix(8) == Data("EMBTVIDX".utf8) else {
            throw CLITestError("\(path) is not an index file")
        }
        func u64(at start: Int) -> Int {
            var value = 0
            for i in 0..<8 { value |= Int(file[start + i]) << (8 * i) }
            return value
        }
        let rows = (offset: u64(at: 176), length: u64(at: 184))
        guard rows.offset >= 4096, rows.length > 0, rows.offset + rows.length <= file.count else {
            throw CLITestError("\(path): rows section \(rows) outside the file")
        }
        return rows
    }

    /// Overwrites the index file's float32 rows with seeded values uniform in [-4, 4) (finite, scoring
    /// far from any cosine); the header, and so its checksum, stays as it was.
    static func damageRows(ofIndex path: String, seed: UInt64) throws {
        let url = URL(fileURLWithPath: path)
        var file = try Data(contentsOf: url)
        let rows = try rowsSection(of: file, path: path)
        var state = seed
        var garbage: [Float] = []
        for _ in 0..<rows.length / 4 {
            state &+= 0x9E37_79B9_7F4A_7C15  // SplitMix64
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            garbage.append(Float(z >> 40) * 0x1p-24 * 8 - 4)
        }
        let bytes = garbage.withUnsafeBytes { Array($0) }
        file.replaceSubrange(rows.offset..<(rows.offset + rows.length), with: bytes)
        try file.write(to: url)
    }

    @Test func aDamagedIndexFileIsDeletedWrittenAgainAndAnswersAsTheUndamagedOne() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let lines = generatedLines(40)
        let input = try dir.write("corpus.txt", lines)
        let db = dir.path("v.db")
        let index = db + ".vectors"
        let encode = try runEmbedTune(["encode", "--model", Repository.tinyModel.path, "--input", input, "--db", db])
        #expect(encode.status == 0, "\(encode.stderr)")
        let queries = lines.split(separator: "\n").prefix(3).map(String.init)
        let note = "search: \(index): the index file does not match the database (hit "

        for extra in [[], ["--quantized"]] {
            let arguments = ["search", "--db", db, "--json", "-k", "5", "--threads", "1"] + extra + [queries[0]]
            let intact = try runEmbedTune(arguments)
            #expect(intact.status == 0 && !intact.stderr.contains("does not match"), "\(intact.stderr)")
            try Self.damageRows(ofIndex: index, seed: 3)
            let repaired = try runEmbedTune(arguments)
            #expect(repaired.status == 0, "\(repaired.stderr)")
            #expect(repaired.stderr.contains(note) && repaired.stderr.contains("; written again"), "\(repaired.stderr)")
            #expect(repaired.stdout == intact.stdout, "\(repaired.stdoutText)")
            let after = try runEmbedTune(arguments)
            #expect(after.status == 0 && !after.stderr.contains("does not match"), "\(after.stderr)")
            #expect(after.stdout == intact.stdout)
        }

        // Queries on standard input: the first finds the damage, and every line is answered as before.
        let stdinArguments = ["search", "--db", db, "-k", "3", "--threads", "1"]
        let stdinText = queries.joined(separator: "\n") + "\n"
        let intact = try runEmbedTune(stdinArguments, lines: stdinText)
        #expect(intact.status == 0 && intact.outputLines.count == 3, "\(intact.stderr)")
        try Self.damageRows(ofIndex: index, seed: 4)
        let repaired = try runEmbedTune(stdinArguments, lines: stdinText)
        #expect(repaired.status == 0, "\(repaired.stderr)")
        #expect(repaired.stderr.components(separatedBy: note).count == 2, "one note: \(repaired.stderr)")
        #expect(repaired.stdout == intact.stdout, "\(repaired.stdoutText)")
    }
}
