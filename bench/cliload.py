#!/usr/bin/env python3
"""The CLI benchmark's driver: loads N synthetic PackageSources into
cozypkgd, then times `cozypkg list`, `cozypkg add --dry-run` of the
12-deep chain (a plain one of 13 packages, and the synthetic catalog's
deepest package, whose closure is about a thousand), and `cozypkg dot` of
the whole graph.

  cliload.py COZYPKG URL TOKEN CA RENDER_JSON KUBECONFIG"""
import http.client
import json
import os
import ssl
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

RUNS = 7
API = "/apis/cozystack.io/v1alpha1/"


def connect(url, ca):
    u = urllib.parse.urlparse(url)
    ctx = ssl.create_default_context(cafile=ca)
    return http.client.HTTPSConnection(u.hostname, u.port, context=ctx,
                                       timeout=300)


class Client:
    def __init__(self, url, token, ca):
        self.url, self.token, self.ca = url, token, ca
        self.conn = connect(url, ca)

    def call(self, method, path, body=None, ctype="application/json"):
        headers = {"Authorization": "Bearer " + self.token}
        if body is not None:
            headers["Content-Type"] = ctype
            body = json.dumps(body)
        self.conn.request(method, path, body, headers)
        r = self.conn.getresponse()
        data = r.read()
        if r.status >= 300:
            raise SystemExit("%s %s: %d %s" % (method, path, r.status, data[:300]))
        return json.loads(data)


def create_all(url, token, ca, plural, objs, conns=8):
    def worker(k):
        c = Client(url, token, ca)
        for o in objs[k::conns]:
            c.call("POST", API + plural, o)
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def union_deps(src):
    deps = []
    for v in src["spec"].get("variants", []):
        for d in v.get("dependsOn") or []:
            if d not in deps:
                deps.append(d)
    return deps


def deepest(sources):
    """The source with the longest dependency chain, and its depth."""
    by_name = {s["metadata"]["name"]: s for s in sources}
    depth = {}

    def walk(name):
        if name not in depth:
            depth[name] = 0
            src = by_name.get(name)
            if src:
                depth[name] = max([walk(d) + 1 for d in union_deps(src)] or [0])
        return depth[name]

    for name in sorted(by_name):
        walk(name)
    name = max(sorted(by_name), key=lambda n: depth[n])
    return name, depth[name], by_name


def closure_variant_flags(root, by_name):
    flags, seen, todo = [], set(), [root]
    while todo:
        n = todo.pop()
        if n in seen or n not in by_name:
            continue
        seen.add(n)
        variants = by_name[n]["spec"]["variants"]
        if len(variants) > 1:
            flags += ["--variant", "%s=%s" % (n, variants[0]["name"])]
        todo += union_deps(by_name[n])
    return flags, len(seen)


def timed(cmd, env):
    times = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        r = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        times.append(time.perf_counter() - t0)
        if r.returncode != 0:
            raise SystemExit("%s: exit %d: %s" % (" ".join(cmd), r.returncode,
                                                   r.stderr[-500:]))
    return min(times), statistics.median(times), len(r.stdout)


def main():
    cozypkg, url, token, ca, render_json, kubeconfig = sys.argv[1:7]
    items = json.load(open(render_json))["items"]
    sources = []
    for o in items:
        if o["kind"] == "PackageSource":
            o.pop("status", None)
            sources.append(o)
    t0 = time.perf_counter()
    create_all(url, token, ca, "packagesources", sources)
    print("loaded %d PackageSources in %.1f s" % (len(sources),
                                                  time.perf_counter() - t0))
    # A plain chain of 13 packages, 12 dependencies deep, beside them.
    chain = []
    for i in range(13):
        v = {"name": "default", "components": [
            {"name": "c", "path": "chain/%02d" % i,
             "install": {"namespace": "chain-%02d" % i}}]}
        if i:
            v["dependsOn"] = ["chain.l%02d" % (i - 1)]
        chain.append({"apiVersion": "cozystack.io/v1alpha1",
                      "kind": "PackageSource",
                      "metadata": {"name": "chain.l%02d" % i},
                      "spec": {"sourceRef": {"kind": "OCIRepository",
                                             "name": "pkgs",
                                             "namespace": "cozy-system"},
                               "variants": [v]}})
    create_all(url, token, ca, "packagesources", chain, conns=1)
    root, depth, by_name = deepest(sources)
    flags, nclosure = closure_variant_flags(root, by_name)
    env = dict(os.environ, KUBECONFIG=kubeconfig)
    rows = [
        ("cozypkg list", [cozypkg, "list"], 0.300),
        ("cozypkg add --dry-run (chain.l12: 12 deep, 13 packages)",
         [cozypkg, "add", "chain.l12", "--dry-run"], 0.100),
        ("cozypkg add --dry-run (%s: %d deep, %d packages)" % (root, depth, nclosure),
         [cozypkg, "add", root, "--dry-run"] + flags, 0.100),
        ("cozypkg dot (whole graph)", [cozypkg, "dot"], 1.0),
    ]
    print("%-62s %9s %9s %9s %s" % ("command", "best", "median", "goal", "output"))
    for title, cmd, goal in rows:
        best, median, size = timed(cmd, env)
        print("%-62s %7.0f ms %7.0f ms %7.0f ms %d bytes %s" % (
            title, best * 1000, median * 1000, goal * 1000, size,
            "met" if median <= goal else "NOT met"))


main()
