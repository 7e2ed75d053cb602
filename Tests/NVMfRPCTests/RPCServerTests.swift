import Glibc
import Logging
import NVMfConfig
import Target
import Testing

@testable import NVMfRPC

/// A blocking Unix-socket client with a receive timeout.
final class SocketClient {
    let fd: Int32

    init?(path: String) {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path.utf8) }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard rc == 0 else {
            close(fd)
            return nil
        }
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ text: String) {
        _ = Array(text.utf8).withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Reads until a newline-terminated response or EOF (nil) or the 5 s timeout (nil).
    func response() -> JSONValue? {
        var data: [UInt8] = []
        var byte: UInt8 = 0
        while recv(fd, &byte, 1, 0) == 1 {
            if byte == UInt8(ascii: "\n") { return try? JSONValue.parse(data) }
            data.append(byte)
        }
        return nil
    }

    /// True when the server closed the connection (within the 5 s timeout).
    var isClosedByServer: Bool {
        var byte: UInt8 = 0
        while true {
            let n = recv(fd, &byte, 1, 0)
            if n == 0 { return true }
            if n < 0 { return false }
        }
    }
}

@Suite(.serialized) struct RPCServerTests {
    static func path() -> String { "/tmp/nvmf-rpc-test-\(getpid()).sock" }

    @Test func aClientGetsAnswersAndTheSocketIsPrivate() throws {
        let h = RPCHarness()
        let server = RPCServer(path: Self.path(), methods: h.methods, logger: Logger(label: "test.rpc"))
        try server.start()
        defer { server.stop() }
        var st = stat()
        #expect(stat(Self.path(), &st) == 0 && st.st_mode & 0o777 == 0o600, "mode 0600")
        let c = try #require(SocketClient(path: Self.path()))
        // Two requests back to back in one write, split across a second.
        c.send(#"{"jsonrpc":"2.0","method":"spdk_get_version","id":1}{"jsonrpc":"2.0","meth"#)
        c.send(#"od":"rpc_get_methods","id":2}"#)
        guard case .object(let first)? = c.response(), case .object(let second)? = c.response() else {
            Issue.record("no answers")
            return
        }
        #expect(first["id"] == .number(1) && first["result"] != nil)
        #expect(second["id"] == .number(2))
        c.send("{\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"id\":3}")
        if case .object(let e)? = c.response(), case .object(let err)? = e["error"] {
            #expect(err["code"] == .number(-32601))
        } else {
            Issue.record("no error answer")
        }
    }

    @Test func aLiveSocketIsNeverTakenOverAndAStaleOneIsReplaced() throws {
        let h = RPCHarness()
        let first = RPCServer(path: Self.path(), methods: h.methods, logger: Logger(label: "test.rpc"))
        try first.start()
        let second = RPCServer(path: Self.path(), methods: h.methods, logger: Logger(label: "test.rpc"))
        #expect(throws: RPCServerError.self) { try second.start() }
        #expect(SocketClient(path: Self.path()) != nil, "the first server still answers")
        first.stop()

        // A stale socket file (nobody listening) is replaced.
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Self.path().utf8) }
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        close(fd)
        try second.start()
        second.stop()

        // A regular file is left alone.
        let file = fopen(Self.path(), "w")
        fclose(file)
        defer { unlink(Self.path()) }
        #expect(throws: RPCServerError.self) { try second.start() }
    }

    @Test func oversizedSilentAndManyClientsCostThemselvesOnly() throws {
        let h = RPCHarness()
        var limits = RPCServer.Limits()
        limits.maxRequestBytes = 4096
        limits.idleTimeoutMilliseconds = 300
        limits.maxClients = 8
        let server = RPCServer(path: Self.path(), methods: h.methods, limits: limits, logger: Logger(label: "test.rpc"))
        try server.start()
        defer { server.stop() }

        let big = try #require(SocketClient(path: Self.path()))
        big.send("{\"jsonrpc\":\"2.0\",\"method\":\"x\",\"params\":{\"a\":\"" + String(repeating: "z", count: 8192))
        if case .object(let o)? = big.response(), case .object(let e)? = o["error"] {
            #expect(e["code"] == .number(-32700))
        } else {
            Issue.record("no parse error for an oversized request")
        }
        #expect(big.isClosedByServer)

        let silent = try #require(SocketClient(path: Self.path()))
        #expect(silent.isClosedByServer, "a client that never sends is dropped after the idle timeout")

        // The crowd gets a server of its own with the default idle timeout:
        // under ThreadSanitizer connecting 12 clients can take longer than 300 ms.
        server.stop()
        limits.idleTimeoutMilliseconds = RPCServer.Limits().idleTimeoutMilliseconds
        let roomy = RPCServer(path: Self.path(), methods: h.methods, limits: limits, logger: Logger(label: "test.rpc"))
        try roomy.start()
        defer { roomy.stop() }
        let crowd = (0..<12).compactMap { _ in SocketClient(path: Self.path()) }
        #expect(crowd.count == 12, "the kernel accepts them all")
        let served = crowd.filter {
            $0.send("{\"jsonrpc\":\"2.0\",\"method\":\"spdk_get_version\",\"id\":1}")
            return $0.response() != nil
        }
        #expect(served.count == limits.maxClients, "beyond maxClients a connection is closed, the others are served")
        let late = try #require(SocketClient(path: Self.path()))
        _ = crowd
        late.send("{\"jsonrpc\":\"2.0\",\"method\":\"spdk_get_version\",\"id\":9}")
        #expect(late.response() == nil, "still full")
    }
}
