import Testing

@testable import NVMe

@Suite struct IdentifyNamespaceTests {
    @Test func namespaceDataLayout() {
        var d = IdentifyNamespaceData()
        d.size = 0x1_0000
        d.capacity = 0x1_0000
        d.utilization = 0x8000
        d.deallocateFeatures = 0x09
        d.attributes = 1
        d.enduranceGroupID = 1
        d.nguid = Array(1...16)
        d.eui64 = Array(21...28)
        d.lbaDataSizeShift = 12
        let b = encoded(4096) { d.encode(into: $0) }
        let expected = golden(
            4096,
            [
                (0, [0, 0, 1, 0, 0, 0, 0, 0]), (8, [0, 0, 1, 0, 0, 0, 0, 0]),
                (16, [0, 0x80, 0, 0, 0, 0, 0, 0]),
                (30, [1]), (33, [9]), (99, [1]), (102, [1, 0]), (104, Array(1...16)), (120, Array(21...28)),
                (130, [12]),
            ])
        #expect(b == expected)
        #expect(b[25] == 0 && b[26] == 0)  // NLBAF, FLBAS
    }

    @Test func independentNamespaceLayout() {
        var d = IndependentIdentifyNamespaceData()
        d.enduranceGroupID = 2
        d.anaGroupID = 1
        let b = encoded(4096) { d.encode(into: $0) }
        #expect(b == golden(4096, [(1, [1]), (4, [1, 0, 0, 0]), (12, [2, 0]), (14, [1])]))
    }

    @Test func activeListAndOverflow() {
        let b = encoded(4096) { NamespaceList.encode([1, 2, 7], into: $0) }
        #expect(b == golden(4096, [(0, [1, 0, 0, 0, 2, 0, 0, 0, 7, 0, 0, 0])]))
        let many = (1...1025).map { UInt32($0) }
        let o = encoded(4096) { NamespaceList.encode(many, into: $0) }
        #expect(le32(o, 0) == 0xFFFF_FFFF && le32(o, 4) == 0)
    }

    @Test func descriptorList() {
        let uuid: [UInt8] = Array(101...116)
        let nguid: [UInt8] = Array(1...16)
        let b = encoded(4096) {
            NamespaceDescriptorList.encode(
                eui64: [0, 0, 0, 0, 0, 0, 0, 0], nguid: nguid, uuid: uuid, into: $0)
        }
        let expected = golden(
            4096,
            [
                (0, [2, 16, 0, 0] + nguid), (20, [3, 16, 0, 0] + uuid), (40, [4, 1, 0, 0, 0]),
            ])
        #expect(b == expected)
    }
}
