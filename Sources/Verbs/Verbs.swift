// Module Verbs: libibverbs + librdmacm in Swift, at C's cost; knows nothing of NVMe.
//
// Ownership (an arrow means "holds a strong reference to", so the target is
// destroyed after the source, whatever order callers drop them in):
//
//   MemoryRegion ──▶ ProtectionDomain ──▶ DeviceContext ──▶ (ConnectionID, if borrowed from RDMA CM)
//   MemoryWindow ──▶ ProtectionDomain
//   SharedReceiveQueue ──▶ ProtectionDomain
//   CompletionQueue ──▶ DeviceContext, CompletionChannel ──▶ DeviceContext
//   QueuePair ──▶ ProtectionDomain, send/receive CompletionQueue, SharedReceiveQueue?, ConnectionID?
//   ConnectionID ──▶ EventChannel
//
// Every C object is destroyed in its wrapper's deinit; `LiveResources.count`
// tracks how many exist. Failures are `VerbsError` (verb + errno), thrown with
// typed throws so nothing is boxed. Hot calls (`QueuePair.postSend`,
// `SharedReceiveQueue.postReceive`, `CompletionQueue.poll(into:)`,
// `requestNotification`) are @inlinable and allocation-free; work requests live
// in preallocated `SendWorkRequestList`/`ReceiveWorkRequestList` storage or in
// the caller's own slots (`SendWorkRequest`, `ReceiveWorkRequest`).
//
// Without an RDMA device every entry point fails with ENODEV/ENOSYS and
// `VerbsError.description` says how to get Soft-RoCE.
