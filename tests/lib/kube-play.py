#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The test's copy of deploy/k8s for `podman kube play`.

    kube-play.py [--set KEY=VALUE]... [--suffix S] FILE... > play.yaml

Reads the Kubernetes documents of FILE... and writes what podman kube
play runs (Pod, Deployment, ConfigMap), changed only where a test machine
differs from a cluster:

  - hostNetwork: true, so that the pods reach the servers the tests start
    on 127.0.0.1;
  - the ConfigMap's values replaced by --set KEY=VALUE (the endpoints of
    those servers);
  - a Deployment becomes the Pod of its template, named NAME-S with
    --suffix S (NAME without), so that two test runs on one machine do not
    meet (podman 4.3 reads no annotations of a Deployment's template, and
    the next change needs one);
  - the init containers of type "always" (annotation
    io.podman.annotations.init.container.type): podman 4.3 removes an
    init container of the default type "once" after it ran, and that
    removal can race the container's exit ("cannot remove container ...
    as it is running"); "always" runs them at each start of the pod, as
    Kubernetes does, and the init commands of deploy/k8s may run again;
  - each volume named after its pod too (NAME-S-VOLUME): podman 4.3
    plays an emptyDir as a named volume of the volume's name, which every
    pod with a volume of that name would share (the fifos of two pods
    would be one);
  - the Secret references dropped: podman 4.3 knows no Secret kind, and
    the test servers take no credentials;
  - the containers of an image this machine cannot pull (node-exporter,
    which serves the programs' --metrics-file to Prometheus) left out, and
    listed on stderr: the files they would serve are still written.

Everything else (commands, arguments, volumes, init containers, security
contexts) is played as it is. The kinds podman cannot run (Secret,
HorizontalPodAutoscaler, Job, Kustomization) are left out, and listed on
stderr.
"""

import sys

import yaml

PLAYED = {"Pod", "Deployment", "ConfigMap"}



def main(argv):
    sets = {}
    suffix = ""
    files = []
    args = iter(argv)
    for a in args:
        if a == "--set":
            kv = next(args, None)
            if kv is None or "=" not in kv:
                sys.exit("kube-play.py: --set needs KEY=VALUE")
            k, v = kv.split("=", 1)
            sets[k] = v
        elif a == "--suffix":
            suffix = "-" + (next(args, None) or sys.exit("kube-play.py: --suffix needs a value"))
        elif a.startswith("-"):
            sys.exit(f"kube-play.py: unknown option {a}")
        else:
            files.append(a)
    if not files:
        sys.exit("usage: kube-play.py [--set KEY=VALUE]... [--suffix S] FILE...")

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
                    if kind == "Deployment":
                        meta = dict(doc["spec"]["template"].get("metadata", {}))
                        meta["name"] = doc["metadata"]["name"]
                        doc = {
                            "apiVersion": "v1",
                            "kind": "Pod",
                            "metadata": meta,
                            "spec": doc["spec"]["template"]["spec"],
                        }
                    doc["metadata"]["name"] += suffix
                    doc["metadata"].setdefault("annotations", {})[
                        "io.podman.annotations.init.container.type"
                    ] = "always"
                    spec = doc["spec"]
                    spec["hostNetwork"] = True
                    kept = []
                    for c in spec["containers"]:
                        if c["image"].startswith("localhost/"):
                            kept.append(c)
                        else:
                            print(f"kube-play.py: {path}: container {c['name']} ({c['image']}) left out",
                                  file=sys.stderr)
                    spec["containers"] = kept
                    pod = doc["metadata"]["name"]
                    for v in spec.get("volumes", []):
                        v["name"] = f"{pod}-{v['name']}"
                    for c in spec.get("initContainers", []) + spec["containers"]:
                        # new dicts: YAML aliases share the old ones
                        c["volumeMounts"] = [
                            dict(m, name=f"{pod}-{m['name']}") for m in c.get("volumeMounts", [])
                        ]
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
