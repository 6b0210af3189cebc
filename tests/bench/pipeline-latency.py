#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Latency from vsim's timestamp to searchable, for tests/bench/pipeline.sh.

Reads a sample of vsim's lines on stdin (telemetry messages; the others
are skipped), makes the id each one gets in the index (vnorm --es-id:
vin:epoch-ms:telemetry:signal) and asks OpenSearch, every 50 ms, with one
_search by ids for every sample not found yet, which are searchable now.
A sample's latency is the time it was first found minus its timestamp
(vsim paces in real time from now, so its timestamp is when it was sent).
Once stdin ends, it waits up to WAIT seconds for the rest, then prints
one JSON line: samples, found, missing, p50, p90, p99, max (seconds).

usage: pipeline-latency.py URL INDEX-PATTERN [WAIT]
"""
import calendar
import json
import os
import selectors
import sys
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
    return "%s:%d:telemetry:%s" % (vin, ms, name), ms / 1000.0


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


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    url = "%s/%s/_search" % (sys.argv[1].rstrip("/"), sys.argv[2])
    wait = float(sys.argv[3]) if len(sys.argv) > 3 else 30.0
    pending, lat = {}, []
    samples = 0
    sel = selectors.DefaultSelector()
    fd = sys.stdin.fileno()
    os.set_blocking(fd, False)
    sel.register(fd, selectors.EVENT_READ)
    buf, eof, deadline = b"", False, None
    while True:
        for _ in sel.select(0.05):
            chunk = os.read(fd, 65536)
            if not chunk:
                eof = True
                sel.unregister(fd)
                deadline = time.time() + wait
                break
            buf += chunk
            *lines, buf = buf.split(b"\n")
            for line in lines:
                r = es_id(line)
                if r:
                    samples += 1
                    pending[r[0]] = r[1]
        if pending:
            now = time.time()
            for i in search(url, list(pending)[:500]):
                if i in pending:
                    lat.append(now - pending.pop(i))
        if eof and (not pending or time.time() > deadline):
            break
        if eof and pending:
            time.sleep(0.05)
    print(json.dumps({"samples": samples, "found": len(lat),
                      "missing": len(pending), "p50": pct(lat, 50),
                      "p90": pct(lat, 90), "p99": pct(lat, 99),
                      "max": round(max(lat), 3) if lat else None}))


if __name__ == "__main__":
    main()
