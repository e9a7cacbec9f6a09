/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configurations compared for a reload. Line numbers never count as a
 * change: a comment added at the top of the file moves every line and
 * changes nothing. The fast paths' part is compared as they receive it
 * (cfg_lower()), so that a reload republishes exactly when what a packet
 * sees would change.
 */
#include "cfgdiff.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <strata/fastcfg.h>

int
cfg_same_source(const struct cfg_source *a, const struct cfg_source *b)
{
	return a->kind == b->kind && strcmp(a->host, b->host) == 0 && a->iburst == b->iburst &&
	       a->prefer == b->prefer && a->noselect == b->noselect && a->minpoll == b->minpoll &&
	       a->maxpoll == b->maxpoll && a->poll == b->poll && a->maxsources == b->maxsources &&
	       a->offset == b->offset;
}

static int
same_time(const struct cfg *a, const struct cfg *b)
{
	unsigned int i;

	if (a->refclock_system != b->refclock_system || a->local_stratum != b->local_stratum ||
	    a->minsources != b->minsources || a->holdover != b->holdover ||
	    strcmp(a->leapfile, b->leapfile) != 0 || a->n_sources != b->n_sources)
		return 0;
	for (i = 0; i < a->n_sources; i++)
		if (!cfg_same_source(&a->sources[i], &b->sources[i]))
			return 0;
	return 1;
}

static int
same_metrics(const struct cfg *a, const struct cfg *b)
{
	return a->has_metrics == b->has_metrics &&
	       (!a->has_metrics || (a->metrics_len == b->metrics_len &&
				    memcmp(&a->metrics, &b->metrics, a->metrics_len) == 0));
}

static int
same_register(const struct cfg_register *a, const struct cfg_register *b)
{
	return strcmp(a->pool, b->pool) == 0 && strcmp(a->registrar, b->registrar) == 0 &&
	       a->port == b->port && strcmp(a->keyfile, b->keyfile) == 0;
}

static int
same_registers(const struct cfg *a, const struct cfg *b)
{
	unsigned int i;

	if (a->n_register != b->n_register)
		return 0;
	for (i = 0; i < a->n_register; i++)
		if (!same_register(&a->reg[i], &b->reg[i]))
			return 0;
	return 1;
}

/* A listen line is its interface or DPDK port; its addresses are the fast paths' part. */
static const struct cfg_listen *
find_listen(const struct cfg *c, const struct cfg_listen *l)
{
	unsigned int i;

	for (i = 0; i < c->n_listen; i++) {
		const struct cfg_listen *o = &c->listen[i];

		if (o->dpdk == l->dpdk &&
		    strcmp(o->dpdk ? o->port : o->ifname, l->dpdk ? l->port : l->ifname) == 0)
			return o;
	}
	return NULL;
}

static int
same_restart(const struct cfg *a, const struct cfg *b)
{
	unsigned int i;

	if (a->xdpmode != b->xdpmode || strcmp(a->control, b->control) != 0 ||
	    strcmp(a->user, b->user) != 0 || strcmp(a->controlgroup, b->controlgroup) != 0 ||
	    strcmp(a->driftfile, b->driftfile) != 0 || strcmp(a->bpffs, b->bpffs) != 0 ||
	    strcmp(a->nts.dumpdir, b->nts.dumpdir) != 0 || a->n_listen != b->n_listen)
		return 0;
	for (i = 0; i < a->n_listen; i++)
		if (find_listen(b, &a->listen[i]) == NULL)
			return 0;
	return 1;
}

static int
same_nts_proc(const struct cfg_nts *a, const struct cfg_nts *b)
{
	return strcmp(a->cert, b->cert) == 0 && strcmp(a->key, b->key) == 0 &&
	       a->port == b->port && a->processes == b->processes && a->maxconns == b->maxconns &&
	       strcmp(a->ntpserver, b->ntpserver) == 0;
}

unsigned int
cfg_diff(const struct cfg *run, const struct cfg *next)
{
	/* 20 KiB each: not on the stack; only the main loop compares */
	static struct strata_fastcfg a, b;
	unsigned int parts = 0;

	cfg_lower(run, &a);
	cfg_lower(next, &b);
	if (memcmp(&a, &b, sizeof(a)) != 0)
		parts |= CFG_PART_FASTPATH;
	if (!same_time(run, next))
		parts |= CFG_PART_TIME;
	if (!same_metrics(run, next))
		parts |= CFG_PART_METRICS;
	if (!same_registers(run, next))
		parts |= CFG_PART_REGISTER;
	if (!same_restart(run, next))
		parts |= CFG_PART_RESTART;
	if (cfg_nts_on(run) != cfg_nts_on(next) || run->nts.rotate != next->nts.rotate)
		parts |= CFG_PART_NTS;
	if (!same_nts_proc(&run->nts, &next->nts))
		parts |= CFG_PART_NTS_PROC;
	return parts;
}

void
cfg_restart_add(struct cfg_restart *r, unsigned int line, const char *fmt, ...)
{
	va_list ap;

	if (r->n == CFG_RESTART_MAX) {
		r->more++;
		return;
	}
	r->l[r->n].line = line;
	va_start(ap, fmt);
	vsnprintf(r->l[r->n].what, sizeof(r->l[r->n].what), fmt, ap);
	va_end(ap);
	r->n++;
}

static int
has_addr(const struct cfg_listen *ls, unsigned int n, int af, const void *a)
{
	unsigned int i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; af == AF_INET && j < ls[i].n_addr4; j++)
			if (memcmp(&ls[i].addr4[j], a, 4) == 0)
				return 1;
		for (j = 0; af == AF_INET6 && j < ls[i].n_addr6; j++)
			if (memcmp(ls[i].addr6[j], a, 16) == 0)
				return 1;
	}
	return 0;
}

/*
 * A listen line that is gone from the file, kept (it stays attached): only
 * the addresses no other line took, within the fast paths' limit.
 */
static void
keep_gone(struct cfg_listen *ls, unsigned int n, const struct cfg_listen *old)
{
	struct cfg_listen *l = &ls[n];
	unsigned int i, n4 = 0, n6 = 0;

	for (i = 0; i < n; i++) {
		n4 += ls[i].n_addr4;
		n6 += ls[i].n_addr6;
	}
	*l = *old;
	l->n_addr4 = l->n_addr6 = 0;
	for (i = 0; i < old->n_addr4; i++)
		if (n4 < STRATA_MAX_ADDRS && !has_addr(ls, n, AF_INET, &old->addr4[i])) {
			l->addr4[l->n_addr4++] = old->addr4[i];
			n4++;
		}
	for (i = 0; i < old->n_addr6; i++)
		if (n6 < STRATA_MAX_ADDRS && !has_addr(ls, n, AF_INET6, old->addr6[i])) {
			memcpy(l->addr6[l->n_addr6++], old->addr6[i], 16);
			n6++;
		}
}

static void
keep_listen(const struct cfg *run, struct cfg *next, struct cfg_restart *r)
{
	struct cfg_listen ls[CFG_MAX_LISTEN];
	unsigned int i, n = 0;

	/* every line kept matches a distinct running one: at most run->n_listen */
	for (i = 0; i < next->n_listen; i++) {
		const struct cfg_listen *l = &next->listen[i];

		if (find_listen(run, l) != NULL)
			ls[n++] = *l;
		else if (l->dpdk)
			cfg_restart_add(r, l->line,
					"listen dpdk %s: a new port: strata-dpdk takes its ports "
					"when it starts: restart strata-dpdk",
					l->port);
		else
			cfg_restart_add(r, l->line,
					"listen xdp %s: a new interface: attaching XDP needs the "
					"privileges stratad dropped: restart stratad",
					l->ifname);
	}
	for (i = 0; i < run->n_listen; i++) {
		const struct cfg_listen *l = &run->listen[i];

		if (find_listen(next, l) != NULL)
			continue;
		keep_gone(ls, n++, l);
		cfg_restart_add(r, 0, "listen %s %s: removed: %s until a restart",
				l->dpdk ? "dpdk" : "xdp", l->dpdk ? l->port : l->ifname,
				l->dpdk ? "strata-dpdk keeps the port"
					: "the XDP program stays attached and answers");
	}
	memcpy(next->listen, ls, n * sizeof(ls[0]));
	next->n_listen = n;
}

void
cfg_keep_restart(const struct cfg *run, struct cfg *next, struct cfg_restart *r)
{
	if (next->xdpmode != run->xdpmode) {
		cfg_restart_add(r, next->line.xdpmode,
				"xdpmode %s: the program stays attached in %s mode until a "
				"restart",
				next->xdpmode == CFG_XDP_GENERIC ? "generic" : "native",
				run->xdpmode == CFG_XDP_GENERIC ? "generic" : "native");
		next->xdpmode = run->xdpmode;
	}
	if (strcmp(next->control, run->control) != 0) {
		cfg_restart_add(r, next->line.control,
				"control %s: the socket stays at %s until a restart (bound "
				"before the privilege drop)",
				next->control, run->control);
		memcpy(next->control, run->control, sizeof(next->control));
	}
	if (strcmp(next->user, run->user) != 0) {
		cfg_restart_add(r, next->line.user,
				"user %s: stratad runs as %s until a restart (it dropped its "
				"privileges to that user)",
				next->user, run->user);
		memcpy(next->user, run->user, sizeof(next->user));
	}
	if (strcmp(next->controlgroup, run->controlgroup) != 0) {
		cfg_restart_add(r, next->line.controlgroup,
				"controlgroup %s: the control socket stays group %s's until a "
				"restart (it is given its group before the privilege drop)",
				next->controlgroup, run->controlgroup);
		memcpy(next->controlgroup, run->controlgroup, sizeof(next->controlgroup));
	}
	if (strcmp(next->driftfile, run->driftfile) != 0) {
		cfg_restart_add(r, next->line.driftfile,
				"driftfile %s: the frequency is kept in %s until a restart (its "
				"directory is prepared before the privilege drop)",
				next->driftfile[0] != '\0' ? next->driftfile : "(removed)",
				run->driftfile[0] != '\0' ? run->driftfile : "no file");
		memcpy(next->driftfile, run->driftfile, sizeof(next->driftfile));
	}
	if (strcmp(next->bpffs, run->bpffs) != 0) {
		cfg_restart_add(r, next->line.bpffs,
				"bpffs %s: the program stays pinned in %s until a restart "
				"(pinning needs the privileges stratad dropped)",
				next->bpffs[0] != '\0' ? next->bpffs : "none",
				run->bpffs[0] != '\0' ? run->bpffs : "no directory");
		memcpy(next->bpffs, run->bpffs, sizeof(next->bpffs));
	}
	if (strcmp(next->nts.dumpdir, run->nts.dumpdir) != 0) {
		cfg_restart_add(r, next->line.ntsdumpdir,
				"ntsdumpdir %s: the master keys stay in %s until a restart (the "
				"directory is prepared before the privilege drop)",
				next->nts.dumpdir, run->nts.dumpdir);
		memcpy(next->nts.dumpdir, run->nts.dumpdir, sizeof(next->nts.dumpdir));
	}
	keep_listen(run, next, r);
}

void
cfg_note_nts(const struct cfg *run, const struct cfg *next, struct cfg_restart *r)
{
	const struct cfg_nts *a = &run->nts, *b = &next->nts;
	/* strata-nts's supervisor reads the file on SIGHUP and starts fresh NTS-KE workers */
	static const char hup[] = "strata-nts's: reload strata-nts (SIGHUP) to apply it; "
				  "stratad only checked it";
	/* its listeners are bound once, at its start */
	static const char restart[] = "strata-nts binds it when it starts: restart "
				      "strata-nts; stratad only checked it";

	if (strcmp(a->cert, b->cert) != 0)
		cfg_restart_add(r, next->line.ntsservercert, "ntsservercert %s: %s",
				b->cert[0] != '\0' ? b->cert : "(removed)", hup);
	if (strcmp(a->key, b->key) != 0)
		cfg_restart_add(r, next->line.ntsserverkey, "ntsserverkey %s: %s",
				b->key[0] != '\0' ? b->key : "(removed)", hup);
	if (a->port != b->port)
		cfg_restart_add(r, next->line.ntsport, "ntsport %u: %s", b->port, restart);
	if (a->processes != b->processes)
		cfg_restart_add(r, next->line.ntsprocesses, "ntsprocesses %u: %s", b->processes,
				hup);
	if (a->maxconns != b->maxconns)
		cfg_restart_add(r, next->line.maxntsconnections, "maxntsconnections %u: %s",
				b->maxconns, hup);
	if (strcmp(a->ntpserver, b->ntpserver) != 0)
		cfg_restart_add(r, next->line.ntsntpserver, "ntsntpserver %s: %s",
				b->ntpserver[0] != '\0' ? b->ntpserver : "(removed)", hup);
}

void
cfg_keep_metrics(const struct cfg *run, struct cfg *next, const char *why, struct cfg_restart *r)
{
	if (same_metrics(run, next))
		return;
	cfg_restart_add(r, next->line.metrics, "metrics: %s", why);
	next->has_metrics = run->has_metrics;
	next->metrics = run->metrics;
	next->metrics_len = run->metrics_len;
	next->line.metrics = run->line.metrics;
}

const char *
cfg_restart_text(const struct cfg_restart *r, char *buf, size_t len)
{
	size_t off = 0;
	unsigned int i;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	for (i = 0; i < r->n && off < len; i++) {
		int n = r->l[i].line != 0 ? snprintf(buf + off, len - off, "  line %u: %s\n",
						     r->l[i].line, r->l[i].what)
					  : snprintf(buf + off, len - off, "  %s\n", r->l[i].what);

		if (n < 0)
			break;
		off += (size_t)n;
	}
	if (r->more > 0 && off < len)
		snprintf(buf + off, len - off, "  and %u more\n", r->more);
	return buf;
}
