/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NTS (RFC 8915) in user space, without TLS: the cookie, the NTP extension
 * fields of both the server and the client, and the NTS-KE records. The
 * server's functions run in the fast paths' user-space workers (DPDK,
 * AF_XDP): no syscalls, no allocation, no logs once nts_server_init() ran.
 * AES-SIV-CMAC comes from nettle (RFC 5297; OpenSSL 3.0's SIV refuses the
 * empty plaintexts NTS requests carry). TLS is in lib/ntstls.h.
 *
 * The cookie (ours to define, RFC 8915 section 6): four octets of master key
 * ID, a 16-octet nonce, then AEAD_AES_SIV_CMAC_256 under that master key of
 * [u16 AEAD, u16 0, C2S key, S2C key], with the key ID as associated data.
 * docs/nts.md draws it.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <nettle/siv-cmac.h>

#include "strata/nts.h"

/* key ID 4 + nonce 16 + SIV tag 16 + AEAD 2 + zero 2 + two keys */
#define NTS_COOKIE_LEN(keylen) (4 + 16 + 16 + 4 + 2 * (keylen))
#define NTS_COOKIE_MAX NTS_COOKIE_LEN(NTS_MAX_KEY_LEN) /* 168 */
/* longest cookie a client keeps from any server (other servers' layouts differ) */
#define NTS_CLIENT_COOKIE_MAX 256
#define NTS_UID_LEN 32 /* RFC 8915 section 5.3: at least 32 octets */
#define NTS_NONCE_LEN 16

/** The keys of one NTS association (RFC 8915 section 5.1). */
struct nts_keys {
	uint16_t aead; /* NTS_AEAD_AES_SIV_CMAC_256 or _512 */
	uint16_t len;  /* octets of each key: 32 or 64 */
	uint8_t c2s[NTS_MAX_KEY_LEN];
	uint8_t s2c[NTS_MAX_KEY_LEN];
};

/** Octets of each key for @aead, 0 for an algorithm strata does not offer. */
unsigned nts_aead_key_len(uint16_t aead);

/** A thread's server state: the master keys' cipher contexts and a nonce source. */
struct nts_server {
	uint64_t gen; /* the keyring generation adopted, 0 before the first */
	unsigned n;
	unsigned current;
	struct {
		uint32_t id;
		uint64_t created;
		struct siv_cmac_aes128_ctx ctx;
	} k[NTS_MAX_MASTER_KEYS];
	/*
	 * Nonces are a random prefix (getrandom() at init) and a counter:
	 * unique per thread without a syscall per packet. SIV stays secure
	 * even if one repeated (RFC 5297 section 1.3.2).
	 */
	uint8_t prefix[8];
	uint64_t counter;
};

/** Prepare @s for one thread (reads 8 random octets). @return 0 or -errno. */
int nts_server_init(struct nts_server *s);

/**
 * Adopt the master keys of @ring when its generation moved; a copy under its
 * sequence count, cheap when nothing changed. Call it between bursts.
 * @return 1 re-keyed, 0 unchanged, -EAGAIN a write was under way (try later),
 * -EINVAL the ring breaks its rules (n or current out of range): keys kept.
 */
int nts_server_sync(struct nts_server *s, const volatile struct strata_nts_keyring *ring);

/** Octets of a cookie carrying keys for @aead (0 if not offered). */
size_t nts_cookie_len(uint16_t aead);

/** Seal @k into @out (NTS_COOKIE_MAX octets) under the current master key. @return its length, 0 without keys. */
size_t nts_cookie_seal(struct nts_server *s, const struct nts_keys *k, uint8_t *out);

/**
 * Open the cookie @c, @len octets, into @k.
 * @return STRATA_NTS_REPLY (opened), STRATA_NTS_NAK_KEY (a key ID we do not
 * keep) or STRATA_NTS_NAK_COOKIE (wrong length, or it does not open).
 */
enum strata_nts_counter nts_cookie_open(const struct nts_server *s, const uint8_t *c, size_t len,
					struct nts_keys *k);

/** What nts_server_check() found in a request, for the answer. */
struct nts_request {
	struct nts_keys keys;
	uint32_t uid_off; /* the Unique Identifier field (header included), from the NTP start */
	uint32_t uid_len;
	uint32_t cookies; /* cookies the client asked for: its cookie and its placeholders */
	uint32_t len;     /* the request's NTP length: no answer is longer */
};

/**
 * Check the NTS fields of the NTP request @ntp, @len octets, which
 * strata_ntp_check() classed as NTS (RFC 8915 section 5.7): one unique
 * identifier, one cookie that opens, placeholders as long as the cookie,
 * and an authenticator over everything before it that verifies under the
 * cookie's C2S key. @return STRATA_NTS_REPLY (answer with nts_server_seal()),
 * a STRATA_NTS_NAK_* (answer with nts_server_nak()) or a STRATA_NTS_DROP_*.
 */
enum strata_nts_counter nts_server_check(const struct nts_server *s, const uint8_t *ntp,
					 uint32_t len, struct nts_request *r);

/**
 * Finish an authenticated reply whose 48-octet header is already written at
 * @ntp, in the buffer that held the request: the unique identifier right
 * after the header, then the authenticator, its ciphertext holding as many
 * fresh cookies as were asked for and fit in the request's length (RFC 8915
 * section 5.7: never longer than the request). @return the NTP length, and
 * the cookies written in *@cookies.
 */
uint32_t nts_server_seal(struct nts_server *s, const struct nts_request *r, uint8_t *ntp,
			 uint32_t *cookies);

/**
 * Finish an NTS NAK whose header (a kiss-o'-death "NTSN") is already written
 * at @ntp: the unique identifier alone follows (RFC 8915 section 5.7).
 * @return the NTP length.
 */
uint32_t nts_server_nak(const struct nts_request *r, uint8_t *ntp);

/* ---- NTS-KE records (RFC 8915 section 4) ---- */

/** What a client asked for in NTS-KE. */
struct nts_ke_request {
	uint16_t aead;  /* the client's first choice that strata offers; 0 if none */
	uint16_t error; /* with a -1 return: the Error record's code to answer with */
};

/**
 * Parse the client's records in @buf, @len octets received so far.
 * @return 1 complete (End of Message seen: answer), 0 incomplete (read
 * more), -1 refused: r->error holds the code for an Error record.
 */
int nts_ke_parse_request(const uint8_t *buf, size_t len, struct nts_ke_request *r);

/**
 * Append one record at @buf + *@pos, @room octets in all; *@pos moves past it.
 * @return 0, or -1 without room.
 */
int nts_ke_put(uint8_t *buf, size_t room, size_t *pos, uint16_t type, int critical,
	       const void *body, size_t len);

/** What a server answered in NTS-KE. */
struct nts_ke_response {
	uint16_t aead;
	int32_t error;   /* the Error record's code, or -1 */
	int32_t warning; /* the Warning record's code, or -1 */
	/*
	 * NTS_KE_NEXT_PROTOCOL or NTS_KE_AEAD when the server sent that record
	 * empty: it supports none of those offered (RFC 8915 sections 4.1.2,
	 * 4.1.5), refused like an Error; 0 otherwise.
	 */
	uint16_t none_agreed;
	char server[256]; /* NTPv4 Server Negotiation, "" when absent */
	uint16_t port;    /* NTPv4 Port Negotiation, 0 when absent */
	unsigned n_cookies;
	uint16_t cookie_len[NTS_KE_COOKIES];
	uint8_t cookie[NTS_KE_COOKIES][NTS_CLIENT_COOKIE_MAX];
};

/** Write a client's request offering @aeads (@n, in order of preference). @return its length, 0 without room. */
size_t nts_ke_write_request(uint8_t *buf, size_t room, const uint16_t *aeads, unsigned n);

/**
 * Parse a server's answer in @buf, @len octets received so far.
 * @return 1 complete, 0 incomplete, -1 malformed or refused (r->error,
 * r->none_agreed).
 */
int nts_ke_parse_response(const uint8_t *buf, size_t len, struct nts_ke_response *r);

/* ---- the NTP client's side (strata-gen, strata-pool's probe) ---- */

/**
 * Append NTS fields to a request whose 48-octet header is at @ntp: the unique
 * identifier @uid (NTS_UID_LEN octets), the cookie, @placeholders
 * placeholders, and the authenticator under @k's C2S key with the nonce
 * @nonce (NTS_NONCE_LEN octets). @return the NTP length, 0 without room.
 */
size_t nts_client_request(const struct nts_keys *k, const uint8_t *uid, const uint8_t *cookie,
			  size_t cookie_len, unsigned placeholders, const uint8_t *nonce,
			  uint8_t *ntp, size_t room);

/** The fresh cookies a verified reply brought. */
struct nts_client_cookies {
	unsigned n;
	uint16_t len[NTS_KE_COOKIES];
	uint8_t c[NTS_KE_COOKIES][NTS_CLIENT_COOKIE_MAX];
};

/**
 * Verify the reply @ntp, @len octets, to a request with unique identifier
 * @uid: it echoes it, and its authenticator verifies under @k's S2C key.
 * @return 0 verified (its cookies in @out), 1 an NTS NAK for our request,
 * -1 anything else (to be ignored, RFC 8915 section 5.7).
 */
int nts_client_verify(const struct nts_keys *k, const uint8_t *uid, const uint8_t *ntp, size_t len,
		      struct nts_client_cookies *out);
