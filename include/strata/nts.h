/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * What crosses a process boundary for NTS (RFC 8915): the wire numbers, the
 * master keys that stratad publishes to every process that makes or opens
 * cookies (strata-nts's NTS-KE and AF_XDP workers, strata-dpdk's workers),
 * and the NTS counters those processes keep in the shared memory.
 *
 * The master keys travel through the one channel (struct strata_shm, mode
 * 0600, root's): stratad generates, loads, rotates and persists them
 * (docs/nts.md, "Master keys"); the readers copy the ring under its sequence
 * count and re-key their own cipher contexts when its generation changes.
 */
#pragma once

#include "compat.h"

/* RFC 8915 section 4: NTS-KE over TLS 1.3, ALPN "ntske/1", TCP 4460 */
#define NTS_KE_PORT 4460
#define NTS_KE_ALPN "ntske/1"
#define NTS_KE_EXPORTER_LABEL "EXPORTER-network-time-security"

/* RFC 8915 section 4.1: NTS-KE record types (the critical bit is 0x8000) */
#define NTS_KE_CRITICAL 0x8000u
enum nts_ke_record {
	NTS_KE_END = 0,
	NTS_KE_NEXT_PROTOCOL = 1,
	NTS_KE_ERROR = 2,
	NTS_KE_WARNING = 3,
	NTS_KE_AEAD = 4,
	NTS_KE_COOKIE = 5,
	NTS_KE_SERVER = 6,
	NTS_KE_PORT_REC = 7,
};

/* RFC 8915 section 4.1.3: error codes */
enum nts_ke_error {
	NTS_KE_ERR_UNRECOGNIZED_CRITICAL = 0,
	NTS_KE_ERR_BAD_REQUEST = 1,
	NTS_KE_ERR_INTERNAL = 2,
};

#define NTS_PROTO_NTPV4 0 /* RFC 8915 section 7.7: NTS next protocol 0 */

/* IANA AEAD registry (RFC 5297 section 6): the two strata offers */
#define NTS_AEAD_AES_SIV_CMAC_256 15 /* 32-octet keys, nettle's siv_cmac_aes128 */
#define NTS_AEAD_AES_SIV_CMAC_512 17 /* 64-octet keys, nettle's siv_cmac_aes256 */
#define NTS_MAX_KEY_LEN 64

/* RFC 8915 section 4.1.6: eight cookies with each NTS-KE answer */
#define NTS_KE_COOKIES 8

/** Cookies are sealed with AEAD_AES_SIV_CMAC_256 under a 32-octet master key. */
#define NTS_MASTER_KEY_LEN 32
/** Master keys kept: the current one and the previous ones still honoured. */
#define NTS_MAX_MASTER_KEYS 4

/** One master key: the cookie's first four octets name it. */
struct strata_nts_key {
	__u32 id;      /* the key ID written into every cookie sealed under it */
	__u32 pad;
	__u64 created; /* UNIX seconds when it was generated */
	__u8 key[NTS_MASTER_KEY_LEN];
};
_Static_assert(sizeof(struct strata_nts_key) == 48, "strata_nts_key layout");

/**
 * The master keys, written by stratad only, whole, under a sequence count
 * (odd while a write is under way), like the fast-path configuration. A
 * reader copies it and keeps the copy only if the count was even and the
 * same before and after.
 */
struct strata_nts_keyring {
	__u32 seq;
	__u32 n;       /* keys valid in k[], 0: NTS is off */
	__u32 current; /* index in k[] of the key new cookies are sealed under */
	__u32 pad;
	__u64 gen;     /* one more at every change: readers re-key only then */
	__u8 pad2[40]; /* the keys start on their own cache line */
	struct strata_nts_key k[NTS_MAX_MASTER_KEYS];
};
_Static_assert(sizeof(struct strata_nts_keyring) % 64 == 0, "keyring fills cache lines");

/**
 * What the NTS responders count (DPDK workers, AF_XDP queues), one row per
 * worker or queue. The frame's fate is also in the reply builder's reason
 * counters (reply, drop_bad_ext): these say why, in NTS terms.
 */
enum strata_nts_counter {
	STRATA_NTS_REPLY = 0,      /* authenticated replies (RFC 8915 section 5.7) */
	STRATA_NTS_COOKIES,        /* fresh cookies sent in them */
	STRATA_NTS_NAK_KEY,        /* NTS NAK: the cookie's key ID is not one we keep */
	STRATA_NTS_NAK_COOKIE,     /* NTS NAK: the cookie does not open under its key */
	STRATA_NTS_NAK_AUTH,       /* NTS NAK: the authenticator does not verify */
	STRATA_NTS_DROP_NO_UID,    /* dropped: no unique identifier to echo */
	STRATA_NTS_DROP_NO_COOKIE, /* dropped: no cookie, or more than one */
	STRATA_NTS_DROP_MALFORMED, /* dropped: truncated or malformed NTS fields */
	STRATA_NTS_DROP_NO_KEYS,   /* dropped: no master keys published yet */
	STRATA_NTS_TX_DROP,        /* replies the transmit ring had no room for */
	STRATA_NTS_MAX
};

/** One row of enum strata_nts_counter, two cache lines. */
struct strata_nts_counters {
	__u64 c[16];
};
_Static_assert(STRATA_NTS_MAX <= 16, "strata_nts_counters has room");

/** What the NTS-KE workers count, in one row (shared by its processes: atomic adds). */
enum strata_nts_ke_counter {
	STRATA_NTS_KE_ACCEPTED = 0, /* TCP connections accepted */
	STRATA_NTS_KE_DONE,         /* sessions answered with cookies */
	STRATA_NTS_KE_ERROR,        /* sessions answered with an Error record */
	STRATA_NTS_KE_TLS_FAIL,     /* handshakes or TLS reads that failed (ALPN, version, ...) */
	STRATA_NTS_KE_TIMEOUT,      /* sessions closed for taking too long */
	STRATA_NTS_KE_REFUSED,      /* connections closed at once: at the connection limit */
	STRATA_NTS_KE_COOKIES,      /* cookies issued */
	STRATA_NTS_KE_MAX
};

#if !defined(__bpf__)
/** Stable names: `stratactl nts` rows and the metrics' counter label. */
static const char *const strata_nts_counter_names[STRATA_NTS_MAX] = {
	[STRATA_NTS_REPLY] = "reply",
	[STRATA_NTS_COOKIES] = "cookies",
	[STRATA_NTS_NAK_KEY] = "nak_key",
	[STRATA_NTS_NAK_COOKIE] = "nak_cookie",
	[STRATA_NTS_NAK_AUTH] = "nak_auth",
	[STRATA_NTS_DROP_NO_UID] = "drop_no_uid",
	[STRATA_NTS_DROP_NO_COOKIE] = "drop_no_cookie",
	[STRATA_NTS_DROP_MALFORMED] = "drop_malformed",
	[STRATA_NTS_DROP_NO_KEYS] = "drop_no_keys",
	[STRATA_NTS_TX_DROP] = "tx_drop",
};

static const char *const strata_nts_ke_counter_names[STRATA_NTS_KE_MAX] = {
	[STRATA_NTS_KE_ACCEPTED] = "accepted",
	[STRATA_NTS_KE_DONE] = "done",
	[STRATA_NTS_KE_ERROR] = "error",
	[STRATA_NTS_KE_TLS_FAIL] = "tls_fail",
	[STRATA_NTS_KE_TIMEOUT] = "timeout",
	[STRATA_NTS_KE_REFUSED] = "refused",
	[STRATA_NTS_KE_COOKIES] = "cookies",
};
#endif
