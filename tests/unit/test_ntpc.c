/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The upstream client (lib/ntpc.c) with made-up packets: the request
 * bytes, the checks on replies, the on-wire measurement, the clock filter,
 * the reach register and the poll interval.
 */
#include <math.h>
#include <string.h>

#include <strata/ntp.h>

#include "ntpc.h"

#include "cunit_main.h"

#define SEC NSEC_PER_SEC
#define PHI 15e-6
#define RHO 9.5367431640625e-07 /* 2^-20: the packets' precision and our own */
#define PROC 0.000244140625	/* 2^-12 s: the server's processing time */
#define EPS 1e-9		/* 32.32 timestamps resolve 2^-32 s */
/* 2023-11-14T22:13:20Z as an NTP timestamp: an ordinary era-0 time */
#define T0 ((__u64)3909075200u << 32)
#define M0 (1000 * SEC) /* monotonic time of the first poll */

static __u64 seed = 0x9e3779b97f4a7c15ULL;

static __u64
rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

static __u64
ts_add(__u64 t, double sec)
{
	return t + (__u64)(__s64)llround(ldexp(sec, 32));
}

static void
init(struct ntpc_source *s, int minpoll, int maxpoll, int iburst)
{
	struct ntpc_config cfg = {.minpoll = minpoll, .maxpoll = maxpoll, .iburst = iburst};

	ntpc_init(s, &cfg, M0);
}

/* A well-formed server reply to the outstanding request of @s. */
static void
make_reply(uint8_t *buf, const struct ntpc_source *s, __u64 t2, __u64 t3)
{
	struct ntp_hdr *h = (struct ntp_hdr *)buf;

	memset(h, 0, sizeof(*h));
	h->lvm = NTP_LVM(NTP_LEAP_NONE, 4, NTP_MODE_SERVER);
	h->stratum = 2;
	h->poll = 6;
	h->precision = -20;
	h->root_delay = strata_htonl(ntp_short_from_ns(10000000)); /* 10 ms */
	h->root_disp = strata_htonl(ntp_short_from_ns(5000000));   /* 5 ms */
	h->refid = strata_htonl(0xc0000201);
	ntp_ts_put(&h->ref, t2 - ((__u64)16 << 32));
	ntp_ts_put(&h->org, s->sent_xmt);
	ntp_ts_put(&h->rec, t2);
	ntp_ts_put(&h->xmt, t3);
}

static struct ntp_hdr *
hdr(uint8_t *buf)
{
	return (struct ntp_hdr *)buf;
}

/*
 * One poll at our NTP time @t1 and monotonic @mono against a server @offset
 * ahead of us over a path of round trip @delay: sends the request and builds
 * the reply in @buf. @t4 and @rx get our reply times.
 */
static void
poll_once(struct ntpc_source *s, uint8_t *buf, __u64 t1, uint64_t mono, double offset, double delay,
	  __u64 *t4, uint64_t *rx)
{
	__u64 t2 = ts_add(t1, delay / 2 + offset), t3 = ts_add(t2, PROC);

	CU_ASSERT_EQUAL(ntpc_request(s, buf, rnd(), t1, mono), NTP_HEADER_LEN);
	make_reply(buf, s, t2, t3);
	*t4 = ts_add(t3, delay / 2 - offset);
	*rx = mono + (uint64_t)llround((delay + PROC) * 1e9);
}

/* A full exchange with a good reply: @return the event. */
static enum ntpc_event
exchange(struct ntpc_source *s, uint64_t mono, double offset, double delay)
{
	uint8_t buf[NTP_HEADER_LEN];
	uint64_t rx;
	__u64 t4;

	poll_once(s, buf, ts_add(T0, (double)mono / 1e9), mono, offset, delay, &t4, &rx);
	return ntpc_reply(s, buf, sizeof(buf), t4, rx);
}

static void
test_request_bytes(void)
{
	struct ntpc_source s;
	uint8_t buf[64];
	int i;

	init(&s, 6, 10, 0);
	memset(buf, 0xa5, sizeof(buf));
	CU_ASSERT_EQUAL(ntpc_request(&s, buf, 0x0123456789abcdefULL, T0, M0), 48);
	/* LI 0, VN 4, mode 3 (client) */
	CU_ASSERT_EQUAL(buf[0], 0x23);
	/* data minimization: nothing of ours leaks, not even the poll */
	for (i = 1; i < 40; i++)
		CU_ASSERT_EQUAL(buf[i], 0);
	/* the transmit timestamp is the random value, big-endian */
	for (i = 0; i < 8; i++)
		CU_ASSERT_EQUAL(buf[40 + i], (uint8_t)(0x0123456789abcdefULL >> (56 - 8 * i)));
	CU_ASSERT_EQUAL(buf[48], 0xa5); /* nothing written beyond */
	CU_ASSERT_EQUAL(s.sent_xmt, 0x0123456789abcdefULL);
	CU_ASSERT_EQUAL(s.sent_t1, T0);
	CU_ASSERT_EQUAL(s.sent_mono, M0);
}

static void
test_good_reply(void)
{
	struct ntpc_source s;
	uint8_t buf[NTP_HEADER_LEN + 20]; /* a MAC after the header is not ours to check */
	__u64 t1 = T0, t2, t3, t4;

	init(&s, 6, 10, 0);
	s.cfg.prefer = 1;
	/* dyadic times, so the result is exact: theta = 0.5 s, delta = 0.0625 s */
	t2 = ts_add(t1, 0.53125);
	t3 = ts_add(t2, 0.0078125);
	t4 = ts_add(t3, -0.46875);
	ntpc_request(&s, buf, rnd(), t1, M0);
	memset(buf, 0, sizeof(buf));
	make_reply(buf, &s, t2, t3);
	CU_ASSERT_EQUAL(ntpc_reply(&s, buf, sizeof(buf), t4, M0 + SEC / 10), NTPC_SAMPLE);
	CU_ASSERT_DOUBLE_EQUAL(s.offset, 0.5, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(s.delay, 0.0625, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(s.filter[0].offset, 0.5, 1e-12);
	/* RFC 5905 section 8: epsilon = rho_server + rho_local + PHI * (T4 - T1) */
	CU_ASSERT_DOUBLE_EQUAL(s.filter[0].disp, 2 * RHO + PHI * 0.0703125, 1e-12);
	CU_ASSERT_EQUAL(s.n_filter, 1);
	CU_ASSERT_EQUAL(s.reach, 1);
	CU_ASSERT_EQUAL(s.sent_xmt, 0);
	CU_ASSERT_EQUAL(s.new_sample, 1);
	CU_ASSERT_EQUAL(s.last_rx_ns, M0 + SEC / 10);
	CU_ASSERT_EQUAL(s.filter_mono_ns, M0 + SEC / 10);
	CU_ASSERT_EQUAL(s.stratum, 2);
	CU_ASSERT_EQUAL(s.leap, 0);
	CU_ASSERT_EQUAL(s.refid, strata_htonl(0xc0000201));
	CU_ASSERT_EQUAL(s.ref_time, t2 - ((__u64)16 << 32));
	CU_ASSERT_DOUBLE_EQUAL(s.root_delay, 0.010, 2e-5);
	CU_ASSERT_DOUBLE_EQUAL(s.root_disp, 0.005, 2e-5);

	/* the server behind us: a negative offset */
	ntpc_request(&s, buf, rnd(), t1, M0 + 64 * SEC);
	t2 = ts_add(t1, 0.03125 - 0.25);
	t3 = ts_add(t2, 0.0078125);
	t4 = ts_add(t3, 0.03125 + 0.25);
	make_reply(buf, &s, t2, t3);
	CU_ASSERT_EQUAL(ntpc_reply(&s, buf, NTP_HEADER_LEN, t4, M0 + 65 * SEC), NTPC_SAMPLE);
	CU_ASSERT_DOUBLE_EQUAL(s.filter[0].offset, -0.25, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(s.filter[0].delay, 0.0625, 1e-12);
	CU_ASSERT_EQUAL(s.reach, 3);
}

static void
test_not_ours_ignored(void)
{
	struct ntpc_source s, before;
	uint8_t buf[NTP_HEADER_LEN];
	uint64_t rx;
	__u64 t4;

	/* nothing outstanding: whatever comes is not an answer */
	init(&s, 6, 10, 0);
	make_reply(buf, &s, T0, T0);
	memcpy(&before, &s, sizeof(s));
	CU_ASSERT_EQUAL(ntpc_reply(&s, buf, sizeof(buf), T0, M0), NTPC_IGNORED);
	CU_ASSERT(memcmp(&before, &s, sizeof(s)) == 0);

	poll_once(&s, buf, T0, M0, 0.001, 0.02, &t4, &rx);
	memcpy(&before, &s, sizeof(s));

	/* RFC 5905 section 8: the origin must echo our transmit timestamp */
	ntp_ts_put(&hdr(buf)->org, s.sent_xmt ^ 1);
	CU_ASSERT_EQUAL(ntpc_reply(&s, buf, sizeof(buf), t4, rx), NTPC_IGNORED);
	ntp_ts_put(&hdr(buf)->org, s.sent_xmt);
	/* too short */
	CU_ASSERT_EQUAL(ntpc_reply(&s, buf, NTP_HEADER_LEN - 1, t4, rx), NTPC_IGNORED);
	/* not a server's answer: client, broadcast, symmetric active */
	hdr(buf)->lvm = NTP_LVM(0, 4, NTP_MODE_CLIENT);
	CU_ASSERT_EQUAL(ntpc_reply(&s, buf, sizeof(buf), t4, rx), NTPC_IGNORED);
	hdr(buf)->lvm = NTP_LVM(0, 4, NTP_MODE_BROADCAST);
	CU_ASSERT_EQUAL(ntpc_reply(&s, buf, sizeof(buf), t4, rx), NTPC_IGNORED);
	hdr(buf)->lvm = NTP_LVM(0, 4, NTP_MODE_ACTIVE);
	CU_ASSERT_EQUAL(ntpc_reply(&s, buf, sizeof(buf), t4, rx), NTPC_IGNORED);
	/* versions outside 1..4 */
	hdr(buf)->lvm = NTP_LVM(0, 0, NTP_MODE_SERVER);
	CU_ASSERT_EQUAL(ntpc_reply(&s, buf, sizeof(buf), t4, rx), NTPC_IGNORED);
	hdr(buf)->lvm = NTP_LVM(0, 5, NTP_MODE_SERVER);
	CU_ASSERT_EQUAL(ntpc_reply(&s, buf, sizeof(buf), t4, rx), NTPC_IGNORED);
	/* none of them changed anything, not even the outstanding request */
	CU_ASSERT(memcmp(&before, &s, sizeof(s)) == 0);

	/* the real answer still counts; version 3 is fine */
	hdr(buf)->lvm = NTP_LVM(0, 3, NTP_MODE_SERVER);
	CU_ASSERT_EQUAL(ntpc_reply(&s, buf, sizeof(buf), t4, rx), NTPC_SAMPLE);
}

static void
test_duplicate(void)
{
	struct ntpc_source s, before;
	uint8_t buf[NTP_HEADER_LEN];
	uint64_t rx;
	__u64 t4;

	init(&s, 6, 10, 0);
	poll_once(&s, buf, T0, M0, 0.001, 0.02, &t4, &rx);
	CU_ASSERT_EQUAL(ntpc_reply(&s, buf, sizeof(buf), t4, rx), NTPC_SAMPLE);
	memcpy(&before, &s, sizeof(s));
	/* the same packet again (duplicated or replayed): one answer per request */
	CU_ASSERT_EQUAL(ntpc_reply(&s, buf, sizeof(buf), ts_add(t4, 0.001), rx + SEC / 1000),
			NTPC_IGNORED);
	CU_ASSERT(memcmp(&before, &s, sizeof(s)) == 0);
	CU_ASSERT_EQUAL(s.n_filter, 1);
	CU_ASSERT_EQUAL(s.reach, 1);
}

/* A reply to the outstanding request, changed by @set, at its usual times. */
static enum ntpc_event
reply_with(struct ntpc_source *s, uint64_t mono, void (*set)(struct ntp_hdr *h, void *arg),
	   void *arg)
{
	uint8_t buf[NTP_HEADER_LEN];
	uint64_t rx;
	__u64 t4;

	poll_once(s, buf, ts_add(T0, (double)mono / 1e9), mono, 0.001, 0.02, &t4, &rx);
	set(hdr(buf), arg);
	return ntpc_reply(s, buf, sizeof(buf), t4, rx);
}

static void
set_leap3(struct ntp_hdr *h, void *arg)
{
	(void)arg;
	h->lvm = NTP_LVM(NTP_LEAP_UNSYNC, 4, NTP_MODE_SERVER);
}

static void
set_stratum(struct ntp_hdr *h, void *arg)
{
	h->stratum = (__u8) * (int *)arg;
}

/* a kiss-o'-death: stratum 0, the code in the refid, poll field @arg */
static void
set_kiss(struct ntp_hdr *h, void *arg)
{
	const char *code = arg;

	h->lvm = NTP_LVM(NTP_LEAP_UNSYNC, 4, NTP_MODE_SERVER);
	h->stratum = 0;
	memcpy(&h->refid, code, 4);
	h->poll = (__s8)code[4];
}

static void
test_unsynchronized(void)
{
	struct ntpc_source s;
	int st;

	init(&s, 6, 10, 0);
	CU_ASSERT_EQUAL(reply_with(&s, M0, set_leap3, NULL), NTPC_BOGUS);
	CU_ASSERT_EQUAL(s.n_filter, 0);
	CU_ASSERT_EQUAL(s.sent_xmt, 0); /* answered: this poll is over */
	st = NTP_STRATUM_UNSYNC;
	CU_ASSERT_EQUAL(reply_with(&s, M0 + 64 * SEC, set_stratum, &st), NTPC_BOGUS);
	st = 255;
	CU_ASSERT_EQUAL(reply_with(&s, M0 + 128 * SEC, set_stratum, &st), NTPC_BOGUS);
	/* a stratum-0 code that is no rule for clients */
	CU_ASSERT_EQUAL(reply_with(&s, M0 + 192 * SEC, set_kiss, "ACST\0"), NTPC_BOGUS);
	CU_ASSERT_EQUAL(s.n_filter, 0);
	CU_ASSERT_EQUAL(s.reach, 0);
	CU_ASSERT_EQUAL(s.denied, 0);

	/* stratum 15 is still synchronized */
	st = 15;
	CU_ASSERT_EQUAL(reply_with(&s, M0 + 256 * SEC, set_stratum, &st), NTPC_SAMPLE);
	CU_ASSERT_EQUAL(s.reach, 1);
	/* a reply that brings no sample is a lost poll for the reach register */
	CU_ASSERT_EQUAL(reply_with(&s, M0 + 320 * SEC, set_leap3, NULL), NTPC_BOGUS);
	CU_ASSERT_EQUAL(s.reach, 2);
	CU_ASSERT_EQUAL(s.n_filter, 1);
}

static void
test_kod_rate(void)
{
	struct ntpc_source s;

	init(&s, 6, 10, 1);
	CU_ASSERT_EQUAL(reply_with(&s, M0, set_kiss, "RATE\0"), NTPC_KOD_RATE);
	/* RFC 5905 section 7.4: poll less often, at once, and no more burst */
	CU_ASSERT_EQUAL(s.poll, 7);
	CU_ASSERT_EQUAL(s.burst, 0);
	CU_ASSERT_EQUAL(s.next_ns, M0 + 128 * SEC);
	CU_ASSERT_EQUAL(s.denied, 0);
	/* the server's poll field is the rate it asks for */
	CU_ASSERT_EQUAL(reply_with(&s, M0 + 128 * SEC, set_kiss, "RATE\x09"), NTPC_KOD_RATE);
	CU_ASSERT_EQUAL(s.poll, 9);
	CU_ASSERT_EQUAL(s.cfg.minpoll, 9); /* and the poll adjustment may not undo it */
	CU_ASSERT_EQUAL(reply_with(&s, M0 + 1024 * SEC, set_kiss, "RATE\x11"), NTPC_KOD_RATE);
	CU_ASSERT_EQUAL(s.poll, 10); /* never beyond maxpoll */
	CU_ASSERT_EQUAL(reply_with(&s, M0 + 2048 * SEC, set_kiss, "RATE\0"), NTPC_KOD_RATE);
	CU_ASSERT_EQUAL(s.poll, 10);
}

static void
test_kod_deny(void)
{
	static const char *const codes[] = {"DENY\0", "RSTR\0"};
	struct sel_candidate c;
	size_t i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		struct ntpc_source s;
		uint8_t buf[NTP_HEADER_LEN];
		uint64_t rx;
		__u64 t4;

		init(&s, 6, 10, 0);
		CU_ASSERT_EQUAL(exchange(&s, M0, 0.001, 0.02), NTPC_SAMPLE);
		CU_ASSERT_EQUAL(ntpc_candidate(&s, M0 + SEC, &c), 0);

		/* a spoofed kiss (wrong origin) is not obeyed */
		poll_once(&s, buf, T0, M0 + 64 * SEC, 0.001, 0.02, &t4, &rx);
		set_kiss(hdr(buf), (void *)codes[i]);
		ntp_ts_put(&hdr(buf)->org, s.sent_xmt + 1);
		CU_ASSERT_EQUAL(ntpc_reply(&s, buf, sizeof(buf), t4, rx), NTPC_IGNORED);
		CU_ASSERT_EQUAL(s.denied, 0);

		ntp_ts_put(&hdr(buf)->org, s.sent_xmt);
		CU_ASSERT_EQUAL(ntpc_reply(&s, buf, sizeof(buf), t4, rx), NTPC_KOD_DENY);
		CU_ASSERT_EQUAL(s.denied, 1);
		CU_ASSERT_EQUAL(s.next_ns, UINT64_MAX);
		CU_ASSERT_EQUAL(ntpc_candidate(&s, M0 + 65 * SEC, &c), -1);
	}
}

static void
set_t3_before_t2(struct ntp_hdr *h, void *arg)
{
	(void)arg;
	ntp_ts_put(&h->xmt, ntp_ts_get(&h->rec) - 1);
}

static void
set_t2_zero(struct ntp_hdr *h, void *arg)
{
	(void)arg;
	ntp_ts_put(&h->rec, 0);
}

static void
set_t3_zero(struct ntp_hdr *h, void *arg)
{
	(void)arg;
	ntp_ts_put(&h->xmt, 0);
}

/* what an unsynchronized server may send: no receive, no transmit time */
static void
set_t2_t3_zero(struct ntp_hdr *h, void *arg)
{
	(void)arg;
	ntp_ts_put(&h->rec, 0);
	ntp_ts_put(&h->xmt, 0);
}

/* root delay and root dispersion in ms from @arg */
static void
set_root(struct ntp_hdr *h, void *arg)
{
	const int *ms = arg;

	h->root_delay = strata_htonl(ntp_short_from_ns((uint64_t)ms[0] * 1000000));
	h->root_disp = strata_htonl(ntp_short_from_ns((uint64_t)ms[1] * 1000000));
}

static void
test_bad_times(void)
{
	struct ntpc_source s;
	uint8_t buf[NTP_HEADER_LEN];
	uint64_t rx;
	__u64 t4;
	int ok[2] = {2000, 490}, far[2] = {2000, 520};

	init(&s, 6, 10, 0);
	CU_ASSERT_EQUAL(reply_with(&s, M0, set_t3_before_t2, NULL), NTPC_BOGUS);
	CU_ASSERT_EQUAL(reply_with(&s, M0 + 64 * SEC, set_t2_zero, NULL), NTPC_BOGUS);
	CU_ASSERT_EQUAL(reply_with(&s, M0 + 128 * SEC, set_t3_zero, NULL), NTPC_BOGUS);
	CU_ASSERT_EQUAL(reply_with(&s, M0 + 160 * SEC, set_t2_t3_zero, NULL), NTPC_BOGUS);
	/* root distance root_delay / 2 + root_disp: 1.49 s is usable, 1.52 s is not */
	CU_ASSERT_EQUAL(reply_with(&s, M0 + 192 * SEC, set_root, far), NTPC_BOGUS);
	CU_ASSERT_EQUAL(s.n_filter, 0);
	CU_ASSERT_EQUAL(reply_with(&s, M0 + 256 * SEC, set_root, ok), NTPC_SAMPLE);
	CU_ASSERT_DOUBLE_EQUAL(s.root_delay, 2.0, 1e-4);

	/* a round trip 2 ms below zero: someone's timestamps are wrong */
	poll_once(&s, buf, T0, M0 + 320 * SEC, 0.001, 0.02, &t4, &rx);
	CU_ASSERT_EQUAL(ntpc_reply(&s, buf, sizeof(buf), ts_add(t4, -0.022), rx), NTPC_BOGUS);
	/* 0.5 ms below zero is noise: the delay becomes our precision (A.5.1.1) */
	poll_once(&s, buf, T0, M0 + 384 * SEC, 0.001, 0.02, &t4, &rx);
	CU_ASSERT_EQUAL(ntpc_reply(&s, buf, sizeof(buf), ts_add(t4, -0.0205), rx), NTPC_SAMPLE);
	CU_ASSERT_DOUBLE_EQUAL(s.filter[0].delay, RHO, 1e-15);
	CU_ASSERT_DOUBLE_EQUAL(s.filter[0].offset, 0.001 + 0.0205 / 2, EPS);
}

static void
test_era_crossing(void)
{
	struct ntpc_source s;
	uint8_t buf[NTP_HEADER_LEN];
	/* 1/16 s before 2036-02-07T06:28:16Z, when the timestamps wrap to zero */
	__u64 t1 = 0xfffffffff0000000ULL, t2, t3, t4;

	init(&s, 6, 10, 0);
	/* the server already in era 1, and the reply back after the wrap */
	t2 = ts_add(t1, 0.125 + 0.5);
	t3 = ts_add(t2, 0.0078125);
	t4 = ts_add(t3, 0.125 - 0.5);
	CU_ASSERT(t2 < t1 && t4 < t1); /* wrapped */
	ntpc_request(&s, buf, rnd(), t1, M0);
	make_reply(buf, &s, t2, t3);
	CU_ASSERT_EQUAL(ntpc_reply(&s, buf, sizeof(buf), t4, M0 + SEC), NTPC_SAMPLE);
	CU_ASSERT_DOUBLE_EQUAL(s.filter[0].offset, 0.5, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(s.filter[0].delay, 0.25, 1e-12);

	/* the server still in era 0, only our reception after the wrap */
	t2 = ts_add(t1, 0.125 - 1.0);
	t3 = ts_add(t2, 0.0078125);
	t4 = ts_add(t3, 0.125 + 1.0);
	CU_ASSERT(t3 >> 32 == 0xffffffff && t4 >> 32 == 0);
	ntpc_request(&s, buf, rnd(), t1, M0 + 64 * SEC);
	make_reply(buf, &s, t2, t3);
	CU_ASSERT_EQUAL(ntpc_reply(&s, buf, sizeof(buf), t4, M0 + 65 * SEC), NTPC_SAMPLE);
	CU_ASSERT_DOUBLE_EQUAL(s.filter[0].offset, -1.0, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(s.filter[0].delay, 0.25, 1e-12);
}

static void
test_clock_filter(void)
{
	static const double off[] = {0.010, 0.012, 0.008, 0.011, 0.009};
	static const double del[] = {0.030, 0.020, 0.025, 0.040, 0.022};
	static const int news[] = {1, 1, 0, 0, 0};  /* the least delay so far is new? */
	static const int order[] = {1, 4, 2, 0, 3}; /* by increasing delay */
	struct ntpc_source s;
	uint64_t mono[5], rx[5], now;
	double disp = 0, jit = 0;
	int i;

	init(&s, 6, 10, 0);
	for (i = 0; i < 5; i++) {
		mono[i] = M0 + (uint64_t)i * 64 * SEC;
		rx[i] = mono[i] + (uint64_t)llround((del[i] + PROC) * 1e9);
		s.new_sample = 0;
		CU_ASSERT_EQUAL(exchange(&s, mono[i], off[i], del[i]), NTPC_SAMPLE);
		CU_ASSERT_EQUAL(s.new_sample, news[i]);
	}
	now = rx[4];
	CU_ASSERT_EQUAL(s.n_filter, 5);
	/* the stage of least delay, though not the newest */
	CU_ASSERT_DOUBLE_EQUAL(s.offset, 0.012, EPS);
	CU_ASSERT_DOUBLE_EQUAL(s.delay, 0.020, EPS);
	CU_ASSERT_EQUAL(s.filter_mono_ns, rx[1]);
	/* psi = sqrt(((-.002)^2 + .003^2 + .004^2 + .001^2) / 4): RFC 5905 section 10 */
	CU_ASSERT_DOUBLE_EQUAL(s.jitter, sqrt(7.5e-6), EPS);
	/* epsilon = sum of disp_i / 2^(i+1) by delay, grown with age; empty stages MAXDISP */
	for (i = 0; i < 5; i++) {
		int k = order[i];
		double d = 2 * RHO + PHI * (del[k] + PROC) + PHI * (double)(now - rx[k]) / 1e9;

		disp += ldexp(d, -(i + 1));
		jit += (off[k] - off[1]) * (off[k] - off[1]);
	}
	disp += 16.0 * (1.0 / 64 + 1.0 / 128 + 1.0 / 256);
	CU_ASSERT_DOUBLE_EQUAL(s.disp, disp, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(s.jitter, sqrt(jit / 4), EPS);

	/* a new least delay is news again */
	s.new_sample = 0;
	CU_ASSERT_EQUAL(exchange(&s, M0 + 320 * SEC, 0.0105, 0.015), NTPC_SAMPLE);
	CU_ASSERT_EQUAL(s.new_sample, 1);
	CU_ASSERT_DOUBLE_EQUAL(s.offset, 0.0105, EPS);
	/* of two stages with the same delay the newer wins */
	s.new_sample = 0;
	CU_ASSERT_EQUAL(exchange(&s, M0 + 384 * SEC, 0.0095, 0.015), NTPC_SAMPLE);
	CU_ASSERT_EQUAL(s.new_sample, 1);
	CU_ASSERT_DOUBLE_EQUAL(s.offset, 0.0095, EPS);
}

static void
test_filter_window(void)
{
	struct ntpc_source s;
	int i;

	init(&s, 6, 10, 0);
	/* one quiet sample, then eight noisier: it leaves the window after eight */
	CU_ASSERT_EQUAL(exchange(&s, M0, 0.5, 0.001), NTPC_SAMPLE);
	for (i = 1; i <= NTPC_NSTAGE; i++) {
		CU_ASSERT_EQUAL(exchange(&s, M0 + (uint64_t)i * 64 * SEC, 0.1 * i, 0.1 - 0.001 * i),
				NTPC_SAMPLE);
		CU_ASSERT_EQUAL(s.n_filter, i + 1 > NTPC_NSTAGE ? NTPC_NSTAGE : i + 1);
		if (i < NTPC_NSTAGE)
			CU_ASSERT_DOUBLE_EQUAL(s.offset, 0.5, EPS);
	}
	/* now the best of the eight left: the newest, delay 0.092 */
	CU_ASSERT_DOUBLE_EQUAL(s.delay, 0.1 - 0.001 * NTPC_NSTAGE, EPS);
	CU_ASSERT_DOUBLE_EQUAL(s.offset, 0.1 * NTPC_NSTAGE, EPS);
}

static void
test_dispersion_grows(void)
{
	struct ntpc_source s;
	struct sel_candidate c, later;
	uint64_t rx;
	int i;

	init(&s, 6, 10, 0);
	s.cfg.prefer = 1;
	for (i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(exchange(&s, M0 + (uint64_t)i * 2 * SEC, 0.001, 0.02), NTPC_SAMPLE);
	rx = s.filter_mono_ns;
	c.id = later.id = 7;
	CU_ASSERT_EQUAL(ntpc_candidate(&s, rx, &c), 0);
	CU_ASSERT_EQUAL(ntpc_candidate(&s, rx + 1000 * SEC, &later), 0);
	/* RFC 5905 section 10: 15 ppm since the sample, nothing else moves */
	CU_ASSERT_DOUBLE_EQUAL(c.disp, s.disp, 1e-15);
	CU_ASSERT_DOUBLE_EQUAL(later.disp - c.disp, 1000 * PHI, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(later.offset, 0.001, EPS);
	CU_ASSERT_DOUBLE_EQUAL(later.delay, 0.02, EPS);
	CU_ASSERT_DOUBLE_EQUAL(later.jitter, s.jitter, 1e-15);
	CU_ASSERT_DOUBLE_EQUAL(later.root_delay, 0.010, 2e-5);
	CU_ASSERT_DOUBLE_EQUAL(later.root_disp, 0.005, 2e-5);
	CU_ASSERT_EQUAL(later.stratum, 2);
	CU_ASSERT_EQUAL(later.prefer, 1);
	CU_ASSERT_EQUAL(later.id, 7);
	/* four samples: the three empty stages still weigh 16 s / 16 - 16 s / 256 */
	CU_ASSERT(c.disp > 0.9375 && c.disp < 0.94);

	/* noselect: measured, never offered */
	s.cfg.noselect = 1;
	CU_ASSERT_EQUAL(ntpc_candidate(&s, rx, &c), -1);
	/* nothing measured yet */
	init(&s, 6, 10, 0);
	CU_ASSERT_EQUAL(ntpc_candidate(&s, M0, &c), -1);
}

static void
test_reach(void)
{
	struct ntpc_source s;
	struct sel_candidate c;
	uint8_t buf[NTP_HEADER_LEN];
	uint64_t mono = M0;
	int i;

	init(&s, 6, 10, 0);
	/* chrony's scheme: each poll shifts the register once as it ends, 1 for a sample */
	for (i = 0; i < 3; i++, mono += 64 * SEC)
		CU_ASSERT_EQUAL(exchange(&s, mono, 0.001, 0.02), NTPC_SAMPLE);
	CU_ASSERT_EQUAL(s.reach, 0x07);
	for (i = 0; i < 2; i++, mono += 64 * SEC) {
		ntpc_request(&s, buf, rnd(), T0, mono);
		ntpc_timeout(&s, mono + 10 * SEC);
	}
	CU_ASSERT_EQUAL(s.reach, 0x1c); /* 0b11100 */
	CU_ASSERT_EQUAL(s.unreach, 2);
	/* a request replacing one still unanswered counts that one as lost */
	ntpc_request(&s, buf, rnd(), T0, mono);
	CU_ASSERT_EQUAL(s.reach, 0x1c);
	ntpc_request(&s, buf, rnd(), T0, mono + 64 * SEC);
	CU_ASSERT_EQUAL(s.reach, 0x38);
	ntpc_timeout(&s, mono + 74 * SEC);
	CU_ASSERT_EQUAL(s.reach, 0x70);
	/* 4 lost so far; the last 1 leaves after 4 more */
	for (i = 0; i < 3; i++)
		ntpc_timeout(&s, mono);
	CU_ASSERT_EQUAL(s.reach, 0x80);
	CU_ASSERT(ntpc_reachable(&s));
	CU_ASSERT_EQUAL(ntpc_candidate(&s, mono, &c), 0);
	ntpc_timeout(&s, mono);
	CU_ASSERT_EQUAL(s.reach, 0);
	CU_ASSERT(!ntpc_reachable(&s));
	CU_ASSERT_EQUAL(ntpc_candidate(&s, mono, &c), -1);
	CU_ASSERT_EQUAL(s.n_filter, 0); /* the old samples are not trusted again */
	/* the first answer makes it reachable again */
	CU_ASSERT_EQUAL(exchange(&s, mono + 1024 * SEC, 0.001, 0.02), NTPC_SAMPLE);
	CU_ASSERT_EQUAL(s.reach, 1);
	CU_ASSERT_EQUAL(s.unreach, 0);
	CU_ASSERT_EQUAL(ntpc_candidate(&s, mono + 1025 * SEC, &c), 0);
}

static void
test_iburst(void)
{
	struct ntpc_source s;
	uint8_t buf[NTP_HEADER_LEN];
	uint64_t t;
	int i;

	init(&s, 6, 10, 1);
	CU_ASSERT_EQUAL(s.next_ns, M0);
	CU_ASSERT_EQUAL(s.burst, NTPC_BURST);
	/* NTPC_BURST requests 2 s apart, then the poll interval */
	for (i = 0; i < NTPC_BURST + 2; i++) {
		t = s.next_ns;
		ntpc_request(&s, buf, rnd(), T0, t);
		CU_ASSERT_EQUAL(s.next_ns - t, i < NTPC_BURST - 1 ? 2 * SEC : 64 * SEC);
	}
	CU_ASSERT_EQUAL(s.next_ns, M0 + (NTPC_BURST - 1) * 2 * SEC + 3 * 64 * SEC);

	/* without iburst: the first poll at once, then the poll interval */
	init(&s, 6, 10, 0);
	CU_ASSERT_EQUAL(s.next_ns, M0);
	ntpc_request(&s, buf, rnd(), T0, M0);
	CU_ASSERT_EQUAL(s.next_ns, M0 + 64 * SEC);

	/* below one second the poll is a fraction, and a burst no slower than it */
	init(&s, -2, 2, 1);
	ntpc_request(&s, buf, rnd(), T0, M0);
	CU_ASSERT_EQUAL(s.next_ns, M0 + SEC / 4);
	init(&s, -2, 2, 0);
	ntpc_request(&s, buf, rnd(), T0, M0);
	CU_ASSERT_EQUAL(s.next_ns, M0 + SEC / 4);
}

static void
test_backoff(void)
{
	static const int expect[] = {4, 4, 4, 4, 4, 4, 4, 5, 6, 7, 7, 7};
	struct ntpc_source s;
	uint8_t buf[NTP_HEADER_LEN];
	uint64_t t;
	size_t i;

	init(&s, 4, 7, 0);
	for (i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		t = s.next_ns;
		ntpc_request(&s, buf, rnd(), T0, t);
		ntpc_timeout(&s, t + SEC);
		/* eight lost polls make it unreachable; from then on each doubles the poll */
		CU_ASSERT_EQUAL(s.poll, expect[i]);
		CU_ASSERT(s.poll >= s.cfg.minpoll && s.poll <= s.cfg.maxpoll);
	}
	/* the interval follows */
	t = s.next_ns;
	ntpc_request(&s, buf, rnd(), T0, t);
	CU_ASSERT_EQUAL(s.next_ns - t, 128 * SEC);
	/* back: it starts over at minpoll, as a new source */
	CU_ASSERT_EQUAL(exchange(&s, t + 128 * SEC, 0.001, 0.02), NTPC_SAMPLE);
	CU_ASSERT_EQUAL(s.poll, 4);
	CU_ASSERT_EQUAL(s.unreach, 0);

	/* a poll that could not be sent is lost too, and the next is a poll later */
	init(&s, 4, 7, 0);
	ntpc_timeout(&s, M0 + 5);
	CU_ASSERT_EQUAL(s.unreach, 1);
	CU_ASSERT_EQUAL(s.next_ns, M0 + 5 + 16 * SEC);

	/* out-of-range configurations are brought into [NTPC_POLL_MIN, NTPC_POLL_MAX] */
	init(&s, -20, 40, 0);
	CU_ASSERT_EQUAL(s.cfg.minpoll, NTPC_POLL_MIN);
	CU_ASSERT_EQUAL(s.cfg.maxpoll, NTPC_POLL_MAX);
	init(&s, 8, 6, 0);
	CU_ASSERT_EQUAL(s.poll, 8);
	CU_ASSERT_EQUAL(s.cfg.maxpoll, 8);
}

static void
test_poll_adjust(void)
{
	struct ntpc_source s;
	uint64_t mono = M0;
	int i;

	init(&s, 4, 6, 0);
	/* samples within the noise: +-1 ms, jitter about 1.5 ms */
	for (i = 0; i < 7; i++, mono += 16 * SEC)
		exchange(&s, mono, i & 1 ? -0.001 : 0.001, 0.02);
	CU_ASSERT_EQUAL(s.poll, 4); /* the reach register is not full yet */
	/* full reach: every POLL_UP (4) good samples double the poll */
	for (i = 7; i < 10; i++, mono += 16 * SEC)
		exchange(&s, mono, i & 1 ? -0.001 : 0.001, 0.02);
	CU_ASSERT_EQUAL(s.poll, 4);
	exchange(&s, mono, -0.001, 0.02);
	CU_ASSERT_EQUAL(s.poll, 5);
	for (i = 0; i < 4; i++, mono += 32 * SEC)
		exchange(&s, mono, i & 1 ? -0.001 : 0.001, 0.02);
	CU_ASSERT_EQUAL(s.poll, 6);
	for (i = 0; i < 8; i++, mono += 64 * SEC)
		exchange(&s, mono, i & 1 ? -0.001 : 0.001, 0.02);
	CU_ASSERT_EQUAL(s.poll, 6); /* maxpoll */
	/* a spike (or a step) beyond 4 times the jitter: poll faster at once */
	exchange(&s, mono, 0.1, 0.01);
	CU_ASSERT_EQUAL(s.poll, 5);
	CU_ASSERT_EQUAL(s.poll_count, 0);
}

static void
test_clock_stepped(void)
{
	struct ntpc_source s;
	uint8_t buf[NTP_HEADER_LEN];
	__u64 t1, t2, t3, t4;
	int i;

	init(&s, 6, 10, 0);
	for (i = 0; i < 3; i++)
		exchange(&s, M0 + (uint64_t)i * 64 * SEC, 0.5, 0.02 + 0.001 * i);
	/* our clock jumped 0.5 s forward: the source is no longer ahead */
	ntpc_clock_stepped(&s, 0.5);
	for (i = 0; i < 3; i++)
		CU_ASSERT_DOUBLE_EQUAL(s.filter[i].offset, 0.0, EPS);
	CU_ASSERT_DOUBLE_EQUAL(s.offset, 0.0, EPS);
	CU_ASSERT_DOUBLE_EQUAL(s.delay, 0.02, EPS);

	/* a request in flight across a step of +2 s still measures right */
	t1 = ts_add(T0, 1000);
	ntpc_request(&s, buf, rnd(), t1, M0 + 1000 * SEC);
	ntpc_clock_stepped(&s, 2.0);
	t2 = ts_add(t1, 0.01);
	t3 = ts_add(t2, PROC);
	t4 = ts_add(t3, 0.01 + 2.0); /* read on the stepped clock */
	make_reply(buf, &s, t2, t3);
	CU_ASSERT_EQUAL(ntpc_reply(&s, buf, sizeof(buf), t4, M0 + 1001 * SEC), NTPC_SAMPLE);
	CU_ASSERT_DOUBLE_EQUAL(s.filter[0].offset, -2.0, EPS);
	CU_ASSERT_DOUBLE_EQUAL(s.filter[0].delay, 0.02, EPS);
}

static const struct test_case cases[] = {
	TEST_CASE(test_request_bytes),
	TEST_CASE(test_good_reply),
	TEST_CASE(test_not_ours_ignored),
	TEST_CASE(test_duplicate),
	TEST_CASE(test_unsynchronized),
	TEST_CASE(test_kod_rate),
	TEST_CASE(test_kod_deny),
	TEST_CASE(test_bad_times),
	TEST_CASE(test_era_crossing),
	TEST_CASE(test_clock_filter),
	TEST_CASE(test_filter_window),
	TEST_CASE(test_dispersion_grows),
	TEST_CASE(test_reach),
	TEST_CASE(test_iburst),
	TEST_CASE(test_backoff),
	TEST_CASE(test_poll_adjust),
	TEST_CASE(test_clock_stepped),
};

CUNIT_MAIN("ntpc", cases)
