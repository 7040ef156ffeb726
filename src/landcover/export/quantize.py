"""Static int8 quantisation of an exported ONNX model, calibrated on real imagery.

Weights become int8 per output channel, activations uint8 per tensor (QDQ format: standard
``QuantizeLinear``/``DequantizeLinear`` nodes, so any ONNX Runtime and QGIS's Deepness read it).
Activation ranges come from running the float model on ``count`` calibration tiles: images
resampled to the model's GSD and cut (or reflection-padded) to its tile size, exactly as
``predict`` feeds them. On CPUs with VNNI/AMX the model runs about 1.4x faster in int8 than
fp32 (see ``benchmarks/predict_throughput.py``). Needs ``onnx`` (the ``[train]`` extra).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
from rasterio.windows import Window

from landcover.errors import LandcoverError
from landcover.inference.engine import normalise, pad_to_tile, scale_for, to_model_grid
from landcover.inference.model_bands import model_reader
from landcover.inference.onnx_backend import OnnxPredictor
from landcover.inference.predict import expand_inputs, scene_gsd
from landcover.io.atomic import atomic_path, prepare_output_file
from landcover.models.meta import ModelMeta

DEFAULT_COUNT = 16


def pick_images(
    inputs: Sequence[str | Path], count: int = DEFAULT_COUNT, seed: int = 0
) -> list[Path]:
    """``count`` image files drawn at random from ``inputs`` (files or folders; masks skipped)."""
    files = expand_inputs(inputs)
    if count < 1:
        raise LandcoverError(f"calibration count must be at least 1, got {count}")
    if len(files) <= count:
        return files
    picked = np.random.default_rng(seed).choice(len(files), count, replace=False)
    return [files[i] for i in sorted(picked)]


def calibration_tiles(
    images: Sequence[str | Path],
    meta: ModelMeta,
    gsd_m: float | None = None,
    seed: int = 0,
) -> Iterator[np.ndarray]:
    """Yield one normalised ``(1, C, S, S)`` float32 model input per image (C: its bands).

    Each image is resampled from ``gsd_m`` (default: as ``predict`` finds it) to the
    model's GSD; a random ``S x S`` window is taken, or the image is reflection-padded to it.
    """
    rng = np.random.default_rng(seed)
    size = meta.tile_size
    for path in map(Path, images):
        with model_reader(meta, path) as reader:
            info = reader.info
            rgb, valid = reader.read(
                Window(col_off=0, row_off=0, width=info.width, height=info.height)
            )
            gsd = scene_gsd(path, reader, gsd_m)
        scale = scale_for(gsd.metres, meta.gsd_m, f"{path} ({gsd.source} GSD)", gsd.estimated)
        image = to_model_grid(rgb, valid, scale, meta)
        h, w = image.shape[:2]
        r = int(rng.integers(0, h - size + 1)) if h > size else 0
        c = int(rng.integers(0, w - size + 1)) if w > size else 0
        image = pad_to_tile(image[r : r + size, c : c + size], size)
        yield normalise(image, meta)[None]


def quantize_onnx(
    src: str | Path,
    out: str | Path,
    images: Sequence[str | Path],
    *,
    gsd_m: float | None = None,
    overwrite: bool = False,
) -> Path:
    """Write an int8 copy of the ONNX model ``src`` to ``out``, calibrated on ``images``.

    The copy keeps the source's metadata, opset and names; LandcoverError for an unreadable
    source, no images, or an ``out`` that ``prepare_output_file`` refuses.
    """
    import onnx  # [train] extra: lazy

    # onnxruntime.quantization needs onnx (the [train] extra): lazy
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    # onnxruntime.quantization needs onnx (the [train] extra): lazy
    from onnxruntime.quantization.shape_inference import quant_pre_process

    src = Path(src)
    out = prepare_output_file(out, "the ONNX file", overwrite=overwrite)
    if not images:
        raise LandcoverError("no calibration images given for int8 quantisation")
    predictor = OnnxPredictor(src)
    meta, input_name = predictor.meta, predictor.input_name
    del predictor
    tiles = calibration_tiles(images, meta, gsd_m)

    class Reader(CalibrationDataReader):  # type: ignore[misc]
        def get_next(self) -> dict[str, np.ndarray] | None:
            x = next(tiles, None)
            return None if x is None else {input_name: x}

    source = onnx.load(str(src))
    with tempfile.TemporaryDirectory(prefix="landcover-int8-") as tmp:
        pre = Path(tmp) / "pre.onnx"
        quant_pre_process(str(src), str(pre), skip_symbolic_shape=True)
        q = Path(tmp) / "int8.onnx"
        quantize_static(
            str(pre),
            str(q),
            Reader(),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            extra_options={"CalibMovingAverage": True},
        )
        proto = onnx.load(str(q))
    _restore_header(proto, source)
    onnx.checker.check_model(proto)
    with atomic_path(out) as tmp_out:
        onnx.save(proto, str(tmp_out))
    return out


def _restore_header(proto: object, source: object) -> None:
    """Give the quantised model the source's metadata, IR version and only opsets it uses."""
    del proto.metadata_props[:]  # type: ignore[attr-defined]
    proto.metadata_props.extend(source.metadata_props)  # type: ignore[attr-defined]
    proto.ir_version = source.ir_version  # type: ignore[attr-defined]
    proto.producer_name = source.producer_name  # type: ignore[attr-defined]
    used = {n.domain for n in proto.graph.node}  # type: ignore[attr-defined]
    if used - {"", "ai.onnx"}:
        raise LandcoverError(f"quantised graph uses non-standard operator domains {sorted(used)}")
    opsets = [o for o in source.opset_import if o.domain in ("", "ai.onnx")]  # type: ignore[attr-defined]
    del proto.opset_import[:]  # type: ignore[attr-defined]
    proto.opset_import.extend(opsets)  # type: ignore[attr-defined]
