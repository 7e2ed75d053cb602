import CAio
import CShims
import Glibc

/// A regular file or a block device driven by Linux AIO with O_DIRECT
/// (SPDK's aio bdev).
///
/// O_DIRECT makes the kernel DMA straight between the caller's buffer (the
/// registered RDMA buffer) and the disk, so no payload byte is copied by the
/// CPU. Each poll-group thread gets its own `AioChannel` with its own
/// io_context, so submission and completion never share state between
/// threads. Created by `bdev_aio_create`.
public final class AioBlockDevice: BlockDevice {
    public let name: String
    /// The file or device path, as given.
    public let path: String
    public let blockSize: Int
    public let blockCount: UInt64
    public let uuid: DeviceUUID
    public let isReadOnly: Bool
    /// For files always true: completed O_DIRECT writes may still sit in
    /// the disk's cache and a file's allocation metadata in the page cache
    /// until fdatasync. For a block device, false only when the kernel says
    /// its queue is write-through (`queue/write_cache` in sysfs).
    public let hasVolatileWriteCache: Bool
    /// Buffers must start on a multiple of this (the device's direct-I/O
    /// memory alignment rounded up to the block size, so a buffer that is
    /// fine here is fine for every O_DIRECT path the kernel may take).
    public let requiredBufferAlignment: Int
    /// True when the path is a block device (BLKZEROOUT/BLKDISCARD are used
    /// instead of fallocate).
    public let isBlockDevice: Bool
    /// True when the kernel runs fdatasync as an asynchronous IOCB_CMD_FDSYNC
    /// for this file; otherwise flush goes to the channel's helper thread.
    /// (Tests set it to false to exercise the helper-thread path; it is read
    /// when a channel opens.)
    public internal(set) var supportsAsyncFlush: Bool
    /// True when a deallocated range is guaranteed to read back as zeroes:
    /// always for files (punch hole), not for block devices, where discard is
    /// only a hint.
    public var deallocatedBlocksReadZero: Bool { !isBlockDevice }

    /// The O_DIRECT descriptor every channel submits against.
    let fd: Int32
    private var isClosed = false

    /// Opens `path` with O_DIRECT, like `bdev_aio_create <filename> <name> [block_size]`.
    ///
    /// - Parameters:
    ///   - path: a regular file (its size must be at least one block) or a block device.
    ///   - name: the bdev name.
    ///   - blockSize: logical block size; 0 picks the device's logical sector
    ///     size (block devices) or the file system's direct-I/O alignment,
    ///     at least 512 (files). Must be a power of two ≥ that size.
    ///   - readOnly: open read-only and refuse writes, write zeroes and deallocate.
    ///   - uuid: identity; a random UUID when `nil`.
    /// - Throws: `.setup` with a message naming the path: missing file,
    ///   permission denied, not a file or block device, no O_DIRECT support
    ///   (tmpfs), bad block size, or a file smaller than one block.
    public init(
        path: String, name: String, blockSize: Int = 0, readOnly: Bool = false, uuid: DeviceUUID? = nil
    ) throws(BlockDeviceError) {
        let what = "bdev_aio_create \(name)"
        let flags = (readOnly ? O_RDONLY : O_RDWR) | O_CLOEXEC | cshims_o_direct()
        let fd = open(path, flags)
        guard fd >= 0 else {
            let e = errno
            let hint =
                e == EINVAL ? " (the file system does not support O_DIRECT; tmpfs cannot be used)" : ""
            throw .setup("\(what): cannot open \(path): \(String(cString: strerror(e)))\(hint)")
        }
        do throws(BlockDeviceError) {
            var st = stat()
            guard fstat(fd, &st) == 0 else {
                throw BlockDeviceError.setup(
                    "\(what): cannot stat \(path): \(String(cString: strerror(errno)))")
            }
            let kind = st.st_mode & S_IFMT
            let isBlock = kind == S_IFBLK
            guard isBlock || kind == S_IFREG else {
                throw BlockDeviceError.setup(
                    "\(what): \(path) is neither a regular file nor a block device")
            }
            var bytes: UInt64
            var minimumBlock: Int
            var memoryAlignment = 512
            if isBlock {
                bytes = 0
                var sector: Int32 = 0
                var rc = cshims_blk_size_bytes(fd, &bytes)
                if rc == 0 { rc = cshims_blk_logical_block_size(fd, &sector) }
                guard rc == 0 else {
                    throw BlockDeviceError.setup(
                        "\(what): cannot query size of \(path): \(String(cString: strerror(rc)))")
                }
                minimumBlock = Int(sector)
            } else {
                bytes = UInt64(st.st_size)
                minimumBlock = 512
            }
            var memAlign: UInt32 = 0
            var offsetAlign: UInt32 = 0
            if cshims_dio_alignment(fd, &memAlign, &offsetAlign) == 0 {
                if offsetAlign == 0 {
                    throw BlockDeviceError.setup("\(what): \(path) does not support O_DIRECT")
                }
                minimumBlock = max(minimumBlock, Int(offsetAlign))
                memoryAlignment = max(memoryAlignment, Int(memAlign))
            }
            let size = blockSize == 0 ? minimumBlock : blockSize
            try checkBlockSize(size, device: name)
            guard size >= minimumBlock else {
                throw BlockDeviceError.setup(
                    "\(what): block_size \(size) is smaller than \(path)'s direct-I/O unit \(minimumBlock)")
            }
            guard bytes >= UInt64(size) else {
                throw BlockDeviceError.setup(
                    "\(what): \(path) holds \(bytes) bytes, less than one \(size)-byte block")
            }
            self.fd = fd
            self.path = path
            self.name = name
            self.blockSize = size
            self.blockCount = bytes / UInt64(size)
            self.uuid = uuid ?? .random()
            self.isReadOnly = readOnly
            self.isBlockDevice = isBlock
            self.requiredBufferAlignment = max(memoryAlignment, size)
            self.supportsAsyncFlush = Self.probeAsyncFlush(fd: fd)
            self.hasVolatileWriteCache = isBlock ? !Self.isWriteThrough(device: st.st_rdev) : true
        } catch {
            Glibc.close(fd)
            throw error
        }
    }

    deinit { close() }

    /// Opens a channel with its own io_context of `queueDepth` events, its
    /// own eventfd and its own helper thread.
    public func makeChannel(queueDepth: Int) throws(BlockDeviceError) -> any BlockDeviceChannel {
        try makeAioChannel(queueDepth: queueDepth)
    }

    /// `makeChannel` with the concrete type, for callers (benchmarks) that
    /// want static dispatch.
    public func makeAioChannel(queueDepth: Int) throws(BlockDeviceError) -> AioChannel {
        guard !isClosed else { throw .setup("bdev \(name) is closed") }
        guard queueDepth >= 1, queueDepth <= 65536 else {
            throw .setup("bdev \(name): queue depth \(queueDepth) must be 1...65536")
        }
        return try AioChannel(device: self, queueDepth: queueDepth)
    }

    public func close() {
        guard !isClosed else { return }
        isClosed = true
        Glibc.close(fd)
    }

    /// Reads /sys/dev/block/MAJOR:MINOR/queue/write_cache ("write back" or
    /// "write through"); unreadable (e.g. no sysfs) counts as write-back,
    /// the safe answer, since it only costs flushes.
    private static func isWriteThrough(device: dev_t) -> Bool {
        let major = ((device >> 8) & 0xfff) | ((device >> 32) & ~0xfff)
        let minor = (device & 0xff) | ((device >> 12) & ~0xff)
        let fd = open("/sys/dev/block/\(major):\(minor)/queue/write_cache", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { Glibc.close(fd) }
        var text = [UInt8](repeating: 0, count: 32)
        let n = read(fd, &text, text.count)
        return n > 0 && String(decoding: text[0..<n], as: UTF8.self).hasPrefix("write through")
    }

    /// Asks the kernel once whether it can fdatasync this file through AIO
    /// (IOCB_CMD_FDSYNC; Linux ≥ 4.18 for files with an fsync method).
    /// Control path only: it waits for the probe to finish.
    private static func probeAsyncFlush(fd: Int32) -> Bool {
        var context: io_context_t?
        guard io_setup(1, &context) == 0, let context else { return false }
        defer { io_destroy(context) }
        var cb = iocb()
        io_prep_fdsync(&cb, fd)
        var list: UnsafeMutablePointer<iocb>? = nil
        let submitted: Int32 = withUnsafeMutablePointer(to: &cb) { p in
            list = p
            return io_submit(context, 1, &list)
        }
        guard submitted == 1 else { return false }
        var event = io_event()
        while true {
            let n = io_getevents(context, 1, 1, &event, nil)
            if n == 1 { break }
            if n != -EINTR { return false }
        }
        return Int(bitPattern: UInt(event.res)) >= 0
    }
}
