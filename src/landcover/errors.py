"""Errors the tool reports to users as one clear line.

Every error is a :class:`LandcoverError` (the command line prints it without a traceback);
the subclasses also derive from the standard exception that fits, as rasterio's errors do,
so that library users can catch either::

    LandcoverError(Exception)
    +-- InputError(LandcoverError, ValueError)            bad input data, option or name
    +-- LandcoverIOError(LandcoverError, OSError)         a file missing, unreadable, refused
    +-- MissingDependencyError(LandcoverError, ImportError)   the [train] extra is needed
"""

from __future__ import annotations

import importlib.util
from pathlib import Path


class LandcoverError(Exception):
    """A problem with the user's input or environment, reported without a traceback.

    Args:
        message: what is wrong, in words a user understands.
        path: the file or folder concerned, named at the start of the message.

    Attributes:
        message: ``message`` as given.
        path: ``path`` as a :class:`~pathlib.Path`, or ``None``.
    """

    def __init__(self, message: str, path: str | Path | None = None) -> None:
        text = f"{path}: {message}" if path is not None else message
        super().__init__(text)
        # Set after the standard base's __init__, which may reset same-named attributes
        # (ImportError.path).
        self.message = message
        self.path = None if path is None else Path(path)
        self._text = text

    def __str__(self) -> str:
        # Explicit, so that mix-ins with their own __str__ (OSError) print the same line.
        return getattr(self, "_text", super().__str__())


class InputError(LandcoverError, ValueError):
    """Bad input: a value, option, model name or data content the tool cannot use."""


class LandcoverIOError(LandcoverError, OSError):
    """A file or folder that is missing, unreadable, unwritable or refused as unsafe."""

    def __init__(self, message: str, path: str | Path | None = None) -> None:
        super().__init__(message, path)
        self.filename = None if path is None else str(path)


class FolderBusyError(LandcoverIOError):
    """An output folder that another live run holds (its lock file is locked)."""


# ImportError.path is typed str; ours is, as on every LandcoverError, a Path or None.
class MissingDependencyError(LandcoverError, ImportError):  # type: ignore[misc]
    """An optional dependency (an extra such as ``[train]`` or ``[gis]``) is not installed."""


def require_torch() -> None:
    """Raise a clear error if PyTorch (the ``[train]`` extra) is not installed."""
    if importlib.util.find_spec("torch") is None:
        raise MissingDependencyError(
            "this command needs PyTorch; install it with: pip install 'landcover[train]'"
        )


def require_extra(module: str, extra: str, purpose: str) -> None:
    """Raise a one-line install hint if ``module`` (part of the ``extra``) is not installed.

    Args:
        module: importable name, e.g. ``"pyogrio"``.
        extra: the landcover extra that provides it, e.g. ``"gis"``.
        purpose: what needs it, e.g. ``"writing GeoPackage files"``.
    """
    if importlib.util.find_spec(module) is None:
        raise MissingDependencyError(
            f"{purpose} needs {module}; install it with: pip install 'landcover[{extra}]'"
        )
