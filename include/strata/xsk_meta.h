/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * What the XDP program hands the AF_XDP worker of strata-nts with each NTS
 * request it redirects (docs/nts.md, "XDP"): the receive stamp it took, on
 * its snapshot timescale, so that the reply's receive timestamp comes from
 * the same clock as a plain reply's. It lies in the frame's metadata area,
 * right before the packet (bpf_xdp_adjust_meta(); AF_XDP copies it into the
 * UMEM frame in front of the data, Linux net/xdp/xsk.c xsk_copy_xdp()).
 *
 * The redirect map: the XSKMAP strata_xsks, indexed by receive queue. Each
 * interface's program has its own (queue numbers repeat across NICs, and a
 * socket bound to another device is a drop, not a pass), pinned in the
 * bpffs directory beside the other maps as "xsks_IFACE".
 */
#pragma once

#include "compat.h"

/** The XSKMAP's pinned name, followed by the interface's; its entries: queues of one NIC. */
#define STRATA_XSKS_PIN "xsks_"
#define STRATA_XSKS_MAX 64

/* "NTSm": tells a stamp from whatever an older program left there */
#define STRATA_XSK_META_MAGIC 0x4e54536du

/** The metadata in front of a redirected frame; a multiple of 4 octets, at most 32. */
struct strata_xsk_meta {
	__u64 rx;	/* the receive stamp: strata_clock.rx */
	__u32 rx_scale; /* its enum snap_scale: strata_clock.rx_scale */
	__u32 magic;	/* STRATA_XSK_META_MAGIC */
};
_Static_assert(sizeof(struct strata_xsk_meta) == 16, "strata_xsk_meta layout");
