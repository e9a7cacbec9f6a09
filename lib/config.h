/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stratad's configuration file: ntp.conf-like lines, one directive each.
 * See docs/config.md for the language.
 */
#pragma once

#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>

#include <strata/fastcfg.h>
#include <strata/policy.h>
#include <strata/service.h>

#define CFG_MAX_LISTEN 8
#define CFG_IFNAMSIZ 16
#define CFG_PATH_MAX 108 /* sun_path */
#define CFG_DEFAULT_CONTROL "/run/strata/stratad.sock"
#define CFG_DEFAULT_BPFFS "/sys/fs/bpf/strata"
#define CFG_DEFAULT_USER "_strata" /* scripts/install-deps.sh creates it */
#define CFG_USER_MAX 33          /* 32 characters, as useradd allows */
/* the control socket's group: read-only operators (scripts/install-deps.sh creates it) */
#define CFG_DEFAULT_CONTROLGROUP "strata-ops"

enum cfg_xdpmode {
	CFG_XDP_NATIVE = 0, /* the driver runs the program (default) */
	CFG_XDP_GENERIC,    /* the kernel runs it after the driver: any NIC, slower */
};

#define CFG_PORT_MAX 256

/*
 * "listen xdp IFACE address ADDR [address ADDR ...]", or
 * "listen dpdk PORT address ADDR [address ADDR ...]" with PORT a PCI address
 * (0000:01:00.0) or a DPDK vdev spec (net_af_xdp0,iface=eth1).
 */
struct cfg_listen {
	int dpdk;                /* a DPDK port, served by strata-dpdk, not XDP */
	char port[CFG_PORT_MAX]; /* the DPDK port, with dpdk */
	char ifname[CFG_IFNAMSIZ];
	__be32 addr4[STRATA_MAX_ADDRS];
	__be32 addr6[STRATA_MAX_ADDRS][4];
	unsigned int n_addr4;
	unsigned int n_addr6;
	unsigned int line; /* where it was configured, for later messages */
};

#define CFG_MAX_SOURCES 16
#define CFG_HOST_MAX 254 /* a DNS name, RFC 1035 section 2.3.4 */
#define CFG_FILE_MAX 4096
#define CFG_POOL_DEFAULT 4
#define CFG_POOL_MIN 3
#define CFG_POOL_MAX 7
#define CFG_HOLDOVER_DEFAULT 3600
#define CFG_MINPOLL_DEFAULT 6 /* 64 s: RFC 5905 appendix A.1.1 */
#define CFG_MAXPOLL_DEFAULT 10 /* 1024 s */
#define CFG_POLL_MIN (-6)      /* 1/64 s, as chrony allows, for LANs and tests */
#define CFG_POLL_MAX 17

enum cfg_source_kind {
	CFG_SRC_SERVER, /* "server HOST [iburst] [minpoll N] [maxpoll N] [prefer] [noselect]" */
	CFG_SRC_POOL,   /* "pool NAME [iburst] [maxsources N]" */
	CFG_SRC_PHC,    /* "refclock phc /dev/ptpN [poll N] [offset SECONDS] [prefer]" */
};

struct cfg_source {
	enum cfg_source_kind kind;
	char host[CFG_HOST_MAX + 1]; /* name or address; the device path for a PHC */
	int iburst;
	int prefer;
	int noselect;
	int minpoll; /* log2 s */
	int maxpoll;
	int poll;       /* PHC: log2 s between readings */
	int maxsources; /* pool: members kept */
	double offset;  /* PHC: seconds added to its readings (-37 for a PHC on TAI) */
	unsigned int line;
};

#define CFG_MAX_REGISTER 4

/* "register POOL via HOST[:PORT] key FILE": announce this server to a strata-pool registrar */
struct cfg_register {
	char pool[CFG_HOST_MAX + 1];
	char registrar[CFG_HOST_MAX + 1]; /* name or address, without brackets or port */
	unsigned int port;                /* POOLREG_PORT unless given */
	char keyfile[CFG_FILE_MAX];       /* read at start, before privileges are dropped */
	unsigned int line;
};

/* "allow CIDR|all", "deny CIDR|all [kod]": the client access list (docs/security.md) */
#define CFG_ACL_MAX STRATA_ACL_MAX
struct cfg_acl {
	int family;          /* AF_INET or AF_INET6 */
	unsigned char addr[16]; /* network order, host bits zero */
	unsigned int prefixlen;
	int action;          /* enum strata_acl_action */
	unsigned int line;
};

/* "ratelimit [interval N] [burst N] [leak N] [kod]": chrony's defaults 3, 8, 2 */
#define CFG_RL_INTERVAL_DEFAULT 3
#define CFG_RL_BURST_DEFAULT 8
#define CFG_RL_LEAK_DEFAULT 2
#define CFG_RL_INTERVAL_MIN (-4) /* 1/16 s */
#define CFG_RL_INTERVAL_MAX 12   /* 4096 s */
#define CFG_RL_BURST_MAX 255
#define CFG_RL_LEAK_MAX 16
struct cfg_ratelimit {
	int on;
	int interval; /* log2 s between answers on average */
	unsigned int burst;
	unsigned int leak; /* log2: 1 in 2^leak requests over the limit is answered */
	int kod;
};

/*
 * NTS (RFC 8915), in chrony's words and with its defaults where they fit
 * (docs/config.md, docs/nts.md). NTS is on when both a certificate and a
 * key are configured; stratad keeps the master keys, strata-nts serves
 * NTS-KE and the AF_XDP queues.
 */
#define CFG_NTS_PORT_DEFAULT 4460       /* RFC 8915 section 4 */
#define CFG_NTS_PROCESSES_DEFAULT 1
#define CFG_NTS_MAXCONN_DEFAULT 100
#define CFG_NTS_ROTATE_DEFAULT 604800   /* a week */
#define CFG_NTS_DUMPDIR_DEFAULT "/var/lib/strata"
#define CFG_NTS_KEYFILE "ntskeys"       /* in the dump directory */
#define CFG_NTS_PROCESSES_MAX 16
#define CFG_NTS_MAXCONN_MAX 100000
/* below a minute the 4 keys kept would expire a client's cookies within minutes */
#define CFG_NTS_ROTATE_MIN 60
#define CFG_NTS_ROTATE_MAX (10u * 366 * 86400) /* ten years: a typo beyond */
struct cfg_nts {
	char cert[CFG_FILE_MAX];  /* "ntsservercert FILE": PEM, the chain after the leaf */
	char key[CFG_FILE_MAX];   /* "ntsserverkey FILE": PEM, may be readable by root only */
	unsigned int port;        /* "ntsport N": NTS-KE's TCP port */
	unsigned int processes;   /* "ntsprocesses N": NTS-KE worker processes */
	unsigned int maxconns;    /* "maxntsconnections N": open NTS-KE sessions, all workers */
	unsigned int rotate;      /* "ntsrotate SECONDS": 0 never generates, only reads the file */
	char dumpdir[CFG_FILE_MAX]; /* "ntsdumpdir DIR": DIR/ntskeys holds the master keys */
	char ntpserver[CFG_HOST_MAX + 1]; /* "ntsntpserver NAME": sent in NTS-KE, "" for none */
};

struct cfg {
	struct cfg_listen listen[CFG_MAX_LISTEN];
	unsigned int n_listen;
	enum cfg_xdpmode xdpmode;
	int refclock_system; /* "refclock system": serve the kernel clock */
	int local_stratum;   /* "local stratum N": 1..15, 0 when absent */
	int has_metrics;     /* "metrics ADDR:PORT" */
	struct sockaddr_storage metrics;
	socklen_t metrics_len;
	char control[CFG_PATH_MAX]; /* "control PATH", CFG_DEFAULT_CONTROL by default */
	char user[CFG_USER_MAX];    /* "user NAME": stratad drops to it after setup */
	char controlgroup[CFG_USER_MAX]; /* "controlgroup NAME": the control socket's group */
	char bpffs[CFG_PATH_MAX];   /* "bpffs DIR|none": pinned XDP objects, "" for none */

	struct cfg_source sources[CFG_MAX_SOURCES]; /* servers, pools and PHCs in file order */
	unsigned int n_sources;
	int minsources;              /* "minsources N": truechimers needed to claim sync (1) */
	char driftfile[CFG_FILE_MAX]; /* "driftfile PATH", empty when absent */
	char leapfile[CFG_FILE_MAX];  /* "leapfile PATH", empty when absent */
	unsigned int holdover;       /* "holdover SECONDS": sync claimed after the last source */
	struct cfg_acl acl[CFG_ACL_MAX]; /* "allow" and "deny" lines, in file order */
	unsigned int n_acl;
	int has_allow;                   /* an "allow" line: sources no rule covers are denied */
	struct cfg_ratelimit ratelimit;
	struct cfg_register reg[CFG_MAX_REGISTER]; /* "register" lines, in file order */
	unsigned int n_register;
	struct cfg_nts nts;
	/* where the one-line settings were set, 0 for a default: a reload's messages name them */
	struct {
		unsigned int xdpmode, metrics, control, user, driftfile, bpffs, controlgroup;
		unsigned int ntsservercert, ntsserverkey, ntsport, ntsprocesses;
		unsigned int maxntsconnections, ntsrotate, ntsdumpdir, ntsntpserver;
	} line;
};

/* NTS is on: a certificate and its key are configured (the parser sees to both or none). */
static inline int
cfg_nts_on(const struct cfg *c)
{
	return c->nts.cert[0] != '\0' && c->nts.key[0] != '\0';
}

/*
 * Parse the configuration in @f, named @name in messages, into @c.
 * @return 0, or -1 with one message "NAME:LINE: what is wrong (hint)" in
 * @err (at most @errlen bytes, always terminated).
 */
int cfg_parse(const char *name, FILE *f, struct cfg *c, char *err, size_t errlen);

/* As cfg_parse() for the file at @path; a file that cannot be opened is an error too. */
int cfg_load(const char *path, struct cfg *c, char *err, size_t errlen);

/* The service addresses of all listen lines together, for the reply builder. */
void cfg_service(const struct cfg *c, struct strata_service *svc);

/*
 * Lower @c into the fast paths' configuration @fc (every field but the
 * generation and the limiter's seed, which the publisher sets).
 */
void cfg_lower(const struct cfg *c, struct strata_fastcfg *fc);

/*
 * The access list default and the rate limit of @c for a fast path whose
 * limiter ticks last @tick_s seconds, with the hash key @seed.
 */
void cfg_policy(const struct cfg *c, double tick_s, __u64 seed, struct strata_policy_conf *pc);

