/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The engine under both configuration languages, stratad's (config.c,
 * docs/config.md) and strata-pool's (poolconf.c, docs/pool.conf.md): lines,
 * words, comments and a table of directives. Each language keeps only its
 * table, the parse functions of its rows and its whole-file checks.
 */
#pragma once

#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>

#define CONF_LINE_MAX 1023     /* characters in a line, without the '\n' */
#define CONF_MAX_DIRECTIVES 32 /* rows in one table */

struct conf_parser;

/*
 * One row of a language's table. Rows sharing a name ("listen xdp", "listen
 * dpdk") stand next to each other; the first one's hint answers a line that
 * names none of their kinds.
 */
struct conf_directive {
	const char *name;
	const char *kind;	/* the second word ("refclock system"), or NULL */
	int min_args, max_args; /* after the name and kind; max -1: any */
	int once;		/* a second line is an error */
	int (*parse)(struct conf_parser *p, char **argv, int argc);
	const char *hint; /* the syntax, for messages */
};

/* One file being read. The caller fills name, c, err, errlen, table and n_table. */
struct conf_parser {
	const char *name;  /* the file, in messages */
	unsigned int line; /* 0 in the whole-file checks: no line in the message */
	void *c;	   /* the configuration the parse functions fill */
	char *err;
	size_t errlen;
	const struct conf_directive *table;
	unsigned int n_table;
	unsigned int seen[CONF_MAX_DIRECTIVES]; /* per row, the line that set it, or 0 */
	const struct conf_directive *dir;	/* the row of the line being parsed */
};

/* Put "NAME:LINE: message" (or "NAME: message" at line 0) into p->err; @return -1. */
int conf_fail(const struct conf_parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Decimal digits only, from @min to @max, into @v; @return 0 or -1. */
int conf_num(const char *s, unsigned long min, unsigned long max, unsigned long *v);

/*
 * "ADDR:PORT" or "[ADDR6]:PORT", addresses only (no names are resolved), into
 * @ss and @len; @hint shows the form. @return 0 or -1 after conf_fail().
 */
int conf_sockaddr(struct conf_parser *p, const char *s, struct sockaddr_storage *ss, socklen_t *len,
		  const char *hint);

/*
 * A portable user name (POSIX.1-2017 section 3.437), as useradd accepts it,
 * into @dst of @size bytes; not looked up here. @dflt is the default, for the
 * hint. @return 0 or -1 after conf_fail().
 */
int conf_user(struct conf_parser *p, const char *s, char *dst, size_t size, const char *dflt);

/* As conf_user() for the group of a control socket ("controlgroup NAME"). */
int conf_group(struct conf_parser *p, const char *s, char *dst, size_t size, const char *dflt);

/*
 * Read @f to its end, one directive a line, calling each row's parse
 * function. @return 0, with p->line back at 0 for the whole-file checks, or
 * -1 with the first error in p->err.
 */
int conf_parse_file(struct conf_parser *p, FILE *f);
