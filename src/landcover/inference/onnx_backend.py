"""ONNX Runtime backend: no torch import, settings from the file's metadata."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from landcover.errors import LandcoverError, LandcoverIOError
from landcover.inference.onnx_meta import meta_from_metadata


class OnnxPredictor:
    """Run an exported model (softmax baked in) with ONNX Runtime on the CPU.

    Args:
        path: ``.onnx`` file written by ``landcover export``.
        threads: intra-op threads (default: all cores).

    Attributes:
        flexible: the graph takes any input side (a multiple of 32), not only the tile size.
        precision: ``int8`` when the graph holds quantised operators, else ``fp32``.
    """

    def __init__(self, path: str | Path, threads: int | None = None) -> None:
        import onnxruntime as ort  # ~0.1 s: loads when a model is opened, not for --help

        self.path = Path(path)
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.intra_op_num_threads = threads or os.cpu_count() or 1
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        # Busy-waiting threads lose badly when the cores are shared with other work; memory
        # patterns pre-plan every activation at once (measured: +400 MB peak at 1024 px).
        opts.enable_mem_pattern = False
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self.session = ort.InferenceSession(
                str(self.path), sess_options=opts, providers=["CPUExecutionProvider"]
            )
        except Exception as e:  # noqa: BLE001 - onnxruntime raises its own untyped errors
            first = str(e).splitlines()[0][:200] if str(e) else type(e).__name__
            raise LandcoverIOError(f"not a readable ONNX model ({first})", self.path) from e
        props = self.session.get_modelmeta().custom_metadata_map
        self.meta = meta_from_metadata(props, self.path)
        inputs = self.session.get_inputs()
        if len(inputs) != 1:
            raise LandcoverError(f"ONNX model has {len(inputs)} inputs; expected 1", self.path)
        self.input_name = inputs[0].name
        shape = inputs[0].shape
        self.flexible = not isinstance(shape[-1], int) and not isinstance(shape[-2], int)
        self.precision = "int8" if self._quantised() else "fp32"
        if isinstance(shape[-1], int) and shape[-1] != self.meta.tile_size:
            raise LandcoverError(
                f"ONNX input size {shape[-1]} differs from its metadata tile_size "
                f"{self.meta.tile_size}",
                self.path,
            )

    def _quantised(self) -> bool:
        """Whether the graph holds int8 operators (their names are plain text in the file)."""
        data = self.path.read_bytes()
        return any(op in data for op in (b"DequantizeLinear", b"QLinearConv", b"ConvInteger"))

    def predict_batch(self, x: np.ndarray) -> np.ndarray:
        """Map ``(N, C, S, S)`` float32 normalised input to ``(N, K, S, S)`` probabilities."""
        x = np.ascontiguousarray(x, dtype=np.float32)
        (out,) = self.session.run(None, {self.input_name: x})
        return np.asarray(out, dtype=np.float32)
