/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for what strata-pool reads on its registration port
 * (docs/pool.md "Protocol"): poolreg_decode() in lib/poolreg.c, then
 * pooldb_register() and pooldb_expire() in pool/pooldb.c, the replay
 * window and the member table. Built by clang with libFuzzer and ASan/UBSan,
 * and by the project compiler with fuzz_main.c.
 *
 * The first octet chooses one of two inputs:
 *  - bit 7 clear: the rest is one message. As it is, with a fixed key, it
 *    decodes only if its last 32 octets are the right HMAC (checked here
 *    with OpenSSL, RFC 2104): else -EPERM, or -EBADMSG outside the lengths
 *    of the wire format. Then the target signs it itself, so that the
 *    fuzzer gets past the MAC: a signed message is never -EPERM, and one
 *    that decodes is within docs/pool.md's limits and encodes again to
 *    exactly the same octets (one wire form per message).
 *  - bit 7 set: the rest is a sequence of records, each a message the
 *    target signs and hands to a registrar with two pools and one static
 *    member, as on_registration() in strata-pool.c does. After each, the
 *    member table is checked against docs/pool.md and a model kept here:
 *    every member has 1 to 16 distinct addresses; static members stay;
 *    each message is counted once, under the reason its status says; a
 *    stale, replayed, unknown or malformed message changes nothing; a
 *    message not newer than one accepted from the same first address is a
 *    replay; an accepted REGISTER leaves exactly its addresses (each once)
 *    with its lifetime (a day at most), keeping the probe state and score
 *    of those it had (one out of service with a score below the start
 *    starts afresh), new ones at the start; a DEREGISTER leaves no member;
 *    members lapse when their lifetime ends, and not before; the SOA
 *    serial rises exactly when a served address leaves.
 *
 * A record: a flags octet, a 16-bit big-endian length L, L octets of the
 * message without its MAC (L = 0: send the previous signed message again,
 * a replay). Flags bits 0-1 advance both clocks by 0, 1, 20 or 1000 s
 * (then pooldb_expire() runs); bit 2 sets the message's time_ns to our
 * clock plus ((flags >> 3) - 16) * 2 s, -32 to +30 s around the 30 s window.
 * Without bit 2: bit 3 first puts every address in service (as good probes
 * do), bit 4 then every other one out with a deep negative score, and bit 5
 * applies the message CLONES times more with other first addresses, so
 * that the member and replay tables fill within -max_len.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "pooldb.h"
#include "poolprobe.h"
#include "poolreg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEC 1000000000ull
#define MAC_LEN 32
#define HDR_LEN 32
#define REAL0 (1700000000ull * SEC) /* 2023-11-14, CLOCK_REALTIME */
#define MONO0 (1000 * SEC)
#define WINDOW (30 * SEC)
#define DAY 86400u
#define MAX_MODEL (PCFG_MAX_POOLS * POOL_MAX_MEMBERS * 4)
#define CLONES 70 /* more than a pool's members (64) */

static const uint8_t key[32] = "strata-pool fuzz key, 32 octets";

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

static void
sign(const uint8_t *body, size_t len, uint8_t *out)
{
	unsigned int n = MAC_LEN;

	memcpy(out, body, len);
	CHECK(HMAC(EVP_sha256(), key, sizeof(key), body, len, out + len, &n) != NULL);
	CHECK(n == MAC_LEN);
}

static int
ldh_name(const char *s)
{
	size_t i, len = strlen(s), label = 0;

	if (len == 0 || len > POOLREG_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
			   (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_') {
			if (++label > 63)
				return 0;
		} else {
			return 0;
		}
	}
	return 1;
}

/* What docs/pool.md's wire layout allows of a decoded message. */
static void
check_msg(const struct poolreg_msg *m)
{
	unsigned int i;

	CHECK(m->type >= POOLREG_REGISTER && m->type <= POOLREG_ACK);
	CHECK(m->type == POOLREG_ACK || m->status == 0);
	CHECK((m->type == POOLREG_REGISTER) == (m->lifetime != 0));
	CHECK(m->n_addr <= POOLREG_MAX_ADDRS);
	CHECK(m->type == POOLREG_ACK || m->n_addr >= 1);
	CHECK(memchr(m->pool, '\0', sizeof(m->pool)) != NULL && ldh_name(m->pool));
	for (i = 0; i < m->n_addr; i++)
		CHECK(m->addr[i].ss_family == AF_INET || m->addr[i].ss_family == AF_INET6);
}

static void
one_message(const uint8_t *d, size_t n)
{
	uint8_t buf[POOLREG_MSG_MAX + MAC_LEN], re[POOLREG_MSG_MAX + MAC_LEN], want[MAC_LEN];
	struct poolreg_msg m;
	unsigned int ml = MAC_LEN;
	int ret;

	/* as it came: authentic only with the right MAC */
	ret = poolreg_decode(d, n, key, sizeof(key), &m);
	if (n < HDR_LEN + MAC_LEN || n > POOLREG_MSG_MAX) {
		CHECK(ret == -EBADMSG);
	} else {
		CHECK(HMAC(EVP_sha256(), key, sizeof(key), d, n - MAC_LEN, want, &ml) != NULL);
		if (memcmp(want, d + n - MAC_LEN, MAC_LEN) != 0)
			CHECK(ret == -EPERM);
		else
			CHECK(ret == 0 || ret == -EBADMSG);
	}

	/* signed here: past the MAC */
	if (n > POOLREG_MSG_MAX - MAC_LEN)
		n = POOLREG_MSG_MAX - MAC_LEN;
	sign(d, n, buf);
	ret = poolreg_decode(buf, n + MAC_LEN, key, sizeof(key), &m);
	CHECK(ret == 0 || ret == -EBADMSG);
	if (n < HDR_LEN)
		CHECK(ret == -EBADMSG);
	if (ret != 0)
		return;
	check_msg(&m);
	ret = poolreg_encode(&m, key, sizeof(key), re, sizeof(re));
	CHECK(ret == (int)(n + MAC_LEN) && memcmp(re, buf, n + MAC_LEN) == 0);
	/* one octet short of room: refused, nothing written past it */
	CHECK(poolreg_encode(&m, key, sizeof(key), re, n + MAC_LEN - 1) == -ENOSPC);
}

/* The model: per (pool, first address) the newest time accepted, and the registered members. */
struct model_rec {
	const struct pool *p;
	struct sockaddr_storage first;
	uint64_t time_ns;
};

struct model_member {
	const struct pool *p;
	struct sockaddr_storage first;
	uint64_t expires_ns;
};

struct model {
	struct model_rec rec[MAX_MODEL];
	unsigned int n_rec;
	struct model_member mem[MAX_MODEL];
	unsigned int n_mem;
	unsigned int n_static[PCFG_MAX_POOLS];
};

static struct model_rec *
model_rec(struct model *md, const struct pool *p, const struct sockaddr_storage *a)
{
	unsigned int i;

	for (i = 0; i < md->n_rec; i++)
		if (md->rec[i].p == p && pooldb_addr_eq(&md->rec[i].first, a))
			return &md->rec[i];
	return NULL;
}

static int
model_mem(const struct model *md, const struct pool *p, const struct sockaddr_storage *a)
{
	unsigned int i;

	for (i = 0; i < md->n_mem; i++)
		if (md->mem[i].p == p && pooldb_addr_eq(&md->mem[i].first, a))
			return (int)i;
	return -1;
}

static uint64_t
mix(uint64_t h, uint64_t v)
{
	return (h ^ v) * 0x100000001b3ull;
}

/* A digest of what a refused message must not change: members, addresses, scores, serial. */
static uint64_t
digest(const struct pooldb *db)
{
	uint64_t h = 0xcbf29ce484222325ull;
	unsigned int i, j, k;

	h = mix(h, db->serial);
	for (i = 0; i < db->n_pool; i++) {
		const struct pool *p = &db->pool[i];

		h = mix(h, p->n_member);
		h = mix(h, (uint64_t)p->changed);
		for (j = 0; j < p->n_member; j++) {
			const struct pool_member *m = p->member[j];

			h = mix(h, (uint64_t)m->dynamic);
			h = mix(h, m->expires_ns);
			h = mix(h, m->n_addr);
			for (k = 0; k < m->n_addr && k < POOLREG_MAX_ADDRS; k++) {
				const struct pool_addr *a = &m->addr[k];
				uint64_t w[4];

				/* family, port and address: sockaddr_in6 up to the scope */
				memcpy(w, &a->sa, sizeof(w) - 8);
				h = mix(mix(mix(h, w[0]), w[1]), w[2]);
				h = mix(h, (uint64_t)a->served);
				h = mix(h, (uint64_t)(int64_t)(a->score * 1024));
				h = mix(h, a->next_ns);
			}
		}
	}
	return h;
}

/* What holds after every message: sizes, distinct addresses, the model's members. */
static void
check_db(const struct pooldb *db, const struct model *md)
{
	unsigned int i, j, k, l, dyn = 0;

	for (i = 0; i < db->n_pool; i++) {
		const struct pool *p = &db->pool[i];
		unsigned int st = 0;

		CHECK(p->n_member <= POOL_MAX_MEMBERS);
		CHECK(p->n_replay <= POOL_MAX_REPLAY);
		for (j = 0; j < p->n_member; j++) {
			const struct pool_member *m = p->member[j];

			CHECK(m != NULL);
			CHECK(m->n_addr >= 1 && m->n_addr <= POOLREG_MAX_ADDRS);
			for (k = 0; k < m->n_addr; k++) {
				CHECK(m->addr[k].fd == -1);
				for (l = 0; l < k; l++)
					CHECK(!pooldb_addr_eq(&m->addr[k].sa, &m->addr[l].sa));
			}
			if (!m->dynamic) {
				st++;
				continue;
			}
			dyn++;
			/* registered members each once, as the model has them */
			for (l = 0; l < j; l++)
				CHECK(!p->member[l]->dynamic ||
				      !pooldb_addr_eq(&p->member[l]->addr[0].sa, &m->addr[0].sa));
			k = (unsigned int)model_mem(md, p, &m->addr[0].sa);
			CHECK((int)k >= 0 && md->mem[k].expires_ns == m->expires_ns);
		}
		CHECK(st == md->n_static[i]);
	}
	CHECK(dyn == md->n_mem);
}

/* The registered member of @p whose first address is @a, or NULL. */
static const struct pool_member *
find_member(const struct pool *p, const struct sockaddr_storage *a)
{
	unsigned int i;

	for (i = 0; i < p->n_member; i++)
		if (p->member[i]->dynamic && pooldb_addr_eq(&p->member[i]->addr[0].sa, a))
			return p->member[i];
	return NULL;
}

static void
registrar_init(struct pooldb *db, struct model *md)
{
	static struct pcfg c;
	struct sockaddr_in *sin;

	memset(&c, 0, sizeof(c));
	strcpy(c.zone, "pool.test");
	strcpy(c.pool[0].name, "ntp.pool.test");
	strcpy(c.pool[1].name, "eu.pool.test");
	c.pool[0].answers = c.pool[1].answers = 4;
	c.pool[0].ttl = c.pool[1].ttl = 60;
	c.n_pool = 2;
	/* a static member 192.0.2.1: registrations never remove it */
	c.member[0].n_addr = 1;
	sin = (struct sockaddr_in *)&c.member[0].addr[0];
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(0xc0000201);
	c.n_member = 1;
	c.interval = 16;
	memset(md, 0, sizeof(*md));
	CHECK(pooldb_init(db, &c, MONO0) == 0);
	md->n_static[0] = 1;
}

/* Counter index -> the status pooldb_register() must have returned for it. */
static int
status_of(int reason)
{
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

static void
apply(struct pooldb *db, struct model *md, const struct poolreg_msg *m, uint64_t real,
      uint64_t mono)
{
	uint64_t before[POOL_REG_N], h = digest(db), d;
	const struct pool_addr *a;
	struct pool *p = pooldb_find(db, m->pool);
	const struct pool_member *pm, *old = NULL;
	struct pool_addr was[POOLREG_MAX_ADDRS];
	unsigned int i, j, k, n_dedup, lifetime, n_was = 0;
	struct model_rec *r = NULL;
	int reason = -1, status, replay = 0, stale, dropped = 0;
	uint32_t serial = db->serial;
	uint64_t sum = 0;

	memcpy(before, db->reg, sizeof(before));
	if (p != NULL && m->n_addr > 0)
		old = find_member(p, &m->addr[0]);
	if (old != NULL) {
		n_was = old->n_addr;
		memcpy(was, old->addr, n_was * sizeof(was[0]));
	}
	d = m->time_ns > real ? m->time_ns - real : real - m->time_ns;
	stale = d > WINDOW;
	if (p != NULL && !stale && m->n_addr > 0) {
		r = model_rec(md, p, &m->addr[0]);
		/* a record older than the window is gone, but then the message is stale */
		replay = r != NULL && m->time_ns <= r->time_ns;
	}
	status = pooldb_register(db, m, real, mono);
	for (i = 0; i < POOL_REG_N; i++) {
		CHECK(db->reg[i] >= before[i]);
		sum += db->reg[i] - before[i];
		if (db->reg[i] != before[i])
			reason = (int)i;
	}
	CHECK(sum == 1);
	CHECK(status == status_of(reason));
	CHECK(reason != POOL_REG_BADMAC);
	if (m->type == POOLREG_ACK)
		CHECK(reason == POOL_REG_MALFORMED);
	else if (p == NULL)
		CHECK(reason == POOL_REG_UNKNOWN_POOL);
	else if (stale)
		CHECK(reason == POOL_REG_STALE);
	else if (replay)
		CHECK(reason == POOL_REG_REPLAY);
	if (reason != POOL_REG_REGISTER && reason != POOL_REG_DEREGISTER) {
		CHECK(digest(db) == h);
		return;
	}
	if (r == NULL && md->n_rec < MAX_MODEL) {
		r = &md->rec[md->n_rec++];
		r->p = p;
		r->first = m->addr[0];
	}
	if (r != NULL)
		r->time_ns = m->time_ns;

	k = (unsigned int)model_mem(md, p, &m->addr[0]);
	CHECK(((int)k >= 0) == (old != NULL));
	/* the served set changes, and the serial with it, only if a served address leaves */
	for (i = 0; i < n_was; i++) {
		for (j = 0; reason == POOL_REG_REGISTER && j < m->n_addr; j++)
			if (pooldb_addr_eq(&was[i].sa, &m->addr[j]))
				break;
		if (was[i].served && (reason == POOL_REG_DEREGISTER || j == m->n_addr))
			dropped = 1;
	}
	CHECK(db->serial == serial + (uint32_t)dropped);
	if (reason == POOL_REG_DEREGISTER) {
		CHECK(find_member(p, &m->addr[0]) == NULL);
		if ((int)k >= 0)
			md->mem[k] = md->mem[--md->n_mem];
		return;
	}
	/* REGISTER: exactly the message's addresses, each once, in its order */
	pm = find_member(p, &m->addr[0]);
	CHECK(pm != NULL);
	for (i = 0, n_dedup = 0; i < m->n_addr; i++) {
		for (j = 0; j < i; j++)
			if (pooldb_addr_eq(&m->addr[j], &m->addr[i]))
				break;
		if (j < i)
			continue;
		CHECK(n_dedup < pm->n_addr && pooldb_addr_eq(&pm->addr[n_dedup].sa, &m->addr[i]));
		a = &pm->addr[n_dedup++];
		for (j = 0; j < n_was; j++)
			if (pooldb_addr_eq(&was[j].sa, &m->addr[i]))
				break;
		if (j == n_was) {
			CHECK(!a->served && a->score == POOLPROBE_SCORE_START && !a->has_last);
			continue;
		}
		/* docs/pool.md "Lifetime": a refresh keeps the probe state and score */
		CHECK(a->served == was[j].served && a->next_ns == was[j].next_ns &&
		      a->good == was[j].good && a->fails == was[j].fails);
		if (!was[j].served && was[j].score < POOLPROBE_SCORE_START)
			CHECK(a->score == POOLPROBE_SCORE_START);
		else
			CHECK(a->score == was[j].score);
	}
	CHECK(n_dedup == pm->n_addr);
	lifetime = m->lifetime < DAY ? m->lifetime : DAY;
	CHECK(pm->expires_ns == mono + lifetime * SEC);
	if ((int)k < 0) {
		CHECK(md->n_mem < MAX_MODEL);
		k = md->n_mem++;
		md->mem[k].p = p;
		md->mem[k].first = m->addr[0];
	}
	md->mem[k].expires_ns = pm->expires_ns;
}

/* What probes would do (docs/pool.md "Scoring"): bit 3 all in service, bit 4 every other out. */
static void
probe(struct pooldb *db, uint8_t flags)
{
	unsigned int i, j, k;

	for (i = 0; i < db->n_pool; i++) {
		for (j = 0; j < db->pool[i].n_member; j++) {
			struct pool_member *m = db->pool[i].member[j];

			for (k = 0; k < m->n_addr; k++) {
				struct pool_addr *a = &m->addr[k];

				if ((flags & 8) != 0) {
					a->served = 1;
					a->score = 15.0;
					a->good = 2;
				}
				if ((flags & 16) != 0 && (k & 1) == (j & 1)) {
					a->served = 0;
					a->score = -50.0;
					a->fails = 3;
					a->good = 0;
				}
			}
		}
	}
}

/*
 * Another member's identity from @first, the message's: 203.0.113.N or
 * 2001:db8:ffff::M:N, N its last octet plus @i, M its last octet, so that
 * two messages give two sets of clones.
 */
static void
clone_first(struct poolreg_msg *m, const struct sockaddr_storage *first, unsigned int i)
{
	if (first->ss_family == AF_INET) {
		uint32_t last = ntohl(((const struct sockaddr_in *)first)->sin_addr.s_addr) & 0xff;

		((struct sockaddr_in *)&m->addr[0])->sin_addr.s_addr =
			htonl(0xcb007100 | ((last + i) & 0xff));
	} else {
		const uint8_t *f = ((const struct sockaddr_in6 *)first)->sin6_addr.s6_addr;
		uint8_t *b = ((struct sockaddr_in6 *)&m->addr[0])->sin6_addr.s6_addr;

		memcpy(b, "\x20\x01\x0d\xb8\xff\xff\0\0\0\0\0\0\0\0", 14);
		b[14] = f[15];
		b[15] = (uint8_t)(f[15] + i);
	}
}

/* Records older than the window can go: such a message is stale anyway (docs/pool.md). */
static void
prune(struct model *md, uint64_t real)
{
	unsigned int i;

	for (i = 0; i < md->n_rec;) {
		if (md->rec[i].time_ns + WINDOW < real)
			md->rec[i] = md->rec[--md->n_rec];
		else
			i++;
	}
}

static void
expire(struct pooldb *db, struct model *md, uint64_t mono)
{
	uint32_t serial = db->serial;
	unsigned int i, j, k, lapsed = 0;

	for (i = 0; i < db->n_pool; i++) {
		for (j = 0; j < db->pool[i].n_member; j++) {
			const struct pool_member *m = db->pool[i].member[j];
			int served = 0;

			for (k = 0; k < m->n_addr; k++)
				served |= m->addr[k].served;
			lapsed += m->dynamic && m->expires_ns <= mono && served;
		}
	}
	CHECK(pooldb_expire(db, mono) == (lapsed > 0));
	CHECK(db->serial == serial + lapsed);
	for (i = 0; i < md->n_mem;) {
		if (md->mem[i].expires_ns <= mono)
			md->mem[i] = md->mem[--md->n_mem];
		else
			i++;
	}
}

static void
sequence(const uint8_t *d, size_t n)
{
	static const uint64_t step[4] = {0, SEC, 20 * SEC, 1000 * SEC};
	static struct pooldb db;
	static struct model md;
	uint8_t body[POOLREG_MSG_MAX], msg[POOLREG_MSG_MAX + MAC_LEN];
	uint64_t real = REAL0, mono = MONO0;
	size_t len, msg_len = 0;
	struct sockaddr_storage first;
	struct poolreg_msg m;
	unsigned int i;
	int ret;

	srand(1);
	registrar_init(&db, &md);
	while (n >= 3) {
		uint8_t flags = d[0];

		len = (size_t)(d[1] << 8 | d[2]);
		d += 3;
		n -= 3;
		if (len > n)
			len = n;
		if (len > POOLREG_MSG_MAX - MAC_LEN)
			len = POOLREG_MSG_MAX - MAC_LEN;
		real += step[flags & 3];
		mono += step[flags & 3];
		if ((flags & 3) == 3)
			expire(&db, &md, mono);
		if (len > 0) {
			memcpy(body, d, len);
			if ((flags & 4) != 0 && len >= 16) {
				uint64_t t = real + (uint64_t)(((int64_t)(flags >> 3) - 16) * 2 *
							       (int64_t)SEC);
				int b;

				for (b = 0; b < 8; b++)
					body[8 + b] = (uint8_t)(t >> (56 - 8 * b));
			}
			sign(body, len, msg);
			msg_len = len + MAC_LEN;
			d += len;
			n -= len;
		}
		if (msg_len == 0)
			continue;
		if ((flags & 4) == 0)
			probe(&db, flags);
		ret = poolreg_decode(msg, msg_len, key, sizeof(key), &m);
		CHECK(ret == 0 || ret == -EBADMSG);
		if (ret == 0) {
			check_msg(&m);
			prune(&md, real);
			apply(&db, &md, &m, real, mono);
			first = m.addr[0];
			for (i = 1; (flags & 0x24) == 0x20 && i <= CLONES && m.n_addr > 0; i++) {
				clone_first(&m, &first, i);
				apply(&db, &md, &m, real, mono);
				check_db(&db, &md);
			}
		}
		check_db(&db, &md);
	}
	/* a day and a second later every registration has lapsed */
	mono += (DAY + 1) * SEC;
	expire(&db, &md, mono);
	CHECK(md.n_mem == 0);
	check_db(&db, &md);
	pooldb_fini(&db);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;

	if (size == 0)
		return 0;
	/* exactly the input's size, so that ASan sees any read past it */
	copy = malloc(size - 1 ? size - 1 : 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data + 1, size - 1);
	if ((data[0] & 0x80) == 0)
		one_message(copy, size - 1);
	else
		sequence(copy, size - 1);
	free(copy);
	return 0;
}
