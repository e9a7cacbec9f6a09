/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the NTS server's per-packet code in lib/nts.c
 * (RFC 8915 section 5.7): nts_server_check() on any NTP payload under a
 * fixed ring of master keys, then nts_server_seal() or nts_server_nak()
 * into the same buffer, as the fast paths do.
 *
 * A fuzzer cannot guess a cookie that opens or an AES-SIV tag, so the
 * first octet may ask the harness to make them: with bit 0 set, every
 * cookie field as long as one of ours gets a fresh cookie (keys of the AEAD
 * bit 1 picks, from the input), and unless bit 2 is set, an authenticator
 * that ends the packet with lengths that fit gets the tag of its nonce and
 * ciphertext under those keys. The rest of the input is the payload.
 *
 * Checked, from RFC 8915 section 5.7 and nts.h:
 *  - the verdict is one of the counters check() may give, and it reads
 *    nothing past the payload (ASan: the payload is a buffer of its size);
 *  - a reply or NAK is never longer than the request; a NAK is the header
 *    and the unique identifier; a reply verifies with the client's side
 *    (nts_client_verify() under the cookie's keys) and brings the cookies
 *    seal() counted, each of which opens to the same keys.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/siv-cmac.h>

#include "nts.h"
#include "strata/ntp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct strata_nts_keyring ring;
static struct nts_server srv;

static void
setup(void)
{
	unsigned i, j;

	if (nts_server_init(&srv) != 0)
		abort();
	/* two master keys, the newer current: cookies under either open */
	for (i = 0; i < 2; i++) {
		ring.k[i].id = 0x5f3a9c00 + i;
		ring.k[i].created = 1796000000 + i;
		for (j = 0; j < NTS_MASTER_KEY_LEN; j++)
			ring.k[i].key[j] = (uint8_t)(i * 31 + j);
	}
	ring.n = 2;
	ring.current = 1;
	ring.gen = 1;
	if (nts_server_sync(&srv, &ring) != 1)
		abort();
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Make the cookies and the authenticator of @p valid for @k (see above). */
static void
fix_up(uint8_t *p, size_t len, const struct nts_keys *k, int tag)
{
	uint8_t c[NTS_COOKIE_MAX];
	size_t pos, blen, n = 0;

	for (pos = NTP_HEADER_LEN; pos + 4 <= len && n++ < 64; pos += blen) {
		unsigned type = get16(p + pos);
		size_t nlen, clen;
		uint8_t *a;

		blen = get16(p + pos + 2);
		if (blen < 4 || blen > len - pos)
			return;
		if (type == NTP_EF_NTS_COOKIE && blen - 4 == nts_cookie_len(k->aead)) {
			nts_cookie_seal(&srv, k, c);
			memcpy(p + pos + 4, c, blen - 4);
		}
		if (!tag || type != NTP_EF_NTS_AUTHENTICATOR || pos + blen != len || blen < 8)
			continue;
		a = p + pos + 4;
		nlen = get16(a);
		clen = get16(a + 2);
		if (nlen == 0 || clen < 16 || 4 + ((nlen + 3) & ~3u) + clen > blen - 4)
			return;
		/* encrypt the ciphertext's own octets as the plaintext: any is fine */
		{
			uint8_t *ct = a + 4 + ((nlen + 3) & ~3u);
			uint8_t pt[4096];

			memcpy(pt, ct + 16, clen - 16);
			if (k->aead == NTS_AEAD_AES_SIV_CMAC_512) {
				struct siv_cmac_aes256_ctx x;

				siv_cmac_aes256_set_key(&x, k->c2s);
				siv_cmac_aes256_encrypt_message(&x, nlen, a + 4, pos, p, clen, ct,
								pt);
			} else {
				struct siv_cmac_aes128_ctx x;

				siv_cmac_aes128_set_key(&x, k->c2s);
				siv_cmac_aes128_encrypt_message(&x, nlen, a + 4, pos, p, clen, ct,
								pt);
			}
		}
		return;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct nts_client_cookies got;
	struct nts_request r;
	struct nts_keys k, o;
	uint8_t *p;
	uint32_t len, out, n, i;
	enum strata_nts_counter v;

	if (!ready) {
		setup();
		ready = 1;
	}
	if (size < 2 || size - 1 > 4096)
		return 0;
	len = (uint32_t)(size - 1);
	p = malloc(len);
	if (p == NULL)
		abort();
	memcpy(p, data + 1, len);
	memset(&k, 0, sizeof(k));
	k.aead = data[0] & 2 ? NTS_AEAD_AES_SIV_CMAC_512 : NTS_AEAD_AES_SIV_CMAC_256;
	k.len = (uint16_t)nts_aead_key_len(k.aead);
	for (i = 0; i < k.len; i++) {
		k.c2s[i] = (uint8_t)(data[0] + i);
		k.s2c[i] = (uint8_t)(data[0] * 3 + i);
	}
	if (data[0] & 1)
		fix_up(p, len, &k, !(data[0] & 4));

	v = nts_server_check(&srv, p, len, &r);
	switch (v) {
	case STRATA_NTS_REPLY:
		if (r.uid_off < NTP_HEADER_LEN || r.uid_off + r.uid_len > len || r.len != len ||
		    r.cookies == 0 || nts_aead_key_len(r.keys.aead) != r.keys.len)
			abort();
		p[0] = NTP_LVM(NTP_LEAP_NONE, 4, NTP_MODE_SERVER);
		p[1] = 2;
		out = nts_server_seal(&srv, &r, p, &n);
		if (out > len || n > r.cookies || n > NTS_KE_COOKIES)
			abort();
		/* the client's side: it verifies, with its identifier, under the cookie's keys */
		if (r.uid_len == 4 + NTS_UID_LEN) {
			if (nts_client_verify(&r.keys, p + 52, p, out, &got) != 0 || got.n != n)
				abort();
			for (i = 0; i < got.n; i++)
				if (nts_cookie_open(&srv, got.c[i], got.len[i], &o) !=
					    STRATA_NTS_REPLY ||
				    o.aead != r.keys.aead || o.len != r.keys.len ||
				    memcmp(o.c2s, r.keys.c2s, o.len) ||
				    memcmp(o.s2c, r.keys.s2c, o.len))
					abort();
		}
		break;
	case STRATA_NTS_NAK_KEY:
	case STRATA_NTS_NAK_COOKIE:
	case STRATA_NTS_NAK_AUTH:
		if (r.uid_off < NTP_HEADER_LEN || r.uid_off + r.uid_len > len)
			abort();
		out = nts_server_nak(&r, p);
		if (out > len || out != NTP_HEADER_LEN + r.uid_len ||
		    get16(p + NTP_HEADER_LEN) != NTP_EF_NTS_UNIQUE_ID)
			abort();
		break;
	case STRATA_NTS_DROP_NO_UID:
	case STRATA_NTS_DROP_NO_COOKIE:
	case STRATA_NTS_DROP_MALFORMED:
		break;
	default:
		abort(); /* keys are published: never DROP_NO_KEYS */
	}
	free(p);
	return 0;
}
