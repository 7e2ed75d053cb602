import Testing

@testable import RdmaTransport

@Suite struct RdmaTransportOptionsTests {
    @Test func defaultsAreSPDKsAndValid() {
        let o = RdmaTransportOptions()
        #expect(
            o.maxQueueDepth == 128 && o.maxAdminQueueDepth == 32 && o.maxIOQPairsPerController == 127)
        #expect(o.inCapsuleDataSize == 4096 && o.maxIOSize == 131072 && o.maxSRQDepth == 4096)
        #expect(
            o.numSharedBuffers == 4095 && o.bufCacheSize == 32 && o.acceptorBacklog == 100 && !o.noSRQ)
        #expect(o.validationError(pollGroupCount: 4) == nil)
        #expect(o.dataBufferSize == 131072)
    }

    @Test func transportOptionsCarryTheLimits() {
        var o = RdmaTransportOptions()
        o.maxQueueDepth = 64
        o.inCapsuleDataSize = 8192
        let t = o.transportOptions
        #expect(t.maxQueueDepth == 64 && t.inCapsuleDataSize == 8192 && t.maxIOSize == 131072)
        #expect(t.maxAdminQueueDepth == 32 && t.maxIOQueues == 127)
    }

    @Test func badValuesAreRefused() {
        var o = RdmaTransportOptions()
        o.maxIOSize = 100_000
        #expect(o.validationError(pollGroupCount: 1) != nil)
        o = RdmaTransportOptions()
        o.inCapsuleDataSize = 100
        #expect(o.validationError(pollGroupCount: 1) != nil)
        o = RdmaTransportOptions()
        o.numSharedBuffers = 63
        #expect(o.validationError(pollGroupCount: 2) != nil)
        #expect(o.validationError(pollGroupCount: 1) == nil)
        #expect(RdmaTransportOptions().validationError(pollGroupCount: 0) != nil)
    }

    @Test func ioUnitLargerThanMaxIOSizeSetsTheBufferSize() {
        var o = RdmaTransportOptions()
        o.ioUnitSize = 200_000
        #expect(o.dataBufferSize == 200_704)
    }

    @Test func pollLoopKnobsAreNamedOptionsWithCheckedValues() {
        #expect(PollIdleAction("spin") == .spin)
        #expect(PollIdleAction("yield") == .yield)
        #expect(PollIdleAction("10") == .pause(10))
        #expect(PollIdleAction("fast") == nil)
        var o = RdmaTransportOptions()
        #expect(o.adaptivePollWindowMicroseconds == 2000 && o.pollIdle == .spin && o.pinFirstCPU == nil)
        o.pollIdle = .pause(0)
        #expect(o.validationError(pollGroupCount: 1)?.contains("pause") == true)
        o = RdmaTransportOptions()
        o.adaptivePollWindowMicroseconds = -1
        #expect(o.validationError(pollGroupCount: 1)?.contains("poll window") == true)
        o = RdmaTransportOptions()
        o.pinFirstCPU = -2
        #expect(o.validationError(pollGroupCount: 1) != nil)
    }
}
