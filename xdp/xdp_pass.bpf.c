// SPDX-License-Identifier: BSD-3-Clause
/*
 * XDP_PASS and nothing else. Test topologies attach it to the client's veth:
 * frames a peer sends back with XDP_TX reach a veth only while that veth has
 * an XDP program of its own (veth_xdp_xmit needs the peer's XDP rings).
 * Real NICs need no such thing.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int
xdp_pass(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
