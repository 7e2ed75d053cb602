import Testing

@testable import NVMfConfig

private func parsed(_ text: String) throws(ConfigError) -> JSONValue { try JSONValue.parse(Array(text.utf8)) }

private func refused(_ bytes: [UInt8], _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        let v = try JSONValue.parse(bytes)
        Issue.record("accepted: \(v)", sourceLocation: sourceLocation)
    } catch {
        #expect(error.message.contains(fragment), "message: \(error.message)", sourceLocation: sourceLocation)
    }
}

private func refused(_ text: String, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
    refused(Array(text.utf8), fragment, sourceLocation: sourceLocation)
}

@Suite struct JSONParserTests {
    @Test func everyKindOfValue() throws {
        let v = try parsed(
            #" { "a" : [1, -2.5, 3e2, 0, -0.125E-1, true, false, null], "b": {}, "c": [], "d": "x\"\\\/\b\f\n\r\t" } "#)
        #expect(
            v
                == .object([
                    "a": .array([
                        .number(1), .number(-2.5), .number(300), .number(0), .number(-0.0125), .bool(true),
                        .bool(false), .null,
                    ]),
                    "b": .object([:]), "c": .array([]), "d": .string("x\"\\/\u{8}\u{c}\n\r\t"),
                ]))
        #expect(try parsed("7") == .number(7))
        #expect(try parsed("\"\"") == .string(""))
    }

    @Test func unicodeEscapesAndRawUTF8() throws {
        #expect(try parsed(#""\u00e9\u20AC\ud83d\ude00""#) == .string("é€😀"))
        #expect(try parsed("\"é€😀\"") == .string("é€😀"))
    }

    @Test func malformedTextIsRefusedWithItsPlace() {
        refused("", "found the end of the text")
        refused("{\"a\":1", "',' or '}' in an object was expected")
        refused("{\"a\":1,}", "an object key (a string) was expected")
        refused("[1,]", "unexpected character ']'")
        refused("[1 2]", "',' or ']' in an array was expected")
        refused("{\"a\" 1}", "':' after an object key was expected")
        refused("{a:1}", "an object key (a string) was expected")
        refused("tru", "true expected")
        refused("nul", "null expected")
        refused("{} x", "at byte 3: unexpected text after the value")
        refused("'a'", "unexpected character")
    }

    @Test func numbersFollowTheGrammarAndStayFinite() {
        refused("01", "leading zero")
        refused("-", "a digit was expected")
        refused("1.", "after '.'")
        refused(".5", "unexpected character '.'")
        refused("1e", "exponent")
        refused("+1", "unexpected character '+'")
        refused("1e400", "out of range")
        refused("NaN", "unexpected character 'N'")
        refused("Infinity", "unexpected character 'I'")
    }

    @Test func stringsAreValidUTF8WithWholeEscapes() {
        refused("\"abc", "unterminated string")
        refused("\"a\nb\"", "control character 0xa")
        refused(#""\x""#, "unknown escape \\'x'")
        refused(#""\u12""#, "four hex digits")
        refused(#""\ud83d""#, "unpaired surrogate")
        refused(#""\ud83dx""#, "unpaired surrogate")
        refused(#""\ud83d\u0041""#, "unpaired surrogate")
        refused(#""\ude00""#, "unpaired surrogate")
        refused([0x22, 0xC3, 0x22], "not valid UTF-8")
        refused([0x22, 0x5C, 0x6E, 0xFF, 0x22], "not valid UTF-8")
    }

    @Test func aRepeatedKeyIsRefusedNotHalfIgnored() {
        refused(#"{"nsid": 1, "nsid": 2}"#, "at byte 12: duplicate key \"nsid\"")
    }

    @Test func nestingIsBoundedBeforeTheStackIs() throws {
        let ok = String(repeating: "[", count: JSONParser.maxDepth) + String(repeating: "]", count: JSONParser.maxDepth)
        #expect(throws: Never.self) { try parsed(ok) }
        refused(String(repeating: "[", count: 100_000), "nested more than 128 levels")
        refused(String(repeating: "{\"a\":", count: 200) + "1" + String(repeating: "}", count: 200), "nested more")
    }

    @Test func writerRoundTripsAndSortsKeys() throws {
        let v = JSONValue.object([
            "z": .number(1), "a": .array([.number(0.5), .number(-3), .number(1e300), .bool(false), .null]),
            "s": .string("q\"\\/\u{1}\n\t é"),
        ])
        let text = String(decoding: v.encoded, as: UTF8.self)
        #expect(text == #"{"a":[0.5,-3,1e+300,false,null],"s":"q\"\\/\u0001\n\t é","z":1}"#)
        #expect(try JSONValue.parse(v.encoded) == v)
        #expect(String(decoding: JSONValue.number(.nan).encoded, as: UTF8.self) == "null")
        #expect(String(decoding: JSONValue.number(4_294_967_296).encoded, as: UTF8.self) == "4294967296")
    }
}
