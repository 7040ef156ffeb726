"""``PredictOptions``: checked once, one-line errors naming the option, the run fingerprint."""

from __future__ import annotations

import dataclasses
import json

import pytest

from landcover.errors import InputError
from landcover.inference.options import PredictOptions


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"gsd_m": 0.0}, "--gsd must be a positive number of metres, got 0.0"),
        ({"gsd_m": float("nan")}, "--gsd must be a positive number of metres, got nan"),
        ({"overlap": 1.0}, r"--overlap must be in \[0, 1\), got 1.0"),
        ({"alpha": 1.5}, "--alpha must be between 0 and 1, got 1.5"),
        ({"batch_size": 0}, "--batch-size must be at least 1, got 0"),
        ({"block_size": 0}, "block_size must be at least 1 model pixel, got 0"),
        ({"mmu_ha": 0.5}, "--mmu takes hectares >= 0 and applies to --vector polygons"),
        ({"mmu_ha": -1.0, "vector": True}, "--mmu takes hectares >= 0"),
        ({"bands": []}, r"--bands takes 1-based band numbers or names, got \[\]"),
        ({"bands": [0, 1, 2]}, r"--bands takes 1-based band numbers or names, got \[0, 1, 2\]"),
    ],
)
def test_bad_values_are_refused_naming_the_option(change: dict, message: str) -> None:
    with pytest.raises(InputError, match=f"^{message}"):
        PredictOptions(**change)


def test_options_are_frozen_and_bands_become_a_tuple() -> None:
    options = PredictOptions(bands=[3, 2, 1])
    assert options.bands == (3, 2, 1)
    assert hash(options) == hash(PredictOptions(bands=(3, 2, 1)))
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.tta = True  # type: ignore[misc]


def test_fingerprint_is_every_field_but_the_neutral_ones_as_json() -> None:
    fp = PredictOptions(gsd_m=0.5, bands=(3, 2, 1), batch_size=8).fingerprint()
    assert fp == {
        "gsd_m": 0.5,
        "estimate": True,
        "overlap": 0.25,
        "tta": False,
        "bands": [3, 2, 1],
        "probabilities": False,
        "confidence": False,
        "vector": False,
        "mmu_ha": 0.0,
        "alpha": 0.5,
        "block_size": None,
    }
    assert json.loads(json.dumps(fp)) == fp  # a resumed run compares it with run.json's
    assert PredictOptions(batch_size=1).fingerprint() == PredictOptions().fingerprint()
