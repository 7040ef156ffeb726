"""Index masks (pixel value = class index) in ``check``, ``stats``, training and evaluation.

Issue 16, item 7. Every dataset is written here by code: JPEG/PNG images and single-band masks
whose class layout is known exactly (:func:`tests.helpers.label_grid`), so pixel counts and
labels are asserted exactly.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from landcover.cli import main
from landcover.data.check import check_dataset, format_report
from landcover.data.pairs import find_pairs
from landcover.data.stats import compute_stats
from landcover.errors import LandcoverError
from landcover.io.masks import MaskFormatError, read_mask_labels
from landcover.schema import DEEPGLOBE, ClassSchema
from tests.helpers import label_grid, write_image

pytestmark = pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")

SCHEMA_YAML = """\
name: tiny-index
mask_format: index
ignore: void
ignore_value: 255
classes: [other, built, green, water, void]
"""
K = 5


def index_schema(tmp_path: Path) -> tuple[Path, ClassSchema]:
    """A 5-class index schema (``void`` ignored, mask value 255 ignored) as a YAML file."""
    from landcover.schema import get_schema

    path = tmp_path / "tiny-index.yaml"
    path.write_text(SCHEMA_YAML, encoding="utf-8")
    return path, get_schema(path)


def index_values(i: int, size: int = 32) -> np.ndarray:
    """Mask ``i``: :func:`label_grid` over the 5 classes, row 0 set to the ignore value 255."""
    values = label_grid(size, K, offset=i)
    values[0] = 255
    return values


def expected_labels(values: np.ndarray) -> np.ndarray:
    """Labels the index schema gives ``values``: 255 and any value >= 5 become void (4)."""
    return np.where(values < K, values, 4).astype(np.uint8)


def write_index_dataset(root: Path, n: int = 3, size: int = 32) -> list[np.ndarray]:
    """``tile<i>_sat.jpg`` + ``tile<i>_mask.png`` (mode L); returns the masks' values."""
    root.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        write_image(root / f"tile{i}_sat.jpg", size, size, seed=i)
        values = index_values(i, size)
        Image.fromarray(values, "L").save(root / f"tile{i}_mask.png")
        out.append(values)
    return out


def write_tif(path: Path, bands: np.ndarray) -> Path:
    """A GeoTIFF of ``bands`` ``(C, H, W)``, without georeferencing."""
    import rasterio

    c, h, w = bands.shape
    with rasterio.open(
        path, "w", driver="GTiff", width=w, height=h, count=c, dtype=bands.dtype
    ) as dst:
        dst.write(bands)
    return path


def palette_png(path: Path, values: np.ndarray) -> Path:
    """Mode ``P``: indices ``values``, palette colour of index ``k`` = DeepGlobe colour of
    class ``6 - k`` (so converting to RGB would give other classes)."""
    im = Image.fromarray(values, "P")
    colors = DEEPGLOBE.palette[::-1].reshape(-1).tolist()
    im.putpalette(colors + [0] * (768 - len(colors)))
    im.save(path)
    return path


# --- reading ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["L", "P", "I;16", "tif", "tif16", "grey_rgb", "LA"])
def test_read_index_mask_modes_gives_exact_labels(tmp_path: Path, kind: str) -> None:
    _, schema = index_schema(tmp_path)
    values = index_values(1, 16)
    values[1, :3] = [7, 9, 9]  # no class: ignored and counted
    path = tmp_path / ("m.tif" if kind.startswith("tif") else "m.png")
    if kind == "L":
        Image.fromarray(values, "L").save(path)
    elif kind == "P":
        palette_png(path, values)
    elif kind == "I;16":
        Image.fromarray(values.astype(np.uint16)).save(path)
        assert Image.open(path).mode in ("I;16", "I")  # older Pillows widen 16-bit PNGs to I
    elif kind == "tif":
        write_tif(path, values[None])
    elif kind == "tif16":
        write_tif(path, values[None].astype(np.uint16))
    elif kind == "grey_rgb":
        Image.fromarray(np.repeat(values[..., None], 3, axis=2)).save(path)
    else:
        Image.fromarray(np.stack([values, np.full_like(values, 255)], axis=2), "LA").save(path)
    enc = read_mask_labels(path, schema)
    assert enc.labels.tolist() == expected_labels(values).tolist()
    assert (enc.off_palette, enc.off_values, enc.warning) == (3, {7: 1, 9: 2}, "")


def test_colour_mask_under_index_schema_is_an_error_naming_the_file(tmp_path: Path) -> None:
    _, schema = index_schema(tmp_path)
    path = tmp_path / "colour_mask.png"
    Image.fromarray(DEEPGLOBE.decode(label_grid(8))).save(path)
    with pytest.raises(MaskFormatError, match="colour mask, but schema 'tiny-index'") as e:
        read_mask_labels(path, schema)
    assert str(e.value).startswith(f"{path}: ")
    assert isinstance(e.value, LandcoverError) and isinstance(e.value, ValueError)


def test_greyscale_mask_under_rgb_schema_warns_naming_the_file(tmp_path: Path, caplog) -> None:
    path = tmp_path / "grey_mask.png"
    Image.fromarray(label_grid(8), "L").save(path)
    with caplog.at_level(logging.WARNING):
        enc = read_mask_labels(path, DEEPGLOBE)
    assert "single-channel mask" in enc.warning
    assert f"{path}: single-channel mask: class indices?" in caplog.text


# --- check -----------------------------------------------------------------------------------


def test_check_warns_on_greyscale_masks_under_deepglobe(tmp_path: Path, capsys) -> None:
    root = tmp_path / "d"
    write_index_dataset(root, n=2)
    report = check_dataset(root, DEEPGLOBE)
    single = [f for f in report.warnings if f.kind == "single_channel"]
    assert [f.path.name for f in single] == ["tile0_mask.png", "tile1_mask.png"]
    assert single[0].problem.startswith("single-channel mask: class indices?")
    assert "mask_format: index" in single[0].problem
    assert "tile0_mask.png: single-channel mask: class indices?" in format_report(report)
    assert main(["check", str(root), "--json"]) == 0
    warnings = json.loads(capsys.readouterr().out)["warnings"]
    assert {"file": "tile1_mask.png", "kind": "single_channel"}.items() <= warnings[1].items()


def test_check_valid_index_dataset_reports_nothing(tmp_path: Path, capsys) -> None:
    schema_path, schema = index_schema(tmp_path)
    root = tmp_path / "d"
    write_index_dataset(root)
    report = check_dataset(root, schema)
    assert (report.ok, report.pairs, report.findings) == (True, 3, [])
    assert main(["check", str(root), "--schema", str(schema_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"pairs": 3, "errors": [], "warnings": []}


def test_check_index_dataset_unknown_values_and_colour_masks(tmp_path: Path) -> None:
    _, schema = index_schema(tmp_path)
    root = tmp_path / "d"
    write_index_dataset(root, n=1)
    values = index_values(0)
    values[5, :4] = [9, 9, 9, 12]
    write_image(root / "odd_sat.jpg")
    Image.fromarray(values, "L").save(root / "odd_mask.png")
    write_image(root / "rgb_sat.jpg")
    Image.fromarray(DEEPGLOBE.decode(label_grid())).save(root / "rgb_mask.png")
    report = check_dataset(root, schema)
    [error] = report.errors
    assert (error.kind, error.path.name) == ("colour_mask", "rgb_mask.png")
    [odd] = report.warnings
    assert (odd.kind, odd.path.name, odd.details) == (
        "off_range",
        "odd_mask.png",
        {"pixels": 4, "values": [[9, 3], [12, 1]]},
    )
    assert odd.problem.startswith("4 pixels with values that are no class (9 x3, 12 x1;")


# --- stats -----------------------------------------------------------------------------------


def test_stats_counts_exact_pixels_of_index_masks(tmp_path: Path) -> None:
    _, schema = index_schema(tmp_path)
    root = tmp_path / "d"
    values = write_index_dataset(root)
    values[2][3, :2] = 77  # no class: counted as void and as off-palette
    Image.fromarray(values[2], "L").save(root / "tile2_mask.png")
    stats = compute_stats(find_pairs(root).pairs, schema)
    expected = sum(np.bincount(expected_labels(v).ravel(), minlength=K) for v in values)
    assert stats.pixel_counts.tolist() == expected.tolist()
    assert [m.off_palette for m in stats.images] == [0, 0, 2]
    assert [m.pixels for m in stats.images] == [32 * 32] * 3


def test_stats_logs_greyscale_masks_under_deepglobe(tmp_path: Path, caplog) -> None:
    root = tmp_path / "d"
    write_index_dataset(root, n=1)
    with caplog.at_level(logging.WARNING):
        compute_stats(find_pairs(root).pairs, DEEPGLOBE)
    assert f"{root / 'tile0_mask.png'}: single-channel mask" in caplog.text


# --- training --------------------------------------------------------------------------------


def test_load_pair_returns_exact_index_labels(tmp_path: Path, caplog) -> None:
    pytest.importorskip("torch")
    from landcover.training.dataset import PairDataset, load_pair

    _, schema = index_schema(tmp_path)
    root = tmp_path / "d"
    values = write_index_dataset(root)
    pairs = find_pairs(root).pairs
    for pair, v in zip(pairs, values, strict=True):
        image, labels = load_pair(pair, schema)
        assert image.shape == (32, 32, 3) and labels.dtype == np.uint8
        assert labels.tolist() == expected_labels(v).tolist()
    _, mask = PairDataset(pairs, schema)[1]
    assert mask.tolist() == expected_labels(values[1]).tolist()
    with caplog.at_level(logging.WARNING):
        load_pair(pairs[0], DEEPGLOBE)
    assert f"{pairs[0].mask}: single-channel mask" in caplog.text


# --- evaluation ------------------------------------------------------------------------------


def test_evaluate_reads_index_ground_truth(tmp_path: Path) -> None:
    pytest.importorskip("scipy")
    from landcover.evaluation.evaluate import evaluate_pairs, read_truth
    from landcover.models.meta import ModelMeta
    from tests.evaluation.conftest import (
        OraclePredictor,
        class_image,
        oracle_predict,
        synthetic_labels,
    )

    # The DeepGlobe classes, their masks as class indices (unknown = 6 or 255, ignored).
    schema = ClassSchema.from_dict(
        {
            **DEEPGLOBE.to_dict(),
            "name": "deepglobe-index",
            "mask_format": "index",
            "ignore_value": 255,
        }
    )
    data = tmp_path / "data"
    data.mkdir()
    for name, (img, mask) in synthetic_labels().items():
        Image.fromarray(class_image(img)).save(data / f"{name}_sat.png")
        if name == "c":
            mask = np.where(mask == 6, 255, mask).astype(np.uint8)
        Image.fromarray(mask, "L").save(data / f"{name}_mask.png")
    pairs = find_pairs(data).pairs
    _, truth, _ = read_truth(pairs[2], schema)
    assert truth.tolist() == synthetic_labels()["c"][1].tolist()
    oracle = OraclePredictor(ModelMeta(arch="seed-unet", schema=DEEPGLOBE, tile_size=32))
    options = {"schema": schema, "gallery": 0, "predict": oracle_predict, "progress": False}
    result = evaluate_pairs(oracle, pairs, tmp_path / "r", **options)
    m = json.loads((tmp_path / "r" / "metrics.json").read_text())
    # Same exact scores as the RGB masks of tests/evaluation/test_evaluate.py.
    assert (m["images"], m["pixels"], m["failed"]) == (3, 4800, [])
    assert m["pixel_accuracy"] == pytest.approx(0.9)
    assert result.confusion[4, 3] == 480 and result.confusion[6].sum() == 0
