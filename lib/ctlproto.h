/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The protocol of stratad's control socket, as both ends see it: stratad
 * answers (stratad/ctl.c, server.c), stratactl asks. One line each way: the
 * command, then the answer until stratad closes the connection.
 */
#pragma once

/* The control protocol marks a refused command with this prefix on its answer. */
#define CTL_ERROR_PREFIX "error: "

/*
 * Re-read the configuration file, as SIGHUP does, and answer when done: the
 * result and the generation, then the lines that need a restart; a file
 * that is refused (its error, with file and line) starts with
 * CTL_ERROR_PREFIX, and the running configuration stays.
 */
#define CTL_CMD_RELOAD "reload"
