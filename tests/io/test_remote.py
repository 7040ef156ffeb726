"""Remote rasters as inputs: URLs to GDAL names, and runs against real servers on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from PIL import Image
from rasterio import Affine
from rasterio.shutil import copy as rio_copy

from landcover.batch.runner import ModelSpec, predict_many
from landcover.errors import LandcoverError, LandcoverIOError
from landcover.io.images import read_mask_rgb, read_rgb
from landcover.io.remote import check_remote, display, gdal_path, input_path, is_remote
from tests.helpers import class_rasters
from tests.inference.conftest import coded_image, make_onnx, write_geotiff
from tests.remote_servers import RangeServer, S3Server

ORIGIN = Affine(0.5, 0.0, 500000.0, 0.0, -0.5, 4000000.0)


def write_cog(path: Path, height: int, width: int, seed: int = 0, blocksize: int = 256) -> Path:
    """A georeferenced RGB COG (DEFLATE, overviews by average) of :func:`coded_image` pixels."""
    path.parent.mkdir(parents=True, exist_ok=True)
    plain = write_geotiff(
        path.with_suffix(".plain.tif"),
        np.moveaxis(coded_image(height, width, seed), -1, 0),
        transform=ORIGIN,
    )
    rio_copy(
        plain,
        path,
        driver="COG",
        blocksize=blocksize,
        compress="DEFLATE",
        overview_resampling="average",
    )
    plain.unlink()
    return path


@pytest.fixture
def model(tmp_path: Path) -> ModelSpec:
    return ModelSpec(str(make_onnx(tmp_path / "tiny.onnx")))


@pytest.fixture
def www(tmp_path: Path) -> Path:
    root = tmp_path / "www"
    root.mkdir()
    return root


@pytest.mark.parametrize(
    ("given", "gdal", "shown"),
    [
        ("https://h.org/a/b.tif", "/vsicurl/https://h.org/a/b.tif", "https://h.org/a/b.tif"),
        ("s3://bucket/k/x.tif", "/vsis3/bucket/k/x.tif", "s3://bucket/k/x.tif"),
        ("gs://bucket/x.tif", "/vsigs/bucket/x.tif", "gs://bucket/x.tif"),
        ("az://container/x.tif", "/vsiaz/container/x.tif", "az://container/x.tif"),
        ("/vsizip//data/a.zip/x.tif", "/vsizip//data/a.zip/x.tif", "/vsizip//data/a.zip/x.tif"),
    ],
)
def test_urls_become_gdal_paths_and_back(given: str, gdal: str, shown: str) -> None:
    assert is_remote(given) and gdal_path(given) == gdal
    carried = input_path(given)  # pathlib folds "https://" to "https:/" ...
    assert carried.name == Path(gdal).name and carried.stem == Path(gdal).stem
    assert gdal_path(carried) == gdal.replace("/vsizip//", "/vsizip/")  # ... GDAL gets it back
    assert display(carried) == shown.replace("/vsizip//", "/vsizip/")
    assert not is_remote("scene.tif") and not is_remote(Path("/data/vsi/x.tif"))


def test_http_cog_maps_as_the_local_file_pixel_for_pixel(
    tmp_path: Path, www: Path, model: ModelSpec
) -> None:
    for folder in ("a", "b"):  # the same file name in two "folders" of the server
        write_cog(www / folder / "scene.tif", 300, 260, seed=ord(folder))
    local = [www / "a/scene.tif", www / "b/scene.tif"]
    predict_many(local, tmp_path / "local", model=model, progress=False)
    with RangeServer(www) as server:
        urls = [server.url("a/scene.tif"), server.url("b/scene.tif")]
        remote = predict_many(urls, tmp_path / "remote", model=model, progress=False)
    assert not remote.failures and sorted(s.stem for s in remote.scenes) == ["a_scene", "b_scene"]
    a, b = class_rasters(tmp_path / "local"), class_rasters(tmp_path / "remote")
    assert sorted(a) == sorted(b) == ["a_scene_classes.tif", "b_scene_classes.tif"]
    assert all(np.array_equal(a[k], b[k]) for k in a)
    record = (tmp_path / "remote/.landcover/done/a_scene.json").read_text()
    assert f'"input": "{urls[0]}"' in record
    assert f"{urls[0]},a_scene," in (tmp_path / "remote/areas.csv").read_text()


def test_pictures_and_masks_read_over_http_as_from_disk(www: Path) -> None:
    rgb = coded_image(40, 56)
    Image.fromarray(rgb).save(www / "pic.png")
    write_cog(www / "scene.tif", 50, 30)
    with RangeServer(www) as server:
        assert np.array_equal(read_rgb(server.url("pic.png")), rgb)  # PNG: lossless both ways
        assert np.array_equal(read_mask_rgb(server.url("pic.png")), rgb)
        assert np.array_equal(read_rgb(server.url("scene.tif")), read_rgb(www / "scene.tif"))


def test_mapping_a_cog_reads_its_full_resolution_tiles_once_never_the_overviews(
    tmp_path: Path, www: Path, model: ModelSpec
) -> None:
    cog = write_cog(www / "big.tif", 1024, 1024)
    with rasterio.open(cog) as src:
        level0 = sum(src.block_size(1, *ij) for ij, _ in src.block_windows(1))
    size = cog.stat().st_size
    with RangeServer(www) as server:
        check_remote(server.url("big.tif"))  # what every URL costs before any work
        checked = server.sent()["big.tif"]
        result = predict_many(
            [server.url("big.tif")], tmp_path / "out", model=model, progress=False
        )
        sent = server.sent()["big.tif"]  # the check's header read included, once
    assert not result.failures
    assert checked <= 1 + 16384 < size / 200  # one byte asked, then GDAL's header read
    # Every full-resolution tile is needed once (the map covers the scene); the header and
    # GDAL's read-ahead add a little; the overviews (a fifth of this file) are never fetched.
    assert level0 <= sent <= level0 * 1.05 + 64 * 1024, (sent, level0, size)
    assert sent < 0.8 * size
    print(f"\nbytes sent {sent} of {size} in the file ({sent / size:.0%}); level 0 = {level0}")


def test_bad_urls_are_one_line_before_any_work(tmp_path: Path, www: Path, model: ModelSpec) -> None:
    write_cog(www / "ok.tif", 64, 64)
    (www / "not.tif").write_bytes(b"no raster")
    with RangeServer(www) as server:
        with pytest.raises(LandcoverIOError) as e:
            predict_many(
                [server.url("ok.tif"), server.url("gone.tif")], tmp_path / "o", model=model
            )
        assert str(e.value) == f"{server.url('gone.tif')}: not found (HTTP 404)"
        assert not (tmp_path / "o").exists()  # refused before the run folder was made
        with pytest.raises(LandcoverError, match="not a readable remote raster") as e:
            check_remote(server.url("not.tif"))
        assert "\n" not in str(e.value)
    with pytest.raises(LandcoverIOError, match="cannot reach the server"):
        check_remote(server.url("ok.tif"))  # now stopped
    with RangeServer(www, ranges=False) as plain:
        with pytest.raises(LandcoverIOError, match="does not support range requests") as e:
            check_remote(plain.url("ok.tif"))
        assert str(e.value).startswith(plain.url("ok.tif") + ": the server does not support")


def test_s3_cog_maps_as_the_local_file(
    tmp_path: Path, model: ModelSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("moto")
    cog = write_cog(tmp_path / "scene.tif", 200, 180)
    predict_many([cog], tmp_path / "local", model=model, progress=False)
    with S3Server(monkeypatch) as s3:
        s3.client.create_bucket(Bucket="maps")
        s3.client.upload_file(str(cog), "maps", "tiles/scene.tif")
        url = "s3://maps/tiles/scene.tif"
        there = predict_many([url], tmp_path / "s3", model=model, progress=False)
        with pytest.raises(LandcoverIOError, match="s3://maps/tiles/none.tif: not found"):
            check_remote("s3://maps/tiles/none.tif")
    assert not there.failures and [s.stem for s in there.scenes] == ["scene"]
    a, b = class_rasters(tmp_path / "local"), class_rasters(tmp_path / "s3")
    assert list(a) == list(b) == ["scene_classes.tif"]
    assert np.array_equal(a["scene_classes.tif"], b["scene_classes.tif"])


def test_a_403_inside_the_url_is_not_access_denied() -> None:
    from landcover.io.remote import _reason

    url = "http://127.0.0.1:40335/a403/not.tif"
    assert _reason(f"'/vsicurl/{url}' not recognized as being in a supported file format.") == (
        f"not a readable remote raster ('/vsicurl/{url}' not recognized as being in a supported "
        "file format.)"
    )
    assert _reason("HTTP error 403 on the request").startswith("access denied (HTTP 403)")
    assert _reason(f"{url}: Access Denied").startswith("access denied (HTTP 403)")
