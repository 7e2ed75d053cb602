import Synchronization

/// Counts verbs resources (contexts, PDs, MRs, CQs, SRQs, QPs, CM ids and
/// channels) currently owned by Swift objects.
///
/// Every wrapper increments it when its C object is created and decrements it
/// right after the destroy verb succeeds, so a test can drop objects in any
/// order and then check the count returned to where it started: no leak.
public enum LiveResources {
    @usableFromInline
    static let counter = Atomic<Int>(0)

    /// Number of verbs objects owned by live Swift wrappers in this process.
    public static var count: Int { counter.load(ordering: .relaxed) }

    @usableFromInline
    static func created() { counter.wrappingAdd(1, ordering: .relaxed) }

    @usableFromInline
    static func destroyed() { counter.wrappingSubtract(1, ordering: .relaxed) }
}
