/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stratad's reporting thread: the control socket (stratactl) and the
 * Prometheus metrics endpoint, served off the main loop so that a slow
 * client never delays a snapshot publish.
 */
#pragma once

#include <stdint.h>
#include <sys/socket.h>

#include "status.h"

struct server;

/* Copies the current status; called from the server thread. */
typedef void server_get_fn(struct status *out, void *arg);

/*
 * Listen on the unix socket @control_path (mode 0660; replacing a stale
 * socket file) and, when @metrics is not NULL, on TCP @metrics for HTTP GET
 * /metrics; no thread yet. Called before the privilege drop, so that neither
 * the socket's directory nor the metrics port needs privilege afterwards.
 * @return the server, or NULL with errno set, the reason logged.
 */
struct server *server_bind(const char *control_path, const struct sockaddr *metrics,
			   socklen_t metrics_len, server_get_fn *get, void *arg);

/* Serve both sockets from a new thread. @return 0 or -errno, the reason logged. */
int server_run(struct server *s);

/* server_bind() and server_run() in one: for callers that never drop privileges. */
struct server *server_start(const char *control_path, const struct sockaddr *metrics,
			    socklen_t metrics_len, server_get_fn *get, void *arg);

/* Stop the thread if it runs, close the sockets, remove the socket file. NULL: nothing. */
void server_stop(struct server *s);

/*
 * The synchronous reload ("reload" on the control socket): the thread
 * keeps the asking connection waiting and makes server_reload_fd()
 * readable; the main loop takes the requests (server_reload_take(): the
 * ticket of the last one, 0 when there were none), reloads, and answers
 * every request up to that ticket with @text (server_reload_done()). The
 * answer to a refused file starts with CTL_ERROR_PREFIX.
 */
int server_reload_fd(const struct server *s);
uint64_t server_reload_take(struct server *s);
void server_reload_done(struct server *s, uint64_t ticket, const char *text);

/*
 * Move the metrics listener to @sa (NULL: close it), from the main loop
 * while the thread runs; the thread binds it, so the socket it polls is
 * never closed under it. After the privilege drop a port below 1024 fails
 * (-EACCES). @return 0, or -errno with the old listener kept (logged).
 */
int server_metrics(struct server *s, const struct sockaddr *sa, socklen_t len);
