"""The error tree: every error is a LandcoverError, and also the standard type that fits."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from landcover.errors import (
    InputError,
    LandcoverError,
    LandcoverIOError,
    MissingDependencyError,
)
from landcover.io.masks import MaskFormatError

TREE = [
    (InputError, ValueError),
    (LandcoverIOError, OSError),
    (MissingDependencyError, ImportError),
    (MaskFormatError, ValueError),
]


@pytest.mark.parametrize(("cls", "std"), TREE)
def test_each_error_is_catchable_as_both(cls: type[LandcoverError], std: type) -> None:
    for catch in (LandcoverError, std, Exception):
        with pytest.raises(catch):
            raise cls("bad")


@pytest.mark.parametrize("cls", [LandcoverError] + [c for c, _ in TREE])
def test_message_and_path_work_on_every_class(cls: type[LandcoverError]) -> None:
    e = cls("cannot read it", "data/a.tif")
    assert str(e) == "data/a.tif: cannot read it"
    assert (e.message, e.path) == ("cannot read it", Path("data/a.tif"))
    bare = cls("no path")
    assert (str(bare), bare.message, bare.path) == ("no path", "no path", None)
    back = pickle.loads(pickle.dumps(e))  # e.g. from a DataLoader worker
    assert type(back) is cls and str(back) == str(e) and back.path == e.path


def test_io_error_names_its_file_as_oserror_does() -> None:
    e = LandcoverIOError("refused", "m.ckpt")
    assert e.filename == "m.ckpt" and str(e) == "m.ckpt: refused"


def test_root_is_not_a_standard_subtype() -> None:
    """Code catching ValueError/OSError is not handed errors it did not ask for."""
    assert not issubclass(LandcoverError, (ValueError, OSError, ImportError))
