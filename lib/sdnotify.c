/* SPDX-License-Identifier: BSD-3-Clause */
#include "sdnotify.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* the pings' schedule: one per process, as there is one watchdog per unit */
static uint64_t wd_period_ns, wd_next_ns;

int
sd_notifyf(const char *fmt, ...)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	socklen_t len;
	char msg[1024];
	va_list ap;
	size_t n;
	int fd, n_msg, rc = 1;

	if (path == NULL || path[0] == '\0')
		return 0;
	n = strlen(path);
	/* an absolute path or an abstract name: anything else is not systemd's */
	if ((path[0] != '/' && path[0] != '@') || n >= sizeof(sun.sun_path))
		return -EINVAL;
	memcpy(sun.sun_path, path, n);
	if (path[0] == '@') {
		/* abstract: a leading NUL and no trailing one, the length says where it ends */
		sun.sun_path[0] = '\0';
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	} else {
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	}
	va_start(ap, fmt);
	n_msg = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n_msg < 0 || (size_t)n_msg >= sizeof(msg))
		return -EMSGSIZE;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/*
	 * The socket (/run/systemd/notify) is root's with mode 0777 and its
	 * directory is searchable by all: a daemon that has become its
	 * unprivileged user still reaches it.
	 */
	if (sendto(fd, msg, (size_t)n_msg, MSG_NOSIGNAL, (struct sockaddr *)&sun, len) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

uint64_t
sd_watchdog_usec(void)
{
	const char *s = getenv("WATCHDOG_USEC"), *p = getenv("WATCHDOG_PID");
	unsigned long long usec, pid;
	char *end;

	if (s == NULL || s[0] < '0' || s[0] > '9')
		return 0;
	errno = 0;
	usec = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || usec == 0)
		return 0;
	/* set for another process: a child that inherited the environment */
	if (p != NULL) {
		if (p[0] < '0' || p[0] > '9')
			return 0;
		errno = 0;
		pid = strtoull(p, &end, 10);
		if (errno != 0 || *end != '\0' || pid != (unsigned long long)getpid())
			return 0;
	}
	return usec;
}

unsigned int
sd_watchdog_init(uint64_t now_ns)
{
	uint64_t usec = sd_watchdog_usec();

	wd_period_ns = usec * 1000 / 2;
	wd_next_ns = now_ns + wd_period_ns;
	if (usec == 0)
		return 0;
	return usec < 2000 ? 1 : (unsigned int)(usec / 2000);
}

void
sd_watchdog_tick(uint64_t now_ns)
{
	if (wd_period_ns == 0 || now_ns < wd_next_ns)
		return;
	sd_notifyf("WATCHDOG=1");
	wd_next_ns = now_ns + wd_period_ns;
}
