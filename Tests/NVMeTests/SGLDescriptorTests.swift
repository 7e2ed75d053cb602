import Testing

@testable import NVMe

@Suite struct SGLDescriptorTests {
    func bytes(_ d: SGLDescriptor) -> [UInt8] {
        var e = SubmissionQueueEntry(opcode: 0)
        e.dataPointer = d
        return Array(e.encoded[24..<40])
    }

    @Test func keyedDescriptorsMatchTheReferenceLayout() {
        let d = SGLDescriptor.keyed(
            address: 0x0102_0304_0506_0708, length: 0xABCDEF, key: 0xDEAD_BEEF, invalidate: true)
        #expect(bytes(d) == [8, 7, 6, 5, 4, 3, 2, 1, 0xEF, 0xCD, 0xAB, 0xEF, 0xBE, 0xAD, 0xDE, 0x4F])
        let plain = SGLDescriptor.keyed(address: 0, length: 0, key: 0, invalidate: false)
        #expect(bytes(plain).last == 0x40)
        #expect(plain.kind == .keyed(invalidate: false))
    }

    @Test func inCapsuleAndLastSegmentLayouts() {
        let icd = SGLDescriptor.inCapsule(offset: 0, length: 4096)
        #expect(bytes(icd) == [0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x10, 0, 0, 0, 0, 0, 0x01])
        #expect(icd.kind == .inCapsule && icd.length == 4096)
        let seg = SGLDescriptor.lastSegment(offset: 16, length: 32)
        #expect(bytes(seg).last == 0x31 && seg.kind == .lastSegment && seg.unkeyedLength == 32)
    }

    @Test func validation() {
        let icd = SGLDescriptor.inCapsule(offset: 0, length: 4096)
        #expect(
            icd.validate(
                direction: .hostToController, inCapsuleDataLength: 4096, maxTransferLength: 1 << 20)
                == .success)
        #expect(
            icd.validate(
                direction: .hostToController, inCapsuleDataLength: 1024, maxTransferLength: 1 << 20
            ).code == 0x0F)
        #expect(
            SGLDescriptor.inCapsule(offset: 8192, length: 1).validate(
                direction: .hostToController, inCapsuleDataLength: 4096, maxTransferLength: 1 << 20
            ).code == 0x16)
        #expect(
            icd.validate(
                direction: .controllerToHost, inCapsuleDataLength: 4096, maxTransferLength: 1 << 20)
                == NVMeStatus.invalidField.at(24))
        let big = SGLDescriptor.keyed(address: 0, length: 256 * 1024, key: 1, invalidate: true)
        #expect(
            big.validate(
                direction: .controllerToHost, inCapsuleDataLength: 0, maxTransferLength: 128 * 1024)
                == NVMeStatus.dataSGLLengthInvalid.at(24))
        let odd = SGLDescriptor(address: 0, upper: 0x20 << 56)
        #expect(
            odd.validate(direction: .none, inCapsuleDataLength: 0, maxTransferLength: 4096)
                == NVMeStatus.sglDescriptorTypeInvalid.at(24))
        // Offset + length overflow must not trap.
        let wrap = SGLDescriptor.inCapsule(offset: UInt64.max - 1, length: 16)
        #expect(
            !wrap.validate(
                direction: .hostToController, inCapsuleDataLength: 4096, maxTransferLength: 4096
            ).isSuccess)
    }
}
