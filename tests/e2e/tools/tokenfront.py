#!/usr/bin/env python3
"""Docker token auth in front of a registry that has none: for tests of
the Bearer flow.  Standard library only.

    tokenfront.py --upstream 127.0.0.1:5000 --user USER:PASS
                  [--listen 127.0.0.1:0] [--port-file FILE]
                  [--anonymous-pull] [--redirect-blobs] [--expires-in N]

/token issues a token for the asked scopes (repository:NAME:ACTIONS) when
the Basic credentials match --user (or, for pull only, without credentials
when --anonymous-pull).  /v2/... needs "Authorization: Bearer TOKEN" whose
scopes cover the repository and action (pull for GET/HEAD, push for the
rest; a mount also needs pull on its from= repository); otherwise the
answer is 401 with a challenge
    Bearer realm="http://HOST/token",service="tokenfront",scope="..."
Accepted requests are forwarded to --upstream (tools/faultproxy.forward).

--redirect-blobs answers blob GETs with a 307 to another origin
(http://localhost:PORT/_storage/...), served by this process without any
auth check, as a registry that keeps blobs in object storage does; it
counts storage requests that still carried an Authorization header, which
a client must never send there.  GET /_tokenfront/stats reports
{"tokens": n, "token_requests": n, "denied": n, "storage": n,
 "storage_with_auth": n}.
"""
import argparse
import base64
import json
import os
import re
import secrets
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultproxy  # noqa: E402

REPO_PATH = re.compile(r"^/v2/(.+?)/(manifests|blobs|tags)/")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--user", required=True, help="USER:PASS")
    ap.add_argument("--listen", default="127.0.0.1:0")
    ap.add_argument("--port-file")
    ap.add_argument("--anonymous-pull", action="store_true")
    ap.add_argument("--redirect-blobs", action="store_true")
    ap.add_argument("--expires-in", type=int, default=300)
    args = ap.parse_args()

    lock = threading.Lock()
    tokens = {}  # token -> (set of (repo, action)), expiry
    stats = {"tokens": 0, "token_requests": 0, "denied": 0, "storage": 0,
             "storage_with_auth": 0}
    want_basic = "Basic " + base64.b64encode(args.user.encode()).decode()

    def grant(scopes, authed):
        got = set()
        for s in scopes:
            parts = s.split(":")
            if len(parts) != 3 or parts[0] != "repository":
                continue
            for action in parts[2].split(","):
                if authed or (args.anonymous_pull and action == "pull"):
                    got.add((parts[1], action))
        return got

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            pass

        def reply(self, status, body=b"", headers=()):
            faultproxy.send(self, status, None, list(headers), body)

        def token(self):
            q = urllib.parse.urlparse(self.path)
            params = urllib.parse.parse_qs(q.query)
            auth = self.headers.get("Authorization")
            with lock:
                stats["token_requests"] += 1
            if auth is not None and auth != want_basic:
                return self.reply(401, b'{"details":"bad credentials"}')
            if auth is None and not args.anonymous_pull:
                return self.reply(401, b'{"details":"credentials required"}')
            tok = secrets.token_hex(16)
            with lock:
                tokens[tok] = (grant(params.get("scope", []), auth is not None),
                               time.time() + args.expires_in)
                stats["tokens"] += 1
            body = json.dumps({"token": tok, "expires_in": args.expires_in})
            return self.reply(200, body.encode(),
                              [("Content-Type", "application/json")])

        def needed(self):
            """(repo, action) pairs this request needs, and the scope text
            for a challenge."""
            if self.path in ("/v2/", "/v2"):
                return set(), ""
            m = REPO_PATH.match(urllib.parse.urlparse(self.path).path)
            if not m:
                return {("", "deny")}, ""
            repo = m.group(1)
            action = "pull" if self.command in ("GET", "HEAD") else "push"
            need = {(repo, "pull")} if action == "pull" else {(repo, "pull"), (repo, "push")}
            scope = "repository:%s:%s" % (repo, "pull" if action == "pull" else "pull,push")
            q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
            if "mount" in q and "from" in q:
                need.add((q["from"][0], "pull"))
                scope += " repository:%s:pull" % q["from"][0]
            return need, scope

        def handle_any(self):
            body = faultproxy.read_body(self)
            path = urllib.parse.urlparse(self.path).path
            if path == "/token":
                return self.token()
            if path == "/_tokenfront/stats":
                with lock:
                    out = json.dumps(stats).encode()
                return self.reply(200, out, [("Content-Type", "application/json")])
            if path.startswith("/_storage/"):
                with lock:
                    stats["storage"] += 1
                    if self.headers.get("Authorization"):
                        stats["storage_with_auth"] += 1
                status, reason, headers, data = faultproxy.forward(
                    args.upstream, self.command, self.path[len("/_storage"):],
                    self.headers, body, drop=("authorization",))
                return faultproxy.send(self, status, reason, headers, data)
            need, scope = self.needed()
            auth = self.headers.get("Authorization", "")
            ok = False
            if auth.startswith("Bearer "):
                with lock:
                    entry = tokens.get(auth[7:])
                ok = entry is not None and entry[1] > time.time() and need <= entry[0]
            if not ok:
                with lock:
                    stats["denied"] += 1
                host = self.headers.get("Host")
                chal = 'Bearer realm="http://%s/token",service="tokenfront"' % host
                if scope:
                    chal += ',scope="%s"' % scope
                err = b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}'
                return self.reply(401, err, [("WWW-Authenticate", chal),
                                             ("Content-Type", "application/json")])
            if (args.redirect_blobs and self.command == "GET"
                    and "/blobs/sha256:" in path):
                port = self.server.server_address[1]
                loc = "http://localhost:%d/_storage%s" % (port, self.path)
                return self.reply(307, b"", [("Location", loc)])
            status, reason, headers, data = faultproxy.forward(
                args.upstream, self.command, self.path, self.headers, body,
                drop=("authorization",))
            return faultproxy.send(self, status, reason, headers, data)

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

    host, port = args.listen.rsplit(":", 1)
    server = ThreadingHTTPServer((host, int(port)), Handler)
    server.daemon_threads = True
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % server.server_address[1])
        os.rename(tmp, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
