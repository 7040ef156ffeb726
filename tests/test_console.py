"""The console shows landcover's INFO lines and everyone's warnings, not others' INFO lines."""

from __future__ import annotations

import logging

from landcover.cli.console import OwnInfoFilter


def _record(name: str, level: int) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, "message", None, None)


def test_third_party_info_lines_are_dropped_their_warnings_kept() -> None:
    f = OwnInfoFilter()
    assert f.filter(_record("landcover.batch.runner", logging.INFO))
    assert f.filter(_record("landcover", logging.DEBUG))
    assert not f.filter(_record("pyogrio._io", logging.INFO))
    assert not f.filter(_record("distributed.scheduler", logging.INFO))
    assert not f.filter(_record("landcoverish", logging.INFO))
    assert f.filter(_record("pyogrio._io", logging.WARNING))
    assert f.filter(_record("rasterio", logging.ERROR))
