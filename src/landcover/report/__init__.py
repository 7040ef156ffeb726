"""HTML reports that open by double-click, with no network and no server.

- :func:`write_run_report`: the report of a ``predict`` run (``RUN_DIR/index.html``): summary,
  map viewer (OpenLayers, bundled at build time from ``web/`` into ``static/report.js``),
  sortable table of scenes.
- :func:`write_evaluation_report`: the report of an ``evaluate`` run (``REPORT/index.html``):
  scores, confusion matrix, per-class IoU, per-image table, flags and galleries on one page.
- :func:`write_report`: either, by what the folder holds.
"""

from __future__ import annotations

from pathlib import Path

from landcover.report.evaluate_report import write_evaluation_report as write_evaluation_report
from landcover.report.run_report import write_run_report as write_run_report

__all__ = ["write_evaluation_report", "write_report", "write_run_report"]


def write_report(
    folder: str | Path, *, model: str | None = None, overwrite: bool = False, progress: bool = True
) -> Path:
    """Write ``folder/index.html``: an evaluation report when ``folder`` holds ``metrics.json``
    (from ``landcover evaluate``), else the report of a ``predict`` run. Returns the page."""
    if (Path(folder) / "metrics.json").is_file():
        return write_evaluation_report(folder, overwrite=overwrite)
    return write_run_report(folder, model=model, overwrite=overwrite, progress=progress)
