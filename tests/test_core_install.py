"""The suite runs on a core install (``pip install landcover`` plus the test tools): a test
module, fixture file or helper imports an extra's package at module level only after
``pytest.importorskip`` of it, so that on a core install it is skipped with its reason instead
of failing collection (``make floors`` runs the suite so)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent
# The extras' packages ([train], [gis], [dask]) and the dev-only servers the tests start.
OPTIONAL = {
    "torch", "torchvision", "lightning", "segmentation_models_pytorch", "timm", "torchmetrics",
    "albumentations", "pyogrio", "exactextract", "dask", "distributed", "moto",
}  # fmt: skip


def _unguarded(path: Path) -> list[str]:
    """``line: import name`` for each module-level import of an optional package not preceded
    by its ``pytest.importorskip``."""
    guarded: set[str] = set()
    found = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        call = node.value if isinstance(node, (ast.Expr, ast.Assign)) else None
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr == "importorskip"
            and call.args
            and isinstance(call.args[0], ast.Constant)
        ):
            guarded.add(str(call.args[0].value).split(".")[0])
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            root = name.split(".")[0]
            if root in OPTIONAL and root not in guarded:
                found.append(f"{node.lineno}: import {name}")
    return found


def test_extras_are_imported_at_module_level_only_after_importorskip() -> None:
    found = [
        f"{p.relative_to(ROOT)}:{line}"
        for p in sorted(ROOT.rglob("*.py"))
        for line in _unguarded(p)
    ]
    assert found == [], "\n".join(found)


def test_the_check_sees_an_unguarded_import(tmp_path: Path) -> None:
    bad = tmp_path / "test_bad.py"
    bad.write_text("import pytest\nimport torch\n", encoding="utf-8")
    good = tmp_path / "test_good.py"
    good.write_text('import pytest\ntorch = pytest.importorskip("torch")\nimport torch.nn\n')
    assert _unguarded(bad) == ["2: import torch"]
    assert _unguarded(good) == []
