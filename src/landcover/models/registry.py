"""One factory turning a model name from a config into a network.

Names: ``seed-unet`` (the notebook's U-Net) or ``<arch>-<encoder>`` for any
segmentation-models-pytorch architecture and encoder, e.g. ``unet-resnet34``,
``fpn-mobilenet_v2``, ``unetplusplus-efficientnet-b0``. Short aliases ``lite0``..``lite4``
stand for smp's ``timm-tf_efficientnet_liteN`` encoders.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from landcover.errors import LandcoverError

SMP_ARCHS = {
    "unet": "Unet",
    "unetplusplus": "UnetPlusPlus",
    "fpn": "FPN",
    "deeplabv3": "DeepLabV3",
    "deeplabv3plus": "DeepLabV3Plus",
    "linknet": "Linknet",
    "pspnet": "PSPNet",
    "pan": "PAN",
    "manet": "MAnet",
    "upernet": "UPerNet",
    "segformer": "Segformer",
}
ENCODER_ALIASES = {f"lite{i}": f"timm-tf_efficientnet_lite{i}" for i in range(5)}


def parse_name(name: str) -> tuple[str, str | None]:
    """Split a model name into ``(arch, encoder)``; ``encoder`` is ``None`` for ``seed-unet``."""
    if name == "seed-unet":
        return name, None
    arch, sep, encoder = name.partition("-")
    if not sep or arch.lower() not in SMP_ARCHS or not encoder:
        raise LandcoverError(
            f"unknown model {name!r}: use 'seed-unet' or '<arch>-<encoder>' with arch in "
            f"{sorted(SMP_ARCHS)}, e.g. 'unet-resnet34'"
        )
    return arch.lower(), ENCODER_ALIASES.get(encoder, encoder)


def create_model(name: str, num_classes: int, in_channels: int = 3, **kwargs: Any) -> nn.Module:
    """Build an untrained network returning logits ``(N, num_classes, H, W)``.

    Args:
        name: registry name (see module docstring).
        num_classes: number of output classes.
        in_channels: number of input bands.
        **kwargs: passed to the architecture (e.g. ``decoder_channels`` for smp models).
    """
    arch, encoder = parse_name(name)
    if encoder is None:
        from landcover.models.seed_unet import SeedUNet

        return SeedUNet(in_channels=in_channels, classes=num_classes, **kwargs)
    import segmentation_models_pytorch as smp

    cls = getattr(smp, SMP_ARCHS[arch])
    try:
        return cls(
            encoder_name=encoder,
            encoder_weights=None,
            in_channels=in_channels,
            classes=num_classes,
            **kwargs,
        )
    except (KeyError, ValueError) as e:
        raise LandcoverError(f"cannot build model {name!r}: {e}") from e
