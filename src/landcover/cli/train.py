"""``landcover train``: train a segmentation model on image/mask pairs or a scene list."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from landcover.errors import LandcoverError
from landcover.training.config import load_config, options
from landcover.training.ranks import is_rank_zero
from landcover.training.run import CONFIG_NAME, train

if TYPE_CHECKING:
    from landcover.training.config import Option, TrainConfig

DESCRIPTION = """\
Train a land-cover segmentation model (needs landcover[train]). Writes RUN/checkpoints/best.ckpt
and last.ckpt, RUN/metrics.csv (one row per epoch), RUN/curves.png, RUN/config.yaml (the resolved
config, each option with its help) and RUN/split.csv. Every option can also be set in a YAML
--config file (same names with underscores); command-line options win, and 'null' (or 'none')
unsets a value of the file. Every value is checked (type, range, choices) before training starts.
Defaults are shown in brackets.

Several GPUs or nodes: --devices 4 --strategy ddp [--num-nodes 2] (Lightning DDP; launch one
process per node as Lightning documents, e.g. with torchrun or SLURM).
"""

EXAMPLE = """\
example:
  landcover train --data ../shared/data/deepglobe/quadrants512 --split split.csv \\
      --model unet-lite0 --encoder-weights imagenet --max-time 60 --out runs/lite0
  landcover train --scenes scenes.yaml --split blocks.gpkg --init-checkpoint deepglobe-fpn-lite0 \\
      --model fpn-lite0 --max-time 30 --out runs/region   large scenes, polygon labels
  landcover train --resume runs/lite0          continue after an interruption
"""


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``train`` sub-command: one option per declared training option."""
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
    for option in options():
        add_option(p, option)
    p.set_defaults(func=run)


def add_option(parser: argparse.ArgumentParser, option: Option) -> None:
    """Add ``option`` to ``parser``; its value is kept as typed, parsed by the config.

    An option not given is absent from the parsed arguments (so a YAML value stays); one given
    as ``null`` or ``none`` unsets the YAML value.
    """
    limits = option.limits()
    text = option.rules.help + (f"; {limits}" if limits else "")
    text = f"{text} [{_show(option.default)}]".replace("%", "%%")
    if option.is_flag:
        parser.add_argument(
            option.flag,
            dest=option.name,
            action=argparse.BooleanOptionalAction,
            default=argparse.SUPPRESS,
            help=text,
        )
        return
    choices = option.rules.choices if option.types == (str,) else ()
    parser.add_argument(
        option.flag,
        dest=option.name,
        default=argparse.SUPPRESS,
        metavar="{" + ",".join(choices) + "}" if choices else option.name.split("_")[-1].upper(),
        help=text,
    )


def config_from_args(args: argparse.Namespace) -> tuple[TrainConfig, Path]:
    """The run's config (``--config`` or the resumed run's, then the options given) and folder.

    Raises:
        LandcoverError: for a bad value (naming the option), a missing run folder, or nothing
            to resume.
    """
    given = {o.name: getattr(args, o.name) for o in options() if hasattr(args, o.name)}
    if args.resume:
        out = Path(args.resume)
        if args.out and Path(args.out) != out:
            raise LandcoverError("give either --resume RUN or --out RUN, not two folders")
        cfg_path = out / CONFIG_NAME
        if not cfg_path.is_file():
            raise LandcoverError(f"nothing to resume: no {CONFIG_NAME}", out)
        return load_config(args.config or cfg_path, given), out
    if not args.out:
        raise LandcoverError("give --out RUN (the run folder)")
    return load_config(args.config, given), Path(args.out)


def run(args: argparse.Namespace) -> int:
    """Resolve the config, train, and print where the results are."""
    cfg, out = config_from_args(args)
    best = train(cfg, out, resume=bool(args.resume), overwrite=args.overwrite)
    if not is_rank_zero():  # DDP ranks > 0: rank 0 reports
        return 0
    print(f"best checkpoint: {best}")
    print(f"metrics: {out / 'metrics.csv'}  curves: {out / 'curves.png'}")
    return 0


def _show(value: Any) -> str:
    """A default as YAML writes it: null, true, 0.0001."""
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    return str(value)
