/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Answers of the control socket. Text for people, in aligned columns as
 * chronyc and ntpq print them; JSON for scripts, with stable keys.
 */
#include "ctl.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <strata/reply.h>

#include "outbuf.h"
#include "reference.h"

/* An answer being written: it either fits whole or is reported as too small. */

static const char *const leap_names[4] = {
	"Normal",
	"Insert second",
	"Delete second",
	"Not synchronised",
};

static void
put_rep(struct out *o, char c, int n)
{
	while (n-- > 0)
		out_put(o, "%c", c);
}

/* Bytes that JSON (RFC 8259 section 7) or UTF-8 would choke on are escaped as Latin-1. */
static void
put_json_str(struct out *o, const char *s)
{
	out_put(o, "\"");
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			out_put(o, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			out_put(o, "\\u%04x", c);
		else
			out_put(o, "%c", c);
	}
	out_put(o, "\"");
}

/* Nanoseconds as seconds with nine decimals, exactly (no double rounding). */
static void
put_sec(struct out *o, uint64_t ns)
{
	out_put(o, "%llu.%09llu", (unsigned long long)(ns / NSEC_PER_SEC),
	    (unsigned long long)(ns % NSEC_PER_SEC));
}

static int
digits(__u64 v)
{
	int n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

static int
max_int(int a, int b)
{
	return a > b ? a : b;
}

/* Nanoseconds since the last publish, or -1 before the first. */
static int64_t
age_ns(const struct status *st, uint64_t now_mono_ns)
{
	if (st->publishes == 0)
		return -1;
	return now_mono_ns > st->publish_mono_ns ? (int64_t)(now_mono_ns - st->publish_mono_ns) : 0;
}

static unsigned int
ncpu_of(const struct status *st)
{
	return st->ncpu < STATUS_MAX_CPUS ? st->ncpu : STATUS_MAX_CPUS;
}

/* Each reason summed over the CPUs, and each verdict over its reasons. */
static void
sum_cpus(const struct status *st, __u64 total[STRATA_R_MAX], __u64 verdict[3])
{
	unsigned int cpu, r;

	memset(total, 0, STRATA_R_MAX * sizeof(total[0]));
	memset(verdict, 0, 3 * sizeof(verdict[0]));
	for (cpu = 0; cpu < ncpu_of(st); cpu++)
		for (r = 0; r < STRATA_R_MAX; r++)
			total[r] += st->cpu[cpu].c[r];
	for (cpu = 0; cpu < st->n_dp && cpu < STRATA_SHM_MAX_LCORES; cpu++)
		for (r = 0; r < STRATA_R_MAX; r++)
			total[r] += st->dp[cpu].c[r];
	for (r = 0; r < STRATA_R_MAX; r++)
		verdict[strata_verdict_of(r)] += total[r];
}

static void
counters_row(struct out *o, const char *label, int label_w, const __u64 *c, const int *width,
	     int seen_w)
{
	__u64 seen = 0;
	unsigned int r;

	out_put(o, "%-*s", label_w, label);
	for (r = 0; r < STRATA_R_MAX; r++) {
		seen += c[r];
		if (width[r] > 0)
			out_put(o, "  %*llu", width[r], (unsigned long long)c[r]);
	}
	out_put(o, "  %*llu\n", seen_w, (unsigned long long)seen);
}

/*
 * The DPDK dataplane's own counters: one row per counter, named as the
 * metric's counter label (strata_dp_counter_names), a column per worker,
 * the exception path's and the total.
 */
static void
dp_counters_text(struct out *o, const struct status *st)
{
	unsigned int n = st->n_dp < STRATA_SHM_MAX_LCORES ? st->n_dp : STRATA_SHM_MAX_LCORES;
	int name_w = (int)strlen("dpdk"), w = (int)strlen("total");
	unsigned int r, i;
	char label[16];

	for (r = 0; r < STRATA_DP_MAX; r++) {
		__u64 t = st->dpc_exc.c[r];

		for (i = 0; i < n; i++)
			t += st->dpc[i].c[r];
		name_w = max_int(name_w, (int)strlen(strata_dp_counter_names[r]));
		w = max_int(w, digits(t));
	}
	out_put(o, "\n%-*s", name_w, "dpdk");
	for (i = 0; i < n; i++) {
		snprintf(label, sizeof(label), "dp%u", i);
		out_put(o, "  %*s", w, label);
	}
	out_put(o, "  %*s  %*s\n", w, "exc", w, "total");
	put_rep(o, '=', name_w + (int)(n + 2) * (w + 2));
	out_put(o, "\n");
	for (r = 0; r < STRATA_DP_MAX; r++) {
		__u64 t = st->dpc_exc.c[r];

		out_put(o, "%-*s", name_w, strata_dp_counter_names[r]);
		for (i = 0; i < n; i++) {
			t += st->dpc[i].c[r];
			out_put(o, "  %*llu", w, (unsigned long long)st->dpc[i].c[r]);
		}
		out_put(o, "  %*llu  %*llu\n", w, (unsigned long long)st->dpc_exc.c[r], w,
			(unsigned long long)t);
	}
}

/* @cycles over @packets, times @scale, with one decimal; "-" without packets. */
static void
per_packet(char *s, size_t len, __u64 cycles, __u64 packets, double scale)
{
	if (packets == 0)
		snprintf(s, len, "-");
	else
		snprintf(s, len, "%.1f", (double)cycles / (double)packets * scale);
}

/* One row of the cycles table: @v[i] for the workers, then the total. */
static void
dp_cycles_row(struct out *o, const char *name, int name_w, const __u64 *v, unsigned int n,
	      __u64 total, int w)
{
	unsigned int i;

	out_put(o, "%-*s", name_w, name);
	for (i = 0; i < n; i++)
		out_put(o, "  %*llu", w, (unsigned long long)v[i]);
	out_put(o, "  %*llu\n", w, (unsigned long long)total);
}

/*
 * The workers' forwarding cost on testpmd's boundary (include/strata/shm.h,
 * enum strata_dp_cycles): the two counters, their quotient (testpmd's "CPU
 * cycles/packet") per worker and over all, and that in ns at the TSC's rate.
 */
static void
dp_cycles_text(struct out *o, const struct status *st)
{
	unsigned int n = st->n_dp < STRATA_SHM_MAX_LCORES ? st->n_dp : STRATA_SHM_MAX_LCORES;
	int name_w = (int)strlen("cycles/packet"), w = (int)strlen("total");
	__u64 cyc[STRATA_SHM_MAX_LCORES], pkt[STRATA_SHM_MAX_LCORES], tc = 0, tp = 0;
	double ns = st->tsc_hz > 0 ? 1e9 / st->tsc_hz : 0;
	unsigned int i, row, rows = ns > 0 ? 2 : 1; /* ns/packet with a TSC rate only */
	char s[32];

	for (i = 0; i < n; i++) {
		cyc[i] = st->dpc[i].c[STRATA_DP_BURST_CYCLES];
		pkt[i] = st->dpc[i].c[STRATA_DP_BURST_PACKETS];
		tc += cyc[i];
		tp += pkt[i];
	}
	w = max_int(w, max_int(digits(tc), digits(tp)));
	for (row = 0; row < rows; row++)
		for (i = 0; i <= n; i++) {
			per_packet(s, sizeof(s), i < n ? cyc[i] : tc, i < n ? pkt[i] : tp,
				   row == 0 ? 1 : ns);
			w = max_int(w, (int)strlen(s));
		}
	out_put(o, "\n%-*s", name_w, "cycles");
	for (i = 0; i < n; i++) {
		snprintf(s, sizeof(s), "dp%u", i);
		out_put(o, "  %*s", w, s);
	}
	out_put(o, "  %*s\n", w, "total");
	put_rep(o, '=', name_w + (int)(n + 1) * (w + 2));
	out_put(o, "\n");
	dp_cycles_row(o, "burst_cycles", name_w, cyc, n, tc, w);
	dp_cycles_row(o, "burst_packets", name_w, pkt, n, tp, w);
	for (row = 0; row < rows; row++) {
		out_put(o, "%-*s", name_w, row == 0 ? "cycles/packet" : "ns/packet");
		for (i = 0; i <= n; i++) {
			per_packet(s, sizeof(s), i < n ? cyc[i] : tc, i < n ? pkt[i] : tp,
				   row == 0 ? 1 : ns);
			out_put(o, "  %*s", w, s);
		}
		out_put(o, "\n");
	}
}

static void
counters_text(struct out *o, const struct status *st)
{
	__u64 total[STRATA_R_MAX], verdict[3], seen;
	int width[STRATA_R_MAX], label_w, seen_w, rule;
	unsigned int cpu, r;
	char label[16];

	sum_cpus(st, total, verdict);
	seen = verdict[STRATA_REPLY] + verdict[STRATA_PASS] + verdict[STRATA_DROP];
	label_w = max_int((int)strlen("total"), digits(ncpu_of(st)));
	if (st->n_dp > 0)
		label_w = max_int(label_w, 2 + digits(st->n_dp));
	seen_w = max_int((int)strlen("seen"), digits(seen));
	rule = label_w + 2 + seen_w;
	/* a column that is zero on every CPU says nothing: leave it out */
	for (r = 0; r < STRATA_R_MAX; r++) {
		width[r] = 0;
		if (r == STRATA_R_REPLY || total[r] != 0)
			width[r] = max_int((int)strlen(strata_reason_names[r]), digits(total[r]));
		if (width[r] > 0)
			rule += 2 + width[r];
	}

	out_put(o, "%-*s", label_w, "cpu");
	for (r = 0; r < STRATA_R_MAX; r++)
		if (width[r] > 0)
			out_put(o, "  %*s", width[r], strata_reason_names[r]);
	out_put(o, "  %*s\n", seen_w, "seen");
	put_rep(o, '=', rule);
	out_put(o, "\n");
	for (cpu = 0; cpu < ncpu_of(st); cpu++) {
		snprintf(label, sizeof(label), "%u", cpu);
		counters_row(o, label, label_w, st->cpu[cpu].c, width, seen_w);
	}
	/* DPDK workers as "dp0", "dp1", ... after the XDP CPUs */
	for (cpu = 0; cpu < st->n_dp && cpu < STRATA_SHM_MAX_LCORES; cpu++) {
		snprintf(label, sizeof(label), "dp%u", cpu);
		counters_row(o, label, label_w, st->dp[cpu].c, width, seen_w);
	}
	counters_row(o, "total", label_w, total, width, seen_w);
	out_put(o, "\nseen %llu = replies %llu + passes %llu + drops %llu\n", (unsigned long long)seen,
	    (unsigned long long)verdict[STRATA_REPLY], (unsigned long long)verdict[STRATA_PASS],
	    (unsigned long long)verdict[STRATA_DROP]);
	if (st->n_dp > 0) {
		dp_counters_text(o, st);
		dp_cycles_text(o, st);
	}
}

/* One JSON object of @n counters @c, keyed by @names. */
static void
counters_json_obj(struct out *o, const __u64 *c, const char *const *names, unsigned int n)
{
	unsigned int r;

	for (r = 0; r < n; r++)
		out_put(o, "%s\"%s\":%llu", r == 0 ? "" : ",", names[r], (unsigned long long)c[r]);
}

#define REASONS_JSON(o, c) counters_json_obj(o, c, strata_reason_names, STRATA_R_MAX)
#define DP_JSON(o, c) counters_json_obj(o, c, strata_dp_counter_names, STRATA_DP_MAX)

/* A worker's cycles (enum strata_dp_cycles), after its other keys. */
static void
dp_cycles_json(struct out *o, const __u64 *c)
{
	out_put(o, ",\"burst_cycles\":%llu,\"burst_packets\":%llu",
		(unsigned long long)c[STRATA_DP_BURST_CYCLES],
		(unsigned long long)c[STRATA_DP_BURST_PACKETS]);
}

/*
 * As dp_counters_text() and dp_cycles_text(), with a dataplane attached:
 * "dpdk_counters" per worker, "dpdk_exception", "dpdk_total" (the cycles in
 * both, not in the exception path's), and "tsc_hz" (0: not measured).
 */
static void
dp_counters_json(struct out *o, const struct status *st)
{
	unsigned int n = st->n_dp < STRATA_SHM_MAX_LCORES ? st->n_dp : STRATA_SHM_MAX_LCORES;
	struct strata_dp_counters t = {{0}};
	unsigned int i, r;

	out_put(o, ",\"dpdk_counters\":[");
	for (r = 0; r < STRATA_DP_MAX; r++)
		t.c[r] = st->dpc_exc.c[r];
	for (i = 0; i < n; i++) {
		out_put(o, "%s{\"worker\":%u,", i == 0 ? "" : ",", i);
		DP_JSON(o, st->dpc[i].c);
		dp_cycles_json(o, st->dpc[i].c);
		out_put(o, "}");
		for (r = 0; r < STRATA_DP_MAX; r++)
			t.c[r] += st->dpc[i].c[r];
		t.c[STRATA_DP_BURST_CYCLES] += st->dpc[i].c[STRATA_DP_BURST_CYCLES];
		t.c[STRATA_DP_BURST_PACKETS] += st->dpc[i].c[STRATA_DP_BURST_PACKETS];
	}
	out_put(o, "],\"dpdk_exception\":{");
	DP_JSON(o, st->dpc_exc.c);
	out_put(o, "},\"dpdk_total\":{");
	DP_JSON(o, t.c);
	dp_cycles_json(o, t.c);
	out_put(o, "},\"tsc_hz\":%.0f", st->tsc_hz);
}

static void
counters_json(struct out *o, const struct status *st)
{
	__u64 total[STRATA_R_MAX], verdict[3];
	unsigned int cpu;

	sum_cpus(st, total, verdict);
	out_put(o, "{\"cpus\":[");
	for (cpu = 0; cpu < ncpu_of(st); cpu++) {
		out_put(o, "%s{\"cpu\":%u,", cpu == 0 ? "" : ",", cpu);
		REASONS_JSON(o, st->cpu[cpu].c);
		out_put(o, "}");
	}
	out_put(o, "],\"dpdk\":[");
	for (cpu = 0; cpu < st->n_dp && cpu < STRATA_SHM_MAX_LCORES; cpu++) {
		out_put(o, "%s{\"worker\":%u,", cpu == 0 ? "" : ",", cpu);
		REASONS_JSON(o, st->dp[cpu].c);
		out_put(o, "}");
	}
	out_put(o, "],\"total\":{");
	REASONS_JSON(o, total);
	out_put(o, "},\"seen\":%llu,\"replies\":%llu,\"passes\":%llu,\"drops\":%llu",
	    (unsigned long long)(verdict[STRATA_REPLY] + verdict[STRATA_PASS] +
				 verdict[STRATA_DROP]),
	    (unsigned long long)verdict[STRATA_REPLY], (unsigned long long)verdict[STRATA_PASS],
	    (unsigned long long)verdict[STRATA_DROP]);
	if (st->n_dp > 0)
		dp_counters_json(o, st);
	out_put(o, "}\n");
}

/* The current key's age in seconds at the status's time. */
static int64_t
nts_key_age(const struct status_nts *n)
{
	return n->now > n->key_created ? n->now - n->key_created : 0;
}

/* One NTS counter row's label for the AF_XDP socket @i: "eth0/3" */
static void
xsk_label(const struct status_nts *n, unsigned int i, char *s, size_t len)
{
	snprintf(s, len, "%.*s/%u", CFG_IFNAMSIZ, n->xsk[i].ifname, n->xsk[i].queue);
}

/*
 * stratactl nts: whether NTS is on, the master keys, strata-nts, then its
 * counters as "counters" shows the dataplane's: one row per counter (the
 * metrics' counter label), a column for the DPDK workers together, one per
 * AF_XDP socket (interface/queue) and the total.
 */
static void
nts_text(struct out *o, const struct status *st)
{
	const struct status_nts *n = &st->nts;
	int name_w = (int)strlen("nts"), w = (int)strlen("total");
	char label[CFG_IFNAMSIZ + 16];
	unsigned int r, i;

	out_put(o, "NTS             : %s\n",
		n->on ? "on" : "off (hint: ntsservercert and ntsserverkey)");
	if (n->on && n->n_keys == 0)
		out_put(o, "Master keys     : none: NTS requests are dropped (drop_no_keys)\n");
	else if (n->on)
		out_put(o, "Master keys     : %u, current %08x, created %lld s ago\n", n->n_keys,
			n->key_id, (long long)nts_key_age(n));
	if (n->on && n->rotate == 0)
		out_put(o, "Rotation        : none here (ntsrotate 0: the key file is read at start "
			   "and reload)\n");
	else if (n->on && n->next_rotation != 0)
		out_put(o, "Rotation        : every %u s, next in %lld s\n", n->rotate,
			(long long)(n->next_rotation > n->now ? n->next_rotation - n->now : 0));
	if (n->on)
		out_put(o, "Key generation  : %llu\n", (unsigned long long)n->gen);
	if (n->pid != 0)
		out_put(o, "strata-nts      : PID %u\n", n->pid);
	else
		out_put(o, "strata-nts      : not running\n");
	out_put(o, "NTS-KE          :");
	for (r = 0; r < STRATA_NTS_KE_MAX; r++)
		out_put(o, "%s %s %llu", r == 0 ? "" : ",", strata_nts_ke_counter_names[r],
			(unsigned long long)n->ke[r]);
	out_put(o, "\n");

	for (r = 0; r < STRATA_NTS_MAX; r++) {
		__u64 t = n->dp[r];

		for (i = 0; i < n->n_xsk; i++)
			t += n->xsk[i].c[r];
		name_w = max_int(name_w, (int)strlen(strata_nts_counter_names[r]));
		w = max_int(w, digits(t));
	}
	for (i = 0; i < n->n_xsk; i++) {
		xsk_label(n, i, label, sizeof(label));
		w = max_int(w, (int)strlen(label));
	}
	out_put(o, "\n%-*s  %*s", name_w, "nts", w, "dpdk");
	for (i = 0; i < n->n_xsk; i++) {
		xsk_label(n, i, label, sizeof(label));
		out_put(o, "  %*s", w, label);
	}
	out_put(o, "  %*s\n", w, "total");
	put_rep(o, '=', name_w + (int)(n->n_xsk + 2) * (w + 2));
	out_put(o, "\n");
	for (r = 0; r < STRATA_NTS_MAX; r++) {
		__u64 t = n->dp[r];

		out_put(o, "%-*s  %*llu", name_w, strata_nts_counter_names[r], w,
			(unsigned long long)n->dp[r]);
		for (i = 0; i < n->n_xsk; i++) {
			t += n->xsk[i].c[r];
			out_put(o, "  %*llu", w, (unsigned long long)n->xsk[i].c[r]);
		}
		out_put(o, "  %*llu\n", w, (unsigned long long)t);
	}
}

#define NTS_JSON(o, c) counters_json_obj(o, c, strata_nts_counter_names, STRATA_NTS_MAX)

static void
nts_json(struct out *o, const struct status *st)
{
	const struct status_nts *n = &st->nts;
	__u64 t[STRATA_NTS_MAX];
	unsigned int i, r;

	out_put(o, "{\"on\":%s,\"rotate_s\":%u,\"master_keys\":%u,\"current_key_id\":",
		n->on ? "true" : "false", n->rotate, n->n_keys);
	if (n->n_keys > 0)
		out_put(o, "\"%08x\",\"current_key_age_s\":%lld", n->key_id,
			(long long)nts_key_age(n));
	else
		out_put(o, "null,\"current_key_age_s\":null");
	out_put(o, ",\"next_rotation_s\":");
	if (n->next_rotation != 0)
		out_put(o, "%lld", (long long)(n->next_rotation > n->now ? n->next_rotation - n->now
									 : 0));
	else
		out_put(o, "null");
	out_put(o, ",\"key_generation\":%llu,\"strata_nts_pid\":", (unsigned long long)n->gen);
	if (n->pid != 0)
		out_put(o, "%u", n->pid);
	else
		out_put(o, "null");
	out_put(o, ",\"ke\":{");
	counters_json_obj(o, n->ke, strata_nts_ke_counter_names, STRATA_NTS_KE_MAX);
	out_put(o, "},\"dpdk\":{");
	NTS_JSON(o, n->dp);
	out_put(o, "},\"xdp\":[");
	memcpy(t, n->dp, sizeof(t));
	for (i = 0; i < n->n_xsk; i++) {
		char name[CFG_IFNAMSIZ + 1];

		snprintf(name, sizeof(name), "%.*s", CFG_IFNAMSIZ, n->xsk[i].ifname);
		out_put(o, "%s{\"interface\":", i == 0 ? "" : ",");
		put_json_str(o, name);
		out_put(o, ",\"queue\":%u,", n->xsk[i].queue);
		NTS_JSON(o, n->xsk[i].c);
		out_put(o, "}");
		for (r = 0; r < STRATA_NTS_MAX; r++)
			t[r] += n->xsk[i].c[r];
	}
	out_put(o, "],\"total\":{");
	NTS_JSON(o, t);
	out_put(o, "}}\n");
}

/* chronyc serverstats' totals, summed over every fast path */
struct serverstats {
	__u64 received, dropped, replies, kod_rate, kod_deny, passed;
	__u64 ke_accepted, ke_dropped, nts_auth, nts_naks;
};

static __u64
nts_naks(const __u64 *c)
{
	return c[STRATA_NTS_NAK_KEY] + c[STRATA_NTS_NAK_COOKIE] + c[STRATA_NTS_NAK_AUTH];
}

/*
 * The XDP CPUs' and the DPDK workers' reasons (sum_cpus()), and the NTS
 * counters that are not among them. A DPDK worker counts an NTS request in
 * both its reasons and its NTS row, so only the NTS row's own figures
 * (authenticated replies, NAKs) come from that row; the XDP program hands
 * NTS requests to the AF_XDP sockets as pass_nts, so what those sockets did
 * with them (replies, NAKs, drops) is added here.
 */
static void
serverstats_sum(const struct status *st, struct serverstats *t)
{
	const struct status_nts *n = &st->nts;
	__u64 total[STRATA_R_MAX], verdict[3];
	unsigned int i, r;

	sum_cpus(st, total, verdict);
	memset(t, 0, sizeof(*t));
	t->received = verdict[STRATA_REPLY] + verdict[STRATA_DROP] + total[STRATA_R_PASS_NTS];
	t->dropped = verdict[STRATA_DROP];
	t->replies = verdict[STRATA_REPLY];
	t->kod_rate = total[STRATA_R_REPLY_KOD_RATE];
	t->kod_deny = total[STRATA_R_REPLY_KOD_DENY];
	t->passed = verdict[STRATA_PASS] - total[STRATA_R_PASS_NTS];
	t->nts_auth = n->dp[STRATA_NTS_REPLY];
	t->nts_naks = nts_naks(n->dp);
	for (i = 0; i < n->n_xsk && i < STRATA_SHM_MAX_XSK; i++) {
		const __u64 *c = n->xsk[i].c;

		t->nts_auth += c[STRATA_NTS_REPLY];
		t->nts_naks += nts_naks(c);
		t->replies += c[STRATA_NTS_REPLY] + nts_naks(c);
		for (r = STRATA_NTS_DROP_NO_UID; r <= STRATA_NTS_DROP_NO_KEYS; r++)
			t->dropped += c[r];
	}
	t->ke_accepted = n->ke[STRATA_NTS_KE_ACCEPTED];
	/* at the connection limit (maxntsconnections), as chrony's count */
	t->ke_dropped = n->ke[STRATA_NTS_KE_REFUSED];
}

static void
serverstats_text(struct out *o, const struct status *st)
{
	struct serverstats t;

	serverstats_sum(st, &t);
	out_put(o,
		"NTP packets received       : %llu\n"
		"NTP packets dropped        : %llu\n"
		"NTP replies sent           : %llu\n"
		"KoD RATE sent              : %llu\n"
		"KoD DENY sent              : %llu\n"
		"Passed to the kernel       : %llu\n"
		"NTS-KE connections accepted: %llu\n"
		"NTS-KE connections dropped : %llu\n"
		"Authenticated NTP packets  : %llu\n"
		"NTS NAKs sent              : %llu\n",
		(unsigned long long)t.received, (unsigned long long)t.dropped,
		(unsigned long long)t.replies, (unsigned long long)t.kod_rate,
		(unsigned long long)t.kod_deny, (unsigned long long)t.passed,
		(unsigned long long)t.ke_accepted, (unsigned long long)t.ke_dropped,
		(unsigned long long)t.nts_auth, (unsigned long long)t.nts_naks);
}

static void
serverstats_json(struct out *o, const struct status *st)
{
	struct serverstats t;

	serverstats_sum(st, &t);
	out_put(o,
		"{\"ntp_received\":%llu,\"ntp_dropped\":%llu,\"ntp_replies\":%llu,"
		"\"kod_rate\":%llu,\"kod_deny\":%llu,\"passed\":%llu,\"nts_ke_accepted\":%llu,"
		"\"nts_ke_dropped\":%llu,\"nts_authenticated\":%llu,\"nts_naks\":%llu}\n",
		(unsigned long long)t.received, (unsigned long long)t.dropped,
		(unsigned long long)t.replies, (unsigned long long)t.kod_rate,
		(unsigned long long)t.kod_deny, (unsigned long long)t.passed,
		(unsigned long long)t.ke_accepted, (unsigned long long)t.ke_dropped,
		(unsigned long long)t.nts_auth, (unsigned long long)t.nts_naks);
}

void
ctl_server_view(const struct status *st, uint64_t now_mono_ns, struct snap_reply_view *v)
{
	const struct snap_server *srv = &st->slot.srv;
	struct snap snap;

	/*
	 * Publishing the slot into a private snapshot and reading it back as a
	 * fast path would keeps one implementation of dispersion growth and of
	 * the holdover limit: what we show is what clients get now.
	 */
	snap_init(&snap);
	snap_publish(&snap, &st->slot);
	if (snap_read_reply(&snap, SNAP_SCALE_MONO, now_mono_ns, SNAP_SCALE_MONO, now_mono_ns, v) ==
	    0)
		return;
	memset(v, 0, sizeof(*v));
	v->ref_time = srv->ref_time;
	v->root_delay = srv->root_delay;
	v->root_disp = srv->root_disp;
	v->refid = srv->refid;
	v->leap = srv->leap;
	v->stratum = srv->stratum;
	v->precision = srv->precision;
}

/*
 * RFC 5905 section 7.3: at stratum 0 (kiss codes) and 1 (reference clocks)
 * the reference ID is four ASCII characters, zero padded; above, the IPv4
 * address (or IPv6 hash) of the upstream. A local clock says "LOCL" at any
 * stratum. Judged by the published stratum, since past the holdover limit
 * the fast path answers stratum 16 with the refid unchanged.
 */
/*
 * A reference ID for people (RFC 5905 section 7.3): four ASCII letters from a
 * reference clock when @ascii and they print, else a dotted quad (an IPv4
 * address, or the hash of an IPv6 one).
 */
static void
refid_str(__be32 refid, int ascii, char *s, size_t len)
{
	__u8 b[4];
	size_t i, k = 0;

	memcpy(b, &refid, sizeof(b));
	if (!ascii || b[0] < 0x20 || b[0] >= 0x7f) {
		snprintf(s, len, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
		return;
	}
	for (i = 0; i < sizeof(b) && b[i] != 0 && k + 1 < len; i++)
		s[k++] = b[i] >= 0x20 && b[i] < 0x7f ? (char)b[i] : '?';
	s[k] = '\0';
}

/* The server's own refid: letters at stratum 1, when unsynchronized, and for LOCL */
static void
refid_text(const struct status *st, char *s, size_t len)
{
	int stratum = st->slot.srv.stratum;

	refid_str(st->slot.srv.refid,
		  stratum < 2 || stratum >= NTP_STRATUM_UNSYNC ||
			  memcmp(&st->slot.srv.refid, "LOCL", 4) == 0,
		  s, len);
}

/* The word before any explanation: "software (kernel clock)" is "software". */
static void
first_word(const char *s, char *w, size_t len)
{
	size_t n;

	if (s == NULL)
		s = "unknown";
	n = strcspn(s, " ");
	if (n >= len)
		n = len - 1;
	memcpy(w, s, n);
	w[n] = '\0';
}

/* The system peer, or NULL when the last selection picked none. */
static const struct upstream_peer_report *
sys_peer(const struct status *st)
{
	unsigned int i;

	for (i = 0; i < st->n_peers && i < UPSTREAM_MAX_PEERS; i++)
		if (st->peers[i].mark == '*')
			return &st->peers[i];
	return NULL;
}

/*
 * Synchronised, as stratactl waitsync judges it: clients are told a time
 * (not leap 3, a stratum of 1 to 15: RFC 5905 section 7.3) that comes from
 * the source selection picked at its last pass (a system peer, reference
 * clocks included) or from the local clock ("local stratum"); the holdover
 * after the last source, and a snapshot adopted from the last stratad, do
 * not count: they only carry clients over. *@error_s is the error clients
 * may expect: the root distance they are served (root delay / 2 + root
 * dispersion, RFC 5905 section 11.2) plus the last offset strata's clock
 * measured against its sources.
 */
static int
synchronised(const struct status *st, const struct snap_reply_view *v, double *error_s)
{
	int peer = sys_peer(st) != NULL;

	*error_s = (double)ntp_short_to_ns(v->root_delay) / 2e9 +
		   (double)ntp_short_to_ns(v->root_disp) / 1e9;
	if (peer)
		*error_s += st->sys_offset_s < 0 ? -st->sys_offset_s : st->sys_offset_s;
	return (v->leap & 3) != NTP_LEAP_UNSYNC && v->stratum >= 1 &&
	       v->stratum < NTP_STRATUM_UNSYNC &&
	       (peer || v->refid == strata_htonl(REF_REFID_LOCAL));
}

static void
tracking_text(struct out *o, const struct status *st, uint64_t now_mono_ns)
{
	struct snap_reply_view v;
	char refid[16];
	unsigned int i;
	int64_t age;
	double err;

	ctl_server_view(st, now_mono_ns, &v);
	refid_text(st, refid, sizeof(refid));
	out_put(o, "Time source     : %s\n", st->source[0] != '\0' ? st->source : "none");
	out_put(o, "Stratum         : %u\n", v.stratum);
	out_put(o, "Reference ID    : %08X (%s)\n", strata_ntohl(v.refid), refid);
	out_put(o, "Leap status     : %s\n", leap_names[v.leap & 3]);
	if (synchronised(st, &v, &err))
		out_put(o, "Synchronised    : yes, estimated error %.9f seconds\n", err);
	else
		out_put(o, "Synchronised    : no\n");
	out_put(o, "Reference time  : ");
	if (v.ref_time == 0) {
		out_put(o, "never\n");
	} else {
		__u32 ns;
		time_t t = (time_t)ntp_to_unix(v.ref_time, time(NULL), &ns);
		struct tm tm;
		char date[32];

		gmtime_r(&t, &tm);
		strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
		out_put(o, "%s.%09uZ\n", date, ns);
	}
	/* without upstream sources there is no discipline to report */
	if (st->n_peers > 0) {
		const struct upstream_peer_report *p = sys_peer(st);
		double f = st->freq_ppm;

		out_put(o, "System peer     : %s\n", p != NULL ? p->name : "none");
		out_put(o, "Last offset     : %+.9f seconds\n", st->sys_offset_s);
		out_put(o, "System jitter   : %.9f seconds\n", st->sys_jitter_s);
		/*
		 * chronyc's wording: how CLOCK_MONOTONIC runs without the
		 * correction, which speeds strata's clock up when positive.
		 */
		out_put(o, "Frequency       : %.3f ppm %s\n", f > 0 ? f : -f,
			f > 0 ? "slow" : "fast");
		out_put(o, "Truechimers     : %d\n", st->n_truechimers);
	}
	out_put(o, "Root delay      : ");
	put_sec(o, ntp_short_to_ns(v.root_delay));
	out_put(o, " seconds\nRoot dispersion : ");
	put_sec(o, ntp_short_to_ns(v.root_disp));
	out_put(o, " seconds\nPrecision       : 2^%d seconds\n", v.precision);
	if (st->est_error_ns >= 0) {
		out_put(o, "Kernel est error: ");
		put_sec(o, (uint64_t)st->est_error_ns);
		out_put(o, " seconds\n");
	}
	if (st->max_error_ns >= 0) {
		out_put(o, "Kernel max error: ");
		put_sec(o, (uint64_t)st->max_error_ns);
		out_put(o, " seconds\n");
	}
	age = age_ns(st, now_mono_ns);
	if (age < 0)
		out_put(o, "Snapshot age    : never published\n");
	else
		out_put(o, "Snapshot age    : %lld.%03lld seconds\n", (long long)(age / 1000000000),
		    (long long)(age % 1000000000 / 1000000));
	out_put(o, "Publishes       : %llu\n", (unsigned long long)st->publishes);
	/* one more at each applied reload: says whether a reload reached the fast paths */
	out_put(o, "Configuration   : generation %llu\n", (unsigned long long)st->cfg_gen);
	if (st->n_dp > 0)
		out_put(o, "DPDK %.*s: %u workers, %u port%s, rx timestamps %s, generation %llu\n",
			128, st->dp_port, st->n_dp, st->n_dp_ports, st->n_dp_ports == 1 ? "" : "s",
			st->dp_rx_stamp != NULL ? st->dp_rx_stamp : "unknown",
			(unsigned long long)st->dp_gen);
	if (st->n_ifaces == 0 && st->n_dp == 0)
		out_put(o, "Interfaces      : none\n");
	for (i = 0; i < st->n_ifaces && i < CFG_MAX_LISTEN; i++) {
		const struct status_iface *f = &st->ifaces[i];

		out_put(o, "Interface %.*s: XDP %s, rx timestamps %s\n", CFG_IFNAMSIZ, f->ifname,
		    f->xdp_mode != NULL ? f->xdp_mode : "unknown",
		    f->rx_stamp != NULL ? f->rx_stamp : "unknown");
	}
	for (i = 0; i < st->n_regs && i < CFG_MAX_REGISTER; i++) {
		const struct reg_report *r = &st->regs[i];

		out_put(o, "Pool %.*s via %.*s: %s%s%s, %llu sent, %llu acked, %llu refused, "
			   "%llu bad answers\n",
		    (int)sizeof(r->pool), r->pool, (int)sizeof(r->registrar), r->registrar,
		    r->state, r->refusal != NULL ? ": " : "", r->refusal != NULL ? r->refusal : "",
		    (unsigned long long)r->sent, (unsigned long long)r->acked,
		    (unsigned long long)r->refused, (unsigned long long)r->bad);
	}
}

static void
put_json_sec_or_null(struct out *o, const char *key, int64_t ns)
{
	out_put(o, ",\"%s\":", key);
	if (ns < 0)
		out_put(o, "null");
	else
		put_sec(o, (uint64_t)ns);
}

static void
tracking_json(struct out *o, const struct status *st, uint64_t now_mono_ns)
{
	const struct upstream_peer_report *p = sys_peer(st);
	struct snap_reply_view v;
	char refid[16], word[32];
	unsigned int i;
	double err;
	int sync;

	ctl_server_view(st, now_mono_ns, &v);
	refid_text(st, refid, sizeof(refid));
	out_put(o, "{\"source\":");
	put_json_str(o, st->source);
	out_put(o, ",\"stratum\":%u,\"refid_hex\":\"%08X\",\"refid\":", v.stratum,
	    strata_ntohl(v.refid));
	put_json_str(o, refid);
	sync = synchronised(st, &v, &err);
	out_put(o, ",\"leap\":%u,\"leap_status\":\"%s\",\"synchronised\":%s,\"error_s\":%.9f",
		v.leap & 3, leap_names[v.leap & 3], sync ? "true" : "false", err);
	out_put(o, ",\"ref_time_unix\":");
	if (v.ref_time == 0) {
		out_put(o, "null");
	} else {
		__u32 ns;
		long long sec = ntp_to_unix(v.ref_time, time(NULL), &ns);

		out_put(o, "%lld.%09u", sec, ns);
	}
	out_put(o, ",\"root_delay_s\":");
	put_sec(o, ntp_short_to_ns(v.root_delay));
	out_put(o, ",\"root_dispersion_s\":");
	put_sec(o, ntp_short_to_ns(v.root_disp));
	out_put(o, ",\"precision\":%d", v.precision);
	put_json_sec_or_null(o, "est_error_s", st->est_error_ns);
	put_json_sec_or_null(o, "max_error_s", st->max_error_ns);
	put_json_sec_or_null(o, "snapshot_age_s", age_ns(st, now_mono_ns));
	out_put(o, ",\"publishes\":%llu,\"config_generation\":%llu,\"sys_peer\":",
		(unsigned long long)st->publishes, (unsigned long long)st->cfg_gen);
	if (p != NULL)
		put_json_str(o, p->name);
	else
		out_put(o, "null");
	if (st->n_peers > 0)
		out_put(o, ",\"offset_s\":%.9f,\"jitter_s\":%.9f,\"frequency_ppm\":%.6f,"
			   "\"truechimers\":%d",
			st->sys_offset_s, st->sys_jitter_s, st->freq_ppm, st->n_truechimers);
	else
		out_put(o, ",\"offset_s\":null,\"jitter_s\":null,\"frequency_ppm\":null,"
			   "\"truechimers\":0");
	/* only with register lines, so that other answers keep their shape */
	if (st->n_regs > 0)
		out_put(o, ",\"registrations\":[");
	for (i = 0; i < st->n_regs && i < CFG_MAX_REGISTER; i++) {
		const struct reg_report *r = &st->regs[i];

		out_put(o, "%s{\"pool\":", i == 0 ? "" : ",");
		put_json_str(o, r->pool);
		out_put(o, ",\"registrar\":");
		put_json_str(o, r->registrar);
		out_put(o, ",\"state\":");
		put_json_str(o, r->state);
		out_put(o, ",\"sent\":%llu,\"acked\":%llu,\"refused\":%llu,\"bad\":%llu}",
		    (unsigned long long)r->sent, (unsigned long long)r->acked,
		    (unsigned long long)r->refused, (unsigned long long)r->bad);
	}
	if (st->n_regs > 0)
		out_put(o, "]");
	out_put(o, ",\"interfaces\":[");
	for (i = 0; i < st->n_ifaces && i < CFG_MAX_LISTEN; i++) {
		const struct status_iface *f = &st->ifaces[i];
		char name[CFG_IFNAMSIZ + 1];

		snprintf(name, sizeof(name), "%.*s", CFG_IFNAMSIZ, f->ifname);
		out_put(o, "%s{\"name\":", i == 0 ? "" : ",");
		put_json_str(o, name);
		out_put(o, ",\"ifindex\":%d,\"xdp_mode\":", f->ifindex);
		first_word(f->xdp_mode, word, sizeof(word));
		put_json_str(o, word);
		out_put(o, ",\"rx_stamp\":");
		first_word(f->rx_stamp, word, sizeof(word));
		put_json_str(o, word);
		out_put(o, "}");
	}
	out_put(o, "]}\n");
}

/* A peer's refid as ntpq shows it: letters only from stratum 0 and 1 */
static void
peer_refid(const struct upstream_peer_report *p, char *s, size_t len)
{
	refid_str(p->refid, p->stratum < 2, s, len);
}

/* ntpq -p: remote, refid, st, when, poll, reach, delay, offset, jitter (ms) */
static void
sources_text(struct out *o, const struct status *st)
{
	unsigned int i;

	out_put(o, "     remote           refid           st  when  poll reach    delay   offset "
		   "  jitter\n");
	put_rep(o, '=', 86);
	out_put(o, "\n");
	for (i = 0; i < st->n_peers && i < UPSTREAM_MAX_PEERS; i++) {
		const struct upstream_peer_report *p = &st->peers[i];
		char refid[16], when[16], poll[16];

		peer_refid(p, refid, sizeof(refid));
		if (p->when < 0)
			snprintf(when, sizeof(when), "-");
		else
			snprintf(when, sizeof(when), "%.0f", p->when);
		if (p->poll >= 0)
			snprintf(poll, sizeof(poll), "%d", 1 << p->poll);
		else
			snprintf(poll, sizeof(poll), "1/%d", 1 << -p->poll);
		out_put(o, "%c%-20.20s %-15.15s %2d %5s %5s %5o %8.3f %8.3f %8.3f\n", p->mark, p->name,
			refid, p->stratum, when, poll, p->reach, p->delay * 1e3, p->offset * 1e3,
			p->jitter * 1e3);
	}
	out_put(o, "\nSystem offset %+.9f s, jitter %.9f s, frequency %+.3f ppm, %d truechimers\n",
		st->sys_offset_s, st->sys_jitter_s, st->freq_ppm, st->n_truechimers);
}

static void
sources_json(struct out *o, const struct status *st)
{
	unsigned int i;

	out_put(o, "{\"sources\":[");
	for (i = 0; i < st->n_peers && i < UPSTREAM_MAX_PEERS; i++) {
		const struct upstream_peer_report *p = &st->peers[i];
		char refid[16], mark[2] = {p->mark, 0};

		peer_refid(p, refid, sizeof(refid));
		out_put(o, "%s{\"remote\":", i == 0 ? "" : ",");
		put_json_str(o, p->name);
		out_put(o, ",\"origin\":");
		put_json_str(o, p->origin);
		out_put(o, ",\"refid\":");
		put_json_str(o, refid);
		out_put(o, ",\"mark\":");
		put_json_str(o, mark);
		out_put(o, ",\"stratum\":%d,\"poll\":%d,\"reach\":%u,\"when_s\":", p->stratum,
			p->poll, p->reach);
		if (p->when < 0)
			out_put(o, "null");
		else
			out_put(o, "%.3f", p->when);
		out_put(o, ",\"delay_s\":%.9f,\"offset_s\":%.9f,\"jitter_s\":%.9f}", p->delay,
			p->offset, p->jitter);
	}
	out_put(o, "],\"offset_s\":%.9f,\"jitter_s\":%.9f,\"frequency_ppm\":%.6f,"
		   "\"truechimers\":%d}\n",
		st->sys_offset_s, st->sys_jitter_s, st->freq_ppm, st->n_truechimers);
}

/* The command, echoed in an error: printable, and short enough for one line. */
static void
put_cmd_echo(struct out *o, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < 64; i++)
		out_put(o, "%c", s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?');
	if (n > 64)
		out_put(o, "...");
}

int
ctl_render(const char *cmd, const struct status *st, uint64_t now_mono_ns, char *buf, size_t len)
{
	struct out o = {.buf = buf, .len = len};
	size_t n;
	int ret;

	/* the answer's length must fit the int we return */
	if (o.len > INT_MAX)
		o.len = INT_MAX;
	if (o.len == 0)
		return -2;
	buf[0] = '\0';

	cmd += strspn(cmd, " \t");
	n = strlen(cmd);
	while (n > 0 && strchr(" \t\r\n", cmd[n - 1]) != NULL)
		n--;

	ret = 0;
	if (n == 8 && memcmp(cmd, "counters", 8) == 0) {
		counters_text(&o, st);
	} else if (n == 13 && memcmp(cmd, "counters json", 13) == 0) {
		counters_json(&o, st);
	} else if (n == 8 && memcmp(cmd, "tracking", 8) == 0) {
		tracking_text(&o, st, now_mono_ns);
	} else if (n == 13 && memcmp(cmd, "tracking json", 13) == 0) {
		tracking_json(&o, st, now_mono_ns);
	} else if (n == 3 && memcmp(cmd, "nts", 3) == 0) {
		nts_text(&o, st);
	} else if (n == 8 && memcmp(cmd, "nts json", 8) == 0) {
		nts_json(&o, st);
	} else if (n == 11 && memcmp(cmd, "serverstats", 11) == 0) {
		serverstats_text(&o, st);
	} else if (n == 16 && memcmp(cmd, "serverstats json", 16) == 0) {
		serverstats_json(&o, st);
	} else if (n == 7 && memcmp(cmd, "sources", 7) == 0) {
		sources_text(&o, st);
	} else if (n == 12 && memcmp(cmd, "sources json", 12) == 0) {
		sources_json(&o, st);
	} else {
		out_put(&o, "unknown command '");
		put_cmd_echo(&o, cmd, n);
		out_put(&o, "' (known: counters, nts, reload, serverstats, sources, tracking)\n");
		ret = -1;
	}
	if (o.full)
		return -2;
	return ret < 0 ? ret : (int)o.pos;
}
