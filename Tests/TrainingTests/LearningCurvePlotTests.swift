import Foundation
#if canImport(FoundationXML)
    import FoundationXML
#endif
@testable import Reports
import Testing
@testable import Training

/// `embedtune plot`'s pieces: metrics.jsonl read back, the SVG written, parsed as XML and searched for
/// the series and legend entries it should hold.
struct LearningCurvePlotTests {
    /// A run directory in a fresh temporary folder with a metrics.jsonl of `steps` steps (a decaying
    /// noisy loss, warmup-then-decay learning rate) and an eval line every 10 steps.
    static func makeRun(_ name: String, steps: Int = 30, lossScale: Double = 1, extraLines: [String] = []) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("plot-\(UUID().uuidString)")
        let dir = root.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var lines: [String] = []
        for s in 1...steps {
            let loss = lossScale * (2 * exp(-Double(s) / 10) + 0.3 + 0.05 * sin(Double(s)))
            let rate = s <= 3 ? 1e-4 * Double(s) / 3 : 1e-4 * Double(steps - s) / Double(steps - 3)
            lines.append(#"{"type":"step","step":\#(s),"epoch":0,"loss":\#(loss),"learning_rate":\#(rate),"grad_norm":\#(0.5 + Double(s % 7)),"pairs_per_second":100,"elapsed_s":\#(s),"layer_grad_norms":{"embeddings":0.1,"encoder.layer.0":0.4}}"#)
            if s % 10 == 0 { lines.append(#"{"type":"eval","step":\#(s),"ndcg@10":\#(0.6 + Double(s) / 1000),"mrr@10":0.5}"#) }
        }
        try (lines + extraLines).joined(separator: "\n").appending("\n")
            .write(to: dir.appendingPathComponent("metrics.jsonl"), atomically: true, encoding: .utf8)
        return dir
    }

    /// Every element of an SVG document, by tag, with its attributes (via Foundation's XMLParser).
    final class Elements: NSObject, XMLParserDelegate {
        var all: [(tag: String, attributes: [String: String])] = []
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            all.append((name, attributes))
        }
        func named(_ tag: String) -> [[String: String]] { all.filter { $0.tag == tag }.map(\.attributes) }
    }

    func parse(_ svg: String) throws -> Elements {
        let parser = XMLParser(data: Data(svg.utf8))
        let elements = Elements()
        parser.delegate = elements
        #expect(parser.parse(), "not well-formed XML: \(String(describing: parser.parserError))")
        return elements
    }

    @Test func twoRunsRenderAValidSVGWithEverySeriesAndTwoLegendEntries() throws {
        let a = try RunMetrics.load(runDirectory: try Self.makeRun("run-a"))
        let b = try RunMetrics.load(runDirectory: try Self.makeRun("run-b", steps: 40, lossScale: 1.5))
        let svg = LearningCurvePlot().render([a, b])
        let elements = try parse(svg)
        let root = try #require(elements.all.first)
        #expect(root.tag == "svg")
        #expect(root.attributes["width"] == "1200" && root.attributes["height"] == "840")
        #expect(root.attributes["viewBox"] == "0 0 1200 840")

        let paths = elements.named("path")
        for (run, steps) in [("run-a", 30), ("run-b", 40)] {
            for (metric, kind, points) in [("loss", "raw", steps), ("loss", "smoothed", steps), ("learning_rate", "value", steps),
                                           ("grad_norm", "value", steps), ("ndcg@10", "value", steps / 10)] {
                let matches = paths.filter { $0["data-run"] == run && $0["data-metric"] == metric && $0["data-kind"] == kind }
                #expect(matches.count == 1, "\(run) \(metric) \(kind)")
                let d = matches.first?["d"] ?? ""
                #expect(d.filter { $0 == "M" }.count == 1 && d.filter { $0 == "L" }.count == points - 1, "\(run) \(metric): \(d.prefix(80))")
            }
        }
        #expect(Set(paths.compactMap { $0["id"] }).count == paths.count, "series ids are unique")
        let legend = elements.named("g").filter { $0["class"] == "legend-entry" }
        #expect(legend.map { $0["data-run"] } == ["run-a", "run-b"])
        #expect(elements.named("circle").count == 3 + 4, "one marker per evaluation")
        #expect(svg.contains(">Evaluation: ndcg@10<"))
    }

    @Test func aRunWithoutEvaluationsSaysSoInItsPanel() throws {
        let dir = try Self.makeRun("plain", steps: 5)  // fewer than 10 steps: no eval lines
        let svg = LearningCurvePlot().render([try RunMetrics.load(runDirectory: dir)])
        let elements = try parse(svg)
        #expect(elements.named("path").count == 4)
        #expect(svg.contains(">no data<"))
        #expect(elements.named("g").filter { $0["class"] == "legend-entry" }.count == 1)
    }

    @Test func aResumedRunKeepsTheLaterLineOfARepeatedStep() throws {
        let dir = try Self.makeRun("resumed", steps: 5, extraLines: [#"{"type":"step","step":3,"loss":9.5}"#])
        let run = try RunMetrics.load(runDirectory: dir)
        #expect(run.steps.map(\.step) == [1, 2, 3, 4, 5])
        #expect(run.steps[2].loss == 9.5 && run.steps[2].learningRate == nil)
        #expect(run.name == "resumed")
    }

    @Test func missingDirectoryAndMissingFileAreNamed() throws {
        let nowhere = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-run-\(UUID().uuidString)")
        #expect(throws: RunMetricsError.noRunDirectory(path: nowhere.path)) { try RunMetrics.load(runDirectory: nowhere) }
        try FileManager.default.createDirectory(at: nowhere, withIntermediateDirectories: true)
        #expect(throws: RunMetricsError.noMetricsFile(directory: nowhere.path)) { try RunMetrics.load(runDirectory: nowhere) }
    }

    @Test(arguments: [
        ("{\"type\":\"step\",\"step\":31,\"loss\":", "invalid JSON"),
        ("{\"type\":\"step\",\"step\":31}", "missing field \"loss\""),
        ("{\"type\":\"step\",\"step\":\"x\",\"loss\":1}", "field \"step\" must be a finite number"),
        ("{\"type\":\"eval\",\"step\":31,\"ndcg@10\":true}", "field \"ndcg@10\" must be a finite number"),
        ("{\"type\":\"histogram\",\"step\":31}", "field \"type\" must be"),
    ])
    func aMalformedLineIsAnErrorNamingFileAndLine(line: String, message: String) throws {
        let dir = try Self.makeRun("broken", steps: 30, extraLines: [line])
        let file = dir.appendingPathComponent("metrics.jsonl").path
        do {
            _ = try RunMetrics.load(runDirectory: dir)
            Issue.record("no error for \(line)")
        } catch {
            // 30 step lines and 3 eval lines come first: the extra line is line 34
            #expect("\(error)".hasPrefix("\(file):34: "), "\(error)")
            #expect("\(error)".contains(message), "\(error)")
        }
    }

    @Test func niceTicksCoverTheDataWithRoundNumbers() {
        let steps = NiceScale(low: 0, high: 97)
        #expect(steps.ticks == [0, 20, 40, 60, 80, 100])
        #expect(steps.ticks.map(steps.label) == ["0", "20", "40", "60", "80", "100"])
        let loss = NiceScale(low: 0.31, high: 2.07)
        #expect(loss.lower <= 0.31 && loss.upper >= 2.07)
        #expect(loss.ticks.map(loss.label) == ["0", "0.5", "1.0", "1.5", "2.0", "2.5"])
        let rate = NiceScale(low: 0, high: 1e-4)
        #expect(rate.ticks.map(rate.label) == ["0", "2e-5", "4e-5", "6e-5", "8e-5", "1e-4"])
        let norms = NiceScale(logLow: 0.03, high: 250)
        #expect(norms.ticks == [0.01, 0.1, 1, 10, 100, 1000])
        #expect(norms.ticks.map(norms.label) == ["1e-2", "1e-1", "1", "1e1", "1e2", "1e3"])
        #expect(abs(norms.fraction(1) - 0.4) < 1e-12)
        let flat = NiceScale(low: 3, high: 3)
        #expect(flat.lower < 3 && flat.upper > 3)
    }

    @Test func smoothingIsTensorBoardsDebiasedMovingAverage() {
        let raw = [4.0, 2.0, 6.0]
        let smoothed = LearningCurvePlot.smoothed(raw, weight: 0.6)
        // last = 0.4·4 = 1.6 → 1.6 / 0.4; last = 0.96 + 0.8 = 1.76 → 1.76 / 0.64; last = 1.056 + 2.4 → 3.456 / 0.784
        let expected = [1.6 / 0.4, 1.76 / 0.64, 3.456 / 0.784]
        for (s, e) in zip(smoothed, expected) { #expect(abs(s - e) < 1e-12) }
        #expect(LearningCurvePlot.smoothed([5, 5, 5, 5], weight: 0.9).allSatisfy { abs($0 - 5) < 1e-12 })
    }

    @Test func textIsEscapedInTheDocument() throws {
        var run = try RunMetrics.load(runDirectory: try Self.makeRun("a<b&c", steps: 3))
        run.name = "a<b&\"c\""
        let elements = try parse(LearningCurvePlot().render([run]))
        #expect(elements.named("g").contains { $0["data-run"] == "a<b&\"c\"" })
    }
}
