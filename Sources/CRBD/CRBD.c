// Run-time binding of librados/librbd and the completion hand-over
// (see include/CRBD.h for why both live here).

#include "CRBD.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sched.h>

typedef void *completion_t;
typedef void (*callback_t)(completion_t, void *);

// The library entry points, resolved once by crbd_load.
static struct {
    int (*rados_create)(crbd_rados_t *, const char *);
    int (*rados_conf_read_file)(crbd_rados_t, const char *);
    int (*rados_conf_set)(crbd_rados_t, const char *, const char *);
    int (*rados_conf_get)(crbd_rados_t, const char *, char *, size_t);
    int (*rados_connect)(crbd_rados_t);
    void (*rados_shutdown)(crbd_rados_t);
    int (*rados_getaddrs)(crbd_rados_t, char **);
    int (*rados_ioctx_create)(crbd_rados_t, const char *, crbd_ioctx_t *);
    void (*rados_ioctx_destroy)(crbd_ioctx_t);
    int (*rbd_open)(crbd_ioctx_t, const char *, crbd_image_t *, const char *);
    int (*rbd_open_read_only)(crbd_ioctx_t, const char *, crbd_image_t *, const char *);
    int (*rbd_close)(crbd_image_t);
    int (*rbd_get_size)(crbd_image_t, uint64_t *);
    int (*rbd_get_features)(crbd_image_t, uint64_t *);
    int (*rbd_aio_create_completion)(void *, callback_t, completion_t *);
    ssize_t (*rbd_aio_get_return_value)(completion_t);
    void (*rbd_aio_release)(completion_t);
    int (*rbd_aio_read)(crbd_image_t, uint64_t, size_t, char *, completion_t);
    int (*rbd_aio_write)(crbd_image_t, uint64_t, size_t, const char *, completion_t);
    int (*rbd_aio_flush)(crbd_image_t, completion_t);
    int (*rbd_aio_discard)(crbd_image_t, uint64_t, uint64_t, completion_t);
    int (*rbd_aio_write_zeroes)(crbd_image_t, uint64_t, size_t, completion_t, int, int);
} lib;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static char load_error[512];
static int load_status = -1;

#define RESOLVE(handle, name)                                                                    \
    do {                                                                                         \
        *(void **)&lib.name = dlsym(handle, #name);                                              \
        if (!lib.name) {                                                                         \
            snprintf(load_error, sizeof load_error, "%s has no %s (Ceph 16 or newer is needed)", \
                     handle == rados ? "librados.so.2" : "librbd.so.1", #name);                  \
            return;                                                                              \
        }                                                                                        \
    } while (0)

static void load(void) {
    // RTLD_GLOBAL: librbd's own dependency on librados must resolve to the
    // same copy, or the rados_t we pass would belong to another library.
    void *rados = dlopen("librados.so.2", RTLD_NOW | RTLD_GLOBAL);
    if (!rados) {
        snprintf(load_error, sizeof load_error,
                 "librados.so.2 cannot be loaded (%s); install Ceph's client libraries (Debian: librbd1)", dlerror());
        return;
    }
    void *rbd = dlopen("librbd.so.1", RTLD_NOW | RTLD_GLOBAL);
    if (!rbd) {
        snprintf(load_error, sizeof load_error,
                 "librbd.so.1 cannot be loaded (%s); install Ceph's client libraries (Debian: librbd1)", dlerror());
        return;
    }
    RESOLVE(rados, rados_create);
    RESOLVE(rados, rados_conf_read_file);
    RESOLVE(rados, rados_conf_set);
    RESOLVE(rados, rados_conf_get);
    RESOLVE(rados, rados_connect);
    RESOLVE(rados, rados_shutdown);
    RESOLVE(rados, rados_getaddrs);
    RESOLVE(rados, rados_ioctx_create);
    RESOLVE(rados, rados_ioctx_destroy);
    RESOLVE(rbd, rbd_open);
    RESOLVE(rbd, rbd_open_read_only);
    RESOLVE(rbd, rbd_close);
    RESOLVE(rbd, rbd_get_size);
    RESOLVE(rbd, rbd_get_features);
    RESOLVE(rbd, rbd_aio_create_completion);
    RESOLVE(rbd, rbd_aio_get_return_value);
    RESOLVE(rbd, rbd_aio_release);
    RESOLVE(rbd, rbd_aio_read);
    RESOLVE(rbd, rbd_aio_write);
    RESOLVE(rbd, rbd_aio_flush);
    RESOLVE(rbd, rbd_aio_discard);
    RESOLVE(rbd, rbd_aio_write_zeroes);
    load_status = 0;
}

int crbd_load(char *message, size_t capacity) {
    pthread_once(&load_once, load);
    if (load_status != 0 && message && capacity > 0) {
        snprintf(message, capacity, "%s", load_error);
    }
    return load_status;
}

int crbd_rados_create(crbd_rados_t *cluster, const char *user_id) { return lib.rados_create(cluster, user_id); }
int crbd_rados_conf_read_file(crbd_rados_t cluster, const char *path) { return lib.rados_conf_read_file(cluster, path); }
int crbd_rados_conf_set(crbd_rados_t cluster, const char *option, const char *value) {
    return lib.rados_conf_set(cluster, option, value);
}
int crbd_rados_conf_get(crbd_rados_t cluster, const char *option, char *buffer, size_t length) {
    return lib.rados_conf_get(cluster, option, buffer, length);
}
int crbd_rados_connect(crbd_rados_t cluster) { return lib.rados_connect(cluster); }
void crbd_rados_shutdown(crbd_rados_t cluster) { lib.rados_shutdown(cluster); }
int crbd_rados_getaddrs(crbd_rados_t cluster, char *buffer, size_t length) {
    char *addrs = NULL;
    int rc = lib.rados_getaddrs(cluster, &addrs);
    if (rc < 0) return rc;
    snprintf(buffer, length, "%s", addrs ? addrs : "");
    free(addrs);  // librados allocates it with malloc; the caller frees
    return 0;
}
int crbd_rados_ioctx_create(crbd_rados_t cluster, const char *pool, crbd_ioctx_t *ioctx) {
    return lib.rados_ioctx_create(cluster, pool, ioctx);
}
void crbd_rados_ioctx_destroy(crbd_ioctx_t ioctx) { lib.rados_ioctx_destroy(ioctx); }
int crbd_rbd_open(crbd_ioctx_t ioctx, const char *name, crbd_image_t *image, int read_only) {
    return read_only ? lib.rbd_open_read_only(ioctx, name, image, NULL) : lib.rbd_open(ioctx, name, image, NULL);
}
int crbd_rbd_close(crbd_image_t image) { return lib.rbd_close(image); }
int crbd_rbd_get_size(crbd_image_t image, uint64_t *size) { return lib.rbd_get_size(image, size); }
int crbd_rbd_get_features(crbd_image_t image, uint64_t *features) { return lib.rbd_get_features(image, features); }

// MARK: completion hand-over

struct slot {
    int64_t result;
    int32_t next;
    int32_t flush_after;
    crbd_image_t image;
    struct crbd_queue *queue;
};

struct crbd_queue {
    // Top of the stack of finished slots (-1: empty). librbd's threads push
    // with a CAS; the owner takes the whole stack with one exchange, so a
    // pusher never reads a node another thread may be changing (no ABA).
    _Atomic int32_t finished;
    int event_fd;
    int32_t count;
    struct slot *slots;
};

crbd_queue *crbd_queue_create(int32_t slots, int event_fd) {
    if (slots < 1) return NULL;
    crbd_queue *q = calloc(1, sizeof *q);
    if (!q) return NULL;
    q->slots = calloc((size_t)slots, sizeof *q->slots);
    if (!q->slots) {
        free(q);
        return NULL;
    }
    for (int32_t i = 0; i < slots; i++) q->slots[i].queue = q;
    q->count = slots;
    q->event_fd = event_fd;
    atomic_init(&q->finished, -1);
    return q;
}

void crbd_queue_destroy(crbd_queue *queue) {
    if (!queue) return;
    free(queue->slots);
    free(queue);
}

int32_t crbd_queue_take(crbd_queue *queue) {
    if (atomic_load_explicit(&queue->finished, memory_order_relaxed) < 0) return -1;
    return atomic_exchange_explicit(&queue->finished, -1, memory_order_acquire);
}

int32_t crbd_queue_next(const crbd_queue *queue, int32_t slot) { return queue->slots[slot].next; }
int64_t crbd_queue_result(const crbd_queue *queue, int32_t slot) { return queue->slots[slot].result; }

static void publish(struct slot *s) {
    crbd_queue *q = s->queue;
    int32_t index = (int32_t)(s - q->slots);
    int32_t top = atomic_load_explicit(&q->finished, memory_order_relaxed);
    do {
        s->next = top;
    } while (!atomic_compare_exchange_weak_explicit(&q->finished, &top, index, memory_order_release,
                                                    memory_order_relaxed));
    uint64_t one = 1;
    // A full eventfd counter (2^64-2) cannot happen: the owner reads it to 0.
    ssize_t ignored = write(q->event_fd, &one, sizeof one);
    (void)ignored;
}

// Runs on a librbd thread: keep it short and never call a blocking librbd
// function here.
static void finished(completion_t c, void *arg) {
    struct slot *s = arg;
    ssize_t rc = lib.rbd_aio_get_return_value(c);
    lib.rbd_aio_release(c);
    if (rc >= 0 && s->flush_after) {
        s->flush_after = 0;
        completion_t flush;
        int r = lib.rbd_aio_create_completion(s, finished, &flush);
        if (r == 0) {
            r = lib.rbd_aio_flush(s->image, flush);
            if (r == 0) return;  // the slot finishes with the flush
            lib.rbd_aio_release(flush);
        }
        rc = r;
    }
    s->result = rc;
    publish(s);
}

static int begin(crbd_image_t image, crbd_queue *queue, int32_t slot, int flush_after, completion_t *c) {
    if (slot < 0 || slot >= queue->count) return -EINVAL;
    struct slot *s = &queue->slots[slot];
    s->image = image;
    s->flush_after = flush_after;
    s->result = 0;
    return lib.rbd_aio_create_completion(s, finished, c);
}

#define SUBMIT(call)                             \
    do {                                         \
        int rc = (call);                         \
        if (rc < 0) lib.rbd_aio_release(c);      \
        return rc;                               \
    } while (0)

int crbd_aio_read(crbd_image_t image, crbd_queue *queue, int32_t slot, uint64_t offset, size_t length, void *buffer) {
    completion_t c;
    int rc = begin(image, queue, slot, 0, &c);
    if (rc < 0) return rc;
    SUBMIT(lib.rbd_aio_read(image, offset, length, buffer, c));
}

int crbd_aio_write(crbd_image_t image, crbd_queue *queue, int32_t slot, uint64_t offset, size_t length,
                   const void *buffer, int flush_after) {
    completion_t c;
    int rc = begin(image, queue, slot, flush_after, &c);
    if (rc < 0) return rc;
    SUBMIT(lib.rbd_aio_write(image, offset, length, buffer, c));
}

int crbd_aio_flush(crbd_image_t image, crbd_queue *queue, int32_t slot) {
    completion_t c;
    int rc = begin(image, queue, slot, 0, &c);
    if (rc < 0) return rc;
    SUBMIT(lib.rbd_aio_flush(image, c));
}

int crbd_aio_discard(crbd_image_t image, crbd_queue *queue, int32_t slot, uint64_t offset, uint64_t length) {
    completion_t c;
    int rc = begin(image, queue, slot, 0, &c);
    if (rc < 0) return rc;
    SUBMIT(lib.rbd_aio_discard(image, offset, length, c));
}

int crbd_aio_write_zeroes(crbd_image_t image, crbd_queue *queue, int32_t slot, uint64_t offset, size_t length) {
    completion_t c;
    int rc = begin(image, queue, slot, 0, &c);
    if (rc < 0) return rc;
    SUBMIT(lib.rbd_aio_write_zeroes(image, offset, length, c, 0, 0));
}

int crbd_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

int crbd_thread_affinity(uint64_t *old_mask, uint64_t new_mask) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (pthread_getaffinity_np(pthread_self(), sizeof set, &set) != 0) return -1;
    uint64_t old = 0;
    for (int cpu = 0; cpu < 64; cpu++)
        if (CPU_ISSET(cpu, &set)) old |= 1ull << cpu;
    if (old_mask) *old_mask = old;
    if (new_mask == 0) return 0;
    CPU_ZERO(&set);
    for (int cpu = 0; cpu < 64; cpu++)
        if (new_mask & (1ull << cpu)) CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0 ? 0 : -1;
}
