// Benchmark: what one JSON-RPC request costs the target's RPC thread
// (perf/RESULTS §10). A real RPCServer on a Unix socket in front of a target
// with spinning poll groups; one client thread sends CALLS requests of METHOD
// back to back and reads each answer. Prints the RPC thread's CPU per call
// (from /proc/self/task/TID/schedstat, nanoseconds on CPU) and the wall time
// per call.
//
// Usage: rpc-bench [calls] [poll-groups] [method]
import Backends
import Glibc
import Logging
import NVMfConfig
import NVMfRPC
import Target

let arguments = CommandLine.arguments
let calls = arguments.count > 1 ? Int(arguments[1]) ?? 5000 : 5000
let groupCount = arguments.count > 2 ? Int(arguments[2]) ?? 2 : 2
let method = arguments.count > 3 ? arguments[3] : "nvmf_get_stats"

LoggingSystem.bootstrap { label in
    var h = StreamLogHandler.standardError(label: label)
    h.logLevel = .warning
    return h
}
let target = NVMfTarget()
let subsystem = try target.addSubsystem(nqn: "nqn.2026-01.io.swift:rpc-bench", allowAnyHost: true)
let device = try MemoryBlockDevice(name: "Malloc0", blockCount: 2048, blockSize: 512)
try target.registerDevice(device)
try subsystem.addNamespace(device: device)
try subsystem.start()

/// Poll groups spin on their own threads, as the daemon's do in poll mode.
final class Pump: @unchecked Sendable {
    let group: PollGroup
    var stop = false
    var thread = pthread_t()
    init(_ group: PollGroup) { self.group = group }
}
var pumps: [Pump] = []
for _ in 0..<groupCount {
    let pump = Pump(target.makePollGroup())
    pthread_create(
        &pump.thread, nil,
        { arg in
            let p = Unmanaged<Pump>.fromOpaque(arg!).takeUnretainedValue()
            p.group.bindToCurrentThread()
            while !p.stop { if p.group.poll() == 0 { sched_yield() } }
            p.group.shutdown()
            return nil
        }, Unmanaged.passUnretained(pump).toOpaque())
    pumps.append(pump)
}

let path = "/tmp/rpc-bench-\(getpid()).sock"
let methods = RPCMethods(target: target, state: AppliedConfiguration(), logger: Logger(label: "rpc-bench"))
let server = RPCServer(path: path, methods: methods, logger: Logger(label: "rpc-bench"))
try server.start()

/// Nanoseconds the RPC thread (named "nvmf-rpc") has run.
func rpcThreadCPU() -> UInt64 {
    let dir = opendir("/proc/self/task")!
    defer { closedir(dir) }
    while let entry = readdir(dir) {
        let tid = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        guard tid.first?.isNumber == true else { continue }
        func read(_ file: String) -> String {
            guard let f = fopen("/proc/self/task/\(tid)/\(file)", "r") else { return "" }
            defer { fclose(f) }
            var buffer = [CChar](repeating: 0, count: 256)
            return fgets(&buffer, 256, f) != nil ? String(cString: buffer) : ""
        }
        if read("comm").hasPrefix("nvmf-rpc") {
            return UInt64(read("schedstat").split(separator: " ").first ?? "0") ?? 0
        }
    }
    fatalError("no thread named nvmf-rpc")
}

func connectClient() -> Int32 {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        raw.copyBytes(from: path.utf8)
        raw[path.utf8.count] = 0
    }
    let rc = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
        }
    }
    precondition(rc == 0, "connect: \(errno)")
    return fd
}

let fd = connectClient()
let request = Array(#"{"jsonrpc":"2.0","method":"\#(method)","id":1}"#.utf8)
var answer = [UInt8](repeating: 0, count: 1 << 20)
func call() {
    _ = request.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    var have = 0
    while true {
        let n = answer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + have, $0.count - have) }
        precondition(n > 0, "the server closed the connection")
        have += n
        if answer[have - 1] == UInt8(ascii: "\n") { break }
    }
    precondition(!answer[0..<have].starts(with: Array(#"{"error""#.utf8)), "error answer")
}

for _ in 0..<100 { call() }  // warm up
let cpu0 = rpcThreadCPU()
var t0 = timespec()
clock_gettime(CLOCK_MONOTONIC, &t0)
for _ in 0..<calls { call() }
var t1 = timespec()
clock_gettime(CLOCK_MONOTONIC, &t1)
let cpu = Double(rpcThreadCPU() - cpu0) / Double(calls) / 1000
let wall = (Double(t1.tv_sec - t0.tv_sec) * 1e9 + Double(t1.tv_nsec - t0.tv_nsec)) / Double(calls) / 1000
print(
    "\(method): \(calls) calls, \(groupCount) poll groups: RPC thread CPU \((cpu * 10).rounded() / 10) µs/call, wall \((wall * 10).rounded() / 10) µs/call"
)
close(fd)
server.stop()
for p in pumps { p.stop = true }
for p in pumps { pthread_join(p.thread, nil) }
target.closeAllDevices()
