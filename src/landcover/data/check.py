"""Validate a dataset folder: pairs, unreadable files, size mismatches, off-palette masks.

Errors make a dataset unusable as it is (an unreadable or truncated file, an image and mask of
different sizes, a colour mask under an index schema, no pairs at all); warnings are worth knowing
but harmless (files without a partner, off-palette mask pixels or index values that are no class,
which become the ignore index, masks that are all ignore, single-channel masks under an RGB
schema).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from landcover.data.pairs import Pair, find_pairs
from landcover.errors import LandcoverError
from landcover.io.bands import BandSpec
from landcover.io.images import read_rgb
from landcover.io.masks import MaskFormatError, read_mask_labels
from landcover.io.progress import progress_bar
from landcover.schema import RGB, ClassSchema, EncodedMask

Level = Literal["error", "warning"]

#: Kinds of finding, in report order, with their level and a title for tables.
KINDS: dict[str, tuple[Level, str]] = {
    "no_pairs": ("error", "no image/mask pairs"),
    "unreadable": ("error", "unreadable or truncated files"),
    "size_mismatch": ("error", "image/mask size mismatches"),
    "colour_mask": ("error", "colour masks, index schema"),
    "unpaired_image": ("warning", "images without a mask"),
    "unpaired_mask": ("warning", "masks without an image"),
    "single_channel": ("warning", "single-channel masks"),
    "off_palette": ("warning", "masks with off-palette pixels"),
    "off_range": ("warning", "masks with unknown values"),
    "all_ignore": ("warning", "masks entirely ignored"),
}


@dataclass(frozen=True)
class Finding:
    """One problem found in a dataset.

    Attributes:
        kind: one of :data:`KINDS`.
        path: the file concerned (the dataset folder for ``no_pairs``).
        problem: what is wrong, in words.
        details: extra facts for machine use (e.g. off-palette ``pixels`` and ``colors``).
    """

    kind: str
    path: Path
    problem: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def level(self) -> Level:
        """``"error"`` or ``"warning"``."""
        return KINDS[self.kind][0]


@dataclass
class CheckReport:
    """What :func:`check_dataset` found.

    Attributes:
        root: the dataset folder.
        pairs: number of image/mask pairs found.
        findings: every problem, errors and warnings, in discovery order.
    """

    root: Path
    pairs: int
    findings: list[Finding]

    @property
    def errors(self) -> list[Finding]:
        """Findings that make the dataset unusable as it is."""
        return [f for f in self.findings if f.level == "error"]

    @property
    def warnings(self) -> list[Finding]:
        """Findings worth knowing that do not stop training or scoring."""
        return [f for f in self.findings if f.level == "warning"]

    @property
    def ok(self) -> bool:
        """True when there is no error."""
        return not self.errors

    def name(self, path: Path) -> str:
        """``path`` relative to the dataset folder when inside it, POSIX style."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def to_dict(self) -> dict[str, Any]:
        """``{"pairs": N, "errors": [...], "warnings": [...]}``; each entry names its file."""

        def entry(f: Finding) -> dict[str, Any]:
            return {"file": self.name(f.path), "kind": f.kind, "problem": f.problem, **f.details}

        return {
            "pairs": self.pairs,
            "errors": [entry(f) for f in self.errors],
            "warnings": [entry(f) for f in self.warnings],
        }


def check_dataset(
    root: str | Path,
    schema: ClassSchema,
    image_glob: str | None = None,
    mask_glob: str | None = None,
    progress: bool = False,
    bands: Sequence[BandSpec] | None = None,
) -> CheckReport:
    """Check every pair under ``root``: both files decode, sizes agree, mask colours are known.

    Each image and mask is decoded completely (so truncated files are caught), one pair at a
    time; a bad file is reported and the check goes on.

    Args:
        root: the dataset folder.
        schema: the class schema the masks should follow.
        image_glob: image pattern with one ``*`` (with ``mask_glob``), see
            :func:`~landcover.data.pairs.find_pairs`.
        mask_glob: mask pattern with one ``*``.
        progress: show a progress bar.
        bands: 1-based raster bands read as RGB (see :func:`~landcover.io.images.read_rgb`).

    Returns:
        The report.

    Raises:
        LandcoverError: when ``root`` is missing, not a folder, or holds no image at all.
    """
    root = Path(root)
    found = find_pairs(root, image_glob, mask_glob)
    if not (found.pairs or found.unpaired_images or found.unpaired_masks):
        raise LandcoverError(
            "no images found (expected <name>_sat.jpg + <name>_mask.png, images/ + masks/ "
            "folders, or --image-glob and --mask-glob)",
            root,
        )
    findings: list[Finding] = []
    if not found.pairs:
        findings.append(Finding("no_pairs", root, "no image has a matching mask"))
    for p in found.unpaired_images:
        findings.append(Finding("unpaired_image", p, "no matching mask"))
    for p in found.unpaired_masks:
        findings.append(Finding("unpaired_mask", p, "no matching image"))
    for pair in progress_bar(found.pairs, "check", "pair", disable=not progress):
        findings.extend(check_pair(pair, schema, bands))
    return CheckReport(root, len(found.pairs), findings)


def check_pair(
    pair: Pair, schema: ClassSchema, bands: Sequence[BandSpec] | None = None
) -> list[Finding]:
    """Check one pair (image read with ``bands``); returns its findings (empty when fine)."""
    findings: list[Finding] = []
    image = encoded = None
    try:
        image = read_rgb(pair.image, bands)
    except LandcoverError as e:
        findings.append(Finding("unreadable", pair.image, e.message))
    try:
        encoded = read_mask_labels(pair.mask, schema, log_warning=False)
    except MaskFormatError as e:
        findings.append(Finding("colour_mask", pair.mask, e.message))
    except LandcoverError as e:
        findings.append(Finding("unreadable", pair.mask, e.message))
    if image is None or encoded is None:
        return findings
    (ih, iw), (mh, mw) = image.shape[:2], encoded.labels.shape
    if (ih, iw) != (mh, mw):
        return [
            Finding(
                "size_mismatch",
                pair.image,
                f"image is {iw}x{ih} but its mask {pair.mask.name} is {mw}x{mh}",
                {"image_size": [iw, ih], "mask_size": [mw, mh]},
            )
        ]
    return mask_findings(pair.mask, encoded, schema)


def mask_findings(path: Path, encoded: EncodedMask, schema: ClassSchema) -> list[Finding]:
    """Warnings about one readable mask: its format, pixels that are no class, all ignored."""
    findings: list[Finding] = []
    if encoded.warning:
        findings.append(Finding("single_channel", path, encoded.warning))
    if encoded.off_colors:
        findings.append(
            Finding(
                "off_palette",
                path,
                f"{encoded.off_palette} off-palette pixels ({format_colors(encoded.off_colors)}), "
                "counted as ignored",
                {
                    "pixels": encoded.off_palette,
                    "colors": [[*c, n] for c, n in _most_common(encoded.off_colors)],
                },
            )
        )
    if encoded.off_values:
        findings.append(
            Finding(
                "off_range",
                path,
                f"{encoded.off_palette} pixels with values that are no class "
                f"({format_values(encoded.off_values)}; classes 0..{schema.num_classes - 1}), "
                "counted as ignored",
                {
                    "pixels": encoded.off_palette,
                    "values": [[v, n] for v, n in sorted(encoded.off_values.items())],
                },
            )
        )
    if schema.ignore_index is not None and not (encoded.labels != schema.ignore_index).any():
        findings.append(
            Finding(
                "all_ignore",
                path,
                f"every pixel is {schema.classes[schema.ignore_index]!r} (ignored)",
            )
        )
    return findings


def format_values(values: dict[int, int], limit: int = 3) -> str:
    """``"255 x3, 9 x1"``: the most frequent index-mask values first, at most ``limit``."""
    items = sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))
    text = ", ".join(f"{v} x{n}" for v, n in items[:limit])
    if len(items) > limit:
        text += f", {len(items) - limit} more values"
    return text


def format_colors(colors: dict[RGB, int], limit: int = 3) -> str:
    """``"(255,0,0) x3, (1,2,3) x1"``: the most frequent colours first, at most ``limit``."""
    items = _most_common(colors)
    text = ", ".join(f"({r},{g},{b}) x{n}" for (r, g, b), n in items[:limit])
    if len(items) > limit:
        text += f", {len(items) - limit} more colours"
    return text


def _most_common(colors: dict[RGB, int]) -> list[tuple[RGB, int]]:
    return sorted(colors.items(), key=lambda kv: (-kv[1], kv[0]))


def format_report(report: CheckReport, limit: int = 20) -> str:
    """Render ``report`` as one plain-text table: a row per kind of finding, with its files.

    Args:
        report: what :func:`check_dataset` returned.
        limit: most files listed per row (the rest are counted; ``--json`` lists all).
    """
    rows: list[tuple[str, str, str, list[str]]] = [
        ("image/mask pairs", str(report.pairs), "ok", [])
    ]
    for kind, (level, title) in KINDS.items():
        if kind == "no_pairs":
            continue
        found = [f for f in report.findings if f.kind == kind]
        lines = [f"{report.name(f.path)}: {f.problem}" for f in found[:limit]]
        if len(found) > limit:
            lines.append(f"... and {len(found) - limit} more (see --json)")
        rows.append((title, str(len(found)), level if found else "ok", lines))
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows + [("", "count", "", [])])
    w2 = len("warning")
    out = [f"{'check':<{w0}}  {'count':>{w1}}  {'level':<{w2}}  files"]
    for title, count, shown, lines in rows:
        head = f"{title:<{w0}}  {count:>{w1}}  {shown:<{w2}}"
        out.append(f"{head}  {lines[0]}" if lines else head.rstrip())
        out.extend(f"{'':<{len(head)}}  {line}" for line in lines[1:])
    verdict = "OK" if report.ok else "FAILED"
    out.append(
        f"{verdict}: {report.pairs} pairs, {len(report.errors)} errors, "
        f"{len(report.warnings)} warnings in {report.root}"
    )
    return "\n".join(out)
