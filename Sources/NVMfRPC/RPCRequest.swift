import NVMfConfig

/// One JSON-RPC 2.0 request, checked against the spec before any method runs.
public struct RPCRequest: Equatable, Sendable {
    /// The id to answer with; nil for a notification (no response is sent).
    public var id: JSONValue?
    public var method: String
    /// An object or absent (SPDK's methods take named parameters only).
    public var params: JSONValue?

    /// Decodes `value`, or says why it is not a request.
    ///
    /// - Throws: `.invalidRequest` (with the request's id, if it had a
    ///   usable one, in `id`) for a non-object, a `jsonrpc` other than
    ///   "2.0", a missing or non-string `method`, an id that is not a
    ///   string, number or null, params that are not an object, or any
    ///   other member.
    public static func decode(_ value: JSONValue) throws(RequestFailure) -> RPCRequest {
        guard case .object(let members) = value else {
            throw RequestFailure(id: .null, error: .invalidRequest("a request is a JSON object"))
        }
        var id: JSONValue? = nil
        if let raw = members["id"] {
            switch raw {
            case .string, .number, .null: id = raw
            default: throw RequestFailure(id: .null, error: .invalidRequest("id must be a string, number or null"))
            }
        }
        func fail(_ why: String) -> RequestFailure { RequestFailure(id: id ?? .null, error: .invalidRequest(why)) }
        guard members["jsonrpc"] == .string("2.0") else { throw fail("jsonrpc must be \"2.0\"") }
        guard case .string(let method)? = members["method"] else { throw fail("method must be a string") }
        let params = members["params"]
        if let params {
            guard case .object = params else { throw fail("params must be an object") }
        }
        if let extra = members.keys.first(where: { !["jsonrpc", "method", "params", "id"].contains($0) }) {
            throw fail("unknown member \"\(extra)\"")
        }
        return RPCRequest(id: id, method: method, params: params)
    }

    /// A request that cannot be run, and the id its error response carries.
    public struct RequestFailure: Error, Equatable {
        public var id: JSONValue
        public var error: RPCError
    }
}

/// Builds response objects.
public enum RPCResponse {
    public static func result(id: JSONValue, _ result: JSONValue) -> JSONValue {
        .object(["jsonrpc": .string("2.0"), "id": id, "result": result])
    }

    public static func error(id: JSONValue, _ error: RPCError) -> JSONValue {
        .object(["jsonrpc": .string("2.0"), "id": id, "error": error.json])
    }
}
