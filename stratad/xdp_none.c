/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The XDP loader of a stratad built without XDP (meson -Dxdp=disabled, or no
 * libbpf, clang or bpftool): a host that serves through strata-dpdk alone
 * still needs stratad to keep the time and write the shared memory. A
 * `listen xdp` line is refused at start, with the reason.
 */
#include "xdp_loader.h"

#include <errno.h>

#include "log.h"

int
xdp_setup(struct xdp_state *x, const struct cfg *c, const struct strata_fastcfg *fc)
{
	(void)c;
	(void)fc;
	x->n_ifs = 0;
	log_warn("this stratad was built without XDP (meson option xdp): "
		 "a 'listen xdp' line needs a build with it; 'listen dpdk' works without");
	return -EOPNOTSUPP;
}

int
xdp_apply(struct xdp_state *x, const struct strata_fastcfg *fc)
{
	(void)x;
	(void)fc;
	return 0;
}

int
xdp_stage(struct xdp_state *x, const struct strata_fastcfg *fc)
{
	(void)x;
	(void)fc;
	return 0;
}

int
xdp_flip(struct xdp_state *x)
{
	(void)x;
	return 0;
}

int
xdp_remove(const char *dir)
{
	(void)dir;
	return 0;
}

void
xdp_follow_mac(struct xdp_state *x, __u64 mono_ns)
{
	(void)x;
	(void)mono_ns;
}

void
xdp_abandon(struct xdp_state *x)
{
	(void)x;
}

void
xdp_teardown(struct xdp_state *x)
{
	(void)x;
}

int
xdp_read_counters(const struct xdp_state *x, struct strata_counters *out, unsigned int max)
{
	(void)x;
	(void)out;
	(void)max;
	return -EOPNOTSUPP;
}
