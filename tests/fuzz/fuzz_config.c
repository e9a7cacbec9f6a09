/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for stratad's configuration parser, cfg_parse() in
 * lib/config.c, fed through fmemopen() as stratad feeds it a file.
 * Built by clang with libFuzzer and ASan/UBSan, and by the project compiler
 * with fuzz_main.c so that the test suite replays the corpus everywhere.
 *
 * The input is the file. Every input is parsed twice, into a message buffer
 * of stratad's size and into one of a few octets, and checked against what
 * config.h and docs/config.md promise:
 *  - the result is 0 or -1, and the same with either buffer: the size of
 *    the message buffer changes nothing else (the parsed struct too);
 *  - on failure the message is terminated inside the buffer, not empty, one
 *    line of printable ASCII (it goes to the journal; a configuration must
 *    not write escape sequences there), "NAME:LINE: " with a line that
 *    exists or "NAME: " for the file as a whole, and it gives a hint; the
 *    short buffer holds the start of the same message;
 *  - on success what was parsed is within the documented limits: listen
 *    lines, unicast service addresses each once, poll ranges, paths, access
 *    list prefixes each once without host bits, rate limits, registrations.
 */
#include <arpa/inet.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "fuzz.conf"
#define ERRLEN 512 /* stratad's and strata-dpdk's */

static unsigned int
count_lines(const uint8_t *p, size_t n)
{
	unsigned int lines = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] == '\n')
			lines++;
	return lines + (n > 0 && p[n - 1] != '\n');
}

static int
terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

/* Run cfg_parse() on @data with a message buffer of exactly @errlen octets. */
static int
parse(const uint8_t *data, size_t size, struct cfg *c, char *err, size_t errlen)
{
	char *copy;
	FILE *f;
	int ret;

	/* exactly @size octets on the heap, and fmemopen() reads no further */
	copy = malloc(size ? size : 1);
	if (copy == NULL)
		abort();
	memcpy(copy, data, size);
	f = size ? fmemopen(copy, size, "r") : fopen("/dev/null", "r");
	if (f == NULL)
		abort();
	/* a pattern, so that a message terminated by chance is not taken for one terminated */
	memset(err, 0x5a, errlen);
	ret = cfg_parse(NAME, f, c, err, errlen);
	fclose(f);
	free(copy);
	if (ret != 0 && ret != -1)
		abort();
	return ret;
}

/* docs/config.md "Error messages": FILE:LINE: what is wrong (hint: what to write instead) */
static void
check_message(const char *err, unsigned int lines)
{
	const char *p = err + strlen(NAME);
	size_t len, i;
	char *end;

	if (!terminated(err, ERRLEN))
		abort();
	len = strlen(err);
	if (len == 0 || strncmp(err, NAME ":", strlen(NAME) + 1) != 0)
		abort();
	for (i = 0; i < len; i++)
		if ((unsigned char)err[i] < 0x20 || (unsigned char)err[i] > 0x7e)
			abort();
	p++;
	if (*p != ' ') {
		unsigned long line = strtoul(p, &end, 10);

		if (*p < '1' || *p > '9' || line > lines || end[0] != ':' || end[1] != ' ')
			abort();
		p = end + 1;
	}
	if (p[1] == '\0')
		abort(); /* a place without a word of what is wrong */
	/* every error has a hint, unless a long word of the file pushed it out of the buffer */
	if (len < ERRLEN - 1 && strstr(err, "(hint: ") == NULL)
		abort();
}

/* Only addresses that can be the destination of a client's request, each once. */
static void
check_addrs(const struct cfg *c)
{
	unsigned int i, j, k, l, n4 = 0, n6 = 0;
	struct strata_service svc;

	for (i = 0; i < c->n_listen; i++) {
		const struct cfg_listen *a = &c->listen[i];

		n4 += a->n_addr4;
		n6 += a->n_addr6;
		for (j = 0; j < a->n_addr4; j++) {
			uint32_t h = ntohl(a->addr4[j]);

			if (h == 0 || h == 0xffffffff || h >> 28 == 0xe || h >> 24 == 127)
				abort();
			for (k = 0; k < c->n_listen; k++)
				for (l = 0; l < c->listen[k].n_addr4; l++)
					if ((k != i || l != j) &&
					    c->listen[k].addr4[l] == a->addr4[j])
						abort();
		}
		for (j = 0; j < a->n_addr6; j++) {
			const struct in6_addr *x = (const void *)a->addr6[j];

			if (IN6_IS_ADDR_UNSPECIFIED(x) || IN6_IS_ADDR_MULTICAST(x) ||
			    IN6_IS_ADDR_LOOPBACK(x) || IN6_IS_ADDR_V4MAPPED(x))
				abort();
			for (k = 0; k < c->n_listen; k++)
				for (l = 0; l < c->listen[k].n_addr6; l++)
					if ((k != i || l != j) &&
					    memcmp(c->listen[k].addr6[l], x, 16) == 0)
						abort();
		}
	}
	/* the XDP program compares a request with at most STRATA_MAX_ADDRS of each */
	if (n4 > STRATA_MAX_ADDRS || n6 > STRATA_MAX_ADDRS)
		abort();
	cfg_service(c, &svc);
	if (svc.n_addr4 != n4 || svc.n_addr6 != n6)
		abort();
}

/* Access list rules: one per prefix, network part only (docs/config.md allow, deny). */
static void
check_acl(const struct cfg *c, unsigned int lines)
{
	unsigned int i, j, bits, k;

	if (c->n_acl > CFG_ACL_MAX)
		abort();
	for (i = 0; i < c->n_acl; i++) {
		const struct cfg_acl *a = &c->acl[i];

		if (a->family != AF_INET && a->family != AF_INET6)
			abort();
		bits = a->family == AF_INET ? 32 : 128;
		if (a->prefixlen > bits || a->line < 1 || a->line > lines ||
		    (a->action != STRATA_ACL_ALLOW && a->action != STRATA_ACL_DENY &&
		     a->action != STRATA_ACL_DENY_KOD))
			abort();
		for (k = a->prefixlen; k < bits; k++)
			if (a->addr[k / 8] & (0x80 >> (k % 8)))
				abort();
		for (j = 0; j < i; j++)
			if (c->acl[j].family == a->family && c->acl[j].prefixlen == a->prefixlen &&
			    memcmp(c->acl[j].addr, a->addr, bits / 8) == 0)
				abort();
	}
	if (c->has_allow) {
		for (i = 0; i < c->n_acl && c->acl[i].action != STRATA_ACL_ALLOW; i++)
			;
		if (i == c->n_acl)
			abort();
	}
}

/* ratelimit, register and user lines */
static void
check_public(const struct cfg *c, unsigned int lines)
{
	const struct cfg_ratelimit *r = &c->ratelimit;
	unsigned int i;

	if (r->on && (r->interval < CFG_RL_INTERVAL_MIN || r->interval > CFG_RL_INTERVAL_MAX ||
		      r->burst < 1 || r->burst > CFG_RL_BURST_MAX || r->leak < 1 ||
		      r->leak > CFG_RL_LEAK_MAX))
		abort();
	if (c->n_register > CFG_MAX_REGISTER)
		abort();
	for (i = 0; i < c->n_register; i++) {
		const struct cfg_register *g = &c->reg[i];

		if (g->pool[0] == '\0' || !terminated(g->pool, sizeof(g->pool)) ||
		    g->registrar[0] == '\0' || !terminated(g->registrar, sizeof(g->registrar)) ||
		    g->port < 1 || g->port > 65535 || g->keyfile[0] != '/' ||
		    !terminated(g->keyfile, sizeof(g->keyfile)) || g->line < 1 || g->line > lines)
			abort();
	}
	/* docs/config.md user: 1 to 32 characters, not starting with '-' */
	if (c->user[0] == '\0' || c->user[0] == '-' || !terminated(c->user, sizeof(c->user)))
		abort();
}

/*
 * The limiter settings the fast paths get from an accepted file: the XDP
 * program ticks every 2^20 ns, strata-dpdk every 0.5 to 1 ms (a power of two
 * of TSC cycles). policy.h compares how far an entry runs ahead with the
 * window as signed 32-bit ticks, so the window must stay below 2^31.
 */
static void
check_policy(const struct cfg *c)
{
	static const double tick_s[] = {1048576e-9, 0.5e-3, 1e-3};
	struct strata_policy_conf pc;
	unsigned int i;

	for (i = 0; i < sizeof(tick_s) / sizeof(tick_s[0]); i++) {
		cfg_policy(c, tick_s[i], 42, &pc);
		if (pc.acl_on != (c->n_acl > 0) || pc.rl_on != (c->ratelimit.on != 0))
			abort();
		if (!pc.rl_on)
			continue;
		if (pc.interval < 1 || pc.window > INT32_MAX ||
		    pc.window / pc.interval != c->ratelimit.burst || pc.window % pc.interval != 0 ||
		    pc.leak != c->ratelimit.leak)
			abort();
	}
}

/* What docs/config.md promises of a file that was accepted. */
static void
check_cfg(const struct cfg *c, unsigned int lines)
{
	unsigned int i;
	size_t n;

	if (c->n_listen < 1 || c->n_listen > CFG_MAX_LISTEN)
		abort();
	for (i = 0; i < c->n_listen; i++) {
		const struct cfg_listen *l = &c->listen[i];

		if (l->n_addr4 + l->n_addr6 < 1 || l->line < 1 || l->line > lines)
			abort();
		/* a name, terminated inside its array */
		n = l->dpdk ? strnlen(l->port, CFG_PORT_MAX) : strnlen(l->ifname, CFG_IFNAMSIZ);
		if (n == 0 || n == (l->dpdk ? CFG_PORT_MAX : CFG_IFNAMSIZ))
			abort();
	}
	check_addrs(c);
	if (c->xdpmode != CFG_XDP_NATIVE && c->xdpmode != CFG_XDP_GENERIC)
		abort();
	if (!c->refclock_system && c->local_stratum == 0 && c->n_sources == 0)
		abort();
	if (c->local_stratum < 0 || c->local_stratum > 15)
		abort();
	if (c->control[0] != '/' || !terminated(c->control, CFG_PATH_MAX))
		abort();
	if (c->has_metrics) {
		const struct sockaddr_in *sin = (const void *)&c->metrics;

		if (!((sin->sin_family == AF_INET &&
		       c->metrics_len == sizeof(struct sockaddr_in)) ||
		      (sin->sin_family == AF_INET6 &&
		       c->metrics_len == sizeof(struct sockaddr_in6))) ||
		    sin->sin_port == 0)
			abort();
	}
	if (c->n_sources > CFG_MAX_SOURCES)
		abort();
	for (i = 0; i < c->n_sources; i++) {
		const struct cfg_source *s = &c->sources[i];

		if (s->host[0] == '\0' || !terminated(s->host, sizeof(s->host)) || s->line < 1 ||
		    s->line > lines)
			abort();
		if (s->minpoll < CFG_POLL_MIN || s->maxpoll > CFG_POLL_MAX ||
		    s->minpoll > s->maxpoll)
			abort();
		switch (s->kind) {
		case CFG_SRC_SERVER:
			break;
		case CFG_SRC_POOL:
			if (s->maxsources < CFG_POOL_MIN || s->maxsources > CFG_POOL_MAX)
				abort();
			break;
		case CFG_SRC_PHC:
			if (s->poll < CFG_POLL_MIN || s->poll > CFG_POLL_MAX ||
			    !(fabs(s->offset) < 1e6))
				abort();
			break;
		default:
			abort();
		}
	}
	if (c->minsources < 1 || c->minsources > CFG_MAX_SOURCES)
		abort();
	if (c->holdover < 1 || c->holdover > 7 * 86400)
		abort();
	check_acl(c, lines);
	check_public(c, lines);
	check_policy(c);
	if (!terminated(c->driftfile, CFG_FILE_MAX) || !terminated(c->leapfile, CFG_FILE_MAX) ||
	    (c->driftfile[0] != '\0' && c->driftfile[0] != '/') ||
	    (c->leapfile[0] != '\0' && c->leapfile[0] != '/'))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cfg c1, c2;
	unsigned int lines = count_lines(data, size);
	char err1[ERRLEN], *err2;
	size_t errlen2;
	int ret1, ret2;

	ret1 = parse(data, size, &c1, err1, sizeof(err1));
	if (ret1 != 0)
		check_message(err1, lines);
	else if (!terminated(err1, sizeof(err1)))
		abort();
	else
		check_cfg(&c1, lines);

	/* 1 to 24 octets, on the heap so that ASan sees a write past its end */
	errlen2 = 1 + (size * 7 + (size ? data[0] : 0)) % 24;
	err2 = malloc(errlen2);
	if (err2 == NULL)
		abort();
	ret2 = parse(data, size, &c2, err2, errlen2);
	if (ret2 != ret1 || memcmp(&c1, &c2, sizeof(c1)) != 0)
		abort();
	/* snprintf() truncation: the start of the same message, terminated */
	if (ret2 != 0 && (!terminated(err2, errlen2) || strncmp(err1, err2, errlen2 - 1) != 0))
		abort();
	free(err2);
	return 0;
}
