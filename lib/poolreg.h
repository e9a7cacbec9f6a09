/* SPDX-License-Identifier: BSD-3-Clause */
/* Registration messages between stratad (pool element) and strata-pool (registrar). */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define POOLREG_PORT 4460          /* default registrar UDP port (document it) */
#define POOLREG_MAX_ADDRS 16       /* service addresses in one message */
#define POOLREG_NAME_MAX 253       /* a DNS name, RFC 1035 section 2.3.4 */
#define POOLREG_KEY_MIN 16         /* octets: 128-bit keys at least */
#define POOLREG_KEY_MAX 64
#define POOLREG_MSG_MAX 1024       /* largest encoded message */

enum poolreg_type {
	POOLREG_REGISTER = 1,   /* join or refresh: valid for `lifetime` seconds */
	POOLREG_DEREGISTER = 2, /* leave now (clean exit) */
	POOLREG_ACK = 3,        /* registrar's authenticated answer, echoes nonce */
};

struct poolreg_msg {
	enum poolreg_type type;
	uint8_t status;             /* ACK: 0 accepted, else a POOLREG_E_* code */
	char pool[POOLREG_NAME_MAX + 1];
	uint64_t time_ns;           /* sender's CLOCK_REALTIME, ns since 1970: replay window */
	uint64_t nonce;             /* random per message; the ACK echoes it */
	uint32_t lifetime;          /* seconds; REGISTER only */
	unsigned int n_addr;
	struct sockaddr_storage addr[POOLREG_MAX_ADDRS]; /* AF_INET/AF_INET6, port ignored */
};

enum { POOLREG_E_OK = 0, POOLREG_E_UNKNOWN_POOL = 1, POOLREG_E_STALE = 2, POOLREG_E_FULL = 3 };

/* Read a key file: one line, the secret in hex or base64, at least POOLREG_KEY_MIN octets;
 * refuses a file readable by group or others. 0, or -errno with a message in @err. */
int poolreg_key_load(const char *path, uint8_t *key, size_t *keylen, char *err, size_t errlen);

/* Encode and sign (HMAC-SHA256 over the whole message) @m into @buf. @return length, or -errno. */
int poolreg_encode(const struct poolreg_msg *m, const uint8_t *key, size_t keylen, uint8_t *buf,
		   size_t size);

/* Verify and decode @len octets. @return 0, -EBADMSG if malformed, -EPERM if the MAC is wrong
 * (checked in constant time before anything else is trusted). */
int poolreg_decode(const uint8_t *buf, size_t len, const uint8_t *key, size_t keylen,
		   struct poolreg_msg *m);
