#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The facts of deploy/ that tests/integration/containers.bats checks.

    deploy-facts.py DEPLOY-DIR PROG...

Parses every YAML file of DEPLOY-DIR (compose.yaml, k8s/*.yaml; a file
that does not parse fails with its error, exit 1) and the FROM lines of
its Containerfile, and prints one tab-separated line per fact:

    flag    PROG FLAG WHERE     FLAG given to PROG (one of PROG...) in a
                                command:/args: (--name=value as --name;
                                -abc as -a, -b, -c)
    image   NAME WHERE          an image named by a file
    fifo    PATH made|unmade WHERE
                                a path under /run/iotpipe/ that a program
                                is given, and whether the pod's init
                                container (the compose service "fifos")
                                makes it
    grace   SECONDS TIMEOUT WHERE
                                a pod's terminationGracePeriodSeconds (a
                                compose service's stop_grace_period) and
                                the longest --flush-timeout/--timeout of
                                its programs
    nonroot yes|no WHERE        runs as a non-root user (runAsNonRoot and
                                a uid, or compose's user:)
    limits  yes|no WHERE        a container with resource requests and
                                limits (k8s)

WHERE is FILE:NAME (a workload and its container, or a service).
"""

import glob
import os
import re
import sys

import yaml

FIFO_DIR = "/run/iotpipe/"
PATH_OPTS = ("--input", "--output", "--acks", "--rejects")
TIMEOUT_OPTS = ("--flush-timeout", "--timeout")


def out(*fields):
    print("\t".join(str(f) for f in fields))


def flags(tokens):
    """The option names among tokens."""
    for t in tokens:
        t = str(t)
        if t.startswith("--") and len(t) > 2:
            yield t.split("=", 1)[0]
        elif t.startswith("-") and len(t) > 1 and not t[1].isdigit():
            for c in t[1:]:
                yield "-" + c


def opt_values(tokens, names):
    """(name, value) of every --name=value among tokens."""
    for t in tokens:
        t = str(t)
        if "=" in t:
            n, v = t.split("=", 1)
            if n in names:
                yield n, v


def made_fifos(cmd):
    """The fifos an init command makes: `for f in A B C; do ... mkfifo`."""
    text = " ".join(str(c) for c in cmd or [])
    if "mkfifo" not in text:
        return set()
    m = re.search(r"for f in ([^;]+);", text)
    if m:
        return set(m.group(1).split())
    m = re.search(r"mkfifo(?: -m \S+)? (\S+)", text)
    return {m.group(1)} if m else set()


def program(tokens, progs, where):
    """Report the flags of one program's command line; return its tokens."""
    if not tokens or str(tokens[0]) not in progs:
        return None
    for f in flags(tokens[1:]):
        out("flag", tokens[0], f, where)
    return [str(t) for t in tokens[1:]]


def check_programs(where, lines, made):
    timeout = 0
    seen = set()
    for tokens in lines:
        for n, v in opt_values(tokens, PATH_OPTS):
            if v.startswith(FIFO_DIR) and v not in seen:
                seen.add(v)
                name = v[len(FIFO_DIR):]
                out("fifo", v, "made" if name in made else "unmade", where)
        for n, v in opt_values(tokens, TIMEOUT_OPTS):
            timeout = max(timeout, int(v))
    return timeout


def k8s(path, progs):
    with open(path, encoding="utf-8") as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    for doc in docs:
        kind = doc.get("kind")
        if kind in ("Deployment", "Job", "StatefulSet", "DaemonSet"):
            spec = doc["spec"]["template"]["spec"]
        elif kind == "Pod":
            spec = doc["spec"]
        else:
            continue
        name = doc["metadata"]["name"]
        base = f"{os.path.basename(path)}:{name}"
        made = set()
        for c in spec.get("initContainers", []):
            made |= made_fifos(c.get("command", []) + c.get("args", []))
        pod_sc = spec.get("securityContext", {})
        lines = []
        for c in spec.get("initContainers", []) + spec["containers"]:
            where = f"{base}/{c['name']}"
            out("image", c["image"], where)
            sc = dict(pod_sc)
            sc.update(c.get("securityContext", {}))
            nonroot = sc.get("runAsNonRoot") is True and int(sc.get("runAsUser", 0)) > 0
            out("nonroot", "yes" if nonroot else "no", where)
            r = c.get("resources", {})
            out("limits", "yes" if r.get("requests") and r.get("limits") else "no", where)
            t = program(c.get("command", []) + c.get("args", []), progs, where)
            if t is not None:
                lines.append(t)
        timeout = check_programs(base, lines, made)
        if kind != "Job":
            out("grace", spec.get("terminationGracePeriodSeconds", 30), timeout, base)


def seconds(v):
    m = re.fullmatch(r"(\d+)(s|m)?", str(v))
    if not m:
        return 0
    return int(m.group(1)) * (60 if m.group(2) == "m" else 1)


def compose(path, progs):
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    services = doc["services"]
    made = set()
    if "fifos" in services:
        made = made_fifos(services["fifos"].get("command", []))
    for name, s in services.items():
        where = f"{os.path.basename(path)}:{name}"
        out("image", s["image"], where)
        cmd = s.get("command")
        if not isinstance(cmd, list):
            continue
        t = program(cmd, progs, where)
        if t is None:
            continue
        user = str(s.get("user", ""))
        out("nonroot", "yes" if user and not user.startswith("0") and user != "root" else "no", where)
        timeout = check_programs(where, [t], made)
        out("grace", seconds(s.get("stop_grace_period", "10s")), timeout, where)


def containerfile(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"FROM\s+(\S+)", line)
            if m:
                out("image", m.group(1), os.path.basename(path))


def main(argv):
    if len(argv) < 2:
        sys.exit("usage: deploy-facts.py DEPLOY-DIR PROG...")
    d, progs = argv[0], set(argv[1:])
    try:
        for p in sorted(glob.glob(os.path.join(d, "k8s", "*.yaml"))):
            if os.path.basename(p) == "kustomization.yaml":
                with open(p, encoding="utf-8") as f:
                    yaml.safe_load(f)
                continue
            k8s(p, progs)
        compose(os.path.join(d, "compose.yaml"), progs)
        containerfile(os.path.join(d, "Containerfile"))
    except (yaml.YAMLError, KeyError, TypeError, ValueError) as e:
        sys.exit(f"deploy-facts.py: {e}")


if __name__ == "__main__":
    main(sys.argv[1:])
