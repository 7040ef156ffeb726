"""Tests for landcover.schema: codec round trips, matching modes, user YAML schemas."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from landcover.errors import LandcoverError
from landcover.schema import DEEPGLOBE, DUBAI, ClassSchema, get_schema
from tests.helpers import label_grid


@pytest.mark.parametrize("schema", [DEEPGLOBE, DUBAI])
def test_round_trip_exact(schema: ClassSchema) -> None:
    labels = np.random.default_rng(0).integers(0, schema.num_classes, (33, 17)).astype(np.uint8)
    encoded = schema.encode(schema.decode(labels))
    assert encoded.labels.dtype == np.uint8
    assert np.array_equal(encoded.labels, labels) and encoded.off_palette == 0


def test_threshold_mode_maps_noisy_colours_and_counts_off_palette() -> None:
    rgb = np.array([[[10, 200, 250], [255, 0, 0], [130, 129, 128], [255, 0, 0]]], np.uint8)
    enc = DEEPGLOBE.encode(rgb)
    # (10,200,250) -> urban; (255,0,0) is off-palette -> unknown, never class 0; grey -> barren
    assert enc.labels.tolist() == [[0, 6, 5, 6]]
    assert enc.off_palette == 2 and enc.off_colors == {(255, 0, 0): 2}


def test_nearest_mode_and_tolerance() -> None:
    rgb = np.array([[[61, 17, 150], [150, 150, 150], [0, 0, 0]]], np.uint8)
    enc = DUBAI.encode(rgb)
    assert enc.labels.tolist() == [[0, 5, 5]]
    assert enc.off_colors == {(0, 0, 0): 1}


def test_no_ignore_index_fills_255() -> None:
    s = ClassSchema("two", ("a", "b"), ((0, 0, 0), (255, 255, 255)))
    enc = s.encode(np.array([[[0, 0, 0], [255, 0, 0]]], np.uint8))
    assert enc.labels.tolist() == [[0, 255]] and s.fill_index == 255


def test_decode_rejects_out_of_range() -> None:
    with pytest.raises(ValueError, match="label 7 out of range"):
        DEEPGLOBE.decode(np.array([[7]], np.uint8))


def test_to_dict_from_dict_round_trip() -> None:
    for s in (DEEPGLOBE, DUBAI):
        assert ClassSchema.from_dict(s.to_dict()) == s


def test_yaml_schema(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(
        "classes:\n  - {name: crop, color: [255, 255, 0]}\n  - {name: void, color: [0, 0, 0]}\n"
        "ignore: void\nmatch: nearest\n"
    )
    s = get_schema(path)
    assert (s.name, s.classes, s.ignore_index, s.match) == ("mine", ("crop", "void"), 1, "nearest")
    assert np.array_equal(s.encode(s.decode(label_grid(8, 2))).labels, label_grid(8, 2))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("classes: 3\n", "a schema needs 'classes'"),
        ("- a\n", "must hold a mapping"),
        ("classes:\n  - {name: a, color: [1, 2, 3]}\nignore: b\n", "ignored class 'b'"),
        ("classes: [\n", "cannot read schema"),
    ],
)
def test_bad_yaml_names_the_file(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(LandcoverError, match=message) as e:
        get_schema(path)
    assert str(path) in str(e.value)


def test_invalid_schemas() -> None:
    with pytest.raises(LandcoverError, match="unknown schema 'nope'"):
        get_schema("nope")
    with pytest.raises(LandcoverError, match="equal after thresholding"):
        ClassSchema("x", ("a", "b"), ((200, 0, 0), (255, 0, 0)))
    with pytest.raises(LandcoverError, match="colours must be unique"):
        ClassSchema("x", ("a", "b"), ((1, 1, 1), (1, 1, 1)), match="nearest")
