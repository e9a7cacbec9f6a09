/* SPDX-License-Identifier: BSD-3-Clause */
/* Reference IDs (RFC 5905 section 7.3) and the MD5 under the IPv6 one. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "refid.h"

#include "cunit_main.h"

static void
hex(const uint8_t *d, char *out)
{
	for (int i = 0; i < 16; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void
test_md5_vectors(void)
{
	/* RFC 1321 appendix A.5 test suite */
	static const struct {
		const char *in, *md;
	} v[] = {
		{"", "d41d8cd98f00b204e9800998ecf8427e"},
		{"a", "0cc175b9c0f1b6a831c399e269772661"},
		{"abc", "900150983cd24fb0d6963f7d28e17f72"},
		{"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
		{"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
		{"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
		 "57edf4a22be3c955ac49da2e2107b67a"},
	};
	uint8_t md[16];
	char h[33];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		refid_md5(v[i].in, strlen(v[i].in), md);
		hex(md, h);
		CU_ASSERT_STRING_EQUAL(h, v[i].md);
	}
}

static void
test_refid(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6};
	uint8_t md[16];
	uint32_t r;

	inet_pton(AF_INET, "192.0.2.5", &sin.sin_addr);
	r = refid_of((struct sockaddr *)&sin);
	CU_ASSERT_EQUAL(memcmp(&r, "\xc0\x00\x02\x05", 4), 0);

	/* the first four octets of MD5 over the 16 address octets */
	inet_pton(AF_INET6, "2001:db8::1", &sin6.sin6_addr);
	refid_md5(&sin6.sin6_addr, 16, md);
	r = refid_of((struct sockaddr *)&sin6);
	CU_ASSERT_EQUAL(memcmp(&r, md, 4), 0);
}

static const struct test_case cases[] = {
	TEST_CASE(test_md5_vectors),
	TEST_CASE(test_refid),
};

CUNIT_MAIN("refid", cases)
