"""End-to-end training through the CLI on a tiny learnable dataset."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="needs PyTorch: pip install 'landcover[train]'")

from landcover.cli import main
from landcover.models.checkpoint import load_checkpoint
from landcover.schema import DEEPGLOBE


def read_metrics(run: Path) -> list[dict[str, str]]:
    with open(run / "metrics.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_two_epochs_write_every_output_and_loss_falls(trained_run: Path) -> None:
    for name in (
        "checkpoints/best.ckpt",
        "checkpoints/last.ckpt",
        "metrics.csv",
        "curves.png",
        "config.yaml",
        "split.csv",
    ):
        assert (trained_run / name).is_file(), name
    rows = read_metrics(trained_run)
    assert [r["epoch"] for r in rows] == ["1", "2"]
    assert float(rows[1]["train_loss"]) < float(rows[0]["train_loss"])
    for key in ("val_loss", "train_acc", "val_acc", "val_miou", "lr"):
        assert rows[1][key] != ""
    assert (trained_run / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(trained_run.rglob("*.tmp*"))


def test_checkpoint_carries_the_model_contract(trained_run: Path) -> None:
    _, meta = load_checkpoint(trained_run / "checkpoints" / "best.ckpt")
    assert meta.arch == "seed-unet"
    assert meta.arch_kwargs == {"width": 4}
    assert meta.schema == DEEPGLOBE
    assert meta.tile_size == 32
    assert meta.gsd_m is None  # no tiles.csv and no --gsd
    # random init, normalize auto -> statistics of the training images
    assert all(0.05 < m < 0.95 for m in meta.mean) and all(0.01 < s < 0.6 for s in meta.std)
    assert meta.mean != (0.5, 0.5, 0.5)


def test_checkpoint_round_trip_gives_the_same_logits(trained_run: Path) -> None:
    from landcover.training.module import SegmentationModule

    path = trained_run / "checkpoints" / "last.ckpt"
    ckpt = torch.load(path, map_location="cpu", weights_only=False)
    module = SegmentationModule(**ckpt["hyper_parameters"]).eval()
    module.load_state_dict(ckpt["state_dict"])
    model, meta = load_checkpoint(path)
    images = torch.randint(0, 256, (2, 3, 32, 32), dtype=torch.uint8)
    mean = torch.tensor(meta.mean).view(1, 3, 1, 1)
    std = torch.tensor(meta.std).view(1, 3, 1, 1)
    with torch.no_grad():
        expected = module(images)
        got = model((images.float() / 255 - mean) / std)
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)


def test_resume_continues_at_epoch_three(run_copy: Path) -> None:
    assert main(["train", "--resume", str(run_copy), "--epochs", "3"]) == 0
    rows = read_metrics(run_copy)
    assert [r["epoch"] for r in rows] == ["1", "2", "3"]
    ckpt = torch.load(
        run_copy / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False
    )
    assert ckpt["epoch"] == 2  # 0-based: the third epoch
    assert ckpt["optimizer_states"] and ckpt["optimizer_states"][0]["state"]


def test_existing_run_folder_is_refused_without_overwrite(
    trained_run: Path, tiny_data: tuple[Path, Path, Path], capsys: pytest.CaptureFixture
) -> None:
    data, split, cfg = tiny_data
    before = (trained_run / "metrics.csv").read_bytes()
    code = main(
        [
            "train",
            "--data",
            str(data),
            "--split",
            str(split),
            "--config",
            str(cfg),
            "--out",
            str(trained_run),
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert str(trained_run) in err and "--overwrite" in err
    assert (trained_run / "metrics.csv").read_bytes() == before


def test_resume_refuses_a_corrupted_checkpoint(run_copy: Path, capsys) -> None:
    last = run_copy / "checkpoints" / "last.ckpt"
    last.write_bytes(last.read_bytes()[:1000])
    assert main(["train", "--resume", str(run_copy)]) == 2
    err = capsys.readouterr().err
    assert "last.ckpt" in err and "not a readable checkpoint" in err


def test_resume_with_another_schema_is_refused(run_copy: Path, capsys) -> None:
    assert main(["train", "--resume", str(run_copy), "--schema", "dubai"]) == 2
    err = capsys.readouterr().err
    assert "last.ckpt" in err and "dubai" in err


def test_fine_tuning_keeps_the_checkpoint_normalisation(
    tiny_data: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    data, split, cfg = tiny_data
    argv = ["train", "--data", str(data), "--split", str(split), "--config", str(cfg)]
    argv += ["--epochs", "1"]
    # The parent uses 0.5/0.5; the data's own statistics (auto without weights) differ.
    assert main([*argv, "--normalize", "half", "--out", str(tmp_path / "parent")]) == 0
    parent = tmp_path / "parent" / "checkpoints" / "best.ckpt"
    assert main([*argv, "--init-checkpoint", str(parent), "--out", str(tmp_path / "ft")]) == 0
    _, meta = load_checkpoint(tmp_path / "ft" / "checkpoints" / "best.ckpt")
    assert (meta.mean, meta.std) == ((0.5,) * 3, (0.5,) * 3)  # normalize: auto
    ft_data = [*argv, "--init-checkpoint", str(parent), "--normalize", "data"]
    assert main([*ft_data, "--out", str(tmp_path / "data")]) == 0
    _, meta = load_checkpoint(tmp_path / "data" / "checkpoints" / "best.ckpt")
    assert meta.mean != (0.5, 0.5, 0.5)  # an explicit choice still wins


def test_unknown_config_key_names_the_file(tmp_path: Path, capsys) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("modle: unet-lite0\n", encoding="utf-8")
    assert (
        main(
            ["train", "--data", str(tmp_path), "--config", str(cfg), "--out", str(tmp_path / "run")]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "bad.yaml" in err and "modle" in err


def test_resume_keeps_a_row_written_after_the_last_checkpoint(run_copy: Path) -> None:
    """A kill between the checkpoint save and the metrics row leaves the row only on disk."""
    ckpt_path = run_copy / "checkpoints" / "last.ckpt"
    ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=False)
    for key, state in ckpt["callbacks"].items():
        if key.startswith("MetricsHistory"):
            state["rows"] = state["rows"][:-1]  # as saved before epoch 2's row existed
    torch.save(ckpt, ckpt_path)
    second = read_metrics(run_copy)[1]
    assert main(["train", "--resume", str(run_copy), "--epochs", "3"]) == 0
    rows = read_metrics(run_copy)
    assert [r["epoch"] for r in rows] == ["1", "2", "3"]
    assert rows[1]["val_loss"] == second["val_loss"]


def test_null_on_the_command_line_means_unset() -> None:
    from landcover.training.config import parse_option

    assert parse_option("encoder_weights", "null") is None
    assert parse_option("encoder_weights", "imagenet") == "imagenet"
    assert parse_option("scheduler", "none") == "none"
    assert parse_option("class_weights", "null") is None


def test_the_run_config_loads_back_to_the_same_options(
    trained_run: Path, tiny_data: tuple[Path, Path, Path]
) -> None:
    from landcover.training.config import load_config

    data, split, cfg = tiny_data
    used = load_config(cfg, {"data": str(data), "split": str(split)})
    written = trained_run / "config.yaml"
    assert load_config(written).options_dict() == used.options_dict()
    assert "resolved:" in written.read_text(encoding="utf-8")


def test_a_missing_groups_csv_is_an_error_naming_the_file(
    tiny_data: tuple[Path, Path, Path], tmp_path: Path, capsys
) -> None:
    data, _, cfg = tiny_data
    argv = ["train", "--data", str(data), "--config", str(cfg), "--out", str(tmp_path / "run")]
    assert main([*argv, "--groups", "nope.csv:tile"]) == 2
    err = capsys.readouterr().err
    assert "nope.csv" in err and "no such file" in err
    assert not (tmp_path / "run" / "checkpoints" / "last.ckpt").exists()


def test_the_default_groups_csv_is_skipped_where_there_is_none(
    tiny_data: tuple[Path, Path, Path],
) -> None:
    from landcover.data.pairs import find_pairs
    from landcover.training.config import TrainConfig
    from landcover.training.run import split_groups

    data = tiny_data[0]
    assert not (data / "tiles.csv").exists() and not (data.parent / "tiles.csv").exists()
    assert split_groups(TrainConfig(data=str(data)), find_pairs(data).pairs) == {}


def test_train_restores_the_process_settings(
    tiny_data: tuple[Path, Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import logging
    import os
    import warnings

    import lightning  # noqa: F401  (its import-time warning filters come before the snapshot)

    from landcover.training.config import load_config
    from landcover.training.run import train

    data, split, cfg_path = tiny_data
    overrides = {"data": str(data), "split": str(split), "epochs": 1, "threads": 2}
    cfg = load_config(cfg_path, overrides)
    logger = logging.getLogger("lightning.pytorch")
    monkeypatch.setattr(logger, "propagate", True)
    monkeypatch.delenv("PL_GLOBAL_SEED", raising=False)
    monkeypatch.setattr(torch.backends.cudnn, "benchmark", False)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        filters = list(warnings.filters)
        torch.manual_seed(123)
        expected = torch.rand(3)
        torch.manual_seed(123)
        assert train(cfg, tmp_path / "run").is_file()
        assert torch.get_num_threads() == 1
        assert warnings.filters == filters
        assert logger.propagate is True
        assert torch.backends.cudnn.benchmark is False
        assert "PL_GLOBAL_SEED" not in os.environ
        assert torch.equal(torch.rand(3), expected)  # the caller's random stream goes on
    finally:
        torch.set_num_threads(threads)
