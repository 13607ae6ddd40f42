/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the pagent importer (no includes), the YAML printer, and
 * the property that printed YAML always parses back. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "policy/diag.h"
#include "policy/pagent.h"
#include "policy/ytree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_emit_and_reparse(const struct ynode *root, struct diag_list *dl)
{
	struct ynode *back = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);

	if (!mem)
		return;
	yemit_tree(root, mem);
	fclose(mem);
	if (ytree_parse(diag_add_source(dl, "fuzz.yaml", buf, len), buf, len, &back, dl) != 0)
		abort(); /* the printer wrote YAML that does not read back */
	ytree_free(back);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct pagent_opts o = { .no_include = true };
	struct diag_list dl;
	struct ynode *root = NULL;
	const char *file;
	FILE *null;

	diag_list_init(&dl);
	file = diag_add_source(&dl, "fuzz.pagent", (const char *)data, size);
	if (pagent_parse(file, (const char *)data, size, &o, &root, &dl) == 0)
		fuzz_emit_and_reparse(root, &dl);
	if ((null = fopen("/dev/null", "w")) != NULL) {
		diag_print(&dl, null);
		fclose(null);
	}
	ytree_free(root);
	diag_list_cleanup(&dl);
	return 0;
}
