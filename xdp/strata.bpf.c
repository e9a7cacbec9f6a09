// SPDX-License-Identifier: BSD-3-Clause
/*
 * The XDP fast path: every frame goes through the shared reply builder;
 * replies leave with XDP_TX, frames that are not ours with XDP_PASS.
 *
 * Maps (all written by stratad only):
 *   strata_snap  the time snapshot (mmapable, see include/strata/snapshot.h)
 *   strata_svc   service addresses and reply TTL
 *   strata_ctr   per-CPU outcome counters, plain increments (no atomics)
 *
 * Built twice: plain, and with STRATA_RX_META, which asks the driver for the
 * NIC's receive timestamp through the XDP RX-metadata kfunc (Linux 6.3+).
 * That variant must be loaded bound to its device; stratad tries it first
 * and falls back to the plain one where the driver or kernel lacks it.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include <strata/reply.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct snap);
} strata_snap SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct strata_service);
} strata_svc SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct strata_counters);
} strata_ctr SEC(".maps");

#ifdef STRATA_RX_META
extern int bpf_xdp_metadata_rx_timestamp(const struct xdp_md *ctx, __u64 *timestamp) __ksym;
#endif

SEC("xdp")
int
strata_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	const struct strata_service *svc;
	struct strata_counters *ctr;
	struct strata_result res;
	struct strata_clock clk;
	const struct snap *snap;
	enum strata_verdict v;
	__u32 key = 0;
	int delta;

	/* the software receive stamp: as early as the program can take it */
	clk.rx = bpf_ktime_get_ns();
	clk.tx = clk.rx;
	clk.rx_scale = SNAP_SCALE_MONO;
	clk.tx_scale = SNAP_SCALE_MONO;

	snap = bpf_map_lookup_elem(&strata_snap, &key);
	svc = bpf_map_lookup_elem(&strata_svc, &key);
	ctr = bpf_map_lookup_elem(&strata_ctr, &key);
	if (snap == NULL || svc == NULL || ctr == NULL)
		return XDP_PASS;
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

	v = strata_reply(data, data_end, svc, snap, &clk, &res);
	if (res.reason < STRATA_R_MAX)
		ctr->c[res.reason]++;
	if (v == STRATA_PASS)
		return XDP_PASS;
	if (v == STRATA_DROP)
		return XDP_DROP;

	/* the reply is never longer than the request: shrink, never grow */
	delta = (int)res.len - (int)(data_end - data);
	if (delta < 0 && bpf_xdp_adjust_tail(ctx, delta) != 0)
		return XDP_DROP;
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
