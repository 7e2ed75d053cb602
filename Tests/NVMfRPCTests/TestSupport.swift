import Foundation
import Synchronization

/// A flag another thread can set.
final class CompletionFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}

/// A joinable thread (Foundation's Thread cannot be joined).
final class JoinableThread: @unchecked Sendable {
    private let body: () -> Void
    private var handle = pthread_t()
    init(_ body: @escaping () -> Void) { self.body = body }
    func start() {
        let box = Unmanaged.passRetained(self)
        pthread_create(
            &handle, nil,
            { arg in
                let t = Unmanaged<JoinableThread>.fromOpaque(arg!).takeRetainedValue()
                t.body()
                return nil
            }, box.toOpaque())
    }
    func join() { pthread_join(handle, nil) }
}
