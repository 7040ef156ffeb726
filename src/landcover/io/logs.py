"""Loggers quieted for a while: what was said once is not said again."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def quieted(name: str, level: int = logging.WARNING) -> Iterator[None]:
    """Drop the records of logger ``name`` (and its children) below ``level`` inside the block."""
    logger = logging.getLogger(name)
    before = logger.level
    logger.setLevel(max(before, level))
    try:
        yield
    finally:
        logger.setLevel(before)
