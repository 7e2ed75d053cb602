import Testing

@testable import NVMe

@Suite struct IdentifyControllerTests {
    @Test func everyFieldLandsAtItsOffset() {
        var d = IdentifyControllerData()
        d.vendorID = 0x1B36
        d.serialNumber = "SN1"
        d.modelNumber = "Swift"
        d.firmwareRevision = "1.0"
        d.multiPathCapabilities = 0x03
        d.maximumDataTransferSize = 5
        d.controllerID = 0x0102
        d.version = 0x0001_0300
        d.asyncEventsSupported = 0x100
        d.controllerAttributes = 0x41
        d.controllerType = 1
        d.logPageAttributes = 0x07
        d.keepAliveSupport = 100
        d.maximumOutstandingCommands = 128
        d.numberOfNamespaces = 32
        d.optionalNVMCommands = 0x0C
        d.volatileWriteCache = 1
        d.sglSupport = IdentifyControllerData.sglSupport(inCapsuleDataSize: 4096)
        d.maximumAllowedNamespaces = 32
        d.subsystemNQN = "nqn.2026-01.io.test:s"
        d.ioQueueCommandCapsuleSize = 260
        d.ioQueueResponseCapsuleSize = 1
        d.maximumSGLDataBlockDescriptors = 1
        let b = encoded(4096) { d.encode(into: $0) }
        #expect(le16(b, 0) == 0x1B36)
        #expect(ascii(b, 4, 20) == "SN1" + String(repeating: " ", count: 17))
        #expect(ascii(b, 24, 5) == "Swift" && b[29] == 0x20)
        #expect(ascii(b, 64, 8) == "1.0     ")
        #expect(b[72] == 6 && b[76] == 3 && b[77] == 5 && le16(b, 78) == 0x0102)
        #expect(le32(b, 80) == 0x10300 && le32(b, 92) == 0x100 && le32(b, 96) == 0x41 && b[111] == 1)
        #expect(b[258] == 3 && b[259] == 3 && b[261] == 7 && b[262] == 127 && le16(b, 320) == 100)
        #expect(b[512] == 0x66 && b[513] == 0x44 && le16(b, 514) == 128 && le32(b, 516) == 32)
        #expect(
            le16(b, 520) == 0x0C && b[525] == 1 && le32(b, 536) == 0x0010_0005 && le32(b, 540) == 32)
        #expect(ascii(b, 768, 21) == "nqn.2026-01.io.test:s" && b[789] == 0)
        #expect(
            le32(b, 1792) == 260 && le32(b, 1796) == 1 && le16(b, 1800) == 0 && b[1802] == 0
                && b[1803] == 1)
        let back = b.withUnsafeBytes { IdentifyControllerData(decoding: $0) }
        #expect(back == d)
    }

    @Test func derivedValues() {
        #expect(IdentifyControllerData.sglSupport(inCapsuleDataSize: 0) == 0x5)
        #expect(IdentifyControllerData.mdts(maxTransferSize: 128 * 1024) == 5)
        #expect(IdentifyControllerData.mdts(maxTransferSize: 1 << 20) == 8)
        #expect(IdentifyControllerData.mdts(maxTransferSize: 4096) == 0 + 0)
    }

    @Test func identifyCommandFields() {
        let c = IdentifyCommand(commandID: 9, cns: 3, namespaceID: 5, csi: 0)
        let b = c.entry.encoded
        #expect(b[0] == 0x06 && le32(b, 4) == 5 && b[40] == 3 && le32(b, 32) & 0xFFFFFF == 4096)
        #expect(IdentifyCommand(b.withUnsafeBytes { SubmissionQueueEntry($0)! }).cns == 3)
    }
}
