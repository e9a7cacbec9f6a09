/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stratad's side of pool registration (docs/pool.md): one UDP socket per
 * register line, connected to its registrar, carrying authenticated
 * REGISTER messages with every service address of the listen lines. A
 * registration lives REG_LIFETIME_S seconds at the registrar; it is renewed
 * every REG_REFRESH_S, and retried with a doubling backoff (1, 2, 4 ... s)
 * while no ACK arrives, so that a registrar that restarts or lost a message
 * sees us again within seconds, yet one that is down is not flooded.
 */
#include "register.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <strata/service.h>

#include "cfgdiff.h"
#include "log.h"
#include "monotime.h"
#include "poolreg.h"
#include "resolve.h"

#define NSEC 1000000000ULL
#define NTP_PORT 123
#define LEAVE_ROUNDS 4	  /* DEREGISTER transmissions at exit */
#define LEAVE_WAIT_MS 250 /* for each one's ACK */

struct reg_entry {
	struct cfg_register c;
	uint8_t key[POOLREG_KEY_MAX];
	size_t keylen;
	char name[CFG_HOST_MAX + 8]; /* the registrar as HOST:PORT, for messages */

	/* the lookup of the registrar's address, without blocking the main loop */
	struct resolve res;
	int resolving;

	int fd;		    /* connected to the registrar; -1 until resolved */
	uint64_t nonce;	    /* of the message awaiting its ACK, 0 none */
	uint64_t next;	    /* monotonic ns of the next transmission or lookup */
	unsigned int tries; /* transmissions or lookups since the last answer */
	uint64_t acked_at;  /* monotonic ns of the last accepting ACK, 0 never */
	int refusal;	    /* the last answer's POOLREG_E_* code, -1 before any */
	int leaving;	    /* the outstanding message is a DEREGISTER */
	struct reg_report count;
};

struct reg {
	struct reg_entry *e[CFG_MAX_REGISTER]; /* in place while a lookup runs: never moved */
	unsigned int n;
	struct sockaddr_storage addr[POOLREG_MAX_ADDRS]; /* announced: every service address */
	unsigned int n_addr;
};

static const char *
refusal_name(int code)
{
	switch (code) {
	case POOLREG_E_UNKNOWN_POOL:
		return "unknown pool";
	case POOLREG_E_STALE:
		return "stale message (clocks more than 30 s apart, or a replay)";
	case POOLREG_E_FULL:
		return "pool full";
	default:
		return "unknown reason";
	}
}

static uint64_t
backoff_ns(unsigned int tries)
{
	uint64_t s = tries >= 5 ? REG_REFRESH_S : 1u << tries;

	return (s < REG_REFRESH_S ? s : REG_REFRESH_S) * NSEC;
}

static void finish_lookup(struct reg_entry *e, uint64_t mono);

/* An address literal at once, a name through the resolver's thread. */
static void
start_lookup(struct reg_entry *e, uint64_t mono)
{
	int err = resolve_start(&e->res, e->c.registrar, e->c.port);

	if (err != 0) {
		log_warn("registrar %s: cannot start the lookup: %s", e->name, gai_strerror(err));
		e->next = mono + backoff_ns(e->tries++);
		return;
	}
	e->resolving = 1;
	finish_lookup(e, mono);
}

/* A finished lookup: connect the socket, or schedule another try. */
static void
finish_lookup(struct reg_entry *e, uint64_t mono)
{
	struct addrinfo *ai;
	int err, fd;

	if (!resolve_done(&e->res, &ai, &err))
		return;
	e->resolving = 0;
	if (err != 0 || ai == NULL) {
		log_warn("registrar %s: cannot resolve: %s; trying again", e->name,
			 err != 0 ? gai_strerror(err) : "no address");
		goto retry;
	}
	fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	/* connected: only the registrar's datagrams reach us */
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		log_warn("registrar %s: socket: %s; trying again", e->name, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto retry;
	}
	e->fd = fd;
	e->tries = 0;
	e->next = mono;
	freeaddrinfo(ai);
	return;
retry:
	if (ai != NULL)
		freeaddrinfo(ai);
	e->next = mono + backoff_ns(e->tries++);
}

/* Encode, sign and send one message of @type with a fresh nonce. */
static int
send_msg(const struct reg *r, struct reg_entry *e, enum poolreg_type type)
{
	uint8_t buf[POOLREG_MSG_MAX];
	struct poolreg_msg m;
	struct timespec ts;
	int len;

	memset(&m, 0, sizeof(m));
	m.type = type;
	memcpy(m.pool, e->c.pool, strlen(e->c.pool) + 1);
	clock_gettime(CLOCK_REALTIME, &ts);
	m.time_ns = (uint64_t)ts.tv_sec * NSEC + (uint64_t)ts.tv_nsec;
	do {
		if (getrandom(&m.nonce, sizeof(m.nonce), 0) != sizeof(m.nonce))
			return -EIO;
	} while (m.nonce == 0);
	if (type == POOLREG_REGISTER)
		m.lifetime = REG_LIFETIME_S;
	m.n_addr = r->n_addr;
	memcpy(m.addr, r->addr, r->n_addr * sizeof(r->addr[0]));
	len = poolreg_encode(&m, e->key, e->keylen, buf, sizeof(buf));
	if (len < 0)
		return len;
	e->nonce = m.nonce;
	if (send(e->fd, buf, (size_t)len, 0) != len) {
		/* an ICMP error from an earlier datagram surfaces here: the next try goes */
		log_debug("registrar %s: send: %s", e->name, strerror(errno));
		return -errno;
	}
	return 0;
}

/* One answer on @e's socket. @return 1 if it answers the outstanding message. */
static int
answer(struct reg_entry *e, const uint8_t *buf, size_t len, uint64_t mono)
{
	struct poolreg_msg m;
	int err = poolreg_decode(buf, len, e->key, e->keylen, &m);

	if (err != 0) {
		/* not from the registrar we share the key with: count it, believe nothing */
		if (e->count.bad++ == 0)
			log_warn("registrar %s: %s answer ignored (further ones are counted only)",
				 e->name, err == -EPERM ? "unauthenticated" : "malformed");
		return 0;
	}
	if (m.type != POOLREG_ACK || e->nonce == 0 || m.nonce != e->nonce) {
		log_debug("registrar %s: an answer to an earlier message, ignored", e->name);
		return 0;
	}
	e->nonce = 0;
	e->tries = 0;
	if (e->leaving) {
		e->refusal = m.status;
		return 1;
	}
	if (m.status == POOLREG_E_OK) {
		e->count.acked++;
		if (e->acked_at == 0 || e->refusal != POOLREG_E_OK ||
		    mono - e->acked_at >= REG_LIFETIME_S * NSEC)
			log_info("registered in pool %s with %s", e->c.pool, e->name);
		e->acked_at = mono;
		e->next = mono + REG_REFRESH_S * NSEC;
	} else {
		e->count.refused++;
		if (e->refusal != m.status)
			log_warn("registrar %s refused the registration in pool %s: %s", e->name,
				 e->c.pool, refusal_name(m.status));
		e->acked_at = 0;
		e->next = mono + REG_REFRESH_S * NSEC;
	}
	e->refusal = m.status;
	return 1;
}

/* Drain @e's socket. @return 1 if an answer to the outstanding message came. */
static int
drain(struct reg_entry *e, uint64_t mono)
{
	uint8_t buf[POOLREG_MSG_MAX];
	int answered = 0, i;
	ssize_t len;

	/* bounded: a flood of forgeries must not hold up the publish loop */
	for (i = 0; i < 32; i++) {
		len = recv(e->fd, buf, sizeof(buf), 0);
		if (len < 0)
			break; /* EAGAIN, or ECONNREFUSED: the registrar is not up (yet) */
		answered |= answer(e, buf, (size_t)len, mono);
	}
	return answered;
}

/* The announced addresses: every address of every listen line (cfg_service()). */
static void
set_addresses(struct reg *r, const struct cfg *c)
{
	struct strata_service svc;
	unsigned int i;

	cfg_service(c, &svc);
	for (i = 0; i < svc.n_addr4 && r->n_addr < POOLREG_MAX_ADDRS; i++) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&r->addr[r->n_addr++];

		sin->sin_family = AF_INET;
		sin->sin_port = htons(NTP_PORT);
		memcpy(&sin->sin_addr, &svc.addr4[i], 4);
	}
	for (i = 0; i < svc.n_addr6 && r->n_addr < POOLREG_MAX_ADDRS; i++) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&r->addr[r->n_addr++];

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(NTP_PORT);
		memcpy(&sin6->sin6_addr, svc.addr6[i], 16);
	}
	if (svc.n_addr4 + svc.n_addr6 > r->n_addr)
		log_warn("only the first %u service addresses are registered", r->n_addr);
}

/* One register line, its key read. @return NULL with errno set, the reason logged. */
static struct reg_entry *
entry_new(const struct cfg_register *c)
{
	struct reg_entry *e = calloc(1, sizeof(*e));
	char err[512];
	int ret;

	if (e == NULL)
		return NULL;
	e->c = *c;
	e->fd = -1;
	e->refusal = -1;
	snprintf(e->name, sizeof(e->name), strchr(e->c.registrar, ':') ? "[%s]:%u" : "%s:%u",
		 e->c.registrar, e->c.port);
	/* at start, while stratad may still read it: privileges are dropped later */
	ret = poolreg_key_load(e->c.keyfile, e->key, &e->keylen, err, sizeof(err));
	if (ret != 0) {
		log_warn("register line %u: %s", e->c.line, err);
		free(e);
		errno = -ret;
		return NULL;
	}
	/* the lookup starts in the main loop: its thread must come after priv_drop() */
	return e;
}

static void
entry_free(struct reg_entry *e)
{
	resolve_cancel(&e->res);
	if (e->fd >= 0)
		close(e->fd);
	explicit_bzero(e->key, sizeof(e->key));
	free(e);
}

struct reg *
reg_new(const struct cfg *c)
{
	struct reg *r;
	unsigned int i;

	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	set_addresses(r, c);
	for (i = 0; i < c->n_register; i++) {
		r->e[i] = entry_new(&c->reg[i]);
		if (r->e[i] == NULL) {
			int err = errno;

			reg_free(r);
			errno = err;
			return NULL;
		}
		r->n = i + 1;
	}
	return r;
}

void
reg_free(struct reg *r)
{
	unsigned int i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++)
		entry_free(r->e[i]);
	free(r);
}

static int
same_line(const struct cfg_register *a, const struct cfg_register *b)
{
	return strcmp(a->pool, b->pool) == 0 && strcmp(a->registrar, b->registrar) == 0 &&
	       a->port == b->port && strcmp(a->keyfile, b->keyfile) == 0;
}

struct reg *
reg_update(struct reg *r, struct cfg *c, struct cfg_restart *rs, uint64_t mono)
{
	struct reg *nr = calloc(1, sizeof(*nr));
	unsigned int i, j, n_reg = 0;
	int moved;

	if (nr == NULL) {
		/* all stays as it runs, and @c says so: the next reload tries again */
		for (i = 0; r != NULL && i < r->n; i++)
			c->reg[i] = r->e[i]->c;
		c->n_register = r != NULL ? r->n : 0;
		cfg_restart_add(rs, 0, "register lines: out of memory: unchanged");
		return r;
	}
	set_addresses(nr, c);
	moved = r == NULL || nr->n_addr != r->n_addr ||
		memcmp(nr->addr, r->addr, nr->n_addr * sizeof(nr->addr[0])) != 0;
	for (i = 0; i < c->n_register; i++) {
		struct reg_entry *e = NULL;

		for (j = 0; r != NULL && j < r->n && e == NULL; j++)
			if (r->e[j] != NULL && same_line(&r->e[j]->c, &c->reg[i])) {
				e = r->e[j];
				r->e[j] = NULL;
				e->c.line = c->reg[i].line;
				/* the registrar learns the new addresses now, not at the refresh */
				if (moved && e->fd >= 0)
					e->next = mono;
			}
		if (e == NULL) {
			e = entry_new(&c->reg[i]);
			if (e == NULL) {
				cfg_restart_add(
					rs, c->reg[i].line,
					"register %s via %s: the key file %s cannot be read "
					"(%s): restart stratad, which reads it before it "
					"drops its privileges",
					c->reg[i].pool, c->reg[i].registrar, c->reg[i].keyfile,
					strerror(errno));
				continue;
			}
			log_info("register line %u: registering in pool %s with %s", e->c.line,
				 e->c.pool, e->name);
		}
		nr->e[nr->n++] = e;
		c->reg[n_reg++] = c->reg[i];
	}
	c->n_register = n_reg;
	/* the lines gone: leave their pools at once, without waiting for the answers */
	for (j = 0; r != NULL && j < r->n; j++) {
		struct reg_entry *e = r->e[j];

		if (e == NULL)
			continue;
		if (e->fd >= 0 && send_msg(r, e, POOLREG_DEREGISTER) == 0)
			log_info("deregistering from pool %s at %s", e->c.pool, e->name);
		entry_free(e);
	}
	free(r);
	if (nr->n > 0)
		return nr;
	free(nr);
	return NULL;
}

int
reg_pollfds(const struct reg *r, struct pollfd *pfd, int max)
{
	unsigned int i;
	int n = 0;

	for (i = 0; r != NULL && i < r->n && n < max; i++)
		if (r->e[i]->fd >= 0)
			pfd[n++] = (struct pollfd){.fd = r->e[i]->fd, .events = POLLIN};
	return n;
}

void
reg_receive(struct reg *r, const struct pollfd *pfd, int n, uint64_t mono)
{
	unsigned int i;
	int k;

	for (k = 0; k < n; k++) {
		if (!(pfd[k].revents & (POLLIN | POLLERR)))
			continue;
		for (i = 0; i < r->n; i++)
			if (r->e[i]->fd == pfd[k].fd)
				drain(r->e[i], mono);
	}
}

void
reg_tick(struct reg *r, uint64_t mono)
{
	unsigned int i;

	for (i = 0; r != NULL && i < r->n; i++) {
		struct reg_entry *e = r->e[i];

		if (e->resolving)
			finish_lookup(e, mono);
		if (e->resolving || mono < e->next)
			continue;
		if (e->fd < 0) {
			start_lookup(e, mono);
			if (e->fd < 0)
				continue;
		}
		if (send_msg(r, e, POOLREG_REGISTER) == 0)
			e->count.sent++;
		/* until the ACK: 1 s, 2 s, 4 s ... (the refresh interval at most) */
		e->next = mono + backoff_ns(e->tries++);
		if (e->tries == 4 && e->acked_at == 0)
			log_warn("registrar %s: no answer to %u registrations in pool %s yet",
				 e->name, e->tries, e->c.pool);
	}
}

void
reg_leave(struct reg *r)
{
	struct pollfd pfd[CFG_MAX_REGISTER];
	unsigned int i, round, left;
	int done[CFG_MAX_REGISTER] = {0};

	if (r == NULL)
		return;
	/* the registrar drops us at once instead of when our probes fail */
	for (round = 0; round < LEAVE_ROUNDS; round++) {
		uint64_t until = mono_ns() + LEAVE_WAIT_MS * 1000000ULL;
		int n = 0;

		left = 0;
		for (i = 0; i < r->n; i++) {
			struct reg_entry *e = r->e[i];

			if (e->fd < 0 || done[i])
				continue;
			e->leaving = 1;
			if (send_msg(r, e, POOLREG_DEREGISTER) != 0)
				continue;
			left++;
		}
		if (left == 0)
			break;
		while (left > 0) {
			uint64_t now = mono_ns();

			if (now >= until)
				break;
			n = 0;
			for (i = 0; i < r->n; i++)
				if (r->e[i]->fd >= 0 && !done[i])
					pfd[n++] = (struct pollfd){.fd = r->e[i]->fd,
								   .events = POLLIN};
			if (poll(pfd, (nfds_t)n, (int)((until - now) / 1000000) + 1) <= 0)
				continue;
			for (i = 0; i < r->n; i++) {
				struct reg_entry *e = r->e[i];

				if (e->fd < 0 || done[i] || !drain(e, now))
					continue;
				done[i] = 1;
				left--;
				if (e->refusal == POOLREG_E_OK)
					log_info("deregistered from pool %s at %s", e->c.pool,
						 e->name);
				else
					log_warn("registrar %s refused the deregistration from "
						 "pool %s: %s",
						 e->name, e->c.pool, refusal_name(e->refusal));
			}
		}
	}
	for (i = 0; i < r->n; i++)
		if (r->e[i]->fd >= 0 && !done[i])
			log_warn("registrar %s: no answer to the deregistration from pool %s; "
				 "it drops us when the registration lapses or our probes fail",
				 r->e[i]->name, r->e[i]->c.pool);
}

int
reg_report(const struct reg *r, uint64_t mono, struct reg_report *out, int max)
{
	unsigned int i;
	int n = 0;

	for (i = 0; r != NULL && i < r->n && n < max; i++, n++) {
		const struct reg_entry *e = r->e[i];
		struct reg_report *o = &out[n];

		*o = e->count;
		memcpy(o->pool, e->c.pool, sizeof(o->pool));
		memcpy(o->registrar, e->name, sizeof(o->registrar));
		if (e->fd < 0)
			o->state = "resolving";
		else if (e->refusal > 0)
			o->state = "refused";
		else if (e->acked_at != 0 && mono - e->acked_at < REG_LIFETIME_S * NSEC)
			o->state = "registered";
		else
			o->state = "registering";
		o->refusal = e->refusal > 0 ? refusal_name(e->refusal) : NULL;
	}
	return n;
}
