#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A scripted Elasticsearch _bulk endpoint, for the faults a real node will
not produce on demand (item-level 429 storms, 413, mixed item errors in a
200, 429 and 503 with Retry-After, slow answers, no answer at all, refused
credentials) and for esbulk's throughput ceiling (--discard). Never the only test of a feature: tests/integration/esbulk.bats
runs the same things against real OpenSearch and Elasticsearch.

Python 3 standard library only. Listens on 127.0.0.1, on a free port unless
--port is given, and prints "fake-es: listening on URL" on stdout once ready.

Answers:
  GET /                         a root document (--flavor)
  POST /_bulk, /INDEX/_bulk     per-item results, faults as scripted below
  PUT|GET /_index_template/N    kept in memory (also /_template/N)
  GET /_fake/stats              counters (JSON) for the tests
  GET /_fake/docs               every stored document, one JSON line each
  POST /_fake/reset             forget documents and counters
"""

import argparse
import email.utils
import gzip
import hashlib
import json
import ssl
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

FLAVORS = {
    "opensearch": {"number": "2.19.1", "distribution": "opensearch"},
    "es8": {"number": "8.19.21", "build_flavor": "default"},
    "es7": {"number": "7.17.9", "build_flavor": "default"},
    "es6": {"number": "6.8.23", "build_flavor": "default"},
}


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.docs = {}  # (index, id) -> source bytes
        self.auto = []  # (index, source) without _id
        self.templates = {}
        self.seen = {}  # source digest -> times received
        self.accepted = set()  # digests answered with success
        self.c = {
            "requests": 0,
            "bulk_requests": 0,
            "items": 0,
            "indexed": 0,
            "created": 0,
            "conflicts": 0,
            "item_429": 0,
            "item_400": 0,
            "request_errors": 0,
            "too_large": 0,
            "resent_after_success": 0,
            "gzip_requests": 0,
            "unauthorized": 0,
            "typed": 0,
            "bytes": 0,
            "max_items": 0,
            "batch_items": [],
            "bulk_times": [],  # when each _bulk came, epoch seconds
            "auth_seen": [],
            "paths": [],
        }
        self.request_faults = list(self.args.request_status)


def parse_request_status(text):
    """CODE:COUNT,... -> [(code, count)]"""
    out = []
    for part in text.split(","):
        code, _, count = part.partition(":")
        out.append([int(code), int(count or "1")])
    return out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-es/1"

    def log_message(self, *args):  # quiet
        pass

    # ---- helpers

    def send_json(self, status, obj, extra=None):
        body = obj if isinstance(obj, bytes) else json.dumps(obj, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        chunks = []
        while n > 0:
            b = self.rfile.read(min(n, 1 << 20))
            if not b:
                break
            chunks.append(b)
            n -= len(b)
        return b"".join(chunks)

    def authorized(self):
        want = self.server.state.args.auth
        if not want:
            return True
        got = self.headers.get("Authorization") or ""
        kind, _, rest = want.partition(":")
        if kind == "basic":
            import base64

            ok = got == "Basic " + base64.b64encode(rest.encode()).decode()
        elif kind == "apikey":
            ok = got == "ApiKey " + rest
        else:
            ok = got == "Bearer " + rest
        if not ok:
            st = self.server.state
            with st.lock:
                st.c["unauthorized"] += 1
            self.send_json(
                401,
                {
                    "error": {
                        "type": "security_exception",
                        "reason": "unable to authenticate user for REST request [%s]" % self.path,
                    },
                    "status": 401,
                },
                {"WWW-Authenticate": 'Basic realm="security"'},
            )
        return ok

    # ---- methods

    def do_GET(self):
        st = self.server.state
        url = urlsplit(self.path)
        with st.lock:
            st.c["requests"] += 1
        if url.path == "/_fake/stats":
            with st.lock:
                c = dict(st.c)
                c["docs"] = len(st.docs) + len(st.auto)
                c["templates"] = sorted(st.templates)
            return self.send_json(200, c)
        if url.path == "/_fake/docs":
            with st.lock:
                lines = [json.dumps({"_index": i, "_id": d, "_source": json.loads(s)}) for (i, d), s in st.docs.items()]
                lines += [json.dumps({"_index": i, "_source": json.loads(s)}) for i, s in st.auto]
            return self.send_json(200, ("\n".join(lines) + "\n").encode() if lines else b"")
        if not self.authorized():
            return None
        if url.path in ("/", ""):
            v = FLAVORS[st.args.flavor]
            return self.send_json(200, {"name": "fake", "cluster_name": "fake", "version": v, "tagline": "fake"})
        for prefix in ("/_index_template/", "/_template/"):
            if url.path.startswith(prefix):
                name = url.path[len(prefix) :]
                with st.lock:
                    t = st.templates.get(prefix + name)
                if t is None:
                    return self.send_json(404, {"error": {"type": "resource_not_found_exception", "reason": name}, "status": 404})
                return self.send_json(200, {"index_templates": [{"name": name, "index_template": t}]})
        return self.send_json(404, {"error": {"type": "not_found", "reason": url.path}, "status": 404})

    def do_PUT(self):
        st = self.server.state
        url = urlsplit(self.path)
        body = self.read_body()
        with st.lock:
            st.c["requests"] += 1
        if not self.authorized():
            return None
        for prefix in ("/_index_template/", "/_template/"):
            if url.path.startswith(prefix):
                try:
                    t = json.loads(body)
                except ValueError as e:
                    return self.send_json(400, {"error": {"type": "parse_exception", "reason": str(e)}, "status": 400})
                with st.lock:
                    st.templates[prefix + url.path[len(prefix) :]] = t
                return self.send_json(200, {"acknowledged": True})
        return self.send_json(404, {"error": {"type": "not_found", "reason": url.path}, "status": 404})

    def do_POST(self):
        st = self.server.state
        url = urlsplit(self.path)
        if url.path == "/_fake/reset":
            self.read_body()
            with st.lock:
                st.reset()
            return self.send_json(200, {"ok": True})
        if url.path == "/_bulk" or url.path.endswith("/_bulk"):
            return self.bulk(url)
        self.read_body()
        return self.send_json(404, {"error": {"type": "not_found", "reason": url.path}, "status": 404})

    # ---- _bulk

    def bulk(self, url):
        st = self.server.state
        a = st.args
        wire = int(self.headers.get("Content-Length") or 0)
        if a.discard:
            return self.discard(wire)
        raw = self.read_body()
        with st.lock:
            st.c["requests"] += 1
            st.c["bulk_requests"] += 1
            st.c["bulk_times"].append(time.time())
            nth = st.c["bulk_requests"]
            st.c["bytes"] += len(raw)
            st.c["paths"].append(self.path)
            st.c["auth_seen"].append(self.headers.get("Authorization", "")[:6])
            if self.headers.get("Content-Encoding") == "gzip":
                st.c["gzip_requests"] += 1
        if not self.authorized():
            return None
        if a.delay_ms:
            time.sleep(a.delay_ms / 1000.0)
        if 0 <= a.stall_after < nth:
            # no answer: the client's time-out is all that ends it
            time.sleep(3600)
            self.close_connection = True
            return None
        with st.lock:
            fault = None
            if st.request_faults:
                fault = st.request_faults[0][0]
                st.request_faults[0][1] -= 1
                if st.request_faults[0][1] <= 0:
                    st.request_faults.pop(0)
                st.c["request_errors"] += 1
        if fault is not None:
            extra = None
            if a.retry_after is not None and fault in (429, 503):
                if a.retry_after_date:
                    extra = {"Retry-After": email.utils.formatdate(time.time() + a.retry_after, usegmt=True)}
                else:
                    extra = {"Retry-After": str(a.retry_after)}
            return self.send_json(fault, {"error": {"type": "scripted", "reason": "scripted HTTP %d" % fault}, "status": fault}, extra)
        if a.max_body and len(raw) > a.max_body:
            with st.lock:
                st.c["too_large"] += 1
            self.close_connection = True
            return self.send_json(413, {"error": {"type": "content_too_long_exception", "reason": "request too large"}, "status": 413})
        body = gzip.decompress(raw) if self.headers.get("Content-Encoding") == "gzip" else raw
        lines = body.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        else:
            return self.send_json(400, {"error": {"type": "illegal_argument_exception", "reason": "The bulk request must be terminated by a newline [\\n]"}, "status": 400})
        if len(lines) % 2:
            return self.send_json(400, {"error": {"type": "illegal_argument_exception", "reason": "odd number of lines"}, "status": 400})
        items = []
        errors = False
        with st.lock:
            st.c["batch_items"].append(len(lines) // 2)
            st.c["max_items"] = max(st.c["max_items"], len(lines) // 2)
            for k in range(0, len(lines), 2):
                res = self.item(lines[k], lines[k + 1])
                if "error" in next(iter(res.values())):
                    errors = True
                items.append(res)
        q = parse_qs(url.query)
        out = {"errors": errors, "items": items}
        if "filter_path" not in q:
            out = {"took": 1, "errors": errors, "items": items}
        return self.send_json(200, out)

    def item(self, action_line, source):
        """One action; called with the lock held."""
        st = self.server.state
        a = st.args
        c = st.c
        c["items"] += 1
        action = json.loads(action_line)
        op, meta = next(iter(action.items()))
        index = meta.get("_index", "")
        did = meta.get("_id")
        if "_type" in meta:
            c["typed"] += 1
        digest = hashlib.sha1(action_line + b"\n" + source).hexdigest()
        n = st.seen.get(digest, 0) + 1
        st.seen[digest] = n
        if digest in st.accepted:
            c["resent_after_success"] += 1
        if a.item_429 and int(digest[:8], 16) % a.item_429_every == 0 and n <= a.item_429:
            c["item_429"] += 1
            return {op: {"status": 429, "error": {"type": "es_rejected_execution_exception", "reason": "rejected execution (scripted)"}}}
        try:
            doc = json.loads(source)
        except ValueError:
            c["item_400"] += 1
            return {op: {"status": 400, "error": {"type": "mapper_parsing_exception", "reason": "failed to parse"}}}
        for f in a.reject_field:
            if isinstance(doc, dict) and f in doc:
                c["item_400"] += 1
                return {
                    op: {
                        "status": 400,
                        "error": {
                            "type": "mapper_parsing_exception",
                            "reason": "failed to parse field [%s] of type [float] in document with id '%s'" % (f, did),
                            "caused_by": {"type": "number_format_exception", "reason": "For input string: \"%s\"" % doc[f]},
                        },
                    }
                }
        st.accepted.add(digest)
        if did is None:
            st.auto.append((index, source))
            c["indexed"] += 1
            return {op: {"status": 201}}
        if op == "create" and (index, did) in st.docs:
            c["conflicts"] += 1
            return {op: {"status": 409, "error": {"type": "version_conflict_engine_exception", "reason": "[%s]: version conflict, document already exists" % did}}}
        created = (index, did) not in st.docs
        st.docs[(index, did)] = source
        c["indexed"] += 1
        if created:
            c["created"] += 1
        return {op: {"status": 201 if created else 200}}

    def discard(self, n):
        """Read and drop the body; answer success for every action."""
        st = self.server.state
        nl = 0
        left = n
        gz = self.headers.get("Content-Encoding") == "gzip"
        d = zlib.decompressobj(16 + zlib.MAX_WBITS) if gz else None
        buf = self.server.discard_buf.get(threading.get_ident())
        if buf is None:
            buf = self.server.discard_buf[threading.get_ident()] = bytearray(1 << 20)
        view = memoryview(buf)
        while left > 0:
            k = self.rfile.readinto(view[: min(left, len(buf))])
            if not k:
                break
            left -= k
            nl += d.decompress(view[:k]).count(b"\n") if gz else buf.count(b"\n", 0, k)
        items = nl // 2
        with st.lock:
            st.c["requests"] += 1
            st.c["bulk_requests"] += 1
            st.c["items"] += items
            st.c["indexed"] += items
            st.c["bytes"] += n
            cache = self.server.discard_cache
            body = cache.get(items)
            if body is None:
                body = b'{"errors":false,"items":[' + b",".join([b'{"index":{"status":201}}'] * items) + b"]}"
                if len(cache) < 64:
                    cache[items] = body
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--flavor", choices=sorted(FLAVORS), default="opensearch")
    p.add_argument("--discard", action="store_true", help="count and drop every document (ceiling measurement)")
    p.add_argument("--item-429", type=int, default=0, metavar="N", help="each document fails with an item 429 on its first N receipts")
    p.add_argument("--item-429-every", type=int, default=1, metavar="K", help="only about one document in K does")
    p.add_argument("--request-status", type=parse_request_status, default=[], metavar="CODE:COUNT,...", help="the first COUNT _bulk requests answer CODE, in turn")
    p.add_argument("--retry-after", type=int, default=None, metavar="SECONDS", help="scripted 429 and 503 answers say Retry-After: SECONDS")
    p.add_argument("--retry-after-date", action="store_true", help="... as an HTTP-date SECONDS from now")
    p.add_argument("--stall-after", type=int, default=-1, metavar="N", help="_bulk requests after the first N get no answer")
    p.add_argument("--max-body", type=int, default=0, metavar="BYTES", help="413 for larger request bodies")
    p.add_argument("--reject-field", action="append", default=[], metavar="FIELD", help="400 mapper_parsing_exception for documents with FIELD")
    p.add_argument("--delay-ms", type=int, default=0, help="wait before answering each _bulk")
    p.add_argument("--auth", default="", metavar="basic:USER:PASS|apikey:KEY|bearer:TOKEN")
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    a = p.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    srv.state = State(a)
    srv.discard_cache = {}
    srv.discard_buf = {}
    scheme = "http"
    if a.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls[0], a.tls[1])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        scheme = "https"
    print("fake-es: listening on %s://127.0.0.1:%d" % (scheme, srv.server_address[1]), flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
