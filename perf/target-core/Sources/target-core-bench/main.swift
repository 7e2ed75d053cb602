// Benchmark: time and instructions per 4 KiB read command through the
// target core (plan + execute + backend submit + poll + completion routing)
// on a memory block device over the in-process transport.
//
// Usage: target-core-bench [iterations] [queue-depth] [ana|write|write-resv]
// "ana": the subsystem reports ANA and the queues come through a listener,
// so every read passes the ANA state check (issue 14). "write": 4 KiB
// writes instead of reads; "write-resv": the same with a Write Exclusive
// reservation held by the writing host (issue 15).
// Prints ns/command. For instructions per command run it twice under
// callgrind with different iteration counts (see RESULTS.md).
import Backends
import NVMe
import Target

let arguments = CommandLine.arguments
let iterations = arguments.count > 1 ? Int(arguments[1]) ?? 1_000_000 : 1_000_000
let queueDepth = arguments.count > 2 ? Int(arguments[2]) ?? 1 : 1
let mode = arguments.count > 3 ? arguments[3] : ""
let anaReporting = mode == "ana"
let writing = mode.hasPrefix("write")

let hostNQN = "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555"
let target = NVMfTarget()
let subsystem = try target.addSubsystem(
    nqn: "nqn.2026-01.io.swift:bench", allowAnyHost: true, anaReporting: anaReporting)
let listener: ListenerAddress? = anaReporting ? ListenerAddress(address: "10.0.0.1") : nil
if let listener { try subsystem.addListener(listener) }
let blockCount: UInt64 = 16384  // 64 MiB of 4 KiB blocks
try subsystem.addNamespace(device: BenchMemoryDevice(blockSize: 4096, blockCount: blockCount))
try subsystem.start()
let group = target.makePollGroup()
let options = TransportOptions()

/// Runs one control command to completion (setup only).
func control(_ q: InProcessQueue, _ command: SubmissionQueueEntry, data: [UInt8] = []) -> CompletionQueueEntry {
    q.buffers[0].copyIn(data)
    q.submit(command, slot: 0)
    group.poll()
    guard let c = q.nextCompletion() else { fatalError("no completion") }
    guard c.entry.nvmeStatus.isSuccess else { fatalError("setup command failed: \(c.entry.nvmeStatus)") }
    return c.entry
}

func connectData(_ controllerID: UInt16) -> [UInt8] {
    ConnectData(hostID: Array(1...16), controllerID: controllerID, subsystemNQN: subsystem.nqn, hostNQN: hostNQN)
        .encoded
}

let admin = try InProcessQueue(
    pollGroup: group, options: options, slotCount: 4, bufferSize: 8192, listener: listener)
let cntlid = UInt16(
    truncatingIfNeeded: control(
        admin, ConnectCommand(queueID: 0, submissionQueueSize: 31, keepAliveTimeout: 0).entry,
        data: connectData(0xFFFF)
    ).dword0)
_ = control(admin, PropertyCommand.set(offset: PropertyOffset.configuration, value: 0x46_0001, eightBytes: false).entry)
let io = try InProcessQueue(
    pollGroup: group, options: options, slotCount: max(queueDepth, 1), bufferSize: 4096, listener: listener)
_ = control(
    io, ConnectCommand(queueID: 1, submissionQueueSize: 127, keepAliveTimeout: 0).entry, data: connectData(cntlid))

if mode == "write-resv" {
    // Register key 1 and take a Write Exclusive reservation on this host's I/O queue.
    var register = SubmissionQueueEntry(opcode: IOOpcode.reservationRegister, namespaceID: 1)
    register.dataPointer = .keyed(address: 0x1000, length: 16, key: 1, invalidate: false)
    _ = control(io, register, data: [0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0])
    var acquire = SubmissionQueueEntry(opcode: IOOpcode.reservationAcquire, namespaceID: 1)
    acquire.cdw10 = UInt32(ReservationType.writeExclusive.rawValue) << 8
    acquire.dataPointer = .keyed(address: 0x1000, length: 16, key: 1, invalidate: false)
    _ = control(io, acquire, data: [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
}

var read = ReadWriteCommand(
    opcode: writing ? IOOpcode.write : IOOpcode.read, namespaceID: 1, startingLBA: 0, blockCount: 1,
    dataPointer: .keyed(address: 0x1000, length: 4096, key: 1, invalidate: true)
).entry

/// The measured loop: keep `queueDepth` reads in flight; each completion
/// frees its slot for the next read.
@inline(never)
func run(_ count: Int) -> Int {
    var submittedCount = 0
    var completedCount = 0
    var lba: UInt64 = 0
    var errors = 0
    for slot in 0..<min(queueDepth, count) {
        read.commandID = UInt16(truncatingIfNeeded: submittedCount)
        read.cdw10 = UInt32(truncatingIfNeeded: lba)
        io.submit(read, slot: UInt32(slot))
        lba = (lba &+ 1) & (blockCount - 1)
        submittedCount += 1
    }
    while completedCount < count {
        group.poll()
        while let c = io.nextCompletion() {
            completedCount += 1
            if !c.entry.nvmeStatus.isSuccess || c.bytesToHost != (writing ? 0 : 4096) { errors += 1 }
            if submittedCount < count {
                read.commandID = UInt16(truncatingIfNeeded: submittedCount)
                read.cdw10 = UInt32(truncatingIfNeeded: lba)
                io.submit(read, slot: c.slot)
                lba = (lba &+ 1) & (blockCount - 1)
                submittedCount += 1
            }
        }
    }
    return errors
}

_ = run(min(iterations, 10_000))  // warm up: opens the channel, touches the memory
let clock = ContinuousClock()
var errors = 0
let elapsed = clock.measure { errors = run(iterations) }
let ns = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
print(
    "4 KiB \(writing ? "writes" : "reads")\(mode.isEmpty ? "" : " (\(mode))"): \(iterations) at QD \(queueDepth), \(oneDecimal(ns / Double(iterations))) ns/command, errors \(errors)"
)

func oneDecimal(_ value: Double) -> String {
    let scaled = (value * 10).rounded() / 10
    return "\(scaled)"
}
