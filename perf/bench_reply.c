/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Microbenchmarks of the fast path's per-packet work: strata_reply() on a
 * request, with the snapshot read inside it, and its parts. docs/performance.md
 * has the figures and how they were taken.
 *
 * A reply rewrites its request, so each iteration first restores the request
 * with a memcpy; the restore/ benchmarks time that memcpy alone, and
 * reply/x - restore/x is the cost of the reply. Between the copy and the reply
 * the frame escapes, so that the compiler knows its contents no better than
 * it knows a frame the NIC wrote. The snapshot and service stay in the L1
 * cache and no writer publishes meanwhile: the best case of a busy server.
 *
 * reply_nts/ipv4 is strata_reply_nts() (reply_nts.h) on bench_nts.c's NTS
 * request in a frame: the whole NTS answer of a DPDK or AF_XDP worker.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <strata/reply.h>
#include <strata/reply_nts.h>

#include "bench_shim.h"
#include "bench_nts.h"

/* operations per call into the C++ loop */
#define BATCH 64

/* frame lengths as constants, so that the restore is the inline copy of a fixed size */
#define LEN_IP4 (14 + 20 + 8 + 48)
#define LEN_IP6 (14 + 40 + 8 + 48)
#define LEN_VLAN (14 + 4 + 20 + 8 + 48)

static const __u8 mac_srv[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const __u8 mac_cli[6] = { 0x02, 0, 0, 0, 0, 0x02 };

static struct strata_service svc;
static struct snap snap;
static const struct strata_clock clk0 = {
	.rx_scale = SNAP_SCALE_MONO,
	.tx_scale = SNAP_SCALE_MONO,
	.rx = 5000000000ull,
	.tx = 5000000000ull + 1000,
};

/* the requests, and a frame aligned as at the start of a DPDK mbuf's data */
static __u8 req_ip4[128], req_ip6[128], req_vlan[128], arp[64], req_nts[1500];
static size_t len_arp, len_nts;
static __u8 frame[2048] __attribute__((aligned(64)));
static struct strata_policy_conf spread_conf;
static int spread;

/*
 * A v4 client request from 198.51.100.7 or 2001:db8:1::7 to the service
 * address: @nlen octets of NTP from @ntp, or a plain 48-octet request if NULL.
 */
static size_t
make_frame(__u8 *f, int ip6, int vlan, const __u8 *ntp, size_t nlen)
{
	struct strata_eth *eth = (struct strata_eth *)f;
	struct ntp_hdr *nh;
	struct strata_udp *udp;
	__u8 *l3 = f + sizeof(*eth);

	memcpy(eth->dst, mac_srv, 6);
	memcpy(eth->src, mac_cli, 6);
	eth->proto = ip6 ? ETH_P_IPV6_BE : ETH_P_IPV4_BE;
	if (vlan) {
		struct strata_vlan *tag = (struct strata_vlan *)l3;

		eth->proto = ETH_P_8021Q_BE;
		tag->tci = strata_htons(100);
		tag->proto = ETH_P_IPV4_BE;
		l3 += sizeof(*tag);
	}
	if (ip6) {
		struct strata_ip6 *ip = (struct strata_ip6 *)l3;

		memset(ip, 0, sizeof(*ip));
		ip->vtcfl = strata_htonl(6u << 28);
		ip->plen = strata_htons((__u16)(sizeof(*udp) + nlen));
		ip->nexthdr = IPPROTO_UDP_NUM;
		ip->hlim = 64;
		ip->saddr[0] = strata_htonl(0x20010db8);
		ip->saddr[1] = strata_htonl(0x00010000);
		ip->saddr[3] = strata_htonl(7);
		memcpy(ip->daddr, svc.addr6[0], sizeof(ip->daddr));
		udp = (struct strata_udp *)(ip + 1);
	} else {
		struct strata_ip4 *ip = (struct strata_ip4 *)l3;

		memset(ip, 0, sizeof(*ip));
		ip->vihl = 0x45;
		ip->tot_len = strata_htons((__u16)(sizeof(*ip) + sizeof(*udp) + nlen));
		ip->frag = IP4_DF_BE;
		ip->ttl = 64;
		ip->proto = IPPROTO_UDP_NUM;
		ip->saddr = strata_htonl(0xc6336407);
		ip->daddr = svc.addr4[0];
		ip->csum = (__u16)~strata_csum_fold(strata_csum_words(ip, sizeof(*ip) / 4));
		udp = (struct strata_udp *)(ip + 1);
	}
	/*
	 * strata does not verify the UDP checksum, as chrony does not, but a
	 * zero one is dropped in IPv6 (RFC 8200 section 8.1): any other will do
	 */
	udp->sport = strata_htons(50123);
	udp->dport = strata_htons(NTP_PORT);
	udp->len = strata_htons((__u16)(sizeof(*udp) + nlen));
	udp->csum = ip6 ? 0xffff : 0;
	nh = (struct ntp_hdr *)(udp + 1);
	if (ntp != NULL) {
		memcpy(nh, ntp, nlen);
		return (size_t)((__u8 *)nh + nlen - f);
	}
	memset(nh, 0, sizeof(*nh));
	nh->lvm = NTP_LVM(NTP_LEAP_NONE, 4, NTP_MODE_CLIENT);
	nh->poll = 6;
	nh->precision = -20;
	ntp_ts_put(&nh->xmt, 0xe9a1b2c3deadbeefull);
	return (size_t)((__u8 *)(nh + 1) - f);
}

static size_t
make_request(__u8 *f, int ip6, int vlan)
{
	return make_frame(f, ip6, vlan, NULL, sizeof(struct ntp_hdr));
}

static size_t
make_arp(__u8 *f)
{
	/* who-has 192.0.2.1 tell 198.51.100.7: Ethernet, IPv4, request */
	static const __u8 body[] = { 0, 1, 8, 0, 6, 4, 0, 1, 0x02, 0, 0, 0, 0, 0x02,
				     198, 51, 100, 7, 0, 0, 0, 0, 0, 0, 192, 0, 2, 1 };

	memset(f, 0xff, 6);
	memcpy(f + 6, mac_cli, 6);
	f[12] = 0x08;
	f[13] = 0x06;
	memcpy(f + 14, body, sizeof(body));
	return 14 + sizeof(body);
}

static void
setup(void)
{
	struct snap_slot slot;

	svc.addr4[0] = strata_htonl(0xc0000201); /* 192.0.2.1 */
	svc.addr6[0][0] = strata_htonl(0x20010db8);
	svc.addr6[0][3] = strata_htonl(1); /* 2001:db8::1 */
	svc.n_addr4 = 1;
	svc.n_addr6 = 1;
	svc.ttl = STRATA_DEFAULT_TTL;

	memset(&slot, 0, sizeof(slot));
	slot.map[SNAP_SCALE_MONO].local_base = clk0.rx;
	slot.map[SNAP_SCALE_MONO].ntp_base = 0xe9a1b2c312345678ull;
	slot.map[SNAP_SCALE_MONO].flags = SNAP_MAP_VALID;
	if (snap_map_set_rate(&slot.map[SNAP_SCALE_MONO], NSEC_PER_SEC, 1.5) != 0)
		abort();
	slot.srv.ref_time = slot.map[SNAP_SCALE_MONO].ntp_base - (16ull << 32);
	slot.srv.disp_base = slot.map[SNAP_SCALE_MONO].ntp_base;
	slot.srv.disp_rate = snap_disp_rate_from_ppm(15);
	slot.srv.root_disp = 0x20;
	slot.srv.refid = strata_htonl(0x47505300); /* "GPS" */
	slot.srv.stratum = 1;
	slot.srv.precision = -20;
	snap_init(&snap);
	snap_publish(&snap, &slot);

	if (make_request(req_ip4, 0, 0) != LEN_IP4 || make_request(req_ip6, 1, 0) != LEN_IP6 ||
	    make_request(req_vlan, 0, 1) != LEN_VLAN)
		abort();
	len_arp = make_arp(arp);
}

/*
 * The loop of the reply and restore benchmarks; @reply is a constant at each
 * call site, so the baseline runs exactly the same loop without the reply.
 */
static inline __attribute__((always_inline)) void
run(struct bench_state *st, const __u8 *req, size_t len, int reply, struct strata_policy *pol)
{
	struct strata_clock clk = clk0;
	struct strata_result res;
	enum strata_verdict v;
	int i;

	/* a benchmark of the drop path would be a lie: check that this is a reply */
	memcpy(frame, req, len);
	if (strata_reply_policy(frame, frame + len, &svc, mac_srv, &snap, &clk, pol, &res) != STRATA_REPLY) {
		fprintf(stderr, "bench: request not answered: %s\n", strata_reason_names[res.reason]);
		abort();
	}
	bench_escape(&svc);
	bench_escape(&snap);
	while (bench_keep_running(st, BATCH)) {
		for (i = 0; i < BATCH; i++) {
			memcpy(frame, req, len);
			bench_escape(frame);
			/* a later transmit reading each time, as from the clock */
			clk.tx++;
			if (reply) {
				v = strata_reply_policy(frame, frame + len, &svc, mac_srv, &snap, &clk, pol,
							&res);
				bench_use(v);
			}
			/* one interval a request: the client stays at its limit, answered */
			if (pol != NULL)
				pol->now++;
			/* a new hash key: the next request looks like another client's */
			if (pol != NULL && spread)
				spread_conf.seed += 0x9e3779b97f4a7c15ull;
			bench_use(clk.tx);
			bench_escape(frame);
		}
	}
	bench_set_items_processed(st, bench_iterations(st));
}

static void
restore_ip4(struct bench_state *st)
{
	run(st, req_ip4, LEN_IP4, 0, NULL);
}

static void
reply_ip4(struct bench_state *st)
{
	run(st, req_ip4, LEN_IP4, 1, NULL);
}

static void
restore_ip6(struct bench_state *st)
{
	run(st, req_ip6, LEN_IP6, 0, NULL);
}

static void
reply_ip6(struct bench_state *st)
{
	run(st, req_ip6, LEN_IP6, 1, NULL);
}

static void
restore_vlan(struct bench_state *st)
{
	run(st, req_vlan, LEN_VLAN, 0, NULL);
}

static void
reply_vlan(struct bench_state *st)
{
	run(st, req_vlan, LEN_VLAN, 1, NULL);
}

/*
 * The reply with the policy on: an access list default (no lookup backend
 * here) and the rate limiter's table. "ratelimit": one client that stays at
 * its limit, its set in the cache, the best case; "ratelimit_spread": every
 * request from another client (a new hash key each time), a random set of
 * the 1 MiB table each time, as under many clients or a spoofed flood.
 */
static void
reply_ip4_rl(struct bench_state *st, int many)
{
	struct strata_policy pol = {.conf = &spread_conf};

	spread_conf = (struct strata_policy_conf){
		.rl_on = 1, .interval = 1, .window = 8, .leak = 2, .acl_on = 1,
		.acl_default = STRATA_ACL_ALLOW, .seed = 0x5eed};
	pol.rl = calloc(1, sizeof(*pol.rl));
	if (pol.rl == NULL)
		abort();
	spread = many;
	run(st, req_ip4, LEN_IP4, 1, &pol);
	spread = 0;
	free(pol.rl);
}

static void
reply_ip4_ratelimit(struct bench_state *st)
{
	reply_ip4_rl(st, 0);
}

static void
reply_ip4_ratelimit_spread(struct bench_state *st)
{
	reply_ip4_rl(st, 1);
}

/*
 * strata_reply_nts() on the NTS request: the frame's checks, the NTS check,
 * the header and the seal; nts_restore/aead15 and restore/ipv4 time copies
 * of the payload and of a plain frame.
 */
static void
reply_nts_ip4(struct bench_state *st)
{
	struct nts_server *nts = bench_nts_server();
	struct strata_clock clk = clk0;
	struct strata_result res;
	__u32 reason, cookies;
	int i;

	memcpy(frame, req_nts, len_nts);
	if (strata_reply_nts(frame, frame + len_nts, &svc, mac_srv, &snap, &clk, NULL, nts, &res,
			     &reason, &cookies) != STRATA_REPLY ||
	    reason != STRATA_NTS_REPLY || cookies != 1) {
		fprintf(stderr, "bench: NTS request not answered: %s\n",
			strata_reason_names[res.reason]);
		abort();
	}
	bench_escape(&svc);
	bench_escape(&snap);
	while (bench_keep_running(st, BATCH)) {
		for (i = 0; i < BATCH; i++) {
			memcpy(frame, req_nts, len_nts);
			bench_escape(frame);
			clk.tx++;
			bench_use(strata_reply_nts(frame, frame + len_nts, &svc, mac_srv, &snap,
						   &clk, NULL, nts, &res, &reason, &cookies));
			bench_escape(frame);
		}
	}
	bench_set_items_processed(st, bench_iterations(st));
}

/* The snapshot read of one reply alone: two map applications, dispersion growth. */
static void
snap_read(struct bench_state *st)
{
	struct snap_reply_view view;
	__u64 tx = clk0.tx;
	int i;

	bench_escape(&snap);
	while (bench_keep_running(st, BATCH)) {
		for (i = 0; i < BATCH; i++) {
			bench_use((__u64)snap_read_reply(&snap, SNAP_SCALE_MONO, clk0.rx,
							 SNAP_SCALE_MONO, ++tx, &view));
			bench_escape(&view);
		}
	}
	bench_set_items_processed(st, bench_iterations(st));
}

/* One local reading to NTP time, the map already copied out of the snapshot. */
static void
map_apply(struct bench_state *st)
{
	struct snap_map m = snap.slot[0].map[SNAP_SCALE_MONO];
	__u64 t = clk0.rx;
	int i;

	bench_escape(&m);
	while (bench_keep_running(st, BATCH)) {
		for (i = 0; i < BATCH; i++) {
			t += 997;
			bench_use(snap_map_apply(&m, t));
		}
	}
	bench_set_items_processed(st, bench_iterations(st));
}

/* Not NTP: what every other frame on the link costs before it goes to the kernel. */
static void
pass_arp(struct bench_state *st)
{
	struct strata_clock clk = clk0;
	struct strata_result res;
	int i;

	memcpy(frame, arp, len_arp);
	if (strata_reply(frame, frame + len_arp, &svc, mac_srv, &snap, &clk, &res) != STRATA_PASS)
		abort();
	bench_escape(&svc);
	bench_escape(&snap);
	while (bench_keep_running(st, BATCH)) {
		for (i = 0; i < BATCH; i++) {
			/* PASS leaves the frame as it was: nothing to restore */
			bench_escape(frame);
			bench_use(strata_reply(frame, frame + len_arp, &svc, mac_srv, &snap, &clk, &res));
		}
	}
	bench_set_items_processed(st, bench_iterations(st));
}

void
bench_register_all(void)
{
	const uint8_t *ntp;
	uint32_t nlen;

	setup();
	bench_register("restore/ipv4", restore_ip4);
	bench_register("reply/ipv4", reply_ip4);
	bench_register("reply/ipv4_ratelimit", reply_ip4_ratelimit);
	bench_register("reply/ipv4_ratelimit_spread", reply_ip4_ratelimit_spread);
	bench_register("restore/ipv6", restore_ip6);
	bench_register("reply/ipv6", reply_ip6);
	bench_register("restore/vlan_ipv4", restore_vlan);
	bench_register("reply/vlan_ipv4", reply_vlan);
	bench_register("snap_read_reply", snap_read);
	bench_register("snap_map_apply", map_apply);
	bench_register("pass/arp", pass_arp);
	bench_nts_register();
	ntp = bench_nts_request(&nlen);
	len_nts = make_frame(req_nts, 0, 0, ntp, nlen);
	bench_register("reply_nts/ipv4", reply_nts_ip4);
}
