"""``landcover models``: list the bundled models."""

from __future__ import annotations

import argparse
import json

from landcover.bundled import list_models


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``models`` sub-command."""
    p = sub.add_parser(
        "models",
        help="list the bundled models",
        description="List the models shipped with landcover: name, classes, ground sampling "
        "distance, tile size, validation scores and file paths. The first one is the default "
        "used by 'predict' and 'evaluate' without --model.",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the bundled models."""
    models = [m.to_dict() for m in list_models()]
    if args.json:
        print(json.dumps(models, indent=2))
        return 0
    if not models:
        print("no bundled models in this installation")
        return 1
    for m in models:
        star = " (default)" if m["default"] else ""
        print(f"{m['name']}{star}")
        for key in ("architecture", "classes", "gsd_m", "tile_size", "val_miou", "speed"):
            if key in m:
                print(f"  {key:<13} {m[key]}")
        print(f"  {'onnx':<13} {m['onnx']}")
        if m["weights"]:
            print(f"  {'weights':<13} {m['weights']}")
        if m["model_card"]:
            print(f"  {'model card':<13} {m['model_card']}")
    return 0
