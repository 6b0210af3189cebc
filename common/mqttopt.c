/* SPDX-License-Identifier: MIT */
/* The MQTT tools' shared options: tables, MQTT_URL, secrets, client setup. */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mosquitto.h>
#include <mqtt_protocol.h>

#include "backoff.h"
#include "buf.h"
#include "clock.h"
#include "env.h"
#include "log.h"
#include "mqttopt.h"
#include "opt.h"
#include "xalloc.h"
#include "banned.h"

/* clang-format off */
const struct mqtt_optdef mqtt_optdefs[] = {
	{'h', "host", required_argument, "host", false},
	{'p', "port", required_argument, "port", false},
	{'L', "url", required_argument, "url", false},
	{MQTT_OPT_UNIX, "unix", required_argument, "path", false},
	{'V', "protocol-version", required_argument, "version", false},
	{'i', "id", required_argument, "id", false},
	{'I', "id-prefix", required_argument, "prefix", false},
	{'k', "keepalive", required_argument, "seconds", false},
	{'u', "username", required_argument, "user", false},
	{'P', "pw", required_argument, "password", false},
	{MQTT_OPT_PASSWORD_FILE, "password-file", required_argument, "path", false},
	{MQTT_OPT_CAFILE, "cafile", required_argument, "path", false},
	{MQTT_OPT_CAPATH, "capath", required_argument, "dir", false},
	{MQTT_OPT_CERT, "cert", required_argument, "path", false},
	{MQTT_OPT_KEY, "key", required_argument, "path", false},
	{MQTT_OPT_INSECURE, "insecure", no_argument, NULL, false},
	{MQTT_OPT_TLS_VERSION, "tls-version", required_argument, "version", false},
	{MQTT_OPT_OS_CERTS, "tls-use-os-certs", no_argument, NULL, false},
	{MQTT_OPT_RETRIES, "retries", required_argument, "count", false},
	MQTT_OPTDEF_END,
};

const struct mqtt_optdef mqtt_common_optdefs[] = {
	{OPT_REJECTS, "rejects", required_argument, "path", false},
	{OPT_STATS, "stats", required_argument, "seconds", false},
	{OPT_PROGRESS, "progress", no_argument, NULL, false},
	{OPT_MAX_LINE, "max-line", required_argument, "bytes", false},
	{OPT_STRICT, "strict", no_argument, NULL, false},
	MQTT_OPTDEF_END,
};

const struct mqtt_optdef mqtt_tool_optdefs[] = {
	{'d', "debug", no_argument, NULL, false},
	{'v', "verbose", no_argument, NULL, false},
	{'q', "qos", required_argument, "qos", false},
	{MQTT_TOOL_HELP, "help", no_argument, NULL, false},
	{MQTT_TOOL_VERSION, "version", no_argument, NULL, false},
	{MQTT_TOOL_QUIET, "quiet", no_argument, NULL, false},
	MQTT_OPTDEF_END,
};
/* clang-format on */

/* How each shared option is stored: the table the handler walks. */
enum kind {
	K_STR, /* a non-empty string, kept as given */
	K_TLS_STR, /* the same, and TLS is on */
	K_PORT,
	K_URL,
	K_UNIX,
	K_VERSION,
	K_KEEPALIVE,
	K_PASSWORD,
	K_PASSWORD_FILE,
	K_INSECURE,
	K_OS_CERTS,
	K_TLS_VERSION,
	K_RETRIES,
};

struct handler {
	int id;
	enum kind kind;
	size_t off; /* of the char * member, for K_STR and K_TLS_STR */
};

#define OFF(m) offsetof(struct mqtt_opts, m)

static const struct handler handlers[] = {
    {'h', K_STR, OFF(host)},
    {'p', K_PORT, 0},
    {'L', K_URL, 0},
    {MQTT_OPT_UNIX, K_UNIX, 0},
    {'V', K_VERSION, 0},
    {'i', K_STR, OFF(id)},
    {'I', K_STR, OFF(id_prefix)},
    {'k', K_KEEPALIVE, 0},
    {'u', K_STR, OFF(user)},
    {'P', K_PASSWORD, 0},
    {MQTT_OPT_PASSWORD_FILE, K_PASSWORD_FILE, 0},
    {MQTT_OPT_CAFILE, K_TLS_STR, OFF(cafile)},
    {MQTT_OPT_CAPATH, K_TLS_STR, OFF(capath)},
    {MQTT_OPT_CERT, K_TLS_STR, OFF(cert)},
    {MQTT_OPT_KEY, K_TLS_STR, OFF(key)},
    {MQTT_OPT_INSECURE, K_INSECURE, 0},
    {MQTT_OPT_TLS_VERSION, K_TLS_VERSION, 0},
    {MQTT_OPT_OS_CERTS, K_OS_CERTS, 0},
    {MQTT_OPT_RETRIES, K_RETRIES, 0},
};

/* ------------------------------------------------------------ tables */

static bool
is_letter(int id)
{
	return id > 0 && id < 128 && isalnum(id);
}

const struct mqtt_optdef *
mqtt_optdef_find(const struct mqtt_optdef *const *sets, int id)
{
	const struct mqtt_optdef *d;
	size_t i;

	for (i = 0; sets[i] != NULL; i++)
		for (d = sets[i]; d->id != 0 || d->name != NULL; d++)
			if (d->id == id)
				return d;
	return NULL;
}

void
mqtt_getopt_tables(const struct mqtt_optdef *const *sets,
    struct option **longopts, char **shortopts)
{
	const struct mqtt_optdef *d;
	struct option *lo;
	char *so;
	size_t i, n = 0, nl = 0, ns = 1;

	for (i = 0; sets[i] != NULL; i++)
		for (d = sets[i]; d->id != 0 || d->name != NULL; d++)
			n++;
	lo = xcalloc(n + 1, sizeof(*lo));
	so = xcalloc(3 * n + 2, 1);
	so[0] = ':';
	for (i = 0; sets[i] != NULL; i++)
		for (d = sets[i]; d->id != 0 || d->name != NULL; d++) {
			if (d->name != NULL) {
				lo[nl].name = d->name;
				lo[nl].has_arg = d->has_arg;
				lo[nl].flag = NULL;
				lo[nl].val = d->id;
				nl++;
			}
			if (is_letter(d->id)) {
				so[ns++] = (char)d->id;
				if (d->has_arg != no_argument)
					so[ns++] = ':';
				if (d->has_arg == optional_argument)
					so[ns++] = ':';
			}
		}
	*longopts = lo;
	*shortopts = so;
}

/* style(9): alphabetical, upper case before lower case of one letter. */
static int
letter_rank(int c)
{
	return tolower(c) * 2 + (isupper(c) ? 0 : 1);
}

static int
cmp_def(const void *a, const void *b)
{
	const struct mqtt_optdef *x = *(const struct mqtt_optdef *const *)a;
	const struct mqtt_optdef *y = *(const struct mqtt_optdef *const *)b;

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
mqtt_usage(struct buf *b, const char *prog,
    const struct mqtt_optdef *const *sets, const char *operands)
{
	const struct mqtt_optdef *d, **all;
	struct buf word = BUF_INIT;
	struct wrap w;
	size_t i, j, n = 0, start;
	int group;

	for (i = 0; sets[i] != NULL; i++)
		for (d = sets[i]; d->id != 0 || d->name != NULL; d++)
			n++;
	all = xcalloc(n + 1, sizeof(*all));
	n = 0;
	for (i = 0; sets[i] != NULL; i++)
		for (d = sets[i]; d->id != 0 || d->name != NULL; d++)
			if (!d->hidden)
				all[n++] = d;
	qsort(all, n, sizeof(*all), cmp_def);

	start = b->len;
	buf_printf(b, "usage: %s", prog);
	w.b = b;
	w.indent = b->len - start + 1;
	w.col = w.indent - 1;

	/* letters without an argument, in one group */
	buf_reset(&word);
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

/* ------------------------------------------------------------ URLs */

void
mqtt_url_free(struct mqtt_url *u)
{
	if (u == NULL)
		return;
	free(u->user);
	secret_free(u->password);
	free(u->host);
	free(u->topic);
	memset(u, 0, sizeof(*u));
}

int
mqtt_url_parse(const char *url, struct mqtt_url *u, struct buf *err)
{
	const char *p, *auth, *auth_end, *at, *colon, *hp, *hend, *portp;
	unsigned long long port;
	const char *errstr;
	char *tmp;

	memset(u, 0, sizeof(*u));
	if (strncmp(url, "mqtt://", 7) == 0)
		p = url + 7;
	else if (strncmp(url, "mqtts://", 8) == 0) {
		u->tls = true;
		p = url + 8;
	} else {
		buf_adds(err, "scheme must be mqtt:// or mqtts://");
		return -1;
	}
	auth = p;
	auth_end = auth + strcspn(auth, "/?#");
	if (*auth_end == '?' || *auth_end == '#') {
		buf_adds(err, "a query or fragment is not allowed");
		return -1;
	}
	/* the last '@' of the authority ends the userinfo */
	at = NULL;
	for (p = auth; p < auth_end; p++)
		if (*p == '@')
			at = p;
	hp = auth;
	if (at != NULL) {
		colon = memchr(auth, ':', (size_t)(at - auth));
		if ((u->user = url_pct_decode(
			 auth, (size_t)((colon ? colon : at) - auth))) == NULL)
			goto badesc;
		if (colon != NULL &&
		    (u->password = url_pct_decode(
			 colon + 1, (size_t)(at - colon - 1))) == NULL)
			goto badesc;
		hp = at + 1;
	}
	if (*hp == '[') {
		hend = memchr(hp, ']', (size_t)(auth_end - hp));
		if (hend == NULL) {
			buf_adds(err, "unterminated '[' in the host");
			goto fail;
		}
		u->host = xmemdup(hp + 1, (size_t)(hend - hp - 1));
		portp = hend + 1;
		if (portp < auth_end && *portp != ':') {
			buf_adds(err, "junk after ']' in the host");
			goto fail;
		}
	} else {
		hend = memchr(hp, ':', (size_t)(auth_end - hp));
		if (hend == NULL)
			hend = auth_end;
		u->host = xmemdup(hp, (size_t)(hend - hp));
		portp = hend;
	}
	if (u->host[0] == '\0') {
		buf_adds(err, "no host");
		goto fail;
	}
	if (portp < auth_end) {
		tmp = xmemdup(portp + 1, (size_t)(auth_end - portp - 1));
		if (parse_uint_range(tmp, 1, 65535, &port, &errstr) < 0) {
			buf_printf(err, "%s port", errstr);
			free(tmp);
			goto fail;
		}
		free(tmp);
		u->port = (int)port;
	}
	if (*auth_end == '/' && auth_end[1] != '\0') {
		u->topic = url_pct_decode(auth_end + 1, strlen(auth_end + 1));
		if (u->topic == NULL)
			goto badesc;
	}
	return 0;
badesc:
	buf_adds(err, "bad %-escape");
fail:
	mqtt_url_free(u);
	return -1;
}

/* ------------------------------------------------------------ options */

void
mqtt_opts_init(struct mqtt_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->version = MQTT_PROTOCOL_V5;
	o->keepalive = MQTT_KEEPALIVE;
	o->retries = MQTT_RETRIES_DEFAULT;
}

void
mqtt_opts_free(struct mqtt_opts *o)
{
	secret_free(o->password);
	o->password = NULL;
	mqtt_url_free(&o->url);
	mqtt_url_free(&o->env);
}

/* "-p: " or "--cafile: ", the start of a message about option id. */
static void
prefix(struct buf *err, int id)
{
	const struct mqtt_optdef *const sets[] = {mqtt_optdefs, NULL};
	const struct mqtt_optdef *d = mqtt_optdef_find(sets, id);

	if (d != NULL && is_letter(d->id))
		buf_printf(err, "-%c: ", d->id);
	else if (d != NULL)
		buf_printf(err, "--%s: ", d->name);
}

#define BAD(...)                                                               \
	do {                                                                   \
		prefix(err, id);                                               \
		buf_printf(err, __VA_ARGS__);                                  \
		return -1;                                                     \
	} while (0)

bool
mqtt_opt_take(
    struct common_opts *co, struct mqtt_opts *o, int id, const char *arg)
{
	struct buf err = BUF_INIT;
	int rc;

	if (common_opt_handle(co, id, arg))
		return true;
	if ((rc = mqtt_opt_handle(o, id, arg, &err)) < 0)
		usage_error("%s", buf_cstr(&err));
	return rc > 0;
}

void
mqtt_tool_init(const struct mqtt_tool *t)
{
	common_opts_init(t->c);
	mqtt_opts_init(t->m);
	*t->qos = 1;
}

bool
mqtt_tool_take(const struct mqtt_tool *t, int id, const char *arg)
{
	struct buf b = BUF_INIT;
	unsigned long long v;

	if (mqtt_opt_take(t->c, t->m, id, arg))
		return true;
	switch (id) {
	case MQTT_TOOL_HELP:
		mqtt_usage(&b, t->prog, t->sets, NULL);
		opt_help(buf_cstr(&b));
	case MQTT_TOOL_VERSION:
		opt_version(t->prog, NULL);
	case MQTT_TOOL_QUIET:
		opt_quiet(t->c);
		return true;
	case 'v':
	case 'd':
		opt_verbose(t->c, id == 'd' ? 2 : 1);
		return true;
	case 'q':
		if (parse_uint_range(arg, 0, 2, &v, NULL) < 0)
			usage_error("-q: invalid QoS '%s' (0, 1 or 2)", arg);
		*t->qos = (int)v;
		return true;
	default:
		return false;
	}
}

int
mqtt_opt_handle(struct mqtt_opts *o, int id, const char *arg, struct buf *err)
{
	const struct handler *h = NULL;
	unsigned long long v;
	const char *errstr;
	size_t i;

	for (i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
		if (handlers[i].id == id) {
			h = &handlers[i];
			break;
		}
	if (h == NULL)
		return 0;
	switch (h->kind) {
	case K_TLS_STR:
		o->tls = true;
		/* FALLTHROUGH */
	case K_STR:
		if (arg == NULL || *arg == '\0')
			BAD("empty value");
		*(const char **)((char *)o + h->off) = arg;
		break;
	case K_PORT:
		if (parse_uint_range(arg, 1, 65535, &v, &errstr) < 0)
			BAD("invalid port '%s' (1-65535)", arg);
		o->port = (int)v;
		break;
	case K_URL:
		mqtt_url_free(&o->url);
		if (mqtt_url_parse(arg, &o->url, err) < 0) {
			/* the reason is in err already; say whose it is */
			struct buf t = BUF_INIT;

			buf_add(&t, err->data, err->len);
			err->len = 0;
			buf_adds(err, "-L: ");
			buf_add(err, t.data, t.len);
			buf_free(&t);
			return -1;
		}
		o->have_url = true;
		break;
	case K_UNIX:
		if (arg == NULL || *arg == '\0')
			BAD("empty path");
		o->unix_path = (char *)arg;
		break;
	case K_VERSION:
		if (strcmp(arg, "5") == 0 || strcmp(arg, "mqttv5") == 0)
			o->version = MQTT_PROTOCOL_V5;
		else if (strcmp(arg, "311") == 0 ||
		    strcmp(arg, "mqttv311") == 0)
			o->version = MQTT_PROTOCOL_V311;
		else if (strcmp(arg, "31") == 0 || strcmp(arg, "mqttv31") == 0)
			o->version = MQTT_PROTOCOL_V31;
		else
			BAD("unknown protocol version '%s' (5, 311 or 31)",
			    arg);
		break;
	case K_KEEPALIVE:
		if (parse_uint_range(arg, 0, 65535, &v, &errstr) < 0 ||
		    (v > 0 && v < 5))
			BAD("invalid keepalive '%s' (0, or 5-65535 seconds)",
			    arg);
		o->keepalive = (int)v;
		break;
	case K_PASSWORD:
		/* the value is never echoed, even when it is rejected */
		if (arg == NULL || *arg == '\0')
			BAD("empty password");
		o->pw_argv = arg;
		break;
	case K_PASSWORD_FILE:
		if (arg == NULL || *arg == '\0')
			BAD("empty path");
		o->password_file = arg;
		break;
	case K_INSECURE:
		o->insecure = true;
		break;
	case K_OS_CERTS:
		o->os_certs = true;
		o->tls = true;
		break;
	case K_TLS_VERSION:
		if (strcmp(arg, "tlsv1.3") != 0 &&
		    strcmp(arg, "tlsv1.2") != 0 && strcmp(arg, "tlsv1.1") != 0)
			BAD("unknown TLS version '%s' (tlsv1.3, tlsv1.2 or "
			    "tlsv1.1)",
			    arg);
		o->tls_version = (char *)arg;
		break;
	case K_RETRIES:
		if (strcmp(arg, "forever") == 0) {
			o->retries_forever = true;
			break;
		}
		if (parse_uint_range(arg, 0, 4294967295ULL, &v, &errstr) < 0)
			BAD("invalid count '%s' (a number, or 'forever')", arg);
		o->retries = v;
		o->retries_forever = false;
		break;
	}
	return 1;
}

int
mqtt_opts_port(const struct mqtt_opts *o)
{
	if (o->port > 0)
		return o->port;
	return o->tls ? MQTT_PORT_TLS : MQTT_PORT;
}

static int
check_readable(const char *opt, const char *path, bool dir, struct buf *err)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		buf_printf(err, "%s %s: %s", opt, path, strerror(errno));
		return -1;
	}
	if (dir && !S_ISDIR(st.st_mode)) {
		buf_printf(err, "%s %s: %s", opt, path, strerror(ENOTDIR));
		return -1;
	}
	if (!dir && S_ISDIR(st.st_mode)) {
		buf_printf(err, "%s %s: %s", opt, path, strerror(EISDIR));
		return -1;
	}
	if (access(path, R_OK) < 0) {
		buf_printf(err, "%s %s: %s", opt, path, strerror(errno));
		return -1;
	}
	return 0;
}

int
mqtt_opts_finish(struct mqtt_opts *o, const char *env_url, struct buf *err)
{
	const struct mqtt_url *src = NULL;
	bool explicit_pw = false;
	const char *v;

	if (o->have_url)
		src = &o->url;
	else if (env_url != NULL && o->host == NULL && o->unix_path == NULL) {
		if (mqtt_url_parse(env_url, &o->env, err) < 0) {
			struct buf t = BUF_INIT;

			buf_add(&t, err->data, err->len);
			err->len = 0;
			buf_adds(err, "MQTT_URL: ");
			buf_add(err, t.data, t.len);
			buf_free(&t);
			return -1;
		}
		src = &o->env;
	}
	if (o->unix_path != NULL &&
	    (o->host != NULL || o->port != 0 || o->have_url)) {
		buf_adds(err, "--unix excludes -h, -p and -L");
		return -1;
	}
	if (src != NULL) {
		if (o->host == NULL)
			o->host = src->host;
		if (o->port == 0)
			o->port = src->port;
		if (o->user == NULL)
			o->user = src->user;
		if (src->tls)
			o->tls = true;
		o->topic = src->topic;
	}

	/* the password: the most explicit source wins */
	if (o->password_file != NULL) {
		if (secret_load(NULL, o->password_file, &o->password, err) < 0)
			return -1;
		explicit_pw = true;
	} else if (o->pw_argv != NULL) {
		log_warn("-P: a password on the command line can be seen by "
			 "other users (ps); use MQTT_PASSWORD or "
			 "--password-file");
		o->password = xstrdup(o->pw_argv);
		explicit_pw = true;
	} else if (o->have_url && o->url.password != NULL) {
		log_warn("-L: a password in the URL can be seen by other "
			 "users (ps); use MQTT_PASSWORD or --password-file");
		o->password = xstrdup(o->url.password);
		explicit_pw = true;
	} else if ((v = env_get("MQTT_PASSWORD")) != NULL) {
		o->password = xstrdup(v);
	} else if (src == &o->env && o->env.password != NULL) {
		o->password = xstrdup(o->env.password);
	}
	if (o->password != NULL && o->user == NULL) {
		if (explicit_pw) {
			buf_adds(err, "a password needs a user name (-u)");
			return -1;
		}
		/* MQTT_PASSWORD alone: certificate login, say */
		secret_free(o->password);
		o->password = NULL;
	}

	if (o->id != NULL && o->id_prefix != NULL) {
		buf_adds(err, "-i and -I exclude each other");
		return -1;
	}
	if (o->id != NULL && o->version == MQTT_PROTOCOL_V31 &&
	    strlen(o->id) > 23) {
		buf_adds(
		    err, "-i: MQTT 3.1 allows at most 23 bytes of client id");
		return -1;
	}
	if (o->id != NULL &&
	    mosquitto_validate_utf8(o->id, (int)strlen(o->id)) != 0) {
		buf_adds(err, "-i: the client id is not valid UTF-8");
		return -1;
	}
	if ((o->cert != NULL) != (o->key != NULL)) {
		buf_adds(err, "--cert and --key go together");
		return -1;
	}
	if (o->unix_path != NULL && o->tls) {
		buf_adds(err, "--unix does not take TLS options");
		return -1;
	}
	if (!o->tls && (o->insecure || o->tls_version != NULL)) {
		buf_printf(err,
		    "%s needs TLS (mqtts://, --cafile, --capath or "
		    "--tls-use-os-certs)",
		    o->insecure ? "--insecure" : "--tls-version");
		return -1;
	}
	if (o->tls && o->cafile == NULL && o->capath == NULL) {
		if (o->cert != NULL) {
			buf_adds(err, "--cert needs --cafile or --capath");
			return -1;
		}
		/* mqtts:// alone: the system's CAs, as a browser would */
		o->os_certs = true;
	}
	if (o->cafile != NULL &&
	    check_readable("--cafile", o->cafile, false, err) < 0)
		return -1;
	if (o->capath != NULL &&
	    check_readable("--capath", o->capath, true, err) < 0)
		return -1;
	if (o->cert != NULL &&
	    check_readable("--cert", o->cert, false, err) < 0)
		return -1;
	if (o->key != NULL && check_readable("--key", o->key, false, err) < 0)
		return -1;
	return 0;
}

void
mqtt_endpoint(const struct mqtt_opts *o, struct buf *b)
{
	const char *h = o->host != NULL ? o->host : "localhost";

	if (o->unix_path != NULL) {
		buf_printf(b, "unix:%s", o->unix_path);
		return;
	}
	buf_adds(b, o->tls ? "mqtts://" : "mqtt://");
	if (o->user != NULL)
		buf_printf(b, "%s@", o->user);
	if (strchr(h, ':') != NULL)
		buf_printf(b, "[%s]:%d", h, mqtt_opts_port(o));
	else
		buf_printf(b, "%s:%d", h, mqtt_opts_port(o));
}

char *
mqtt_client_id(const struct mqtt_opts *o)
{
	struct buf b = BUF_INIT;
	char *s;

	if (o->id != NULL)
		return xstrdup(o->id);
	if (o->id_prefix == NULL)
		return NULL;
	buf_printf(&b, "%s-%ld", o->id_prefix, (long)getpid());
	s = xstrdup(buf_cstr(&b));
	buf_free(&b);
	return s;
}

struct mosquitto *
mqtt_client_new(const struct mqtt_opts *o, const char *id, bool clean_start,
    void *obj, struct buf *err)
{
	struct mosquitto *mosq;
	int rc;

	mosq = mosquitto_new(id, clean_start, obj);
	if (mosq == NULL) {
		buf_printf(
		    err, "cannot create the MQTT client: %s", strerror(errno));
		return NULL;
	}
	rc = mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION, o->version);
	if (rc == MOSQ_ERR_SUCCESS && o->tls) {
		if (o->cafile != NULL || o->capath != NULL)
			rc = mosquitto_tls_set(
			    mosq, o->cafile, o->capath, o->cert, o->key, NULL);
		if (rc == MOSQ_ERR_SUCCESS && o->os_certs)
			rc = mosquitto_int_option(
			    mosq, MOSQ_OPT_TLS_USE_OS_CERTS, 1);
		if (rc == MOSQ_ERR_SUCCESS)
			rc = mosquitto_tls_opts_set(
			    mosq, 1, o->tls_version, NULL);
		if (rc == MOSQ_ERR_SUCCESS && o->insecure)
			rc = mosquitto_tls_insecure_set(mosq, true);
		if (rc != MOSQ_ERR_SUCCESS) {
			buf_printf(
			    err, "TLS setup: %s", mosquitto_strerror(rc));
			mosquitto_destroy(mosq);
			return NULL;
		}
	}
	if (rc == MOSQ_ERR_SUCCESS && (o->user != NULL || o->password != NULL))
		rc = mosquitto_username_pw_set(mosq, o->user, o->password);
	if (rc != MOSQ_ERR_SUCCESS) {
		/* never the password itself */
		buf_printf(err, "client setup: %s", mosquitto_strerror(rc));
		mosquitto_destroy(mosq);
		return NULL;
	}
	return mosq;
}

int
mqtt_client_connect(struct mosquitto *mosq, const struct mqtt_opts *o,
    const struct mqtt5__property *props)
{
	const mosquitto_property *p =
	    o->version == MQTT_PROTOCOL_V5 ? props : NULL;

	if (o->unix_path != NULL)
		return mosquitto_connect_bind_v5(
		    mosq, o->unix_path, 0, o->keepalive, NULL, p);
	return mosquitto_connect_bind_v5(mosq,
	    o->host != NULL ? o->host : "localhost", mqtt_opts_port(o),
	    o->keepalive, NULL, p);
}

const char *
mqtt_connack_text(int version, int rc)
{
	if (version == MQTT_PROTOCOL_V5)
		return mosquitto_reason_string(rc);
	return mosquitto_connack_string(rc);
}

bool
mqtt_connack_fatal(int version, int rc)
{
	if (version != MQTT_PROTOCOL_V5)
		return rc != CONNACK_REFUSED_SERVER_UNAVAILABLE;
	switch (rc) {
	case MQTT_RC_UNSPECIFIED:
	case MQTT_RC_SERVER_UNAVAILABLE:
	case MQTT_RC_SERVER_BUSY:
	case MQTT_RC_QUOTA_EXCEEDED:
	case MQTT_RC_CONNECTION_RATE_EXCEEDED:
		return false;
	default:
		return true;
	}
}

/* ------------------------------------------------------------ connection */

double
mqtt_now(void)
{
	return mono_now();
}

static const char *
ep(const struct mqtt_conn *c)
{
	return c->endpoint.data;
}

/* A failed attempt: schedule the next one, or give up. */
static void
fail(struct mqtt_conn *c, const char *what, const char *why)
{
	unsigned ms;

	c->failures++;
	if (!c->o->retries_forever && c->failures > c->o->retries) {
		log_err("%s: %s: %s (gave up after %llu attempt%s)", ep(c),
		    what, why, c->failures, c->failures == 1 ? "" : "s");
		c->fatal = true;
		return;
	}
	ms = backoff_next_ms(&c->bo);
	c->next_attempt = mqtt_now() + ms / 1000.0;
	log_warn(
	    "%s: %s: %s; retrying in %.1fs", ep(c), what, why, ms / 1000.0);
}

/* The text of a disconnect code: a MOSQ_ERR_* or an MQTT 5 reason code
 * that the broker sent in its DISCONNECT. */
static const char *
down_text(int rc, int saved_errno)
{
	if (rc >= 128)
		return mosquitto_reason_string(rc);
	if (rc == MOSQ_ERR_ERRNO)
		return strerror(saved_errno);
	return mosquitto_strerror(rc);
}

static void
on_connect(struct mosquitto *mosq, void *obj, int rc, int flags,
    const mosquitto_property *props)
{
	struct mqtt_conn *c = obj;

	(void)mosq;
	(void)props;
	if (rc == 0) {
		c->state = MQTT_UP;
		c->failures = 0;
		backoff_reset(&c->bo);
		c->session_present = (flags & 1) != 0;
		if (c->connects++ > 0)
			c->reconnects++;
		log_info("%s: connected%s", ep(c),
		    c->session_present ? " (session present)" : "");
		if (c->on_up != NULL)
			c->on_up(c);
		return;
	}
	c->state = MQTT_DOWN;
	if (mqtt_connack_fatal(c->o->version, rc)) {
		log_err("%s: connection refused: %s", ep(c),
		    mqtt_connack_text(c->o->version, rc));
		c->fatal = true;
		return;
	}
	fail(c, "connection refused", mqtt_connack_text(c->o->version, rc));
}

static void
on_disconnect(
    struct mosquitto *mosq, void *obj, int rc, const mosquitto_property *props)
{
	struct mqtt_conn *c = obj;
	enum mqtt_state was = c->state;
	int saved = errno;
	unsigned ms;

	(void)mosq;
	(void)props;
	c->state = MQTT_DOWN;
	if (c->fatal || c->closing || was == MQTT_DOWN) {
		/* nothing to retry */
	} else if (rc == MQTT_RC_SESSION_TAKEN_OVER) {
		log_err("%s: %s: another client connected with our client id",
		    ep(c), mosquitto_reason_string(rc));
		c->fatal = true;
	} else if (was == MQTT_CONNECTING && rc == MOSQ_ERR_TLS) {
		/* the handshake failed after connect() returned (a busy
		 * broker): a certificate, so the next try fails alike */
		log_err("%s: connect: %s", ep(c), mosquitto_strerror(rc));
		c->fatal = true;
	} else if (was == MQTT_CONNECTING)
		fail(c, "connect", down_text(rc, saved));
	else {
		ms = backoff_next_ms(&c->bo);
		c->next_attempt = mqtt_now() + ms / 1000.0;
		log_warn("%s: connection lost: %s; reconnecting in %.1fs",
		    ep(c), down_text(rc, saved), ms / 1000.0);
	}
	if (was == MQTT_UP && c->on_down != NULL)
		c->on_down(c);
}

static void
on_log(struct mosquitto *mosq, void *obj, int level, const char *text)
{
	(void)mosq;
	(void)obj;
	(void)level;
	log_debug("libmosquitto: %s", text);
}

int
mqtt_conn_init(struct mqtt_conn *c, const struct mqtt_opts *o, const char *id,
    bool clean_start, struct mqtt5__property *props, struct buf *err)
{
	memset(c, 0, sizeof(*c));
	c->o = o;
	c->props = props;
	c->state = MQTT_DOWN;
	backoff_init(&c->bo, MQTT_BACKOFF_BASE_MS, MQTT_BACKOFF_CAP_MS);
	mqtt_endpoint(o, &c->endpoint);
	buf_cstr(&c->endpoint);
	c->mosq = mqtt_client_new(o, id, clean_start, c, err);
	if (c->mosq == NULL)
		return -1;
	/* queue packets; only mqtt_conn_write() puts them on the wire */
	mosquitto_threaded_set(c->mosq, true);
	mosquitto_connect_v5_callback_set(c->mosq, on_connect);
	mosquitto_disconnect_v5_callback_set(c->mosq, on_disconnect);
	if (log_verbosity() >= 2)
		mosquitto_log_callback_set(c->mosq, on_log);
	return 0;
}

void
mqtt_conn_free(struct mqtt_conn *c)
{
	if (c->mosq != NULL)
		mosquitto_destroy(c->mosq);
	c->mosq = NULL;
	mosquitto_property_free_all(&c->props);
	buf_free(&c->endpoint);
}

void
mqtt_conn_tick(struct mqtt_conn *c)
{
	int rc;

	if (c->state != MQTT_DOWN || c->fatal || c->closing ||
	    mqtt_now() < c->next_attempt)
		return;
	errno = 0;
	if (c->started)
		rc = mosquitto_reconnect(c->mosq);
	else
		rc = mqtt_client_connect(c->mosq, c->o, c->props);
	c->started = true;
	if (rc == MOSQ_ERR_SUCCESS) {
		c->state = MQTT_CONNECTING;
		return;
	}
	if (rc == MOSQ_ERR_TLS || rc == MOSQ_ERR_INVAL ||
	    rc == MOSQ_ERR_NOT_SUPPORTED) {
		/* a certificate or a setting: the next try fails alike */
		log_err("%s: connect: %s", ep(c), mosquitto_strerror(rc));
		c->fatal = true;
		return;
	}
	fail(c, "connect",
	    rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
}

int
mqtt_conn_timeout_ms(const struct mqtt_conn *c)
{
	double left;

	if (c->state != MQTT_DOWN || c->fatal)
		return 1000;
	left = c->next_attempt - mqtt_now();
	if (left <= 0)
		return 0;
	return left > 1.0 ? 1000 : (int)(left * 1000.0) + 1;
}

int
mqtt_conn_pollfd(const struct mqtt_conn *c, short *events)
{
	int fd = mosquitto_socket(c->mosq);

	*events = 0;
	if (fd < 0)
		return -1;
	*events = POLLIN;
	if (mosquitto_want_write(c->mosq))
		*events |= POLLOUT;
	return fd;
}

/* A TLS failure reported by a read or write step rather than through the
 * disconnect callback: during the handshake it is a certificate problem,
 * which no retry mends. */
static void
check_tls(struct mqtt_conn *c, int rc)
{
	if (rc != MOSQ_ERR_TLS || c->fatal || c->state != MQTT_CONNECTING)
		return;
	log_err("%s: connect: %s", ep(c), mosquitto_strerror(rc));
	c->fatal = true;
	c->state = MQTT_DOWN;
}

void
mqtt_conn_read(struct mqtt_conn *c, int budget, const bool *stop)
{
	int i, rc;

	for (i = 0; i < budget; i++) {
		if (stop != NULL && *stop)
			break;
		if (mosquitto_socket(c->mosq) < 0)
			break;
		errno = 0;
		rc = mosquitto_loop_read(c->mosq, 1);
		if (rc != MOSQ_ERR_SUCCESS) {
			check_tls(c, rc);
			break;
		}
		/* the library's own sign that the socket is drained */
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
	}
}

void
mqtt_conn_write(struct mqtt_conn *c)
{
	if (mosquitto_socket(c->mosq) < 0)
		return;
	if (mosquitto_want_write(c->mosq))
		check_tls(c, mosquitto_loop_write(c->mosq, 1));
	if (mosquitto_socket(c->mosq) >= 0)
		(void)mosquitto_loop_misc(c->mosq);
}

void
mqtt_conn_close(struct mqtt_conn *c, int timeout_ms)
{
	double deadline = mqtt_now() + timeout_ms / 1000.0;
	struct pollfd pfd;

	if (c->state != MQTT_UP)
		return;
	c->closing = true;
	if (mosquitto_disconnect_v5(c->mosq, 0, NULL) != MOSQ_ERR_SUCCESS)
		return;
	while (mosquitto_socket(c->mosq) >= 0 && mqtt_now() < deadline) {
		pfd.fd = mosquitto_socket(c->mosq);
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, 100) < 0 && errno != EINTR)
			break;
		if (mosquitto_loop_write(c->mosq, 1) != MOSQ_ERR_SUCCESS)
			break;
	}
}
