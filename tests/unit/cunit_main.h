/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shared main() of the CUnit test programs: register the suites a test
 * file lists, run them verbosely, exit non-zero on any failure.
 */
#pragma once

#include <stdio.h>
#include <stdlib.h>

#include <CUnit/Basic.h>

struct test_case {
	const char *name;
	void (*fn)(void);
};

#define TEST_CASE(f) { #f, f }

static int
run_suite(const char *name, const struct test_case *cases, size_t n)
{
	CU_pSuite s;
	size_t i;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite(name, NULL, NULL);
	if (s == NULL)
		goto fail;
	for (i = 0; i < n; i++)
		if (CU_add_test(s, cases[i].name, cases[i].fn) == NULL)
			goto fail;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	if (CU_basic_run_tests() != CUE_SUCCESS)
		goto fail;
	if (CU_get_number_of_failures() != 0 || CU_get_number_of_tests_failed() != 0)
		goto fail;
	CU_cleanup_registry();
	return 0;
fail:
	CU_cleanup_registry();
	return 1;
}

#define CUNIT_MAIN(suite_name, cases)                                                  \
	int main(void)                                                                 \
	{                                                                              \
		return run_suite(suite_name, cases, sizeof(cases) / sizeof(cases[0])); \
	}
