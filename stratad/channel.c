/* SPDX-License-Identifier: BSD-3-Clause */
#include "channel.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "log.h"

int
chan_init(struct chan *ch, struct strata_shm *shm)
{
	memset(ch, 0, sizeof(*ch));
	ch->shm = shm;
	/* a write an earlier stratad left half done is redone whole at the first publish */
	if (shm->cfg.gen != 0 && shm->cfg.seed != 0) {
		ch->fc.gen = shm->cfg.gen;
		ch->fc.seed = shm->cfg.seed;
		return 0;
	}
	if (getrandom(&ch->fc.seed, sizeof(ch->fc.seed), 0) != sizeof(ch->fc.seed))
		return -errno;
	ch->fc.seed |= 1; /* 0 means none */
	return 0;
}

void
chan_prepare(struct chan *ch, const struct cfg *c)
{
	__u64 gen = ch->fc.gen + 1, seed = ch->fc.seed;

	cfg_lower(c, &ch->fc);
	ch->fc.gen = gen;
	ch->fc.seed = seed;
}

/*
 * The shared memory's copy under its sequence count (shm.h): odd while it
 * is written, so the dataplane keeps only a copy read between two equal even
 * counts. Release ordering: the count becomes odd before any field changes,
 * and even again only after all have.
 */
static void
shm_write(struct strata_shm *m, const struct strata_fastcfg *fc)
{
	__u32 seq = __atomic_load_n(&m->cfg_seq, __ATOMIC_RELAXED);

	seq |= 1; /* a stratad that died mid-write left it odd already */
	__atomic_store_n(&m->cfg_seq, seq, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memcpy(&m->cfg, fc, sizeof(*fc));
	__atomic_store_n(&m->cfg_seq, seq + 1, __ATOMIC_RELEASE);
}

int
chan_publish(struct chan *ch, struct xdp_state *x)
{
	char line[160];
	int err;

	err = xdp_apply(x, &ch->fc);
	if (err != 0)
		return err;
	shm_write(ch->shm, &ch->fc);
	ch->published = ch->fc.gen;
	snprintf(line, sizeof(line), "%u IPv4 and %u IPv6 service addresses, %u access list "
		 "rule%s (default %s)%s", ch->fc.svc.n_addr4, ch->fc.svc.n_addr6, ch->fc.n_acl,
		 ch->fc.n_acl == 1 ? "" : "s",
		 ch->fc.acl_default == STRATA_ACL_ALLOW ? "allow" : "deny",
		 ch->fc.rl_on ? ", rate limit on" : "");
	log_info("fast paths: generation %llu: %s", (unsigned long long)ch->fc.gen, line);
	return 0;
}
