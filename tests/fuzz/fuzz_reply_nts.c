/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for strata_reply_nts() (include/strata/reply_nts.h): the
 * NTS answer in place, as strata-dpdk's workers and strata-nts's AF_XDP
 * worker build it, from whole Ethernet frames. lib/nts.c's own checks are
 * fuzz_nts.c's; here, the frame around them: the IPv4 options cut and the
 * payload moved, the lengths, the checksums over any length.
 *
 * The seeds (corpus/reply_nts/) are NTS requests under the master keys
 * below, so that mutations of their headers reach the authenticated reply.
 * Checked, with the RFC 1071 reference (ref_csum.h), not reply.h's sums:
 *  - the verdict is the one of the reason; a frame not answered is left
 *    untouched; an answer is never longer than the request;
 *  - an answer's IPv4 header and UDP checksums verify, its UDP length is
 *    what is left of the frame;
 *  - an authenticated reply verifies with the client's side
 *    (nts_client_verify() under the keys of the request's cookie), with the
 *    cookies counted; a NAK is the header "NTSN" and the unique identifier.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <strata/reply_nts.h>

#include "../unit/ref_csum.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t svc_mac[6] = {0x02, 0, 0, 0, 0, 0x01};
static struct strata_service svc;
static struct snap snap;
static struct strata_nts_keyring ring;
static struct nts_server srv;
static const struct strata_clock clk = {
	.rx_scale = SNAP_SCALE_MONO,
	.tx_scale = SNAP_SCALE_MONO,
	.rx = 5000000000ull,
	.tx = 5000001000ull,
};

/* The master keys of the seeds (make them with the same keys: gen_seeds in the commit). */
static void
setup(void)
{
	struct snap_slot slot;
	unsigned int i, j;

	svc.addr4[0] = strata_htonl(0xc0000201); /* 192.0.2.1 */
	svc.addr6[0][0] = strata_htonl(0x20010db8);
	svc.addr6[0][3] = strata_htonl(1); /* 2001:db8::1 */
	svc.n_addr4 = 1;
	svc.n_addr6 = 1;
	svc.ttl = 64;
	memset(&slot, 0, sizeof(slot));
	slot.map[SNAP_SCALE_MONO].local_base = clk.rx;
	slot.map[SNAP_SCALE_MONO].ntp_base = 0xe9a1b2c312345678ull;
	slot.map[SNAP_SCALE_MONO].flags = SNAP_MAP_VALID;
	if (snap_map_set_rate(&slot.map[SNAP_SCALE_MONO], NSEC_PER_SEC, 0.0) != 0)
		abort();
	slot.srv.stratum = 1;
	snap_init(&snap);
	snap_publish(&snap, &slot);

	for (i = 0; i < 2; i++) {
		ring.k[i].id = 0x5f3a9c00 + i;
		ring.k[i].created = 1796000000 + i;
		for (j = 0; j < NTS_MASTER_KEY_LEN; j++)
			ring.k[i].key[j] = (uint8_t)(i * 31 + j);
	}
	ring.n = 2;
	ring.current = 1;
	ring.gen = 1;
	if (nts_server_init(&srv) != 0 || nts_server_sync(&srv, &ring) != 1)
		abort();
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Where the IP header starts after the Ethernet header and one 802.1Q tag. */
static size_t
l3_of(const uint8_t *f)
{
	return get16(f + 12) == 0x8100 ? 18 : 14;
}

/*
 * The keys and unique identifier of the request at @ntp (@len octets): from
 * its cookie, opened as the server does. @return 0, -1 if it has none.
 */
static int
request_keys(const uint8_t *ntp, size_t len, struct nts_keys *k, const uint8_t **uid)
{
	size_t pos, blen;
	int have = 0;

	*uid = NULL;
	for (pos = NTP_HEADER_LEN; pos + 4 <= len; pos += blen) {
		blen = get16(ntp + pos + 2);
		if (blen < 4 || blen > len - pos)
			return -1;
		if (get16(ntp + pos) == NTP_EF_NTS_UNIQUE_ID && *uid == NULL)
			*uid = ntp + pos + 4;
		if (get16(ntp + pos) == NTP_EF_NTS_COOKIE &&
		    nts_cookie_open(&srv, ntp + pos + 4, blen - 4, k) == STRATA_NTS_REPLY)
			have = 1;
	}
	return have && *uid != NULL ? 0 : -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct nts_client_cookies got;
	struct strata_result res;
	struct nts_keys k;
	const uint8_t *ip, *udp, *ntp, *uid, *qntp;
	enum strata_verdict v;
	uint32_t nr, cookies;
	size_t l3, iplen, ulen, qhl;
	uint8_t *f;
	int v6;

	if (!ready) {
		setup();
		ready = 1;
	}
	f = malloc(size > 0 ? size : 1);
	if (f == NULL)
		abort();
	memcpy(f, data, size);
	v = strata_reply_nts(f, f + size, &svc, svc_mac, &snap, &clk, NULL, &srv, &res, &nr,
			     &cookies);
	if (res.reason >= STRATA_R_MAX || v != strata_verdict_of(res.reason))
		abort();
	if (nr > STRATA_NTS_MAX || (nr == STRATA_NTS_MAX && cookies != 0))
		abort();
	if (v != STRATA_REPLY) {
		if (memcmp(f, data, size) != 0 || cookies != 0)
			abort();
		goto out;
	}
	if (res.len > size)
		abort();
	/* an NTS answer: REPLY or a NAK; anything else of NTS is a drop */
	if (nr != STRATA_NTS_MAX && nr != STRATA_NTS_REPLY && nr != STRATA_NTS_NAK_KEY &&
	    nr != STRATA_NTS_NAK_COOKIE && nr != STRATA_NTS_NAK_AUTH)
		abort();

	l3 = l3_of(f);
	ip = f + l3;
	v6 = (ip[0] >> 4) == 6;
	iplen = v6 ? 40 : 20;
	udp = ip + iplen;
	ulen = res.len - l3 - iplen;
	if (get16(udp + 4) != ulen || ulen < 8 + NTP_HEADER_LEN)
		abort();
	if (v6) {
		if (fold(sum16(sum16(0, ip + 8, 32) + 17 + (uint32_t)ulen, udp, ulen)) != 0xffff)
			abort();
	} else {
		if (ip[0] != 0x45 || fold(sum16(0, ip, 20)) != 0xffff || get16(ip + 2) != 20 + ulen)
			abort();
		if (get16(udp + 6) != 0 &&
		    fold(sum16(sum16(0, ip + 12, 8) + 17 + (uint32_t)ulen, udp, ulen)) != 0xffff)
			abort();
	}
	if (nr == STRATA_NTS_MAX)
		goto out;

	/* the request's NTP payload, where it was */
	qhl = v6 ? 40 : (size_t)(data[l3] & 0xf) * 4;
	qntp = data + l3 + qhl + 8;
	ntp = udp + 8;
	if (request_keys(qntp, get16(data + l3 + qhl + 4) - 8, &k, &uid) != 0) {
		/* a NAK for a cookie that does not open */
		if (nr == STRATA_NTS_REPLY)
			abort();
		memset(&k, 0, sizeof(k));
		k.aead = NTS_AEAD_AES_SIV_CMAC_256;
		k.len = 32;
	}
	if (nr == STRATA_NTS_REPLY) {
		if (nts_client_verify(&k, uid, ntp, ulen - 8, &got) != 0 || got.n != cookies)
			abort();
	} else {
		/* RFC 8915 section 5.7: an NTSN kiss-o'-death and the unique identifier alone */
		if (ntp[0] >> 6 != 3 || ntp[1] != 0 || memcmp(ntp + 12, "NTSN", 4) != 0 ||
		    memcmp(ntp + 24, qntp + 40, 8) != 0 ||
		    get16(ntp + NTP_HEADER_LEN) != NTP_EF_NTS_UNIQUE_ID ||
		    ulen - 8 != (size_t)NTP_HEADER_LEN + get16(ntp + 50))
			abort();
	}
out:
	free(f);
	return 0;
}
