import Backends
import Foundation
import NVMe
import NVMfHost
import NVMfPerf
import Target
import Testing
import Verbs

/// Our own initiator (NVMfHost, nvmf-perf's engine) over Soft-RoCE in the lab
/// guest: against the in-process target, against a target that goes away
/// mid-run, and against a rogue target that answers a command never sent.
///
/// Nested in `RdmaTransportLabTests` so its `.serialized` trait covers these
/// too: both suites listen on port 4420, and swift-testing runs sibling
/// suites in parallel.
extension RdmaTransportLabTests {
    @Suite struct NVMfHostLabTests {

        func configuration(
            pattern: IOPattern = .randrw, depth: Int = 16, ioSize: Int = 4096, seconds: Int = 2, verify: Bool = true
        ) -> PerfConfiguration {
            PerfConfiguration(
                transportIDs: [
                    TransportID(address: RdmaLab.address, subsystemNQN: RdmaTransportLabTests.nqn)
                ],
                queueDepth: depth, ioSize: ioSize, pattern: pattern, readMix: 50, seconds: seconds, cores: [nil],
                queuesPerNamespace: 2, verify: verify, ioRange: 8 << 20, progress: false)
        }

        @Test func verifiedMixedRunLandsInTheTargetsMemory() throws {
            let fixture = try Fixture()
            let report = try PerfRun(configuration(), log: { _ in }).run()
            #expect(report.error == nil)
            #expect(report.total.ios > 100)
            #expect(report.total.errors == 0 && report.total.mismatches == 0)
            #expect(report.total.latency.totalCount == report.total.ios)
            // What the initiator wrote is in the target's RAM: block 1000 (512-byte blocks) carries its LBA and the seed.
            let block = fixture.device.baseAddress + 1000 * 512
            #expect(UInt64(littleEndian: block.loadUnaligned(as: UInt64.self)) == 1000)
            #expect(UInt64(littleEndian: block.loadUnaligned(fromByteOffset: 8, as: UInt64.self)) == 0x5EED)
            // The controller was shut down and every queue closed.
            #expect(RdmaLab.waitFor(seconds: 10) { fixture.transport.connectionCount == 0 })
        }

        @Test func aTargetThatGoesAwayEndsTheRunWithTheFiguresSoFar() throws {
            let fixture = try Fixture()
            let perf = PerfRun(configuration(pattern: .randread, seconds: 60, verify: false), log: { _ in })
            let outcome = Locked<Result<PerfReport, HostError>?>(nil)
            let started = Date()
            let thread = Thread {
                outcome.set(Result { () throws(HostError) -> PerfReport in try perf.run() })
            }
            thread.start()
            #expect(RdmaLab.waitFor(seconds: 30) { fixture.transport.connectionCount >= 3 })
            Thread.sleep(forTimeInterval: 1)  // let I/O run before the target goes (not a synchronisation)
            fixture.transport.shutdown()
            #expect(
                RdmaLab.waitFor(seconds: 20) { outcome.get() != nil }, "the run did not end after the target went away")
            let elapsed = Date().timeIntervalSince(started)
            let report = try #require(try outcome.get()?.get())
            #expect(elapsed < 45)
            #expect(report.error?.contains("closed the connection") == true, "\(report.error ?? "no error")")
            #expect(report.total.ios > 0)
            #expect(report.total.seconds < 60)
        }

        @Test func aCompletionForACommandNotOutstandingIsAnErrorNotACrash() throws {
            let rogue = try RogueTarget(port: 4431, answerCommandIDOffset: 77)
            let error = #expect(throws: HostError.self) {
                _ = try HostSession(
                    TransportID(address: RdmaLab.address, port: 4431, subsystemNQN: "nqn.2026-12.io.swift:rogue"),
                    identity: HostIdentity.local())
            }
            #expect(error?.description.contains("not outstanding") == true, "\(error?.description ?? "")")
            rogue.stop()
        }

        @Test func aTargetThatNeverAnswersTimesOutInBoundedTime() throws {
            let rogue = try RogueTarget(port: 4432, answerCommandIDOffset: nil)
            let started = Date()
            let error = #expect(throws: HostError.self) {
                let queue = try RdmaHostQueue(
                    address: RdmaLab.address, port: 4432,
                    options: .init(queueID: 0, depth: 32, dataBytesPerSlot: 4096))
                _ = try HostController(
                    admin: queue, subsystemNQN: "nqn.2026-12.io.swift:silent",
                    hostNQN: "nqn.2014-08.org.nvmexpress:uuid:1",
                    hostID: Array(repeating: 1, count: 16), keepAliveTimeoutMilliseconds: 0)
            }
            #expect(Date().timeIntervalSince(started) < 20)
            #expect(error?.description.contains("no completion") == true, "\(error?.description ?? "")")
            rogue.stop()
        }

        @Test func refusalsReachTheUserInWords() throws {
            let fixture = try Fixture(allowAnyHost: false)
            let notAllowed = #expect(throws: HostError.self) {
                _ = try HostSession(
                    TransportID(address: RdmaLab.address, subsystemNQN: RdmaTransportLabTests.nqn),
                    identity: HostIdentity.local(
                        nqn: "nqn.2014-08.org.nvmexpress:uuid:00000000-0000-4000-8000-00000000beef"))
            }
            #expect(notAllowed?.description.contains("invalid host") == true)
            let nobody = #expect(throws: HostError.self) {
                _ = try HostSession(
                    TransportID(address: RdmaLab.address, port: 4499, subsystemNQN: RdmaTransportLabTests.nqn),
                    identity: HostIdentity.local())
            }
            #expect(nobody?.description.contains("nothing listens") == true, "\(nobody?.description ?? "")")
            _ = fixture
        }
    }

}

/// A value handed between threads.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func get() -> Value { lock.withLock { value } }
    func set(_ newValue: Value) { lock.withLock { value = newValue } }
}

/// A CM listener that accepts one NVMe-oF queue and misbehaves: it answers the
/// first command with a CQE whose command ID is off by `answerCommandIDOffset`,
/// or (nil) never answers at all.
final class RogueTarget: @unchecked Sendable {
    let channel: EventChannel
    let listener: ConnectionID
    private let done = Locked(false)
    private var thread: Thread?

    init(port: UInt16, answerCommandIDOffset: UInt16?) throws {
        channel = try EventChannel()
        listener = try ConnectionID(channel: channel)
        try listener.bind(to: try #require(SocketAddress(host: RdmaLab.address, port: port)))
        try listener.listen(backlog: 4)
        let thread = Thread { [channel, done] in
            guard let request = try? channel.nextEvent(timeoutMilliseconds: 30_000), request.type == .connectRequest,
                let context = request.id.deviceContext,
                let pd = try? ProtectionDomain(context: context),
                let cq = try? CompletionQueue(context: context, capacity: 64),
                let qp = try? QueuePair(
                    connection: request.id, protectionDomain: pd, sendCompletionQueue: cq, receiveCompletionQueue: cq,
                    capabilities: QueuePairCapabilities(
                        maxSendWorkRequests: 8, maxReceiveWorkRequests: 8, maxReceiveSGEs: 1)),
                let memory = try? pd.allocateRegion(byteCount: 8192, access: [.localWrite])
            else { return }
            try? qp.postReceive(id: 1, memory.scatterGatherEntry(offset: 0, length: 4096))
            var accept = [UInt8](repeating: 0, count: RDMAAcceptPrivateData.wireSize)
            accept.withUnsafeMutableBytes { RDMAAcceptPrivateData(controllerReceiveQueueSize: 32).encode(into: $0) }
            try? request.id.accept(privateData: accept, initiatorDepth: 0, responderResources: 0)
            let completions = WorkCompletionBuffer(capacity: 4)
            var answered = false
            while !done.get() {
                if let event = try? channel.nextEvent(timeoutMilliseconds: 1), event.type == .disconnected {
                    try? request.id.disconnect()
                }
                let count = (try? cq.poll(into: completions.completions)) ?? 0
                for index in 0..<count where completions[index].opcode.isReceive && !answered {
                    answered = true
                    guard let offset = answerCommandIDOffset else { continue }
                    let command = SubmissionQueueEntry(bytes: memory.bytes.baseAddress!)
                    CompletionQueueEntry(commandID: command.commandID &+ offset).write(
                        to: memory.bytes.baseAddress! + 4096)
                    try? qp.postSend(id: 2, memory.scatterGatherEntry(offset: 4096, length: 16))
                }
            }
            _ = qp
        }
        self.thread = thread
        thread.start()
    }

    func stop() { done.set(true) }
}
