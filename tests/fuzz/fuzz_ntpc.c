/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the upstream reply parser, ntpc_reply() in
 * lib/ntpc.c: the code that reads what an upstream server (or anyone
 * who can send stratad a UDP packet) says. Built by clang with libFuzzer and
 * ASan/UBSan, and by the project compiler with fuzz_main.c.
 *
 * The input is a script for one source: a header that configures it, then
 * records, each a poll with its reply, a duplicate reply, a lost poll or a
 * clock step, so that the reach register, the clock filter and the poll
 * interval reach every state. The input decides whether a reply's origin
 * echoes our request (RFC 5905 section 8), so that the fuzzer gets past that
 * check at once instead of having to guess 64 random bits.
 *
 * After every call the source is checked against what ntpc.h promises and
 * against a model of RFC 5905 section 8 and appendix A.5.1.1 written here
 * from the RFC, not from ntpc.c:
 *  - a reply that is not mode 4 of version 1 to 4, shorter than 48 octets
 *    or without our origin is ignored and leaves the source untouched; any
 *    other reply ends the poll (nothing is outstanding afterwards);
 *  - stratum 0 is a kiss: RATE raises the poll, DENY and RSTR end the
 *    source for good, other codes are no sample;
 *  - a sample is taken exactly when the server is synchronized, its
 *    timestamps are filled in and in order, its root distance is within
 *    bounds and the round trip is not negative; its offset and delay are
 *    the ones of RFC 5905 section 8, finite;
 *  - the poll stays within minpoll and maxpoll, which stay within
 *    NTPC_POLL_MIN and NTPC_POLL_MAX; reach, burst and filter within theirs.
 *
 * Input: 3 octets of configuration (minpoll, maxpoll, flags), then records
 * of one op octet and its arguments, see run_record().
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ntpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HDR_LEN 48
#define SEC 1000000000ull
/* 2023-11-14T22:13:20Z, an era-0 time, and 2036-02-07 minus 2 s, just before era 1 */
#define T0_ERA0 ((uint64_t)3909075200u << 32)
#define T0_ROLL (((uint64_t)0xffffffffu - 1) << 32)
#define M0 (1000 * SEC)
#define RHO 9.5367431640625e-07 /* 2^-20 s: the least delay ntpc.c reports */
#define MAXDIST 1.5		/* s: ntpd's root distance limit, select.h */
#define MAXNEGDELAY 1e-3
#define UNREACH_MAX 8

/* The op octet of a record. */
#define OP_ACTION 3	     /* bits 0-1: one of the ACT_ */
#define OP_ORIGIN (1u << 2)  /* the reply's origin echoes our request */
#define OP_RELTIME (1u << 3) /* receive and transmit times are relative to T1 */
#define OP_ONTIME (1u << 4)  /* the request waits until the poll is due */
#define OP_PADDED (1u << 5)  /* a length octet follows: the reply is not 48 octets */

enum {
	ACT_POLL,    /* send a request, then a reply arrives */
	ACT_DUP,     /* a reply arrives without a new request: a duplicate, or a late one */
	ACT_TIMEOUT, /* the poll is lost */
	ACT_STEP,    /* the discipline steps our clock */
};

/* Where the script stands: the input left, and our clocks. */
struct script {
	const uint8_t *p;
	size_t left;
	uint64_t mono;	 /* monotonic ns */
	uint64_t ntp0;	 /* our NTP time at M0 */
	uint64_t random; /* transmit timestamps of our requests */
};

static size_t
take(struct script *sc, uint8_t *dst, size_t n)
{
	size_t k = n < sc->left ? n : sc->left;

	memcpy(dst, sc->p, k);
	memset(dst + k, 0, n - k);
	sc->p += k;
	sc->left -= k;
	return k;
}

static uint32_t
take32(struct script *sc)
{
	uint8_t b[4];

	take(sc, b, sizeof(b));
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static void
put64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t
our_time(const struct script *sc)
{
	/* 1 ns is 2^32 / 10^9 NTP units; no rounding needed for a test clock */
	return sc->ntp0 + (uint64_t)((unsigned __int128)(sc->mono - M0) * (1ull << 32) / SEC);
}

/* seconds of a signed difference of two NTP timestamps (RFC 5905 section 6) */
static long double
diff_sec(uint64_t a, uint64_t b)
{
	return ldexpl((long double)(int64_t)(a - b), -32);
}

/* The state ntpc.h promises at all times. */
static void
check_state(const struct ntpc_source *s)
{
	int i;

	if (s->cfg.minpoll < NTPC_POLL_MIN || s->cfg.maxpoll > NTPC_POLL_MAX ||
	    s->cfg.minpoll > s->cfg.maxpoll || s->poll < s->cfg.minpoll || s->poll > s->cfg.maxpoll)
		abort();
	if (s->n_filter < 0 || s->n_filter > NTPC_NSTAGE || s->burst < 0 || s->burst > NTPC_BURST ||
	    s->unreach < 0 || s->unreach > UNREACH_MAX)
		abort();
	/* RFC 5905 section 9.2: unreachable, the filter is cleared */
	if (s->reach == 0 && s->n_filter != 0)
		abort();
	if (s->denied && s->next_ns != UINT64_MAX)
		abort();
	for (i = 0; i < s->n_filter; i++)
		if (!isfinite(s->filter[i].offset) || !isfinite(s->filter[i].delay) ||
		    !(s->filter[i].delay >= RHO) || !(s->filter[i].disp >= 0))
			abort();
	if (s->n_filter > 0 && (!isfinite(s->offset) || !isfinite(s->delay) || !(s->disp >= 0) ||
				!(s->jitter >= RHO) || !isfinite(s->jitter)))
		abort();
}

/* What ntpc_candidate() hands selection must be usable by it. */
static void
check_candidate(const struct ntpc_source *s, uint64_t mono)
{
	struct sel_candidate c;

	if (ntpc_candidate(s, mono, &c) != 0) {
		if (!s->denied && !s->cfg.noselect && s->n_filter > 0 && s->reach != 0)
			abort();
		return;
	}
	if (s->denied || s->n_filter == 0 || !isfinite(c.offset) || !(c.delay > 0) ||
	    !(c.disp >= 0) || !(c.jitter > 0) || !(c.root_delay >= 0) || !(c.root_disp >= 0) ||
	    c.stratum < 1 || c.stratum > 15)
		abort();
}

/*
 * The event RFC 5905 expects for the reply @pkt of @len octets to a request
 * with transmit timestamp @xmt sent at our time @t1, received at @t4.
 * *@delay gets the round trip; *@unsure is set when the double arithmetic
 * of ntpc.c may decide the delay test either way (rounding next to the limit).
 */
static enum ntpc_event
expect(const uint8_t *pkt, size_t len, uint64_t xmt, uint64_t t1, uint64_t t4, long double *offset,
       long double *delay, int *unsure)
{
	unsigned int leap, version, mode, stratum;
	uint64_t t2, t3;
	uint32_t refid;
	double root;

	*unsure = 0;
	if (len < HDR_LEN)
		return NTPC_IGNORED;
	leap = pkt[0] >> 6;
	version = pkt[0] >> 3 & 7;
	mode = pkt[0] & 7;
	if (mode != 4 || version < 1 || version > 4 || xmt == 0 || get64(pkt + 24) != xmt)
		return NTPC_IGNORED;
	stratum = pkt[1];
	refid = get32(pkt + 12);
	/* RFC 5905 section 7.4: the kiss codes, ASCII in the refid */
	if (stratum == 0) {
		if (refid == 0x52415445) /* RATE */
			return NTPC_KOD_RATE;
		if (refid == 0x44454e59 || refid == 0x52535452) /* DENY, RSTR */
			return NTPC_KOD_DENY;
		return NTPC_BOGUS;
	}
	t2 = get64(pkt + 32);
	t3 = get64(pkt + 40);
	/* root delay and dispersion: NTP short format, 16.16 seconds */
	root = ldexp(get32(pkt + 4), -16) / 2 + ldexp(get32(pkt + 8), -16);
	if (leap == 3 || stratum >= 16 || t2 == 0 || t3 == 0 || (int64_t)(t3 - t2) < 0 ||
	    root > MAXDIST)
		return NTPC_BOGUS;
	*offset = (diff_sec(t2, t1) + diff_sec(t3, t4)) / 2;
	*delay = diff_sec(t4, t1) - diff_sec(t3, t2);
	/* doubles hold 53 bits: differences of up to 2^31 s are exact to about 2^-21 s */
	if (fabsl(*delay + MAXNEGDELAY) < 1e-5L)
		*unsure = 1;
	return *delay < -MAXNEGDELAY ? NTPC_BOGUS : NTPC_SAMPLE;
}

/* One reply of the script to the source's current request. */
static void
reply(struct ntpc_source *s, struct script *sc, unsigned int op)
{
	struct ntpc_source before = *s;
	long double offset = 0, delay = 0, tol;
	enum ntpc_event ev, want;
	uint64_t t1 = s->sent_t1, t4;
	size_t len = HDR_LEN;
	int unsure, hpoll = 0;
	uint8_t *pkt;
	int32_t rtt;

	if (op & OP_PADDED) {
		uint8_t l;

		take(sc, &l, 1);
		/* a short one, or a header and up to 207 octets of extension fields and MAC */
		len = l;
	}
	/* t4 - t1 from -8 s to 8 s in 2^-28 s steps; the monotonic clock never goes back */
	rtt = (int32_t)take32(sc);
	t4 = t1 + (uint64_t)((int64_t)rtt * 16);
	if (rtt > 0 && s->sent_mono + (uint64_t)rtt * 4 > sc->mono)
		sc->mono = s->sent_mono + (uint64_t)rtt * 4; /* ~ns: 2^-28 s is 3.7 ns */

	/* exactly @len octets on the heap, so that ASan sees any read past the end */
	pkt = malloc(len ? len : 1);
	if (pkt == NULL)
		abort();
	take(sc, pkt, len);
	if (len >= HDR_LEN) {
		if (op & OP_ORIGIN)
			put64(pkt + 24, s->sent_xmt);
		if (op & OP_RELTIME) {
			put64(pkt + 32, get64(pkt + 32) + t1);
			put64(pkt + 40, get64(pkt + 40) + t1);
		}
	}

	if (len >= HDR_LEN)
		hpoll = (int8_t)pkt[2];
	want = expect(pkt, len, s->sent_xmt, t1, t4, &offset, &delay, &unsure);
	ev = ntpc_reply(s, pkt, len, t4, sc->mono);
	free(pkt);
	check_state(s);
	check_candidate(s, sc->mono);

	if (ev != want && !(unsure && (ev == NTPC_SAMPLE || ev == NTPC_BOGUS)))
		abort();
	if (ev == NTPC_IGNORED) {
		/* not for us: as if it never came */
		if (memcmp(&before, s, sizeof(before)) != 0)
			abort();
		return;
	}
	/* it answered our request: nothing outstanding, a duplicate is ignored */
	if (s->sent_xmt != 0)
		abort();
	if (ev != NTPC_SAMPLE) {
		/* RFC 5905 section 9.2: no sample, a 0 into the reach register */
		if (s->reach != (uint8_t)(before.reach << 1))
			abort();
	}
	switch (ev) {
	case NTPC_KOD_RATE: {
		/*
		 * RFC 5905 section 7.4: poll less often, at least one step and up
		 * to the server's poll, within maxpoll (one more step when the
		 * kiss is also the poll that makes the source count as silent);
		 * minpoll follows, so that poll adjustment cannot undo it, and a
		 * burst stops.
		 */
		int lo = hpoll > before.poll + 1 ? hpoll : before.poll + 1;
		int hi = hpoll > before.poll + 2 ? hpoll : before.poll + 2;

		lo = lo > before.cfg.maxpoll ? before.cfg.maxpoll : lo;
		hi = hi > before.cfg.maxpoll ? before.cfg.maxpoll : hi;
		if (s->poll < lo || s->poll > hi || s->cfg.minpoll != s->poll || s->burst != 0)
			abort();
		break;
	}
	case NTPC_KOD_DENY:
		if (!s->denied || s->next_ns != UINT64_MAX)
			abort();
		break;
	case NTPC_SAMPLE:
		if ((s->reach & 1) == 0 || s->n_filter < 1 || s->unreach != 0 ||
		    s->last_rx_ns != sc->mono)
			abort();
		/* the newest stage is this sample, as RFC 5905 section 8 measures it */
		tol = 1e-6L + fabsl(offset) * 0x1p-50L;
		if (fabsl((long double)s->filter[0].offset - offset) > tol ||
		    fabsl((long double)s->filter[0].delay - fmaxl(delay, RHO)) >
			    1e-6L + fabsl(delay) * 0x1p-50L)
			abort();
		break;
	default:
		break;
	}
}

/*
 * One record: an op octet (OP_), then
 *  ACT_POLL:    [length] 4 octets t4 - t1, then the reply's octets;
 *  ACT_DUP:     the same, for the request already answered or outstanding;
 *  ACT_TIMEOUT: 2 octets of milliseconds that pass first;
 *  ACT_STEP:    4 octets, a signed step of our clock in 2^-16 s.
 */
static void
run_record(struct ntpc_source *s, struct script *sc)
{
	uint8_t op, buf[HDR_LEN], b[2];
	struct ntpc_source before;
	int32_t step;
	int i;

	take(sc, &op, 1);
	switch (op & OP_ACTION) {
	case ACT_POLL:
		/* the caller polls only when due, and never a denied source */
		if (s->denied)
			break;
		if ((op & OP_ONTIME) && s->next_ns > sc->mono)
			sc->mono = s->next_ns;
		sc->random = sc->random * 6364136223846793005ull + 1442695040888963407ull;
		if (ntpc_request(s, buf, sc->random, our_time(sc), sc->mono) != HDR_LEN)
			abort();
		/* RFC 5905 section 7.3, draft-ietf-ntp-data-minimization: v4 client, xmt only */
		for (i = 1; i < 40; i++)
			if (buf[i] != 0)
				abort();
		if (buf[0] != 0x23 || s->sent_xmt == 0 || get64(buf + 40) != s->sent_xmt ||
		    s->sent_t1 != our_time(sc) || s->sent_mono != sc->mono)
			abort();
		if (s->next_ns <= sc->mono)
			abort();
		check_state(s);
		reply(s, sc, op);
		break;
	case ACT_DUP:
		reply(s, sc, op);
		break;
	case ACT_TIMEOUT:
		take(sc, b, sizeof(b));
		sc->mono += (uint64_t)(b[0] << 8 | b[1]) * 1000000;
		ntpc_timeout(s, sc->mono);
		if (s->sent_xmt != 0)
			abort();
		check_state(s);
		check_candidate(s, sc->mono);
		break;
	default:
		/* our clock now reads @step more: each sample, and T1 of the request, move */
		step = (int32_t)take32(sc);
		before = *s;
		ntpc_clock_stepped(s, ldexp(step, -16));
		sc->ntp0 += (uint64_t)(int64_t)step << 16;
		if (s->n_filter != before.n_filter ||
		    s->sent_t1 != before.sent_t1 + ((uint64_t)(int64_t)step << 16))
			abort();
		for (i = 0; i < s->n_filter; i++)
			if (fabs(s->filter[i].offset -
				 (before.filter[i].offset - ldexp(step, -16))) >
			    1e-9 + fabs(before.filter[i].offset) * 0x1p-50)
				abort();
		check_state(s);
		check_candidate(s, sc->mono);
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct script sc = {.p = data, .left = size, .mono = M0, .random = 0x5eed};
	struct ntpc_config cfg;
	struct ntpc_source s;
	uint8_t hdr[3];

	take(&sc, hdr, sizeof(hdr));
	/* -8 to 19: a little beyond the limits, which ntpc_init() enforces itself */
	memset(&cfg, 0, sizeof(cfg));
	cfg.minpoll = hdr[0] % 28 - 8;
	cfg.maxpoll = hdr[1] % 28 - 8;
	cfg.iburst = hdr[2] & 1;
	cfg.prefer = hdr[2] >> 1 & 1;
	cfg.noselect = hdr[2] >> 2 & 1;
	sc.ntp0 = hdr[2] & 8 ? T0_ROLL : T0_ERA0;
	ntpc_init(&s, &cfg, sc.mono);
	if (s.next_ns != sc.mono || s.sent_xmt != 0 || s.reach != 0)
		abort();
	check_state(&s);
	while (sc.left > 0)
		run_record(&s, &sc);
	return 0;
}
