/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stratactl: ask a running stratad over its control socket and print the
 * answer. The protocol is one line each way (lib/ctlproto.h): the command,
 * then the answer until stratad closes the connection. The exit codes are
 * ctlproto.h's CTL_EXIT_*, the same for every command (docs/control.md).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "ctlproto.h"
#include "waitsync.h"

/* meson passes the project version; a build without it still says something */
#ifndef STRATA_VERSION
#define STRATA_VERSION "0.1.0"
#endif

/* stratad answers in microseconds; a stuck one should not hang a script forever */
#define ANSWER_TIMEOUT_S 5
/* a reload waits for stratad's main loop; stratad gives up on it after 30 s */
#define RELOAD_TIMEOUT_S 35

/* the commands, as stratad knows them; waitsync asks "tracking json" */
static const char *const commands[] = {"counters", "nts",	   "serverstats", "sources",
				       "tracking", CTL_CMD_RELOAD, "waitsync"};

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: stratactl [-s SOCKET] [--json] COMMAND\n"
		"       stratactl [-s SOCKET] waitsync [MAX-TRIES [MAX-CORRECTION [INTERVAL]]]\n"
		"\n"
		"Ask a running stratad about the time it serves and the packets it answers.\n"
		"\n"
		"commands:\n"
		"  counters        packets per CPU, by outcome (reply, pass and drop reasons);\n"
		"                  with strata-dpdk, its workers' own counters, one per row,\n"
		"                  and their TSC cycles per packet (testpmd's boundary)\n"
		"  nts             NTS: the master keys (count, current ID, age, next\n"
		"                  rotation), strata-nts, its NTS-KE counters and the NTS\n"
		"                  counters of the DPDK workers and AF_XDP sockets\n"
		"  serverstats     totals over every fast path, as chronyc serverstats: NTP\n"
		"                  packets received, dropped, replies, KoD RATE and DENY sent,\n"
		"                  passed to the kernel, NTS-KE connections accepted and\n"
		"                  dropped, authenticated NTP packets, NTS NAKs\n"
		"  sources         upstream servers, as ntpq -p shows them: * system peer,\n"
		"                  + combined, - outlier, x falseticker, ? unreachable\n"
		"  tracking        time source, stratum, reference ID, leap status, whether\n"
		"                  synchronised, root delay and dispersion, snapshot age,\n"
		"                  interfaces\n"
		"  reload          re-read stratad's configuration file and wait for the\n"
		"                  result: exit 0 when applied (lines that need a restart\n"
		"                  are listed), 1 when stratad refused the file (its error\n"
		"                  is printed; the running configuration stays); only root\n"
		"                  and stratad's user may (4 for others)\n"
		"  waitsync        ask every INTERVAL seconds (default 10, at least 0.1),\n"
		"                  MAX-TRIES times at most (default 0: no limit), until\n"
		"                  stratad is synchronised (leap not 3, a system peer or\n"
		"                  its local clock) with an estimated error of at most\n"
		"                  MAX-CORRECTION seconds (default 0: not checked); a\n"
		"                  missing socket or a stratad not yet answering is one\n"
		"                  more try, so it waits for stratad at boot too\n"
		"\n"
		"options:\n"
		"  -s, --socket PATH   stratad's control socket (default %s)\n"
		"  -j, --json          answer in JSON, for scripts (not reload, waitsync)\n"
		"  -h, --help          this text\n"
		"  -V, --version       stratactl's version\n"
		"\n"
		"exit status:\n"
		"  0   done; waitsync: synchronised\n"
		"  1   stratad refused or failed the command (its message is printed);\n"
		"      waitsync: not synchronised within MAX-TRIES\n"
		"  2   bad command line\n"
		"  3   no answer from stratad: no socket, nobody listening, timed out;\n"
		"      waitsync: no answer at its last try\n"
		"  4   permission denied: not root nor in the socket's group, or a\n"
		"      command that changes state (reload) from a user other than root\n"
		"      and stratad's own\n",
		CFG_DEFAULT_CONTROL);
}

/* Connect to @path, answers waiting @timeout_s at most. @return the socket or a CTL_EXIT_ code. */
static int
connect_stratad(const char *path, int timeout_s, char *why, size_t len)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = timeout_s};
	int fd, denied;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(why, len, "socket path too long (at most %zu bytes): %s",
			 sizeof(sun.sun_path) - 1, path);
		return -CTL_EXIT_USAGE;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(why, len, "socket: %s", strerror(errno));
		return -CTL_EXIT_FAIL;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		denied = errno == EACCES || errno == EPERM;
		snprintf(why, len, "cannot connect to %s: %s (%s)", path, strerror(errno),
			 denied ? "run as root or as a member of the socket's group, "
				  "strata-ops by default"
				: "is stratad running? see -s");
		close(fd);
		return denied ? -CTL_EXIT_DENIED : -CTL_EXIT_NO_STRATAD;
	}
	return fd;
}

/* Everything stratad sends until it closes. @return the answer (NUL-terminated) or NULL. */
static char *
read_answer(int fd, size_t *len, char *why, size_t why_len)
{
	size_t cap = 64 * 1024, n = 0;
	char *buf = malloc(cap), *p;
	ssize_t r;

	while (buf != NULL) {
		if (n + 1 == cap) {
			p = realloc(buf, cap * 2);
			if (p == NULL)
				break;
			buf = p;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(why, why_len, "reading stratad's answer: %s",
				 errno == EAGAIN ? "timed out" : strerror(errno));
			goto fail;
		}
		if (r == 0) {
			buf[n] = '\0';
			*len = n;
			return buf;
		}
		n += (size_t)r;
	}
	snprintf(why, why_len, "out of memory");
fail:
	free(buf);
	return NULL;
}

/*
 * Send @req to stratad at @path and take its whole answer into *@answer
 * (@len bytes, the caller frees it). @return CTL_EXIT_OK, or another
 * CTL_EXIT_ code with the reason in @why: stratad's own error answer
 * (CTL_EXIT_FAIL, CTL_EXIT_DENIED) is left in *@answer too.
 */
static int
ask(const char *path, const char *req, int timeout_s, char **answer, size_t *len, char *why,
    size_t why_len)
{
	size_t n = strlen(req);
	int fd, ret = CTL_EXIT_NO_STRATAD;

	*answer = NULL;
	fd = connect_stratad(path, timeout_s, why, why_len);
	if (fd < 0)
		return -fd;
	if (send(fd, req, n, MSG_NOSIGNAL) != (ssize_t)n) {
		snprintf(why, why_len, "sending to %s: %s", path, strerror(errno));
		goto out;
	}
	*answer = read_answer(fd, len, why, why_len);
	if (*answer == NULL)
		goto out;
	if (*len == 0) {
		snprintf(why, why_len, "%s closed without an answer", path);
		goto out;
	}
	ret = CTL_EXIT_OK;
	if (strncmp(*answer, CTL_ERROR_PREFIX, strlen(CTL_ERROR_PREFIX)) == 0) {
		ret = strncmp(*answer, CTL_DENIED, strlen(CTL_DENIED)) == 0 ? CTL_EXIT_DENIED
									    : CTL_EXIT_FAIL;
		snprintf(why, why_len, "stratad: %s", *answer + strlen(CTL_ERROR_PREFIX));
		why[strcspn(why, "\n")] = '\0';
	}
out:
	close(fd);
	return ret;
}

static void
sleep_s(double s)
{
	struct timespec ts = {.tv_sec = (time_t)s,
			      .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/*
 * stratactl waitsync: one line per try on stdout, as chronyc prints them. A
 * stratad that is not there yet is one more try (at boot, the unit may
 * still be starting); a refusal (the socket's mode) is not going to change.
 */
static int
waitsync(const char *path, const struct waitsync *w)
{
	char line[512], why[512], *answer;
	unsigned long i;
	size_t len;
	int ret, sync;

	for (i = 1;; i++) {
		ret = ask(path, "tracking json\n", ANSWER_TIMEOUT_S, &answer, &len, why,
			  sizeof(why));
		if (ret == CTL_EXIT_OK) {
			sync = waitsync_judge(w, answer, i, line, sizeof(line));
			printf("%s\n", line);
			ret = sync > 0 ? CTL_EXIT_OK : CTL_EXIT_FAIL;
			if (sync != 0) {
				free(answer);
				break;
			}
		} else {
			printf("try: %lu, no answer: %s\n", i, why);
		}
		free(answer);
		fflush(stdout);
		if (ret == CTL_EXIT_DENIED || ret == CTL_EXIT_USAGE ||
		    (w->tries != 0 && i >= w->tries))
			break;
		sleep_s(w->interval);
	}
	fflush(stdout);
	if (ret != CTL_EXIT_OK)
		fprintf(stderr, "stratactl: %s after %lu tr%s\n",
			ret == CTL_EXIT_FAIL	 ? "not synchronised"
			: ret == CTL_EXIT_DENIED ? "permission denied"
						 : "no answer from stratad",
			i, i == 1 ? "y" : "ies");
	return ret;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"socket", required_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const char *path = CFG_DEFAULT_CONTROL;
	char req[64], why[512], *answer = NULL;
	int c, json = 0, ret, reload;
	struct waitsync w;
	size_t i, len;

	/* options may follow the command too; waitsync's numbers never start with '-' */
	while ((c = getopt_long(argc, argv, "s:jhV", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			path = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			usage(stdout);
			return CTL_EXIT_OK;
		case 'V':
			printf("stratactl %s\n", STRATA_VERSION);
			return CTL_EXIT_OK;
		default:
			usage(stderr);
			return CTL_EXIT_USAGE;
		}
	}
	if (optind == argc) {
		fprintf(stderr, "stratactl: which command? counters, nts, serverstats, sources, "
				"tracking, reload or waitsync (see --help)\n");
		return CTL_EXIT_USAGE;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[optind], commands[i]) == 0)
			break;
	if (i == sizeof(commands) / sizeof(commands[0])) {
		fprintf(stderr,
			"stratactl: unknown command '%s' (known: counters, nts, serverstats, "
			"sources, tracking, reload, waitsync)\n",
			argv[optind]);
		return CTL_EXIT_USAGE;
	}
	if (strcmp(commands[i], "waitsync") == 0) {
		if (waitsync_parse(argc - optind - 1, argv + optind + 1, &w, why, sizeof(why)) <
		    0) {
			fprintf(stderr, "stratactl: %s (see --help)\n", why);
			return CTL_EXIT_USAGE;
		}
		return waitsync(path, &w);
	}
	if (optind + 1 != argc) {
		fprintf(stderr,
			"stratactl: %s takes no arguments, one command at a time (see "
			"--help)\n",
			commands[i]);
		return CTL_EXIT_USAGE;
	}
	reload = strcmp(commands[i], CTL_CMD_RELOAD) == 0;
	/* the reload's answer is text in any case: one result line, then the lines to restart */
	snprintf(req, sizeof(req), "%s%s\n", commands[i], json && !reload ? " json" : "");

	ret = ask(path, req, reload ? RELOAD_TIMEOUT_S : ANSWER_TIMEOUT_S, &answer, &len, why,
		  sizeof(why));
	if (ret != CTL_EXIT_OK) {
		fprintf(stderr, "stratactl: %s\n", why);
	} else if (fwrite(answer, 1, len, stdout) != len || fflush(stdout) != 0) {
		fprintf(stderr, "stratactl: writing the answer: %s\n", strerror(errno));
		ret = CTL_EXIT_FAIL;
	}
	free(answer);
	return ret;
}
