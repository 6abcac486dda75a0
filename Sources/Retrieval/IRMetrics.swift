import Foundation

/// One retrieval measure at a rank cutoff, as trec_eval computes it (what pytrec_eval, BEIR and
/// MTEB report). Names follow BEIR/MTEB keys: "ndcg@10", "mrr@10", "recall@100", "map@100", "p@10".
public enum IRMetric: Hashable, Sendable {
    /// trec_eval `ndcg_cut.k`: gains are the qrels grades, discount log2(rank + 1), ideal ranking
    /// from every judged document of the query.
    case ndcg(Int)
    /// trec_eval `recip_rank` over the top k: 1 / rank of the first relevant document, 0 if none.
    case mrr(Int)
    /// trec_eval `recall.k`: relevant documents in the top k / all relevant (0 when none).
    case recall(Int)
    /// trec_eval `map_cut.k`: sum of precision at each relevant rank <= k / all relevant.
    case map(Int)
    /// trec_eval `P.k`: relevant documents in the top k / k.
    case precision(Int)

    public var name: String {
        switch self {
        case let .ndcg(k): return "ndcg@\(k)"
        case let .mrr(k): return "mrr@\(k)"
        case let .recall(k): return "recall@\(k)"
        case let .map(k): return "map@\(k)"
        case let .precision(k): return "p@\(k)"
        }
    }

    /// Parses a name such as "ndcg@10"; nil for anything else.
    public init?(name: String) {
        let parts = name.lowercased().split(separator: "@")
        guard parts.count == 2, let k = Int(parts[1]), k > 0 else { return nil }
        switch parts[0] {
        case "ndcg": self = .ndcg(k)
        case "mrr": self = .mrr(k)
        case "recall": self = .recall(k)
        case "map": self = .map(k)
        case "p", "precision": self = .precision(k)
        default: return nil
        }
    }

    /// nDCG@10, MRR@10, recall@10, recall@100, MAP@100: what `embedtune eval` reports.
    public static let standard: [IRMetric] = [.ndcg(10), .mrr(10), .recall(10), .recall(100), .map(100)]
}

/// Per-query values and their means.
public struct MetricsReport: Sendable, Equatable {
    /// query id → metric name → value.
    public var perQuery: [String: [String: Double]]
    /// metric name → mean over the evaluated queries.
    public var means: [String: Double]
    /// Number of queries averaged (those with qrels).
    public var queryCount: Int
}

/// IR evaluation with trec_eval's definitions (usnistgov/trec_eval `form_res_rels.c`,
/// `m_ndcg_cut.c`, `m_recip_rank.c`, `m_recall.c`, `m_map_cut.c`), checked against pytrec_eval.
///
/// - A query's run is ranked by score descending, ties by document id descending (byte order,
///   `strcmp`), whatever order the run lists them in.
/// - A document is relevant when its grade >= `relevanceLevel` (1); unjudged documents count as
///   non-relevant; grades are the nDCG gains.
/// - Means are over the queries in `qrels` (BEIR evaluates the queries of its qrels). A query of
///   `qrels` that the run lacks scores 0 everywhere (trec_eval `-c`); run queries without qrels are
///   ignored. With `ignoreIdenticalIDs` (BEIR's default) a document whose id equals the query id is
///   dropped from that query's run first.
public enum IRMetrics {
    public static func evaluate(
        run: [String: [String: Double]], qrels: [String: [String: Int]], metrics: [IRMetric] = IRMetric.standard,
        ignoreIdenticalIDs: Bool = true, relevanceLevel: Int = 1
    ) -> MetricsReport {
        var perQuery: [String: [String: Double]] = [:]
        var sums = [String: Double](uniqueKeysWithValues: metrics.map { ($0.name, 0) })
        for (query, judged) in qrels {
            var docs = run[query] ?? [:]
            if ignoreIdenticalIDs { docs[query] = nil }
            let grades = rankedGrades(docs, judged)
            var values: [String: Double] = [:]
            for metric in metrics {
                let v = value(metric, grades: grades, judged: judged, relevanceLevel: relevanceLevel)
                values[metric.name] = v
                sums[metric.name, default: 0] += v
            }
            perQuery[query] = values
        }
        let n = qrels.count
        let means = sums.mapValues { n > 0 ? $0 / Double(n) : 0 }
        return MetricsReport(perQuery: perQuery, means: means, queryCount: n)
    }

    /// Grades of the run's documents in trec_eval rank order (-1 for unjudged).
    static func rankedGrades(_ docs: [String: Double], _ judged: [String: Int]) -> [Int] {
        let ranked = docs.sorted { a, b in
            if a.value != b.value { return a.value > b.value }
            return b.key.utf8.lexicographicallyPrecedes(a.key.utf8)  // docno descending
        }
        return ranked.map { judged[$0.key] ?? -1 }
    }

    static func value(_ metric: IRMetric, grades: [Int], judged: [String: Int], relevanceLevel: Int) -> Double {
        let relevantCount = judged.values.filter { $0 >= relevanceLevel }.count
        switch metric {
        case let .ndcg(k):
            var dcg = 0.0
            for (i, g) in grades.prefix(k).enumerated() where g > 0 { dcg += Double(g) / log2(Double(i + 2)) }
            let ideal = judged.values.filter { $0 > 0 }.sorted(by: >).prefix(k)
            var idcg = 0.0
            for (i, g) in ideal.enumerated() { idcg += Double(g) / log2(Double(i + 2)) }
            return idcg > 0 ? dcg / idcg : 0
        case let .mrr(k):
            guard let i = grades.prefix(k).firstIndex(where: { $0 >= relevanceLevel }) else { return 0 }
            return 1 / Double(i + 1)
        case let .recall(k):
            guard relevantCount > 0 else { return 0 }
            return Double(grades.prefix(k).filter { $0 >= relevanceLevel }.count) / Double(relevantCount)
        case let .map(k):
            guard relevantCount > 0 else { return 0 }
            var found = 0, sum = 0.0
            for (i, g) in grades.prefix(k).enumerated() where g >= relevanceLevel {
                found += 1
                sum += Double(found) / Double(i + 1)
            }
            return sum / Double(relevantCount)
        case let .precision(k):
            return Double(grades.prefix(k).filter { $0 >= relevanceLevel }.count) / Double(k)
        }
    }
}
