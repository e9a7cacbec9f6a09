/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An NTS-KE worker (RFC 8915 section 4): TLS 1.3 with ALPN "ntske/1", the
 * client's records read until End of Message, then the answer: Next
 * Protocol, AEAD, eight cookies made from the keys the TLS exporter gives
 * (section 5.1), the NTPv4 server name if one is configured, End of
 * Message; or an Error record. One poll loop of non-blocking sessions, each
 * closed after KE_TIMEOUT_MS whatever its state, handshake included: a
 * client that holds a session open holds it 2 s at most.
 */
#include "ke.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "monotime.h"
#include "nts.h"
#include "ntstls.h"
#include "sockclose.h"

/* Next Protocol 6, AEAD 6, cookies 8 x (4 + 168), server 4 + 255, End 4 */
#define KE_ANSWER_MAX 2048
#define KE_ACCEPT_BURST 32 /* connections taken per wake-up and listener */
#define KE_PAUSE_MS 100	   /* no accept() for that long when out of descriptors */

enum ke_state { KE_HANDSHAKE, KE_READ, KE_WRITE, KE_BYE };

struct ke_sess {
	int fd; /* -1: a free entry */
	enum ke_state state;
	gnutls_session_t tls;
	uint64_t deadline; /* mono_ns() */
	int outcome;	   /* the counter the answer moves once sent */
	unsigned int cookies;
	size_t len, off;
	uint8_t buf[KE_ANSWER_MAX]; /* the request, then the answer */
};

struct worker {
	const struct ke_conf *c;
	gnutls_priority_t prio;
	struct nts_server nts;
	struct ke_sess **live; /* the open sessions, open of them, in no order */
	unsigned int cap;      /* room in live[] */
	unsigned int open;
	uint64_t pause_until; /* out of descriptors: the listeners rest until then */
};

static volatile sig_atomic_t stopping;

static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

static void
count(const struct worker *w, enum strata_nts_ke_counter i, uint64_t n)
{
	/* the workers' processes share the row */
	__atomic_fetch_add(&w->c->shm->nts_ke[i], n, __ATOMIC_RELAXED);
}

static void
set_open(struct worker *w, unsigned int n)
{
	w->open = n;
	__atomic_store_n(&w->c->slots->open[w->c->slot], n, __ATOMIC_RELAXED);
}

/*
 * Whether another session fits under maxntsconnections, counting every
 * worker's. Two workers may both see the last place free and both take
 * it: the limit is passed by fewer than ntsprocesses, never more.
 */
static int
room(const struct worker *w)
{
	uint32_t n = 0;
	unsigned int i;

	if (w->open == w->cap)
		return 0;
	for (i = 0; i < KE_MAX_SLOTS; i++)
		n += __atomic_load_n(&w->c->slots->open[i], __ATOMIC_RELAXED);
	return n < w->c->maxconns;
}

/* Close live[@i]; the last open session takes its place. */
static void
sess_close(struct worker *w, unsigned int i, int reset)
{
	struct ke_sess *s = w->live[i];

	gnutls_deinit(s->tls);
	if (reset)
		sock_close_reset(s->fd);
	else
		sock_close_answered(s->fd);
	free(s);
	w->live[i] = w->live[w->open - 1];
	set_open(w, w->open - 1);
}

/* RFC 8915 section 4: the negotiated protocol is "ntske/1", nothing else. */
static int
alpn_ok(gnutls_session_t tls)
{
	gnutls_datum_t p;

	return gnutls_alpn_get_selected_protocol(tls, &p) == 0 &&
	       p.size == sizeof(NTS_KE_ALPN) - 1 && memcmp(p.data, NTS_KE_ALPN, p.size) == 0;
}

/*
 * RFC 8915 section 4: a client that does not offer "ntske/1" is refused in
 * the handshake. GNUTLS_ALPN_MANDATORY refuses one that offers other
 * protocols only; this refuses one that offers none.
 */
static int
check_alpn(gnutls_session_t tls)
{
	return alpn_ok(tls) ? 0 : GNUTLS_E_NO_APPLICATION_PROTOCOL;
}

static void
sess_start(struct worker *w, int fd)
{
	static const gnutls_datum_t alpn = {(unsigned char *)NTS_KE_ALPN, sizeof(NTS_KE_ALPN) - 1};
	struct ke_sess *s = malloc(sizeof(*s));

	if (s == NULL) {
		count(w, STRATA_NTS_KE_REFUSED, 1);
		sock_close_reset(fd);
		return;
	}
	/*
	 * No tickets: a resumed session would skip the certificate, and every
	 * NTS-KE session is one request (RFC 8915 section 4).
	 */
	if (gnutls_init(&s->tls, GNUTLS_SERVER | GNUTLS_NONBLOCK | GNUTLS_NO_TICKETS |
					 GNUTLS_NO_SIGNAL) < 0) {
		free(s);
		count(w, STRATA_NTS_KE_TLS_FAIL, 1);
		sock_close_reset(fd);
		return;
	}
	/* RFC 8915 section 4: a client that does not offer "ntske/1" is refused */
	if (gnutls_priority_set(s->tls, w->prio) < 0 ||
	    gnutls_credentials_set(s->tls, GNUTLS_CRD_CERTIFICATE, w->c->cred) < 0 ||
	    gnutls_alpn_set_protocols(s->tls, &alpn, 1, GNUTLS_ALPN_MANDATORY) < 0) {
		gnutls_deinit(s->tls);
		free(s);
		count(w, STRATA_NTS_KE_TLS_FAIL, 1);
		sock_close_reset(fd);
		return;
	}
	gnutls_handshake_set_post_client_hello_function(s->tls, check_alpn);
	gnutls_transport_set_int(s->tls, fd);
	s->fd = fd;
	s->state = KE_HANDSHAKE;
	s->deadline = mono_ns() + KE_TIMEOUT_MS * 1000000ULL;
	s->len = 0;
	s->off = 0;
	w->live[w->open] = s;
	set_open(w, w->open + 1);
	count(w, STRATA_NTS_KE_ACCEPTED, 1);
}

static void
take(struct worker *w, int lfd)
{
	int i, fd;

	for (i = 0; i < KE_ACCEPT_BURST; i++) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			/*
			 * EAGAIN: another worker took it, or none left. Out of
			 * descriptors or memory, the listener would stay readable and
			 * spin the loop: it rests a moment, sessions go on.
			 */
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				if (w->pause_until == 0)
					log_warn("NTS-KE worker: accept: %s: not accepting for "
						 "%d ms",
						 strerror(errno), KE_PAUSE_MS);
				w->pause_until = mono_ns() + KE_PAUSE_MS * 1000000ULL;
			}
			return;
		}
		if (!room(w)) {
			/* at the limit: at once, so that the client may try elsewhere */
			count(w, STRATA_NTS_KE_REFUSED, 1);
			sock_close_reset(fd);
			continue;
		}
		sess_start(w, fd);
	}
}

/* The master keys of the shared memory, adopted when stratad changed them. */
static int
sync_keys(struct worker *w)
{
	int i, r = -EAGAIN;

	/*
	 * stratad's write of the ring is a copy of 256 octets: a few tries
	 * suffice. Whatever the outcome, the keys adopted before stay usable.
	 */
	for (i = 0; i < 1000 && r == -EAGAIN; i++)
		r = nts_server_sync(&w->nts, &w->c->shm->nts_keys);
	return w->nts.n == 0 ? -1 : 0;
}

static void
put16(uint8_t *b, size_t room, size_t *pos, uint16_t type, uint16_t v)
{
	uint8_t body[2] = {(uint8_t)(v >> 8), (uint8_t)v};

	nts_ke_put(b, room, pos, type, 1, body, sizeof(body));
}

/* Write the answer to a request nts_ke_parse_request() returned @parsed for. */
static void
answer(struct worker *w, struct ke_sess *s, int parsed, const struct nts_ke_request *req)
{
	const char *name = w->c->ntpserver;
	uint8_t cookie[NTS_COOKIE_MAX];
	uint16_t code = req->error;
	struct nts_keys k;
	size_t pos = 0, n = 0;
	unsigned int i;

	s->cookies = 0;
	if (parsed == 1) {
		code = NTS_KE_ERR_INTERNAL;
		/* no master keys yet (stratad has not published): RFC 8915 section 4.1.3 */
		if (sync_keys(w) != 0 || ntstls_export_keys(s->tls, req->aead, &k) != 0)
			goto error;
		put16(s->buf, sizeof(s->buf), &pos, NTS_KE_NEXT_PROTOCOL, NTS_PROTO_NTPV4);
		put16(s->buf, sizeof(s->buf), &pos, NTS_KE_AEAD, req->aead);
		for (i = 0; i < NTS_KE_COOKIES; i++) {
			n = nts_cookie_seal(&w->nts, &k, cookie);
			if (n == 0 || nts_ke_put(s->buf, sizeof(s->buf), &pos, NTS_KE_COOKIE, 0,
						 cookie, n) != 0)
				break;
		}
		explicit_bzero(&k, sizeof(k));
		if (i < NTS_KE_COOKIES)
			goto error;
		/* RFC 8915 section 4.1.7; no Port record: NTP is served on 123 */
		if (name[0] != '\0' && nts_ke_put(s->buf, sizeof(s->buf), &pos, NTS_KE_SERVER, 1,
						  name, strlen(name)) != 0)
			goto error;
		if (nts_ke_put(s->buf, sizeof(s->buf), &pos, NTS_KE_END, 1, NULL, 0) != 0)
			goto error;
		s->outcome = STRATA_NTS_KE_DONE;
		s->cookies = NTS_KE_COOKIES;
		s->len = pos;
		s->off = 0;
		return;
	}
error:
	/* RFC 8915 section 4.1.3: the Error record is critical, then End of Message */
	pos = 0;
	put16(s->buf, sizeof(s->buf), &pos, NTS_KE_ERROR, code);
	nts_ke_put(s->buf, sizeof(s->buf), &pos, NTS_KE_END, 1, NULL, 0);
	s->outcome = STRATA_NTS_KE_ERROR;
	s->cookies = 0;
	s->len = pos;
	s->off = 0;
}

static int
again(int r)
{
	return r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED;
}

/*
 * Move session @s on as far as its socket allows. @return 0 to wait for
 * the socket, 1 when it is over (counted; the caller closes it).
 */
static int
step(struct worker *w, struct ke_sess *s)
{
	struct nts_ke_request req = {0};
	int r, parsed;

	switch (s->state) {
	case KE_HANDSHAKE:
		r = gnutls_handshake(s->tls);
		if (again(r))
			return 0;
		if (r < 0) {
			log_debug("NTS-KE handshake failed: %s", gnutls_strerror(r));
			/* the alert tells the client why (best effort: no waiting) */
			gnutls_alert_send_appropriate(s->tls, r);
			count(w, STRATA_NTS_KE_TLS_FAIL, 1);
			return 1;
		}
		s->state = KE_READ;
		/* fall through */
	case KE_READ:
		do {
			r = (int)gnutls_record_recv(s->tls, s->buf + s->len,
						    KE_REQUEST_MAX - s->len);
			if (again(r))
				return 0;
			if (r <= 0) {
				/* the client went away before its End of Message, or a TLS error */
				log_debug("NTS-KE read: %s",
					  r == 0 ? "end of stream" : gnutls_strerror(r));
				count(w, STRATA_NTS_KE_TLS_FAIL, 1);
				return 1;
			}
			s->len += (size_t)r;
			parsed = nts_ke_parse_request(s->buf, s->len, &req);
			if (parsed == 0 && s->len == KE_REQUEST_MAX) {
				parsed = -1;
				req.error = NTS_KE_ERR_BAD_REQUEST;
			}
		} while (parsed == 0);
		answer(w, s, parsed, &req);
		s->state = KE_WRITE;
		/* fall through */
	case KE_WRITE:
		while (s->off < s->len) {
			/* after GNUTLS_E_AGAIN, the same data again (gnutls_record_send(3)) */
			r = (int)gnutls_record_send(s->tls, s->buf + s->off, s->len - s->off);
			if (again(r))
				return 0;
			if (r < 0) {
				count(w, STRATA_NTS_KE_TLS_FAIL, 1);
				return 1;
			}
			s->off += (size_t)r;
		}
		count(w, (enum strata_nts_ke_counter)s->outcome, 1);
		if (s->cookies > 0)
			count(w, STRATA_NTS_KE_COOKIES, s->cookies);
		s->state = KE_BYE;
		/* fall through */
	case KE_BYE:
		/* RFC 8915 section 4: the server closes once it has answered */
		r = gnutls_bye(s->tls, GNUTLS_SHUT_WR);
		return again(r) ? 0 : 1;
	}
	return 1;
}

/* The poll timeout to the nearest deadline, in ms; -1 without sessions. */
static int
next_timeout(const struct worker *w, uint64_t now)
{
	uint64_t first = UINT64_MAX;
	unsigned int i;

	for (i = 0; i < w->open; i++)
		if (w->live[i]->deadline < first)
			first = w->live[i]->deadline;
	if (first == UINT64_MAX)
		return -1;
	return first <= now ? 0 : (int)((first - now + 999999) / 1000000);
}

static int
serve(struct worker *w)
{
	const struct ke_conf *c = w->c;
	struct pollfd *pfd;
	struct ke_sess **who;
	sigset_t none;
	unsigned int i, n, n_l;
	struct timespec ts;
	uint64_t now;
	int accepting = 1, ms;

	pfd = calloc(KE_MAX_LISTEN + w->cap, sizeof(*pfd));
	who = calloc(KE_MAX_LISTEN + w->cap, sizeof(*who));
	if (pfd == NULL || who == NULL) {
		free(pfd);
		free(who);
		log_warn("NTS-KE worker: out of memory");
		return 1;
	}
	sigemptyset(&none);
	while (accepting || w->open > 0) {
		if (stopping && accepting) {
			/* the listeners' queue is the fresh workers' now: none lost */
			for (i = 0; i < c->n_lfd; i++)
				close(c->lfd[i]);
			accepting = 0;
			continue;
		}
		n = 0;
		now = mono_ns();
		n_l = accepting && now >= w->pause_until ? c->n_lfd : 0;
		for (i = 0; i < n_l; i++, n++)
			pfd[n] = (struct pollfd){.fd = c->lfd[i], .events = POLLIN};
		for (i = 0; i < w->open; i++) {
			struct ke_sess *s = w->live[i];

			pfd[n] = (struct pollfd){
				.fd = s->fd,
				.events = gnutls_record_get_direction(s->tls) ? POLLOUT : POLLIN,
			};
			who[n++] = s;
		}
		ms = next_timeout(w, now);
		if (accepting && n_l == 0 && (ms < 0 || ms > KE_PAUSE_MS))
			ms = KE_PAUSE_MS;
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (ms % 1000) * 1000000L;
		/* SIGTERM is blocked but here: no stop request slips between check and wait */
		if (ppoll(pfd, n, ms < 0 ? NULL : &ts, &none) < 0 && errno != EINTR) {
			log_warn("NTS-KE worker: poll: %s", strerror(errno));
			break;
		}
		/* live[] is in poll order until the first close: walk it backwards */
		for (i = n; i-- > n_l;)
			if (pfd[i].revents != 0 && step(w, who[i]))
				sess_close(w, i - n_l, 0);
		now = mono_ns();
		for (i = w->open; i-- > 0;)
			if (w->live[i]->deadline <= now) {
				count(w, STRATA_NTS_KE_TIMEOUT, 1);
				sess_close(w, i, 1);
			}
		for (i = 0; i < n_l; i++)
			if (pfd[i].revents & POLLIN)
				take(w, c->lfd[i]);
	}
	free(pfd);
	free(who);
	return 0;
}

int
ke_run(const struct ke_conf *c)
{
	static struct worker w;
	struct sigaction sa;
	int rc = 1, r;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	w.c = c;
	/*
	 * Each worker its own nonce prefix: initialised after the fork, never
	 * before it, or the workers would share one (lib/nts.h).
	 */
	r = nts_server_init(&w.nts);
	if (r != 0) {
		log_warn("NTS-KE worker: %s", strerror(-r));
		return 1;
	}
	/* RFC 8915 section 4: TLS 1.3 or later only; the system's policy for the rest */
	r = gnutls_priority_init2(&w.prio, "-VERS-ALL:+VERS-TLS1.3", NULL,
				  GNUTLS_PRIORITY_INIT_DEF_APPEND);
	if (r < 0) {
		log_warn("NTS-KE worker: TLS priorities: %s", gnutls_strerror(r));
		return 1;
	}
	/* a little over the limit: two workers may take the last place at once */
	w.cap = c->maxconns + KE_MAX_SLOTS;
	w.live = calloc(w.cap, sizeof(*w.live));
	if (w.live == NULL) {
		log_warn("NTS-KE worker: out of memory for %u sessions", w.cap);
		goto out;
	}
	set_open(&w, 0);
	rc = serve(&w);
	free(w.live);
out:
	gnutls_priority_deinit(w.prio);
	return rc;
}
