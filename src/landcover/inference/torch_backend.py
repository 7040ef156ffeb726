"""PyTorch backend: fp32, or bf16 autocast on CPUs with native bf16 (AMX/AVX512-BF16) or CUDA."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from landcover.errors import require_torch
from landcover.inference.cpu import has_bf16
from landcover.models.meta import ModelMeta


class TorchPredictor:
    """Run a torch model; softmax applied here.

    Args:
        model: network returning logits ``(N, K, S, S)``.
        meta: the model's contract.
        precision: ``fp32``, ``bf16`` (autocast) or ``auto`` (bf16 where the hardware has it).
        device: ``cpu`` or ``cuda``.
        path: the checkpoint it was loaded from, if any.

    Attributes:
        flexible: ``False``: windows are always the tile size.
    """

    flexible = False

    def __init__(
        self,
        model: Any,
        meta: ModelMeta,
        precision: str = "fp32",
        device: str = "cpu",
        path: Path | None = None,
    ) -> None:
        import torch  # [train] extra: lazy

        self.meta = meta
        self.path = path
        self.device = torch.device(device)
        if precision == "auto":
            precision = "bf16" if device == "cuda" or has_bf16() else "fp32"
        self.precision = precision
        self.model = model.eval().to(self.device)
        if precision == "bf16":
            self.model = self.model.to(memory_format=torch.channels_last)

    @classmethod
    def from_checkpoint(
        cls, path: str | Path, threads: int | None = None, precision: str = "fp32"
    ) -> TorchPredictor:
        """Load a checkpoint written by ``landcover train`` or ``save_weights``."""
        require_torch()
        import torch  # [train] extra: lazy

        # [train] extra: lazy (models.checkpoint imports torch)
        from landcover.models.checkpoint import load_checkpoint

        if threads:
            torch.set_num_threads(threads)
        model, meta = load_checkpoint(path)
        return cls(model, meta, precision=precision, path=Path(path))

    def predict_batch(self, x: np.ndarray) -> np.ndarray:
        """Map ``(N, C, S, S)`` float32 normalised input to ``(N, K, S, S)`` probabilities."""
        import torch  # [train] extra: lazy

        t = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).to(self.device)
        with torch.inference_mode():
            if self.precision == "bf16":
                t = t.contiguous(memory_format=torch.channels_last)
                with torch.autocast(self.device.type, dtype=torch.bfloat16):
                    logits = self.model(t)
            else:
                logits = self.model(t)
            probs = torch.softmax(logits.float(), dim=1)
        return probs.cpu().numpy()
