/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NTS (RFC 8915) without TLS: cookies, the server's and the client's NTP
 * extension fields, the NTS-KE records. See nts.h for the API and the
 * cookie's layout. The server's functions run per packet in the fast paths'
 * workers: no syscalls, no allocation, stack buffers only.
 */
#include "nts.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include <nettle/memops.h>

#include "strata/ntp.h"

/* RFC 8915 section 5.6: N_REQ, the nonce room a request's authenticator must have */
#define NONCE_REQ 16
/* the longest request nts_server_check() takes: strata_ntp_check()'s limit */
#define REQ_MAX 4096
/* RFC 8915 section 4: bounds on what a client may send in NTS-KE */
#define KE_REQ_MAX_LEN 1024
#define KE_MAX_RECORDS 64
/* and on a server's answer (eight cookies of up to 256 octets and the rest) */
#define KE_RESP_MAX_LEN 16384

/* the NTS NAK's kiss code (RFC 8915 section 5.7) */
#define KISS_NTSN 0x4e54534eu

static inline uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void
put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline size_t
pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

unsigned
nts_aead_key_len(uint16_t aead)
{
	switch (aead) {
	case NTS_AEAD_AES_SIV_CMAC_256:
		return SIV_CMAC_AES128_KEY_SIZE;
	case NTS_AEAD_AES_SIV_CMAC_512:
		return SIV_CMAC_AES256_KEY_SIZE;
	default:
		return 0;
	}
}

/*
 * AEAD of one association (RFC 8915 section 5.6) under @key, whose length
 * nts_aead_key_len(@aead) gave: the context lives on the caller's stack, set
 * per packet as chrony does (the keys come from the cookie).
 */
static void
aead_encrypt(uint16_t aead, const uint8_t *key, size_t nlen, const uint8_t *nonce, size_t alen,
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

/* @mlen octets of plaintext from @src (tag first); 1 when it verifies */
static int
aead_decrypt(uint16_t aead, const uint8_t *key, size_t nlen, const uint8_t *nonce, size_t alen,
	     const uint8_t *ad, size_t mlen, uint8_t *dst, const uint8_t *src)
{
	if (aead == NTS_AEAD_AES_SIV_CMAC_512) {
		struct siv_cmac_aes256_ctx c;

		siv_cmac_aes256_set_key(&c, key);
		return siv_cmac_aes256_decrypt_message(&c, nlen, nonce, alen, ad, mlen, dst, src);
	} else {
		struct siv_cmac_aes128_ctx c;

		siv_cmac_aes128_set_key(&c, key);
		return siv_cmac_aes128_decrypt_message(&c, nlen, nonce, alen, ad, mlen, dst, src);
	}
}

/* ---- the server: master keys and cookies (RFC 8915 section 6) ---- */

int
nts_server_init(struct nts_server *s)
{
	memset(s, 0, sizeof(*s));
	if (getrandom(s->prefix, sizeof(s->prefix), 0) != (ssize_t)sizeof(s->prefix))
		return -errno;
	return 0;
}

/* A nonce no other thread or restart gives: the random prefix and the counter. */
static void
next_nonce(struct nts_server *s, uint8_t *out)
{
	uint64_t c = s->counter++;
	unsigned i;

	memcpy(out, s->prefix, sizeof(s->prefix));
	for (i = 0; i < 8; i++)
		out[8 + i] = (uint8_t)(c >> (56 - 8 * i));
}

int
nts_server_sync(struct nts_server *s, const volatile struct strata_nts_keyring *ring)
{
	struct strata_nts_key k[NTS_MAX_MASTER_KEYS];
	uint32_t seq, n, cur, i, j;
	uint64_t gen;

	/* the seqcount read of DPDK's rte_seqcount.h: even, and unchanged after the copy */
	seq = __atomic_load_n(&ring->seq, __ATOMIC_ACQUIRE);
	if (seq & 1)
		return -EAGAIN;
	gen = ring->gen;
	if (gen == s->gen)
		return 0;
	n = ring->n;
	cur = ring->current;
	if (n > NTS_MAX_MASTER_KEYS)
		n = NTS_MAX_MASTER_KEYS + 1; /* refused below, after the count check */
	for (i = 0; i < n && i < NTS_MAX_MASTER_KEYS; i++) {
		k[i].id = ring->k[i].id;
		k[i].created = ring->k[i].created;
		for (j = 0; j < NTS_MASTER_KEY_LEN; j++)
			k[i].key[j] = ring->k[i].key[j];
	}
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (__atomic_load_n(&ring->seq, __ATOMIC_RELAXED) != seq) {
		explicit_bzero(k, sizeof(k));
		return -EAGAIN;
	}
	/* a ring that breaks its own rules is stratad's bug: keep the keys we have */
	if (n > NTS_MAX_MASTER_KEYS || (n > 0 && cur >= n)) {
		explicit_bzero(k, sizeof(k));
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		s->k[i].id = k[i].id;
		s->k[i].created = k[i].created;
		siv_cmac_aes128_set_key(&s->k[i].ctx, k[i].key);
	}
	for (; i < NTS_MAX_MASTER_KEYS; i++)
		explicit_bzero(&s->k[i], sizeof(s->k[i]));
	s->n = n;
	s->current = n ? cur : 0;
	s->gen = gen;
	explicit_bzero(k, sizeof(k));
	return 1;
}

size_t
nts_cookie_len(uint16_t aead)
{
	unsigned kl = nts_aead_key_len(aead);

	return kl ? NTS_COOKIE_LEN(kl) : 0;
}

/* the cookie's plaintext: u16 AEAD, u16 0, C2S key, S2C key */
#define COOKIE_PT_MAX (4 + 2 * NTS_MAX_KEY_LEN)

size_t
nts_cookie_seal(struct nts_server *s, const struct nts_keys *k, uint8_t *out)
{
	uint8_t pt[COOKIE_PT_MAX];
	unsigned kl = nts_aead_key_len(k->aead);
	size_t ptlen = 4 + 2 * (size_t)kl;

	if (s->n == 0 || kl == 0 || k->len != kl)
		return 0;
	put16(pt, k->aead);
	put16(pt + 2, 0);
	memcpy(pt + 4, k->c2s, kl);
	memcpy(pt + 4 + kl, k->s2c, kl);
	put32(out, s->k[s->current].id);
	next_nonce(s, out + 4);
	/* the key ID is the associated data: a cookie moved under another ID fails */
	siv_cmac_aes128_encrypt_message(&s->k[s->current].ctx, NTS_NONCE_LEN, out + 4, 4, out,
					SIV_DIGEST_SIZE + ptlen, out + 4 + NTS_NONCE_LEN, pt);
	explicit_bzero(pt, sizeof(pt));
	return NTS_COOKIE_LEN(kl);
}

enum strata_nts_counter
nts_cookie_open(const struct nts_server *s, const uint8_t *c, size_t len, struct nts_keys *k)
{
	uint8_t pt[COOKIE_PT_MAX];
	enum strata_nts_counter ret = STRATA_NTS_NAK_COOKIE;
	unsigned i, kl;
	uint32_t id;

	if (len < 4)
		return STRATA_NTS_NAK_COOKIE;
	id = get32(c);
	for (i = 0; i < s->n; i++)
		if (s->k[i].id == id)
			break;
	if (i == s->n)
		return STRATA_NTS_NAK_KEY; /* rotated out (RFC 8915 section 6) or never ours */
	if (len == NTS_COOKIE_LEN(SIV_CMAC_AES128_KEY_SIZE))
		kl = SIV_CMAC_AES128_KEY_SIZE;
	else if (len == NTS_COOKIE_LEN(SIV_CMAC_AES256_KEY_SIZE))
		kl = SIV_CMAC_AES256_KEY_SIZE;
	else
		return STRATA_NTS_NAK_COOKIE;
	if (!siv_cmac_aes128_decrypt_message(&s->k[i].ctx, NTS_NONCE_LEN, c + 4, 4, c,
					     4 + 2 * (size_t)kl, pt, c + 4 + NTS_NONCE_LEN))
		goto out;
	/* sealed by us, so these hold unless a master key leaked; checked anyway */
	if (nts_aead_key_len(get16(pt)) != kl || get16(pt + 2) != 0)
		goto out;
	k->aead = get16(pt);
	k->len = (uint16_t)kl;
	memcpy(k->c2s, pt + 4, kl);
	memcpy(k->s2c, pt + 4 + kl, kl);
	ret = STRATA_NTS_REPLY;
out:
	explicit_bzero(pt, sizeof(pt));
	return ret;
}

/* ---- the server's NTP extension fields (RFC 8915 section 5.7) ---- */

enum strata_nts_counter
nts_server_check(const struct nts_server *s, const uint8_t *ntp, uint32_t len,
		 struct nts_request *r)
{
	uint8_t pt[REQ_MAX];
	const uint8_t *cookie = NULL, *auth;
	uint32_t pos, cookies = 0, ph = 0, ph_len = 0, ph_bad = 0, auth_off = 0, auth_len = 0;
	uint32_t cookie_len = 0, nlen, clen, blen;
	enum strata_nts_counter ret;

	memset(r, 0, sizeof(*r));
	if (s->n == 0)
		return STRATA_NTS_DROP_NO_KEYS;
	if (len < NTP_HEADER_LEN || len > REQ_MAX)
		return STRATA_NTS_DROP_MALFORMED;
	r->len = len;

	/* RFC 7822 section 7.5: fields of a multiple of 4, at least 16 octets */
	for (pos = NTP_HEADER_LEN; pos < len; pos += blen) {
		uint32_t type;

		if (len - pos < NTP_EF_MIN_LEN)
			return STRATA_NTS_DROP_MALFORMED;
		type = get16(ntp + pos);
		blen = get16(ntp + pos + 2);
		if (blen < NTP_EF_MIN_LEN || blen & 3 || blen > len - pos)
			return STRATA_NTS_DROP_MALFORMED;
		switch (type) {
		case NTP_EF_NTS_UNIQUE_ID:
			/* section 5.3: at least 32 octets; one, to echo */
			if (r->uid_len || blen - 4 < NTS_UID_LEN)
				return STRATA_NTS_DROP_MALFORMED;
			r->uid_off = pos;
			r->uid_len = blen;
			break;
		case NTP_EF_NTS_COOKIE:
			cookies++;
			cookie = ntp + pos + 4;
			cookie_len = blen - 4;
			break;
		case NTP_EF_NTS_COOKIE_PLACEHOLDER:
			if (ph++ && blen - 4 != ph_len)
				ph_bad = 1;
			ph_len = blen - 4;
			break;
		case NTP_EF_NTS_AUTHENTICATOR:
			/*
			 * Section 5.6: what follows the authenticator is not
			 * authenticated; a request that carries any is refused
			 * rather than half-trusted.
			 */
			if (blen != len - pos)
				return STRATA_NTS_DROP_MALFORMED;
			auth_off = pos;
			auth_len = blen;
			break;
		default:
			break; /* RFC 7822 section 7.5: unknown fields are ignored */
		}
	}
	if (r->uid_len == 0)
		return STRATA_NTS_DROP_NO_UID;
	if (cookies != 1)
		return STRATA_NTS_DROP_NO_COOKIE;
	if (auth_off == 0)
		return STRATA_NTS_DROP_MALFORMED;
	/* section 5.5: placeholders as long as the cookie */
	if (ph && (ph_bad || ph_len != cookie_len))
		return STRATA_NTS_DROP_MALFORMED;

	/*
	 * Section 5.6: nonce length, ciphertext length, the nonce and the
	 * ciphertext each padded to 4 octets, then enough padding that the
	 * nonce had room for N_REQ (16 for SIV) octets.
	 */
	auth = ntp + auth_off + 4;
	blen = auth_len - 4;
	nlen = get16(auth);
	clen = get16(auth + 2);
	if (nlen == 0 || clen < SIV_DIGEST_SIZE || 4 + pad4(nlen) + pad4(clen) > blen ||
	    blen - 4 - pad4(clen) < NONCE_REQ)
		return STRATA_NTS_DROP_MALFORMED;

	ret = nts_cookie_open(s, cookie, cookie_len, &r->keys);
	if (ret != STRATA_NTS_REPLY)
		return ret;
	/*
	 * The associated data is the packet up to the authenticator; the
	 * plaintext (encrypted fields of the client) must decrypt, but
	 * strata knows none of them, so their contents are ignored.
	 */
	if (!aead_decrypt(r->keys.aead, r->keys.c2s, nlen, auth + 4, auth_off, ntp,
			  clen - SIV_DIGEST_SIZE, pt, auth + 4 + pad4(nlen)))
		return STRATA_NTS_NAK_AUTH;
	r->cookies = cookies + ph;
	return STRATA_NTS_REPLY;
}

/* the reply's authenticator: header 4, lengths 4, nonce 16, SIV tag 16 */
#define REPLY_AUTH_MIN (8 + NTS_NONCE_LEN + SIV_DIGEST_SIZE)

uint32_t
nts_server_seal(struct nts_server *s, const struct nts_request *r, uint8_t *ntp, uint32_t *cookies)
{
	uint8_t pt[NTS_KE_COOKIES * (4 + NTS_COOKIE_MAX)];
	uint32_t n = r->cookies, cef, pos, alen, i;

	/*
	 * Section 5.7: as many cookies as the cookie and the placeholders
	 * asked for (no more than eight: a client never keeps more), and
	 * fewer if the reply would grow past the request (amplification).
	 */
	cef = 4 + (uint32_t)nts_cookie_len(r->keys.aead);
	if (n > NTS_KE_COOKIES)
		n = NTS_KE_COOKIES;
	if (s->n == 0 || cef == 4)
		n = 0;
	while (n > 0 && NTP_HEADER_LEN + r->uid_len + REPLY_AUTH_MIN + n * cef > r->len)
		n--;

	memmove(ntp + NTP_HEADER_LEN, ntp + r->uid_off, r->uid_len);
	pos = NTP_HEADER_LEN + r->uid_len;
	for (i = 0; i < n; i++) {
		uint8_t *ef = pt + i * cef;

		put16(ef, NTP_EF_NTS_COOKIE);
		put16(ef + 2, cef);
		nts_cookie_seal(s, &r->keys, ef + 4);
	}
	alen = REPLY_AUTH_MIN + n * cef;
	put16(ntp + pos, NTP_EF_NTS_AUTHENTICATOR);
	put16(ntp + pos + 2, alen);
	put16(ntp + pos + 4, NTS_NONCE_LEN);
	put16(ntp + pos + 6, SIV_DIGEST_SIZE + n * cef);
	next_nonce(s, ntp + pos + 8);
	aead_encrypt(r->keys.aead, r->keys.s2c, NTS_NONCE_LEN, ntp + pos + 8, pos, ntp,
		     SIV_DIGEST_SIZE + n * cef, ntp + pos + 8 + NTS_NONCE_LEN, pt);
	explicit_bzero(pt, n * cef);
	*cookies = n;
	return pos + alen;
}

uint32_t
nts_server_nak(const struct nts_request *r, uint8_t *ntp)
{
	/* section 5.7: the NAK carries the unique identifier and nothing else */
	memmove(ntp + NTP_HEADER_LEN, ntp + r->uid_off, r->uid_len);
	return NTP_HEADER_LEN + r->uid_len;
}

/* ---- the client's NTP extension fields (RFC 8915 sections 5.3 to 5.7) ---- */

size_t
nts_client_request(const struct nts_keys *k, const uint8_t *uid, const uint8_t *cookie,
		   size_t cookie_len, unsigned placeholders, const uint8_t *nonce, uint8_t *ntp,
		   size_t room)
{
	size_t body, need, pos, i;
	uint8_t none = 0;

	if (nts_aead_key_len(k->aead) == 0 || k->len != nts_aead_key_len(k->aead) ||
	    cookie_len == 0 || cookie_len > NTS_CLIENT_COOKIE_MAX || placeholders > NTS_KE_COOKIES)
		return 0;
	/* RFC 7822 section 7.5: fields padded to 4 octets and at least 16 long */
	body = pad4(cookie_len);
	if (body < NTP_EF_MIN_LEN - 4)
		body = NTP_EF_MIN_LEN - 4;
	need = NTP_HEADER_LEN + 4 + NTS_UID_LEN + (1 + (size_t)placeholders) * (4 + body) +
	       REPLY_AUTH_MIN;
	if (need > room)
		return 0;

	pos = NTP_HEADER_LEN;
	put16(ntp + pos, NTP_EF_NTS_UNIQUE_ID);
	put16(ntp + pos + 2, 4 + NTS_UID_LEN);
	memcpy(ntp + pos + 4, uid, NTS_UID_LEN);
	pos += 4 + NTS_UID_LEN;
	put16(ntp + pos, NTP_EF_NTS_COOKIE);
	put16(ntp + pos + 2, 4 + body);
	memset(ntp + pos + 4, 0, body);
	memcpy(ntp + pos + 4, cookie, cookie_len);
	pos += 4 + body;
	/* section 5.5: placeholders as long as the cookie, all zeros */
	for (i = 0; i < placeholders; i++) {
		put16(ntp + pos, NTP_EF_NTS_COOKIE_PLACEHOLDER);
		put16(ntp + pos + 2, 4 + body);
		memset(ntp + pos + 4, 0, body);
		pos += 4 + body;
	}
	/* section 5.6: a 16-octet nonce, an empty plaintext: the tag alone */
	put16(ntp + pos, NTP_EF_NTS_AUTHENTICATOR);
	put16(ntp + pos + 2, REPLY_AUTH_MIN);
	put16(ntp + pos + 4, NTS_NONCE_LEN);
	put16(ntp + pos + 6, SIV_DIGEST_SIZE);
	memcpy(ntp + pos + 8, nonce, NTS_NONCE_LEN);
	aead_encrypt(k->aead, k->c2s, NTS_NONCE_LEN, nonce, pos, ntp, SIV_DIGEST_SIZE,
		     ntp + pos + 8 + NTS_NONCE_LEN, &none);
	return pos + REPLY_AUTH_MIN;
}

int
nts_client_verify(const struct nts_keys *k, const uint8_t *uid, const uint8_t *ntp, size_t len,
		  struct nts_client_cookies *out)
{
	uint8_t pt[REQ_MAX];
	const uint8_t *auth;
	size_t pos, blen, auth_off = 0, nlen, clen, ptlen;
	int uid_ok = 0;

	out->n = 0;
	if (len < NTP_HEADER_LEN || len > REQ_MAX || nts_aead_key_len(k->aead) == 0 ||
	    k->len != nts_aead_key_len(k->aead))
		return -1;
	for (pos = NTP_HEADER_LEN; pos < len; pos += blen) {
		unsigned type;

		if (len - pos < NTP_EF_MIN_LEN)
			return -1;
		type = get16(ntp + pos);
		blen = get16(ntp + pos + 2);
		if (blen < NTP_EF_MIN_LEN || blen & 3 || blen > len - pos)
			return -1;
		if (type == NTP_EF_NTS_UNIQUE_ID) {
			/* section 5.7: our identifier echoed (a constant-time compare) */
			if (uid_ok || blen != 4 + NTS_UID_LEN ||
			    !memeql_sec(ntp + pos + 4, uid, NTS_UID_LEN))
				return -1;
			uid_ok = 1;
		} else if (type == NTP_EF_NTS_AUTHENTICATOR) {
			/* fields after it would be unauthenticated: not ours */
			if (blen != len - pos)
				return -1;
			auth_off = pos;
		}
	}
	if (!uid_ok)
		return -1;
	/* section 5.7: an NTS NAK is a kiss-o'-death NTSN with our identifier */
	if (ntp[1] == 0 && get32(ntp + 12) == KISS_NTSN)
		return 1;
	if (auth_off == 0)
		return -1;
	auth = ntp + auth_off + 4;
	blen = get16(ntp + auth_off + 2) - 4;
	nlen = get16(auth);
	clen = get16(auth + 2);
	if (nlen == 0 || clen < SIV_DIGEST_SIZE || 4 + pad4(nlen) + pad4(clen) > blen)
		return -1;
	ptlen = clen - SIV_DIGEST_SIZE;
	if (!aead_decrypt(k->aead, k->s2c, nlen, auth + 4, auth_off, ntp, ptlen, pt,
			  auth + 4 + pad4(nlen)))
		return -1;
	/* the encrypted fields: keep the cookies, ignore the rest */
	for (pos = 0; pos < ptlen; pos += blen) {
		if (ptlen - pos < 4)
			return -1;
		blen = get16(pt + pos + 2);
		if (blen < 4 || blen & 3 || blen > ptlen - pos)
			return -1;
		if (get16(pt + pos) == NTP_EF_NTS_COOKIE && out->n < NTS_KE_COOKIES &&
		    blen - 4 <= NTS_CLIENT_COOKIE_MAX && blen > 4) {
			out->len[out->n] = (uint16_t)(blen - 4);
			memcpy(out->c[out->n], pt + pos + 4, blen - 4);
			out->n++;
		}
	}
	return 0;
}

/* ---- NTS-KE records (RFC 8915 section 4) ---- */

int
nts_ke_put(uint8_t *buf, size_t room, size_t *pos, uint16_t type, int critical, const void *body,
	   size_t len)
{
	if (len > 0xffff || *pos > room || room - *pos < 4 + len)
		return -1;
	/* section 4: a critical bit, a 15-bit type, a 16-bit body length */
	put16(buf + *pos, (type & 0x7fffu) | (critical ? NTS_KE_CRITICAL : 0));
	put16(buf + *pos + 2, (uint32_t)len);
	if (len)
		memcpy(buf + *pos + 4, body, len);
	*pos += 4 + len;
	return 0;
}

/*
 * Walk the records of @buf: @return 1 with the next one's type, critical
 * bit, body and length, 0 when it is not all there yet, -1 past @max octets.
 */
static int
ke_next(const uint8_t *buf, size_t len, size_t max, size_t *pos, unsigned *type, int *crit,
	const uint8_t **body, size_t *blen)
{
	size_t p = *pos;

	if (p + 4 > max)
		return -1;
	if (p + 4 > len)
		return 0;
	*blen = get16(buf + p + 2);
	if (p + 4 + *blen > max)
		return -1;
	if (p + 4 + *blen > len)
		return 0;
	*type = get16(buf + p) & 0x7fffu;
	*crit = (get16(buf + p) & NTS_KE_CRITICAL) != 0;
	*body = buf + p + 4;
	*pos = p + 4 + *blen;
	return 1;
}

#define KE_REFUSE(code)                                                                            \
	do {                                                                                       \
		r->error = (code);                                                                 \
		return -1;                                                                         \
	} while (0)

int
nts_ke_parse_request(const uint8_t *buf, size_t len, struct nts_ke_request *r)
{
	size_t pos = 0, blen, i;
	unsigned type, n = 0;
	int crit, next = 0, ntp = 0, aead = 0, ret;
	const uint8_t *b;

	r->aead = 0;
	r->error = NTS_KE_ERR_BAD_REQUEST;
	for (;;) {
		ret = ke_next(buf, len, KE_REQ_MAX_LEN, &pos, &type, &crit, &b, &blen);
		if (ret < 0)
			KE_REFUSE(NTS_KE_ERR_BAD_REQUEST); /* past 1024 octets: not a client */
		if (ret == 0)
			return 0;
		if (++n > KE_MAX_RECORDS)
			KE_REFUSE(NTS_KE_ERR_BAD_REQUEST);
		switch (type) {
		case NTS_KE_END:
			/* section 4.1.1: critical, empty; the message ends here */
			if (!crit || blen != 0)
				KE_REFUSE(NTS_KE_ERR_BAD_REQUEST);
			/* sections 4.1.2 and 4.1.5: NTPv4 offered, with an AEAD we offer */
			if (!ntp || r->aead == 0)
				KE_REFUSE(NTS_KE_ERR_BAD_REQUEST);
			return 1;
		case NTS_KE_NEXT_PROTOCOL:
			/* section 4.1.2: exactly once, critical, a list of u16 */
			if (next++ || !crit || blen == 0 || blen & 1)
				KE_REFUSE(NTS_KE_ERR_BAD_REQUEST);
			for (i = 0; i < blen; i += 2)
				if (get16(b + i) == NTS_PROTO_NTPV4)
					ntp = 1;
			break;
		case NTS_KE_AEAD:
			/* section 4.1.5: once, the client's order of preference */
			if (aead++ || blen == 0 || blen & 1)
				KE_REFUSE(NTS_KE_ERR_BAD_REQUEST);
			for (i = 0; i < blen && r->aead == 0; i += 2)
				if (nts_aead_key_len(get16(b + i)))
					r->aead = get16(b + i);
			break;
		case NTS_KE_ERROR:
		case NTS_KE_WARNING:
		case NTS_KE_COOKIE:
			/* sections 4.1.3, 4.1.4, 4.1.6: the server's to send */
			KE_REFUSE(NTS_KE_ERR_BAD_REQUEST);
		case NTS_KE_SERVER:
			break; /* section 4.1.7: a wish strata does not follow */
		case NTS_KE_PORT_REC:
			if (blen != 2) /* section 4.1.8 */
				KE_REFUSE(NTS_KE_ERR_BAD_REQUEST);
			break;
		default:
			/* section 4.1: unknown critical records are refused, others ignored */
			if (crit)
				KE_REFUSE(NTS_KE_ERR_UNRECOGNIZED_CRITICAL);
			break;
		}
	}
}

size_t
nts_ke_write_request(uint8_t *buf, size_t room, const uint16_t *aeads, unsigned n)
{
	uint8_t proto[2] = {0, NTS_PROTO_NTPV4}, list[2 * 16];
	size_t pos = 0;
	unsigned i;

	if (n == 0 || n > 16)
		return 0;
	for (i = 0; i < n; i++)
		put16(list + 2 * i, aeads[i]);
	/* section 4: Next Protocol [NTPv4], AEAD list, End of Message; all critical */
	if (nts_ke_put(buf, room, &pos, NTS_KE_NEXT_PROTOCOL, 1, proto, sizeof(proto)) ||
	    nts_ke_put(buf, room, &pos, NTS_KE_AEAD, 1, list, 2 * (size_t)n) ||
	    nts_ke_put(buf, room, &pos, NTS_KE_END, 1, NULL, 0))
		return 0;
	return pos;
}

int
nts_ke_parse_response(const uint8_t *buf, size_t len, struct nts_ke_response *r)
{
	size_t pos = 0, blen;
	unsigned type, n = 0;
	int crit, next = 0, ret;
	const uint8_t *b;

	r->aead = 0;
	r->error = -1;
	r->warning = -1;
	r->none_agreed = 0;
	r->server[0] = 0;
	r->port = 0;
	r->n_cookies = 0;
	for (;;) {
		ret = ke_next(buf, len, KE_RESP_MAX_LEN, &pos, &type, &crit, &b, &blen);
		if (ret <= 0)
			return ret;
		if (++n > KE_MAX_RECORDS)
			return -1;
		switch (type) {
		case NTS_KE_END:
			if (!crit || blen != 0)
				return -1;
			/* section 4: NTPv4 agreed, an AEAD, at least one cookie */
			if (!next || r->aead == 0 || r->n_cookies == 0)
				return -1;
			return 1;
		case NTS_KE_NEXT_PROTOCOL:
			/*
			 * section 4.1.2: the server answers with the one protocol it
			 * chose, or with none: it supports none of those offered
			 */
			if (next++)
				return -1;
			if (blen == 0) {
				r->none_agreed = NTS_KE_NEXT_PROTOCOL;
				return -1;
			}
			if (blen != 2 || get16(b) != NTS_PROTO_NTPV4)
				return -1;
			break;
		case NTS_KE_ERROR:
			/* section 4.1.3: the server refused; nothing else counts */
			if (blen != 2)
				return -1;
			r->error = get16(b);
			return -1;
		case NTS_KE_WARNING:
			if (blen != 2)
				return -1;
			r->warning = get16(b);
			break;
		case NTS_KE_AEAD:
			/* section 4.1.5: one algorithm, one we offer; empty: none of ours */
			if (r->aead == 0 && blen == 0) {
				r->none_agreed = NTS_KE_AEAD;
				return -1;
			}
			if (r->aead || blen != 2 || nts_aead_key_len(get16(b)) == 0)
				return -1;
			r->aead = get16(b);
			break;
		case NTS_KE_COOKIE:
			/* section 4.1.6: keep what we have room for */
			if (blen == 0 || blen > NTS_CLIENT_COOKIE_MAX)
				return -1;
			if (r->n_cookies < NTS_KE_COOKIES) {
				r->cookie_len[r->n_cookies] = (uint16_t)blen;
				memcpy(r->cookie[r->n_cookies], b, blen);
				r->n_cookies++;
			}
			break;
		case NTS_KE_SERVER:
			/* section 4.1.7: ASCII host name or address, no NUL */
			if (blen == 0 || blen >= sizeof(r->server) || memchr(b, 0, blen))
				return -1;
			memcpy(r->server, b, blen);
			r->server[blen] = 0;
			break;
		case NTS_KE_PORT_REC:
			if (blen != 2)
				return -1;
			r->port = get16(b);
			break;
		default:
			if (crit)
				return -1;
			break;
		}
	}
}
