#if canImport(Glibc)
    import Glibc
#endif

/// SIGINT and SIGTERM, blocked in every thread and taken synchronously by the
/// main thread: no signal handler runs concurrently with the transport.
struct StopSignals {
    private var set = sigset_t()

    init() {
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Blocks until SIGINT or SIGTERM arrives; returns its name.
    func waitForStopSignal() -> String {
        var s = set
        var received: Int32 = 0
        while sigwait(&s, &received) != 0 {}
        return received == SIGINT ? "SIGINT" : "SIGTERM"
    }
}

/// Reads a whole file, or throws a message naming it.
func readFile(_ path: String) throws -> [UInt8] {
    guard let f = fopen(path, "rb") else {
        throw DaemonError("cannot open \(path): \(String(cString: strerror(errno)))")
    }
    defer { fclose(f) }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&chunk, 1, chunk.count, f)
        if n > 0 { out.append(contentsOf: chunk[0..<n]) }
        if n < chunk.count { break }
    }
    guard ferror(f) == 0 else { throw DaemonError("cannot read \(path)") }
    return out
}

struct DaemonError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// The first IPv4 address of an up, non-loopback interface: where the
/// embedded default listens when no address is given.
func firstNonLoopbackIPv4Address() -> String? {
    var list: UnsafeMutablePointer<ifaddrs>?
    guard getifaddrs(&list) == 0, let first = list else { return nil }
    defer { freeifaddrs(list) }
    var p: UnsafeMutablePointer<ifaddrs>? = first
    while let a = p {
        defer { p = a.pointee.ifa_next }
        let flags = Int32(a.pointee.ifa_flags)
        guard let sa = a.pointee.ifa_addr, sa.pointee.sa_family == sa_family_t(AF_INET),
            flags & Int32(IFF_UP) != 0, flags & Int32(IFF_LOOPBACK) == 0
        else { continue }
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        if getnameinfo(
            sa, socklen_t(MemoryLayout<sockaddr_in>.size), &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST)
            == 0
        {
            return String(cString: host)
        }
    }
    return nil
}
