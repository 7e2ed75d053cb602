import Testing

@testable import NVMe

@Suite struct FeaturesTests {
    @Test func setAndGetLayouts() {
        let s = FeaturesCommand.set(featureID: FeatureID.numberOfQueues, value: 0x0003_0003, save: true)
            .entry.encoded
        #expect(s[0] == 0x09 && s[40] == 0x07 && s[43] & 0x80 != 0 && le32(s, 44) == 0x0003_0003)
        let g = FeaturesCommand.get(
            featureID: FeatureID.hostIdentifier, select: 3, cdw11: 1, dataLength: 16)
        let b = g.entry.encoded
        #expect(
            b[0] == 0x0A && b[40] == 0x81 && (b[41] & 7) == 3 && le32(b, 44) == 1
                && le32(b, 32) & 0xFFFFFF == 16)
        #expect(g.select == 3 && !g.save && g.featureID == 0x81)
    }

    @Test func numberOfQueuesResult() {
        #expect(NumberOfQueues.result(allocated: 128) == 0x007F_007F)
        #expect(NumberOfQueues.result(allocated: 1) == 0)
    }

    @Test func asyncEventDword() {
        #expect(AsyncEvent.namespaceAttributeChanged.dword0 == 0x0004_0002)
        #expect(AsyncEvent.discoveryLogChanged.dword0 == 0x0070_F002)
        #expect(AsyncEvent(dword0: 0x000C_0302) == .anaChange)
    }
}
