import Foundation
import Testing
@testable import Retrieval

@Suite struct MetricsTests {
    struct Fixture: Decodable {
        struct Expected: Decodable {
            let per_query: [String: [String: Double]]
            let means: [String: Double]
        }
        let run: [String: [String: Double]]
        let qrels: [String: [String: Int]]
        let expected: Expected
    }

    static let fixtureURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/metrics_pytrec_eval.json")

    /// Reference: scripts/reference/metrics_fixtures.py (pytrec_eval on the same run and qrels).
    @Test func agreesWithPytrecEvalPerQueryAndOnAverage() throws {
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: Self.fixtureURL))
        let metrics = IRMetric.standard + [.precision(10)]
        let report = IRMetrics.evaluate(run: fixture.run, qrels: fixture.qrels, metrics: metrics)
        #expect(report.queryCount == fixture.expected.per_query.count)
        #expect(Set(report.perQuery.keys) == Set(fixture.expected.per_query.keys))
        for (query, want) in fixture.expected.per_query {
            for (name, value) in want {
                let got = try #require(report.perQuery[query]?[name], "\(query) \(name)")
                #expect(abs(got - value) <= 1e-6, "\(query) \(name): \(got) vs pytrec_eval \(value)")
            }
        }
        for (name, value) in fixture.expected.means {
            let got = try #require(report.means[name])
            #expect(abs(got - value) <= 1e-6, "mean \(name): \(got) vs \(value)")
        }
    }

    @Test func tiesAreBrokenByDocumentIdDescendingAsTrecEval() {
        // "a" is relevant and ties with "b" and "c": trec_eval ranks c, b, a.
        let report = IRMetrics.evaluate(run: ["q": ["x": 2, "a": 1, "b": 1, "c": 1]], qrels: ["q": ["a": 1]],
                                        metrics: [.mrr(10), .ndcg(10)])
        #expect(report.perQuery["q"]?["mrr@10"] == 0.25)
        #expect(abs((report.perQuery["q"]?["ndcg@10"] ?? 0) - 1 / log2(5.0)) < 1e-12)
    }

    @Test func documentWithTheQueryIdIsIgnoredAndMissingQueriesScoreZero() {
        let run: [String: [String: Double]] = ["q1": ["q1": 9, "d1": 1], "other": ["d1": 1]]
        let qrels = ["q1": ["d1": 1], "q2": ["d2": 2]]
        let report = IRMetrics.evaluate(run: run, qrels: qrels, metrics: [.mrr(10)])
        #expect(report.perQuery["q1"]?["mrr@10"] == 1)
        #expect(report.perQuery["q2"]?["mrr@10"] == 0)
        #expect(report.means["mrr@10"] == 0.5)
        let kept = IRMetrics.evaluate(run: run, qrels: qrels, metrics: [.mrr(10)], ignoreIdenticalIDs: false)
        #expect(kept.perQuery["q1"]?["mrr@10"] == 0.5)
    }

    @Test func metricNamesRoundTrip() {
        for m in IRMetric.standard + [.precision(5)] { #expect(IRMetric(name: m.name) == m) }
        #expect(IRMetric(name: "ndcg") == nil)
        #expect(IRMetric(name: "foo@3") == nil)
    }
}
