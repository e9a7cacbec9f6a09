/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * strata-gen: the engine interface. An engine moves NTP requests out (48
 * octets, or longer with NTS extension fields) and replies in; everything
 * else (pacing, request building, NTS in gen_nts.c, validation, statistics,
 * report) is common code in gen.c. The kernel-socket engine is gen_sock.c,
 * the DPDK one gen_dpdk.c.
 */
#pragma once

#include <stdint.h>
#include <sys/socket.h>

#include <strata/ntp.h>

/* Requests per send call, replies per receive call. */
#define GEN_BURST 64
/*
 * The longest request (NTS with placeholders) and the room for a reply, which
 * is never longer (RFC 8915 section 5.7); anything longer is truncated. 1232:
 * IPv6's minimum MTU less its and UDP's headers, so nothing is fragmented.
 */
#define GEN_PKT_MAX 1232
#define GEN_RX_MAX GEN_PKT_MAX

/* One request to send. */
struct gen_req {
	const uint8_t *buf; /* the NTP packet, header first */
	uint32_t len;
};

/* Where to send and from how many source ports. */
struct gen_target {
	struct sockaddr_storage addr; /* server address and port */
	socklen_t addrlen;
	uint16_t base_port; /* sources are base_port .. base_port + nports - 1 */
	unsigned int nports;
	/* DPDK engine only, NULL where not given; its open() parses them */
	const char *dev;     /* EAL device "NAME[,devargs]" */
	const char *src;     /* source addresses, ADDR[/LEN] */
	/* --src-count N --src-step LEN: N sources from ADDR on, one per /LEN
	 * (0: every host of --src's prefix) */
	uint32_t src_count;
	uint32_t src_step; /* a prefix length; 0: the address's length (hosts) */
	const char *src_mac; /* default: the port's */
	const char *dst_mac; /* default: resolved by ARP or neighbour solicitation */
	int eal_argc;	     /* argv[0] and what followed "--" */
	char **eal_argv;
};

/* One received datagram. */
struct gen_rx {
	uint8_t buf[GEN_RX_MAX];
	uint32_t len;  /* as received, may exceed GEN_RX_MAX */
	int64_t rx_ns; /* CLOCK_REALTIME arrival, the kernel's stamp where there is one */
};

struct gen_engine {
	const char *name;
	/* State for @t, or NULL with errno set; messages go to stderr. */
	void *(*open)(const struct gen_target *t);
	/* Send up to @n requests; returns how many left (0 when queues are full) or -errno. */
	int (*send)(void *e, const struct gen_req *req, unsigned int n);
	/* Up to @n replies without blocking; returns their number or -errno. */
	int (*recv)(void *e, struct gen_rx *rx, unsigned int n);
	/* Block until a reply may be waiting or @timeout_ns passes. */
	void (*wait)(void *e, int64_t timeout_ns);
	void (*close)(void *e);
	/* Monotonic nanoseconds to pace on; NULL for CLOCK_MONOTONIC. */
	int64_t (*now)(void *e);
};

/* Kernel UDP sockets: sendmmsg, recvmmsg, SO_TIMESTAMPNS. */
extern const struct gen_engine gen_sock_engine;

#ifdef STRATA_GEN_DPDK
/* DPDK: whole frames built in mbufs, one port, one queue, TSC-paced and stamped. */
extern const struct gen_engine gen_dpdk_engine;
#endif
