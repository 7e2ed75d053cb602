import CShims
import NVMe
import NVMfHost

#if canImport(Glibc)
    import Glibc
#endif

/// One thread of the run, pinned to one CPU, polling its queues.
///
/// The loop: poll each queue's CQ, time and check each finished command, and
/// send the slot's next command at once, so every queue stays `-q` deep. Every
/// few milliseconds it also reads the queues' CM events (a target that went
/// away), looks for stalled queues and rolls the per-second figures over.
/// Nothing in the loop allocates or locks; the lock of `published` is taken
/// once per second.
final class Worker {
    /// What a pass does: the timed measurement, or a finite verify pass.
    enum Pass: Sendable { case measured, fill, readBack }

    let cpu: Int?
    let jobs: [QueueJob]
    let clock: LatencyClock
    let control: RunControl
    let ioSize: Int
    let verifySeed: UInt64?
    let interrupts: Bool
    /// Poll mode: `sched_yield()` every 32 empty passes (`--poll-idle yield`, the default).
    let yieldWhenIdle: Bool
    /// No completion for this long with commands out: the queue is declared stalled.
    let stallTicks: UInt64

    /// Per namespace (by `NamespaceTarget.index`): counts and latencies of this worker's I/O.
    var results: [NamespaceResult]
    /// The current second's figures.
    var interval: IntervalSlice
    /// Finished seconds, for the main thread; `publishedThrough` is the last complete one.
    let published = Locked<(slices: [IntervalSlice], through: Int)>(([], -1))
    var firstMismatch: String?
    /// poll(2) descriptors for interrupt mode, one per queue, allocated once.
    let descriptors: UnsafeMutablePointer<pollfd>

    init(
        cpu: Int?, jobs: [QueueJob], namespaces: [NamespaceTarget], clock: LatencyClock, control: RunControl,
        ioSize: Int, verifySeed: UInt64?, interrupts: Bool, yieldWhenIdle: Bool, stallSeconds: Int
    ) {
        self.yieldWhenIdle = yieldWhenIdle
        self.cpu = cpu
        self.jobs = jobs
        self.clock = clock
        self.control = control
        self.ioSize = ioSize
        self.verifySeed = verifySeed
        self.interrupts = interrupts
        stallTicks = clock.ticks(nanoseconds: UInt64(stallSeconds) * 1_000_000_000)
        results = namespaces.map { NamespaceResult(name: $0.name) }
        interval = IntervalSlice(index: 0, ios: 0, bytes: 0, latency: .latency())
        descriptors = .allocate(capacity: max(jobs.count, 1))
        descriptors.initialize(repeating: pollfd(), count: max(jobs.count, 1))
    }

    deinit { descriptors.deallocate() }

    /// Forgets the figures of a verify fill pass before the measured run.
    func resetResults() {
        for index in results.indices {
            results[index] = NamespaceResult(name: results[index].name)
        }
    }

    /// Runs one pass on the calling thread. `start`/`end` are ticks; a finite pass ignores `end`.
    func run(_ pass: Pass, start: UInt64, end: UInt64) {
        if let cpu { _ = cshims_pin_thread_to_cpu(Int32(cpu)) }
        for job in jobs { job.queue.claimOwnership() }
        let done = UnsafeMutableBufferPointer<CommandDone>.allocate(capacity: 64)
        defer { done.deallocate() }
        let measured = pass == .measured
        let secondTicks = clock.ticks(nanoseconds: 1_000_000_000)
        let checkTicks = clock.ticks(nanoseconds: 5_000_000)
        var nextCheck = clock.now() &+ checkTicks
        var stopping = false
        var drainDeadline: UInt64 = 0
        var armed = false
        var idlePasses = 0

        var now = clock.now()
        for job in jobs {
            job.lastProgress = now
            job.exhausted = false
            for slot in 0..<job.queueDepth where !submitNext(job, slot: slot, now: now, pass: pass) { break }
            job.queue.flush()
        }
        while true {
            var completed = 0
            for job in jobs {
                let count = job.queue.poll(into: done)
                guard count > 0 else { continue }
                completed &+= count
                now = clock.now()
                job.lastProgress = now
                // The measurement window is [start, end): commands drained after it are not counted.
                let counted = !measured || now < end
                for index in 0..<count {
                    let slot = Int(done[index].slot)
                    finish(job, slot: slot, status: done[index].status, now: now, counted: counted, timed: measured)
                    if !stopping { _ = submitNext(job, slot: slot, now: now, pass: pass) }
                }
                job.queue.flush()
            }
            if completed == 0 {
                // An idle pass reads the clock only every 32nd time: where the clock is a
                // system call (the TCG guest) a read per spin took CPU the target needed.
                idlePasses &+= 1
                if idlePasses & 31 == 0 || interrupts {
                    now = clock.now()
                    // Yield the CPU now and then: on kernels where the RDMA device's own
                    // work runs in kernel threads (Soft-RoCE since 6.4), a poller that
                    // never yields starves the work it is waiting for on its CPU.
                    if yieldWhenIdle { sched_yield() }
                }
                if interrupts {
                    // Arm first and poll once more: a completion that came before the
                    // arm raises no event. Sleep only when that poll found nothing too.
                    if armed { sleepUntilCompletion() } else { armAll() }
                    armed.toggle()
                }
            } else {
                armed = false
            }
            if now >= nextCheck {
                nextCheck = now &+ checkTicks
                if measured {
                    let second = Int((now &- start) / secondTicks)
                    if second > interval.index { publish(upTo: second) }
                }
                for job in jobs where job.queue.failure == nil {
                    if !job.queue.checkConnection() { continue }
                    if job.queue.outstanding > 0, now &- job.lastProgress > stallTicks {
                        job.queue.fail(
                            "no completion for \(stallTicks == 0 ? 0 : (now &- job.lastProgress) / secondTicks) s")
                    }
                }
                for job in jobs {
                    if let failure = job.queue.failure { control.fail(failure.description) }
                }
                if !stopping && (control.stop.load(ordering: .relaxed) || (measured && now >= end)) {
                    stopping = true
                    drainDeadline = now &+ 5 &* secondTicks
                }
                if stopping && now > drainDeadline {
                    control.fail("commands still outstanding 5 s after the run ended")
                    break
                }
            }
            let busy = jobs.contains { $0.queue.failure == nil && $0.queue.outstanding > 0 }
            if !busy && (stopping || jobs.allSatisfy { $0.exhausted || $0.queue.failure != nil }) { break }
        }
        for job in jobs {
            if let failure = job.queue.failure { control.fail(failure.description) }
        }
        if measured { publish(upTo: Int.max, final: true) }
    }

    /// Fills the slot's command from the generator and sends it; false when there is none to send.
    @inline(__always)
    func submitNext(_ job: QueueJob, slot: Int, now: UInt64, pass: Pass) -> Bool {
        let next: (isRead: Bool, lba: UInt64)?
        switch pass {
        case .measured: next = job.generator.next()
        case .fill: next = job.generator.next().map { (false, $0.lba) }
        case .readBack: next = job.generator.next().map { (true, $0.lba) }
        }
        guard let (isRead, lba) = next else {
            job.exhausted = true
            return false
        }
        if !isRead, let seed = verifySeed {
            VerifyPattern.fill(
                job.queue.dataBuffer(slot), startingLBA: lba, blockCount: job.blocksPerIO,
                blockSize: job.target.blockSize, seed: seed)
        }
        job.submittedAt[slot] = now
        job.slotLBA[slot] = lba
        job.slotIsRead[slot] = isRead
        return job.queue.submit(
            slot: slot, opcode: isRead ? IOOpcode.read : IOOpcode.write, namespaceID: job.target.namespaceID,
            startingLBA: lba, blockCount: job.blocksPerIO, byteCount: ioSize)
    }

    /// Times one finished command and checks its data when verifying.
    @inline(__always)
    ///
    /// - Parameters:
    ///   - counted: inside the measured window (or a verify pass): counts toward I/Os and bytes.
    ///   - timed: the measured pass: latencies are recorded (when also counted).
    func finish(_ job: QueueJob, slot: Int, status: UInt16, now: UInt64, counted: Bool, timed: Bool) {
        let index = job.target.index
        let latency = clock.nanoseconds(now &- job.submittedAt[slot])
        let success = status & 0x0FFE == 0
        if counted { results[index].ios &+= 1 }
        if success {
            if counted { results[index].bytes &+= UInt64(ioSize) }
        } else {
            results[index].errors &+= 1
            if results[index].errors == 1 {
                control.noteCommandError(
                    "\(job.target.name): \(job.slotIsRead[slot] ? "read" : "write") at LBA \(job.slotLBA[slot]) "
                        + "failed: \(StatusWords.describe(NVMeStatus(rawValue: status)))")
            }
        }
        if counted && timed {
            _ = results[index].latency.record(latency)
            interval.ios &+= 1
            if success { interval.bytes &+= UInt64(ioSize) }
            _ = interval.latency.record(latency)
        }
        if success, job.slotIsRead[slot], let seed = verifySeed {
            let check = VerifyPattern.check(
                job.queue.dataBuffer(slot), startingLBA: job.slotLBA[slot], blockCount: job.blocksPerIO,
                blockSize: job.target.blockSize, seed: seed)
            if check.mismatches > 0 {
                results[index].mismatches &+= UInt64(check.mismatches)
                if firstMismatch == nil, let lba = check.firstLBA {
                    firstMismatch = "\(job.target.name): LBA \(lba) does not hold what was written"
                }
            }
        }
    }

    /// Hands finished seconds to the main thread (once per second: the lock is fine here).
    func publish(upTo second: Int, final: Bool = false) {
        let slice = interval
        interval = IntervalSlice(index: final ? slice.index : second, ios: 0, bytes: 0, latency: .latency())
        published.withLock {
            $0.slices.append(slice)
            $0.through = final ? Int.max : second - 1
        }
    }

    /// Interrupt mode: arms every live queue's CQ.
    func armAll() {
        for job in jobs where job.queue.failure == nil { job.queue.rearm() }
    }

    /// Interrupt mode: sleeps in poll(2) until an armed CQ fires, at most 5 ms
    /// (so the periodic checks still run).
    func sleepUntilCompletion() {
        var count = 0
        for job in jobs where job.queue.failure == nil {
            if let channel = job.queue.completionChannel {
                descriptors[count] = pollfd(fd: channel.fileDescriptor, events: Int16(POLLIN), revents: 0)
                count &+= 1
            }
        }
        _ = poll(descriptors, nfds_t(count), 5)
    }
}
