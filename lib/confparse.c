/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration engine: reads a file a line at a time, checks its
 * characters, splits it into words, finds the directive in the language's
 * table, checks the argument count and that a once-only directive comes
 * once, then calls the row's parse function. Every error names the file and
 * the line and says what to write instead (docs/config.md, docs/pool.md).
 */
#include "confparse.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "outbuf.h"

#define MAX_WORDS ((CONF_LINE_MAX + 1) / 2) /* a word and a separator each */

int
conf_fail(const struct conf_parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	out_verror(p->err, p->errlen, p->name, p->line, fmt, ap);
	va_end(ap);
	return -1;
}

/* strtoul() alone would take "-1", " 7" and "0x10". */
int
conf_num(const char *s, unsigned long min, unsigned long max, unsigned long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return *end != '\0' || errno != 0 || *v < min || *v > max ? -1 : 0;
}

int
conf_sockaddr(struct conf_parser *p, const char *s, struct sockaddr_storage *ss, socklen_t *len,
	      const char *hint)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	char host[CONF_LINE_MAX + 1];
	const char *port;
	unsigned long v;
	char *colon;

	snprintf(host, sizeof(host), "%s", s);
	colon = strrchr(host, ':');
	if (colon == NULL || (host[0] == '[' && colon[-1] != ']'))
		return conf_fail(p, "'%s' has no port (hint: %s)", s, hint);
	*colon = '\0';
	port = colon + 1;
	if (conf_num(port, 1, 65535, &v) < 0)
		return conf_fail(p, "port '%s' is not a number from 1 to 65535 (hint: %s)", port,
				 hint);
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[') {
		colon[-1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &sin6->sin6_addr) != 1)
			return conf_fail(p, "'%s' is not an IPv6 address (hint: %s)", host + 1,
					 hint);
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)v);
		*len = sizeof(*sin6);
		return 0;
	}
	if (strchr(host, ':') != NULL)
		return conf_fail(p, "IPv6 address '%s' needs brackets (hint: %s%s%s [%s]:%s)", host,
				 p->dir->name, p->dir->kind != NULL ? " " : "",
				 p->dir->kind != NULL ? p->dir->kind : "", host, port);
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		return conf_fail(p, "'%s' is not an IPv4 address (hint: %s; no host names)", host,
				 hint);
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)v);
	*len = sizeof(*sin);
	return 0;
}

/* A portable name (POSIX.1-2017 section 3.437) of a @what ("user", "group"). */
static int
portable_name(struct conf_parser *p, const char *what, const char *s, char *dst, size_t size,
	      const char *hint)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
	size_t len = strlen(s);

	if (len >= size || s[0] == '-' || strspn(s, ok) != len)
		return conf_fail(p,
				 "%s name '%s' is not 1 to %zu letters, digits, '.', '_' or '-' "
				 "(hint: %s)",
				 what, s, size - 1, hint);
	memcpy(dst, s, len + 1);
	return 0;
}

int
conf_user(struct conf_parser *p, const char *s, char *dst, size_t size, const char *dflt)
{
	char hint[64];

	snprintf(hint, sizeof(hint), "user %s", dflt);
	return portable_name(p, "user", s, dst, size, hint);
}

int
conf_group(struct conf_parser *p, const char *s, char *dst, size_t size, const char *dflt)
{
	char hint[64];

	snprintf(hint, sizeof(hint), "controlgroup %s", dflt);
	return portable_name(p, "group", s, dst, size, hint);
}

/* The row for the words of a line, or NULL after an error that names what exists. */
static const struct conf_directive *
lookup(struct conf_parser *p, char **word, int n)
{
	const struct conf_directive *d, *kinds = NULL;
	char known[512];
	size_t len = 0;
	unsigned int i;
	int one;

	for (i = 0; i < p->n_table; i++) {
		d = &p->table[i];
		if (strcmp(d->name, word[0]) != 0)
			continue;
		if (d->kind == NULL || (n > 1 && strcmp(d->kind, word[1]) == 0))
			return d;
		if (kinds == NULL)
			kinds = d;
	}
	if (kinds != NULL && n == 1)
		conf_fail(p, "missing argument to '%s' (hint: %s)", word[0], kinds->hint);
	else if (kinds != NULL)
		conf_fail(p, "unknown directive '%s %s' (hint: %s)", word[0], word[1], kinds->hint);
	if (kinds != NULL)
		return NULL;
	/* each name once, with its second word where there is only one ("probe interval") */
	for (i = 0; i < p->n_table; i++) {
		d = &p->table[i];
		if (i > 0 && strcmp(d->name, d[-1].name) == 0)
			continue;
		one = d->kind != NULL && (i + 1 == p->n_table || strcmp(d->name, d[1].name) != 0);
		len += (size_t)snprintf(known + len, sizeof(known) - len, "%s%s%s%s",
					len > 0 ? ", " : "", d->name, one ? " " : "",
					one ? d->kind : "");
		assert(len < sizeof(known));
	}
	conf_fail(p, "unknown directive '%s' (hint: one of %s)", word[0], known);
	return NULL;
}

static int
parse_line(struct conf_parser *p, char *s, size_t len)
{
	const struct conf_directive *d;
	char *word[MAX_WORDS];
	int n = 0, argc, skip;
	char what[64];
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		/* a comment may say anything (UTF-8 included) but a NUL */
		if (ch == '#' && (i == 0 || s[i - 1] == ' ' || s[i - 1] == '\t')) {
			if (memchr(s + i, '\0', len - i) == NULL)
				break;
			continue;
		}
		if (ch != '\t' && (ch < 0x20 || ch > 0x7e))
			return conf_fail(
				p, "%s character 0x%02x in column %zu (hint: %s)",
				ch > 0x7f ? "non-ASCII" : "control", ch, i + 1,
				ch == '\r' ? "convert the DOS line ends, e.g. with dos2unix"
					   : "directives are plain ASCII; comments may be UTF-8");
	}
	/* '#' at the start of a word comments out the rest; "a#b" is one word */
	for (;;) {
		s += strspn(s, " \t");
		if (*s == '\0' || *s == '#')
			break;
		word[n++] = s;
		s += strcspn(s, " \t");
		if (*s != '\0')
			*s++ = '\0';
	}
	if (n == 0)
		return 0;
	d = lookup(p, word, n);
	if (d == NULL)
		return -1;
	skip = d->kind != NULL ? 2 : 1;
	argc = n - skip;
	snprintf(what, sizeof(what), "%s%s%s", d->name, d->kind != NULL ? " " : "",
		 d->kind != NULL ? d->kind : "");
	if (argc < d->min_args || (d->max_args >= 0 && argc > d->max_args))
		return conf_fail(p, "%s to '%s' (hint: %s)",
				 argc < d->min_args ? "missing argument" : "too many arguments",
				 what, d->hint);
	if (d->once && p->seen[d - p->table] != 0)
		return conf_fail(p, "'%s' is already set on line %u (hint: keep one of them)", what,
				 p->seen[d - p->table]);
	p->dir = d;
	if (d->parse(p, word + skip, argc) < 0)
		return -1;
	p->seen[d - p->table] = p->line;
	return 0;
}

/* One line without its '\n' into @buf; @return its full length, or -1 at end of file. */
static long
read_line(FILE *f, char *buf, size_t size)
{
	size_t n = 0;
	int ch;

	/* getc(), not fgets(): a NUL byte must count as a character, not end the line */
	while ((ch = getc(f)) != EOF && ch != '\n') {
		if (n + 1 < size)
			buf[n] = (char)ch;
		n++;
	}
	if (ch == EOF && n == 0)
		return -1;
	buf[n + 1 < size ? n : size - 1] = '\0';
	return (long)n;
}

int
conf_parse_file(struct conf_parser *p, FILE *f)
{
	char buf[CONF_LINE_MAX + 1];
	long len;

	assert(p->n_table <= CONF_MAX_DIRECTIVES);
	memset(p->seen, 0, sizeof(p->seen));
	p->line = 0;
	if (p->errlen > 0)
		p->err[0] = '\0';
	while ((len = read_line(f, buf, sizeof(buf))) >= 0) {
		p->line++;
		if (len > CONF_LINE_MAX)
			return conf_fail(p,
					 "line is %ld characters long, more than %d (hint: no "
					 "directive needs that many; shorten it)",
					 len, CONF_LINE_MAX);
		if (parse_line(p, buf, (size_t)len) < 0)
			return -1;
	}
	p->line = 0;
	if (ferror(f))
		return conf_fail(p, "read error: %s", strerror(errno));
	return 0;
}
