"""Lists every one-line error message raised in the package, read from the source (AST).

Each ``LandcoverError`` (or subclass) constructed in ``src/landcover`` gives one row: its message
(f-string fields shown as ``{...}`` with their expression) and the module and function raising it.
"""

from __future__ import annotations

import ast
from pathlib import Path

ERROR_TYPES = {
    "LandcoverError",
    "InputError",
    "LandcoverIOError",
    "MissingDependencyError",
    "MaskFormatError",
}

#: package area -> the guide that explains its inputs and options (links from the error page)
GUIDES = {
    "accuracy": ("Accuracy and area", "guides/accuracy-and-area.md"),
    "batch": ("Many scenes and Dask", "guides/many-scenes.md"),
    "data": ("Your own classes and region", "guides/own-classes-and-region.md"),
    "evaluation": ("Your own classes and region", "guides/own-classes-and-region.md"),
    "export": ("Your own classes and region", "guides/own-classes-and-region.md"),
    "gis": ("GIS outputs", "guides/gis-outputs.md"),
    "inference": ("Map imagery", "guides/map-imagery.md"),
    "io": ("Map imagery", "guides/map-imagery.md"),
    "models": ("Train and fine-tune", "guides/train.md"),
    "report": ("Look at a run", "guides/report.md"),
    "schema": ("Your own classes and region", "guides/own-classes-and-region.md"),
    "training": ("Train and fine-tune", "guides/train.md"),
}


def _text(node: ast.expr) -> str | None:
    """The message of a string, f-string or concatenation of them; ``None`` for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            v.value if isinstance(v, ast.Constant) else "{" + ast.unparse(v.value) + "}"
            for v in node.values
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _text(node.left), _text(node.right)
        return None if left is None or right is None else left + right
    return None


def _functions(tree: ast.Module) -> dict[int, str]:
    """Line number -> name of the innermost function or method spanning it."""
    spans = sorted(
        (node.lineno, node.end_lineno or node.lineno, node.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    )
    owner: dict[int, str] = {}
    for start, end, name in spans:  # outer first: inner functions overwrite their lines
        for line in range(start, end + 1):
            owner[line] = name
    return owner


def error_messages(src: Path) -> list[tuple[str, str, str, str]]:
    """``(module, function, error type, message)`` for each error constructed under ``src``."""
    rows = []
    for path in sorted(src.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        owners = _functions(tree)
        module = ".".join(path.relative_to(src.parent).with_suffix("").parts)
        calls = sorted(
            (n for n in ast.walk(tree) if isinstance(n, ast.Call)), key=lambda n: n.lineno
        )
        for node in calls:
            if not isinstance(node.func, ast.Name):
                continue
            if node.func.id not in ERROR_TYPES or not node.args:
                continue
            message = _text(node.args[0])
            if message is None:
                message = "{" + ast.unparse(node.args[0]) + "}"
            rows.append((module, owners.get(node.lineno, "(module)"), node.func.id, message))
    return rows


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").replace("`", "'")


def error_index_markdown(src: Path) -> str:
    """A page listing every error message, grouped by module."""
    rows = error_messages(src)
    lines = [
        "# Every error message",
        "",
        f"The {len(rows)} one-line errors the package can raise, generated at build time from",
        "the source (`docs/hooks/error_index.py`). A command prints them as",
        "`landcover COMMAND: error: FILE: MESSAGE` and exits with code 2; `{...}` stands for a",
        "value filled in when it happens. What the common ones mean and what to do:",
        "[Troubleshooting](../troubleshooting.md).",
        "",
    ]
    current = None
    for module, function, kind, message in rows:
        if module != current:
            lines += ["", f"## `{module}`", ""]
            area = module.split(".")[1] if "." in module else ""
            if area in GUIDES:
                title, page = GUIDES[area]
                lines += [f"Guide: [{title}](../{page}).", ""]
            lines += ["| raised in | type | message |", "|---|---|---|"]
            current = module
        lines.append(f"| `{function}` | {kind} | `{_cell(message)}` |")
    return "\n".join(lines) + "\n"
