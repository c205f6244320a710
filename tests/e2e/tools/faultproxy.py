#!/usr/bin/env python3
"""A loopback HTTP proxy that injects faults between a client and a server
(a registry, an API server): for tests of retries, truncation and
corruption handling.  Standard library only.

    faultproxy.py --upstream 127.0.0.1:5000 [--listen 127.0.0.1:0]
                  [--port-file FILE] [--control FILE]

It serves HTTP/1.1 on --listen (port 0 picks a free one, written to
--port-file once listening), reads each request whole, forwards it to
--upstream on a fresh connection (the Host header is kept, so absolute
Location URLs the server builds point back at the proxy), and answers the
client, unless a fault applies to the request.

Faults.  A rule is a JSON object:

    {"mode": "reset" | "500" | "429" | "truncate" | "corrupt" | "pass",
     "count": N,             # fault the next N matching requests, then pass
                             # (0 or absent: every matching request)
     "skip": K,              # let the first K matching requests pass first
     "match": "/blobs/",     # substring of the path (absent: every request)
     "method": "GET",        # only this method (absent: any)
     "retry_after": 1}       # seconds, for mode 429

  reset     read the request, then close the connection with a TCP RST
  500       answer 500 with a registry-style JSON error
  429       answer 429 TOOMANYREQUESTS with Retry-After
  truncate  forward, then send the headers (full Content-Length) and half
            of the body, then close
  corrupt   forward, then flip bytes in the body (same length)
  paginate  not a fault: serves GET .../tags/list in pages, for servers
            that ignore n= (Debian's docker-registry 2.8): the whole list
            is fetched upstream, sorted, cut after last= and to n= (or
            "page", default 10) tags; "link": false leaves out the
            Link: <...>; rel="next" header, so that only ?n=&last= paging
            works

Control.  Either
  - HTTP on the proxy's own port, under /_faultproxy/ (never forwarded):
      PUT /_faultproxy/rule    body: a rule (replaces the current one and
                               resets its counters)
      DELETE /_faultproxy/rule back to passing everything
      GET /_faultproxy/stats   {"requests": n, "faulted": n, "by_mode": {...},
                                "rule": {...}}
  - or a control file (--control FILE) holding a rule; it is read again
    whenever its modification time changes, which also resets counters.
    An empty or missing file means "pass".

The module also offers forward() for other test front ends.
"""
import argparse
import http.client
import json
import os
import socket
import struct
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te",
              "trailer", "upgrade", "proxy-connection", "content-length"}


def read_body(handler):
    """The request body, from Content-Length or chunked encoding."""
    te = handler.headers.get("Transfer-Encoding", "")
    if "chunked" in te.lower():
        parts = []
        while True:
            line = handler.rfile.readline()
            size = int(line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                break
            parts.append(handler.rfile.read(size))
            handler.rfile.readline()
        return b"".join(parts)
    n = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(n) if n else b""


def forward(upstream, method, path, headers, body, drop=()):
    """Sends the request to upstream ("host:port"); returns (status, reason,
    [(name, value)], body).  Headers named in drop (lowercase) are left
    out."""
    host, port = upstream.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    # Header by header: a repeated header (several Accept lines) must
    # reach the server as it was sent.
    conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    for name, value in headers.items():
        if name.lower() in HOP_BY_HOP or name.lower() in drop:
            continue
        conn.putheader(name, value)
    if body or method in ("POST", "PUT", "PATCH"):
        conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body if body else None)
    resp = conn.getresponse()
    data = resp.read() if method != "HEAD" else b""
    hdrs = resp.getheaders()
    conn.close()
    return resp.status, resp.reason, hdrs, data


def send(handler, status, reason, headers, body, head_length=None):
    """Writes a whole answer; Content-Length is the body's (or, for HEAD,
    the upstream's)."""
    handler.send_response_only(status, reason)
    length = None
    for name, value in headers:
        if name.lower() == "content-length":
            length = value
        if name.lower() in HOP_BY_HOP:
            continue
        handler.send_header(name, value)
    if handler.command == "HEAD":
        handler.send_header("Content-Length", head_length or length or "0")
    else:
        handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    if handler.command != "HEAD" and body:
        handler.wfile.write(body)
    handler.wfile.flush()


def reset_connection(handler):
    """Closes the client's connection with a TCP RST (SO_LINGER 0)."""
    sock = handler.connection
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                    struct.pack("ii", 1, 0))
    handler.close_connection = True
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


class State:
    def __init__(self, control):
        self.lock = threading.Lock()
        self.control = control
        self.control_mtime = None
        self.rule = {}
        self.seen = 0      # matching requests under the current rule
        self.requests = 0
        self.faulted = 0
        self.by_mode = {}

    def set_rule(self, rule):
        self.rule = rule or {}
        self.seen = 0

    def reload(self):
        if not self.control:
            return
        try:
            mtime = os.stat(self.control).st_mtime_ns
        except FileNotFoundError:
            mtime = -1
        if mtime == self.control_mtime:
            return
        self.control_mtime = mtime
        text = ""
        if mtime != -1:
            with open(self.control) as f:
                text = f.read().strip()
        self.set_rule(json.loads(text) if text else {})

    def decide(self, method, path):
        """The fault mode for this request, or None."""
        with self.lock:
            self.reload()
            self.requests += 1
            r = self.rule
            mode = r.get("mode", "pass")
            if mode == "pass":
                return None, r
            if r.get("match") and r["match"] not in path:
                return None, r
            if r.get("method") and r["method"] != method:
                return None, r
            self.seen += 1
            skip = int(r.get("skip", 0))
            count = int(r.get("count", 0))
            if self.seen <= skip:
                return None, r
            if count and self.seen > skip + count:
                return None, r
            self.faulted += 1
            self.by_mode[mode] = self.by_mode.get(mode, 0) + 1
            return mode, r


def make_handler(state, upstream):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            pass

        def control(self, body):
            if self.command == "PUT" and self.path == "/_faultproxy/rule":
                with state.lock:
                    state.set_rule(json.loads(body or b"{}"))
                return send(self, 200, "OK", [], b"{}")
            if self.command == "DELETE" and self.path == "/_faultproxy/rule":
                with state.lock:
                    state.set_rule({})
                return send(self, 200, "OK", [], b"{}")
            if self.command == "GET" and self.path == "/_faultproxy/stats":
                with state.lock:
                    out = {"requests": state.requests, "faulted": state.faulted,
                           "by_mode": state.by_mode, "rule": state.rule}
                return send(self, 200, "OK",
                            [("Content-Type", "application/json")],
                            json.dumps(out).encode())
            return send(self, 404, "Not Found", [], b"")

        def paginate(self, rule, body):
            url = urllib.parse.urlparse(self.path)
            q = urllib.parse.parse_qs(url.query)
            status, reason, headers, data = forward(
                upstream, self.command, url.path, self.headers, body)
            if status != 200:
                return send(self, status, reason, headers, data)
            doc = json.loads(data)
            tags = sorted(doc.get("tags") or [])
            if "last" in q:
                tags = [t for t in tags if t > q["last"][0]]
            n = int(q["n"][0]) if "n" in q else int(rule.get("page", 10))
            page, more = tags[:n], len(tags) > n
            out = [("Content-Type", "application/json")]
            if more and rule.get("link", True):
                nxt = "%s?n=%d&last=%s" % (url.path, n,
                                           urllib.parse.quote(page[-1]))
                out.append(("Link", '<%s>; rel="next"' % nxt))
            doc["tags"] = page
            return send(self, 200, "OK", out, json.dumps(doc).encode())

        def handle_any(self):
            body = read_body(self)
            if self.path.startswith("/_faultproxy/"):
                return self.control(body)
            mode, rule = state.decide(self.command, self.path)
            if mode == "reset":
                return reset_connection(self)
            if mode == "500":
                err = b'{"errors":[{"code":"UNKNOWN","message":"injected fault"}]}'
                return send(self, 500, "Internal Server Error",
                            [("Content-Type", "application/json")], err)
            if mode == "429":
                err = b'{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}'
                return send(self, 429, "Too Many Requests",
                            [("Content-Type", "application/json"),
                             ("Retry-After", str(rule.get("retry_after", 1)))],
                            err)
            if mode == "paginate" and "/tags/list" in self.path:
                return self.paginate(rule, body)
            try:
                status, reason, headers, data = forward(
                    upstream, self.command, self.path, self.headers, body)
            except OSError:
                return send(self, 502, "Bad Gateway", [], b"")
            if mode == "corrupt" and data:
                data = bytearray(data)
                for i in range(len(data) // 2, min(len(data), len(data) // 2 + 16)):
                    data[i] ^= 0xFF
                data = bytes(data)
            if mode == "truncate" and data and self.command != "HEAD":
                self.send_response_only(status, reason)
                for name, value in headers:
                    if name.lower() not in HOP_BY_HOP:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[:len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
                return None
            return send(self, status, reason, headers, data)

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

    return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--upstream", required=True, help="HOST:PORT")
    ap.add_argument("--listen", default="127.0.0.1:0")
    ap.add_argument("--port-file")
    ap.add_argument("--control", help="a file holding the current rule")
    args = ap.parse_args()
    host, port = args.listen.rsplit(":", 1)
    state = State(args.control)
    server = ThreadingHTTPServer((host, int(port)),
                                 make_handler(state, args.upstream))
    server.daemon_threads = True
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % server.server_address[1])
        os.rename(tmp, args.port_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
