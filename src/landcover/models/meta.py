"""The model contract: everything needed to use a trained model, carried inside its file.

Torch-free, so that ONNX prediction never imports torch. Stored in Lightning checkpoints as
``hyper_parameters["meta"]`` and in exported ONNX files as the ``landcover_meta`` metadata key.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from landcover.errors import InputError, LandcoverError
from landcover.schema import ClassSchema

FORMAT_VERSION = 1


@dataclass(frozen=True)
class ModelMeta:
    """What a model needs around it to be used.

    Args:
        arch: registry name, e.g. ``seed-unet`` or ``unet-resnet34``.
        schema: the class schema it predicts (``num_classes`` outputs).
        mean: per-channel mean applied after dividing pixel values by 255.
        std: per-channel std applied after dividing pixel values by 255.
        gsd_m: ground sampling distance of the training data in metres per pixel, if known.
        tile_size: square input size the model was trained on and is run at.
        arch_kwargs: extra keyword arguments of the architecture factory.
        in_channels: number of input bands.
        bands: the 1-based raster bands it was trained on (``None``: the first three, RGB);
            ``predict`` refuses an input without them.
    """

    arch: str
    schema: ClassSchema
    mean: tuple[float, ...] = (0.485, 0.456, 0.406)
    std: tuple[float, ...] = (0.229, 0.224, 0.225)
    gsd_m: float | None = None
    tile_size: int = 512
    arch_kwargs: dict[str, Any] = field(default_factory=dict)
    in_channels: int = 3
    bands: tuple[int, ...] | None = None

    @property
    def num_classes(self) -> int:
        """Number of model outputs."""
        return self.schema.num_classes

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (JSON/YAML-safe)."""
        return {
            "format_version": FORMAT_VERSION,
            "arch": self.arch,
            "arch_kwargs": dict(self.arch_kwargs),
            "schema": self.schema.to_dict(),
            "mean": [float(v) for v in self.mean],
            "std": [float(v) for v in self.std],
            "gsd_m": None if self.gsd_m is None else float(self.gsd_m),
            "tile_size": int(self.tile_size),
            "in_channels": int(self.in_channels),
            **({"bands": [int(b) for b in self.bands]} if self.bands else {}),
        }

    @classmethod
    def from_dict(cls, d: Any, source: str = "model") -> ModelMeta:
        """Inverse of :meth:`to_dict`; a clear error when keys are missing or values invalid.

        Raises:
            InputError: naming ``source``, for missing keys or values no model can have (a
                tile size below 1, a zero std, a normalisation for another band count).
        """
        if not isinstance(d, dict):
            raise InputError("carries no landcover model metadata", source)
        try:
            meta = cls(
                arch=str(d["arch"]),
                schema=ClassSchema.from_dict(d["schema"], source=source),
                mean=tuple(float(v) for v in d["mean"]),
                std=tuple(float(v) for v in d["std"]),
                gsd_m=None if d.get("gsd_m") is None else float(d["gsd_m"]),
                tile_size=int(d["tile_size"]),
                arch_kwargs=dict(d.get("arch_kwargs") or {}),
                in_channels=int(d.get("in_channels", 3)),
                bands=tuple(int(b) for b in d["bands"]) if d.get("bands") else None,
            )
        except LandcoverError:
            raise
        except (KeyError, TypeError, ValueError) as e:
            raise InputError(f"model metadata is incomplete or invalid ({e})", source) from e
        problem = meta._problem()
        if problem:
            raise InputError(f"model metadata is invalid ({problem})", source)
        return meta

    def _problem(self) -> str | None:
        """What makes this contract unusable, or ``None``."""
        if self.tile_size < 1:
            return f"tile_size {self.tile_size}"
        if not len(self.mean) == len(self.std) == self.in_channels:
            return f"{len(self.mean)} means and {len(self.std)} stds for {self.in_channels} bands"
        if self.bands is not None and len(self.bands) != self.in_channels:
            return f"bands {list(self.bands)} for {self.in_channels} input channels"
        if not all(math.isfinite(v) and v > 0 for v in self.std):
            return f"std {list(self.std)} must be positive"
        if self.gsd_m is not None and not (math.isfinite(self.gsd_m) and self.gsd_m > 0):
            return f"gsd_m {self.gsd_m}"
        return None


def check_schema(meta: ModelMeta, schema: ClassSchema, path: str | Path) -> None:
    """Refuse a model trained on another class schema than the data's.

    Raises:
        LandcoverError: naming the model file and both class lists.
    """
    if meta.schema.classes != schema.classes:
        raise LandcoverError(
            f"model predicts schema {meta.schema.name!r} ({', '.join(meta.schema.classes)}) "
            f"but the data uses {schema.name!r} ({', '.join(schema.classes)})",
            path,
        )
