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
#include "snapshot.h"

#define STRATA_SHM_NAME "/strata"
#define STRATA_SHM_MAGIC 0x53544d32u /* "STM2": with the fast-path configuration */
#define STRATA_SHM_MAX_LCORES 128

/* What the dataplane stamps receive times with (strata_shm.dp_rx_stamp). */
enum strata_rx_stamp {
	STRATA_RX_NONE = 0,     /* no dataplane attached */
	STRATA_RX_TSC = 1,      /* the TSC at rx_burst, through the snapshot's TSC map */
	STRATA_RX_HARDWARE = 2, /* the NIC's timestamp (RTE_ETH_RX_OFFLOAD_TIMESTAMP), PHC map */
};

struct strata_shm {
	struct snap snap; /* written by stratad only */

	/* written by strata-dpdk at start and on exit, read by stratad */
	__u32 magic;      /* STRATA_SHM_MAGIC once stratad initialised it */
	__u32 dp_pid;     /* the dataplane's process ID, 0 when none */
	__u32 dp_lcores;  /* worker lcores in use */
	__u32 dp_rx_stamp; /* enum strata_rx_stamp */
	__u8 pad[48];

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
};
_Static_assert(sizeof(struct snap) % 64 == 0, "snapshot ends on a cache line");
_Static_assert(sizeof(struct strata_shm) % 8 == 0, "strata_shm layout");
_Static_assert(__builtin_offsetof(struct strata_shm, lcore) % 64 == 0,
	       "counters start on a cache line");
_Static_assert(__builtin_offsetof(struct strata_shm, cfg_seq) % 64 == 0,
	       "the configuration starts on a cache line");
