/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Scoring (pool/poolprobe.c) and the registrar's state
 * (pool/pooldb.c): how fast an address joins and leaves, the penalties,
 * registration with its window and replay checks, refresh and expiry. A
 * real probe over loopback checks the socket path and ntpc's measurement.
 */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <strata/ntp.h>

#include "poolnts.h"
#include "poolprobe.h"

#include "cunit_main.h"

#define SEC NSEC_PER_SEC
#define NOW_REAL 1764000000000000000ULL

static void
addr(struct pool_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->score = POOLPROBE_SCORE_START;
	a->fd = -1;
}

static void
test_join(void)
{
	struct pool_addr a;

	addr(&a);
	/* a new address: served after POOLPROBE_JOIN_GOOD good probes */
	CU_ASSERT_EQUAL(poolprobe_score(&a, POOL_GOOD, 0.001), 0);
	CU_ASSERT(!a.served);
	CU_ASSERT_EQUAL(poolprobe_score(&a, POOL_GOOD, 0.001), 1);
	CU_ASSERT(a.served);
	CU_ASSERT(a.score > POOLPROBE_THRESHOLD);
	/* silence before the first answer costs nothing (a member started late) */
	addr(&a);
	poolprobe_score(&a, POOL_NOREPLY, 0);
	poolprobe_score(&a, POOL_NOREPLY, 0);
	CU_ASSERT_DOUBLE_EQUAL(a.score, POOLPROBE_SCORE_START, 1e-9);
	poolprobe_score(&a, POOL_GOOD, 0);
	CU_ASSERT_EQUAL(poolprobe_score(&a, POOL_GOOD, 0), 1);
	/* the score saturates at 20 */
	for (int i = 0; i < 200; i++)
		poolprobe_score(&a, POOL_GOOD, 0);
	CU_ASSERT_DOUBLE_EQUAL(a.score, POOLPROBE_SCORE_MAX, 1e-3);
	CU_ASSERT_EQUAL(a.probes[POOL_GOOD], 202);
	CU_ASSERT_EQUAL(a.probes[POOL_NOREPLY], 2);
}

static void
served(struct pool_addr *a)
{
	addr(a);
	for (int i = 0; i < 100; i++)
		poolprobe_score(a, POOL_GOOD, 0);
	CU_ASSERT_FATAL(a->served);
}

static void
test_leave(void)
{
	struct pool_addr a;

	/* one lost probe is forgiven, the second in a row takes it out */
	served(&a);
	CU_ASSERT_EQUAL(poolprobe_score(&a, POOL_NOREPLY, 0), 0);
	CU_ASSERT(a.served);
	CU_ASSERT_EQUAL(poolprobe_score(&a, POOL_NOREPLY, 0), 1);
	CU_ASSERT(!a.served);
	/* lost, answered, lost: not two in a row */
	served(&a);
	poolprobe_score(&a, POOL_NOREPLY, 0);
	poolprobe_score(&a, POOL_GOOD, 0);
	poolprobe_score(&a, POOL_NOREPLY, 0);
	CU_ASSERT(a.served);
	/* a wrong time, a kiss, an unsynchronized answer: out at once, whatever the score */
	served(&a);
	CU_ASSERT_EQUAL(poolprobe_score(&a, POOL_OFFSET, 0.150), 1);
	CU_ASSERT(a.score > POOLPROBE_THRESHOLD); /* the score alone would have kept it */
	served(&a);
	CU_ASSERT_EQUAL(poolprobe_score(&a, POOL_KOD, 0), 1);
	served(&a);
	CU_ASSERT_EQUAL(poolprobe_score(&a, POOL_UNSYNC, 0), 1);
	/* an NTS pool's member whose NTS fails: its NTS clients cannot use it */
	served(&a);
	CU_ASSERT_EQUAL(poolprobe_score(&a, POOL_NTS, 0), 1);
	CU_ASSERT_EQUAL(a.probes[POOL_NTS], 1);
	/* back after two good probes while the score is still above the threshold */
	served(&a);
	poolprobe_score(&a, POOL_OFFSET, 0.2);
	poolprobe_score(&a, POOL_GOOD, 0);
	CU_ASSERT(!a.served);
	CU_ASSERT_EQUAL(poolprobe_score(&a, POOL_GOOD, 0), 1);
	/* a long silence: many good probes before it comes back */
	served(&a);
	for (int i = 0; i < 10; i++)
		poolprobe_score(&a, POOL_NOREPLY, 0);
	CU_ASSERT(a.score < 0);
	int n = 0;
	while (!a.served && n < 100) {
		poolprobe_score(&a, POOL_GOOD, 0);
		n++;
	}
	CU_ASSERT(n > 10 && n < 60);
	/* the lower bound */
	for (int i = 0; i < 200; i++)
		poolprobe_score(&a, POOL_KOD, 0);
	CU_ASSERT_DOUBLE_EQUAL(a.score, POOLPROBE_SCORE_MIN, 1e-6);
}

static void
test_steps(void)
{
	CU_ASSERT_DOUBLE_EQUAL(poolprobe_step(POOL_GOOD, 0.0), 1.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(poolprobe_step(POOL_GOOD, -0.050), 1.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(poolprobe_step(POOL_GOOD, 0.075), 0.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(poolprobe_step(POOL_GOOD, 0.100), -1.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(poolprobe_step(POOL_OFFSET, 0.150), -2.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(poolprobe_step(POOL_OFFSET, -0.5), -5.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(poolprobe_step(POOL_OFFSET, 3600), -10.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(poolprobe_step(POOL_NOREPLY, 0), -3.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(poolprobe_step(POOL_KOD, 0), -10.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(poolprobe_step(POOL_NTS, 0), -10.0, 1e-9);
	CU_ASSERT_EQUAL(poolprobe_classify(NTPC_SAMPLE, 0.099), POOL_GOOD);
	CU_ASSERT_EQUAL(poolprobe_classify(NTPC_SAMPLE, -0.101), POOL_OFFSET);
	CU_ASSERT_EQUAL(poolprobe_classify(NTPC_KOD_DENY, 0), POOL_KOD);
	CU_ASSERT_EQUAL(poolprobe_classify(NTPC_KOD_RATE, 0), POOL_KOD);
	CU_ASSERT_EQUAL(poolprobe_classify(NTPC_BOGUS, 0), POOL_UNSYNC);
	CU_ASSERT_EQUAL(poolprobe_timeout_ns(1), SEC / 2);
	CU_ASSERT_EQUAL(poolprobe_timeout_ns(64), POOLPROBE_TIMEOUT_MAX_NS);
}

/* A registrar with pool "ntp.pool.test" and one static member 192.0.2.10. */
static void
db_init(struct pooldb *db)
{
	struct pcfg c;

	memset(&c, 0, sizeof(c));
	snprintf(c.zone, sizeof(c.zone), "pool.test");
	snprintf(c.pool[0].name, sizeof(c.pool[0].name), "ntp.pool.test");
	c.pool[0].answers = 4;
	c.pool[0].ttl = 30;
	c.n_pool = 1;
	c.member[0].n_addr = 1;
	c.member[0].addr[0].ss_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.10", &((struct sockaddr_in *)&c.member[0].addr[0])->sin_addr);
	c.n_member = 1;
	c.interval = 2;
	CU_ASSERT_EQUAL_FATAL(pooldb_init(db, &c, 1000 * SEC), 0);
}

static void
reg(struct poolreg_msg *m, enum poolreg_type type, const char *a1, const char *a2, uint64_t t)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	snprintf(m->pool, sizeof(m->pool), "NTP.pool.test.");
	m->time_ns = t;
	m->lifetime = type == POOLREG_REGISTER ? 60 : 0;
	m->n_addr = a2 != NULL ? 2 : 1;
	m->addr[0].ss_family = AF_INET;
	inet_pton(AF_INET, a1, &((struct sockaddr_in *)&m->addr[0])->sin_addr);
	if (a2 != NULL) {
		m->addr[1].ss_family = AF_INET6;
		inet_pton(AF_INET6, a2, &((struct sockaddr_in6 *)&m->addr[1])->sin6_addr);
	}
}

static void
test_register(void)
{
	const struct sockaddr_storage *out[8];
	struct poolreg_msg m;
	struct pooldb db;
	struct pool *p;

	db_init(&db);
	p = &db.pool[0];
	CU_ASSERT_EQUAL(p->n_member, 1);
	/* a multi-homed member: both addresses probed and scored */
	reg(&m, POOLREG_REGISTER, "192.0.2.20", "2001:db8::20", NOW_REAL);
	CU_ASSERT_EQUAL(pooldb_register(&db, &m, NOW_REAL, 1000 * SEC), POOLREG_E_OK);
	CU_ASSERT_EQUAL(p->n_member, 2);
	CU_ASSERT_EQUAL(p->member[1]->n_addr, 2);
	CU_ASSERT(p->member[1]->dynamic);
	CU_ASSERT_EQUAL(db.reg[POOL_REG_REGISTER], 1);
	/* the same message again: a replay */
	CU_ASSERT_EQUAL(pooldb_register(&db, &m, NOW_REAL, 1000 * SEC), POOLREG_E_STALE);
	CU_ASSERT_EQUAL(db.reg[POOL_REG_REPLAY], 1);
	/* older than the last accepted, though within the window */
	m.time_ns = NOW_REAL - SEC;
	CU_ASSERT_EQUAL(pooldb_register(&db, &m, NOW_REAL, 1000 * SEC), POOLREG_E_STALE);
	CU_ASSERT_EQUAL(db.reg[POOL_REG_REPLAY], 2);
	/* outside the 30 s window, either way */
	m.time_ns = NOW_REAL + 31 * SEC;
	CU_ASSERT_EQUAL(pooldb_register(&db, &m, NOW_REAL, 1000 * SEC), POOLREG_E_STALE);
	m.time_ns = NOW_REAL - 31 * SEC;
	CU_ASSERT_EQUAL(pooldb_register(&db, &m, NOW_REAL, 1000 * SEC), POOLREG_E_STALE);
	CU_ASSERT_EQUAL(db.reg[POOL_REG_STALE], 2);
	/* unknown pool */
	snprintf(m.pool, sizeof(m.pool), "other.pool.test");
	m.time_ns = NOW_REAL + SEC;
	CU_ASSERT_EQUAL(pooldb_register(&db, &m, NOW_REAL, 1000 * SEC), POOLREG_E_UNKNOWN_POOL);
	CU_ASSERT_EQUAL(db.reg[POOL_REG_UNKNOWN_POOL], 1);

	/* refresh: the state of an address it keeps stays, one it drops goes */
	p->member[1]->addr[0].served = 1;
	p->member[1]->addr[0].score = 17;
	p->changed = 0;
	reg(&m, POOLREG_REGISTER, "192.0.2.20", NULL, NOW_REAL + 2 * SEC);
	CU_ASSERT_EQUAL(pooldb_register(&db, &m, NOW_REAL + 2 * SEC, 1002 * SEC), POOLREG_E_OK);
	CU_ASSERT_EQUAL(p->n_member, 2);
	CU_ASSERT_EQUAL(p->member[1]->n_addr, 1);
	CU_ASSERT(p->member[1]->addr[0].served);
	CU_ASSERT_DOUBLE_EQUAL(p->member[1]->addr[0].score, 17, 1e-9);
	CU_ASSERT_EQUAL(p->changed, 0); /* the dropped address was not served */
	CU_ASSERT_EQUAL(pooldb_served(p, AF_INET, out, 8), 1);

	/* lifetime: expires 60 s after the last refresh */
	CU_ASSERT_EQUAL(pooldb_expire(&db, 1061 * SEC), 0);
	CU_ASSERT_EQUAL(p->n_member, 2);
	CU_ASSERT_EQUAL(pooldb_expire(&db, 1062 * SEC), 1);
	CU_ASSERT_EQUAL(p->n_member, 1);
	CU_ASSERT(p->changed);
	CU_ASSERT_EQUAL(pooldb_served(p, AF_INET, out, 8), 0);

	/* deregister removes at once; a replayed REGISTER cannot bring it back */
	reg(&m, POOLREG_REGISTER, "192.0.2.30", NULL, NOW_REAL + 3 * SEC);
	CU_ASSERT_EQUAL(pooldb_register(&db, &m, NOW_REAL + 3 * SEC, 1003 * SEC), POOLREG_E_OK);
	CU_ASSERT_EQUAL(p->n_member, 2);
	reg(&m, POOLREG_DEREGISTER, "192.0.2.30", NULL, NOW_REAL + 4 * SEC);
	CU_ASSERT_EQUAL(pooldb_register(&db, &m, NOW_REAL + 4 * SEC, 1004 * SEC), POOLREG_E_OK);
	CU_ASSERT_EQUAL(p->n_member, 1);
	CU_ASSERT_EQUAL(db.reg[POOL_REG_DEREGISTER], 1);
	reg(&m, POOLREG_REGISTER, "192.0.2.30", NULL, NOW_REAL + 3 * SEC);
	CU_ASSERT_EQUAL(pooldb_register(&db, &m, NOW_REAL + 5 * SEC, 1005 * SEC), POOLREG_E_STALE);
	CU_ASSERT_EQUAL(p->n_member, 1);
	/* static members are not touched by a registration's identity */
	reg(&m, POOLREG_DEREGISTER, "192.0.2.10", NULL, NOW_REAL + 6 * SEC);
	CU_ASSERT_EQUAL(pooldb_register(&db, &m, NOW_REAL + 6 * SEC, 1006 * SEC), POOLREG_E_OK);
	CU_ASSERT_EQUAL(p->n_member, 1);
	pooldb_fini(&db);
}

static void
test_full(void)
{
	struct poolreg_msg m;
	struct pooldb db;
	char a[32];
	int i;

	db_init(&db);
	for (i = 0; i < POOL_MAX_MEMBERS - 1; i++) {
		snprintf(a, sizeof(a), "198.51.100.%d", i + 1);
		reg(&m, POOLREG_REGISTER, a, NULL, NOW_REAL);
		CU_ASSERT_EQUAL(pooldb_register(&db, &m, NOW_REAL, SEC), POOLREG_E_OK);
	}
	reg(&m, POOLREG_REGISTER, "198.51.100.200", NULL, NOW_REAL);
	CU_ASSERT_EQUAL(pooldb_register(&db, &m, NOW_REAL, SEC), POOLREG_E_FULL);
	CU_ASSERT_EQUAL(db.reg[POOL_REG_FULL], 1);
	pooldb_fini(&db);
}

/* A member that answers on loopback: one probe through the real sockets and ntpc. */
static void
test_probe_loopback(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sin);
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	struct pool_addr a;
	struct pollfd pfd;
	struct timespec ts;
	uint8_t req[48], rep[48];
	int srv;

	srv = socket(AF_INET, SOCK_DGRAM, 0);
	CU_ASSERT_FATAL(srv >= 0);
	CU_ASSERT_FATAL(bind(srv, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	getsockname(srv, (struct sockaddr *)&sin, &sl);
	addr(&a);
	a.sa.ss_family = AF_INET;
	memcpy(&a.sa, &sin, sizeof(sin));
	{
		const struct ntpc_config nc = {0};

		ntpc_init(&a.ntpc, &nc, SEC);
	}
	CU_ASSERT_EQUAL_FATAL(poolprobe_send(&a, SEC), 0);
	CU_ASSERT(a.fd >= 0);
	CU_ASSERT_EQUAL_FATAL(recvfrom(srv, req, sizeof(req), 0, (struct sockaddr *)&from, &fl),
			      48);
	/* a random source port, not 123 (RFC 9109) */
	CU_ASSERT_NOT_EQUAL(ntohs(from.sin_port), 123);
	/* a stratum 1 server whose clock is 0.5 s ahead */
	clock_gettime(CLOCK_REALTIME, &ts);
	memset(rep, 0, sizeof(rep));
	rep[0] = NTP_LVM(NTP_LEAP_NONE, 4, NTP_MODE_SERVER);
	rep[1] = 1;
	rep[3] = 0xec;
	{
		uint64_t t = ntp_from_unix(ts.tv_sec, (uint32_t)ts.tv_nsec, NULL) + (1ULL << 31);

		for (int i = 0; i < 8; i++) {
			rep[32 + i] = (uint8_t)(t >> (56 - 8 * i));
			rep[40 + i] = (uint8_t)(t >> (56 - 8 * i));
			rep[16 + i] = (uint8_t)(t >> (56 - 8 * i));
		}
	}
	memcpy(rep + 24, req + 40, 8);
	sendto(srv, rep, sizeof(rep), 0, (struct sockaddr *)&from, fl);
	pfd = (struct pollfd){.fd = a.fd, .events = POLLIN};
	CU_ASSERT_EQUAL_FATAL(poll(&pfd, 1, 2000), 1);
	poolprobe_recv(&a, SEC + SEC / 100);
	CU_ASSERT_EQUAL(a.fd, -1);
	CU_ASSERT_EQUAL(a.last, POOL_OFFSET);
	CU_ASSERT(fabs(a.offset - 0.5) < 0.05);
	CU_ASSERT_EQUAL(a.probes[POOL_OFFSET], 1);
	/* the next one is lost */
	CU_ASSERT_EQUAL_FATAL(poolprobe_send(&a, 3 * SEC), 0);
	poolprobe_timeout(&a, 4 * SEC);
	CU_ASSERT_EQUAL(a.fd, -1);
	CU_ASSERT_EQUAL(a.probes[POOL_NOREPLY], 1);
	close(srv);
}

/* A self-signed certificate in @path: NTS-KE reads its trust file before it connects. */
static void
write_ca(const char *path)
{
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt;
	gnutls_datum_t pem;
	const char *e;
	FILE *f;

	CU_ASSERT_FATAL(gnutls_x509_privkey_init(&key) == 0);
	CU_ASSERT_FATAL(gnutls_x509_privkey_generate(
				key, GNUTLS_PK_ECDSA,
				GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) == 0);
	CU_ASSERT_FATAL(gnutls_x509_crt_init(&crt) == 0);
	gnutls_x509_crt_set_version(crt, 3);
	gnutls_x509_crt_set_serial(crt, "\x01", 1);
	gnutls_x509_crt_set_activation_time(crt, time(NULL) - 3600);
	gnutls_x509_crt_set_expiration_time(crt, time(NULL) + 86400);
	CU_ASSERT_FATAL(gnutls_x509_crt_set_dn(crt, "CN=test CA", &e) == 0);
	CU_ASSERT_FATAL(gnutls_x509_crt_set_key(crt, key) == 0);
	gnutls_x509_crt_set_basic_constraints(crt, 1, -1);
	CU_ASSERT_FATAL(gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0) == 0);
	CU_ASSERT_FATAL(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &pem) == 0);
	f = fopen(path, "w");
	CU_ASSERT_FATAL(f != NULL);
	fwrite(pem.data, 1, pem.size, f);
	fclose(f);
	gnutls_free(pem.data);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
}

/* One NTS probe of @a from @now until its NTS-KE ends. */
static void
nts_probe(struct pool_addr *a, uint64_t now)
{
	struct pollfd pfd;

	a->deadline_ns = now + 4 * SEC; /* 2 s for NTS-KE */
	CU_ASSERT_EQUAL_FATAL(poolprobe_send(a, now), 0);
	CU_ASSERT_FATAL(a->fd >= 0);
	pfd = (struct pollfd){.fd = a->fd, .events = POLLIN};
	CU_ASSERT_EQUAL_FATAL(poll(&pfd, 1, 5000), 1);
	poolprobe_recv(a, now + SEC / 100);
	CU_ASSERT_EQUAL(a->fd, -1);
}

/*
 * An NTS member on loopback: one whose NTS-KE port refuses cannot be
 * reached (scored as no reply, as the NTP probe's silence); one that answers
 * NTS-KE with something else than TLS fails NTS (out at once).
 */
static void
test_probe_nts(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_port = htons(NTS_KE_PORT),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	static const char junk[] = "HTTP/1.0 400 Bad Request\r\n\r\n";
	const struct ntpc_config nc = {0};
	struct pool_addr a;
	struct pollfd pfd;
	uint8_t hello[4096];
	char ca[64];
	int fd, c;

	/* a port bound but not listening refuses, and no one else can take it meanwhile */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	CU_ASSERT_FATAL(fd >= 0);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		printf("(127.0.0.1 port %d is taken: not tested) ", NTS_KE_PORT);
		close(fd);
		return;
	}
	snprintf(ca, sizeof(ca), "/tmp/test_poolprobe.%d.pem", (int)getpid());
	write_ca(ca);
	addr(&a);
	memcpy(&a.sa, &sin, sizeof(sin));
	a.nts_ca = ca;
	ntpc_init(&a.ntpc, &nc, SEC);
	nts_probe(&a, SEC);
	CU_ASSERT_EQUAL(a.last, POOL_NOREPLY);
	CU_ASSERT_EQUAL(a.probes[POOL_NOREPLY], 1);
	CU_ASSERT_EQUAL(a.probes[POOL_NTS], 0);
	CU_ASSERT_EQUAL(a.nts->ke_failed, 1);

	/* a server that is there and does not speak TLS */
	CU_ASSERT_FATAL(listen(fd, 4) == 0);
	a.deadline_ns = 3 * SEC + 4 * SEC;
	CU_ASSERT_EQUAL_FATAL(poolprobe_send(&a, 3 * SEC), 0);
	pfd = (struct pollfd){.fd = fd, .events = POLLIN};
	CU_ASSERT_EQUAL_FATAL(poll(&pfd, 1, 5000), 1);
	c = accept(fd, NULL, NULL);
	CU_ASSERT_FATAL(c >= 0);
	/* read the ClientHello first: closing over unread data would send a reset */
	CU_ASSERT(recv(c, hello, sizeof(hello), 0) > 0);
	CU_ASSERT(send(c, junk, sizeof(junk) - 1, 0) > 0);
	pfd = (struct pollfd){.fd = a.fd, .events = POLLIN};
	CU_ASSERT_EQUAL_FATAL(poll(&pfd, 1, 5000), 1);
	poolprobe_recv(&a, 3 * SEC + SEC / 100);
	CU_ASSERT_EQUAL(a.fd, -1);
	CU_ASSERT_EQUAL(a.last, POOL_NTS);
	CU_ASSERT_EQUAL(a.probes[POOL_NTS], 1);
	CU_ASSERT_EQUAL(a.nts->ke_failed, 2);
	close(c);
	close(fd);
	poolnts_free(a.nts);
	unlink(ca);
}

static const struct test_case cases[] = {
	TEST_CASE(test_join),	   TEST_CASE(test_leave), TEST_CASE(test_steps),
	TEST_CASE(test_register),  TEST_CASE(test_full),  TEST_CASE(test_probe_loopback),
	TEST_CASE(test_probe_nts),
};

CUNIT_MAIN("poolprobe", cases)
