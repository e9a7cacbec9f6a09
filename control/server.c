/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stratad's reporting thread: the control socket and the metrics endpoint.
 *
 * One thread polls both listening sockets and serves each connection to the
 * end before the next: read one request, render the answer from a fresh copy
 * of the status, write it, close. Answers take microseconds; what could hold
 * the thread is a slow peer, so every connection has socket timeouts and an
 * overall deadline. The main loop, which publishes the snapshot, never waits
 * for any of this.
 */
#include "server.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"
#include "metrics.h"

#define CTL_LINE_MAX 256
#define HTTP_HEAD_MAX 4096
#define IO_TIMEOUT_S 1
/* however slowly a peer trickles, it holds the thread no longer than this */
#define CONN_DEADLINE_NS (2 * NSEC_PER_SEC)
/* answers grow with the CPUs: 256 CPUs of metrics are about 600 KiB */
#define ANSWER_MIN (64 * 1024)
#define ANSWER_MAX (64 * 1024 * 1024)

struct server {
	pthread_t thread;
	int ctl_fd;
	int metrics_fd; /* -1 without metrics */
	int stop_fd;	/* eventfd: readable once server_stop() wants the thread gone */
	char path[sizeof(((struct sockaddr_un *)NULL)->sun_path)]; /* set once bound */
	server_get_fn *get;
	void *arg;
	struct status *st; /* about 50 KiB: on the heap, reused */
	char *buf;	   /* the answer, grown as needed and kept */
	size_t buflen;
};

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* Log "KIND NAME: OP: reason" for the errno of a failed @op. @return -errno. */
static int
warn_errno(const char *kind, const char *name, const char *op)
{
	int err = errno;

	log_warn("%s %s: %s: %s", kind, name, op, strerror(err));
	return -err;
}

/*
 * Fill s->buf with the answer to control command @cmd, or with the metrics
 * when @cmd is NULL. @return the length, -1 for an unknown command, -2 when
 * the answer outgrew ANSWER_MAX or memory.
 */
static int
render(struct server *s, const char *cmd)
{
	uint64_t now;
	int n;

	memset(s->st, 0, sizeof(*s->st));
	s->get(s->st, s->arg);
	now = mono_ns();
	for (;;) {
		char *p;

		if (cmd != NULL)
			n = ctl_render(cmd, s->st, now, s->buf, s->buflen);
		else
			n = metrics_render(s->st, now, s->buf, s->buflen);
		if (n != -2 || s->buflen >= ANSWER_MAX)
			return n;
		p = realloc(s->buf, s->buflen * 2);
		if (p == NULL)
			return -2;
		s->buf = p;
		s->buflen *= 2;
	}
}

static int
write_all(int fd, const char *p, size_t n, int flags, uint64_t deadline)
{
	while (n > 0) {
		/* a peer gone away must not raise SIGPIPE in stratad */
		ssize_t w = send(fd, p, n, flags | MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0 || mono_ns() > deadline)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
line_done(const char *b, size_t n)
{
	return memchr(b, '\n', n) != NULL;
}

/* The blank line ending an HTTP head, with or without CRs (RFC 9112 section 2.2). */
static int
head_done(const char *b, size_t n)
{
	return memmem(b, n, "\n\r\n", 3) != NULL || memmem(b, n, "\n\n", 2) != NULL;
}

/*
 * Read into @b (@cap bytes, NUL-terminated) until @done, a full buffer, EOF,
 * a timeout or the deadline. @return the bytes read.
 */
static size_t
read_until(int fd, char *b, size_t cap, int (*done)(const char *, size_t), uint64_t deadline)
{
	size_t n = 0;

	while (n + 1 < cap && !done(b, n) && mono_ns() <= deadline) {
		ssize_t r = recv(fd, b + n, cap - 1 - n, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	b[n] = '\0';
	return n;
}

/* One command line in, one answer out (ctl.h); errors start with CTL_ERROR_PREFIX. */
static void
serve_control(struct server *s, int fd, uint64_t deadline)
{
	char line[CTL_LINE_MAX + 2];
	const char *err = NULL;
	char *nl;
	size_t n;
	int len;

	n = read_until(fd, line, sizeof(line), line_done, deadline);
	if (n == 0)
		return;
	nl = memchr(line, '\n', n);
	if (nl != NULL)
		*nl = '\0';
	else if (n > CTL_LINE_MAX)
		err = CTL_ERROR_PREFIX "command longer than 256 bytes\n";

	len = err == NULL ? render(s, line) : 0;
	if (len == -2)
		err = CTL_ERROR_PREFIX "answer too large\n";
	if (err != NULL) {
		write_all(fd, err, strlen(err), 0, deadline);
	} else if (len == -1) {
		if (write_all(fd, CTL_ERROR_PREFIX, strlen(CTL_ERROR_PREFIX), 0, deadline) == 0)
			write_all(fd, s->buf, strlen(s->buf), 0, deadline);
	} else {
		write_all(fd, s->buf, (size_t)len, 0, deadline);
	}
}

static void
http_answer(int fd, int code, const char *type, const char *body, size_t len, uint64_t deadline)
{
	const char *reason = code == 200   ? "OK"
			     : code == 404 ? "Not Found"
			     : code == 405 ? "Method Not Allowed"
			     : code == 500 ? "Internal Server Error"
					   : "Bad Request";
	char head[256];
	int n;

	/* RFC 9110 section 15.5.6: a 405 names the methods that are allowed */
	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
		     "Connection: close\r\n\r\n",
		     code, reason, type, len, code == 405 ? "Allow: GET\r\n" : "");
	/* MSG_MORE: head and body leave in one segment, not two delayed by Nagle */
	if (write_all(fd, head, (size_t)n, MSG_MORE, deadline) == 0)
		write_all(fd, body, len, 0, deadline);
}

static void
http_text(int fd, int code, const char *text, uint64_t deadline)
{
	http_answer(fd, code, "text/plain; charset=utf-8", text, strlen(text), deadline);
}

/* HTTP/1.1 GET, just enough for Prometheus and a browser (RFC 9112 section 3). */
static void
serve_metrics(struct server *s, int fd, uint64_t deadline)
{
	static const char index_html[] =
		"<html><head><title>stratad</title></head><body><h1>stratad</h1>"
		"<p><a href=\"/metrics\">Metrics</a></p></body></html>\n";
	char head[HTTP_HEAD_MAX + 1];
	const char *target, *sp;
	size_t n, line, path;
	int len;

	n = read_until(fd, head, sizeof(head), head_done, deadline);
	if (n == 0)
		return;
	/* request-line = method SP request-target SP HTTP-version */
	line = strcspn(head, "\r\n");
	sp = memchr(head, ' ', line);
	target = sp != NULL ? sp + 1 : NULL;
	sp = target != NULL ? memchr(target, ' ', line - (size_t)(target - head)) : NULL;
	if (!head_done(head, n) || sp == NULL || strncmp(sp + 1, "HTTP/", 5) != 0) {
		http_text(fd, 400, "bad request\n", deadline);
		return;
	}
	if (target - head != 4 || memcmp(head, "GET ", 4) != 0) {
		http_text(fd, 405, "only GET\n", deadline);
		return;
	}
	path = strcspn(target, "? ");
	if (path == 8 && memcmp(target, "/metrics", 8) == 0) {
		len = render(s, NULL);
		if (len < 0)
			http_text(fd, 500, "metrics too large\n", deadline);
		else
			http_answer(fd, 200, "text/plain; version=0.0.4; charset=utf-8", s->buf,
				    (size_t)len, deadline);
	} else if (path == 1) {
		http_answer(fd, 200, "text/html; charset=utf-8", index_html, sizeof(index_html) - 1,
			    deadline);
	} else {
		http_text(fd, 404, "not found: try /metrics\n", deadline);
	}
}

static void
serve(struct server *s, int lfd, void (*fn)(struct server *, int, uint64_t))
{
	struct timeval tv = {.tv_sec = IO_TIMEOUT_S};
	char junk[4096];
	int fd, n;

	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		/* out of descriptors: wait a little instead of spinning on poll */
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
			log_warn("reporting thread: accept: %s", strerror(errno));
			usleep(100000);
		}
		return;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	fn(s, fd, mono_ns() + CONN_DEADLINE_NS);
	/*
	 * Closing with unread input sends a reset, which can destroy the
	 * answer before the peer reads it: finish sending, then discard what
	 * already arrived (a bounded amount, without waiting for more).
	 */
	shutdown(fd, SHUT_WR);
	for (n = 0; n < 16 && recv(fd, junk, sizeof(junk), MSG_DONTWAIT) > 0; n++)
		;
	close(fd);
}

static void *
run(void *arg)
{
	struct server *s = arg;

	for (;;) {
		/* poll() skips the metrics entry when its fd is -1 */
		struct pollfd p[3] = {
			{.fd = s->stop_fd, .events = POLLIN},
			{.fd = s->ctl_fd, .events = POLLIN},
			{.fd = s->metrics_fd, .events = POLLIN},
		};

		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_warn("reporting thread: poll: %s; control socket closed",
				 strerror(errno));
			break;
		}
		if (p[0].revents != 0)
			break;
		if (p[1].revents != 0)
			serve(s, s->ctl_fd, serve_control);
		if (p[2].revents != 0)
			serve(s, s->metrics_fd, serve_metrics);
	}
	return NULL;
}

static int
listen_control(struct server *s, const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char dir[sizeof(sun.sun_path)];
	struct stat sb;
	char *slash;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_warn("control socket %s: path longer than %zu bytes", path,
			 sizeof(sun.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	strcpy(sun.sun_path, path);

	/* the directory is usually /run/strata, which goes with every reboot */
	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return warn_errno("control socket", path, "cannot create its directory");
	}
	/* a stratad that died leaves its socket behind; any other file is not ours */
	if (lstat(path, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode)) {
			log_warn("control socket %s: exists and is not a socket", path);
			return -EEXIST;
		}
		if (unlink(path) < 0)
			return warn_errno("control socket", path, "cannot remove the stale one");
	}

	s->ctl_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->ctl_fd < 0)
		return warn_errno("control socket", path, "socket");
	if (bind(s->ctl_fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		return warn_errno("control socket", path, "bind");
	strcpy(s->path, path);
	/* before listen(): nobody connects while the mode is still the umask's */
	if (chmod(path, 0660) < 0)
		return warn_errno("control socket", path, "chmod");
	if (listen(s->ctl_fd, 16) < 0)
		return warn_errno("control socket", path, "listen");
	return 0;
}

static int
listen_metrics(struct server *s, const struct sockaddr *sa, socklen_t len)
{
	char host[NI_MAXHOST] = "?", port[NI_MAXSERV] = "?", name[NI_MAXHOST + NI_MAXSERV + 4];
	int one = 1;

	getnameinfo(sa, len, host, sizeof(host), port, sizeof(port),
		    NI_NUMERICHOST | NI_NUMERICSERV);
	snprintf(name, sizeof(name), sa->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, port);

	s->metrics_fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->metrics_fd < 0)
		return warn_errno("metrics address", name, "socket");
	/* a restarted stratad binds again while its old connections sit in TIME_WAIT */
	if (setsockopt(s->metrics_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		return warn_errno("metrics address", name, "SO_REUSEADDR");
	if (bind(s->metrics_fd, sa, len) < 0)
		return warn_errno("metrics address", name, "bind");
	if (listen(s->metrics_fd, 16) < 0)
		return warn_errno("metrics address", name, "listen");
	return 0;
}

/* Everything server_start() acquired, in reverse; the thread is not running. */
static void
release(struct server *s)
{
	if (s->stop_fd >= 0)
		close(s->stop_fd);
	if (s->metrics_fd >= 0)
		close(s->metrics_fd);
	if (s->path[0] != '\0')
		unlink(s->path);
	if (s->ctl_fd >= 0)
		close(s->ctl_fd);
	free(s->buf);
	free(s->st);
	free(s);
}

struct server *
server_start(const char *control_path, const struct sockaddr *metrics, socklen_t metrics_len,
	     server_get_fn *get, void *arg)
{
	sigset_t all, old;
	struct server *s;
	int err;

	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		log_warn("reporting thread: out of memory");
		return NULL;
	}
	s->ctl_fd = s->metrics_fd = s->stop_fd = -1;
	s->get = get;
	s->arg = arg;
	s->buflen = ANSWER_MIN;
	s->st = malloc(sizeof(*s->st));
	s->buf = malloc(s->buflen);
	if (s->st == NULL || s->buf == NULL) {
		log_warn("reporting thread: out of memory");
		err = -ENOMEM;
		goto fail;
	}
	err = listen_control(s, control_path);
	if (err < 0)
		goto fail;
	if (metrics != NULL) {
		err = listen_metrics(s, metrics, metrics_len);
		if (err < 0)
			goto fail;
	}
	s->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (s->stop_fd < 0) {
		err = warn_errno("reporting thread", "stop", "eventfd");
		goto fail;
	}

	/* signals are the main loop's business: the thread starts with all blocked */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = -pthread_create(&s->thread, NULL, run, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err < 0) {
		log_warn("reporting thread: cannot start: %s", strerror(-err));
		goto fail;
	}
	return s;

fail:
	release(s);
	errno = -err;
	return NULL;
}

void
server_stop(struct server *s)
{
	uint64_t one = 1;

	if (s == NULL)
		return;
	/* an eventfd write of 1 does not block or fail short of 2^64 - 2 writes */
	if (write(s->stop_fd, &one, sizeof(one)) != sizeof(one))
		log_warn("reporting thread: cannot signal stop: %s", strerror(errno));
	pthread_join(s->thread, NULL);
	release(s);
}
