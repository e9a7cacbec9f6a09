/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The driftfile: the local clock's frequency error, kept across restarts so
 * that stratad starts near the right rate instead of at 0 ppm. One line as
 * chrony writes it (reference.c update_drift_file()): the frequency and a
 * skew estimate, both in ppm, "%.6f %.6f\n".
 *
 * The sign is strata's (snap_map_set_rate()): positive when the local clock
 * runs fast. chrony stores the correction it applies to the system clock,
 * so the layout matches but the files are not meant to be shared.
 */
#pragma once

/* The bound on a clock's frequency error: ntpd's NTP_MAXFREQ, the kernel's MAXFREQ (500 ppm). */
#define DRIFT_MAX_PPM 500.0

/*
 * Read the frequency from @path into @ppm. A file of one number (ntpd's
 * driftfile) is accepted too; the skew is not used. @return 0, -ENOENT
 * when there is no file yet (start from 0 ppm; nothing logged), -EINVAL
 * for a malformed file, -ERANGE for |ppm| > DRIFT_MAX_PPM, or another
 * -errno; every error but -ENOENT is logged with a hint.
 */
int drift_read(const char *path, double *ppm);

/*
 * Replace @path with @ppm atomically: a temporary file in the same
 * directory, fsync, rename, fsync of the directory. A crash leaves the old
 * file or the new one, never a torn one. @return 0, -ERANGE for an
 * out-of-range or non-finite @ppm (nothing written), or -errno (logged).
 */
int drift_write(const char *path, double ppm);
