#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Whether a string is a numeric address, without resolving anything.
enum SocketAddressCheck {
    static func isNumeric(_ text: String, family: TransportID.AddressFamily) -> Bool {
        var storage = in6_addr()
        let af = family == .ipv4 ? AF_INET : AF_INET6
        return withUnsafeMutableBytes(of: &storage) { inet_pton(af, text, $0.baseAddress) == 1 }
    }
}
