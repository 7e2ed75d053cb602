import Verbs

/// Registered command-capsule receive buffers for one receive queue (a poll
/// group's SRQ, or one connection's own receive queue with `no_srq`).
///
/// Entry `i` is a 64-byte SQE area plus a page-aligned in-capsule-data area
/// of `inCapsuleDataSize` bytes, received with a 2-SGE receive WR, so write
/// data sent in the capsule starts page-aligned and can go to O_DIRECT
/// without a copy. Reposts are batched: `repost` queues, `flush` posts the
/// batch with one verbs call (once per poll-loop iteration).
final class ReceiveBufferPool {
    let region: MemoryRegion
    let count: Int
    let inCapsuleDataSize: Int
    let inCapsuleStride: Int
    let commandAreaOffset: Int
    let sharedReceiveQueue: SharedReceiveQueue?
    /// The QP whose receive queue this is (`no_srq`); set once the QP exists.
    var queuePair: QueuePair?
    private let batch: ReceiveWorkRequestList

    init(
        protectionDomain: ProtectionDomain, count: Int, inCapsuleDataSize: Int,
        sharedReceiveQueue: SharedReceiveQueue?
    )
        throws(VerbsError)
    {
        self.count = count
        self.inCapsuleDataSize = inCapsuleDataSize
        inCapsuleStride = (inCapsuleDataSize + 4095) & ~4095
        commandAreaOffset = count * inCapsuleStride
        region = try protectionDomain.allocateRegion(
            byteCount: commandAreaOffset + count * 64, access: [.localWrite])
        self.sharedReceiveQueue = sharedReceiveQueue
        batch = ReceiveWorkRequestList(capacity: count, maxSGEsPerRequest: 2)
    }

    /// The 64-byte command area of entry `index`.
    @inline(__always)
    func command(_ index: Int) -> UnsafeMutableRawPointer {
        region.bytes.baseAddress! + (commandAreaOffset &+ index &* 64)
    }

    /// The in-capsule data area of entry `index`.
    @inline(__always)
    func inCapsuleData(_ index: Int) -> UnsafeMutableRawPointer {
        region.bytes.baseAddress! + (index &* inCapsuleStride)
    }

    /// Queues entry `index` for posting at the next `flush`.
    @inline(__always)
    func repost(_ index: Int) {
        // Receives are routed by the completion's QP number, not by wr_id.
        let id = WorkRequestID(kind: .receive, connection: 0, index: index).rawValue
        let base = region.address
        let commandSGE = ScatterGatherEntry(
            address: base &+ UInt64(commandAreaOffset &+ index &* 64), length: 64, lkey: region.lkey)
        if inCapsuleDataSize > 0 {
            let dataSGE = ScatterGatherEntry(
                address: base &+ UInt64(index &* inCapsuleStride), length: UInt32(inCapsuleDataSize),
                lkey: region.lkey)
            batch.append(id: id, commandSGE, dataSGE)
        } else {
            batch.append(id: id, commandSGE)
        }
    }

    /// Posts every queued receive with one call.
    @inline(__always)
    func flush() throws(VerbsError) {
        guard !batch.isEmpty else { return }
        if let srq = sharedReceiveQueue {
            try srq.postReceive(batch)
        } else if let qp = queuePair {
            try qp.postReceive(batch)
        } else {
            batch.removeAll()
            return
        }
    }

    /// Drops queued reposts (the receive queue is gone).
    func discardQueued() { batch.removeAll() }

    /// Queues and posts every entry (setup).
    func postAll() throws(VerbsError) {
        for index in 0..<count { repost(index) }
        try flush()
    }
}
