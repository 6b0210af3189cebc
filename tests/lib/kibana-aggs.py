#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Run one visualization of a saved-objects file (kibana-dash --output)
against Elasticsearch or OpenSearch: translate its own visState into the
search Kibana would send, and check the answer has data.

usage: kibana-aggs.py FILE VIS_ID URL INDEX [--grid geotile]
                      [--bbox TOP,LEFT,BOTTOM,RIGHT]

The bucket aggregations (schemas segment, group, split) nest in the order
of visState.aggs, each metric (avg, max, ...) sits in the innermost one, as
Kibana's request builder does. Not translated: the dashboard's time range
(the data may be old) and date_histogram's "auto" interval (a fixed
minute). --grid geotile asks geotile_grid where the visualization has
geohash_grid (the same field); --bbox keeps only documents whose grid
field lies in the box.

Prints the search body and then one line "buckets B leaves L values V docs
D" (outer buckets, innermost buckets, innermost buckets where every metric
has a value, documents in the outer buckets); exits 1 when one of B, L
and V is 0. Python 3 standard library only.
"""

import json
import sys
import urllib.request

METRICS = {"avg", "max", "min", "sum", "cardinality"}


def translate(vis, grid, bbox):
    aggs = vis["aggs"]
    metrics = [a for a in aggs if a["schema"] == "metric" and a["type"] != "count"]
    buckets = [a for a in aggs if a["schema"] in ("segment", "group", "split")]
    by_id = {a["id"]: a for a in aggs}
    leaf = {}
    for m in metrics:
        if m["type"] not in METRICS:
            raise SystemExit("kibana-aggs: metric %s not translated" % m["type"])
        leaf["m" + m["id"]] = {m["type"]: {"field": m["params"]["field"]}}
    query = {"match_all": {}}
    tree = leaf
    for b in reversed(buckets):
        p = b["params"]
        t = b["type"]
        if t == "date_histogram":
            body = {"field": p["field"], "fixed_interval": "1m",
                    "min_doc_count": p.get("min_doc_count", 1)}
        elif t == "terms":
            o = p.get("orderBy")
            if o == "_key":
                order = {"_key": p.get("order", "desc")}
            elif by_id[o]["type"] == "count":
                order = {"_count": p.get("order", "desc")}
            else:
                order = {"m" + o: p.get("order", "desc")}
            body = {"field": p["field"], "size": p.get("size", 5), "order": order}
        elif t in ("geohash_grid", "geotile_grid"):
            if grid == "geotile":
                t = "geotile_grid"
                body = {"field": p["field"], "precision": 8}
            else:
                body = {"field": p["field"], "precision": p.get("precision", 5)}
            if bbox:
                top, left, bottom, right = bbox
                query = {"bool": {"filter": {"geo_bounding_box": {p["field"]: {
                    "top_left": {"lat": top, "lon": left},
                    "bottom_right": {"lat": bottom, "lon": right}}}}}}
        else:
            raise SystemExit("kibana-aggs: bucket agg %s not translated" % t)
        node = {t: body}
        if tree:
            node["aggs"] = tree
        tree = {"b" + b["id"]: node}
    return {"size": 0, "query": query, "aggs": tree}, [b["id"] for b in buckets], list(leaf)


def walk(agg, ids, metrics, depth=0):
    """(buckets at depth 0, leaves, leaves with every metric valued)."""
    bks = agg["b" + ids[0]]["buckets"]
    outer = len(bks)
    leaves = valued = 0
    for b in bks:
        if len(ids) > 1:
            _, l, v = walk(b, ids[1:], metrics, depth + 1)
            leaves += l
            valued += v
        else:
            leaves += 1
            if all(b.get(m, {}).get("value") is not None for m in metrics):
                valued += 1
    return outer, leaves, valued


def main(argv):
    if len(argv) < 5:
        print(__doc__.splitlines()[3], file=sys.stderr)
        return 2
    path, vis_id, url, index = argv[1:5]
    grid, bbox = None, None
    rest = argv[5:]
    while rest:
        if rest[0] == "--grid":
            grid = rest[1]
        elif rest[0] == "--bbox":
            bbox = [float(x) for x in rest[1].split(",")]
        else:
            print("kibana-aggs: unknown argument %s" % rest[0], file=sys.stderr)
            return 2
        rest = rest[2:]
    vis = None
    for line in open(path):
        o = json.loads(line)
        if o["id"] == vis_id:
            vis = json.loads(o["attributes"]["visState"])
    if vis is None:
        print("kibana-aggs: no %s in %s" % (vis_id, path), file=sys.stderr)
        return 2
    body, ids, metrics = translate(vis, grid, bbox)
    print(json.dumps(body, sort_keys=True))
    req = urllib.request.Request("%s/%s/_search" % (url.rstrip("/"), index),
                                 data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        ans = json.load(r)
    outer, leaves, valued = walk(ans["aggregations"], ids, metrics)
    docs = sum(b["doc_count"] for b in ans["aggregations"]["b" + ids[0]]["buckets"])
    print("buckets %d leaves %d values %d docs %d" % (outer, leaves, valued, docs))
    return 0 if outer and leaves and valued else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
