/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The asynchronous resolver (lib/resolve.c): literals answered at once,
 * names in glibc's thread (localhost comes from /etc/hosts: no network),
 * a running lookup cancelled without a leak or a late write.
 */
#include <arpa/inet.h>
#include <string.h>
#include <time.h>

#include "resolve.h"

#include "cunit_main.h"

static void
test_literal_at_once(void)
{
	static struct resolve r;
	struct addrinfo *ai;
	struct sockaddr_in6 *sin6;
	int err = -1;

	CU_ASSERT_EQUAL(resolve_start(&r, "2001:db8::7", 123), 0);
	CU_ASSERT_EQUAL_FATAL(resolve_done(&r, &ai, &err), 1);
	CU_ASSERT_EQUAL(err, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ai);
	CU_ASSERT_EQUAL(ai->ai_family, AF_INET6);
	sin6 = (struct sockaddr_in6 *)ai->ai_addr;
	CU_ASSERT_EQUAL(ntohs(sin6->sin6_port), 123);
	freeaddrinfo(ai);
	/* handed over once: asking again gives nothing new */
	CU_ASSERT_EQUAL(resolve_done(&r, &ai, &err), 0);
	resolve_cancel(&r);
}

static void
test_name_in_thread(void)
{
	static struct resolve r;
	struct addrinfo *ai = NULL;
	int err = -1, i;

	CU_ASSERT_EQUAL(resolve_start(&r, "localhost", 4460), 0);
	for (i = 0; i < 5000 && !resolve_done(&r, &ai, &err); i++)
		nanosleep(&(struct timespec){0, 1000000}, NULL);
	CU_ASSERT_EQUAL(err, 0);
	CU_ASSERT_PTR_NOT_NULL(ai);
	if (ai != NULL)
		freeaddrinfo(ai);
}

static void
test_cancel(void)
{
	static struct resolve r;
	struct addrinfo *ai;
	int err;

	/* from /etc/hosts, no DNS traffic: cancelled while running or after, never leaked */
	CU_ASSERT_EQUAL(resolve_start(&r, "localhost", 123), 0);
	resolve_cancel(&r);
	CU_ASSERT_EQUAL(r.running, 0);
	CU_ASSERT_EQUAL(resolve_done(&r, &ai, &err), 0);
	/* a new lookup in the same place after a cancel */
	CU_ASSERT_EQUAL(resolve_start(&r, "192.0.2.1", 123), 0);
	CU_ASSERT_EQUAL(resolve_done(&r, &ai, &err), 1);
	CU_ASSERT_EQUAL(err, 0);
	freeaddrinfo(ai);
}

static const struct test_case cases[] = {
	TEST_CASE(test_literal_at_once),
	TEST_CASE(test_name_in_thread),
	TEST_CASE(test_cancel),
};

CUNIT_MAIN("resolve", cases)
