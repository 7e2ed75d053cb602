import Backends
import CRBD
import Glibc

/// One poll-group thread's path to an `RBDBlockDevice`.
///
/// `submit` hands the operation to librbd at once (librbd queues and sends
/// it on its own threads; there is nothing to batch). librbd finishes it on
/// one of its threads, which pushes the slot onto the channel's `crbd_queue`
/// and bumps the eventfd; `poll` takes every finished slot in one atomic
/// exchange. Everything is allocated when the channel opens.
///
/// Not thread-safe: only the thread that opened it may use it (a debug
/// build checks).
public final class RBDChannel: BlockDeviceChannel {
    struct Slot {
        var tag: UInt64 = 0
        /// Bytes a read must return; 0 for the rest.
        var expectedBytes = 0
        var isRead = false
    }

    private let device: RBDBlockDevice
    private let image: crbd_image_t
    private let queue: OpaquePointer
    private let slots: UnsafeMutablePointer<Slot>
    private let freeSlots: UnsafeMutablePointer<Int32>
    @exclusivity(unchecked) private var freeCount: Int
    /// The rest of a chain of finished slots that one `poll` did not take.
    @exclusivity(unchecked) private var pendingChain: Int32 = -1
    private let queueDepth: Int
    private let blockSize: Int
    private let capacity: UInt64
    private let readOnly: Bool
    private let flushAfterFUA: Bool
    private var isClosed = false
    #if DEBUG
        private let owner = pthread_self()
    #endif

    public let notificationFD: Int32
    @exclusivity(unchecked) public private(set) var inFlight = 0
    public var hasDeferredWork: Bool { false }

    init(device: RBDBlockDevice, queueDepth: Int) throws(BlockDeviceError) {
        let fd = crbd_eventfd()
        guard fd >= 0 else {
            throw .setup("bdev \(device.name): cannot create an eventfd: \(String(cString: strerror(errno)))")
        }
        guard let queue = crbd_queue_create(Int32(queueDepth), fd) else {
            Glibc.close(fd)
            throw .setup("bdev \(device.name): out of memory for \(queueDepth) slots")
        }
        self.device = device
        self.image = device.image
        self.queue = queue
        self.notificationFD = fd
        self.queueDepth = queueDepth
        self.blockSize = device.blockSize
        self.capacity = device.blockCount
        self.readOnly = device.isReadOnly
        self.flushAfterFUA = device.hasVolatileWriteCache
        slots = .allocate(capacity: queueDepth)
        slots.initialize(repeating: Slot(), count: queueDepth)
        freeSlots = .allocate(capacity: queueDepth)
        for i in 0..<queueDepth { freeSlots[i] = Int32(queueDepth - 1 - i) }
        freeCount = queueDepth
    }

    deinit { close() }

    @inline(__always)
    private func assertOwner() {
        #if DEBUG
            assert(pthread_equal(owner, pthread_self()) != 0, "RBDChannel used from a thread that does not own it")
        #endif
    }

    public func submit(_ request: BlockRequest) -> BlockSubmitResult {
        assertOwner()
        if let error = request.validationError(
            blockSize: blockSize, capacity: capacity, readOnly: readOnly, alignment: 1)
        {
            return .failed(error)
        }
        guard freeCount > 0 else { return .busy }
        freeCount &-= 1
        let slot = freeSlots[freeCount]
        // Validation bounds blockCount × blockSize by the image size, so
        // neither product can overflow.
        let offset = request.startingBlock &* UInt64(blockSize)
        let length = Int(request.blockCount) &* blockSize
        let rc: Int32
        var isRead = false
        switch request.operation {
        case .read:
            isRead = true
            rc = crbd_aio_read(image, queue, slot, offset, length, request.buffer.baseAddress)
        case .write:
            rc = crbd_aio_write(
                image, queue, slot, offset, length, request.buffer.baseAddress,
                request.forceUnitAccess && flushAfterFUA ? 1 : 0)
        case .flush:
            rc = crbd_aio_flush(image, queue, slot)
        case .writeZeroes:
            rc = crbd_aio_write_zeroes(image, queue, slot, offset, length)
        case .deallocate:
            rc = crbd_aio_discard(image, queue, slot, offset, UInt64(length))
        }
        guard rc == 0 else {
            freeSlots[freeCount] = slot
            freeCount &+= 1
            return .failed(Self.error(errno: -rc, isRead: isRead))
        }
        slots[Int(slot)] = Slot(tag: request.tag, expectedBytes: isRead ? length : 0, isRead: isRead)
        inFlight &+= 1
        return .accepted
    }

    /// librbd sends at submit; nothing is held back.
    public func flushSubmissions() {}

    public func poll(maxCompletions: Int, _ body: (BlockCompletion) -> Void) -> Int {
        assertOwner()
        var next = pendingChain >= 0 ? pendingChain : crbd_queue_take(queue)
        var reaped = 0
        while next >= 0, reaped < maxCompletions {
            let slot = next
            next = crbd_queue_next(queue, slot)
            let result = crbd_queue_result(queue, slot)
            let s = slots[Int(slot)]
            freeSlots[freeCount] = slot
            freeCount &+= 1
            inFlight &-= 1
            reaped &+= 1
            let error: BlockDeviceError?
            if result < 0 {
                error = Self.error(errno: Int32(truncatingIfNeeded: -result), isRead: s.isRead)
            } else if s.isRead, result != Int64(s.expectedBytes) {
                error = .shortTransfer
            } else {
                error = nil
            }
            body(BlockCompletion(tag: s.tag, error: error))
        }
        pendingChain = next
        return reaped
    }

    public func acknowledgeNotification() {
        var value: UInt64 = 0
        _ = read(notificationFD, &value, MemoryLayout<UInt64>.size)
    }

    /// Waits for every operation librbd holds (bounded by
    /// `rados_osd_op_timeout`), then frees the channel.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        while inFlight > 0 {
            if poll(maxCompletions: queueDepth, { _ in }) == 0 {
                var p = pollfd(fd: notificationFD, events: Int16(POLLIN), revents: 0)
                _ = Glibc.poll(&p, 1, 100)
                acknowledgeNotification()
            }
        }
        crbd_queue_destroy(queue)
        Glibc.close(notificationFD)
        slots.deallocate()
        freeSlots.deallocate()
    }

    /// librbd's errno as a block device error. Timeouts and a fenced or
    /// closed client mean the cluster cannot be reached from here: the host
    /// should retry, on another path if it has one. The rest are failures of
    /// the operation itself.
    static func error(errno e: Int32, isRead: Bool) -> BlockDeviceError {
        switch e {
        case ETIMEDOUT, ESHUTDOWN, ENOTCONN, ECONNRESET, EROFS:
            // ESHUTDOWN is EBLOCKLISTED; EROFS is an exclusive lock this
            // client no longer holds.
            return .unavailable(errno: e)
        default:
            return isRead ? .readFailed(errno: e) : .writeFailed(errno: e)
        }
    }
}
