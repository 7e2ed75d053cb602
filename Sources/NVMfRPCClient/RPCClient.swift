import Glibc
import NVMfConfig

/// Why a call got no usable answer. Each message names the socket and,
/// where it applies, the option that bounds it.
public enum RPCClientError: Error, Equatable, CustomStringConvertible {
    case connect(path: String, reason: String)
    case send(path: String, reason: String)
    case receive(path: String, reason: String)
    /// No complete response before the `-t/--timeout` deadline.
    case timeout(path: String, seconds: Double, received: Int)
    /// The server closed the connection before a complete response.
    case closed(path: String, received: Int)
    case invalidResponse(path: String, reason: String)

    public var description: String {
        switch self {
        case .connect(let path, let reason): return "cannot connect to \(path): \(reason)"
        case .send(let path, let reason): return "cannot send the request to \(path): \(reason)"
        case .receive(let path, let reason): return "cannot read the response from \(path): \(reason)"
        case .timeout(let path, let seconds, let received):
            return "no complete response from \(path) within \(PythonJSON.number(seconds)) s (-t/--timeout)"
                + (received > 0 ? "; \(received) bytes received" : "")
        case .closed(let path, let received):
            return "\(path) closed the connection before a complete response (\(received) bytes received)"
        case .invalidResponse(let path, let reason): return "invalid response from \(path): \(reason)"
        }
    }
}

/// A JSON-RPC 2.0 client on SPDK's Unix socket: one connection, requests
/// with increasing integer ids, each answer read until a whole JSON value
/// has arrived (the server does not delimit its responses).
///
/// Every wait is bounded by the deadline `timeout` sets from the start of
/// each call, so a server that accepts and never answers cannot hang us.
public final class RPCClient {
    public let path: String
    public let timeout: Double
    private var fd: Int32 = -1
    private var nextID = 1
    /// The server's byte stream cut into responses (the server's own
    /// splitter: responses, like requests, come back to back); complete ones
    /// not yet handed out wait in `responses`.
    private var splitter = JSONStreamSplitter(maxValueBytes: maxResponseBytes, maxDepth: maxResponseDepth)
    private var responses: [[UInt8]] = []
    static let maxResponseBytes = 1 << 30
    static let maxResponseDepth = 512

    /// Connects, retrying `connectRetries` times 0.2 s apart, as rpc.py's `-r` does.
    public init(path: String, timeout: Double, connectRetries: Int = 0) throws(RPCClientError) {
        self.path = path
        self.timeout = timeout
        var attempt = 0
        while true {
            do throws(RPCClientError) {
                fd = try Self.connect(path, deadline: Self.now() + timeout)
                return
            } catch {
                guard attempt < connectRetries else { throw error }
                attempt += 1
                usleep(200_000)
            }
        }
    }

    deinit { close() }

    public func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    /// The id the next request gets (1 for the first, as in rpc.py).
    public var nextRequestID: Int { nextID }

    /// Sends `request` (JSON text, with `id` = `nextRequestID`) and returns the parsed response.
    public func exchange(_ request: String) throws(RPCClientError) -> JSONValue {
        nextID += 1
        let deadline = Self.now() + timeout
        try send(Array(request.utf8), deadline: deadline)
        return try receive(deadline: deadline)
    }

    static func connect(_ path: String, deadline: Double) throws(RPCClientError) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.utf8.count < capacity else {
            throw .connect(path: path, reason: "the path is longer than \(capacity - 1) bytes")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
            raw[path.utf8.count] = 0
        }
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
        let fd = socket(AF_UNIX, type, 0)
        guard fd >= 0 else { throw .connect(path: path, reason: String(cString: strerror(errno))) }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if rc != 0 {
            let err = errno
            // Non-blocking, a connect that cannot finish at once reports
            // EINPROGRESS; wait for it within the deadline.
            guard err == EINPROGRESS, wait(fd, for: Int16(POLLOUT), until: deadline) else {
                Glibc.close(fd)
                let reason =
                    err == EINPROGRESS
                    ? "timed out (-t/--timeout)"
                    : err == EAGAIN
                        ? "the server's backlog is full (try -r/--conn-retries)" : String(cString: strerror(err))
                throw .connect(path: path, reason: reason)
            }
            var soError: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &length)
            guard soError == 0 else {
                Glibc.close(fd)
                throw .connect(path: path, reason: String(cString: strerror(soError)))
            }
        }
        return fd
    }

    private func send(_ bytes: [UInt8], deadline: Double) throws(RPCClientError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n > 0 {
                offset += n
            } else if n < 0, errno == EAGAIN || errno == EINTR {
                guard Self.wait(fd, for: Int16(POLLOUT), until: deadline) else {
                    throw .timeout(path: path, seconds: timeout, received: 0)
                }
            } else {
                throw .send(path: path, reason: String(cString: strerror(errno)))
            }
        }
    }

    private func receive(deadline: Double) throws(RPCClientError) -> JSONValue {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while responses.isEmpty {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                do throws(JSONStreamSplitter.Failure) {
                    responses += try splitter.append(chunk[..<n])
                } catch {
                    throw .invalidResponse(path: path, reason: Self.describe(error))
                }
            } else if n == 0 {
                throw .closed(path: path, received: splitter.buffer.count)
            } else if errno == EAGAIN || errno == EINTR {
                guard Self.wait(fd, for: Int16(POLLIN), until: deadline) else {
                    throw .timeout(path: path, seconds: timeout, received: splitter.buffer.count)
                }
            } else {
                throw .receive(path: path, reason: String(cString: strerror(errno)))
            }
        }
        let bytes = responses.removeFirst()
        do throws(ConfigError) {
            return try JSONValue.parse(bytes)
        } catch {
            throw .invalidResponse(path: path, reason: error.message)
        }
    }

    static func describe(_ e: JSONStreamSplitter.Failure) -> String {
        switch e {
        case .unexpectedByte(let byte):
            return "unexpected byte 0x\(String(byte, radix: 16)) where a JSON object should start"
        case .tooLong: return "a response longer than \(maxResponseBytes) bytes"
        case .tooDeep: return "a response nested deeper than \(maxResponseDepth) levels"
        }
    }

    /// Polls `fd` for `events` until `deadline`; false when it passed first.
    static func wait(_ fd: Int32, for events: Int16, until deadline: Double) -> Bool {
        while true {
            let left = deadline - now()
            guard left > 0 else { return false }
            var p = pollfd(fd: fd, events: events, revents: 0)
            let rc = poll(&p, 1, Int32(min((left * 1000).rounded(.up), 60_000)))
            if rc > 0 { return true }  // ready, or an error the next call reports
            if rc < 0, errno != EINTR { return true }
        }
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
