"""Model names: ``seed-unet`` or ``<arch>-<encoder>``, their aliases and smp's deprecated names.

Torch-free, so that a config or a checkpoint's name is checked without importing PyTorch; the
factory building the network from a name is :func:`landcover.models.registry.create_model`.
``lite0``..``lite4`` stand for ``tu-efficientnet_liteN``; smp's deprecated
``timm-tf_efficientnet_liteN`` names are read as the same encoder (:data:`LEGACY_ENCODERS`, see
:mod:`landcover.models.compat`).
"""

from __future__ import annotations

from landcover.errors import InputError

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
ENCODER_ALIASES = {f"lite{i}": f"tu-efficientnet_lite{i}" for i in range(5)}
#: smp's deprecated encoder name -> the supported name computing the same network.
LEGACY_ENCODERS: dict[str, str] = {
    f"timm-tf_efficientnet_lite{i}": f"tu-efficientnet_lite{i}" for i in range(5)
}


def parse_name(name: str) -> tuple[str, str | None]:
    """Split a model name into ``(arch, encoder)``; ``encoder`` is ``None`` for ``seed-unet``.

    The encoder comes back as smp names it: aliases (``lite0``) and deprecated names
    (``timm-tf_efficientnet_lite0``) resolved, e.g. ``("fpn", "tu-efficientnet_lite0")``.

    Raises:
        InputError: for a name that is neither ``seed-unet`` nor ``<arch>-<encoder>``.
    """
    if name == "seed-unet":
        return name, None
    arch, sep, encoder = name.partition("-")
    if not sep or arch.lower() not in SMP_ARCHS or not encoder:
        raise InputError(
            f"unknown model {name!r}: use 'seed-unet' or '<arch>-<encoder>' with arch in "
            f"{sorted(SMP_ARCHS)}, e.g. 'unet-resnet34'"
        )
    encoder = ENCODER_ALIASES.get(encoder, encoder)
    return arch.lower(), LEGACY_ENCODERS.get(encoder, encoder)


def legacy_name(encoder: str) -> str | None:
    """The deprecated smp name of a supported encoder name, or ``None`` if it has none."""
    for old, new in LEGACY_ENCODERS.items():
        if new == encoder:
            return old
    return None
