// librados and librbd, loaded at run time.
//
// Why not a system-library target linked at build time: the target then
// builds and runs on a machine without Ceph's libraries (the usual case), and
// one binary serves RBD wherever Debian's librbd1 is installed. The calls are
// the few the RBD block device makes (docs/CEPH.md); their C signatures are
// librbd.h's (1.16, Ceph 16, and 1.18, Ceph 18 are identical for these), with
// opaque handles.
//
// Completions: librbd runs a completion's callback on one of its own threads.
// `crbd_queue` is where those threads hand finished operations to the one poll
// thread that owns the queue without a lock: a slot per operation in flight,
// and a lock-free stack of finished slot numbers that the poll thread takes
// whole. The callback then bumps an eventfd so an interrupt-mode poll group
// wakes, as for libaio.
#ifndef CRBD_H
#define CRBD_H
#include <stddef.h>
#include <stdint.h>

typedef void *crbd_rados_t;
typedef void *crbd_ioctx_t;
typedef void *crbd_image_t;

/// Loads librados.so.2 and librbd.so.1 once. 0, or -1 with the reason in
/// `message` (NUL-terminated, at most `capacity` bytes). Thread-safe.
int crbd_load(char *message, size_t capacity);

// Cluster handle (librados). Return 0 or a negative errno, as librados does.
int crbd_rados_create(crbd_rados_t *cluster, const char *user_id);
int crbd_rados_conf_read_file(crbd_rados_t cluster, const char *path);
int crbd_rados_conf_set(crbd_rados_t cluster, const char *option, const char *value);
int crbd_rados_conf_get(crbd_rados_t cluster, const char *option, char *buffer, size_t length);
int crbd_rados_connect(crbd_rados_t cluster);
void crbd_rados_shutdown(crbd_rados_t cluster);
/// The client's address(es) as the cluster sees them (what a peer blocklists).
int crbd_rados_getaddrs(crbd_rados_t cluster, char *buffer, size_t length);
int crbd_rados_ioctx_create(crbd_rados_t cluster, const char *pool, crbd_ioctx_t *ioctx);
void crbd_rados_ioctx_destroy(crbd_ioctx_t ioctx);

// Image (librbd).
int crbd_rbd_open(crbd_ioctx_t ioctx, const char *name, crbd_image_t *image, int read_only);
int crbd_rbd_close(crbd_image_t image);
int crbd_rbd_get_size(crbd_image_t image, uint64_t *size);
int crbd_rbd_get_features(crbd_image_t image, uint64_t *features);

/// Reads the calling thread's CPU affinity (CPUs 0-63) into `old_mask` and,
/// unless `new_mask` is 0, sets it: threads librados creates inherit it
/// (SPDK's core_mask). 0 or -1.
int crbd_thread_affinity(uint64_t *old_mask, uint64_t new_mask);

/// A non-blocking, close-on-exec eventfd for a channel (-1 and errno on failure).
int crbd_eventfd(void);

/// Completion hand-over between librbd's threads and one poll thread.
typedef struct crbd_queue crbd_queue;

/// A queue of `slots` operation slots that bumps `event_fd` (by 1) as each
/// finishes. NULL when out of memory.
crbd_queue *crbd_queue_create(int32_t slots, int event_fd);
/// Frees the queue; every operation must have finished.
void crbd_queue_destroy(crbd_queue *queue);
/// Takes every finished slot at once: the first slot number, or -1 when
/// none; follow the chain with `crbd_queue_next`. Owner thread only.
int32_t crbd_queue_take(crbd_queue *queue);
int32_t crbd_queue_next(const crbd_queue *queue, int32_t slot);
/// A finished slot's result: bytes read for a read, 0 for the rest, or a
/// negative errno. Valid after `crbd_queue_take` returned the slot.
int64_t crbd_queue_result(const crbd_queue *queue, int32_t slot);

// Operations. Each returns 0 when librbd took it (the slot finishes later)
// or a negative errno when it was refused at once (the slot is free again).
// `flush_after`: once the write succeeds, flush the image before the slot
// finishes (Force Unit Access while librbd's cache is on).
int crbd_aio_read(crbd_image_t image, crbd_queue *queue, int32_t slot, uint64_t offset, size_t length, void *buffer);
int crbd_aio_write(crbd_image_t image, crbd_queue *queue, int32_t slot, uint64_t offset, size_t length,
                   const void *buffer, int flush_after);
int crbd_aio_flush(crbd_image_t image, crbd_queue *queue, int32_t slot);
int crbd_aio_discard(crbd_image_t image, crbd_queue *queue, int32_t slot, uint64_t offset, uint64_t length);
int crbd_aio_write_zeroes(crbd_image_t image, crbd_queue *queue, int32_t slot, uint64_t offset, size_t length);

#endif
