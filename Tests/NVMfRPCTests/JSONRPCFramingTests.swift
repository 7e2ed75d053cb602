import NVMfConfig
import Testing

@testable import NVMfRPC

@Suite struct JSONStreamSplitterTests {
    func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    @Test func valuesArrivingInPiecesAndBackToBackAreCutWhereTheyEnd() throws {
        var s = JSONStreamSplitter(maxValueBytes: 1024)
        #expect(try s.append(bytes("{\"method\":\"a\",\"p\":{\"x\":[1,")).isEmpty)
        #expect(s.hasPartialValue)
        let values = try s.append(bytes("2]}}\n {\"b\":\"}{\\\"]\"}[1]"))
        #expect(values.count == 3, "braces and escaped quotes inside strings do not end a value")
        #expect(values.first == bytes("{\"method\":\"a\",\"p\":{\"x\":[1,2]}}"))
        #expect(values.dropFirst().first == bytes("{\"b\":\"}{\\\"]\"}"))
        #expect(values.last == bytes("[1]"), "no delimiter is needed between values")
        #expect(!s.hasPartialValue)
    }

    @Test func aLoneArrayIsAValueToo() throws {
        var s = JSONStreamSplitter(maxValueBytes: 64)
        #expect(try s.append(bytes(" [1, {\"a\": 2}] ")) == [bytes("[1, {\"a\": 2}]")])
        #expect(!s.hasPartialValue)
    }

    @Test func garbageTooLongAndTooDeepAreRefused() {
        var s = JSONStreamSplitter(maxValueBytes: 16)
        #expect(throws: JSONStreamSplitter.Failure.unexpectedByte(UInt8(ascii: "x"))) {
            try s.append(self.bytes("xyz"))
        }
        var long = JSONStreamSplitter(maxValueBytes: 16)
        #expect(throws: JSONStreamSplitter.Failure.tooLong) {
            try long.append(self.bytes("{\"a\":\"" + String(repeating: "z", count: 40)))
        }
        var deep = JSONStreamSplitter(maxValueBytes: 4096, maxDepth: 8)
        #expect(throws: JSONStreamSplitter.Failure.tooDeep) {
            try deep.append(self.bytes(String(repeating: "[", count: 9)))
        }
    }
}

@Suite struct RPCRequestTests {
    func decode(_ text: String) throws -> JSONValue { try JSONValue.parse(Array(text.utf8)) }

    @Test func aWellFormedRequestAndANotification() throws {
        let r = try RPCRequest.decode(
            try decode(#"{"jsonrpc":"2.0","method":"bdev_get_bdevs","id":1,"params":{"name":"Malloc0"}}"#))
        #expect(r.method == "bdev_get_bdevs" && r.id == .number(1))
        #expect(r.params == .object(["name": .string("Malloc0")]))
        let n = try RPCRequest.decode(try decode(#"{"jsonrpc":"2.0","method":"spdk_get_version"}"#))
        #expect(n.id == nil && n.params == nil, "no id: a notification")
    }

    @Test func everyMalformedRequestIsAnInvalidRequestCarryingItsId() throws {
        let cases: [(String, JSONValue, String)] = [
            (#"[1]"#, .null, "JSON object"),
            (#"{"jsonrpc":"1.0","method":"x","id":7}"#, .number(7), "jsonrpc"),
            (#"{"jsonrpc":"2.0","id":"a"}"#, .string("a"), "method"),
            (#"{"jsonrpc":"2.0","method":3,"id":"a"}"#, .string("a"), "method"),
            (#"{"jsonrpc":"2.0","method":"x","id":{"a":1}}"#, .null, "id"),
            (#"{"jsonrpc":"2.0","method":"x","id":2,"params":[1]}"#, .number(2), "params"),
            (#"{"jsonrpc":"2.0","method":"x","id":2,"extra":true}"#, .number(2), "extra"),
        ]
        for (text, id, word) in cases {
            let value = try decode(text)
            do {
                _ = try RPCRequest.decode(value)
                Issue.record("accepted \(text)")
            } catch {
                #expect(error.id == id, "\(text)")
                #expect(error.error.code == -32600, "\(text)")
                #expect(error.error.message.contains(word), "\(text): \(error.error.message)")
            }
        }
    }

    @Test func responsesHaveTheSpecsShape() {
        #expect(
            RPCResponse.error(id: .number(3), .methodNotFound("nope"))
                == .object([
                    "jsonrpc": .string("2.0"), "id": .number(3),
                    "error": .object(["code": .number(-32601), "message": .string("Method not found: nope")]),
                ]))
        #expect(
            RPCResponse.result(id: .string("x"), .bool(true))
                == .object(["jsonrpc": .string("2.0"), "id": .string("x"), "result": .bool(true)]))
    }
}
