import Testing

@testable import NVMe

@Suite struct StatusTests {
    @Test func statusWordMatchesLinuxDecoding() {
        // Linux: status >> 1 == SCT << 8 | SC; DNR is 0x4000 after the shift.
        #expect(NVMeStatus.invalidField.rawValue >> 1 == 0x4002)
        #expect(NVMeStatus.connectInvalidParameters.rawValue >> 1 == 0x4182)
        #expect(NVMeStatus.asyncEventLimitExceeded.rawValue >> 1 == 0x4105)
        #expect(NVMeStatus.unrecoveredReadError.rawValue >> 1 == 0x0281)
        #expect(NVMeStatus.success.isSuccess)
        #expect(!NVMeStatus.invalidOpcode.isSuccess)
    }

    @Test func fieldsRoundTrip() {
        let s = NVMeStatus(codeType: .commandSpecific, code: 0x84, doNotRetry: true)
        #expect(s == .connectInvalidHost)
        #expect(s.codeType == .commandSpecific && s.code == 0x84 && s.doNotRetry)
        #expect(s.retryable.doNotRetry == false && s.retryable.code == 0x84)
        #expect(NVMeStatus.invalidField.at(44).errorLocation == 44)
        #expect(NVMeStatus.invalidField.errorLocation == NVMeStatus.noLocation)
    }
}
