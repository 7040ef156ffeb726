"""ONNX export: Deepness metadata rules, graph shape, opset, parity with torch, bad models."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from landcover.cli import main
from landcover.errors import LandcoverError
from landcover.inference.engine import predict_array
from landcover.inference.predictor import load_predictor
from landcover.models.meta import ModelMeta
from landcover.schema import DEEPGLOBE
from tests.inference.conftest import TINY_META as META
from tests.inference.conftest import K, coded_image, make_onnx

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")


@pytest.fixture(scope="module")
def exported(tiny_checkpoint: Path) -> Path:
    """The checkpoint exported by the CLI."""
    out = tiny_checkpoint.with_suffix(".onnx")
    assert main(["export", str(tiny_checkpoint), "--onnx", str(out)]) == 0
    return out


def test_metadata_follows_deepness_rules(exported: Path) -> None:
    import onnxruntime as ort

    props = ort.InferenceSession(str(exported)).get_modelmeta().custom_metadata_map
    values = {k: json.loads(v) for k, v in props.items()}  # every value is JSON text
    assert values["model_type"] == "Segmentor"
    assert values["class_names"] == {str(i): n for i, n in enumerate(DEEPGLOBE.classes)}
    assert sorted(map(int, values["class_names"])) == list(range(K))
    assert values["resolution"] == pytest.approx(120.0)  # cm per pixel
    assert values["tile_size"] == values["tiles_size"] == 32
    assert isinstance(values["tile_size"], int) and values["tiles_overlap"] == 25
    assert values["standardization_mean"] == [0.5] * 3 == values["standardization_std"]
    assert values["seg_thresh"] == 0.0 and values["seg_small_segment"] == 0
    assert values["class_colors"]["2"] == [255, 0, 255] and values["ignore_index"] == 6
    assert values["gsd_m"] == 1.2
    assert ModelMeta.from_dict(values["landcover_meta"]) == META


def test_graph_shape_and_opset(exported: Path) -> None:
    model = onnx.load(str(exported))
    assert max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")) <= 17
    (inp,) = model.graph.input
    (out,) = model.graph.output
    dims = [d.dim_value or d.dim_param for d in inp.type.tensor_type.shape.dim]
    assert inp.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert isinstance(dims[0], str) and dims[1:] == [3, 32, 32]
    assert [d.dim_value for d in out.type.tensor_type.shape.dim][1:] == [K, 32, 32]
    probs = load_predictor(exported).predict_batch(np.zeros((2, 3, 32, 32), np.float32))
    assert probs.shape == (2, K, 32, 32)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)  # softmax baked in


def test_onnx_and_torch_agree(tiny_checkpoint: Path, exported: Path) -> None:
    image = coded_image(70, 90, seed=7)
    p_torch = predict_array(load_predictor(tiny_checkpoint), image)
    p_onnx = predict_array(load_predictor(exported), image)
    agree = (p_torch.argmax(0) == p_onnx.argmax(0)).mean()
    assert agree >= 0.999
    np.testing.assert_allclose(p_torch, p_onnx, atol=1e-4)


def test_export_tile_size_override(tiny_checkpoint: Path, tmp_path: Path) -> None:
    out = tmp_path / "big tile.onnx"
    assert main(["export", str(tiny_checkpoint), "--onnx", str(out), "--tile-size", "64"]) == 0
    assert load_predictor(out).meta.tile_size == 64
    assert not list(tmp_path.glob(".*tmp"))
    assert main(["export", str(tiny_checkpoint), "--onnx", str(out), "--tile-size", "50"]) == 2


def test_onnx_without_our_metadata_is_refused(tmp_path: Path) -> None:
    bare = make_onnx(tmp_path / "bare.onnx", with_meta=False)
    with pytest.raises(LandcoverError, match="bare.onnx.*no 'landcover_meta' metadata"):
        load_predictor(bare)


def test_corrupted_checkpoint_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    bad = tmp_path / "broken.ckpt"
    bad.write_bytes(b"\x80\x04garbage")
    assert main(["predict", "--model", str(bad), str(bad), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "landcover predict: error:" in err and "broken.ckpt" in err and "checkpoint" in err
    assert len(err.strip().splitlines()) == 1


def test_bf16_autocast_gives_probabilities(tiny_checkpoint: Path) -> None:
    pred = load_predictor(tiny_checkpoint, precision="bf16")
    probs = pred.predict_batch(np.zeros((1, 3, 32, 32), np.float32))
    assert probs.dtype == np.float32 and probs.shape == (1, K, 32, 32)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-3)
    with pytest.raises(LandcoverError, match="unknown precision"):
        load_predictor(tiny_checkpoint, precision="fp8")


def test_fpn_merge_exports_as_pairwise_adds(tmp_path: Path) -> None:
    """The FPN's level merge leaves no Concat + ReduceSum in the graph; outputs are unchanged."""
    pytest.importorskip("segmentation_models_pytorch")
    import onnxruntime as ort

    from landcover.export.onnx_export import export_onnx, with_pairwise_merge
    from landcover.models.checkpoint import build_model

    meta = ModelMeta(arch="fpn-mobilenet_v2", schema=DEEPGLOBE, tile_size=64, gsd_m=1.2)
    torch.manual_seed(0)
    model = build_model(meta).eval()
    rewritten = with_pairwise_merge(model)
    assert rewritten is not model  # a copy: the caller's model keeps smp's block
    assert type(model.decoder.merge).__name__ == "MergeBlock"
    assert type(rewritten.decoder.merge).__name__ == "PairwiseAdd"
    out = export_onnx(model, meta, tmp_path / "fpn.onnx")
    ops = [n.op_type for n in onnx.load(str(out)).graph.node]
    assert "ReduceSum" in ops  # the softmax's sum over classes, only
    assert sum(op == "ReduceSum" for op in ops) == 1 and "Concat" not in ops
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        expected = torch.softmax(model(x), dim=1).numpy()
    got = ort.InferenceSession(str(out)).run(None, {"input": x.numpy()})[0]
    np.testing.assert_allclose(got, expected, atol=1e-5)
    seed = build_model(META)
    assert with_pairwise_merge(seed) is seed  # nothing to rewrite
