/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stratactl: ask a running stratad over its control socket and print the
 * answer. The protocol is one line each way (lib/ctlproto.h): the command,
 * then the answer until stratad closes the connection.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "ctlproto.h"

/* meson passes the project version; a build without it still says something */
#ifndef STRATA_VERSION
#define STRATA_VERSION "0.1.0"
#endif

/* stratad answers in microseconds; a stuck one should not hang a script forever */
#define ANSWER_TIMEOUT_S 5
/* a reload waits for stratad's main loop; stratad gives up on it after 30 s */
#define RELOAD_TIMEOUT_S 35

static const char *const commands[] = {"counters", "nts", "sources", "tracking", CTL_CMD_RELOAD};

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: stratactl [-s SOCKET] [--json] COMMAND\n"
		"\n"
		"Ask a running stratad about the time it serves and the packets it answers.\n"
		"\n"
		"commands:\n"
		"  counters        packets per CPU, by outcome (reply, pass and drop reasons);\n"
		"                  with strata-dpdk, its workers' own counters, one per row\n"
		"  nts             NTS: the master keys (count, current ID, age, next\n"
		"                  rotation), strata-nts, its NTS-KE counters and the NTS\n"
		"                  counters of the DPDK workers and AF_XDP sockets\n"
		"  sources         upstream servers, as ntpq -p shows them: * system peer,\n"
		"                  + combined, - outlier, x falseticker, ? unreachable\n"
		"  tracking        time source, stratum, reference ID, leap status, root delay\n"
		"                  and dispersion, snapshot age, interfaces\n"
		"  reload          re-read stratad's configuration file and wait for the\n"
		"                  result: exit 0 when applied (lines that need a restart\n"
		"                  are listed), 1 when stratad refused the file (its error\n"
		"                  is printed; the running configuration stays)\n"
		"\n"
		"options:\n"
		"  -s, --socket PATH   stratad's control socket (default %s)\n"
		"  -j, --json          answer in JSON, for scripts\n"
		"  -h, --help          this text\n"
		"  -V, --version       stratactl's version\n",
		CFG_DEFAULT_CONTROL);
}

/* Connect to @path, or print why not; answers wait @timeout_s at most. @return the socket or -1. */
static int
connect_stratad(const char *path, int timeout_s)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = timeout_s};
	const char *hint;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "stratactl: socket path too long (at most %zu bytes): %s\n",
			sizeof(sun.sun_path) - 1, path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "stratactl: socket: %s\n", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		hint = errno == EACCES ? "run as root or as a member of the socket's group"
				       : "is stratad running? see -s";
		fprintf(stderr, "stratactl: cannot connect to %s: %s (%s)\n", path, strerror(errno),
			hint);
		close(fd);
		return -1;
	}
	return fd;
}

/* Everything stratad sends until it closes. @return the answer (NUL-terminated) or NULL. */
static char *
read_answer(int fd, size_t *len)
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
			fprintf(stderr, "stratactl: reading stratad's answer: %s\n",
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
	fprintf(stderr, "stratactl: out of memory\n");
fail:
	free(buf);
	return NULL;
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
	char req[64], *answer = NULL;
	int c, json = 0, fd = -1, ret = 1, reload;
	size_t i, len;

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
			return 0;
		case 'V':
			printf("stratactl %s\n", STRATA_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "stratactl: %s (see --help)\n",
			optind == argc ? "which command? counters, nts, sources, tracking or reload"
				       : "one command at a time");
		return 2;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[optind], commands[i]) == 0)
			break;
	if (i == sizeof(commands) / sizeof(commands[0])) {
		fprintf(stderr,
			"stratactl: unknown command '%s' (known: counters, nts, sources, tracking, "
			"reload)\n",
			argv[optind]);
		return 2;
	}
	reload = strcmp(commands[i], CTL_CMD_RELOAD) == 0;
	/* the reload's answer is text in any case: one result line, then the lines to restart */
	len = (size_t)snprintf(req, sizeof(req), "%s%s\n", commands[i],
			       json && !reload ? " json" : "");

	fd = connect_stratad(path, reload ? RELOAD_TIMEOUT_S : ANSWER_TIMEOUT_S);
	if (fd < 0)
		goto out;
	if (send(fd, req, len, MSG_NOSIGNAL) != (ssize_t)len) {
		fprintf(stderr, "stratactl: sending to %s: %s\n", path, strerror(errno));
		goto out_close;
	}
	answer = read_answer(fd, &len);
	if (answer == NULL)
		goto out_close;
	if (len == 0) {
		fprintf(stderr, "stratactl: %s closed without an answer\n", path);
		goto out_free;
	}
	if (strncmp(answer, CTL_ERROR_PREFIX, strlen(CTL_ERROR_PREFIX)) == 0) {
		fprintf(stderr, "stratactl: stratad: %s", answer + strlen(CTL_ERROR_PREFIX));
		goto out_free;
	}
	if (fwrite(answer, 1, len, stdout) != len || fflush(stdout) != 0) {
		fprintf(stderr, "stratactl: writing the answer: %s\n", strerror(errno));
		goto out_free;
	}
	ret = 0;

out_free:
	free(answer);
out_close:
	close(fd);
out:
	return ret;
}
