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

/* "listen xdp IFACE address ADDR [address ADDR ...]" */
struct cfg_listen {
	char ifname[CFG_IFNAMSIZ];
	__be32 addr4[STRATA_MAX_ADDRS];
	__be32 addr6[STRATA_MAX_ADDRS][4];
	unsigned int n_addr4;
	unsigned int n_addr6;
	unsigned int line; /* where it was configured, for later messages */
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
