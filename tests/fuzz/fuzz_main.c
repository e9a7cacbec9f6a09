/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A main() for libFuzzer targets where there is no libFuzzer (gcc, or a
 * clang without its runtime): runs the target over every seed named on the
 * command line, files or directories of files, then over pseudo-random
 * mutations of each. The generator has a fixed seed, so a run is the same
 * everywhere and a failure can be replayed (STYLE.md: random tests use fixed
 * seeds). It finds less than libFuzzer, but it runs in every test suite.
 *
 * usage: fuzz_replay [-n MUTATIONS] [-s SEED] PATH...
 * STRATA_FUZZ_MUTATIONS in the environment sets the default of -n.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* as libFuzzer's -max_len in the meson test: headers plus room for extension fields */
#define MAX_LEN 2048

static uint64_t rng_state;
static unsigned long n_mut = 1000;
static unsigned long n_runs;

/* splitmix64: tiny, and good enough to pick bytes to change */
static uint64_t
rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static size_t
below(size_t n)
{
	return n ? (size_t)(rng() % n) : 0;
}

/*
 * One to four edits in the style of libFuzzer's mutators: flip a bit, store
 * an interesting or random byte, overwrite a big-endian 16-bit field (ports,
 * lengths, EtherTypes), insert, erase or truncate. Returns the new length.
 */
static size_t
mutate(uint8_t *b, size_t len)
{
	static const uint8_t special[] = { 0, 1, 3, 4, 0x7f, 0x80, 0xff, 0x45, 0x23, 0x1b, 17 };
	static const uint16_t field[] = { 0, 1, 7, 8, 48, 56, 123, 0x0800, 0x86dd, 0x8100, 0xffff };
	int k, edits = 1 + (int)below(4);
	size_t pos, n, i;

	for (k = 0; k < edits; k++) {
		pos = below(len);
		switch (below(7)) {
		case 0:
			if (len)
				b[pos] ^= (uint8_t)(1u << below(8));
			break;
		case 1:
			if (len)
				b[pos] = special[below(sizeof(special))];
			break;
		case 2:
			if (len)
				b[pos] = (uint8_t)rng();
			break;
		case 3:
			if (len >= 2) {
				uint16_t v = field[below(sizeof(field) / sizeof(field[0]))];

				pos = below(len - 1);
				b[pos] = (uint8_t)(v >> 8);
				b[pos + 1] = (uint8_t)v;
			}
			break;
		case 4:
			n = 1 + below(8);
			if (len + n <= MAX_LEN) {
				memmove(b + pos + n, b + pos, len - pos);
				for (i = 0; i < n; i++)
					b[pos + i] = (uint8_t)rng();
				len += n;
			}
			break;
		case 5:
			if (len) {
				n = 1 + below(len - pos);
				memmove(b + pos, b + pos + n, len - pos - n);
				len -= n;
			}
			break;
		default:
			len = below(len + 1);
			break;
		}
	}
	return len;
}

static int
run_file(const char *path)
{
	uint8_t seed[MAX_LEN], buf[MAX_LEN];
	size_t len, n;
	unsigned long i;
	FILE *f;

	f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	len = fread(seed, 1, sizeof(seed), f);
	fclose(f);

	/* the target copies the input to a buffer of exactly its size itself */
	LLVMFuzzerTestOneInput(seed, len);
	n_runs++;
	for (i = 0; i < n_mut; i++) {
		memcpy(buf, seed, len);
		n = mutate(buf, len);
		LLVMFuzzerTestOneInput(buf, n);
		n_runs++;
	}
	return 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Files of a directory in name order, so that the run does not depend on readdir. */
static int
run_dir(const char *dir)
{
	char **names = NULL, path[4096];
	size_t n = 0, i;
	struct dirent *de;
	int ret = 0;
	DIR *d;

	d = opendir(dir);
	if (d == NULL) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		char **tmp;

		if (de->d_name[0] == '.')
			continue;
		tmp = realloc(names, (n + 1) * sizeof(*names));
		if (tmp == NULL) {
			ret = -1;
			goto out;
		}
		names = tmp;
		names[n] = strdup(de->d_name);
		if (names[n] == NULL) {
			ret = -1;
			goto out;
		}
		n++;
	}
	if (n > 0)
		qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n && ret == 0; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		ret = run_file(path);
	}
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return ret;
}

int
main(int argc, char **argv)
{
	const char *env = getenv("STRATA_FUZZ_MUTATIONS");
	unsigned long seed = 1;
	int c, i;

	if (env != NULL)
		n_mut = strtoul(env, NULL, 0);
	while ((c = getopt(argc, argv, "n:s:")) != -1) {
		switch (c) {
		case 'n':
			n_mut = strtoul(optarg, NULL, 0);
			break;
		case 's':
			seed = strtoul(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: %s [-n MUTATIONS] [-s SEED] PATH...\n", argv[0]);
			return 2;
		}
	}
	rng_state = seed;
	for (i = optind; i < argc; i++) {
		struct stat st;
		int ret;

		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		ret = S_ISDIR(st.st_mode) ? run_dir(argv[i]) : run_file(argv[i]);
		if (ret != 0)
			return 1;
	}
	if (n_runs == 0) {
		fprintf(stderr, "%s: no input\n", argv[0]);
		return 2;
	}
	printf("%lu inputs, no invariant violated\n", n_runs);
	return 0;
}
