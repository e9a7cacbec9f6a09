/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NTS master keys (stratad/ntskeys.c): the key file's good and bad forms
 * with their FILE:LINE messages, rotation order and pruning, the schedule
 * kept across restarts, ntsrotate 0 (read only, at start and reload), the
 * atomic write's round trip and mode, and the publication's generation.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ntskeys.h"

#include "cunit_main.h"

#define NAME "ntskeys"
#define K0 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define K1 "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
#define HDR "# comment\nstrata-ntskeys 1\n"
#define T0 1796000000LL

static char dir[64];

static int
parse(const char *text, struct strata_nts_keyring *ring, char *err, size_t errlen)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int ret;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	ret = ntskeys_parse(NAME, f, ring, err, errlen);
	fclose(f);
	return ret;
}

static void
test_parse_good(void)
{
	static struct strata_nts_keyring r;
	char err[256] = "";

	CU_ASSERT_EQUAL_FATAL(parse(HDR "# key-id created key\n"
					"5f3a9c01 1796000000 " K0 "\n"
					"\n"
					"  0000000A\t1796000100 " K1 "  \n",
				    &r, err, sizeof(err)),
			      0);
	CU_ASSERT_EQUAL(r.n, 2);
	CU_ASSERT_EQUAL(r.current, 1);
	CU_ASSERT_EQUAL(r.k[0].id, 0x5f3a9c01);
	CU_ASSERT_EQUAL(r.k[0].created, 1796000000);
	CU_ASSERT_EQUAL(r.k[0].key[0], 0x00);
	CU_ASSERT_EQUAL(r.k[0].key[31], 0xff);
	CU_ASSERT_EQUAL(r.k[1].id, 10);
	CU_ASSERT_EQUAL(r.k[1].key[0], 0xff);

	/* the newest created is current, whatever the order in the file */
	CU_ASSERT_EQUAL_FATAL(parse(HDR "00000002 300 " K1 "\n00000001 100 " K0 "\n00000003 200 " K0
					"\n",
				    &r, err, sizeof(err)),
			      0);
	CU_ASSERT_EQUAL(r.n, 3);
	CU_ASSERT_EQUAL(r.k[0].id, 1);
	CU_ASSERT_EQUAL(r.k[1].id, 3);
	CU_ASSERT_EQUAL(r.k[r.current].id, 2);

	/* more than kept: the newest NTS_MAX_MASTER_KEYS */
	CU_ASSERT_EQUAL_FATAL(parse(HDR "00000001 1 " K0 "\n00000002 2 " K0 "\n00000003 3 " K0
					"\n00000004 4 " K0 "\n00000005 5 " K0 "\n00000006 6 " K0
					"\n",
				    &r, err, sizeof(err)),
			      0);
	CU_ASSERT_EQUAL(r.n, NTS_MAX_MASTER_KEYS);
	CU_ASSERT_EQUAL(r.k[0].id, 3);
	CU_ASSERT_EQUAL(r.k[r.current].id, 6);

	/* a file without keys is valid: NTS then drops requests (drop_no_keys) */
	CU_ASSERT_EQUAL(parse(HDR, &r, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(r.n, 0);
}

static void
test_parse_bad(void)
{
	static const struct {
		const char *text;
		const char *want;
	} bad[] = {
		{"", NAME ": empty: no 'strata-ntskeys 1' line"},
		{"# only\n", NAME ": empty"},
		{"strata-keys 1\n", NAME ":1: not a strata NTS key file"},
		{"strata-ntskeys\n", NAME ":1: not a strata NTS key file"},
		{HDR "strata-ntskeys 1\n", NAME ":3: expected 3 words, got 2"},
		{"strata-ntskeys 2\n", NAME ":1: unknown key file version '2'"},
		{"strata-ntskeys 1x\n", NAME ":1: unknown key file version"},
		{HDR "5f3a9c01 1796000000\n", NAME ":3: expected 3 words, got 2"},
		{HDR "5f3a9c01 1796000000 " K0 " extra\n", NAME ":3: expected 3 words, got 4"},
		{HDR "5f3a9c0 1796000000 " K0 "\n", NAME ":3: key ID '5f3a9c0' is not 8 hex"},
		{HDR "5f3a9c0g 1796000000 " K0 "\n", NAME ":3: key ID '5f3a9c0g'"},
		{HDR "00000000 1796000000 " K0 "\n", NAME ":3: key ID 00000000 is not a key ID"},
		{HDR "5f3a9c01 -1 " K0 "\n", NAME ":3: created '-1' is not a number"},
		{HDR "5f3a9c01 17e8 " K0 "\n", NAME ":3: created '17e8'"},
		{HDR "5f3a9c01 99999999999999999999 " K0 "\n", NAME ":3: created"},
		{HDR "5f3a9c01 1 " K0 "0\n",
		 NAME ":3: the key is not 64 hex digits (65 characters)"},
		{HDR "5f3a9c01 1 0011\n", NAME ":3: the key is not 64 hex digits (4 characters)"},
		{HDR "5f3a9c01 1 g" K0 "\n", NAME ":3: the key is not 64 hex digits (65"},
		{HDR
		 "5f3a9c01 1 g0112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n",
		 NAME ":3: the key is not 64 hex digits (64 characters)"},
		{HDR "00000001 1 " K0 "\n\n00000001 2 " K1 "\n",
		 NAME ":5: key ID 00000001 is already on line 3"},
	};
	static struct strata_nts_keyring r;
	char err[256], longline[400];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&r, 0xa5, sizeof(r));
		if (parse(bad[i].text, &r, err, sizeof(err)) == -1 &&
		    strncmp(err, bad[i].want, strlen(bad[i].want)) == 0 && r.n == 0) {
			CU_PASS("refused");
			continue;
		}
		printf("\nfile:\n%s\nwant \"%s\"\ngot  \"%s\"\n", bad[i].text, bad[i].want, err);
		CU_FAIL("wrong error");
	}
	snprintf(longline, sizeof(longline), HDR "00000001 1 %0300d\n", 0);
	CU_ASSERT_EQUAL(parse(longline, &r, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, NAME ":3: line longer than"));
}

/* Each rotation adds a newest current key; the oldest goes beyond NTS_MAX_MASTER_KEYS. */
static void
test_rotation_order(void)
{
	static struct strata_nts_keyring r;
	__u32 ids[NTS_MAX_MASTER_KEYS + 2];
	unsigned int i, j;

	memset(&r, 0, sizeof(r));
	for (i = 0; i < NTS_MAX_MASTER_KEYS + 2; i++) {
		CU_ASSERT_EQUAL_FATAL(ntskeys_add(&r, 1000 + i), 0);
		ids[i] = r.k[r.current].id;
		CU_ASSERT_NOT_EQUAL(ids[i], 0);
		CU_ASSERT_EQUAL(r.k[r.current].created, 1000 + i);
		CU_ASSERT_EQUAL(r.current, r.n - 1);
		CU_ASSERT_EQUAL(r.n, i + 1 < NTS_MAX_MASTER_KEYS ? i + 1 : NTS_MAX_MASTER_KEYS);
		for (j = 0; j + 1 < r.n; j++) {
			CU_ASSERT(r.k[j].created < r.k[j + 1].created);
			CU_ASSERT_NOT_EQUAL(r.k[j].id, r.k[r.current].id);
			CU_ASSERT(memcmp(r.k[j].key, r.k[r.current].key, NTS_MASTER_KEY_LEN) != 0);
		}
	}
	/* the newest four, oldest first */
	for (j = 0; j < NTS_MAX_MASTER_KEYS; j++)
		CU_ASSERT_EQUAL(r.k[j].id, ids[j + 2]);
}

static void
test_write_round_trip(void)
{
	static struct strata_nts_keyring r, back;
	char path[128], err[256];
	struct stat st;
	struct dirent *de;
	DIR *dp;
	int n = 0;

	snprintf(path, sizeof(path), "%s/ntskeys", dir);
	memset(&r, 0, sizeof(r));
	CU_ASSERT_EQUAL(ntskeys_write(path, &r), 0);
	CU_ASSERT_EQUAL(ntskeys_load(path, &back, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(back.n, 0);
	CU_ASSERT_EQUAL(ntskeys_add(&r, T0), 0);
	CU_ASSERT_EQUAL(ntskeys_add(&r, T0 + 60), 0);
	CU_ASSERT_EQUAL(ntskeys_add(&r, T0 + 120), 0);
	CU_ASSERT_EQUAL(ntskeys_write(path, &r), 0);
	CU_ASSERT_EQUAL_FATAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0600);
	CU_ASSERT_EQUAL_FATAL(ntskeys_load(path, &back, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(back.n, 3);
	CU_ASSERT_EQUAL(back.current, 2);
	CU_ASSERT_EQUAL(memcmp(back.k, r.k, sizeof(r.k)), 0);
	/* the temporary file is gone: only ntskeys remains */
	dp = opendir(dir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dp);
	while ((de = readdir(dp)) != NULL)
		if (de->d_name[0] != '.')
			n += strcmp(de->d_name, "ntskeys") == 0 ? 1 : 100;
	closedir(dp);
	CU_ASSERT_EQUAL(n, 1);
	/* a directory that does not exist: an error, and nothing written */
	CU_ASSERT(ntskeys_write("/nonexistent/ntskeys", &r) < 0);
	CU_ASSERT_EQUAL(ntskeys_load("/nonexistent/ntskeys", &back, err, sizeof(err)), -ENOENT);
	unlink(path);
}

/* A configuration with NTS on, ntsrotate @rotate, the keys in dir. */
static void
make_cfg(struct cfg *c, unsigned int rotate, int on)
{
	memset(c, 0, sizeof(*c));
	if (on) {
		snprintf(c->nts.cert, sizeof(c->nts.cert), "/c");
		snprintf(c->nts.key, sizeof(c->nts.key), "/k");
	}
	c->nts.rotate = rotate;
	snprintf(c->nts.dumpdir, sizeof(c->nts.dumpdir), "%s", dir);
}

/* Generation, rotation on schedule, the schedule kept by a restart, pruning. */
static void
test_generator(void)
{
	static struct strata_nts_keyring shm;
	static struct ntskeys k, k2;
	static struct cfg c;
	char path[128], err[256];
	__u32 first;
	struct stat st;
	__u64 gen;

	snprintf(path, sizeof(path), "%s/ntskeys", dir);
	memset(&shm, 0, sizeof(shm));
	make_cfg(&c, 3600, 1);
	CU_ASSERT_EQUAL_FATAL(ntskeys_init(&k, &c, &shm, T0, err, sizeof(err)), 0);
	/* the first key, published, and written by the first tick (after the privilege drop) */
	CU_ASSERT_EQUAL(shm.n, 1);
	CU_ASSERT_EQUAL(shm.seq % 2, 0);
	CU_ASSERT_EQUAL(shm.gen, 1);
	first = shm.k[shm.current].id;
	CU_ASSERT_NOT_EQUAL(stat(path, &st), 0);
	ntskeys_tick(&k, T0 + 1);
	CU_ASSERT_EQUAL_FATAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0600);
	CU_ASSERT_EQUAL(ntskeys_next_rotation(&k), T0 + 3600);
	/* not due: nothing changes */
	ntskeys_tick(&k, T0 + 3599);
	CU_ASSERT_EQUAL(shm.gen, 1);
	/* due: a new current key, the old one kept */
	ntskeys_tick(&k, T0 + 3600);
	CU_ASSERT_EQUAL(shm.gen, 2);
	CU_ASSERT_EQUAL(shm.n, 2);
	CU_ASSERT_EQUAL(shm.k[0].id, first);
	CU_ASSERT_NOT_EQUAL(shm.k[shm.current].id, first);
	CU_ASSERT_EQUAL(ntskeys_next_rotation(&k), T0 + 7200);

	/* a restart keeps the keys and the schedule; the shm's generation goes on */
	CU_ASSERT_EQUAL_FATAL(ntskeys_init(&k2, &c, &shm, T0 + 3700, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(shm.gen, 2); /* the same keys: no change for the readers */
	CU_ASSERT_EQUAL(memcmp(k2.ring.k, k.ring.k, sizeof(k.ring.k)), 0);
	CU_ASSERT_EQUAL(ntskeys_next_rotation(&k2), T0 + 7200);
	/* down for longer than a period: one rotation at start, not one per period missed */
	memset(&shm, 0, sizeof(shm));
	shm.gen = 7;
	CU_ASSERT_EQUAL_FATAL(ntskeys_init(&k2, &c, &shm, T0 + 100000, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(shm.n, 3);
	CU_ASSERT_EQUAL(shm.gen, 8);
	CU_ASSERT_EQUAL(shm.k[shm.current].created, T0 + 100000);
	/* pruning: the ring never holds more than NTS_MAX_MASTER_KEYS */
	ntskeys_tick(&k2, T0 + 200000);
	ntskeys_tick(&k2, T0 + 300000);
	CU_ASSERT_EQUAL(shm.n, NTS_MAX_MASTER_KEYS);
	CU_ASSERT_EQUAL(shm.k[0].id, k.ring.k[1].id);
	CU_ASSERT_EQUAL(shm.k[shm.current].created, T0 + 300000);
	/* the file follows */
	CU_ASSERT_EQUAL(ntskeys_load(path, &k.ring, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(memcmp(k.ring.k, shm.k, sizeof(shm.k)), 0);

	/* NTS off by reload: nothing published; on again: the file read again */
	make_cfg(&c, 3600, 0);
	CU_ASSERT_EQUAL(ntskeys_reload(&k2, &c, T0 + 300001, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(shm.n, 0);
	CU_ASSERT_EQUAL(ntskeys_next_rotation(&k2), 0);
	gen = shm.gen;
	make_cfg(&c, 3600, 1);
	CU_ASSERT_EQUAL(ntskeys_reload(&k2, &c, T0 + 300002, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(shm.n, NTS_MAX_MASTER_KEYS);
	CU_ASSERT_EQUAL(shm.gen, gen + 1);
	unlink(path);
}

/* ntsrotate 0: never generates or writes; reads at start and at every reload. */
static void
test_reader(void)
{
	static struct strata_nts_keyring shm;
	static struct ntskeys k;
	static struct cfg c;
	char path[128], moved[128], err[256];
	struct stat st;
	FILE *f;
	__u64 gen;

	snprintf(path, sizeof(path), "%s/ntskeys", dir);
	memset(&shm, 0, sizeof(shm));
	make_cfg(&c, 0, 1);
	/* no file: no keys, no error, nothing written even much later */
	CU_ASSERT_EQUAL_FATAL(ntskeys_init(&k, &c, &shm, T0, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(shm.n, 0);
	ntskeys_tick(&k, T0 + 10 * 86400);
	CU_ASSERT_EQUAL(shm.n, 0);
	CU_ASSERT_NOT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(ntskeys_next_rotation(&k), 0);

	/* the file copied from the generator, then a reload */
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(HDR "0000000a 100 " K0 "\n0000000b 200 " K1 "\n", f);
	fclose(f);
	CU_ASSERT_EQUAL(ntskeys_reload(&k, &c, T0, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(shm.n, 2);
	CU_ASSERT_EQUAL(shm.k[shm.current].id, 0xb);
	gen = shm.gen;
	/* old keys are never rotated by a reader */
	ntskeys_tick(&k, T0 + 100 * 86400);
	CU_ASSERT_EQUAL(shm.gen, gen);
	/* the same file again: no new generation */
	CU_ASSERT_EQUAL(ntskeys_reload(&k, &c, T0, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(shm.gen, gen);
	/* a bad file on reload: refused with its line, the running keys stay */
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(HDR "0000000c 300 " K0 "0\n", f);
	fclose(f);
	CU_ASSERT_EQUAL(ntskeys_reload(&k, &c, T0, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "ntskeys:3: the key is not 64 hex digits"));
	CU_ASSERT_EQUAL(shm.n, 2);
	CU_ASSERT_EQUAL(shm.gen, gen);
	/* the file gone (a copy that is not atomic): the running keys stay too */
	snprintf(moved, sizeof(moved), "%s/moved", dir);
	CU_ASSERT_EQUAL(rename(path, moved), 0);
	CU_ASSERT_EQUAL(ntskeys_reload(&k, &c, T0, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(shm.n, 2);
	CU_ASSERT_EQUAL(ntskeys_check(&c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(rename(moved, path), 0);
	/* and at start, or stratad --check: a configuration error */
	CU_ASSERT_EQUAL(ntskeys_check(&c, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "ntskeys:3:"));
	CU_ASSERT_EQUAL(ntskeys_init(&k, &c, &shm, T0, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "ntskeys:3:"));
	/* a file emptied of keys: published as none */
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(HDR, f);
	fclose(f);
	CU_ASSERT_EQUAL(ntskeys_init(&k, &c, &shm, T0, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(shm.n, 0);
	CU_ASSERT_EQUAL(shm.gen, gen + 1);
	unlink(path);
}

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_ntskeys.XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
}

static void
test_setup(void)
{
	setup();
}

static void
test_cleanup(void)
{
	CU_ASSERT_EQUAL(rmdir(dir), 0);
}

static const struct test_case cases[] = {
	TEST_CASE(test_setup),		TEST_CASE(test_parse_good),	  TEST_CASE(test_parse_bad),
	TEST_CASE(test_rotation_order), TEST_CASE(test_write_round_trip), TEST_CASE(test_generator),
	TEST_CASE(test_reader),		TEST_CASE(test_cleanup),
};

CUNIT_MAIN("ntskeys", cases)
