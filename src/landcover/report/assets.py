"""The files a report page loads beside it, in ``report_assets/``: the bundled script and styles
(copied from the package's ``static/``, built from ``web/`` by ``make web``) and data files.

Data goes into ``.js`` files that assign or call a global (``window.LANDCOVER_REPORT = {...}``),
never into JSON read with ``fetch()``: browsers refuse ``fetch()`` on ``file://`` pages, and a
report must open by double-click with no server.
"""

from __future__ import annotations

import base64
import json
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from landcover.errors import LandcoverIOError
from landcover.io.atomic import atomic_write_bytes, write_text_atomic

ASSETS_DIR = "report_assets"
STATIC_FILES = ("report.js", "report.css", "LICENSE-openlayers.txt")


def static_dir() -> Path:
    """The package folder holding the built script and styles."""
    return Path(__file__).parent / "static"


def copy_static(out_dir: Path) -> Path:
    """Copy the script, styles and licence into ``out_dir/report_assets/``; returns that folder.

    Raises:
        LandcoverIOError: when a built file is missing from the package (rebuild: ``make web``)
            or the folder cannot be written.
    """
    assets = out_dir / ASSETS_DIR
    try:
        assets.mkdir(exist_ok=True)
    except OSError as e:
        raise LandcoverIOError(f"cannot create the assets folder ({e.strerror})", assets) from e
    for name in STATIC_FILES:
        src = static_dir() / name
        if not src.is_file():
            raise LandcoverIOError("report asset missing from the package; run 'make web'", src)
        atomic_write_bytes(assets / name, src.read_bytes())
    return assets


def encode_raster(values: np.ndarray) -> dict[str, Any]:
    """A ``(h, w)`` uint8 array as ``{"width", "height", "encoding": "zlib", "data": base64}``."""
    data = np.ascontiguousarray(values, dtype=np.uint8)
    packed = zlib.compress(data.tobytes(), 6)
    return {
        "width": int(data.shape[1]),
        "height": int(data.shape[0]),
        "encoding": "zlib",
        "data": base64.b64encode(packed).decode("ascii"),
    }


def to_json(value: Any) -> str:
    """Compact JSON (no NaN) that is also a valid JavaScript expression."""
    return json.dumps(value, separators=(",", ":"), allow_nan=False, ensure_ascii=False)


def write_js_assignment(path: Path, name: str, value: Any) -> Path:
    """Write ``window.<name> = <value as JSON>;`` to ``path``, atomically."""
    write_text_atomic(path, f"window.{name} = {to_json(value)};\n")
    return path


def write_js_call(path: Path, function: str, *args: Any) -> Path:
    """Write ``window.<function>(<args as JSON>);`` to ``path``, atomically."""
    joined = ", ".join(to_json(a) for a in args)
    write_text_atomic(path, f"window.{function}({joined});\n")
    return path
