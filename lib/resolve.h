/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Name lookups that never block the main loop (chrony's nameserv_async.c):
 * an address literal resolves at once, a name in glibc's getaddrinfo_a()
 * helper thread, polled from the caller's ticks. One lookup per struct
 * resolve; the struct must stay in place while a lookup runs.
 */
#pragma once

#include <netdb.h>

struct resolve {
	struct gaicb req;
	struct addrinfo hints;
	char name[256];   /* own copies: the caller's strings may change (a reload) */
	char service[8];
	int running;      /* getaddrinfo_a() is working on req */
	int done;         /* finished: err and res are the answer */
	int err;          /* 0, or an EAI_* code */
	struct addrinfo *res;
};

/*
 * Start looking up @name, UDP port @port, any family. A literal address
 * is answered before this returns. @return 0, or an EAI_* code when the
 * lookup cannot start (nothing to free).
 */
int resolve_start(struct resolve *r, const char *name, unsigned int port);

/*
 * Whether the lookup has finished: @return 0 while it runs; 1 when done,
 * with *@res the addresses (the caller frees them with freeaddrinfo())
 * or NULL and the EAI_* code in *@err.
 */
int resolve_done(struct resolve *r, struct addrinfo **res, int *err);

/* Stop a running lookup (waiting for glibc's thread to let go) and free any answer. */
void resolve_cancel(struct resolve *r);
