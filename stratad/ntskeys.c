/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The master keys' life: a text file that servers sharing cookies can copy
 * (docs/nts.md, "Master keys"), a ring of the newest NTS_MAX_MASTER_KEYS in
 * memory, and its copy in the shared memory. RFC 8915 section 6 leaves the
 * cookie keys to the server; as chrony, one key seals new cookies and the
 * previous ones still open the cookies clients hold, so that a rotation
 * never costs a client its cookies (it gets fresh ones with every reply).
 */
#include "ntskeys.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "outbuf.h"

#define LINE_MAX_LEN 255
#define HEADER "strata-ntskeys"
#define KEY_HINT "KEYID CREATED KEY: 8 hex digits, UNIX seconds, 64 hex digits"

static int fail(char *err, size_t errlen, const char *name, unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int
fail(char *err, size_t errlen, const char *name, unsigned int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	out_verror(err, errlen, name, line, fmt, ap);
	va_end(ap);
	return -1;
}

static int
hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Exactly @len hex digits into @out (len / 2 octets). */
static int
unhex(const char *s, size_t len, uint8_t *out)
{
	size_t i;

	if (strlen(s) != len)
		return -1;
	for (i = 0; i < len; i += 2) {
		int hi = hexval(s[i]), lo = hexval(s[i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* Insert @key keeping k[] oldest first; equal times keep file order (the later is newer). */
static void
insert(struct strata_nts_key *k, unsigned int *n, const struct strata_nts_key *key)
{
	unsigned int i = *n;

	while (i > 0 && k[i - 1].created > key->created) {
		k[i] = k[i - 1];
		i--;
	}
	k[i] = *key;
	(*n)++;
}

/* One key line into @key; @return 0 or -1 after fail(). */
static int
parse_key(const char *name, unsigned int line, char *s, struct strata_nts_key *key, char *err,
	  size_t errlen)
{
	char *w[4], *save = NULL, *end;
	uint8_t id[4];
	unsigned long long created;
	int n = 0;

	for (char *t = strtok_r(s, " \t", &save); t != NULL; t = strtok_r(NULL, " \t", &save))
		if (n < 4)
			w[n++] = t;
		else
			n++;
	if (n != 3)
		return fail(err, errlen, name, line,
			    "expected 3 words, got %d (hint: " KEY_HINT ")", n);
	if (unhex(w[0], 8, id) != 0)
		return fail(err, errlen, name, line,
			    "key ID '%s' is not 8 hex digits (hint: " KEY_HINT ")", w[0]);
	memset(key, 0, sizeof(*key));
	key->id = (uint32_t)id[0] << 24 | (uint32_t)id[1] << 16 | (uint32_t)id[2] << 8 | id[3];
	if (key->id == 0)
		return fail(err, errlen, name, line,
			    "key ID 00000000 is not a key ID (hint: IDs are never 0)");
	errno = 0;
	created = strtoull(w[1], &end, 10);
	if (w[1][0] < '0' || w[1][0] > '9' || *end != '\0' || errno != 0 || created > INT64_MAX)
		return fail(err, errlen, name, line,
			    "created '%s' is not a number of UNIX seconds (hint: " KEY_HINT ")",
			    w[1]);
	key->created = created;
	if (unhex(w[2], 2 * NTS_MASTER_KEY_LEN, key->key) != 0)
		return fail(err, errlen, name, line,
			    "the key is not %d hex digits (%zu characters) (hint: " KEY_HINT ")",
			    2 * NTS_MASTER_KEY_LEN, strlen(w[2]));
	return 0;
}

int
ntskeys_parse(const char *name, FILE *f, struct strata_nts_keyring *ring, char *err, size_t errlen)
{
	/* more than kept: a file may hold older keys; the newest win */
	struct strata_nts_key all[64];
	unsigned int lines[64], n = 0, line = 0, i, j;
	char buf[LINE_MAX_LEN + 2];
	int header = 0, ret = -1;

	memset(ring, 0, sizeof(*ring));
	while (fgets(buf, sizeof(buf), f) != NULL) {
		size_t len = strlen(buf);
		char *s = buf;

		line++;
		if (len > 0 && buf[len - 1] == '\n')
			buf[--len] = '\0';
		else if (!feof(f)) {
			fail(err, errlen, name, line,
			     "line longer than %d characters (hint: " KEY_HINT ")", LINE_MAX_LEN);
			goto out;
		}
		if (strlen(buf) != len) {
			fail(err, errlen, name, line, "a NUL byte (hint: this is a text file)");
			goto out;
		}
		s += strspn(s, " \t");
		if (*s == '\0' || *s == '#')
			continue;
		if (!header) {
			unsigned long v;
			char *end;

			if (strncmp(s, HEADER, strlen(HEADER)) != 0 ||
			    strchr(" \t", s[strlen(HEADER)]) == NULL || s[strlen(HEADER)] == '\0') {
				fail(err, errlen, name, line,
				     "not a strata NTS key file (hint: its first line is '" HEADER
				     " %d')",
				     NTSKEYS_VERSION);
				goto out;
			}
			s += strlen(HEADER);
			s += strspn(s, " \t");
			errno = 0;
			v = strtoul(s, &end, 10);
			end += strspn(end, " \t");
			if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 ||
			    v != NTSKEYS_VERSION) {
				fail(err, errlen, name, line,
				     "unknown key file version '%s' (hint: this stratad reads "
				     "version %d: a newer stratad wrote it?)",
				     s, NTSKEYS_VERSION);
				goto out;
			}
			header = 1;
			continue;
		}
		if (n == STRATA_ARRAY_SIZE(all)) {
			fail(err, errlen, name, line, "more than %zu keys (hint: %d are kept)",
			     STRATA_ARRAY_SIZE(all), NTS_MAX_MASTER_KEYS);
			goto out;
		}
		if (parse_key(name, line, s, &all[n], err, errlen) != 0)
			goto out;
		for (i = 0; i < n; i++)
			if (all[i].id == all[n].id) {
				fail(err, errlen, name, line,
				     "key ID %08x is already on line %u (hint: a key ID names one "
				     "key: remove one of them)",
				     all[n].id, lines[i]);
				goto out;
			}
		lines[n++] = line;
	}
	if (ferror(f)) {
		fail(err, errlen, name, line, "cannot read: %s", strerror(errno));
		goto out;
	}
	if (!header) {
		fail(err, errlen, name, 0,
		     "empty: no '" HEADER " %d' line (hint: stratad writes "
		     "it with ntsrotate > 0)",
		     NTSKEYS_VERSION);
		goto out;
	}
	/* sort all, keep the newest NTS_MAX_MASTER_KEYS */
	{
		struct strata_nts_key sorted[STRATA_ARRAY_SIZE(all)];
		unsigned int m = 0;

		for (i = 0; i < n; i++)
			insert(sorted, &m, &all[i]);
		j = m > NTS_MAX_MASTER_KEYS ? m - NTS_MAX_MASTER_KEYS : 0;
		for (i = j; i < m; i++)
			ring->k[ring->n++] = sorted[i];
		explicit_bzero(sorted, sizeof(sorted));
	}
	ring->current = ring->n > 0 ? ring->n - 1 : 0;
	ret = 0;
out:
	explicit_bzero(all, sizeof(all));
	explicit_bzero(buf, sizeof(buf));
	if (ret != 0)
		explicit_bzero(ring, sizeof(*ring));
	return ret;
}

int
ntskeys_load(const char *path, struct strata_nts_keyring *ring, char *err, size_t errlen)
{
	struct stat st;
	FILE *f;
	int ret;

	f = fopen(path, "re");
	if (f == NULL) {
		int e = errno;

		snprintf(err, errlen, "%s: cannot open: %s%s", path, strerror(e),
			 e == EACCES ? " (hint: stratad reads it as its user after the privilege "
				       "drop: chown it to that user, mode 0600)"
				     : "");
		return -e;
	}
	/* the keys open every cookie: anyone who reads them can pose as this server */
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077) != 0)
		log_warn("%s: mode %04o: readable by others than its owner (hint: chmod 600 %s)",
			 path, (unsigned int)(st.st_mode & 07777), path);
	ret = ntskeys_parse(path, f, ring, err, errlen);
	fclose(f);
	return ret;
}

static int
sync_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, err = 0;

	snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) != 0)
		err = -errno;
	close(fd);
	return err;
}

int
ntskeys_write(const char *path, const struct strata_nts_keyring *ring)
{
	char tmp[PATH_MAX];
	unsigned int i, j;
	FILE *f;
	int fd, err = 0;

	/* same directory: rename() is atomic only within one file system */
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	/* mkostemp() makes it 0600: the keys are never readable by others, not even briefly */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (f == NULL) {
		err = -errno;
		close(fd);
		goto out;
	}
	fprintf(f,
		"# strata NTS master keys (docs/nts.md). Keep secret: mode 0600.\n" HEADER
		" %d\n# key-id(hex) created(UNIX s) key(64 hex digits)\n",
		NTSKEYS_VERSION);
	for (i = 0; i < ring->n; i++) {
		fprintf(f, "%08x %llu ", ring->k[i].id, (unsigned long long)ring->k[i].created);
		for (j = 0; j < NTS_MASTER_KEY_LEN; j++)
			fprintf(f, "%02x", ring->k[i].key[j]);
		fputc('\n', f);
	}
	if (fflush(f) != 0 || ferror(f) || fsync(fd) != 0)
		err = -errno;
	if (fclose(f) != 0 && err == 0)
		err = -errno;
	if (err == 0 && rename(tmp, path) != 0)
		err = -errno;
out:
	if (err != 0) {
		unlink(tmp);
		return err != 0 ? err : -EIO;
	}
	return sync_dir(path);
}

int
ntskeys_add(struct strata_nts_keyring *ring, uint64_t now)
{
	struct strata_nts_key key = {.created = now};
	unsigned int i;

	for (;;) {
		if (getrandom(&key.id, sizeof(key.id), 0) != sizeof(key.id))
			return -errno;
		/* 0 names no key; a repeated ID would make old cookies open under the new key */
		for (i = 0; i < ring->n && ring->k[i].id != key.id; i++)
			;
		if (key.id != 0 && i == ring->n)
			break;
	}
	if (getrandom(key.key, sizeof(key.key), 0) != sizeof(key.key))
		return -errno;
	if (ring->n == NTS_MAX_MASTER_KEYS) {
		memmove(&ring->k[0], &ring->k[1], (NTS_MAX_MASTER_KEYS - 1) * sizeof(ring->k[0]));
		ring->n--;
	}
	ring->k[ring->n++] = key;
	ring->current = ring->n - 1;
	explicit_bzero(&key, sizeof(key));
	return 0;
}

/*
 * The writer's side of the sequence count (nts.h), as the configuration's
 * (channel.c): odd before any field changes (the release fence orders the
 * store before the copy), even again only after all have (release store).
 * Readers load the count with acquire, copy, fence, and load it again.
 */
void
ntskeys_publish(struct strata_nts_keyring *dst, const struct strata_nts_keyring *ring)
{
	__u32 seq = __atomic_load_n(&dst->seq, __ATOMIC_RELAXED);
	__u64 gen = dst->gen + 1; /* on from what an earlier stratad left: readers see a change */

	seq |= 1; /* a stratad that died mid-write left it odd already */
	__atomic_store_n(&dst->seq, seq, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	dst->n = ring->n;
	dst->current = ring->current;
	memcpy(dst->k, ring->k, sizeof(dst->k));
	dst->gen = gen;
	__atomic_store_n(&dst->seq, seq + 1, __ATOMIC_RELEASE);
}

static int
same_keys(const struct strata_nts_keyring *a, const struct strata_nts_keyring *b)
{
	return a->n == b->n && a->current == b->current &&
	       memcmp(a->k, b->k, a->n * sizeof(a->k[0])) == 0;
}

/* The keys in effect: none when NTS is off; published when they differ from the shm's. */
static void
publish(struct ntskeys *k)
{
	static const struct strata_nts_keyring none;
	const struct strata_nts_keyring *r = k->on ? &k->ring : &none;

	if (same_keys(k->shm, r) && (k->shm->seq & 1) == 0)
		return;
	ntskeys_publish(k->shm, r);
	if (k->on && r->n > 0)
		log_info("NTS master keys: %u, current %08x (generation %llu)", r->n,
			 r->k[r->current].id, (unsigned long long)k->shm->gen);
	else if (k->on)
		log_warn("NTS master keys: none: NTS requests are dropped (drop_no_keys) and "
			 "NTS-KE answers an error (hint: copy the key file to %s and reload, or "
			 "set ntsrotate > 0 on one server)",
			 k->path);
}

static void
set_path(struct ntskeys *k, const struct cfg *c)
{
	snprintf(k->path, sizeof(k->path), "%s%s" CFG_NTS_KEYFILE, c->nts.dumpdir,
		 strcmp(c->nts.dumpdir, "/") == 0 ? "" : "/");
}

int
ntskeys_check(const struct cfg *c, char *err, size_t errlen)
{
	static struct ntskeys k;
	static struct strata_nts_keyring ring;
	int ret;

	if (!cfg_nts_on(c))
		return 0;
	set_path(&k, c);
	ret = ntskeys_load(k.path, &ring, err, errlen);
	explicit_bzero(&ring, sizeof(ring));
	/* none yet, or root's: the start sees to it */
	return ret == -ENOENT || ret == -EACCES ? 0 : ret;
}

int64_t
ntskeys_next_rotation(const struct ntskeys *k)
{
	if (!k->on || k->rotate == 0 || k->ring.n == 0)
		return 0;
	return (int64_t)k->ring.k[k->ring.current].created + k->rotate;
}

/* A new key when the current one is due, or when there is none; the file follows. */
static void
rotate(struct ntskeys *k, int64_t now)
{
	int64_t due = ntskeys_next_rotation(k);
	int err;

	if (!k->on || k->rotate == 0)
		return;
	/* a key from the future by more than a period: the clock was wrong when it was made */
	if (k->ring.n > 0 && now >= 0 && now < due && due - now <= (int64_t)k->rotate)
		return;
	err = ntskeys_add(&k->ring, (uint64_t)now);
	if (err != 0) {
		log_warn("NTS master keys: no random key: %s; the current one stays",
			 strerror(-err));
		return;
	}
	k->dirty = 1;
	k->write_after = 0;
	publish(k);
}

/*
 * The file into k->ring; a missing or empty one leaves no keys, logged. With
 * @keep (a reload of a reader that has keys) a missing file is an error: one
 * being replaced by a copy that is not atomic must not drop every key.
 */
static int
load(struct ntskeys *k, int keep, char *err, size_t errlen)
{
	static struct strata_nts_keyring ring;
	int ret = ntskeys_load(k->path, &ring, err, errlen);

	if (ret == -ENOENT && keep)
		return -1;
	if (ret == -ENOENT && k->rotate > 0) {
		log_info("%s: no key file yet: stratad makes the first key", k->path);
		memset(&k->ring, 0, sizeof(k->ring));
		return 0;
	}
	if (ret == -ENOENT) {
		log_warn("%s", err);
		memset(&k->ring, 0, sizeof(k->ring));
		return 0;
	}
	if (ret != 0)
		return -1;
	if (ring.n == 0)
		log_warn("%s: no keys in the file: NTS requests are dropped (drop_no_keys) "
			 "(hint: copy the file of the server that generates them)",
			 k->path);
	k->ring = ring;
	explicit_bzero(&ring, sizeof(ring));
	return 0;
}

int
ntskeys_init(struct ntskeys *k, const struct cfg *c, struct strata_nts_keyring *shm, int64_t now,
	     char *err, size_t errlen)
{
	memset(k, 0, sizeof(*k));
	k->shm = shm;
	k->on = cfg_nts_on(c);
	k->rotate = c->nts.rotate;
	set_path(k, c);
	if (k->on && load(k, 0, err, errlen) != 0)
		return -1;
	rotate(k, now);
	publish(k);
	return 0;
}

void
ntskeys_tick(struct ntskeys *k, int64_t now)
{
	int err;

	rotate(k, now);
	if (!k->dirty || now < k->write_after || !k->on || k->rotate == 0)
		return;
	err = ntskeys_write(k->path, &k->ring);
	if (err == 0) {
		k->dirty = 0;
		log_info("%s: %u NTS master key%s written", k->path, k->ring.n,
			 k->ring.n == 1 ? "" : "s");
		return;
	}
	/* cookies sealed under a key that is lost with a restart are refused with a NAK */
	k->write_after = now + NTSKEYS_RETRY_S;
	log_warn("%s: cannot write the NTS master keys: %s (hint: its directory must be "
		 "writable by stratad's user; a restart would make new keys and clients would "
		 "need a new NTS-KE); retrying in %d s",
		 k->path, strerror(-err), NTSKEYS_RETRY_S);
}

int
ntskeys_reload(struct ntskeys *k, const struct cfg *c, int64_t now, char *err, size_t errlen)
{
	int was_on = k->on, ret = 0;

	k->on = cfg_nts_on(c);
	k->rotate = c->nts.rotate;
	/* the file is the shared truth for readers, and ours once NTS is turned on */
	if (k->on && (k->rotate == 0 || !was_on)) {
		ret = load(k, was_on && k->ring.n > 0, err, errlen);
		if (ret != 0)
			log_warn("NTS master keys: %s; the running keys stay", err);
	}
	rotate(k, now);
	publish(k);
	return ret;
}
