/// A fixed-size FIFO of completions, allocated once per channel.
///
/// Holds completions that are known before any device is involved: every
/// operation of the memory and null devices, and libaio operations the
/// kernel refused at `io_submit`. They wait here until the owning thread's
/// next `poll`, so every device reports completions the same way. Only the
/// channel's thread touches it; it never allocates after `init`.
@usableFromInline
struct CompletionRing {
    @usableFromInline let storage: UnsafeMutablePointer<BlockCompletion>
    @usableFromInline let capacity: Int
    @usableFromInline var head = 0
    @usableFromInline var count = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 1)
        storage = .allocate(capacity: self.capacity)
    }

    /// Adds a completion. The caller guarantees room: channels admit at most
    /// `queueDepth` operations, and the ring is that deep.
    @inlinable
    mutating func append(_ completion: BlockCompletion) {
        precondition(count < capacity, "completion ring overflow: more in flight than the queue depth")
        var slot = head &+ count
        if slot >= capacity { slot &-= capacity }
        (storage + slot).initialize(to: completion)
        count &+= 1
    }

    /// Removes and returns the oldest completion, or `nil` when empty.
    @inlinable
    mutating func removeFirst() -> BlockCompletion? {
        guard count > 0 else { return nil }
        let completion = (storage + head).move()
        head &+= 1
        if head == capacity { head = 0 }
        count &-= 1
        return completion
    }

    /// Frees the storage; the ring must not be used afterwards.
    func deallocate() {
        var h = head
        for _ in 0..<count {
            (storage + h).deinitialize(count: 1)
            h = h &+ 1 == capacity ? 0 : h &+ 1
        }
        storage.deallocate()
    }
}
