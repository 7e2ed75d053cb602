import ArgumentParser
import Backends
import Glibc
import Logging
import NVMfConfig
import NVMfRPC
import RdmaTransport
import Target

/// The target daemon: `nvmf-tgt [--config FILE] [--cores N] [--mode poll|interrupt|adaptive]`.
struct NVMfTgt: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nvmf-tgt",
        abstract: "NVMe-over-Fabrics target over RDMA.",
        discussion: """
            With --config, reads an SPDK-format JSON configuration (the methods bdev_malloc_create, \
            bdev_aio_create, bdev_null_create, bdev_rbd_register_cluster, bdev_rbd_create, nvmf_create_transport, nvmf_create_subsystem, \
            nvmf_subsystem_add_listener, nvmf_subsystem_add_ns, nvmf_subsystem_add_host). Without it, serves \
            the embedded default: one 256 MiB memory namespace in \(ConfigFile.defaultSubsystemNQN), open to any \
            host, listening on --listen-address (default: the first non-loopback IPv4 address) port 4420. \
            SIGINT or SIGTERM stop it gracefully.
            """)

    @Option(name: [.customShort("c"), .long, .customLong("json")], help: "SPDK-format JSON configuration file.")
    var config: String?

    @Option(help: "Poll groups (threads) to run.")
    var cores: Int = 1

    @Option(
        help:
            "poll (busy-poll, lowest latency), interrupt (sleep in epoll), or adaptive (poll after activity, then sleep)."
    )
    var mode: PollMode = .adaptive

    @Option(help: "Address for the embedded default's listener (ignored with --config).")
    var listenAddress: String?

    @Option(help: "Port (trsvcid) for the embedded default's listener.")
    var port: UInt16 = 4420

    @Option(
        name: [.customShort("r"), .customLong("rpc-socket")],
        help: "JSON-RPC socket (SPDK's -r); a socket another process listens on is never taken over.")
    var rpcSocket: String = RPCServer.defaultPath

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Option(
        help:
            "Adaptive mode: microseconds to keep polling after the last work before sleeping (default 2000; overrides the config's poll_window_us)."
    )
    var pollWindowUs: Int?

    @Option(help: "After an empty poll: spin (default), yield, or microseconds to sleep (overrides poll_idle).")
    var pollIdle: String?

    @Option(help: "Pin poll group i to CPU (N + i) mod CPUs.")
    var pinFirstCpu: Int?

    @Flag(help: "Run the poll-group threads SCHED_IDLE.")
    var schedIdle = false

    func validate() throws {
        guard (1...64).contains(cores) else { throw ValidationError("--cores must be 1...64, not \(cores)") }
        if let pollIdle, PollIdleAction(pollIdle) == nil {
            throw ValidationError("--poll-idle must be spin, yield or a number of microseconds, not \(pollIdle)")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be trace, debug, info, notice, warning, error or critical")
        }
    }

    func run() throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
        let logger = Logger(label: "nvmf-tgt")

        let file: ConfigFile
        if let path = config {
            do {
                file = try ConfigFile(json: try readFile(path))
            } catch let e as ConfigError {
                throw DaemonError("nvmf-tgt: \(path): \(e)")
            }
        } else {
            guard let address = listenAddress ?? firstNonLoopbackIPv4Address() else {
                throw DaemonError(
                    "nvmf-tgt: no --listen-address given and no non-loopback IPv4 address found (run ./rxe-setup.sh)")
            }
            file = .embeddedDefault(address: address, port: port)
            logger.info("no --config: serving the embedded default", metadata: ["address": "\(address):\(port)"])
        }

        // Block the stop signals before any thread starts so every thread
        // inherits the mask and only `waitForStopSignal` receives them.
        let signals = StopSignals()

        let target = NVMfTarget(logger: Logger(label: "nvmf.target"))
        var applied: AppliedConfiguration
        do {
            applied = try file.apply(to: target, logger: logger)
        } catch {
            throw DaemonError("nvmf-tgt: \(config ?? "embedded default"): \(error)")
        }
        // Devices first (an RBD image closes on its cluster), then the clusters.
        defer {
            target.closeAllDevices()
            applied.rbdClusters.shutdownAll()
        }

        let transport: RdmaTransport
        do {
            // The command line overrides the config's poll-loop settings;
            // save_config then shows what runs.
            if let pollWindowUs { applied.transport.pollWindowMicroseconds = pollWindowUs }
            if let pollIdle { applied.transport.pollIdle = pollIdle }
            if let pinFirstCpu { applied.transport.pinFirstCPU = pinFirstCpu }
            if schedIdle { applied.transport.schedulingIdle = true }
            let options = RdmaTransportOptions(applied.transport)
            transport = try RdmaTransport(
                target: target, options: options, pollGroupCount: cores, mode: mode,
                logger: Logger(label: "nvmf.rdma"))
            // The target's listener registry (filled by the config) tells the transport where to listen.
            try target.attach(transport)
            try transport.start()
        } catch {
            throw DaemonError("nvmf-tgt: \(error)")
        }
        let methods = RPCMethods(target: target, state: applied, logger: Logger(label: "nvmf.rpc"))
        // spdk_kill_instance: the signal reaches waitForStopSignal like one from outside.
        methods.onKill = { sig in _ = kill(getpid(), sig) }
        let rpc = RPCServer(path: rpcSocket, methods: methods, logger: Logger(label: "nvmf.rpc"))
        do { try rpc.start() } catch {
            transport.shutdown()
            throw DaemonError("nvmf-tgt: \(error)")
        }
        logger.info(
            "nvmf-tgt running", metadata: ["cores": "\(cores)", "mode": "\(mode.rawValue)", "rpc": "\(rpcSocket)"])

        let signal = signals.waitForStopSignal()
        logger.info("stopping: disconnecting hosts and draining queues", metadata: ["signal": "\(signal)"])
        rpc.stop()
        transport.shutdown()
        logger.info("stopped")
    }
}

extension PollMode: ExpressibleByArgument {}

extension RdmaTransportOptions {
    /// SPDK's `nvmf_create_transport` settings onto the RDMA transport.
    init(_ c: TransportConfig) {
        self.init()
        maxQueueDepth = c.maxQueueDepth
        maxAdminQueueDepth = min(c.maxAdminQueueDepth, 32)  // the Linux host's admin queue is 32 deep
        maxIOQPairsPerController = c.maxIOQPairsPerController
        inCapsuleDataSize = c.inCapsuleDataSize
        maxIOSize = c.maxIOSize
        ioUnitSize = c.ioUnitSize
        maxSRQDepth = c.maxSRQDepth
        noSRQ = c.noSRQ
        numSharedBuffers = c.numSharedBuffers
        bufCacheSize = c.bufCacheSize
        acceptorBacklog = c.acceptorBacklog
        if let n = c.numCQE { numCQE = n }
        if let w = c.pollWindowMicroseconds { adaptivePollWindowMicroseconds = w }
        if let i = c.pollIdle.flatMap(PollIdleAction.init) { pollIdle = i }
        pinFirstCPU = c.pinFirstCPU
        schedulingIdle = c.schedulingIdle
        minKeepAliveTimeoutMS = UInt32(clamping: c.minKeepAliveTimeoutMS)
    }
}
