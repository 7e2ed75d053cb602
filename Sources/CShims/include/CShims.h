// GNU-only names Swift's importer cannot see, even with _GNU_SOURCE in a
// module map (see docs/ARCHITECTURE.md). Keep this file tiny.
#ifndef CSHIMS_H
#define CSHIMS_H
#include <stdint.h>
#include <sys/types.h>

/// O_DIRECT as an int (GNU-only in <fcntl.h>).
int cshims_o_direct(void);
/// Pins the calling thread to one CPU; returns 0 or an errno value.
int cshims_pin_thread_to_cpu(int cpu);
/// Gives the calling thread SCHED_IDLE (GNU-only name): any ordinary thread
/// that wakes on its CPU runs first. Returns 0 or an errno value.
int cshims_set_thread_sched_idle(void);
/// Sets the calling thread's nice value (Linux: per thread). 0 or -1 (errno).
int cshims_set_thread_nice(int nice);
/// The CPU the calling thread runs on, or -1.
int cshims_current_cpu(void);
/// Number of CPUs this process may run on.
int cshims_available_cpus(void);
/// 1 if this process may run on `cpu` (its affinity mask), else 0.
int cshims_cpu_is_available(int cpu);
/// fallocate(2) with the given mode (FALLOC_FL_* are GNU-only); 0 or errno.
int cshims_fallocate(int fd, int mode, off_t offset, off_t length);
int cshims_falloc_fl_keep_size(void);
int cshims_falloc_fl_punch_hole(void);
int cshims_falloc_fl_zero_range(void);
/// BLKGETSIZE64 / BLKSSZGET / BLKDISCARD / BLKZEROOUT on a block device; 0 or errno.
int cshims_blk_size_bytes(int fd, uint64_t *bytes);
int cshims_blk_logical_block_size(int fd, int *size);
int cshims_blk_discard(int fd, uint64_t offset, uint64_t length);
int cshims_blk_zeroout(int fd, uint64_t offset, uint64_t length);
/// RWF_DSYNC for pwritev2 (durable write, i.e. FUA).
int cshims_rwf_dsync(void);

/// Names the calling thread (at most 15 bytes are kept), for `top -H` and
/// per-thread CPU figures. Returns 0 or an errno value.
int cshims_set_thread_name(const char *name);
/// Direct-I/O alignment of an open file (statx STATX_DIOALIGN, Linux 6.1+):
/// memory alignment and file-offset alignment in bytes. 0, EOPNOTSUPP when the
/// kernel or filesystem does not report it (or does not support O_DIRECT: both 0),
/// or errno.
int cshims_dio_alignment(int fd, uint32_t *mem_align, uint32_t *offset_align);

/// The CPU's time-stamp counter (x86_64 RDTSC), or 0 elsewhere: nvmf-perf's
/// per-I/O clock when the TSC is invariant. Inline so a read costs no call.
static inline uint64_t cshims_rdtsc(void) {
#if defined(__x86_64__)
    uint32_t lo, hi;
    __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
#else
    return 0;
#endif
}
#endif
