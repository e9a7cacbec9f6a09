/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stratad's reports: the control socket answers (stratad/ctl.c), the
 * Prometheus metrics (stratad/metrics.c) and the reporting thread that
 * serves both (stratad/server.c), end to end over a unix socket under /tmp
 * and TCP on 127.0.0.1.
 *
 * Expected texts are written out in full from a status with known values;
 * every JSON answer also goes through a small RFC 8259 validator below.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <strata/reply.h>

#include "ctl.h"
#include "metrics.h"
#include "server.h"
#include "waitsync.h"

#include "cunit_main.h"

#define BUF_SIZE (256 * 1024)
/* more silent peers than the metrics endpoint has slots */
#define CONN_FILL 20
#define PUBLISH_NS 10000000000ull /* last publish at 10 s of CLOCK_MONOTONIC */
#define NOW_NS 10250000000ull	  /* asked 250 ms later */

static char buf[BUF_SIZE];

/*
 * Two CPUs: cpu 0 replied 5, passed 2 non-IP frames, dropped 1 short;
 * cpu 1 replied 7 and 1 crypto-NAK, dropped 3 for their mode.
 * seen 19 = replies 13 + passes 2 + drops 4.
 */
static void
fill_status(struct status *st)
{
	memset(st, 0, sizeof(*st));
	strcpy(st->source, "refclock system");
	st->slot.srv.stratum = 2;
	st->slot.srv.refid = htonl(0xc0000205); /* 192.0.2.5 */
	st->slot.srv.leap = NTP_LEAP_NONE;
	st->slot.srv.precision = -20;
	st->slot.srv.root_delay = 0x00018000; /* 1.5 s */
	st->slot.srv.root_disp = 0x00000100;  /* 2^-8 s = 3.90625 ms */
	st->slot.srv.ref_time = ntp_from_unix(1700000000, 500000000, NULL);
	st->publish_mono_ns = PUBLISH_NS;
	st->publishes = 42;
	st->cfg_gen = 3;
	st->est_error_ns = 1500;
	st->max_error_ns = -1;
	strcpy(st->ifaces[0].ifname, "veth0");
	st->ifaces[0].ifindex = 3;
	st->ifaces[0].xdp_mode = "native";
	st->ifaces[0].rx_stamp = "software (kernel clock)";
	st->n_ifaces = 1;
	st->ncpu = 2;
	st->cpu[0].c[STRATA_R_REPLY] = 5;
	st->cpu[0].c[STRATA_R_PASS_NOT_IP] = 2;
	st->cpu[0].c[STRATA_R_DROP_SHORT] = 1;
	st->cpu[1].c[STRATA_R_REPLY] = 7;
	st->cpu[1].c[STRATA_R_REPLY_CRYPTO_NAK] = 1;
	st->cpu[1].c[STRATA_R_DROP_MODE] = 3;
}

/*
 * Two upstream sources: the system peer, a stratum 1 server of a pool, and
 * a falseticker 3 s off that answered none of the last polls.
 */
static void
fill_peers(struct status *st)
{
	memset(st->peers, 0, 2 * sizeof(st->peers[0]));
	st->n_peers = 2;
	snprintf(st->peers[0].name, sizeof(st->peers[0].name), "192.0.2.11");
	snprintf(st->peers[0].origin, sizeof(st->peers[0].origin), "ntp.example.org");
	memcpy(&st->peers[0].refid, "GPS", 4);
	st->peers[0].stratum = 1;
	st->peers[0].poll = 6;
	st->peers[0].reach = 0377;
	st->peers[0].when = 12;
	st->peers[0].delay = 0.000250;
	st->peers[0].offset = -0.000012;
	st->peers[0].jitter = 0.000003;
	st->peers[0].mark = '*';
	snprintf(st->peers[1].name, sizeof(st->peers[1].name), "2001:db8::14");
	st->peers[1].refid = htonl(0xc6336401);
	st->peers[1].stratum = 2;
	st->peers[1].poll = -2;
	st->peers[1].reach = 017;
	st->peers[1].when = -1;
	st->peers[1].offset = 3.0;
	st->peers[1].mark = 'x';
	st->sys_offset_s = -0.000012;
	st->sys_jitter_s = 0.000004;
	st->freq_ppm = 12.3456;
	st->n_truechimers = 1;
}

static struct status *
new_status(void)
{
	struct status *st = malloc(sizeof(*st));

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	fill_status(st);
	return st;
}

/* A structural JSON validator (RFC 8259): @return 0 when the value at *p parses. */
static int json_value(const char **p, int depth);

static void
json_ws(const char **p)
{
	while (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r')
		(*p)++;
}

static int
json_string(const char **p)
{
	if (**p != '"')
		return -1;
	for ((*p)++; **p != '"'; (*p)++) {
		if ((unsigned char)**p < 0x20)
			return -1; /* the NUL at the end, or a raw control character */
		if (**p != '\\')
			continue;
		(*p)++;
		if (**p == 'u') {
			int i;

			for (i = 0; i < 4; i++)
				if (!strchr("0123456789abcdefABCDEF", *++(*p)) || **p == '\0')
					return -1;
		} else if (**p == '\0' || strchr("\"\\/bfnrt", **p) == NULL) {
			return -1;
		}
	}
	(*p)++;
	return 0;
}

static int
json_digits(const char **p)
{
	const char *s = *p;

	while (**p >= '0' && **p <= '9')
		(*p)++;
	return *p > s ? 0 : -1;
}

static int
json_number(const char **p)
{
	if (**p == '-')
		(*p)++;
	if (**p == '0')
		(*p)++;
	else if (json_digits(p) != 0)
		return -1;
	if (**p == '.') {
		(*p)++;
		if (json_digits(p) != 0)
			return -1;
	}
	if (**p == 'e' || **p == 'E') {
		(*p)++;
		if (**p == '+' || **p == '-')
			(*p)++;
		if (json_digits(p) != 0)
			return -1;
	}
	return 0;
}

/* The members of an object or elements of an array, after the opening bracket. */
static int
json_items(const char **p, int depth, char close, int object)
{
	json_ws(p);
	if (**p == close) {
		(*p)++;
		return 0;
	}
	for (;;) {
		json_ws(p);
		if (object) {
			if (json_string(p) != 0)
				return -1;
			json_ws(p);
			if (*(*p)++ != ':')
				return -1;
		}
		if (json_value(p, depth + 1) != 0)
			return -1;
		json_ws(p);
		if (**p == close) {
			(*p)++;
			return 0;
		}
		if (*(*p)++ != ',')
			return -1;
	}
}

static int
json_value(const char **p, int depth)
{
	if (depth > 32)
		return -1;
	json_ws(p);
	switch (**p) {
	case '{':
		(*p)++;
		return json_items(p, depth, '}', 1);
	case '[':
		(*p)++;
		return json_items(p, depth, ']', 0);
	case '"':
		return json_string(p);
	case 't':
		return strncmp(*p, "true", 4) == 0 ? (*p += 4, 0) : -1;
	case 'f':
		return strncmp(*p, "false", 5) == 0 ? (*p += 5, 0) : -1;
	case 'n':
		return strncmp(*p, "null", 4) == 0 ? (*p += 4, 0) : -1;
	default:
		return json_number(p);
	}
}

static int
json_valid(const char *s)
{
	if (json_value(&s, 0) != 0)
		return 0;
	json_ws(&s);
	return *s == '\0';
}

static int
count(const char *hay, const char *needle)
{
	int n = 0;

	for (hay = strstr(hay, needle); hay != NULL; hay = strstr(hay + 1, needle))
		n++;
	return n;
}

/* The validator itself accepts and refuses what it should. */
static void
test_json_validator(void)
{
	CU_ASSERT(json_valid("{\"a\":[1,-2.5e3,true,false,null,\"x\\u00e9\\n\"],\"b\":{}}\n"));
	CU_ASSERT(json_valid("[]"));
	CU_ASSERT(!json_valid("{\"a\":1,}"));
	CU_ASSERT(!json_valid("{\"a\" 1}"));
	CU_ASSERT(!json_valid("[1 2]"));
	CU_ASSERT(!json_valid("{\"a\":01}"));
	CU_ASSERT(!json_valid("{\"a\":\"\x01\"}"));
	CU_ASSERT(!json_valid("{\"a\":\"\\x\"}"));
	CU_ASSERT(!json_valid("{\"a\":1}}"));
	CU_ASSERT(!json_valid("{\"a\":[1}"));
	CU_ASSERT(!json_valid("{\"a\":1.}"));
	CU_ASSERT(!json_valid("\"open"));
}

/* Columns for the outcomes that happened, a totals row, the verdict sums. */
static void
test_counters_text(void)
{
	static const char want[] =
		"cpu    reply  reply_crypto_nak  pass_not_ip  drop_short  drop_mode  seen\n"
		"========================================================================\n"
		"0          5                 0            2           1          0     8\n"
		"1          7                 1            0           0          3    11\n"
		"total     12                 1            2           1          3    19\n"
		"\n"
		"seen 19 = replies 13 + passes 2 + drops 4\n";
	struct status *st = new_status();
	int n;

	n = ctl_render("counters", st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT_EQUAL(n, (int)strlen(want));
	CU_ASSERT_STRING_EQUAL(buf, want);

	/* nothing counted yet: still the reply column, the totals and the sums */
	memset(st->cpu, 0, sizeof(st->cpu));
	n = ctl_render("counters\n", st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT(n > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "cpu    reply  seen\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\ntotal      0     0\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "seen 0 = replies 0 + passes 0 + drops 0\n"));
	free(st);
}

/* Every reason for every CPU and the total, then the verdict sums. */
static void
test_counters_json(void)
{
	static const char head[] =
		"{\"cpus\":[{\"cpu\":0,\"reply\":5,\"reply_crypto_nak\":0,\"reply_leak\":0,"
		"\"reply_kod_rate\":0,\"reply_kod_deny\":0,\"pass_not_ip\":2,";
	struct status *st = new_status();
	unsigned int r;
	int n;

	n = ctl_render("counters json", st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT_EQUAL(n, (int)strlen(buf));
	CU_ASSERT(json_valid(buf));
	CU_ASSERT_EQUAL(strncmp(buf, head, strlen(head)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "{\"cpu\":1,\"reply\":7,\"reply_crypto_nak\":1,"
					   "\"reply_leak\":0,\"reply_kod_rate\":0,"
					   "\"reply_kod_deny\":0,\"pass_not_ip\":0,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "],\"total\":{\"reply\":12,\"reply_crypto_nak\":1,"
					   "\"reply_leak\":0,\"reply_kod_rate\":0,"
					   "\"reply_kod_deny\":0,\"pass_not_ip\":2,\"pass_not_ours\":0,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"drop_short\":1,\"drop_version\":0,\"drop_mode\":3,"
					   "\"drop_bad_ext\":0,\"drop_no_time\":0,"
					   "\"drop_rate\":0,\"drop_deny\":0,"
					   "\"pass_other_mac\":0,\"drop_udp_csum0\":0,"
					   "\"reply_passive\":0},"));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(buf, "},\"seen\":19,\"replies\":13,\"passes\":2,\"drops\":4}\n"));
	for (r = 0; r < STRATA_R_MAX; r++) {
		char key[64];

		snprintf(key, sizeof(key), "\"%s\":", strata_reason_names[r]);
		CU_ASSERT_EQUAL(count(buf, key), 3); /* two CPUs and the total */
	}
	free(st);
}

static void
test_tracking_text(void)
{
	static const char want[] =
		"Time source     : refclock system\n"
		"Stratum         : 2\n"
		"Reference ID    : C0000205 (192.0.2.5)\n"
		"Leap status     : Normal\n"
		"Synchronised    : no\n"
		"Reference time  : 2023-11-14T22:13:20.500000000Z\n"
		"Root delay      : 1.500000000 seconds\n"
		"Root dispersion : 0.003906250 seconds\n"
		"Precision       : 2^-20 seconds\n"
		"Kernel est error: 0.000001500 seconds\n"
		"Snapshot age    : 0.250 seconds\n"
		"Publishes       : 42\n"
		"Configuration   : generation 3\n"
		"Interface veth0: XDP native, rx timestamps software (kernel clock)\n";
	struct status *st = new_status();
	int n;

	n = ctl_render("tracking", st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT_EQUAL(n, (int)strlen(want));
	CU_ASSERT_STRING_EQUAL(buf, want);
	free(st);
}

static void
test_tracking_json(void)
{
	static const char want[] =
		"{\"source\":\"refclock system\",\"stratum\":2,\"refid_hex\":\"C0000205\","
		"\"refid\":\"192.0.2.5\",\"leap\":0,\"leap_status\":\"Normal\","
		"\"synchronised\":false,\"error_s\":0.753906250,"
		"\"ref_time_unix\":1700000000.500000000,\"root_delay_s\":1.500000000,"
		"\"root_dispersion_s\":0.003906250,\"precision\":-20,\"est_error_s\":0.000001500,"
		"\"max_error_s\":null,\"snapshot_age_s\":0.250000000,\"publishes\":42,"
		"\"config_generation\":3,"
		"\"sys_peer\":null,\"offset_s\":null,\"jitter_s\":null,\"frequency_ppm\":null,"
		"\"truechimers\":0,\"interfaces\":[{\"name\":\"veth0\",\"ifindex\":3,"
		"\"xdp_mode\":\"native\",\"rx_stamp\":\"software\"}]}\n";
	struct status *st = new_status();
	int n;

	n = ctl_render(" tracking json\r\n", st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT_EQUAL(n, (int)strlen(want));
	CU_ASSERT_STRING_EQUAL(buf, want);
	CU_ASSERT(json_valid(buf));

	/* before the first publish nothing has an age */
	st->publishes = 0;
	st->slot.srv.ref_time = 0;
	st->n_ifaces = 0;
	ctl_render("tracking json", st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT(json_valid(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"ref_time_unix\":null,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"snapshot_age_s\":null,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"interfaces\":[]}"));
	ctl_render("tracking", st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "Reference time  : never\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "Snapshot age    : never published\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "Interfaces      : none\n"));
	free(st);
}

/* With upstream sources, chronyc's lines for the discipline, before the root delay. */
static void
test_tracking_sources(void)
{
	static const char want[] =
		"Reference time  : 2023-11-14T22:13:20.500000000Z\n"
		"System peer     : 192.0.2.11\n"
		"Last offset     : -0.000012000 seconds\n"
		"System jitter   : 0.000004000 seconds\n"
		"Frequency       : 12.346 ppm slow\n"
		"Truechimers     : 1\n"
		"Root delay      : 1.500000000 seconds\n";
	static const char want_json[] =
		",\"publishes\":42,\"config_generation\":3,\"sys_peer\":\"192.0.2.11\","
		"\"offset_s\":-0.000012000,\"jitter_s\":0.000004000,\"frequency_ppm\":12.345600,\"truechimers\":1,"
		"\"interfaces\":[";
	struct status *st = new_status();

	fill_peers(st);
	CU_ASSERT(ctl_render("tracking", st, NOW_NS, buf, sizeof(buf)) > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, want));
	CU_ASSERT(ctl_render("tracking json", st, NOW_NS, buf, sizeof(buf)) > 0);
	CU_ASSERT(json_valid(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, want_json));

	/* a negative correction slows strata's clock down: CLOCK_MONOTONIC runs fast */
	st->freq_ppm = -0.5;
	st->sys_offset_s = 0.000123;
	st->peers[0].mark = '+';
	ctl_render("tracking", st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\nSystem peer     : none\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\nLast offset     : +0.000123000 seconds\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\nFrequency       : 0.500 ppm fast\n"));
	ctl_render("tracking json", st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT(json_valid(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, ",\"sys_peer\":null,\"offset_s\":0.000123000,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, ",\"frequency_ppm\":-0.500000,"));
	free(st);
}

/* Stratum 1 and local clocks name themselves in ASCII (RFC 5905 section 7.3). */
static void
test_refid_ascii(void)
{
	struct status *st = new_status();

	st->slot.srv.stratum = 1;
	memcpy(&st->slot.srv.refid, "LOCL", 4);
	ctl_render("tracking", st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "Reference ID    : 4C4F434C (LOCL)\n"));

	st->slot.srv.stratum = 10; /* "local stratum 10" */
	ctl_render("tracking json", st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"refid_hex\":\"4C4F434C\",\"refid\":\"LOCL\","));

	st->slot.srv.stratum = 1;
	memcpy(&st->slot.srv.refid, "GPS\0", 4);
	ctl_render("tracking", st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "Reference ID    : 47505300 (GPS)\n"));
	free(st);
}

static void
test_leap_status(void)
{
	static const char *const want[4] = {
		"Normal",
		"Insert second",
		"Delete second",
		"Not synchronised",
	};
	struct status *st = new_status();
	char line[64];
	unsigned int leap;

	for (leap = 0; leap < 4; leap++) {
		st->slot.srv.leap = (__u8)leap;
		ctl_render("tracking", st, NOW_NS, buf, sizeof(buf));
		snprintf(line, sizeof(line), "Leap status     : %s\n", want[leap]);
		CU_ASSERT_PTR_NOT_NULL(strstr(buf, line));
		ctl_render("tracking json", st, NOW_NS, buf, sizeof(buf));
		snprintf(line, sizeof(line), "\"leap\":%u,\"leap_status\":\"%s\",", leap,
			 want[leap]);
		CU_ASSERT_PTR_NOT_NULL(strstr(buf, line));
		metrics_render(st, NOW_NS, buf, sizeof(buf));
		snprintf(line, sizeof(line), "\nstrata_leap %u\n", leap);
		CU_ASSERT_PTR_NOT_NULL(strstr(buf, line));
	}
	free(st);
}

/*
 * With a monotonic map the reports show what clients get now: dispersion
 * grown at 15 ppm since disp_base, and past the holdover limit leap 3 and
 * stratum 16, while the refid still reads as the upstream's address.
 */
static void
test_holdover_view(void)
{
	struct status *st = new_status();
	struct snap_map *m = &st->slot.map[SNAP_SCALE_MONO];
	__u64 base = st->slot.srv.ref_time;

	CU_ASSERT_EQUAL_FATAL(snap_map_set_rate(m, NSEC_PER_SEC, 0.0), 0);
	m->local_base = PUBLISH_NS;
	m->ntp_base = base;
	m->flags = SNAP_MAP_VALID;
	st->slot.srv.disp_base = base;
	st->slot.srv.disp_rate = snap_disp_rate_from_ppm(15.0);
	st->slot.srv.unsync_after = base + (1000ull << 32);
	st->slot.srv.flags = SNAP_SRV_UNSYNC_AFTER;

	/* 100 s on: 1.5 ms more dispersion (3.90625 + 1.5 ms, to 16 bits of a second) */
	ctl_render("tracking", st, PUBLISH_NS + 100 * NSEC_PER_SEC, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "Stratum         : 2\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "Root dispersion : 0.0054"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "Leap status     : Normal\n"));

	/* 2000 s on: past the holdover limit */
	ctl_render("tracking", st, PUBLISH_NS + 2000 * NSEC_PER_SEC, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "Stratum         : 16\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "Leap status     : Not synchronised\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "Reference ID    : C0000205 (192.0.2.5)\n"));
	metrics_render(st, PUBLISH_NS + 2000 * NSEC_PER_SEC, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\nstrata_stratum 16\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\nstrata_leap 3\n"));
	free(st);
}

/* Bytes a person put in names must not break the JSON or the metrics. */
static void
test_escaping(void)
{
	struct status *st = new_status();

	strcpy(st->source, "refclock \"odd\\\" \x01\n\xe9");
	strcpy(st->ifaces[0].ifname, "v\"e\\th");
	ctl_render("tracking json", st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT(json_valid(buf));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(buf, "\"source\":\"refclock \\\"odd\\\\\\\" \\u0001\\u000a\\u00e9\","));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"name\":\"v\\\"e\\\\th\","));
	metrics_render(st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "strata_interface_info{interface=\"v\\\"e\\\\th\","));
	free(st);
}

/* The metric families and exact samples; every sample follows its TYPE line. */
static void
test_metrics(void)
{
	static const char *const want[] = {
		"\n# TYPE strata_build_info gauge\nstrata_build_info{program=\"stratad\",version=\"",
		"# HELP strata_packets_total ",
		"\n# TYPE strata_packets_total counter\n",
		"\nstrata_packets_total{cpu=\"1\",outcome=\"reply\",verdict=\"reply\"} 7\n",
		"\nstrata_packets_total{cpu=\"0\",outcome=\"reply\",verdict=\"reply\"} 5\n",
		"\nstrata_packets_total{cpu=\"1\",outcome=\"reply_crypto_nak\",verdict=\"reply\"} "
		"1\n",
		"\nstrata_packets_total{cpu=\"0\",outcome=\"pass_not_ip\",verdict=\"pass\"} 2\n",
		"\nstrata_packets_total{cpu=\"0\",outcome=\"drop_short\",verdict=\"drop\"} 1\n",
		"\nstrata_packets_total{cpu=\"1\",outcome=\"drop_mode\",verdict=\"drop\"} 3\n",
		"\nstrata_packets_total{cpu=\"1\",outcome=\"drop_no_time\",verdict=\"drop\"} 0\n",
		"\n# TYPE strata_stratum gauge\nstrata_stratum 2\n",
		"\n# TYPE strata_leap gauge\nstrata_leap 0\n",
		"\n# TYPE strata_root_delay_seconds gauge\nstrata_root_delay_seconds 1.500000000\n",
		"\n# TYPE strata_root_dispersion_seconds gauge\n"
		"strata_root_dispersion_seconds 0.003906250\n",
		"\n# TYPE strata_snapshot_age_seconds gauge\nstrata_snapshot_age_seconds "
		"0.250000000\n",
		"\n# TYPE strata_snapshot_publishes_total counter\n"
		"strata_snapshot_publishes_total 42\n",
		"\n# TYPE strata_interface_info gauge\nstrata_interface_info{interface=\"veth0\","
		"xdp_mode=\"native\",rx_stamp=\"software\"} 1\n",
		"\n# TYPE strata_system_offset_seconds gauge\nstrata_system_offset_seconds "
		"0.000000000\n",
		"\n# TYPE strata_system_jitter_seconds gauge\nstrata_system_jitter_seconds "
		"0.000000000\n",
		"\n# TYPE strata_frequency_ppm gauge\nstrata_frequency_ppm 0.000000\n",
		"\n# TYPE strata_truechimers gauge\nstrata_truechimers 0\n",
	};
	struct status *st = new_status();
	char *line, *save, typed[32][64];
	unsigned int i, ntyped = 0;
	int n;

	n = metrics_render(st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT_EQUAL(n, (int)strlen(buf));
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (strstr(buf, want[i]) == NULL)
			CU_FAIL(want[i]);
	CU_ASSERT_EQUAL(count(buf, "\nstrata_packets_total{"), 2 * STRATA_R_MAX);
	CU_ASSERT_PTR_NULL(strstr(buf, "strata_source_"));
	CU_ASSERT_EQUAL(count(buf, "# HELP "), count(buf, "# TYPE "));
	CU_ASSERT_EQUAL(buf[n - 1], '\n');

	for (line = strtok_r(buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		size_t name = strcspn(line, "{ ");

		if (strncmp(line, "# TYPE ", 7) == 0 && ntyped < 32) {
			snprintf(typed[ntyped++], sizeof(typed[0]), "%.*s",
				 (int)strcspn(line + 7, " "), line + 7);
		} else if (line[0] != '#') {
			for (i = 0; i < ntyped; i++)
				if (strlen(typed[i]) == name && strncmp(typed[i], line, name) == 0)
					break;
			CU_ASSERT(i < ntyped);
		}
	}

	/* never published: infinitely stale */
	st->publishes = 0;
	metrics_render(st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\nstrata_snapshot_age_seconds +Inf\n"));
	free(st);
}

/* Each source family has its TYPE line, then one sample per source. */
static void
test_metrics_sources(void)
{
	static const char *const want[] = {
		"\n# TYPE strata_source_offset_seconds gauge\n"
		"strata_source_offset_seconds{remote=\"192.0.2.11\",origin=\"ntp.example.org\"} "
		"-0.000012000\n"
		"strata_source_offset_seconds{remote=\"2001:db8::14\",origin=\"\"} 3.000000000\n",
		"\n# TYPE strata_source_delay_seconds gauge\n"
		"strata_source_delay_seconds{remote=\"192.0.2.11\",origin=\"ntp.example.org\"} "
		"0.000250000\n"
		"strata_source_delay_seconds{remote=\"2001:db8::14\",origin=\"\"} 0.000000000\n",
		"\n# TYPE strata_source_jitter_seconds gauge\n"
		"strata_source_jitter_seconds{remote=\"192.0.2.11\",origin=\"ntp.example.org\"} "
		"0.000003000\n"
		"strata_source_jitter_seconds{remote=\"2001:db8::14\",origin=\"\"} 0.000000000\n",
		"\n# TYPE strata_source_stratum gauge\n"
		"strata_source_stratum{remote=\"192.0.2.11\",origin=\"ntp.example.org\"} 1\n"
		"strata_source_stratum{remote=\"2001:db8::14\",origin=\"\"} 2\n",
		"\n# TYPE strata_source_reach gauge\n"
		"strata_source_reach{remote=\"192.0.2.11\",origin=\"ntp.example.org\"} 255\n"
		"strata_source_reach{remote=\"2001:db8::14\",origin=\"\"} 15\n",
		"\n# TYPE strata_source_selected gauge\n"
		"strata_source_selected{remote=\"192.0.2.11\",origin=\"ntp.example.org\"} 1\n"
		"strata_source_selected{remote=\"2001:db8::14\",origin=\"\"} 0\n",
		"\n# TYPE strata_source_state gauge\n"
		"strata_source_state{remote=\"192.0.2.11\",origin=\"ntp.example.org\","
		"state=\"sys_peer\"} 1\n"
		"strata_source_state{remote=\"2001:db8::14\",origin=\"\","
		"state=\"falseticker\"} 1\n",
		"\n# TYPE strata_system_offset_seconds gauge\nstrata_system_offset_seconds "
		"-0.000012000\n",
		"\n# TYPE strata_system_jitter_seconds gauge\nstrata_system_jitter_seconds "
		"0.000004000\n",
		"\n# TYPE strata_frequency_ppm gauge\nstrata_frequency_ppm 12.345600\n",
		"\n# TYPE strata_truechimers gauge\nstrata_truechimers 1\n",
	};
	static const char marks[] = "*+-x? ";
	static const char *const states[] = {
		"sys_peer", "survivor", "outlier", "falseticker", "unreachable", "unselected",
	};
	struct status *st = new_status();
	char line[128];
	unsigned int i;
	int n;

	fill_peers(st);
	n = metrics_render(st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT_EQUAL(n, (int)strlen(buf));
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (strstr(buf, want[i]) == NULL)
			CU_FAIL(want[i]);
	CU_ASSERT_EQUAL(count(buf, "# HELP strata_source_"), 7);
	CU_ASSERT_EQUAL(count(buf, "\nstrata_source_"), 7 * 2);

	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		st->peers[1].mark = marks[i];
		metrics_render(st, NOW_NS, buf, sizeof(buf));
		snprintf(line, sizeof(line),
			 "{remote=\"2001:db8::14\",origin=\"\",state=\"%s\"} 1\n", states[i]);
		CU_ASSERT_PTR_NOT_NULL(strstr(buf, line));
	}

	/* a configured name is the user's text: escaped like the others */
	strcpy(st->peers[1].origin, "a\"b\\c");
	metrics_render(st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\nstrata_source_reach{remote=\"2001:db8::14\","
					   "origin=\"a\\\"b\\\\c\"} 15\n"));
	free(st);
}

/*
 * A member's registrations are strata_registr*: strata-pool's metrics own the
 * strata_pool_ prefix, and the same name from both would mean two things.
 */
static void
test_metrics_registrations(void)
{
	struct status *st = new_status();

	st->n_regs = 1;
	strcpy(st->regs[0].pool, "pool.example.net");
	strcpy(st->regs[0].registrar, "192.0.2.53:4460");
	st->regs[0].state = "registered";
	st->regs[0].acked = 3;
	metrics_render(st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\nstrata_registered{pool=\"pool.example.net\","
					   "registrar=\"192.0.2.53:4460\"} 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\nstrata_registrations_total{pool=\"pool.example.net\","
					   "registrar=\"192.0.2.53:4460\",outcome=\"acked\"} 3\n"));
	CU_ASSERT_PTR_NULL(strstr(buf, "strata_pool_"));
	free(st);
}

/*
 * Every buffer shorter than the answer and its NUL gives -2 and writes
 * nothing past its end; one byte more gives the whole answer.
 */
static void
test_small_buffers(void)
{
	static const char *const cmds[] = {
		"counters", "counters json", "tracking", "tracking json", "bogus", NULL,
	};
	static char small[BUF_SIZE];
	struct status *st = new_status();
	unsigned int c;
	size_t len;

	fill_peers(st);
	for (c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++) {
		int full, n;

		if (cmds[c] != NULL)
			full = ctl_render(cmds[c], st, NOW_NS, buf, sizeof(buf));
		else
			full = metrics_render(st, NOW_NS, buf, sizeof(buf));
		if (full == -1)
			full = (int)strlen(buf);
		CU_ASSERT_FATAL(full > 0);
		for (len = 0; len <= (size_t)full + 1; len++) {
			memset(small, 0x5a, (size_t)full + 2);
			if (cmds[c] != NULL)
				n = ctl_render(cmds[c], st, NOW_NS, small, len);
			else
				n = metrics_render(st, NOW_NS, small, len);
			if (len <= (size_t)full) {
				CU_ASSERT_EQUAL(n, -2);
			} else {
				CU_ASSERT_EQUAL(n,
						cmds[c] != NULL && cmds[c][0] == 'b' ? -1 : full);
			}
			CU_ASSERT_EQUAL(small[len], 0x5a);
		}
	}
	CU_ASSERT_EQUAL(ctl_render("counters", st, NOW_NS, NULL, 0), -2);
	CU_ASSERT_EQUAL(metrics_render(st, NOW_NS, NULL, 0), -2);
	free(st);
}

static void
test_unknown_command(void)
{
	struct status *st = new_status();
	char cmd[300];

	CU_ASSERT_EQUAL(ctl_render("foo", st, NOW_NS, buf, sizeof(buf)), -1);
	CU_ASSERT_STRING_EQUAL(buf, "unknown command 'foo' (known: counters, nts, reload, "
				    "serverstats, sources, tracking)\n");
	CU_ASSERT_EQUAL(ctl_render("counters xml", st, NOW_NS, buf, sizeof(buf)), -1);
	CU_ASSERT_EQUAL(ctl_render("", st, NOW_NS, buf, sizeof(buf)), -1);
	CU_ASSERT_STRING_EQUAL(buf, "unknown command '' (known: counters, nts, reload, "
				    "serverstats, sources, tracking)\n");
	CU_ASSERT_EQUAL(ctl_render("a\x01\x1b[2Jb\n", st, NOW_NS, buf, sizeof(buf)), -1);
	CU_ASSERT_STRING_EQUAL(buf, "unknown command 'a??[2Jb' (known: counters, nts, reload, "
				    "serverstats, sources, tracking)\n");

	memset(cmd, 'x', sizeof(cmd) - 1);
	cmd[sizeof(cmd) - 1] = '\0';
	CU_ASSERT_EQUAL(ctl_render(cmd, st, NOW_NS, buf, sizeof(buf)), -1);
	/* the echo stops at 64 characters and "...": the answer is the echo and the fixed text */
	CU_ASSERT_EQUAL(strlen(buf), strlen("unknown command '") + 64 + 3 +
					     strlen("' (known: counters, nts, reload, serverstats, "
						    "sources, tracking)\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "xxx...' (known"));
	free(st);
}

/*
 * The reporting thread end to end.
 */

static int gets;

static void
get_status(struct status *out, void *arg)
{
	CU_ASSERT_PTR_EQUAL(arg, &gets);
	gets++;
	fill_status(out);
}

static int
set_timeouts(int fd)
{
	struct timeval tv = {.tv_sec = 5};

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* Send @req (@len bytes) on connected @fd, then read to EOF into buf. @return the length. */
static ssize_t
exchange(int fd, const char *req, size_t len, int shut)
{
	size_t n = 0;
	ssize_t r;

	set_timeouts(fd);
	CU_ASSERT_EQUAL(send(fd, req, len, MSG_NOSIGNAL), (ssize_t)len);
	if (shut)
		shutdown(fd, SHUT_WR);
	while (n + 1 < sizeof(buf) && (r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	close(fd);
	return (ssize_t)n;
}

static int
connect_unix(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	strcpy(sun.sun_path, path);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL_FATAL(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

static ssize_t
ask_control(const char *path, const char *req, int shut)
{
	return exchange(connect_unix(path), req, strlen(req), shut);
}

static ssize_t
ask_http_n(const struct sockaddr_in *sin, const char *req, size_t len)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL_FATAL(connect(fd, (const struct sockaddr *)sin, sizeof(*sin)), 0);
	return exchange(fd, req, len, 0);
}

static ssize_t
ask_http(const struct sockaddr_in *sin, const char *req)
{
	return ask_http_n(sin, req, strlen(req));
}

/* A free loopback port: bind port 0, read what the kernel chose, let it go. */
static void
free_port(struct sockaddr_in *sin)
{
	socklen_t len = sizeof(*sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL_FATAL(bind(fd, (struct sockaddr *)sin, sizeof(*sin)), 0);
	CU_ASSERT_EQUAL_FATAL(getsockname(fd, (struct sockaddr *)sin, &len), 0);
	close(fd);
}

/* The HTTP body's length matches Content-Length. */
static void
check_http(int code, const char *type)
{
	char status[32];
	const char *body, *cl;

	snprintf(status, sizeof(status), "HTTP/1.1 %d ", code);
	CU_ASSERT_EQUAL(strncmp(buf, status, strlen(status)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\r\nConnection: close\r\n"));
	if (type != NULL)
		CU_ASSERT_PTR_NOT_NULL(strstr(buf, type));
	body = strstr(buf, "\r\n\r\n");
	cl = strstr(buf, "\r\nContent-Length: ");
	CU_ASSERT_FATAL(body != NULL && cl != NULL && cl < body);
	CU_ASSERT_EQUAL(strtoul(cl + 18, NULL, 10), strlen(body + 4));
}

static void
test_server(void)
{
	static const char nul_req[] = "GET\0/metrics HTTP/1.1\r\n\r\n";
	char dir[64], path[96], *p;
	struct sockaddr_in sin;
	struct server *s;
	struct stat sb;
	int fd;

	snprintf(dir, sizeof(dir), "/tmp/strata-test-ctl.%d", (int)getpid());
	snprintf(path, sizeof(path), "%s/stratad.sock", dir);
	unlink(path);
	rmdir(dir);
	free_port(&sin);

	s = server_start(path, (struct sockaddr *)&sin, sizeof(sin), get_status, &gets);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	/* the missing directory was created, the socket is for the group */
	CU_ASSERT_EQUAL(stat(dir, &sb), 0);
	CU_ASSERT(S_ISDIR(sb.st_mode));
	CU_ASSERT_EQUAL(stat(path, &sb), 0);
	CU_ASSERT(S_ISSOCK(sb.st_mode));
	CU_ASSERT_EQUAL(sb.st_mode & 0777, 0660);

	CU_ASSERT(ask_control(path, "tracking json\n", 0) > 0);
	CU_ASSERT(json_valid(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"stratum\":2,\"refid_hex\":\"C0000205\","
					   "\"refid\":\"192.0.2.5\",\"leap\":0,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"root_delay_s\":1.500000000,"));
	CU_ASSERT_EQUAL(gets, 1);

	/* no newline, but the client is done sending: still a command */
	CU_ASSERT(ask_control(path, "counters", 1) > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "seen 19 = replies 13 + passes 2 + drops 4\n"));

	CU_ASSERT(ask_control(path, "bogus\n", 0) > 0);
	CU_ASSERT_STRING_EQUAL(buf, "error: unknown command 'bogus' (known: counters, nts, reload, "
				    "serverstats, sources, tracking)\n");

	p = malloc(400);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	memset(p, 'x', 399);
	p[399] = '\0';
	CU_ASSERT(ask_control(path, p, 0) > 0);
	CU_ASSERT_STRING_EQUAL(buf, "error: command longer than 256 bytes\n");
	free(p);

	/* a client that connects and leaves costs nothing */
	close(connect_unix(path));
	fd = connect_unix(path);
	shutdown(fd, SHUT_WR);
	close(fd);

	CU_ASSERT(ask_http(&sin, "GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n") > 0);
	check_http(200, "\r\nContent-Type: text/plain; version=0.0.4");
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\nstrata_stratum 2\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(
		buf, "\nstrata_packets_total{cpu=\"1\",outcome=\"reply\",verdict=\"reply\"} 7\n"));

	CU_ASSERT(ask_http(&sin, "GET /metrics?x=1 HTTP/1.0\n\n") > 0);
	check_http(200, "version=0.0.4");
	CU_ASSERT(ask_http(&sin, "GET / HTTP/1.1\r\n\r\n") > 0);
	check_http(200, "text/html");
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "href=\"/metrics\""));
	CU_ASSERT(ask_http(&sin, "GET /nope HTTP/1.1\r\n\r\n") > 0);
	check_http(404, NULL);
	CU_ASSERT(ask_http(&sin, "GET /metricsx HTTP/1.1\r\n\r\n") > 0);
	check_http(404, NULL);
	CU_ASSERT(ask_http(&sin, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n") > 0);
	check_http(405, NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\r\nAllow: GET\r\n"));
	CU_ASSERT(ask_http(&sin, "hello\r\n\r\n") > 0);
	check_http(400, NULL);
	CU_ASSERT(ask_http(&sin, "GET /metrics\r\n\r\n") > 0);
	check_http(400, NULL);
	CU_ASSERT(ask_http_n(&sin, nul_req, sizeof(nul_req) - 1) > 0);
	check_http(400, NULL);

	/* a head longer than 4 KiB without its blank line */
	p = malloc(6000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	memcpy(p, "GET /metrics HTTP/1.1\r\nX: ", 26);
	memset(p + 26, 'y', 6000 - 27);
	p[5999] = '\0';
	CU_ASSERT(ask_http(&sin, p) > 0);
	check_http(400, NULL);
	free(p);

	/* still serving after all that */
	CU_ASSERT(ask_control(path, "tracking\n", 0) > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "Reference ID    : C0000205 (192.0.2.5)\n"));

	server_stop(s);
	CU_ASSERT_EQUAL(access(path, F_OK), -1);
	CU_ASSERT_EQUAL(errno, ENOENT);
	CU_ASSERT_EQUAL(rmdir(dir), 0);
}

/* Connect and send @req without reading: the answer comes when the main loop gives it. */
static int
send_control(const char *path, const char *req)
{
	int fd = connect_unix(path);

	set_timeouts(fd);
	CU_ASSERT_EQUAL(send(fd, req, strlen(req), MSG_NOSIGNAL), (ssize_t)strlen(req));
	return fd;
}

static void
read_all(int fd)
{
	size_t n = 0;
	ssize_t r;

	while (n + 1 < sizeof(buf) && (r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	close(fd);
}

/* The main loop's side of a reload: wait for the request, take it. */
static uint64_t
take_reload(struct server *s)
{
	struct pollfd p = {.fd = server_reload_fd(s), .events = POLLIN};

	CU_ASSERT_EQUAL(poll(&p, 1, 5000), 1);
	return server_reload_take(s);
}

/*
 * "reload" waits for the main loop, which answers every request taken; the
 * thread serves others meanwhile. The metrics listener moves, also to the
 * same port on another address (the old one is closed first).
 */
static void
test_server_reload(void)
{
	struct sockaddr_in sin, sin2, any;
	char path[96];
	struct server *s;
	uint64_t t;
	int a, b, fd;

	snprintf(path, sizeof(path), "/tmp/strata-test-reload.%d.sock", (int)getpid());
	free_port(&sin);
	s = server_start(path, (struct sockaddr *)&sin, sizeof(sin), get_status, &gets);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);

	/* nothing asked: nothing to take */
	CU_ASSERT_EQUAL(server_reload_take(s), 0);
	a = send_control(path, "reload\n");
	t = take_reload(s);
	CU_ASSERT_EQUAL(t, 1);
	b = send_control(path, " reload \n");
	/* while both wait, the thread answers others */
	CU_ASSERT(ask_control(path, "tracking\n", 0) > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "Reference ID"));
	server_reload_done(s, t, "reload applied: generation 7 (new)\n");
	read_all(a);
	CU_ASSERT_STRING_EQUAL(buf, "reload applied: generation 7 (new)\n");
	/* the second came after the take: it waits for the next reload */
	t = take_reload(s);
	CU_ASSERT_EQUAL(t, 2);
	server_reload_done(s, t, "error: reload refused: x.conf:3: bad\n");
	read_all(b);
	CU_ASSERT_STRING_EQUAL(buf, "error: reload refused: x.conf:3: bad\n");
	/* "reload json" is not a reload: ctl.c's unknown command */
	CU_ASSERT(ask_control(path, "reload json\n", 0) > 0);
	CU_ASSERT_EQUAL(strncmp(buf, "error: unknown command", 22), 0);

	/* the metrics move to another port, then to the same port on any address */
	free_port(&sin2);
	CU_ASSERT_EQUAL(server_metrics(s, (struct sockaddr *)&sin2, sizeof(sin2)), 0);
	CU_ASSERT(ask_http(&sin2, "GET /metrics HTTP/1.1\r\n\r\n") > 0);
	check_http(200, NULL);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	CU_ASSERT_EQUAL(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), -1);
	close(fd);
	any = sin2;
	any.sin_addr.s_addr = htonl(INADDR_ANY);
	CU_ASSERT_EQUAL(server_metrics(s, (struct sockaddr *)&any, sizeof(any)), 0);
	CU_ASSERT(ask_http(&sin2, "GET /metrics HTTP/1.1\r\n\r\n") > 0);
	check_http(200, NULL);
	/* gone */
	CU_ASSERT_EQUAL(server_metrics(s, NULL, 0), 0);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	CU_ASSERT_EQUAL(connect(fd, (struct sockaddr *)&sin2, sizeof(sin2)), -1);
	close(fd);
	server_stop(s);
}

/* ask_control() without CUnit, for a forked child. @return 1 with the answer in buf, else 0. */
static int
child_ask(const char *path, const char *req)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	size_t n = 0;
	ssize_t r;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	strcpy(sun.sun_path, path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req))
		return 0;
	set_timeouts(fd);
	while (n + 1 < sizeof(buf) && (r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	close(fd);
	return n > 0;
}

/*
 * A reload from a peer that is neither root nor stratad's user is refused
 * with CTL_DENIED and never reaches the main loop; reads still work for it.
 * The peer is a child that became nobody: only a test run as root can.
 */
static void
test_server_reload_denied(void)
{
	char path[96];
	struct server *s;
	pid_t pid;
	int st;

	if (geteuid() != 0) {
		printf("\n  (not root: a peer of another uid cannot be made; skipped)\n");
		return;
	}
	snprintf(path, sizeof(path), "/tmp/strata-test-denied.%d.sock", (int)getpid());
	s = server_start(path, NULL, 0, get_status, &gets);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(chmod(path, 0666), 0);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		/* no CUnit here: a failed assertion would run the suite on in the child */
		int ok;

		if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
			_exit(2);
		ok = child_ask(path, "reload\n") &&
		     strncmp(buf, CTL_DENIED ": reload changes", strlen(CTL_DENIED) + 16) == 0;
		ok = ok && child_ask(path, "tracking\n") && strstr(buf, "Reference ID") != NULL;
		_exit(ok ? 0 : 1);
	}
	CU_ASSERT_EQUAL(waitpid(pid, &st, 0), pid);
	CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* nothing was handed to the main loop; root still may */
	CU_ASSERT_EQUAL(server_reload_take(s), 0);
	st = send_control(path, "reload\n");
	CU_ASSERT_EQUAL(take_reload(s), 1);
	close(st);
	server_stop(s);
}

/* Start failures say why in errno and leave nothing behind; a stale socket is replaced. */
static void
test_server_start_errors(void)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct sockaddr_in sin;
	char path[64];
	struct server *s;
	int fd, busy;
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/strata-test-ctl.%d.sock", (int)getpid());
	unlink(path);

	/* a regular file where the socket goes is not ours to remove */
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fclose(f);
	s = server_start(path, NULL, 0, get_status, &gets);
	CU_ASSERT_PTR_NULL(s);
	CU_ASSERT_EQUAL(errno, EEXIST);
	CU_ASSERT_EQUAL(unlink(path), 0);

	/* the metrics port is taken: no server, no socket file */
	free_port(&sin);
	busy = socket(AF_INET, SOCK_STREAM, 0);
	CU_ASSERT_EQUAL_FATAL(bind(busy, (struct sockaddr *)&sin, sizeof(sin)), 0);
	CU_ASSERT_EQUAL_FATAL(listen(busy, 1), 0);
	s = server_start(path, (struct sockaddr *)&sin, sizeof(sin), get_status, &gets);
	CU_ASSERT_PTR_NULL(s);
	CU_ASSERT_EQUAL(errno, EADDRINUSE);
	CU_ASSERT_EQUAL(access(path, F_OK), -1);
	close(busy);

	/* a socket left by a stratad that died is replaced */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sun.sun_path, path);
	CU_ASSERT_EQUAL_FATAL(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	s = server_start(path, NULL, 0, get_status, &gets);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT(ask_control(path, "counters json\n", 0) > 0);
	CU_ASSERT(json_valid(buf));
	server_stop(s);
	CU_ASSERT_EQUAL(access(path, F_OK), -1);

	/* longer than sun_path */
	memset(buf, 'a', 200);
	buf[0] = '/';
	buf[200] = '\0';
	s = server_start(buf, NULL, 0, get_status, &gets);
	CU_ASSERT_PTR_NULL(s);
	CU_ASSERT_EQUAL(errno, ENAMETOOLONG);
}

/* Metrics of 256 CPUs: several hundred KiB, more than socket buffers take at once. */
static void
get_big_status(struct status *out, void *arg)
{
	get_status(out, arg);
	out->ncpu = STATUS_MAX_CPUS;
}

/* A loopback connection to @sin; a receive buffer of @rcvbuf when not 0. */
static int
connect_tcp(const struct sockaddr_in *sin, int rcvbuf)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	CU_ASSERT_FATAL(fd >= 0);
	/* before connect(): the window offered in the handshake follows it */
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	CU_ASSERT_EQUAL_FATAL(connect(fd, (const struct sockaddr *)sin, sizeof(*sin)), 0);
	return fd;
}

/* Has the server closed its side of @fd? (POLLRDHUP: its FIN arrived.) */
static int
peer_closed(int fd, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLRDHUP};

	return poll(&p, 1, timeout_ms) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

/* Read an HTTP answer to EOF; @return 1 when its body is as long as Content-Length says. */
static int
http_whole(int fd, size_t *got)
{
	size_t cap = 4 << 20, n = 0;
	char *b = malloc(cap + 1);
	const char *body, *cl;
	ssize_t r;
	int whole;

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	set_timeouts(fd);
	while (n < cap && (r = read(fd, b + n, cap - n)) > 0)
		n += (size_t)r;
	b[n] = '\0';
	body = strstr(b, "\r\n\r\n");
	cl = strstr(b, "\r\nContent-Length: ");
	whole = body != NULL && cl != NULL && strncmp(b, "HTTP/1.1 200 ", 13) == 0 &&
		strtoul(cl + 18, NULL, 10) == n - (size_t)(body + 4 - b);
	*got = n;
	free(b);
	close(fd);
	return whole;
}

/*
 * Slow peers hold their own connection, never the thread: with a scraper
 * that asks and never reads a large answer, one that connects and never
 * asks, and a control client that never asks, stratactl and another scrape
 * are answered while all three are still connected, and the reader that
 * never read still gets its whole answer when it finally does. The silent
 * ones are closed at their deadline. Filling every metrics slot does not
 * lock stratactl out. (Before, one connection was served at a time for up to
 * 2 s each: the operator waited behind every slow peer, and a slow reader's
 * answer was cut short after a 1 s send timeout.)
 */
static void
test_server_slow_peers(void)
{
	static const char get[] = "GET /metrics HTTP/1.1\r\n\r\n";
	int slow, silent, silent_ctl, fd, fill[CONN_FILL];
	struct sockaddr_in sin;
	char path[64];
	struct server *s;
	size_t got;
	unsigned int i;

	snprintf(path, sizeof(path), "/tmp/strata-test-ctl.%d.slow.sock", (int)getpid());
	unlink(path);
	free_port(&sin);
	s = server_start(path, (struct sockaddr *)&sin, sizeof(sin), get_big_status, &gets);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);

	slow = connect_tcp(&sin, 4096);
	CU_ASSERT_EQUAL(send(slow, get, sizeof(get) - 1, MSG_NOSIGNAL), (ssize_t)sizeof(get) - 1);
	silent = connect_tcp(&sin, 0);
	silent_ctl = connect_unix(path);

	CU_ASSERT(ask_control(path, "tracking\n", 0) > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "Reference ID    : C0000205 (192.0.2.5)\n"));
	CU_ASSERT(!peer_closed(silent, 0));
	CU_ASSERT(!peer_closed(silent_ctl, 0));
	fd = connect_tcp(&sin, 0);
	CU_ASSERT_EQUAL(send(fd, get, sizeof(get) - 1, MSG_NOSIGNAL), (ssize_t)sizeof(get) - 1);
	CU_ASSERT(http_whole(fd, &got));
	printf("\n    a scrape of %zu bytes answered while three slow peers are connected", got);
	CU_ASSERT(!peer_closed(silent, 0));
	CU_ASSERT(!peer_closed(silent_ctl, 0));
	CU_ASSERT(http_whole(slow, &got));
	printf("\n    the reader that waited got all %zu bytes", got);

	/* the deadline: a peer that never asks is let go, a few seconds at most */
	CU_ASSERT(peer_closed(silent, 10000));
	CU_ASSERT(peer_closed(silent_ctl, 10000));
	close(silent);
	close(silent_ctl);

	/* every metrics slot and more held by silent peers: stratactl still answered */
	for (i = 0; i < CONN_FILL; i++)
		fill[i] = connect_tcp(&sin, 0);
	CU_ASSERT(ask_control(path, "counters\n", 0) > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "seen 19 = replies 13 + passes 2 + drops 4\n"));
	CU_ASSERT(!peer_closed(fill[0], 0));
	for (i = 0; i < CONN_FILL; i++)
		close(fill[i]);
	server_stop(s);
}

/* ntpq -p's columns and marks (stratactl sources) */
static void
test_sources(void)
{
	struct status *st = new_status();
	char buf[8192];
	int n;

	fill_peers(st);
	n = ctl_render("sources", st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT(n > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "     remote           refid           st  when  poll reach"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "*192.0.2.11           GPS              1    12    64   377"
					   "    0.250   -0.012    0.003\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "x2001:db8::14         198.51.100.1     2     -   1/4    17"
					   "    0.000 3000.000    0.000\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "1 truechimers"));

	n = ctl_render("sources json", st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT(n > 0);
	CU_ASSERT(json_valid(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "{\"remote\":\"192.0.2.11\",\"origin\":\"ntp.example.org\","
					   "\"refid\":\"GPS\",\"mark\":\"*\",\"stratum\":1,\"poll\":6,"
					   "\"reach\":255,\"when_s\":12.000"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"when_s\":null"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"offset_s\":3.000000000"));
	free(st);
}

/*
 * The DPDK dataplane's own counters: one row per counter in stratactl's
 * text, a key in its JSON, and the same name as the metric's counter label.
 */
static void
test_dp_counters(void)
{
	static const char want[] = "\n"
				   "dpdk                dp0    dp1    exc  total\n"
				   "============================================\n"
				   "arp_reply             3      0      0      3\n"
				   "nd_reply              0      2      0      2\n"
				   "echo_reply            4      0      0      4\n"
				   "neigh_drop            0      0      0      0\n"
				   "tx_drop               0      1      0      1\n"
				   "exc_ring_drop         0      0      0      0\n"
				   "to_kernel             0      0     11     11\n"
				   "to_kernel_drop        0      0      0      0\n"
				   "from_kernel           0      0      9      9\n"
				   "from_kernel_drop      0      0      1      1\n"
				   "\n"
				   "cycles           dp0    dp1  total\n"
				   "==================================\n"
				   "burst_cycles    3000      0   3000\n"
				   "burst_packets     20      0     20\n"
				   "cycles/packet  150.0      -  150.0\n"
				   "ns/packet       75.0      -   75.0\n";
	struct status *st = new_status();
	char line[128];
	unsigned int r;
	int n;

	st->n_dp = 2;
	st->tsc_hz = 2e9;
	st->dpc[0].c[STRATA_DP_BURST_CYCLES] = 3000;
	st->dpc[0].c[STRATA_DP_BURST_PACKETS] = 20;
	st->dpc[0].c[STRATA_DP_ARP_REPLY] = 3;
	st->dpc[0].c[STRATA_DP_ECHO_REPLY] = 4;
	st->dpc[1].c[STRATA_DP_ND_REPLY] = 2;
	st->dpc[1].c[STRATA_DP_TX_DROP] = 1;
	st->dpc_exc.c[STRATA_DP_TO_KERNEL] = 11;
	st->dpc_exc.c[STRATA_DP_FROM_KERNEL] = 9;
	st->dpc_exc.c[STRATA_DP_FROM_KERNEL_DROP] = 1;
	n = ctl_render("counters", st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT(n > (int)strlen(want));
	CU_ASSERT_STRING_EQUAL(buf + strlen(buf) - strlen(want), want);

	n = ctl_render("counters json", st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT(n > 0);
	CU_ASSERT(json_valid(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"dpdk_counters\":[{\"worker\":0,\"arp_reply\":3,"
					   "\"nd_reply\":0,\"echo_reply\":4,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"dpdk_exception\":{\"arp_reply\":0,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"dpdk_total\":{\"arp_reply\":3,\"nd_reply\":2,"
					   "\"echo_reply\":4,\"neigh_drop\":0,\"tx_drop\":1,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"from_kernel_drop\":0,\"burst_cycles\":3000,"
					   "\"burst_packets\":20},{\"worker\":1,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"from_kernel_drop\":1,\"burst_cycles\":3000,"
					   "\"burst_packets\":20},\"tsc_hz\":2000000000"));

	metrics_render(st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "# TYPE strata_dpdk_events_total counter\n"));
	for (r = 0; r < STRATA_DP_MAX; r++) {
		snprintf(line, sizeof(line), "strata_dpdk_events_total{worker=\"1\",counter=\"%s\"} ",
			 strata_dp_counter_names[r]);
		CU_ASSERT_PTR_NOT_NULL(strstr(buf, line));
	}
	CU_ASSERT_PTR_NOT_NULL(
		strstr(buf, "strata_dpdk_events_total{worker=\"exc\",counter=\"to_kernel\"} 11\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "# TYPE strata_dpdk_burst_cycles_total counter\n"
					   "strata_dpdk_burst_cycles_total{worker=\"0\"} 3000\n"
					   "strata_dpdk_burst_cycles_total{worker=\"1\"} 0\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "# TYPE strata_dpdk_burst_packets_total counter\n"
					   "strata_dpdk_burst_packets_total{worker=\"0\"} 20\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "strata_dpdk_tsc_hertz 2000000000\n"));
	/* the cycles are not events: no counter label for them */
	CU_ASSERT_PTR_NULL(strstr(buf, "counter=\"burst_"));

	/* no TSC rate: no ns row, no rate; no packets: no quotient */
	st->tsc_hz = 0;
	st->dpc[0].c[STRATA_DP_BURST_PACKETS] = 0;
	ctl_render("counters", st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT_PTR_NULL(strstr(buf, "ns/packet"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "cycles/packet      -      -      -\n"));
	metrics_render(st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT_PTR_NULL(strstr(buf, "strata_dpdk_tsc_hertz"));

	/* no dataplane: no table, no keys, no family */
	st->n_dp = 0;
	ctl_render("counters", st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT_PTR_NULL(strstr(buf, "arp_reply"));
	ctl_render("counters json", st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT_PTR_NULL(strstr(buf, "dpdk_counters"));
	metrics_render(st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT_PTR_NULL(strstr(buf, "strata_dpdk_events_total"));
	CU_ASSERT_PTR_NULL(strstr(buf, "strata_dpdk_burst_cycles_total"));
	free(st);
}

/*
 * stratactl nts: the master keys, strata-nts, its NTS-KE counters, the NTS
 * table (DPDK workers together, each AF_XDP socket, the total), its JSON,
 * and the metrics with the same counter names.
 */
static void
test_nts(void)
{
	static const char want[] =
		"NTS             : on\n"
		"Master keys     : 3, current 5f3a9c01, created 600 s ago\n"
		"Rotation        : every 3600 s, next in 3000 s\n"
		"Key generation  : 7\n"
		"strata-nts      : PID 4242\n"
		"NTS-KE          : accepted 12, done 10, error 1, tls_fail 1, timeout 0, refused 0, "
		"cookies 80\n"
		"\n"
		"nts                dpdk  veth0/0  veth0/1    total\n"
		"==================================================\n"
		"reply                 5        3        0        8\n"
		"cookies               5        3        0        8\n"
		"nak_key               0        0        1        1\n"
		"nak_cookie            0        0        0        0\n"
		"nak_auth              1        0        0        1\n"
		"drop_no_uid           0        0        0        0\n"
		"drop_no_cookie        0        0        0        0\n"
		"drop_malformed        0        0        0        0\n"
		"drop_no_keys          0        0        0        0\n"
		"tx_drop               0        0        0        0\n";
	struct status *st = new_status();
	struct status_nts *n = &st->nts;
	char line[160];
	unsigned int r;
	int len;

	/* off, nothing running: said so; no metrics families */
	len = ctl_render("nts", st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT(len > 0);
	CU_ASSERT_EQUAL(strncmp(buf, "NTS             : off", 21), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "strata-nts      : not running\n"));
	ctl_render("nts json", st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT(json_valid(buf));
	CU_ASSERT_EQUAL(strncmp(buf, "{\"on\":false,\"rotate_s\":0,\"master_keys\":0,"
				     "\"current_key_id\":null,\"current_key_age_s\":null,"
				     "\"next_rotation_s\":null,",
			       strlen("{\"on\":false,\"rotate_s\":0,\"master_keys\":0,"
				      "\"current_key_id\":null,\"current_key_age_s\":null,"
				      "\"next_rotation_s\":null,")),
			0);
	metrics_render(st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT_PTR_NULL(strstr(buf, "strata_nts"));

	n->on = 1;
	n->rotate = 3600;
	n->n_keys = 3;
	n->key_id = 0x5f3a9c01;
	n->now = 1796000600;
	n->key_created = 1796000000;
	n->next_rotation = 1796003600;
	n->gen = 7;
	n->pid = 4242;
	n->ke[STRATA_NTS_KE_ACCEPTED] = 12;
	n->ke[STRATA_NTS_KE_DONE] = 10;
	n->ke[STRATA_NTS_KE_ERROR] = 1;
	n->ke[STRATA_NTS_KE_TLS_FAIL] = 1;
	n->ke[STRATA_NTS_KE_COOKIES] = 80;
	n->dp[STRATA_NTS_REPLY] = 5;
	n->dp[STRATA_NTS_COOKIES] = 5;
	n->dp[STRATA_NTS_NAK_AUTH] = 1;
	n->n_xsk = 2;
	strcpy(n->xsk[0].ifname, "veth0");
	n->xsk[0].c[STRATA_NTS_REPLY] = 3;
	n->xsk[0].c[STRATA_NTS_COOKIES] = 3;
	strcpy(n->xsk[1].ifname, "veth0");
	n->xsk[1].queue = 1;
	n->xsk[1].c[STRATA_NTS_NAK_KEY] = 1;
	len = ctl_render("nts", st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT_EQUAL(len, (int)strlen(want));
	CU_ASSERT_STRING_EQUAL(buf, want);

	len = ctl_render("nts json", st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT(len > 0);
	CU_ASSERT(json_valid(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "{\"on\":true,\"rotate_s\":3600,\"master_keys\":3,"
					   "\"current_key_id\":\"5f3a9c01\",\"current_key_age_s\":600,"
					   "\"next_rotation_s\":3000,\"key_generation\":7,"
					   "\"strata_nts_pid\":4242,\"ke\":{\"accepted\":12,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"dpdk\":{\"reply\":5,\"cookies\":5,\"nak_key\":0,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "{\"interface\":\"veth0\",\"queue\":1,\"reply\":0,"
					   "\"cookies\":0,\"nak_key\":1,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"total\":{\"reply\":8,\"cookies\":8,\"nak_key\":1,"));

	metrics_render(st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\nstrata_nts_master_keys 3\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\nstrata_nts_master_key_age_seconds 600\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\nstrata_nts_ke_total{counter=\"cookies\"} 80\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "# TYPE strata_nts_requests_total counter\n"));
	for (r = 0; r < STRATA_NTS_MAX; r++) {
		snprintf(line, sizeof(line),
			 "strata_nts_requests_total{path=\"xdp\",interface=\"veth0\",queue=\"1\","
			 "counter=\"%s\"} ",
			 strata_nts_counter_names[r]);
		CU_ASSERT_PTR_NOT_NULL(strstr(buf, line));
	}
	CU_ASSERT_PTR_NOT_NULL(
		strstr(buf, "strata_nts_requests_total{path=\"dpdk\",counter=\"reply\"} 5\n"));

	/* ntsrotate 0 and no keys yet */
	n->rotate = 0;
	n->n_keys = 0;
	n->next_rotation = 0;
	ctl_render("nts", st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "Master keys     : none: NTS requests are dropped"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "Rotation        : none here (ntsrotate 0"));
	metrics_render(st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\nstrata_nts_master_key_age_seconds +Inf\n"));
	free(st);
}

/*
 * waitsync's judgement in tracking: a system peer or the local clock, with
 * clients told a time; the holdover, an adopted snapshot and leap 3 are not.
 * The error is the root distance served plus the last offset.
 */
static void
test_synchronised(void)
{
	struct status *st = new_status();

	/* fill_status(): leap 0, stratum 2, but no system peer (an adopted snapshot, say) */
	ctl_render("tracking json", st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"synchronised\":false,\"error_s\":0.753906250,"));
	fill_peers(st);
	ctl_render("tracking json", st, NOW_NS, buf, sizeof(buf));
	/* 1.5 / 2 + 2^-8 + 12 us */
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"synchronised\":true,\"error_s\":0.753918250,"));
	ctl_render("tracking", st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(buf, "Synchronised    : yes, estimated error 0.753918250 seconds\n"));
	/* the system peer in holdover has no mark: selection has none now */
	st->peers[0].mark = '+';
	ctl_render("tracking json", st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"synchronised\":false,"));
	st->peers[0].mark = '*';
	st->slot.srv.leap = NTP_LEAP_UNSYNC;
	ctl_render("tracking json", st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"synchronised\":false,"));
	st->slot.srv.leap = NTP_LEAP_NONE;
	st->slot.srv.stratum = NTP_STRATUM_UNSYNC;
	ctl_render("tracking json", st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"synchronised\":false,"));

	/* local stratum 10, no source: the local clock's refid */
	fill_status(st);
	st->slot.srv.stratum = 10;
	st->slot.srv.refid = htonl(0x7f7f0101);
	st->slot.srv.root_delay = 0;
	st->slot.srv.root_disp = 0;
	ctl_render("tracking json", st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"synchronised\":true,\"error_s\":0.000000000,"));
	CU_ASSERT(json_valid(buf));
	free(st);
}

/*
 * serverstats: chronyc's totals over the XDP CPUs, the DPDK workers and the
 * AF_XDP NTS sockets; a DPDK worker's NTS requests are in its reasons
 * already, an AF_XDP socket's came as pass_nts.
 */
static void
test_serverstats(void)
{
	static const char want[] = "NTP packets received       : 34\n"
				   "NTP packets dropped        : 8\n"
				   "NTP replies sent           : 26\n"
				   "KoD RATE sent              : 2\n"
				   "KoD DENY sent              : 1\n"
				   "Passed to the kernel       : 2\n"
				   "NTS-KE connections accepted: 12\n"
				   "NTS-KE connections dropped : 3\n"
				   "Authenticated NTP packets  : 8\n"
				   "NTS NAKs sent              : 2\n";
	struct status *st = new_status();
	struct status_nts *n = &st->nts;
	__u64 sum = 0;
	unsigned int r;
	int len;

	/* XDP as fill_status(): replies 13, passes 2 (not IP), drops 4; seen 19 */
	len = ctl_render("serverstats json", st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT(len > 0 && json_valid(buf));
	CU_ASSERT_STRING_EQUAL(buf, "{\"ntp_received\":17,\"ntp_dropped\":4,\"ntp_replies\":13,"
				    "\"kod_rate\":0,\"kod_deny\":0,\"passed\":2,"
				    "\"nts_ke_accepted\":0,\"nts_ke_dropped\":0,"
				    "\"nts_authenticated\":0,\"nts_naks\":0}\n");

	/* cpu 1 also: 2 RATE kisses, 1 DENY kiss, 1 rate drop, 5 NTS requests to the sockets */
	st->cpu[1].c[STRATA_R_REPLY_KOD_RATE] = 2;
	st->cpu[1].c[STRATA_R_REPLY_KOD_DENY] = 1;
	st->cpu[1].c[STRATA_R_DROP_RATE] = 1;
	st->cpu[1].c[STRATA_R_PASS_NTS] = 5;
	/* a DPDK worker: 6 replies (5 NTS, 1 an NTS NAK), 2 drops (bad extension fields) */
	st->n_dp = 1;
	st->dp[0].c[STRATA_R_REPLY] = 6;
	st->dp[0].c[STRATA_R_DROP_BAD_EXT] = 2;
	n->dp[STRATA_NTS_REPLY] = 5;
	n->dp[STRATA_NTS_NAK_AUTH] = 1;
	n->dp[STRATA_NTS_DROP_MALFORMED] = 2;
	/* an AF_XDP socket: 3 replies, 1 NAK (a key we do not keep), 1 without a cookie */
	n->n_xsk = 1;
	n->xsk[0].c[STRATA_NTS_REPLY] = 3;
	n->xsk[0].c[STRATA_NTS_NAK_KEY] = 1;
	n->xsk[0].c[STRATA_NTS_DROP_NO_COOKIE] = 1;
	n->xsk[0].c[STRATA_NTS_COOKIES] = 3;
	n->ke[STRATA_NTS_KE_ACCEPTED] = 12;
	n->ke[STRATA_NTS_KE_REFUSED] = 3;
	len = ctl_render("serverstats", st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT_EQUAL(len, (int)strlen(want));
	CU_ASSERT_STRING_EQUAL(buf, want);

	/* received: every reason but the passes to the kernel, over both fast paths */
	for (r = 0; r < STRATA_R_MAX; r++)
		if (strata_verdict_of(r) != STRATA_PASS || r == STRATA_R_PASS_NTS)
			sum += st->cpu[0].c[r] + st->cpu[1].c[r] + st->dp[0].c[r];
	CU_ASSERT_EQUAL(sum, 34);
	ctl_render(" serverstats json \n", st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT(json_valid(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"ntp_received\":34,\"ntp_dropped\":8,"));
	free(st);
}

/* stratactl waitsync's arguments: chronyc's order, strict numbers, chronyc's floor */
static void
test_waitsync_args(void)
{
	char *const a3[] = {"60", "0.01", "0.5"}, *const big[] = {"99999999999999999999999"};
	char *const bad[][1] = {{"x"}, {"-1"}, {"1x"}, {""}, {" 1"}};
	char *const badsec[][2] = {{"1", "-0.1"}, {"1", "nan"}, {"1", "inf"}, {"1", "1e999"}};
	char *const tiny[] = {"1", "0", "0.001"}, *const four[] = {"1", "2", "3", "4"};
	struct waitsync w;
	char err[256];
	unsigned int i;

	CU_ASSERT_EQUAL(waitsync_parse(0, NULL, &w, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(w.tries, 0);
	CU_ASSERT_EQUAL(w.max_error, 0);
	CU_ASSERT_EQUAL(w.interval, 10.0);
	CU_ASSERT_EQUAL(waitsync_parse(3, a3, &w, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(w.tries, 60);
	CU_ASSERT_EQUAL(w.max_error, 0.01);
	CU_ASSERT_EQUAL(w.interval, 0.5);
	CU_ASSERT_EQUAL(waitsync_parse(3, tiny, &w, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(w.interval, WAITSYNC_INTERVAL_MIN);
	CU_ASSERT_EQUAL(waitsync_parse(4, four, &w, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "at most 3 arguments"));
	CU_ASSERT_EQUAL(waitsync_parse(1, big, &w, err, sizeof(err)), -1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(waitsync_parse(1, bad[i], &w, err, sizeof(err)), -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "MAX-TRIES"));
	}
	for (i = 0; i < sizeof(badsec) / sizeof(badsec[0]); i++) {
		CU_ASSERT_EQUAL(waitsync_parse(2, badsec[i], &w, err, sizeof(err)), -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "MAX-CORRECTION"));
	}
}

/* stratactl waitsync reads stratad's own "tracking json", as ctl.c renders it. */
static void
test_waitsync_judge(void)
{
	struct waitsync w = {.interval = 10};
	struct status *st = new_status();
	char line[256];

	ctl_render("tracking json", st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT_EQUAL(waitsync_judge(&w, buf, 1, line, sizeof(line)), 0);
	CU_ASSERT_STRING_EQUAL(line, "try: 1, synchronised: no, leap: 0, stratum: 2, error: "
				     "0.753906250, source: refclock system");
	fill_peers(st);
	ctl_render("tracking json", st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT_EQUAL(waitsync_judge(&w, buf, 2, line, sizeof(line)), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "try: 2, synchronised: yes,"));
	/* MAX-CORRECTION: synchronised, but the error is above it */
	w.max_error = 0.5;
	CU_ASSERT_EQUAL(waitsync_judge(&w, buf, 3, line, sizeof(line)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "error: 0.753918250 (above MAX-CORRECTION)"));
	w.max_error = 0.76;
	CU_ASSERT_EQUAL(waitsync_judge(&w, buf, 4, line, sizeof(line)), 1);
	/* a source name with escapes is shown as sent */
	strcpy(st->source, "a \"b\"");
	ctl_render("tracking json", st, NOW_NS, buf, sizeof(buf));
	CU_ASSERT_EQUAL(waitsync_judge(&w, buf, 5, line, sizeof(line)), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "source: a \\\"b\\\""));
	/* an older stratad: no such keys */
	CU_ASSERT_EQUAL(waitsync_judge(&w, "{\"source\":\"x\",\"stratum\":2,\"leap\":0}", 6, line,
				       sizeof(line)),
			-1);
	free(st);
}

static const struct test_case cases[] = {
	TEST_CASE(test_json_validator), TEST_CASE(test_counters_text),
	TEST_CASE(test_counters_json),	TEST_CASE(test_tracking_text),
	TEST_CASE(test_tracking_json),	TEST_CASE(test_tracking_sources),
	TEST_CASE(test_refid_ascii),	TEST_CASE(test_leap_status),
	TEST_CASE(test_holdover_view),	TEST_CASE(test_escaping),
	TEST_CASE(test_metrics),	TEST_CASE(test_metrics_sources),
	TEST_CASE(test_metrics_registrations),
	TEST_CASE(test_small_buffers),	TEST_CASE(test_unknown_command),
	TEST_CASE(test_sources),	TEST_CASE(test_dp_counters),
	TEST_CASE(test_nts),
	TEST_CASE(test_synchronised),
	TEST_CASE(test_serverstats),
	TEST_CASE(test_waitsync_args),
	TEST_CASE(test_waitsync_judge),
	TEST_CASE(test_server),
	TEST_CASE(test_server_start_errors),
	TEST_CASE(test_server_reload_denied),
	TEST_CASE(test_server_reload),
	TEST_CASE(test_server_slow_peers),
};

CUNIT_MAIN("ctl", cases)
