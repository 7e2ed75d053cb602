import Glibc
import Verbs

// Latency benchmarks of the Verbs layer, run against perftest in the same lab
// boot (perf/verbs/RESULTS.md, lab/tests/verbs/bench.sh).

func flushStandardOutput() { fflush(stdout) }

/// 64-byte SEND/RECV ping-pong, as `ib_send_lat`: one-way latency = round trip / 2.
func sendLatency(_ connection: Connection, _ options: Options) throws {
    let qp = connection.queuePair
    let cq = connection.completionQueue
    let sendSGE = connection.memory.scatterGatherEntry(offset: 0, length: options.size)
    let receiveSGE = connection.memory.scatterGatherEntry(offset: options.size, length: options.size)
    let flags: SendFlags =
        options.inline && qp.capabilities.maxInlineData >= options.size
        ? [.signaled, .inline] : .signaled
    let completions = WorkCompletionBuffer(capacity: 16)
    let samples = UnsafeMutableBufferPointer<Double>.allocate(capacity: options.iterations)
    defer { samples.deallocate() }
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

    var start = nanoseconds()
    for iteration in 0..<total {
        if options.isServer {
            try awaitReceive()
            try qp.postSend(id: UInt64(iteration), sendSGE, flags: flags)
        } else {
            try qp.postSend(id: UInt64(iteration), sendSGE, flags: flags)
            try awaitReceive()
            let now = nanoseconds()
            if iteration >= warmup { samples[iteration - warmup] = Double(now &- start) / 2000 }
            start = now
        }
    }
    // Drain the last send completions so teardown starts from a quiet QP.
    _ = try cq.poll(into: completions.completions)
    if !options.isServer { report(size: options.size, samples: samples) }
}

/// One RDMA READ at a time of the server's buffer, as `ib_read_lat`.
func readLatency(_ connection: Connection, _ options: Options) throws {
    let qp = connection.queuePair
    let cq = connection.completionQueue
    let sink = connection.memory.scatterGatherEntry(offset: 0, length: options.size)
    let completions = WorkCompletionBuffer(capacity: 4)
    let samples = UnsafeMutableBufferPointer<Double>.allocate(capacity: options.iterations)
    defer { samples.deallocate() }
    let warmup = min(100, options.iterations)
    var start = nanoseconds()
    for iteration in 0..<(options.iterations + warmup) {
        try qp.postRDMARead(id: UInt64(iteration), into: sink, from: connection.peer)
        var count = 0
        while count == 0 { count = try cq.poll(into: completions.completions) }
        guard completions[0].isSuccess else { throw VerbsError(verb: "ibv_poll_cq", errno: EIO) }
        let now = nanoseconds()
        if iteration >= warmup { samples[iteration - warmup] = Double(now &- start) / 1000 }
        start = now
    }
    report(size: options.size, samples: samples)
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
