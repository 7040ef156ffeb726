"""The console log of the ``landcover`` command: our INFO lines, others' warnings only.

Third-party libraries log routine INFO lines of their own (pyogrio's "Created 2 records",
Dask's cluster start-up); on the console they read as noise between ours. Their warnings and
errors still show; ``--debug`` shows everything.
"""

from __future__ import annotations

import logging
import sys

OWN_LOGGERS = ("landcover", "__main__")


class OwnInfoFilter(logging.Filter):
    """Pass warnings and errors from anyone, lower levels only from landcover's loggers."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Whether ``record`` goes to the console."""
        return record.levelno >= logging.WARNING or record.name.split(".")[0] in OWN_LOGGERS


def configure_logging(quiet: bool = False, debug: bool = False) -> None:
    """Log to stderr as ``LEVEL: message``: INFO and up (WARNING with ``quiet``), only
    landcover's own below WARNING unless ``debug``. Like :func:`logging.basicConfig`, this
    does nothing when the root logger has handlers already (an embedding application's)."""
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    if not debug:
        handler.addFilter(OwnInfoFilter())
    root.addHandler(handler)
    root.setLevel(logging.WARNING if quiet else logging.INFO)
