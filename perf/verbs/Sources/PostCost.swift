import CVerbs
import Glibc
import Verbs

/// Cost of building and posting a WRITE (unsignaled) + SEND (signaled) chain,
/// Swift API vs the same chain written in C, against a do-nothing provider.
///
/// Needs no device: the QP is a zeroed `ibv_qp` whose context's `post_send`
/// is a stub that only reads the chain. Run under callgrind for instruction
/// counts (`valgrind --tool=callgrind`; strip debug info first, see
/// docs/swift-interop.md) or plainly for ns/op.
enum PostCost {
    /// The stand-in provider: walks the chain (so no work can be skipped) and succeeds.
    static let stubPostSend:
        @convention(c) (
            UnsafeMutablePointer<ibv_qp>?, UnsafeMutablePointer<ibv_send_wr>?,
            UnsafeMutablePointer<UnsafeMutablePointer<ibv_send_wr>?>?
        ) -> Int32 = { _, chain, _ in
            var node = chain
            var sum: UInt64 = 0
            while let current = node {
                sum &+= current.pointee.wr_id &+ current.pointee.sg_list.pointee.addr
                node = current.pointee.next
            }
            return sum == 0xFFFF_FFFF_FFFF_FFFF ? 1 : 0
        }

    static func run(variant: String, iterations: Int) -> Int32 {
        let context = UnsafeMutablePointer<ibv_context>.allocate(capacity: 1)
        context.initialize(to: ibv_context())
        context.pointee.ops.post_send = stubPostSend
        let qp = UnsafeMutablePointer<ibv_qp>.allocate(capacity: 1)
        qp.initialize(to: ibv_qp())
        qp.pointee.context = context
        defer {
            qp.deallocate()
            context.deallocate()
        }
        let list = SendWorkRequestList(capacity: 8)
        let remote = RemoteAddress(address: 0x7000_0000, rkey: 0x1234)
        var failures: Int32 = 0
        let start = nanoseconds()
        switch variant {
        case "swift":
            for iteration in 0..<iterations {
                let id = UInt64(truncatingIfNeeded: iteration) &* 2
                list.appendRDMAWrite(
                    id: id, ScatterGatherEntry(address: 0x1000 &+ id, length: 4096, lkey: 7), to: remote)
                list.appendSend(id: id &+ 1, ScatterGatherEntry(address: 0x9000, length: 16, lkey: 9))
                do { try list.post(to: qp) } catch { failures &+= 1 }
            }
        case "swift-slot":
            // A request slot as a transport keeps it: WRITE → SEND linked once,
            // SGE pointers and opcodes set once; per I/O only ids, addresses, keys.
            let slot = UnsafeMutablePointer<SendWorkRequest>.allocate(capacity: 2)
            slot.initialize(repeating: SendWorkRequest(), count: 2)
            let sges = UnsafeMutablePointer<ibv_sge>.allocate(capacity: 2)
            sges.initialize(repeating: ibv_sge(), count: 2)
            defer {
                slot.deallocate()
                sges.deallocate()
            }
            slot[0].set(id: 0, opcode: .rdmaWrite, sges: sges, sgeCount: 1, flags: [])
            slot[1].set(id: 0, opcode: .send, sges: sges + 1, sgeCount: 1, flags: .signaled)
            slot[0].raw.next = UnsafeMutableRawPointer(slot + 1).assumingMemoryBound(to: ibv_send_wr.self)
            sges[1] = ScatterGatherEntry(address: 0x9000, length: 16, lkey: 9).raw
            for iteration in 0..<iterations {
                let id = UInt64(truncatingIfNeeded: iteration) &* 2
                sges[0] = ScatterGatherEntry(address: 0x1000 &+ id, length: 4096, lkey: 7).raw
                slot[0].raw.wr_id = id
                slot[0].raw.wr.rdma.remote_addr = remote.address
                slot[0].raw.wr.rdma.rkey = remote.rkey
                slot[1].raw.wr_id = id &+ 1
                do { try SendWorkRequest.post(chain: slot, to: qp) } catch { failures &+= 1 }
            }
        case "c":
            for iteration in 0..<iterations {
                let id = UInt64(truncatingIfNeeded: iteration) &* 2
                failures &+=
                    cverbs_reference_post_write_send(
                        qp, id, 0x1000 &+ id, 4096, 7, remote.address, remote.rkey, 0x9000, 9) == 0 ? 0 : 1
            }
        default:
            print(Options.usage)
            return 2
        }
        let elapsed = nanoseconds() &- start
        let perChain = Double(elapsed) / Double(max(iterations, 1))
        print(
            "post-cost \(variant): \(iterations) chains, \(Int(perChain * 100) / 100) ns per WRITE+SEND chain, failures \(failures)"
        )
        return failures == 0 ? 0 : 1
    }
}
