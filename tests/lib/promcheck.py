#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Strict check of a --metrics-file (Prometheus text exposition format, as
iotpipe(7) "Metrics" describes it).  Prints "name value" per sample on
stdout; any deviation is one line on stderr and exit status 1.

Usage: promcheck.py FILE PROGRAM
"""
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
HELP = re.compile(r"^# HELP (%s) (\S.*)$" % NAME)
TYPE = re.compile(r"^# TYPE (%s) (counter|gauge)$" % NAME)
LABEL = r'"((?:[^"\\\n]|\\["\\n])*)"'
SAMPLE = re.compile(
    r'^(%s)\{program=%s,file=%s\} '
    r"(-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)$" % (NAME, LABEL, LABEL))


def main(path, program):
    text = open(path, encoding="utf-8").read()
    bad = []
    if not text.endswith("\n"):
        bad.append("does not end with a newline")
    helps, types, seen = {}, {}, set()
    for n, line in enumerate(text.split("\n")[:-1], 1):
        m = HELP.match(line)
        if m:
            if m.group(1) in helps:
                bad.append("line %d: second HELP for %s" % (n, m.group(1)))
            helps[m.group(1)] = m.group(2)
            continue
        m = TYPE.match(line)
        if m:
            if m.group(1) not in helps or m.group(1) in types:
                bad.append("line %d: TYPE without HELP first" % n)
            types[m.group(1)] = m.group(2)
            continue
        m = SAMPLE.match(line)
        if not m:
            bad.append("line %d: not a HELP, TYPE or sample: %r" % (n, line))
            continue
        name, prog, fname, value = m.groups()
        if name not in types:
            bad.append("line %d: sample of %s before its TYPE" % (n, name))
        elif types[name] == "counter" and not name.endswith("_total"):
            bad.append("line %d: counter %s lacks _total" % (n, name))
        elif types[name] == "gauge" and name.endswith("_total"):
            bad.append("line %d: gauge %s ends in _total" % (n, name))
        if not name.startswith("iotpipe_"):
            bad.append("line %d: %s lacks the iotpipe_ prefix" % (n, name))
        if prog != program:
            bad.append("line %d: program=%r, not %r" % (n, prog, program))
        base = path.rsplit("/", 1)[-1]
        if base.endswith(".prom"):
            base = base[:-5]
        if fname != base:
            bad.append("line %d: file=%r, not %r" % (n, fname, base))
        if name in seen:
            bad.append("line %d: second sample of %s" % (n, name))
        seen.add(name)
        print(name, value)
    for name in types:
        if name not in seen:
            bad.append("%s: TYPE without a sample" % name)
    for b in bad:
        print("%s: %s" % (path, b), file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
