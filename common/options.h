/* SPDX-License-Identifier: MIT */
/*
 * Command-line options, one mechanism for every program (the idea of
 * git's parse-options): a program declares one table of rows (its own
 * options, and the shared sets it takes with OPT_SET), and from that one
 * table come the getopt_long tables, the usage line of --help, the list
 * the completions are checked against (--list-options) and the help
 * line of each option.  -h/--help, -V/--version, -v/--verbose, -d/--debug
 * and --quiet are handled by the parser itself; a bad value is reported
 * through opt_bad_value() ("-p: invalid port 'x' (1-65535)", exit 2).
 *
 *	static const struct opt_row rows[] = {
 *		OPT_FLAG(OPT_FOLLOW, "follow", "reopen the fifo at its end"),
 *		OPT_ARG('t', "topic", "topic", NULL, "the topic to read"),
 *		OPT_SET(opt_rows_basic),
 *		OPT_SET(common_opt_rows),
 *		OPT_END,
 *	};
 *	struct opt_parser p;
 *	int c;
 *
 *	opt_init(&p, "prog", rows, "[file ...]", argc, argv);
 *	while ((c = opt_next(&p)) != -1) {
 *		if (common_opt_take(&p, &o->c))
 *			continue;
 *		switch (c) { ... default: opt_unhandled(&p); }
 *	}
 *	o->c.verbosity = p.verbosity;
 *	first_operand = opt_end(&p);
 */
#ifndef IOTPIPE_OPTIONS_H
#define IOTPIPE_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include <getopt.h>

#include "buf.h"
#include "log.h"

/* What the parser does itself with a row; and OPT_HIDDEN. */
enum {
	OPT_HIDDEN = 1 << 0, /* accepted, documented, not in the usage */
	OPT_DO_HELP = 1 << 1, /* print the usage on stdout, exit 0 */
	OPT_DO_VERSION = 1 << 2, /* print "prog VERSION (iotpipe)", exit 0 */
	OPT_DO_VERBOSE = 1 << 3, /* verbosity + 1 (from 0 after --quiet) */
	OPT_DO_DEBUG = 1 << 4, /* verbosity + 2 */
	OPT_DO_QUIET = 1 << 5, /* verbosity -1: errors only */
};

/*
 * One option.  id is what opt_next() returns: the short letter when there
 * is one, else a value of an enum: the shared sets use 0x100-0x1fff, a
 * program's own long-only options start at OPT_OWN.  Every row of a
 * table has its own id and long name.
 */
struct opt_row {
	int id;
	const char *name; /* long name, NULL for a letter only */
	int has_arg; /* no_argument, required_argument, optional_argument */
	const char *arg; /* the argument's name in the usage */
	const char *help; /* one line: what the option does */
	const char *def; /* the default, as the help shows it; or NULL */
	unsigned flags; /* OPT_HIDDEN, OPT_DO_* */
	const struct opt_row *set; /* OPT_SET: a shared set's rows */
};

/* Long-only ids of a program's own options start here. */
#define OPT_OWN 0x2000

/* clang-format off */
#define OPT_FLAG(i, n, h) \
	{.id = (i), .name = (n), .has_arg = no_argument, .help = (h)}
#define OPT_ARG(i, n, a, d, h) \
	{.id = (i), .name = (n), .has_arg = required_argument, .arg = (a), \
	    .def = (d), .help = (h)}
#define OPT_OPTARG(i, n, a, d, h) \
	{.id = (i), .name = (n), .has_arg = optional_argument, .arg = (a), \
	    .def = (d), .help = (h)}
#define OPT_SET(rows) {.set = (rows)}
#define OPT_END {.id = 0}
/* clang-format on */

/* Ids of the rows of the shared basic sets that have no letter. */
enum {
	OPT_ID_HELP = 0x100,
	OPT_ID_VERSION,
	OPT_ID_QUIET,
	OPT_ID_LIST_OPTIONS,
};

/* -h/--help, -q/--quiet, -V/--version, -v/--verbose. */
extern const struct opt_row opt_rows_basic[];
/*
 * The MQTT tools' basic set: mosquitto's letters win there (-h is the
 * host, -q the QoS, -V the protocol version), so -d/--debug,
 * -v/--verbose, and --help, --version, --quiet without a letter.
 */
extern const struct opt_row opt_rows_basic_mqtt[];

/*
 * What --help says besides the options: what the program does (one
 * line), the environment variables it reads ("NAME\twhat it is" lines,
 * '\n' between them), and examples (command lines, '\n' between them).
 * Set p->help after opt_init(); NULL members are left out.
 */
struct opt_help {
	const char *about;
	const char *env;
	const char *examples;
};

struct opt_parser {
	const char *prog;
	const struct opt_help *help; /* for --help, or NULL */
	const struct opt_row *table;
	const char *operands; /* for the usage: "[file ...]", or NULL */
	const char *version_extra; /* after --version's text, or NULL */
	int verbosity; /* what -v, -d and --quiet made of 0 */
	/* the option opt_next() returned: its row and argument */
	const struct opt_row *row;
	const char *arg;
	/* private */
	int argc;
	char **argv;
	const struct opt_row **rows; /* the table flattened */
	size_t nrows;
	struct option *longopts;
	char *shortopts;
};

/*
 * Start parsing argv with table (both must outlive p).  A table that
 * names one id or long name twice is a bug: fatal().
 */
void opt_init(struct opt_parser *p, const char *prog,
    const struct opt_row *table, const char *operands, int argc, char **argv);

/*
 * The id of the next option, with p->row and p->arg set; -1 when the
 * options end.  The OPT_DO_* rows and --list-options are handled here
 * (they exit or count); an unknown option or a missing argument is a
 * usage error (exit 2).
 */
int opt_next(struct opt_parser *p);

/* Free the tables; returns the index in argv of the first operand. */
int opt_end(struct opt_parser *p);

/*
 * The usual convention for a bad value: "OPTION: WHY WHAT 'VALUE'", then
 * " (HINT)" when hint is not NULL, as a usage error (exit 2).  OPTION is
 * the current option (-p, or --name when it has no letter), VALUE its
 * argument; why is "invalid" when NULL (or an errstr of opt.h's
 * parsers: "too small", "too large").
 *	opt_bad_value(p, errstr, "port", "1-65535");
 */
_Noreturn void opt_bad_value(const struct opt_parser *p, const char *why,
    const char *what, const char *hint);

/* "OPTION: " and the message, as a usage error (exit 2). */
_Noreturn void opt_error(const struct opt_parser *p, const char *fmt, ...)
    LOG_PRINTF(2, 3);

/* The program's switch reached a row it declares but does not handle: a
 * bug, fatal(). */
_Noreturn void opt_unhandled(const struct opt_parser *p);

/* "-p", or "--name" when r has no letter, as messages name it;
 * appended to b. */
void opt_row_label(const struct opt_row *r, struct buf *b);

/*
 * The usage text of table, style(9) order: letters without argument in
 * one bracket group, then long flags, then letters with an argument,
 * then long options with one, then operands (may be NULL).  Wrapped at
 * 80 columns under the first option.  Appended to b, ending in "\n".
 */
void opt_usage(struct buf *b, const char *prog, const struct opt_row *table,
    const char *operands);

/*
 * The whole --help text: the usage as opt_usage() makes it, a blank
 * line, help->about, then each option that is not hidden with its help
 * text and default ("  -t, --topic filter   what (default: X)"), the
 * environment, the examples and "See prog(1) and iotpipe(7)."; help
 * may be NULL.  Appended to b.
 */
void opt_help_text(struct buf *b, const char *prog, const struct opt_row *table,
    const char *operands, const struct opt_help *help);

/*
 * What --list-options prints, for completions and tests: one line per
 * row that is not hidden, "SHORT\tLONG\tARG\tHELP[ (default: DEF)]",
 * each field empty when the row has none ("-h", "--help").  Appended to
 * b.
 */
void opt_list(struct buf *b, const struct opt_row *table);

/* The row of table with this id, or NULL. */
const struct opt_row *opt_find(const struct opt_row *table, int id);

#endif
