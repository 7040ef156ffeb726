"""What a prediction run reads and writes: inputs, output names, the output folder, the GSD.

The scenes themselves are mapped by :mod:`landcover.batch.scene` (one scene) and
:mod:`landcover.batch.runner` (many); this module holds what they and ``landcover quantize``
share: folders expanded into images (:func:`expand_inputs`), a distinct output name per input
(:func:`output_stems`), the output folder checked for earlier results (:func:`prepare_out_dir`)
and a scene's GSD (:func:`scene_gsd`).
"""

from __future__ import annotations

import glob
from collections.abc import Sequence
from pathlib import Path

from landcover.errors import LandcoverError, LandcoverIOError
from landcover.inference.gsd import Gsd, estimate_scene_gsd, known_gsd
from landcover.io.atomic import prepare_output_dir
from landcover.io.pictures import IMAGE_SUFFIXES
from landcover.io.raster import RasterReader
from landcover.io.remote import check_remotes, input_path, is_remote

OUTPUT_SUFFIXES = ("_classes.tif", "_color.png", "_overlay.jpg", "_areas.json")
RUN_CSV = "areas.csv"
CONFIDENCE_SUFFIX = "_confidence.tif"
# Optional outputs (--probabilities, --confidence, --vector) and the class raster's QGIS styles.
EXTRA_SUFFIXES = (
    "_probabilities.tif",
    CONFIDENCE_SUFFIX,
    "_confidence.qml",
    "_classes.qml",
    "_classes.tif.aux.xml",
    "_polygons.gpkg",
    "_polygons.qml",
)
OUTPUT_PATTERNS = (*(f"*{s}" for s in OUTPUT_SUFFIXES + EXTRA_SUFFIXES), RUN_CSV)


def expand_inputs(inputs: Sequence[str | Path]) -> list[Path]:
    """Turn files and folders into a sorted list of image files (folders: their images).

    Inside a folder, anything named like an image is kept, sub-folders such as ``x.jpg``
    included, so that :func:`predict_paths` lists it as a failure instead of skipping it;
    except the masks of a labelled dataset (``<name>_mask.*`` beside ``<name>_sat.*``).
    """
    files: list[Path] = []
    check_remotes([item for item in inputs if is_remote(item)])  # before any work
    for item in inputs:
        p = input_path(item)  # a URL as the Path of its GDAL name (landcover.io.remote)
        if is_remote(p):
            files.append(p)
        elif p.is_dir():
            found = sorted(
                f
                for f in p.iterdir()
                if f.suffix.lower() in IMAGE_SUFFIXES
                and not f.name.startswith(".")
                and not _is_output(f)
                and not _is_mask_of_pair(f)
            )
            if not found:
                raise LandcoverError("folder holds no images (.jpg, .png, .tif)", p)
            files.extend(found)
        elif not p.exists():
            raise LandcoverIOError("no such file or folder", p)
        else:
            files.append(p)
    return files


def _is_mask_of_pair(f: Path) -> bool:
    if not f.stem.endswith("_mask"):
        return False
    return any(f.parent.glob(f"{glob.escape(f.stem[: -len('_mask')])}_sat.*"))


def _is_output(f: Path) -> bool:
    return any(f.match(p) for p in OUTPUT_PATTERNS)


def prepare_out_dir(out_dir: str | Path, overwrite: bool = False) -> Path:
    """Create ``out_dir``; refuse one holding results unless ``overwrite``, or not writable."""
    return prepare_output_dir(out_dir, OUTPUT_PATTERNS, overwrite)


def scene_gsd(
    path: Path,
    reader: RasterReader,
    given: float | None = None,
    estimate: bool = True,
) -> Gsd:
    """The input's GSD: ``--gsd``, georeferencing, ``tiles.csv``, else estimated from pixels
    (the first three bands read: RGB, or those of a model of more bands)."""
    gsd = known_gsd(path, reader.info.gsd_m, given)
    if gsd.metres is None and estimate:
        info = reader.info
        gsd = estimate_scene_gsd(
            path, lambda w: reader.read(w)[0][..., :3], info.height, info.width
        )
    return gsd


def output_stems(files: Sequence[Path]) -> dict[Path, str]:
    """A distinct output name per input: its stem, or with its folders in front when stems repeat.

    ``a/scene.jpg`` and ``b/scene.jpg`` become ``a_scene`` and ``b_scene`` (as many parent
    folders as it takes to tell them apart); ``x.jpg`` and ``x.tif`` in one folder become
    ``x_jpg`` and ``x_tif``.
    """
    names: dict[Path, str] = {}
    groups: dict[str, list[Path]] = {}
    for f in files:
        groups.setdefault(f.stem, []).append(f)
    for stem, group in groups.items():
        folders = sorted({f.resolve().parent for f in group})
        tails = _distinct_tails(folders) if len(folders) > 1 else {folders[0]: ""}
        for f in group:
            folder = f.resolve().parent
            name = "_".join(x for x in (tails[folder], stem) if x)
            if sum(g.resolve().parent == folder for g in group) > 1:
                name = f"{name}_{f.suffix.lstrip('.').lower()}"
            names[f] = name
    _check_distinct(names)
    return names


def _distinct_tails(folders: list[Path]) -> dict[Path, str]:
    """The fewest trailing folder names (joined by ``_``) that tell ``folders`` apart."""
    longest = max(len(f.parts) for f in folders)
    for depth in range(1, longest + 1):
        tails = {f: "_".join(f.parts[-depth:]).strip("/") for f in folders}
        if len(set(tails.values())) == len(folders):
            return tails
    return {f: "_".join(f.parts).strip("/") for f in folders}


def _check_distinct(names: dict[Path, str]) -> None:
    seen: dict[str, Path] = {}
    for f, name in names.items():
        if name in seen:
            raise LandcoverError(f"same output name {name!r} as {seen[name]}; rename one", f)
        seen[name] = f
