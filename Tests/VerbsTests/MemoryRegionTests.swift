import CVerbs
import Testing

@testable import Verbs

@Suite struct MemoryRegionTests {
    @Test func accessFlagsHaveTheCValues() {
        #expect(MemoryAccess.localWrite.rawValue == Int32(IBV_ACCESS_LOCAL_WRITE.rawValue))
        #expect(MemoryAccess.remoteRead.rawValue == Int32(IBV_ACCESS_REMOTE_READ.rawValue))
        #expect(MemoryAccess.remoteWrite.rawValue == Int32(IBV_ACCESS_REMOTE_WRITE.rawValue))
        #expect(
            MemoryAccess.all.rawValue
                == Int32(
                    IBV_ACCESS_LOCAL_WRITE.rawValue | IBV_ACCESS_REMOTE_READ.rawValue
                        | IBV_ACCESS_REMOTE_WRITE.rawValue))
    }

    @Test func remoteWriteNeedsLocalWrite() {
        #expect(!MemoryAccess.remoteWrite.isValid)
        #expect(!MemoryAccess.remoteAtomic.isValid)
        #expect(MemoryAccess([.remoteWrite, .localWrite]).isValid)
        #expect(MemoryAccess.remoteRead.isValid)
        #expect(MemoryAccess([]).isValid)
    }
}
