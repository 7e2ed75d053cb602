#if canImport(Glibc)
    import Glibc
#endif

/// Who this host says it is in Connect: HOSTNQN and the 16-byte HOSTID.
///
/// By default the machine's own identity from nvme-cli's files (`/etc/nvme/hostnqn`,
/// `/etc/nvme/hostid`), so a subsystem that allows this machine's kernel host
/// allows nvmf-perf too; otherwise a fresh UUID-based one.
public struct HostIdentity: Equatable, Sendable {
    public var nqn: String
    public var id: [UInt8]

    public init(nqn: String, id: [UInt8]) {
        self.nqn = nqn
        self.id = id
    }

    /// The machine's identity, or a new random one; `nqn` overrides the NQN.
    public static func local(nqn override: String? = nil) -> HostIdentity {
        let fileNQN = readLine("/etc/nvme/hostnqn")
        let fileID = readLine("/etc/nvme/hostid").flatMap(uuidBytes)
        let random = randomUUID()
        let nqn = override ?? fileNQN ?? "nqn.2014-08.org.nvmexpress:uuid:\(format(random))"
        // HOSTID: nvme-cli's, else the NQN's own UUID when it has one, else the random one.
        let id = fileID ?? nqn.split(separator: ":").last.flatMap { uuidBytes(String($0)) } ?? random
        return HostIdentity(nqn: nqn, id: id)
    }

    static func readLine(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 512)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return nil }
        let line = String(cString: buffer).trimmingCharacters()
        return line.isEmpty ? nil : line
    }

    /// The 16 bytes of a UUID in its 8-4-4-4-12 text form, or nil.
    static func uuidBytes(_ text: String) -> [UInt8]? {
        let hex = text.filter { $0 != "-" }
        guard hex.count == 32, text.count == 36 else { return nil }
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return bytes
    }

    static func randomUUID() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes[6] = bytes[6] & 0x0F | 0x40  // version 4
        bytes[8] = bytes[8] & 0x3F | 0x80  // RFC 4122 variant
        return bytes
    }

    static func format(_ bytes: [UInt8]) -> String {
        let hex = bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }
            .joined()
        let parts = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { range in
            String(
                hex[
                    hex.index(
                        hex.startIndex, offsetBy: range.lowerBound)..<hex.index(
                            hex.startIndex, offsetBy: range.upperBound)])
        }
        return parts.joined(separator: "-")
    }
}

extension String {
    fileprivate func trimmingCharacters() -> String {
        var scalars = Substring(self)
        while let last = scalars.last, last == "\n" || last == " " || last == "\r" || last == "\t" {
            scalars = scalars.dropLast()
        }
        while let first = scalars.first, first == " " || first == "\t" { scalars = scalars.dropFirst() }
        return String(scalars)
    }
}
