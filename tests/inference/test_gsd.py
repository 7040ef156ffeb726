"""How the GSD of an input is found (given, georeferencing, tiles.csv, estimated)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
from rasterio.windows import Window

from landcover.errors import LandcoverError
from landcover.inference.gsd import (
    CROP,
    TRUSTED,
    Gsd,
    crop_windows,
    doubt,
    estimate_gsd,
    estimate_gsd_array,
    estimate_note,
    estimate_scene_gsd,
    estimate_windows,
    interval_of,
    known_gsd,
    trusted_range,
)
from tests.helpers import require_onnx

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "deepglobe"
GSD_DATA = DATA.parent / "gsd"


def test_crop_windows_spread_over_the_image_and_stay_inside() -> None:
    wins = crop_windows(600, 1000)
    assert len(wins) == 9 and {(w.height, w.width) for w in wins} == {(CROP, CROP)}
    assert {w.row_off for w in wins} == {0, 188, 376} and {w.col_off for w in wins} == {0, 388, 776}
    assert crop_windows(100, 80) == [crop_windows(100, 80)[0]]
    (w,) = crop_windows(100, 80)
    assert (w.row_off, w.col_off, w.height, w.width) == (0, 0, 100, 80)


def test_known_gsd_order(tmp_path: Path) -> None:
    img = tmp_path / "a.jpg"
    (tmp_path / "tiles.csv").write_text("image,gsd_m\na.jpg,0.5\n", encoding="utf-8")
    assert known_gsd(img, 2.0, 0.3) == Gsd(0.3, "given")
    assert known_gsd(img, 2.0, None) == Gsd(2.0, "georeferencing")
    assert known_gsd(img, None, None) == Gsd(0.5, "tiles.csv")
    assert known_gsd(tmp_path / "b.jpg", None, None) == Gsd(None, "unknown")
    with pytest.raises(LandcoverError, match="--gsd must be a positive number"):
        known_gsd(img, None, -1.0)
    assert Gsd(0.5, "estimated").describe() == "0.5 m (estimated)" and Gsd(0.5, "x").metres


def _mean_model(path: Path, log_var: float | None = None) -> Path:
    """A stand-in estimator: log2 GSD = 4 * mean pixel value (0..1) of each crop, any crop
    size; with ``log_var``, a second output of that constant log-variance per crop."""
    onnx = require_onnx()
    from onnx import TensorProto, helper, numpy_helper

    consts = [
        numpy_helper.from_array(np.array([4.0], np.float32), "four"),
        numpy_helper.from_array(np.array([-1, 1], np.int64), "shape"),
        numpy_helper.from_array(np.array([0.0 if log_var is None else log_var], np.float32), "v"),
    ]
    nodes = [
        helper.make_node("ReduceMean", ["input"], ["m"], axes=[1, 2, 3], keepdims=1),
        helper.make_node("Reshape", ["m", "shape"], ["flat"]),
        helper.make_node("Mul", ["flat", "four"], ["log2_gsd"]),
    ]
    outputs = [helper.make_tensor_value_info("log2_gsd", TensorProto.FLOAT, ["N", 1])]
    if log_var is not None:
        nodes += [
            helper.make_node("Sub", ["flat", "flat"], ["zeros"]),
            helper.make_node("Add", ["zeros", "v"], ["log_var"]),
        ]
        outputs.append(helper.make_tensor_value_info("log_var", TensorProto.FLOAT, ["N", 1]))
    graph = helper.make_graph(
        nodes,
        "mean",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, "H", "W"])],
        outputs,
        consts,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def test_estimate_is_the_median_over_crops(tmp_path: Path) -> None:
    model = _mean_model(tmp_path / "mean.onnx")
    image = np.zeros((600, 1000, 3), np.uint8)
    image[:, :388] = 255  # the left column of crops (3 of 9) is white: mean 1 -> 2**4
    gsd = estimate_gsd(lambda w: image[w.toslices()], 600, 1000, model)
    assert gsd == Gsd(pytest.approx(1.0), "estimated", (pytest.approx(1.0), pytest.approx(1.0)))
    image[:, :] = 255
    assert estimate_gsd(lambda w: image[w.toslices()], 600, 1000, model).metres == pytest.approx(16)


def test_interval_from_the_crops_spread_and_the_nets_own_variance(tmp_path: Path) -> None:
    crops = np.array([0, 0, 0, 1, 1, 1, -1, -1, -1], np.float32)  # MAD 1 around median 0
    metres, low, high = interval_of(crops, None)
    assert (metres, low, high) == (1.0, pytest.approx(2**-1.4826), pytest.approx(2**1.4826))
    own = np.full(9, np.log(0.25), np.float32)  # variance 0.25: sd 0.5 (log2)
    assert interval_of(np.zeros(9, np.float32), own) == (1.0, 2**-0.5, 2**0.5)
    _, low, high = interval_of(crops, own)
    assert np.log2(high) == pytest.approx(np.hypot(1.4826, 0.5))
    model = _mean_model(tmp_path / "var.onnx", log_var=float(np.log(0.25)))
    grey = np.full((300, 300, 3), 0, np.uint8)
    gsd = estimate_gsd(lambda w: grey[w.toslices()], 300, 300, model)
    # sd 0.5 (the net's own) and 0.5 (the halved crops read 0.5 m: half of 1 log2 apart)
    assert gsd.interval == (pytest.approx(2 ** -(0.5**0.5)), pytest.approx(2**0.5**0.5))
    assert gsd.describe() == "1 m (estimated, 0.613-1.63 m)"


def test_estimate_reads_images_smaller_than_a_crop_at_their_own_size(tmp_path: Path) -> None:
    model = _mean_model(tmp_path / "mean.onnx")
    grey = np.full((40, 30, 3), 128, np.uint8)
    seen: list[tuple[int, int]] = []

    def read(w: Window) -> np.ndarray:
        seen.append((w.height, w.width))
        return grey[w.toslices()]

    value = estimate_gsd(read, 40, 30, model).metres
    assert value == pytest.approx(2 ** (4 * 128 / 255), rel=1e-3) and seen == [(40, 30)]


def test_small_images_are_read_once_whole_large_ones_by_crop(tmp_path: Path) -> None:
    model = _mean_model(tmp_path / "mean.onnx")
    seen: list[Window] = []

    def read(w: Window) -> np.ndarray:
        seen.append(w)
        return np.zeros((w.height, w.width, 3), np.uint8)

    estimate_gsd(read, 2448, 2448, model)
    assert seen == [Window(col_off=0, row_off=0, width=2448, height=2448)]
    seen.clear()
    estimate_gsd(read, 5000, 4000, model)  # 20 MP: nine crop reads, never the whole
    assert seen == [w for w, _ in estimate_windows(5000, 4000)]


def test_nine_crops_at_own_resolution_and_the_edge_midpoints_halved() -> None:
    wins = estimate_windows(1000, 1200)
    assert [w for w, f in wins if f == 1] == crop_windows(1000, 1200)
    halved = [(w.row_off, w.col_off, w.height, w.width) for w, f in wins if f == 2]
    assert halved == [(0, 376, 448, 448), (276, 0, 448, 448), (276, 752, 448, 448)] + [
        (552, 376, 448, 448)
    ]
    assert [f for _, f in estimate_windows(100, 80)] == [1] + [2] * 4  # whole image each


def test_halved_crops_widen_the_interval_without_moving_the_estimate(tmp_path: Path) -> None:
    # The stand-in reads log2 GSD = 4 x mean: white crops say 16 m at their own scale, so the
    # four halved crops say 8 m for the image, 1 log2 away: the interval is 2 ** +-0.5 wide.
    model = _mean_model(tmp_path / "mean.onnx")
    white = np.full((1000, 1000, 3), 255, np.uint8)
    gsd = estimate_gsd(lambda w: white[w.toslices()], 1000, 1000, model)
    assert gsd.metres == pytest.approx(16.0)
    assert gsd.interval == (pytest.approx(16 * 2**-0.5), pytest.approx(16 * 2**0.5))
    assert interval_of(np.zeros(9), None, np.full(4, -2.0)) == (1.0, 0.5, 2.0)


def test_doubt_on_a_wide_interval_or_outside_the_trusted_range(tmp_path: Path) -> None:
    model = _mean_model(tmp_path / "mean.onnx")  # no metadata: the default trusted range
    assert trusted_range(model) == TRUSTED == (0.07, 15.0)
    assert doubt(Gsd(1.0, "estimated", (0.75, 1.45)), model) is None
    assert doubt(Gsd(1.0, "estimated", (0.7, 1.45)), model) == "its interval spans 2.1x"
    assert doubt(Gsd(40.0, "estimated", (35.0, 45.0)), model) == (
        "outside the range the estimator is trusted in (0.07-15 m)"
    )
    assert doubt(Gsd(0.06, "estimated", (0.05, 0.07)), model) is not None
    assert doubt(Gsd(40.0, "given"), model) is None
    small = Gsd(1.0, "estimated", (0.75, 1.45))
    assert doubt(small, model, shape=(232, 383)) == (
        "its 383x232 px are too few to tell (its crops overlap)"
    )
    assert doubt(small, model, shape=(317, 317)) is None  # 2 crops' worth: 316.8 px a side


def test_a_doubtful_estimate_warns_naming_the_file(monkeypatch, caplog) -> None:
    import landcover.inference.gsd as gsd_module

    wide = Gsd(2.0, "estimated", (1.0, 4.0))
    monkeypatch.setattr(gsd_module, "estimate_gsd", lambda read, h, w: wide)
    monkeypatch.setattr(gsd_module, "trusted_range", lambda model=None: TRUSTED)
    with caplog.at_level(logging.WARNING, logger="landcover.inference.gsd"):
        assert estimate_scene_gsd("in/scene.png", lambda w: None, 10, 10) is wide
    assert caplog.messages == [
        "in/scene.png: GSD estimated from the pixels as 2 m (estimated, 1-4 m), but its interval "
        "spans 4x; give --gsd for a reliable map and hectares"
    ]
    caplog.clear()
    narrow = Gsd(2.0, "estimated", (1.8, 2.2))
    monkeypatch.setattr(gsd_module, "estimate_gsd", lambda read, h, w: narrow)
    with caplog.at_level(logging.WARNING, logger="landcover.inference.gsd"):
        estimate_scene_gsd("in/scene.png", lambda w: None, 600, 600)
    assert caplog.messages == []
    with caplog.at_level(logging.WARNING, logger="landcover.inference.gsd"):
        estimate_scene_gsd("in/small.png", lambda w: None, 200, 300)
    assert caplog.messages == [
        "in/small.png: GSD estimated from the pixels as 2 m (estimated, 1.8-2.2 m), but its "
        "300x200 px are too few to tell (its crops overlap); give --gsd for a reliable map "
        "and hectares"
    ]


def test_estimate_note_for_the_run_line() -> None:
    one = {"gsd_source": "estimated", "gsd_m": 0.5, "gsd_interval_m": [0.42, 0.6]}
    assert estimate_note([one, {"gsd_source": "given", "gsd_m": 0.5}]) == (
        "; estimated interval 0.42-0.6 m; hectares marked ~ rest on the estimate: "
        "give --gsd when you know it"
    )
    wide = {"gsd_source": "estimated", "gsd_m": 2.0, "gsd_interval_m": [1.0, 5.0]}
    assert estimate_note([one, wide]).startswith(
        "; estimated intervals up to 5x wide, 1 wider than 2x (warned); "
    )
    assert estimate_note([{"gsd_source": "given", "gsd_m": 0.5}]) == ""


@pytest.mark.skipif(not (DATA / "fullres").is_dir(), reason="needs ../shared/data/deepglobe")
def test_bundled_estimator_reads_quadrant_like_imagery_within_a_factor_of_1_4() -> None:
    """Unseen quadrants at 1.195 m and resampled to 2 m (no tiles.csv used)."""
    import csv

    from PIL import Image

    from landcover.io.images import read_rgb

    unseen = Path(__file__).resolve().parents[2] / "configs" / "deepglobe_quadrants512_unseen.csv"
    with open(unseen, encoding="utf-8") as f:
        names = [r["file"] for r in csv.DictReader(f) if r["split"] == "test"][:12]
    quads = [read_rgb(DATA / "quadrants512" / n) for n in names]
    at_2m = [
        np.asarray(Image.fromarray(q).resize((306, 306), Image.Resampling.BILINEAR)) for q in quads
    ]
    for images, gsd in ((quads, 1.195), (at_2m, 2.0)):
        ratios = [(estimate_gsd_array(im).metres or 0) / gsd for im in images]
        assert 1 / 1.41 < float(np.median(ratios)) < 1.41, (gsd, ratios)


@pytest.mark.skipif(not (GSD_DATA / "gsd.csv").is_file(), reason="needs ../shared/data/gsd")
def test_bundled_estimator_on_never_seen_native_files() -> None:
    """Held-out DeepGlobe valid/test tiles (native 0.5 m JPEGs): each within 1.41x; held-out
    NEON (0.1 m) and Sentinel-2 (10 m) files: the median within 1.41x."""
    from landcover.io.images import read_rgb
    from landcover.training.gsd_views import held_out, read_gsd_table

    files = read_gsd_table(GSD_DATA)
    test = [f for f in files if f.path in held_out(files)]
    for source in ("deepglobe", "neon", "sentinel2"):
        ratios = [
            (estimate_gsd_array(read_rgb(f.path)).metres or 0) / f.gsd_m
            for f in test
            if f.source == source
        ]
        assert len(ratios) >= 3 and 1 / 1.41 < float(np.median(ratios)) < 1.41, (source, ratios)
        if source == "deepglobe":
            assert all(1 / 1.41 < r < 1.41 for r in ratios), ratios


def test_a_missing_estimator_is_an_io_error_naming_the_file(tmp_path: Path) -> None:
    from landcover.errors import LandcoverIOError

    gone = tmp_path / "gone.onnx"
    with pytest.raises(LandcoverIOError, match="the bundled GSD estimator is missing") as e:
        estimate_gsd(lambda w: np.zeros((8, 8, 3), np.uint8), 8, 8, gone)
    assert isinstance(e.value, OSError) and e.value.filename == str(gone)
