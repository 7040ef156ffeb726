"""What a prediction run is asked to do: one typed, validated options object.

:class:`PredictOptions` travels unchanged from the command line (or a library call) through
the batch runner and Dask workers to the scene mapper; it is checked once, when made, and its
fields (minus :data:`NEUTRAL`) are the options part of a run's fingerprint, which decides
whether a run folder is resumed.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from landcover.errors import InputError
from landcover.io.bands import BandSpec, as_band

#: Fields that change no output (so a run resumes when only they differ).
NEUTRAL = ("batch_size",)


@dataclass(frozen=True)
class PredictOptions:
    """How to map scenes; every field has the command line's default.

    Attributes:
        gsd_m: the inputs' metres per pixel (``--gsd``); ``None``: from georeferencing,
            ``tiles.csv`` or an estimate.
        estimate: estimate an unknown GSD from the pixels (else map at the image's pixels).
        overlap: fraction of a window shared with its neighbours, in [0, 1).
        tta: average over flips and a quarter turn.
        bands: 1-based bands (or band names) read as RGB, or as the bands of a model of other
            than three (``None``: RGB by meaning, or the bands the model records).
        probabilities: also write ``<stem>_probabilities.tif``.
        confidence: also write ``<stem>_confidence.tif``.
        vector: also write ``<stem>_polygons.gpkg`` (the ``[gis]`` extra).
        mmu_ha: with ``vector``, the minimum mapping unit in hectares.
        alpha: opacity of the class colours in the overlay, in [0, 1].
        batch_size: windows per model call (changes no output).
        block_size: side of a block read at once, in model pixels (default 1536, at least a
            tile); bounds memory.

    Raises:
        InputError: when a value is out of range, naming the option.
    """

    gsd_m: float | None = None
    estimate: bool = True
    overlap: float = 0.25
    tta: bool = False
    bands: tuple[BandSpec, ...] | None = None
    probabilities: bool = False
    confidence: bool = False
    vector: bool = False
    mmu_ha: float = 0.0
    alpha: float = 0.5
    batch_size: int = 4
    block_size: int | None = None

    def __post_init__(self) -> None:
        if self.bands is not None:  # a list from a caller becomes hashable and frozen
            object.__setattr__(self, "bands", tuple(as_band(b) for b in self.bands))
        _check(self)

    def fingerprint(self) -> dict[str, Any]:
        """The fields that decide the outputs, as JSON values (a run's fingerprint)."""
        values = dataclasses.asdict(self)
        if self.bands is not None:
            values["bands"] = list(self.bands)
        return {k: v for k, v in values.items() if k not in NEUTRAL}


def _check(o: PredictOptions) -> None:
    """One-line errors naming the option, as the command line spells it."""
    if o.gsd_m is not None and not (math.isfinite(o.gsd_m) and o.gsd_m > 0):
        raise InputError(f"--gsd must be a positive number of metres, got {o.gsd_m}")
    if not (0.0 <= o.overlap < 1.0):
        raise InputError(f"--overlap must be in [0, 1), got {o.overlap}")
    if not (0.0 <= o.alpha <= 1.0):
        raise InputError(f"--alpha must be between 0 and 1, got {o.alpha}")
    if o.batch_size < 1:
        raise InputError(f"--batch-size must be at least 1, got {o.batch_size}")
    if o.block_size is not None and o.block_size < 1:
        raise InputError(f"block_size must be at least 1 model pixel, got {o.block_size}")
    if not (math.isfinite(o.mmu_ha) and o.mmu_ha >= 0) or (o.mmu_ha and not o.vector):
        raise InputError("--mmu takes hectares >= 0 and applies to --vector polygons")
    _check_bands(o.bands)


def _check_bands(bands: Sequence[BandSpec] | None) -> None:
    if bands is not None and (not bands or any(isinstance(b, int) and b < 1 for b in bands)):
        raise InputError(f"--bands takes 1-based band numbers or names, got {list(bands)}")
