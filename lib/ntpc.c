/* SPDX-License-Identifier: BSD-3-Clause */
#include "ntpc.h"

#include <math.h>
#include <string.h>

#include <strata/ntp.h>

/* RFC 5905 appendix A.1.1 */
#define PHI 15e-6    /* s/s: frequency tolerance, the growth of dispersion */
#define MAXDISP 16.0 /* s: the dispersion of an empty filter stage */
#define PGATE 4.0    /* poll-adjust gate, in units of jitter (section 13) */

/* ours */
#define UNREACH 8 /* polls without a sample before the poll backs off */
#define POLL_UP 4 /* good samples in a row before the poll rises */
#define BURST_NS (2 * NSEC_PER_SEC)
#define RHO_LOCAL 9.5367431640625e-07 /* 2^-20 s: the precision we assume for our clock */
#define MAXNEGDELAY 1e-3	      /* s: a round trip this far below zero is no measurement */

/* the ASCII kiss codes of RFC 5905 section 7.4, as the refid holds them on the wire */
#define KISS NTP_KISS

static uint64_t
poll_ns(int poll)
{
	return poll >= 0 ? NSEC_PER_SEC << poll : NSEC_PER_SEC >> -poll;
}

static double
ts_sec(__s64 d)
{
	return ldexp((double)d, -32);
}

static double
age_sec(uint64_t now_ns, uint64_t then_ns)
{
	return now_ns > then_ns ? (double)(now_ns - then_ns) / NSEC_PER_SEC : 0.0;
}

static int
clamp(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

void
ntpc_init(struct ntpc_source *s, const struct ntpc_config *cfg, uint64_t now_ns)
{
	memset(s, 0, sizeof(*s));
	s->cfg = *cfg;
	/* the config parser bounds them too; here they also bound the shifts of poll_ns() */
	s->cfg.minpoll = clamp(cfg->minpoll, NTPC_POLL_MIN, NTPC_POLL_MAX);
	s->cfg.maxpoll = clamp(cfg->maxpoll, s->cfg.minpoll, NTPC_POLL_MAX);
	s->poll = s->cfg.minpoll;
	s->burst = cfg->iburst ? NTPC_BURST : 0;
	s->next_ns = now_ns;
}

/*
 * One poll ended without a usable sample: no reply, or a reply that was
 * unsynchronized, bogus or a kiss. The reach register (RFC 5905 section
 * 9.2) takes a 0; chrony's scheme, where each poll shifts the register once
 * when it ends (1 for a sample, 0 otherwise), so an unanswered outstanding
 * request does not read as a loss yet.
 */
static void
miss(struct ntpc_source *s)
{
	s->sent_xmt = 0;
	s->reach <<= 1;
	if (s->unreach < UNREACH)
		s->unreach++;
	if (s->reach == 0) {
		/*
		 * Unreachable: RFC 5905 appendix A.5.7.1 pushes dummy samples
		 * of MAXDISP into the filter until the real ones are out;
		 * forgetting them at once is the same, in less code.
		 */
		s->n_filter = 0;
		s->poll_count = 0;
	}
	/* RFC 5905 appendix A.5.7.1 and chrony: stop hammering a silent server */
	if (s->unreach >= UNREACH && s->poll < s->cfg.maxpoll)
		s->poll++;
}

size_t
ntpc_request(struct ntpc_source *s, uint8_t *buf, uint64_t random, uint64_t t1, uint64_t now_ns)
{
	struct ntp_hdr *h = (struct ntp_hdr *)buf;
	uint64_t ival = poll_ns(s->poll);

	if (s->sent_xmt != 0)
		miss(s); /* the previous request was never answered */
	if (random == 0)
		random = 1; /* 0 means "nothing outstanding" */

	/* draft-ietf-ntp-data-minimization: all zero but the transmit timestamp */
	memset(h, 0, sizeof(*h));
	h->lvm = NTP_LVM(NTP_LEAP_NONE, NTP_VERSION_MAX, NTP_MODE_CLIENT);
	ntp_ts_put(&h->xmt, random);
	s->sent_xmt = random;
	s->sent_t1 = t1;
	s->sent_mono = now_ns;

	/* iburst as chrony: NTPC_BURST requests 2 s (or the poll, if shorter) apart */
	if (s->burst > 0)
		s->burst--;
	if (s->burst > 0 && ival > BURST_NS)
		ival = BURST_NS;
	s->next_ns = s->denied ? UINT64_MAX : now_ns + ival;
	return sizeof(*h);
}

/*
 * RFC 5905 section 10 and appendix A.5.2 clock_filter(): shift the sample
 * in, take the stage of least delay (the one least disturbed by queueing),
 * and rate the filter by the delay-sorted dispersions and offsets.
 */
static void
clock_filter(struct ntpc_source *s, double offset, double delay, double disp, uint64_t now_ns)
{
	int idx[NTPC_NSTAGE];
	const struct ntpc_stage *best;
	double eps = 0.0, jit = 0.0;
	int i, j, n;

	memmove(&s->filter[1], &s->filter[0], (NTPC_NSTAGE - 1) * sizeof(s->filter[0]));
	s->filter[0] = (struct ntpc_stage){offset, delay, disp, now_ns};
	if (s->n_filter < NTPC_NSTAGE)
		s->n_filter++;
	n = s->n_filter;

	/* stable insertion sort by delay: on a tie the newer stage comes first */
	for (i = 0; i < n; i++) {
		for (j = i; j > 0 && s->filter[idx[j - 1]].delay > s->filter[i].delay; j--)
			idx[j] = idx[j - 1];
		idx[j] = i;
	}
	best = &s->filter[idx[0]];

	/*
	 * epsilon = sum of disp_i / 2^(i+1) in delay order, each stage's
	 * dispersion grown at PHI since it was taken. An empty stage counts
	 * as MAXDISP (RFC 5905 appendix A.2 clear()), so a source needs
	 * about four samples before its distance drops under MAXDIST.
	 */
	for (i = 0; i < NTPC_NSTAGE; i++) {
		double d = MAXDISP;

		if (i < n) {
			const struct ntpc_stage *f = &s->filter[idx[i]];

			d = f->disp + PHI * age_sec(now_ns, f->mono_ns);
			jit += (f->offset - best->offset) * (f->offset - best->offset);
		}
		eps += ldexp(d, -(i + 1));
	}
	/* psi: RMS of the offset differences to the chosen stage (RFC 5905 section 10) */
	if (n > 1)
		jit /= n - 1;

	s->offset = best->offset;
	s->delay = best->delay;
	s->disp = eps;
	s->jitter = fmax(sqrt(jit), RHO_LOCAL);
	/*
	 * A sample older than the one last used is not used again (appendix
	 * A.5.2): only a newer choice is news for selection and discipline.
	 */
	if (n == 1 || best->mono_ns > s->filter_mono_ns) {
		s->filter_mono_ns = best->mono_ns;
		s->new_sample = 1;
	}
}

/*
 * A simplified RFC 5905 section 13 poll adjustment, per source: an offset
 * within PGATE times the jitter (taken before this sample) means the clock
 * follows the source and noise dominates, so after POLL_UP such samples
 * with a full reach register the poll doubles; an offset beyond the gate
 * (a spike, a step, a clock not yet disciplined) halves it at once.
 */
static void
adjust_poll(struct ntpc_source *s, double old_jitter)
{
	if (fabs(s->offset) >= PGATE * old_jitter) {
		s->poll_count = 0;
		if (s->poll > s->cfg.minpoll)
			s->poll--;
	} else if (s->reach == 0xff && ++s->poll_count >= POLL_UP) {
		s->poll_count = 0;
		if (s->poll < s->cfg.maxpoll)
			s->poll++;
	}
}

/* RFC 5905 section 7.4: stratum 0 is a kiss-o'-death, its refid the code */
static enum ntpc_event
kiss(struct ntpc_source *s, const struct ntp_hdr *h)
{
	miss(s);
	if (h->refid == KISS('R', 'A', 'T', 'E')) {
		/*
		 * "The client MUST reduce its polling rate". As older chrony did,
		 * minpoll rises to the server's poll field (here at least one
		 * step), so that poll adjustment cannot undo it, and the burst
		 * stops.
		 */
		s->poll = clamp(h->poll > s->poll + 1 ? h->poll : s->poll + 1, s->cfg.minpoll,
				s->cfg.maxpoll);
		s->cfg.minpoll = s->poll;
		s->burst = 0;
		s->next_ns = s->sent_mono + poll_ns(s->poll);
		return NTPC_KOD_RATE;
	}
	if (h->refid == KISS('D', 'E', 'N', 'Y') || h->refid == KISS('R', 'S', 'T', 'R')) {
		/* "the client MUST demobilize any associations to that server" */
		s->denied = 1;
		s->next_ns = UINT64_MAX;
		return NTPC_KOD_DENY;
	}
	return NTPC_BOGUS; /* other codes are for the operator, not a sample */
}

enum ntpc_event
ntpc_reply(struct ntpc_source *s, const uint8_t *pkt, size_t len, uint64_t t4, uint64_t now_ns)
{
	const struct ntp_hdr *h = (const struct ntp_hdr *)pkt;
	uint64_t t1 = s->sent_t1, t2, t3;
	double offset, delay, disp, root_delay, root_disp, old_jitter;
	int version;

	/* extension fields and a MAC may follow the header: not ours to check */
	if (len < sizeof(*h))
		return NTPC_IGNORED;
	version = NTP_LVM_VERSION(h->lvm);
	if (NTP_LVM_MODE(h->lvm) != NTP_MODE_SERVER || version < NTP_VERSION_MIN ||
	    version > NTP_VERSION_MAX)
		return NTPC_IGNORED;
	/*
	 * RFC 5905 section 8: the origin must echo our transmit timestamp,
	 * else the packet is bogus (an off-path spoofer cannot guess 64
	 * random bits); one answer per request, so a duplicate finds nothing
	 * outstanding.
	 */
	if (s->sent_xmt == 0 || ntp_ts_get(&h->org) != s->sent_xmt)
		return NTPC_IGNORED;

	/* from here the packet answers our request: it ends this poll either way */
	if (h->stratum == 0)
		return kiss(s, h);
	t2 = ntp_ts_get(&h->rec);
	t3 = ntp_ts_get(&h->xmt);
	/* 16.16 fixed point (RFC 5905 section 6), exact in a double: no rounding at MAXDIST */
	root_delay = ldexp(strata_ntohl(h->root_delay), -16);
	root_disp = ldexp(strata_ntohl(h->root_disp), -16);
	/*
	 * RFC 5905 appendix A.5.1.1: an unsynchronized server, timestamps it
	 * never filled in or that run backwards are no measurement. The root
	 * distance test is stricter than A.5.1.1's MAXDISP: beyond MAXDIST
	 * selection would reject the source anyway (section 11.2.1).
	 */
	if (NTP_LVM_LEAP(h->lvm) == NTP_LEAP_UNSYNC || h->stratum >= NTP_STRATUM_UNSYNC ||
	    t2 == 0 || t3 == 0 || ntp_ts_diff(t3, t2) < 0 ||
	    root_delay / 2 + root_disp > SEL_MAXDIST)
		goto bogus;

	/*
	 * RFC 5905 section 8, each difference era-safe (section 6):
	 * theta = ((T2 - T1) + (T3 - T4)) / 2, delta = (T4 - T1) - (T3 - T2),
	 * epsilon = rho_server + rho_local + PHI * (T4 - T1).
	 */
	offset = (ts_sec(ntp_ts_diff(t2, t1)) + ts_sec(ntp_ts_diff(t3, t4))) / 2;
	delay = ts_sec(ntp_ts_diff(t4, t1)) - ts_sec(ntp_ts_diff(t3, t2));
	if (delay < -MAXNEGDELAY)
		goto bogus;
	/* appendix A.5.1.1: delay = max(delta, rho_local) */
	delay = fmax(delay, RHO_LOCAL);
	disp = ldexp(1.0, h->precision) + RHO_LOCAL + PHI * ts_sec(ntp_ts_diff(t4, t1));

	s->sent_xmt = 0;
	s->reach = (uint8_t)(s->reach << 1 | 1);
	if (s->unreach >= UNREACH)
		s->poll = s->cfg.minpoll; /* back after a silence: poll as a new source */
	s->unreach = 0;
	s->stratum = h->stratum;
	s->leap = NTP_LVM_LEAP(h->lvm);
	s->refid = h->refid;
	s->root_delay = root_delay;
	s->root_disp = root_disp;
	s->ref_time = ntp_ts_get(&h->ref);
	s->last_rx_ns = now_ns;

	old_jitter = s->n_filter > 0 ? s->jitter : 0.0;
	clock_filter(s, offset, delay, disp, now_ns);
	adjust_poll(s, old_jitter);
	return NTPC_SAMPLE;
bogus:
	miss(s);
	return NTPC_BOGUS;
}

void
ntpc_timeout(struct ntpc_source *s, uint64_t now_ns)
{
	miss(s);
	/* a due poll that never went out (no socket...): try again a poll later, not at once */
	if (now_ns >= s->next_ns && !s->denied)
		s->next_ns = now_ns + poll_ns(s->poll);
}

int
ntpc_reachable(const struct ntpc_source *s)
{
	return s->reach != 0;
}

int
ntpc_candidate(const struct ntpc_source *s, uint64_t now_ns, struct sel_candidate *c)
{
	if (s->denied || s->cfg.noselect || s->n_filter == 0 || !ntpc_reachable(s))
		return -1;
	c->offset = s->offset;
	c->delay = s->delay;
	/* appendix A.5.5.2 root_dist(): the filter's dispersion grows on since its sample */
	c->disp = s->disp + PHI * age_sec(now_ns, s->filter_mono_ns);
	c->jitter = s->jitter;
	c->root_delay = s->root_delay;
	c->root_disp = s->root_disp;
	c->stratum = s->stratum;
	c->prefer = s->cfg.prefer;
	return 0;
}

void
ntpc_clock_stepped(struct ntpc_source *s, double step)
{
	int i;

	/*
	 * Our clock now reads @step more: the upstream's time minus ours was
	 * @step less all along. The outstanding request's T1 moves with the
	 * clock, so its reply still measures right (chrony's NCR_SlewTimes).
	 */
	for (i = 0; i < s->n_filter; i++)
		s->filter[i].offset -= step;
	s->offset -= step;
	s->sent_t1 += (uint64_t)(int64_t)llround(ldexp(step, 32));
}
