import Foundation
import Histogram
import NVMfPerf
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// The end-of-run outputs (text summary, progress line, JSON, SVG) on synthetic
/// reports whose histograms hold known values, so every figure can be checked.
@Suite struct ReportTests {
    /// 1,000 I/Os on namespace 1: 900 at 20 µs, 90 at 40 µs, 9 at 160 µs, 1 at
    /// 2 ms (less 1 ns, so each value is the top of its 0.1 % sub-bucket and the
    /// histogram gives it back exactly; 2 ms is the maximum, which it keeps as is):
    /// p50 = 20.00 µs, p99 = 40.00 µs, p99.9 = 160.00 µs, p99.99 = max = 2000.00 µs.
    static func namespaceOne() -> NamespaceResult {
        var latency = LatencyHistogram.latency()
        latency.record(19_999, count: 900)
        latency.record(39_999, count: 90)
        latency.record(159_999, count: 9)
        latency.record(2_000_000, count: 1)
        return NamespaceResult(
            name: "RDMA (addr:127.0.0.1 subnqn:nqn.2024-01.io.example:disk1) NSID 1", ios: 1000,
            bytes: 1000 * 4096, seconds: 2, latency: latency)
    }

    /// 500 I/Os on namespace 2, all at 10 µs; its name needs XML escaping.
    static func namespaceTwo() -> NamespaceResult {
        var latency = LatencyHistogram.latency()
        latency.record(9_999, count: 500)
        return NamespaceResult(name: "disk <2> & \"quotes\"", ios: 500, bytes: 500 * 4096, seconds: 2, latency: latency)
    }

    static func job() -> JobDescription {
        JobDescription(
            workload: "randread", ioSize: 4096, queueDepth: 32, readPercent: 100, seconds: 2,
            queuesPerNamespace: 1, cores: [0, 1], verify: false, completionMode: "poll")
    }

    static func report(error: String? = nil) -> PerfReport {
        let one = namespaceOne()
        let two = namespaceTwo()
        var total = NamespaceResult(
            name: "Total", ios: one.ios + two.ios, bytes: one.bytes + two.bytes, seconds: 2)
        total.latency.add(one.latency)
        total.latency.add(two.latency)
        let intervals = [
            IntervalSample(elapsed: 1, seconds: 1, ios: 700, bytes: 700 * 4096, p50: 19_999, p99: 159_999),
            IntervalSample(elapsed: 2, seconds: 1, ios: 800, bytes: 800 * 4096, p50: 19_999, p99: 39_999),
        ]
        return PerfReport(
            job: job(), namespaces: [one, two], total: total, intervals: intervals, cpuSeconds: 0.375,
            timestampCostNanoseconds: 18.5, clockSource: "tsc", error: error)
    }

    /// No I/O, no samples, NaN and infinity where a broken clock would put them.
    static func emptyReport() -> PerfReport {
        PerfReport(
            job: job(), namespaces: [], total: NamespaceResult(name: "Total"), intervals: [],
            cpuSeconds: .nan, timestampCostNanoseconds: .infinity, clockSource: "tsc")
    }

    /// The figure after `label` on the first line that starts with it (after spaces).
    static func value(after label: String, in lines: [Substring]) -> String? {
        for line in lines {
            let fields = line.split(separator: " ")
            if fields.count == 2, fields[0] == label { return String(fields[1]) }
        }
        return nil
    }

    // MARK: Text summary

    @Test func tableHasOneRowPerNamespaceAndTotal() {
        let text = LatencySummary.render(Self.report(), detail: 0)
        let lines = text.split(separator: "\n")
        #expect(lines[0].contains("Latency (us)"))
        #expect(lines[1].contains("IOPS") && lines[1].contains("MiB/s") && lines[1].contains("Average"))
        let one = lines.first { $0.hasPrefix("RDMA (addr:127.0.0.1") }
        // 1000 I/Os over 2 s; 4000 KiB / 2 s = 1.95 MiB/s; the mean of the sub-bucket
        // midpoints is 25.03 µs; min 20.00 and max 2000.00 µs.
        #expect(one?.split(separator: " ").suffix(5) == ["500.00", "1.95", "25.03", "20.00", "2000.00"])
        let total = lines.first { $0.hasPrefix("Total") }
        #expect(total?.split(separator: " ").suffix(5).first == "750.00")
        #expect(total?.split(separator: " ").last == "2000.00")
        #expect(!text.contains("errors"))
        #expect(!text.contains("99.9%"))
        // 0.375 s of CPU over 1500 I/Os.
        #expect(text.contains("CPU: 250.00 us per I/O (0.38 s user+system)"))
        #expect(text.contains("Clock: tsc, 18.5 ns per timestamp"))
        #expect(!text.contains("run ended early"))
    }

    @Test func percentilesAtDetailOne() {
        let text = LatencySummary.render(Self.report(), detail: 1)
        let blocks = text.components(separatedBy: "\n\n")
        let one = blocks.first { $0.hasPrefix("Latency percentiles (us): RDMA") }?.split(separator: "\n") ?? []
        #expect(Self.value(after: "1%", in: one) == "20.00")
        #expect(Self.value(after: "50%", in: one) == "20.00")
        #expect(Self.value(after: "90%", in: one) == "20.00")
        #expect(Self.value(after: "99%", in: one) == "40.00")
        #expect(Self.value(after: "99.9%", in: one) == "160.00")
        #expect(Self.value(after: "99.99%", in: one) == "2000.00")
        #expect(Self.value(after: "99.9999%", in: one) == "2000.00")
        #expect(Self.value(after: "max", in: one) == "2000.00")
        let total = blocks.first { $0.hasPrefix("Latency percentiles (us): Total") }?.split(separator: "\n") ?? []
        // 1500 I/Os: 500 at 10 µs, 900 at 20 µs, 90 at 40 µs, ...
        #expect(Self.value(after: "25%", in: total) == "10.00")
        #expect(Self.value(after: "50%", in: total) == "20.00")
        #expect(Self.value(after: "99%", in: total) == "40.00")
        #expect(!text.contains("Latency histogram"))
    }

    @Test func histogramAtDetailTwo() {
        let text = LatencySummary.render(Self.report(), detail: 2)
        let blocks = text.components(separatedBy: "\n\n")
        let one = blocks.first { $0.hasPrefix("Latency histogram (us): RDMA") }?.split(separator: "\n") ?? []
        // Title, header and the four non-empty ranges: 16–20, 31.5–40, 125–160 and
        // 1600–2000 µs (2 ms itself counts at or below 2000: it is the maximum).
        #expect(one.count == 6)
        let rows = one.dropFirst(2).map { $0.split(separator: " ") }
        #expect(rows.map { $0[0] } == ["16.00", "31.50", "125.00", "1600.00"])
        #expect(rows.map { $0[2] } == ["20.00", "40.00", "160.00", "2000.00"])
        #expect(rows.map { $0[3] } == ["90.0000%", "99.0000%", "99.9000%", "100.0000%"])
        #expect(rows.map { $0[4] } == ["900", "90", "9", "1"])
    }

    @Test func errorComesFirstAndErrorColumnsAppearWhenNonZero() {
        var report = Self.report(error: "connection lost")
        report.namespaces[1].errors = 3
        report.total.mismatches = 2
        let text = LatencySummary.render(report, detail: 0)
        #expect(text.hasPrefix("run ended early: connection lost\n"))
        #expect(text.contains("mismatches"))
        let two = text.split(separator: "\n").first { $0.hasPrefix("disk <2>") }
        #expect(two?.split(separator: " ").suffix(2) == ["3", "0"])
    }

    @Test func emptyReportRendersZeros() {
        let text = LatencySummary.render(Self.emptyReport(), detail: 2)
        #expect(text.contains("no I/O completed"))
        #expect(!text.lowercased().contains("nan") && !text.lowercased().contains("inf"))
    }

    // MARK: Progress line

    @Test func progressLineHasFixedWidth() {
        let small = IntervalSample(elapsed: 3, seconds: 1, ios: 5, bytes: 5 * 4096, p50: 31_200, p99: 88_149)
        let large = IntervalSample(
            elapsed: 120.2, seconds: 1, ios: 123_456, bytes: 123_456 * 4096, p50: 1_031_200, p99: 2_088_100)
        let line = ProgressLine.format(small)
        #expect(line.hasPrefix("[  3 s]  IOPS         5  MiB/s      0.02  p50      31.2 us  p99      88.1 us"))
        #expect(ProgressLine.format(large).count == line.count)
        #expect(ProgressLine.format(large).contains("MiB/s    482.25"))
        let empty = IntervalSample(elapsed: .nan, seconds: 0, ios: 0, bytes: 0, p50: 0, p99: 0)
        #expect(ProgressLine.format(empty).count == line.count)
    }

    // MARK: JSON

    static func parse(_ json: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8))
        return try #require(object as? [String: Any])
    }

    @Test func jsonHasEveryFigure() throws {
        let json = JSONReport.encode(Self.report())
        let root = try Self.parse(json)
        let job = try #require(root["job"] as? [String: Any])
        #expect(job["workload"] as? String == "randread")
        #expect(job["queue_depth"] as? Int == 32)
        #expect(job["cores"] as? [Int] == [0, 1])
        let total = try #require(root["total"] as? [String: Any])
        #expect(total["iops"] as? Double == 750)
        #expect(total["ios"] as? Int == 1500)
        let namespaces = try #require(root["namespaces"] as? [[String: Any]])
        #expect(namespaces.count == 2)
        #expect(namespaces[1]["name"] as? String == "disk <2> & \"quotes\"")
        // JSON keeps the nanosecond precision the text rounds away.
        let latency = try #require(namespaces[0]["latency_us"] as? [String: Any])
        #expect(latency["min"] as? Double == 19.999)
        #expect(abs((latency["mean"] as? Double ?? 0) - 25.031168) < 1e-9)
        #expect(latency["p50"] as? Double == 19.999)
        #expect(latency["p99"] as? Double == 39.999)
        #expect(latency["p99_9"] as? Double == 159.999)
        #expect(latency["p99_99"] as? Double == 2000)
        #expect(latency["max"] as? Double == 2000)
        let histogram = try #require(namespaces[0]["latency_histogram"] as? [[Double]])
        #expect(histogram == [[20, 900], [40, 90], [160, 9], [2000, 1]])
        let intervals = try #require(root["intervals"] as? [[String: Any]])
        #expect(intervals.count == 2)
        #expect(intervals[1]["iops"] as? Double == 800)
        #expect(intervals[0]["p99_us"] as? Double == 159.999)
        #expect(root["cpu_us_per_io"] as? Double == 250)
        #expect(root["clock_source"] as? String == "tsc")
        #expect(root["error"] is NSNull)
        // Keys stay in reading order: job first, error last.
        #expect(json.hasPrefix("{\n  \"job\": {\n    \"workload\""))
        #expect(json.hasSuffix("  \"error\": null\n}\n"))
    }

    @Test func jsonOfEmptyReportIsValidWithoutNaN() throws {
        var report = Self.emptyReport()
        report.error = "target gone\n\u{1}"
        let json = JSONReport.encode(report)
        let root = try Self.parse(json)
        #expect(root["cpu_seconds"] as? Double == 0)
        #expect(root["timestamp_cost_ns"] as? Double == 0)
        #expect(root["error"] as? String == "target gone\n\u{1}")
        let total = try #require(root["total"] as? [String: Any])
        #expect((total["latency_histogram"] as? [Any])?.isEmpty == true)
        #expect(!json.lowercased().contains("nan") && !json.lowercased().contains("inf"))
    }

    // MARK: SVG

    /// Parses `svg` and returns its polylines' attributes; fails the test if it is not well-formed XML.
    static func polylines(_ svg: String) throws -> [[String: String]] {
        let collector = ElementCollector()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = collector
        let parsed = parser.parse()
        #expect(parsed, "SVG does not parse: \(String(describing: parser.parserError))")
        #expect(collector.root == "svg")
        return collector.polylines
    }

    @Test func svgHasOneCurvePerSeries() throws {
        let svg = SVGPlot.render(Self.report(error: "connection lost"))
        let lines = try Self.polylines(svg)
        let latency = lines.filter { $0["class"] == "latency" }
        #expect(latency.count == 3)
        #expect(Set(latency.compactMap { $0["data-series"] }).contains("disk <2> & \"quotes\""))
        #expect(lines.filter { $0["class"] == "iops" }.count == 1)
        #expect(latency.allSatisfy { !($0["points"] ?? "").isEmpty })
        #expect(svg.contains("disk &lt;2&gt; &amp; &quot;quotes&quot;"))
        #expect(svg.contains("randread, -o 4096, -q 32, -t 2 s"))
        #expect(svg.contains("99.9999%"))
        #expect(svg.contains("run ended early: connection lost"))
        #expect(!svg.contains("<script"))
        #expect(!svg.lowercased().contains("nan") && !svg.lowercased().contains("inf"))
    }

    @Test func svgOfEmptyReportIsWellFormed() throws {
        let svg = SVGPlot.render(Self.emptyReport())
        let lines = try Self.polylines(svg)
        #expect(lines.filter { $0["class"] == "latency" }.count == 1)
        #expect(lines.filter { $0["class"] == "iops" }.isEmpty)
        #expect(!svg.lowercased().contains("nan") && !svg.lowercased().contains("inf"))
    }
}

/// Collects the root element's name and every `<polyline>`'s attributes.
private final class ElementCollector: NSObject, XMLParserDelegate {
    var root: String?
    var polylines: [[String: String]] = []

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String]
    ) {
        if root == nil { root = elementName }
        if elementName == "polyline" { polylines.append(attributes) }
    }
}
