"""Evaluation on the real DeepGlobe and Dubai samples in ../shared/data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from landcover.data.pairs import find_pairs, gsd_of, read_tiles_csv
from landcover.evaluation.evaluate import evaluate_pairs, far_from_palette
from landcover.io.images import read_mask_rgb
from landcover.schema import DEEPGLOBE, DUBAI

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
pytestmark = [
    pytest.mark.shared,
    pytest.mark.skipif(not DATA.is_dir(), reason=f"real data not found at {DATA}"),
]


def test_real_masks_fit_their_own_schema_only() -> None:
    dg = find_pairs(DATA / "deepglobe" / "quadrants512").pairs[0].mask
    dubai = find_pairs(DATA / "dubai").pairs[0].mask
    assert far_from_palette(read_mask_rgb(dg), DEEPGLOBE) == 0.0
    assert far_from_palette(read_mask_rgb(dg), DUBAI) == 1.0
    assert far_from_palette(read_mask_rgb(dubai), DUBAI) < 0.02
    assert far_from_palette(read_mask_rgb(dubai), DEEPGLOBE) > 0.9


def test_real_quadrants_with_tiny_checkpoint(tmp_path) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("scipy")
    from landcover.inference.predictor import load_predictor
    from landcover.models.checkpoint import save_weights
    from landcover.models.meta import ModelMeta
    from landcover.models.registry import create_model

    root = DATA / "deepglobe" / "quadrants512"
    pairs = find_pairs(root).pairs[:2]
    gsd = gsd_of(pairs, read_tiles_csv(root))
    assert gsd == pytest.approx(1.195, abs=0.01)
    meta = ModelMeta(
        arch="seed-unet", schema=DEEPGLOBE, arch_kwargs={"width": 4}, tile_size=256, gsd_m=gsd
    )
    save_weights(tmp_path / "m.pt", create_model("seed-unet", 7, width=4), meta)
    result = evaluate_pairs(
        load_predictor(tmp_path / "m.pt"),
        pairs,
        tmp_path / "r",
        gsd_m=gsd,
        gallery=1,
        progress=False,
    )
    truth = [DEEPGLOBE.encode(read_mask_rgb(p.mask)).labels for p in pairs]
    scored = sum(int(np.count_nonzero(t != 6)) for t in truth)
    assert result.scores.pixels == scored == result.confusion.sum()
    assert [r.name for r in result.images] == [p.key for p in pairs]
    assert (tmp_path / "r" / "metrics.json").is_file()
