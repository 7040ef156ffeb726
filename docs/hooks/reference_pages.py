"""MkDocs hook: generates the reference pages from the code at build time, never by hand.

- ``reference/api.md``: one mkdocstrings block per public name of ``landcover.__all__``,
  pointing at the module that defines it (so the page follows ``landcover/__init__.py``).
- ``reference/cli.md``: each command's ``--help``, formatted by its argparse parser.
- ``reference/errors.md``: every one-line error message raised in ``src/landcover``
  (:mod:`error_index`).

The pages exist only in the built site (``File.generated``); nothing is written to ``docs/``.
"""

from __future__ import annotations

import argparse
import inspect
import os
import sys
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

import landcover
from landcover.cli import build_parser

sys.path.insert(0, str(Path(__file__).parent))
from error_index import error_index_markdown  # noqa: E402  (a sibling module, not a package)

ROOT = Path(__file__).resolve().parents[2]
HELP_WIDTH = "100"  # columns of the generated --help text


def public_names() -> list[tuple[str, Any]]:
    """``(name, object)`` for every public name of ``landcover`` but ``__version__``."""
    return [(n, getattr(landcover, n)) for n in landcover.__all__ if not n.startswith("_")]


def api_markdown() -> str:
    """The API reference page: functions, classes, then errors, each from its defining module."""
    names = public_names()
    functions = [(n, o) for n, o in names if not inspect.isclass(o)]
    errors = [(n, o) for n, o in names if inspect.isclass(o) and issubclass(o, BaseException)]
    classes = [(n, o) for n, o in names if inspect.isclass(o) and (n, o) not in errors]
    lines = [
        "# API reference",
        "",
        "Every public name of `landcover` (`landcover.__all__`), generated from the docstrings",
        "at build time. Import them from the package: `import landcover; landcover.NAME`.",
        "",
    ]
    for title, group in (("Functions", functions), ("Classes", classes), ("Errors", errors)):
        lines += [f"## {title}", ""]
        for _name, obj in group:
            lines += [
                f"::: {obj.__module__}.{obj.__qualname__}",
                "    options:",
                "      heading_level: 3",
                "      show_root_heading: true",
                "      show_root_full_path: false",
                "",
            ]
    return "\n".join(lines)


def command_parsers() -> dict[str, argparse.ArgumentParser]:
    """Each ``landcover`` sub-command's parser, by name, in the order of ``landcover --help``."""
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def cli_markdown() -> str:
    """The command reference page: ``landcover --help`` and each ``landcover COMMAND --help``."""
    os.environ["COLUMNS"] = HELP_WIDTH  # argparse wraps help text to $COLUMNS
    lines = [
        "# Command reference",
        "",
        "Each command's options as `landcover COMMAND --help` prints them, generated from the",
        "argument parsers at build time. What the commands do and write:",
        "[Commands](../commands.md).",
        "",
        "## landcover",
        "",
        "```text",
        build_parser().format_help().rstrip(),
        "```",
        "",
    ]
    for name, parser in command_parsers().items():
        lines += [f"## landcover {name}", "", "```text", parser.format_help().rstrip(), "```", ""]
    return "\n".join(lines)


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the generated reference pages to the site."""
    pages = {
        "reference/api.md": api_markdown(),
        "reference/cli.md": cli_markdown(),
        "reference/errors.md": error_index_markdown(ROOT / "src" / "landcover"),
    }
    for uri, text in pages.items():
        files.append(File.generated(config, uri, content=text))
    return files
