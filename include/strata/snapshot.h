/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The time snapshot: what the fast paths need to turn a local clock reading
 * into NTP time, and the server fields of every reply (RFC 5905 section 7.3).
 *
 * One writer (stratad) and any number of readers: XDP programs on every CPU,
 * DPDK lcores, tests. The snapshot is a latch (Linux's seqcount_latch, the
 * scheme behind ktime_get_mono_fast_ns): two copies and a sequence number.
 * The writer bumps the sequence (readers move to copy 1), rewrites copy 0,
 * bumps it again (readers move back to copy 0) and rewrites copy 1. So there
 * is always one copy that nobody is writing: a reader never waits for the
 * writer, and it retries only if the writer finished a whole half-update in
 * the few nanoseconds of its read, which a writer running 16 to 1000 times a
 * second makes vanishingly rare. A copy that changed under the reader is
 * never used: the sequence check rejects it.
 *
 * The layout is shared with BPF (a BPF_F_MMAPABLE array map value) and with
 * DPDK (POSIX shared memory), so it is fixed-width with explicit padding.
 */
#pragma once

#include "compat.h"
#include "ntp.h"

#define SNAP_MAGIC 0x53545254u /* "STRT" */
#define SNAP_VERSION 1

/** Local timescales a fast path reads (index into snap_slot.map). */
enum snap_scale {
	SNAP_SCALE_MONO = 0, /* CLOCK_MONOTONIC ns: bpf_ktime_get_ns() in XDP */
	SNAP_SCALE_TSC = 1,  /* the TSC: rte_rdtsc() on DPDK lcores */
	SNAP_SCALE_PHC0 = 2, /* a NIC's PTP hardware clock, ns: hardware rx stamps */
	SNAP_SCALE_PHC1 = 3,
	SNAP_NSCALES = 4,
};

#define SNAP_MAP_VALID 0x1u

/**
 * Affine map from one local timescale to NTP time:
 *   ntp(t) = ntp_base + (t - local_base) * (rate_int + rate_frac / 2^64)
 * in units of 2^-32 s. The product is split into an integer part and an exact
 * 64x64 high multiply, so a tick rate from 1 Hz to several GHz keeps 64
 * fractional bits of rate and the result stays within one unit (0.23 ns) of
 * the exact value for deltas of years, with 64-bit arithmetic only (BPF).
 */
struct snap_map {
	__u64 local_base; /* timescale reading at the anchor */
	__u64 ntp_base;   /* NTP time at the anchor, 32.32 modulo the era */
	__u64 rate_frac;  /* fractional part of NTP units per tick, in 2^-64 */
	__u32 rate_int;   /* integer part of NTP units per tick */
	__u32 flags;      /* SNAP_MAP_VALID */
};
_Static_assert(sizeof(struct snap_map) == 32, "snap_map layout");

/* snap_server.flags */
#define SNAP_SRV_UNSYNC_AFTER 0x1u /* leap 3, stratum 16 once past unsync_after */

/** The server's own fields, as in every reply (RFC 5905 section 7.3). */
struct snap_server {
	__u64 ref_time;     /* reference timestamp, NTP 32.32 */
	__u64 disp_base;    /* NTP time at which root_disp holds */
	__u64 disp_rate;    /* root dispersion growth in s/s, 2^-64 units (15 ppm: RFC 5905 PHI) */
	__u64 unsync_after; /* NTP time when holdover ends (with SNAP_SRV_UNSYNC_AFTER) */
	__u32 root_delay;   /* 16.16 short format, host order */
	__u32 root_disp;    /* 16.16 short format at disp_base, host order */
	__be32 refid;       /* as on the wire */
	__u8 leap;          /* NTP_LEAP_* */
	__u8 stratum;
	__s8 precision; /* log2 seconds */
	__u8 flags;     /* SNAP_SRV_* */
	__u64 pad;
};
_Static_assert(sizeof(struct snap_server) == 56, "snap_server layout");

/** One copy of the published state. */
struct snap_slot {
	struct snap_map map[SNAP_NSCALES];
	struct snap_server srv;
	__u8 pad[8];
};
_Static_assert(sizeof(struct snap_slot) == 192, "snap_slot is three cache lines");

/** The shared object: header and sequence on one line, then the two copies. */
struct snap {
	__u32 magic;   /* SNAP_MAGIC once initialised */
	__u32 version; /* SNAP_VERSION */
	__u32 seq;     /* latch sequence: low bit selects the copy readers use */
	__u32 pad0;
	__u64 publish_ns; /* CLOCK_MONOTONIC of the last publish (stratad's age) */
	__u8 pad1[40];
	struct snap_slot slot[2];
};
_Static_assert(sizeof(struct snap) == 64 + 2 * 192, "snap layout");

/** NTP time of local reading @t through map @m (see struct snap_map). */
STRATA_INLINE __u64
snap_map_apply(const struct snap_map *m, __u64 t)
{
	__u64 d = t - m->local_base;
	__u64 neg = (__s64)d < 0;
	__u64 off;

	/*
	 * Readings before the anchor are normal: a packet received just before
	 * stratad republished. Work on the magnitude, then restore the sign.
	 */
	if (neg)
		d = -d;
	off = d * m->rate_int + ntp_mulhi64(d, m->rate_frac);
	return neg ? m->ntp_base - off : m->ntp_base + off;
}

/**
 * Whether the copy readers use now has a valid map for @scale. A hint read
 * outside the sequence check, for choosing a timescale once per packet or
 * burst (a hardware stamp needs the PHC map): snap_read_reply() validates
 * the map it actually uses.
 */
STRATA_INLINE int
snap_has_map(const struct snap *s, __u32 scale)
{
	__u32 seq = STRATA_READ_ONCE(s->seq);

	return STRATA_READ_ONCE(s->slot[seq & 1].map[scale & (SNAP_NSCALES - 1)].flags) &
	       SNAP_MAP_VALID;
}

/** The fields of one reply, read consistently from one copy. */
struct snap_reply_view {
	__u64 rx;        /* receive timestamp, NTP 32.32 */
	__u64 tx;        /* transmit timestamp, NTP 32.32 */
	__u64 ref_time;  /* reference timestamp */
	__u32 root_delay;
	__u32 root_disp; /* grown to tx */
	__be32 refid;
	__u8 leap;
	__u8 stratum;
	__s8 precision;
	__u8 pad;
};

#define SNAP_READ_TRIES 4

STRATA_INLINE void
snap_copy_map(struct snap_map *d, const struct snap_map *s)
{
	d->local_base = STRATA_READ_ONCE(s->local_base);
	d->ntp_base = STRATA_READ_ONCE(s->ntp_base);
	d->rate_frac = STRATA_READ_ONCE(s->rate_frac);
	d->rate_int = STRATA_READ_ONCE(s->rate_int);
	d->flags = STRATA_READ_ONCE(s->flags);
}

STRATA_INLINE void
snap_copy_server(struct snap_server *d, const struct snap_server *s)
{
	d->ref_time = STRATA_READ_ONCE(s->ref_time);
	d->disp_base = STRATA_READ_ONCE(s->disp_base);
	d->disp_rate = STRATA_READ_ONCE(s->disp_rate);
	d->unsync_after = STRATA_READ_ONCE(s->unsync_after);
	d->root_delay = STRATA_READ_ONCE(s->root_delay);
	d->root_disp = STRATA_READ_ONCE(s->root_disp);
	d->refid = STRATA_READ_ONCE(s->refid);
	d->leap = STRATA_READ_ONCE(s->leap);
	d->stratum = STRATA_READ_ONCE(s->stratum);
	d->precision = STRATA_READ_ONCE(s->precision);
	d->flags = STRATA_READ_ONCE(s->flags);
}

/**
 * Read what one reply needs: the receive reading @rx_t on timescale
 * @rx_scale and the transmit reading @tx_t on @tx_scale, converted through
 * one consistent copy, and the server fields with the root dispersion grown
 * to the transmit time (RFC 5905 section 11.1: dispersion grows at PHI).
 *
 * @return 0, or -1 if the snapshot holds no valid map for a scale or the
 * writer kept overtaking the reader (nothing torn is ever returned).
 */
STRATA_INLINE int
snap_read_reply(const struct snap *s, __u32 rx_scale, __u64 rx_t, __u32 tx_scale, __u64 tx_t,
		struct snap_reply_view *v)
{
	struct snap_map mrx, mtx;
	struct snap_server srv;
	__u64 grow, disp;
	__u32 seq, i;
	int ok = 0;

	rx_scale &= SNAP_NSCALES - 1;
	tx_scale &= SNAP_NSCALES - 1;
	for (i = 0; i < SNAP_READ_TRIES; i++) {
		const struct snap_slot *slot;

#if defined(__bpf__)
		seq = STRATA_READ_ONCE(s->seq);
#else
		seq = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
#endif
		strata_rmb();
		slot = &s->slot[seq & 1];
		snap_copy_map(&mrx, &slot->map[rx_scale]);
		/* one timescale for both (XDP's kernel clock, DPDK's TSC): one copy */
		if (tx_scale != rx_scale)
			snap_copy_map(&mtx, &slot->map[tx_scale]);
		snap_copy_server(&srv, &slot->srv);
		/* the copies above must complete before the sequence is read again */
		strata_rmb();
		if (STRATA_READ_ONCE(s->seq) == seq) {
			ok = 1;
			break;
		}
	}
	if (tx_scale == rx_scale)
		mtx = mrx;
	if (!ok || !(mrx.flags & mtx.flags & SNAP_MAP_VALID))
		return -1;

	v->rx = snap_map_apply(&mrx, rx_t);
	/* the XDP program stamps once for both: the same reading converts once */
	v->tx = tx_scale == rx_scale && tx_t == rx_t ? v->rx : snap_map_apply(&mtx, tx_t);
	v->ref_time = srv.ref_time;
	v->root_delay = srv.root_delay;
	v->refid = srv.refid;
	v->leap = srv.leap;
	v->stratum = srv.stratum;
	v->precision = srv.precision;
	v->pad = 0;

	/* 2^-32 s since disp_base, times the rate in 2^-64: 2^-32 s of growth */
	grow = 0;
	if (ntp_ts_diff(v->tx, srv.disp_base) > 0)
		grow = ntp_mulhi64(v->tx - srv.disp_base, srv.disp_rate) >> 16;
	disp = (__u64)srv.root_disp + grow;
	v->root_disp = disp > 0xffffffff ? 0xffffffff : (__u32)disp;

	/* RFC 5905 section 7.3: past the holdover limit the server is unsynchronized */
	if ((srv.flags & SNAP_SRV_UNSYNC_AFTER) && ntp_ts_diff(v->tx, srv.unsync_after) > 0) {
		v->leap = NTP_LEAP_UNSYNC;
		v->stratum = NTP_STRATUM_UNSYNC;
	}
	return 0;
}

#if !defined(__bpf__)
/*
 * Writer side and helpers for the control process and tests. Not for BPF.
 */
#include <errno.h>
#include <string.h>

/** Make @s an empty, valid snapshot (no map valid yet: readers get -1). */
static inline void
snap_init(struct snap *s)
{
	memset(s, 0, sizeof(*s));
	s->magic = SNAP_MAGIC;
	s->version = SNAP_VERSION;
}

/**
 * Publish @next. Only one thread may publish at a time. Readers on other
 * cores see either the previous state or @next, never a mix.
 *
 * The sequence must be even on entry, as snap_init() and snap_adopt() leave
 * it and every publish keeps it: the odd half of the latch is what sends
 * readers away from copy 0 before it is written. From an odd sequence the
 * same steps would write each copy while readers are on it.
 */
static inline void
snap_publish(struct snap *s, const struct snap_slot *next)
{
	__u32 seq = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);

	/* readers move to copy 1; the fence orders that before the writes to copy 0 */
	__atomic_store_n(&s->seq, seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memcpy(&s->slot[0], next, sizeof(*next));
	/* copy 0 complete before readers are sent back to it */
	__atomic_store_n(&s->seq, seq + 2, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memcpy(&s->slot[1], next, sizeof(*next));
}

/**
 * Become the writer of a snapshot that an earlier writer left, maybe dead in
 * the middle of snap_publish(): with the sequence odd (readers on copy 1,
 * copy 0 half written) or even with copy 1 half written. The copy readers
 * use now is always whole, the other one may be torn. Without this, a
 * publish from an odd sequence would write copy 0 while readers are sent to
 * it and accept it (and so every publish after it, the sequence staying odd),
 * and one from an even sequence would send readers to a torn copy 1.
 * Afterwards the sequence is even and both copies hold what readers had.
 */
static inline void
snap_adopt(struct snap *s)
{
	__u32 seq = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);

	if (seq & 1) {
		/* readers are on copy 1: make copy 0 whole, then send them there */
		memcpy(&s->slot[0], &s->slot[1], sizeof(s->slot[0]));
		__atomic_store_n(&s->seq, seq + 1, __ATOMIC_RELEASE);
		__atomic_thread_fence(__ATOMIC_RELEASE);
	}
	/* readers are on copy 0; one still reading copy 1 fails its sequence check */
	memcpy(&s->slot[1], &s->slot[0], sizeof(s->slot[1]));
}

/**
 * Rate of a timescale ticking at @hz, corrected by @ppm (positive when the
 * local clock runs fast, so that fewer NTP units pass per tick): sets
 * rate_int and rate_frac of @m. Exact (rounded to 2^-64) when @ppm is 0.
 * @return 0 or -EINVAL for a zero rate.
 */
static inline int
snap_map_set_rate(struct snap_map *m, __u64 hz, double ppm)
{
	strata_u128 r;
	double corr;

	/* a rate must stay positive; !(x) also rejects NaN */
	if (hz == 0 || !(ppm > -1e6 && ppm < 1e6))
		return -EINVAL;
	/* units of 2^-32 s per tick, with 64 fractional bits: 2^96 / hz */
	r = (((strata_u128)1 << 96) + hz / 2) / hz;
	/* a frequency error of ppm: multiply by 1 / (1 + ppm 1e-6) */
	corr = (double)r * (1.0 / (1.0 + ppm * 1e-6) - 1.0);
	if (corr >= 0)
		r += (strata_u128)corr;
	else
		r -= (strata_u128)-corr;
	if (r == 0 || (r >> 64) > 0xffffffff)
		return -EINVAL;
	m->rate_int = (__u32)(r >> 64);
	m->rate_frac = (__u64)r;
	return 0;
}

/** Dispersion growth rate for snap_server.disp_rate from parts per million. */
static inline __u64
snap_disp_rate_from_ppm(double ppm)
{
	if (!(ppm > 0))
		return 0;
	if (ppm >= 1e6)
		return ~0ULL;
	return (__u64)(ppm * 1e-6 * 18446744073709551616.0);
}

/** Copy the slot readers currently use, consistently. @return 0 or -1. */
static inline int
snap_read_slot(const struct snap *s, struct snap_slot *out)
{
	int i;

	for (i = 0; i < 64; i++) {
		__u32 seq = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
		unsigned int k;

		for (k = 0; k < SNAP_NSCALES; k++)
			snap_copy_map(&out->map[k], &s->slot[seq & 1].map[k]);
		snap_copy_server(&out->srv, &s->slot[seq & 1].srv);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&s->seq, __ATOMIC_RELAXED) == seq)
			return 0;
	}
	return -1;
}
#endif /* !__bpf__ */
