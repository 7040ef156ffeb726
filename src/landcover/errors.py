"""Errors the tool reports to users as one clear line."""

from __future__ import annotations

from pathlib import Path


class LandcoverError(Exception):
    """A problem with the user's input or environment, reported without a traceback.

    Args:
        message: what is wrong, in words a user understands.
        path: the file or folder concerned, named at the start of the message.
    """

    def __init__(self, message: str, path: str | Path | None = None) -> None:
        self.path = None if path is None else Path(path)
        self.message = message
        super().__init__(f"{path}: {message}" if path is not None else message)


class MissingDependencyError(LandcoverError):
    """An optional dependency (the ``[train]`` extra) is needed but not installed."""


def require_torch() -> None:
    """Raise a clear error if PyTorch (the ``[train]`` extra) is not installed."""
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        raise MissingDependencyError(
            "this command needs PyTorch; install it with: pip install 'landcover[train]'"
        )
