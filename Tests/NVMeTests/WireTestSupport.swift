import NVMe

/// Encodes into a fresh zeroed array of `size` bytes.
func encoded(_ size: Int, _ body: (UnsafeMutableRawBufferPointer) -> Void) -> [UInt8] {
    var out = [UInt8](repeating: 0xAA, count: size)
    out.withUnsafeMutableBytes { body($0) }
    return out
}

func le16(_ b: [UInt8], _ o: Int) -> UInt16 { UInt16(b[o]) | UInt16(b[o + 1]) << 8 }
func le32(_ b: [UInt8], _ o: Int) -> UInt32 { UInt32(le16(b, o)) | UInt32(le16(b, o + 2)) << 16 }
func le64(_ b: [UInt8], _ o: Int) -> UInt64 { UInt64(le32(b, o)) | UInt64(le32(b, o + 4)) << 32 }
func ascii(_ b: [UInt8], _ o: Int, _ n: Int) -> String {
    String(decoding: b[o..<o + n], as: UTF8.self)
}

/// Builds a byte array from (offset, bytes) patches over zeroes: the golden
/// fixture, written from the reference's offset tables, not from the encoder.
func golden(_ size: Int, _ patches: [(Int, [UInt8])]) -> [UInt8] {
    var b = [UInt8](repeating: 0, count: size)
    for (o, bytes) in patches { for (i, v) in bytes.enumerated() { b[o + i] = v } }
    return b
}
