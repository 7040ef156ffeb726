"""Sliding-window engine: exact reconstruction with an identity model, GSD resampling, TTA."""

from __future__ import annotations

import numpy as np
import pytest

from landcover.inference.engine import (
    blend_weights,
    model_scale,
    predict_array,
    resize_labels,
)
from tests.inference.conftest import IdentityPredictor, K, coded_image


@pytest.mark.parametrize(
    ("height", "width", "overlap"),
    [(37, 91, 0.25), (100, 33, 0.5), (65, 65, 0.0), (5, 7, 0.25), (1, 50, 0.25), (50, 1, 0.3)],
)
def test_identity_model_is_reconstructed_exactly(
    identity: IdentityPredictor, height: int, width: int, overlap: float
) -> None:
    image = coded_image(height, width)
    probs = predict_array(identity, image, overlap=overlap, batch_size=3)
    assert probs.shape == (K, height, width) and probs.dtype == np.float32
    np.testing.assert_array_equal(probs.argmax(axis=0), image[..., 0] % K)
    # Blending one-hot windows with any positive weights gives one-hot again.
    np.testing.assert_allclose(probs.max(axis=0), 1.0, atol=1e-6)
    np.testing.assert_allclose(probs.sum(axis=0), 1.0, atol=1e-6)


def test_windows_are_batched_and_overlap(identity: IdentityPredictor) -> None:
    predict_array(identity, coded_image(70, 70), overlap=0.25, batch_size=4)
    # 70 px, 32-px windows, stride 24: starts 0, 24, 38 -> 3 x 3 = 9 windows in 3 batches.
    assert [c[0] for c in identity.calls] == [4, 4, 1]


def test_tta_keeps_identity_exact(identity: IdentityPredictor) -> None:
    image = coded_image(40, 45, seed=3)
    probs = predict_array(identity, image, tta=True)
    np.testing.assert_array_equal(probs.argmax(axis=0), image[..., 0] % K)
    assert identity.calls == [(4, 3, 32, 32)] * 4  # one batch of 4 windows, 4 views


def test_gsd_resampling_returns_input_shape() -> None:
    pred = IdentityPredictor(gsd_m=1.2)
    image = np.zeros((61, 70, 3), dtype=np.uint8)
    image[:, :40, 0] = 3  # class 3 left, class 0 right
    probs = predict_array(pred, image, gsd_m=0.5)
    assert probs.shape == (K, 61, 70)
    # 0.5 m -> 1.2 m: the model saw 25 x 29 pixels, i.e. a single window.
    assert pred.calls == [(1, 3, 32, 32)]
    labels = probs.argmax(axis=0)
    assert (labels[:, :35] == 3).all() and (labels[:, 45:] == 0).all()


def test_nodata_gets_zero_probabilities(identity: IdentityPredictor) -> None:
    image = coded_image(20, 30)
    valid = np.ones((20, 30), dtype=bool)
    valid[:5] = False
    probs = predict_array(identity, image, valid=valid)
    assert (probs[:, :5] == 0).all()
    np.testing.assert_array_equal(probs[:, 5:].argmax(axis=0), image[5:, :, 0] % K)


def test_model_scale_and_helpers() -> None:
    assert model_scale(0.5, 1.2) == pytest.approx(0.5 / 1.2)
    assert model_scale(None, 1.2) == 1.0 and model_scale(0.5, None) == 1.0
    assert model_scale(1.21, 1.2) == 1.0  # within 2 %: no resampling
    w = blend_weights(8)
    assert w.shape == (8, 8) and w.min() > 0.0 and w[3, 4] > w[0, 0]
    np.testing.assert_array_equal(w, w.T)
    labels = np.array([[0, 1], [2, 3]], dtype=np.uint8)
    np.testing.assert_array_equal(
        resize_labels(labels, 4, 4), np.repeat(np.repeat(labels, 2, 0), 2, 1)
    )


def test_rejects_non_rgb(identity: IdentityPredictor) -> None:
    with pytest.raises(ValueError, match="uint8"):
        predict_array(identity, np.zeros((4, 4, 3), dtype=np.float32))


def test_class_labels_is_argmax_with_first_class_on_ties() -> None:
    from landcover.inference.engine import class_labels

    probs = np.random.default_rng(3).random((K, 37, 41), dtype=np.float32)
    probs[:, 0, :5] = 0.5  # ties everywhere in these pixels: class 0 wins, as argmax
    probs[2:, 1, :5] = 0.5
    probs[:2, 1, :5] = 0.1
    labels = class_labels(probs)
    assert labels.dtype == np.uint8
    np.testing.assert_array_equal(labels, probs.argmax(axis=0))
    assert (labels[0, :5] == 0).all() and (labels[1, :5] == 2).all()


def test_labels_and_confidence_give_argmax_and_max() -> None:
    from landcover.inference.engine import labels_and_confidence

    probs = np.random.default_rng(4).random((K, 19, 23), dtype=np.float32)
    labels, confidence = labels_and_confidence(probs)
    np.testing.assert_array_equal(labels, probs.argmax(axis=0))
    np.testing.assert_array_equal(confidence, probs.max(axis=0))
    assert confidence.dtype == np.float32
