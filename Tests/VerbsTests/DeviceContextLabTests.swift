import CVerbs
import Testing

@testable import Verbs

extension LabTests {
    /// Over a real device (rxe in the lab): listing, opening and querying.
    @Suite struct DeviceContextLabTests {
        @Test func deviceOpensAndReportsItsPortAndAddress() throws {
            let devices = try Device.list()
            #expect(devices.map(\.name).contains(Lab.device ?? ""))
            let device = try Device.find(named: Lab.device)
            let context = try device.open()
            #expect(context.name == device.name)
            let attributes = try context.queryDevice()
            #expect(attributes.maxQueuePairs > 0)
            #expect(attributes.maxSharedReceiveQueueWorkRequests > 0)
            #expect(attributes.maxQueuePairReadAtomicAsResponder > 0)
            let port = try context.queryPort(1)
            #expect(port.isActive)
            #expect(port.isEthernet)
            #expect([256, 512, 1024, 2048, 4096].contains(port.activeMTU))
            #expect(context.ipv4Address() == (try Lab.address()))
            #expect(throws: VerbsError.self) { try context.queryPort(9) }
        }

        @Test func unknownDeviceNameIsTheNoDeviceError() {
            do {
                _ = try Device.find(named: "no-such-rdma-device")
                Issue.record("expected no device")
            } catch {
                #expect(error.isNoDevice)
            }
        }
    }
}
