#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A scripted Kibana / OpenSearch Dashboards saved-objects endpoint, for
kibana-dash's HTTP side: no Kibana can run in the tests, so this one checks
each request the way the real servers do (method, path, the XSRF header of
its flavor, the multipart shape of an import, the query parameters its
version knows, credentials, spaces) and answers with the bodies and status
codes they give (kibana-dash(1) names what it relies on).

Python 3 standard library only. Listens on 127.0.0.1, on a free port unless
--port is given, and prints "fake-kibana: listening on URL" once ready.

Flavors: kibana7 (7.17), kibana8 (8.x), osd (OpenSearch Dashboards 2.x).

Answers:
  GET  [/s/SPACE]/api/status
  POST [/s/SPACE]/api/saved_objects/_import?overwrite=true
  GET|DELETE [/s/SPACE]/api/saved_objects/TYPE/ID
  POST /_fake/script   JSON: {"import": "conflict" | "missing_references" |
                       "unknown" | "unsupported_type" (visualizations) |
                       "400" (overwrite taken for an unknown parameter) |
                       "413" | "403" | "500" | "regenerate",
                       "starting": N (N status requests answered 503),
                       "slow": S (an import answers S seconds after it
                       stored the objects: a busy Kibana),
                       "html": true (a login page for everything),
                       "redacted": true (a status without the version)}
  POST /_fake/reset    forget objects, script and requests
  GET  /_fake/requests every request seen, one JSON object each
  GET  /_fake/objects  every stored object, one JSON line each
"""

import argparse
import base64
import json
import re
import ssl
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

FLAVORS = {
    "kibana7": {"number": "7.17.9", "xsrf": "kbn-xsrf", "spaces": True,
                "params": {"overwrite", "createNewCopies"}},
    "kibana8": {"number": "8.15.3", "xsrf": "kbn-xsrf", "spaces": True,
                "params": {"overwrite", "createNewCopies", "compatibilityMode"}},
    "osd": {"number": "2.17.1", "xsrf": "osd-xsrf", "spaces": False,
            "params": {"overwrite", "createNewCopies", "workspaces"}},
}
SPACES = {"default", "fleet"}
MAX_PAYLOAD = 26214400
LOGIN_PAGE = b"<!DOCTYPE html><html><head><title>Sign in</title></head><body>login</body></html>"


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.objects = {}  # (space, type, id) -> object
        self.script = {}
        self.requests = []


def error_body(status, error, message):
    return {"statusCode": status, "error": error, "message": message}


def parse_multipart(ctype, body):
    """The parts of a multipart/form-data body: [(headers dict, data)]."""
    m = re.search(r'boundary="?([^";]+)"?', ctype or "")
    if not m:
        return None
    sep = b"--" + m.group(1).encode()
    parts = []
    for chunk in body.split(sep)[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk[2:] if chunk.startswith(b"\r\n") else chunk
        head, _, data = chunk.partition(b"\r\n\r\n")
        if data.endswith(b"\r\n"):
            data = data[:-2]
        headers = {}
        for line in head.decode("latin-1").split("\r\n"):
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        parts.append((headers, data))
    return parts


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-kibana/1"

    def log_message(self, fmt, *args):
        if self.server.state.args.verbose:
            sys.stderr.write("fake-kibana: " + fmt % args + "\n")

    @property
    def st(self):
        return self.server.state

    @property
    def flavor(self):
        return FLAVORS[self.st.args.flavor]

    def send(self, status, obj=None, raw=None, ctype="application/json; charset=utf-8"):
        data = raw if raw is not None else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def record(self, extra=None):
        h = {k.lower(): v for k, v in self.headers.items()
             if k.lower() in ("kbn-xsrf", "osd-xsrf", "content-type", "accept",
                              "authorization", "user-agent", "securitytenant")}
        if "authorization" in h:
            h["authorization"] = h["authorization"].split(" ")[0] + " ..."
        r = {"method": self.command, "path": self.path, "headers": h}
        if extra:
            r.update(extra)
        with self.st.lock:
            self.st.requests.append(r)
        return r

    # ---- fake control

    def control(self):
        u = urlsplit(self.path)
        if u.path == "/_fake/reset" and self.command == "POST":
            with self.st.lock:
                self.st.reset()
            return self.send(200, {"ok": True})
        if u.path == "/_fake/script" and self.command == "POST":
            with self.st.lock:
                self.st.script.update(json.loads(self.body() or b"{}"))
            return self.send(200, {"ok": True})
        if u.path == "/_fake/requests":
            with self.st.lock:
                lines = "".join(json.dumps(r) + "\n" for r in self.st.requests)
            return self.send(200, raw=lines.encode(), ctype="application/x-ndjson")
        if u.path == "/_fake/objects":
            with self.st.lock:
                lines = "".join(json.dumps(o, sort_keys=True) + "\n"
                                for o in self.st.objects.values())
            return self.send(200, raw=lines.encode(), ctype="application/x-ndjson")
        return self.send(404, error_body(404, "Not Found", "Not Found"))

    # ---- the API

    def auth_ok(self):
        a = self.st.args
        got = self.headers.get("Authorization")
        if a.user is None and a.api_key is None:
            return True
        if a.user is not None and got == "Basic " + base64.b64encode(
                ("%s:%s" % (a.user, a.password)).encode()).decode():
            return True
        if a.api_key is not None and got == "ApiKey " + a.api_key:
            return True
        return False

    def handle_any(self):
        if self.path.startswith("/_fake/"):
            return self.control()
        u = urlsplit(self.path)
        path = u.path
        space = "default"
        m = re.match(r"^/s/([^/]+)(/.*)$", path)
        if m:
            space, path = m.group(1), m.group(2)
        body = self.body() if self.command in ("POST", "PUT") else b""
        req = self.record()
        script = dict(self.st.script)
        if script.get("html"):
            return self.send(200, raw=LOGIN_PAGE, ctype="text/html; charset=utf-8")
        if not self.auth_ok():
            return self.send(401, error_body(401, "Unauthorized",
                                             "[security_exception] unable to authenticate user"))
        if m and (not self.flavor["spaces"] or space not in SPACES):
            return self.send(404, error_body(404, "Not Found", "Not Found"))
        if path == "/api/status" and self.command == "GET":
            return self.status(script)
        if self.command not in ("GET", "HEAD") and self.headers.get(self.flavor["xsrf"]) is None:
            return self.send(400, error_body(400, "Bad Request",
                                             "Request must contain a %s header." % self.flavor["xsrf"]))
        if script.get("403"):
            return self.send(403, error_body(403, "Forbidden",
                                             "Unable to bulk_create index-pattern,visualization,dashboard"))
        if path == "/api/saved_objects/_import":
            if self.command != "POST":
                return self.send(404, error_body(404, "Not Found", "Not Found"))
            return self.import_(space, u.query, body, req, script)
        m2 = re.match(r"^/api/saved_objects/([a-z-]+)/([^/]+)$", path)
        if m2 and self.command in ("GET", "DELETE"):
            key = (space, m2.group(1), m2.group(2))
            with self.st.lock:
                obj = self.st.objects.get(key)
                if obj is not None and self.command == "DELETE":
                    del self.st.objects[key]
            if obj is None:
                return self.send(404, error_body(404, "Not Found",
                                                 "Saved object [%s/%s] not found" % key[1:]))
            return self.send(200, {} if self.command == "DELETE" else obj)
        return self.send(404, error_body(404, "Not Found", "Not Found"))

    def status(self, script):
        with self.st.lock:
            starting = self.st.script.get("starting", 0)
            if starting:
                self.st.script["starting"] = starting - 1
        fl = self.st.args.flavor
        if starting:
            if fl == "kibana7":
                return self.send(503, raw=b"Kibana server is not ready yet",
                                 ctype="text/plain; charset=utf-8")
            return self.send(503, {"status": {"overall": {"level": "unavailable"}}}
                             if fl == "kibana8" else
                             error_body(503, "Service Unavailable", "not ready"))
        if script.get("redacted"):
            return self.send(200, {"status": {"overall": {"level": "available"}}})
        v = {"number": self.flavor["number"], "build_hash": "0" * 40,
             "build_number": 1, "build_snapshot": False}
        name = "opensearch-dashboards" if fl == "osd" else "kibana"
        overall = {"level": "available"} if fl == "kibana8" else {"state": "green"}
        return self.send(200, {"name": name, "uuid": str(uuid.uuid4()), "version": v,
                               "status": {"overall": overall}})

    def import_(self, space, query, body, req, script):
        q = parse_qs(query, keep_blank_values=True)
        known = self.flavor["params"] - ({"overwrite"} if script.get("import") == "400" else set())
        for k in q:
            if k not in known:
                return self.send(400, error_body(400, "Bad Request",
                                                 "[request query.%s]: definition for this key is missing" % k))
        overwrite = q.get("overwrite", ["false"])[0] == "true"
        if script.get("413") or len(body) > MAX_PAYLOAD:
            return self.send(413, error_body(413, "Request Entity Too Large",
                                             "Payload content length greater than maximum allowed: %d" % MAX_PAYLOAD))
        parts = parse_multipart(self.headers.get("Content-Type"), body)
        if not parts:
            return self.send(415, error_body(415, "Unsupported Media Type", "Unsupported Media Type"))
        files = [(h, d) for h, d in parts if 'name="file"' in h.get("content-disposition", "")]
        if len(parts) != 1 or len(files) != 1:
            return self.send(400, error_body(400, "Bad Request",
                                             "[request body.file]: expected exactly one part named file"))
        h, data = files[0]
        fm = re.search(r'filename="([^"]*)"', h.get("content-disposition", ""))
        fname = fm.group(1) if fm else ""
        ext = fname[fname.rfind("."):].lower() if "." in fname else ""
        req.update({"filename": fname, "part_type": h.get("content-type"), "bytes": len(data)})
        if ext != ".ndjson":
            return self.send(400, error_body(400, "Bad Request", "Invalid file extension %s" % ext))
        objs = []
        for line in data.decode("utf-8").split("\n"):
            if not line.strip():
                continue
            try:
                o = json.loads(line)
            except ValueError as e:
                return self.send(400, error_body(400, "Bad Request", "Unexpected token: %s" % e))
            if "exportedCount" not in o:
                objs.append(o)
        keys = [(o.get("type"), o.get("id")) for o in objs]
        dup = sorted({"%s:%s" % k for k in keys if keys.count(k) > 1})
        if dup:
            return self.send(400, error_body(400, "Bad Request",
                                             "Non-unique import objects detected: [%s]" % ",".join(dup)))
        errors, results = [], []
        with self.st.lock:
            present = {(t, i) for (s, t, i) in self.st.objects if s == space}
        for o in objs:
            meta = {"title": o.get("attributes", {}).get("title", "")}
            missing = [r for r in o.get("references", [])
                       if r.get("type") in ("index-pattern", "search")
                       and (r["type"], r["id"]) not in set(keys) | present]
            if script.get("import") == "missing_references" and o["type"] == "visualization":
                missing = [{"type": "index-pattern", "id": "gone"}]
            if missing:
                errors.append({"id": o["id"], "type": o["type"], "meta": meta,
                               "error": {"type": "missing_references",
                                         "references": [{"type": r["type"], "id": r["id"]} for r in missing]}})
                continue
            if ((o["type"], o["id"]) in present and not overwrite) or \
                    (script.get("import") == "conflict" and o["type"] == "dashboard"):
                errors.append({"id": o["id"], "type": o["type"], "meta": meta,
                               "error": {"type": "conflict"}})
                continue
            if script.get("import") == "unsupported_type" and o["type"] == "visualization":
                errors.append({"id": o["id"], "type": o["type"], "meta": meta,
                               "error": {"type": "unsupported_type"}})
                continue
            if script.get("import") == "unknown" and o["type"] == "dashboard":
                errors.append({"id": o["id"], "type": o["type"], "meta": meta,
                               "error": {"type": "unknown", "statusCode": 400,
                                         "message": "[attributes.bogus]: definition for this key is missing"}})
                continue
            r = {"id": o["id"], "type": o["type"], "meta": meta}
            if script.get("import") == "regenerate" and self.st.args.flavor == "kibana8":
                r["destinationId"] = str(uuid.uuid4())
            if overwrite and (o["type"], o["id"]) in present:
                r["overwrite"] = True
            results.append(r)
        if script.get("500"):
            return self.send(500, error_body(500, "Internal Server Error",
                                             "An internal server error occurred."))
        resolvable = any(e["error"]["type"] in ("conflict", "ambiguous_conflict", "missing_references")
                         for e in errors)
        if not resolvable:
            dest = {(r["type"], r["id"]): r.get("destinationId", r["id"]) for r in results}
            with self.st.lock:
                for o in objs:
                    if (o["type"], o["id"]) not in dest:
                        continue
                    o = dict(o, id=dest[(o["type"], o["id"])])
                    self.st.objects[(space, o["type"], o["id"])] = o
        ans = {"success": not errors, "successCount": len(results)}
        if results:
            ans["successResults"] = results
        if errors:
            ans["errors"] = errors
        if self.st.args.flavor == "kibana8":
            ans["warnings"] = []
        time.sleep(float(script.get("slow", 0)))
        return self.send(200, ans)

    do_GET = do_POST = do_PUT = do_DELETE = handle_any


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--flavor", choices=sorted(FLAVORS), default="kibana8")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--api-key")
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--client-ca", metavar="FILE",
                   help="with --tls: ask for a client certificate signed by FILE")
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    srv.state = State(args)
    scheme = "http"
    if args.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls[0], args.tls[1])
        if args.client_ca:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(args.client_ca)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        scheme = "https"
    print("fake-kibana: listening on %s://127.0.0.1:%d" % (scheme, srv.server_address[1]), flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
