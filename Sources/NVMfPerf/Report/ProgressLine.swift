/// The once-a-second line nvmf-perf prints while a run is going.
///
/// Every field has a fixed width so that each line is as long as the one before
/// and rewriting it in place after a `\r` leaves no stale characters behind; the
/// widths hold up to 999,999,999 IOPS, 999,999 MiB/s and 10 s of latency
/// before a field grows.
public enum ProgressLine {
    /// One line for `s`, without a line ending, for example
    /// `[  3 s]  IOPS    123456  MiB/s    482.25  p50     31.2 us  p99     88.1 us`.
    public static func format(_ s: IntervalSample) -> String {
        let elapsed = s.elapsed.isFinite && s.elapsed > 0 ? min(s.elapsed.rounded(), 1e9) : 0
        let seconds = String(Int(elapsed))
        let iops = ReportNumbers.fixed(s.iops, decimals: 0)
        let mib = ReportNumbers.fixed(s.megabytesPerSecond, decimals: 2)
        let p50 = ReportNumbers.microseconds(s.p50, decimals: 1)
        let p99 = ReportNumbers.microseconds(s.p99, decimals: 1)
        return "[\(ReportNumbers.padLeft(seconds, 3)) s]"
            + "  IOPS \(ReportNumbers.padLeft(iops, 9))"
            + "  MiB/s \(ReportNumbers.padLeft(mib, 9))"
            + "  p50 \(ReportNumbers.padLeft(p50, 9)) us"
            + "  p99 \(ReportNumbers.padLeft(p99, 9)) us"
    }
}
