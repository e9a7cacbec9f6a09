/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shared memory's owner, mode and size check (lib/shmcheck.c), as
 * stratad and strata-dpdk apply it before they map the object, and the guard
 * that turns a truncation of a mapped object into zero pages, not SIGBUS,
 * and leaves every other SIGBUS fatal.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shmcheck.h"

#include "cunit_main.h"

#define SIZE 33280

static struct stat
mkstat(mode_t mode, uid_t uid, off_t size)
{
	struct stat st;

	memset(&st, 0, sizeof(st));
	st.st_mode = mode;
	st.st_uid = uid;
	st.st_gid = 995;
	st.st_size = size;
	return st;
}

static int
check(mode_t mode, uid_t uid, off_t size, uid_t owner, uid_t alt, const char *want)
{
	struct stat st = mkstat(mode, uid, size);
	char why[128] = "";
	int err = shm_check_stat(&st, owner, alt, SIZE, why, sizeof(why));

	if (want != NULL && strstr(why, want) == NULL) {
		printf("\n    reason '%s' lacks '%s'", why, want);
		CU_FAIL("reason");
	}
	return err;
}

static void
test_owner_mode_size(void)
{
	/* what stratad creates, as root, and what it takes over after a restart */
	CU_ASSERT_EQUAL(check(S_IFREG | 0600, 0, SIZE, 0, SHM_NO_UID, NULL), 0);
	/* reading the time is harmless: only writing is refused */
	CU_ASSERT_EQUAL(check(S_IFREG | 0644, 0, SIZE, 0, SHM_NO_UID, NULL), 0);
	/* a local user made it first, as in the review: empty, mode 0666 */
	CU_ASSERT_EQUAL(check(S_IFREG | 0666, 65534, 0, 0, SHM_NO_UID,
			      "is owned by uid 65534 (mode 0666), not by uid 0"),
			-EPERM);
	/* the same user, with the right size and no write for others: still not ours */
	CU_ASSERT_EQUAL(check(S_IFREG | 0600, 65534, SIZE, 0, SHM_NO_UID, "uid 65534"), -EPERM);
	/* ours, but others can write it */
	CU_ASSERT_EQUAL(check(S_IFREG | 0666, 0, SIZE, 0, SHM_NO_UID, "every user can write it"),
			-EPERM);
	CU_ASSERT_EQUAL(check(S_IFREG | 0602, 0, SIZE, 0, SHM_NO_UID, "every user"), -EPERM);
	CU_ASSERT_EQUAL(check(S_IFREG | 0620, 0, SIZE, 0, SHM_NO_UID, "group 995 can write it"),
			-EPERM);
	/* ours, of another size: another version's layout, or truncated */
	CU_ASSERT_EQUAL(check(S_IFREG | 0600, 0, 0, 0, SHM_NO_UID, "has 0 bytes, not 33280"),
			-EINVAL);
	CU_ASSERT_EQUAL(check(S_IFREG | 0600, 0, SIZE - 64, 0, SHM_NO_UID, NULL), -EINVAL);
	CU_ASSERT_EQUAL(check(S_IFREG | 0600, 0, SIZE + 1, 0, SHM_NO_UID, NULL), -EINVAL);
	CU_ASSERT_EQUAL(check(S_IFDIR | 0700, 0, SIZE, 0, SHM_NO_UID, "not a regular file"),
			-EINVAL);
	/* strata-dpdk: root's, or the user stratad runs as (started as that user) */
	CU_ASSERT_EQUAL(check(S_IFREG | 0600, 999, SIZE, 0, 999, NULL), 0);
	CU_ASSERT_EQUAL(check(S_IFREG | 0600, 0, SIZE, 0, 999, NULL), 0);
	CU_ASSERT_EQUAL(check(S_IFREG | 0600, 1000, SIZE, 0, 999, "not by uid 0 or 999"), -EPERM);
	CU_ASSERT_EQUAL(check(S_IFREG | 0660, 999, SIZE, 0, 999, "group 995"), -EPERM);
}

/*
 * Truncate a guarded mapping: the next read finds zeros instead of raising
 * SIGBUS, the quit flag is set, and an unguarded truncated mapping elsewhere
 * is not the guard's business (not tested: it would kill the test).
 */
static void
test_guard_truncation(void)
{
	static volatile sig_atomic_t quit;
	volatile unsigned char *m;
	long page = sysconf(_SC_PAGESIZE);
	size_t len = 3 * (size_t)page;
	int fd = memfd_create("shmcheck", MFD_CLOEXEC);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(ftruncate(fd, (off_t)len) == 0);
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CU_ASSERT_FATAL(m != MAP_FAILED);
	memset((void *)m, 0xa5, len);
	CU_ASSERT_EQUAL(shm_guard((void *)m, len, "test: the guard tripped, as it should", &quit),
			0);
	CU_ASSERT_EQUAL(shm_guard_tripped(), 0);
	CU_ASSERT_EQUAL(m[len - 1], 0xa5);

	CU_ASSERT_FATAL(ftruncate(fd, 0) == 0);
	/* past the new end of the object: SIGBUS without the guard */
	CU_ASSERT_EQUAL(m[page + 8], 0);
	CU_ASSERT_EQUAL(shm_guard_tripped(), 1);
	CU_ASSERT_EQUAL(quit, 1);
	/* the whole range is zeros now, and writable (the dataplane's counters) */
	CU_ASSERT_EQUAL(m[0], 0);
	CU_ASSERT_EQUAL(m[len - 1], 0);
	m[len - 1] = 7;
	CU_ASSERT_EQUAL(m[len - 1], 7);
	/* the object itself stays as it was left: the guard never resizes it */
	CU_ASSERT_EQUAL(lseek(fd, 0, SEEK_END), 0);
	munmap((void *)m, len);
	close(fd);
}

/* In a child: a SIGBUS that is not the guarded object's still kills. */
static int
child_status(int sent)
{
	static volatile sig_atomic_t quit;
	long page = sysconf(_SC_PAGESIZE);
	int st = 0;
	pid_t pid = fork();

	if (pid == 0) {
		volatile unsigned char *guarded, *other;
		int fd = memfd_create("other", MFD_CLOEXEC);

		guarded = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (fd < 0 || ftruncate(fd, page) != 0 || guarded == MAP_FAILED)
			_exit(2);
		other = mmap(NULL, (size_t)page, PROT_READ, MAP_SHARED, fd, 0);
		if (other == MAP_FAILED || shm_guard((void *)guarded, (size_t)page, "", &quit) != 0)
			_exit(2);
		if (sent)
			kill(getpid(), SIGBUS);
		else if (ftruncate(fd, 0) == 0 && other[0] == 0)
			_exit(3); /* read zeros: the guard took a fault outside its range */
		_exit(0);
	}
	waitpid(pid, &st, 0);
	return st;
}

static void
test_guard_other_sigbus(void)
{
	int st = child_status(0);

	CU_ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGBUS);
	st = child_status(1);
	CU_ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGBUS);
}

static const struct test_case cases[] = {
	TEST_CASE(test_owner_mode_size),
	TEST_CASE(test_guard_truncation),
	TEST_CASE(test_guard_other_sigbus),
};

CUNIT_MAIN("shmcheck", cases)
