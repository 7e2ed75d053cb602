import Glibc

/// Command line of `verbs-perf`, modelled on perftest so the two runs read alike.
///
///     verbs-perf send-lat --server --address 10.0.2.15 [--port 18600] [--iterations 1000] [--size 64]
///     verbs-perf send-lat --address 10.0.2.15 ...          (client)
///     verbs-perf read-lat  [--server] --address 10.0.2.15 ...
struct Options {
    enum Test: String {
        case sendLatency = "send-lat"
        case readLatency = "read-lat"
    }

    var test: Test
    var isServer = false
    var address = ""
    var port: UInt16 = 18600
    var iterations = 1000
    var size = 64
    var inline = true

    static let usage =
        "usage: verbs-perf send-lat|read-lat [--server] --address IP [--port N] [--iterations N] [--size BYTES] [--no-inline]\n"
        + "       verbs-perf post-cost swift|c [ITERATIONS]"

    init(_ arguments: [String]) throws(UsageError) {
        guard arguments.count >= 2, let test = Test(rawValue: arguments[1]) else { throw UsageError() }
        self.test = test
        var index = 2
        func value() throws(UsageError) -> String {
            index += 1
            guard index < arguments.count else { throw UsageError() }
            return arguments[index]
        }
        while index < arguments.count {
            switch arguments[index] {
            case "--server": isServer = true
            case "--no-inline": inline = false
            case "--address": address = try value()
            case "--port":
                guard let port = UInt16(try value()) else { throw UsageError() }
                self.port = port
            case "--iterations":
                guard let count = Int(try value()), count > 0 else { throw UsageError() }
                iterations = count
            case "--size":
                guard let size = Int(try value()), size > 0, size <= 1 << 20 else { throw UsageError() }
                self.size = size
            default: throw UsageError()
            }
            index += 1
        }
        if address.isEmpty { throw UsageError() }
    }
}

struct UsageError: Error {}

/// Monotonic nanoseconds (vDSO clock_gettime: no syscall).
@inline(__always)
func nanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
}

/// Prints perftest's table (µs): min, max, typical (median), average, stdev, 99%, 99.9%.
func report(size: Int, samples: UnsafeMutableBufferPointer<Double>) {
    var samples = samples
    samples.sort()
    let count = samples.count
    let average = samples.reduce(0, +) / Double(count)
    let variance = samples.reduce(0) { $0 + ($1 - average) * ($1 - average) } / Double(count)
    func percentile(_ p: Double) -> Double { samples[min(count - 1, Int(Double(count) * p))] }
    func format(_ value: Double) -> String {
        let scaled = Int((value * 100).rounded())
        let fraction = scaled % 100
        return "\(scaled / 100)." + (fraction < 10 ? "0" : "") + "\(fraction)"
    }
    print(
        " #bytes #iterations    t_min[usec]    t_max[usec]  t_typical[usec]    t_avg[usec]    t_stdev[usec]   99% percentile[usec]   99.9% percentile[usec]"
    )
    print(
        " \(size)       \(count)          \(format(samples[0]))          \(format(samples[count - 1]))          "
            + "\(format(percentile(0.5)))          \(format(average))          \(format(variance.squareRoot()))"
            + "          \(format(percentile(0.99)))          \(format(percentile(0.999)))")
}
