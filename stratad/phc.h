/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reading a clock against the system clock (CLOCK_REALTIME): a NIC's PTP
 * hardware clock through the ioctls of linux/ptp_clock.h, or a clockid
 * stand-in ("CLOCK_REALTIME", "CLOCK_TAI") through clock_gettime(), with
 * one interface. The best method is probed once at open and kept, as chrony
 * does (sys_linux.c SYS_Linux_GetPHCReadings).
 */
#pragma once

#include <stdint.h>

#include <linux/ptp_clock.h>

struct phc;

/* One measurement of a clock against CLOCK_REALTIME. */
struct phc_sample {
	int64_t offset_ns; /* clock minus CLOCK_REALTIME */
	uint64_t delay_ns; /* width of the system-time sandwich; 0 for a cross-timestamp */
	int64_t sys_ns;	   /* CLOCK_REALTIME of the sample, ns since 1970 */
	/*
	 * CLOCK_MONOTONIC of the sample, approximate: sys_ns moved to the
	 * monotonic timescale by a CLOCK_REALTIME/CLOCK_MONOTONIC pair read
	 * right after the measurement, so it is off by the few tens of ns
	 * between those two reads, and wrong if CLOCK_REALTIME was stepped in
	 * between. 0 from the phc_offset_*() functions, which read no clock.
	 */
	uint64_t mono_ns;
};

/*
 * Open @name: a PTP device path ("/dev/ptp0") or a stand-in clockid name
 * ("CLOCK_REALTIME", "CLOCK_TAI"), and probe the best sampling method.
 * @return the clock, or NULL with errno set (and a warning logged).
 */
struct phc *phc_open(const char *name);

/* Close @p; NULL is fine. */
void phc_close(struct phc *p);

/* The method probed at open, as the ioctl or call is named: "PTP_SYS_OFFSET_PRECISE", ... */
const char *phc_method(const struct phc *p);

/* Measure @p against CLOCK_REALTIME now. @return 0 or -errno. */
int phc_sample(struct phc *p, struct phc_sample *out);

/*
 * The offset math, pure over the ioctl results (exported for tests).
 * Each @return 0, -EINVAL for a malformed result (n_samples out of range,
 * nsec past a second), -EAGAIN when a system time goes backwards inside a
 * sandwich (the clock was stepped: measure again), -ERANGE when a value
 * does not fit in signed 64-bit ns.
 */

/* PTP_SYS_OFFSET_PRECISE: one device time with its exact system time. */
int phc_offset_precise(const struct ptp_sys_offset_precise *s, struct phc_sample *out);

/* PTP_SYS_OFFSET_EXTENDED: the triple with the shortest system interval, against its midpoint. */
int phc_offset_extended(const struct ptp_sys_offset_extended *s, struct phc_sample *out);

/* PTP_SYS_OFFSET: sys, phc, sys, ... interleaved; the same rule as the extended form. */
int phc_offset_basic(const struct ptp_sys_offset *s, struct phc_sample *out);
