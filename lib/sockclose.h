/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Closing the TCP and unix stream connections of the control, metrics and
 * DNS endpoints (stratad's reporting thread, strata-pool): gracefully once
 * answered, with a reset once past their deadline.
 */
#pragma once

/* Close @fd after its answer: a FIN, then discard a bounded amount of unread input. */
void sock_close_answered(int fd);

/* Close @fd with a reset, so that an unread answer does not linger in the kernel. */
void sock_close_reset(int fd);
