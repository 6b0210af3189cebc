/* SPDX-License-Identifier: MIT */
/* The vnorm transform: a raw vehicle message to one normalized document. */
#include "common/prelude.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "common/timefmt.h"
#include "common/xalloc.h"
#include "normalize.h"

/* Roles a key can play: an output field, or one of these. */
enum {
	R_NAME = NFIELDS,
	R_VALUE,
	R_GEAR_ANY, /* a gear key holding a word (or unusable value) */
	R_GEAR_NUM, /* a gear key holding a number */
	R_UNKNOWN,
	NROLES
};

/* clang-format off */
static const char *const field_names[NFIELDS] = {
	"timestamp", "vin", "trip_id", "device_id", "route_id", "kind",
	"vehicle_speed", "engine_speed", "torque_at_transmission",
	"accelerator_pedal_position", "brake", "brake_pedal_status",
	"parking_brake_status", "steering_wheel_angle", "acceleration",
	"transmission_gear_position", "transmission_gear",
	"gear_lever_position", "ignition_status", "odometer", "fuel_level",
	"fuel_consumed_since_restart", "oil_temp", "latitude", "longitude",
	"location", "dtc", "start_time", "end_time", "vehicle_speed_mean",
	"engine_speed_mean", "torque_at_transmission_mean", "oil_temp_mean",
	"accelerator_pedal_position_mean", "brake_mean",
	"high_speed_duration", "idle_duration", "high_acceleration_event",
	"high_braking_event", "extra",
};
/* clang-format on */

static const char *const kind_names[] = {
    "telemetry",
    "location",
    "dtc",
    "trip",
    "snapshot",
};

/* Section 3.3's alias table: canonical key -> role. */
/* clang-format off */
static const struct alias {
	const char *key;
	int role;
} aliases[] = {
	{"timestamp", F_TIMESTAMP}, {"ts", F_TIMESTAMP}, {"time", F_TIMESTAMP},
	{"vin", F_VIN},
	{"trip_id", F_TRIP_ID}, {"tripid", F_TRIP_ID},
	{"device_id", F_DEVICE_ID}, {"deviceid", F_DEVICE_ID},
	{"route_id", F_ROUTE_ID}, {"routeid", F_ROUTE_ID}, {"route", F_ROUTE_ID},
	{"vehicle_speed", F_VEHICLE_SPEED}, {"speed", F_VEHICLE_SPEED},
	{"engine_speed", F_ENGINE_SPEED}, {"rpm", F_ENGINE_SPEED},
	{"engine_rpm", F_ENGINE_SPEED},
	{"torque_at_transmission", F_TORQUE}, {"torque", F_TORQUE},
	{"accelerator_pedal_position", F_ACCEL_PEDAL},
	{"accelerator_pedal_pos", F_ACCEL_PEDAL},
	{"accelerator_position", F_ACCEL_PEDAL},
	{"acelerator_position", F_ACCEL_PEDAL},
	{"throttle_position", F_ACCEL_PEDAL}, {"throttle", F_ACCEL_PEDAL},
	{"brake", F_BRAKE}, {"brake_position", F_BRAKE},
	{"brake_pedal_position", F_BRAKE},
	{"brake_pedal_status", F_BRAKE_PEDAL_STATUS},
	{"parking_brake_status", F_PARKING_BRAKE_STATUS},
	{"parking_brake", F_PARKING_BRAKE_STATUS},
	{"steering_wheel_angle", F_STEERING}, {"steering_angle", F_STEERING},
	{"acceleration", F_ACCELERATION},
	{"transmission_gear_position", R_GEAR_ANY},
	{"gear_position", R_GEAR_ANY}, {"transmission_gear", R_GEAR_ANY},
	{"transmission_gear_int", R_GEAR_ANY}, {"gear", R_GEAR_ANY},
	{"gear_lever_position", F_GEAR_LEVER}, {"gear_lever", F_GEAR_LEVER},
	{"ignition_status", F_IGNITION}, {"ignition", F_IGNITION},
	{"odometer", F_ODOMETER}, {"fuel_level", F_FUEL_LEVEL},
	{"fuel_consumed_since_restart", F_FUEL_CONSUMED},
	{"fuel_consumed_since_start", F_FUEL_CONSUMED},
	{"fuel_consumed", F_FUEL_CONSUMED},
	{"oil_temp", F_OIL_TEMP}, {"oil_temperature", F_OIL_TEMP},
	{"engine_oil_temperature", F_OIL_TEMP},
	{"latitude", F_LATITUDE}, {"lat", F_LATITUDE},
	{"longitude", F_LONGITUDE}, {"lon", F_LONGITUDE},
	{"lng", F_LONGITUDE}, {"long", F_LONGITUDE},
	{"location", F_LOCATION}, {"position", F_LOCATION}, {"geo", F_LOCATION},
	{"dtc", F_DTC}, {"dtc_code", F_DTC},
	{"start_time", F_START_TIME}, {"end_time", F_END_TIME},
	{"vehicle_speed_mean", F_VS_MEAN}, {"engine_speed_mean", F_ES_MEAN},
	{"torque_at_transmission_mean", F_TORQUE_MEAN},
	{"oil_temp_mean", F_OIL_MEAN},
	{"accelerator_pedal_position_mean", F_APP_MEAN},
	{"brake_mean", F_BRAKE_MEAN},
	{"high_speed_duration", F_HIGH_SPEED_DURATION},
	{"idle_duration", F_IDLE_DURATION},
	{"high_acceleration_event", F_HIGH_ACCEL},
	{"high_braking_event", F_HIGH_BRAKING},
	{"name", R_NAME}, {"value", R_VALUE}, {"kind", F_KIND},
	{"extra", F_EXTRA},
};
/* clang-format on */

/* Raw key -> role, remembered: producers repeat the same few keys. */
#define CACHE_SIZE 2048 /* power of two */
#define CACHE_KEYMAX 64

struct cache_ent {
	unsigned hash;
	unsigned char klen; /* 0: empty */
	short role;
	char key[CACHE_KEYMAX];
};

/* A value held by a role while a record is read. */
struct held {
	const struct jval *v;
	size_t idx; /* member position, for "the later one wins" */
	const char *key; /* the input key, for messages and extra */
	size_t klen;
};

struct xmember {
	const char *key;
	size_t klen;
	const struct jval *v;
};

struct vnorm {
	struct vnorm_conf conf;
	struct cache_ent *cache;
	size_t cache_used;
	struct buf canon; /* scratch */
	struct buf msg; /* warning text */
	struct buf out; /* value text being built */
	/* per record */
	struct held role[NROLES];
	int sigrole; /* telemetry: the signal's role, or R_UNKNOWN */
	bool shaped; /* a snapshot only by its shape (vnorm(1) "Kinds") */
	struct xmember *extra;
	size_t nextra, extracap;
};

const char *
vnorm_field_name(enum field f)
{
	return field_names[f];
}

const char *
vnorm_kind_name(enum kind k)
{
	return kind_names[k];
}

bool
vnorm_field_is_signal(enum field f)
{
	return f >= F_VEHICLE_SPEED && f <= F_LOCATION;
}

struct vnorm *
vnorm_new(const struct vnorm_conf *conf)
{
	struct vnorm *vn = xcalloc(1, sizeof(*vn));

	vn->conf = *conf;
	vn->cache = xcalloc(CACHE_SIZE, sizeof(*vn->cache));
	return vn;
}

void
vnorm_free(struct vnorm *vn)
{
	if (vn == NULL)
		return;
	free(vn->cache);
	free(vn->extra);
	buf_free(&vn->canon);
	buf_free(&vn->msg);
	buf_free(&vn->out);
	free(vn);
}

static void warnf(struct vnorm *vn, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
warnf(struct vnorm *vn, const char *fmt, ...)
{
	va_list ap;
	char tmp[512];

	if (vn->conf.warn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	vn->conf.warn(vn->conf.warn_arg, tmp);
}

/* ---------------------------------------------------------------- keys */

static int
is_lower(unsigned char c)
{
	return c >= 'a' && c <= 'z';
}

static int
is_upper(unsigned char c)
{
	return c >= 'A' && c <= 'Z';
}

static int
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

void
vnorm_canon_key(const char *key, size_t klen, struct buf *out)
{
	const unsigned char *k = (const unsigned char *)key;
	size_t i, start;
	int pend = 0; /* an '_' is owed before the next kept character */

	buf_reset(out);
	start = 0;
	if (klen > 0 && k[0] == '@')
		start = 1;
	for (i = start; i < klen; i++) {
		unsigned char c = k[i];

		if (is_upper(c) && i > start) {
			unsigned char p = k[i - 1];

			if (is_lower(p) || is_digit(p) ||
			    (is_upper(p) && i + 1 < klen && is_lower(k[i + 1])))
				pend = 1;
			c = (unsigned char)(c - 'A' + 'a');
		} else if (is_upper(c)) {
			c = (unsigned char)(c - 'A' + 'a');
		}
		if (is_lower(c) || is_digit(c)) {
			if (pend && out->len > 0)
				buf_addc(out, '_');
			pend = 0;
			buf_addc(out, (char)c);
		} else {
			pend = 1;
		}
	}
}

static int
role_of_canon(const char *c, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strlen(aliases[i].key) == n &&
		    memcmp(aliases[i].key, c, n) == 0)
			return aliases[i].role;
	return R_UNKNOWN;
}

/* The role of a raw key (or of a signal name). */
static int
role_of(struct vnorm *vn, const char *key, size_t klen)
{
	unsigned h = fnv1a32(key, klen), i = 0;
	struct cache_ent *e;
	int role;

	if (klen > 0 && klen < CACHE_KEYMAX) {
		for (i = h & (CACHE_SIZE - 1);;
		     i = (i + 1) & (CACHE_SIZE - 1)) {
			e = &vn->cache[i];
			if (e->klen == 0)
				break;
			if (e->hash == h && e->klen == klen &&
			    memcmp(e->key, key, klen) == 0)
				return e->role;
		}
	}
	if (klen == 4 && memcmp(key, "_id_", 4) == 0) {
		role = F_DEVICE_ID;
	} else {
		vnorm_canon_key(key, klen, &vn->canon);
		role = role_of_canon(
		    vn->canon.data ? vn->canon.data : "", vn->canon.len);
	}
	/* keep the table at most half full; arbitrary keys from hostile
	 * producers simply stop being cached */
	if (klen > 0 && klen < CACHE_KEYMAX &&
	    vn->cache_used < CACHE_SIZE / 2) {
		e = &vn->cache[i];
		e->hash = h;
		e->klen = (unsigned char)klen;
		e->role = (short)role;
		memcpy(e->key, key, klen);
		vn->cache_used++;
	}
	return role;
}

/* -------------------------------------------------------------- values */

static const char *
set_text(struct arena *a, struct slot *s, const char *t, size_t n)
{
	s->text = arena_memdup(a, t, n);
	s->len = n;
	return NULL;
}

static void
trim(const char **p, size_t *n)
{
	const char *s = *p;
	size_t len = *n;

	while (len > 0 &&
	    (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' ||
		*s == '\f' || *s == '\v')) {
		s++;
		len--;
	}
	while (len > 0 &&
	    (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n' ||
		s[len - 1] == '\r' || s[len - 1] == '\f' || s[len - 1] == '\v'))
		len--;
	*p = s;
	*n = len;
}

static double
text_double(const char *t, size_t n)
{
	char tmp[64];
	char *copy;
	double d;

	if (n < sizeof(tmp)) {
		memcpy(tmp, t, n);
		tmp[n] = '\0';
		return strtod(tmp, NULL);
	}
	copy = xmemdup(t, n);
	d = strtod(copy, NULL);
	free(copy);
	return d;
}

static bool
text_finite(const char *t, size_t n)
{
	/* a plain decimal of fewer than 300 digits is always finite */
	if (n < 300 && memchr(t, 'e', n) == NULL && memchr(t, 'E', n) == NULL)
		return true;
	return isfinite(text_double(t, n));
}

/* The number text of v (JSON number or numeric string), or a reason. */
static const char *
num_text(const struct jval *v, const char **t, size_t *n)
{
	const char *s;
	size_t len;

	if (v->type == J_NUMBER) {
		s = v->u.s;
		len = v->len;
	} else if (v->type == J_STRING) {
		s = v->u.s;
		len = v->len;
		trim(&s, &len);
		if (!jsonx_number_valid(s, len))
			return "not a number";
	} else {
		return "not a number";
	}
	if (!text_finite(s, len))
		return "not finite";
	*t = s;
	*n = len;
	return NULL;
}

static bool
word_eq(const char *s, size_t n, const char *w)
{
	size_t i;

	if (strlen(w) != n)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (is_upper(c))
			c = (unsigned char)(c - 'A' + 'a');
		if (c != (unsigned char)w[i])
			return false;
	}
	return true;
}

static const char *
coerce_bool(const struct jval *v, struct arena *a, struct slot *out)
{
	const char *s;
	size_t n;
	int b = -1;

	switch (v->type) {
	case J_TRUE:
		b = 1;
		break;
	case J_FALSE:
		b = 0;
		break;
	case J_NUMBER: {
		double d = text_double(v->u.s, v->len);

		if (d == 1)
			b = 1;
		else if (d == 0)
			b = 0;
		break;
	}
	case J_STRING:
		s = v->u.s;
		n = v->len;
		trim(&s, &n);
		if (word_eq(s, n, "true") || word_eq(s, n, "1") ||
		    word_eq(s, n, "yes") || word_eq(s, n, "on"))
			b = 1;
		else if (word_eq(s, n, "false") || word_eq(s, n, "0") ||
		    word_eq(s, n, "no") || word_eq(s, n, "off"))
			b = 0;
		break;
	default:
		break;
	}
	if (b < 0)
		return "not a boolean";
	return set_text(a, out, b ? "true" : "false", b ? 4 : 5);
}

/* A trimmed string, lower- or upper-cased, as a JSON string. */
static const char *
coerce_word(struct vnorm *vn, const struct jval *v, struct arena *a,
    struct slot *out, int upper)
{
	const char *s;
	size_t n, i;
	char *w;

	if (v->type != J_STRING)
		return "not a string";
	s = v->u.s;
	n = v->len;
	trim(&s, &n);
	if (n == 0)
		return "empty";
	w = arena_memdup(a, s, n);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)w[i];

		if (upper && is_lower(c))
			w[i] = (char)(c - 'a' + 'A');
		else if (!upper && is_upper(c))
			w[i] = (char)(c - 'A' + 'a');
	}
	buf_reset(&vn->out);
	jsonx_emit_string(&vn->out, w, n);
	return set_text(a, out, vn->out.data, vn->out.len);
}

/* trip_id, device_id, route_id: a non-empty string or an integer. */
static const char *
coerce_id(
    struct vnorm *vn, const struct jval *v, struct arena *a, struct slot *out)
{
	size_t i;

	if (v->type == J_NUMBER) {
		for (i = v->u.s[0] == '-' ? 1 : 0; i < v->len; i++)
			if (!is_digit((unsigned char)v->u.s[i]))
				return "not an integer";
		buf_reset(&vn->out);
		jsonx_emit_string(&vn->out, v->u.s, v->len);
		return set_text(a, out, vn->out.data, vn->out.len);
	}
	if (v->type != J_STRING)
		return "not a string";
	if (v->len == 0)
		return "empty";
	buf_reset(&vn->out);
	jsonx_emit_string(&vn->out, v->u.s, v->len);
	return set_text(a, out, vn->out.data, vn->out.len);
}

static const char *
coerce_time(
    const struct jval *v, struct arena *a, struct slot *out, int64_t *ms)
{
	const char *s;
	size_t n;
	enum time_status st;
	char tmp[32];

	if (v->type == J_NUMBER) {
		st = time_parse_epoch(v->u.s, v->len, ms);
	} else if (v->type == J_STRING) {
		s = v->u.s;
		n = v->len;
		trim(&s, &n);
		if (jsonx_number_valid(s, n))
			st = time_parse_epoch(s, n, ms);
		else
			st = time_parse_string(s, n, ms);
	} else {
		return "bad timestamp";
	}
	if (st == TIME_BAD)
		return "bad timestamp";
	if (st == TIME_RANGE)
		return "timestamp out of range";
	tmp[0] = '"';
	time_format(*ms, tmp + 1);
	tmp[25] = '"';
	return set_text(a, out, tmp, 26);
}

static const char *const gear_words[] = {
    "reverse",
    "neutral",
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
};

/* A gear value: a word goes to the position, a number to the integer. */
static const char *
coerce_gear(struct vnorm *vn, const struct jval *v, struct arena *a,
    struct slot *pos, struct slot *num, bool *is_word)
{
	const char *t;
	size_t n;
	double d;
	char tmp[8];

	if (num_text(v, &t, &n) == NULL) {
		*is_word = false;
		d = text_double(t, n);
		if (d != floor(d) || d < -1 || d > 10)
			return "not a gear number";
		n = (size_t)snprintf(tmp, sizeof(tmp), "%d", (int)d);
		return set_text(a, num, tmp, n);
	}
	*is_word = true;
	return coerce_word(vn, v, a, pos, 0);
}

/* Fill the other half of the gear pair when it can be derived. */
static void
derive_gear(struct arena *a, struct slot *f)
{
	size_t i;
	char tmp[24];

	if (f[F_GEAR_POS].text && !f[F_GEAR].text) {
		for (i = 0; i < sizeof(gear_words) / sizeof(gear_words[0]);
		     i++) {
			size_t wl = strlen(gear_words[i]);

			if (f[F_GEAR_POS].len == wl + 2 &&
			    memcmp(f[F_GEAR_POS].text + 1, gear_words[i], wl) ==
				0) {
				int n = snprintf(
				    tmp, sizeof(tmp), "%d", (int)i - 1);

				set_text(a, &f[F_GEAR], tmp, (size_t)n);
				break;
			}
		}
	} else if (f[F_GEAR].text && !f[F_GEAR_POS].text) {
		/* our own integer text, -1..10 */
		int g = (int)strtol(f[F_GEAR].text, NULL, 10);
		int n = snprintf(tmp, sizeof(tmp), "\"%s\"", gear_words[g + 1]);

		set_text(a, &f[F_GEAR_POS], tmp, (size_t)n);
	}
}

/* ------------------------------------------------------------- location */

struct coords {
	const char *lat, *lon;
	size_t latlen, lonlen;
};

static const char *
coord_text(const struct jval *v, const char **t, size_t *n)
{
	if (v == NULL || num_text(v, t, n) != NULL)
		return "bad location";
	return NULL;
}

static const char *
check_coords(const struct coords *c)
{
	double lat = text_double(c->lat, c->latlen);
	double lon = text_double(c->lon, c->lonlen);

	if (!(lat >= -90 && lat <= 90))
		return "latitude out of range";
	if (!(lon >= -180 && lon <= 180))
		return "longitude out of range";
	if (lat == 0 && lon == 0)
		return "no GPS fix";
	return NULL;
}

/* A location container in any accepted form (vnorm(1) "Location"). */
static const char *
parse_container(struct vnorm *vn, const struct jval *v, struct coords *c)
{
	const struct jval *lat = NULL, *lon = NULL, *type, *coords;
	const char *why;
	size_t i, cn;

	switch (v->type) {
	case J_OBJECT:
		type = jsonx_get(v, "type");
		coords = jsonx_get(v, "coordinates");
		if (type && type->type == J_STRING && coords) {
			if (!(type->len == 5 &&
				memcmp(type->u.s, "Point", 5) == 0))
				return "bad location";
			v = coords;
			goto array;
		}
		for (i = 0; i < v->len; i++) {
			const struct jmember *m = &v->u.members[i];
			int role = role_of(vn, m->key, m->klen);

			if (role == F_LATITUDE)
				lat = m->val;
			else if (role == F_LONGITUDE)
				lon = m->val;
		}
		if ((why = coord_text(lat, &c->lat, &c->latlen)) != NULL ||
		    (why = coord_text(lon, &c->lon, &c->lonlen)) != NULL)
			return why;
		break;
	case J_ARRAY:
	array:
		if (v->type != J_ARRAY || v->len < 2 || v->len > 3)
			return "bad location";
		if ((why = coord_text(v->u.items[0], &c->lon, &c->lonlen)) ||
		    (why = coord_text(v->u.items[1], &c->lat, &c->latlen)))
			return why;
		if (v->len == 3) {
			const char *alt;

			if (num_text(v->u.items[2], &alt, &cn) != NULL)
				return "bad location";
		}
		break;
	case J_STRING: {
		const char *s = v->u.s, *comma = memchr(s, ',', v->len);
		size_t n1, n2;
		const char *p2;

		if (comma == NULL)
			return "bad location";
		n1 = (size_t)(comma - s);
		p2 = comma + 1;
		n2 = v->len - n1 - 1;
		trim(&s, &n1);
		trim(&p2, &n2);
		if (!jsonx_number_valid(s, n1) || !jsonx_number_valid(p2, n2) ||
		    !text_finite(s, n1) || !text_finite(p2, n2))
			return "bad location";
		c->lat = s;
		c->latlen = n1;
		c->lon = p2;
		c->lonlen = n2;
		break;
	}
	default:
		return "bad location";
	}
	return check_coords(c);
}

static void
set_location(
    struct vnorm *vn, struct arena *a, struct slot *s, const struct coords *c)
{
	buf_reset(&vn->out);
	buf_add(&vn->out, "{\"lat\":", 7);
	buf_add(&vn->out, c->lat, c->latlen);
	buf_add(&vn->out, ",\"lon\":", 7);
	buf_add(&vn->out, c->lon, c->lonlen);
	buf_addc(&vn->out, '}');
	set_text(a, s, vn->out.data, vn->out.len);
}

/* ----------------------------------------------------------- the record */

static void
extra_add(struct vnorm *vn, const char *key, size_t klen, const struct jval *v)
{
	size_t i;

	for (i = 0; i < vn->nextra; i++) {
		if (vn->extra[i].klen == klen &&
		    memcmp(vn->extra[i].key, key, klen) == 0) {
			vn->extra[i].v = v; /* last wins, first position */
			return;
		}
	}
	if (vn->nextra == vn->extracap) {
		vn->extracap = vn->extracap ? vn->extracap * 2 : 16;
		vn->extra =
		    xreallocarray(vn->extra, vn->extracap, sizeof(*vn->extra));
	}
	vn->extra[vn->nextra].key = key;
	vn->extra[vn->nextra].klen = klen;
	vn->extra[vn->nextra].v = v;
	vn->nextra++;
}

/* Bind one input member to its role, with the duplicate rules. */
static void
hold(struct vnorm *vn, const struct jmember *m, size_t idx, int role)
{
	struct held *h = &vn->role[role];

	if (role == R_UNKNOWN) {
		size_t i;

		for (i = 0; i < vn->nextra; i++)
			if (vn->extra[i].klen == m->klen &&
			    memcmp(vn->extra[i].key, m->key, m->klen) == 0)
				warnf(vn, "duplicate key %s", m->key);
		extra_add(vn, m->key, m->klen, m->val);
		return;
	}
	if (role == F_EXTRA && m->val->type == J_OBJECT) {
		size_t i;

		for (i = 0; i < m->val->len; i++)
			extra_add(vn, m->val->u.members[i].key,
			    m->val->u.members[i].klen,
			    m->val->u.members[i].val);
		return;
	}
	if (role == F_EXTRA) {
		extra_add(vn, m->key, m->klen, m->val);
		return;
	}
	if (role == R_GEAR_ANY) {
		const char *t;
		size_t n;

		/* a word and a number are two fields: our own output holds
		 * both "transmission_gear_position" and "transmission_gear" */
		if (num_text(m->val, &t, &n) == NULL) {
			role = R_GEAR_NUM;
			h = &vn->role[role];
		}
	}
	if (h->v != NULL) {
		if (h->klen == m->klen && memcmp(h->key, m->key, m->klen) == 0)
			warnf(vn, "duplicate key %s", m->key);
		else
			warnf(vn, "key collision %s",
			    role == R_GEAR_ANY ? "transmission_gear_position"
				: role == R_GEAR_NUM ? "transmission_gear"
				: role == R_NAME     ? "name"
				: role == R_VALUE    ? "value"
						     : field_names[role]);
	}
	h->v = m->val;
	h->key = m->key;
	h->klen = m->klen;
	h->idx = idx;
}

/* Coerce a value into field f; NULL or the reason it is unusable. */
static const char *
coerce(struct vnorm *vn, int f, const struct jval *v, struct arena *a,
    struct slot *fs)
{
	const char *t, *why;
	size_t n;
	int64_t ms;

	switch (f) {
	case F_BRAKE_PEDAL_STATUS:
	case F_PARKING_BRAKE_STATUS:
		return coerce_bool(v, a, &fs[f]);
	case F_GEAR_LEVER:
	case F_IGNITION:
		return coerce_word(vn, v, a, &fs[f], 0);
	case F_DTC:
		return coerce_word(vn, v, a, &fs[f], 1);
	case F_TRIP_ID:
	case F_DEVICE_ID:
	case F_ROUTE_ID:
		return coerce_id(vn, v, a, &fs[f]);
	case F_START_TIME:
	case F_END_TIME:
		return coerce_time(v, a, &fs[f], &ms);
	case F_LATITUDE:
	case F_LONGITUDE:
		if ((why = num_text(v, &t, &n)) != NULL)
			return why;
		{
			double d = text_double(t, n);

			if (f == F_LATITUDE && !(d >= -90 && d <= 90))
				return "latitude out of range";
			if (f == F_LONGITUDE && !(d >= -180 && d <= 180))
				return "longitude out of range";
		}
		return set_text(a, &fs[f], t, n);
	default:
		if ((why = num_text(v, &t, &n)) != NULL)
			return why;
		return set_text(a, &fs[f], t, n);
	}
}

static bool
vin_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 64)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

/* The last topic segment of @metadata.mqtt.topic, or NULL. */
static const char *
vin_from_topic(const struct jval *meta, size_t *n)
{
	const struct jval *t = jsonx_path(meta, "mqtt.topic");
	size_t i;

	if (t == NULL || t->type != J_STRING)
		return NULL;
	for (i = t->len; i > 0 && t->u.s[i - 1] != '/'; i--)
		;
	*n = t->len - i;
	return t->u.s + i;
}

static int
canon_kind(const struct jval *v)
{
	size_t k;

	if (v == NULL || v->type != J_STRING)
		return -1;
	for (k = 0; k < sizeof(kind_names) / sizeof(kind_names[0]); k++)
		if (strlen(kind_names[k]) == v->len &&
		    memcmp(kind_names[k], v->u.s, v->len) == 0)
			return (int)k;
	return -1;
}

/* The name --es-id gives the signal of a telemetry document. */
static const char *
signal_name(int role)
{
	/* both gear roles are the one signal "transmission_gear" */
	return role >= 0 && role < NFIELDS ? field_names[role]
					   : "transmission_gear";
}

/* A field that takes part in a telemetry message's "name". */
static bool
signal_role(int role)
{
	return (role >= F_VEHICLE_SPEED && role <= F_LONGITUDE &&
		   role != F_GEAR_POS && role != F_GEAR) ||
	    role == R_GEAR_ANY;
}

/* Bind every member to its role; "@metadata" is kept aside as received. */
static void
bind_members(struct vnorm *vn, struct arena *a, const struct jval *root,
    struct vdoc *doc)
{
	const struct jval *meta = NULL;
	size_t i;

	for (i = 0; i < root->len; i++) {
		const struct jmember *m = &root->u.members[i];

		if (m->klen == 9 && memcmp(m->key, "@metadata", 9) == 0) {
			if (meta != NULL)
				warnf(vn, "duplicate key @metadata");
			meta = m->val;
			continue;
		}
		hold(vn, m, i, role_of(vn, m->key, m->klen));
	}
	if (meta != NULL) {
		buf_reset(&vn->out);
		jsonx_emit(&vn->out, meta);
		set_text(a, &doc->meta, vn->out.data, vn->out.len);
		doc->meta_val = meta;
	}
}

/* The two fields every document needs: vin and timestamp. */
static const char *
take_identity(struct vnorm *vn, struct arena *a, struct vdoc *doc)
{
	const struct jval *v = vn->role[F_VIN].v;
	const char *vin;
	size_t vinlen = 0;

	if (v == NULL || v->type == J_NULL) {
		if (!vn->conf.vin_from_topic ||
		    (vin = vin_from_topic(doc->meta_val, &vinlen)) == NULL)
			return "missing vin";
	} else if (v->type == J_STRING) {
		vin = v->u.s;
		vinlen = v->len;
	} else {
		return "invalid vin";
	}
	trim(&vin, &vinlen);
	if (!vin_ok(vin, vinlen))
		return "invalid vin";
	doc->vin = vin;
	doc->vinlen = vinlen;
	buf_reset(&vn->out);
	jsonx_emit_string(&vn->out, vin, vinlen);
	set_text(a, &doc->f[F_VIN], vn->out.data, vn->out.len);

	v = vn->role[F_TIMESTAMP].v;
	if (v == NULL || v->type == J_NULL)
		return "missing timestamp";
	return coerce_time(v, a, &doc->f[F_TIMESTAMP], &doc->ts_ms);
}

/* Section 3.4: the kind, and for telemetry the signal "name" gives. */
static const char *
take_kind(struct vnorm *vn, struct vdoc *doc)
{
	const struct jval *v = vn->role[R_NAME].v;
	int role, kind;

	vn->sigrole = -1;
	vn->shaped = false;
	if (v == NULL) {
		if ((kind = canon_kind(vn->role[F_KIND].v)) < 0) {
			kind = K_SNAPSHOT;
			vn->shaped = true;
			if (vn->role[F_KIND].v != NULL)
				extra_add(vn, vn->role[F_KIND].key,
				    vn->role[F_KIND].klen, vn->role[F_KIND].v);
		}
		doc->kind = (enum kind)kind;
		return NULL;
	}
	if (v->type != J_STRING || v->len == 0)
		return "bad signal name";
	role = role_of(vn, v->u.s, v->len);
	if (role == F_LOCATION) {
		doc->kind = K_LOCATION;
		return NULL;
	}
	if (role == F_DTC) {
		doc->kind = K_DTC;
		return NULL;
	}
	vnorm_canon_key(v->u.s, v->len, &vn->canon);
	if (vn->canon.len == 0)
		return "bad signal name";
	if ((vn->canon.len == 22 &&
		memcmp(vn->canon.data, "aggregated_telemetrics", 22) == 0) ||
	    (vn->canon.len == 20 &&
		memcmp(vn->canon.data, "aggregated_telemetry", 20) == 0)) {
		doc->kind = K_TRIP;
		return NULL;
	}
	doc->kind = K_TELEMETRY;
	if (signal_role(role)) {
		vn->sigrole = role;
		doc->signal = signal_name(role);
		doc->signallen = strlen(doc->signal);
	} else {
		vn->sigrole = R_UNKNOWN;
		doc->signal = v->u.s;
		doc->signallen = v->len;
	}
	return NULL;
}

/* A strict failure of the message's own field as a reject reason. */
static const char *
strict_reason(const char *why)
{
	return strstr(why, "out of range") ? why : "bad value";
}

/* Telemetry read back from our own output: the signal is a field. */
static const char *
strict_own_telemetry(struct vnorm *vn, struct arena *a, struct vdoc *doc)
{
	const struct jval *v;
	const char *why;
	int i, sig = -1;

	for (i = F_VEHICLE_SPEED; i <= F_LONGITUDE && sig < 0; i++)
		if (vn->role[i].v != NULL)
			sig = i;
	if (sig < 0 && vn->role[R_GEAR_ANY].v != NULL)
		sig = R_GEAR_ANY;
	if (sig < 0 && vn->role[R_GEAR_NUM].v != NULL)
		sig = R_GEAR_NUM;
	if (sig < 0 && vn->role[F_LOCATION].v != NULL)
		sig = F_LOCATION;
	if (sig < 0 && vn->nextra > 0) {
		/* an unknown signal that an earlier run put in "extra"
		 * (OpenXC's door_status): the member it added last */
		vn->sigrole = R_UNKNOWN;
		doc->signal = vn->extra[vn->nextra - 1].key;
		doc->signallen = vn->extra[vn->nextra - 1].klen;
		return NULL;
	}
	if (sig < 0)
		return "missing value";
	vn->sigrole = sig;
	doc->signal = signal_name(sig);
	doc->signallen = strlen(doc->signal);
	/* read strictly and taken, as when "name" says it: a lone latitude
	 * must not pair with a longitude rider this time */
	if (sig >= F_VEHICLE_SPEED && sig <= F_LONGITUDE) {
		v = vn->role[sig].v;
		vn->role[sig].v = NULL;
		if (v->type == J_NULL)
			return "null value";
		if ((why = coerce(vn, sig, v, a, doc->f)) != NULL)
			return strict_reason(why);
	}
	return NULL;
}

/* Telemetry with "name" and "value". */
static const char *
strict_telemetry(struct vnorm *vn, struct arena *a, struct vdoc *doc)
{
	const struct jval *v = vn->role[R_VALUE].v;
	int sig = vn->sigrole;
	const char *why;
	bool w;

	if (v == NULL)
		return "missing value";
	if (v->type == J_NULL)
		return "null value";
	vn->role[R_VALUE].v = NULL;
	if (sig == R_UNKNOWN) {
		extra_add(
		    vn, vn->role[R_NAME].v->u.s, vn->role[R_NAME].v->len, v);
		return NULL;
	}
	if (vn->role[sig].v != NULL) {
		/* "value" and a field of the same signal: the later wins */
		warnf(vn, "key collision %s", doc->signal);
		if (vn->role[sig].idx > vn->role[R_VALUE].idx)
			v = vn->role[sig].v;
	}
	vn->role[sig].v = NULL;
	if (sig == R_GEAR_ANY)
		why = coerce_gear(
		    vn, v, a, &doc->f[F_GEAR_POS], &doc->f[F_GEAR], &w);
	else
		why = coerce(vn, sig, v, a, doc->f);
	return why != NULL ? strict_reason(why) : NULL;
}

static const char *
strict_dtc(struct vnorm *vn, struct arena *a, struct vdoc *doc)
{
	const struct jval *v = vn->role[R_VALUE].v;

	if (v == NULL)
		v = vn->role[F_DTC].v;
	else if (vn->role[F_DTC].v != NULL)
		warnf(vn, "key collision dtc");
	if (v == NULL)
		return "bad dtc";
	if (v->type == J_NULL)
		return "null value";
	if (coerce(vn, F_DTC, v, a, doc->f) != NULL)
		return "bad dtc";
	vn->role[R_VALUE].v = vn->role[F_DTC].v = NULL;
	return NULL;
}

static const char *
strict_location(struct vnorm *vn, struct arena *a, struct vdoc *doc)
{
	const struct jval *v = vn->role[F_LOCATION].v;
	const struct jval *lat = vn->role[F_LATITUDE].v;
	const struct jval *lon = vn->role[F_LONGITUDE].v;
	const char *why;
	struct coords c;

	if (v == NULL && lat == NULL && lon == NULL) {
		v = vn->role[R_VALUE].v;
		vn->role[R_VALUE].v = NULL;
	}
	if (v != NULL) {
		if (v->type == J_NULL)
			return "null value";
		if ((why = parse_container(vn, v, &c)) != NULL)
			return why;
		if (lat || lon)
			warnf(vn,
			    "ignored latitude/longitude: "
			    "location container present");
	} else if ((why = coord_text(lat, &c.lat, &c.latlen)) != NULL ||
	    (why = coord_text(lon, &c.lon, &c.lonlen)) != NULL ||
	    (why = check_coords(&c)) != NULL) {
		return why;
	}
	set_location(vn, a, &doc->f[F_LOCATION], &c);
	vn->role[F_LOCATION].v = NULL;
	vn->role[F_LATITUDE].v = vn->role[F_LONGITUDE].v = NULL;
	return NULL;
}

/* A location riding along: a container wins over a latitude/longitude
 * pair; an unusable one is dropped with a warning. */
static void
lenient_location(struct vnorm *vn, struct arena *a, struct vdoc *doc)
{
	const struct jval *v = vn->role[F_LOCATION].v;
	const struct jval *lat = vn->role[F_LATITUDE].v;
	const struct jval *lon = vn->role[F_LONGITUDE].v;
	const char *why;
	struct coords c;

	if (doc->f[F_LOCATION].text != NULL || (v == NULL && !(lat && lon)))
		return;
	if (v != NULL) {
		why = parse_container(vn, v, &c);
		if (why == NULL && (lat || lon))
			warnf(vn,
			    "ignored latitude/longitude: "
			    "location container present");
	} else if ((why = coord_text(lat, &c.lat, &c.latlen)) == NULL &&
	    (why = coord_text(lon, &c.lon, &c.lonlen)) == NULL) {
		why = check_coords(&c);
	}
	if (why != NULL)
		warnf(vn, "dropped field location: %s", why);
	else
		set_location(vn, a, &doc->f[F_LOCATION], &c);
	vn->role[F_LATITUDE].v = vn->role[F_LONGITUDE].v = NULL;
}

/* Every other known field: unusable ones are dropped with a warning. */
static void
lenient_fields(struct vnorm *vn, struct arena *a, struct vdoc *doc)
{
	struct slot *fs = doc->f;
	const struct jval *v;
	const char *why;
	int i;

	if (vn->role[R_VALUE].v != NULL)
		extra_add(vn, vn->role[R_VALUE].key, vn->role[R_VALUE].klen,
		    vn->role[R_VALUE].v);
	lenient_location(vn, a, doc);
	for (i = F_TRIP_ID; i < NFIELDS; i++) {
		if (i == F_KIND || i == F_EXTRA || i == F_LOCATION ||
		    (v = vn->role[i].v) == NULL)
			continue;
		if (v->type == J_NULL)
			warnf(vn, "dropped field %s: null", field_names[i]);
		else if ((why = coerce(vn, i, v, a, fs)) != NULL)
			warnf(vn, "dropped field %s: %s", field_names[i], why);
	}
	for (i = R_GEAR_ANY; i <= R_GEAR_NUM; i++) {
		struct slot pos = {0}, num = {0};
		bool w;

		if ((v = vn->role[i].v) == NULL)
			continue;
		if (v->type == J_NULL) {
			warnf(vn, "dropped field transmission_gear: null");
		} else if ((why = coerce_gear(vn, v, a, &pos, &num, &w)) !=
		    NULL) {
			warnf(vn, "dropped field %s: %s",
			    w ? "transmission_gear_position"
			      : "transmission_gear",
			    why);
		} else if (w && fs[F_GEAR_POS].text == NULL) {
			fs[F_GEAR_POS] = pos;
		} else if (!w && fs[F_GEAR].text == NULL) {
			fs[F_GEAR] = num;
		}
	}
	derive_gear(a, fs);
}

/* Does the document still carry what its kind promises? */
static const char *
check_signals(const struct vnorm *vn, const struct vdoc *doc)
{
	bool own = doc->kind == K_TELEMETRY && vn->role[R_NAME].v == NULL;
	int i;

	/* a snapshot inferred from shape needs a signal (one that says
	 * "snapshot", like a --merge group of unknown signals, does not);
	 * an unknown signal under --drop-unknown leaves a telemetry message
	 * with nothing, a document vnorm itself would refuse */
	if (!vn->shaped && !(own && vn->sigrole != R_UNKNOWN) &&
	    !(doc->kind == K_TELEMETRY && vn->sigrole == R_UNKNOWN &&
		vn->conf.drop_unknown))
		return NULL;
	for (i = F_VEHICLE_SPEED; i <= F_LOCATION; i++)
		if (doc->f[i].text != NULL)
			return NULL;
	return doc->kind == K_SNAPSHOT || vn->sigrole == R_UNKNOWN
	    ? "no telemetry fields"
	    : "bad value";
}

/* "kind" and "extra" close the document. */
static void
finish(struct vnorm *vn, struct arena *a, struct vdoc *doc)
{
	char tmp[16];
	int n = snprintf(tmp, sizeof(tmp), "\"%s\"", kind_names[doc->kind]);
	size_t i;

	set_text(a, &doc->f[F_KIND], tmp, (size_t)n);
	if (vn->nextra == 0 || vn->conf.drop_unknown)
		return;
	buf_reset(&vn->out);
	buf_addc(&vn->out, '{');
	for (i = 0; i < vn->nextra; i++) {
		if (i)
			buf_addc(&vn->out, ',');
		jsonx_emit_string(
		    &vn->out, vn->extra[i].key, vn->extra[i].klen);
		buf_addc(&vn->out, ':');
		jsonx_emit(&vn->out, vn->extra[i].v);
	}
	buf_addc(&vn->out, '}');
	set_text(a, &doc->f[F_EXTRA], vn->out.data, vn->out.len);
}

const char *
vnorm_transform(struct vnorm *vn, struct arena *a, const struct jval *root,
    struct vdoc *doc)
{
	const char *why;

	memset(doc, 0, sizeof(*doc));
	memset(vn->role, 0, sizeof(vn->role));
	vn->nextra = 0;
	if (root->type != J_OBJECT)
		return "not a JSON object";
	bind_members(vn, a, root, doc);
	if ((why = take_identity(vn, a, doc)) != NULL ||
	    (why = take_kind(vn, doc)) != NULL)
		return why;
	/* the field the message is about is strict (vnorm(1) "Strict and lenient fields") */
	switch (doc->kind) {
	case K_TELEMETRY:
		why = vn->role[R_NAME].v == NULL
		    ? strict_own_telemetry(vn, a, doc)
		    : strict_telemetry(vn, a, doc);
		break;
	case K_DTC:
		why = strict_dtc(vn, a, doc);
		break;
	case K_LOCATION:
		why = strict_location(vn, a, doc);
		break;
	default:
		break;
	}
	if (why != NULL)
		return why;
	lenient_fields(vn, a, doc);
	if ((why = check_signals(vn, doc)) != NULL)
		return why;
	finish(vn, a, doc);
	return NULL;
}

/* ------------------------------------------------------------- emitting */

/*
 * epoch-ms:vin:kind[:signal].  Time first: the ids of a stream then grow
 * with its clock, and OpenSearch's check of each new id against the ids
 * already indexed (an indexing operation with an id of its own looks it
 * up) skips the older segments; with the vehicle first the same 3M vsim
 * documents cost its JVM 34-35 us each instead of 23-25 (iotpipe(7)
 * "Throughput").
 */
static void
emit_es_id(struct buf *b, const struct vdoc *doc)
{
	struct buf id = BUF_INIT;

	buf_printf(&id, "%lld:", (long long)doc->ts_ms);
	buf_add(&id, doc->vin, doc->vinlen);
	buf_printf(&id, ":%s", kind_names[doc->kind]);
	if (doc->kind == K_TELEMETRY && doc->signal != NULL) {
		buf_addc(&id, ':');
		buf_add(&id, doc->signal, doc->signallen);
	}
	buf_add(b, "\"_id\":", 6);
	jsonx_emit_string(b, id.data, id.len);
	buf_free(&id);
}

/* "@metadata" with es._id set, other members as received. */
static void
emit_meta_with_id(struct buf *b, const struct vdoc *doc)
{
	const struct jval *m = doc->meta_val;
	size_t i, j;
	bool done = false;

	if (m != NULL && m->type != J_OBJECT) {
		/* not ours to reshape */
		buf_add(b, doc->meta.text, doc->meta.len);
		return;
	}
	buf_addc(b, '{');
	for (i = 0; m != NULL && i < m->len; i++) {
		const struct jmember *mm = &m->u.members[i];

		if (i > 0)
			buf_addc(b, ',');
		if (done || mm->klen != 2 || memcmp(mm->key, "es", 2) != 0) {
			jsonx_emit_string(b, mm->key, mm->klen);
			buf_addc(b, ':');
			jsonx_emit(b, mm->val);
			continue;
		}
		/* "es": keep its members, set "_id" last */
		buf_add(b, "\"es\":{", 6);
		for (j = 0; mm->val->type == J_OBJECT && j < mm->val->len;
		     j++) {
			const struct jmember *e = &mm->val->u.members[j];

			if (e->klen == 3 && memcmp(e->key, "_id", 3) == 0)
				continue;
			jsonx_emit_string(b, e->key, e->klen);
			buf_addc(b, ':');
			jsonx_emit(b, e->val);
			buf_addc(b, ',');
		}
		emit_es_id(b, doc);
		buf_addc(b, '}');
		done = true;
	}
	if (!done) {
		if (m != NULL && m->len > 0)
			buf_addc(b, ',');
		buf_add(b, "\"es\":{", 6);
		emit_es_id(b, doc);
		buf_addc(b, '}');
	}
	buf_addc(b, '}');
}

void
vnorm_emit(struct buf *b, const struct vdoc *doc, bool es_id)
{
	size_t i;
	bool first = true;

	buf_addc(b, '{');
	if (es_id) {
		buf_add(b, "\"@metadata\":", 12);
		emit_meta_with_id(b, doc);
		first = false;
	} else if (doc->meta.text != NULL) {
		buf_add(b, "\"@metadata\":", 12);
		buf_add(b, doc->meta.text, doc->meta.len);
		first = false;
	}
	for (i = 0; i < NFIELDS; i++) {
		const struct slot *s = &doc->f[i];

		if (s->text == NULL)
			continue;
		if (!first)
			buf_addc(b, ',');
		first = false;
		buf_addc(b, '"');
		buf_adds(b, field_names[i]);
		buf_add(b, "\":", 2);
		buf_add(b, s->text, s->len);
	}
	buf_addc(b, '}');
}
