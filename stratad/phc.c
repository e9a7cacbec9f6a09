/* SPDX-License-Identifier: BSD-3-Clause */
#include "phc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define NSEC 1000000000LL

/*
 * Sandwiches per measurement. The best one wins, so a few are enough to get
 * one without an interrupt inside; each PHC read over PCIe costs about a
 * microsecond, so ten keep the ioctl short.
 */
#define SAMPLES 10

/*
 * The dynamic clockid of a posix-clock descriptor (Linux kernel/time/posix-clock.c,
 * testptp.c): ((~(clockid_t)(fd) << 3) | 3), shifted unsigned here because a left
 * shift of a negative int is undefined in C.
 */
#define FD_TO_CLOCKID(fd) ((clockid_t)((~(unsigned int)(fd) << 3) | 3))

/* Best first: the order of the probe. */
enum method {
	M_PRECISE,
	M_EXTENDED,
	M_BASIC,
	M_GETTIME,
	M_COUNT,
};

static const char *const method_names[M_COUNT] = {
	[M_PRECISE] = "PTP_SYS_OFFSET_PRECISE",
	[M_EXTENDED] = "PTP_SYS_OFFSET_EXTENDED",
	[M_BASIC] = "PTP_SYS_OFFSET",
	[M_GETTIME] = "clock_gettime",
};

static const struct {
	const char *name;
	clockid_t clk;
} standins[] = {
	{"CLOCK_REALTIME", CLOCK_REALTIME},
	{"CLOCK_TAI", CLOCK_TAI},
};

struct phc {
	int fd; /* -1 for a clockid stand-in */
	clockid_t clk;
	enum method method;
};

/*
 * A clock reading in ns. The kernel fills readings from a timespec64
 * (ptp_chardev.c), so the value is sec + nsec with 0 <= nsec < 1e9; the
 * "sign of sec applies to the whole value" of the ptp_clock_time comment
 * concerns requests like PTP_PEROUT phases, never a reading.
 */
static int
pct_ns(const struct ptp_clock_time *t, int64_t *ns)
{
	int64_t v;

	if (t->nsec >= NSEC)
		return -EINVAL;
	if (__builtin_mul_overflow(t->sec, NSEC, &v) || __builtin_add_overflow(v, t->nsec, &v))
		return -ERANGE;
	*ns = v;
	return 0;
}

/* a - b in ns, seconds first: exact even when a and b themselves exceed 64-bit ns */
static int
pct_diff(const struct ptp_clock_time *a, const struct ptp_clock_time *b, int64_t *d)
{
	int64_t s, v;

	if (a->nsec >= NSEC || b->nsec >= NSEC)
		return -EINVAL;
	if (__builtin_sub_overflow(a->sec, b->sec, &s) || __builtin_mul_overflow(s, NSEC, &v) ||
	    __builtin_add_overflow(v, (int64_t)a->nsec - (int64_t)b->nsec, &v))
		return -ERANGE;
	*d = v;
	return 0;
}

/*
 * One sandwich: system time before, device time, system time after. The
 * device was read somewhere inside; the midpoint is the best guess and half
 * the width bounds the error (the NTP on-wire rule, RFC 5905 section 8).
 * The midpoint is rounded down to the ns.
 */
static int
sandwich(const struct ptp_clock_time *before, const struct ptp_clock_time *dev,
	 const struct ptp_clock_time *after, struct phc_sample *out)
{
	int64_t delay, sys, off;
	int err;

	err = pct_diff(after, before, &delay);
	if (err == 0)
		err = pct_diff(dev, before, &off);
	if (err == 0)
		err = pct_ns(before, &sys);
	if (err != 0)
		return err;
	/* the system clock went back inside the sandwich: it was stepped, nothing here holds */
	if (delay < 0)
		return -EAGAIN;
	if (__builtin_sub_overflow(off, delay / 2, &off) ||
	    __builtin_add_overflow(sys, delay / 2, &sys))
		return -ERANGE;
	out->offset_ns = off;
	out->delay_ns = (uint64_t)delay;
	out->sys_ns = sys;
	out->mono_ns = 0;
	return 0;
}

int
phc_offset_precise(const struct ptp_sys_offset_precise *s, struct phc_sample *out)
{
	int64_t off, sys;
	int err;

	err = pct_diff(&s->device, &s->sys_realtime, &off);
	if (err == 0)
		err = pct_ns(&s->sys_realtime, &sys);
	if (err != 0)
		return err;
	out->offset_ns = off;
	out->delay_ns = 0;
	out->sys_ns = sys;
	out->mono_ns = 0;
	return 0;
}

/*
 * The narrowest sandwich wins (the first of equals): the least time for the
 * reading to wander in. A step inside any sandwich rejects the whole set,
 * as chrony's process_phc_readings() does: the samples no longer share one
 * system timescale.
 */
int
phc_offset_extended(const struct ptp_sys_offset_extended *s, struct phc_sample *out)
{
	struct phc_sample best = {0}, cur;
	unsigned int i;
	int err;

	if (s->n_samples < 1 || s->n_samples > PTP_MAX_SAMPLES)
		return -EINVAL;
	for (i = 0; i < s->n_samples; i++) {
		err = sandwich(&s->ts[i][0], &s->ts[i][1], &s->ts[i][2], &cur);
		if (err != 0)
			return err;
		if (i == 0 || cur.delay_ns < best.delay_ns)
			best = cur;
	}
	*out = best;
	return 0;
}

/* linux/ptp_clock.h: 2 * n_samples + 1 stamps, sys first and last; sample i is ts[2i..2i+2] */
int
phc_offset_basic(const struct ptp_sys_offset *s, struct phc_sample *out)
{
	struct phc_sample best = {0}, cur;
	unsigned int i;
	int err;

	if (s->n_samples < 1 || s->n_samples > PTP_MAX_SAMPLES)
		return -EINVAL;
	for (i = 0; i < s->n_samples; i++) {
		err = sandwich(&s->ts[2 * i], &s->ts[2 * i + 1], &s->ts[2 * i + 2], &cur);
		if (err != 0)
			return err;
		if (i == 0 || cur.delay_ns < best.delay_ns)
			best = cur;
	}
	*out = best;
	return 0;
}

static int
gettime(clockid_t clk, struct ptp_clock_time *t)
{
	struct timespec ts;

	if (clock_gettime(clk, &ts) != 0)
		return -errno;
	t->sec = ts.tv_sec;
	t->nsec = (uint32_t)ts.tv_nsec;
	t->reserved = 0;
	return 0;
}

/* The sandwich of the PTP_SYS_OFFSET_EXTENDED ioctl, done in user space. */
static int
sample_gettime(clockid_t clk, struct ptp_sys_offset_extended *x)
{
	unsigned int i;
	int err = 0;

	memset(x, 0, sizeof(*x));
	x->n_samples = SAMPLES;
	for (i = 0; i < SAMPLES && err == 0; i++) {
		err = gettime(CLOCK_REALTIME, &x->ts[i][0]);
		if (err == 0)
			err = gettime(clk, &x->ts[i][1]);
		if (err == 0)
			err = gettime(CLOCK_REALTIME, &x->ts[i][2]);
	}
	return err;
}

static int
measure(const struct phc *p, enum method m, struct phc_sample *out)
{
	union {
		struct ptp_sys_offset_precise precise;
		struct ptp_sys_offset_extended extended;
		struct ptp_sys_offset basic;
	} u;
	int err;

	/* zeroed: the reserved fields must be 0, and newer kernels read a clockid there */
	memset(&u, 0, sizeof(u));
	switch (m) {
	case M_PRECISE:
		if (ioctl(p->fd, PTP_SYS_OFFSET_PRECISE, &u.precise) != 0)
			return -errno;
		return phc_offset_precise(&u.precise, out);
	case M_EXTENDED:
		u.extended.n_samples = SAMPLES;
		if (ioctl(p->fd, PTP_SYS_OFFSET_EXTENDED, &u.extended) != 0)
			return -errno;
		return phc_offset_extended(&u.extended, out);
	case M_BASIC:
		u.basic.n_samples = SAMPLES;
		if (ioctl(p->fd, PTP_SYS_OFFSET, &u.basic) != 0)
			return -errno;
		return phc_offset_basic(&u.basic, out);
	case M_GETTIME:
		err = sample_gettime(p->clk, &u.extended);
		return err != 0 ? err : phc_offset_extended(&u.extended, out);
	default:
		return -EINVAL;
	}
}

struct phc *
phc_open(const char *name)
{
	struct phc_sample s;
	struct phc *p;
	unsigned int i;
	int err;

	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->fd = -1;
	p->method = M_COUNT;
	for (i = 0; i < sizeof(standins) / sizeof(standins[0]); i++) {
		if (strcmp(name, standins[i].name) == 0) {
			p->clk = standins[i].clk;
			p->method = M_GETTIME;
		}
	}
	if (p->method == M_GETTIME) {
		err = -measure(p, M_GETTIME, &s);
		if (err == 0)
			return p;
		log_warn("%s: cannot read the clock: %s", name, strerror(err));
		goto fail;
	}

	/* O_RDWR as chrony and phc2sys open it: posix-clock lets only a writer adjust the clock */
	p->fd = open(name, O_RDWR | O_CLOEXEC);
	if (p->fd < 0) {
		err = errno;
		log_warn("%s: cannot open the PHC: %s (hint: a /dev/ptpN device, see "
			 "'ethtool -T IFACE', or CLOCK_REALTIME or CLOCK_TAI)",
			 name, strerror(err));
		goto fail;
	}
	p->clk = FD_TO_CLOCKID(p->fd);
	/* probed once and kept, like chrony's SYS_Linux_GetPHCReadings() reading mode */
	for (i = M_PRECISE; i < M_COUNT; i++) {
		if (measure(p, (enum method)i, &s) == 0) {
			p->method = (enum method)i;
			log_debug("%s: sampled with %s", name, method_names[i]);
			return p;
		}
	}
	err = ENODEV;
	log_warn("%s: not a PTP clock: neither the PTP_SYS_OFFSET ioctls nor clock_gettime() "
		 "read it (hint: a /dev/ptpN device, see 'ethtool -T IFACE')",
		 name);
fail:
	phc_close(p);
	errno = err;
	return NULL;
}

void
phc_close(struct phc *p)
{
	if (p == NULL)
		return;
	if (p->fd >= 0)
		close(p->fd);
	free(p);
}

const char *
phc_method(const struct phc *p)
{
	return method_names[p->method];
}

int
phc_sample(struct phc *p, struct phc_sample *out)
{
	struct timespec real, mono;
	int64_t real_ns;
	int err;

	err = measure(p, p->method, out);
	if (err != 0)
		return err;
	/*
	 * The monotonic time of the sample, for mapping the clock onto
	 * stratad's CLOCK_MONOTONIC timescale. The ioctls used here stamp
	 * CLOCK_REALTIME only; two vDSO reads right after carry sys_ns over
	 * to CLOCK_MONOTONIC, off by the tens of ns between them.
	 */
	if (clock_gettime(CLOCK_REALTIME, &real) != 0 || clock_gettime(CLOCK_MONOTONIC, &mono) != 0)
		return -errno;
	real_ns = (int64_t)real.tv_sec * NSEC + real.tv_nsec;
	out->mono_ns =
		(uint64_t)((int64_t)mono.tv_sec * NSEC + mono.tv_nsec - (real_ns - out->sys_ns));
	return 0;
}
