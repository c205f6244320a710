#!/usr/bin/env python3
"""Prints the objects of kubectl's JSON lists, one canonical line each,
without what two servers may legitimately assign differently: uid,
resourceVersion, timestamps, managedFields, generation counters of
metadata, and owner uids.

  normalize_objects.py LIST.json..."""
import json
import sys

DROP_META = ("uid", "resourceVersion", "creationTimestamp", "managedFields")


def clean(obj):
    meta = obj.get("metadata", {})
    for k in DROP_META:
        meta.pop(k, None)
    for ref in meta.get("ownerReferences", []):
        ref.pop("uid", None)
    for cond in obj.get("status", {}).get("conditions", []) or []:
        cond.pop("lastTransitionTime", None)
    return obj


for path in sys.argv[1:]:
    items = json.load(open(path))["items"]
    for o in sorted(items, key=lambda o: (o.get("kind", ""),
                                          o["metadata"].get("namespace", ""),
                                          o["metadata"]["name"])):
        print(json.dumps(clean(o), sort_keys=True))
