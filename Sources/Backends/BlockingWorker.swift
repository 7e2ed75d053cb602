import Atomics
import CAio
import CShims
import Glibc

/// One helper thread per libaio channel for the operations that only exist
/// as blocking syscalls: fallocate / BLKZEROOUT (write zeroes), fallocate
/// punch-hole / BLKDISCARD (deallocate), and fdatasync when the kernel
/// cannot run it as an `IOCB_CMD_FDSYNC`.
///
/// The poll thread and the helper share a single-producer/single-consumer
/// ring of slot indices and two monotonically increasing counters, so neither
/// side ever takes a lock: the poll thread writes the slot, then publishes it
/// with a release store of `submitted`; the helper publishes each result with
/// a release store of `completed` and then bumps the channel's eventfd, so an
/// interrupt-mode poll group wakes just as it does for libaio completions.
/// The helper sleeps in `read` on its own eventfd, which the poll thread
/// bumps once per `flushSubmissions` that queued work (a non-blocking write).
final class BlockingWorker {
    /// What the helper needs to know about one queued operation. Written by
    /// the poll thread before publication, `result` by the helper after.
    struct Job {
        var operation: BlockOperation = .flush
        var byteOffset: UInt64 = 0
        var byteLength: UInt64 = 0
        /// 0 on success, else an errno value.
        var result: Int32 = 0
    }

    private let fd: Int32
    private let isBlockDevice: Bool
    private let notifyFD: Int32
    private let wakeFD: Int32
    private let capacity: Int
    /// Job per channel slot, indexed by the channel's slot number.
    let jobs: UnsafeMutablePointer<Job>
    /// FIFO of slot numbers, `capacity` long.
    private let ring: UnsafeMutablePointer<Int32>
    private let submitted = UnsafeAtomic<Int>.create(0)
    private let completed = UnsafeAtomic<Int>.create(0)
    private let stopping = UnsafeAtomic<Bool>.create(false)
    /// Poll-thread-only counters.
    private var enqueued = 0
    private var reaped = 0
    private var published = 0
    private var thread = pthread_t()
    /// A page-aligned buffer of zeroes for the write-zeroes fallback when
    /// fallocate cannot zero a range; owned by the helper thread.
    private var zeroes: UnsafeMutableRawPointer?
    private static let zeroChunk = 1 << 20

    init(fd: Int32, isBlockDevice: Bool, notifyFD: Int32, slots: Int) throws(BlockDeviceError) {
        self.fd = fd
        self.isBlockDevice = isBlockDevice
        self.notifyFD = notifyFD
        self.capacity = slots
        self.wakeFD = eventfd(0, Int32(EFD_CLOEXEC))
        guard wakeFD >= 0 else {
            throw .setup("cannot create helper eventfd: \(String(cString: strerror(errno)))")
        }
        jobs = .allocate(capacity: slots)
        jobs.initialize(repeating: Job(), count: slots)
        ring = .allocate(capacity: slots)
        let context = Unmanaged.passRetained(self).toOpaque()
        let rc = pthread_create(
            &thread, nil,
            { raw in
                let worker = Unmanaged<BlockingWorker>.fromOpaque(raw!).takeRetainedValue()
                worker.run()
                return nil
            }, context)
        guard rc == 0 else {
            Unmanaged<BlockingWorker>.fromOpaque(context).release()
            Glibc.close(wakeFD)
            throw .setup("cannot start helper thread: \(String(cString: strerror(rc)))")
        }
    }

    deinit {
        jobs.deallocate()
        ring.deallocate()
        submitted.destroy()
        completed.destroy()
        stopping.destroy()
        zeroes.map { free($0) }
    }

    /// Poll thread: queues the job already written to `jobs[slot]`. Room is
    /// guaranteed by the channel's queue depth.
    @inline(__always)
    func enqueue(slot: Int32) {
        ring[enqueued % capacity] = slot
        enqueued &+= 1
    }

    /// Poll thread: makes queued jobs visible and wakes the helper.
    @inline(__always)
    func publish() {
        guard enqueued != published else { return }
        published = enqueued
        submitted.store(enqueued, ordering: .releasing)
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    /// Poll thread: the next finished slot, or nil. Lock-free: one acquire load.
    @inline(__always)
    func nextCompleted() -> Int32? {
        guard reaped < completed.load(ordering: .acquiring) else { return nil }
        let slot = ring[reaped % capacity]
        reaped &+= 1
        return slot
    }

    /// Control path: stops the helper after it has drained every published job.
    func stop() {
        stopping.store(true, ordering: .releasing)
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
        pthread_join(thread, nil)
        Glibc.close(wakeFD)
    }

    // MARK: Helper thread

    private func run() {
        _ = cshims_set_thread_name("nvmf-aio-helper")
        var done = 0
        while true {
            let target = submitted.load(ordering: .acquiring)
            while done < target {
                let slot = Int(ring[done % capacity])
                jobs[slot].result = execute(jobs[slot])
                done &+= 1
                completed.store(done, ordering: .releasing)
                var one: UInt64 = 1
                _ = write(notifyFD, &one, 8)
            }
            if stopping.load(ordering: .acquiring), done == submitted.load(ordering: .acquiring) {
                return
            }
            var counter: UInt64 = 0
            _ = read(wakeFD, &counter, 8)
        }
    }

    /// Runs one blocking operation; 0 or an errno value.
    private func execute(_ job: Job) -> Int32 {
        switch job.operation {
        case .flush:
            return fdatasync(fd) == 0 ? 0 : errno
        case .writeZeroes:
            if isBlockDevice { return cshims_blk_zeroout(fd, job.byteOffset, job.byteLength) }
            let rc = cshims_fallocate(
                fd, cshims_falloc_fl_zero_range() | cshims_falloc_fl_keep_size(),
                off_t(job.byteOffset), off_t(job.byteLength))
            if rc != EOPNOTSUPP { return rc }
            return writeZeroes(offset: job.byteOffset, length: job.byteLength)
        case .deallocate:
            if isBlockDevice { return cshims_blk_discard(fd, job.byteOffset, job.byteLength) }
            let rc = cshims_fallocate(
                fd, cshims_falloc_fl_punch_hole() | cshims_falloc_fl_keep_size(),
                off_t(job.byteOffset), off_t(job.byteLength))
            // A file system that cannot punch holes still owes zeroes afterwards.
            if rc != EOPNOTSUPP { return rc }
            return writeZeroes(offset: job.byteOffset, length: job.byteLength)
        case .read, .write:
            return EINVAL
        }
    }

    /// Fallback for file systems without FALLOC_FL_ZERO_RANGE: O_DIRECT
    /// writes from one zeroed megabyte (the range is block-aligned).
    private func writeZeroes(offset: UInt64, length: UInt64) -> Int32 {
        if zeroes == nil {
            var p: UnsafeMutableRawPointer?
            guard posix_memalign(&p, 4096, Self.zeroChunk) == 0, let p else { return ENOMEM }
            memset(p, 0, Self.zeroChunk)
            zeroes = p
        }
        var position = offset
        var left = length
        while left > 0 {
            let n = Int(min(left, UInt64(Self.zeroChunk)))
            let written = pwrite(fd, zeroes, n, off_t(position))
            if written < 0 {
                if errno == EINTR { continue }
                return errno
            }
            if written == 0 { return EIO }
            position &+= UInt64(written)
            left &-= UInt64(written)
        }
        return 0
    }
}
