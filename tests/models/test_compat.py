"""Checkpoints of smp's deprecated ``timm-`` Lite encoders load with identical outputs.

Old checkpoints are made here by code: a network built with the deprecated encoder (what
``fpn-lite0``/``unet-lite0`` built before issue 17), random weights, saved in both file forms.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="needs PyTorch: pip install 'landcover[train]'")

from landcover.models.checkpoint import build_model, load_checkpoint, read_checkpoint, save_weights
from landcover.models.compat import EXACT_ARCHS, is_legacy_state, upgrade_state
from landcover.models.meta import ModelMeta
from landcover.models.names import LEGACY_ENCODERS
from landcover.models.registry import create_model
from landcover.schema import DEEPGLOBE

LEGACY = sorted(LEGACY_ENCODERS)


def old_model(arch: str) -> torch.nn.Module:
    """``<arch>-lite0`` as the registry built it before: smp's timm-tf_efficientnet_lite0."""
    torch.manual_seed(0)
    model = create_model(f"{arch}-lite0", 7, legacy_encoder=True)
    assert type(model.encoder).__name__ == "EfficientNetLiteEncoder"
    with torch.no_grad():  # non-trivial BatchNorm statistics, so that eps and stats matter
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
    return model.eval()


def save_lightning(path: Path, model: torch.nn.Module, meta: ModelMeta) -> Path:
    """The layout ``landcover train`` writes: ``model.``-prefixed keys, meta in hparams."""
    state = {f"model.{k}": v for k, v in model.state_dict().items()}
    state["mean"] = torch.zeros(1, 3, 1, 1)  # the module's own buffers sit beside the model
    torch.save({"state_dict": state, "hyper_parameters": {"meta": meta.to_dict()}}, path)
    return path


@pytest.mark.parametrize(
    "old", [pytest.param(k, marks=[pytest.mark.slow] if i else []) for i, k in enumerate(LEGACY)]
)
def test_supported_name_is_the_same_network_as_the_deprecated_one(old: str) -> None:
    """Equal features at strides 4..32 once the keys are renamed (not tu-tf_..., TF padding)."""
    from segmentation_models_pytorch.encoders import get_encoder

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        a = get_encoder(old, weights=None).eval()
    b = get_encoder(LEGACY_ENCODERS[old], weights=None).eval()
    state = upgrade_state("fpn-lite0", {f"encoder.{k}": v for k, v in a.state_dict().items()})
    b.load_state_dict({k[len("encoder.") :]: v for k, v in state.items()})
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        for fa, fb in list(zip(a(x), b(x), strict=True))[2:]:
            assert torch.equal(fa, fb)


@pytest.mark.parametrize(
    ("arch", "form"),
    [
        ("fpn", "lightning"),
        ("fpn", "plain"),
        ("pspnet", "lightning"),
        pytest.param("upernet", "plain", marks=pytest.mark.slow),
    ],
)
def test_old_checkpoint_upgrades_to_the_tu_encoder_with_identical_outputs(
    tmp_path: Path, arch: str, form: str
) -> None:
    old = old_model(arch)
    meta = ModelMeta(f"{arch}-lite0", DEEPGLOBE)
    path = tmp_path / f"old.{'ckpt' if form == 'lightning' else 'pt'}"
    if form == "lightning":
        save_lightning(path, old, meta)
    else:
        save_weights(path, old, meta)
    new, _ = load_checkpoint(path)
    assert type(new.encoder).__name__ == "TimmUniversalEncoder"
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(new(x), old(x))
    state, meta = read_checkpoint(path)  # fine-tuning: a fresh model takes the weights
    assert not is_legacy_state(meta.arch, state)
    build_model(meta).load_state_dict(state)


@pytest.mark.parametrize("arch", ["unet", "deeplabv3plus"])
def test_old_checkpoint_of_a_decoder_reading_stride_2_keeps_the_old_encoder(
    tmp_path: Path, arch: str
) -> None:
    old = old_model(arch)
    path = save_lightning(tmp_path / "old.ckpt", old, ModelMeta(f"{arch}-lite0", DEEPGLOBE))
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)  # silenced inside, on purpose
        new, _ = load_checkpoint(path)
    assert type(new.encoder).__name__ == "EfficientNetLiteEncoder"
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(new(x), old(x))


def test_every_exact_arch_is_tested() -> None:
    assert EXACT_ARCHS == {"fpn", "pspnet", "upernet"}  # add a case above for a new one


def test_new_checkpoints_are_left_as_they_are(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = create_model("unet-lite0", 7).eval()
    meta = ModelMeta("unet-lite0", DEEPGLOBE)
    path = save_lightning(tmp_path / "new.ckpt", model, meta)
    state, _ = read_checkpoint(path)
    assert state.keys() == model.state_dict().keys()
    loaded, _ = load_checkpoint(path)
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(loaded(x), model(x))
    # seed-unet and non-Lite encoders never count as legacy
    assert not is_legacy_state("seed-unet", {"encoder.conv_stem.weight": 0})
    assert not is_legacy_state("fpn-resnet18", {"encoder.conv_stem.weight": 0})
