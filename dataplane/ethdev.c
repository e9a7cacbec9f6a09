/* SPDX-License-Identifier: BSD-3-Clause */
#include "ethdev.h"

#include <errno.h>
#include <string.h>

#include <rte_dev.h>
#include <rte_ethdev.h>

static int
find_port(const char *name)
{
	struct rte_eth_dev_info info;
	uint16_t id;

	/* every port, as RTE_ETH_FOREACH_DEV() (spelled out for clang-format) */
	for (id = rte_eth_find_next(0); id < RTE_MAX_ETHPORTS; id = rte_eth_find_next(id + 1))
		if (rte_eth_dev_info_get(id, &info) == 0 && info.device != NULL &&
		    strcmp(rte_dev_name(info.device), name) == 0)
			return id;
	return -ENODEV;
}

int
dp_ethdev_open(const char *spec, const char *name)
{
	int id = find_port(name), err;

	if (id >= 0)
		return id;
	err = rte_dev_probe(spec);
	if (err < 0)
		return err;
	return find_port(name);
}
