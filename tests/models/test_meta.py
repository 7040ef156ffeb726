"""Model metadata read from files: values no model can have are refused by name."""

from __future__ import annotations

import pytest

from landcover.errors import InputError
from landcover.models.meta import ModelMeta
from landcover.schema import DEEPGLOBE

GOOD = ModelMeta("fpn-lite0", DEEPGLOBE, gsd_m=1.2, tile_size=64).to_dict()


def test_round_trip() -> None:
    assert ModelMeta.from_dict(GOOD).to_dict() == GOOD


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"tile_size": 0}, "tile_size 0"),
        ({"std": [0.2, 0.0, 0.2]}, "must be positive"),
        ({"mean": [0.5, 0.5]}, "2 means and 3 stds for 3 bands"),
        ({"gsd_m": -1.0}, "gsd_m -1.0"),
        ({"tile_size": "big"}, "incomplete or invalid"),
    ],
)
def test_invalid_values_are_input_errors_naming_the_file(change: dict, words: str) -> None:
    with pytest.raises(InputError, match=words) as e:
        ModelMeta.from_dict({**GOOD, **change}, source="m.onnx")
    assert str(e.value).startswith("m.onnx: ") and isinstance(e.value, ValueError)


def test_missing_metadata() -> None:
    with pytest.raises(InputError, match="carries no landcover model metadata"):
        ModelMeta.from_dict(None, source="m.onnx")
    bad = dict(GOOD)
    del bad["arch"]
    with pytest.raises(InputError, match="incomplete or invalid"):
        ModelMeta.from_dict(bad, source="m.onnx")
