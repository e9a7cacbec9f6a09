/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/nts.c: cookies and master key rotation, the server's checks of NTS
 * requests against every case of RFC 8915 section 5.7, its replies and NAKs,
 * the client's fields, the NTS-KE records. Requests are built by hand here
 * (with nettle directly, not through nts.c) as well as with
 * nts_client_request(), so that a mistake shared by both sides of nts.c
 * still shows.
 */
#include <errno.h>
#include <string.h>

#include <nettle/siv-cmac.h>

#include <strata/ntp.h>

#include "nts.h"

#include "cunit_main.h"

static struct strata_nts_keyring ring;
static struct nts_server srv;

/* a deterministic master key @id, created at @t */
static void
ring_key(unsigned i, uint32_t id, uint64_t t)
{
	unsigned j;

	ring.k[i].id = id;
	ring.k[i].created = t;
	for (j = 0; j < NTS_MASTER_KEY_LEN; j++)
		ring.k[i].key[j] = (uint8_t)(id * 7 + j);
}

/* publish @n keys as stratad does: seq odd, write, seq even, gen + 1 */
static void
ring_publish(unsigned n, unsigned current)
{
	ring.seq++;
	ring.n = n;
	ring.current = current;
	ring.gen++;
	ring.seq++;
}

static void
setup(void)
{
	memset(&ring, 0, sizeof(ring));
	CU_ASSERT_EQUAL_FATAL(nts_server_init(&srv), 0);
	ring_key(0, 0x5f3a9c01, 1796000000);
	ring_publish(1, 0);
	CU_ASSERT_EQUAL_FATAL(nts_server_sync(&srv, &ring), 1);
}

static void
keys(struct nts_keys *k, uint16_t aead, uint8_t seed)
{
	unsigned i;

	memset(k, 0, sizeof(*k));
	k->aead = aead;
	k->len = (uint16_t)nts_aead_key_len(aead);
	for (i = 0; i < k->len; i++) {
		k->c2s[i] = (uint8_t)(seed + i);
		k->s2c[i] = (uint8_t)(seed * 3 + i + 100);
	}
}

static int
keys_equal(const struct nts_keys *a, const struct nts_keys *b)
{
	return a->aead == b->aead && a->len == b->len && !memcmp(a->c2s, b->c2s, a->len) &&
	       !memcmp(a->s2c, b->s2c, a->len);
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* ---- a client built by hand, from RFC 8915 sections 5.3 to 5.6 ---- */

static const uint8_t UID[NTS_UID_LEN] = "0123456789abcdef0123456789abcdef";
static const uint8_t NONCE[NTS_NONCE_LEN] = "fedcba9876543210";

static size_t
hdr(uint8_t *p)
{
	memset(p, 0, NTP_HEADER_LEN);
	p[0] = NTP_LVM(NTP_LEAP_NONE, 4, NTP_MODE_CLIENT);
	memset(p + 40, 0xa5, 8); /* transmit timestamp */
	return NTP_HEADER_LEN;
}

/* one extension field with body @b of @blen octets (zeros if NULL), padded to 4 */
static void
ef(uint8_t *p, size_t *pos, unsigned type, const void *b, size_t blen)
{
	size_t padded = (blen + 3) & ~(size_t)3;

	put16(p + *pos, type);
	put16(p + *pos + 2, 4 + padded);
	memset(p + *pos + 4, 0, padded);
	if (b != NULL)
		memcpy(p + *pos + 4, b, blen);
	*pos += 4 + padded;
}

static void
siv(uint16_t aead, const uint8_t *key, size_t nlen, const uint8_t *nonce, size_t alen,
    const uint8_t *ad, size_t clen, uint8_t *dst, const uint8_t *src)
{
	if (aead == NTS_AEAD_AES_SIV_CMAC_512) {
		struct siv_cmac_aes256_ctx c;

		siv_cmac_aes256_set_key(&c, key);
		siv_cmac_aes256_encrypt_message(&c, nlen, nonce, alen, ad, clen, dst, src);
	} else {
		struct siv_cmac_aes128_ctx c;

		siv_cmac_aes128_set_key(&c, key);
		siv_cmac_aes128_encrypt_message(&c, nlen, nonce, alen, ad, clen, dst, src);
	}
}

/*
 * The authenticator (section 5.6) at *@pos: a nonce of @nlen octets, the
 * plaintext @pt (@ptlen), @extra octets of additional padding; the
 * associated data is everything before it.
 */
static void
auth(uint8_t *p, size_t *pos, const struct nts_keys *k, size_t nlen, const uint8_t *pt,
     size_t ptlen, size_t extra)
{
	uint8_t nonce[64];
	size_t npad = (nlen + 3) & ~(size_t)3, clen = 16 + ptlen, cpad = (clen + 3) & ~(size_t)3;
	size_t start = *pos;

	memset(nonce, 0x3c, sizeof(nonce));
	put16(p + start, NTP_EF_NTS_AUTHENTICATOR);
	put16(p + start + 2, 8 + npad + cpad + extra);
	put16(p + start + 4, nlen);
	put16(p + start + 6, clen);
	memset(p + start + 8, 0, npad + cpad + extra);
	memcpy(p + start + 8, nonce, nlen);
	siv(k->aead, k->c2s, nlen, nonce, start, p, clen, p + start + 8 + npad, pt);
	*pos = start + 8 + npad + cpad + extra;
}

/* A well-formed request: UID, cookie for @k, @ph placeholders, authenticator. */
static size_t
request(uint8_t *p, const struct nts_keys *k, unsigned ph)
{
	uint8_t c[NTS_COOKIE_MAX];
	size_t pos = hdr(p), cl = nts_cookie_seal(&srv, k, c);
	unsigned i;

	CU_ASSERT_EQUAL(cl, nts_cookie_len(k->aead));
	ef(p, &pos, NTP_EF_NTS_UNIQUE_ID, UID, sizeof(UID));
	ef(p, &pos, NTP_EF_NTS_COOKIE, c, cl);
	for (i = 0; i < ph; i++)
		ef(p, &pos, NTP_EF_NTS_COOKIE_PLACEHOLDER, NULL, cl);
	auth(p, &pos, k, 16, NULL, 0, 0);
	return pos;
}

static const uint16_t AEADS[] = {NTS_AEAD_AES_SIV_CMAC_256, NTS_AEAD_AES_SIV_CMAC_512};

/* ---- cookies ---- */

static void
test_key_len(void)
{
	CU_ASSERT_EQUAL(nts_aead_key_len(NTS_AEAD_AES_SIV_CMAC_256), 32);
	CU_ASSERT_EQUAL(nts_aead_key_len(NTS_AEAD_AES_SIV_CMAC_512), 64);
	CU_ASSERT_EQUAL(nts_aead_key_len(0), 0);
	CU_ASSERT_EQUAL(nts_aead_key_len(16), 0);
	CU_ASSERT_EQUAL(nts_aead_key_len(30), 0);
	CU_ASSERT_EQUAL(nts_cookie_len(NTS_AEAD_AES_SIV_CMAC_256), 104);
	CU_ASSERT_EQUAL(nts_cookie_len(NTS_AEAD_AES_SIV_CMAC_512), 168);
	CU_ASSERT_EQUAL(nts_cookie_len(1), 0);
	CU_ASSERT_EQUAL(NTS_COOKIE_MAX, 168);
}

static void
test_cookie_round_trip(void)
{
	struct nts_keys k, out;
	uint8_t c[NTS_COOKIE_MAX], c2[NTS_COOKIE_MAX];
	unsigned a;

	setup();
	for (a = 0; a < 2; a++) {
		size_t len;

		keys(&k, AEADS[a], 9);
		len = nts_cookie_seal(&srv, &k, c);
		CU_ASSERT_EQUAL(len, nts_cookie_len(AEADS[a]));
		CU_ASSERT_EQUAL(get16(c), 0x5f3a);
		CU_ASSERT_EQUAL(get16(c + 2), 0x9c01);
		memset(&out, 0, sizeof(out));
		CU_ASSERT_EQUAL(nts_cookie_open(&srv, c, len, &out), STRATA_NTS_REPLY);
		CU_ASSERT(keys_equal(&k, &out));
		/* a fresh nonce each time: cookies are unlinkable (RFC 8915 section 6) */
		CU_ASSERT_EQUAL(nts_cookie_seal(&srv, &k, c2), len);
		CU_ASSERT(memcmp(c + 4, c2 + 4, 16) != 0);
		CU_ASSERT(memcmp(c + 20, c2 + 20, len - 20) != 0);
	}
	/* keys whose length does not match their AEAD are not sealed */
	keys(&k, NTS_AEAD_AES_SIV_CMAC_256, 1);
	k.len = 64;
	CU_ASSERT_EQUAL(nts_cookie_seal(&srv, &k, c), 0);
	k.aead = 2;
	CU_ASSERT_EQUAL(nts_cookie_seal(&srv, &k, c), 0);
}

static void
test_cookie_bad(void)
{
	struct nts_keys k, out;
	uint8_t c[NTS_COOKIE_MAX], t[NTS_COOKIE_MAX + 4];
	size_t len, i;

	setup();
	keys(&k, NTS_AEAD_AES_SIV_CMAC_256, 3);
	len = nts_cookie_seal(&srv, &k, c);
	CU_ASSERT_EQUAL(nts_cookie_open(&srv, c, 3, &out), STRATA_NTS_NAK_COOKIE);
	CU_ASSERT_EQUAL(nts_cookie_open(&srv, c, len - 4, &out), STRATA_NTS_NAK_COOKIE);
	memcpy(t, c, len);
	memset(t + len, 0, 4);
	CU_ASSERT_EQUAL(nts_cookie_open(&srv, t, len + 4, &out), STRATA_NTS_NAK_COOKIE);
	/* a cookie of one length opened as the other */
	CU_ASSERT_EQUAL(nts_cookie_open(&srv, t, 168, &out), STRATA_NTS_NAK_COOKIE);
	/* every octet matters: the key ID names another key, the rest fails SIV */
	for (i = 0; i < len; i++) {
		memcpy(t, c, len);
		t[i] ^= 0x10;
		CU_ASSERT_EQUAL(nts_cookie_open(&srv, t, len, &out),
				i < 4 ? STRATA_NTS_NAK_KEY : STRATA_NTS_NAK_COOKIE);
	}
}

static void
test_rotation(void)
{
	struct nts_keys k, out;
	uint8_t old[NTS_COOKIE_MAX], c[NTS_COOKIE_MAX];
	size_t len;

	setup();
	keys(&k, NTS_AEAD_AES_SIV_CMAC_512, 5);
	len = nts_cookie_seal(&srv, &k, old);

	/* a second key becomes current: old cookies still open, new ones use it */
	ring_key(1, 0x11223344, 1796604800);
	ring_publish(2, 1);
	CU_ASSERT_EQUAL(nts_server_sync(&srv, &ring), 1);
	CU_ASSERT_EQUAL(nts_server_sync(&srv, &ring), 0);
	CU_ASSERT_EQUAL(nts_cookie_open(&srv, old, len, &out), STRATA_NTS_REPLY);
	CU_ASSERT(keys_equal(&k, &out));
	CU_ASSERT_EQUAL(nts_cookie_seal(&srv, &k, c), len);
	CU_ASSERT_EQUAL(get16(c), 0x1122);
	CU_ASSERT_EQUAL(nts_cookie_open(&srv, c, len, &out), STRATA_NTS_REPLY);

	/* the first key rotates out: its cookies name a key no longer kept */
	ring.k[0] = ring.k[1];
	ring_publish(1, 0);
	CU_ASSERT_EQUAL(nts_server_sync(&srv, &ring), 1);
	CU_ASSERT_EQUAL(nts_cookie_open(&srv, old, len, &out), STRATA_NTS_NAK_KEY);
	CU_ASSERT_EQUAL(nts_cookie_open(&srv, c, len, &out), STRATA_NTS_REPLY);

	/* same key ID, different key material: the cookie does not open */
	ring.k[0].key[0] ^= 1;
	ring_publish(1, 0);
	CU_ASSERT_EQUAL(nts_server_sync(&srv, &ring), 1);
	CU_ASSERT_EQUAL(nts_cookie_open(&srv, c, len, &out), STRATA_NTS_NAK_COOKIE);
}

static void
test_sync(void)
{
	struct nts_keys k;
	uint8_t c[NTS_COOKIE_MAX];
	uint64_t gen;

	memset(&ring, 0, sizeof(ring));
	CU_ASSERT_EQUAL(nts_server_init(&srv), 0);
	CU_ASSERT_EQUAL(srv.gen, 0);
	/* nothing published yet: generation 0, no keys */
	CU_ASSERT_EQUAL(nts_server_sync(&srv, &ring), 0);
	CU_ASSERT_EQUAL(srv.n, 0);

	/* a write under way (odd count): nothing adopted, try again later */
	ring_key(0, 7, 1);
	ring.seq++;
	ring.n = 1;
	ring.gen++;
	CU_ASSERT_EQUAL(nts_server_sync(&srv, &ring), -EAGAIN);
	CU_ASSERT_EQUAL(srv.n, 0);
	CU_ASSERT_EQUAL(srv.gen, 0);
	ring.seq++;
	CU_ASSERT_EQUAL(nts_server_sync(&srv, &ring), 1);
	CU_ASSERT_EQUAL(srv.n, 1);
	CU_ASSERT_EQUAL(srv.gen, 1);
	CU_ASSERT_EQUAL(nts_server_sync(&srv, &ring), 0);

	/* a ring that breaks its rules is refused, the old keys stay */
	gen = ring.gen;
	ring_publish(NTS_MAX_MASTER_KEYS + 1, 0);
	CU_ASSERT_EQUAL(nts_server_sync(&srv, &ring), -EINVAL);
	ring_publish(2, 2);
	CU_ASSERT_EQUAL(nts_server_sync(&srv, &ring), -EINVAL);
	CU_ASSERT_EQUAL(srv.gen, gen);
	CU_ASSERT_EQUAL(srv.n, 1);

	/* NTS turned off: no keys, nothing sealed */
	ring_publish(0, 0);
	CU_ASSERT_EQUAL(nts_server_sync(&srv, &ring), 1);
	CU_ASSERT_EQUAL(srv.n, 0);
	keys(&k, NTS_AEAD_AES_SIV_CMAC_256, 1);
	CU_ASSERT_EQUAL(nts_cookie_seal(&srv, &k, c), 0);

	/* two servers' nonce prefixes differ (getrandom) */
	{
		struct nts_server a, b;

		CU_ASSERT_EQUAL(nts_server_init(&a), 0);
		CU_ASSERT_EQUAL(nts_server_init(&b), 0);
		CU_ASSERT(memcmp(a.prefix, b.prefix, sizeof(a.prefix)) != 0);
	}
}

/* ---- the server's checks and answers (RFC 8915 section 5.7) ---- */

/* Check the reply at @p, @len octets, for @k: layout, cookies that open. @return cookies. */
static unsigned
check_reply(const uint8_t *p, uint32_t len, const struct nts_keys *k)
{
	uint8_t pt[2048];
	size_t a = NTP_HEADER_LEN + 4 + NTS_UID_LEN, clen, pos;
	size_t cef = 4 + nts_cookie_len(k->aead);
	unsigned n = 0;
	int ok;

	/* header, unique identifier, authenticator and nothing else */
	CU_ASSERT_EQUAL_FATAL(get16(p + 48), NTP_EF_NTS_UNIQUE_ID);
	CU_ASSERT_EQUAL_FATAL(get16(p + 50), 4 + NTS_UID_LEN);
	CU_ASSERT(memcmp(p + 52, UID, NTS_UID_LEN) == 0);
	CU_ASSERT_EQUAL_FATAL(get16(p + a), NTP_EF_NTS_AUTHENTICATOR);
	CU_ASSERT_EQUAL_FATAL(a + get16(p + a + 2), len);
	CU_ASSERT_EQUAL_FATAL(get16(p + a + 4), 16);
	clen = get16(p + a + 6);
	CU_ASSERT_EQUAL_FATAL(8 + 16 + clen, get16(p + a + 2));
	CU_ASSERT_FATAL(clen >= 16 && (clen - 16) % cef == 0);
	/* the associated data: everything before the authenticator, under S2C */
	if (k->aead == NTS_AEAD_AES_SIV_CMAC_512) {
		struct siv_cmac_aes256_ctx c;

		siv_cmac_aes256_set_key(&c, k->s2c);
		ok = siv_cmac_aes256_decrypt_message(&c, 16, p + a + 8, a, p, clen - 16, pt,
						     p + a + 24);
	} else {
		struct siv_cmac_aes128_ctx c;

		siv_cmac_aes128_set_key(&c, k->s2c);
		ok = siv_cmac_aes128_decrypt_message(&c, 16, p + a + 8, a, p, clen - 16, pt,
						     p + a + 24);
	}
	CU_ASSERT_FATAL(ok);
	for (pos = 0; pos < clen - 16; pos += cef, n++) {
		struct nts_keys out;

		CU_ASSERT_EQUAL(get16(pt + pos), NTP_EF_NTS_COOKIE);
		CU_ASSERT_EQUAL(get16(pt + pos + 2), cef);
		CU_ASSERT_EQUAL(nts_cookie_open(&srv, pt + pos + 4, cef - 4, &out),
				STRATA_NTS_REPLY);
		CU_ASSERT(keys_equal(k, &out));
	}
	return n;
}

static void
test_reply(void)
{
	uint8_t p[2048];
	struct nts_request r;
	struct nts_keys k;
	unsigned a, ph;

	setup();
	for (a = 0; a < 2; a++) {
		keys(&k, AEADS[a], (uint8_t)(40 + a));
		for (ph = 0; ph < NTS_KE_COOKIES; ph++) {
			uint32_t len = (uint32_t)request(p, &k, ph), out, n = 99;

			CU_ASSERT_EQUAL_FATAL(nts_server_check(&srv, p, len, &r), STRATA_NTS_REPLY);
			CU_ASSERT(keys_equal(&k, &r.keys));
			CU_ASSERT_EQUAL(r.cookies, 1 + ph);
			CU_ASSERT_EQUAL(r.uid_off, 48);
			CU_ASSERT_EQUAL(r.uid_len, 36);
			CU_ASSERT_EQUAL(r.len, len);
			p[0] = NTP_LVM(NTP_LEAP_NONE, 4, NTP_MODE_SERVER); /* the reply builder's */
			out = nts_server_seal(&srv, &r, p, &n);
			CU_ASSERT(out <= len);
			CU_ASSERT_EQUAL(n, 1 + ph);
			CU_ASSERT_EQUAL(check_reply(p, out, &k), n);
		}
	}
}

static void
test_reply_encrypted_fields(void)
{
	uint8_t p[2048], c[NTS_COOKIE_MAX], pt[40];
	struct nts_request r;
	struct nts_keys k;
	size_t pos, cl;
	uint32_t n;

	/* the client's encrypted fields must decrypt; their contents are ignored */
	setup();
	keys(&k, NTS_AEAD_AES_SIV_CMAC_256, 77);
	memset(pt, 0, sizeof(pt));
	put16(pt, 0x7777);
	put16(pt + 2, sizeof(pt));
	pos = hdr(p);
	cl = nts_cookie_seal(&srv, &k, c);
	ef(p, &pos, NTP_EF_NTS_UNIQUE_ID, UID, sizeof(UID));
	ef(p, &pos, NTP_EF_NTS_COOKIE, c, cl);
	auth(p, &pos, &k, 16, pt, sizeof(pt), 0);
	CU_ASSERT_EQUAL_FATAL(nts_server_check(&srv, p, (uint32_t)pos, &r), STRATA_NTS_REPLY);
	CU_ASSERT(nts_server_seal(&srv, &r, p, &n) <= pos);
	CU_ASSERT_EQUAL(n, 1);

	/* an unknown field in the clear before the authenticator is ignored */
	pos = hdr(p);
	ef(p, &pos, 0x1234, NULL, 12);
	ef(p, &pos, NTP_EF_NTS_UNIQUE_ID, UID, sizeof(UID));
	ef(p, &pos, NTP_EF_NTS_COOKIE, c, cl);
	auth(p, &pos, &k, 16, NULL, 0, 0);
	CU_ASSERT_EQUAL(nts_server_check(&srv, p, (uint32_t)pos, &r), STRATA_NTS_REPLY);
	CU_ASSERT_EQUAL(r.uid_off, 64);
	CU_ASSERT_EQUAL(nts_server_seal(&srv, &r, p, &n), 48 + 36 + 40 + 108);
	CU_ASSERT_EQUAL(check_reply(p, 48 + 36 + 40 + 108, &k), 1);

	/* a short nonce with the additional padding of section 5.6 */
	pos = hdr(p);
	ef(p, &pos, NTP_EF_NTS_UNIQUE_ID, UID, sizeof(UID));
	ef(p, &pos, NTP_EF_NTS_COOKIE, c, cl);
	auth(p, &pos, &k, 5, NULL, 0, 8);
	CU_ASSERT_EQUAL(nts_server_check(&srv, p, (uint32_t)pos, &r), STRATA_NTS_REPLY);
	/* and a long one */
	pos = hdr(p);
	ef(p, &pos, NTP_EF_NTS_UNIQUE_ID, UID, sizeof(UID));
	ef(p, &pos, NTP_EF_NTS_COOKIE, c, cl);
	auth(p, &pos, &k, 33, NULL, 0, 0);
	CU_ASSERT_EQUAL(nts_server_check(&srv, p, (uint32_t)pos, &r), STRATA_NTS_REPLY);
}

static void
test_reply_length(void)
{
	uint8_t p[4096];
	struct nts_request r;
	struct nts_keys k;
	uint32_t len, out, n;

	setup();
	keys(&k, NTS_AEAD_AES_SIV_CMAC_512, 1);
	/* more than eight asked: eight, a client keeps no more */
	len = (uint32_t)request(p, &k, 11);
	CU_ASSERT_EQUAL_FATAL(nts_server_check(&srv, p, len, &r), STRATA_NTS_REPLY);
	CU_ASSERT_EQUAL(r.cookies, 12);
	out = nts_server_seal(&srv, &r, p, &n);
	CU_ASSERT_EQUAL(n, NTS_KE_COOKIES);
	CU_ASSERT(out < len);
	CU_ASSERT_EQUAL(check_reply(p, out, &k), NTS_KE_COOKIES);

	/*
	 * Never longer than the request: with the padding rule of section
	 * 5.6 a valid request always has room, so shrink what check()
	 * recorded to see the cookies go one by one.
	 */
	for (uint32_t cut = 0; cut <= 3 * 172; cut += 43) {
		len = (uint32_t)request(p, &k, 3);
		CU_ASSERT_EQUAL_FATAL(nts_server_check(&srv, p, len, &r), STRATA_NTS_REPLY);
		r.len -= cut;
		out = nts_server_seal(&srv, &r, p, &n);
		CU_ASSERT(out <= r.len);
		CU_ASSERT_EQUAL(n, 4 - (cut + 171) / 172);
		CU_ASSERT_EQUAL(check_reply(p, out, &k), n);
	}
}

static void
test_nak(void)
{
	uint8_t p[2048], q[2048];
	struct nts_request r;
	struct nts_keys k, wrong;
	uint32_t len, i, a;

	setup();
	keys(&k, NTS_AEAD_AES_SIV_CMAC_256, 2);
	len = (uint32_t)request(p, &k, 1);
	a = len - 40;

	/* any octet before the authenticator, or the tag: NAK_AUTH */
	for (i = 0; i < len; i++) {
		enum strata_nts_counter want;

		memcpy(q, p, len);
		q[i] ^= 0x01;
		if (i >= 88 && i < 92)
			want = STRATA_NTS_NAK_KEY; /* the cookie's key ID */
		else if (i >= 92 && i < 88 + 104)
			want = STRATA_NTS_NAK_COOKIE; /* the cookie */
		else if ((i >= 48 && i < 52) || (i >= 84 && i < 88) ||
			 (i >= 88 + 104 && i < 88 + 104 + 4) || (i >= a && i < a + 8))
			continue; /* field headers: lengths and types, checked below */
		else
			want = STRATA_NTS_NAK_AUTH;
		if (nts_server_check(&srv, q, len, &r) != want)
			CU_FAIL("wrong verdict for a changed octet");
	}

	/* under another C2S key: NAK_AUTH; the NAK echoes the UID alone */
	memcpy(q, p, len);
	wrong = k;
	wrong.c2s[0] ^= 1;
	{
		size_t pos = a;

		auth(q, &pos, &wrong, 16, NULL, 0, 0);
		CU_ASSERT_EQUAL(pos, len);
	}
	CU_ASSERT_EQUAL(nts_server_check(&srv, q, len, &r), STRATA_NTS_NAK_AUTH);
	CU_ASSERT_EQUAL(nts_server_nak(&r, q), 48 + 36);
	CU_ASSERT_EQUAL(get16(q + 48), NTP_EF_NTS_UNIQUE_ID);
	CU_ASSERT(memcmp(q + 52, UID, 32) == 0);

	/* a key ID we do not keep, with the UID after the cookie */
	{
		uint8_t c[NTS_COOKIE_MAX];
		size_t pos = hdr(q), cl = nts_cookie_seal(&srv, &k, c);

		c[0] ^= 0x80;
		ef(q, &pos, NTP_EF_NTS_COOKIE, c, cl);
		ef(q, &pos, NTP_EF_NTS_UNIQUE_ID, UID, sizeof(UID));
		auth(q, &pos, &k, 16, NULL, 0, 0);
		CU_ASSERT_EQUAL(nts_server_check(&srv, q, (uint32_t)pos, &r), STRATA_NTS_NAK_KEY);
		CU_ASSERT_EQUAL(r.uid_off, 48 + 108);
		CU_ASSERT_EQUAL(nts_server_nak(&r, q), 48 + 36);
		CU_ASSERT(memcmp(q + 52, UID, 32) == 0);
	}
	/* a cookie of a wrong length under our key ID, placeholders to match */
	{
		uint8_t c[NTS_COOKIE_MAX];
		size_t pos = hdr(q);

		nts_cookie_seal(&srv, &k, c);
		ef(q, &pos, NTP_EF_NTS_UNIQUE_ID, UID, sizeof(UID));
		ef(q, &pos, NTP_EF_NTS_COOKIE, c, 100);
		ef(q, &pos, NTP_EF_NTS_COOKIE_PLACEHOLDER, NULL, 100);
		auth(q, &pos, &k, 16, NULL, 0, 0);
		CU_ASSERT_EQUAL(nts_server_check(&srv, q, (uint32_t)pos, &r),
				STRATA_NTS_NAK_COOKIE);
	}
}

/* Build a request from parts; the drop cases each leave one out or break one. */
enum {
	NO_UID = 1 << 0,
	NO_COOKIE = 1 << 1,
	TWO_COOKIES = 1 << 2,
	NO_AUTH = 1 << 3,
	EF_AFTER_AUTH = 1 << 4,
	TWO_UIDS = 1 << 5,
	SHORT_UID = 1 << 6,
	BAD_PH = 1 << 7,
	MIXED_PH = 1 << 8,
	SHORT_NONCE = 1 << 9,
};

static uint32_t
build(uint8_t *p, const struct nts_keys *k, unsigned what)
{
	uint8_t c[NTS_COOKIE_MAX];
	size_t pos = hdr(p), cl = nts_cookie_seal(&srv, k, c);

	if (!(what & NO_UID))
		ef(p, &pos, NTP_EF_NTS_UNIQUE_ID, UID, what & SHORT_UID ? 28 : sizeof(UID));
	if (what & TWO_UIDS)
		ef(p, &pos, NTP_EF_NTS_UNIQUE_ID, UID, sizeof(UID));
	if (!(what & NO_COOKIE))
		ef(p, &pos, NTP_EF_NTS_COOKIE, c, cl);
	if (what & TWO_COOKIES)
		ef(p, &pos, NTP_EF_NTS_COOKIE, c, cl);
	ef(p, &pos, NTP_EF_NTS_COOKIE_PLACEHOLDER, NULL, what & BAD_PH ? cl - 4 : cl);
	if (what & MIXED_PH)
		ef(p, &pos, NTP_EF_NTS_COOKIE_PLACEHOLDER, NULL, cl + 4);
	if (!(what & NO_AUTH))
		auth(p, &pos, k, what & SHORT_NONCE ? 12 : 16, NULL, 0, 0);
	if (what & EF_AFTER_AUTH)
		ef(p, &pos, 0x2222, NULL, 12);
	return (uint32_t)pos;
}

static void
test_drop(void)
{
	static const struct {
		unsigned what;
		enum strata_nts_counter want;
	} cases[] = {
		{0, STRATA_NTS_REPLY},
		{NO_UID, STRATA_NTS_DROP_NO_UID},
		{NO_UID | NO_COOKIE, STRATA_NTS_DROP_NO_UID},
		{NO_COOKIE, STRATA_NTS_DROP_NO_COOKIE},
		{TWO_COOKIES, STRATA_NTS_DROP_NO_COOKIE},
		{NO_AUTH, STRATA_NTS_DROP_MALFORMED},
		{EF_AFTER_AUTH, STRATA_NTS_DROP_MALFORMED},
		{TWO_UIDS, STRATA_NTS_DROP_MALFORMED},
		{SHORT_UID, STRATA_NTS_DROP_MALFORMED},
		{BAD_PH, STRATA_NTS_DROP_MALFORMED},
		{MIXED_PH, STRATA_NTS_DROP_MALFORMED},
		/* section 5.6: a 12-octet nonce without padding to 16 */
		{SHORT_NONCE, STRATA_NTS_DROP_MALFORMED},
	};
	uint8_t p[2048];
	struct nts_request r;
	struct nts_keys k;
	unsigned i, a;

	setup();
	for (a = 0; a < 2; a++) {
		keys(&k, AEADS[a], 8);
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			uint32_t len = build(p, &k, cases[i].what);

			CU_ASSERT_EQUAL(nts_server_check(&srv, p, len, &r), cases[i].want);
		}
	}
}

static void
test_malformed(void)
{
	uint8_t p[2048], q[2048];
	struct nts_request r;
	struct nts_keys k;
	uint32_t len, a;

	setup();
	keys(&k, NTS_AEAD_AES_SIV_CMAC_256, 4);
	len = (uint32_t)request(p, &k, 0);
	a = len - 40;
	CU_ASSERT_EQUAL(nts_server_check(&srv, p, len, &r), STRATA_NTS_REPLY);

#define CHECK(want)                                                                                \
	CU_ASSERT_EQUAL(nts_server_check(&srv, q, len, &r), want);                                 \
	memcpy(q, p, len)

	memcpy(q, p, len);
	/* truncations: anywhere short of the end */
	for (uint32_t l = 0; l < len; l++) {
		enum strata_nts_counter want = STRATA_NTS_DROP_MALFORMED;

		if (l == 48)
			want = STRATA_NTS_DROP_NO_UID;
		else if (l == 48 + 36)
			want = STRATA_NTS_DROP_NO_COOKIE;
		if (nts_server_check(&srv, p, l, &r) != want)
			CU_FAIL("truncated request not dropped");
	}
	CU_ASSERT_EQUAL(nts_server_check(&srv, p, 47, &r), STRATA_NTS_DROP_MALFORMED);
	/* a field longer than what is left, one not a multiple of 4, one under 16 */
	put16(q + 50, 40);
	CHECK(STRATA_NTS_DROP_MALFORMED);
	put16(q + a + 2, 44);
	CHECK(STRATA_NTS_DROP_MALFORMED);
	put16(q + a + 2, 38);
	CHECK(STRATA_NTS_DROP_MALFORMED);
	put16(q + 50, 2);
	CHECK(STRATA_NTS_DROP_MALFORMED);
	put16(q + 50, 0);
	CHECK(STRATA_NTS_DROP_MALFORMED);
	/* nonce or ciphertext lengths past the field, a ciphertext without a tag, no nonce */
	put16(q + a + 4, 17);
	CHECK(STRATA_NTS_DROP_MALFORMED);
	put16(q + a + 4, 0xffff);
	CHECK(STRATA_NTS_DROP_MALFORMED);
	put16(q + a + 6, 17);
	CHECK(STRATA_NTS_DROP_MALFORMED);
	put16(q + a + 6, 0xfff0);
	CHECK(STRATA_NTS_DROP_MALFORMED);
	put16(q + a + 6, 12);
	CHECK(STRATA_NTS_DROP_MALFORMED);
	put16(q + a + 4, 0);
	CHECK(STRATA_NTS_DROP_MALFORMED);
	/* a shorter nonce than written (the padding rule holds): NAK_AUTH, not a crash */
	put16(q + a + 4, 15);
	CHECK(STRATA_NTS_NAK_AUTH);
	/* a request past strata's limit */
	CU_ASSERT_EQUAL(nts_server_check(&srv, p, 4097, &r), STRATA_NTS_DROP_MALFORMED);
#undef CHECK
}

static void
test_no_keys(void)
{
	uint8_t p[2048];
	struct nts_request r;
	struct nts_keys k;
	uint32_t len;

	setup();
	keys(&k, NTS_AEAD_AES_SIV_CMAC_256, 4);
	len = (uint32_t)request(p, &k, 0);
	ring_publish(0, 0);
	CU_ASSERT_EQUAL(nts_server_sync(&srv, &ring), 1);
	CU_ASSERT_EQUAL(nts_server_check(&srv, p, len, &r), STRATA_NTS_DROP_NO_KEYS);
	CU_ASSERT_EQUAL(nts_server_check(&srv, p, 10, &r), STRATA_NTS_DROP_NO_KEYS);
}

/* nts_client_request() builds what the hand-built client builds */
static void
test_client_request(void)
{
	uint8_t p[2048], q[2048], c[NTS_COOKIE_MAX];
	struct nts_request r;
	struct nts_keys k;
	size_t len, cl, pos;
	unsigned a, ph;

	setup();
	for (a = 0; a < 2; a++) {
		keys(&k, AEADS[a], 60);
		cl = nts_cookie_seal(&srv, &k, c);
		for (ph = 0; ph <= NTS_KE_COOKIES; ph++) {
			hdr(p);
			len = nts_client_request(&k, UID, c, cl, ph, NONCE, p, sizeof(p));
			CU_ASSERT_EQUAL_FATAL(len, 48 + 36 + (1 + ph) * (4 + cl) + 40);
			CU_ASSERT_EQUAL(nts_server_check(&srv, p, (uint32_t)len, &r),
					STRATA_NTS_REPLY);
			CU_ASSERT_EQUAL(r.cookies, 1 + ph);

			pos = hdr(q);
			ef(q, &pos, NTP_EF_NTS_UNIQUE_ID, UID, sizeof(UID));
			ef(q, &pos, NTP_EF_NTS_COOKIE, c, cl);
			for (unsigned i = 0; i < ph; i++)
				ef(q, &pos, NTP_EF_NTS_COOKIE_PLACEHOLDER, NULL, cl);
			CU_ASSERT_EQUAL(pos + 40, len);
			CU_ASSERT(memcmp(p, q, pos) == 0);
			CU_ASSERT_EQUAL(get16(p + pos), NTP_EF_NTS_AUTHENTICATOR);
			CU_ASSERT_EQUAL(get16(p + pos + 2), 40);
			CU_ASSERT_EQUAL(get16(p + pos + 4), 16);
			CU_ASSERT_EQUAL(get16(p + pos + 6), 16);
			CU_ASSERT(memcmp(p + pos + 8, NONCE, 16) == 0);
		}
	}
	/* no room, bad keys, no cookie */
	hdr(p);
	CU_ASSERT_EQUAL(nts_client_request(&k, UID, c, cl, 0, NONCE, p, 48 + 36 + 172 + 39), 0);
	CU_ASSERT_EQUAL(nts_client_request(&k, UID, c, cl, 0, NONCE, p, 48 + 36 + 172 + 40),
			48 + 36 + 172 + 40);
	CU_ASSERT_EQUAL(nts_client_request(&k, UID, c, 0, 0, NONCE, p, sizeof(p)), 0);
	k.len = 32;
	CU_ASSERT_EQUAL(nts_client_request(&k, UID, c, cl, 0, NONCE, p, sizeof(p)), 0);
}

/* ---- the client's check of replies (RFC 8915 section 5.7) ---- */

static void
test_client_verify(void)
{
	uint8_t p[4096], c[NTS_COOKIE_MAX], q[4096];
	struct nts_client_cookies got;
	struct nts_request r;
	struct nts_keys k, out;
	uint8_t other[NTS_UID_LEN];
	size_t len, cl;
	uint32_t rlen, n, i;
	unsigned a, ph;

	setup();
	for (a = 0; a < 2; a++) {
		keys(&k, AEADS[a], (uint8_t)(90 + a));
		cl = nts_cookie_seal(&srv, &k, c);
		for (ph = 0; ph < NTS_KE_COOKIES; ph++) {
			hdr(p);
			len = nts_client_request(&k, UID, c, cl, ph, NONCE, p, sizeof(p));
			CU_ASSERT_EQUAL_FATAL(nts_server_check(&srv, p, (uint32_t)len, &r),
					      STRATA_NTS_REPLY);
			p[0] = NTP_LVM(NTP_LEAP_NONE, 4, NTP_MODE_SERVER);
			p[1] = 2;
			rlen = nts_server_seal(&srv, &r, p, &n);
			CU_ASSERT_EQUAL_FATAL(nts_client_verify(&k, UID, p, rlen, &got), 0);
			CU_ASSERT_EQUAL(got.n, 1 + ph);
			for (i = 0; i < got.n; i++) {
				CU_ASSERT_EQUAL(got.len[i], cl);
				CU_ASSERT_EQUAL(nts_cookie_open(&srv, got.c[i], got.len[i], &out),
						STRATA_NTS_REPLY);
				CU_ASSERT(keys_equal(&k, &out));
				/* and the fresh cookie makes the next request */
				hdr(q);
				len = nts_client_request(&k, UID, got.c[i], got.len[i], 0, NONCE, q,
							 sizeof(q));
				CU_ASSERT_EQUAL(nts_server_check(&srv, q, (uint32_t)len, &r),
						STRATA_NTS_REPLY);
			}
		}
	}

	/* every changed octet of a reply fails it */
	hdr(p);
	len = nts_client_request(&k, UID, c, cl, 1, NONCE, p, sizeof(p));
	CU_ASSERT_EQUAL_FATAL(nts_server_check(&srv, p, (uint32_t)len, &r), STRATA_NTS_REPLY);
	p[1] = 2;
	rlen = nts_server_seal(&srv, &r, p, &n);
	for (i = 0; i < rlen; i++) {
		memcpy(q, p, rlen);
		q[i] ^= 0x04;
		if (nts_client_verify(&k, UID, q, rlen, &got) != -1)
			CU_FAIL("a changed reply verified");
	}
	for (i = 0; i < rlen; i++)
		if (nts_client_verify(&k, UID, p, i, &got) != -1)
			CU_FAIL("a truncated reply verified");
	/* another request's identifier, or the other direction's key */
	memcpy(other, UID, sizeof(other));
	other[31] ^= 1;
	CU_ASSERT_EQUAL(nts_client_verify(&k, other, p, rlen, &got), -1);
	out = k;
	memcpy(out.s2c, k.c2s, k.len);
	CU_ASSERT_EQUAL(nts_client_verify(&out, UID, p, rlen, &got), -1);
	CU_ASSERT_EQUAL(nts_client_verify(&k, UID, p, rlen, &got), 0);

	/* the NAK: kiss NTSN with our identifier; with another's it is ignored */
	hdr(p);
	len = nts_client_request(&k, UID, c, cl, 0, NONCE, p, sizeof(p));
	p[100] ^= 1; /* in the cookie */
	CU_ASSERT_EQUAL_FATAL(nts_server_check(&srv, p, (uint32_t)len, &r), STRATA_NTS_NAK_COOKIE);
	memset(p, 0, 48);
	p[0] = NTP_LVM(NTP_LEAP_UNSYNC, 4, NTP_MODE_SERVER);
	memcpy(p + 12, "NTSN", 4);
	rlen = nts_server_nak(&r, p);
	CU_ASSERT_EQUAL(nts_client_verify(&k, UID, p, rlen, &got), 1);
	CU_ASSERT_EQUAL(nts_client_verify(&k, other, p, rlen, &got), -1);
	memcpy(p + 12, "RATE", 4);
	CU_ASSERT_EQUAL(nts_client_verify(&k, UID, p, rlen, &got), -1);
}

/* ---- NTS-KE records (RFC 8915 section 4) ---- */

static size_t
rec(uint8_t *b, size_t pos, unsigned type, int crit, const char *body, size_t len)
{
	CU_ASSERT_EQUAL_FATAL(nts_ke_put(b, 2048, &pos, (uint16_t)type, crit, body, len), 0);
	return pos;
}

static void
test_ke_request(void)
{
	static const uint16_t both[] = {17, 15}, none[] = {1, 2};
	uint8_t b[2048];
	struct nts_ke_request r;
	size_t len, i;

	/* the client's request as nts_ke_write_request() writes it */
	len = nts_ke_write_request(b, sizeof(b), both, 2);
	CU_ASSERT_EQUAL_FATAL(len, 4 + 2 + 4 + 4 + 4);
	CU_ASSERT(memcmp(b,
			 "\x80\x01\x00\x02\x00\x00\x80\x04\x00\x04\x00\x11\x00\x0f"
			 "\x80\x00\x00\x00",
			 len) == 0);
	CU_ASSERT_EQUAL(nts_ke_parse_request(b, len, &r), 1);
	CU_ASSERT_EQUAL(r.aead, 17);
	/* octet by octet: incomplete until the End of Message */
	for (i = 0; i < len; i++)
		CU_ASSERT_EQUAL(nts_ke_parse_request(b, i, &r), 0);
	CU_ASSERT_EQUAL(nts_ke_write_request(b, len - 1, both, 2), 0);
	CU_ASSERT_EQUAL(nts_ke_write_request(b, sizeof(b), both, 0), 0);

	/* first choice that strata offers, in the client's order */
	len = rec(b, 0, 1, 1, "\0\0", 2);
	len = rec(b, len, 4, 0, "\0\x1e\0\x0f\0\x11", 6);
	len = rec(b, len, 0, 1, NULL, 0);
	CU_ASSERT_EQUAL(nts_ke_parse_request(b, len, &r), 1);
	CU_ASSERT_EQUAL(r.aead, 15);
	/* records after the End of Message are not read */
	len = rec(b, len, 0x4444, 1, "x", 1);
	CU_ASSERT_EQUAL(nts_ke_parse_request(b, len, &r), 1);

	/* unknown non-critical records, Server and Port records: accepted */
	len = rec(b, 0, 0x1234, 0, "abc", 3);
	len = rec(b, len, 6, 0, "ntp.example", 11);
	len = rec(b, len, 7, 0, "\0\x7b", 2);
	len = rec(b, len, 1, 1, "\x80\x01\0\0", 4);
	len = rec(b, len, 4, 1, "\0\x0f", 2);
	len = rec(b, len, 0, 1, NULL, 0);
	CU_ASSERT_EQUAL(nts_ke_parse_request(b, len, &r), 1);

	/* refused, and why */
#define REFUSED(code)                                                                              \
	do {                                                                                       \
		r.error = 99;                                                                      \
		CU_ASSERT_EQUAL(nts_ke_parse_request(b, len, &r), -1);                             \
		CU_ASSERT_EQUAL(r.error, code);                                                    \
	} while (0)
	/* an unknown critical record: error 0 */
	len = rec(b, 0, 0x1234, 1, "abc", 3);
	REFUSED(NTS_KE_ERR_UNRECOGNIZED_CRITICAL);
	/* no NTPv4 in Next Protocol */
	len = rec(b, 0, 1, 1, "\x80\x01", 2);
	len = rec(b, len, 4, 1, "\0\x0f", 2);
	len = rec(b, len, 0, 1, NULL, 0);
	REFUSED(NTS_KE_ERR_BAD_REQUEST);
	/* no Next Protocol at all, or no AEAD, or none we offer */
	len = rec(b, 0, 4, 1, "\0\x0f", 2);
	len = rec(b, len, 0, 1, NULL, 0);
	REFUSED(NTS_KE_ERR_BAD_REQUEST);
	len = rec(b, 0, 1, 1, "\0\0", 2);
	len = rec(b, len, 0, 1, NULL, 0);
	REFUSED(NTS_KE_ERR_BAD_REQUEST);
	len = nts_ke_write_request(b, sizeof(b), none, 2);
	REFUSED(NTS_KE_ERR_BAD_REQUEST);
	/* bodies of wrong lengths, a Next Protocol not critical, twice */
	len = rec(b, 0, 1, 1, "\0\0\0", 3);
	REFUSED(NTS_KE_ERR_BAD_REQUEST);
	len = rec(b, 0, 1, 1, NULL, 0);
	REFUSED(NTS_KE_ERR_BAD_REQUEST);
	len = rec(b, 0, 4, 1, "\0\x0f\0", 3);
	REFUSED(NTS_KE_ERR_BAD_REQUEST);
	len = rec(b, 0, 1, 0, "\0\0", 2);
	REFUSED(NTS_KE_ERR_BAD_REQUEST);
	len = rec(b, 0, 1, 1, "\0\0", 2);
	len = rec(b, len, 1, 1, "\0\0", 2);
	REFUSED(NTS_KE_ERR_BAD_REQUEST);
	len = rec(b, 0, 4, 1, "\0\x0f", 2);
	len = rec(b, len, 4, 1, "\0\x0f", 2);
	REFUSED(NTS_KE_ERR_BAD_REQUEST);
	len = rec(b, 0, 7, 0, "\0\x7b\0", 3);
	REFUSED(NTS_KE_ERR_BAD_REQUEST);
	/* End of Message not critical, or with a body */
	len = rec(b, 0, 1, 1, "\0\0", 2);
	len = rec(b, len, 4, 1, "\0\x0f", 2);
	len = rec(b, len, 0, 0, NULL, 0);
	REFUSED(NTS_KE_ERR_BAD_REQUEST);
	len = rec(b, 0, 1, 1, "\0\0", 2);
	len = rec(b, len, 4, 1, "\0\x0f", 2);
	len = rec(b, len, 0, 1, "\0\0", 2);
	REFUSED(NTS_KE_ERR_BAD_REQUEST);
	/* the server's records from a client */
	len = rec(b, 0, 2, 1, "\0\0", 2);
	REFUSED(NTS_KE_ERR_BAD_REQUEST);
	len = rec(b, 0, 3, 1, "\0\0", 2);
	REFUSED(NTS_KE_ERR_BAD_REQUEST);
	len = rec(b, 0, 5, 0, "cookie", 6);
	REFUSED(NTS_KE_ERR_BAD_REQUEST);
	/* more than 64 records, or past 1024 octets, even before End */
	len = 0;
	for (i = 0; i < 65; i++)
		len = rec(b, len, 0x1234, 0, NULL, 0);
	REFUSED(NTS_KE_ERR_BAD_REQUEST);
	len = rec(b, 0, 0x1234, 0, (const char *)b + 1024, 1021);
	CU_ASSERT_EQUAL(nts_ke_parse_request(b, 1000, &r), -1);
	CU_ASSERT_EQUAL(nts_ke_parse_request(b, 3, &r), 0);
	len = rec(b, 0, 0x1234, 0, (const char *)b + 1024, 1016);
	CU_ASSERT_EQUAL(nts_ke_parse_request(b, len, &r), 0);
#undef REFUSED
}

static void
test_ke_put(void)
{
	uint8_t b[16];
	size_t pos = 0;

	CU_ASSERT_EQUAL(nts_ke_put(b, sizeof(b), &pos, 5, 0, "0123456789ab", 12), 0);
	CU_ASSERT_EQUAL(pos, 16);
	CU_ASSERT(memcmp(b,
			 "\x00\x05\x00\x0c"
			 "0123456789ab",
			 16) == 0);
	CU_ASSERT_EQUAL(nts_ke_put(b, sizeof(b), &pos, 0, 1, NULL, 0), -1);
	pos = 0;
	CU_ASSERT_EQUAL(nts_ke_put(b, sizeof(b), &pos, 5, 0, "0123456789abc", 13), -1);
	CU_ASSERT_EQUAL(pos, 0);
	CU_ASSERT_EQUAL(nts_ke_put(b, sizeof(b), &pos, 0, 1, NULL, 0), 0);
	CU_ASSERT(memcmp(b, "\x80\x00\x00\x00", 4) == 0);
}

/* A server's answer as strata-nts writes it (docs: NTS.md, "NTS-KE answer"). */
static size_t
answer(uint8_t *b, unsigned cookies, const char *server)
{
	size_t len;
	unsigned i;

	len = rec(b, 0, 1, 1, "\0\0", 2);
	len = rec(b, len, 4, 0, "\0\x0f", 2);
	for (i = 0; i < cookies; i++) {
		char c[104];

		memset(c, (int)i + 1, sizeof(c));
		len = rec(b, len, 5, 0, c, sizeof(c));
	}
	if (server)
		len = rec(b, len, 6, 1, server, strlen(server));
	return rec(b, len, 0, 1, NULL, 0);
}

static void
test_ke_response(void)
{
	uint8_t b[2048];
	struct nts_ke_response r;
	size_t len, i;

	len = answer(b, 8, "ntp.example.net");
	CU_ASSERT_EQUAL_FATAL(nts_ke_parse_response(b, len, &r), 1);
	CU_ASSERT_EQUAL(r.aead, 15);
	CU_ASSERT_EQUAL(r.error, -1);
	CU_ASSERT_EQUAL(r.warning, -1);
	CU_ASSERT_STRING_EQUAL(r.server, "ntp.example.net");
	CU_ASSERT_EQUAL(r.port, 0);
	CU_ASSERT_EQUAL(r.n_cookies, 8);
	for (i = 0; i < 8; i++) {
		CU_ASSERT_EQUAL(r.cookie_len[i], 104);
		CU_ASSERT_EQUAL(r.cookie[i][0], i + 1);
		CU_ASSERT_EQUAL(r.cookie[i][103], i + 1);
	}
	for (i = 0; i < len; i++)
		if (nts_ke_parse_response(b, i, &r) != 0)
			CU_FAIL("incomplete answer not incomplete");

	/* more cookies than kept; a port, a warning, unknown non-critical records */
	len = rec(b, 0, 0x7777, 0, "zz", 2);
	len = rec(b, len, 3, 1, "\0\x05", 2);
	len = rec(b, len, 7, 1, "\x01\x02", 2);
	len = answer(b + len, 10, NULL) + len;
	CU_ASSERT_EQUAL_FATAL(nts_ke_parse_response(b, len, &r), 1);
	CU_ASSERT_EQUAL(r.n_cookies, 8);
	CU_ASSERT_EQUAL(r.warning, 5);
	CU_ASSERT_EQUAL(r.port, 0x102);
	CU_ASSERT_STRING_EQUAL(r.server, "");

	/* an Error record: refused, with its code */
	len = rec(b, 0, 2, 1, "\0\x02", 2);
	len = rec(b, len, 0, 1, NULL, 0);
	CU_ASSERT_EQUAL(nts_ke_parse_response(b, len, &r), -1);
	CU_ASSERT_EQUAL(r.error, 2);
	CU_ASSERT_EQUAL(r.none_agreed, 0);

	/* an empty AEAD record: none of ours agreed (section 4.1.5), as chronyd answers */
	len = rec(b, 0, 1, 1, "\0\0", 2);
	len = rec(b, len, 4, 1, NULL, 0);
	len = rec(b, len, 0, 1, NULL, 0);
	CU_ASSERT_EQUAL(nts_ke_parse_response(b, len, &r), -1);
	CU_ASSERT_EQUAL(r.none_agreed, NTS_KE_AEAD);
	CU_ASSERT_EQUAL(r.error, -1);
	/* an empty Next Protocol record: no NTPv4 (section 4.1.2) */
	len = rec(b, 0, 1, 1, NULL, 0);
	len = rec(b, len, 0, 1, NULL, 0);
	CU_ASSERT_EQUAL(nts_ke_parse_response(b, len, &r), -1);
	CU_ASSERT_EQUAL(r.none_agreed, NTS_KE_NEXT_PROTOCOL);

#define BAD()                                                                                      \
	do {                                                                                       \
		CU_ASSERT_EQUAL(nts_ke_parse_response(b, len, &r), -1);                            \
		CU_ASSERT_EQUAL(r.error, -1);                                                      \
		CU_ASSERT_EQUAL(r.none_agreed, 0);                                                 \
	} while (0)
	/* no cookie, no AEAD, no Next Protocol */
	len = answer(b, 0, NULL);
	BAD();
	len = rec(b, 0, 1, 1, "\0\0", 2);
	len = rec(b, len, 5, 0, "cookie", 6);
	len = rec(b, len, 0, 1, NULL, 0);
	BAD();
	len = rec(b, 0, 4, 1, "\0\x0f", 2);
	len = rec(b, len, 5, 0, "cookie", 6);
	len = rec(b, len, 0, 1, NULL, 0);
	BAD();
	/* a protocol or algorithm we did not offer, two of them, wrong lengths */
	len = rec(b, 0, 1, 1, "\0\x01", 2);
	BAD();
	len = rec(b, 0, 1, 1, "\0\0\0\0", 4);
	BAD();
	len = rec(b, 0, 4, 1, "\0\x1e", 2);
	BAD();
	len = rec(b, 0, 4, 1, "\0\x0f\0\x11", 4);
	BAD();
	len = rec(b, 0, 4, 1, "\0\x0f", 2);
	len = rec(b, len, 4, 1, "\0\x0f", 2);
	BAD();
	len = rec(b, 0, 2, 1, "\0", 1);
	BAD();
	len = rec(b, 0, 3, 1, "\0\0\0", 3);
	BAD();
	len = rec(b, 0, 7, 1, "\0", 1);
	BAD();
	/* cookies: empty or longer than a client keeps; Server with a NUL or too long */
	len = rec(b, 0, 5, 0, NULL, 0);
	BAD();
	len = rec(b, 0, 5, 0, (const char *)b + 1024, NTS_CLIENT_COOKIE_MAX + 1);
	BAD();
	len = rec(b, 0, 6, 1, "a\0b", 3);
	BAD();
	len = rec(b, 0, 6, 1, (const char *)b + 1024, 256);
	BAD();
	/* an unknown critical record; End not critical */
	len = rec(b, 0, 0x4321, 1, NULL, 0);
	BAD();
	len = answer(b, 1, NULL);
	b[len - 4] = 0;
	BAD();
#undef BAD
}

static const struct test_case cases[] = {
	TEST_CASE(test_key_len),
	TEST_CASE(test_cookie_round_trip),
	TEST_CASE(test_cookie_bad),
	TEST_CASE(test_rotation),
	TEST_CASE(test_sync),
	TEST_CASE(test_reply),
	TEST_CASE(test_reply_encrypted_fields),
	TEST_CASE(test_reply_length),
	TEST_CASE(test_nak),
	TEST_CASE(test_drop),
	TEST_CASE(test_malformed),
	TEST_CASE(test_no_keys),
	TEST_CASE(test_client_request),
	TEST_CASE(test_client_verify),
	TEST_CASE(test_ke_put),
	TEST_CASE(test_ke_request),
	TEST_CASE(test_ke_response),
};

CUNIT_MAIN("nts", cases)
