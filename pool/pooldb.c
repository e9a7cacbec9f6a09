/* SPDX-License-Identifier: BSD-3-Clause */
#include "pooldb.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <strata/ntp.h>

#include "poolprobe.h"

int
pooldb_addr_eq(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		      &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
}

/* @a in pool @p, first probed at @first_ns. */
static void
addr_init(const struct pooldb *db, const struct pool *p, struct pool_addr *a,
	  const struct sockaddr_storage *sa, uint64_t first_ns)
{
	const struct ntpc_config nc = {.minpoll = 0, .maxpoll = 0};

	memset(a, 0, sizeof(*a));
	/* its NTS state comes with its first probe (poolprobe.c) */
	a->nts_ca = p->cfg.nts ? db->nts_ca : NULL;
	a->sa = *sa;
	if (sa->ss_family == AF_INET)
		((struct sockaddr_in *)&a->sa)->sin_port = htons(123);
	else
		((struct sockaddr_in6 *)&a->sa)->sin6_port = htons(123);
	a->score = POOLPROBE_SCORE_START;
	a->fd = -1;
	a->next_ns = first_ns;
	ntpc_init(&a->ntpc, &nc, first_ns);
}

static void
addr_fini(struct pool_addr *a)
{
	/* during NTS-KE the descriptor is the job's eventfd: the job closes it */
	if (a->nts != NULL && poolnts_ke_running(a->nts))
		a->fd = -1;
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
	poolnts_free(a->nts);
	a->nts = NULL;
}

/* A random point within the next interval, so that probes do not come in bursts. */
static uint64_t
spread(const struct pooldb *db, uint64_t now_ns)
{
	return now_ns + (uint64_t)rand() % (db->interval * NSEC_PER_SEC);
}

static void
member_free(struct pooldb *db, struct pool *p, unsigned int i)
{
	struct pool_member *m = p->member[i];
	unsigned int j;
	int served = 0;

	for (j = 0; j < m->n_addr; j++) {
		served |= m->addr[j].served;
		addr_fini(&m->addr[j]);
	}
	free(m);
	p->member[i] = p->member[--p->n_member];
	if (served)
		pooldb_changed(db, p);
}

int
pooldb_init(struct pooldb *db, const struct pcfg *c, uint64_t now_mono_ns)
{
	unsigned int i, j;

	memset(db, 0, sizeof(*db));
	memcpy(db->zone, c->zone, sizeof(db->zone));
	db->interval = c->interval;
	memcpy(db->nts_ca, c->nts_ca, sizeof(db->nts_ca));
	/* RFC 1982 serials; the time makes a restarted registrar's serial newer */
	db->serial = (uint32_t)time(NULL);
	for (i = 0; i < c->n_pool; i++) {
		db->pool[i].cfg = c->pool[i];
		db->pool[i].changed = 1; /* the primary may hold a stale set: replace it */
	}
	db->n_pool = c->n_pool;
	for (i = 0; i < c->n_member; i++) {
		const struct pcfg_member *cm = &c->member[i];
		struct pool *p = &db->pool[cm->pool];
		struct pool_member *m;

		if (p->n_member == POOL_MAX_MEMBERS)
			return -ENOSPC;
		m = calloc(1, sizeof(*m));
		if (m == NULL)
			return -ENOMEM;
		m->line = cm->line;
		m->n_addr = cm->n_addr;
		for (j = 0; j < cm->n_addr; j++)
			addr_init(db, p, &m->addr[j], &cm->addr[j], spread(db, now_mono_ns));
		p->member[p->n_member++] = m;
	}
	return 0;
}

void
pooldb_fini(struct pooldb *db)
{
	unsigned int i;

	for (i = 0; i < db->n_pool; i++)
		while (db->pool[i].n_member > 0)
			member_free(db, &db->pool[i], 0);
}

struct pool *
pooldb_find(struct pooldb *db, const char *name)
{
	char n[POOLREG_NAME_MAX + 2];
	unsigned int i;

	snprintf(n, sizeof(n), "%s", name);
	pcfg_name_norm(n);
	for (i = 0; i < db->n_pool; i++)
		if (strcmp(db->pool[i].cfg.name, n) == 0)
			return &db->pool[i];
	return NULL;
}

void
pooldb_changed(struct pooldb *db, struct pool *p)
{
	p->changed = 1;
	db->serial++;
}

/* The member whose first address is @a (a registration's identity), or -1. */
static int
member_by_first(const struct pool *p, const struct sockaddr_storage *a)
{
	unsigned int i;

	for (i = 0; i < p->n_member; i++)
		if (p->member[i]->dynamic && pooldb_addr_eq(&p->member[i]->addr[0].sa, a))
			return (int)i;
	return -1;
}

/*
 * Replay protection: per (pool, first address) the newest time_ns accepted.
 * A record older than the window can go: the window check alone refuses
 * anything that old.
 */
static int
replay_check(struct pool *p, const struct poolreg_msg *m, uint64_t now_real_ns)
{
	struct pool_replay *r = NULL;
	unsigned int i;

	for (i = 0; i < p->n_replay;) {
		if (p->replay[i].time_ns + POOL_WINDOW_NS < now_real_ns) {
			p->replay[i] = p->replay[--p->n_replay];
			continue;
		}
		if (pooldb_addr_eq(&p->replay[i].first, &m->addr[0]))
			r = &p->replay[i];
		i++;
	}
	if (r != NULL && m->time_ns <= r->time_ns)
		return POOL_REG_REPLAY;
	if (r == NULL) {
		if (p->n_replay == POOL_MAX_REPLAY)
			return POOL_REG_FULL;
		r = &p->replay[p->n_replay++];
		memset(r, 0, sizeof(*r));
		r->first = m->addr[0];
	}
	r->time_ns = m->time_ns;
	return -1;
}

/* REGISTER: a new member, or a refresh that keeps the state of the addresses it still has. */
static int
do_register(struct pooldb *db, struct pool *p, const struct poolreg_msg *m, uint64_t now_ns)
{
	int i = member_by_first(p, &m->addr[0]);
	struct pool_member *old = i >= 0 ? p->member[i] : NULL, *n;
	unsigned int j, k, lifetime = m->lifetime;
	int dropped = 0;

	if (old == NULL && p->n_member == POOL_MAX_MEMBERS)
		return POOL_REG_FULL;
	n = calloc(1, sizeof(*n));
	if (n == NULL)
		return POOL_REG_FULL;
	n->dynamic = 1;
	if (lifetime > POOL_LIFETIME_MAX)
		lifetime = POOL_LIFETIME_MAX;
	n->expires_ns = now_ns + lifetime * NSEC_PER_SEC;
	for (j = 0; j < m->n_addr; j++) {
		struct pool_addr *a = &n->addr[n->n_addr];

		for (k = 0; k < n->n_addr; k++)
			if (pooldb_addr_eq(&n->addr[k].sa, &m->addr[j]))
				break;
		if (k < n->n_addr)
			continue; /* listed twice */
		for (k = 0; old != NULL && k < old->n_addr; k++)
			if (old->addr[k].fd != -2 && pooldb_addr_eq(&old->addr[k].sa, &m->addr[j]))
				break;
		if (old != NULL && k < old->n_addr) {
			*a = old->addr[k];
			old->addr[k].fd = -2; /* moved */
			/*
			 * A member that announces itself while out of service
			 * (restarted after a crash) starts afresh rather than
			 * climbing back from a deep negative score.
			 */
			if (!a->served && a->score < POOLPROBE_SCORE_START)
				a->score = POOLPROBE_SCORE_START;
		} else {
			/* the first probe soon: a new member is wanted in service quickly */
			addr_init(db, p, a, &m->addr[j], now_ns + (uint64_t)rand() % NSEC_PER_SEC);
		}
		n->n_addr++;
	}
	if (old != NULL) {
		/* the served set changes only if a served address is gone */
		for (k = 0; k < old->n_addr; k++) {
			if (old->addr[k].fd == -2)
				continue;
			dropped |= old->addr[k].served;
			addr_fini(&old->addr[k]);
		}
		free(old);
		p->member[i] = n;
		if (dropped)
			pooldb_changed(db, p);
	} else {
		p->member[p->n_member++] = n;
	}
	return POOL_REG_REGISTER;
}

int
pooldb_register(struct pooldb *db, const struct poolreg_msg *m, uint64_t now_real_ns,
		uint64_t now_mono_ns)
{
	struct pool *p = pooldb_find(db, m->pool);
	uint64_t d = m->time_ns > now_real_ns ? m->time_ns - now_real_ns : now_real_ns - m->time_ns;
	int reason, i;

	if (m->n_addr == 0 || (m->type != POOLREG_REGISTER && m->type != POOLREG_DEREGISTER))
		reason = POOL_REG_MALFORMED;
	else if (p == NULL)
		reason = POOL_REG_UNKNOWN_POOL;
	else if (d > POOL_WINDOW_NS)
		reason = POOL_REG_STALE;
	else if ((reason = replay_check(p, m, now_real_ns)) >= 0)
		;
	else if (m->type == POOLREG_REGISTER)
		reason = do_register(db, p, m, now_mono_ns);
	else {
		i = member_by_first(p, &m->addr[0]);
		if (i >= 0)
			member_free(db, p, (unsigned int)i);
		reason = POOL_REG_DEREGISTER;
	}
	db->reg[reason]++;
	switch (reason) {
	case POOL_REG_REGISTER:
	case POOL_REG_DEREGISTER:
		return POOLREG_E_OK;
	case POOL_REG_UNKNOWN_POOL:
		return POOLREG_E_UNKNOWN_POOL;
	case POOL_REG_FULL:
		return POOLREG_E_FULL;
	default:
		return POOLREG_E_STALE;
	}
}

int
pooldb_expire(struct pooldb *db, uint64_t now_mono_ns)
{
	unsigned int i, j;
	uint32_t serial = db->serial;

	for (i = 0; i < db->n_pool; i++) {
		struct pool *p = &db->pool[i];

		for (j = 0; j < p->n_member;) {
			if (p->member[j]->dynamic && p->member[j]->expires_ns <= now_mono_ns)
				member_free(db, p, j);
			else
				j++;
		}
	}
	return serial != db->serial;
}

unsigned int
pooldb_served(const struct pool *p, int af, const struct sockaddr_storage **out, unsigned int max)
{
	unsigned int i, j, k, n = 0;

	for (i = 0; i < p->n_member; i++) {
		const struct pool_member *m = p->member[i];

		for (j = 0; j < m->n_addr && n < max; j++) {
			const struct pool_addr *a = &m->addr[j];

			if (!a->served || a->sa.ss_family != af)
				continue;
			for (k = 0; k < n; k++)
				if (pooldb_addr_eq(out[k], &a->sa))
					break;
			if (k == n)
				out[n++] = &a->sa;
		}
	}
	return n;
}
