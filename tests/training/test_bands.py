"""Any band layout: a 4-band model from 3-band weights, its bands recorded in the checkpoint."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="needs pip install 'landcover[train]'")

from landcover.models.registry import create_model
from landcover.training.finetune import widen_input_channels
from tests.data.scene_fixtures import default_polygons, write_list, write_raster, write_schema
from tests.training.conftest import TINY_CONFIG

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")


def test_extra_band_filters_start_as_the_mean_of_the_rgb_filters(caplog) -> None:
    rgb = create_model("seed-unet", 3, 3, width=4).state_dict()
    four = create_model("seed-unet", 3, 4, width=4)
    with caplog.at_level(logging.INFO, logger="landcover.training.finetune"):
        state = widen_input_channels(four, rgb, Path("rgb.ckpt"))
    first = next(k for k, v in rgb.items() if v.ndim == 4 and v.shape[1] == 3)
    old, new = rgb[first], state[first]
    assert new.shape[1] == 4
    torch.testing.assert_close(new[:, :3], old * 0.75)
    torch.testing.assert_close(new[:, 3], old.mean(dim=1) * 0.75)
    assert all(torch.equal(state[k], v) for k, v in rgb.items() if k != first)
    assert "init from rgb.ckpt: 4-band input from its 3-band weights" in caplog.text
    four.load_state_dict(state)  # fits


def test_four_band_run_from_a_three_band_checkpoint_records_its_bands(tmp_path: Path) -> None:
    from landcover.models.checkpoint import read_checkpoint
    from landcover.training.config import load_config
    from landcover.training.run import train

    write_raster(tmp_path / "scene.tif", size=128, bands=4)
    default_polygons(tmp_path / "drawn.gpkg")
    entry = {"image": "scene.tif", "labels": "drawn.gpkg"}
    scenes = write_list(tmp_path / "scenes.yaml", [entry], field="class")
    cfg_path = tmp_path / "tiny.yaml"
    cfg_path.write_text(TINY_CONFIG, encoding="utf-8")
    common = {
        "scenes": str(scenes), "schema": str(write_schema(tmp_path / "three.yaml")),
        "block_size": 16, "val_fraction": 0.3, "samples_per_epoch": 4, "val_windows": 2,
        "epochs": 1, "threads": 1, "normalize": "half",
    }  # fmt: skip
    rgb = train(load_config(cfg_path, common), tmp_path / "rgb")
    four_cfg = {**common, "bands": "1,2,3,4", "init_checkpoint": str(rgb)}
    four = train(load_config(cfg_path, four_cfg), tmp_path / "four")
    state, meta = read_checkpoint(four)
    assert (meta.in_channels, meta.bands) == (4, (1, 2, 3, 4))
    assert meta.mean == (0.5, 0.5, 0.5, 0.5)
    assert max(v.shape[1] for v in state.values() if v.ndim == 4) >= 4


def test_predict_refuses_an_input_without_the_model_s_bands(tmp_path: Path) -> None:
    from landcover.errors import InputError
    from landcover.inference.model_bands import check_model_bands
    from landcover.models.meta import ModelMeta
    from landcover.schema import DEEPGLOBE

    meta = ModelMeta("seed-unet", DEEPGLOBE, mean=(0.5,) * 4, std=(0.5,) * 4, in_channels=4,
                     bands=(1, 2, 3, 4))  # fmt: skip
    rgb = write_raster(tmp_path / "rgb.tif", size=8, bands=3)
    with pytest.raises(InputError) as info:
        check_model_bands(meta, rgb)
    assert str(info.value) == (
        f"{rgb}: the model was trained on bands [1, 2, 3, 4] but the input has 3 band(s)"
    )
    assert ModelMeta.from_dict(meta.to_dict()).bands == (1, 2, 3, 4)  # checkpoint/ONNX record
    check_model_bands(ModelMeta("seed-unet", DEEPGLOBE), rgb)  # an RGB model: nothing to say
