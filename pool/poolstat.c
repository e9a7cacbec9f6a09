/* SPDX-License-Identifier: BSD-3-Clause */
#include "poolstat.h"

#include <arpa/inet.h>
#include <stdio.h>

#include <strata/ntp.h>

#include "outbuf.h"

#ifndef STRATA_VERSION
#define STRATA_VERSION "unknown"
#endif

static const char *const outcome_names[POOL_N_OUTCOMES] = {
	[POOL_GOOD] = "good",	  [POOL_NOREPLY] = "no_reply", [POOL_KOD] = "kod",
	[POOL_UNSYNC] = "unsync", [POOL_OFFSET] = "offset",    [POOL_NTS] = "nts",
};

static const char *const reg_names[POOL_REG_N] = {
	[POOL_REG_REGISTER] = "register",
	[POOL_REG_DEREGISTER] = "deregister",
	[POOL_REG_BADMAC] = "bad_mac",
	[POOL_REG_MALFORMED] = "malformed",
	[POOL_REG_UNKNOWN_POOL] = "unknown_pool",
	[POOL_REG_STALE] = "stale",
	[POOL_REG_REPLAY] = "replay",
	[POOL_REG_FULL] = "full",
};

static const char *const rcode_names[17] = {
	"NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED",
	"YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE", "RCODE11",
	"RCODE12",  "RCODE13", "RCODE14",  "RCODE15",  "BADVERS",
};

static const char *
addr_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const void *a = ss->ss_family == AF_INET
				? (const void *)&((const struct sockaddr_in *)ss)->sin_addr
				: (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;

	return inet_ntop(ss->ss_family, a, buf, (socklen_t)len);
}

int
poolstat_status(const struct pooldb *db, uint64_t now_ns, char *buf, size_t len)
{
	struct out o = {.buf = buf, .len = len};
	unsigned int i, j, k;
	char a[INET6_ADDRSTRLEN];

	for (i = 0; i < db->n_pool; i++) {
		const struct pool *p = &db->pool[i];

		out_put(&o, "pool %s: %u members, answers %u, ttl %u s\n", p->cfg.name, p->n_member,
			p->cfg.answers, p->cfg.ttl);
		out_put(&o, "  %-39s %-8s %-8s %6s %10s %10s %-8s %s\n", "address", "member",
			"state", "score", "offset_ms", "delay_ms", "last", "expires_s");
		for (j = 0; j < p->n_member; j++) {
			const struct pool_member *m = p->member[j];
			char kind[16], exp[24] = "-";

			if (m->dynamic) {
				snprintf(kind, sizeof(kind), "reg");
				snprintf(exp, sizeof(exp), "%llu",
					 (unsigned long long)(m->expires_ns > now_ns
								      ? (m->expires_ns - now_ns) /
										NSEC_PER_SEC
								      : 0));
			} else {
				snprintf(kind, sizeof(kind), "line%u", m->line);
			}
			for (k = 0; k < m->n_addr; k++) {
				const struct pool_addr *ad = &m->addr[k];

				out_put(&o, "  %-39s %-8s %-8s %6.1f %10.3f %10.3f %-8s %s\n",
					addr_str(&ad->sa, a, sizeof(a)), kind,
					ad->served ? "served" : "out", ad->score, ad->offset * 1e3,
					ad->delay * 1e3,
					ad->has_last ? outcome_names[ad->last] : "-", exp);
			}
		}
	}
	return o.full ? -1 : (int)o.pos;
}

static void
family(struct out *o, const char *name, const char *type, const char *help)
{
	out_put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One sample per member address, labelled pool and address. */
static void
per_addr(struct out *o, const struct pooldb *db, const char *name, int what)
{
	unsigned int i, j, k, x;
	char a[INET6_ADDRSTRLEN];

	for (i = 0; i < db->n_pool; i++)
		for (j = 0; j < db->pool[i].n_member; j++)
			for (k = 0; k < db->pool[i].member[j]->n_addr; k++) {
				const struct pool_addr *ad = &db->pool[i].member[j]->addr[k];
				const char *lab = addr_str(&ad->sa, a, sizeof(a));

				if (what == 0)
					out_put(o, "%s{pool=\"%s\",address=\"%s\"} %.3f\n", name,
						db->pool[i].cfg.name, lab, ad->score);
				else if (what == 1)
					out_put(o, "%s{pool=\"%s\",address=\"%s\"} %d\n", name,
						db->pool[i].cfg.name, lab, ad->served);
				else if (what == 2)
					out_put(o, "%s{pool=\"%s\",address=\"%s\"} %.9f\n", name,
						db->pool[i].cfg.name, lab, ad->offset);
				else
					for (x = 0; x < POOL_N_OUTCOMES; x++)
						out_put(o,
							"%s{pool=\"%s\",address=\"%s\",outcome=\"%"
							"s\"} "
							"%llu\n",
							name, db->pool[i].cfg.name, lab,
							outcome_names[x],
							(unsigned long long)ad->probes[x]);
			}
}

int
poolstat_metrics(const struct pooldb *db, char *buf, size_t len)
{
	struct out o = {.buf = buf, .len = len};
	const struct sockaddr_storage *a[POOL_MAX_MEMBERS * POOLREG_MAX_ADDRS];
	unsigned int i;

	family(&o, "strata_build_info", "gauge",
	       "Always 1: the program and version serving these metrics.");
	out_put(&o, "strata_build_info{program=\"strata-pool\",version=\"%s\"} 1\n",
		STRATA_VERSION);
	family(&o, "strata_pool_score", "gauge", "Monitor score of a member address, -100 to 20.");
	per_addr(&o, db, "strata_pool_score", 0);
	family(&o, "strata_pool_served", "gauge", "1 if the address is in the pool's answers.");
	per_addr(&o, db, "strata_pool_served", 1);
	family(&o, "strata_pool_offset_seconds", "gauge",
	       "Offset of the address's last reply against the registrar's clock.");
	per_addr(&o, db, "strata_pool_offset_seconds", 2);
	family(&o, "strata_pool_probes_total", "counter", "Probes of a member address by outcome.");
	per_addr(&o, db, "strata_pool_probes_total", 3);
	family(&o, "strata_pool_served_addresses", "gauge", "Served addresses of a pool.");
	for (i = 0; i < db->n_pool; i++)
		out_put(&o, "strata_pool_served_addresses{pool=\"%s\"} %u\n", db->pool[i].cfg.name,
			pooldb_served(&db->pool[i], AF_INET, a, sizeof(a) / sizeof(a[0])) +
				pooldb_served(&db->pool[i], AF_INET6, a, sizeof(a) / sizeof(a[0])));
	family(&o, "strata_pool_registrations_total", "counter",
	       "Registration messages by result: accepted (register, deregister) or refused.");
	for (i = 0; i < POOL_REG_N; i++)
		out_put(&o, "strata_pool_registrations_total{result=\"%s\"} %llu\n", reg_names[i],
			(unsigned long long)db->reg[i]);
	family(&o, "strata_pool_dns_responses_total", "counter", "DNS responses by rcode.");
	for (i = 0; i < 17; i++)
		if (i <= 5 || i == 16 || db->dns_rcode[i] != 0)
			out_put(&o, "strata_pool_dns_responses_total{rcode=\"%s\"} %llu\n",
				rcode_names[i], (unsigned long long)db->dns_rcode[i]);
	family(&o, "strata_pool_dns_dropped_total", "counter",
	       "DNS datagrams not answered: responses and runts.");
	out_put(&o, "strata_pool_dns_dropped_total %llu\n", (unsigned long long)db->dns_dropped);
	family(&o, "strata_pool_updates_total", "counter",
	       "RFC 2136 updates: sent, acknowledged (ok) and failed.");
	out_put(&o, "strata_pool_updates_total{result=\"sent\"} %llu\n",
		(unsigned long long)db->updates_sent);
	out_put(&o, "strata_pool_updates_total{result=\"ok\"} %llu\n",
		(unsigned long long)db->updates_ok);
	out_put(&o, "strata_pool_updates_total{result=\"failed\"} %llu\n",
		(unsigned long long)db->updates_failed);
	family(&o, "strata_pool_zone_serial", "gauge", "SOA serial of the pool zone.");
	out_put(&o, "strata_pool_zone_serial %u\n", db->serial);
	return o.full ? -1 : (int)o.pos;
}
