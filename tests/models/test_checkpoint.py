"""Checkpoints load safely: weights only, pickled code refused; our own files still load."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

torch = pytest.importorskip("torch", reason="needs PyTorch: pip install 'landcover[train]'")

from landcover.bundled import SAMPLE_SCENE, WEIGHTS_DIR
from landcover.errors import InputError, LandcoverError, LandcoverIOError
from landcover.models.checkpoint import (
    build_model,
    load_checkpoint,
    read_checkpoint,
    save_weights,
)
from landcover.models.meta import ModelMeta
from landcover.schema import DEEPGLOBE

BUNDLED_PT = WEIGHTS_DIR / "deepglobe-fpn-lite0.pt"
TINY_META = ModelMeta("seed-unet", DEEPGLOBE, tile_size=32, arch_kwargs={"width": 4})

# The bundled model's logits on the sample scene's rows 896:1152, cols 640:896, normalised by its
# meta, computed at commit 8ea85a9 (smp's deprecated timm-tf_efficientnet_lite0 encoder): the
# per-class mean and std over pixels, and the argmax histogram. The same now, via tu- names.
REFERENCE_MEAN = [-1.3888, 1.9151, 1.1316, -5.0633, -3.8179, 7.1911, -31.9699]
REFERENCE_STD = [1.6184, 1.0658, 0.7879, 0.7298, 3.0786, 1.5132, 5.8538]
REFERENCE_HIST = [0, 0, 0, 0, 710, 64826, 0]


class Payload:
    """Unpickling this calls ``os.makedirs(target)``: a stand-in for any malicious call."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self):
        return (os.makedirs, (str(self.target),))


def tiny_state() -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    return build_model(TINY_META).state_dict()


@pytest.mark.parametrize("where", ["top", "meta", "state_dict"])
def test_pickled_code_is_refused_before_it_runs(tmp_path: Path, where: str) -> None:
    marker = tmp_path / "payload-ran"
    ckpt: dict = {"meta": TINY_META.to_dict(), "state_dict": tiny_state()}
    if where == "top":
        ckpt["extra"] = Payload(marker)
    elif where == "meta":
        ckpt["meta"]["note"] = Payload(marker)
    else:
        ckpt["state_dict"]["evil"] = Payload(marker)
    path = tmp_path / "evil.ckpt"
    torch.save(ckpt, path)
    with pytest.raises(LandcoverIOError) as e:
        load_checkpoint(path)
    assert not marker.exists()  # the payload never ran
    text = str(e.value)
    assert "\n" not in text and text.startswith(f"{path}: refused")
    assert "os.makedirs" in text or "posix.makedirs" in text
    assert isinstance(e.value, LandcoverError) and isinstance(e.value, OSError)


def test_refused_checkpoint_is_one_line_on_the_command_line(tmp_path: Path, capsys) -> None:
    from landcover.cli import main

    marker = tmp_path / "payload-ran"
    torch.save(
        {"meta": TINY_META.to_dict(), "state_dict": {"x": Payload(marker)}}, tmp_path / "m.pt"
    )
    Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(tmp_path / "a.png")
    argv = ["predict", "--model", str(tmp_path / "m.pt"), str(tmp_path / "a.png")]
    assert main([*argv, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "refused" in err[0], err
    assert not marker.exists()


def test_broken_and_foreign_files_give_typed_one_line_errors(tmp_path: Path) -> None:
    junk = tmp_path / "junk.ckpt"
    junk.write_bytes(b"not a pickle at all")
    with pytest.raises(LandcoverIOError, match="not a readable checkpoint") as e:
        read_checkpoint(junk)
    assert "\n" not in str(e.value)
    with pytest.raises(OSError, match="no such checkpoint file"):
        read_checkpoint(tmp_path / "missing.ckpt")
    foreign = tmp_path / "foreign.pt"
    torch.save([1, 2, 3], foreign)
    with pytest.raises(InputError, match="not a landcover checkpoint"):
        read_checkpoint(foreign)


def test_plain_weight_file_round_trip(tmp_path: Path) -> None:
    model = build_model(TINY_META)
    path = tmp_path / "w.pt"
    save_weights(path, model, TINY_META)
    loaded, meta = load_checkpoint(path)
    assert meta == TINY_META
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(loaded(x), model.eval()(x))


def bundled_logits(model: torch.nn.Module, meta: ModelMeta) -> np.ndarray:
    rgb = np.asarray(Image.open(SAMPLE_SCENE).convert("RGB"))[896:1152, 640:896]
    mean, std = np.array(meta.mean, np.float32), np.array(meta.std, np.float32)
    x = (rgb.astype(np.float32) / 255 - mean) / std
    with torch.no_grad():
        return model(torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)[None])))[0].numpy()


def test_bundled_weights_load_with_supported_names_and_the_same_outputs(recwarn) -> None:
    model, meta = load_checkpoint(BUNDLED_PT)
    assert type(model.encoder).__name__ == "TimmUniversalEncoder"  # smp's tu- encoder
    assert not [w for w in recwarn if issubclass(w.category, DeprecationWarning)]
    y = bundled_logits(model, meta)
    np.testing.assert_allclose(y.mean(axis=(1, 2)), REFERENCE_MEAN, atol=2e-3)
    np.testing.assert_allclose(y.std(axis=(1, 2)), REFERENCE_STD, atol=2e-3)
    hist = np.bincount(y.argmax(0).ravel(), minlength=7)
    assert np.abs(hist - REFERENCE_HIST).sum() <= 20, hist.tolist()


def test_bundled_weights_fit_a_fresh_model_for_fine_tuning() -> None:
    """What ``train --init-checkpoint`` does: read the state, build from the name, load."""
    state, meta = read_checkpoint(BUNDLED_PT)
    build_model(meta).load_state_dict(state)  # strict: every key fits


@pytest.mark.slow
def test_lightning_checkpoints_from_training_load(tmp_path: Path) -> None:
    """best/last.ckpt of a real (tiny) run, with scheduler, early-stopping and optimiser state."""
    from landcover.cli import main
    from tests.training.conftest import TINY_CONFIG, write_learnable, write_split_csv

    write_learnable(tmp_path / "data")
    config = TINY_CONFIG.replace("scheduler: none", "scheduler: plateau")
    (tmp_path / "c.yaml").write_text(config.replace("patience: 0", "patience: 3"), "utf-8")
    split = write_split_csv(tmp_path / "split.csv")
    argv = ["train", "--data", str(tmp_path / "data"), "--split", str(split)]
    assert main([*argv, "--config", str(tmp_path / "c.yaml"), "--out", str(tmp_path / "run")]) == 0
    for name in ("best.ckpt", "last.ckpt"):
        path = tmp_path / "run" / "checkpoints" / name
        ckpt = torch.load(path, map_location="cpu", weights_only=False)
        assert ckpt["optimizer_states"] and ckpt["lr_schedulers"] and ckpt["callbacks"]
        model, meta = load_checkpoint(path)
        assert meta.arch == "seed-unet"
        ref = build_model(meta)
        state = ckpt["state_dict"]
        ref.load_state_dict({k[6:]: v for k, v in state.items() if k.startswith("model.")})
        x = torch.rand(1, 3, 32, 32)
        with torch.no_grad():
            assert torch.equal(model(x), ref.eval()(x))
