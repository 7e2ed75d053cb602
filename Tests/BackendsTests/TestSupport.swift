import Backends
import CShims
import Foundation
import Glibc

/// Shared fixtures: scratch files on a file system with O_DIRECT, aligned
/// buffers, loop devices, and a driver that runs requests to completion.
enum TestSupport {
    /// A directory on a real file system (not tmpfs, which lacks O_DIRECT).
    /// One directory per test process; directories left by earlier runs whose
    /// process is gone are removed first, so repeated runs do not pile up files.
    static let scratchDirectory: String = {
        let base = "/var/tmp"
        let prefix = "nvmf-backends-tests-"
        if let entries = try? FileManager.default.contentsOfDirectory(atPath: base) {
            for entry in entries where entry.hasPrefix(prefix) {
                if let pid = Int32(entry.dropFirst(prefix.count)), kill(pid, 0) != 0, errno == ESRCH {
                    try? FileManager.default.removeItem(atPath: base + "/" + entry)
                }
            }
        }
        let dir = base + "/" + prefix + "\(getpid())"
        mkdir(dir, 0o755)
        return dir
    }()

    /// Creates a zero-filled sparse file of `bytes` bytes and returns its path.
    static func makeFile(_ name: String, bytes: Int) -> String {
        let path = scratchDirectory + "/" + name
        unlink(path)
        let fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0o644)
        precondition(fd >= 0, "cannot create \(path)")
        precondition(ftruncate(fd, off_t(bytes)) == 0)
        Glibc.close(fd)
        return path
    }

    /// A page-aligned buffer; the caller frees it.
    static func alignedBuffer(bytes: Int, alignment: Int = 4096) -> UnsafeMutableRawBufferPointer {
        var p: UnsafeMutableRawPointer?
        precondition(posix_memalign(&p, alignment, bytes) == 0)
        return UnsafeMutableRawBufferPointer(start: p, count: bytes)
    }

    /// Fills a block with bytes derived from (lba, generation) so any
    /// misplaced or stale block is detected.
    static func fill(_ block: UnsafeMutableRawBufferPointer, lba: UInt64, generation: UInt64) {
        var x = lba &* 0x9E37_79B9_7F4A_7C15 ^ generation &+ 1
        for i in stride(from: 0, to: block.count, by: 8) {
            x ^= x << 13
            x ^= x >> 7
            x ^= x << 17
            block.storeBytes(of: x, toByteOffset: i, as: UInt64.self)
        }
    }

    static func matches(_ block: UnsafeMutableRawBufferPointer, lba: UInt64, generation: UInt64)
        -> Bool
    {
        let expected = alignedBuffer(bytes: block.count)
        defer { expected.deallocate() }
        fill(expected, lba: lba, generation: generation)
        return memcmp(expected.baseAddress!, block.baseAddress!, block.count) == 0
    }

    static func isAllZero(_ bytes: UnsafeMutableRawBufferPointer) -> Bool {
        bytes.allSatisfy { $0 == 0 }
    }

    /// Submits every request (retrying on `.busy` after reaping), flushes,
    /// and polls until all have completed. Immediate refusals and
    /// completions are both returned, keyed by tag. Waits on the channel's
    /// eventfd when it has one, so this also exercises interrupt mode.
    static func run(_ requests: [BlockRequest], on channel: any BlockDeviceChannel) -> [UInt64:
        BlockDeviceError?]
    {
        var results: [UInt64: BlockDeviceError?] = [:]
        var next = 0
        while next < requests.count || channel.inFlight > 0 {
            while next < requests.count {
                let r = channel.submit(requests[next])
                if r == .busy { break }
                if case .failed(let e) = r { results[requests[next].tag] = .some(e) }
                next += 1
            }
            channel.flushSubmissions()
            let n = channel.poll(maxCompletions: 64) { results[$0.tag] = .some($0.error) }
            if n == 0, channel.inFlight > 0, channel.notificationFD >= 0 {
                var pfd = pollfd(fd: channel.notificationFD, events: Int16(POLLIN), revents: 0)
                _ = Glibc.poll(&pfd, 1, 1000)
                channel.acknowledgeNotification()
            }
        }
        return results
    }

    /// Runs `command` and returns (exit status, trimmed stdout+stderr).
    @discardableResult
    static func shell(_ command: String) -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        do { try p.run() } catch { return (-1, "\(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let out = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return (p.terminationStatus, out)
    }

    /// Loop devices need root and a kernel with loop support; true when a
    /// loop device can really be attached here (checked once).
    static let loopDevicesWork: Bool = {
        guard getuid() == 0 else { return false }
        let file = makeFile("loop-probe.img", bytes: 1 << 20)
        let (rc, dev) = shell("losetup -f --show \(file)")
        guard rc == 0, dev.hasPrefix("/dev/loop") else { return false }
        shell("losetup -d \(dev)")
        return true
    }()

    /// device-mapper needs root and the dm driver (absent on some CI kernels).
    /// dmsetup without udev (the lab guest and containers have none):
    /// without these it waits forever for a udev cookie and makes no /dev/mapper node.
    static let dmsetup = "DM_DISABLE_UDEV=1 dmsetup --noudevsync"

    static let deviceMapperWorks: Bool = {
        getuid() == 0 && shell("dmsetup version").0 == 0
            && shell("dmsetup targets | grep -q '^error'").0 == 0
    }()

    /// Attaches `file` to a free loop device with direct I/O and returns its path.
    static func attachLoop(_ file: String, sectorSize: Int = 512) -> String? {
        let (rc, dev) = shell("losetup -f --show --direct-io=on --sector-size \(sectorSize) \(file)")
        return rc == 0 ? dev : nil
    }
}
