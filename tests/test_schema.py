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


# --- index masks (issue 16, item 7) --------------------------------------------------------


def index_schema() -> ClassSchema:
    """5 classes, ``void`` ignored, mask value 255 ignored too."""
    return ClassSchema.from_dict(
        {
            "name": "idx",
            "classes": ["other", "built", "green", "water", "void"],
            "ignore": "void",
            "mask_format": "index",
            "ignore_value": 255,
        }
    )


def test_index_encoding_maps_ignore_value_and_counts_out_of_range() -> None:
    schema = index_schema()
    values = np.array([[0, 1, 2, 3], [4, 255, 9, 200], [9, 1, 255, 0]], np.uint8)
    enc = schema.encode_index(values)
    assert enc.labels.dtype == np.uint8
    # 255 is the ignore value: ignored, not counted; 9 and 200 are no class: ignored and counted
    assert enc.labels.tolist() == [[0, 1, 2, 3], [4, 4, 4, 4], [4, 1, 4, 0]]
    assert (enc.off_palette, enc.off_values, enc.off_colors) == (3, {9: 2, 200: 1}, {})
    assert schema.encode_mask(values).labels.tolist() == enc.labels.tolist()
    wide = schema.encode_index(np.array([[3, 1000, 255]], np.uint16))
    assert wide.labels.tolist() == [[3, 4, 4]] and wide.off_values == {1000: 1}


def test_index_round_trip_and_default_ignore_value() -> None:
    labels = label_grid(16, 5)
    enc = index_schema().encode_index(labels)
    assert np.array_equal(enc.labels, labels) and enc.off_palette == 0
    # LoveDA style: 0 is no-data; the ignore value defaults to the ignored class's index.
    loveda = ClassSchema.from_dict(
        {
            "classes": ["nodata", "background", "building"],
            "ignore": "nodata",
            "mask_format": "index",
        }
    )
    assert loveda.mask_ignore_value == 0
    enc = loveda.encode_index(np.array([[0, 1, 2, 3]], np.uint8))
    assert enc.labels.tolist() == [[0, 1, 2, 0]] and enc.off_values == {3: 1}


def test_index_without_ignore_index_fills_255_and_counts() -> None:
    s = ClassSchema("two", ("a", "b"), ((0, 0, 0), (255, 255, 255)), mask_format="index")
    enc = s.encode_index(np.array([[0, 1, 2, 255]], np.uint8))
    assert enc.labels.tolist() == [[0, 1, 255, 255]] and enc.off_values == {2: 1, 255: 1}
    with_value = ClassSchema(
        "two", ("a", "b"), ((0, 0, 0), (255, 255, 255)), mask_format="index", ignore_value=255
    )
    enc = with_value.encode_index(np.array([[0, 1, 2, 255]], np.uint8))
    assert enc.labels.tolist() == [[0, 1, 255, 255]] and enc.off_values == {2: 1}


def test_index_yaml_round_trip_with_default_palette(tmp_path: Path) -> None:
    import yaml

    path = tmp_path / "loveda.yaml"
    path.write_text(
        "name: loveda\nmask_format: index\nignore_value: 255\nignore: nodata\n"
        "classes: [nodata, background, building, road, water, barren, forest, agriculture]\n"
    )
    s = get_schema(path)
    assert (s.mask_format, s.ignore_value, s.ignore_index, s.num_classes) == ("index", 255, 0, 8)
    assert len(set(s.colors)) == 8  # default palette: distinct colours for colour maps
    d = s.to_dict()
    assert (d["mask_format"], d["ignore_value"]) == ("index", 255)
    assert ClassSchema.from_dict(d) == s
    again = tmp_path / "again.yaml"
    again.write_text(yaml.safe_dump(d))
    assert get_schema(again) == s
    assert DEEPGLOBE.to_dict()["mask_format"] == "rgb"
    old = {k: v for k, v in DEEPGLOBE.to_dict().items() if k not in ("mask_format", "ignore_value")}
    assert ClassSchema.from_dict(old) == DEEPGLOBE  # metadata of models saved before the keys


def test_index_yaml_with_colours(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    # Colours of an index schema only draw maps: equal after thresholding is fine.
    path.write_text(
        "mask_format: index\nclasses:\n  - {name: a, color: [200, 0, 0]}\n"
        "  - {name: b, color: [255, 0, 0]}\n"
    )
    s = get_schema(path)
    assert s.colors == ((200, 0, 0), (255, 0, 0)) and s.mask_ignore_value is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("mask_format: png\n", "mask_format must be 'rgb' or 'index', not 'png'"),
        ("mask_format: index\nignore_value: 2.5\n", "ignore_value must be an integer"),
        ("mask_format: index\nignore_value: '255'\n", "ignore_value must be an integer"),
        ("mask_format: index\nignore_value: 70000\n", "ignore_value must be a pixel value"),
        ("ignore_value: 255\n", "ignore_value applies only to mask_format: index"),
        ("mask_format: index\nignore_value: 1\n", "ignore_value 1 is the index of class 'b'"),
    ],
)
def test_index_yaml_errors_name_the_option_and_file(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "classes:\n  - {name: a, color: [255, 255, 0]}\n  - {name: b, color: [0, 0, 0]}\n" + text
    )
    with pytest.raises(LandcoverError, match=message) as e:
        get_schema(path)
    assert str(path) in str(e.value) and "\n" not in str(e.value)


def test_index_yaml_needs_all_colours_or_none(tmp_path: Path) -> None:
    path = tmp_path / "half.yaml"
    path.write_text("mask_format: index\nclasses:\n  - {name: a, color: [1, 2, 3]}\n  - b\n")
    with pytest.raises(LandcoverError, match="give every class a colour, or none"):
        get_schema(path)
    path.write_text("classes: [a, b]\n")  # an RGB schema needs its colours
    with pytest.raises(LandcoverError, match="a schema needs 'classes'"):
        get_schema(path)
