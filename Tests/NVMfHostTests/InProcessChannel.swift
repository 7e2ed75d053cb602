import NVMe
import NVMfHost
import Target

/// `CommandChannel` over the target core's in-process transport: the host's
/// controller logic against the real target, without RDMA.
final class InProcessChannel: CommandChannel {
    let group: PollGroup
    let queue: InProcessQueue
    var executed: [SubmissionQueueEntry] = []

    init(_ group: PollGroup, slots: Int = 4) throws {
        self.group = group
        queue = try InProcessQueue(
            pollGroup: group, options: TransportOptions(inCapsuleDataSize: 4096, maxIOSize: 128 * 1024),
            slotCount: slots, bufferSize: 128 * 1024)
    }

    deinit { queue.hostDisconnect() }

    func execute(
        _ command: SubmissionQueueEntry, dataOut: [UInt8], dataInLength: Int, timeoutMilliseconds: Int
    ) throws(HostError) -> CommandOutcome {
        var entry = command
        entry.commandID = UInt16(executed.count & 0xFFFF)
        entry.flags = SubmissionQueueEntry.sglFlags
        let length = max(dataOut.count, dataInLength)
        // Keyed, as over RDMA: the in-process transport places host data at offset 0.
        entry.dataPointer = .keyed(address: 0x1000, length: UInt32(length), key: 1, invalidate: false)
        executed.append(entry)
        queue.buffers[0].zero()
        queue.buffers[0].copyIn(dataOut)
        guard queue.submit(entry, slot: 0) else { throw HostError("in-process slot busy") }
        for _ in 0..<1000 {
            if let done = queue.nextCompletion() {
                let data = queue.buffers[Int(done.slot)].copyOut(length: dataInLength)
                return CommandOutcome(completion: done.entry, data: data)
            }
            group.poll()
        }
        throw HostError("no completion in process")
    }
}

/// A channel that answers from a script: the target's refusals, without a target.
final class ScriptedChannel: CommandChannel {
    var answer: (SubmissionQueueEntry) -> CompletionQueueEntry
    var commands: [SubmissionQueueEntry] = []

    init(answer: @escaping (SubmissionQueueEntry) -> CompletionQueueEntry) { self.answer = answer }

    func execute(
        _ command: SubmissionQueueEntry, dataOut: [UInt8], dataInLength: Int, timeoutMilliseconds: Int
    ) throws(HostError) -> CommandOutcome {
        commands.append(command)
        return CommandOutcome(completion: answer(command), data: [UInt8](repeating: 0, count: dataInLength))
    }
}
