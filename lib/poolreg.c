/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The registration messages (docs/pool.md "Protocol"). Every field is at a
 * fixed place, big-endian, followed by a 32-octet HMAC-SHA256 over all that
 * precedes it. The MAC is checked first, in constant time, so that nothing
 * of a forged or corrupted message is ever parsed (RFC 2104, and the order
 * of RFC 5905 section 7.3's MAC check in reverse: authenticate, then trust).
 */
#include "poolreg.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#define MAGIC "SPRG"
#define VERSION 1
#define HDR_LEN 32 /* magic, version, type, status, n_addr, time, nonce, lifetime, name length */
#define MAC_LEN 32 /* HMAC-SHA256 */

static void
put_be(uint8_t *p, uint64_t v, int n)
{
	while (n-- > 0) {
		p[n] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t
get_be(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = v << 8 | *p++;
	return v;
}

/* A DNS name as the pool line writes it: LDH labels of 1 to 63 octets (RFC 1035 section 2.3.1) */
static int
valid_name(const char *s, size_t len)
{
	size_t i, label = 0;

	if (len == 0 || len > POOLREG_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if (isalnum((unsigned char)s[i]) || s[i] == '-' || s[i] == '_') {
			if (++label > 63)
				return 0;
		} else {
			return 0;
		}
	}
	return 1;
}

static int
mac(const uint8_t *key, size_t keylen, const uint8_t *buf, size_t len, uint8_t *out)
{
	unsigned int n = MAC_LEN;

	if (keylen < POOLREG_KEY_MIN || keylen > POOLREG_KEY_MAX)
		return -EINVAL;
	if (HMAC(EVP_sha256(), key, (int)keylen, buf, len, out, &n) == NULL || n != MAC_LEN)
		return -EIO;
	return 0;
}

int
poolreg_encode(const struct poolreg_msg *m, const uint8_t *key, size_t keylen, uint8_t *buf,
	       size_t size)
{
	size_t name_len = strnlen(m->pool, sizeof(m->pool)), len = HDR_LEN;
	unsigned int i;
	int ret;

	if (m->type < POOLREG_REGISTER || m->type > POOLREG_ACK || !valid_name(m->pool, name_len) ||
	    m->n_addr > POOLREG_MAX_ADDRS || (m->type == POOLREG_REGISTER && m->lifetime == 0) ||
	    (m->type != POOLREG_ACK && m->n_addr == 0))
		return -EINVAL;
	if (size < HDR_LEN + name_len + m->n_addr * 17 + MAC_LEN)
		return -ENOSPC;
	memcpy(buf, MAGIC, 4);
	buf[4] = VERSION;
	buf[5] = (uint8_t)m->type;
	buf[6] = m->type == POOLREG_ACK ? m->status : 0;
	buf[7] = (uint8_t)m->n_addr;
	put_be(buf + 8, m->time_ns, 8);
	put_be(buf + 16, m->nonce, 8);
	put_be(buf + 24, m->type == POOLREG_REGISTER ? m->lifetime : 0, 4);
	buf[28] = (uint8_t)name_len;
	memset(buf + 29, 0, 3);
	memcpy(buf + len, m->pool, name_len);
	len += name_len;
	for (i = 0; i < m->n_addr; i++) {
		const struct sockaddr_storage *ss = &m->addr[i];

		if (ss->ss_family == AF_INET) {
			buf[len++] = 4;
			memcpy(buf + len, &((const struct sockaddr_in *)ss)->sin_addr, 4);
			len += 4;
		} else if (ss->ss_family == AF_INET6) {
			buf[len++] = 6;
			memcpy(buf + len, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
			len += 16;
		} else {
			return -EINVAL;
		}
	}
	ret = mac(key, keylen, buf, len, buf + len);
	return ret < 0 ? ret : (int)(len + MAC_LEN);
}

int
poolreg_decode(const uint8_t *buf, size_t len, const uint8_t *key, size_t keylen,
	       struct poolreg_msg *m)
{
	uint8_t want[MAC_LEN];
	size_t pos = HDR_LEN, name_len;
	unsigned int i;
	int ret;

	if (len < HDR_LEN + MAC_LEN || len > POOLREG_MSG_MAX)
		return -EBADMSG;
	ret = mac(key, keylen, buf, len - MAC_LEN, want);
	if (ret < 0)
		return ret;
	if (CRYPTO_memcmp(want, buf + len - MAC_LEN, MAC_LEN) != 0)
		return -EPERM;

	/* authentic; still checked whole, a peer with the key may have a bug */
	len -= MAC_LEN;
	memset(m, 0, sizeof(*m));
	if (memcmp(buf, MAGIC, 4) != 0 || buf[4] != VERSION || buf[5] < POOLREG_REGISTER ||
	    buf[5] > POOLREG_ACK || buf[7] > POOLREG_MAX_ADDRS || buf[29] != 0 || buf[30] != 0 ||
	    buf[31] != 0)
		return -EBADMSG;
	m->type = (enum poolreg_type)buf[5];
	m->status = buf[6];
	m->n_addr = buf[7];
	m->time_ns = get_be(buf + 8, 8);
	m->nonce = get_be(buf + 16, 8);
	m->lifetime = (uint32_t)get_be(buf + 24, 4);
	name_len = buf[28];
	if ((m->type != POOLREG_ACK && m->status != 0) ||
	    (m->type == POOLREG_REGISTER) != (m->lifetime != 0) ||
	    (m->type != POOLREG_ACK && m->n_addr == 0) || pos + name_len > len ||
	    !valid_name((const char *)buf + pos, name_len))
		return -EBADMSG;
	memcpy(m->pool, buf + pos, name_len);
	pos += name_len;
	for (i = 0; i < m->n_addr; i++) {
		struct sockaddr_storage *ss = &m->addr[i];

		if (pos < len && buf[pos] == 4 && len - pos >= 5) {
			struct sockaddr_in *sin = (struct sockaddr_in *)ss;

			sin->sin_family = AF_INET;
			memcpy(&sin->sin_addr, buf + pos + 1, 4);
			pos += 5;
		} else if (pos < len && buf[pos] == 6 && len - pos >= 17) {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

			sin6->sin6_family = AF_INET6;
			memcpy(&sin6->sin6_addr, buf + pos + 1, 16);
			pos += 17;
		} else {
			return -EBADMSG;
		}
	}
	return pos == len ? 0 : -EBADMSG;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/*
 * The secret of a key file line, hex first, else base64 (RFC 4648 section 4:
 * groups of four characters of the alphabet, '=' only to pad the last group,
 * at most two). Everything is checked before OpenSSL decodes: it counts
 * padding as data, so "====" once gave a negative length. @return 0, or
 * -EINVAL / -E2BIG with what is wrong in @why.
 */
static int
key_decode(const char *s, size_t n, uint8_t *key, size_t *keylen, char *why, size_t whylen)
{
	uint8_t tmp[(POOLREG_KEY_MAX + 2) / 3 * 3 + 3];
	size_t i, pad = 0;
	int len;

	for (i = 0; i < n && hexval(s[i]) >= 0; i++)
		;
	if (i == n && n % 2 == 0) {
		if (n / 2 > POOLREG_KEY_MAX) {
			snprintf(why, whylen, "%zu octets of hex, more than %d", n / 2,
				 POOLREG_KEY_MAX);
			return -E2BIG;
		}
		for (i = 0; i < n; i += 2)
			key[i / 2] = (uint8_t)(hexval(s[i]) << 4 | hexval(s[i + 1]));
		*keylen = n / 2;
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (s[i] == '=') {
			pad++;
			continue;
		}
		if (b64val((unsigned char)s[i]) < 0) {
			snprintf(why, whylen, "character %zu (0x%02x) is neither hex nor base64",
				 i + 1, (unsigned char)s[i]);
			return -EINVAL;
		}
		if (pad > 0) {
			snprintf(why, whylen,
				 "'=' before character %zu: base64 pads only at the end", i + 1);
			return -EINVAL;
		}
	}
	if (n % 4 != 0 || pad > 2 || pad == n) {
		snprintf(why, whylen,
			 "%zu characters with %zu '=': base64 comes in groups of 4 with at most "
			 "2 '=' at the end",
			 n, pad);
		return -EINVAL;
	}
	if (n / 4 * 3 - pad > POOLREG_KEY_MAX) {
		snprintf(why, whylen, "%zu octets of base64, more than %d", n / 4 * 3 - pad,
			 POOLREG_KEY_MAX);
		return -E2BIG;
	}
	len = EVP_DecodeBlock(tmp, (const unsigned char *)s, (int)n);
	if (len != (int)(n / 4 * 3)) {
		OPENSSL_cleanse(tmp, sizeof(tmp));
		snprintf(why, whylen, "not valid base64");
		return -EINVAL;
	}
	len -= (int)pad;
	memcpy(key, tmp, (size_t)len);
	*keylen = (size_t)len;
	OPENSSL_cleanse(tmp, sizeof(tmp));
	return 0;
}

int
poolreg_key_load(const char *path, uint8_t *key, size_t *keylen, char *err, size_t errlen)
{
	char line[4 * POOLREG_KEY_MAX], why[128];
	struct stat st;
	ssize_t n;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open key file %s: %s", path, strerror(errno));
		return ret;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "key file %s is not a regular file", path);
		ret = -EINVAL;
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		snprintf(err, errlen,
			 "key file %s is readable by group or others (hint: chmod 600 %s)", path,
			 path);
		ret = -EACCES;
		goto out;
	}
	n = read(fd, line, sizeof(line) - 1);
	if (n < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot read key file %s: %s", path, strerror(errno));
		goto out;
	}
	line[n] = '\0';
	/* one line: trailing newline (and CR) tolerated, nothing else */
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (n == 0) {
		snprintf(why, sizeof(why), "empty");
		ret = -EINVAL;
	} else if ((size_t)n == sizeof(line) - 1) {
		snprintf(why, sizeof(why), "longer than %zu characters", sizeof(line) - 2);
		ret = -E2BIG;
	} else if (memchr(line, '\n', (size_t)n) != NULL) {
		snprintf(why, sizeof(why), "more than one line");
		ret = -EINVAL;
	} else {
		ret = key_decode(line, (size_t)n, key, keylen, why, sizeof(why));
		if (ret == 0 && *keylen < POOLREG_KEY_MIN) {
			snprintf(why, sizeof(why), "%zu octets, fewer than %d", *keylen,
				 POOLREG_KEY_MIN);
			ret = -EINVAL;
		}
	}
	if (ret < 0)
		snprintf(err, errlen,
			 "key file %s:%d: %s; it must hold one line of %d to %d octets in hex "
			 "or base64 (hint: head -c 32 /dev/urandom | base64 > %s)",
			 path, memchr(line, '\n', (size_t)n) != NULL ? 2 : 1, why, POOLREG_KEY_MIN,
			 POOLREG_KEY_MAX, path);
out:
	OPENSSL_cleanse(line, sizeof(line));
	close(fd);
	return ret;
}
