/* SPDX-License-Identifier: BSD-3-Clause */
#include "fastcfg.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/*
 * The reader's half of the sequence count stratad/channel.c writes under
 * (as rte_seqcount_read_begin() and rte_seqcount_read_retry()): an acquire
 * load of the count before the copy, an acquire fence after it, then the
 * count again. Equal and even: no write overlapped the copy.
 */
int
dp_fastcfg_copy(const struct strata_shm *m, struct strata_fastcfg *fc, uint32_t *seq)
{
	uint32_t begin, end;

	begin = __atomic_load_n(&m->cfg_seq, __ATOMIC_ACQUIRE);
	if (begin & 1)
		return -EAGAIN;
	memcpy(fc, (const void *)&m->cfg, sizeof(*fc));
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	end = __atomic_load_n(&m->cfg_seq, __ATOMIC_RELAXED);
	if (end != begin)
		return -EAGAIN;
	*seq = begin;
	return 0;
}

/* The rule's address has no bit set past its prefix length. */
static int
host_bits_zero(const struct strata_acl_rule *r, unsigned int bytes)
{
	unsigned int i;

	for (i = 0; i < bytes; i++) {
		int keep = (int)r->prefixlen - 8 * (int)i; /* prefix bits in octet i */
		uint8_t mask = keep >= 8 ? 0xff : keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));

		if ((r->addr[i] & ~mask) != 0)
			return 0;
	}
	return 1;
}

static int
action_ok(uint32_t a)
{
	return a == STRATA_ACL_ALLOW || a == STRATA_ACL_DENY || a == STRATA_ACL_DENY_KOD;
}

int
dp_fastcfg_check(const struct strata_fastcfg *fc, char *why, size_t len)
{
	unsigned int i;

	if (fc->gen == 0) {
		snprintf(why, len, "generation 0");
		return -EINVAL;
	}
	if (fc->svc.n_addr4 > STRATA_MAX_ADDRS || fc->svc.n_addr6 > STRATA_MAX_ADDRS) {
		snprintf(why, len, "%u IPv4 and %u IPv6 service addresses, more than %u",
			 fc->svc.n_addr4, fc->svc.n_addr6, STRATA_MAX_ADDRS);
		return -EINVAL;
	}
	if (fc->svc.ttl == 0) {
		snprintf(why, len, "reply TTL 0");
		return -EINVAL;
	}
	if (fc->n_acl > STRATA_ACL_MAX) {
		snprintf(why, len, "%u access list rules, more than %u", fc->n_acl, STRATA_ACL_MAX);
		return -EINVAL;
	}
	if (!action_ok(fc->acl_default)) {
		snprintf(why, len, "access list default %u", fc->acl_default);
		return -EINVAL;
	}
	for (i = 0; i < fc->n_acl; i++) {
		const struct strata_acl_rule *r = &fc->acl[i];
		unsigned int max = r->family == 4 ? 32 : 128;

		if (r->family != 4 && r->family != 6) {
			snprintf(why, len, "access list rule %u: family %u", i + 1, r->family);
			return -EINVAL;
		}
		if (r->prefixlen > max || !host_bits_zero(r, max / 8)) {
			snprintf(why, len, "access list rule %u: prefix length %u or host bits",
				 i + 1, r->prefixlen);
			return -EINVAL;
		}
		if (!action_ok(r->action)) {
			snprintf(why, len, "access list rule %u: action %u", i + 1, r->action);
			return -EINVAL;
		}
	}
	/* the file's bounds (lib/config.c): 1u << interval and the leak shift stay defined */
	if (fc->rl_on &&
	    (fc->rl_interval < -16 || fc->rl_interval > 16 || fc->rl_burst == 0 ||
	     fc->rl_burst > 255 || fc->rl_leak == 0 || fc->rl_leak > 31 || fc->rl_kod > 1)) {
		snprintf(why, len, "rate limit interval %d burst %u leak %u kod %u",
			 fc->rl_interval, fc->rl_burst, fc->rl_leak, fc->rl_kod);
		return -EINVAL;
	}
	return 0;
}
