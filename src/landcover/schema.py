"""Class schemas: the single source of class names, colours and the ignored index.

A schema also encodes masks to class-index arrays and back, with lookup tables (no Python loop
over pixels). Masks come in two formats (``mask_format``): ``rgb``, one colour per class, or
``index``, the pixel value is the class index (with an optional ``ignore_value``). A mask colour
outside the palette, or an index mask value that is no class, never becomes a class silently: it
becomes the ignore index and is counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from landcover.errors import InputError, LandcoverError, LandcoverIOError

MatchMode = Literal["threshold", "nearest"]
MaskFormat = Literal["rgb", "index"]
RGB = tuple[int, int, int]
MASK_FORMATS: tuple[MaskFormat, ...] = ("rgb", "index")

#: Colours given to index-schema classes declared without one (matplotlib's tab20).
TAB20: tuple[RGB, ...] = (
    (31, 119, 180), (174, 199, 232), (255, 127, 14), (255, 187, 120), (44, 160, 44),
    (152, 223, 138), (214, 39, 40), (255, 152, 150), (148, 103, 189), (197, 176, 213),
    (140, 86, 75), (196, 156, 148), (227, 119, 194), (247, 182, 210), (127, 127, 127),
    (199, 199, 199), (188, 189, 34), (219, 219, 141), (23, 190, 207), (158, 218, 229),
)  # fmt: skip


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


def default_palette(n: int) -> tuple[RGB, ...]:
    """``n`` distinct colours: :data:`TAB20`, then a golden-ratio walk round the hue circle."""
    import colorsys  # lazy: a plain predict run does not need it (start-up time)

    out: list[RGB] = []
    i = 0
    while len(out) < n:
        if i < len(TAB20):
            c = TAB20[i]
        else:
            r, g, b = colorsys.hsv_to_rgb(
                (i * 0.618034) % 1, 0.5 + 0.25 * (i % 3), 0.95 - 0.2 * (i % 2)
            )
            c = (round(r * 255), round(g * 255), round(b * 255))
        if c not in out:
            out.append(c)
        i += 1
    return tuple(out)


@dataclass(frozen=True)
class EncodedMask:
    """Result of encoding a mask (RGB or index).

    Attributes:
        labels: ``uint8`` class indices, shape ``(H, W)``.
        off_palette: number of pixels that are no class: colours not in the palette (RGB
            masks) or values that are neither a class index nor the ignore value (index masks).
        off_colors: off-palette colours and their pixel counts (RGB masks).
        off_values: off-range values and their pixel counts (index masks).
        warning: a doubt about the mask's format, in words (e.g. a single-channel mask under
            an RGB schema); empty when none.
    """

    labels: np.ndarray
    off_palette: int
    off_colors: dict[RGB, int] = field(default_factory=dict)
    off_values: dict[int, int] = field(default_factory=dict)
    warning: str = ""


@dataclass(frozen=True)
class ClassSchema:
    """Names, colours, ignored index and mask format of a set of land-cover classes.

    Args:
        name: schema name (``deepglobe``, ``dubai`` or a user name).
        classes: class names, in index order.
        colors: one RGB colour per class (how masks are coded in ``rgb`` format; colour maps
            and galleries in both formats).
        ignore_index: index left out of loss and metrics (also given to off-palette pixels),
            or ``None`` when every class counts.
        match: how mask colours are matched: ``threshold`` (each channel >= 128, exact bit
            pattern) or ``nearest`` (nearest palette colour within ``tolerance``).
        tolerance: largest RGB distance accepted in ``nearest`` mode.
        mask_format: ``rgb`` (a colour per class) or ``index`` (pixel value = class index).
        ignore_value: ``index`` masks only: the pixel value meaning "ignore" (e.g. 255, or 0
            when 0 is no-data); default the ignore index. A value below the number of classes
            must be the ignore index.
        values: label codes and the class names they stand for, as land-cover products
            publish them (``values: {10: forest, 20: shrub}`` in YAML); read by scene labels
            (:mod:`landcover.data.scene_labels`).
    """

    name: str
    classes: tuple[str, ...]
    colors: tuple[RGB, ...]
    ignore_index: int | None = None
    match: MatchMode = "threshold"
    tolerance: float = 60.0
    mask_format: MaskFormat = "rgb"
    ignore_value: int | None = None
    values: tuple[tuple[int, str], ...] = ()

    def __post_init__(self) -> None:
        if len(self.classes) != len(self.colors):
            raise LandcoverError(
                f"schema {self.name!r}: {len(self.classes)} classes but {len(self.colors)} colours"
            )
        if not 1 <= len(self.classes) <= 254:
            raise LandcoverError(f"schema {self.name!r}: needs between 1 and 254 classes")
        if len(set(self.classes)) != len(self.classes):
            raise LandcoverError(f"schema {self.name!r}: class names must be unique")
        if self.ignore_index is not None and not 0 <= self.ignore_index < len(self.classes):
            raise LandcoverError(
                f"schema {self.name!r}: ignore index {self.ignore_index} out of range"
            )
        self._check_colors()
        self._check_mask_format()
        unknown = sorted({name for _, name in self.values} - set(self.classes))
        if unknown:
            raise LandcoverError(
                f"schema {self.name!r}: values name no class: {', '.join(unknown)}"
            )

    def _check_colors(self) -> None:
        if len(set(self.colors)) != len(self.colors):
            raise LandcoverError(f"schema {self.name!r}: class colours must be unique")
        for c in self.colors:
            if len(c) != 3 or not all(0 <= int(v) <= 255 for v in c):
                raise LandcoverError(f"schema {self.name!r}: colour {c} is not an RGB triple")
        if self.match not in ("threshold", "nearest"):
            raise LandcoverError(f"schema {self.name!r}: match must be 'threshold' or 'nearest'")
        if self._colour_match == "threshold":
            bits = [_threshold_bits(np.array(c)) for c in self.colors]
            if len(set(bits)) != len(bits):
                raise LandcoverError(
                    f"schema {self.name!r}: two colours are equal after thresholding at 128; "
                    "use match: nearest"
                )

    def _check_mask_format(self) -> None:
        if self.mask_format not in MASK_FORMATS:
            raise LandcoverError(
                f"schema {self.name!r}: mask_format must be 'rgb' or 'index', "
                f"not {self.mask_format!r}"
            )
        v = self.ignore_value
        if v is None:
            return
        if self.mask_format != "index":
            raise LandcoverError(
                f"schema {self.name!r}: ignore_value applies only to mask_format: index"
            )
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 65535:
            raise LandcoverError(
                f"schema {self.name!r}: ignore_value must be a pixel value 0..65535, not {v!r}"
            )
        if v < self.num_classes and v != self.ignore_index:
            raise LandcoverError(
                f"schema {self.name!r}: ignore_value {v} is the index of class "
                f"{self.classes[v]!r}; make that class the ignored one, or use a value >= "
                f"{self.num_classes}"
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

    @property
    def mask_ignore_value(self) -> int | None:
        """Pixel value of index masks meaning "ignore": ``ignore_value``, else the ignore index."""
        return self.ignore_index if self.ignore_value is None else self.ignore_value

    @property
    def _colour_match(self) -> MatchMode:
        # Colours of index schemas only draw maps; they need not survive thresholding.
        return "nearest" if self.mask_format == "index" else self.match

    def encode_mask(self, mask: np.ndarray) -> EncodedMask:
        """Encode a mask array in this schema's format: :meth:`encode` for ``rgb`` schemas
        (``(H, W, 3)`` colours), :meth:`encode_index` for ``index`` schemas (``(H, W)``)."""
        return self.encode_index(mask) if self.mask_format == "index" else self.encode(mask)

    def encode(self, rgb: np.ndarray) -> EncodedMask:
        """Encode an RGB mask ``(H, W, 3)`` ``uint8`` into class indices.

        Returns:
            The labels and the count of off-palette pixels, which get :attr:`fill_index`.
        """
        if rgb.ndim != 3 or rgb.shape[2] != 3:
            raise InputError(f"expected an (H, W, 3) RGB mask, got shape {rgb.shape}")
        if self._colour_match == "threshold":
            labels = np.take(self._threshold_lut(), _threshold_bits(rgb))
        else:
            labels = self._encode_nearest(rgb)
        off = labels == 254
        n_off = int(np.count_nonzero(off))
        if not n_off:
            return EncodedMask(labels, 0)
        labels[off] = self.fill_index
        return EncodedMask(labels, n_off, _count_colors(rgb[off]))

    def encode_index(self, values: np.ndarray) -> EncodedMask:
        """Encode an index mask ``(H, W)`` of integer pixel values into class indices.

        Values ``0..K-1`` are the classes; :attr:`mask_ignore_value` gets :attr:`fill_index`;
        any other value gets :attr:`fill_index` too and is counted in ``off_palette`` and
        ``off_values``.
        """
        if values.ndim != 2 or values.dtype.kind not in "ui":
            raise InputError(
                f"expected an (H, W) integer index mask, got {values.dtype} {values.shape}"
            )
        inside = values < self.num_classes
        if values.dtype.kind == "i":
            inside &= values >= 0
        labels = np.where(inside, values, self.fill_index).astype(np.uint8)
        off = ~inside
        if self.mask_ignore_value is not None:
            off &= values != self.mask_ignore_value
        n_off = int(np.count_nonzero(off))
        if not n_off:
            return EncodedMask(labels, 0)
        uniq, counts = np.unique(values[off], return_counts=True)
        found = {int(u): int(n) for u, n in zip(uniq, counts, strict=True)}
        return EncodedMask(labels, n_off, off_values=found)

    def decode(self, labels: np.ndarray) -> np.ndarray:
        """Turn class indices ``(H, W)`` into an RGB image ``(H, W, 3)`` ``uint8``."""
        if labels.size and int(labels.max()) >= self.num_classes:
            raise InputError(
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
            "mask_format": self.mask_format,
            "ignore_value": self.ignore_value,
            **({"values": {str(c): n for c, n in self.values}} if self.values else {}),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], source: str | Path | None = None) -> ClassSchema:
        """Build a schema from :meth:`to_dict` output or a user YAML document.

        The ignored class may be given as ``ignore_index`` (int) or ``ignore`` (a class name).
        Classes of an ``index`` schema may leave out their colours (all of them): they get
        :func:`default_palette`.
        """
        where = source if source is not None else "schema"
        mask_format = d.get("mask_format", "rgb")
        if mask_format not in MASK_FORMATS:
            raise LandcoverError(
                f"mask_format must be 'rgb' or 'index', not {mask_format!r}", where
            )
        names, colors = _parse_classes(d.get("classes"), mask_format == "index", where)
        ignore = d.get("ignore_index")
        if ignore is None and d.get("ignore") is not None:
            if d["ignore"] not in names:
                raise LandcoverError(f"ignored class {d['ignore']!r} is not among {names}", where)
            ignore = names.index(d["ignore"])
        try:
            return cls(
                name=str(d.get("name", Path(str(source)).stem if source else "custom")),
                classes=names,
                colors=colors,
                ignore_index=None if ignore is None else int(ignore),
                match=d.get("match", "threshold"),
                tolerance=float(d.get("tolerance", 60.0)),
                mask_format=mask_format,
                ignore_value=_pixel_value(d.get("ignore_value"), "ignore_value", where),
                values=_code_values(d.get("values"), where),
            )
        except LandcoverError as e:
            if source is None:
                raise
            raise LandcoverError(e.message, source) from e


def _parse_classes(
    classes: Any, allow_no_colors: bool, where: str | Path
) -> tuple[tuple[str, ...], tuple[RGB, ...]]:
    """Names and colours from a YAML ``classes:`` list (``{name, color}`` items; for index
    schemas also colourless ``{name}`` items or plain names, given :func:`default_palette`)."""
    need = "a schema needs 'classes': a list of {name, color: [r, g, b]}"
    try:
        items = [
            {"name": c} if allow_no_colors and isinstance(c, str) else dict(c) for c in classes
        ]
        names = tuple(str(c["name"]) for c in items)
        given = [c.get("color") is not None for c in items]
        if allow_no_colors and not any(given):
            return names, default_palette(len(names))
        colors = tuple(tuple(int(v) for v in c["color"]) for c in items)
    except (KeyError, TypeError, ValueError) as e:
        if allow_no_colors and isinstance(classes, list):
            need += " (index schemas: give every class a colour, or none)"
        raise LandcoverError(need, where) from e
    return names, colors  # type: ignore[return-value]


def _code_values(values: Any, where: str | Path) -> tuple[tuple[int, str], ...]:
    """A YAML ``values:`` mapping (label code -> class name) as sorted ``(code, name)`` pairs."""
    if not values:
        return ()
    if not isinstance(values, dict):
        raise LandcoverError("values must map label codes to class names", where)
    try:  # codes are integers in YAML, text in JSON metadata
        return tuple(sorted((int(str(c)), str(n)) for c, n in values.items()))
    except ValueError as e:
        raise LandcoverError(f"values codes must be integers ({e})", where) from e


def _pixel_value(value: Any, option: str, where: str | Path) -> int | None:
    """``value`` as an int pixel value, ``None`` when unset; a clear error naming ``option``."""
    if value is None:
        return None
    whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if isinstance(value, bool) or not whole:
        raise LandcoverError(f"{option} must be an integer pixel value, not {value!r}", where)
    return int(value)


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
    import yaml  # lazy: a plain predict run does not need it (start-up time)

    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise LandcoverIOError(f"cannot read schema: {e}", path) from e
    if not isinstance(doc, dict):
        raise LandcoverError("a schema file must hold a mapping", path)
    return ClassSchema.from_dict(doc, source=path)
