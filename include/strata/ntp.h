/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * NTP wire format (RFC 5905 section 7.3) and time conversions.
 *
 * Inside strata an NTP timestamp is a host-order __u64 in 32.32 fixed point:
 * seconds since the start of its era in the high word, 2^-32 s in the low
 * word. Arithmetic on it wraps modulo 2^32 seconds exactly as the wire format
 * does, so the fast path never needs the era (RFC 5905 section 6). The era
 * matters only where NTP time meets Unix time, and there a pivot resolves it.
 */
#pragma once

#include "compat.h"

#define NTP_PORT 123
#define NTP_HEADER_LEN 48

/* RFC 5905 section 7.3, figure 8 */
#define NTP_MODE_RESERVED 0
#define NTP_MODE_ACTIVE 1
#define NTP_MODE_PASSIVE 2
#define NTP_MODE_CLIENT 3
#define NTP_MODE_SERVER 4
#define NTP_MODE_BROADCAST 5
#define NTP_MODE_CONTROL 6 /* RFC 9327 */
#define NTP_MODE_PRIVATE 7 /* ntpd's ntpdc, the monlist amplifier */

/* RFC 5905 figure 9 */
#define NTP_LEAP_NONE 0
#define NTP_LEAP_INSERT 1
#define NTP_LEAP_DELETE 2
#define NTP_LEAP_UNSYNC 3

#define NTP_VERSION_MIN 1
#define NTP_VERSION_MAX 4

/* RFC 5905 figure 11: 16 means unsynchronized */
#define NTP_STRATUM_UNSYNC 16

#define NTP_LVM(leap, version, mode) ((__u8)(((leap) << 6) | ((version) << 3) | (mode)))
#define NTP_LVM_LEAP(lvm) ((__u8)(lvm) >> 6)
#define NTP_LVM_VERSION(lvm) (((__u8)(lvm) >> 3) & 7)
#define NTP_LVM_MODE(lvm) ((__u8)(lvm) & 7)

/*
 * RFC 7822 section 7.5 and RFC 5905 section 7.3: after the header come
 * extension fields (each at least 16 octets, a multiple of 4) and an
 * optional MAC: a 32-bit key identifier and an MD5 (16) or SHA-1 (20) digest.
 * A MAC of the key identifier alone is a crypto-NAK.
 */
#define NTP_EF_HEADER_LEN 4
#define NTP_EF_MIN_LEN 16
#define NTP_MAC_MD5_LEN 20
#define NTP_MAC_SHA1_LEN 24
#define NTP_CRYPTO_NAK_LEN 4

/** A kiss code (RFC 5905 section 7.4) as the refid on the wire: four ASCII letters. */
#define NTP_KISS(a, b, c, d)                                                                       \
	strata_htonl((__u32)(a) << 24 | (__u32)(b) << 16 | (__u32)(c) << 8 | (__u32)(d))

/* RFC 8915 section 5.7: the NTS extension field types */
#define NTP_EF_NTS_UNIQUE_ID 0x0104
#define NTP_EF_NTS_COOKIE 0x0204
#define NTP_EF_NTS_COOKIE_PLACEHOLDER 0x0304
#define NTP_EF_NTS_AUTHENTICATOR 0x0404

/** 64-bit timestamp as on the wire (RFC 5905 figure 3). */
struct ntp_ts {
	__be32 sec;
	__be32 frac;
};

/** The 48-octet NTP header (RFC 5905 figure 8). */
struct ntp_hdr {
	__u8 lvm; /* leap, version, mode */
	__u8 stratum;
	__s8 poll;
	__s8 precision;
	__be32 root_delay; /* 16.16 short format */
	__be32 root_disp;  /* 16.16 short format */
	__be32 refid;
	struct ntp_ts ref;
	struct ntp_ts org;
	struct ntp_ts rec;
	struct ntp_ts xmt;
};
_Static_assert(sizeof(struct ntp_ts) == 8, "ntp_ts is 8 octets");
_Static_assert(sizeof(struct ntp_hdr) == NTP_HEADER_LEN, "ntp_hdr is 48 octets");

/** Seconds from the NTP prime epoch (1900) to the Unix epoch (1970). */
#define NTP_UNIX_OFFSET 2208988800LL
#define NTP_ERA_SECONDS (1LL << 32)
#define NSEC_PER_SEC 1000000000ULL

/** Host-order 32.32 timestamp from the wire. */
STRATA_INLINE __u64
ntp_ts_get(const struct ntp_ts *ts)
{
	return (__u64)strata_ntohl(ts->sec) << 32 | strata_ntohl(ts->frac);
}

/** Host-order 32.32 timestamp to the wire. */
STRATA_INLINE void
ntp_ts_put(struct ntp_ts *ts, __u64 t)
{
	ts->sec = strata_htonl((__u32)(t >> 32));
	ts->frac = strata_htonl((__u32)t);
}

/**
 * High 64 bits of the 128-bit product a * b, with 64-bit operations only:
 * the BPF target has no 128-bit multiply. Exact (no rounding).
 */
STRATA_INLINE __u64
ntp_mulhi64_portable(__u64 a, __u64 b)
{
	__u64 a0 = (__u32)a, a1 = a >> 32;
	__u64 b0 = (__u32)b, b1 = b >> 32;
	__u64 p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
	/* three 32-bit quantities: cannot overflow 64 bits */
	__u64 mid = (p00 >> 32) + (__u32)p01 + (__u32)p10;

	return p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

/** As ntp_mulhi64_portable(), with the native 128-bit multiply where there is one. */
STRATA_INLINE __u64
ntp_mulhi64(__u64 a, __u64 b)
{
#if defined(__SIZEOF_INT128__) && !defined(__bpf__)
	return (__u64)(((strata_u128)a * b) >> 64);
#else
	return ntp_mulhi64_portable(a, b);
#endif
}

/** Nanoseconds (0..1e9-1) to a 32-bit fraction of a second, rounded to nearest. */
STRATA_INLINE __u32
ntp_frac_from_ns(__u32 ns)
{
	return (__u32)((((__u64)ns << 32) + NSEC_PER_SEC / 2) / NSEC_PER_SEC);
}

/** A 32-bit fraction of a second to nanoseconds, rounded to nearest (0..1e9). */
STRATA_INLINE __u32
ntp_frac_to_ns(__u32 frac)
{
	return (__u32)(((__u64)frac * NSEC_PER_SEC + (1ULL << 31)) >> 32);
}

/**
 * Nanoseconds to the 16.16 short format (root delay, root dispersion),
 * rounded up so that a bound stays a bound; saturates at 65535.99998 s.
 */
STRATA_INLINE __u32
ntp_short_from_ns(__u64 ns)
{
	__u64 sec = ns / NSEC_PER_SEC;
	__u64 frac = ((ns % NSEC_PER_SEC << 16) + NSEC_PER_SEC - 1) / NSEC_PER_SEC;
	__u64 v;

	if (sec > 0xffff)
		return 0xffffffff;
	v = (sec << 16) + frac;
	return v > 0xffffffff ? 0xffffffff : (__u32)v;
}

/** The 16.16 short format to nanoseconds, rounded to nearest. */
STRATA_INLINE __u64
ntp_short_to_ns(__u32 s)
{
	return ((__u64)(s >> 16) * NSEC_PER_SEC) + (((__u64)(s & 0xffff) * NSEC_PER_SEC + 0x8000) >> 16);
}

/**
 * The signed difference a - b of two timestamps in 2^-32 s, valid while the
 * two are less than 68 years apart (RFC 5905 section 6).
 */
STRATA_INLINE __s64
ntp_ts_diff(__u64 a, __u64 b)
{
	return (__s64)(a - b);
}

/** Floor division for the era of a signed count of seconds since 1900. */
STRATA_INLINE __s32
ntp_era_of(__s64 ntp_sec)
{
	return (__s32)(ntp_sec >> 32); /* arithmetic shift: floor, also before 1900 */
}

/**
 * Unix time to an NTP timestamp (RFC 5905 section 6). The era is returned
 * through @era when not NULL; 2036-02-07T06:28:16Z starts era 1.
 */
STRATA_INLINE __u64
ntp_from_unix(__s64 unix_sec, __u32 nsec, __s32 *era)
{
	__s64 ntp_sec = unix_sec + NTP_UNIX_OFFSET;

	if (era != 0)
		*era = ntp_era_of(ntp_sec);
	return (__u64)ntp_sec << 32 | ntp_frac_from_ns(nsec);
}

/**
 * An NTP timestamp to Unix time, in the era that puts it within 2^31 s
 * (68 years) of @pivot_unix_sec: the rule of RFC 5905 section 6 and
 * RFC 4330 section 3 for timestamps that carry no era. The nanoseconds go
 * to @nsec (0..999999999).
 */
STRATA_INLINE __s64
ntp_to_unix(__u64 ts, __s64 pivot_unix_sec, __u32 *nsec)
{
	__s64 pivot = pivot_unix_sec + NTP_UNIX_OFFSET;
	__u32 sec32 = (__u32)(ts >> 32);
	__u32 ns = ntp_frac_to_ns((__u32)ts);
	/* the offset from the pivot, taken modulo the era, as a signed 32-bit value */
	__s64 off = (__s32)(sec32 - (__u32)pivot);
	__s64 sec = pivot + off - NTP_UNIX_OFFSET;

	if (ns >= NSEC_PER_SEC) { /* a fraction that rounds up to the next second */
		ns -= NSEC_PER_SEC;
		sec++;
	}
	*nsec = ns;
	return sec;
}
