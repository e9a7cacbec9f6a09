/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * strata-pool's configuration parser (pool/poolconf.c): a full file,
 * defaults, and every error with its line and a hint.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "poolconf.h"

#include "cunit_main.h"

#define NAME "pool.conf"

static int
parse(const char *text, struct pcfg *c, char *err)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int ret;

	if (f == NULL)
		return -2;
	ret = pcfg_parse(NAME, f, c, err, 512);
	fclose(f);
	return ret;
}

#define HEAD "zone Pool.Example.Net.\npool ntp.pool.example.net\n"
#define TAIL "member ntp.pool.example.net 192.0.2.10\nlisten dns 127.0.0.1:53\n"

static void
test_full(void)
{
	static const char text[] =
		"# the registrar of pool.example.net\n"
		"zone pool.example.net\n"
		"pool ntp.pool.example.net answers 3 ttl 30   # comment\n"
		"pool EU.ntp.pool.example.net.\n"
		"member ntp.pool.example.net 192.0.2.10 2001:db8::10\n"
		"\tmember eu.ntp.pool.example.net 192.0.2.20\n"
		"registration 192.0.2.1:4460 key /etc/strata/pool.key\n"
		"listen dns 192.0.2.1:53\n"
		"listen dns [2001:db8::1]:53\n"
		"probe interval 4\n"
		"metrics 127.0.0.1:11124\n"
		"control /run/pool.sock\n"
		"user _strata-pool.1\n"
		"controlgroup adm\n"
		"update 192.0.2.53:53 zone pool.example.net tsig strata-pool hmac-sha256 /etc/k\n";
	struct pcfg c;
	char err[512];
	const struct sockaddr_in6 *sin6;

	CU_ASSERT_EQUAL_FATAL(parse(text, &c, err), 0);
	CU_ASSERT_STRING_EQUAL(c.zone, "pool.example.net");
	CU_ASSERT_EQUAL(c.n_pool, 2);
	CU_ASSERT_EQUAL(c.pool[0].answers, 3);
	CU_ASSERT_EQUAL(c.pool[0].ttl, 30);
	CU_ASSERT_STRING_EQUAL(c.pool[1].name, "eu.ntp.pool.example.net");
	CU_ASSERT_EQUAL(c.pool[1].answers, PCFG_ANSWERS_DEFAULT);
	CU_ASSERT_EQUAL(c.pool[1].ttl, PCFG_TTL_DEFAULT);
	CU_ASSERT_EQUAL(c.n_member, 2);
	CU_ASSERT_EQUAL(c.member[0].n_addr, 2);
	CU_ASSERT_EQUAL(c.member[1].pool, 1);
	CU_ASSERT_EQUAL(c.member[0].addr[1].ss_family, AF_INET6);
	CU_ASSERT_EQUAL(ntohs(((struct sockaddr_in *)&c.member[0].addr[0])->sin_port), 123);
	CU_ASSERT(c.has_registration);
	CU_ASSERT_STRING_EQUAL(c.reg_key, "/etc/strata/pool.key");
	CU_ASSERT_EQUAL(c.n_dns, 2);
	sin6 = (const struct sockaddr_in6 *)&c.dns[1].sa;
	CU_ASSERT_EQUAL(sin6->sin6_family, AF_INET6);
	CU_ASSERT_EQUAL(ntohs(sin6->sin6_port), 53);
	CU_ASSERT_EQUAL(c.interval, 4);
	CU_ASSERT(c.has_metrics);
	CU_ASSERT_STRING_EQUAL(c.control, "/run/pool.sock");
	CU_ASSERT_STRING_EQUAL(c.user, "_strata-pool.1");
	CU_ASSERT_STRING_EQUAL(c.controlgroup, "adm");
	CU_ASSERT(c.has_update);
	CU_ASSERT_STRING_EQUAL(c.update_zone, "pool.example.net");
	CU_ASSERT_STRING_EQUAL(c.tsig_name, "strata-pool");
	CU_ASSERT_STRING_EQUAL(c.tsig_alg, "hmac-sha256");

	CU_ASSERT_EQUAL_FATAL(parse(HEAD TAIL, &c, err), 0);
	CU_ASSERT_EQUAL(c.interval, PCFG_INTERVAL_DEFAULT);
	CU_ASSERT_STRING_EQUAL(c.control, PCFG_DEFAULT_CONTROL);
	CU_ASSERT_STRING_EQUAL(c.user, PCFG_DEFAULT_USER);
	CU_ASSERT_STRING_EQUAL(c.controlgroup, "strata-ops");
	CU_ASSERT_STRING_EQUAL(c.zone, "pool.example.net");
	CU_ASSERT(!c.has_update && !c.has_registration && !c.has_metrics);
}

static void
test_errors(void)
{
	static const struct {
		const char *text;
		const char *msg; /* expected after "pool.conf:LINE: " */
	} bad[] = {
		{HEAD TAIL "frobnicate 1\n",
		 "5: unknown directive 'frobnicate' (hint: one of zone"},
		{HEAD TAIL "zone other.net\n", "5: 'zone' is already set on line 1"},
		{"pool ntp.example.net\n", "1: pool before the zone line"},
		{HEAD "pool ntp.example.org\n", "3: pool 'ntp.example.org' is outside zone"},
		{HEAD "pool ntp.pool.example.net\n",
		 "3: pool 'ntp.pool.example.net' is already defined on line 2"},
		{HEAD "pool a.pool.example.net answers 0\n",
		 "3: answers '0' is not a number from 1 to 16"},
		{HEAD "pool a.pool.example.net answers 17\n", "3: answers '17'"},
		{HEAD "pool a.pool.example.net answers\n", "3: missing number after 'answers'"},
		{HEAD "pool a.pool.example.net ttl -1\n", "3: ttl '-1' is not a number of seconds"},
		{HEAD "pool a.pool.example.net weight 3\n", "3: unknown pool option 'weight'"},
		{HEAD "pool a..pool.example.net\n",
		 "3: pool name 'a..pool.example.net' has an empty label"},
		{HEAD "pool a_b!.pool.example.net\n",
		 "3: pool name 'a_b!.pool.example.net' has the character '!'"},
		{HEAD "member x.pool.example.net 192.0.2.1\n",
		 "3: no pool 'x.pool.example.net' above this line"},
		{HEAD "member ntp.pool.example.net host.example\n",
		 "3: 'host.example' is not an IPv4 or IPv6 address"},
		{HEAD "member ntp.pool.example.net 192.0.2.1:123\n",
		 "3: '192.0.2.1:123' is not an IPv4"},
		{HEAD "member ntp.pool.example.net 224.0.1.1\n",
		 "3: '224.0.1.1' is not a unicast address"},
		{HEAD "member ntp.pool.example.net 0.0.0.0\n", "3: '0.0.0.0' is not a unicast"},
		{HEAD "member ntp.pool.example.net ::ffff:192.0.2.1\n",
		 "3: '::ffff:192.0.2.1' is not a unicast"},
		{HEAD
		 "member ntp.pool.example.net 192.0.2.1\nmember ntp.pool.example.net 192.0.2.1\n",
		 "4: address '192.0.2.1' is already a member of pool 'ntp.pool.example.net' (line "
		 "3)"},
		{HEAD "member ntp.pool.example.net 192.0.2.1 192.0.2.1\n",
		 "3: address '192.0.2.1' is already"},
		{HEAD "member ntp.pool.example.net\n", "3: missing argument to 'member'"},
		{HEAD TAIL "registration 192.0.2.1 key /k\n", "5: '192.0.2.1' has no port"},
		{HEAD TAIL "registration 192.0.2.1:0 key /k\n",
		 "5: port '0' is not a number from 1 to 65535"},
		{HEAD TAIL "registration 2001:db8::1:4460 key /k\n",
		 "5: IPv6 address '2001:db8::1' needs brackets"},
		{HEAD TAIL "registration [2001:db8::x]:4460 key /k\n",
		 "5: '2001:db8::x' is not an IPv6"},
		{HEAD TAIL "registration 192.0.2.1:4460 secret /k\n",
		 "5: expected 'key', got 'secret'"},
		{HEAD TAIL "registration 192.0.2.1:4460 key k\n",
		 "5: key file 'k' is not an absolute path"},
		{HEAD TAIL "registration 192.0.2.1:4460\n",
		 "5: missing argument to 'registration'"},
		{HEAD TAIL "listen xdp eth0\n",
		 "5: unknown directive 'listen xdp' (hint: listen dns"},
		{HEAD TAIL "listen\n", "5: missing argument to 'listen' (hint: listen dns"},
		{HEAD TAIL "probe interval 0\n",
		 "5: probe interval '0' is not a number of seconds from 1"},
		{HEAD TAIL "probe interval 1.5\n", "5: probe interval '1.5'"},
		{HEAD TAIL "probe every 3\n", "5: unknown directive 'probe every'"},
		{HEAD TAIL "probe interval 4\nprobe interval 8\n",
		 "6: 'probe interval' is already set on line 5 (hint: keep one of them)"},
		{HEAD TAIL "metrics localhost:11124\n", "5: 'localhost' is not an IPv4 address"},
		{HEAD TAIL "user -strata\n",
		 "5: user name '-strata' is not 1 to 32 letters, digits, '.', '_' or '-' (hint: "
		 "user _strata)"},
		{HEAD TAIL "user _strata\nuser ntp\n", "6: 'user' is already set on line 5"},
		{HEAD TAIL "user\n", "5: missing argument to 'user' (hint: user _strata)"},
		{HEAD TAIL "controlgroup op/s\n",
		 "5: group name 'op/s' is not 1 to 32 letters, digits, '.', '_' or '-' (hint: "
		 "controlgroup strata-ops)"},
		{HEAD TAIL "controlgroup adm\ncontrolgroup ops\n",
		 "6: 'controlgroup' is already set on line 5"},
		{HEAD TAIL "control pool.sock\n",
		 "5: control path 'pool.sock' is not an absolute path"},
		{HEAD TAIL "update 192.0.2.53:53 zone pool.example.net tsig k hmac-md5 /k\n",
		 "5: TSIG algorithm 'hmac-md5' is not"},
		{HEAD TAIL "update 192.0.2.53:53 for pool.example.net tsig k hmac-sha256 /k\n",
		 "5: expected 'zone NAME tsig KEYNAME ALGORITHM KEYFILE'"},
		{HEAD TAIL "update 192.0.2.53:53 zone pool.example.net tsig k hmac-sha256\n",
		 "5: missing argument to 'update'"},
		{HEAD TAIL "update 192.0.2.53:53 zone other.example.net tsig k hmac-sha256 /k\n",
		 "5: pool 'ntp.pool.example.net' (line 2) is outside update zone "
		 "'other.example.net'"},
		{HEAD TAIL "pool\tb.pool.example.net\r\n",
		 "5: control character 0x0d in column 24 (hint: convert the DOS"},
		{HEAD TAIL "pool b.pool.example.net \xc3\xa9\n", "5: non-ASCII character 0xc3"},
		{"zone pool.example.net\n", "no 'pool' line"},
		{"pool a.b\n", "1: pool before the zone line"},
		{HEAD "member ntp.pool.example.net 192.0.2.1\n",
		 "neither 'listen dns' nor 'update'"},
		{HEAD "listen dns 127.0.0.1:53\n", "no 'member' and no 'registration' line"},
		{"", "no 'zone' line"},
	};
	struct pcfg c;
	char err[512], want[512];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(want, sizeof(want), NAME "%s%s",
			 bad[i].msg[0] >= '0' && bad[i].msg[0] <= '9' ? ":" : ": ", bad[i].msg);
		if (parse(bad[i].text, &c, err) != -1 || strncmp(err, want, strlen(want)) != 0) {
			printf("\n  case %zu: want '%s'\n           got  '%s'\n", i, want, err);
			CU_FAIL("wrong error");
		}
		/* every message carries a hint but the whole-file ones about missing lines */
		if (strstr(err, "(hint: ") == NULL)
			CU_FAIL(err);
	}
}

/* NTS probes (RFC 8915): a pool flag and chrony's directive for the trusted CAs */
static void
test_nts(void)
{
	static const char text[] = "zone pool.example.net\n"
				   "pool ntp.pool.example.net nts answers 3\n"
				   "pool plain.pool.example.net\n"
				   "pool b.pool.example.net ttl 5 answers 2 nts\n"
				   "ntstrustedcerts /etc/strata/ca.pem\n" TAIL;
	static const struct {
		const char *text;
		const char *msg;
	} bad[] = {
		{HEAD "pool a.pool.example.net nts nts\n" TAIL, "3: 'nts' given twice"},
		{HEAD "pool a.pool.example.net nts 3\n" TAIL, "3: unknown pool option '3'"},
		{HEAD "ntstrustedcerts ca.pem\n" TAIL,
		 "3: ntstrustedcerts file 'ca.pem' is not an absolute path"},
		{HEAD "ntstrustedcerts /a\nntstrustedcerts /b\n" TAIL,
		 "4: 'ntstrustedcerts' is already set on line 3"},
		{HEAD "ntstrustedcerts /etc/ca.pem\n" TAIL,
		 " ntstrustedcerts but no pool with 'nts'"},
	};
	struct pcfg c;
	char err[512], want[512];
	size_t i;

	CU_ASSERT_EQUAL_FATAL(parse(text, &c, err), 0);
	CU_ASSERT_EQUAL(c.n_pool, 3);
	CU_ASSERT(c.pool[0].nts && !c.pool[1].nts && c.pool[2].nts);
	CU_ASSERT_EQUAL(c.pool[0].answers, 3);
	CU_ASSERT_EQUAL(c.pool[2].answers, 2);
	CU_ASSERT_EQUAL(c.pool[2].ttl, 5);
	CU_ASSERT_STRING_EQUAL(c.nts_ca, "/etc/strata/ca.pem");
	CU_ASSERT_EQUAL_FATAL(parse(HEAD TAIL, &c, err), 0);
	CU_ASSERT(!c.pool[0].nts);
	CU_ASSERT_STRING_EQUAL(c.nts_ca, "");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(want, sizeof(want), NAME ":%s", bad[i].msg);
		if (parse(bad[i].text, &c, err) != -1 || strncmp(err, want, strlen(want)) != 0 ||
		    strstr(err, "(hint: ") == NULL) {
			printf("\n  case %zu: want '%s'\n           got  '%s'\n", i, want, err);
			CU_FAIL("wrong error");
		}
	}
}

static void
test_limits(void)
{
	static char text[8192];
	struct pcfg c;
	char err[512];
	size_t n = 0;
	int i;

	n += (size_t)snprintf(text + n, sizeof(text) - n, HEAD "listen dns 127.0.0.1:53\n");
	for (i = 0; i <= PCFG_MAX_MEMBERS; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "member ntp.pool.example.net 198.51.100.%d\n", i + 1);
	CU_ASSERT_EQUAL(parse(text, &c, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "pool.conf:68: more than 64 members in pool"));
	n = (size_t)snprintf(text, sizeof(text), "zone pool.example.net\n");
	for (i = 0; i <= PCFG_MAX_POOLS; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "pool p%d.pool.example.net\n", i);
	CU_ASSERT_EQUAL(parse(text, &c, err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "pool.conf:18: more than 16 pools"));
}

static void
test_names(void)
{
	char s[32] = "NTP.Pool.Example.";

	pcfg_name_norm(s);
	CU_ASSERT_STRING_EQUAL(s, "ntp.pool.example");
	CU_ASSERT(pcfg_in_zone("ntp.pool.example", "pool.example"));
	CU_ASSERT(pcfg_in_zone("pool.example", "pool.example"));
	CU_ASSERT(!pcfg_in_zone("xpool.example", "pool.example"));
	CU_ASSERT(!pcfg_in_zone("example", "pool.example"));
}

static const struct test_case cases[] = {
	TEST_CASE(test_full),	TEST_CASE(test_errors), TEST_CASE(test_nts),
	TEST_CASE(test_limits), TEST_CASE(test_names),
};

CUNIT_MAIN("poolconf", cases)
