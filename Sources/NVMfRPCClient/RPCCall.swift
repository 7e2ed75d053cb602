/// What one subcommand invocation sends, and how rpc.py shows its result.
public struct RPCCall: Equatable, Sendable {
    /// How rpc.py prints a successful result; it differs per method.
    public enum Output: Equatable, Sendable {
        /// Nothing (rpc.py ignores the result of most calls that change state).
        case nothing
        /// `print_json`: indent 2, surrounding quotes stripped (a created bdev's name prints bare).
        case json
        /// `print_dict`: indent 2.
        case dict
        /// save_config's `json.dump(indent=...)`; a negative indent is the compact form.
        case config(indent: Int)
    }

    public var method: String
    /// The params object, in rpc.py's member order. nil when rpc.py calls
    /// the method without params (it then shows `null` in `--dry-run`);
    /// an empty object is not sent either, as rpc.py does.
    public var params: [OrderedJSON.Member]?
    public var output: Output
    /// spdk_kill_instance: the server may exit before it answers, which rpc.py does not count as an error.
    public var closeMeansSuccess = false

    public init(
        _ method: String, _ params: RPCParams? = nil, output: Output = .nothing, closeMeansSuccess: Bool = false
    ) {
        self.method = method
        self.params = params?.members
        self.output = output
        self.closeMeansSuccess = closeMeansSuccess
    }

    /// The params as one object (empty when there are none), for tests and messages.
    public var paramsObject: OrderedJSON { .object(params ?? []) }
}

/// A params object under construction, with the ways rpc.py's Python
/// decides whether an optional argument is sent.
public struct RPCParams: Equatable, Sendable {
    public private(set) var members: [OrderedJSON.Member] = []

    public init() {}

    /// Always sent.
    public mutating func add(_ key: String, _ value: OrderedJSON) {
        if let i = members.firstIndex(where: { $0.key == key }) {
            members[i].value = value  // a Python dict keeps the first position on reassignment
        } else {
            members.append(.init(key, value))
        }
    }

    /// `if value is not None:` — sent when given, even when 0.
    public mutating func addIfGiven(_ key: String, _ value: Int?) {
        if let value { add(key, .int(value)) }
    }

    /// `if value is not None:` for strings.
    public mutating func addIfGiven(_ key: String, _ value: String?) {
        if let value { add(key, .string(value)) }
    }

    /// `if value:` — Python's truthiness: 0 is not sent.
    public mutating func addIfTrue(_ key: String, _ value: Int?) {
        if let value, value != 0 { add(key, .int(value)) }
    }

    /// `if value:` — an empty string is not sent.
    public mutating func addIfTrue(_ key: String, _ value: String?) {
        if let value, !value.isEmpty { add(key, .string(value)) }
    }

    /// `if value:` for a store_true flag: sent (as true) only when set.
    public mutating func addIfTrue(_ key: String, _ value: Bool) {
        if value { add(key, .bool(true)) }
    }

    /// The object itself, for nesting (`listen_address`, `namespace`).
    public var object: OrderedJSON { .object(members) }
}
