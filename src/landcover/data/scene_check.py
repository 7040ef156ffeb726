"""``check`` of a scene list: each scene opened and its labels read, every problem listed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from landcover.data.scene_labels import VectorLabels
from landcover.data.scene_windows import SceneReader
from landcover.data.scenes import read_scene_list
from landcover.errors import LandcoverError
from landcover.io.bands import BandSpec
from landcover.schema import ClassSchema


@dataclass
class SceneReport:
    """What ``check`` found in a scene list: one line per usable scene, one per problem."""

    scenes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every scene can be trained on."""
        return not self.errors


def check_scenes(
    path: str | Path, schema: ClassSchema, bands: Sequence[BandSpec] | None = None
) -> SceneReport:
    """Open every scene of the list ``path`` and read its labels; collect one line for each.

    Raises:
        LandcoverError: naming the list when it cannot be read at all.
    """
    report = SceneReport()
    for scene in read_scene_list(path):
        try:
            reader = SceneReader(scene, schema, bands)
        except LandcoverError as e:
            report.errors.append(str(e))
            continue
        src = reader.src
        if isinstance(reader.labels, VectorLabels):
            labels = f"{scene.labels.name} ({len(reader.labels.geoms)} polygons on the scene)"
        else:
            labels = f"{scene.labels.name} (label raster)"
        report.scenes.append(
            f"{scene.name}  {src.width}x{src.height}  {_crs(reader)}  {reader.gsd:g} m  "
            f"{src.count} bands  labels {labels}"
        )
        reader.close()
    return report


def _crs(reader: SceneReader) -> str:
    """The raster's CRS, and the UTM zone a geographic scene is read in."""
    return f"{reader.src.crs} (read in {reader.crs})" if reader.warp else str(reader.src.crs)


def format_scene_report(report: SceneReport, path: str | Path) -> str:
    """The report as text: the scenes, the problems, and an OK/ERROR summary line."""
    lines = [*report.scenes, *report.errors]
    n = len(report.scenes) + len(report.errors)
    state = "OK" if report.ok else "ERROR"
    lines.append(f"{state}: {n} scenes, {len(report.errors)} with errors in {path}")
    return "\n".join(lines)
