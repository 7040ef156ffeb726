"""Augmentation reaches training samples only; validation samples are the data, untouched."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch", reason="needs PyTorch: pip install 'landcover[train]'")

from landcover.schema import DEEPGLOBE
from landcover.training.augment import train_transform, val_transform
from landcover.training.config import load_config
from landcover.training.dataset import load_pair, pad_to_multiple
from landcover.training.run import make_loaders, resolve_class_weights, select_pairs


@pytest.fixture
def loaders(tiny_data: tuple[Path, Path, Path]):
    data, split, cfg_path = tiny_data
    cfg = load_config(cfg_path, {"data": str(data), "split": str(split), "color_jitter": 0.3})
    train_pairs, val_pairs, _ = select_pairs(cfg)
    return cfg, train_pairs, val_pairs, make_loaders(cfg, DEEPGLOBE, train_pairs, val_pairs)


def test_validation_batches_are_never_augmented(loaders) -> None:
    _, _, val_pairs, (_, val_loader, _) = loaders
    seen = 0
    for _ in range(2):  # two passes: identical, and equal to the files
        for images, labels in val_loader:
            for img, lab in zip(images, labels, strict=True):
                raw_img, raw_lab = load_pair(val_pairs[seen % len(val_pairs)], DEEPGLOBE)
                np.testing.assert_array_equal(img.numpy().transpose(1, 2, 0), raw_img)
                np.testing.assert_array_equal(lab.numpy(), raw_lab)
                seen += 1
    assert seen == 2 * len(val_pairs)


def test_training_samples_are_cropped_and_augmented(loaders) -> None:
    _, train_pairs, _, (train_loader, _, train_set) = loaders
    images, labels = next(iter(train_loader))
    assert images.shape[1:] == (3, 32, 32) and labels.shape[1:] == (32, 32)
    raw = [load_pair(p, DEEPGLOBE)[0] for p in train_pairs]
    differs = 0
    for _ in range(4):
        img, _ = train_set[0]
        crop = img.numpy().transpose(1, 2, 0)
        differs += not any(
            (crop == r[y : y + 32, x : x + 32]).all()
            for r in raw
            for y in range(33)
            for x in range(33)
        )
    assert differs > 0  # flips/rot90/brightness change at least one of four samples


def test_mask_labels_stay_valid_classes_after_augmentation() -> None:
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)
    labels = rng.integers(0, 7, (40, 48), dtype=np.uint8)
    t = train_transform("crop", 64, fill_label=6, scale_jitter=0.3, seed=0)
    for _ in range(5):
        img, lab = t(image, labels)
        assert img.shape == (64, 64, 3) and lab.shape == (64, 64)
        assert set(np.unique(lab)) <= set(range(7))  # nearest neighbour: no blended classes
    r = train_transform("resize", 32, fill_label=6, seed=0)
    _, lab = r(image, labels)
    assert set(np.unique(lab)) <= set(np.unique(labels))


def test_val_transform_pads_to_multiple_of_32_with_the_ignore_index() -> None:
    image = np.full((40, 33, 3), 7, np.uint8)
    labels = np.zeros((40, 33), np.uint8)
    img, lab = val_transform("crop", 256, fill_label=6)(image, labels)
    assert img.shape == (64, 64, 3) and lab.shape == (64, 64)
    np.testing.assert_array_equal(img[:40, :33], image)
    assert (lab[40:] == 6).all() and (lab[:, 33:] == 6).all() and (lab[:40, :33] == 0).all()
    assert pad_to_multiple(img, lab, 32, 6)[0] is img  # already a multiple: unchanged


def test_auto_class_weights_are_inverse_frequency(loaders) -> None:
    cfg, _, _, (_, _, train_set) = loaders
    cfg.class_weights = "auto"
    w = resolve_class_weights(cfg, DEEPGLOBE, train_set)
    counts = np.zeros(7)
    for i in range(len(train_set)):
        counts += np.bincount(train_set.arrays(i)[1].ravel(), minlength=7)
    mean = counts[:6].mean()
    assert w == [round(min(10, max(0.1, mean / c)), 4) for c in counts[:6]] + [1.0]


def test_hue_and_saturation_jitter_change_colours_but_not_labels() -> None:
    rng = np.random.default_rng(2)
    image = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    labels = rng.integers(0, 7, (32, 32), dtype=np.uint8)
    plain = train_transform("crop", 32, fill_label=6, color_jitter=0, seed=3)
    jitter = train_transform(
        "crop", 32, fill_label=6, color_jitter=0, seed=3, saturation_jitter=0.5, hue_jitter=0.1
    )
    changed = 0
    for _ in range(8):  # the same seed: the same crops, flips and rotations in both
        (img_p, lab_p), (img_j, lab_j) = plain(image, labels), jitter(image, labels)
        np.testing.assert_array_equal(lab_j, lab_p)
        changed += not np.array_equal(img_j, img_p)
    assert 0 < changed < 8  # applied to about half of the samples (p = 0.5)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("hue_jitter", 0.6, "hue_jitter: 0.6 must be in [0, 0.5]"),
        ("saturation_jitter", -0.1, "saturation_jitter: -0.1 must be >= 0"),
    ],
)
def test_colour_jitter_bounds_are_checked(key: str, value: float, message: str) -> None:
    from landcover.errors import LandcoverError

    with pytest.raises(LandcoverError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_config(None, {key: value})


def test_building_the_augmentation_makes_no_network_call() -> None:
    import subprocess
    import sys

    code = """
import os, urllib.request
os.environ.pop("NO_ALBUMENTATIONS_UPDATE", None)
calls = []
def refuse(self, url, *args, **kwargs):
    calls.append(getattr(url, "full_url", url))
    raise OSError("offline")
urllib.request.OpenerDirector.open = refuse
from landcover.training.augment import train_transform
train_transform("crop", 32, fill_label=6)
print(calls)
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.strip() == "[]", res.stdout + res.stderr
