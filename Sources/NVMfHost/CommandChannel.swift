import NVMe

/// One queue the host sends control commands over, one at a time: Fabrics
/// Connect and Property Get/Set, admin commands on the admin queue.
///
/// The controller logic (`HostController`) only talks to this protocol, so it
/// runs unchanged over RDMA (`RdmaHostQueue`) and over an in-process seam in
/// unit tests. Control path: it may allocate.
public protocol CommandChannel: AnyObject {
    /// Executes `command` and waits, at most `timeoutMilliseconds`, for its completion.
    ///
    /// The channel sets the command's identifier and data pointer itself: `dataOut`
    /// goes host-to-controller, and up to `dataInLength` bytes come back.
    func execute(
        _ command: SubmissionQueueEntry, dataOut: [UInt8], dataInLength: Int, timeoutMilliseconds: Int
    ) throws(HostError) -> CommandOutcome
}

/// What a control command returned.
public struct CommandOutcome: Sendable {
    public var completion: CompletionQueueEntry
    /// Controller-to-host data (`dataInLength` bytes, zero-filled past what came).
    public var data: [UInt8]

    public init(completion: CompletionQueueEntry, data: [UInt8]) {
        self.completion = completion
        self.data = data
    }

    public var status: NVMeStatus { NVMeStatus(rawValue: completion.status) }
}

extension CommandChannel {
    /// Executes `command` and throws unless it succeeded; `what` names it in the error.
    @discardableResult
    public func run(
        _ what: String, _ command: SubmissionQueueEntry, dataOut: [UInt8] = [], dataInLength: Int = 0,
        timeoutMilliseconds: Int = 10_000
    ) throws(HostError) -> CommandOutcome {
        let outcome = try execute(
            command, dataOut: dataOut, dataInLength: dataInLength, timeoutMilliseconds: timeoutMilliseconds)
        guard outcome.status.isSuccess else {
            throw HostError.command(what, outcome.status, dword0: outcome.completion.dword0)
        }
        return outcome
    }
}

/// Little-endian reads from returned data: the host's side of the wire formats.
extension Array where Element == UInt8 {
    func le(_ offset: Int, _ width: Int) -> UInt64 {
        guard offset >= 0, width <= 8, offset + width <= count else { return 0 }
        var value: UInt64 = 0
        for index in (0..<width).reversed() { value = value << 8 | UInt64(self[offset + index]) }
        return value
    }

    /// An ASCII field, cut at the first NUL and stripped of trailing spaces.
    func ascii(_ offset: Int, _ width: Int) -> String {
        guard offset >= 0, offset + width <= count else { return "" }
        var bytes = self[offset..<(offset + width)].prefix { $0 != 0 }
        while bytes.last == 0x20 { bytes = bytes.dropLast() }
        return String(decoding: bytes, as: UTF8.self)
    }
}
