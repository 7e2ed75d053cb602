import CAio
import CShims
import Glibc

/// One poll-group thread's path to an `AioBlockDevice`: its own io_context,
/// iocbs, eventfd and helper thread, all allocated when the channel opens.
///
/// Data moves by O_DIRECT straight between the caller's buffer and the disk.
/// `submit` only fills a preallocated iocb; `flushSubmissions` hands the queued
/// iocbs to the kernel in `io_submit` calls of at most `submitBatchLimit`;
/// `poll` reaps with
/// `io_getevents(min 0, timeout 0)`, which libaio answers from the
/// user-space completion ring without a syscall when nothing has finished.
/// Every iocb carries the channel's eventfd (`io_set_eventfd`), and the helper
/// thread bumps the same eventfd, so one descriptor covers interrupt mode.
///
/// Not thread-safe: only the creating thread may use it.
public final class AioChannel: BlockDeviceChannel {
    /// What the channel remembers about an operation until it is reaped.
    @usableFromInline
    struct Slot {
        /// The caller's tag.
        var tag: UInt64 = 0
        /// Bytes a read or write must move; 0 for operations without data.
        var expectedBytes = 0
        /// Picks `.readFailed` vs `.writeFailed` for an errno.
        var isRead = false
        /// errno when `io_submit` refused the iocb.
        var refusal: Int32 = 0
    }

    private let device: AioBlockDevice
    private let fd: Int32
    private let blockSize: Int
    private let capacity: UInt64
    private let readOnly: Bool
    private let alignment: Int
    private let asyncFlush: Bool
    private let rwfDsync: UInt32
    private let queueDepth: Int
    private let context: io_context_t
    private let iocbs: UnsafeMutablePointer<iocb>
    private let slots: UnsafeMutablePointer<Slot>
    /// Stack of free slot numbers; `freeCount` of them are valid.
    private let freeSlots: UnsafeMutablePointer<Int32>
    @exclusivity(unchecked) private var freeCount: Int
    /// iocbs queued by `submit` for the next `io_submit`.
    private let pending: UnsafeMutablePointer<UnsafeMutablePointer<iocb>?>
    @exclusivity(unchecked) private var pendingCount = 0
    /// Slots `io_submit` refused; reported on the next poll.
    private let refused: UnsafeMutablePointer<Int32>
    @exclusivity(unchecked) private var refusedCount = 0
    private let events: UnsafeMutablePointer<io_event>
    /// iocbs the kernel accepted and has not yet completed.
    @exclusivity(unchecked) private var aioOutstanding = 0
    private var zeroTimeout = timespec(tv_sec: 0, tv_nsec: 0)
    private let worker: BlockingWorker
    private var isClosed = false

    /// Most iocbs handed to one `io_submit`. The kernel plugs the block
    /// queue for the whole call, so a long batch keeps the device idle until
    /// its last iocb is built; a few at a time overlaps submission with
    /// device work (see perf/backends/RESULTS.md, where 4 was chosen; the
    /// `NVMF_AIO_SUBMIT_BATCH` environment knob of those measurements is gone).
    public var submitBatchLimit: Int = 4

    public let notificationFD: Int32
    /// Mutable counters of the hot path skip Swift's dynamic exclusivity
    /// checks: only the owning thread touches them, one access at a time.
    @exclusivity(unchecked) public private(set) var inFlight = 0
    /// The kernel does all of an operation's work; nothing waits for `poll`.
    public var hasDeferredWork: Bool { false }

    init(device: AioBlockDevice, queueDepth: Int) throws(BlockDeviceError) {
        var ctx: io_context_t?
        let rc = io_setup(Int32(queueDepth), &ctx)
        guard rc == 0, let ctx else {
            throw .setup(
                "bdev \(device.name): io_setup(\(queueDepth)) failed: \(String(cString: strerror(-rc)))"
                    + (rc == -EAGAIN ? " (raise /proc/sys/fs/aio-max-nr)" : ""))
        }
        let efd = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        guard efd >= 0 else {
            io_destroy(ctx)
            throw .setup("bdev \(device.name): eventfd failed: \(String(cString: strerror(errno)))")
        }
        do {
            worker = try BlockingWorker(
                fd: device.fd, isBlockDevice: device.isBlockDevice, notifyFD: efd, slots: queueDepth)
        } catch {
            io_destroy(ctx)
            Glibc.close(efd)
            throw error
        }
        self.device = device
        self.fd = device.fd
        self.blockSize = device.blockSize
        self.capacity = device.blockCount
        self.readOnly = device.isReadOnly
        self.alignment = device.requiredBufferAlignment
        self.asyncFlush = device.supportsAsyncFlush
        self.rwfDsync = UInt32(cshims_rwf_dsync())
        self.queueDepth = queueDepth
        self.context = ctx
        self.notificationFD = efd
        iocbs = .allocate(capacity: queueDepth)
        iocbs.initialize(repeating: iocb(), count: queueDepth)
        slots = .allocate(capacity: queueDepth)
        slots.initialize(repeating: Slot(), count: queueDepth)
        freeSlots = .allocate(capacity: queueDepth)
        for i in 0..<queueDepth { freeSlots[i] = Int32(queueDepth - 1 - i) }
        freeCount = queueDepth
        pending = .allocate(capacity: queueDepth)
        refused = .allocate(capacity: queueDepth)
        events = .allocate(capacity: queueDepth)
    }

    deinit {
        close()
        iocbs.deallocate()
        slots.deallocate()
        freeSlots.deallocate()
        pending.deallocate()
        refused.deallocate()
        events.deallocate()
    }

    public func submit(_ request: BlockRequest) -> BlockSubmitResult {
        if let error = request.validationError(
            blockSize: blockSize, capacity: capacity, readOnly: readOnly, alignment: alignment)
        {
            return .failed(error)
        }
        guard freeCount > 0 else { return .busy }
        freeCount &-= 1
        let slot = Int(freeSlots[freeCount])
        let offset = Int64(request.startingBlock) &* Int64(blockSize)
        let length = request.transferLength(blockSize: blockSize)
        slots[slot] = Slot(
            tag: request.tag, expectedBytes: length, isRead: request.operation == .read, refusal: 0)
        let cb = iocbs + slot
        switch request.operation {
        case .read:
            io_prep_pread(cb, fd, request.buffer.baseAddress, length, offset)
        case .write:
            io_prep_pwrite(cb, fd, request.buffer.baseAddress, length, offset)
            // FUA: the kernel completes this write only once it is durable.
            if request.forceUnitAccess { cb.pointee.aio_rw_flags = rwfDsync }
        case .flush where asyncFlush:
            io_prep_fdsync(cb, fd)
        case .flush, .writeZeroes, .deallocate:
            worker.jobs[slot] = BlockingWorker.Job(
                operation: request.operation, byteOffset: UInt64(offset),
                byteLength: UInt64(request.blockCount) &* UInt64(blockSize), result: 0)
            worker.enqueue(slot: Int32(slot))
            inFlight &+= 1
            return .accepted
        }
        io_set_eventfd(cb, notificationFD)
        pending[pendingCount] = cb
        pendingCount &+= 1
        inFlight &+= 1
        return .accepted
    }

    public func flushSubmissions() {
        worker.publish()
        var start = 0
        while start < pendingCount {
            let rc = Int(io_submit(context, min(pendingCount &- start, submitBatchLimit), pending + start))
            if rc > 0 {
                start &+= rc
                aioOutstanding &+= rc
            } else if rc == -Int(EINTR) {
                continue
            } else if rc == 0 || rc == -Int(EAGAIN) {
                break  // The kernel is short of resources: retry on the next flush.
            } else {
                // The first iocb was refused outright (e.g. EINVAL, EBADF): it
                // completes with that error on the next poll.
                let slot = iocbs.distance(to: pending[start]!)
                slots[slot].refusal = Int32(-rc)
                refused[refusedCount] = Int32(slot)
                refusedCount &+= 1
                start &+= 1
            }
        }
        if start > 0 {
            let left = pendingCount &- start
            var i = 0
            while i < left {  // Front-to-back copy: the destination lies below the source.
                pending[i] = pending[start &+ i]
                i &+= 1
            }
            pendingCount = left
        }
    }

    public func poll(maxCompletions: Int, _ body: (BlockCompletion) -> Void) -> Int {
        reap(minimum: 0, maxCompletions: maxCompletions, timeout: &zeroTimeout, body)
    }

    /// Sleeps in `io_getevents` until at least one libaio operation completes
    /// (or `timeoutNanoseconds` pass), then reaps like `poll`.
    ///
    /// For a thread that serves only this channel (a benchmark, or a
    /// dedicated I/O thread): one syscall per wake-up instead of
    /// poll(2) + read(2) on the eventfd. A poll group serving many devices
    /// waits on `notificationFD` instead. Operations on the helper thread
    /// (flush fallback, write zeroes, deallocate) do not end the wait early.
    public func waitAndPoll(
        maxCompletions: Int, timeoutNanoseconds: Int, _ body: (BlockCompletion) -> Void
    ) -> Int {
        var timeout = timespec(tv_sec: timeoutNanoseconds / 1_000_000_000, tv_nsec: timeoutNanoseconds % 1_000_000_000)
        return reap(minimum: aioOutstanding > 0 ? 1 : 0, maxCompletions: maxCompletions, timeout: &timeout, body)
    }

    @inline(__always)
    private func reap(
        minimum: Int, maxCompletions: Int, timeout: UnsafeMutablePointer<timespec>, _ body: (BlockCompletion) -> Void
    ) -> Int {
        var reaped = 0
        if aioOutstanding > 0, maxCompletions > 0 {
            let n = Int(io_getevents(context, minimum, min(maxCompletions, queueDepth), events, timeout))
            var i = 0
            while i < n {
                let event = events[i]
                let slot = iocbs.distance(to: event.obj)
                let s = slots[slot]
                let result = Int(bitPattern: UInt(event.res))
                let error: BlockDeviceError?
                if result < 0 {
                    error =
                        s.isRead ? .readFailed(errno: Int32(-result)) : .writeFailed(errno: Int32(-result))
                } else if result != s.expectedBytes {
                    error = .shortTransfer
                } else {
                    error = nil
                }
                release(slot)
                body(BlockCompletion(tag: s.tag, error: error))
                i &+= 1
            }
            aioOutstanding &-= max(n, 0)
            reaped = max(n, 0)
        }
        while reaped < maxCompletions, let slot32 = worker.nextCompleted() {
            let slot = Int(slot32)
            let result = worker.jobs[slot].result
            let tag = slots[slot].tag
            release(slot)
            body(BlockCompletion(tag: tag, error: result == 0 ? nil : .writeFailed(errno: result)))
            reaped &+= 1
        }
        while reaped < maxCompletions, refusedCount > 0 {
            refusedCount &-= 1
            let slot = Int(refused[refusedCount])
            let s = slots[slot]
            release(slot)
            body(
                BlockCompletion(
                    tag: s.tag,
                    error: s.isRead ? .readFailed(errno: s.refusal) : .writeFailed(errno: s.refusal)))
            reaped &+= 1
        }
        return reaped
    }

    @inline(__always)
    private func release(_ slot: Int) {
        freeSlots[freeCount] = Int32(slot)
        freeCount &+= 1
        inFlight &-= 1
    }

    public func acknowledgeNotification() {
        var counter: UInt64 = 0
        _ = read(notificationFD, &counter, 8)
    }

    /// Submits anything still queued, waits (sleeping on the eventfd) until
    /// every operation has completed, then stops the helper and frees the
    /// io_context. Completions reaped here are dropped: the caller is done.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        while inFlight > 0 {
            flushSubmissions()
            if poll(maxCompletions: queueDepth, { _ in }) == 0 {
                var pfd = pollfd(fd: notificationFD, events: Int16(POLLIN), revents: 0)
                _ = Glibc.poll(&pfd, 1, 100)
                acknowledgeNotification()
            }
        }
        worker.stop()
        io_destroy(context)
        Glibc.close(notificationFD)
        _ = device  // The device (and its fd) outlives every channel.
    }
}
