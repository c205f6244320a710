#!/usr/bin/env python3
"""Drives bench/revisions.sh: discovery, LIST and publish latency.

  revload.py URL TOKEN CA REPO_URL N PUBLISHES PID
"""

import http.client
import json
import ssl
import sys
import time
import urllib.parse

url, token, ca, repo_url = sys.argv[1:5]
n, publishes, pid = int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
u = urllib.parse.urlparse(url)
ctx = ssl.create_default_context(cafile=ca)
conn = http.client.HTTPSConnection(u.hostname, u.port, context=ctx)
PR = "/apis/pkg.pkgserver.dev/v1alpha1/namespaces/default/packagerevisions"
REPO = "/apis/config.pkg.pkgserver.dev/v1alpha1/namespaces/default/repositories"


def raw(method, path):
    conn.request(method, path, headers={"Authorization": "Bearer " + token})
    r = conn.getresponse()
    payload = r.read()
    if r.status >= 300:
        raise SystemExit("%s %s: %d" % (method, path, r.status))
    return payload


def call(method, path, body=None, ctype="application/json"):
    headers = {"Authorization": "Bearer " + token}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = ctype
    conn.request(method, path, body=data, headers=headers)
    r = conn.getresponse()
    payload = r.read()
    if r.status >= 300:
        raise SystemExit("%s %s: %d %s" % (method, path, r.status, payload[:300]))
    return json.loads(payload) if payload else None


def peak_rss_mb():
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


start = time.time()
call("POST", REPO, {"apiVersion": "config.pkg.pkgserver.dev/v1alpha1", "kind": "Repository",
                    "metadata": {"name": "bench", "namespace": "default"},
                    "spec": {"git": {"url": repo_url, "directory": "packages"}}})
while True:
    repo = call("GET", REPO + "/bench")
    conds = repo.get("status", {}).get("conditions", [])
    if conds and conds[0].get("status") == "True":
        break
    if conds and conds[0].get("reason") == "SyncFailed":
        raise SystemExit("sync failed: " + conds[0].get("message", ""))
    time.sleep(0.02)
discovery = time.time() - start
items = call("GET", PR)["items"]
print("discovery of %d tags -> %d revisions: %.2f s (goal 2 s)" % (n, len(items), discovery))

# The server's answer, read whole; parsing it is the client's cost.
lists = []
for _ in range(5):
    t = time.time()
    body = raw("GET", PR)
    lists.append(time.time() - t)
got = json.loads(body)
print("LIST of %d revisions (%.1f MB): best %.0f ms, median %.0f ms (goal 100 ms)" %
      (len(got["items"]), len(body) / 1e6, min(lists) * 1000, pct(lists, 50) * 1000))
t = time.time()
sel = json.loads(raw("GET", PR + "?fieldSelector=" + urllib.parse.quote("spec.packageRevID.package=p7")))
print("LIST with a field selector (%d of them): %.0f ms" % (len(sel["items"]), (time.time() - t) * 1000))

cycle, create, approve = [], [], []
for i in range(publishes):
    name = "catalog.bench.bench.p%d.ws%d" % (i % (n // 10), i)
    body = {"apiVersion": "pkg.pkgserver.dev/v1alpha1", "kind": "PackageRevision",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"packageRevID": {"target": "catalog", "repository": "bench", "realm": "bench",
                                      "package": "p%d" % (i % (n // 10)), "workspace": "ws%d" % i},
                     "lifecycle": "draft", "tasks": [{"type": "init"}]}}
    t0 = time.time()
    obj = call("POST", PR, body)
    t1 = time.time()
    obj["spec"]["lifecycle"] = "proposed"
    obj = call("PUT", PR + "/" + name, obj)
    obj["spec"]["lifecycle"] = "published"
    t2 = time.time()
    obj = call("PUT", PR + "/" + name + "/approval", obj)
    t3 = time.time()
    assert obj["spec"]["packageRevID"]["revision"] == "v11", obj["spec"]["packageRevID"]
    cycle.append(t3 - t0)
    create.append(t1 - t0)
    approve.append(t3 - t2)
print("create -> proposed -> published, %d revisions one at a time: p50 %.0f ms, p99 %.0f ms (goal p99 200 ms); "
      "create p50 %.0f ms, approve p50 %.0f ms" %
      (publishes, pct(cycle, 50) * 1000, pct(cycle, 99) * 1000, pct(create, 50) * 1000, pct(approve, 50) * 1000))
print("peak RSS of cozypkgd: %.0f MB" % peak_rss_mb())
