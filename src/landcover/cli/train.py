"""``landcover train``: train a segmentation model on a folder of image/mask pairs."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from landcover.errors import LandcoverError

DESCRIPTION = """\
Train a land-cover segmentation model (needs landcover[train]). Writes RUN/checkpoints/best.ckpt
and last.ckpt, RUN/metrics.csv (one row per epoch), RUN/curves.png, RUN/config.yaml (the resolved
config) and RUN/split.csv. Every option can also be set in a YAML --config file (same names with
underscores); command-line options win. Defaults are shown in brackets.

Several GPUs or nodes: --devices 4 --strategy ddp [--num-nodes 2] (Lightning DDP; launch one
process per node as Lightning documents, e.g. with torchrun or SLURM).
"""

EXAMPLE = """\
example:
  landcover train --data ../shared/data/deepglobe/quadrants512 --split split.csv \\
      --model unet-lite0 --encoder-weights imagenet --max-time 60 --out runs/lite0
  landcover train --resume runs/lite0          continue after an interruption
"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``train`` sub-command; one option per :class:`TrainConfig` field."""
    from landcover.training.config import HELP, TrainConfig, config_fields

    p = sub.add_parser(
        "train",
        help="train a model (needs landcover[train])",
        description=DESCRIPTION,
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--config", metavar="YAML", help="YAML file of options (see below)")
    p.add_argument("--out", metavar="RUN", help="run folder for checkpoints, metrics and plots")
    p.add_argument(
        "--resume",
        metavar="RUN",
        help="continue the run in RUN from its last.ckpt (uses RUN/config.yaml; options given "
        "here override it, e.g. a longer --max-time)",
    )
    p.add_argument(
        "--overwrite", action="store_true", help="replace the results of an earlier run in --out"
    )
    defaults = TrainConfig()
    for f in config_fields():
        default = getattr(defaults, f.name)
        flag = "--" + f.name.replace("_", "-")
        helptext = f"{HELP.get(f.name, f.name)} [{_show(default)}]"
        if isinstance(default, bool):
            p.add_argument(flag, action=argparse.BooleanOptionalAction, default=None, help=helptext)
        else:
            p.add_argument(
                flag,
                dest=f.name,
                default=None,
                type=_parser_for(f.name, default),
                metavar=f.name.split("_")[-1].upper(),
                help=helptext,
            )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Resolve the config, train, and print where the results are."""
    from landcover.training.config import config_fields, load_config
    from landcover.training.run import CONFIG_NAME, train

    overrides: dict[str, Any] = {f.name: getattr(args, f.name) for f in config_fields()}
    if args.resume:
        out = Path(args.resume)
        if args.out and Path(args.out) != out:
            raise LandcoverError("give either --resume RUN or --out RUN, not two folders")
        cfg_path = out / CONFIG_NAME
        if not cfg_path.is_file():
            raise LandcoverError(f"nothing to resume: no {CONFIG_NAME}", out)
        cfg = load_config(args.config or cfg_path, overrides)
    else:
        if not args.out:
            raise LandcoverError("give --out RUN (the run folder)")
        out = Path(args.out)
        cfg = load_config(args.config, overrides)
    best = train(cfg, out, resume=bool(args.resume), overwrite=args.overwrite)
    print(f"best checkpoint: {best}")
    print(f"metrics: {out / 'metrics.csv'}  curves: {out / 'curves.png'}")
    return 0


def _show(v: Any) -> str:
    return "null" if v is None else str(v)


def _parser_for(name: str, default: Any) -> Any:
    if name in ("limit_train_batches", "limit_val_batches"):
        return _int_or_float
    if name == "class_weights":
        return _class_weights
    if name == "model_kwargs":
        return _mapping
    if name == "devices":
        return str
    if isinstance(default, int):
        return int
    if isinstance(default, float) or name in ("max_time", "gsd", "checkpoint_minutes"):
        return float
    if name == "threads":
        return int
    return _str_or_null


def _str_or_null(text: str) -> str | None:
    """A string option; ``null`` (as in the YAML config) means unset."""
    return None if text.strip() in ("null", "~") else text


def _int_or_float(text: str) -> int | float:
    return float(text) if "." in text else int(text)


def _mapping(text: str) -> dict[str, Any]:
    import yaml

    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise argparse.ArgumentTypeError(f"not YAML: {e}") from e
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("use a YAML mapping, e.g. '{width: 32}'")
    return value


def _class_weights(text: str) -> str | list[float] | None:
    if text == "auto":
        return text
    if _str_or_null(text) is None:
        return None
    try:
        return [float(v) for v in text.split(",")]
    except ValueError as e:
        raise argparse.ArgumentTypeError("use 'auto' or comma-separated numbers") from e
