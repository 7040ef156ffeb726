"""Fine-tuning a checkpoint on data of another class schema, and freezing its encoder.

The parent is the tiny DeepGlobe-schema run of ``conftest.trained_run`` (a seed U-Net of width
4); the new data use a 3-class schema made here (``farm``: built, crop and an ignored void),
learnable like the conftest data: vertical bands painted in their class colour.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

torch = pytest.importorskip("torch", reason="needs PyTorch: pip install 'landcover[train]'")

from landcover.cli import main
from landcover.models.checkpoint import load_checkpoint, read_checkpoint
from landcover.models.parts import part_names
from landcover.models.registry import create_model
from landcover.schema import DUBAI, get_schema

from .conftest import fit_random, write_split_csv

FARM_YAML = """\
name: farm
classes:
  - {name: built, color: [255, 0, 0]}
  - {name: crop, color: [0, 255, 0]}
  - {name: void, color: [0, 0, 0]}
ignore: void
"""
INIT_LINE = "encoder and decoder kept, new head for 3 classes of 'farm' (was 7 of 'deepglobe')"
SEED = ("seed-unet", {"width": 4})


@pytest.fixture(scope="module")
def farm(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """``(data folder, split CSV, schema YAML)`` of 6 learnable 64x64 pairs in 3 classes."""
    base = tmp_path_factory.mktemp("farm")
    schema_path = base / "farm.yaml"
    schema_path.write_text(FARM_YAML, encoding="utf-8")
    schema = get_schema(schema_path)
    data = base / "data"
    data.mkdir()
    rng = np.random.default_rng(1)
    for i in range(6):
        labels = np.broadcast_to((np.arange(64) * 6 // 64 + i) % 3, (64, 64)).astype(np.uint8)
        rgb = schema.decode(labels).astype(np.int16) * 3 // 4 + 32
        rgb = np.clip(rgb + rng.integers(-20, 21, rgb.shape), 0, 255).astype(np.uint8)
        Image.fromarray(rgb).save(data / f"s{i}_sat.png")
        Image.fromarray(schema.decode(labels)).save(data / f"s{i}_mask.png")
    return data, write_split_csv(base / "split.csv"), schema_path


def finetune_argv(farm: tuple[Path, Path, Path], config: Path, parent: Path, out: Path) -> list:
    data, split, schema = farm
    return [
        "train",
        "--data",
        str(data),
        "--split",
        str(split),
        "--config",
        str(config),
        "--schema",
        str(schema),
        "--init-checkpoint",
        str(parent),
        "--epochs",
        "1",
        "--out",
        str(out),
    ]


def tensors(state: dict[str, torch.Tensor], prefixes: tuple[str, ...]) -> dict:
    return {k: v for k, v in state.items() if k.startswith(prefixes)}


def assert_same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a and a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k].float(), b[k].float()), k


@pytest.mark.parametrize(("arch", "kwargs"), [SEED, ("fpn-lite0", {})])
def test_the_head_is_exactly_what_the_class_count_sizes(arch: str, kwargs: dict) -> None:
    three = create_model(arch, 3, **kwargs).state_dict()
    five = create_model(arch, 5, **kwargs).state_dict()
    sized = [k for k in three if three[k].shape != five[k].shape]
    assert part_names(three, arch, "head") == sized
    assert len(sized) == 2 and three[sized[0]].shape[0] == 3  # weight and bias
    encoder = part_names(three, arch, "encoder")
    assert encoder and not set(encoder) & set(sized)
    if arch == "seed-unet":
        assert {k.split(".")[0] for k in encoder} == {"enc1", "enc2", "bottleneck"}


def test_init_keeps_every_weight_but_the_head(trained_run: Path, farm, caplog) -> None:
    from landcover.training.finetune import init_from_checkpoint

    parent = trained_run / "checkpoints" / "best.ckpt"
    old, _ = read_checkpoint(parent)
    model = create_model("seed-unet", 3, width=4)
    with caplog.at_level(logging.INFO, logger="landcover.training.finetune"):
        init_from_checkpoint(model, parent, *SEED, get_schema(farm[2]))
    new = model.state_dict()
    head = ("head.",)
    assert_same(
        {k: v for k, v in new.items() if k not in ("head.weight", "head.bias")},
        {k: v for k, v in old.items() if not k.startswith(head)},
    )
    assert new["head.weight"].shape == (3, 4, 1, 1) and old["head.weight"].shape[0] == 7
    assert [r.getMessage() for r in caplog.records] == [f"init from best.ckpt: {INIT_LINE}"]


def test_the_bundled_model_by_name_gives_a_dubai_head() -> None:
    from landcover.bundled import DEFAULT_MODEL, WEIGHTS_DIR
    from landcover.training.finetune import checkpoint_path, init_from_checkpoint

    path = checkpoint_path(DEFAULT_MODEL)
    assert path == WEIGHTS_DIR / f"{DEFAULT_MODEL}.pt"
    assert checkpoint_path("no-such-model") == Path("no-such-model")
    model = create_model("fpn-lite0", DUBAI.num_classes)
    init_from_checkpoint(model, DEFAULT_MODEL, "fpn-lite0", {}, DUBAI)
    old, _ = read_checkpoint(path)
    new = model.state_dict()
    assert_same(tensors(new, ("encoder.", "decoder.")), tensors(old, ("encoder.", "decoder.")))
    assert new["segmentation_head.0.weight"].shape[0] == 6


def test_finetuning_on_another_schema_trains_and_carries_it(
    trained_run: Path, farm, tiny_data, tmp_path: Path, caplog
) -> None:
    parent = trained_run / "checkpoints" / "best.ckpt"
    out = tmp_path / "ft"
    with caplog.at_level(logging.INFO):
        assert main(finetune_argv(farm, tiny_data[2], parent, out)) == 0
    assert caplog.text.count(INIT_LINE) == 1
    assert "normalisation: the checkpoint's" in caplog.text
    model, meta = load_checkpoint(out / "checkpoints" / "best.ckpt")
    schema = get_schema(farm[2])
    assert meta.schema == schema
    assert meta.schema.classes == ("built", "crop", "void")
    assert meta.schema.colors == ((255, 0, 0), (0, 255, 0), (0, 0, 0))
    assert model.head.out_channels == 3  # type: ignore[union-attr]
    _, parent_meta = read_checkpoint(parent)
    assert (meta.mean, meta.std) == (parent_meta.mean, parent_meta.std)
    with open(out / "metrics.csv", encoding="utf-8") as f:
        assert len(f.read().splitlines()) == 2  # header and the one epoch


def test_a_frozen_encoder_stays_as_it_was_from_yaml(
    trained_run: Path, farm, tiny_data, tmp_path: Path
) -> None:
    parent = trained_run / "checkpoints" / "best.ckpt"
    config = tmp_path / "ft.yaml"
    text = tiny_data[2].read_text(encoding="utf-8")
    config.write_text(
        text + f"init_checkpoint: {parent}\nfreeze_encoder_epochs: 1\n", encoding="utf-8"
    )
    argv = finetune_argv(farm, config, parent, tmp_path / "ft")
    at = argv.index("--init-checkpoint")
    del argv[at : at + 2]  # from the YAML only
    assert main(argv) == 0
    old, _ = read_checkpoint(parent)
    new, _ = read_checkpoint(tmp_path / "ft" / "checkpoints" / "last.ckpt")
    encoder = ("enc1.", "enc2.", "bottleneck.")
    assert_same(tensors(new, encoder), tensors(old, encoder))
    decoder = tensors(new, ("dec1.", "dec2."))
    assert any(not torch.equal(v, old[k]) for k, v in decoder.items())


def test_the_encoder_trains_again_after_the_frozen_epochs() -> None:
    """fpn-lite0: weights frozen in epoch 1 (batch-norm statistics not), trained in epoch 2."""
    import lightning as L

    from landcover.models.meta import ModelMeta
    from landcover.training.callbacks import FreezeEncoder
    from landcover.training.config import TrainConfig
    from landcover.training.module import SegmentationModule

    meta = ModelMeta("fpn-lite0", DUBAI, tile_size=32)
    cfg = TrainConfig(lr=0.01, scheduler="none", channels_last=False)
    module = SegmentationModule(meta.to_dict(), cfg.to_dict())
    seen: list[dict[str, torch.Tensor]] = []

    class Snapshot(L.Callback):
        def on_train_epoch_end(self, trainer, pl_module) -> None:
            seen.append({k: v.clone() for k, v in pl_module.model.state_dict().items()})

    start = {k: v.clone() for k, v in module.model.state_dict().items()}
    trainer = fit_random(module, [FreezeEncoder(1), Snapshot()])
    params = trainer.optimizers[0].param_groups[0]["params"]
    assert len(params) == len(list(module.parameters()))  # the optimiser holds all of them
    names = dict(module.model.named_parameters())
    encoder = part_names(names, "fpn-lite0", "encoder")  # weights, not batch-norm statistics
    assert_same({k: seen[0][k] for k in encoder}, {k: start[k] for k in encoder})
    assert any(not torch.equal(seen[1][k], start[k]) for k in encoder)
    stats = [k for k in part_names(start, "fpn-lite0", "encoder") if k.endswith("running_mean")]
    assert stats and any(not torch.equal(seen[0][k], start[k]) for k in stats)  # follow the data
    decoder = [k for k in start if k.startswith("decoder.") and start[k].is_floating_point()]
    assert any(not torch.equal(seen[0][k], start[k]) for k in decoder)
    assert all(p.requires_grad for p in module.parameters())


def test_another_architecture_is_refused_in_one_line(
    trained_run: Path, farm, tiny_data, tmp_path: Path, capsys
) -> None:
    parent = trained_run / "checkpoints" / "best.ckpt"
    argv = finetune_argv(farm, tiny_data[2], parent, tmp_path / "ft")
    assert main([*argv, "--model", "fpn-lite0"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "best.ckpt" in err
    assert "checkpoint is a 'seed-unet' model, config says 'fpn-lite0'" in err
    assert "give --model seed-unet" in err
    assert main([*argv, "--model-kwargs", "{width: 8}"]) == 2
    err = capsys.readouterr().err.strip()
    assert "model_kwargs {'width': 4}" in err and "{'width': 8}" in err
    assert not (tmp_path / "ft").exists()


def test_freeze_encoder_epochs_is_checked() -> None:
    from landcover.errors import LandcoverError
    from landcover.training.config import parse_option

    assert parse_option("freeze_encoder_epochs", "2") == 2
    with pytest.raises(LandcoverError, match="freeze_encoder_epochs: -1 must be >= 0"):
        parse_option("freeze_encoder_epochs", "-1")


def test_palette_masks_are_read_without_an_info_line(tmp_path: Path, caplog) -> None:
    from landcover.io.masks import read_mask_labels

    path = tmp_path / "p_mask.png"
    im = Image.fromarray(np.array([[0, 1], [2, 1]], np.uint8), mode="P")
    im.putpalette([60, 16, 152, 132, 41, 246, 110, 193, 228] + [0] * 759)
    im.save(path)
    with caplog.at_level(logging.DEBUG, logger="landcover"):
        labels = read_mask_labels(path, DUBAI).labels
    assert labels.tolist() == [[0, 1], [2, 1]]
    notes = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert notes == [(logging.DEBUG, f"{path}: converted P image to RGB")]


def test_whole_images_of_several_sizes_are_padded_into_one_batch() -> None:
    from landcover.training.dataset import pad_collate

    small = (torch.full((3, 2, 3), 7, dtype=torch.uint8), torch.ones((2, 3), dtype=torch.long))
    large = (torch.full((3, 4, 2), 9, dtype=torch.uint8), torch.zeros((4, 2), dtype=torch.long))
    images, labels = pad_collate([small, large], fill=5)
    assert images.shape == (2, 3, 4, 3) and labels.shape == (2, 4, 3)
    assert images[0, 0].tolist() == [[7, 7, 7], [7, 7, 7], [0, 0, 0], [0, 0, 0]]
    assert labels[0].tolist() == [[1, 1, 1], [1, 1, 1], [5, 5, 5], [5, 5, 5]]
    assert labels[1].tolist() == [[0, 0, 5]] * 4
    assert images[1, 2].tolist() == [[9, 9, 0]] * 4
