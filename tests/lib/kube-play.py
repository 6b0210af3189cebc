#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The test's copy of deploy/k8s for `podman kube play`.

    kube-play.py [--set KEY=VALUE]... FILE... > play.yaml

Reads the Kubernetes documents of FILE... and writes what podman kube
play runs (Pod, Deployment, ConfigMap), changed only where a test machine
differs from a cluster:

  - hostNetwork: true, so that the pods reach the servers the tests start
    on 127.0.0.1;
  - the ConfigMap's values replaced by --set KEY=VALUE (the endpoints of
    those servers);
  - the Secret references dropped: podman 4.3 knows no Secret kind, and
    the test servers take no credentials.

Everything else (commands, arguments, volumes, init containers, security
contexts) is played as it is. The kinds podman cannot run (Secret,
HorizontalPodAutoscaler, Job, Kustomization) are left out, and listed on
stderr.
"""

import sys

import yaml

PLAYED = {"Pod", "Deployment", "ConfigMap"}


def pod_spec(doc):
    if doc["kind"] == "Pod":
        return doc["spec"]
    return doc["spec"]["template"]["spec"]


def main(argv):
    sets = {}
    files = []
    args = iter(argv)
    for a in args:
        if a == "--set":
            kv = next(args, None)
            if kv is None or "=" not in kv:
                sys.exit("kube-play.py: --set needs KEY=VALUE")
            k, v = kv.split("=", 1)
            sets[k] = v
        elif a.startswith("-"):
            sys.exit(f"kube-play.py: unknown option {a}")
        else:
            files.append(a)
    if not files:
        sys.exit("usage: kube-play.py [--set KEY=VALUE]... FILE...")

    out = []
    for path in files:
        with open(path, encoding="utf-8") as f:
            for doc in yaml.safe_load_all(f):
                if not doc:
                    continue
                kind = doc.get("kind")
                if kind not in PLAYED:
                    print(f"kube-play.py: {path}: {kind} left out", file=sys.stderr)
                    continue
                if kind == "ConfigMap":
                    data = doc.setdefault("data", {})
                    for k, v in sets.items():
                        data[k] = v
                else:
                    spec = pod_spec(doc)
                    spec["hostNetwork"] = True
                    for c in spec.get("initContainers", []) + spec["containers"]:
                        refs = [r for r in c.get("envFrom", []) if "secretRef" not in r]
                        if refs:
                            c["envFrom"] = refs
                        else:
                            c.pop("envFrom", None)
                out.append(doc)
    yaml.safe_dump_all(out, sys.stdout, default_flow_style=False, sort_keys=False)


if __name__ == "__main__":
    main(sys.argv[1:])
