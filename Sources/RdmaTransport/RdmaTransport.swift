import CShims
import Dispatch
import Glibc
import Logging
import NVMe
import Target
import Verbs

// Module RdmaTransport: the NVMe-oF RDMA transport for Target (reference §1, §2).
//
// Files, one job each:
//   RdmaTransport.swift        the public object: listen, start, shutdown; threads
//   RdmaTransportOptions.swift SPDK-named options, validation, PollMode, errors
//   ConnectionManager.swift    CM event thread: listeners, CONNECT_REQUEST, CM and
//                              device async events, the only place CM ids die
//   ConnectRequestCheck.swift  NVMe-oF RDMA private data → accept parameters or reject status
//   RdmaPollGroup.swift        one I/O thread: CQ polling, dispatch, backend poll/tick,
//                              poll/interrupt/adaptive waiting, connection table
//   DevicePoller.swift         per device: PD + data buffers; per group: CQ, channel, SRQ
//   DeviceRemoval.swift        DEVICE_REMOVAL: release everything on the device, listen again later
//   QueuePairTable.swift       QP number → connection slot, allocation-free (receive completions)
//   RdmaConnection.swift       one queue: request slots, the state machine, send-queue
//                              accounting, teardown (TransportQueue)
//   RdmaConnection+SendBatch.swift doorbell batching: WRs queued per iteration,
//                              one ibv_post_send per connection
//   RdmaRequest.swift          request states, the slot struct, intrusive wait lists
//   ReceiveBufferPool.swift    SQE + page-aligned in-capsule buffers, batched reposts
//   DataBufferPool.swift       registered data buffers and per-group caches
//   WorkRequestID.swift        wr_id = kind | connection | slot
//
// Threads: the CM thread makes QPs and posts their first receives; the poll
// group thread registers the connection, calls `PollGroup.addQueue` and
// `rdma_accept`, and owns it from then on. Teardown: close → QP to error →
// every posted WR completes (flush) and every slot is free → verbs objects
// released on the group thread → CM id destroyed on the CM thread. No
// LAST_WQE_REACHED is awaited (rxe never sends it).

/// The NVMe-oF RDMA transport: RDMA CM listeners, one CM event thread, and
/// `pollGroupCount` poll-group threads that carry the I/O.
///
/// Control path (init, listen, start, shutdown) from any one thread.
public final class RdmaTransport {
    public let options: RdmaTransportOptions
    public let mode: PollMode
    let target: NVMfTarget
    let logger: Logger
    let manager: ConnectionManager
    let groups: [RdmaPollGroup]
    private var threads: [pthread_t] = []
    private var started = false
    private var stopped = false

    /// - Throws: `RdmaTransportError.invalidOptions` for options that cannot
    ///   work; `.verbs` when the machine has no RDMA (the message says how to
    ///   get Soft-RoCE).
    public init(
        target: NVMfTarget, options: RdmaTransportOptions, pollGroupCount: Int, mode: PollMode,
        logger: Logger
    )
        throws
    {
        if let why = options.validationError(pollGroupCount: pollGroupCount) {
            throw RdmaTransportError.invalidOptions(why)
        }
        self.target = target
        self.options = options
        self.mode = mode
        self.logger = logger
        do {
            manager = try ConnectionManager(options: options, logger: logger)
        } catch {
            throw RdmaTransportError.verbs("\(error)")
        }
        var made: [RdmaPollGroup] = []
        for index in 0..<pollGroupCount {
            made.append(
                RdmaPollGroup(
                    index: index, target: target, options: options, mode: mode, logger: logger,
                    manager: manager))
        }
        groups = made
        manager.groups = made
    }

    deinit { shutdown() }

    /// Starts listening (RDMA CM, RDMA_PS_TCP) on address:port; IPv4 or IPv6
    /// literal. Several listeners allowed. The target normally calls this
    /// through `Transport.listen` (`NVMfTarget.attach`, `Subsystem.addListener`).
    public func listen(address: String, port: UInt16) throws {
        try listen(
            ListenerAddress(addressFamily: address.contains(":") ? 2 : 1, address: address, serviceID: "\(port)"))
    }

    /// Starts the poll-group threads and the CM event thread.
    public func start() throws {
        guard !started else { throw RdmaTransportError.alreadyStarted }
        started = true
        for group in groups {
            threads.append(try spawnThread(name: "nvmf-rdma-pg\(group.index)") { group.run() })
        }
        threads.append(try spawnThread(name: "nvmf-rdma-cm") { [manager] in manager.run() })
    }

    /// Graceful stop: disconnects every host, drains queues, frees every verbs resource, joins threads.
    public func shutdown() {
        guard !stopped else { return }
        stopped = true
        guard started else { return }
        manager.post(.stop)
        for group in groups { group.post(.stop) }
        for thread in threads { pthread_join(thread, nil) }
        threads.removeAll()
        logger.info("RDMA transport stopped", metadata: ["parkedCommands": "\(parkedCommandCount)"])
    }

    /// Connections currently open (tests and stats; approximate while running).
    public var connectionCount: Int { groups.reduce(0) { $0 + $1.connectionCount } }

    /// Commands so far that had to wait for a slot because the host reused
    /// its command slots before our SEND completions were polled (a handful
    /// under load on kernel 6.4+ rxe; each is answered, none refused).
    public var parkedCommandCount: Int {
        groups.reduce(0) { $0 + $1.parkedCommands.load(ordering: .relaxed) }
    }

    /// Where each device's data-buffer pool lies and its remote key (tests:
    /// a key no host may be able to use).
    var dataPools: [(address: UInt64, remoteKey: UInt32)] {
        manager.inboxLock.withLock {
            manager.devices.map { ($0.dataPool.region.address, $0.dataPool.region.rkey) }
        }
    }
}

extension RdmaTransport: Transport {
    public var transportType: UInt8 { DiscoveryLogEntry.transportRDMA }

    /// Listens at `address` (TRADDR an IPv4 or IPv6 literal, TRSVCID a port).
    /// Queues accepted there carry `address` as their listener.
    public func listen(_ address: ListenerAddress) throws {
        guard let port = UInt16(address.serviceID), let socketAddress = SocketAddress(host: address.address, port: port)
        else {
            throw RdmaTransportError.invalidAddress("\(address.address) port \(address.serviceID)")
        }
        do {
            _ = try manager.listen(socketAddress, as: address)
        } catch {
            throw RdmaTransportError.verbs("cannot listen on \(socketAddress): \(error)")
        }
        logger.info("RDMA listener", metadata: ["address": "\(socketAddress)"])
    }

    /// Closes the listening id(s) at `address` and returns once the port is
    /// free, so the same address can be listened on again at once (an RPC
    /// that removes and re-adds a listener). On the CM thread while it runs,
    /// which owns the ids' events; here before it starts.
    public func stopListening(_ address: ListenerAddress) {
        guard manager.isRunning.load(ordering: .acquiring), !stopped else {
            manager.closeListeners(address)
            return
        }
        let done = DispatchSemaphore(value: 0)
        manager.post(.stopListening(address, done: done))
        if done.wait(timeout: .now() + 5) == .timedOut {
            logger.warning(
                "the CM thread did not close the listener within 5 s", metadata: ["address": "\(address.address)"])
        }
    }
}

/// Starts a joinable pthread running `body`.
func spawnThread(name: String, _ body: @escaping () -> Void) throws -> pthread_t {
    final class Box {
        let body: () -> Void
        let name: String
        init(_ body: @escaping () -> Void, _ name: String) {
            self.body = body
            self.name = name
        }
    }
    let box = Unmanaged.passRetained(Box(body, name)).toOpaque()
    var thread = pthread_t()
    let rc = pthread_create(
        &thread, nil,
        { raw in
            let box = Unmanaged<AnyObject>.fromOpaque(raw!).takeRetainedValue() as! Box
            // Named so `top -H` and per-thread CPU figures say which is which
            // (the kernel keeps 15 bytes).
            _ = cshims_set_thread_name(box.name)
            box.body()
            return nil
        }, box)
    guard rc == 0 else {
        Unmanaged<AnyObject>.fromOpaque(box).release()
        throw RdmaTransportError.verbs("pthread_create failed: \(rc)")
    }
    return thread
}
