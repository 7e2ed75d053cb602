import Histogram

/// The machine-readable report `--json` writes.
///
/// Written by hand instead of through `JSONSerialization` so the keys come out in
/// the order a person reads them (job first, then per-namespace figures, then
/// totals) and stay in that order run after run, which keeps diffs between two
/// reports small. Every number is finite: a NaN or infinity (say, from a run
/// with no completions) is written as 0, as JSON has no spelling for them.
public enum JSONReport {
    /// `report` as a pretty-printed JSON object, ending in a newline.
    public static func encode(_ report: PerfReport) -> String {
        let job = report.job
        let root: ReportJSON = .object([
            (
                "job",
                .object([
                    ("workload", .string(job.workload)),
                    ("io_size", .integer(Int64(job.ioSize))),
                    ("queue_depth", .integer(Int64(job.queueDepth))),
                    ("read_percent", .integer(Int64(job.readPercent))),
                    ("seconds", .integer(Int64(job.seconds))),
                    ("queues_per_namespace", .integer(Int64(job.queuesPerNamespace))),
                    ("cores", .array(job.cores.map { .integer(Int64($0)) })),
                    ("verify", .bool(job.verify)),
                    ("completion_mode", .string(job.completionMode)),
                ])
            ),
            ("namespaces", .array(report.namespaces.map(result))),
            ("total", result(report.total)),
            ("intervals", .array(report.intervals.map(interval))),
            ("cpu_seconds", .number(report.cpuSeconds)),
            ("cpu_us_per_io", .number(report.cpuMicrosecondsPerIO)),
            ("clock_source", .string(report.clockSource)),
            ("timestamp_cost_ns", .number(report.timestampCostNanoseconds)),
            ("error", report.error.map { .string($0) } ?? .null),
        ])
        var out = ""
        root.write(to: &out, indent: 0)
        return out + "\n"
    }

    /// One namespace's (or the total's) counts, rates, latency summary and histogram.
    private static func result(_ row: NamespaceResult) -> ReportJSON {
        let latency = row.latency
        let empty = latency.totalCount == 0
        func us(_ nanoseconds: UInt64) -> ReportJSON { .number(ReportNumbers.inMicroseconds(nanoseconds)) }
        func at(_ percent: Double) -> ReportJSON { us(empty ? 0 : latency.valueAtPercentile(percent)) }
        return .object([
            ("name", .string(row.name)),
            ("ios", .unsigned(row.ios)),
            ("bytes", .unsigned(row.bytes)),
            ("errors", .unsigned(row.errors)),
            ("mismatches", .unsigned(row.mismatches)),
            ("seconds", .number(row.seconds)),
            ("iops", .number(row.iops)),
            ("mib_per_s", .number(row.megabytesPerSecond)),
            (
                "latency_us",
                .object([
                    ("min", us(empty ? 0 : latency.min)),
                    ("mean", .number(latency.mean / 1000)),
                    ("max", us(latency.maxRecorded)),
                    ("stddev", .number(latency.stdDeviation / 1000)),
                    ("p50", at(50)),
                    ("p90", at(90)),
                    ("p99", at(99)),
                    ("p99_9", at(99.9)),
                    ("p99_99", at(99.99)),
                    ("p99_999", at(99.999)),
                    ("p99_9999", at(99.9999)),
                ])
            ),
            (
                "latency_histogram",
                .array(
                    latency.latencyBuckets().map { bucket in
                        .array([us(bucket.upperNanoseconds), .unsigned(bucket.count)])
                    })
            ),
        ])
    }

    /// One second of the run.
    private static func interval(_ sample: IntervalSample) -> ReportJSON {
        .object([
            ("elapsed", .number(sample.elapsed)),
            ("seconds", .number(sample.seconds)),
            ("ios", .unsigned(sample.ios)),
            ("bytes", .unsigned(sample.bytes)),
            ("iops", .number(sample.iops)),
            ("mib_per_s", .number(sample.megabytesPerSecond)),
            ("p50_us", .number(ReportNumbers.inMicroseconds(sample.p50))),
            ("p99_us", .number(ReportNumbers.inMicroseconds(sample.p99))),
        ])
    }
}

/// A JSON document whose objects keep their keys in the order given.
private enum ReportJSON {
    case object([(String, ReportJSON)])
    case array([ReportJSON])
    case string(String)
    case integer(Int64)
    case unsigned(UInt64)
    case number(Double)
    case bool(Bool)
    case null

    /// Appends this value, pretty-printed two spaces per level, to `out`. Arrays
    /// of scalars (a histogram pair, the core list) stay on one line.
    func write(to out: inout String, indent: Int) {
        switch self {
        case .object(let members):
            guard !members.isEmpty else {
                out += "{}"
                return
            }
            let inner = String(repeating: "  ", count: indent + 1)
            out += "{\n"
            for (index, (key, value)) in members.enumerated() {
                out += inner
                Self.writeString(key, to: &out)
                out += ": "
                value.write(to: &out, indent: indent + 1)
                out += index == members.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: "  ", count: indent) + "}"
        case .array(let elements):
            guard !elements.isEmpty else {
                out += "[]"
                return
            }
            if elements.allSatisfy(\.isScalar) {
                out += "["
                for (index, element) in elements.enumerated() {
                    if index > 0 { out += ", " }
                    element.write(to: &out, indent: indent)
                }
                out += "]"
                return
            }
            let inner = String(repeating: "  ", count: indent + 1)
            out += "[\n"
            for (index, element) in elements.enumerated() {
                out += inner
                element.write(to: &out, indent: indent + 1)
                out += index == elements.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: "  ", count: indent) + "]"
        case .string(let text):
            Self.writeString(text, to: &out)
        case .integer(let value):
            out += String(value)
        case .unsigned(let value):
            out += String(value)
        case .number(let value):
            out += Self.number(value)
        case .bool(let value):
            out += value ? "true" : "false"
        case .null:
            out += "null"
        }
    }

    private var isScalar: Bool {
        switch self {
        case .object, .array: false
        default: true
        }
    }

    /// A finite double in JSON's grammar: whole values without a fraction
    /// (`300`, not `300.0`), others in Swift's shortest round-trip form, which
    /// is valid JSON (`31.2`, `1e-05`); NaN and infinities become `0`.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        if value == value.rounded(), value.magnitude < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    /// `text` as a JSON string: quotes, backslashes and control characters escaped.
    static func writeString(_ text: String, to out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
