// SPDX-License-Identifier: BSD-3-Clause
/*
 * strata-jitlines PROG-ID: where each source line of a loaded BPF program
 * landed in its JITed code, for perf samples inside it (perf/xdp-cost
 * --profile). perf cannot annotate BPF here (built without libopcodes); the
 * kernel keeps the map itself: bpf_prog_info's jited_line_info is the JIT
 * address of each line_info record, whose file and line are strings of the
 * program's BTF. Prints one record a line, by address:
 *
 *   0xADDRESS<TAB>FILE:LINE<TAB>SOURCE TEXT
 *
 * then "# ksym 0xADDRESS LEN" for each JITed function (jited_ksyms,
 * jited_func_lens). Needs root (CAP_SYS_ADMIN, and the kernel addresses are
 * shown only with kptr_restrict allowing it).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>

struct rec {
	uint64_t addr;
	const char *file, *text;
	uint32_t line;
};

static int
by_addr(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

int
main(int argc, char **argv)
{
	struct bpf_prog_info info = {0};
	uint32_t len = sizeof(info), nl, nk, i;
	struct bpf_line_info *li;
	uint64_t *jl, *ks;
	uint32_t *kl;
	struct rec *r;
	struct btf *btf;
	char *end;
	unsigned long id;
	int fd;

	if (argc != 2 || (id = strtoul(argv[1], &end, 10)) == 0 || *end != '\0') {
		fprintf(stderr, "usage: strata-jitlines PROG-ID\n");
		return 2;
	}
	fd = bpf_prog_get_fd_by_id((uint32_t)id);
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len) != 0) {
		fprintf(stderr, "strata-jitlines: program %lu: %s\n", id, strerror(errno));
		return 1;
	}
	nl = info.nr_line_info;
	nk = info.nr_jited_ksyms;
	if (nl == 0 || info.nr_jited_line_info != nl || info.btf_id == 0) {
		fprintf(stderr, "strata-jitlines: program %lu has no line information (BTF)\n", id);
		return 1;
	}
	li = calloc(nl, sizeof(*li));
	jl = calloc(nl, sizeof(*jl));
	ks = calloc(nk + 1, sizeof(*ks));
	kl = calloc(nk + 1, sizeof(*kl));
	r = calloc(nl, sizeof(*r));
	if (li == NULL || jl == NULL || ks == NULL || kl == NULL || r == NULL)
		return 1;
	/* the second call fills the arrays the first one counted */
	memset(&info, 0, sizeof(info));
	info.nr_line_info = nl;
	info.line_info_rec_size = sizeof(*li);
	info.line_info = (uint64_t)(uintptr_t)li;
	info.nr_jited_line_info = nl;
	info.jited_line_info_rec_size = sizeof(*jl);
	info.jited_line_info = (uint64_t)(uintptr_t)jl;
	info.nr_jited_ksyms = nk;
	info.jited_ksyms = (uint64_t)(uintptr_t)ks;
	info.nr_jited_func_lens = nk;
	info.jited_func_lens = (uint64_t)(uintptr_t)kl;
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0) {
		fprintf(stderr, "strata-jitlines: program %lu: %s\n", id, strerror(errno));
		return 1;
	}
	btf = btf__load_from_kernel_by_id(info.btf_id);
	if (btf == NULL) {
		fprintf(stderr, "strata-jitlines: BTF %u: %s\n", info.btf_id, strerror(errno));
		return 1;
	}
	for (i = 0; i < nl; i++) {
		const char *f = btf__name_by_offset(btf, li[i].file_name_off);
		const char *t = btf__name_by_offset(btf, li[i].line_off);

		r[i].addr = jl[i];
		r[i].file = f != NULL ? f : "?";
		r[i].text = t != NULL ? t : "";
		r[i].line = BPF_LINE_INFO_LINE_NUM(li[i].line_col);
	}
	qsort(r, nl, sizeof(*r), by_addr);
	for (i = 0; i < nl; i++) {
		const char *base = strrchr(r[i].file, '/');

		/* a tab in the source text would split the record: shown as a space */
		printf("0x%llx\t%s:%u\t", (unsigned long long)r[i].addr,
		       base != NULL ? base + 1 : r[i].file, r[i].line);
		for (const char *c = r[i].text; *c != '\0'; c++)
			putchar(*c == '\t' || *c == '\n' ? ' ' : *c);
		putchar('\n');
	}
	for (i = 0; i < nk; i++)
		printf("# ksym 0x%llx %u\n", (unsigned long long)ks[i], kl[i]);
	btf__free(btf);
	close(fd);
	return 0;
}
