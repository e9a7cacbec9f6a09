/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * systemd's readiness protocol by hand, without libsystemd (sd_notify(3),
 * "Notes": a datagram of NEWLINE-separated VAR=VALUE lines to the AF_UNIX
 * socket in $NOTIFY_SOCKET, a path or, with a leading '@', an abstract
 * name), and its watchdog (sd_watchdog_enabled(3)). Every call is a no-op
 * outside systemd. Slow path only: one socket(2) and sendto(2) each.
 */
#pragma once

#include <stdint.h>

/*
 * Send the state @fmt describes ("READY=1\nSTATUS=...") to $NOTIFY_SOCKET.
 * @return 1 when sent, 0 when not run by systemd (no NOTIFY_SOCKET), or
 * -errno.
 */
int sd_notifyf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * The watchdog interval systemd expects WATCHDOG=1 within, in
 * microseconds: WATCHDOG_USEC when WATCHDOG_PID is unset or this process.
 * @return 0 without a watchdog (or one meant for another process).
 */
uint64_t sd_watchdog_usec(void);

/*
 * For a main loop: set the watchdog up from the environment at @now_ns
 * (CLOCK_MONOTONIC). @return the interval between pings in milliseconds
 * (half systemd's, as sd_watchdog_enabled(3) advises), 0 without a watchdog.
 */
unsigned int sd_watchdog_init(uint64_t now_ns);

/*
 * Send WATCHDOG=1 if a ping is due at @now_ns. Called from the main loop
 * itself, never from a thread of its own, so that a loop that hangs stops
 * the pings and systemd restarts the daemon.
 */
void sd_watchdog_tick(uint64_t now_ns);
