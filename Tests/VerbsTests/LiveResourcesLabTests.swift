import CVerbs
import Glibc
import Testing

@testable import Verbs

/// Over a real device (rxe in the lab): every resource released in every order,
/// with the live count back to where it started (no leak) and no crash.
extension LabTests {
    @Suite struct LiveResourcesLabTests {
        /// All permutations of `0..<n`.
        static func permutations(_ n: Int) -> [[Int]] {
            if n == 1 { return [[0]] }
            return permutations(n - 1).flatMap { smaller in
                (0...smaller.count).map { position in
                    var next = smaller
                    next.insert(n - 1, at: position)
                    return next
                }
            }
        }

        @Test func verbsResourcesReleasedInEveryOrderLeaveNothingBehind() throws {
            let baseline = LiveResources.count
            let device = try Device.find(named: Lab.device)
            // context, PD, MR, channel, CQ, SRQ, QP: drop the six handles in all 720 orders.
            for order in Self.permutations(6) {
                var handles: [AnyObject?] = []
                do {
                    let context = try device.open()
                    let pd = try ProtectionDomain(context: context)
                    let mr = try pd.allocateRegion(byteCount: 4096, access: .all)
                    let channel = try CompletionChannel(context: context)
                    let cq = try CompletionQueue(context: context, capacity: 8, channel: channel)
                    let srq = try SharedReceiveQueue(protectionDomain: pd, capacity: 4, maxSGEsPerRequest: 1)
                    try srq.postReceive(id: 1, mr.scatterGatherEntry(length: 64))
                    let qp = try QueuePair(
                        protectionDomain: pd, sendCompletionQueue: cq, receiveCompletionQueue: cq,
                        sharedReceiveQueue: srq, capabilities: QueuePairCapabilities(maxSendWorkRequests: 4))
                    #expect(try qp.queryState() == .reset)
                    handles = [pd, mr, channel, cq, srq, qp]
                    _ = context
                }
                #expect(LiveResources.count == baseline + 7)
                for index in order { handles[index] = nil }
                #expect(LiveResources.count == baseline, "leak after release order \(order)")
            }
        }

        @Test func connectedPairsReleasedInEveryOrderLeaveNothingBehind() throws {
            let baseline = LiveResources.count
            // Loopback, server CQ, both endpoints' QPs and ids: five handles, 120 orders,
            // half of them disconnected first, half torn down while connected.
            for (round, order) in Self.permutations(5).enumerated() {
                var handles: [AnyObject?] = []
                do {
                    let lab = try Loopback()
                    let serverCQ = try CompletionQueue(context: lab.context, capacity: 16)
                    let srq = try SharedReceiveQueue(
                        protectionDomain: lab.protectionDomain, capacity: 4, maxSGEsPerRequest: 1)
                    let pair = try lab.connectPair(serverCQ: serverCQ, srq: srq)
                    if round % 2 == 0 {
                        try Lab.disconnect(
                            pair.server.id, on: lab.serverChannel, peer: pair.client.id, on: lab.clientChannel)
                    }
                    handles = [lab, serverCQ, srq, pair.client.queuePair, pair.server.queuePair]
                }
                for index in order { handles[index] = nil }
                #expect(LiveResources.count == baseline, "leak after release order \(order)")
            }
        }

        @Test func sharedReceiveQueueLimitRaisesAnAsyncEvent() throws {
            let lab = try Loopback()
            try lab.context.setAsyncEventsNonBlocking()
            while try lab.context.nextAsyncEvent() != nil {}  // drain port events from set-up
            let serverCQ = try CompletionQueue(context: lab.context, capacity: 32)
            let srq = try SharedReceiveQueue(
                protectionDomain: lab.protectionDomain, capacity: 8, maxSGEsPerRequest: 1)
            let memory = try lab.protectionDomain.allocateRegion(byteCount: 4096, access: .localWrite)
            for slot in 0..<4 {
                try srq.postReceive(
                    id: UInt64(slot), memory.scatterGatherEntry(offset: slot * 256, length: 256))
            }
            try srq.armLimit(2)
            #expect(try srq.queryLimit() == 2)
            let pair = try lab.connectPair(serverCQ: serverCQ, srq: srq)
            for id in 0..<3 {
                try pair.client.queuePair.postSend(
                    id: UInt64(id), memory.scatterGatherEntry(offset: 2048, length: 8))
            }
            #expect(try serverCQ.waitForCompletions(3).count == 3)

            var entry = pollfd(
                fd: lab.context.asyncEventFileDescriptor, events: Int16(POLLIN), revents: 0)
            #expect(poll(&entry, 1, 10_000) == 1)
            let event = try lab.context.nextAsyncEvent()
            #expect(event?.type == IBV_EVENT_SRQ_LIMIT_REACHED)
            #expect(event?.sharedReceiveQueue == srq.pointer)
            #expect(try srq.queryLimit() == 0)
        }
    }
}
