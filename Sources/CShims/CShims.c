#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "CShims.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>

int cshims_o_direct(void) { return O_DIRECT; }

int cshims_pin_thread_to_cpu(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

int cshims_current_cpu(void) { return sched_getcpu(); }

int cshims_set_thread_sched_idle(void) {
    struct sched_param param = {.sched_priority = 0};
    return pthread_setschedparam(pthread_self(), SCHED_IDLE, &param);
}

int cshims_set_thread_nice(int nice) {
    return setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), nice);
}

int cshims_set_thread_name(const char *name) {
    char shortName[16];
    strncpy(shortName, name, sizeof(shortName) - 1);
    shortName[sizeof(shortName) - 1] = 0;
    return pthread_setname_np(pthread_self(), shortName);
}

int cshims_available_cpus(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) != 0) return 1;
    return CPU_COUNT(&set);
}

int cshims_cpu_is_available(int cpu) {
    cpu_set_t set;
    if (cpu < 0 || cpu >= CPU_SETSIZE || sched_getaffinity(0, sizeof(set), &set) != 0) return 0;
    return CPU_ISSET(cpu, &set) ? 1 : 0;
}

int cshims_fallocate(int fd, int mode, off_t offset, off_t length) {
    return fallocate(fd, mode, offset, length) == 0 ? 0 : errno;
}
int cshims_falloc_fl_keep_size(void) { return FALLOC_FL_KEEP_SIZE; }
int cshims_falloc_fl_punch_hole(void) { return FALLOC_FL_PUNCH_HOLE; }
int cshims_falloc_fl_zero_range(void) { return FALLOC_FL_ZERO_RANGE; }

int cshims_blk_size_bytes(int fd, uint64_t *bytes) {
    return ioctl(fd, BLKGETSIZE64, bytes) == 0 ? 0 : errno;
}
int cshims_blk_logical_block_size(int fd, int *size) {
    return ioctl(fd, BLKSSZGET, size) == 0 ? 0 : errno;
}
int cshims_blk_discard(int fd, uint64_t offset, uint64_t length) {
    uint64_t range[2] = {offset, length};
    return ioctl(fd, BLKDISCARD, range) == 0 ? 0 : errno;
}
int cshims_blk_zeroout(int fd, uint64_t offset, uint64_t length) {
    uint64_t range[2] = {offset, length};
    return ioctl(fd, BLKZEROOUT, range) == 0 ? 0 : errno;
}
int cshims_rwf_dsync(void) { return RWF_DSYNC; }

#include <sys/stat.h>
int cshims_dio_alignment(int fd, uint32_t *mem_align, uint32_t *offset_align) {
#ifdef STATX_DIOALIGN
    struct statx stx;
    if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) != 0) return errno;
    if (!(stx.stx_mask & STATX_DIOALIGN)) return EOPNOTSUPP;
    *mem_align = stx.stx_dio_mem_align;
    *offset_align = stx.stx_dio_offset_align;
    return 0;
#else
    (void)fd; (void)mem_align; (void)offset_align;
    return EOPNOTSUPP;
#endif
}
