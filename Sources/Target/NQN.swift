/// NVMe Qualified Name rules (NVMe base specification, "NVMe Qualified Names").
public enum NQN {
    /// Longest NQN in bytes.
    public static let maxLength = 223

    /// True for a well-formed NQN: at most 223 bytes of UTF-8, and either
    /// `nqn.yyyy-mm.<reverse domain>[:<anything>]` or the UUID form
    /// `nqn.2014-08.org.nvmexpress:uuid:<8-4-4-4-12 hex>`.
    public static func isValid(_ nqn: String) -> Bool {
        let bytes = Array(nqn.utf8)
        guard bytes.count >= 12, bytes.count <= maxLength, !bytes.contains(0) else { return false }
        let uuidPrefix = "nqn.2014-08.org.nvmexpress:uuid:"
        if nqn.hasPrefix(uuidPrefix) {
            return isUUID(Array(bytes[uuidPrefix.utf8.count...]))
        }
        // "nqn." yyyy "-" mm "." domain
        guard nqn.hasPrefix("nqn.") else { return false }
        let date = bytes[4..<11]
        for (i, b) in date.enumerated() {
            let isDigit = b >= 0x30 && b <= 0x39
            if i == 4 { guard b == 0x2D else { return false } } else { guard isDigit else { return false } }
        }
        let month = Int(bytes[9] - 0x30) * 10 + Int(bytes[10] - 0x30)
        guard (1...12).contains(month), bytes[11] == 0x2E else { return false }
        let rest = bytes[12...]
        let domain = rest.prefix { $0 != 0x3A }
        guard !domain.isEmpty, domain.first != 0x2E, domain.last != 0x2E else { return false }
        return domain.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2E || b == 0x2D
        }
    }

    private static func isUUID(_ b: [UInt8]) -> Bool {
        guard b.count == 36 else { return false }
        for (i, c) in b.enumerated() {
            if [8, 13, 18, 23].contains(i) {
                guard c == 0x2D else { return false }
            } else {
                let hex = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
                guard hex else { return false }
            }
        }
        return true
    }
}
