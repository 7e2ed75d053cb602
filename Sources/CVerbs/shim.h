#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>
#include <rdma/rdma_verbs.h>

/* The C reference for the Verbs hot-path benchmark (perf/verbs, `post-cost`):
 * an unsignaled RDMA WRITE chained before a signaled SEND, built on the stack
 * and posted with one ibv_post_send, as a C target would write it. */
static inline int cverbs_reference_post_write_send(struct ibv_qp *qp, uint64_t id, uint64_t data_addr,
                                                   uint32_t data_len, uint32_t data_lkey, uint64_t remote_addr,
                                                   uint32_t rkey, uint64_t rsp_addr, uint32_t rsp_lkey) {
    struct ibv_sge sge[2];
    struct ibv_send_wr wr[2];
    struct ibv_send_wr *bad = 0;
    sge[0].addr = data_addr;
    sge[0].length = data_len;
    sge[0].lkey = data_lkey;
    sge[1].addr = rsp_addr;
    sge[1].length = 16;
    sge[1].lkey = rsp_lkey;
    wr[0].wr_id = id;
    wr[0].next = &wr[1];
    wr[0].sg_list = &sge[0];
    wr[0].num_sge = 1;
    wr[0].opcode = IBV_WR_RDMA_WRITE;
    wr[0].send_flags = 0;
    wr[0].imm_data = 0;
    wr[0].wr.rdma.remote_addr = remote_addr;
    wr[0].wr.rdma.rkey = rkey;
    wr[1].wr_id = id + 1;
    wr[1].next = 0;
    wr[1].sg_list = &sge[1];
    wr[1].num_sge = 1;
    wr[1].opcode = IBV_WR_SEND;
    wr[1].send_flags = IBV_SEND_SIGNALED;
    wr[1].imm_data = 0;
    wr[1].wr.rdma.remote_addr = 0;
    wr[1].wr.rdma.rkey = 0;
    return ibv_post_send(qp, wr, &bad);
}

/* A cycle counter for latency loops (perftest reads the TSC the same way).
 * clock_gettime can fall back to a system call when the guest's clocksource
 * is not the TSC (QEMU TCG), which would add microseconds to every sample. */
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
static inline uint64_t cverbs_cycles(void) { return __rdtsc(); }
#else
static inline uint64_t cverbs_cycles(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}
#endif
