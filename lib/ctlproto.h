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
 * The answer to a command that changes state (reload) from a peer that is
 * neither root nor stratad's own user (SO_PEERCRED): the control group only
 * reads. stratactl exits CTL_EXIT_DENIED on it.
 */
#define CTL_DENIED CTL_ERROR_PREFIX "permission denied"

/* stratactl's exit codes (docs/control.md, "stratactl") */
#define CTL_EXIT_OK 0
#define CTL_EXIT_FAIL 1	      /* refused, failed, or not synchronised within the tries */
#define CTL_EXIT_USAGE 2      /* a bad command line */
#define CTL_EXIT_NO_STRATAD 3 /* no answer: no socket, nobody listening, timed out */
#define CTL_EXIT_DENIED 4     /* the socket's mode, or CTL_DENIED */

/*
 * Re-read the configuration file, as SIGHUP does, and answer when done: the
 * result and the generation, then the lines that need a restart; a file
 * that is refused (its error, with file and line) starts with
 * CTL_ERROR_PREFIX, and the running configuration stays.
 */
#define CTL_CMD_RELOAD "reload"
