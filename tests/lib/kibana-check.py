#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check a saved-objects NDJSON file (kibana-dash --output FILE) against the
rules of kibana-dash(1), OBJECTS: what Kibana 7.10-9.x and OpenSearch
Dashboards 2.x need to import the portable profile and render it.

usage: kibana-check.py FILE [--existing TYPE:ID ...]

Prints one line per problem and exits 1, or prints "ok: N objects" and
exits 0. Python 3 standard library only.
"""

import json
import os
import re
import sys

CEILING = {"index-pattern": "7.6.0", "visualization": "7.10.0", "dashboard": "7.9.3"}
ENVELOPE = {"id", "type", "attributes", "references", "migrationVersion"}
ATTRS = {
    "index-pattern": {"title", "timeFieldName", "fields", "fieldFormatMap",
                      "sourceFilters", "typeMeta", "type"},
    "visualization": {"title", "description", "version", "visState",
                      "uiStateJSON", "kibanaSavedObjectMeta",
                      "savedSearchRefName"},
    "dashboard": {"title", "description", "hits", "version", "panelsJSON",
                  "optionsJSON", "timeRestore", "timeFrom", "timeTo",
                  "refreshInterval", "kibanaSavedObjectMeta"},
}
VIS_TYPES = {"line", "area", "histogram", "horizontal_bar", "pie", "gauge",
             "goal", "tile_map", "input_control_vis", "metric", "table"}
SCHEMAS = {
    "line": {"metric", "radius", "segment", "group", "split"},
    "area": {"metric", "radius", "segment", "group", "split"},
    "histogram": {"metric", "radius", "segment", "group", "split"},
    "horizontal_bar": {"metric", "radius", "segment", "group", "split"},
    "pie": {"metric", "segment", "split"},
    "gauge": {"metric", "group"},
    "tile_map": {"metric", "segment"},
    "input_control_vis": set(),
}
METRIC_AGGS = {"count", "avg", "sum", "min", "max", "cardinality", "top_hits",
               "median", "percentiles"}
# the Kibana field type each aggregation needs
AGG_FIELD = {
    "date_histogram": {"date"},
    "avg": {"number"}, "sum": {"number"}, "min": {"number"},
    "max": {"number"},
    "terms": {"string", "number", "boolean"},
    "geohash_grid": {"geo_point"}, "geotile_grid": {"geo_point"},
}
ID_RE = re.compile(r"^[a-z0-9-]+$")
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
UUID_UUID = re.compile("^%s_%s$" % (UUID, UUID))
SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")

problems = []


def bad(where, msg):
    problems.append("%s: %s" % (where, msg))


def semver(s):
    m = SEMVER.match(s) if isinstance(s, str) else None
    return tuple(int(x) for x in m.groups()) if m else None


def parse_json_attr(where, name, text, kind):
    if not isinstance(text, str):
        bad(where, "%s is not a JSON string" % name)
        return None
    try:
        v = json.loads(text)
    except ValueError as e:
        bad(where, "%s does not parse: %s" % (name, e))
        return None
    if not isinstance(v, kind):
        bad(where, "%s is not a JSON %s" % (name, kind.__name__))
        return None
    return v


def check_envelope(o, where):
    extra = set(o) - ENVELOPE
    if extra:
        bad(where, "top-level keys outside the portable set: %s" % sorted(extra))
    for k in ("coreMigrationVersion", "typeMigrationVersion"):
        if k in o:
            bad(where, "has %s" % k)
    oid, typ = o.get("id"), o.get("type")
    if not isinstance(oid, str) or not ID_RE.match(oid) or UUID_UUID.match(oid):
        bad(where, "id %r is not a [a-z0-9-] string" % (oid,))
    if typ not in CEILING:
        bad(where, "type %r is not index-pattern, visualization or dashboard" % (typ,))
        return False
    mv = o.get("migrationVersion")
    if not isinstance(mv, dict) or list(mv) != [typ]:
        bad(where, "migrationVersion must have exactly the key %s" % typ)
    else:
        v = semver(mv[typ])
        if v is None or v > semver(CEILING[typ]):
            bad(where, "migrationVersion %s above the ceiling %s" % (mv[typ], CEILING[typ]))
    a = o.get("attributes")
    if not isinstance(a, dict):
        bad(where, "attributes is not an object")
        return False
    extra = set(a) - ATTRS[typ]
    if extra:
        bad(where, "attributes outside the allowed set: %s" % sorted(extra))
    if not isinstance(a.get("title"), str) or not a["title"]:
        bad(where, "title is not a non-empty string")
    refs = o.get("references")
    if not isinstance(refs, list):
        bad(where, "references is not an array")
        return False
    names = set()
    for r in refs:
        if not isinstance(r, dict) or not all(isinstance(r.get(k), str) for k in ("name", "type", "id")):
            bad(where, "reference %r lacks a string name, type or id" % (r,))
            continue
        if r["name"] in names:
            bad(where, "reference name %s twice" % r["name"])
        names.add(r["name"])
    return True


def check_search_source(where, a, refs, need_index):
    meta = a.get("kibanaSavedObjectMeta")
    if not isinstance(meta, dict):
        bad(where, "no kibanaSavedObjectMeta")
        return
    ss = parse_json_attr(where, "searchSourceJSON", meta.get("searchSourceJSON"), dict)
    if ss is None:
        return
    if "index" in ss:
        bad(where, "searchSourceJSON has a raw index")
    if need_index:
        name = ss.get("indexRefName")
        if name not in refs or refs[name]["type"] != "index-pattern":
            bad(where, "indexRefName %r is not an index-pattern reference" % (name,))
    for i, f in enumerate(ss.get("filter", [])):
        n = f.get("meta", {}).get("indexRefName")
        if n is not None and (n not in refs or refs[n]["type"] != "index-pattern"):
            bad(where, "filter %d indexRefName %r unresolved" % (i, n))


def field_types(ip):
    fields = parse_json_attr("index-pattern " + ip["id"], "fields",
                             ip["attributes"].get("fields"), list) or []
    return {f.get("name"): f for f in fields if isinstance(f, dict)}


def check_vis(o, where, refs, fields):
    a = o["attributes"]
    vs = parse_json_attr(where, "visState", a.get("visState"), dict)
    parse_json_attr(where, "uiStateJSON", a.get("uiStateJSON"), dict)
    if vs is None:
        return
    if vs.get("title") != a.get("title"):
        bad(where, "visState.title differs from the title")
    vt = vs.get("type")
    if vt not in VIS_TYPES:
        bad(where, "visState.type %r unsupported" % (vt,))
        return
    aggs = vs.get("aggs")
    params = vs.get("params", {})
    check_search_source(where, a, refs, bool(aggs))
    ids = set()
    metric_ids = set()
    for g in aggs or []:
        for k in ("id", "enabled", "type", "schema", "params"):
            if k not in g:
                bad(where, "agg %r lacks %s" % (g.get("id"), k))
        if g.get("id") in ids:
            bad(where, "agg id %s twice" % g.get("id"))
        ids.add(g.get("id"))
        if g.get("schema") not in SCHEMAS.get(vt, set()):
            bad(where, "agg %s: schema %r not valid for %s" % (g.get("id"), g.get("schema"), vt))
        if g.get("type") in METRIC_AGGS and g.get("schema") == "metric":
            metric_ids.add(g.get("id"))
    for g in aggs or []:
        p = g.get("params", {})
        if g.get("type") == "terms" and p.get("orderBy") not in metric_ids | {"_key"}:
            bad(where, "terms orderBy %r is not a metric agg id" % (p.get("orderBy"),))
        need = AGG_FIELD.get(g.get("type"))
        if need:
            f = fields.get(p.get("field"))
            if f is None:
                bad(where, "agg %s: field %r not in the index pattern" % (g.get("id"), p.get("field")))
            elif f.get("type") not in need or not f.get("aggregatable"):
                bad(where, "agg %s %s: field %s is %s, not %s" % (
                    g.get("id"), g.get("type"), p.get("field"), f.get("type"), "/".join(sorted(need))))
    if vt in ("line", "area", "histogram", "horizontal_bar"):
        axes = {}
        for kind in ("categoryAxes", "valueAxes"):
            for ax in params.get(kind, []):
                if not isinstance(ax.get("labels"), dict):
                    bad(where, "%s %s has no labels object" % (kind, ax.get("id")))
                if kind == "valueAxes":
                    axes[ax.get("id")] = ax
        for s in params.get("seriesParams", []):
            if s.get("valueAxis") not in axes:
                bad(where, "seriesParams valueAxis %r unknown" % (s.get("valueAxis"),))
            if s.get("data", {}).get("id") not in metric_ids:
                bad(where, "seriesParams data.id %r is not a metric agg" % (s.get("data", {}).get("id"),))
    if vt == "gauge":
        gauge = params.get("gauge")
        if not isinstance(gauge, dict) or "alignment" not in gauge or "verticalSplit" in gauge:
            bad(where, "gauge params need gauge.alignment and no verticalSplit")
        else:
            last = None
            for r in gauge.get("colorsRange", []):
                if not r.get("from", 0) < r.get("to", 0):
                    bad(where, "colorsRange %r: from is not below to" % (r,))
                if last is not None and r.get("from") < last:
                    bad(where, "colorsRange overlaps or is not ascending")
                last = r.get("to")
    if vt == "input_control_vis":
        if aggs:
            bad(where, "input_control_vis has aggs")
        for c in params.get("controls", []):
            n = c.get("indexPatternRefName")
            if "indexPattern" in c:
                bad(where, "control %s has a raw indexPattern" % c.get("id"))
            if n not in refs or refs[n]["type"] != "index-pattern":
                bad(where, "control %s indexPatternRefName %r unresolved" % (c.get("id"), n))
            f = fields.get(c.get("fieldName"))
            if f is None or f.get("type") != "string" or not f.get("aggregatable"):
                bad(where, "control field %r is not an aggregatable keyword" % (c.get("fieldName"),))


def check_dashboard(o, where, refs, by_key):
    a = o["attributes"]
    panels = parse_json_attr(where, "panelsJSON", a.get("panelsJSON"), list)
    parse_json_attr(where, "optionsJSON", a.get("optionsJSON"), dict)
    check_search_source(where, a, refs, False)
    if a.get("timeRestore") is True:
        if not isinstance(a.get("timeFrom"), str) or not isinstance(a.get("timeTo"), str):
            bad(where, "timeRestore without string timeFrom/timeTo")
    ri = a.get("refreshInterval")
    if ri is not None and (not isinstance(ri.get("pause"), bool) or
                           not isinstance(ri.get("value"), (int, float))):
        bad(where, "refreshInterval needs a bool pause and a numeric value")
    if panels is None:
        return
    used, indexes, cells = {}, set(), {}
    for p in panels:
        pi = p.get("panelIndex")
        if "id" in p or "type" in p:
            bad(where, "panel %s has an id or type" % pi)
        if not isinstance(pi, str) or pi in indexes:
            bad(where, "panelIndex %r not a unique string" % (pi,))
        indexes.add(pi)
        v = semver(p.get("version"))
        if v is None or v < (7, 3, 0) or v > (7, 10, 0):
            bad(where, "panel %s version %r not within 7.3.0..7.10.0" % (pi, p.get("version")))
        g = p.get("gridData", {})
        if g.get("i") != pi:
            bad(where, "panel %s gridData.i differs" % pi)
        x, y, w, h = (g.get(k) for k in ("x", "y", "w", "h"))
        if not all(isinstance(n, int) and not isinstance(n, bool) for n in (x, y, w, h)) \
                or x < 0 or y < 0 or w < 1 or h < 1 or x + w > 48:
            bad(where, "panel %s gridData %r outside the 48-column grid" % (pi, g))
            continue
        for cx in range(x, x + w):
            for cy in range(y, y + h):
                if (cx, cy) in cells:
                    bad(where, "panels %s and %s overlap at (%d,%d)" % (cells[(cx, cy)], pi, cx, cy))
                    break
                cells[(cx, cy)] = pi
        n = p.get("panelRefName")
        if n not in refs:
            bad(where, "panel %s panelRefName %r is no reference" % (pi, n))
        else:
            used[n] = used.get(n, 0) + 1
            r = refs[n]
            if (r["type"], r["id"]) not in by_key:
                bad(where, "panel %s: %s %s not in the file" % (pi, r["type"], r["id"]))
    for n in refs:
        if n.startswith("panel_") and used.get(n) != 1:
            bad(where, "reference %s used by %d panels" % (n, used.get(n, 0)))


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[3], file=sys.stderr)
        return 2
    path = argv[1]
    existing = set()
    i = 2
    while i < len(argv):
        if argv[i] == "--existing" and i + 1 < len(argv):
            existing.add(tuple(argv[i + 1].split(":", 1)))
            i += 2
        else:
            print("kibana-check: unknown argument %s" % argv[i], file=sys.stderr)
            return 2
    if not path.endswith(".ndjson"):
        bad(path, "the name does not end in .ndjson")
    if os.path.getsize(path) > 25 * 1024 * 1024:
        bad(path, "larger than 25 MiB")
    data = open(path, "rb").read()
    if not data.endswith(b"\n"):
        bad(path, "the last line does not end in \\n")
    objs = []
    for n, line in enumerate(data.decode("utf-8").split("\n")[:-1], 1):
        try:
            o = json.loads(line)
        except ValueError as e:
            bad("line %d" % n, "not JSON: %s" % e)
            continue
        if not isinstance(o, dict) or "exportedCount" in o:
            bad("line %d" % n, "not a saved object")
            continue
        objs.append(o)
    if len(objs) > 10000:
        bad(path, "more than 10000 objects")
    by_key = {}
    for o in objs:
        where = "%s %s" % (o.get("type"), o.get("id"))
        key = (o.get("type"), o.get("id"))
        if key in by_key:
            bad(where, "(type,id) twice")
        by_key[key] = o
        o["_ok"] = check_envelope(o, where)
    ips = [o for o in objs if o.get("type") == "index-pattern" and o["_ok"]]
    for ip in ips:
        ft = field_types(ip)
        tf = ip["attributes"].get("timeFieldName")
        if tf is not None and ft.get(tf, {}).get("type") != "date":
            bad("index-pattern " + ip["id"], "timeFieldName %s is not a date field" % tf)
        names = [f for f in ft]
        if len(names) != len(set(names)):
            bad("index-pattern " + ip["id"], "a field twice")
    for o in objs:
        if not o["_ok"]:
            continue
        where = "%s %s" % (o["type"], o["id"])
        refs = {r["name"]: r for r in o["references"] if isinstance(r, dict) and "name" in r}
        for r in refs.values():
            if (r.get("type"), r.get("id")) not in by_key and (r.get("type"), r.get("id")) not in existing:
                bad(where, "reference %s -> %s %s resolves nowhere" % (r["name"], r.get("type"), r.get("id")))
        if o["type"] == "visualization":
            ipref = [r for r in refs.values() if r.get("type") == "index-pattern"]
            ip = by_key.get(("index-pattern", ipref[0]["id"])) if ipref else None
            check_vis(o, where, refs, field_types(ip) if ip else {})
        elif o["type"] == "dashboard":
            check_dashboard(o, where, refs, by_key)
    for p in problems:
        print(p)
    if problems:
        return 1
    print("ok: %d objects" % len(objs))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
