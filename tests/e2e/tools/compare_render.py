#!/usr/bin/env python3
"""Compares what the controllers wrote to an API server with what
`cozypkg render` prints for the same input.

    compare_render.py render.json hrs.json packages.json namespaces.json

HelmReleases must match field by field (spec, labels, annotations,
ownerReferences apart from the server-assigned uid, which must be the
Package's); Packages must have the same Ready status, reason and message
and the same status.dependencies; rendered Namespaces must carry their
labels and annotation.  Prints every difference and exits 1 on any."""
import json
import sys

render = json.load(open(sys.argv[1]))["items"]
hrs = json.load(open(sys.argv[2]))["items"]
pkgs = json.load(open(sys.argv[3]))["items"]
nss = json.load(open(sys.argv[4]))["items"]
problems = []


def key(o):
    return (o["metadata"].get("namespace", ""), o["metadata"]["name"])


want_hrs = {key(o): o for o in render if o["kind"] == "HelmRelease"}
have_hrs = {key(o): o for o in hrs}
uids = {p["metadata"]["name"]: p["metadata"]["uid"] for p in pkgs}

for k in sorted(set(want_hrs) - set(have_hrs)):
    problems.append("missing HelmRelease %s/%s" % k)
for k in sorted(set(have_hrs) - set(want_hrs)):
    problems.append("unexpected HelmRelease %s/%s" % k)
for k in sorted(set(want_hrs) & set(have_hrs)):
    w, h = want_hrs[k], have_hrs[k]
    if w["spec"] != h["spec"]:
        problems.append("HelmRelease %s/%s spec differs:\n  want %s\n  have %s"
                        % (k + (json.dumps(w["spec"], sort_keys=True),
                                json.dumps(h["spec"], sort_keys=True))))
    for field in ("labels", "annotations"):
        if w["metadata"].get(field) != h["metadata"].get(field):
            problems.append("HelmRelease %s/%s %s: want %s have %s" % (
                k + (field, w["metadata"].get(field), h["metadata"].get(field))))
    refs = [dict(r) for r in h["metadata"].get("ownerReferences", [])]
    for r in refs:
        if r.pop("uid", None) != uids.get(r["name"]):
            problems.append("HelmRelease %s/%s owner uid is not the Package's" % k)
    if refs != w["metadata"]["ownerReferences"]:
        problems.append("HelmRelease %s/%s ownerReferences: want %s have %s"
                        % (k + (w["metadata"]["ownerReferences"], refs)))

have_pkgs = {p["metadata"]["name"]: p for p in pkgs}
for w in (o for o in render if o["kind"] == "Package"):
    name = w["metadata"]["name"]
    h = have_pkgs.get(name)
    if h is None:
        problems.append("missing Package %s" % name)
        continue
    wc = w["status"]["conditions"][0]
    hc = (h.get("status", {}).get("conditions") or [{}])[0]
    for f in ("type", "status", "reason", "message"):
        if wc.get(f) != hc.get(f):
            problems.append("Package %s condition %s: want %r have %r"
                            % (name, f, wc.get(f), hc.get(f)))
    if not hc.get("lastTransitionTime"):
        problems.append("Package %s condition has no lastTransitionTime" % name)
    if w["status"].get("dependencies") != h["status"].get("dependencies"):
        problems.append("Package %s dependencies: want %s have %s" % (
            name, w["status"].get("dependencies"), h["status"].get("dependencies")))

have_ns = {n["metadata"]["name"]: n for n in nss}
for w in (o for o in render if o["kind"] == "Namespace"):
    name = w["metadata"]["name"]
    h = have_ns.get(name)
    if h is None:
        problems.append("missing Namespace %s" % name)
        continue
    for field in ("labels", "annotations"):
        want = w["metadata"].get(field) or {}
        have = h["metadata"].get(field) or {}
        for k2, v in want.items():
            if have.get(k2) != v:
                problems.append("Namespace %s %s[%s]: want %r have %r"
                                % (name, field, k2, v, have.get(k2)))
    if "pod-security.kubernetes.io/enforce" in (h["metadata"].get("labels") or {}) \
            and "pod-security.kubernetes.io/enforce" not in (w["metadata"].get("labels") or {}):
        problems.append("Namespace %s is privileged but should not be" % name)

for p in problems:
    print(p)
print("%d HelmReleases, %d Packages compared, %d problems"
      % (len(want_hrs), len(have_pkgs), len(problems)))
sys.exit(1 if problems else 0)
