/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stratad's configuration file: ntp.conf-like lines, one directive each.
 * See docs/config.md for the language.
 */
#pragma once

#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>

#include <strata/service.h>

#define CFG_MAX_LISTEN 8
#define CFG_IFNAMSIZ 16
#define CFG_PATH_MAX 108 /* sun_path */
#define CFG_DEFAULT_CONTROL "/run/strata/stratad.sock"

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

	struct cfg_source sources[CFG_MAX_SOURCES]; /* servers, pools and PHCs in file order */
	unsigned int n_sources;
	int minsources;              /* "minsources N": truechimers needed to claim sync (1) */
	char driftfile[CFG_FILE_MAX]; /* "driftfile PATH", empty when absent */
	char leapfile[CFG_FILE_MAX];  /* "leapfile PATH", empty when absent */
	unsigned int holdover;       /* "holdover SECONDS": sync claimed after the last source */
};

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
