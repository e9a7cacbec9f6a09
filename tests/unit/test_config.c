/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stratad's configuration parser (lib/config.c): a full configuration
 * checked field by field, then every class of error with the exact
 * "NAME:LINE:" prefix and a key word of the message, the whole-file checks,
 * cfg_load() and cfg_service().
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#include "cunit_main.h"

#define NAME "test.conf"
/* two valid lines, so that the line under test is line 3 */
#define BASE "listen xdp eth0 address 192.0.2.1\nrefclock system\n"

struct bad {
	const char *text;
	unsigned int line; /* 0: a whole-file error, "NAME: " */
	const char *word;  /* must appear in the message */
};

/* Parse @len bytes of @text (NUL bytes included) from memory. */
static int
parse_n(const char *text, size_t len, struct cfg *c, char *err, size_t errlen)
{
	FILE *f = fmemopen((void *)text, len, "r");
	int ret;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	ret = cfg_parse(NAME, f, c, err, errlen);
	fclose(f);
	return ret;
}

static int
parse(const char *text, struct cfg *c, char *err)
{
	return parse_n(text, strlen(text), c, err, 512);
}

static void
check_bad(const struct bad *b, size_t n)
{
	char err[512], prefix[32];
	struct cfg c;
	size_t i;

	for (i = 0; i < n; i++) {
		if (b[i].line > 0)
			snprintf(prefix, sizeof(prefix), NAME ":%u: ", b[i].line);
		else
			snprintf(prefix, sizeof(prefix), NAME ": ");
		memset(err, 'x', sizeof(err));
		if (parse(b[i].text, &c, err) == -1 && strncmp(err, prefix, strlen(prefix)) == 0 &&
		    strstr(err, b[i].word) != NULL && strstr(err, "(hint: ") != NULL &&
		    err[strlen(err) - 1] == ')') {
			CU_PASS("error as expected");
			continue;
		}
		printf("\nconfig:\n%s\nwant \"%s\" ... \"%s\" ... (hint: ...)\ngot  \"%.*s\"\n",
		       b[i].text, prefix, b[i].word, (int)sizeof(err), err);
		CU_FAIL("wrong error");
	}
}

#define CHECK_BAD(b) check_bad(b, sizeof(b) / sizeof(b[0]))

static void
test_full_config(void)
{
	static const char text[] =
		"# strata test configuration\n"
		"\n"
		"listen xdp eth0 address 192.0.2.1 address 2001:db8::1  # both families\n"
		"\tlisten\txdp\tenp1s0f1\taddress\t198.51.100.7\n"
		"   \t \n"
		"listen xdp veth-ntp address 2001:db8:0:1::123 address 192.0.2.2 address "
		"2001:db8::2\n"
		"xdpmode generic\n"
		"refclock system\t# chronyd disciplines the host clock\n"
		"local stratum 10\n"
		"metrics [::1]:11123\n"
		"control /run/strata/test.sock\n"
		"#listen xdp eth9 address 192.0.2.9\n";
	static const unsigned char v6_1[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	static const unsigned char v6_2[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
	static const unsigned char v6_3[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, [14] = 1, 0x23};
	const struct sockaddr_in6 *sin6;
	char err[512] = "stale";
	struct cfg c;

	CU_ASSERT_EQUAL_FATAL(parse(text, &c, err), 0);
	CU_ASSERT_STRING_EQUAL(err, "");

	CU_ASSERT_EQUAL_FATAL(c.n_listen, 3);
	CU_ASSERT_STRING_EQUAL(c.listen[0].ifname, "eth0");
	CU_ASSERT_EQUAL(c.listen[0].line, 3);
	CU_ASSERT_EQUAL(c.listen[0].n_addr4, 1);
	CU_ASSERT_EQUAL(c.listen[0].addr4[0], htonl(0xc0000201));
	CU_ASSERT_EQUAL(c.listen[0].n_addr6, 1);
	CU_ASSERT_EQUAL(memcmp(c.listen[0].addr6[0], v6_1, 16), 0);

	CU_ASSERT_STRING_EQUAL(c.listen[1].ifname, "enp1s0f1");
	CU_ASSERT_EQUAL(c.listen[1].line, 4);
	CU_ASSERT_EQUAL(c.listen[1].n_addr4, 1);
	CU_ASSERT_EQUAL(c.listen[1].addr4[0], htonl(0xc6336407));
	CU_ASSERT_EQUAL(c.listen[1].n_addr6, 0);

	CU_ASSERT_STRING_EQUAL(c.listen[2].ifname, "veth-ntp");
	CU_ASSERT_EQUAL(c.listen[2].line, 6);
	CU_ASSERT_EQUAL(c.listen[2].n_addr4, 1);
	CU_ASSERT_EQUAL(c.listen[2].addr4[0], htonl(0xc0000202));
	CU_ASSERT_EQUAL(c.listen[2].n_addr6, 2);
	CU_ASSERT_EQUAL(memcmp(c.listen[2].addr6[0], v6_3, 16), 0);
	CU_ASSERT_EQUAL(memcmp(c.listen[2].addr6[1], v6_2, 16), 0);

	CU_ASSERT_EQUAL(c.xdpmode, CFG_XDP_GENERIC);
	CU_ASSERT_EQUAL(c.refclock_system, 1);
	CU_ASSERT_EQUAL(c.local_stratum, 10);

	CU_ASSERT_EQUAL(c.has_metrics, 1);
	CU_ASSERT_EQUAL(c.metrics_len, sizeof(struct sockaddr_in6));
	sin6 = (const struct sockaddr_in6 *)&c.metrics;
	CU_ASSERT_EQUAL(sin6->sin6_family, AF_INET6);
	CU_ASSERT_EQUAL(sin6->sin6_port, htons(11123));
	CU_ASSERT(IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr));

	CU_ASSERT_STRING_EQUAL(c.control, "/run/strata/test.sock");
}

/* Every parse starts from the defaults, whatever @c held before. */
static void
test_defaults(void)
{
	const struct sockaddr_in *sin;
	char err[512];
	struct cfg c;

	memset(&c, 0xa5, sizeof(c));
	CU_ASSERT_EQUAL_FATAL(parse("listen xdp eth0 address 192.0.2.1\nlocal stratum 1", &c, err),
			      0);
	CU_ASSERT_EQUAL(c.n_listen, 1);
	CU_ASSERT_EQUAL(c.listen[0].n_addr6, 0);
	CU_ASSERT_EQUAL(c.xdpmode, CFG_XDP_NATIVE);
	CU_ASSERT_EQUAL(c.refclock_system, 0);
	CU_ASSERT_EQUAL(c.local_stratum, 1);
	CU_ASSERT_EQUAL(c.has_metrics, 0);
	CU_ASSERT_EQUAL(c.metrics_len, 0);
	CU_ASSERT_STRING_EQUAL(c.control, CFG_DEFAULT_CONTROL);

	/* IPv4 metrics, the other xdpmode, extreme values that are still valid */
	CU_ASSERT_EQUAL_FATAL(parse("listen xdp abcdefghijklmno address 192.0.2.1\n"
				    "xdpmode native\nlocal stratum 15\nmetrics 127.0.0.1:65535\n",
				    &c, err),
			      0);
	CU_ASSERT_STRING_EQUAL(c.listen[0].ifname, "abcdefghijklmno");
	CU_ASSERT_EQUAL(c.xdpmode, CFG_XDP_NATIVE);
	CU_ASSERT_EQUAL(c.local_stratum, 15);
	CU_ASSERT_EQUAL(c.metrics_len, sizeof(struct sockaddr_in));
	sin = (const struct sockaddr_in *)&c.metrics;
	CU_ASSERT_EQUAL(sin->sin_family, AF_INET);
	CU_ASSERT_EQUAL(sin->sin_port, htons(65535));
	CU_ASSERT_EQUAL(sin->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
}

/* '#' starts a comment at the start of a word only. */
static void
test_comments(void)
{
	static const struct bad bad[] = {
		{BASE "xdpmode native#generic\n", 3, "'native#generic'"},
		{BASE "refclock system# x\n", 3, "'refclock system#'"},
	};
	char err[512];
	struct cfg c;

	CU_ASSERT_EQUAL(parse("#\nlisten xdp eth0 address 192.0.2.1 #address 192.0.2.2\n"
			      "refclock system #\n  # indented\n",
			      &c, err),
			0);
	CU_ASSERT_EQUAL(c.listen[0].n_addr4, 1);
	CHECK_BAD(bad);
}

static void
test_service(void)
{
	static const unsigned char v6_1[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	static const unsigned char v6_2[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
	struct strata_service svc;
	char err[512];
	struct cfg c;

	CU_ASSERT_EQUAL_FATAL(parse("listen xdp eth0 address 192.0.2.1 address 2001:db8::1\n"
				    "listen xdp eth1 address 2001:db8::2 address 192.0.2.2 "
				    "address 192.0.2.3\nrefclock system\n",
				    &c, err),
			      0);
	memset(&svc, 0xa5, sizeof(svc));
	cfg_service(&c, &svc);
	CU_ASSERT_EQUAL(svc.n_addr4, 3);
	CU_ASSERT_EQUAL(svc.addr4[0], htonl(0xc0000201));
	CU_ASSERT_EQUAL(svc.addr4[1], htonl(0xc0000202));
	CU_ASSERT_EQUAL(svc.addr4[2], htonl(0xc0000203));
	CU_ASSERT_EQUAL(svc.addr4[3], 0);
	CU_ASSERT_EQUAL(svc.n_addr6, 2);
	CU_ASSERT_EQUAL(memcmp(svc.addr6[0], v6_1, 16), 0);
	CU_ASSERT_EQUAL(memcmp(svc.addr6[1], v6_2, 16), 0);
	CU_ASSERT_EQUAL(svc.addr6[2][0], 0);
	CU_ASSERT_EQUAL(svc.ttl, STRATA_DEFAULT_TTL);
	CU_ASSERT_EQUAL(svc.pad[0], 0);
}

static void
test_unknown_directive(void)
{
	static const struct bad bad[] = {
		{BASE "restrict default\n", 3,
		 "unknown directive 'restrict' (hint: one of listen, xdpmode, refclock, "
		 "local stratum, metrics, control, "},
		{BASE "restrict default\n", 3, ", server, pool, minsources, driftfile, leapfile, "},
		{BASE "restrict default\n", 3, ", allow, deny, ratelimit, ntsservercert, "},
		{BASE "restrict default\n", 3, ", ntsdumpdir, ntsntpserver)"},
		{"Listen xdp eth0 address 192.0.2.1\n", 1, "unknown directive 'Listen'"},
		{BASE "listen af_xdp eth1 address 192.0.2.2\n", 3,
		 "unknown directive 'listen af_xdp' (hint: listen xdp IFACE address ADDR"},
		{BASE "refclock gps\n", 3,
		 "unknown directive 'refclock gps' (hint: refclock system)"},
		{BASE "local clock 10\n", 3,
		 "unknown directive 'local clock' (hint: local stratum N)"},
	};

	CHECK_BAD(bad);
}

/* allow/deny: the rules in file order, prefixes checked, "all" for both families */
static void
test_acl(void)
{
	static const struct bad bad[] = {
		{BASE "allow\n", 3, "missing argument to 'allow'"},
		{BASE "allow 192.0.2.0/24 kod\n", 3, "too many arguments to 'allow'"},
		{BASE "deny 192.0.2.0/24 drop\n", 3, "unknown option 'drop' to 'deny'"},
		{BASE "deny 192.0.2.0/24 kod x\n", 3, "too many arguments to 'deny'"},
		{BASE "allow 192.0.2.0/33\n", 3, "prefix length '33' in '192.0.2.0/33'"},
		{BASE "allow 2001:db8::/129\n", 3, "is not a number from 0 to 128"},
		{BASE "allow 192.0.2.0/\n", 3, "prefix length ''"},
		{BASE "allow 192.0.2.0/-1\n", 3, "prefix length '-1'"},
		{BASE "allow example.net\n", 3, "'example.net' is not an IPv4 or IPv6 address"},
		{BASE "allow 192.0.2.1/24\n", 3, "host bits set after /24 (hint: allow 192.0.2.0/24)"},
		{BASE "deny 2001:db8::1/32 kod\n", 3, "host bits set after /32 (hint: deny 2001:db8::/32)"},
		{BASE "allow 192.0.2.0/24\ndeny 192.0.2.0/24\n", 4, "already on line 3"},
		{BASE "allow all\ndeny ::/0\n", 4, "already on line 3"},
	};
	char err[512];
	struct cfg c;

	CHECK_BAD(bad);
	CU_ASSERT_EQUAL_FATAL(parse(BASE "deny 198.51.100.0/24 kod\ndeny 2001:db8::5\n"
				    "allow all\ndeny 0.0.0.0/0\n", &c, err), -1);
	CU_ASSERT_EQUAL_FATAL(parse(BASE "deny 198.51.100.0/24 kod\ndeny 2001:db8::5\nallow all\n",
				    &c, err), 0);
	CU_ASSERT_EQUAL(c.n_acl, 4);
	CU_ASSERT(c.has_allow);
	CU_ASSERT_EQUAL(c.acl[0].family, AF_INET);
	CU_ASSERT_EQUAL(c.acl[0].prefixlen, 24);
	CU_ASSERT_EQUAL(c.acl[0].action, STRATA_ACL_DENY_KOD);
	CU_ASSERT(memcmp(c.acl[0].addr, "\xc6\x33\x64\x00", 4) == 0);
	CU_ASSERT_EQUAL(c.acl[0].line, 3);
	CU_ASSERT_EQUAL(c.acl[1].family, AF_INET6);
	CU_ASSERT_EQUAL(c.acl[1].prefixlen, 128);
	CU_ASSERT_EQUAL(c.acl[1].action, STRATA_ACL_DENY);
	CU_ASSERT_EQUAL(c.acl[2].family, AF_INET);
	CU_ASSERT_EQUAL(c.acl[2].prefixlen, 0);
	CU_ASSERT_EQUAL(c.acl[2].action, STRATA_ACL_ALLOW);
	CU_ASSERT_EQUAL(c.acl[3].family, AF_INET6);
	CU_ASSERT_EQUAL(c.acl[3].prefixlen, 0);
	CU_ASSERT_EQUAL_FATAL(parse(BASE, &c, err), 0);
	CU_ASSERT_EQUAL(c.n_acl, 0);
	CU_ASSERT(!c.has_allow);
}

/* ratelimit: off by default, chrony's defaults, every option checked */
static void
test_ratelimit(void)
{
	static const struct bad bad[] = {
		{BASE "ratelimit interval\n", 3, "missing value after 'interval'"},
		{BASE "ratelimit interval 13\n", 3, "interval '13' is not a log2 of seconds from -4 to 12"},
		{BASE "ratelimit interval -5\n", 3, "interval '-5'"},
		{BASE "ratelimit interval x\n", 3, "interval 'x'"},
		{BASE "ratelimit burst 0\n", 3, "burst '0' is not a number from 1 to 255"},
		{BASE "ratelimit burst 256\n", 3, "burst '256'"},
		{BASE "ratelimit leak 0\n", 3, "leak '0' is not a number from 1 to 16"},
		{BASE "ratelimit leak 17\n", 3, "leak '17'"},
		{BASE "ratelimit rate 5\n", 3, "unknown option 'rate' to 'ratelimit'"},
		{BASE "ratelimit\nratelimit kod\n", 4, "'ratelimit' is already set on line 3"},
		{BASE "ratelimit interval 1 burst 2 leak 3 kod x\n", 3, "too many arguments"},
	};
	char err[512];
	struct cfg c;

	CHECK_BAD(bad);
	CU_ASSERT_EQUAL_FATAL(parse(BASE, &c, err), 0);
	CU_ASSERT(!c.ratelimit.on);
	CU_ASSERT_EQUAL_FATAL(parse(BASE "ratelimit\n", &c, err), 0);
	CU_ASSERT(c.ratelimit.on);
	CU_ASSERT_EQUAL(c.ratelimit.interval, 3);
	CU_ASSERT_EQUAL(c.ratelimit.burst, 8);
	CU_ASSERT_EQUAL(c.ratelimit.leak, 2);
	CU_ASSERT(!c.ratelimit.kod);
	CU_ASSERT_EQUAL_FATAL(parse(BASE "ratelimit kod leak 5 interval -4 burst 255\n", &c, err), 0);
	CU_ASSERT_EQUAL(c.ratelimit.interval, -4);
	CU_ASSERT_EQUAL(c.ratelimit.burst, 255);
	CU_ASSERT_EQUAL(c.ratelimit.leak, 5);
	CU_ASSERT(c.ratelimit.kod);
	/* lowered for the fast paths: a RATE KoD asks for the interval as its poll */
	{
		struct strata_policy_conf pc;

		cfg_policy(&c, 1e-3, 1, &pc);
		CU_ASSERT_EQUAL(pc.kod_poll, -4);
		CU_ASSERT_EQUAL_FATAL(parse(BASE "ratelimit interval 6 kod\n", &c, err), 0);
		cfg_policy(&c, 1e-3, 1, &pc);
		CU_ASSERT_EQUAL(pc.kod_poll, 6);
		CU_ASSERT_EQUAL(pc.interval, 64000);
	}
}

/* "register POOL via HOST[:PORT] key FILE": every form of registrar, every bad line */
static void
test_register(void)
{
	static const struct bad bad[] = {
		{BASE "register\n", 3, "missing argument to 'register' (hint: register POOL via"},
		{BASE "register pool.test\n", 3, "expected 'via' after the pool name, got 'nothing'"},
		{BASE "register pool.test 192.0.2.53 key /k\n", 3,
		 "expected 'via' after the pool name, got '192.0.2.53'"},
		{BASE "register pool.test via\n", 3, "missing registrar after 'via'"},
		{BASE "register pool.test via 192.0.2.53\n", 3,
		 "expected 'key' after the registrar, got 'nothing'"},
		{BASE "register pool.test via 192.0.2.53 keyfile /k\n", 3,
		 "expected 'key' after the registrar, got 'keyfile'"},
		{BASE "register pool.test via 192.0.2.53 key\n", 3, "missing key file after 'key'"},
		{BASE "register pool.test via 192.0.2.53 key /k x\n", 3,
		 "too many arguments to 'register'"},
		{BASE "register pool.test via 192.0.2.53 key pool.key\n", 3,
		 "key file 'pool.key' is not an absolute path (hint: key /etc/strata/pool.key)"},
		{BASE "register pool_test via 192.0.2.53 key /k\n", 3,
		 "pool 'pool_test' is not a DNS name"},
		{BASE "register -pool.test via 192.0.2.53 key /k\n", 3, "is not a DNS name"},
		{BASE "register pool-.test via 192.0.2.53 key /k\n", 3, "is not a DNS name"},
		{BASE "register pool..test via 192.0.2.53 key /k\n", 3, "is not a DNS name"},
		{BASE "register 192.0.2.9 via 192.0.2.53 key /k\n", 3, "is not a DNS name"},
		{BASE "register pool.test via 192.0.2.53:0 key /k\n", 3,
		 "registrar port '0' is not a number from 1 to 65535 (hint: via 192.0.2.53:4460"},
		{BASE "register pool.test via reg.test:65536 key /k\n", 3, "port '65536'"},
		{BASE "register pool.test via reg.test: key /k\n", 3, "registrar port ''"},
		{BASE "register pool.test via [2001:db8::53 key /k\n", 3,
		 "'[2001:db8::53' is not [IPV6]:PORT"},
		{BASE "register pool.test via [2001:db8::53]x key /k\n", 3, "is not [IPV6]:PORT"},
		{BASE "register pool.test via [reg.test]:53 key /k\n", 3,
		 "'reg.test' is not an IPv6 address"},
		{BASE "register pool.test via 2001:db8::53:x key /k\n", 3,
		 "an IPv6 address with a port takes brackets"},
		{BASE "register pool.test via reg_1.test key /k\n", 3,
		 "'reg_1.test' is not a host name or address"},
		{BASE "register pool.test via 192.0.2.53 key /k\nregister pool.test via "
		      "192.0.2.53:4460 key /j\n",
		 4, "pool 'pool.test' is already registered with 192.0.2.53:4460 on line 3"},
		{BASE "register a.test via r key /k\nregister b.test via r key /k\nregister c.test "
		      "via r key /k\nregister d.test via r key /k\nregister e.test via r key /k\n",
		 7, "more than 4 register lines (hint: remove one)"},
	};
	char err[512];
	struct cfg c;

	CU_ASSERT_EQUAL_FATAL(parse(BASE "register pool.strata.test via 192.0.2.53 key /etc/k1\n"
					 "register pool.strata.test via reg.test:5000 key /k2\n"
					 "register Pool-2.test via [2001:db8::53]:7 key /k3\n"
					 "register p3.test via 2001:db8::53 key /k4\n",
				    &c, err),
			      0);
	CU_ASSERT_EQUAL_FATAL(c.n_register, 4);
	CU_ASSERT_STRING_EQUAL(c.reg[0].pool, "pool.strata.test");
	CU_ASSERT_STRING_EQUAL(c.reg[0].registrar, "192.0.2.53");
	CU_ASSERT_EQUAL(c.reg[0].port, 4460);
	CU_ASSERT_STRING_EQUAL(c.reg[0].keyfile, "/etc/k1");
	CU_ASSERT_EQUAL(c.reg[0].line, 3);
	CU_ASSERT_STRING_EQUAL(c.reg[1].registrar, "reg.test");
	CU_ASSERT_EQUAL(c.reg[1].port, 5000);
	CU_ASSERT_STRING_EQUAL(c.reg[2].pool, "Pool-2.test");
	CU_ASSERT_STRING_EQUAL(c.reg[2].registrar, "2001:db8::53");
	CU_ASSERT_EQUAL(c.reg[2].port, 7);
	CU_ASSERT_STRING_EQUAL(c.reg[3].registrar, "2001:db8::53");
	CU_ASSERT_EQUAL(c.reg[3].port, 4460);
	CU_ASSERT_EQUAL(c.reg[3].line, 6);
	/* no register line: nothing to announce */
	CU_ASSERT_EQUAL_FATAL(parse(BASE, &c, err), 0);
	CU_ASSERT_EQUAL(c.n_register, 0);
	CHECK_BAD(bad);
}

/* DPDK ports: PCI addresses or vdev specs, with their addresses */
static void
test_listen_dpdk(void)
{
	static const struct bad bad[] = {
		{BASE "listen dpdk 0000:01:00.0\n", 3, "missing argument to 'listen dpdk'"},
		{BASE "listen dpdk 0000:01:00.0 addr 192.0.2.2\n", 3, "expected 'address'"},
		{BASE "listen dpdk p0 address 192.0.2.2\nlisten dpdk p0 address 192.0.2.3\n", 4,
		 "port 'p0' already has a listen line (line 3)"},
		{BASE "listen dpdk net_tap0 address 192.0.2.1\n", 3, "already listed on line 1"},
	};
	char err[512];
	struct cfg c;

	CU_ASSERT_EQUAL_FATAL(parse("listen dpdk net_af_xdp0,iface=s0,queue_count=2 address "
				    "192.0.2.5 address 2001:db8::5\nlocal stratum 3\n",
				    &c, err),
			      0);
	CU_ASSERT_EQUAL(c.n_listen, 1);
	CU_ASSERT(c.listen[0].dpdk);
	CU_ASSERT_STRING_EQUAL(c.listen[0].port, "net_af_xdp0,iface=s0,queue_count=2");
	CU_ASSERT_EQUAL(c.listen[0].n_addr4, 1);
	CU_ASSERT_EQUAL(c.listen[0].n_addr6, 1);
	CHECK_BAD(bad);
}

/* The time sources and the discipline's settings (docs/config.md) */
static void
test_sources(void)
{
	static const char text[] =
		"listen xdp eth0 address 192.0.2.1\n"
		"server 198.51.100.1 iburst minpoll 4 maxpoll 8 prefer\n"
		"server ntp1.example.org noselect minpoll -2 maxpoll -2\n"
		"server 2001:db8::123\n"
		"pool pool.example.org iburst maxsources 5\n"
		"pool pool2.example.org\n"
		"refclock phc /dev/ptp0 poll 0 offset -37 prefer\n"
		"minsources 2\n"
		"driftfile /var/lib/strata/drift\n"
		"leapfile /usr/share/zoneinfo/leap-seconds.list\n"
		"holdover 600\n";
	static const struct bad bad[] = {
		{BASE "server\n", 3, "missing argument to 'server'"},
		{BASE "server -bad\n", 3, "not a host name or address"},
		{BASE "server a_b.example\n", 3, "not a host name or address"},
		{BASE "server ntp.example.org burst\n", 3, "unknown server option 'burst'"},
		{BASE "server ntp.example.org minpoll\n", 3, "missing number after 'minpoll'"},
		{BASE "server ntp.example.org minpoll x\n", 3, "minpoll 'x' is not a whole number"},
		{BASE "server ntp.example.org maxpoll 18\n", 3, "maxpoll '18' is not a whole number"},
		{BASE "server ntp.example.org minpoll 8 maxpoll 6\n", 3, "minpoll 8 is above maxpoll 6"},
		{BASE "pool pool.example.org maxsources 2\n", 3, "maxsources takes a number from 3"},
		{BASE "pool pool.example.org maxsources 8\n", 3, "maxsources takes a number from 3"},
		{BASE "pool pool.example.org prefer\n", 3, "unknown pool option 'prefer'"},
		{BASE "refclock phc ptp0\n", 3, "'ptp0' is not a device path"},
		{BASE "refclock phc /dev/ptp0 offset x\n", 3, "offset 'x' is not a number"},
		{BASE "refclock phc /dev/ptp0 poll\n", 3, "unknown or incomplete refclock phc option"},
		{BASE "minsources 0\n", 3, "minsources '0' is not a number from 1"},
		{BASE "driftfile drift\n", 3, "driftfile path 'drift' is not absolute"},
		{BASE "leapfile leap.list\n", 3, "leapfile path 'leap.list' is not absolute"},
		{BASE "holdover 0\n", 3, "holdover '0' is not a number of seconds"},
		{BASE "holdover 1h\n", 3, "holdover '1h' is not a number of seconds"},
		{BASE "minsources 2\nminsources 3\n", 4, "'minsources' is already set on line 3"},
	};
	char err[512];
	struct cfg c;
	int i;

	CU_ASSERT_EQUAL_FATAL(parse(text, &c, err), 0);
	CU_ASSERT_EQUAL(c.n_sources, 6);
	CU_ASSERT_EQUAL(c.sources[0].kind, CFG_SRC_SERVER);
	CU_ASSERT_STRING_EQUAL(c.sources[0].host, "198.51.100.1");
	CU_ASSERT(c.sources[0].iburst && c.sources[0].prefer && !c.sources[0].noselect);
	CU_ASSERT_EQUAL(c.sources[0].minpoll, 4);
	CU_ASSERT_EQUAL(c.sources[0].maxpoll, 8);
	CU_ASSERT_EQUAL(c.sources[0].line, 2);
	CU_ASSERT(c.sources[1].noselect && !c.sources[1].iburst);
	CU_ASSERT_EQUAL(c.sources[1].minpoll, -2);
	CU_ASSERT_EQUAL(c.sources[2].minpoll, CFG_MINPOLL_DEFAULT);
	CU_ASSERT_EQUAL(c.sources[2].maxpoll, CFG_MAXPOLL_DEFAULT);
	CU_ASSERT_EQUAL(c.sources[3].kind, CFG_SRC_POOL);
	CU_ASSERT_EQUAL(c.sources[3].maxsources, 5);
	CU_ASSERT(c.sources[3].iburst);
	CU_ASSERT_EQUAL(c.sources[4].maxsources, CFG_POOL_DEFAULT);
	CU_ASSERT_EQUAL(c.sources[5].kind, CFG_SRC_PHC);
	CU_ASSERT_STRING_EQUAL(c.sources[5].host, "/dev/ptp0");
	CU_ASSERT(c.sources[5].offset == -37.0 && c.sources[5].prefer);
	CU_ASSERT_EQUAL(c.minsources, 2);
	CU_ASSERT_STRING_EQUAL(c.driftfile, "/var/lib/strata/drift");
	CU_ASSERT_STRING_EQUAL(c.leapfile, "/usr/share/zoneinfo/leap-seconds.list");
	CU_ASSERT_EQUAL(c.holdover, 600);

	/* defaults without those lines */
	CU_ASSERT_EQUAL_FATAL(parse(BASE, &c, err), 0);
	CU_ASSERT_EQUAL(c.n_sources, 0);
	CU_ASSERT_EQUAL(c.minsources, 1);
	CU_ASSERT_EQUAL(c.holdover, CFG_HOLDOVER_DEFAULT);
	CU_ASSERT_STRING_EQUAL(c.driftfile, "");

	/* too many sources */
	{
		char many[4096] = "listen xdp eth0 address 192.0.2.1\n";

		for (i = 0; i <= CFG_MAX_SOURCES; i++)
			snprintf(many + strlen(many), sizeof(many) - strlen(many),
				 "server 198.51.100.%d\n", i + 1);
		CU_ASSERT_EQUAL(parse(many, &c, err), -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "more than 16 time sources"));
	}
	CHECK_BAD(bad);
}

static void
test_arguments(void)
{
	static const struct bad bad[] = {
		{BASE "listen\n", 3, "missing argument to 'listen' (hint: listen xdp IFACE"},
		{BASE "listen xdp\n", 3, "missing argument to 'listen xdp'"},
		{BASE "listen xdp eth1\n", 3, "missing argument to 'listen xdp'"},
		{BASE "listen xdp eth1 address\n", 3, "missing argument to 'listen xdp'"},
		{BASE "listen xdp eth1 address 192.0.2.2 address\n", 3, "missing address"},
		{BASE "listen xdp eth1 192.0.2.2 address 192.0.2.3\n", 3, "expected 'address'"},
		{BASE "listen xdp eth1 address 192.0.2.2 192.0.2.3\n", 3, "expected 'address'"},
		{BASE "xdpmode\n", 3,
		 "missing argument to 'xdpmode' (hint: xdpmode native|generic)"},
		{BASE "xdpmode native generic\n", 3, "too many arguments to 'xdpmode'"},
		{"listen xdp eth0 address 192.0.2.1\nrefclock\n", 2,
		 "missing argument to 'refclock' (hint: refclock system)"},
		{"listen xdp eth0 address 192.0.2.1\nrefclock system now\n", 2,
		 "too many arguments to 'refclock system'"},
		{BASE "local\n", 3, "missing argument to 'local' (hint: local stratum N)"},
		{BASE "local stratum\n", 3, "missing argument to 'local stratum'"},
		{BASE "local stratum 10 11\n", 3, "too many arguments to 'local stratum'"},
		{BASE "metrics\n", 3, "missing argument to 'metrics'"},
		{BASE "metrics 127.0.0.1:11123 [::1]:11123\n", 3, "too many arguments to 'metrics'"},
		{BASE "control\n", 3, "missing argument to 'control'"},
		{BASE "control /run/a.sock /run/b.sock\n", 3, "too many arguments to 'control'"},
	};

	CHECK_BAD(bad);
}

static void
test_bad_address(void)
{
	static const struct bad bad[] = {
		{BASE "listen xdp eth1 address 192.0.2.256\n", 3,
		 "'192.0.2.256' is not an IPv4 or IPv6 address"},
		{BASE "listen xdp eth1 address 192.0.2\n", 3, "not an IPv4 or IPv6 address"},
		{BASE "listen xdp eth1 address 192.0.2.0/24\n", 3, "not an IPv4 or IPv6 address"},
		{BASE "listen xdp eth1 address ntp.example.org\n", 3,
		 "not an IPv4 or IPv6 address"},
		{BASE "listen xdp eth1 address 2001:db8::g\n", 3, "not an IPv4 or IPv6 address"},
		{BASE "listen xdp eth1 address 2001:db8:::1\n", 3, "not an IPv4 or IPv6 address"},
		{BASE "listen xdp eth1 address fe80::1%eth1\n", 3, "not an IPv4 or IPv6 address"},
	};

	CHECK_BAD(bad);
}

static void
test_special_address(void)
{
	static const struct bad bad[] = {
		{BASE "listen xdp eth1 address 224.0.1.1\n", 3, "multicast"},
		{BASE "listen xdp eth1 address 239.255.255.255\n", 3, "multicast"},
		{BASE "listen xdp eth1 address ff02::101\n", 3, "multicast"},
		{BASE "listen xdp eth1 address 0.0.0.0\n", 3, "unspecified"},
		{BASE "listen xdp eth1 address ::\n", 3, "unspecified"},
		{BASE "listen xdp eth1 address 127.0.0.1\n", 3, "loopback"},
		{BASE "listen xdp eth1 address 127.1.2.3\n", 3, "loopback"},
		{BASE "listen xdp eth1 address ::1\n", 3, "loopback"},
		{BASE "listen xdp eth1 address 255.255.255.255\n", 3, "broadcast"},
		{BASE "listen xdp eth1 address ::ffff:192.0.2.2\n", 3, "IPv4-mapped"},
	};

	CHECK_BAD(bad);
}

static void
test_duplicate_interface(void)
{
	static const struct bad bad[] = {
		{BASE "listen xdp eth0 address 192.0.2.2\n", 3,
		 "interface 'eth0' already has a listen line (line 1) (hint: put all its "
		 "addresses on one line"},
	};

	CHECK_BAD(bad);
}

static void
test_duplicate_address(void)
{
	static const struct bad bad[] = {
		{BASE "listen xdp eth1 address 192.0.2.1\n", 3,
		 "address '192.0.2.1' is already listed on line 1"},
		{BASE "listen xdp eth1 address 192.0.2.2 address 192.0.2.2\n", 3,
		 "address '192.0.2.2' is already listed on line 3"},
		{"listen xdp eth0 address 2001:db8::1\nlisten xdp eth1 address 2001:DB8:0::0:1\n",
		 2, "address '2001:DB8:0::0:1' is already listed on line 1"},
	};

	CHECK_BAD(bad);
}

static void
test_too_many_addresses(void)
{
	static const struct bad bad[] = {
		{"listen xdp eth0 address 192.0.2.1 address 192.0.2.2 address 192.0.2.3\n"
		 "listen xdp eth1 address 192.0.2.4 address 192.0.2.5 address 192.0.2.6 "
		 "address 192.0.2.7 address 192.0.2.8 address 192.0.2.9\n",
		 2, "more than 8 IPv4 addresses in all listen lines"},
		{"listen xdp eth0 address 2001:db8::1 address 2001:db8::2 address 2001:db8::3 "
		 "address 2001:db8::4 address 2001:db8::5 address 2001:db8::6 address 2001:db8::7 "
		 "address 2001:db8::8 address 2001:db8::9\n",
		 1, "more than 8 IPv6 addresses"},
		{"listen xdp eth0 address 192.0.2.1\nlisten xdp eth1 address 192.0.2.2\n"
		 "listen xdp eth2 address 192.0.2.3\nlisten xdp eth3 address 192.0.2.4\n"
		 "listen xdp eth4 address 192.0.2.5\nlisten xdp eth5 address 2001:db8::1\n"
		 "listen xdp eth6 address 2001:db8::2\nlisten xdp eth7 address 2001:db8::3\n"
		 "listen xdp eth8 address 2001:db8::4\n",
		 9, "more than 8 listen lines"},
	};
	char text[1024] = "refclock system\n";
	struct strata_service svc;
	char err[512];
	struct cfg c;
	int i;

	CHECK_BAD(bad);

	/* 8 of each family is the limit, not beyond it */
	for (i = 1; i <= STRATA_MAX_ADDRS; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 "listen xdp eth%d address 192.0.2.%d address 2001:db8::%d\n", i, i, i);
	CU_ASSERT_EQUAL_FATAL(parse(text, &c, err), 0);
	cfg_service(&c, &svc);
	CU_ASSERT_EQUAL(svc.n_addr4, STRATA_MAX_ADDRS);
	CU_ASSERT_EQUAL(svc.n_addr6, STRATA_MAX_ADDRS);
	CU_ASSERT_EQUAL(svc.addr4[7], htonl(0xc0000208));
	CU_ASSERT_EQUAL(svc.addr6[7][3], htonl(8));
}

static void
test_bad_interface(void)
{
	static const struct bad bad[] = {
		{BASE "listen xdp abcdefghijklmnop address 192.0.2.2\n", 3,
		 "'abcdefghijklmnop' is not an interface name"},
		{BASE "listen xdp eth/1 address 192.0.2.2\n", 3, "not an interface name"},
		{BASE "listen xdp eth0:1 address 192.0.2.2\n", 3, "not an interface name"},
		{BASE "listen xdp . address 192.0.2.2\n", 3, "not an interface name"},
		{BASE "listen xdp .. address 192.0.2.2\n", 3, "not an interface name"},
	};

	CHECK_BAD(bad);
}

static void
test_stratum(void)
{
	static const struct bad bad[] = {
		{BASE "local stratum 0\n", 3, "stratum '0' is not a number from 1 to 15"},
		{BASE "local stratum 16\n", 3, "stratum '16' is not a number from 1 to 15"},
		{BASE "local stratum abc\n", 3, "stratum 'abc' is not a number"},
		{BASE "local stratum -1\n", 3, "not a number"},
		{BASE "local stratum 0x5\n", 3, "not a number"},
		{BASE "local stratum 99999999999999999999999\n", 3, "not a number"},
	};

	CHECK_BAD(bad);
}

static void
test_xdpmode(void)
{
	static const struct bad bad[] = {
		{BASE "xdpmode bogus\n", 3,
		 "unknown xdpmode 'bogus' (hint: xdpmode native|generic)"},
		{BASE "xdpmode Native\n", 3, "unknown xdpmode"},
	};

	CHECK_BAD(bad);
}

static void
test_repeated(void)
{
	static const struct bad bad[] = {
		{BASE "xdpmode native\nxdpmode generic\n", 4, "'xdpmode' is already set on line 3"},
		{BASE "refclock system\n", 3, "'refclock system' is already set on line 2"},
		{BASE "local stratum 10\n\nlocal stratum 10\n", 5,
		 "'local stratum' is already set on line 3"},
		{BASE "metrics 127.0.0.1:1\nmetrics [::1]:1\n", 4, "'metrics' is already set"},
		{BASE "control /run/a.sock\ncontrol /run/a.sock\n", 4, "'control' is already set"},
	};

	CHECK_BAD(bad);
}

/* "user NAME": the name's syntax here; whether the user exists is stratad's check at the drop. */
static void
test_user(void)
{
	char text[512], name[CFG_USER_MAX + 1], err[512];
	static const struct bad bad[] = {
		{BASE "user\n", 3, "'user'"},
		{BASE "user a b\n", 3, "'user'"},
		{BASE "user -strata\n", 3, "user name '-strata' is not 1 to 32 letters"},
		{BASE "user str/ata\n", 3, "user name 'str/ata'"},
		{BASE "user str:ata\n", 3, "(hint: user _strata)"},
		{BASE "user ntp\nuser strata\n", 4, "'user' is already set on line 3"},
	};
	struct bad too_long[] = {
		{text, 3, "is not 1 to 32 letters"},
	};
	struct cfg c;

	CHECK_BAD(bad);
	CU_ASSERT_EQUAL(parse(BASE, &c, err), 0);
	CU_ASSERT_STRING_EQUAL(c.user, CFG_DEFAULT_USER);
	CU_ASSERT_STRING_EQUAL(c.user, "_strata");
	CU_ASSERT_EQUAL(parse(BASE "user _chrony-2.x\n", &c, err), 0);
	CU_ASSERT_STRING_EQUAL(c.user, "_chrony-2.x");

	memset(name, 'u', CFG_USER_MAX);
	name[CFG_USER_MAX] = '\0'; /* 33 characters */
	snprintf(text, sizeof(text), BASE "user %s\n", name);
	CHECK_BAD(too_long);
	name[CFG_USER_MAX - 1] = '\0'; /* 32 fit */
	snprintf(text, sizeof(text), BASE "user %s\n", name);
	CU_ASSERT_EQUAL(parse(text, &c, err), 0);
	CU_ASSERT_STRING_EQUAL(c.user, name);
}

/* "controlgroup NAME": the syntax here; whether the group exists is stratad's check at start. */
static void
test_controlgroup(void)
{
	char text[512], name[CFG_USER_MAX + 1], err[512];
	static const struct bad bad[] = {
		{BASE "controlgroup\n", 3, "'controlgroup'"},
		{BASE "controlgroup a b\n", 3, "'controlgroup'"},
		{BASE "controlgroup -ops\n", 3, "group name '-ops' is not 1 to 32 letters"},
		{BASE "controlgroup op/s\n", 3, "(hint: controlgroup strata-ops)"},
		{BASE "controlgroup adm\ncontrolgroup ops\n", 4,
		 "'controlgroup' is already set on line 3"},
	};
	struct bad too_long[] = {
		{text, 3, "is not 1 to 32 letters"},
	};
	struct cfg c;

	CHECK_BAD(bad);
	CU_ASSERT_EQUAL(parse(BASE, &c, err), 0);
	CU_ASSERT_STRING_EQUAL(c.controlgroup, "strata-ops");
	CU_ASSERT_EQUAL(c.line.controlgroup, 0);
	CU_ASSERT_EQUAL(parse(BASE "controlgroup adm\n", &c, err), 0);
	CU_ASSERT_STRING_EQUAL(c.controlgroup, "adm");
	CU_ASSERT_EQUAL(c.line.controlgroup, 3);

	memset(name, 'g', CFG_USER_MAX);
	name[CFG_USER_MAX] = '\0'; /* 33 characters */
	snprintf(text, sizeof(text), BASE "controlgroup %s\n", name);
	CHECK_BAD(too_long);
	name[CFG_USER_MAX - 1] = '\0';
	snprintf(text, sizeof(text), BASE "controlgroup %s\n", name);
	CU_ASSERT_EQUAL(parse(text, &c, err), 0);
	CU_ASSERT_STRING_EQUAL(c.controlgroup, name);
}

static void
test_metrics(void)
{
	static const struct bad bad[] = {
		{BASE "metrics 127.0.0.1\n", 3, "'127.0.0.1' has no port"},
		{BASE "metrics [::1]\n", 3, "'[::1]' has no port"},
		{BASE "metrics 127.0.0.1:0\n", 3, "port '0' is not a number from 1 to 65535"},
		{BASE "metrics 127.0.0.1:70000\n", 3, "port '70000' is not a number"},
		{BASE "metrics [::1]:\n", 3, "port '' is not a number"},
		{BASE "metrics ::1:11123\n", 3,
		 "IPv6 address '::1' needs brackets (hint: metrics [::1]:11123)"},
		{BASE "metrics [127.0.0.1]:11123\n", 3, "'127.0.0.1' is not an IPv6 address"},
		{BASE "metrics localhost:11123\n", 3, "'localhost' is not an IPv4 address"},
	};

	CHECK_BAD(bad);
}

static void
test_control(void)
{
	char text[512], path[CFG_PATH_MAX + 1], err[512];
	static const struct bad bad[] = {
		{BASE "control stratad.sock\n", 3, "control path 'stratad.sock' is not absolute"},
		{BASE "control ./stratad.sock\n", 3, "not absolute"},
	};
	struct bad too_long[] = {
		{text, 3, "control path is 108 characters, a unix socket takes at most 107"},
	};
	struct cfg c;

	CHECK_BAD(bad);
	memset(path, 'a', CFG_PATH_MAX);
	path[0] = '/';
	path[CFG_PATH_MAX] = '\0';
	snprintf(text, sizeof(text), BASE "control %s\n", path);
	CHECK_BAD(too_long);

	path[CFG_PATH_MAX - 1] = '\0'; /* 107 characters fit */
	snprintf(text, sizeof(text), BASE "control %s\n", path);
	CU_ASSERT_EQUAL(parse(text, &c, err), 0);
	CU_ASSERT_STRING_EQUAL(c.control, path);
}

/* Where the XDP objects are pinned: the default, another directory, none. */
static void
test_bpffs(void)
{
	static const struct bad bad[] = {
		{BASE "bpffs strata\n", 3, "bpffs 'strata' is not an absolute directory"},
		{BASE "bpffs /\n", 3, "is not an absolute directory"},
		{BASE "bpffs /a\nbpffs /b\n", 4, "'bpffs' is already set"},
	};
	char err[512];
	struct cfg c;

	CHECK_BAD(bad);
	CU_ASSERT_EQUAL_FATAL(parse(BASE, &c, err), 0);
	CU_ASSERT_STRING_EQUAL(c.bpffs, CFG_DEFAULT_BPFFS);
	CU_ASSERT_EQUAL_FATAL(parse(BASE "bpffs /run/strata/bpf\n", &c, err), 0);
	CU_ASSERT_STRING_EQUAL(c.bpffs, "/run/strata/bpf");
	CU_ASSERT_EQUAL_FATAL(parse(BASE "bpffs none\n", &c, err), 0);
	CU_ASSERT_STRING_EQUAL(c.bpffs, "");
}

static void
test_long_line(void)
{
	char text[2048], err[512];
	struct bad bad[] = {
		{text, 3, "line is 1024 characters long, more than 1023"},
	};
	struct cfg c;
	size_t len;

	/* 1023 characters are the most a line may have */
	len = snprintf(text, sizeof(text), BASE "# ");
	memset(text + len, 'x', 1021);
	strcpy(text + len + 1021, "\nxdpmode native\n");
	CU_ASSERT_EQUAL(parse(text, &c, err), 0);

	/* one more is an error, and the message gives the whole length */
	memset(text + len, 'x', 1022);
	strcpy(text + len + 1022, "\nxdpmode native\n");
	CHECK_BAD(bad);
	memset(text + len, 'x', 1500);
	strcpy(text + len + 1500, " xdpmode native\n");
	bad[0].word = "line is 1517 characters long";
	CHECK_BAD(bad);
}

static void
test_bad_characters(void)
{
	static const struct bad bad[] = {
		{BASE "xdpmode native\x01\n", 3, "control character 0x01 in column 15"},
		{BASE "xdpmode native\r\n", 3,
		 "control character 0x0d in column 15 (hint: convert the DOS line ends"},
		{BASE "xdpmode caf\xc3\xa9\n", 3, "non-ASCII character 0xc3 in column 12"},
		{BASE "\x7f\n", 3, "control character 0x7f"},
	};
	static const char nul[] = BASE "xdpmode\0native\n";
	char err[512];
	struct cfg c;

	CHECK_BAD(bad);
	CU_ASSERT_EQUAL(parse_n(nul, sizeof(nul) - 1, &c, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, NAME ":3: control character 0x00 in column 8 (hint: "
					 "directives are plain ASCII; comments may be UTF-8)");
	/* a comment may be UTF-8, even after a directive */
	CU_ASSERT_EQUAL(parse(BASE "# caf\xc3\xa9\nxdpmode generic # d\xc3\xa9j\xc3\xa0\n", &c, err), 0);
}

static void
test_no_listen(void)
{
	static const struct bad bad[] = {
		{"refclock system\n", 0,
		 "no 'listen' line: strata would serve nothing (hint: "
		 "add 'listen xdp IFACE address ADDR')"},
		{"# nothing\n\n", 0, "no 'listen' line"},
		{"#listen xdp eth0 address 192.0.2.1\nlocal stratum 10", 0, "no 'listen' line"},
	};

	CHECK_BAD(bad);
}

static void
test_no_time_source(void)
{
	static const struct bad bad[] = {
		{"listen xdp eth0 address 192.0.2.1\nxdpmode generic\n", 0,
		 "no time source (hint: add 'server HOST iburst', 'pool NAME iburst', "
		 "'refclock system' or 'local stratum N')"},
	};

	CHECK_BAD(bad);
}

/* Truncated messages stay terminated. */
static void
test_short_err(void)
{
	char err[16];
	struct cfg c;

	memset(err, 'x', sizeof(err));
	CU_ASSERT_EQUAL(parse_n("bogus\n", 6, &c, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, NAME ":1: un");
	CU_ASSERT_EQUAL(parse_n("bogus\n", 6, &c, err, 0), -1);
}

/* NTS (RFC 8915): the defaults, every directive, and each class of bad value. */
static void
test_nts(void)
{
	static const struct bad bad[] = {
		{BASE "ntsservercert /etc/c.pem\n", 3, "ntsservercert without ntsserverkey"},
		{BASE "\nntsserverkey /etc/k.pem\n", 4, "ntsserverkey without ntsservercert"},
		{BASE "ntsservercert c.pem\nntsserverkey /k\n", 3,
		 "'c.pem' is not an absolute path"},
		{BASE "ntsservercert /c\nntsserverkey k\n", 4, "'k' is not an absolute path"},
		{BASE "ntsport 0\n", 3, "ntsport '0' is not a number from 1 to 65535"},
		{BASE "ntsport 65536\n", 3, "ntsport '65536'"},
		{BASE "ntsport -1\n", 3, "ntsport '-1'"},
		{BASE "ntsprocesses 0\n", 3, "ntsprocesses '0' is not a number from 1 to 16"},
		{BASE "ntsprocesses 17\n", 3, "ntsprocesses '17'"},
		{BASE "maxntsconnections 0\n", 3, "maxntsconnections '0' is not a number from 1 "
						  "to 100000"},
		{BASE "maxntsconnections 100001\n", 3, "maxntsconnections '100001'"},
		{BASE "ntsrotate 59\n", 3, "ntsrotate '59' is not 0 or a number of seconds from 60"},
		{BASE "ntsrotate 1w\n", 3, "ntsrotate '1w'"},
		{BASE "ntsrotate 315360001000\n", 3, "ntsrotate '315360001000'"},
		{BASE "ntsdumpdir var/lib/strata\n", 3,
		 "ntsdumpdir 'var/lib/strata' is not an absolute directory"},
		{BASE "ntsntpserver -bad\n", 3, "'-bad' is not a host name or address"},
		{BASE "ntsntpserver [2001:db8::1]\n", 3, "without brackets"},
		{BASE "ntsport 4460\nntsport 4461\n", 4, "'ntsport' is already set on line 3"},
		{BASE "ntsrotate\n", 3, "'ntsrotate'"},
	};
	char err[512];
	struct cfg c;

	CHECK_BAD(bad);

	CU_ASSERT_EQUAL_FATAL(parse(BASE, &c, err), 0);
	CU_ASSERT_FALSE(cfg_nts_on(&c));
	CU_ASSERT_STRING_EQUAL(c.nts.cert, "");
	CU_ASSERT_STRING_EQUAL(c.nts.key, "");
	CU_ASSERT_EQUAL(c.nts.port, CFG_NTS_PORT_DEFAULT);
	CU_ASSERT_EQUAL(c.nts.processes, CFG_NTS_PROCESSES_DEFAULT);
	CU_ASSERT_EQUAL(c.nts.maxconns, CFG_NTS_MAXCONN_DEFAULT);
	CU_ASSERT_EQUAL(c.nts.rotate, CFG_NTS_ROTATE_DEFAULT);
	CU_ASSERT_STRING_EQUAL(c.nts.dumpdir, CFG_NTS_DUMPDIR_DEFAULT);
	CU_ASSERT_STRING_EQUAL(c.nts.ntpserver, "");
	CU_ASSERT_EQUAL(c.line.ntsrotate, 0);

	CU_ASSERT_EQUAL_FATAL(parse(BASE "ntsservercert /etc/strata/nts.crt\n"
					 "ntsserverkey /etc/strata/nts.key\n"
					 "ntsport 65535\nntsprocesses 16\nmaxntsconnections 100000\n"
					 "ntsrotate 0\nntsdumpdir /srv/nts/\n"
					 "ntsntpserver 2001:db8::1\n",
				    &c, err),
			      0);
	CU_ASSERT_TRUE(cfg_nts_on(&c));
	CU_ASSERT_STRING_EQUAL(c.nts.cert, "/etc/strata/nts.crt");
	CU_ASSERT_STRING_EQUAL(c.nts.key, "/etc/strata/nts.key");
	CU_ASSERT_EQUAL(c.nts.port, 65535);
	CU_ASSERT_EQUAL(c.nts.processes, 16);
	CU_ASSERT_EQUAL(c.nts.maxconns, 100000);
	CU_ASSERT_EQUAL(c.nts.rotate, 0);
	CU_ASSERT_STRING_EQUAL(c.nts.dumpdir, "/srv/nts");
	CU_ASSERT_STRING_EQUAL(c.nts.ntpserver, "2001:db8::1");
	CU_ASSERT_EQUAL(c.line.ntsservercert, 3);
	CU_ASSERT_EQUAL(c.line.ntsserverkey, 4);
	CU_ASSERT_EQUAL(c.line.ntsport, 5);
	CU_ASSERT_EQUAL(c.line.ntsprocesses, 6);
	CU_ASSERT_EQUAL(c.line.maxntsconnections, 7);
	CU_ASSERT_EQUAL(c.line.ntsrotate, 8);
	CU_ASSERT_EQUAL(c.line.ntsdumpdir, 9);
	CU_ASSERT_EQUAL(c.line.ntsntpserver, 10);

	/* the bounds that are still valid */
	CU_ASSERT_EQUAL_FATAL(parse(BASE "ntsrotate 60\nntsport 1\nntsntpserver ntp.example.net\n",
				    &c, err),
			      0);
	CU_ASSERT_EQUAL(c.nts.rotate, 60);
	CU_ASSERT_EQUAL(c.nts.port, 1);
	CU_ASSERT_STRING_EQUAL(c.nts.ntpserver, "ntp.example.net");
	CU_ASSERT_EQUAL_FATAL(parse(BASE "ntsrotate 316224000\nntsdumpdir /\n", &c, err), 0);
	CU_ASSERT_EQUAL(c.nts.rotate, CFG_NTS_ROTATE_MAX);
	CU_ASSERT_STRING_EQUAL(c.nts.dumpdir, "/");
	CU_ASSERT_NOT_EQUAL(parse(BASE "ntsrotate 316224001\n", &c, err), 0);
}

static void
test_load(void)
{
	char path[] = "/tmp/test_config.XXXXXX", err[512];
	static const char text[] = "listen xdp eth0 address 192.0.2.1\nrefclock system\n";
	struct cfg c;
	int fd;

	CU_ASSERT_EQUAL(cfg_load("/nonexistent/strata.conf", &c, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err,
			       "/nonexistent/strata.conf: cannot open: No such file or directory");

	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	CU_ASSERT_EQUAL(cfg_load(path, &c, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(c.listen[0].ifname, "eth0");
	CU_ASSERT_EQUAL(c.refclock_system, 1);

	/* messages name the file as given */
	fd = open(path, O_WRONLY | O_APPEND);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, "bogus\n", 6), 6);
	close(fd);
	CU_ASSERT_EQUAL(cfg_load(path, &c, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(strncmp(err, path, strlen(path)), 0);
	CU_ASSERT_EQUAL(strncmp(err + strlen(path), ":3: unknown directive 'bogus'", 29), 0);
	unlink(path);
}

static const struct test_case cases[] = {
	TEST_CASE(test_full_config),
	TEST_CASE(test_defaults),
	TEST_CASE(test_comments),
	TEST_CASE(test_service),
	TEST_CASE(test_unknown_directive),
	TEST_CASE(test_acl),
	TEST_CASE(test_ratelimit),
	TEST_CASE(test_sources),
	TEST_CASE(test_listen_dpdk),
	TEST_CASE(test_register),
	TEST_CASE(test_arguments),
	TEST_CASE(test_bad_address),
	TEST_CASE(test_special_address),
	TEST_CASE(test_duplicate_interface),
	TEST_CASE(test_duplicate_address),
	TEST_CASE(test_too_many_addresses),
	TEST_CASE(test_bad_interface),
	TEST_CASE(test_stratum),
	TEST_CASE(test_xdpmode),
	TEST_CASE(test_repeated),
	TEST_CASE(test_metrics),
	TEST_CASE(test_control),
	TEST_CASE(test_bpffs),
	TEST_CASE(test_user),
	TEST_CASE(test_controlgroup),
	TEST_CASE(test_long_line),
	TEST_CASE(test_bad_characters),
	TEST_CASE(test_no_listen),
	TEST_CASE(test_no_time_source),
	TEST_CASE(test_short_err),
	TEST_CASE(test_nts),
	TEST_CASE(test_load),
};

CUNIT_MAIN("config", cases)
