// SPDX-License-Identifier: BSD-3-Clause
/*
 * The ceiling of the XDP path for perf/bench: UDP to port 123 goes straight
 * back with Ethernet, IP and UDP source and destination swapped, and no NTP
 * reply is built. Swapping 16-bit words inside the checksummed data leaves
 * the one's complement sums unchanged (RFC 1071 section 2, commutativity), so
 * no checksum is touched. Everything else, ARP and ND included, goes to the
 * kernel.
 *
 * Built a second time with REFLECTOR_STAMP (reflector_stamp.bpf.o): the
 * floor under any NTP server on XDP, perf/xdp-cost's floor target. On top of
 * the swap it does what no server can leave out (RFC 5905 section 8): one
 * clock read, the request's transmit timestamp read and written back as the
 * origin, the clock written as receive and transmit timestamp (raw
 * nanoseconds, not converted), mode 4, and UDP checksum 0 (RFC 768: none;
 * IPv4 only, IPv6 goes to the kernel). It answers wrongly on purpose.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define NTP_PORT 123
#define NTP_LEN 48
/* the clock read; an experiment may define it away to time the read itself */
#ifndef REFLECTOR_CLOCK
#define REFLECTOR_CLOCK() bpf_ktime_get_ns()
#endif

static __always_inline void
swap_bytes(void *a, void *b, __u32 n)
{
	__u8 *x = a, *y = b, t;
	__u32 i;

	for (i = 0; i < n; i++) {
		t = x[i];
		x[i] = y[i];
		y[i] = t;
	}
}

SEC("xdp")
int
reflector(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct udphdr *udp;
	__u16 port;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		/* no options, no fragments: anything else is not a plain request */
		if ((void *)(ip + 1) > data_end || ip->ihl != 5 || ip->protocol != IPPROTO_UDP ||
		    (ip->frag_off & bpf_htons(0x3fff)) != 0)
			return XDP_PASS;
		udp = (void *)(ip + 1);
		if ((void *)(udp + 1) > data_end || udp->dest != bpf_htons(NTP_PORT))
			return XDP_PASS;
#ifdef REFLECTOR_STAMP
		{
			__u8 *ntp = (void *)(udp + 1);
			__u64 now, org;

			if ((void *)(ntp + NTP_LEN) > data_end)
				return XDP_PASS;
			now = REFLECTOR_CLOCK();
			__builtin_memcpy(&org, ntp + 40, 8);
			__builtin_memcpy(ntp + 24, &org, 8);
			__builtin_memcpy(ntp + 32, &now, 8);
			__builtin_memcpy(ntp + 40, &now, 8);
			ntp[0] = (ntp[0] & 0x38) | 4;
			udp->check = 0;
		}
#endif
		swap_bytes(&ip->saddr, &ip->daddr, 4);
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

#ifdef REFLECTOR_STAMP
		return XDP_PASS;
#endif
		if ((void *)(ip6 + 1) > data_end || ip6->nexthdr != IPPROTO_UDP)
			return XDP_PASS;
		udp = (void *)(ip6 + 1);
		if ((void *)(udp + 1) > data_end || udp->dest != bpf_htons(NTP_PORT))
			return XDP_PASS;
		swap_bytes(&ip6->saddr, &ip6->daddr, 16);
	} else {
		return XDP_PASS;
	}
	port = udp->source;
	udp->source = udp->dest;
	udp->dest = port;
	swap_bytes(eth->h_source, eth->h_dest, ETH_ALEN);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
