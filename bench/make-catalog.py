#!/usr/bin/env python3
"""Writes an offline catalog folder of N tiny releases for bench/api.sh.

    bench/make-catalog.py DIR N [--push]

Every release is shaped like the sample catalog's (display name, notes, metadata, hierarchy tree) and has one 64-byte
artifact, shared by all of them (each delivery still copies, hashes and fsyncs its own). With --push the releases are
pushed, so the agent delivers every one of them by itself: the supported way to put N releases on a device.
"""
import hashlib, json, os, sys

def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    push = "--push" in sys.argv
    if len(args) != 2:
        sys.exit(__doc__)
    folder, count = args[0], int(args[1])
    os.makedirs(os.path.join(folder, "files"), exist_ok=True)
    payload = b"#!/bin/sh\n# a tiny artifact for the API benchmark\nexit 0\n".ljust(64, b"#")
    with open(os.path.join(folder, "files", "tiny.bin"), "wb") as f:
        f.write(payload)
    digest = hashlib.sha256(payload).hexdigest()
    releases = []
    for i in range(1, count + 1):
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
    with open(os.path.join(folder, "catalog.json"), "w") as f:
        json.dump({"releases": releases}, f, indent=1)

if __name__ == "__main__":
    main()
