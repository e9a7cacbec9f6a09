/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * strata-nts: NTS (RFC 8915) beside stratad. A supervisor that stays root
 * and reads no network input (OpenNTPD's parent) maps stratad's shared
 * memory, binds the NTS-KE listeners, reads the certificate and its key
 * (which may be root's alone), and forks the children that serve, each of
 * which drops to the configured user first: ntsprocesses NTS-KE workers
 * (ke.c) and, with XDP, the AF_XDP child (xsk.c). It restarts a child that
 * dies (once a second at most). SIGHUP: the certificate and key are read
 * again, fresh workers serve with them and the old ones finish their
 * sessions, so that no client is refused during a renewal. SIGTERM and
 * SIGINT stop everything. docs/nts.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include <strata/shm.h>

#include "config.h"
#include "ke.h"
#include "log.h"
#include "monotime.h"
#include "privdrop.h"
#include "sdnotify.h"
#include "shmcheck.h"
#ifdef STRATA_NTS_XSK
#include "xsk.h"
#endif

#define DEFAULT_CONFIG "/etc/strata/stratad.conf"
#define RESTART_NS 1000000000ULL /* one restart a second at most */
/* the workers' sessions end within KE_TIMEOUT_MS of SIGTERM; a second more */
#define STOP_WAIT_MS (KE_TIMEOUT_MS + 1000)

enum child_kind { CHILD_KE, CHILD_XSK };

/*
 * The children: an NTS-KE worker's index here is its slot in ke_slots. A
 * helper that serves more (the AF_XDP child, xsk_start()) is one more kind.
 */
struct child {
	pid_t pid; /* 0: a free entry */
	enum child_kind kind;
	unsigned int gen; /* the credentials it serves with */
	int stopping;	  /* told to stop: its exit is expected */
};

struct sup {
	struct cfg cfg;
	const char *path;
	struct strata_shm *shm;
	gnutls_certificate_credentials_t cred;
	unsigned int gen; /* one more at every reload that took */
	int lfd[KE_MAX_LISTEN];
	unsigned int n_lfd;
	int sfd;
	struct ke_slots *slots;
	struct child child[KE_MAX_SLOTS];
	int want_xsk;	       /* an AF_XDP child runs, and is restarted */
	uint64_t next_restart; /* mono_ns() before which no dead child is restarted */
};

static volatile sig_atomic_t shm_lost; /* the guard found the shared memory truncated */

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: strata-nts [-c FILE] [-s NAME] [-v] [--check]\n"
		"\n"
		"NTS (RFC 8915) for strata: serves NTS-KE on the 'ntsport' (TCP %d) of\n"
		"stratad's configuration, with the master keys stratad publishes in its\n"
		"shared memory. SIGHUP reads the certificate and key again; SIGTERM and\n"
		"SIGINT stop it.\n"
		"\n"
		"  -c, --config FILE  stratad's configuration (default %s; docs/nts.md)\n"
		"  -s, --shm NAME     stratad's shared memory (default %s)\n"
		"  -t, --check        check the NTS lines, certificate and key, and exit\n"
		"  -v, -d, --verbose, --debug\n"
		"                     debug messages (one per failed NTS-KE session)\n"
		"  -h, --help         this text\n"
		"  -V, --version      print the version\n"
		"\n"
		"exit status:\n"
		"  0   stopped by SIGTERM or SIGINT, or --check found the file valid\n"
		"  1   could not start or keep running (the log says why)\n"
		"  2   bad command line\n"
		"  %d  the configuration, certificate or key has an error (EX_CONFIG)\n",
		NTS_KE_PORT, DEFAULT_CONFIG, STRATA_SHM_NAME, EX_CONFIG);
}

/* What a start needs of the file beyond its syntax. @return 0, or -1 with @err. */
static int
check_cfg(const char *path, const struct cfg *c, char *err, size_t len)
{
	if (!cfg_nts_on(c)) {
		snprintf(err, len,
			 "%s: no ntsservercert and ntsserverkey: NTS is off (hint: ntsservercert "
			 "/etc/strata/nts.crt and ntsserverkey /etc/strata/nts.key, docs/nts.md)",
			 path);
		return -1;
	}
	if (c->nts.processes * 2 + 1 > KE_MAX_SLOTS) {
		/* a reload runs the old workers beside the new for a moment */
		snprintf(err, len, "ntsprocesses %u: at most %d", c->nts.processes,
			 (KE_MAX_SLOTS - 1) / 2);
		return -1;
	}
	if (geteuid() == 0 && getpwnam(c->user) == NULL) {
		snprintf(err, len, "user %s: no such user (hint: the 'user' line, default %s)",
			 c->user, CFG_DEFAULT_USER);
		return -1;
	}
	return 0;
}

/*
 * The certificate chain and its key, read as root. The workers get them
 * through fork(): no file is opened after the privilege drop.
 * @return 0, or -1 with the reason in @err.
 */
static int
load_cred(const struct cfg *c, gnutls_certificate_credentials_t *cred, char *err, size_t len)
{
	int r;

	r = gnutls_certificate_allocate_credentials(cred);
	if (r < 0) {
		snprintf(err, len, "TLS credentials: %s", gnutls_strerror(r));
		return -1;
	}
	r = gnutls_certificate_set_x509_key_file2(*cred, c->nts.cert, c->nts.key,
						  GNUTLS_X509_FMT_PEM, NULL, 0);
	if (r < 0) {
		snprintf(err, len,
			 "ntsservercert %s, ntsserverkey %s: %s (hint: PEM files, the key the "
			 "certificate's, readable by root)",
			 c->nts.cert, c->nts.key, gnutls_strerror(r));
		gnutls_certificate_free_credentials(*cred);
		return -1;
	}
	return 0;
}

/*
 * stratad's shared memory, read-write: the master keys and the counters,
 * checked as every reader checks it (shm_attach()): the keys in it are what
 * every cookie is sealed under. NULL with *@wait set while stratad has not
 * made it yet (or not initialised it), NULL alone for one that is not to be
 * used.
 */
static struct strata_shm *
open_shm(const char *name, const char *user, int *wait)
{
	static char msg[800];
	struct strata_shm *m;
	char path[256], why[512];
	pid_t pid;
	int err;

	m = shm_attach(name, user, wait, why, sizeof(why));
	if (m == NULL) {
		if (!*wait)
			log_warn("shared memory %s", why);
		return NULL;
	}
	shm_path(name, path, sizeof(path));
	pid = (pid_t)STRATA_READ_ONCE(m->nts_pid);
	if (pid != 0 && pid != getpid() && (kill(pid, 0) == 0 || errno == EPERM)) {
		log_warn("shared memory %s: strata-nts %d is already attached", path, (int)pid);
		goto unmap;
	}
	snprintf(msg, sizeof(msg),
		 "strata-nts: warning: shared memory %s was truncated under strata-nts: no "
		 "master keys, NTS-KE answers errors; strata-nts stops (hint: stop stratad "
		 "and strata-nts, remove %s, start stratad, then strata-nts)",
		 path, path);
	err = shm_guard(m, sizeof(*m), msg, &shm_lost);
	if (err == 0)
		return m;
	log_warn("shared memory %s: no guard against its truncation: %s", path, strerror(-err));
unmap:
	munmap(m, sizeof(*m));
	return NULL;
}

/* SIGTERM or SIGINT read from @sfd: 1. */
static int
stop_asked(int sfd, int ms)
{
	struct pollfd pfd = {.fd = sfd, .events = POLLIN};
	struct signalfd_siginfo si;

	if (poll(&pfd, 1, ms) <= 0 || read(sfd, &si, sizeof(si)) != sizeof(si))
		return 0;
	return si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT;
}

/*
 * Wait for stratad's shared memory, once a second, logging once: strata-nts
 * may start first (one unit each). NULL when it is not to be used, or when
 * SIGTERM or SIGINT came first (*@stopped).
 */
static struct strata_shm *
wait_shm(const char *name, const char *user, int sfd, int *stopped)
{
	struct strata_shm *m;
	char path[256];
	int wait, told = 0;

	*stopped = 0;
	for (;;) {
		m = open_shm(name, user, &wait);
		if (m != NULL || !wait)
			return m;
		if (!told) {
			shm_path(name, path, sizeof(path));
			log_info("waiting for stratad's shared memory %s (hint: is stratad "
				 "running, with ntsservercert?)",
				 path);
			told = 1;
		}
		if (stop_asked(sfd, 1000)) {
			*stopped = 1;
			return NULL;
		}
	}
}

/* A non-blocking listener on the wildcard address of @family. @return its fd or -errno. */
static int
listen_on(int family, unsigned int port)
{
	struct sockaddr_in6 a6 = {
		.sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = IN6ADDR_ANY_INIT};
	struct sockaddr_in a4 = {.sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_ANY)};
	int fd, one = 1, err;

	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* a restart binds again at once, whatever TIME_WAIT the last one left */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* one listener per family: the IPv4 one is not shadowed by a mapped [::] */
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if ((family == AF_INET6 ? bind(fd, (struct sockaddr *)&a6, sizeof(a6))
				: bind(fd, (struct sockaddr *)&a4, sizeof(a4))) != 0 ||
	    listen(fd, SOMAXCONN) != 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* The IPv4 and IPv6 listeners on ntsport; IPv6 is optional (a host without it). */
static int
bind_listeners(struct sup *s)
{
	unsigned int port = s->cfg.nts.port;
	int fd;

	fd = listen_on(AF_INET, port);
	if (fd < 0) {
		log_warn("NTS-KE: cannot listen on 0.0.0.0 port %u: %s%s", port, strerror(-fd),
			 fd == -EADDRINUSE ? " (hint: another strata-nts or chronyd's NTS?)" : "");
		return -1;
	}
	s->lfd[s->n_lfd++] = fd;
	fd = listen_on(AF_INET6, port);
	if (fd == -EAFNOSUPPORT || fd == -EADDRNOTAVAIL) {
		log_info("NTS-KE: no IPv6 on this host: IPv4 only");
		return 0;
	}
	if (fd < 0) {
		log_warn("NTS-KE: cannot listen on [::] port %u: %s", port, strerror(-fd));
		return -1;
	}
	s->lfd[s->n_lfd++] = fd;
	return 0;
}

/*
 * A worker holds up to maxntsconnections sessions (and a little more, ke.c):
 * raise the open files limit for it, as root, before the fork.
 */
static void
raise_nofile(unsigned int maxconns)
{
	rlim_t need = (rlim_t)maxconns + KE_MAX_SLOTS + 64;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need)
		return;
	rl.rlim_cur = need;
	if (rl.rlim_max < need)
		rl.rlim_max = need;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		log_warn("maxntsconnections %u needs %llu open files, more than this process "
			 "may have: %s (hint: LimitNOFILE= in the unit)",
			 maxconns, (unsigned long long)need, strerror(errno));
}

/* In a fresh child: the supervisor's signals undone, the user's privileges. */
static int
child_setup(const struct sup *s, pid_t parent)
{
	sigset_t mask;

	close(s->sfd);
	/* a terminal's ^C reaches the whole group: the supervisor stops us in order */
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	/* a client that resets mid-answer is an error to count, not a death */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_SETMASK, &mask, NULL);
	if (priv_drop_to(s->cfg.user, 0, NULL, 0) != 0)
		return -1;
	/* after the drop, which clears it: a supervisor killed outright stops us too */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
		return -1;
	return 0;
}

static int
start_ke(struct sup *s, unsigned int i)
{
	struct ke_conf kc = {
		.cred = s->cred,
		.n_lfd = s->n_lfd,
		.maxconns = s->cfg.nts.maxconns,
		.ntpserver = s->cfg.nts.ntpserver,
		.shm = s->shm,
		.slots = s->slots,
		.slot = i,
	};
	pid_t parent = getpid(), pid;

	__atomic_store_n(&s->slots->open[i], 0, __ATOMIC_RELAXED);
	pid = fork();
	if (pid < 0) {
		log_warn("cannot fork an NTS-KE worker: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		memcpy(kc.lfd, s->lfd, sizeof(kc.lfd));
		_exit(child_setup(s, parent) == 0 ? ke_run(&kc) : 1);
	}
	s->child[i] = (struct child){.pid = pid, .kind = CHILD_KE, .gen = s->gen};
	log_debug("NTS-KE worker %d started (slot %u, credentials %u)", (int)pid, i, s->gen);
	return 0;
}

/*
 * The AF_XDP child (helper E's nts/xsk.c): it serves NTS requests that the
 * XDP program redirects, on every queue of every "listen xdp" interface.
 * @return its PID, 0 when there is none to run, -1 on error (logged).
 */
static pid_t
start_xsk(struct sup *s)
{
#ifdef STRATA_NTS_XSK
	return xsk_start(&s->cfg, s->shm);
#else
	(void)s;
	return 0;
#endif
}

static int
free_entry(const struct sup *s)
{
	unsigned int i;

	for (i = 0; i < KE_MAX_SLOTS; i++)
		if (s->child[i].pid == 0)
			return (int)i;
	return -1;
}

/*
 * Start what is missing: ntsprocesses workers with the current credentials,
 * and the AF_XDP child. Then, once the current workers are all there, tell
 * those of older credentials to finish: the listeners' queue passes to the
 * new ones, no connection is refused (SIGHUP).
 */
static void
refill(struct sup *s)
{
	unsigned int i, have = 0, xsk = 0;
	int e;
	pid_t pid;

	for (i = 0; i < KE_MAX_SLOTS; i++) {
		const struct child *c = &s->child[i];

		if (c->pid == 0 || c->stopping)
			continue;
		have += c->kind == CHILD_KE && c->gen == s->gen;
		xsk += c->kind == CHILD_XSK;
	}
	for (; have < s->cfg.nts.processes; have++) {
		e = free_entry(s);
		if (e < 0 || start_ke(s, (unsigned int)e) != 0)
			break;
	}
	if (s->want_xsk && xsk == 0 && (e = free_entry(s)) >= 0) {
		pid = start_xsk(s);
		if (pid > 0)
			s->child[e] = (struct child){.pid = pid, .kind = CHILD_XSK};
	}
	if (have < s->cfg.nts.processes)
		return;
	for (i = 0; i < KE_MAX_SLOTS; i++) {
		struct child *c = &s->child[i];

		if (c->pid != 0 && c->kind == CHILD_KE && c->gen != s->gen && !c->stopping) {
			kill(c->pid, SIGTERM);
			c->stopping = 1;
		}
	}
}

/* Collect the children that exited; those not told to stop are logged. */
static void
reap(struct sup *s)
{
	unsigned int i;
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (i = 0; i < KE_MAX_SLOTS && s->child[i].pid != pid; i++)
			;
		if (i == KE_MAX_SLOTS)
			continue;
		/* a worker that died with sessions open counts them no more */
		__atomic_store_n(&s->slots->open[i], 0, __ATOMIC_RELAXED);
		if (!s->child[i].stopping) {
			if (WIFSIGNALED(st))
				log_warn("%s %d killed by signal %d (%s): restarting it",
					 s->child[i].kind == CHILD_KE ? "NTS-KE worker"
								      : "AF_XDP child",
					 (int)pid, WTERMSIG(st), strsignal(WTERMSIG(st)));
			else
				log_warn("%s %d exited with status %d: restarting it",
					 s->child[i].kind == CHILD_KE ? "NTS-KE worker"
								      : "AF_XDP child",
					 (int)pid, WEXITSTATUS(st));
		}
		s->child[i].pid = 0;
	}
}

/*
 * SIGHUP: the file again, for the certificate and key (read here, as root)
 * and what fresh workers take at start (ntsntpserver, ntsprocesses,
 * maxntsconnections). Any error keeps the running workers and what they
 * serve. @return 0, or -1 when the file, certificate or key was refused.
 */
static int
reload(struct sup *s)
{
	static struct cfg next;
	gnutls_certificate_credentials_t cred, old = s->cred;
	char err[2 * CFG_FILE_MAX + 512];

	if (cfg_load(s->path, &next, err, sizeof(err)) != 0 ||
	    check_cfg(s->path, &next, err, sizeof(err)) != 0 ||
	    load_cred(&next, &cred, err, sizeof(err)) != 0) {
		log_warn("reload: %s: the workers go on with what they had", err);
		return -1;
	}
	if (next.nts.port != s->cfg.nts.port || strcmp(next.user, s->cfg.user) != 0)
		log_warn("reload: ntsport and user change at the next start of strata-nts");
	memcpy(s->cfg.nts.cert, next.nts.cert, sizeof(next.nts.cert));
	memcpy(s->cfg.nts.key, next.nts.key, sizeof(next.nts.key));
	memcpy(s->cfg.nts.ntpserver, next.nts.ntpserver, sizeof(next.nts.ntpserver));
	s->cfg.nts.processes = next.nts.processes;
	s->cfg.nts.maxconns = next.nts.maxconns;
	s->cred = cred;
	s->gen++;
	raise_nofile(s->cfg.nts.maxconns);
	refill(s);
	/* the workers forked have their copy; the ones still to come take the new */
	gnutls_certificate_free_credentials(old);
	log_info("reload: certificate %s and key %s read; fresh NTS-KE workers serve with "
		 "them",
		 s->cfg.nts.cert, s->cfg.nts.key);
	return 0;
}

/* reload() under systemd: RELOADING=1, then READY=1 with the outcome (sd_notify(3)). */
static void
notify_reload(struct sup *s)
{
	const char *status;

	sd_notifyf("RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reading %s again",
		   (unsigned long long)(mono_ns() / 1000), s->path);
	if (reload(s) == 0)
		status = "reloaded: fresh workers take the new certificate";
	else
		status = "reload refused (the log says why): the workers go on with what they had";
	sd_notifyf("READY=1\nSTATUS=%s", status);
}

/* SIGTERM to every child, then wait for their sessions to end (bounded). */
static void
stop_all(struct sup *s)
{
	uint64_t end = mono_ns() + STOP_WAIT_MS * 1000000ULL;
	unsigned int i, left;

	for (i = 0; i < KE_MAX_SLOTS; i++)
		if (s->child[i].pid != 0) {
			kill(s->child[i].pid, SIGTERM);
			s->child[i].stopping = 1;
		}
	for (;;) {
		reap(s);
		for (i = 0, left = 0; i < KE_MAX_SLOTS; i++)
			left += s->child[i].pid != 0;
		if (left == 0 || mono_ns() >= end)
			break;
		stop_asked(s->sfd, 100); /* SIGCHLD wakes us */
	}
	for (i = 0; i < KE_MAX_SLOTS; i++)
		if (s->child[i].pid != 0) {
			log_warn("child %d did not stop in %d ms: killed", (int)s->child[i].pid,
				 STOP_WAIT_MS);
			kill(s->child[i].pid, SIGKILL);
			waitpid(s->child[i].pid, NULL, 0);
			s->child[i].pid = 0;
		}
}

/* The NTS-KE counters at exit: since stratad made the shared memory, all workers'. */
static void
print_counters(const struct strata_shm *m)
{
	const volatile __u64 *c = m->nts_ke;

	log_info("NTS-KE since the shared memory was made: %llu accepted, %llu answered with "
		 "%llu cookies, %llu errors, %llu TLS failures, %llu timeouts, %llu refused",
		 (unsigned long long)c[STRATA_NTS_KE_ACCEPTED],
		 (unsigned long long)c[STRATA_NTS_KE_DONE],
		 (unsigned long long)c[STRATA_NTS_KE_COOKIES],
		 (unsigned long long)c[STRATA_NTS_KE_ERROR],
		 (unsigned long long)c[STRATA_NTS_KE_TLS_FAIL],
		 (unsigned long long)c[STRATA_NTS_KE_TIMEOUT],
		 (unsigned long long)c[STRATA_NTS_KE_REFUSED]);
}

/* Until SIGTERM or SIGINT: reloads and restarts. @return the exit status. */
static int
run(struct sup *s)
{
	struct pollfd pfd = {.fd = s->sfd, .events = POLLIN};
	struct signalfd_siginfo si;
	uint64_t now;

	for (;;) {
		/* once a second at least: the shared memory's guard is tried by this read */
		if (poll(&pfd, 1, 1000) < 0 && errno != EINTR) {
			log_warn("poll: %s", strerror(errno));
			return 1;
		}
		(void)STRATA_READ_ONCE(s->shm->magic);
		if (shm_lost)
			return 1;
		if ((pfd.revents & POLLIN) && read(s->sfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
				log_info("%s: stopping", strsignal((int)si.ssi_signo));
				sd_notifyf("STOPPING=1\nSTATUS=%s: stopping",
					   strsignal((int)si.ssi_signo));
				return 0;
			}
			if (si.ssi_signo == SIGHUP) {
				log_info("SIGHUP: reading %s again", s->path);
				notify_reload(s);
			}
		}
		reap(s);
		now = mono_ns();
		/* the supervisor's loop, once a second at least: a hang stops the pings */
		sd_watchdog_tick(now);
		/* a child that dies at once is restarted once a second, not in a loop */
		if (now >= s->next_restart) {
			unsigned int before = 0, after = 0, i;

			for (i = 0; i < KE_MAX_SLOTS; i++)
				before += s->child[i].pid != 0;
			refill(s);
			for (i = 0; i < KE_MAX_SLOTS; i++)
				after += s->child[i].pid != 0;
			if (after > before)
				s->next_restart = now + RESTART_NS;
		}
	}
}

static int
open_signals(void)
{
	sigset_t mask;
	int fd;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) != 0)
		fatal("cannot block signals");
	fd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (fd < 0)
		fatal("signalfd: %s", strerror(errno));
	return fd;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'}, {"shm", required_argument, NULL, 's'},
		{"check", no_argument, NULL, 't'},	  {"verbose", no_argument, NULL, 'v'},
		{"debug", no_argument, NULL, 'd'},	  {"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},	  {NULL, 0, NULL, 0},
	};
	const char *shm_name = STRATA_SHM_NAME;
	static struct sup s;
	char err[2 * CFG_FILE_MAX + 512], why[256] = "";
	int c, verbose = 0, check = 0, rc = 1, stopped;
	unsigned int i;

	s.path = DEFAULT_CONFIG;
	while ((c = getopt_long(argc, argv, "c:s:tvdhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			s.path = optarg;
			break;
		case 's':
			shm_name = optarg;
			break;
		case 't':
			check = 1;
			break;
		case 'v':
		case 'd':
			verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("strata-nts %s\n", STRATA_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "strata-nts: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	log_init("strata-nts", verbose);
	if (cfg_load(s.path, &s.cfg, err, sizeof(err)) != 0 ||
	    check_cfg(s.path, &s.cfg, err, sizeof(err)) != 0 ||
	    load_cred(&s.cfg, &s.cred, err, sizeof(err)) != 0)
		return log_config_error(check, err);
	if (check) {
		printf("%s: valid\n", s.path);
		gnutls_certificate_free_credentials(s.cred);
		return 0;
	}

	s.sfd = open_signals();
	s.shm = wait_shm(shm_name, s.cfg.user, s.sfd, &stopped);
	if (s.shm == NULL) {
		if (stopped) {
			log_info("stopped before stratad's shared memory appeared");
			rc = 0;
		} else {
			snprintf(why, sizeof(why), "no shared memory %s from stratad (above)",
				 shm_name);
		}
		goto out;
	}
	s.slots = mmap(NULL, sizeof(*s.slots), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		       -1, 0);
	if (s.slots == MAP_FAILED) {
		s.slots = NULL;
		snprintf(why, sizeof(why), "no memory for the workers' counts: %s",
			 strerror(errno));
		goto unmap;
	}
	raise_nofile(s.cfg.nts.maxconns);
	if (bind_listeners(&s) != 0) {
		snprintf(why, sizeof(why), "no NTS-KE listener (above)");
		goto unmap;
	}
	refill(&s);
	/* the AF_XDP child is wanted if it started once; restarted like the workers */
	if ((i = (unsigned int)free_entry(&s)) < KE_MAX_SLOTS) {
		pid_t pid = start_xsk(&s);

		if (pid < 0) {
			snprintf(why, sizeof(why), "the AF_XDP child did not start (above)");
			stop_all(&s);
			goto unmap;
		}
		if (pid > 0) {
			s.child[i] = (struct child){.pid = pid, .kind = CHILD_XSK};
			s.want_xsk = 1;
		}
	}
	__atomic_store_n(&s.shm->nts_pid, (uint32_t)getpid(), __ATOMIC_RELEASE);
	log_info("ready: NTS-KE on port %u (%s), %u worker%s, at most %u sessions%s",
		 s.cfg.nts.port, s.n_lfd == 2 ? "IPv4 and IPv6" : "IPv4", s.cfg.nts.processes,
		 s.cfg.nts.processes == 1 ? "" : "s", s.cfg.nts.maxconns,
		 s.want_xsk ? ", NTS on AF_XDP" : "");
	/* listening, the workers forked; they never notify (NotifyAccess=main) */
	sd_notifyf("READY=1\nSTATUS=NTS-KE on port %u, %u worker%s", s.cfg.nts.port,
		   s.cfg.nts.processes, s.cfg.nts.processes == 1 ? "" : "s");
	sd_watchdog_init(mono_ns());
	rc = run(&s);
	stop_all(&s);
	if (rc == 0)
		print_counters(s.shm);
	{
		uint32_t me = (uint32_t)getpid();

		/* a successor may already have written its own */
		__atomic_compare_exchange_n(&s.shm->nts_pid, &me, 0, 0, __ATOMIC_RELEASE,
					    __ATOMIC_RELAXED);
	}
	if (rc != 0)
		log_info("stopping: the shared memory was truncated (above); exiting");
unmap:
	for (i = 0; i < s.n_lfd; i++)
		close(s.lfd[i]);
	if (s.slots != NULL)
		munmap(s.slots, sizeof(*s.slots));
	munmap(s.shm, sizeof(*s.shm));
out:
	gnutls_certificate_free_credentials(s.cred);
	close(s.sfd);
	if (why[0] != '\0')
		log_cannot_start("%s", why);
	return rc;
}
