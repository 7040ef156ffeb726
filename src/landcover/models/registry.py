"""One factory turning a model name from a config into a network.

Names: ``seed-unet`` (the notebook's U-Net) or ``<arch>-<encoder>`` for any
segmentation-models-pytorch architecture and encoder, e.g. ``unet-resnet34``,
``fpn-mobilenet_v2``, ``unetplusplus-efficientnet-b0``. Short aliases ``lite0``..``lite4``
stand for ``tu-efficientnet_liteN``: timm's EfficientNet-Lite through smp's ``tu-`` (timm
universal) encoders. smp's deprecated ``timm-tf_efficientnet_liteN`` names are read as the same
encoder (:data:`landcover.models.names.LEGACY_ENCODERS`); checkpoints trained with them load
through :mod:`landcover.models.compat`.
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any

from torch import nn

from landcover.errors import InputError
from landcover.models.names import SMP_ARCHS, legacy_name, parse_name


def create_model(
    name: str,
    num_classes: int,
    in_channels: int = 3,
    *,
    legacy_encoder: bool = False,
    **kwargs: Any,
) -> nn.Module:
    """Build an untrained network returning logits ``(N, num_classes, H, W)``.

    Args:
        name: registry name (see module docstring).
        num_classes: number of output classes.
        in_channels: number of input bands.
        legacy_encoder: build an EfficientNet-Lite encoder as smp's deprecated
            ``timm-tf_efficientnet_liteN`` (the layout of checkpoints trained before the move to
            ``tu-`` names, see :mod:`landcover.models.compat`); other encoders ignore it.
        **kwargs: passed to the architecture (e.g. ``decoder_channels`` for smp models).

    Raises:
        InputError: for an unknown name or arguments the architecture refuses.
    """
    arch, encoder = parse_name(name)
    if encoder is None:
        # [train] extra: lazy (models.seed_unet imports torch)
        from landcover.models.seed_unet import SeedUNet

        try:
            return SeedUNet(in_channels=in_channels, classes=num_classes, **kwargs)
        except TypeError as e:  # an unknown model_kwargs key
            raise InputError(f"cannot build model {name!r}: {e}") from e
    import segmentation_models_pytorch as smp  # [train] extra: lazy

    cls = getattr(smp, SMP_ARCHS[arch])
    unknown = sorted(set(kwargs) - set(inspect.signature(cls).parameters))
    if unknown and not encoder.startswith("tu-"):  # smp passes the rest to tu- encoders only
        raise InputError(
            f"cannot build model {name!r}: {cls.__name__} has no option "
            f"{', '.join(map(repr, unknown))} (see model_kwargs)"
        )
    old = legacy_name(encoder) if legacy_encoder else None
    try:
        with warnings.catch_warnings():
            if old is not None:  # on purpose: the only way to run the old checkpoints
                warnings.simplefilter("ignore", DeprecationWarning)
            return cls(
                encoder_name=old or encoder,
                encoder_weights=None,
                in_channels=in_channels,
                classes=num_classes,
                **kwargs,
            )
    except (KeyError, ValueError, TypeError, RuntimeError) as e:
        raise InputError(f"cannot build model {name!r}: {str(e).splitlines()[0]}") from e
