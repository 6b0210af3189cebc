/* SPDX-License-Identifier: MIT */
/* Option tables: the parser, the usage generator, the shared basic rows. */
#include "prelude.h"

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "options.h"
#include "xalloc.h"

/* clang-format off */
const struct opt_row opt_rows_basic[] = {
	{.id = 'h', .name = "help", .has_arg = no_argument,
	    .help = "print the usage and exit", .flags = OPT_DO_HELP},
	{.id = 'q', .name = "quiet", .has_arg = no_argument,
	    .help = "print errors only, no warnings", .flags = OPT_DO_QUIET},
	{.id = 'V', .name = "version", .has_arg = no_argument,
	    .help = "print the version and exit", .flags = OPT_DO_VERSION},
	{.id = 'v', .name = "verbose", .has_arg = no_argument,
	    .help = "say more on stderr; repeat for more",
	    .flags = OPT_DO_VERBOSE},
	OPT_END,
};

const struct opt_row opt_rows_basic_mqtt[] = {
	{.id = 'd', .name = "debug", .has_arg = no_argument,
	    .help = "print debug messages (as -vv)", .flags = OPT_DO_DEBUG},
	{.id = 'v', .name = "verbose", .has_arg = no_argument,
	    .help = "say more on stderr; repeat for more",
	    .flags = OPT_DO_VERBOSE},
	{.id = OPT_ID_HELP, .name = "help", .has_arg = no_argument,
	    .help = "print the usage and exit", .flags = OPT_DO_HELP},
	{.id = OPT_ID_VERSION, .name = "version", .has_arg = no_argument,
	    .help = "print the version and exit", .flags = OPT_DO_VERSION},
	{.id = OPT_ID_QUIET, .name = "quiet", .has_arg = no_argument,
	    .help = "print errors only, no warnings", .flags = OPT_DO_QUIET},
	OPT_END,
};

/* Added to every table by the parser: the rows, for the completions. */
static const struct opt_row list_row = {.id = OPT_ID_LIST_OPTIONS,
    .name = "list-options", .has_arg = no_argument,
    .help = "list the options, one a line, and exit",
    .flags = OPT_HIDDEN};
/* clang-format on */

static bool
is_end(const struct opt_row *r)
{
	return r->id == 0 && r->name == NULL && r->set == NULL;
}

static bool
is_letter(int id)
{
	return id > 0 && id < 128 && isalnum(id);
}

/* The rows of table, sets expanded, into v (when not NULL); the count. */
static size_t
flatten(const struct opt_row *table, const struct opt_row **v, size_t n)
{
	const struct opt_row *r;

	for (r = table; !is_end(r); r++) {
		if (r->set != NULL) {
			n = flatten(r->set, v, n);
			continue;
		}
		if (v != NULL)
			v[n] = r;
		n++;
	}
	return n;
}

static const struct opt_row **
rows_of(const struct opt_row *table, size_t *n)
{
	const struct opt_row **v;

	*n = flatten(table, NULL, 0);
	v = xcalloc(*n + 1, sizeof(*v));
	flatten(table, v, 0);
	return v;
}

const struct opt_row *
opt_find(const struct opt_row *table, int id)
{
	const struct opt_row **v, *found = NULL;
	size_t i, n;

	v = rows_of(table, &n);
	for (i = 0; i < n && found == NULL; i++)
		if (v[i]->id == id)
			found = v[i];
	free(v);
	return found;
}

void
opt_init(struct opt_parser *p, const char *prog, const struct opt_row *table,
    const char *operands, int argc, char **argv)
{
	size_t i, j, nl = 0, ns = 1;
	const struct opt_row *r;

	memset(p, 0, sizeof(*p));
	p->prog = prog;
	p->table = table;
	p->operands = operands;
	p->argc = argc;
	p->argv = argv;
	p->rows = rows_of(table, &p->nrows);
	for (i = 0; i < p->nrows; i++)
		for (j = 0; j < i; j++) {
			if (p->rows[i]->id == p->rows[j]->id)
				fatal("option table: id %d twice",
				    p->rows[i]->id);
			if (p->rows[i]->name != NULL &&
			    p->rows[j]->name != NULL &&
			    strcmp(p->rows[i]->name, p->rows[j]->name) == 0)
				fatal("option table: --%s twice",
				    p->rows[i]->name);
		}
	p->longopts = xcalloc(p->nrows + 2, sizeof(*p->longopts));
	p->shortopts = xcalloc(3 * p->nrows + 2, 1);
	p->shortopts[0] = ':'; /* a missing argument is ':' */
	for (i = 0; i <= p->nrows; i++) {
		r = i < p->nrows ? p->rows[i] : &list_row;
		if (r->name != NULL) {
			p->longopts[nl].name = r->name;
			p->longopts[nl].has_arg = r->has_arg;
			p->longopts[nl].flag = NULL;
			p->longopts[nl].val = r->id;
			nl++;
		}
		if (is_letter(r->id)) {
			p->shortopts[ns++] = (char)r->id;
			if (r->has_arg != no_argument)
				p->shortopts[ns++] = ':';
			if (r->has_arg == optional_argument)
				p->shortopts[ns++] = ':';
		}
	}
	opterr = 0; /* one message of our own, with the program's prefix */
	optind = 0; /* glibc: start afresh, as for a new argv */
}

int
opt_end(struct opt_parser *p)
{
	free(p->rows);
	free(p->longopts);
	free(p->shortopts);
	p->rows = NULL;
	p->longopts = NULL;
	p->shortopts = NULL;
	return optind;
}

/* Print text on stdout and exit 0, or 1 when stdout fails. */
static _Noreturn void
print_exit(struct buf *b)
{
	fputs(buf_cstr(b), stdout);
	buf_free(b);
	exit(fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1);
}

static _Noreturn void
missing_or_unknown(const struct opt_parser *p, int c)
{
	const char *a = p->argv[optind - 1], *eq = strchr(a, '=');

	if (c == ':')
		usage_error("option '%s' needs an argument", a);
	/* getopt_long() sets optopt to the id of a long option that was
	 * given a value it does not take (--strict=1) */
	if (optopt != 0 && strncmp(a, "--", 2) == 0 && eq != NULL)
		usage_error(
		    "option '%.*s' takes no argument", (int)(eq - a), a);
	if (optopt > 0 && optopt <= UCHAR_MAX && isgraph(optopt))
		usage_error("unknown option '-%c'", optopt);
	usage_error("unknown option '%s'", a);
}

/* The row of id c in the flattened table. */
static const struct opt_row *
row_of(const struct opt_parser *p, int c)
{
	size_t i;

	for (i = 0; i < p->nrows; i++)
		if (p->rows[i]->id == c)
			return p->rows[i];
	return c == OPT_ID_LIST_OPTIONS ? &list_row : NULL;
}

/*
 * getopt_long() refused argv[optind - 1] as unknown or ambiguous.  When
 * it is "--PREFIX[=value]" and PREFIX begins the name of one option that
 * is not hidden, it is that one: hidden rows (--list-options) do not
 * make a prefix ambiguous that --help shows as unique (kcons --li is
 * --list).  Returns the row with p->arg set, or NULL; a prefix of
 * several visible options is a usage error that names them.
 */
static const struct opt_row *
visible_prefix(struct opt_parser *p)
{
	const struct opt_row *found = NULL;
	const char *a, *eq;
	struct buf b = BUF_INIT;
	size_t i, n, matches = 0;

	if (optopt != 0 || optind < 1 || optind > p->argc)
		return NULL;
	a = p->argv[optind - 1];
	if (strncmp(a, "--", 2) != 0 || a[2] == '\0')
		return NULL;
	a += 2;
	n = (eq = strchr(a, '=')) != NULL ? (size_t)(eq - a) : strlen(a);
	for (i = 0; i < p->nrows; i++) {
		if (p->rows[i]->name == NULL ||
		    (p->rows[i]->flags & OPT_HIDDEN) ||
		    strncmp(p->rows[i]->name, a, n) != 0)
			continue;
		buf_printf(
		    &b, "%s--%s", matches++ > 0 ? ", " : "", p->rows[i]->name);
		found = p->rows[i];
	}
	if (matches > 1)
		usage_error("option '--%.*s' is ambiguous: %s", (int)n, a,
		    buf_cstr(&b));
	buf_free(&b);
	if (found == NULL)
		return NULL;
	if (eq != NULL) {
		if (found->has_arg == no_argument)
			usage_error(
			    "option '--%s' takes no argument", found->name);
		p->arg = eq + 1;
	} else if (found->has_arg == required_argument) {
		if (optind >= p->argc)
			usage_error(
			    "option '--%s' needs an argument", found->name);
		p->arg = p->argv[optind++];
	}
	return found;
}

int
opt_next(struct opt_parser *p)
{
	struct buf b = BUF_INIT;
	int c;

	for (;;) {
		c = getopt_long(
		    p->argc, p->argv, p->shortopts, p->longopts, NULL);
		p->row = NULL;
		p->arg = NULL;
		if (c == -1)
			return -1;
		p->arg = optarg;
		if (c == '?' && (p->row = visible_prefix(p)) != NULL)
			c = p->row->id;
		else if ((p->row = row_of(p, c)) == NULL)
			missing_or_unknown(p, c);
		if (p->row == &list_row) {
			opt_list(&b, p->table);
			print_exit(&b);
		}
		if (p->row->flags & OPT_DO_HELP) {
			opt_help_text(
			    &b, p->prog, p->table, p->operands, p->help);
			print_exit(&b);
		}
		if (p->row->flags & OPT_DO_VERSION) {
			buf_printf(&b, "%s %s (iotpipe)%s%s\n", p->prog,
			    IOTPIPE_VERSION, p->version_extra ? " " : "",
			    p->version_extra ? p->version_extra : "");
			print_exit(&b);
		}
		if (p->row->flags & (OPT_DO_VERBOSE | OPT_DO_DEBUG)) {
			if (p->verbosity < 0)
				p->verbosity = 0;
			p->verbosity += p->row->flags & OPT_DO_DEBUG ? 2 : 1;
			continue;
		}
		if (p->row->flags & OPT_DO_QUIET) {
			p->verbosity = -1;
			continue;
		}
		return c;
	}
}

void
opt_row_label(const struct opt_row *r, struct buf *b)
{
	if (is_letter(r->id))
		buf_printf(b, "-%c", r->id);
	else
		buf_printf(b, "--%s", r->name);
}

void
opt_bad_value(const struct opt_parser *p, const char *why, const char *what,
    const char *hint)
{
	struct buf b = BUF_INIT;

	opt_row_label(p->row, &b);
	buf_printf(&b, ": %s %s '%s'", why != NULL ? why : "invalid", what,
	    p->arg != NULL ? p->arg : "");
	if (hint != NULL)
		buf_printf(&b, " (%s)", hint);
	usage_error("%s", buf_cstr(&b));
}

void
opt_error(const struct opt_parser *p, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	opt_row_label(p->row, &b);
	buf_printf(&b, ": %s", msg);
	usage_error("%s", buf_cstr(&b));
}

void
opt_unhandled(const struct opt_parser *p)
{
	struct buf b = BUF_INIT;

	opt_row_label(p->row, &b);
	fatal("%s: in the option table but not handled", buf_cstr(&b));
}

/* ------------------------------------------------------------ usage */

/* style(9): alphabetical, upper case before lower case of one letter. */
static int
letter_rank(int c)
{
	return tolower(c) * 2 + (isupper(c) ? 0 : 1);
}

static int
cmp_row(const void *a, const void *b)
{
	const struct opt_row *x = *(const struct opt_row *const *)a;
	const struct opt_row *y = *(const struct opt_row *const *)b;

	if (is_letter(x->id) && is_letter(y->id))
		return letter_rank(x->id) - letter_rank(y->id);
	if (is_letter(x->id) != is_letter(y->id))
		return is_letter(x->id) ? -1 : 1;
	return strcmp(x->name, y->name);
}

struct wrap {
	struct buf *b;
	size_t col, indent;
};

static void
add_word(struct wrap *w, const char *word)
{
	size_t n = strlen(word), i;

	if (w->col + 1 + n > 80 && w->col > w->indent) {
		buf_addc(w->b, '\n');
		for (i = 0; i < w->indent; i++)
			buf_addc(w->b, ' ');
		w->col = w->indent;
	} else {
		buf_addc(w->b, ' ');
		w->col++;
	}
	buf_adds(w->b, word);
	w->col += n;
}

void
opt_usage(struct buf *b, const char *prog, const struct opt_row *table,
    const char *operands)
{
	const struct opt_row **all, *d;
	struct buf word = BUF_INIT;
	struct wrap w;
	size_t j, k, n, start;
	int group;

	all = rows_of(table, &n);
	for (j = k = 0; j < n; j++)
		if (!(all[j]->flags & OPT_HIDDEN))
			all[k++] = all[j];
	n = k;
	qsort(all, n, sizeof(*all), cmp_row);

	start = b->len;
	buf_printf(b, "usage: %s", prog);
	w.b = b;
	w.indent = b->len - start + 1;
	w.col = w.indent - 1;

	/* letters without an argument, in one group */
	for (j = 0; j < n; j++)
		if (is_letter(all[j]->id) && all[j]->has_arg == no_argument) {
			if (word.len == 0)
				buf_adds(&word, "[-");
			buf_addc(&word, (char)all[j]->id);
		}
	if (word.len > 0) {
		buf_addc(&word, ']');
		add_word(&w, buf_cstr(&word));
	}
	/* then long flags, letters with arguments, long with arguments */
	for (group = 0; group < 3; group++)
		for (j = 0; j < n; j++) {
			d = all[j];
			buf_reset(&word);
			if (group == 0 && !is_letter(d->id) &&
			    d->has_arg == no_argument)
				buf_printf(&word, "[--%s]", d->name);
			else if (group == 1 && is_letter(d->id) &&
			    d->has_arg != no_argument)
				buf_printf(&word, "[-%c %s]", d->id, d->arg);
			else if (group == 2 && !is_letter(d->id) &&
			    d->has_arg == required_argument)
				buf_printf(&word, "[--%s %s]", d->name, d->arg);
			else if (group == 2 && !is_letter(d->id) &&
			    d->has_arg == optional_argument)
				buf_printf(
				    &word, "[--%s[=%s]]", d->name, d->arg);
			else
				continue;
			add_word(&w, buf_cstr(&word));
		}
	if (operands != NULL)
		add_word(&w, operands);
	buf_addc(b, '\n');
	buf_free(&word);
	free(all);
}

/* ------------------------------------------------------------- help */

#define HELP_COL 30 /* where the help texts of options start */
#define HELP_WIDTH 80

/* Append text word by word from column col, wrapping under indent. */
static void
add_wrapped(struct buf *b, size_t col, size_t indent, const char *text)
{
	const char *p = text, *e;
	size_t n, i;
	bool first = true;

	while (*p != '\0') {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		for (e = p; *e != '\0' && *e != ' '; e++)
			;
		n = (size_t)(e - p);
		if (!first && col + 1 + n > HELP_WIDTH) {
			buf_addc(b, '\n');
			for (i = 0; i < indent; i++)
				buf_addc(b, ' ');
			col = indent;
		} else if (!first) {
			buf_addc(b, ' ');
			col++;
		}
		buf_add(b, p, n);
		col += n;
		first = false;
		p = e;
	}
	buf_addc(b, '\n');
}

/* "  -t, --topic filter" and the like, the left column of an option. */
static void
option_label(const struct opt_row *r, struct buf *b)
{
	buf_adds(b, "  ");
	if (is_letter(r->id))
		buf_printf(b, "-%c%s", r->id, r->name != NULL ? ", " : "");
	else
		buf_adds(b, "    ");
	if (r->name != NULL)
		buf_printf(b, "--%s", r->name);
	if (r->has_arg == required_argument)
		buf_printf(b, " %s", r->arg);
	else if (r->has_arg == optional_argument)
		buf_printf(b, r->name != NULL ? "[=%s]" : " [%s]", r->arg);
}

static void
add_options(struct buf *b, const struct opt_row *table)
{
	const struct opt_row **all;
	struct buf line = BUF_INIT, text = BUF_INIT;
	size_t i, n;

	all = rows_of(table, &n);
	qsort(all, n, sizeof(*all), cmp_row);
	buf_adds(b, "\nOptions:\n");
	for (i = 0; i < n; i++) {
		const struct opt_row *r = all[i];

		if (r->flags & OPT_HIDDEN)
			continue;
		buf_reset(&line);
		buf_reset(&text);
		option_label(r, &line);
		if (line.len + 2 > HELP_COL) {
			buf_addc(&line, '\n');
			buf_add(b, line.data, line.len);
			buf_reset(&line);
		}
		while (line.len < HELP_COL)
			buf_addc(&line, ' ');
		buf_add(b, line.data, line.len);
		buf_adds(&text, r->help != NULL ? r->help : "");
		if (r->def != NULL)
			buf_printf(&text, " (default: %s)", r->def);
		add_wrapped(b, HELP_COL, HELP_COL, buf_cstr(&text));
	}
	buf_free(&line);
	buf_free(&text);
	free(all);
}

/* Lines of text, '\n' between them, each indented; "NAME\twhat" lines
 * have what in the help column. */
static void
add_lines(struct buf *b, const char *title, const char *text)
{
	const char *p = text, *e, *tab;
	struct buf one = BUF_INIT;
	size_t col;

	buf_printf(b, "\n%s:\n", title);
	while (*p != '\0') {
		e = strchr(p, '\n');
		if (e == NULL)
			e = p + strlen(p);
		buf_reset(&one);
		buf_add(&one, p, (size_t)(e - p));
		tab = strchr(buf_cstr(&one), '\t');
		buf_adds(b, "  ");
		if (tab == NULL) {
			buf_adds(b, buf_cstr(&one));
			buf_addc(b, '\n');
		} else {
			buf_add(b, one.data, (size_t)(tab - one.data));
			col = 2 + (size_t)(tab - one.data);
			if (col + 2 > HELP_COL) {
				buf_addc(b, '\n');
				col = 0;
			}
			for (; col < HELP_COL; col++)
				buf_addc(b, ' ');
			add_wrapped(b, HELP_COL, HELP_COL, tab + 1);
		}
		p = *e == '\n' ? e + 1 : e;
	}
	buf_free(&one);
}

void
opt_help_text(struct buf *b, const char *prog, const struct opt_row *table,
    const char *operands, const struct opt_help *help)
{
	opt_usage(b, prog, table, operands);
	if (help != NULL && help->about != NULL)
		buf_printf(b, "\n%s: %s\n", prog, help->about);
	add_options(b, table);
	if (help != NULL && help->env != NULL)
		add_lines(b, "Environment", help->env);
	if (help != NULL && help->examples != NULL)
		add_lines(b, "Examples", help->examples);
	buf_printf(b, "\nSee %s(1) and iotpipe(7).\n", prog);
}

void
opt_list(struct buf *b, const struct opt_row *table)
{
	const struct opt_row **all;
	size_t i, n;

	all = rows_of(table, &n);
	for (i = 0; i < n; i++) {
		const struct opt_row *r = all[i];

		if (r->flags & OPT_HIDDEN)
			continue;
		if (is_letter(r->id))
			buf_printf(b, "-%c", r->id);
		buf_addc(b, '\t');
		if (r->name != NULL)
			buf_printf(b, "--%s", r->name);
		buf_printf(b, "\t%s\t%s", r->arg ? r->arg : "",
		    r->help ? r->help : "");
		if (r->def != NULL)
			buf_printf(b, " (default: %s)", r->def);
		buf_addc(b, '\n');
	}
	free(all);
}
