/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * strata-pool: the pool registrar (docs/pool.md). One thread, one poll()
 * loop: registrations in, NTP probes out and back, DNS answers, RFC 2136
 * updates, and the metrics and control connections. Everything it serves
 * comes from struct pooldb; the other files do the work without I/O loops.
 *
 * Nothing in the loop waits on a peer: TCP connections (DNS, metrics,
 * control) are non-blocking, each with its answer in its own buffer, drained
 * as the peer reads, and closed at an absolute deadline from its accept. The
 * public DNS/TCP slots and the operator's (metrics, control) are separate, so
 * that anyone who can reach port 53 cannot lock the operator out.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sysexits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <strata/ntp.h>

#include "log.h"
#include "monotime.h"
#include "poolconf.h"
#include "pooldb.h"
#include "pooldns.h"
#include "poolprobe.h"
#include "poolreg.h"
#include "poolstat.h"
#include "poolupdate.h"
#include "privdrop.h"
#include "sdnotify.h"
#include "sockclose.h"

#ifndef STRATA_VERSION
#define STRATA_VERSION "0.1.0"
#endif

/* connections at once: DNS over TCP (public), metrics and control (the operator's) */
#define DNS_CONNS 16
#define METRICS_CONNS 4
#define CONTROL_CONNS 4
#define MAX_CONNS (DNS_CONNS + METRICS_CONNS + CONTROL_CONNS)
/* from accept: to send the request and take the whole answer, or be closed */
#define CONN_TIMEOUT_NS (2 * NSEC_PER_SEC)
#define CONN_BUF 4096
#define MAX_FDS (8 + PCFG_MAX_DNS * 2 + MAX_CONNS + 4096)

enum fd_kind {
	FD_REG,
	FD_DNS_UDP,
	FD_DNS_TCP,
	FD_METRICS,
	FD_CONTROL,
	FD_UPDATE,
	FD_PROBE,
	FD_CONN
};
enum conn_kind { CONN_METRICS, CONN_CONTROL, CONN_DNS, CONN_KINDS };

/* Each kind's own slots in struct registrar's conn[]. */
static const struct {
	unsigned int first, n;
} slots[CONN_KINDS] = {
	[CONN_DNS] = {0, DNS_CONNS},
	[CONN_METRICS] = {DNS_CONNS, METRICS_CONNS},
	[CONN_CONTROL] = {DNS_CONNS + METRICS_CONNS, CONTROL_CONNS},
};

struct conn {
	int fd; /* -1: free */
	enum conn_kind kind;
	uint8_t buf[CONN_BUF];
	size_t len;
	uint64_t deadline_ns;
	char *out; /* the answer once there is one; NULL while reading */
	size_t out_len, out_off;
};

struct registrar {
	struct pcfg cfg;
	struct pooldb db;
	struct poolupdate upd;
	uint8_t key[POOLREG_KEY_MAX];
	size_t keylen;
	int reg_fd;
	int dns_udp[PCFG_MAX_DNS], dns_tcp[PCFG_MAX_DNS];
	int metrics_fd, control_fd;
	struct conn conn[MAX_CONNS];
	/* the poll set of this turn and what each entry is */
	struct pollfd pfd[MAX_FDS];
	struct {
		enum fd_kind kind;
		void *ptr;
	} what[MAX_FDS];
	unsigned int n_pfd;
};

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t
real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static int
listen_on(const struct pcfg_addr *a, int type, const char *what)
{
	int fd = socket(a->sa.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		fatal("%s socket: %s", what, strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (a->sa.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&a->sa, a->len) < 0)
		fatal("%s: cannot bind: %s", what, strerror(errno));
	if (type == SOCK_STREAM && listen(fd, 16) < 0)
		fatal("%s: listen: %s", what, strerror(errno));
	return fd;
}

static int
listen_unix(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char dir[sizeof(sun.sun_path)], *slash;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		fatal("control path too long: %s", path);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	memcpy(dir, path, strlen(path) + 1);
	slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0755); /* /run/strata on a fresh boot; an error shows at bind */
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fatal("control socket: %s", strerror(errno));
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(fd, 8) < 0)
		fatal("control socket %s: %s", path, strerror(errno));
	chmod(path, 0660);
	return fd;
}

static void
add_fd(struct registrar *r, int fd, enum fd_kind kind, void *ptr)
{
	if (fd < 0 || r->n_pfd == MAX_FDS)
		return;
	r->pfd[r->n_pfd] = (struct pollfd){.fd = fd, .events = POLLIN};
	r->what[r->n_pfd].kind = kind;
	r->what[r->n_pfd].ptr = ptr;
	r->n_pfd++;
}

/* REGISTER or DEREGISTER in, an authenticated ACK out (docs/pool.md "Protocol") */
static void
on_registration(struct registrar *r)
{
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof(from);
	struct poolreg_msg m, ack;
	uint8_t buf[POOLREG_MSG_MAX + 1];
	ssize_t n;
	int ret;

	n = recvfrom(r->reg_fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fromlen);
	if (n < 0)
		return;
	ret = poolreg_decode(buf, (size_t)n, r->key, r->keylen, &m);
	if (ret == -EPERM) {
		/* unauthenticated: no answer, an ACK would help an attacker probe */
		r->db.reg[POOL_REG_BADMAC]++;
		return;
	}
	if (ret < 0 || m.type == POOLREG_ACK) {
		r->db.reg[POOL_REG_MALFORMED]++;
		return;
	}
	memset(&ack, 0, sizeof(ack));
	ack.type = POOLREG_ACK;
	ack.status = (uint8_t)pooldb_register(&r->db, &m, real_ns(), mono_ns());
	memcpy(ack.pool, m.pool, sizeof(ack.pool));
	ack.time_ns = real_ns();
	ack.nonce = m.nonce;
	if (ack.status == POOLREG_E_OK && m.type == POOLREG_REGISTER)
		log_info("register %s: %u address%s, lifetime %u s", m.pool, m.n_addr,
			 m.n_addr == 1 ? "" : "es", m.lifetime);
	else if (ack.status == POOLREG_E_OK)
		log_info("deregister %s: %u address%s", m.pool, m.n_addr,
			 m.n_addr == 1 ? "" : "es");
	else
		log_debug("registration for %s refused: status %u", m.pool, ack.status);
	ret = poolreg_encode(&ack, r->key, r->keylen, buf, sizeof(buf));
	if (ret > 0)
		sendto(r->reg_fd, buf, (size_t)ret, 0, (struct sockaddr *)&from, fromlen);
}

static void
on_dns_udp(struct registrar *r, int fd)
{
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof(from);
	uint8_t q[65535], a[POOLDNS_UDP_MAX];
	ssize_t n;
	int len;

	n = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from, &fromlen);
	if (n < 0)
		return;
	len = pooldns_answer(&r->db, q, (size_t)n, 1, a, sizeof(a));
	if (len > 0)
		sendto(fd, a, (size_t)len, 0, (struct sockaddr *)&from, fromlen);
}

/* A free slot of @kind, or NULL. */
static struct conn *
free_slot(struct registrar *r, enum conn_kind kind)
{
	unsigned int i;

	for (i = slots[kind].first; i < slots[kind].first + slots[kind].n; i++)
		if (r->conn[i].fd < 0)
			return &r->conn[i];
	return NULL;
}

static void
on_accept(struct registrar *r, int lfd, enum conn_kind kind, uint64_t now)
{
	struct conn *c = free_slot(r, kind);
	int fd;

	if (c == NULL)
		return; /* not polled while full: the peer waits in the backlog */
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	c->fd = fd;
	c->kind = kind;
	c->len = 0;
	c->out = NULL;
	c->out_len = c->out_off = 0;
	c->deadline_ns = now + CONN_TIMEOUT_NS;
}

static void
conn_close(struct conn *c)
{
	sock_close_answered(c->fd);
	c->fd = -1;
	free(c->out);
	c->out = NULL;
}

/* Past the deadline: a reset, so that no unread answer lingers in the kernel. */
static void
conn_abort(struct conn *c)
{
	sock_close_reset(c->fd);
	c->fd = -1;
	free(c->out);
	c->out = NULL;
}

/* The answer of @c: @a then @b, sent as the peer takes it. */
static void
queue(struct conn *c, const void *a, size_t alen, const void *b, size_t blen)
{
	c->out = malloc(alen + blen + 1);
	if (c->out == NULL) {
		log_warn("out of memory for a %zu-byte answer", alen + blen);
		return;
	}
	memcpy(c->out, a, alen);
	if (blen > 0)
		memcpy(c->out + alen, b, blen);
	c->out_len = alen + blen;
	c->out_off = 0;
}

/* Send what the peer's window takes; close when all is sent, or on an error. */
static void
on_writable(struct conn *c)
{
	ssize_t n;

	while (c->out_off < c->out_len) {
		n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0)
			break;
		c->out_off += (size_t)n;
	}
	conn_close(c);
}

/* A report rendered into a buffer that grows until it fits. NULL on failure. */
static char *
render(struct registrar *r, int metrics, uint64_t now, int *len)
{
	size_t size = 64 * 1024;
	char *buf = NULL, *p;

	for (; size <= 64 * 1024 * 1024; size *= 2) {
		p = realloc(buf, size);
		if (p == NULL)
			break;
		buf = p;
		*len = metrics ? poolstat_metrics(&r->db, buf, size)
			       : poolstat_status(&r->db, now, buf, size);
		if (*len >= 0)
			return buf;
	}
	free(buf);
	return NULL;
}

static void
on_conn(struct registrar *r, struct conn *c, uint64_t now)
{
	char hdr[160], *text;
	uint8_t a[65535 + 2];
	ssize_t n;
	int len;

	if (c->out != NULL) {
		on_writable(c);
		return;
	}
	n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len, MSG_DONTWAIT);
	if (n <= 0) {
		if (n == 0 || errno != EAGAIN)
			conn_close(c);
		return;
	}
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	switch (c->kind) {
	case CONN_METRICS:
		if (strstr((char *)c->buf, "\r\n\r\n") == NULL && c->len < sizeof(c->buf) - 1)
			return;
		text = strncmp((char *)c->buf, "GET ", 4) == 0 ? render(r, 1, now, &len) : NULL;
		if (text == NULL) {
			len = snprintf(hdr, sizeof(hdr),
				       "HTTP/1.0 400 Bad Request\r\n"
				       "Content-Length: 0\r\n\r\n");
			queue(c, hdr, (size_t)len, NULL, 0);
		} else {
			n = snprintf(
				hdr, sizeof(hdr),
				"HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n"
				"Content-Length: %d\r\n\r\n",
				len);
			queue(c, hdr, (size_t)n, text, (size_t)len);
			free(text);
		}
		break;
	case CONN_CONTROL:
		if (memchr(c->buf, '\n', c->len) == NULL && c->len < sizeof(c->buf) - 1)
			return;
		if (strncmp((char *)c->buf, "status\n", 7) == 0 &&
		    (text = render(r, 0, now, &len)) != NULL) {
			queue(c, text, (size_t)len, NULL, 0);
			free(text);
		} else {
			queue(c, "error: unknown command (known: status)\n", 39, NULL, 0);
		}
		break;
	case CONN_KINDS:
		break;
	case CONN_DNS:
		/* RFC 1035 section 4.2.2: a two-octet length, then the message */
		if (c->len < 2 || c->len < 2 + (size_t)(c->buf[0] << 8 | c->buf[1])) {
			if (c->len < sizeof(c->buf) - 1)
				return;
			break; /* longer than any query of ours: drop */
		}
		len = pooldns_answer(&r->db, c->buf + 2, (size_t)(c->buf[0] << 8 | c->buf[1]), 0,
				     a + 2, sizeof(a) - 2);
		if (len > 0) {
			a[0] = (uint8_t)(len >> 8);
			a[1] = (uint8_t)len;
			queue(c, a, (size_t)len + 2, NULL, 0);
		}
		break;
	}
	if (c->out == NULL)
		conn_close(c);
	else
		on_writable(c);
}

static void
served_changed(struct registrar *r, struct pool *p, const struct pool_addr *a)
{
	char s[INET6_ADDRSTRLEN];
	const void *ip = a->sa.ss_family == AF_INET
				 ? (const void *)&((const struct sockaddr_in *)&a->sa)->sin_addr
				 : (const void *)&((const struct sockaddr_in6 *)&a->sa)->sin6_addr;

	inet_ntop(a->sa.ss_family, ip, s, sizeof(s));
	log_info("%s: %s %s (score %.1f, last probe %s)", p->cfg.name, s,
		 a->served ? "in service" : "out of service", a->score,
		 a->last == POOL_GOOD	   ? "good"
		 : a->last == POOL_NOREPLY ? "no reply"
		 : a->last == POOL_OFFSET  ? "offset beyond the limit"
		 : a->last == POOL_KOD	   ? "kiss-o'-death"
		 : a->last == POOL_NTS	   ? "NTS failed"
					   : "unsynchronized");
	pooldb_changed(&r->db, p);
}

/* Due probes out, late ones timed out; @return the earliest next event. */
static uint64_t
run_probes(struct registrar *r, uint64_t now)
{
	uint64_t next = UINT64_MAX, ival = r->db.interval * NSEC_PER_SEC;
	uint64_t tmo = poolprobe_timeout_ns(r->db.interval);
	unsigned int i, j, k;

	for (i = 0; i < r->db.n_pool; i++) {
		struct pool *p = &r->db.pool[i];

		for (j = 0; j < p->n_member; j++)
			for (k = 0; k < p->member[j]->n_addr; k++) {
				struct pool_addr *a = &p->member[j]->addr[k];

				if (a->fd >= 0 && now >= a->deadline_ns &&
				    poolprobe_timeout(a, now))
					served_changed(r, p, a);
				if (a->fd < 0 && now >= a->next_ns) {
					a->deadline_ns = now + tmo;
					if (poolprobe_send(a, now) < 0 && poolprobe_timeout(a, now))
						served_changed(r, p, a);
					a->next_ns = now + ival;
				}
				if (a->fd >= 0 && a->deadline_ns < next)
					next = a->deadline_ns;
				if (a->fd < 0 && a->next_ns < next)
					next = a->next_ns;
				if (p->member[j]->dynamic && p->member[j]->expires_ns < next)
					next = p->member[j]->expires_ns;
			}
	}
	return next;
}

static void
build_pollset(struct registrar *r)
{
	int skip_metrics = 0, skip_control = 0;
	unsigned int i, j, k;

	r->n_pfd = 0;
	add_fd(r, r->reg_fd, FD_REG, NULL);
	for (i = 0; i < r->cfg.n_dns; i++) {
		add_fd(r, r->dns_udp[i], FD_DNS_UDP, NULL);
		/* a full kind leaves new peers in the listen backlog until a slot frees */
		if (free_slot(r, CONN_DNS) != NULL)
			add_fd(r, r->dns_tcp[i], FD_DNS_TCP, NULL);
	}
	if (free_slot(r, CONN_METRICS) == NULL)
		skip_metrics = 1;
	if (free_slot(r, CONN_CONTROL) == NULL)
		skip_control = 1;
	if (!skip_metrics)
		add_fd(r, r->metrics_fd, FD_METRICS, NULL);
	if (!skip_control)
		add_fd(r, r->control_fd, FD_CONTROL, NULL);
	add_fd(r, r->upd.fd, FD_UPDATE, NULL);
	for (i = 0; i < MAX_CONNS; i++)
		if (r->conn[i].fd >= 0) {
			add_fd(r, r->conn[i].fd, FD_CONN, &r->conn[i]);
			if (r->conn[i].out != NULL)
				r->pfd[r->n_pfd - 1].events = POLLOUT;
		}
	for (i = 0; i < r->db.n_pool; i++)
		for (j = 0; j < r->db.pool[i].n_member; j++)
			for (k = 0; k < r->db.pool[i].member[j]->n_addr; k++) {
				struct pool_addr *a = &r->db.pool[i].member[j]->addr[k];

				if (a->fd >= 0)
					add_fd(r, a->fd, FD_PROBE, a);
			}
}

/* The pool holding @a, for the served-set bookkeeping of a probe reply. */
static struct pool *
pool_of(struct registrar *r, const struct pool_addr *a)
{
	unsigned int i, j;

	for (i = 0; i < r->db.n_pool; i++)
		for (j = 0; j < r->db.pool[i].n_member; j++) {
			const struct pool_member *m = r->db.pool[i].member[j];

			if (a >= &m->addr[0] && a < &m->addr[m->n_addr])
				return &r->db.pool[i];
		}
	return NULL;
}

static void
run(struct registrar *r)
{
	uint64_t now, next, t;
	unsigned int i;
	int timeout, n;

	while (!stop) {
		now = mono_ns();
		if (pooldb_expire(&r->db, now))
			log_info("a registration expired");
		next = run_probes(r, now);
		poolupdate_run(&r->upd, &r->db, now);
		t = poolupdate_next(&r->upd, &r->db);
		next = t < next ? t : next;
		for (i = 0; i < MAX_CONNS; i++) {
			if (r->conn[i].fd >= 0 && now >= r->conn[i].deadline_ns)
				conn_abort(&r->conn[i]);
			else if (r->conn[i].fd >= 0 && r->conn[i].deadline_ns < next)
				next = r->conn[i].deadline_ns;
		}
		build_pollset(r);
		timeout = next == UINT64_MAX ? 1000
			  : next <= now	     ? 0
					     : (int)((next - now + 999999) / 1000000);
		if (timeout > 1000)
			timeout = 1000;
		n = poll(r->pfd, r->n_pfd, timeout);
		now = mono_ns();
		/* once a second at least: a loop that hangs stops the pings */
		sd_watchdog_tick(now);
		if (n <= 0)
			continue;
		for (i = 0; i < r->n_pfd; i++) {
			struct pool_addr *a;
			struct pool *p;

			if (r->pfd[i].revents == 0)
				continue;
			switch (r->what[i].kind) {
			case FD_REG:
				on_registration(r);
				break;
			case FD_DNS_UDP:
				on_dns_udp(r, r->pfd[i].fd);
				break;
			case FD_DNS_TCP:
				on_accept(r, r->pfd[i].fd, CONN_DNS, now);
				break;
			case FD_METRICS:
				on_accept(r, r->pfd[i].fd, CONN_METRICS, now);
				break;
			case FD_CONTROL:
				on_accept(r, r->pfd[i].fd, CONN_CONTROL, now);
				break;
			case FD_UPDATE:
				poolupdate_recv(&r->upd, &r->db, now);
				break;
			case FD_PROBE:
				/* a registration handled this turn may have freed it */
				a = r->what[i].ptr;
				p = pool_of(r, a);
				if (p != NULL && a->fd == r->pfd[i].fd && poolprobe_recv(a, now))
					served_changed(r, p, a);
				break;
			case FD_CONN:
				if (((struct conn *)r->what[i].ptr)->fd >= 0)
					on_conn(r, r->what[i].ptr, now);
				break;
			}
		}
	}
}

/* The configuration and key files. @return 0, or -1 with the reason in @err. */
static int
load(struct registrar *r, const char *path, char *err, size_t errlen)
{
	if (pcfg_load(path, &r->cfg, err, errlen) < 0)
		return -1;
	if (r->cfg.has_registration &&
	    poolreg_key_load(r->cfg.reg_key, r->key, &r->keylen, err, errlen) < 0)
		return -1;
	r->upd.fd = -1;
	if (r->cfg.has_update && poolupdate_init(&r->upd, &r->cfg, err, errlen) < 0)
		return -1;
	return 0;
}

/* "strata-pool status": ask the running registrar over its control socket. */
static int
status(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = 5};
	char buf[65536];
	ssize_t n;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "strata-pool: control path too long: %s\n", path);
		return 1;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "strata-pool: cannot connect to %s: %s (%s)\n", path,
			strerror(errno),
			errno == EACCES ? "run as root or as a member of the socket's group, "
					  "strata-ops by default"
					: "is strata-pool running?");
		close(fd);
		return 1;
	}
	if (send(fd, "status\n", 7, MSG_NOSIGNAL) != 7) {
		fprintf(stderr, "strata-pool: %s: %s\n", path, strerror(errno));
		close(fd);
		return 1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	close(fd);
	return n < 0 ? 1 : 0;
}

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: strata-pool [-v] [-n] -c FILE\n"
		"       strata-pool [-c FILE | -s SOCKET] status\n"
		"\n"
		"The pool registrar: members register under a pool name (UDP, port %d by\n"
		"default), are probed with NTP and scored, and the pool name resolves to the\n"
		"healthy ones through its DNS answers and RFC 2136 updates (docs/pool.md).\n"
		"\n"
		"options:\n"
		"  -c, --config FILE   the configuration file\n"
		"  -n, --check         check the configuration and key files, then exit\n"
		"  -s, --socket PATH   the control socket for status (default %s)\n"
		"  -v, --verbose       debug logging\n"
		"  -h, --help          this text\n"
		"  -V, --version       the version\n"
		"\n"
		"commands:\n"
		"  status              pools, members, addresses, scores and states\n"
		"\n"
		"exit status:\n"
		"  0   stopped by SIGTERM or SIGINT, or --check found the files valid\n"
		"  1   could not start or keep running (the log says why)\n"
		"  2   bad command line\n"
		"  %d  the configuration or a key file it names has an error (EX_CONFIG;\n"
		"      the message names the file and line)\n",
		POOLREG_PORT, PCFG_DEFAULT_CONTROL, EX_CONFIG);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check", no_argument, NULL, 'n'},
		{"socket", required_argument, NULL, 's'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	static struct registrar reg;
	struct registrar *r = &reg;
	struct priv_dir ctl_dir = {r->cfg.control, "control socket", "RuntimeDirectory"};
	const char *config = NULL, *sock = NULL;
	char err[512];
	int c, check = 0, verbose = 0, bad;
	unsigned int i, seed;
	struct sigaction sa;

	while ((c = getopt_long(argc, argv, "c:ns:vhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 's':
			sock = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("strata-pool %s\n", STRATA_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc && strcmp(argv[optind], "status") == 0 && optind + 1 == argc) {
		if (sock == NULL && config != NULL) {
			if (pcfg_load(config, &r->cfg, err, sizeof(err)) < 0) {
				fprintf(stderr, "strata-pool: %s\n", err);
				return 1;
			}
			sock = r->cfg.control;
		}
		return status(sock != NULL ? sock : PCFG_DEFAULT_CONTROL);
	}
	if (optind < argc || config == NULL) {
		fprintf(stderr, "strata-pool: %s (see --help)\n",
			optind < argc ? "unknown command" : "which configuration? -c FILE");
		return 2;
	}
	log_init("strata-pool", verbose);
	bad = load(r, config, err, sizeof(err)) < 0;
	/* as stratad's check: the user to drop to is part of the configuration */
	if (!bad && getpwnam(r->cfg.user) == NULL) {
		snprintf(err, sizeof(err),
			 "%.200s: user '%.40s' does not exist (hint: useradd --system "
			 "--no-create-home --shell /usr/sbin/nologin %.40s, or 'user NAME' in the "
			 "configuration)",
			 config, r->cfg.user, r->cfg.user);
		bad = 1;
	}
	/* the control socket's group, given as root (docs/pool.conf.md, "controlgroup") */
	if (!bad && geteuid() == 0 && getgrnam(r->cfg.controlgroup) == NULL) {
		snprintf(err, sizeof(err),
			 "%.200s: control group '%.40s' does not exist: the group of the control "
			 "socket, whose members read status (hint: groupadd --system %.40s, or "
			 "'controlgroup NAME' in the configuration)",
			 config, r->cfg.controlgroup, r->cfg.controlgroup);
		bad = 1;
	}
	if (bad)
		return log_config_error(check, err);
	if (check) {
		printf("%s: configuration OK\n", config);
		return 0;
	}

	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = (unsigned int)time(NULL);
	srand(seed);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	for (i = 0; i < MAX_CONNS; i++)
		r->conn[i].fd = -1;
	r->reg_fd = r->metrics_fd = -1;
	for (i = 0; i < PCFG_MAX_DNS; i++)
		r->dns_udp[i] = r->dns_tcp[i] = -1;
	if (pooldb_init(&r->db, &r->cfg, mono_ns()) < 0)
		fatal("too many members in one pool (at most %d)", POOL_MAX_MEMBERS);
	/* as root: the keys are read (load()); now every socket, then the drop */
	if (priv_dirs(r->cfg.user, &ctl_dir, 1) != 0) {
		log_cannot_start("cannot prepare the control socket for user %s (above)",
				 r->cfg.user);
		return 1;
	}
	if (r->cfg.has_registration)
		r->reg_fd = listen_on(&r->cfg.registration, SOCK_DGRAM, "registration");
	for (i = 0; i < r->cfg.n_dns; i++) {
		r->dns_udp[i] = listen_on(&r->cfg.dns[i], SOCK_DGRAM, "listen dns");
		r->dns_tcp[i] = listen_on(&r->cfg.dns[i], SOCK_STREAM, "listen dns (TCP)");
	}
	if (r->cfg.has_metrics)
		r->metrics_fd = listen_on(&r->cfg.metrics, SOCK_STREAM, "metrics");
	r->control_fd = listen_unix(r->cfg.control);
	if (priv_socket_group(r->cfg.control, r->cfg.controlgroup) != 0) {
		unlink(r->cfg.control);
		log_cannot_start("cannot give the control socket to group %s (above)",
				 r->cfg.controlgroup);
		return 1;
	}
	/* nothing after this needs a capability: probes and answers are plain UDP and TCP */
	if (priv_drop_to(r->cfg.user, 0, &ctl_dir, 1) != 0) {
		unlink(r->cfg.control);
		log_cannot_start("cannot drop privileges to user %s (above)", r->cfg.user);
		return 1;
	}
	log_info("serving zone %s: %u pools, %u static members, probe interval %u s", r->cfg.zone,
		 r->cfg.n_pool, r->cfg.n_member, r->cfg.interval);
	/* every socket bound, the privileges dropped */
	sd_notifyf("READY=1\nSTATUS=serving zone %s: %u pools", r->cfg.zone, r->cfg.n_pool);
	sd_watchdog_init(mono_ns());

	run(r);

	sd_notifyf("STOPPING=1");
	log_info("exiting");
	unlink(r->cfg.control);
	for (i = 0; i < MAX_CONNS; i++)
		if (r->conn[i].fd >= 0)
			conn_close(&r->conn[i]);
	poolupdate_fini(&r->upd);
	pooldb_fini(&r->db);
	OPENSSL_cleanse(r->key, sizeof(r->key));
	return 0;
}
