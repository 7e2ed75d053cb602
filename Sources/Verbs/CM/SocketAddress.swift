#if canImport(Glibc)
    import Glibc
#endif

/// An IPv4 or IPv6 address and port in the `sockaddr` form RDMA CM takes.
public struct SocketAddress: Sendable, CustomStringConvertible {
    /// Large enough for either family.
    var storage: sockaddr_storage
    public let host: String
    public let port: UInt16

    /// Parses a numeric IPv4 (`10.0.2.15`) or IPv6 (`fe80::1`) address.
    /// - Returns: nil if `host` is neither (no DNS lookup is made).
    public init?(host: String, port: UInt16) {
        var storage = sockaddr_storage()
        var ok = false
        withUnsafeMutableBytes(of: &storage) { raw in
            let v4 = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self)
            if inet_pton(AF_INET, host, &v4.pointee.sin_addr) == 1 {
                v4.pointee.sin_family = sa_family_t(AF_INET)
                v4.pointee.sin_port = port.bigEndian
                ok = true
                return
            }
            let v6 = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self)
            if inet_pton(AF_INET6, host, &v6.pointee.sin6_addr) == 1 {
                v6.pointee.sin6_family = sa_family_t(AF_INET6)
                v6.pointee.sin6_port = port.bigEndian
                ok = true
            }
        }
        guard ok else { return nil }
        self.storage = storage
        self.host = host
        self.port = port
    }

    /// The wildcard IPv4 address (`0.0.0.0`) on `port`: listen on every RDMA device.
    public static func any(port: UInt16) -> SocketAddress {
        SocketAddress(host: "0.0.0.0", port: port)!
    }

    public var isIPv4: Bool { Int32(storage.ss_family) == AF_INET }

    public var description: String { isIPv4 ? "\(host):\(port)" : "[\(host)]:\(port)" }

    /// The numeric host of an IPv4 or IPv6 `sockaddr`; nil for other families.
    static func host(of address: UnsafePointer<sockaddr>) -> String? {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let ok: Bool
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            ok = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                withUnsafePointer(to: v4.pointee.sin_addr) {
                    inet_ntop(AF_INET, $0, &text, socklen_t(text.count)) != nil
                }
            }
        case AF_INET6:
            ok = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                withUnsafePointer(to: v6.pointee.sin6_addr) {
                    inet_ntop(AF_INET6, $0, &text, socklen_t(text.count)) != nil
                }
            }
        default:
            return nil
        }
        return ok ? String(cString: text) : nil
    }

    /// Calls `body` with the address as `sockaddr *`.
    func withSockaddr<R>(_ body: (UnsafeMutablePointer<sockaddr>) -> R) -> R {
        var copy = storage
        return withUnsafeMutableBytes(of: &copy) {
            body($0.baseAddress!.assumingMemoryBound(to: sockaddr.self))
        }
    }
}
