"""Export a checkpoint to ONNX with softmax baked in and Deepness/landcover metadata.

The graph has one input ``[N, 3, S, S]`` float32 (``N`` dynamic, ``S`` fixed) and one output
``[N, K, S, S]`` of softmax probabilities, at opset 17 so that the ONNX Runtime inside QGIS
loads it. Needs torch and onnx (the ``[train]`` extra).
"""

from __future__ import annotations

import copy
import dataclasses
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from landcover.errors import LandcoverError, LandcoverIOError, require_torch
from landcover.export.quantize import quantize_onnx
from landcover.inference.onnx_meta import OPSET, deepness_metadata
from landcover.io.atomic import atomic_path, prepare_output_file
from landcover.models.meta import ModelMeta

IR_VERSION = 8  # ONNX Runtime >= 1.13 reads IR 8; newer IRs are refused by older builds.


def export_onnx(
    model: Any,
    meta: ModelMeta,
    out: str | Path,
    *,
    tile_size: int | None = None,
    overlap_percent: int = 25,
    calibration: Sequence[str | Path] | None = None,
) -> Path:
    """Write ``model`` (logits out) as an ONNX file with softmax and metadata, atomically.

    With ``calibration`` images the file is int8-quantised
    (:func:`~landcover.export.quantize.quantize_onnx`), otherwise float32.

    Args:
        model: a torch ``nn.Module`` returning logits ``(N, K, H, W)``.
        meta: its contract; ``tile_size`` overrides ``meta.tile_size`` (fully convolutional
            models run at any size; a larger tile means fewer windows per image).
        out: the ``.onnx`` file to write.
        tile_size: fixed input side ``S`` of the exported graph.
        overlap_percent: ``tiles_overlap`` advertised to Deepness.
        calibration: image files to calibrate int8 quantisation on.

    Returns:
        The written path.
    """
    require_torch()
    import onnx  # [train] extra: lazy

    out = Path(out)
    if tile_size is not None:
        if tile_size < 32 or tile_size % 32:
            raise LandcoverError(f"--tile-size {tile_size} must be a positive multiple of 32")
        meta = dataclasses.replace(meta, tile_size=int(tile_size))
    prepare_output_file(out, "the ONNX file", overwrite=True)
    if calibration:
        with tempfile.TemporaryDirectory(prefix="landcover-export-") as tmp:
            fp32 = export_onnx(
                model, meta, Path(tmp) / "fp32.onnx", overlap_percent=overlap_percent
            )
            return quantize_onnx(fp32, out, calibration, overwrite=True)
    wrapped = with_softmax(with_pairwise_merge(model).eval())
    try:
        with atomic_path(out) as tmp:
            _trace(wrapped, meta, tmp)
            proto = onnx.load(str(tmp))
            proto.ir_version = min(proto.ir_version, IR_VERSION)
            del proto.metadata_props[:]
            for key, value in deepness_metadata(meta, overlap_percent).items():
                entry = proto.metadata_props.add()
                entry.key, entry.value = key, value
            proto.producer_name = "landcover"
            onnx.checker.check_model(proto)
            onnx.save(proto, str(tmp))
    except LandcoverError:
        raise
    except OSError as e:  # permission denied, disk full...
        raise LandcoverIOError(f"cannot write here ({e.strerror or e})", out) from e
    return out


def _trace(wrapped: Any, meta: ModelMeta, path: Path) -> None:
    """``torch.onnx.export`` of ``wrapped`` at ``meta.tile_size`` (batch dynamic) to ``path``."""
    import torch  # [train] extra: lazy

    dummy = torch.zeros(1, meta.in_channels, meta.tile_size, meta.tile_size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            wrapped,
            (dummy,),
            str(path),
            input_names=["input"],
            output_names=["probabilities"],
            dynamic_axes={"input": {0: "N"}, "probabilities": {0: "N"}},
            opset_version=OPSET,
            dynamo=False,
            do_constant_folding=True,
        )


def export_checkpoint(
    checkpoint: str | Path,
    out: str | Path,
    *,
    tile_size: int | None = None,
    overlap_percent: int = 25,
    overwrite: bool = False,
    calibration: Sequence[str | Path] | None = None,
) -> Path:
    """Load a checkpoint and :func:`export_onnx` it (int8 with ``calibration``); returns the path.

    Raises:
        LandcoverError: when ``checkpoint`` is a folder or an ONNX file, or ``out`` already
            exists and ``overwrite`` is false (checked before the model is loaded).
    """
    require_torch()
    # [train] extra: lazy (models.checkpoint imports torch)
    from landcover.models.checkpoint import load_checkpoint

    src, out = Path(checkpoint), Path(out)
    if src.is_dir():
        raise LandcoverIOError("is a folder, not a checkpoint file", src)
    if src.suffix.lower() == ".onnx":
        raise LandcoverError(
            "is already an ONNX model; export needs a checkpoint (.ckpt, .pt)", src
        )
    prepare_output_file(out, "the ONNX file", overwrite=overwrite)
    model, meta = load_checkpoint(checkpoint)
    return export_onnx(
        model,
        meta,
        out,
        tile_size=tile_size,
        overlap_percent=overlap_percent,
        calibration=calibration,
    )


def dynamic_size_copy(src: str | Path, out: str | Path) -> Path:
    """Copy the ONNX model ``src`` to ``out`` with its input and output sides made dynamic.

    The graph computes the same function (the models are fully convolutional); ``predict``
    then runs an image smaller than a tile at its own size, rounded up to a multiple of 32,
    instead of padding it to the full tile. The fixed-size original stays the one for
    Deepness, which reads the tile size from the input shape.
    """
    import onnx  # [train] extra: lazy

    proto = onnx.load(str(src))
    for value in [*proto.graph.input, *proto.graph.output]:
        dims = value.type.tensor_type.shape.dim
        for axis, name in ((2, "H"), (3, "W")):
            dims[axis].ClearField("dim_value")
            dims[axis].dim_param = name
    del proto.graph.value_info[:]  # shapes inferred at the fixed size no longer hold
    onnx.checker.check_model(proto)
    with atomic_path(Path(out)) as tmp:
        onnx.save(proto, str(tmp))
    return Path(out)


def with_pairwise_merge(model: Any) -> Any:
    """A copy of ``model`` whose FPN "add" merges sum their inputs pairwise.

    smp's ``MergeBlock`` adds the pyramid levels as ``stack(x).sum(0)``, which exports as
    Concat + ReduceSum over a 4x larger tensor; in an int8 graph that tensor is also
    dequantised whole. Pairwise additions compute the same sum at a fraction of the cost.
    Models without such blocks are returned as they are.
    """
    import torch  # [train] extra: lazy

    try:
        # [train] extra: lazy
        from segmentation_models_pytorch.decoders.fpn.decoder import MergeBlock
    except ImportError:  # smp absent: no FPN to rewrite
        return model

    class PairwiseAdd(torch.nn.Module):
        def forward(self, x: list[torch.Tensor]) -> torch.Tensor:
            out = x[0]
            for t in x[1:]:
                out = out + t
            return out

    names = [n for n, m in model.named_modules() if isinstance(m, MergeBlock) and m.policy == "add"]
    if not names:
        return model
    model = copy.deepcopy(model)
    for name in names:
        parent_name, _, child = name.rpartition(".")
        setattr(model.get_submodule(parent_name), child, PairwiseAdd())
    return model


def with_softmax(model: Any) -> Any:
    """Wrap a logits model so that it returns softmax probabilities over the class axis."""
    import torch  # [train] extra: lazy

    class WithSoftmax(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            # Written out: ONNX Runtime's Softmax over axis 1 of NCHW transposes twice and
            # costs a fifth of the whole model at 1024 px; these five ops cost ~3 %.
            y = self.inner(x)
            e = torch.exp(y - y.amax(dim=1, keepdim=True))
            return e / e.sum(dim=1, keepdim=True)

    return WithSoftmax(model)
