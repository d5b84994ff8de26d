"""Build each function's third-party dependencies as a Lambda layer for arm64.

    python scripts/build_layers.py [--functions functions] [--out build/layers]

For every ``functions/<name>/requirements.txt``: installs manylinux aarch64 CPython 3.12
wheels (never source builds, never the host's platform) into
``build/layers/<name>/python/`` and writes a stamp with the requirements' digest, which
the program checks before it packages the layer. Every distribution the requirements
resolve to must be pinned with ``==`` in the requirements file, so the build is
reproducible, except the AWS SDK that the Lambda Python runtime already provides
(``RUNTIME_PROVIDED``), which never goes into a layer — not as a dependency (aws-xray-sdk
needs botocore, Powertools needs jmespath: the runtime's copies satisfy them) and not
when a requirements file pins it (such a pin is reported and left out). /opt/python comes
before the runtime's packages on sys.path, so any part of the SDK in a layer would
shadow the runtime's copy for its boto3 too: a botocore, urllib3 or s3transfer that boto3
was never released with. The built layer is checked for them before it is stamped.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
STAMP = ".requirements.sha256"
#: Shipped by the Lambda python3.12 runtime: the AWS SDK for Python (boto3) and its
#: dependency closure (boto3 -> botocore, s3transfer; botocore -> jmespath,
#: python-dateutil -> six, urllib3). Powertools needs only jmespath of these.
RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3"})
#: Top-level import names of those distributions that differ from their project names.
_IMPORT_NAMES = {"dateutil": "python-dateutil", "six.py": "six"}
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


def layer_packages(requirements: Path, installed: Mapping[str, str]) -> dict[str, str]:
    """What goes into the layer: every pinned package except the runtime's SDK.

    ``installed`` is what pip resolves the requirements to (name -> version). Every package
    of it outside the SDK family must be pinned at exactly that version; SDK packages are
    never installed, whether they come in as a dependency or are pinned themselves.
    """
    pinned = pins(requirements)
    unpinned = {
        name: version
        for name, version in installed.items()
        if name not in RUNTIME_PROVIDED and pinned.get(name) != version
    }
    if unpinned:
        listing = ", ".join(f"{name}=={version}" for name, version in sorted(unpinned.items()))
        raise SystemExit(f"{requirements}: pin every installed package for a reproducible layer; add: {listing}")
    return {name: version for name, version in pinned.items() if name not in RUNTIME_PROVIDED}


def runtime_sdk_in(site_packages: Path) -> list[str]:
    """Runtime SDK distributions (by metadata or package directory) found in a layer's python/."""
    found: set[str] = set()
    for entry in site_packages.iterdir():
        if entry.name.endswith((".dist-info", ".egg-info")):
            name = canonical(entry.name.rsplit(".", 1)[0].split("-", 1)[0])
        else:
            name = _IMPORT_NAMES.get(entry.name, canonical(entry.name))
        if name in RUNTIME_PROVIDED:
            found.add(name)
    return sorted(found)


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
    try:
        packages = layer_packages(requirements, installed)
    except SystemExit:
        shutil.rmtree(target)
        raise
    ignored = sorted(set(pins(requirements)) & RUNTIME_PROVIDED)
    if ignored:
        print(f"{requirements}: left out of the layer, the Lambda runtime provides them: {', '.join(ignored)}")
    # 2. Install exactly the layer's packages, without dependencies: the runtime SDK stays out.
    layer = [f"{name}=={version}" for name, version in sorted(packages.items())]
    subprocess.run([*pip, "--no-deps", *layer], check=True)  # noqa: S603
    for cache in target.rglob("__pycache__"):
        shutil.rmtree(cache)
    shadowing = runtime_sdk_in(target / "python")
    if shadowing:
        shutil.rmtree(target)
        raise SystemExit(f"{requirements}: the layer would shadow the runtime's SDK with {', '.join(shadowing)}")
    (target / STAMP).write_text(hashlib.sha256(requirements.read_bytes()).hexdigest() + "\n")
    skipped = sorted(set(installed) - set(packages))
    print(
        f"built {target} ({len(packages)} packages" + (f"; from the runtime: {', '.join(skipped)})" if skipped else ")")
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
