/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a reload changes (lib/cfgdiff.c): each kind of line lands in its part,
 * line numbers alone change nothing, and the lines that need a restart are
 * named by their line and keep their running values.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "cfgdiff.h"
#include "config.h"

#include "cunit_main.h"

#define BASE                                                                                       \
	"listen xdp eth0 address 192.0.2.1\n"                                                      \
	"listen xdp eth1 address 192.0.2.2 address 2001:db8::2\n"                                  \
	"server 192.0.2.100 iburst\n"                                                              \
	"metrics 127.0.0.1:11123\n"

static struct cfg run, next;

static void
parse(const char *text, struct cfg *c)
{
	char err[256] = "";
	FILE *f = fmemopen((void *)text, strlen(text), "r");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	if (cfg_parse("test.conf", f, c, err, sizeof(err)) != 0)
		fprintf(stderr, "%s\n", err);
	fclose(f);
	CU_ASSERT_STRING_EQUAL_FATAL(err, "");
}

/* The parts that differ between BASE and BASE with @extra appended. */
static unsigned int
diff_extra(const char *extra)
{
	char text[1024];

	snprintf(text, sizeof(text), "%s%s", BASE, extra);
	parse(BASE, &run);
	parse(text, &next);
	return cfg_diff(&run, &next);
}

static void
test_line_numbers_alone(void)
{
	parse(BASE, &run);
	parse("# a comment moves every line\n\n" BASE, &next);
	CU_ASSERT_EQUAL(cfg_diff(&run, &next), 0);
}

static void
test_parts(void)
{
	CU_ASSERT_EQUAL(diff_extra("deny 198.51.100.0/24\n"), CFG_PART_FASTPATH);
	CU_ASSERT_EQUAL(diff_extra("allow 192.0.2.0/24\n"), CFG_PART_FASTPATH);
	CU_ASSERT_EQUAL(diff_extra("ratelimit interval 2\n"), CFG_PART_FASTPATH);
	CU_ASSERT_EQUAL(diff_extra("pool pool.example.net\n"), CFG_PART_TIME);
	CU_ASSERT_EQUAL(diff_extra("local stratum 10\n"), CFG_PART_TIME);
	CU_ASSERT_EQUAL(diff_extra("holdover 60\n"), CFG_PART_TIME);
	CU_ASSERT_EQUAL(diff_extra("register pool.example.net via 192.0.2.53 key /k\n"),
			CFG_PART_REGISTER);
	CU_ASSERT_EQUAL(diff_extra("user nobody\n"), CFG_PART_RESTART);
	CU_ASSERT_EQUAL(diff_extra("control /run/other.sock\n"), CFG_PART_RESTART);
	CU_ASSERT_EQUAL(diff_extra("controlgroup adm\n"), CFG_PART_RESTART);
	CU_ASSERT_EQUAL(diff_extra("xdpmode generic\n"), CFG_PART_RESTART);
	CU_ASSERT_EQUAL(diff_extra("driftfile /var/lib/strata/drift\n"), CFG_PART_RESTART);
	CU_ASSERT_EQUAL(diff_extra("bpffs none\n"), CFG_PART_RESTART);
	/* a new interface: a restart for it, and its addresses for the fast paths */
	CU_ASSERT_EQUAL(diff_extra("listen xdp eth2 address 192.0.2.3\n"),
			CFG_PART_RESTART | CFG_PART_FASTPATH);

	/* the same address on another line of a kept interface: the fast paths see the same */
	parse(BASE, &run);
	parse("listen xdp eth0 address 192.0.2.1 address 192.0.2.2\n"
	      "listen xdp eth1 address 2001:db8::2\n"
	      "server 192.0.2.100 iburst\nmetrics 127.0.0.1:11123\n",
	      &next);
	CU_ASSERT_EQUAL(cfg_diff(&run, &next), 0);
	/* an address added to a kept interface: the fast paths only */
	parse("listen xdp eth0 address 192.0.2.1 address 192.0.2.9\n"
	      "listen xdp eth1 address 192.0.2.2 address 2001:db8::2\n"
	      "server 192.0.2.100 iburst\nmetrics 127.0.0.1:11123\n",
	      &next);
	CU_ASSERT_EQUAL(cfg_diff(&run, &next), CFG_PART_FASTPATH);
	/* metrics moved or gone */
	parse("listen xdp eth0 address 192.0.2.1\n"
	      "listen xdp eth1 address 192.0.2.2 address 2001:db8::2\n"
	      "server 192.0.2.100 iburst\nmetrics 127.0.0.1:11125\n",
	      &next);
	CU_ASSERT_EQUAL(cfg_diff(&run, &next), CFG_PART_METRICS);
	parse("listen xdp eth0 address 192.0.2.1\n"
	      "listen xdp eth1 address 192.0.2.2 address 2001:db8::2\n"
	      "server 192.0.2.100 iburst\n",
	      &next);
	CU_ASSERT_EQUAL(cfg_diff(&run, &next), CFG_PART_METRICS);
	/* a source option */
	parse("listen xdp eth0 address 192.0.2.1\n"
	      "listen xdp eth1 address 192.0.2.2 address 2001:db8::2\n"
	      "server 192.0.2.100 iburst prefer\nmetrics 127.0.0.1:11123\n",
	      &next);
	CU_ASSERT_EQUAL(cfg_diff(&run, &next), CFG_PART_TIME);
}

static void
test_keep_restart(void)
{
	struct cfg_restart r = {0};
	char text[2048];

	parse(BASE "user _strata\n", &run);
	parse("listen xdp eth0 address 192.0.2.1 address 192.0.2.2\n" /* line 1 */
	      "listen xdp eth2 address 192.0.2.3\n"		      /* 2: new interface */
	      "listen dpdk net_null0 address 192.0.2.4\n"	      /* 3: new port */
	      "server 192.0.2.100 iburst\n"
	      "metrics 127.0.0.1:11123\n"
	      "user nobody\n"		  /* 6 */
	      "control /run/other.sock\n" /* 7 */
	      "xdpmode generic\n"	  /* 8 */
	      "deny 198.51.100.0/24\n"
	      "bpffs none\n", /* 10 */
	      &next);
	cfg_keep_restart(&run, &next, &r);
	cfg_restart_text(&r, text, sizeof(text));
	printf("\n%s", text);
	CU_ASSERT_EQUAL_FATAL(r.n, 7);
	CU_ASSERT_EQUAL(r.l[0].line, 8);
	CU_ASSERT_EQUAL(r.l[1].line, 7);
	CU_ASSERT_EQUAL(r.l[2].line, 6);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.l[2].what, "nobody"));
	CU_ASSERT_EQUAL(r.l[3].line, 10);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.l[3].what, "bpffs none"));
	CU_ASSERT_EQUAL(r.l[4].line, 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.l[4].what, "eth2"));
	CU_ASSERT_EQUAL(r.l[5].line, 3);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.l[5].what, "strata-dpdk"));
	CU_ASSERT_EQUAL(r.l[6].line, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.l[6].what, "eth1: removed"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "  line 6: user nobody"));

	/* what runs now: the old interfaces, eth1 with what eth0 did not take */
	CU_ASSERT_STRING_EQUAL(next.user, "_strata");
	CU_ASSERT_STRING_EQUAL(next.control, CFG_DEFAULT_CONTROL);
	CU_ASSERT_EQUAL(next.xdpmode, CFG_XDP_NATIVE);
	CU_ASSERT_STRING_EQUAL(next.bpffs, CFG_DEFAULT_BPFFS);
	CU_ASSERT_EQUAL_FATAL(next.n_listen, 2);
	CU_ASSERT_STRING_EQUAL(next.listen[0].ifname, "eth0");
	CU_ASSERT_EQUAL(next.listen[0].n_addr4, 2);
	CU_ASSERT_STRING_EQUAL(next.listen[1].ifname, "eth1");
	CU_ASSERT_EQUAL(next.listen[1].n_addr4, 0);
	CU_ASSERT_EQUAL(next.listen[1].n_addr6, 1);
	/* nothing left for a restart; the deny and eth0's address still to apply */
	CU_ASSERT_EQUAL(cfg_diff(&run, &next), CFG_PART_FASTPATH);

	/* the socket's group is given before the drop: named, the running one kept */
	memset(&r, 0, sizeof(r));
	parse(BASE "controlgroup adm\n", &next);
	cfg_keep_restart(&run, &next, &r);
	CU_ASSERT_EQUAL_FATAL(r.n, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.l[0].what, "controlgroup adm"));
	CU_ASSERT_STRING_EQUAL(next.controlgroup, CFG_DEFAULT_CONTROLGROUP);
	CU_ASSERT_EQUAL(cfg_diff(&run, &next), 0);
}

static void
test_keep_metrics(void)
{
	struct cfg_restart r = {0};

	parse(BASE, &run);
	parse("listen xdp eth0 address 192.0.2.1\n"
	      "listen xdp eth1 address 192.0.2.2 address 2001:db8::2\n"
	      "server 192.0.2.101 iburst\n" /* 3: changed */
	      "metrics 127.0.0.1:80\n",	    /* 4 */
	      &next);
	CU_ASSERT_EQUAL(cfg_diff(&run, &next), CFG_PART_TIME | CFG_PART_METRICS);
	cfg_keep_metrics(&run, &next, "port 80 needs a restart", &r);
	CU_ASSERT_EQUAL_FATAL(r.n, 1);
	CU_ASSERT_EQUAL(r.l[0].line, 4);
	CU_ASSERT_STRING_EQUAL(r.l[0].what, "metrics: port 80 needs a restart");
	/* the sources are the reference pipeline's to reload */
	CU_ASSERT_EQUAL(cfg_diff(&run, &next), CFG_PART_TIME);
}

static void
test_restart_overflow(void)
{
	struct cfg_restart r = {0};
	char text[64];
	unsigned int i;

	for (i = 0; i < CFG_RESTART_MAX + 3; i++)
		cfg_restart_add(&r, i + 1, "line %u", i + 1);
	CU_ASSERT_EQUAL(r.n, CFG_RESTART_MAX);
	CU_ASSERT_EQUAL(r.more, 3);
	/* a short buffer is cut, terminated */
	cfg_restart_text(&r, text, sizeof(text));
	CU_ASSERT(strlen(text) < sizeof(text));
}

/* NTS: stratad's master keys apply, strata-nts's lines are named, the key directory waits. */
static void
test_nts(void)
{
	struct cfg_restart r = {0};
	char text[2048];

	CU_ASSERT_EQUAL(diff_extra("ntsrotate 0\n"), CFG_PART_NTS);
	CU_ASSERT_EQUAL(diff_extra("ntsservercert /c\nntsserverkey /k\n"),
			CFG_PART_NTS | CFG_PART_NTS_PROC);
	CU_ASSERT_EQUAL(diff_extra("ntsport 4461\n"), CFG_PART_NTS_PROC);
	CU_ASSERT_EQUAL(diff_extra("ntsprocesses 2\n"), CFG_PART_NTS_PROC);
	CU_ASSERT_EQUAL(diff_extra("maxntsconnections 5\n"), CFG_PART_NTS_PROC);
	CU_ASSERT_EQUAL(diff_extra("ntsntpserver ntp.example.net\n"), CFG_PART_NTS_PROC);
	CU_ASSERT_EQUAL(diff_extra("ntsdumpdir /srv/nts\n"), CFG_PART_RESTART);
	/* the defaults written out change nothing */
	CU_ASSERT_EQUAL(diff_extra("ntsrotate 604800\nntsport 4460\nntsdumpdir /var/lib/strata\n"),
			0);

	parse(BASE "ntsservercert /c\nntsserverkey /k\n", &run);
	parse(BASE "ntsservercert /c2\n"  /* 5 */
		   "ntsserverkey /k\n"    /* 6 */
		   "ntsport 4461\n"       /* 7 */
		   "ntsprocesses 4\n"     /* 8 */
		   "maxntsconnections 9\n" /* 9 */
		   "ntsntpserver a.example\n" /* 10 */
		   "ntsdumpdir /srv/nts\n" /* 11 */
		   "ntsrotate 3600\n",
	      &next);
	CU_ASSERT_EQUAL(cfg_diff(&run, &next),
			CFG_PART_NTS | CFG_PART_NTS_PROC | CFG_PART_RESTART);
	cfg_keep_restart(&run, &next, &r);
	CU_ASSERT_EQUAL_FATAL(r.n, 1);
	CU_ASSERT_EQUAL(r.l[0].line, 11);
	CU_ASSERT_STRING_EQUAL(next.nts.dumpdir, CFG_NTS_DUMPDIR_DEFAULT);
	cfg_note_nts(&run, &next, &r);
	cfg_restart_text(&r, text, sizeof(text));
	printf("\n%s", text);
	CU_ASSERT_EQUAL_FATAL(r.n, 6);
	CU_ASSERT_EQUAL(r.l[1].line, 5);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.l[1].what, "reload strata-nts"));
	CU_ASSERT_EQUAL(r.l[2].line, 7);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.l[2].what, "restart strata-nts"));
	CU_ASSERT_EQUAL(r.l[3].line, 8);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.l[3].what, "reload strata-nts"));
	CU_ASSERT_EQUAL(r.l[4].line, 9);
	CU_ASSERT_EQUAL(r.l[5].line, 10);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.l[5].what, "reload strata-nts"));
	/* the rotation is stratad's own: applied, not listed */
	CU_ASSERT_EQUAL(cfg_diff(&run, &next), CFG_PART_NTS | CFG_PART_NTS_PROC);
}

static const struct test_case cases[] = {
	TEST_CASE(test_line_numbers_alone), TEST_CASE(test_parts),
	TEST_CASE(test_keep_restart),	    TEST_CASE(test_keep_metrics),
	TEST_CASE(test_restart_overflow),   TEST_CASE(test_nts),
};

CUNIT_MAIN("cfgdiff", cases)
