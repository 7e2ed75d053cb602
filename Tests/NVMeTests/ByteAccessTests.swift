import Testing

@testable import NVMe

@Suite struct ByteAccessTests {
    @Test func outOfRangeReadsAreZeroAndWritesAreDropped() {
        var b = [UInt8](repeating: 0xFF, count: 6)
        b.withUnsafeBytes { r in
            #expect(r.wireLE32(2) == 0xFFFF_FFFF)
            #expect(r.wireLE32(3) == 0)
            #expect(r.wireLE64(0) == 0)
            #expect(r.wireByte(-1) == 0 && r.wireByte(6) == 0)
            #expect(r.wireString(0, width: 7) == "")
        }
        b.withUnsafeMutableBytes { w in
            w.putLE32(0x0102_0304, at: 4)  // would cross the end: dropped
            w.putLE16(0x0A0B, at: 4)
            w.putString("abcdef", at: 0, width: 3, pad: 0)
        }
        #expect(b == [0x61, 0x62, 0x63, 0xFF, 0x0B, 0x0A])
    }

    @Test func windowCopyZeroFillsPastThePage() {
        let page: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
        var out = [UInt8](repeating: 0xEE, count: 8)
        out.withUnsafeMutableBytes { WireCopy.window(of: page, offset: 4, length: 8, into: $0) }
        #expect(out == [5, 6, 7, 8, 0, 0, 0, 0])
        out.withUnsafeMutableBytes { WireCopy.window(of: page, offset: 100, length: 4, into: $0) }
        #expect(out == [0, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test func wireBufferSpansAreClamped() {
        let w = WireBuffer(count: 16, alignment: 64)
        #expect(Int(bitPattern: w.bytes.baseAddress) % 64 == 0)
        #expect(w.span(offset: 12, length: 10).count == 4)
        #expect(w.span(offset: 20, length: 10).count == 0)
        w.copyIn([9, 8, 7], at: 14)
        #expect(w.copyOut(offset: 13, length: 5) == [0, 9, 8])
    }
}
