"""Which process of a distributed run this is (Lightning DDP, torchrun, SLURM).

Lightning's DDP launcher starts ranks 1..N-1 with the same command line as rank 0 (torchrun and
SLURM start every rank so), so every rank runs :func:`landcover.training.run.train`. Only the
global rank 0 claims the run folder and writes ``split.csv`` and ``config.yaml``; the others
join it (they compute the same split from the same seed) and leave the writing of checkpoints
and metrics to Lightning, which does it on rank 0.
"""

from __future__ import annotations

import os

RANK_VARIABLES = ("RANK", "SLURM_PROCID", "NODE_RANK", "LOCAL_RANK")


def is_rank_zero() -> bool:
    """True unless an environment variable of a distributed launcher names another rank."""
    return all(os.environ.get(v, "0").strip() in ("", "0") for v in RANK_VARIABLES)
