"""Training options: one declaration gives the CLI, the YAML keys, the checks and config.yaml."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from landcover.cli import build_parser, main
from landcover.errors import LandcoverError
from landcover.training.config import (
    TrainConfig,
    dump_config,
    load_config,
    options,
    parse_option,
)

CONFIGS = sorted((Path(__file__).parents[2] / "configs").glob("*.yaml"))


def parsed_config(monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> TrainConfig:
    """The config ``landcover train ARGV`` would train with (training itself replaced)."""
    seen: list[TrainConfig] = []

    def fake_train(cfg: TrainConfig, out: Path, **kwargs: object) -> Path:
        seen.append(cfg)
        return Path(out) / "best.ckpt"

    monkeypatch.setattr("landcover.cli.train.train", fake_train)
    assert main(["train", *argv]) == 0
    return seen[0]


def write_yaml(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_lr_in_exponent_notation_is_a_number(tmp_path: Path) -> None:
    # PyYAML reads 1e-4 (no dot) as the text "1e-4"; the option is declared a float.
    cfg = load_config(write_yaml(tmp_path / "c.yaml", "lr: 1e-4\nweight_decay: 1E-5\n"))
    assert cfg.lr == 0.0001 and isinstance(cfg.lr, float)
    assert cfg.weight_decay == 0.00001


def test_yaml_text_for_a_number_is_one_line_naming_the_option(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    bad = write_yaml(tmp_path / "bad.yaml", "lr: abc\n")
    argv = ["train", "--data", str(tmp_path), "--config", str(bad), "--out", str(tmp_path / "r")]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err
    assert err.endswith(f"{bad}: lr: 'abc' is not a number")


def test_null_on_the_command_line_unsets_a_yaml_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    yaml = write_yaml(
        tmp_path / "c.yaml",
        "encoder_weights: imagenet\nmax_time: 25\nclass_weights: auto\ngroups: g.csv:id\n"
        "scheduler: cosine\n",
    )
    base = ["--config", str(yaml), "--out", str(tmp_path / "run")]
    kept = parsed_config(monkeypatch, base)
    assert (kept.encoder_weights, kept.max_time, kept.class_weights) == ("imagenet", 25.0, "auto")
    unset = ["--encoder-weights", "null", "--max-time", "none", "--class-weights", "NULL"]
    cfg = parsed_config(monkeypatch, [*base, *unset, "--groups", "~", "--scheduler", "none"])
    assert (cfg.encoder_weights, cfg.max_time, cfg.class_weights, cfg.groups) == (None,) * 4
    assert cfg.scheduler == "none"  # a choice, not null


def test_null_is_refused_where_an_option_needs_a_value(tmp_path: Path, capsys) -> None:
    argv = ["train", "--data", str(tmp_path), "--out", str(tmp_path / "r")]
    assert main([*argv, "--lr", "null"]) == 2
    assert "lr: 'null' is not a number" in capsys.readouterr().err
    with pytest.raises(LandcoverError, match="model_kwargs: null is not allowed"):
        load_config(write_yaml(tmp_path / "c.yaml", "model_kwargs: null\n"))


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--lr", "0", "lr: 0.0 must be > 0"),
        ("--val-fraction", "1.5", "val_fraction: 1.5 must be in (0, 1)"),
        ("--crop-size", "100", "crop_size: 100 must be > 0 and a multiple of 32"),
        ("--batch-size", "0", "batch_size: 0 must be >= 1"),
        ("--epochs", "0", "epochs: 0 must be >= 1"),
        ("--seed", "-1", "seed: -1 must be in [0, 4294967295]"),
        ("--threads", "0", "threads: 0 must be >= 1"),
        ("--num-workers", "-1", "num_workers: -1 must be >= 0"),
        ("--patience", "-2", "patience: -2 must be >= 0"),
        ("--scale-jitter", "1", "scale_jitter: 1.0 must be in [0, 1)"),
        ("--color-jitter", "2", "color_jitter: 2.0 must be in [0, 1]"),
        ("--max-time", "-5", "max_time: -5.0 must be > 0"),
        ("--gsd", "0", "gsd: 0.0 must be > 0"),
        ("--checkpoint-minutes", "-1", "checkpoint_minutes: -1.0 must be >= 0"),
        ("--limit-val-batches", "1.5", "limit_val_batches: 1.5 must be a fraction in [0, 1]"),
        ("--devices", "-3", "devices: -3 must be a count >= 1 or -1"),
        ("--class-weights", "1,-2", "class_weights: [1.0, -2.0] must not be negative"),
        ("--monitor", "val_acc", "monitor: 'val_acc' is not one of val_loss, val_miou"),
        ("--epochs", "ten", "epochs: 'ten' is not an integer"),
        ("--groups", "tiles.csv", "groups: 'tiles.csv' must look like FILE.csv:COLUMN"),
    ],
)
def test_out_of_range_values_are_refused_naming_the_option(
    flag: str,
    value: str,
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    monkeypatch.setattr("landcover.cli.train.train", lambda *a, **k: pytest.fail("trained"))
    argv = ["train", "--data", str(tmp_path), "--out", str(tmp_path / "r"), flag, value]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err


def test_a_bad_yaml_value_names_the_file_and_the_option(tmp_path: Path) -> None:
    bad = write_yaml(tmp_path / "bad.yaml", "crop_size: 100\n")
    with pytest.raises(LandcoverError) as e:
        load_config(bad)
    assert str(e.value) == f"{bad}: crop_size: 100 must be > 0 and a multiple of 32"


def test_text_values_take_the_declared_type() -> None:
    assert parse_option("devices", "0,1") == [0, 1]
    assert parse_option("devices", "4") == 4 and parse_option("devices", "auto") == "auto"
    assert parse_option("class_weights", "1,2.5") == [1.0, 2.5]
    assert parse_option("limit_train_batches", "5") == 5
    assert parse_option("limit_train_batches", "0.5") == 0.5
    assert parse_option("limit_train_batches", 1.0) == 1.0  # a fraction stays a fraction
    assert parse_option("model_kwargs", "{width: 32}") == {"width": 32}
    assert parse_option("precision", 32) == "32"  # YAML's unquoted 32
    assert parse_option("cache", "no") is False


def test_the_cli_and_config_yaml_are_derived_from_the_declaration() -> None:
    parser = build_parser(["train"])
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    train = sub.choices["train"]
    dests = {a.dest for a in train._actions} - {"help", "config", "out", "resume", "overwrite"}
    assert dests == {o.name for o in options()}
    import yaml

    written = yaml.safe_load(dump_config(TrainConfig()))
    assert list(written) == [o.name for o in options()]


def test_defaults_are_kept() -> None:
    cfg = TrainConfig()
    assert (cfg.lr, cfg.optimizer, cfg.scheduler, cfg.monitor) == (
        1e-4,
        "adam",
        "plateau",
        "val_loss",
    )
    assert (cfg.crop_size, cfg.batch_size, cfg.epochs, cfg.patience) == (256, 8, 50, 5)
    assert (cfg.groups, cfg.checkpoint_minutes, cfg.devices) == (
        "tiles.csv:deepglobe_id",
        10.0,
        "auto",
    )


def test_resolved_config_round_trips(tmp_path: Path) -> None:
    cfg = load_config(
        None,
        {
            "data": "data dir/with: colon",
            "lr": "1e-4",
            "model_kwargs": "{width: 8, extra: {depth: 2}}",
            "class_weights": "1,2,3",
            "devices": "0,1",
            "limit_train_batches": "1.0",
            "limit_val_batches": "3",
            "precision": "32",
            "max_time": "2.5",
            "checkpoint_minutes": "null",
            "cache": False,
        },
    )
    cfg.resolved = {"precision": "32-true", "mean": [0.1, 0.2, 0.3]}
    path = write_yaml(tmp_path / "config.yaml", dump_config(cfg))
    assert load_config(path).options_dict() == cfg.options_dict()


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_the_shipped_configs_load(path: Path) -> None:
    cfg = load_config(path)
    assert cfg.monitor == "val_miou" and isinstance(cfg.lr, float)
