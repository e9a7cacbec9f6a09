/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stratad's reporting thread: the control socket and the metrics endpoint.
 *
 * The sockets are bound while stratad is still root (server_bind(), as
 * OpenNTPD's parent does), the thread starts after the drop (server_run()).
 * It multiplexes non-blocking connections with poll(): each reads its one
 * request, gets its whole answer rendered into its own buffer from a fresh
 * copy of the status, and drains it at the peer's pace. Each connection has
 * an absolute deadline from its accept; one that has not sent its request
 * and taken its answer by then is closed. So a slow or silent peer holds its
 * own slot and nothing else, and control and metrics have separate slots:
 * scrapers on a reachable metrics address never lock stratactl out. The main
 * loop, which publishes the snapshot, never waits for any of this.
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
#include "monotime.h"
#include "metrics.h"
#include "sockclose.h"

#define CTL_LINE_MAX 256
#define HTTP_HEAD_MAX 4096
/* however slowly a peer trickles, its connection is closed this long after accept */
#define CONN_DEADLINE_NS (2 * NSEC_PER_SEC)
/* per endpoint: scrapers and operators rarely hold more than one or two each */
#define CONN_SLOTS 8
/* answers grow with the CPUs: 256 CPUs of metrics are about 600 KiB */
#define ANSWER_MIN (64 * 1024)
#define ANSWER_MAX (64 * 1024 * 1024)

enum conn_kind { CONN_CONTROL, CONN_METRICS, CONN_KINDS };

struct conn {
	int fd;		   /* -1: a free slot */
	uint64_t deadline; /* CLOCK_MONOTONIC ns: closed then, answered or not */
	size_t in_len;
	char in[HTTP_HEAD_MAX + 1]; /* the request, NUL-terminated */
	char *out;		    /* the answer once rendered; NULL while reading */
	size_t out_len, out_off;
};

struct server {
	pthread_t thread;
	int running;
	int lfd[CONN_KINDS]; /* the control socket; the metrics one or -1 */
	int stop_fd;	     /* eventfd: readable once server_stop() wants the thread gone */
	char path[sizeof(((struct sockaddr_un *)NULL)->sun_path)]; /* set once bound */
	server_get_fn *get;
	void *arg;
	struct status *st; /* about 50 KiB: on the heap, reused */
	char *buf;	   /* the answer being rendered, grown as needed and kept */
	size_t buflen;
	struct conn conn[CONN_KINDS][CONN_SLOTS];
};

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

/* The answer of @c: @a then @b, copied so that the next render can reuse s->buf. */
static void
answer(struct conn *c, const char *a, size_t alen, const char *b, size_t blen)
{
	c->out = malloc(alen + blen + 1);
	if (c->out == NULL) {
		log_warn("reporting thread: out of memory for a %zu-byte answer", alen + blen);
		c->out = strdup("");
		alen = blen = 0;
		if (c->out == NULL)
			return;
	}
	memcpy(c->out, a, alen);
	memcpy(c->out + alen, b, blen);
	c->out_len = alen + blen;
	c->out_off = 0;
}

/* One command line in, one answer out (ctl.h); errors start with CTL_ERROR_PREFIX. */
static void
serve_control(struct server *s, struct conn *c)
{
	const char *err = NULL;
	char *nl;
	int len;

	nl = memchr(c->in, '\n', c->in_len);
	if (nl != NULL)
		*nl = '\0';
	else if (c->in_len > CTL_LINE_MAX)
		err = CTL_ERROR_PREFIX "command longer than 256 bytes\n";

	len = err == NULL ? render(s, c->in) : 0;
	if (len == -2)
		err = CTL_ERROR_PREFIX "answer too large\n";
	if (err != NULL)
		answer(c, err, strlen(err), "", 0);
	else if (len == -1)
		answer(c, CTL_ERROR_PREFIX, strlen(CTL_ERROR_PREFIX), s->buf, strlen(s->buf));
	else
		answer(c, s->buf, (size_t)len, "", 0);
}

static void
http_answer(struct conn *c, int code, const char *type, const char *body, size_t len)
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
	/* one buffer: head and body leave in one segment, not two delayed by Nagle */
	answer(c, head, (size_t)n, body, len);
}

static void
http_text(struct conn *c, int code, const char *text)
{
	http_answer(c, code, "text/plain; charset=utf-8", text, strlen(text));
}

/* HTTP/1.1 GET, just enough for Prometheus and a browser (RFC 9112 section 3). */
static void
serve_metrics(struct server *s, struct conn *c)
{
	static const char index_html[] =
		"<html><head><title>stratad</title></head><body><h1>stratad</h1>"
		"<p><a href=\"/metrics\">Metrics</a></p></body></html>\n";
	const char *head = c->in, *target, *sp;
	size_t n = c->in_len, line, path;
	int len;

	/* request-line = method SP request-target SP HTTP-version */
	line = strcspn(head, "\r\n");
	sp = memchr(head, ' ', line);
	target = sp != NULL ? sp + 1 : NULL;
	sp = target != NULL ? memchr(target, ' ', line - (size_t)(target - head)) : NULL;
	if (!head_done(head, n) || sp == NULL || strncmp(sp + 1, "HTTP/", 5) != 0) {
		http_text(c, 400, "bad request\n");
		return;
	}
	if (target - head != 4 || memcmp(head, "GET ", 4) != 0) {
		http_text(c, 405, "only GET\n");
		return;
	}
	path = strcspn(target, "? ");
	if (path == 8 && memcmp(target, "/metrics", 8) == 0) {
		len = render(s, NULL);
		if (len < 0)
			http_text(c, 500, "metrics too large\n");
		else
			http_answer(c, 200, "text/plain; version=0.0.4; charset=utf-8", s->buf,
				    (size_t)len);
	} else if (path == 1) {
		http_answer(c, 200, "text/html; charset=utf-8", index_html, sizeof(index_html) - 1);
	} else {
		http_text(c, 404, "not found: try /metrics\n");
	}
}

static void
conn_close(struct conn *c)
{
	sock_close_answered(c->fd);
	c->fd = -1;
	free(c->out);
	c->out = NULL;
}

/* A peer past its deadline: reset, as the rest of its answer may never be read. */
static void
conn_abort(struct conn *c)
{
	sock_close_reset(c->fd);
	c->fd = -1;
	free(c->out);
	c->out = NULL;
}

static void
on_accept(struct server *s, enum conn_kind kind, uint64_t now)
{
	struct conn *c = NULL;
	unsigned int i;
	int fd;

	for (i = 0; i < CONN_SLOTS && c == NULL; i++)
		if (s->conn[kind][i].fd < 0)
			c = &s->conn[kind][i];
	if (c == NULL)
		return; /* not polled while full: the peer waits in the backlog */
	fd = accept4(s->lfd[kind], NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0) {
		/* out of descriptors: wait a little instead of spinning on poll */
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
			log_warn("reporting thread: accept: %s", strerror(errno));
			usleep(100000);
		}
		return;
	}
	c->fd = fd;
	c->deadline = now + CONN_DEADLINE_NS;
	c->in_len = 0;
	c->in[0] = '\0';
	c->out = NULL;
	c->out_len = c->out_off = 0;
}

/* Read what has come; once the request is whole (or the peer is done), render the answer. */
static void
on_readable(struct server *s, enum conn_kind kind, struct conn *c)
{
	size_t cap = kind == CONN_CONTROL ? CTL_LINE_MAX + 2 : HTTP_HEAD_MAX + 1;
	ssize_t r;
	int eof = 0;

	r = recv(c->fd, c->in + c->in_len, cap - 1 - c->in_len, 0);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0)
		eof = 1;
	else
		c->in_len += (size_t)r;
	c->in[c->in_len] = '\0';
	if (c->in_len == 0 && eof) {
		conn_close(c); /* connected and left: nothing to answer */
		return;
	}
	if (!eof && c->in_len + 1 < cap &&
	    !(kind == CONN_CONTROL ? line_done(c->in, c->in_len) : head_done(c->in, c->in_len)))
		return;
	if (kind == CONN_CONTROL)
		serve_control(s, c);
	else
		serve_metrics(s, c);
	if (c->out == NULL)
		conn_close(c);
}

/* Send what the peer's window takes; close once all is handed to the kernel. */
static void
on_writable(struct conn *c)
{
	ssize_t w;

	while (c->out_off < c->out_len) {
		/* a peer gone away must not raise SIGPIPE in stratad */
		w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return;
		if (w <= 0)
			break;
		c->out_off += (size_t)w;
	}
	conn_close(c);
}

static void *
run(void *arg)
{
	struct pollfd p[1 + CONN_KINDS + CONN_KINDS * CONN_SLOTS];
	struct conn *pc[STRATA_ARRAY_SIZE(p)];
	enum conn_kind pk[STRATA_ARRAY_SIZE(p)];
	struct server *s = arg;

	for (;;) {
		uint64_t now = mono_ns(), next = UINT64_MAX;
		unsigned int i, n = 1, free_slots;
		int k, timeout;

		p[0] = (struct pollfd){.fd = s->stop_fd, .events = POLLIN};
		for (k = 0; k < CONN_KINDS; k++) {
			free_slots = 0;
			for (i = 0; i < CONN_SLOTS; i++) {
				struct conn *c = &s->conn[k][i];

				if (c->fd >= 0 && now >= c->deadline) {
					log_debug("reporting thread: %s peer too slow: closed",
						  k == CONN_CONTROL ? "control" : "metrics");
					conn_abort(c);
				}
				if (c->fd < 0) {
					free_slots++;
					continue;
				}
				if (c->deadline < next)
					next = c->deadline;
				pk[n] = (enum conn_kind)k;
				pc[n] = c;
				p[n++] = (struct pollfd){
					.fd = c->fd, .events = c->out == NULL ? POLLIN : POLLOUT};
			}
			/* a full endpoint leaves new peers in the backlog until a slot frees */
			if (s->lfd[k] >= 0 && free_slots > 0) {
				pk[n] = (enum conn_kind)k;
				pc[n] = NULL;
				p[n++] = (struct pollfd){.fd = s->lfd[k], .events = POLLIN};
			}
		}
		timeout = next == UINT64_MAX ? -1 : (int)((next - now + 999999) / 1000000);
		if (poll(p, n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			log_warn("reporting thread: poll: %s; control socket closed",
				 strerror(errno));
			break;
		}
		if (p[0].revents != 0)
			break;
		now = mono_ns();
		for (i = 1; i < n; i++) {
			if (p[i].revents == 0)
				continue;
			if (pc[i] == NULL)
				on_accept(s, pk[i], now);
			else if (pc[i]->out == NULL)
				on_readable(s, pk[i], pc[i]);
			else
				on_writable(pc[i]);
		}
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

	s->lfd[CONN_CONTROL] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->lfd[CONN_CONTROL] < 0)
		return warn_errno("control socket", path, "socket");
	if (bind(s->lfd[CONN_CONTROL], (struct sockaddr *)&sun, sizeof(sun)) < 0)
		return warn_errno("control socket", path, "bind");
	strcpy(s->path, path);
	/* before listen(): nobody connects while the mode is still the umask's */
	if (chmod(path, 0660) < 0)
		return warn_errno("control socket", path, "chmod");
	if (listen(s->lfd[CONN_CONTROL], 16) < 0)
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

	s->lfd[CONN_METRICS] = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->lfd[CONN_METRICS] < 0)
		return warn_errno("metrics address", name, "socket");
	/* a restarted stratad binds again while its old connections sit in TIME_WAIT */
	if (setsockopt(s->lfd[CONN_METRICS], SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		return warn_errno("metrics address", name, "SO_REUSEADDR");
	if (bind(s->lfd[CONN_METRICS], sa, len) < 0)
		return warn_errno("metrics address", name, "bind");
	if (listen(s->lfd[CONN_METRICS], 16) < 0)
		return warn_errno("metrics address", name, "listen");
	return 0;
}

/* Everything server_bind() acquired, in reverse; the thread is not running. */
static void
release(struct server *s)
{
	unsigned int k, i;

	for (k = 0; k < CONN_KINDS; k++)
		for (i = 0; i < CONN_SLOTS; i++)
			if (s->conn[k][i].fd >= 0)
				conn_close(&s->conn[k][i]);
	if (s->stop_fd >= 0)
		close(s->stop_fd);
	if (s->lfd[CONN_METRICS] >= 0)
		close(s->lfd[CONN_METRICS]);
	/* after the drop this fails where only root may write: the next start replaces it */
	if (s->path[0] != '\0')
		unlink(s->path);
	if (s->lfd[CONN_CONTROL] >= 0)
		close(s->lfd[CONN_CONTROL]);
	free(s->buf);
	free(s->st);
	free(s);
}

struct server *
server_bind(const char *control_path, const struct sockaddr *metrics, socklen_t metrics_len,
	    server_get_fn *get, void *arg)
{
	struct server *s;
	unsigned int k, i;
	int err;

	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		log_warn("reporting thread: out of memory");
		return NULL;
	}
	s->lfd[CONN_CONTROL] = s->lfd[CONN_METRICS] = s->stop_fd = -1;
	for (k = 0; k < CONN_KINDS; k++)
		for (i = 0; i < CONN_SLOTS; i++)
			s->conn[k][i].fd = -1;
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
	return s;

fail:
	release(s);
	errno = -err;
	return NULL;
}

int
server_run(struct server *s)
{
	sigset_t all, old;
	int err;

	/* signals are the main loop's business: the thread starts with all blocked */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = -pthread_create(&s->thread, NULL, run, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err < 0) {
		log_warn("reporting thread: cannot start: %s", strerror(-err));
		return err;
	}
	s->running = 1;
	return 0;
}

struct server *
server_start(const char *control_path, const struct sockaddr *metrics, socklen_t metrics_len,
	     server_get_fn *get, void *arg)
{
	struct server *s = server_bind(control_path, metrics, metrics_len, get, arg);
	int err;

	if (s == NULL)
		return NULL;
	err = server_run(s);
	if (err < 0) {
		release(s);
		errno = -err;
		return NULL;
	}
	return s;
}

void
server_stop(struct server *s)
{
	uint64_t one = 1;

	if (s == NULL)
		return;
	/* an eventfd write of 1 does not block or fail short of 2^64 - 2 writes */
	if (s->running) {
		if (write(s->stop_fd, &one, sizeof(one)) != sizeof(one))
			log_warn("reporting thread: cannot signal stop: %s", strerror(errno));
		pthread_join(s->thread, NULL);
	}
	release(s);
}
