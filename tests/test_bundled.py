"""The bundled default model: present, small, Deepness-ready, torch-free, sensible on real tiles."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from landcover import list_models
from landcover.bundled import DEFAULT_MODEL, WEIGHTS_DIR, runtime_model_path
from landcover.cli import main
from tests.helpers import require_onnx

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
AGRI_TILE = DATA / "deepglobe" / "fullres" / "10233_sat.jpg"  # 99.3 % agriculture in its mask
URBAN_TILE = DATA / "deepglobe" / "fullres" / "104113_sat.jpg"  # 92.5 % urban
DEEPNESS_ONNX = WEIGHTS_DIR / f"{DEFAULT_MODEL}.onnx"  # the fixed-size file QGIS loads


def test_bundled_files_are_listed_and_small() -> None:
    assert [m.name for m in list_models()] == [DEFAULT_MODEL]  # the GSD estimator is no model
    (model,) = list_models()
    assert model.onnx == DEEPNESS_ONNX and model.weights is not None
    assert model.card is not None and "per-class IoU" in model.card.read_text(encoding="utf-8")
    assert model.facts["gsd_m"] == pytest.approx(1.195)
    assert model.facts["val_miou"] >= 0.68
    total = sum(p.stat().st_size for p in WEIGHTS_DIR.rglob("*") if p.is_file())
    assert total <= 45e6, f"bundled files take {total / 1e6:.1f} MB, the budget is 45 MB"
    for precision in ("int8", "fp32"):
        assert Path(model.to_dict()["runtime"][precision]) == runtime_model_path(precision)


def test_models_command_json(capsys: pytest.CaptureFixture) -> None:
    assert main(["models", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed[0]["name"] == DEFAULT_MODEL and listed[0]["default"] is True
    assert Path(listed[0]["onnx"]).is_file()


def test_onnx_metadata_opens_in_deepness() -> None:
    onnx = require_onnx()

    model = onnx.load(str(DEEPNESS_ONNX))
    assert max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")) <= 17
    props = {p.key: json.loads(p.value) for p in model.metadata_props}
    assert props["model_type"] == "Segmentor"
    assert list(props["class_names"]) == [str(i) for i in range(7)]
    assert props["resolution"] == pytest.approx(119.5)
    assert props["tile_size"] == props["tiles_size"] == props["landcover_meta"]["tile_size"]
    meta = props["landcover_meta"]
    assert props["standardization_mean"] == pytest.approx(meta["mean"]) and len(meta["mean"]) == 3
    assert props["standardization_std"] == pytest.approx(meta["std"]) and min(meta["std"]) > 0
    facts = list_models()[0].facts  # the card facts say the same
    assert facts["mean"] == pytest.approx(meta["mean"])
    assert facts["std"] == pytest.approx(meta["std"])
    (inp,) = model.graph.input
    dims = [d.dim_value or d.dim_param for d in inp.type.tensor_type.shape.dim]
    assert isinstance(dims[0], str) and dims[1:] == [3, props["tile_size"], props["tile_size"]]


@pytest.mark.skipif(not AGRI_TILE.exists(), reason="needs ../shared/data/deepglobe/fullres")
def test_bundled_model_maps_a_real_tile_without_torch() -> None:
    code = f"""
import sys, json
import numpy as np
import landcover
from landcover.io.images import read_rgb
p = landcover.load_predictor()
out = {{}}
for name, path in (("agri", {str(AGRI_TILE)!r}), ("urban", {str(URBAN_TILE)!r})):
    labels = landcover.predict_array(p, read_rgb(path), gsd_m=0.5).argmax(0)
    out[name] = np.bincount(labels.ravel(), minlength=7).tolist()
out["torch"] = "torch" in sys.modules
out["pyplot"] = "matplotlib.pyplot" in sys.modules
print(json.dumps(out))
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["torch"] is False and out["pyplot"] is False
    agri = np.array(out["agri"]) / sum(out["agri"])
    urban = np.array(out["urban"]) / sum(out["urban"])
    assert agri.argmax() == 1 and agri[1] > 0.6, agri  # agriculture_land
    assert urban.argmax() == 0 and urban[0] > 0.5, urban  # urban_land


@pytest.mark.skipif(not AGRI_TILE.exists(), reason="needs ../shared/data/deepglobe/fullres")
def test_bundled_onnx_files_compute_the_torch_weights() -> None:
    """fp32 runtime == torch weights (any CPU); the int8 runtime copy == the Deepness file.

    int8 kernels differ between CPUs (VNNI/AMX against AVX2 u8s8), so int8 is compared with
    float32 only loosely here; how close they are per CPU class is in the predict benchmark.
    """
    onnx = require_onnx()
    pytest.importorskip("torch", reason="the .pt weights need pip install 'landcover[train]'")

    from landcover.inference.engine import normalise
    from landcover.inference.predictor import load_predictor
    from landcover.io.images import read_rgb

    fp32 = load_predictor(precision="fp32")
    int8 = load_predictor(precision="int8")
    deepness = load_predictor(DEEPNESS_ONNX)
    torch_model = load_predictor(WEIGHTS_DIR / f"{DEFAULT_MODEL}.pt")  # float16 weights
    assert torch_model.meta.schema == fp32.meta.schema == int8.meta.schema
    assert (fp32.precision, int8.precision, deepness.precision) == ("fp32", "int8", "int8")
    assert fp32.flexible and int8.flexible and not deepness.flexible
    size = deepness.meta.tile_size
    x = normalise(read_rgb(AGRI_TILE)[:size, :size], deepness.meta)[None]
    reference = torch_model.predict_batch(x)
    np.testing.assert_allclose(fp32.predict_batch(x), reference, atol=2e-3)
    np.testing.assert_array_equal(int8.predict_batch(x), deepness.predict_batch(x))
    assert (int8.predict_batch(x).argmax(1) == reference.argmax(1)).mean() > 0.9
    ops = {n.op_type for n in onnx.load(str(DEEPNESS_ONNX)).graph.node}
    assert "QuantizeLinear" in ops


def test_sample_mask_is_on_the_sample_scenes_grid() -> None:
    from PIL import Image

    from landcover import get_schema
    from landcover.bundled import sample_mask, sample_scene
    from landcover.data.stats import mask_counts
    from landcover.io.masks import read_mask_labels

    schema = get_schema("deepglobe")
    mask = read_mask_labels(sample_mask(), schema)
    with Image.open(sample_mask()) as m, Image.open(sample_scene()) as s:
        assert m.size == s.size == (1224, 1224)
    counts, off_palette = mask_counts(mask, schema)
    assert off_palette == 0 and counts.sum() == 1224 * 1224
    assert counts.argmax() == schema.classes.index("agriculture_land")
