import Foundation
import NVMfConfig
import Testing

@testable import NVMfRPCClient

/// A one-connection JSON-RPC server on a temporary Unix socket that answers
/// each request with the next scripted reply.
final class FakeServer: @unchecked Sendable {
    enum Reply {
        /// These pieces, 20 ms apart.
        case pieces([String])
        /// Send this (a partial answer, or nothing), then close the connection.
        case close(String)
        /// Never answer (until the client gives up).
        case silence
    }

    let path: String
    private let listenFD: Int32
    private let replies: [Reply]
    private let finished = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var _requests: [String] = []

    init(_ replies: [Reply]) {
        path = NSTemporaryDirectory() + "nvmf-rpc-test-\(getpid())-\(UUID().uuidString.prefix(8)).sock"
        self.replies = replies
        listenFD = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
            raw[path.utf8.count] = 0
        }
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listenFD, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        listen(listenFD, 4)
        Thread.detachNewThread { self.serve() }
    }

    /// The requests received, as text.
    var requests: [String] {
        lock.lock()
        defer { lock.unlock() }
        return _requests
    }

    /// Waits for the server thread to end (the client closed or a `.close` reply).
    func wait() {
        _ = finished.wait(timeout: .now() + 10)
        close(listenFD)
        unlink(path)
    }

    private func serve() {
        defer { finished.signal() }
        let fd = accept(listenFD, nil, nil)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var splitter = JSONStreamSplitter(maxValueBytes: 1 << 20)
        var requests: [[UInt8]] = []
        for reply in replies {
            // Read one whole request.
            var chunk = [UInt8](repeating: 0, count: 4096)
            while requests.isEmpty {
                let n = read(fd, &chunk, chunk.count)
                if n <= 0 { return }
                guard let values = try? splitter.append(chunk[..<n]) else { return }
                requests += values
            }
            lock.lock()
            _requests.append(String(decoding: requests.removeFirst(), as: UTF8.self))
            lock.unlock()
            switch reply {
            case .pieces(let pieces):
                for p in pieces {
                    _ = p.utf8CString.withUnsafeBufferPointer {
                        send(fd, $0.baseAddress, $0.count - 1, Int32(MSG_NOSIGNAL))
                    }
                    usleep(20_000)
                }
            case .close(let partial):
                _ = partial.utf8CString.withUnsafeBufferPointer {
                    send(fd, $0.baseAddress, $0.count - 1, Int32(MSG_NOSIGNAL))
                }
                return
            case .silence:
                var b: UInt8 = 0
                _ = read(fd, &b, 1)  // until the client closes
                return
            }
        }
        var b: UInt8 = 0
        _ = read(fd, &b, 1)
    }
}

/// Captures what the tool prints.
final class Captured: @unchecked Sendable {
    var out: [String] = []
    var err: [String] = []
    var stdin: [String] = []

    func console(terminal: Bool = true) -> Console {
        Console(
            out: { self.out.append($0) }, err: { self.err.append($0) },
            readLine: { self.stdin.isEmpty ? nil : self.stdin.removeFirst() }, stdinIsTerminal: terminal)
    }
}

@Suite struct ClientTests {
    @Test func aResultArrivingInPiecesIsPrintedAsRpcPyDoes() throws {
        let server = FakeServer([
            .pieces([#"{"jsonrpc":"2.0","id":1,"result":[{"name":"M0","num_blocks":"#, "16,\"claimed\":false}", "]}\n"])
        ])
        let c = Captured()
        let status = NVMfRPCTool.main(["-s", server.path, "bdev_get_bdevs", "-b", "M0"], console: c.console())
        server.wait()
        #expect(status == 0)
        #expect(c.err.isEmpty)
        #expect(c.out == ["[\n  {\n    \"claimed\": false,\n    \"name\": \"M0\",\n    \"num_blocks\": 16\n  }\n]"])
        // The request is rpc.py's: indented, id 1, params after id.
        #expect(
            server.requests == [
                "{\n  \"jsonrpc\": \"2.0\",\n  \"method\": \"bdev_get_bdevs\",\n  \"id\": 1,\n  \"params\": {\n    \"name\": \"M0\"\n  }\n}"
            ])
    }

    @Test func aStringResultPrintsBareAndEmptyParamsAreNotSent() throws {
        let server = FakeServer([.pieces([#"{"jsonrpc":"2.0","id":1,"result":"Malloc0"}"#])])
        let c = Captured()
        let status = NVMfRPCTool.main(
            ["--server=\(server.path)", "bdev_malloc_create", "-b", "Malloc0", "1", "512"], console: c.console())
        server.wait()
        #expect(status == 0)
        #expect(c.out == ["Malloc0"])

        let s2 = FakeServer([.pieces([#"{"jsonrpc":"2.0","id":1,"result":{}}"#])])
        let c2 = Captured()
        #expect(NVMfRPCTool.main(["-s", s2.path, "nvmf_get_stats"], console: c2.console()) == 0)
        s2.wait()
        #expect(s2.requests.first?.contains("params") == false, "rpc.py drops an empty params object")
        #expect(c2.out == ["{}"])
    }

    @Test func anErrorResponseIsReportedLikeRpcPyAndExitsOne() throws {
        let server = FakeServer([
            .pieces([
                #"{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"nvmf_subsystem_add_ns.nqn: no subsystem \"x\""}}"#
            ])
        ])
        let c = Captured()
        let status = NVMfRPCTool.main(
            ["-s", server.path, "nvmf_subsystem_add_ns", "x", "Malloc0"], console: c.console())
        server.wait()
        #expect(status == 1)
        #expect(
            c.out == [
                """
                request:
                {
                  "nqn": "x",
                  "namespace": {
                    "bdev_name": "Malloc0"
                  },
                  "method": "nvmf_subsystem_add_ns",
                  "req_id": 1
                }
                Got JSON-RPC error response
                response:
                {
                  "code": -32602,
                  "message": "nvmf_subsystem_add_ns.nqn: no subsystem \\"x\\""
                }
                """
            ])
    }

    @Test func noSocketNamesThePath() {
        let c = Captured()
        let path = NSTemporaryDirectory() + "nvmf-rpc-no-such.sock"
        #expect(NVMfRPCTool.main(["-s", path, "spdk_get_version"], console: c.console()) == 1)
        #expect(c.err == ["nvmf-rpc: cannot connect to \(path): No such file or directory"])
        #expect(c.out.isEmpty)
    }

    @Test func retriesAreBoundedToo() {
        let c = Captured()
        let path = NSTemporaryDirectory() + "nvmf-rpc-no-such.sock"
        let start = Date()
        #expect(NVMfRPCTool.main(["-r", "2", "-s", path, "spdk_get_version"], console: c.console()) == 1)
        #expect(Date().timeIntervalSince(start) >= 0.35, "two retries 0.2 s apart")
    }

    @Test func aSilentServerTimesOut() {
        let server = FakeServer([.silence])
        let c = Captured()
        let start = Date()
        let status = NVMfRPCTool.main(["-t", "0.3", "-s", server.path, "spdk_get_version"], console: c.console())
        let elapsed = Date().timeIntervalSince(start)
        server.wait()
        #expect(status == 1)
        #expect(elapsed < 3)
        #expect(c.err == ["nvmf-rpc: no complete response from \(server.path) within 0.3 s (-t/--timeout)"])
    }

    @Test func aClosedConnectionFailsExceptForKillInstance() {
        let server = FakeServer([.close(#"{"jsonrpc":"2.0","id":1,"res"#)])
        let c = Captured()
        #expect(NVMfRPCTool.main(["-s", server.path, "spdk_get_version"], console: c.console()) == 1)
        server.wait()
        #expect(
            c.err == ["nvmf-rpc: \(server.path) closed the connection before a complete response (28 bytes received)"])

        let killed = FakeServer([.close("")])
        let k = Captured()
        #expect(NVMfRPCTool.main(["-s", killed.path, "spdk_kill_instance", "SIGTERM"], console: k.console()) == 0)
        killed.wait()
        #expect(k.out.isEmpty && k.err.isEmpty)
    }

    @Test func dryRunPrintsTheRequestWithoutConnecting() {
        let c = Captured()
        #expect(
            NVMfRPCTool.main(
                [
                    "--dry-run", "-s", "/nonexistent", "nvmf_subsystem_add_listener", "discovery", "-t", "rdma", "-a",
                    "10.0.0.1",
                ],
                console: c.console()) == 0)
        #expect(
            c.out == [
                """
                Request:
                {
                  "method": "nvmf_subsystem_add_listener",
                  "params": {
                    "nqn": "nqn.2014-08.org.nvmexpress.discovery",
                    "secure_channel": false,
                    "listen_address": {
                      "trtype": "rdma",
                      "traddr": "10.0.0.1"
                    }
                  }
                }
                """
            ])
        let v = Captured()
        #expect(NVMfRPCTool.main(["--dry-run", "spdk_get_version"], console: v.console()) == 0)
        #expect(v.out == ["Request:\n{\n  \"method\": \"spdk_get_version\",\n  \"params\": null\n}"])
    }

    @Test func saveConfigIndent() {
        let reply = #"{"jsonrpc":"2.0","id":1,"result":{"subsystems":[{"subsystem":"bdev","config":[]}]}}"#
        let server = FakeServer([.pieces([reply])])
        let c = Captured()
        #expect(NVMfRPCTool.main(["-s", server.path, "save_config", "-i", "-1"], console: c.console()) == 0)
        server.wait()
        // Keys come sorted (JSONValue keeps no order); SPDK writes "subsystem" first.
        #expect(c.out == [#"{"subsystems": [{"config": [], "subsystem": "bdev"}]}"#])
    }

    @Test func usageErrorsExitTwoAndHelpZero() {
        let c = Captured()
        #expect(NVMfRPCTool.main(["bdev_malloc_create"], console: c.console()) == 2)
        #expect(c.err.joined().contains("block_size") || c.err.joined().contains("total_size"))
        #expect(NVMfRPCTool.main(["-t"], console: Captured().console()) == 2)
        #expect(NVMfRPCTool.main(["-t", "soon", "spdk_get_version"], console: Captured().console()) == 2)
        #expect(NVMfRPCTool.main(["-s", "10.0.0.1", "spdk_get_version"], console: Captured().console()) == 2)
        let h = Captured()
        #expect(NVMfRPCTool.main(["nvmf_subsystem_add_listener", "-h"], console: h.console()) == 0)
        #expect(h.out.joined().contains("--trsvcid"))
        #expect(!h.out.joined().contains("nvmf_get_stats"), "the method's help, not the list")
        let named = Captured()
        #expect(NVMfRPCTool.main(["help", "nvmf_get_stats"], console: named.console()) == 0)
        #expect(named.out.joined().contains("--tgt-name"))
        let top = Captured()
        #expect(NVMfRPCTool.main(["--help"], console: top.console()) == 0)
        #expect(top.out.joined().contains("nvmf_subsystem_allow_any_host"))
        #expect(top.out.joined().contains("--conn-retries"))
        // No method and a terminal: rpc.py prints its help and exits 1.
        #expect(NVMfRPCTool.main([], console: Captured().console()) == 1)
    }

    @Test func globalOptionsStopAtTheMethod() throws {
        let (g, rest) = try GlobalOptions.parse([
            "-s", "/x.sock", "-t", "5", "-r", "2", "-v", "nvmf_subsystem_add_listener", "n", "-s", "4420", "-t", "rdma",
        ])
        #expect(g.server == "/x.sock" && g.timeout == 5 && g.connRetries == 2 && g.verbose == "INFO")
        #expect(rest == ["nvmf_subsystem_add_listener", "n", "-s", "4420", "-t", "rdma"])
        let (h, _) = try GlobalOptions.parse(["-s/y.sock", "--timeout=1.5", "--conn-retries", "1", "--dry-run", "m"])
        #expect(h.server == "/y.sock" && h.timeout == 1.5 && h.connRetries == 1 && h.dryRun)
        let (d, none) = try GlobalOptions.parse([])
        #expect(d == GlobalOptions() && none.isEmpty)
        #expect(d.server == "/var/tmp/spdk.sock" && d.timeout == 60 && d.connRetries == 0)
        #expect(dashedOptionNames(["--tgt_name=a_b", "a_b", "-t_x"]) == ["--tgt-name=a_b", "a_b", "-t_x"])
    }

    @Test func shellWordsSplitLikeShlex() throws {
        #expect(
            try shellWords(#"bdev_malloc_create -b "My disk" 64 512"#) == [
                "bdev_malloc_create", "-b", "My disk", "64", "512",
            ])
        #expect(try shellWords(#"a 'b c\d' "e\"f\g" h\ i"#) == ["a", #"b c\d"#, #"e"f\g"#, "h i"])
        #expect(try shellWords("  ") == [])
        #expect(try shellWords(#"a "" b"#) == ["a", "", "b"])
        #expect(throws: GlobalOptions.UsageError.self) { try shellWords("a 'b") }
    }

    @Test func aRepeatedScriptLineIsSentEachTimeWithItsOwnID() {
        let server = FakeServer([
            .pieces([#"{"jsonrpc":"2.0","id":1,"result":{"tick_rate":1}}"#]),
            .pieces([#"{"jsonrpc":"2.0","id":2,"result":{"tick_rate":2}}"#]),
            .pieces([#"{"jsonrpc":"2.0","id":3,"error":{"code":-1,"message":"no"}}"#]),
        ])
        let c = Captured()
        c.stdin = ["nvmf_get_stats", "nvmf_get_stats", "nvmf_get_stats"]
        let status = NVMfRPCTool.main(["-s", server.path], console: c.console(terminal: false))
        server.wait()
        #expect(status == 1, "the third answer is an error, even for a line parsed before")
        #expect(server.requests.count == 3)
        #expect(server.requests.enumerated().allSatisfy { $1.contains("\"id\": \($0 + 1)") })
        #expect(server.requests.allSatisfy { $0.contains("\"method\": \"nvmf_get_stats\"") })
        #expect(c.out.prefix(2).map { $0.contains("tick_rate") } == [true, true])
        #expect(c.out.dropFirst(2).first == "Exception:\nnvmf_get_stats\nnvmf_get_stats\nnvmf_get_stats <<<")
    }

    @Test func scriptModeRunsEveryLineOnOneConnection() {
        let server = FakeServer([
            .pieces([#"{"jsonrpc":"2.0","id":1,"result":"M0"}"#]),
            .pieces([#"{"jsonrpc":"2.0","id":2,"error":{"code":-1,"message":"no"}}"#]),
        ])
        let c = Captured()
        c.stdin = [
            "# a comment", "bdev_malloc_create -b M0 1 512", "", "nvmf_delete_subsystem nqn.x", "spdk_get_version",
        ]
        let status = NVMfRPCTool.main(["-s", server.path], console: c.console(terminal: false))
        server.wait()
        #expect(status == 1)
        #expect(server.requests.count == 2)
        #expect(server.requests.last?.contains("\"id\": 2") == true, "ids increase on the connection")
        #expect(c.out.first == "M0")
        #expect(
            c.out.dropFirst().first
                == "Exception:\n# a comment\nbdev_malloc_create -b M0 1 512\nnvmf_delete_subsystem nqn.x <<<")
        #expect(
            c.out.last?.hasPrefix(
                "request:\n{\n  \"nqn\": \"nqn.x\",\n  \"method\": \"nvmf_delete_subsystem\",\n  \"req_id\": 2") == true
        )
    }
}
