import Histogram

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The picture `--plot` writes: one self-contained SVG file with latency by
/// percentile on top and IOPS over time below.
///
/// The percentile panel is the usual HdrHistogram plot, its x axis logarithmic in
/// 1/(1−p) so that 90 %, 99 %, 99.9 % … are evenly spaced and the tail, which is
/// what differs between two setups, gets as much room as the median. The IOPS
/// panel shows whether the rate was steady, which a single average cannot.
///
/// The file has no script, no external font and no stylesheet, so it shows the
/// same in a browser, an image viewer or an issue attachment. Every coordinate is
/// finite: empty data draws empty axes rather than NaN.
public enum SVGPlot {
    static let width = 960.0
    static let marginLeft = 90.0
    static let marginRight = 40.0
    /// Decades of 1/(1−p) on the percentile axis: 0 % up to 99.9999 %.
    static let decades = 6
    static let decadeLabels = ["0%", "90%", "99%", "99.9%", "99.99%", "99.999%", "99.9999%"]
    /// Colours for the namespaces, in order; Total is always drawn in dark grey.
    static let palette = ["#1b5fa8", "#d9480f", "#2b8a3e", "#a61e4d", "#6741d9", "#b08800", "#0b7285", "#862e9c"]
    static let totalColour = "#333333"

    /// The SVG document for `report`.
    public static func render(_ report: PerfReport) -> String {
        let rows = report.namespaces + [report.total]
        let curves = rows.map(percentileCurve)

        var y = 32.0
        var body = ""
        let job = report.job
        var title = "nvmf-perf: \(job.workload), -o \(job.ioSize), -q \(job.queueDepth), -t \(job.seconds) s"
        if job.workload.hasSuffix("rw") { title += ", -M \(job.readPercent)" }
        if job.verify { title += ", verify" }
        body += text(title, x: width / 2, y: y, anchor: "middle", attributes: ##"font-size="18" font-weight="bold""##)
        y += 20
        let total = report.total
        var summary =
            "Total \(ReportNumbers.fixed(total.iops, decimals: 0)) IOPS, "
            + "\(ReportNumbers.fixed(total.megabytesPerSecond, decimals: 2)) MiB/s"
        if total.latency.totalCount > 0 {
            summary +=
                ", p50 \(ReportNumbers.microseconds(total.latency.valueAtPercentile(50))) µs"
                + ", p99 \(ReportNumbers.microseconds(total.latency.valueAtPercentile(99))) µs"
        }
        body += text(summary, x: width / 2, y: y, anchor: "middle", attributes: ##"fill="#555555""##)
        if let error = report.error {
            y += 18
            body += text(
                "run ended early: \(error)", x: width / 2, y: y, anchor: "middle",
                attributes: ##"fill="#c92a2a" font-weight="bold""##)
        }

        // Panel (a): latency by percentile, then its legend.
        y += 40
        let latencyArea = PlotArea(x: marginLeft, y: y, width: width - marginLeft - marginRight, height: 300)
        body += latencyPanel(curves, rows: rows, in: latencyArea)
        y = latencyArea.bottom + 56
        for (index, row) in rows.enumerated() {
            let (colour, strokeWidth, opacity) = style(forRow: index, of: rows.count)
            body +=
                "<line x1=\"\(coordinate(marginLeft))\" y1=\"\(coordinate(y - 4))\" "
                + "x2=\"\(coordinate(marginLeft + 28))\" y2=\"\(coordinate(y - 4))\" stroke=\"\(colour)\" "
                + "stroke-width=\"\(strokeWidth)\" stroke-opacity=\"\(opacity)\"/>\n"
            let label = row.latency.totalCount > 0 ? row.name : row.name + " (no I/O)"
            body += text(label, x: marginLeft + 36, y: y, anchor: "start")
            y += 18
        }

        // Panel (b): IOPS over time.
        y += 42
        let iopsArea = PlotArea(x: marginLeft, y: y, width: width - marginLeft - marginRight, height: 220)
        body += iopsPanel(report.intervals, in: iopsArea)
        let height = iopsArea.bottom + 56

        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(coordinate(width))" height="\(coordinate(height))" \
            viewBox="0 0 \(coordinate(width)) \(coordinate(height))" font-family="sans-serif" font-size="12">
            <title>\(escape(title))</title>
            <rect x="0" y="0" width="\(coordinate(width))" height="\(coordinate(height))" fill="#ffffff"/>

            """ + body + "</svg>\n"
    }

    // MARK: Panels

    /// Latency (µs) against percentile, one polyline per namespace plus Total.
    static func latencyPanel(_ curves: [[(Double, Double)]], rows: [NamespaceResult], in area: PlotArea) -> String {
        let highest = curves.joined().map(\.1).max() ?? 0
        let scale = NiceScale(maximum: highest)
        var out = panelTitle("Latency by percentile", area)
        out += frame(area)
        for decade in 0...decades {
            let x = area.x + area.width * Double(decade) / Double(decades)
            out += gridLine(x1: x, y1: area.y, x2: x, y2: area.bottom)
            out += text(decadeLabels[decade], x: x, y: area.bottom + 18, anchor: "middle")
        }
        for tick in scale.ticks {
            let y = area.bottom - area.height * tick / scale.top
            out += gridLine(x1: area.x, y1: y, x2: area.right, y2: y)
            out += text(scale.label(tick), x: area.x - 8, y: y + 4, anchor: "end")
        }
        out += text("percentile", x: area.x + area.width / 2, y: area.bottom + 38, anchor: "middle")
        out += verticalLabel("latency (µs)", area)
        // Total first, wide and faint, so a namespace drawn over it stays visible
        // when there is only one and the two curves coincide.
        let order = [rows.count - 1] + Array(0..<(rows.count - 1))
        for index in order {
            let points = curves[index].map { point in
                (
                    area.x + area.width * point.0 / Double(decades),
                    area.bottom - area.height * min(point.1, scale.top) / scale.top
                )
            }
            let (colour, strokeWidth, opacity) = style(forRow: index, of: rows.count)
            out += polyline(
                points, kind: "latency", name: rows[index].name, colour: colour, strokeWidth: strokeWidth,
                opacity: opacity)
        }
        return out
    }

    /// IOPS against seconds since the start, from the one-second samples.
    static func iopsPanel(_ intervals: [IntervalSample], in area: PlotArea) -> String {
        let seconds = NiceScale(maximum: intervals.map { ReportNumbers.finite($0.elapsed) }.max() ?? 0)
        let iops = NiceScale(maximum: intervals.map { ReportNumbers.finite($0.iops) }.max() ?? 0)
        var out = panelTitle("IOPS over time", area)
        out += frame(area)
        for tick in seconds.ticks {
            let x = area.x + area.width * tick / seconds.top
            out += gridLine(x1: x, y1: area.y, x2: x, y2: area.bottom)
            out += text(seconds.label(tick), x: x, y: area.bottom + 18, anchor: "middle")
        }
        for tick in iops.ticks {
            let y = area.bottom - area.height * tick / iops.top
            out += gridLine(x1: area.x, y1: y, x2: area.right, y2: y)
            out += text(iops.label(tick, abbreviated: true), x: area.x - 8, y: y + 4, anchor: "end")
        }
        out += text("seconds", x: area.x + area.width / 2, y: area.bottom + 38, anchor: "middle")
        out += verticalLabel("IOPS", area)
        guard !intervals.isEmpty else {
            return out
                + text(
                    "no one-second samples", x: area.x + area.width / 2, y: area.y + area.height / 2,
                    anchor: "middle", attributes: ##"fill="#777777""##)
        }
        let points = intervals.map { sample in
            (
                area.x + area.width * min(max(ReportNumbers.finite(sample.elapsed), 0), seconds.top) / seconds.top,
                area.bottom - area.height * min(ReportNumbers.finite(sample.iops), iops.top) / iops.top
            )
        }
        return out + polyline(points, kind: "iops", name: "IOPS", colour: palette[0], strokeWidth: "1.5", opacity: "1")
    }

    // MARK: Data

    /// A histogram's percentile curve as (decades of 1/(1−p), latency µs) points.
    ///
    /// The 100 % point has no finite 1/(1−p); it is put at 1/N for N completions,
    /// the finest level N samples resolve (capped at the axis's end), and never left
    /// of the point before it, so the curve ends at the maximum without a spike to
    /// infinity.
    static func percentileCurve(_ row: NamespaceResult) -> [(Double, Double)] {
        let latency = row.latency
        guard latency.totalCount > 0 else { return [] }
        let limit = Double(decades)
        let lastLevel = min(limit, log10(Double(latency.totalCount)))
        var points: [(Double, Double)] = []
        var previous = 0.0
        for step in latency.percentiles(ticksPerHalfDistance: 5) {
            let level = step.percentileLevelIteratedTo
            var x = level >= 100 ? lastLevel : min(limit, -log10(1 - level / 100))
            x = max(ReportNumbers.finite(x), previous)
            previous = x
            points.append((x, ReportNumbers.inMicroseconds(step.value)))
        }
        return points
    }

    /// Colour, stroke width and opacity of row `index` of `count` (the last is Total).
    static func style(forRow index: Int, of count: Int) -> (String, String, String) {
        index == count - 1 ? (totalColour, "3.5", "0.45") : (palette[index % palette.count], "1.5", "1")
    }

    // MARK: SVG pieces

    static func polyline(
        _ points: [(Double, Double)], kind: String, name: String, colour: String, strokeWidth: String, opacity: String
    ) -> String {
        let list = points.map { "\(coordinate($0.0)),\(coordinate($0.1))" }.joined(separator: " ")
        return "<polyline class=\"\(kind)\" data-series=\"\(escape(name))\" points=\"\(list)\" fill=\"none\" "
            + "stroke=\"\(colour)\" stroke-width=\"\(strokeWidth)\" stroke-opacity=\"\(opacity)\" "
            + "stroke-linejoin=\"round\"/>\n"
    }

    static func text(_ content: String, x: Double, y: Double, anchor: String, attributes: String = "") -> String {
        let extra = attributes.isEmpty ? "" : " " + attributes
        return "<text x=\"\(coordinate(x))\" y=\"\(coordinate(y))\" text-anchor=\"\(anchor)\"\(extra)>"
            + "\(escape(content))</text>\n"
    }

    static func panelTitle(_ title: String, _ area: PlotArea) -> String {
        text(title, x: area.x, y: area.y - 10, anchor: "start", attributes: ##"font-size="14" font-weight="bold""##)
    }

    static func verticalLabel(_ label: String, _ area: PlotArea) -> String {
        let x = area.x - 64
        let y = area.y + area.height / 2
        return "<text x=\"\(coordinate(x))\" y=\"\(coordinate(y))\" text-anchor=\"middle\" "
            + "transform=\"rotate(-90 \(coordinate(x)) \(coordinate(y)))\">\(escape(label))</text>\n"
    }

    static func frame(_ area: PlotArea) -> String {
        "<rect x=\"\(coordinate(area.x))\" y=\"\(coordinate(area.y))\" width=\"\(coordinate(area.width))\" "
            + "height=\"\(coordinate(area.height))\" fill=\"none\" stroke=\"#999999\"/>\n"
    }

    static func gridLine(x1: Double, y1: Double, x2: Double, y2: Double) -> String {
        "<line x1=\"\(coordinate(x1))\" y1=\"\(coordinate(y1))\" x2=\"\(coordinate(x2))\" y2=\"\(coordinate(y2))\" "
            + "stroke=\"#e6e6e6\"/>\n"
    }

    /// A coordinate with two decimals; non-finite values become 0.
    static func coordinate(_ value: Double) -> String { ReportNumbers.fixed(value, decimals: 2) }

    /// `text` safe inside an element or a quoted attribute. Control characters
    /// that XML 1.0 forbids outright (a namespace name is user input) become `?`.
    static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out += " "
            case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF: out += "?"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

/// A plot's drawing rectangle in SVG user units (y grows downwards).
struct PlotArea {
    var x: Double
    var y: Double
    var width: Double
    var height: Double
    var right: Double { x + width }
    var bottom: Double { y + height }
}

/// An axis from 0 to a round number at or above the data's maximum, with ticks
/// at a round step (1, 2, 2.5 or 5 times a power of ten) and about five of them.
struct NiceScale {
    /// The axis's end, always positive and finite.
    let top: Double
    let step: Double

    init(maximum: Double, ticks: Int = 5) {
        let maximum = maximum.isFinite && maximum > 0 ? maximum : 1
        let raw = maximum / Double(ticks)
        let magnitude = pow(10, floor(log10(raw)))
        let fraction = raw / magnitude
        let multiple: Double =
            fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 2.5 ? 2.5 : fraction <= 5 ? 5 : 10
        step = multiple * magnitude
        top = max((maximum / step).rounded(.up), 1) * step
    }

    var ticks: [Double] {
        let count = Int((top / step).rounded())
        return (0...count).map { Double($0) * step }
    }

    /// `value` with as many decimals as the step needs (zero as plain `0`);
    /// `abbreviated` writes thousands and millions as `k` and `M` (IOPS labels
    /// would not fit otherwise).
    func label(_ value: Double, abbreviated: Bool = false) -> String {
        var divisor = 1.0
        var suffix = ""
        if value == 0 { return "0" }
        if abbreviated, top >= 1e6 {
            (divisor, suffix) = (1e6, "M")
        } else if abbreviated, top >= 1e4 {
            (divisor, suffix) = (1e3, "k")
        }
        let unit = step / divisor
        var decimals = 0
        while decimals < 6 {
            let scaled = unit * pow(10, Double(decimals))
            if (scaled - scaled.rounded()).magnitude < 1e-6 * max(scaled, 1) { break }
            decimals += 1
        }
        return ReportNumbers.fixed(value / divisor, decimals: decimals) + suffix
    }
}
