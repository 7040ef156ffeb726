"""``landcover sample``: draw a stratified random sample from class rasters and write it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from landcover.accuracy.points import point_rows, write_csv, write_gpkg
from landcover.accuracy.sampling import MIN_PER_STRATUM, draw_ranks, locate, plan_sizes
from landcover.accuracy.strata import StrataTable, strata_table
from landcover.errors import InputError
from landcover.io.atomic import prepare_output_file, write_text_atomic
from landcover.io.remote import display


@dataclass(frozen=True)
class SampleResult:
    """What ``sample`` wrote: files, the strata and the points per stratum."""

    files: list[Path]
    table: StrataTable
    sizes: list[int]


def draw_sample(
    maps: Sequence[str | Path],
    out: str | Path,
    *,
    strata: Sequence[str | Path] | None = None,
    total: int | None = None,
    target_se: float | None = 0.01,
    users_accuracy: Sequence[float] | None = None,
    minimum: int = MIN_PER_STRATUM,
    seed: int = 0,
    gsd_m: float | None = None,
    overwrite: bool = False,
) -> SampleResult:
    """Draw a stratified random sample of pixels to label, from one or many class rasters.

    Args:
        maps: class rasters, taken together as one map (nodata excluded).
        out: ``points.gpkg`` (GeoPackage + CSV beside it) or ``points.csv`` (CSV only).
        strata: stratum rasters, one per map on its grid; default: the map classes.
        total: number of points; default: the number for ``target_se``.
        target_se: target standard error of overall accuracy (Olofsson et al. 2014, eq. 13).
        users_accuracy: anticipated user's accuracy per stratum (default 0.8 each).
        minimum: points at least per stratum (rare classes).
        seed: random seed (the same seed and maps give the same points).
        gsd_m: metres per pixel for maps that are not georeferenced and have no
            ``<stem>_areas.json`` beside them.
        overwrite: replace existing output files.

    Returns:
        The files written (points, CSV, design JSON), the strata table and points per stratum.
    """
    out = Path(out)
    if out.suffix.lower() not in (".gpkg", ".csv"):
        raise InputError("the output must end in .gpkg or .csv", out)
    csv_path = out.with_suffix(".csv")
    design_path = out.with_name(f"{out.stem}_design.json")
    for p in {out, csv_path, design_path}:
        prepare_output_file(p, "sample points", overwrite)
    table = strata_table(maps, strata, gsd_m)
    sizes = plan_sizes(
        table, total=total, target_se=target_se, users_accuracy=users_accuracy, minimum=minimum
    )
    points = locate(table, draw_ranks(table, sizes, seed), gsd_m)
    rows, crs = point_rows(table, points)
    files = [write_csv(csv_path, rows)]
    if out.suffix.lower() == ".gpkg":
        files.insert(0, write_gpkg(out, rows, crs))
    write_text_atomic(
        design_path, json.dumps(design_record(table, sizes, seed, target_se), indent=2)
    )
    return SampleResult([*files, design_path], table, sizes)


def design_record(
    table: StrataTable, sizes: Sequence[int], seed: int, target_se: float | None
) -> dict[str, object]:
    """The sampling design as JSON: maps, strata with pixels and hectares, points, seed."""
    return {
        "maps": [display(p) for p in table.maps],
        "strata_rasters": None
        if table.strata_rasters is None
        else [str(p) for p in table.strata_rasters],
        "classes": list(table.legend.names),
        "seed": seed,
        "target_se": target_se,
        "strata": [
            {
                "stratum": h,
                "name": table.stratum_names[h],
                "pixels": int(table.pixels[:, h].sum()),
                "hectares": float(table.hectares[:, h].sum()),
                "points": int(sizes[h]),
            }
            for h in range(table.num_strata)
        ],
    }
