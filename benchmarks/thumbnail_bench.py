"""Renditions per second for a 12-megapixel JPEG: the thumbnailer's pipeline vs sharp (libvips).

    python benchmarks/thumbnail_bench.py [--iterations 5]

Both sides get the same JPEG bytes and do the same work per upload: auto-orient, centre
cover crop, square 1200/600/300/150 WebP at quality 80, no metadata. Each side runs in a
fresh process on one core (sharp.concurrency(1)); peak memory is the process's peak RSS.
sharp comes from ``benchmarks/node`` (``npm install`` there; its package.json pins it).
Figures to watch, never a pass/fail test.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
NODE_DIR = ROOT / "benchmarks" / "node"
SIZES = (150, 300, 600, 1200)

PYTHON_SIDE = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from functions.thumbnailer.imaging import render
data = open({image!r}, "rb").read()
start = time.perf_counter()
for _ in range({iterations}):
    render(data, sizes={sizes!r}, fmt="webp", quality=80, max_pixels=50_000_000)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"seconds": seconds, "renditions": {iterations} * {count}, "peakRssMiB": peak}}))
"""


def make_photo(path: Path) -> None:
    """4000x3000 (12 MP) camera-like JPEG: gradients plus noise, quality 90, EXIF orientation 6."""
    width, height = 4000, 3000
    gradient = Image.linear_gradient("L").resize((width, height))
    noise = Image.effect_noise((width, height), 40)
    photo = Image.merge("RGB", (gradient, noise, gradient.rotate(180)))
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=90, exif=exif)
    path.write_bytes(buffer.getvalue())


def run_python(image: Path, iterations: int) -> dict[str, float]:
    code = PYTHON_SIDE.format(root=str(ROOT), image=str(image), iterations=iterations, sizes=SIZES, count=len(SIZES))
    output = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    result: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return result


def run_sharp(image: Path, iterations: int) -> dict[str, float] | str:
    node = shutil.which("node")
    if node is None:
        return "node is not installed"
    if not (NODE_DIR / "node_modules" / "sharp").is_dir():
        return f"sharp is not installed: run `npm install` in {NODE_DIR}"
    completed = subprocess.run(
        [node, str(NODE_DIR / "sharp_bench.js"), str(image), str(iterations)],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        return (
            f"sharp failed: {completed.stderr.strip().splitlines()[-1] if completed.stderr else completed.returncode}"
        )
    result: dict[str, float] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--iterations", type=int, default=5, help="uploads processed per side (4 renditions each)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        image = Path(tmp) / "photo-12mp.jpg"
        make_photo(image)
        python = run_python(image, options.iterations)
        sharp = run_sharp(image, options.iterations)
    print(f"input: 4000x3000 JPEG (12 MP), {options.iterations} uploads x {len(SIZES)} renditions, one core\n")
    print(f"{'':28}{'renditions/s':>14}{'peak RSS (MiB)':>17}")
    python_rate = python["renditions"] / python["seconds"]
    print(f"{'thumbnailer (Pillow 13)':28}{python_rate:>14.1f}{python['peakRssMiB']:>17.1f}")
    if isinstance(sharp, str):
        print(f"{'sharp':28}  unavailable: {sharp}")
        return
    sharp_rate = sharp["renditions"] / sharp["seconds"]
    print(f"{'sharp 0.35.5 (libvips)':28}{sharp_rate:>14.1f}{sharp['peakRssMiB']:>17.1f}")
    print(
        f"{'ratio thumbnailer / sharp':28}{python_rate / sharp_rate:>14.2f}{python['peakRssMiB'] / sharp['peakRssMiB']:>17.2f}"
    )


if __name__ == "__main__":
    main()
