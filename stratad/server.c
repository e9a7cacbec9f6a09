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
 *
 * A "reload" is the main loop's to perform: the connection waits, out of
 * the poll set, while an eventfd tells the main loop; its answer comes back
 * through server_reload_done() and another eventfd. Neither thread ever
 * blocks on the other for it. A new metrics address is bound by this thread
 * too (server_metrics()), so that the listener it polls is never closed
 * under it.
 */
#include "server.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
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
/* a reload reads a file, writes maps and binds sockets: well under this */
#define RELOAD_DEADLINE_NS (30 * NSEC_PER_SEC)
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
	uint64_t ticket; /* waiting for the answer to reload request @ticket; 0 none */
};

struct server {
	pthread_t thread;
	int running;
	int lfd[CONN_KINDS]; /* the control socket; the metrics one or -1 */
	int stop_fd;	     /* eventfd: readable once server_stop() wants the thread gone */
	int wake_fd;	     /* eventfd: a reload answered, or a metrics address to bind */
	int reload_fd;	     /* eventfd the main loop polls: a reload was asked */
	char path[sizeof(((struct sockaddr_un *)NULL)->sun_path)]; /* set once bound */
	server_get_fn *get;
	void *arg;
	struct status *st; /* about 50 KiB: on the heap, reused */
	char *buf;	   /* the answer being rendered, grown as needed and kept */
	size_t buflen;
	struct conn conn[CONN_KINDS][CONN_SLOTS];

	/* shared with the main loop, under mu */
	pthread_mutex_t mu;
	pthread_cond_t cond;
	uint64_t asked; /* reload requests so far: the last one's ticket */
	uint64_t done;	/* requests answered: tickets up to this one */
	char *reload_answer;
	int metrics_req; /* bind metrics_want (length 0: close the listener) */
	struct sockaddr_storage metrics_want;
	socklen_t metrics_want_len;
	int metrics_err;		    /* the request's result, 0 or -errno */
	struct sockaddr_storage metrics_sa; /* the listener's address (the thread's) */
	socklen_t metrics_len;		    /* 0: no listener */
	int exited;			    /* the thread is gone: nobody serves the requests */
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

/* Hand a reload to the main loop; the connection waits for its answer, unpolled. */
static void
ask_reload(struct server *s, struct conn *c)
{
	uint64_t one = 1;

	pthread_mutex_lock(&s->mu);
	c->ticket = ++s->asked;
	pthread_mutex_unlock(&s->mu);
	c->deadline = mono_ns() + RELOAD_DEADLINE_NS;
	/* an eventfd write of 1 does not block or fail short of 2^64 - 2 writes */
	if (write(s->reload_fd, &one, sizeof(one)) != sizeof(one))
		log_warn("reporting thread: cannot ask for the reload: %s", strerror(errno));
}

/*
 * Commands that change state are for root and stratad's own user; the
 * control group only reads (OPS.md, "Operator group"). SO_PEERCRED gives the
 * credentials the peer had when it connected, which it cannot forge.
 * @return 1 when @fd's peer may, else 0 with its uid in *@uid.
 */
static int
may_change_state(int fd, uid_t *uid)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0) {
		*uid = (uid_t)-1;
		return 0;
	}
	*uid = cr.uid;
	/* after the drop the process's uid is the configured user's */
	return cr.uid == 0 || cr.uid == geteuid();
}

/* stratad's own user for messages: its name, or its uid where the lookup fails. */
static void
self_name(char *name, size_t len)
{
	struct passwd pw, *res = NULL;
	char tmp[1024];

	if (getpwuid_r(geteuid(), &pw, tmp, sizeof(tmp), &res) == 0 && res != NULL)
		snprintf(name, len, "%s", pw.pw_name);
	else
		snprintf(name, len, "uid %u", (unsigned int)geteuid());
}

static int
is_reload(const char *cmd)
{
	size_t n;

	cmd += strspn(cmd, " \t");
	n = strcspn(cmd, " \t\r");
	return n == strlen(CTL_CMD_RELOAD) && memcmp(cmd, CTL_CMD_RELOAD, n) == 0 &&
	       cmd[n + strspn(cmd + n, " \t\r")] == '\0';
}

/* One command line in, one answer out (ctl.h); errors start with CTL_ERROR_PREFIX. */
static void
serve_control(struct server *s, struct conn *c)
{
	const char *err = NULL;
	char denied[256], name[96];
	char *nl;
	int len;

	nl = memchr(c->in, '\n', c->in_len);
	if (nl != NULL)
		*nl = '\0';
	else if (c->in_len > CTL_LINE_MAX)
		err = CTL_ERROR_PREFIX "command longer than 256 bytes\n";
	if (err == NULL && is_reload(c->in)) {
		uid_t uid;

		if (may_change_state(c->fd, &uid)) {
			ask_reload(s, c);
			return;
		}
		/* "root and _strata", or "root" for a stratad that kept root (debugging) */
		snprintf(name, sizeof(name), "root");
		if (geteuid() != 0) {
			strcat(name, " and ");
			self_name(name + strlen(name), sizeof(name) - strlen(name));
			strcat(name, " (stratad's user)");
		}
		log_info("control socket: reload refused to uid %d: only %s may change state",
			 (int)uid, name);
		snprintf(denied, sizeof(denied),
			 CTL_DENIED ": reload changes stratad's state, which only %s may ask; "
				    "the control group reads status\n",
			 name);
		err = denied;
	}

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
	c->ticket = 0;
}

/* A peer past its deadline: reset, as the rest of its answer may never be read. */
static void
conn_abort(struct conn *c)
{
	sock_close_reset(c->fd);
	c->fd = -1;
	free(c->out);
	c->out = NULL;
	c->ticket = 0;
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
	c->ticket = 0;
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
	if (c->out == NULL && c->ticket == 0)
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

/* A listening socket on @sa. @return it, or -errno with the reason logged. */
static int
open_metrics(const struct sockaddr *sa, socklen_t len)
{
	char host[NI_MAXHOST] = "?", port[NI_MAXSERV] = "?", name[NI_MAXHOST + NI_MAXSERV + 4];
	int one = 1, fd, err;

	getnameinfo(sa, len, host, sizeof(host), port, sizeof(port),
		    NI_NUMERICHOST | NI_NUMERICSERV);
	snprintf(name, sizeof(name), sa->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, port);

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return warn_errno("metrics address", name, "socket");
	/* a restarted stratad binds again while its old connections sit in TIME_WAIT */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		err = warn_errno("metrics address", name, "SO_REUSEADDR");
	else if (bind(fd, sa, len) < 0)
		err = warn_errno("metrics address", name, "bind");
	else if (listen(fd, 16) < 0)
		err = warn_errno("metrics address", name, "listen");
	else
		return fd;
	close(fd);
	return err;
}

static int
listen_metrics(struct server *s, const struct sockaddr *sa, socklen_t len)
{
	int fd = open_metrics(sa, len);

	if (fd < 0)
		return fd;
	s->lfd[CONN_METRICS] = fd;
	memcpy(&s->metrics_sa, sa, len);
	s->metrics_len = len;
	return 0;
}

/*
 * The main loop asked for another metrics address (under s->mu): bind it,
 * then close the old listener; where both share a port, the old one first,
 * and back to it if the new one fails. Open connections finish either way.
 */
static void
rebind_metrics(struct server *s, const struct sockaddr_storage *sa, socklen_t len)
{
	int old = s->lfd[CONN_METRICS], fd = 0;

	if (len > 0) {
		fd = open_metrics((const struct sockaddr *)sa, len);
		if (fd == -EADDRINUSE && old >= 0) {
			close(old);
			old = -1;
			s->lfd[CONN_METRICS] = -1;
			fd = open_metrics((const struct sockaddr *)sa, len);
			if (fd < 0 && s->metrics_len > 0) {
				int back = open_metrics((struct sockaddr *)&s->metrics_sa,
							s->metrics_len);

				s->lfd[CONN_METRICS] = back;
				if (back < 0)
					s->metrics_len = 0;
			}
		}
	}
	s->metrics_err = fd < 0 ? fd : 0;
	if (fd < 0)
		return;
	if (old >= 0)
		close(old);
	s->lfd[CONN_METRICS] = len > 0 ? fd : -1;
	memcpy(&s->metrics_sa, sa, sizeof(*sa));
	s->metrics_len = len;
}

/* The main loop answered reloads, or wants the metrics elsewhere. */
static void
on_wake(struct server *s)
{
	uint64_t v;
	unsigned int k, i;

	if (read(s->wake_fd, &v, sizeof(v)) != sizeof(v))
		return;
	pthread_mutex_lock(&s->mu);
	if (s->metrics_req) {
		rebind_metrics(s, &s->metrics_want, s->metrics_want_len);
		s->metrics_req = 0;
		pthread_cond_broadcast(&s->cond);
	}
	for (k = 0; k < CONN_KINDS; k++)
		for (i = 0; i < CONN_SLOTS; i++) {
			struct conn *c = &s->conn[k][i];

			if (c->fd < 0 || c->ticket == 0 || c->ticket > s->done)
				continue;
			c->ticket = 0;
			answer(c, s->reload_answer, strlen(s->reload_answer), "", 0);
			if (c->out == NULL)
				conn_close(c);
		}
	pthread_mutex_unlock(&s->mu);
}

static void *
run(void *arg)
{
	struct pollfd p[2 + CONN_KINDS + CONN_KINDS * CONN_SLOTS];
	struct conn *pc[STRATA_ARRAY_SIZE(p)];
	enum conn_kind pk[STRATA_ARRAY_SIZE(p)];
	struct server *s = arg;

	for (;;) {
		uint64_t now = mono_ns(), next = UINT64_MAX;
		unsigned int i, n, free_slots;
		int k, timeout;

		unsigned int first = 2;

		p[0] = (struct pollfd){.fd = s->stop_fd, .events = POLLIN};
		p[1] = (struct pollfd){.fd = s->wake_fd, .events = POLLIN};
		n = first;
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
				/* a reload's connection waits for the main loop, not the peer */
				if (c->ticket != 0)
					continue;
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
		if (p[1].revents != 0)
			on_wake(s);
		now = mono_ns();
		for (i = first; i < n; i++) {
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
	pthread_mutex_lock(&s->mu);
	s->exited = 1;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->mu);
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
	if (s->wake_fd >= 0)
		close(s->wake_fd);
	if (s->reload_fd >= 0)
		close(s->reload_fd);
	free(s->reload_answer);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->mu);
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
	s->wake_fd = s->reload_fd = -1;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cond, NULL);
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
	s->wake_fd = eventfd(0, EFD_CLOEXEC);
	s->reload_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->stop_fd < 0 || s->wake_fd < 0 || s->reload_fd < 0) {
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

int
server_reload_fd(const struct server *s)
{
	return s->reload_fd;
}

uint64_t
server_reload_take(struct server *s)
{
	uint64_t v, ticket;

	/* non-blocking: a second poll wakeup for requests already taken reads nothing */
	if (read(s->reload_fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	pthread_mutex_lock(&s->mu);
	ticket = s->asked;
	pthread_mutex_unlock(&s->mu);
	return ticket;
}

void
server_reload_done(struct server *s, uint64_t ticket, const char *text)
{
	uint64_t one = 1;
	char *copy = strdup(text);

	if (ticket == 0)
		return;
	pthread_mutex_lock(&s->mu);
	free(s->reload_answer);
	/* out of memory: the waiting peers get an empty answer, which stratactl reports */
	s->reload_answer = copy != NULL ? copy : strdup("");
	if (ticket > s->done)
		s->done = ticket;
	pthread_mutex_unlock(&s->mu);
	if (write(s->wake_fd, &one, sizeof(one)) != sizeof(one))
		log_warn("reporting thread: cannot pass the reload's answer: %s", strerror(errno));
}

int
server_metrics(struct server *s, const struct sockaddr *sa, socklen_t len)
{
	uint64_t one = 1;
	int err;

	pthread_mutex_lock(&s->mu);
	if (s->exited || !s->running) {
		pthread_mutex_unlock(&s->mu);
		return -ESRCH;
	}
	memset(&s->metrics_want, 0, sizeof(s->metrics_want));
	if (sa != NULL)
		memcpy(&s->metrics_want, sa, len);
	s->metrics_want_len = sa != NULL ? len : 0;
	s->metrics_req = 1;
	if (write(s->wake_fd, &one, sizeof(one)) != sizeof(one)) {
		s->metrics_req = 0;
		pthread_mutex_unlock(&s->mu);
		return -errno;
	}
	/* the thread never waits for the main loop, so this wait is short */
	while (s->metrics_req && !s->exited)
		pthread_cond_wait(&s->cond, &s->mu);
	err = s->metrics_req ? -ESRCH : s->metrics_err;
	pthread_mutex_unlock(&s->mu);
	return err;
}
