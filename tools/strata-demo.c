/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * strata-demo: one NTP exchange through the reply builder, without a NIC.
 *
 * It publishes a time snapshot from this host's clocks (CLOCK_MONOTONIC
 * mapped to CLOCK_REALTIME, as "local stratum N" would serve), builds an
 * Ethernet frame holding an NTP client request the way a modern client does
 * (random transmit timestamp, RFC 9109 / data minimization), runs it through
 * strata_reply() exactly as the XDP and DPDK paths do, then decodes the reply
 * as a client would: checksums, mode, origin check, offset and delay
 * (RFC 5905 section 8).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <strata/reply.h>

struct demo_opts {
	int ipv6;
	int vlan; /* 802.1Q VLAN ID, or -1 */
	int version;
	int stratum;
	int count;
};

static void
usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [-6] [--vlan ID] [--version 1-4] [--stratum 1-15] [--count N]\n"
		"\n"
		"Push NTP client requests through strata's reply builder (the code the\n"
		"XDP and DPDK fast paths run) and decode the replies as a client would.\n"
		"Time comes from this host's clock, served as 'local stratum N'.\n"
		"\n"
		"  -6, --ipv6         request over IPv6 (default IPv4)\n"
		"      --vlan ID      put the request behind an 802.1Q tag (0-4094)\n"
		"      --version N    NTP version of the request (default 4)\n"
		"      --stratum N    stratum the server claims (default 10)\n"
		"  -n, --count N      number of exchanges (default 1, at most 1000)\n"
		"  -h, --help         this text\n",
		prog);
}

static int
parse_int(const char *s, int lo, int hi, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

static int
parse_opts(int argc, char **argv, struct demo_opts *o)
{
	static const struct option longopts[] = {
		{"ipv6", no_argument, NULL, '6'},    {"vlan", required_argument, NULL, 'v'},
		{"version", required_argument, NULL, 'V'}, {"stratum", required_argument, NULL, 's'},
		{"count", required_argument, NULL, 'n'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	*o = (struct demo_opts){.vlan = -1, .version = 4, .stratum = 10, .count = 1};
	while ((c = getopt_long(argc, argv, "6n:h", longopts, NULL)) != -1) {
		switch (c) {
		case '6':
			o->ipv6 = 1;
			break;
		case 'v':
			if (parse_int(optarg, 0, 4094, &o->vlan) != 0) {
				fprintf(stderr, "%s: --vlan takes a VLAN ID from 0 to 4094, not '%s'\n",
					argv[0], optarg);
				return -1;
			}
			break;
		case 'V':
			if (parse_int(optarg, 1, 4, &o->version) != 0) {
				fprintf(stderr, "%s: --version takes 1 to 4, not '%s'\n", argv[0],
					optarg);
				return -1;
			}
			break;
		case 's':
			if (parse_int(optarg, 1, 15, &o->stratum) != 0) {
				fprintf(stderr, "%s: --stratum takes 1 to 15, not '%s'\n", argv[0],
					optarg);
				return -1;
			}
			break;
		case 'n':
			if (parse_int(optarg, 1, 1000, &o->count) != 0) {
				fprintf(stderr, "%s: --count takes 1 to 1000, not '%s'\n", argv[0],
					optarg);
				return -1;
			}
			break;
		case 'h':
			usage(stdout, argv[0]);
			exit(0);
		default:
			usage(stderr, argv[0]);
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", argv[0], argv[optind]);
		return -1;
	}
	return 0;
}

static __u64
clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (__u64)ts.tv_sec * NSEC_PER_SEC + (__u64)ts.tv_nsec;
}

static __u64
realtime_ntp(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ntp_from_unix(ts.tv_sec, (__u32)ts.tv_nsec, NULL);
}

/*
 * Map CLOCK_MONOTONIC to NTP time: read the real-time clock between two
 * monotonic readings and anchor at their midpoint (the same pairing chrony
 * uses to compare clocks), 1 ns per tick.
 */
static int
publish(struct snap *s, int stratum)
{
	struct snap_slot sl = {0};
	struct timespec rt;
	__u64 m0, m1;

	m0 = clock_ns(CLOCK_MONOTONIC);
	clock_gettime(CLOCK_REALTIME, &rt);
	m1 = clock_ns(CLOCK_MONOTONIC);
	if (snap_map_set_rate(&sl.map[SNAP_SCALE_MONO], NSEC_PER_SEC, 0.0) != 0)
		return -1;
	sl.map[SNAP_SCALE_MONO].local_base = m0 + (m1 - m0) / 2;
	sl.map[SNAP_SCALE_MONO].ntp_base = ntp_from_unix(rt.tv_sec, (__u32)rt.tv_nsec, NULL);
	sl.map[SNAP_SCALE_MONO].flags = SNAP_MAP_VALID;
	sl.srv.leap = NTP_LEAP_NONE;
	sl.srv.stratum = (__u8)stratum;
	sl.srv.precision = -20; /* about a microsecond */
	memcpy(&sl.srv.refid, "LOCL", 4);
	sl.srv.ref_time = sl.map[SNAP_SCALE_MONO].ntp_base;
	sl.srv.root_delay = 0;
	sl.srv.root_disp = ntp_short_from_ns(1000);
	sl.srv.disp_base = sl.srv.ref_time;
	sl.srv.disp_rate = snap_disp_rate_from_ppm(15.0); /* RFC 5905 PHI */
	snap_init(s);
	snap_publish(s, &sl);
	return 0;
}

/* The server's own MAC: the reply builder answers only frames addressed to it. */
static const __u8 demo_mac[6] = {0x02, 0, 0, 0, 0, 0x01};

/* A client request frame from 198.51.100.7 to 192.0.2.1 (or 2001:db8::7 to ::1). */
static size_t
build_request(__u8 *f, const struct demo_opts *o, __u64 xmt)
{
	static const __u8 macs[12] = {0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02};
	struct strata_udp *udp;
	struct ntp_hdr *ntp;
	size_t off = 12;
	__u64 sum;

	memset(f, 0, 128);
	memcpy(f, macs, sizeof(macs));
	if (o->vlan >= 0) {
		f[off++] = 0x81;
		f[off++] = 0x00;
		f[off++] = (__u8)(o->vlan >> 8);
		f[off++] = (__u8)o->vlan;
	}
	f[off++] = o->ipv6 ? 0x86 : 0x08;
	f[off++] = o->ipv6 ? 0xdd : 0x00;
	if (o->ipv6) {
		struct strata_ip6 *ip6 = (struct strata_ip6 *)(f + off);

		ip6->vtcfl = strata_htonl(6u << 28);
		ip6->plen = strata_htons(8 + NTP_HEADER_LEN);
		ip6->nexthdr = IPPROTO_UDP_NUM;
		ip6->hlim = 64;
		ip6->saddr[0] = ip6->daddr[0] = strata_htonl(0x20010db8);
		ip6->saddr[3] = strata_htonl(7);
		ip6->daddr[3] = strata_htonl(1);
		udp = (struct strata_udp *)(ip6 + 1);
		sum = strata_csum_words(ip6->saddr, 8);
	} else {
		struct strata_ip4 *ip = (struct strata_ip4 *)(f + off);

		ip->vihl = 0x45;
		ip->tot_len = strata_htons(20 + 8 + NTP_HEADER_LEN);
		ip->ttl = 64;
		ip->proto = IPPROTO_UDP_NUM;
		ip->saddr = strata_htonl(0xc6336407);
		ip->daddr = strata_htonl(0xc0000201);
		ip->csum = (__u16)~strata_csum_fold(strata_csum_words(ip, 5));
		udp = (struct strata_udp *)(ip + 1);
		sum = (__u64)ip->saddr + ip->daddr;
	}
	udp->sport = strata_htons(40123);
	udp->dport = strata_htons(NTP_PORT);
	udp->len = strata_htons(8 + NTP_HEADER_LEN);
	ntp = (struct ntp_hdr *)(udp + 1);
	/* NTPv1 had no mode field: a v1 client sends 0 (RFC 1059) */
	ntp->lvm = NTP_LVM(0, o->version, o->version == 1 ? 0 : NTP_MODE_CLIENT);
	ntp->poll = 6;
	ntp_ts_put(&ntp->xmt, xmt);
	sum += (__u64)udp->len + STRATA_CONST_HTONS(IPPROTO_UDP_NUM) + strata_csum_words(udp, 14);
	udp->csum = (__u16)~strata_csum_fold(sum);
	return (size_t)((__u8 *)(ntp + 1) - f);
}

static void
print_ts(const char *label, __u64 t)
{
	struct tm tm;
	__u32 ns;
	time_t sec = (time_t)ntp_to_unix(t, (__s64)time(NULL), &ns);

	gmtime_r(&sec, &tm);
	printf("  %-11s %08x.%08x  %04d-%02d-%02dT%02d:%02d:%02d.%09uZ\n", label,
	       (__u32)(t >> 32), (__u32)t, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	       tm.tm_hour, tm.tm_min, tm.tm_sec, ns);
}

/* Check the reply as a client would; print it. @return 0 if it is acceptable. */
static int
decode_reply(const __u8 *f, size_t len, __u64 xmt, __u64 t1, __u64 t4, int ipv6, size_t l2)
{
	const struct strata_udp *udp;
	const struct ntp_hdr *h;
	__u64 sum, t2, t3;
	char refid[5];
	double offset, delay;

	if (ipv6) {
		const struct strata_ip6 *ip6 = (const struct strata_ip6 *)(f + l2);

		udp = (const struct strata_udp *)(ip6 + 1);
		sum = strata_csum_words(ip6->saddr, 8);
		printf("reply: IPv6, hop limit %u, %zu octets\n", ip6->hlim, len);
	} else {
		const struct strata_ip4 *ip = (const struct strata_ip4 *)(f + l2);

		if (strata_csum_fold(strata_csum_words(ip, 5)) != 0xffff) {
			printf("reply: bad IPv4 header checksum\n");
			return -1;
		}
		udp = (const struct strata_udp *)(ip + 1);
		sum = (__u64)ip->saddr + ip->daddr;
		printf("reply: IPv4, TTL %u, %zu octets\n", ip->ttl, len);
	}
	sum += (__u64)udp->len + STRATA_CONST_HTONS(IPPROTO_UDP_NUM) + strata_csum_words(udp, 14);
	if (strata_csum_fold(sum) != 0xffff) {
		printf("reply: bad UDP checksum\n");
		return -1;
	}
	h = (const struct ntp_hdr *)(udp + 1);
	memcpy(refid, &h->refid, 4);
	refid[4] = '\0';
	t2 = ntp_ts_get(&h->rec);
	t3 = ntp_ts_get(&h->xmt);
	printf("  leap %u, version %u, mode %u, stratum %u, poll %d, precision %d\n",
	       NTP_LVM_LEAP(h->lvm), NTP_LVM_VERSION(h->lvm), NTP_LVM_MODE(h->lvm), h->stratum,
	       h->poll, h->precision);
	printf("  refid %s, root delay %.6f s, root dispersion %.6f s\n", refid,
	       ntp_short_to_ns(strata_ntohl(h->root_delay)) / 1e9,
	       ntp_short_to_ns(strata_ntohl(h->root_disp)) / 1e9);
	print_ts("reference", ntp_ts_get(&h->ref));
	printf("  %-11s %016llx  (our random transmit timestamp)\n", "origin",
	       (unsigned long long)ntp_ts_get(&h->org));
	print_ts("receive", t2);
	print_ts("transmit", t3);

	/* RFC 5905 section 8: the client's bogus checks, then offset and delay */
	if (NTP_LVM_MODE(h->lvm) != NTP_MODE_SERVER || ntp_ts_get(&h->org) != xmt) {
		printf("  rejected: not a server reply to our request\n");
		return -1;
	}
	offset = (ntp_ts_diff(t2, t1) + ntp_ts_diff(t3, t4)) / 2 / 4294967296.0;
	delay = (ntp_ts_diff(t4, t1) - ntp_ts_diff(t3, t2)) / 4294967296.0;
	printf("  offset %+.9f s, delay %.9f s (against this host's clock)\n", offset, delay);
	return 0;
}

int
main(int argc, char **argv)
{
	static struct snap snap;
	struct strata_service svc = {0};
	struct demo_opts o;
	int i, bad = 0;

	if (parse_opts(argc, argv, &o) != 0)
		return 2;
	svc.addr4[0] = strata_htonl(0xc0000201); /* 192.0.2.1 */
	svc.n_addr4 = 1;
	svc.addr6[0][0] = strata_htonl(0x20010db8); /* 2001:db8::1 */
	svc.addr6[0][3] = strata_htonl(1);
	svc.n_addr6 = 1;
	svc.ttl = STRATA_DEFAULT_TTL;
	if (publish(&snap, o.stratum) != 0) {
		fprintf(stderr, "%s: cannot build the time snapshot\n", argv[0]);
		return 1;
	}

	for (i = 0; i < o.count; i++) {
		struct strata_result res;
		struct strata_clock clk;
		__u8 frame[128];
		__u64 t1, t4, xmt;
		size_t len;

		/*
		 * Data minimization (RFC 9109 practice, as chrony does): the
		 * transmit timestamp on the wire is random; the client keeps its
		 * real send time T1 to itself and only checks that the random
		 * value comes back as the origin.
		 */
		if (getrandom(&xmt, sizeof(xmt), 0) != sizeof(xmt)) {
			fprintf(stderr, "%s: getrandom: %s\n", argv[0], strerror(errno));
			return 1;
		}
		t1 = realtime_ntp();
		len = build_request(frame, &o, xmt);
		printf("request %d: NTPv%d %s%s, %zu octets\n", i + 1, o.version,
		       o.ipv6 ? "IPv6 2001:db8::7 -> 2001:db8::1" : "IPv4 198.51.100.7 -> 192.0.2.1",
		       o.vlan >= 0 ? " on a VLAN" : "", len);

		clk.rx_scale = clk.tx_scale = SNAP_SCALE_MONO;
		clk.rx = clk.tx = clock_ns(CLOCK_MONOTONIC);
		if (strata_reply(frame, frame + len, &svc, demo_mac, &snap, &clk, &res) != STRATA_REPLY) {
			printf("reply builder: no reply (%s)\n", strata_reason_names[res.reason]);
			bad++;
			continue;
		}
		t4 = realtime_ntp();
		if (decode_reply(frame, res.len, xmt, t1, t4, o.ipv6, o.vlan >= 0 ? 18 : 14) != 0)
			bad++;
	}
	return bad == 0 ? 0 : 1;
}
