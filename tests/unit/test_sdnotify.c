/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * systemd's notification protocol (lib/sdnotify.c) against sockets that
 * stand in for systemd's: a datagram socket bound to a path and one to an
 * abstract name, with NOTIFY_SOCKET naming each; the exact datagrams; the
 * watchdog's environment, WATCHDOG_PID naming another process included; and
 * a send after a drop to an unprivileged user (a forked child), which
 * reaches a socket of root's with mode 0777 as systemd's is.
 */
#include <errno.h>
#include <grp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sdnotify.h"

#include "cunit_main.h"

static char dir[] = "/tmp/test_sdnotify.XXXXXX";

/* A datagram socket at @name (a path, or '@' and an abstract name); @return its fd. */
static int
bind_notify(const char *name)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	socklen_t len = sizeof(sun);
	struct timeval tv = {.tv_sec = 2};
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	CU_ASSERT_FATAL(fd >= 0);
	strcpy(sun.sun_path, name);
	if (name[0] == '@') {
		sun.sun_path[0] = '\0';
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(name));
	}
	CU_ASSERT_FATAL(bind(fd, (struct sockaddr *)&sun, len) == 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* The next datagram on @fd, exactly, or "" after the timeout. */
static const char *
recv_one(int fd)
{
	static char buf[2048];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	if (n < 0 && errno == EAGAIN)
		n = recv(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void
test_no_socket(void)
{
	unsetenv("NOTIFY_SOCKET");
	CU_ASSERT_EQUAL(sd_notifyf("READY=1"), 0);
	setenv("NOTIFY_SOCKET", "", 1);
	CU_ASSERT_EQUAL(sd_notifyf("READY=1"), 0);
	/* neither a path nor an abstract name */
	setenv("NOTIFY_SOCKET", "relative/notify", 1);
	CU_ASSERT_EQUAL(sd_notifyf("READY=1"), -EINVAL);
	/* a path nobody listens on: the error, not a crash */
	setenv("NOTIFY_SOCKET", "/nonexistent/notify", 1);
	CU_ASSERT(sd_notifyf("READY=1") < 0);
	unsetenv("NOTIFY_SOCKET");
}

static void
test_path(void)
{
	char path[sizeof(dir) + 16];
	int fd;

	snprintf(path, sizeof(path), "%s/notify", dir);
	fd = bind_notify(path);
	setenv("NOTIFY_SOCKET", path, 1);
	CU_ASSERT_EQUAL(sd_notifyf("READY=1\nSTATUS=serving on %u interface%s", 2, "s"), 1);
	CU_ASSERT_STRING_EQUAL(recv_one(fd), "READY=1\nSTATUS=serving on 2 interfaces");
	CU_ASSERT_EQUAL(sd_notifyf("RELOADING=1"), 1);
	CU_ASSERT_STRING_EQUAL(recv_one(fd), "RELOADING=1");
	CU_ASSERT_EQUAL(sd_notifyf("STOPPING=1"), 1);
	CU_ASSERT_STRING_EQUAL(recv_one(fd), "STOPPING=1");
	unsetenv("NOTIFY_SOCKET");
	close(fd);
	unlink(path);
}

static void
test_abstract(void)
{
	char name[64];
	int fd;

	snprintf(name, sizeof(name), "@test_sdnotify/%d", (int)getpid());
	fd = bind_notify(name);
	setenv("NOTIFY_SOCKET", name, 1);
	CU_ASSERT_EQUAL(sd_notifyf("WATCHDOG=1"), 1);
	CU_ASSERT_STRING_EQUAL(recv_one(fd), "WATCHDOG=1");
	unsetenv("NOTIFY_SOCKET");
	close(fd);
}

static void
test_watchdog_env(void)
{
	char pid[32];

	unsetenv("WATCHDOG_PID");
	unsetenv("WATCHDOG_USEC");
	CU_ASSERT_EQUAL(sd_watchdog_usec(), 0);
	setenv("WATCHDOG_USEC", "30000000", 1);
	CU_ASSERT_EQUAL(sd_watchdog_usec(), 30000000);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	CU_ASSERT_EQUAL(sd_watchdog_usec(), 30000000);
	/* meant for the process that forked us, or that we forked */
	snprintf(pid, sizeof(pid), "%d", (int)getppid());
	setenv("WATCHDOG_PID", pid, 1);
	CU_ASSERT_EQUAL(sd_watchdog_usec(), 0);
	setenv("WATCHDOG_PID", "x", 1);
	CU_ASSERT_EQUAL(sd_watchdog_usec(), 0);
	unsetenv("WATCHDOG_PID");
	setenv("WATCHDOG_USEC", "0", 1);
	CU_ASSERT_EQUAL(sd_watchdog_usec(), 0);
	setenv("WATCHDOG_USEC", "30s", 1);
	CU_ASSERT_EQUAL(sd_watchdog_usec(), 0);
	setenv("WATCHDOG_USEC", "-1", 1);
	CU_ASSERT_EQUAL(sd_watchdog_usec(), 0);
	unsetenv("WATCHDOG_USEC");
}

static void
test_watchdog_ticks(void)
{
	const uint64_t ms = 1000000;
	char path[sizeof(dir) + 16];
	int fd;

	snprintf(path, sizeof(path), "%s/wd", dir);
	fd = bind_notify(path);
	setenv("NOTIFY_SOCKET", path, 1);
	unsetenv("WATCHDOG_PID");
	unsetenv("WATCHDOG_USEC");
	CU_ASSERT_EQUAL(sd_watchdog_init(1000 * ms), 0);
	sd_watchdog_tick(1000000 * ms);
	/* systemd's 30 s: a ping every 15 s */
	setenv("WATCHDOG_USEC", "30000000", 1);
	CU_ASSERT_EQUAL(sd_watchdog_init(1000 * ms), 15000);
	sd_watchdog_tick(1000 * ms);
	sd_watchdog_tick(15999 * ms);
	sd_watchdog_tick(16000 * ms);
	CU_ASSERT_STRING_EQUAL(recv_one(fd), "WATCHDOG=1");
	sd_watchdog_tick(30999 * ms);
	sd_watchdog_tick(31000 * ms);
	CU_ASSERT_STRING_EQUAL(recv_one(fd), "WATCHDOG=1");
	/* exactly two: nothing more is queued */
	CU_ASSERT_EQUAL(recv(fd, path, 1, MSG_DONTWAIT), -1);
	unsetenv("WATCHDOG_USEC");
	unsetenv("NOTIFY_SOCKET");
	close(fd);
	unlink(path);
}

/*
 * As root only: systemd's socket is root's, mode 0777, in a directory of
 * mode 0755; a daemon that dropped to nobody still notifies through it.
 */
static void
test_after_drop(void)
{
	char path[sizeof(dir) + 16];
	int fd, st;
	pid_t pid;

	if (geteuid() != 0) {
		printf("\n    not root: the drop is not tried");
		return;
	}
	CU_ASSERT_FATAL(chmod(dir, 0755) == 0);
	snprintf(path, sizeof(path), "%s/notify", dir);
	fd = bind_notify(path);
	CU_ASSERT_FATAL(chmod(path, 0777) == 0);
	setenv("NOTIFY_SOCKET", path, 1);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
			_exit(2);
		_exit(sd_notifyf("READY=1") == 1 ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CU_ASSERT_STRING_EQUAL(recv_one(fd), "READY=1");
	unsetenv("NOTIFY_SOCKET");
	close(fd);
	unlink(path);
	chmod(dir, 0700);
}

static void
test_setup(void)
{
	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
}

static void
test_teardown(void)
{
	CU_ASSERT(rmdir(dir) == 0);
}

static const struct test_case cases[] = {
	TEST_CASE(test_setup),	    TEST_CASE(test_no_socket),	  TEST_CASE(test_path),
	TEST_CASE(test_abstract),   TEST_CASE(test_watchdog_env), TEST_CASE(test_watchdog_ticks),
	TEST_CASE(test_after_drop), TEST_CASE(test_teardown),
};

CUNIT_MAIN("sdnotify", cases)
