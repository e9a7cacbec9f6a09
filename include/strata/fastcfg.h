/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The fast paths' configuration, as stratad lowers it from its file: the
 * service addresses, the access list and the rate limit, with the generation
 * that names this version of them. stratad is its one writer and publishes
 * every generation whole to both fast paths through one channel: the XDP
 * maps (docs/xdp.md says how a packet sees one generation, never a mix) and
 * the shared memory strata-dpdk maps (struct strata_shm, adopted by the
 * workers at a quiescent point). Neither fast path parses the file.
 *
 * The rate limit travels in the file's units (log2 seconds, requests), not
 * in limiter ticks: each fast path counts time in its own ticks
 * (strata_fastcfg_policy() converts).
 */
#pragma once

#include "compat.h"
#include "policy.h"
#include "service.h"

/** One access list rule ("allow" or "deny" line), in file order. */
struct strata_acl_rule {
	__u8 addr[16];  /* network order, host bits zero; IPv4 in the first 4 octets */
	__u8 family;    /* 4 or 6 */
	__u8 prefixlen; /* 0..32 or 0..128 */
	__u8 action;    /* enum strata_acl_action */
	__u8 pad;
};
_Static_assert(sizeof(struct strata_acl_rule) == 20, "strata_acl_rule layout");

/** Everything the fast paths take from the configuration. */
struct strata_fastcfg {
	__u64 gen;  /* generation: 1 for the first publish, one more at each reload */
	__u64 seed; /* the limiter's hash key, kept across reloads so its state stays valid */
	struct strata_service svc;
	__u32 rl_on;       /* a ratelimit line */
	__s32 rl_interval; /* log2 seconds between answers to one client, on average */
	__u32 rl_burst;    /* answers a client may have in advance */
	__u32 rl_leak;     /* log2: 1 in 2^leak requests over the limit is answered */
	__u32 rl_kod;      /* over the limit: RATE kiss-o'-death */
	__u32 acl_default; /* enum strata_acl_action for sources no rule covers */
	__u32 n_acl;
	__u32 pad;
	struct strata_acl_rule acl[STRATA_ACL_MAX];
};
_Static_assert(sizeof(struct strata_fastcfg) % 8 == 0, "strata_fastcfg layout");

/**
 * The policy settings of @fc for a fast path whose limiter ticks last
 * @tick_s seconds (the XDP program's 2^20 ns, a DPDK worker's TSC fraction).
 * Not for BPF: user space of either side calls it when it adopts a generation.
 */
#ifndef __bpf__
STRATA_INLINE void
strata_fastcfg_policy(const struct strata_fastcfg *fc, double tick_s,
		      struct strata_policy_conf *pc)
{
	double ticks;

	__builtin_memset(pc, 0, sizeof(*pc));
	pc->seed = fc->seed;
	pc->acl_on = fc->n_acl > 0;
	pc->acl_default = fc->acl_default;
	if (!fc->rl_on)
		return;
	ticks = (fc->rl_interval >= 0 ? (double)(1u << fc->rl_interval)
				      : 1.0 / (double)(1u << -fc->rl_interval)) /
		tick_s;
	pc->rl_on = 1;
	pc->interval = ticks < 1.0 ? 1 : (__u32)(ticks + 0.5);
	/* the limiter compares signed 32-bit tick differences: keep the window below 2^31 */
	pc->window = (double)pc->interval * fc->rl_burst < 2147483648.0
			     ? pc->interval * fc->rl_burst
			     : 0x7fffffffu;
	pc->leak = fc->rl_leak;
	pc->kod = fc->rl_kod;
	pc->kod_poll = fc->rl_interval;
}
#endif
