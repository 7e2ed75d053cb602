import Histogram

/// The text nvmf-perf prints when a run ends.
///
/// The table has the shape of spdk_nvme_perf's end summary (a row per namespace,
/// then Total; IOPS, MiB/s and average/min/max latency in microseconds) so results
/// from the two tools can be read side by side. `-L` adds each row's percentiles,
/// since an average hides the tail that NVMe-oF tuning is mostly about; `-LL` adds
/// the latency histogram itself, for seeing a second mode the percentiles blur.
public enum LatencySummary {
    /// The percentiles `-L` prints, as (percent, label).
    static let percentiles: [(Double, String)] = [
        (1, "1%"), (10, "10%"), (25, "25%"), (50, "50%"), (75, "75%"), (90, "90%"), (99, "99%"),
        (99.9, "99.9%"), (99.99, "99.99%"), (99.999, "99.999%"), (99.9999, "99.9999%"),
    ]

    /// The end-of-run summary for `report`.
    ///
    /// - Parameter detail: 0 for the table only, 1 (`-L`) to add percentiles, 2 or
    ///   more (`-LL`) to add the latency histogram as well.
    public static func render(_ report: PerfReport, detail: Int) -> String {
        var lines: [String] = []
        // First, so a run that lost its target is not mistaken for a slow one.
        if let error = report.error {
            lines.append("run ended early: \(error)")
            lines.append("")
        }
        let rows = report.namespaces + [report.total]
        lines += table(rows)
        lines.append("")
        lines.append(
            "CPU: \(ReportNumbers.fixed(report.cpuMicrosecondsPerIO, decimals: 2)) us per I/O "
                + "(\(ReportNumbers.fixed(report.cpuSeconds, decimals: 2)) s user+system)")
        lines.append(
            "Clock: \(report.clockSource), "
                + "\(ReportNumbers.fixed(report.timestampCostNanoseconds, decimals: 1)) ns per timestamp")
        if detail >= 1 {
            for row in rows {
                lines.append("")
                lines += percentileBlock(row)
            }
        }
        if detail >= 2 {
            for row in rows {
                lines.append("")
                lines += histogramBlock(row)
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The IOPS / MiB/s / latency table; error and mismatch columns appear only
    /// when some row has one, so a clean run's table stays as narrow as SPDK's.
    static func table(_ rows: [NamespaceResult]) -> [String] {
        let showErrors = rows.contains { $0.errors > 0 || $0.mismatches > 0 }
        var headers = ["IOPS", "MiB/s", "Average", "min", "max"]
        if showErrors { headers += ["errors", "mismatches"] }
        let cells: [[String]] = rows.map { row in
            let latency = row.latency
            let empty = latency.totalCount == 0
            var cells = [
                ReportNumbers.fixed(row.iops, decimals: 2),
                ReportNumbers.fixed(row.megabytesPerSecond, decimals: 2),
                ReportNumbers.fixed(empty ? 0 : latency.mean / 1000, decimals: 2),
                ReportNumbers.microseconds(empty ? 0 : latency.min),
                ReportNumbers.microseconds(latency.maxRecorded),
            ]
            if showErrors { cells += [String(row.errors), String(row.mismatches)] }
            return cells
        }
        let nameWidth = max(rows.map(\.name.count).max() ?? 0, "Namespace".count)
        var widths = headers.map { max($0.count, 10) }
        for row in cells {
            for (column, cell) in row.enumerated() { widths[column] = max(widths[column], cell.count) }
        }
        func line(_ name: String, _ cells: [String]) -> String {
            var text = ReportNumbers.padRight(name, nameWidth)
            for (column, cell) in cells.enumerated() { text += "  " + ReportNumbers.padLeft(cell, widths[column]) }
            return text
        }
        // "Latency (us)" centred over Average, min and max.
        let latencyStart = nameWidth + 2 + widths[0] + 2 + widths[1] + 2
        let latencyWidth = widths[2] + 2 + widths[3] + 2 + widths[4]
        let caption = "Latency (us)"
        let indent = latencyStart + max(0, (latencyWidth - caption.count) / 2)
        var lines = [String(repeating: " ", count: indent) + caption, line("Namespace", headers)]
        for (index, row) in rows.enumerated() {
            // A rule above Total, as there is one sum below the rows it sums.
            if index == rows.count - 1 {
                lines.append(String(repeating: "-", count: lines[1].count))
            }
            lines.append(line(row.name, cells[index]))
        }
        return lines
    }

    /// `-L`: one line per percentile, then max, in microseconds.
    static func percentileBlock(_ row: NamespaceResult) -> [String] {
        var lines = ["Latency percentiles (us): \(row.name)"]
        let latency = row.latency
        guard latency.totalCount > 0 else { return lines + ["  no I/O completed"] }
        for (percent, label) in percentiles {
            let value = ReportNumbers.microseconds(latency.valueAtPercentile(percent))
            lines.append(ReportNumbers.padLeft(label, 10) + "  " + ReportNumbers.padLeft(value, 12))
        }
        let max = ReportNumbers.microseconds(latency.maxRecorded)
        lines.append(ReportNumbers.padLeft("max", 10) + "  " + ReportNumbers.padLeft(max, 12))
        return lines
    }

    /// `-LL`: the non-empty logarithmic ranges, each with the share of all I/Os at
    /// or below its top edge and its own count.
    static func histogramBlock(_ row: NamespaceResult) -> [String] {
        var lines = ["Latency histogram (us): \(row.name)"]
        let latency = row.latency
        guard latency.totalCount > 0 else { return lines + ["  no I/O completed"] }
        lines.append(
            ReportNumbers.padLeft("range (us)", 25) + "  " + ReportNumbers.padLeft("cumulative", 10) + "  "
                + ReportNumbers.padLeft("count", 12))
        let total = Double(latency.totalCount)
        for bucket in latency.latencyBuckets() {
            let range =
                ReportNumbers.padLeft(ReportNumbers.microseconds(bucket.lowerNanoseconds), 11) + " - "
                + ReportNumbers.padLeft(ReportNumbers.microseconds(bucket.upperNanoseconds), 11)
            let percent = ReportNumbers.fixed(100 * Double(bucket.cumulativeCount) / total, decimals: 4) + "%"
            lines.append(
                range + "  " + ReportNumbers.padLeft(percent, 10) + "  "
                    + ReportNumbers.padLeft(String(bucket.count), 12))
        }
        return lines
    }
}
