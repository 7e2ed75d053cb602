/// Little-endian, bounds-checked loads and stores over raw wire memory.
///
/// Every multi-byte NVMe field is little-endian and many sit at unaligned
/// offsets (the keyed SGL key is at byte 35 of the SQE), so all access goes
/// through `loadUnaligned` / byte stores. Out-of-range reads return 0 and
/// out-of-range writes are dropped: a short host buffer must never trap.
extension UnsafeRawBufferPointer {
    @inlinable
    func wireByte(_ offset: Int) -> UInt8 {
        guard offset >= 0, offset < count else { return 0 }
        return load(fromByteOffset: offset, as: UInt8.self)
    }

    @inlinable
    func wireLE16(_ offset: Int) -> UInt16 {
        guard offset >= 0, offset <= count - 2 else { return 0 }
        return UInt16(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inlinable
    func wireLE32(_ offset: Int) -> UInt32 {
        guard offset >= 0, offset <= count - 4 else { return 0 }
        return UInt32(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inlinable
    func wireLE64(_ offset: Int) -> UInt64 {
        guard offset >= 0, offset <= count - 8 else { return 0 }
        return UInt64(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// A NUL-terminated (or field-filling) ASCII string of at most `width` bytes.
    /// Control path only: it allocates the `String`.
    func wireString(_ offset: Int, width: Int) -> String {
        guard offset >= 0, width > 0, offset <= count - width else { return "" }
        var end = offset
        while end < offset + width, load(fromByteOffset: end, as: UInt8.self) != 0 { end += 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: self[offset..<end]), as: UTF8.self)
    }
}

extension UnsafeMutableRawBufferPointer {
    @inlinable
    func putByte(_ value: UInt8, at offset: Int) {
        guard offset >= 0, offset < count else { return }
        storeBytes(of: value, toByteOffset: offset, as: UInt8.self)
    }

    @inlinable
    func putLE16(_ value: UInt16, at offset: Int) {
        guard offset >= 0, offset <= count - 2 else { return }
        storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt16.self)
    }

    @inlinable
    func putLE32(_ value: UInt32, at offset: Int) {
        guard offset >= 0, offset <= count - 4 else { return }
        storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt32.self)
    }

    @inlinable
    func putLE64(_ value: UInt64, at offset: Int) {
        guard offset >= 0, offset <= count - 8 else { return }
        storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt64.self)
    }

    /// Writes `bytes` at `offset`, truncated to the buffer.
    func putBytes<C: Collection>(_ bytes: C, at offset: Int) where C.Element == UInt8 {
        var o = offset
        for b in bytes {
            putByte(b, at: o)
            o += 1
        }
    }

    /// Writes `text` as ASCII into a `width`-byte field, padded with `pad`
    /// (space for SN/MN/FR, NUL for NQNs). Longer text is truncated.
    func putString(_ text: String, at offset: Int, width: Int, pad: UInt8) {
        var i = 0
        for b in text.utf8 where i < width {
            putByte(b, at: offset + i)
            i += 1
        }
        while i < width {
            putByte(pad, at: offset + i)
            i += 1
        }
    }

    /// Zero-fills the whole buffer.
    public func zeroFill() {
        guard let base = baseAddress, count > 0 else { return }
        base.initializeMemory(as: UInt8.self, repeating: 0, count: count)
    }
}

/// Copies between control-path byte arrays and wire buffers.
public enum WireCopy {
    /// Copies `source[offset ..< offset + length]` into the start of
    /// `destination`, zero-filling whatever lies past the end of `source`.
    /// Used to serve a log page window (LPO, NUMD) from a built page.
    public static func window(
        of source: [UInt8], offset: Int, length: Int, into destination: UnsafeMutableRawBufferPointer
    ) {
        let n = min(max(length, 0), destination.count)
        guard n > 0 else { return }
        UnsafeMutableRawBufferPointer(rebasing: destination[0..<n]).zeroFill()
        let start = min(max(offset, 0), source.count)
        let end = min(start + n, source.count)
        if end > start { destination.putBytes(source[start..<end], at: 0) }
    }

    /// Builds a `size`-byte page with `body` (control path).
    public static func page(size: Int, _ body: (UnsafeMutableRawBufferPointer) -> Void) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: max(size, 0))
        out.withUnsafeMutableBytes { body($0) }
        return out
    }
}
