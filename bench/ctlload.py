#!/usr/bin/env python3
"""The controllers benchmark's client: loads a synthetic catalog into
cozypkgd, times convergence, then times single changes.

  ctlload.py URL TOKEN CA RENDER_JSON PID

RENDER_JSON is `cozypkg render -o json` of the catalog: its PackageSources
and Packages (status removed) are what gets created, and its HelmRelease
count is what convergence means.  PID is cozypkgd's, for its peak RSS."""
import http.client
import json
import random
import ssl
import sys
import threading
import time
import urllib.parse

API = "/apis/cozystack.io/v1alpha1/"
HRS = "/apis/helm.toolkit.fluxcd.io/v2/helmreleases"


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


class ReadyWatch(threading.Thread):
    """Follows the Packages' watch and notes the moment every one is
    Ready: the benchmark then costs the server one event stream, not a
    list of every Package twice a second."""

    def __init__(self, url, token, ca, npkgs):
        super().__init__(daemon=True)
        c = Client(url, token, ca)
        rv = c.call("GET", API + "packages?limit=1")["metadata"]["resourceVersion"]
        self.conn = connect(url, ca)
        self.conn.request("GET", API + "packages?watch=1&resourceVersion=" + rv,
                          headers={"Authorization": "Bearer " + token})
        self.stream = self.conn.getresponse()
        self.npkgs = npkgs
        self.ready = {}
        self.done = threading.Event()
        self.finished_at = None

    def run(self):
        nready = 0
        for line in self.stream:
            ev = json.loads(line)
            o = ev["object"]
            name = o["metadata"]["name"]
            now = any(x.get("type") == "Ready" and x.get("status") == "True"
                      for x in o.get("status", {}).get("conditions", []))
            was = self.ready.get(name, False)
            self.ready[name] = now and ev["type"] != "DELETED"
            nready += int(self.ready[name]) - int(was)
            if nready == self.npkgs:
                self.finished_at = time.perf_counter()
                self.done.set()
                return


def hr_count(c):
    return len(c.call("GET", HRS)["items"])


def peak_rss_mb(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0


def latency(url, token, ca, hrs_by_pkg, rounds=60):
    """Patches one Package's values and waits for its HelmRelease to show
    them, through a watch opened beforehand."""
    c = Client(url, token, ca)
    rv = c.call("GET", HRS + "?limit=1")["metadata"]["resourceVersion"]
    w = connect(url, ca)
    w.request("GET", HRS + "?watch=1&resourceVersion=" + rv,
              headers={"Authorization": "Bearer " + token})
    stream = w.getresponse()
    names = sorted(hrs_by_pkg)
    rng = random.Random(7)
    out = []
    for i in range(rounds):
        pkg = rng.choice(names)
        comp, ns, hr = hrs_by_pkg[pkg]
        patch = {"spec": {"components": {comp: {"values": {"bench": i}}}}}
        t0 = time.perf_counter()
        c.call("PATCH", API + "packages/" + pkg, patch,
               "application/merge-patch+json")
        while True:
            ev = json.loads(stream.readline())
            o = ev["object"]
            if (o["metadata"]["name"] == hr and o["metadata"]["namespace"] == ns
                    and o["spec"].get("values", {}).get("bench") == i):
                break
        out.append((time.perf_counter() - t0) * 1000)
    out.sort()
    return out


def main():
    url, token, ca, render_path, pid = sys.argv[1:6]
    pid = int(pid)
    items = json.load(open(render_path))["items"]
    sources, packages, want = [], [], 0
    hrs_by_pkg = {}
    for o in items:
        if o["kind"] in ("PackageSource", "Package"):
            o = dict(o)
            o.pop("status", None)
            (sources if o["kind"] == "PackageSource" else packages).append(o)
        elif o["kind"] == "HelmRelease":
            want += 1
    by_name = {s["metadata"]["name"]: s for s in sources}
    for o in items:
        if o["kind"] == "HelmRelease":
            pkg = o["metadata"]["labels"]["cozystack.io/package"]
            hrs_by_pkg.setdefault(pkg, (None, o["metadata"]["namespace"],
                                        o["metadata"]["name"]))
    # The component behind each chosen HelmRelease.
    for pkg, (_, ns, hr) in list(hrs_by_pkg.items()):
        src = by_name[pkg]
        for v in src["spec"]["variants"]:
            for comp in v.get("components", []):
                inst = comp.get("install")
                if inst and inst.get("namespace") == ns and \
                        inst.get("releaseName", comp["name"]) == hr:
                    hrs_by_pkg[pkg] = (comp["name"], ns, hr)
    hrs_by_pkg = {k: v for k, v in hrs_by_pkg.items() if v[0]}
    c = Client(url, token, ca)
    t0 = time.perf_counter()
    create_all(url, token, ca, "packagesources", sources)
    print("created %d PackageSources in %.2f s" % (len(sources), time.perf_counter() - t0))
    sys.stdout.flush()
    watch = ReadyWatch(url, token, ca, len(packages))
    watch.start()
    t0 = time.perf_counter()
    create_all(url, token, ca, "packages", packages)
    created = time.perf_counter() - t0
    watch.done.wait()
    total = watch.finished_at - t0
    # Ready is written after the HelmReleases; a shortfall still counts.
    hrs = hr_count(c)
    while hrs != want:
        time.sleep(0.2)
        hrs = hr_count(c)
        total = time.perf_counter() - t0
    print("created %d Packages in %.2f s; all Ready with %d HelmReleases after %.2f s"
          % (len(packages), created, hrs, total))
    sys.stdout.flush()
    lat = latency(url, token, ca, hrs_by_pkg)
    print("one changed Package to its HelmRelease updated: p50 %.2f ms, p90 %.2f ms, max %.2f ms (%d changes)"
          % (lat[len(lat) // 2], lat[int(len(lat) * 0.9)], lat[-1], len(lat)))
    print("cozypkgd peak RSS %.1f MB" % peak_rss_mb(pid))


if __name__ == "__main__":
    main()
