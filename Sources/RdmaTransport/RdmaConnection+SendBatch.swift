import CVerbs
import Verbs

// Doorbell batching. Under rxe every `ibv_post_send` is a system call that
// runs the requester in the caller's context, so a poll iteration that
// completes 32 commands must not make 32 calls. `postRead` and
// `postResponse` only link their WRs (kept in the request slots) onto the
// connection's pending chain and account them in `sendDepth` at once; the
// poll group posts each connection's chain with one call after the
// iteration's completions and backend events are handled
// (`RdmaPollGroup.flushSends`). RC ordering within one chain keeps each
// RDMA WRITE ahead of its response SEND.

extension RdmaConnection {
    /// Appends the WRs `first...last` (already linked, `last.next == nil`) to the pending chain.
    @inline(__always)
    func queueSends(
        first: UnsafeMutablePointer<SendWorkRequest>, last: UnsafeMutablePointer<SendWorkRequest>
    ) {
        if let tail = pendingSendTail {
            tail.pointee.raw.next = UnsafeMutableRawPointer(first).assumingMemoryBound(to: ibv_send_wr.self)
            pendingSendTail = last
        } else {
            pendingSendHead = first
            pendingSendTail = last
            group.needsSendFlush(index)  // May post at once; the chain is complete by now.
        }
    }

    /// Posts the pending chain with one `ibv_post_send`. On failure the WRs
    /// from the refused one on are undone and the connection closes.
    @inline(__always)
    func flushSends() {
        guard let head = pendingSendHead else { return }
        pendingSendHead = nil
        pendingSendTail = nil
        guard let qp = queuePair, !isClosing else {
            dropQueuedSends(from: head)
            return
        }
        var bad: UnsafeMutablePointer<ibv_send_wr>? = nil
        let rc = ibv_post_send(
            qp.pointer, UnsafeMutableRawPointer(head).assumingMemoryBound(to: ibv_send_wr.self), &bad)
        guard rc != 0 else { return }
        logger.error("ibv_post_send failed; closing the connection", metadata: ["errno": "\(rc)"])
        dropQueuedSends(
            from: bad.map { UnsafeMutableRawPointer($0).assumingMemoryBound(to: SendWorkRequest.self) } ?? head)
        close()
    }

    /// Undoes the accounting of queued WRs that were never posted, from
    /// `first` to the end of the chain, and frees their requests.
    func dropQueuedSends(from first: UnsafeMutablePointer<SendWorkRequest>?) {
        if first == pendingSendHead {
            pendingSendHead = nil
            pendingSendTail = nil
        }
        var slots: [Int] = []  // Error path only.
        var wr = first
        while let current = wr {
            wr = current.pointee.raw.next.map {
                UnsafeMutableRawPointer($0).assumingMemoryBound(to: SendWorkRequest.self)
            }
            current.pointee.raw.next = nil
            let id = WorkRequestID(rawValue: current.pointee.raw.wr_id)
            let slot = id.index
            guard slot < slotCount, let kind = id.kind else { continue }
            sendDepth &-= 1
            requests[slot].sendWorkRequests &-= 1
            switch kind {
            case .read:
                readsInFlight &-= 1
                slots.append(slot)
            case .send:
                slots.append(slot)
            case .write, .receive:
                break
            }
        }
        for slot in slots {
            requests[slot].sendWorkRequests = 0
            requests[slot].state = .executed
            release(slot)
        }
    }
}
