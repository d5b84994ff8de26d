"""Build each function's third-party dependencies as a Lambda layer for arm64.

    python scripts/build_layers.py [--functions functions] [--out build/layers]

For every ``functions/<name>/requirements.txt``: installs manylinux aarch64 CPython 3.12
wheels (never source builds, never the host's platform) into
``build/layers/<name>/python/`` and writes a stamp with the requirements' digest, which
the program checks before it packages the layer. Every distribution the requirements
resolve to must be pinned with ``==`` in the requirements file, so the build is
reproducible, except the AWS SDK that the Lambda Python runtime already provides
(``RUNTIME_PROVIDED``): a dependency on it (aws-xray-sdk needs botocore) is satisfied by
the runtime's copy and left out of the layer, because a second botocore in /opt/python
would shadow the runtime's and could mismatch its boto3.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
STAMP = ".requirements.sha256"
#: Shipped by the Lambda python3.12 runtime (boto3 and its dependency closure).
RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3"})
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;#]+)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(requirements: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for number, raw in enumerate(requirements.read_text().splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = PIN.match(line)
        if match is None:
            raise SystemExit(f"{requirements}:{number}: pin an exact version (name==version), got {line!r}")
        found[canonical(match.group(1))] = match.group(3)
    return found


def build(function_dir: Path, out: Path) -> None:
    requirements = function_dir / "requirements.txt"
    target = out / function_dir.name
    shutil.rmtree(target, ignore_errors=True)
    report = target / "install-report.json"
    target.mkdir(parents=True)
    pip = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        # Lambda's python3.12 runtime is Amazon Linux 2023 (glibc 2.34): manylinux_2_28 wheels
        # (Pillow >= 12.3 publishes no others for aarch64) run there as well as manylinux2014 ones.
        "--platform", "manylinux2014_aarch64", "--platform", "manylinux_2_28_aarch64",
        "--implementation", "cp", "--python-version", "3.12",
        "--only-binary=:all:", "--target", str(target / "python"),
    ]  # fmt: skip
    # 1. Resolve the full dependency closure (nothing installed) and check every pin.
    subprocess.run([*pip, "--dry-run", "--report", str(report), "-r", str(requirements)], check=True)  # noqa: S603
    installed = {
        canonical(item["metadata"]["name"]): item["metadata"]["version"]
        for item in json.loads(report.read_text())["install"]
    }
    report.unlink()
    pinned = pins(requirements)
    unpinned = {
        name: version
        for name, version in installed.items()
        if pinned.get(name) != version and not (name in RUNTIME_PROVIDED and name not in pinned)
    }
    if unpinned:
        shutil.rmtree(target)
        listing = ", ".join(f"{name}=={version}" for name, version in sorted(unpinned.items()))
        raise SystemExit(f"{requirements}: pin every installed package for a reproducible layer; add: {listing}")
    # 2. Install exactly the pinned set: the runtime-provided SDK stays out of the layer.
    subprocess.run([*pip, "--no-deps", "-r", str(requirements)], check=True)  # noqa: S603
    for cache in target.rglob("__pycache__"):
        shutil.rmtree(cache)
    (target / STAMP).write_text(hashlib.sha256(requirements.read_bytes()).hexdigest() + "\n")
    skipped = sorted(set(installed) - set(pinned))
    print(
        f"built {target} ({len(pinned)} packages" + (f"; from the runtime: {', '.join(skipped)})" if skipped else ")")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--functions", type=Path, default=REPO / "functions")
    parser.add_argument("--out", type=Path, default=REPO / "build" / "layers")
    options = parser.parse_args()
    for requirements in sorted(options.functions.glob("*/requirements.txt")):
        build(requirements.parent, options.out)


if __name__ == "__main__":
    main()
