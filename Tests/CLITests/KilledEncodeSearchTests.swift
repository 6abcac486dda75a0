import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `encode` killed with SIGKILL at seeded moments (while it loads the model, reads the input, deletes
/// for `--sync` or commits chunks), through three versions of one corpus: the first encode, new texts
/// under the same ids, and a `--sync` that drops a third of the ids. After every kill, and after each
/// version's encode that runs to the end, `search` must print exactly the top k of a full cosine scan
/// of the vectors SQLite holds at that moment — computed here from the rows read directly — or, while
/// the database holds no model yet, refuse with a message naming it; never a deleted document, a
/// stale vector's score or a stale text.
@Suite struct KilledEncodeSearchTests {
    static let documents = 240
    static let k = 10
    static let queries = ["river music island history", "school game north film water", "church team book"]

    /// (id, text) of one version of the corpus: ids doc-0 ... doc-239, texts of seeded random words.
    static func corpus(seed: UInt64, keeping keep: (Int) -> Bool = { _ in true }) -> [(id: String, text: String)] {
        let texts = generatedLines(documents, seed: seed).split(separator: "\n").map(String.init)
        return texts.enumerated().filter { keep($0.offset) }.map { (id: "doc-\($0.offset)", text: $0.element) }
    }

    static func jsonl(_ corpus: [(id: String, text: String)]) throws -> String {
        try corpus.map { doc in
            String(decoding: try JSONSerialization.data(withJSONObject: ["id": doc.id, "text": doc.text]), as: UTF8.self)
        }.joined(separator: "\n") + "\n"
    }

    /// Seeded uniform values in [0, 1) (SplitMix64).
    struct Delays {
        var state: UInt64
        mutating func next() -> Double {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
        }
    }

    @Test func searchAfterAnEncodeKilledAtRandomMomentsEqualsAFullScanOfTheDatabase() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let model = Repository.miniLM.path
        let versions: [(name: String, corpus: [(id: String, text: String)], sync: Bool)] = [
            ("first encode", Self.corpus(seed: 1), false),
            ("new texts under the same ids", Self.corpus(seed: 2), false),
            ("--sync without a third of the ids", Self.corpus(seed: 3, keeping: { $0 % 3 != 1 }), true),
        ]
        let encode = ["encode", "--model", model, "--batch-size", "4", "--chunk-size", "12", "--threads", "1"]
        let inputs = try versions.enumerated().map { try dir.write("v\($0.offset + 1).jsonl", Self.jsonl($0.element.corpus)) }
        let db = dir.path("v.db")
        let queryVectors = try parseEmbeddings(
            runEmbedTune(["embed", "--model", model, "--threads", "1"], lines: Self.queries.joined(separator: "\n") + "\n"),
            dim: try hiddenSize(of: Repository.miniLM))
        try #require(queryVectors.count == Self.queries.count)

        // How long one whole encode of the corpus runs here: the kills fall within that span.
        let started = Date()
        let calibration = try runEmbedTune(encode + ["--input", inputs[0], "--db", dir.path("calibration.db")])
        try #require(calibration.status == 0, "\(calibration.stderr)")
        let whole = Date().timeIntervalSince(started)

        var delays = Delays(state: 16)
        var killed = 0
        for (version, input) in zip(versions, inputs) {
            let arguments = encode + ["--input", input, "--db", db] + (version.sync ? ["--sync"] : [])
            for attempt in 1...2 {
                // Within the time the documents not yet stored as they are in this version take to encode.
                let stored = try Self.storedRows(db) ?? [:]
                let left = version.corpus.filter { stored[$0.id]?.text != $0.text }.count
                let seconds = whole * Double(left) / Double(Self.documents) * (0.05 + 0.85 * delays.next())
                if try Self.run(arguments, killAfter: seconds) { killed += 1 }
                try Self.checkSearch(db: db, queryVectors: queryVectors, after: "\(version.name), kill \(attempt) at \(seconds) s")
            }
            let finished = try runEmbedTune(arguments)
            #expect(finished.status == 0, "\(version.name): \(finished.stderr)")
            try Self.checkSearch(db: db, queryVectors: queryVectors, after: "\(version.name), run to the end")
        }
        #expect(killed >= 4, "only \(killed) of 6 encodes were still running when their kill came (whole run \(whole) s)")

        let final = try SQLiteFile(path: db).rows("SELECT id, text FROM documents ORDER BY id")
            .map { $0.map { String(decoding: $0 ?? Data(), as: UTF8.self) } }
        let expected = Self.corpus(seed: 3, keeping: { $0 % 3 != 1 }).map { [$0.id, $0.text] }
            .sorted { $0[0] < $1[0] }
        #expect(final == expected, "after the last encode the database holds exactly the third version")
    }

    /// Runs `embedtune` and sends SIGKILL after `seconds`; true when the kill ended it, false when it
    /// had already exited (successfully: a run that ends by itself must succeed).
    static func run(_ arguments: [String], killAfter seconds: Double) throws -> Bool {
        let process = Process()
        process.executableURL = try Repository.binary()
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(2000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        if process.terminationReason == .uncaughtSignal { return true }
        #expect(process.terminationStatus == 0, "\(arguments) exited with \(process.terminationStatus)")
        return false
    }

    /// One stored document as SQLite holds it now.
    struct Row {
        var text: String
        var vector: [Float]
    }

    /// The documents table read directly; nil while the database or its model binding does not exist
    /// yet (killed before the first write).
    static func storedRows(_ db: String) throws -> [String: Row]? {
        guard FileManager.default.fileExists(atPath: db) else { return nil }
        let file = try SQLiteFile(path: db)
        let tables = try file.rows("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('documents', 'meta')")
        guard tables.count == 2, try file.integer("SELECT COUNT(*) FROM meta WHERE key = 'model_fingerprint'") == 1 else { return nil }
        var rows: [String: Row] = [:]
        for row in try file.rows("SELECT id, text, embedding FROM documents") {
            guard row.count == 3, let id = row[0], let text = row[1], let blob = row[2] else {
                throw CLITestError("\(db): a document row with NULLs")
            }
            let vector = blob.withUnsafeBytes { raw in  // little-endian float32 values
                (0..<(raw.count / 4)).map {
                    Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)))
                }
            }
            rows[String(decoding: id, as: UTF8.self)] = Row(text: String(decoding: text, as: UTF8.self), vector: vector)
        }
        return rows
    }

    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var dot = 0.0, aa = 0.0, bb = 0.0
        for (x, y) in zip(a, b) {
            dot += Double(x) * Double(y)
            aa += Double(x) * Double(x)
            bb += Double(y) * Double(y)
        }
        return dot / (aa.squareRoot() * bb.squareRoot())
    }

    /// Exact search (its answer equals the full scan: the same ranked scores, each hit's score and
    /// text those of its current row) and `--quantized` search (approximate ranks, but every hit a
    /// stored document with its current score and text), or a refusal naming the database while it
    /// holds no bound model.
    static func checkSearch(db: String, queryVectors: [[Float]], after stage: String) throws {
        let rows = try storedRows(db)
        for flags in [[String](), ["--quantized"]] {
            let search = try runEmbedTune(
                ["search", "--db", db, "-k", String(k), "--threads", "1"] + flags, lines: queries.joined(separator: "\n") + "\n")
            guard let rows else {
                #expect(search.status != 0 && search.stdout.isEmpty, "\(stage): a search of a store without a model answered")
                #expect(search.stderr.contains(db), "\(stage): the refusal does not name the database: \(search.stderr)")
                continue
            }
            #expect(search.status == 0, "\(stage) \(flags): \(search.stderr)")
            let lines = search.outputLines
            #expect(lines.count == queries.count, "\(stage) \(flags): \(lines.count) output lines")
            for (line, (query, vector)) in zip(lines, zip(queries, queryVectors)) {
                let hits = try jsonObject(line)["results"] as? [[String: Any]] ?? []
                let ids = hits.compactMap { $0["id"] as? String }
                #expect(ids.count == min(k, rows.count) && Set(ids).count == ids.count, "\(stage) \(flags): \(ids)")
                var scores: [Double] = []
                for hit in hits {
                    let id = hit["id"] as? String ?? ""
                    let score = (hit["score"] as? NSNumber)?.doubleValue ?? .nan
                    scores.append(score)
                    guard let row = rows[id] else {
                        Issue.record("\(stage) \(flags) \"\(query)\": \(id) is not in the database")
                        continue
                    }
                    let current = cosine(vector, row.vector)
                    #expect(abs(score - current) <= 1e-5,
                            "\(stage) \(flags) \(id): score \(score), its stored vector gives \(current)")
                    #expect(hit["text"] as? String == row.text, "\(stage) \(flags) \(id): not its stored text")
                }
                guard flags.isEmpty else { continue }
                let fullScan = rows.values.map { cosine(vector, $0.vector) }.sorted(by: >).prefix(k)
                #expect(scores.count == fullScan.count && zip(scores, fullScan).allSatisfy { abs($0 - $1) <= 1e-5 },
                        "\(stage) \"\(query)\": scores \(scores), the full scan's \(Array(fullScan))")
            }
        }
    }
}
