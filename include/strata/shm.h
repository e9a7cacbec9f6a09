/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The shared memory between stratad and strata-dpdk (POSIX shared memory,
 * /dev/shm/strata by default). stratad owns it: it creates it (exclusively,
 * mode 0600, as root), publishes the time snapshot into it, and sums the
 * dataplane's counters from it. The DPDK process maps it read-write, once it
 * has checked its owner, mode and size (lib/shmcheck.h, docs/dpdk.md),
 * reads the snapshot on every packet and increments its own lcore's
 * counters. If stratad restarts, the mapping and the last snapshot stay: the
 * dataplane keeps answering, and the snapshot's holdover limit turns its
 * replies to leap 3 if no new one comes.
 */
#pragma once

#include "compat.h"
#include "counters.h"
#include "fastcfg.h"
#include "nts.h"
#include "snapshot.h"

#define STRATA_SHM_NAME "/strata"
#define STRATA_SHM_MAGIC 0x53544d34u /* "STM4": with the NTS master keys and counters */
#define STRATA_SHM_MAX_LCORES 128
/* AF_XDP sockets strata-nts serves NTS on: one per (interface, queue) */
#define STRATA_SHM_MAX_XSK 64

/* What the dataplane stamps receive times with (strata_shm.dp_rx_stamp). */
enum strata_rx_stamp {
	STRATA_RX_NONE = 0,     /* no dataplane attached */
	STRATA_RX_TSC = 1,      /* the TSC at rx_burst, through the snapshot's TSC map */
	STRATA_RX_HARDWARE = 2, /* the NIC's timestamp (RTE_ETH_RX_OFFLOAD_TIMESTAMP), PHC map */
};

/**
 * The DPDK dataplane's own counters, outside the reply builder's: what its
 * neighbour responder answers and what its queues and exception path lose.
 * The names (strata_dp_counter_names) are the rows of `stratactl counters`
 * and the `counter` label of the strata_dpdk_events_total metric.
 */
enum strata_dp_counter {
	/* a worker's */
	STRATA_DP_ARP_REPLY = 0, /* ARP replies (RFC 826) */
	STRATA_DP_ND_REPLY,      /* neighbour advertisements (RFC 4861 section 7.2.4) */
	STRATA_DP_ECHO_REPLY,    /* ICMP and ICMPv6 echo replies */
	STRATA_DP_NEIGH_DROP,    /* malformed ARP, solicitations and echo requests for us */
	STRATA_DP_TX_DROP,       /* answers the NIC's tx queue had no room for */
	STRATA_DP_EXC_RING_DROP, /* frames for the kernel their ring had no room for */
	/* the exception path's (the dp_exc row) */
	STRATA_DP_TO_KERNEL,      /* frames written to a TAP */
	STRATA_DP_TO_KERNEL_DROP, /* of those, the ones the TAP had no room for */
	STRATA_DP_FROM_KERNEL,    /* frames the kernel sent through a TAP */
	STRATA_DP_FROM_KERNEL_DROP, /* of those, the ones the NIC had no room for */
	STRATA_DP_MAX
};

/**
 * A worker's forwarding cost, on the boundary of testpmd's --record-core-cycles
 * (DPDK app/test-pmd: get_start_cycles() before rx_burst, get_end_cycles()
 * after tx_burst and the frees, empty polls not counted): the TSC cycles of
 * every burst that received frames, and those frames. Cycles over packets is
 * testpmd's "CPU cycles/packet" (docs/dpdk.md, "Cycles per packet"). Not
 * events: they live in the last slots of a worker's row, past STRATA_DP_MAX,
 * where no loop over the counter names shows them.
 */
enum strata_dp_cycles {
	STRATA_DP_BURST_CYCLES = 14, /* TSC cycles, rx_burst to tx_burst, bursts with frames */
	STRATA_DP_BURST_PACKETS = 15, /* the frames those bursts received */
};

/** One row of enum strata_dp_counter and enum strata_dp_cycles, two cache lines. */
struct strata_dp_counters {
	__u64 c[16];
};
_Static_assert((int)STRATA_DP_MAX <= (int)STRATA_DP_BURST_CYCLES, "strata_dp_counters has room");

#if !defined(__bpf__)
/** Stable names for `stratactl counters` rows and the metric's counter label. */
static const char *const strata_dp_counter_names[STRATA_DP_MAX] = {
	[STRATA_DP_ARP_REPLY] = "arp_reply",
	[STRATA_DP_ND_REPLY] = "nd_reply",
	[STRATA_DP_ECHO_REPLY] = "echo_reply",
	[STRATA_DP_NEIGH_DROP] = "neigh_drop",
	[STRATA_DP_TX_DROP] = "tx_drop",
	[STRATA_DP_EXC_RING_DROP] = "exc_ring_drop",
	[STRATA_DP_TO_KERNEL] = "to_kernel",
	[STRATA_DP_TO_KERNEL_DROP] = "to_kernel_drop",
	[STRATA_DP_FROM_KERNEL] = "from_kernel",
	[STRATA_DP_FROM_KERNEL_DROP] = "from_kernel_drop",
};
#endif

struct strata_shm {
	struct snap snap; /* written by stratad only */

	/* written by strata-dpdk at start and on exit, read by stratad */
	__u32 magic;      /* STRATA_SHM_MAGIC once stratad initialised it */
	__u32 dp_pid;     /* the dataplane's process ID, 0 when none */
	__u32 dp_lcores;  /* worker lcores in use */
	__u32 dp_rx_stamp; /* enum strata_rx_stamp */
	__u32 dp_ports;   /* "listen dpdk" ports served */
	__u32 dp_pad;
	__u64 dp_gen;     /* the configuration generation the workers use, 0 before the first */
	__u8 pad[32];

	/* one row per worker, indexed by worker number (not lcore id) */
	struct strata_counters lcore[STRATA_SHM_MAX_LCORES];

	/*
	 * The fast-path configuration (services, access list, rate limit),
	 * written by stratad only, whole, under a sequence count: odd while a
	 * write is under way. The dataplane copies it out, and keeps the copy
	 * only if the count was even and the same before and after; it then
	 * hands the new generation to its workers at a quiescent point.
	 */
	__u32 cfg_seq;
	__u32 cfg_pad[15];
	struct strata_fastcfg cfg;
	__u8 cfg_tail[(64 - sizeof(struct strata_fastcfg) % 64) % 64]; /* to a cache line */

	/*
	 * What the dataplane counts besides the reply builder's outcomes,
	 * written by strata-dpdk, read by stratad: one row per worker (as
	 * lcore[]), and one for the lcore that polls the exception path.
	 */
	struct strata_dp_counters dp[STRATA_SHM_MAX_LCORES];
	struct strata_dp_counters dp_exc;

	/* NTS (RFC 8915, docs/nts.md): the master keys, written by stratad only */
	struct strata_nts_keyring nts_keys;

	/* written by strata-nts at start and on exit, read by stratad */
	__u32 nts_pid;       /* strata-nts's process ID, 0 when none */
	__u32 nts_xsk;       /* AF_XDP sockets in use: rows of nts_xsk_c[] */
	__u32 nts_xsk_ifindex[STRATA_SHM_MAX_XSK]; /* each row's interface */
	__u32 nts_xsk_queue[STRATA_SHM_MAX_XSK];   /* and queue */
	__u8 nts_pad[56];
	/* the NTS-KE workers' counters (enum strata_nts_ke_counter), atomic adds */
	__u64 nts_ke[16];
	/* NTS responders' counters: one row per DPDK worker, one per AF_XDP socket */
	struct strata_nts_counters nts_dp[STRATA_SHM_MAX_LCORES];
	struct strata_nts_counters nts_xsk_c[STRATA_SHM_MAX_XSK];
};
_Static_assert(sizeof(struct snap) % 64 == 0, "snapshot ends on a cache line");
_Static_assert(sizeof(struct strata_shm) % 8 == 0, "strata_shm layout");
_Static_assert(__builtin_offsetof(struct strata_shm, lcore) % 64 == 0,
	       "counters start on a cache line");
_Static_assert(__builtin_offsetof(struct strata_shm, cfg_seq) % 64 == 0,
	       "the configuration starts on a cache line");
_Static_assert(__builtin_offsetof(struct strata_shm, dp) % 64 == 0,
	       "the dataplane's counters start on a cache line");
_Static_assert(__builtin_offsetof(struct strata_shm, nts_keys) % 64 == 0,
	       "the NTS keys start on a cache line");
_Static_assert(__builtin_offsetof(struct strata_shm, nts_ke) % 64 == 0,
	       "the NTS-KE counters start on a cache line");
_Static_assert(__builtin_offsetof(struct strata_shm, nts_dp) % 64 == 0,
	       "the NTS counters start on a cache line");
