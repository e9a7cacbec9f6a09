/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stratad's configuration language (docs/config.md): its directives, one
 * parse function each, and the checks on the whole file. Lines, words and
 * the lookup in the table are confparse.c's.
 */
#include "config.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "confparse.h"
#include "poolreg.h"

#define LISTEN_HINT "listen xdp IFACE address ADDR [address ADDR ...]"
#define LISTEN_DPDK_HINT "listen dpdk 0000:01:00.0 address ADDR [address ADDR ...]"
#define METRICS_HINT "metrics 127.0.0.1:11123 or metrics [::1]:11123"

/* Addresses that are never the destination of a client's unicast request. */
enum addr_kind {
	ADDR_UNICAST,
	ADDR_UNSPEC,
	ADDR_BROADCAST,
	ADDR_MULTICAST,
	ADDR_LOOPBACK,
	ADDR_MAPPED
};

static const struct {
	const char *what;
	const char *hint;
} addr_kinds[] = {
	[ADDR_UNSPEC] = {"the unspecified address",
			 "there is no wildcard: list each address the interface answers on"},
	[ADDR_BROADCAST] = {"the broadcast address", "use a unicast address of the interface"},
	[ADDR_MULTICAST] = {"a multicast address", "use a unicast address of the interface"},
	[ADDR_LOOPBACK] = {"a loopback address",
			   "XDP sees packets from the wire only: use the interface's own address"},
	[ADDR_MAPPED] = {"an IPv4-mapped IPv6 address", "write the IPv4 address itself"},
};

/* @a is in wire order */
static enum addr_kind
addr_kind(int af, const unsigned char *a)
{
	const struct in6_addr *a6 = (const void *)a;
	uint32_t h;

	if (af == AF_INET6) {
		if (IN6_IS_ADDR_UNSPECIFIED(a6))
			return ADDR_UNSPEC;
		if (IN6_IS_ADDR_MULTICAST(a6))
			return ADDR_MULTICAST;
		if (IN6_IS_ADDR_LOOPBACK(a6))
			return ADDR_LOOPBACK;
		return IN6_IS_ADDR_V4MAPPED(a6) ? ADDR_MAPPED : ADDR_UNICAST;
	}
	memcpy(&h, a, sizeof(h));
	h = ntohl(h);
	if (h == INADDR_ANY)
		return ADDR_UNSPEC;
	if (h == INADDR_BROADCAST)
		return ADDR_BROADCAST;
	if (IN_MULTICAST(h))
		return ADDR_MULTICAST;
	return h >> IN_CLASSA_NSHIFT == IN_LOOPBACKNET ? ADDR_LOOPBACK : ADDR_UNICAST;
}

/* The line of the listen entry (the one being built included) holding @a, or 0. */
static unsigned int
addr_line(const struct cfg *c, int af, const unsigned char *a)
{
	unsigned int i, j;

	for (i = 0; i <= c->n_listen; i++) {
		const struct cfg_listen *l = &c->listen[i];

		for (j = 0; af == AF_INET && j < l->n_addr4; j++)
			if (memcmp(&l->addr4[j], a, 4) == 0)
				return l->line;
		for (j = 0; af == AF_INET6 && j < l->n_addr6; j++)
			if (memcmp(l->addr6[j], a, 16) == 0)
				return l->line;
	}
	return 0;
}

/* Linux's dev_valid_name(): the kernel refuses anything else as an interface name. */
static int
valid_ifname(const char *s)
{
	size_t len = strlen(s);

	return len > 0 && len < CFG_IFNAMSIZ && strcmp(s, ".") != 0 && strcmp(s, "..") != 0 &&
	       strpbrk(s, "/:") == NULL;
}

static int
add_addr(struct conf_parser *p, struct cfg_listen *l, const char *s)
{
	struct cfg *c = p->c;
	unsigned int i, n = 0, line;
	unsigned char a[16];
	enum addr_kind kind;
	int af = AF_INET;

	if (inet_pton(AF_INET, s, a) != 1) {
		af = AF_INET6;
		if (inet_pton(AF_INET6, s, a) != 1)
			return conf_fail(
				p,
				"'%s' is not an IPv4 or IPv6 address (hint: address 192.0.2.1 "
				"or address 2001:db8::1; no host names, prefixes or zones)",
				s);
	}
	kind = addr_kind(af, a);
	if (kind != ADDR_UNICAST)
		return conf_fail(p, "'%s' is %s, not a service address (hint: %s)", s,
				 addr_kinds[kind].what, addr_kinds[kind].hint);
	line = addr_line(c, af, a);
	if (line != 0)
		return conf_fail(p,
				 "address '%s' is already listed on line %u (hint: list it once)",
				 s, line);
	for (i = 0; i <= c->n_listen; i++)
		n += af == AF_INET ? c->listen[i].n_addr4 : c->listen[i].n_addr6;
	if (n == STRATA_MAX_ADDRS)
		return conf_fail(p,
				 "more than %d %s addresses in all listen lines together (hint: "
				 "the XDP program matches at most %d IPv4 and %d IPv6 addresses; "
				 "remove some)",
				 STRATA_MAX_ADDRS, af == AF_INET ? "IPv4" : "IPv6",
				 STRATA_MAX_ADDRS, STRATA_MAX_ADDRS);
	if (af == AF_INET)
		memcpy(&l->addr4[l->n_addr4++], a, 4);
	else
		memcpy(l->addr6[l->n_addr6++], a, 16);
	return 0;
}

static int parse_addresses(struct conf_parser *p, struct cfg_listen *l, char **argv, int argc,
			   const char *hint);

/* "listen dpdk PORT address ...": the port is EAL's business, checked only for shape */
static int
parse_listen_dpdk(struct conf_parser *p, char **argv, int argc)
{
	struct cfg *c = p->c;
	struct cfg_listen *l;
	size_t len = strlen(argv[0]);
	unsigned int i;

	if (len >= CFG_PORT_MAX || strpbrk(argv[0], "'\"\\") != NULL)
		return conf_fail(p, "'%s' is not a DPDK port (hint: " LISTEN_DPDK_HINT ")",
				 argv[0]);
	for (i = 0; i < c->n_listen; i++)
		if (c->listen[i].dpdk && strcmp(c->listen[i].port, argv[0]) == 0)
			return conf_fail(
				p,
				"port '%s' already has a listen line (line %u) (hint: put all "
				"its addresses on one line)",
				argv[0], c->listen[i].line);
	if (c->n_listen == CFG_MAX_LISTEN)
		return conf_fail(p, "more than %d listen lines (hint: remove one)", CFG_MAX_LISTEN);
	l = &c->listen[c->n_listen];
	memset(l, 0, sizeof(*l));
	l->dpdk = 1;
	memcpy(l->port, argv[0], len + 1);
	l->line = p->line;
	if (parse_addresses(p, l, argv, argc, LISTEN_DPDK_HINT) < 0)
		return -1;
	c->n_listen++;
	return 0;
}

static int
parse_listen(struct conf_parser *p, char **argv, int argc)
{
	struct cfg *c = p->c;
	struct cfg_listen *l;
	unsigned int i;

	if (!valid_ifname(argv[0]))
		return conf_fail(p,
				 "'%s' is not an interface name (hint: 1 to %d characters without "
				 "'/' or ':', as 'ip link' shows it: listen xdp eth0 address ...)",
				 argv[0], CFG_IFNAMSIZ - 1);
	for (i = 0; i < c->n_listen; i++)
		if (strcmp(c->listen[i].ifname, argv[0]) == 0)
			return conf_fail(
				p,
				"interface '%s' already has a listen line (line %u) (hint: "
				"put all its addresses on one line: listen xdp %s address A "
				"address B)",
				argv[0], c->listen[i].line, argv[0]);
	if (c->n_listen == CFG_MAX_LISTEN)
		return conf_fail(p,
				 "more than %d listen lines (hint: strata serves at most %d "
				 "interfaces; remove one)",
				 CFG_MAX_LISTEN, CFG_MAX_LISTEN);
	l = &c->listen[c->n_listen];
	memcpy(l->ifname, argv[0], strlen(argv[0]) + 1);
	l->line = p->line;
	if (parse_addresses(p, l, argv, argc, LISTEN_HINT) < 0)
		return -1;
	c->n_listen++;
	return 0;
}

/* "address ADDR" pairs after the interface or port */
static int
parse_addresses(struct conf_parser *p, struct cfg_listen *l, char **argv, int argc,
		const char *hint)
{
	int k;

	for (k = 1; k < argc; k += 2) {
		if (strcmp(argv[k], "address") != 0)
			return conf_fail(p, "expected 'address', got '%s' (hint: %s)", argv[k],
					 hint);
		if (k + 1 == argc)
			return conf_fail(p, "missing address after 'address' (hint: %s)", hint);
		if (add_addr(p, l, argv[k + 1]) < 0)
			return -1;
	}
	return 0;
}

static int
parse_xdpmode(struct conf_parser *p, char **argv, int argc)
{
	struct cfg *c = p->c;

	(void)argc;
	if (strcmp(argv[0], "native") == 0)
		c->xdpmode = CFG_XDP_NATIVE;
	else if (strcmp(argv[0], "generic") == 0)
		c->xdpmode = CFG_XDP_GENERIC;
	else
		return conf_fail(p, "unknown xdpmode '%s' (hint: xdpmode native|generic)", argv[0]);
	c->line.xdpmode = p->line;
	return 0;
}

static int
parse_refclock_system(struct conf_parser *p, char **argv, int argc)
{
	struct cfg *c = p->c;

	(void)argv;
	(void)argc;
	c->refclock_system = 1;
	return 0;
}

static int
parse_local_stratum(struct conf_parser *p, char **argv, int argc)
{
	struct cfg *c = p->c;
	unsigned long v;

	(void)argc;
	/* 16 means unsynchronized (RFC 5905 section 7.3), 0 is a kiss-o'-death */
	if (conf_num(argv[0], 1, 15, &v) < 0)
		return conf_fail(
			p, "stratum '%s' is not a number from 1 to 15 (hint: local stratum 10)",
			argv[0]);
	c->local_stratum = (int)v;
	return 0;
}

static int
parse_metrics(struct conf_parser *p, char **argv, int argc)
{
	struct cfg *c = p->c;

	(void)argc;
	if (conf_sockaddr(p, argv[0], &c->metrics, &c->metrics_len, METRICS_HINT) < 0)
		return -1;
	c->line.metrics = p->line;
	c->has_metrics = 1;
	return 0;
}

static int
parse_control(struct conf_parser *p, char **argv, int argc)
{
	struct cfg *c = p->c;
	size_t len = strlen(argv[0]);

	(void)argc;
	/* stratad may chdir; a relative socket would move with it */
	if (argv[0][0] != '/')
		return conf_fail(p, "control path '%s' is not absolute (hint: control %s)", argv[0],
				 CFG_DEFAULT_CONTROL);
	if (len >= CFG_PATH_MAX)
		return conf_fail(p,
				 "control path is %zu characters, a unix socket takes at most %d "
				 "(hint: a shorter path, such as %s)",
				 len, CFG_PATH_MAX - 1, CFG_DEFAULT_CONTROL);
	memcpy(c->control, argv[0], len + 1);
	c->line.control = p->line;
	return 0;
}

/* Where the XDP program, its links and maps outlive stratad (docs/xdp.md). */
static int
parse_bpffs(struct conf_parser *p, char **argv, int argc)
{
	struct cfg *c = p->c;
	size_t len = strlen(argv[0]);

	(void)argc;
	c->line.bpffs = p->line;
	if (strcmp(argv[0], "none") == 0) {
		c->bpffs[0] = '\0';
		return 0;
	}
	if (argv[0][0] != '/' || len < 2 || len >= CFG_PATH_MAX)
		return conf_fail(p, "bpffs '%s' is not an absolute directory of at most %d "
				 "characters (hint: bpffs %s, or bpffs none)",
				 argv[0], CFG_PATH_MAX - 1, CFG_DEFAULT_BPFFS);
	memcpy(c->bpffs, argv[0], len + 1);
	return 0;
}

static int
parse_user(struct conf_parser *p, char **argv, int argc)
{
	struct cfg *c = p->c;

	(void)argc;
	c->line.user = p->line;
	return conf_user(p, argv[0], c->user, sizeof(c->user), CFG_DEFAULT_USER);
}

/* "controlgroup NAME": the syntax here; whether the group exists is stratad's check at start */
static int
parse_controlgroup(struct conf_parser *p, char **argv, int argc)
{
	struct cfg *c = p->c;

	(void)argc;
	c->line.controlgroup = p->line;
	return conf_group(p, argv[0], c->controlgroup, sizeof(c->controlgroup),
			  CFG_DEFAULT_CONTROLGROUP);
}

#define SERVER_HINT "server HOST [iburst] [minpoll N] [maxpoll N] [prefer] [noselect]"
#define POOL_HINT "pool NAME [iburst] [maxsources N] [minpoll N] [maxpoll N]"
#define PHC_HINT "refclock phc /dev/ptpN [poll N] [offset SECONDS] [prefer]"

/* A host name (RFC 1123 section 2.1) or an address literal; checked, not resolved. */
static int
valid_host(const char *s)
{
	size_t len = strlen(s);

	return len > 0 && len <= CFG_HOST_MAX && strspn(s, "abcdefghijklmnopqrstuvwxyz"
							"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
							"0123456789.-:") == len &&
	       s[0] != '-' && s[0] != '.';
}

static struct cfg_source *
new_source(struct conf_parser *p, enum cfg_source_kind kind, const char *host, const char *hint)
{
	struct cfg *c = p->c;
	struct cfg_source *src;

	if (c->n_sources == CFG_MAX_SOURCES) {
		conf_fail(p,
			  "more than %d time sources (hint: a pool line counts once; remove one)",
			  CFG_MAX_SOURCES);
		return NULL;
	}
	if (kind != CFG_SRC_PHC && !valid_host(host)) {
		conf_fail(p, "'%s' is not a host name or address (hint: %s)", host, hint);
		return NULL;
	}
	src = &c->sources[c->n_sources];
	memset(src, 0, sizeof(*src));
	src->kind = kind;
	snprintf(src->host, sizeof(src->host), "%s", host);
	src->minpoll = CFG_MINPOLL_DEFAULT;
	src->maxpoll = CFG_MAXPOLL_DEFAULT;
	src->poll = 0;
	src->maxsources = CFG_POOL_DEFAULT;
	src->line = p->line;
	return src;
}

/* "minpoll N" and friends: a log2 interval in seconds, as in ntp.conf and chrony */
static int
parse_poll(struct conf_parser *p, const char *what, const char *s, int *v, const char *hint)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || n < CFG_POLL_MIN ||
	    n > CFG_POLL_MAX)
		return conf_fail(p,
				 "%s '%s' is not a whole number from %d to %d (log2 seconds) "
				 "(hint: %s)",
				 what, s, CFG_POLL_MIN, CFG_POLL_MAX, hint);
	*v = (int)n;
	return 0;
}

/* "minpoll N" or "maxpoll N" at argv[k], for server and pool lines */
static int
parse_poll_opt(struct conf_parser *p, char **argv, int argc, int k, struct cfg_source *src,
	       const char *hint)
{
	if (k + 1 == argc)
		return conf_fail(p, "missing number after '%s' (hint: %s)", argv[k], hint);
	return parse_poll(p, argv[k], argv[k + 1],
			  argv[k][1] == 'i' ? &src->minpoll : &src->maxpoll, hint);
}

/* Both bounds given, in either order on the line */
static int
check_poll_range(struct conf_parser *p, const struct cfg_source *src)
{
	if (src->minpoll > src->maxpoll)
		return conf_fail(p, "minpoll %d is above maxpoll %d (hint: minpoll <= maxpoll)",
				 src->minpoll, src->maxpoll);
	return 0;
}

static int
parse_server(struct conf_parser *p, char **argv, int argc)
{
	struct cfg *c = p->c;
	struct cfg_source *src = new_source(p, CFG_SRC_SERVER, argv[0], SERVER_HINT);
	int k;

	if (src == NULL)
		return -1;
	for (k = 1; k < argc; k++) {
		if (strcmp(argv[k], "iburst") == 0) {
			src->iburst = 1;
		} else if (strcmp(argv[k], "prefer") == 0) {
			src->prefer = 1;
		} else if (strcmp(argv[k], "noselect") == 0) {
			src->noselect = 1;
		} else if (strcmp(argv[k], "minpoll") == 0 || strcmp(argv[k], "maxpoll") == 0) {
			if (parse_poll_opt(p, argv, argc, k++, src, SERVER_HINT) < 0)
				return -1;
		} else {
			return conf_fail(p, "unknown server option '%s' (hint: %s)", argv[k],
					 SERVER_HINT);
		}
	}
	if (check_poll_range(p, src) < 0)
		return -1;
	c->n_sources++;
	return 0;
}

static int
parse_pool(struct conf_parser *p, char **argv, int argc)
{
	struct cfg *c = p->c;
	struct cfg_source *src = new_source(p, CFG_SRC_POOL, argv[0], POOL_HINT);
	unsigned long v;
	int k;

	if (src == NULL)
		return -1;
	for (k = 1; k < argc; k++) {
		if (strcmp(argv[k], "iburst") == 0) {
			src->iburst = 1;
		} else if (strcmp(argv[k], "minpoll") == 0 || strcmp(argv[k], "maxpoll") == 0) {
			if (parse_poll_opt(p, argv, argc, k++, src, POOL_HINT) < 0)
				return -1;
		} else if (strcmp(argv[k], "maxsources") == 0) {
			if (k + 1 == argc ||
			    conf_num(argv[k + 1], CFG_POOL_MIN, CFG_POOL_MAX, &v) < 0)
				return conf_fail(
					p,
					"maxsources takes a number from %d to %d (hint: %s; "
					"a pool keeps 3 to 7 members)",
					CFG_POOL_MIN, CFG_POOL_MAX, POOL_HINT);
			src->maxsources = (int)v;
			k++;
		} else {
			return conf_fail(p, "unknown pool option '%s' (hint: %s)", argv[k],
					 POOL_HINT);
		}
	}
	if (check_poll_range(p, src) < 0)
		return -1;
	c->n_sources++;
	return 0;
}

static int
parse_refclock_phc(struct conf_parser *p, char **argv, int argc)
{
	struct cfg *c = p->c;
	struct cfg_source *src;
	char *end;
	int k;

	/* CLOCK_REALTIME and CLOCK_TAI stand in for a PHC on machines without one */
	if ((argv[0][0] != '/' && strcmp(argv[0], "CLOCK_REALTIME") != 0 &&
	     strcmp(argv[0], "CLOCK_TAI") != 0) ||
	    strlen(argv[0]) > CFG_HOST_MAX)
		return conf_fail(p, "'%s' is not a device path (hint: %s)", argv[0], PHC_HINT);
	src = new_source(p, CFG_SRC_PHC, argv[0], PHC_HINT);
	if (src == NULL)
		return -1;
	for (k = 1; k < argc; k++) {
		if (strcmp(argv[k], "prefer") == 0) {
			src->prefer = 1;
		} else if (strcmp(argv[k], "poll") == 0 && k + 1 < argc) {
			if (parse_poll(p, "poll", argv[++k], &src->poll, PHC_HINT) < 0)
				return -1;
		} else if (strcmp(argv[k], "offset") == 0 && k + 1 < argc) {
			errno = 0;
			src->offset = strtod(argv[++k], &end);
			if (*end != '\0' || errno != 0 || !(src->offset > -1e6 && src->offset < 1e6))
				return conf_fail(p,
						 "offset '%s' is not a number of seconds (hint: "
						 "offset -37 for a PHC that keeps TAI)",
						 argv[k]);
		} else {
			return conf_fail(
				p, "unknown or incomplete refclock phc option '%s' (hint: %s)",
				argv[k], PHC_HINT);
		}
	}
	c->n_sources++;
	return 0;
}

static int
parse_minsources(struct conf_parser *p, char **argv, int argc)
{
	struct cfg *c = p->c;
	unsigned long v;

	(void)argc;
	if (conf_num(argv[0], 1, CFG_MAX_SOURCES, &v) < 0)
		return conf_fail(
			p, "minsources '%s' is not a number from 1 to %d (hint: minsources 2)",
			argv[0], CFG_MAX_SOURCES);
	c->minsources = (int)v;
	return 0;
}

static int
parse_file(struct conf_parser *p, const char *what, const char *path, char *dst)
{
	size_t len = strlen(path);

	if (path[0] != '/' || len >= CFG_FILE_MAX)
		return conf_fail(p, "%s path '%s' is not absolute (hint: %s /var/lib/strata/%s)",
				 what, path, what,
				 strcmp(what, "driftfile") == 0 ? "drift" : "leap-seconds.list");
	memcpy(dst, path, len + 1);
	return 0;
}

static int
parse_driftfile(struct conf_parser *p, char **argv, int argc)
{
	struct cfg *c = p->c;

	(void)argc;
	c->line.driftfile = p->line;
	return parse_file(p, "driftfile", argv[0], c->driftfile);
}

static int
parse_leapfile(struct conf_parser *p, char **argv, int argc)
{
	struct cfg *c = p->c;

	(void)argc;
	return parse_file(p, "leapfile", argv[0], c->leapfile);
}

static int
parse_holdover(struct conf_parser *p, char **argv, int argc)
{
	struct cfg *c = p->c;
	unsigned long v;

	(void)argc;
	/* beyond a week the 15 ppm growth alone passes the 1.5 s distance limit */
	if (conf_num(argv[0], 1, 7 * 86400, &v) < 0)
		return conf_fail(p,
				 "holdover '%s' is not a number of seconds from 1 to 604800 (hint: "
				 "holdover 3600)",
				 argv[0]);
	c->holdover = (unsigned int)v;
	return 0;
}

#define ALLOW_HINT "allow 192.0.2.0/24, allow 2001:db8::/32 or allow all"
#define DENY_HINT "deny 198.51.100.0/24 [kod] or deny all [kod]"
#define RATELIMIT_HINT "ratelimit interval 3 burst 8 leak 2 [kod]"

/* One access list rule; a prefix may appear once, whatever its action. */
static int
add_acl(struct conf_parser *p, int family, const unsigned char *addr, unsigned int prefixlen,
	int action, const char *hint)
{
	struct cfg *c = p->c;
	struct cfg_acl *a;
	unsigned int i;

	for (i = 0; i < c->n_acl; i++) {
		a = &c->acl[i];
		if (a->family == family && a->prefixlen == prefixlen &&
		    memcmp(a->addr, addr, family == AF_INET ? 4 : 16) == 0)
			return conf_fail(
				p,
				"this prefix is already on line %u (hint: keep one rule per "
				"prefix; the longest matching prefix decides)",
				a->line);
	}
	if (c->n_acl == CFG_ACL_MAX)
		return conf_fail(p,
				 "more than %d allow/deny rules (hint: %s with shorter prefixes)",
				 CFG_ACL_MAX, hint);
	a = &c->acl[c->n_acl++];
	memset(a, 0, sizeof(*a));
	a->family = family;
	memcpy(a->addr, addr, family == AF_INET ? 4 : 16);
	a->prefixlen = prefixlen;
	a->action = action;
	a->line = p->line;
	return 0;
}

/* "ADDR", "ADDR/LEN" or "all" (both families) for @action. */
static int
parse_acl(struct conf_parser *p, const char *what, const char *s, int action, const char *hint)
{
	static const unsigned char any[16];
	unsigned char a[16], net[16];
	char buf[INET6_ADDRSTRLEN + 8], shown[INET6_ADDRSTRLEN];
	unsigned long len;
	unsigned int bits, i;
	char *slash;
	int family;

	if (strcmp(s, "all") == 0) {
		if (add_acl(p, AF_INET, any, 0, action, hint) < 0)
			return -1;
		return add_acl(p, AF_INET6, any, 0, action, hint);
	}
	if (strlen(s) >= sizeof(buf))
		return conf_fail(p, "'%s' is not an address or prefix (hint: %s)", s, hint);
	memcpy(buf, s, strlen(s) + 1);
	slash = strchr(buf, '/');
	if (slash != NULL)
		*slash++ = '\0';
	family = strchr(buf, ':') != NULL ? AF_INET6 : AF_INET;
	bits = family == AF_INET ? 32 : 128;
	if (inet_pton(family, buf, a) != 1)
		return conf_fail(p, "'%s' is not an IPv4 or IPv6 address or prefix (hint: %s)", s,
				 hint);
	len = bits;
	if (slash != NULL && conf_num(slash, 0, bits, &len) < 0)
		return conf_fail(
			p, "prefix length '%s' in '%s' is not a number from 0 to %u (hint: %s)",
			slash, s, bits, hint);
	/* the network part only: host bits set are a typo more often than not */
	memcpy(net, a, bits / 8);
	for (i = 0; i < bits / 8; i++) {
		unsigned int keep = len >= (i + 1) * 8 ? 8 : len > i * 8 ? len - i * 8 : 0;

		net[i] = (unsigned char)(a[i] & (0xff00 >> keep));
	}
	if (memcmp(net, a, bits / 8) != 0) {
		inet_ntop(family, net, shown, sizeof(shown));
		return conf_fail(p, "'%s' has host bits set after /%lu (hint: %s %s/%lu)", s, len,
				 what, shown, len);
	}
	return add_acl(p, family, a, (unsigned int)len, action, hint);
}

static int
parse_allow(struct conf_parser *p, char **argv, int argc)
{
	struct cfg *c = p->c;

	(void)argc;
	c->has_allow = 1;
	return parse_acl(p, "allow", argv[0], STRATA_ACL_ALLOW, ALLOW_HINT);
}

static int
parse_deny(struct conf_parser *p, char **argv, int argc)
{
	int action = STRATA_ACL_DENY;

	if (argc == 2) {
		if (strcmp(argv[1], "kod") != 0)
			return conf_fail(p, "unknown option '%s' to 'deny' (hint: %s)", argv[1],
					 DENY_HINT);
		action = STRATA_ACL_DENY_KOD;
	}
	return parse_acl(p, "deny", argv[0], action, DENY_HINT);
}

static int
parse_ratelimit(struct conf_parser *p, char **argv, int argc)
{
	struct cfg *c = p->c;
	struct cfg_ratelimit *r = &c->ratelimit;
	unsigned long v;
	int k;

	r->on = 1;
	r->interval = CFG_RL_INTERVAL_DEFAULT;
	r->burst = CFG_RL_BURST_DEFAULT;
	r->leak = CFG_RL_LEAK_DEFAULT;
	for (k = 0; k < argc; k++) {
		const char *opt = argv[k];

		if (strcmp(opt, "kod") == 0) {
			r->kod = 1;
			continue;
		}
		if (strcmp(opt, "interval") != 0 && strcmp(opt, "burst") != 0 &&
		    strcmp(opt, "leak") != 0)
			return conf_fail(p, "unknown option '%s' to 'ratelimit' (hint: %s)", opt,
					 RATELIMIT_HINT);
		if (++k == argc)
			return conf_fail(p, "missing value after '%s' (hint: %s)", opt,
					 RATELIMIT_HINT);
		if (strcmp(opt, "interval") == 0) {
			const char *s = argv[k];
			int neg = s[0] == '-';

			if (conf_num(s + neg, 0, neg ? -CFG_RL_INTERVAL_MIN : CFG_RL_INTERVAL_MAX,
				     &v) < 0)
				return conf_fail(
					p,
					"interval '%s' is not a log2 of seconds from %d to %d "
					"(hint: interval 3 is one answer per 8 s on average)",
					s, CFG_RL_INTERVAL_MIN, CFG_RL_INTERVAL_MAX);
			r->interval = neg ? -(int)v : (int)v;
		} else if (strcmp(opt, "burst") == 0) {
			if (conf_num(argv[k], 1, CFG_RL_BURST_MAX, &v) < 0)
				return conf_fail(
					p, "burst '%s' is not a number from 1 to %d (hint: %s)",
					argv[k], CFG_RL_BURST_MAX, RATELIMIT_HINT);
			r->burst = (unsigned int)v;
		} else {
			/* leak 0 would answer everything: no limit at all */
			if (conf_num(argv[k], 1, CFG_RL_LEAK_MAX, &v) < 0)
				return conf_fail(
					p,
					"leak '%s' is not a number from 1 to %d (hint: leak 2 "
					"answers 1 in 4 requests over the limit, so that a "
					"spoofed flood cannot cut its victim off)",
					argv[k], CFG_RL_LEAK_MAX);
			r->leak = (unsigned int)v;
		}
	}
	return 0;
}

#define REGISTER_HINT "register POOL via HOST[:PORT] key FILE"

/* A DNS name (RFC 1035 section 2.3.4: labels of 1 to 63 octets, 253 in all), not an address. */
static int
valid_dns_name(const char *s)
{
	size_t len = strlen(s), label = 0, i;
	unsigned char a[4];

	if (len == 0 || len > POOLREG_NAME_MAX || inet_pton(AF_INET, s, a) == 1 ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") != len)
		return 0;
	for (i = 0; i <= len; i++) {
		if (s[i] != '.' && s[i] != '\0') {
			label++;
			continue;
		}
		/* RFC 1123 section 2.1: no label begins or ends with a hyphen */
		if (label == 0 || label > 63 || s[i - 1] == '-' || s[i - label] == '-')
			return 0;
		label = 0;
	}
	return 1;
}

/* "HOST", "HOST:PORT", "[IPV6]:PORT" or a bare IPv6 address into @r. */
static int
parse_registrar(struct conf_parser *p, const char *s, struct cfg_register *r)
{
	char host[CONF_LINE_MAX + 1];
	unsigned char a[16];
	const char *port = NULL;
	unsigned long v = POOLREG_PORT;
	char *colon;

	memcpy(host, s, strlen(s) + 1);
	if (host[0] == '[') {
		colon = strchr(host, ']');
		if (colon == NULL || (colon[1] != '\0' && colon[1] != ':'))
			return conf_fail(p, "'%s' is not [IPV6]:PORT (hint: via [2001:db8::1]:%d)",
					 s, POOLREG_PORT);
		if (colon[1] == ':')
			port = colon + 2;
		*colon = '\0';
		memmove(host, host + 1, strlen(host));
		if (inet_pton(AF_INET6, host, a) != 1)
			return conf_fail(p,
					 "'%s' is not an IPv6 address (hint: via [2001:db8::1]:%d)",
					 host, POOLREG_PORT);
	} else if (inet_pton(AF_INET6, host, a) == 1) {
		/* a bare IPv6 address has no room for a port: the default one */
	} else if ((colon = strchr(host, ':')) != NULL) {
		if (strchr(colon + 1, ':') != NULL)
			return conf_fail(
				p,
				"'%s' is not an address or HOST:PORT (hint: an IPv6 address "
				"with a port takes brackets: via [2001:db8::1]:%d)",
				s, POOLREG_PORT);
		*colon = '\0';
		port = colon + 1;
	}
	if (port != NULL && conf_num(port, 1, 65535, &v) < 0)
		return conf_fail(p,
				 "registrar port '%s' is not a number from 1 to 65535 (hint: "
				 "via %s:%d; the default port is %d)",
				 port, host, POOLREG_PORT, POOLREG_PORT);
	if (inet_pton(AF_INET6, host, a) != 1 && inet_pton(AF_INET, host, a) != 1 &&
	    !valid_dns_name(host))
		return conf_fail(p, "'%s' is not a host name or address (hint: " REGISTER_HINT ")",
				 host);
	memcpy(r->registrar, host, strlen(host) + 1);
	r->port = (unsigned int)v;
	return 0;
}

static int
parse_register(struct conf_parser *p, char **argv, int argc)
{
	struct cfg *c = p->c;
	struct cfg_register *r;
	unsigned int i;

	if (c->n_register == CFG_MAX_REGISTER)
		return conf_fail(p, "more than %d register lines (hint: remove one)",
				 CFG_MAX_REGISTER);
	if (!valid_dns_name(argv[0]))
		return conf_fail(p,
				 "pool '%s' is not a DNS name (hint: " REGISTER_HINT
				 ", as in register pool.example.net via 192.0.2.53 key "
				 "/etc/strata/pool.key)",
				 argv[0]);
	if (argc < 2 || strcmp(argv[1], "via") != 0)
		return conf_fail(
			p, "expected 'via' after the pool name, got '%s' (hint: " REGISTER_HINT ")",
			argc < 2 ? "nothing" : argv[1]);
	if (argc < 3)
		return conf_fail(p, "missing registrar after 'via' (hint: " REGISTER_HINT ")");
	if (argc < 4 || strcmp(argv[3], "key") != 0)
		return conf_fail(
			p,
			"expected 'key' after the registrar, got '%s' (hint: " REGISTER_HINT
			"; the key is shared with strata-pool)",
			argc < 4 ? "nothing" : argv[3]);
	if (argc < 5)
		return conf_fail(p, "missing key file after 'key' (hint: " REGISTER_HINT ")");
	r = &c->reg[c->n_register];
	memset(r, 0, sizeof(*r));
	if (parse_registrar(p, argv[2], r) < 0)
		return -1;
	/* stratad may chdir or chroot before it reads the key */
	if (argv[4][0] != '/' || strlen(argv[4]) >= CFG_FILE_MAX)
		return conf_fail(p,
				 "key file '%s' is not an absolute path (hint: key "
				 "/etc/strata/pool.key)",
				 argv[4]);
	for (i = 0; i < c->n_register; i++)
		if (strcmp(c->reg[i].pool, argv[0]) == 0 &&
		    strcmp(c->reg[i].registrar, r->registrar) == 0 && c->reg[i].port == r->port)
			return conf_fail(
				p,
				"pool '%s' is already registered with %s on line %u (hint: "
				"keep one of them)",
				argv[0], argv[2], c->reg[i].line);
	memcpy(r->pool, argv[0], strlen(argv[0]) + 1);
	memcpy(r->keyfile, argv[4], strlen(argv[4]) + 1);
	r->line = p->line;
	c->n_register++;
	return 0;
}

#define NTSCERT_HINT "ntsservercert /etc/strata/nts.crt"
#define NTSKEY_HINT "ntsserverkey /etc/strata/nts.key"
#define NTSDUMPDIR_HINT "ntsdumpdir " CFG_NTS_DUMPDIR_DEFAULT

/* The certificate and its key: read by strata-nts's supervisor, which may chdir. */
static int
parse_nts_file(struct conf_parser *p, const char *path, char *dst, const char *hint)
{
	size_t len = strlen(path);

	if (path[0] != '/' || len >= CFG_FILE_MAX)
		return conf_fail(p,
				 "'%s' is not an absolute path of at most %d characters (hint: %s)",
				 path, CFG_FILE_MAX - 1, hint);
	memcpy(dst, path, len + 1);
	return 0;
}

static int
parse_ntsservercert(struct conf_parser *p, char **argv, int argc)
{
	struct cfg *c = p->c;

	(void)argc;
	c->line.ntsservercert = p->line;
	return parse_nts_file(p, argv[0], c->nts.cert, NTSCERT_HINT);
}

static int
parse_ntsserverkey(struct conf_parser *p, char **argv, int argc)
{
	struct cfg *c = p->c;

	(void)argc;
	c->line.ntsserverkey = p->line;
	return parse_nts_file(p, argv[0], c->nts.key, NTSKEY_HINT);
}

static int
parse_ntsport(struct conf_parser *p, char **argv, int argc)
{
	struct cfg *c = p->c;
	unsigned long v;

	(void)argc;
	if (conf_num(argv[0], 1, 65535, &v) < 0)
		return conf_fail(p,
				 "ntsport '%s' is not a number from 1 to 65535 (hint: ntsport %d, "
				 "NTS-KE's port, RFC 8915 section 4)",
				 argv[0], CFG_NTS_PORT_DEFAULT);
	c->nts.port = (unsigned int)v;
	c->line.ntsport = p->line;
	return 0;
}

static int
parse_ntsprocesses(struct conf_parser *p, char **argv, int argc)
{
	struct cfg *c = p->c;
	unsigned long v;

	(void)argc;
	if (conf_num(argv[0], 1, CFG_NTS_PROCESSES_MAX, &v) < 0)
		return conf_fail(p,
				 "ntsprocesses '%s' is not a number from 1 to %d (hint: "
				 "ntsprocesses 2, one NTS-KE worker per core it may use)",
				 argv[0], CFG_NTS_PROCESSES_MAX);
	c->nts.processes = (unsigned int)v;
	c->line.ntsprocesses = p->line;
	return 0;
}

static int
parse_maxntsconnections(struct conf_parser *p, char **argv, int argc)
{
	struct cfg *c = p->c;
	unsigned long v;

	(void)argc;
	if (conf_num(argv[0], 1, CFG_NTS_MAXCONN_MAX, &v) < 0)
		return conf_fail(p,
				 "maxntsconnections '%s' is not a number from 1 to %d (hint: "
				 "maxntsconnections %d)",
				 argv[0], CFG_NTS_MAXCONN_MAX, CFG_NTS_MAXCONN_DEFAULT);
	c->nts.maxconns = (unsigned int)v;
	c->line.maxntsconnections = p->line;
	return 0;
}

static int
parse_ntsrotate(struct conf_parser *p, char **argv, int argc)
{
	struct cfg *c = p->c;
	unsigned long v;

	(void)argc;
	if (conf_num(argv[0], 0, CFG_NTS_ROTATE_MAX, &v) < 0 ||
	    (v != 0 && v < CFG_NTS_ROTATE_MIN))
		return conf_fail(p,
				 "ntsrotate '%s' is not 0 or a number of seconds from %d to %u "
				 "(hint: ntsrotate %d, a week; 0 only reads the key file another "
				 "server writes)",
				 argv[0], CFG_NTS_ROTATE_MIN, CFG_NTS_ROTATE_MAX,
				 CFG_NTS_ROTATE_DEFAULT);
	c->nts.rotate = (unsigned int)v;
	c->line.ntsrotate = p->line;
	return 0;
}

static int
parse_ntsdumpdir(struct conf_parser *p, char **argv, int argc)
{
	struct cfg *c = p->c;
	size_t len = strlen(argv[0]);

	(void)argc;
	/* room for "/ntskeys" and the temporary file's suffix */
	if (argv[0][0] != '/' || len + 32 >= CFG_FILE_MAX)
		return conf_fail(p,
				 "ntsdumpdir '%s' is not an absolute directory of at most %d "
				 "characters (hint: " NTSDUMPDIR_HINT ")",
				 argv[0], CFG_FILE_MAX - 33);
	memcpy(c->nts.dumpdir, argv[0], len + 1);
	/* "/var/lib/strata/" and "/var/lib/strata" name the same file */
	while (len > 1 && c->nts.dumpdir[len - 1] == '/')
		c->nts.dumpdir[--len] = '\0';
	c->line.ntsdumpdir = p->line;
	return 0;
}

/* RFC 8915 section 4.1.7: a host name or an address literal, IPv6 without brackets. */
static int
parse_ntsntpserver(struct conf_parser *p, char **argv, int argc)
{
	struct cfg *c = p->c;

	(void)argc;
	if (!valid_host(argv[0]))
		return conf_fail(p,
				 "'%s' is not a host name or address (hint: ntsntpserver "
				 "ntp.example.net; an IPv6 address goes without brackets)",
				 argv[0]);
	memcpy(c->nts.ntpserver, argv[0], strlen(argv[0]) + 1);
	c->line.ntsntpserver = p->line;
	return 0;
}

/* NTS is on with both a certificate and its key; one alone is a mistake. */
static int
check_nts(struct conf_parser *p)
{
	struct cfg *c = p->c;
	int ret = 0;

	if ((c->nts.cert[0] != '\0') == (c->nts.key[0] != '\0'))
		return 0;
	if (c->nts.cert[0] != '\0') {
		p->line = c->line.ntsservercert;
		ret = conf_fail(p,
				"ntsservercert without ntsserverkey: NTS needs both (hint: add "
				"'" NTSKEY_HINT "', or remove this line)");
	} else {
		p->line = c->line.ntsserverkey;
		ret = conf_fail(p,
				"ntsserverkey without ntsservercert: NTS needs both (hint: add "
				"'" NTSCERT_HINT "', or remove this line)");
	}
	p->line = 0;
	return ret;
}

/* Every directive; those with a kind are two words ("refclock system"). */
static const struct conf_directive directives[] = {
	{"listen", "xdp", 3, -1, 0, parse_listen, LISTEN_HINT},
	{"listen", "dpdk", 3, -1, 0, parse_listen_dpdk, LISTEN_DPDK_HINT},
	{"xdpmode", NULL, 1, 1, 1, parse_xdpmode, "xdpmode native|generic"},
	{"refclock", "system", 0, 0, 1, parse_refclock_system, "refclock system"},
	{"refclock", "phc", 1, 6, 0, parse_refclock_phc, PHC_HINT},
	{"local", "stratum", 1, 1, 1, parse_local_stratum, "local stratum N"},
	{"metrics", NULL, 1, 1, 1, parse_metrics, METRICS_HINT},
	{"control", NULL, 1, 1, 1, parse_control, "control " CFG_DEFAULT_CONTROL},
	{"user", NULL, 1, 1, 1, parse_user, "user " CFG_DEFAULT_USER},
	{"controlgroup", NULL, 1, 1, 1, parse_controlgroup,
	 "controlgroup " CFG_DEFAULT_CONTROLGROUP},
	{"bpffs", NULL, 1, 1, 1, parse_bpffs, "bpffs " CFG_DEFAULT_BPFFS},
	{"server", NULL, 1, 8, 0, parse_server, SERVER_HINT},
	{"pool", NULL, 1, 8, 0, parse_pool, POOL_HINT},
	{"minsources", NULL, 1, 1, 1, parse_minsources, "minsources N"},
	{"driftfile", NULL, 1, 1, 1, parse_driftfile, "driftfile /var/lib/strata/drift"},
	{"leapfile", NULL, 1, 1, 1, parse_leapfile,
	 "leapfile /usr/share/zoneinfo/leap-seconds.list"},
	{"holdover", NULL, 1, 1, 1, parse_holdover, "holdover SECONDS"},
	{"register", NULL, 1, 5, 0, parse_register, REGISTER_HINT},
	{"allow", NULL, 1, 1, 0, parse_allow, ALLOW_HINT},
	{"deny", NULL, 1, 2, 0, parse_deny, DENY_HINT},
	{"ratelimit", NULL, 0, 7, 1, parse_ratelimit, RATELIMIT_HINT},
	{"ntsservercert", NULL, 1, 1, 1, parse_ntsservercert, NTSCERT_HINT},
	{"ntsserverkey", NULL, 1, 1, 1, parse_ntsserverkey, NTSKEY_HINT},
	{"ntsport", NULL, 1, 1, 1, parse_ntsport, "ntsport 4460"},
	{"ntsprocesses", NULL, 1, 1, 1, parse_ntsprocesses, "ntsprocesses N"},
	{"maxntsconnections", NULL, 1, 1, 1, parse_maxntsconnections, "maxntsconnections N"},
	{"ntsrotate", NULL, 1, 1, 1, parse_ntsrotate, "ntsrotate SECONDS"},
	{"ntsdumpdir", NULL, 1, 1, 1, parse_ntsdumpdir, NTSDUMPDIR_HINT},
	{"ntsntpserver", NULL, 1, 1, 1, parse_ntsntpserver, "ntsntpserver NAME"},
};

int
cfg_parse(const char *name, FILE *f, struct cfg *c, char *err, size_t errlen)
{
	struct conf_parser p = {.name = name,
				.c = c,
				.err = err,
				.errlen = errlen,
				.table = directives,
				.n_table = STRATA_ARRAY_SIZE(directives)};

	memset(c, 0, sizeof(*c));
	c->xdpmode = CFG_XDP_NATIVE;
	memcpy(c->control, CFG_DEFAULT_CONTROL, sizeof(CFG_DEFAULT_CONTROL));
	memcpy(c->user, CFG_DEFAULT_USER, sizeof(CFG_DEFAULT_USER));
	memcpy(c->controlgroup, CFG_DEFAULT_CONTROLGROUP, sizeof(CFG_DEFAULT_CONTROLGROUP));
	memcpy(c->bpffs, CFG_DEFAULT_BPFFS, sizeof(CFG_DEFAULT_BPFFS));
	c->minsources = 1;
	c->holdover = CFG_HOLDOVER_DEFAULT;
	c->nts.port = CFG_NTS_PORT_DEFAULT;
	c->nts.processes = CFG_NTS_PROCESSES_DEFAULT;
	c->nts.maxconns = CFG_NTS_MAXCONN_DEFAULT;
	c->nts.rotate = CFG_NTS_ROTATE_DEFAULT;
	memcpy(c->nts.dumpdir, CFG_NTS_DUMPDIR_DEFAULT, sizeof(CFG_NTS_DUMPDIR_DEFAULT));
	if (conf_parse_file(&p, f) < 0 || check_nts(&p) < 0)
		return -1;
	if (c->n_listen == 0)
		return conf_fail(&p, "no 'listen' line: strata would serve nothing (hint: add "
				     "'listen xdp IFACE address ADDR')");
	if (!c->refclock_system && c->local_stratum == 0 && c->n_sources == 0)
		return conf_fail(&p, "no time source (hint: add 'server HOST iburst', 'pool NAME "
				     "iburst', 'refclock system' or 'local stratum N')");
	return 0;
}

int
cfg_load(const char *path, struct cfg *c, char *err, size_t errlen)
{
	FILE *f;
	int ret;

	/* "e": O_CLOEXEC, so the file does not leak into stratad's children */
	f = fopen(path, "re");
	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	ret = cfg_parse(path, f, c, err, errlen);
	fclose(f);
	return ret;
}

void
cfg_service(const struct cfg *c, struct strata_service *svc)
{
	unsigned int i, j;

	memset(svc, 0, sizeof(*svc));
	for (i = 0; i < c->n_listen; i++) {
		const struct cfg_listen *l = &c->listen[i];

		/* the parser caps the sum over all lines, not only each line */
		assert(svc->n_addr4 + l->n_addr4 <= STRATA_MAX_ADDRS);
		assert(svc->n_addr6 + l->n_addr6 <= STRATA_MAX_ADDRS);
		for (j = 0; j < l->n_addr4; j++)
			svc->addr4[svc->n_addr4++] = l->addr4[j];
		for (j = 0; j < l->n_addr6; j++)
			memcpy(svc->addr6[svc->n_addr6++], l->addr6[j], sizeof(l->addr6[j]));
	}
	svc->ttl = STRATA_DEFAULT_TTL;
}

void
cfg_lower(const struct cfg *c, struct strata_fastcfg *fc)
{
	const struct cfg_ratelimit *r = &c->ratelimit;
	unsigned int i;

	memset(fc, 0, sizeof(*fc));
	cfg_service(c, &fc->svc);
	/* as chrony's allow: once some clients are allowed by name, the others are not */
	fc->acl_default = c->has_allow ? STRATA_ACL_DENY : STRATA_ACL_ALLOW;
	assert(c->n_acl <= STRATA_ACL_MAX);
	for (i = 0; i < c->n_acl; i++) {
		struct strata_acl_rule *a = &fc->acl[i];

		memcpy(a->addr, c->acl[i].addr, sizeof(a->addr));
		a->family = c->acl[i].family == AF_INET ? 4 : 6;
		a->prefixlen = (__u8)c->acl[i].prefixlen;
		a->action = (__u8)c->acl[i].action;
	}
	fc->n_acl = c->n_acl;
	if (!r->on)
		return;
	fc->rl_on = 1;
	fc->rl_interval = r->interval;
	fc->rl_burst = (__u32)r->burst;
	fc->rl_leak = (__u32)r->leak;
	fc->rl_kod = (__u32)r->kod;
}

void
cfg_policy(const struct cfg *c, double tick_s, __u64 seed, struct strata_policy_conf *pc)
{
	static struct strata_fastcfg fc; /* 20 KiB: not on the stack */

	cfg_lower(c, &fc);
	fc.seed = seed;
	strata_fastcfg_policy(&fc, tick_s, pc);
	/* the parser keeps burst * interval below 2^31 ticks of any fast path */
	assert((double)pc->interval * c->ratelimit.burst < 2147483648.0);
}
