/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stratad: the control daemon. It loads and attaches the XDP program for the
 * configured interfaces, publishes the time snapshot 32 times a second (the
 * only writer of it and of every BPF map), and reports through the control
 * socket and the metrics endpoint. Foreground, logs to stderr; SIGTERM and
 * SIGINT exit 0, leaving a program pinned in the bpffs answering from the
 * last snapshot for the next stratad; `stratad --remove` stops for good.
 * SIGHUP reloads the file (reload.c).
 */
#include <errno.h>
#include <net/if.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "channel.h"
#include "config.h"
#include "ctlproto.h"
#include "log.h"
#include "monotime.h"
#include "ntskeys.h"
#include "privdrop.h"
#include "reference.h"
#include "register.h"
#include "reload.h"
#include "sdnotify.h"
#include "server.h"
#include "shmcheck.h"
#include "status.h"
#include "tsc.h"
#include "xdp_loader.h"

#define DEFAULT_CONFIG "/etc/strata/stratad.conf"
#define PUBLISH_HZ REF_PUBLISH_HZ

struct stratad {
	struct cfg cfg;
	struct xdp_state xdp;
	struct ref *ref;       /* strata's clock, its sources and the server's fields */
	struct reg *reg;       /* NULL without register lines */
	struct strata_shm *shm; /* the snapshot and counters shared with strata-dpdk */
	struct chan chan;       /* the configuration the fast paths serve */
	struct ntskeys keys;    /* NTS master keys, published into shm */
	struct tsc_cal tsc;
	int have_tsc;
	int n_xdp;             /* listen xdp lines */
	struct reload rl;      /* what SIGHUP and "stratactl reload" change */
	pthread_mutex_t lock; /* guards st against the server thread */
	struct status st;     /* counters are read on demand, not kept here */
};

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: stratad [-c FILE] [-v] [--check | --remove]\n"
		"\n"
		"The strata control daemon: serves NTP from XDP on the configured\n"
		"interfaces and keeps the fast path's time snapshot. SIGHUP (or\n"
		"'stratactl reload') re-reads the file; SIGTERM and SIGINT stop it.\n"
		"\n"
		"  -c, --config FILE  configuration (default %s; see docs/config.md)\n"
		"  -t, --check        check the file as a start would, without privileges,\n"
		"                     and exit\n"
		"  -v, --verbose      debug messages, including the BPF verifier's log\n"
		"  -s, --shm NAME     shared memory for strata-dpdk (default %s)\n"
		"      --remove       stop for good: detach the pinned XDP program, remove\n"
		"                     its bpffs directory and the shared memory, and exit\n"
		"  -h, --help         this text\n"
		"  -V, --version      print the version\n"
		"\n"
		"exit status:\n"
		"  0   stopped by SIGTERM or SIGINT, or --check found the file valid\n"
		"  1   could not start or keep running (the log says why)\n"
		"  2   bad command line\n"
		"  %d  the configuration file has an error (EX_CONFIG; the message names\n"
		"      the file and line)\n",
		DEFAULT_CONFIG, STRATA_SHM_NAME, EX_CONFIG);
}

/* Server thread: strata-nts's counters and the DPDK workers' NTS rows, from the shm. */
static void
nts_status(struct stratad *d, struct status *out)
{
	struct status_nts *n = &out->nts;
	unsigned int i, r;
	pid_t pid;

	n->now = time(NULL);
	for (i = 0; i < out->n_dp; i++)
		for (r = 0; r < STRATA_NTS_MAX; r++)
			n->dp[r] += d->shm->nts_dp[i].c[r];
	pid = (pid_t)STRATA_READ_ONCE(d->shm->nts_pid);
	if (pid == 0 || (kill(pid, 0) != 0 && errno != EPERM))
		return;
	n->pid = (unsigned int)pid;
	for (r = 0; r < STRATA_NTS_KE_MAX; r++)
		n->ke[r] = __atomic_load_n(&d->shm->nts_ke[r], __ATOMIC_RELAXED);
	n->n_xsk = STRATA_READ_ONCE(d->shm->nts_xsk);
	if (n->n_xsk > STRATA_SHM_MAX_XSK)
		n->n_xsk = STRATA_SHM_MAX_XSK;
	for (i = 0; i < n->n_xsk; i++) {
		unsigned int ifindex = STRATA_READ_ONCE(d->shm->nts_xsk_ifindex[i]);

		if (if_indextoname(ifindex, n->xsk[i].ifname) == NULL)
			snprintf(n->xsk[i].ifname, sizeof(n->xsk[i].ifname), "if%u", ifindex);
		n->xsk[i].queue = STRATA_READ_ONCE(d->shm->nts_xsk_queue[i]);
		memcpy(n->xsk[i].c, d->shm->nts_xsk_c[i].c, sizeof(n->xsk[i].c));
	}
}

/* Server thread: a consistent copy of the status, with fresh counters. */
static void
get_status(struct status *out, void *arg)
{
	struct stratad *d = arg;
	pid_t pid;
	int n;

	pthread_mutex_lock(&d->lock);
	*out = d->st;
	pthread_mutex_unlock(&d->lock);
	n = d->n_xdp > 0 ? xdp_read_counters(&d->xdp, out->cpu, STATUS_MAX_CPUS) : 0;
	out->ncpu = n > 0 ? (unsigned int)n : 0;
	/* the dataplane's workers, while one is attached */
	out->n_dp = 0;
	pid = (pid_t)STRATA_READ_ONCE(d->shm->dp_pid);
	/* a dataplane that died without saying so leaves its PID behind */
	if (pid != 0 && (kill(pid, 0) == 0 || errno == EPERM)) {
		unsigned int i, w = STRATA_READ_ONCE(d->shm->dp_lcores);

		out->n_dp = w < STRATA_SHM_MAX_LCORES ? w : STRATA_SHM_MAX_LCORES;
		for (i = 0; i < out->n_dp; i++) {
			out->dp[i] = d->shm->lcore[i];
			out->dpc[i] = d->shm->dp[i];
		}
		out->dpc_exc = d->shm->dp_exc;
		out->n_dp_ports = STRATA_READ_ONCE(d->shm->dp_ports);
		out->dp_gen = STRATA_READ_ONCE(d->shm->dp_gen);
		out->dp_rx_stamp = STRATA_READ_ONCE(d->shm->dp_rx_stamp) == STRATA_RX_HARDWARE
					   ? "hardware"
					   : "tsc";
	}
	nts_status(d, out);
}

/* The counter lookup, the one bpf() call after setup: priv_drop() probes it. */
static int
counters_probe(void *arg)
{
	struct strata_counters c;
	int n = xdp_read_counters(&((struct stratad *)arg)->xdp, &c, 1);

	return n < 0 ? n : 0;
}

/*
 * The shared memory strata-dpdk maps, and whoever can write it decides the
 * time strata-dpdk serves: stratad creates it exclusively (O_EXCL, so never
 * one that someone else made first), mode 0600, as the user it starts as
 * (root: it opens this before the privilege drop). One left by an earlier
 * stratad is taken over as it is, so that a dataplane still serving from it
 * never sees the snapshot reset, but only when it is ours: owned by our
 * effective uid, writable by no one else, of exactly our size. The fd stays
 * open for the lock that keeps a second stratad out: one writer only.
 */
static struct strata_shm *
open_shm(const char *name)
{
	static char msg[800];
	char path[256], why[128];
	struct strata_shm *m;
	struct stat st;
	int fd, err, fresh = 1;

	shm_path(name, path, sizeof(path));
	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST) {
		fresh = 0;
		fd = shm_open(name, O_RDWR | O_CLOEXEC, 0);
	}
	if (fd < 0) {
		err = errno;
		log_warn("shared memory %s: %s: stratad stops%s", path, strerror(err),
			 err == EACCES ? " (hint: it is not stratad's: remove it, and stratad "
					 "creates its own)"
				       : "");
		return NULL;
	}
	if (fresh) {
		/* the umask may have taken bits away, never added any: make it exact */
		if (fchmod(fd, 0600) != 0 || ftruncate(fd, sizeof(*m)) != 0) {
			log_warn("shared memory %s: cannot size it: %s: stratad stops", path,
				 strerror(errno));
			shm_unlink(name);
			goto fail;
		}
	} else if (fstat(fd, &st) != 0) {
		log_warn("shared memory %s: %s: stratad stops", path, strerror(errno));
		goto fail;
	} else if (shm_check_stat(&st, geteuid(), SHM_NO_UID, sizeof(*m), why, sizeof(why)) != 0) {
		log_warn("shared memory %s %s: stratad stops: whoever can write it decides the "
			 "time strata-dpdk serves, so stratad takes over only its own (owner uid "
			 "%u, no write for others, %zu bytes) (hint: stop strata-dpdk, remove %s, "
			 "and stratad creates it anew)",
			 path, why, (unsigned int)geteuid(), sizeof(*m), path);
		goto fail;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		log_warn("shared memory %s: another stratad publishes into it: stratad stops "
			 "(hint: one stratad per dataplane, or --shm NAME for another)",
			 path);
		goto fail;
	}
	m = mmap(NULL, sizeof(*m), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		log_warn("shared memory %s: mmap: %s: stratad stops", path, strerror(errno));
		goto fail;
	}
	if (m->magic != STRATA_SHM_MAGIC || m->snap.magic != SNAP_MAGIC) {
		memset(m, 0, sizeof(*m));
		snap_init(&m->snap);
		__atomic_store_n(&m->magic, STRATA_SHM_MAGIC, __ATOMIC_RELEASE);
	} else {
		/* the one before may have died in the middle of a publish */
		snap_adopt(&m->snap);
	}
	snprintf(msg, sizeof(msg),
		 "stratad: warning: shared memory %s was truncated under stratad: strata-dpdk "
		 "can no longer read the time from it; stratad goes on without it (hint: stop "
		 "strata-dpdk and stratad, remove %s, start stratad, then strata-dpdk)",
		 path, path);
	err = shm_guard(m, sizeof(*m), msg, NULL);
	if (err != 0)
		log_warn("shared memory %s: no guard against its truncation: %s", path,
			 strerror(-err));
	return m;
fail:
	close(fd);
	return NULL;
}

static int
publish(struct stratad *d, uint64_t mono)
{
	struct ref_report r;
	struct snap_slot sl;
	unsigned int i;
	int n;

	ref_fill(d->ref, mono, &sl, &r);
	if (d->have_tsc) {
		tsc_update(&d->tsc);
		tsc_map(&d->tsc, &sl.map[SNAP_SCALE_MONO], &sl.map[SNAP_SCALE_TSC]);
	}
	if (d->xdp.snap != NULL)
		snap_publish(d->xdp.snap, &sl);
	snap_publish(&d->shm->snap, &sl);

	pthread_mutex_lock(&d->lock);
	if (strcmp(d->st.source, r.source) != 0)
		log_info("time source: %s", r.source);
	snprintf(d->st.source, sizeof(d->st.source), "%s", r.source);
	d->st.slot = sl;
	d->st.publish_mono_ns = r.mono_ns;
	d->st.publishes++;
	d->st.tsc_hz = d->have_tsc ? d->tsc.per_ns * 1e9 : 0;
	d->st.cfg_gen = d->chan.published;
	d->st.est_error_ns = r.est_error_ns;
	d->st.max_error_ns = r.max_error_ns;
	/* hardware stamps are used only where the variant loaded and a PHC is mapped */
	for (i = 0; i < d->st.n_ifaces; i++)
		d->st.ifaces[i].rx_stamp =
			d->xdp.ifs[i].rx_meta && (sl.map[SNAP_SCALE_PHC0].flags & SNAP_MAP_VALID)
				? "hardware"
				: "software";
	ref_status(d->ref, mono, &d->st);
	d->st.nts.on = d->keys.on;
	d->st.nts.rotate = d->keys.rotate;
	d->st.nts.n_keys = d->keys.on ? d->keys.ring.n : 0;
	d->st.nts.key_id = d->st.nts.n_keys > 0 ? d->keys.ring.k[d->keys.ring.current].id : 0;
	d->st.nts.key_created =
		d->st.nts.n_keys > 0 ? (int64_t)d->keys.ring.k[d->keys.ring.current].created : 0;
	d->st.nts.next_rotation = ntskeys_next_rotation(&d->keys);
	d->st.nts.gen = d->shm->nts_keys.gen;
	n = reg_report(d->reg, mono, d->st.regs, CFG_MAX_REGISTER);
	d->st.n_regs = n > 0 ? (unsigned int)n : 0;
	pthread_mutex_unlock(&d->lock);
	return 0;
}

static int
open_timer(void)
{
	struct itimerspec its = {
		.it_interval = {0, 1000000000L / PUBLISH_HZ},
		.it_value = {0, 1000000000L / PUBLISH_HZ},
	};
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);

	if (fd < 0 || timerfd_settime(fd, 0, &its, NULL) != 0)
		fatal("timerfd: %s", strerror(errno));
	return fd;
}

static int
open_signals(sigset_t *mask)
{
	int fd;

	sigemptyset(mask);
	sigaddset(mask, SIGTERM);
	sigaddset(mask, SIGINT);
	sigaddset(mask, SIGHUP);
	/* blocked in every thread (the server thread inherits the mask) */
	if (pthread_sigmask(SIG_BLOCK, mask, NULL) != 0)
		fatal("cannot block signals");
	fd = signalfd(-1, mask, SFD_CLOEXEC);
	if (fd < 0)
		fatal("signalfd: %s", strerror(errno));
	return fd;
}

/*
 * A reload under systemd: RELOADING=1 first (with the time, as
 * sd_notify(3) asks of it), READY=1 after, with the outcome's first line
 * as the unit's status. ExecReload= (stratactl reload) gives systemctl the
 * outcome itself.
 */
static void
reload_notified(struct reload *rl, char *answer, size_t len)
{
	const char *line = answer;

	sd_notifyf("RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading %s",
		   (unsigned long long)(mono_ns() / 1000), rl->path);
	reload_run(rl, answer, len);
	/* "reload applied: ..." or "reload refused: ...; the running configuration stays" */
	if (strncmp(line, CTL_ERROR_PREFIX, strlen(CTL_ERROR_PREFIX)) == 0)
		line += strlen(CTL_ERROR_PREFIX);
	sd_notifyf("READY=1\nSTATUS=%.*s", (int)strcspn(line, "\n"), line);
}

/* The main loop: poll and publish on every tick, until SIGTERM or SIGINT. */
static int
run(struct stratad *d, int tfd, int sfd)
{
	struct pollfd pfd[3 + UPSTREAM_MAX_PEERS + CFG_MAX_REGISTER];
	static char answer[8192];

	for (;;) {
		int n = 3, n_up = 0, n_reg;

		pfd[0] = (struct pollfd){.fd = tfd, .events = POLLIN};
		pfd[1] = (struct pollfd){.fd = sfd, .events = POLLIN};
		pfd[2] = (struct pollfd){.fd = server_reload_fd(d->rl.srv), .events = POLLIN};
		n_up = ref_pollfds(d->ref, pfd + 3, UPSTREAM_MAX_PEERS);
		n_reg = reg_pollfds(d->reg, pfd + 3 + n_up, CFG_MAX_REGISTER);
		n += n_up + n_reg;
		if (poll(pfd, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_warn("poll: %s", strerror(errno));
			return -errno;
		}
		if (n_up > 0)
			ref_receive(d->ref, pfd + 3, n_up, mono_ns());
		if (n_reg > 0)
			reg_receive(d->reg, pfd + 3 + n_up, n_reg, mono_ns());
		/* after the receives: a reload may replace the registrations polled above */
		if (pfd[2].revents & POLLIN) {
			uint64_t ticket = server_reload_take(d->rl.srv);

			if (ticket != 0) {
				log_info("reload asked on the control socket");
				reload_notified(&d->rl, answer, sizeof(answer));
				server_reload_done(d->rl.srv, ticket, answer);
			}
		}
		if (pfd[0].revents & POLLIN) {
			uint64_t ticks, mono;

			if (read(tfd, &ticks, sizeof(ticks)) == sizeof(ticks) && ticks > 1)
				log_debug("publish late by %llu ticks", (unsigned long long)ticks - 1);
			mono = mono_ns();
			ref_tick(d->ref, mono);
			reg_tick(d->reg, mono);
			xdp_follow_mac(&d->xdp, mono);
			ntskeys_tick(&d->keys, time(NULL));
			if (publish(d, mono) != 0)
				log_warn("cannot read the clocks: the snapshot ages");
			/* here, not in a thread: a loop that hangs stops the pings */
			sd_watchdog_tick(mono);
		}
		if (pfd[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo == SIGHUP) {
				log_info("SIGHUP: reloading %s", d->rl.path);
				reload_notified(&d->rl, answer, sizeof(answer));
				continue;
			}
			sd_notifyf("STOPPING=1\nSTATUS=%s: stopping", strsignal((int)si.ssi_signo));
			if (d->xdp.pin_dir[0] != '\0')
				log_info("%s: exiting; the XDP program stays, answering from "
					 "the last snapshot (stratad --remove detaches it)",
					 strsignal((int)si.ssi_signo));
			else
				log_info("%s: detaching and exiting", strsignal((int)si.ssi_signo));
			return 0;
		}
	}
}

/* A reload's time lines go to the reference pipeline: kept sources keep their filters. */
static int
reload_time(void *arg, const struct cfg *next)
{
	return ref_update(((struct stratad *)arg)->ref, next);
}

/*
 * stratad --remove: what outlives stratad goes, for good (the package's
 * removal runs this after stopping the service). Not while a stratad runs:
 * it holds the shared memory's lock and would go on writing what is removed.
 */
static int
remove_all(const struct cfg *c, const char *shm_name)
{
	char path[256];
	int fd, err;

	shm_path(shm_name, path, sizeof(path));
	fd = shm_open(shm_name, O_RDWR | O_CLOEXEC, 0);
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0) {
		log_warn("a stratad is running (it holds %s): stop it first", path);
		close(fd);
		return 1;
	}
	err = xdp_remove(c->bpffs);
	if (fd >= 0) {
		/* strata-dpdk keeps its mapping until it exits; a new one finds none */
		if (shm_unlink(shm_name) == 0)
			log_info("shared memory %s removed", path);
		close(fd);
	}
	return err == 0 ? 0 : 1;
}

/*
 * Start the reference: strata's clock, every source. A snapshot the last
 * stratad left within its holdover is taken over, so that the served time
 * goes on without a jump and clients are not told "unsynchronised" while
 * the sources are found again. One tick before the first publish: the
 * reference clocks have their first reading.
 */
static int
start_reference(struct stratad *d)
{
	struct snap_slot last;

	d->ref = ref_new(&d->cfg);
	if (d->ref == NULL)
		return -1;
	if (snap_read_slot(&d->shm->snap, &last) == 0)
		ref_adopt(d->ref, &last, mono_ns());
	ref_tick(d->ref, mono_ns());
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'}, {"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},         {"version", no_argument, NULL, 'V'},
		{"shm", required_argument, NULL, 's'},    {"remove", no_argument, NULL, 'R'},
		{"check", no_argument, NULL, 't'},
		{NULL, 0, NULL, 0},
	};
	const char *path = DEFAULT_CONFIG, *shm_name = STRATA_SHM_NAME;
	static struct stratad d;
	struct server *srv = NULL;
	const struct priv_dir ctl_dir = {d.cfg.control, "control socket", "RuntimeDirectory"};
	char err[512], why[256] = "";
	sigset_t mask;
	int c, verbose = 0, check = 0, tfd, sfd, rc = 1, remove = 0;
	unsigned int i, wd_ms;

	while ((c = getopt_long(argc, argv, "c:vhVs:t", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			check = 1;
			break;
		case 's':
			shm_name = optarg;
			break;
		case 'R':
			remove = 1;
			break;
		case 'c':
			path = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("stratad %s\n", STRATA_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "stratad: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	log_init("stratad", verbose);
	if (reload_check(path, &d.cfg, err, sizeof(err)) != 0 ||
	    (check && ntskeys_check(&d.cfg, err, sizeof(err)) != 0))
		return log_config_error(check, err);
	if (check) {
		printf("%s: valid\n", path);
		return 0;
	}
	if (remove)
		return remove_all(&d.cfg, shm_name);

	pthread_mutex_init(&d.lock, NULL);
	sfd = open_signals(&mask);
	tfd = open_timer();
	d.shm = open_shm(shm_name);
	if (d.shm == NULL) {
		snprintf(why, sizeof(why), "no shared memory %s for strata-dpdk (above)", shm_name);
		goto out;
	}
	if (chan_init(&d.chan, d.shm) != 0) {
		snprintf(why, sizeof(why), "no random key for the rate limiter: %s",
			 strerror(errno));
		goto out;
	}
	chan_prepare(&d.chan, &d.cfg);
	/* as root: the key file may be root's; a new one is written after the drop */
	if (ntskeys_init(&d.keys, &d.cfg, &d.shm->nts_keys, time(NULL), err, sizeof(err)) != 0) {
		log_cannot_start("%s", err);
		rc = EX_CONFIG;
		goto out;
	}
	/* the TSC map is for strata-dpdk; XDP stamps with the kernel clock */
	d.have_tsc = tsc_init(&d.tsc, 20000000) == 0;
	if (!d.have_tsc)
		log_warn("no usable TSC: strata-dpdk will drop requests (drop_no_time)");
	for (i = 0; i < d.cfg.n_listen; i++)
		d.n_xdp += !d.cfg.listen[i].dpdk;
	for (i = 0; i < d.cfg.n_listen; i++)
		if (d.cfg.listen[i].dpdk)
			snprintf(d.st.dp_port + strlen(d.st.dp_port),
				 sizeof(d.st.dp_port) - strlen(d.st.dp_port), "%s%s",
				 d.st.dp_port[0] != '\0' ? ", " : "", d.cfg.listen[i].port);
	if (d.n_xdp > 0 && xdp_setup(&d.xdp, &d.cfg, &d.chan.fc) != 0) {
		snprintf(why, sizeof(why), "the XDP program is not attached (above)");
		goto out;
	}
	if (chan_publish(&d.chan, &d.xdp) != 0) {
		snprintf(why, sizeof(why), "the fast paths refused the configuration (above)");
		goto detach;
	}
	for (i = 0; i < d.xdp.n_ifs; i++) {
		struct status_iface *si = &d.st.ifaces[i];

		snprintf(si->ifname, sizeof(si->ifname), "%s", d.xdp.ifs[i].ifname);
		si->ifindex = d.xdp.ifs[i].ifindex;
		si->xdp_mode = d.cfg.xdpmode == CFG_XDP_GENERIC ? "generic" : "native";
		si->rx_stamp = "software";
	}
	d.st.n_ifaces = d.xdp.n_ifs;
	if (start_reference(&d) != 0) {
		snprintf(why, sizeof(why), "the time sources did not start (above)");
		goto detach;
	}
	/* the key files are read here, before privileges are dropped */
	if (d.cfg.n_register > 0 && (d.reg = reg_new(&d.cfg)) == NULL) {
		snprintf(why, sizeof(why), "a register line cannot be used (above)");
		goto detach;
	}
	/* serve before the first tick: a fresh snapshot, then the sockets */
	if (publish(&d, mono_ns()) != 0) {
		snprintf(why, sizeof(why), "cannot read the clocks");
		goto detach;
	}
	/*
	 * The sockets are made as root, as OpenNTPD's parent makes them: the
	 * control socket's directory may be root's alone (the socket is then
	 * root's and the controlgroup's, mode 0660) and the metrics port may be
	 * privileged; neither needs anything after the drop.
	 */
	if (priv_dirs(d.cfg.user, &ctl_dir, 1) != 0) {
		snprintf(why, sizeof(why), "cannot prepare the control socket for user %s (above)",
			 d.cfg.user);
		goto detach;
	}
	srv = server_bind(d.cfg.control,
			  d.cfg.has_metrics ? (struct sockaddr *)&d.cfg.metrics : NULL,
			  d.cfg.metrics_len, get_status, &d);
	if (srv == NULL || priv_socket_group(d.cfg.control, d.cfg.controlgroup) != 0) {
		snprintf(why, sizeof(why), "no control socket %s%s (above)", d.cfg.control,
			 d.cfg.has_metrics ? " or metrics listener" : "");
		goto detach;
	}
	/* all that needs privilege is open; the reporting thread inherits the rest */
	if (priv_drop(&d.cfg, d.n_xdp > 0 ? counters_probe : NULL, &d) != 0) {
		snprintf(why, sizeof(why), "cannot drop privileges to user %s (above)", d.cfg.user);
		goto detach;
	}
	if (server_run(srv) != 0) {
		snprintf(why, sizeof(why), "no reporting thread (above)");
		goto detach;
	}
	d.rl = (struct reload){.path = path,
			       .cfg = &d.cfg,
			       .chan = &d.chan,
			       .xdp = &d.xdp,
			       .reg = &d.reg,
			       .srv = srv,
			       .time = reload_time,
			       .time_arg = &d,
			       .keys = &d.keys};
	log_info("ready: serving NTP on %u XDP interface%s%s, control socket %s", d.xdp.n_ifs,
		 d.xdp.n_ifs == 1 ? "" : "s", d.n_xdp < (int)d.cfg.n_listen ? " and strata-dpdk" : "",
		 d.cfg.control);
	/* the program is attached, the first snapshot published, the sockets bound */
	if (d.xdp.n_ifs == 0)
		sd_notifyf("READY=1\nSTATUS=serving NTP through strata-dpdk");
	else
		sd_notifyf("READY=1\nSTATUS=serving NTP on %u XDP interface%s%s", d.xdp.n_ifs,
			   d.xdp.n_ifs == 1 ? "" : "s",
			   d.n_xdp < (int)d.cfg.n_listen ? " and strata-dpdk" : "");
	wd_ms = sd_watchdog_init(mono_ns());
	if (wd_ms != 0)
		log_debug("systemd's watchdog: WATCHDOG=1 every %u ms", wd_ms);
	rc = run(&d, tfd, sfd) == 0 ? 0 : 1;
	if (rc != 0)
		log_info("stopping: the main loop failed (above); exiting");
	/* a clean exit leaves the pools at once (SIGTERM, SIGINT) */
	if (rc == 0)
		reg_leave(d.reg);
	ref_save_drift(d.ref, mono_ns(), 1);
detach:
	server_stop(srv);
	reg_free(d.reg);
	ref_free(d.ref);
	/* a first start that failed leaves nothing attached; an adopted program answers on */
	if (why[0] != '\0')
		xdp_abandon(&d.xdp);
	xdp_teardown(&d.xdp);
out:
	close(tfd);
	close(sfd);
	/* after the details, the one line that says stratad stops */
	if (why[0] != '\0')
		log_cannot_start("%s", why);
	return rc;
}
