/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The registrar's state (docs/pool.md "Model"): pools, their members (static
 * from the config or registered), each member's addresses with their probe
 * state and score, and the registration replay records. No I/O here but
 * closing a removed address's probe socket.
 */
#pragma once

#include <stdint.h>
#include <sys/socket.h>

#include "ntpc.h"
#include "poolnts.h"
#include "poolconf.h"
#include "poolreg.h"

#define POOL_MAX_MEMBERS PCFG_MAX_MEMBERS
#define POOL_MAX_REPLAY 128		    /* replay records per pool */
#define POOL_WINDOW_NS (30 * 1000000000ULL) /* registration clock window, docs/pool.md */
#define POOL_LIFETIME_MAX 86400		    /* s: a registration lasts at most a day */

/* What one probe found (poolprobe.h scores it). */
enum pool_outcome {
	POOL_GOOD = 0, /* a reply within the offset limit */
	POOL_NOREPLY,  /* nothing within the probe timeout */
	POOL_KOD,      /* a kiss-o'-death (RFC 5905 section 7.4) */
	POOL_UNSYNC,   /* leap 3, stratum 16, bad timestamps, root distance too large */
	POOL_OFFSET,   /* a reply whose time is beyond the offset limit */
	POOL_NTS,      /* NTS failed: NTS-KE refused or failed, NTS NAK, reply not authentic */
	POOL_N_OUTCOMES
};

/* Registration messages by what became of them (metrics). */
enum pool_reg {
	POOL_REG_REGISTER = 0, /* accepted REGISTER */
	POOL_REG_DEREGISTER,   /* accepted DEREGISTER */
	POOL_REG_BADMAC,       /* unauthenticated: no answer */
	POOL_REG_MALFORMED,    /* authentic but not a valid message, or an ACK sent to us */
	POOL_REG_UNKNOWN_POOL,
	POOL_REG_STALE,	 /* time_ns more than the window away from our clock */
	POOL_REG_REPLAY, /* time_ns not newer than the last accepted from that member */
	POOL_REG_FULL,
	POOL_REG_N
};

struct pool_addr {
	struct sockaddr_storage sa; /* port 123 */
	double score;
	int served;
	unsigned int fails; /* probes in a row without a reply */
	unsigned int good;  /* good probes in a row */
	int has_last;
	enum pool_outcome last;
	double offset, delay; /* s, of the last reply measured */
	uint64_t probes[POOL_N_OUTCOMES];
	/* the probe in flight */
	struct ntpc_source ntpc;
	const char *nts_ca;	       /* NTS pools: trusted CAs ("": the system's); else NULL */
	struct poolnts *nts;	       /* NTS state from the first probe: keys, cookies, NTS-KE */
	int fd;			       /* -1 when none; during NTS-KE its eventfd */
	uint64_t next_ns, deadline_ns; /* monotonic */
};

struct pool_member {
	int dynamic;
	uint64_t expires_ns; /* monotonic; registered members only */
	unsigned int line;   /* static members: the config line */
	unsigned int n_addr;
	struct pool_addr addr[POOLREG_MAX_ADDRS];
};

struct pool_replay {
	struct sockaddr_storage first; /* the member's first address, port 0 */
	uint64_t time_ns;	       /* the newest time_ns accepted from it */
};

struct pool {
	struct pcfg_pool cfg;
	struct pool_member *member[POOL_MAX_MEMBERS];
	unsigned int n_member;
	struct pool_replay replay[POOL_MAX_REPLAY];
	unsigned int n_replay;
	unsigned int rotor;	   /* rotates the answers (pooldns.c) */
	int changed;		   /* served set changed: push an update (poolupdate.c) */
	uint64_t update_next_ns;   /* monotonic: no update before (retry backoff) */
	unsigned int update_tries; /* failed pushes in a row */
};

struct pooldb {
	char zone[POOLREG_NAME_MAX + 1];
	struct pool pool[PCFG_MAX_POOLS];
	unsigned int n_pool;
	uint32_t serial;       /* the zone's SOA serial: rises with every change of a served set */
	unsigned int interval; /* s between probes of one address */
	char nts_ca[PCFG_PATH_MAX]; /* NTS pools' trusted CAs, "" for the system's */
	uint64_t reg[POOL_REG_N];
	uint64_t dns_rcode[17]; /* by rcode; 16 is BADVERS (RFC 6891) */
	uint64_t dns_dropped;	/* responses, short garbage: nothing to answer */
	uint64_t updates_sent, updates_ok, updates_failed;
};

/* Build @db from @c: pools and static members, first probes spread over one interval. */
int pooldb_init(struct pooldb *db, const struct pcfg *c, uint64_t now_mono_ns);

/* Free every member, closing probe sockets. */
void pooldb_fini(struct pooldb *db);

/* The pool named @name (any case, trailing dot or not), or NULL. */
struct pool *pooldb_find(struct pooldb *db, const char *name);

/*
 * Apply an authentic REGISTER or DEREGISTER @m received at our
 * CLOCK_REALTIME @now_real_ns: window and replay checks, then add, refresh
 * or remove the member. @return the POOLREG_E_* status for the ACK; the
 * reason is counted in db->reg.
 */
int pooldb_register(struct pooldb *db, const struct poolreg_msg *m, uint64_t now_real_ns,
		    uint64_t now_mono_ns);

/* Remove registrations whose lifetime ended. @return 1 if a served set changed. */
int pooldb_expire(struct pooldb *db, uint64_t now_mono_ns);

/*
 * The served addresses of family @af in @p, each once, in member order:
 * up to @max pointers into @out. @return how many.
 */
unsigned int pooldb_served(const struct pool *p, int af, const struct sockaddr_storage **out,
			   unsigned int max);

/* Note that @p's served set changed: a new SOA serial and an update to push. */
void pooldb_changed(struct pooldb *db, struct pool *p);

/* Same address, port ignored. */
int pooldb_addr_eq(const struct sockaddr_storage *a, const struct sockaddr_storage *b);
