// SPDX-License-Identifier: BSD-3-Clause
/*
 * The XDP fast path: every frame goes through the shared reply builder;
 * replies leave with XDP_TX, frames that are not ours with XDP_PASS.
 *
 * Maps (all written by stratad only):
 *   strata_snap  the time snapshot (mmapable, see include/strata/snapshot.h)
 *   strata_act   the active configuration set, 0 or 1 (the generation's parity)
 *   strata_svc   service addresses and reply TTL, one entry per set
 *   strata_ctr   per-CPU outcome counters, plain increments (no atomics)
 *   strata_pol   the access list default and the rate limit settings, per set
 *   strata_acl4, strata_acl6  the access list: LPM tries of enum strata_acl_action
 *                whose keys start with the set
 *   strata_rl    the rate limiter, one table per CPU (an ARRAY indexed by
 *                CPU rather than a PERCPU_ARRAY, whose values stop at 32 KiB)
 *   strata_if    the interface's own MAC: the one map each interface's
 *                program has to itself (the loader shares all the others)
 *   strata_xsks  the AF_XDP sockets of strata-nts, by receive queue (an
 *                XSKMAP, one per interface like strata_if: strata-nts
 *                inserts and removes its sockets)
 *
 * Built twice: plain, and with STRATA_RX_META, which asks the driver for the
 * NIC's receive timestamp through the XDP RX-metadata kfunc (Linux 6.3+).
 * That variant must be loaded bound to its device; stratad tries it first
 * and falls back to the plain one where the driver or kernel lacks it.
 *
 * Ablation builds (perf/xdp-cost, docs/performance.md) are the RX-metadata
 * variant with one of STRATA_ABLATE_TIME, _SNAP, _WRITE, _CSUM, _IPCSUM or
 * _COUNTER defined to take that part out (and strata_no_rxmeta, the plain
 * build): they answer wrongly on purpose and are never installed.
 *
 * NTS requests (RFC 8915) are not answered here: the keys and the AEAD are
 * user space's. Once the policy allowed one, it goes with its receive stamp
 * to strata-nts's AF_XDP socket on its queue, or to the kernel when there
 * is none (docs/nts.md).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include <strata/policy.h>
#include <strata/xsk_meta.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct snap);
} strata_snap SEC(".maps");

/*
 * The configuration comes in two sets, and a packet reads strata_act once
 * and takes everything from that set: stratad writes the other one, flips
 * strata_act, and waits for the programs in flight before it touches the old
 * set again. A packet sees one generation whole, never a mix (docs/xdp.md).
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} strata_act SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct strata_service);
} strata_svc SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct strata_counters);
} strata_ctr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct strata_policy_conf);
} strata_pol SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 2 * STRATA_ACL_MAX);
	__type(key, struct strata_acl4_key);
	__type(value, __u32);
} strata_acl4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 2 * STRATA_ACL_MAX);
	__type(key, struct strata_acl6_key);
	__type(value, __u32);
} strata_acl6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct strata_iface);
} strata_if SEC(".maps");

/* one entry per receive queue; a queue without a socket passes to the kernel */
struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, STRATA_XSKS_MAX);
	__type(key, __u32);
	__type(value, __u32);
} strata_xsks SEC(".maps");

/* max_entries becomes the number of CPUs: a reload may turn the limiter on */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct strata_rl_table);
} strata_rl SEC(".maps");

/*
 * The policy step as a global function: the verifier checks it once, alone,
 * instead of again on every path of the reply builder that reaches it (which
 * tripled the instructions it processed). Global functions take scalars and
 * pointers to sized memory only, so the request's source comes as a copy.
 * Without allow/deny/ratelimit lines it is not called at all: the call, the
 * copy and the limiter's lookup cost some 19 ns a reply (docs/performance.md).
 */
struct xdp_policy_args {
	__be32 saddr[4]; /* IPv4: saddr[0] */
	__u32 v6;
	__u32 now;
	__u32 reason;
	__u32 set; /* the configuration set the packet took at its start */
};

/*
 * The access list lookups the reply builder calls (include/strata/reply.h),
 * in the packet's set: pol->acl is xdp_policy()'s arguments.
 */
static __always_inline __u32
acl4(const struct strata_policy *pol, __be32 a)
{
	const struct xdp_policy_args *args = pol->acl;
	struct strata_acl4_key k = {.prefixlen = 8 + 32, .set = (__u8)args->set};
	const __u32 *v;

	__builtin_memcpy(k.addr, &a, sizeof(a));
	v = bpf_map_lookup_elem(&strata_acl4, &k);
	return v != NULL ? *v : pol->conf->acl_default;
}

static __always_inline __u32
acl6(const struct strata_policy *pol, const __be32 *a)
{
	const struct xdp_policy_args *args = pol->acl;
	struct strata_acl6_key k = {.prefixlen = 8 + 128, .set = (__u8)args->set};
	const __u32 *v;

	__builtin_memcpy(k.addr, a, sizeof(k.addr));
	v = bpf_map_lookup_elem(&strata_acl6, &k);
	return v != NULL ? *v : pol->conf->acl_default;
}

#define STRATA_ACL4(pol, a) acl4(pol, a)
#define STRATA_ACL6(pol, a) acl6(pol, a)

__u32 xdp_policy(const struct strata_policy_conf *pc, const struct xdp_policy_args *a);

static __always_inline __u32
policy4(const struct strata_policy *pol, __be32 saddr, __u32 reason)
{
	struct xdp_policy_args a = {.saddr = {saddr}, .now = pol->now, .reason = reason,
				    .set = pol->pad};

	if (!pol->conf->acl_on && !pol->conf->rl_on)
		return reason;
	return xdp_policy(pol->conf, &a);
}

static __always_inline __u32
policy6(const struct strata_policy *pol, const __be32 *saddr, __u32 reason)
{
	struct xdp_policy_args a = {.v6 = 1, .now = pol->now, .reason = reason, .set = pol->pad};

	if (!pol->conf->acl_on && !pol->conf->rl_on)
		return reason;
	__builtin_memcpy(a.saddr, saddr, sizeof(a.saddr));
	return xdp_policy(pol->conf, &a);
}

#define STRATA_POLICY4(pol, saddr, reason) policy4(pol, saddr, reason)
#define STRATA_POLICY6(pol, saddr, reason) policy6(pol, saddr, reason)
#include <strata/reply.h>

__attribute__((noinline)) __u32
xdp_policy(const struct strata_policy_conf *pc, const struct xdp_policy_args *a)
{
	struct strata_policy pol = {.conf = pc, .acl = a};
	__u32 cpu = bpf_get_smp_processor_id();

	if (pc == NULL || a == NULL)
		return STRATA_R_DROP_DENY; /* cannot happen: the caller holds both */
	/* this CPU's limiter table; the map has one entry without a ratelimit line */
	pol.rl = bpf_map_lookup_elem(&strata_rl, &cpu);
	pol.now = a->now;
	if (a->v6)
		return strata_policy6(&pol, a->saddr, a->reason);
	return strata_policy4(&pol, a->saddr[0], a->reason);
}

_Static_assert((STRATA_R_SLOTS & (STRATA_R_SLOTS - 1)) == 0, "counter slots: a power of two");

/*
 * An NTS request the policy let through, to strata-nts's AF_XDP socket on
 * the queue it came in on, with the receive stamp in front of it: the
 * worker answers on the same timescale a plain reply would use. Without a
 * socket there (strata-nts not running) it goes to the kernel as before.
 */
static __attribute__((noinline)) int
to_xsk(struct xdp_md *ctx, __u64 rx, __u32 rx_scale)
{
	struct strata_xsk_meta *m;

	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(*m)) != 0)
		return XDP_PASS;
	m = (void *)(long)ctx->data_meta;
	if ((void *)(m + 1) > (void *)(long)ctx->data)
		return XDP_PASS;
	m->rx = rx;
	m->rx_scale = rx_scale;
	m->magic = STRATA_XSK_META_MAGIC;
	return (int)bpf_redirect_map(&strata_xsks, ctx->rx_queue_index, XDP_PASS);
}

#ifdef STRATA_RX_META
extern int bpf_xdp_metadata_rx_timestamp(const struct xdp_md *ctx, __u64 *timestamp) __ksym;
#endif

SEC("xdp")
int
strata_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	const struct strata_policy_conf *pc;
	const struct strata_service *svc;
	const struct strata_iface *ifp;
	struct strata_counters *ctr;
	struct strata_result res;
	struct strata_policy pol;
	__u32 reason;
	struct strata_clock clk;
	const struct snap *snap;
	enum strata_verdict v;
	const __u32 *act;
	__u32 key = 0, set;
	int delta;

	/* the software receive stamp: as early as the program can take it */
#ifdef STRATA_ABLATE_TIME
	clk.rx = 0x100000000ull + ctx->rx_queue_index; /* ablation: no clock read */
#else
	clk.rx = bpf_ktime_get_ns();
#endif
	clk.tx = clk.rx;
	clk.rx_scale = SNAP_SCALE_MONO;
	clk.tx_scale = SNAP_SCALE_MONO;

	/* the set is read once: everything below comes from that one generation */
	act = bpf_map_lookup_elem(&strata_act, &key);
	if (act == NULL)
		return XDP_PASS;
	set = *(volatile const __u32 *)act & 1;
	snap = bpf_map_lookup_elem(&strata_snap, &key);
	svc = bpf_map_lookup_elem(&strata_svc, &set);
	ctr = bpf_map_lookup_elem(&strata_ctr, &key);
	pc = bpf_map_lookup_elem(&strata_pol, &set);
	ifp = bpf_map_lookup_elem(&strata_if, &key);
	if (snap == NULL || svc == NULL || ctr == NULL || pc == NULL || ifp == NULL)
		return XDP_PASS;
	pol.conf = pc;
	pol.rl = NULL; /* xdp_policy() looks it up */
	pol.now = (__u32)(clk.rx >> 20); /* limiter ticks of 2^20 ns */
	pol.pad = set; /* carried to xdp_policy() for the access list keys */
	pol.acl = NULL;
#ifdef STRATA_RX_META
	{
		__u64 hw = 0;

		/* a hardware stamp is in the NIC's PHC timescale: only with a PHC map */
		if (bpf_xdp_metadata_rx_timestamp(ctx, &hw) == 0 && hw != 0 &&
		    snap_has_map(snap, SNAP_SCALE_PHC0)) {
			clk.rx = hw;
			clk.rx_scale = SNAP_SCALE_PHC0;
		}
	}
#endif

	v = strata_reply_policy(data, data_end, svc, ifp->mac, snap, &clk, &pol, &res);
	/*
	 * The mask changes nothing (the reason is below STRATA_R_MAX) but
	 * shows the verifier the bound: clang tests one zero-extended copy of
	 * the reason and indexes with another. The empty asm keeps clang from
	 * dropping the mask it knows to be redundant.
	 */
	reason = res.reason;
#ifdef STRATA_ABLATE_COUNTER
	reason = STRATA_R_MAX; /* ablation: no counter */
#endif
	if (reason < STRATA_R_MAX) {
		asm volatile("" : "+r"(reason));
		ctr->c[reason & (STRATA_R_SLOTS - 1)]++;
	}
	if (v == STRATA_PASS)
		return res.reason == STRATA_R_PASS_NTS ? to_xsk(ctx, clk.rx, clk.rx_scale) : XDP_PASS;
	if (v == STRATA_DROP)
		return XDP_DROP;

	/* the reply is never longer than the request: shrink, never grow */
	delta = (int)res.len - (int)(data_end - data);
	if (delta < 0 && bpf_xdp_adjust_tail(ctx, delta) != 0)
		return XDP_DROP;
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
