/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What stratad reports: a copy of its state taken under one lock by the main
 * loop, read by the control socket and the metrics endpoint.
 */
#pragma once

#include <stdint.h>

#include <strata/counters.h>
#include <strata/shm.h>
#include <strata/snapshot.h>

#include "config.h"
#include "register.h"
#include "upstream.h"

#define STATUS_MAX_CPUS 256

/* One interface running the XDP program. */
struct status_iface {
	char ifname[CFG_IFNAMSIZ];
	int ifindex;
	const char *xdp_mode; /* "native" or "generic" */
	const char *rx_stamp; /* "hardware (PHC)" or "software (kernel clock)" */
};

/* NTS (docs/nts.md): stratad's master keys, strata-nts's and the fast paths' counters */
struct status_nts {
	int on;                /* a certificate and key configured */
	unsigned int rotate;   /* ntsrotate, s: 0 reads the key file only */
	unsigned int n_keys;   /* master keys published */
	__u32 key_id;          /* the current one's */
	int64_t key_created;   /* its creation, UNIX s */
	int64_t next_rotation; /* UNIX s, 0: never */
	__u64 gen;             /* of the published ring */
	int64_t now;           /* UNIX s when the status was taken, for the ages */
	unsigned int pid;      /* strata-nts's, 0 when it is not running */
	__u64 ke[STRATA_NTS_KE_MAX]; /* its NTS-KE workers' */
	__u64 dp[STRATA_NTS_MAX];    /* summed over the DPDK workers */
	unsigned int n_xsk;          /* AF_XDP sockets, one row each */
	struct {
		char ifname[CFG_IFNAMSIZ];
		unsigned int queue;
		__u64 c[STRATA_NTS_MAX];
	} xsk[STRATA_SHM_MAX_XSK];
};

struct status {
	/* the time source that set the last snapshot: "refclock system", "local stratum 10" */
	char source[48];
	struct snap_slot slot;  /* what was published last */
	uint64_t publish_mono_ns; /* CLOCK_MONOTONIC of that publish */
	uint64_t publishes;      /* count since start */
	int64_t est_error_ns;   /* kernel estimated error (adjtimex esterror), -1 unknown */
	int64_t max_error_ns;   /* kernel maximum error (adjtimex maxerror), -1 unknown */

	struct status_iface ifaces[CFG_MAX_LISTEN];
	unsigned int n_ifaces;

	/* upstream sources (empty without server/pool lines) and the discipline */
	struct upstream_peer_report peers[UPSTREAM_MAX_PEERS];
	unsigned int n_peers;
	double sys_offset_s;   /* last combined offset */
	double sys_jitter_s;
	double freq_ppm;       /* frequency correction of strata's clock */
	int n_truechimers;

	/* registrations with strata-pool registrars ("register" lines) */
	struct reg_report regs[CFG_MAX_REGISTER];
	unsigned int n_regs;

	/* per-CPU counters of the fast path, summed over interfaces */
	unsigned int ncpu;
	struct strata_counters cpu[STATUS_MAX_CPUS];

	/* the DPDK dataplane's workers, from the shared memory (none without it) */
	unsigned int n_dp;
	const char *dp_rx_stamp; /* "tsc" or "hardware" */
	unsigned int n_dp_ports;
	uint64_t cfg_gen;	  /* the fast-path configuration generation stratad published last */
	uint64_t dp_gen;	  /* the configuration generation all its workers use */
	char dp_port[CFG_PORT_MAX]; /* the "listen dpdk" ports, comma separated */
	struct strata_counters dp[STRATA_SHM_MAX_LCORES];
	/* its own counters (enum strata_dp_counter): per worker, and the exception path's */
	struct strata_dp_counters dpc[STRATA_SHM_MAX_LCORES];
	struct strata_dp_counters dpc_exc;
	double tsc_hz; /* the TSC's rate as stratad measures it, 0 without a usable TSC */

	struct status_nts nts;
};
