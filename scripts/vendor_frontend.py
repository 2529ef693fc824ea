"""Fetch the browser view's one front-end library from the npm registry into the package (run when upgrading).

The page loads nothing from a CDN: cytoscape is shipped in src/cxgraph/faces/static/vendor/, with its license.
    python scripts/vendor_frontend.py
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import urllib.request
from pathlib import Path

PACKAGE, VERSION = "cytoscape", "3.35.0"
TARBALL_SHA256 = "058a81a7534777ea68dc737e9b77bd5b701e00acd9bee246245a576eeeac32e6"
TARGET = Path(__file__).resolve().parent.parent / "src" / "cxgraph" / "faces" / "static" / "vendor"


def main() -> None:
    meta = json.load(urllib.request.urlopen(f"https://registry.npmjs.org/{PACKAGE}/{VERSION}"))
    data = urllib.request.urlopen(meta["dist"]["tarball"]).read()
    digest = hashlib.sha256(data).hexdigest()
    if digest != TARBALL_SHA256:
        raise SystemExit(f"{PACKAGE} {VERSION}: tarball sha256 {digest}, expected {TARBALL_SHA256}")
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for member, name in (("package/dist/cytoscape.min.js", f"cytoscape-{VERSION}.min.js"),
                             ("package/LICENSE", "LICENSE-cytoscape")):
            source = tar.extractfile(member)
            assert source is not None
            (TARGET / name).write_bytes(source.read())
    print(f"{PACKAGE} {VERSION} written to {TARGET}")


if __name__ == "__main__":
    main()
