/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Logging to stderr for the control processes (OpenNTPD's log.h). stratad
 * runs in the foreground under systemd, which timestamps stderr itself.
 * Never called from a fast path.
 */
#pragma once

#include <stdarg.h>

/* Name messages with @prog; show log_debug() output when @verbose. */
void log_init(const char *prog, int verbose);

/* An error that ends the program, e.g. --check's: "PROG: what", priority err. */
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * The last line of a start that fails, after what went wrong was logged:
 * "PROG: cannot start: WHY; exiting", so the operator sees that it stops.
 */
void log_cannot_start(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * A configuration the daemon refuses, at start or under --check (@check):
 * logs @err as --check's error or as the start's last line, and returns
 * EX_CONFIG (78), the exit status every strata unit's
 * RestartPreventExitStatus= names: a wrong file is not fixed by a restart.
 */
int log_config_error(int check, const char *err);

/* Startup errors only: log_cannot_start() and exit(1). */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
