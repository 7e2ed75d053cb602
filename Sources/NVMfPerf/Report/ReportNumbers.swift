/// Number-to-text helpers shared by the text summary, the progress line, the JSON
/// report and the SVG plot.
///
/// They are written out by hand rather than with `String(format:)` so the output
/// never depends on Foundation, a C locale's decimal separator, or how printf
/// spells a non-finite value: a NaN or an infinity from a zero-length run must
/// come out as `0`, never as `nan` in a table or an invalid JSON number.
enum ReportNumbers {
    /// `value` with exactly `decimals` digits after the point, rounded half away
    /// from zero; non-finite values print as zero.
    static func fixed(_ value: Double, decimals: Int) -> String {
        let decimals = max(0, min(decimals, 9))
        guard value.isFinite else { return fixed(0, decimals: decimals) }
        var scale: UInt64 = 1
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (value.magnitude * Double(scale)).rounded()
        // Past what a UInt64 holds the fraction is noise anyway: fall back to
        // Swift's shortest round-trip spelling.
        guard scaled < 1.8e19 else { return String(value) }
        let units = UInt64(scaled)
        let sign = value < 0 && units != 0 ? "-" : ""
        let whole = String(units / scale)
        guard decimals > 0 else { return sign + whole }
        let fraction = String(units % scale)
        return sign + whole + "." + String(repeating: "0", count: decimals - fraction.count) + fraction
    }

    /// Nanoseconds as microseconds with `decimals` digits, computed from the
    /// integer so a value such as 20_015 ns rounds the same on every machine.
    static func microseconds(_ nanoseconds: UInt64, decimals: Int = 2) -> String {
        let decimals = max(0, min(decimals, 3))
        var divisor: UInt64 = 1000
        for _ in 0..<decimals { divisor /= 10 }
        let roundsUp = divisor > 1 && nanoseconds % divisor >= divisor / 2
        let units = nanoseconds / divisor + (roundsUp ? 1 : 0)
        var scale: UInt64 = 1
        for _ in 0..<decimals { scale *= 10 }
        let whole = String(units / scale)
        guard decimals > 0 else { return whole }
        let fraction = String(units % scale)
        return whole + "." + String(repeating: "0", count: decimals - fraction.count) + fraction
    }

    /// Nanoseconds as a microsecond figure for JSON and plotting.
    static func inMicroseconds(_ nanoseconds: UInt64) -> Double { Double(nanoseconds) / 1000 }

    /// `value`, or zero when it is NaN or infinite.
    static func finite(_ value: Double) -> Double { value.isFinite ? value : 0 }

    /// `text` right-aligned in `width` columns (never cut: a wide value widens its row).
    static func padLeft(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }

    /// `text` left-aligned in `width` columns.
    static func padRight(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
