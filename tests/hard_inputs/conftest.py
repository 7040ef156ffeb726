"""Generators of bad and odd input files for the hard-input tests (issue 7), made by code.

Each ``make_*`` function writes one file at the path it is given and returns that path, so a
test shows in one line which kind of damage it feeds to a command. Fixtures build the tiny
models: a width-4 seed U-Net checkpoint (DeepGlobe, 32-px tiles), its ONNX export, the same
network labelled with the Dubai schema, and an ONNX file without our metadata.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from PIL import Image

from landcover.cli import main
from landcover.models.meta import ModelMeta
from landcover.schema import DEEPGLOBE, DUBAI, ClassSchema

K = DEEPGLOBE.num_classes
SIZE = 32


def rgb(height: int = SIZE, width: int = SIZE, seed: int = 0) -> np.ndarray:
    """A random ``(H, W, 3)`` uint8 image."""
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def labels(height: int = SIZE, width: int = SIZE, num_classes: int = K) -> np.ndarray:
    """A ``(H, W)`` label map: column ``x`` holds class ``x % num_classes``."""
    return np.broadcast_to(np.arange(width) % num_classes, (height, width)).astype(np.uint8)


def make_image(path: Path, height: int = SIZE, width: int = SIZE, seed: int = 0) -> Path:
    """A valid RGB image (JPEG or PNG by suffix)."""
    Image.fromarray(rgb(height, width, seed)).save(path)
    return path


def make_mask(
    path: Path, height: int = SIZE, width: int = SIZE, schema: ClassSchema = DEEPGLOBE
) -> Path:
    """A valid RGB mask PNG in ``schema``'s colours."""
    Image.fromarray(schema.decode(labels(height, width, schema.num_classes))).save(path)
    return path


def make_pair(folder: Path, name: str, height: int = SIZE, width: int = SIZE) -> Path:
    """``<name>_sat.png`` + ``<name>_mask.png`` in ``folder``; returns the image."""
    folder.mkdir(parents=True, exist_ok=True)
    make_mask(folder / f"{name}_mask.png", height, width)
    return make_image(folder / f"{name}_sat.png", height, width)


def make_zero_byte(path: Path) -> Path:
    """An empty file."""
    path.write_bytes(b"")
    return path


def make_truncated(path: Path) -> Path:
    """A JPEG or PNG (by suffix) cut to half its bytes."""
    make_image(path, 64, 64)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def make_text(path: Path) -> Path:
    """A text file, whatever its suffix says."""
    path.write_text("this is not an image\n")
    return path


def make_folder(path: Path) -> Path:
    """A folder named like an image (e.g. ``x.jpg``)."""
    path.mkdir()
    return path


def make_geotiff(path: Path, data: np.ndarray, nodata: float | None = None) -> Path:
    """Write ``(C, H, W)`` ``data`` as a GeoTIFF in UTM with 2 m pixels."""
    import rasterio
    from rasterio import Affine

    profile: dict[str, Any] = {
        "driver": "GTiff",
        "width": data.shape[2],
        "height": data.shape[1],
        "count": data.shape[0],
        "dtype": str(data.dtype),
        "crs": "EPSG:32633",
        "transform": Affine(2.0, 0.0, 500000.0, 0.0, -2.0, 4000000.0),
    }
    if nodata is not None:
        profile["nodata"] = nodata
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
    return path


def make_bands(path: Path, count: int, dtype: str = "uint8") -> Path:
    """A GeoTIFF with ``count`` bands; band ``b`` (1-based) is filled with ``10 * b``."""
    data = np.stack([np.full((SIZE, SIZE), 10 * b) for b in range(1, count + 1)]).astype(dtype)
    data += np.random.default_rng(0).integers(0, 5, data.shape).astype(dtype)
    return make_geotiff(path, data)


def make_uint16(path: Path) -> Path:
    """A 3-band uint16 GeoTIFF with values up to 10000."""
    data = np.random.default_rng(0).integers(0, 10_000, (3, SIZE, SIZE)).astype(np.uint16)
    return make_geotiff(path, data)


def make_float_nodata(path: Path) -> Path:
    """A 3-band float32 GeoTIFF, nodata -9999 in rows 0-3 and NaN in rows 4-5."""
    data = np.random.default_rng(0).random((3, SIZE, SIZE)).astype(np.float32)
    data[:, :4] = -9999.0
    data[:, 4:6] = np.nan
    return make_geotiff(path, data, nodata=-9999.0)


def make_mode_png(path: Path, mode: str) -> Path:
    """A PNG in Pillow ``mode`` (``L``, ``RGBA``, ``P``)."""
    Image.fromarray(rgb()).convert(mode).save(path)
    return path


def make_off_palette_mask(path: Path) -> Path:
    """A DeepGlobe mask with 3 pure red pixels (off the palette)."""
    mask = DEEPGLOBE.decode(labels())
    mask[0, :3] = (255, 0, 0)
    Image.fromarray(mask).save(path)
    return path


def make_all_ignore_mask(path: Path, height: int = SIZE, width: int = SIZE) -> Path:
    """A DeepGlobe mask that is all ``unknown`` (black)."""
    Image.fromarray(np.zeros((height, width, 3), np.uint8)).save(path)
    return path


def make_corrupted_checkpoint(path: Path) -> Path:
    """Bytes that start like a pickle and then break."""
    path.write_bytes(b"\x80\x04garbage that is not a checkpoint")
    return path


def deny_open(monkeypatch: pytest.MonkeyPatch, target: Path) -> None:
    """Make opening ``target`` fail with ``PermissionError``, as for a file mode 000.

    We run as root, who reads everything; ``chmod 0`` is used too, for other users. Pillow,
    rasterio and :func:`landcover.io.pictures.check_file` all start with ``open``/``os.open``
    for a plain user, so the refusal is simulated in :func:`landcover.io.pictures.check_file`.
    """
    from landcover.io import pictures

    target.chmod(0)
    if os.geteuid() == 0:
        real_open = open

        def fake_open(path: Any, *args: Any, **kwargs: Any) -> Any:
            if Path(path) == target:
                raise PermissionError(13, "Permission denied", str(path))
            return real_open(path, *args, **kwargs)

        monkeypatch.setattr(pictures, "open", fake_open, raising=False)


def deny_write(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """Make ``folder`` refuse new files, as a read-only folder does for a plain user.

    Root ignores folder permissions, so the refusal is simulated at ``os.access`` and at the
    two ways our code creates files there (``tempfile.mkstemp`` and ``Path.write_bytes``).
    """
    import tempfile

    folder.chmod(0o500)
    if os.geteuid() != 0:
        return
    real_access, real_mkstemp = os.access, tempfile.mkstemp
    real_write_bytes = Path.write_bytes

    def inside(p: Any) -> bool:
        return Path(p).resolve() == folder.resolve()

    def access(path: Any, mode: int, *args: Any, **kwargs: Any) -> bool:
        if inside(path) and mode & os.W_OK:
            return False
        return real_access(path, mode, *args, **kwargs)

    def mkstemp(*args: Any, dir: Any = None, **kwargs: Any) -> Any:
        if dir is not None and inside(dir):
            raise PermissionError(13, "Permission denied", str(dir))
        return real_mkstemp(*args, dir=dir, **kwargs)

    def write_bytes(self: Path, data: bytes) -> int:
        if inside(self.parent):
            raise PermissionError(13, "Permission denied", str(self))
        return real_write_bytes(self, data)

    monkeypatch.setattr(os, "access", access)
    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    monkeypatch.setattr(Path, "write_bytes", write_bytes)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture) -> Callable[..., tuple[int, str, str]]:
    """Run ``landcover -q ARGS...``; returns ``(exit code, stdout, stderr)``."""

    def run(*args: str | Path) -> tuple[int, str, str]:
        code = main(["-q", *map(str, args)])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def one_line_error(err: str, command: str, *needles: str | Path) -> str:
    """Assert ``err`` is one line ``landcover COMMAND: error: ...`` holding every needle."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith(f"landcover {command}: error: "), err
    assert "Traceback" not in err
    for n in needles:
        assert str(n) in lines[0], (n, err)
    return lines[0]


META = ModelMeta(arch="seed-unet", schema=DEEPGLOBE, arch_kwargs={"width": 4}, tile_size=SIZE)


def save_tiny(path: Path, schema: ClassSchema = DEEPGLOBE) -> Path:
    """A width-4 seed U-Net with random weights saved with ``schema`` in its metadata."""
    from landcover.models.checkpoint import save_weights
    from landcover.models.registry import create_model

    meta = ModelMeta(arch="seed-unet", schema=schema, arch_kwargs={"width": 4}, tile_size=SIZE)
    save_weights(path, create_model("seed-unet", schema.num_classes, width=4), meta)
    return path


@pytest.fixture(scope="session")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Tiny models: ``ckpt``, ``onnx``, ``dubai_ckpt``, ``dubai_onnx``, ``bare_onnx``."""
    pytest.importorskip("torch")
    import onnx

    from landcover.export.onnx_export import export_onnx
    from landcover.models.checkpoint import load_checkpoint

    folder = tmp_path_factory.mktemp("models")
    ckpt = save_tiny(folder / "tiny.pt")
    dubai_ckpt = save_tiny(folder / "dubai.pt", DUBAI)
    paths = {"ckpt": ckpt, "dubai_ckpt": dubai_ckpt}
    for key, src in (("onnx", ckpt), ("dubai_onnx", dubai_ckpt)):
        model, meta = load_checkpoint(src)
        paths[key] = export_onnx(model, meta, src.with_suffix(".onnx"))
    proto = onnx.load(str(paths["onnx"]))
    del proto.metadata_props[:]
    paths["bare_onnx"] = folder / "bare.onnx"
    onnx.save(proto, str(paths["bare_onnx"]))
    return paths


# Several test folders have a conftest.py, so tests reach these helpers through fixtures
# rather than ``from conftest import ...`` (which would pick whichever was imported first).


@pytest.fixture
def make() -> SimpleNamespace:
    """The file generators above, without their ``make_`` prefix (``make.truncated(path)``)."""
    found = {n[len("make_") :]: f for n, f in globals().items() if n.startswith("make_")}
    return SimpleNamespace(**found)


@pytest.fixture
def deny(monkeypatch: pytest.MonkeyPatch) -> Iterator[SimpleNamespace]:
    """``deny.open(file)`` and ``deny.write(folder)``: permission refusals, undone after."""
    touched: list[Path] = []

    def track(fn: Callable[[pytest.MonkeyPatch, Path], None]) -> Callable[[Path], None]:
        def apply(p: Path) -> None:
            touched.append(p)
            fn(monkeypatch, p)

        return apply

    yield SimpleNamespace(open=track(deny_open), write=track(deny_write))
    for p in touched:
        p.chmod(0o700 if p.is_dir() else 0o600)


@pytest.fixture
def expect_error() -> Callable[..., str]:
    """:func:`one_line_error`."""
    return one_line_error
