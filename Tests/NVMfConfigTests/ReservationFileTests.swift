import Backends
import Glibc
import NVMe
import Target
import Testing

@testable import NVMfConfig

@Suite struct ReservationFileTests {
    static let device = DeviceUUID(string: "0f8e3c2a-1b2c-4d5e-8f90-a1b2c3d4e5f6")!

    func temporaryPath() -> String {
        var template = Array("/tmp/ptpl-test-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        close(fd)
        return String(cString: template)
    }

    func write(_ text: String, to path: String) {
        let fd = open(path, O_WRONLY | O_TRUNC)
        _ = text.utf8CString.dropLast().withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    func read(_ path: String) -> String {
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        return String(decoding: buffer[0..<max(n, 0)], as: UTF8.self)
    }

    @Test func aSavedStateLoadsBackWithExact64BitKeys() throws {
        let path = temporaryPath()
        defer { unlink(path) }
        let file = ReservationFile(path: path, deviceUUID: Self.device)
        let a = [UInt8](repeating: 0xA1, count: 16)
        let b = [UInt8](repeating: 0xB2, count: 16)
        let state = PersistedReservation(
            type: .writeExclusive, holderHostID: a,
            registrants: [.init(hostID: a, key: 0xFFFF_FFFF_FFFF_FFF1), .init(hostID: b, key: 9_007_199_254_740_993)])
        try file.save(state)
        let text = read(path)
        #expect(text.contains("\"rkey\":18446744073709551601") && text.contains("\"rkey\":9007199254740993"))
        #expect(text.contains("\"bdev_uuid\":\"0f8e3c2a-1b2c-4d5e-8f90-a1b2c3d4e5f6\""))
        #expect(try file.load() == state)
        // All Registrants: no holder_uuid is written (SPDK's format); the holder is a registrant.
        let all = PersistedReservation(
            type: .exclusiveAccessAllRegistrants, holderHostID: b, registrants: state.registrants)
        try file.save(all)
        #expect(read(path).contains("\"holder_uuid\":\"\""))
        #expect(try file.load()?.type == .exclusiveAccessAllRegistrants)
        // Persistence off: an empty file, which loads as nothing.
        try file.save(nil)
        #expect(read(path).isEmpty)
        #expect(try file.load() == nil)
        #expect(!FileManagerless.exists(path + ".tmp"), "the temporary file was renamed")
    }

    @Test func aFileSPDKWroteLoads() throws {
        let path = temporaryPath()
        defer { unlink(path) }
        write(
            #"{"ptpl":true,"rtype":1,"crkey":12,"bdev_uuid":"0f8e3c2a-1b2c-4d5e-8f90-a1b2c3d4e5f6","registrants":[{"rkey":12,"host_uuid":"11111111-2222-3333-4444-555555555555"},{"rkey":34,"host_uuid":"99999999-2222-3333-4444-555555555555"}]}"#,
            to: path)
        let loaded = try #require(try ReservationFile(path: path, deviceUUID: Self.device).load())
        #expect(loaded.type == .writeExclusive && loaded.registrants.count == 2)
        #expect(
            loaded.holderHostID == DeviceUUID(string: "11111111-2222-3333-4444-555555555555")!.array, "found by crkey")
    }

    @Test func aBrokenFileIsRefusedByName() throws {
        let path = temporaryPath()
        defer { unlink(path) }
        let file = ReservationFile(path: path, deviceUUID: Self.device)
        let cases: [(String, String)] = [
            (#"{"ptpl":true,"rtype":1,"registra"#, "not valid JSON"),
            (#"{"ptpl":true,"bdev_uuid":"00000000-0000-0000-0000-000000000001"}"#, "bdev_uuid"),
            (#"{"ptpl":true,"rtype":9}"#, "rtype"),
            (#"{"ptpl":true,"registrants":[{"rkey":-1,"host_uuid":"11111111-2222-3333-4444-555555555555"}]}"#, "rkey"),
            (#"{"ptpl":true,"registrants":[{"rkey":1}]}"#, "host_uuid"),
            (
                #"{"ptpl":true,"rtype":2,"holder_uuid":"11111111-2222-3333-4444-555555555555","registrants":[]}"#,
                "holder_uuid"
            ),
        ]
        for (text, fragment) in cases {
            write(text, to: path)
            #expect(throws: ReservationStoreError.self, "\(text)") { try file.load() }
            do { _ = try file.load() } catch { #expect(error.message.contains(fragment), "\(error.message)") }
        }
        // A namespace whose file cannot be read is not added, and the error names the file.
        write("{", to: path)
        let target = NVMfTarget()
        let s = try target.addSubsystem(nqn: "nqn.2026-01.io.swift:ptpl", allowAnyHost: true)
        let device = try MemoryBlockDevice(name: "M", blockCount: 8, blockSize: 512, uuid: Self.device)
        #expect(throws: TargetError.self) { try s.addNamespace(device: device, reservationStore: file) }
        #expect(s.namespaceIDs.isEmpty)
    }
}

/// `access(2)` without Foundation.
enum FileManagerless {
    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }
}
