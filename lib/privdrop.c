/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Dropping privileges after setup. OpenNTPD splits into a privileged parent
 * and an unprivileged engine because its parent must keep setting the clock;
 * stratad never sets the clock and needs privilege only to load and attach
 * the XDP program, so one process that sheds its privileges once is enough.
 *
 * What stratad does after setup needs no capability on a current kernel: the
 * XDP program stays attached through a bpf_link that detaches when its fd
 * closes, the snapshot is written through an mmapped map, and the counters
 * are read with BPF_MAP_LOOKUP_ELEM on an open map fd. Kernels before 5.19
 * check kernel.unprivileged_bpf_disabled on every bpf() call, so there the
 * lookup needs CAP_BPF: probed, not assumed from a version number. (Since
 * 5.19 only program loads and map creation check it: Debian 12's 6.1 keeps
 * nothing, as tests/vm/debian12.sh shows.)
 *
 * strata-pool is simpler: it binds its sockets (DNS on port 53) and reads its
 * keys as root, then drops to the same user with no capability at all.
 */
#include "privdrop.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include "log.h"

/* Our own effective and permitted sets (capget(2); glibc has no wrapper). */
static int
caps_get(uint64_t *eff, uint64_t *prm)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];

	/* set on every path: the compiler cannot know that errno is never 0 */
	*eff = *prm = 0;
	if (syscall(SYS_capget, &h, d) != 0)
		return -errno;
	*eff = d[0].effective | (uint64_t)d[1].effective << 32;
	*prm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	return 0;
}

/* An empty inheritable set also empties the ambient one (capabilities(7)). */
static int
caps_set(uint64_t eff, uint64_t prm)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2] = {
		{.effective = (uint32_t)eff, .permitted = (uint32_t)prm},
		{.effective = (uint32_t)(eff >> 32), .permitted = (uint32_t)(prm >> 32)},
	};

	return syscall(SYS_capset, &h, d) == 0 ? 0 : -errno;
}

/* Does @probe fail for want of a capability? Tried with the effective set emptied. */
static int
needs_cap_bpf(priv_probe_fn *probe, void *arg)
{
	uint64_t eff, prm;
	int err;

	if (probe == NULL)
		return 0;
	if (caps_get(&eff, &prm) != 0 || caps_set(0, prm) != 0)
		return 1; /* cannot tell: keep it */
	err = probe(arg);
	if (caps_set(eff, prm) != 0)
		return 1;
	return err == -EPERM;
}

/* The directory of @path into @dir. */
static void
dir_of(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');

	snprintf(dir, len, "%.*s", slash == path ? 1 : (int)(slash - path), path);
}

/* As root, before the drop: a missing directory is created for the user (as chronyd does). */
static int
make_dir(const char *path, const struct passwd *pw)
{
	char dir[PATH_MAX];
	int err;

	if (path[0] == '\0')
		return 0;
	dir_of(path, dir, sizeof(dir));
	if (mkdir(dir, 0755) != 0) {
		if (errno == EEXIST)
			return 0;
		err = errno;
	} else if (chown(dir, pw->pw_uid, pw->pw_gid) != 0) {
		err = errno;
	} else {
		log_info("%s: created for user %s", dir, pw->pw_name);
		return 0;
	}
	log_warn("%s: cannot make it for user %s: %s", dir, pw->pw_name, strerror(err));
	return -err;
}

/* After the drop: stratad creates and removes files in these directories. */
static int
check_dir(const char *path, const char *what, const char *unit_dir)
{
	char dir[PATH_MAX];

	if (path[0] == '\0')
		return 0;
	dir_of(path, dir, sizeof(dir));
	if (access(dir, W_OK | X_OK) == 0)
		return 0;
	log_warn("%s %s: its directory %s is not writable by uid %u: %s (hint: chown it to the "
		 "'user' of the configuration, or under systemd use %s=strata)",
		 what, path, dir, (unsigned int)getuid(), strerror(errno), unit_dir);
	return -EACCES;
}

/* As root: become @pw, with the bounding set cut to @keep and @keep still permitted. */
static int
become(const struct passwd *pw, uint64_t keep)
{
	int cap;

	/* PR_CAPBSET_DROP needs CAP_SETPCAP in the effective set: before setresuid */
	for (cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
		if (!(keep & PRIV_CAP(cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0)
			return -errno;
	/* glibc applies the set*id calls to every thread of the process */
	if (setgroups(0, NULL) != 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0)
		return -errno;
	/* without KEEPCAPS the kernel empties the permitted set when no uid stays 0 */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0)
		return -errno;
	return prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) == 0 ? 0 : -errno;
}

/* The names of the capabilities a drop keeps, for the log. */
static const char *
cap_names(uint64_t keep, char *buf, size_t len)
{
	size_t n = 0;
	int cap;

	for (cap = 0; cap < 64 && n < len; cap++) {
		if (!(keep & PRIV_CAP(cap)))
			continue;
		if (cap == CAP_BPF || cap == CAP_NET_BIND_SERVICE)
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n > 0 ? " " : "",
					      cap == CAP_BPF ? "cap_bpf" : "cap_net_bind_service");
		else
			n += (size_t)snprintf(buf + n, len - n, "%scap %d", n > 0 ? " " : "", cap);
	}
	return n > 0 ? buf : "none";
}

/* The entry of @user, or NULL after a message. */
static const struct passwd *
user_entry(const char *user)
{
	const struct passwd *pw = getpwnam(user);

	if (pw == NULL)
		log_warn("user '%s' does not exist: %s drops to it after setup (hint: "
			 "useradd --system --no-create-home --shell /usr/sbin/nologin %s, "
			 "as scripts/install-deps.sh does, or 'user NAME' in the "
			 "configuration)",
			 user, program_invocation_short_name, user);
	return pw;
}

int
priv_dirs(const char *user, const struct priv_dir *dirs, unsigned int n_dirs)
{
	const struct passwd *pw;
	unsigned int i;
	int err = 0;

	if (geteuid() != 0)
		return 0;
	pw = user_entry(user);
	if (pw == NULL)
		return -ENOENT;
	for (i = 0; i < n_dirs && err == 0; i++)
		err = make_dir(dirs[i].path, pw);
	return err;
}

int
priv_drop_to(const char *user, uint64_t keep, const struct priv_dir *dirs, unsigned int n_dirs)
{
	const struct passwd *pw;
	uint64_t eff, prm;
	unsigned int i;
	char names[128];
	int err;

	if (geteuid() == 0) {
		pw = user_entry(user);
		if (pw == NULL)
			return -ENOENT;
		if (pw->pw_uid == 0) {
			log_warn("user %s: %s keeps every privilege (debugging only)", user,
				 program_invocation_short_name);
			return 0;
		}
		err = priv_dirs(user, dirs, n_dirs);
		if (err != 0)
			return err;
		err = become(pw, keep);
		if (err != 0) {
			log_warn("cannot become user %s: %s (hint: this needs CAP_SETUID, "
				 "CAP_SETGID and CAP_SETPCAP, as the units in systemd/ allow)",
				 user, strerror(-err));
			return err;
		}
	} else {
		log_info("started as uid %u, not root: 'user %s' does not apply",
			 (unsigned int)geteuid(), user);
	}
	/* what systemd's AmbientCapabilities= or KEEPCAPS left permitted, cut to @keep */
	err = caps_get(&eff, &prm);
	if (err == 0) {
		if ((keep & ~prm) != 0)
			log_warn("missing capabilities %#llx that the kernel or the "
				 "configuration needs after setup",
				 (unsigned long long)(keep & ~prm));
		keep &= prm;
		err = caps_set(keep, keep);
	}
	if (err == 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		err = -errno;
	if (err != 0) {
		log_warn("cannot drop capabilities: %s", strerror(-err));
		return err;
	}
	for (i = 0; i < n_dirs && err == 0; i++)
		err = check_dir(dirs[i].path, dirs[i].what, dirs[i].unit_dir);
	if (err != 0)
		return err;
	log_info("privileges dropped: uid %u gid %u, capabilities kept: %s", (unsigned int)getuid(),
		 (unsigned int)getgid(), cap_names(keep, names, sizeof(names)));
	return 0;
}

int
priv_socket_group(const char *path, const char *group)
{
	const struct group *gr;

	if (geteuid() != 0)
		return 0;
	gr = getgrnam(group);
	if (gr == NULL) {
		log_warn("control group '%s' does not exist (hint: groupadd --system %s, or "
			 "'controlgroup NAME')",
			 group, group);
		return -ENOENT;
	}
	/* root keeps the socket; the operators' group may connect (mode 0660) */
	if (chown(path, 0, gr->gr_gid) != 0) {
		int err = errno;

		log_warn("%s: cannot give it to group %s: %s", path, group, strerror(err));
		return -err;
	}
	return 0;
}

int
priv_drop(const struct cfg *c, priv_probe_fn *probe, void *arg)
{
	/* the control socket and metrics are bound before: their directory is not needed */
	char keys[CFG_FILE_MAX + 16] = "";
	const struct priv_dir dirs[] = {
		{c->driftfile, "driftfile", "StateDirectory"},
		{keys, "NTS key file", "StateDirectory"},
	};
	uint64_t keep = 0;

	/* the master keys' generator rewrites its file after the drop (docs/nts.md) */
	if (cfg_nts_on(c) && c->nts.rotate > 0)
		snprintf(keys, sizeof(keys), "%s/" CFG_NTS_KEYFILE, c->nts.dumpdir);

	if (needs_cap_bpf(probe, arg)) {
		keep |= PRIV_CAP(CAP_BPF);
		log_info("keeping cap_bpf: this kernel checks it on BPF map access");
	}
	return priv_drop_to(c->user, keep, dirs, STRATA_ARRAY_SIZE(dirs));
}
