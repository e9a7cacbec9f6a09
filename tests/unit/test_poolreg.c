/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The registration messages (lib/poolreg.c): round trips, every
 * malformed form refused, a wrong key, truncation and every single bit flip
 * refused, and the key file rules.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "poolreg.h"

#include "cunit_main.h"

static const uint8_t key[32] = "0123456789abcdef0123456789abcdef";
static const uint8_t key2[32] = "0123456789abcdef0123456789abcdeF";

static void
msg(struct poolreg_msg *m)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&m->addr[0];
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&m->addr[1];

	memset(m, 0, sizeof(*m));
	m->type = POOLREG_REGISTER;
	snprintf(m->pool, sizeof(m->pool), "ntp.pool.example.net");
	m->time_ns = 1764000000123456789ULL;
	m->nonce = 0x0102030405060708ULL;
	m->lifetime = 120;
	m->n_addr = 2;
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.10", &sin->sin_addr);
	sin6->sin6_family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::10", &sin6->sin6_addr);
}

static void
test_roundtrip(void)
{
	struct poolreg_msg m, d;
	uint8_t buf[POOLREG_MSG_MAX];
	int len, i;

	msg(&m);
	len = poolreg_encode(&m, key, sizeof(key), buf, sizeof(buf));
	/* 32 header + 20 name + 5 + 17 addresses + 32 MAC */
	CU_ASSERT_EQUAL(len, 32 + 20 + 5 + 17 + 32);
	CU_ASSERT_EQUAL(memcmp(buf, "SPRG\1\1\0\2", 8), 0);
	CU_ASSERT_EQUAL(poolreg_decode(buf, (size_t)len, key, sizeof(key), &d), 0);
	CU_ASSERT_EQUAL(d.type, POOLREG_REGISTER);
	CU_ASSERT_STRING_EQUAL(d.pool, m.pool);
	CU_ASSERT_EQUAL(d.time_ns, m.time_ns);
	CU_ASSERT_EQUAL(d.nonce, m.nonce);
	CU_ASSERT_EQUAL(d.lifetime, 120);
	CU_ASSERT_EQUAL(d.n_addr, 2);
	CU_ASSERT_EQUAL(d.addr[0].ss_family, AF_INET);
	CU_ASSERT_EQUAL(memcmp(&((struct sockaddr_in *)&d.addr[0])->sin_addr,
			       &((struct sockaddr_in *)&m.addr[0])->sin_addr, 4),
			0);
	CU_ASSERT_EQUAL(d.addr[1].ss_family, AF_INET6);
	CU_ASSERT_EQUAL(memcmp(&((struct sockaddr_in6 *)&d.addr[1])->sin6_addr,
			       &((struct sockaddr_in6 *)&m.addr[1])->sin6_addr, 16),
			0);

	/* DEREGISTER: lifetime not carried; ACK with a status and no address */
	m.type = POOLREG_DEREGISTER;
	len = poolreg_encode(&m, key, sizeof(key), buf, sizeof(buf));
	CU_ASSERT_EQUAL(poolreg_decode(buf, (size_t)len, key, sizeof(key), &d), 0);
	CU_ASSERT_EQUAL(d.type, POOLREG_DEREGISTER);
	CU_ASSERT_EQUAL(d.lifetime, 0);
	m.type = POOLREG_ACK;
	m.status = POOLREG_E_UNKNOWN_POOL;
	m.n_addr = 0;
	len = poolreg_encode(&m, key, sizeof(key), buf, sizeof(buf));
	CU_ASSERT_EQUAL(len, 32 + 20 + 32);
	CU_ASSERT_EQUAL(poolreg_decode(buf, (size_t)len, key, sizeof(key), &d), 0);
	CU_ASSERT_EQUAL(d.status, POOLREG_E_UNKNOWN_POOL);
	CU_ASSERT_EQUAL(d.nonce, m.nonce);

	/* the largest message: 16 IPv6 addresses and a 253-octet name */
	msg(&m);
	for (i = 0; i < POOLREG_MAX_ADDRS; i++)
		m.addr[i] = m.addr[1];
	m.n_addr = POOLREG_MAX_ADDRS;
	memset(m.pool, 'a', POOLREG_NAME_MAX);
	for (i = 63; i < POOLREG_NAME_MAX; i += 64)
		m.pool[i] = '.';
	m.pool[POOLREG_NAME_MAX] = '\0';
	len = poolreg_encode(&m, key, sizeof(key), buf, sizeof(buf));
	CU_ASSERT(len > 0 && len <= POOLREG_MSG_MAX);
	CU_ASSERT_EQUAL(poolreg_decode(buf, (size_t)len, key, sizeof(key), &d), 0);
	CU_ASSERT_EQUAL(d.n_addr, POOLREG_MAX_ADDRS);
	CU_ASSERT_EQUAL(strlen(d.pool), POOLREG_NAME_MAX);
	CU_ASSERT_EQUAL(poolreg_encode(&m, key, sizeof(key), buf, (size_t)len - 1), -ENOSPC);
}

static void
test_encode_refuses(void)
{
	struct poolreg_msg m;
	uint8_t buf[POOLREG_MSG_MAX];

	msg(&m);
	m.type = 0;
	CU_ASSERT_EQUAL(poolreg_encode(&m, key, sizeof(key), buf, sizeof(buf)), -EINVAL);
	msg(&m);
	m.lifetime = 0;
	CU_ASSERT_EQUAL(poolreg_encode(&m, key, sizeof(key), buf, sizeof(buf)), -EINVAL);
	msg(&m);
	m.n_addr = 0;
	CU_ASSERT_EQUAL(poolreg_encode(&m, key, sizeof(key), buf, sizeof(buf)), -EINVAL);
	msg(&m);
	m.n_addr = POOLREG_MAX_ADDRS + 1;
	CU_ASSERT_EQUAL(poolreg_encode(&m, key, sizeof(key), buf, sizeof(buf)), -EINVAL);
	msg(&m);
	m.addr[1].ss_family = AF_UNIX;
	CU_ASSERT_EQUAL(poolreg_encode(&m, key, sizeof(key), buf, sizeof(buf)), -EINVAL);
	msg(&m);
	snprintf(m.pool, sizeof(m.pool), "bad..name");
	CU_ASSERT_EQUAL(poolreg_encode(&m, key, sizeof(key), buf, sizeof(buf)), -EINVAL);
	msg(&m);
	m.pool[0] = '\0';
	CU_ASSERT_EQUAL(poolreg_encode(&m, key, sizeof(key), buf, sizeof(buf)), -EINVAL);
	msg(&m);
	CU_ASSERT_EQUAL(poolreg_encode(&m, key, POOLREG_KEY_MIN - 1, buf, sizeof(buf)), -EINVAL);
}

/* Re-sign a message edited after encoding: malformed content behind a valid MAC. */
static size_t
resign(uint8_t *buf, size_t len)
{
	unsigned int n = 32;

	HMAC(EVP_sha256(), key, sizeof(key), buf, len, buf + len, &n);
	return len + 32;
}

static void
test_malformed(void)
{
	struct poolreg_msg m, d;
	uint8_t buf[POOLREG_MSG_MAX + 64], b[POOLREG_MSG_MAX + 64];
	size_t body;
	int len;
	struct {
		const char *what;
		size_t at;
		uint8_t val;
	} edits[] = {
		{"magic", 0, 'X'},
		{"version", 4, 2},
		{"type 0", 5, 0},
		{"type 4", 5, 4},
		{"status on a REGISTER", 6, 1},
		{"more addresses than carried", 7, 3},
		{"fewer addresses than carried", 7, 1},
		{"17 addresses", 7, 17},
		{"no address", 7, 0},
		{"lifetime 0 on a REGISTER", 24, 0},
		{"name longer than the message", 28, 200},
		{"name length 0", 28, 0},
		{"reserved", 29, 1},
		{"reserved", 31, 1},
		{"a space in the name", 32, ' '},
		{"a leading dot in the name", 32, '.'},
		{"address family 5", 52, 5},
		{"address family 6 for an IPv4 address", 52, 6},
	};
	size_t i;

	msg(&m);
	len = poolreg_encode(&m, key, sizeof(key), buf, sizeof(buf));
	body = (size_t)len - 32;
	for (i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		memcpy(b, buf, body);
		if (edits[i].at == 24)
			memset(b + 24, 0, 4);
		b[edits[i].at] = edits[i].val;
		if (poolreg_decode(b, resign(b, body), key, sizeof(key), &d) != -EBADMSG)
			CU_FAIL(edits[i].what);
	}
	/* a lifetime on a DEREGISTER */
	m.type = POOLREG_DEREGISTER;
	len = poolreg_encode(&m, key, sizeof(key), buf, sizeof(buf));
	memcpy(b, buf, (size_t)len - 32);
	b[27] = 1;
	CU_ASSERT_EQUAL(poolreg_decode(b, resign(b, (size_t)len - 32), key, sizeof(key), &d),
			-EBADMSG);
	/* trailing octets before the MAC */
	memcpy(b, buf, (size_t)len - 32);
	b[len - 32] = 0;
	CU_ASSERT_EQUAL(poolreg_decode(b, resign(b, (size_t)len - 31), key, sizeof(key), &d),
			-EBADMSG);
	/* too short to hold a header and a MAC, too long */
	CU_ASSERT_EQUAL(poolreg_decode(buf, 63, key, sizeof(key), &d), -EBADMSG);
	CU_ASSERT_EQUAL(poolreg_decode(buf, 0, key, sizeof(key), &d), -EBADMSG);
	CU_ASSERT_EQUAL(poolreg_decode(buf, POOLREG_MSG_MAX + 1, key, sizeof(key), &d), -EBADMSG);
}

static void
test_auth(void)
{
	struct poolreg_msg m, d;
	uint8_t buf[POOLREG_MSG_MAX];
	int len, bit;
	size_t n;

	msg(&m);
	len = poolreg_encode(&m, key, sizeof(key), buf, sizeof(buf));
	CU_ASSERT_EQUAL(poolreg_decode(buf, (size_t)len, key2, sizeof(key2), &d), -EPERM);
	CU_ASSERT_EQUAL(poolreg_decode(buf, (size_t)len, key, 31, &d), -EPERM);
	/* every truncation: refused, never parsed */
	for (n = 0; n < (size_t)len; n++) {
		int ret = poolreg_decode(buf, n, key, sizeof(key), &d);

		if (ret != -EPERM && ret != -EBADMSG)
			CU_FAIL("a truncated message was accepted");
	}
	/* every single bit flip, header, body and MAC */
	for (bit = 0; bit < len * 8; bit++) {
		buf[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		if (poolreg_decode(buf, (size_t)len, key, sizeof(key), &d) != -EPERM)
			CU_FAIL("a flipped bit was not caught by the MAC");
		buf[bit / 8] ^= (uint8_t)(1 << (bit % 8));
	}
	CU_ASSERT_EQUAL(poolreg_decode(buf, (size_t)len, key, sizeof(key), &d), 0);
}

static int
key_file(const char *text, mode_t mode, char *path)
{
	FILE *f;

	snprintf(path, 64, "/tmp/test_poolreg.%d.key", getpid());
	unlink(path);
	f = fopen(path, "w");
	if (f == NULL)
		return -1;
	fputs(text, f);
	fclose(f);
	return chmod(path, mode);
}

static void
test_key_load(void)
{
	uint8_t k[POOLREG_KEY_MAX];
	char path[64], err[256];
	size_t len = 0;

	CU_ASSERT_EQUAL(key_file("000102030405060708090a0b0c0d0e0f\n", 0600, path), 0);
	CU_ASSERT_EQUAL(poolreg_key_load(path, k, &len, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(len, 16);
	CU_ASSERT_EQUAL(k[15], 0x0f);
	/* base64 of 32 octets, as "head -c 32 /dev/urandom | base64" writes it */
	key_file("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n", 0400, path);
	CU_ASSERT_EQUAL(poolreg_key_load(path, k, &len, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(len, 32);
	CU_ASSERT_EQUAL(memcmp(k, key, 32), 0);
	/* readable by others: refused with a hint */
	key_file("000102030405060708090a0b0c0d0e0f\n", 0644, path);
	CU_ASSERT_EQUAL(poolreg_key_load(path, k, &len, err, sizeof(err)), -EACCES);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "chmod 600"));
	key_file("000102030405060708090a0b0c0d0e0f\n", 0640, path);
	CU_ASSERT_EQUAL(poolreg_key_load(path, k, &len, err, sizeof(err)), -EACCES);
	/* too short, two lines, empty, not hex nor base64 */
	key_file("0001020304050607\n", 0600, path);
	CU_ASSERT(poolreg_key_load(path, k, &len, err, sizeof(err)) < 0);
	key_file("000102030405060708090a0b0c0d0e0f\n00\n", 0600, path);
	CU_ASSERT(poolreg_key_load(path, k, &len, err, sizeof(err)) < 0);
	key_file("", 0600, path);
	CU_ASSERT(poolreg_key_load(path, k, &len, err, sizeof(err)) < 0);
	key_file("not a key at all, certainly not!\n", 0600, path);
	CU_ASSERT(poolreg_key_load(path, k, &len, err, sizeof(err)) < 0);
	/* longer than POOLREG_KEY_MAX */
	key_file("000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f"
		 "000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f00\n",
		 0600, path);
	CU_ASSERT(poolreg_key_load(path, k, &len, err, sizeof(err)) < 0);
	unlink(path);
	CU_ASSERT_EQUAL(poolreg_key_load(path, k, &len, err, sizeof(err)), -ENOENT);
}

/*
 * Base64 that is all or partly padding: "====" once reached memcpy() with a
 * negative length (OpenSSL counts '=' as data) and crashed stratad and
 * strata-pool at start. Each is refused with the file, the line and what is
 * wrong; a valid key of each padding length still loads.
 */
static void
test_key_padding(void)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
		{"====\n", "groups of 4"},
		{"========\n", "groups of 4"},
		{"MDEy====\n", "groups of 4"},
		{"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=====\n", "groups of 4"},
		{"MDEyMzQ1Njc4OWFiY2RlZj=xMjM0NTY3ODlhYmNkZWY=\n", "base64 pads only at the end"},
		{"=DEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n", "base64 pads only at the end"},
		{"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY*\n", "neither hex nor base64"},
		{"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY\n", "groups of 4"},
		{"MDEyMzQ1Njc4OWFiY2Rl\n", "15 octets, fewer than 16"},
	};
	static const char *const good[] = {
		"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n",     /* 32 octets, one '=' */
		"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWZn\n",     /* 33, none */
		"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWZnaA==\n", /* 34, two */
	};
	uint8_t k[POOLREG_KEY_MAX];
	char path[64], err[512], want[128];
	size_t len, i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		key_file(bad[i].text, 0600, path);
		len = 0;
		CU_ASSERT_EQUAL(poolreg_key_load(path, k, &len, err, sizeof(err)), -EINVAL);
		snprintf(want, sizeof(want), "key file %s:1: ", path);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
		CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[i].why));
		if (strstr(err, bad[i].why) == NULL)
			printf("\n    %s: %s", bad[i].text, err);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		key_file(good[i], 0600, path);
		CU_ASSERT_EQUAL(poolreg_key_load(path, k, &len, err, sizeof(err)), 0);
		CU_ASSERT_EQUAL(len, 32 + i);
		CU_ASSERT_EQUAL(memcmp(k, "0123456789abcdef0123456789abcdefgh", len), 0);
	}
	key_file("000102030405060708090a0b0c0d0e0f\n00\n", 0600, path);
	CU_ASSERT(poolreg_key_load(path, k, &len, err, sizeof(err)) < 0);
	snprintf(want, sizeof(want), "key file %s:2: more than one line", path);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
	unlink(path);
}

static const struct test_case cases[] = {
	TEST_CASE(test_roundtrip), TEST_CASE(test_encode_refuses), TEST_CASE(test_malformed),
	TEST_CASE(test_auth),	   TEST_CASE(test_key_load),	   TEST_CASE(test_key_padding),
};

CUNIT_MAIN("poolreg", cases)
