"""The training options, each declared once: name, type, default, allowed values and help.

:class:`TrainConfig` is the only declaration. Everything else is derived from its fields: the
options of ``landcover train`` (:mod:`landcover.cli.train`), the keys of a YAML config and the
parsing and checking of every value (:func:`load_config`, :func:`parse_option`), and the
resolved ``config.yaml`` written beside a run's results (:func:`dump_config`), which
:func:`load_config` reads back to the same options. A run is reproducible from that file plus
the data.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import math
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from landcover.errors import LandcoverError, LandcoverIOError
from landcover.io.bands import as_band

#: Texts meaning "no value" for an option that may be null (YAML's ``null``/``~`` and ``none``).
NULL_WORDS = ("null", "none", "~")

#: The metric choosing ``best.ckpt`` (and watched by early stopping and the plateau scheduler),
#: and whether lower or higher is better.
MONITOR_MODES: dict[str, typing.Literal["min", "max"]] = {"val_loss": "min", "val_miou": "max"}

DEFAULT_GROUPS = "tiles.csv:deepglobe_id"

_NO = object()  # a value that does not parse as a given type


@dataclass(frozen=True)
class Rules:
    """What one option accepts besides its type, and its help; kept in its field's metadata.

    Args:
        help: what the option does, for ``--help`` and the written ``config.yaml``.
        choices: the allowed values of a text option.
        ge: a number must be at least this.
        gt: a number must be greater than this.
        le: a number must be at most this.
        lt: a number must be less than this.
        multiple_of: a whole number must be a multiple of this.
        check: a further check of the parsed value, returning what is wrong (or ``None``).
    """

    help: str
    choices: tuple[str, ...] = ()
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    multiple_of: int | None = None
    check: Callable[[Any], str | None] | None = None


def opt(default: Any, help: str, **rules: Any) -> Any:
    """Declare an option: a dataclass field with its default, help and :class:`Rules`."""
    metadata = {"rules": Rules(help=help, **rules)}
    if isinstance(default, dict | list):
        return field(default_factory=functools.partial(copy.deepcopy, default), metadata=metadata)
    return field(default=default, metadata=metadata)


def _check_class_weights(value: Any) -> str | None:
    if isinstance(value, list) and any(w < 0 for w in value):
        return "must not be negative"
    return None


def _check_scale_jitter(value: Any) -> str | None:
    if isinstance(value, list) and not (len(value) == 2 and 0 < value[0] < value[1]):
        return "must be an amplitude in [0, 1) or two factors 0 < MIN < MAX"
    return None


def _check_limit(value: Any) -> str | None:
    if isinstance(value, int) and value < 0:
        return "must be a batch count >= 0 or a fraction in [0, 1]"
    if isinstance(value, float) and not 0 <= value <= 1:
        return "must be a fraction in [0, 1] (or a whole batch count, e.g. 10)"
    return None


def _check_devices(value: Any) -> str | None:
    if isinstance(value, int) and not (value == -1 or value >= 1):
        return "must be a count >= 1 or -1 (all)"
    if isinstance(value, list) and any(d < 0 for d in value):
        return "device indices must be >= 0"
    return None


def _check_bands(value: Any) -> str | None:
    if not isinstance(value, list):
        return None
    bands = [as_band(b) for b in value]
    if any(isinstance(b, int) and b < 1 for b in bands) or len(set(bands)) != len(bands):
        return "must be distinct 1-based band indices or band names"
    return None


def _check_groups(value: Any) -> str | None:
    csv_name, sep, column = value.rpartition(":")
    return None if sep and csv_name and column else "must look like FILE.csv:COLUMN"


@dataclass
class TrainConfig:
    """Options of one training run, each with its default, allowed values and help.

    Building one parses and checks every value (text such as ``"1e-4"`` becomes the declared
    type); a bad value raises :class:`LandcoverError` naming the option.
    """

    data: str | None = opt(None, "dataset folder of image/mask pairs")
    scenes: str | None = opt(
        None,
        "scene list (YAML or CSV: image, labels[, field]) of georeferenced rasters with labels "
        "as polygons or label rasters, read in windows; instead of --data",
    )
    bands: list[int] | list[str] | None = opt(
        None,
        "scenes: image bands to train on, by 1-based number (1,2,3,4) or by name matched in "
        "each scene's band descriptions and colour interpretation (red,green,blue,nir); "
        "null: 1,2,3",
        check=_check_bands,
    )
    block_size: float = opt(
        500.0,
        "scenes without --split: size in metres of the square blocks dealt to train/val",
        gt=0,
    )
    samples_per_epoch: int = opt(
        800, "scenes: random training windows per epoch (centred on labelled cells)", ge=1
    )
    val_windows: int = opt(
        64, "scenes: most fixed validation windows (tiling the val blocks)", ge=1
    )
    split: str | None = opt(
        None,
        "split CSV (file,split) from 'landcover split' (scenes: its GeoPackage of blocks); "
        "without it a grouped validation split of --data (or a block split of --scenes) is made",
    )
    groups: str | None = opt(
        DEFAULT_GROUPS,
        "CSV:COLUMN keeping images of one group together in the automatic split (a missing CSV "
        f"is an error, except for the default {DEFAULT_GROUPS}, used where it exists); null: "
        "split by file",
        check=_check_groups,
    )
    val_fraction: float = opt(
        0.15, "fraction of images for validation in the automatic split", gt=0, lt=1
    )
    schema: str = opt("deepglobe", "class schema: deepglobe, dubai or a YAML file")
    model: str = opt(
        "unet-lite0",
        "seed-unet or <arch>-<encoder>, e.g. unet-lite0, unet-resnet34, fpn-mobilenet_v2",
    )
    model_kwargs: dict[str, Any] = opt(
        {}, "extra architecture arguments (YAML mapping), e.g. {width: 32} for seed-unet"
    )
    encoder_weights: str | None = opt(
        None, "encoder initialisation: null (random), imagenet, or a weights file path"
    )
    init_checkpoint: str | None = opt(
        None,
        "fine-tune: start from a landcover checkpoint (.ckpt, .pt) or a bundled model's name "
        "(e.g. deepglobe-fpn-lite0, see 'landcover models'); same --model as it; data of "
        "another class schema keep its encoder and decoder and get a new head",
    )
    freeze_encoder_epochs: int = opt(
        0,
        "keep the encoder's weights fixed for the first N epochs, training decoder and head "
        "only (fine-tuning; batch-norm statistics still follow the data); 0 = off",
        ge=0,
    )
    crop_mode: str = opt(
        "crop",
        "crop: random crops at native resolution; resize: resize whole images",
        choices=("crop", "resize"),
    )
    crop_size: int = opt(256, "training crop (or resize) size in pixels", gt=0, multiple_of=32)
    scale_jitter: float | list[float] = opt(
        0.0,
        "random rescale of each sample: an amplitude (0.2 = x0.8..1.2) or two factors MIN,MAX "
        "(0.67,1.5: robust to a GSD off by 1.5x either way), 0 = off",
        ge=0,
        lt=1,
        check=_check_scale_jitter,
    )
    color_jitter: float = opt(0.2, "brightness/contrast jitter amplitude, 0 = off", ge=0, le=1)
    saturation_jitter: float = opt(
        0.0, "saturation jitter amplitude (0.3 = factor 0.7..1.3), 0 = off", ge=0
    )
    hue_jitter: float = opt(
        0.0,
        "hue shift amplitude as a fraction of the colour circle (0.03 = +-11 degrees), 0 = off",
        ge=0,
        le=0.5,
    )
    batch_size: int = opt(8, "training batch size", ge=1)
    val_batch_size: int = opt(4, "validation batch size (whole images)", ge=1)
    epochs: int = opt(50, "maximum number of epochs", ge=1)
    max_time: float | None = opt(
        None, "time budget in minutes; training stops cleanly and keeps best/last", gt=0
    )
    lr: float = opt(1e-4, "learning rate", gt=0)
    optimizer: str = opt("adam", "optimiser", choices=("adam", "adamw"))
    weight_decay: float = opt(0.0, "weight decay", ge=0)
    scheduler: str = opt(
        "plateau",
        "learning-rate schedule: plateau (factor 0.5, patience 3, on --monitor), cosine, "
        "onecycle or none",
        choices=("plateau", "cosine", "onecycle", "none"),
    )
    loss: str = opt("ce", "loss", choices=("ce", "ce+dice", "dice", "focal", "ce+focal"))
    class_weights: list[float] | str | None = opt(
        None,
        "cross-entropy class weights: null, auto (inverse frequency) or one per class (a YAML "
        "list, or 1,2,3 on the command line)",
        choices=("auto",),
        check=_check_class_weights,
    )
    ema: float | None = opt(
        None,
        "exponential moving average of the weights with this decay per step (e.g. 0.999): "
        "validation, best.ckpt and the final model use the average; null = off",
        gt=0,
        lt=1,
    )
    grad_clip: float = opt(1.0, "gradient norm clipping (0 = off)", ge=0)
    precision: str = opt(
        "auto",
        "auto (bf16-mixed where the hardware has it), 32, bf16-mixed or 16-mixed",
        choices=("auto", "32", "bf16-mixed", "16-mixed"),
    )
    channels_last: bool = opt(True, "use the channels-last memory format (faster on CPU and GPU)")
    seed: int = opt(0, "random seed (runs are reproducible)", ge=0, le=2**32 - 1)
    num_workers: int = opt(0, "data loader worker processes", ge=0)
    threads: int | None = opt(None, "CPU threads for torch (null: all cores)", ge=1)
    cache: bool = opt(True, "decode images once and keep them in RAM")
    val_every: int = opt(1, "validate every N epochs", ge=1)
    limit_train_batches: int | float | None = opt(
        None, "train batches per epoch (int) or fraction (float)", check=_check_limit
    )
    limit_val_batches: int | float | None = opt(
        None, "validation batches (int) or fraction (float)", check=_check_limit
    )
    patience: int = opt(5, "early stopping patience in validations (0 = off)", ge=0)
    monitor: str = opt(
        "val_loss",
        "metric choosing best.ckpt, watched by early stopping and the plateau scheduler",
        choices=tuple(MONITOR_MODES),
    )
    normalize: str = opt(
        "auto",
        "input normalisation: auto (the init_checkpoint's when fine-tuning, else what the "
        "encoder weights expect, else data statistics), imagenet, half (0.5/0.5) or data",
        choices=("auto", "imagenet", "half", "data"),
    )
    gsd: float | None = opt(
        None,
        "ground sampling distance of the data in metres (null: from tiles.csv); scenes: the "
        "training GSD they are resampled to (null: the init checkpoint's, else the first scene's)",
        gt=0,
    )
    accelerator: str = opt(
        "auto", "Lightning accelerator", choices=("auto", "cpu", "gpu", "cuda", "mps", "tpu")
    )
    devices: int | list[int] | str = opt(
        "auto",
        "devices to use: auto, a count (-1: all) or a list of indices, for several GPUs",
        choices=("auto",),
        check=_check_devices,
    )
    num_nodes: int = opt(1, "number of nodes for distributed training", ge=1)
    strategy: str = opt("auto", "Lightning strategy, e.g. auto or ddp")
    checkpoint_minutes: float | None = opt(
        10.0, "also save last.ckpt every N minutes inside long epochs (0 or null = off)", ge=0
    )
    resolved: dict[str, Any] = field(default_factory=dict)  # filled in by a run, for the record

    def __post_init__(self) -> None:
        for option in options():
            setattr(self, option.name, parse_option(option.name, getattr(self, option.name)))

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (YAML-safe), ``resolved`` included."""
        return dataclasses.asdict(self)

    def options_dict(self) -> dict[str, Any]:
        """The options' values by name, in declaration order (``resolved`` left out)."""
        return {o.name: copy.deepcopy(getattr(self, o.name)) for o in options()}


@dataclass(frozen=True)
class Option:
    """One declared option of :class:`TrainConfig`, as the CLI, YAML reader and checks see it.

    Args:
        name: the field name (YAML key; ``--name-with-dashes`` on the command line).
        types: the accepted types, tried in this order (e.g. ``(int, float)``).
        nullable: whether ``null`` is allowed.
        default: the default value.
        rules: allowed values and help.
    """

    name: str
    types: tuple[Any, ...]
    nullable: bool
    default: Any
    rules: Rules

    @property
    def flag(self) -> str:
        """The command-line flag, e.g. ``--val-fraction``."""
        return "--" + self.name.replace("_", "-")

    @property
    def is_flag(self) -> bool:
        """Whether it is a plain on/off option."""
        return self.types == (bool,) and not self.nullable

    def expected(self) -> str:
        """What a value must be, in words: ``a number``, ``one of crop, resize``, ..."""
        kinds = [_describe(t, self.rules.choices) for t in self.types]
        if "an integer" in kinds and "a number" in kinds:
            kinds.remove("an integer")
        if self.nullable:
            kinds.append("null")
        return kinds[0] if len(kinds) == 1 else ", ".join(kinds[:-1]) + " or " + kinds[-1]

    def limits(self) -> str:
        """The range of a number in words (``in [0, 0.5]``, ``> 0``), or ``""``."""
        r = self.rules
        low = (">=", r.ge) if r.ge is not None else (">", r.gt) if r.gt is not None else None
        high = ("<=", r.le) if r.le is not None else ("<", r.lt) if r.lt is not None else None
        parts = []
        if low and high:
            left, right = "[" if low[0] == ">=" else "(", "]" if high[0] == "<=" else ")"
            parts.append(f"in {left}{_num(low[1])}, {_num(high[1])}{right}")
        elif low or high:
            op, bound = low or high  # type: ignore[misc]
            parts.append(f"{op} {_num(bound)}")
        if r.multiple_of:
            parts.append(f"a multiple of {r.multiple_of}")
        return " and ".join(parts)


def _describe(kind: Any, choices: tuple[str, ...]) -> str:
    if kind is str:
        if not choices:
            return "text"
        return choices[0] if len(choices) == 1 else "one of " + ", ".join(choices)
    if typing.get_origin(kind) is list:
        (item,) = typing.get_args(kind)
        return "a list of " + {int: "integers", str: "names"}.get(item, "numbers")
    names = {bool: "true or false", int: "an integer", float: "a number"}
    return names.get(kind, "a mapping" if typing.get_origin(kind) is dict else "a value")


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


@functools.cache
def options() -> tuple[Option, ...]:
    """Every option of :class:`TrainConfig`, in declaration order."""
    hints = typing.get_type_hints(TrainConfig)
    found = []
    for f in dataclasses.fields(TrainConfig):
        if "rules" not in f.metadata:
            continue
        hint = hints[f.name]
        union = typing.get_origin(hint) in (typing.Union, types.UnionType)
        args = typing.get_args(hint) if union else (hint,)
        factory = f.default_factory
        default = f.default if factory is dataclasses.MISSING else factory()
        found.append(
            Option(
                name=f.name,
                types=tuple(a for a in args if a is not type(None)),
                nullable=type(None) in args,
                default=default,
                rules=f.metadata["rules"],
            )
        )
    return tuple(found)


def option(name: str) -> Option:
    """The declared option ``name``.

    Raises:
        LandcoverError: for an unknown name, listing the known ones.
    """
    for o in options():
        if o.name == name:
            return o
    known = ", ".join(sorted(o.name for o in options()))
    raise LandcoverError(f"unknown option {name}; known: {known}")


def parse_option(name: str, value: Any, source: str | Path | None = None) -> Any:
    """Parse and check one option's value, given as text (as typed) or as a YAML value.

    Text becomes the declared type (``"1e-4"`` a float, ``"0,1"`` a list, ``"{width: 32}"`` a
    mapping); ``None`` or the text ``null``/``none``/``~`` is null where the option allows it.

    Raises:
        LandcoverError: one line naming the option (and ``source``) when the value is not of the
            declared type, out of range or not one of the choices.
    """
    o = option(name)
    if _is_null(o, value):
        if o.nullable:
            return None
        raise LandcoverError(f"{name}: null is not allowed; give {o.expected()}", source)
    parsed = next((p for t in o.types if (p := _as_type(t, value)) is not _NO), _NO)
    if parsed is _NO or (
        isinstance(parsed, str) and o.rules.choices and parsed not in o.rules.choices
    ):
        raise LandcoverError(f"{name}: {_shown(value)} is not {o.expected()}", source)
    problem = _out_of_range(o, parsed)
    if problem is None and o.rules.check is not None:
        problem = o.rules.check(parsed)
    if problem is not None:
        raise LandcoverError(f"{name}: {_shown(parsed)} {problem}", source)
    return parsed


def _is_null(o: Option, value: Any) -> bool:
    if value is None:
        return True
    return (
        o.nullable
        and isinstance(value, str)
        and value.strip().lower() in NULL_WORDS
        and value not in o.rules.choices
    )


def _as_type(kind: Any, value: Any) -> Any:
    """``value`` as ``kind`` (text parsed), or ``_NO``; never truncates a number."""
    if kind is Any:
        return value
    if kind is bool:
        words = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}
        if isinstance(value, str):
            return words.get(value.strip().lower(), _NO)
        return value if isinstance(value, bool) else _NO
    if isinstance(value, bool):  # a YAML yes/no is no number or text
        return _NO
    if kind is int:
        return _parse_number(int, value) if not isinstance(value, float) else _NO
    if kind is float:
        number = _parse_number(float, value)
        return float(number) if number is not _NO and math.isfinite(number) else _NO
    if kind is str:
        return str(value) if isinstance(value, str | int | float) else _NO
    if typing.get_origin(kind) is list:
        return _as_list(typing.get_args(kind)[0], value)
    if typing.get_origin(kind) is dict:
        return _as_mapping(value)
    raise TypeError(f"no parser for options of type {kind}")


def _parse_number(kind: type, value: Any) -> Any:
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            return kind(value.strip())
        except ValueError:
            return _NO
    return _NO


def _as_list(item: Any, value: Any) -> Any:
    items = [v for v in value.split(",") if v.strip()] if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not items:
        return _NO
    parsed = [_as_type(item, v) for v in items]
    return _NO if any(v is _NO for v in parsed) else parsed


def _as_mapping(value: Any) -> Any:
    if isinstance(value, str):
        try:
            value = yaml.safe_load(value)
        except yaml.YAMLError:
            return _NO
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return dict(value)
    return _NO


def _out_of_range(o: Option, value: Any) -> str | None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    r = o.rules
    inside = (
        (r.ge is None or value >= r.ge)
        and (r.gt is None or value > r.gt)
        and (r.le is None or value <= r.le)
        and (r.lt is None or value < r.lt)
        and (not r.multiple_of or value % r.multiple_of == 0)
    )
    return None if inside else f"must be {o.limits()}"


def _shown(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def read_config_file(path: str | Path) -> dict[str, Any]:
    """The options of a YAML config file, unparsed (a run's ``resolved`` record left out).

    Raises:
        LandcoverError: naming the file when it is missing, unreadable, not YAML, not a mapping
            or has unknown keys.
    """
    p = Path(path)
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise LandcoverIOError("no such config file", p) from e
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise LandcoverIOError(f"cannot read config ({' '.join(str(e).split())})", p) from e
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise LandcoverError("a config file must hold a mapping of options", p)
    doc.pop("resolved", None)  # written by a run for the record; recomputed on use
    known = {o.name for o in options()}
    unknown = sorted(str(k) for k in doc if k not in known)
    if unknown:
        raise LandcoverError(
            f"unknown option(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}", p
        )
    return doc


def load_config(path: str | Path | None, overrides: dict[str, Any] | None = None) -> TrainConfig:
    """Read a YAML config (or a run's ``config.yaml``) and apply ``overrides``.

    Args:
        path: the YAML file, or ``None`` for the defaults.
        overrides: values that win over the file's (e.g. from the command line), as text or
            values; ``None`` (or the text ``null``/``none``) unsets the option.

    Raises:
        LandcoverError: one line naming the file (for its values) and the option, for
            unreadable YAML, unknown keys or invalid values.
    """
    values: dict[str, Any] = {}
    if path is not None:
        doc = read_config_file(path)
        values = {name: parse_option(name, value, path) for name, value in doc.items()}
    for name, value in (overrides or {}).items():
        values[name] = parse_option(name, value)
    return TrainConfig(**values)


def dump_config(cfg: TrainConfig) -> str:
    """``cfg`` as YAML, each option commented with its help, then the ``resolved`` record.

    :func:`load_config` reads it back to the same options.
    """
    lines = ["# landcover train options (read back by --config FILE or --resume RUN)"]
    for o in options():
        value = getattr(cfg, o.name)
        # Block style at the top, a collection value on its line: "model_kwargs: {width: 4}".
        flow = None if isinstance(value, dict | list) else False
        text = yaml.safe_dump(
            {o.name: value}, default_flow_style=flow, sort_keys=False, width=1_000_000
        ).rstrip()
        lines.append(f"{text:<36} # {o.rules.help}" if "\n" not in text else text)
    if cfg.resolved:
        lines.append("# found by the run, for the record (recomputed when the file is read back)")
        lines.append(
            yaml.safe_dump(
                {"resolved": cfg.resolved},
                default_flow_style=None,
                sort_keys=False,
                width=1_000_000,
            ).rstrip()
        )
    return "\n".join(lines) + "\n"
