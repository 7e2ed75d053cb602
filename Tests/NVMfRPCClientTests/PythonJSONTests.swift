import NVMfConfig
import NVMfRPCClient
import Testing

/// The printer against what Python's `json.dumps` writes (values checked
/// with CPython 3).
@Suite struct PythonJSONTests {
    @Test func indentTwoLikeJsonDumps() {
        let v: OrderedJSON = ["b": [1, "x", ["k": nil]], "a": true, "e": [], "o": [:] as OrderedJSON]
        #expect(
            PythonJSON.dumps(v) == """
                {
                  "b": [
                    1,
                    "x",
                    {
                      "k": null
                    }
                  ],
                  "a": true,
                  "e": [],
                  "o": {}
                }
                """)
    }

    @Test func compactAndOtherIndents() {
        let v: OrderedJSON = ["a": [1, 2], "b": ["c": false]]
        #expect(PythonJSON.dumps(v, indent: nil) == #"{"a": [1, 2], "b": {"c": false}}"#)
        #expect(PythonJSON.dumps(v, indent: 0) == "{\n\"a\": [\n1,\n2\n],\n\"b\": {\n\"c\": false\n}\n}")
        #expect(PythonJSON.dumps([], indent: 4) == "[]")
        #expect(PythonJSON.dumps(["x": [1]], indent: 4) == "{\n    \"x\": [\n        1\n    ]\n}")
    }

    @Test func stringsAreEscapedAsciiOnly() {
        #expect(PythonJSON.dumps("a\"b\\c/d") == #""a\"b\\c/d""#, "slash is not escaped")
        #expect(PythonJSON.dumps("\n\r\t\u{08}\u{0C}\u{01}\u{7F}") == #""\n\r\t\b\f\u0001\u007f""#)
        #expect(PythonJSON.dumps("é€😀") == #""\u00e9\u20ac\ud83d\ude00""#, "UTF-16 units, lower-case hex")
    }

    @Test func numbersAsPythonWritesThem() {
        #expect(PythonJSON.dumps(.int(-42)) == "-42")
        #expect(PythonJSON.dumps(.double(1.5)) == "1.5")
        #expect(PythonJSON.dumps(.double(3)) == "3.0")
        #expect(PythonJSON.dumps(.double(0.1)) == "0.1")
        #expect(PythonJSON.dumps(.double(1e-05)) == "1e-05")
        #expect(PythonJSON.dumps(.double(1e16)) == "1e+16")
        #expect(PythonJSON.dumps(.double(1e15)) == "1000000000000000.0")
        #expect(PythonJSON.dumps(.double(.infinity)) == "Infinity")
        // What the server sends as 128 is an integer to Python as well.
        #expect(OrderedJSON(JSONValue.number(128)) == .int(128))
        #expect(OrderedJSON(JSONValue.number(0.25)) == .double(0.25))
    }

    @Test func printJsonStripsQuotesPrintDictDoesNot() {
        #expect(PythonJSON.jsonText("Malloc0") == "Malloc0")
        #expect(PythonJSON.dictText("Malloc0") == "\"Malloc0\"")
        #expect(PythonJSON.jsonText(true) == "true")
        #expect(PythonJSON.jsonText(["version": "v"]) == "{\n  \"version\": \"v\"\n}")
        #expect(PythonJSON.jsonText("") == "", "json.dumps gives \"\", strip leaves nothing")
    }

    @Test func serverObjectsPrintWithSortedKeys() throws {
        let parsed = try JSONValue.parse(Array(#"{"z": 1, "a": {"y": [true], "b": "s"}}"#.utf8))
        #expect(
            PythonJSON.dumps(OrderedJSON(parsed), indent: nil) == #"{"a": {"b": "s", "y": [true]}, "z": 1}"#)
    }
}
