/// Typed access to one RPC's `params` object, with every error naming the
/// method and field, and unknown fields refused as SPDK's JSON decoder does.
public struct Params {
    public let path: String
    public let fields: [String: JSONValue]
    private(set) var used: Set<String> = []

    public init(_ value: JSONValue?, path: String) throws(ConfigError) {
        self.path = path
        switch value {
        case .none, .some(.null): fields = [:]
        case .some(.object(let o)): fields = o
        case .some(let other): throw ConfigError(path: path, message: "must be an object, not \(other.kind)")
        }
    }

    private func error(_ key: String, _ message: String) -> ConfigError {
        ConfigError(path: "\(path).\(key)", message: message)
    }

    public mutating func string(_ key: String) throws(ConfigError) -> String? {
        used.insert(key)
        switch fields[key] {
        case .none, .some(.null): return nil
        case .some(.string(let s)): return s
        case .some(let v): throw error(key, "must be a string, not \(v.kind)")
        }
    }

    public mutating func requiredString(_ key: String) throws(ConfigError) -> String {
        guard let s = try string(key) else { throw error(key, "required") }
        guard !s.isEmpty else { throw error(key, "must not be empty") }
        return s
    }

    public mutating func bool(_ key: String) throws(ConfigError) -> Bool? {
        used.insert(key)
        switch fields[key] {
        case .none, .some(.null): return nil
        case .some(.bool(let b)): return b
        case .some(let v): throw error(key, "must be a boolean, not \(v.kind)")
        }
    }

    /// An integer in `range`; SPDK configs sometimes carry numbers as strings.
    public mutating func integer(_ key: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int? {
        used.insert(key)
        let n: Double
        switch fields[key] {
        case .none, .some(.null): return nil
        case .some(.number(let d)): n = d
        case .some(.unsignedInteger(let u)):
            guard let i = Int(exactly: u), range.contains(i) else {
                throw error(key, "must be an integer in \(range.lowerBound)...\(range.upperBound), not \(u)")
            }
            return i
        case .some(.string(let s)):
            guard let d = Double(s) else { throw error(key, "must be an integer, not \"\(s)\"") }
            n = d
        case .some(let v): throw error(key, "must be an integer, not \(v.kind)")
        }
        // Int(exactly:) rather than Int(_:): 2^63 passes a Double range check
        // against Int.max and would trap in the conversion.
        guard let i = Int(exactly: n), range.contains(i) else {
            throw error(key, "must be an integer in \(range.lowerBound)...\(range.upperBound), not \(n)")
        }
        return i
    }

    public mutating func requiredInteger(_ key: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard let n = try integer(key, in: range) else { throw error(key, "required") }
        return n
    }

    public mutating func object(_ key: String) throws(ConfigError) -> Params? {
        used.insert(key)
        switch fields[key] {
        case .none, .some(.null): return nil
        case .some(let v): return try Params(v, path: "\(path).\(key)")
        }
    }

    /// Fields SPDK knows that this target accepts only at their neutral value.
    public mutating func ignoreIfDefault(_ key: String, default neutral: JSONValue) throws(ConfigError) {
        used.insert(key)
        if let v = fields[key], v != neutral, v != .null {
            throw error(key, "is not supported by this target (only \(neutral) is accepted)")
        }
    }

    /// `tgt_name`: SPDK can run several targets in one process; this daemon
    /// is one, named as SPDK's default ("nvmf_tgt"). Another name is refused
    /// rather than ignored.
    public mutating func targetName() throws(ConfigError) {
        if let name = try string("tgt_name"), name != "nvmf_tgt" {
            throw error("tgt_name", "this daemon has one target, \"nvmf_tgt\", not \"\(name)\"")
        }
    }

    /// Refuses any field the method's decoder did not read.
    public func finish() throws(ConfigError) {
        if let extra = fields.keys.sorted().first(where: { !used.contains($0) }) {
            throw error(extra, "unknown or unsupported field")
        }
    }
}
