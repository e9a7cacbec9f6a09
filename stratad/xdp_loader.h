/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The XDP loader: loads the strata program for each configured interface,
 * shares one snapshot, service and counter map between them, and attaches.
 * With a bpffs directory (the bpffs line) the maps and links are pinned
 * there: they outlive stratad, which adopts them at its next start and swaps
 * its program in without a moment without one; without it, the program
 * detaches when stratad exits. Used by stratad only. Attaching needs CAP_BPF
 * and CAP_NET_ADMIN; afterwards nothing here does, but on kernels before
 * 5.19 the counter lookup needs CAP_BPF (docs/security.md).
 */
#pragma once

#include <strata/counters.h>
#include <strata/fastcfg.h>
#include <strata/service.h>
#include <strata/snapshot.h>

#include "config.h"

struct bpf_object;

struct xdp_iface {
	char ifname[CFG_IFNAMSIZ];
	int ifindex;
	struct bpf_object *obj;
	int prog_fd;
	int rx_meta;        /* the RX-metadata variant is loaded: hardware stamps when a PHC is mapped */
	int link_fd;        /* the bpf_link that holds the program on the interface, or -1 */
	int adopted_link;   /* that link was pinned before: the new program was swapped in */
	int if_fd;          /* its strata_if map: the interface's own MAC */
	int adopted_xsks;   /* its strata_xsks (strata-nts's AF_XDP sockets) was pinned before */
	__u8 mac[6];        /* the MAC in that map */
};

struct xdp_state {
	struct xdp_iface ifs[CFG_MAX_LISTEN];
	unsigned int n_ifs;
	int snap_fd; /* shared maps, owned by the first object */
	int act_fd;  /* the active configuration set (docs/xdp.md) */
	int svc_fd;
	int ctr_fd;
	int pol_fd; /* the policy: settings, access list tries, limiter tables */
	int acl4_fd;
	int acl6_fd;
	int rl_fd;
	unsigned int rl_tables; /* strata_rl entries: one per CPU */
	struct snap *snap; /* the snapshot map, mmapped read-write */
	unsigned int ncpu;
	__u64 mac_checked_ns; /* monotonic time the interfaces' MACs were last read */
	__u64 gen;            /* the fast-path configuration generation in the maps */
	__u32 set;            /* the active set, 0 or 1: the other one is written */
	int sync_fd;          /* a map-in-map whose update waits for programs in flight */
	int sync_inner_fd;
	char pin_dir[CFG_PATH_MAX]; /* the bpffs directory in use, "" when unpinned */
	int adopted;                /* the maps were a running strata's: snapshot kept */
	const char *obj_override;   /* STRATA_XDP_OBJECT: load this file, not the built-in */
};

/*
 * Load, write the fast-path configuration @fc into the maps, attach to every
 * listen xdp interface of @c. The snapshot starts empty (readers drop with
 * drop_no_time) until the first publish. @return 0 or -errno, with the
 * reason logged; on error nothing stays attached.
 */
int xdp_setup(struct xdp_state *x, const struct cfg *c, const struct strata_fastcfg *fc);

/*
 * Write generation @fc of the fast-path configuration into the maps (nothing
 * when they hold it already): xdp_stage(), then xdp_flip(). A packet sees
 * the old generation or @fc, never a mix. @return 0 or -errno, logged.
 */
int xdp_apply(struct xdp_state *x, const struct strata_fastcfg *fc);

/* Write @fc into the inactive set; programs go on reading the active one. @return 0 or -errno. */
int xdp_stage(struct xdp_state *x, const struct strata_fastcfg *fc);

/*
 * Make the staged set active, wait for the programs still running on the
 * old one, and empty its access list. @return 0 or -errno, logged.
 */
int xdp_flip(struct xdp_state *x);

/*
 * Stop for good: detach every program pinned in the bpffs directory @dir and
 * remove the directory. Needs CAP_BPF and CAP_NET_ADMIN. @return 0 (also
 * when nothing is pinned) or -errno, logged.
 */
int xdp_remove(const char *dir);

/*
 * Read each interface's MAC again, at most once a second (@mono_ns, the
 * monotonic clock), and give a changed one to its program: replies follow
 * `ip link set dev IFACE address ...` within a second. Needs no privilege.
 */
void xdp_follow_mac(struct xdp_state *x, __u64 mono_ns);

/*
 * A start that failed: unpin what this stratad pinned itself (links it
 * attached, maps it made), so that xdp_teardown() detaches it; what it
 * adopted from a running strata stays, answering as before.
 */
void xdp_abandon(struct xdp_state *x);

/*
 * Release everything. Unpinned, closing the links detaches the program (no
 * privilege needed); pinned, it stays attached and answers from the last
 * snapshot until the next stratad adopts it or xdp_remove().
 */
void xdp_teardown(struct xdp_state *x);

/*
 * Per-CPU counters into @out (at most @max CPUs). @return the number of
 * CPUs, or -errno.
 */
int xdp_read_counters(const struct xdp_state *x, struct strata_counters *out, unsigned int max);
