#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Latency from vsim's timestamp to searchable, for tests/bench/pipeline.sh.

Reads a sample of vsim's lines on stdin, in a thread of its own so that
it never holds the source up (telemetry messages; the others
are skipped), makes the id each one gets in the index (vnorm --es-id:
epoch-ms:vin:telemetry:signal) and asks OpenSearch, every 50 ms, with one
_search by ids for every sample not found yet, which are searchable now.
A sample's latency is the time it was first found minus its timestamp
(vsim paces in real time from now, so its timestamp is when it was sent).
Once stdin ends, it waits up to WAIT seconds for the rest, then prints
one JSON line: samples, found, missing, p50, p90, p99, max (seconds),
and by_minute: [minute, samples, p50, p99] for each minute of the run by
the samples' timestamps (where a tail comes from: a start, a merge).

usage: pipeline-latency.py URL INDEX-PATTERN [WAIT]
"""
import calendar
import json
import sys
import threading
import time
import urllib.request


def es_id(line):
    try:
        m = json.loads(line)
    except ValueError:
        return None
    name, vin, ts = m.get("name"), m.get("vin"), m.get("timestamp")
    if not (name and vin and ts) or name == "location" or "value" not in m:
        return None
    # "2019-06-15 11:39:17.632000000", UTC
    day, _, frac = ts.partition(".")
    secs = calendar.timegm(time.strptime(day, "%Y-%m-%d %H:%M:%S"))
    ms = secs * 1000 + int((frac + "000")[:3])
    # vnorm names the gear message after its number
    if name == "transmission_gear_position":
        name = "transmission_gear"
    return "%d:%s:telemetry:%s" % (ms, vin, name), ms / 1000.0


def search(url, ids):
    body = json.dumps({"size": len(ids), "_source": False,
                       "query": {"ids": {"values": ids}}}).encode()
    req = urllib.request.Request(url, data=body,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            hits = json.load(r)["hits"]["hits"]
    except (OSError, ValueError, KeyError):
        return []
    return [h["_id"] for h in hits]


def pct(xs, p):
    if not xs:
        return None
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(p / 100.0 * len(xs)))], 3)


def reader(pending, lock, state):
    """Take the samples in as they come: never keep the writer waiting
    (the source tees into this process)."""
    n = 0
    for line in sys.stdin.buffer:
        r = es_id(line)
        if r:
            with lock:
                pending[r[0]] = r[1]
            n += 1
    with lock:
        state["samples"] = n
        state["eof"] = time.time()


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    url = "%s/%s/_search" % (sys.argv[1].rstrip("/"), sys.argv[2])
    wait = float(sys.argv[3]) if len(sys.argv) > 3 else 30.0
    pending, lat, when, lock, state = {}, [], [], threading.Lock(), {}
    t = threading.Thread(target=reader, args=(pending, lock, state),
                         daemon=True)
    t.start()
    while True:
        with lock:
            ids = list(pending)[:500]
            eof = state.get("eof")
        if ids:
            found = search(url, ids)
            now = time.time()
            with lock:
                for i in found:
                    if i in pending:
                        sent = pending.pop(i)
                        lat.append(now - sent)
                        when.append(sent)
        with lock:
            left = len(pending)
        if eof is not None and (left == 0 or time.time() > eof + wait):
            break
        time.sleep(0.05)
    minutes = {}
    t0 = min(when) if when else 0
    for sent, x in zip(when, lat):
        minutes.setdefault(int((sent - t0) // 60), []).append(x)
    by_minute = [[m, len(xs), pct(xs, 50), pct(xs, 99)]
                 for m, xs in sorted(minutes.items())]
    print(json.dumps({"samples": state["samples"], "found": len(lat),
                      "missing": left, "p50": pct(lat, 50),
                      "p90": pct(lat, 90), "p99": pct(lat, 99),
                      "max": round(max(lat), 3) if lat else None,
                      "by_minute": by_minute}))


if __name__ == "__main__":
    main()
