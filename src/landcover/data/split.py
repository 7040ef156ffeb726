"""Reproducible train/val/test splits that keep groups (e.g. DeepGlobe tiles) together.

A split maps each :attr:`Pair.key <landcover.data.pairs.Pair.key>` to ``"train"``, ``"val"`` or
``"test"``, and is stored as a CSV with the header ``file,split``.
"""

from __future__ import annotations

import csv
import io
import random
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from landcover.data.pairs import Pair, read_image_table
from landcover.errors import LandcoverError, LandcoverIOError
from landcover.io.atomic import write_text_atomic

SPLITS = ("train", "val", "test")


def split_pairs(
    pairs: Sequence[Pair],
    val: float = 0.15,
    test: float = 0.15,
    seed: int = 0,
    groups: dict[str, str] | None = None,
) -> dict[str, str]:
    """Assign each pair to ``train``, ``val`` or ``test``, keeping groups together.

    Fractions are counted in images. Groups are visited in a seeded random order, largest first,
    and each goes to the split furthest below its target, so the counts come as close to the
    targets as the group sizes allow. A split with a non-zero fraction gets at least one image
    when there are at least three groups. The result depends only on the pair keys, the groups,
    the fractions and the seed (not on the order of ``pairs``).

    Args:
        pairs: the pairs to split.
        val: fraction of images for validation.
        test: fraction of images for testing.
        seed: random seed.
        groups: ``Pair.key -> group id``; keys missing from it are a group of their own.

    Returns:
        ``Pair.key -> split name``.

    Raises:
        LandcoverError: for fractions outside ``[0, 1)`` or summing to 1 or more.
    """
    if not (0 <= val < 1 and 0 <= test < 1 and val + test < 1):
        raise LandcoverError(
            f"--val {val} and --test {test} must be in [0, 1) and sum to less than 1"
        )
    groups = groups or {}
    members: dict[str, list[str]] = {}
    for key in sorted({p.key for p in pairs}):
        gid = groups.get(key)
        members.setdefault(f"group:{gid}" if gid else f"file:{key}", []).append(key)
    order = sorted(members)
    random.Random(seed).shuffle(order)
    order.sort(key=lambda g: -len(members[g]))  # stable: shuffled order among equal sizes

    n = sum(len(m) for m in members.values())
    targets = {"val": round(val * n), "test": round(test * n)}
    for name, frac in (("val", val), ("test", test)):
        if frac > 0 and targets[name] == 0 and len(members) >= 3:
            targets[name] = 1
    targets["train"] = n - targets["val"] - targets["test"]

    counts = dict.fromkeys(SPLITS, 0)
    mapping: dict[str, str] = {}
    for gid in order:
        size = len(members[gid])
        # Furthest below target first; ties go train, val, test.
        name = max(SPLITS, key=lambda s: (targets[s] - counts[s], -SPLITS.index(s)))
        counts[name] += size
        for key in members[gid]:
            mapping[key] = name
    return mapping


def read_groups(spec: str, pairs: Sequence[Pair], root: str | Path) -> dict[str, str]:
    """Read group ids for ``pairs`` from ``CSV:COLUMN``, e.g. ``tiles.csv:deepglobe_id``.

    The CSV's ``image`` column is relative to the CSV's own folder; rows are matched to pairs by
    resolved image path. The CSV is looked up as given, then inside ``root`` and its parent.
    Empty values leave the pair in a group of its own.

    Returns:
        ``Pair.key -> group id`` for the pairs that have one.

    Raises:
        LandcoverError: for a malformed spec, a missing file or column, or when no row of the
            CSV names any of the pairs.
    """
    csv_name, sep, column = spec.rpartition(":")
    if not sep or not csv_name or not column:
        raise LandcoverError(f"--groups {spec!r} must look like FILE.csv:COLUMN")
    path = Path(csv_name)
    if not path.is_file():
        for folder in (Path(root), Path(root).parent):
            if (folder / csv_name).is_file():
                path = folder / csv_name
                break
    table = read_image_table(path)
    if table and column not in next(iter(table.values())):
        raise LandcoverError(f"CSV has no column {column!r}", path)
    found = [(p, table.get(p.image.resolve())) for p in pairs]
    if pairs and not any(row is not None for _, row in found):
        raise LandcoverError(f"no row names any image of {Path(root)}", path)
    return {p.key: row[column] for p, row in found if row is not None and row.get(column)}


def write_split(path: str | Path, mapping: dict[str, str]) -> None:
    """Write ``mapping`` (``file -> split``) as a CSV with header ``file,split``, atomically."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["file", "split"])
    for key in sorted(mapping):
        writer.writerow([key, mapping[key]])
    write_text_atomic(path, buf.getvalue())


def read_split(path: str | Path) -> dict[str, str]:
    """Read a split CSV written by :func:`write_split`.

    Raises:
        LandcoverError: naming the file when it is missing, has another header, or holds a
            split name other than train/val/test.
    """
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
    except FileNotFoundError as e:
        raise LandcoverIOError("no such split file", path) from e
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise LandcoverIOError(f"cannot read split file ({e})", path) from e
    if not rows or [c.strip() for c in rows[0]] != ["file", "split"]:
        raise LandcoverError("a split file must start with the header 'file,split'", path)
    mapping: dict[str, str] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != 2 or row[1].strip() not in SPLITS:
            raise LandcoverError(
                f"line {line}: expected 'file,split' with split in {', '.join(SPLITS)}, got {row}",
                path,
            )
        mapping[row[0]] = row[1].strip()
    return mapping


def select_split(pairs: Sequence[Pair], split: dict[str, str], subset: str) -> list[Pair]:
    """Return the pairs that ``split`` puts in ``subset``.

    A pair is matched by its key, else by its image file name when that name is unique among
    the split's entries (so a split made on one copy of a dataset works on another).

    Raises:
        LandcoverError: for an unknown subset name, or when no pair matches any entry.
    """
    if subset not in SPLITS:
        raise LandcoverError(f"unknown split {subset!r}; use one of {', '.join(SPLITS)}")
    names = Counter(Path(k).name for k in split)
    by_name = {Path(k).name: s for k, s in split.items() if names[Path(k).name] == 1}
    chosen: list[Pair] = []
    matched = 0
    for p in pairs:
        which = split.get(p.key, by_name.get(p.image.name))
        if which is None:
            continue
        matched += 1
        if which == subset:
            chosen.append(p)
    if not matched:
        raise LandcoverError(
            f"no image of the dataset is named in the split ({len(split)} entries, "
            f"e.g. {next(iter(split), 'none')!r})"
        )
    return chosen


def split_counts(mapping: dict[str, str]) -> dict[str, int]:
    """Number of files per split, in the order train, val, test."""
    c = Counter(mapping.values())
    return {s: c.get(s, 0) for s in SPLITS}
