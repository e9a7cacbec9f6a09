/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Finding a DPDK ethernet port by device name, probing it from its spec
 * when EAL's arguments did not create it. Shared by strata-dpdk and
 * strata-gen's DPDK engine.
 */
#pragma once

/*
 * The port of device @name (e.g. "0000:01:00.0", "net_af_xdp0"); when EAL
 * has no such device, @spec ("NAME[,devargs]") is probed first.
 * @return the port id, or -errno (-ENODEV: probed, but no ethernet port).
 */
int dp_ethdev_open(const char *spec, const char *name);
