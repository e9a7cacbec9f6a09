/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DPDK engine: whole Ethernet/IP/UDP/NTP frames built in mbufs and sent
 * on one queue of one port, for rates beyond what kernel sockets reach. Many
 * clients are simulated by varying the source address over a prefix and the
 * source port over a range. Time comes from the TSC: a calibration against
 * CLOCK_REALTIME at start gives its rate, so that pacing and receive stamps
 * need no system call per burst.
 *
 * The server answers in place to the frame's source MAC, so nothing here
 * answers ARP or neighbour solicitations; its own requests to resolve the
 * server's MAC are the only control frames it sends.
 */
#include "gen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_prefetch.h>

#include <strata/inet.h>

#include "ethdev.h"

#define NRXD 1024
#define NTXD 1024
#define NMBUF 8191 /* rings, a burst and the cache: a mempool is best at 2^n - 1 */
#define POOL_CACHE 256
#define MAX_HOST_BITS 16
#define CAL_NS 100000000LL     /* TSC calibration */
#define ANCHOR_NS 1000000000LL /* how often CLOCK_REALTIME is read again */
#define SPIN_NS 20000	       /* wait() returns this often to let rx be polled */
#define RESOLVE_TRIES 3
#define RESOLVE_NS 300000000LL
#define NS 1000000000LL

#define ETH_P_ARP_BE STRATA_CONST_HTONS(0x0806)
#define IPPROTO_ICMPV6_NUM 58
#define ND_NS 135 /* RFC 4861 section 4.3 */
#define ND_NA 136
#define FRAME_MIN 60 /* Ethernet minimum less the FCS */

struct dpdk_engine {
	uint16_t port;
	int started;
	struct rte_mempool *pool;
	int v6;
	struct rte_ether_addr mac, dst_mac;
	uint8_t saddr[16], daddr[16]; /* saddr: the first source */
	uint16_t dport;
	/* the next source: address saddr + ai, port base_port + pi */
	uint32_t naddr, ai;
	uint32_t shift; /* --src-count: source i is saddr + (i << shift); 0: hosts */
	int stepped;
	uint16_t base_port, nports, pi;
	uint32_t hlen;	  /* Ethernet, IP and UDP */
	uint8_t tmpl[64]; /* their template, sources and checksums unset */
	/* TSC time: realtime = rt_anchor + (tsc - tsc_anchor) * ns_per_tick */
	double ns_per_tick;
	uint64_t tsc0, tsc_anchor, tsc_next_anchor;
	int64_t rt_anchor;
	uint64_t other, bad_csum;
};

static int64_t
clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

/* A clock reading and the TSC at its middle. */
static int64_t
tsc_pair(clockid_t clk, uint64_t *tsc)
{
	uint64_t a = rte_rdtsc();
	int64_t ns = clock_ns(clk);

	*tsc = a + (rte_rdtsc() - a) / 2;
	return ns;
}

static int64_t
tsc_realtime(const struct dpdk_engine *e, uint64_t tsc)
{
	return e->rt_anchor + (int64_t)((double)(int64_t)(tsc - e->tsc_anchor) * e->ns_per_tick);
}

/* The Internet checksum's sum of any run, odd lengths included (RFC 1071). */
static uint64_t
csum_run(const uint8_t *p, uint32_t len)
{
	uint64_t sum = strata_csum_words(p, len / 4);
	uint8_t tail[4] = {0};
	uint32_t w;

	memcpy(tail, p + (len & ~3U), len & 3);
	memcpy(&w, tail, sizeof(w));
	return sum + w;
}

/* The sum of the UDP pseudo-header (RFC 768, RFC 8200 section 8.1). */
static uint64_t
csum_pseudo(const struct dpdk_engine *e, const uint8_t *saddr, const uint8_t *daddr, __be16 ulen)
{
	uint32_t alen = e->v6 ? 16 : 4;

	return strata_csum_words(saddr, alen / 4) + strata_csum_words(daddr, alen / 4) +
	       STRATA_CONST_HTONS(IPPROTO_UDP_NUM) + ulen;
}

/* The Ethernet, IP and UDP headers of every request, sources left blank. */
static void
build_template(struct dpdk_engine *e)
{
	struct strata_eth *eth = (struct strata_eth *)e->tmpl;
	struct strata_udp *udp;
	uint16_t ulen = sizeof(*udp) + sizeof(struct ntp_hdr);

	memset(e->tmpl, 0, sizeof(e->tmpl));
	memcpy(eth->dst, e->dst_mac.addr_bytes, 6);
	memcpy(eth->src, e->mac.addr_bytes, 6);
	if (e->v6) {
		struct strata_ip6 *ip = (struct strata_ip6 *)(eth + 1);

		eth->proto = ETH_P_IPV6_BE;
		ip->vtcfl = htonl(6U << 28);
		ip->plen = htons(ulen);
		ip->nexthdr = IPPROTO_UDP_NUM;
		ip->hlim = 64;
		memcpy(ip->daddr, e->daddr, 16);
		udp = (struct strata_udp *)(ip + 1);
	} else {
		struct strata_ip4 *ip = (struct strata_ip4 *)(eth + 1);

		eth->proto = ETH_P_IPV4_BE;
		ip->vihl = 0x45;
		ip->tot_len = htons(sizeof(*ip) + ulen);
		ip->frag = IP4_DF_BE;
		ip->ttl = 64;
		ip->proto = IPPROTO_UDP_NUM;
		memcpy(&ip->daddr, e->daddr, 4);
		udp = (struct strata_udp *)(ip + 1);
	}
	udp->dport = htons(e->dport);
	udp->len = htons(ulen);
	e->hlen = (uint32_t)((uint8_t *)(udp + 1) - e->tmpl);
}

/* @a (@n bytes, network order) plus @v << @shift, carried byte by byte. */
static void
addr_add(uint8_t *a, unsigned int n, uint64_t v, unsigned int shift)
{
	unsigned int carry = 0;
	int k = (int)n - 1 - (int)(shift / 8);

	v <<= shift % 8; /* v < 2^24 (--src-count): no bits lost */
	for (; k >= 0 && (v != 0 || carry != 0); k--, v >>= 8) {
		carry += a[k] + (unsigned int)(v & 0xff);
		a[k] = (uint8_t)carry;
		carry >>= 8;
	}
}

/* Source address number @i of the prefix into @a. */
static void
source_addr(const struct dpdk_engine *e, uint32_t i, uint8_t *a)
{
	uint32_t lo;

	memcpy(a, e->saddr, e->v6 ? 16 : 4);
	if (e->stepped) {
		addr_add(a, e->v6 ? 16 : 4, i, e->shift);
		return;
	}
	/* at most 2^16 hosts: adding to the last 32 bits carries no further */
	memcpy(&lo, a + (e->v6 ? 12 : 0), 4);
	lo = htonl(ntohl(lo) + i);
	memcpy(a + (e->v6 ? 12 : 0), &lo, 4);
}

/* One request into @m: the template, the lengths, the next source, the checksums. */
static void
build_request(struct dpdk_engine *e, struct rte_mbuf *m, const struct gen_req *req)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *), *saddr;
	struct strata_ip4 *ip4 = (struct strata_ip4 *)(p + sizeof(struct strata_eth));
	struct strata_ip6 *ip6 = (struct strata_ip6 *)ip4;
	struct strata_udp *udp = (struct strata_udp *)(p + e->hlen - sizeof(*udp));
	uint16_t c, ulen = (uint16_t)(sizeof(*udp) + req->len);
	uint64_t sum;

	memcpy(p, e->tmpl, e->hlen);
	memcpy(p + e->hlen, req->buf, req->len);
	/* the template's lengths are a plain request's: NTS requests are longer */
	udp->len = htons(ulen);
	if (e->v6)
		ip6->plen = htons(ulen);
	else
		ip4->tot_len = htons((uint16_t)(sizeof(*ip4) + ulen));
	saddr = e->v6 ? (uint8_t *)ip6->saddr : (uint8_t *)&ip4->saddr;
	source_addr(e, e->ai, saddr);
	udp->sport = htons((uint16_t)(e->base_port + e->pi));
	if (!e->v6)
		ip4->csum = (uint16_t)~strata_csum_fold(strata_csum_words(ip4, 5));
	sum = csum_pseudo(e, saddr, saddr + (e->v6 ? 16 : 4), udp->len) +
	      csum_run((const uint8_t *)udp, ulen);
	c = (uint16_t)~strata_csum_fold(sum);
	/* RFC 768: a computed zero is sent as all ones, zero meaning none */
	udp->csum = c == 0 ? 0xffff : c;
	m->data_len = (uint16_t)(e->hlen + req->len);
	m->pkt_len = m->data_len;
	if (++e->ai == e->naddr) {
		e->ai = 0;
		if (++e->pi == e->nports)
			e->pi = 0;
	}
}

static int
dpdk_send(void *p, const struct gen_req *req, unsigned int n)
{
	struct dpdk_engine *e = p;
	struct rte_mbuf *m[GEN_BURST];
	unsigned int i;
	uint16_t sent;

	if (n > GEN_BURST)
		n = GEN_BURST;
	if (rte_pktmbuf_alloc_bulk(e->pool, m, n) != 0)
		return 0;
	for (i = 0; i < n; i++)
		build_request(e, m[i], &req[i]);
	sent = rte_eth_tx_burst(e->port, 0, m, (uint16_t)n);
	/* the common code resends the requests, not these frames: their sources are skipped */
	if (sent < n)
		rte_pktmbuf_free_bulk(&m[sent], n - sent);
	return sent;
}

/*
 * A reply from the server to one of our ports into @rx; -1 for any other
 * frame. A reply with a bad UDP checksum is handed on empty, so that the
 * common code counts it invalid.
 */
static int
parse_reply(struct dpdk_engine *e, const struct rte_mbuf *m, struct gen_rx *rx)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *), *saddr;
	const struct strata_eth *eth = (const struct strata_eth *)p;
	const struct strata_udp *udp;
	uint32_t len = rte_pktmbuf_data_len(m), off = sizeof(*eth), iplen, ulen;
	uint16_t sport;

	if (len < off)
		return -1;
	if (e->v6) {
		const struct strata_ip6 *ip = (const struct strata_ip6 *)(p + off);

		if (eth->proto != ETH_P_IPV6_BE || len < off + sizeof(*ip) + sizeof(*udp) ||
		    ip->nexthdr != IPPROTO_UDP_NUM || memcmp(ip->saddr, e->daddr, 16) != 0)
			return -1;
		iplen = sizeof(*ip) + ntohs(ip->plen);
		saddr = (const uint8_t *)ip->saddr;
		off += sizeof(*ip);
	} else {
		const struct strata_ip4 *ip = (const struct strata_ip4 *)(p + off);
		uint32_t ihl;

		if (eth->proto != ETH_P_IPV4_BE || len < off + sizeof(*ip) + sizeof(*udp))
			return -1;
		ihl = (ip->vihl & 15U) * 4;
		if (ip->vihl >> 4 != 4 || ihl < sizeof(*ip) || len < off + ihl + sizeof(*udp) ||
		    ip->proto != IPPROTO_UDP_NUM || (ip->frag & (IP4_MF_BE | IP4_OFF_BE)) != 0 ||
		    memcmp(&ip->saddr, e->daddr, 4) != 0)
			return -1;
		iplen = ntohs(ip->tot_len);
		if (iplen < ihl)
			return -1;
		saddr = (const uint8_t *)&ip->saddr;
		off += ihl;
		iplen -= ihl;
	}
	udp = (const struct strata_udp *)(p + off);
	sport = ntohs(udp->dport);
	ulen = ntohs(udp->len);
	if (ntohs(udp->sport) != e->dport || sport < e->base_port ||
	    sport >= e->base_port + e->nports)
		return -1;
	if (ulen < sizeof(*udp) || ulen > iplen || off + ulen > len) {
		e->bad_csum++;
		rx->len = 0;
		return 0;
	}
	/* IPv4 may leave the checksum out (zero); IPv6 may not */
	if ((e->v6 || udp->csum != 0) &&
	    strata_csum_fold(csum_pseudo(e, saddr, saddr + (e->v6 ? 16 : 4), udp->len) +
			     csum_run((const uint8_t *)udp, ulen)) != 0xffff) {
		e->bad_csum++;
		rx->len = 0;
		return 0;
	}
	rx->len = ulen - sizeof(*udp);
	memcpy(rx->buf, udp + 1, rx->len < GEN_RX_MAX ? rx->len : GEN_RX_MAX);
	return 0;
}

static int
dpdk_recv(void *p, struct gen_rx *rx, unsigned int n)
{
	struct dpdk_engine *e = p;
	struct rte_mbuf *m[GEN_BURST];
	unsigned int got = 0, i;
	uint16_t nb;
	uint64_t tsc;
	int64_t rx_ns;

	if (n > GEN_BURST)
		n = GEN_BURST;
	nb = rte_eth_rx_burst(e->port, 0, m, (uint16_t)n);
	if (nb == 0)
		return 0;
	tsc = rte_rdtsc();
	/* CLOCK_REALTIME again now and then: the calibration's error and NTP's
	 * slewing of the clock stay below a second's worth */
	if (tsc >= e->tsc_next_anchor) {
		e->rt_anchor = tsc_pair(CLOCK_REALTIME, &e->tsc_anchor);
		e->tsc_next_anchor = e->tsc_anchor + (uint64_t)(ANCHOR_NS / e->ns_per_tick);
	}
	rx_ns = tsc_realtime(e, tsc);
	for (i = 0; i < nb; i++) {
		if (i + 1 < nb)
			rte_prefetch0(rte_pktmbuf_mtod(m[i + 1], void *));
		if (parse_reply(e, m[i], &rx[got]) == 0)
			rx[got++].rx_ns = rx_ns;
		else
			e->other++;
	}
	rte_pktmbuf_free_bulk(m, nb);
	return (int)got;
}

static void
dpdk_wait(void *p, int64_t timeout_ns)
{
	struct dpdk_engine *e = p;
	uint64_t end;

	/* a poll-mode driver has nothing to block on: spin briefly, return to rx */
	if (timeout_ns > SPIN_NS)
		timeout_ns = SPIN_NS;
	end = rte_rdtsc() + (uint64_t)((double)timeout_ns / e->ns_per_tick);
	while (rte_rdtsc() < end)
		rte_pause();
}

static int64_t
dpdk_now(void *p)
{
	const struct dpdk_engine *e = p;

	return (int64_t)((double)(rte_rdtsc() - e->tsc0) * e->ns_per_tick);
}

/* ARP request (RFC 826) or neighbour solicitation (RFC 4861 section 4.3) for the server. */
static int
send_resolve(struct dpdk_engine *e)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(e->pool);
	struct strata_eth *eth;
	uint8_t *p;

	if (m == NULL)
		return -ENOMEM;
	p = rte_pktmbuf_mtod(m, uint8_t *);
	memset(p, 0, 96);
	eth = (struct strata_eth *)p;
	memcpy(eth->src, e->mac.addr_bytes, 6);
	if (e->v6) {
		struct strata_ip6 *ip = (struct strata_ip6 *)(eth + 1);
		uint8_t *icmp = (uint8_t *)(ip + 1), *d = (uint8_t *)ip->daddr;
		uint16_t c;

		/* to the solicited-node group: ff02::1:ffXX:XXXX (RFC 4291 section 2.7.1) */
		d[0] = 0xff;
		d[1] = 0x02;
		d[11] = 0x01;
		d[12] = 0xff;
		memcpy(d + 13, e->daddr + 13, 3);
		eth->dst[0] = eth->dst[1] = 0x33;
		memcpy(eth->dst + 2, d + 12, 4);
		eth->proto = ETH_P_IPV6_BE;
		ip->vtcfl = htonl(6U << 28);
		ip->plen = htons(32);
		ip->nexthdr = IPPROTO_ICMPV6_NUM;
		ip->hlim = 255; /* section 7.1.1: anything else is discarded */
		memcpy(ip->saddr, e->saddr, 16);
		icmp[0] = ND_NS;
		memcpy(icmp + 8, e->daddr, 16);
		icmp[24] = 1; /* source link-layer address option, 8 octets */
		icmp[25] = 1;
		memcpy(icmp + 26, e->mac.addr_bytes, 6);
		c = (uint16_t)~strata_csum_fold(strata_csum_words(ip->saddr, 8) + htons(32) +
						STRATA_CONST_HTONS(IPPROTO_ICMPV6_NUM) +
						csum_run(icmp, 32));
		memcpy(icmp + 2, &c, 2);
		m->data_len = sizeof(*eth) + sizeof(*ip) + 32;
	} else {
		uint8_t *arp = (uint8_t *)(eth + 1);

		memset(eth->dst, 0xff, 6);
		eth->proto = ETH_P_ARP_BE;
		/* Ethernet, IPv4, 6 and 4 octets, request */
		memcpy(arp, "\x00\x01\x08\x00\x06\x04\x00\x01", 8);
		memcpy(arp + 8, e->mac.addr_bytes, 6);
		memcpy(arp + 14, e->saddr, 4);
		memcpy(arp + 24, e->daddr, 4);
		m->data_len = FRAME_MIN;
	}
	m->pkt_len = m->data_len;
	if (rte_eth_tx_burst(e->port, 0, &m, 1) != 1) {
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	return 0;
}

/* The server's MAC from an ARP reply or neighbour advertisement into @e->dst_mac; 1 if found. */
static int
is_resolve_reply(struct dpdk_engine *e, const struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	const struct strata_eth *eth = (const struct strata_eth *)p;
	uint32_t len = rte_pktmbuf_data_len(m);

	if (e->v6) {
		const struct strata_ip6 *ip = (const struct strata_ip6 *)(eth + 1);
		const uint8_t *icmp = (const uint8_t *)(ip + 1);

		if (len < sizeof(*eth) + sizeof(*ip) + 24 || eth->proto != ETH_P_IPV6_BE ||
		    ip->nexthdr != IPPROTO_ICMPV6_NUM || icmp[0] != ND_NA ||
		    memcmp(icmp + 8, e->daddr, 16) != 0)
			return 0;
	} else {
		const uint8_t *arp = (const uint8_t *)(eth + 1);

		if (len < sizeof(*eth) + 28 || eth->proto != ETH_P_ARP_BE || arp[7] != 2 ||
		    memcmp(arp + 14, e->daddr, 4) != 0)
			return 0;
	}
	/* on the link the answer's sender is the server (or its router) */
	memcpy(e->dst_mac.addr_bytes, eth->src, 6);
	return 1;
}

static int
resolve(struct dpdk_engine *e)
{
	struct rte_mbuf *m[GEN_BURST];
	unsigned int tries, found = 0;
	uint16_t nb, i;
	int64_t end;
	int err;

	for (tries = 0; tries < RESOLVE_TRIES && !found; tries++) {
		err = send_resolve(e);
		if (err < 0)
			return err;
		end = clock_ns(CLOCK_MONOTONIC) + RESOLVE_NS;
		while (!found && clock_ns(CLOCK_MONOTONIC) < end) {
			nb = rte_eth_rx_burst(e->port, 0, m, GEN_BURST);
			for (i = 0; i < nb; i++)
				found = found || is_resolve_reply(e, m[i]);
			rte_pktmbuf_free_bulk(m, nb);
		}
	}
	return found ? 0 : -EHOSTUNREACH;
}

/* ADDR[/LEN] of the server's family: the first usable host and their number. */
static int
parse_prefix(struct dpdk_engine *e, const char *s, uint32_t count, uint32_t step)
{
	char buf[64], *slash, *end;
	uint32_t maxlen = e->v6 ? 128 : 32, bits, lo;
	unsigned long len = maxlen;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash != NULL) {
		*slash++ = '\0';
		errno = 0;
		len = strtoul(slash, &end, 10);
		if (errno != 0 || *end != '\0' || end == slash || len > maxlen)
			return -1;
	}
	if (inet_pton(e->v6 ? AF_INET6 : AF_INET, buf, e->saddr) != 1)
		return -1;
	bits = maxlen - (uint32_t)len;
	if (count != 0) {
		/* --src-count: ADDR as written, then one address per /step, all
		 * inside ADDR/LEN (the last one keeps the prefix's bits) */
		uint8_t last[16];

		if (step == 0)
			step = maxlen;
		if (step > maxlen || step < len)
			return -1;
		e->stepped = 1;
		e->shift = maxlen - step;
		e->naddr = count;
		memcpy(last, e->saddr, 16);
		addr_add(last, maxlen / 8, count - 1, e->shift);
		for (bits = 0; bits < len; bits++)
			if (((last[bits / 8] ^ e->saddr[bits / 8]) >> (7 - bits % 8)) & 1)
				return -1;
		return 0;
	}
	if (bits > MAX_HOST_BITS)
		return -1;
	memcpy(&lo, e->saddr + (e->v6 ? 12 : 0), 4);
	lo = ntohl(lo) & ~((1U << bits) - 1);
	e->naddr = 1U << bits;
	/* no subnet-router anycast (RFC 4291 section 2.6.1), nor IPv4's network
	 * and broadcast addresses outside point-to-point /31 (RFC 3021) */
	if (e->v6 && bits > 0) {
		lo++;
		e->naddr--;
	} else if (!e->v6 && bits > 1) {
		lo++;
		e->naddr -= 2;
	}
	lo = htonl(lo);
	memcpy(e->saddr + (e->v6 ? 12 : 0), &lo, 4);
	return 0;
}

/* The port of @spec "NAME[,devargs]", probed unless EAL's arguments made it already. */
static int
open_port(const char *spec)
{
	char name[RTE_DEV_NAME_MAX_LEN];
	size_t n = strcspn(spec, ",");
	int id;

	if (n >= sizeof(name))
		return -ENAMETOOLONG;
	memcpy(name, spec, n);
	name[n] = '\0';
	id = dp_ethdev_open(spec, name);
	if (id < 0)
		fprintf(stderr, "strata-gen: cannot open DPDK port '%s': %s\n", spec, strerror(-id));
	return id;
}

static int
start_port(struct dpdk_engine *e, int promisc)
{
	struct rte_eth_conf conf = {0};
	uint16_t nrxd = NRXD, ntxd = NTXD;
	int socket = rte_eth_dev_socket_id(e->port), err;

	if (socket < 0)
		socket = (int)rte_socket_id();
	e->pool = rte_pktmbuf_pool_create("gen_mbuf", NMBUF, POOL_CACHE, 0,
					  RTE_MBUF_DEFAULT_BUF_SIZE, socket);
	if (e->pool == NULL) {
		fprintf(stderr, "strata-gen: cannot allocate %u mbufs: %s (hint: EAL's -m)\n",
			NMBUF, rte_strerror(rte_errno));
		return -rte_errno;
	}
	err = rte_eth_dev_configure(e->port, 1, 1, &conf);
	if (err == 0)
		err = rte_eth_dev_adjust_nb_rx_tx_desc(e->port, &nrxd, &ntxd);
	if (err == 0)
		err = rte_eth_rx_queue_setup(e->port, 0, nrxd, (unsigned int)socket, NULL, e->pool);
	if (err == 0)
		err = rte_eth_tx_queue_setup(e->port, 0, ntxd, (unsigned int)socket, NULL);
	if (err == 0)
		err = rte_eth_dev_start(e->port);
	if (err != 0)
		return err;
	e->started = 1;
	/* replies come back to a MAC not the port's own only if we take all */
	if (promisc && (err = rte_eth_promiscuous_enable(e->port)) != 0)
		fprintf(stderr, "strata-gen: cannot set promiscuous mode: %s\n", strerror(-err));
	return 0;
}

static void
dpdk_close(void *p)
{
	struct dpdk_engine *e = p;
	struct rte_eth_stats s;

	if (e == NULL)
		return;
	if (e->started && rte_eth_stats_get(e->port, &s) == 0)
		fprintf(stderr,
			"strata-gen: dpdk port: tx %llu rx %llu (%llu not ours, %llu bad length "
			"or checksum) missed %llu tx errors %llu no mbuf %llu\n",
			(unsigned long long)s.opackets, (unsigned long long)s.ipackets,
			(unsigned long long)e->other, (unsigned long long)e->bad_csum,
			(unsigned long long)s.imissed, (unsigned long long)s.oerrors,
			(unsigned long long)s.rx_nombuf);
	if (e->started)
		rte_eth_dev_stop(e->port);
	if (e->port != RTE_MAX_ETHPORTS)
		rte_eth_dev_close(e->port);
	/* after the port: its queues hold mbufs of the pool until closed */
	rte_mempool_free(e->pool);
	rte_eal_cleanup();
	free(e);
}

static void *
dpdk_open(const struct gen_target *t)
{
	struct dpdk_engine *e;
	uint64_t tsc1;
	int64_t rt0, rt1;
	int n, err = EINVAL;

	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return NULL;
	e->port = RTE_MAX_ETHPORTS;
	e->v6 = t->addr.ss_family == AF_INET6;
	if (e->v6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&t->addr;

		memcpy(e->daddr, &a->sin6_addr, 16);
		e->dport = ntohs(a->sin6_port);
	} else {
		const struct sockaddr_in *a = (const struct sockaddr_in *)&t->addr;

		memcpy(e->daddr, &a->sin_addr, 4);
		e->dport = ntohs(a->sin_port);
	}
	e->base_port = t->base_port;
	e->nports = (uint16_t)t->nports;
	if (parse_prefix(e, t->src, t->src_count, t->src_step) < 0) {
		if (t->src_count != 0)
			fprintf(stderr,
				"strata-gen: --src '%s' --src-count %u --src-step %u: want an %s "
				"prefix that holds that many sources at that step, the step at "
				"least the prefix's length\n",
				t->src, t->src_count, t->src_step, e->v6 ? "IPv6" : "IPv4");
		else
			fprintf(stderr,
				"strata-gen: --src '%s': want an %s address or prefix of at most "
				"%u host bits\n",
				t->src, e->v6 ? "IPv6" : "IPv4", MAX_HOST_BITS);
		free(e);
		errno = EINVAL;
		return NULL;
	}
	if ((t->src_mac != NULL && rte_ether_unformat_addr(t->src_mac, &e->mac) != 0) ||
	    (t->dst_mac != NULL && rte_ether_unformat_addr(t->dst_mac, &e->dst_mac) != 0)) {
		fprintf(stderr, "strata-gen: bad MAC address in --src-mac or --dst-mac\n");
		free(e);
		errno = EINVAL;
		return NULL;
	}
	n = rte_eal_init(t->eal_argc > 0 ? t->eal_argc : 1, t->eal_argv);
	if (n < 0) {
		err = rte_errno;
		fprintf(stderr, "strata-gen: EAL: %s\n", rte_strerror(rte_errno));
		free(e);
		errno = err;
		return NULL;
	}
	n = open_port(t->dev);
	if (n < 0) {
		err = -n;
		goto fail;
	}
	e->port = (uint16_t)n;
	n = t->src_mac != NULL ? 0 : rte_eth_macaddr_get(e->port, &e->mac);
	if (n != 0 || (n = start_port(e, t->src_mac != NULL)) != 0) {
		err = -n;
		goto fail;
	}

	/* the TSC's rate against CLOCK_MONOTONIC, which NTP slews but never steps */
	rt0 = tsc_pair(CLOCK_MONOTONIC, &e->tsc0);
	do
		rt1 = tsc_pair(CLOCK_MONOTONIC, &tsc1);
	while (rt1 - rt0 < CAL_NS);
	e->ns_per_tick = (double)(rt1 - rt0) / (double)(tsc1 - e->tsc0);
	e->rt_anchor = tsc_pair(CLOCK_REALTIME, &e->tsc_anchor);
	e->tsc_next_anchor = e->tsc_anchor + (uint64_t)(ANCHOR_NS / e->ns_per_tick);

	if (t->dst_mac == NULL && (n = resolve(e)) < 0) {
		fprintf(stderr, "strata-gen: no %s reply from the server: give --dst-mac\n",
			e->v6 ? "neighbour advertisement" : "ARP");
		err = -n;
		goto fail;
	}
	build_template(e);
	fprintf(stderr,
		"strata-gen: dpdk port %s, " RTE_ETHER_ADDR_PRT_FMT " to " RTE_ETHER_ADDR_PRT_FMT
		", %u source addresses, TSC %.0f MHz\n",
		t->dev, RTE_ETHER_ADDR_BYTES(&e->mac), RTE_ETHER_ADDR_BYTES(&e->dst_mac), e->naddr,
		1e3 / e->ns_per_tick);
	return e;
fail:
	dpdk_close(e);
	errno = err;
	return NULL;
}

const struct gen_engine gen_dpdk_engine = {
	.name = "dpdk",
	.open = dpdk_open,
	.send = dpdk_send,
	.recv = dpdk_recv,
	.wait = dpdk_wait,
	.close = dpdk_close,
	.now = dpdk_now,
};
