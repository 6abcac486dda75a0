import Foundation

/// Learning curves of one or more runs as a standalone SVG: four panels over optimizer steps — training
/// loss (raw, thin and light, and smoothed), learning rate, gradient norm (log scale when every value is
/// positive) and an evaluation metric — with runs overlaid in one color each and a legend.
///
/// Smoothing is TensorBoard's: a debiased exponential moving average with weight `smoothing`
/// (tensorboard/webapp/widgets/line_chart_v2/lib/data_transformer.ts, `classicSmoothing`).
///
/// Every curve is a `<path>` whose `data-run`, `data-metric` and `data-kind` attributes name the run,
/// the metric and raw/smoothed, so the file can be inspected by programs as well as people.
public struct LearningCurvePlot: Sendable {
    public var smoothing = 0.6
    public var width = 1200.0
    public var height = 840.0
    public var title = "Training curves"

    /// Colors for runs, in order (matplotlib's tab10).
    static let palette = [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    ]

    public init() {}

    struct Series {
        var run: Int
        var metric: String
        var kind: String  // "raw", "smoothed" or "value"
        var points: [(x: Double, y: Double)]
    }

    struct Panel {
        var title: String
        var yLabel: String
        var series: [Series]
        var logarithmic: Bool
        var markers: Bool
    }

    /// The SVG document. Runs keep their order: run i gets color i and the i-th legend entry.
    public func render(_ runs: [RunMetrics]) -> String {
        precondition(!runs.isEmpty, "nothing to plot")
        var svg = SVGWriter(width: width, height: height)
        svg.element("rect", ["x": "0", "y": "0", "width": SVGWriter.number(width), "height": SVGWriter.number(height), "fill": "white"])
        svg.element(
            "text", ["x": SVGWriter.number(width / 2), "y": "30", "text-anchor": "middle", "font-family": "sans-serif",
                     "font-size": "20", "font-weight": "bold"], text: title)
        drawLegend(runs, into: &svg)

        let panels = makePanels(runs)
        let maxStep = runs.flatMap { $0.steps.map(\.step) + $0.evaluations.map(\.step) }.max() ?? 1
        let xScale = NiceScale(low: 0, high: Double(max(maxStep, 1)), count: 8)
        let top = 80.0, gap = 20.0
        let panelWidth = (width - 3 * gap) / 2, panelHeight = (height - top - 2 * gap) / 2
        for (i, panel) in panels.enumerated() {
            let frame = (x: gap + Double(i % 2) * (panelWidth + gap), y: top + Double(i / 2) * (panelHeight + gap),
                         width: panelWidth, height: panelHeight)
            draw(panel, index: i, frame: frame, xScale: xScale, runs: runs, into: &svg)
        }
        return svg.document
    }

    func makePanels(_ runs: [RunMetrics]) -> [Panel] {
        var loss: [Series] = [], rate: [Series] = [], norm: [Series] = [], eval: [Series] = []
        let metric = RunMetrics.evaluationMetric(runs)
        for (r, run) in runs.enumerated() {
            let x = run.steps.map { Double($0.step) }
            let raw = zip(x, run.steps.map(\.loss)).map { (x: $0, y: $1) }
            let smooth = zip(x, Self.smoothed(run.steps.map(\.loss), weight: smoothing)).map { (x: $0, y: $1) }
            loss += [Series(run: r, metric: "loss", kind: "raw", points: raw),
                     Series(run: r, metric: "loss", kind: "smoothed", points: smooth)]
            rate.append(Series(run: r, metric: "learning_rate", kind: "value",
                               points: run.steps.compactMap { s in s.learningRate.map { (Double(s.step), $0) } }))
            norm.append(Series(run: r, metric: "grad_norm", kind: "value",
                               points: run.steps.compactMap { s in s.gradientNorm.map { (Double(s.step), $0) } }))
            if let metric {
                eval.append(Series(run: r, metric: metric, kind: "value",
                                   points: run.evaluations.compactMap { e in e.metrics[metric].map { (Double(e.step), $0) } }))
            }
        }
        let positiveNorms = norm.allSatisfy { $0.points.allSatisfy { $0.y > 0 } }
        return [
            Panel(title: "Training loss (thin: raw, bold: EMA \(smoothing))", yLabel: "loss", series: loss,
                  logarithmic: false, markers: false),
            Panel(title: "Learning rate", yLabel: "learning rate", series: rate, logarithmic: false, markers: false),
            Panel(title: "Gradient norm (before clipping)" + (positiveNorms ? ", log scale" : ""), yLabel: "‖g‖",
                  series: norm, logarithmic: positiveNorms, markers: false),
            Panel(title: metric.map { "Evaluation: \($0)" } ?? "Evaluation", yLabel: metric ?? "metric", series: eval,
                  logarithmic: false, markers: true),
        ]
    }

    func drawLegend(_ runs: [RunMetrics], into svg: inout SVGWriter) {
        // Entries laid out right to left from the right edge, each a swatch and the run's name.
        let widths = runs.map { 40 + 7.5 * Double($0.name.count) }
        var x = max(20, width - 20 - widths.reduce(0, +))
        svg.begin("g", ["class": "legend"])
        for (r, run) in runs.enumerated() {
            let color = Self.palette[r % Self.palette.count]
            svg.begin("g", ["class": "legend-entry", "data-run": run.name])
            svg.element("line", ["x1": SVGWriter.number(x), "y1": "56", "x2": SVGWriter.number(x + 24), "y2": "56",
                                 "stroke": color, "stroke-width": "3"])
            svg.element("text", ["x": SVGWriter.number(x + 30), "y": "61", "font-family": "sans-serif", "font-size": "14"],
                        text: run.name)
            svg.end()
            x += widths[r]
        }
        svg.end()
    }

    func draw(
        _ panel: Panel, index: Int, frame: (x: Double, y: Double, width: Double, height: Double), xScale: NiceScale,
        runs: [RunMetrics], into svg: inout SVGWriter
    ) {
        let left = frame.x + 70, right = frame.x + frame.width - 15
        let top = frame.y + 32, bottom = frame.y + frame.height - 42
        let values = panel.series.flatMap { $0.points.map(\.y) }.filter(\.isFinite)
        svg.begin("g", ["class": "panel", "data-panel": panel.series.first?.metric ?? panel.yLabel])
        svg.element("text", ["x": SVGWriter.number((left + right) / 2), "y": SVGWriter.number(frame.y + 18),
                             "text-anchor": "middle", "font-family": "sans-serif", "font-size": "15", "font-weight": "bold"],
                    text: panel.title)
        svg.element("rect", ["x": SVGWriter.number(left), "y": SVGWriter.number(top), "width": SVGWriter.number(right - left),
                             "height": SVGWriter.number(bottom - top), "fill": "#fafafa", "stroke": "#999"])
        func px(_ v: Double) -> Double { left + xScale.fraction(v) * (right - left) }
        for tick in xScale.ticks {
            gridLine(x1: px(tick), y1: top, x2: px(tick), y2: bottom, into: &svg)
            label(xScale.label(tick), x: px(tick), y: bottom + 16, anchor: "middle", into: &svg)
        }
        label("step", x: (left + right) / 2, y: bottom + 34, anchor: "middle", into: &svg)
        svg.element("text", ["transform": "translate(\(SVGWriter.number(frame.x + 14)) \(SVGWriter.number((top + bottom) / 2))) rotate(-90)",
                             "text-anchor": "middle", "font-family": "sans-serif", "font-size": "12"], text: panel.yLabel)
        guard let low = values.min(), let high = values.max() else {
            label("no data", x: (left + right) / 2, y: (top + bottom) / 2, anchor: "middle", into: &svg)
            svg.end()
            return
        }
        let yScale = panel.logarithmic ? NiceScale(logLow: low, high: high) : NiceScale(low: low, high: high)
        func py(_ v: Double) -> Double { bottom - yScale.fraction(v) * (bottom - top) }
        for tick in yScale.ticks {
            gridLine(x1: left, y1: py(tick), x2: right, y2: py(tick), into: &svg)
            label(yScale.label(tick), x: left - 6, y: py(tick) + 4, anchor: "end", into: &svg)
        }
        let clip = "clip-panel-\(index)"
        svg.begin("clipPath", ["id": clip])
        svg.element("rect", ["x": SVGWriter.number(left), "y": SVGWriter.number(top), "width": SVGWriter.number(right - left),
                             "height": SVGWriter.number(bottom - top)])
        svg.end()
        for series in panel.series {
            let color = Self.palette[series.run % Self.palette.count]
            let raw = series.kind == "raw"
            let points = series.points.map { (x: px($0.x), y: py($0.y)) }
            svg.element("path", [
                "id": "run\(series.run)-\(Self.identifier(series.metric))-\(series.kind)", "class": "series",
                "data-run": runs[series.run].name, "data-metric": series.metric, "data-kind": series.kind,
                "d": SVGWriter.path(points), "fill": "none", "stroke": color, "stroke-width": raw ? "1" : "2",
                "stroke-opacity": raw ? "0.35" : "1", "stroke-linejoin": "round", "clip-path": "url(#\(clip))",
            ])
            if panel.markers {
                for p in points where p.x.isFinite && p.y.isFinite {
                    svg.element("circle", ["cx": SVGWriter.number(p.x), "cy": SVGWriter.number(p.y), "r": "3.5", "fill": color])
                }
            }
        }
        svg.end()
    }

    func gridLine(x1: Double, y1: Double, x2: Double, y2: Double, into svg: inout SVGWriter) {
        svg.element("line", ["x1": SVGWriter.number(x1), "y1": SVGWriter.number(y1), "x2": SVGWriter.number(x2),
                             "y2": SVGWriter.number(y2), "stroke": "#e2e2e2", "stroke-width": "1"])
    }

    func label(_ text: String, x: Double, y: Double, anchor: String, into svg: inout SVGWriter) {
        svg.element("text", ["x": SVGWriter.number(x), "y": SVGWriter.number(y), "text-anchor": anchor,
                             "font-family": "sans-serif", "font-size": "11", "fill": "#333"], text: text)
    }

    /// TensorBoard's smoothing: last = last · w + (1 − w) · v, divided by 1 − w^n (bias correction of the
    /// zero start); non-finite values are passed through without updating the average.
    public static func smoothed(_ values: [Double], weight: Double) -> [Double] {
        var last = 0.0, count = 0.0
        return values.map { v in
            guard v.isFinite else { return v }
            last = last * weight + (1 - weight) * v
            count += 1
            let debias = weight == 1 ? 1 : 1 - pow(weight, count)
            return last / debias
        }
    }

    /// Letters, digits, "-" and "_" of a metric name ("ndcg@10" → "ndcg_10"), usable in an XML id.
    static func identifier(_ text: String) -> String {
        String(text.unicodeScalars.map { ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-") ? Character($0) : "_" })
    }
}
