/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * strata-gen: an NTP load generator in the manner of ntpperf. It paces NTPv4
 * client requests at a target rate (or a ramp of rates), checks every reply as
 * a careful client would (RFC 5905 section 8) and reports throughput, loss,
 * latency and the error of the server's transmit timestamp.
 *
 * Each request carries a random transmit timestamp whose low 32 bits are its
 * sequence number XOR a per-run key: the reply's origin timestamp leads
 * straight to the request's slot, no hash table, and a reply that does not
 * echo what we sent cannot match.
 *
 * With --nts, requests carry NTS extension fields and replies are verified
 * before any other check (gen_nts.c).
 */
#include "gen.h"
#include "stats.h"
#include "gen_nts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <strata/nts.h>

#define MAX_SECONDS 600
#define MAX_RATE 100000000ULL
#define MAX_PORTS 4096
#define MAX_STEPS 1000
#define GRACE_NS 1000000000LL
#define SLOTS_MAX (1U << 21)
#define NS 1000000000LL

struct step {
	uint64_t rate; /* requests/s, 0 = as fast as we can */
	double seconds;
	uint64_t sent, matched, valid, invalid, kod, unsync, dup;
};

/* One request in flight; reused once the sequence number wraps the table. */
struct slot {
	uint64_t xmt;	 /* what we sent, 0 for a free slot */
	int64_t sent_ns; /* CLOCK_REALTIME */
	uint32_t step;
	uint32_t answered;
};

struct run {
	const struct gen_engine *eng;
	void *e;
	struct step *steps;
	unsigned int nsteps;
	struct slot *slot;
	uint32_t mask, key;
	uint32_t seq;
	uint64_t rng;
	int64_t tol;		  /* 2^-32 s */
	uint64_t invalid_unknown; /* replies to nothing we sent: no step to charge */
	struct gen_hist hist;
	struct gen_welford txerr; /* ns */
	double send_seconds;
	uint8_t *reqbuf;     /* GEN_BURST requests of GEN_PKT_MAX octets */
	struct gen_nts *nts; /* NULL without --nts */
};

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int64_t
now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

/* The engine's pacing clock: the TSC for DPDK, where a syscall per burst costs */
static int64_t
mono_ns(const struct run *r)
{
	return r->eng->now != NULL ? r->eng->now(r->e) : now_ns(CLOCK_MONOTONIC);
}

static uint64_t
ntp_of_ns(int64_t ns)
{
	return ntp_from_unix(ns / NS, (uint32_t)(ns % NS), NULL);
}

/* xorshift64*: the random half of each transmit timestamp need not be secret */
static uint32_t
rnd32(struct run *r)
{
	r->rng ^= r->rng >> 12;
	r->rng ^= r->rng << 25;
	r->rng ^= r->rng >> 27;
	return (uint32_t)((r->rng * 0x2545F4914F6CDD1DULL) >> 32);
}

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: strata-gen [options] SERVER [-- EAL arguments]\n"
		"  SERVER                 IPv4 or IPv6 address literal\n"
		"  --engine NAME          socket or dpdk (socket)\n"
		"  --port N               server port (123)\n"
		"  --rate N               requests/s, 0 = flat out (0)\n"
		"  --ramp START:STEP:STEPS:SECONDS\n"
		"                         STEPS steps of SECONDS each at START + k*STEP/s\n"
		"  --duration S           seconds to send (5, at most %d)\n"
		"  --count N              stop after N requests\n"
		"  --ports N              source ports, one socket each (64, at most %d)\n"
		"  --base-port N          first source port (40000)\n"
		"  --tolerance S          slack of the timestamp checks in seconds (0.001)\n"
		"  --json FILE            write the summary as JSON\n"
		"  --plot-data FILE       write the steps and the latency distribution for\n"
		"                         gnuplot (perf/ramp.gp, perf/latency.gp)\n"
		"  --quiet                no progress line\n"
		"  --help                 this text\n"
		"  --version              print the version\n"
		"NTS (RFC 8915): one NTS-KE at the start, then authenticated requests:\n"
		"  --nts HOST[:PORT]      NTS-KE server, its name as in its certificate\n"
		"                         (an IPv6 address in brackets with a port; 4460)\n"
		"  --nts-ca FILE          CA certificates to trust (the system's)\n"
		"  --nts-aead N           15 (AES-SIV-CMAC-256) or 17 (-512) (15)\n"
		"  --nts-placeholders N   cookie placeholders per request, 0 to 7 (0)\n"
		"DPDK engine (EAL arguments after '--', e.g. -l 0-1 --no-pci):\n"
		"  --dpdk-port SPEC       EAL device, e.g. net_af_xdp0,iface=eth0\n"
		"  --src ADDR[/LEN]       source addresses: every host of the prefix\n"
		"                         (at most 65536), each with every source port\n"
		"  --src-count N          N sources instead (1 to 16777216): ADDR, then\n"
		"                         the same address in the next /LEN of --src-step\n"
		"  --src-step LEN         the prefix length the sources step at (128 or 32:\n"
		"                         hosts); e.g. 64: one source per IPv6 /64\n"
		"  --src-mac MAC          source MAC (the port's)\n"
		"  --dst-mac MAC          server's or next hop's MAC (asked for by ARP or\n"
		"                         neighbour solicitation from the first source)\n"
		"%s",
		MAX_SECONDS, MAX_PORTS,
#ifdef STRATA_GEN_DPDK
		""
#else
		"This strata-gen was built without DPDK.\n"
#endif
	);
}

static int
parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *v)
{
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno != 0 || *end != '\0' || *v < min || *v > max ? -1 : 0;
}

static int
parse_double(const char *s, double min, double max, double *v)
{
	char *end;

	if ((s[0] < '0' || s[0] > '9') && s[0] != '.')
		return -1;
	errno = 0;
	*v = strtod(s, &end);
	return errno != 0 || *end != '\0' || !(*v >= min && *v <= max) ? -1 : 0;
}

/* START:STEP:STEPS:SECONDS */
static int
parse_ramp(const char *arg, uint64_t v[3], double *seconds)
{
	char buf[128], *f[4], *save = NULL, *p = buf;
	unsigned int i;

	if (strlen(arg) >= sizeof(buf))
		return -1;
	strcpy(buf, arg);
	for (i = 0; i < 4; i++, p = NULL) {
		f[i] = strtok_r(p, ":", &save);
		if (f[i] == NULL)
			return -1;
	}
	if (strtok_r(NULL, ":", &save) != NULL)
		return -1;
	if (parse_u64(f[0], 1, MAX_RATE, &v[0]) < 0 || parse_u64(f[1], 0, MAX_RATE, &v[1]) < 0 ||
	    parse_u64(f[2], 1, MAX_STEPS, &v[2]) < 0 ||
	    parse_double(f[3], 0.001, MAX_SECONDS, seconds) < 0)
		return -1;
	if (v[0] + (v[2] - 1) * v[1] > MAX_RATE || (double)v[2] * *seconds > MAX_SECONDS)
		return -1;
	return 0;
}

static int
parse_server(const char *s, uint16_t port, struct gen_target *t)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)&t->addr;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&t->addr;

	memset(&t->addr, 0, sizeof(t->addr));
	if (inet_pton(AF_INET, s, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		t->addrlen = sizeof(*in4);
		return 0;
	}
	if (inet_pton(AF_INET6, s, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		t->addrlen = sizeof(*in6);
		return 0;
	}
	return -1;
}

/*
 * One reply, checked as RFC 5905 section 8 has a client check it: header
 * first (section 7.3), then that it answers a request of ours exactly once
 * (the bogus and duplicate tests), then the server's state (section 7.4 KoD,
 * leap and stratum), then the on-wire order of the four timestamps, all on
 * this host's CLOCK_REALTIME.
 */
static void
check_reply(struct run *r, const struct gen_rx *rx)
{
	const struct ntp_hdr *h = (const struct ntp_hdr *)rx->buf;
	uint64_t org, rec, xmt, t1, t4;
	struct slot *s;
	struct step *st;
	int64_t lat;

	if (rx->len < NTP_HEADER_LEN || NTP_LVM_VERSION(h->lvm) != 4) {
		r->invalid_unknown++;
		return;
	}
	/* a request of ours sent back as it was (perf/bench's bare reflector)
	 * carries our stamp as transmit: it answers that request, invalidly, so
	 * that "lost" keeps meaning "no answer at all" */
	if (NTP_LVM_MODE(h->lvm) == NTP_MODE_CLIENT)
		org = ntp_ts_get(&h->xmt);
	else
		org = ntp_ts_get(&h->org);
	s = &r->slot[((uint32_t)org ^ r->key) & r->mask];
	if (org == 0 || s->xmt != org) {
		r->invalid_unknown++;
		return;
	}
	st = &r->steps[s->step];
	if (s->answered) {
		st->dup++;
		st->invalid++;
		return;
	}
	s->answered = 1;
	st->matched++;
	if (NTP_LVM_MODE(h->lvm) != NTP_MODE_SERVER) {
		st->invalid++;
		return;
	}
	/* RFC 8915 section 5.7: nothing in a reply counts before it verifies;
	 * an NTS NAK is a kiss-o'-death as well */
	if (r->nts != NULL) {
		int v = gen_nts_reply(r->nts, org, rx->buf,
				      rx->len < GEN_RX_MAX ? rx->len : GEN_RX_MAX);

		if (v < 0) {
			st->invalid++;
			return;
		}
		if (v == 1) {
			st->kod++;
			return;
		}
	}
	if (h->stratum == 0) { /* section 7.4: a kiss code, no time */
		st->kod++;
		return;
	}
	if (NTP_LVM_LEAP(h->lvm) == NTP_LEAP_UNSYNC || h->stratum >= NTP_STRATUM_UNSYNC) {
		st->unsync++;
		return;
	}
	rec = ntp_ts_get(&h->rec);
	xmt = ntp_ts_get(&h->xmt);
	t1 = ntp_of_ns(s->sent_ns);
	t4 = ntp_of_ns(rx->rx_ns);
	/* section 8: T1 <= T2 <= T3 <= T4 when both ends read one clock */
	if (ntp_ts_diff(xmt, rec) < 0 || ntp_ts_diff(rec, t1) < -r->tol ||
	    ntp_ts_diff(t4, xmt) < -r->tol) {
		st->invalid++;
		return;
	}
	st->valid++;
	lat = rx->rx_ns - s->sent_ns;
	gen_hist_add(&r->hist, lat > 0 ? (uint64_t)lat : 0);
	gen_welford_add(&r->txerr, (double)ntp_ts_diff(xmt, t4) * 1e9 / 4294967296.0);
}

/* Receive and check what is waiting; returns the number of replies. */
static int
drain(struct run *r)
{
	struct gen_rx rx[GEN_BURST];
	int n, i, total = 0, rounds;

	for (rounds = 0; rounds < 8; rounds++) {
		n = r->eng->recv(r->e, rx, GEN_BURST);
		if (n <= 0)
			break;
		for (i = 0; i < n; i++)
			check_reply(r, &rx[i]);
		total += n;
		if (n < GEN_BURST)
			break;
	}
	return total;
}

/* Send up to @n requests now; returns how many went out or -errno. */
static int
send_burst(struct run *r, unsigned int stepi, unsigned int n)
{
	struct gen_req req[GEN_BURST];
	uint64_t xmt[GEN_BURST];
	int64_t t;
	unsigned int i;
	int sent;
	struct gen_nts_mark mark;

	if (r->nts != NULL)
		gen_nts_mark(r->nts, &mark);

	for (i = 0; i < n; i++) {
		struct ntp_hdr *h = (struct ntp_hdr *)(r->reqbuf + (size_t)i * GEN_PKT_MAX);

		/* RFC 5905 section 7.3: an NTPv4 client request; section 8 only needs
		 * the transmit timestamp echoed, so it need not reveal our clock */
		memset(h, 0, sizeof(*h));
		h->lvm = NTP_LVM(NTP_LEAP_NONE, 4, NTP_MODE_CLIENT);
		xmt[i] = (uint64_t)rnd32(r) << 32 | ((r->seq + i) ^ r->key);
		ntp_ts_put(&h->xmt, xmt[i]);
		req[i].buf = (const uint8_t *)h;
		req[i].len = sizeof(*h);
		if (r->nts != NULL) {
			req[i].len = (uint32_t)gen_nts_request(r->nts, xmt[i], (uint8_t *)h,
							       GEN_PKT_MAX);
			if (req[i].len == 0)
				return -EMSGSIZE;
		}
	}
	t = now_ns(CLOCK_REALTIME);
	sent = r->eng->send(r->e, req, n);
	/* the cookies of requests that did not go out are not spent */
	if (r->nts != NULL)
		gen_nts_unsent(r->nts, &mark, sent > 0 ? (unsigned int)sent : 0);
	for (i = 0; sent > 0 && i < (unsigned int)sent; i++) {
		struct slot *s = &r->slot[(r->seq + i) & r->mask];

		s->xmt = xmt[i];
		s->sent_ns = t;
		s->step = stepi;
		s->answered = 0;
	}
	if (sent > 0) {
		r->seq += (uint32_t)sent;
		r->steps[stepi].sent += (uint64_t)sent;
	}
	return sent;
}

static void
totals(const struct run *r, struct step *t)
{
	unsigned int i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < r->nsteps; i++) {
		t->sent += r->steps[i].sent;
		t->matched += r->steps[i].matched;
		t->valid += r->steps[i].valid;
		t->invalid += r->steps[i].invalid;
		t->kod += r->steps[i].kod;
		t->unsync += r->steps[i].unsync;
		t->dup += r->steps[i].dup;
	}
	t->invalid += r->invalid_unknown;
}

static void
progress(const struct run *r, int64_t elapsed, struct step *last)
{
	struct step t;

	totals(r, &t);
	fprintf(stderr, "[%4llds] sent %llu/s valid %llu/s invalid %llu kod %llu unsync %llu\n",
		(long long)(elapsed / NS), (unsigned long long)(t.sent - last->sent),
		(unsigned long long)(t.valid - last->valid), (unsigned long long)t.invalid,
		(unsigned long long)t.kod, (unsigned long long)t.unsync);
	*last = t;
}

static int
run(struct run *r, uint64_t count, int quiet)
{
	int64_t t0, now, step_start, step_end, next_print, wait_ns, due, deadline;
	struct step last = {0};
	unsigned int k = 0;
	uint64_t total_sent = 0;
	int n, got;

	t0 = mono_ns(r);
	step_start = t0;
	step_end = t0 + (int64_t)(r->steps[0].seconds * NS);
	next_print = t0 + NS;
	for (;;) {
		now = mono_ns(r);
		while (now >= step_end && k < r->nsteps) {
			if (++k == r->nsteps)
				break;
			step_start = step_end;
			step_end = step_start + (int64_t)(r->steps[k].seconds * NS);
		}
		if (k == r->nsteps || stop || (count > 0 && total_sent >= count))
			break;
		/* pace on the monotonic clock: the requests due by now, less those sent */
		if (r->steps[k].rate == 0)
			due = GEN_BURST;
		else
			due = (int64_t)((double)(now - step_start) * (double)r->steps[k].rate /
					NS) -
			      (int64_t)r->steps[k].sent;
		if (due > GEN_BURST)
			due = GEN_BURST;
		if (count > 0 && (uint64_t)due > count - total_sent)
			due = (int64_t)(count - total_sent);
		n = 0;
		if (due > 0) {
			n = send_burst(r, k, (unsigned int)due);
			if (n < 0) {
				fprintf(stderr, "strata-gen: send: %s\n", strerror(-n));
				return -1;
			}
			total_sent += (uint64_t)n;
		}
		got = drain(r);
		if (!quiet && now >= next_print) {
			progress(r, now - t0, &last);
			next_print += NS;
		}
		if (n == 0 && got == 0) {
			/* nothing to do: sleep until the next request falls due */
			wait_ns = r->steps[k].rate == 0 ? 0 : NS / (int64_t)r->steps[k].rate;
			if (wait_ns > step_end - now)
				wait_ns = step_end - now;
			if (wait_ns > 0)
				r->eng->wait(r->e, wait_ns);
		}
	}
	now = mono_ns(r);
	r->send_seconds = (double)(now - t0) / NS;
	/* what has not come back a second after the last request is lost */
	deadline = now + GRACE_NS;
	while ((now = mono_ns(r)) < deadline) {
		struct step t;

		totals(r, &t);
		if (t.matched == t.sent)
			break;
		if (drain(r) == 0)
			r->eng->wait(r->e, deadline - now < 10000000 ? deadline - now : 10000000);
	}
	return 0;
}

static void
report(const struct run *r, FILE *f, const char *server, uint16_t port, unsigned int nports)
{
	struct step t;
	unsigned int i;

	totals(r, &t);
	fprintf(f, "strata-gen: %s engine, %s port %u, %u source ports, %.2f s\n", r->eng->name,
		server, port, nports, r->send_seconds);
	fprintf(f, "sent      %llu (%.0f/s)\n", (unsigned long long)t.sent,
		(double)t.sent / r->send_seconds);
	fprintf(f, "valid     %llu (%.0f/s)\n", (unsigned long long)t.valid,
		(double)t.valid / r->send_seconds);
	fprintf(f, "invalid   %llu (duplicate %llu)\n", (unsigned long long)t.invalid,
		(unsigned long long)t.dup);
	fprintf(f, "kod       %llu\nunsync    %llu\nlost      %llu\n", (unsigned long long)t.kod,
		(unsigned long long)t.unsync, (unsigned long long)(t.sent - t.matched));
	fprintf(f, "latency   p50 %.1f us  p99 %.1f us  p99.9 %.1f us  max %.1f us\n",
		gen_hist_quantile(&r->hist, 0.5) / 1e3, gen_hist_quantile(&r->hist, 0.99) / 1e3,
		gen_hist_quantile(&r->hist, 0.999) / 1e3, r->hist.max_ns / 1e3);
	fprintf(f, "tx error  mean %.1f us  stddev %.1f us\n", r->txerr.mean / 1e3,
		gen_welford_stddev(&r->txerr) / 1e3);
	if (r->nts != NULL)
		fprintf(f,
			"nts       verified %llu  nak %llu  bad %llu  cookies %llu  reused %llu  "
			"(NTS-KE with %s, %.1f ms)\n",
			(unsigned long long)r->nts->verified, (unsigned long long)r->nts->nak,
			(unsigned long long)r->nts->bad, (unsigned long long)r->nts->cookies,
			(unsigned long long)r->nts->reused, r->nts->ke_server,
			r->nts->ke_seconds * 1e3);
	if (r->nsteps < 2)
		return;
	fprintf(f, "%10s %10s %10s %10s %10s\n", "rate", "sent", "valid", "lost", "invalid");
	for (i = 0; i < r->nsteps; i++) {
		const struct step *s = &r->steps[i];

		fprintf(f, "%10llu %10llu %10llu %10llu %10llu\n", (unsigned long long)s->rate,
			(unsigned long long)s->sent, (unsigned long long)s->valid,
			(unsigned long long)(s->sent - s->matched), (unsigned long long)s->invalid);
	}
}

static int
report_json(const struct run *r, const char *path, const char *server, uint16_t port,
	    unsigned int nports)
{
	struct step t;
	unsigned int i;
	FILE *f;

	f = fopen(path, "w");
	if (f == NULL)
		return -errno;
	totals(r, &t);
	fprintf(f, "{\"engine\": \"%s\", \"server\": \"%s\", \"port\": %u, \"ports\": %u,\n",
		r->eng->name, server, port, nports);
	fprintf(f, " \"seconds\": %.6f, \"sent\": %llu, \"valid\": %llu, \"invalid\": %llu,\n",
		r->send_seconds, (unsigned long long)t.sent, (unsigned long long)t.valid,
		(unsigned long long)t.invalid);
	fprintf(f, " \"duplicate\": %llu, \"kod\": %llu, \"unsync\": %llu, \"lost\": %llu,\n",
		(unsigned long long)t.dup, (unsigned long long)t.kod, (unsigned long long)t.unsync,
		(unsigned long long)(t.sent - t.matched));
	fprintf(f, " \"sent_per_s\": %.1f, \"valid_per_s\": %.1f,\n",
		(double)t.sent / r->send_seconds, (double)t.valid / r->send_seconds);
	fprintf(f,
		" \"latency_us\": {\"p50\": %.3f, \"p99\": %.3f, \"p999\": %.3f, \"max\": %.3f},\n",
		gen_hist_quantile(&r->hist, 0.5) / 1e3, gen_hist_quantile(&r->hist, 0.99) / 1e3,
		gen_hist_quantile(&r->hist, 0.999) / 1e3, r->hist.max_ns / 1e3);
	fprintf(f, " \"tx_error_us\": {\"mean\": %.3f, \"stddev\": %.3f, \"n\": %llu},\n",
		r->txerr.mean / 1e3, gen_welford_stddev(&r->txerr) / 1e3,
		(unsigned long long)r->txerr.n);
	if (r->nts != NULL)
		fprintf(f,
			" \"nts\": {\"verified\": %llu, \"nak\": %llu, \"bad\": %llu, "
			"\"cookies\": %llu, \"reused\": %llu, \"ke_ms\": %.3f},\n",
			(unsigned long long)r->nts->verified, (unsigned long long)r->nts->nak,
			(unsigned long long)r->nts->bad, (unsigned long long)r->nts->cookies,
			(unsigned long long)r->nts->reused, r->nts->ke_seconds * 1e3);
	fprintf(f, " \"steps\": [");
	for (i = 0; i < r->nsteps; i++) {
		const struct step *s = &r->steps[i];

		fprintf(f,
			"%s\n  {\"rate\": %llu, \"seconds\": %.3f, \"sent\": %llu, \"valid\": "
			"%llu, "
			"\"lost\": %llu, \"invalid\": %llu, \"kod\": %llu, \"unsync\": %llu}",
			i > 0 ? "," : "", (unsigned long long)s->rate, s->seconds,
			(unsigned long long)s->sent, (unsigned long long)s->valid,
			(unsigned long long)(s->sent - s->matched), (unsigned long long)s->invalid,
			(unsigned long long)s->kod, (unsigned long long)s->unsync);
	}
	fprintf(f, "]}\n");
	return fclose(f) == 0 ? 0 : -errno;
}

/*
 * The data behind perf/ramp.gp and perf/latency.gp, in gnuplot's format: two
 * blocks, each found by the name in its first comment (`index "steps"`,
 * `index "latency"`). Loss of a step that sent nothing is NaN, which gnuplot
 * leaves out.
 */
static int
report_plot(const struct run *r, const char *path)
{
	unsigned int i;
	FILE *f;

	f = fopen(path, "w");
	if (f == NULL)
		return -errno;
	fprintf(f, "# steps: offered/s sent/s answered/s valid/s lost%%\n");
	for (i = 0; i < r->nsteps; i++) {
		const struct step *s = &r->steps[i];

		fprintf(f, "%llu %.1f %.1f %.1f %.3f\n", (unsigned long long)s->rate,
			(double)s->sent / s->seconds, (double)s->matched / s->seconds,
			(double)s->valid / s->seconds,
			s->sent > 0 ? 100.0 * (double)(s->sent - s->matched) / (double)s->sent
				    : NAN);
	}
	fprintf(f, "\n\n# latency: from_us to_us count cumulative (valid replies)\n");
	gen_hist_write(&r->hist, f);
	return fclose(f) == 0 ? 0 : -errno;
}

static int
bad(const char *opt, const char *val)
{
	fprintf(stderr, "strata-gen: bad value for %s: '%s'\n", opt, val);
	return 2;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"base-port", required_argument, NULL, 'b'},
		{"count", required_argument, NULL, 'c'},
		{"dpdk-port", required_argument, NULL, 'D'},
		{"dst-mac", required_argument, NULL, 'M'},
		{"duration", required_argument, NULL, 'd'},
		{"engine", required_argument, NULL, 'e'},
		{"help", no_argument, NULL, 'h'},
		{"json", required_argument, NULL, 'j'},
		{"nts", required_argument, NULL, 'N'},
		{"nts-aead", required_argument, NULL, 'A'},
		{"nts-ca", required_argument, NULL, 'C'},
		{"nts-placeholders", required_argument, NULL, 'H'},
		{"plot-data", required_argument, NULL, 'g'},
		{"port", required_argument, NULL, 'p'},
		{"ports", required_argument, NULL, 'P'},
		{"quiet", no_argument, NULL, 'q'},
		{"rate", required_argument, NULL, 'r'},
		{"ramp", required_argument, NULL, 'R'},
		{"src", required_argument, NULL, 's'},
		{"src-count", required_argument, NULL, 'n'},
		{"src-step", required_argument, NULL, 'S'},
		{"src-mac", required_argument, NULL, 'm'},
		{"tolerance", required_argument, NULL, 't'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	uint64_t rate = 0, count = 0, nports = 64, base = 40000, port = NTP_PORT, ramp[3] = {0};
	uint64_t aead = NTS_AEAD_AES_SIV_CMAC_256, placeholders = 0, v;
	const char *nts_host = NULL, *nts_ca = NULL;
	int nts_opts = 0; /* an --nts-* option given */
	double duration = 5, tol = 0.001, ramp_seconds = 0, expect;
	const char *json = NULL, *plot = NULL, *server;
	int c, quiet = 0, have_ramp = 0, have_duration = 0, ret = 1;
	struct run r = {.eng = &gen_sock_engine};
	struct gen_target t = {0};
	struct sigaction sa = {.sa_handler = on_signal};
	uint32_t seed[3];
	unsigned int i, nslots;

	/* EAL's arguments: the end of ours, argv[0] for EAL's own parser */
	for (c = 1; c < argc; c++)
		if (strcmp(argv[c], "--") == 0) {
			t.eal_argc = argc - c;
			t.eal_argv = &argv[c];
			argv[c] = argv[0];
			argc = c;
			break;
		}
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'D':
			t.dev = optarg;
			break;
		case 'e':
			if (strcmp(optarg, "socket") == 0) {
				r.eng = &gen_sock_engine;
			} else if (strcmp(optarg, "dpdk") == 0) {
#ifdef STRATA_GEN_DPDK
				r.eng = &gen_dpdk_engine;
#else
				fprintf(stderr, "strata-gen: built without DPDK: no dpdk engine\n");
				return 2;
#endif
			} else {
				return bad("--engine (socket or dpdk)", optarg);
			}
			break;
		case 'm':
			t.src_mac = optarg;
			break;
		case 'M':
			t.dst_mac = optarg;
			break;
		case 's':
			t.src = optarg;
			break;
		case 'n':
			if (parse_u64(optarg, 1, 1u << 24, &v) < 0)
				return bad("--src-count (1 to 16777216)", optarg);
			t.src_count = (uint32_t)v;
			break;
		case 'S':
			if (parse_u64(optarg, 1, 128, &v) < 0)
				return bad("--src-step (1 to 128)", optarg);
			t.src_step = (uint32_t)v;
			break;
		case 'b':
			if (parse_u64(optarg, 1, 65535, &base) < 0)
				return bad("--base-port", optarg);
			break;
		case 'c':
			if (parse_u64(optarg, 1, UINT64_MAX, &count) < 0)
				return bad("--count", optarg);
			break;
		case 'd':
			if (parse_double(optarg, 0.001, MAX_SECONDS, &duration) < 0)
				return bad("--duration (seconds, 0.001 to 600)", optarg);
			have_duration = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'j':
			json = optarg;
			break;
		case 'g':
			plot = optarg;
			break;
		case 'N':
			nts_host = optarg;
			break;
		case 'C':
			nts_ca = optarg;
			nts_opts = 1;
			break;
		case 'A':
			if (parse_u64(optarg, 15, 17, &aead) < 0 || aead == 16)
				return bad("--nts-aead (15 or 17)", optarg);
			nts_opts = 1;
			break;
		case 'H':
			if (parse_u64(optarg, 0, 7, &placeholders) < 0)
				return bad("--nts-placeholders (0 to 7)", optarg);
			nts_opts = 1;
			break;
		case 'p':
			if (parse_u64(optarg, 1, 65535, &port) < 0)
				return bad("--port", optarg);
			break;
		case 'P':
			if (parse_u64(optarg, 1, MAX_PORTS, &nports) < 0)
				return bad("--ports (1 to 4096)", optarg);
			break;
		case 'q':
			quiet = 1;
			break;
		case 'r':
			if (parse_u64(optarg, 0, MAX_RATE, &rate) < 0)
				return bad("--rate (requests/s, 0 = flat out)", optarg);
			break;
		case 'R':
			if (parse_ramp(optarg, ramp, &ramp_seconds) < 0)
				return bad("--ramp (START:STEP:STEPS:SECONDS, START >= 1, "
					   "at most 600 s in all)",
					   optarg);
			have_ramp = 1;
			break;
		case 't':
			if (parse_double(optarg, 0, 10, &tol) < 0)
				return bad("--tolerance (seconds, 0 to 10)", optarg);
			break;
		case 'V':
			printf("strata-gen %s\n", STRATA_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	server = argv[optind];
	if (r.eng == &gen_sock_engine &&
	    (t.dev != NULL || t.src != NULL || t.src_mac != NULL || t.dst_mac != NULL ||
	     t.src_count != 0 || t.src_step != 0 || t.eal_argc > 0)) {
		fprintf(stderr,
			"strata-gen: --dpdk-port, --src, --src-count, --src-step, --src-mac, "
			"--dst-mac and EAL arguments are for --engine dpdk\n");
		return 2;
	}
	if (t.src_step != 0 && t.src_count == 0) {
		fprintf(stderr, "strata-gen: --src-step needs --src-count\n");
		return 2;
	}
	if (r.eng != &gen_sock_engine && (t.dev == NULL || t.src == NULL)) {
		fprintf(stderr, "strata-gen: --engine dpdk needs --dpdk-port and --src\n");
		return 2;
	}
	if (nts_host == NULL && nts_opts) {
		fprintf(stderr, "strata-gen: --nts-ca, --nts-aead and --nts-placeholders are for "
				"--nts\n");
		return 2;
	}
	if (have_ramp && have_duration) {
		fprintf(stderr, "strata-gen: --ramp sets the duration; drop --duration\n");
		return 2;
	}
	if (base + nports - 1 > 65535) {
		fprintf(stderr, "strata-gen: --base-port %llu + --ports %llu passes port 65535\n",
			(unsigned long long)base, (unsigned long long)nports);
		return 2;
	}
	if (parse_server(server, (uint16_t)port, &t) < 0) {
		fprintf(stderr, "strata-gen: SERVER must be an IPv4 or IPv6 address: '%s'\n",
			server);
		return 2;
	}
	t.base_port = (uint16_t)base;
	t.nports = (unsigned int)nports;

	r.nsteps = have_ramp ? (unsigned int)ramp[2] : 1;
	r.steps = calloc(r.nsteps, sizeof(r.steps[0]));
	if (r.steps == NULL) {
		perror("strata-gen");
		goto out;
	}
	expect = 0;
	for (i = 0; i < r.nsteps; i++) {
		r.steps[i].rate = have_ramp ? ramp[0] + i * ramp[1] : rate;
		r.steps[i].seconds = have_ramp ? ramp_seconds : duration;
		expect += (double)r.steps[i].rate * r.steps[i].seconds;
	}
	/*
	 * A slot per request of the run, at most 2^21: a slot is reused 2^21
	 * requests later, well after the 1 s grace at the rates sockets reach.
	 */
	if (count > 0 && (double)count < expect)
		expect = (double)count;
	for (nslots = 1024; nslots < SLOTS_MAX && (expect == 0 || nslots < expect); nslots <<= 1)
		;
	r.slot = calloc(nslots, sizeof(r.slot[0]));
	r.reqbuf = malloc((size_t)GEN_BURST * GEN_PKT_MAX);
	if (r.slot == NULL || r.reqbuf == NULL) {
		perror("strata-gen");
		goto out;
	}
	r.mask = nslots - 1;
	if (getrandom(seed, sizeof(seed), 0) != sizeof(seed)) {
		perror("strata-gen: getrandom");
		goto out;
	}
	r.key = seed[0];
	r.rng = (uint64_t)seed[1] << 32 | seed[2] | 1;
	r.tol = (int64_t)(tol * 4294967296.0);

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* the loop is bounded by time; the alarm is the backstop whatever happens */
	alarm(MAX_SECONDS + 30);

	/* before the engine: the DPDK engine takes the interface from the kernel's TCP */
	if (nts_host != NULL) {
		r.nts = malloc(sizeof(*r.nts));
		if (r.nts == NULL || gen_nts_open(r.nts, nts_host, nts_ca, (uint16_t)aead,
						  (unsigned int)placeholders) < 0) {
			free(r.nts);
			r.nts = NULL;
			goto out;
		}
	}
	r.e = r.eng->open(&t);
	if (r.e == NULL) {
		fprintf(stderr, "strata-gen: %s engine: %s\n", r.eng->name, strerror(errno));
		goto out;
	}
	if (run(&r, count, quiet) < 0)
		goto out_close;
	report(&r, stdout, server, (uint16_t)port, t.nports);
	if (json != NULL && (ret = report_json(&r, json, server, (uint16_t)port, t.nports)) < 0) {
		fprintf(stderr, "strata-gen: %s: %s\n", json, strerror(-ret));
		ret = 1;
		goto out_close;
	}
	if (plot != NULL && (ret = report_plot(&r, plot)) < 0) {
		fprintf(stderr, "strata-gen: %s: %s\n", plot, strerror(-ret));
		ret = 1;
		goto out_close;
	}
	ret = 0;
out_close:
	r.eng->close(r.e);
out:
	if (r.nts != NULL)
		gen_nts_close(r.nts);
	free(r.nts);
	free(r.reqbuf);
	free(r.slot);
	free(r.steps);
	return ret;
}
