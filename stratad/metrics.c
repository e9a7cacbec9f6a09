/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Prometheus text exposition format 0.0.4: "# HELP" and "# TYPE" before
 * each metric family, then one sample per line. Names follow the Prometheus
 * conventions: base units (seconds), "_total" on counters, "_info" for
 * labels with the constant value 1.
 */
#include "metrics.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <strata/reply.h>

#include "ctl.h"
#include "outbuf.h"

#ifndef STRATA_VERSION
#define STRATA_VERSION "unknown"
#endif


static const char *const verdict_names[3] = {
	[STRATA_REPLY] = "reply",
	[STRATA_PASS] = "pass",
	[STRATA_DROP] = "drop",
};

static void
family(struct out *o, const char *name, const char *type, const char *help)
{
	out_put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/*
 * A label value up to its first space ("software (kernel clock)" gives
 * "software"); the format escapes backslash, double quote and newline.
 */
static void
put_label(struct out *o, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && s[i] != '\0' && s[i] != ' '; i++) {
		if (s[i] == '\\' || s[i] == '"')
			out_put(o, "\\%c", s[i]);
		else if (s[i] == '\n')
			out_put(o, "\\n");
		else
			out_put(o, "%c", s[i]);
	}
}

static void
put_seconds(struct out *o, const char *name, uint64_t ns)
{
	out_put(o, "%s %llu.%09llu\n", name, (unsigned long long)(ns / NSEC_PER_SEC),
	    (unsigned long long)(ns % NSEC_PER_SEC));
}

/* ntpq's tally codes, the marks of "stratactl sources", as words. */
static const char *
source_state(char mark)
{
	switch (mark) {
	case '*':
		return "sys_peer";
	case '+':
		return "survivor";
	case '-':
		return "outlier";
	case 'x':
		return "falseticker";
	case '?':
		return "unreachable";
	default:
		return "unselected";
	}
}

/* A per-source sample up to its last label, which the caller closes. */
static void
source_sample(struct out *o, const char *name, const struct upstream_peer_report *p)
{
	out_put(o, "%s{remote=\"", name);
	put_label(o, p->name, sizeof(p->name));
	out_put(o, "\",origin=\"");
	put_label(o, p->origin, sizeof(p->origin));
	out_put(o, "\"");
}

/*
 * The register lines: nothing without them. Named strata_registr*, not
 * strata_pool_*: strata-pool's own metrics have that prefix, and its
 * strata_pool_registrations_total counts what the registrar received.
 */
static void
put_registrations(struct out *o, const struct status *st)
{
	static const char *const outcome[] = {"sent", "acked", "refused", "bad"};
	unsigned int i, k;

	if (st->n_regs == 0)
		return;
	family(o, "strata_registrations_total", "counter",
	       "Registrations sent to strata-pool registrars, and their answers: acked, refused, "
	       "bad (unauthenticated or malformed).");
	for (i = 0; i < st->n_regs && i < CFG_MAX_REGISTER; i++) {
		const struct reg_report *r = &st->regs[i];
		const uint64_t v[] = {r->sent, r->acked, r->refused, r->bad};

		for (k = 0; k < 4; k++) {
			out_put(o, "strata_registrations_total{pool=\"");
			put_label(o, r->pool, sizeof(r->pool));
			out_put(o, "\",registrar=\"");
			put_label(o, r->registrar, sizeof(r->registrar));
			out_put(o, "\",outcome=\"%s\"} %llu\n", outcome[k], (unsigned long long)v[k]);
		}
	}
	family(o, "strata_registered", "gauge",
	       "1 while a registrar holds an acknowledged registration of this server.");
	for (i = 0; i < st->n_regs && i < CFG_MAX_REGISTER; i++) {
		const struct reg_report *r = &st->regs[i];

		out_put(o, "strata_registered{pool=\"");
		put_label(o, r->pool, sizeof(r->pool));
		out_put(o, "\",registrar=\"");
		put_label(o, r->registrar, sizeof(r->registrar));
		out_put(o, "\"} %d\n", strcmp(r->state, "registered") == 0);
	}
}

static void
put_sources(struct out *o, const struct status *st)
{
	unsigned int n = st->n_peers < UPSTREAM_MAX_PEERS ? st->n_peers : UPSTREAM_MAX_PEERS;
	unsigned int i;

	if (n == 0)
		return;
	family(o, "strata_source_offset_seconds", "gauge",
	       "Offset of each upstream source: its time minus ours.");
	for (i = 0; i < n; i++) {
		source_sample(o, "strata_source_offset_seconds", &st->peers[i]);
		out_put(o, "} %.9f\n", st->peers[i].offset);
	}
	family(o, "strata_source_delay_seconds", "gauge", "Round-trip delay to each source.");
	for (i = 0; i < n; i++) {
		source_sample(o, "strata_source_delay_seconds", &st->peers[i]);
		out_put(o, "} %.9f\n", st->peers[i].delay);
	}
	family(o, "strata_source_jitter_seconds", "gauge", "Jitter of each source's offsets.");
	for (i = 0; i < n; i++) {
		source_sample(o, "strata_source_jitter_seconds", &st->peers[i]);
		out_put(o, "} %.9f\n", st->peers[i].jitter);
	}
	family(o, "strata_source_stratum", "gauge", "Stratum each source announces.");
	for (i = 0; i < n; i++) {
		source_sample(o, "strata_source_stratum", &st->peers[i]);
		out_put(o, "} %d\n", st->peers[i].stratum);
	}
	family(o, "strata_source_reach", "gauge",
	       "Reachability register of each source: one bit a poll, 255 for the last eight.");
	for (i = 0; i < n; i++) {
		source_sample(o, "strata_source_reach", &st->peers[i]);
		out_put(o, "} %u\n", st->peers[i].reach);
	}
	family(o, "strata_source_selected", "gauge", "1 for the system peer, 0 for other sources.");
	for (i = 0; i < n; i++) {
		source_sample(o, "strata_source_selected", &st->peers[i]);
		out_put(o, "} %d\n", st->peers[i].mark == '*');
	}
	family(o, "strata_source_state", "gauge", "What selection made of each source.");
	for (i = 0; i < n; i++) {
		source_sample(o, "strata_source_state", &st->peers[i]);
		out_put(o, ",state=\"%s\"} 1\n", source_state(st->peers[i].mark));
	}
}

/*
 * NTS: with NTS on or strata-nts running. The responders' counters with
 * one sample per counter name, as strata_dpdk_events_total: the DPDK
 * workers summed (path="dpdk"), each AF_XDP socket on its own (path="xdp",
 * interface and queue).
 */
static void
put_nts(struct out *o, const struct status *st)
{
	const struct status_nts *n = &st->nts;
	unsigned int i, r;

	if (!n->on && n->pid == 0)
		return;
	family(o, "strata_nts_master_keys", "gauge",
	       "NTS master keys published: the current one and those still honoured.");
	out_put(o, "strata_nts_master_keys %u\n", n->n_keys);
	/* no key is infinitely old: an alert on the age fires */
	family(o, "strata_nts_master_key_age_seconds", "gauge",
	       "Age of the current NTS master key.");
	if (n->n_keys == 0)
		out_put(o, "strata_nts_master_key_age_seconds +Inf\n");
	else
		out_put(o, "strata_nts_master_key_age_seconds %lld\n",
			(long long)(n->now > n->key_created ? n->now - n->key_created : 0));
	family(o, "strata_nts_ke_total", "counter",
	       "What strata-nts's NTS-KE workers count, by counter.");
	for (r = 0; r < STRATA_NTS_KE_MAX; r++)
		out_put(o, "strata_nts_ke_total{counter=\"%s\"} %llu\n",
			strata_nts_ke_counter_names[r], (unsigned long long)n->ke[r]);
	family(o, "strata_nts_requests_total", "counter",
	       "NTS requests by path (dpdk: all workers, xdp: one AF_XDP socket by interface and "
	       "queue) and counter, the row names of stratactl nts.");
	for (r = 0; r < STRATA_NTS_MAX; r++)
		out_put(o, "strata_nts_requests_total{path=\"dpdk\",counter=\"%s\"} %llu\n",
			strata_nts_counter_names[r], (unsigned long long)n->dp[r]);
	for (i = 0; i < n->n_xsk && i < STRATA_SHM_MAX_XSK; i++)
		for (r = 0; r < STRATA_NTS_MAX; r++) {
			out_put(o, "strata_nts_requests_total{path=\"xdp\",interface=\"");
			put_label(o, n->xsk[i].ifname, sizeof(n->xsk[i].ifname));
			out_put(o, "\",queue=\"%u\",counter=\"%s\"} %llu\n", n->xsk[i].queue,
				strata_nts_counter_names[r], (unsigned long long)n->xsk[i].c[r]);
		}
}

int
metrics_render(const struct status *st, uint64_t now_mono_ns, char *buf, size_t len)
{
	struct out o = {.buf = buf, .len = len > INT_MAX ? INT_MAX : len};
	unsigned int ncpu = st->ncpu < STATUS_MAX_CPUS ? st->ncpu : STATUS_MAX_CPUS;
	struct snap_reply_view v;
	unsigned int cpu, r, i;

	if (len == 0)
		return -2;
	buf[0] = '\0';
	ctl_server_view(st, now_mono_ns, &v);

	/* the Prometheus convention for what a target runs: join on it in queries */
	family(&o, "strata_build_info", "gauge",
	       "Always 1: the program and version serving these metrics.");
	out_put(&o, "strata_build_info{program=\"stratad\",version=\"%s\"} 1\n", STRATA_VERSION);

	family(&o, "strata_packets_total", "counter",
	       "Packets the fast path handled, by CPU and outcome (verdict reason).");
	for (cpu = 0; cpu < ncpu; cpu++)
		for (r = 0; r < STRATA_R_MAX; r++)
			out_put(&o,
			    "strata_packets_total{cpu=\"%u\",outcome=\"%s\",verdict=\"%s\"} %llu\n",
			    cpu, strata_reason_names[r], verdict_names[strata_verdict_of(r)],
			    (unsigned long long)st->cpu[cpu].c[r]);
	for (cpu = 0; cpu < st->n_dp && cpu < STRATA_SHM_MAX_LCORES; cpu++)
		for (r = 0; r < STRATA_R_MAX; r++)
			out_put(&o,
			    "strata_packets_total{cpu=\"dpdk%u\",outcome=\"%s\",verdict=\"%s\"} %llu\n",
			    cpu, strata_reason_names[r], verdict_names[strata_verdict_of(r)],
			    (unsigned long long)st->dp[cpu].c[r]);
	if (st->n_dp > 0) {
		family(&o, "strata_dpdk_events_total", "counter",
		       "What the DPDK dataplane counts besides packet outcomes, by worker (exc: "
		       "the exception path) and counter, the row names of stratactl counters.");
		for (cpu = 0; cpu < st->n_dp && cpu < STRATA_SHM_MAX_LCORES; cpu++)
			for (r = 0; r < STRATA_DP_MAX; r++)
				out_put(&o,
					"strata_dpdk_events_total{worker=\"%u\",counter=\"%s\"} %llu\n",
					cpu, strata_dp_counter_names[r],
					(unsigned long long)st->dpc[cpu].c[r]);
		for (r = 0; r < STRATA_DP_MAX; r++)
			out_put(&o, "strata_dpdk_events_total{worker=\"exc\",counter=\"%s\"} %llu\n",
				strata_dp_counter_names[r], (unsigned long long)st->dpc_exc.c[r]);
		/* testpmd's --record-core-cycles boundary (include/strata/shm.h) */
		family(&o, "strata_dpdk_burst_cycles_total", "counter",
		       "TSC cycles of the DPDK workers' bursts that received packets, from before "
		       "rx_burst to after tx_burst, by worker.");
		for (cpu = 0; cpu < st->n_dp && cpu < STRATA_SHM_MAX_LCORES; cpu++)
			out_put(&o, "strata_dpdk_burst_cycles_total{worker=\"%u\"} %llu\n", cpu,
				(unsigned long long)st->dpc[cpu].c[STRATA_DP_BURST_CYCLES]);
		family(&o, "strata_dpdk_burst_packets_total", "counter",
		       "Packets those bursts received, by worker: cycles over packets is testpmd's "
		       "CPU cycles/packet.");
		for (cpu = 0; cpu < st->n_dp && cpu < STRATA_SHM_MAX_LCORES; cpu++)
			out_put(&o, "strata_dpdk_burst_packets_total{worker=\"%u\"} %llu\n", cpu,
				(unsigned long long)st->dpc[cpu].c[STRATA_DP_BURST_PACKETS]);
		if (st->tsc_hz > 0) {
			family(&o, "strata_dpdk_tsc_hertz", "gauge",
			       "The TSC's rate, as stratad measures it against CLOCK_MONOTONIC.");
			out_put(&o, "strata_dpdk_tsc_hertz %.0f\n", st->tsc_hz);
		}
	}

	family(&o, "strata_stratum", "gauge", "Stratum of the replies (16: unsynchronised).");
	out_put(&o, "strata_stratum %u\n", v.stratum);
	family(&o, "strata_leap", "gauge",
	       "Leap indicator of the replies: 0 none, 1 insert, 2 delete, 3 unsynchronised.");
	out_put(&o, "strata_leap %u\n", v.leap);
	family(&o, "strata_root_delay_seconds", "gauge", "Root delay of the replies.");
	put_seconds(&o, "strata_root_delay_seconds", ntp_short_to_ns(v.root_delay));
	family(&o, "strata_root_dispersion_seconds", "gauge",
	       "Root dispersion of the replies, grown to now.");
	put_seconds(&o, "strata_root_dispersion_seconds", ntp_short_to_ns(v.root_disp));

	/* never published is infinitely stale: an alert on the age fires */
	family(&o, "strata_snapshot_age_seconds", "gauge",
	       "Time since stratad last published the time snapshot.");
	if (st->publishes == 0)
		out_put(&o, "strata_snapshot_age_seconds +Inf\n");
	else
		put_seconds(&o, "strata_snapshot_age_seconds",
			    now_mono_ns > st->publish_mono_ns ? now_mono_ns - st->publish_mono_ns
							      : 0);
	family(&o, "strata_snapshot_publishes_total", "counter",
	       "Time snapshots published since stratad started.");
	out_put(&o, "strata_snapshot_publishes_total %llu\n", (unsigned long long)st->publishes);

	family(&o, "strata_interface_info", "gauge",
	       "Interfaces running the XDP program: mode and receive timestamps.");
	for (i = 0; i < st->n_ifaces && i < CFG_MAX_LISTEN; i++) {
		const struct status_iface *f = &st->ifaces[i];
		const char *mode = f->xdp_mode != NULL ? f->xdp_mode : "unknown";
		const char *stamp = f->rx_stamp != NULL ? f->rx_stamp : "unknown";

		out_put(&o, "strata_interface_info{interface=\"");
		put_label(&o, f->ifname, sizeof(f->ifname));
		out_put(&o, "\",xdp_mode=\"");
		put_label(&o, mode, SIZE_MAX);
		out_put(&o, "\",rx_stamp=\"");
		put_label(&o, stamp, SIZE_MAX);
		out_put(&o, "\"} 1\n");
	}

	put_sources(&o, st);
	family(&o, "strata_system_offset_seconds", "gauge",
	       "Last combined offset of the selected sources: their time minus ours.");
	out_put(&o, "strata_system_offset_seconds %.9f\n", st->sys_offset_s);
	family(&o, "strata_system_jitter_seconds", "gauge",
	       "System jitter of the selected sources.");
	out_put(&o, "strata_system_jitter_seconds %.9f\n", st->sys_jitter_s);
	/* the correction, not the error: the driftfile keeps its negation */
	family(&o, "strata_frequency_ppm", "gauge",
	       "Frequency correction of strata's clock over CLOCK_MONOTONIC, positive is faster.");
	out_put(&o, "strata_frequency_ppm %.6f\n", st->freq_ppm);
	family(&o, "strata_truechimers", "gauge",
	       "Sources inside the intersection interval of the last selection.");
	out_put(&o, "strata_truechimers %d\n", st->n_truechimers);
	put_registrations(&o, st);
	put_nts(&o, st);
	return o.full ? -2 : (int)o.pos;
}
