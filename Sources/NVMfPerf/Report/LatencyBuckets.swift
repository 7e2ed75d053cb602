import Histogram

/// One range of the latency histogram that `-LL` prints and `--json` writes.
struct LatencyBucket: Equatable {
    /// Exclusive lower edge, nanoseconds (0 for the first range).
    var lowerNanoseconds: UInt64
    /// Inclusive upper edge, nanoseconds.
    var upperNanoseconds: UInt64
    /// Completions whose latency fell in this range.
    var count: UInt64
    /// Completions at or below `upperNanoseconds`, this range included.
    var cumulativeCount: UInt64
}

extension Histogram where Count == UInt64 {
    /// The non-empty ranges of a logarithmic scale, lowest first.
    ///
    /// The edges are the same for every run and every namespace (everything up to
    /// 1 µs, then ten steps per decade on the R10 preferred numbers 1, 1.25, 1.6, 2,
    /// 2.5, 3.15, 4, 5, 6.3, 8), so two reports can be compared range by range and
    /// the edges read as round numbers. A completion counts in the range whose
    /// upper edge is at or above the histogram's value for it (the top of its
    /// 0.1 % sub-bucket, but no more than the largest value recorded), the same
    /// value the percentiles report.
    func latencyBuckets() -> [LatencyBucket] {
        var buckets: [LatencyBucket] = []
        var edges = LatencyBucketEdges()
        var lower: UInt64 = 0
        var upper = edges.next()
        var count: UInt64 = 0
        var cumulative: UInt64 = 0
        let largest = maxRecorded
        for step in recordedValues() {
            let value = Swift.min(step.value, largest)
            while value > upper {
                if count > 0 {
                    buckets.append(
                        LatencyBucket(
                            lowerNanoseconds: lower, upperNanoseconds: upper, count: count, cumulativeCount: cumulative)
                    )
                    count = 0
                }
                lower = upper
                upper = edges.next()
            }
            count += UInt64(step.count)
            cumulative += UInt64(step.count)
        }
        if count > 0 {
            buckets.append(
                LatencyBucket(
                    lowerNanoseconds: lower, upperNanoseconds: upper, count: count, cumulativeCount: cumulative))
        }
        return buckets
    }
}

/// The upper edges of the latency ranges in nanoseconds: 1 µs, then 1.25 µs, 1.6 µs
/// and on up the R10 series, ending at `UInt64.max` so every value has a range.
struct LatencyBucketEdges {
    /// R10 preferred numbers, scaled by 100 so they stay integers.
    private static let steps: [UInt64] = [100, 125, 160, 200, 250, 315, 400, 500, 630, 800]
    private var index = 0
    /// Nanoseconds that `steps` are hundredths of for the current decade (10 → 1 µs).
    private var decade: UInt64 = 10

    mutating func next() -> UInt64 {
        guard decade < UInt64.max / 1000 else { return UInt64.max }
        let edge = Self.steps[index] * decade
        index += 1
        if index == Self.steps.count {
            index = 0
            decade *= 10
        }
        return edge
    }
}
