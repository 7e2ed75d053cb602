import Glibc
import Logging
import NVMfConfig
import Synchronization
import Target

/// The methods the RPC server runs, by SPDK's names, and the state they
/// share: the target and the configuration the daemon started from (the
/// transport's settings, the listeners' PORTIDs), which `save_config` writes back.
///
/// Methods run on the RPC thread one at a time. A method whose effect must
/// reach the poll groups (removing a namespace, a subsystem) answers only
/// after every group has done it (`PollGroupBarrier`), or with an error
/// after `messageTimeoutMilliseconds`.
public final class RPCMethods: @unchecked Sendable {
    public typealias Method = (RPCMethods, inout Params) throws(RPCError) -> JSONValue

    public let target: NVMfTarget
    let logger: Logger
    /// The configuration as applied so far (startup file plus RPCs).
    public internal(set) var state: AppliedConfiguration
    /// Called by `spdk_kill_instance` (the daemon stops itself).
    public var onKill: (Int32) -> Void = { _ in }
    /// How long a method waits for the poll groups.
    public var messageTimeoutMilliseconds = 30_000
    private(set) var table: [String: Method] = [:]
    private let pollGroupsDone = TicketedCompletion()

    public init(target: NVMfTarget, state: AppliedConfiguration, logger: Logger) {
        self.target = target
        self.state = state
        self.logger = logger
        registerInformationMethods()
        registerBdevMethods()
        registerRBDMethods()
        registerNvmfMethods()
        registerSaveConfig()
    }

    /// The supported method names, sorted.
    public var names: [String] { table.keys.sorted() }

    func register(_ name: String, _ method: @escaping Method) { table[name] = method }

    /// Runs one request given as JSON text; returns the response, or nil for a notification.
    public func handle(_ bytes: [UInt8]) -> JSONValue? {
        let value: JSONValue
        do { value = try JSONValue.parse(bytes) } catch {
            return RPCResponse.error(id: .null, .parseError(error.message))
        }
        if case .array = value {
            return RPCResponse.error(id: .null, .invalidRequest("batch requests are not supported"))
        }
        let request: RPCRequest
        do { request = try RPCRequest.decode(value) } catch { return RPCResponse.error(id: error.id, error.error) }
        let outcome = run(request)
        guard let id = request.id else { return nil }
        switch outcome {
        case .success(let result): return RPCResponse.result(id: id, result)
        case .failure(let e): return RPCResponse.error(id: id, e)
        }
    }

    /// Runs `request` (tests and the server).
    public func run(_ request: RPCRequest) -> Result<JSONValue, RPCError> {
        guard let method = table[request.method] else { return .failure(.methodNotFound(request.method)) }
        do {
            var params = try Self.params(request.params, method: request.method)
            let result = try method(self, &params)
            do { try params.finish() } catch { return .failure(RPCError(error)) }
            logger.debug("rpc", metadata: ["method": "\(request.method)"])
            return .success(result)
        } catch {
            logger.info("rpc refused", metadata: ["method": "\(request.method)", "error": "\(error.message)"])
            return .failure(error)
        }
    }

    static func params(_ value: JSONValue?, method: String) throws(RPCError) -> Params {
        do { return try Params(value, path: method) } catch { throw RPCError(error) }
    }

    // MARK: Helpers for methods

    /// Decodes and applies one of the configuration's creating calls.
    func applyConfigCall(_ method: String, _ p: inout Params) throws(RPCError) -> ConfigOutcome {
        let raw = JSONValue.object(p.fields)
        p = try Self.params(nil, method: method)  // the config decoder checks every field
        let call: ConfigCall
        do { call = try ConfigCall.decode(method: method, params: raw, path: method) } catch {
            throw RPCError(error)
        }
        var created: [Subsystem] = []
        do {
            let outcome = try state.apply(call, path: method, to: target, created: &created)
            // SPDK's nvmf_create_subsystem starts the subsystem at once.
            for s in created { try? s.start() }
            return outcome
        } catch {
            throw RPCError(error)
        }
    }

    func subsystem(_ p: inout Params) throws(RPCError) -> Subsystem {
        let nqn = try required(&p, "nqn")
        guard let s = target.subsystem(nqn: nqn) else {
            throw .invalidParams("\(p.path).nqn: no subsystem \"\(nqn)\"")
        }
        return s
    }

    func required(_ p: inout Params, _ key: String) throws(RPCError) -> String {
        do { return try p.requiredString(key) } catch { throw RPCError(error) }
    }

    func targetName(_ p: inout Params) throws(RPCError) {
        do { try p.targetName() } catch { throw RPCError(error) }
    }

    func optionalString(_ p: inout Params, _ key: String) throws(RPCError) -> String? {
        do { return try p.string(key) } catch { throw RPCError(error) }
    }

    func optionalBool(_ p: inout Params, _ key: String) throws(RPCError) -> Bool? {
        do { return try p.bool(key) } catch { throw RPCError(error) }
    }

    func optionalInteger(_ p: inout Params, _ key: String, in range: ClosedRange<Int>) throws(RPCError) -> Int? {
        do { return try p.integer(key, in: range) } catch { throw RPCError(error) }
    }

    func targetError(_ e: TargetError) -> RPCError {
        switch e {
        case .invalidState: return .invalidState(ConfigFile.describe(e))
        default: return .invalidParams(ConfigFile.describe(e))
        }
    }

    /// Waits for a barrier's completion (poll groups letting go of something).
    func waitForPollGroups(_ start: (@escaping @Sendable () -> Void) throws(TargetError) -> Void) throws(RPCError) {
        let ticket = pollGroupsDone.next()
        let done = pollGroupsDone
        do { try start { done.signal(ticket) } } catch { throw targetError(error) }
        guard done.wait(for: ticket, milliseconds: messageTimeoutMilliseconds) else {
            throw .internalError("poll groups did not answer within \(messageTimeoutMilliseconds) ms")
        }
    }
}

/// Signals the RPC thread waits for, with a timeout: one per `RPCMethods`,
/// reused by every call (a pipe per call was a visible share of a small
/// request's cost). Methods run one at a time, so one waiter; each wait has
/// its own ticket, so the late signal of a call that timed out cannot end a
/// later call's wait.
final class TicketedCompletion: Sendable {
    private let issued = Atomic<UInt64>(0)
    private let signalled = Atomic<UInt64>(0)
    private let pipe = WakeupPipe()

    /// The ticket of the next wait.
    func next() -> UInt64 { issued.add(1, ordering: .relaxed).newValue }

    /// Ends the wait for `ticket` (any thread; signals of older tickets are no-ops).
    func signal(_ ticket: UInt64) {
        var current = signalled.load(ordering: .relaxed)
        while current < ticket {
            let (exchanged, original) = signalled.compareExchange(
                expected: current, desired: ticket, ordering: .acquiringAndReleasing)
            if exchanged { break }
            current = original
        }
        pipe.signal()
    }

    /// True once `ticket` is signalled; false after `milliseconds` without.
    func wait(for ticket: UInt64, milliseconds: Int) -> Bool {
        let deadline = RPCServer.milliseconds() &+ UInt64(max(milliseconds, 0))
        while true {
            if signalled.load(ordering: .acquiring) >= ticket { return true }
            let now = RPCServer.milliseconds()
            guard now < deadline else { return false }
            var fd = pollfd(fd: pipe.readFD, events: Int16(POLLIN), revents: 0)
            _ = poll(&fd, 1, Int32(min(deadline &- now, 1000)))
            pipe.clear()
        }
    }
}

extension JSONValue {
    static func int(_ n: some BinaryInteger) -> JSONValue { .number(Double(n)) }
}
