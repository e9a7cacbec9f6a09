/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the NTS-KE record parsers of lib/nts.c (RFC 8915
 * section 4): nts_ke_parse_request() reads what any TLS client sends
 * strata-nts, nts_ke_parse_response() what a server sends our clients.
 * The first octet picks the parser (its low bit), the rest is the stream.
 *
 * Checked against RFC 8915 section 4, not against nts.c:
 *  - a request is complete only with NTPv4 and an AEAD strata offers; a
 *    refused one carries Error 0 or 1; a request over 1024 octets is never
 *    incomplete;
 *  - an answer is complete only with an AEAD strata offers and 1 to 8
 *    cookies of at most NTS_CLIENT_COOKIE_MAX octets, a NUL-terminated
 *    server name;
 *  - the parse of a stream is the parse of the same stream with more octets
 *    after it whenever it was complete or refused (records after End of
 *    Message are not read, and nothing read is taken back), and an
 *    incomplete stream stays incomplete when cut shorter.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
request(const uint8_t *b, size_t len, uint8_t *tmp)
{
	struct nts_ke_request r, r2;
	int ret = nts_ke_parse_request(b, len, &r), ret2;

	if (ret == 1 && nts_aead_key_len(r.aead) == 0)
		abort();
	if (ret == -1 && r.error != NTS_KE_ERR_UNRECOGNIZED_CRITICAL &&
	    r.error != NTS_KE_ERR_BAD_REQUEST)
		abort();
	if (ret == 0 && len > 1024)
		abort();
	if (ret < -1 || ret > 1)
		abort();
	/* the same with junk after it */
	memcpy(tmp, b, len);
	memset(tmp + len, 0x80, 8);
	ret2 = nts_ke_parse_request(tmp, len + 8, &r2);
	if (ret != 0 &&
	    (ret2 != ret || (ret == 1 && r2.aead != r.aead) || (ret == -1 && r2.error != r.error)))
		abort();
	if (ret == 0 && len > 0 && nts_ke_parse_request(b, len - 1, &r2) != 0)
		abort();
}

static void
response(const uint8_t *b, size_t len, uint8_t *tmp)
{
	struct nts_ke_response *r = malloc(sizeof(*r)), *r2 = malloc(sizeof(*r2));
	int ret, ret2;
	unsigned i;

	if (r == NULL || r2 == NULL)
		abort();
	ret = nts_ke_parse_response(b, len, r);
	if (ret < -1 || ret > 1)
		abort();
	if (r->n_cookies > NTS_KE_COOKIES || memchr(r->server, 0, sizeof(r->server)) == NULL)
		abort();
	for (i = 0; i < r->n_cookies; i++)
		if (r->cookie_len[i] == 0 || r->cookie_len[i] > NTS_CLIENT_COOKIE_MAX)
			abort();
	if (ret == 1 && (nts_aead_key_len(r->aead) == 0 || r->n_cookies == 0 || r->error != -1 ||
			 r->none_agreed != 0))
		abort();
	memcpy(tmp, b, len);
	memset(tmp + len, 0x80, 8);
	ret2 = nts_ke_parse_response(tmp, len + 8, r2);
	if (ret != 0 && (ret2 != ret || r2->n_cookies != r->n_cookies || r2->aead != r->aead ||
			 r2->error != r->error || r2->none_agreed != r->none_agreed))
		abort();
	if (ret == 0 && len > 0 && nts_ke_parse_response(b, len - 1, r2) != 0)
		abort();
	free(r);
	free(r2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *b, *tmp;

	if (size < 1)
		return 0;
	/* a copy of exactly the stream's length: ASan sees any read past it */
	b = malloc(size - 1 + 1);
	tmp = malloc(size - 1 + 8);
	if (b == NULL || tmp == NULL)
		abort();
	memcpy(b, data + 1, size - 1);
	if (data[0] & 1)
		response(b, size - 1, tmp);
	else
		request(b, size - 1, tmp);
	free(b);
	free(tmp);
	return 0;
}
