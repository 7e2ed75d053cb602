/// Text exactly as Python's `json.dumps` writes it with its defaults
/// (`ensure_ascii=True`, no key sorting), which is what rpc.py prints and
/// what runbooks and scripts that parse rpc.py's output expect.
public enum PythonJSON {
    /// `json.dumps(value, indent=indent)`; `indent: nil` is the compact form
    /// (`", "` and `": "` separators, all on one line).
    public static func dumps(_ value: OrderedJSON, indent: Int? = 2) -> String {
        var out = ""
        write(value, indent: indent, level: 0, to: &out)
        return out
    }

    /// rpc.py's `print_dict`: the value with indent 2.
    public static func dictText(_ value: OrderedJSON) -> String { dumps(value) }

    /// rpc.py's `print_json`: the same, with every leading and trailing `"`
    /// removed, so that a string result (a bdev name) prints bare.
    public static func jsonText(_ value: OrderedJSON) -> String {
        let text = dumps(value)
        guard let first = text.firstIndex(where: { $0 != "\"" }) else { return "" }
        let last = text.lastIndex(where: { $0 != "\"" })!
        return String(text[first...last])
    }

    private static func write(_ value: OrderedJSON, indent: Int?, level: Int, to out: inout String) {
        switch value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += number(d)
        case .string(let s): writeString(s, to: &out)
        case .array(let items):
            guard !items.isEmpty else {
                out += "[]"
                return
            }
            out += "["
            for (i, item) in items.enumerated() {
                separate(first: i == 0, indent: indent, level: level + 1, to: &out)
                write(item, indent: indent, level: level + 1, to: &out)
            }
            close("]", indent: indent, level: level, to: &out)
        case .object(let members):
            guard !members.isEmpty else {
                out += "{}"
                return
            }
            out += "{"
            for (i, m) in members.enumerated() {
                separate(first: i == 0, indent: indent, level: level + 1, to: &out)
                writeString(m.key, to: &out)
                out += ": "
                write(m.value, indent: indent, level: level + 1, to: &out)
            }
            close("}", indent: indent, level: level, to: &out)
        }
    }

    /// Python puts "," then a new line when indenting, ", " when not.
    private static func separate(first: Bool, indent: Int?, level: Int, to out: inout String) {
        if let indent {
            if !first { out += "," }
            out += "\n" + String(repeating: " ", count: indent * level)
        } else if !first {
            out += ", "
        }
    }

    private static func close(_ bracket: String, indent: Int?, level: Int, to out: inout String) {
        if let indent { out += "\n" + String(repeating: " ", count: indent * level) }
        out += bracket
    }

    /// Python's `float.__repr__`; Swift's description uses the same shortest
    /// round-trip digits and exponent style, but not the same special names.
    static func number(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
        if d == d.rounded(), abs(d) < 1e16 {
            return String(Int64(d)) + ".0"  // Python writes a whole float as "3.0"
        }
        return "\(d)"
    }

    /// `ensure_ascii`: everything outside printable ASCII as `\uXXXX` (UTF-16).
    static func writeString(_ s: String, to out: inout String) {
        out += "\""
        for unit in s.utf16 {
            switch unit {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x08: out += "\\b"
            case 0x0C: out += "\\f"
            case 0x20...0x7E: out.unicodeScalars.append(Unicode.Scalar(unit)!)
            default:
                let hex = String(unit, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            }
        }
        out += "\""
    }
}
