import CShims
import Glibc
import Logging
import NVMfConfig
import Synchronization
import Target

/// The JSON-RPC 2.0 server on a Unix socket, as SPDK's (`-r`, default
/// `/var/tmp/spdk.sock`): one thread, `poll` over the listening socket and
/// its clients, requests run one at a time in arrival order.
///
/// What a client cannot do to the server or the data path:
/// - send a request over `maxRequestBytes` or nested deeper than 64: it gets
///   a parse error and is disconnected;
/// - connect and send nothing, or stop half-way: dropped after
///   `idleTimeoutMilliseconds` without a byte;
/// - stop reading its answers: dropped once `maxPendingOutputBytes` wait;
/// - crowd others out: beyond `maxClients` a new connection is closed at once.
/// Nothing here runs on a poll-group thread; methods reach the poll groups
/// only through the target's messages.
public final class RPCServer: @unchecked Sendable {
    public struct Limits: Sendable {
        public var maxClients = 64
        public var maxRequestBytes = 1 << 20
        public var maxPendingOutputBytes = 64 << 20
        public var idleTimeoutMilliseconds = 30_000

        public init() {}
    }

    /// SPDK's default socket path.
    public static let defaultPath = "/var/tmp/spdk.sock"

    public let path: String
    let methods: RPCMethods
    let limits: Limits
    let logger: Logger
    private var listenFD: Int32 = -1
    private let wake = WakeupPipe()
    private var thread: pthread_t?
    private let stopping = Atomic<Bool>(false)

    private final class Client {
        let fd: Int32
        var splitter: JSONStreamSplitter
        var output: [UInt8] = []
        var lastActivity: UInt64
        init(fd: Int32, maxRequestBytes: Int, now: UInt64) {
            self.fd = fd
            splitter = JSONStreamSplitter(maxValueBytes: maxRequestBytes)
            lastActivity = now
        }
    }

    public init(path: String = RPCServer.defaultPath, methods: RPCMethods, limits: Limits = Limits(), logger: Logger) {
        self.path = path
        self.methods = methods
        self.limits = limits
        self.logger = logger
    }

    deinit { stop() }

    /// Binds the socket (mode 0600) and starts serving.
    ///
    /// A socket file a live process still listens on is never unlinked (the
    /// start fails, naming it); a stale one (connect refused) is replaced;
    /// any other file at the path is left alone and the start fails.
    public func start() throws(RPCServerError) {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.utf8.count < capacity else {
            throw .socket("\(path): longer than \(capacity - 1) bytes")
        }
        try removeStaleSocket()
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
            raw[path.utf8.count] = 0
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .socket("socket: \(String(cString: strerror(errno)))") }
        // Only the owner may talk to the target: umask for the bind, so the
        // socket never exists with wider permissions.
        let oldMask = umask(0o177)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        umask(oldMask)
        guard bound == 0, listen(fd, 128) == 0 else {
            let why = String(cString: strerror(errno))
            close(fd)
            throw .socket("\(path): \(why)")
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        listenFD = fd
        var t = pthread_t()
        let box = Unmanaged.passRetained(self)
        let rc = pthread_create(
            &t, nil,
            { arg in
                let server = Unmanaged<RPCServer>.fromOpaque(arg!).takeRetainedValue()
                server.run()
                return nil
            }, box.toOpaque())
        guard rc == 0 else {
            box.release()
            close(fd)
            listenFD = -1
            unlink(path)
            throw .socket("cannot start the RPC thread: \(String(cString: strerror(rc)))")
        }
        thread = t
        logger.info("RPC server listening", metadata: ["socket": "\(path)"])
    }

    /// Stops serving, closes every client and removes the socket file.
    public func stop() {
        guard let t = thread else { return }
        thread = nil
        stopping.store(true, ordering: .releasing)
        wake.signal()
        pthread_join(t, nil)
        unlink(path)
    }

    private func removeStaleSocket() throws(RPCServerError) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        guard (st.st_mode & S_IFMT) == S_IFSOCK else {
            throw .socket("\(path) exists and is not a socket; not removing it")
        }
        if Self.someoneListens(at: path) {
            throw .socket("\(path) is in use by a running process (another nvmf-tgt or SPDK?); choose another with -r")
        }
        unlink(path)
    }

    /// True when connecting to `path` succeeds.
    static func someoneListens(at path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8.prefix(raw.count - 1))
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        } == 0
    }

    // MARK: The loop

    private func run() {
        // The control plane yields to the data path: on a box whose cores
        // the poll groups share (the lab's 2 vCPUs, a VM), 50 nvmf_get_stats
        // a second at nice 0 took 35 % of 4k randread IOPS from the poll
        // group (perf/RESULTS §10). At nice 19 an RPC gets what CPU is left
        // and may answer later under full load, as SPDK's app thread does
        // when it shares a core.
        _ = cshims_set_thread_nice(19)
        _ = cshims_set_thread_name("nvmf-rpc")
        var clients: [Client] = []
        var fds: [pollfd] = []
        // One receive buffer for the thread's life: zeroing 64 KiB for every
        // readable socket was a visible share of a small request's cost.
        var chunk = [UInt8](repeating: 0, count: 65536)
        while !stopping.load(ordering: .acquiring) {
            fds.removeAll(keepingCapacity: true)
            fds.append(pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0))
            fds.append(pollfd(fd: wake.readFD, events: Int16(POLLIN), revents: 0))
            for c in clients {
                let events = Int16(POLLIN) | (c.output.isEmpty ? 0 : Int16(POLLOUT))
                fds.append(pollfd(fd: c.fd, events: events, revents: 0))
            }
            _ = fds.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), 1000) }
            if fds[1].revents != 0 { wake.clear() }
            let now = Self.milliseconds()
            var gone: Set<Int32> = []
            for (i, c) in clients.enumerated() {
                let revents = fds[i + 2].revents
                if revents & Int16(POLLIN | POLLHUP | POLLERR) != 0, !read(c, into: &chunk, now: now) {
                    gone.insert(c.fd)
                }
                if !c.output.isEmpty, !gone.contains(c.fd), !write(c) { gone.insert(c.fd) }
                if !gone.contains(c.fd), c.output.isEmpty,
                    now &- c.lastActivity > UInt64(limits.idleTimeoutMilliseconds)
                {
                    logger.info("RPC client idle too long; dropped", metadata: ["fd": "\(c.fd)"])
                    gone.insert(c.fd)
                }
            }
            if !gone.isEmpty {
                for c in clients where gone.contains(c.fd) { close(c.fd) }
                clients.removeAll { gone.contains($0.fd) }
            }
            // After the clients polled above: `fds` has no entry for new ones yet.
            if fds[0].revents & Int16(POLLIN) != 0 { accept(into: &clients, now: now) }
        }
        for c in clients { close(c.fd) }
        close(listenFD)
        listenFD = -1
    }

    private func accept(into clients: inout [Client], now: UInt64) {
        while true {
            let fd = Glibc.accept(listenFD, nil, nil)
            guard fd >= 0 else { return }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            guard clients.count < limits.maxClients else {
                logger.warning("RPC client refused: too many clients", metadata: ["max": "\(limits.maxClients)"])
                close(fd)
                continue
            }
            clients.append(Client(fd: fd, maxRequestBytes: limits.maxRequestBytes, now: now))
        }
    }

    /// Reads what the client sent and answers every complete request; false when the client must go.
    private func read(_ c: Client, into chunk: inout [UInt8], now: UInt64) -> Bool {
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(c.fd, $0.baseAddress, $0.count) }
            if n == 0 { return false }  // closed (mid-request or not: nothing to answer)
            if n < 0 { return errno == EAGAIN || errno == EINTR }
            c.lastActivity = now
            let drained = n < chunk.count  // a short read took all there was: no need to ask again
            let values: [[UInt8]]
            do {
                values = try c.splitter.append(chunk[0..<n])
            } catch {
                let why: String
                switch error {
                case .tooLong: why = "request longer than \(limits.maxRequestBytes) bytes"
                case .tooDeep: why = "nested more than 64 levels"
                case .unexpectedByte(let b): why = "unexpected byte 0x\(String(b, radix: 16)) between requests"
                }
                queue(RPCResponse.error(id: .null, .parseError(why)), to: c)
                _ = write(c)
                return false
            }
            for v in values {
                if let response = methods.handle(v) { queue(response, to: c) }
            }
            if c.output.count > limits.maxPendingOutputBytes { return false }
            if drained { return true }
        }
    }

    private func queue(_ response: JSONValue, to c: Client) {
        c.output.append(contentsOf: response.encoded)
        c.output.append(UInt8(ascii: "\n"))
    }

    /// Writes what it can; false on a broken connection.
    private func write(_ c: Client) -> Bool {
        while !c.output.isEmpty {
            let n = c.output.withUnsafeBytes { send(c.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 { return errno == EAGAIN || errno == EINTR }
            c.output.removeFirst(n)
        }
        return true
    }

    static func milliseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1000 &+ UInt64(ts.tv_nsec) / 1_000_000
    }
}

/// Why the RPC server could not start.
public enum RPCServerError: Error, CustomStringConvertible, Equatable {
    case socket(String)

    public var description: String {
        switch self {
        case .socket(let why): return "RPC socket: \(why)"
        }
    }
}
