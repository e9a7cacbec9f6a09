/* SPDX-License-Identifier: BSD-3-Clause */
#include "drift.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/*
 * The second field. stratad keeps no skew estimate yet, so it writes a
 * fixed bound of 1 ppm: wide enough that a reader which uses the field does
 * not over-trust the frequency, and readers of this module ignore it.
 */
#define SKEW_PPM 1.0

#define HINT "delete the file to start from 0 ppm"

/* A finite number at @s into @v. @return the character after it, or NULL if there is none. */
static const char *
number(const char *s, double *v)
{
	char *end;

	/* strtod() would skip newlines and take "nan", "inf" and "1e999" (HUGE_VAL) */
	if (*s == '\n' || *s == '\0')
		return NULL;
	*v = strtod(s, &end);
	if (end == s || !isfinite(*v))
		return NULL;
	return end;
}

int
drift_read(const char *path, double *ppm)
{
	char buf[128];
	const char *s;
	double freq, skew;
	size_t n;
	FILE *f;
	int err;

	f = fopen(path, "re");
	if (f == NULL) {
		err = -errno;
		if (err != -ENOENT)
			log_warn("%s: cannot read the driftfile: %s", path, strerror(-err));
		return err;
	}
	errno = 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	err = !ferror(f) ? 0 : errno != 0 ? -errno : -EIO;
	if (err == 0 && !feof(f))
		n = sizeof(buf); /* longer than any driftfile: reject below */
	fclose(f);
	if (err != 0) {
		log_warn("%s: cannot read the driftfile: %s", path, strerror(-err));
		return err;
	}
	if (n >= sizeof(buf) || memchr(buf, '\0', n) != NULL) {
		log_warn("%s: not a driftfile: expected one short line (hint: " HINT ")", path);
		return -EINVAL;
	}
	buf[n] = '\0';

	/* "<ppm> <skew ppm>\n" as chrony writes it, or "<ppm>\n" as ntpd does */
	s = number(buf, &freq);
	if (s != NULL && (*s == ' ' || *s == '\t')) {
		s += strspn(s, " \t");
		if (*s != '\r' && *s != '\n' && *s != '\0') {
			s = number(s, &skew);
			if (s != NULL && skew < 0)
				s = NULL;
		}
	}
	if (s != NULL)
		s += strspn(s, " \t\r\n");
	if (s == NULL || *s != '\0') {
		log_warn("%s: malformed driftfile '%.*s' (hint: expected '<ppm> <skew ppm>'; " HINT
			 ")",
			 path, (int)strcspn(buf, "\n"), buf);
		return -EINVAL;
	}
	if (fabs(freq) > DRIFT_MAX_PPM) {
		log_warn(
			"%s: frequency %.3f ppm is beyond %.0f ppm, more than any clock the kernel "
			"can discipline (hint: " HINT ")",
			path, freq, DRIFT_MAX_PPM);
		return -ERANGE;
	}
	*ppm = freq;
	return 0;
}

/*
 * A rename is atomic but not durable until the directory is on disk too:
 * fsync(2), "an explicit fsync() on a file descriptor for the directory is
 * also needed".
 */
static int
sync_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, err = 0;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) != 0)
		err = -errno;
	close(fd);
	return err;
}

int
drift_write(const char *path, double ppm)
{
	char tmp[PATH_MAX], line[64];
	ssize_t w;
	int fd, n, err;

	/* !(<=) also refuses NaN */
	if (!(fabs(ppm) <= DRIFT_MAX_PPM))
		return -ERANGE;
	/* same directory: rename() is atomic only within one file system */
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		log_warn("%s: cannot create a temporary driftfile: %s", path, strerror(-err));
		return err;
	}
	n = snprintf(line, sizeof(line), "%.6f %.6f\n", ppm, SKEW_PPM);
	w = write(fd, line, (size_t)n);
	err = w == n ? 0 : w < 0 ? -errno : -EIO;
	if (err == 0 && fsync(fd) != 0)
		err = -errno;
	if (close(fd) != 0 && err == 0)
		err = -errno;
	if (err == 0 && rename(tmp, path) != 0)
		err = -errno;
	if (err != 0) {
		unlink(tmp);
		log_warn("%s: cannot write the driftfile: %s", path, strerror(-err));
		return err;
	}
	err = sync_dir(path);
	if (err != 0)
		log_warn("%s: driftfile written, but its directory not synced: %s", path,
			 strerror(-err));
	return err;
}
