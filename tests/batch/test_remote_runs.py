"""Remote scenes on a Dask cluster: the server dies mid-run, the failure is recorded, and the
next run (the server back, on a running cluster given by its scheduler address) maps what is
missing, pixel for pixel as from local files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from landcover.batch.records import run_status
from landcover.batch.runner import ModelSpec, predict_many
from landcover.cli import main
from tests.helpers import class_rasters
from tests.inference.conftest import make_onnx
from tests.io.test_remote import write_cog
from tests.remote_servers import RangeServer

HEADER_BYTES = 16384  # GDAL's first read of a remote file (GDAL_INGESTED_BYTES_AT_OPEN)


@pytest.mark.slow
def test_server_killed_mid_run_then_the_next_run_retries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GDAL_HTTP_MAX_RETRY", "2")
    monkeypatch.setenv("GDAL_HTTP_RETRY_DELAY", "0.1")
    model = ModelSpec(str(make_onnx(tmp_path / "tiny.onnx")))
    www = tmp_path / "www"
    for i, name in enumerate("abc"):
        write_cog(www / f"{name}.tif", 320, 320, seed=i, blocksize=128)  # > HEADER_BYTES
    predict_many(sorted(www.glob("*.tif")), tmp_path / "local", model=model, progress=False)
    out = tmp_path / "out"
    # The server dies on the first read of b.tif's pixels (its header was read before work).
    with RangeServer(www, die=("b.tif", HEADER_BYTES)) as server:
        urls = [server.url(f"{n}.tif") for n in "abc"]
        first = predict_many(urls, out, model=model, executor="local:1", progress=False)
        assert server.proc.wait(timeout=5) == 1  # it did die
    failed = run_status(out).failed
    assert "b" in failed and len(first.scenes) + len(first.failures) == 3
    record = json.loads((out / ".landcover/failed/b.json").read_text())
    assert record["input"] == urls[1] and record["reason"].startswith("read failed (")
    assert main(["status", str(out), "--list"]) == 1  # some failed
    listed = capsys.readouterr().out
    assert f"{len(failed)} failed" in listed and "failed   b: read failed (" in listed
    from distributed import LocalCluster

    with (
        RangeServer(www, port=server.port),  # back, at the same address
        LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=None) as cluster,
    ):  # --scheduler ADDRESS: a running cluster's workers read the URLs themselves
        address = cluster.scheduler_address
        again = predict_many(urls, out, model=model, executor=address, progress=False)
    assert not again.failures and sorted(s.stem for s in again.scenes) == ["a", "b", "c"]
    assert run_status(out).failed == {}
    here, there = class_rasters(tmp_path / "local"), class_rasters(out)
    assert sorted(here) == sorted(there) == ["a_classes.tif", "b_classes.tif", "c_classes.tif"]
    assert all(np.array_equal(here[k], there[k]) for k in here)
