"""``predict_many``: resumable runs, failures recorded, Dask LocalCluster = in-process pixels."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import rasterio
from PIL import Image

from landcover.batch.records import run_status
from landcover.batch.runner import predict_many
from landcover.batch.tasks import ModelSpec
from landcover.cli import main
from landcover.errors import InputError
from landcover.inference.options import PredictOptions
from tests.helpers import class_rasters
from tests.inference.conftest import coded_image, make_onnx

pytestmark = pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")


def _images(folder: Path, n: int, size: int = 64) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        p = folder / f"s{i:02d}.png"
        Image.fromarray(coded_image(size, size + 8, seed=i)).save(p)
        paths.append(p)
    return paths


def test_failures_are_recorded_and_retried(tmp_path: Path) -> None:
    model = ModelSpec(str(make_onnx(tmp_path / "tiny.onnx")))
    imgs = _images(tmp_path / "in", 3)
    imgs[1].write_bytes(b"not a picture")
    out = tmp_path / "out"
    result = predict_many(
        [tmp_path / "in"], out, PredictOptions(estimate=False), model=model, progress=False
    )
    assert [s.stem for s in result.scenes] == ["s00", "s02"]
    assert len(result.failures) == 1 and result.failures[0][0] == imgs[1]
    st = run_status(out)
    assert st.done == ["s00", "s02"] and list(st.failed) == ["s01"] and st.pending == []
    assert "s01.png" in json.loads((out / ".landcover/failed/s01.json").read_text())["input"]
    Image.fromarray(coded_image(64, 72, seed=1)).save(imgs[1])  # the user fixes the file
    again = predict_many(
        [tmp_path / "in"], out, PredictOptions(estimate=False), model=model, progress=False
    )
    assert not again.failures and len(again.scenes) == 3
    assert run_status(out).failed == {}
    assert len((out / "areas.csv").read_text().splitlines()) > 3


def test_status_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = ModelSpec(str(make_onnx(tmp_path / "tiny.onnx")))
    _images(tmp_path / "in", 2)
    predict_many([tmp_path / "in"], tmp_path / "out", model=model, progress=False)
    assert main(["status", str(tmp_path / "out"), "--list"]) == 0
    out = capsys.readouterr().out
    assert "2 done, 0 failed, 0 pending of 2 scenes" in out and "done     s01" in out
    assert main(["status", str(tmp_path)]) == 2
    assert "no landcover run here" in capsys.readouterr().err


@pytest.mark.slow
def test_local_cluster_equals_in_process_and_names_never_collide(tmp_path: Path) -> None:
    pytest.importorskip("distributed", reason="needs pip install 'landcover[dask]'")
    model = ModelSpec(str(make_onnx(tmp_path / "tiny.onnx")))
    _images(tmp_path / "a", 3)
    _images(tmp_path / "b", 2)  # the same file names in another folder
    inputs = [tmp_path / "a", tmp_path / "b"]
    here = predict_many(
        inputs, tmp_path / "here", PredictOptions(estimate=False), model=model, progress=False
    )
    dask = predict_many(
        inputs, tmp_path / "dask", PredictOptions(estimate=False), model=model,
        executor="local:2", progress=False,
    )  # fmt: skip
    assert not here.failures and not dask.failures
    a, b = class_rasters(tmp_path / "here"), class_rasters(tmp_path / "dask")
    assert sorted(a) == sorted(b) == [
        "a_s00_classes.tif", "a_s01_classes.tif",
        "b_s00_classes.tif", "b_s01_classes.tif", "s02_classes.tif",
    ]  # fmt: skip
    assert all(np.array_equal(a[k], b[k]) for k in a)


def _worker_pids(client: object) -> list[int]:
    return list(client.run(os.getpid).values())  # type: ignore[attr-defined]


@pytest.mark.slow
def test_a_worker_killed_mid_run(tmp_path: Path) -> None:
    pytest.importorskip("distributed", reason="needs pip install 'landcover[dask]'")
    from distributed import Client, LocalCluster

    model = ModelSpec(str(make_onnx(tmp_path / "tiny.onnx")))
    _images(tmp_path / "in", 16, size=384)
    out = tmp_path / "out"
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            result: dict[str, object] = {}
            run = threading.Thread(
                target=lambda: result.update(
                    r=predict_many(
                        [tmp_path / "in"],
                        out,
                        PredictOptions(estimate=False),
                        model=model,
                        executor=client,
                        progress=False,
                    )  # fmt: skip
                )
            )
            run.start()
            deadline = time.monotonic() + 60
            while not list(out.glob(".landcover/done/*.json")) and time.monotonic() < deadline:
                time.sleep(0.02)
            os.kill(_worker_pids(client)[0], signal.SIGKILL)
            done_at_kill = len(list(out.glob(".landcover/done/*.json")))
            run.join(timeout=240)
    assert done_at_kill < 16  # the worker died mid-run
    r = result["r"]
    assert not r.failures and len(r.scenes) == 16  # type: ignore[attr-defined]
    assert len(list(out.glob("*_classes.tif"))) == 16
    assert not [p for p in out.rglob("*") if ".tmp" in p.name]


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "killpg"), reason="needs POSIX process groups")
def test_whole_command_killed_then_rerun_keeps_finished_scenes(tmp_path: Path) -> None:
    pytest.importorskip("distributed", reason="needs pip install 'landcover[dask]'")
    model = make_onnx(tmp_path / "tiny.onnx")
    _images(tmp_path / "in", 12, size=384)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "landcover", "-q", "predict", str(tmp_path / "in"), "--model",
           str(model), "--out", str(out), "--no-estimate", "--cluster", "local:2"]  # fmt: skip
    proc = subprocess.Popen(cmd, start_new_session=True, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    while len(list(out.glob(".landcover/done/*.json"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = {p.stem for p in out.glob(".landcover/done/*.json")}
    assert 2 <= len(done) < 12
    mtimes = {s: (out / f"{s}_classes.tif").stat().st_mtime_ns for s in done}
    assert subprocess.run(cmd, capture_output=True, timeout=240).returncode == 0
    assert {s: (out / f"{s}_classes.tif").stat().st_mtime_ns for s in done} == mtimes
    assert len(list(out.glob("*_classes.tif"))) == 12
    assert not [p for p in out.rglob("*") if ".tmp" in p.name]


def test_georeferenced_run_gets_cogs_a_mosaic_and_stac(tmp_path: Path) -> None:
    from landcover.batch.cog import is_cog
    from tests.inference.conftest import write_geotiff

    model = ModelSpec(str(make_onnx(tmp_path / "tiny.onnx")))
    (tmp_path / "in").mkdir()
    for i in range(2):
        from rasterio import Affine

        data = np.moveaxis(coded_image(96, 80, seed=i), 2, 0)
        tf = Affine(2.0, 0.0, 500_000.0 + 160 * i, 0.0, -2.0, 4_000_000.0)
        write_geotiff(tmp_path / "in" / f"g{i}.tif", data, transform=tf)
    out = tmp_path / "out"
    result = predict_many([tmp_path / "in"], out, model=model, progress=False)
    assert [p.name for p in result.catalog] == ["mosaic_32633.vrt", "collection.json"]
    assert all(is_cog(out / f"g{i}_classes.tif") for i in range(2))
    with (
        rasterio.open(out / "mosaic_32633.vrt") as vrt,
        rasterio.open(out / "g1_classes.tif") as g1,
    ):
        assert vrt.width == 160 and vrt.height == 96
        assert np.array_equal(vrt.read(1)[:, 80:], g1.read(1))
    items = json.loads((out / "collection.json").read_text())["links"]
    assert sum(link["rel"] == "item" for link in items) == 2


@pytest.mark.slow
def test_a_big_scene_split_over_workers_equals_one_process(tmp_path: Path) -> None:
    pytest.importorskip("distributed", reason="needs pip install 'landcover[dask]'")
    from tests.inference.conftest import write_geotiff

    model = ModelSpec(str(make_onnx(tmp_path / "tiny.onnx")))
    (tmp_path / "in").mkdir()
    big = np.moveaxis(coded_image(300, 260, seed=7), 2, 0)
    write_geotiff(tmp_path / "in" / "big.tif", big)
    _images(tmp_path / "in", 2)  # and two small ones, mapped whole
    opts = PredictOptions(estimate=False, block_size=64, confidence=True)
    from landcover.batch.dask_exec import _plan

    plan = _plan(model.load(), str(tmp_path / "in" / "big.tif"), opts, 10_000)
    assert plan is not None and [r for _, r in plan[0]] == [range(0, 12), range(12, 25)]
    one = predict_many([tmp_path / "in"], tmp_path / "one", opts, model=model, progress=False)
    split = predict_many(
        [tmp_path / "in"], tmp_path / "split", opts, model=model, executor="local:2",
        split_pixels=10_000, progress=False,
    )  # fmt: skip
    assert not one.failures and not split.failures and len(split.scenes) == 3
    for name in ("big_classes.tif", "big_confidence.tif", "s00_classes.tif"):
        with rasterio.open(tmp_path / "one" / name) as a:
            with rasterio.open(tmp_path / "split" / name) as b:
                assert np.array_equal(a.read(), b.read()), name
    areas = [json.loads((tmp_path / d / "big_areas.json").read_text()) for d in ("one", "split")]
    assert areas[0]["classes"] == areas[1]["classes"]
    assert not (tmp_path / "split" / ".landcover" / "parts" / "big").exists()


DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "deepglobe"


@pytest.mark.slow
@pytest.mark.shared
@pytest.mark.skipif(not DATA.is_dir(), reason=f"real data not found at {DATA}")
def test_real_tiles_on_two_workers_equal_the_in_process_run(tmp_path: Path) -> None:
    pytest.importorskip("distributed", reason="needs pip install 'landcover[dask]'")
    tiles = sorted((DATA / "quadrants512").glob("*_sat.jpg"))[:4]
    here = predict_many(tiles, tmp_path / "here", progress=False)
    dask = predict_many(tiles, tmp_path / "dask", executor="local:2", progress=False)
    assert len(here.scenes) == len(dask.scenes) == 4 and not dask.failures
    a, b = class_rasters(tmp_path / "here"), class_rasters(tmp_path / "dask")
    assert sorted(a) == sorted(b) and all(np.array_equal(a[k], b[k]) for k in a)


def test_a_neutral_option_resumes_and_another_option_is_refused(tmp_path: Path) -> None:
    model = ModelSpec(str(make_onnx(tmp_path / "tiny.onnx")))
    _images(tmp_path / "in", 2)
    out = tmp_path / "out"
    predict_many([tmp_path / "in"], out, PredictOptions(gsd_m=2.0), model=model, progress=False)
    mtimes = {p.name: p.stat().st_mtime_ns for p in out.glob("*_classes.tif")}
    again = PredictOptions(gsd_m=2.0, batch_size=1)  # changes no output: the run resumes
    assert len(predict_many([tmp_path / "in"], out, again, model=model).scenes) == 2
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*_classes.tif")} == mtimes
    with pytest.raises(InputError, match="holds a run with another --tta; use --overwrite"):
        predict_many([tmp_path / "in"], out, PredictOptions(gsd_m=2.0, tta=True), model=model)
