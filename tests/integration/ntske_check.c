/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ntske-check HOST PORT CAFILE SHM AEAD[,AEAD...]: NTS-KE with strata-nts
 * through lib/ntstls.c's client, then every cookie opened with the master
 * keys of stratad's shared memory SHM: each must hold the very keys the
 * client exported from its session (RFC 8915 sections 5.1 and 6), or the
 * client's first NTS request would be refused. Prints one line; exit 0 when
 * all cookies open to the client's keys, 1 otherwise. For nts_ke.sh (root:
 * the shared memory is root's).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <strata/shm.h>

#include "nts.h"
#include "ntstls.h"

int
main(int argc, char **argv)
{
	static struct nts_ke_response r;
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	static struct nts_server srv;
	struct strata_shm *shm;
	struct nts_keys k, got;
	uint16_t aeads[4];
	unsigned int n = 0, i, opened = 0;
	char err[512], *p, *end;
	int fd;

	if (argc != 6) {
		fprintf(stderr, "usage: ntske-check HOST PORT CAFILE SHM AEAD[,AEAD...]\n");
		return 2;
	}
	for (p = argv[5]; n < 4 && *p != '\0'; p = *end == ',' ? end + 1 : end)
		aeads[n++] = (uint16_t)strtoul(p, &end, 10);
	if (inet_pton(AF_INET, argv[1], &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)atoi(argv[2]));
	} else if (inet_pton(AF_INET6, argv[1], &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)atoi(argv[2]));
	} else {
		fprintf(stderr, "ntske-check: %s: not an address\n", argv[1]);
		return 2;
	}
	fd = shm_open(argv[4], O_RDONLY, 0);
	shm = fd < 0 ? MAP_FAILED : mmap(NULL, sizeof(*shm), PROT_READ, MAP_SHARED, fd, 0);
	if (shm == MAP_FAILED || nts_server_init(&srv) != 0 ||
	    nts_server_sync(&srv, &shm->nts_keys) < 0) {
		fprintf(stderr, "ntske-check: no master keys in %s\n", argv[4]);
		return 1;
	}
	if (ntstls_fetch(argv[1], (struct sockaddr *)&ss, sizeof(ss), argv[3], 5000, aeads, n, &r,
			 &k, err, sizeof(err)) != 0) {
		printf("fetch failed: %s\n", err);
		return 1;
	}
	for (i = 0; i < r.n_cookies; i++)
		opened += nts_cookie_open(&srv, r.cookie[i], r.cookie_len[i], &got) ==
				  STRATA_NTS_REPLY &&
			  got.aead == k.aead && got.len == k.len &&
			  memcmp(got.c2s, k.c2s, k.len) == 0 && memcmp(got.s2c, k.s2c, k.len) == 0;
	printf("aead %u, %u cookies, %u open to the client's keys\n", k.aead, r.n_cookies, opened);
	return r.n_cookies == NTS_KE_COOKIES && opened == r.n_cookies ? 0 : 1;
}
