/* SPDX-License-Identifier: MIT */
/* vsim's routes: NDJSON route sets into geometry and trigger points. */
#include "common/prelude.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/jsonx.h"
#include "common/xalloc.h"
#include "numfmt.h"
#include "routes.h"

#define EARTH_KM 6371.0088 /* mean radius */
#define ROUTES_FILE_MAX (64 * 1024 * 1024)

int32_t
routes_round5(const char *s, size_t n)
{
	const char *end = s + n;
	bool neg = false;
	int64_t v = 0;
	int frac = 0;
	bool up = false;

	if (s < end && *s == '-') {
		neg = true;
		s++;
	}
	for (; s < end && *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (*s - '0');
	if (s < end && *s == '.')
		for (s++; s < end && *s >= '0' && *s <= '9'; s++) {
			if (frac < 5) {
				v = v * 10 + (*s - '0');
				frac++;
			} else if (frac == 5) {
				/* the sixth decimal decides; a 5 followed
				 * by more digits is above the half */
				frac++;
				if (*s > '5')
					up = true;
				else if (*s == '5')
					up = !neg;
				if (*s == '5' && neg)
					for (const char *q = s + 1;
					     q < end && *q >= '0' && *q <= '9';
					     q++)
						if (*q != '0')
							up = true;
			}
		}
	if (s < end && (*s == 'e' || *s == 'E'))
		return 0; /* exponent text: below 1e-6 here, rounds to 0 */
	for (; frac < 5; frac++)
		v *= 10;
	if (up)
		v++;
	return (int32_t)(neg ? -v : v);
}

static double
rad(double deg)
{
	return deg * (M_PI / 180.0);
}

/* Great-circle distance in km. */
static double
haversine(double lat1, double lon1, double lat2, double lon2)
{
	double a = sin(rad(lat2 - lat1) / 2), b = sin(rad(lon2 - lon1) / 2);
	double h = a * a + cos(rad(lat1)) * cos(rad(lat2)) * b * b;

	return 2 * EARTH_KM * asin(sqrt(h > 1 ? 1 : h));
}

static bool
number(const struct jval *v, double *out)
{
	char tmp[64];

	if (v == NULL || v->type != J_NUMBER || v->len >= sizeof(tmp))
		return false;
	memcpy(tmp, v->u.s, v->len);
	tmp[v->len] = '\0';
	*out = strtod(tmp, NULL);
	return isfinite(*out);
}

/* How many triggers of key the route fires: 0 when absent. */
static int
trigger_count(const struct jval *trig, const char *key, size_t *out)
{
	const struct jval *v = jsonx_get(trig, key);
	double d;

	*out = 0;
	if (v == NULL)
		return 0;
	if (!number(v, &d) || d < 0 || d > 1000 || d != floor(d))
		return -1;
	*out = (size_t)d;
	return 0;
}

static int
cmp_trigger(const void *a, const void *b)
{
	const struct trigger *x = a, *y = b;

	if (x->point != y->point)
		return x->point < y->point ? -1 : 1;
	return (int)x->kind - (int)y->kind;
}

/*
 * The points where a route's triggers fire: the route files give only how
 * many of each kind, so vsim spreads them along the route, each kind at
 * its own offset (vsim(1), "Routes").
 */
static void
place_triggers(struct route *r, const size_t count[3])
{
	static const double offset[3] = {0.35, 0.6, 0.15};
	size_t k, j, total = count[0] + count[1] + count[2];

	r->triggers = xcalloc(total ? total : 1, sizeof(*r->triggers));
	for (k = 0; k < 3; k++)
		for (j = 0; j < count[k]; j++) {
			double f = ((double)j + offset[k]) / (double)count[k];
			size_t p = 1 + (size_t)(f * (double)(r->npoints - 2));

			r->triggers[r->ntriggers].point = p;
			r->triggers[r->ntriggers].kind = (enum trigger_kind)k;
			r->ntriggers++;
		}
	qsort(r->triggers, r->ntriggers, sizeof(*r->triggers), cmp_trigger);
}

static const char *
parse_points(struct route *r, const struct jval *pts)
{
	size_t i;

	if (pts == NULL || pts->type != J_ARRAY)
		return "no \"points\" array";
	if (pts->len < 2)
		return "\"points\" needs at least 2 points";
	r->points = xcalloc(pts->len, sizeof(*r->points));
	for (i = 0; i < pts->len; i++) {
		const struct jval *pt = pts->u.items[i];
		struct route_point *p = &r->points[i];
		size_t n;

		if (pt->type != J_ARRAY || pt->len < 2 ||
		    !number(pt->u.items[0], &p->lon) ||
		    !number(pt->u.items[1], &p->lat))
			return "a point is not [lon, lat]";
		if (p->lat < -90 || p->lat > 90 || p->lon < -180 ||
		    p->lon > 180)
			return "a point is out of range (points are [lon, lat])";
		n = num_shortest(p->lat_text, p->lat);
		p->lat5 = routes_round5(p->lat_text, n);
		n = num_shortest(p->lon_text, p->lon);
		p->lon5 = routes_round5(p->lon_text, n);
		if (p->lat5 == 0 && p->lon5 == 0)
			return "a point rounds to (0, 0), which reads as no GPS "
			       "fix";
		if (i > 0)
			p->km = r->points[i - 1].km +
			    haversine(r->points[i - 1].lat,
				r->points[i - 1].lon, p->lat, p->lon);
		r->npoints++;
	}
	if (!(r->points[r->npoints - 1].km > 0))
		return "the route has no length";
	return NULL;
}

static bool
id_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 64)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == '"' || s[i] == '\\' ||
		    (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

/* One route line into set; NULL or the reason it is refused. */
static const char *
parse_route(struct route_set *set, struct arena *a, const char *p, size_t n)
{
	struct jval *root, *v, *trig;
	struct route *r;
	size_t count[3];
	const char *why;

	if (jsonx_parse(a, p, n, &root, NULL) != JSONX_OK)
		return "invalid JSON";
	if (root->type != J_OBJECT)
		return "not a JSON object";
	v = jsonx_get(root, "route_id");
	if (v == NULL || v->type != J_STRING || !id_ok(v->u.s, v->len))
		return "\"route_id\" must be a string of 1-64 printable "
		       "ASCII characters without quotes or backslashes";
	set->routes =
	    xreallocarray(set->routes, set->n + 1, sizeof(*set->routes));
	r = &set->routes[set->n++];
	memset(r, 0, sizeof(*r));
	r->id = xmemdup(v->u.s, v->len);
	r->id_len = v->len;
	r->in_manifest = true;
	if ((v = jsonx_get(root, "in_manifest")) != NULL) {
		if (v->type != J_TRUE && v->type != J_FALSE)
			return "\"in_manifest\" must be true or false";
		r->in_manifest = v->type == J_TRUE;
	}
	v = jsonx_get(root, "profile");
	if (v == NULL || (v->type == J_STRING && strcmp(v->u.s, "normal") == 0))
		r->profile = PROFILE_NORMAL;
	else if (v->type == J_STRING && strcmp(v->u.s, "aggressive") == 0)
		r->profile = PROFILE_AGGRESSIVE;
	else
		return "\"profile\" must be \"normal\" or \"aggressive\"";
	if ((why = parse_points(r, jsonx_get(root, "points"))) != NULL)
		return why;
	trig = jsonx_get(root, "triggers");
	if (trig != NULL && trig->type != J_OBJECT)
		return "\"triggers\" must be an object";
	if (trigger_count(trig, "dtc", &count[TRIGGER_DTC]) < 0 ||
	    trigger_count(trig, "brake", &count[TRIGGER_BRAKE]) < 0 ||
	    trigger_count(trig, "oiltemp", &count[TRIGGER_OILTEMP]) < 0)
		return "a trigger count is not an integer 0-1000";
	place_triggers(r, count);
	return NULL;
}

int
routes_add_text(struct route_set *set, const char *p, size_t n,
    const char *name, struct buf *err)
{
	struct arena *a = arena_new();
	const char *end = p + n;
	unsigned long long lineno = 0;
	int rc = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((nl ? nl : end) - p);
		const char *why;
		size_t i;

		lineno++;
		if (len > 0 && p[len - 1] == '\r')
			len--;
		for (i = 0; i < len && (p[i] == ' ' || p[i] == '\t'); i++)
			;
		if (i < len) {
			arena_reset(a);
			if ((why = parse_route(set, a, p, len)) != NULL) {
				buf_printf(err, "%s: line %llu: %s", name,
				    lineno, why);
				rc = -1;
				break;
			}
		}
		p = nl ? nl + 1 : end;
	}
	arena_free(a);
	return rc;
}

static int
read_file(const char *path, struct buf *b, struct buf *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		buf_printf(err, "--routes: %s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		buf_grow(b, 65536);
		n = read(fd, b->data + b->len, b->cap - b->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		b->len += (size_t)n;
		if (b->len > ROUTES_FILE_MAX) {
			close(fd);
			buf_printf(
			    err, "--routes: %s: larger than 64 MiB", path);
			return -1;
		}
	}
	if (n < 0) {
		buf_printf(err, "--routes: %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int
routes_load(struct route_set *set, const char *path, struct buf *err)
{
	size_t i;
	int rc = 0;

	memset(set, 0, sizeof(*set));
	if (path == NULL) {
		for (i = 0; routes_builtin_text[i] != NULL && rc == 0; i++)
			rc = routes_add_text(set, routes_builtin_text[i],
			    strlen(routes_builtin_text[i]), "built-in routes",
			    err);
	} else {
		struct buf text = BUF_INIT;
		struct buf name = BUF_INIT;

		buf_printf(&name, "--routes: %s", path);
		rc = read_file(path, &text, err);
		if (rc == 0)
			rc = routes_add_text(
			    set, text.data, text.len, buf_cstr(&name), err);
		buf_free(&text);
		buf_free(&name);
	}
	if (rc == 0) {
		set->pick = xcalloc(set->n ? set->n : 1, sizeof(*set->pick));
		for (i = 0; i < set->n; i++)
			if (set->routes[i].in_manifest)
				set->pick[set->npick++] = i;
		if (set->npick == 0) {
			buf_printf(err,
			    "%s%s: no route to drive (none, or "
			    "all with \"in_manifest\":false)",
			    path ? "--routes: " : "built-in routes",
			    path ? path : "");
			rc = -1;
		}
	}
	if (rc < 0)
		routes_free(set);
	return rc;
}

void
routes_free(struct route_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		free(set->routes[i].id);
		free(set->routes[i].points);
		free(set->routes[i].triggers);
	}
	free(set->routes);
	free(set->pick);
	memset(set, 0, sizeof(*set));
}
