/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The client side of NTP for one upstream source (RFC 5905 sections 8 to 10
 * and 13, with RFC 9109 and data-minimization practice): it builds requests,
 * checks and measures replies, keeps the reach register, the clock filter
 * and the poll interval. No I/O and no clock reads: the caller sends the
 * bytes, passes the local timestamps and the monotonic time, so every rule
 * is unit-tested with made-up packets.
 *
 * Local timestamps (t1 when the request left, t4 when the reply arrived) are
 * NTP times of the clock being disciplined (stratad's virtual clock), so the
 * offsets measured are the upstream's time minus ours.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "select.h"

#define NTPC_MINPOLL_DEFAULT 6  /* 64 s, RFC 5905 appendix A.1.1 */
#define NTPC_MAXPOLL_DEFAULT 10 /* 1024 s */
#define NTPC_POLL_MIN (-6)      /* as chrony: 1/64 s, for tests and LANs */
#define NTPC_POLL_MAX 17
#define NTPC_NSTAGE 8           /* clock filter stages */
#define NTPC_BURST 4            /* iburst: requests in the first burst, 2 s apart */

struct ntpc_config {
	int minpoll;
	int maxpoll;
	int iburst;   /* first polls in a burst of NTPC_BURST, 2 s apart */
	int prefer;
	int noselect; /* measured and shown, never selected */
};

enum ntpc_event {
	NTPC_SAMPLE = 0,  /* a good reply: a new sample is in the filter */
	NTPC_IGNORED,     /* not for us (origin mismatch, duplicate, not mode 4...): dropped */
	NTPC_BOGUS,       /* for us but unusable (unsynchronized, stratum 0/16, bad times) */
	NTPC_KOD_RATE,    /* KoD RATE: the poll interval was raised */
	NTPC_KOD_DENY,    /* KoD DENY or RSTR: the source is given up */
};

struct ntpc_stage {
	double offset, delay, disp; /* s */
	uint64_t mono_ns;           /* when the sample was taken */
};

struct ntpc_source {
	struct ntpc_config cfg;
	int poll;             /* current log2 poll interval */
	uint8_t reach;        /* RFC 5905 section 9.2: one bit per poll */
	int unreach;          /* polls since the last reply, for poll backoff */
	int burst;            /* requests left in the current burst */
	int denied;           /* KoD DENY/RSTR received: never polled again */
	uint64_t next_ns;     /* monotonic time of the next request */
	uint64_t sent_xmt;    /* random transmit timestamp of the outstanding request, 0 if none */
	uint64_t sent_t1;     /* our NTP time when it left */
	uint64_t sent_mono;   /* monotonic time when it left */
	uint64_t last_rx_ns;  /* monotonic time of the last good reply, 0 never */

	/* what the last good reply said of the upstream */
	int stratum, leap;
	uint32_t refid; /* as on the wire, network order */
	double root_delay, root_disp;
	uint64_t ref_time;

	/* RFC 5905 section 10: the last NTPC_NSTAGE samples, newest first */
	struct ntpc_stage filter[NTPC_NSTAGE];
	int n_filter;
	double offset, delay, disp, jitter; /* the filter's output */
	uint64_t filter_mono_ns;           /* when that output's sample was taken */
	int new_sample;                    /* the filter output changed: select again (caller clears) */
	int poll_count;                    /* good samples in a row toward the next poll increase */
};

/* Reset @s for a (new) source address with @cfg; the first poll is due at @now_ns. */
void ntpc_init(struct ntpc_source *s, const struct ntpc_config *cfg, uint64_t now_ns);

/*
 * Build the request to send now into @buf (at least 48 octets): client mode,
 * version 4, everything zero but the transmit timestamp, which is @random
 * (RFC 9109 / draft-ietf-ntp-data-minimization: it reveals nothing and is
 * what the reply's origin must echo). @t1 is our NTP time at sending.
 * Schedules the next poll. @return the length (48).
 */
size_t ntpc_request(struct ntpc_source *s, uint8_t *buf, uint64_t random, uint64_t t1,
		    uint64_t now_ns);

/*
 * A reply of @len octets arrived at our NTP time @t4 (monotonic @now_ns).
 * Checks it (RFC 5905 section 8 and appendix A.5.1.1: mode, origin,
 * duplicate, KoD, stratum, leap, root distance, timestamps) and feeds the
 * clock filter.
 */
enum ntpc_event ntpc_reply(struct ntpc_source *s, const uint8_t *pkt, size_t len, uint64_t t4,
			   uint64_t now_ns);

/*
 * The outstanding request got no reply by its deadline, or a due poll could
 * not be sent: one lost poll. Shifts the reach register, raises the poll
 * after repeated losses; if the poll was due (@now_ns >= next_ns) the next
 * is a poll interval later. Call it once per lost poll: ntpc_request()
 * counts an outstanding request it replaces by itself.
 */
void ntpc_timeout(struct ntpc_source *s, uint64_t now_ns);

/* Reachable: a reply within the last 8 polls. */
int ntpc_reachable(const struct ntpc_source *s);

/*
 * The source as selection sees it at @now_ns: dispersion grown at 15 ppm
 * since the sample (RFC 5905 section 10); c->id is left to the caller.
 * @return 0, or -1 when the source has no sample, is unreachable, denied or
 * noselect.
 */
int ntpc_candidate(const struct ntpc_source *s, uint64_t now_ns, struct sel_candidate *c);

/*
 * The discipline moved our clock by @step seconds (a step, not a slew):
 * shift the samples so that they stay true (RFC 5905 section 12, "clear").
 */
void ntpc_clock_stepped(struct ntpc_source *s, double step);
