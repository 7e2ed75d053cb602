import CVerbs
import Glibc
import Verbs

// Latency benchmarks of the Verbs layer, run against perftest in the same lab
// boot (perf/verbs/RESULTS.md, lab/tests/verbs/bench.sh).

func flushStandardOutput() { fflush(stdout) }

/// Per-iteration timestamps in TSC cycles (as perftest takes them), converted to
/// µs with a rate calibrated against CLOCK_MONOTONIC over the whole run.
struct CycleSamples {
    let cycles: UnsafeMutableBufferPointer<UInt64>
    let startNanoseconds: UInt64
    let startCycles: UInt64

    init(count: Int) {
        cycles = .allocate(capacity: count)
        cycles.initialize(repeating: 0)
        startNanoseconds = nanoseconds()
        startCycles = cverbs_cycles()
    }

    /// Converts to µs per sample, divided by `divisor` (2 for a round trip), and prints the table.
    func report(size: Int, divisor: Double) {
        let nanosecondsPerCycle =
            Double(nanoseconds() &- startNanoseconds) / Double(max(cverbs_cycles() &- startCycles, 1))
        let microseconds = UnsafeMutableBufferPointer<Double>.allocate(capacity: cycles.count)
        for index in 0..<cycles.count {
            microseconds[index] = Double(cycles[index]) * nanosecondsPerCycle / 1000 / divisor
        }
        verbs_perf.report(size: size, samples: microseconds)
        microseconds.deallocate()
        cycles.deallocate()
    }
}

/// 64-byte SEND/RECV ping-pong, as `ib_send_lat`: one-way latency = round trip / 2.
func sendLatency(_ connection: Connection, _ options: Options) throws {
    let qp = connection.queuePair
    let cq = connection.completionQueue
    let sendSGE = connection.memory.scatterGatherEntry(offset: 0, length: options.size)
    let receiveSGE = connection.memory.scatterGatherEntry(offset: options.size, length: options.size)
    // As ib_send_lat: SENDs unsignaled, except one in `signalInterval` so the
    // send queue (depth 64) is recycled; those completions are consumed while
    // waiting for receives.
    let quiet: SendFlags = options.inline && qp.capabilities.maxInlineData >= options.size ? .inline : []
    let signalInterval = 32
    let completions = WorkCompletionBuffer(capacity: 16)
    let warmup = min(100, options.iterations)
    let total = options.iterations + warmup
    for slot in 0..<Connection.depth { try qp.postReceive(id: UInt64(slot), receiveSGE) }

    /// Polls until one receive has completed; send completions are consumed on the way.
    @inline(__always) func awaitReceive() throws {
        while true {
            let count = try cq.poll(into: completions.completions)
            for index in 0..<count {
                let completion = completions.completions[index]
                guard completion.isSuccess else { throw VerbsError(verb: "ibv_poll_cq", errno: EIO) }
                if completion.opcode.isReceive {
                    try qp.postReceive(id: completion.workRequestID, receiveSGE)
                    return
                }
            }
        }
    }

    let samples = CycleSamples(count: options.iterations)
    var start = cverbs_cycles()
    for iteration in 0..<total {
        let flags = iteration % signalInterval == 0 ? quiet.union(.signaled) : quiet
        if options.isServer {
            try awaitReceive()
            try qp.postSend(id: UInt64(iteration), sendSGE, flags: flags)
        } else {
            try qp.postSend(id: UInt64(iteration), sendSGE, flags: flags)
            try awaitReceive()
            let now = cverbs_cycles()
            if iteration >= warmup { samples.cycles[iteration - warmup] = now &- start }
            start = now
        }
    }
    // Drain the last send completions so teardown starts from a quiet QP.
    _ = try cq.poll(into: completions.completions)
    if !options.isServer { samples.report(size: options.size, divisor: 2) }
}

/// One RDMA READ at a time of the server's buffer, as `ib_read_lat`.
func readLatency(_ connection: Connection, _ options: Options) throws {
    let qp = connection.queuePair
    let cq = connection.completionQueue
    let sink = connection.memory.scatterGatherEntry(offset: 0, length: options.size)
    let completions = WorkCompletionBuffer(capacity: 1)
    let warmup = min(100, options.iterations)
    let samples = CycleSamples(count: options.iterations)
    var start = cverbs_cycles()
    for iteration in 0..<(options.iterations + warmup) {
        try qp.postRDMARead(id: UInt64(iteration), into: sink, from: connection.peer)
        var count = 0
        while count == 0 { count = try cq.poll(into: completions.completions) }
        guard completions[0].isSuccess else { throw VerbsError(verb: "ibv_poll_cq", errno: EIO) }
        let now = cverbs_cycles()
        if iteration >= warmup { samples.cycles[iteration - warmup] = now &- start }
        start = now
    }
    samples.report(size: options.size, divisor: 1)
}

if CommandLine.arguments.count >= 3, CommandLine.arguments[1] == "post-cost" {
    // verbs-perf post-cost swift|c [ITERATIONS]: no device needed.
    let iterations = CommandLine.arguments.count > 3 ? Int(CommandLine.arguments[3]) ?? 1_000_000 : 1_000_000
    exit(PostCost.run(variant: CommandLine.arguments[2], iterations: iterations))
}

do {
    let options = try Options(CommandLine.arguments)
    let connection = try Connection(options: options)
    switch options.test {
    case .sendLatency:
        try sendLatency(connection, options)
        try connection.close(initiate: !options.isServer)
    case .readLatency:
        if !options.isServer { try readLatency(connection, options) }
        try connection.close(initiate: !options.isServer)
    }
} catch is UsageError {
    print(Options.usage)
    exit(2)
} catch {
    print("verbs-perf: \(error)")
    exit(1)
}
