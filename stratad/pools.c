/* SPDX-License-Identifier: BSD-3-Clause */
#include "pools.h"

#include <string.h>

const char *
pools_drop_reason(const struct peer *p)
{
	if (p->ntpc.denied)
		return "denied by kiss-o'-death";
	if (p->polls >= POOL_LOST_POLLS && (p->ntpc.reach & 0xf) == 0)
		return "unreachable";
	if (p->falseticks >= POOL_FALSETICKS)
		return "falseticker";
	return NULL;
}

void
pools_avoid_add(struct pools_avoid *v, const struct sockaddr *sa, socklen_t len, uint64_t mono)
{
	int i, k = 0;

	for (i = 1; i < POOL_AVOID_MAX; i++)
		if (v->a[i].until < v->a[k].until)
			k = i;
	memcpy(&v->a[k].addr, sa, len);
	v->a[k].addrlen = len;
	v->a[k].until = mono + POOL_AVOID_NS;
}

int
pools_avoided(const struct pools_avoid *v, const struct sockaddr *sa, socklen_t len, uint64_t mono)
{
	int i;

	for (i = 0; i < POOL_AVOID_MAX; i++)
		if (v->a[i].until > mono && v->a[i].addrlen == len &&
		    memcmp(&v->a[i].addr, sa, len) == 0)
			return 1;
	return 0;
}
