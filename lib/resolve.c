/* SPDX-License-Identifier: BSD-3-Clause */
#include "resolve.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int
resolve_start(struct resolve *r, const char *name, unsigned int port)
{
	struct gaicb *list[1] = {&r->req};
	int err;

	resolve_cancel(r);
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	snprintf(r->service, sizeof(r->service), "%u", port);
	r->hints.ai_family = AF_UNSPEC;
	r->hints.ai_socktype = SOCK_DGRAM;
	r->hints.ai_protocol = IPPROTO_UDP;
	/* a literal needs no thread: answered now, so tests and configs of addresses are exact */
	r->hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(r->name, r->service, &r->hints, &r->res) == 0) {
		r->done = 1;
		return 0;
	}
	r->res = NULL;
	r->hints.ai_flags = AI_NUMERICSERV;
	r->req.ar_name = r->name;
	r->req.ar_service = r->service;
	r->req.ar_request = &r->hints;
	/* glibc resolves in a helper thread: the daemon never blocks on DNS */
	err = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL);
	if (err != 0)
		return err;
	r->running = 1;
	return 0;
}

int
resolve_done(struct resolve *r, struct addrinfo **res, int *err)
{
	if (r->running) {
		int e = gai_error(&r->req);

		if (e == EAI_INPROGRESS)
			return 0;
		r->running = 0;
		r->done = 1;
		r->err = e;
		r->res = e == 0 ? r->req.ar_result : NULL;
		r->req.ar_result = NULL;
	}
	if (!r->done)
		return 0;
	*res = r->res;
	*err = r->err != 0 ? r->err : r->res == NULL ? EAI_NONAME : 0;
	/* handed over: the caller frees it */
	r->res = NULL;
	r->done = 0;
	return 1;
}

void
resolve_cancel(struct resolve *r)
{
	if (r->running) {
		const struct gaicb *l[1] = {&r->req};

		/* the lookup thread still writes into req: wait for it */
		if (gai_cancel(&r->req) != EAI_CANCELED)
			while (gai_error(&r->req) == EAI_INPROGRESS)
				gai_suspend(l, 1, NULL);
		if (r->req.ar_result != NULL)
			freeaddrinfo(r->req.ar_result);
		r->req.ar_result = NULL;
		r->running = 0;
	}
	if (r->res != NULL)
		freeaddrinfo(r->res);
	r->res = NULL;
	r->done = 0;
}
