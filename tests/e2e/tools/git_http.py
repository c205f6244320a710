#!/usr/bin/env python3
"""Serves bare git repositories over HTTP(S) with `git http-backend`.

  git_http.py ROOT PORTFILE [--basic USER:PASS] [--bearer TOKEN]
                            [--tls CERT KEY] [--log FILE]

Listens on a free loopback port and writes it to PORTFILE once ready.
With --basic and/or --bearer every request must carry one of the accepted
Authorization headers, else 401.  Each request is logged as one line
"METHOD PATH STATUS BYTES-SENT" (to --log, default stderr).
"""

import base64
import http.server
import os
import ssl
import subprocess
import sys


def parse_args(argv):
    opts = {"basic": None, "bearer": None, "tls": None, "log": None}
    pos = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--basic":
            opts["basic"] = argv[i + 1]
            i += 2
        elif a == "--bearer":
            opts["bearer"] = argv[i + 1]
            i += 2
        elif a == "--tls":
            opts["tls"] = (argv[i + 1], argv[i + 2])
            i += 3
        elif a == "--log":
            opts["log"] = argv[i + 1]
            i += 2
        else:
            pos.append(a)
            i += 1
    if len(pos) != 2:
        sys.exit(__doc__)
    return pos[0], pos[1], opts


ROOT, PORTFILE, OPTS = parse_args(sys.argv[1:])
LOG = open(OPTS["log"], "a", buffering=1) if OPTS["log"] else sys.stderr


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def authorized(self):
        accepted = []
        if OPTS["basic"]:
            accepted.append("Basic " + base64.b64encode(OPTS["basic"].encode()).decode())
        if OPTS["bearer"]:
            accepted.append("Bearer " + OPTS["bearer"])
        if not accepted:
            return True
        return self.headers.get("Authorization", "") in accepted

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b"unauthorized\n"):
                        pass
                    return body
                body += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length", "0") or 0)
        return self.rfile.read(n) if n else b""

    def reply(self, status, headers, body):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        LOG.write("%s %s %d %d\n" % (self.command, self.path, status, len(body)))

    def handle_git(self):
        body = self.read_body()
        if not self.authorized():
            self.reply(401, [("WWW-Authenticate", 'Basic realm="git"')], b"unauthorized\n")
            return
        path, _, query = self.path.partition("?")
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": ROOT,
            "GIT_HTTP_EXPORT_ALL": "1",
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_ADDR": self.client_address[0],
            "REMOTE_USER": "git",
        }
        if self.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
        if self.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
        out = subprocess.run(["git", "http-backend"], input=body, env=env,
                             stdout=subprocess.PIPE, check=False).stdout
        head, _, payload = out.partition(b"\r\n\r\n")
        if not _:
            head, _, payload = out.partition(b"\n\n")
        status = 200
        headers = []
        for line in head.decode("latin-1").splitlines():
            k, _, v = line.partition(":")
            if k.lower() == "status":
                status = int(v.strip().split()[0])
            elif k:
                headers.append((k.strip(), v.strip()))
        self.reply(status, headers, payload)

    do_GET = handle_git
    do_POST = handle_git


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
if OPTS["tls"]:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(OPTS["tls"][0], OPTS["tls"][1])
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
server.serve_forever()
