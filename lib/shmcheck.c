/* SPDX-License-Identifier: BSD-3-Clause */
#include "shmcheck.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "strata/shm.h"

int
shm_check_stat(const struct stat *st, uid_t owner, uid_t alt_owner, size_t size, char *why,
	       size_t len)
{
	unsigned int mode = (unsigned int)(st->st_mode & 07777);

	if (!S_ISREG(st->st_mode)) {
		snprintf(why, len, "is not a regular file");
		return -EINVAL;
	}
	if (st->st_uid != owner && (alt_owner == SHM_NO_UID || st->st_uid != alt_owner)) {
		if (alt_owner == SHM_NO_UID)
			snprintf(why, len, "is owned by uid %u (mode %04o), not by uid %u",
				 (unsigned int)st->st_uid, mode, (unsigned int)owner);
		else
			snprintf(why, len, "is owned by uid %u (mode %04o), not by uid %u or %u",
				 (unsigned int)st->st_uid, mode, (unsigned int)owner,
				 (unsigned int)alt_owner);
		return -EPERM;
	}
	if (st->st_mode & S_IWOTH) {
		snprintf(why, len, "has mode %04o: every user can write it", mode);
		return -EPERM;
	}
	if (st->st_mode & S_IWGRP) {
		snprintf(why, len, "has mode %04o: group %u can write it", mode,
			 (unsigned int)st->st_gid);
		return -EPERM;
	}
	if (st->st_size < 0 || (unsigned long long)st->st_size != size) {
		snprintf(why, len, "has %lld bytes, not %zu", (long long)st->st_size, size);
		return -EINVAL;
	}
	return 0;
}

void
shm_path(const char *name, char *path, size_t len)
{
	/* glibc's shm_open() skips the leading slashes, then opens in /dev/shm */
	while (*name == '/')
		name++;
	snprintf(path, len, "/dev/shm/%s", name);
}

struct strata_shm *
shm_attach(const char *name, const char *user, int *wait, char *why, size_t len)
{
	const struct passwd *pw = getpwnam(user);
	uid_t alt = pw != NULL && pw->pw_uid != 0 ? pw->pw_uid : SHM_NO_UID;
	struct strata_shm *m = NULL;
	char path[256], bad[128];
	struct stat st;
	int fd;

	*wait = 0;
	shm_path(name, path, sizeof(path));
	fd = shm_open(name, O_RDWR | O_CLOEXEC, 0);
	if (fd < 0) {
		*wait = errno == ENOENT;
		snprintf(why, len, "%s: %s (hint: is stratad running?)", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(why, len, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (shm_check_stat(&st, 0, alt, sizeof(*m), bad, sizeof(bad)) != 0) {
		/* stratad sizes it right after creating it: give it that moment */
		*wait = st.st_size == 0 && st.st_uid == 0;
		snprintf(why, len,
			 "%s %s: whoever can write it decides the time served and the NTS "
			 "master keys, so it must be stratad's (owner root or user %s, no write "
			 "for others, %zu bytes) (hint: stop stratad, remove %s, start stratad, "
			 "then the others)",
			 path, bad, user, sizeof(*m), path);
		goto out;
	}
	m = mmap(NULL, sizeof(*m), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		snprintf(why, len, "%s: mmap: %s", path, strerror(errno));
		m = NULL;
		goto out;
	}
	/* stratad writes the magic last, once the rest is initialised */
	if (__atomic_load_n(&m->magic, __ATOMIC_ACQUIRE) != STRATA_SHM_MAGIC) {
		*wait = 1;
		snprintf(why, len, "%s: bad magic (hint: is stratad running, and the same version?)",
			 path);
		munmap(m, sizeof(*m));
		m = NULL;
	}
out:
	close(fd);
	return m;
}

static uintptr_t guard_addr;
static size_t guard_len;
static char guard_msg[1024];
static size_t guard_msg_len;
static volatile sig_atomic_t *guard_quit;
static volatile sig_atomic_t guard_hit;

/*
 * A truncated object makes every access past its new end raise SIGBUS. The
 * handler runs on the faulting thread; when it returns, the access runs again
 * and finds the zero pages. Only async-signal-safe calls here: mmap(2) and
 * write(2) are plain system calls. Several threads may fault at once: each
 * maps zeros over the range again, which is harmless.
 */
static void
on_sigbus(int sig, siginfo_t *si, void *uc)
{
	uintptr_t a = (uintptr_t)si->si_addr;
	void *m;

	(void)uc;
	/* si_code > 0: raised by a fault, not sent with kill(2) */
	if (si->si_code > 0 && guard_len != 0 && a - guard_addr < guard_len) {
		m = mmap((void *)guard_addr, guard_len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (m != MAP_FAILED) {
			if (!__atomic_exchange_n(&guard_hit, 1, __ATOMIC_RELAXED)) {
				ssize_t n = write(STDERR_FILENO, guard_msg, guard_msg_len);

				(void)n; /* nowhere else to report it */
			}
			if (guard_quit != NULL)
				*guard_quit = 1;
			return;
		}
	}
	/* not ours: the default action, when the access runs again or at once */
	signal(sig, SIG_DFL);
	if (si->si_code <= 0)
		raise(sig);
}

int
shm_guard(void *addr, size_t len, const char *msg, volatile sig_atomic_t *quit)
{
	struct sigaction sa;

	snprintf(guard_msg, sizeof(guard_msg), "%s\n", msg);
	guard_msg_len = strlen(guard_msg);
	guard_quit = quit;
	guard_addr = (uintptr_t)addr;
	guard_len = len;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGBUS, &sa, NULL) == 0 ? 0 : -errno;
}

int
shm_guard_tripped(void)
{
	return guard_hit;
}
