"""Model names resolve to smp's supported encoders, once, in the registry."""

from __future__ import annotations

import warnings

import pytest

torch = pytest.importorskip("torch", reason="needs PyTorch: pip install 'landcover[train]'")

from landcover.errors import InputError, LandcoverError
from landcover.models.names import parse_name
from landcover.models.registry import create_model


def test_lite_aliases_and_deprecated_names_resolve_to_tu_encoders() -> None:
    assert parse_name("fpn-lite0") == ("fpn", "tu-efficientnet_lite0")
    assert parse_name("unet-lite4") == ("unet", "tu-efficientnet_lite4")
    assert parse_name("fpn-timm-tf_efficientnet_lite2") == ("fpn", "tu-efficientnet_lite2")
    assert parse_name("unet-resnet34") == ("unet", "resnet34")
    assert parse_name("seed-unet") == ("seed-unet", None)


@pytest.mark.parametrize("name", ["fpn-lite0", "unet-lite1", "unet-timm-tf_efficientnet_lite0"])
def test_lite_models_build_without_deprecation_warnings(name: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        model = create_model(name, 7)
    assert type(model.encoder).__name__ == "TimmUniversalEncoder"
    assert model(torch.zeros(1, 3, 64, 64)).shape == (1, 7, 64, 64)


@pytest.mark.parametrize("name", ["nonsense", "fpn-", "vnet-resnet34"])
def test_unknown_names_are_input_errors(name: str) -> None:
    with pytest.raises(InputError, match="unknown model") as e:
        create_model(name, 7)
    assert isinstance(e.value, ValueError) and isinstance(e.value, LandcoverError)


def test_unknown_encoder_is_a_one_line_input_error() -> None:
    with pytest.raises(ValueError, match="cannot build model 'unet-tu-no_such_net'") as e:
        create_model("unet-tu-no_such_net", 7)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("name", ["seed-unet", "fpn-resnet18"])
def test_unknown_model_kwargs_are_input_errors(name: str) -> None:
    """``model_kwargs`` come from a user's YAML: a wrong key is their input, not a crash."""
    with pytest.raises(InputError, match=f"cannot build model '{name}'.*no_such_option"):
        create_model(name, 7, no_such_option=1)
