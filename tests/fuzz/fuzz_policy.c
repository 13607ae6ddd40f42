/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the YAML policy loader and validator, end to end. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "policy/diag.h"
#include "policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag_list dl;
	struct policy *p = NULL;

	diag_list_init(&dl);
	if (policy_parse("fuzz.yaml", (const char *)data, size, NULL, &p, &dl) == 0)
		policy_unref(p);
	/* Printing exercises the excerpt and caret code on arbitrary positions. */
	{
		FILE *null = fopen("/dev/null", "w");
		if (null) {
			diag_print(&dl, null);
			fclose(null);
		}
	}
	diag_list_cleanup(&dl);
	return 0;
}
