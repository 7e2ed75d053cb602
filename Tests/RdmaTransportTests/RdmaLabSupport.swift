import Foundation
import Testing

/// Lab tests need a real RDMA device (Soft-RoCE in the QEMU lab guest) named
/// by `NVMF_LAB_DEVICE` (`lab/run` sets it) and its address in `LAB_RDMA_IP`
/// (or `NVMF_LAB_ADDRESS`). Without them they are skipped, with the reason.
enum RdmaLab {
    static let environment = ProcessInfo.processInfo.environment
    static let device: String? = environment["NVMF_LAB_DEVICE"].flatMap { $0.isEmpty ? nil : $0 }
    static let enabled = device != nil
    static let skipReason: Comment =
        "skipped: no RDMA device: run ./rxe-setup.sh (or lab/run), then set NVMF_LAB_DEVICE=rxe0"
    static var address: String {
        environment["NVMF_LAB_ADDRESS"] ?? environment["LAB_RDMA_IP"] ?? "10.0.2.15"
    }

    struct CommandResult {
        var status: Int32
        var output: String
    }

    /// Runs a command, returning its exit status and combined output.
    @discardableResult
    static func run(_ arguments: [String]) throws -> CommandResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandResult(
            status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    /// Polls `condition` every 50 ms until it holds or `seconds` pass.
    static func waitFor(seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return try condition()
    }

    /// The block device node the kernel made for `nqn`'s first namespace, e.g. /dev/nvme0n1
    /// (found through the NVMe subsystem's sysfs entries, with or without native multipath).
    static func namespaceDevice(forSubsystem nqn: String) -> String? {
        let fm = FileManager.default
        for root in ["/sys/class/nvme-subsystem", "/sys/class/nvme"] {
            guard let entries = try? fm.contentsOfDirectory(atPath: root) else { continue }
            for entry in entries.sorted() {
                guard let text = try? String(contentsOfFile: "\(root)/\(entry)/subsysnqn", encoding: .utf8),
                    text.trimmingCharacters(in: .whitespacesAndNewlines) == nqn
                else { continue }
                let children = (try? fm.contentsOfDirectory(atPath: "\(root)/\(entry)")) ?? []
                for name in children.sorted() where isNamespaceName(name) {
                    if fm.fileExists(atPath: "/dev/\(name)") { return "/dev/\(name)" }
                }
            }
        }
        return nil
    }

    /// nvme<digits>n<digits>
    static func isNamespaceName(_ name: String) -> Bool {
        guard name.hasPrefix("nvme") else { return false }
        let rest = name.dropFirst(4)
        guard let n = rest.firstIndex(of: "n") else { return false }
        let a = rest[rest.startIndex..<n]
        let b = rest[rest.index(after: n)...]
        return !a.isEmpty && !b.isEmpty && a.allSatisfy(\.isNumber) && b.allSatisfy(\.isNumber)
    }
}
