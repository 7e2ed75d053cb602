import NVMfConfig

/// A JSON value whose objects keep their members in order.
///
/// rpc.py builds its requests as Python dicts, which print in insertion
/// order; keeping that order makes our requests, `--dry-run` output and
/// error reports read like rpc.py's. (`JSONValue` holds a dictionary, so it
/// can only be printed with sorted keys; the server sends sorted keys anyway.)
public indirect enum OrderedJSON: Equatable, Sendable {
    case null
    case bool(Bool)
    /// Python keeps integers and floats apart, and prints them differently.
    case int(Int)
    case double(Double)
    case string(String)
    case array([OrderedJSON])
    case object([Member])

    /// One `"key": value` member of an object.
    public struct Member: Equatable, Sendable {
        public var key: String
        public var value: OrderedJSON

        public init(_ key: String, _ value: OrderedJSON) {
            self.key = key
            self.value = value
        }
    }

    /// `value` with object keys sorted (the server's order) and whole
    /// numbers as integers (what Python's parser makes of the server's `3`).
    public init(_ value: JSONValue) {
        switch value {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .number(let n):
            if let i = Int(exactly: n) { self = .int(i) } else { self = .double(n) }
        case .unsignedInteger(let u):
            if let i = Int(exactly: u) { self = .int(i) } else { self = .double(Double(u)) }
        case .string(let s): self = .string(s)
        case .array(let a): self = .array(a.map(OrderedJSON.init))
        case .object(let o): self = .object(o.keys.sorted().map { Member($0, OrderedJSON(o[$0]!)) })
        }
    }

    /// The same value as a `JSONValue` (member order is lost).
    public var jsonValue: JSONValue {
        switch self {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .int(let i): return .number(Double(i))
        case .double(let d): return .number(d)
        case .string(let s): return .string(s)
        case .array(let a): return .array(a.map(\.jsonValue))
        case .object(let members):
            var o: [String: JSONValue] = [:]
            for m in members { o[m.key] = m.value.jsonValue }
            return .object(o)
        }
    }

    /// The value of member `key`, if this is an object that has one.
    public subscript(key: String) -> OrderedJSON? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }
}

extension OrderedJSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: OrderedJSON...) { self = .array(elements) }
    /// Keeps the literal's order, like a Python dict display.
    public init(dictionaryLiteral elements: (String, OrderedJSON)...) {
        self = .object(elements.map { Member($0.0, $0.1) })
    }
    public init(nilLiteral: ()) { self = .null }
}
