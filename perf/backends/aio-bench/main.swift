// 4 KiB random reads or writes through one AioChannel from one thread, the
// way a poll group drives a namespace: keep `--qd` operations in flight,
// batch them into one io_submit per loop, reap with io_getevents(0, 0).
//
// usage: aio-bench <file> <randread|randwrite> <queue-depth> <seconds> [spin|eventfd|block]
//   spin    : busy-poll (a poll group in poll mode)
//   eventfd : sleep in poll(2) on the channel's eventfd when nothing is ready
//             (interrupt mode of a poll group)
//   block   : sleep in io_getevents(min 1) via AioChannel.waitAndPoll
//             (exactly what fio's libaio engine does)
// Prints one JSON object: iops, ios, seconds, cpu_seconds, cpu_us_per_io.
import Backends
import Glibc

let args = CommandLine.arguments
guard args.count >= 5, let queueDepth = Int(args[3]), let seconds = Double(args[4]),
    args[2] == "randread" || args[2] == "randwrite"
else {
    fputs("usage: aio-bench <file> <randread|randwrite> <queue-depth> <seconds> [spin|eventfd|block]\n", stderr)
    exit(2)
}
let isWrite = args[2] == "randwrite"
let mode = args.count > 5 ? args[5] : "spin"
let blockSize = 4096

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
        + Double(usage.ru_stime.tv_usec) / 1e6
}

do {
    let device = try AioBlockDevice(path: args[1], name: "bench", blockSize: blockSize)
    let channel = try device.makeAioChannel(queueDepth: queueDepth)
    var memory: UnsafeMutableRawPointer?
    guard posix_memalign(&memory, 4096, queueDepth * blockSize) == 0, let memory else { exit(1) }
    memset(memory, 0x5A, queueDepth * blockSize)
    // Free buffer indexes; a completion's tag is its buffer index.
    var free = [Int](0..<queueDepth)
    var freeCount = queueDepth
    var rng: UInt64 = 0x2545_F491_4F6C_DD1D
    var ios = 0
    var errors = 0
    let blocks = device.blockCount

    let cpuStart = cpuSeconds()
    let start = now()
    let end = start + seconds
    var loops = 0
    var finishedAt = start
    free.withUnsafeMutableBufferPointer { free in
        while true {
            while freeCount > 0 {
                freeCount -= 1
                let index = free[freeCount]
                rng ^= rng << 13
                rng ^= rng >> 7
                rng ^= rng << 17
                let request = BlockRequest(
                    operation: isWrite ? .write : .read, startingBlock: rng % blocks, blockCount: 1,
                    buffer: IOBuffer(baseAddress: memory + index * blockSize, count: blockSize), tag: UInt64(index))
                guard channel.submit(request) == .accepted else {
                    freeCount += 1
                    break
                }
            }
            channel.flushSubmissions()
            let reap = { (completion: BlockCompletion) in
                free[freeCount] = Int(completion.tag)
                freeCount += 1
                ios += 1
                if completion.error != nil { errors += 1 }
            }
            let reaped =
                mode == "block"
                ? channel.waitAndPoll(maxCompletions: queueDepth, timeoutNanoseconds: 100_000_000, reap)
                : channel.poll(maxCompletions: queueDepth, reap)
            if reaped == 0, mode == "eventfd" {
                var pfd = pollfd(fd: channel.notificationFD, events: Int16(POLLIN), revents: 0)
                _ = poll(&pfd, 1, 100)
                channel.acknowledgeNotification()
            }
            loops += 1
            if loops & 63 == 0 {
                finishedAt = now()
                if finishedAt >= end { break }
            }
        }
    }
    let cpu = cpuSeconds() - cpuStart
    let elapsed = finishedAt - start
    channel.close()
    device.close()
    let iops = Double(ios) / elapsed
    print(
        "{\"iops\": \(Int(iops)), \"ios\": \(ios), \"errors\": \(errors), \"seconds\": \(elapsed), "
            + "\"cpu_seconds\": \(cpu), \"cpu_us_per_io\": \(cpu / Double(max(ios, 1)) * 1e6)}")
} catch {
    fputs("aio-bench: \(error)\n", stderr)
    exit(1)
}
