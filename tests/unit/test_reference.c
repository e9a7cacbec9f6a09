/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The reference (stratad/reference.c): the snapshot a previous stratad left
 * is continued (same NTP time at the same monotonic instants, same server
 * fields) while it is synchronised and within its holdover, and ignored
 * otherwise; the local fallback, the driftfile and the leapfile mean the
 * same with no other source line; a reload changes the holdover.
 */
#include <stdio.h>
#include <unistd.h>

#include "../../stratad/reference.c"
#include "../../stratad/upstream.c"

#include "cunit_main.h"

#define NS NSEC_PER_SEC
/* 1 us in NTP units (2^-32 s) */
#define US_UNITS 4295

/* A configuration of one server that never answers (no tick polls it here). */
static void
cfg_server(struct cfg *c, int local)
{
	memset(c, 0, sizeof(*c));
	c->n_sources = 1;
	c->sources[0].kind = CFG_SRC_SERVER;
	snprintf(c->sources[0].host, sizeof(c->sources[0].host), "198.51.100.1");
	c->sources[0].minpoll = 6;
	c->sources[0].maxpoll = 10;
	c->minsources = 1;
	c->holdover = 300;
	c->local_stratum = local;
}

/*
 * What a previous stratad published half a second before @mono: synchronised
 * at stratum 2 from 198.51.100.1, its clock 12.5 ms from the host's and
 * running 7.3 ppm slow against CLOCK_MONOTONIC, updated 5 s before.
 */
static void
last_slot(struct snap_slot *sl, uint64_t mono)
{
	struct snap_map *m = &sl->map[SNAP_SCALE_MONO];
	struct snap_server *s = &sl->srv;
	struct timespec rt;

	memset(sl, 0, sizeof(*sl));
	clock_gettime(CLOCK_REALTIME, &rt);
	CU_ASSERT_EQUAL_FATAL(snap_map_set_rate(m, NS, 7.3), 0);
	m->local_base = mono - NS / 2;
	m->ntp_base = ntp_from_unix(rt.tv_sec, (__u32)rt.tv_nsec, NULL);
	m->ntp_base += (12500ULL << 32) / 1000000;
	m->flags = SNAP_MAP_VALID;
	s->ref_time = m->ntp_base - (5ULL << 32);
	s->disp_base = s->ref_time;
	s->disp_rate = snap_disp_rate_from_ppm(15.0);
	s->unsync_after = s->ref_time + (300ULL << 32);
	s->root_delay = 0x00000123;
	s->root_disp = 0x00000456;
	s->refid = strata_htonl(0xc6336401); /* 198.51.100.1 */
	s->leap = NTP_LEAP_NONE;
	s->stratum = 2;
	s->precision = -20;
	s->flags = SNAP_SRV_UNSYNC_AFTER;
}

static int64_t
diff_units(uint64_t a, uint64_t b)
{
	return (int64_t)(a - b);
}

static void
test_adopt_continues(void)
{
	uint64_t mono = mono_ns(), t[4];
	struct snap_slot old, sl;
	struct ref_report rep;
	struct ref *r;
	struct cfg c;
	int i;

	cfg_server(&c, 10);
	r = ref_new(&c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	last_slot(&old, mono);
	CU_ASSERT_EQUAL(ref_adopt(r, &old, mono), 0);
	/* the first publish, a tick after the adoption */
	disc_advance(&r->disc, mono + NS / 32);
	ref_fill(r, mono + NS / 32, &sl, &rep);
	t[0] = old.map[SNAP_SCALE_MONO].local_base;
	t[1] = mono;
	t[2] = mono + NS / 32;
	t[3] = mono + 2 * NS;
	for (i = 0; i < 4; i++) {
		int64_t d = diff_units(snap_map_apply(&sl.map[SNAP_SCALE_MONO], t[i]),
				       snap_map_apply(&old.map[SNAP_SCALE_MONO], t[i]));

		CU_ASSERT(d > -US_UNITS && d < US_UNITS);
	}
	/* the last stratad's fields, not the local fallback configured here */
	CU_ASSERT_EQUAL(sl.srv.stratum, 2);
	CU_ASSERT_EQUAL(sl.srv.refid, old.srv.refid);
	CU_ASSERT_EQUAL(sl.srv.leap, NTP_LEAP_NONE);
	CU_ASSERT_EQUAL(sl.srv.ref_time, old.srv.ref_time);
	CU_ASSERT_EQUAL(sl.srv.root_delay, old.srv.root_delay);
	CU_ASSERT_EQUAL(sl.srv.root_disp, old.srv.root_disp);
	CU_ASSERT_EQUAL(sl.srv.unsync_after, old.srv.unsync_after);
	/* the dispersion goes on growing from where it was */
	CU_ASSERT_EQUAL(sl.srv.disp_base, old.srv.disp_base);
	CU_ASSERT_EQUAL(sl.srv.disp_rate, old.srv.disp_rate);
	CU_ASSERT_STRING_EQUAL(rep.source, "adopted snapshot (holdover)");
	/* 7.3 ppm fast: 1 / (1 + 7.3e-6) - 1 of correction */
	CU_ASSERT(fabs(disc_freq_ppm(&r->disc) + 7.3) < 1e-3);

	/* past the adopted holdover: the local fallback of this configuration */
	ref_fill(r, mono + 300 * NS, &sl, &rep);
	CU_ASSERT_EQUAL(sl.srv.stratum, 10);
	CU_ASSERT_EQUAL(sl.srv.refid, strata_htonl(REF_REFID_LOCAL));
	ref_free(r);
}

/* Each way a snapshot is not to be trusted: ignored, the clock starts from the host's. */
static void
test_adopt_ignored(void)
{
	uint64_t mono = mono_ns();
	struct snap_slot old, sl;
	struct ref_report rep;
	struct ref *r;
	struct cfg c;
	int i;

	cfg_server(&c, 0);
	for (i = 0; i < 5; i++) {
		r = ref_new(&c);
		CU_ASSERT_PTR_NOT_NULL_FATAL(r);
		last_slot(&old, mono);
		switch (i) {
		case 0: /* expired: the holdover ended before this start */
			old.srv.unsync_after = old.map[SNAP_SCALE_MONO].ntp_base - (1ULL << 32);
			break;
		case 1: /* unsynchronised */
			old.srv.leap = NTP_LEAP_UNSYNC;
			break;
		case 2: /* a local clock */
			old.srv.refid = strata_htonl(REF_REFID_LOCAL);
			break;
		case 3: /* no map: a fresh shared memory */
			old.map[SNAP_SCALE_MONO].flags = 0;
			break;
		case 4:
			old.srv.stratum = NTP_STRATUM_UNSYNC;
			break;
		}
		CU_ASSERT_EQUAL(ref_adopt(r, &old, mono), -ESTALE);
		ref_fill(r, mono, &sl, &rep);
		CU_ASSERT_EQUAL(sl.srv.leap, NTP_LEAP_UNSYNC);
		CU_ASSERT_EQUAL(sl.srv.stratum, NTP_STRATUM_UNSYNC);
		/* the host's clock, not the snapshot's 12.5 ms away */
		CU_ASSERT(llabs(diff_units(snap_map_apply(&sl.map[SNAP_SCALE_MONO], mono),
					   snap_map_apply(&old.map[SNAP_SCALE_MONO], mono))) >
			  10 * 1000 * US_UNITS);
		ref_free(r);
	}
}

/* The selection's system peer ends the adoption: its fields are served from then on. */
static void
test_adopt_until_system_peer(void)
{
	uint64_t mono = mono_ns();
	struct snap_slot old, sl;
	struct ref_report rep;
	struct ref *r;
	struct cfg c;

	/* no source line: the tick below sends nothing out of this host */
	cfg_server(&c, 0);
	c.n_sources = 0;
	r = ref_new(&c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	last_slot(&old, mono);
	CU_ASSERT_EQUAL(ref_adopt(r, &old, mono), 0);
	/* what update_sys() leaves after a selection with a system peer */
	r->up->sys.synced = 1;
	r->up->sys.stratum = 3;
	r->up->sys.refid = strata_htonl(0xc6336402);
	r->up->sys.last_update = mono;
	r->up->sys.ref_time = disc_now(&r->disc, mono);
	ref_fill(r, mono, &sl, &rep);
	CU_ASSERT_EQUAL(sl.srv.stratum, 3);
	CU_ASSERT_STRING_EQUAL(rep.source, "NTP");
	ref_tick(r, mono + NS / 32);
	CU_ASSERT_EQUAL(r->have_adopted, 0);
	ref_free(r);
}

/* local stratum alone: the driftfile, the leapfile and the leap indicator apply too. */
static void
test_local_alone(void)
{
	char dir[] = "/tmp/test_reference.XXXXXX", path[64], leaps[64];
	uint64_t mono = mono_ns();
	struct snap_slot sl;
	struct ref_report rep;
	struct ref *r;
	struct cfg c;
	FILE *f;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/drift", dir);
	snprintf(leaps, sizeof(leaps), "%s/leap-seconds.list", dir);
	CU_ASSERT_EQUAL_FATAL(drift_write(path, 12.5), 0);
	memset(&c, 0, sizeof(c));
	c.local_stratum = 5;
	c.holdover = 300;
	snprintf(c.driftfile, sizeof(c.driftfile), "%s", path);
	r = ref_new(&c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	/* the file says how fast the local clock runs; strata corrects the opposite */
	CU_ASSERT(fabs(disc_freq_ppm(&r->disc) + 12.5) < 1e-9);
	r->leap_pending = NTP_LEAP_INSERT;
	ref_fill(r, mono, &sl, &rep);
	CU_ASSERT_EQUAL(sl.srv.stratum, 5);
	CU_ASSERT_EQUAL(sl.srv.leap, NTP_LEAP_INSERT);
	CU_ASSERT_EQUAL(sl.srv.precision, -20);
	CU_ASSERT_EQUAL(sl.srv.disp_rate, snap_disp_rate_from_ppm(15.0));
	ref_free(r);

	/* a leapfile is read with no source line: a broken one stops the start */
	f = fopen(leaps, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("not a leap-seconds.list\n", f);
	fclose(f);
	snprintf(c.leapfile, sizeof(c.leapfile), "%s", leaps);
	CU_ASSERT_PTR_NULL(ref_new(&c));
	unlink(leaps);
	unlink(path);
	rmdir(dir);
}

/* A reload's holdover, local stratum and sources take effect at once. */
static void
test_update(void)
{
	static struct status st;
	uint64_t mono = mono_ns();
	struct snap_slot sl;
	struct ref_report rep;
	struct ref *r;
	struct cfg c;

	cfg_server(&c, 0);
	r = ref_new(&c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	r->up->sys.synced = 1;
	r->up->sys.stratum = 2;
	r->up->sys.last_update = mono;
	r->up->sys.ref_time = disc_now(&r->disc, mono);
	ref_fill(r, mono + 200 * NS, &sl, &rep);
	CU_ASSERT_EQUAL(sl.srv.stratum, 2);
	c.holdover = 100;
	c.local_stratum = 9;
	CU_ASSERT_EQUAL(ref_update(r, &c), 0);
	ref_fill(r, mono + 200 * NS, &sl, &rep);
	CU_ASSERT_EQUAL(sl.srv.stratum, 9);
	/* refclock system comes and goes like any source line */
	c.refclock_system = 1;
	CU_ASSERT_EQUAL(ref_update(r, &c), 0);
	CU_ASSERT_EQUAL(upstream_report(r->up, mono, st.peers, UPSTREAM_MAX_PEERS), 1);
	CU_ASSERT_STRING_EQUAL(st.peers[0].name, "SYSTEM");
	c.refclock_system = 0;
	c.n_sources = 0;
	CU_ASSERT_EQUAL(ref_update(r, &c), 0);
	CU_ASSERT_EQUAL(upstream_report(r->up, mono, st.peers, UPSTREAM_MAX_PEERS), 0);
	ref_free(r);
}

/*
 * A reference clock alone goes through the same selection as servers: its
 * first reading, at the tick before the first publish, makes strata
 * stratum 1 with its refid (refclock system alike, with refid "SYS").
 */
static void
test_refclock_alone(void)
{
	struct snap_slot sl;
	struct ref_report rep;
	struct ref *r;
	struct cfg c;
	uint64_t mono;

	memset(&c, 0, sizeof(c));
	c.n_sources = 1;
	c.sources[0].kind = CFG_SRC_PHC;
	snprintf(c.sources[0].host, sizeof(c.sources[0].host), "CLOCK_REALTIME");
	c.minsources = 1;
	c.holdover = 60;
	r = ref_new(&c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	mono = mono_ns();
	ref_tick(r, mono);
	ref_fill(r, mono, &sl, &rep);
	CU_ASSERT_EQUAL(sl.srv.stratum, 1);
	CU_ASSERT_EQUAL(sl.srv.leap, NTP_LEAP_NONE);
	CU_ASSERT_EQUAL(memcmp(&sl.srv.refid, "PHC", 4), 0);
	CU_ASSERT_STRING_EQUAL(rep.source, "refclock phc");
	ref_free(r);
}

/*
 * A reference clock that is stepped after strata follows it (chronyd's
 * makestep on the host, ptp4l's first step): strata steps with it at the
 * next reading instead of slewing half a second in at 500 ppm.
 */
static void
test_refclock_stepped(void)
{
	struct snap_slot sl;
	struct ref_report rep;
	struct timespec rt;
	struct ref *r;
	struct cfg c;
	uint64_t mono;
	__u32 ns;
	int64_t sec;
	double ours, real;
	int i;

	memset(&c, 0, sizeof(c));
	c.n_sources = 1;
	c.sources[0].kind = CFG_SRC_PHC;
	snprintf(c.sources[0].host, sizeof(c.sources[0].host), "CLOCK_REALTIME");
	c.minsources = 1;
	c.holdover = 60;
	r = ref_new(&c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	ref_tick(r, mono_ns());
	/* the reference moves 0.5 s away from strata's clock: here, strata's clock moves */
	disc_step(&r->disc, mono_ns(), 0.5);
	/* a reference clock is read once a second: a few readings */
	for (i = 0; i < 30; i++) {
		usleep(100000);
		ref_tick(r, mono_ns());
	}
	mono = mono_ns();
	ref_fill(r, mono, &sl, &rep);
	clock_gettime(CLOCK_REALTIME, &rt);
	sec = ntp_to_unix(disc_now(&r->disc, mono), (int64_t)rt.tv_sec, &ns);
	ours = (double)sec + ns * 1e-9;
	real = (double)rt.tv_sec + rt.tv_nsec * 1e-9;
	printf("\n  strata's clock %+.6f s from the stepped reference after 3 s ", ours - real);
	CU_ASSERT(fabs(ours - real) < 0.01);
	CU_ASSERT_EQUAL(sl.srv.stratum, 1);
	ref_free(r);
}

/*
 * local stratum alone with a leapfile that names a leap at the end of
 * today: announced (leap 1) in the local clock's replies. Before the one
 * pipeline, a leapfile without a server, pool or PHC line was not read.
 */
static void
test_local_leap(void)
{
	struct snap_slot sl;
	struct ref_report rep;
	struct ref *r;
	struct cfg c;
	int64_t now, midnight;
	uint64_t mono;

	/* the last 2 s of a day would see the step itself: not the point here */
	do {
		now = (int64_t)time(NULL);
		midnight = now / 86400 * 86400 + 86400;
	} while (midnight - now < 2 && sleep(1) == 0);
	memset(&c, 0, sizeof(c));
	c.local_stratum = 5;
	c.holdover = 300;
	r = ref_new(&c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	/* what leap_load() makes of a current file whose last leap ends today */
	r->leaps.updated = now - 86400;
	r->leaps.expires = now + 100 * 86400;
	r->leaps.n = 2;
	r->leaps.e[0] = (struct leap_entry){63072000, 10}; /* 1972-01-01 */
	r->leaps.e[1] = (struct leap_entry){midnight, 11};
	r->have_leaps = 1;
	mono = mono_ns();
	ref_tick(r, mono);
	ref_fill(r, mono, &sl, &rep);
	CU_ASSERT_EQUAL(sl.srv.stratum, 5);
	CU_ASSERT_EQUAL(sl.srv.leap, NTP_LEAP_INSERT);
	ref_free(r);
}

static const struct test_case cases[] = {
	TEST_CASE(test_adopt_continues),
	TEST_CASE(test_adopt_ignored),
	TEST_CASE(test_adopt_until_system_peer),
	TEST_CASE(test_local_alone),
	TEST_CASE(test_local_leap),
	TEST_CASE(test_update),
	TEST_CASE(test_refclock_alone),
	TEST_CASE(test_refclock_stepped),
};

CUNIT_MAIN("reference", cases)
