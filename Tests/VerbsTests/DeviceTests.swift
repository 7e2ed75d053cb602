import Glibc
import Testing

@testable import Verbs

/// What a machine without RDMA (like the build host) must see: one clear error.
@Suite(.enabled(if: !Lab.enabled, "an RDMA device is present (NVMF_LAB_DEVICE set)"))
struct DeviceTests {
    @Test func noDeviceIsOneClearError() {
        do {
            _ = try Device.find()
            Issue.record("expected no RDMA device on this machine")
        } catch {
            #expect(error.isNoDevice)
            #expect(error.description.contains("no RDMA device: run ./rxe-setup.sh"))
        }
    }

    @Test func deviceListIsEmptyOrUnsupported() {
        // Either "kernel has no RDMA" (ENOSYS) or an empty list; never a crash.
        if let devices = try? Device.list() { #expect(devices.isEmpty) }
    }

    @Test func eventChannelWithoutRDMAReportsNoDevice() {
        do {
            _ = try EventChannel()
            Issue.record("expected rdma_create_event_channel to fail without RDMA")
        } catch {
            #expect(error.verb.description == "rdma_create_event_channel")
            #expect(error.isNoDevice)
        }
        #expect(LiveResources.count == 0)
    }
}
