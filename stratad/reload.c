/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The order of a reload: parse the whole file first (nothing changes for a
 * file with an error); set aside what needs a restart; publish the fast
 * paths' new generation (the one step that can fail after the parse, and
 * it leaves the running one); then the time lines, the metrics listener and
 * the registrations, each of which keeps what it cannot apply.
 */
#include "reload.h"

#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctlproto.h"
#include "leap.h"
#include "log.h"
#include "monotime.h"
#include "poolreg.h"

static unsigned int
metrics_port(const struct cfg *c)
{
	const struct sockaddr *sa = (const struct sockaddr *)&c->metrics;

	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return ntohs(((const struct sockaddr_in *)sa)->sin_port);
}

/* Not readable by this user (not root, or root no more): only a start can tell. */
static int
unreadable(const char *path, const char *what, const char *file, unsigned int line)
{
	if (access(path, R_OK) == 0 || errno != EACCES)
		return 0;
	if (line != 0)
		log_info("%s:%u: %s %s not checked: uid %u cannot read it", file, line, what, path,
			 (unsigned int)geteuid());
	else
		log_info("%s: %s %s not checked: uid %u cannot read it", file, what, path,
			 (unsigned int)geteuid());
	return 1;
}

int
reload_check(const char *path, struct cfg *c, char *err, size_t errlen)
{
	static struct leap_table leaps;
	uint8_t key[POOLREG_KEY_MAX];
	char msg[400];
	unsigned int i;
	size_t keylen;

	if (cfg_load(path, c, err, errlen) != 0)
		return -1;
	for (i = 0; i < c->n_register; i++) {
		const struct cfg_register *r = &c->reg[i];

		if (unreadable(r->keyfile, "key file", path, r->line))
			continue;
		if (poolreg_key_load(r->keyfile, key, &keylen, msg, sizeof(msg)) != 0) {
			snprintf(err, errlen, "%s:%u: %s", path, r->line, msg);
			return -1;
		}
		explicit_bzero(key, sizeof(key));
	}
	if (c->leapfile[0] != '\0' && !unreadable(c->leapfile, "leapfile", path, 0) &&
	    leap_load(c->leapfile, &leaps, msg, sizeof(msg)) != 0) {
		snprintf(err, errlen, "%s: leapfile: %s", path, msg);
		return -1;
	}
	/* a start as another user does not drop to it (privdrop.c) */
	if (geteuid() == 0 && getpwnam(c->user) == NULL) {
		char where[CFG_FILE_MAX + 16];

		snprintf(where, sizeof(where), c->line.user != 0 ? "%s:%u" : "%s", path,
			 c->line.user);
		snprintf(err, errlen,
			 "%s: user '%s'%s does not exist (hint: useradd --system --no-create-home "
			 "--shell /usr/sbin/nologin %s, or 'user NAME')",
			 where, c->user, c->line.user != 0 ? "" : " (the default)", c->user);
		return -1;
	}
	/* the control socket's group, given as root before the drop (OPS.md, "Operator group") */
	if (geteuid() == 0 && getgrnam(c->controlgroup) == NULL) {
		char where[CFG_FILE_MAX + 16];

		snprintf(where, sizeof(where), c->line.controlgroup != 0 ? "%s:%u" : "%s", path,
			 c->line.controlgroup);
		snprintf(err, errlen,
			 "%s: control group '%s'%s does not exist: the control socket's group, "
			 "whose members read status (hint: groupadd --system %s, or "
			 "'controlgroup NAME' naming a group that exists)",
			 where, c->controlgroup, c->line.controlgroup != 0 ? "" : " (the default)",
			 c->controlgroup);
		return -1;
	}
	return 0;
}

/* The new metrics address, bound by the reporting thread; kept where it cannot be. */
static void
reload_metrics(struct reload *rl, struct cfg *next, struct cfg_restart *r)
{
	char why[160];
	int err;

	err = server_metrics(rl->srv, next->has_metrics ? (struct sockaddr *)&next->metrics : NULL,
			     next->metrics_len);
	if (err == 0)
		return;
	if (err == -EACCES && metrics_port(next) < 1024)
		snprintf(why, sizeof(why),
			 "port %u is privileged and stratad has dropped the privilege to bind "
			 "it: restart stratad (the listener stays where it was)",
			 metrics_port(next));
	else
		snprintf(why, sizeof(why), "cannot bind it: %s (the listener stays where it was)",
			 strerror(-err));
	cfg_keep_metrics(rl->cfg, next, why, r);
}

int
reload_run(struct reload *rl, char *out, size_t len)
{
	/* about 40 KiB: not on the stack; only the main loop reloads */
	static struct cfg next;
	static char restart[CFG_RESTART_MAX * 220];
	struct cfg_restart r = {0};
	uint64_t t0 = mono_ns();
	unsigned int parts;
	char err[512], keyerr[400];
	int n;

	/* after the privilege drop the file is read as the configured user */
	if (access(rl->path, R_OK) != 0 && errno == EACCES)
		snprintf(err, sizeof(err),
			 "%s: cannot open: %s (hint: stratad reads it as uid %u after its "
			 "privilege drop: make it readable by that user or its group)",
			 rl->path, strerror(EACCES), (unsigned int)geteuid());
	else if (reload_check(rl->path, &next, err, sizeof(err)) == 0)
		err[0] = '\0';
	if (err[0] != '\0') {
		log_warn("reload refused: %s; the running configuration stays (generation %llu)",
			 err, (unsigned long long)rl->chan->published);
		snprintf(out, len,
			 CTL_ERROR_PREFIX "reload refused: %s; the running configuration stays "
					  "(generation %llu)\n",
			 err, (unsigned long long)rl->chan->published);
		return -1;
	}
	cfg_keep_restart(rl->cfg, &next, &r);
	cfg_note_nts(rl->cfg, &next, &r);
	parts = cfg_diff(rl->cfg, &next);
	if (parts & CFG_PART_FASTPATH) {
		chan_prepare(rl->chan, &next);
		if (chan_publish(rl->chan, rl->xdp) != 0) {
			/* whatever part of it the maps took, the running one goes back whole */
			chan_prepare(rl->chan, rl->cfg);
			if (chan_publish(rl->chan, rl->xdp) != 0)
				log_warn("reload: cannot publish the running configuration again "
					 "either: restart stratad");
			log_warn("reload failed: the fast paths refused the new configuration "
				 "(above); the running configuration stays (generation %llu)",
				 (unsigned long long)rl->chan->published);
			snprintf(out, len,
				 CTL_ERROR_PREFIX "reload failed: the fast paths refused the new "
						  "configuration (see stratad's log); the running "
						  "configuration stays (generation %llu)\n",
				 (unsigned long long)rl->chan->published);
			return -1;
		}
	}
	if (parts & CFG_PART_TIME) {
		/* the reference pipeline's own reload: a kept source keeps its filter and reach */
		if (rl->time(rl->time_arg, &next) != 0)
			cfg_restart_add(&r, 0,
					"time lines: not all applied (see the log above): "
					"restart stratad for the rest");
	}
	if (parts & CFG_PART_METRICS)
		reload_metrics(rl, &next, &r);
	/* every reload: with ntsrotate 0 the key file is read again (docs/nts.md) */
	if (ntskeys_reload(rl->keys, &next, time(NULL), keyerr, sizeof(keyerr)) != 0)
		cfg_restart_add(&r, 0, "NTS master keys: %s: the running keys stay", keyerr);
	/* the registrations announce the service addresses: they follow the fast paths */
	if (parts & (CFG_PART_REGISTER | CFG_PART_FASTPATH))
		*rl->reg = reg_update(*rl->reg, &next, &r, mono_ns());
	*rl->cfg = next;

	cfg_restart_text(&r, restart, sizeof(restart));
	n = snprintf(out, len, "reload applied: generation %llu%s, %.1f ms%s\n",
		     (unsigned long long)rl->chan->published,
		     parts & CFG_PART_FASTPATH ? " (new)" : " (unchanged)",
		     (double)(mono_ns() - t0) / 1e6, r.n > 0 ? "; these lines need a restart:" : "");
	if (n > 0 && (size_t)n < len)
		snprintf(out + n, len - (size_t)n, "%s", restart);
	log_info("reload applied: generation %llu%s, in %.1f ms%s",
		 (unsigned long long)rl->chan->published,
		 parts & CFG_PART_FASTPATH ? " (new)" : " (unchanged)",
		 (double)(mono_ns() - t0) / 1e6,
		 r.n > 0 ? "; these lines need a restart (below)" : "");
	for (n = 0; n < (int)r.n; n++)
		if (r.l[n].line != 0)
			log_info("  needs a restart: %s:%u: %s", rl->path, r.l[n].line,
				 r.l[n].what);
		else
			log_info("  needs a restart: %s", r.l[n].what);
	if (r.more > 0)
		log_info("  and %u more lines need a restart", r.more);
	return 0;
}
