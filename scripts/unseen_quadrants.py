"""List the held-out quadrants that no training quadrant touches: a stricter unseen set.

Most quadrants of ``deepglobe/quadrants512`` have no known tile id, so a split by tile id can put
two neighbouring quadrants of one tile (or of one scene) on both sides. This script finds
neighbours from the pixels: quadrant A's right (bottom) edge is matched to quadrant B's left
(top) edge when their correlation is above 0.9, beats every other candidate by 0.1 and the match
is mutual. Neighbours are joined into groups; a ``val`` or ``test`` quadrant is written out as
``test`` only when nothing in its group is in ``train``. Quadrants left out are simply absent,
so ``landcover evaluate --split OUT --subset test`` scores exactly the unseen ones.

    python scripts/unseen_quadrants.py ../shared/data/deepglobe/quadrants512 \\
        configs/deepglobe_quadrants512_split.csv configs/deepglobe_quadrants512_unseen.csv
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

from landcover.data.split import read_split, write_split

MIN_CORRELATION = 0.9
MIN_MARGIN = 0.1


def edges(files: list[Path]) -> dict[str, np.ndarray]:
    """Right, left, bottom and top pixel lines of every image, as ``(n, L)`` float32 rows."""
    out: dict[str, list[np.ndarray]] = {"right": [], "left": [], "bottom": [], "top": []}
    for f in files:
        a = np.asarray(Image.open(f).convert("RGB"), dtype=np.float32)
        out["right"].append(a[:, -1].ravel())
        out["left"].append(a[:, 0].ravel())
        out["bottom"].append(a[-1].ravel())
        out["top"].append(a[0].ravel())
    return {k: np.stack(v) for k, v in out.items()}


def correlation(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson correlation of every row of ``x`` with every row of ``y`` (self-pairs -1)."""
    x = x - x.mean(1, keepdims=True)
    y = y - y.mean(1, keepdims=True)
    x /= np.linalg.norm(x, axis=1, keepdims=True) + 1e-6
    y /= np.linalg.norm(y, axis=1, keepdims=True) + 1e-6
    c = x @ y.T
    np.fill_diagonal(c, -1.0)
    return c


def neighbour_pairs(c: np.ndarray) -> list[tuple[int, int]]:
    """Mutual best matches that are strong and clearly ahead of the runner-up."""
    rows = np.arange(len(c))
    best = c.argmax(1)
    top = c[rows, best]
    rest = c.copy()
    rest[rows, best] = -1.0
    margin = top - rest.max(1)
    back = c.argmax(0)
    keep = (top > MIN_CORRELATION) & (margin > MIN_MARGIN) & (back[best] == rows)
    return [(int(i), int(best[i])) for i in np.flatnonzero(keep)]


def groups(n: int, pairs: list[tuple[int, int]]) -> list[int]:
    """Union-find: the group root of every index."""
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in pairs:
        parent[find(a)] = find(b)
    return [find(i) for i in range(n)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data", type=Path, help="quadrants512 folder")
    ap.add_argument("split", type=Path, help="split CSV (file,split)")
    ap.add_argument("out", type=Path, help="CSV to write: the unseen quadrants as 'test'")
    args = ap.parse_args()

    split = read_split(args.split)
    names = sorted(split)
    e = edges([args.data / n for n in names])
    pairs = neighbour_pairs(correlation(e["right"], e["left"]))
    pairs += neighbour_pairs(correlation(e["bottom"], e["top"]))
    root = groups(len(names), pairs)
    touched = {root[i] for i, n in enumerate(names) if split[n] == "train"}
    unseen = [n for i, n in enumerate(names) if split[n] != "train" and root[i] not in touched]
    write_split(args.out, dict.fromkeys(unseen, "test"))
    held = sum(s != "train" for s in split.values())
    print(f"{len(pairs)} neighbour pairs; {len(unseen)} of {held} held-out quadrants unseen")


if __name__ == "__main__":
    main()
