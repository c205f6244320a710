#!/usr/bin/env python3
"""Load generators for cozypkgd that wrk cannot do: creating N objects
through the API, and measuring watch fan-out latency.

  apiload.py create URL TOKEN CA N CONNECTIONS
  apiload.py fanout URL TOKEN CA WATCHERS UPDATES
"""
import http.client
import json
import ssl
import sys
import threading
import time
import urllib.parse

PKGS = "/apis/cozystack.io/v1alpha1/packages"


def connect(url, ca):
    u = urllib.parse.urlparse(url)
    if u.scheme == "http":
        return http.client.HTTPConnection(u.hostname, u.port)
    ctx = ssl.create_default_context(cafile=ca)
    return http.client.HTTPSConnection(u.hostname, u.port, context=ctx)


def package(name):
    return json.dumps({"apiVersion": "cozystack.io/v1alpha1", "kind": "Package",
                       "metadata": {"name": name, "labels": {"bench": "yes"}},
                       "spec": {"variant": "default",
                                "components": {"app": {"values": {"replicas": 2}}}}})


def create(url, token, ca, n, conns):
    headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
    errors = []

    def worker(k):
        c = connect(url, ca)
        for i in range(k, n, conns):
            c.request("POST", PKGS, package("bench.p%05d" % i), headers)
            r = c.getresponse()
            r.read()
            if r.status != 201:
                errors.append(r.status)
    start = time.monotonic()
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.monotonic() - start
    if errors:
        sys.exit("create: %d errors, first %s" % (len(errors), errors[0]))
    print("create N=%d connections=%d: %.2f s (%.0f objects/s)" % (n, conns, took, n / took))


def fanout(url, token, ca, watchers, updates):
    headers = {"Authorization": "Bearer " + token}
    c = connect(url, ca)
    # Watch from the current revision (a list's), not from the object's
    # own older one, which would replay every write since.
    c.request("GET", PKGS + "?limit=1", headers=headers)
    r = c.getresponse()
    rv = json.loads(r.read())["metadata"]["resourceVersion"]
    seen = {}  # (watcher, label value) -> receive time
    ready = threading.Barrier(watchers + 1)
    lock = threading.Lock()

    def watch(w):
        wc = connect(url, ca)
        wc.request("GET", PKGS + "?watch=1&fieldSelector=metadata.name%%3Dbench.p00000"
                   "&resourceVersion=%s&timeoutSeconds=120" % rv, headers=headers)
        resp = wc.getresponse()
        ready.wait()
        got = 0
        while got < updates:
            line = resp.fp.readline()
            if not line:
                break
            if line.strip() in (b"", b"0"):
                continue
            try:
                ev = json.loads(line)
            except ValueError:
                continue  # chunk-size line
            v = ev["object"]["metadata"].get("labels", {}).get("tick")
            if v is not None:
                with lock:
                    seen[(w, v)] = time.monotonic()
                got += 1
    threads = [threading.Thread(target=watch, args=(w,), daemon=True) for w in range(watchers)]
    for t in threads:
        t.start()
    ready.wait()
    time.sleep(0.5)
    patch_headers = dict(headers)
    patch_headers["Content-Type"] = "application/merge-patch+json"
    sent = {}
    for u in range(updates):
        body = json.dumps({"metadata": {"labels": {"tick": str(u)}}})
        sent[str(u)] = time.monotonic()
        c.request("PATCH", PKGS + "/bench.p00000", body, patch_headers)
        r = c.getresponse()
        r.read()
        time.sleep(0.2)
    for t in threads:
        t.join(timeout=10)
    lat = sorted((seen[k] - sent[k[1]]) * 1000 for k in seen)
    if len(lat) < watchers * updates:
        sys.exit("fanout: %d of %d events arrived" % (len(lat), watchers * updates))
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
    print("watch fan-out %d watchers x %d updates: p50 %.1f ms, p99 %.1f ms, max %.1f ms"
          % (watchers, updates, p(0.5), p(0.99), lat[-1]))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "create":
        create(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]))
    elif cmd == "fanout":
        fanout(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]))
    else:
        sys.exit(__doc__)
