/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * strata-pool's configuration file (docs/pool.md "Configuration"): one
 * directive a line, as stratad's (lib/config.c), every error with the
 * file, the line and a hint.
 */
#pragma once

#include <stdio.h>
#include <sys/socket.h>

#include "poolreg.h"

#define PCFG_MAX_POOLS 16
#define PCFG_MAX_STATIC 256 /* static member lines in all */
#define PCFG_MAX_MEMBERS 64 /* per pool, static and registered together */
#define PCFG_MAX_DNS 4	    /* listen dns lines */
#define PCFG_PATH_MAX 256
#define PCFG_ANSWERS_DEFAULT 4
#define PCFG_ANSWERS_MAX 16
#define PCFG_TTL_DEFAULT 60
#define PCFG_TTL_MAX 86400
#define PCFG_INTERVAL_DEFAULT 16 /* s between probes of one address */
#define PCFG_INTERVAL_MAX 3600
#define PCFG_DEFAULT_CONTROL "/run/strata/pool.sock"
#define PCFG_DEFAULT_USER "_strata" /* as stratad's: scripts/install-deps.sh creates it */
#define PCFG_USER_MAX 33	   /* 32 characters, as useradd allows */
/* as stratad's controlgroup: read-only operators (scripts/install-deps.sh creates it) */
#define PCFG_DEFAULT_CONTROLGROUP "strata-ops"

struct pcfg_addr {
	struct sockaddr_storage sa;
	socklen_t len;
};

struct pcfg_pool {
	char name[POOLREG_NAME_MAX + 1]; /* lower case, no trailing dot */
	unsigned int answers;		 /* addresses in one answer */
	unsigned int ttl;		 /* s */
	int nts;			 /* members are probed over NTS (RFC 8915) */
	unsigned int line;
};

struct pcfg_member {
	unsigned int pool; /* index into pcfg.pool */
	unsigned int n_addr;
	struct sockaddr_storage addr[POOLREG_MAX_ADDRS]; /* port 123 */
	unsigned int line;
};

struct pcfg {
	char zone[POOLREG_NAME_MAX + 1];
	struct pcfg_pool pool[PCFG_MAX_POOLS];
	unsigned int n_pool;
	struct pcfg_member member[PCFG_MAX_STATIC];
	unsigned int n_member;
	int has_registration;
	struct pcfg_addr registration;
	char reg_key[PCFG_PATH_MAX];
	struct pcfg_addr dns[PCFG_MAX_DNS];
	unsigned int n_dns;
	unsigned int interval; /* s */
	char nts_ca[PCFG_PATH_MAX]; /* ntstrustedcerts: "" for the system's trust store */
	int has_metrics;
	struct pcfg_addr metrics;
	char control[108];	    /* sun_path */
	char user[PCFG_USER_MAX]; /* strata-pool drops to it once its sockets are bound */
	char controlgroup[PCFG_USER_MAX]; /* the control socket's group */
	/* RFC 2136 push */
	int has_update;
	struct pcfg_addr update;
	char update_zone[POOLREG_NAME_MAX + 1];
	char tsig_name[POOLREG_NAME_MAX + 1];
	char tsig_alg[32];
	char tsig_key[PCFG_PATH_MAX];
};

/* Parse @f (named @name in messages) into @c. 0, or -1 with "NAME:LINE: what (hint: ...)" in @err.
 */
int pcfg_parse(const char *name, FILE *f, struct pcfg *c, char *err, size_t errlen);

/* pcfg_parse() on the file at @path. */
int pcfg_load(const char *path, struct pcfg *c, char *err, size_t errlen);

/* Lower-case @s in place and drop one trailing dot: the form names are compared in. */
void pcfg_name_norm(char *s);

/* 1 if @name is @zone or below it (both normalized). */
int pcfg_in_zone(const char *name, const char *zone);
