"""Class schemas: the single source of class names, colours and the ignored index.

A schema also encodes RGB masks to class-index arrays and back, with lookup tables (no Python
loop over pixels). A mask colour outside the palette never becomes class 0 silently: it becomes
the ignore index and is counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from landcover.errors import LandcoverError

MatchMode = Literal["threshold", "nearest"]
RGB = tuple[int, int, int]


def _threshold_bits(rgb: np.ndarray) -> np.ndarray:
    """Pack ``channel >= 128`` of the last axis into a 3-bit code (R=4, G=2, B=1)."""
    top = np.asarray(rgb).astype(np.uint8, copy=False) >> 7  # 1 where the channel is >= 128
    return (top[..., 0] << 2) | (top[..., 1] << 1) | top[..., 2]


def count_labels(labels: np.ndarray, num_classes: int) -> np.ndarray:
    """Pixels per class index ``0..num_classes-1`` (``int64``); other values are skipped."""
    if num_classes <= 16:
        # One vectorised comparison per class beats bincount's cast of uint8 to int64 here.
        return np.array([np.count_nonzero(labels == k) for k in range(num_classes)], np.int64)
    return np.bincount(labels.ravel(), minlength=256)[:num_classes].astype(np.int64)


def _pack(rgb: np.ndarray) -> np.ndarray:
    r = rgb[..., 0].astype(np.uint32)
    g = rgb[..., 1].astype(np.uint32)
    return (r << 16) | (g << 8) | rgb[..., 2]


def _count_colors(pixels: np.ndarray) -> dict[RGB, int]:
    uniq, counts = np.unique(_pack(pixels), return_counts=True)
    return {
        (int(u >> 16) & 255, int(u >> 8) & 255, int(u) & 255): int(n)
        for u, n in zip(uniq, counts, strict=True)
    }


@dataclass(frozen=True)
class EncodedMask:
    """Result of encoding an RGB mask.

    Attributes:
        labels: ``uint8`` class indices, shape ``(H, W)``.
        off_palette: number of pixels whose colour is not in the palette.
        off_colors: those colours and their pixel counts (empty when ``off_palette == 0``).
    """

    labels: np.ndarray
    off_palette: int
    off_colors: dict[RGB, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ClassSchema:
    """Names, colours and ignored index of a set of land-cover classes.

    Args:
        name: schema name (``deepglobe``, ``dubai`` or a user name).
        classes: class names, in index order.
        colors: one RGB colour per class.
        ignore_index: index left out of loss and metrics (also given to off-palette pixels),
            or ``None`` when every class counts.
        match: how mask colours are matched: ``threshold`` (each channel >= 128, exact bit
            pattern) or ``nearest`` (nearest palette colour within ``tolerance``).
        tolerance: largest RGB distance accepted in ``nearest`` mode.
    """

    name: str
    classes: tuple[str, ...]
    colors: tuple[RGB, ...]
    ignore_index: int | None = None
    match: MatchMode = "threshold"
    tolerance: float = 60.0

    def __post_init__(self) -> None:
        if len(self.classes) != len(self.colors):
            raise LandcoverError(
                f"schema {self.name!r}: {len(self.classes)} classes but {len(self.colors)} colours"
            )
        if not 1 <= len(self.classes) <= 254:
            raise LandcoverError(f"schema {self.name!r}: needs between 1 and 254 classes")
        if len(set(self.classes)) != len(self.classes):
            raise LandcoverError(f"schema {self.name!r}: class names must be unique")
        if len(set(self.colors)) != len(self.colors):
            raise LandcoverError(f"schema {self.name!r}: class colours must be unique")
        for c in self.colors:
            if len(c) != 3 or not all(0 <= int(v) <= 255 for v in c):
                raise LandcoverError(f"schema {self.name!r}: colour {c} is not an RGB triple")
        if self.ignore_index is not None and not 0 <= self.ignore_index < len(self.classes):
            raise LandcoverError(
                f"schema {self.name!r}: ignore index {self.ignore_index} out of range"
            )
        if self.match not in ("threshold", "nearest"):
            raise LandcoverError(f"schema {self.name!r}: match must be 'threshold' or 'nearest'")
        if self.match == "threshold":
            bits = [_threshold_bits(np.array(c)) for c in self.colors]
            if len(set(bits)) != len(bits):
                raise LandcoverError(
                    f"schema {self.name!r}: two colours are equal after thresholding at 128; "
                    "use match: nearest"
                )

    @property
    def num_classes(self) -> int:
        """Number of classes, the ignored one included."""
        return len(self.classes)

    @property
    def palette(self) -> np.ndarray:
        """``uint8`` array ``(K, 3)`` of class colours."""
        return np.asarray(self.colors, dtype=np.uint8)

    @property
    def scored_indices(self) -> list[int]:
        """Class indices that count in metrics (all but the ignored one)."""
        return [i for i in range(self.num_classes) if i != self.ignore_index]

    @property
    def fill_index(self) -> int:
        """Index given to off-palette pixels: the ignore index (255 when there is none)."""
        return 255 if self.ignore_index is None else self.ignore_index

    def encode(self, rgb: np.ndarray) -> EncodedMask:
        """Encode an RGB mask ``(H, W, 3)`` ``uint8`` into class indices.

        Returns:
            The labels and the count of off-palette pixels, which get :attr:`fill_index`.
        """
        if rgb.ndim != 3 or rgb.shape[2] != 3:
            raise ValueError(f"expected an (H, W, 3) RGB mask, got shape {rgb.shape}")
        if self.match == "threshold":
            labels = np.take(self._threshold_lut(), _threshold_bits(rgb))
        else:
            labels = self._encode_nearest(rgb)
        off = labels == 254
        n_off = int(np.count_nonzero(off))
        if not n_off:
            return EncodedMask(labels, 0)
        labels[off] = self.fill_index
        return EncodedMask(labels, n_off, _count_colors(rgb[off]))

    def decode(self, labels: np.ndarray) -> np.ndarray:
        """Turn class indices ``(H, W)`` into an RGB image ``(H, W, 3)`` ``uint8``."""
        if labels.size and int(labels.max()) >= self.num_classes:
            raise ValueError(
                f"label {int(labels.max())} out of range for schema {self.name!r} "
                f"({self.num_classes} classes)"
            )
        return self.palette[labels]

    def _threshold_lut(self) -> np.ndarray:
        lut = np.full(8, 254, dtype=np.uint8)
        for i, c in enumerate(self.colors):
            lut[_threshold_bits(np.array(c))] = i
        return lut

    def _encode_nearest(self, rgb: np.ndarray) -> np.ndarray:
        packed = _pack(rgb)
        uniq, inverse = np.unique(packed, return_inverse=True)
        ucol = np.stack([(uniq >> 16) & 255, (uniq >> 8) & 255, uniq & 255], axis=1)
        dist = np.linalg.norm(
            ucol[:, None, :].astype(np.float32) - self.palette[None].astype(np.float32), axis=2
        )
        # Anti-aliased colours map to the nearest class; colours farther than the tolerance
        # from every class are off-palette (sentinel 254).
        far = dist.min(axis=1) > self.tolerance
        ulabels = np.where(far, 254, dist.argmin(axis=1)).astype(np.uint8)
        return ulabels[inverse.reshape(-1)].reshape(rgb.shape[:2])

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form, stored in checkpoints and ONNX metadata."""
        return {
            "name": self.name,
            "classes": [
                {"name": n, "color": list(map(int, c))}
                for n, c in zip(self.classes, self.colors, strict=True)
            ],
            "ignore_index": self.ignore_index,
            "match": self.match,
            "tolerance": self.tolerance,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], source: str | Path | None = None) -> ClassSchema:
        """Build a schema from :meth:`to_dict` output or a user YAML document.

        The ignored class may be given as ``ignore_index`` (int) or ``ignore`` (a class name).
        """
        where = source if source is not None else "schema"
        try:
            classes = d["classes"]
            names = tuple(str(c["name"]) for c in classes)
            colors = tuple(tuple(int(v) for v in c["color"]) for c in classes)
        except (KeyError, TypeError, ValueError) as e:
            raise LandcoverError(
                "a schema needs 'classes': a list of {name, color: [r, g, b]}", where
            ) from e
        ignore = d.get("ignore_index")
        if ignore is None and d.get("ignore") is not None:
            if d["ignore"] not in names:
                raise LandcoverError(f"ignored class {d['ignore']!r} is not among {names}", where)
            ignore = names.index(d["ignore"])
        return cls(
            name=str(d.get("name", Path(str(source)).stem if source else "custom")),
            classes=names,
            colors=colors,  # type: ignore[arg-type]
            ignore_index=None if ignore is None else int(ignore),
            match=d.get("match", "threshold"),
            tolerance=float(d.get("tolerance", 60.0)),
        )


DEEPGLOBE = ClassSchema(
    name="deepglobe",
    classes=(
        "urban_land",
        "agriculture_land",
        "rangeland",
        "forest_land",
        "water",
        "barren_land",
        "unknown",
    ),
    colors=(
        (0, 255, 255),
        (255, 255, 0),
        (255, 0, 255),
        (0, 255, 0),
        (0, 0, 255),
        (255, 255, 255),
        (0, 0, 0),
    ),
    ignore_index=6,
    match="threshold",
)

DUBAI = ClassSchema(
    name="dubai",
    classes=("building", "land", "road", "vegetation", "water", "unlabeled"),
    colors=(
        (60, 16, 152),
        (132, 41, 246),
        (110, 193, 228),
        (254, 221, 58),
        (226, 169, 41),
        (155, 155, 155),
    ),
    ignore_index=5,
    match="nearest",
)

BUILTIN_SCHEMAS: dict[str, ClassSchema] = {s.name: s for s in (DEEPGLOBE, DUBAI)}


def get_schema(name_or_path: str | Path | ClassSchema) -> ClassSchema:
    """Return a built-in schema by name, or load a user schema from a YAML file."""
    if isinstance(name_or_path, ClassSchema):
        return name_or_path
    key = str(name_or_path)
    if key in BUILTIN_SCHEMAS:
        return BUILTIN_SCHEMAS[key]
    path = Path(key)
    if path.suffix.lower() not in (".yaml", ".yml") or not path.exists():
        raise LandcoverError(
            f"unknown schema {key!r}: use one of {sorted(BUILTIN_SCHEMAS)} or a YAML file"
        )
    import yaml

    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise LandcoverError(f"cannot read schema: {e}", path) from e
    if not isinstance(doc, dict):
        raise LandcoverError("a schema file must hold a mapping", path)
    return ClassSchema.from_dict(doc, source=path)
