/// One (anchor, positive) training pair to mine negatives for. `positiveID` is the positive's
/// document id when the data has one (BEIR qrels); it is excluded as a negative by id as well as by text.
public struct MiningPair: Sendable, Equatable {
    public var anchor: String
    public var positive: String
    public var positiveID: String?

    public init(anchor: String, positive: String, positiveID: String? = nil) {
        self.anchor = anchor
        self.positive = positive
        self.positiveID = positiveID
    }
}

/// A candidate negative: its text (what is embedded and written out) and id, if it has one.
public struct MiningDocument: Sendable, Equatable {
    public var id: String?
    public var text: String

    public init(id: String?, text: String) {
        self.id = id
        self.text = text
    }
}

/// The deduplicated view of a mining run, as upstream builds it:
/// - corpus = the documents followed by the positives, deduplicated by text (first occurrence wins;
///   every id of a text is kept for exclusion);
/// - queries = the anchors deduplicated by text, in first-appearance order;
/// - rows = the distinct (anchor, positive text) pairs in first-appearance order, one output row each.
///
/// Glossary: N = unique corpus texts, Q = unique anchors, R = rows.
struct MiningProblem {
    var corpus: [String] = []                    // (N) texts
    var storedRow: [Int?] = []                   // (N) row of the given vector matrix, if any
    var queries: [String] = []                   // (Q)
    var rows: [(query: Int, positive: Int)] = [] // (R) indices into queries and corpus
    var positives: [[Int]] = []                  // (Q) distinct positive corpus indices per query
    var excluded: [Set<Int>] = []                // (Q) corpus indices never mined for the query
    /// Most input pairs sharing one anchor (upstream's `max_positives`, duplicates counted).
    var maxPositives = 0

    init(pairs: [MiningPair], documents: [MiningDocument]) {
        var corpusIndex: [String: Int] = [:]
        var idIndices: [String: [Int]] = [:]
        func add(_ text: String, id: String?, row: Int?) -> Int {
            let index: Int
            if let found = corpusIndex[text] {
                index = found
            } else {
                index = corpus.count
                corpusIndex[text] = index
                corpus.append(text)
                storedRow.append(row)
            }
            if let id, !(idIndices[id]?.contains(index) ?? false) { idIndices[id, default: []].append(index) }
            return index
        }
        for (row, doc) in documents.enumerated() { _ = add(doc.text, id: doc.id, row: row) }
        let positiveIndices = pairs.map { add($0.positive, id: $0.positiveID, row: nil) }

        var queryIndex: [String: Int] = [:]
        var pairCounts: [Int] = []
        var seenRows = Set<[Int]>()
        for (pair, p) in zip(pairs, positiveIndices) {
            let q: Int
            if let found = queryIndex[pair.anchor] {
                q = found
            } else {
                q = queries.count
                queryIndex[pair.anchor] = q
                queries.append(pair.anchor)
                pairCounts.append(0)
                positives.append([])
                excluded.append(corpusIndex[pair.anchor].map { [$0] } ?? [])
            }
            pairCounts[q] += 1
            if seenRows.insert([q, p]).inserted {
                rows.append((q, p))
                positives[q].append(p)
            }
            excluded[q].insert(p)
            if let id = pair.positiveID { excluded[q].formUnion(idIndices[id] ?? []) }
        }
        maxPositives = pairCounts.max() ?? 0
    }
}
