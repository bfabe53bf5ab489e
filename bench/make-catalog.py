#!/usr/bin/env python3
"""Writes an offline catalog folder of N tiny releases for bench/api.sh.

    bench/make-catalog.py DIR N [--push] [--first=K]

Releases K..N (K is 1 unless given) are written; release i always has the same id, so catalogs of different ranges
describe the same releases. Every release is shaped like the sample catalog's (display name, notes, metadata, hierarchy tree) and has one 64-byte
artifact, shared by all of them (each delivery still copies, hashes and fsyncs its own). With --push the releases are
pushed, so the agent delivers every one of them by itself: the supported way to put N releases on a device.
"""
import hashlib, json, os, sys

def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    push = "--push" in sys.argv
    first = next((int(a.split("=", 1)[1]) for a in sys.argv[1:] if a.startswith("--first=")), 1)
    if len(args) != 2:
        sys.exit(__doc__)
    folder, count = args[0], int(args[1])
    os.makedirs(os.path.join(folder, "files"), exist_ok=True)
    payload = b"#!/bin/sh\n# a tiny artifact for the API benchmark\nexit 0\n".ljust(64, b"#")
    with open(os.path.join(folder, "files", "tiny.bin"), "wb") as f:
        f.write(payload)
    digest = hashlib.sha256(payload).hexdigest()
    releases = []
    for i in range(first, count + 1):
        rid = f"{i}.bench-app-{i}@1.0.{i % 97}"
        releases.append({
            "release": {
                "id": rid, "version": f"1.0.{i % 97}", "projectId": i, "projectName": f"bench-app-{i}",
                "displayName": f"Bench app {i}", "label": None, "status": "released", "type": "product", "latest": True,
                "releaseNotes": f"Release {i} of the API benchmark's catalog.",
                "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-02T00:00:00.000Z",
                "releasedAt": "2026-01-02T00:00:00.000Z", "size": len(payload),
                "metadata": {"autoDeploy": False}, "policies": [],
            },
            "isPush": push,
            "dependedOnBy": [],
            "hierarchyTrees": [{"deviceTypes": [{"deviceTypeId": 1, "deviceTypeName": "bench-device", "projectId": i,
                                                 "projectName": f"bench-app-{i}", "projectDisplayName": f"Bench app {i}",
                                                 "projectLabel": None}]}],
            "artifacts": [{"itemKey": f"{rid}@tiny.bin", "artifactType": "software", "url": "files/tiny.bin",
                           "size": len(payload), "hash": {"algorithm": "SHA256Hex", "hash": digest}}],
        })
    # Written aside and renamed, so an agent reading the folder never sees half a catalog.
    with open(os.path.join(folder, "catalog.json.tmp"), "w") as f:
        json.dump({"releases": releases}, f, indent=1)
    os.replace(os.path.join(folder, "catalog.json.tmp"), os.path.join(folder, "catalog.json"))

if __name__ == "__main__":
    main()
