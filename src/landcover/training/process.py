"""Process-wide settings a training run needs, scoped to the run and restored after it.

Torch's thread count, warning filters, logger propagation, cuDNN and determinism flags, global
random states and Lightning's seed variables belong to the whole Python process: a library call
that changes them changes them for its caller too. :func:`scoped_process_settings` sets what a
run needs and puts every one back as it was when the run ends, however it ends.
"""

from __future__ import annotations

import logging
import os
import random
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Environment variables that ``lightning.seed_everything`` and the Trainer set.
ENV_VARS = ("PL_GLOBAL_SEED", "PL_SEED_WORKERS", "CUBLAS_WORKSPACE_CONFIG")

#: Known-harmless warnings hidden during a run.
QUIET_WARNINGS = (".*LeafSpec.*", "Checkpoint directory .* exists and is not empty")

LIGHTNING_LOGGER = "lightning.pytorch"


@dataclass
class ProcessSettings:
    """A snapshot of the process-wide settings that training changes."""

    threads: int
    propagate: bool
    cudnn_benchmark: bool
    cudnn_deterministic: bool
    deterministic: bool
    deterministic_warn_only: bool
    env: dict[str, str | None]
    python_rng: Any
    numpy_rng: Any
    torch_rng: Any
    cuda_rng: list[Any] | None

    @classmethod
    def capture(cls) -> ProcessSettings:
        """The current settings."""
        import torch  # [train] extra: lazy

        cuda = torch.cuda.is_available() and torch.cuda.is_initialized()
        return cls(
            threads=torch.get_num_threads(),
            propagate=logging.getLogger(LIGHTNING_LOGGER).propagate,
            cudnn_benchmark=torch.backends.cudnn.benchmark,
            cudnn_deterministic=torch.backends.cudnn.deterministic,
            deterministic=torch.are_deterministic_algorithms_enabled(),
            deterministic_warn_only=torch.is_deterministic_algorithms_warn_only_enabled(),
            env={name: os.environ.get(name) for name in ENV_VARS},
            python_rng=random.getstate(),
            numpy_rng=np.random.get_state(),
            torch_rng=torch.get_rng_state(),
            cuda_rng=torch.cuda.get_rng_state_all() if cuda else None,
        )

    def restore(self) -> None:
        """Put the captured settings back."""
        import torch  # [train] extra: lazy

        torch.set_num_threads(self.threads)
        logging.getLogger(LIGHTNING_LOGGER).propagate = self.propagate
        torch.backends.cudnn.benchmark = self.cudnn_benchmark
        torch.backends.cudnn.deterministic = self.cudnn_deterministic
        torch.use_deterministic_algorithms(
            self.deterministic, warn_only=self.deterministic_warn_only
        )
        for name, value in self.env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        random.setstate(self.python_rng)
        np.random.set_state(self.numpy_rng)
        torch.set_rng_state(self.torch_rng)
        if self.cuda_rng is not None:
            torch.cuda.set_rng_state_all(self.cuda_rng)


@contextmanager
def scoped_process_settings(threads: int | None = None) -> Iterator[None]:
    """Set what a training run needs for the duration of the ``with`` block, then restore.

    Inside: torch uses ``threads`` CPU threads (all cores when ``None``), Lightning's logger
    does not propagate (it prints its own lines) and :data:`QUIET_WARNINGS` are hidden. On exit
    (also by an exception) these, the warning filters, and what the run itself may change
    (cuDNN and determinism flags, global random states, Lightning's seed variables) are as
    they were before.
    """
    import torch  # [train] extra: lazy

    saved = ProcessSettings.capture()
    try:
        with warnings.catch_warnings():
            for message in QUIET_WARNINGS:
                warnings.filterwarnings("ignore", message=message)
            logging.getLogger(LIGHTNING_LOGGER).propagate = False
            torch.set_num_threads(int(threads or os.cpu_count() or 1))
            yield
    finally:
        saved.restore()
