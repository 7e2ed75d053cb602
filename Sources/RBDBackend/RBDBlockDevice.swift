import Backends
import CRBD
import Glibc

/// A Ceph RBD image served through librbd (SPDK's rbd bdev), created by
/// `bdev_rbd_create`.
///
/// Reads land straight in the caller's buffer (the registered RDMA buffer):
/// librbd assembles the OSDs' replies there. Writes are handed to librbd from
/// the same buffer, which librbd copies into its messages at submit
/// (`rbd_disable_zero_copy_writes`, its default and the safe choice: our
/// buffer is reused as soon as the command completes). Each poll group's
/// `RBDChannel` gets completions back from librbd's threads through a
/// lock-free hand-over and an eventfd.
///
/// The image is opened once per device, whatever the number of channels: a
/// second open would be a second exclusive-lock owner, and the two would
/// pass the lock back and forth on every write.
public final class RBDBlockDevice: BlockDevice {
    public let name: String
    public let poolName: String
    public let imageName: String
    public let blockSize: Int
    public let blockCount: UInt64
    public let uuid: DeviceUUID
    public let isReadOnly: Bool
    /// librbd's cache is on (only when asked for with `rbd_cache=true`).
    public var hasVolatileWriteCache: Bool { cluster.cacheEnabled }
    /// librbd takes any address.
    public var requiredBufferAlignment: Int { 1 }
    /// Discard is a hint to RBD (partial objects are skipped,
    /// `rbd_skip_partial_discard`), so deallocated blocks may read back as
    /// their old data; Write Zeroes is the one that zeroes.
    public var deallocatedBlocksReadZero: Bool { false }
    /// The connection: a registered cluster, or the device's own.
    public let cluster: RBDCluster
    /// True when the device made `cluster` itself (no `cluster_name`); it
    /// then closes it.
    public let ownsCluster: Bool
    /// The image's feature bits (`rbd info`): exclusive-lock is 4.
    public let features: UInt64
    /// The `config` object of a private connection, for save_config.
    public let privateConfig: [RBDConfigEntry]?

    let ioctx: crbd_ioctx_t
    let image: crbd_image_t
    private var isClosed = false

    public static let exclusiveLockFeature: UInt64 = 1 << 2

    /// Opens `pool/image` on `cluster`.
    ///
    /// - Parameters:
    ///   - blockSize: the namespace's logical block size (512...65536, a
    ///     power of two); the image size must hold at least one block, and a
    ///     tail shorter than a block is not exported.
    ///   - ownsCluster: the device closes the connection with itself.
    /// - Throws: `.setup` naming the pool or image: a pool or image that does
    ///   not exist, an OSD map or image header not received within the
    ///   timeouts, an image smaller than one block.
    public init(
        name: String, cluster: RBDCluster, ownsCluster: Bool = false, poolName: String, imageName: String,
        blockSize: Int, readOnly: Bool = false, uuid: DeviceUUID? = nil, privateConfig: [RBDConfigEntry]? = nil
    ) throws(BlockDeviceError) {
        let what = "bdev_rbd_create \(name)"
        guard blockSize >= 512, blockSize <= 65536, blockSize & (blockSize - 1) == 0 else {
            throw .setup("\(what): block_size \(blockSize) must be a power of two in 512...65536")
        }
        var ioctx: crbd_ioctx_t?
        var rc = crbd_rados_ioctx_create(cluster.handle, poolName, &ioctx)
        guard rc == 0, let ioctx else {
            throw .setup(
                "\(what): pool \"\(poolName)\" on cluster \"\(cluster.name)\": "
                    + (rc == -ENOENT ? "no such pool" : RBDLibrary.describe(rc)))
        }
        var image: crbd_image_t?
        rc = crbd_rbd_open(ioctx, imageName, &image, readOnly ? 1 : 0)
        guard rc == 0, let image else {
            crbd_rados_ioctx_destroy(ioctx)
            throw .setup(
                "\(what): image \"\(poolName)/\(imageName)\": "
                    + (rc == -ENOENT ? "no such image" : RBDLibrary.describe(rc)))
        }
        var size: UInt64 = 0
        var features: UInt64 = 0
        rc = crbd_rbd_get_size(image, &size)
        if rc == 0 { rc = crbd_rbd_get_features(image, &features) }
        guard rc == 0, size >= UInt64(blockSize) else {
            _ = crbd_rbd_close(image)
            crbd_rados_ioctx_destroy(ioctx)
            throw .setup(
                rc != 0
                    ? "\(what): image \"\(poolName)/\(imageName)\": \(RBDLibrary.describe(rc))"
                    : "\(what): image \"\(poolName)/\(imageName)\" holds \(size) bytes, less than one \(blockSize)-byte block"
            )
        }
        self.name = name
        self.cluster = cluster
        self.ownsCluster = ownsCluster
        self.poolName = poolName
        self.imageName = imageName
        self.blockSize = blockSize
        self.blockCount = size / UInt64(blockSize)
        self.uuid = uuid ?? .random()
        self.isReadOnly = readOnly
        self.features = features
        self.privateConfig = privateConfig
        self.ioctx = ioctx
        self.image = image
        cluster.retain()
    }

    deinit { close() }

    public func makeChannel(queueDepth: Int) throws(BlockDeviceError) -> any BlockDeviceChannel {
        guard !isClosed else { throw .setup("bdev \(name) is closed") }
        guard queueDepth >= 1, queueDepth <= 65536 else {
            throw .setup("bdev \(name): queue depth \(queueDepth) must be 1...65536")
        }
        return try RBDChannel(device: self, queueDepth: queueDepth)
    }

    /// Closes the image (librbd flushes what it holds) and, for a private
    /// connection, the connection.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        _ = crbd_rbd_close(image)
        crbd_rados_ioctx_destroy(ioctx)
        cluster.release()
        if ownsCluster { cluster.shutdown() }
    }
}
