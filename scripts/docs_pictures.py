"""Make the pictures of the docs' getting-started page from `make run`'s own command.

Usage:
    .venv/bin/python scripts/docs_pictures.py [--work /tmp/landcover-docs]

Runs ``landcover predict --sample --out WORK --report --overwrite`` (what ``make run`` runs),
then writes into ``docs/assets/``: ``sample_overlay.jpg`` and ``sample_color.png`` (the run's
overlay and colour map, 720 px a side) and ``sample_report.png`` (the run's ``index.html`` in
headless Chromium, 1280x800; needs ``/usr/bin/chromium``). Prints the run's summary table, which
the page quotes.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
ASSETS = ROOT / "docs" / "assets"
SIDE = 720  # pixels a side of the committed copies (keeps the docs' images small)
CHROMIUM = "/usr/bin/chromium"


def run_sample(work: Path) -> None:
    """``landcover predict --sample --report`` into ``work``, its output shown."""
    args = ["predict", "--sample", "--out", str(work), "--report", "--overwrite"]
    print("$ landcover", " ".join(args))
    subprocess.run([sys.executable, "-m", "landcover", *args], check=True)


def shrink(src: Path, dst: Path, **save: object) -> None:
    """Copy ``src`` to ``dst`` at most ``SIDE`` pixels a side."""
    with Image.open(src) as im:
        im.thumbnail((SIDE, SIDE), Image.Resampling.LANCZOS)
        im.save(dst, **save)
    print(f"wrote {dst.relative_to(ROOT)} ({dst.stat().st_size // 1024} KiB)")


def screenshot(page: Path, dst: Path) -> None:
    """``page`` as headless Chromium shows it in a 1280x800 window."""
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--hide-scrollbars",
            f"--screenshot={dst}",
            "--window-size=1280,800",
            "--virtual-time-budget=5000",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
    )
    print(f"wrote {dst.relative_to(ROOT)} ({dst.stat().st_size // 1024} KiB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/landcover-docs"))
    args = parser.parse_args()
    run_sample(args.work)
    ASSETS.mkdir(parents=True, exist_ok=True)
    shrink(args.work / "deepglobe_sample_overlay.jpg", ASSETS / "sample_overlay.jpg", quality=85)
    shrink(args.work / "deepglobe_sample_color.png", ASSETS / "sample_color.png", optimize=True)
    if shutil.which(CHROMIUM):
        screenshot(args.work / "index.html", ASSETS / "sample_report.png")
    else:
        print(f"no {CHROMIUM}: sample_report.png not remade (apt-get install chromium)")


if __name__ == "__main__":
    main()
