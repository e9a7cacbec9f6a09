/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * strata-pool's configuration language (docs/pool.conf.md): its directives, one
 * parse function each, and the checks on the whole file. Lines, words and
 * the lookup in the table are confparse.c's, as for stratad's config.c.
 */
#include "poolconf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "confparse.h"

#define ZONE_HINT "zone pool.example.net"
#define POOL_HINT "pool ntp.pool.example.net [answers N] [ttl SECONDS] [nts]"
#define NTSCA_HINT "ntstrustedcerts /etc/strata/ca.pem"
#define MEMBER_HINT "member ntp.pool.example.net 192.0.2.10 [2001:db8::10 ...]"
#define REG_HINT "registration 192.0.2.1:4460 key /etc/strata/pool.key"
#define DNS_HINT "listen dns 192.0.2.1:53 or listen dns [2001:db8::1]:53"
#define PROBE_HINT "probe interval SECONDS"
#define METRICS_HINT "metrics 127.0.0.1:11124 or metrics [::1]:11124"
#define UPDATE_HINT                                                                                \
	"update 192.0.2.53:53 zone pool.example.net tsig strata-pool hmac-sha256 "                 \
	"/etc/strata/tsig.key"

void
pcfg_name_norm(char *s)
{
	size_t n = strlen(s);

	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
	if (n > 1 && s[-1] == '.')
		s[-1] = '\0';
}

int
pcfg_in_zone(const char *name, const char *zone)
{
	size_t n = strlen(name), z = strlen(zone);

	return n == z ? strcmp(name, zone) == 0
		      : n > z && name[n - z - 1] == '.' && strcmp(name + n - z, zone) == 0;
}

/* RFC 1035 section 2.3.1 (with '_'), normalized into @dst */
static int
parse_name(struct conf_parser *p, const char *what, const char *s, char *dst, const char *hint)
{
	size_t i, len = strlen(s), label = 0;

	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0 || len > POOLREG_NAME_MAX)
		return conf_fail(p, "%s '%s' is not a DNS name of 1 to %d characters (hint: %s)",
				 what, s, POOLREG_NAME_MAX, hint);
	for (i = 0; i < len; i++) {
		if (s[i] == '.' && label == 0)
			return conf_fail(p, "%s '%s' has an empty label (hint: %s)", what, s, hint);
		if (s[i] == '.') {
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return conf_fail(
				p,
				"%s '%s' has the character '%c' (hint: letters, digits, '-' "
				"and '.' only; %s)",
				what, s, s[i], hint);
		if (++label > 63)
			return conf_fail(p,
					 "%s '%s' has a label longer than 63 characters (RFC 1035 "
					 "section 2.3.4) (hint: %s)",
					 what, s, hint);
	}
	memcpy(dst, s, len);
	dst[len] = '\0';
	pcfg_name_norm(dst);
	return 0;
}

static int
parse_zone(struct conf_parser *p, char **argv, int argc)
{
	struct pcfg *c = p->c;

	(void)argc;
	return parse_name(p, "zone", argv[0], c->zone, ZONE_HINT);
}

static int
find_pool(const struct pcfg *c, const char *name)
{
	unsigned int i;

	for (i = 0; i < c->n_pool; i++)
		if (strcmp(c->pool[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int
parse_pool(struct conf_parser *p, char **argv, int argc)
{
	struct pcfg *c = p->c;
	struct pcfg_pool *pl = &c->pool[c->n_pool];
	unsigned long v;
	int k, i;

	if (c->zone[0] == '\0')
		return conf_fail(p, "pool before the zone line (hint: put '" ZONE_HINT "' first)");
	if (c->n_pool == PCFG_MAX_POOLS)
		return conf_fail(p, "more than %d pools (hint: remove one)", PCFG_MAX_POOLS);
	if (parse_name(p, "pool name", argv[0], pl->name, POOL_HINT) < 0)
		return -1;
	if (!pcfg_in_zone(pl->name, c->zone))
		return conf_fail(p, "pool '%s' is outside zone '%s' (hint: name it %s.%s)",
				 pl->name, c->zone, pl->name, c->zone);
	i = find_pool(c, pl->name);
	if (i >= 0)
		return conf_fail(p, "pool '%s' is already defined on line %u (hint: keep one)",
				 pl->name, c->pool[i].line);
	pl->answers = PCFG_ANSWERS_DEFAULT;
	pl->ttl = PCFG_TTL_DEFAULT;
	pl->line = p->line;
	for (k = 1; k < argc; k += 2) {
		int ans = strcmp(argv[k], "answers") == 0;

		/* RFC 8915: members are probed with NTS-KE and authenticated NTP */
		if (strcmp(argv[k], "nts") == 0) {
			if (pl->nts)
				return conf_fail(p, "'nts' given twice (hint: %s)", POOL_HINT);
			pl->nts = 1;
			k--;
			continue;
		}
		if (!ans && strcmp(argv[k], "ttl") != 0)
			return conf_fail(p, "unknown pool option '%s' (hint: %s)", argv[k],
					 POOL_HINT);
		if (k + 1 == argc)
			return conf_fail(p, "missing number after '%s' (hint: %s)", argv[k],
					 POOL_HINT);
		if (ans && conf_num(argv[k + 1], 1, PCFG_ANSWERS_MAX, &v) < 0)
			return conf_fail(p, "answers '%s' is not a number from 1 to %d (hint: %s)",
					 argv[k + 1], PCFG_ANSWERS_MAX, POOL_HINT);
		/* RFC 2181 section 8: at most 2^31 - 1; a pool wants seconds to minutes */
		if (!ans && conf_num(argv[k + 1], 0, PCFG_TTL_MAX, &v) < 0)
			return conf_fail(
				p, "ttl '%s' is not a number of seconds from 0 to %d (hint: %s)",
				argv[k + 1], PCFG_TTL_MAX, POOL_HINT);
		*(ans ? &pl->answers : &pl->ttl) = (unsigned int)v;
	}
	c->n_pool++;
	return 0;
}

/* A service address: something a client can send a unicast request to. */
static int
unicast(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		uint32_t h = ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr);

		return h != INADDR_ANY && h != INADDR_BROADCAST && !IN_MULTICAST(h);
	}
	const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;

	return !IN6_IS_ADDR_UNSPECIFIED(a) && !IN6_IS_ADDR_MULTICAST(a) && !IN6_IS_ADDR_V4MAPPED(a);
}

static int
parse_member(struct conf_parser *p, char **argv, int argc)
{
	struct pcfg *c = p->c;
	struct pcfg_member *m = &c->member[c->n_member];
	char name[POOLREG_NAME_MAX + 1];
	unsigned int i, j;
	int k, pool;

	if (parse_name(p, "pool name", argv[0], name, MEMBER_HINT) < 0)
		return -1;
	pool = find_pool(c, name);
	if (pool < 0)
		return conf_fail(p, "no pool '%s' above this line (hint: add 'pool %s' before it)",
				 name, name);
	if (c->n_member == PCFG_MAX_STATIC)
		return conf_fail(p,
				 "more than %d member lines (hint: let members register instead)",
				 PCFG_MAX_STATIC);
	if (argc - 1 > POOLREG_MAX_ADDRS)
		return conf_fail(p, "more than %d addresses for one member (hint: remove some)",
				 POOLREG_MAX_ADDRS);
	for (i = 0, j = 0; i < c->n_member; i++)
		j += c->member[i].pool == (unsigned int)pool;
	if (j == PCFG_MAX_MEMBERS)
		return conf_fail(p,
				 "more than %d members in pool '%s' (hint: split it into several "
				 "pools)",
				 PCFG_MAX_MEMBERS, name);
	memset(m, 0, sizeof(*m));
	m->pool = (unsigned int)pool;
	m->line = p->line;
	for (k = 1; k < argc; k++) {
		struct sockaddr_storage *ss = &m->addr[m->n_addr];
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, argv[k], &sin->sin_addr) == 1) {
			sin->sin_family = AF_INET;
			sin->sin_port = htons(123);
		} else if (inet_pton(AF_INET6, argv[k], &sin6->sin6_addr) == 1) {
			sin6->sin6_family = AF_INET6;
			sin6->sin6_port = htons(123);
		} else {
			return conf_fail(p,
					 "'%s' is not an IPv4 or IPv6 address (hint: %s; no host "
					 "names or ports: members answer on port 123)",
					 argv[k], MEMBER_HINT);
		}
		if (!unicast(ss))
			return conf_fail(p,
					 "'%s' is not a unicast address (hint: the address clients "
					 "send requests to)",
					 argv[k]);
		/* the same address twice in one pool would be probed and answered twice */
		for (i = 0; i <= c->n_member; i++) {
			const struct pcfg_member *o = &c->member[i];

			for (j = 0; o->pool == m->pool && j < (o == m ? m->n_addr : o->n_addr); j++)
				if (memcmp(&o->addr[j], ss, sizeof(*ss)) == 0)
					return conf_fail(p,
							 "address '%s' is already a member of pool "
							 "'%s' (line %u) (hint: list it once)",
							 argv[k], name, o->line);
		}
		m->n_addr++;
	}
	c->n_member++;
	return 0;
}

static int
parse_path(struct conf_parser *p, const char *what, const char *s, char *dst, size_t size,
	   const char *hint)
{
	if (s[0] != '/' || strlen(s) >= size)
		return conf_fail(
			p, "%s '%s' is not an absolute path of at most %zu characters (hint: %s)",
			what, s, size - 1, hint);
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

static int
parse_registration(struct conf_parser *p, char **argv, int argc)
{
	struct pcfg *c = p->c;

	(void)argc;
	if (conf_sockaddr(p, argv[0], &c->registration.sa, &c->registration.len, REG_HINT) < 0)
		return -1;
	if (strcmp(argv[1], "key") != 0)
		return conf_fail(p, "expected 'key', got '%s' (hint: %s)", argv[1], REG_HINT);
	if (parse_path(p, "key file", argv[2], c->reg_key, sizeof(c->reg_key), REG_HINT) < 0)
		return -1;
	c->has_registration = 1;
	return 0;
}

static int
parse_listen_dns(struct conf_parser *p, char **argv, int argc)
{
	struct pcfg *c = p->c;

	(void)argc;
	if (c->n_dns == PCFG_MAX_DNS)
		return conf_fail(p, "more than %d listen dns lines (hint: remove one)",
				 PCFG_MAX_DNS);
	if (conf_sockaddr(p, argv[0], &c->dns[c->n_dns].sa, &c->dns[c->n_dns].len, DNS_HINT) < 0)
		return -1;
	c->n_dns++;
	return 0;
}

static int
parse_probe(struct conf_parser *p, char **argv, int argc)
{
	struct pcfg *c = p->c;
	unsigned long v;

	(void)argc;
	if (conf_num(argv[0], 1, PCFG_INTERVAL_MAX, &v) < 0)
		return conf_fail(
			p,
			"probe interval '%s' is not a number of seconds from 1 to %d (hint: "
			"probe interval 16)",
			argv[0], PCFG_INTERVAL_MAX);
	c->interval = (unsigned int)v;
	return 0;
}

static int
parse_ntstrustedcerts(struct conf_parser *p, char **argv, int argc)
{
	struct pcfg *c = p->c;

	(void)argc;
	return parse_path(p, "ntstrustedcerts file", argv[0], c->nts_ca, sizeof(c->nts_ca),
			  NTSCA_HINT);
}

static int
parse_metrics(struct conf_parser *p, char **argv, int argc)
{
	struct pcfg *c = p->c;

	(void)argc;
	c->has_metrics = 1;
	return conf_sockaddr(p, argv[0], &c->metrics.sa, &c->metrics.len, METRICS_HINT);
}

static int
parse_control(struct conf_parser *p, char **argv, int argc)
{
	struct pcfg *c = p->c;

	(void)argc;
	return parse_path(p, "control path", argv[0], c->control, sizeof(c->control),
			  "control " PCFG_DEFAULT_CONTROL);
}

static int
parse_user(struct conf_parser *p, char **argv, int argc)
{
	struct pcfg *c = p->c;

	(void)argc;
	return conf_user(p, argv[0], c->user, sizeof(c->user), PCFG_DEFAULT_USER);
}

static int
parse_controlgroup(struct conf_parser *p, char **argv, int argc)
{
	struct pcfg *c = p->c;

	(void)argc;
	return conf_group(p, argv[0], c->controlgroup, sizeof(c->controlgroup),
			  PCFG_DEFAULT_CONTROLGROUP);
}

/* ldns's names of the TSIG algorithms (RFC 8945 section 6) */
static const char *const tsig_algs[] = {"hmac-sha256", "hmac-sha384", "hmac-sha512"};

static int
parse_update(struct conf_parser *p, char **argv, int argc)
{
	struct pcfg *c = p->c;
	unsigned int i;

	(void)argc;
	if (conf_sockaddr(p, argv[0], &c->update.sa, &c->update.len, UPDATE_HINT) < 0)
		return -1;
	if (strcmp(argv[1], "zone") != 0 || strcmp(argv[3], "tsig") != 0)
		return conf_fail(p,
				 "expected 'zone NAME tsig KEYNAME ALGORITHM KEYFILE' after the "
				 "server (hint: %s)",
				 UPDATE_HINT);
	if (parse_name(p, "update zone", argv[2], c->update_zone, UPDATE_HINT) < 0 ||
	    parse_name(p, "TSIG key name", argv[4], c->tsig_name, UPDATE_HINT) < 0)
		return -1;
	for (i = 0; i < sizeof(tsig_algs) / sizeof(tsig_algs[0]); i++)
		if (strcmp(argv[5], tsig_algs[i]) == 0)
			break;
	if (i == sizeof(tsig_algs) / sizeof(tsig_algs[0]))
		return conf_fail(
			p,
			"TSIG algorithm '%s' is not hmac-sha256, hmac-sha384 or hmac-sha512 "
			"(hint: hmac-sha256, RFC 8945 section 6)",
			argv[5]);
	snprintf(c->tsig_alg, sizeof(c->tsig_alg), "%s", argv[5]);
	if (parse_path(p, "TSIG key file", argv[6], c->tsig_key, sizeof(c->tsig_key), UPDATE_HINT) <
	    0)
		return -1;
	c->has_update = 1;
	return 0;
}

static const struct conf_directive directives[] = {
	{"zone", NULL, 1, 1, 1, parse_zone, ZONE_HINT},
	{"pool", NULL, 1, 6, 0, parse_pool, POOL_HINT},
	{"member", NULL, 2, -1, 0, parse_member, MEMBER_HINT},
	{"registration", NULL, 3, 3, 1, parse_registration, REG_HINT},
	{"listen", "dns", 1, 1, 0, parse_listen_dns, DNS_HINT},
	{"probe", "interval", 1, 1, 1, parse_probe, PROBE_HINT},
	{"metrics", NULL, 1, 1, 1, parse_metrics, METRICS_HINT},
	{"ntstrustedcerts", NULL, 1, 1, 1, parse_ntstrustedcerts, NTSCA_HINT},
	{"control", NULL, 1, 1, 1, parse_control, "control " PCFG_DEFAULT_CONTROL},
	{"user", NULL, 1, 1, 1, parse_user, "user " PCFG_DEFAULT_USER},
	{"controlgroup", NULL, 1, 1, 1, parse_controlgroup,
	 "controlgroup " PCFG_DEFAULT_CONTROLGROUP},
	{"update", NULL, 7, 7, 1, parse_update, UPDATE_HINT},
};

#define N_DIRECTIVES (sizeof(directives) / sizeof(directives[0]))

int
pcfg_parse(const char *name, FILE *f, struct pcfg *c, char *err, size_t errlen)
{
	struct conf_parser p = {.name = name,
				.c = c,
				.err = err,
				.errlen = errlen,
				.table = directives,
				.n_table = N_DIRECTIVES};
	unsigned int i;

	memset(c, 0, sizeof(*c));
	c->interval = PCFG_INTERVAL_DEFAULT;
	memcpy(c->control, PCFG_DEFAULT_CONTROL, sizeof(PCFG_DEFAULT_CONTROL));
	memcpy(c->user, PCFG_DEFAULT_USER, sizeof(PCFG_DEFAULT_USER));
	memcpy(c->controlgroup, PCFG_DEFAULT_CONTROLGROUP, sizeof(PCFG_DEFAULT_CONTROLGROUP));
	if (conf_parse_file(&p, f) < 0)
		return -1;
	if (c->zone[0] == '\0')
		return conf_fail(&p, "no 'zone' line (hint: add '" ZONE_HINT "')");
	if (c->n_pool == 0)
		return conf_fail(&p,
				 "no 'pool' line: nothing to serve (hint: add '" POOL_HINT "')");
	if (c->n_dns == 0 && !c->has_update)
		return conf_fail(&p,
				 "neither 'listen dns' nor 'update': the pools would be published "
				 "nowhere (hint: add '" DNS_HINT "')");
	if (c->n_member == 0 && !c->has_registration)
		return conf_fail(
			&p, "no 'member' and no 'registration' line: the pools stay empty (hint: "
			    "add '" MEMBER_HINT "' or '" REG_HINT "')");
	for (i = 0; c->nts_ca[0] != '\0' && i < c->n_pool && !c->pool[i].nts; i++)
		;
	if (c->nts_ca[0] != '\0' && i == c->n_pool)
		return conf_fail(&p,
				 "ntstrustedcerts but no pool with 'nts': the file would be unused "
				 "(hint: %s)",
				 POOL_HINT);
	for (i = 0; c->has_update && i < c->n_pool; i++)
		if (!pcfg_in_zone(c->pool[i].name, c->update_zone)) {
			p.line = p.seen[N_DIRECTIVES - 1]; /* the update line, last in the table */
			return conf_fail(
				&p,
				"pool '%s' (line %u) is outside update zone '%s' (hint: the "
				"zone the primary serves, e.g. update ... zone %s ...)",
				c->pool[i].name, c->pool[i].line, c->update_zone, c->zone);
		}
	return 0;
}

int
pcfg_load(const char *path, struct pcfg *c, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	int ret;

	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	ret = pcfg_parse(path, f, c, err, errlen);
	fclose(f);
	return ret;
}
