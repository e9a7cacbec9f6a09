/* SPDX-License-Identifier: BSD-3-Clause */
#include "sockclose.h"

#include <sys/socket.h>
#include <unistd.h>

void
sock_close_answered(int fd)
{
	char junk[4096];
	int n;

	/*
	 * Closing with unread input sends a reset, which can destroy the
	 * answer before the peer reads it: finish sending, then discard what
	 * already arrived (a bounded amount, without waiting for more).
	 */
	shutdown(fd, SHUT_WR);
	for (n = 0; n < 16 && recv(fd, junk, sizeof(junk), MSG_DONTWAIT) > 0; n++)
		;
	close(fd);
}

void
sock_close_reset(int fd)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}
