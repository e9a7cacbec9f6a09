/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stratad's reporting thread: the control socket (stratactl) and the
 * Prometheus metrics endpoint, served off the main loop so that a slow
 * client never delays a snapshot publish.
 */
#pragma once

#include <sys/socket.h>

#include "status.h"

struct server;

/* Copies the current status; called from the server thread. */
typedef void server_get_fn(struct status *out, void *arg);

/*
 * Listen on the unix socket @control_path (replacing a stale socket file)
 * and, when @metrics is not NULL, on TCP @metrics for HTTP GET /metrics;
 * serve both from a new thread. @return the server, or NULL with errno set.
 */
struct server *server_start(const char *control_path, const struct sockaddr *metrics,
			    socklen_t metrics_len, server_get_fn *get, void *arg);

/* Stop the thread, close the sockets, remove the socket file. */
void server_stop(struct server *s);
